// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-forkmirror: a device-mapper target that forks every write to a backup
 * component before the primary.
 *
 * Table line (see Documentation/admin-guide/device-mapper/forkmirror.rst):
 *
 *   <start> <len> forkmirror <primary> <backup> <tracker> <volume>
 *                 <region_sectors> [<#feature_args> <feature_arg>...]
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/slab.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/timekeeping.h>

#include "forkmirror.h"

/*
 *---------------------------------------------------------------
 * Constructor and destructor
 *---------------------------------------------------------------
 */

static int fm_get_devices(struct fm_target *fmt, const char **error)
{
	struct dm_target *ti = fmt->ti;
	fmode_t mode = dm_table_get_mode(ti->table);
	dev_t p, b, t;
	int r;

	r = dm_get_device(ti, fmt->args.primary_path, mode, &fmt->primary);
	if (r) {
		*error = "Cannot open primary device";
		return r;
	}
	r = dm_get_device(ti, fmt->args.backup_path, mode, &fmt->backup);
	if (r) {
		*error = "Cannot open backup device";
		goto bad_put_primary;
	}
	r = dm_get_device(ti, fmt->args.tracker_path,
			  FMODE_READ | FMODE_WRITE, &fmt->tracker_dev);
	if (r) {
		*error = "Cannot open tracker device";
		goto bad_put_backup;
	}

	p = fmt->primary->bdev->bd_dev;
	b = fmt->backup->bdev->bd_dev;
	t = fmt->tracker_dev->bdev->bd_dev;
	r = -EINVAL;
	if (p == b) {
		*error = "Primary and backup are the same device";
		goto bad_put_tracker;
	}
	if (p == t) {
		*error = "Primary and tracker are the same device";
		goto bad_put_tracker;
	}
	if (b == t) {
		*error = "Backup and tracker are the same device";
		goto bad_put_tracker;
	}
	if (bdev_nr_sectors(fmt->primary->bdev) < ti->len) {
		*error = "Primary device is smaller than the target length";
		goto bad_put_tracker;
	}
	if (bdev_nr_sectors(fmt->backup->bdev) < ti->len) {
		*error = "Backup device is smaller than the target length";
		goto bad_put_tracker;
	}
	return 0;

bad_put_tracker:
	dm_put_device(ti, fmt->tracker_dev);
bad_put_backup:
	dm_put_device(ti, fmt->backup);
bad_put_primary:
	dm_put_device(ti, fmt->primary);
	return r;
}

static void fm_put_devices(struct fm_target *fmt)
{
	dm_put_device(fmt->ti, fmt->tracker_dev);
	dm_put_device(fmt->ti, fmt->backup);
	dm_put_device(fmt->ti, fmt->primary);
}

static int fm_attach_tracker(struct fm_target *fmt, const char **error)
{
	struct mapped_device *md = dm_table_get_md(fmt->ti->table);
	char name[DM_NAME_LEN];
	struct fm_attach_request req = {
		.store_dev = fmt->tracker_dev->bdev->bd_dev,
		.name = fmt->args.volume,
		.owner = md,
		.owner_name = name,
		.region_sectors = fmt->args.region_sectors,
		.volume_sectors = fmt->ti->len,
	};
	struct fm_tracker_volume *vol;

	/* The name dmsetup knows the device by; its number if it has none. */
	if (dm_copy_name_and_uuid(md, name, NULL))
		strscpy(name, dm_device_name(md), sizeof(name));
	vol = fm_tracker_attach(&req, error);
	if (IS_ERR(vol))
		return PTR_ERR(vol);
	fmt->vol = vol;
	return 0;
}

/*
 * The state the slot gives (the volume's state when this table takes it
 * over): backup offline (tracking) when the slot records an offline
 * backup; tracking with the backup online when the slot has marked
 * regions (they wait for a copy); in_sync otherwise.
 */
static void fm_state_from_tracker(struct fm_target *fmt)
{
	struct fm_tracker_info info;

	fm_tracker_get_info(fmt->vol, &info);
	WRITE_ONCE(fmt->offline_since, info.offline_since);
	WRITE_ONCE(fmt->full_resync_needed, !!(info.flags & FM_SLOT_FULL_RESYNC));
	WRITE_ONCE(fmt->backup_online, !info.offline_since);
	if (!info.offline_since && !fm_tracker_dirty_regions(fmt->vol))
		WRITE_ONCE(fmt->state, FM_STATE_IN_SYNC);
	else
		WRITE_ONCE(fmt->state, FM_STATE_TRACKING);
}

/*
 * The slot's clean/active flag (FM_SLOT_ACTIVE), kept for tables running
 * no_intent_log: set while such a table may write, cleared when the last
 * table of the volume goes away cleanly. Found set by a table that is not
 * a reload (no other table holds the slot), it means the volume was not
 * shut down cleanly: any region may differ, so every region is marked and
 * the slot says a full resync is needed.
 */
static int fm_check_clean(struct fm_target *fmt, const char **error)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	struct fm_tracker_info info;
	int r;

	fm_tracker_get_info(fmt->vol, &info);
	if ((info.flags & FM_SLOT_ACTIVE) && !fm_tracker_shared(fmt->vol)) {
		DMWARN("%s: volume %s was not shut down cleanly (%s): %s",
		       dev, fmt->args.volume, "no_intent_log",
		       "every region marked, full resync needed");
		r = fm_tracker_mark(fmt->vol, 0, fmt->geom.region_count);
		if (!r)
			r = fm_tracker_set_flags(fmt->vol, FM_SLOT_FULL_RESYNC, 0);
		if (r) {
			*error = "Cannot mark an uncleanly shut down volume in the tracker store";
			return r;
		}
	}
	if (!fm_intent_enabled(fmt) && !(info.flags & FM_SLOT_ACTIVE)) {
		r = fm_tracker_set_flags(fmt->vol, FM_SLOT_ACTIVE, 0);
		if (r) {
			*error = "Cannot set the volume's active flag in the tracker store";
			return r;
		}
	}
	return 0;
}

/*
 * The last table of the volume goes away: clear the active flag once
 * both devices are flushed (with the backup offline every write was
 * marked, so its flush is not needed). A failure leaves the flag set: the
 * next table then marks every region, which loses nothing.
 */
static void fm_mark_clean(struct fm_target *fmt)
{
	struct fm_tracker_info info;

	fm_tracker_get_info(fmt->vol, &info);
	if (!(info.flags & FM_SLOT_ACTIVE) || fm_tracker_shared(fmt->vol))
		return;
	if (READ_ONCE(fmt->backup_online) && blkdev_issue_flush(fmt->backup->bdev))
		return;
	if (blkdev_issue_flush(fmt->primary->bdev))
		return;
	if (fm_tracker_set_flags(fmt->vol, 0, FM_SLOT_ACTIVE))
		DMWARN("%s: cannot clear the volume's active flag",
		       dm_device_name(dm_table_get_md(fmt->ti->table)));
}

/*
 * The state a new table starts in: start_offline is recorded in the slot
 * now (so that it can fail here), then the slot gives the state. The
 * first preresume takes it from the slot again: the table this one
 * replaces may have changed it since.
 */
static int fm_initial_state(struct fm_target *fmt, const char **error)
{
	struct fm_tracker_info info;
	int r;

	fm_tracker_get_info(fmt->vol, &info);
	fmt->resync_rate = fmt->args.resync_rate;
	/* Offline on purpose: no periodic probe (probe.c). */
	fmt->admin_offline = fm_args_has(&fmt->args, FM_FEAT_START_OFFLINE);
	if (!info.offline_since &&
	    fm_args_has(&fmt->args, FM_FEAT_START_OFFLINE)) {
		r = fm_tracker_set_offline_since(fmt->vol,
						 ktime_get_real_seconds());
		if (r) {
			*error = "Cannot record the offline backup in the tracker store";
			return r;
		}
	}
	fm_state_from_tracker(fmt);
	return 0;
}

/*
 * Construct a forkmirror target: parse the whole line, open the three
 * devices and attach the volume's tracker slot. Everything that can fail
 * fails here, so a reload never leaves a half-working table behind.
 */
static int fm_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct fm_target *fmt;
	const char *error = NULL;
	int r;

	/* Over 8 KiB (the in-flight buckets' owners): maybe vmalloc'ed. */
	fmt = kvzalloc(sizeof(*fmt), GFP_KERNEL);
	if (!fmt) {
		ti->error = "Cannot allocate forkmirror context";
		return -ENOMEM;
	}
	fmt->ti = ti;
	mutex_init(&fmt->ctl_lock);
	mutex_init(&fmt->state_lock);
	atomic_set(&fmt->tracking_writes, 0);
	fm_inflight_init(&fmt->inflight);
	fm_fork_target_init(fmt);
	fm_resync_init(fmt);
	fm_probe_init(fmt);
	atomic64_set(&fmt->backup_errors, 0);
	atomic64_set(&fmt->primary_errors, 0);

	r = fm_parse_args(argc, argv, &fmt->args, &error);
	if (r)
		goto bad_free;

	r = fm_get_devices(fmt, &error);
	if (r)
		goto bad_free;

	r = fm_geom_init(&fmt->geom, ti->len, fmt->args.region_sectors);
	if (r) {
		error = "Target length or region size out of range";
		goto bad_put_devices;
	}

	r = fm_intent_init(fmt, &error);
	if (r)
		goto bad_put_devices;

	r = fm_attach_tracker(fmt, &error);
	if (r)
		goto bad_intent_exit;

	r = fm_check_clean(fmt, &error);
	if (r)
		goto bad_detach;

	r = fm_initial_state(fmt, &error);
	if (r)
		goto bad_detach;

	/* The words of argv belong to dm and are freed after we return. */
	fmt->args.primary_path = NULL;
	fmt->args.backup_path = NULL;
	fmt->args.tracker_path = NULL;

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct fm_io);
	ti->private = fmt;
	return 0;

bad_detach:
	fm_tracker_detach(fmt->vol);
bad_intent_exit:
	fm_intent_exit(fmt);
bad_put_devices:
	fm_put_devices(fmt);
bad_free:
	kvfree(fmt);
	/* dm only prints ti->error; every message here is a static string. */
	ti->error = (char *)error;
	return r;
}

static void fm_dtr(struct dm_target *ti)
{
	struct fm_target *fmt = ti->private;

	fm_probe_exit(fmt);
	fm_resync_stop(fmt);
	fm_fork_target_exit(fmt);
	fm_inflight_exit(&fmt->inflight);
	fm_tracker_deactivate(fmt->vol, fmt);
	fm_intent_exit(fmt);
	fm_mark_clean(fmt);
	fm_tracker_detach(fmt->vol);
	fm_put_devices(fmt);
	kvfree(fmt);
}

/*
 *---------------------------------------------------------------
 * I/O path
 *---------------------------------------------------------------
 */

static int fm_map(struct dm_target *ti, struct bio *bio)
{
	struct fm_target *fmt = ti->private;
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	io->backup_status = BLK_STS_OK;
	io->bucket_count = 0;
	io->error_marked = false;
	io->failed_here = false;
	io->tracked = false;
	io->parallel = false;
	io->primary_held = false;
	bio_set_dev(bio, fmt->primary->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);

	if (op_is_write(bio_op(bio))) {
		/*
		 * A write is forked whatever its flags ask: no half may fail
		 * with BLK_STS_AGAIN (a backup failing so would go offline,
		 * a primary half fail after the backup took the data), nor
		 * sit on a poll queue: dm polls only this bio, never the
		 * backup's clone (which inherits the flags), and a worker
		 * waiting for a request on a poll queue would depend on
		 * somebody polling it. Both halves complete by interrupt;
		 * the submitter may wait for a request when a device's queue
		 * is full. Reads keep both flags: dm remaps them as they are.
		 */
		bio->bi_opf &= ~REQ_NOWAIT;
		bio_clear_polled(bio);
		return fm_fork_write(fmt, bio);
	}
	return DM_MAPIO_REMAPPED;
}

static int fm_end_io(struct dm_target *ti, struct bio *bio,
		     blk_status_t *error)
{
	struct fm_target *fmt = ti->private;
	struct fm_io *io = dm_per_bio_data(bio, sizeof(struct fm_io));

	bool write = op_is_write(bio_op(bio));
	int r = DM_ENDIO_DONE;
	bool held;

	/* A parallel fork's primary half: the backup's may still run. */
	if (io->parallel && fm_fork_parallel_wait(bio, *error))
		return DM_ENDIO_INCOMPLETE;
	/*
	 * Its failed primary half's hold, dropped below once the error is
	 * handled. Taken off the io first, as the bio comes here again once
	 * the error work completed it.
	 */
	held = io->primary_held;
	io->primary_held = false;
	/*
	 * Not counted: a write the target failed itself (it never reached
	 * the primary) and the second completion of a failed write whose
	 * regions are marked, nor a read that was asked not to wait
	 * (REQ_NOWAIT) and found the primary's queue full: its submitter
	 * retries it.
	 */
	if (*error && !(write && (io->failed_here || io->error_marked)) &&
	    (write || *error != BLK_STS_AGAIN)) {
		atomic64_inc(&fmt->primary_errors);
		/* Before the buckets go: it holds the intent log's clearing. */
		if (write && fm_fork_primary_error(fmt, bio, *error))
			r = DM_ENDIO_INCOMPLETE;
	}
	if (held)
		fm_intent_release(fmt);
	fm_inflight_end(fmt, io);
	if (io->tracked && r == DM_ENDIO_DONE) {
		io->tracked = false;
		fm_track_end(fmt);
	}
	/* Last: the error work may complete the bio, and free io, at once. */
	if (r == DM_ENDIO_INCOMPLETE)
		fm_queue_io_work(&io->work);
	return r;
}

/*
 *---------------------------------------------------------------
 * Resume and the volume's sysfs files
 *---------------------------------------------------------------
 */

/* /sys/fs/forkmirror/<store>/volumes/<volume>/state */
static ssize_t fm_sysfs_state_show(void *data, char *buf)
{
	struct fm_target *fmt = data;

	return sysfs_emit(buf, "%s\n", fm_state_name(READ_ONCE(fmt->state)));
}

/* .../resync_progress: "<done>/<pass_total>", as status field 3. */
static ssize_t fm_sysfs_progress_show(void *data, char *buf)
{
	u64 done, pass_total;
	u32 kib_s;

	fm_resync_progress(data, &done, &pass_total, &kib_s);
	return sysfs_emit(buf, "%llu/%llu\n", (unsigned long long)done,
			  (unsigned long long)pass_total);
}

/* .../resync_speed: the resync's mean rate in KiB/s, as status field 4. */
static ssize_t fm_sysfs_speed_show(void *data, char *buf)
{
	u64 done, pass_total;
	u32 kib_s;

	fm_resync_progress(data, &done, &pass_total, &kib_s);
	return sysfs_emit(buf, "%u\n", kib_s);
}

/* .../resync: any write asks for a resync, as the "resync" message does. */
static ssize_t fm_sysfs_resync_store(void *data, const char *buf, size_t len)
{
	int r = fm_resync_request(data);

	return r ? r : len;
}

static struct fm_tracker_attr fm_sysfs_state = {
	.attr = { .name = "state", .mode = 0444 },
	.show = fm_sysfs_state_show,
};

static struct fm_tracker_attr fm_sysfs_resync = {
	.attr = { .name = "resync", .mode = 0200 },
	.store = fm_sysfs_resync_store,
};

static struct fm_tracker_attr fm_sysfs_progress = {
	.attr = { .name = "resync_progress", .mode = 0444 },
	.show = fm_sysfs_progress_show,
};

static struct fm_tracker_attr fm_sysfs_speed = {
	.attr = { .name = "resync_speed", .mode = 0444 },
	.show = fm_sysfs_speed_show,
};

static struct fm_tracker_attr *const fm_sysfs_attrs[] = {
	&fm_sysfs_state,
	&fm_sysfs_resync,
	&fm_sysfs_progress,
	&fm_sysfs_speed,
	NULL,
};

/*
 * The constructor checked and reserved everything; preresume only hands
 * the volume over from the previous table and cannot fail. On the first
 * resume the state is taken from the slot again: the previous table (now
 * suspended, no write in flight) may have taken the backup offline or
 * marked regions after this table was loaded.
 */
static int fm_preresume(struct dm_target *ti)
{
	struct fm_target *fmt = ti->private;

	if (!fmt->resumed) {
		mutex_lock(&fmt->state_lock);
		fm_state_from_tracker(fmt);
		/*
		 * A reload (the table it replaces still holds the slot) cannot
		 * know why the backup it takes over offline went so: it is not
		 * probed, a resync request brings it back. After a reboot, a
		 * backup the slot says offline is probed (probe.c).
		 */
		if (fmt->offline_since && fm_tracker_shared(fmt->vol))
			WRITE_ONCE(fmt->admin_offline, true);
		mutex_unlock(&fmt->state_lock);
		fmt->resumed = true;
	}
	fm_tracker_activate(fmt->vol, fm_sysfs_attrs, fmt);
	return 0;
}

/* Suspended, no write in flight: clear every intent mark (intent.c). */
static void fm_postsuspend(struct dm_target *ti)
{
	fm_probe_suspend(ti->private);
	fm_resync_suspend(ti->private);
	fm_intent_suspend(ti->private);
}

static void fm_resume(struct dm_target *ti)
{
	struct fm_target *fmt = ti->private;

	fm_intent_resume(fmt);
	/*
	 * A resync the suspend stopped starts again; so does one for the
	 * regions a table finds waiting for a copy (after a crash, a reload
	 * or a full_resync under no_auto_resync), unless no_auto_resync.
	 */
	if (fm_resync_resume(fmt))
		fm_resync_restart(fmt, true);
	else if (fm_auto_resync(fmt))
		fm_resync_restart(fmt, false);
	fm_probe_resume(fmt);
}

/*
 *---------------------------------------------------------------
 * Status and messages
 *---------------------------------------------------------------
 */

/*
 * Status output, fields in this order (later versions only append):
 *
 *   <state> <dirty>/<total> <resync_done>/<resync_pass_total>
 *   <resync_KiB_per_s> <backup_errors> <primary_errors>
 *   <offline_since|-> <full_resync_needed 0|1>
 *
 * Table output: the canonical table line, devices as major:minor and
 * features in a fixed order with defaults left out.
 *
 * Reads memory only: a hung tracker device never hangs status.
 */
static void fm_status(struct dm_target *ti, status_type_t type,
		      unsigned int status_flags, char *result,
		      unsigned int maxlen)
{
	struct fm_target *fmt = ti->private;
	unsigned int sz = 0;
	char features[128];
	char since[24] = "-";
	u64 done, pass_total;
	u32 kib_s;
	u64 t;

	switch (type) {
	case STATUSTYPE_INFO:
		t = READ_ONCE(fmt->offline_since);
		if (t)
			snprintf(since, sizeof(since), "%llu", (unsigned long long)t);
		fm_resync_progress(fmt, &done, &pass_total, &kib_s);
		DMEMIT("%s %llu/%llu %llu/%llu %u %lld %lld %s %u",
		       fm_state_name(READ_ONCE(fmt->state)),
		       (unsigned long long)fm_tracker_dirty_regions(fmt->vol),
		       (unsigned long long)fmt->geom.region_count,
		       (unsigned long long)done, (unsigned long long)pass_total,
		       kib_s,
		       (long long)atomic64_read(&fmt->backup_errors),
		       (long long)atomic64_read(&fmt->primary_errors),
		       since, READ_ONCE(fmt->full_resync_needed) ? 1U : 0U);
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s %s %s %s %u", fmt->primary->name, fmt->backup->name,
		       fmt->tracker_dev->name, fmt->args.volume,
		       fmt->args.region_sectors);
		if (fm_format_features(&fmt->args, features,
				       sizeof(features)) > 0)
			DMEMIT(" %s", features);
		break;

	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",primary=%s,backup=%s,tracker=%s,volume=%s",
		       fmt->primary->name, fmt->backup->name,
		       fmt->tracker_dev->name, fmt->args.volume);
		DMEMIT(",region_sectors=%u,resync_rate=%u,fork_mode=%s",
		       fmt->args.region_sectors, fmt->args.resync_rate,
		       fmt->args.fork_mode == FM_FORK_PARALLEL ?
		       "parallel" : "serial");
		DMEMIT(",auto_resync=%c,intent_log=%c,start_offline=%c",
		       fm_args_has(&fmt->args, FM_FEAT_NO_AUTO_RESYNC) ? 'n' : 'y',
		       fm_args_has(&fmt->args, FM_FEAT_NO_INTENT_LOG) ? 'n' : 'y',
		       fm_args_has(&fmt->args, FM_FEAT_START_OFFLINE) ? 'y' : 'n');
		DMEMIT(",intent_window_ms=%u;", fmt->args.intent_window_ms);
		break;
	}
}

static int fm_iterate_devices(struct dm_target *ti,
			      iterate_devices_callout_fn fn, void *data)
{
	struct fm_target *fmt = ti->private;
	int r;

	r = fn(ti, fmt->primary, 0, ti->len, data);
	if (!r)
		r = fn(ti, fmt->backup, 0, ti->len, data);
	return r;
}

static struct target_type fm_target_type = {
	.name = "forkmirror",
	.version = {1, 2, 0},
	.features = DM_TARGET_NOWAIT,
	.module = THIS_MODULE,
	.ctr = fm_ctr,
	.dtr = fm_dtr,
	.preresume = fm_preresume,
	.postsuspend = fm_postsuspend,
	.resume = fm_resume,
	.map = fm_map,
	.end_io = fm_end_io,
	.status = fm_status,
	.message = fm_message,
	.iterate_devices = fm_iterate_devices,
};

static int __init dm_forkmirror_init(void)
{
	int r;

	r = fm_fork_init();
	if (r)
		return r;
	r = fm_resync_module_init();
	if (r)
		goto bad_fork_exit;

	r = dm_register_target(&fm_target_type);
	if (r) {
		DMERR("register failed %d", r);
		goto bad_resync_exit;
	}
	return 0;

bad_resync_exit:
	fm_resync_module_exit();
bad_fork_exit:
	fm_fork_exit();
	return r;
}

static void __exit dm_forkmirror_exit(void)
{
	dm_unregister_target(&fm_target_type);
	fm_resync_module_exit();
	fm_fork_exit();
}

module_init(dm_forkmirror_init);
module_exit(dm_forkmirror_exit);

MODULE_DESCRIPTION(DM_NAME " target forking writes to a backup before the primary");
MODULE_AUTHOR("dm-forkmirror developers");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(FORKMIRROR);
