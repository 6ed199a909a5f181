#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `make install` into a staging root (DESTDIR) puts the two modules under
# lib/modules/<release>/updates, the command, its man page and the unit in
# place; `make uninstall` takes every one of them away again. Without the
# running kernel's headers, `make install` into the system is refused with
# a message naming them (it would build for another kernel).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

kver=$(sh "$top/scripts/stock-kver.sh")
[ -n "$kver" ] || fail "no Debian kernel with headers to build against"
kdir=/usr/src/linux-headers-$kver
make -s -C "$top" install DESTDIR="$out" KDIR="$kdir" >"$out.log" 2>&1 ||
	{ cat "$out.log"; rm -f "$out.log"; fail "make install failed"; }
rm -f "$out.log"
want="lib/modules/$kver/updates/dm-forkmirror.ko
lib/modules/$kver/updates/forkmirror-tracker.ko
usr/local/lib/systemd/system/forkmirror-assemble.service
usr/local/sbin/forkmirror
usr/local/share/man/man8/forkmirror.8"
got=$(cd "$out" && find . -type f | sed 's|^\./||' | sort)
[ "$got" = "$want" ] || fail "make install put in place:
$got
want:
$want"
grep -q "ExecStart=/usr/local/sbin/forkmirror assemble" \
	"$out/usr/local/lib/systemd/system/forkmirror-assemble.service" ||
	fail "the unit does not run the installed command"
"$out/usr/local/sbin/forkmirror" --help | grep -q "forkmirror status" ||
	fail "the installed command does not run"
make -s -C "$top" uninstall DESTDIR="$out" KDIR="$kdir" >/dev/null || fail "make uninstall failed"
left=$(cd "$out" && find . -type f)
[ -z "$left" ] || fail "make uninstall left: $left"

if [ ! -e "/lib/modules/$(uname -r)/build/Makefile" ]; then
	msg=$(env -u KDIR -u MAKEFLAGS -u MAKELEVEL make -s -C "$top" -n install 2>&1) && fail "make install without headers ran: $msg"
	echo "$msg" | grep -q "no headers of the running kernel $(uname -r)" ||
		fail "make install without headers said: $msg"
fi
echo "install and uninstall: ok"
