// SPDX-License-Identifier: GPL-2.0-only
/*
 * A tracker store on its metadata device, through its backend: open (read and
 * check the superblock and every slot header, or format a blank device),
 * write slot headers crash-safely, allocate and delete slots.
 *
 * Every header write goes to the copy that is not in force, with the next
 * sequence number, and is flushed before the new state is used, so a crash
 * leaves either the old or the new header (see forkmirror-format.rst).
 */
#define pr_fmt(fmt) "forkmirror-tracker: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uuid.h>
#include <linux/timekeeping.h>
#include <linux/ratelimit.h>
#include <linux/vmalloc.h>

#include "tracker-internal.h"

#define FM_BDEV_MODE (FMODE_READ | FMODE_WRITE)

/*
 * Reader for the codec when a store opens: reads FM_READ_WINDOW blocks at
 * a time with one large read instead of one block at a time, which
 * makes reading 8192 slot header blocks cheap. The block asked for is
 * always followed by the next one in the window (a miss on the window's
 * last block reloads it), so both copies of a pair are held together.
 * Only used while no write is pending since the last commit.
 */
#define FM_READ_WINDOW 128U

struct window_reader {
	struct fm_store *store;
	u8 *buf;
	u64 dev_blocks;
	u64 base;
	u64 count;
};

static const void *window_get(void *ctx, u64 nr)
{
	struct window_reader *w = ctx;
	u64 n;

	if (nr >= w->dev_blocks)
		return NULL;
	if (nr >= w->base && nr + 1 < w->base + w->count)
		return w->buf + (nr - w->base) * FM_BLOCK_SIZE;
	if (nr >= w->base && nr < w->base + w->count && nr + 1 == w->dev_blocks)
		return w->buf + (nr - w->base) * FM_BLOCK_SIZE;
	n = min_t(u64, FM_READ_WINDOW, w->dev_blocks - nr);
	w->count = 0;
	if (fm_backend_read(w->store, nr, n, w->buf))
		return NULL;
	w->base = nr;
	w->count = n;
	return w->buf;
}

static void window_put(void *ctx, const void *buf)
{
}

/* Zero count blocks from block first, durably. */
static int zero_blocks(struct fm_store *store, u64 first, u64 count)
{
	int ret = fm_backend_zero(store, first, count);

	if (!ret)
		ret = fm_backend_commit(store);
	if (ret)
		fm_backend_forget(store, first, count);
	return ret;
}

/* Write one block from buf, durably. */
static int write_block(struct fm_store *store, u64 nr, const void *buf)
{
	int ret = fm_backend_write(store, nr, buf);

	if (!ret)
		ret = fm_backend_commit(store);
	if (ret)
		fm_backend_forget(store, nr, 1);
	return ret;
}

/*
 * Format a blank device: zero the slot table, flush, then write both
 * superblock copies. A crash before the superblock is durable leaves a
 * blank superblock, so the next attach formats again.
 */
static int fm_store_format(struct fm_store *store, u64 dev_blocks,
			   const char **error)
{
	u64 store_blocks = min_t(u64, dev_blocks, FM_STORE_BLOCKS_MAX);
	void *buf;
	int ret;

	if (fm_layout_compute(store_blocks, FM_SLOTS_DEFAULT, &store->layout)) {
		*error = "Tracker device too small to format a store (it needs more than 32 MiB)";
		return -ENOSPC;
	}
	buf = kzalloc(FM_BLOCK_SIZE, GFP_KERNEL);
	if (!buf) {
		*error = "Cannot allocate memory to format the tracker store";
		return -ENOMEM;
	}
	memset(&store->sb, 0, sizeof(store->sb));
	store->sb.seq = 1;
	generate_random_uuid(store->sb.uuid);
	store->sb.store_blocks = store_blocks;
	store->sb.slot_count = FM_SLOTS_DEFAULT;
	store->sb.format_time = ktime_get_real_seconds();

	ret = zero_blocks(store, store->layout.slot_table_block,
			  store->layout.data_block - store->layout.slot_table_block);
	if (!ret) {
		fm_sb_encode(&store->sb, buf);
		ret = write_block(store, fm_sb_block(0), buf);
	}
	if (!ret)
		ret = write_block(store, fm_sb_block(1), buf);
	kfree(buf);
	if (ret) {
		*error = "Cannot write to the tracker device to format it";
		return ret;
	}
	pr_info("store %s: formatted, %u slots, %llu blocks, uuid %pU\n",
		store->name, store->sb.slot_count, store_blocks, store->sb.uuid);
	return 0;
}

/* Read every slot header and check the slots against each other. */
static int fm_store_load_slots(struct fm_store *store, struct fm_reader *r,
			       const struct fm_store_sb *st, const char **error)
{
	u32 n = st->sb.slot_count, i, used = 0, bad_a = 0, bad_b = 0;
	struct fm_slot *in_use;
	const char *why = NULL;
	struct fm_pick pick;
	int ret = 0;

	store->slots = kvcalloc(n, sizeof(*store->slots), GFP_KERNEL);
	store->next_copy = kvcalloc(n, 1, GFP_KERNEL);
	store->leaf_buf = kmalloc(FM_BLOCK_SIZE, GFP_KERNEL);
	in_use = kvcalloc(n, sizeof(*in_use), GFP_KERNEL);
	if (!store->slots || !store->next_copy || !store->leaf_buf || !in_use) {
		*error = "Cannot allocate memory for the tracker store's slots";
		ret = -ENOMEM;
		goto free_in_use;
	}
	for (i = 0; i < n; i++) {
		struct fm_slot *s = &store->slots[i];
		u64 next_seq;

		ret = fm_store_read_slot(r, st, i, s, &pick, &why);
		if (ret) {
			pr_err_ratelimited("store %s: slot %u: %s\n", store->name, i, why);
			*error = ret == -EIO ? "Cannot read the tracker store's slot headers" :
					       "Tracker store has a damaged slot header";
			goto free_in_use;
		}
		store->next_copy[i] = fm_next_copy(&pick, s->seq, &next_seq);
		if (s->flags & FM_SLOT_IN_USE) {
			in_use[used++] = *s;
			if (pick.chosen >= 0 && pick.copy[!pick.chosen] == FM_COPY_TORN)
				pr_info("store %s: slot %u (%s): copy %c torn, using the other\n",
					store->name, i, s->name,
					pick.chosen ? 'A' : 'B');
		}
		cond_resched();
	}
	ret = fm_store_check_slots(in_use, used, &st->layout, &bad_a, &bad_b, &why);
	if (ret) {
		pr_err_ratelimited("store %s: slots %u and %u: %s\n", store->name,
				   bad_a, bad_b, why);
		*error = ret == -ENOMEM ? "Cannot allocate memory to check the tracker store" :
					  "Tracker store's slots are inconsistent";
		goto free_in_use;
	}
	store->slots_used = used;

free_in_use:
	kvfree(in_use);
	return ret;
}

/**
 * fm_store_create() - open the store on a device, formatting a blank one
 * @dev: the metadata device
 * @error: a static message on failure
 *
 * Context: process context, may sleep; called under fm_registry_lock.
 */
struct fm_store *fm_store_create(dev_t dev, const char **error)
{
	struct window_reader w = { };
	struct fm_reader r = { window_get, window_put, &w, 0 };
	struct fm_store_sb st;
	struct fm_store *store;
	const char *why = NULL;
	int ret;

	store = kzalloc(sizeof(*store), GFP_KERNEL);
	if (!store) {
		*error = "Cannot allocate tracker store";
		return ERR_PTR(-ENOMEM);
	}
	store->dev = dev;
	snprintf(store->name, sizeof(store->name), "%u:%u", MAJOR(dev), MINOR(dev));
	INIT_LIST_HEAD(&store->volumes);
	mutex_init(&store->io_lock);

	store->bdev = blkdev_get_by_dev(dev, FM_BDEV_MODE, NULL);
	if (IS_ERR(store->bdev)) {
		ret = PTR_ERR(store->bdev);
		*error = "Cannot open tracker device";
		goto free_store;
	}
	ret = fm_backend_open(store, error);
	if (ret)
		goto put_bdev;
	w.store = store;
	w.buf = vmalloc(FM_READ_WINDOW * FM_BLOCK_SIZE);
	if (!w.buf) {
		ret = -ENOMEM;
		*error = "Cannot allocate memory to read the tracker store";
		goto close_backend;
	}
	r.dev_blocks = store->dev_blocks;
	w.dev_blocks = r.dev_blocks;

	ret = fm_store_read_sb(&r, &st, &why);
	if (ret) {
		pr_err_ratelimited("store %s: refused: %s\n", store->name, why);
		*error = ret == -EIO ? "Cannot read the tracker store's superblock" :
			 "Tracker device holds no valid tracker store (see the kernel log)";
		goto free_window;
	}
	if (st.state == FM_PAIR_BLANK) {
		ret = fm_store_format(store, r.dev_blocks, error);
		if (ret)
			goto free_window;
		w.count = 0;
		ret = fm_store_read_sb(&r, &st, &why);
		if (ret || st.state != FM_PAIR_OK) {
			pr_err_ratelimited("store %s: reading back the format: %s\n",
					   store->name, why);
			*error = "Tracker store did not read back after formatting";
			ret = ret ?: -EIO;
			goto free_window;
		}
	} else if (st.pick.copy[!st.pick.chosen] != FM_COPY_VALID) {
		pr_info("store %s: superblock copy %c %s (%s), using the other\n",
			store->name, st.pick.chosen ? 'A' : 'B',
			fm_copy_state_name(st.pick.copy[!st.pick.chosen]),
			st.pick.why[!st.pick.chosen]);
	}
	store->sb = st.sb;
	store->layout = st.layout;

	ret = fm_store_load_slots(store, &r, &st, error);
	vfree(w.buf);
	w.buf = NULL;
	if (ret)
		goto free_slots;

	ret = fm_sysfs_store_add(store);
	if (ret) {
		*error = "Cannot create the tracker store's sysfs directory";
		goto free_slots;
	}
	pr_info("store %s opened: %u of %u slots used, uuid %pU\n", store->name,
		store->slots_used, store->sb.slot_count, store->sb.uuid);
	return store;

free_slots:
	kfree(store->leaf_buf);
	kvfree(store->slots);
	kvfree(store->next_copy);
free_window:
	vfree(w.buf);
close_backend:
	fm_backend_close(store);
put_bdev:
	blkdev_put(store->bdev, FM_BDEV_MODE);
free_store:
	kfree(store);
	return ERR_PTR(ret);
}

/**
 * fm_store_destroy() - close a store that has no volume left
 * @store: the store
 *
 * Context: process context, may sleep; called under fm_registry_lock.
 */
void fm_store_destroy(struct fm_store *store)
{
	fm_sysfs_store_del(store);
	fm_backend_close(store);
	blkdev_put(store->bdev, FM_BDEV_MODE);
	kfree(store->leaf_buf);
	kvfree(store->slots);
	kvfree(store->next_copy);
	pr_info("store %s closed\n", store->name);
	kfree(store);
}

/**
 * fm_store_write_slot() - make a new header of a slot durable and in force
 * @store: the store
 * @slot: the new header; its seq is set here
 *
 * Context: process context, may sleep; caller holds store->io_lock.
 * Return: 0, or an error with the old header still in force.
 */
int fm_store_write_slot(struct fm_store *store, const struct fm_slot *slot)
{
	u32 i = slot->index;
	struct fm_slot s = *slot;
	void *buf;
	int ret;

	lockdep_assert_held(&store->io_lock);
	buf = kzalloc(FM_BLOCK_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	s.seq = store->slots[i].seq + 1;
	fm_slot_encode(&s, &store->sb, buf);
	ret = write_block(store, fm_slot_block(&store->layout, i,
					       store->next_copy[i]), buf);
	kfree(buf);
	if (ret) {
		pr_err_ratelimited("store %s: cannot write slot %u header: %d\n",
				   store->name, i, ret);
		return ret;
	}
	store->slots[i] = s;
	store->next_copy[i] ^= 1;
	return 0;
}

/**
 * fm_store_find_slot() - index of the in-use slot of (name, host), or -1
 * @store: the store
 * @name: volume name
 * @host: owner host id
 *
 * Context: caller holds store->io_lock.
 */
int fm_store_find_slot(struct fm_store *store, const char *name, u32 host)
{
	u32 i;

	lockdep_assert_held(&store->io_lock);
	for (i = 0; i < store->sb.slot_count; i++) {
		const struct fm_slot *s = &store->slots[i];

		if ((s->flags & FM_SLOT_IN_USE) && s->host_id == host &&
		    !strcmp(s->name, name))
			return i;
	}
	return -1;
}

/* Sorted extents of every in-use slot, for allocation. */
static struct fm_extent *used_extents(struct fm_store *store, u32 *n)
{
	struct fm_extent *ext;
	u32 i, k = 0, a, b;

	ext = kvcalloc(store->slots_used + 1, sizeof(*ext), GFP_KERNEL);
	if (!ext)
		return NULL;
	for (i = 0; i < store->sb.slot_count && k < store->slots_used; i++) {
		const struct fm_slot *s = &store->slots[i];

		if (!(s->flags & FM_SLOT_IN_USE))
			continue;
		ext[k].start = s->bitmap_block;
		ext[k].len = s->bitmap_blocks;
		ext[k].owner = i;
		k++;
	}
	*n = k;
	/* Sorts; the extents were checked when the store was opened. */
	fm_extents_check(ext, k, &store->layout, &a, &b);
	return ext;
}

/**
 * fm_store_alloc_extent() - find room for a bitmap and zero it durably
 * @store: the store
 * @need: blocks wanted
 * @start: the extent's first block
 * @error: a static message on failure
 *
 * The extent belongs to no slot until a slot header naming it is written,
 * so a crash or a failure before then leaks nothing.
 *
 * Context: process context, may sleep; caller holds store->io_lock.
 */
int fm_store_alloc_extent(struct fm_store *store, u64 need, u64 *start,
			  const char **error)
{
	struct fm_extent *ext;
	u32 n = 0;
	int ret;

	lockdep_assert_held(&store->io_lock);
	ext = used_extents(store, &n);
	if (!ext) {
		*error = "Cannot allocate memory for the tracker store's extents";
		return -ENOMEM;
	}
	ret = fm_extent_alloc(ext, n, &store->layout, need, start);
	kvfree(ext);
	if (ret) {
		*error = "Tracker store has no room for this volume's bitmap";
		return ret;
	}
	ret = zero_blocks(store, *start, need);
	if (ret)
		*error = "Cannot write to the tracker device";
	return ret;
}

/**
 * fm_store_new_slot() - allocate a slot and its zeroed bitmap extent
 * @store: the store
 * @name: volume name
 * @host: owner host id
 * @geom: region geometry of the volume
 * @out: the new slot's header
 * @error: a static message on failure
 *
 * The extent is zeroed and flushed before the header that points to it is
 * written, so a crash never leaves a slot over stale bits. A new slot
 * starts clean.
 *
 * Context: process context, may sleep; caller holds store->io_lock.
 */
int fm_store_new_slot(struct fm_store *store, const char *name, u32 host,
		      const struct fm_geom *geom, struct fm_slot *out,
		      const char **error)
{
	u64 need = DIV_ROUND_UP(geom->region_count, (u64)FM_BITS_PER_BLOCK);
	struct fm_slot s;
	u64 start = 0;
	u32 i;
	int ret;

	lockdep_assert_held(&store->io_lock);
	for (i = 0; i < store->sb.slot_count; i++)
		if (!(store->slots[i].flags & FM_SLOT_IN_USE))
			break;
	if (i == store->sb.slot_count) {
		*error = "Tracker store has no free slot";
		return -ENOSPC;
	}
	ret = fm_store_alloc_extent(store, need, &start, error);
	if (ret)
		return ret;

	memset(&s, 0, sizeof(s));
	s.index = i;
	s.flags = FM_SLOT_IN_USE;
	s.host_id = host;
	strscpy(s.name, name, sizeof(s.name));
	s.region_sectors = geom->region_sectors;
	s.volume_sectors = geom->volume_sectors;
	s.bitmap_block = start;
	s.bitmap_blocks = need;
	s.generation = store->slots[i].generation;
	s.created = ktime_get_real_seconds();
	ret = fm_store_write_slot(store, &s);
	if (ret) {
		*error = "Cannot write the new slot's header to the tracker device";
		return ret;
	}
	store->slots_used++;
	*out = store->slots[i];
	pr_info("store %s: slot %u created for volume %s (host id %u), bitmap blocks %llu+%llu\n",
		store->name, i, name, host, start, need);
	return 0;
}

/**
 * fm_store_delete_slot() - free a slot (the caller checked it is detached)
 * @store: the store
 * @index: the slot
 *
 * Context: process context, may sleep; caller holds store->io_lock.
 */
int fm_store_delete_slot(struct fm_store *store, u32 index)
{
	struct fm_slot s;
	int ret;

	lockdep_assert_held(&store->io_lock);
	memset(&s, 0, sizeof(s));
	s.index = index;
	s.generation = store->slots[index].generation;
	ret = fm_store_write_slot(store, &s);
	if (!ret)
		store->slots_used--;
	return ret;
}
