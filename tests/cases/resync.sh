#!/bin/sh
# The resync copies every region written while the backup was offline:
#  - after a tracked fio workload, "resync" brings the backup online and
#    copies; in_sync only at the end, and primary == backup (cmp);
#  - the same with fio writing (and verifying) through the device during
#    the whole (rate-limited) resync: identical at the end, verify clean;
#  - full_resync over a backup scribbled on behind forkmirror's back
#    copies everything: identical;
#  - a suspend stops the resync (tracking, progress kept on the log), a
#    resume starts it again; removing the device mid-resync is clean;
#  - the status and sysfs (resync_progress, resync_speed) show progress
#    (<resync_done>/<resync_pass_total>, KiB/s) while it runs.
#@ timeout: 420
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
fm_wipe "$P" "$B" "$T"
REG=128				# 64 KiB regions
S=$((64 * 2048))		# 64 MiB: 1024 regions
TOTAL=$((S / REG))
BYTES=$((S * 512))

# randw N [FIO ARGS...]: N 4 KiB random writes through fm (no block twice),
# QD8: about 1024 * (1 - e^(-N/1024)) regions written, however slow the
# kernel.
randw() {
	n=$1
	shift
	fio --name=w --filename=/dev/mapper/fm --direct=1 --ioengine=libaio \
		--iodepth=8 --rw=randwrite --bs=4k --size=$((BYTES)) \
		--io_size=$((n * 4096)) --randrepeat=0 --output-format=terse "$@" \
		>/tmp/fio.out 2>&1 || { cat /tmp/fio.out; fail "fio failed"; }
}

# slow_rate: a resync rate (KiB/s) that makes copying fm's dirty regions
# last about 8 s, whatever the kernel's speed.
slow_rate() {
	r=$(($(dirty_of fm) * 64 / 8))
	[ $r -ge 64 ] || r=64
	echo $r
}

same() {
	blocks_equal "$P" "$B" "$BYTES" || fail "primary and backup differ: $1"
}

log "tracked writes, then resync: identical, in_sync only at the end"
dmsetup create fm --table "0 $S forkmirror $P $B $T rs $REG" || fail "create failed"
VSYS=/sys/fs/forkmirror/$(devnum "$T")/volumes/rs
[ "$(cat "$VSYS/resync_progress")" = 0/0 ] || fail "sysfs progress with no resync"
[ "$(cat "$VSYS/resync_speed")" = 0 ] || fail "sysfs speed with no resync"
dmsetup message fm 0 offline || fail "offline refused"
randw 300
d=$(dirty_of fm)
[ "$d" -gt 100 ] || fail "few regions tracked: $(dmsetup status fm)"
blocks_equal "$P" "$B" "$BYTES" >/dev/null && fail "tracked writes reached the backup"
dmsetup message fm 0 resync || fail "resync refused"
st=$(status_field fm 1)
case $st in resyncing | in_sync) ;; *) fail "after resync: $(dmsetup status fm)" ;; esac
wait_state fm in_sync 120
[ "$(status_field fm 2)" = "0/$TOTAL" ] || fail "in_sync with bits left: $(dmsetup status fm)"
[ "$(status_field fm 3)" = 0/0 ] || fail "progress left after the resync: $(dmsetup status fm)"
[ "$(cat "$VSYS/resync_progress")" = 0/0 ] || fail "sysfs progress left after the resync"
[ "$(status_field fm 7)" = - ] || fail "offline_since left: $(dmsetup status fm)"
same "after the first resync"
dmesg | grep -q "rs.*resyncing -> in_sync\|resyncing -> in_sync" ||
	fail "no log line for the end of the resync"
log "$d regions copied"

log "fio (with verify) writing through the device during a rate-limited resync"
dmsetup message fm 0 offline || fail "offline refused"
randw 300
d=$(dirty_of fm)
# A quarter of the usual slow rate: the pass lasts about 30 s, so that a
# sampler slowed down by a loaded debug guest still sees it run.
rate=$(($(slow_rate) / 4))
[ $rate -ge 64 ] || rate=64
dmsetup message fm 0 resync_rate $rate || fail "resync_rate refused"
dmsetup message fm 0 resync || fail "resync refused"
[ "$(status_field fm 1)" = resyncing ] || fail "not resyncing: $(dmsetup status fm)"
fio --name=v --filename=/dev/mapper/fm --direct=1 --ioengine=libaio \
	--iodepth=8 --rw=randwrite --bsrange=4k-64k --size=$BYTES \
	--verify=crc32c --do_verify=1 --randrepeat=0 --rate_iops=200 \
	--runtime=4 --time_based=0 --output-format=terse >/tmp/fio.out 2>&1 &
fpid=$!
# Progress is shown while it runs, in status and sysfs: sample them while
# fio runs and, if none showed it yet, while the resync goes.
# The status line and each sysfs file are read apart, so each is judged
# on its own (a read may fall just after the pass ended); all three must
# have shown the running resync.
seen=0 seen_st=0 seen_sp=0 seen_ss=0 st=resyncing
: >/tmp/samples
while kill -0 $fpid 2>/dev/null || { [ $seen = 0 ] && [ "$st" = resyncing ]; }; do
	line=$(dmsetup status fm)
	sp=$(cat "$VSYS/resync_progress") ss=$(cat "$VSYS/resync_speed")
	echo "$(cut -d' ' -f1 /proc/uptime) $line; sysfs $sp $ss" >>/tmp/samples
	set -- $line
	st=$4 p=$6 r=$7
	if [ "$st" = resyncing ] && [ "${p%/*}" -gt 0 ] &&
		[ "${p#*/}" -ge "${p%/*}" ] && [ "$r" -gt 0 ]; then
		seen_st=1
	fi
	[ "${sp%/*}" -gt 0 ] && [ "${sp#*/}" -ge "${sp%/*}" ] && seen_sp=1
	[ "$ss" -gt 0 ] && seen_ss=1
	[ $seen_st$seen_sp$seen_ss = 111 ] && seen=1
	sleep 0.3
done
wait $fpid || { cat /tmp/fio.out; fail "fio verify failed during the resync"; }
[ $seen = 1 ] || { tail -n 40 /tmp/samples; fail "no progress shown while resyncing (status $seen_st, sysfs progress $seen_sp, sysfs speed $seen_ss): $(dmsetup status fm)"; }
dmsetup message fm 0 resync_rate 0 || fail "resync_rate 0 refused"
wait_state fm in_sync 120
same "after a resync with writes"
log "$d regions copied under load at $rate KiB/s, fio verify clean"

log "full_resync over a backup changed behind our back: every region copied"
dmsetup suspend fm || fail "suspend failed"
dd if=/dev/urandom of="$B" bs=1M count=8 seek=20 oflag=direct 2>/dev/null ||
	fail "cannot scribble on the backup"
dmsetup resume fm || fail "resume failed"
dmsetup message fm 0 full_resync || fail "full_resync refused"
[ "$(status_field fm 8)" = 1 ] || fail "full resync not flagged: $(dmsetup status fm)"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 180
[ "$(status_field fm 8)" = 0 ] || fail "full resync still flagged: $(dmsetup status fm)"
same "after full_resync"

log "suspend stops the resync, resume starts it again"
dmsetup message fm 0 offline || fail "offline refused"
randw 300
rate=$(slow_rate)
dmsetup message fm 0 resync_rate $rate || fail "resync_rate refused"
dmsetup message fm 0 resync || fail "resync refused"
sleep 1
d1=$(dirty_of fm)
dmsetup suspend fm || fail "suspend failed"
[ "$(status_field fm 1)" = tracking ] || fail "suspended and not tracking: $(dmsetup status fm)"
[ "$(status_field fm 3)" = 0/0 ] || fail "progress while suspended: $(dmsetup status fm)"
sleep 1
d2=$(dirty_of fm)
[ "$d2" -gt 0 ] || fail "the resync finished before the suspend; slow it down"
[ "$d2" -le "$d1" ] || fail "bits grew while suspended: $d1 -> $d2"
sleep 1
[ "$(dirty_of fm)" = "$d2" ] || fail "copying went on while suspended"
starts=$(dmesg | grep -c "tracking -> resyncing: resync started")
dmsetup resume fm || fail "resume failed"
# On a slow guest the rest may be copied before the status is read: the
# kernel log then shows the restart.
[ "$(status_field fm 1)" = resyncing ] ||
	[ "$(dmesg | grep -c "tracking -> resyncing: resync started")" -gt "$starts" ] ||
	fail "resume did not restart the resync: $(dmsetup status fm)"
dmsetup message fm 0 resync_rate 0 || fail "resync_rate 0 refused"
wait_state fm in_sync 120
same "after a suspended resync"

log "removing the device mid-resync is clean"
dmsetup message fm 0 offline || fail "offline refused"
randw 200
rate=$(slow_rate)
dmsetup message fm 0 resync_rate $rate || fail "resync_rate refused"
dmsetup message fm 0 resync || fail "resync refused"
sleep 1
[ "$(status_field fm 1)" = resyncing ] || fail "not resyncing: $(dmsetup status fm)"
dmsetup remove fm || fail "remove mid-resync failed"
# The table line's resync_rate 0 (default): the rest goes at full speed.
dmsetup create fm --table "0 $S forkmirror $P $B $T rs $REG 1 no_auto_resync" ||
	fail "create after remove failed"
[ "$(status_field fm 1)" = tracking ] || fail "bits lost by the remove: $(dmsetup status fm)"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 120
same "after a resync interrupted by a remove"
dmsetup remove fm || fail "remove failed"
fm_unload
