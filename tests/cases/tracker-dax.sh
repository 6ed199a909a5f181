#!/bin/sh
# The tracker store on pmem: an fsdax namespace is used through DAX
# (backend "dax"), marks are durable across a reload and a guest restart
# and read back through `log`; a damaged superblock copy is recovered as
# on a block device; a raw-mode namespace (no DAX) falls back to the block
# backend.
#@ timeout: 300
#@ phases: 2
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

setup_pmem
T=/dev/pmem0
TN=$(devnum "$T")
SYS=/sys/fs/forkmirror/$TN
fm_load
modprobe fm_mark_test || fail "modprobe fm_mark_test failed"

# check_m: volume m (regions 3..7 and 40000 of 40001 marked) as expected.
check_m() {
	dmsetup create fmm --table "0 320008 forkmirror $PRIMARY $BACKUP $T m 8 1 no_auto_resync" ||
		fail "volume m refused"
	sysval backend dax
	[ "$(status_field fmm 2)" = 6/40001 ] || fail "m: status $(dmsetup status fmm)"
	[ "$(log_byte m 0)" = f8 ] || fail "m: log byte 0 is $(log_byte m 0)"
	[ "$(log_byte m 5000)" = 01 ] || fail "m: log byte 5000 is $(log_byte m 5000)"
	dmsetup remove fmm || fail "remove fmm failed"
}

case $PHASE in
1)
	log "fsdax namespace: formatted and used through DAX"
	mark m 8 320008 3 5 || fail "mark failed"
	# Region 40000 is in the second bitmap block.
	mark m 8 320008 40000 1 || fail "mark in the second block failed"
	check_m
	dmsetup create fmm --table "0 320008 forkmirror $PRIMARY $BACKUP $T m 8 1 no_auto_resync" ||
		fail "volume m refused"
	dmsetup reload fmm --table "0 320008 forkmirror $PRIMARY $BACKUP $T m 8 3 no_auto_resync resync_rate 100" ||
		fail "reload failed"
	dmsetup resume fmm || fail "resume failed"
	sysval volumes/m/dirty_regions 6
	dmsetup remove fmm
	rmmod fm_mark_test
	fm_unload
	;;
2)
	log "marks survive a restart; a damaged superblock copy is recovered"
	check_m
	flip "$T" 100
	check_m
	dmesg | grep -q "superblock copy A torn or corrupted" || fail "no message for copy A"

	log "raw-mode namespace: no DAX, the block backend"
	rmmod fm_mark_test
	fm_unload
	ndctl create-namespace -f -e "$PMEM_NS" --mode=raw >/dev/null ||
		fail "ndctl create-namespace --mode=raw failed"
	i=0
	while [ ! -b /dev/pmem0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	fm_wipe "$T"
	fm_load
	dmsetup create fmr --table "0 1000 forkmirror $PRIMARY $BACKUP $T r 8" ||
		fail "raw-mode namespace refused"
	sysval backend bufio
	dmsetup remove fmr
	fm_unload
	;;
esac
