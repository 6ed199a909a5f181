#!/bin/sh
# The resync benchmark (`make bench`; not part of `make check`), ratios of
# runs made side by side in this one guest on the same emulated disks:
#  - resync of a fully dirty volume (full_resync, unthrottled) vs a plain
#    O_DIRECT 1 MiB dd copy of the primary to the backup;
#  - foreground 4 KiB random-write IOPS (fio, QD32) on the forkmirror
#    device while full resyncs run back to back, vs the same without a
#    resync, and vs md raid1's foreground IOPS while it recovers the same
#    disks back to back (a member failed, wiped and added again).
# TP_ROUNDS rounds of the first, ROUNDS of the others, alternated; prints
# "BENCH <name> <ratio> (goal ...)".
#@ kernels: bench
#@ timeout: 2400
#@ disk-mib: 512
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

ROUNDS=3
TP_ROUNDS=6			# the throughput runs are short: more of them
RT=8
REG=128				# 64 KiB regions
MIB=384				# volume size
S=$((MIB * 2048))

fm_load
modprobe raid1 || fail "modprobe raid1 failed"
setup_pmem
P=$PRIMARY B=$BACKUP
for d in "$P" "$B"; do
	dd if=/dev/zero of="$d" bs=1M count=$MIB oflag=direct 2>/dev/null ||
		fail "cannot prefill $d"
done

now() { cut -d' ' -f1 /proc/uptime; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
addf() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
report() { echo "BENCH $1 $2 (goal $3) $4"; }

# fio_iops DEV: IOPS of 4 KiB random writes at QD32 for RT s.
fio_iops() {
	fio --name=fg --filename="$1" --direct=1 --ioengine=libaio --iodepth=32 \
		--rw=randwrite --bs=4k --size=64M --norandommap --randrepeat=0 \
		--time_based --runtime=$RT --ramp_time=1 --output-format=terse \
		>/tmp/fio.out 2>&1 || { cat /tmp/fio.out; fail "fio on $1 failed"; }
	awk -F';' '{ print $49 }' /tmp/fio.out
}

TABLE="0 $S forkmirror $P $B /dev/pmem0 bench $REG 1 no_auto_resync"
fresh_fm() {
	dmsetup remove fm 2>/dev/null
	dd if=/dev/zero of=/dev/pmem0 bs=1M count=8 2>/dev/null
	dmsetup create fm --table "$TABLE" || fail "create failed"
}

dd_s=0 rs_s=0
log "full resync vs dd, $MIB MiB"
for r in $(seq $TP_ROUNDS); do
	t0=$(now)
	dd if="$P" of="$B" bs=1M count=$MIB iflag=direct oflag=direct 2>/dev/null ||
		fail "dd failed"
	t1=$(now)
	dd_s=$(addf "$dd_s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	fresh_fm
	dmsetup message fm 0 full_resync || fail "full_resync refused"
	t0=$(now)
	dmsetup message fm 0 resync || fail "resync refused"
	wait_state_event fm in_sync 600
	t1=$(now)
	rs_s=$(addf "$rs_s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	dmsetup remove fm
done
report resync_vs_dd_throughput "$(ratio "$dd_s" "$rs_s")" ">= 0.90" \
	"$MIB MiB x $TP_ROUNDS: resync $rs_s s, dd $dd_s s"

# resyncs_loop: full resyncs back to back until /tmp/stop exists.
resyncs_loop() {
	while [ ! -e /tmp/stop ]; do
		dmsetup message fm 0 full_resync >/dev/null 2>&1
		dmsetup message fm 0 resync >/dev/null 2>&1
		while [ "$(status_field fm 1)" = resyncing ] && [ ! -e /tmp/stop ]; do
			sleep 0.2
		done
	done
}

# md_loop: recoveries of md0's second member back to back.
md_loop() {
	while [ ! -e /tmp/stop ]; do
		mdadm /dev/md0 --fail "$B" >/dev/null 2>&1
		mdadm /dev/md0 --remove "$B" >/dev/null 2>&1
		mdadm --zero-superblock "$B" >/dev/null 2>&1
		mdadm /dev/md0 --add "$B" >/dev/null 2>&1
		sleep 0.5
		while grep -q recovery /proc/mdstat && [ ! -e /tmp/stop ]; do
			sleep 0.2
		done
	done
}

idle=0 busy=0 md=0
log "foreground IOPS: idle, during resyncs, during md recoveries"
for r in $(seq $ROUNDS); do
	fresh_fm
	idle=$((idle + $(fio_iops /dev/mapper/fm)))
	rm -f /tmp/stop
	resyncs_loop &
	lp=$!
	sleep 0.5
	busy=$((busy + $(fio_iops /dev/mapper/fm)))
	touch /tmp/stop
	wait $lp
	dmsetup message fm 0 pause_resync
	dmsetup remove fm || fail "remove failed"
	mdadm --create /dev/md0 --level=1 --raid-devices=2 --bitmap=internal \
		--assume-clean --metadata=1.2 --run "$P" "$B" >/dev/null 2>&1 ||
		fail "mdadm --create failed"
	rm -f /tmp/stop
	md_loop &
	lp=$!
	sleep 1
	grep -q recovery /proc/mdstat || log "md: no recovery seen at the start"
	md=$((md + $(fio_iops /dev/md0)))
	touch /tmp/stop
	wait $lp
	mdadm --stop /dev/md0 >/dev/null 2>&1
	mdadm --zero-superblock "$P" "$B" >/dev/null 2>&1
done
report fg_iops_during_resync_vs_idle "$(ratio "$busy" "$idle")" "report" \
	"iops $busy vs $idle"
report fg_iops_during_resync_vs_md_recovery "$(ratio "$busy" "$md")" "report" \
	"iops $busy vs md $md"
fm_unload
