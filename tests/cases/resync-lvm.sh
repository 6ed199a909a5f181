#!/bin/sh
# LVM on a forkmirror device: the primary and the backup carry the same PV
# label as the forkmirror device, so lvm is given a filter that accepts
# only the forkmirror device (Documentation/.../forkmirror.rst). pvcreate,
# vgcreate, lvcreate, ext4 on the LV, files written with the backup
# online, then with the backup failed (tracking), then the backup repaired
# and resynced: primary and backup identical, the files intact.
#@ timeout: 300
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY T=$META
fm_wipe "$P" "$BACKUP" "$T"
S=$((128 * 2048))
dmsetup create bk --table "0 $S linear $BACKUP 0" || fail "backup linear failed"
B=/dev/mapper/bk
dmsetup create fm --table "0 $S forkmirror $P $B $T lvm 128" || fail "create failed"

# Only the forkmirror device: its legs show the same PV label.
CONF='devices { global_filter = [ "a|^/dev/mapper/fm$|", "r|.*|" ] }'
lv() {
	cmd=$1
	shift
	"$cmd" --config "$CONF" "$@"
}

lv pvcreate -q /dev/mapper/fm || fail "pvcreate failed"
lv vgcreate -q vgfm /dev/mapper/fm || fail "vgcreate failed"
lv lvcreate -q -y -L 96M -n data vgfm || fail "lvcreate failed"
[ -b /dev/mapper/vgfm-data ] || fail "no LV device"
# Without the filter lvm sees the label three times.
pvs 2>&1 | grep -qiE "duplicate|not using device" &&
	log "without the filter: $(pvs 2>&1 | grep -iE 'duplicate|not using device' | head -n 1)"
[ "$(lv pvs --noheadings -o pv_name | tr -d ' ')" = /dev/mapper/fm ] ||
	fail "with the filter, pvs shows: $(lv pvs --noheadings -o pv_name)"

mke2fs -q -t ext4 -F /dev/mapper/vgfm-data || fail "mke2fs failed"
mkdir -p /mnt/lv && mount -t ext4 /dev/mapper/vgfm-data /mnt/lv || fail "mount failed"
dd if=/dev/urandom of=/mnt/lv/online bs=1M count=8 conv=fsync 2>/dev/null ||
	fail "write with the backup online failed"

log "the backup fails: writes go on, tracked"
swap_table bk "0 $S error"
dd if=/dev/urandom of=/mnt/lv/tracked bs=1M count=16 conv=fsync 2>/dev/null ||
	fail "write with the backup failed failed"
cp -a /bin /mnt/lv/ && sync || fail "copy with the backup failed failed"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking: $(dmsetup status fm)"
d=$(dirty_of fm)
[ "$d" -gt 0 ] || fail "nothing tracked: $(dmsetup status fm)"
sum=$(cat /mnt/lv/online /mnt/lv/tracked | md5sum)

log "the backup is repaired and resynced ($d regions)"
swap_table bk "0 $S linear $BACKUP 0"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 120
umount /mnt/lv || fail "umount failed"
lv vgchange -q -an vgfm || fail "vgchange -an failed"
blocks_equal "$P" "$B" $((S * 512)) || fail "primary and backup differ after the resync"

log "the LV reads the same files back"
lv vgchange -q -ay vgfm || fail "vgchange -ay failed"
mount -t ext4 -o ro /dev/mapper/vgfm-data /mnt/lv || fail "mount again failed"
[ "$(cat /mnt/lv/online /mnt/lv/tracked | md5sum)" = "$sum" ] || fail "files changed"
umount /mnt/lv
lv vgchange -q -an vgfm || fail "vgchange -an failed"
dmsetup remove fm || fail "remove failed"
dmsetup remove bk
fm_unload
