#!/bin/sh
# The demonstration `make demo` shows (and the suite checks): a forkmirror
# device over virtual disks, written through, with its table and status,
# and primary and backup compared byte for byte.
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

say "Create the volume"
table=$(forkmirror table "$PRIMARY" "$BACKUP" "$META" demo 1024 resync_rate 50000) ||
	fail "forkmirror table failed"
echo "dmsetup create demo --table \"$table\""
dmsetup create demo --table "$table" || fail "create failed"

say "dmsetup table demo"
dmsetup table demo
say "dmsetup status demo"
dmsetup status demo

say "Write 16 MiB of random data and build a filesystem through the device"
dd if=/dev/urandom of=/dev/mapper/demo bs=1M count=16 oflag=direct 2>&1 | tail -n 1
mke2fs -q -t ext4 -F /dev/mapper/demo || fail "mke2fs failed"
mkdir -p /mnt/demo && mount -t ext4 /dev/mapper/demo /mnt/demo || fail "mount failed"
cp -a /bin /mnt/demo/ && sync && df -h /mnt/demo | tail -n 1
umount /mnt/demo

say "dmsetup status demo (after writes)"
dmsetup status demo
say "forkmirror status demo"
forkmirror status demo || fail "forkmirror status failed"

say "Compare primary and backup byte for byte"
blocks_equal "$PRIMARY" "$BACKUP" || fail "primary and backup differ"
echo "primary == backup ($(blockdev --getsize64 "$PRIMARY") bytes)"

dmsetup remove demo
