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

#include <forkmirror/tracker.h>
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
 * @total_regions: number of regions covering the volume
 * @backup_errors: failed writes to the backup, counted in the fork worker
 * @primary_errors: failed I/O on the primary, counted in end_io
 * @state: the volume's state; read without a lock (READ_ONCE)
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
	u64 total_regions;
	atomic64_t backup_errors;
	atomic64_t primary_errors;
	enum fm_state state;
};

/**
 * struct fm_io - per-bio state of a forked write, in dm's per-bio data
 * @fmt: the target the bio belongs to
 * @work: runs the second half of the fork in fm_io_wq
 * @backup_status: completion status of the backup write
 */
struct fm_io {
	struct fm_target *fmt;
	struct work_struct work;
	blk_status_t backup_status;
};

/* fork.c */
int fm_fork_init(void);
void fm_fork_exit(void);
int fm_fork_write(struct fm_target *fmt, struct bio *bio);

#endif /* DM_FORKMIRROR_H */
