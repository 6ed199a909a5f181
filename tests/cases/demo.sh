#!/bin/sh
# The demonstration `make demo` shows (and the suite checks): a forkmirror
# device whose backup is remote, an NBD export served from a separate
# network namespace (the remote site) over a veth pair (the link); written
# through with the backup online; the link cut, the volume tracking the
# writes that go on; the exported log; the link restored and the resync
# with its progress; and primary and backup compared byte for byte.
#@ timeout: 360
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh
. /tests/lib/nbd-lib.sh

say() {
	echo
	echo "### $*"
}

say "Disks: primary $PRIMARY, tracker store $META; the remote site exports $BACKUP"
fm_load
lsmod | grep -E '^(dm_forkmirror|forkmirror_tracker)'
dmsetup targets | grep forkmirror

say "The remote site: nbd-server in network namespace $NBD_NS ($NBD_REMOTE_IP), exporting $BACKUP with flush and FUA"
nbd_remote_start "$BACKUP"
sed -n '/^\[/,$p' /etc/nbd-server/config
say "Connect: nbd-client $NBD_REMOTE_IP $NBD_DEV -N $NBD_EXPORT -timeout $NBD_TIMEOUT -persist -nonetlink"
nbd_connect
echo "$NBD_DEV: $(blockdev --getsize64 $NBD_DEV) bytes, write cache: $(cat /sys/block/nbd0/queue/write_cache), fua: $(cat /sys/block/nbd0/queue/fua)"

# The backup leg (--backup-leg) is a dm-linear device over the NBD device:
# on 6.1 an NBD device stays bound to its dead connection until every
# opener closes it, so after a cut the leg is detached for a moment while
# nbd-client reconnects, and the forkmirror table never changes.
S=$(sectors "$NBD_DEV")
BK=/dev/mapper/backup
say "forkmirror create demo --backup-leg backup --region-sectors 1024 --resync-rate 50000 $PRIMARY $NBD_DEV $META demo"
forkmirror create demo --backup-leg backup --region-sectors 1024 --resync-rate 50000 \
	"$PRIMARY" "$NBD_DEV" "$META" demo || fail "create failed"

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
blocks_equal "$PRIMARY" "$BACKUP" || fail "primary and the remote site's disk differ"
echo "primary == the remote site's disk"

say "Cut the link (the remote end drops off the network): the backup's writes time out after ${NBD_TIMEOUT}s and the volume tracks"
nbd_cut
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

say "Restore the link; nbd-client reconnects (the leg is detached meanwhile); resync copies the dirty regions only"
nbd_restore
dmsetup suspend backup && dmsetup load backup --table "0 $S error" &&
	dmsetup resume backup || fail "cannot detach the backup leg"
nbd_reconnect || fail "nbd-client cannot reconnect"
dmsetup suspend backup && dmsetup load backup --table "0 $S linear $NBD_DEV 0" &&
	dmsetup resume backup || fail "cannot reattach the backup leg"
echo "$NBD_DEV reconnected: $(blockdev --getsize64 $NBD_DEV) bytes"
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
blocks_equal "$PRIMARY" "$BK" || fail "primary and backup (over the link) differ"
echo "primary == backup, read over the link ($(blockdev --getsize64 "$PRIMARY") bytes)"
blocks_equal "$PRIMARY" "$BACKUP" || fail "primary and the remote site's disk differ"
echo "primary == the remote site's disk $BACKUP"

dmsetup remove demo
dmsetup remove backup
nbd_remote_stop
