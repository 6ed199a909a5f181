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
#include <linux/llist.h>
#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/bio.h>
#include <linux/ktime.h>

#include <forkmirror/tracker.h>
#include <forkmirror/bitmap.h>
#include <forkmirror/pace.h>
#include "args.h"

#define DM_MSG_PREFIX "forkmirror"

/* A volume's state, as status and sysfs print it (see fm_state_name()). */
enum fm_state {
	FM_STATE_IN_SYNC,
	FM_STATE_TRACKING,
	FM_STATE_RESYNCING,
	FM_STATE_FAILED,
};

/* Buckets of the in-flight accounting (inflight.c); a power of two. */
#define FM_INFLIGHT_BUCKETS 1024U
/* log2 of its lock unit in sectors (64 KiB), or less: a region. */
#define FM_INFLIGHT_UNIT_SHIFT 7U

struct fm_io;

/**
 * struct fm_inflight - the forks in flight of one target (inflight.c)
 * @lock: protects every field below but @resync_wait and @work, and the
 *	target's intent state (struct fm_intent); taken in map, in the
 *	primary's completion (any context, so always with interrupts off)
 *	and in @work
 * @busy: one bit per bucket of lock units, set while a fork holding it
 *	is in flight
 * @owner: the fork holding each bucket set in @busy (stale otherwise)
 * @wanted: the buckets of the forks in @deferred (a new fork wanting one
 *	of them queues behind them)
 * @resync: buckets of regions the resync holds
 * @epoch: its low bit is the slot of @epoch_forks new forks count in
 * @epoch_forks: forks in flight (holding buckets) per epoch slot
 * @resync_waits: the resync waits in fm_inflight_wait_forks()
 * @resync_wait: where it waits
 * @deferred: forks waiting for their buckets, in arrival order
 * @work: starts deferred forks once a completion freed buckets or the
 *	resync unlocked regions
 */
struct fm_inflight {
	/*
	 * Protects @busy, @wanted, @resync, @epoch, @epoch_forks,
	 * @resync_waits, @deferred and fm_target.intent; irq-safe.
	 */
	spinlock_t lock;
	DECLARE_BITMAP(busy, FM_INFLIGHT_BUCKETS);
	struct fm_io *owner[FM_INFLIGHT_BUCKETS];
	DECLARE_BITMAP(wanted, FM_INFLIGHT_BUCKETS);
	/* Region buckets the resync holds: no fork into them starts. */
	DECLARE_BITMAP(resync, FM_INFLIGHT_BUCKETS);
	unsigned int epoch;
	unsigned int epoch_forks[2];
	bool resync_waits;	/* wake @resync_wait when an epoch slot empties */
	wait_queue_head_t resync_wait;
	struct bio_list deferred;
	struct work_struct work;
};

/**
 * struct fm_intent - the write-intent log of one target (intent.c)
 * @marks: the tracker's set bits that are intent marks (cleared lazily);
 *	every other set bit waits for a copy
 * @touched: regions a fork took or released its buckets on since the
 *	current clearing pass began
 * @recent: @touched as it was when the current clearing pass began (the
 *	period before it)
 * @adding: regions in @marks whose tracker bit may not be set yet (an
 *	intent mark being made)
 * @holds: clearing is held while non-zero (fm_intent_hold())
 * @armed: @work is queued
 * @suspended: the table is suspended: @work is not queued
 * @period: a third of the intent window, in jiffies (fixed)
 * @work: the clearing pass, on the module's workqueue
 *
 * Every field but @period and @work is guarded by the target's
 * inflight.lock; the bitmaps are allocated only when the table has the
 * intent log (no no_intent_log).
 */
struct fm_intent {
	struct fm_bitmap marks;
	struct fm_bitmap touched;
	struct fm_bitmap recent;
	u64 adding;
	unsigned int holds;
	bool armed;
	bool suspended;
	unsigned long period;
	struct delayed_work work;
};

/* Runs of regions one resync batch copies (resync.c). */
#define FM_RESYNC_EXTENTS	16U

struct fm_resync_batch {
	struct {
		u64 first;
		u64 count;
	} ext[FM_RESYNC_EXTENTS];
	unsigned int nr;
	u64 regions;
	u64 sectors;
};

/**
 * struct fm_resync - the resync of one target (resync.c)
 * @lock: guards every field but @work and @batch (irq-safe: status)
 * @active: a resync runs: @work is queued or running
 * @stop: stop at the next batch (pause_resync, suspend, destructor)
 * @suspended: the table is suspended (or not resumed yet): none starts
 * @was_active: a resync ran when the table was suspended
 * @gen: fmt->offline_gen when the resync began; a change stops it
 * @cursor: next region the pass looks at
 * @done: regions copied in this pass
 * @total: regions waiting when the pass began (grows if more are copied)
 * @rate_seen: the resync_rate @rate_t0 and @rate_bytes count for
 * @rate_t0: when counting for the rate limit began
 * @rate_bytes: bytes copied since @rate_t0
 * @run_t0: when the resync began
 * @run_bytes: bytes copied since @run_t0
 * @kib_s: measured rate, KiB/s
 * @batch: the batch being copied (only the work item uses it)
 * @work: one batch per run, on the module's resync pool
 */
struct fm_resync {
	spinlock_t lock;	/* see above: every field but @batch, @work */
	bool active;
	bool stop;
	bool suspended;
	bool was_active;
	unsigned long gen;
	u64 cursor;
	u64 done;
	u64 total;
	u32 rate_seen;
	ktime_t rate_t0;
	u64 rate_bytes;
	ktime_t run_t0;
	u64 run_bytes;
	u32 kib_s;
	struct fm_resync_batch batch;
	struct delayed_work work;
};

/**
 * struct fm_probe - the periodic backup probe of one target (probe.c)
 * @lock: guards every field but @work
 * @suspended: the table is suspended (or not resumed yet): no probe
 * @brought_back: the last probe brought the backup back, at @online_at
 * @online_at: jiffies
 * @interval: the current wait between probes, in seconds
 * @work: the probe, on the module's I/O workqueue
 */
struct fm_probe {
	spinlock_t lock;	/* see above */
	bool suspended;
	bool brought_back;
	unsigned long online_at;
	unsigned int interval;
	struct delayed_work work;
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
 * @backup_errors: failed writes to the backup, counted by the work items
 *	that take the backup offline
 * @primary_errors: failed I/O on the primary, counted in end_io
 * @geom: the volume's regions (their count is status' <total>)
 * @ctl_lock: serialises resync and full_resync (messages, sysfs); held
 *	across their I/O, never taken on the I/O path
 * @state_lock: serialises state transitions (state.c)
 * @state: the volume's state; written under @state_lock, read without a
 *	lock (READ_ONCE) by map and status
 * @offline_since: Unix time the backup went offline, 0 while online;
 *	written under @state_lock, read with READ_ONCE
 * @backup_online: writes are forked (true) or tracked; written under
 *	@state_lock, read with READ_ONCE (map). Independent of @state: a
 *	volume in tracking whose regions wait for a copy still forks.
 * @full_resync_needed: every region was marked for a full copy (the
 *	slot's FM_SLOT_FULL_RESYNC); written under @state_lock
 * @offline_gen: incremented under @state_lock each time the backup goes
 *	offline (a resync sees whether it failed again meanwhile)
 * @tracking_writes: tracked writes not completed yet, from map until the
 *	primary completed them (fm_track_begin() / fm_track_end())
 * @resumed: preresume ran once; the first one takes the volume's state
 *	over from the tracker (what an earlier table left there)
 * @resync_rate: resync limit in KiB/s (0: none), from the table line or
 *	the resync_rate message; WRITE_ONCE/READ_ONCE
 * @resync_paused: pause_resync was sent and no resync since;
 *	WRITE_ONCE/READ_ONCE
 * @inflight: overlapping forks kept apart (its own lock)
 * @intent: the write-intent log (under @inflight's lock)
 * @resync: the resync (its own lock)
 * @probe: the periodic backup probe (its own lock)
 * @admin_offline: the backup is offline on purpose (offline message,
 *	start_offline): not probed; WRITE_ONCE under @ctl_lock or in the
 *	constructor, READ_ONCE
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
	/* Serialises resync and full_resync; see state.c. */
	struct mutex ctl_lock;
	/* Serialises state transitions; see state.c. */
	struct mutex state_lock;
	enum fm_state state;
	u64 offline_since;
	bool backup_online;
	bool full_resync_needed;
	unsigned long offline_gen;
	atomic_t tracking_writes;
	bool resumed;
	u32 resync_rate;
	bool resync_paused;
	struct fm_inflight inflight;
	struct fm_intent intent;
	struct fm_resync resync;
	struct fm_probe probe;
	bool admin_offline;
	/*
	 * Forks waiting for their primary half to be submitted: serial ones
	 * whose backup half succeeded (added by its completion) and parallel
	 * ones map handed over; lock-free, taken whole by second_half_work
	 * (fork.c).
	 */
	struct llist_head second_halves;
	struct work_struct second_half_work;
};

/* Whether a resync starts without a resync request (no no_auto_resync). */
static inline bool fm_auto_resync(const struct fm_target *fmt)
{
	return !fm_args_has(&fmt->args, FM_FEAT_NO_AUTO_RESYNC) &&
	       !READ_ONCE(fmt->resync_paused);
}

/* Whether the table keeps write-intent marks (no no_intent_log). */
static inline bool fm_intent_enabled(const struct fm_target *fmt)
{
	return !fm_args_has(&fmt->args, FM_FEAT_NO_INTENT_LOG);
}

/**
 * struct fm_io - per-bio state of a forked write, in dm's per-bio data
 * @fmt: the target the bio belongs to
 * @work: runs a stage of the write in fm_io_wq (an intent mark, tracking,
 *	an error's handling)
 * @second_half: on the target's list of forks waiting for their primary
 *	half to be submitted
 * @backup_status: completion status of the backup write
 * @failed_here: the target failed the bio without submitting it to the
 *	primary (end_io must not count it as a primary error)
 * @bucket_start: first in-flight bucket the fork holds (inflight.c)
 * @bucket_count: how many it holds, 0 for none; released in end_io
 * @epoch: the epoch slot it is counted in (inflight.c)
 * @sector: the write's first sector (target-relative), kept for end_io
 *	and read under the in-flight lock while the fork holds buckets
 *	(fm_inflight_region_busy()): set before fm_inflight_start()
 * @nr_sectors: its length; 0 for an empty flush
 * @primary_status: a failed primary write's status, kept while its
 *	regions are marked (end_io sees the bio a second time then)
 * @error_marked: the regions of a failed primary write were handled
 * @pending: halves of a parallel fork not completed yet
 * @clone_status: completion status of a parallel fork's primary half
 * @parallel: a parallel fork whose halves have not both completed
 * @primary_held: its primary half failed and holds the intent log's
 *	clearing until end_io handled the error
 * @crowded: another fork of the target held buckets when this one took
 *	its own (set by fm_inflight_take(); map looks at it)
 */
struct fm_io {
	struct fm_target *fmt;
	struct work_struct work;
	struct llist_node second_half;
	blk_status_t backup_status;
	bool failed_here;
	unsigned int bucket_start;
	unsigned int bucket_count;
	unsigned int epoch;
	sector_t sector;
	unsigned int nr_sectors;
	blk_status_t primary_status;
	bool error_marked;
	atomic_t pending;
	blk_status_t clone_status;
	bool tracked;
	bool parallel;
	bool primary_held;
	bool crowded;
};

/* fork.c */
int fm_fork_init(void);
void fm_fork_exit(void);
int fm_fork_write(struct fm_target *fmt, struct bio *bio);
void fm_fork_deferred(struct fm_target *fmt, struct bio *bio);
void fm_fork_target_init(struct fm_target *fmt);
void fm_fork_target_exit(struct fm_target *fmt);
void fm_queue_io_work(struct work_struct *work);
void fm_queue_io_delayed(struct delayed_work *work, unsigned long delay);
bool fm_fork_primary_error(struct fm_target *fmt, struct bio *bio,
			   blk_status_t error);
bool fm_fork_parallel_wait(struct bio *bio, blk_status_t error);

/* inflight.c */
enum fm_inflight_start {
	FM_INFLIGHT_DEFERRED,	/* waits for an overlapping fork */
	FM_INFLIGHT_COVERED,	/* may start now */
	FM_INFLIGHT_UNCOVERED,	/* may start once its intent mark is made */
};

void fm_inflight_init(struct fm_inflight *fl);
enum fm_inflight_start fm_inflight_start(struct fm_target *fmt,
					 struct bio *bio);
void fm_inflight_end(struct fm_target *fmt, struct fm_io *io);
bool fm_inflight_region_busy(struct fm_target *fmt, u64 r);
void fm_inflight_exit(struct fm_inflight *fl);
void fm_inflight_lock_regions(struct fm_target *fmt, u64 first, u64 n);
void fm_inflight_wait_forks(struct fm_target *fmt);
void fm_inflight_unlock_regions(struct fm_target *fmt, u64 first, u64 n);

/* intent.c */
int fm_intent_init(struct fm_target *fmt, const char **error);
void fm_intent_exit(struct fm_target *fmt);
void fm_intent_touch(struct fm_target *fmt, u64 first, u64 count);
bool fm_intent_covered(struct fm_target *fmt, u64 first, u64 count);
int fm_intent_mark(struct fm_target *fmt, u64 first, u64 count);
void fm_intent_hold(struct fm_target *fmt);
void fm_intent_release(struct fm_target *fmt);
int fm_intent_to_copy(struct fm_target *fmt, u64 first, u64 count);
void fm_intent_drop_all(struct fm_target *fmt);
u64 fm_intent_waiting(struct fm_target *fmt);
bool fm_intent_tracked_fast(struct fm_target *fmt, u64 first, u64 count);
u64 fm_intent_next_waiting(struct fm_target *fmt, u64 from, u64 max,
			   u64 *first);
void fm_intent_primary_lost(struct fm_target *fmt, const char *why);
void fm_intent_suspend(struct fm_target *fmt);
void fm_intent_resume(struct fm_target *fmt);

/* state.c */
const char *fm_state_name(enum fm_state state);
void fm_state_set(struct fm_target *fmt, enum fm_state to, const char *why);
bool fm_state_move(struct fm_target *fmt, unsigned int from_mask,
		   enum fm_state to, const char *why);
void fm_state_announce(struct fm_target *fmt, enum fm_state from,
		       enum fm_state to, const char *why);
bool fm_track_begin(struct fm_target *fmt);
void fm_track_end(struct fm_target *fmt);
void fm_backup_offline(struct fm_target *fmt, const char *why);
int fm_mark_all(struct fm_target *fmt, const char *why);
int fm_full_resync(struct fm_target *fmt);
int fm_resync_request(struct fm_target *fmt);
void fm_resync_restart(struct fm_target *fmt, bool requested);

/* resync.c */
int fm_resync_module_init(void);
void fm_resync_module_exit(void);
void fm_resync_init(struct fm_target *fmt);
void fm_resync_start(struct fm_target *fmt, unsigned long gen, bool requested);
void fm_resync_rate_changed(struct fm_target *fmt);
void fm_resync_stop(struct fm_target *fmt);
bool fm_resync_running(struct fm_target *fmt);
void fm_resync_progress(struct fm_target *fmt, u64 *done, u64 *total,
			u32 *kib_s);
void fm_resync_suspend(struct fm_target *fmt);
bool fm_resync_resume(struct fm_target *fmt);

/* probe.c */
int fm_probe_backup(struct fm_target *fmt);
void fm_probe_init(struct fm_target *fmt);
void fm_probe_exit(struct fm_target *fmt);
void fm_probe_arm(struct fm_target *fmt);
void fm_probe_suspend(struct fm_target *fmt);
void fm_probe_resume(struct fm_target *fmt);

/* message.c */
int fm_message(struct dm_target *ti, unsigned int argc, char **argv,
	       char *result, unsigned int maxlen);

#endif /* DM_FORKMIRROR_H */
