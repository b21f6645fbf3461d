#!/usr/bin/env bash
# Run the gateway: the demo topology of config/default.cfg in three network
# namespaces, with scapy's ESP (tools/esp_client.py) as the client.
#
#   p2sgw-cli                 p2sgw-gw                      p2sgw-srv
#   esp0 10.200.0.2 (VIP)     p2sgw-dataplane, p2sgw-control srv-eth0 10.10.0.10
#   cli-eth0 172.16.10.2 ---- gw-up 172.16.10.1 (uplink)
#                             gw-vn 10.10.0.1 (vnet) ------ route 10.200.0.0/24
#
# It installs what is missing, reserves hugepages and builds (tools/setup.sh),
# starts the dataplane, the control plane (which installs the demo tunnel
# through the shared-memory channel) and the client, then shows a ping
# through the tunnel, a ping of the gateway itself (exception path), a 10 MB
# TCP transfer each way with sha256 compared, and p2sgwctl's tunnel list and
# counters.
#
# usage: tools/demo.sh [--once] [--mb N]
#   default  stay up until Ctrl-C (try: ip netns exec p2sgw-cli ping 10.10.0.10)
#   --once   run the checks, print, tear down; exit 0 on success, 1 on failure
# Needs root. Everything it creates is removed on exit.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/integration/lib.sh"

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

CFG=$ROOT/config/default.cfg
DP_BIN=$ROOT/build/dataplane/p2sgw-dataplane
CP_BIN=$ROOT/build/controlplane/p2sgw-control
CTL_BIN=$ROOT/build/tools/p2sgwctl
NS_GW=p2sgw-gw NS_CLI=p2sgw-cli NS_SRV=p2sgw-srv
STATS_DIR=/run/p2sgw-demo
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

# The first tunnel of default.cfg, as esp_client.py options (the client's
# outbound SA is the gateway's inbound one).
client_sa() {
	"$PY" - "$CFG" <<'PYEOF'
import re, sys
text = re.sub(r"#.*", "", open(sys.argv[1]).read())
block = text[text.index("tunnels"):]
def get(name):
    m = re.search(r"\b%s\s*=\s*\"?([^\";]+)\"?\s*;" % name, block)
    return m.group(1).strip() if m else None
opts = ["--suite", get("suite") or "aes256gcm16", "--vip", get("vip"),
        "--spi-out", get("spi_in"), "--key-out", get("key_in"),
        "--spi-in", get("spi_out"), "--key-in", get("key_out")]
if get("auth_key_in"):
    opts += ["--auth-key-out", get("auth_key_in"), "--auth-key-in", get("auth_key_out")]
if re.search(r"\bencap\s*=", block):
    opts += ["--encap", "--sport", get("sport") or "4500", "--dport", get("dport") or "4500"]
print("\n".join(opts))
PYEOF
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
mapfile -t SA < <(client_sa)

say "network: namespaces $NS_CLI, $NS_GW, $NS_SRV"
it_topology "$NS_GW" "$NS_CLI" "$NS_SRV"

say "gateway: p2sgw-dataplane -c config/default.cfg in $NS_GW (cpu 1)"
it_bg DP "$NS_GW" 1 "$IT_WORK/dp.log" "$DP_BIN" -c "$CFG"
if ! it_wait_line "$IT_WORK/dp.log" '^p2sgw-dataplane: ready' 60 "$DP"; then
	say "the dataplane did not come up:"; tail -n 20 "$IT_WORK/dp.log"; exit 1
fi
say "control: p2sgw-control -c config/default.cfg in $NS_GW (cpu 0)"
it_bg CP "$NS_GW" 0 "$IT_WORK/cp.log" "$CP_BIN" -c "$CFG"
if ! it_wait_tunnel "$NS_GW" "$CTL_BIN" "$CFG" demo-client 20 "$CP"; then
	say "p2sgw-control did not install the tunnel:"; tail -n 20 "$IT_WORK/cp.log"; exit 1
fi

say "client: esp_client.py in $NS_CLI (cpu 0): esp0 10.200.0.2, route 10.10.0.0/24"
it_bg CLIENT "$NS_CLI" 0 "$IT_WORK/client.log" "$PY" "$ROOT/tools/esp_client.py" \
	--tun esp0 --local 172.16.10.2 --gateway 172.16.10.1 "${SA[@]}" \
	--route 10.10.0.0/24
if ! it_wait_line "$IT_WORK/client.log" '^esp_client: ready' 20 "$CLIENT"; then
	say "the client did not come up:"; cat "$IT_WORK/client.log"; exit 1
fi

it_make_file "$IT_WORK/data" "$MB"
check "ping 10.10.0.10 through the tunnel" ping_line "$NS_CLI" 10.10.0.10
check "ping the gateway 172.16.10.1 (exception path)" ping_line "$NS_CLI" 172.16.10.1
check "TCP client -> server" transfer up
check "TCP server -> client" transfer down

say "p2sgwctl tunnels:"
ip netns exec "$NS_GW" "$CTL_BIN" -c "$CFG" tunnels || FAILS=$((FAILS + 1))
say "p2sgwctl stats:"
ip netns exec "$NS_GW" "$CTL_BIN" -c "$CFG" stats || FAILS=$((FAILS + 1))

if [ "$ONCE" = 1 ]; then
	[ $FAILS -eq 0 ] && { say "all checks passed"; exit 0; }
	say "$FAILS check(s) failed"; exit 1
fi
say "up. Try: ip netns exec $NS_CLI ping 10.10.0.10"
say "     and: ip netns exec $NS_GW $CTL_BIN -c $CFG stats   (or tunnels, sas, status)"
say "Ctrl-C to stop and tear down."
while kill -0 "$DP" 2>/dev/null && kill -0 "$CP" 2>/dev/null &&
      kill -0 "$CLIENT" 2>/dev/null; do
	sleep 1
done
say "the dataplane, the control plane or the client stopped:"
tail -n 5 "$IT_WORK/dp.log" "$IT_WORK/cp.log" "$IT_WORK/client.log"
exit 1
