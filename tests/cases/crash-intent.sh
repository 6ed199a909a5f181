#!/bin/sh
# Crash safety (BRIEF.md, invariant 4): the emulator is killed during 4 KiB
# random writes at queue depth 32, in four modes one after the other:
# online serial forks, online parallel forks, tracking (backup offline),
# and no_intent_log. After each kill the guest boots again, reloads the
# table and compares primary and backup region by region (fm-regcheck):
# every region where they differ must be marked. The marked count is
# reported against the queue depth. After the no_intent_log kill, the
# whole volume is marked and status says a full resync is needed. Then a
# resync makes the devices identical (BRIEF.md, invariant 4: reload, let
# the resync finish, backup == primary).
#
# The store is on pmem (DAX) for the first two modes and on a virtio disk
# (the bufio backend) for the last two. Each kill comes 1.5 to 4.5 s after
# the first write completed, at random; `make crash` runs the case many times.
#@ timeout: 240
#@ phases: 5
#@ kill-on-marker: 1 FM-CRASH-KILL-NOW
#@ kill-on-marker: 2 FM-CRASH-KILL-NOW
#@ kill-on-marker: 3 FM-CRASH-KILL-NOW
#@ kill-on-marker: 4 FM-CRASH-KILL-NOW
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

setup_pmem
fm_load
P=$PRIMARY B=$BACKUP
S=$((64 * 2048))
QD=32

# table MODE [FEATURE...]: the volume's table line in MODE, with the
# features of MODE and FEATURE... .
table() {
	m=$1
	shift
	case $m in
	serial) set -- "$@" ;;
	parallel) set -- fork_mode parallel "$@" ;;
	tracking) set -- start_offline "$@" ;;
	nolog) set -- no_intent_log "$@" ;;
	esac
	if [ $# -gt 0 ]; then
		echo "0 $S forkmirror $P $B $(store_of "$m") $m 8 $# $*"
	else
		echo "0 $S forkmirror $P $B $(store_of "$m") $m 8"
	fi
}

# store_of MODE: the store device of MODE's volume.
store_of() {
	case $1 in
	serial | parallel) echo /dev/pmem0 ;;
	*) echo "$META" ;;
	esac
}

# written KNAME: true once block device KNAME completed a write.
written() {
	[ "$(awk '{ print $5 }' "/sys/block/$1/stat")" -gt 0 ]
}

# crash MODE: identical devices, then random writes until the kill.
crash() {
	log "$1: writing until the emulator is killed"
	dd if="$P" of="$B" bs=1M count=64 iflag=direct oflag=direct 2>/dev/null ||
		fail "cannot copy primary to backup"
	dmsetup create fm --table "$(table "$1")" || fail "$1: create failed"
	fio --name=w --filename=/dev/mapper/fm --direct=1 --ioengine=libaio \
		--iodepth=$QD --rw=randwrite --bs=4k --size=64M --time_based \
		--runtime=60 --randrepeat=0 --output-format=terse >/dev/null 2>&1 &
	# Counted from the first completed write: fio can take seconds to
	# start writing on the debug kernel.
	kn=$(dm_kname fm)
	t=$(wait_until 60 written "$kn") || fail "$1: no write completed in 60 s"
	# 1.5 to 4.5 s of writes, at random (printed, to replay a failure).
	ms=$(( 1500 + $(od -An -N2 -tu2 /dev/urandom) % 3000 ))
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	log "$1: status before the kill: $(dmsetup status fm) after $ms ms of writes" \
		"(the first came $t tenths of a second after fio started)"
	echo FM-CRASH-KILL-NOW
	sleep 60
	fail "$1: not killed"
}

# check MODE: after the kill, every differing region is marked; then the
# resync (held back by no_auto_resync while the regions are compared)
# makes the devices identical.
check() {
	t=$(table "$1" no_auto_resync)
	dmsetup create fm --table "$t" ||
		fail "$1: reload after the crash failed ($t)"
	st=$(dmsetup status fm)
	vol=$1
	SYS=/sys/fs/forkmirror/$(devnum "$(store_of "$1")")
	out=$(fm-regcheck "$P" "$B" "$SYS/volumes/$vol/log")
	rc=$?
	echo "$out" | head -20
	[ "$rc" = 0 ] || fail "$1: a region differs and is not marked: $out"
	res=$(echo "$out" | tail -1)
	marked=$(echo "$res" | awk '{ print $6 }')
	log "CRASH $1: $res (queue depth $QD); status: $st"
	case $1 in
	nolog)
		echo "$st" | grep -qE "^0 $S forkmirror tracking $((S / 8))/$((S / 8)) .* 1\$" ||
			fail "nolog: not marked whole with a full resync needed: $st"
		;;
	*)
		[ "$marked" -gt 0 ] || fail "$1: nothing marked after a crash mid-write"
		[ "$(status_field fm 1)" = tracking ] || fail "$1: not tracking: $st"
		;;
	esac
	dmsetup message fm 0 resync || fail "$1: resync refused"
	wait_state fm in_sync 120
	blocks_equal "$P" "$B" $((S * 512)) || fail "$1: primary and backup differ after the resync"
	log "$1: resync done, primary == backup"
	dmsetup remove fm || fail "$1: remove failed"
}

case $PHASE in
1)
	fm_wipe "$META"
	dd if=/dev/zero of=/dev/pmem0 bs=1M count=1 2>/dev/null
	crash serial
	;;
2)
	check serial
	crash parallel
	;;
3)
	check parallel
	crash tracking
	;;
4)
	check tracking
	crash nolog
	;;
5)
	check nolog
	fm_unload
	log "ok"
	;;
esac
