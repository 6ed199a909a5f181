#!/bin/sh
# 4096 volumes on one store (every slot): attached and detached three
# times through the test module; the guest RAM they use is reported; a
# 4097th is refused for lack of a slot. The debug kernel (KASAN, lockdep;
# each attach creates a sysfs directory, ~10x slower there) attaches 512
# volumes twice: the same paths, except the full-store refusal.
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

if [ "$KERNEL_LABEL" = debug ]; then
	N=512 ROUNDS="1 2"
else
	N=4096 ROUNDS="1 2 3"
fi

for round in $ROUNDS; do
	before=$(avail)
	t0=$(date +%s)
	cmd attach_many "$TN" v $N 8 64 || fail "round $round: attach_many failed"
	t1=$(date +%s)
	sysval slots_used $N
	n=$(ls "$SYS/volumes" | wc -l)
	[ "$n" = $N ] || fail "round $round: $n volume directories"
	after=$(avail)
	log "round $round: $N volumes attached in $((t1 - t0)) s, $((before - after)) KiB of RAM"
	if [ $round = 1 ] && [ $N = 4096 ]; then
		expect_fail cmd attach "$TN" extra 8 64
		dmesg | grep -q "attach extra: Tracker store has no free slot" ||
			fail "no clear error for a full store"
	fi
	cmd mark v$((N - 1)) 7 1 || fail "mark on the last slot failed"
	cmd detach_all || fail "round $round: detach_all failed"
	[ -d "$SYS" ] && fail "round $round: store still open"
done
rmmod fm_mark_test
fm_unload
