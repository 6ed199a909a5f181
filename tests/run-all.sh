#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The whole test suite (what `make check` and CI run after lint):
#   1. host tests: the harness's own log scanner and KTAP parser, the
#      KUnit suites of the pure code built for userspace (tests/host), a
#      bounded run of the store-image fuzzer (tests/fuzz);
#   2. every case of tests/cases/ in its own QEMU guest on Debian's stock
#      kernel;
#   3. the debug kernel (built once from linux-source-6.1 and cached): lint
#      of the KUnit code against it, then the KUnit suites and the cases of
#      tests/debug-subset.txt, with timeouts scaled for its slowness.
# Arguments: case names to run only those guest cases (on both kernels;
# the debug kernel runs those of them in its subset, or all of them with
# FM_DEBUG_SUBSET=all; with no names, FM_DEBUG_SUBSET=all gives the debug
# kernel every case but the benchmarks: make check-debug). FM_KERNELS="stock"
# or "debug" runs one kernel only.
# The last line is "N passed, N failed", totalled over everything.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
passed=0
failed=0
jobs=${FM_JOBS:-2}
kernels=${FM_KERNELS:-stock debug}
summary=()
logs=$(mktemp -d /tmp/fm-run-all.XXXXXX)
trap 'rm -rf "$logs"' EXIT

count() {
	if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

host_test() {
	local name=$1 rc
	shift
	"$@" >"$logs/host-$name.log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS host/$name"
	else
		echo "FAIL host/$name"
		cat "$logs/host-$name.log"
	fi
	count $rc
}

# host_suite NAME CMD...: CMD prints a PASS/FAIL line per case and
# "N passed, N failed" last; each of its cases counts in the totals.
host_suite() {
	local name=$1 rc last
	shift
	"$@" >"$logs/host-$name.log" 2>&1
	rc=$?
	last=$(tail -n 1 "$logs/host-$name.log")
	if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		grep -E '^(PASS|FAIL|    )' "$logs/host-$name.log" | grep -v '^PASS' || true
		echo "host/$name: $last"
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		[ "$rc" = 0 ] || [ "${BASH_REMATCH[2]}" != 0 ] || count 1
	else
		echo "FAIL host/$name: no result line"
		tail -n 40 "$logs/host-$name.log"
		count 1
	fi
}

# run_guests LABEL KVER RUNNER_ARGS...: build the guest for KVER, run the
# runner, add its totals.
run_guests() {
	local label=$1 kver=$2 out kernel base overlay rc last t0
	shift 2
	t0=$(date +%s)
	if ! out=$(bash tests/lib/build-guest.sh "$kver"); then
		echo "FAIL $label/build: guest image for $kver"
		count 1
		return
	fi
	read -r kernel base overlay <<<"$(echo "$out" | tail -n 1)"
	python3 tests/lib/runner.py --kernel "$kernel" --initrd "$base" \
		--overlay "$overlay" --cases-dir tests/cases --jobs "$jobs" \
		--kernel-label "$label" "$@" | tee "$logs/runner-$label.log"
	rc=${PIPESTATUS[0]}
	last=$(tail -n 1 "$logs/runner-$label.log")
	if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		summary+=("$label kernel ($kver): $last in $(( $(date +%s) - t0 )) s")
	else
		count 1
		summary+=("$label kernel ($kver): runner did not finish")
	fi
	[ "$rc" = 0 ] || [[ "$last" =~ [1-9][0-9]*\ failed$ ]] || count 1
}

# The whole run is one function, read by bash before any of it runs, so
# editing this file during a run cannot change the running suite.
main() {
	if [ $# -eq 0 ]; then
		host_test scanner python3 tests/lib/runner.py --self-test-scanner
		host_test tool-usage sh -c 'make -s -C tools && ! tools/forkmirror bogus 2>/dev/null'
		host_suite tool make -s -C tools test
		host_suite tool-store make -s -C tools test-store
		host_test docs python3 scripts/check-docs.py
		host_test doc-examples-marked python3 scripts/doc-examples.py check
		host_test packages bash tests/host/check-packages.sh
		host_test install bash tests/host/check-install.sh
		host_suite kunit make -s -C tests/host run
		host_test fuzz make -s -C tests/fuzz run RUNS="${FM_FUZZ_RUNS:-100000}"
	fi

	if [[ " $kernels " == *" stock "* ]]; then
		run_guests stock "$(sh scripts/stock-kver.sh)" "$@"
	fi

	if [[ " $kernels " == *" debug "* ]]; then
		mapfile -t subset < <(grep -Ev '^\s*(#|$)' tests/debug-subset.txt)
		if [ $# -eq 0 ] && [ "${FM_DEBUG_SUBSET:-}" = all ]; then
			# Every case the debug kernel may run (make check-debug).
			mapfile -t subset < <(python3 tests/lib/runner.py --list --cases-dir tests/cases |
				grep -Evx 'bench|bench-resync')
		elif [ $# -gt 0 ] && [ "${FM_DEBUG_SUBSET:-}" = all ]; then
			subset=("$@")
		elif [ $# -gt 0 ]; then
			want=()
			for c in "$@"; do
				[[ " ${subset[*]} " == *" $c "* ]] && want+=("$c")
			done
			subset=("${want[@]}")
		fi
		if [ ${#subset[@]} -gt 0 ]; then
			if dk=$(bash tests/kernel/build-debug-kernel.sh | tail -n 1) && [ -n "$dk" ]; then
				read -r dimage dobj dmods dkrel <<<"$dk"
				[ $# -gt 0 ] || host_test lint-debug-kernel env KDIR="$dobj" \
					bash scripts/lint.sh --build-only
				# no5lvl: QEMU's "max" CPU offers LA57, and 6.1's generic
				# KASAN decides whether an address has shadow through
				# pgtable_l5_enabled(), which reads the boot CPU's feature
				# bits.  identify_cpu() clears and refills those bits with
				# interrupts on, so an interrupt in that window reports a
				# "wild-memory-access in rcu_is_watching" at ~0.006 s of
				# boot, before any of our code exists.  4-level paging
				# closes that window; our code does not care which it gets.
				# tsc=reliable: the TSC of a TCG guest comes from QEMU's
				# virtual clock, the same for every vCPU, so the TSC sync
				# check at SMP bring-up (a spin between two vCPU threads,
				# slow on a loaded host) is skipped.  It does not cure the
				# rare "stalled in early boot" (one more was seen with it);
				# the runner's retry covers those until the cause is found.
				FM_KDIR=$dobj FM_KERNEL=$dimage FM_MODDIR=$dmods \
					run_guests debug "$dkrel" --boot bzimage --timeout-scale "${FM_DEBUG_SCALE:-5}" \
					--append "no5lvl tsc=reliable" "${subset[@]}"
				summary+=("debug kernel subset (tests/debug-subset.txt): ${subset[*]}")
			else
				echo "FAIL debug/build: the debug kernel did not build"
				count 1
			fi
		fi
	fi

	echo "---- summary ----"
	for l in "${summary[@]}"; do
		echo "$l"
	done
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

main "$@"
exit
