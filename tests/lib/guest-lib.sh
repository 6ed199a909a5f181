# Shell library for the guest test cases (busybox sh).  Source it first:
#     . /tests/lib/guest-lib.sh
#
# guest-init.sh exports: CASE PHASE PHASES, the disks PRIMARY BACKUP SPARE
# META (/dev/vda../dev/vdd, raw files on the host, kept across phases) and
# PMEM_NS (namespace0.0, /dev/pmem0, also kept across phases).

# busybox sh runs its own applets before anything on PATH, but shell
# functions come first: route the tools whose real versions are in the
# initramfs to them (kmod must win: busybox modprobe ignores softdeps).
modprobe() { /sbin/modprobe "$@"; }
insmod() { /sbin/insmod "$@"; }
rmmod() { /sbin/rmmod "$@"; }
lsmod() { /sbin/lsmod "$@"; }
modinfo() { /sbin/modinfo "$@"; }
depmod() { /sbin/depmod "$@"; }
mke2fs() { /sbin/mke2fs "$@"; }
[ -x /sbin/losetup ] && losetup() { /sbin/losetup "$@"; }
[ -x /sbin/blkid ] && blkid() { /sbin/blkid "$@"; }
[ -x /sbin/ip ] && ip() { /sbin/ip "$@"; }

# log MSG...: progress message on the console, stamped with the guest's
# uptime in seconds (the kernel log's clock), so slow steps show.
log() {
	local up rest
	read -r up rest </proc/uptime
	echo "[$CASE/$PHASE ${up}s] $*"
}

# fail MSG...: end the case with a failure.
fail() {
	echo "FAIL: $*"
	exit 1
}

# expect_fail CMD...: CMD must fail (its output is shown).
expect_fail() {
	if "$@"; then
		fail "command succeeded but should have failed: $*"
	fi
	return 0
}

# realcmp ARGS...: diffutils cmp (-i SKIP1:SKIP2, -n LIMIT, -l, -b).
realcmp() {
	/usr/bin/cmp "$@"
}
cmp() { /usr/bin/cmp "$@"; }

# blocks_equal DEV1 DEV2 [BYTES]: 0 if the first BYTES bytes (default: the
# smaller size) of the two block devices are identical; cmp reports the first
# difference.  Drops both devices' page cache first so that data written
# through a device stacked above them is seen.
blocks_equal() {
	local a=$1 b=$2 n=${3:-} sa sb
	blockdev --flushbufs "$a" 2>/dev/null
	blockdev --flushbufs "$b" 2>/dev/null
	if [ -z "$n" ]; then
		sa=$(blockdev --getsize64 "$a") || return 2
		sb=$(blockdev --getsize64 "$b") || return 2
		n=$sa
		[ "$sb" -lt "$n" ] && n=$sb
	fi
	/usr/bin/cmp -n "$n" "$a" "$b"
}

# pmem_is_fsdax: /dev/pmem0 exists and is DAX-capable.
pmem_is_fsdax() {
	[ -b /dev/pmem0 ] || return 1
	[ "$(cat /sys/block/pmem0/queue/dax 2>/dev/null)" = 1 ] && return 0
	ndctl list -n "$PMEM_NS" 2>/dev/null | grep -q '"mode":"fsdax"'
}

# setup_pmem: make $PMEM_NS an fsdax namespace (/dev/pmem0 with DAX).  The
# emulated NVDIMM is a host file, so from the second phase on it already is.
setup_pmem() {
	local i=0
	pmem_is_fsdax && return 0
	ndctl create-namespace -f -e "$PMEM_NS" --mode=fsdax --map=mem >/dev/null ||
		fail "ndctl create-namespace -e $PMEM_NS --mode=fsdax failed"
	while ! pmem_is_fsdax; do
		[ $i -ge 50 ] && fail "/dev/pmem0 not DAX-capable after create-namespace"
		sleep 0.1
		i=$((i + 1))
	done
}
