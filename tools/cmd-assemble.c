// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror assemble: bring up the forkmirror devices a config file lists
 * (at boot: forkmirror-assemble.service). One device per line:
 *
 *   NAME [OPTION...] PRIMARY BACKUP TRACKER VOLUME [REGION_SECTORS [FEATURE...]]
 *
 * the arguments of `forkmirror create` (--backup-leg included: the leg is
 * made first, or used if there); '#' starts a comment. A device
 * that exists already is left alone (a forkmirror device of the same name
 * is "already assembled"; anything else is an error). A line whose
 * devices are not there yet is retried until --wait seconds have passed
 * (disks and network devices appear late at boot). Every line is tried;
 * the exit code is 1 when any failed.
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

#define DEFAULT_CONFIG "/etc/forkmirror/volumes.conf"
#define MAX_LINE_WORDS 40
#define MAX_ENTRIES 256

struct entry {
	unsigned int lineno;
	char text[1024];		/* the line, split into words */
	char *argv[MAX_LINE_WORDS + 1];	/* "assemble" then the words */
	int argc;
	const char *name;
	struct fm_args args;		/* paths point into text */
	struct fm_leg leg;		/* --backup-leg, or leg.name NULL */
};

/* How config lines are described in their errors. */
static const struct fm_cmd conf_line = {
	.name = "assemble",
	.synopsis = "assemble: a config line is NAME [OPTION...] PRIMARY BACKUP TRACKER VOLUME "
		    "[REGION_SECTORS [FEATURE...]]",
	.help = "",
};

struct conf {
	const char *path;
	struct entry *e;
	unsigned int n;
};

/*
 * Read and check @path: every line parses as create's arguments and no
 * two lines name one device. Returns 0, or FM_EXIT_USAGE/FAIL printed.
 */
static int conf_read(struct conf *c)
{
	char buf[1100], *w[MAX_LINE_WORDS];
	unsigned int lineno = 0, i;
	const char *why;
	bool help;
	FILE *f;
	int n, r = 0;

	c->e = calloc(MAX_ENTRIES, sizeof(*c->e));
	c->n = 0;
	if (!c->e)
		return FM_EXIT_FAIL;
	f = fopen(c->path, "re");
	if (!f) {
		fm_err("cannot open %s: %s", c->path, strerror(errno));
		return FM_EXIT_FAIL;
	}
	while (fgets(buf, sizeof(buf), f)) {
		struct entry *e = &c->e[c->n];

		lineno++;
		if (!strchr(buf, '\n') && !feof(f)) {
			fm_err("%s:%u: line too long", c->path, lineno);
			r = FM_EXIT_USAGE;
			break;
		}
		if (strlen(buf) >= sizeof(e->text)) {
			fm_err("%s:%u: line too long", c->path, lineno);
			r = FM_EXIT_USAGE;
			break;
		}
		strcpy(e->text, buf);
		n = fm_conf_words(e->text, w, MAX_LINE_WORDS, &why);
		if (n < 0) {
			fm_err("%s:%u: %s", c->path, lineno, why);
			r = FM_EXIT_USAGE;
			break;
		}
		if (!n)
			continue;
		if (c->n == MAX_ENTRIES) {
			fm_err("%s: more than %d devices", c->path, MAX_ENTRIES);
			r = FM_EXIT_USAGE;
			break;
		}
		e->lineno = lineno;
		e->argv[0] = "assemble";
		memcpy(e->argv + 1, w, n * sizeof(*w));
		e->argc = n + 1;
		e->argv[e->argc] = NULL;
		if (!strcmp(w[0], "-h") || !strcmp(w[0], "--help") ||
		    fm_table_build(&conf_line, e->argc, e->argv, &e->name, &e->args,
				   &e->leg, false, NULL, 0, &help) || help) {
			fm_err("%s:%u: not a device line (NAME, then create's arguments)",
			       c->path, lineno);
			r = FM_EXIT_USAGE;
			break;
		}
		if (!fm_dm_name_ok(e->name)) {
			fm_err("%s:%u: bad device name '%s'", c->path, lineno, e->name);
			r = FM_EXIT_USAGE;
			break;
		}
		for (i = 0; i < c->n; i++) {
			const char *other = c->e[i].leg.name;

			if (!strcmp(c->e[i].name, e->name)) {
				fm_err("%s:%u: device %s is also on line %u", c->path, lineno,
				       e->name, c->e[i].lineno);
				r = FM_EXIT_USAGE;
			}
			if (other && e->leg.name && !strcmp(other, e->leg.name)) {
				fm_err("%s:%u: backup leg %s is also on line %u", c->path, lineno,
				       e->leg.name, c->e[i].lineno);
				r = FM_EXIT_USAGE;
			}
			if (other && !strcmp(other, e->name)) {
				fm_err("%s:%u: device %s is the backup leg of line %u", c->path,
				       lineno, e->name, c->e[i].lineno);
				r = FM_EXIT_USAGE;
			}
			if (e->leg.name && !strcmp(c->e[i].name, e->leg.name)) {
				fm_err("%s:%u: backup leg %s is a device of line %u", c->path,
				       lineno, e->leg.name, c->e[i].lineno);
				r = FM_EXIT_USAGE;
			}
		}
		if (r)
			break;
		c->n++;
	}
	if (!r && ferror(f)) {
		fm_err("cannot read %s", c->path);
		r = FM_EXIT_FAIL;
	}
	fclose(f);
	return r;
}

/* Bring up one entry; its line is built again (devices checked now). */
static int assemble_one(struct entry *e, double wait_s, bool dry_run)
{
	struct timespec t0, now, pause = { 0, 250000000 };
	struct fm_dm_target t;
	char line[1024];
	struct fm_leg leg;
	struct fm_args a;
	const char *name;
	bool help, leg_made = false;
	int r;

	r = fm_dm_get(e->name, &t);
	if (!r) {
		printf("%s: already assembled\n", e->name);
		return FM_EXIT_OK;
	}
	if (r != -ENODEV) {
		if (r == -ENOENT)
			fm_err("%s: a dm device of that name exists and is not a forkmirror device",
			       e->name);
		return FM_EXIT_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		fm_quiet = (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 < wait_s;
		r = fm_table_build(&conf_line, e->argc, e->argv, &name, &a, &leg, true, line,
				   sizeof(line), &help);
		if (r != FM_EXIT_FAIL || !fm_quiet)
			break;
		nanosleep(&pause, NULL);
	}
	fm_quiet = false;
	if (r) {
		fm_err("%s: not assembled (line %u)", e->name, e->lineno);
		return r;
	}
	if (dry_run) {
		bool there;

		if (leg.name) {
			r = fm_leg_check(&leg, &there);
			if (r) {
				fm_err("%s: would not be assembled (line %u)", e->name, e->lineno);
				return r;
			}
			printf("%s: would %s %s: 0 %" PRIu64 " linear %s 0\n", e->name,
			       there ? "use" : "load", leg.name, leg.sectors, leg.lower);
		}
		printf("%s: would load: %s\n", e->name, line);
		return FM_EXIT_OK;
	}
	if (leg.name) {
		r = fm_leg_up(&leg, &leg_made);
		if (r) {
			fm_err("%s: not assembled (line %u)", e->name, e->lineno);
			return r;
		}
		if (leg_made)
			printf("%s: backup leg %s: 0 %" PRIu64 " linear %s 0\n", e->name,
			       leg.name, leg.sectors, leg.lower);
	}
	r = fm_dm_create(e->name, line);
	if (r) {
		fm_err("%s: the kernel refused the table (%s; its log says why): %s", e->name,
		       strerror(-r), line);
		goto remove_leg;
	}
	printf("%s: assembled: %s\n", e->name, line);
	return FM_EXIT_OK;

remove_leg:
	if (leg_made && fm_dm_remove(leg.name))
		fm_err("%s: cannot remove the backup leg %s made for it: dmsetup remove %s",
		       e->name, leg.name, leg.name);
	return FM_EXIT_FAIL;
}

int fm_conf_load(const char *path, struct fm_conf_dev **devs, unsigned int *n)
{
	struct conf c = { .path = path ? path : DEFAULT_CONFIG };
	unsigned int i;
	int r = conf_read(&c);

	*devs = NULL;
	*n = 0;
	if (r) {
		free(c.e);
		return r;
	}
	*devs = calloc(c.n ? c.n : 1, sizeof(**devs));
	if (!*devs) {
		free(c.e);
		return FM_EXIT_FAIL;
	}
	for (i = 0; i < c.n; i++) {
		snprintf((*devs)[i].name, sizeof((*devs)[i].name), "%s", c.e[i].name);
		snprintf((*devs)[i].primary, sizeof((*devs)[i].primary), "%s",
			 c.e[i].args.primary_path);
		snprintf((*devs)[i].backup, sizeof((*devs)[i].backup), "%s",
			 c.e[i].args.backup_path);
		snprintf((*devs)[i].leg, sizeof((*devs)[i].leg), "%s", c.e[i].leg.path);
	}
	*n = c.n;
	free(c.e);
	return FM_EXIT_OK;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf c = { .path = DEFAULT_CONFIG };
	bool dry_run = false, found;
	double wait_s = 0;
	unsigned int i;
	char *end;
	int o, k, r, code = FM_EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'h')
			return fm_help(&fm_cmd_assemble);
		if (o == 'c') {
			c.path = optarg;
		} else if (o == 'w') {
			errno = 0;
			wait_s = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(wait_s >= 0 && wait_s <= 3600))
				return fm_usage_err(&fm_cmd_assemble,
						    "--wait wants seconds from 0 to 3600, not %s",
						    optarg);
		} else if (o == 'n') {
			dry_run = true;
		} else {
			return fm_usage_err(&fm_cmd_assemble, "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	r = conf_read(&c);
	if (r) {
		free(c.e);
		return r;
	}
	/* Named devices must be in the config. */
	for (k = optind; k < argc; k++) {
		for (i = 0, found = false; i < c.n; i++)
			found |= !strcmp(c.e[i].name, argv[k]);
		if (!found) {
			fm_err("%s is not in %s", argv[k], c.path);
			code = FM_EXIT_FAIL;
		}
	}
	for (i = 0; i < c.n; i++) {
		if (optind < argc) {
			for (k = optind, found = false; k < argc; k++)
				found |= !strcmp(c.e[i].name, argv[k]);
			if (!found)
				continue;
		}
		if (assemble_one(&c.e[i], wait_s, dry_run))
			code = FM_EXIT_FAIL;
	}
	if (!c.n)
		printf("%s lists no devices\n", c.path);
	free(c.e);
	return code;
}

const struct fm_cmd fm_cmd_assemble = {
	.name = "assemble",
	.synopsis = "assemble [--config FILE] [--wait SECONDS] [--dry-run] [NAME...]",
	.help =
	"Create the forkmirror devices FILE lists (every one, or the NAMEs),\n"
	"as `forkmirror create` would; forkmirror-assemble.service runs it at\n"
	"boot. One device per line: NAME, then create's options and operands;\n"
	"'#' starts a comment. A device already there is left alone.\n\n"
	"  --config FILE   the list (default " DEFAULT_CONFIG ")\n"
	"  --wait S        retry a device whose disks are not there yet, for up\n"
	"                  to S seconds (default 0)\n"
	"  --dry-run       print the table lines, create nothing\n"
	"  --help          this text\n",
	.run = run,
};
