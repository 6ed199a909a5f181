# A remote backup inside the guest (busybox sh): an NBD server in its own
# network namespace ("the remote site") exporting a disk, reached over a
# veth pair ("the link"), and the local nbd-client device. Source it after
# guest-lib.sh:
#     . /tests/lib/nbd-lib.sh
#     nbd_remote_start DISK      the namespace, the link and nbd-server
#     nbd_connect [NBDDEV]       nbd-client, waits for the device's size
#     nbd_cut / nbd_restore      the remote end drops off / comes back
#     nbd_reconnect [NBDDEV]     drop the dead binding, connect again
#     nbd_remote_stop            disconnect, stop the server, remove all
#
# The cut is made at the remote end of the link (its interface goes down),
# so packets vanish the way they do when a cable or a WAN link is cut: the
# local side sees no error, only silence, and the nbd-client timeout turns
# that silence into I/O errors instead of a hang.

NBD_NS=fmremote
NBD_LOCAL=fm-local
NBD_REMOTE=fm-remote
NBD_LOCAL_IP=10.77.0.1
NBD_REMOTE_IP=10.77.0.2
NBD_EXPORT=backup
NBD_TIMEOUT=${NBD_TIMEOUT:-5}
NBD_DEV=/dev/nbd0

nbd_remote_start() {
	modprobe nbd nbds_max=4 max_part=0 || fail "modprobe nbd failed"
	modprobe veth || fail "modprobe veth failed"
	ip netns add "$NBD_NS" || fail "ip netns add failed"
	ip link add "$NBD_LOCAL" type veth peer name "$NBD_REMOTE" ||
		fail "cannot create the veth pair"
	ip link set "$NBD_REMOTE" netns "$NBD_NS" || fail "ip link set netns failed"
	ip addr add "$NBD_LOCAL_IP/24" dev "$NBD_LOCAL"
	ip link set "$NBD_LOCAL" up
	ip netns exec "$NBD_NS" ip addr add "$NBD_REMOTE_IP/24" dev "$NBD_REMOTE"
	ip netns exec "$NBD_NS" ip link set "$NBD_REMOTE" up
	ip netns exec "$NBD_NS" ip link set lo up
	mkdir -p /etc/nbd-server
	# flush and fua: the server honours the client's flushes and FUA
	# writes (fsync, O_DSYNC), so a completed FUA write is durable there.
	cat >/etc/nbd-server/config <<EOF
[generic]
	listenaddr = $NBD_REMOTE_IP
	allowlist = false
[$NBD_EXPORT]
	exportname = $1
	flush = true
	fua = true
EOF
	ip netns exec "$NBD_NS" nbd-server -C /etc/nbd-server/config ||
		fail "nbd-server failed to start"
}

# nbd_wait_size NBDDEV: wait (30 s at most) until NBDDEV has a size.
nbd_wait_size() {
	local i=0
	while [ "$(cat "/sys/block/${1#/dev/}/size")" = 0 ]; do
		[ $i -ge 300 ] && fail "$1 did not connect: $(cat /tmp/nbd-client.log)"
		sleep 0.1
		i=$((i + 1))
	done
}

nbd_connect() {
	local dev=${1:-$NBD_DEV}
	# -nonetlink: the ioctl interface, whose client stays resident and,
	# with -persist, reconnects when the kernel reports a timed-out
	# connection; -timeout fails requests that get no answer.
	nbd-client "$NBD_REMOTE_IP" "$dev" -N "$NBD_EXPORT" \
		-timeout "$NBD_TIMEOUT" -persist -nonetlink \
		>/tmp/nbd-client.log 2>&1 || fail "nbd-client failed: $(cat /tmp/nbd-client.log)"
	nbd_wait_size "$dev"
}

nbd_cut() {
	ip netns exec "$NBD_NS" ip link set "$NBD_REMOTE" down
}

nbd_restore() {
	ip netns exec "$NBD_NS" ip link set "$NBD_REMOTE" up
}

# The 6.1 kernel keeps an NBD device bound to its dead connection until
# every opener has closed it, so nothing may hold NBDDEV here.
nbd_reconnect() {
	local dev=${1:-$NBD_DEV}
	nbd-client -d "$dev" >/dev/null 2>&1
	nbd_connect "$dev"
}

nbd_remote_stop() {
	nbd-client -d "$NBD_DEV" >/dev/null 2>&1
	for p in $(ip netns pids "$NBD_NS"); do
		kill "$p"
	done
	ip link del "$NBD_LOCAL" 2>/dev/null
	ip netns del "$NBD_NS"
}
