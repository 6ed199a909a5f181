#!/bin/sh
# The tracker is a hard dependency: modprobe pulls it in, and it cannot be
# removed while dm-forkmirror is loaded. The target registers as v1.2.0.
#@ timeout: 120
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

lsmod | grep -q '^forkmirror_tracker' && fail "tracker loaded before the test"
fm_load
lsmod | grep -q '^forkmirror_tracker' || fail "modprobe dm-forkmirror did not load the tracker"
modinfo -F depends dm-forkmirror | grep -q forkmirror-tracker ||
	fail "dm-forkmirror does not depend on the tracker"
[ "$(modinfo -F license dm-forkmirror)" = GPL ] || fail "license is not GPL"
[ -d /sys/fs/forkmirror ] || fail "/sys/fs/forkmirror missing"
[ "$(cat /sys/module/forkmirror_tracker/parameters/host_id)" = 0 ] || fail "host_id default is not 0"
dmsetup targets | grep -qE '^forkmirror +v1\.2\.0$' || fail "target not registered as v1.2.0"
expect_fail rmmod forkmirror_tracker
lsmod | grep -q '^forkmirror_tracker' || fail "tracker removed under dm-forkmirror"

# A volume holds the module; removal is refused while it exists.
S=$(sectors "$PRIMARY")
dmsetup create fm --table "0 $S forkmirror $PRIMARY $BACKUP $META m 8" || fail "create failed"
expect_fail rmmod dm_forkmirror
dmsetup remove fm || fail "remove failed"
fm_unload
[ -d /sys/fs/forkmirror ] && fail "/sys/fs/forkmirror left after unload"
modprobe forkmirror-tracker host_id=7 || fail "modprobe with host_id failed"
[ "$(cat /sys/module/forkmirror_tracker/parameters/host_id)" = 7 ] || fail "host_id not set"
rmmod forkmirror_tracker || fail "rmmod failed"
