#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make lint: checkpatch.pl --strict, sparse (C=2) and W=1 over our kernel
# code. Any finding fails. --build-only skips checkpatch (the test suite
# uses it to compile the KUnit code against the debug kernel). The kernel's checkpatch.pl comes out of Debian's
# linux-source tarball once and is cached outside the checkout.
set -euo pipefail
[ -n "${LINT_DEBUG:-}" ] && set -x

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${KDIR:?KDIR must name a kernel build tree}
cache=${FM_CACHE:-/var/cache/forkmirror}
tarball=$(ls /usr/src/linux-source-6.1.tar.xz)
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
cpdir=$cache/checkpatch-$srcver
fail=0
build_only=0
[ "${1:-}" = --build-only ] && build_only=1

if [ "$build_only" = 0 ] && [ ! -x "$cpdir/scripts/checkpatch.pl" ]; then
	rm -rf "$cpdir.tmp"
	mkdir -p "$cpdir.tmp"
	tar -xJf "$tarball" -C "$cpdir.tmp" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	rm -rf "$cpdir"
	mv "$cpdir.tmp" "$cpdir"
fi

cd "$top"
mapfile -t srcs < <(git ls-files -co --exclude-standard -- '*.c' '*.h' |
		    grep -E '^(dm-forkmirror|tracking|include|tests/kmod)/')

echo "lint: checkpatch --strict on ${#srcs[@]} files"
if [ "$build_only" = 0 ] && ! "$cpdir/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
	-f "${srcs[@]}" > /tmp/fm-checkpatch.$$ 2>&1; then
	cat /tmp/fm-checkpatch.$$
	fail=1
fi
rm -f /tmp/fm-checkpatch.$$

# sparse and W=1 in a scratch copy, so every file is compiled and checked
# whatever the state of the working tree's objects.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r Kbuild dm-forkmirror tracking include "$work"/
echo "lint: sparse (C=2) and W=1 against $kdir"
make -s -C "$kdir" M="$work" C=2 CHECK="sparse -Wno-unknown-attribute" W=1 \
	modules > "$work/build.log" 2>&1 || fail=1
mkdir -p "$work/tests" && cp -r tests/kmod "$work/tests/"
make -s -C "$kdir" M="$work/tests/kmod" C=2 CHECK="sparse -Wno-unknown-attribute" W=1 \
	KBUILD_EXTRA_SYMBOLS="$work/Module.symvers" modules >> "$work/build.log" 2>&1 || fail=1
if grep -E 'warning:|error:|sparse:' "$work/build.log" |
	grep -v 'Skipping BTF generation'; then
	fail=1
fi

if [ "$fail" != 0 ]; then
	echo "lint: FAILED"
	exit 1
fi
echo "lint: clean"
