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
 * Concurrency. Every decision reads and writes the state, backup_online,
 * offline_since and offline_gen together under state_lock, so a backup
 * failure, an "offline" or "full_resync" message and a resync never
 * overwrite one another's outcome. A resync does its I/O (the probe, the
 * slot updates) outside the lock and holds ctl_lock instead, which only
 * the messages and the sysfs file take; offline_gen tells it whether the
 * backup went offline again meanwhile. Writes that map sent to tracking
 * hold fmt->tracking_writes until they complete (fm_track_begin), so a
 * resync that brings the backup online waits for them before it counts
 * the marked regions or copies one: no write reaches the primary alone
 * after that.
 *
 * Transitions run in process context (a work item, a message), never
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

/* Log and announce a transition made under state_lock. */
void fm_state_announce(struct fm_target *fmt, enum fm_state from,
		       enum fm_state to, const char *why)
{
	if (from == to)
		return;
	DMWARN("%s: %s -> %s: %s",
	       dm_device_name(dm_table_get_md(fmt->ti->table)),
	       fm_state_name(from), fm_state_name(to), why);
	fm_state_event(fmt, to);
}

/**
 * fm_state_move() - move the volume to a new state if it is in one of some
 * @fmt: the target
 * @from_mask: BIT() of each state the move starts from
 * @to: the new state
 * @why: what caused it, for the log
 *
 * Context: process context, may sleep.
 * Return: true when the state changed.
 */
bool fm_state_move(struct fm_target *fmt, unsigned int from_mask,
		   enum fm_state to, const char *why)
{
	enum fm_state from;

	mutex_lock(&fmt->state_lock);
	from = fmt->state;
	if (from_mask & BIT(from))
		WRITE_ONCE(fmt->state, to);
	else
		to = from;
	mutex_unlock(&fmt->state_lock);
	fm_state_announce(fmt, from, to, why);
	return from != to;
}

/**
 * fm_state_set() - move the volume to a new state, whatever it is in
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
	fm_state_move(fmt, ~0U, to, why);
}

/**
 * fm_track_begin() - may a write be tracked, the backup being offline?
 * @fmt: the target
 *
 * Called after the caller saw the backup offline. Counts the write in
 * @fmt->tracking_writes, then looks again: a resync that brings the backup
 * online between the two looks is seen here, and one that does it after
 * sees the count (it waits for it to drop before it counts the marked
 * regions). fm_track_end() drops the count once the write completed
 * (fm_end_io()), whether it reached the primary or failed.
 *
 * Context: any (map).
 * Return: true when the write is to be tracked (and is counted); false
 * when the backup is online again (the write is forked; not counted).
 */
bool fm_track_begin(struct fm_target *fmt)
{
	atomic_inc(&fmt->tracking_writes);
	/* Pairs with the smp_mb() in fm_backup_online(). */
	smp_mb__after_atomic();
	if (!READ_ONCE(fmt->backup_online))
		return true;
	fm_track_end(fmt);
	return false;
}

/**
 * fm_track_end() - a tracked write completed
 * @fmt: the target
 *
 * Context: any.
 */
void fm_track_end(struct fm_target *fmt)
{
	if (atomic_dec_and_test(&fmt->tracking_writes))
		wake_up_var(&fmt->tracking_writes);
}

/**
 * fm_mark_all() - every region waits for a copy
 * @fmt: the target
 * @why: what caused it, for the log
 *
 * Every region is marked durably and the slot's FM_SLOT_FULL_RESYNC flag
 * set, then full_resync_needed. An in_sync volume goes to tracking.
 *
 * Context: process context, may sleep (metadata I/O); takes state_lock
 * (the caller must not hold it), never ctl_lock.
 * Return: 0, or the tracker's error (the marks made are kept, and the
 * intent marks wait for a copy: an in_sync volume with such regions goes
 * to tracking all the same).
 */
int fm_mark_all(struct fm_target *fmt, const char *why)
{
	int r;

	r = fm_intent_to_copy(fmt, 0, fmt->geom.region_count);
	if (!r)
		r = fm_tracker_set_flags(fmt->vol, FM_SLOT_FULL_RESYNC, 0);
	if (r) {
		/* The intent marks wait for a copy now, whatever failed. */
		if (fm_intent_waiting(fmt))
			fm_state_move(fmt, BIT(FM_STATE_IN_SYNC),
				      FM_STATE_TRACKING, why);
		return r;
	}
	mutex_lock(&fmt->state_lock);
	WRITE_ONCE(fmt->full_resync_needed, true);
	mutex_unlock(&fmt->state_lock);
	fm_state_move(fmt, BIT(FM_STATE_IN_SYNC), FM_STATE_TRACKING, why);
	return 0;
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
	enum fm_state from, to;
	bool was_online;
	u64 since = 0;

	mutex_lock(&fmt->state_lock);
	was_online = fmt->backup_online;
	/*
	 * Under the in-flight lock with the intent marks turned into regions
	 * waiting for a copy: a clearing pass that saw the backup online
	 * finished before any write is tracked (intent.c).
	 */
	spin_lock_irq(&fmt->inflight.lock);
	WRITE_ONCE(fmt->backup_online, false);
	fm_intent_drop_all(fmt);
	spin_unlock_irq(&fmt->inflight.lock);
	if (!was_online) {
		mutex_unlock(&fmt->state_lock);
		return;
	}
	fmt->offline_gen++;
	if (!fmt->offline_since) {
		since = ktime_get_real_seconds();
		WRITE_ONCE(fmt->offline_since, since);
	}
	from = fmt->state;
	to = from == FM_STATE_FAILED ? from : FM_STATE_TRACKING;
	WRITE_ONCE(fmt->state, to);
	mutex_unlock(&fmt->state_lock);
	/*
	 * The marks, not the timestamp, are what must be durable: a failure
	 * to record it is logged and changes nothing else.
	 */
	if (since && fm_tracker_set_offline_since(fmt->vol, since))
		DMWARN("%s: cannot record offline_since in the tracker store", dev);
	/*
	 * Without intent marks, nothing says which forks the backup lacks
	 * (failed, in flight, or in its volatile cache only): the whole
	 * volume waits for a copy.
	 */
	if (!fm_intent_enabled(fmt) &&
	    fm_mark_all(fmt, "backup offline without an intent log: full resync needed"))
		DMERR("%s: backup offline without an intent log: %s", dev,
		      "the volume cannot be marked for a full resync");
	if (from == to)
		DMWARN("%s: backup offline: %s", dev, why);
	fm_state_announce(fmt, from, to, why);
	fm_probe_arm(fmt);
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
 * Context: process context, may sleep (takes ctl_lock).
 * Return: 0, or the tracker's error.
 */
int fm_full_resync(struct fm_target *fmt)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	int r;

	mutex_lock(&fmt->ctl_lock);
	r = fm_mark_all(fmt, "full_resync: every region waits for a copy");
	/* Copying starts at once, unless no_auto_resync (BRIEF.md). */
	if (!r && fm_auto_resync(fmt))
		fm_resync_restart(fmt, false);
	mutex_unlock(&fmt->ctl_lock);
	if (r)
		DMERR_LIMIT("%s: full_resync: cannot mark the volume in the tracker store: %d",
			    dev, r);
	return r;
}

/*
 * Bring an answering backup online (resync): from now on
 * writes fork; tracked writes that map started before are waited for
 * until they completed, so that their marks are counted and none is in
 * flight to the primary alone. Then offline_since and the full-resync
 * flag are cleared in the slot and, if the backup did not go offline again
 * meanwhile (@gen), the volume is in_sync when no region waits for a copy,
 * and resyncing otherwise.
 */
static int fm_backup_online(struct fm_target *fmt, unsigned long gen)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	enum fm_state from;
	u64 since;
	int r;

	mutex_lock(&fmt->state_lock);
	if (fmt->offline_gen != gen) {
		mutex_unlock(&fmt->state_lock);
		goto offline_again;
	}
	WRITE_ONCE(fmt->backup_online, true);
	mutex_unlock(&fmt->state_lock);
	smp_mb();	/* backup_online before tracking_writes; see fm_track_begin() */
	wait_var_event(&fmt->tracking_writes,
		       !atomic_read(&fmt->tracking_writes));

	r = fm_tracker_set_offline_since(fmt->vol, 0);
	if (!r && READ_ONCE(fmt->full_resync_needed) && !fm_intent_waiting(fmt))
		r = fm_tracker_set_flags(fmt->vol, 0, FM_SLOT_FULL_RESYNC);
	if (r)
		DMERR_LIMIT("%s: resync: cannot update the tracker store: %d",
			    dev, r);

	mutex_lock(&fmt->state_lock);
	if (fmt->offline_gen != gen) {
		/* Failed again: the slot must say offline, not what we wrote. */
		since = fmt->offline_since;
		mutex_unlock(&fmt->state_lock);
		if (since)
			fm_tracker_set_offline_since(fmt->vol, since);
		goto offline_again;
	}
	WRITE_ONCE(fmt->offline_since, 0);
	WRITE_ONCE(fmt->admin_offline, false);
	if (r) {
		mutex_unlock(&fmt->state_lock);
		return r;
	}
	if (fm_intent_waiting(fmt)) {
		mutex_unlock(&fmt->state_lock);
		fm_resync_start(fmt, gen, true);
		return 0;
	}
	WRITE_ONCE(fmt->full_resync_needed, false);
	from = fmt->state;
	WRITE_ONCE(fmt->state, FM_STATE_IN_SYNC);
	mutex_unlock(&fmt->state_lock);
	fm_state_announce(fmt, from, FM_STATE_IN_SYNC,
			  "resync: backup online, nothing to copy");
	return 0;

offline_again:
	DMERR_LIMIT("%s: resync: the backup went offline again", dev);
	return -EIO;
}

/**
 * fm_resync_restart() - start a resync with the backup online
 * @fmt: the target (just resumed, or after full_resync)
 * @requested: a resync request, or a resync a suspend stopped; not an
 *	automatic start (pause_resync holds those back)
 *
 * Only when the backup is online and regions wait for a copy: an offline
 * backup waits for a resync request. Tracked writes left from the last
 * offline period are waited for first.
 *
 * Context: process context, may sleep.
 */
void fm_resync_restart(struct fm_target *fmt, bool requested)
{
	unsigned long gen;
	bool online;

	mutex_lock(&fmt->state_lock);
	gen = fmt->offline_gen;
	online = fmt->backup_online;
	mutex_unlock(&fmt->state_lock);
	if (!online || !fm_intent_waiting(fmt))
		return;
	wait_var_event(&fmt->tracking_writes,
		       !atomic_read(&fmt->tracking_writes));
	fm_resync_start(fmt, gen, requested);
}

/**
 * fm_resync_request() - the resync message or sysfs write
 * @fmt: the target
 *
 * Clears pause_resync. An in_sync volume, or one resyncing already, has
 * nothing to do. An offline backup is brought back online if it answers
 * (a read and a flush): offline_since is cleared in the slot. Then, if
 * regions wait for a copy, the resync starts (resync.c; the state is
 * resyncing when this returns), otherwise the state is in_sync.
 *
 * Context: process context, may sleep (takes ctl_lock; reads and flushes
 * the backup).
 * Return: 0; -EIO (the backup did not answer, or went offline again
 * meanwhile); the tracker's error (the slot could not be updated).
 */
int fm_resync_request(struct fm_target *fmt)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	unsigned long gen;
	bool online, in_sync;
	int r = 0;

	mutex_lock(&fmt->ctl_lock);
	WRITE_ONCE(fmt->resync_paused, false);
	mutex_lock(&fmt->state_lock);
	gen = fmt->offline_gen;
	online = fmt->backup_online;
	in_sync = fmt->state == FM_STATE_IN_SYNC && online;
	mutex_unlock(&fmt->state_lock);
	if (in_sync || (online && fm_resync_running(fmt)))
		goto out;
	/* A resync whose backup went offline: it stops at its next batch. */
	if (!online)
		fm_resync_stop(fmt);
	if (online && fm_intent_waiting(fmt)) {
		fm_resync_restart(fmt, true);
		goto out;
	}
	r = fm_probe_backup(fmt);
	if (r) {
		DMERR_LIMIT("%s: resync: the backup does not answer (%d)",
			    dev, r);
		r = -EIO;
		goto out;
	}
	r = fm_backup_online(fmt, gen);
out:
	mutex_unlock(&fmt->ctl_lock);
	return r;
}
