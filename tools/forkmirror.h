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
extern const struct fm_cmd fm_cmd_assemble;

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

struct fm_args;

/*
 * fm_table_build() - the arguments of `table`/`create` (also a line of the
 * assemble config) into a checked table line
 * @c: the subcommand, for its usage and --help
 * @argc, @argv: the words, argv[0] being the subcommand's name; getopt
 *	permutes them, and @a's device paths point into them
 * @name: when not NULL, the first operand is a device name, set here
 * @a: the parsed table parameters (the target's own parser)
 * @check_devices: open the three devices, check them, and size @line to
 *	the primary; when false, only the words are checked
 * @line, @len: the canonical table line
 * @help_done: set when --help was asked (and printed)
 *
 * Returns FM_EXIT_OK, or the exit code with the reason printed.
 */
int fm_table_build(const struct fm_cmd *c, int argc, char **argv,
		   const char **name, struct fm_args *a, bool check_devices,
		   char *line, size_t len, bool *help_done);

/* A device of the assemble config: its name and the legs LVM must not see. */
struct fm_conf_dev {
	char name[128];
	char primary[256];
	char backup[256];
};

/*
 * fm_conf_load() - the devices of the assemble config @path (NULL: the
 * default) into a malloc'ed array. Returns FM_EXIT_OK or the exit code,
 * printed.
 */
int fm_conf_load(const char *path, struct fm_conf_dev **devs, unsigned int *n);

/* Quiet: fm_err() prints nothing (retries whose last try speaks). */
extern bool fm_quiet;

#endif /* FORKMIRROR_TOOL_H */
