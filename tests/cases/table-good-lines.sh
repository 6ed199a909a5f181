#!/bin/sh
# Good table lines with every feature: each loads, `dmsetup table` prints
# the canonical form, loading that output prints it again, and status has
# the contract's fields.
#@ timeout: 240
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
S=$(sectors "$P")
PN=$(devnum "$P") BN=$(devnum "$B") TN=$(devnum "$T")

# good "<args after the devices>" "<canonical args after the devices>"
good() {
	# Each line starts on a blank store: a slot keeps its region size.
	fm_wipe "$T"
	dmsetup create fmgood --table "0 $S forkmirror $P $B $T $1" ||
		fail "good line refused: $1"
	want="0 $S forkmirror $PN $BN $TN $2"
	expect_table fmgood "$want"
	# Reloading the printed table gives the same table.
	dmsetup reload fmgood --table "$want" || fail "reload of canonical table refused: $want"
	dmsetup resume fmgood || fail "resume after reload failed"
	expect_table fmgood "$want"
	dmsetup remove fmgood || fail "remove failed"
	log "ok: $1 -> $2"
}

# pgood: a line whose canonical form is the pure parser's business. On the
# debug kernel the KUnit suite fm_args checks it; only good() lines go
# through dmsetup there (each exec costs seconds).
pgood() {
	if [ "$KERNEL_LABEL" = debug ]; then
		log "left to KUnit fm_args: $1"
		return
	fi
	good "$@"
}

good "vol 8" "vol 8"
good "vol 131072" "vol 131072"
pgood "a 1024 0" "a 1024"
pgood "Vol_1.x-2 2048 2 resync_rate 0" "Vol_1.x-2 2048"
pgood "vol 8 2 resync_rate 1000" "vol 8 2 resync_rate 1000"
pgood "vol 8 2 resync_rate 4294967295" "vol 8 2 resync_rate 4294967295"
pgood "vol 8 1 no_auto_resync" "vol 8 1 no_auto_resync"
pgood "vol 8 1 no_intent_log" "vol 8 1 no_intent_log"
pgood "vol 8 1 start_offline" "vol 8 1 start_offline"
pgood "vol 8 2 fork_mode serial" "vol 8"
pgood "vol 8 2 fork_mode parallel" "vol 8 2 fork_mode parallel"
good "vol 8 6 fork_mode parallel start_offline no_auto_resync resync_rate 500" \
	"vol 8 6 resync_rate 500 no_auto_resync start_offline fork_mode parallel"
pgood "vol 8 3 start_offline no_intent_log no_auto_resync" \
	"vol 8 3 no_auto_resync no_intent_log start_offline"
good "$(printf 'v%.0s' $(seq 1 64)) 8" "$(printf 'v%.0s' $(seq 1 64)) 8"

# Status fields, in the contract's order.
fm_wipe "$T"
dmsetup create fmgood --table "0 $S forkmirror $P $B $T vol 1024" || fail "create failed"
total=$(((S + 1023) / 1024))
st=$(dmsetup status fmgood)
echo "$st" | grep -qE "^0 $S forkmirror in_sync 0/$total 0/0 0 0 0 - 0\$" ||
	fail "unexpected status: $st"

# Two volumes share one tracker store; the same name twice on the same
# mapped device (a reload) reattaches.
half=$((S / 2))
dmsetup create fmtwo --table "0 $half forkmirror $SPARE $(devnum "$B") $T vol2 8" ||
	fail "second volume on the same store refused"
dmsetup reload fmgood --table "0 $S forkmirror $P $B $T vol 1024 2 resync_rate 10" ||
	fail "reload of a live volume refused"
dmsetup resume fmgood || fail "resume failed"
expect_table fmgood "0 $S forkmirror $PN $BN $TN vol 1024 2 resync_rate 10"
dmsetup targets | grep -qE '^forkmirror +v1\.2\.0$' || fail "target version: $(dmsetup targets)"
fm_unload
no_holders "$P" "$B" "$T" "$SPARE"
