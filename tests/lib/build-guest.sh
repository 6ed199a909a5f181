#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build everything a guest run needs for one kernel and print, on its last
# line, "KERNEL BASE_CPIO OVERLAY_CPIO":
#   - our modules, built in a copy of the tree under .build/<kver>/ (6.1
#     Kbuild writes objects into the M= tree, so each kernel gets a copy);
#   - the base initramfs (busybox, tools, kernel modules), cached outside
#     the checkout under $FM_CACHE, keyed by its inputs;
#   - the overlay (init, our modules, depmod data, tests, tools and the
#     guest test helpers of tests/guest-tools/).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${1:-$(sh "$top/scripts/stock-kver.sh")}
kdir=${FM_KDIR:-/usr/src/linux-headers-$kver}
kernel=${FM_KERNEL:-/boot/vmlinuz-$kver}
moddir=${FM_MODDIR:-/lib/modules/$kver}
cache=${FM_CACHE:-/var/cache/forkmirror}
build=$top/.build/$kver

[ -f "$kernel" ] || { echo "build-guest: no kernel image $kernel" >&2; exit 1; }

mkdir -p "$build/src" "$build/ko"
rm -rf "$build/src"/*
cp -r "$top"/Kbuild "$top"/dm-forkmirror "$top"/tracking "$top"/include "$build/src/"
make -s -C "$kdir" M="$build/src" modules >&2
# The test-only module, against the tracker's symbols just built.
mkdir -p "$build/src/tests"
cp -r "$top"/tests/kmod "$build/src/tests/"
make -s -C "$kdir" M="$build/src/tests/kmod" \
	KBUILD_EXTRA_SYMBOLS="$build/src/Module.symvers" modules >&2
rm -f "$build/ko"/*.ko
cp "$build/src"/*.ko "$build/src/tests/kmod"/*.ko "$build/ko/"

make -s -C "$top/tools" >&2
# The guest-side test helpers (tests/guest-tools/).
for t in "$top"/tests/guest-tools/*.c; do
	gcc -O2 -Wall -Wextra -Werror -o "$build/$(basename "$t" .c)" "$t"
done

# The base image depends on the builder script, the kernel's modules and
# the versions of every package it copies from.
key=$( {
	cat "$top/tests/lib/mkinitramfs.sh" "$top/tests/lib/fio-stubs.sh"
	echo "$kver"
	ls -l --time-style=+%s "$moddir/modules.dep" 2>/dev/null || true
	dpkg-query -W busybox-static kmod dmsetup lvm2 fio ndctl mdadm \
		e2fsprogs diffutils util-linux libc6 nbd-server nbd-client \
		iproute2 2>/dev/null
} | sha256sum | cut -c1-16)
base=$cache/initramfs-$kver-$key
if [ ! -f "$base/base.cpio" ]; then
	rm -rf "$base.tmp"
	bash "$top/tests/lib/mkinitramfs.sh" base "$kver" "$moddir" "$base.tmp" >&2
	rm -rf "$base"
	mv "$base.tmp" "$base"
fi

# The Debian packages, for the package install test.
rm -rf "$build/deb"
bash "$top/scripts/build-debs.sh" "$build/deb" >&2
# The admin guides' examples, for the documentation test.
rm -rf "$build/doc-examples"
python3 "$top/scripts/doc-examples.py" extract "$build/doc-examples" >&2
DEBS_DIR=$build/deb DOCEX_DIR=$build/doc-examples HOST_MODDIR=$moddir bash "$top/tests/lib/mkinitramfs.sh" overlay "$kver" "$base" \
	"$build/overlay.cpio" "$build/ko" "$top/tests" "$top/tools/forkmirror" \
	"$build"/fm-regcheck "$build"/fm-replay >&2
echo "$kernel $base/base.cpio $build/overlay.cpio"
