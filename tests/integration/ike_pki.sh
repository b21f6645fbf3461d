#!/usr/bin/env bash
# Test PKI for the IKEv2 interop tests.
#
# usage: ike_pki.sh DIR
#
# Writes into DIR (created if needed), keys as PKCS#8 PEM (openssl genpkey),
# certificates as PEM (strongSwan's pki, which can set the start of validity),
# every certificate valid from one day ago for ten years:
#
#   ca-rsa.pem/.key        root CA, RSA 3072            CN=p2sgw test RSA CA
#   ca-ec.pem/.key         root CA, ECDSA P-256         CN=p2sgw test ECDSA CA
#   ca-unknown.pem/.key    root CA the gateway does not trust (RSA 2048)
#   ca-int.pem/.key        intermediate CA under ca-rsa (RSA 2048)
#   gw-rsa.pem/.key        RSA 2048, by ca-rsa    CN=gw.p2sgw.test, SAN DNS:gw.p2sgw.test
#   gw-ec.pem/.key         P-256, by ca-ec        CN=gw.p2sgw.test, SAN DNS:gw.p2sgw.test
#   client-rsa.pem/.key    RSA 2048, by ca-rsa    CN=client-rsa, SAN email:client-rsa@p2sgw.test
#   client-ec.pem/.key     P-256, by ca-ec        CN=client-ec, SAN email:client-ec@p2sgw.test
#   client-revoked.pem/.key RSA 2048, by ca-rsa   CN=client-revoked, SAN email:...
#   client-unknown.pem/.key RSA 2048, by ca-unknown  CN=client-unknown, SAN email:...
#   client-chain.pem/.key  RSA 2048, by ca-int    CN=client-chain, SAN email:...
#   client-chain-full.pem  client-chain.pem followed by ca-int.pem
#   revoked.txt            SHA-1 thumbprint of client-revoked.pem (DER),
#                          40 lowercase hex digits and a newline
#   crl-rsa.pem            CRL of ca-rsa listing client-revoked (for peers
#                          that take revocation as a CRL, e.g. strongSwan)
#
# Needs openssl and pki (strongswan-pki). About 1-2 s.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

for t in openssl pki; do
	command -v "$t" >/dev/null 2>&1 || { echo "ike_pki: '$t' not found" >&2; exit 1; }
done

# pki with only the plugins it needs here (no warnings about absent ones).
CONF=$(mktemp "${TMPDIR:-/tmp}/p2sgw-pki.XXXXXX")
trap 'rm -f "$CONF"' EXIT
cat >"$CONF" <<'EOF'
pki {
	load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey
}
EOF
export STRONGSWAN_CONF=$CONF TZ=UTC

FMT='%Y%m%d%H%M%S'
NB=$(date -u -d '1 day ago' +"$FMT")
NA=$(date -u -d '1 day ago + 3650 days' +"$FMT")
VALIDITY=(--dateform "$FMT" --not-before "$NB" --not-after "$NA")

# key NAME rsa BITS | key NAME ec
key() {
	case $2 in
	rsa) openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:$3" \
		-out "$DIR/$1.key" ;;
	ec) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-pkeyopt ec_param_enc:named_curve -out "$DIR/$1.key" ;;
	esac
	chmod 600 "$DIR/$1.key"
}

# root NAME DN
root() {
	pki --self --in "$DIR/$1.key" --type priv --dn "$2" --ca "${VALIDITY[@]}" \
		--digest sha256 --outform pem >"$DIR/$1.pem"
}

# issue NAME ISSUER DN [pki options...]
issue() {
	local name=$1 issuer=$2 dn=$3
	shift 3
	pki --issue --in "$DIR/$name.key" --type priv --cacert "$DIR/$issuer.pem" \
		--cakey "$DIR/$issuer.key" --dn "$dn" "${VALIDITY[@]}" --digest sha256 \
		"$@" --outform pem >"$DIR/$name.pem"
}

key ca-rsa rsa 3072
root ca-rsa "C=XX, O=p2sgw test, CN=p2sgw test RSA CA"
key ca-ec ec
root ca-ec "C=XX, O=p2sgw test, CN=p2sgw test ECDSA CA"
key ca-unknown rsa 2048
root ca-unknown "C=XX, O=untrusted, CN=p2sgw unknown CA"
key ca-int rsa 2048
issue ca-int ca-rsa "C=XX, O=p2sgw test, CN=p2sgw test intermediate CA" --ca --pathlen 0

key gw-rsa rsa 2048
issue gw-rsa ca-rsa "CN=gw.p2sgw.test" --san gw.p2sgw.test --flag serverAuth
key gw-ec ec
issue gw-ec ca-ec "CN=gw.p2sgw.test" --san gw.p2sgw.test --flag serverAuth

# client NAME ISSUER rsa|ec
client() {
	if [ "$3" = rsa ]; then key "$1" rsa 2048; else key "$1" ec; fi
	issue "$1" "$2" "CN=$1" --san "$1@p2sgw.test" --flag clientAuth
}
client client-rsa ca-rsa rsa
client client-ec ca-ec ec
client client-revoked ca-rsa rsa
client client-unknown ca-unknown rsa
client client-chain ca-int rsa
cat "$DIR/client-chain.pem" "$DIR/ca-int.pem" >"$DIR/client-chain-full.pem"

openssl x509 -in "$DIR/client-revoked.pem" -noout -fingerprint -sha1 | \
	sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f' >"$DIR/revoked.txt"
grep -qxE '[0-9a-f]{40}' "$DIR/revoked.txt" || { echo "ike_pki: bad thumbprint" >&2; exit 1; }

pki --signcrl --cacert "$DIR/ca-rsa.pem" --cakey "$DIR/ca-rsa.key" \
	--reason key-compromise --cert "$DIR/client-revoked.pem" --lifetime 3650 \
	--digest sha256 --outform pem >"$DIR/crl-rsa.pem"

# Every leaf must verify against its chain (and the unknown one only against its own CA).
v() { openssl verify -CAfile "$DIR/$1.pem" ${3:+-untrusted "$DIR/$3.pem"} \
	"$DIR/$2.pem" >/dev/null || { echo "ike_pki: $2 does not verify" >&2; exit 1; }; }
v ca-rsa gw-rsa; v ca-ec gw-ec; v ca-rsa client-rsa; v ca-ec client-ec
v ca-rsa client-revoked; v ca-unknown client-unknown; v ca-rsa client-chain ca-int
