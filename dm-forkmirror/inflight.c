// SPDX-License-Identifier: GPL-2.0-only
/*
 * Overlapping forked writes.
 *
 * Two writes to the same sectors that are in flight together may complete
 * in one order on the backup and in the other on the primary, leaving the
 * devices silently different. So two forks never overlap in time: a write
 * whose lock units meet a fork in flight waits until that fork completed
 * on both devices, then starts (BRIEF.md, design rules).
 *
 * The volume is cut into lock units of 2^FM_INFLIGHT_UNIT_SHIFT sectors
 * (or of the region size when regions are smaller), hashed to
 * FM_INFLIGHT_BUCKETS buckets (unit modulo the bucket count, so neighbouring units use
 * different buckets); a fork holds the buckets of the units it writes
 * from map until it completed (both halves). Units, not regions: writes
 * to different parts of a large region go at once. A bucket is held by
 * at most one fork at a time, so one bit per bucket is the whole count,
 * and fl->owner names the fork holding it.
 * Writes that only share a bucket, not a unit, wait too: a cost in
 * throughput on rare hash collisions, never in correctness.
 *
 * A write that cannot take its buckets in map is put on the target's
 * deferred list (map never waits) and started by the target's work item
 * once a completion freed buckets. The buckets the deferred writes want
 * are kept too (fl->wanted): map defers a new fork that wants one of them
 * behind the list, so a waiting write is not starved by later ones, and
 * starts any other at once. The work item starts the list in order, and
 * a write that still cannot start holds back later writes that share its
 * buckets.
 *
 * Taking and releasing the buckets also tells the intent log which
 * regions are touched (intent.c), under the same lock, and
 * fm_inflight_start() checks the fork's intent mark under it; the intent
 * log asks fm_inflight_region_busy() whether a region has a fork in
 * flight (the owners of the held buckets of its units say exactly).
 *
 * Writes while the backup is offline go to the primary alone and take no
 * buckets; a deferred write whose backup went offline meanwhile is
 * tracked instead of forked.
 *
 * The resync locks the regions it copies (fm_inflight_lock_regions(),
 * each run of a batch): it sets them in fl->resync, buckets of regions
 * (region modulo the bucket count), which map and the work item treat as
 * busy for any fork into those regions, so no new fork starts there; then
 * it waits once (fm_inflight_wait_forks()) for every fork that took its
 * buckets before, whichever its regions (forks are counted by epoch:
 * fl->epoch_forks). Forks wanting the regions are deferred until
 * fm_inflight_unlock_regions().
 */
#include <linux/bio.h>
#include <linux/bitmap.h>

#include "forkmirror.h"

/* Buckets of regions [first, first + n), with wrap: the resync's locks. */
static void fm_region_buckets(u64 first, u64 n, unsigned int *start,
			      unsigned int *count)
{
	*start = first & (FM_INFLIGHT_BUCKETS - 1);
	*count = min_t(u64, n, FM_INFLIGHT_BUCKETS);
}

/* log2 of the lock unit in sectors: a region, or less for large ones. */
static u32 fm_unit_shift(const struct fm_target *fmt)
{
	return min_t(u32, fmt->geom.region_shift, FM_INFLIGHT_UNIT_SHIFT);
}

/*
 * Buckets of the units that sectors [sector, sector + nr) meet, with
 * wrap; nr > 0.
 */
static void fm_unit_buckets(const struct fm_target *fmt, u64 sector, u64 nr,
			    unsigned int *start, unsigned int *count)
{
	u32 shift = fm_unit_shift(fmt);
	u64 first = sector >> shift, last = (sector + nr - 1) >> shift;

	*start = first & (FM_INFLIGHT_BUCKETS - 1);
	*count = min_t(u64, last - first + 1, FM_INFLIGHT_BUCKETS);
}

/* Buckets of the units of regions [first, first + n); n > 0. */
static void fm_region_unit_buckets(const struct fm_target *fmt, u64 first,
				   u64 n, unsigned int *start,
				   unsigned int *count)
{
	u64 s0, n0, s1, n1;

	fm_geom_region_span(&fmt->geom, first, &s0, &n0);
	fm_geom_region_span(&fmt->geom, first + n - 1, &s1, &n1);
	fm_unit_buckets(fmt, s0, s1 + n1 - s0, start, count);
}

/*
 * A bio's regions (*first, *n), the buckets of its units (*start,
 * *count) and of its regions (*rstart, *rcount), with wrap; false for a
 * bio without sectors or out of range.
 */
static bool fm_inflight_range(struct fm_target *fmt, struct bio *bio,
			      u64 *first, u64 *n, unsigned int *start,
			      unsigned int *count, unsigned int *rstart,
			      unsigned int *rcount)
{
	if (!bio_sectors(bio) ||
	    fm_geom_regions(&fmt->geom, bio->bi_iter.bi_sector,
			    bio_sectors(bio), first, n))
		return false;
	fm_unit_buckets(fmt, bio->bi_iter.bi_sector, bio_sectors(bio), start,
			count);
	fm_region_buckets(*first, *n, rstart, rcount);
	return true;
}

/* Is any bucket of [start, start + count) (wrapping) set in @bits? */
static bool fm_buckets_busy(const unsigned long *bits, unsigned int start,
			    unsigned int count)
{
	unsigned int end = min(start + count, (unsigned int)FM_INFLIGHT_BUCKETS);

	if (find_next_bit(bits, end, start) < end)
		return true;
	count -= end - start;
	return count && find_next_bit(bits, count, 0) < count;
}

static void fm_buckets_set(unsigned long *bits, unsigned int start,
			   unsigned int count)
{
	unsigned int head = min(count, FM_INFLIGHT_BUCKETS - start);

	bitmap_set(bits, start, head);
	if (count > head)
		bitmap_set(bits, 0, count - head);
}

static void fm_buckets_clear(unsigned long *bits, unsigned int start,
			     unsigned int count)
{
	unsigned int head = min(count, FM_INFLIGHT_BUCKETS - start);

	bitmap_clear(bits, start, head);
	if (count > head)
		bitmap_clear(bits, 0, count - head);
}

/*
 * Take the buckets [start, start + count) (with wrap) for @io, whose
 * regions are [first, first + n); the caller holds fl->lock and checked
 * them. The regions are touched for the intent log's clearing
 * (intent.c), and in flight until fm_inflight_end().
 */
static void fm_inflight_take(struct fm_target *fmt, struct fm_io *io,
			     u64 first, u64 n, unsigned int start,
			     unsigned int count)
{
	struct fm_inflight *fl = &fmt->inflight;
	unsigned int i;

	lockdep_assert_held(&fl->lock);
	fm_buckets_set(fl->busy, start, count);
	for (i = 0; i < count; i++)
		fl->owner[(start + i) & (FM_INFLIGHT_BUCKETS - 1)] = io;
	io->bucket_start = start;
	io->bucket_count = count;
	io->epoch = fl->epoch & 1;
	fl->epoch_forks[io->epoch]++;
	io->crowded = fl->epoch_forks[0] + fl->epoch_forks[1] > 1;
	fm_intent_touch(fmt, first, n);
}

/*
 * Start the deferred writes that can start now, in order. Runs after a
 * completion freed buckets.
 */
static void fm_inflight_worker(struct work_struct *work)
{
	struct fm_inflight *fl = container_of(work, struct fm_inflight, work);
	struct fm_target *fmt = container_of(fl, struct fm_target, inflight);
	DECLARE_BITMAP(held_back, FM_INFLIGHT_BUCKETS);
	struct bio_list go = BIO_EMPTY_LIST;
	struct bio_list wait = BIO_EMPTY_LIST;
	unsigned int start, count, rstart, rcount;
	unsigned long flags;
	struct bio *bio;
	struct fm_io *io;
	u64 first, n;

	bitmap_zero(held_back, FM_INFLIGHT_BUCKETS);
	spin_lock_irqsave(&fl->lock, flags);
	while ((bio = bio_list_pop(&fl->deferred))) {
		io = dm_per_bio_data(bio, sizeof(struct fm_io));
		if (!fm_inflight_range(fmt, bio, &first, &n, &start, &count,
				       &rstart, &rcount)) {
			bio_list_add(&go, bio);
			continue;
		}
		if (fm_buckets_busy(fl->busy, start, count) ||
		    fm_buckets_busy(fl->resync, rstart, rcount) ||
		    fm_buckets_busy(held_back, start, count)) {
			fm_buckets_set(held_back, start, count);
			bio_list_add(&wait, bio);
			continue;
		}
		fm_inflight_take(fmt, io, first, n, start, count);
		bio_list_add(&go, bio);
	}
	fl->deferred = wait;
	bitmap_copy(fl->wanted, held_back, FM_INFLIGHT_BUCKETS);
	spin_unlock_irqrestore(&fl->lock, flags);

	while ((bio = bio_list_pop(&go)))
		fm_fork_deferred(fmt, bio);
}

void fm_inflight_init(struct fm_inflight *fl)
{
	spin_lock_init(&fl->lock);
	bitmap_zero(fl->busy, FM_INFLIGHT_BUCKETS);
	bitmap_zero(fl->wanted, FM_INFLIGHT_BUCKETS);
	bitmap_zero(fl->resync, FM_INFLIGHT_BUCKETS);
	fl->resync_waits = false;
	fl->epoch = 0;
	fl->epoch_forks[0] = 0;
	fl->epoch_forks[1] = 0;
	init_waitqueue_head(&fl->resync_wait);
	bio_list_init(&fl->deferred);
	INIT_WORK(&fl->work, fm_inflight_worker);
}

/**
 * fm_inflight_start() - claim a write's lock units for a fork
 * @fmt: the target
 * @bio: the write (remapped, target-relative sector)
 *
 * A fork that takes its buckets is checked, under the same lock, for an
 * intent mark covering it (intent.c): the clearing pass cannot take the
 * mark away between the check and the fork's start.
 *
 * Context: map; takes a spinlock, never sleeps.
 * Return: FM_INFLIGHT_COVERED when the fork may start now,
 * FM_INFLIGHT_UNCOVERED when it may start once its regions are marked,
 * FM_INFLIGHT_DEFERRED when the bio was deferred (the work item starts
 * it later).
 */
enum fm_inflight_start fm_inflight_start(struct fm_target *fmt,
					 struct bio *bio)
{
	struct fm_inflight *fl = &fmt->inflight;
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));
	enum fm_inflight_start ret = FM_INFLIGHT_DEFERRED;
	unsigned int start, count, rstart, rcount;
	unsigned long flags;
	u64 first, n;

	if (!fm_inflight_range(fmt, bio, &first, &n, &start, &count, &rstart,
			       &rcount))
		/* No regions: an empty flush; or out of range: not covered. */
		return bio_sectors(bio) ? FM_INFLIGHT_UNCOVERED :
					  FM_INFLIGHT_COVERED;
	spin_lock_irqsave(&fl->lock, flags);
	if (!fm_buckets_busy(fl->busy, start, count) &&
	    !fm_buckets_busy(fl->wanted, start, count) &&
	    !fm_buckets_busy(fl->resync, rstart, rcount)) {
		fm_inflight_take(fmt, io, first, n, start, count);
		ret = fm_intent_covered(fmt, first, n) ? FM_INFLIGHT_COVERED :
							 FM_INFLIGHT_UNCOVERED;
	} else {
		fm_buckets_set(fl->wanted, start, count);
		bio_list_add(&fl->deferred, bio);
	}
	spin_unlock_irqrestore(&fl->lock, flags);
	return ret;
}

/**
 * fm_inflight_region_busy() - may a fork be in flight in a region?
 * @fmt: the target
 * @r: the region
 *
 * True when a fork writing into the region holds its buckets: the held
 * buckets of the region's units are looked at, and their owners' ranges
 * (a bucket shared by another region's unit is held by a fork elsewhere).
 *
 * Context: any; caller holds fmt->inflight.lock.
 */
bool fm_inflight_region_busy(struct fm_target *fmt, u64 r)
{
	struct fm_inflight *fl = &fmt->inflight;
	u32 shift = fmt->geom.region_shift;
	unsigned int start, count, end, b, next;
	const struct fm_io *io;

	lockdep_assert_held(&fl->lock);
	fm_region_unit_buckets(fmt, r, 1, &start, &count);
	/* Two passes over the buckets: [start, end), then the wrap. */
	while (count) {
		end = min(start + count, (unsigned int)FM_INFLIGHT_BUCKETS);
		b = find_next_bit(fl->busy, end, start);
		while (b < end) {
			io = fl->owner[b];
			if (io->sector >> shift <= r &&
			    (io->sector + io->nr_sectors - 1) >> shift >= r)
				return true;
			/* Past the rest of this fork's buckets. */
			next = io->bucket_start + io->bucket_count;
			b = find_next_bit(fl->busy, end,
					  next > b && next <= end ? next : b + 1);
		}
		count -= end - start;
		start = 0;
	}
	return false;
}

/**
 * fm_inflight_end() - release a fork's lock units
 * @fmt: the target
 * @io: the write's per-bio data (nothing happens if it holds no buckets)
 *
 * Context: any, including hard irq (the primary's completion).
 */
void fm_inflight_end(struct fm_target *fmt, struct fm_io *io)
{
	struct fm_inflight *fl = &fmt->inflight;
	unsigned long flags;
	bool kick;

	u64 first, n;

	if (!io->bucket_count)
		return;
	spin_lock_irqsave(&fl->lock, flags);
	if (!fm_geom_regions(&fmt->geom, io->sector, io->nr_sectors, &first, &n))
		fm_intent_touch(fmt, first, n);
	fm_buckets_clear(fl->busy, io->bucket_start, io->bucket_count);
	io->bucket_count = 0;
	kick = !bio_list_empty(&fl->deferred);
	if (!--fl->epoch_forks[io->epoch] && fl->resync_waits)
		wake_up(&fl->resync_wait);
	spin_unlock_irqrestore(&fl->lock, flags);
	if (kick)
		fm_queue_io_work(&fl->work);
}

/* Whether every fork counted in epoch slot @slot completed. */
static bool fm_inflight_drained(struct fm_inflight *fl, unsigned int slot)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&fl->lock, flags);
	idle = !fl->epoch_forks[slot];
	spin_unlock_irqrestore(&fl->lock, flags);
	return idle;
}

/**
 * fm_inflight_lock_regions() - keep forks off regions the resync copies
 * @fmt: the target
 * @first: first region
 * @n: number of regions
 *
 * From now on a fork into the regions is deferred; fm_inflight_wait_forks()
 * then waits for the forks already in flight.
 *
 * Context: process context (the resync).
 */
void fm_inflight_lock_regions(struct fm_target *fmt, u64 first, u64 n)
{
	struct fm_inflight *fl = &fmt->inflight;
	unsigned int start, count;

	fm_region_buckets(first, n, &start, &count);
	spin_lock_irq(&fl->lock);
	fm_buckets_set(fl->resync, start, count);
	spin_unlock_irq(&fl->lock);
}

/**
 * fm_inflight_wait_forks() - wait for the forks that began before now
 * @fmt: the target
 *
 * Returns once every fork that took its buckets before the call completed
 * on both devices: those of the older epoch slot first (taken before the
 * last epoch change; the slot is empty already when, as here, calls never
 * overlap), then, the epoch changed, those of the current one. Forks
 * taking buckets meanwhile join the other slot and are not waited for:
 * they cannot starve the caller. After fm_inflight_lock_regions(), no
 * fork into the locked regions is in flight any more. The resync is the
 * only caller, one call at a time per target (one work item per target).
 *
 * Context: process context, sleeps.
 */
void fm_inflight_wait_forks(struct fm_target *fmt)
{
	struct fm_inflight *fl = &fmt->inflight;
	unsigned int old;

	spin_lock_irq(&fl->lock);
	WARN_ON_ONCE(fl->resync_waits);
	fl->resync_waits = true;
	old = fl->epoch & 1;
	spin_unlock_irq(&fl->lock);
	wait_event(fl->resync_wait, fm_inflight_drained(fl, !old));
	spin_lock_irq(&fl->lock);
	fl->epoch++;
	spin_unlock_irq(&fl->lock);
	wait_event(fl->resync_wait, fm_inflight_drained(fl, old));
	spin_lock_irq(&fl->lock);
	fl->resync_waits = false;
	spin_unlock_irq(&fl->lock);
}

/**
 * fm_inflight_unlock_regions() - let forks at the regions again
 * @fmt: the target
 * @first: first region, as locked
 * @n: number of regions, as locked
 *
 * Context: process context.
 */
void fm_inflight_unlock_regions(struct fm_target *fmt, u64 first, u64 n)
{
	struct fm_inflight *fl = &fmt->inflight;
	unsigned int start, count;
	bool kick;

	fm_region_buckets(first, n, &start, &count);
	spin_lock_irq(&fl->lock);
	fm_buckets_clear(fl->resync, start, count);
	kick = !bio_list_empty(&fl->deferred);
	spin_unlock_irq(&fl->lock);
	if (kick)
		fm_queue_io_work(&fl->work);
}

/*
 * Wait until the work item is idle. Every deferred bio is one dm counts
 * in flight, so once dm has no bio of the target left (destructor), the
 * list is empty and this only waits for a last run of the work item.
 */
void fm_inflight_exit(struct fm_inflight *fl)
{
	flush_work(&fl->work);
	WARN_ON_ONCE(!bio_list_empty(&fl->deferred));
}
