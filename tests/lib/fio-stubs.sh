#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# fio-stubs.sh FIO OUTDIR: build stand-ins for the libraries of fio's I/O
# engines the tests never use, so the guest image does not carry them.
#
# Debian's fio links every engine's library directly (ceph's librados and
# librbd, gluster, RDMA, libnbd, PMDK) and is linked with BIND_NOW, so the
# dynamic loader wants every one of them, and every symbol fio takes from
# them, at start-up.  Their transitive closure is about 70 MB (ceph, boost,
# ICU data), which every guest boot would unpack.  Each stand-in has the
# real library's soname and defines, under the same symbol versions, just
# the functions fio takes from it; each stand-in function reports which
# engine library is missing and aborts.  fio itself is the host's binary,
# unchanged, and the engines the tests use (libaio, psync, sync) need none
# of these libraries.
#
# Exits non-zero if fio takes anything but functions from them, or if fio
# does not start with the stand-ins in place of the real libraries.
set -euo pipefail

PROG=${0##*/}
die() { echo "$PROG: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || { echo "usage: $PROG FIO OUTDIR" >&2; exit 2; }
fio=$1 out=$2

# The engine libraries to replace (sonames as fio's NEEDED entries give them).
STUBBED=(libgfapi.so.0 librados.so.2 librbd.so.1 libibverbs.so.1
	 librdmacm.so.1 libnbd.so.0 libpmemblk.so.1 libpmem.so.1)

mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fio's undefined dynamic symbols: "TYPE VERSION NAME" (VERSION "-" if none).
LC_ALL=C objdump -T "$fio" | awk '$0 ~ /\*UND\*/ {
	ver = $(NF - 1); if (ver !~ /^\(/) ver = "-"; gsub(/[()]/, "", ver)
	print $2, ver, $NF }' >"$work/undef"

needed=$(LC_ALL=C readelf -d "$fio" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
libs=$(LC_ALL=C ldd "$fio")

for soname in "${STUBBED[@]}"; do
	grep -qx "$soname" <<<"$needed" || continue
	path=$(awk -v s="$soname" '$1 == s && $2 == "=>" { print $3 }' <<<"$libs")
	[ -n "$path" ] && [ -f "$path" ] || die "$soname: fio needs it but it is not installed"
	nm -D --defined-only "$path" | awk '{ sub(/@.*/, "", $3); print $3 }' |
		sort -u >"$work/defined"
	# The symbols fio takes from this library.
	awk 'NR == FNR { def[$1] = 1; next } ($3 in def) { print }' \
		"$work/defined" "$work/undef" >"$work/take"
	if awk '$1 != "DF" { bad = 1 } END { exit !bad }' "$work/take"; then
		die "$soname: fio takes data symbols from it: $(awk '$1 != "DF"' "$work/take")"
	fi
	c=$work/${soname}.c
	{
		echo '#include <stdio.h>'
		echo '#include <stdlib.h>'
		echo 'static void fm_stub_missing(const char *fn)'
		echo '{'
		echo "	fprintf(stderr, \"fio: %s: $soname is not in the test guest\\n\", fn);"
		echo '	abort();'
		echo '}'
		awk '{ printf "void %s(void);\nvoid %s(void) { fm_stub_missing(\"%s\"); }\n", $3, $3, $3 }' \
			"$work/take"
	} >"$c"
	# One version node per version fio asks for; unversioned symbols
	# stay in the base version.
	awk '$2 != "-" { v[$2] = v[$2] " " $3 ";" }
	     END { for (n in v) printf "%s {\n\tglobal:%s\n};\n", n, v[n] }' \
		"$work/take" >"$work/$soname.map"
	vs=()
	[ -s "$work/$soname.map" ] && vs=(-Wl,--version-script="$work/$soname.map")
	gcc -shared -fPIC -O1 -o "$out/$soname" -Wl,-soname,"$soname" \
		"${vs[@]}" "$c"
done

# The stand-ins must satisfy the loader with BIND_NOW.
LD_LIBRARY_PATH=$out "$fio" --version >/dev/null ||
	die "fio does not start with the stand-in libraries"
