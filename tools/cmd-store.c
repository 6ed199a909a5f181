// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror store inspect|check|format|delete-slot: a tracker store on its
 * device, read with the tracker's own codec (tracking/format.c) through a
 * pread() reader, and written exactly as the tracker writes it.
 *
 *   store inspect [--json] DEV      what the store holds
 *   store check [--json] DEV        every inconsistency; exit 3 if any
 *   store format [--yes] [--slots N] DEV
 *   store delete-slot [--force] DEV NAME [--host-id N]
 *
 * DEV is the store's block device, or a regular file holding an image of
 * one. inspect and check never write. format and delete-slot open DEV
 * with O_EXCL (a loaded dm table holds its tracker device exclusively,
 * so this fails while any forkmirror device uses the store) and refuse a
 * store the kernel has open (/sys/fs/forkmirror/<maj:min>/ exists);
 * delete-slot then goes through the kernel's delete_slot file instead.
 * Reads use O_DIRECT where the file allows it, so that what the tracker
 * wrote through dm-bufio or DAX is seen, not a stale page cache.
 *
 * The environment variable FORKMIRROR_SYSFS_DIR replaces
 * /sys/fs/forkmirror (tests).
 *
 * Exit codes: FM_EXIT_OK (0) done, or check found nothing; FM_EXIT_FAIL
 * (1) could not do it (I/O error, refused, no usable store for inspect,
 * no such slot...), the reason on stderr; FM_EXIT_USAGE (2) bad command
 * line; FM_EXIT_PROBLEMS (3) check found inconsistencies (a blank device
 * included: "blank: not a store").
 *
 * JSON of `store inspect --json`: one object, every key always present,
 * null where said.
 *   device            DEV as given
 *   device_blocks     its size in 4 KiB blocks
 *   open_in_kernel    true when /sys/fs/forkmirror/<maj:min>/ exists: the
 *                     tracker has the store open and the media may lag
 *                     its memory (bitmaps, timestamps, counters)
 *   sysfs_dir         that directory, or null
 *   superblock        object:
 *     state           "ok", "blank", "bad" or "conflicting copies"
 *     error           why the tracker would refuse this superblock, or null
 *     chosen_copy     "A" or "B"; null when no copy is usable
 *     stale           true when the copy not chosen differs from the chosen
 *     copies          array [A, B] of {"copy": "A"|"B", "block": its block,
 *                     "state": "valid"|"blank"|"foreign"|"unknown version"|
 *                     "torn or corrupted"|"invalid", "why": why it is not
 *                     valid or null, "seq": its sequence number when valid,
 *                     else null}; empty when the device is smaller than
 *                     two blocks
 *     uuid            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
 *     format_version  FM_FORMAT_VERSION
 *     seq             the chosen copy's sequence number
 *     store_blocks    blocks the store covers
 *     slot_count      slots it was formatted with
 *     format_time     Unix seconds
 *     slot_table_block, data_block   first block of the slot table and of
 *                     the bitmap area
 *     bitmap_area_blocks             store_blocks - data_block
 *                     (uuid .. bitmap_area_blocks: null when no copy chosen)
 *   slots             array, one object per slot that is not blank (both
 *                     copies all zero), in index order:
 *     index
 *     state           "in_use", "deleted", "damaged" (no usable header
 *                     pair: the tracker refuses the store) or
 *                     "outside_device" (its header blocks are past the
 *                     device's end)
 *     error           why the pair is refused, or null
 *     chosen_copy, copies   as for the superblock (copies empty for
 *                     outside_device)
 *     seq, name, host_id, flags (the FM_SLOT_* bits), flag_names (array of
 *     "in_use", "active", "full_resync", unknown bits as "0x..."),
 *     region_sectors, volume_sectors, region_count, bitmap_block,
 *     bitmap_blocks, generation, created, first_dirtied, last_dirtied,
 *     offline_since (Unix seconds, 0: never / not offline), counters
 *     (object: backup_errors, primary_errors, tracker_errors, resyncs,
 *     regions_copied, attaches, reserved_6, reserved_7)
 *                     of the chosen copy; null when none is chosen. A
 *                     deleted slot has name "" and zero volume fields.
 *     dirty_regions   set bits of its bitmap (as the kernel counts them:
 *                     regions 0 .. region_count - 1), for an in_use slot;
 *                     else null
 *     bits_past_end   set bits past the last region in the bitmap's blocks
 *     spare_bits      set bits in the extent's blocks past the bitmap's
 *     bad_bitmap_blocks        blocks holding either kind
 *     first_bad_bitmap_block   the first of them, or null
 *                     (bits_past_end .. bad_bitmap_blocks: null unless
 *                     dirty_regions is not)
 *
 * JSON of `store check --json`: one object.
 *   device, device_blocks, open_in_kernel, sysfs_dir   as for inspect
 *   clean             true when no problem was found (exit 0)
 *   slots_in_use, slots_deleted, slots_damaged   counts (0 when the
 *                     superblock is not usable)
 *   problems          array of {"scope": "device"|"superblock"|"slot"|
 *                     "slots"|"bitmap", "slot": slot index or null,
 *                     "other_slot": the other slot of a cross-slot problem
 *                     or null, "block": the block concerned or null,
 *                     "message": the line the text output prints}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#include <json-c/json.h>

#include "forkmirror.h"
#include "out.h"
#include "lib/store.h"

#define SYSFS_ROOT	"/sys/fs/forkmirror"
#define HOST_ID_PARAM	"/sys/module/forkmirror_tracker/parameters/host_id"
#define WINDOW_BLOCKS	256U		/* 1 MiB read at once */
#define ZERO_BLOCKS	256U		/* 1 MiB written at once */

/* ---------------------------------------------------------------------- */
/* The device and its reader. */

struct dev {
	const char *path;
	int fd;
	bool direct;		/* opened O_DIRECT: aligned buffers only */
	bool is_blk;
	dev_t rdev;
	u64 bytes;
	u64 blocks;
	char sysfs[PATH_MAX];	/* /sys/fs/forkmirror/<maj:min> */
	bool open_in_kernel;

	/* Read window: blocks [base, base + count) in win. */
	u8 *win;
	u64 base, count;
	int err;		/* errno of the last failed read */
};

static void *alloc_blocks(u64 n)
{
	void *p = NULL;

	if (posix_memalign(&p, FM_BLOCK_SIZE, n * FM_BLOCK_SIZE))
		return NULL;
	return p;
}

static const char *sysfs_root(void)
{
	const char *r = getenv("FORKMIRROR_SYSFS_DIR");

	return r && *r ? r : SYSFS_ROOT;
}

/* Whether the tracker has the store of @d open: its sysfs directory. */
static bool kernel_has_it(struct dev *d)
{
	struct stat st;

	d->open_in_kernel = false;
	d->sysfs[0] = '\0';
	if (!d->is_blk)
		return false;
	snprintf(d->sysfs, sizeof(d->sysfs), "%s/%u:%u", sysfs_root(),
		 major(d->rdev), minor(d->rdev));
	d->open_in_kernel = !stat(d->sysfs, &st) && S_ISDIR(st.st_mode);
	return d->open_in_kernel;
}

/* stat() of DEV: a block device or a regular file. */
static int dev_stat(struct dev *d, const char *path)
{
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->fd = -1;
	if (stat(path, &st)) {
		fm_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		d->is_blk = true;
		d->rdev = st.st_rdev;
	} else if (!S_ISREG(st.st_mode)) {
		fm_err("%s is neither a block device nor a regular file (a store image)",
		       path);
		return -1;
	}
	kernel_has_it(d);
	return 0;
}

static const char *open_error(int e, bool excl)
{
	if (e == EBUSY && excl)
		return "it is in use: a dm table (a forkmirror device using the store), a mounted filesystem or another program holds it exclusively";
	if (e == EACCES || e == EPERM)
		return "permission denied (run as root?)";
	if (e == EROFS)
		return "it is read-only";
	return strerror(e);
}

/* Open DEV (after dev_stat), for writing with O_EXCL when @write. */
static int dev_open(struct dev *d, bool write)
{
	int flags = (write ? O_RDWR | O_EXCL : O_RDONLY) | O_CLOEXEC;
	struct stat st;

	d->fd = open(d->path, flags | O_DIRECT);
	d->direct = d->fd >= 0;
	if (d->fd < 0 && errno == EINVAL)	/* no O_DIRECT here (tmpfs) */
		d->fd = open(d->path, flags);
	if (d->fd < 0) {
		fm_err("cannot open %s%s: %s", d->path, write ? " for writing" : "",
		       open_error(errno, write));
		return -1;
	}
	if (fstat(d->fd, &st)) {
		fm_err("%s: %s", d->path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &d->bytes)) {
			fm_err("cannot read the size of %s: %s", d->path, strerror(errno));
			return -1;
		}
		d->is_blk = true;
		d->rdev = st.st_rdev;
	} else if (S_ISREG(st.st_mode)) {
		d->bytes = (u64)st.st_size;
		d->is_blk = false;
	} else {
		fm_err("%s is neither a block device nor a regular file", d->path);
		return -1;
	}
	d->blocks = d->bytes / FM_BLOCK_SIZE;
	d->win = alloc_blocks(WINDOW_BLOCKS);
	if (!d->win) {
		fm_err("out of memory");
		return -1;
	}
	d->count = 0;
	return 0;
}

static void dev_close(struct dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	free(d->win);
	d->win = NULL;
}

static int read_blocks(struct dev *d, u64 first, u64 n, void *buf)
{
	size_t len = n * FM_BLOCK_SIZE, done = 0;

	while (done < len) {
		ssize_t got = pread(d->fd, (u8 *)buf + done, len - done,
				    (off_t)(first * FM_BLOCK_SIZE + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (!got)
			return -EIO;	/* the device shrank under us */
		done += got;
	}
	return 0;
}

static int write_blocks(struct dev *d, u64 first, u64 n, const void *buf)
{
	size_t len = n * FM_BLOCK_SIZE, done = 0;

	while (done < len) {
		ssize_t got = pwrite(d->fd, (const u8 *)buf + done, len - done,
				     (off_t)(first * FM_BLOCK_SIZE + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (!got)
			return -ENOSPC;
		done += got;
	}
	return 0;
}

static int dev_sync(struct dev *d)
{
	return fsync(d->fd) ? -errno : 0;
}

/* fm_reader.get: a private copy of block @nr, read through the window. */
static const void *dev_get(void *ctx, u64 nr)
{
	struct dev *d = ctx;
	void *copy;
	int ret;

	if (nr >= d->blocks) {
		d->err = ERANGE;
		return NULL;
	}
	if (nr < d->base || nr >= d->base + d->count) {
		u64 n = min_t(u64, WINDOW_BLOCKS, d->blocks - nr);

		d->count = 0;
		ret = read_blocks(d, nr, n, d->win);
		if (ret && n > 1) {	/* find out whether it is this block */
			n = 1;
			ret = read_blocks(d, nr, n, d->win);
		}
		if (ret) {
			d->err = -ret;
			return NULL;
		}
		d->base = nr;
		d->count = n;
	}
	copy = malloc(FM_BLOCK_SIZE);
	if (!copy) {
		d->err = ENOMEM;
		return NULL;
	}
	memcpy(copy, d->win + (nr - d->base) * FM_BLOCK_SIZE, FM_BLOCK_SIZE);
	return copy;
}

static void dev_put(void *ctx, const void *buf)
{
	(void)ctx;
	free((void *)buf);
}

static struct fm_reader dev_reader(struct dev *d)
{
	struct fm_reader r = { dev_get, dev_put, d, d->blocks };

	d->count = 0;	/* forget what was read before a write */
	return r;
}

/* Scan DEV; prints the reason and returns -1 on failure. */
static int dev_scan(struct dev *d, unsigned int what, struct fm_scan *sc)
{
	struct fm_reader r = dev_reader(d);
	int ret = fm_scan_store(&r, what, sc);

	if (ret == -EIO)
		fm_err("cannot read block %" PRIu64 " of %s: %s", sc->io_block,
		       d->path, strerror(d->err ? d->err : EIO));
	else if (ret)
		fm_err("cannot read %s: %s", d->path, strerror(-ret));
	return ret ? -1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Small helpers. */

static void human_size(u64 bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, len, "%" PRIu64 " B", bytes);
}

static const char *time_str(u64 t, char *buf, size_t len)
{
	fm_format_time(t > INT64_MAX ? -1 : (int64_t)t, buf, len);
	return buf;
}

/* A one-line sysfs file into @buf, newline stripped. 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int e;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		e = ferror(f) ? errno : EIO;
		fclose(f);
		return -(e ? e : EIO);
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The tracker module's host_id parameter: 0, or -errno when unknown. */
static int kernel_host_id(u32 *id)
{
	char buf[32];
	u64 v;
	int ret = read_line(HOST_ID_PARAM, buf, sizeof(buf));

	if (ret)
		return ret;
	if (fm_parse_u64(buf, U32_MAX, &v))
		return -EINVAL;
	*id = (u32)v;
	return 0;
}

/* getopt_long() returned '?': name what it did not know. */
static int bad_option(const struct fm_cmd *c, char **argv)
{
	if (optopt > 0 && optopt < 256)
		return fm_usage_err(c, "unknown option -%c", optopt);
	return fm_usage_err(c, "unknown option %s", argv[optind - 1]);
}

static json_object *json_u64_or_null(bool have, u64 v)
{
	return have ? json_object_new_uint64(v) : NULL;
}

static json_object *json_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* ---------------------------------------------------------------------- */
/* inspect */

static json_object *copies_json(const struct fm_copy_info *c, u64 block0)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < 2; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "copy", json_object_new_string(i ? "B" : "A"));
		json_object_object_add(o, "block", json_object_new_uint64(block0 + i));
		json_object_object_add(o, "state",
				       json_object_new_string(fm_copy_state_name(c[i].state)));
		json_object_object_add(o, "why", c[i].state == FM_COPY_VALID ? NULL :
				       json_str_or_null(c[i].why));
		json_object_object_add(o, "seq", json_u64_or_null(c[i].has_seq, c[i].seq));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *sb_json(const struct fm_scan *sc)
{
	const struct fm_store_sb *st = &sc->st;
	const struct fm_sb *sb = &st->sb;
	json_object *o = json_object_new_object();
	bool ok = sc->sb_usable;
	char uuid[37];

	json_object_object_add(o, "state",
			       json_object_new_string(fm_pair_state_name(st->state)));
	json_object_object_add(o, "error", st->state == FM_PAIR_BLANK && !sc->sb_ret ?
			       NULL : json_str_or_null(sc->sb_why));
	json_object_object_add(o, "chosen_copy", ok ?
			       json_object_new_string(st->pick.chosen ? "B" : "A") : NULL);
	json_object_object_add(o, "stale", json_object_new_boolean(ok && st->pick.stale));
	json_object_object_add(o, "copies", sc->sb_copies_read ?
			       copies_json(sc->sb_copy, 0) : json_object_new_array());
	fm_uuid_str(sb->uuid, uuid);
	json_object_object_add(o, "uuid", ok ? json_object_new_string(uuid) : NULL);
	json_object_object_add(o, "format_version", json_u64_or_null(ok, FM_FORMAT_VERSION));
	json_object_object_add(o, "seq", json_u64_or_null(ok, sb->seq));
	json_object_object_add(o, "store_blocks", json_u64_or_null(ok, sb->store_blocks));
	json_object_object_add(o, "slot_count", json_u64_or_null(ok, sb->slot_count));
	json_object_object_add(o, "format_time", json_u64_or_null(ok, sb->format_time));
	json_object_object_add(o, "slot_table_block",
			       json_u64_or_null(ok, st->layout.slot_table_block));
	json_object_object_add(o, "data_block", json_u64_or_null(ok, st->layout.data_block));
	json_object_object_add(o, "bitmap_area_blocks",
			       json_u64_or_null(ok, st->layout.store_blocks -
						st->layout.data_block));
	return o;
}

static json_object *slot_json(const struct fm_scan *sc, u32 i)
{
	const struct fm_scan_slot *ss = &sc->slots[i];
	const struct fm_slot *s = &ss->slot;
	json_object *o = json_object_new_object(), *names, *cnt;
	bool ok = ss->kind == FM_SLOT_USED || ss->kind == FM_SLOT_DELETED;
	bool bm = ss->bitmap_scanned;
	unsigned int b;

	json_object_object_add(o, "index", json_object_new_uint64(i));
	json_object_object_add(o, "state", json_object_new_string(fm_slot_kind_name(ss->kind)));
	json_object_object_add(o, "error", json_str_or_null(ss->why));
	json_object_object_add(o, "chosen_copy", ok ?
			       json_object_new_string(ss->pick.chosen ? "B" : "A") : NULL);
	json_object_object_add(o, "copies", ss->kind == FM_SLOT_OUTSIDE ?
			       json_object_new_array() :
			       copies_json(ss->copy, fm_slot_block(&sc->st.layout, i, 0)));
	json_object_object_add(o, "seq", json_u64_or_null(ok, s->seq));
	json_object_object_add(o, "name", ok ? json_object_new_string(s->name) : NULL);
	json_object_object_add(o, "host_id", json_u64_or_null(ok, s->host_id));
	json_object_object_add(o, "flags", json_u64_or_null(ok, s->flags));
	names = NULL;
	if (ok) {
		names = json_object_new_array();
		for (b = 0; b < 32; b++) {
			char hex[16];

			if (!(s->flags & (1U << b)))
				continue;
			if (fm_slot_flag_name(b)) {
				json_object_array_add(names,
					json_object_new_string(fm_slot_flag_name(b)));
			} else {
				snprintf(hex, sizeof(hex), "0x%x", 1U << b);
				json_object_array_add(names, json_object_new_string(hex));
			}
		}
	}
	json_object_object_add(o, "flag_names", names);
	json_object_object_add(o, "region_sectors", json_u64_or_null(ok, s->region_sectors));
	json_object_object_add(o, "volume_sectors", json_u64_or_null(ok, s->volume_sectors));
	json_object_object_add(o, "region_count",
			       json_u64_or_null(ok, fm_region_count(s->volume_sectors,
								    s->region_sectors)));
	json_object_object_add(o, "bitmap_block", json_u64_or_null(ok, s->bitmap_block));
	json_object_object_add(o, "bitmap_blocks", json_u64_or_null(ok, s->bitmap_blocks));
	json_object_object_add(o, "generation", json_u64_or_null(ok, s->generation));
	json_object_object_add(o, "created", json_u64_or_null(ok, s->created));
	json_object_object_add(o, "first_dirtied", json_u64_or_null(ok, s->first_dirtied));
	json_object_object_add(o, "last_dirtied", json_u64_or_null(ok, s->last_dirtied));
	json_object_object_add(o, "offline_since", json_u64_or_null(ok, s->offline_since));
	cnt = NULL;
	if (ok) {
		cnt = json_object_new_object();
		for (b = 0; b < FM_CNT_NR; b++)
			json_object_object_add(cnt, fm_counter_name(b),
					       json_object_new_uint64(s->counters[b]));
	}
	json_object_object_add(o, "counters", cnt);
	json_object_object_add(o, "dirty_regions", json_u64_or_null(bm, ss->dirty));
	json_object_object_add(o, "bits_past_end", json_u64_or_null(bm, ss->past_end));
	json_object_object_add(o, "spare_bits", json_u64_or_null(bm, ss->spare_bits));
	json_object_object_add(o, "bad_bitmap_blocks", json_u64_or_null(bm, ss->bad_blocks));
	json_object_object_add(o, "first_bad_bitmap_block",
			       json_u64_or_null(bm && ss->first_bad_block != FM_NONE64,
						ss->first_bad_block));
	return o;
}

static void common_json(json_object *o, const struct dev *d)
{
	json_object_object_add(o, "device", json_object_new_string(d->path));
	json_object_object_add(o, "device_blocks", json_object_new_uint64(d->blocks));
	json_object_object_add(o, "open_in_kernel", json_object_new_boolean(d->open_in_kernel));
	json_object_object_add(o, "sysfs_dir", d->open_in_kernel ?
			       json_object_new_string(d->sysfs) : NULL);
}

static void inspect_json(const struct dev *d, const struct fm_scan *sc)
{
	json_object *o = json_object_new_object(), *slots = json_object_new_array();
	u32 i;

	common_json(o, d);
	json_object_object_add(o, "superblock", sb_json(sc));
	for (i = 0; i < sc->nslots; i++)
		if (sc->slots[i].kind != FM_SLOT_BLANK)
			json_object_array_add(slots, slot_json(sc, i));
	json_object_object_add(o, "slots", slots);
	fm_print_json(o);
	json_object_put(o);
}

static void print_copy(const char *what, const struct fm_copy_info *c, u64 block,
		       bool chosen)
{
	printf("  %-16s block %" PRIu64 ": %s", what, block, fm_copy_state_name(c->state));
	if (c->has_seq)
		printf(", seq %" PRIu64, c->seq);
	if (c->state != FM_COPY_VALID && c->state != FM_COPY_ZERO && c->why)
		printf(" (%s)", c->why);
	printf("%s\n", chosen ? ", in use" : "");
}

static void inspect_sb_text(const struct dev *d, const struct fm_scan *sc)
{
	const struct fm_store_sb *st = &sc->st;
	const struct fm_layout *l = &st->layout;
	char size[32], t[32], uuid[37];
	int i;

	human_size(d->bytes, size, sizeof(size));
	printf("device %s: %" PRIu64 " blocks of 4 KiB (%s)\n", d->path, d->blocks, size);
	if (d->open_in_kernel)
		printf("  open in the kernel (%s): values on media may lag the kernel's\n",
		       d->sysfs);
	else
		printf("  not open in the kernel\n");
	if (!sc->sb_copies_read) {
		printf("superblock: none (%s)\n", sc->sb_why ? sc->sb_why : "device too small");
		return;
	}
	if (st->state == FM_PAIR_BLANK) {
		printf("superblock: blank (both copies all zero): not a store\n");
	} else if (!sc->sb_usable) {
		printf("superblock: %s%s%s\n", fm_pair_state_name(st->state),
		       sc->sb_why ? ": " : "", sc->sb_why ? sc->sb_why : "");
	} else {
		int other = !st->pick.chosen;

		printf("superblock: %s, copy %c in use", fm_pair_state_name(st->state),
		       st->pick.chosen ? 'B' : 'A');
		if (!st->pick.stale)
			printf(" (copy %c identical)\n", other ? 'B' : 'A');
		else if (sc->sb_copy[other].state == FM_COPY_VALID)
			printf(" (copy %c is older: stale)\n", other ? 'B' : 'A');
		else
			printf(" (copy %c is %s)\n", other ? 'B' : 'A',
			       fm_copy_state_name(sc->sb_copy[other].state));
		if (sc->sb_ret)
			printf("  refused by the tracker: %s\n", sc->sb_why);
	}
	for (i = 0; i < 2; i++)
		print_copy(i ? "copy B" : "copy A", &sc->sb_copy[i], fm_sb_block(i),
			   sc->sb_usable && st->pick.chosen == i);
	if (!sc->sb_usable)
		return;
	fm_uuid_str(st->sb.uuid, uuid);
	human_size(st->sb.store_blocks * FM_BLOCK_SIZE, size, sizeof(size));
	printf("  %-16s %s\n", "uuid", uuid);
	printf("  %-16s %u\n", "format version", FM_FORMAT_VERSION);
	printf("  %-16s %" PRIu64 "\n", "seq", st->sb.seq);
	printf("  %-16s %" PRIu64 " (%s)\n", "store blocks", st->sb.store_blocks, size);
	printf("  %-16s %u\n", "slots", st->sb.slot_count);
	printf("  %-16s %s\n", "formatted", time_str(st->sb.format_time, t, sizeof(t)));
	printf("layout (4 KiB blocks)\n");
	printf("  %-16s 0-1\n", "superblock");
	printf("  %-16s %" PRIu64 "-%" PRIu64 " (2 per slot)\n", "slot table",
	       l->slot_table_block, l->data_block - 1);
	printf("  %-16s %" PRIu64 "-%" PRIu64 " (%" PRIu64 " blocks)\n", "bitmap area",
	       l->data_block, l->store_blocks - 1, l->store_blocks - l->data_block);
	if (d->blocks > l->store_blocks)
		printf("  %-16s %" PRIu64 " blocks past the store (unused)\n", "device tail",
		       d->blocks - l->store_blocks);
}

static void inspect_slot_text(const struct fm_scan *sc, u32 i)
{
	const struct fm_scan_slot *ss = &sc->slots[i];
	const struct fm_slot *s = &ss->slot;
	char t[32], flags[96];
	unsigned int c;
	int k;

	if (ss->kind == FM_SLOT_OUTSIDE) {
		printf("slot %u: its header blocks are past the device's end\n", i);
		return;
	}
	if (ss->kind == FM_SLOT_BROKEN) {
		printf("slot %u: damaged: %s\n", i, ss->why ? ss->why : "no usable copy");
	} else {
		printf("slot %u: %s (header copy %c, seq %" PRIu64 ")\n", i,
		       ss->kind == FM_SLOT_USED ? "in use" : "deleted",
		       ss->pick.chosen ? 'B' : 'A', s->seq);
	}
	for (k = 0; k < 2; k++)
		print_copy(k ? "copy B" : "copy A", &ss->copy[k],
			   fm_slot_block(&sc->st.layout, i, k),
			   ss->kind != FM_SLOT_BROKEN && ss->pick.chosen == k);
	if (ss->kind == FM_SLOT_BROKEN)
		return;
	if (ss->kind == FM_SLOT_DELETED) {
		printf("  %-16s %" PRIu64 "\n", "generation", s->generation);
		return;
	}
	fm_slot_flags_str(s->flags, flags, sizeof(flags));
	printf("  %-16s %s\n", "name", s->name);
	printf("  %-16s %u\n", "host id", s->host_id);
	printf("  %-16s %s\n", "flags", flags);
	printf("  %-16s %u\n", "region sectors", s->region_sectors);
	printf("  %-16s %" PRIu64 "\n", "volume sectors", s->volume_sectors);
	printf("  %-16s %" PRIu64 "\n", "region count",
	       fm_region_count(s->volume_sectors, s->region_sectors));
	printf("  %-16s blocks %" PRIu64 "+%" PRIu64 " (needs %" PRIu64 ")\n", "bitmap",
	       s->bitmap_block, s->bitmap_blocks,
	       fm_bitmap_blocks_needed(s->volume_sectors, s->region_sectors));
	printf("  %-16s %" PRIu64 "\n", "generation", s->generation);
	printf("  %-16s %s\n", "created", time_str(s->created, t, sizeof(t)));
	printf("  %-16s %s\n", "first dirtied", time_str(s->first_dirtied, t, sizeof(t)));
	printf("  %-16s %s\n", "last dirtied", time_str(s->last_dirtied, t, sizeof(t)));
	printf("  %-16s %s\n", "offline since", time_str(s->offline_since, t, sizeof(t)));
	printf("  %-16s", "counters");
	for (c = 0; c < FM_CNT_NR; c++)
		if (c < FM_CNT_ATTACHES + 1 || s->counters[c])
			printf("%s %s %" PRIu64, c ? "," : "", fm_counter_name(c),
			       s->counters[c]);
	printf("\n");
	if (ss->bitmap_scanned) {
		printf("  %-16s %" PRIu64 "\n", "dirty regions", ss->dirty);
		if (ss->bad_blocks)
			printf("  %-16s %" PRIu64 " block(s), the first %" PRIu64 ": %" PRIu64 " bits past the last region, %" PRIu64 " in spare blocks\n",
			       "bad bitmap", ss->bad_blocks, ss->first_bad_block,
			       ss->past_end, ss->spare_bits);
	} else {
		printf("  %-16s ? (bitmap not read)\n", "dirty regions");
	}
}

static void inspect_text(const struct dev *d, const struct fm_scan *sc)
{
	u32 i;

	inspect_sb_text(d, sc);
	if (!sc->sb_usable)
		return;
	printf("slots: %u in use, %u deleted, %u damaged, %u never used\n",
	       sc->n_used, sc->n_deleted, sc->n_broken, sc->n_blank);
	for (i = 0; i < sc->nslots; i++)
		if (sc->slots[i].kind != FM_SLOT_BLANK)
			inspect_slot_text(sc, i);
	if (sc->nproblems)
		printf("%zu problem(s): `forkmirror store check %s` lists them\n",
		       sc->nproblems, d->path);
}

static const struct fm_cmd cmd_inspect = {
	.name = "store inspect",
	.synopsis = "store inspect [--json] DEV",
	.help =
	"What the tracker store on DEV (its block device, or an image file)\n"
	"holds: the superblock and which copy is in use, the layout, and every\n"
	"slot that is not blank with its header fields and the dirty regions\n"
	"of its bitmap. Read only. When the kernel has the store open, the\n"
	"values on media may lag the kernel's.\n\n"
	"  --json   one JSON object (forkmirror(8) lists the keys)\n"
	"  --help   this text\n",
};

static int do_inspect(int argc, char **argv)
{
	struct fm_scan sc;
	struct dev d;
	bool json = false;
	int first, code = FM_EXIT_OK;

	first = fm_parse_flags(&cmd_inspect, argc, argv, &json, NULL, &code);
	if (first < 0)
		return code;
	if (first != argc - 1)
		return fm_usage_err(&cmd_inspect, "name one store device");
	if (dev_stat(&d, argv[first]) || dev_open(&d, false)) {
		dev_close(&d);
		return FM_EXIT_FAIL;
	}
	if (dev_scan(&d, FM_SCAN_SLOTS | FM_SCAN_BITMAPS, &sc)) {
		fm_scan_free(&sc);
		dev_close(&d);
		return FM_EXIT_FAIL;
	}
	if (json)
		inspect_json(&d, &sc);
	else
		inspect_text(&d, &sc);
	if (!sc.sb_usable) {
		if (sc.sb_copies_read && sc.st.state == FM_PAIR_BLANK)
			fm_err("%s: blank: not a store (the tracker formats it on its first attach)",
			       d.path);
		else
			fm_err("%s holds no usable tracker store: %s", d.path,
			       sc.sb_why ? sc.sb_why : "no valid superblock");
		code = FM_EXIT_FAIL;
	}
	fm_scan_free(&sc);
	dev_close(&d);
	return code;
}

/* ---------------------------------------------------------------------- */
/* check */

/* The kernel's view, where it has the store open: its uuid and slots. */
static int check_kernel(const struct dev *d, struct fm_scan *sc)
{
	char path[PATH_MAX + 16], buf[128], uuid[37];
	u64 v;

	if (!d->open_in_kernel || !sc->sb_usable)
		return 0;
	fm_uuid_str(sc->st.sb.uuid, uuid);
	snprintf(path, sizeof(path), "%s/uuid", d->sysfs);
	if (!read_line(path, buf, sizeof(buf)) && strcasecmp(buf, uuid))
		return fm_scan_problem(sc, FM_SCOPE_DEVICE, FM_NONE64, FM_NONE64, FM_NONE64,
				       "the kernel's store on this device has uuid %s, the media %s",
				       buf, uuid);
	snprintf(path, sizeof(path), "%s/slots_total", d->sysfs);
	if (!read_line(path, buf, sizeof(buf)) && !fm_parse_u64(buf, U32_MAX, &v) &&
	    v != sc->st.sb.slot_count)
		return fm_scan_problem(sc, FM_SCOPE_DEVICE, FM_NONE64, FM_NONE64, FM_NONE64,
				       "the kernel's store has %" PRIu64 " slots, the media's superblock %u",
				       v, sc->st.sb.slot_count);
	return 0;
}

static void check_json(const struct dev *d, const struct fm_scan *sc)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	common_json(o, d);
	json_object_object_add(o, "clean", json_object_new_boolean(!sc->nproblems));
	json_object_object_add(o, "slots_in_use", json_object_new_uint64(sc->n_used));
	json_object_object_add(o, "slots_deleted", json_object_new_uint64(sc->n_deleted));
	json_object_object_add(o, "slots_damaged", json_object_new_uint64(sc->n_broken));
	for (i = 0; i < sc->nproblems; i++) {
		const struct fm_problem *p = &sc->problems[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "scope", json_object_new_string(fm_scope_name(p->scope)));
		json_object_object_add(x, "slot", json_u64_or_null(p->slot != FM_NONE64, p->slot));
		json_object_object_add(x, "other_slot",
				       json_u64_or_null(p->other_slot != FM_NONE64,
							p->other_slot));
		json_object_object_add(x, "block", json_u64_or_null(p->block != FM_NONE64,
								      p->block));
		json_object_object_add(x, "message", json_object_new_string(p->text));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "problems", a);
	fm_print_json(o);
	json_object_put(o);
}

static const struct fm_cmd cmd_check = {
	.name = "store check",
	.synopsis = "store check [--json] DEV",
	.help =
	"Every inconsistency of the tracker store on DEV, one line each: a\n"
	"superblock pair that is not usable or has a damaged or stale copy, a\n"
	"slot header pair that is bad, conflicting or has a damaged copy, two\n"
	"slots holding one volume name and host id or overlapping bitmap\n"
	"extents, bitmap blocks with bits set past the volume's last region.\n"
	"A blank device is \"blank: not a store\". Read only.\n"
	"Exit 0 when clean, 3 when anything was found, 1 on an I/O error.\n\n"
	"  --json   one JSON object (forkmirror(8) lists the keys)\n"
	"  --help   this text\n",
};

static int do_check(int argc, char **argv)
{
	struct fm_scan sc;
	struct dev d;
	bool json = false;
	int first, code = FM_EXIT_OK;
	size_t i;

	first = fm_parse_flags(&cmd_check, argc, argv, &json, NULL, &code);
	if (first < 0)
		return code;
	if (first != argc - 1)
		return fm_usage_err(&cmd_check, "name one store device");
	if (dev_stat(&d, argv[first]) || dev_open(&d, false)) {
		dev_close(&d);
		return FM_EXIT_FAIL;
	}
	if (dev_scan(&d, FM_SCAN_SLOTS | FM_SCAN_BITMAPS, &sc) || check_kernel(&d, &sc)) {
		fm_scan_free(&sc);
		dev_close(&d);
		return FM_EXIT_FAIL;
	}
	if (d.open_in_kernel)
		fm_err("note: the kernel has %s open (%s): the media may lag its memory, and a header it writes meanwhile may read as torn",
		       d.path, d.sysfs);
	if (json) {
		check_json(&d, &sc);
	} else {
		for (i = 0; i < sc.nproblems; i++)
			printf("%s: %s\n", d.path, sc.problems[i].text);
		if (!sc.nproblems)
			printf("%s: clean: %u of %u slots in use, %u deleted\n", d.path,
			       sc.n_used, sc.st.sb.slot_count, sc.n_deleted);
		else
			printf("%s: %zu problem(s)\n", d.path, sc.nproblems);
	}
	code = sc.nproblems ? FM_EXIT_PROBLEMS : FM_EXIT_OK;
	fm_scan_free(&sc);
	dev_close(&d);
	return code;
}

/* ---------------------------------------------------------------------- */
/* format */

static const struct fm_cmd cmd_format = {
	.name = "store format",
	.synopsis = "store format [--yes] [--slots N] DEV",
	.help =
	"Format a tracker store on DEV, as the tracker formats a blank device\n"
	"on its first attach: a new random uuid, both superblock copies, the\n"
	"slot table zeroed. Refused while the kernel has a store open on DEV.\n"
	"A device that is not blank is only overwritten after a yes on the\n"
	"terminal, or with --yes.\n\n"
	"  --yes       overwrite what DEV holds without asking\n"
	"  --slots N   slots, 1 to 65536 (default 4096, as the tracker)\n"
	"  --help      this text\n",
};

/* "y" or "yes" on stdin, after @prompt on stderr. */
static bool ask(const char *prompt)
{
	char line[64];
	size_t n;

	fputs(prompt, stderr);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

static int fill_random(u8 *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

/* Zero blocks [first, first + count), then flush. */
static int zero_blocks(struct dev *d, u64 first, u64 count)
{
	u8 *z = alloc_blocks(ZERO_BLOCKS);
	int ret = 0;

	if (!z)
		return -ENOMEM;
	memset(z, 0, (size_t)ZERO_BLOCKS * FM_BLOCK_SIZE);
	while (count && !ret) {
		u64 n = min_t(u64, count, ZERO_BLOCKS);

		ret = write_blocks(d, first, n, z);
		first += n;
		count -= n;
	}
	free(z);
	return ret ? ret : dev_sync(d);
}

static int write_sb(struct dev *d, const struct fm_sb *sb, int copy)
{
	u8 *buf = alloc_blocks(1);
	int ret;

	if (!buf)
		return -ENOMEM;
	fm_sb_encode(sb, buf);
	ret = write_blocks(d, fm_sb_block(copy), 1, buf);
	free(buf);
	return ret ? ret : dev_sync(d);
}

static int do_format(int argc, char **argv)
{
	enum { O_YES = 256, O_SLOTS };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "yes", no_argument, NULL, O_YES },
		{ "slots", required_argument, NULL, O_SLOTS },
		{ NULL, 0, NULL, 0 },
	};
	u64 slots = FM_SLOTS_DEFAULT, v;
	struct fm_layout l;
	struct fm_scan sc;
	struct fm_sb sb;
	const char *why = NULL;
	char what[160], prompt[400], size[32], uuid[37];
	bool yes = false, blank;
	struct dev d;
	u8 rnd[16];
	int o, ret, code = FM_EXIT_FAIL;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			return fm_help(&cmd_format);
		case O_YES:
			yes = true;
			break;
		case O_SLOTS:
			if (fm_parse_u64(optarg, FM_SLOTS_MAX, &v) || !v)
				return fm_usage_err(&cmd_format,
						    "--slots wants a number from 1 to %u, not '%s'",
						    FM_SLOTS_MAX, optarg);
			slots = v;
			break;
		default:
			if (optopt == O_SLOTS)
				return fm_usage_err(&cmd_format, "--slots wants a number");
			return bad_option(&cmd_format, argv);
		}
	}
	if (optind != argc - 1)
		return fm_usage_err(&cmd_format, "name one store device");
	if (dev_stat(&d, argv[optind]))
		return FM_EXIT_FAIL;
	if (d.open_in_kernel) {
		fm_err("%s: the kernel has a store open on it (%s exists); remove the forkmirror devices using it first",
		       d.path, d.sysfs);
		return FM_EXIT_FAIL;
	}
	if (dev_open(&d, true))
		goto out;
	if (kernel_has_it(&d)) {
		fm_err("%s: the kernel opened a store on it meanwhile (%s); nothing written",
		       d.path, d.sysfs);
		goto out;
	}
	memset(rnd, 0, sizeof(rnd));
	if (fm_format_plan(d.blocks, (u32)slots, rnd, 0, &sb, &l, &why)) {
		struct fm_layout need;

		human_size(d.bytes, size, sizeof(size));
		fm_layout_compute(FM_STORE_BLOCKS_MAX, (u32)slots, &need);
		fm_err("%s: %s: it has %" PRIu64 " blocks of 4 KiB (%s), a store of %" PRIu64 " slots needs at least %" PRIu64,
		       d.path, why, d.blocks, size, slots, need.data_block + 1);
		goto out;
	}

	/* What is there: the tracker's blank test is both superblock blocks. */
	if (dev_scan(&d, FM_SCAN_SLOTS, &sc)) {
		fm_scan_free(&sc);
		goto out;
	}
	blank = sc.st.state == FM_PAIR_BLANK && sc.sb_copies_read;
	fm_scan_describe(&sc, what, sizeof(what));
	fm_scan_free(&sc);
	if (!blank && !yes) {
		if (!isatty(STDIN_FILENO)) {
			fm_err("%s is not blank (%s); refusing to overwrite it without --yes (stdin is not a terminal)",
			       d.path, what);
			goto out;
		}
		snprintf(prompt, sizeof(prompt), "%s is not blank (%s); overwrite? [y/N] ",
			 d.path, what);
		if (!ask(prompt)) {
			fm_err("%s: not formatted", d.path);
			goto out;
		}
	}

	ret = fill_random(rnd, sizeof(rnd));
	if (ret) {
		fm_err("cannot get random bytes for the store's uuid: %s", strerror(-ret));
		goto out;
	}
	fm_format_plan(d.blocks, (u32)slots, rnd, (u64)time(NULL), &sb, &l, &why);

	/*
	 * As tracking/store.c fm_store_format(): slot table zeroed and
	 * flushed, then superblock copy A, flushed, then copy B, flushed. On
	 * a device that was not blank the old superblocks go first, so that
	 * a crash half way leaves a blank device, not the old store over a
	 * half-zeroed slot table.
	 */
	ret = blank ? 0 : zero_blocks(&d, 0, 2);
	if (!ret)
		ret = zero_blocks(&d, l.slot_table_block, l.data_block - l.slot_table_block);
	if (!ret)
		ret = write_sb(&d, &sb, 0);
	if (!ret)
		ret = write_sb(&d, &sb, 1);
	if (ret) {
		fm_err("cannot write to %s: %s; the device is not a usable store now",
		       d.path, strerror(-ret));
		goto out;
	}

	/* Read it back as the tracker will. */
	if (dev_scan(&d, FM_SCAN_SLOTS, &sc)) {
		fm_scan_free(&sc);
		goto out;
	}
	if (!sc.sb_usable || sc.sb_ret || sc.nproblems || sc.n_used ||
	    memcmp(sc.st.sb.uuid, sb.uuid, sizeof(sb.uuid))) {
		fm_err("%s did not read back as the store just written (%s)", d.path,
		       sc.nproblems ? sc.problems[0].text : "another superblock");
		fm_scan_free(&sc);
		goto out;
	}
	fm_scan_free(&sc);
	fm_uuid_str(sb.uuid, uuid);
	human_size(l.store_blocks * FM_BLOCK_SIZE, size, sizeof(size));
	printf("formatted %s: uuid %s, %u slot%s, %" PRIu64 " blocks (%s), bitmap area %" PRIu64 "-%" PRIu64 "\n",
	       d.path, uuid, sb.slot_count, sb.slot_count == 1 ? "" : "s", l.store_blocks,
	       size, l.data_block, l.store_blocks - 1);
	if (d.blocks > l.store_blocks)
		printf("note: the store covers the first %" PRIu64 " of the device's %" PRIu64 " blocks\n",
		       l.store_blocks, d.blocks);
	code = FM_EXIT_OK;
out:
	dev_close(&d);
	return code;
}

/* ---------------------------------------------------------------------- */
/* delete-slot */

static const struct fm_cmd cmd_delete = {
	.name = "store delete-slot",
	.synopsis = "store delete-slot [--force] DEV NAME [--host-id N]",
	.help =
	"Delete the slot of volume NAME (of host id N: by default the tracker\n"
	"module's host_id parameter, 0 when it is not loaded) from the store on\n"
	"DEV. While the kernel has the store open this is its delete_slot file,\n"
	"which deletes only slots of its own host id; otherwise DEV is opened\n"
	"exclusively and the slot header written as the tracker writes it. A\n"
	"slot that is attached is refused, a dirty one unless --force.\n\n"
	"  --force       delete it even with dirty regions (they are lost: the\n"
	"                backup then needs a full resync for that volume)\n"
	"  --host-id N   the owner host id of the slot\n"
	"  --help        this text\n",
};

/* The kernel's `slots` line of (name, host), if any. */
static bool kernel_slot(const struct dev *d, const char *name, u32 host,
			struct fm_sysfs_slot *out, char *hosts, size_t hosts_len)
{
	char path[PATH_MAX + 16], line[256];
	struct fm_sysfs_slot s;
	bool found = false;
	size_t o = 0;
	FILE *f;

	if (hosts_len)
		hosts[0] = '\0';
	snprintf(path, sizeof(path), "%s/slots", d->sysfs);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (fm_parse_sysfs_slot(line, &s) || strcmp(s.name, name))
			continue;
		if (s.host_id == host) {
			*out = s;
			found = true;
		} else if (o < hosts_len) {
			o += snprintf(hosts + o, hosts_len - o, "%s%u", o ? ", " : "",
				      s.host_id);
		}
	}
	fclose(f);
	return found;
}

static int delete_in_kernel(const struct dev *d, const char *name, u32 host,
			    bool host_given, bool force)
{
	char path[PATH_MAX + 16], req[FM_NAME_MAX + 16], hosts[128], owner[160];
	struct fm_sysfs_slot s, after;
	bool had;
	u32 kid = 0;
	ssize_t n;
	int fd, e, ret;

	ret = kernel_host_id(&kid);
	if (host_given && (ret || kid != host)) {
		if (ret)
			fm_err("the kernel has the store on %s open and deletes only slots of its own host id, which cannot be read (%s: %s); refusing to delete a slot of host id %u",
			       d->path, HOST_ID_PARAM, strerror(-ret), host);
		else
			fm_err("the kernel has the store on %s open and deletes only slots of its own host id %u (module parameter host_id), not of host id %u",
			       d->path, kid, host);
		return FM_EXIT_FAIL;
	}
	if (!host_given)
		host = ret ? 0 : kid;

	had = kernel_slot(d, name, host, &s, hosts, sizeof(hosts));
	snprintf(path, sizeof(path), "%s/delete_slot", d->sysfs);
	snprintf(req, sizeof(req), "%s%s\n", name, force ? " force" : "");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			fm_err("the kernel closed the store on %s meanwhile (%s is gone); run the command again",
			       d->path, path);
		else
			fm_err("cannot open %s: %s", path,
			       e == EACCES || e == EPERM ? "permission denied (run as root?)" :
			       strerror(e));
		return FM_EXIT_FAIL;
	}
	do {
		n = write(fd, req, strlen(req));
	} while (n < 0 && errno == EINTR);
	e = n < 0 ? errno : 0;
	close(fd);
	if (n >= 0) {
		if (had)
			printf("deleted slot %u (%s, host id %u) through the kernel%s\n",
			       s.index, name, host,
			       s.dirty_known && s.dirty ? ", its dirty regions dropped" : "");
		else
			printf("deleted slot %s (host id %u) through the kernel\n", name, host);
		return FM_EXIT_OK;
	}

	/* Why: the kernel's errno, with what its slots file says. */
	had = kernel_slot(d, name, host, &after, hosts, sizeof(hosts)) || had;
	if (had && after.index == s.index)
		s = after;
	switch (e) {
	case ENOENT:
		fm_err("the kernel refused (ENOENT): the store on %s has no slot %s of host id %u%s%s%s",
		       d->path, name, host, hosts[0] ? " (it has slots of that name for host id " : "",
		       hosts, hosts[0] ? ")" : "");
		break;
	case EBUSY:
		if (had && s.attached) {
			char vpath[PATH_MAX + 96];

			snprintf(vpath, sizeof(vpath), "%s/volumes/%s/dm_device", d->sysfs, name);
			if (read_line(vpath, owner, sizeof(owner)))
				snprintf(owner, sizeof(owner), "?");
			fm_err("the kernel refused (EBUSY): slot %s is attached: dm device %s uses volume %s; remove that device first",
			       name, owner, name);
		} else if (had && s.dirty_known && s.dirty) {
			fm_err("the kernel refused (EBUSY): slot %s has %" PRIu64 " dirty regions (the backup is behind there); --force deletes it anyway",
			       name, s.dirty);
		} else if (had && !s.dirty_known) {
			fm_err("the kernel refused (EBUSY): slot %s: its bitmap cannot be read, so it may be dirty; --force deletes it anyway",
			       name);
		} else {
			fm_err("the kernel refused (EBUSY): slot %s is attached or dirty (see the kernel log)",
			       name);
		}
		break;
	case EINVAL:
		fm_err("the kernel refused the request '%s %s' as invalid (EINVAL; see the kernel log)",
		       name, force ? "force" : "");
		break;
	case EIO:
		fm_err("the kernel could not write the slot header (EIO): I/O error on %s; see the kernel log",
		       d->path);
		break;
	case ENOMEM:
		fm_err("the kernel ran out of memory (ENOMEM)");
		break;
	case EACCES:
	case EPERM:
		fm_err("cannot write %s: permission denied (run as root?)", path);
		break;
	default:
		fm_err("the kernel refused to delete slot %s: %s", name, strerror(e));
		break;
	}
	return FM_EXIT_FAIL;
}

static int delete_on_media(struct dev *d, const char *name, u32 host, bool force)
{
	struct fm_scan sc, back;
	struct fm_reader r;
	char hosts[128];
	u32 idx[2], n, i;
	u64 block, seq, dirty = 0;
	size_t o = 0;
	u8 *buf = NULL;
	int ret, code = FM_EXIT_FAIL;
	bool dirty_known = false;

	if (dev_open(d, true))
		return FM_EXIT_FAIL;
	if (kernel_has_it(d)) {
		fm_err("%s: the kernel opened the store meanwhile (%s); nothing written, run the command again",
		       d->path, d->sysfs);
		return FM_EXIT_FAIL;
	}
	if (dev_scan(d, FM_SCAN_SLOTS, &sc))
		goto out;
	if (!sc.sb_usable || sc.sb_ret) {
		if (sc.st.state == FM_PAIR_BLANK && sc.sb_copies_read)
			fm_err("%s: blank: not a store", d->path);
		else
			fm_err("%s holds no usable tracker store: %s", d->path,
			       sc.sb_why ? sc.sb_why : "no valid superblock");
		goto out;
	}
	n = fm_scan_find(&sc, name, host, idx, 2);
	if (!n) {
		hosts[0] = '\0';
		for (i = 0; i < sc.nslots && o < sizeof(hosts); i++)
			if (sc.slots[i].kind == FM_SLOT_USED && !strcmp(sc.slots[i].slot.name, name))
				o += snprintf(hosts + o, sizeof(hosts) - o, "%s%u", o ? ", " : "",
					      sc.slots[i].slot.host_id);
		fm_err("%s has no slot %s of host id %u%s%s%s", d->path, name, host,
		       o ? " (it has slots of that name for host id " : "", hosts,
		       o ? "; use --host-id)" : "");
		goto out;
	}
	if (n > 1) {
		fm_err("%s: slots %u and %u both hold %s of host id %u (the store is inconsistent; the tracker refuses it); nothing written",
		       d->path, idx[0], idx[1], name, host);
		goto out;
	}
	if (sc.nproblems)
		fm_err("warning: %s has %zu other problem(s) (`forkmirror store check` lists them)",
		       d->path, sc.nproblems);

	r = dev_reader(d);
	ret = fm_scan_bitmap(&r, &sc, idx[0]);
	if (!ret && sc.slots[idx[0]].bitmap_scanned) {
		dirty = sc.slots[idx[0]].dirty;
		dirty_known = true;
	} else if (ret == -ENOMEM) {
		fm_err("out of memory");
		goto out;
	}
	if (!force && !dirty_known) {
		fm_err("cannot read the bitmap of slot %u (%s, host id %u)%s%s; it may be dirty: --force deletes it anyway",
		       idx[0], name, host, ret == -EIO ? ": " : "",
		       ret == -EIO ? strerror(d->err ? d->err : EIO) : "");
		goto out;
	}
	if (!force && dirty) {
		fm_err("slot %u (%s, host id %u) has %" PRIu64 " dirty regions (the backup is behind there); --force deletes it anyway",
		       idx[0], name, host, dirty);
		goto out;
	}

	buf = alloc_blocks(1);
	if (!buf) {
		fm_err("out of memory");
		goto out;
	}
	if (fm_delete_plan(&sc, idx[0], buf, &block, &seq)) {
		fm_err("slot %u has no header to replace", idx[0]);
		goto out;
	}
	ret = write_blocks(d, block, 1, buf);
	if (!ret)
		ret = dev_sync(d);
	if (ret) {
		fm_err("cannot write the header of slot %u to block %" PRIu64 " of %s: %s; the old header stays in force",
		       idx[0], block, d->path, strerror(-ret));
		goto out;
	}
	if (dev_scan(d, FM_SCAN_SLOTS, &back))
		goto out_back;
	if (back.nslots != sc.nslots || back.slots[idx[0]].kind != FM_SLOT_DELETED ||
	    back.slots[idx[0]].slot.seq != seq) {
		fm_err("slot %u of %s did not read back as deleted", idx[0], d->path);
		goto out_back;
	}
	printf("deleted slot %u (%s, host id %u) of %s: header copy %c, sequence number %" PRIu64 "%s\n",
	       idx[0], name, host, d->path,
	       block == fm_slot_block(&sc.st.layout, idx[0], 0) ? 'A' : 'B', seq,
	       dirty ? ", its dirty regions dropped" : dirty_known ? "" :
	       ", its bitmap unread");
	code = FM_EXIT_OK;
out_back:
	fm_scan_free(&back);
out:
	free(buf);
	fm_scan_free(&sc);
	return code;
}

static int do_delete(int argc, char **argv)
{
	enum { O_FORCE = 256, O_HOST };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "force", no_argument, NULL, O_FORCE },
		{ "host-id", required_argument, NULL, O_HOST },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false, host_given = false;
	const char *name;
	struct dev d;
	u32 host = 0, kid;
	u64 v;
	int o, code;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			return fm_help(&cmd_delete);
		case O_FORCE:
			force = true;
			break;
		case O_HOST:
			if (fm_parse_u64(optarg, U32_MAX, &v))
				return fm_usage_err(&cmd_delete,
						    "--host-id wants a number from 0 to %u, not '%s'",
						    U32_MAX, optarg);
			host = (u32)v;
			host_given = true;
			break;
		default:
			if (optopt == O_HOST)
				return fm_usage_err(&cmd_delete, "--host-id wants a number");
			return bad_option(&cmd_delete, argv);
		}
	}
	if (optind != argc - 2)
		return fm_usage_err(&cmd_delete, "name the store device and the volume");
	name = argv[optind + 1];
	if (!fm_name_valid(name, strlen(name)))
		return fm_usage_err(&cmd_delete,
				    "'%s' is not a volume name: 1 to %d letters, digits and ._-, the first a letter or digit",
				    name, FM_NAME_MAX);
	if (dev_stat(&d, argv[optind]))
		return FM_EXIT_FAIL;
	if (d.open_in_kernel)
		return delete_in_kernel(&d, name, host, host_given, force);
	if (!host_given && !kernel_host_id(&kid))
		host = kid;
	code = delete_on_media(&d, name, host, force);
	dev_close(&d);
	return code;
}

/* ---------------------------------------------------------------------- */

static int run(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return fm_usage_err(&fm_cmd_store,
				    "name a store subcommand: inspect, check, format or delete-slot");
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help"))
		return fm_help(&fm_cmd_store);
	if (!strcmp(sub, "inspect"))
		return do_inspect(argc - 1, argv + 1);
	if (!strcmp(sub, "check"))
		return do_check(argc - 1, argv + 1);
	if (!strcmp(sub, "format"))
		return do_format(argc - 1, argv + 1);
	if (!strcmp(sub, "delete-slot"))
		return do_delete(argc - 1, argv + 1);
	return fm_usage_err(&fm_cmd_store,
			    "unknown store subcommand '%s' (inspect, check, format or delete-slot)",
			    sub);
}

const struct fm_cmd fm_cmd_store = {
	.name = "store",
	.synopsis = "store inspect|check|format|delete-slot [OPTION...] DEV [NAME]",
	.help =
	"The tracker store on DEV (its block device, or an image file):\n\n"
	"  store inspect [--json] DEV\n"
	"      what it holds: superblock, layout, every slot, dirty regions\n"
	"  store check [--json] DEV\n"
	"      every inconsistency, one line each; exit 3 when any\n"
	"  store format [--yes] [--slots N] DEV\n"
	"      format a store as the tracker does (asks before overwriting)\n"
	"  store delete-slot [--force] DEV NAME [--host-id N]\n"
	"      delete a volume's slot (through the kernel when it has the\n"
	"      store open)\n\n"
	"`forkmirror store SUBCOMMAND --help` tells more.\n",
	.run = run,
};
