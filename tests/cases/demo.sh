#!/bin/sh
# The demonstration `make demo` shows (and the suite checks): a forkmirror
# device over virtual disks, written through with the backup online; the
# backup failing, the volume tracking the writes that go on; the exported
# log; the backup repaired and the resync with its progress; and primary
# and backup compared byte for byte.
#@ timeout: 300
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

say() {
	echo
	echo "### $*"
}

say "Disks: primary $PRIMARY, backup $BACKUP, tracker store $META"
fm_load
lsmod | grep -E '^(dm_forkmirror|forkmirror_tracker)'
dmsetup targets | grep forkmirror

# The backup leg goes through a dm-linear device, so that the demo can
# make it fail (dm-error) and repair it, as a cut link would.
S=$(sectors "$BACKUP")
dmsetup create backup --table "0 $S linear $BACKUP 0" || fail "backup leg failed"
BK=/dev/mapper/backup

say "Create the volume (backup: $BK over $BACKUP)"
table=$(forkmirror table "$PRIMARY" "$BK" "$META" demo 1024 resync_rate 50000) ||
	fail "forkmirror table failed"
echo "dmsetup create demo --table \"$table\""
dmsetup create demo --table "$table" || fail "create failed"

say "dmsetup table demo"
dmsetup table demo
say "dmsetup status demo"
dmsetup status demo

say "Backup online: write 16 MiB of random data and build a filesystem through the device"
dd if=/dev/urandom of=/dev/mapper/demo bs=1M count=16 oflag=direct 2>&1 | tail -n 1
mke2fs -q -t ext4 -F /dev/mapper/demo || fail "mke2fs failed"
mkdir -p /mnt/demo && mount -t ext4 /dev/mapper/demo /mnt/demo || fail "mount failed"
cp -a /bin /mnt/demo/ && sync && df -h /mnt/demo | tail -n 1

say "forkmirror status demo (every write went to the backup, then the primary)"
forkmirror status demo || fail "forkmirror status failed"
blocks_equal "$PRIMARY" "$BK" || fail "primary and backup differ"
echo "primary == backup"

say "The backup fails (its leg is swapped for dm-error): the volume tracks"
dmsetup suspend backup && dmsetup load backup --table "0 $S error" &&
	dmsetup resume backup || fail "cannot fail the backup"
cp -a /sbin /mnt/demo/ && sync || fail "writes while the backup is down failed"
dd if=/dev/urandom of=/mnt/demo/random bs=1M count=8 conv=fsync 2>/dev/null ||
	fail "writes while the backup is down failed"
dmsetup status demo
forkmirror status demo || fail "forkmirror status failed"
[ "$(status_field demo 1)" = tracking ] || fail "not tracking: $(dmsetup status demo)"
umount /mnt/demo

say "The exported tracking log: forkmirror log demo (from /sys/fs/forkmirror/$(devnum "$META")/volumes/demo/log)"
forkmirror log demo >/tmp/log || fail "forkmirror log failed"
head -n 12 /tmp/log
[ "$(wc -l </tmp/log)" -gt 12 ] && echo "... ($(grep -c '^[0-9]' /tmp/log) extents in all)"

say "The backup is repaired; resync copies the dirty regions only"
dmsetup suspend backup && dmsetup load backup --table "0 $S linear $BACKUP 0" &&
	dmsetup resume backup || fail "cannot repair the backup"
dmsetup message demo 0 resync_rate 4096 || fail "resync_rate refused"
dmsetup message demo 0 resync || fail "resync refused"
# Through a pipe, watch prints a line per change (on a terminal it
# redraws one line in place).
forkmirror watch --interval 0.5 demo | cat
[ "$(status_field demo 1)" = in_sync ] || fail "forkmirror watch ended before in_sync"
dmsetup status demo
forkmirror status demo || fail "forkmirror status failed"
[ "$(status_field demo 1)" = in_sync ] || fail "resync did not end in_sync: $(dmsetup status demo)"

say "Compare primary and backup byte for byte"
blocks_equal "$PRIMARY" "$BK" || fail "primary and backup differ"
echo "primary == backup ($(blockdev --getsize64 "$PRIMARY") bytes)"

dmsetup remove demo
dmsetup remove backup
