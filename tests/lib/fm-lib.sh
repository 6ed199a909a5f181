# SPDX-License-Identifier: GPL-2.0-only
# Guest-side helpers for forkmirror cases; sourced after guest-lib.sh.

# devnum DEV: print MAJ:MIN of a block device, as dm prints it.
devnum() {
	cat "/sys/class/block/$(basename "$(readlink -f "$1")")/dev"
}

# dm_kname NAME: the kernel's name of a dm device (dm-N; /dev/mapper/NAME
# is a device node here, not a link, as there is no udev).
dm_kname() {
	echo "dm-$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ')"
}

# sectors DEV: size in 512-byte sectors.
sectors() {
	blockdev --getsz "$1"
}

fm_load() {
	modprobe dm-forkmirror || fail "modprobe dm-forkmirror failed"
}

# fm_wipe DEV...: zero the first MiB of each device (tracker superblock
# area, test data) so a case starts from a known state.
fm_wipe() {
	for d in "$@"; do
		dd if=/dev/zero of="$d" bs=1M count=1 oflag=direct 2>/dev/null ||
			fail "cannot wipe $d"
	done
}

# expect_table NAME EXPECTED: dmsetup table of NAME must be EXPECTED.
expect_table() {
	got=$(dmsetup table "$1") || fail "dmsetup table $1 failed"
	[ "$got" = "$2" ] || fail "table of $1: got '$got', want '$2'"
}

# status_field NAME N: the Nth field (1-based) of the forkmirror status,
# after '<start> <len> forkmirror'.
status_field() {
	dmsetup status "$1" | awk -v n="$(($2 + 3))" '{ print $n }'
}

# no_holders DEV...: nothing holds the devices open through the kernel.
no_holders() {
	for d in "$@"; do
		h=/sys/class/block/$(basename "$(readlink -f "$d")")/holders
		[ -z "$(ls "$h")" ] || fail "$d still has holders: $(ls "$h")"
	done
}

# fm_unload: every dm device gone and both modules removable, i.e. no
# leaked device or module reference.
fm_unload() {
	dmsetup remove_all || fail "dmsetup remove_all failed"
	[ "$(dmsetup ls)" = "No devices found" ] || fail "dm devices left: $(dmsetup ls)"
	rmmod dm_forkmirror || fail "rmmod dm_forkmirror failed: reference leaked"
	rmmod forkmirror_tracker || fail "rmmod forkmirror_tracker failed: reference leaked"
}

# same_as FILE DEV: the first (size of FILE) bytes of DEV equal FILE. The
# device's page cache is dropped first: data written through a device
# stacked on DEV bypasses it.
same_as() {
	blockdev --flushbufs "$2" || return 2
	realcmp -n "$(stat -c %s "$1")" "$1" "$2"
}

# Helpers for cases on the tracker store of device $T (its number $TN, its
# sysfs directory $SYS), with the test module fm_mark_test loaded.

# mark NAME REGION_SECTORS VOLUME_SECTORS FIRST COUNT: attach NAME, mark
# COUNT regions from FIRST durably, detach.
mark() {
	[ -d /sys/kernel/debug/fm_mark_test ] || mount -t debugfs debugfs /sys/kernel/debug
	echo "$TN $*" >/sys/kernel/debug/fm_mark_test/mark
}

# sysval FILE EXPECTED: $SYS/FILE must read EXPECTED.
sysval() {
	got=$(cat "$SYS/$1") || fail "cannot read $SYS/$1"
	[ "$got" = "$2" ] || fail "$SYS/$1: got '$got', want '$2'"
}

# log_byte VOLUME N: byte N of the volume's bitmap in its log file, hex.
log_byte() {
	dd if="$SYS/volumes/$1/log" bs=1 skip=$((80 + $2)) count=1 2>/dev/null |
		od -An -tx1 | tr -d ' \n'
}

# flip DEV BYTE: invert one byte of a device.
flip() {
	v=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	printf "$(printf '\\%03o' $((255 - v)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null ||
		fail "cannot write $1"
	sync
}

# dirty_of NAME: the <dirty> count of the forkmirror status.
dirty_of() {
	status_field "$1" 2 | cut -d/ -f1
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.1 s until it
# succeeds, at most SECONDS; prints the tenths of a second it took, or
# returns 1. Use it as
#   t=$(wait_until S COMMAND...) || fail "..."
wait_until() {
	local limit=$(($1 * 10)) t=0
	shift
	until "$@"; do
		[ "$t" -lt "$limit" ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
	echo "$t"
}

# no_marks NAME: true when NAME has no set bit.
no_marks() {
	[ "$(dirty_of "$1")" = 0 ]
}

# wait_no_marks NAME SECONDS: wait until NAME has no set bit (its intent
# marks cleared), at most SECONDS; prints the tenths of a second it took,
# or fails (returns 1, with the status on stderr). Use it as
#   t=$(wait_no_marks NAME S) || fail "..."
wait_no_marks() {
	wait_until "$2" no_marks "$1" && return 0
	echo "$1: marks not cleared within $2 s: $(dmsetup status "$1")" >&2
	return 1
}

# wait_state NAME STATE SECONDS: wait until the forkmirror device NAME is
# in STATE, at most SECONDS, or fail.
wait_state() {
	i=0
	while [ "$(status_field "$1" 1)" != "$2" ]; do
		[ $i -ge $(($3 * 10)) ] &&
			fail "$1 not $2 within $3 s: $(dmsetup status "$1")"
		sleep 0.1
		i=$((i + 1))
	done
}

# klog_time PATTERN: the kernel log's time stamp (s) of the last line
# matching PATTERN; nothing when none does.
klog_time() {
	dmesg | grep -e "$1" | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}

# wait_state_event NAME STATE SECS: as wait_state, but asleep in
# `dmsetup wait` between the device's events (every state change sends
# one) instead of polling, so the waiting takes no CPU from what it times.
wait_state_event() {
	end=$(($(date +%s) + $3))
	while :; do
		ev=$(dmsetup info -c --noheadings -o events "$1") ||
			fail "no event counter for $1"
		[ "$(status_field "$1" 1)" = "$2" ] && return 0
		left=$((end - $(date +%s)))
		[ $left -gt 0 ] || fail "$1 not $2 within $3 s: $(dmsetup status "$1")"
		timeout $left dmsetup wait "$1" "$ev" >/dev/null 2>&1
	done
}

# resync_setup MIB: the devices of a resync case: $P the primary, $B a
# dm-linear "bk" over the backup disk (to swap for dm-error), $T the
# store, all wiped; a volume of MIB MiB ($S sectors, $BYTES bytes) in
# 64 KiB regions ($REG sectors, $TOTAL regions).
resync_setup() {
	P=$PRIMARY T=$META
	fm_wipe "$P" "$BACKUP" "$T"
	REG=128
	S=$(($1 * 2048))
	TOTAL=$((S / REG))
	BYTES=$((S * 512))
	dmsetup create bk --table "0 $S linear $BACKUP 0" || fail "backup linear failed"
	B=/dev/mapper/bk
}

# swap_table NAME TABLE: replace the table of dm device NAME (a leg under
# a forkmirror device, to make it fail).
swap_table() {
	dmsetup suspend "$1" && dmsetup load "$1" --table "$2" && dmsetup resume "$1" ||
		fail "cannot load '$2' into $1"
}
