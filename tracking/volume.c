// SPDX-License-Identifier: GPL-2.0-only
/*
 * A volume's bitmap: loaded from its slot's extent when the volume
 * attaches, changed in memory under vol->lock, written back leaf by leaf.
 *
 * Marks are durable before fm_tracker_mark() returns. Concurrent marks
 * share metadata writes: a mark takes a sequence number under vol->lock;
 * whoever then holds the store's io_lock writes every leaf changed so far
 * and flushes once, which makes every mark up to the sequence number it
 * saw durable; a mark whose number is already durable returns at once.
 * A mark of regions all already set and durable costs no I/O: durable
 * means either every mark so far is, or the regions' leaves have no
 * change that is not committed (so a failing store does not make marks
 * of regions it already holds fail).
 */
#define pr_fmt(fmt) "forkmirror-tracker: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/timekeeping.h>
#include <linux/ratelimit.h>
#include <linux/vmalloc.h>

#include "tracker-internal.h"

/* Bitmap blocks read at once when a volume attaches. */
#define FM_READ_LEAVES 64U

/*
 * The two per-leaf bitmaps of a volume in one zeroed allocation, each
 * whole longs: dirty_leaves, then writing_leaves at BITS_TO_LONGS(nleaves).
 */
static unsigned long *alloc_leaf_maps(u64 nleaves)
{
	return bitmap_zalloc(2 * BITS_TO_LONGS(nleaves) * BITS_PER_LONG, GFP_KERNEL);
}

/**
 * fm_volume_load() - allocate the bitmap and read it from the store
 * @vol: a volume whose slot, geometry and store are set
 * @error: a static message on failure
 *
 * Context: process context, may sleep; caller holds store->io_lock.
 */
int fm_volume_load(struct fm_tracker_volume *vol, const char **error)
{
	struct fm_store *store = vol->store;
	const struct fm_slot *s = &store->slots[vol->slot];
	u64 leaf, n, garbage = 0;
	u8 *buf;
	int ret;

	lockdep_assert_held(&store->io_lock);
	ret = fm_bitmap_init(&vol->bm, vol->geom.region_count);
	if (ret) {
		*error = "Cannot allocate the volume's bitmap";
		return ret;
	}
	vol->dirty_leaves = alloc_leaf_maps(vol->bm.nleaves);
	if (!vol->dirty_leaves) {
		*error = "Cannot allocate the volume's bitmap";
		ret = -ENOMEM;
		goto free_bitmap;
	}
	vol->writing_leaves = vol->dirty_leaves + BITS_TO_LONGS(vol->bm.nleaves);
	buf = vmalloc(FM_READ_LEAVES * FM_BLOCK_SIZE);
	if (!buf) {
		*error = "Cannot allocate the volume's bitmap";
		ret = -ENOMEM;
		goto free_dirty;
	}
	for (leaf = 0; leaf < vol->bm.nleaves; leaf += n) {
		u64 i;

		n = min_t(u64, FM_READ_LEAVES, vol->bm.nleaves - leaf);
		ret = fm_backend_read(store, s->bitmap_block + leaf, n, buf);
		if (ret) {
			*error = "Cannot read the volume's bitmap from the tracker device";
			goto free_buf;
		}
		for (i = 0; i < n; i++)
			garbage += fm_bitmap_load_leaf(&vol->bm, leaf + i,
						       buf + i * FM_BLOCK_SIZE);
		cond_resched();
	}
	vfree(buf);
	if (garbage)
		pr_warn("store %s: volume %s: %llu bits set past the last region, ignored\n",
			store->name, vol->name, garbage);
	vol->first_dirtied = s->first_dirtied;
	vol->last_dirtied = s->last_dirtied;
	vol->offline_since = s->offline_since;
	vol->flags = s->flags;
	memcpy(vol->counters, s->counters, sizeof(vol->counters));
	atomic64_set(&vol->dirty, vol->bm.count);
	return 0;

free_buf:
	vfree(buf);
free_dirty:
	bitmap_free(vol->dirty_leaves);
free_bitmap:
	fm_bitmap_free(&vol->bm);
	return ret;
}

void fm_volume_unload(struct fm_tracker_volume *vol)
{
	bitmap_free(vol->dirty_leaves);
	fm_bitmap_free(&vol->bm);
}

/*
 * Write the bitmap of a resize: leaves of the bitmap in force, zeros past
 * its end, to the extent starting at start, then flush.
 */
static int write_resized(struct fm_tracker_volume *vol, u64 start, u64 nleaves)
{
	struct fm_store *store = vol->store;
	u64 leaf;
	int ret;

	for (leaf = 0; leaf < nleaves; leaf++) {
		spin_lock_irq(&vol->lock);
		if (leaf < vol->bm.nleaves)
			fm_bitmap_store_leaf(&vol->bm, leaf, store->leaf_buf);
		else
			memset(store->leaf_buf, 0, FM_BLOCK_SIZE);
		spin_unlock_irq(&vol->lock);
		ret = fm_backend_write(store, start + leaf, store->leaf_buf);
		if (ret)
			goto fail;
		cond_resched();
	}
	ret = fm_backend_commit(store);
	if (!ret)
		return 0;
fail:
	fm_backend_forget(store, start, nleaves);
	return ret;
}

/**
 * fm_volume_resize() - give an attached volume a new length
 * @vol: the volume
 * @volume_sectors: its new length
 * @error: a static message on failure
 *
 * The bitmap of the new length is written whole, from memory, to the
 * slot's extent when it is large enough or to a new zeroed extent
 * otherwise, and flushed; only then does a slot header write put the new
 * length (and extent) in force. A crash at any point leaves either the
 * old header over the old bits or the new header over a complete copy,
 * and a failure changes nothing. Shrinking is refused while a region past
 * the new end is marked. Marks may run meanwhile: they wait for io_lock
 * and land in the new bitmap, which takes every bit over under vol->lock.
 *
 * Context: process context, may sleep; caller holds fm_registry_lock.
 * Return: 0 or a negative errno with *error set.
 */
int fm_volume_resize(struct fm_tracker_volume *vol, u64 volume_sectors,
		     const char **error)
{
	struct fm_store *store = vol->store;
	unsigned long *dirty, *old_dirty;
	struct fm_bitmap bm, old_bm;
	struct fm_geom geom;
	struct fm_slot s;
	u64 start, dropped;
	int ret;

	lockdep_assert_held(&fm_registry_lock);
	ret = fm_geom_init(&geom, volume_sectors, vol->geom.region_sectors);
	if (ret) {
		*error = "Volume size out of the tracker's range";
		return ret;
	}
	ret = fm_bitmap_init(&bm, geom.region_count);
	if (ret) {
		*error = "Cannot allocate the volume's bitmap";
		return ret;
	}
	dirty = alloc_leaf_maps(bm.nleaves);
	if (!dirty) {
		*error = "Cannot allocate the volume's bitmap";
		ret = -ENOMEM;
		goto free_bitmap;
	}

	mutex_lock(&store->io_lock);
	if (geom.region_count < vol->geom.region_count &&
	    fm_tracker_next_dirty(vol, geom.region_count) < vol->geom.region_count) {
		*error = "Cannot shrink the volume: regions past the new end are dirty";
		ret = -EBUSY;
		goto unlock;
	}
	s = store->slots[vol->slot];
	start = s.bitmap_block;
	if (bm.nleaves > s.bitmap_blocks) {
		ret = fm_store_alloc_extent(store, bm.nleaves, &start, error);
		if (ret)
			goto unlock;
	}
	ret = write_resized(vol, start, bm.nleaves);
	if (ret) {
		*error = "Cannot write the volume's bitmap to the tracker device";
		goto unlock;
	}
	s.volume_sectors = geom.volume_sectors;
	if (start != s.bitmap_block) {
		s.bitmap_block = start;
		s.bitmap_blocks = bm.nleaves;
	}
	ret = fm_store_write_slot(store, &s);
	if (ret) {
		/*
		 * The failed write may still have reached the device (only the
		 * flush failed), naming an extent that is free in memory. The
		 * header in force, written again with the same sequence number
		 * to the same copy, replaces it.
		 */
		if (fm_store_write_slot(store, &store->slots[vol->slot]))
			pr_err("store %s: volume %s: slot header may name a bitmap extent not in use\n",
			       store->name, vol->name);
		*error = "Cannot write the volume's slot header to the tracker device";
		goto unlock;
	}

	spin_lock_irq(&vol->lock);
	dropped = fm_bitmap_copy(&bm, &vol->bm);
	bitmap_copy(dirty, vol->dirty_leaves, min(bm.nleaves, vol->bm.nleaves));
	old_bm = vol->bm;
	old_dirty = vol->dirty_leaves;
	vol->bm = bm;
	vol->dirty_leaves = dirty;
	vol->writing_leaves = dirty + BITS_TO_LONGS(bm.nleaves);
	vol->geom = geom;
	atomic64_set(&vol->dirty, vol->bm.count);
	spin_unlock_irq(&vol->lock);
	mutex_unlock(&store->io_lock);

	if (dropped)
		pr_err("store %s: volume %s: %llu marks past the new end dropped\n",
		       store->name, vol->name, dropped);
	pr_info("store %s: volume %s resized to %llu sectors (%llu regions), bitmap blocks %llu+%llu\n",
		store->name, vol->name, geom.volume_sectors, geom.region_count,
		s.bitmap_block, s.bitmap_blocks);
	bitmap_free(old_dirty);
	fm_bitmap_free(&old_bm);
	return 0;

unlock:
	mutex_unlock(&store->io_lock);
	bitmap_free(dirty);
free_bitmap:
	fm_bitmap_free(&bm);
	return ret;
}

/*
 * Write the changed leaves (and, if the timestamps moved, the slot
 * header) and flush. Caller holds store->io_lock.
 */
static int write_changed(struct fm_tracker_volume *vol, u64 *written_seq)
{
	struct fm_store *store = vol->store;
	const struct fm_slot *s = &store->slots[vol->slot];
	u64 leaf, seq;
	int ret;

	spin_lock_irq(&vol->lock);
	seq = vol->mark_seq;
	spin_unlock_irq(&vol->lock);

	for (leaf = 0; leaf < vol->bm.nleaves; leaf++) {
		/* Bits of dirty_leaves are only cleared under io_lock. */
		if (!test_bit(leaf, vol->dirty_leaves))
			continue;
		spin_lock_irq(&vol->lock);
		clear_bit(leaf, vol->dirty_leaves);
		set_bit(leaf, vol->writing_leaves);
		fm_bitmap_store_leaf(&vol->bm, leaf, store->leaf_buf);
		spin_unlock_irq(&vol->lock);
		ret = fm_backend_write(store, s->bitmap_block + leaf, store->leaf_buf);
		if (ret)
			goto fail;
	}
	ret = fm_backend_commit(store);
	if (ret)
		goto fail;
	spin_lock_irq(&vol->lock);
	bitmap_zero(vol->writing_leaves, vol->bm.nleaves);
	spin_unlock_irq(&vol->lock);

	/* Timestamps and counters are advisory: a failure loses no mark. */
	if (fm_volume_write_header(vol))
		pr_warn_ratelimited("store %s: volume %s: slot header not updated\n",
				    store->name, vol->name);
	*written_seq = seq;
	return 0;

fail:
	/*
	 * The leaves of this pass are not known durable: written again next
	 * time. Leaves of earlier passes were committed and stay durable.
	 */
	spin_lock_irq(&vol->lock);
	bitmap_or(vol->dirty_leaves, vol->dirty_leaves, vol->writing_leaves,
		  vol->bm.nleaves);
	bitmap_zero(vol->writing_leaves, vol->bm.nleaves);
	spin_unlock_irq(&vol->lock);
	fm_backend_forget(store, s->bitmap_block, vol->bm.nleaves);
	pr_err_ratelimited("store %s: volume %s: bitmap write failed: %d\n",
			   store->name, vol->name, ret);
	return ret;
}

/**
 * fm_volume_write_header() - write the slot header if memory moved on
 * @vol: the volume
 *
 * Context: process context, may sleep; caller holds store->io_lock.
 */
int fm_volume_write_header(struct fm_tracker_volume *vol)
{
	struct fm_store *store = vol->store;
	struct fm_slot hdr = store->slots[vol->slot];

	lockdep_assert_held(&store->io_lock);
	spin_lock_irq(&vol->lock);
	hdr.first_dirtied = vol->first_dirtied;
	hdr.last_dirtied = vol->last_dirtied;
	hdr.offline_since = vol->offline_since;
	hdr.flags = vol->flags;
	memcpy(hdr.counters, vol->counters, sizeof(hdr.counters));
	spin_unlock_irq(&vol->lock);
	if (!memcmp(&hdr, &store->slots[vol->slot], sizeof(hdr)))
		return 0;
	return fm_store_write_slot(store, &hdr);
}

/* Change the in-memory header fields under vol->lock, then write them. */
static int update_header(struct fm_tracker_volume *vol, u32 set, u32 clear,
			 const u64 *offline_since)
{
	int ret;

	spin_lock_irq(&vol->lock);
	vol->flags = (vol->flags | set) & ~clear;
	if (offline_since)
		vol->offline_since = *offline_since;
	spin_unlock_irq(&vol->lock);
	mutex_lock(&vol->store->io_lock);
	ret = fm_volume_write_header(vol);
	mutex_unlock(&vol->store->io_lock);
	return ret;
}

/**
 * fm_tracker_set_flags() - set and clear slot flags, durably
 * @vol: an attached volume
 * @set: FM_SLOT_ACTIVE and/or FM_SLOT_FULL_RESYNC to set
 * @clear: the same, to clear
 *
 * Context: process context, may sleep (metadata I/O).
 */
int fm_tracker_set_flags(struct fm_tracker_volume *vol, u32 set, u32 clear)
{
	const u32 settable = FM_SLOT_ACTIVE | FM_SLOT_FULL_RESYNC;

	if ((set | clear) & ~settable)
		return -EINVAL;
	return update_header(vol, set, clear, NULL);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_set_flags, FORKMIRROR);

/**
 * fm_tracker_set_offline_since() - record since when the backup is offline
 * @vol: an attached volume
 * @t: Unix seconds, 0 when the backup is back
 *
 * Context: process context, may sleep (metadata I/O).
 */
int fm_tracker_set_offline_since(struct fm_tracker_volume *vol, u64 t)
{
	return update_header(vol, 0, 0, &t);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_set_offline_since, FORKMIRROR);

/**
 * fm_tracker_count() - add to one of the slot's counters
 * @vol: an attached volume
 * @counter: an enum fm_slot_counter
 * @delta: what to add
 *
 * Kept in memory; written with the next slot header write.
 *
 * Context: any context but hard irq; never sleeps.
 */
void fm_tracker_count(struct fm_tracker_volume *vol, unsigned int counter, u64 delta)
{
	unsigned long flags;

	if (counter >= FM_CNT_NR)
		return;
	spin_lock_irqsave(&vol->lock, flags);
	vol->counters[counter] += delta;
	spin_unlock_irqrestore(&vol->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_count, FORKMIRROR);

/**
 * fm_tracker_get_info() - timestamps, flags and counters of a volume
 * @vol: an attached volume
 * @info: filled in
 *
 * Context: any context but hard irq; memory only, never sleeps.
 */
void fm_tracker_get_info(struct fm_tracker_volume *vol, struct fm_tracker_info *info)
{
	unsigned long flags;

	spin_lock_irqsave(&vol->lock, flags);
	info->flags = vol->flags;
	info->first_dirtied = vol->first_dirtied;
	info->last_dirtied = vol->last_dirtied;
	info->offline_since = vol->offline_since;
	memcpy(info->counters, vol->counters, sizeof(info->counters));
	spin_unlock_irqrestore(&vol->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_get_info, FORKMIRROR);

/**
 * fm_volume_sync() - make every change up to mark sequence target durable
 * @vol: the volume
 * @target: the mark sequence number the caller needs durable
 *
 * Context: process context, may sleep.
 */
int fm_volume_sync(struct fm_tracker_volume *vol, u64 target)
{
	struct fm_store *store = vol->store;
	u64 done = 0;
	int ret = 0;

	mutex_lock(&store->io_lock);
	spin_lock_irq(&vol->lock);
	if (vol->durable_seq >= target && target) {
		spin_unlock_irq(&vol->lock);
		goto unlock;
	}
	spin_unlock_irq(&vol->lock);
	ret = write_changed(vol, &done);
	if (!ret) {
		spin_lock_irq(&vol->lock);
		if (done > vol->durable_seq)
			vol->durable_seq = done;
		spin_unlock_irq(&vol->lock);
	}
unlock:
	mutex_unlock(&store->io_lock);
	return ret;
}

/*
 * Whether a leaf of regions [first, first + count) has changes not yet
 * committed to the store. A set bit in a leaf without any is durable: the
 * leaf was committed (or loaded) with it. Caller holds vol->lock.
 */
static bool leaves_pending(struct fm_tracker_volume *vol, u64 first, u64 count)
{
	u64 l, last = (first + count - 1) / FM_BITS_PER_BLOCK;

	for (l = first / FM_BITS_PER_BLOCK; l <= last; l++)
		if (test_bit(l, vol->dirty_leaves) || test_bit(l, vol->writing_leaves))
			return true;
	return false;
}

/*
 * Whether regions [first, first + count) are all set and durable: every
 * mark so far is durable, or their leaves have nothing not committed.
 * The one rule behind fm_tracker_mark()'s no-I/O path and
 * fm_tracker_marked(). Caller holds vol->lock.
 */
static bool marked_durably(struct fm_tracker_volume *vol, u64 first, u64 count)
{
	return fm_bitmap_all_set(&vol->bm, first, count) &&
	       (vol->durable_seq >= vol->mark_seq ||
		!leaves_pending(vol, first, count));
}

/* Mark leaves [first, first + count) of regions changed in memory. */
static void note_changed(struct fm_tracker_volume *vol, u64 first, u64 count)
{
	u64 l, last = (first + count - 1) / FM_BITS_PER_BLOCK;

	for (l = first / FM_BITS_PER_BLOCK; l <= last; l++)
		set_bit(l, vol->dirty_leaves);
}

/**
 * fm_tracker_mark() - durably mark regions dirty
 * @vol: an attached volume
 * @first: first region
 * @count: number of regions (0 does nothing)
 *
 * Returns once every region of the range is set on the store. Regions
 * already set and durable cost no I/O. Safe from many tasks at once.
 *
 * Context: process context, may sleep (metadata I/O).
 * Return: 0, -ERANGE for a range past the volume, or an I/O error (the
 * marks are then in memory only; the caller must not rely on them).
 */
int fm_tracker_mark(struct fm_tracker_volume *vol, u64 first, u64 count)
{
	u64 target;

	if (!count)
		return 0;
	if (first >= vol->bm.nbits || count > vol->bm.nbits - first)
		return -ERANGE;
	spin_lock_irq(&vol->lock);
	if (marked_durably(vol, first, count)) {
		spin_unlock_irq(&vol->lock);
		return 0;
	}
	if (fm_bitmap_all_set(&vol->bm, first, count)) {
		target = vol->mark_seq;
	} else {
		u64 now = ktime_get_real_seconds();

		fm_bitmap_set(&vol->bm, first, count);
		note_changed(vol, first, count);
		target = ++vol->mark_seq;
		if (!vol->first_dirtied)
			vol->first_dirtied = now;
		vol->last_dirtied = now;
		atomic64_set(&vol->dirty, vol->bm.count);
	}
	spin_unlock_irq(&vol->lock);
	return fm_volume_sync(vol, target);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_mark, FORKMIRROR);

/**
 * fm_tracker_marked() - whether regions are all marked durably
 * @vol: an attached volume
 * @first: first region
 * @count: number of regions
 *
 * True when fm_tracker_mark() of the range would return 0 at once, without
 * I/O: the write path's fast path in map.
 *
 * Context: any context but hard irq; never sleeps.
 */
bool fm_tracker_marked(struct fm_tracker_volume *vol, u64 first, u64 count)
{
	unsigned long flags;
	bool done;

	if (!count || first >= vol->bm.nbits || count > vol->bm.nbits - first)
		return false;
	spin_lock_irqsave(&vol->lock, flags);
	done = marked_durably(vol, first, count);
	spin_unlock_irqrestore(&vol->lock, flags);
	return done;
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_marked, FORKMIRROR);

/**
 * fm_tracker_clear() - clear regions, written back lazily
 * @vol: an attached volume
 * @first: first region
 * @count: number of regions
 *
 * The caller guarantees invariant 2 for every region of the range. The
 * clear reaches the store with the next write of the volume's bitmap
 * (fm_tracker_flush() forces it); a clear lost in a crash only means an
 * extra copy.
 *
 * Context: any context but hard irq; never sleeps.
 */
void fm_tracker_clear(struct fm_tracker_volume *vol, u64 first, u64 count)
{
	unsigned long flags;

	if (!count || first >= vol->bm.nbits)
		return;
	count = min(count, vol->bm.nbits - first);
	spin_lock_irqsave(&vol->lock, flags);
	if (fm_bitmap_clear(&vol->bm, first, count))
		note_changed(vol, first, count);
	if (!vol->bm.count)
		vol->first_dirtied = 0;
	atomic64_set(&vol->dirty, vol->bm.count);
	spin_unlock_irqrestore(&vol->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_clear, FORKMIRROR);

/**
 * fm_tracker_flush() - write every pending change of a volume's bitmap
 * @vol: an attached volume
 *
 * Context: process context, may sleep.
 */
int fm_tracker_flush(struct fm_tracker_volume *vol)
{
	return fm_volume_sync(vol, 0);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_flush, FORKMIRROR);

/**
 * fm_tracker_test() - whether a region is marked
 * @vol: an attached volume
 * @region: the region
 *
 * Context: any context but hard irq; never sleeps.
 */
bool fm_tracker_test(struct fm_tracker_volume *vol, u64 region)
{
	unsigned long flags;
	bool set;

	spin_lock_irqsave(&vol->lock, flags);
	set = fm_bitmap_test(&vol->bm, region);
	spin_unlock_irqrestore(&vol->lock, flags);
	return set;
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_test, FORKMIRROR);

/**
 * fm_tracker_next_dirty() - first marked region at or after from
 * @vol: an attached volume
 * @from: where to start
 *
 * Context: any context but hard irq; never sleeps.
 * Return: the region, or the volume's region count when there is none.
 */
u64 fm_tracker_next_dirty(struct fm_tracker_volume *vol, u64 from)
{
	unsigned long flags;
	u64 r;

	spin_lock_irqsave(&vol->lock, flags);
	r = fm_bitmap_next_set(&vol->bm, from);
	spin_unlock_irqrestore(&vol->lock, flags);
	return r;
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_next_dirty, FORKMIRROR);

/**
 * fm_tracker_next_clean() - first unmarked region at or after from
 * @vol: an attached volume
 * @from: where to start
 *
 * Context: any context but hard irq; never sleeps.
 * Return: the region, or the volume's region count when there is none.
 */
u64 fm_tracker_next_clean(struct fm_tracker_volume *vol, u64 from)
{
	unsigned long flags;
	u64 r;

	spin_lock_irqsave(&vol->lock, flags);
	r = fm_bitmap_next_clear(&vol->bm, from);
	spin_unlock_irqrestore(&vol->lock, flags);
	return r;
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_next_clean, FORKMIRROR);
