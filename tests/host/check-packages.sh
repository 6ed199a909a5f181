#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian packages build (scripts/build-debs.sh) and hold what they
# must: the DKMS sources (every file Kbuild names, dkms.conf with the
# target's version), the tool and its man page, maintainer scripts that
# parse. The versions of dkms.conf and of the target agree.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
tv=$(sed -n 's/^\t\.version = {\([0-9]*\), *\([0-9]*\), *\([0-9]*\)},$/\1.\2.\3/p' \
	"$top/dm-forkmirror/target.c")
[ -n "$ver" ] && [ "$ver" = "$tv" ] || fail "dkms.conf version '$ver', target version '$tv'"

bash "$top/scripts/build-debs.sh" "$out" >/dev/null 2>"$out/log" || { cat "$out/log"; fail "build-debs failed"; }
dkms=$out/dm-forkmirror-dkms_${ver}-1_all.deb
tools=$out/forkmirror-tools_${ver}-1_amd64.deb
[ -f "$dkms" ] && [ -f "$tools" ] || fail "packages missing: $(ls "$out")"

list=$(dpkg-deb -c "$dkms" | awk '{ print $6 }')
# Every object Kbuild names has its source in the package.
for o in $(sed -n 's/.*-y *[:+]= *//p; s/^\t*\([a-z-]*\/[a-z_]*\.o\).*/\1/p' "$top/Kbuild" |
	tr ' \\' '\n\n' | grep '\.o$'); do
	echo "$list" | grep -qx "./usr/src/dm-forkmirror-$ver/${o%.o}.c" ||
		fail "the DKMS package has no ${o%.o}.c"
done
for f in Kbuild dkms.conf include/uapi/linux/dm-forkmirror.h include/forkmirror/shim.h; do
	echo "$list" | grep -qx "./usr/src/dm-forkmirror-$ver/$f" || fail "the DKMS package has no $f"
done
dpkg-deb -f "$dkms" Depends | grep -q dkms || fail "the DKMS package does not depend on dkms"
for s in postinst prerm; do
	dpkg-deb --ctrl-tarfile "$dkms" | tar -xO "./$s" >"$out/$s" || fail "no $s"
	sh -n "$out/$s" || fail "$s does not parse"
	grep -q "VERSION=$ver$" "$out/$s" || fail "$s names another version"
done

list=$(dpkg-deb -c "$tools" | awk '{ print $6 }')
for f in ./usr/sbin/forkmirror ./usr/share/man/man8/forkmirror.8.gz; do
	echo "$list" | grep -qx "$f" || fail "the tools package has no $f"
done
dpkg-deb -x "$tools" "$out/root"
"$out/root/usr/sbin/forkmirror" --help | grep -q "forkmirror status" || fail "the packaged tool does not run"
# Every library it needs directly is in Depends (by package).
deps=$(dpkg-deb -f "$tools" Depends)
bin=$out/root/usr/sbin/forkmirror
for so in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	lib=$(ldd "$bin" | awk -v so="$so" '$1 == so { print $3 }')
	[ -n "$lib" ] || fail "$so not found"
	pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")")
	pkg=$(echo "$pkg" | head -n 1 | cut -d: -f1)
	echo "$deps" | grep -q "$pkg" || fail "needs $so of $pkg, not in Depends: $deps"
done
for f in ./lib/systemd/system/forkmirror-assemble.service ./etc/forkmirror/volumes.conf; do
	echo "$list" | grep -qx "$f" || fail "the tools package has no $f"
done
dpkg-deb --ctrl-tarfile "$tools" | tar -xO ./conffiles | grep -qx /etc/forkmirror/volumes.conf ||
	fail "volumes.conf is not a conffile"
# The unit, with the tool where it is here, passes systemd's own check.
if command -v systemd-analyze >/dev/null; then
	sed "s|@SBINDIR@|$out/root/usr/sbin|" "$top/packaging/forkmirror-assemble.service.in" \
		>"$out/forkmirror-assemble.service"
	v=$(systemd-analyze verify --man=no "$out/forkmirror-assemble.service" 2>&1) ||
		fail "systemd-analyze verify failed: $v"
	[ -z "$v" ] || fail "systemd-analyze verify: $v"
fi
# The shipped config is all comments: assemble has nothing to do.
"$out/root/usr/sbin/forkmirror" assemble --config "$out/root/etc/forkmirror/volumes.conf" \
	--dry-run >"$out/asm" 2>&1 || fail "assemble of the shipped config: $(cat "$out/asm")"
grep -q "lists no devices" "$out/asm" || fail "the shipped config lists devices: $(cat "$out/asm")"
echo "packages of $ver: ok ($(du -k "$dkms" | cut -f1) KiB and $(du -k "$tools" | cut -f1) KiB)"
