// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/fs/forkmirror/: a directory per open store, with its attached
 * volumes under volumes/. See Documentation/ABI/testing/sysfs-fs-forkmirror.
 *
 * Show functions read memory under the locks that guard it; the ones that
 * may read the store (slots) take store->io_lock and may sleep. A store's
 * and a volume's directory are removed (and their release waited for)
 * before the structure is freed. Directories are removed under
 * fm_registry_lock, and removal waits for running callbacks, so callbacks
 * only ever try that lock and restart the system call when it is taken.
 */
#define pr_fmt(fmt) "forkmirror-tracker: " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/string.h>
#include <linux/sched/signal.h>

#include "tracker-internal.h"

struct fm_attr {
	struct attribute attr;
	ssize_t (*show)(struct fm_store *store, char *buf);
	ssize_t (*store)(struct fm_store *store, const char *buf, size_t len);
};

struct fm_vol_attr {
	struct attribute attr;
	ssize_t (*show)(struct fm_tracker_volume *vol, char *buf);
	ssize_t (*store)(struct fm_tracker_volume *vol, const char *buf, size_t len);
};

/* ---------------------------------------------------------------------- */
/* Store directory. */

static ssize_t uuid_show(struct fm_store *store, char *buf)
{
	return sysfs_emit(buf, "%pU\n", store->sb.uuid);
}

static ssize_t backend_show(struct fm_store *store, char *buf)
{
	return sysfs_emit(buf, "%s\n", fm_backend_name(store));
}

static ssize_t slots_total_show(struct fm_store *store, char *buf)
{
	return sysfs_emit(buf, "%u\n", store->sb.slot_count);
}

static ssize_t slots_used_show(struct fm_store *store, char *buf)
{
	u32 n;

	mutex_lock(&store->io_lock);
	n = store->slots_used;
	mutex_unlock(&store->io_lock);
	return sysfs_emit(buf, "%u\n", n);
}

static struct fm_tracker_volume *attached_volume(struct fm_store *store, u32 slot)
{
	struct fm_tracker_volume *vol;

	lockdep_assert_held(&fm_registry_lock);
	list_for_each_entry(vol, &store->volumes, node)
		if (vol->slot == slot)
			return vol;
	return NULL;
}

/* Set bits of a detached slot's bitmap, read from the store. */
static u64 stored_dirty(struct fm_store *store, const struct fm_slot *s)
{
	u64 regions = fm_region_count(s->volume_sectors, s->region_sectors);
	u8 *data = kmalloc(FM_BLOCK_SIZE, GFP_KERNEL);
	u64 b, n = 0;

	if (!data)
		return U64_MAX;
	for (b = 0; b * FM_BITS_PER_BLOCK < regions; b++) {
		u64 bits = min_t(u64, regions - b * FM_BITS_PER_BLOCK,
				 FM_BITS_PER_BLOCK);
		u64 i;

		if (fm_backend_read(store, s->bitmap_block + b, 1, data)) {
			n = U64_MAX;
			break;
		}
		for (i = 0; i < bits / 8; i++)
			n += hweight8(data[i]);
		if (bits % 8)
			n += hweight8(data[bits / 8] & ((1U << (bits % 8)) - 1));
	}
	kfree(data);
	return n;
}

/* One line per slot in use: index name host_id attached|detached dirty. */
static ssize_t slots_show(struct fm_store *store, char *buf)
{
	ssize_t len = 0;
	u32 i;

	if (!mutex_trylock(&fm_registry_lock))
		return restart_syscall();
	mutex_lock(&store->io_lock);
	for (i = 0; i < store->sb.slot_count; i++) {
		const struct fm_slot *s = &store->slots[i];
		struct fm_tracker_volume *vol;
		u64 dirty;

		if (!(s->flags & FM_SLOT_IN_USE))
			continue;
		vol = attached_volume(store, i);
		dirty = vol ? (u64)atomic64_read(&vol->dirty) : stored_dirty(store, s);
		if (dirty == U64_MAX)
			len += sysfs_emit_at(buf, len, "%u %s %u %s ?\n", i, s->name,
					     s->host_id, vol ? "attached" : "detached");
		else
			len += sysfs_emit_at(buf, len, "%u %s %u %s %llu\n", i, s->name,
					     s->host_id, vol ? "attached" : "detached",
					     dirty);
	}
	mutex_unlock(&store->io_lock);
	mutex_unlock(&fm_registry_lock);
	return len;
}

/*
 * "NAME" or "NAME force": delete this host's slot NAME. Refused while the
 * slot is attached, or while it has dirty regions unless forced.
 */
static ssize_t delete_slot_store(struct fm_store *store, const char *buf, size_t len)
{
	char name[FM_NAME_MAX + 2], word[8], extra[2];
	bool force = false;
	int n, idx, ret;
	u64 dirty;

	n = sscanf(buf, "%65s %7s %1s", name, word, extra);
	if (n < 1 || strlen(name) > FM_NAME_MAX || !fm_name_valid(name, strlen(name))) {
		pr_warn_ratelimited("store %s: delete_slot: expected a volume name [force]\n",
				    store->name);
		return -EINVAL;
	}
	if (n == 3) {
		pr_warn_ratelimited("store %s: delete_slot: unexpected text after '%s %s'\n",
				    store->name, name, word);
		return -EINVAL;
	}
	if (n == 2) {
		if (strcmp(word, "force")) {
			pr_warn_ratelimited("store %s: delete_slot: unknown option '%s'\n",
					    store->name, word);
			return -EINVAL;
		}
		force = true;
	}

	if (!mutex_trylock(&fm_registry_lock))
		return restart_syscall();
	mutex_lock(&store->io_lock);
	idx = fm_store_find_slot(store, name, fm_host_id);
	if (idx < 0) {
		pr_warn_ratelimited("store %s: delete_slot: no slot %s of host %u\n",
				    store->name, name, fm_host_id);
		ret = -ENOENT;
		goto unlock;
	}
	if (attached_volume(store, idx)) {
		pr_warn_ratelimited("store %s: delete_slot: %s is attached\n",
				    store->name, name);
		ret = -EBUSY;
		goto unlock;
	}
	dirty = stored_dirty(store, &store->slots[idx]);
	if (dirty == U64_MAX && !force) {
		pr_warn_ratelimited("store %s: delete_slot: the bitmap of %s cannot be read, so it may be dirty (write '%s force' to delete it anyway)\n",
				    store->name, name, name);
		ret = -EBUSY;
		goto unlock;
	}
	if (dirty && !force) {
		pr_warn_ratelimited("store %s: delete_slot: %s has %llu dirty regions (write '%s force' to delete it anyway)\n",
				    store->name, name, dirty, name);
		ret = -EBUSY;
		goto unlock;
	}
	ret = fm_store_delete_slot(store, idx);
	if (!ret)
		pr_info("store %s: slot %d (%s) deleted%s\n", store->name, idx, name,
			dirty ? ", dirty regions dropped" : "");
unlock:
	mutex_unlock(&store->io_lock);
	mutex_unlock(&fm_registry_lock);
	return ret ? ret : len;
}

#define FM_ATTR_RO(n) static struct fm_attr fm_attr_##n = __ATTR(n, 0444, n##_show, NULL)

FM_ATTR_RO(uuid);
FM_ATTR_RO(backend);
FM_ATTR_RO(slots_total);
FM_ATTR_RO(slots_used);
FM_ATTR_RO(slots);
static struct fm_attr fm_attr_delete_slot = __ATTR(delete_slot, 0200, NULL,
						   delete_slot_store);

static struct attribute *fm_store_attrs[] = {
	&fm_attr_uuid.attr,
	&fm_attr_backend.attr,
	&fm_attr_slots_total.attr,
	&fm_attr_slots_used.attr,
	&fm_attr_slots.attr,
	&fm_attr_delete_slot.attr,
	NULL,
};
ATTRIBUTE_GROUPS(fm_store);

static ssize_t fm_store_attr_show(struct kobject *kobj, struct attribute *attr,
				  char *buf)
{
	struct fm_attr *a = container_of(attr, struct fm_attr, attr);

	return a->show(container_of(kobj, struct fm_store, kobj), buf);
}

static ssize_t fm_store_attr_store(struct kobject *kobj, struct attribute *attr,
				   const char *buf, size_t len)
{
	struct fm_attr *a = container_of(attr, struct fm_attr, attr);

	return a->store(container_of(kobj, struct fm_store, kobj), buf, len);
}

static const struct sysfs_ops fm_store_sysfs_ops = {
	.show = fm_store_attr_show,
	.store = fm_store_attr_store,
};

static void fm_store_kobj_release(struct kobject *kobj)
{
	complete(&container_of(kobj, struct fm_store, kobj)->kobj_done);
}

static struct kobj_type fm_store_ktype = {
	.sysfs_ops = &fm_store_sysfs_ops,
	.default_groups = fm_store_groups,
	.release = fm_store_kobj_release,
};

int fm_sysfs_store_add(struct fm_store *store)
{
	int ret;

	init_completion(&store->kobj_done);
	ret = kobject_init_and_add(&store->kobj, &fm_store_ktype, fm_sysfs_root,
				   "%s", store->name);
	if (ret)
		goto put;
	store->volumes_kobj = kobject_create_and_add("volumes", &store->kobj);
	if (!store->volumes_kobj) {
		ret = -ENOMEM;
		goto put;
	}
	return 0;
put:
	kobject_put(&store->kobj);
	wait_for_completion(&store->kobj_done);
	return ret;
}

void fm_sysfs_store_del(struct fm_store *store)
{
	kobject_put(store->volumes_kobj);
	kobject_del(&store->kobj);
	kobject_put(&store->kobj);
	wait_for_completion(&store->kobj_done);
}

/* ---------------------------------------------------------------------- */
/* Volume directory. */

static ssize_t dirty_regions_show(struct fm_tracker_volume *vol, char *buf)
{
	return sysfs_emit(buf, "%lld\n", (s64)atomic64_read(&vol->dirty));
}

static ssize_t total_regions_show(struct fm_tracker_volume *vol, char *buf)
{
	return sysfs_emit(buf, "%llu\n", vol->geom.region_count);
}

/* A timestamp of the volume, which vol->lock guards. */
static ssize_t time_show(struct fm_tracker_volume *vol, const u64 *field,
			 char *buf)
{
	u64 t;

	spin_lock_irq(&vol->lock);
	t = *field;
	spin_unlock_irq(&vol->lock);
	return sysfs_emit(buf, "%llu\n", t);
}

static ssize_t first_dirtied_show(struct fm_tracker_volume *vol, char *buf)
{
	return time_show(vol, &vol->first_dirtied, buf);
}

static ssize_t last_dirtied_show(struct fm_tracker_volume *vol, char *buf)
{
	return time_show(vol, &vol->last_dirtied, buf);
}

static ssize_t offline_since_show(struct fm_tracker_volume *vol, char *buf)
{
	return time_show(vol, &vol->offline_since, buf);
}

static ssize_t dm_device_show(struct fm_tracker_volume *vol, char *buf)
{
	ssize_t len;

	if (!mutex_trylock(&fm_registry_lock))
		return restart_syscall();
	len = sysfs_emit(buf, "%s\n", vol->owner_name);
	mutex_unlock(&fm_registry_lock);
	return len;
}

#define FM_VOL_ATTR_RO(n) \
	static struct fm_vol_attr fm_vol_attr_##n = __ATTR(n, 0444, n##_show, NULL)

FM_VOL_ATTR_RO(dirty_regions);
FM_VOL_ATTR_RO(total_regions);
FM_VOL_ATTR_RO(first_dirtied);
FM_VOL_ATTR_RO(last_dirtied);
FM_VOL_ATTR_RO(offline_since);
FM_VOL_ATTR_RO(dm_device);

static struct attribute *fm_vol_attrs[] = {
	&fm_vol_attr_dirty_regions.attr,
	&fm_vol_attr_total_regions.attr,
	&fm_vol_attr_first_dirtied.attr,
	&fm_vol_attr_last_dirtied.attr,
	&fm_vol_attr_offline_since.attr,
	&fm_vol_attr_dm_device.attr,
	NULL,
};

/*
 * log: struct fm_log_header, then the bitmap. Read at any offset; a read
 * builds the bytes it returns from the in-memory bitmap under vol->lock.
 * sysfs hands a bin file at most a page per call, so a reader that wants
 * one consistent snapshot reads to the end, then the header again, and
 * retries when seq or the dirty count moved (forkmirror log does).
 */
static ssize_t log_read(struct file *file, struct kobject *kobj,
			struct bin_attribute *attr, char *buf, loff_t off,
			size_t count)
{
	struct fm_tracker_volume *vol = container_of(kobj, struct fm_tracker_volume, kobj);
	struct fm_log_header h;
	size_t done = 0;
	u64 size;

	if (off < 0)
		return 0;
	/* The geometry changes when the volume is resized, under vol->lock. */
	spin_lock_irq(&vol->lock);
	size = sizeof(h) + DIV_ROUND_UP(vol->geom.region_count, 8);
	if (off >= size) {
		spin_unlock_irq(&vol->lock);
		return 0;
	}
	count = min_t(u64, count, size - off);

	memset(&h, 0, sizeof(h));
	h.magic = cpu_to_le64(FM_LOG_MAGIC);
	h.version = cpu_to_le32(FM_LOG_VERSION);
	h.hdr_len = cpu_to_le32(sizeof(h));
	h.region_sectors = cpu_to_le32(vol->geom.region_sectors);
	h.region_count = cpu_to_le64(vol->geom.region_count);
	h.volume_sectors = cpu_to_le64(vol->geom.volume_sectors);
	h.seq = cpu_to_le64(vol->mark_seq);
	h.dirty_count = cpu_to_le64(vol->bm.count);
	h.flags = cpu_to_le32(vol->flags);
	h.first_dirtied = cpu_to_le64(vol->first_dirtied);
	h.last_dirtied = cpu_to_le64(vol->last_dirtied);
	h.offline_since = cpu_to_le64(vol->offline_since);
	while (done < count) {
		u64 pos = off + done;

		if (pos < sizeof(h)) {
			size_t n = min_t(size_t, sizeof(h) - pos, count - done);

			memcpy(buf + done, (u8 *)&h + pos, n);
			done += n;
		} else {
			u64 byte = pos - sizeof(h);
			u64 leaf = byte / FM_BLOCK_SIZE, in = byte % FM_BLOCK_SIZE;
			size_t n = min_t(u64, FM_BLOCK_SIZE - in, count - done);
			const u64 *w = vol->bm.leaves[leaf];
			size_t i;

			/* Bytes of little-endian words: bit r%8 of byte r/8. */
			for (i = 0; i < n; i++)
				buf[done + i] = (u8)(w[(in + i) / 8] >> (8 * ((in + i) % 8)));
			done += n;
		}
	}
	spin_unlock_irq(&vol->lock);
	return done;
}

static struct bin_attribute fm_vol_attr_log = {
	.attr = { .name = "log", .mode = 0444 },
	.read = log_read,
};

static struct bin_attribute *fm_vol_bin_attrs[] = {
	&fm_vol_attr_log,
	NULL,
};

static const struct attribute_group fm_vol_group = {
	.attrs = fm_vol_attrs,
	.bin_attrs = fm_vol_bin_attrs,
};

static const struct attribute_group *fm_vol_groups[] = {
	&fm_vol_group,
	NULL,
};

/* The target's file behind attr, or NULL. Caller holds vol->bind_lock. */
static struct fm_tracker_attr *target_attr(struct fm_tracker_volume *vol,
					   struct attribute *attr)
{
	struct fm_tracker_attr *const *a;

	lockdep_assert_held(&vol->bind_lock);
	for (a = vol->target_attrs; a && *a; a++)
		if (&(*a)->attr == attr)
			return *a;
	return NULL;
}

/*
 * The active table's data for a callback of its file @attr, counted in
 * cb_users; NULL (and nothing counted) when @attr is not the target's or
 * no table is active. fm_tracker_deactivate() waits for the count, so
 * the data stays valid until fm_vol_cb_put().
 */
static void *fm_vol_cb_get(struct fm_tracker_volume *vol,
			   struct attribute *attr, struct fm_tracker_attr **ta,
			   ssize_t *ret)
{
	void *data = NULL;

	mutex_lock(&vol->bind_lock);
	*ta = target_attr(vol, attr);
	if (*ta) {
		*ret = -ENODEV;
		data = vol->target_data;
		if (data)
			vol->cb_users++;
	}
	mutex_unlock(&vol->bind_lock);
	return data;
}

static void fm_vol_cb_put(struct fm_tracker_volume *vol)
{
	mutex_lock(&vol->bind_lock);
	if (!--vol->cb_users)
		wake_up_all(&vol->cb_idle);
	mutex_unlock(&vol->bind_lock);
}

static ssize_t fm_vol_attr_show(struct kobject *kobj, struct attribute *attr,
				char *buf)
{
	struct fm_tracker_volume *vol = container_of(kobj, struct fm_tracker_volume, kobj);
	struct fm_tracker_attr *ta;
	ssize_t ret = -EIO;
	void *data;

	data = fm_vol_cb_get(vol, attr, &ta, &ret);
	if (!ta)
		return container_of(attr, struct fm_vol_attr, attr)->show(vol, buf);
	if (data) {
		ret = ta->show ? ta->show(data, buf) : -EIO;
		fm_vol_cb_put(vol);
	}
	return ret;
}

/* Only the target's files are writable. */
static ssize_t fm_vol_attr_store(struct kobject *kobj, struct attribute *attr,
				 const char *buf, size_t len)
{
	struct fm_tracker_volume *vol = container_of(kobj, struct fm_tracker_volume, kobj);
	struct fm_tracker_attr *ta;
	ssize_t ret = -EIO;
	void *data;

	data = fm_vol_cb_get(vol, attr, &ta, &ret);
	if (data) {
		ret = ta->store ? ta->store(data, buf, len) : -EIO;
		fm_vol_cb_put(vol);
	}
	return ret;
}

static const struct sysfs_ops fm_vol_sysfs_ops = {
	.show = fm_vol_attr_show,
	.store = fm_vol_attr_store,
};

static void fm_vol_kobj_release(struct kobject *kobj)
{
	complete(&container_of(kobj, struct fm_tracker_volume, kobj)->kobj_done);
}

static struct kobj_type fm_vol_ktype = {
	.sysfs_ops = &fm_vol_sysfs_ops,
	.default_groups = fm_vol_groups,
	.release = fm_vol_kobj_release,
};

int fm_sysfs_volume_add(struct fm_tracker_volume *vol)
{
	int ret;

	init_completion(&vol->kobj_done);
	ret = kobject_init_and_add(&vol->kobj, &fm_vol_ktype,
				   vol->store->volumes_kobj, "%s", vol->name);
	if (ret) {
		kobject_put(&vol->kobj);
		wait_for_completion(&vol->kobj_done);
	}
	return ret;
}

void fm_sysfs_volume_del(struct fm_tracker_volume *vol)
{
	kobject_del(&vol->kobj);
	kobject_put(&vol->kobj);
	wait_for_completion(&vol->kobj_done);
}

/**
 * fm_tracker_activate() - make a table the volume's active one
 * @vol: an attached volume
 * @attrs: the target's files, NULL-terminated
 * @data: the table's data, passed to the files' callbacks
 *
 * The files are created on the first activation; the dispatch knows them
 * (target_attrs) before they exist, so no callback ever sees a half-made
 * file. A file that cannot be created is logged and left out: preresume
 * must not fail.
 *
 * Context: process context, may sleep.
 */
void fm_tracker_activate(struct fm_tracker_volume *vol,
			 struct fm_tracker_attr *const *attrs, void *data)
{
	struct fm_tracker_attr *const *a;

	mutex_lock(&vol->files_lock);
	if (!vol->target_attrs) {
		mutex_lock(&vol->bind_lock);
		vol->target_attrs = attrs;
		mutex_unlock(&vol->bind_lock);
		for (a = attrs; *a; a++)
			if (sysfs_create_file(&vol->kobj, &(*a)->attr))
				pr_warn("volume %s: cannot create sysfs file %s\n",
					vol->name, (*a)->attr.name);
	}
	mutex_lock(&vol->bind_lock);
	vol->target_data = data;
	mutex_unlock(&vol->bind_lock);
	mutex_unlock(&vol->files_lock);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_activate, FORKMIRROR);

/**
 * fm_tracker_deactivate() - a table goes away
 * @vol: an attached volume
 * @data: the table's data
 *
 * When the table is still the active one (no other table took the volume
 * over), its files are removed; once this returns no callback runs with
 * @data.
 *
 * Context: process context, may sleep.
 */
void fm_tracker_deactivate(struct fm_tracker_volume *vol, void *data)
{
	struct fm_tracker_attr *const *a;

	mutex_lock(&vol->files_lock);
	mutex_lock(&vol->bind_lock);
	if (data && vol->target_data == data)
		vol->target_data = NULL;
	else
		data = NULL;
	mutex_unlock(&vol->bind_lock);
	/*
	 * A callback may still use this table's data (taken before another
	 * table's activation replaced it): wait for every one in flight.
	 */
	wait_event(vol->cb_idle, !READ_ONCE(vol->cb_users));
	if (!data)
		goto out;

	for (a = vol->target_attrs; *a; a++)
		sysfs_remove_file(&vol->kobj, &(*a)->attr);
	mutex_lock(&vol->bind_lock);
	vol->target_attrs = NULL;
	mutex_unlock(&vol->bind_lock);
out:
	mutex_unlock(&vol->files_lock);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_deactivate, FORKMIRROR);
