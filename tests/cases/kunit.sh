#!/bin/sh
# Load every KUnit test module (<suite>_kunit.ko, built only for kernels
# with KUnit; fm_tracker_kunit finds the meta disk as its store at
# /dev/fm-kunit-store) and hand the KTAP it printed to the runner, which counts
# each KUnit case, and each parameter of a parameterised case, as a case
# of its own. (The kernel log is the source: 6.1's debugfs results file
# keeps only the last parameter of a parameterised case.)
#@ kernels: debug
#@ timeout: 300
. /tests/lib/guest-lib.sh

mods=$(ls /lib/modules/"$(uname -r)"/extra/*_kunit.ko 2>/dev/null)
[ -n "$mods" ] || fail "no KUnit test module in /lib/modules/$(uname -r)/extra"
[ -d /sys/kernel/debug/kunit ] || mount -t debugfs debugfs /sys/kernel/debug
before=$(dmesg | wc -l)
# fm_tracker's suite works on a real store: the blank meta disk.
dd if=/dev/zero of="$META" bs=1M count=1 oflag=direct 2>/dev/null || fail "cannot wipe $META"
ln -sf "$META" /dev/fm-kunit-store || fail "cannot link /dev/fm-kunit-store"
for ko in $mods; do
	m=$(basename "$ko" .ko)
	modprobe "$m" || fail "modprobe $m failed"
	grep -q "^ok\|^not ok\|ok [0-9]* ${m%_kunit}\$" "/sys/kernel/debug/kunit/${m%_kunit}/results" ||
		fail "$m loaded but reported no result"
done
dmesg | tail -n +"$((before + 1))" | grep -q "SKIP no block device at /dev/fm-kunit-store" &&
	fail "fm_tracker's suite found no store at /dev/fm-kunit-store"
echo FM-KTAP-BEGIN
dmesg | tail -n +"$((before + 1))" | sed 's/^\[[^]]*\] //'
echo FM-KTAP-END
for ko in $mods; do
	rmmod "$(basename "$ko" .ko)" || fail "rmmod $(basename "$ko" .ko) failed"
done
