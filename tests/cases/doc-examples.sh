#!/bin/sh
# Every example of the admin guides (Documentation/), run on real devices:
# scripts/doc-examples.py extracts the marked literal blocks into
# /doc-examples (the overlay); each block's "# CMD" lines run in order, in
# this shell, and each command's output is compared with the lines the
# guide shows under it. The guides' device names map to the guest's:
#   /dev/sdb, /dev/disk/by-id/wwn-0x5000c500a1b2c3d4  $PRIMARY
#   /dev/nbd0 $BACKUP (except in the NBD examples, where it is the real
#   NBD device and backup.example.net the remote namespace), /dev/sdc
#   $SPARE, /dev/nbd1 $META; /dev/pmem0 the emulated NVDIMM; the store
#   numbers 259:0 and 254:48 those of /dev/pmem0 and $META; /root/ /tmp/.
# Both sides are compared after numbers (counts, sizes, dates, device
# numbers) become N and runs of blanks one blank: the layout, the words
# and the order must match. A shown line "..." stands for any lines, and
# a shown line ending in "..." for any line starting so. A command shown
# without output may print anything; every command must succeed unless
# its block says "fails N".
#@ timeout: 900
#@ disk-mib: 1024
. /tests/lib/guest-lib.sh
. /tests/lib/fm-lib.sh
. /tests/lib/nbd-lib.sh

setup_pmem
fm_load
PMEM_NUM=$(devnum /dev/pmem0)
META_NUM=$(devnum "$META")
NBD_UP=

# subst: the guide's names to the guest's (stdin to stdout).
subst() {
	if [ -n "$NBD_EXAMPLE" ]; then
		sed -e "s|backup\.example\.net|$NBD_REMOTE_IP|g"
	else
		sed -e "s|/dev/nbd0|$BACKUP|g" -e "s|/dev/nbd1|$META|g"
	fi | sed -e "s|/dev/disk/by-id/wwn-0x5000c500a1b2c3d4|$PRIMARY|g" \
		-e "s|/dev/sdb|$PRIMARY|g" -e "s|/dev/sdc|$SPARE|g" \
		-e "s|259:0|$PMEM_NUM|g" -e "s|254:48|$META_NUM|g" \
		-e "s|/root/|/tmp/|g"
}

# norm: numbers to N, uuids to U, blank runs to one blank.
norm() {
	sed -E -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/U/g' \
		-e 's/[0-9]+/N/g' -e 's/[[:space:]]+/ /g' -e 's/^ //' -e 's/ $//'
}

# match EXPECTED GOT: the normalized output GOT against the shown lines.
match() {
	awk -v ef="$1" -v gf="$2" '
	BEGIN {
		while ((getline l < ef) > 0) e[++m] = l
		while ((getline l < gf) > 0) g[++n] = l
		i = 1; j = 1
		while (i <= m) {
			if (e[i] == "...") {
				if (i == m) exit 0
				while (j <= n && !like(e[i + 1], g[j])) j++
				i++
				continue
			}
			if (j > n || !like(e[i], g[j])) {
				printf "shown: %s\n  got: %s\n", e[i], (j > n ? "(nothing)" : g[j])
				exit 1
			}
			i++; j++
		}
		if (j <= n) { printf "shown: (nothing)\n  got: %s\n", g[j]; exit 1 }
		exit 0
	}
	function like(x, y) {
		if (x ~ /\.\.\.$/)
			return substr(y, 1, length(x) - 3) == substr(x, 1, length(x) - 3)
		return x == y
	}'
}

reset() {
	dmsetup remove_all 2>/dev/null
	[ -n "$NBD_UP" ] && nbd_remote_stop
	NBD_UP=
	rmmod dm_forkmirror forkmirror_tracker 2>/dev/null
	fm_wipe "$PRIMARY" "$BACKUP" "$SPARE" "$META"
	dd if=/dev/zero of=/dev/pmem0 bs=1M count=4 2>/dev/null || fail "cannot wipe /dev/pmem0"
	fm_load
}

mkvol() { # NAME VOLUME STORE: a volume over $PRIMARY and $BACKUP
	forkmirror create "$1" --region-sectors 1024 "$PRIMARY" "$BACKUP" "$3" "$2" \
		>/dev/null || fail "cannot create $1"
}

mkold() { # STORE: volume "old" (32 MiB of $SPARE, its backup /dev/pmem0)
	dmsetup create oldp --table "0 65536 linear $SPARE 0" || fail "cannot create oldp"
	forkmirror create old --region-sectors 1024 /dev/mapper/oldp /dev/pmem0 "$1" old \
		>/dev/null || fail "cannot create old"
}

# The state each example starts from (the guides' text before it).
prepare() {
	NBD_EXAMPLE=
	case $1 in
	slots)
		reset
		mkvol vol0 vol0 "$META"
		mkold "$META"
		dmsetup remove old oldp
		;;
	delete-slot-force)
		mkold "$META"
		dmsetup message old 0 offline || fail "offline refused"
		dd if=/dev/urandom of=/dev/mapper/old bs=64k count=1 oflag=direct 2>/dev/null
		dmsetup remove old oldp
		;;
	messages | sysfs | lvm-filter | first-sync)
		reset
		mkvol vol0 vol0 /dev/pmem0
		;;
	primary-fails)
		# The primary (a dm-linear over $PRIMARY) fails a write.
		reset
		PS=$(sectors "$PRIMARY")
		dmsetup create pr --table "0 $PS linear $PRIMARY 0" || fail "cannot create pr"
		forkmirror create vol0 --region-sectors 1024 /dev/mapper/pr "$BACKUP" \
			/dev/pmem0 vol0 >/dev/null || fail "cannot create vol0"
		swap_table pr "0 $PS error"
		dd if=/dev/urandom of=/dev/mapper/vol0 bs=64k count=1 oflag=direct 2>/dev/null &&
			fail "the failing primary took a write"
		wait_state vol0 tracking 30
		;;
	nbd)
		reset
		NBD_EXAMPLE=1
		nbd_remote_start "$BACKUP"
		NBD_UP=1
		;;
	nbd-reconnect)
		NBD_EXAMPLE=1
		# The link was cut and the volume tracked writes; the link is back.
		nbd_cut
		dd if=/dev/urandom of=/dev/mapper/vol0 bs=64k count=4 oflag=direct 2>/dev/null
		wait_state vol0 tracking 60
		nbd_restore
		;;
	*)
		reset
		;;
	esac
}

# run_block FILE
run_block() {
	local f=$1 name k=0 cmd so= fails= skip= rc
	name=${f##*/}
	name=${name#*-}
	name=${name%.block}
	log "example $name"
	prepare "$name"
	grep -q '^@status-only$' "$f" && so=1
	fails=" $(sed -n 's/^@fails //p' "$f" | tr '\n' ' ') "
	skip=" $(sed -n 's/^@skip \([0-9]*\) .*/\1/p' "$f" | tr '\n' ' ') "
	# Split the block: one command (continuations joined) per
	# /tmp/ex/N.cmd, the lines shown under it in /tmp/ex/N.exp.
	rm -rf /tmp/ex && mkdir -p /tmp/ex
	grep -v '^@' "$f" | awk -v re="$(cat /doc-examples/commands.re)" '
	{
		if (cont) {
			l = $0
			sub(/^ +/, "", l)
			cmd = cmd " " l
		} else if ($0 ~ re) {
			n++
			cmd = substr($0, 3)
			printf "" > ("/tmp/ex/" n ".exp")
		} else {
			if (n)
				print > ("/tmp/ex/" n ".exp")
			next
		}
		if (cmd ~ /\\$/) {
			sub(/\\$/, "", cmd)
			cont = 1
		} else {
			print cmd > ("/tmp/ex/" n ".cmd")
			cont = 0
		}
	}'
	while [ -e "/tmp/ex/$((k + 1)).cmd" ]; do
		k=$((k + 1))
		sed -n "s/^@before $k //p" "$f" | subst >/tmp/ex/pre
		if [ -s /tmp/ex/pre ]; then
			echo "  (before) $(cat /tmp/ex/pre)"
			. /tmp/ex/pre || fail "$name: the setup before command $k failed"
		fi
		cmd=$(subst <"/tmp/ex/$k.cmd")
		case $skip in *" $k "*)
			echo "  # $cmd    (not run: $(sed -n "s/^@skip $k //p" "$f"))"
			continue ;;
		esac
		echo "  # $cmd"
		eval "$cmd" >/tmp/ex/got 2>&1
		rc=$?
		sed 's/^/    /' /tmp/ex/got
		case $fails in
		*" $k "*) [ $rc != 0 ] || fail "$name: command $k should have failed: $cmd" ;;
		*) [ $rc = 0 ] || fail "$name: command $k failed (rc $rc): $cmd" ;;
		esac
		[ -n "$so" ] && continue
		[ -s "/tmp/ex/$k.exp" ] || continue
		subst <"/tmp/ex/$k.exp" | norm >/tmp/ex/e
		norm </tmp/ex/got >/tmp/ex/g
		match /tmp/ex/e /tmp/ex/g || fail "$name: the output of '$cmd' differs from the guide's"
	done
	[ $k -gt 0 ] || fail "$name: no command found"
	NRUN=$((NRUN + k))
}

NRUN=0
n=0
for f in /doc-examples/*.block; do
	[ -e "$f" ] || fail "no examples in /doc-examples"
	run_block "$f"
	n=$((n + 1))
done
dmsetup remove_all
[ -n "$NBD_UP" ] && nbd_remote_stop
echo "$n examples, $NRUN commands, all as the guides show them"
