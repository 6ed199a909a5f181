#!/bin/sh
# Backup failure: a backup write error takes the backup offline (state
# tracking, offline_since recorded); that write and every later one is
# marked durably, then written to the primary, and succeeds. With the
# backup down and the tracker store failing too, writes fail, the primary
# stays untouched, and the state is failed. The "offline" message starts
# tracking by hand. A write the primary fails is returned failed, counted,
# and its regions marked, the backup staying online.
#@ timeout: 240
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
modprobe dm-flakey || fail "modprobe dm-flakey failed"
P=$PRIMARY B=$BACKUP
fm_wipe "$P" "$B" "$META"
S=$(sectors "$P")
MS=$(sectors "$META")
dmsetup create meta --table "0 $MS linear $META 0" || fail "meta linear failed"
T=/dev/mapper/meta
TN=$(dmsetup info -c --noheadings -o major,minor --separator : meta | tr -d " ")
SYS=/sys/fs/forkmirror/$TN

# A backup whose writes always fail (reads still work).
dmsetup create bk --table "0 $S flakey $B 0 0 1 1 error_writes" || fail "flakey refused"
dmsetup create fm --table "0 $S forkmirror $P /dev/mapper/bk $T err 8" || fail "create failed"
[ "$(status_field fm 1)" = in_sync ] || fail "not in_sync at start: $(dmsetup status fm)"

log "a backup write error: tracked, written to the primary, success"
dd if=/dev/urandom of=/tmp/pattern bs=64k count=4 2>/dev/null
dd if=/tmp/pattern of=/dev/mapper/fm bs=64k oflag=direct conv=notrunc 2>/dev/null ||
	fail "write failed although it could be tracked"
same_as /tmp/pattern "$P" || fail "primary lacks the data"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking: $(dmsetup status fm)"
[ "$(status_field fm 2)" = "64/$((S / 8))" ] || fail "dirty count: $(dmsetup status fm)"
[ "$(status_field fm 5)" -gt 0 ] || fail "backup_errors not counted: $(dmsetup status fm)"
[ "$(status_field fm 6)" = 0 ] || fail "primary errors: $(dmsetup status fm)"
since=$(status_field fm 7)
[ "$since" != - ] || fail "offline_since not shown: $(dmsetup status fm)"
sysval volumes/err/offline_since "$since"
sysval volumes/err/state tracking
for i in 0 1 2 3 4 5 6 7; do
	[ "$(log_byte err $i)" = ff ] || fail "log byte $i is $(log_byte err $i)"
done
[ "$(log_byte err 8)" = 00 ] || fail "log byte 8 is $(log_byte err 8): marked past the write"
[ "$(dmesg | grep -c 'in_sync -> tracking: backup write failed')" = 1 ] ||
	fail "the transition was not logged exactly once"

log "later writes are tracked without touching the backup"
dd if=/tmp/pattern of=/dev/mapper/fm bs=64k seek=64 oflag=direct conv=notrunc 2>/dev/null ||
	fail "tracked write failed"
[ "$(status_field fm 2)" = "128/$((S / 8))" ] || fail "dirty count: $(dmsetup status fm)"

log "the state survives a reload (offline_since in the slot)"
dmsetup reload fm --table "0 $S forkmirror $P /dev/mapper/bk $T err 8" || fail "reload failed"
dmsetup resume fm || fail "resume failed"
[ "$(status_field fm 1)" = tracking ] || fail "reload lost tracking: $(dmsetup status fm)"
[ "$(status_field fm 7)" = "$since" ] || fail "offline_since changed: $(dmsetup status fm)"

log "backup down and tracker failing: writes fail, primary untouched, failed"
dd if="$P" of=/tmp/before bs=1M count=16 iflag=direct 2>/dev/null
dmsetup suspend meta && dmsetup reload meta --table "0 $MS error" && dmsetup resume meta ||
	fail "cannot fail the store"
dd if=/dev/urandom of=/tmp/other bs=64k count=1 2>/dev/null
if dd if=/tmp/other of=/dev/mapper/fm bs=64k seek=200 oflag=direct conv=notrunc 2>/dev/null; then
	fail "write succeeded although it could be neither forked nor tracked"
fi
same_as /tmp/before "$P" || fail "primary written although the write failed"
[ "$(status_field fm 1)" = failed ] || fail "not failed: $(dmsetup status fm)"
dmsetup status fm >/dev/null || fail "status fails"

log "reads are served by the primary"
dd if=/dev/mapper/fm of=/dev/null bs=64k count=4 iflag=direct 2>/dev/null || fail "read failed"
dmsetup suspend meta && dmsetup reload meta --table "0 $MS linear $META 0" &&
	dmsetup resume meta || fail "cannot repair the store"
dmsetup remove fm || fail "remove failed"

log "the offline message"
fm_wipe "$META"
dmsetup create fm2 --table "0 $S forkmirror $P $B $T msg 8" || fail "create fm2 failed"
expect_fail dmsetup message fm2 0 offline now
[ "$(status_field fm2 1)" = in_sync ] || fail "a bad message changed the state"
dmsetup message fm2 0 offline || fail "offline refused"
[ "$(status_field fm2 1)" = tracking ] || fail "offline: $(dmsetup status fm2)"
dmsetup message fm2 0 offline || fail "a repeated offline refused"
dd if=/tmp/pattern of=/dev/mapper/fm2 bs=64k oflag=direct conv=notrunc 2>/dev/null ||
	fail "write after offline failed"
[ "$(status_field fm2 2)" = "64/$((S / 8))" ] || fail "dirty: $(dmsetup status fm2)"
dmsetup remove fm2

log "a primary write error: returned, counted, its regions marked, backup online"
fm_wipe "$META"
dmsetup create pf --table "0 $S flakey $P 0 0 1 1 error_writes" || fail "flakey refused"
dmsetup create fm3 --table "0 $S forkmirror /dev/mapper/pf $B $T perr 8" ||
	fail "create fm3 failed"
expect_fail dd if=/tmp/pattern of=/dev/mapper/fm3 bs=64k count=1 seek=2 oflag=direct \
	conv=notrunc
st=$(dmsetup status fm3)
echo "$st" | grep -qE "^0 $S forkmirror tracking 16/$((S / 8)) 0/0 0 0 [1-9][0-9]* - 0\$" ||
	fail "after a primary write error: $st"
dmesg | grep -q 'in_sync -> tracking: primary write failed: its regions wait for a copy' ||
	fail "no log line for the primary write error"
# The backup is still online: the next write is forked (and fails on the
# primary again, marking its regions too).
dd if=/dev/zero of=/tmp/zero bs=64k count=1 2>/dev/null
dd if=/tmp/zero of="$B" bs=64k seek=6 oflag=direct conv=notrunc 2>/dev/null
expect_fail dd if=/tmp/pattern of=/dev/mapper/fm3 bs=64k count=1 seek=6 oflag=direct \
	conv=notrunc
dd if="$B" of=/tmp/back bs=64k skip=6 count=1 iflag=direct 2>/dev/null
head -c 65536 /tmp/pattern | realcmp - /tmp/back ||
	fail "with the backup online, the write did not reach the backup"
[ "$(status_field fm3 2)" = "32/$((S / 8))" ] || fail "dirty: $(dmsetup status fm3)"

log "a primary write error whose regions cannot be marked: full resync needed, not failed"
# The write was forked (the backup has it): BRIEF.md keeps a volume whose
# tracker fails while its backup is online out of "failed".
dmsetup suspend meta && dmsetup reload meta --table "0 $MS error" && dmsetup resume meta ||
	fail "cannot fail the store"
expect_fail dd if=/tmp/pattern of=/dev/mapper/fm3 bs=64k count=1 seek=100 oflag=direct \
	conv=notrunc
[ "$(status_field fm3 1)" = tracking ] || fail "not tracking: $(dmsetup status fm3)"
[ "$(status_field fm3 8)" = 1 ] || fail "full resync not flagged: $(dmsetup status fm3)"
dmesg | grep -q 'primary write failed and its regions cannot be marked' ||
	fail "no log line for the unmarked primary write error"
dmsetup suspend meta && dmsetup reload meta --table "0 $MS linear $META 0" &&
	dmsetup resume meta || fail "cannot repair the store"
dmsetup remove fm3 || fail "remove fm3 failed"
dmsetup remove pf
fm_unload
