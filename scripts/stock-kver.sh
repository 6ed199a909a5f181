#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Print the newest installed Debian kernel ABI (e.g. 6.1.0-56-amd64) that
# has both its image and its matching headers installed, so vermagic of
# what we build matches the kernel we boot. Prints nothing if there is none.
for img in /boot/vmlinuz-*-amd64; do
	[ -e "$img" ] || continue
	v=${img#/boot/vmlinuz-}
	[ -f "/usr/src/linux-headers-$v/Makefile" ] && [ -d "/lib/modules/$v/kernel" ] && echo "$v"
done | sort -V | tail -n 1
