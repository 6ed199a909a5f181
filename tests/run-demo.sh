#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demonstration: boots a QEMU guest on Debian's stock kernel, creates a
# forkmirror device over virtual disks, writes through it, shows `dmsetup
# table` and `dmsetup status`, and proves primary and backup are identical.
#
# run-demo.sh LABEL CASE runs another show-and-tell case the same way, under
# its own kernel label: `make bench` runs "bench bench" (the benchmark).
# Further arguments go to the runner (tests/lib/runner.py), e.g. --append
# "fm.rounds=30" and --timeout-scale 8 for `make bench-long`.
set -euo pipefail
label=${1:-demo}
case=${2:-demo}
shift $(($# < 2 ? $# : 2))

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kver=$(sh scripts/stock-kver.sh)
read -r kernel base overlay <<<"$(bash tests/lib/build-guest.sh "$kver" | tail -n 1)"
exec python3 tests/lib/runner.py --kernel "$kernel" --initrd "$base" \
	--overlay "$overlay" --cases-dir tests/cases --kernel-label "$label" \
	--show-output "$@" "$case"
