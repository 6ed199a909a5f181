#!/bin/sh
# Self-test of the test harness: disk order and sizes, kmod on demand,
# /dev/mapper without udev, fsdax pmem, and a crash between two phases
# (the runner kills QEMU at the marker; disks and pmem keep their content).
#@ phases: 2
#@ timeout: 240
#@ kill-on-marker: 1 FM-SELFTEST-KILL-NOW
. /tests/lib/guest-lib.sh

MIB=1048576
# Layout on $SPARE: the pattern's checksum in block 0, the "phase 1 ran to
# its end" tag at 1 MiB.
TAG_OFF_BLOCKS=256	# 4 KiB blocks

read_block() {	# DEV BLOCK4K: first line of that 4 KiB block
	dd if="$1" bs=4096 skip="$2" count=1 iflag=direct 2>/dev/null | head -n 1 | tr -d '\000'
}

write_line() {	# DEV BLOCK4K TEXT: TEXT, zero-padded to 4 KiB, written through
	printf '%s\n' "$3" >/tmp/line
	dd if=/tmp/line of="$1" bs=4096 seek="$2" count=1 conv=sync,notrunc,fsync \
		oflag=direct 2>/dev/null || fail "writing $1 block $2"
}

sum_of() {	# DEV: sha256 of its first MiB
	dd if="$1" bs=$MIB count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1
}

case $PHASE in
1)
	log "disks: $PRIMARY $BACKUP $SPARE $META"
	for d in $PRIMARY $BACKUP $SPARE $META; do
		[ -b "$d" ] || fail "$d missing"
		[ "$(blockdev --getsize64 "$d")" = $((256 * MIB)) ] ||
			fail "$d is not 256 MiB"
	done
	[ "$(type modprobe)" = "modprobe is a function" ] ||
		fail "guest-lib.sh does not route modprobe to kmod"
	# dm-zero is not loaded yet: dm asks the kernel, which runs
	# /sbin/modprobe (kmod); DM_DISABLE_UDEV=1 makes dmsetup create the node.
	dmsetup create fm-selftest-zero --table "0 2048 zero" || fail "dmsetup create (zero)"
	[ -b /dev/mapper/fm-selftest-zero ] || fail "/dev/mapper/fm-selftest-zero missing"
	blocks_equal /dev/mapper/fm-selftest-zero $META $MIB || fail "fresh META not zero"
	dmsetup remove fm-selftest-zero || fail "dmsetup remove"
	modprobe crc32c || fail "modprobe crc32c"
	expect_fail realcmp -s /dev/null /proc/version

	setup_pmem
	pmem_is_fsdax || fail "pmem0 not fsdax after setup_pmem"

	dd if=/dev/urandom of=/tmp/pattern bs=$MIB count=1 2>/dev/null
	dd if=/tmp/pattern of=$PRIMARY bs=$MIB count=1 oflag=direct conv=fsync 2>/dev/null ||
		fail "write $PRIMARY"
	dd if=/tmp/pattern of=/dev/pmem0 bs=$MIB count=1 oflag=direct conv=fsync 2>/dev/null ||
		fail "write pmem0"
	sum=$(sha256sum /tmp/pattern | cut -d' ' -f1)
	write_line $SPARE 0 "FMSELFTEST $sum"
	[ "$(sum_of $PRIMARY)" = "$sum" ] || fail "read-back of $PRIMARY differs"
	[ "$(sum_of /dev/pmem0)" = "$sum" ] || fail "read-back of pmem0 differs"
	log "pattern $sum written; waiting to be killed"
	echo FM-SELFTEST-KILL-NOW
	sleep 600
	write_line $SPARE $TAG_OFF_BLOCKS PHASE1-FINISHED
	;;
2)
	pmem_is_fsdax || fail "pmem0 is no longer fsdax after the restart"
	setup_pmem
	line=$(read_block $SPARE 0)
	case $line in
	"FMSELFTEST "*) sum=${line#FMSELFTEST } ;;
	*) fail "no checksum record on $SPARE (got '$line')" ;;
	esac
	[ "$(sum_of $PRIMARY)" = "$sum" ] || fail "$PRIMARY lost the phase-1 pattern"
	[ "$(sum_of /dev/pmem0)" = "$sum" ] || fail "pmem0 lost the phase-1 pattern"
	[ "$(read_block $SPARE $TAG_OFF_BLOCKS)" = PHASE1-FINISHED ] &&
		fail "phase 1 ran to its end: the kill did not happen"
	log "pattern $sum survived the kill"
	;;
*)
	fail "unexpected phase $PHASE"
	;;
esac
exit 0
