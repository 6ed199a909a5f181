// SPDX-License-Identifier: GPL-2.0-only
/*
 * The write-intent log.
 *
 * With the backup online, a crash can leave the two devices different in
 * every region that had a fork in flight. So every region a fork writes
 * is marked durably in the tracker before the fork starts (an intent
 * mark), and the mark is cleared lazily once both devices durably hold
 * the region's data: after a crash, only regions written shortly before
 * it are resynced (BRIEF.md, invariant 4).
 *
 * Two kinds of set bits share the tracker's bitmap: intent marks, which
 * this file clears, and regions that wait for a copy (written while the
 * backup was offline, failed on the primary, full_resync, or found set by
 * a new table), which only a resync clears. @marks says which set bits
 * are intent marks; every other set bit waits for a copy. A region joins
 * @marks only when its tracker bit was clear, and anything that makes a
 * region wait for a copy takes it out of @marks (fm_intent_to_copy()), so
 * this file never clears a bit that waits for a copy.
 *
 * Clearing (invariant 2), a pass of the clear work every window / 3:
 *
 *   t0  under the lock: note whether some intent mark is idle (not in
 *       @touched: not touched since the pass before), then @touched
 *       becomes @recent and a new @touched begins; if none was idle,
 *       stop here (no mark could be cleared that the next pass will not
 *       clear: fm_intent_pass());
 *       flush the backup, then the primary;
 *   t1  under the lock: clear every intent mark whose region is in
 *       neither @recent nor @touched and has no fork in flight (no fork
 *       took or released it for a whole period before t0, nor since, and
 *       no fork writing into it holds its buckets:
 *       fm_inflight_region_busy()); then write the clears to the store
 *       (one metadata write).
 *
 * A fork sets its regions in @touched when it takes its buckets (map, or
 * the deferred-fork work), and again when it releases them (the fork
 * completed); it is in flight while it holds them. So a
 * region cleared at t1 had every write to it completed before t0 (one
 * completing later would be in @touched, one still in flight is found by
 * fm_inflight_region_busy()), the flushes issued after t0 made
 * them durable on both devices, and none started since t0. Map checks
 * the tracker bit under the same lock as it takes the buckets, so a
 * write arriving after t1 sees the bit gone and marks it again. A region
 * is thus cleared at least one period and at most two periods plus the
 * flushes after its last write completed: within the window
 * (FM_INTENT_WINDOW_DEFAULT_MS, the table's intent_window), as long as a
 * flush of each device takes less than a sixth of it. @recent keeps the
 * marks of regions written more often than once a period: clearing them
 * would only make their next write wait for a new mark.
 *
 * Clearing stops while the backup is offline (its writes are tracked;
 * fm_intent_drop_all() turns every intent mark into a region waiting for
 * a copy at the moment the backup goes offline) and while
 * fm_intent_hold() holds it (a region on its way to waiting for a copy).
 * A tracked write always leaves its regions waiting for a copy
 * (fm_intent_to_copy()), even when the backup came back meanwhile and a
 * fork made an intent mark of one. A failed flush of the primary (a pass's
 * or a user's) turns every intent mark into a region waiting for a copy:
 * completed writes may be lost there (fm_intent_primary_lost()).
 * A clean suspend runs one last pass with no I/O in flight, which clears
 * every mark when both flushes succeed: a reload or a clean shutdown
 * leaves no intent mark for the next table to find.
 *
 * Locking: every field of struct fm_intent but @work and @period is
 * guarded by fmt->inflight.lock (irq-safe, as map and completions take
 * it); the lock nests outside the tracker's volume lock.
 */
#include <linux/blkdev.h>
#include <linux/jiffies.h>

#include "forkmirror.h"

/* Regions examined per lock hold of a clearing pass. */
#define FM_INTENT_BATCH 1024U

/**
 * fm_intent_touch() - a fork took or released its regions
 * @fmt: the target
 * @first: first region
 * @count: number of regions
 *
 * The regions are touched in this period: the next two clearing passes
 * keep their marks. While the fork holds its in-flight buckets they are
 * busy as well (fm_inflight_region_busy()).
 *
 * Context: any (map or a completion); caller holds fmt->inflight.lock.
 */
void fm_intent_touch(struct fm_target *fmt, u64 first, u64 count)
{
	lockdep_assert_held(&fmt->inflight.lock);
	if (!fm_intent_enabled(fmt))
		return;
	fm_bitmap_set(&fmt->intent.touched, first, count);
}

/**
 * fm_intent_covered() - whether a fork's regions are marked durably
 * @fmt: the target
 * @first: first region
 * @count: number of regions (0: nothing to cover)
 *
 * Context: any (map: memory only); caller holds fmt->inflight.lock and
 * the fork's buckets.
 * Return: true when the fork may start without marking first: every
 * region is marked durably, there is nothing to cover, or the table runs
 * no_intent_log.
 */
bool fm_intent_covered(struct fm_target *fmt, u64 first, u64 count)
{
	lockdep_assert_held(&fmt->inflight.lock);
	return !count || !fm_intent_enabled(fmt) ||
	       fm_tracker_marked(fmt->vol, first, count);
}

/* Start the clear work if it is not pending. Caller holds the lock. */
static void fm_intent_arm(struct fm_target *fmt)
{
	struct fm_intent *in = &fmt->intent;

	lockdep_assert_held(&fmt->inflight.lock);
	if (in->armed || in->suspended || !in->marks.count)
		return;
	in->armed = true;
	fm_queue_io_delayed(&in->work, in->period);
}

/*
 * Add the regions of [first, first + count) whose tracker bit is clear to
 * @marks (those already set either are intent marks or wait for a copy,
 * and stay what they are). Returns how many were added. Caller holds the
 * lock.
 */
static u64 fm_intent_add(struct fm_target *fmt, u64 first, u64 count)
{
	u64 end = first + count, clean, dirty, added = 0;

	for (clean = first; clean < end; clean = dirty) {
		clean = fm_tracker_next_clean(fmt->vol, clean);
		if (clean >= end)
			break;
		dirty = min(fm_tracker_next_dirty(fmt->vol, clean), end);
		added += fm_bitmap_set(&fmt->intent.marks, clean, dirty - clean);
	}
	return added;
}

/**
 * fm_intent_mark() - mark a fork's regions durably before it starts
 * @fmt: the target
 * @first: first region
 * @count: number of regions
 *
 * Context: process context (the fork work), may sleep for metadata I/O;
 * the caller holds the fork's in-flight buckets.
 * Return: 0 once every region is marked durably; -EAGAIN when the backup
 * went offline meanwhile (the write is to be tracked, nothing was
 * marked); otherwise the tracker's error (the fork may still go ahead
 * serially: the backup is written first).
 */
int fm_intent_mark(struct fm_target *fmt, u64 first, u64 count)
{
	struct fm_inflight *fl = &fmt->inflight;
	u64 added;
	int r;

	spin_lock_irq(&fl->lock);
	if (!READ_ONCE(fmt->backup_online)) {
		spin_unlock_irq(&fl->lock);
		return -EAGAIN;
	}
	added = fm_intent_add(fmt, first, count);
	fmt->intent.adding += added;
	spin_unlock_irq(&fl->lock);

	r = fm_tracker_mark(fmt->vol, first, count);

	spin_lock_irq(&fl->lock);
	fmt->intent.adding -= added;
	fm_intent_arm(fmt);
	spin_unlock_irq(&fl->lock);
	if (r) {
		fm_tracker_count(fmt->vol, FM_CNT_TRACKER_ERRORS, 1);
		DMERR_LIMIT("%s: intent mark failed (%d): write forked serially",
			    dm_device_name(dm_table_get_md(fmt->ti->table)), r);
	}
	return r;
}

/**
 * fm_intent_hold() - stop clearing intent marks until fm_intent_release()
 * @fmt: the target
 *
 * Context: any (a completion); never sleeps.
 */
void fm_intent_hold(struct fm_target *fmt)
{
	unsigned long flags;

	spin_lock_irqsave(&fmt->inflight.lock, flags);
	fmt->intent.holds++;
	spin_unlock_irqrestore(&fmt->inflight.lock, flags);
}

void fm_intent_release(struct fm_target *fmt)
{
	unsigned long flags;

	spin_lock_irqsave(&fmt->inflight.lock, flags);
	fmt->intent.holds--;
	spin_unlock_irqrestore(&fmt->inflight.lock, flags);
}

/**
 * fm_intent_to_copy() - make regions wait for a copy
 * @fmt: the target
 * @first: first region
 * @count: number of regions
 *
 * Marks the regions durably and takes them out of the intent marks, with
 * clearing held meanwhile, so that no pass clears one of them between
 * the two steps.
 *
 * Context: process context, may sleep (metadata I/O).
 * Return: 0 or the tracker's error (the regions' intent marks, if any,
 * are still taken out: they are never cleared lazily).
 */
int fm_intent_to_copy(struct fm_target *fmt, u64 first, u64 count)
{
	struct fm_inflight *fl = &fmt->inflight;
	int r;

	fm_intent_hold(fmt);
	r = fm_tracker_mark(fmt->vol, first, count);
	spin_lock_irq(&fl->lock);
	if (!first && count >= fmt->intent.marks.nbits)
		fm_bitmap_zero(&fmt->intent.marks);
	else
		fm_bitmap_clear(&fmt->intent.marks, first, count);
	fmt->intent.holds--;
	spin_unlock_irq(&fl->lock);
	return r;
}

/**
 * fm_intent_drop_all() - every intent mark waits for a copy from now on
 * @fmt: the target
 *
 * The backup goes offline: its last writes may not be durable, and writes
 * from now on are tracked, not forked.
 *
 * Context: any; caller holds fmt->inflight.lock.
 */
void fm_intent_drop_all(struct fm_target *fmt)
{
	lockdep_assert_held(&fmt->inflight.lock);
	fm_bitmap_zero(&fmt->intent.marks);
}

/**
 * fm_intent_waiting() - regions that wait for a copy
 * @fmt: the target
 *
 * The tracker's set bits that are not intent marks. Intent marks still
 * being made (in @marks, maybe not yet in the tracker) are not taken off
 * the count: it errs towards a region waiting, never the other way.
 *
 * Context: any but hard irq; never sleeps.
 */
u64 fm_intent_waiting(struct fm_target *fmt)
{
	struct fm_intent *in = &fmt->intent;
	unsigned long flags;
	u64 dirty, marks;

	spin_lock_irqsave(&fmt->inflight.lock, flags);
	dirty = fm_tracker_dirty_regions(fmt->vol);
	marks = in->marks.count > in->adding ? in->marks.count - in->adding : 0;
	spin_unlock_irqrestore(&fmt->inflight.lock, flags);
	return dirty > marks ? dirty - marks : 0;
}

/**
 * fm_intent_next_waiting() - the next run of regions waiting for a copy
 * @fmt: the target
 * @from: where to start
 * @max: longest run wanted (at least 1)
 * @first: the run's first region
 *
 * Set tracker bits that are not intent marks, in order from @from; the
 * tracker's summary skips clean leaves.
 *
 * Context: process context (takes the in-flight lock with irqs off).
 * Return: the run's length, at most @max; 0 when no region at or after
 * @from waits for a copy.
 */
u64 fm_intent_next_waiting(struct fm_target *fmt, u64 from, u64 max,
			   u64 *first)
{
	struct fm_inflight *fl = &fmt->inflight;
	struct fm_intent *in = &fmt->intent;
	u64 total = fmt->geom.region_count;
	bool marks = fm_intent_enabled(fmt);
	u64 r, len = 0;

	while (from < total) {
		r = fm_tracker_next_dirty(fmt->vol, from);
		if (r >= total)
			return 0;
		spin_lock_irq(&fl->lock);
		while (len < max && r + len < total &&
		       fm_tracker_test(fmt->vol, r + len) &&
		       !(marks && fm_bitmap_test(&in->marks, r + len)))
			len++;
		spin_unlock_irq(&fl->lock);
		if (len) {
			*first = r;
			return len;
		}
		from = r + 1;
		cond_resched();
	}
	return 0;
}

/**
 * fm_intent_tracked_fast() - may a tracked write go straight to the primary?
 * @fmt: the target
 * @first: first region
 * @count: number of regions
 *
 * The caller saw the backup offline after counting the write in
 * tracking_writes (fm_track_begin()), and holds the count until the write
 * completes. The regions must be marked durably, and the backup still
 * offline once that was seen: then every bit seen waits for a copy, and
 * stays set until the write completed, without the in-flight lock.
 *
 * - A bit that waits for a copy is cleared only by a resync, which brings
 *   the backup online and then waits for tracking_writes to drop to zero
 *   before it copies anything (fm_backup_online()).
 * - A bit seen set may be an intent mark only if the backup came online
 *   after the caller's first look. The look again here, after the bits
 *   (smp_rmb(), pairing with the full barriers of the tracker's lock the
 *   marking fork took after it saw the backup online), sends such a
 *   write to the slow path, which makes its regions wait for a copy.
 *   If the backup went offline again in between, fm_backup_offline()
 *   turned the mark into a region waiting for a copy; no pass cleared it
 *   before that, since no pass clears while tracking_writes is non-zero
 *   (fm_intent_may_clear(); the counter was raised, with a full barrier,
 *   before the caller's first look, and fm_backup_online() has a full
 *   barrier between making the backup online and any pass).
 *
 * Context: map; never sleeps (the tracker's lock is a spinlock).
 */
bool fm_intent_tracked_fast(struct fm_target *fmt, u64 first, u64 count)
{
	if (!fm_tracker_marked(fmt->vol, first, count))
		return false;
	smp_rmb();	/* the bits before backup_online, see above */
	return !READ_ONCE(fmt->backup_online);
}

/**
 * fm_intent_primary_lost() - the primary may have lost completed writes
 * @fmt: the target
 * @why: what happened, for the log
 *
 * A flush of the primary failed: writes it completed since its last
 * flush may be gone, so no intent mark may be cleared as if they were
 * durable. Every intent mark waits for a copy from now on (they are
 * durable already) and an in_sync volume goes to tracking; without the
 * intent log, every region waits for a copy (fm_mark_all()).
 *
 * Context: process context, may sleep.
 */
void fm_intent_primary_lost(struct fm_target *fmt, const char *why)
{
	/* Without intent marks, nothing says which regions it lost. */
	if (!fm_intent_enabled(fmt)) {
		if (fm_mark_all(fmt, why))
			DMERR_LIMIT("%s: %s: the volume cannot be marked for a full resync",
				    dm_device_name(dm_table_get_md(fmt->ti->table)), why);
		return;
	}
	spin_lock_irq(&fmt->inflight.lock);
	fm_intent_drop_all(fmt);
	spin_unlock_irq(&fmt->inflight.lock);
	if (fm_tracker_dirty_regions(fmt->vol))
		fm_state_move(fmt, BIT(FM_STATE_IN_SYNC), FM_STATE_TRACKING, why);
}

/* Whether a pass may clear now: backup online, nothing held. */
/*
 * Caller holds the in-flight lock. Not while a tracked write is in
 * flight: fm_intent_tracked_fast() relies on it.
 */
static bool fm_intent_may_clear(struct fm_target *fmt)
{
	smp_mb();	/* pairs with fm_track_begin()'s barrier */
	return READ_ONCE(fmt->backup_online) && !fmt->intent.holds &&
	       !atomic_read(&fmt->tracking_writes);
}

/* Clear the intent marks of regions [start, end). Caller holds the lock. */
static u64 fm_intent_clear_run(struct fm_target *fmt, u64 start, u64 end)
{
	if (start >= end)
		return 0;
	fm_tracker_clear(fmt->vol, start, end - start);
	fm_bitmap_clear(&fmt->intent.marks, start, end - start);
	return end - start;
}

/*
 * t1 of a pass: clear the intent marks of regions neither touched in the
 * period before t0 nor since, nor in flight, in batches under the lock.
 * Returns how many.
 */
static u64 fm_intent_clear_untouched(struct fm_target *fmt)
{
	struct fm_inflight *fl = &fmt->inflight;
	struct fm_intent *in = &fmt->intent;
	u64 r = 0, start, cleared = 0;
	unsigned int batch;

	spin_lock_irq(&fl->lock);
	while (fm_intent_may_clear(fmt)) {
		r = fm_bitmap_next_set(&in->marks, r);
		if (r >= in->marks.nbits)
			break;
		/* [start, r) is a run of marks to clear. */
		start = r;
		for (batch = 0; batch < FM_INTENT_BATCH; batch++, r++) {
			if (r >= in->marks.nbits || !fm_bitmap_test(&in->marks, r))
				break;
			if (!fm_bitmap_test(&in->touched, r) &&
			    !fm_bitmap_test(&in->recent, r) &&
			    !fm_inflight_region_busy(fmt, r))
				continue;
			cleared += fm_intent_clear_run(fmt, start, r);
			start = r + 1;
		}
		cleared += fm_intent_clear_run(fmt, start, r);
		spin_unlock_irq(&fl->lock);
		cond_resched();
		spin_lock_irq(&fl->lock);
	}
	spin_unlock_irq(&fl->lock);
	return cleared;
}

/*
 * One clearing pass (see the top of the file). Process context; never
 * runs twice at once (the clear work, or postsuspend after cancelling
 * it).
 *
 * A periodic pass (@last false) flushes only when some mark is idle at
 * t0: not touched since the pass before (a fork in flight for a whole
 * period is not looked for: it only costs a flush). When none is,
 * it only moves @touched to @recent: a mark whose region's last write
 * completed before this t0 is idle at the next pass, which clears it. So
 * a steady load sees no flush of ours, and a mark still goes at most two
 * periods plus the flushes after its region's last write. The last pass
 * of a suspend (@last), with no write in flight, always flushes and
 * clears every mark (it forgets @recent too).
 */
static void fm_intent_pass(struct fm_target *fmt, bool last)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	struct fm_inflight *fl = &fmt->inflight;
	struct fm_intent *in = &fmt->intent;
	bool idle;
	u64 cleared;
	int r;

	spin_lock_irq(&fl->lock);
	if (!fm_intent_may_clear(fmt) || !in->marks.count) {
		spin_unlock_irq(&fl->lock);
		return;
	}
	/* A mark outside @touched (passed twice: no third bitmap here). */
	idle = last || fm_bitmap_any_outside(&in->marks, &in->touched,
					     &in->touched);
	swap(in->recent, in->touched);
	fm_bitmap_zero(&in->touched);
	if (last)
		fm_bitmap_zero(&in->recent);
	spin_unlock_irq(&fl->lock);
	if (!idle)
		return;

	r = blkdev_issue_flush(fmt->backup->bdev);
	if (r) {
		/* Its writes may not be durable: they wait for a copy. */
		atomic64_inc(&fmt->backup_errors);
		fm_tracker_count(fmt->vol, FM_CNT_BACKUP_ERRORS, 1);
		fm_backup_offline(fmt, "backup flush failed");
		return;
	}
	r = blkdev_issue_flush(fmt->primary->bdev);
	if (r) {
		atomic64_inc(&fmt->primary_errors);
		fm_tracker_count(fmt->vol, FM_CNT_PRIMARY_ERRORS, 1);
		DMERR_LIMIT("%s: primary flush failed (%d): intent marks wait for a copy",
			    dev, r);
		fm_intent_primary_lost(fmt, "primary flush failed");
		return;
	}
	cleared = fm_intent_clear_untouched(fmt);
	if (cleared && fm_tracker_flush(fmt->vol))
		DMWARN_LIMIT("%s: cleared intent marks not written to the tracker store yet",
			     dev);
}

static void fm_intent_worker(struct work_struct *work)
{
	struct fm_intent *in = container_of(to_delayed_work(work),
					    struct fm_intent, work);
	struct fm_target *fmt = container_of(in, struct fm_target, intent);
	struct fm_inflight *fl = &fmt->inflight;

	fm_intent_pass(fmt, false);
	spin_lock_irq(&fl->lock);
	in->armed = false;
	fm_intent_arm(fmt);
	spin_unlock_irq(&fl->lock);
}

/**
 * fm_intent_suspend() - last clearing pass of a suspended table
 * @fmt: the target
 *
 * No write is in flight (postsuspend): every intent mark is cleared when
 * both flushes succeed. The clear work stays off until fm_intent_resume().
 *
 * Context: process context, may sleep.
 */
void fm_intent_suspend(struct fm_target *fmt)
{
	struct fm_inflight *fl = &fmt->inflight;

	spin_lock_irq(&fl->lock);
	fmt->intent.suspended = true;
	spin_unlock_irq(&fl->lock);
	cancel_delayed_work_sync(&fmt->intent.work);
	spin_lock_irq(&fl->lock);
	fmt->intent.armed = false;
	spin_unlock_irq(&fl->lock);
	fm_intent_pass(fmt, true);
}

/**
 * fm_intent_resume() - let the clear work run again
 * @fmt: the target
 *
 * Context: process context (resume); never fails.
 */
void fm_intent_resume(struct fm_target *fmt)
{
	struct fm_inflight *fl = &fmt->inflight;

	spin_lock_irq(&fl->lock);
	fmt->intent.suspended = false;
	fm_intent_arm(fmt);
	spin_unlock_irq(&fl->lock);
}

/**
 * fm_intent_init() - allocate the intent state of a new table
 * @fmt: the target, its geometry and arguments set
 * @error: a static message on failure
 *
 * Context: constructor, may sleep.
 */
int fm_intent_init(struct fm_target *fmt, const char **error)
{
	struct fm_intent *in = &fmt->intent;
	int r;

	INIT_DELAYED_WORK(&in->work, fm_intent_worker);
	in->period = max(1UL, msecs_to_jiffies(fmt->args.intent_window_ms / 3));
	/* A table started suspended: fm_intent_resume() arms the work. */
	in->suspended = true;
	if (!fm_intent_enabled(fmt))
		return 0;
	r = fm_bitmap_init(&in->marks, fmt->geom.region_count);
	if (r)
		goto bad;
	r = fm_bitmap_init(&in->touched, fmt->geom.region_count);
	if (r)
		goto bad_free_marks;
	r = fm_bitmap_init(&in->recent, fmt->geom.region_count);
	if (r)
		goto bad_free_touched;
	return 0;

bad_free_touched:
	fm_bitmap_free(&in->touched);
bad_free_marks:
	fm_bitmap_free(&in->marks);
bad:
	*error = "Cannot allocate the write-intent bitmaps";
	return r;
}

/**
 * fm_intent_exit() - free the intent state
 * @fmt: the target, its writes all completed
 *
 * Context: destructor, may sleep.
 */
void fm_intent_exit(struct fm_target *fmt)
{
	cancel_delayed_work_sync(&fmt->intent.work);
	if (!fm_intent_enabled(fmt))
		return;
	fm_bitmap_free(&fmt->intent.recent);
	fm_bitmap_free(&fmt->intent.touched);
	fm_bitmap_free(&fmt->intent.marks);
}
