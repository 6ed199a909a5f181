// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror log [--json] DEV: a volume's tracking log as extents.
 *
 * The log is the volume's sysfs `log` file: a struct fm_log_header, then
 * the bitmap. sysfs returns at most a page per read, so the file is read
 * to its end and its header read again: the snapshot is consistent when
 * neither the sequence number nor the dirty count moved, and the bits set
 * match the count. A log that keeps changing (writes with the backup
 * online mark and clear intent regions all the time) is retried, then
 * shown as read, with a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "forkmirror.h"
#include "dm.h"
#include "out.h"

#define LOG_TRIES 5

/* The file at @path, read to its end, into a malloc'ed buffer. */
static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap), *nb;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !b) {
		int e = fd < 0 ? errno : ENOMEM;

		free(b);
		if (fd >= 0)
			close(fd);
		return -e;
	}
	for (;;) {
		if (n == cap) {
			nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
			if (!nb) {
				free(b);
				close(fd);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			free(b);
			close(fd);
			return -e;
		}
		if (!got)
			break;
		n += got;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

/* The header's seq and dirty count, read again. */
static int reread_header(const char *path, uint64_t *seq, uint64_t *dirty)
{
	struct fm_log_header h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (got != sizeof(h))
		return -EIO;
	*seq = le64toh(h.seq);
	*dirty = le64toh(h.dirty_count);
	return 0;
}

/*
 * fm_read_log() - a consistent snapshot of the log at @path
 * Returns 0 with *@buf (free it) and @log; *@moving when no consistent
 * snapshot came in LOG_TRIES reads. -errno, or -EINVAL with *@why.
 */
static int fm_read_log(const char *path, uint8_t **buf, struct fm_log *log,
		       bool *moving, const char **why)
{
	uint64_t seq = 0, dirty = 0;
	size_t len = 0;
	int tries, r;

	*moving = false;
	for (tries = 1;; tries++) {
		r = read_all(path, buf, &len);
		if (r)
			return r;
		r = fm_log_decode(*buf, len, log, true, why);
		if (!r && !reread_header(path, &seq, &dirty) && seq == log->seq &&
		    dirty == log->dirty_count)
			return 0;
		if (tries == LOG_TRIES)
			break;
		free(*buf);
	}
	r = fm_log_decode(*buf, len, log, false, why);
	if (r)
		free(*buf);
	*moving = !r;
	return r;
}

static void print_text(const struct fm_dm_target *t, const struct fm_log *log)
{
	char a[32], b[32], c[32];
	struct fm_extent_s e;
	uint64_t r = 0, n = 0;

	fm_format_time((int64_t)log->first_dirtied, a, sizeof(a));
	fm_format_time((int64_t)log->last_dirtied, b, sizeof(b));
	fm_format_time((int64_t)log->offline_since, c, sizeof(c));
	printf("# device %s, volume %s, tracker %s, state %s\n", t->name,
	       t->table.args.volume, t->table.args.tracker_path, t->status.state);
	printf("# %" PRIu64 " of %" PRIu64 " regions of %u sectors dirty (log seq %" PRIu64 ")\n",
	       log->dirty_count, log->region_count, log->region_sectors, log->seq);
	printf("# first dirtied %s, last dirtied %s, offline since %s\n", a, b, c);
	printf("# start_sector length_sectors\n");
	while (fm_log_next_extent(log, &r, &e)) {
		printf("%" PRIu64 " %" PRIu64 "\n", e.start, e.length);
		n++;
	}
	printf("# %" PRIu64 " extents\n", n);
}

static int run(int argc, char **argv)
{
	struct fm_dm_target t;
	char dir[512], path[600];
	const char *why = NULL;
	struct fm_log log;
	bool json = false, moving;
	uint8_t *buf = NULL;
	int first, code = FM_EXIT_OK, r;

	first = fm_parse_flags(&fm_cmd_log, argc, argv, &json, NULL, &code);
	if (first < 0)
		return code;
	if (first != argc - 1)
		return fm_usage_err(&fm_cmd_log, "name one forkmirror device");
	r = fm_dm_get(argv[first], &t);
	if (r) {
		if (r != -EINVAL)
			fm_err("%s: %s", argv[first], r == -ENOENT ? "not a forkmirror device" :
			       r == -ENODEV ? "no such dm device" : strerror(-r));
		return FM_EXIT_FAIL;
	}
	if (fm_dm_volume_dir(&t, dir, sizeof(dir))) {
		fm_err("%s: the volume's sysfs path is too long", argv[first]);
		return FM_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	r = fm_read_log(path, &buf, &log, &moving, &why);
	if (r) {
		if (r == -EINVAL)
			fm_err("%s: the log is not usable: %s", path, why);
		else
			fm_err("cannot read %s: %s", path, strerror(-r));
		return FM_EXIT_FAIL;
	}
	if (moving)
		fm_err("warning: %s changed in each of %d reads; this one mixes moments",
		       path, LOG_TRIES);
	if (json) {
		json_object *o = fm_log_json(&t, &log);

		fm_print_json(o);
		json_object_put(o);
	} else {
		print_text(&t, &log);
	}
	free(buf);
	return FM_EXIT_OK;
}

const struct fm_cmd fm_cmd_log = {
	.name = "log",
	.synopsis = "log [--json] DEV",
	.help =
	"The tracking log of forkmirror device DEV's volume: the regions that\n"
	"wait for a copy to the backup (and the write-intent marks of writes in\n"
	"flight), as extents of the volume: start sector and length in\n"
	"sectors, one per line after a commented header.\n\n"
	"  --json   one JSON object (forkmirror(8) lists the keys)\n"
	"  --help   this text\n",
	.run = run,
};
