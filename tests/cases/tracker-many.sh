#!/bin/sh
# 4096 volumes on one store (every slot): attached and detached three
# times through the test module; the guest RAM they use is reported; a
# 4097th is refused for lack of a slot.
#@ timeout: 600
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
modprobe fm_mark_test || fail "modprobe fm_mark_test failed"
[ -d /sys/kernel/debug/fm_mark_test ] || mount -t debugfs debugfs /sys/kernel/debug
T=$META
TN=$(devnum "$T")
SYS=/sys/fs/forkmirror/$TN

cmd() {
	echo "$*" >/sys/kernel/debug/fm_mark_test/cmd
}

avail() {
	awk '/^MemAvailable:/ { print $2 }' /proc/meminfo
}

for round in 1 2 3; do
	before=$(avail)
	t0=$(date +%s)
	cmd attach_many "$TN" v 4096 8 64 || fail "round $round: attach_many failed"
	t1=$(date +%s)
	sysval slots_used 4096
	n=$(ls "$SYS/volumes" | wc -l)
	[ "$n" = 4096 ] || fail "round $round: $n volume directories"
	after=$(avail)
	log "round $round: 4096 volumes attached in $((t1 - t0)) s, $((before - after)) KiB of RAM"
	if [ $round = 1 ]; then
		expect_fail cmd attach "$TN" extra 8 64
		dmesg | grep -q "attach extra: Tracker store has no free slot" ||
			fail "no clear error for a full store"
	fi
	cmd mark v4095 7 1 || fail "mark on the last slot failed"
	cmd detach_all || fail "round $round: detach_all failed"
	[ -d "$SYS" ] && fail "round $round: store still open"
done
rmmod fm_mark_test
fm_unload
