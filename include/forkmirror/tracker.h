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
 * Calling context: fm_tracker_attach() and fm_tracker_detach() may sleep
 * and must be called from process context (constructor, destructor,
 * message, worker), never from map or a bio completion.
 * fm_tracker_dirty_regions() reads memory only and never sleeps, so status
 * can call it even when the store's device hangs.
 *
 * Symbols are exported in the FORKMIRROR namespace.
 */
#ifndef FORKMIRROR_TRACKER_H
#define FORKMIRROR_TRACKER_H

#include <linux/types.h>

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
u64 fm_tracker_dirty_regions(struct fm_tracker_volume *vol);

#endif /* FORKMIRROR_TRACKER_H */
