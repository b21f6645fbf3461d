#!/usr/bin/env bash
# Run every test of p2sgw on a Debian 12 machine, as root:
#  1. tools/setup.sh: packages, hugepages, the -Werror build in ./build;
#  2. meson test: unit and integration suites (integration needs root and
#     creates its own network namespaces);
#  3. the unit suite again under ASan/UBSan (./build-asan);
#  4. the fuzz targets for a bounded time under ASan/UBSan (./build-fuzz).
# Ends with the line "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${P2SGW_FUZZ_SECONDS:-60}
passed=0
failed=0

summarise() {	# add the Ok/Fail counts of meson's summary in log $1
	local log=$1 ok fail to unexp
	ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -1)
	fail=$(awk '/^Fail:/ {print $2}' "$log" | tail -1)
	to=$(awk '/^Timeout:/ {print $2}' "$log" | tail -1)
	unexp=$(awk '/^Unexpected Pass:/ {print $3}' "$log" | tail -1)
	if [ -z "$ok" ]; then	# meson never got to run the tests
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + ok))
	failed=$((failed + ${fail:-0} + ${to:-0} + ${unexp:-0}))
}

run_meson_test() {	# $1 build dir, rest: meson test args
	local dir=$1 log
	shift
	log=$(mktemp)
	meson test -C "$dir" --print-errorlogs "$@" 2>&1 | tee "$log"
	summarise "$log"
	rm -f "$log"
}

if ! tools/setup.sh; then
	echo "setup or build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

run_meson_test build

if [ ! -d build-asan ]; then
	meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
fi
if ninja -C build-asan >/dev/null; then
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_meson_test build-asan --suite unit
else
	echo "ASan/UBSan build failed"
	failed=$((failed + 1))
fi

if [ ! -d build-fuzz ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Dwerror=true \
		-Dfuzz_seconds="$FUZZ_SECONDS" -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
fi
if ninja -C build-fuzz >/dev/null; then
	run_meson_test build-fuzz --suite fuzz
else
	echo "fuzz build failed"
	failed=$((failed + 1))
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
