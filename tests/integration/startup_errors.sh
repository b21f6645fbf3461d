#!/usr/bin/env bash
# Start-up errors of the dataplane: each must end the process with a
# non-zero status and one line on stderr, "p2sgw-dataplane: error: ...".
#
#   - a valid configuration passes --check (status 0, nothing on stderr)
#   - a syntax error, a key of the wrong length and an unknown setting:
#     --check and a normal start both fail, naming FILE:LINE of the culprit
#   - a port on an interface that does not exist (in a namespace of ours):
#     the start fails within 60 s with one error line naming the interface
#     or the port
#
# usage: startup_errors.sh --dataplane BIN
# Needs root (exit 77 otherwise).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

DP_BIN=""
while [ $# -gt 0 ]; do
	case $1 in
	--dataplane) DP_BIN=$2; shift 2 ;;
	*) echo "usage: $0 --dataplane BIN" >&2; exit 2 ;;
	esac
done

it_require_root
it_require_tools ip timeout
[ -x "$DP_BIN" ] || it_fail "dataplane binary '$DP_BIN' not found (build first)"
DP_BIN=$(realpath "$DP_BIN")
it_traps
it_mkwork
WORK=$IT_WORK
NS=p2it-err-gw
FAILED=()
T_START=$(it_now)

# make_cfg OUT [UPLINK_IFACE]: a valid configuration (GCM, ESP in UDP).
make_cfg() {
	sed -e "s|@FILE_PREFIX@|p2it-err|" -e "s|@STATS_FILE@|$WORK/stats.json|" \
		-e "s|@UPLINK_IFACE@|${2:-gw-up}|" -e "s|@SUITE@|aes256gcm16|" \
		-e "s|@SPI_IN@|0x1001|" -e "s|@SPI_OUT@|0x2001|" \
		-e "s|@KEY_IN@|$(printf '11%.0s' {1..36})|" \
		-e "s|@KEY_OUT@|$(printf '22%.0s' {1..36})|" \
		-e "s|@AUTH_KEYS@||" \
		-e "s|@ENCAP@|    encap = { sport = 4500; dport = 4500; };|" \
		"$HERE/gw.cfg.in" >"$1"
	# With the IKEv2 responder's certificates (the example PKI): a config
	# with ikev2 and no certificate loads with a warning, and this one
	# must load silently.
	cat >>"$1" <<EOF
auth = {
  root_cas = [ "$HERE/../../config/example-pki/ca.pem" ];
  certificate = "$HERE/../../config/example-pki/gw.pem";
  private_key = "$HERE/../../config/example-pki/gw.key";
};
EOF
}

# line_of FILE REGEX: number of the first matching line.
line_of() { grep -nE "$2" "$1" | head -n 1 | cut -d: -f1; }

# one_error_line ERRFILE: stderr holds exactly one line, the error line.
one_error_line() {
	local n
	n=$(wc -l <"$1")
	[ "$n" -eq 1 ] || { echo "stderr has $n lines, want 1:"; sed 's/^/  | /' "$1"; return 1; }
	grep -q '^p2sgw-dataplane: error: ' "$1" || \
		{ echo "not an error line: $(cat "$1")"; return 1; }
}

# expect_cfg_error NAME CFG LINE [--check]: exits non-zero, one error line
# that names CFG:LINE.
expect_cfg_error() {
	local name=$1 cfg=$2 line=$3 rc
	shift 3
	ip netns exec "$NS" timeout 30 "$DP_BIN" -c "$cfg" "$@" \
		>"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "exit status $rc, want non-zero"; return 1; }
	one_error_line "$WORK/err" || return 1
	grep -qF "$cfg:$line" "$WORK/err" || \
		{ echo "does not name $cfg:$line: $(cat "$WORK/err")"; return 1; }
	! grep -q 'ready' "$WORK/out" || { echo "printed ready"; return 1; }
	sed "s|$WORK/||" "$WORK/err"
}

step() {
	local name=$1 t0 rc
	shift
	t0=$(it_now)
	"$@" >"$WORK/step.out" 2>&1; rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok   $name ($(it_elapsed "$t0")s)"
		sed 's/^/     /' "$WORK/step.out"
	else
		echo "FAIL $name"
		sed 's/^/     /' "$WORK/step.out"
		FAILED+=("$name")
	fi
}

check_good() {
	ip netns exec "$NS" timeout 30 "$DP_BIN" -c "$WORK/good.cfg" --check \
		>"$WORK/out" 2>"$WORK/err"
	local rc=$?
	[ $rc -eq 0 ] || { echo "exit status $rc"; cat "$WORK/err"; return 1; }
	[ ! -s "$WORK/err" ] || { echo "stderr not empty:"; cat "$WORK/err"; return 1; }
}

# Each broken file differs from good.cfg in one line.
make_broken() {
	sed 's/^\(  ttl = \)64;/\1= 64;/' "$WORK/good.cfg" >"$WORK/syntax.cfg"
	sed 's/^\(    key_in = "\)11/\1/' "$WORK/good.cfg" >"$WORK/keylen.cfg"
	sed 's/^\(  replay_window\)/\1s/' "$WORK/good.cfg" >"$WORK/unknown.cfg"
	L_SYNTAX=$(line_of "$WORK/syntax.cfg" '^  ttl = = 64;')
	L_KEYLEN=$(line_of "$WORK/keylen.cfg" '^    key_in = ')
	L_UNKNOWN=$(line_of "$WORK/unknown.cfg" '^  replay_windows')
	[ -n "$L_SYNTAX" ] && [ -n "$L_KEYLEN" ] && [ -n "$L_UNKNOWN" ] || \
		it_fail "gw.cfg.in changed: cannot place the broken lines"
}

missing_iface() {
	local rc t0
	make_cfg "$WORK/noiface.cfg" p2it-nosuch0
	t0=$(it_now)
	ip netns exec "$NS" taskset -c 1 timeout 60 "$DP_BIN" -c "$WORK/noiface.cfg" \
		>"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc -ne 124 ] || { echo "still running after 60 s"; return 1; }
	[ $rc -ne 0 ] || { echo "exit status 0, want non-zero"; return 1; }
	grep -q 'ready' "$WORK/out" && { echo "printed ready"; return 1; }
	local n
	n=$(grep -c '^p2sgw-dataplane: error: ' "$WORK/err")
	[ "$n" -eq 1 ] || { echo "$n error lines, want 1:"; sed 's/^/  | /' "$WORK/err"; return 1; }
	grep '^p2sgw-dataplane: error: ' "$WORK/err" | grep -qE 'p2it-nosuch0|uplink' || \
		{ echo "error line names neither the interface nor the port:"; cat "$WORK/err"; return 1; }
	grep '^p2sgw-dataplane: error: ' "$WORK/err"
	[ "$(wc -l <"$WORK/err")" -eq 1 ] || \
		{ echo "note: $(($(wc -l <"$WORK/err") - 1)) other line(s) on stderr:"; \
		  grep -v '^p2sgw-dataplane: error: ' "$WORK/err" | sed 's/^/  | /'; }
	echo "exit status $rc after $(it_elapsed "$t0")s"
}

# No usable hugepages: point EAL at a directory that is not hugetlbfs.
no_hugepages() {
	local rc
	sed 's|eal_args = \[ "--no-pci" \];|eal_args = [ "--no-pci", "--huge-dir=/nonexistent-p2sgw" ];|' \
		"$WORK/good.cfg" >"$WORK/nohuge.cfg"
	grep -q nonexistent-p2sgw "$WORK/nohuge.cfg" || { echo "gw.cfg.in changed"; return 1; }
	ip netns exec "$NS" taskset -c 1 timeout 60 "$DP_BIN" -c "$WORK/nohuge.cfg" \
		>"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "exit status $rc, want non-zero"; return 1; }
	grep -q 'ready' "$WORK/out" && { echo "printed ready"; return 1; }
	[ "$(grep -c '^p2sgw-dataplane: error: ' "$WORK/err")" -eq 1 ] || \
		{ echo "want one error line:"; sed 's/^/  | /' "$WORK/err"; return 1; }
	grep '^p2sgw-dataplane: error: ' "$WORK/err" | grep -q 'hugepages' || \
		{ echo "error line does not mention hugepages:"; cat "$WORK/err"; return 1; }
	grep '^p2sgw-dataplane: error: ' "$WORK/err"
}

it_netns "$NS"
make_cfg "$WORK/good.cfg"
make_broken
step "valid config: --check exits 0" check_good
step "syntax error: --check" expect_cfg_error syntax "$WORK/syntax.cfg" "$L_SYNTAX" --check
step "syntax error: start" expect_cfg_error syntax "$WORK/syntax.cfg" "$L_SYNTAX"
step "key of the wrong length: --check" expect_cfg_error keylen "$WORK/keylen.cfg" "$L_KEYLEN" --check
step "key of the wrong length: start" expect_cfg_error keylen "$WORK/keylen.cfg" "$L_KEYLEN"
step "unknown setting: --check" expect_cfg_error unknown "$WORK/unknown.cfg" "$L_UNKNOWN" --check
step "port on a missing interface" missing_iface
step "no hugepages" no_hugepages

echo "startup_errors: total $(it_elapsed "$T_START")s"
if [ ${#FAILED[@]} -gt 0 ]; then
	echo "FAILED: ${FAILED[*]}"
	exit 1
fi
echo "PASS"
