// SPDX-License-Identifier: GPL-2.0-only
/*
 * The forked write: one write bio becomes a write to the backup and, only
 * after that completed successfully, the same write to the primary. While
 * the backup is offline the write is tracked instead: its regions are
 * marked durably in the tracker, then the primary is written.
 *
 *   map()            backup online: clone the bio to the backup, submit
 *                    the clone (after any overlapping fork in flight,
 *                    inflight.c); offline: remap to the primary at once when
 *                    the regions are already marked durably, or queue
 *                    the tracking work
 *   backup end_io    (any context, maybe hard irq) record the status,
 *                    queue the bio's work item
 *   fm_fork_worker   (process context) submit the original bio to the
 *                    primary; after a backup error, go to tracking and
 *                    track the write
 *   fm_track_worker  (process context) mark, then submit to the primary;
 *                    when the mark cannot be made, the write is failed
 *                    (state failed) and the primary left untouched
 *
 * The original bio stays owned by dm until the primary write completes, so
 * dm's suspend waits for every fork in flight and the data pages stay valid
 * while the clone uses them.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>

#include "forkmirror.h"

/*
 * Module-wide resources shared by every forkmirror volume: one bioset for
 * the backup clones and one WQ_MEM_RECLAIM workqueue for the second half of
 * the forks (never a thread or workqueue per volume).
 */
static struct bio_set fm_clone_bioset;
static struct workqueue_struct *fm_io_wq;

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
 * count is dropped once the mark is made or failed.
 */
static void fm_track_and_submit(struct fm_io *io, struct bio *bio)
{
	struct fm_target *fmt = io->fmt;
	u64 first, count;
	int r;

	r = fm_bio_regions(fmt, bio, &first, &count);
	if (!r)
		r = fm_tracker_mark(fmt->vol, first, count);
	fm_track_end(fmt);
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

static void fm_fork_worker(struct work_struct *work)
{
	struct fm_io *io = container_of(work, struct fm_io, work);
	struct bio *bio = dm_bio_from_per_bio_data(io, sizeof(struct fm_io));
	struct fm_target *fmt = io->fmt;

	if (unlikely(io->backup_status)) {
		atomic64_inc(&fmt->backup_errors);
		fm_tracker_count(fmt->vol, FM_CNT_BACKUP_ERRORS, 1);
		/*
		 * Counted before the backup goes offline: a resync that brings
		 * it back waits for this mark (fm_track_begin() explains).
		 */
		atomic_inc(&fmt->tracking_writes);
		fm_backup_offline(fmt, "backup write failed");
		fm_track_and_submit(io, bio);
		return;
	}
	submit_bio_noacct(bio);
}

static void fm_backup_endio(struct bio *clone)
{
	struct bio *bio = clone->bi_private;
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	io->backup_status = clone->bi_status;
	bio_put(clone);
	queue_work(fm_io_wq, &io->work);
}

/* The first half of a fork: the write to the backup. */
static void fm_fork_start(struct fm_target *fmt, struct bio *bio)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));
	struct bio *clone;

	INIT_WORK(&io->work, fm_fork_worker);
	clone = bio_alloc_clone(fmt->backup->bdev, bio, GFP_NOIO,
				&fm_clone_bioset);
	clone->bi_private = bio;
	clone->bi_end_io = fm_backup_endio;
	submit_bio_noacct(clone);
}

/**
 * fm_fork_write() - start a serial forked write
 * @fmt: the target
 * @bio: a write, flush, discard or write-zeroes bio, already remapped to
 *	the primary
 *
 * Context: map; never sleeps (the clone comes from a mempool with
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

	if (!READ_ONCE(fmt->backup_online)) {
		/* An empty flush has nothing to track: the primary alone. */
		if (!bio_sectors(bio))
			return DM_MAPIO_REMAPPED;
		if (!fm_bio_regions(fmt, bio, &first, &count) &&
		    fm_tracker_marked(fmt->vol, first, count))
			return DM_MAPIO_REMAPPED;
		if (fm_track_begin(fmt)) {
			INIT_WORK(&io->work, fm_track_worker);
			queue_work(fm_io_wq, &io->work);
			return DM_MAPIO_SUBMITTED;
		}
		/* The backup came back meanwhile: fork. */
	}

	/* Overlapping a fork in flight: started later by inflight.c. */
	if (fm_inflight_start(fmt, bio))
		fm_fork_start(fmt, bio);
	return DM_MAPIO_SUBMITTED;
}

/**
 * fm_fork_deferred() - start a write that waited for an overlapping fork
 * @fmt: the target
 * @bio: the write, holding its in-flight buckets
 *
 * The backup may have gone offline while the write waited: it is tracked
 * then, as a write arriving now would be.
 *
 * Context: process context (inflight.c's work item); may sleep.
 */
void fm_fork_deferred(struct fm_target *fmt, struct bio *bio)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	if (!READ_ONCE(fmt->backup_online) && fm_track_begin(fmt))
		fm_track_and_submit(io, bio);
	else
		fm_fork_start(fmt, bio);
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
	int r;

	r = fm_geom_regions(&fmt->geom, io->sector, io->nr_sectors, &first,
			    &count);
	if (!r)
		r = fm_tracker_mark(fmt->vol, first, count);
	fm_tracker_count(fmt->vol, FM_CNT_PRIMARY_ERRORS, 1);
	if (r) {
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
 * Context: end_io (any context): only queues work.
 * Return: true when the bio is taken over (end_io returns
 * DM_ENDIO_INCOMPLETE; the bio is completed again, with the error, once
 * its regions are marked); false when there is nothing to mark (an empty
 * flush, or the second completion).
 */
bool fm_fork_primary_error(struct fm_target *fmt, struct bio *bio,
			   blk_status_t error)
{
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	if (io->error_marked || !io->nr_sectors)
		return false;
	io->error_marked = true;
	io->primary_status = error;
	INIT_WORK(&io->work, fm_primary_error_worker);
	queue_work(fm_io_wq, &io->work);
	return true;
}

/* Queue a work item of a forkmirror target on the module's workqueue. */
void fm_queue_io_work(struct work_struct *work)
{
	queue_work(fm_io_wq, work);
}

int fm_fork_init(void)
{
	int r;

	r = bioset_init(&fm_clone_bioset, BIO_POOL_SIZE, 0, BIOSET_NEED_RESCUER);
	if (r)
		return r;

	fm_io_wq = alloc_workqueue("forkmirror_io", WQ_MEM_RECLAIM, 0);
	if (!fm_io_wq) {
		r = -ENOMEM;
		goto bad_free_bioset;
	}
	return 0;

bad_free_bioset:
	bioset_exit(&fm_clone_bioset);
	return r;
}

void fm_fork_exit(void)
{
	destroy_workqueue(fm_io_wq);
	bioset_exit(&fm_clone_bioset);
}
