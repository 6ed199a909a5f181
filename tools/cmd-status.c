// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror status [--json] [DEV...]: the state of forkmirror devices.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "forkmirror.h"
#include "dm.h"
#include "out.h"

static void status_line(const struct fm_dm_target *t)
{
	const struct fm_status *s = &t->status;
	char dirty[48], resync[48], since[32];

	snprintf(dirty, sizeof(dirty), "%" PRIu64 "/%" PRIu64, s->dirty, s->total);
	if (!strcmp(s->state, "resyncing"))
		snprintf(resync, sizeof(resync), "%" PRIu64 "/%" PRIu64 " %" PRIu64 "KiB/s",
			 s->resync_done, s->resync_pass_total, s->resync_kib_s);
	else
		snprintf(resync, sizeof(resync), "-");
	fm_format_time(s->offline_since, since, sizeof(since));
	printf("%-16s %-10s %-18s %-24s %6" PRIu64 " %6" PRIu64 "  %s%s\n", t->name,
	       s->state, dirty, resync, s->backup_errors, s->primary_errors, since,
	       s->full_resync_needed ? "  (full resync needed)" : "");
}

static int run(int argc, char **argv)
{
	char **names = NULL;
	size_t n = 0, i;
	bool json = false, named;
	json_object *all;
	int first, code = FM_EXIT_OK, r, shown = 0;

	first = fm_parse_flags(&fm_cmd_status, argc, argv, &json, NULL, &code);
	if (first < 0)
		return code;
	named = first < argc;
	if (!named) {
		r = fm_dm_names(&names, &n);
		if (r)
			return FM_EXIT_FAIL;
	}
	all = json_object_new_array();
	if (!json)
		printf("%-16s %-10s %-18s %-24s %6s %6s  %s\n", "DEVICE", "STATE",
		       "DIRTY/TOTAL", "RESYNC", "BK_ERR", "PR_ERR", "OFFLINE_SINCE");
	for (i = 0; named ? first + i < (size_t)argc : i < n; i++) {
		const char *name = named ? argv[first + i] : names[i];
		struct fm_dm_target t;

		r = fm_dm_get(name, &t);
		if ((r == -ENOENT || r == -ENODEV) && !named)
			continue;	/* not ours, or removed since the list */
		if (r) {
			if (r != -EINVAL)
				fm_err("%s: %s", name, r == -ENOENT ?
				       "not a forkmirror device" : r == -ENODEV ?
				       "no such dm device" : strerror(-r));
			code = FM_EXIT_FAIL;
			continue;
		}
		shown++;
		if (json)
			json_object_array_add(all, fm_status_json(&t));
		else
			status_line(&t);
	}
	if (json)
		fm_print_json(all);
	else if (!shown && !named)
		printf("(no forkmirror devices)\n");
	json_object_put(all);
	fm_dm_free_names(names, n);
	return code;
}

const struct fm_cmd fm_cmd_status = {
	.name = "status",
	.synopsis = "status [--json] [DEV...]",
	.help =
	"The state of the named forkmirror devices (dm names, /dev/mapper/NAME\n"
	"or /dev/dm-N), of every forkmirror device when none is named: state,\n"
	"dirty/total regions, resync progress and rate, backup and primary\n"
	"error counts, since when the backup is offline, and whether a full\n"
	"resync is needed.\n\n"
	"  --json   one JSON array of objects (forkmirror(8) lists the keys)\n"
	"  --help   this text\n",
	.run = run,
};
