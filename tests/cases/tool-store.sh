#!/bin/sh
# forkmirror store against the tracker on real devices: a store the tool
# formats is one the kernel attaches; what the kernel wrote (a slot, its
# dirty regions, timestamps) is what inspect shows; check finds a torn
# header copy the kernel survives (exit 3) and nothing on a sound store;
# delete-slot goes through the kernel while it has the store open and to
# the device otherwise, refusing attached and dirty slots; format refuses
# a store in use and anything not blank without --yes.
#@ timeout: 300
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY T=$META
fm_wipe "$P" "$BACKUP" "$T"
S=$((32 * 2048))		# 32 MiB: 256 regions of 128 KiB
dmsetup create bk --table "0 $S linear $BACKUP 0" || fail "backup linear failed"
B=/dev/mapper/bk
TN=$(devnum "$T")

# rc WANT CMD...: run CMD (stdout in /tmp/out, stderr in /tmp/err); fail
# unless it exits WANT.
rc() {
	want=$1
	shift
	"$@" </dev/null >/tmp/out 2>/tmp/err
	got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, want $want: $(cat /tmp/out /tmp/err)"
}
has() {
	grep -qF -- "$1" /tmp/out || fail "no '$1' in: $(cat /tmp/out)"
}

log "a blank device: check says so (exit 3), format writes a store"
rc 3 forkmirror store check "$T"
grep -q "blank" /tmp/out /tmp/err || fail "blank not said: $(cat /tmp/out /tmp/err)"
rc 1 forkmirror store inspect "$T"
rc 0 forkmirror store format --slots 64 "$T"
rc 0 forkmirror store check "$T"
rc 0 forkmirror store inspect --json "$T"
has '"slot_count": 64'
has '"open_in_kernel": false'
uuid=$(sed -n 's/.*"uuid": "\([0-9a-f-]*\)".*/\1/p' /tmp/out | head -n 1)
[ ${#uuid} = 36 ] || fail "no uuid: $(cat /tmp/out)"
rc 1 forkmirror store format "$T"
grep -q "not blank" /tmp/err || fail "format over a store: $(cat /tmp/err)"

log "the kernel attaches the tool's store; tracked writes show in inspect"
dmsetup create fm --table "0 $S forkmirror $P $B $T vol 256" || fail "create on the tool's store failed"
[ "$(cat /sys/fs/forkmirror/$TN/uuid)" = "$uuid" ] ||
	fail "kernel uuid $(cat /sys/fs/forkmirror/$TN/uuid), tool's $uuid"
[ "$(cat /sys/fs/forkmirror/$TN/slots_total)" = 64 ] || fail "slots_total"
swap_table bk "0 $S error"
dd if=/dev/urandom of=/dev/mapper/fm bs=128k count=3 seek=10 oflag=direct 2>/dev/null ||
	fail "tracked write failed"
[ "$(status_field fm 1)" = tracking ] || fail "not tracking: $(dmsetup status fm)"
rc 1 forkmirror store format --yes "$T"
grep -q -e "open" -e "in use" -e "busy" /tmp/err || fail "format of an open store: $(cat /tmp/err)"
rc 1 forkmirror store delete-slot "$T" vol
grep -q "attached" /tmp/err || fail "delete of an attached slot: $(cat /tmp/err)"
rc 0 forkmirror store inspect --json "$T"
has '"open_in_kernel": true'
has '"name": "vol"'
dmsetup remove fm || fail "remove failed"
swap_table bk "0 $S linear $BACKUP 0"

rc 0 forkmirror store inspect --json "$T"
has '"open_in_kernel": false'
has '"name": "vol"'
has '"state": "in_use"'
has '"region_sectors": 256'
has '"volume_sectors": '$S
has '"dirty_regions": 3'
grep -q '"offline_since": [1-9]' /tmp/out || fail "offline_since not on media: $(cat /tmp/out)"
grep -q '"backup_errors": [1-9]' /tmp/out || fail "backup_errors not on media: $(cat /tmp/out)"
rc 0 forkmirror store inspect "$T"
grep -q "vol" /tmp/out || fail "text inspect: $(cat /tmp/out)"
rc 0 forkmirror store check "$T"

log "a torn copy of the slot header: check reports it, the kernel uses the other"
# The slot's copies are blocks 2 and 3 (slot 0); tear the newer one, so
# the kernel falls back to the older, valid one.
rc 0 forkmirror store inspect --json "$T"
copy=$(tr -d ' \n' </tmp/out | sed -n 's/.*"index":0,"state":"in_use","error":null,"chosen_copy":"\([AB]\)".*/\1/p')
[ -n "$copy" ] || fail "no chosen copy of slot 0: $(cat /tmp/out)"
blk=2
[ "$copy" = B ] && blk=3
dd if=/dev/urandom of="$T" bs=1 count=4 seek=$((blk * 4096 + 100)) conv=notrunc 2>/dev/null
rc 3 forkmirror store check "$T"
grep -qi "torn\|corrupt" /tmp/out || fail "check did not report the torn copy: $(cat /tmp/out)"
rc 3 forkmirror store check --json "$T"
has '"clean": false'
# no_auto_resync: the regions stay for the check (the older copy may not
# say the backup was offline, and then a resync would start at once).
dmsetup create fm --table "0 $S forkmirror $P $B $T vol 256 1 no_auto_resync" ||
	fail "the kernel refused a store with one torn copy"
[ "$(dirty_of fm)" = 3 ] || fail "regions lost with the torn copy: $(dmsetup status fm)"
dmsetup message fm 0 resync || fail "resync refused"
wait_state fm in_sync 60
blocks_equal "$P" "$B" $((S * 512)) || fail "primary and backup differ"
dmsetup remove fm || fail "remove failed"
rc 0 forkmirror store check "$T"

log "delete-slot: through the kernel while open, on the device otherwise"
dmsetup create fm --table "0 $S forkmirror $P $B $T vol 256" || fail "create failed"
dmsetup create lin --table "0 $S linear $BACKUP 0" || fail "linear failed"
dmsetup create fm2 --table "0 $S forkmirror $P /dev/mapper/lin $T other 256 1 start_offline" ||
	fail "second volume failed"
dd if=/dev/urandom of=/dev/mapper/fm2 bs=128k count=1 oflag=direct 2>/dev/null || fail "write failed"
dmsetup remove fm2 || fail "remove fm2 failed"
# The store stays open in the kernel (fm holds it): through sysfs.
rc 1 forkmirror store delete-slot "$T" other
grep -q "dirty" /tmp/err || fail "delete of a dirty slot: $(cat /tmp/err)"
rc 0 forkmirror store delete-slot --force "$T" other
grep -q "other" "/sys/fs/forkmirror/$TN/slots" && fail "slot still listed: $(cat /sys/fs/forkmirror/$TN/slots)"
rc 1 forkmirror store delete-slot "$T" nosuch
dmsetup remove fm || fail "remove failed"
dmsetup remove lin
# Closed: on the device. vol is clean after the resync.
rc 0 forkmirror store delete-slot "$T" vol
rc 0 forkmirror store inspect --json "$T"
has '"state": "deleted"'
rc 0 forkmirror store check "$T"
dmsetup create fm --table "0 $S forkmirror $P $B $T vol 256" || fail "create after delete failed"
[ "$(dirty_of fm)" = 0 ] || fail "a recreated slot is dirty: $(dmsetup status fm)"
dmsetup remove fm

rc 2 forkmirror store frob "$T"
rc 2 forkmirror store inspect
dmsetup remove bk
fm_unload
