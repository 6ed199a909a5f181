#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Install, with apt, everything the build, the tests and the demo need.
# Idempotent and quick when everything is there: apt runs only when a
# package is missing. The kernel image and headers come from the same
# Debian metapackage version, so their ABI (and vermagic) match.
set -eu

PKGS="
make gcc libc6-dev pkg-config
flex bison bc libelf-dev libssl-dev
linux-image-amd64 linux-headers-amd64 linux-source-6.1
qemu-system-x86 busybox-static kmod cpio xz-utils python3
dmsetup lvm2 fio ndctl mdadm e2fsprogs diffutils util-linux
nbd-server nbd-client iproute2 dkms
sparse libdevmapper-dev libjson-c-dev
clang libclang-rt-14-dev python3-docutils groff-base
"

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

if [ -z "$(sh "$(dirname "$0")/stock-kver.sh")" ]; then
	echo "deps: no Debian amd64 kernel with matching headers is installed" >&2
	exit 1
fi
