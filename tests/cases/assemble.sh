#!/bin/sh
# Boot-time assembly (forkmirror assemble, what forkmirror-assemble.service
# runs) across a reboot: phase 1 sets a volume up as an admin would
# (volumes.conf, the LVM filter `forkmirror lvm-filter --volumes` prints in
# lvm.conf, a VG and an ext4 LV on the forkmirror device), writes with the
# backup online, fails the backup and writes on (tracking), and powers off
# without removing anything. Phase 2, the next boot: /etc comes back from
# the disk, LVM's autoactivation runs before the volume is assembled and
# must not take the raw primary or backup for the PV; assemble waits for
# the backup (a late network device), makes its backup leg and brings the
# volume up, still tracking its regions; LVM then activates the VG on the
# forkmirror device only; the files are intact; a resync makes primary ==
# backup.
#@ timeout: 300
#@ phases: 2
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY T=$META ETC=$SPARE
S=$(sectors "$P")
B=/dev/mapper/bk
CONF=/etc/forkmirror/volumes.conf

# The spare disk holds /etc/forkmirror and /etc/lvm across the reboot.
mount_etc() {
	mkdir -p /mnt/etc && mount -t ext4 "$ETC" /mnt/etc || fail "cannot mount the /etc disk"
	mkdir -p /mnt/etc/forkmirror /mnt/etc/lvm /etc
	# The guest's lvm.conf (no udev) comes along; the filter goes in it.
	[ -f /mnt/etc/lvm/lvm.conf ] || cp /etc/lvm/lvm.conf /mnt/etc/lvm/lvm.conf
	rm -rf /etc/forkmirror /etc/lvm
	ln -s /mnt/etc/forkmirror /etc/forkmirror
	ln -s /mnt/etc/lvm /etc/lvm
}

case $PHASE in
1)
	fm_wipe "$P" "$BACKUP" "$T"
	mke2fs -q -t ext4 -F "$ETC" || fail "mke2fs of the /etc disk failed"
	mount_etc
	dmsetup create bk --table "0 $S linear $BACKUP 0" || fail "backup leg failed"
	forkmirror store format --yes --slots 16 "$T" >/dev/null || fail "store format failed"
	cat >"$CONF" <<EOT
# the test's volume: its backup a late device (bk, as a network device
# is), under a backup leg
vol0 --region-sectors 256 --no-auto-resync --backup-leg vol0-bk $P $B $T vol0
EOT
	forkmirror assemble >/tmp/out || fail "assemble failed: $(cat /tmp/out)"
	grep -q "^vol0: backup leg vol0-bk: 0 $S linear $B 0$" /tmp/out ||
		fail "assemble made no leg: $(cat /tmp/out)"
	expect_table vol0-bk "0 $S linear $(dmsetup info -c --noheadings -o major,minor bk | tr -d ' ') 0"
	expect_table vol0 "0 $S forkmirror $(devnum "$P") $(dmsetup info -c --noheadings -o major,minor vol0-bk | tr -d ' ') $(devnum "$T") vol0 256 1 no_auto_resync"
	forkmirror assemble >/tmp/out || fail "a second assemble failed"
	grep -q "vol0: already assembled" /tmp/out || fail "second assemble: $(cat /tmp/out)"
	filter=$(forkmirror lvm-filter --config --volumes "$CONF") || fail "lvm-filter failed"
	GF=$(echo "$filter" | sed -n 's/^devices { \(global_filter = .*\) }$/\1/p')
	[ -n "$GF" ] || fail "lvm-filter printed: $filter"
	for p in "a|^/dev/mapper/vol0\$|" "r|^/dev/mapper/vol0-bk\$|" "r|^$B\$|"; do
		echo "$GF" | grep -qF "$p" || fail "the filter has no $p: $GF"
	done
	export GF
	awk '{ print } /^devices \{/ { print "\t" ENVIRON["GF"] }' /etc/lvm/lvm.conf >/tmp/lvm.conf &&
		cat /tmp/lvm.conf >/etc/lvm/lvm.conf
	grep -qF "$GF" /etc/lvm/lvm.conf || fail "the filter is not in lvm.conf"
	log "lvm.conf: $GF"
	pvcreate -q /dev/mapper/vol0 && vgcreate -q vgfm /dev/mapper/vol0 &&
		lvcreate -q -y -L 64M -n data vgfm || fail "LVM setup failed"
	mke2fs -q -t ext4 -F /dev/mapper/vgfm-data || fail "mke2fs failed"
	mkdir -p /mnt/lv && mount -t ext4 /dev/mapper/vgfm-data /mnt/lv || fail "mount failed"
	dd if=/dev/urandom of=/mnt/lv/online bs=1M count=8 conv=fsync 2>/dev/null ||
		fail "write failed"
	log "the backup fails; writes go on, tracked"
	swap_table bk "0 $S error"
	dd if=/dev/urandom of=/mnt/lv/tracked bs=1M count=8 conv=fsync 2>/dev/null ||
		fail "tracked write failed"
	[ "$(status_field vol0 1)" = tracking ] || fail "not tracking: $(dmsetup status vol0)"
	cat /mnt/lv/online /mnt/lv/tracked | md5sum >/etc/forkmirror/sum
	umount /mnt/lv
	dirty_of vol0 >/etc/forkmirror/dirty
	log "powering off with $(cat /etc/forkmirror/dirty) regions waiting for a copy"
	sync
	umount /mnt/etc
	;;
2)
	mount_etc
	log "LVM autoactivation before assembly: the filter hides the legs"
	vgchange -aay >/tmp/vgc 2>&1
	vgs --noheadings -o vg_name 2>/dev/null | grep -q vgfm &&
		fail "LVM found the VG without the forkmirror device: $(pvs 2>&1)"
	pvs 2>&1 | grep -qiE "duplicate|not using" && fail "LVM saw duplicates: $(pvs 2>&1)"
	log "assemble waits for the backup, which comes 2 s late"
	forkmirror assemble --wait 30 >/tmp/asm 2>&1 &
	apid=$!
	sleep 2
	dmsetup create bk --table "0 $S linear $BACKUP 0" || fail "backup leg failed"
	wait $apid || fail "assemble failed: $(cat /tmp/asm)"
	grep -q "vol0: assembled" /tmp/asm || fail "assemble: $(cat /tmp/asm)"
	[ "$(status_field vol0 1)" = tracking ] || fail "not tracking after the reboot: $(dmsetup status vol0)"
	[ "$(dirty_of vol0)" -ge "$(cat /etc/forkmirror/dirty)" ] ||
		fail "regions lost across the reboot: $(dmsetup status vol0), had $(cat /etc/forkmirror/dirty)"
	vgchange -aay vgfm >/dev/null || fail "VG activation on the forkmirror device failed"
	[ "$(pvs --noheadings -o pv_name | tr -d ' ')" = /dev/mapper/vol0 ] ||
		fail "pvs: $(pvs 2>&1)"
	mkdir -p /mnt/lv && mount -t ext4 /dev/mapper/vgfm-data /mnt/lv || fail "mount failed"
	[ "$(cat /mnt/lv/online /mnt/lv/tracked | md5sum)" = "$(cat /etc/forkmirror/sum)" ] ||
		fail "the files changed across the reboot"
	umount /mnt/lv
	log "resync"
	dmsetup message vol0 0 resync || fail "resync refused"
	wait_state vol0 in_sync 120
	vgchange -q -an vgfm || fail "vgchange -an failed"
	blocks_equal "$P" "$B" $((S * 512)) || fail "primary and backup differ after the resync"
	dmsetup remove vol0 || fail "remove failed"
	dmsetup remove vol0-bk bk
	umount /mnt/etc
	fm_unload
	;;
esac
