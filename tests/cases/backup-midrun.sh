#!/bin/sh
# The backup failing in the middle of a fio run with verification: once
# its table is swapped for dm-flakey failing every write, once for dm-error,
# and once for dm-error in fork_mode parallel (each after the backup took
# its first hundred writes of the run):
# fio finishes with no error and its verification passes; the volume is
# tracking with the backup offline; and the exported log is exact: every
# region where the primary and the backup differ (every region written
# after the failure) is marked, and no region outside the ranges fio wrote.
#@ timeout: 360
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
modprobe dm-flakey || fail "modprobe dm-flakey failed"
P=$PRIMARY B=$BACKUP
MS=$(sectors "$META")
dmsetup create meta --table "0 $MS linear $META 0" || fail "meta linear failed"
T=/dev/mapper/meta
TN=$(dmsetup info -c --noheadings -o major,minor --separator : meta | tr -d " ")
SYS=/sys/fs/forkmirror/$TN

# 64 regions of 1 MiB; fio writes three separate ranges of them.
REG=2048
NREG=64
S=$((REG * NREG))
ZONES="4:4 24:3 44:4"	# first region (MiB), length (MiB)

# in_zone R: region R lies in a range fio writes.
in_zone() {
	for z in $ZONES; do
		[ "$1" -ge "${z%:*}" ] && [ "$1" -lt $((${z%:*} + ${z#*:})) ] && return 0
	done
	return 1
}

# run_fio: random writes of 4-32 KiB at queue depth 8 in the three
# ranges, then fio reads everything back and checks it. The writes take
# about 6 s at the rate given, so that the backup fails in the middle.
run_fio() {
	set --
	for z in $ZONES; do
		set -- "$@" --name=z${z%:*} --offset=${z%:*}M --size=${z#*:}M
	done
	fio --filename=/dev/mapper/fm --direct=1 --ioengine=libaio --iodepth=8 \
		--rw=randwrite --bsrange=4k-32k --verify=crc32c --do_verify=1 \
		--randrepeat=0 --rate_iops=,160 --output-format=terse "$@" \
		>/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out; fail "fio failed while the backup failed"; }
}

# check_log VOLUME: the state and the exported log after the run.
check_log() {
	[ "$(status_field fm 1)" = tracking ] || fail "not tracking: $(dmsetup status fm)"
	[ "$(status_field fm 5)" -gt 0 ] || fail "no backup error counted: $(dmsetup status fm)"
	[ "$(status_field fm 6)" = 0 ] || fail "primary errors: $(dmsetup status fm)"
	[ "$(status_field fm 7)" != - ] || fail "offline_since not shown: $(dmsetup status fm)"
	bits=$(dd if="$SYS/volumes/$1/log" bs=1 skip=80 count=$((NREG / 8)) 2>/dev/null |
		od -An -tu1 -v | tr -s ' \n' ' ')
	blockdev --flushbufs "$P"
	blockdev --flushbufs "$B"
	r=0 marked=0 differ=0
	for byte in $bits; do
		for bit in 0 1 2 3 4 5 6 7; do
			m=$(((byte >> bit) & 1))
			if realcmp -s -n $((REG * 512)) -i $((r * REG * 512)) "$P" "$B"; then
				d=0
			else
				d=1
				differ=$((differ + 1))
			fi
			[ "$d" = 1 ] && [ "$m" = 0 ] &&
				fail "$1: region $r differs between primary and backup but is not marked"
			if [ "$m" = 1 ]; then
				marked=$((marked + 1))
				in_zone $r || fail "$1: region $r is marked but fio never wrote it"
			fi
			r=$((r + 1))
		done
	done
	[ "$(status_field fm 2)" = "$marked/$NREG" ] ||
		fail "status dirty $(status_field fm 2), log $marked/$NREG"
	[ "$differ" -gt 0 ] || fail "$1: nothing written after the failure: the test proves nothing"
	before=0
	for z in $ZONES; do
		realcmp -s -n $((${z#*:} * 1048576)) -i $((${z%:*} * 1048576)):0 \
			"$B" /dev/zero || before=$((before + 1))
	done
	[ "$before" -gt 0 ] || fail "$1: the backup failed before fio wrote: not mid-run"
	log "$1: $marked regions marked, $differ differ, all in fio's ranges"
}

# writes_done DM_NAME: writes the dm device completed.
writes_done() {
	awk '{ print $5 }' "/sys/block/$(dm_kname "$1")/stat" || echo 0
}

# midrun VOLUME TABLE N [FEATURE...]: fio through a fresh volume (with the
# feature words FEATURE...) whose backup, a linear device at first, gets
# TABLE once it completed 100 writes of the run; N: how many
# backup-failure transitions the kernel log holds by then.
midrun() {
	local vol=$1 table=$2 n=$3 features=
	shift 3
	[ $# -gt 0 ] && features="$# $*"
	fm_wipe "$P" "$B"
	dmsetup create bk --table "0 $S linear $B 0" || fail "linear refused"
	dmsetup create fm --table "0 $S forkmirror $P /dev/mapper/bk $T $vol $REG $features" ||
		fail "create failed"
	run_fio &
	fio_pid=$!
	i=0
	while [ "$(writes_done bk)" -lt 100 ]; do
		[ $i -ge 600 ] && fail "the backup took no 100 writes in 60 s"
		sleep 0.1
		i=$((i + 1))
	done
	dmsetup suspend bk && dmsetup load bk --table "$table" && dmsetup resume bk ||
		fail "cannot swap the backup's table"
	wait $fio_pid || fail "fio failed while the backup failed"
	check_log "$vol"
	[ "$(dmesg | grep -c "in_sync -> tracking: backup write failed")" = "$n" ] ||
		fail "the transition was not logged exactly once"
	dmsetup remove fm && dmsetup remove bk || fail "remove failed"
}

fm_wipe "$META"
log "dm-flakey failing every write, swapped in while fio writes"
midrun flakey "0 $S flakey $B 0 0 1 1 error_writes" 1
log "dm-error swapped in while fio writes"
midrun error "0 $S error" 2
# In parallel mode, at queue depth 8 the primary halves go through the
# second-half work (other forks are in flight).
log "fork_mode parallel: dm-error swapped in while fio writes"
midrun par "0 $S error" 3 fork_mode parallel
fm_unload
