// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror tracker: the registry of tracker stores and volume slots
 * shared by every forkmirror volume on the host.
 *
 * A store is keyed by the dev_t of its metadata device and holds its own
 * reference to that device, taken on the first attach and dropped when the
 * last volume detaches, so a store outlives the dm tables that use it.
 * Volumes attach to a store by name; one mapped device at a time may hold a
 * name (several tables of that mapped device may, during a reload).
 */
#define pr_fmt(fmt) "forkmirror-tracker: " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/blkdev.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/string.h>
#include <linux/kobject.h>
#include <linux/atomic.h>

#include "tracker-internal.h"

unsigned int fm_host_id;
module_param_named(host_id, fm_host_id, uint, 0444);
MODULE_PARM_DESC(host_id, "Owner host id of the slots this host creates (default 0)");

/* Serialises attach, detach and slot deletion; protects fm_stores and
 * every store's volume list.
 */
DEFINE_MUTEX(fm_registry_lock);
static LIST_HEAD(fm_stores);

/* /sys/fs/forkmirror/, parent of every store's directory. */
struct kobject *fm_sysfs_root;

static struct fm_store *fm_store_find(dev_t dev)
{
	struct fm_store *store;

	lockdep_assert_held(&fm_registry_lock);
	list_for_each_entry(store, &fm_stores, node)
		if (store->dev == dev)
			return store;
	return NULL;
}

static void fm_store_put_if_unused(struct fm_store *store)
{
	lockdep_assert_held(&fm_registry_lock);
	if (!list_empty(&store->volumes))
		return;
	list_del(&store->node);
	fm_store_destroy(store);
}

static struct fm_tracker_volume *fm_volume_find(struct fm_store *store,
						const char *name)
{
	struct fm_tracker_volume *vol;

	lockdep_assert_held(&fm_registry_lock);
	list_for_each_entry(vol, &store->volumes, node)
		if (!strcmp(vol->name, name))
			return vol;
	return NULL;
}

/* Another table of the same mapped device attaches a live volume. */
static int fm_volume_reattach(struct fm_tracker_volume *vol,
			      const struct fm_attach_request *req,
			      const char **error)
{
	if (vol->owner != req->owner) {
		*error = "Volume name is attached by another dm device";
		return -EBUSY;
	}
	if (vol->geom.region_sectors != req->region_sectors) {
		*error = "Volume is attached with a different region size";
		return -EINVAL;
	}
	if (req->volume_sectors < vol->geom.volume_sectors) {
		*error = "Cannot shrink a live volume; remove the device first";
		return -EINVAL;
	}
	if (req->volume_sectors > vol->geom.volume_sectors) {
		int ret = fm_volume_resize(vol, req->volume_sectors, error);

		if (ret)
			return ret;
	}
	vol->attached++;
	return 0;
}

/*
 * Find this host's slot of the name, or create it; check it against the
 * request; bump its generation. The volume's geometry becomes the slot's
 * (the caller resizes it to the request afterwards). Caller holds
 * store->io_lock.
 */
static int fm_volume_take_slot(struct fm_tracker_volume *vol,
			       const char **error)
{
	struct fm_store *store = vol->store;
	struct fm_slot s;
	int idx, ret;

	idx = fm_store_find_slot(store, vol->name, fm_host_id);
	if (idx < 0) {
		ret = fm_store_new_slot(store, vol->name, fm_host_id, &vol->geom,
					&s, error);
		if (ret)
			return ret;
		idx = s.index;
	}
	s = store->slots[idx];
	if (s.region_sectors != vol->geom.region_sectors) {
		*error = "Volume's slot in the tracker store has a different region size";
		return -EINVAL;
	}
	/* The codec checked that the slot's bitmap covers its length. */
	ret = fm_geom_init(&vol->geom, s.volume_sectors, s.region_sectors);
	if (ret) {
		*error = "Volume's slot in the tracker store has an invalid length";
		return ret;
	}
	s.generation++;
	s.counters[FM_CNT_ATTACHES]++;
	ret = fm_store_write_slot(store, &s);
	if (ret) {
		*error = "Cannot write the volume's slot header to the tracker device";
		return ret;
	}
	vol->slot = idx;
	return 0;
}

static struct fm_tracker_volume *fm_volume_create(struct fm_store *store,
						  const struct fm_attach_request *req,
						  const char **error)
{
	struct fm_tracker_volume *vol;
	int ret;

	vol = kzalloc(sizeof(*vol), GFP_KERNEL);
	if (!vol) {
		*error = "Cannot allocate tracker volume";
		return ERR_PTR(-ENOMEM);
	}
	strscpy(vol->name, req->name, sizeof(vol->name));
	strscpy(vol->owner_name, req->owner_name, sizeof(vol->owner_name));
	vol->store = store;
	vol->owner = req->owner;
	vol->attached = 1;
	spin_lock_init(&vol->lock);
	mutex_init(&vol->bind_lock);
	init_waitqueue_head(&vol->cb_idle);
	mutex_init(&vol->files_lock);
	ret = fm_geom_init(&vol->geom, req->volume_sectors, req->region_sectors);
	if (ret) {
		*error = "Volume size or region size out of the tracker's range";
		goto free_vol;
	}

	mutex_lock(&store->io_lock);
	ret = fm_volume_take_slot(vol, error);
	if (!ret)
		ret = fm_volume_load(vol, error);
	mutex_unlock(&store->io_lock);
	if (ret)
		goto free_vol;
	if (vol->geom.volume_sectors != req->volume_sectors) {
		ret = fm_volume_resize(vol, req->volume_sectors, error);
		if (ret)
			goto unload;
	}

	ret = fm_sysfs_volume_add(vol);
	if (ret) {
		*error = "Cannot create the volume's sysfs directory";
		goto unload;
	}
	list_add_tail(&vol->node, &store->volumes);
	pr_info("volume %s of %s attached to store %s, slot %u (host id %u), %lld of %llu regions dirty\n",
		vol->name, req->owner_name, store->name, vol->slot, fm_host_id,
		(s64)atomic64_read(&vol->dirty), vol->geom.region_count);
	return vol;

unload:
	fm_volume_unload(vol);
free_vol:
	kfree(vol);
	return ERR_PTR(ret);
}

/**
 * fm_tracker_attach() - attach a volume to its slot in a store
 * @req: the store, the name and the geometry
 * @error: on failure, a static message saying what was wrong
 *
 * Opens the store on first use (formatting a blank device), finds this
 * host's slot of the name or creates it, and loads its bitmap. Attaching
 * a name already attached by the same owner (a table reload) returns the
 * same volume; any other owner, or a different geometry, is refused.
 *
 * Context: process context, may sleep.
 * Return: the volume, or an ERR_PTR.
 */
struct fm_tracker_volume *fm_tracker_attach(const struct fm_attach_request *req,
					    const char **error)
{
	struct fm_tracker_volume *vol;
	struct fm_store *store;
	int ret;

	if (!fm_name_valid(req->name, strlen(req->name))) {
		*error = "Invalid volume name for the tracker";
		return ERR_PTR(-EINVAL);
	}

	mutex_lock(&fm_registry_lock);
	store = fm_store_find(req->store_dev);
	if (!store) {
		store = fm_store_create(req->store_dev, error);
		if (IS_ERR(store)) {
			vol = ERR_CAST(store);
			goto out_unlock;
		}
		list_add_tail(&store->node, &fm_stores);
	}

	vol = fm_volume_find(store, req->name);
	if (vol) {
		ret = fm_volume_reattach(vol, req, error);
		if (ret)
			vol = ERR_PTR(ret);
		goto out_unlock;
	}
	vol = fm_volume_create(store, req, error);
	if (IS_ERR(vol))
		fm_store_put_if_unused(store);

out_unlock:
	mutex_unlock(&fm_registry_lock);
	return vol;
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_attach, FORKMIRROR);

/**
 * fm_tracker_detach() - drop one table's attachment of a volume
 * @vol: a volume returned by fm_tracker_attach()
 *
 * The last detach writes pending bitmap changes (best effort: marks were
 * durable already) and closes the store when no volume is left.
 *
 * Context: process context, may sleep.
 */
void fm_tracker_detach(struct fm_tracker_volume *vol)
{
	struct fm_store *store = vol->store;

	mutex_lock(&fm_registry_lock);
	if (--vol->attached == 0) {
		list_del(&vol->node);
		fm_sysfs_volume_del(vol);
		if (fm_tracker_flush(vol))
			pr_warn("volume %s: pending clears not written to store %s\n",
				vol->name, store->name);
		pr_info("volume %s detached from store %s\n", vol->name,
			store->name);
		fm_volume_unload(vol);
		kfree(vol);
		fm_store_put_if_unused(store);
	}
	mutex_unlock(&fm_registry_lock);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_detach, FORKMIRROR);

/**
 * fm_tracker_shared() - whether another table holds the volume too
 * @vol: an attached volume
 *
 * True while a reload has two tables of the mapped device attached: the
 * live one and the one being loaded or torn down.
 *
 * Context: process context, may sleep (takes the registry mutex).
 */
bool fm_tracker_shared(struct fm_tracker_volume *vol)
{
	bool shared;

	mutex_lock(&fm_registry_lock);
	shared = vol->attached > 1;
	mutex_unlock(&fm_registry_lock);
	return shared;
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_shared, FORKMIRROR);

/**
 * fm_tracker_dirty_regions() - number of dirty regions of a volume
 * @vol: an attached volume
 *
 * Context: any; reads memory only.
 */
u64 fm_tracker_dirty_regions(struct fm_tracker_volume *vol)
{
	return atomic64_read(&vol->dirty);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_dirty_regions, FORKMIRROR);

/**
 * fm_tracker_total_regions() - number of regions of a volume
 * @vol: an attached volume
 *
 * Context: any; reads memory only.
 */
u64 fm_tracker_total_regions(struct fm_tracker_volume *vol)
{
	return vol->geom.region_count;
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_total_regions, FORKMIRROR);

static int __init fm_tracker_init(void)
{
	fm_sysfs_root = kobject_create_and_add("forkmirror", fs_kobj);
	if (!fm_sysfs_root) {
		pr_err("cannot create /sys/fs/forkmirror\n");
		return -ENOMEM;
	}
	pr_info("loaded, host id %u\n", fm_host_id);
	return 0;
}

static void __exit fm_tracker_exit(void)
{
	WARN_ON(!list_empty(&fm_stores));
	kobject_put(fm_sysfs_root);
}

module_init(fm_tracker_init);
module_exit(fm_tracker_exit);

MODULE_DESCRIPTION("forkmirror tracker: shared dirty-region stores");
MODULE_AUTHOR("dm-forkmirror developers");
MODULE_LICENSE("GPL");
