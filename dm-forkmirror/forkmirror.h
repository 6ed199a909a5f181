/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private definitions of the forkmirror target, shared by its files:
 * target.c (constructor, destructor, status, message, map) and fork.c (the
 * forked write path).
 */
#ifndef DM_FORKMIRROR_H
#define DM_FORKMIRROR_H

#include <linux/device-mapper.h>
#include <linux/workqueue.h>
#include <linux/atomic.h>
#include <linux/mutex.h>

#include <forkmirror/tracker.h>
#include <forkmirror/bitmap.h>
#include "args.h"

#define DM_MSG_PREFIX "forkmirror"

/* A volume's state, as status and sysfs print it (see fm_state_name()). */
enum fm_state {
	FM_STATE_IN_SYNC,
	FM_STATE_TRACKING,
	FM_STATE_RESYNCING,
	FM_STATE_FAILED,
};

/**
 * struct fm_target - one forkmirror target instance (one table's volume)
 * @ti: the dm target
 * @primary: the primary device; all reads go here
 * @backup: the backup component; every write goes here first
 * @tracker_dev: the tracker store's device, as named in the table (the
 *	tracker holds its own reference; this one only pins the name)
 * @vol: the volume's slot in the tracker store
 * @args: the parsed table line, kept to print the table back
 * @backup_errors: failed writes to the backup, counted in the fork worker
 * @primary_errors: failed I/O on the primary, counted in end_io
 * @geom: the volume's regions (their count is status' <total>)
 * @state_lock: serialises state transitions (state.c)
 * @state: the volume's state; written under @state_lock, read without a
 *	lock (READ_ONCE) by map and status
 * @offline_since: Unix time the backup went offline, 0 while online;
 *	written under @state_lock, read with READ_ONCE
 *
 * Every field but the counters and the state is set in the constructor
 * and read-only afterwards, so the I/O path and status take no lock.
 */
struct fm_target {
	struct dm_target *ti;
	struct dm_dev *primary;
	struct dm_dev *backup;
	struct dm_dev *tracker_dev;
	struct fm_tracker_volume *vol;
	struct fm_args args;
	atomic64_t backup_errors;
	atomic64_t primary_errors;
	struct fm_geom geom;
	/* Serialises state transitions; see state.c. */
	struct mutex state_lock;
	enum fm_state state;
	u64 offline_since;
};

/**
 * struct fm_io - per-bio state of a forked write, in dm's per-bio data
 * @fmt: the target the bio belongs to
 * @work: runs the second half of the fork in fm_io_wq
 * @backup_status: completion status of the backup write
 * @failed_here: the target failed the bio without submitting it to the
 *	primary (end_io must not count it as a primary error)
 */
struct fm_io {
	struct fm_target *fmt;
	struct work_struct work;
	blk_status_t backup_status;
	bool failed_here;
};

/* fork.c */
int fm_fork_init(void);
void fm_fork_exit(void);
int fm_fork_write(struct fm_target *fmt, struct bio *bio);

/* state.c */
const char *fm_state_name(enum fm_state state);
void fm_state_set(struct fm_target *fmt, enum fm_state to, const char *why);

#endif /* DM_FORKMIRROR_H */
