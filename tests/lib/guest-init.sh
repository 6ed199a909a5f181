#!/bin/sh
# /init of the test guest (busybox sh), installed by mkinitramfs.sh overlay.
#
# Kernel command line: fm.case=NAME fm.phase=N fm.phases=M fm.kernel=LABEL
# Runs /tests/cases/NAME.sh and frames its output for tests/lib/runner.py:
#   FM-CASE-START <case> <phase>
#   ... case output ...
#   FM-KMEMLEAK-BEGIN ... FM-KMEMLEAK-END     (kmemleak kernels only)
#   FM-DMESG-BEGIN ... dmesg ... FM-DMESG-END
#   FM-CASE-END rc=<rc>
# then powers off.  Never exits: init exiting panics the kernel.

export PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/bin
export DM_DISABLE_UDEV=1
export HOME=/root
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mapper
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock /run/lvm
hostname fm-guest

CASE=
KERNEL_LABEL=stock
PHASE=1
PHASES=1
for arg in $(cat /proc/cmdline); do
	case $arg in
	fm.case=*) CASE=${arg#fm.case=} ;;
	fm.phase=*) PHASE=${arg#fm.phase=} ;;
	fm.phases=*) PHASES=${arg#fm.phases=} ;;
	fm.kernel=*) KERNEL_LABEL=${arg#fm.kernel=} ;;
	esac
done
# KERNEL_LABEL: stock or debug; a case may shrink its amount of data on the
# (4-9x slower) debug kernel, never its code paths.
export CASE PHASE PHASES KERNEL_LABEL
# Disks in the order the runner attaches them.
export PRIMARY=/dev/vda BACKUP=/dev/vdb SPARE=/dev/vdc META=/dev/vdd
export PMEM_NS=namespace0.0

# Nothing loads modules on hotplug (no udev): load what every case needs.
# kmod's modprobe by full path: busybox sh would run its own applet.
for m in virtio_pci virtio_blk nfit nd_pmem dax_pmem libcrc32c crc32c_generic dm-mod; do
	/sbin/modprobe -q "$m" || echo "guest-init: modprobe $m failed"
done

# Static nodes (what systemd does with `kmod static-nodes`): opening
# /dev/loop-control then loads loop on demand, as on a normal system.
while read -r mod name dev; do
	case $mod in "#"* | "") continue ;; esac
	[ -e "/dev/$name" ] && continue
	majmin=${dev#?}
	mkdir -p "$(dirname "/dev/$name")"
	mknod "/dev/$name" "${dev%"$majmin"}" "${majmin%%:*}" "${majmin#*:}"
done < "/lib/modules/$(uname -r)/modules.devname"

# Wait up to 10 s for the disks and the pmem device.
i=0
while [ $i -lt 100 ]; do
	[ -b /dev/vdd ] && [ -b /dev/pmem0 ] && break
	sleep 0.1
	i=$((i + 1))
done
[ -b /dev/vda ] || echo "guest-init: /dev/vda did not appear"
[ -b /dev/pmem0 ] || echo "guest-init: /dev/pmem0 did not appear"

# kmemleak (debug kernels): no automatic scans competing with the case
# (our debug kernel has no scanning thread; another kernel's is stopped);
# the harness scans at the end itself.  No scan here: kmemleak never
# reports an object on the first scan that sees it (its checksum changes
# from nothing), so a scan now could not have told boot's leaks from the
# case's anyway, and each scan costs ~35 s on the debug guest.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -e $KMEMLEAK ] && echo scan=off > $KMEMLEAK

echo "FM-CASE-START $CASE $PHASE"
cd /tmp
if [ -n "$CASE" ] && [ -f "/tests/cases/$CASE.sh" ]; then
	sh "/tests/cases/$CASE.sh"
	rc=$?
else
	echo "guest-init: no case script /tests/cases/$CASE.sh"
	rc=127
fi
cd /
sync

if [ -e $KMEMLEAK ]; then
	# kmemleak reports only objects older than 5 s: let what the case's
	# last step allocated age, then scan twice.  Both scans are needed: the
	# first scan that sees an object records its checksum and counts it as
	# referenced; only a second scan can report it (checked with a module
	# that leaks on purpose: one scan reported nothing, two reported it).
	sleep 5
	echo scan > $KMEMLEAK
	echo scan > $KMEMLEAK
	echo FM-KMEMLEAK-BEGIN
	cat $KMEMLEAK
	echo FM-KMEMLEAK-END
fi
echo FM-DMESG-BEGIN
dmesg
echo FM-DMESG-END
echo "FM-CASE-END rc=$rc"

poweroff -f
sleep 5
echo o > /proc/sysrq-trigger
while :; do sleep 60; done
