#!/bin/sh
# Serial fork: when the backup write fails, the write fails and the primary
# is never written; the backup error is counted.
#@ timeout: 180
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
modprobe dm-flakey || fail "modprobe dm-flakey failed"
P=$PRIMARY B=$BACKUP T=$META
fm_wipe "$P" "$B" "$T"
S=$(sectors "$P")
# A backup whose writes always fail (reads still work).
dmsetup create bk --table "0 $S flakey $B 0 0 1 1 error_writes" || fail "flakey refused"
dmsetup create fm --table "0 $S forkmirror $P /dev/mapper/bk $T err 8" || fail "create failed"

dd if=/dev/urandom of=/tmp/pattern bs=64k count=4 2>/dev/null
if dd if=/tmp/pattern of=/dev/mapper/fm bs=64k oflag=direct conv=notrunc 2>/dev/null; then
	fail "write succeeded although the backup fails every write"
fi
dd if=/dev/zero of=/tmp/zero bs=64k count=4 2>/dev/null
same_as /tmp/zero "$P" || fail "primary was written although the backup write failed"
be=$(status_field fm 5)
pe=$(status_field fm 6)
[ "$be" -gt 0 ] || fail "backup_errors not counted: $(dmsetup status fm)"
[ "$pe" = 0 ] || fail "a backup failure was counted as a primary error: $(dmsetup status fm)"
log "backup_errors=$be primary_errors=$pe"

# Reads are served by the primary, unaffected by the backup's failure.
dd if=/dev/mapper/fm of=/dev/null bs=64k count=4 iflag=direct 2>/dev/null || fail "read failed"

# Once the backup works again, writes go through to both.
dmsetup suspend fm || fail "suspend failed"
dmsetup load bk --table "0 $S linear $B 0" && dmsetup resume bk || fail "cannot repair the backup"
dmsetup resume fm || fail "resume failed"
dd if=/tmp/pattern of=/dev/mapper/fm bs=64k oflag=direct conv=notrunc 2>/dev/null ||
	fail "write failed with a working backup"
same_as /tmp/pattern "$P" || fail "primary lacks the data"
same_as /tmp/pattern "$B" || fail "backup lacks the data"
fm_unload
