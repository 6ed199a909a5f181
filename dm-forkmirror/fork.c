// SPDX-License-Identifier: GPL-2.0-only
/*
 * The forked write: one write bio becomes a write to the backup and, only
 * after that completed successfully, the same write to the primary
 * (fork_mode serial), or both at once when an intent mark covers it
 * (fork_mode parallel). With the intent log (the default), a fork starts
 * only once its regions are marked durably in the tracker (intent.c).
 * While the backup is offline the write is tracked instead: its regions
 * are marked durably in the tracker, then the primary is written.
 *
 *   map()            backup online: take the lock units (inflight.c); when
 *                    an intent mark covers them, start the fork (serial:
 *                    clone to the backup; parallel: clone to the backup,
 *                    the original to the primary, through the second-half
 *                    work when other forks are in flight),
 *                    otherwise queue the intent work; offline: remap to
 *                    the primary at once when the regions are already
 *                    marked durably, or queue the tracking work
 *   fm_mark_worker   (process context) make the intent mark, then start
 *                    the fork (parallel only when the mark was made)
 *   backup end_io    (any context, maybe hard irq) record the status;
 *                    add the fork to the target's list of primary halves,
 *                    or after an error queue fm_backup_failed_worker
 *   fm_second_half_worker (process context, never sleeps on us) submit
 *                    the original bio of every fork on the list to the
 *                    primary, in order, under one plug
 *   fm_backup_failed_worker (process context) take the backup offline,
 *                    then track the write
 *   parallel end_io  (any context) the last half to complete (the backup
 *                    clone, or the original in fm_end_io) ends the
 *                    original bio, or queues fm_parallel_failed_worker
 *                    after a backup error (the backup goes offline first)
 *   fm_track_worker  (process context) mark, then submit to the primary;
 *                    when the mark cannot be made, the write is failed
 *                    (state failed) and the primary left untouched
 *
 * The original bio stays owned by dm until the primary write (and, in a
 * parallel fork, the backup clone) completed, so dm's suspend waits for
 * every fork in flight and the data pages stay valid while the clone uses
 * them.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>

#include "forkmirror.h"

/*
 * Module-wide resources shared by every forkmirror volume: one bioset for
 * the backup clones, one WQ_MEM_RECLAIM workqueue for the marks, tracking
 * and error handling, and one for the volumes' second-half work (never a
 * thread or workqueue per volume).
 */
static struct bio_set fm_clone_bioset;
static struct workqueue_struct *fm_io_wq;
static struct workqueue_struct *fm_half_wq;

/* The regions a bio (already remapped, target-relative) writes. */
static int fm_bio_regions(struct fm_target *fmt, struct bio *bio, u64 *first,
			  u64 *count)
{
	return fm_geom_regions(&fmt->geom, bio->bi_iter.bi_sector,
			       bio_sectors(bio), first, count);
}

/*
 * Mark the bio's regions durably, then write the primary; when the mark
 * cannot be made, fail the bio and leave the primary untouched. The
 * caller counted the write in tracking_writes (fm_track_begin()); the
 * count is dropped when the bio completes (fm_end_io()).
 */
static void fm_track_and_submit(struct fm_io *io, struct bio *bio)
{
	struct fm_target *fmt = io->fmt;
	u64 first, count;
	int r;

	io->tracked = true;
	r = fm_bio_regions(fmt, bio, &first, &count);
	/* Never an intent mark, even if the backup is back already. */
	if (!r)
		r = fm_intent_to_copy(fmt, first, count);
	if (unlikely(r)) {
		fm_tracker_count(fmt->vol, FM_CNT_TRACKER_ERRORS, 1);
		fm_state_set(fmt, FM_STATE_FAILED,
			     "a write could be neither forked nor tracked");
		io->failed_here = true;
		bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
		return;
	}
	submit_bio_noacct(bio);
}

static void fm_track_worker(struct work_struct *work)
{
	struct fm_io *io = container_of(work, struct fm_io, work);

	fm_track_and_submit(io, dm_bio_from_per_bio_data(io, sizeof(struct fm_io)));
}

/*
 * A serial fork whose backup write failed: the backup goes offline, then
 * the write is tracked (marked durably, then written to the primary).
 * Its own work item on fm_io_wq, never the second-half work: it sleeps
 * (the slot's state, the tracker mark), and the other forks' primary
 * halves must not wait behind it.
 */
static void fm_backup_failed_worker(struct work_struct *work)
{
	struct fm_io *io = container_of(work, struct fm_io, work);
	struct bio *bio = dm_bio_from_per_bio_data(io, sizeof(struct fm_io));
	struct fm_target *fmt = io->fmt;

	atomic64_inc(&fmt->backup_errors);
	fm_tracker_count(fmt->vol, FM_CNT_BACKUP_ERRORS, 1);
	/*
	 * Counted before the backup goes offline: a resync that brings it
	 * back waits for this mark (fm_track_begin() explains).
	 */
	atomic_inc(&fmt->tracking_writes);
	fm_backup_offline(fmt, "backup write failed");
	/* Held since the backup's completion (fm_backup_clone_done()). */
	fm_intent_release(fmt);
	fm_track_and_submit(io, bio);
}

/*
 * Submit the primary half of every fork on the target's list, in the
 * order they joined it, under one plug: under load one run starts many
 * primary writes, and the primary sees them as one batch. The list holds
 * serial forks whose backup half succeeded and parallel forks that map
 * handed over (fm_fork_start_parallel()); nothing here sleeps but the
 * block layer's own wait for a free request. Each fork's original stays
 * in flight until its primary write completed, so the target outlives
 * the submissions; the loop does not touch it after the last
 * (fm_fork_target_exit() waits for the work to return).
 */
static void fm_second_half_worker(struct work_struct *work)
{
	struct fm_target *fmt = container_of(work, struct fm_target,
					     second_half_work);
	struct llist_node *list;
	struct fm_io *io, *next;
	struct blk_plug plug;

	list = llist_reverse_order(llist_del_all(&fmt->second_halves));
	blk_start_plug(&plug);
	llist_for_each_entry_safe(io, next, list, second_half)
		submit_bio_noacct(dm_bio_from_per_bio_data(io, sizeof(struct fm_io)));
	blk_finish_plug(&plug);
}

/**
 * fm_fork_target_init() - set up a target's list of primary halves
 * @fmt: the target
 */
void fm_fork_target_init(struct fm_target *fmt)
{
	init_llist_head(&fmt->second_halves);
	INIT_WORK(&fmt->second_half_work, fm_second_half_worker);
}

/**
 * fm_fork_target_exit() - wait for the last run of the second-half work
 * @fmt: the target, with no write in flight (dm suspended it)
 *
 * Context: process context; may sleep.
 */
void fm_fork_target_exit(struct fm_target *fmt)
{
	flush_work(&fmt->second_half_work);
	WARN_ON_ONCE(!llist_empty(&fmt->second_halves));
}

/*
 * A backup clone completed: record its status in the original's io and
 * free it. A failed backup write (a flush, maybe) may have lost earlier
 * forks: no intent mark is cleared until the backup is offline, so a
 * failure holds the clearing (released by the work that takes the backup
 * offline). Returns the original.
 */
static struct bio *fm_backup_clone_done(struct bio *clone)
{
	struct bio *bio = clone->bi_private;
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	io->backup_status = clone->bi_status;
	bio_put(clone);
	if (unlikely(io->backup_status))
		fm_intent_hold(io->fmt);
	return bio;
}

/*
 * A fork's primary half joins the target's list. The list has one
 * producer side (this) and one consumer (the second-half work, which
 * takes it whole): the first entry to join an empty list queues the work,
 * and that entry cannot be taken (so its original cannot complete)
 * before the work is queued; the others touch nothing after joining.
 */
static void fm_queue_second_half(struct fm_target *fmt, struct fm_io *io)
{
	if (llist_add(&io->second_half, &fmt->second_halves))
		queue_work(fm_half_wq, &fmt->second_half_work);
}

/*
 * The backup half of a serial fork completed: on success the primary half
 * joins the target's list; after a failure the fork goes to its own work
 * item, which takes the backup offline and tracks the write.
 */
static void fm_backup_endio(struct bio *clone)
{
	struct bio *bio = fm_backup_clone_done(clone);
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	if (unlikely(io->backup_status)) {
		INIT_WORK(&io->work, fm_backup_failed_worker);
		queue_work(fm_io_wq, &io->work);
		return;
	}
	fm_queue_second_half(io->fmt, io);
}

/* The first half of a serial fork: the write to the backup. */
static void fm_fork_start_serial(struct fm_target *fmt, struct bio *bio)
{
	struct bio *clone;

	clone = bio_alloc_clone(fmt->backup->bdev, bio, GFP_NOIO,
				&fm_clone_bioset);
	clone->bi_private = bio;
	clone->bi_end_io = fm_backup_endio;
	submit_bio_noacct(clone);
}

/*
 * Both halves of a parallel fork completed, the primary's status in
 * clone_status: the original completes with it; it is seen by end_io a
 * second time, which handles a primary error then. After a backup error
 * the backup goes offline first (fm_parallel_failed_worker()).
 */
static void fm_parallel_end(struct bio *bio, struct fm_io *io)
{
	bio->bi_status = io->clone_status;
	bio_endio(bio);
}

/*
 * A parallel fork whose backup half failed: the backup goes offline (the
 * regions' durable intent marks then wait for a copy), then the original
 * completes with the primary's status.
 */
static void fm_parallel_failed_worker(struct work_struct *work)
{
	struct fm_io *io = container_of(work, struct fm_io, work);
	struct bio *bio = dm_bio_from_per_bio_data(io, sizeof(struct fm_io));
	struct fm_target *fmt = io->fmt;

	atomic64_inc(&fmt->backup_errors);
	fm_tracker_count(fmt->vol, FM_CNT_BACKUP_ERRORS, 1);
	fm_backup_offline(fmt, "backup write failed");
	/* Held since the backup half's completion. */
	fm_intent_release(fmt);
	fm_parallel_end(bio, io);
}

/*
 * A half of a parallel fork completed; the caller recorded its status.
 * Returns true when the original may complete at once, the other half
 * having completed and the backup's succeeded; otherwise the last half
 * ends it later, here or in fm_parallel_failed_worker().
 */
static bool fm_parallel_half_done(struct fm_io *io)
{
	if (!atomic_dec_and_test(&io->pending))
		return false;
	io->parallel = false;
	if (likely(!io->backup_status))
		return true;
	INIT_WORK(&io->work, fm_parallel_failed_worker);
	queue_work(fm_io_wq, &io->work);
	return false;
}

/*
 * The backup half: a failed one holds the intent log's clearing until the
 * backup is offline (fm_parallel_failed_worker()).
 */
static void fm_parallel_backup_endio(struct bio *clone)
{
	struct bio *bio = fm_backup_clone_done(clone);
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	if (fm_parallel_half_done(io))
		fm_parallel_end(bio, io);
}

/**
 * fm_fork_parallel_wait() - the primary half of a parallel fork completed
 * @bio: the original, which went to the primary itself
 * @error: the primary's status
 *
 * A failed primary half holds the intent log's clearing until end_io has
 * handled the error (fm_fork_primary_error() takes its own hold first):
 * the fork's buckets keep only its own regions from being cleared, and a
 * failed flush may have lost the writes of every region.
 *
 * Context: any (end_io, maybe hard irq).
 * Return: true when the original must wait (end_io returns
 * DM_ENDIO_INCOMPLETE; it completes again, with @error, once the backup
 * half has); false when end_io goes on with @error now.
 */
bool fm_fork_parallel_wait(struct bio *bio, blk_status_t error)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	io->clone_status = error;
	if (unlikely(error)) {
		fm_intent_hold(io->fmt);
		io->primary_held = true;
	}
	return !fm_parallel_half_done(io);
}

/*
 * A parallel fork: the backup written through a clone, and at once the
 * original to the primary; the original completes when both did (end_io
 * holds it back until then: fm_fork_parallel_wait()). Only ever started
 * once a durable intent mark covers the write (invariant 1).
 *
 * @offload: started by map while other forks are in flight; the primary
 * half then goes to the second-half work, which the scheduler may run on
 * another, idle CPU: under load the submitter's CPU is the bottleneck, and
 * the two submissions (and their completions, which come back to the CPU
 * that submitted) are then shared between two CPUs. A lone fork (queue
 * depth 1) never pays the extra hop.
 */
static void fm_fork_start_parallel(struct fm_target *fmt, struct bio *bio,
				   bool offload)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));
	struct bio *b;

	atomic_set(&io->pending, 2);
	io->clone_status = BLK_STS_OK;
	io->parallel = true;
	b = bio_alloc_clone(fmt->backup->bdev, bio, GFP_NOIO, &fm_clone_bioset);
	b->bi_private = bio;
	b->bi_end_io = fm_parallel_backup_endio;
	submit_bio_noacct(b);
	if (offload)
		/* The last use of io and bio here: the work may end them. */
		fm_queue_second_half(fmt, io);
	else
		submit_bio_noacct(bio);
}

/*
 * Start a fork; @covered: a durable intent mark covers it; @in_map: map
 * starts it (not a work item).
 */
static void fm_fork_start(struct fm_target *fmt, struct bio *bio,
			  bool covered, bool in_map)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	if (covered && fmt->args.fork_mode == FM_FORK_PARALLEL)
		fm_fork_start_parallel(fmt, bio, in_map && io->crowded);
	else
		fm_fork_start_serial(fmt, bio);
}

/*
 * A fork holding its buckets, not covered yet: make its intent mark, then
 * start it; when the backup went offline meanwhile, track it instead.
 * A failed mark still lets a serial fork go ahead (the backup is written
 * first), never a parallel one.
 */
static void fm_mark_and_start(struct fm_io *io, struct bio *bio)
{
	struct fm_target *fmt = io->fmt;
	u64 first, count;
	int r;

	if (!fm_intent_enabled(fmt) || fm_bio_regions(fmt, bio, &first, &count)) {
		fm_fork_start_serial(fmt, bio);
		return;
	}
	while ((r = fm_intent_mark(fmt, first, count)) == -EAGAIN) {
		if (fm_track_begin(fmt)) {
			fm_track_and_submit(io, bio);
			return;
		}
	}
	fm_fork_start(fmt, bio, !r, false);
}

static void fm_mark_worker(struct work_struct *work)
{
	struct fm_io *io = container_of(work, struct fm_io, work);

	fm_mark_and_start(io, dm_bio_from_per_bio_data(io, sizeof(struct fm_io)));
}

/**
 * fm_fork_write() - start a forked write
 * @fmt: the target
 * @bio: a write, flush, discard or write-zeroes bio, already remapped to
 *	the primary
 *
 * Context: map; never sleeps (the clones come from a mempool with
 * GFP_NOIO, which waits only for a clone of our own to complete; the
 * tracker check and the in-flight accounting take spinlocks).
 * Return: DM_MAPIO_SUBMITTED, or DM_MAPIO_REMAPPED when the backup is
 * offline and the write's regions are already marked durably.
 */
int fm_fork_write(struct fm_target *fmt, struct bio *bio)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));
	u64 first, count;

	io->fmt = fmt;
	io->backup_status = BLK_STS_OK;
	io->failed_here = false;
	io->bucket_count = 0;
	io->sector = bio->bi_iter.bi_sector;
	io->nr_sectors = bio_sectors(bio);
	io->error_marked = false;
	io->parallel = false;
	io->primary_held = false;
	io->crowded = false;

	if (!READ_ONCE(fmt->backup_online)) {
		/* An empty flush has nothing to track: the primary alone. */
		if (!bio_sectors(bio))
			return DM_MAPIO_REMAPPED;
		if (fm_track_begin(fmt)) {
			io->tracked = true;
			if (!fm_bio_regions(fmt, bio, &first, &count) &&
			    fm_intent_tracked_fast(fmt, first, count))
				return DM_MAPIO_REMAPPED;
			INIT_WORK(&io->work, fm_track_worker);
			queue_work(fm_io_wq, &io->work);
			return DM_MAPIO_SUBMITTED;
		}
		/* The backup came back meanwhile: fork. */
	}

	switch (fm_inflight_start(fmt, bio)) {
	case FM_INFLIGHT_COVERED:
		fm_fork_start(fmt, bio, true, true);
		break;
	case FM_INFLIGHT_UNCOVERED:
		INIT_WORK(&io->work, fm_mark_worker);
		queue_work(fm_io_wq, &io->work);
		break;
	case FM_INFLIGHT_DEFERRED:
		/* Overlapping a fork in flight: started later by inflight.c. */
		break;
	}
	return DM_MAPIO_SUBMITTED;
}

/**
 * fm_fork_deferred() - start a write that waited for an overlapping fork
 * @fmt: the target
 * @bio: the write, holding its in-flight buckets
 *
 * The backup may have gone offline while the write waited: it is tracked
 * then, as a write arriving now would be. Otherwise its intent mark is
 * made (at once when it is there already) and the fork started.
 *
 * Context: process context (inflight.c's work item); may sleep.
 */
void fm_fork_deferred(struct fm_target *fmt, struct bio *bio)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	if (!READ_ONCE(fmt->backup_online) && fm_track_begin(fmt))
		fm_track_and_submit(io, bio);
	else
		fm_mark_and_start(io, bio);
}

/*
 * A write failed on the primary: its regions no longer match the backup
 * (which may hold the new data). Mark them, so that a resync copies the
 * primary's content over; an in_sync volume goes to tracking (a region
 * waits for a copy). When the mark cannot be made nothing records which
 * regions differ: the volume needs a full resync (full_resync_needed, and
 * the slot's flag if the store takes it). The write was forked, so the
 * state is not failed (BRIEF.md: a tracker failure while the backup is
 * online is counted and logged). Then the write completes with the
 * primary's error.
 */
static void fm_primary_error_worker(struct work_struct *work)
{
	struct fm_io *io = container_of(work, struct fm_io, work);
	struct bio *bio = dm_bio_from_per_bio_data(io, sizeof(struct fm_io));
	struct fm_target *fmt = io->fmt;
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	u64 first, count;
	int r = 0;

	/* A failed flush: writes the primary completed may be lost. */
	if (bio->bi_opf & REQ_PREFLUSH)
		fm_intent_primary_lost(fmt, "primary flush failed");
	if (io->nr_sectors) {
		r = fm_geom_regions(&fmt->geom, io->sector, io->nr_sectors,
				    &first, &count);
		if (!r)
			r = fm_intent_to_copy(fmt, first, count);
	}
	/* Held since end_io: no pass cleared the regions before this. */
	fm_intent_release(fmt);
	fm_tracker_count(fmt->vol, FM_CNT_PRIMARY_ERRORS, 1);
	if (!io->nr_sectors) {
		DMERR_LIMIT("%s: primary flush failed", dev);
	} else if (r) {
		fm_tracker_count(fmt->vol, FM_CNT_TRACKER_ERRORS, 1);
		DMERR_LIMIT("%s: primary write failed and its regions cannot be marked: %d",
			    dev, r);
		mutex_lock(&fmt->state_lock);
		WRITE_ONCE(fmt->full_resync_needed, true);
		mutex_unlock(&fmt->state_lock);
		fm_tracker_set_flags(fmt->vol, FM_SLOT_FULL_RESYNC, 0);
		fm_state_move(fmt, BIT(FM_STATE_IN_SYNC), FM_STATE_TRACKING,
			      "primary write failed and cannot be marked: full resync needed");
	} else {
		fm_state_move(fmt, BIT(FM_STATE_IN_SYNC), FM_STATE_TRACKING,
			      "primary write failed: its regions wait for a copy");
	}
	bio->bi_status = io->primary_status;
	bio_endio(bio);
}

/**
 * fm_fork_primary_error() - handle a write the primary failed
 * @fmt: the target
 * @bio: the write, with @error from the primary
 * @error: the primary's status
 *
 * Holds the intent log's clearing (fm_intent_hold()) until the regions
 * wait for a copy: an intent mark of theirs must not be cleared first.
 *
 * Context: end_io (any context); never sleeps.
 * Return: true when the bio is taken over: end_io returns
 * DM_ENDIO_INCOMPLETE and, as its very last use of the bio and of the
 * target, queues io->work (fm_queue_io_work()), which completes the bio
 * again, with the error, once its regions are marked (and after a failed
 * flush every intent mark made a region waiting for a copy); the work may
 * run and free the bio's data at once. False when there is nothing to do
 * (the second completion, or a bio with neither sectors nor a flush).
 */
bool fm_fork_primary_error(struct fm_target *fmt, struct bio *bio,
			   blk_status_t error)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	if (io->error_marked || (!io->nr_sectors && !(bio->bi_opf & REQ_PREFLUSH)))
		return false;
	io->error_marked = true;
	io->primary_status = error;
	fm_intent_hold(fmt);
	INIT_WORK(&io->work, fm_primary_error_worker);
	return true;
}

/* Queue a work item of a forkmirror target on the module's workqueue. */
void fm_queue_io_work(struct work_struct *work)
{
	queue_work(fm_io_wq, work);
}

void fm_queue_io_delayed(struct delayed_work *work, unsigned long delay)
{
	queue_delayed_work(fm_io_wq, work, delay);
}

int fm_fork_init(void)
{
	int r;

	r = bioset_init(&fm_clone_bioset, BIO_POOL_SIZE, 0, BIOSET_NEED_RESCUER);
	if (r)
		return r;

	/*
	 * The intent marks, tracking and error handling run here, on the
	 * write's latency path: high priority, so that a busy submitter does
	 * not delay them.
	 */
	fm_io_wq = alloc_workqueue("forkmirror_io", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!fm_io_wq) {
		r = -ENOMEM;
		goto bad_free_bioset;
	}
	/*
	 * The second-half work of every volume (one item each, never
	 * sleeping on anything of ours), high priority as well, and unbound:
	 * the scheduler may run it on an idle CPU rather than on the one
	 * that completed the backup half or is submitting, which under load
	 * is the busy one.
	 */
	fm_half_wq = alloc_workqueue("forkmirror_half",
				     WQ_UNBOUND | WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!fm_half_wq) {
		r = -ENOMEM;
		goto bad_destroy_io_wq;
	}
	return 0;

bad_destroy_io_wq:
	destroy_workqueue(fm_io_wq);
bad_free_bioset:
	bioset_exit(&fm_clone_bioset);
	return r;
}

void fm_fork_exit(void)
{
	destroy_workqueue(fm_half_wq);
	destroy_workqueue(fm_io_wq);
	bioset_exit(&fm_clone_bioset);
}
