#!/bin/sh
# Data written through a forkmirror device lands on primary and backup:
# both compare byte for byte with the device, for raw random I/O (fio with
# verification), a filesystem, and a target that starts inside its table.
#@ timeout: 420
#@ disk-mib: 128
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
fm_wipe "$T"
S=$(sectors "$P")
dmsetup create fm --table "0 $S forkmirror $P $B $T data 1024" || fail "create failed"
D=/dev/mapper/fm
# Less data on the slow debug kernel; the same paths.
if [ "$KERNEL_LABEL" = debug ]; then
	rnd=8M mixed=16M files=/bin
else
	rnd=32M mixed=64M files="/bin /lib"
fi

log "fio random writes with verification"
fio --name=fork --filename=$D --direct=1 --ioengine=psync --rw=randwrite \
	--bs=4k --size=$rnd --numjobs=1 --verify=crc32c --do_verify=1 \
	--randrepeat=0 --output-format=terse >/tmp/fio.out ||
	{ cat /tmp/fio.out; fail "fio with verification failed"; }
log "fio mixed sizes, queue depth 16"
fio --name=mixed --filename=$D --direct=1 --ioengine=libaio --iodepth=16 \
	--rw=randwrite --bsrange=512-128k --offset=32M --size=$mixed \
	--randrepeat=0 --output-format=terse >/tmp/fio.out ||
	{ cat /tmp/fio.out; fail "fio mixed writes failed"; }

blocks_equal $D "$P" || fail "device and primary differ"
blocks_equal "$P" "$B" || fail "primary and backup differ after raw writes"

log "ext4 through the device"
mke2fs -q -t ext4 -F $D || fail "mke2fs failed"
mkdir -p /mnt/fm && mount -t ext4 $D /mnt/fm || fail "mount failed"
cp -a $files /mnt/fm/ 2>/dev/null || fail "copy into the filesystem failed"
sync
umount /mnt/fm || fail "umount failed"
dmsetup suspend fm && dmsetup resume fm || fail "suspend/resume failed"
blocks_equal "$P" "$B" || fail "primary and backup differ after ext4"

st=$(dmsetup status fm)
echo "$st" | grep -qE ' in_sync 0/[0-9]+ 0/0 0 0 0 - 0$' || fail "unexpected status: $st"
dmsetup remove fm || fail "remove failed"

log "forkmirror as the second target of a table (offset remapping)"
fm_wipe "$P" "$B"
half=$((S / 2))
printf '0 2048 zero\n2048 %s forkmirror %s %s %s off 8\n' "$half" "$P" "$B" "$T" |
	dmsetup create fmoff || fail "two-target table refused"
dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 2>/dev/null
dd if=/tmp/pattern of=/dev/mapper/fmoff bs=1M seek=1 oflag=direct conv=notrunc 2>/dev/null ||
	fail "write through the offset table failed"
# Device byte 1 MiB is target sector 0: the pattern starts at sector 0 of
# both legs.
same_as /tmp/pattern "$P" || fail "primary: pattern not at the remapped offset"
same_as /tmp/pattern "$B" || fail "backup: pattern not at the remapped offset"
fm_unload
