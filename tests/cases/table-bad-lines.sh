#!/bin/sh
# Malformed and conflicting table lines are refused with a precise error,
# no kernel splat, and no leaked reference: afterwards every device can be
# removed and both modules unloaded.
#@ timeout: 240
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
S=$(sectors "$P")
PN=$(devnum "$P")
long=$(printf 'v%.0s' $(seq 1 65))
n=0

# bad "<table>" "<text the kernel log must show>"
bad() {
	n=$((n + 1))
	dmesg -c >/dev/null
	if dmsetup create fmbad --table "$1" 2>/dev/null; then
		fail "accepted bad table line #$n: $1"
	fi
	dmsetup info fmbad >/dev/null 2>&1 && fail "device left behind after bad line #$n: $1"
	dmesg | grep -qF "forkmirror: $2" ||
		fail "bad line #$n ($1): kernel log lacks '$2': $(dmesg | tail -n 3)"
	log "refused #$n: $2"
}

# pbad: a line the pure parser refuses. On the debug kernel, where the
# KUnit suite fm_args runs every such line through the parser, only the
# first line of each error message goes through dmsetup (each exec costs
# seconds there); the others are counted and named in the log.
seen="|"
left=0
pbad() {
	if [ "$KERNEL_LABEL" = debug ]; then
		case "$seen" in
		*"|$2|"*)
			left=$((left + 1))
			log "left to KUnit fm_args: $1"
			return
			;;
		esac
		seen="$seen$2|"
	fi
	bad "$@"
}

H="0 $S forkmirror"
bad "$H" "Not enough arguments"
pbad "$H $P $B $T vol" "Not enough arguments"
bad "$H $P $P $T vol 8" "Primary and backup name the same device"
bad "$H $P $B $P vol 8" "Primary and tracker name the same device"
bad "$H $P $B $B vol 8" "Backup and tracker name the same device"
bad "$H $P $PN $T vol 8" "Primary and backup are the same device"
bad "$H $P $B $(devnum "$B") vol 8" "Backup and tracker are the same device"
bad "$H /dev/nonexistent $B $T vol 8" "Cannot open primary device"
bad "$H $P /dev/nonexistent $T vol 8" "Cannot open backup device"
bad "$H $P $B /dev/nonexistent vol 8" "Cannot open tracker device"
pbad "$H $P $B $T -vol 8" "Invalid volume name"
pbad "$H $P $B $T .vol 8" "Invalid volume name"
pbad "$H $P $B $T vol/x 8" "Invalid volume name"
pbad "$H $P $B $T vol* 8" "Invalid volume name"
pbad "$H $P $B $T $long 8" "Invalid volume name"
pbad "$H $P $B $T vol 0" "Invalid region size: smaller than 8"
pbad "$H $P $B $T vol 4" "Invalid region size: smaller than 8"
pbad "$H $P $B $T vol 12" "Invalid region size: not a power of two"
pbad "$H $P $B $T vol 262144" "Invalid region size: larger than 131072"
pbad "$H $P $B $T vol 8x" "Invalid region size: not a decimal number"
pbad "$H $P $B $T vol -8" "Invalid region size: not a decimal number"
pbad "$H $P $B $T vol 4294967304" "Invalid region size: not a decimal number"
pbad "$H $P $B $T vol 8 1" "Feature argument count exceeds"
pbad "$H $P $B $T vol 8 2 no_auto_resync" "Feature argument count exceeds"
pbad "$H $P $B $T vol 8 1 no_auto_resync start_offline" "Too many arguments"
pbad "$H $P $B $T vol 8 x no_auto_resync" "Invalid feature argument count"
pbad "$H $P $B $T vol 8 1 bogus" "Unknown feature argument"
pbad "$H $P $B $T vol 8 2 no_auto_resync no_auto_resync" "Feature argument given twice"
pbad "$H $P $B $T vol 8 4 resync_rate 5 resync_rate 6" "Feature argument given twice"
pbad "$H $P $B $T vol 8 1 resync_rate" "Feature resync_rate needs a value"
pbad "$H $P $B $T vol 8 2 resync_rate fast" "Invalid resync_rate"
pbad "$H $P $B $T vol 8 2 resync_rate 4294967296" "Invalid resync_rate"
pbad "$H $P $B $T vol 8 1 fork_mode" "Feature fork_mode needs a value"
pbad "$H $P $B $T vol 8 2 fork_mode mirrored" "Invalid fork_mode"
pbad "$H $P $B $T vol 8 3 fork_mode parallel no_intent_log" "fork_mode parallel cannot be combined with no_intent_log"
bad "0 $((S + 8)) forkmirror $P $B $T vol 8" "Primary device is smaller than the target length"

# A name attached by another dm device is refused; so is a reload of the
# live device with another region size. The live table keeps working.
dmsetup create fmgood --table "$H $P $B $T vol 8" || fail "good line refused"
bad "$H $SPARE $B $T vol 8" "Volume name is attached by another dm device"
dmesg -c >/dev/null
expect_fail dmsetup reload fmgood --table "$H $P $B $T vol 16"
dmesg | grep -qF "Volume is attached with a different region size" ||
	fail "reload with another region size: no precise error"
dmsetup table fmgood | grep -q " vol 8\$" || fail "live table changed by a refused reload"
echo hello | dd of=/dev/mapper/fmgood bs=512 count=1 conv=sync,fsync 2>/dev/null ||
	fail "live device unusable after refused reload"
log "$n bad lines refused, $left more left to KUnit"

fm_unload
no_holders "$P" "$B" "$T" "$SPARE"
