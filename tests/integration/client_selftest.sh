#!/usr/bin/env bash
# Self-test of tools/esp_client.py without the gateway: two namespaces joined
# by one veth, one client in each with mirrored SAs (A's outbound SA is B's
# inbound SA), then ping and a TCP transfer between the two virtual addresses.
# This checks the test peer itself, so gateway failures are not blamed on it.
#
# Client B always uses the fast path (scapy's transforms of the SA, framing
# done by the client); client A uses it too, and then once more per suite
# SecurityAssociation.encrypt/decrypt on every packet (--full-scapy), so the
# fast path is checked against scapy's complete ESP implementation.
#
# usage: client_selftest.sh [--client PATH] [--suite S]... [--mb N]
#   default: all three suites, plain ESP and ESP in UDP, 2 MB each way,
#   plus a full-scapy run of each suite (1 MB; ESP in UDP for GCM).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

CLIENT="$HERE/../../tools/esp_client.py"
INJECT="$HERE/../../tools/esp_inject.py"
SUITES=()
MB=2
while [ $# -gt 0 ]; do
	case $1 in
	--client) CLIENT=$2; INJECT=$(dirname "$2")/esp_inject.py; shift 2 ;;
	--suite) SUITES+=("$2"); shift 2 ;;
	--mb) MB=$2; shift 2 ;;
	*) echo "usage: $0 [--client PATH] [--suite S]... [--mb N]" >&2; exit 2 ;;
	esac
done
[ ${#SUITES[@]} -gt 0 ] || SUITES=(aes256gcm16 aes256-sha256 aes256-sha1)

it_require_root
it_require_tools socat ip taskset ping ss sha256sum
it_traps
it_mkwork
WORK=$IT_WORK
NS_A=p2st-$$-a
NS_B=p2st-$$-b

KEY_AB_GCM=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304
KEY_BA_GCM=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100a0b0c0d0
KEY_AB=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KEY_BA=1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
AUTH_AB=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf
AUTH_BA=c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf

# sa_args SUITE DIR: key options for the direction "ab" or "ba".
sa_args() {
	local suite=$1 dir=$2 key auth
	case $suite in
	aes256gcm16) [ "$dir" = ab ] && key=$KEY_AB_GCM || key=$KEY_BA_GCM; auth="" ;;
	aes256-sha256) [ "$dir" = ab ] && { key=$KEY_AB; auth=$AUTH_AB; } || { key=$KEY_BA; auth=$AUTH_BA; } ;;
	aes256-sha1) [ "$dir" = ab ] && { key=$KEY_AB; auth=${AUTH_AB:0:40}; } || { key=$KEY_BA; auth=${AUTH_BA:0:40}; } ;;
	esac
	echo "$key" "$auth"
}

# start_pair SUITE ENCAP(0|1) [extra options for client A]: start both
# clients (pids in PA and PB) and set A_SA, the SA options esp_inject.py
# needs to act as client A.
start_pair() {
	local suite=$1 encap=$2 ab ba enc=() a_out b_out
	shift 2
	read -r -a ab <<<"$(sa_args "$suite" ab)"
	read -r -a ba <<<"$(sa_args "$suite" ba)"
	[ "$encap" = 1 ] && enc=(--encap --sport 4500 --dport 4500)
	a_out=(--key-out "${ab[0]}") b_out=(--key-out "${ba[0]}")
	local a_in=(--key-in "${ba[0]}") b_in=(--key-in "${ab[0]}")
	if [ ${#ab[@]} -gt 1 ]; then
		a_out+=(--auth-key-out "${ab[1]}"); a_in+=(--auth-key-in "${ba[1]}")
		b_out+=(--auth-key-out "${ba[1]}"); b_in+=(--auth-key-in "${ab[1]}")
	fi
	A_SA=(--local 172.31.0.1 --gateway 172.31.0.2 --suite "$suite" "${enc[@]}"
		--spi-out 0x100 "${a_out[@]}" --spi-in 0x200 "${a_in[@]}" --vip 10.201.0.1)
	it_bg PA "$NS_A" 0 "$WORK/a.log" "$PY" "$CLIENT" --tun esp0 \
		--local 172.31.0.1 --gateway 172.31.0.2 --suite "$suite" "${enc[@]}" \
		--spi-out 0x100 "${a_out[@]}" --spi-in 0x200 "${a_in[@]}" \
		--vip 10.201.0.1 --route 10.201.0.2/32 "$@"
	it_bg PB "$NS_B" 1 "$WORK/b.log" "$PY" "$CLIENT" --tun esp0 \
		--local 172.31.0.2 --gateway 172.31.0.1 --suite "$suite" "${enc[@]}" \
		--spi-out 0x200 "${b_out[@]}" --spi-in 0x100 "${b_in[@]}" \
		--vip 10.201.0.2 --route 10.201.0.1/32
	it_wait_line "$WORK/a.log" 'esp_client: ready' 15 "$PA" || { cat "$WORK/a.log"; return 1; }
	it_wait_line "$WORK/b.log" 'esp_client: ready' 15 "$PB" || { cat "$WORK/b.log"; return 1; }
}

# one_case SUITE ENCAP(0|1) MB [extra options for client A]
one_case() {
	local suite=$1 encap=$2 mb=$3 t
	shift 3
	start_pair "$suite" "$encap" "$@" || return 1
	it_ping "$NS_A" 10.201.0.2 3 || { echo "ping failed"; return 1; }
	head -c $((mb * 1048576)) "$WORK/data" >"$WORK/tx"
	t=$(it_tcp_send "$NS_A" "$NS_B" 10.201.0.2 5001 "$WORK/tx" "$WORK/rx1" 120) || \
		{ echo "TCP A->B failed"; return 1; }
	echo "  $suite encap=$encap: ${mb} MB A->B in ${t}s" \
		"($(awk -v m="$mb" -v t="$t" 'BEGIN { printf "%.1f", m * 8 / t }') Mbit/s)"
	t=$(it_tcp_fetch "$NS_A" "$NS_B" 10.201.0.2 5002 "$WORK/tx" "$WORK/rx2" 120) || \
		{ echo "TCP B->A failed"; return 1; }
	echo "  $suite encap=$encap: ${mb} MB B->A in ${t}s" \
		"($(awk -v m="$mb" -v t="$t" 'BEGIN { printf "%.1f", m * 8 / t }') Mbit/s)"
	it_stop_pid "$PA"; it_stop_pid "$PB"
	echo "  A: $(grep 'esp_client: sent' "$WORK/a.log")"
	echo "  B: $(grep 'esp_client: sent' "$WORK/b.log")"
	grep -q 'decrypt_failed=0 ' "$WORK/a.log" && grep -q 'decrypt_failed=0 ' "$WORK/b.log"
}

it_netns "$NS_A" "$NS_B"
it_veth "$NS_A" veth0 "$NS_B" veth0
ip -n "$NS_A" addr add 172.31.0.1/24 dev veth0
ip -n "$NS_B" addr add 172.31.0.2/24 dev veth0
it_make_file "$WORK/data" "$MB"

# inject_case SUITE ENCAP: esp_inject.py as client A against client B:
# a valid packet gets its echo reply, a duplicate gets two (the client keeps
# no replay window), a tampered one fails to decrypt at B.
inject_case() {
	local n
	start_pair "$1" "$2" || return 1
	it_ping "$NS_A" 10.201.0.2 2 || { echo "ping failed"; return 1; }
	it_stop_pid "$PA"    # frees A's UDP port for the replies
	ip -n "$NS_A" addr add 10.201.0.1/32 dev lo   # A's kernel must not answer
	ip netns exec "$NS_A" "$PY" "$INJECT" "${A_SA[@]}" --dst 10.201.0.2 \
		--seq 1000 --wait-reply 3 | grep -q '^esp_inject: 1 valid reply' || \
		{ echo "valid injected packet: no reply"; return 1; }
	ip netns exec "$NS_A" "$PY" "$INJECT" "${A_SA[@]}" --dst 10.201.0.2 \
		--duplicate 1001 --wait-reply 3 | grep -q '^esp_inject: 2 valid replies' || \
		{ echo "duplicate: expected 2 replies"; return 1; }
	ip netns exec "$NS_A" "$PY" "$INJECT" "${A_SA[@]}" --dst 10.201.0.2 \
		--seq 1002 --tampered >/dev/null || return 1
	ip netns exec "$NS_A" "$PY" "$INJECT" "${A_SA[@]}" --dst 10.201.0.2 \
		--seq 1003 --spoof-src 10.201.0.99 >/dev/null || return 1
	sleep 0.5
	ip -n "$NS_A" addr del 10.201.0.1/32 dev lo
	it_stop_pid "$PB"
	echo "  B: $(grep 'esp_client: sent' "$WORK/b.log")"
	# valid 1 + duplicate 2 + spoofed 1, and the tampered one
	grep -q 'received=[0-9]*[4-9] decrypt_failed=1 ' "$WORK/b.log" || \
		{ n=$(grep -o 'received=[0-9]* decrypt_failed=[0-9]*' "$WORK/b.log"); \
		  echo "B counters unexpected: $n"; return 1; }
}

rc=0
PA=0 PB=0
# run LABEL ARGS...: one case, reported as ok/FAIL with its time.
run() {
	local label=$1 t0
	shift
	t0=$(it_now)
	if "$@"; then
		echo "ok   $label ($(it_elapsed "$t0")s)"
	else
		echo "FAIL $label"; rc=1
		tail -n 5 "$WORK/a.log" "$WORK/b.log"
	fi
	it_stop_pid "$PA"; it_stop_pid "$PB"
	ip -n "$NS_A" addr del 10.201.0.1/32 dev lo 2>/dev/null
}
for suite in "${SUITES[@]}"; do
	for encap in 0 1; do
		run "$suite encap=$encap" one_case "$suite" "$encap" "$MB"
	done
	encap=0; [ "$suite" = aes256gcm16 ] && encap=1
	run "$suite encap=$encap full-scapy" one_case "$suite" "$encap" 1 --full-scapy
done
run "esp_inject aes256gcm16 encap=0" inject_case aes256gcm16 0
run "esp_inject aes256-sha256 encap=1" inject_case aes256-sha256 1
exit $rc
