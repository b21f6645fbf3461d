# shellcheck shell=bash
# Shared helpers for the integration tests and tools/demo.sh (sourced, bash).
#
# Everything a script creates is registered here and removed by it_cleanup,
# which the caller runs from an EXIT trap: processes (killed by pid, then
# waited for with a deadline), network namespaces, and the work directory.
# Traffic stays inside the namespaces the script creates.

PY=/usr/bin/python3          # Debian's interpreter: sees python3-scapy
IT_PIDS=()
IT_NETNS=()
IT_WORK=""
it_fail() { echo "FAIL: $*" >&2; exit 1; }

# Exit 77 (meson: skipped) unless root; fail clearly when a tool is missing.
it_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (network namespaces, TUN, hugepages)" >&2
		exit 77
	fi
}

it_require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || \
			it_fail "'$t' not found (tools/setup.sh installs it)"
	done
	"$PY" -c 'import scapy.layers.ipsec, cryptography' 2>/dev/null || \
		it_fail "$PY cannot import scapy/cryptography (python3-scapy, python3-cryptography)"
}

it_now() { date +%s.%N; }
it_elapsed() { awk -v a="$1" -v b="$(it_now)" 'BEGIN { printf "%.1f", b - a }'; }

# it_mkwork: a fresh work directory in IT_WORK (call it directly, not in
# $(...), so that cleanup knows it).
it_mkwork() {
	IT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/p2sgw-it.XXXXXX") || it_fail "mktemp"
}

# it_traps: clean up on every exit, also on SIGINT/SIGTERM (bash runs the
# EXIT trap on a signal only when the signal itself is trapped).
it_traps() {
	trap it_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Kill one registered process: SIGTERM, wait up to $2 seconds, then SIGKILL.
it_stop_pid() {
	local pid=$1 grace=${2:-5} i
	[[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < grace * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

it_cleanup() {
	local rc=$? i
	set +e
	for ((i = ${#IT_PIDS[@]} - 1; i >= 0; i--)); do
		it_stop_pid "${IT_PIDS[$i]}" 5
	done
	IT_PIDS=()
	for i in "${IT_NETNS[@]}"; do
		ip netns pids "$i" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$i" 2>/dev/null
	done
	IT_NETNS=()
	if [ -n "$IT_WORK" ] && [ -d "$IT_WORK" ] && [ "${IT_KEEP:-0}" != 1 ]; then
		rm -rf "$IT_WORK"
	fi
	return $rc
}

# it_netns NAME...: create fresh namespaces with loopback up.
it_netns() {
	local ns
	for ns in "$@"; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || it_fail "ip netns add $ns"
		IT_NETNS+=("$ns")
		ip -n "$ns" link set lo up
	done
}

# it_veth NS1 IF1 NS2 IF2: a veth pair created directly inside the namespaces.
it_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || \
		it_fail "veth $1:$2 <-> $3:$4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# it_bg VAR NS CPU LOG CMD...: run CMD in NS pinned to CPU, output to LOG;
# store its pid in VAR and register it for cleanup.
it_bg() {
	local var=$1 ns=$2 cpu=$3 log=$4
	shift 4
	ip netns exec "$ns" taskset -c "$cpu" "$@" >"$log" 2>&1 &
	IT_PIDS+=($!)
	printf -v "$var" '%s' "$!"
}

# it_wait_line FILE REGEX TIMEOUT PID: wait for a line in FILE while PID lives.
it_wait_line() {
	local file=$1 re=$2 tmo=$3 pid=$4 i
	for ((i = 0; i < tmo * 10; i++)); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# it_step NAME CMD...: run one check, print "ok NAME (output, time)" or
# "FAIL NAME (output)", and append NAME to the FAILED array on failure.
it_step() {
	local name=$1 t0 out rc
	shift
	t0=$(it_now)
	"$@" >"$IT_WORK/step.out" 2>&1; rc=$?
	out=$(awk 'NR > 1 { printf "; " } { printf "%s", $0 }' "$IT_WORK/step.out")
	if [ $rc -eq 0 ]; then
		echo "ok   $name (${out:+$out, }$(it_elapsed "$t0")s)"
	else
		echo "FAIL $name (${out:-rc=$rc})"
		FAILED+=("$name")
	fi
	return $rc
}

# it_wait_tunnel NS CTL CFG NAME TIMEOUT PID: wait until p2sgwctl lists
# tunnel NAME as live (installed in every worker) while PID lives.
it_wait_tunnel() {
	local ns=$1 ctl=$2 cfg=$3 name=$4 tmo=$5 pid=$6 i
	for ((i = 0; i < tmo * 10; i++)); do
		ip netns exec "$ns" "$ctl" -c "$cfg" --json tunnels 2>/dev/null | \
			"$PY" -c 'import json, sys
t = json.load(sys.stdin)
t = t.get("tunnels", t) if isinstance(t, dict) else t
sys.exit(0 if any(x.get("name") == sys.argv[1] and
    str(x.get("state", "")).lower() == "live" for x in t) else 1)' "$name" \
			2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# it_ping NS DST COUNT: ping with a bounded deadline; success if any reply.
it_ping() {
	ip netns exec "$1" ping -n -q -c "$3" -i 0.2 -W 1 -w $(($3 + 5)) "$2" >/dev/null 2>&1
}

# it_ping_some NS DST: several packets, since the first one may be dropped
# while the gateway resolves the next hop; success if at least 2 replies.
it_ping_some() {
	local out rx
	out=$(ip netns exec "$1" ping -n -c 6 -i 0.2 -W 2 -w 10 "$2" 2>&1)
	rx=$(echo "$out" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')
	[ "${rx:-0}" -ge 2 ]
}

it_sha() { sha256sum "$1" | cut -d' ' -f1; }

# it_make_file PATH MB: random content.
it_make_file() {
	head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$1"
}

# it_tcp_send SRC_NS DST_NS DST_ADDR PORT FILE OUT TIMEOUT:
# TCP from SRC_NS to a listener in DST_NS; FILE is sent, received as OUT.
# Prints the transfer time in seconds; fails on timeout or mismatch.
it_tcp_send() {
	local sns=$1 dns=$2 addr=$3 port=$4 file=$5 out=$6 tmo=$7 lpid t0 rc
	rm -f "$out"
	ip netns exec "$dns" timeout "$tmo" socat -u \
		"TCP-LISTEN:$port,bind=$addr,reuseaddr" "CREATE:$out" 2>/dev/null &
	lpid=$!
	IT_PIDS+=("$lpid")
	it_wait_listen "$dns" "$port" 5 || { it_stop_pid "$lpid"; return 1; }
	t0=$(it_now)
	ip netns exec "$sns" timeout "$tmo" socat -u "OPEN:$file" \
		"TCP:$addr:$port,connect-timeout=5" 2>/dev/null
	rc=$?
	if [ $rc -eq 0 ]; then
		wait "$lpid"; rc=$?
	else
		it_stop_pid "$lpid" 1
	fi
	[ $rc -eq 0 ] || return 1
	[ "$(it_sha "$file")" = "$(it_sha "$out")" ] || return 2
	it_elapsed "$t0"
}

# it_tcp_fetch SRC_NS DST_NS DST_ADDR PORT FILE OUT TIMEOUT:
# the listener in DST_NS serves FILE; SRC_NS connects and stores it in OUT.
it_tcp_fetch() {
	local sns=$1 dns=$2 addr=$3 port=$4 file=$5 out=$6 tmo=$7 lpid t0 rc
	rm -f "$out"
	ip netns exec "$dns" timeout "$tmo" socat -u "OPEN:$file" \
		"TCP-LISTEN:$port,bind=$addr,reuseaddr" 2>/dev/null &
	lpid=$!
	IT_PIDS+=("$lpid")
	it_wait_listen "$dns" "$port" 5 || { it_stop_pid "$lpid"; return 1; }
	t0=$(it_now)
	ip netns exec "$sns" timeout "$tmo" socat -u \
		"TCP:$addr:$port,connect-timeout=5" "CREATE:$out" 2>/dev/null
	rc=$?
	wait "$lpid" 2>/dev/null
	[ $rc -eq 0 ] || return 1
	[ "$(it_sha "$file")" = "$(it_sha "$out")" ] || return 2
	it_elapsed "$t0"
}

it_wait_listen() {
	local ns=$1 port=$2 tmo=$3 i
	for ((i = 0; i < tmo * 20; i++)); do
		ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# it_tx_csum_off NS IFACE: turn off TX checksum offload (and with it TSO).
# A veth with offload hands CHECKSUM_PARTIAL frames to its peer, and a
# packet socket there (DPDK net_af_packet) sees TCP/UDP checksums that were
# never completed. Real NICs never deliver such frames; the kernel ends that
# feed the gateway's af_packet ports therefore send complete checksums.
it_tx_csum_off() {
	ip netns exec "$1" "$PY" - "$2" <<'PYEOF' || it_fail "tx checksum off on $1:$2"
import array, fcntl, socket, struct, sys
SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
cmd = array.array("B", struct.pack("II", ETHTOOL_STXCSUM, 0))
ifr = struct.pack("16sP", sys.argv[1].encode(), cmd.buffer_info()[0]).ljust(40, b"\0")
fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), SIOCETHTOOL, ifr)
PYEOF
}

# it_topology GW CLI SRV: the gateway's two veths and its peers, as in
# config/default.cfg: CLI cli-eth0 172.16.10.2/24 <-> GW gw-up (uplink),
# SRV srv-eth0 10.10.0.10/24 <-> GW gw-vn (vnet). The gateway's ends carry
# no kernel address; SRV routes the client pool through the gateway.
it_topology() {
	local gw=$1 cli=$2 srv=$3
	it_netns "$gw" "$cli" "$srv"
	it_veth "$gw" gw-up "$cli" cli-eth0
	it_veth "$gw" gw-vn "$srv" srv-eth0
	ip netns exec "$gw" sysctl -qw net.ipv6.conf.gw-up.disable_ipv6=1 \
		net.ipv6.conf.gw-vn.disable_ipv6=1
	ip -n "$cli" addr add 172.16.10.2/24 dev cli-eth0
	ip -n "$srv" addr add 10.10.0.10/24 dev srv-eth0
	ip -n "$srv" route add 10.200.0.0/24 via 10.10.0.1
	it_tx_csum_off "$cli" cli-eth0
	it_tx_csum_off "$srv" srv-eth0
}

# it_stat FILE PATH...: print counters from the stats JSON, e.g.
# it_stat stats.json drops.esp_bad_icv counters.rx_packets
it_stat() {
	"$PY" - "$@" <<'PYEOF'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(1)
for path in sys.argv[2:]:
    v = s
    for k in path.split("."):
        v = v.get(k, {}) if isinstance(v, dict) else {}
    print(v if not isinstance(v, dict) else "-")
PYEOF
}

# it_stats_fresh PID FILE: ask the dataplane for a new stats file (SIGUSR1)
# and wait until it differs from the previous one (at most 3 s).
it_stats_fresh() {
	local pid=$1 file=$2 old new i
	old=$(stat -c %Y.%i "$file" 2>/dev/null)
	kill -USR1 "$pid" 2>/dev/null || return 1
	for ((i = 0; i < 30; i++)); do
		new=$(stat -c %Y.%i "$file" 2>/dev/null)
		[ -n "$new" ] && [ "$new" != "$old" ] && return 0
		sleep 0.1
	done
	[ -s "$file" ]
}

# it_stats_table FILE: the stats JSON as a readable table of non-zero
# counters and drops (all of them with IT_ALL=1).
it_stats_table() {
	"$PY" - "$1" "${IT_ALL:-0}" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
show_all = sys.argv[2] == "1"
print("p2sgw-dataplane %s: up %.1f s, %d worker(s)"
      % (s.get("version", "?"), s.get("uptime_s", 0), s.get("workers", 0)))
for group in ("counters", "drops"):
    items = [(k, v) for k, v in s.get(group, {}).items() if v or show_all]
    print("  %-8s %s" % (group, "" if items else "(all zero)"))
    for k, v in items:
        print("    %-20s %12d" % (k, v))
PYEOF
}
