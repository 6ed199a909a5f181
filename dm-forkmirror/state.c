// SPDX-License-Identifier: GPL-2.0-only
/*
 * The volume's state machine.
 *
 *   in_sync to tracking: a backup write error, or the "offline" message;
 *   tracking to failed: a write that could be neither forked nor tracked.
 *
 * A table starts in tracking when the table line says start_offline or
 * the slot records an offline backup (offline_since), in in_sync
 * otherwise; failed lasts until a reload (or, later, a resync).
 *
 * Transitions run in process context (the fork worker, a message), never
 * in map or a bio completion: entering tracking writes offline_since to
 * the slot header, and every transition sends events (dm_table_event for
 * dmeventd, a KOBJ_CHANGE uevent with FORKMIRROR_STATE=<state> for udev).
 * Each transition is logged once, however many bios caused it.
 */
#include <linux/kobject.h>
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
 * Entering tracking records since when the backup is offline, in memory
 * and in the slot header (a failure to write it is logged: the marks, not
 * the timestamp, are what must be durable). Setting the current state
 * again does nothing.
 *
 * Context: process context, may sleep.
 */
void fm_state_set(struct fm_target *fmt, enum fm_state to, const char *why)
{
	const char *dev = dm_device_name(dm_table_get_md(fmt->ti->table));
	enum fm_state from;
	u64 since = 0;

	mutex_lock(&fmt->state_lock);
	from = fmt->state;
	if (from == to) {
		mutex_unlock(&fmt->state_lock);
		return;
	}
	WRITE_ONCE(fmt->state, to);
	if (to == FM_STATE_TRACKING && !fmt->offline_since) {
		since = ktime_get_real_seconds();
		WRITE_ONCE(fmt->offline_since, since);
	}
	mutex_unlock(&fmt->state_lock);

	DMWARN("%s: %s -> %s: %s", dev, fm_state_name(from), fm_state_name(to), why);
	if (since && fm_tracker_set_offline_since(fmt->vol, since))
		DMWARN("%s: cannot record offline_since in the tracker store", dev);
	fm_state_event(fmt, to);
}
