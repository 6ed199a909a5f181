// SPDX-License-Identifier: GPL-2.0-only
/*
 * The backup on-line test.
 *
 * fm_probe_backup() asks the backup whether it answers: a read of its
 * first logical block (a read changes nothing on it) and a flush. A resync
 * request runs it before bringing an offline backup online.
 *
 * Unless no_auto_resync or pause_resync, a backup that went offline by
 * itself (a failed write or flush, not the offline message, nor
 * start_offline) is probed periodically, and brought back with a resync as
 * soon as it answers. The first probe comes FM_PROBE_MIN_S after it went
 * offline; each probe that fails doubles the wait, up to FM_PROBE_MAX_S. A
 * backup that fails again within FM_PROBE_FLAP_S of a probe bringing it
 * back is flapping: its next probe waits twice as long as the last one
 * did, instead of starting over, so a flapping backup costs a probe and a
 * short resync every few minutes at most, never a storm of them. The
 * arithmetic is in include/forkmirror/pace.h.
 *
 * Locking: @lock guards struct fm_probe but @work. The probe work runs on
 * the module's I/O workqueue; it takes ctl_lock (fm_resync_request()).
 */
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/jiffies.h>

#include "forkmirror.h"

/*
 * Does the backup answer? One logical block read from its start (a read
 * changes nothing on it) and a flush. An empty flush alone proves little:
 * dm completes one to a target that takes none (dm-error) at once.
 */
int fm_probe_backup(struct fm_target *fmt)
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

/* May the periodic probe run? Caller holds probe->lock. */
static bool fm_probe_wanted(struct fm_target *fmt)
{
	return !fmt->probe.suspended && fm_auto_resync(fmt) &&
	       !READ_ONCE(fmt->admin_offline) && !READ_ONCE(fmt->backup_online);
}

static void fm_probe_worker(struct work_struct *work)
{
	struct fm_probe *pr = container_of(to_delayed_work(work),
					   struct fm_probe, work);
	struct fm_target *fmt = container_of(pr, struct fm_target, probe);
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	unsigned int next;
	bool wanted;
	int r;

	spin_lock_irq(&pr->lock);
	wanted = fm_probe_wanted(fmt);
	spin_unlock_irq(&pr->lock);
	if (!wanted)
		return;
	r = fm_resync_request(fmt);
	spin_lock_irq(&pr->lock);
	if (!r) {
		pr->online_at = jiffies;
		pr->brought_back = true;
	} else if (fm_probe_wanted(fmt)) {
		pr->interval = fm_probe_backoff(pr->interval);
		next = pr->interval;
		spin_unlock_irq(&pr->lock);
		DMWARN_LIMIT("%s: backup probe: no answer (%d); next probe in %u s",
			     dev, r, next);
		fm_queue_io_delayed(&pr->work, next * HZ);
		return;
	}
	spin_unlock_irq(&pr->lock);
}

/**
 * fm_probe_arm() - the backup went offline by itself: probe it later
 * @fmt: the target
 *
 * Nothing happens under no_auto_resync or pause_resync, while the table is
 * suspended, or when the backup was taken offline on purpose.
 *
 * Context: process context.
 */
void fm_probe_arm(struct fm_target *fmt)
{
	struct fm_probe *pr = &fmt->probe;
	unsigned int delay;

	spin_lock_irq(&pr->lock);
	if (!fm_probe_wanted(fmt)) {
		spin_unlock_irq(&pr->lock);
		return;
	}
	pr->interval = fm_probe_first_wait(pr->interval,
					   fm_probe_flapping(pr->brought_back,
							     pr->online_at,
							     jiffies, HZ));
	pr->brought_back = false;
	delay = pr->interval;
	spin_unlock_irq(&pr->lock);
	fm_queue_io_delayed(&pr->work, delay * HZ);
}

/* Suspend: no probe runs until fm_probe_resume() (a running one ends). */
void fm_probe_suspend(struct fm_target *fmt)
{
	spin_lock_irq(&fmt->probe.lock);
	fmt->probe.suspended = true;
	spin_unlock_irq(&fmt->probe.lock);
	cancel_delayed_work(&fmt->probe.work);
}

/* Resume: an offline backup is probed again, from the shortest wait. */
void fm_probe_resume(struct fm_target *fmt)
{
	spin_lock_irq(&fmt->probe.lock);
	fmt->probe.suspended = false;
	fmt->probe.brought_back = false;
	spin_unlock_irq(&fmt->probe.lock);
	fm_probe_arm(fmt);
}

void fm_probe_init(struct fm_target *fmt)
{
	struct fm_probe *pr = &fmt->probe;

	spin_lock_init(&pr->lock);
	INIT_DELAYED_WORK(&pr->work, fm_probe_worker);
	pr->suspended = true;
	pr->interval = FM_PROBE_MIN_S;
	pr->brought_back = false;
}

/* Destructor: wait for a probe that runs. */
void fm_probe_exit(struct fm_target *fmt)
{
	fm_probe_suspend(fmt);
	cancel_delayed_work_sync(&fmt->probe.work);
}
