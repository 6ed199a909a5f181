#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Install, with apt, what the build, the tests and the demo need
# (make deps), or with --build only what building and installing on a
# server needs: the compiler, the tool's libraries and the running
# kernel's headers (make build-deps). Idempotent and quick when everything
# is there: apt runs only when a package is missing. The kernel image and
# headers come from the same Debian metapackage version, so their ABI
# (and vermagic) match.
set -eu

BUILD_PKGS="make gcc libc6-dev pkg-config libdevmapper-dev libjson-c-dev"

if [ "${1:-}" = --build ]; then
	PKGS="$BUILD_PKGS"
	# The running kernel's headers, when apt knows them (a Debian kernel).
	kh="linux-headers-$(uname -r)"
	if [ -e "/lib/modules/$(uname -r)/build/Makefile" ]; then
		:
	elif apt-cache show "$kh" >/dev/null 2>&1; then
		PKGS="$PKGS $kh"
	else
		echo "deps: no package $kh for the running kernel: install its headers" \
			"(its build tree at /lib/modules/$(uname -r)/build) yourself" >&2
	fi
else
	PKGS="
$BUILD_PKGS
flex bison bc libelf-dev libssl-dev
linux-image-amd64 linux-headers-amd64 linux-source-6.1
qemu-system-x86 busybox-static kmod cpio xz-utils python3
dmsetup lvm2 fio ndctl mdadm e2fsprogs diffutils util-linux
nbd-server nbd-client iproute2 dkms
sparse clang libclang-rt-14-dev python3-docutils groff-base
"
fi

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: need root to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q || apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi

[ "${1:-}" = --build ] && exit 0
if [ -z "$(sh "$(dirname "$0")/stock-kver.sh")" ]; then
	echo "deps: no Debian amd64 kernel with matching headers is installed" >&2
	exit 1
fi
