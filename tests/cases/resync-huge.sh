#!/bin/sh
# A resync costs what the dirty regions cost, not the volume: a 1 TiB
# sparse volume (dm-zero under a snapshot, for the primary and for the
# backup) with a handful of regions written while the backup was offline
# resyncs in seconds, and the copied regions match.
#@ timeout: 300
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
modprobe dm-snapshot || fail "modprobe dm-snapshot failed"
fm_wipe "$SPARE" "$META"
TIB=$((2 * 1024 * 1024 * 1024))		# 1 TiB in sectors
HALF=$(($(sectors "$SPARE") / 2))
dmsetup create zero --table "0 $TIB zero" || fail "dm-zero failed"
dmsetup create cowp --table "0 $HALF linear $SPARE 0" || fail "cow p failed"
dmsetup create cowb --table "0 $HALF linear $SPARE $HALF" || fail "cow b failed"
dmsetup create hp --table "0 $TIB snapshot /dev/mapper/zero /dev/mapper/cowp N 8" ||
	fail "primary snapshot failed"
dmsetup create hb --table "0 $TIB snapshot /dev/mapper/zero /dev/mapper/cowb N 8" ||
	fail "backup snapshot failed"
P=/dev/mapper/hp B=/dev/mapper/hb
REG=128					# 64 KiB regions: 2^24 of them

dmsetup create fm --table "0 $TIB forkmirror $P $B $META huge $REG" ||
	fail "1 TiB volume refused"
[ "$(status_field fm 2)" = "0/$((TIB / REG))" ] || fail "status: $(dmsetup status fm)"
dmsetup message fm 0 offline || fail "offline refused"
# Seven 64 KiB writes spread over the volume (offsets in 64 KiB units).
OFFS="0 1 4096 1000000 8388608 12345678 16777215"
for o in $OFFS; do
	dd if=/dev/urandom of=/dev/mapper/fm bs=64k count=1 seek="$o" oflag=direct \
		2>/dev/null || fail "write at $o failed"
done
[ "$(dirty_of fm)" = 7 ] || fail "not 7 dirty: $(dmsetup status fm)"
t0=$(cut -d' ' -f1 /proc/uptime)
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 60
t1=$(cut -d' ' -f1 /proc/uptime)
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
log "7 dirty regions of a 1 TiB volume resynced in $took s"
awk -v t="$took" 'BEGIN { exit !(t < 20) }' || fail "resync of 7 regions took $took s"
for o in $OFFS; do
	realcmp -n 65536 -i $((o * 65536)):$((o * 65536)) "$P" "$B" ||
		fail "region at $o differs after the resync"
done
dmsetup remove fm || fail "remove failed"
for d in hp hb cowp cowb zero; do
	dmsetup remove $d || fail "remove $d failed"
done
fm_unload
