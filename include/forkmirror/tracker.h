/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracker's kernel API, as the forkmirror target sees it.
 *
 * The tracker module owns tracker stores: one store per metadata block
 * device, shared by every forkmirror volume naming that device, keyed by
 * dev_t, holding its own reference to the device (independent of any dm
 * table). A volume attaches to a slot of a store by its stable name. The
 * structures behind the handles are private to the tracker.
 *
 * Calling context, for each call:
 *   fm_tracker_attach, fm_tracker_detach, fm_tracker_mark,
 *   fm_tracker_flush: process context (constructor, destructor, message,
 *	worker), may sleep for metadata I/O; never from map or a completion.
 *   fm_tracker_set_flags, fm_tracker_set_offline_since: process context,
 *	may sleep (they write the slot header durably).
 *   fm_tracker_activate, fm_tracker_deactivate: process context (preresume,
 *	destructor), may sleep; no metadata I/O (deactivate waits for the
 *	target's sysfs callbacks in flight).
 *   fm_tracker_shared: process context, may sleep (the registry mutex).
 *   fm_tracker_clear, fm_tracker_test, fm_tracker_next_dirty,
 *   fm_tracker_next_clean, fm_tracker_marked,
 *   fm_tracker_count, fm_tracker_get_info: any context but hard irq,
 *	never sleep (a spinlock, memory only).
 *   fm_tracker_dirty_regions, fm_tracker_total_regions: any context,
 *	memory only, no lock; status calls them even when the store hangs.
 * Every call but attach takes an attached volume.
 *
 * Symbols are exported in the FORKMIRROR namespace.
 */
#ifndef FORKMIRROR_TRACKER_H
#define FORKMIRROR_TRACKER_H

#include <linux/types.h>
#include <uapi/linux/dm-forkmirror.h>

/* Longest volume name the tracker stores, in bytes. */
#define FM_TRACKER_NAME_MAX	64

struct fm_tracker_volume;

/**
 * struct fm_attach_request - what a volume asks of the tracker
 * @store_dev: dev_t of the metadata device holding the store
 * @name: the volume's stable name (validated by the caller)
 * @owner: identity of the mapped device attaching; tables of the same
 *	mapped device may attach the same name at once (reload), any other
 *	owner is refused while the slot is attached
 * @owner_name: the owner's dm device name, for messages and sysfs
 * @region_sectors: region size in sectors
 * @volume_sectors: size of the volume in sectors
 */
struct fm_attach_request {
	dev_t store_dev;
	const char *name;
	const void *owner;
	const char *owner_name;
	u32 region_sectors;
	sector_t volume_sectors;
};

struct fm_tracker_volume *fm_tracker_attach(const struct fm_attach_request *req,
					    const char **error);
void fm_tracker_detach(struct fm_tracker_volume *vol);
/* Whether another table of the mapped device holds the volume too. */
bool fm_tracker_shared(struct fm_tracker_volume *vol);
u64 fm_tracker_dirty_regions(struct fm_tracker_volume *vol);
u64 fm_tracker_total_regions(struct fm_tracker_volume *vol);

/* Durably mark regions [first, first + count); safe from many tasks. */
int fm_tracker_mark(struct fm_tracker_volume *vol, u64 first, u64 count);
/* Whether every region of the range is marked and durable (no I/O). */
bool fm_tracker_marked(struct fm_tracker_volume *vol, u64 first, u64 count);
/* Clear regions in memory; they reach the store with the next write. */
void fm_tracker_clear(struct fm_tracker_volume *vol, u64 first, u64 count);
/* Write every pending change of the volume's bitmap, durably. */
int fm_tracker_flush(struct fm_tracker_volume *vol);
bool fm_tracker_test(struct fm_tracker_volume *vol, u64 region);
/* First marked region at or after from, or the region count. */
u64 fm_tracker_next_dirty(struct fm_tracker_volume *vol, u64 from);
/* First unmarked region at or after from, or the region count. */
u64 fm_tracker_next_clean(struct fm_tracker_volume *vol, u64 from);

/**
 * struct fm_tracker_info - a volume's slot header, as in memory
 * @flags: FM_SLOT_* flags
 * @first_dirtied: Unix seconds, 0 when clean
 * @last_dirtied: Unix seconds, 0 when never dirtied
 * @offline_since: Unix seconds, 0 when the backup is not offline
 * @counters: indexed by enum fm_slot_counter
 */
struct fm_tracker_info {
	u32 flags;
	u64 first_dirtied;
	u64 last_dirtied;
	u64 offline_since;
	u64 counters[FM_CNT_NR];
};

void fm_tracker_get_info(struct fm_tracker_volume *vol, struct fm_tracker_info *info);
/* Set/clear FM_SLOT_ACTIVE and FM_SLOT_FULL_RESYNC durably. */
int fm_tracker_set_flags(struct fm_tracker_volume *vol, u32 set, u32 clear);
int fm_tracker_set_offline_since(struct fm_tracker_volume *vol, u64 t);
/* Add to a counter; written with the next slot header write. */
void fm_tracker_count(struct fm_tracker_volume *vol, unsigned int counter, u64 delta);

/**
 * struct fm_tracker_attr - a file the target adds to its volume's
 *	directory, /sys/fs/forkmirror/<store>/volumes/<volume>/
 * @attr: name and mode
 * @show: prints the file; @data is the active table's
 * @store: takes a write; @data is the active table's
 *
 * Callbacks run in process context, may sleep and may do I/O; they hold
 * no tracker lock, so a slow one delays neither a resume nor another
 * table's activation. fm_tracker_deactivate() waits for the callbacks in
 * flight: once it returns, no callback runs with that table's data. A
 * file read or written while no table is active fails with -ENODEV.
 */
struct fm_tracker_attr {
	struct attribute attr;
	ssize_t (*show)(void *data, char *buf);
	ssize_t (*store)(void *data, const char *buf, size_t len);
};

/*
 * Preresume: hand the volume over to the table whose data this is (the
 * previous table's detach comes later) and create its files on the first
 * call (NULL-terminated @attrs, the same for every table of the volume).
 * Never fails: a file that cannot be created is logged and left out.
 */
void fm_tracker_activate(struct fm_tracker_volume *vol,
			 struct fm_tracker_attr *const *attrs, void *data);
/* Destructor: stop using the table's data if it is still the active one. */
void fm_tracker_deactivate(struct fm_tracker_volume *vol, void *data);

#endif /* FORKMIRROR_TRACKER_H */
