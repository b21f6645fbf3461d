#!/usr/bin/env bash
# The control plane and the channel end to end, with scapy's ESP client in
# network namespaces made here: client -- uplink [gateway] vnet -- server.
#
#   1. p2sgwctl sa add at runtime -> traffic flows; sa del -> it stops and
#      the dataplane counts no_sa drops
#   2. kill -9 p2sgw-control during a TCP transfer -> the transfer
#      completes intact; restarted, it lists the tunnel again
#   3. kill -9 and restart the dataplane -> traffic resumes within 2 s of
#      the dataplane being ready, with no manual step
#   4. reload with a broken config -> refused with file:line, the running
#      config stays in force
#   5. malformed control-socket requests (not JSON, unknown command, a
#      10 MB line, a client that never writes) -> an error for that client,
#      and the daemon keeps serving others
#   6. SIGTERM -> both processes exit 0
#
# usage: control.sh --dataplane BIN --control BIN --ctl BIN [--tools DIR]
# Needs root (exit 77 otherwise). Leaves nothing behind.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

DP_BIN="" CP_BIN="" CTL_BIN="" TOOLS="$HERE/../../tools"
while [ $# -gt 0 ]; do
	case $1 in
	--dataplane) DP_BIN=$2; shift 2 ;;
	--control) CP_BIN=$2; shift 2 ;;
	--ctl) CTL_BIN=$2; shift 2 ;;
	--tools) TOOLS=$2; shift 2 ;;
	*) echo "usage: $0 --dataplane BIN --control BIN --ctl BIN [--tools DIR]" >&2
	   exit 2 ;;
	esac
done

it_require_root
it_require_tools socat ip taskset ping sha256sum
for b in "$DP_BIN" "$CP_BIN" "$CTL_BIN"; do
	[ -x "$b" ] || it_fail "binary '$b' not found (build first)"
done
DP_BIN=$(realpath "$DP_BIN") CP_BIN=$(realpath "$CP_BIN") CTL_BIN=$(realpath "$CTL_BIN")
it_traps

NS_GW=p2it-ctl-gw NS_CLI=p2it-ctl-cli NS_SRV=p2it-ctl-srv
it_mkwork
WORK=$IT_WORK
STATS=$WORK/stats.json
CFG=$WORK/gw.cfg
SOCK=$WORK/ctl.sock
T_START=$(it_now)
FAILED=()

hexkey() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
SPI_IN=0x10$(hexkey 3) SPI_OUT=0x20$(hexkey 3)
KEY_IN=$(hexkey 36) KEY_OUT=$(hexkey 36)
CLI_SA=(--local 172.16.10.2 --gateway 172.16.10.1 --suite aes256gcm16
	--spi-out "$SPI_IN" --key-out "$KEY_IN" --spi-in "$SPI_OUT" --key-in "$KEY_OUT"
	--vip 10.200.0.2 --encap --sport 4500 --dport 4500)

# The gateway config without static tunnels, plus the control section.
sed -e "s|@FILE_PREFIX@|p2it-ctl|" -e "s|@STATS_FILE@|$STATS|" \
	-e "s|@UPLINK_IFACE@|gw-up|" -e '/^tunnels = (/,$d' \
	"$HERE/gw.cfg.in" >"$CFG"
cat >>"$CFG" <<CFGEOF
control = {
  socket = "$SOCK";
  channel = "/dev/hugepages/p2it-ctl.chan";
  max_tunnels = 64;
  log_level = "info";
};
CFGEOF

ctl() { ip netns exec "$NS_GW" timeout 40 "$CTL_BIN" -s "$SOCK" "$@"; }

step() { it_step "$@"; }

abort() {
	echo "FAIL $1"
	for f in "$WORK"/dp*.log "$WORK"/cp*.log "$WORK"/client.log; do
		[ -f "$f" ] && { echo "--- $(basename "$f")"; tail -n 25 "$f"; }
	done
	exit 1
}

start_dataplane() {	# $1: log name
	it_bg DP "$NS_GW" 1 "$WORK/$1" "$DP_BIN" -c "$CFG"
	it_wait_line "$WORK/$1" '^p2sgw-dataplane: ready' 60 "$DP" || \
		abort "dataplane did not become ready"
}

start_control() {	# $1: log name
	it_bg CP "$NS_GW" 0 "$WORK/$1" "$CP_BIN" -c "$CFG"
	local i
	for ((i = 0; i < 100; i++)); do
		ctl status >/dev/null 2>&1 && return 0
		kill -0 "$CP" 2>/dev/null || break
		sleep 0.1
	done
	abort "p2sgw-control did not answer on $SOCK"
}

sa_add() {
	ctl sa add demo --vip 10.200.0.2 --peer 172.16.10.2 --suite aes256gcm16 \
		--spi-in "$SPI_IN" --spi-out "$SPI_OUT" --key-in "$KEY_IN" \
		--key-out "$KEY_OUT" --encap 4500:4500
}

tunnel_listed() { ctl --json tunnels | grep -q '"demo"'; }

counter() { it_stat "$STATS" "$@"; }

runtime_add() {
	sa_add || return 1
	tunnel_listed || { echo "sa add succeeded but tunnels does not list it"; return 1; }
	it_ping_some "$NS_CLI" 10.10.0.10
}

runtime_del() {
	local before after
	it_stats_fresh "$DP" "$STATS"
	before=$(counter drops.no_sa)
	ctl sa del demo || return 1
	tunnel_listed && { echo "still listed after sa del"; return 1; }
	it_ping "$NS_CLI" 10.10.0.10 3 && { echo "ping still answered"; return 1; }
	it_stats_fresh "$DP" "$STATS"
	after=$(counter drops.no_sa)
	[ "$after" -gt "$before" ] || { echo "drops.no_sa $before -> $after"; return 1; }
	echo "drops.no_sa $before -> $after"
}

# A 20 MB transfer; p2sgw-control is killed with SIGKILL half a second in.
kill_control_mid_transfer() {
	local t pid
	it_make_file "$WORK/up.bin" 20
	it_tcp_send "$NS_CLI" "$NS_SRV" 10.10.0.10 5001 "$WORK/up.bin" \
		"$WORK/up.rx" 120 >"$WORK/xfer.out" 2>&1 &
	pid=$!
	sleep 0.5
	kill -9 "$CP"
	wait "$CP" 2>/dev/null
	wait "$pid" || { echo "transfer failed or sha256 differs"; return 1; }
	t=$(cat "$WORK/xfer.out")
	echo "20 MB in ${t}s with the control plane killed"
}

control_restart_lists() {
	start_control cp2.log
	tunnel_listed || { echo "restarted control plane does not list demo"; return 1; }
	it_ping_some "$NS_CLI" 10.10.0.10
}

# Kill the dataplane, start it again; time from 'ready' to the first reply.
dataplane_restart() {
	local t0 i
	kill -9 "$DP"
	wait "$DP" 2>/dev/null
	start_dataplane dp2.log
	t0=$(it_now)
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NS_CLI" ping -n -q -c 1 -W 0.1 10.10.0.10 >/dev/null 2>&1 && break
	done
	local el
	el=$(it_elapsed "$t0")
	[ $i -lt 50 ] || { echo "no reply within $el s"; return 1; }
	awk -v e="$el" 'BEGIN { exit !(e <= 2.0) }' || { echo "traffic resumed after ${el}s (> 2 s)"; return 1; }
	echo "traffic resumed ${el}s after the new dataplane was ready"
}

reload_broken() {
	local out rc line
	cp "$CFG" "$WORK/good.cfg"
	sed -i 's/^\(  ttl = \)64;/\1= 64;/' "$CFG"
	line=$(grep -n '^  ttl = = 64;' "$CFG" | cut -d: -f1)
	out=$(ctl reload 2>&1); rc=$?
	cp "$WORK/good.cfg" "$CFG"
	[ $rc -ne 0 ] || { echo "broken config accepted: $out"; return 1; }
	echo "$out" | grep -qF "$CFG:$line" || { echo "error does not name $CFG:$line: $out"; return 1; }
	echo "$out" | tail -n 1
	ctl status >/dev/null || { echo "status fails after the refused reload"; return 1; }
	tunnel_listed && it_ping_some "$NS_CLI" 10.10.0.10
}

# raw_request TEXT: send TEXT as is, print the reply line (5 s at most).
raw_request() {
	printf '%s\n' "$1" | ip netns exec "$NS_GW" timeout 5 socat -t 5 - "UNIX-CONNECT:$SOCK"
}

# A 10 MB line without a newline yet: the daemon must answer with an error
# (and may close the connection) instead of buffering it.
long_line() {
	ip netns exec "$NS_GW" timeout 20 "$PY" - "$SOCK" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(10)
chunk = b"x" * 65536
try:
    for _ in range(160):
        s.sendall(chunk)
except OSError:
    pass
data = b""
try:
    while b"\n" not in data:
        d = s.recv(4096)
        if not d:
            break
        data += d
except OSError:
    pass
print(data.decode(errors="replace").strip())
PYEOF
}

malformed() {
	local r idle
	r=$(raw_request 'hello, not json')
	echo "$r" | grep -q '"ok": *false' || { echo "not JSON -> '$r'"; return 1; }
	r=$(raw_request '{"cmd":"make-coffee"}')
	echo "$r" | grep -q '"ok": *false' && echo "$r" | grep -q 'make-coffee' || \
		{ echo "unknown command -> '$r'"; return 1; }
	r=$(long_line)
	echo "$r" | grep -q '"ok": *false' || { echo "10 MB line -> '${r:0:200}'"; return 1; }
	# a client that connects and never writes
	ip netns exec "$NS_GW" socat -u "UNIX-CONNECT:$SOCK" - </dev/null >/dev/null 2>&1 &
	idle=$!
	(sleep 30; kill "$idle" 2>/dev/null) &
	sleep 0.3
	ip netns exec "$NS_GW" socat UNIX-CONNECT:"$SOCK" EXEC:"sleep 20" >/dev/null 2>&1 &
	IT_PIDS+=($! "$idle")
	sleep 0.3
	ctl status >/dev/null || { echo "status fails while idle clients are connected"; return 1; }
	echo "errors for bad requests; others still served"
}

stop_all() {
	local p rc
	for p in "$CP" "$DP"; do
		kill -TERM "$p" 2>/dev/null
		for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$p" 2>/dev/null && { echo "pid $p still running 10 s after SIGTERM"; return 1; }
		wait "$p"; rc=$?
		[ $rc -eq 0 ] || { echo "pid $p exit status $rc"; return 1; }
	done
}

it_topology "$NS_GW" "$NS_CLI" "$NS_SRV"
start_dataplane dp.log
start_control cp.log
it_bg CLIENT "$NS_CLI" 0 "$WORK/client.log" "$PY" "$TOOLS/esp_client.py" \
	--tun esp0 "${CLI_SA[@]}" --route 10.10.0.0/24
it_wait_line "$WORK/client.log" '^esp_client: ready' 20 "$CLIENT" || abort "esp_client did not start"

step "status" ctl status
step "sa add at runtime: traffic flows" runtime_add || abort "no traffic after sa add"
step "sa del: traffic stops, no_sa counted" runtime_del
step "sa add again" runtime_add || abort "no traffic after the second sa add"
step "kill -9 p2sgw-control during a TCP transfer" kill_control_mid_transfer
step "restarted control plane lists the tunnel" control_restart_lists
step "dataplane killed and restarted: traffic resumes" dataplane_restart
step "reload with a broken config is refused" reload_broken
step "malformed control-socket requests" malformed
step "SIGTERM: both exit 0" stop_all

echo "control: total $(it_elapsed "$T_START")s"
if [ ${#FAILED[@]} -gt 0 ]; then
	echo "FAILED: ${FAILED[*]}"
	exit 1
fi
echo "PASS"
