// SPDX-License-Identifier: GPL-2.0-only
/*
 * The volume's state machine.
 *
 *   in_sync to tracking: a backup write error or the "offline" message
 *	(the backup goes offline: writes are tracked), or "full_resync"
 *	(every region waits for a copy; the backup stays online and writes
 *	are still forked);
 *   tracking to failed: a write that could be neither forked nor tracked;
 *   tracking or failed to in_sync: a "resync" (message or sysfs) when no
 *	region waits for a copy and the backup answers a read and a flush.
 *
 * Whether writes are forked or tracked is fmt->backup_online, not the
 * state: BRIEF.md has every write forked whenever the backup is online,
 * in every state.
 *
 * A table starts with the backup offline (tracking) when the table line
 * says start_offline or the slot records an offline backup
 * (offline_since); in tracking with the backup online when the slot has
 * marked regions; in in_sync otherwise. failed lasts until a reload or a
 * resync succeeds.
 *
 * Transitions run in process context (the fork worker, a message), never
 * in map or a bio completion: taking the backup offline writes offline_since to
 * the slot header, and every transition sends events (dm_table_event for
 * dmeventd, a KOBJ_CHANGE uevent with FORKMIRROR_STATE=<state> for udev).
 * Each transition is logged once, however many bios caused it.
 */
#include <linux/kobject.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/gfp.h>
#include <linux/timekeeping.h>

#include "forkmirror.h"

const char *fm_state_name(enum fm_state state)
{
	switch (state) {
	case FM_STATE_IN_SYNC:
		return "in_sync";
	case FM_STATE_TRACKING:
		return "tracking";
	case FM_STATE_RESYNCING:
		return "resyncing";
	case FM_STATE_FAILED:
		return "failed";
	}
	return "unknown";
}

static void fm_state_event(struct fm_target *fmt, enum fm_state state)
{
	struct mapped_device *md = dm_table_get_md(fmt->ti->table);
	char env[40];
	char *envp[2];

	envp[0] = env;
	envp[1] = NULL;
	snprintf(env, sizeof(env), "FORKMIRROR_STATE=%s", fm_state_name(state));
	dm_table_event(fmt->ti->table);
	kobject_uevent_env(&disk_to_dev(dm_disk(md))->kobj, KOBJ_CHANGE, envp);
}

/**
 * fm_state_set() - move the volume to a new state
 * @fmt: the target
 * @to: the new state
 * @why: what caused it, for the log
 *
 * Setting the current state again does nothing.
 *
 * Context: process context, may sleep.
 */
void fm_state_set(struct fm_target *fmt, enum fm_state to, const char *why)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	enum fm_state from;

	mutex_lock(&fmt->state_lock);
	from = fmt->state;
	WRITE_ONCE(fmt->state, to);
	mutex_unlock(&fmt->state_lock);
	if (from == to)
		return;

	DMWARN("%s: %s -> %s: %s", dev, fm_state_name(from), fm_state_name(to), why);
	fm_state_event(fmt, to);
}

/**
 * fm_backup_offline() - take the backup out: writes are tracked from now
 * @fmt: the target
 * @why: what caused it, for the log
 *
 * Records since when the backup is offline, in memory and in the slot
 * header. Nothing happens when the backup is offline already. A failed
 * volume stays failed.
 *
 * Context: process context, may sleep.
 */
void fm_backup_offline(struct fm_target *fmt, const char *why)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	bool was_online;
	u64 since = 0;

	mutex_lock(&fmt->state_lock);
	was_online = fmt->backup_online;
	WRITE_ONCE(fmt->backup_online, false);
	if (!fmt->offline_since) {
		since = ktime_get_real_seconds();
		WRITE_ONCE(fmt->offline_since, since);
	}
	mutex_unlock(&fmt->state_lock);
	if (!was_online)
		return;
	/*
	 * The marks, not the timestamp, are what must be durable: a failure
	 * to record it is logged and changes nothing else.
	 */
	if (since && fm_tracker_set_offline_since(fmt->vol, since))
		DMWARN("%s: cannot record offline_since in the tracker store", dev);
	if (READ_ONCE(fmt->state) == FM_STATE_FAILED)
		return;
	if (READ_ONCE(fmt->state) == FM_STATE_TRACKING)
		DMWARN("%s: backup offline: %s", dev, why);
	fm_state_set(fmt, FM_STATE_TRACKING, why);
}

/**
 * fm_full_resync() - mark every region for a copy (the full_resync message)
 * @fmt: the target
 *
 * Every region is marked durably, and the slot's FM_SLOT_FULL_RESYNC flag
 * set, before this returns; an in_sync volume goes to tracking (its
 * regions wait for a copy), the backup staying online. On error nothing
 * of the state changes (the marks made are kept: marks never lose data).
 *
 * Context: process context, may sleep.
 * Return: 0, or the tracker's error.
 */
int fm_full_resync(struct fm_target *fmt)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	int r;

	r = fm_tracker_mark(fmt->vol, 0, fmt->geom.region_count);
	if (!r)
		r = fm_tracker_set_flags(fmt->vol, FM_SLOT_FULL_RESYNC, 0);
	if (r) {
		DMERR_LIMIT("%s: full_resync: cannot mark the volume in the tracker store: %d",
			    dev, r);
		return r;
	}
	mutex_lock(&fmt->state_lock);
	fmt->full_resync_needed = true;
	mutex_unlock(&fmt->state_lock);
	if (READ_ONCE(fmt->state) == FM_STATE_IN_SYNC)
		fm_state_set(fmt, FM_STATE_TRACKING,
			     "full_resync: every region waits for a copy");
	return 0;
}

/*
 * Does the backup answer? One logical block read from its start (a read
 * changes nothing on it) and a flush. An empty flush alone proves little:
 * dm completes one to a target that takes none (dm-error) at once.
 */
static int fm_probe_backup(struct fm_target *fmt)
{
	struct block_device *bdev = fmt->backup->bdev;
	struct page *page;
	struct bio *bio;
	int r;

	page = alloc_page(GFP_NOIO);
	if (!page)
		return -ENOMEM;
	bio = bio_alloc(bdev, 1, REQ_OP_READ, GFP_NOIO);
	bio->bi_iter.bi_sector = 0;
	__bio_add_page(bio, page, bdev_logical_block_size(bdev), 0);
	r = submit_bio_wait(bio);
	bio_put(bio);
	__free_page(page);
	if (!r)
		r = blkdev_issue_flush(bdev);
	return r;
}

/**
 * fm_resync_request() - the resync message or sysfs write
 * @fmt: the target
 *
 * Clears pause_resync. An in_sync volume has nothing to do. Otherwise,
 * when no region waits for a copy, the backup is brought back online if
 * it answers (a read and a flush): offline_since is cleared in the slot and the state
 * is in_sync. Copying marked regions comes with the resync workers; until
 * then a volume with marked regions is refused with -EOPNOTSUPP.
 *
 * Context: process context, may sleep (flushes the backup).
 * Return: 0; -EOPNOTSUPP (marked regions); -EIO (the backup did not
 * answer); the tracker's error (offline_since could not be cleared).
 */
int fm_resync_request(struct fm_target *fmt)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	int r;

	WRITE_ONCE(fmt->resync_paused, false);
	if (READ_ONCE(fmt->state) == FM_STATE_IN_SYNC)
		return 0;
	if (fm_tracker_dirty_regions(fmt->vol)) {
		DMWARN_LIMIT("%s: resync: copying marked regions is not supported yet",
			     dev);
		return -EOPNOTSUPP;
	}
	r = fm_probe_backup(fmt);
	if (r) {
		DMERR_LIMIT("%s: resync: the backup does not answer (%d)",
			    dev, r);
		return -EIO;
	}
	r = fm_tracker_set_offline_since(fmt->vol, 0);
	if (!r && fmt->full_resync_needed)
		r = fm_tracker_set_flags(fmt->vol, 0, FM_SLOT_FULL_RESYNC);
	if (r) {
		DMERR_LIMIT("%s: resync: cannot update the tracker store: %d",
			    dev, r);
		return r;
	}
	mutex_lock(&fmt->state_lock);
	fmt->full_resync_needed = false;
	WRITE_ONCE(fmt->offline_since, 0);
	WRITE_ONCE(fmt->backup_online, true);
	mutex_unlock(&fmt->state_lock);
	fm_state_set(fmt, FM_STATE_IN_SYNC, "resync: backup online, nothing to copy");
	return 0;
}
