#!/bin/sh
# The tracker store on a block device (dm-bufio backend): formatted on the
# first attach to a blank device, sysfs as documented, marks (made through
# the test module fm_mark_test) durable across a table reload and a guest
# restart, read back through `log`, delete_slot rules; a foreign device
# (ext4) refused and left untouched; damaged copies recovered or refused
# exactly as the format rules say.
#@ timeout: 300
#@ phases: 2
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

P=$PRIMARY B=$BACKUP T=$META
TN=$(devnum "$T")
SYS=/sys/fs/forkmirror/$TN
S=$(sectors "$P")

fm_load
modprobe fm_mark_test || fail "modprobe fm_mark_test failed"
[ -d /sys/kernel/debug/fm_mark_test ] || mount -t debugfs debugfs /sys/kernel/debug

# Check the marked volume m: 5 regions from 3 of 125, all in byte 0.
check_m() {
	dmsetup create fmm --table "0 1000 forkmirror $SPARE $B $T m 8 1 no_auto_resync" ||
		fail "volume m refused"
	[ "$(status_field fmm 2)" = 5/125 ] || fail "m: status $(dmsetup status fmm)"
	sysval volumes/m/dirty_regions 5
	sysval volumes/m/total_regions 125
	sysval volumes/m/dm_device fmm
	sysval volumes/m/state tracking
	[ "$(log_byte m 0)" = f8 ] || fail "m: log byte 0 is $(log_byte m 0), want f8"
	[ "$(log_byte m 1)" = 00 ] || fail "m: log byte 1 is $(log_byte m 1)"
	magic=$(dd if="$SYS/volumes/m/log" bs=8 count=1 2>/dev/null)
	[ "$magic" = FMTSLOG1 ] || fail "m: log magic '$magic'"
	size=$(cat "$SYS/volumes/m/log" | wc -c)
	[ "$size" = $((80 + 16)) ] || fail "m: log is $size bytes, want 96"
}

case $PHASE in
1)
	log "blank device: formatted on the first attach"
	dmsetup create fm --table "0 $S forkmirror $P $B $T vol 1024" ||
		fail "create on a blank store failed"
	dmesg | grep -q "store $TN: formatted, 4096 slots" || fail "no format message"
	sysval backend bufio
	sysval slots_total 4096
	sysval slots_used 1
	grep -qE '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' "$SYS/uuid" ||
		fail "uuid: $(cat "$SYS/uuid")"
	sysval volumes/vol/dirty_regions 0
	sysval volumes/vol/total_regions $(((S + 1023) / 1024))
	sysval volumes/vol/dm_device fm
	sysval slots "0 vol 0 attached 0"
	sysval volumes/vol/state in_sync
	echo 1 >"$SYS/volumes/vol/resync" || fail "resync of a clean volume refused"

	log "the target's files appear when a table is resumed"
	dmsetup create fmq --notable || fail "create --notable failed"
	dmsetup load fmq --table "0 64 forkmirror $SPARE $B $T q 8" || fail "load failed"
	[ -d "$SYS/volumes/q" ] || fail "no directory for a loaded table"
	[ -e "$SYS/volumes/q/state" ] && fail "state file before any resume"
	dmsetup resume fmq || fail "resume of q failed"
	sysval volumes/q/state in_sync
	log "... stay while tables are swapped under readers, go with the device"
	(while :; do cat "$SYS/volumes/q/state" >/dev/null 2>&1; done) &
	reader=$!
	for i in 1 2 3 4 5 6; do
		dmsetup reload fmq --table "0 64 forkmirror $SPARE $B $T q 8" ||
			fail "reload $i failed"
		dmsetup resume fmq || fail "resume $i failed"
		sysval volumes/q/state in_sync
	done
	kill $reader
	wait $reader 2>/dev/null
	dmsetup remove fmq || fail "remove fmq failed"
	[ -e "$SYS/volumes/q" ] && fail "q's directory left after remove"
	echo q >"$SYS/delete_slot" || fail "delete of slot q refused"

	log "marks through the API, read back through sysfs and log"
	mark m 8 1000 3 5 || fail "mark failed"
	mark m 8 1000 4 2 || fail "mark of marked regions failed"
	sysval slots_used 2
	sysval slots "0 vol 0 attached 0
1 m 0 detached 5"
	expect_fail mark m 8 1000 124 2
	check_m
	log "table reload keeps the marks"
	dmsetup reload fmm --table "0 1000 forkmirror $SPARE $B $T m 8 1 no_auto_resync" ||
		fail "reload failed"
	dmsetup resume fmm || fail "resume failed"
	sysval volumes/m/dirty_regions 5
	[ "$(log_byte m 0)" = f8 ] || fail "log changed by a reload"
	dmsetup remove fmm || fail "remove fmm failed"

	log "delete_slot rules"
	expect_fail sh -c "echo vol >$SYS/delete_slot"
	dmesg | grep -q "delete_slot: vol is attached" || fail "no message for attached"
	expect_fail sh -c "echo m >$SYS/delete_slot"
	dmesg | grep -q "delete_slot: m has 5 dirty regions" || fail "no message for dirty"
	expect_fail sh -c "echo 'm now' >$SYS/delete_slot"
	expect_fail sh -c "echo 'bad/name' >$SYS/delete_slot"
	expect_fail sh -c "echo 'm force junk' >$SYS/delete_slot"
	dmesg | grep -q "delete_slot: unexpected text after 'm force'" || fail "no message for trailing text"
	expect_fail sh -c "echo nosuch >$SYS/delete_slot"
	mark gone 8 64 0 0 || fail "creating slot 'gone' failed"
	echo gone >"$SYS/delete_slot" || fail "delete of a clean slot refused"
	sysval slots_used 2
	mark tmp 8 64 1 1 || fail "mark tmp failed"
	echo "tmp force" >"$SYS/delete_slot" || fail "forced delete refused"
	sysval slots_used 2
	dmsetup remove fm || fail "remove fm failed"
	[ -d "$SYS" ] && fail "store directory left after the last volume"

	log "a foreign device (ext4) is refused and left untouched"
	mke2fs -q -t ext4 -F "$SPARE" 8M || fail "mke2fs failed"
	dd if="$SPARE" of=/tmp/before bs=64k count=1 2>/dev/null
	expect_fail dmsetup create fmx --table "0 1000 forkmirror $P $B $SPARE x 8"
	dmesg | grep -q "store $(devnum "$SPARE"): refused: not a forkmirror tracker store" ||
		fail "no clear refusal for ext4: $(dmesg | tail -n 3)"
	same_as /tmp/before "$SPARE" || fail "ext4 device modified"
	rmmod fm_mark_test
	fm_unload
	log "phase 1 done; the guest restarts"
	;;
2)
	log "marks survive a restart"
	check_m
	dmsetup remove fmm

	log "damaged superblock copy A: copy B used"
	flip "$T" 100
	check_m
	dmsetup remove fmm
	dmesg | grep -q "superblock copy A torn or corrupted" || fail "no message for copy A"
	log "both superblock copies damaged: refused"
	flip "$T" $((4096 + 100))
	expect_fail dmsetup create fmm --table "0 1000 forkmirror $SPARE $B $T m 8"
	dmesg | grep -q "store $TN: refused: no valid superblock copy" ||
		fail "no message for two bad copies: $(dmesg | tail -n 3)"
	flip "$T" 100
	flip "$T" $((4096 + 100))

	log "damaged header copy of slot 1: the other copy used"
	flip "$T" $((4 * 4096 + 60))
	flip "$T" $((5 * 4096 + 60))
	expect_fail dmsetup create fmm --table "0 1000 forkmirror $SPARE $B $T m 8"
	dmesg | grep -q "slot 1: " || fail "no message for a damaged slot"
	flip "$T" $((5 * 4096 + 60))
	check_m
	dmsetup remove fmm

	log "bits past the last region are dropped, never obeyed"
	# m's bitmap is the store's second extent: block 2 + 2 * 4096 + 1.
	flip "$T" $(((8195 * 4096) + 20))
	check_m
	dmesg | grep -q "volume m: 8 bits set past the last region, ignored" ||
		fail "no message for bits past the end"
	rmmod fm_mark_test
	fm_unload
	;;
esac
