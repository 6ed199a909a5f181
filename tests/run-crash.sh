#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# `make crash`: the crash campaign. Runs tests/cases/crash-intent.sh
# CRASH_RUNS times (default 10) on Debian's stock kernel, each run killing
# the emulator once per mode (online serial, online parallel, tracking,
# no_intent_log) at a random instant, and checking after each kill that
# every region where primary and backup differ is marked. Prints each
# kill's figures (the "CRASH" lines: regions, differing, marked, queue
# depth) and, last, "N passed, N failed" over the runs.
set -euo pipefail
runs=${CRASH_RUNS:-10}

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kver=$(sh scripts/stock-kver.sh)
read -r kernel base overlay <<<"$(bash tests/lib/build-guest.sh "$kver" | tail -n 1)"
pass=0 failed=0
for i in $(seq 1 "$runs"); do
	out=$(python3 tests/lib/runner.py --kernel "$kernel" --initrd "$base" \
		--overlay "$overlay" --cases-dir tests/cases --kernel-label stock \
		--show-output crash-intent 2>&1) && rc=0 || rc=$?
	echo "$out" | grep -E 'CRASH |status before the kill|^(PASS|FAIL) ' |
		sed "s/^/run $i: /"
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
	else
		failed=$((failed + 1))
		echo "$out" | tail -n 80
	fi
done
echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
