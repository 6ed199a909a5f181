#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build (once) the debug kernel the tests use: Debian's linux-source-6.1 with
# tests/kernel/debug.config (KUnit, KASAN, lockdep, kmemleak, ...) on top of
# x86_64_defconfig + kvm_guest.config. The result is cached outside the
# checkout, keyed by the fragment, this script, the source package version
# and the compiler, and reused by every later run.
#
# Prints, on its last line: "KERNEL_IMAGE BUILD_TREE MODULES_DIR KERNELRELEASE".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${FM_CACHE:-/var/cache/forkmirror}
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || { echo "build-debug-kernel: $tarball missing (make deps)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { cat "$here/debug.config" "$here/build-debug-kernel.sh"; echo "$srcver";
	 gcc --version | head -n 1; } | sha256sum | cut -c1-16)
out=$cache/debug-kernel-$key
src=$cache/linux-source-$srcver
jobs=${FM_KERNEL_JOBS:-$(nproc)}

log() { echo "build-debug-kernel: $*" >&2; }

if [ ! -f "$out/DONE" ]; then
	if [ ! -f "$src/.unpacked" ]; then
		log "unpacking $tarball"
		rm -rf "$src" "$src.tmp"
		mkdir -p "$src.tmp"
		tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
		touch "$src.tmp/.unpacked"
		mv "$src.tmp" "$src"
	fi

	rm -rf "$out"
	mkdir -p "$out/obj"
	start=$(date +%s)
	log "configuring in $out/obj"
	make -s -C "$src" O="$out/obj" x86_64_defconfig >&2
	make -s -C "$src" O="$out/obj" kvm_guest.config >&2
	(cd "$out/obj" && "$src/scripts/kconfig/merge_config.sh" -m -O . .config \
		"$here/debug.config" >/dev/null)
	"$src/scripts/config" --file "$out/obj/.config" \
		--set-str LOCALVERSION "-fmdebug" --disable LOCALVERSION_AUTO
	make -s -C "$src" O="$out/obj" olddefconfig >&2

	# Every option the fragment sets must have stuck.
	bad=0
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qx "$line" "$out/obj/.config" ||
				{ log "did not stick: $line"; bad=1; }
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=[ym]" "$out/obj/.config" &&
				{ log "still enabled: $opt"; bad=1; }
			;;
		esac
	done < "$here/debug.config"
	[ "$bad" = 0 ] || { log "config fragment not satisfied"; exit 1; }

	log "building bzImage and modules with -j$jobs (about 9 minutes on 2 cores)"
	make -s -C "$src" O="$out/obj" -j"$jobs" bzImage modules >&2
	make -s -C "$src" O="$out/obj" INSTALL_MOD_PATH="$out/mods" \
		INSTALL_MOD_STRIP=1 modules_install >&2
	log "built in $(( $(date +%s) - start )) s"
	touch "$out/DONE"
fi

krel=$(cat "$out/obj/include/config/kernel.release")
echo "$out/obj/arch/x86/boot/bzImage $out/obj $out/mods/lib/modules/$krel $krel"
