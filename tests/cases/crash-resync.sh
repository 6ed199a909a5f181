#!/bin/sh
# Crash mid-resync (BRIEF.md, invariant 4): the regions written while the
# backup was offline are being copied, rate-limited, with fio writing
# through the device at the same time, when the emulator is killed at a
# random instant. The next boot creates the table again: the resync starts
# by itself (no no_auto_resync), from what the store says, and ends with
# primary == backup.
#@ timeout: 300
#@ phases: 2
#@ kill-on-marker: 1 FM-CRASH-KILL-NOW
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
REG=128				# 64 KiB regions
S=$((64 * 2048))		# 64 MiB: 1024 regions
TABLE="0 $S forkmirror $P $B $T cr $REG"

case $PHASE in
1)
	fm_wipe "$P" "$B" "$T"
	dmsetup create fm --table "$TABLE" || fail "create failed"
	dmsetup message fm 0 offline || fail "offline refused"
	dd if=/dev/urandom of=/dev/mapper/fm bs=1M count=48 oflag=direct 2>/dev/null ||
		fail "tracked writes failed"
	[ "$(dirty_of fm)" = 768 ] || fail "not 768 dirty: $(dmsetup status fm)"
	dmsetup message fm 0 resync_rate 4096 || fail "resync_rate refused"
	dmsetup message fm 0 resync || fail "resync refused"
	fio --name=w --filename=/dev/mapper/fm --direct=1 --ioengine=libaio \
		--iodepth=8 --rw=randwrite --bsrange=4k-64k --size=64M --time_based \
		--runtime=60 --randrepeat=0 --rate_iops=300 --output-format=terse \
		>/dev/null 2>&1 &
	# 1 to 5 s into the resync, at random (printed, to replay a failure).
	ms=$(( 1000 + $(od -An -N2 -tu2 /dev/urandom) % 4000 ))
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	log "status before the kill, $ms ms into the resync: $(dmsetup status fm)"
	[ "$(status_field fm 1)" = resyncing ] || fail "not resyncing before the kill"
	echo FM-CRASH-KILL-NOW
	sleep 60
	fail "not killed"
	;;
2)
	dmsetup create fm --table "$TABLE" || fail "create after the crash failed"
	st=$(dmsetup status fm)
	log "after the crash: $st"
	case $(status_field fm 1) in
	resyncing | in_sync) ;;
	*) fail "no resync started by itself after the crash: $st" ;;
	esac
	wait_state fm in_sync 120
	blocks_equal "$P" "$B" $((S * 512)) || fail "primary and backup differ after the resync"
	log "resync done after the crash: primary == backup"
	dmsetup remove fm || fail "remove failed"
	fm_unload
	;;
esac
