#!/bin/sh
# Messages: every one with good and bad arguments. A bad message is
# refused and changes nothing (status and the slot as before);
# full_resync marks every region before it returns while the backup
# stays online (writes still reach both devices); resync brings an
# offline backup back when nothing waits for a copy, refuses while
# regions are marked, and fails with EIO when the backup does not answer;
# the state and the full-resync flag survive a reload.
#@ timeout: 240
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
fm_wipe "$P" "$B" "$T"
S=$(sectors "$P")
TOTAL=$((S / 8))
TN=$(devnum "$T")
SYS=/sys/fs/forkmirror/$TN

# bad MESSAGE...: refused, with the device's status unchanged.
bad() {
	local before after
	before=$(dmsetup status fm)
	expect_fail dmsetup message fm 0 "$@"
	after=$(dmsetup status fm)
	[ "$before" = "$after" ] || fail "message '$*' changed status: $before -> $after"
}

dmsetup create fm --table "0 $S forkmirror $P $B $T msg 8" || fail "create failed"
st0=$(dmsetup status fm)
echo "$st0" | grep -qE "^0 $S forkmirror in_sync 0/$TOTAL 0/0 0 0 0 - 0\$" ||
	fail "unexpected status at start: $st0"

log "bad messages are refused and change nothing"
bad bogus
bad offline now
bad full_resync all
bad resync now
bad pause_resync 1
bad resync_rate
bad resync_rate 1 2
bad resync_rate -1
bad resync_rate 4294967296
bad resync_rate 12k
bad resync_rate ""
dmesg | grep -q 'message "resync_rate" takes 1 argument(s), got 0' ||
	fail "no clear error for resync_rate without a value"
dmesg | grep -q 'resync_rate: "12k" is not a 32-bit unsigned number of KiB/s' ||
	fail "no clear error for a bad resync_rate"
dmesg | grep -q 'unsupported message "bogus"' || fail "no clear error for bogus"

log "resync_rate and pause_resync are taken; resync of an in_sync volume is a no-op"
dmsetup message fm 0 resync_rate 2048 || fail "resync_rate 2048 refused"
dmsetup message fm 0 RESYNC_RATE 0 || fail "resync_rate in capitals refused"
dmsetup message fm 0 resync_rate 4294967295 || fail "resync_rate 2^32-1 refused"
dmsetup message fm 0 pause_resync || fail "pause_resync refused"
dmsetup message fm 0 pause_resync || fail "a repeated pause_resync refused"
dmsetup message fm 0 resync || fail "resync of an in_sync volume refused"
dmsetup message fm 0 resync || fail "a repeated resync refused"
[ "$(dmsetup status fm)" = "$st0" ] || fail "status changed: $(dmsetup status fm)"

log "offline, then resync with nothing written: back in sync"
dmsetup message fm 0 offline || fail "offline refused"
[ "$(status_field fm 1)" = tracking ] || fail "offline: $(dmsetup status fm)"
[ "$(status_field fm 7)" != - ] || fail "offline_since not set: $(dmsetup status fm)"
dmsetup message fm 0 resync || fail "resync with nothing marked refused"
[ "$(dmsetup status fm)" = "$st0" ] || fail "after resync: $(dmsetup status fm)"
dmesg | grep -q 'tracking -> in_sync: resync: backup online, nothing to copy' ||
	fail "no log line for the return to in_sync"

log "full_resync: every region marked before it returns, writes still forked"
dmsetup message fm 0 full_resync || fail "full_resync refused"
st=$(dmsetup status fm)
echo "$st" | grep -qE "^0 $S forkmirror tracking $TOTAL/$TOTAL 0/0 0 0 0 - 1\$" ||
	fail "after full_resync: $st"
sysval volumes/msg/state tracking
sysval volumes/msg/dirty_regions $TOTAL
dd if=/dev/urandom of=/tmp/pattern bs=64k count=8 2>/dev/null
dd if=/tmp/pattern of=/dev/mapper/fm bs=64k seek=3 oflag=direct conv=notrunc 2>/dev/null ||
	fail "write after full_resync failed"
dd if="$B" of=/tmp/back bs=64k skip=3 count=8 iflag=direct 2>/dev/null
realcmp /tmp/pattern /tmp/back || fail "a write after full_resync did not reach the backup"
expect_fail dmsetup message fm 0 resync
dmesg | grep -q 'resync: copying marked regions is not supported yet' ||
	fail "no clear error for a resync with marked regions"
expect_fail sh -c "echo 1 >$SYS/volumes/msg/resync"
echo "$st" | grep -q " tracking $TOTAL/$TOTAL " || fail "refused resync changed status"

log "the state, the marks and the full-resync flag survive a reload"
dmsetup reload fm --table "0 $S forkmirror $P $B $T msg 8" || fail "reload failed"
dmsetup resume fm || fail "resume failed"
[ "$(dmsetup status fm)" = "$st" ] || fail "after reload: $(dmsetup status fm)"
dmsetup remove fm || fail "remove failed"

log "resync when the backup does not answer: EIO, still offline"
dmsetup create bk --table "0 $S error" || fail "error target refused"
dmsetup create fm --table "0 $S forkmirror $P /dev/mapper/bk $T down 8 1 start_offline" ||
	fail "create with start_offline failed"
[ "$(status_field fm 1)" = tracking ] || fail "start_offline: $(dmsetup status fm)"
expect_fail dmsetup message fm 0 resync
dmesg | grep -q 'resync: the backup does not answer' || fail "no clear error for a dead backup"
[ "$(status_field fm 1)" = tracking ] || fail "failed resync changed state: $(dmsetup status fm)"
[ "$(status_field fm 7)" != - ] || fail "failed resync cleared offline_since"
dmsetup remove fm || fail "remove failed"
dmsetup remove bk
fm_unload
