#!/bin/sh
# Table changes under load: while fio writes (and then verifies) random
# data through the device at queue depth 8, the device is suspended and
# resumed, its table reloaded with the same line, and reloaded with a
# larger length (the slot grows). fio sees no error, its verification
# passes, the devices end identical and nothing stays marked once the
# intent window has passed.
#@ timeout: 300
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh

fm_load
P=$PRIMARY B=$BACKUP T=$META
fm_wipe "$P" "$B" "$T"
S=$(sectors "$P")
HALF=$((S / 2))
SYS=/sys/fs/forkmirror/$(devnum "$T")
if [ "$KERNEL_LABEL" = debug ]; then
	size=8M
else
	size=48M
fi

dmsetup create fm --table "0 $HALF forkmirror $P $B $T load 8" || fail "create failed"
[ "$(status_field fm 2)" = "0/$((HALF / 8))" ] || fail "status: $(dmsetup status fm)"

log "fio with verification, while the table is suspended, reloaded and grown"
fio --name=load --filename=/dev/mapper/fm --direct=1 --ioengine=libaio \
	--iodepth=8 --rw=randwrite --bsrange=4k-64k --size=$size \
	--verify=crc32c --do_verify=1 --randrepeat=0 \
	--output-format=terse >/tmp/fio.out 2>&1 &
fio=$!
n=0 grown=0
while kill -0 $fio 2>/dev/null; do
	n=$((n + 1))
	dmsetup suspend fm || fail "suspend $n failed"
	dmsetup resume fm || fail "resume $n failed"
	if [ $grown = 0 ] && [ $n -ge 3 ]; then
		# Same start, twice the length: fio keeps to the first half.
		dmsetup reload fm --table "0 $S forkmirror $P $B $T load 8" ||
			fail "growing reload failed"
		grown=1
	else
		len=$HALF
		[ $grown = 1 ] && len=$S
		dmsetup reload fm --table "0 $len forkmirror $P $B $T load 8" ||
			fail "reload $n failed"
	fi
	dmsetup resume fm || fail "resume after reload $n failed"
	sleep 1
done
wait $fio || { cat /tmp/fio.out; fail "fio failed or its verification found bad data"; }
log "$n suspend/resume and reload cycles under load"
[ $n -ge 3 ] || fail "fio ended before the table changes were done ($n cycles)"
[ $grown = 1 ] || fail "the growing reload did not run"

# The last writes may have come after the last suspend: their intent
# marks go within the 5 s window (10 s allowed for a loaded guest).
t=$(wait_no_marks fm 10) || fail "marks of the last writes not cleared within 10 s"
log "the last marks cleared $t/10 s after fio ended"
st=$(dmsetup status fm)
echo "$st" | grep -qE "^0 $S forkmirror in_sync 0/$((S / 8)) 0/0 0 0 0 - 0\$" ||
	fail "after the load: $st"
sysval volumes/load/total_regions $((S / 8))
dmsetup remove fm || fail "remove failed"
blocks_equal "$P" "$B" || fail "primary and backup differ"
fm_unload
