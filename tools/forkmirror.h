/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The forkmirror command: what its subcommands share.
 *
 * Every subcommand lives in its own cmd-*.c file and is one struct fm_cmd;
 * forkmirror.c dispatches on the first word. A subcommand gets the words
 * after its name (argv[0] is its name, as for getopt_long) and returns an
 * exit code of the list below.
 */
#ifndef FORKMIRROR_TOOL_H
#define FORKMIRROR_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes, the same for every subcommand (forkmirror.8 lists them). */
#define FM_EXIT_OK		0	/* done; check: no inconsistency */
#define FM_EXIT_FAIL		1	/* could not do it: see the message */
#define FM_EXIT_USAGE		2	/* bad command line */
#define FM_EXIT_PROBLEMS	3	/* check found inconsistencies */

struct fm_cmd {
	const char *name;
	const char *synopsis;	/* the usage line, after "forkmirror " */
	const char *help;	/* what --help prints after the synopsis */
	int (*run)(int argc, char **argv);
};

extern const struct fm_cmd fm_cmd_status;
extern const struct fm_cmd fm_cmd_table;
extern const struct fm_cmd fm_cmd_create;
extern const struct fm_cmd fm_cmd_log;
extern const struct fm_cmd fm_cmd_watch;
extern const struct fm_cmd fm_cmd_store;
extern const struct fm_cmd fm_cmd_lvm_filter;

/* "forkmirror: <message>" on stderr. */
void fm_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A bad command line: the message, then the subcommand's usage line, on
 * stderr. Returns FM_EXIT_USAGE.
 */
int fm_usage_err(const struct fm_cmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --help of a subcommand, on stdout. Returns FM_EXIT_OK. */
int fm_help(const struct fm_cmd *c);

/*
 * The subcommand's options, parsed with getopt_long from @argv; every
 * subcommand takes -h/--help (handled here: *done is set and the return is
 * the exit code) and --json when @json is not NULL. @extra lists further
 * long options (NULL-terminated name array, flags set to true), may be NULL.
 * Returns the index of the first operand, or -1 with *code set.
 */
struct fm_flag {
	const char *name;	/* long option, without "--" */
	bool *set;
};
int fm_parse_flags(const struct fm_cmd *c, int argc, char **argv, bool *json,
		   const struct fm_flag *extra, int *code);

#endif /* FORKMIRROR_TOOL_H */
