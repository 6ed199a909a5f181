#!/bin/bash
# Build the initramfs used by tests/lib/runner.py.
#
#   mkinitramfs.sh base KVER MODDIR OUTDIR
#       OUTDIR/base.cpio (newc, uncompressed) and its staging tree OUTDIR/root:
#       busybox, kmod, dmsetup, lvm, fio, ndctl, mdadm, cmp, e2fsprogs and their
#       shared libraries, plus the kernel modules the tests use (with their
#       dependencies) from MODDIR (e.g. /lib/modules/6.1.0-56-amd64).
#       There is no /init in it: the overlay provides it.
#
#   mkinitramfs.sh overlay KVER BASEDIR OUTCPIO EXTRA_KO_DIR TESTS_DIR [TOOLS...]
#       A small newc cpio to append to BASEDIR/base.cpio (later entries win):
#       /init (tests/lib/guest-init.sh), EXTRA_KO_DIR/*.ko at
#       /lib/modules/KVER/extra/, the modules.* indexes recomputed with them,
#       TESTS_DIR at /tests and each TOOL (a path or a command name on the
#       host's PATH) at /usr/local/bin with its shared libraries; with
#       DEBS_DIR set, its *.deb at /debs; with DOCEX_DIR set, its files
#       at /doc-examples; with HOST_MODDIR set (the host's path of the
#       kernel's module tree), that path in /etc/fm-host-moddir.
#
# Both modes rebuild from scratch each time (a few seconds) and replace their
# output atomically, so re-running them is safe.
set -euo pipefail

PROG=${0##*/}
LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "$PROG: error: $*" >&2; exit 1; }
warn() { echo "$PROG: warning: $*" >&2; }

usage() {
	cat >&2 <<EOF
usage: $PROG base KVER MODDIR OUTDIR
       $PROG overlay KVER BASEDIR OUTCPIO EXTRA_KO_DIR TESTS_DIR [TOOLS...]
EOF
	exit 2
}

# Kernel modules the tests need; their dependencies come along.
MODULES=(
	dm-mod dm-bufio dm-flakey dm-delay dm-log-writes dm-snapshot dm-zero
	dm-mirror dm-log dm-region-hash dm-era raid1 md-mod
	nfit nd_pmem dax_pmem nd_btt libnvdimm
	virtio_blk virtio_pci virtio_net
	loop brd nbd null_blk
	libcrc32c crc32c_generic crc32c-intel
	ext4 veth 9p 9pnet_virtio overlay
)

# copy_file ROOT SRC [DEST]: copy the host file SRC (following symlinks) into
# ROOT at DEST (default: the same path), keeping its mode.
copy_file() {
	local root=$1 src=$2 dest=${3:-$2}
	mkdir -p "$root$(dirname "$dest")"
	cp -L --preserve=mode "$src" "$root$dest"
}

# copy_libs ROOT BIN [SKIPROOT]: copy BIN's shared libraries (ldd gives the
# whole transitive closure) and the dynamic loader into ROOT at their host
# paths.  A library already present with the same content under SKIPROOT is
# left out.  With STUBS set (a directory of stand-in libraries, see
# fio-stubs.sh), libraries are looked up there first and the stand-ins,
# installed by the caller, are not copied again.
copy_libs() {
	local root=$1 bin=$2 skip=${3:-} out lib
	if ! out=$(LC_ALL=C LD_LIBRARY_PATH=${STUBS:-} ldd "$bin" 2>&1); then
		case $out in
		*"not a dynamic executable"*|*"statically linked"*) return 0 ;;
		*) die "ldd $bin failed: $out" ;;
		esac
	fi
	if grep -q 'not found' <<<"$out"; then
		die "$bin: missing libraries:"$'\n'"$(grep 'not found' <<<"$out")"
	fi
	# "libx.so.1 => /lib/.../libx.so.1 (0x...)" or "/lib64/ld-linux... (0x...)"
	while read -r lib; do
		[ -n "$lib" ] || continue
		[ -e "$root$lib" ] && continue
		[ -n "${STUBS:-}" ] && [ "${lib#"$STUBS"/}" != "$lib" ] && continue
		if [ -n "$skip" ] && [ -e "$skip$lib" ] && cmp -s "$lib" "$skip$lib"; then
			continue
		fi
		copy_file "$root" "$lib"
	done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
		      $1 ~ /^\// { print $1 }' <<<"$out")
}

# install_bin ROOT SRC DEST [SKIPROOT]: copy a host binary to ROOT/DEST with
# its libraries.
install_bin() {
	local root=$1 src=$2 dest=$3 skip=${4:-}
	[ -x "$src" ] || die "$src: not found or not executable"
	copy_file "$root" "$src" "$dest"
	copy_libs "$root" "$src" "$skip"
}

# install_fio ROOT SRC DEST STUBDIR: fio with stand-ins for its unused
# engines' libraries (fio-stubs.sh), each at the path of the library it
# replaces.
install_fio() {
	local root=$1 src=$2 dest=$3 stubs=$4 stub real
	[ -x "$src" ] || die "$src: not found or not executable"
	rm -rf "$stubs"
	bash "$LIBDIR/fio-stubs.sh" "$src" "$stubs"
	for stub in "$stubs"/*; do
		real=$(LC_ALL=C ldd "$src" | awk -v s="${stub##*/}" '$1 == s { print $3 }')
		[ -n "$real" ] || die "no library ${stub##*/} to replace"
		copy_file "$root" "$stub" "$real"
	done
	copy_file "$root" "$src" "$dest"
	STUBS=$stubs copy_libs "$root" "$src"
}

# find_bin NAME: path of a host binary (PATH plus the sbin directories).
find_bin() {
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH \
		command -v "$1" 2>/dev/null || true
}

# mkcpio DIR OUT: newc archive of DIR's contents (owned by root), atomically.
mkcpio() {
	local dir=$1 out=$2
	(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) >"$out.tmp.$$"
	mv -f "$out.tmp.$$" "$out"
}

build_base() {
	[ $# -eq 4 ] || usage
	local kver=$2 moddir=$3 outdir=$4
	[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep missing (run depmod for $kver first)"
	moddir=$(cd "$moddir" && pwd)
	mkdir -p "$outdir"
	outdir=$(cd "$outdir" && pwd)
	local root=$outdir/root
	rm -rf "$root"
	mkdir -p "$root"
	(cd "$root" && mkdir -p bin sbin usr/bin usr/sbin usr/local/bin etc/lvm \
		proc sys dev tmp run mnt var/tmp root lib/modules)
	chmod 1777 "$root/tmp" "$root/var/tmp"
	# The kernel opens /dev/console for init's stdio before devtmpfs is
	# mounted; Debian's kernel carries one in its built-in cpio, ours
	# carries it too so any kernel works.
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3

	# busybox with every applet in /bin.
	local bb=/bin/busybox applet
	[ -x "$bb" ] || die "busybox-static not installed"
	if ldd "$bb" >/dev/null 2>&1; then
		warn "$bb is dynamically linked; copying its libraries"
	fi
	install_bin "$root" "$bb" /bin/busybox
	for applet in $("$bb" --list); do
		[ "$applet" = busybox ] && continue
		ln -sf busybox "$root/bin/$applet"
	done

	# kmod owns the module tools in /sbin (the kernel's request_module()
	# runs /sbin/modprobe; busybox modprobe ignores softdeps).
	install_bin "$root" "$(find_bin kmod)" /bin/kmod
	local t
	for t in modprobe insmod rmmod lsmod depmod modinfo; do
		ln -sf ../bin/kmod "$root/sbin/$t"
	done

	# Real tools: required ones, then optional ones.
	local spec src dest name
	for spec in dmsetup:/sbin/dmsetup lvm:/sbin/lvm mdadm:/sbin/mdadm \
		    fio:/usr/bin/fio ndctl:/usr/bin/ndctl cmp:/usr/bin/cmp \
		    mke2fs:/sbin/mke2fs; do
		name=${spec%%:*} dest=${spec#*:}
		src=$(find_bin "$name")
		[ -n "$src" ] || die "$name not found on the host"
		if [ "$name" = fio ]; then
			install_fio "$root" "$src" "$dest" "$outdir/fio-stubs"
		else
			install_bin "$root" "$src" "$dest"
		fi
	done
	ln -sf mke2fs "$root/sbin/mkfs.ext4"
	for spec in e2fsck:/sbin/e2fsck dumpe2fs:/sbin/dumpe2fs blkid:/sbin/blkid \
		    losetup:/sbin/losetup wipefs:/sbin/wipefs daxctl:/usr/bin/daxctl \
		    nbd-server:/usr/bin/nbd-server nbd-client:/sbin/nbd-client \
		    ip:/sbin/ip; do
		name=${spec%%:*} dest=${spec#*:}
		src=$(find_bin "$name")
		if [ -z "$src" ]; then
			warn "optional tool $name not found on the host, skipped"
			continue
		fi
		install_bin "$root" "$src" "$dest"
	done
	[ -e "$root/sbin/e2fsck" ] && ln -sf e2fsck "$root/sbin/fsck.ext4"
	# lvm's command names (pvcreate, lvs, ...) are symlinks to lvm.
	for src in $(find /usr/sbin /sbin -maxdepth 1 -lname lvm 2>/dev/null | sort -u); do
		ln -sf lvm "$root/sbin/${src##*/}"
	done

	# Configuration.
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/mke2fs.conf"
	cat >"$root/etc/lvm/lvm.conf" <<'EOF'
# No udev, no lvmetad, no lvmpolld, no dmeventd in the test guest.
devices {
	obtain_device_list_from_udev = 0
	external_device_info_source = "none"
}
activation {
	udev_sync = 0
	udev_rules = 0
	monitoring = 0
}
global {
	use_lvmpolld = 0
}
EOF
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	printf 'root:x:0:\ndisk:x:6:\n' >"$root/etc/group"
	ln -sf /proc/self/mounts "$root/etc/mtab"
	echo fm-guest >"$root/etc/hostname"

	# Kernel modules.
	local kroot=$root/lib/modules/$kver prefix cfg m line path rel
	mkdir -p "$kroot"
	# modprobe -d wants PREFIX/lib/modules/KVER; make one if MODDIR is elsewhere.
	cfg=$(mktemp -d)
	CLEANUP=$cfg
	case $moddir in
	*/lib/modules/"$kver") prefix=${moddir%/lib/modules/"$kver"} ;;
	*)
		prefix=$cfg/prefix
		mkdir -p "$prefix/lib/modules"
		ln -s "$moddir" "$prefix/lib/modules/$kver"
		;;
	esac
	mkdir -p "$cfg/modprobe.d"	# ignore the host's /etc/modprobe.d
	for m in "${MODULES[@]}"; do
		if ! line=$(modprobe -C "$cfg/modprobe.d" -d "${prefix:-/}" -S "$kver" \
				--show-depends "$m" 2>&1); then
			if grep -qE "/${m//[-_]/[-_]}\.ko" "$moddir/modules.builtin" 2>/dev/null; then
				warn "module $m is built into $kver, skipped"
			else
				warn "module $m not found for $kver, skipped"
			fi
			continue
		fi
		while read -r t path _; do
			case $t in
			builtin) warn "module $path is built into $kver, skipped" ;;
			insmod)
				rel=${path#*/lib/modules/"$kver"/}
				[ -e "$kroot/$rel" ] && continue
				mkdir -p "$(dirname "$kroot/$rel")"
				cp "$moddir/$rel" "$kroot/$rel"
				;;
			esac
		done <<<"$line"
	done
	for m in modules.builtin modules.builtin.modinfo modules.order; do
		if [ -f "$moddir/$m" ]; then
			cp "$moddir/$m" "$kroot/$m"
		else
			warn "$moddir/$m missing"
		fi
	done
	rm -rf "$cfg"
	depmod -b "$root" "$kver"

	mkcpio "$root" "$outdir/base.cpio"
	echo "$PROG: $outdir/base.cpio: $(du -sh "$outdir/base.cpio" | cut -f1)," \
		"$(find "$kroot" -name '*.ko*' | wc -l) modules"
}

build_overlay() {
	[ $# -ge 6 ] || usage
	local kver=$2 basedir=$3 outcpio=$4 extradir=$5 testsdir=$6
	shift 6
	local baseroot=$basedir/root
	local basemods=$baseroot/lib/modules/$kver
	[ -d "$basemods" ] || die "$basemods missing: build the base first"
	[ -d "$extradir" ] || die "$extradir: no such directory"
	[ -d "$testsdir" ] || die "$testsdir: no such directory"
	[ -f "$LIBDIR/guest-init.sh" ] || die "$LIBDIR/guest-init.sh missing"

	local tmp stage
	tmp=$(mktemp -d "$basedir/.overlay.XXXXXX")
	CLEANUP=$tmp
	stage=$tmp/stage
	mkdir -p "$stage/lib/modules/$kver/extra" "$stage/usr/local/bin"
	install -m 755 "$LIBDIR/guest-init.sh" "$stage/init"

	# Recompute the module indexes on a hard-linked copy of the base's
	# module tree plus the extra modules; ship only the indexes that changed.
	local mtree=$tmp/mods/lib/modules/$kver ko f n=0
	mkdir -p "$(dirname "$mtree")"
	cp -al "$basemods" "$mtree" 2>/dev/null || cp -a "$basemods" "$mtree"
	mkdir -p "$mtree/extra"
	for ko in "$extradir"/*.ko; do
		[ -e "$ko" ] || continue
		cp "$ko" "$mtree/extra/"
		cp "$ko" "$stage/lib/modules/$kver/extra/"
		n=$((n + 1))
	done
	depmod -b "$tmp/mods" "$kver"
	for f in "$mtree"/modules.*; do
		cmp -s "$f" "$basemods/${f##*/}" && continue
		cp "$f" "$stage/lib/modules/$kver/"
	done

	mkdir -p "$stage/tests"
	# Only what runs in the guest: the helpers and the cases (not the
	# host tests, the fuzzer or their binaries).
	cp -a "$testsdir/lib" "$testsdir/cases" "$stage/tests/"
	find "$stage/tests" -name __pycache__ -prune -exec rm -rf {} +

	# The Debian packages (scripts/build-debs.sh), for the install test.
	if [ -n "${DEBS_DIR:-}" ]; then
		mkdir -p "$stage/debs"
		cp "$DEBS_DIR"/*.deb "$stage/debs/"
	fi
	# The admin guides' examples (scripts/doc-examples.py extract).
	if [ -n "${DOCEX_DIR:-}" ]; then
		mkdir -p "$stage/doc-examples"
		cp "$DOCEX_DIR"/* "$stage/doc-examples/"
	fi
	# Where the host keeps this kernel's modules and build tree (the
	# package install test finds them there through the host's root).
	if [ -n "${HOST_MODDIR:-}" ]; then
		mkdir -p "$stage/etc"
		echo "$HOST_MODDIR" >"$stage/etc/fm-host-moddir"
	fi

	local tool src
	for tool in "$@"; do
		case $tool in
		*/*) src=$tool ;;
		*) src=$(find_bin "$tool") ;;
		esac
		[ -n "$src" ] && [ -x "$src" ] || die "tool $tool not found"
		install_bin "$stage" "$src" "/usr/local/bin/${tool##*/}" "$baseroot"
	done

	mkdir -p "$(dirname "$outcpio")"
	mkcpio "$stage" "$outcpio"
	echo "$PROG: $outcpio: $(du -sh "$outcpio" | cut -f1), $n extra module(s), $# tool(s)"
}

CLEANUP=
trap '[ -z "$CLEANUP" ] || rm -rf "$CLEANUP"' EXIT

[ $# -ge 1 ] || usage
case $1 in
base) build_base "$@" ;;
overlay) build_overlay "$@" ;;
*) usage ;;
esac
