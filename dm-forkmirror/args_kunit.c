// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite fm_args: the table-line parser of the forkmirror target.
 *
 * Each line below is split on spaces into argv, as dm does, and fed to
 * fm_parse_args(); good lines check every parsed field and the canonical
 * feature text, bad lines check the exact error.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/module.h>

#include "args.h"

#define MAX_WORDS 24

struct line_split {
	char buf[512];
	char *argv[MAX_WORDS];
	unsigned int argc;
};

/* Split @line on single spaces into @ls (an empty line gives no word). */
static void split_line(struct kunit *test, const char *line,
		       struct line_split *ls)
{
	char *p, *w;

	KUNIT_ASSERT_LT(test, strlen(line), sizeof(ls->buf));
	strscpy(ls->buf, line, sizeof(ls->buf));
	ls->argc = 0;
	p = ls->buf;
	while ((w = strsep(&p, " ")) != NULL) {
		if (!*w)
			continue;
		KUNIT_ASSERT_LT(test, ls->argc, (unsigned int)MAX_WORDS);
		ls->argv[ls->argc++] = w;
	}
}

#define NAME64 "v123456789012345678901234567890123456789012345678901234567890123"
#define NAME65 NAME64 "x"

/* ---------------------------------------------------------------------- */

struct good_case {
	const char *line;
	const char *volume;
	u32 region_sectors;
	u32 resync_rate;
	enum fm_fork_mode fork_mode;
	unsigned int features;
	const char *canonical;
};

static const struct good_case good_cases[] = {
	{ "/dev/a /dev/b /dev/c vol 8", "vol", 8, 0, FM_FORK_SERIAL, 0, "" },
	{ "/dev/a /dev/b /dev/c vol 131072", "vol", 131072, 0, FM_FORK_SERIAL, 0, "" },
	{ "8:0 8:16 259:0 a 1024 0", "a", 1024, 0, FM_FORK_SERIAL, 0, "" },
	{ "a b c " NAME64 " 16", NAME64, 16, 0, FM_FORK_SERIAL, 0, "" },
	{ "a b c 0._-Zz 2048 2 resync_rate 0", "0._-Zz", 2048, 0,
	  FM_FORK_SERIAL, FM_FEAT_RESYNC_RATE, "" },
	{ "a b c v 8 2 resync_rate 4294967295", "v", 8, 4294967295U,
	  FM_FORK_SERIAL, FM_FEAT_RESYNC_RATE, "2 resync_rate 4294967295" },
	{ "a b c v 8 1 no_auto_resync", "v", 8, 0, FM_FORK_SERIAL,
	  FM_FEAT_NO_AUTO_RESYNC, "1 no_auto_resync" },
	{ "a b c v 8 1 no_intent_log", "v", 8, 0, FM_FORK_SERIAL,
	  FM_FEAT_NO_INTENT_LOG, "1 no_intent_log" },
	{ "a b c v 8 1 start_offline", "v", 8, 0, FM_FORK_SERIAL,
	  FM_FEAT_START_OFFLINE, "1 start_offline" },
	{ "a b c v 8 2 fork_mode serial", "v", 8, 0, FM_FORK_SERIAL,
	  FM_FEAT_FORK_MODE, "" },
	{ "a b c v 8 2 fork_mode parallel", "v", 8, 0, FM_FORK_PARALLEL,
	  FM_FEAT_FORK_MODE, "2 fork_mode parallel" },
	{ "a b c v 64 6 fork_mode parallel start_offline no_auto_resync resync_rate 500",
	  "v", 64, 500, FM_FORK_PARALLEL,
	  FM_FEAT_FORK_MODE | FM_FEAT_START_OFFLINE | FM_FEAT_NO_AUTO_RESYNC |
	  FM_FEAT_RESYNC_RATE,
	  "6 resync_rate 500 no_auto_resync start_offline fork_mode parallel" },
	{ "a b c v 8 3 start_offline no_intent_log no_auto_resync", "v", 8, 0,
	  FM_FORK_SERIAL,
	  FM_FEAT_START_OFFLINE | FM_FEAT_NO_INTENT_LOG | FM_FEAT_NO_AUTO_RESYNC,
	  "3 no_auto_resync no_intent_log start_offline" },
	{ "a b c v 8 5 no_intent_log fork_mode serial resync_rate 7", "v", 8, 7,
	  FM_FORK_SERIAL,
	  FM_FEAT_NO_INTENT_LOG | FM_FEAT_FORK_MODE | FM_FEAT_RESYNC_RATE,
	  "3 resync_rate 7 no_intent_log" },
	{ "a b c v 8 2 intent_window 5000", "v", 8, 0, FM_FORK_SERIAL,
	  FM_FEAT_INTENT_WINDOW, "" },
	{ "a b c v 8 2 intent_window 100", "v", 8, 0, FM_FORK_SERIAL,
	  FM_FEAT_INTENT_WINDOW, "2 intent_window 100" },
	{ "a b c v 8 4 intent_window 600000 fork_mode parallel", "v", 8, 0,
	  FM_FORK_PARALLEL, FM_FEAT_INTENT_WINDOW | FM_FEAT_FORK_MODE,
	  "4 fork_mode parallel intent_window 600000" },
};

static void good_case_desc(const struct good_case *c, char *desc)
{
	strscpy(desc, c->line, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fm_args_good, good_cases, good_case_desc);

static void fm_args_good_line(struct kunit *test)
{
	const struct good_case *c = test->param_value;
	struct line_split *ls = kunit_kzalloc(test, sizeof(*ls), GFP_KERNEL);
	const char *error = NULL;
	struct fm_args args;
	char canon[128];

	KUNIT_ASSERT_NOT_NULL(test, ls);
	split_line(test, c->line, ls);
	KUNIT_ASSERT_EQ_MSG(test, fm_parse_args(ls->argc, ls->argv, &args, &error), 0,
			    "refused: %s", error ? error : "(no message)");
	KUNIT_EXPECT_STREQ(test, args.primary_path, ls->argv[0]);
	KUNIT_EXPECT_STREQ(test, args.backup_path, ls->argv[1]);
	KUNIT_EXPECT_STREQ(test, args.tracker_path, ls->argv[2]);
	KUNIT_EXPECT_STREQ(test, args.volume, c->volume);
	KUNIT_EXPECT_EQ(test, args.region_sectors, c->region_sectors);
	KUNIT_EXPECT_EQ(test, args.resync_rate, c->resync_rate);
	KUNIT_EXPECT_EQ(test, args.fork_mode, c->fork_mode);
	KUNIT_EXPECT_EQ(test, args.features, c->features);
	KUNIT_EXPECT_EQ(test, fm_format_features(&args, canon, sizeof(canon)),
			(int)strlen(c->canonical));
	KUNIT_EXPECT_STREQ(test, canon, c->canonical);
}

/* ---------------------------------------------------------------------- */

struct bad_case {
	const char *line;
	const char *error;
};

#define E_ARGS		"Not enough arguments: need primary backup tracker volume region_sectors"
#define E_NAME		"Invalid volume name: need 1-64 of A-Za-z0-9._- starting alphanumeric"
#define E_SMALL		"Invalid region size: smaller than 8 sectors (4 KiB)"
#define E_LARGE		"Invalid region size: larger than 131072 sectors (64 MiB)"
#define E_POW2		"Invalid region size: not a power of two"
#define E_REGNUM	"Invalid region size: not a decimal number of sectors"
#define E_COUNT		"Invalid feature argument count: not a decimal number"
#define E_EXCEEDS	"Feature argument count exceeds the words after it"
#define E_EXTRA		"Too many arguments: words left after the features"
#define E_UNKNOWN	"Unknown feature argument"
#define E_TWICE		"Feature argument given twice"
#define E_RATE_VAL	"Feature resync_rate needs a value in KiB/s"
#define E_RATE		"Invalid resync_rate: not a 32-bit unsigned number of KiB/s"
#define E_MODE_VAL	"Feature fork_mode needs a value: serial or parallel"
#define E_MODE		"Invalid fork_mode: must be serial or parallel"
#define E_PAR_NIL	"fork_mode parallel cannot be combined with no_intent_log"
#define E_WIN_VAL	"Feature intent_window needs a value in milliseconds"
#define E_WIN		"Invalid intent_window: must be 100 to 600000 milliseconds"
#define E_WIN_NIL	"intent_window cannot be combined with no_intent_log"

static const struct bad_case bad_cases[] = {
	{ "", E_ARGS },
	{ "a", E_ARGS },
	{ "a b c vol", E_ARGS },
	{ "a a c vol 8", "Primary and backup name the same device" },
	{ "a b a vol 8", "Primary and tracker name the same device" },
	{ "a b b vol 8", "Backup and tracker name the same device" },
	{ "a b c -vol 8", E_NAME },
	{ "a b c _vol 8", E_NAME },
	{ "a b c .vol 8", E_NAME },
	{ "a b c vol/x 8", E_NAME },
	{ "a b c vol:x 8", E_NAME },
	{ "a b c v\xc3\xa9 8", E_NAME },
	{ "a b c " NAME65 " 8", E_NAME },
	{ "a b c vol 0", E_SMALL },
	{ "a b c vol 1", E_SMALL },
	{ "a b c vol 4", E_SMALL },
	{ "a b c vol 12", E_POW2 },
	{ "a b c vol 131071", E_POW2 },
	{ "a b c vol 262144", E_LARGE },
	{ "a b c vol 4294967295", E_LARGE },
	{ "a b c vol 4294967304", E_REGNUM },
	{ "a b c vol 99999999999999999999999", E_REGNUM },
	{ "a b c vol -8", E_REGNUM },
	{ "a b c vol +8", E_REGNUM },
	{ "a b c vol 0x10", E_REGNUM },
	{ "a b c vol 8k", E_REGNUM },
	{ "a b c vol 8 x", E_COUNT },
	{ "a b c vol 8 -1 no_auto_resync", E_COUNT },
	{ "a b c vol 8 4294967296", E_COUNT },
	{ "a b c vol 8 1", E_EXCEEDS },
	{ "a b c vol 8 2 no_auto_resync", E_EXCEEDS },
	{ "a b c vol 8 4294967295 no_auto_resync", E_EXCEEDS },
	{ "a b c vol 8 1 no_auto_resync start_offline", E_EXTRA },
	{ "a b c vol 8 0 no_auto_resync", E_EXTRA },
	{ "a b c vol 8 1 bogus", E_UNKNOWN },
	{ "a b c vol 8 1 NO_AUTO_RESYNC", E_UNKNOWN },
	{ "a b c vol 8 2 resync_rate_x 1", E_UNKNOWN },
	{ "a b c vol 8 2 no_auto_resync no_auto_resync", E_TWICE },
	{ "a b c vol 8 4 resync_rate 5 resync_rate 6", E_TWICE },
	{ "a b c vol 8 4 fork_mode serial fork_mode serial", E_TWICE },
	{ "a b c vol 8 1 resync_rate", E_RATE_VAL },
	{ "a b c vol 8 2 resync_rate fast", E_RATE },
	{ "a b c vol 8 2 resync_rate -1", E_RATE },
	{ "a b c vol 8 2 resync_rate 4294967296", E_RATE },
	{ "a b c vol 8 1 fork_mode", E_MODE_VAL },
	{ "a b c vol 8 2 fork_mode Serial", E_MODE },
	{ "a b c vol 8 2 fork_mode async", E_MODE },
	{ "a b c vol 8 3 fork_mode parallel no_intent_log", E_PAR_NIL },
	{ "a b c vol 8 1 intent_window", E_WIN_VAL },
	{ "a b c vol 8 2 intent_window 99", E_WIN },
	{ "a b c vol 8 2 intent_window 600001", E_WIN },
	{ "a b c vol 8 2 intent_window 0", E_WIN },
	{ "a b c vol 8 2 intent_window 5s", E_WIN },
	{ "a b c vol 8 4 intent_window 100 intent_window 200", E_TWICE },
	{ "a b c vol 8 3 no_intent_log intent_window 1000", E_WIN_NIL },
	{ "a b c vol 8 3 no_intent_log fork_mode parallel", E_PAR_NIL },
};

static void bad_case_desc(const struct bad_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "'%s'", c->line);
}

KUNIT_ARRAY_PARAM(fm_args_bad, bad_cases, bad_case_desc);

static void fm_args_bad_line(struct kunit *test)
{
	const struct bad_case *c = test->param_value;
	struct line_split *ls = kunit_kzalloc(test, sizeof(*ls), GFP_KERNEL);
	const char *error = NULL;
	struct fm_args args;

	KUNIT_ASSERT_NOT_NULL(test, ls);
	split_line(test, c->line, ls);
	KUNIT_EXPECT_EQ(test, fm_parse_args(ls->argc, ls->argv, &args, &error), -EINVAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, error);
	KUNIT_EXPECT_STREQ(test, error, c->error);
}

/* ---------------------------------------------------------------------- */

static void fm_args_parse_u32(struct kunit *test)
{
	static const struct {
		const char *word;
		int ret;
		u32 value;
	} cases[] = {
		{ "0", 0, 0 },
		{ "7", 0, 7 },
		{ "007", 0, 7 },
		{ "4294967295", 0, U32_MAX },
		{ "4294967296", -ERANGE, 0 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 },
	};
	unsigned int i;

	KUNIT_EXPECT_EQ(test, fm_parse_u32(NULL, &(u32){0}), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 v = 12345, want = 12345;

		if (!cases[i].ret)
			want = cases[i].value;
		KUNIT_EXPECT_EQ_MSG(test, fm_parse_u32(cases[i].word, &v),
				    cases[i].ret, "'%s'", cases[i].word);
		KUNIT_EXPECT_EQ_MSG(test, v, want, "'%s'", cases[i].word);
	}
}

static void fm_args_volume_names(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, fm_volume_name_valid("a"));
	KUNIT_EXPECT_TRUE(test, fm_volume_name_valid("0"));
	KUNIT_EXPECT_TRUE(test, fm_volume_name_valid("Z.-_9"));
	KUNIT_EXPECT_TRUE(test, fm_volume_name_valid(NAME64));
	KUNIT_EXPECT_FALSE(test, fm_volume_name_valid(""));
	KUNIT_EXPECT_FALSE(test, fm_volume_name_valid(NAME65));
	KUNIT_EXPECT_FALSE(test, fm_volume_name_valid("-a"));
	KUNIT_EXPECT_FALSE(test, fm_volume_name_valid("a b"));
	KUNIT_EXPECT_FALSE(test, fm_volume_name_valid("a\n"));
}

static void fm_args_format_small_buffer(struct kunit *test)
{
	struct fm_args args = {
		.resync_rate = 1000,
		.intent_window_ms = FM_INTENT_WINDOW_DEFAULT_MS,
		.features = FM_FEAT_RESYNC_RATE | FM_FEAT_NO_AUTO_RESYNC,
	};
	char buf[64];

	KUNIT_EXPECT_EQ(test, fm_format_features(&args, buf, sizeof(buf)),
			(int)strlen("3 resync_rate 1000 no_auto_resync"));
	KUNIT_EXPECT_STREQ(test, buf, "3 resync_rate 1000 no_auto_resync");
	KUNIT_EXPECT_EQ(test, fm_format_features(&args, buf, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, fm_format_features(&args, buf, 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, fm_format_features(&args, buf, 10), -ENOSPC);
	KUNIT_EXPECT_EQ(test, fm_format_features(&args, buf, 33), -ENOSPC);
	KUNIT_EXPECT_EQ(test, fm_format_features(&args, buf, 34), 33);
}

static struct kunit_case fm_args_cases[] = {
	KUNIT_CASE_PARAM(fm_args_good_line, fm_args_good_gen_params),
	KUNIT_CASE_PARAM(fm_args_bad_line, fm_args_bad_gen_params),
	KUNIT_CASE(fm_args_parse_u32),
	KUNIT_CASE(fm_args_volume_names),
	KUNIT_CASE(fm_args_format_small_buffer),
	{}
};

static struct kunit_suite fm_args_suite = {
	.name = "fm_args",
	.test_cases = fm_args_cases,
};

kunit_test_suite(fm_args_suite);

MODULE_DESCRIPTION("KUnit tests of the forkmirror table-line parser");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
