// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror watch [--interval S] [--once] DEV: a live view of a volume,
 * a progress bar while it resyncs. On a terminal the line is redrawn in
 * place; otherwise a plain line is printed whenever it changed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forkmirror.h"
#include "dm.h"

#define BAR_WIDTH 30

/* The line that shows @t now, into @buf. */
static void watch_line(const struct fm_dm_target *t, char *buf, size_t len)
{
	const struct fm_status *s = &t->status;
	char bar[64], eta[32];
	int64_t left;

	if (!strcmp(s->state, "resyncing")) {
		fm_progress_bar(s->resync_done, s->resync_pass_total, BAR_WIDTH, bar,
				sizeof(bar));
		left = fm_eta_s(s->resync_pass_total > s->resync_done ?
				s->resync_pass_total - s->resync_done : 0,
				t->table.args.region_sectors, s->resync_kib_s);
		if (left < 0)
			snprintf(eta, sizeof(eta), "--:--:--");
		else
			snprintf(eta, sizeof(eta), "%" PRId64 ":%02" PRId64 ":%02" PRId64,
				 left / 3600, left / 60 % 60, left % 60);
		snprintf(buf, len, "%s: resyncing %s %" PRIu64 "/%" PRIu64 " regions, %"
			 PRIu64 " KiB/s, %s left", t->name, bar, s->resync_done,
			 s->resync_pass_total, s->resync_kib_s, eta);
	} else {
		snprintf(buf, len, "%s: %s, %" PRIu64 "/%" PRIu64 " regions dirty%s",
			 t->name, s->state, s->dirty, s->total,
			 s->full_resync_needed ? ", full resync needed" : "");
	}
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, '1' },
		{ NULL, 0, NULL, 0 },
	};
	char line[512], last[512] = "", *end;
	struct fm_dm_target t;
	double interval = 1.0;
	bool once = false, tty = isatty(STDOUT_FILENO), drawn = false;
	struct timespec ts;
	int o, r;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "hi:", opts, NULL)) != -1) {
		if (o == 'h')
			return fm_help(&fm_cmd_watch);
		if (o == 'i') {
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(interval >= 0.1 && interval <= 3600))
				return fm_usage_err(&fm_cmd_watch,
						    "--interval wants seconds from 0.1 to 3600, not %s",
						    optarg);
		} else if (o == '1') {
			once = true;
		} else {
			return fm_usage_err(&fm_cmd_watch, "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return fm_usage_err(&fm_cmd_watch, "name one forkmirror device");
	ts.tv_sec = (time_t)interval;
	ts.tv_nsec = (long)((interval - ts.tv_sec) * 1e9);
	for (;;) {
		r = fm_dm_get(argv[optind], &t);
		if (r) {
			if (drawn && tty)
				putchar('\n');
			if (r != -EINVAL)
				fm_err("%s: %s", argv[optind], r == -ENOENT ?
				       "not a forkmirror device" : r == -ENODEV ?
				       "no such dm device (removed?)" : strerror(-r));
			return FM_EXIT_FAIL;
		}
		watch_line(&t, line, sizeof(line));
		if (tty) {
			printf("\r\033[K%s", line);
			drawn = true;
		} else if (strcmp(line, last)) {
			printf("%s\n", line);
		}
		fflush(stdout);
		snprintf(last, sizeof(last), "%s", line);
		if (once || !strcmp(t.status.state, "in_sync") ||
		    !strcmp(t.status.state, "failed"))
			break;
		nanosleep(&ts, NULL);
	}
	if (tty)
		putchar('\n');
	return once || strcmp(t.status.state, "failed") ? FM_EXIT_OK : FM_EXIT_FAIL;
}

const struct fm_cmd fm_cmd_watch = {
	.name = "watch",
	.synopsis = "watch [--interval SECONDS] [--once] DEV",
	.help =
	"Follow forkmirror device DEV: while it resyncs, a progress bar of the\n"
	"pass with the regions copied, the rate and the time left; otherwise\n"
	"its state and dirty regions. On a terminal the line is redrawn in\n"
	"place, elsewhere a line is printed each time it changes. Ends when\n"
	"the device is in_sync (exit 0) or failed (exit 1).\n\n"
	"  --interval S   seconds between looks (default 1, 0.1 to 3600)\n"
	"  --once         one look, then exit 0 whatever the state\n"
	"  --help         this text\n",
	.run = run,
};
