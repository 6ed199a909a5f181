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
 * The backup leg (`--backup-leg NAME`): a dm-linear device NAME over the
 * whole backup, which the volume uses as its backup, so that the backup
 * device under it can be replaced (an NBD device reconnected) while the
 * volume's table stays the same.
 */
struct fm_leg {
	const char *name;	/* the leg's dm name; NULL: no leg */
	const char *lower;	/* the backup device it maps */
	uint64_t sectors;	/* the backup's size (with check_devices) */
	char path[160];		/* /dev/mapper/NAME, the table's backup */
};

/*
 * fm_leg_check() - whether the leg @l is there (@there) as a linear over
 * all of its backup, unused and writable, or not there at all. Returns
 * FM_EXIT_OK, or the exit code with the reason printed (anything else of
 * that name, or a leg that maps something else or is in use).
 */
int fm_leg_check(const struct fm_leg *l, bool *there);

/*
 * fm_leg_up() - create the leg @l (udev's disk and other rules off: LVM
 * must not take it for a PV), or use it when fm_leg_check() finds it
 * there. @created tells which. Returns FM_EXIT_OK, or the exit code with
 * the reason printed.
 */
int fm_leg_up(const struct fm_leg *l, bool *created);

/*
 * fm_table_build() - the arguments of `table`/`create` (also a line of the
 * assemble config) into a checked table line
 * @c: the subcommand, for its usage and --help
 * @argc, @argv: the words, argv[0] being the subcommand's name; getopt
 *	permutes them, and @a's device paths point into them
 * @name: when not NULL, the first operand is a device name, set here
 * @a: the parsed table parameters (the target's own parser)
 * @leg: where --backup-leg goes (the line then names the leg as the
 *	backup: with @check_devices, @a's backup_path points at @leg's
 *	path, so @a must not outlive @leg); NULL refuses the option
 * @check_devices: open the three devices, check them, and size @line to
 *	the primary; when false, only the words are checked
 * @line, @len: the canonical table line
 * @help_done: set when --help was asked (and printed)
 *
 * Returns FM_EXIT_OK, or the exit code with the reason printed.
 */
int fm_table_build(const struct fm_cmd *c, int argc, char **argv,
		   const char **name, struct fm_args *a, struct fm_leg *leg,
		   bool check_devices, char *line, size_t len, bool *help_done);

/* A device of the assemble config: its name and the legs LVM must not see. */
struct fm_conf_dev {
	char name[128];
	char primary[256];
	char backup[256];
	char leg[160];		/* /dev/mapper/LEG, or "" */
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
