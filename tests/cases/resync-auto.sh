#!/bin/sh
# What starts a resync without a resync request (unless no_auto_resync):
#  - full_resync: copying starts at once;
#  - a table that finds regions waiting for a copy with the backup online
#    (here after a full_resync under no_auto_resync) resyncs on resume;
#  - a backup that failed by itself is probed periodically and brought
#    back, with a resync, once it answers; a table that finds the backup
#    offline in its slot probes it too;
#  - a backup failing again within 60 s of a probe bringing it back is
#    flapping: its probe waits twice as long as the last one (10 s when
#    the first probe found it answering; 20 s when a slow guest had not
#    yet restored it for the first probe, which then waited 10 s more);
#  - a backup that keeps failing is probed less and less often (here,
#    failing within 60 s of the new table's probe, 10 s then 20 s: two
#    probes in 36 s; 2 to 4 accepted);
#  - a backup taken offline with the offline message is never probed, nor
#    any under no_auto_resync.
#@ timeout: 360
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
resync_setup 32			# 512 regions of 64 KiB
TABLE="0 $S forkmirror $P $B $T ra $REG"

same() {
	blocks_equal "$P" "$B" "$BYTES" || fail "primary and backup differ: $1"
}

# fail_backup: the backup fails a write by itself: tracking.
fail_backup() {
	swap_table bk "0 $S error"
	dd if=/dev/urandom of=/dev/mapper/fm bs=64k count=16 seek=$1 oflag=direct \
		2>/dev/null || fail "write with the backup failing failed"
	[ "$(status_field fm 1)" = tracking ] || fail "backup error: not tracking: $(dmsetup status fm)"
}

log "full_resync: copying starts at once"
dmsetup create fm --table "$TABLE" || fail "create failed"
dmsetup message fm 0 full_resync || fail "full_resync refused"
case $(status_field fm 1) in
resyncing | in_sync) ;;
*) fail "full_resync did not start copying: $(dmsetup status fm)" ;;
esac
wait_state fm in_sync 60
same "after full_resync"

log "a reload that finds regions waiting for a copy resyncs on resume"
dmsetup reload fm --table "$TABLE 1 no_auto_resync" || fail "reload failed"
dmsetup resume fm || fail "resume failed"
dmsetup message fm 0 full_resync || fail "full_resync refused"
[ "$(status_field fm 1)" = tracking ] || fail "no_auto_resync: $(dmsetup status fm)"
dmsetup reload fm --table "$TABLE" || fail "reload failed"
dmsetup resume fm || fail "resume failed"
case $(status_field fm 1) in
resyncing | in_sync) ;;
*) fail "the reload did not start a resync: $(dmsetup status fm)" ;;
esac
wait_state fm in_sync 60
same "after the reload's resync"

# klog_since N: the kernel log after its first N lines.
klog_since() {
	dmesg | tail -n +$(($1 + 1))
}

log "a backup that failed and answers again is brought back by the probe"
n0=$(dmesg | wc -l)
fail_backup 0
swap_table bk "0 $S linear $BACKUP 0"
wait_state fm in_sync 30
same "after the probe's resync"
klog_since "$n0" | grep -q "resyncing -> in_sync" || fail "no resync seen"
# The wait the last probe had: 5 s, or what the last failed probe said
# the next would wait (a slow guest may restore the backup too late for
# the first probe).
last=$(klog_since "$n0" | sed -n 's/.*backup probe: no answer.*next probe in \([0-9]*\) s$/\1/p' |
	tail -n 1)
want=$((2 * ${last:-5}))

log "failing again within 60 s of the probe's success: flapping, the wait doubles"
n1=$(dmesg | wc -l)
fail_backup 16
swap_table bk "0 $S linear $BACKUP 0"
wait_state fm in_sync $((want + 60))
# Timed by the kernel's log, from the failure to the first probe after
# it (one that brought the backup back, or one that found it silent).
k0=$(klog_since "$n1" | grep -m 1 "in_sync -> tracking" |
	sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
k1=$(klog_since "$n1" | grep -m 1 -e "tracking -> resyncing" -e "backup probe: no answer" |
	sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
[ -n "$k0" ] && [ -n "$k1" ] || fail "no log lines for the failure and the next probe"
t=$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%.1f", b - a }')
log "probed $t s after the failure (the last probe waited ${last:-5} s; a flapping one waits $want s)"
# A probe that started over would come after 5 s; the next doubling
# after 2 * want.
awk -v t="$t" -v w="$want" 'BEGIN { exit !(t >= w - 0.5 && t < 1.9 * w) }' ||
	fail "a flapping backup was probed $t s after it failed, want $want"
same "after the flapping backup's resync"

log "a table finding the backup offline in its slot probes it"
fail_backup 32
dmsetup remove fm || fail "remove failed"
swap_table bk "0 $S linear $BACKUP 0"
dmsetup create fm --table "$TABLE" || fail "create after remove failed"
[ "$(status_field fm 7)" != - ] || fail "offline_since lost: $(dmsetup status fm)"
wait_state fm in_sync 30
same "after the new table's probe"

log "a backup that keeps failing: probes back off"
before=$(dmesg | grep -c "backup probe: no answer")
fail_backup 64
sleep 36
n=$(($(dmesg | grep -c "backup probe: no answer") - before))
log "$n failed probes in 36 s"
[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "$n probes in 36 s, want 2 to 4 (5, 10, 20 s apart)"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking: $(dmsetup status fm)"
swap_table bk "0 $S linear $BACKUP 0"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 60
same "after the back-off"

log "offline on purpose, or no_auto_resync: never probed"
dmsetup message fm 0 offline || fail "offline refused"
dd if=/dev/urandom of=/dev/mapper/fm bs=64k count=4 oflag=direct 2>/dev/null ||
	fail "tracked write failed"
sleep 7
[ "$(status_field fm 1)" = tracking ] || fail "an offline message was undone: $(dmsetup status fm)"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 60
dmsetup reload fm --table "$TABLE 1 no_auto_resync" || fail "reload failed"
dmsetup resume fm || fail "resume failed"
fail_backup 96
swap_table bk "0 $S linear $BACKUP 0"
sleep 7
[ "$(status_field fm 1)" = tracking ] || fail "no_auto_resync: probed: $(dmsetup status fm)"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 60
same "at the end"
dmsetup remove fm || fail "remove failed"
dmsetup remove bk
fm_unload
