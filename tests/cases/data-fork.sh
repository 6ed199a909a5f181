#!/bin/sh
# Data written through a forkmirror device lands on primary and backup:
# both compare byte for byte with the device, for raw random I/O (fio with
# verification), a filesystem, and a target that starts inside its table.
#@ timeout: 420
#@ disk-mib: 128
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
fm_wipe "$T"
S=$(sectors "$P")
dmsetup create fm --table "0 $S forkmirror $P $B $T data 1024" || fail "create failed"
D=/dev/mapper/fm
# Less data on the slow debug kernel; the same paths.
if [ "$KERNEL_LABEL" = debug ]; then
	rnd=4M mixed=8M ovl_jobs=4 ovl_io=1M files=/bin
else
	rnd=32M mixed=64M ovl_jobs=8 ovl_io=2M files="/bin /lib"
fi

log "fio random writes with verification"
fio --name=fork --filename=$D --direct=1 --ioengine=psync --rw=randwrite \
	--bs=4k --size=$rnd --numjobs=1 --verify=crc32c --do_verify=1 \
	--randrepeat=0 --output-format=terse >/tmp/fio.out ||
	{ cat /tmp/fio.out; fail "fio with verification failed"; }
log "fio mixed sizes, queue depth 16"
fio --name=mixed --filename=$D --direct=1 --ioengine=libaio --iodepth=16 \
	--rw=randwrite --bsrange=512-128k --offset=32M --size=$mixed \
	--randrepeat=0 --output-format=terse >/tmp/fio.out ||
	{ cat /tmp/fio.out; fail "fio mixed writes failed"; }

blocks_equal $D "$P" || fail "device and primary differ"
blocks_equal "$P" "$B" || fail "primary and backup differ after raw writes"

log "ext4 through the device"
mke2fs -q -t ext4 -F $D || fail "mke2fs failed"
mkdir -p /mnt/fm && mount -t ext4 $D /mnt/fm || fail "mount failed"
cp -a $files /mnt/fm/ 2>/dev/null || fail "copy into the filesystem failed"
sync
umount /mnt/fm || fail "umount failed"
dmsetup suspend fm && dmsetup resume fm || fail "suspend/resume failed"
blocks_equal "$P" "$B" || fail "primary and backup differ after ext4"

st=$(dmsetup status fm)
echo "$st" | grep -qE ' in_sync 0/[0-9]+ 0/0 0 0 0 - 0$' || fail "unexpected status: $st"
dmsetup remove fm || fail "remove failed"

# Overlapping writes in flight together (BRIEF.md, design rules) are kept
# apart: the second waits until the first completed on both devices.
# Seen in time with a backup delayed by 3 s: two writes sharing a region
# take two delays, two writes in different regions one (plus the time dd
# takes to start, up to a second or more on the debug kernel).
log "overlapping writes are serialised, others are not"
modprobe dm-delay || fail "modprobe dm-delay failed"
fm_wipe "$P" "$B"
dmsetup create bkd --table "0 $S delay $B 0 3000" || fail "dm-delay refused"
dmsetup create fmo --table "0 $S forkmirror $P /dev/mapper/bkd $T overlap 8" ||
	fail "create fmo failed"
dd if=/dev/urandom of=/tmp/w8k bs=8k count=1 2>/dev/null
# pair SEEK1 SEEK2 (in 4 KiB blocks): centiseconds two concurrent writes
# (4 KiB at SEEK1, 8 KiB at SEEK2) take together.
pair() {
	local t0 t1
	t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
	dd if=/tmp/w8k of=/dev/mapper/fmo bs=4k count=1 seek="$1" oflag=direct \
		conv=notrunc 2>/dev/null &
	dd if=/tmp/w8k of=/dev/mapper/fmo bs=8k count=1 seek="$2" oflag=direct \
		conv=notrunc 2>/dev/null &
	wait
	t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
	echo $((t1 - t0))
}
t=$(pair 11 5)		# blocks 11 and 10-11: region 11 shared
log "overlapping pair: $t cs"
[ "$t" -ge 600 ] || fail "overlapping writes ran together ($t cs for two 3 s forks)"
t=$(pair 40 100)	# blocks 40 and 200-201
log "separate pair: $t cs"
[ "$t" -lt 590 ] || fail "writes to separate regions were serialised ($t cs)"
dmsetup remove fmo || fail "remove fmo failed"
# Overlap is judged by 64 KiB lock units, not by regions: in 1 MiB
# regions, writes to different units of one region go together.
dmsetup create fmo --table "0 $S forkmirror $P /dev/mapper/bkd $T overlapu 2048" ||
	fail "create fmo (1 MiB regions) failed"
t=$(pair 11 5)		# blocks 11 and 10-11: unit 0 shared
log "overlapping pair, 1 MiB regions: $t cs"
[ "$t" -ge 600 ] || fail "overlapping writes in 1 MiB regions ran together ($t cs)"
t=$(pair 3 100)		# blocks 3 and 200-201: units 0 and 12 of region 0
log "same region, separate units: $t cs"
[ "$t" -lt 590 ] || fail "writes to separate units of a region were serialised ($t cs)"
dmsetup remove fmo || fail "remove fmo failed"
dmsetup remove bkd

# The same under load: jobs at queue depth 16 rewrite 64 KiB with 4-16 KiB
# writes of random data, the backup delayed a little so that completions
# come in bursts; both devices end identical. (Without the serialisation
# this differed in one run of three.)
log "concurrent overlapping O_DIRECT writes under load"
dmsetup create bkd --table "0 $S delay $B 0 1" || fail "dm-delay refused"
dmsetup create fmo --table "0 $S forkmirror $P /dev/mapper/bkd $T overlap 8" ||
	fail "create fmo failed"
# ovl_fio SIZE: the jobs rewrite the first SIZE of fmo.
ovl_fio() {
	fio --name=overlap --filename=/dev/mapper/fmo --direct=1 --ioengine=libaio \
		--iodepth=16 --numjobs=$ovl_jobs --rw=randwrite --bsrange=4k-16k \
		--size="$1" --io_size=$ovl_io --randrepeat=0 --refill_buffers \
		--group_reporting --output-format=terse >/tmp/fio.out ||
		{ cat /tmp/fio.out; fail "fio overlapping writes over $1 failed"; }
}
ovl_fio 64k
st=$(dmsetup status fmo)
echo "$st" | grep -qE '^0 [0-9]+ forkmirror in_sync [0-9]+/' || fail "fmo: status $st"
# The intent marks of the writes go within the window (5 s by default).
t=$(wait_no_marks fmo 6) || fail "fmo: marks not cleared within 6 s"
log "intent marks cleared $t/10 s after the writes"
dmsetup remove fmo || fail "remove fmo failed"
blocks_equal "$P" "$B" 1048576 ||
	fail "primary and backup differ after overlapping writes"
# Again in one 1 MiB region of four 64 KiB lock units, in parallel mode:
# forks into one region go together unless they share a unit.
dmsetup create fmo --table "0 $S forkmirror $P /dev/mapper/bkd $T overlapu 2048 2 fork_mode parallel" ||
	fail "create fmo (1 MiB regions, parallel) failed"
ovl_fio 256k
t=$(wait_no_marks fmo 6) || fail "fmo (1 MiB regions): marks not cleared within 6 s"
dmsetup remove fmo || fail "remove fmo failed"
dmsetup remove bkd
blocks_equal "$P" "$B" 1048576 ||
	fail "primary and backup differ after overlapping writes in 1 MiB regions"

log "forkmirror as the second target of a table (offset remapping)"
fm_wipe "$P" "$B"
half=$((S / 2))
printf '0 2048 zero\n2048 %s forkmirror %s %s %s off 8\n' "$half" "$P" "$B" "$T" |
	dmsetup create fmoff || fail "two-target table refused"
dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 2>/dev/null
dd if=/tmp/pattern of=/dev/mapper/fmoff bs=1M seek=1 oflag=direct conv=notrunc 2>/dev/null ||
	fail "write through the offset table failed"
# Device byte 1 MiB is target sector 0: the pattern starts at sector 0 of
# both legs.
same_as /tmp/pattern "$P" || fail "primary: pattern not at the remapped offset"
same_as /tmp/pattern "$B" || fail "backup: pattern not at the remapped offset"
fm_unload
