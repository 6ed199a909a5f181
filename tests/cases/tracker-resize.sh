#!/bin/sh
# Resizing a volume's slot: a reload with a larger length grows the slot
# in place while its bitmap extent is large enough and moves the bitmap to
# a new extent otherwise, keeping every mark; the old extent is reused;
# shrinking a live volume is refused; once the modules were reloaded (the
# store read back from the device) the grown slot is there, a smaller
# table is refused while a region past its end is dirty and accepted once
# it is clean.
#@ timeout: 300
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

P=$PRIMARY B=$BACKUP T=$META
TN=$(devnum "$T")
SYS=/sys/fs/forkmirror/$TN
CMD=/sys/kernel/debug/fm_mark_test/cmd

fm_load
modprobe fm_mark_test || fail "modprobe fm_mark_test failed"
[ -d /sys/kernel/debug/fm_mark_test ] || mount -t debugfs debugfs /sys/kernel/debug

# table LEN: the table line of volume r at LEN sectors, 8-sector regions;
# no resync copies the marked regions the case checks.
table() {
echo "0 $1 forkmirror $P $B $T r 8 1 no_auto_resync"
}

# log_size VOLUME: bytes in the volume's log file.
log_size() {
wc -c <"$SYS/volumes/$1/log"
}

log "volume r: 125 regions, 5 marked"
mark r 8 1000 3 5 || fail "mark failed"
dmsetup create fmr --table "$(table 1000)" || fail "create failed"
[ "$(status_field fmr 2)" = 5/125 ] || fail "status $(dmsetup status fmr)"

log "grow in place: 250 regions still fit the slot's one bitmap block"
dmsetup reload fmr --table "$(table 2000)" || fail "reload to 2000 failed"
sysval volumes/r/total_regions 250
sysval volumes/r/dirty_regions 5
dmsetup resume fmr || fail "resume failed"
[ "$(status_field fmr 2)" = 5/250 ] || fail "status $(dmsetup status fmr)"
dmesg | grep -q "volume r resized to 2000 sectors (250 regions), bitmap blocks 8194+1" ||
	fail "no in-place resize message: $(dmesg | tail -n 3)"
[ "$(log_byte r 0)" = f8 ] || fail "log byte 0 is $(log_byte r 0) after growing"
[ "$(log_size r)" = $((80 + 32)) ] || fail "log is $(log_size r) bytes"

log "grow past the extent: the bitmap moves to two new blocks"
dmsetup reload fmr --table "$(table 300000)" || fail "reload to 300000 failed"
dmesg | grep -q "volume r resized to 300000 sectors (37500 regions), bitmap blocks 8195+2" ||
	fail "no moving resize message: $(dmesg | tail -n 3)"
dmsetup resume fmr || fail "resume failed"
[ "$(status_field fmr 2)" = 5/37500 ] || fail "status $(dmsetup status fmr)"
[ "$(log_byte r 0)" = f8 ] || fail "log byte 0 is $(log_byte r 0) after moving"
[ "$(log_size r)" = $((80 + 4688)) ] || fail "log is $(log_size r) bytes"

log "the freed block goes to the next new slot; r's bits stay"
mark n 8 1000 0 1 || fail "mark n failed"
dmesg | grep -q "slot 1 created for volume n (host id 0), bitmap blocks 8194+1" ||
	fail "old extent not reused: $(dmesg | grep 'created for volume n')"
[ "$(log_byte r 0)" = f8 ] || fail "r's log changed by n"

log "shrinking a live volume is refused and changes nothing"
expect_fail dmsetup reload fmr --table "$(table 1000)"
dmesg | grep -q "Cannot shrink a live volume" || fail "no message for shrinking"
sysval volumes/r/total_regions 37500
[ "$(status_field fmr 2)" = 5/37500 ] || fail "status $(dmsetup status fmr)"

dmsetup remove fmr || fail "remove failed"
rmmod fm_mark_test
fm_unload

log "the grown slot read back after the modules were reloaded"
fm_load
modprobe fm_mark_test || fail "modprobe fm_mark_test failed"
dmsetup create fmr --table "$(table 300000)" || fail "create failed"
[ "$(status_field fmr 2)" = 5/37500 ] || fail "status $(dmsetup status fmr)"
[ "$(log_byte r 0)" = f8 ] || fail "log byte 0 is $(log_byte r 0)"
dmsetup remove fmr || fail "remove failed"

log "a smaller table while a region past its end is dirty: refused"
mark r 8 300000 37000 1 || fail "mark failed"
expect_fail dmsetup create fmr --table "$(table 1000)"
dmesg | grep -q "Cannot shrink the volume: regions past the new end are dirty" ||
	fail "no message for dirty regions past the end"
[ -d "$SYS" ] && fail "store left open by a refused table"

log "once that region is clean the smaller table is accepted"
echo "attach $TN r 8 300000" >$CMD || fail "attach failed"
echo "clear r 37000 1" >$CMD || fail "clear failed"
echo "detach r" >$CMD || fail "detach failed"
dmsetup create fmr --table "$(table 1000)" || fail "smaller table refused"
[ "$(status_field fmr 2)" = 5/125 ] || fail "status $(dmsetup status fmr)"
[ "$(log_size r)" = $((80 + 16)) ] || fail "log is $(log_size r) bytes"
[ "$(log_byte r 0)" = f8 ] || fail "log byte 0 is $(log_byte r 0)"
dmsetup remove fmr || fail "remove failed"
rmmod fm_mark_test
fm_unload
