#!/bin/sh
# The forkmirror command against real devices: create and table from
# named arguments (and their refusals), status in text and JSON, the
# tracking log as extents (text and JSON) checked against the regions
# written, watch following a resync to in_sync, lvm-filter's filter used
# by LVM, a backup leg made, found and unwound, and the exit codes of
# errors.
#@ timeout: 300
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY T=$META
fm_wipe "$P" "$BACKUP" "$T"
S=$(sectors "$P")		# 256 MiB: 4096 regions of 64 KiB
dmsetup create bk --table "0 $S linear $BACKUP 0" || fail "backup linear failed"
B=/dev/mapper/bk
PN=$(devnum "$P") TN=$(devnum "$T")
BN=$(dmsetup info -c --noheadings -o major,minor bk | tr -d ' ')

# rc WANT CMD...: run CMD, its stderr in /tmp/err; fail unless it exits WANT.
rc() {
	want=$1
	shift
	"$@" >/tmp/out 2>/tmp/err
	got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, want $want: $(cat /tmp/out /tmp/err)"
}

log "--help of every subcommand; unknown subcommands and options"
for c in status watch log table create assemble lvm-filter; do
	rc 0 forkmirror "$c" --help
	grep -q "^usage: forkmirror $c" /tmp/out || fail "$c --help: $(cat /tmp/out)"
	rc 2 forkmirror "$c" --bogus
	grep -q "unknown option" /tmp/err || fail "$c --bogus: $(cat /tmp/err)"
done
rc 0 forkmirror --help
rc 2 forkmirror frobnicate

log "table from named arguments, as the kernel prints it back"
rc 0 forkmirror table --primary "$P" --backup "$B" --tracker "$T" --volume vol \
	--region-sectors 128 --no-auto-resync --resync-rate 700
line=$(cat /tmp/out)
[ "$line" = "0 $S forkmirror $P $B $T vol 128 3 resync_rate 700 no_auto_resync" ] ||
	fail "table printed '$line'"

log "refusals change nothing"
rc 2 forkmirror create fm "$P" "$B" "$T" vol 100
grep -q "region size" /tmp/err || fail "bad region: $(cat /tmp/err)"
rc 2 forkmirror create fm "$P" "$P" "$T" vol
grep -q -e "same device" -e "different devices" /tmp/err || fail "same device: $(cat /tmp/err)"
rc 2 forkmirror create fm --fork-mode parallel --no-intent-log "$P" "$B" "$T" vol
grep -q "no_intent_log" /tmp/err || fail "parallel without intent: $(cat /tmp/err)"
rc 1 forkmirror create fm "$P" /dev/nonexistent "$T" vol
grep -q "/dev/nonexistent" /tmp/err || fail "missing backup: $(cat /tmp/err)"
rc 2 forkmirror create "$P" "$B" "$T" vol
rc 2 forkmirror create fm --primary "$P" --primary "$B" --backup "$B" --tracker "$T" --volume vol
grep -q -- "--primary given twice" /tmp/err || fail "two primaries: $(cat /tmp/err)"
rc 2 forkmirror create fm --region-sectors 128 --region-sectors 256 "$P" "$B" "$T" vol
grep -q -- "--region-sectors given twice" /tmp/err || fail "two region sizes: $(cat /tmp/err)"
dmsetup info fm >/dev/null 2>&1 && fail "a refused create left a device"

log "create, status (text and JSON)"
rc 0 forkmirror create fm --region-sectors 128 "$P" "$B" "$T" vol
expect_table fm "0 $S forkmirror $PN $BN $TN vol 128"
rc 1 forkmirror create fm --region-sectors 128 "$P" "$B" "$T" vol
rc 0 forkmirror status
grep -q "^fm  *in_sync  *0/4096 " /tmp/out || fail "status: $(cat /tmp/out)"
grep -q "^bk " /tmp/out && fail "status listed a linear device: $(cat /tmp/out)"
rc 0 forkmirror status --json fm
for kv in '"device": "fm"' '"state": "in_sync"' '"total_regions": 4096' \
	'"region_sectors": 128' '"offline_since": null' '"full_resync_needed": false' \
	"\"tracker\": \"$TN\"" '"volume": "vol"'; do
	grep -qF "$kv" /tmp/out || fail "status --json has no $kv: $(cat /tmp/out)"
done
rc 1 forkmirror status fm bk
grep -q "bk: not a forkmirror device" /tmp/err || fail "status bk: $(cat /tmp/err)"
grep -q "^fm " /tmp/out || fail "status fm bk did not show fm"
rc 1 forkmirror status nosuch
grep -q "no such dm device" /tmp/err || fail "status nosuch: $(cat /tmp/err)"

log "the backup fails: the log shows the regions written, as extents"
swap_table bk "0 $S error"
# Regions 3-5 (one write across them), 100, and the last one (4095).
dd if=/dev/urandom of=/dev/mapper/fm bs=512 seek=384 count=384 oflag=direct 2>/dev/null ||
	fail "write failed"
dd if=/dev/urandom of=/dev/mapper/fm bs=4k seek=1600 count=1 oflag=direct 2>/dev/null ||
	fail "write failed"
dd if=/dev/urandom of=/dev/mapper/fm bs=4k seek=$((S / 8 - 1)) count=1 oflag=direct \
	2>/dev/null || fail "write failed"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking: $(dmsetup status fm)"
rc 0 forkmirror log fm
got=$(grep -v '^#' /tmp/out | tr '\n' ' ')
[ "$got" = "384 384 12800 128 $((S - 128)) 128 " ] || fail "log extents: $(cat /tmp/out)"
grep -q "^# 5 of 4096 regions of 128 sectors dirty" /tmp/out || fail "log header: $(cat /tmp/out)"
grep -q "^# 3 extents" /tmp/out || fail "log count: $(cat /tmp/out)"
rc 0 forkmirror log --json /dev/mapper/fm
tr -d ' \n' </tmp/out >/tmp/flat
grep -qF '"extents":[{"start":384,"length":384},{"start":12800,"length":128},{"start":'$((S - 128))',"length":128}]' /tmp/flat ||
	fail "log --json extents: $(cat /tmp/out)"
grep -qF '"dirty_regions":5' /tmp/flat || fail "log --json dirty: $(cat /tmp/out)"
grep -qF '"state":"tracking"' /tmp/flat || fail "log --json state: $(cat /tmp/out)"
rc 0 forkmirror status --json fm
grep -q '"offline_since": [1-9]' /tmp/out || fail "offline_since: $(cat /tmp/out)"
rc 1 forkmirror log bk
grep -q "not a forkmirror device" /tmp/err || fail "log bk: $(cat /tmp/err)"
rc 2 forkmirror log

log "watch follows a resync to in_sync"
dd if=/dev/urandom of=/dev/mapper/fm bs=1M count=24 oflag=direct 2>/dev/null ||
	fail "write failed"
swap_table bk "0 $S linear $BACKUP 0"
dmsetup message fm 0 resync_rate 4096 || fail "resync_rate refused"
dmsetup message fm 0 resync || fail "resync refused"
rc 0 forkmirror watch --interval 0.3 fm
grep -q "^fm: resyncing \[[#.]*\] *[0-9.]*% [0-9]*/[0-9]* regions, [0-9]* KiB/s, [0-9:-]* left$" /tmp/out ||
	fail "watch showed no progress line: $(cat /tmp/out)"
[ "$(tail -n 1 /tmp/out)" = "fm: in_sync, 0/4096 regions dirty" ] ||
	fail "watch did not end in_sync: $(cat /tmp/out)"
log "watch printed $(grep -c resyncing /tmp/out) progress lines"
blocks_equal "$P" "$B" $((S * 512)) || fail "primary and backup differ after the resync"
rc 0 forkmirror watch --once fm
rc 2 forkmirror watch --interval 0 fm
rc 1 forkmirror watch nosuch

log "lvm-filter: LVM on the forkmirror device with the printed filter"
rc 0 forkmirror lvm-filter --config
CONF=$(cat /tmp/out)
for p in "a|^/dev/mapper/fm\$|" "r|^/dev/mapper/bk\$|" "r|^$P\$|" "r|^$BACKUP\$|"; do
	echo "$CONF" | grep -qF "$p" || fail "filter has no $p: $CONF"
done
echo "$CONF" | grep -qF '"r|.*|"' && fail "the filter rejects every other device: $CONF"
# No name that may be another device's after a reboot (no udev here, so
# the disks have only their kernel names, which it warns about).
echo "$CONF" | grep -qE '/dev/dm-|/dev/block/' && fail "unstable names in the filter: $CONF"
grep -q "kernel name" /tmp/err || fail "no warning about kernel names: $(cat /tmp/err)"
rc 0 forkmirror lvm-filter
grep -q "^	global_filter = \[" /tmp/out || fail "lvm-filter: $(cat /tmp/out)"
pvcreate -q --config "$CONF" /dev/mapper/fm || fail "pvcreate failed"
[ "$(pvs --config "$CONF" --noheadings -o pv_name | tr -d ' ')" = /dev/mapper/fm ] ||
	fail "with the filter, pvs shows: $(pvs --config "$CONF" --noheadings -o pv_name 2>&1)"
pvremove -q -y --config "$CONF" /dev/mapper/fm || fail "pvremove failed"

dmsetup remove fm || fail "remove failed"

log "--backup-leg: the leg made first and used, found there, removed on a refusal"
dmnum() { dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' '; }
BKN=$(devnum "$BACKUP")
rc 0 forkmirror create fl --backup-leg fl-bk --region-sectors 128 "$P" "$BACKUP" "$T" vl
grep -q "^created fl-bk: 0 $S linear $BACKUP 0\$" /tmp/out || fail "leg: $(cat /tmp/out)"
expect_table fl-bk "0 $S linear $BKN 0"
expect_table fl "0 $S forkmirror $PN $(dmnum fl-bk) $TN vl 128"
dd if=/dev/urandom of=/tmp/leg bs=64k count=4 2>/dev/null
dd if=/tmp/leg of=/dev/mapper/fl bs=64k oflag=direct 2>/dev/null || fail "write failed"
blocks_equal /tmp/leg "$BACKUP" 262144 || fail "the write did not reach the backup under the leg"
dmsetup remove fl || fail "remove failed"
rc 0 forkmirror create fl --backup-leg fl-bk --region-sectors 128 "$P" "$BACKUP" "$T" vl
grep -q "^created fl-bk" /tmp/out && fail "the leg there was made again: $(cat /tmp/out)"
grep -q "^using fl-bk (there already)" /tmp/out || fail "leg reuse: $(cat /tmp/out)"
expect_table fl "0 $S forkmirror $PN $(dmnum fl-bk) $TN vl 128"
# A leg in use (the backup of fl) is no other volume's backup.
rc 1 forkmirror create fl2 --backup-leg fl-bk --region-sectors 128 "$P" "$BACKUP" "$T" vl2
grep -q "fl-bk is there and open" /tmp/err || fail "open leg: $(cat /tmp/err)"
dmsetup remove fl fl-bk || fail "remove failed"
# A leg over part of the backup is not the backup.
dmsetup create fl-bk --table "0 1024 linear $BACKUP 0" || fail "partial leg failed"
rc 1 forkmirror create fl --backup-leg fl-bk --region-sectors 128 "$P" "$BACKUP" "$T" vl
grep -q "fl-bk is there, but maps $BKN (1024 sectors)" /tmp/err || fail "partial leg: $(cat /tmp/err)"
dmsetup remove fl-bk
# The kernel refuses another region size for slot vl: the leg goes too.
rc 1 forkmirror create fl --backup-leg fl-bk --region-sectors 256 "$P" "$BACKUP" "$T" vl
grep -q "refused the table" /tmp/err || fail "region change: $(cat /tmp/err)"
dmsetup info fl-bk >/dev/null 2>&1 && fail "a refused create left its leg"
dmsetup create zz --table "0 $S zero" || fail "zero device failed"
rc 1 forkmirror create fl --backup-leg zz --region-sectors 128 "$P" "$BACKUP" "$T" vl
grep -q "zz is there, and it is not a linear over $BACKUP" /tmp/err || fail "leg zz: $(cat /tmp/err)"
dmsetup remove zz
rc 2 forkmirror create fl --backup-leg fl "$P" "$BACKUP" "$T" vl
grep -q "name of its own" /tmp/err || fail "leg named as the device: $(cat /tmp/err)"
rc 2 forkmirror table --backup-leg fl-bk "$P" "$BACKUP" "$T" vl
grep -q "use forkmirror create" /tmp/err || fail "table --backup-leg: $(cat /tmp/err)"
dmsetup info fl >/dev/null 2>&1 && fail "a refused create left a device"

rc 0 forkmirror status
grep -q "(no forkmirror devices)" /tmp/out || fail "status with none: $(cat /tmp/out)"
dmsetup remove bk
fm_unload
