/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The forkmirror command's device-mapper access, through libdevmapper:
 * list devices, read a forkmirror target's table and status, load a table.
 */
#ifndef FORKMIRROR_TOOL_DM_H
#define FORKMIRROR_TOOL_DM_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/fmtool.h"

/* One forkmirror target of a dm device. */
struct fm_dm_target {
	char name[128];			/* the dm device's name */
	uint32_t major, minor;		/* the dm device's number */
	uint64_t start, length;		/* in sectors */
	struct fm_table table;
	struct fm_status status;
};

/*
 * Every dm device's name, sorted, into a malloc'ed array of malloc'ed
 * strings (free with fm_dm_free_names()). Returns 0 or -errno (printed).
 */
int fm_dm_names(char ***names, size_t *n);
void fm_dm_free_names(char **names, size_t n);

/*
 * fm_dm_get() - the first forkmirror target of dm device @name
 * @name: a dm device name, or a path: /dev/mapper/NAME or /dev/dm-N
 * Returns 0; -ENODEV when there is no such dm device; -ENOENT when it
 * holds no forkmirror target; -EINVAL when its table or status cannot be
 * read back (printed).
 */
int fm_dm_get(const char *name, struct fm_dm_target *t);

/*
 * fm_dm_create() - create dm device @name with the one-line table @line
 * ("<start> <len> forkmirror <params>") and resume it. Returns 0 or
 * -errno; the kernel's reason is in its log.
 */
int fm_dm_create(const char *name, const char *line);

/* fm_dm_create() with libdevmapper's DM_UDEV_* flags for its udev event. */
int fm_dm_create_flags(const char *name, const char *line, uint16_t udev_flags);

/* Whether dm device @name exists. */
bool fm_dm_exists(const char *name);

/* fm_dm_remove() - remove dm device @name. Returns 0 or -errno. */
int fm_dm_remove(const char *name);

/* What fm_dm_linear_of() finds. */
struct fm_dm_linear {
	uint32_t major, minor;		/* the lower device */
	uint64_t sectors;		/* the mapping's length */
	int open_count;			/* the dm device's openers */
	bool read_only;
};

/*
 * fm_dm_linear_of() - the lower device and length of dm device @name when
 * its table is one linear target mapping sector 0 on, from offset 0.
 * Returns 0; -ENODEV when there is no such device; -EINVAL when its table
 * is anything else.
 */
int fm_dm_linear_of(const char *name, struct fm_dm_linear *l);

/*
 * fm_dm_legs() - the primary and backup ("maj:min") of every forkmirror
 * target of dm device @name, from its table only (words 1 and 2), into
 * @legs (2 per target, at most @max). Returns 0; -ENOENT when it holds no
 * forkmirror target; -ENODEV when there is no such device; -E2BIG.
 */
int fm_dm_legs(const char *name, char (*legs)[32], size_t max, size_t *n,
	       uint32_t *major, uint32_t *minor);

/*
 * fm_dm_identity() - whether dm device @major:@minor shows its lower
 * device's bytes at the same offsets (one linear target at offset 0 from
 * sector 0, or multipath), so a label on either is on both. Returns 1, 0
 * (also for a device that is not dm), or -errno.
 */
int fm_dm_identity(uint32_t major, uint32_t minor);

/* A dm device name dm accepts: 1 to 127 bytes (DM_NAME_LEN), no '/'. */
bool fm_dm_name_ok(const char *name);

/* The sysfs directory of the volume @t holds, into @buf. */
int fm_dm_volume_dir(const struct fm_dm_target *t, char *buf, size_t len);

#endif /* FORKMIRROR_TOOL_DM_H */
