#!/bin/sh
# io_uring through a forkmirror device (which takes REQ_NOWAIT bios, like
# dm-linear) whose primary and backup have poll queues
# (virtio_blk.poll_queues=1): dm then offers polling on the device too.
# Writes submitted polled (io_uring with IOPOLL: REQ_POLLED and REQ_NOWAIT)
# and plain io_uring writes (REQ_NOWAIT on their first try) complete in
# online serial, online parallel and tracking modes, with no error counted:
# a write half polled on the backup's queue, which nobody polls, would
# hang; one failing for want of a request would take the backup offline.
# fio verifies every block, primary and backup compare byte for byte, and
# polled reads return what was written.
#@ timeout: 300
#@ disk-mib: 64
#@ append: virtio_blk.poll_queues=1
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
for d in "$P" "$B"; do
	v=$(cat /sys/block/${d#/dev/}/queue/io_poll) ||
		fail "no io_poll file for $d"
	[ "$v" = 1 ] || fail "$d has no poll queue (io_poll $v)"
done
if [ "$KERNEL_LABEL" = debug ]; then size=2M; else size=8M; fi
S=$(sectors "$P")

# uring_fio NAME HIPRI DEPTH OFFSET: io_uring random writes of 4-64 KiB
# with verification, polled if HIPRI is 1; a hang is a failure (the
# case's timeout, when fio cannot be killed).
uring_fio() {
	timeout 120 fio --name="$1" --filename=/dev/mapper/fm --direct=1 \
		--ioengine=io_uring --hipri="$2" --iodepth="$3" --rw=randwrite \
		--bsrange=4k-64k --offset="$4" --size=$size --verify=crc32c \
		--do_verify=1 --randrepeat=0 --output-format=terse \
		>/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out; fail "$1: io_uring fio failed or hung"; }
}

# mode LABEL FEATURES...: a volume over the two disks, io_uring writes
# (polled and not), then its status checked.
mode() {
	local label=$1 feat= dm
	shift
	[ $# -gt 0 ] && feat="$*"
	fm_wipe "$T"
	dmsetup create fm --table "0 $S forkmirror $P $B $T vol 1024 $feat" ||
		fail "$label: create failed"
	dm=$(dmsetup info -c --noheadings -o major,minor --separator : fm |
		tr -d " ")
	[ "$(cat /sys/dev/block/$dm/queue/io_poll)" = 1 ] ||
		fail "$label: dm does not offer polling on the device"
	log "$label: io_uring iopoll, queue depth 1"
	uring_fio "$label-poll1" 1 1 0
	log "$label: io_uring iopoll, queue depth 16"
	uring_fio "$label-poll16" 1 16 16M
	log "$label: io_uring, queue depth 16"
	uring_fio "$label-uring16" 0 16 32M
	st=$(dmsetup status fm)
	log "$label: $st"
	want=in_sync
	[ "$label" = tracking ] && want=tracking
	echo "$st" | awk -v w=$want '$4 != w || $8 != 0 || $9 != 0 {exit 1}' ||
		fail "$label: unexpected status (errors counted?): $st"
	dmsetup remove fm || fail "$label: remove failed"
}

mode serial
blocks_equal "$P" "$B" || fail "serial: primary and backup differ"
mode parallel 2 fork_mode parallel
blocks_equal "$P" "$B" || fail "parallel: primary and backup differ"

# Polled reads take dm's own polling path (the clone is remapped to the
# primary as it is) and return what was written.
fm_wipe "$T"
dmsetup create fm --table "0 $S forkmirror $P $B $T vol 1024" ||
	fail "create for reads failed"
timeout 120 fio --name=rd --filename=/dev/mapper/fm --direct=1 \
	--ioengine=io_uring --hipri=1 --iodepth=8 --rw=randread --bs=4k \
	--size=$size --output-format=terse >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out; fail "polled reads failed or hung"; }
blocks_equal /dev/mapper/fm "$P" || fail "device and primary differ"
dmsetup remove fm || fail "remove failed"

# Tracking: the backup is offline from the start, each write goes to the
# primary alone once its regions are marked.
mode tracking 2 start_offline no_auto_resync
fm_unload
