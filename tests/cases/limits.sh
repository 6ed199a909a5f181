#!/bin/sh
# Queue limits: a forkmirror device advertises only what both its primary
# and its backup honour (device-mapper stacks the limits of every device
# the target reports, and the target reports both): the larger logical
# block size, discard only when both discard. A discard through the device
# reaches both devices.
#@ timeout: 240
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
fm_wipe "$P" "$B" "$T"
LEN=131072	# 64 MiB

# qval DMNAME FILE: a queue limit of a dm device.
qval() {
	cat "/sys/block/dm-$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ')/queue/$2"
}

log "both devices discard: the device discards"
[ "$(cat /sys/block/vda/queue/discard_max_bytes)" -gt 0 ] ||
	fail "the guest's virtio disks do not discard; the case needs them to"
dmsetup create fm --table "0 $LEN forkmirror $P $B $T lim 8" || fail "create failed"
[ "$(qval fm discard_max_bytes)" -gt 0 ] || fail "no discard although both devices discard"
[ "$(qval fm logical_block_size)" = 512 ] || fail "logical block size $(qval fm logical_block_size)"
dd if=/dev/urandom of=/tmp/pattern bs=1M count=2 2>/dev/null
dd if=/tmp/pattern of=/dev/mapper/fm bs=1M oflag=direct conv=notrunc 2>/dev/null ||
	fail "write failed"
blkdiscard -o 0 -l 1048576 /dev/mapper/fm || fail "discard through the device failed"
blocks_equal "$P" "$B" 2097152 || fail "primary and backup differ after a discard"
dd if=/dev/zero of=/tmp/zero bs=1M count=1 2>/dev/null
dd if="$P" of=/tmp/first bs=1M count=1 iflag=direct 2>/dev/null
realcmp -s /tmp/first /tmp/zero ||
	log "(the virtio disks do not read discarded sectors as zero; equal all the same)"
[ "$(status_field fm 1)" = in_sync ] || fail "status: $(dmsetup status fm)"
dmsetup remove fm || fail "remove failed"

log "a backup that does not discard: the device does not either"
modprobe brd rd_nr=1 rd_size=65536 || fail "modprobe brd failed"
[ "$(cat /sys/block/ram0/queue/discard_max_bytes)" = 0 ] ||
	fail "brd discards in this kernel; the case needs a device that does not"
dmsetup create fm --table "0 $LEN forkmirror $P /dev/ram0 $T lim 8" || fail "create failed"
[ "$(qval fm discard_max_bytes)" = 0 ] || fail "discard advertised although the backup has none"
expect_fail blkdiscard -o 0 -l 1048576 /dev/mapper/fm
dmsetup remove fm || fail "remove failed"
rmmod brd

log "a backup with 4 KiB logical blocks: the device has 4 KiB logical blocks"
truncate -s 64M /tmp/bk4k.img
L=$(losetup --show -f --sector-size 4096 /tmp/bk4k.img) || fail "losetup failed"
[ "$(cat "/sys/block/$(basename "$L")/queue/logical_block_size")" = 4096 ] ||
	fail "loop device has no 4 KiB logical blocks"
dmsetup create fm --table "0 $LEN forkmirror $P $L $T lim 8" || fail "create failed"
[ "$(qval fm logical_block_size)" = 4096 ] ||
	fail "logical block size $(qval fm logical_block_size), want 4096"
dd if=/tmp/pattern of=/dev/mapper/fm bs=4k count=16 oflag=direct conv=notrunc 2>/dev/null ||
	fail "4 KiB write failed"
head -c 65536 /tmp/pattern >/tmp/p64
same_as /tmp/p64 "$L" || fail "backup does not hold the write"
dmsetup remove fm || fail "remove failed"
losetup -d "$L"
fm_unload
