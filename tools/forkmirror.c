// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror - administer forkmirror volumes and their tracker stores.
 *
 * One command, one subcommand per cmd-*.c file; `forkmirror help` and
 * `forkmirror SUBCOMMAND --help` say what each does, forkmirror.8 says it
 * all.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libdevmapper.h>

#include "forkmirror.h"

static const struct fm_cmd *const cmds[] = {
	&fm_cmd_status, &fm_cmd_watch, &fm_cmd_log, &fm_cmd_table,
	&fm_cmd_create, &fm_cmd_assemble, &fm_cmd_store, &fm_cmd_lvm_filter,
};
#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

bool fm_quiet;

void fm_err(const char *fmt, ...)
{
	va_list ap;

	if (fm_quiet)
		return;
	fputs("forkmirror: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int fm_usage_err(const struct fm_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "forkmirror %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: forkmirror %s\n", c->synopsis);
	return FM_EXIT_USAGE;
}

int fm_help(const struct fm_cmd *c)
{
	printf("usage: forkmirror %s\n\n%s", c->synopsis, c->help);
	return FM_EXIT_OK;
}

int fm_parse_flags(const struct fm_cmd *c, int argc, char **argv, bool *json,
		   const struct fm_flag *extra, int *code)
{
	struct option opts[16];
	unsigned int n = 0, i;
	int o;

	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	if (json)
		opts[n++] = (struct option){ "json", no_argument, NULL, 'j' };
	for (i = 0; extra && extra[i].name && n < 15; i++)
		opts[n++] = (struct option){ extra[i].name, no_argument, NULL, 256 + i };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;	/* glibc: start over */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'h') {
			*code = fm_help(c);
			return -1;
		} else if (o == 'j') {
			*json = true;
		} else if (o >= 256) {
			*extra[o - 256].set = true;
		} else if (optopt) {
			*code = fm_usage_err(c, "unknown option -%c", optopt);
			return -1;
		} else {
			*code = fm_usage_err(c, "unknown option %s (or one that takes no value)",
					     argv[optind - 1]);
			return -1;
		}
	}
	return optind;
}

static int usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: forkmirror SUBCOMMAND [ARG...]\n\n");
	for (i = 0; i < N_CMDS; i++)
		fprintf(f, "  forkmirror %s\n", cmds[i]->synopsis);
	fprintf(f, "\n`forkmirror SUBCOMMAND --help` tells more; see forkmirror(8).\n");
	return f == stdout ? FM_EXIT_OK : FM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout);
	dm_log_init_verbose(0);
	for (i = 0; i < N_CMDS; i++)
		if (!strcmp(argv[1], cmds[i]->name))
			return cmds[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "forkmirror: unknown subcommand %s\n", argv[1]);
	return usage(stderr);
}
