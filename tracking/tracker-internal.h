/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private structures of the tracker module, shared by its files:
 * tracker.c (registry, API, module), store.c (a store on its device:
 * open, format, slot headers), volume.c (a slot's bitmap: load, mark,
 * clear) and sysfs.c (/sys/fs/forkmirror/).
 *
 * Lock order: fm_registry_lock, then store->io_lock, then vol->lock.
 */
#ifndef FORKMIRROR_TRACKER_INTERNAL_H
#define FORKMIRROR_TRACKER_INTERNAL_H

#include <linux/blkdev.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/dm-bufio.h>

#include <forkmirror/tracker.h>
#include <forkmirror/format.h>
#include <forkmirror/bitmap.h>

#define FM_STORE_NAME_LEN 24

/**
 * struct fm_store - one tracker store: one metadata device
 * @node: entry in fm_stores (fm_registry_lock)
 * @dev: the device's number, the store's key
 * @name: "maj:min", for messages and the sysfs directory
 * @bdev: the tracker's own reference to the device
 * @dev_blocks: the device's size in FM_BLOCK_SIZE blocks
 * @dax_dev: the device's DAX device, when the dax backend is used
 * @dax_addr: the whole device mapped, when the dax backend is used
 * @bufio: block cache over the device, when the bufio backend is used
 * @volumes: attached volumes (fm_registry_lock)
 * @io_lock: serialises every metadata write of the store and guards
 *	@slots, @next_copy and @slots_used
 * @sb: the superblock in force (fixed while open)
 * @layout: where everything is (fixed while open)
 * @slots: the header in force of every slot, decoded
 * @next_copy: per slot, the copy (0 or 1) the next header write goes to
 * @slots_used: slots in use
 * @leaf_buf: one block to write a bitmap leaf from
 * @kobj: /sys/fs/forkmirror/<maj:min>/
 * @kobj_done: completed when @kobj is released
 * @volumes_kobj: .../volumes/
 */
struct fm_store {
	struct list_head node;
	dev_t dev;
	char name[FM_STORE_NAME_LEN];
	struct block_device *bdev;
	u64 dev_blocks;
	struct dax_device *dax_dev;
	void *dax_addr;
	struct dm_bufio_client *bufio;
	struct list_head volumes;

	/* Serialises metadata writes; guards the fields down to leaf_buf. */
	struct mutex io_lock;
	struct fm_sb sb;
	struct fm_layout layout;
	struct fm_slot *slots;
	u8 *next_copy;
	u32 slots_used;
	void *leaf_buf;

	struct kobject kobj;
	struct completion kobj_done;
	struct kobject *volumes_kobj;
};

/**
 * struct fm_tracker_volume - a volume attached to its slot
 * @node: entry in the store's volumes (fm_registry_lock)
 * @store: the store holding the slot
 * @owner: the mapped device holding the name (fm_registry_lock)
 * @owner_name: its dm name, for sysfs (fm_registry_lock)
 * @attached: tables attached to it (fm_registry_lock)
 * @slot: the slot's index in the store
 * @geom: region geometry; changed only by a resize, under @lock and the
 *	store's io_lock
 * @lock: guards @bm, @dirty_leaves, @writing_leaves, the seqs and the
 *	in-memory timestamps
 * @bm: the bitmap, the truth for everything in memory
 * @dirty_leaves: leaves changed since last written to the store
 * @writing_leaves: leaves being written, not yet committed (in the same
 *	allocation as @dirty_leaves)
 * @mark_seq: counts mark requests that set new bits
 * @durable_seq: every mark request up to this one is on the store
 * @first_dirtied: in-memory copy of the slot's timestamp
 * @last_dirtied: in-memory copy of the slot's timestamp
 * @offline_since: in-memory copy of the slot's timestamp
 * @flags: in-memory copy of the slot's FM_SLOT_* flags
 * @counters: in-memory copy of the slot's counters
 * @dirty: set bits, readable without a lock (status)
 * @bind_lock: guards @target_data and @cb_users
 * @target_data: the active table's data, NULL when none is active
 * @cb_users: the target's sysfs callbacks running (they run without
 *	@bind_lock: a resync may wait for the backup)
 * @cb_idle: woken when @cb_users drops to zero
 * @files_lock: serialises creating and removing the target's files
 * @target_attrs: the target's files, once created (set under both locks)
 * @kobj: .../volumes/<name>/
 * @kobj_done: completed when @kobj is released
 * @name: the volume's stable name
 */
struct fm_tracker_volume {
	struct list_head node;
	struct fm_store *store;
	const void *owner;
	char owner_name[128];
	unsigned int attached;
	u32 slot;
	struct fm_geom geom;

	/* Guards bm, dirty_leaves, the seqs and the timestamps below. */
	spinlock_t lock;
	struct fm_bitmap bm;
	unsigned long *dirty_leaves;
	unsigned long *writing_leaves;
	u64 mark_seq;
	u64 durable_seq;
	u64 first_dirtied;
	u64 last_dirtied;
	u64 offline_since;
	u32 flags;
	u64 counters[FM_CNT_NR];
	atomic64_t dirty;

	/* Guards target_data and cb_users. */
	struct mutex bind_lock;
	void *target_data;
	unsigned int cb_users;
	wait_queue_head_t cb_idle;
	/* Serialises creating and removing the target's files. */
	struct mutex files_lock;
	struct fm_tracker_attr *const *target_attrs;

	struct kobject kobj;
	struct completion kobj_done;
	char name[FM_NAME_MAX + 1];
};

extern unsigned int fm_host_id;
extern struct mutex fm_registry_lock;
extern struct kobject *fm_sysfs_root;

/* backend.c */
int fm_backend_open(struct fm_store *store, const char **error);
void fm_backend_close(struct fm_store *store);
const char *fm_backend_name(struct fm_store *store);
int fm_backend_read(struct fm_store *store, u64 first, u64 count, void *buf);
int fm_backend_write(struct fm_store *store, u64 nr, const void *buf);
int fm_backend_zero(struct fm_store *store, u64 first, u64 count);
int fm_backend_commit(struct fm_store *store);
void fm_backend_forget(struct fm_store *store, u64 first, u64 count);

/* store.c */
struct fm_store *fm_store_create(dev_t dev, const char **error);
void fm_store_destroy(struct fm_store *store);
int fm_store_write_slot(struct fm_store *store, const struct fm_slot *slot);
int fm_store_find_slot(struct fm_store *store, const char *name, u32 host);
int fm_store_alloc_extent(struct fm_store *store, u64 need, u64 *start,
			  const char **error);
int fm_store_new_slot(struct fm_store *store, const char *name, u32 host,
		      const struct fm_geom *geom, struct fm_slot *out,
		      const char **error);
int fm_store_delete_slot(struct fm_store *store, u32 index);

/* volume.c */
int fm_volume_load(struct fm_tracker_volume *vol, const char **error);
void fm_volume_unload(struct fm_tracker_volume *vol);
int fm_volume_sync(struct fm_tracker_volume *vol, u64 target);
int fm_volume_write_header(struct fm_tracker_volume *vol);
int fm_volume_resize(struct fm_tracker_volume *vol, u64 volume_sectors,
		     const char **error);

/* sysfs.c */
int fm_sysfs_store_add(struct fm_store *store);
void fm_sysfs_store_del(struct fm_store *store);
int fm_sysfs_volume_add(struct fm_tracker_volume *vol);
void fm_sysfs_volume_del(struct fm_tracker_volume *vol);

#endif /* FORKMIRROR_TRACKER_INTERNAL_H */
