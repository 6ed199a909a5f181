#!/bin/sh
# Power loss (BRIEF.md, invariants 1, 2 and 4): devices that forget
# writes not yet flushed. Primary, backup and a block-device tracker store
# each sit on dm-log-writes, which logs a write only once a flush (or its
# FUA) made it durable. While fio writes through forkmirror (online with
# a 1 s intent window, so that marks are also cleared during the run;
# then parallel; then tracking after the offline message), cut points are
# taken: the three log-writes devices are suspended together (nothing in
# flight, nothing completing), each log gets the same mark, the hash of
# every sector of the three devices beneath is taken (what each holds
# with its unflushed writes), and they are resumed. Then each cut is
# replayed (fm-replay) into fresh images: what the three devices would
# hold after a power loss at that instant, first with every unflushed
# write lost, then with some of them kept, sector by sector (each device
# keeping all, none, or a random half of its unflushed sectors, in a
# combination that changes from cut to cut: a cache may write back any
# part of itself before the power goes). On each replayed set the table loads,
# and every region where primary and backup differ must be marked
# (fm-regcheck).
#@ timeout: 1800
#@ disk-mib: 512
#@ mem-mib: 1024
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
modprobe dm-log-writes || fail "modprobe dm-log-writes failed"
modprobe loop 2>/dev/null
DS=$((32 * 2048))	# data devices: 32 MiB
MS=$((48 * 2048))	# store: 48 MiB (4096 slot headers take 32)
MIB=1048576

# The devices are fresh (all zero), as the replay assumes.
dmsetup create pd --table "0 $DS linear $PRIMARY 0" || fail "pd"
dmsetup create bd --table "0 $DS linear $BACKUP 0" || fail "bd"
dmsetup create md --table "0 $MS linear $META 0" || fail "md"
dmsetup create logp --table "0 $((180 * 2048)) linear $SPARE 0" || fail "logp"
dmsetup create logb --table "0 $((180 * 2048)) linear $SPARE $((180 * 2048))" || fail "logb"
dmsetup create logm --table "0 $((152 * 2048)) linear $SPARE $((360 * 2048))" || fail "logm"
for d in p b m; do
	dd if=/dev/zero of=/dev/mapper/log$d bs=4k count=1 oflag=direct 2>/dev/null
done
for d in p b m; do
	sz=$DS
	[ $d = m ] && sz=$MS
	dmsetup create lw$d --table "0 $sz log-writes /dev/mapper/${d}d /dev/mapper/log$d" ||
		fail "log-writes over ${d}d refused"
done

# table MODE: forkmirror over the log-writes devices.
table() {
	echo "0 $DS forkmirror /dev/mapper/lwp /dev/mapper/lwb /dev/mapper/lwm pl 8 $*"
}

CUTS=0
mkdir -p /tmp/cut
# cut: a consistent cut point over the three logs.
cut() {
	CUTS=$((CUTS + 1))
	for d in m b p; do
		dmsetup suspend --noflush lw$d || fail "suspend lw$d"
	done
	for d in m b p; do
		dmsetup message lw$d 0 mark cut$CUTS || fail "mark lw$d"
	done
	fm-replay --hash /dev/mapper/pd $((DS * 512)) /tmp/cut/p$CUTS &&
		fm-replay --hash /dev/mapper/bd $((DS * 512)) /tmp/cut/b$CUTS &&
		fm-replay --hash /dev/mapper/md $((MS * 512)) /tmp/cut/m$CUTS ||
		fail "cannot hash the devices at cut$CUTS"
	for d in p b m; do
		dmsetup resume lw$d || fail "resume lw$d"
	done
}

# load SECONDS: fio 4 KiB random writes (a flush every 64) with cuts
# every half second.
load() {
	fio --name=w --filename=/dev/mapper/fm --direct=1 --ioengine=libaio \
		--iodepth=8 --rw=randwrite --bs=4k --size=32M --time_based \
		--runtime="$1" --fsync=64 --rate_iops=1500 --randrepeat=0 \
		--output-format=terse \
		>/tmp/fio.out 2>&1 &
	fpid=$!
	sleep 0.5
	while kill -0 $fpid 2>/dev/null; do
		cut
		sleep 0.4
	done
	wait $fpid || { cat /tmp/fio.out; fail "fio failed"; }
}

log "online serial (intent_window 1000), then parallel, then tracking"
dmsetup create fm --table "$(table 2 intent_window 1000)" || fail "create failed"
load 4
dmsetup reload fm --table "$(table 4 intent_window 1000 fork_mode parallel)" ||
	fail "reload parallel failed"
dmsetup resume fm || fail "resume failed"
cut
load 3
dmsetup message fm 0 offline || fail "offline refused"
cut
load 3
dmsetup remove fm || fail "remove failed"
cut
# A full log device stops logging: the cuts after it would be wrong.
dmesg | grep -q "Ran out of space on the logdev" &&
	fail "a log device ran out of space: the test's load is too large"
for d in p b m; do
	dmsetup remove lw$d || fail "remove lw$d"
done
log "$CUTS cut points; replaying each"

mkdir -p /tmp/rp
mount -t tmpfs -o size=160m tmpfs /tmp/rp || fail "tmpfs"
# check K WHAT [P B M]: replay cut K, every device's unflushed writes
# lost (no policies) or kept by the policies P, B, M (fm-replay), and
# check that every region where the replayed devices differ is marked.
check() {
	local k=$1 what=$2 pp bp mp
	shift 2
	pp= bp= mp=
	[ $# = 3 ] && pp="/tmp/cut/p$k $1 $((k * 3))" &&
		bp="/tmp/cut/b$k $2 $((k * 3 + 1))" && mp="/tmp/cut/m$k $3 $((k * 3 + 2))"
	# shellcheck disable=SC2086
	fm-replay /dev/mapper/logp cut$k /tmp/rp/p $((DS * 512)) $pp >/tmp/rp.p ||
		fail "replay p cut$k ($what)"
	# shellcheck disable=SC2086
	fm-replay /dev/mapper/logb cut$k /tmp/rp/b $((DS * 512)) $bp >/tmp/rp.b ||
		fail "replay b cut$k ($what)"
	# shellcheck disable=SC2086
	fm-replay /dev/mapper/logm cut$k /tmp/rp/m $((MS * 512)) $mp >/tmp/rp.m ||
		fail "replay m cut$k ($what)"
	lp=$(losetup -f --show /tmp/rp/p) && lb=$(losetup -f --show /tmp/rp/b) &&
		lm=$(losetup -f --show /tmp/rp/m) || fail "losetup failed"
	if [ "$(od -An -N8 -tx1 /tmp/rp/m | tr -d ' ')" = 0000000000000000 ]; then
		# Nothing of the store durable yet: the table would format it.
		log "cut$k ($what): store not yet durable"
	fi
	dmsetup create chk --table "0 $DS forkmirror $lp $lb $lm pl 8 1 no_auto_resync" ||
		fail "cut$k ($what): the replayed store is refused"
	SYS=/sys/fs/forkmirror/$(devnum "$lm")
	out=$(fm-regcheck "$lp" "$lb" "$SYS/volumes/pl/log") ||
		fail "cut$k ($what): a differing region is not marked: $out"
	res=$(echo "$out" | tail -1)
	[ "$(echo "$res" | awk '{ print $4 }')" -gt 0 ] && differed=$((differed + 1))
	log "POWERLOSS cut$k $what: $res; p: $(cat /tmp/rp.p); b: $(cat /tmp/rp.b); m: $(cat /tmp/rp.m)"
	grep -q "survived [1-9]" /tmp/rp.p /tmp/rp.b /tmp/rp.m && survived=$((survived + 1))
	dmsetup remove chk || fail "remove chk"
	losetup -d "$lp" "$lb" "$lm" 2>/dev/null || { losetup -d "$lp"; losetup -d "$lb"; losetup -d "$lm"; }
	checks=$((checks + 1))
}

# The survival combinations (primary, backup, store), one a cut in turn
# besides the loss of every unflushed write.
set -- "random random random" "all none none" "none all none" "all all none" \
	"random random all" "none none all" "all all all"
ncombo=$#
k=1
differed=0
survived=0
checks=0
while [ $k -le $CUTS ]; do
	check $k lost
	combo=$(eval echo "\${$(( (k - 1) % ncombo + 1 ))}")
	# shellcheck disable=SC2086
	check $k "$(echo $combo | tr ' ' /)" $combo
	k=$((k + 1))
done
umount /tmp/rp
# Devices that differ at some cut: otherwise the check proved nothing.
[ "$differed" -gt 0 ] || fail "primary and backup never differed at a cut"
# Unflushed sectors kept at some check: otherwise the model was not tried.
[ "$survived" -gt 0 ] || fail "no replay kept an unflushed sector"
log "$CUTS cut points, $checks replayed sets: $differed had regions that differ, $survived kept unflushed sectors"
fm_unload
log "ok"
