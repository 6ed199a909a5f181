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

#include <forkmirror/tracker.h>

static unsigned int host_id;
module_param(host_id, uint, 0444);
MODULE_PARM_DESC(host_id, "Owner host id of the slots this host creates (default 0)");

/**
 * struct fm_store - one tracker store, i.e. one metadata device
 * @node: entry in fm_stores, under fm_registry_lock
 * @dev: the metadata device's number, the store's key
 * @bdev: the tracker's own reference to the device
 * @volumes: attached volumes (struct fm_tracker_volume), under
 *	fm_registry_lock
 */
struct fm_store {
	struct list_head node;
	dev_t dev;
	struct block_device *bdev;
	struct list_head volumes;
};

/**
 * struct fm_tracker_volume - a volume attached to a store
 * @node: entry in the store's volumes, under fm_registry_lock
 * @store: the store holding this volume's slot
 * @owner: the mapped device holding the name, under fm_registry_lock
 * @attached: number of tables attached to it, under fm_registry_lock
 * @region_sectors: region size, fixed while attached
 * @volume_sectors: volume size, fixed while attached
 * @dirty: number of dirty regions; read without locks by status
 * @name: the volume's stable name
 */
struct fm_tracker_volume {
	struct list_head node;
	struct fm_store *store;
	const void *owner;
	unsigned int attached;
	u32 region_sectors;
	sector_t volume_sectors;
	atomic64_t dirty;
	char name[FM_TRACKER_NAME_MAX + 1];
};

/* Serialises attach and detach; protects fm_stores and every list above. */
static DEFINE_MUTEX(fm_registry_lock);
static LIST_HEAD(fm_stores);

/* /sys/fs/forkmirror/, parent of every store's directory. */
static struct kobject *fm_sysfs_root;

static struct fm_store *fm_store_find(dev_t dev)
{
	struct fm_store *store;

	lockdep_assert_held(&fm_registry_lock);
	list_for_each_entry(store, &fm_stores, node)
		if (store->dev == dev)
			return store;
	return NULL;
}

static struct fm_store *fm_store_open(dev_t dev, const char **error)
{
	struct fm_store *store;
	struct block_device *bdev;

	lockdep_assert_held(&fm_registry_lock);
	store = kzalloc(sizeof(*store), GFP_KERNEL);
	if (!store) {
		*error = "Cannot allocate tracker store";
		return ERR_PTR(-ENOMEM);
	}

	bdev = blkdev_get_by_dev(dev, FMODE_READ | FMODE_WRITE, NULL);
	if (IS_ERR(bdev)) {
		*error = "Cannot open tracker device";
		kfree(store);
		return ERR_CAST(bdev);
	}

	store->dev = dev;
	store->bdev = bdev;
	INIT_LIST_HEAD(&store->volumes);
	list_add_tail(&store->node, &fm_stores);
	pr_info("store %u:%u opened\n", MAJOR(dev), MINOR(dev));
	return store;
}

static void fm_store_put_if_unused(struct fm_store *store)
{
	lockdep_assert_held(&fm_registry_lock);
	if (!list_empty(&store->volumes))
		return;
	list_del(&store->node);
	blkdev_put(store->bdev, FMODE_READ | FMODE_WRITE);
	pr_info("store %u:%u closed\n", MAJOR(store->dev), MINOR(store->dev));
	kfree(store);
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

/**
 * fm_tracker_attach() - attach a volume to its slot in a store
 * @req: the store, the name and the geometry
 * @error: on failure, a static message saying what was wrong
 *
 * Opens the store on first use. Attaching a name already attached by the
 * same owner (a table reload) returns the same volume; any other owner, or
 * a different geometry, is refused.
 *
 * Context: process context, may sleep.
 * Return: the volume, or an ERR_PTR.
 */
struct fm_tracker_volume *fm_tracker_attach(const struct fm_attach_request *req,
					    const char **error)
{
	struct fm_tracker_volume *vol;
	struct fm_store *store;
	bool new_store = false;

	if (strlen(req->name) >= sizeof(vol->name)) {
		*error = "Volume name too long for the tracker";
		return ERR_PTR(-EINVAL);
	}

	mutex_lock(&fm_registry_lock);
	store = fm_store_find(req->store_dev);
	if (!store) {
		store = fm_store_open(req->store_dev, error);
		if (IS_ERR(store)) {
			vol = ERR_CAST(store);
			goto out_unlock;
		}
		new_store = true;
	}

	vol = fm_volume_find(store, req->name);
	if (vol) {
		if (vol->owner != req->owner) {
			*error = "Volume name is attached by another dm device";
			vol = ERR_PTR(-EBUSY);
		} else if (vol->region_sectors != req->region_sectors) {
			*error = "Volume is attached with a different region size";
			vol = ERR_PTR(-EINVAL);
		} else if (vol->volume_sectors != req->volume_sectors) {
			*error = "Volume is attached with a different length";
			vol = ERR_PTR(-EINVAL);
		} else {
			vol->attached++;
		}
		goto out_unlock;
	}

	vol = kzalloc(sizeof(*vol), GFP_KERNEL);
	if (!vol) {
		*error = "Cannot allocate tracker volume";
		vol = ERR_PTR(-ENOMEM);
		goto out_close_new_store;
	}
	strscpy(vol->name, req->name, sizeof(vol->name));
	vol->store = store;
	vol->owner = req->owner;
	vol->attached = 1;
	vol->region_sectors = req->region_sectors;
	vol->volume_sectors = req->volume_sectors;
	atomic64_set(&vol->dirty, 0);
	list_add_tail(&vol->node, &store->volumes);
	pr_info("volume %s of %s attached to store %u:%u (host id %u)\n",
		vol->name, req->owner_name, MAJOR(store->dev),
		MINOR(store->dev), host_id);
	goto out_unlock;

out_close_new_store:
	if (new_store)
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
 * The store closes when its last volume detaches.
 *
 * Context: process context, may sleep.
 */
void fm_tracker_detach(struct fm_tracker_volume *vol)
{
	struct fm_store *store = vol->store;

	mutex_lock(&fm_registry_lock);
	if (--vol->attached == 0) {
		list_del(&vol->node);
		pr_info("volume %s detached from store %u:%u\n", vol->name,
			MAJOR(store->dev), MINOR(store->dev));
		kfree(vol);
		fm_store_put_if_unused(store);
	}
	mutex_unlock(&fm_registry_lock);
}
EXPORT_SYMBOL_NS_GPL(fm_tracker_detach, FORKMIRROR);

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

static int __init fm_tracker_init(void)
{
	fm_sysfs_root = kobject_create_and_add("forkmirror", fs_kobj);
	if (!fm_sysfs_root) {
		pr_err("cannot create /sys/fs/forkmirror\n");
		return -ENOMEM;
	}
	pr_info("loaded, host id %u\n", host_id);
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
