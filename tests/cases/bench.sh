#!/bin/sh
# The performance benchmark (`make bench`; not part of `make check`).
# Every figure is a ratio of two fio runs made side by side in this one
# guest, on the same emulated disks: under emulation only ratios mean
# anything. fio: 4 KiB random O_DIRECT writes (libaio) over the first
# 64 MiB, each configuration measured in alternation with its reference,
# ROUNDS times, in one order on odd rounds and the reverse on even ones
# (so that a drift of the host's speed favours no configuration), and
# the IOPS and mean latencies summed over the rounds.
# Prints one "BENCH <name> ..." line per comparison, with its goal (from
# the performance issue); it fails only if a run fails. Last, the same
# configurations on null_blk devices give the CPU cost of each write path
# alone ("path_" lines, no goal). Two more rows say how far apart two
# runs of one configuration come out here (linear against linear: the
# spread a ratio near its goal must be read with), and what two writes
# issued together to the two bare disks cost (the floor any parallel
# mirror meets on this host: the emulator serves them partly one after
# the other). The "delayed_" rows measure the QD1 paths again with the
# legs behind dm-delay, a device latency far above the CPU's cost.
# Each BENCH line also gives the ratio's mean over the rounds, each round's
# ratio taken from its two runs side by side, with a 95 % confidence
# interval (Student's t) and whether the goal is met, missed or inside
# the interval. The kernel command line may set fm.rounds=N (default 6)
# and fm.bench=SECTIONS, a comma-separated subset of
# tracking,qd1,qd32,delay,path (default all): `make bench-long` runs many
# rounds of the goal rows.
#@ kernels: bench
#@ timeout: 2400
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

RT=6		# seconds measured per run (after 2 s of ramp)
ROUNDS=6
SECTIONS=tracking,qd1,qd32,delay,path
REG=128		# 64 KiB regions
for arg in $(cat /proc/cmdline); do
	case $arg in
	fm.rounds=*) ROUNDS=${arg#fm.rounds=} ;;
	fm.bench=*) SECTIONS=${arg#fm.bench=} ;;
	esac
done
case $ROUNDS in
''|*[!0-9]*) fail "fm.rounds=$ROUNDS: not a number of rounds" ;;
esac
[ "$ROUNDS" -ge 2 ] || fail "fm.rounds=$ROUNDS: at least 2 rounds are needed for an interval"
for sec in $(echo "$SECTIONS" | tr , ' '); do
	case $sec in
	tracking|qd1|qd32|delay|path) ;;
	*) fail "fm.bench: unknown section '$sec' (tracking, qd1, qd32, delay, path)" ;;
	esac
done
# section NAME: whether fm.bench selects NAME.
section() {
	case ",$SECTIONS," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}
log "$ROUNDS rounds of sections $SECTIONS"

fm_load
modprobe raid1 || fail "modprobe raid1 failed"
setup_pmem
P=$PRIMARY B=$BACKUP M=$META
S=$(sectors "$P")

# The disks are sparse files on the host: the first write to a block costs
# the host an allocation. Write the measured area once first, so that no
# configuration pays for the allocations of those measured after it.
for d in "$P" "$B" "$M"; do
	dd if=/dev/zero of="$d" bs=1M count=64 oflag=direct 2>/dev/null ||
		fail "cannot prefill $d"
done

# fio_run DEV QD [FIO_OPTION...]: "IOPS MEAN_LATENCY_USEC" of one run.
fio_run() {
	local dev=$1 qd=$2
	shift 2
	fio --name=bench --filename="$dev" --direct=1 --ioengine=libaio \
		--iodepth="$qd" --rw=randwrite --bs=4k --size=64M --norandommap \
		--randrepeat=0 --time_based --runtime=$RT --ramp_time=2 "$@" \
		--output-format=terse >/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out; fail "fio on $dev failed"; }
	awk -F';' '{ printf "%d %.1f\n", $49, $81 }' /tmp/fio.out
}

# fresh: every device blank, nothing on top of them.
fresh() {
	for d in fm lin lb; do
		dmsetup remove "$d" 2>/dev/null
	done
	[ -b /dev/md0 ] && mdadm --stop /dev/md0 >/dev/null 2>&1
	mdadm --zero-superblock "$P" "$B" >/dev/null 2>&1
	fm_wipe "$M"
	dd if=/dev/zero of=/dev/pmem0 bs=1M count=8 2>/dev/null
}

# fm_table STORE NAME [FEATURES...]: a forkmirror line over $P and $B.
fm_table() {
	local store=$1 name=$2
	shift 2
	if [ $# -gt 0 ]; then
		echo "0 $S forkmirror $P $B $store $name $REG $# $*"
	else
		echo "0 $S forkmirror $P $B $store $name $REG"
	fi
}

# Each round's figures, one line per round, in /tmp/runs/<label>.iops and
# .lat; get FIELD LABEL gives their sum over the rounds.
mkdir -p /tmp/runs
add() {
	echo "$2" >>"/tmp/runs/$1.iops"
	echo "$3" >>"/tmp/runs/$1.lat"
}
# forget LABEL...: drop the figures of LABELs (measured again after).
forget() {
	for l in "$@"; do
		rm -f "/tmp/runs/$l.iops" "/tmp/runs/$l.lat"
	done
}
get() { awk '{ s += $1 } END { printf s == int(s) ? "%d\n" : "%.1f\n", s }' "/tmp/runs/$2.$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }

# perround EXPR FIELD GOAL LABEL...: the mean over the rounds of EXPR,
# an awk expression of $1, $2, ... (the FIELD, iops or lat, of each LABEL
# in that round), with the half-width of its 95 % confidence interval
# and, for a goal of the form "<= X", "< X" or ">= X", whether the whole
# interval meets it ("met"), misses it ("missed") or holds X ("inside
# the spread").
perround() {
	local expr=$1 field=$2 goal=$3 files= l
	shift 3
	for l in "$@"; do
		files="$files /tmp/runs/$l.$field"
	done
	# shellcheck disable=SC2086 # one file name per label
	paste -d ' ' $files | awk -v goal="$goal" '
	# Newton square root: the guest busybox awk has no math library.
	function root(v,   r, i) {
		if (v <= 0)
			return 0
		r = v > 1 ? v : 1
		for (i = 0; i < 60; i++)
			r = (r + v / r) / 2
		return r
	}
	{ x = '"$expr"'; s += x; ss += x * x; n++ }
	END {
		# Student t, 97.5 % quantile, by degrees of freedom.
		split("12.71 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 " \
		      "2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086 " \
		      "2.080 2.074 2.069 2.064 2.060 2.056 2.052 2.048 2.045 2.042", t)
		m = s / n
		v = n > 1 ? (ss - n * m * m) / (n - 1) : 0
		h = (n > 1 ? (n - 1 <= 30 ? t[n - 1] : 1.96) : 0) * root(v / n)
		verdict = ""
		if (split(goal, g, " ") == 2 && g[2] + 0 > 0) {
			if (g[1] == ">=" || g[1] == ">")
				verdict = m - h >= g[2] ? "met" : m + h < g[2] ? "missed" : "inside the spread"
			else if (g[1] == "<=" || g[1] == "<")
				verdict = m + h <= g[2] ? "met" : m - h > g[2] ? "missed" : "inside the spread"
		}
		printf "per round %.3f +/- %.3f (95 %%, %d rounds)%s", m, h, n,
			verdict == "" ? "" : ": " verdict
	}'
}

report() {	# NAME VALUE GOAL DETAIL [PERROUND]
	echo "BENCH $1 $2 (goal $3) $4${5:+; $5}"
}

# iops_vs NAME A B GOAL [NOTE]: the row of label A's IOPS against B's.
iops_vs() {
	report "$1" "$(ratio "$(get iops "$2")" "$(get iops "$3")")" "$4" \
		"iops $(get iops "$2") vs $(get iops "$3")${5:+ ($5)}" \
		"$(perround '$1 / $2' iops "$4" "$2" "$3")"
}

# rounds F...: ROUNDS rounds of the functions F, forwards on odd rounds
# and backwards on even ones.
rounds() {
	local r f order
	for r in $(seq $ROUNDS); do
		order="$*"
		if [ $((r % 2)) = 0 ]; then
			order=
			for f in "$@"; do
				order="$f $order"
			done
		fi
		for f in $order; do
			$f
			fresh
		done
	done
}

# linear LABEL DEV QD: fio on a dm-linear device over DEV.
linear() {
	dmsetup create lin --table "0 $S linear $2 0" || fail "linear failed"
	set -- "$1" $(fio_run /dev/mapper/lin "$3"); add "$1" "$2" "$3"
	dmsetup remove lin
}
lin32() { linear lin32 "$P" 32; }
# The same again, for the spread of one configuration's runs.
linb32() { linear linb32 "$P" 32; }
trkpmem32() {
	dmsetup create fm --table "$(fm_table /dev/pmem0 bp start_offline)" ||
		fail "forkmirror on pmem failed"
	set -- $(fio_run /dev/mapper/fm 32); add trkpmem32 "$1" "$2"
	[ "$(status_field fm 1)" = tracking ] || fail "not tracking: $(dmsetup status fm)"
	dmsetup remove fm
}
trkblk32() {
	dmsetup create fm --table "$(fm_table "$M" bb start_offline)" ||
		fail "forkmirror on a block store failed"
	set -- $(fio_run /dev/mapper/fm 32); add trkblk32 "$1" "$2"
	dmsetup remove fm
}

if section tracking; then
	log "tracking mode, QD32: forkmirror (backup offline) vs dm-linear on the primary"
	fresh
	rounds lin32 trkpmem32 trkblk32 linb32
	iops_vs linear_vs_linear_qd32 linb32 lin32 \
		"none: the spread of two runs of one configuration"
	# Against both linear runs, which bracket forkmirror's in every round.
	linmean=$((($(get iops lin32) + $(get iops linb32)) / 2))
	report tracking_qd32_pmem_vs_linear "$(ratio "$(get iops trkpmem32)" $linmean)" \
		">= 0.97" "iops $(get iops trkpmem32) vs $linmean (mean of the two linear runs)" \
		"$(perround '2 * $1 / ($2 + $3)' iops ">= 0.97" trkpmem32 lin32 linb32)"
	report tracking_qd32_blockstore_vs_linear "$(ratio "$(get iops trkblk32)" $linmean)" \
		">= 0.97" "iops $(get iops trkblk32) vs $linmean" \
		"$(perround '2 * $1 / ($2 + $3)' iops ">= 0.97" trkblk32 lin32 linb32)"
fi

p1() { linear p1 "$P" 1; }
b1() { linear b1 "$B" 1; }
# Both disks written by fio two at a time, one write to each, issued
# together and both waited for (pairs per second: IOPS / 2).
pair() {
	dmsetup create lin --table "0 $S linear $P 0" || fail "linear failed"
	dmsetup create lb --table "0 $S linear $B 0" || fail "linear failed"
	set -- $(fio_run /dev/mapper/lin:/dev/mapper/lb 2 --file_service_type=roundrobin \
		--iodepth_batch_submit=2 --iodepth_batch_complete_min=2)
	add pair "$1" "$2"
	dmsetup remove lin
	dmsetup remove lb
}
ser1() {
	dmsetup create fm --table "$(fm_table /dev/pmem0 on)" || fail "forkmirror failed"
	set -- $(fio_run /dev/mapper/fm 1); add ser1 "$1" "$2"
	[ "$(status_field fm 1)" = in_sync ] || fail "not in_sync: $(dmsetup status fm)"
	dmsetup remove fm
}
par1() {
	dmsetup create fm --table "$(fm_table /dev/pmem0 on fork_mode parallel)" ||
		fail "forkmirror parallel failed"
	set -- $(fio_run /dev/mapper/fm 1); add par1 "$1" "$2"
	dmsetup remove fm
}
# md_create [CHUNK]: md raid1 over $P and $B with an internal bitmap, of
# mdadm's default chunk (64 MiB here: the whole measured area is one bit,
# never cleared while fio runs) or of CHUNK (64K: forkmirror's region
# size here, the same granularity of dirty tracking).
md_create() {
	mdadm --create /dev/md0 --level=1 --raid-devices=2 --bitmap=internal \
		${1:+--bitmap-chunk=$1} --assume-clean --metadata=1.2 --run \
		"$P" "$B" >/dev/null 2>&1 || fail "mdadm --create failed"
}
md1() {
	md_create
	set -- $(fio_run /dev/md0 1); add md1 "$1" "$2"
}
mdr1() {
	md_create 64K
	set -- $(fio_run /dev/md0 1); add mdr1 "$1" "$2"
}

if section qd1; then
	log "online serial, QD1: latency vs the primary's plus the backup's alone"
	rounds p1 b1 ser1 par1 md1 mdr1 pair
	sum=$(awk -v a="$(get lat p1)" -v b="$(get lat b1)" 'BEGIN { print a + b }')
	max=$(awk -v a="$(get lat p1)" -v b="$(get lat b1)" 'BEGIN { print (a > b) ? a : b }')
	report serial_qd1_latency_vs_sum "$(ratio "$(get lat ser1)" "$sum")" "<= 1.05" \
		"mean lat $(get lat ser1) us vs $(get lat p1) + $(get lat b1) us (sums over $ROUNDS rounds)" \
		"$(perround '$1 / ($2 + $3)' lat "<= 1.05" ser1 p1 b1)"
	report parallel_qd1_latency_vs_max "$(ratio "$(get lat par1)" "$max")" "<= 1.10" \
		"mean lat $(get lat par1) us vs $max us" \
		"$(perround '$1 / ($2 > $3 ? $2 : $3)' lat "<= 1.10" par1 p1 b1)"
	g="none: the floor here"
	report parallel_qd1_time_per_write_vs_both_disks_at_once \
		"$(ratio "$(get iops pair)" "$(($(get iops par1) * 2))")" "$g" \
		"iops $(get iops par1) vs $(get iops pair) / 2 (pairs of writes issued together)" \
		"$(perround '$1 / (2 * $2)' iops "$g" pair par1)"
	report parallel_qd1_latency_vs_md_raid1 "$(ratio "$(get lat par1)" "$(get lat md1)")" "< 1" \
		"mean lat $(get lat par1) us vs $(get lat md1) us" \
		"$(perround '$1 / $2' lat "< 1" par1 md1)"
	report parallel_qd1_latency_vs_md_raid1_64k_bitmap "$(ratio "$(get lat par1)" "$(get lat mdr1)")" "< 1" \
		"mean lat $(get lat par1) us vs $(get lat mdr1) us (md bitmap chunk = region size)" \
		"$(perround '$1 / $2' lat "< 1" par1 mdr1)"
fi

md32() {
	md_create
	set -- $(fio_run /dev/md0 32); add md32 "$1" "$2"
}
mdr32() {
	md_create 64K
	set -- $(fio_run /dev/md0 32); add mdr32 "$1" "$2"
}
on32() {
	dmsetup create fm --table "$(fm_table /dev/pmem0 on)" || fail "forkmirror failed"
	set -- $(fio_run /dev/mapper/fm 32); add on32 "$1" "$2"
	dmsetup remove fm
}
par32() {
	dmsetup create fm --table "$(fm_table /dev/pmem0 on fork_mode parallel)" ||
		fail "forkmirror parallel failed"
	set -- $(fio_run /dev/mapper/fm 32); add par32 "$1" "$2"
	dmsetup remove fm
}
nil32() {
	dmsetup create fm --table "$(fm_table /dev/pmem0 on no_intent_log)" ||
		fail "forkmirror no_intent_log failed"
	set -- $(fio_run /dev/mapper/fm 32); add nil32 "$1" "$2"
	dmsetup remove fm
}

if section qd32; then
	log "online, QD32: IOPS vs md raid1 with an internal bitmap"
	rounds md32 on32 par32 nil32 mdr32
	iops_vs online_qd32_vs_md_raid1 on32 md32 ">= 1.0"
	iops_vs online_parallel_qd32_vs_md_raid1 par32 md32 ">= 1.0"
	iops_vs online_parallel_qd32_vs_md_raid1_64k_bitmap par32 mdr32 ">= 1.0" \
		"md bitmap chunk = region size"
	iops_vs intent_vs_no_intent_log_qd32 on32 nil32 ">= 0.98" "serial, pmem store"
fi

# The QD1 rows again with the legs behind dm-delay: the primary 4 ms, the
# backup 8 ms as set (one and two ticks of the stock kernel's 250 Hz; fio
# sees about 9 and 13 ms in the emulated guest, its timers late). The
# emulated disks answer in far less time than the guest's CPU spends on
# a write, so above the fork's cost is mostly CPU; here the devices'
# latency dominates as on real disks, and the rows show how many device
# round trips each write path takes: the serial fork the sum of the two
# legs, the parallel fork the larger, md raid1 the larger.
if section delay; then
	log "QD1 with the legs delayed (primary 4 ms, backup 8 ms): latency vs the legs alone"
	fresh
	modprobe dm-delay || fail "modprobe dm-delay failed"
	dmsetup create pd --table "0 $S delay $P 0 4" || fail "dm-delay over $P refused"
	dmsetup create bd --table "0 $S delay $B 0 8" || fail "dm-delay over $B refused"
	realP=$P realB=$B
	P=/dev/mapper/pd B=/dev/mapper/bd
	forget p1 b1 ser1 par1 md1
	rounds p1 b1 ser1 par1 md1
	sum=$(awk -v a="$(get lat p1)" -v b="$(get lat b1)" 'BEGIN { print a + b }')
	report delayed_serial_qd1_latency_vs_sum "$(ratio "$(get lat ser1)" "$sum")" "<= 1.05" \
		"mean lat $(get lat ser1) us vs $(get lat p1) + $(get lat b1) us" \
		"$(perround '$1 / ($2 + $3)' lat "<= 1.05" ser1 p1 b1)"
	report delayed_parallel_qd1_latency_vs_max "$(ratio "$(get lat par1)" "$(get lat b1)")" \
		"<= 1.10" "mean lat $(get lat par1) us vs $(get lat b1) us (the backup, the slower leg)" \
		"$(perround '$1 / ($2 > $3 ? $2 : $3)' lat "<= 1.10" par1 p1 b1)"
	report delayed_parallel_qd1_latency_vs_md_raid1 "$(ratio "$(get lat par1)" "$(get lat md1)")" \
		"< 1" "mean lat $(get lat par1) us vs $(get lat md1) us" \
		"$(perround '$1 / $2' lat "< 1" par1 md1)"
	fresh
	dmsetup remove pd && dmsetup remove bd || fail "cannot remove the dm-delay devices"
	P=$realP B=$realB
fi

# The same configurations on null_blk devices (memory, completing at
# once): no emulated device in the way, so the IOPS ratios are those of
# the CPU cost of the write paths alone.
if section path; then
	log "write path cost, QD32 on null_blk: forkmirror vs dm-linear and md raid1"
	fresh
	modprobe null_blk nr_devices=2 gb=1 memory_backed=1 bs=4096 irqmode=0 ||
		fail "modprobe null_blk failed"
	P=/dev/nullb0 B=/dev/nullb1
	S=$(sectors "$P")
	# Its pages are allocated on first write: once, before any measurement.
	for d in "$P" "$B"; do
		dd if=/dev/zero of="$d" bs=1M count=64 oflag=direct 2>/dev/null ||
			fail "cannot prefill $d"
	done
	forget lin32 trkpmem32 on32 par32 nil32 md32 mdr32
	rounds lin32 trkpmem32 on32 par32 nil32 md32 mdr32
	g="none: path cost"
	for l in trkpmem32 on32 par32 nil32 md32 mdr32; do
		iops_vs "path_qd32_${l}_vs_linear" $l lin32 "$g"
	done
	iops_vs path_qd32_parallel_vs_md_raid1 par32 md32 "$g"
	iops_vs path_qd32_intent_vs_no_intent_log on32 nil32 "$g" "serial, pmem store"
	fresh
	rmmod null_blk
fi
fm_unload
