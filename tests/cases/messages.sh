#!/bin/sh
# Messages: every one with good and bad arguments. A bad message is
# refused and changes nothing (status and the slot as before);
# full_resync marks every region before it returns while the backup
# stays online (writes still reach both devices); resync brings an
# offline backup back when nothing waits for a copy, copies the marked
# regions otherwise (then in_sync, the devices identical), and fails with
# EIO when the backup does not answer; the state and the full-resync flag
# survive a reload.
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

log "offline, then resync with nothing written: back in sync, with events"
# Each state change is a dm event (dmsetup's event counter, what dmeventd
# waits on) and a KOBJ_CHANGE uevent carrying FORKMIRROR_STATE.
rm -f /tmp/uevents
uevent sh -c 'echo "$ACTION $DEVPATH $FORKMIRROR_STATE" >>/tmp/uevents' &
upid=$!
sleep 1
ev0=$(dmsetup info -c --noheadings -o events fm | tr -d ' ')
dmsetup message fm 0 offline || fail "offline refused"
[ "$(status_field fm 1)" = tracking ] || fail "offline: $(dmsetup status fm)"
[ "$(status_field fm 7)" != - ] || fail "offline_since not set: $(dmsetup status fm)"
ev1=$(dmsetup info -c --noheadings -o events fm | tr -d ' ')
[ "$ev1" -gt "$ev0" ] || fail "no dm event for in_sync -> tracking ($ev0, $ev1)"
dmsetup message fm 0 offline || fail "a repeated offline refused"
[ "$(dmsetup info -c --noheadings -o events fm | tr -d ' ')" = "$ev1" ] ||
	fail "an offline that changed nothing sent an event"
dmsetup message fm 0 resync || fail "resync with nothing marked refused"
[ "$(dmsetup status fm)" = "$st0" ] || fail "after resync: $(dmsetup status fm)"
[ "$(dmsetup info -c --noheadings -o events fm | tr -d ' ')" -gt "$ev1" ] ||
	fail "no dm event for tracking -> in_sync"
dmesg | grep -q 'tracking -> in_sync: resync: backup online, nothing to copy' ||
	fail "no log line for the return to in_sync"
dm=$(dm_kname fm)
i=0
until grep -q "^change .*/$dm tracking\$" /tmp/uevents &&
	grep -q "^change .*/$dm in_sync\$" /tmp/uevents; do
	[ $i -ge 300 ] && fail "no uevents with FORKMIRROR_STATE: $(cat /tmp/uevents 2>/dev/null)"
	sleep 0.1
	i=$((i + 1))
done
sleep 1
kill $upid
[ "$(grep -c "/$dm [a-z_]" /tmp/uevents)" = 2 ] ||
	fail "not one uevent per state change: $(cat /tmp/uevents)"

log "full_resync: every region marked before it returns, writes still forked"
# Copying would start at once otherwise (resync-auto tests that).
dmsetup reload fm --table "0 $S forkmirror $P $B $T msg 8 1 no_auto_resync" ||
	fail "reload with no_auto_resync failed"
dmsetup resume fm || fail "resume failed"
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

log "the state, the marks and the full-resync flag survive a reload"
dmsetup reload fm --table "0 $S forkmirror $P $B $T msg 8 1 no_auto_resync" ||
	fail "reload failed"
dmsetup resume fm || fail "resume failed"
[ "$(dmsetup status fm)" = "$st" ] || fail "after reload: $(dmsetup status fm)"

log "resync (through sysfs) copies every region: in_sync, identical"
echo 1 >"$SYS/volumes/msg/resync" || fail "resync through sysfs refused"
wait_state fm in_sync 180
dmsetup status fm | grep -qE "^0 $S forkmirror in_sync [0-9]+/$TOTAL 0/0 0 0 0 - 0\$" ||
	fail "after the full resync: $(dmsetup status fm)"
blocks_equal "$P" "$B" || fail "primary and backup differ after the full resync"
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

log "a table loaded before the backup went offline takes the state over at resume"
dmsetup create bk --table "0 $S linear $B 0" || fail "linear refused"
dmsetup create fm --table "0 $S forkmirror $P /dev/mapper/bk $T late 8" ||
	fail "create failed"
dmsetup reload fm --table "0 $S forkmirror $P /dev/mapper/bk $T late 8" ||
	fail "reload failed"
dmsetup message fm 0 offline || fail "offline refused"
dmsetup resume fm || fail "resume failed"
[ "$(status_field fm 1)" = tracking ] || fail "the new table lost tracking: $(dmsetup status fm)"
[ "$(status_field fm 7)" != - ] || fail "the new table lost offline_since: $(dmsetup status fm)"
dd if=/tmp/pattern of=/dev/mapper/fm bs=4k count=1 oflag=direct conv=notrunc 2>/dev/null ||
	fail "tracked write failed"
[ "$(status_field fm 2)" = "1/$TOTAL" ] || fail "the write was not tracked: $(dmsetup status fm)"

log "a resync waiting for a hung backup delays neither resume nor the state file"
dmsetup suspend bk || fail "cannot suspend the backup"
(echo 1 >"$SYS/volumes/late/resync"; echo $? >/tmp/resync.rc) &
rpid=$!
sleep 2
[ -e /tmp/resync.rc ] && fail "the resync did not wait for the suspended backup"
timeout 60 dmsetup suspend fm || fail "suspend blocked behind the resync"
timeout 60 dmsetup resume fm || fail "resume blocked behind the resync"
[ "$(timeout 60 cat "$SYS/volumes/late/state")" = tracking ] ||
	fail "the state file blocked behind the resync"
dmsetup resume bk || fail "cannot resume the backup"
wait $rpid
[ "$(cat /tmp/resync.rc)" = 0 ] || fail "resync of a marked region failed"
wait_state fm in_sync 60
st=$(dmsetup status fm)
echo "$st" | grep -qE "^0 $S forkmirror in_sync 0/$TOTAL 0/0 0 0 0 - 0\$" ||
	fail "after the resync: $st"
dmsetup remove fm || fail "remove failed"
dmsetup remove bk
fm_unload
