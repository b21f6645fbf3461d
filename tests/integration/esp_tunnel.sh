#!/usr/bin/env bash
# End-to-end test of the dataplane with one manually keyed tunnel, against
# scapy's ESP (tools/esp_client.py, tools/esp_inject.py) in network
# namespaces made here: client -- uplink [gateway] vnet -- server.
#
#   1. ping from the client through the tunnel to the vnet host
#   2. ping the gateway's uplink address (exception path to its kernel),
#      and its vnet address 10.10.0.1 through the tunnel
#   3. TCP client -> server and server -> client, sha256 compared
#   4. one valid packet from esp_inject.py (SecurityAssociation.encrypt and
#      .decrypt on every packet) and its echo reply
#   5. negative: tampered -> drops.esp_bad_icv +1; inner source not the
#      VIP -> drops.inner_bad_src +1; inner destination outside p2s.routes
#      -> drops.inner_bad_dst +1; unknown SPI -> drops.no_sa +1; the same
#      packet twice -> drops.esp_replay +1 (and exactly one echo reply)
#   6. SIGTERM (SIGINT with --encap): exit status 0, final stats file
#
# The tunnel is a static one from the config, installed by p2sgw-control
# through the channel.
#
# usage: esp_tunnel.sh --dataplane BIN --control BIN --ctl BIN --suite SUITE
#                      [--encap] [--mb-up N] [--mb-down N] [--tools DIR]
# Needs root (exit 77 otherwise). Leaves nothing behind.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

DP_BIN="" CP_BIN="" CTL_BIN="" SUITE="" ENCAP=0 MB_UP=10 MB_DOWN=10
TOOLS="$HERE/../../tools"
while [ $# -gt 0 ]; do
	case $1 in
	--dataplane) DP_BIN=$2; shift 2 ;;
	--control) CP_BIN=$2; shift 2 ;;
	--ctl) CTL_BIN=$2; shift 2 ;;
	--suite) SUITE=$2; shift 2 ;;
	--encap) ENCAP=1; shift ;;
	--mb-up) MB_UP=$2; shift 2 ;;
	--mb-down) MB_DOWN=$2; shift 2 ;;
	--tools) TOOLS=$2; shift 2 ;;
	*) echo "usage: $0 --dataplane BIN --suite SUITE [--encap]" \
		"[--mb-up N] [--mb-down N] [--tools DIR]" >&2; exit 2 ;;
	esac
done
case $SUITE in
aes256gcm16) SHORT=gcm KEY_LEN=36 AUTH_LEN=0 ;;
aes256-sha256) SHORT=sha256 KEY_LEN=32 AUTH_LEN=32 ;;
aes256-sha1) SHORT=sha1 KEY_LEN=32 AUTH_LEN=20 ;;
*) echo "unknown --suite '$SUITE'" >&2; exit 2 ;;
esac

it_require_root
it_require_tools socat ip taskset ping ss sha256sum
for b in "$DP_BIN" "$CP_BIN" "$CTL_BIN"; do
	[ -x "$b" ] || it_fail "binary '$b' not found (build first)"
done
DP_BIN=$(realpath "$DP_BIN") CP_BIN=$(realpath "$CP_BIN") CTL_BIN=$(realpath "$CTL_BIN")
it_traps

TAG=$SHORT-$([ "$ENCAP" = 1 ] && echo udp || echo esp)
NS_GW=p2it-$TAG-gw NS_CLI=p2it-$TAG-cli NS_SRV=p2it-$TAG-srv
it_mkwork
WORK=$IT_WORK
STATS=$WORK/stats.json
CFG=$WORK/gw.cfg
T_START=$(it_now)
FAILED=()

hexkey() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# Gateway view: spi_in/key_in decrypt what the client sends.
SPI_IN=0x10$(hexkey 3) SPI_OUT=0x20$(hexkey 3)   # >= 256 and distinct
KEY_IN=$(hexkey "$KEY_LEN") KEY_OUT=$(hexkey "$KEY_LEN")
AUTH_IN="" AUTH_OUT="" AUTH_LINES="" ENCAP_LINE=""
if [ "$AUTH_LEN" -gt 0 ]; then
	AUTH_IN=$(hexkey "$AUTH_LEN") AUTH_OUT=$(hexkey "$AUTH_LEN")
	AUTH_LINES="    auth_key_in = \"$AUTH_IN\";\\n    auth_key_out = \"$AUTH_OUT\";"
fi
[ "$ENCAP" = 1 ] && ENCAP_LINE="    encap = { sport = 4500; dport = 4500; };"

# The client's SAs mirror the gateway's.
CLI_SA=(--local 172.16.10.2 --gateway 172.16.10.1 --suite "$SUITE"
	--spi-out "$SPI_IN" --key-out "$KEY_IN" --spi-in "$SPI_OUT" --key-in "$KEY_OUT"
	--vip 10.200.0.2)
[ -n "$AUTH_IN" ] && CLI_SA+=(--auth-key-out "$AUTH_IN" --auth-key-in "$AUTH_OUT")
[ "$ENCAP" = 1 ] && CLI_SA+=(--encap --sport 4500 --dport 4500)

sed -e "s|@FILE_PREFIX@|p2it-$TAG|" -e "s|@STATS_FILE@|$STATS|" \
	-e "s|@UPLINK_IFACE@|gw-up|" -e "s|@SUITE@|$SUITE|" \
	-e "s|@SPI_IN@|$SPI_IN|" -e "s|@SPI_OUT@|$SPI_OUT|" \
	-e "s|@KEY_IN@|$KEY_IN|" -e "s|@KEY_OUT@|$KEY_OUT|" \
	-e "s|@AUTH_KEYS@|$AUTH_LINES|" -e "s|@ENCAP@|$ENCAP_LINE|" \
	"$HERE/gw.cfg.in" >"$CFG"

echo "esp_tunnel: suite=$SUITE encap=$ENCAP up=${MB_UP}MB down=${MB_DOWN}MB"

step() { it_step "$@"; }

# abort MSG: a precondition failed; show the logs and stop.
abort() {
	echo "FAIL $1"
	for f in "$WORK"/dp.log "$WORK"/cp.log "$WORK"/client.log; do
		[ -f "$f" ] && { echo "--- $(basename "$f")"; tail -n 20 "$f"; }
	done
	exit 1
}

start_gateway() {
	it_topology "$NS_GW" "$NS_CLI" "$NS_SRV"
	ip netns exec "$NS_GW" "$DP_BIN" -c "$CFG" --check >"$WORK/check.log" 2>&1 || \
		{ cat "$WORK/check.log"; abort "--check rejects the generated config"; }
	it_bg DP "$NS_GW" 1 "$WORK/dp.log" "$DP_BIN" -c "$CFG"
	it_wait_line "$WORK/dp.log" '^p2sgw-dataplane: ready' 60 "$DP" || \
		abort "dataplane did not print 'p2sgw-dataplane: ready' within 60 s"
	it_bg CP "$NS_GW" 0 "$WORK/cp.log" "$CP_BIN" -c "$CFG"
	it_wait_tunnel "$NS_GW" "$CTL_BIN" "$CFG" it-client 20 "$CP" || \
		abort "p2sgw-control did not install the static tunnel within 20 s"
}

start_client() {
	it_bg CLIENT "$NS_CLI" 0 "$WORK/client.log" "$PY" "$TOOLS/esp_client.py" \
		--tun esp0 "${CLI_SA[@]}" --route 10.10.0.0/24
	it_wait_line "$WORK/client.log" '^esp_client: ready' 20 "$CLIENT" || \
		abort "esp_client did not start"
}

# ICMP to the gateway from inside a tunnel also belongs to its kernel.
tunnel_to_gateway() {
	it_ping_some "$NS_CLI" 10.10.0.1 && return 0
	it_stats_fresh "$DP" "$STATS"
	echo "no replies; to_host=$(counter counters.to_host)" \
		"arp_out=$(counter counters.arp_out)" \
		"arp_unresolved=$(counter drops.arp_unresolved)"
	return 1
}

tcp_up() {
	local t
	it_make_file "$WORK/up.bin" "$MB_UP"
	t=$(it_tcp_send "$NS_CLI" "$NS_SRV" 10.10.0.10 5001 "$WORK/up.bin" \
		"$WORK/up.rx" 120) || { echo "transfer failed or sha256 differs"; return 1; }
	echo "$MB_UP MB in ${t}s, $(awk -v m="$MB_UP" -v t="$t" 'BEGIN { printf "%.1f", m * 8 / t }') Mbit/s"
}

tcp_down() {
	local t
	it_make_file "$WORK/down.bin" "$MB_DOWN"
	t=$(it_tcp_fetch "$NS_CLI" "$NS_SRV" 10.10.0.10 5002 "$WORK/down.bin" \
		"$WORK/down.rx" 120) || { echo "transfer failed or sha256 differs"; return 1; }
	echo "$MB_DOWN MB in ${t}s, $(awk -v m="$MB_DOWN" -v t="$t" 'BEGIN { printf "%.1f", m * 8 / t }') Mbit/s"
}

stop_client() {
	it_stop_pid "$CLIENT" 5
	grep '^esp_client: sent' "$WORK/client.log" | sed 's/^esp_client: //'
	grep -q ' decrypt_failed=0 ' "$WORK/client.log" || return 1
}

inject() {
	ip netns exec "$NS_CLI" "$PY" "$TOOLS/esp_inject.py" "${CLI_SA[@]}" \
		--dst 10.10.0.10 "$@"
}

counter() { it_stat "$STATS" "$@"; }

# expect_drop COUNTER INJECT-ARGS...: the injection raises drops.COUNTER by
# exactly one (waits up to 5 s for it, then 0.5 s more for an overshoot).
expect_drop() {
	local name=$1 before after i out
	shift
	it_stats_fresh "$DP" "$STATS" || { echo "no stats file"; return 1; }
	before=$(counter "drops.$name")
	out=$(inject "$@") || { echo "esp_inject failed: $out"; return 1; }
	for ((i = 0; i < 50; i++)); do
		it_stats_fresh "$DP" "$STATS"
		after=$(counter "drops.$name")
		[ "$after" -gt "$before" ] 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.5
	it_stats_fresh "$DP" "$STATS"
	after=$(counter "drops.$name")
	[ "$after" = $((before + 1)) ] || { echo "drops.$name $before -> $after, want +1"; return 1; }
	echo "drops.$name $before -> $after${out:+, $(echo "$out" | tail -n 1 | sed 's/^esp_inject: //')}"
}

valid_reply() {
	local out
	out=$(inject --seq 0x10000000 --wait-reply 3)
	echo "$out" | grep -q '^esp_inject: 1 valid reply' || { echo "$out"; return 1; }
}

# The same valid packet twice: one replay drop and exactly one echo reply.
duplicate() {
	expect_drop esp_replay --duplicate 0x10000005 --wait-reply 2 >"$WORK/dup.out"
	local rc=$?
	cat "$WORK/dup.out"
	[ $rc -eq 0 ] && grep -q '1 valid reply$' "$WORK/dup.out"
}

# stop_gateway SIGNAL: both processes exit 0 within 10 s; the dataplane
# leaves a stats file.
stop_gateway() {
	local rc before i
	kill -"$1" "$CP" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$CP" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$CP" 2>/dev/null && { echo "p2sgw-control still running 10 s after SIG$1"; return 1; }
	wait "$CP"; rc=$?
	[ $rc -eq 0 ] || { echo "p2sgw-control exit status $rc"; return 1; }
	before=$(stat -c %i.%Y "$STATS" 2>/dev/null)
	kill -"$1" "$DP" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$DP" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$DP" 2>/dev/null && { echo "still running 10 s after SIG$1"; return 1; }
	wait "$DP"; rc=$?
	[ $rc -eq 0 ] || { echo "exit status $rc"; return 1; }
	[ -s "$STATS" ] && [ "$(stat -c %i.%Y "$STATS")" != "$before" ] || \
		{ echo "no stats file written at exit"; return 1; }
}

check_counters() {
	local v
	read -r -a v <<<"$(counter counters.esp_in_packets counters.esp_out_packets \
		counters.to_host | tr '\n' ' ')"
	echo "esp_in=${v[0]} esp_out=${v[1]} to_host=${v[2]}"
	[ "${v[0]:-0}" -gt 0 ] && [ "${v[1]:-0}" -gt 0 ] && [ "${v[2]:-0}" -gt 0 ]
}

start_gateway
start_client
step "ping through the tunnel to 10.10.0.10" it_ping_some "$NS_CLI" 10.10.0.10 || \
	abort "no traffic through the tunnel; later steps would only repeat it"
step "ping the gateway 172.16.10.1 (exception path)" it_ping_some "$NS_CLI" 172.16.10.1
step "ping the gateway's vnet address 10.10.0.1 through the tunnel" tunnel_to_gateway
step "TCP client -> server" tcp_up
step "TCP server -> client" tcp_down
step "esp_client counters" stop_client
step "esp_inject valid packet, echo reply" valid_reply
step "tampered packet -> esp_bad_icv" expect_drop esp_bad_icv --seq 0x10000001 --tampered
step "inner source not the VIP -> inner_bad_src" expect_drop inner_bad_src \
	--seq 0x10000002 --spoof-src 10.200.0.99
step "inner destination outside p2s.routes -> inner_bad_dst" expect_drop inner_bad_dst \
	--seq 0x10000003 --dst 192.168.77.1
step "unknown SPI -> no_sa" expect_drop no_sa --seq 0x10000004 --spi-out 0x0badc0de
step "duplicate packet -> esp_replay" duplicate
step "dataplane counters" check_counters
# Both stop signals are covered: SIGINT in the ESP-in-UDP runs.
STOP_SIG=TERM
[ "$ENCAP" = 1 ] && STOP_SIG=INT
step "SIG$STOP_SIG: clean exit" stop_gateway "$STOP_SIG"

[ -s "$STATS" ] && it_stats_table "$STATS"
echo "esp_tunnel: suite=$SUITE encap=$ENCAP total $(it_elapsed "$T_START")s"
if [ ${#FAILED[@]} -gt 0 ]; then
	echo "--- dataplane log (last 30 lines)"
	tail -n 30 "$WORK/dp.log"
	echo "FAILED: ${FAILED[*]}"
	exit 1
fi
echo "PASS"
