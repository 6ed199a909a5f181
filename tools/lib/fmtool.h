/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The forkmirror command's pure code: parsing the target's table and status
 * lines, decoding the tracking log a volume's sysfs `log` file exports and
 * turning its bitmap into extents, building a table line from named
 * arguments. No I/O, no libdevmapper: unit-tested on the host
 * (tools/tests/).
 *
 * Everything read from the kernel or a device is untrusted: a decoder says
 * why it refused its input.
 */
#ifndef FORKMIRROR_FMTOOL_H
#define FORKMIRROR_FMTOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <forkmirror/shim.h>
#include "../../dm-forkmirror/args.h"

/*
 * A forkmirror target's table parameters, as `dmsetup table` prints them,
 * parsed by the target's own parser (dm-forkmirror/args.c): the device
 * fields point into @words.
 */
struct fm_table {
	char words[1024];	/* a copy of the parameters, split in words */
	struct fm_args args;
};

/* The target's status fields, in the order of the contract. */
struct fm_status {
	char state[16];
	uint64_t dirty, total;
	uint64_t resync_done, resync_pass_total;
	uint64_t resync_kib_s;
	uint64_t backup_errors, primary_errors;
	int64_t offline_since;		/* Unix seconds, -1: "-" */
	bool full_resync_needed;
};

/* Parsers: 0, or -EINVAL with *why set to a static text. */
int fm_parse_table(const char *params, struct fm_table *t, const char **why);
int fm_parse_status(const char *params, struct fm_status *s, const char **why);

/*
 * fm_format_table() - the table line "0 <sectors> forkmirror <params>", the
 * parameters in the kernel's canonical form (features in its fixed order,
 * defaults left out), into @buf of @len bytes. Returns the length, or
 * -ENOSPC.
 */
int fm_format_table(uint64_t sectors, const struct fm_args *a, char *buf,
		    size_t len);

/* A decoded tracking log (struct fm_log_header, then the bitmap). */
struct fm_log {
	uint32_t version;
	uint32_t region_sectors;
	uint32_t flags;
	uint64_t region_count;
	uint64_t volume_sectors;
	uint64_t seq;
	uint64_t dirty_count;
	uint64_t first_dirtied, last_dirtied, offline_since;
	const uint8_t *bitmap;		/* (region_count + 7) / 8 bytes */
};

/*
 * fm_log_decode() - check and decode a log read whole from sysfs
 * @buf, @len: the bytes read
 * @log: filled in; its bitmap points into @buf
 * @why: set to why the log was refused
 *
 * Refuses a wrong magic or version, a header length shorter than the
 * header or past @len, an impossible region size, a region count that
 * does not cover the volume, a bitmap cut short, bits set past the last
 * region, and a dirty count that differs from the bits set.
 * Returns 0 or -EINVAL.
 */
int fm_log_decode(const void *buf, size_t len, struct fm_log *log,
		  bool exact, const char **why);

/* One run of dirty regions, in sectors of the volume. */
struct fm_extent_s {
	uint64_t start;
	uint64_t length;	/* the last region stops at the volume's end */
};

/*
 * fm_log_next_extent() - the next run of set bits at or after *@region
 * Returns true and fills @e, moving *@region past the run; false when no
 * bit is set from *@region on.
 */
bool fm_log_next_extent(const struct fm_log *log, uint64_t *region,
			struct fm_extent_s *e);

/*
 * fm_eta_s() - seconds left at @rate_kib_s for @regions_left regions of
 * @region_sectors; -1 when unknown (no rate yet).
 */
int64_t fm_eta_s(uint64_t regions_left, uint32_t region_sectors,
		 uint64_t rate_kib_s);

/*
 * fm_progress_bar() - "[#####.....]  42.0%" of @done over @total in @buf,
 * @width characters between the brackets.
 */
void fm_progress_bar(uint64_t done, uint64_t total, unsigned int width,
		     char *buf, size_t len);

/*
 * fm_conf_words() - split one line of the assemble config in place
 * @line: the line; a '#' starts a comment, words are separated by blanks
 * @words: where the words go
 * @max: room in @words
 * @why: set when the line is refused
 *
 * Returns the number of words (0 for a blank or comment line), or -EINVAL
 * for more than @max words or a control character.
 */
int fm_conf_words(char *line, char **words, unsigned int max, const char **why);

#endif /* FORKMIRROR_FMTOOL_H */
