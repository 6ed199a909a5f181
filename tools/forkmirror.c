// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror - administer forkmirror volumes.
 *
 *   forkmirror status [--json] [DM_NAME...]
 *	status of the named forkmirror devices (all of them by default),
 *	read through libdevmapper
 *   forkmirror table PRIMARY BACKUP TRACKER VOLUME [REGION_SECTORS [FEATURE...]]
 *	print a table line sized to the primary, for dmsetup create
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <libdevmapper.h>
#include <json-c/json.h>

#define TARGET_NAME "forkmirror"
#define DEFAULT_REGION_SECTORS 2048U

static const char *const status_names[] = {
	"state", "dirty/total", "resync_done/resync_pass_total",
	"resync_KiB_per_s", "backup_errors", "primary_errors",
	"offline_since", "full_resync_needed",
};
#define N_STATUS_FIELDS (sizeof(status_names) / sizeof(status_names[0]))

static int usage(FILE *f)
{
	fprintf(f,
		"usage: forkmirror status [--json] [DM_NAME...]\n"
		"       forkmirror table PRIMARY BACKUP TRACKER VOLUME [REGION_SECTORS [FEATURE...]]\n");
	return f == stderr ? 2 : 0;
}

/* Collect the forkmirror targets' status of one dm device into @out. */
static int device_status(const char *name, json_object *out, bool *found)
{
	struct dm_task *dmt;
	uint64_t start, length;
	char *type, *params;
	void *next = NULL;
	int r = 1;

	dmt = dm_task_create(DM_DEVICE_STATUS);
	if (!dmt)
		return 1;
	if (!dm_task_set_name(dmt, name) || !dm_task_run(dmt)) {
		fprintf(stderr, "forkmirror: cannot get status of %s\n", name);
		goto out;
	}
	do {
		json_object *t, *f;
		char *copy, *save = NULL, *word;
		size_t i = 0;

		next = dm_get_next_target(dmt, next, &start, &length, &type, &params);
		if (!type || strcmp(type, TARGET_NAME))
			continue;
		*found = true;
		t = json_object_new_object();
		json_object_object_add(t, "device", json_object_new_string(name));
		json_object_object_add(t, "start", json_object_new_uint64(start));
		json_object_object_add(t, "length", json_object_new_uint64(length));
		f = json_object_new_object();
		copy = strdup(params ? params : "");
		for (word = strtok_r(copy, " ", &save); word;
		     word = strtok_r(NULL, " ", &save), i++) {
			char key[32];

			if (i < N_STATUS_FIELDS)
				snprintf(key, sizeof(key), "%s", status_names[i]);
			else
				snprintf(key, sizeof(key), "field%zu", i + 1);
			json_object_object_add(f, key, json_object_new_string(word));
		}
		free(copy);
		json_object_object_add(t, "status", f);
		json_object_array_add(out, t);
	} while (next);
	r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}

/* Names of every dm device. */
static int all_devices(json_object *names)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_LIST);
	struct dm_names *n;
	unsigned int next = 0;

	if (!dmt || !dm_task_run(dmt)) {
		if (dmt)
			dm_task_destroy(dmt);
		fprintf(stderr, "forkmirror: cannot list dm devices\n");
		return 1;
	}
	n = dm_task_get_names(dmt);
	if (n && n->dev) {
		do {
			n = (struct dm_names *)((char *)n + next);
			json_object_array_add(names, json_object_new_string(n->name));
			next = n->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	json_object *names = json_object_new_array();
	json_object *out = json_object_new_array();
	bool json = false, found = false;
	int i, r = 0;
	size_t k;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] == '-')
			return usage(stderr);
		else
			json_object_array_add(names, json_object_new_string(argv[i]));
	}
	if (!json_object_array_length(names) && all_devices(names))
		r = 1;
	for (k = 0; k < json_object_array_length(names); k++) {
		const char *name = json_object_get_string(json_object_array_get_idx(names, k));
		bool this = false;

		if (device_status(name, out, &this)) {
			r = 1;
		} else if (!this && argc) {
			fprintf(stderr, "forkmirror: %s has no forkmirror target\n", name);
			r = 1;
		}
		found |= this;
	}

	if (json) {
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY));
	} else {
		for (k = 0; k < json_object_array_length(out); k++) {
			json_object *t = json_object_array_get_idx(out, k), *v, *st;

			json_object_object_get_ex(t, "device", &v);
			printf("%s:\n", json_object_get_string(v));
			json_object_object_get_ex(t, "status", &st);
			json_object_object_foreach(st, key, val)
				printf("  %-30s %s\n", key, json_object_get_string(val));
		}
		if (!found && !r)
			printf("no forkmirror devices\n");
	}
	json_object_put(out);
	json_object_put(names);
	return r;
}

static bool region_ok(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && *s >= '0' && *s <= '9' && !*end && *v >= 8 &&
	       *v <= (1UL << 17) && !(*v & (*v - 1));
}

static int cmd_table(int argc, char **argv)
{
	unsigned long region = DEFAULT_REGION_SECTORS;
	uint64_t bytes;
	int fd, i;

	if (argc < 4)
		return usage(stderr);
	if (argc > 4 && !region_ok(argv[4], &region)) {
		fprintf(stderr, "forkmirror: region size %s is not a power of two from 8 to 131072 sectors\n",
			argv[4]);
		return 1;
	}
	fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes)) {
		fprintf(stderr, "forkmirror: cannot read the size of %s: %s\n",
			argv[0], strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	printf("0 %" PRIu64 " " TARGET_NAME " %s %s %s %s %lu", bytes >> 9,
	       argv[0], argv[1], argv[2], argv[3], region);
	if (argc > 5) {
		printf(" %d", argc - 5);
		for (i = 5; i < argc; i++)
			printf(" %s", argv[i]);
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(stdout);
	dm_log_init_verbose(0);
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 2, argv + 2);
	if (!strcmp(argv[1], "table"))
		return cmd_table(argc - 2, argv + 2);
	return usage(stderr);
}
