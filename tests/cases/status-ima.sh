#!/bin/sh
# STATUSTYPE_IMA: with IMA measuring critical data, device-mapper records
# the forkmirror target's state on table load; the record carries our
# key=value fields. Also every status type dmsetup can ask for.
#@ timeout: 180
#@ append: ima_policy=critical_data
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
A=/sys/kernel/security/ima/ascii_runtime_measurements
[ -r $A ] || fail "no IMA measurement log ($A)"
fm_load
S=$(sectors "$PRIMARY")
dmsetup create fm --table "0 $S forkmirror $PRIMARY $BACKUP $META imavol 64 4 fork_mode parallel resync_rate 77" ||
	fail "create failed"
# ima-buf records end with the measured buffer in hex.
rec=$(awk '$5 == "dm_table_load" {
	h = "0123456789abcdef"; out = ""
	for (i = 1; i < length($6); i += 2)
		out = out sprintf("%c", (index(h, substr($6, i, 1)) - 1) * 16 + index(h, substr($6, i + 1, 1)) - 1)
	print out
}' $A | grep 'target_name=forkmirror' | tail -n 1)
[ -n "$rec" ] || fail "no forkmirror record in the IMA log"
echo "$rec"
for kv in target_version=1.2.0 "primary=$(devnum "$PRIMARY")" "backup=$(devnum "$BACKUP")" \
	"tracker=$(devnum "$META")" volume=imavol region_sectors=64 resync_rate=77 \
	fork_mode=parallel auto_resync=y intent_log=y start_offline=n; do
	echo "$rec" | grep -qE "(^|[,;])$kv[,;]" || fail "IMA record lacks $kv"
done
dmsetup status fm >/dev/null || fail "status failed"
dmsetup table fm >/dev/null || fail "table failed"
dmsetup info fm >/dev/null || fail "info failed"
dmsetup status --target forkmirror >/dev/null || fail "status --target failed"
fm_unload
