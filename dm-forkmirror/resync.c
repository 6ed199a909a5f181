// SPDX-License-Identifier: GPL-2.0-only
/*
 * The resync: the patent's data mirror reconstruction. Every region that
 * waits for a copy is read from the primary, written to the backup, and
 * its tracker bit cleared.
 *
 * One batch at a time runs on the module's resync pool (a workqueue of
 * FM_RESYNC_WORKERS workers shared by every volume; a batch requeues its
 * volume's work item, so volumes take turns). A batch:
 *
 *   1. collects up to FM_RESYNC_EXTENTS runs of neighbouring regions that
 *      wait for a copy (set in the tracker, not intent marks), walking the
 *      set bits in order from the pass's cursor (the tracker's two-level
 *      bitmap skips clean leaves: the cost grows with the dirty regions,
 *      not the volume), up to FM_RESYNC_BATCH_SECTORS and
 *      FM_RESYNC_BATCH_REGIONS;
 *   2. locks each run against forks (fm_inflight_lock_regions(): forks
 *      wanting them are deferred), then waits once for every fork in
 *      flight (fm_inflight_wait_forks());
 *   3. flushes the primary: every write to the regions completed before
 *      the lock, and a read may be served from the primary's cache;
 *   4. copies the runs through a buffer of two halves of up to
 *      FM_RESYNC_HALF_PAGES pages each, split in up to FM_RESYNC_DEPTH bios
 *      of at most FM_RESYNC_BIO_SECTORS: reads into one half are in flight
 *      with the writes from the other;
 *   5. flushes the backup: the copy is durable;
 *   6. clears the runs' bits, under the state lock, only if the backup
 *      stayed online since the resync began (offline_gen): while it is
 *      offline a write goes to the primary alone, without the buckets, and
 *      may have been missed by the copy;
 *   7. unlocks the runs, and writes the clears to the store (a resync
 *      after a crash starts where this one was).
 *
 * So a bit is cleared only after its copy is durable on the backup, the
 * primary was flushed after the region's last write, and no write touched
 * the region since the copy was read (BRIEF.md, invariants 2 and 3). The
 * resync starts only once the backup is online and every tracked write has
 * completed (fm_backup_online() waits for them): from then on every write
 * forks, and takes the buckets.
 *
 * A pass walks the volume once; the resync keeps making passes until no
 * region waits for a copy, then writes the clears to the store, clears
 * the slot's full-resync flag and reports in_sync. A read error on the
 * primary stops the resync (the regions stay marked; logged); a write or
 * flush error on the backup takes it offline (tracking). The resync stops
 * at the next batch on pause_resync, suspend and the destructor, which wait
 * for it; the state goes back to tracking then.
 *
 * resync_rate (KiB/s) is kept by delaying the next batch until the bytes
 * copied since the rate was last set fit the rate; a batch is then at most
 * a quarter second's worth (at least one region).
 *
 * Locking: @lock guards every field of struct fm_resync but @work; a
 * batch runs with none held (it sleeps) and never runs twice at once (one
 * work item per target).
 */
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/ktime.h>
#include <linux/mm.h>

#include "forkmirror.h"

#define FM_RESYNC_WORKERS	4
#define FM_RESYNC_BIO_SECTORS	2048U	/* at most 1 MiB per bio */
#define FM_RESYNC_DEPTH		8U	/* at most 8 bios per half */
#define FM_RESYNC_HALF_PAGES	(SZ_2M >> PAGE_SHIFT)	/* a half: 2 MiB */
#define FM_SECTORS_PER_PAGE	(PAGE_SIZE >> SECTOR_SHIFT)
#define FM_RESYNC_BATCH_REGIONS	(FM_INFLIGHT_BUCKETS / 4)

static struct workqueue_struct *fm_resync_wq;

/* FM_RESYNC_DEPTH bios in flight, waited for together. */
struct fm_resync_io {
	atomic_t pending;
	struct completion done;
	blk_status_t status;
};

static void fm_resync_endio(struct bio *bio)
{
	struct fm_resync_io *rio = bio->bi_private;

	if (bio->bi_status)
		WRITE_ONCE(rio->status, bio->bi_status);
	bio_put(bio);
	if (atomic_dec_and_test(&rio->pending))
		complete(&rio->done);
}

/*
 * Chunks of a batch for one half of the buffer: up to FM_RESYNC_DEPTH
 * bios, at most FM_RESYNC_HALF_PAGES pages in all. Chunk i is @len[i]
 * sectors at @at[i], through the half's pages from @page[i] on.
 */
struct fm_resync_chunks {
	sector_t at[FM_RESYNC_DEPTH];
	unsigned int len[FM_RESYNC_DEPTH];
	unsigned int page[FM_RESYNC_DEPTH];
	unsigned int nr;
};

/* Where fm_resync_next_chunks() is in a batch. */
struct fm_resync_cursor {
	unsigned int ext;
	sector_t next;		/* next sector of extent @ext, 0: its start */
	bool started;
};

/*
 * Submit @c's bios (one per chunk) on @bdev, through @hp, the pages of one
 * half of the buffer; fm_resync_wait() waits for them.
 */
static void fm_resync_submit(struct fm_resync_io *rio, struct block_device *bdev,
			     enum req_op op, const struct fm_resync_chunks *c,
			     struct page **hp)
{
	unsigned int i, p, n, bytes;
	struct bio *bio;

	atomic_set(&rio->pending, 1);
	init_completion(&rio->done);
	rio->status = BLK_STS_OK;
	for (i = 0; i < c->nr; i++) {
		n = DIV_ROUND_UP(c->len[i], FM_SECTORS_PER_PAGE);
		bio = bio_alloc(bdev, n, op, GFP_NOIO);
		bio->bi_iter.bi_sector = c->at[i];
		bio->bi_end_io = fm_resync_endio;
		bio->bi_private = rio;
		for (p = 0; p < n; p++) {
			bytes = min_t(unsigned int, PAGE_SIZE,
				      (c->len[i] << SECTOR_SHIFT) - (p << PAGE_SHIFT));
			__bio_add_page(bio, hp[c->page[i] + p], bytes, 0);
		}
		atomic_inc(&rio->pending);
		submit_bio(bio);
	}
}

static int fm_resync_wait(struct fm_resync_io *rio)
{
	if (!atomic_dec_and_test(&rio->pending))
		wait_for_completion_io(&rio->done);
	return blk_status_to_errno(READ_ONCE(rio->status));
}

/*
 * The next chunks of the batch's runs, in order, for a half of
 * @half_pages pages; c->nr is 0 at the end.
 */
static void fm_resync_next_chunks(struct fm_target *fmt,
				  const struct fm_resync_batch *b,
				  struct fm_resync_cursor *cur,
				  struct fm_resync_chunks *c,
				  unsigned int half_pages)
{
	unsigned int used = 0, len;
	sector_t end, nr_s;

	c->nr = 0;
	while (c->nr < FM_RESYNC_DEPTH && used < half_pages &&
	       cur->ext < b->nr) {
		fm_geom_region_span(&fmt->geom, b->ext[cur->ext].first +
				    b->ext[cur->ext].count - 1, &end, &nr_s);
		end += nr_s;
		if (!cur->started) {
			fm_geom_region_span(&fmt->geom, b->ext[cur->ext].first,
					    &cur->next, &nr_s);
			cur->started = true;
		}
		if (cur->next >= end) {
			cur->ext++;
			cur->started = false;
			continue;
		}
		len = min_t(sector_t, end - cur->next, FM_RESYNC_BIO_SECTORS);
		len = min_t(unsigned int, len,
			    (half_pages - used) * FM_SECTORS_PER_PAGE);
		c->at[c->nr] = cur->next;
		c->len[c->nr] = len;
		c->page[c->nr] = used;
		cur->next += len;
		used += DIV_ROUND_UP(len, FM_SECTORS_PER_PAGE);
		c->nr++;
	}
}

static int fm_resync_copy(struct fm_target *fmt, struct fm_resync_batch *b,
			  struct page **pages, unsigned int half_pages,
			  bool *backup_failed)
{
	struct page **hp[2] = { pages, pages + half_pages };
	struct fm_resync_chunks c[2];
	struct fm_resync_cursor cur = { 0 };
	struct fm_resync_io rd, wr;
	unsigned int h = 0;
	int r, rw;

	fm_resync_next_chunks(fmt, b, &cur, &c[0], half_pages);
	if (!c[0].nr)
		return 0;
	fm_resync_submit(&rd, fmt->primary->bdev, REQ_OP_READ, &c[0], hp[0]);
	r = fm_resync_wait(&rd);
	while (!r) {
		fm_resync_next_chunks(fmt, b, &cur, &c[!h], half_pages);
		fm_resync_submit(&wr, fmt->backup->bdev, REQ_OP_WRITE, &c[h],
				 hp[h]);
		if (c[!h].nr)
			fm_resync_submit(&rd, fmt->primary->bdev, REQ_OP_READ,
					 &c[!h], hp[!h]);
		rw = fm_resync_wait(&wr);
		r = c[!h].nr ? fm_resync_wait(&rd) : 0;
		if (rw) {
			*backup_failed = true;
			return rw;
		}
		if (!c[!h].nr)
			return r;
		h = !h;
	}
	*backup_failed = false;
	return r;
}

/*
 * Collect the batch from the pass's cursor: runs of regions waiting for a
 * copy, at most @max_sectors in all (but at least one region). Advances
 * the cursor past them; an empty batch means the pass is over.
 */
static void fm_resync_collect(struct fm_target *fmt, struct fm_resync_batch *b,
			      u64 max_sectors)
{
	struct fm_resync *rs = &fmt->resync;
	u64 total = fmt->geom.region_count;
	u64 cursor, first, len, max_regions, rsec;

	rsec = fmt->geom.region_sectors;
	max_regions = max_t(u64, 1, min_t(u64, FM_RESYNC_BATCH_REGIONS,
					  max_sectors / rsec));
	spin_lock_irq(&rs->lock);
	cursor = rs->cursor;
	spin_unlock_irq(&rs->lock);

	b->nr = 0;
	b->regions = 0;
	while (b->nr < FM_RESYNC_EXTENTS && b->regions < max_regions &&
	       cursor < total) {
		len = fm_intent_next_waiting(fmt, cursor,
					     max_regions - b->regions, &first);
		if (!len) {
			cursor = total;
			break;
		}
		b->ext[b->nr].first = first;
		b->ext[b->nr].count = len;
		b->nr++;
		b->regions += len;
		cursor = first + len;
	}
	b->sectors = b->regions * rsec;

	spin_lock_irq(&rs->lock);
	rs->cursor = cursor;
	spin_unlock_irq(&rs->lock);
}

/*
 * The bits of the batch's runs, cleared when the backup stayed online all
 * along. Under state_lock: fm_backup_offline() makes writes go to the
 * primary alone and bumps offline_gen in one section of it.
 */
static bool fm_resync_clear(struct fm_target *fmt, struct fm_resync_batch *b,
			    unsigned long gen)
{
	unsigned int e;
	bool ok;

	mutex_lock(&fmt->state_lock);
	ok = fmt->offline_gen == gen && fmt->backup_online;
	if (ok)
		for (e = 0; e < b->nr; e++)
			fm_tracker_clear(fmt->vol, b->ext[e].first,
					 b->ext[e].count);
	mutex_unlock(&fmt->state_lock);
	return ok;
}

static void fm_resync_free_pages(struct page **pages, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	kfree(pages);
}

/*
 * The buffer for a batch of @sectors: two halves of *@half_pages pages,
 * FM_RESYNC_HALF_PAGES at most, fewer for a small batch (its chunks may
 * still fill both halves: a half takes at most FM_RESYNC_DEPTH of them).
 * Returns the pages, *@n of them, or NULL.
 */
static struct page **fm_resync_alloc_pages(u64 sectors,
					   unsigned int *half_pages,
					   unsigned int *n)
{
	u64 want = DIV_ROUND_UP_ULL(sectors, FM_SECTORS_PER_PAGE);
	struct page **pages;
	unsigned int i;

	*half_pages = min_t(u64, want, FM_RESYNC_HALF_PAGES);
	*n = 2 * *half_pages;
	pages = kcalloc(*n, sizeof(*pages), GFP_NOIO);
	if (!pages)
		return NULL;
	for (i = 0; i < *n; i++) {
		pages[i] = alloc_page(GFP_NOIO);
		if (!pages[i]) {
			fm_resync_free_pages(pages, *n);
			return NULL;
		}
	}
	return pages;
}

/*
 * The resync is over: @active and the state change in one state_lock
 * section (rs->lock nests inside it), so that a resync starting meanwhile
 * never sees one without the other. Caller holds state_lock.
 */
static enum fm_state fm_resync_finish_locked(struct fm_target *fmt,
					     enum fm_state to)
{
	struct fm_resync *rs = &fmt->resync;
	enum fm_state from = fmt->state;

	spin_lock_irq(&rs->lock);
	rs->active = false;
	rs->kib_s = 0;
	spin_unlock_irq(&rs->lock);
	if (from == FM_STATE_RESYNCING)
		WRITE_ONCE(fmt->state, to);
	return from;
}

/* Stop the resync from its own work item: state, flags, log. */
static void fm_resync_end(struct fm_target *fmt, int err, const char *why)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	enum fm_state from;

	if (err)
		DMERR_LIMIT("%s: resync stopped: %s (%d)", dev, why, err);
	mutex_lock(&fmt->state_lock);
	from = fm_resync_finish_locked(fmt, FM_STATE_TRACKING);
	mutex_unlock(&fmt->state_lock);
	fm_state_announce(fmt, from, READ_ONCE(fmt->state), why);
}

/*
 * The pass is over: write the clears, then start another pass if regions
 * still wait for a copy (written meanwhile by a failed primary write, or
 * a full_resync), or finish: the slot's full-resync flag cleared, the
 * state in_sync. Returns true when the resync goes on.
 */
static bool fm_resync_pass_end(struct fm_target *fmt, unsigned long gen)
{
	struct fm_resync *rs = &fmt->resync;
	bool cleared_flag = false, full;
	enum fm_state from;
	u64 waiting;
	int r;

	r = fm_tracker_flush(fmt->vol);
	if (r) {
		fm_resync_end(fmt, r, "cannot write the tracker store");
		return false;
	}
	/*
	 * fm_mark_all() sets the flag after marking: if it runs now, its
	 * marks are seen below and the flag set again.
	 */
	if (READ_ONCE(fmt->full_resync_needed) && !fm_intent_waiting(fmt)) {
		r = fm_tracker_set_flags(fmt->vol, 0, FM_SLOT_FULL_RESYNC);
		if (r) {
			fm_resync_end(fmt, r, "cannot clear the full-resync flag");
			return false;
		}
		cleared_flag = true;
	}
	mutex_lock(&fmt->state_lock);
	if (fmt->offline_gen != gen || !fmt->backup_online) {
		mutex_unlock(&fmt->state_lock);
		fm_resync_end(fmt, -EIO, "the backup went offline");
		return false;
	}
	waiting = fm_intent_waiting(fmt);
	if (waiting) {
		full = READ_ONCE(fmt->full_resync_needed);
		mutex_unlock(&fmt->state_lock);
		/* A full_resync came after the flag was cleared: set it again. */
		if (full && cleared_flag &&
		    fm_tracker_set_flags(fmt->vol, FM_SLOT_FULL_RESYNC, 0))
			DMWARN_LIMIT("%s: cannot set the full-resync flag again",
				     dm_device_name(dm_table_get_md(fmt->ti->table)));
		spin_lock_irq(&rs->lock);
		rs->cursor = 0;
		rs->done = 0;
		rs->total = waiting;
		spin_unlock_irq(&rs->lock);
		return true;
	}
	WRITE_ONCE(fmt->full_resync_needed, false);
	from = fm_resync_finish_locked(fmt, FM_STATE_IN_SYNC);
	mutex_unlock(&fmt->state_lock);
	fm_state_announce(fmt, from, READ_ONCE(fmt->state),
			  "resync complete: no region waits for a copy");
	return false;
}

/*
 * How long to wait before the next batch to keep resync_rate, and how
 * much the batch may copy (sectors).
 */
static unsigned long fm_resync_throttle(struct fm_target *fmt, u64 *max_sectors)
{
	struct fm_resync *rs = &fmt->resync;
	u32 rate = READ_ONCE(fmt->resync_rate);
	u64 wait_ns;

	*max_sectors = fm_pace_batch_sectors(rate);
	spin_lock_irq(&rs->lock);
	if (rate != rs->rate_seen) {
		rs->rate_seen = rate;
		rs->rate_t0 = ktime_get();
		rs->rate_bytes = 0;
	}
	wait_ns = fm_pace_wait_ns(rate, rs->rate_bytes,
				  ktime_to_ns(ktime_sub(ktime_get(), rs->rate_t0)));
	spin_unlock_irq(&rs->lock);
	if (!wait_ns)
		return 0;
	/* A wait past a day means a rate too low to matter: a day it is. */
	return max(1UL, nsecs_to_jiffies(min_t(u64, wait_ns,
					       24ULL * 3600 * NSEC_PER_SEC)));
}

static void fm_resync_account(struct fm_target *fmt, struct fm_resync_batch *b)
{
	struct fm_resync *rs = &fmt->resync;
	u64 bytes = b->sectors << SECTOR_SHIFT;
	u64 ns;

	spin_lock_irq(&rs->lock);
	rs->done += b->regions;
	if (rs->done > rs->total)
		rs->total = rs->done;
	rs->rate_bytes += bytes;
	rs->run_bytes += bytes;
	ns = ktime_to_ns(ktime_sub(ktime_get(), rs->run_t0));
	rs->kib_s = fm_pace_kib_s(rs->run_bytes, ns);
	spin_unlock_irq(&rs->lock);
}

static void fm_resync_worker(struct work_struct *work)
{
	struct fm_resync *rs = container_of(to_delayed_work(work),
					    struct fm_resync, work);
	struct fm_target *fmt = container_of(rs, struct fm_target, resync);
	struct fm_resync_batch *b = &rs->batch;
	unsigned int half_pages, nr_pages;
	unsigned long gen, delay;
	struct page **pages;
	bool backup_failed;
	u64 max_sectors;
	unsigned int e;
	int r;

	spin_lock_irq(&rs->lock);
	gen = rs->gen;
	if (!rs->active) {
		/* fm_resync_stop() ended it already. */
		spin_unlock_irq(&rs->lock);
		return;
	}
	if (rs->stop) {
		spin_unlock_irq(&rs->lock);
		fm_resync_end(fmt, 0, "resync stopped");
		return;
	}
	spin_unlock_irq(&rs->lock);
	if (READ_ONCE(fmt->offline_gen) != gen) {
		fm_resync_end(fmt, -EIO, "the backup went offline");
		return;
	}

	delay = fm_resync_throttle(fmt, &max_sectors);
	if (delay) {
		queue_delayed_work(fm_resync_wq, &rs->work, delay);
		return;
	}
	fm_resync_collect(fmt, b, max_sectors);
	if (!b->nr) {
		if (fm_resync_pass_end(fmt, gen))
			queue_delayed_work(fm_resync_wq, &rs->work, 0);
		return;
	}

	pages = fm_resync_alloc_pages(b->sectors, &half_pages, &nr_pages);
	if (!pages) {
		/* Memory is short: try again a little later. */
		spin_lock_irq(&rs->lock);
		rs->cursor = b->ext[0].first;
		spin_unlock_irq(&rs->lock);
		queue_delayed_work(fm_resync_wq, &rs->work, HZ / 10);
		return;
	}
	for (e = 0; e < b->nr; e++)
		fm_inflight_lock_regions(fmt, b->ext[e].first, b->ext[e].count);
	fm_inflight_wait_forks(fmt);

	backup_failed = false;
	r = blkdev_issue_flush(fmt->primary->bdev);
	if (r)
		/* Writes the primary completed may be lost (intent.c). */
		fm_intent_primary_lost(fmt, "primary flush failed during resync");
	else
		r = fm_resync_copy(fmt, b, pages, half_pages, &backup_failed);
	if (!r) {
		r = blkdev_issue_flush(fmt->backup->bdev);
		backup_failed = r;
	}
	if (!r && !fm_resync_clear(fmt, b, gen))
		r = -EAGAIN;

	for (e = 0; e < b->nr; e++)
		fm_inflight_unlock_regions(fmt, b->ext[e].first, b->ext[e].count);
	fm_resync_free_pages(pages, nr_pages);

	if (r == -EAGAIN) {
		fm_resync_end(fmt, -EIO, "the backup went offline");
		return;
	}
	/*
	 * The clears to the store now, so that a resync after a crash starts
	 * where this one was (a lost clear only means a copy made again).
	 */
	if (!r && fm_tracker_flush(fmt->vol)) {
		fm_resync_end(fmt, -EIO, "cannot write the tracker store");
		return;
	}
	if (r && backup_failed) {
		atomic64_inc(&fmt->backup_errors);
		fm_tracker_count(fmt->vol, FM_CNT_BACKUP_ERRORS, 1);
		fm_backup_offline(fmt, "backup write failed during resync");
		fm_resync_end(fmt, r, "backup write failed");
		return;
	}
	if (r) {
		atomic64_inc(&fmt->primary_errors);
		fm_tracker_count(fmt->vol, FM_CNT_PRIMARY_ERRORS, 1);
		fm_resync_end(fmt, r, "primary read or flush failed");
		return;
	}
	fm_resync_account(fmt, b);
	queue_delayed_work(fm_resync_wq, &rs->work, 0);
}

/**
 * fm_resync_start() - start copying the regions that wait for a copy
 * @fmt: the target
 * @gen: fmt->offline_gen with the backup online, the tracked writes
 *	completed (fm_backup_online())
 * @requested: a resync request (message, sysfs, the probe), not an
 *	automatic start, which pause_resync holds back
 *
 * Nothing happens if a resync runs already. While the table is
 * suspended, the resync starts at resume. The state goes to resyncing.
 *
 * Context: process context (takes state_lock).
 */
void fm_resync_start(struct fm_target *fmt, unsigned long gen, bool requested)
{
	struct fm_resync *rs = &fmt->resync;
	u64 waiting = fm_intent_waiting(fmt);
	enum fm_state from;
	bool start = false;

	mutex_lock(&fmt->state_lock);
	from = fmt->state;
	spin_lock_irq(&rs->lock);
	if (rs->suspended) {
		rs->was_active = true;
	} else if (!rs->active && (requested || !READ_ONCE(fmt->resync_paused))) {
		rs->active = true;
		rs->stop = false;
		rs->gen = gen;
		rs->cursor = 0;
		rs->done = 0;
		rs->total = waiting;
		rs->rate_seen = ~0U;
		rs->run_t0 = ktime_get();
		rs->run_bytes = 0;
		rs->kib_s = 0;
		start = true;
	}
	spin_unlock_irq(&rs->lock);
	if (start && (from == FM_STATE_TRACKING || from == FM_STATE_FAILED))
		WRITE_ONCE(fmt->state, FM_STATE_RESYNCING);
	mutex_unlock(&fmt->state_lock);
	if (!start)
		return;
	fm_state_announce(fmt, from, READ_ONCE(fmt->state), "resync started");
	queue_delayed_work(fm_resync_wq, &rs->work, 0);
}

/**
 * fm_resync_stop() - stop the resync and wait for its batch
 * @fmt: the target
 *
 * A running resync stops after its current batch (the regions copied so
 * far stay cleared, the others marked) and the state goes to tracking.
 *
 * Context: process context, sleeps (takes state_lock).
 */
void fm_resync_stop(struct fm_target *fmt)
{
	struct fm_resync *rs = &fmt->resync;
	enum fm_state from;

	spin_lock_irq(&rs->lock);
	rs->stop = true;
	spin_unlock_irq(&rs->lock);
	cancel_delayed_work_sync(&rs->work);
	mutex_lock(&fmt->state_lock);
	from = fm_resync_finish_locked(fmt, FM_STATE_TRACKING);
	mutex_unlock(&fmt->state_lock);
	fm_state_announce(fmt, from, READ_ONCE(fmt->state), "resync stopped");
}

/**
 * fm_resync_rate_changed() - resync_rate changed: apply it now
 * @fmt: the target
 *
 * A batch waiting for the old rate runs at once; it computes its wait
 * again from the new one.
 *
 * Context: any but hard irq.
 */
void fm_resync_rate_changed(struct fm_target *fmt)
{
	if (fm_resync_running(fmt))
		mod_delayed_work(fm_resync_wq, &fmt->resync.work, 0);
}

/**
 * fm_resync_running() - is a resync running?
 * @fmt: the target
 *
 * Context: any.
 */
bool fm_resync_running(struct fm_target *fmt)
{
	return READ_ONCE(fmt->resync.active);
}

/**
 * fm_resync_progress() - progress for status and sysfs
 * @fmt: the target
 * @done: regions copied in the current pass
 * @total: regions waiting when the pass began (grows if more come)
 * @kib_s: measured rate, KiB/s
 *
 * All zero when no resync runs. Context: any but hard irq.
 */
void fm_resync_progress(struct fm_target *fmt, u64 *done, u64 *total,
			u32 *kib_s)
{
	struct fm_resync *rs = &fmt->resync;
	unsigned long flags;

	spin_lock_irqsave(&rs->lock, flags);
	if (rs->active) {
		*done = rs->done;
		*total = rs->total;
		*kib_s = rs->kib_s;
	} else {
		*done = 0;
		*total = 0;
		*kib_s = 0;
	}
	spin_unlock_irqrestore(&rs->lock, flags);
}

/* Suspend: stop; no resync starts until fm_resync_resume(). */
void fm_resync_suspend(struct fm_target *fmt)
{
	struct fm_resync *rs = &fmt->resync;

	spin_lock_irq(&rs->lock);
	rs->suspended = true;
	rs->was_active = rs->active;
	spin_unlock_irq(&rs->lock);
	fm_resync_stop(fmt);
}

/*
 * Resume: a resync may start again. Returns true when one ran at the
 * suspend (the caller restarts it).
 */
bool fm_resync_resume(struct fm_target *fmt)
{
	struct fm_resync *rs = &fmt->resync;
	bool again;

	spin_lock_irq(&rs->lock);
	rs->suspended = false;
	again = rs->was_active;
	rs->was_active = false;
	spin_unlock_irq(&rs->lock);
	return again;
}

void fm_resync_init(struct fm_target *fmt)
{
	struct fm_resync *rs = &fmt->resync;

	spin_lock_init(&rs->lock);
	INIT_DELAYED_WORK(&rs->work, fm_resync_worker);
	rs->active = false;
	rs->stop = false;
	/* A new table runs nothing until its first resume. */
	rs->suspended = true;
}

int fm_resync_module_init(void)
{
	fm_resync_wq = alloc_workqueue("forkmirror_resync",
				       WQ_MEM_RECLAIM | WQ_UNBOUND,
				       FM_RESYNC_WORKERS);
	return fm_resync_wq ? 0 : -ENOMEM;
}

void fm_resync_module_exit(void)
{
	destroy_workqueue(fm_resync_wq);
}
