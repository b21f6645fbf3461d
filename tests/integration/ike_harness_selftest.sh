#!/usr/bin/env bash
# Self-test of the strongSwan client harness (ike_lib.sh, ike_pki.sh)
# without p2sgw: a second charon (kernel-libipsec too) plays the gateway.
#
#   p2ihs-cli  cli-eth0 172.16.10.2/24 -- gw-up 172.16.10.1/24  p2ihs-gw
#   p2ihs-gw   gw-vn 10.10.0.1/24 -- srv-eth0 10.10.0.10/24     p2ihs-srv
#
# The responder hands out 10.200.0.0/24 with local_ts 10.10.0.0/24; what it
# decrypts leaves its TUN device and the gw namespace's kernel forwards it.
# Scenarios, each: VIP in 10.200.0.0/24, ping 10.10.0.10 through the
# tunnel, TCP client -> server (sha256 compared), clean disconnect:
#   rsa:  RSA certificates,   aes256gcm16-prfsha384-ecp384 / aes256gcm16
#   ec:   ECDSA certificates, aes256gcm16-prfsha256-ecp256 / aes256gcm16
#   modp: RSA certificates,   aes256-sha256-modp2048 / aes256-sha256
# Negatives: a client whose CA the responder does not trust, and a revoked
# client (the responder has ca-rsa's CRL), are refused and the initiation
# fails; the chain client (leaf + intermediate) is accepted.
#
# usage: ike_harness_selftest.sh [--mb N]
# Needs root (exit 77 otherwise). Leaves nothing behind (IT_KEEP=1 keeps the
# work directory with the charon logs).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/ike_lib.sh"

MB=4
while [ $# -gt 0 ]; do
	case $1 in
	--mb) MB=$2; shift 2 ;;
	*) echo "usage: $0 [--mb N]" >&2; exit 2 ;;
	esac
done

it_require_root
for t in ip socat ping ss sha256sum openssl pki swanctl unshare timeout; do
	command -v "$t" >/dev/null 2>&1 || it_fail "'$t' not found"
done
_ike_find_charon || exit 1
it_traps

NS_CLI=p2ihs-cli NS_GW=p2ihs-gw NS_SRV=p2ihs-srv
it_mkwork
WORK=$IT_WORK
PKI=$WORK/pki
T_START=$(it_now)
FAILED=()


abort() {
	echo "FAIL $1"
	local f
	for f in "$WORK"/charon-*.log; do
		[ -f "$f" ] && { echo "--- $(basename "$f")"; tail -n 25 "$f"; }
	done
	exit 1
}

topology() {
	it_netns "$NS_GW" "$NS_CLI" "$NS_SRV"
	it_veth "$NS_GW" gw-up "$NS_CLI" cli-eth0
	it_veth "$NS_GW" gw-vn "$NS_SRV" srv-eth0
	ip -n "$NS_CLI" addr add 172.16.10.2/24 dev cli-eth0
	ip -n "$NS_GW" addr add 172.16.10.1/24 dev gw-up
	ip -n "$NS_GW" addr add 10.10.0.1/24 dev gw-vn
	ip -n "$NS_SRV" addr add 10.10.0.10/24 dev srv-eth0
	ip -n "$NS_SRV" route add 10.200.0.0/24 via 10.10.0.1
	ip netns exec "$NS_GW" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# responder_conn NAME CERT CACERT: one connection of the gateway stand-in.
responder_conn() {
	cat <<EOF
	$1 {
		version = 2
		local_addrs = 172.16.10.1
		pools = p2s
		encap = yes
		mobike = no
		proposals = aes256gcm16-prfsha384-ecp384, aes256gcm16-prfsha256-ecp256, aes256-sha256-modp2048
		dpd_delay = 0
		rekey_time = 24h
		reauth_time = 0
		local {
			auth = pubkey
			certs = $2
			id = gw.p2sgw.test
		}
		remote {
			auth = pubkey
			cacerts = $3
			revocation = ifuri
		}
		children {
			net {
				local_ts = 10.10.0.0/24
				esp_proposals = aes256gcm16, aes256-sha256
				rekey_time = 24h
			}
		}
	}
EOF
}

# The gateway stand-in: two connections with the same identity, picked by
# the client certificate's CA (cacerts; charon switches to the other one
# when the first fails that constraint), one presenting gw-rsa, one gw-ec.
# ca-rsa's CRL (revocation plugin) revokes client-revoked.
start_responder() {
	local d
	IKE_PLUGINS_EXTRA=revocation ike_daemon_start "$NS_GW" gw "$WORK" || return 1
	d=${IKE_DIR[gw]}/swanctl
	cp "$PKI/gw-rsa.pem" "$PKI/gw-ec.pem" "$d/x509/"
	cp "$PKI/ca-rsa.pem" "$PKI/ca-ec.pem" "$d/x509ca/"
	cp "$PKI/crl-rsa.pem" "$d/x509crl/"
	install -m 600 "$PKI/gw-rsa.key" "$PKI/gw-ec.key" "$d/private/"
	{
		echo "connections {"
		responder_conn rsa gw-rsa.pem ca-rsa.pem
		responder_conn ec gw-ec.pem ca-ec.pem
		echo "}"
		printf 'pools {\n\tp2s {\n\t\taddrs = 10.200.0.0/24\n\t}\n}\n'
	} >"$d/swanctl.conf"
	ike_swanctl gw --load-all --noprompt >"${IKE_DIR[gw]}/load.out" 2>&1 || {
		cat "${IKE_DIR[gw]}/load.out"
		return 1
	}
}

vip_in_pool() {
	local v
	v=$(ike_client_vip "$NS_CLI" "$1") || { echo "no virtual IP"; return 1; }
	echo "$v"
	if ! [[ "$v" =~ ^10\.200\.0\.([0-9]+)$ ]] || [ "${BASH_REMATCH[1]}" -lt 1 ] ||
		[ "${BASH_REMATCH[1]}" -gt 254 ]; then
		echo "not in 10.200.0.0/24"
		return 1
	fi
	ip -n "$NS_CLI" -4 -o addr show | grep -qF " $v/" || { echo "not configured in $NS_CLI"; return 1; }
}

tcp_up() {
	local t
	t=$(it_tcp_send "$NS_CLI" "$NS_SRV" 10.10.0.10 "$2" "$WORK/up.bin" \
		"$WORK/up-$1.rx" 30) || { echo "transfer failed or sha256 differs"; return 1; }
	echo "$MB MB in ${t}s"
}

# scenario NAME CERT IKE ESP CACERT: one client from start to disconnect.
scenario() {
	local name=$1 cert=$2 ike=$3 esp=$4 ca=$5 port=$6
	echo "# $name: $ike / $esp ($cert)"
	it_step "$name: start client" ike_client_start "$NS_CLI" "$name" "$WORK" \
		"$PKI/$cert.pem" "$PKI/$cert.key" "$PKI/$ca.pem" "$ike" "$esp" || return
	if it_step "$name: connect" ike_client_up "$NS_CLI" "$name" 15; then
		it_step "$name: virtual IP in 10.200.0.0/24" vip_in_pool "$name"
		it_step "$name: ping 10.10.0.10 through the tunnel" \
			it_ping_some "$NS_CLI" 10.10.0.10
		it_step "$name: TCP client -> server" tcp_up "$name" "$port"
		it_step "$name: disconnect" ike_client_down "$NS_CLI" "$name"
		it_step "$name: responder has no SA left" no_responder_sa
	fi
	ike_client_stop "$NS_CLI" "$name"
}

no_responder_sa() {
	local i
	for ((i = 0; i < 30; i++)); do
		ike_swanctl gw --list-sas --raw 2>/dev/null | grep -q 'state=' || return 0
		sleep 0.1
	done
	ike_swanctl gw --list-sas | head -n 3
	return 1
}

# refused NAME CERT CACERT: the initiation must fail, and no SA remains.
refused() {
	local name=$1 cert=$2 ca=$3
	ike_client_start "$NS_CLI" "$name" "$WORK" "$PKI/$cert.pem" "$PKI/$cert.key" \
		"$PKI/$ca.pem" || return 1
	if ike_client_up "$NS_CLI" "$name" 10 >"$WORK/refused.out"; then
		echo "connected, expected a refusal"
		ike_client_stop "$NS_CLI" "$name"
		return 1
	fi
	ike_client_stop "$NS_CLI" "$name"
	head -n 1 "$WORK/refused.out"
	no_responder_sa
}

topology
it_step "PKI (ike_pki.sh)" "$HERE/ike_pki.sh" "$PKI" || abort "no PKI"
it_make_file "$WORK/up.bin" "$MB"
it_step "responder charon in $NS_GW" start_responder || abort "no responder"
echo "ike_harness_selftest: $IKE_CHARON, $(ike_swanctl gw --version 2>/dev/null | head -n 1)"

scenario rsa client-rsa aes256gcm16-prfsha384-ecp384 aes256gcm16 ca-rsa 5001
scenario ec client-ec aes256gcm16-prfsha256-ecp256 aes256gcm16 ca-ec 5002
scenario modp client-rsa aes256-sha256-modp2048 aes256-sha256 ca-rsa 5003
echo "# negatives and chain"
it_step "unknown CA: refused" refused unknown client-unknown ca-rsa
it_step "revoked (CRL at the responder): refused" refused revoked client-revoked ca-rsa
chain() {
	ike_client_start "$NS_CLI" chain "$WORK" "$PKI/client-chain-full.pem" \
		"$PKI/client-chain.key" "$PKI/ca-rsa.pem" || return 1
	ike_client_up "$NS_CLI" chain 10 && it_ping_some "$NS_CLI" 10.10.0.10 && \
		ike_client_down "$NS_CLI" chain
	local rc=$?
	ike_client_stop "$NS_CLI" chain
	return $rc
}
it_step "chain (leaf + intermediate): connects, ping, disconnect" chain

echo "ike_harness_selftest: total $(it_elapsed "$T_START")s"
if [ ${#FAILED[@]} -gt 0 ]; then
	for f in "$WORK"/charon-*.log; do
		echo "--- $(basename "$f") (last 20 lines)"
		tail -n 20 "$f"
	done
	echo "FAILED: ${FAILED[*]}"
	exit 1
fi
echo "PASS"
