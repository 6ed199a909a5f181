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
# polled reads return what was written; reads the primary refuses with
# "try again" (its queue full) count no error.
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
# A read the primary refuses with "try again" (REQ_NOWAIT, its queue full:
# cut here to 4 requests, io_uring reading at depth 64) is no primary
# error and counts none. Polled ones may reach fio as EAGAIN: 6.1's dm
# hands them on so over dm-linear as well; anything else is a failure.
q=/sys/block/${P#/dev/}/queue/nr_requests
nr=$(cat $q)
echo 4 >$q || fail "cannot set $q"
for hipri in 1 0; do
	timeout 120 fio --name=rd --filename=/dev/mapper/fm --direct=1 \
		--ioengine=io_uring --hipri=$hipri --iodepth=64 --rw=randread \
		--bs=4k --size=$size --output-format=terse >/tmp/fio.out 2>&1 ||
		grep -q "Resource temporarily unavailable" /tmp/fio.out ||
		{ cat /tmp/fio.out; fail "reads at depth 64 (hipri=$hipri) failed or hung"; }
done
echo "$nr" >$q
st=$(dmsetup status fm)
log "reads against a full primary queue: $st"
echo "$st" | awk '$4 != "in_sync" || $8 != 0 || $9 != 0 {exit 1}' ||
	fail "reads refused with AGAIN counted as errors: $st"
blocks_equal /dev/mapper/fm "$P" || fail "device and primary differ"
dmsetup remove fm || fail "remove failed"

# Tracking: the backup is offline from the start, each write goes to the
# primary alone once its regions are marked.
mode tracking 2 start_offline no_auto_resync
fm_unload
