// SPDX-License-Identifier: GPL-2.0-only
/*
 * Table-line parser of the forkmirror target: argv in, struct fm_args out.
 *
 *   <primary> <backup> <tracker> <volume> <region_sectors>
 *   [<#feature_args> <feature_arg>...]
 *
 * Pure functions: no allocation, no locks, no device-mapper calls, callable
 * from any context. Built into the target and, through shim.h, into the
 * forkmirror command, which reads tables back with it.
 */
#include <forkmirror/shim.h>

#include "args.h"

/**
 * fm_parse_u32() - parse a plain unsigned decimal number
 * @word: the text; digits only, no sign, no spaces, no base prefix
 * @value: where the number goes on success
 *
 * Return: 0, or -EINVAL for an empty or non-decimal word, or -ERANGE when
 * the number does not fit in 32 bits.
 */
int fm_parse_u32(const char *word, u32 *value)
{
	u64 v = 0;

	if (!word || !*word)
		return -EINVAL;
	for (; *word; word++) {
		if (*word < '0' || *word > '9')
			return -EINVAL;
		v = v * 10 + (*word - '0');
		if (v > U32_MAX)
			return -ERANGE;
	}
	*value = v;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(fm_parse_u32);

static bool fm_name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

/**
 * fm_volume_name_valid() - check a volume name against the naming rule
 * @name: NUL-terminated candidate
 *
 * Return: true for 1 to FM_VOLUME_NAME_MAX bytes of letters, digits and
 * ``._-`` whose first byte is a letter or digit.
 */
bool fm_volume_name_valid(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++) {
		if (i >= FM_VOLUME_NAME_MAX || !fm_name_char(name[i], i == 0))
			return false;
	}
	return i > 0;
}
EXPORT_SYMBOL_IF_KUNIT(fm_volume_name_valid);

static int fm_parse_region_sectors(const char *word, struct fm_args *args,
				   const char **error)
{
	u32 v;

	if (fm_parse_u32(word, &v)) {
		*error = "Invalid region size: not a decimal number of sectors";
		return -EINVAL;
	}
	if (v < FM_REGION_SECTORS_MIN) {
		*error = "Invalid region size: smaller than 8 sectors (4 KiB)";
		return -EINVAL;
	}
	if (v > FM_REGION_SECTORS_MAX) {
		*error = "Invalid region size: larger than 131072 sectors (64 MiB)";
		return -EINVAL;
	}
	if (!is_power_of_2(v)) {
		*error = "Invalid region size: not a power of two";
		return -EINVAL;
	}
	args->region_sectors = v;
	return 0;
}

/*
 * One feature word, with its value when it takes one. *used is set to the
 * number of words consumed; @left is how many words remain in the group.
 */
static int fm_parse_feature(char **words, unsigned int left,
			    struct fm_args *args, unsigned int *used,
			    const char **error)
{
	const char *name = words[0];
	unsigned int bit;

	*used = 1;
	if (!strcmp(name, "resync_rate")) {
		bit = FM_FEAT_RESYNC_RATE;
	} else if (!strcmp(name, "no_auto_resync")) {
		bit = FM_FEAT_NO_AUTO_RESYNC;
	} else if (!strcmp(name, "no_intent_log")) {
		bit = FM_FEAT_NO_INTENT_LOG;
	} else if (!strcmp(name, "start_offline")) {
		bit = FM_FEAT_START_OFFLINE;
	} else if (!strcmp(name, "fork_mode")) {
		bit = FM_FEAT_FORK_MODE;
	} else if (!strcmp(name, "intent_window")) {
		bit = FM_FEAT_INTENT_WINDOW;
	} else {
		*error = "Unknown feature argument";
		return -EINVAL;
	}

	if (args->features & bit) {
		*error = "Feature argument given twice";
		return -EINVAL;
	}
	args->features |= bit;

	if (bit == FM_FEAT_RESYNC_RATE) {
		if (left < 2) {
			*error = "Feature resync_rate needs a value in KiB/s";
			return -EINVAL;
		}
		if (fm_parse_u32(words[1], &args->resync_rate)) {
			*error = "Invalid resync_rate: not a 32-bit unsigned number of KiB/s";
			return -EINVAL;
		}
		*used = 2;
	} else if (bit == FM_FEAT_FORK_MODE) {
		if (left < 2) {
			*error = "Feature fork_mode needs a value: serial or parallel";
			return -EINVAL;
		}
		if (!strcmp(words[1], "serial")) {
			args->fork_mode = FM_FORK_SERIAL;
		} else if (!strcmp(words[1], "parallel")) {
			args->fork_mode = FM_FORK_PARALLEL;
		} else {
			*error = "Invalid fork_mode: must be serial or parallel";
			return -EINVAL;
		}
		*used = 2;
	} else if (bit == FM_FEAT_INTENT_WINDOW) {
		if (left < 2) {
			*error = "Feature intent_window needs a value in milliseconds";
			return -EINVAL;
		}
		if (fm_parse_u32(words[1], &args->intent_window_ms) ||
		    args->intent_window_ms < FM_INTENT_WINDOW_MIN_MS ||
		    args->intent_window_ms > FM_INTENT_WINDOW_MAX_MS) {
			*error = "Invalid intent_window: must be 100 to 600000 milliseconds";
			return -EINVAL;
		}
		*used = 2;
	}
	return 0;
}

static int fm_parse_features(unsigned int argc, char **argv,
			     struct fm_args *args, const char **error)
{
	unsigned int count, used, i;
	u32 n;

	if (!argc)
		return 0;

	if (fm_parse_u32(argv[0], &n)) {
		*error = "Invalid feature argument count: not a decimal number";
		return -EINVAL;
	}
	count = argc - 1;
	if (n > count) {
		*error = "Feature argument count exceeds the words after it";
		return -EINVAL;
	}
	if (n < count) {
		*error = "Too many arguments: words left after the features";
		return -EINVAL;
	}

	for (i = 1; i < argc; i += used) {
		int r = fm_parse_feature(argv + i, argc - i, args, &used, error);

		if (r)
			return r;
	}

	if (args->fork_mode == FM_FORK_PARALLEL &&
	    fm_args_has(args, FM_FEAT_NO_INTENT_LOG)) {
		*error = "fork_mode parallel cannot be combined with no_intent_log";
		return -EINVAL;
	}
	if (fm_args_has(args, FM_FEAT_INTENT_WINDOW) &&
	    fm_args_has(args, FM_FEAT_NO_INTENT_LOG)) {
		*error = "intent_window cannot be combined with no_intent_log";
		return -EINVAL;
	}
	return 0;
}

/**
 * fm_parse_args() - parse the words of a forkmirror table line
 * @argc: number of words
 * @argv: the words; the device paths in @args point into them
 * @args: filled in on success, zeroed first
 * @error: on failure, a static message saying what was wrong
 *
 * Return: 0 or -EINVAL.
 */
int fm_parse_args(unsigned int argc, char **argv, struct fm_args *args,
		  const char **error)
{
	int r;

	memset(args, 0, sizeof(*args));
	args->intent_window_ms = FM_INTENT_WINDOW_DEFAULT_MS;
	if (argc < FM_POSITIONAL_ARGS) {
		*error = "Not enough arguments: need primary backup tracker volume region_sectors";
		return -EINVAL;
	}

	args->primary_path = argv[0];
	args->backup_path = argv[1];
	args->tracker_path = argv[2];
	if (!strcmp(argv[0], argv[1])) {
		*error = "Primary and backup name the same device";
		return -EINVAL;
	}
	if (!strcmp(argv[0], argv[2])) {
		*error = "Primary and tracker name the same device";
		return -EINVAL;
	}
	if (!strcmp(argv[1], argv[2])) {
		*error = "Backup and tracker name the same device";
		return -EINVAL;
	}

	if (!fm_volume_name_valid(argv[3])) {
		*error = "Invalid volume name: need 1-64 of A-Za-z0-9._- starting alphanumeric";
		return -EINVAL;
	}
	strscpy(args->volume, argv[3], sizeof(args->volume));

	r = fm_parse_region_sectors(argv[4], args, error);
	if (r)
		return r;

	return fm_parse_features(argc - FM_POSITIONAL_ARGS,
				 argv + FM_POSITIONAL_ARGS, args, error);
}
EXPORT_SYMBOL_IF_KUNIT(fm_parse_args);

/**
 * fm_format_features() - print the canonical feature group
 * @args: parsed arguments
 * @buf: output buffer
 * @len: size of @buf
 *
 * Features come in a fixed order with defaults left out, so that loading the
 * output gives the same output. Nothing (an empty string) when every feature
 * has its default value.
 *
 * Return: the length of the text, or -ENOSPC when @buf is too small.
 */
int fm_format_features(const struct fm_args *args, char *buf, size_t len)
{
	const char *words[10];
	unsigned int n = 0, i;
	char rate[16], window[16];
	size_t pos;
	int w;

	if (args->resync_rate) {
		snprintf(rate, sizeof(rate), "%u", args->resync_rate);
		words[n++] = "resync_rate";
		words[n++] = rate;
	}
	if (fm_args_has(args, FM_FEAT_NO_AUTO_RESYNC))
		words[n++] = "no_auto_resync";
	if (fm_args_has(args, FM_FEAT_NO_INTENT_LOG))
		words[n++] = "no_intent_log";
	if (fm_args_has(args, FM_FEAT_START_OFFLINE))
		words[n++] = "start_offline";
	if (args->fork_mode == FM_FORK_PARALLEL) {
		words[n++] = "fork_mode";
		words[n++] = "parallel";
	}
	if (args->intent_window_ms != FM_INTENT_WINDOW_DEFAULT_MS) {
		snprintf(window, sizeof(window), "%u", args->intent_window_ms);
		words[n++] = "intent_window";
		words[n++] = window;
	}

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!n)
		return 0;

	w = snprintf(buf, len, "%u", n);
	if (w < 0 || (size_t)w >= len)
		return -ENOSPC;
	pos = w;
	for (i = 0; i < n; i++) {
		w = snprintf(buf + pos, len - pos, " %s", words[i]);
		if (w < 0 || (size_t)w >= len - pos)
			return -ENOSPC;
		pos += w;
	}
	return pos;
}
EXPORT_SYMBOL_IF_KUNIT(fm_format_features);
