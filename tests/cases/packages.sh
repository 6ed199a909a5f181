#!/bin/sh
# The Debian packages installed the way an administrator installs them, on
# a full Debian system: the host's root, shared read-only over 9p under a
# tmpfs overlay, is the guest's system (chroot). dpkg installs the DKMS and
# tools packages; DKMS builds the modules for the running kernel; the
# installed modules (/lib/modules/KVER/updates/dkms) and the installed
# forkmirror command run a volume whose data is checked; apt removes both
# packages and takes the modules and the command away. DKMS builds in
# the guest: about 250 s alone, 900 s beside another guest on 2 cores,
# and about 75 minutes under the debug kernel (KASAN, lockdep and
# kmemleak slow the compiler's every page fault and system call). So
# `make check` leaves it out (`#@ long:`; the host test
# tests/host/check-packages.sh checks the packages' contents there) and
# `make check-long` (stock kernel) and `make check-debug` run it.
# The kernel's headers are those an administrator has: Debian's headers
# package for the stock kernel; for the debug kernel, built from
# linux-source, its build tree, which the installed system's
# /lib/modules/KVER/build points to as `make modules_install` leaves it.
#@ timeout: 2400
#@ long: DKMS compiles the modules in the emulated guest (15 to 20 minutes beside another guest on a slow host)
#@ host-root: ro
#@ mem-mib: 1024
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

R=/sysroot
modprobe 9pnet_virtio && modprobe 9p && modprobe overlay ||
	fail "cannot load 9p and overlay"
mkdir -p /host /rw "$R"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 \
	hostroot /host || fail "cannot mount the host's root over 9p"
mount -t tmpfs -o size=600m tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work "$R" ||
	fail "cannot mount the overlay"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t devtmpfs devtmpfs "$R/dev"
mkdir -p "$R/dev/pts"
mount -t devpts devpts "$R/dev/pts"
# What udev would add to /dev.
ln -sf /proc/self/fd "$R/dev/fd"
ln -sf /proc/self/fd/0 "$R/dev/stdin"
ln -sf /proc/self/fd/1 "$R/dev/stdout"
ln -sf /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
[ -d "$R/var/lib/dkms" ] || fail "dkms is not installed on the host"
[ ! -e "$R/usr/src/dm-forkmirror-1.2.0" ] ||
	fail "the host has dm-forkmirror sources installed already"

# in_root CMD...: CMD in the installed system, with a clean environment.
in_root() {
	chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb LC_ALL=C \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive DM_DISABLE_UDEV=1 "$@"
}

kver=$(uname -r)
# A kernel installed from its own build (the debug kernel): its module
# tree, with the build and source links modules_install made, as the
# host keeps it, in the installed system's /lib/modules.
if [ ! -d "$R/lib/modules/$kver" ] && [ -s /etc/fm-host-moddir ]; then
	hm=$(cat /etc/fm-host-moddir)
	[ -d "$R$hm" ] || fail "the host's module tree $hm is not in its root"
	mkdir -p "$R/lib/modules"
	cp -a "$R$hm" "$R/lib/modules/$kver" || fail "cannot install $hm"
fi
in_root test -e "/lib/modules/$kver/build/Makefile" ||
	fail "no headers for $kver in the installed system"
mkdir -p "$R/root/debs"
cp /debs/*.deb "$R/root/debs/"
ls "$R/root/debs"

log "dpkg -i dm-forkmirror-dkms_*.deb forkmirror-tools_*.deb"
# dpkg's and DKMS's output as it comes (the build is long).
{ in_root sh -c 'dpkg -i /root/debs/dm-forkmirror-dkms_*_all.deb /root/debs/forkmirror-tools_*_amd64.deb'
	echo $? >/tmp/apt.rc; } 2>&1 | tee /tmp/apt.log
[ "$(cat /tmp/apt.rc)" = 0 ] || fail "dpkg -i failed"
log "dpkg -i done"

in_root dkms status | tee /tmp/dkms-status
grep -q "^dm-forkmirror/1.2.0, $kver, x86_64: installed" /tmp/dkms-status ||
	fail "DKMS did not install the modules for $kver"
for m in dm-forkmirror forkmirror-tracker; do
	p=$(in_root modinfo -n "$m") || fail "modinfo $m failed"
	echo "$m: $p"
	case $p in
	/lib/modules/$kver/updates/dkms/*) ;;
	*) fail "$m is not the DKMS-installed module: $p" ;;
	esac
done
for f in /usr/sbin/forkmirror /usr/share/man/man8/forkmirror.8.gz \
	/lib/systemd/system/forkmirror-assemble.service /etc/forkmirror/volumes.conf; do
	[ -e "$R$f" ] || fail "$f not installed"
done
in_root man -w forkmirror >/dev/null 2>&1 || fail "man -w forkmirror finds no page"

log "modprobe dm-forkmirror (the installed modules)"
# modprobe -v names each file it inserts: both from DKMS's directory.
in_root modprobe -v dm-forkmirror >/tmp/modprobe.log 2>&1 ||
	{ cat /tmp/modprobe.log; fail "modprobe of the installed module failed"; }
cat /tmp/modprobe.log
for m in dm-forkmirror forkmirror-tracker; do
	grep -q "^insmod /lib/modules/$kver/updates/dkms/$m.ko" /tmp/modprobe.log ||
		fail "$m was not inserted from updates/dkms"
done
grep -q '^dm_forkmirror ' /proc/modules || fail "dm_forkmirror not loaded"
dmsetup targets | grep forkmirror || fail "no forkmirror target"

log "forkmirror create (the installed command) and a write, checked"
in_root forkmirror create pkgvol --region-sectors 1024 "$PRIMARY" "$BACKUP" "$META" pkgvol ||
	fail "forkmirror create failed"
dd if=/dev/urandom of=/tmp/data bs=1M count=8 2>/dev/null
dd if=/tmp/data of=/dev/mapper/pkgvol bs=1M oflag=direct 2>/dev/null ||
	fail "write through the volume failed"
in_root forkmirror status pkgvol || fail "forkmirror status failed"
blocks_equal /tmp/data "$PRIMARY" 8388608 || fail "primary does not hold the data"
blocks_equal /tmp/data "$BACKUP" 8388608 || fail "backup does not hold the data"
dmsetup remove pkgvol || fail "remove failed"
rmmod dm_forkmirror forkmirror_tracker || fail "rmmod failed"

log "apt-get remove"
in_root apt-get remove -y dm-forkmirror-dkms forkmirror-tools >/tmp/apt.log 2>&1 ||
	{ cat /tmp/apt.log; fail "apt-get remove failed"; }
grep -E '^Removing' /tmp/apt.log
[ -z "$(in_root dkms status -m dm-forkmirror)" ] || fail "DKMS still lists dm-forkmirror"
ls "$R/lib/modules/$kver/updates/dkms/" 2>/dev/null | grep forkmirror &&
	fail "the modules are still installed"
[ ! -e "$R/usr/sbin/forkmirror" ] || fail "the forkmirror command is still installed"
in_root modinfo dm-forkmirror >/dev/null 2>&1 && fail "modinfo still finds dm-forkmirror"
echo "installed, used and removed"
