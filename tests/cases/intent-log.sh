#!/bin/sh
# The write-intent log with the backup online: a fork's regions are
# marked before it starts and cleared within the window after the last
# write (intent_window sets it); a suspend clears every mark at once, so
# a reload finds none; taking the backup offline turns the marks into
# regions waiting for a copy (they stay); a primary error's regions are
# never cleared lazily, nor any mark after a failed flush of the primary
# or a full_resync the store fails; no_intent_log keeps no marks but sets the slot's
# active flag while a table may write, cleared on a clean removal;
# fork_mode parallel writes both devices, identical afterwards; with
# 64 MiB regions, an idle region's mark goes while another region is
# under load (no fork of its own in flight); a flush
# the primary fails while the backup's is slow leaves every mark waiting
# for a copy.
#@ timeout: 300
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
fm_wipe "$P" "$B" "$T"
S=$((64 * 2048))
TN=$(devnum "$T")
SYS=/sys/fs/forkmirror/$TN

# flags_of VOLUME: the slot flags in the volume's log header (byte 20).
flags_of() {
	dd if="$SYS/volumes/$1/log" bs=1 skip=20 count=1 2>/dev/null | od -An -tu1 | tr -d ' '
}

# randw DEV SECONDS: 4 KiB random writes at queue depth 8 for SECONDS.
randw() {
	fio --name=w --filename="$1" --direct=1 --ioengine=libaio --iodepth=8 \
		--rw=randwrite --bs=4k --size=32M --time_based --runtime="$2" \
		--randrepeat=0 --output-format=terse >/tmp/fio.out ||
		{ cat /tmp/fio.out; fail "fio on $1 failed"; }
}

log "serial forks: marks while writing, cleared within the default 5 s window"
dmsetup create fm --table "0 $S forkmirror $P $B $T il 8" || fail "create failed"
randw /dev/mapper/fm 3 &
wpid=$!
# The most marks seen while fio writes, and just after (a mark stays at
# least until the pass after its write): one status read per sample, as
# a slow debug guest takes seconds for each.
d=0
while :; do
	st=$(dmsetup status fm)
	n=$(echo "$st" | awk '{ print $5 }' | cut -d/ -f1)
	[ "$n" -gt "$d" ] && d=$n
	[ "$(echo "$st" | awk '{ print $4 }')" = in_sync ] ||
		fail "intent marks changed the state: $st"
	kill -0 $wpid 2>/dev/null || break
	sleep 0.1
done
wait $wpid || fail "fio failed"
# A loaded debug guest may take each sample at a moment the clearing
# pass had just emptied the log; the volume's last_dirtied (0 on a new
# slot, set by every new mark) then shows the marks were made.
ld=$(cat "$SYS/volumes/il/last_dirtied") || fail "no last_dirtied file"
[ "$d" -gt 0 ] || [ "$ld" != 0 ] || fail "no intent marks seen while writing (last_dirtied $ld)"
t=$(wait_no_marks fm 6) || fail "fm: marks not cleared within 6 s"
log "up to $d marks seen while writing (last marked at $ld); cleared $t/10 s after the last write"
blocks_equal "$P" "$B" 33554432 || fail "primary and backup differ"

# retable FEATURES...: reload fm with the feature group FEATURES.
retable() {
	dmsetup reload fm --table "0 $S forkmirror $P $B $T il 8 $*" ||
		fail "reload with '$*' failed"
	dmsetup resume fm || fail "resume failed"
}

log "a suspend clears every mark at once; the reloaded table finds none"
# A window of 10 minutes: no pass clears the marks meanwhile.
retable 2 intent_window 600000
dd if=/dev/urandom of=/dev/mapper/fm bs=4k count=64 oflag=direct 2>/dev/null ||
	fail "writes failed"
sleep 1
[ "$(dirty_of fm)" = 64 ] || fail "not 64 intent marks after 64 writes: $(dmsetup status fm)"
dmsetup suspend fm || fail "suspend failed"
[ "$(dirty_of fm)" = 0 ] || fail "marks left after suspend: $(dmsetup status fm)"
dmsetup reload fm --table "0 $S forkmirror $P $B $T il 8 2 intent_window 1000" ||
	fail "reload failed"
dmsetup resume fm || fail "resume failed"
expect_table fm "0 $S forkmirror $(devnum "$P") $(devnum "$B") $TN il 8 2 intent_window 1000"
st=$(dmsetup status fm)
echo "$st" | grep -qE "^0 $S forkmirror in_sync 0/" || fail "reloaded table: $st"

log "intent_window 1000: cleared within a second (4 s allowed for slow kernels)"
randw /dev/mapper/fm 2
t=$(wait_no_marks fm 4) || fail "fm: marks not cleared within 4 s"
log "cleared $t/10 s after the last write"

log "a steady load keeps its marks busy: no flush of ours until it stops"
# flushes DEV: the flush requests DEV completed (diskstats field 16).
flushes() {
	awk '{ print $16 }' "/sys/block/${1#/dev/}/stat"
}
[ "$(cat "/sys/block/${B#/dev/}/queue/write_cache")" = "write back" ] ||
	fail "the backup has no volatile cache: its flushes are not counted"
retable 2 intent_window 1500
fp=$(flushes "$P") fb=$(flushes "$B")
# One 4 KiB region, written without a pause for 4 s: every pass of the
# clear work (every 500 ms) finds its mark touched, unless one write took
# longer than a whole period (a pass then flushes, rightly: it cannot know
# the write is still in flight).
fio --name=w --filename=/dev/mapper/fm --direct=1 --ioengine=libaio \
	--iodepth=1 --rw=randwrite --bs=4k --size=4k --time_based --runtime=4 \
	--output-format=terse >/tmp/fio.out || { cat /tmp/fio.out; fail "fio failed"; }
np=$(($(flushes "$P") - fp)) nb=$(($(flushes "$B") - fb))
# Terse fields: 49 write IOPS, 80 the longest write latency (us).
maxlat=$(awk -F';' '{ printf "%d", $80 }' /tmp/fio.out)
log "flushes during 4 s of writes to one region: primary $np, backup $nb ($(awk -F';' '{ print $49 }' /tmp/fio.out) IOPS, longest write $maxlat us)"
# The pass just after the last write may have flushed already.
[ "$maxlat" -ge 500000 ] || { [ "$np" -le 1 ] && [ "$nb" -le 1 ]; } ||
	fail "busy marks flushed: primary $np, backup $nb times in 4 s"
t=$(wait_no_marks fm 4) || fail "fm: the idle mark not cleared within 4 s"
[ $(($(flushes "$P") - fp)) -ge 1 ] && [ $(($(flushes "$B") - fb)) -ge 1 ] ||
	fail "the mark was cleared without a flush of both devices"
log "cleared $t/10 s after the last write, with a flush of each device"

log "backup offline: the marks wait for a copy and stay"
retable 2 intent_window 600000
dd if=/dev/urandom of=/dev/mapper/fm bs=4k count=64 oflag=direct 2>/dev/null ||
	fail "writes failed"
d=$(dirty_of fm)
[ "$d" = 64 ] || fail "not 64 marks after 64 writes: $(dmsetup status fm)"
dmsetup message fm 0 offline || fail "offline refused"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking: $(dmsetup status fm)"
retable 2 intent_window 100
sleep 2
[ "$(dirty_of fm)" = 64 ] || fail "marks cleared with the backup offline: $(dmsetup status fm)"
dmsetup suspend fm && dmsetup resume fm || fail "suspend/resume failed"
[ "$(dirty_of fm)" = 64 ] || fail "a suspend cleared regions waiting for a copy"
dmsetup remove fm || fail "remove failed"

log "a primary error's regions wait for a copy even with the intent log"
fm_wipe "$T"
dmsetup create pe --table "0 $S linear $P 0" || fail "linear refused"
dmsetup create fm --table "0 $S forkmirror /dev/mapper/pe $B $T il 8 2 intent_window 100" ||
	fail "create failed"
dd if=/dev/urandom of=/dev/mapper/fm bs=4k count=8 oflag=direct 2>/dev/null
t=$(wait_no_marks fm 4) || fail "fm: marks not cleared within 4 s"
swap_table pe "0 $S error"
expect_fail dd if=/dev/zero of=/dev/mapper/fm bs=4k seek=100 count=1 oflag=direct
sleep 1
[ "$(dirty_of fm)" = 1 ] || fail "the failed write's region is not marked: $(dmsetup status fm)"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking after a primary error"
dmsetup remove fm || fail "remove failed"
dmsetup remove pe

log "a failed flush of the primary: every intent mark waits for a copy"
fm_wipe "$T"
dmsetup create pe --table "0 $S linear $P 0" || fail "linear refused"
dmsetup create fm --table "0 $S forkmirror /dev/mapper/pe $B $T il 8 2 intent_window 600000" ||
	fail "create failed"
dd if=/dev/urandom of=/dev/mapper/fm bs=4k count=16 oflag=direct 2>/dev/null
d=$(dirty_of fm)
[ "$d" = 16 ] || fail "not 16 marks after 16 writes: $(dmsetup status fm)"
swap_table pe "0 $S flakey $P 0 0 1 1 error_writes"
expect_fail dd if=/dev/zero of=/dev/mapper/fm bs=4k count=0 conv=fsync 2>/dev/null
dmesg | grep -q ": primary flush failed" || fail "no log line for the failed flush"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking after a failed flush: $(dmsetup status fm)"
dmsetup suspend fm && dmsetup resume fm || fail "suspend/resume failed"
[ "$(dirty_of fm)" = "$d" ] || fail "marks cleared after a failed primary flush: $(dmsetup status fm)"
dmsetup remove fm || fail "remove failed"
dmsetup remove pe

log "no_intent_log: no marks; the slot is active while the table lives"
# The tracked and failed writes above left the devices different.
dd if="$P" of="$B" bs=1M count=64 iflag=direct oflag=direct 2>/dev/null ||
	fail "cannot copy primary to backup"
fm_wipe "$T"
dmsetup create fm --table "0 $S forkmirror $P $B $T nil 8 1 no_intent_log" ||
	fail "create failed"
randw /dev/mapper/fm 2
[ "$(dirty_of fm)" = 0 ] || fail "marks with no_intent_log: $(dmsetup status fm)"
[ $(( $(flags_of nil) & 2 )) = 2 ] || fail "slot not active: flags $(flags_of nil)"
dmsetup reload fm --table "0 $S forkmirror $P $B $T nil 8 1 no_intent_log" ||
	fail "reload failed"
dmsetup resume fm || fail "resume failed"
[ "$(status_field fm 1)" = in_sync ] || fail "a reload took the active flag for a crash"
dmsetup remove fm || fail "remove failed"
dmsetup create fm --table "0 $S forkmirror $P $B $T nil 8" || fail "create failed"
st=$(dmsetup status fm)
echo "$st" | grep -qE "^0 $S forkmirror in_sync 0/.* - 0\$" ||
	fail "a clean removal was taken for a crash: $st"
[ $(( $(flags_of nil) & 2 )) = 0 ] || fail "slot still active: flags $(flags_of nil)"
dmsetup remove fm || fail "remove failed"
blocks_equal "$P" "$B" 33554432 || fail "primary and backup differ"

log "full_resync failing on the store: the intent marks wait for a copy (tracking)"
fm_wipe "$T"
dmsetup create st --table "0 $(sectors "$T") linear $T 0" || fail "linear refused"
dmsetup create fm --table "0 $S forkmirror $P $B /dev/mapper/st fr 8 2 intent_window 600000" ||
	fail "create failed"
dd if=/dev/urandom of=/dev/mapper/fm bs=4k count=8 oflag=direct 2>/dev/null || fail "writes failed"
[ "$(dirty_of fm)" = 8 ] || fail "not 8 marks after 8 writes: $(dmsetup status fm)"
swap_table st "0 $(sectors "$T") error"
expect_fail dmsetup message fm 0 full_resync
[ "$(status_field fm 1)" = tracking ] ||
	fail "in_sync although the intent marks wait for a copy: $(dmsetup status fm)"
dmsetup remove fm || fail "remove failed"
dmsetup remove st
dd if="$P" of="$B" bs=1M count=64 iflag=direct oflag=direct 2>/dev/null ||
	fail "cannot copy primary to backup"

log "fork_mode parallel: both devices written, identical"
dmsetup create fm --table "0 $S forkmirror $P $B $T par 8 2 fork_mode parallel" ||
	fail "create failed"
randw /dev/mapper/fm 3
dd if=/dev/urandom of=/dev/mapper/fm bs=1M count=8 seek=40 oflag=direct 2>/dev/null ||
	fail "large writes failed"
t=$(wait_no_marks fm 6) || fail "fm: marks not cleared within 6 s"
[ "$(status_field fm 1)" = in_sync ] || fail "parallel: $(dmsetup status fm)"
dmsetup remove fm || fail "remove failed"
blocks_equal "$P" "$B" 50331648 || fail "parallel: primary and backup differ"

# A mark's region has no fork in flight only if no fork writing into it
# holds in-flight buckets: forks elsewhere sharing its buckets (every
# bucket, with 64 MiB regions) must not keep it.
log "64 MiB regions: a region written once is cleared while another is under load"
dmsetup create fmb --table "0 $((192 * 2048)) forkmirror $P $B $T ilbig 131072 2 fork_mode parallel" ||
	fail "create fmb failed"
fio --name=w --filename=/dev/mapper/fmb --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bs=4k --offset=64M --size=32M --time_based --runtime=14 \
	--randrepeat=0 --output-format=terse >/tmp/fio.out 2>&1 &
wpid=$!
has_marks() { ! no_marks "$1"; }
wait_until 10 has_marks fmb >/dev/null || fail "fmb: no mark 10 s after fio started"
# region0 VOLUME: 1 when region 0 is set in the volume's log (its bitmap
# follows the 80-byte header), else 0.
region0() {
	echo $(($(dd if="$SYS/volumes/$1/log" bs=1 skip=80 count=1 2>/dev/null |
		od -An -tu1 | tr -d ' ') & 1))
}
dd if=/dev/urandom of=/dev/mapper/fmb bs=4k count=1 oflag=direct 2>/dev/null ||
	fail "write to region 0 failed"
[ "$(region0 ilbig)" = 1 ] || fail "fmb: region 0 not marked: $(dmsetup status fmb)"
region0_clear() { [ "$(region0 "$1")" = 0 ]; }
t=$(wait_until 6 region0_clear ilbig) ||
	fail "fmb: region 0 still marked 6 s after its write: $(dmsetup status fmb)"
kill -0 $wpid 2>/dev/null || fail "fio ended before region 0 was cleared: the test proved nothing"
log "region 0 cleared $t/10 s after its write, region 1 under load: $(dmsetup status fmb)"
wait $wpid || { cat /tmp/fio.out; fail "fio on fmb failed"; }
t=$(wait_no_marks fmb 6) || fail "fmb: marks not cleared within 6 s"
dmsetup remove fmb || fail "remove fmb failed"

log "fork_mode parallel, backup failing: tracking, the write's region marked"
dmsetup create bk --table "0 $S linear $B 0" || fail "linear refused"
dmsetup create fm --table "0 $S forkmirror $P /dev/mapper/bk $T par 8 2 fork_mode parallel" ||
	fail "create failed"
swap_table bk "0 $S error"
dd if=/dev/urandom of=/dev/mapper/fm bs=4k seek=7 count=1 oflag=direct 2>/dev/null ||
	fail "a write failed although the primary took it"
[ "$(status_field fm 1)" = tracking ] || fail "parallel: not tracking: $(dmsetup status fm)"
sleep 1
[ "$(dirty_of fm)" -ge 1 ] || fail "parallel: the failed fork's region is not marked"
[ "$(status_field fm 5)" = 1 ] || fail "parallel: backup error not counted: $(dmsetup status fm)"
dmsetup remove fm || fail "remove failed"
dmsetup remove bk

log "fork_mode parallel, a flush failing on the primary while the backup's is slow"
# The backup's flushes take 2 s: a user flush's primary half fails long
# before its backup half completes, and that failed half holds the
# clearing until the error is handled. The pass's flushes go to the
# backup first, so no pass can clear a mark once the primary fails.
# intent_window 9000: a mark is cleared no sooner than two periods (6 s)
# plus the backup's 2 s flush after its write, so the 16 marks are all
# still there when the flush fails, however slowly a debug kernel under
# load runs the writes and the table swap (1 s was once too short).
dd if="$P" of="$B" bs=1M count=64 iflag=direct oflag=direct 2>/dev/null ||
	fail "cannot copy primary to backup"
fm_wipe "$T"
dmsetup create pe --table "0 $S linear $P 0" || fail "linear refused"
dmsetup create bk --table "0 $S delay $B 0 0 $B 0 0 $B 0 2000" || fail "delay refused"
dmsetup create fm --table "0 $S forkmirror /dev/mapper/pe /dev/mapper/bk $T pf 8 4 fork_mode parallel intent_window 9000" ||
	fail "create failed"
dd if=/dev/urandom of=/dev/mapper/fm bs=4k count=16 oflag=direct 2>/dev/null ||
	fail "writes failed"
swap_table pe "0 $S flakey $P 0 0 1 1 error_writes"
d=$(dirty_of fm)
[ "$d" = 16 ] || fail "not 16 marks after 16 writes: $(dmsetup status fm)"
expect_fail dd if=/dev/zero of=/dev/mapper/fm bs=4k count=0 conv=fsync 2>/dev/null
dmesg | grep -q ": primary flush failed" || fail "no log line for the failed flush"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking after a failed flush: $(dmsetup status fm)"
[ "$(dirty_of fm)" = "$d" ] || fail "marks cleared after a failed primary flush: $(dmsetup status fm)"
# Two periods: a pass after the failure finds no mark to clear.
sleep 6.5
[ "$(dirty_of fm)" = "$d" ] || fail "marks cleared later: $(dmsetup status fm)"
# Every hold was released: once resynced, new marks clear again.
swap_table pe "0 $S linear $P 0"
swap_table bk "0 $S linear $B 0"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 60
dd if=/dev/urandom of=/dev/mapper/fm bs=4k count=8 seek=100 oflag=direct 2>/dev/null ||
	fail "writes after the resync failed"
# Cleared within two periods plus the flushes: 6 s and a little.
t=$(wait_no_marks fm 20) || fail "marks not cleared after the resync: a hold was not released"
dmsetup remove fm || fail "remove failed"
dmsetup remove bk
dmsetup remove pe
blocks_equal "$P" "$B" 33554432 || fail "primary and backup differ after the resync"
fm_unload
log "ok"
