// SPDX-License-Identifier: GPL-2.0-only
/*
 * Messages (dmsetup message <dev> 0 <message> [<arg>]):
 *
 *   offline             take the backup out; writes are tracked from now
 *                       (writes already forked complete on both devices)
 *   full_resync         mark every region for a copy (a new, empty backup)
 *   resync              bring the backup online and start copying the
 *                       regions that wait for a copy (resync.c)
 *   resync_rate <KiB/s> the resync limit, 0 for none; replaces the table
 *                       line's value until the next table load
 *   pause_resync        stop copying (marks stay) until the next resync;
 *                       returns once the batch being copied is done
 *
 * Names are matched without regard to case. Repeating offline, resync or
 * pause_resync is a no-op. A message's effect is visible in status when
 * dmsetup returns. Every bad message is refused with -EINVAL and a log
 * line saying what was wrong, and changes nothing.
 */
#include "forkmirror.h"

struct fm_message_spec {
	const char *name;
	unsigned int nargs;	/* words after the name */
	int (*fn)(struct fm_target *fmt, char **args, const char *dev);
};

static int fm_msg_offline(struct fm_target *fmt, char **args, const char *dev)
{
	/* Not while a resync brings the backup online (ctl_lock). */
	mutex_lock(&fmt->ctl_lock);
	/* On purpose: not probed until a resync request. */
	WRITE_ONCE(fmt->admin_offline, true);
	fm_backup_offline(fmt, "offline message");
	mutex_unlock(&fmt->ctl_lock);
	return 0;
}

static int fm_msg_full_resync(struct fm_target *fmt, char **args,
			      const char *dev)
{
	return fm_full_resync(fmt);
}

static int fm_msg_resync(struct fm_target *fmt, char **args, const char *dev)
{
	return fm_resync_request(fmt);
}

static int fm_msg_resync_rate(struct fm_target *fmt, char **args,
			      const char *dev)
{
	u32 rate;

	if (fm_parse_u32(args[0], &rate)) {
		DMWARN("%s: resync_rate: \"%s\" is not a 32-bit unsigned number of KiB/s",
		       dev, args[0]);
		return -EINVAL;
	}
	WRITE_ONCE(fmt->resync_rate, rate);
	fm_resync_rate_changed(fmt);
	return 0;
}

static int fm_msg_pause_resync(struct fm_target *fmt, char **args,
			       const char *dev)
{
	/* Not while a resync request starts one (ctl_lock). */
	mutex_lock(&fmt->ctl_lock);
	WRITE_ONCE(fmt->resync_paused, true);
	fm_resync_stop(fmt);
	mutex_unlock(&fmt->ctl_lock);
	return 0;
}

static const struct fm_message_spec fm_messages[] = {
	{ "offline", 0, fm_msg_offline },
	{ "full_resync", 0, fm_msg_full_resync },
	{ "resync", 0, fm_msg_resync },
	{ "resync_rate", 1, fm_msg_resync_rate },
	{ "pause_resync", 0, fm_msg_pause_resync },
};

int fm_message(struct dm_target *ti, unsigned int argc, char **argv,
	       char *result, unsigned int maxlen)
{
	struct fm_target *fmt = ti->private;
	const char *dev = dm_device_name(dm_table_get_md(ti->table));
	const struct fm_message_spec *m;
	unsigned int i;

	if (!argc) {
		DMWARN("%s: empty message", dev);
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(fm_messages); i++) {
		m = &fm_messages[i];
		if (strcasecmp(argv[0], m->name))
			continue;
		if (argc - 1 != m->nargs) {
			if (m->nargs)
				DMWARN("%s: message \"%s\" takes %u argument(s), got %u",
				       dev, m->name, m->nargs, argc - 1);
			else
				DMWARN("%s: message \"%s\" takes no argument",
				       dev, m->name);
			return -EINVAL;
		}
		return m->fn(fmt, argv + 1, dev);
	}
	DMWARN("%s: unsupported message \"%s\"", dev, argv[0]);
	return -EINVAL;
}
