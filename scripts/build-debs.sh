#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build the Debian packages into OUTDIR (default .build/deb):
#   dm-forkmirror-dkms_<ver>-1_all.deb   the module sources under
#       /usr/src/dm-forkmirror-<ver>, built and installed by DKMS for the
#       running kernel (and each later one) on installation
#   forkmirror-tools_<ver>-1_amd64.deb   the forkmirror command, its man page
# With dpkg-deb alone (no debhelper): the maintainer scripts are in
# packaging/. The version is dkms.conf's.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/.build/deb}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$ver" ] || { echo "build-debs: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
rev=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# The DKMS source package.
root=$tmp/dkms
src=$root/usr/src/dm-forkmirror-$ver
mkdir -p "$src" "$root/DEBIAN" "$root/usr/share/doc/dm-forkmirror-dkms"
(cd "$top" && ls Kbuild dkms.conf dm-forkmirror/*.[ch] tracking/*.[ch] \
	include/forkmirror/*.h include/uapi/linux/*.h) |
	while read -r f; do
		install -D -m 0644 "$top/$f" "$src/$f"
	done
install -m 0644 "$top/packaging/copyright" "$root/usr/share/doc/dm-forkmirror-dkms/copyright"
sed "s/@VERSION@/$ver/g" "$top/packaging/dkms.postinst" >"$root/DEBIAN/postinst"
sed "s/@VERSION@/$ver/g" "$top/packaging/dkms.prerm" >"$root/DEBIAN/prerm"
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"
cat >"$root/DEBIAN/control" <<EOT
Package: dm-forkmirror-dkms
Version: $ver-$rev
Architecture: all
Section: kernel
Priority: optional
Maintainer: dm-forkmirror developers <root@localhost>
Depends: dkms (>= 2.1.0.0), make, gcc
Recommends: forkmirror-tools
Installed-Size: $(du -sk "$root/usr" | cut -f1)
Description: forkmirror device-mapper target and tracker (DKMS sources)
 The dm-forkmirror target writes every write to a backup device, then to
 the primary; while the backup is offline a shared tracker records the
 dirty regions in a persistent store, and a resync copies them when it
 returns. DKMS builds the two modules (dm-forkmirror, forkmirror-tracker)
 for each installed Linux 6.1 kernel with headers.
EOT
dpkg-deb --root-owner-group -Zxz --build "$root" "$out/dm-forkmirror-dkms_${ver}-${rev}_all.deb" >&2

# The tools package.
root=$tmp/tools
make -s -C "$top/tools" forkmirror >&2
install -D -m 0755 "$top/tools/forkmirror" "$root/usr/sbin/forkmirror"
strip --strip-unneeded "$root/usr/sbin/forkmirror"
install -d "$root/usr/share/man/man8" "$root/usr/share/doc/forkmirror-tools" "$root/DEBIAN"
gzip -9n <"$top/tools/forkmirror.8" >"$root/usr/share/man/man8/forkmirror.8.gz"
install -m 0644 "$top/packaging/copyright" "$root/usr/share/doc/forkmirror-tools/copyright"
install -d "$root/lib/systemd/system" "$root/etc/forkmirror"
sed 's|@SBINDIR@|/usr/sbin|' "$top/packaging/forkmirror-assemble.service.in" \
	>"$root/lib/systemd/system/forkmirror-assemble.service"
install -m 0644 "$top/packaging/volumes.conf" "$root/etc/forkmirror/volumes.conf"
echo /etc/forkmirror/volumes.conf >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/control" <<EOT
Package: forkmirror-tools
Version: $ver-$rev
Architecture: amd64
Section: admin
Priority: optional
Maintainer: dm-forkmirror developers <root@localhost>
Depends: libc6 (>= 2.34), libdevmapper1.02.1 (>= 2:1.02.97), libjson-c5 (>= 0.15)
Recommends: dm-forkmirror-dkms
Installed-Size: $(du -sk "$root/usr" | cut -f1)
Description: administer forkmirror volumes and their tracker stores
 The forkmirror command shows the state of forkmirror devices, follows a
 resync, exports a volume's tracking log as extents (text or JSON),
 creates devices from named arguments, inspects, checks and formats
 tracker stores, and prints the LVM filter forkmirror devices need.
EOT
dpkg-deb --root-owner-group -Zxz --build "$root" "$out/forkmirror-tools_${ver}-${rev}_amd64.deb" >&2
ls "$out"/*_"$ver-$rev"_*.deb
