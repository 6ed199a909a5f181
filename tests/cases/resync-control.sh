#!/bin/sh
# Controlling a resync:
#  - resync_rate is kept within 10% over a copy of several seconds, and a
#    new rate sent while it runs takes effect at once;
#  - pause_resync stops copying (tracking, the bits not copied yet stay,
#    none copied while paused) until resync, which completes: identical;
#  - the backup failing mid-resync (its table swapped for dm-error) sends
#    the volume back to tracking with the remaining bits kept and the
#    error counted; once it is repaired, a resync completes: identical;
#  - an "offline" message mid-resync does the same without an error.
#@ timeout: 420
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
resync_setup 64			# 1024 regions of 64 KiB

# now: seconds since boot, hundredths.
now() {
	cut -d' ' -f1 /proc/uptime
}

same() {
	blocks_equal "$P" "$B" "$BYTES" || fail "primary and backup differ: $1"
}

# dirty_mib MIB: take the backup offline, write MIB MiB through fm from
# 8 MiB on (MIB * 16 regions dirty).
dirty_mib() {
	dmsetup message fm 0 offline || fail "offline refused"
	dd if=/dev/urandom of=/dev/mapper/fm bs=1M count="$1" seek=8 oflag=direct \
		2>/dev/null || fail "tracked writes failed"
	[ "$(dirty_of fm)" = $(($1 * 16)) ] || fail "not $(($1 * 16)) dirty: $(dmsetup status fm)"
}

dmsetup create fm --table "0 $S forkmirror $P $B $T rc $REG" || fail "create failed"

log "resync_rate 2048 KiB/s over 12 MiB: within 10%"
dirty_mib 12
dmsetup message fm 0 resync_rate 2048 || fail "resync_rate refused"
t0=$(now)
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 60
t1=$(now)
# Timed by the kernel's log, from "resync started" to "resync complete":
# on a slow kernel the message itself and the polling take seconds.
# The state changes just before the line is logged: wait for it.
k0=$(klog_time "-> resyncing: resync started")
i=0
while k1=$(klog_time "resyncing -> in_sync") &&
	! awk -v a="$k0" -v b="$k1" 'BEGIN { exit !(a != "" && b != "" && b > a) }'; do
	[ $i -lt 20 ] || break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$k0" ] && [ -n "$k1" ] || fail "no log lines for the resync's start and end"
kib_s=$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%d", 12 * 1024 / (b - a) }')
log "12 MiB in $(awk -v a="$k0" -v b="$k1" 'BEGIN { print b - a }') s by the kernel's log" \
	"($(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s from the message to in_sync seen):" \
	"$kib_s KiB/s for a limit of 2048"
[ "$kib_s" -ge 1843 ] && [ "$kib_s" -le 2253 ] ||
	fail "resync at $kib_s KiB/s, not within 10% of 2048"
same "after a rate-limited resync"

log "a new rate while the resync runs takes effect at once"
dirty_mib 16
dmsetup message fm 0 resync_rate 512 || fail "resync_rate refused"
dmsetup message fm 0 resync || fail "resync refused"
sleep 2
[ "$(status_field fm 1)" = resyncing ] || fail "not resyncing: $(dmsetup status fm)"
r=$(status_field fm 4)
[ "$r" -gt 0 ] && [ "$r" -lt 1024 ] || fail "rate shown $r KiB/s for a limit of 512"
t0=$(now)
dmsetup message fm 0 resync_rate 0 || fail "resync_rate 0 refused"
wait_state fm in_sync 60
t1=$(now)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 10) }' ||
	fail "unlimited resync of at most 16 MiB took $t0 -> $t1"
same "after a rate change"

log "pause_resync: copying stops, the bits stay, resync completes it"
dirty_mib 16
dmsetup message fm 0 resync_rate 1024 || fail "resync_rate refused"
dmsetup message fm 0 resync || fail "resync refused"
sleep 1
dmsetup message fm 0 pause_resync || fail "pause_resync refused"
st=$(dmsetup status fm)
echo "$st" | grep -qE "^0 $S forkmirror tracking [0-9]+/$TOTAL 0/0 0 0 0 - 0\$" ||
	fail "after pause_resync: $st"
d1=$(dirty_of fm)
[ "$d1" -gt 0 ] && [ "$d1" -lt 256 ] || fail "paused with $d1 dirty, want 1..255"
sleep 2
[ "$(dirty_of fm)" = "$d1" ] || fail "copying went on while paused: $d1 -> $(dirty_of fm)"
dmsetup message fm 0 pause_resync || fail "a second pause_resync refused"
dmsetup message fm 0 resync_rate 0 || fail "resync_rate 0 refused"
dmsetup message fm 0 resync || fail "resync after pause refused"
wait_state fm in_sync 60
same "after a paused resync"

log "the backup fails mid-resync: tracking, bits kept; repaired, a resync completes"
dirty_mib 16
dmsetup message fm 0 resync_rate 1024 || fail "resync_rate refused"
dmsetup message fm 0 resync || fail "resync refused"
sleep 1
swap_table bk "0 $S error"
wait_state fm tracking 30
st=$(dmsetup status fm)
[ "$(status_field fm 5)" -gt 0 ] || fail "no backup error counted: $st"
[ "$(status_field fm 7)" != - ] || fail "offline_since not set: $st"
[ "$(status_field fm 3)" = 0/0 ] || fail "progress after the failure: $st"
d1=$(dirty_of fm)
[ "$d1" -gt 0 ] || fail "every bit cleared though the backup failed: $st"
dmesg | grep -q "resync stopped: backup write failed" || fail "no log line for the failed resync"
swap_table bk "0 $S linear $BACKUP 0"
dmsetup message fm 0 resync_rate 0 || fail "resync_rate 0 refused"
dmsetup message fm 0 resync || fail "resync after the repair refused"
wait_state fm in_sync 60
same "after a resync the backup failed"

log "offline mid-resync: tracking, no error; a later resync completes"
e=$(status_field fm 5)
dirty_mib 16
dmsetup message fm 0 resync_rate 1024 || fail "resync_rate refused"
dmsetup message fm 0 resync || fail "resync refused"
sleep 1
dmsetup message fm 0 offline || fail "offline refused"
st=$(dmsetup status fm)
[ "$(status_field fm 1)" = tracking ] || fail "offline mid-resync: $st"
[ "$(status_field fm 5)" = "$e" ] || fail "an error counted for an offline message: $st"
[ "$(dirty_of fm)" -gt 0 ] || fail "no bit left: $st"
dmsetup message fm 0 resync_rate 0 || fail "resync_rate 0 refused"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 60
same "after an offline mid-resync"

dmsetup remove fm || fail "remove failed"
dmsetup remove bk
fm_unload
