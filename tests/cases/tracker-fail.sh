#!/bin/sh
# A failing tracker store: with its device switched to dm-error, a mark
# fails with an error, nothing hangs, status and sysfs still answer, a
# mark of a region the store already holds still succeeds; when
# the device returns, marking works again and, after a reattach, every
# mark made durable is there.
#@ timeout: 240
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
modprobe fm_mark_test || fail "modprobe fm_mark_test failed"
[ -d /sys/kernel/debug/fm_mark_test ] || mount -t debugfs debugfs /sys/kernel/debug
MS=$(sectors "$META")
dmsetup create meta --table "0 $MS linear $META 0" || fail "meta linear failed"
T=/dev/mapper/meta
TN=$(dmsetup info -c --noheadings -o major,minor --separator : meta | tr -d " ")
SYS=/sys/fs/forkmirror/$TN

cmd() {
	echo "$*" >/sys/kernel/debug/fm_mark_test/cmd
}

# switch TABLE: replace the store device's table.
switch() {
	dmsetup suspend meta && dmsetup reload meta --table "$1" &&
		dmsetup resume meta || fail "cannot switch meta to: $1"
}

cmd attach "$TN" v 8 8000 || fail "attach failed"
cmd mark v 1 2 || fail "mark failed"
# d has two bitmap leaves (blocks): regions 0-32767 and 32768-39999.
cmd attach "$TN" d 8 320000 || fail "attach d failed"
cmd mark d 35000 1 || fail "mark d failed"
# A forkmirror device on the same store stays attached through it all.
dmsetup create fm --table "0 1000 forkmirror $PRIMARY $BACKUP $T w 8" ||
	fail "volume w refused"

log "store device fails: marks fail, nothing hangs"
switch "0 $MS error"
expect_fail cmd mark v 10 1
dmesg | grep -q "volume v: bitmap write failed" || fail "no log line for the failed write"
expect_fail cmd mark v 20 3
[ "$(cat "$SYS/volumes/v/dirty_regions")" = 6 ] ||
	fail "dirty_regions: $(cat "$SYS/volumes/v/dirty_regions")"
dmsetup status fm >/dev/null || fail "status hangs or fails with the store down"
cat "$SYS/slots" >/dev/null || fail "slots unreadable with the store down"
expect_fail cmd attach "$TN" x 8 64
log "... but a region already durable costs no I/O and succeeds"
expect_fail cmd mark d 10 1
cmd mark d 35000 1 || fail "mark of a durable region failed with the store down"
expect_fail cmd mark d 10 1

log "store device returns: marks work again, all durable"
switch "0 $MS linear $META 0"
cmd mark v 30 1 || fail "mark after the store returned failed"
cmd detach v || fail "detach failed"
cmd attach "$TN" v 8 8000 || fail "reattach failed"
[ "$(cat "$SYS/volumes/v/dirty_regions")" = 7 ] ||
	fail "after reattach: $(cat "$SYS/volumes/v/dirty_regions") dirty, want 7"
[ "$(log_byte v 0)" = 06 ] || fail "log byte 0: $(log_byte v 0)"
[ "$(log_byte v 1)" = 04 ] || fail "log byte 1: $(log_byte v 1)"
[ "$(log_byte v 2)" = 70 ] || fail "log byte 2: $(log_byte v 2)"
[ "$(log_byte v 3)" = 40 ] || fail "log byte 3: $(log_byte v 3)"

log "slot header fields: flags, offline_since, counters survive a reattach"
cmd offline v 1764300000 || fail "offline failed"
cmd flags v 6 0 || fail "flags failed"
expect_fail cmd flags v 1 0
cmd count v 0 3 || fail "count failed"
cmd detach v
cmd attach "$TN" v 8 8000 || fail "reattach failed"
[ "$(cat "$SYS/volumes/v/offline_since")" = 1764300000 ] ||
	fail "offline_since: $(cat "$SYS/volumes/v/offline_since")"
flags=$(dd if="$SYS/volumes/v/log" bs=1 skip=20 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
[ "$flags" = 7 ] || fail "log flags: $flags, want 7 (in use, active, full resync)"
cmd flags v 0 6 || fail "clearing flags failed"
cmd offline v 0 || fail "clearing offline_since failed"
[ "$(cat "$SYS/volumes/v/offline_since")" = 0 ] || fail "offline_since not cleared"
cmd detach_all
dmsetup remove fm
rmmod fm_mark_test
fm_unload
