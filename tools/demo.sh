#!/usr/bin/env bash
# Run the gateway: the demo topology of config/default.cfg in three network
# namespaces, with the real strongSwan IKEv2 client connecting through it.
#
#   p2sgw-cli                 p2sgw-gw                      p2sgw-srv
#   charon (strongSwan)       p2sgw-dataplane, p2sgw-control srv-eth0 10.10.0.10
#   ipsec0 10.200.0.x (VIP)
#   cli-eth0 172.16.10.2 ---- gw-up 172.16.10.1 (uplink)
#                             gw-vn 10.10.0.1 (vnet) ------ route 10.200.0.0/24
#
# It installs what is missing, reserves hugepages and builds (tools/setup.sh),
# makes a fresh demo PKI (root CA, gateway and client certificates) under
# /run/p2sgw-demo, runs the gateway with config/default.cfg plus an `auth`
# section naming that PKI, and connects a strongSwan client (charon with
# kernel-libipsec, certificate authentication, NAT-T): the client gets a
# virtual IP from the pool; then a ping through the tunnel, a ping of the
# gateway itself (exception path), a TCP transfer each way with sha256
# compared, and p2sgwctl's IKE SA list, tunnels and counters.
#
# usage: tools/demo.sh [--once] [--mb N]
#   default  stay up until Ctrl-C (try: ip netns exec p2sgw-cli ping 10.10.0.10)
#   --once   run the checks, print, tear down; exit 0 on success, 1 on failure
# Needs root. Everything it creates is removed on exit.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/ike_lib.sh"

ONCE=0 MB=10
while [ $# -gt 0 ]; do
	case $1 in
	--once) ONCE=1; shift ;;
	--mb) MB=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--once] [--mb N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "demo: must run as root" >&2; exit 1; }

STATS_DIR=/run/p2sgw-demo
PKI=$STATS_DIR/pki
CFG=$STATS_DIR/p2sgw.cfg	# config/default.cfg + the demo PKI
DP_BIN=$ROOT/build/dataplane/p2sgw-dataplane
CP_BIN=$ROOT/build/controlplane/p2sgw-control
CTL_BIN=$ROOT/build/tools/p2sgwctl
NS_GW=p2sgw-gw NS_CLI=p2sgw-cli NS_SRV=p2sgw-srv
FAILS=0

say() { echo "demo: $*"; }
check() {	# check LABEL CMD...: run, print ok/FAIL
	local label=$1 out
	shift
	if out=$("$@" 2>&1); then
		say "ok   $label${out:+: $out}"
	else
		say "FAIL $label${out:+: $out}"
		FAILS=$((FAILS + 1))
	fi
}

ping_line() {	# ping_line NS DST: "n/6 replies, avg X ms"
	local out
	out=$(ip netns exec "$1" ping -n -c 6 -i 0.2 -W 2 -w 10 "$2" 2>&1)
	echo "$out" | awk -F'[ /,]+' '/packets transmitted/ { tx = $1; rx = $4 }
		/^rtt/ { avg = $8 } END { printf "%s/%s replies%s", rx, tx, avg ? ", avg " avg " ms" : "" }'
	[ "$(echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')" -ge 2 ]
}

transfer() {	# transfer up|down
	local t
	if [ "$1" = up ]; then
		t=$(it_tcp_send "$NS_CLI" "$NS_SRV" 10.10.0.10 5001 "$IT_WORK/data" \
			"$IT_WORK/rx.up" 120) || { echo "failed or sha256 differs"; return 1; }
	else
		t=$(it_tcp_fetch "$NS_CLI" "$NS_SRV" 10.10.0.10 5002 "$IT_WORK/data" \
			"$IT_WORK/rx.down" 120) || { echo "failed or sha256 differs"; return 1; }
	fi
	echo "$MB MB in ${t}s ($(awk -v m="$MB" -v t="$t" 'BEGIN { printf "%.1f", m * 8 / t }') Mbit/s), sha256 $(it_sha "$IT_WORK/data" | cut -c1-16)... matches"
}

teardown() {
	local rc=$?
	trap - EXIT
	say "tearing down"
	it_cleanup
	rm -rf "$STATS_DIR"
	exit $rc
}

say "setup: tools/setup.sh (packages, hugepages, build)"
"$ROOT/tools/setup.sh" || { say "setup failed"; exit 1; }
for b in "$DP_BIN" "$CP_BIN" "$CTL_BIN"; do
	[ -x "$b" ] || { say "no binary at $b"; exit 1; }
done
it_require_tools socat ip taskset ping ss sha256sum

trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
it_mkwork
mkdir -p "$STATS_DIR"
say "pki: a fresh demo CA, gateway and client certificates in $PKI"
bash "$ROOT/tests/integration/ike_pki.sh" "$PKI" >"$IT_WORK/pki.log" 2>&1 || \
	{ say "PKI generation failed:"; cat "$IT_WORK/pki.log"; exit 1; }
{
	cat "$ROOT/config/default.cfg"
	cat <<EOF

# Added by tools/demo.sh: the demo PKI made at start (never use it elsewhere).
auth = {
  root_cas = [ "$PKI/ca-rsa.pem", "$PKI/ca-ec.pem" ];
  certificate = "$PKI/gw-rsa.pem";
  private_key = "$PKI/gw-rsa.key";
};
EOF
} >"$CFG"

say "network: namespaces $NS_CLI, $NS_GW, $NS_SRV"
it_topology "$NS_GW" "$NS_CLI" "$NS_SRV"

say "gateway: p2sgw-dataplane -c $CFG in $NS_GW (cpu 1)"
it_bg DP "$NS_GW" 1 "$IT_WORK/dp.log" "$DP_BIN" -c "$CFG"
if ! it_wait_line "$IT_WORK/dp.log" '^p2sgw-dataplane: ready' 60 "$DP"; then
	say "the dataplane did not come up:"; tail -n 20 "$IT_WORK/dp.log"; exit 1
fi
say "control: p2sgw-control -c $CFG in $NS_GW (cpu 0)"
it_bg CP "$NS_GW" 0 "$IT_WORK/cp.log" "$CP_BIN" -c "$CFG"
if ! it_wait_tunnel "$NS_GW" "$CTL_BIN" "$CFG" demo-client 20 "$CP"; then
	say "p2sgw-control did not install the tunnel:"; tail -n 20 "$IT_WORK/cp.log"; exit 1
fi

if ! it_wait_line "$IT_WORK/cp.log" 'IKEv2 on UDP 500/4500' 10 "$CP"; then
	say "the IKEv2 responder did not start:"; tail -n 20 "$IT_WORK/cp.log"; exit 1
fi

say "client: strongSwan (charon, kernel-libipsec) in $NS_CLI, certificate CN=client-rsa"
if ! ike_client_start "$NS_CLI" demo "$IT_WORK" "$PKI/client-rsa.pem" \
	"$PKI/client-rsa.key" "$PKI/ca-rsa.pem" aes256gcm16-prfsha384-ecp384 \
	aes256gcm16 gw.p2sgw.test; then
	say "the strongSwan client did not start"; exit 1
fi
CLIENT=${IKE_PID[demo]}
if ! out=$(ike_client_up "$NS_CLI" demo 20); then
	say "the client did not connect: $out"; tail -n 20 "$IT_WORK/cp.log"; exit 1
fi
say "client: connected, virtual IP $(ike_client_vip "$NS_CLI" demo | head -n 1)"

it_make_file "$IT_WORK/data" "$MB"
check "ping 10.10.0.10 through the tunnel" ping_line "$NS_CLI" 10.10.0.10
check "ping the gateway 172.16.10.1 (exception path)" ping_line "$NS_CLI" 172.16.10.1
check "TCP client -> server" transfer up
check "TCP server -> client" transfer down

say "p2sgwctl ike:"
ip netns exec "$NS_GW" "$CTL_BIN" -c "$CFG" ike || FAILS=$((FAILS + 1))
say "p2sgwctl tunnels:"
ip netns exec "$NS_GW" "$CTL_BIN" -c "$CFG" tunnels || FAILS=$((FAILS + 1))
say "p2sgwctl stats:"
ip netns exec "$NS_GW" "$CTL_BIN" -c "$CFG" stats || FAILS=$((FAILS + 1))

if [ "$ONCE" = 1 ]; then
	[ $FAILS -eq 0 ] && { say "all checks passed"; exit 0; }
	say "$FAILS check(s) failed"; exit 1
fi
say "up. Try: ip netns exec $NS_CLI ping 10.10.0.10"
say "     and: ip netns exec $NS_GW $CTL_BIN -c $CFG ike   (or tunnels, sas, stats, status)"
say "Ctrl-C to stop and tear down."
while kill -0 "$DP" 2>/dev/null && kill -0 "$CP" 2>/dev/null &&
      kill -0 "$CLIENT" 2>/dev/null; do
	sleep 1
done
say "the dataplane, the control plane or the client stopped:"
tail -n 5 "$IT_WORK/dp.log" "$IT_WORK/cp.log" "${IKE_LOG[demo]}"
exit 1
