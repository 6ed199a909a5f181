/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny test harness for the forkmirror command's host tests: CHECK()
 * records the first failure of a case; each case prints "PASS name" or
 * "FAIL name: why", and fm_check_done() prints "N passed, N failed" last.
 */
#ifndef FORKMIRROR_TOOL_CHECK_H
#define FORKMIRROR_TOOL_CHECK_H

#include <stdio.h>
#include <string.h>

static unsigned int fm_check_passed, fm_check_failed;
static char fm_check_why[512];

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond) && !fm_check_why[0]) {			\
			int n_ = snprintf(fm_check_why, sizeof(fm_check_why), \
					  "%s:%d: ", __FILE__, __LINE__); \
			snprintf(fm_check_why + n_, sizeof(fm_check_why) - n_, \
				 __VA_ARGS__);				\
		}							\
	} while (0)

#define RUN(fn)								\
	do {								\
		fm_check_why[0] = '\0';					\
		fn();							\
		if (fm_check_why[0]) {					\
			printf("FAIL %s: %s\n", #fn, fm_check_why);	\
			fm_check_failed++;				\
		} else {						\
			printf("PASS %s\n", #fn);			\
			fm_check_passed++;				\
		}							\
	} while (0)

static inline int fm_check_done(void)
{
	printf("%u passed, %u failed\n", fm_check_passed, fm_check_failed);
	return fm_check_failed ? 1 : 0;
}

#endif /* FORKMIRROR_TOOL_CHECK_H */
