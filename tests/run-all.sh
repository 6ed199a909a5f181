#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The whole test suite (what `make check` and CI run after lint):
#   1. host unit tests (the harness's own log scanner, ...);
#   2. every case of tests/cases/ in its own QEMU guest on Debian's stock
#      kernel.
# Arguments: case names to run only those guest cases.
# The last line is "N passed, N failed", totalled over everything.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
jobs=${FM_JOBS:-2}

host_test() {
	local name=$1
	shift
	if "$@" >"/tmp/fm-host-$name.log" 2>&1; then
		echo "PASS host/$name"
		passed=$((passed + 1))
	else
		echo "FAIL host/$name"
		cat "/tmp/fm-host-$name.log"
		failed=$((failed + 1))
	fi
}

if [ $# -eq 0 ]; then
	host_test scanner python3 tests/lib/runner.py --self-test-scanner
	host_test tool-usage sh -c 'make -s -C tools && ! tools/forkmirror bogus 2>/dev/null'
fi

kver=$(sh scripts/stock-kver.sh)
if ! out=$(bash tests/lib/build-guest.sh "$kver"); then
	echo "FAIL build: guest image for $kver"
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
fi
read -r kernel base overlay <<<"$(echo "$out" | tail -n 1)"

python3 tests/lib/runner.py --kernel "$kernel" --initrd "$base" \
	--overlay "$overlay" --cases-dir tests/cases --jobs "$jobs" \
	--kernel-label stock "$@" | tee /tmp/fm-runner.log
rc=${PIPESTATUS[0]}
last=$(tail -n 1 /tmp/fm-runner.log)
if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	passed=$((passed + BASH_REMATCH[1]))
	failed=$((failed + BASH_REMATCH[2]))
else
	failed=$((failed + 1))
fi
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
