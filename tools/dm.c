// SPDX-License-Identifier: GPL-2.0-only
/*
 * libdevmapper access for the forkmirror command (see dm.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <libdevmapper.h>

#include "forkmirror.h"
#include "dm.h"

#define TARGET_NAME "forkmirror"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void fm_dm_free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int list_names(char ***names, size_t *n)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_LIST);
	struct dm_names *d;
	unsigned int next = 0;
	char **v = NULL, **nv;
	size_t k = 0;

	*names = NULL;
	*n = 0;
	if (!dmt)
		return -ENXIO;
	if (!dm_task_run(dmt)) {
		dm_task_destroy(dmt);
		return -ENXIO;
	}
	d = dm_task_get_names(dmt);
	if (d && d->dev) {
		do {
			d = (struct dm_names *)((char *)d + next);
			nv = realloc(v, (k + 1) * sizeof(*v));
			if (!nv || !(nv[k] = strdup(d->name))) {
				fm_dm_free_names(nv ? nv : v, k);
				dm_task_destroy(dmt);
				return -ENOMEM;
			}
			v = nv;
			k++;
			next = d->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	if (k)
		qsort(v, k, sizeof(*v), cmp_names);
	*names = v;
	*n = k;
	return 0;
}

int fm_dm_names(char ***names, size_t *n)
{
	int r = list_names(names, n);

	if (r)
		fm_err("cannot list the dm devices: %s", r == -ENXIO ?
		       "no device-mapper in this kernel (is dm-mod loaded?)" :
		       strerror(-r));
	return r;
}

/* Point @dmt at @name: a dm name, /dev/mapper/NAME or a device node. */
static int set_device(struct dm_task *dmt, const char *name)
{
	struct stat st;

	if (!strncmp(name, "/dev/mapper/", 12))
		return dm_task_set_name(dmt, name + 12) ? 0 : -ENOMEM;
	if (strchr(name, '/')) {
		if (stat(name, &st) || !S_ISBLK(st.st_mode))
			return -ENODEV;
		return dm_task_set_major(dmt, major(st.st_rdev)) &&
		       dm_task_set_minor(dmt, minor(st.st_rdev)) ? 0 : -ENOMEM;
	}
	return dm_task_set_name(dmt, name) ? 0 : -ENOMEM;
}

/*
 * 0 when the dm device @name exists. An info task answers for a missing
 * device without failing, where a table or status task fails and
 * libdevmapper logs the ioctl's error.
 */
static int device_exists(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	int r;

	if (!dmt)
		return -ENXIO;
	r = set_device(dmt, name);
	if (!r && (!dm_task_run(dmt) || !dm_task_get_info(dmt, &info) ||
		   !info.exists))
		r = -ENODEV;
	dm_task_destroy(dmt);
	return r;
}

bool fm_dm_exists(const char *name)
{
	return !device_exists(name);
}

/* The first forkmirror target's parameters of a table or status task. */
static int run_task(int type, const char *name, char *params, size_t len,
		    struct fm_dm_target *t)
{
	struct dm_task *dmt = dm_task_create(type);
	uint64_t start, length;
	char *ttype, *p;
	void *next = NULL;
	struct dm_info info;
	int r;

	if (!dmt)
		return -ENXIO;
	r = set_device(dmt, name);
	if (r)
		goto out;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, &info) || !info.exists) {
		r = -ENODEV;
		goto out;
	}
	t->major = info.major;
	t->minor = info.minor;
	snprintf(t->name, sizeof(t->name), "%s",
		 dm_task_get_name(dmt) ? dm_task_get_name(dmt) : name);
	r = -ENOENT;
	do {
		next = dm_get_next_target(dmt, next, &start, &length, &ttype, &p);
		if (ttype && !strcmp(ttype, TARGET_NAME)) {
			t->start = start;
			t->length = length;
			snprintf(params, len, "%s", p ? p : "");
			r = 0;
			break;
		}
	} while (next);
out:
	dm_task_destroy(dmt);
	return r;
}

int fm_dm_get(const char *name, struct fm_dm_target *t)
{
	char params[1024];
	const char *why;
	int r;

	memset(t, 0, sizeof(*t));
	r = device_exists(name);
	if (r)
		return r;
	r = run_task(DM_DEVICE_TABLE, name, params, sizeof(params), t);
	if (r)
		return r;
	if (fm_parse_table(params, &t->table, &why)) {
		fm_err("%s: cannot read its table back (%s): %s", name, why, params);
		return -EINVAL;
	}
	r = run_task(DM_DEVICE_STATUS, name, params, sizeof(params), t);
	if (r)
		return r;
	if (fm_parse_status(params, &t->status, &why)) {
		fm_err("%s: cannot read its status (%s): %s", name, why, params);
		return -EINVAL;
	}
	return 0;
}

int fm_dm_create(const char *name, const char *line)
{
	return fm_dm_create_flags(name, line, 0);
}

/*
 * Run a task that makes or removes a device node: with a udev cookie (and
 * @udev_flags), waiting for udev, or without udev for libdevmapper to make
 * the node itself. Destroys @dmt. Returns 0 or -errno.
 */
static int run_node_task(struct dm_task *dmt, uint16_t udev_flags)
{
	uint32_t cookie = 0;
	int r = 0;

	if (!dm_task_set_cookie(dmt, &cookie, udev_flags)) {
		dm_task_destroy(dmt);
		return -ENOMEM;
	}
	if (!dm_task_run(dmt)) {
		r = -dm_task_get_errno(dmt);
		if (!r)
			r = -EIO;
	}
	dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	return r;
}

int fm_dm_create_flags(const char *name, const char *line, uint16_t udev_flags)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_CREATE);
	unsigned long long start, length;
	char target[32];
	int off = 0, r = -EINVAL;

	if (!dmt)
		return -ENOMEM;
	if (sscanf(line, "%llu %llu %31s %n", &start, &length, target, &off) != 3 || !off)
		goto destroy_task;
	r = -ENOMEM;
	if (!dm_task_set_name(dmt, name) ||
	    !dm_task_add_target(dmt, start, length, target, line + off))
		goto destroy_task;
	return run_node_task(dmt, udev_flags);

destroy_task:
	dm_task_destroy(dmt);
	return r;
}

int fm_dm_remove(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_REMOVE);

	if (!dmt)
		return -ENXIO;
	/* A scanner (blkid, pvscan) may hold a new device for a moment. */
	if (!dm_task_set_name(dmt, name) || !dm_task_retry_remove(dmt)) {
		dm_task_destroy(dmt);
		return -ENOMEM;
	}
	return run_node_task(dmt, 0);
}

int fm_dm_linear_of(const char *name, struct fm_dm_linear *l)
{
	struct dm_task *dmt;
	uint64_t start, length;
	unsigned long long off;
	struct dm_info info;
	unsigned int ma, mi;
	char *type, *p;
	void *next = NULL;
	int r, targets = 0;

	memset(l, 0, sizeof(*l));

	r = device_exists(name);
	if (r)
		return r;
	dmt = dm_task_create(DM_DEVICE_TABLE);
	if (!dmt)
		return -ENXIO;
	r = set_device(dmt, name);
	if (r)
		goto out;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, &info) || !info.exists) {
		r = -ENODEV;
		goto out;
	}
	l->open_count = info.open_count;
	l->read_only = info.read_only;
	r = -EINVAL;
	do {
		next = dm_get_next_target(dmt, next, &start, &length, &type, &p);
		if (!type)
			continue;
		if (++targets == 1 && !strcmp(type, "linear") && !start && p &&
		    sscanf(p, "%u:%u %llu", &ma, &mi, &off) == 3 && !off) {
			l->major = ma;
			l->minor = mi;
			l->sectors = length;
			r = 0;
		}
	} while (next);
	if (targets != 1)
		r = -EINVAL;
out:
	dm_task_destroy(dmt);
	return r;
}

int fm_dm_legs(const char *name, char (*legs)[32], size_t max, size_t *n,
	       uint32_t *major, uint32_t *minor)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_TABLE);
	uint64_t start, length;
	char *type, *p, a[32], b[32];
	void *next = NULL;
	struct dm_info info;
	bool found = false;
	int r = 0;

	*n = 0;
	if (!dmt)
		return -ENXIO;
	if (!dm_task_set_name(dmt, name) || !dm_task_run(dmt) ||
	    !dm_task_get_info(dmt, &info) || !info.exists) {
		r = -ENODEV;
		goto out;
	}
	*major = info.major;
	*minor = info.minor;
	do {
		next = dm_get_next_target(dmt, next, &start, &length, &type, &p);
		if (!type || strcmp(type, TARGET_NAME))
			continue;
		found = true;
		if (!p || sscanf(p, "%31s %31s", a, b) != 2) {
			r = -EINVAL;
			break;
		}
		if (*n + 2 > max) {
			r = -E2BIG;
			break;
		}
		snprintf(legs[(*n)++], 32, "%s", a);
		snprintf(legs[(*n)++], 32, "%s", b);
	} while (next);
	if (!r && !found)
		r = -ENOENT;
out:
	dm_task_destroy(dmt);
	return r;
}

int fm_dm_identity(uint32_t major, uint32_t minor)
{
	struct dm_task *dmt;
	uint64_t start, length;
	char *type, *p, lower[32];
	unsigned long long off;
	void *next = NULL;
	struct dm_info info;
	int r = 0, targets = 0;
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dm", major, minor);
	if (stat(path, &st))
		return 0;		/* not a dm device */
	dmt = dm_task_create(DM_DEVICE_TABLE);
	if (!dmt)
		return -ENXIO;
	if (!dm_task_set_major(dmt, major) || !dm_task_set_minor(dmt, minor) ||
	    !dm_task_run(dmt) || !dm_task_get_info(dmt, &info) || !info.exists) {
		r = -ENODEV;
		goto out;
	}
	do {
		next = dm_get_next_target(dmt, next, &start, &length, &type, &p);
		if (!type)
			continue;
		targets++;
		if (!strcmp(type, "multipath"))
			r = 1;
		else if (!strcmp(type, "linear") && !start && p &&
			 sscanf(p, "%31s %llu", lower, &off) == 2 && !off)
			r = 1;
	} while (next);
	if (targets != 1)
		r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}

bool fm_dm_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n && n < 128 && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

int fm_dm_volume_dir(const struct fm_dm_target *t, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/sys/fs/forkmirror/%s/volumes/%s",
			 t->table.args.tracker_path, t->table.args.volume);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
