/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Table-line parser of the forkmirror target.
 *
 * This file has no device-mapper or bio dependency: it turns the words of a
 * table line into a struct fm_args and says precisely what was wrong when it
 * cannot. Device paths are only copied out here; resolving them into block
 * devices is the constructor's job. KUnit tests this parser directly.
 */
#ifndef DM_FORKMIRROR_ARGS_H
#define DM_FORKMIRROR_ARGS_H

#include <forkmirror/shim.h>
#include <uapi/linux/dm-forkmirror.h>

/* Limits shared with the tracker and userspace (the UAPI header). */
#define FM_VOLUME_NAME_MAX	FM_NAME_MAX

/* Number of positional arguments before the optional feature group. */
#define FM_POSITIONAL_ARGS	5

enum fm_fork_mode {
	FM_FORK_SERIAL = 0,	/* default: backup write completes, then primary */
	FM_FORK_PARALLEL,	/* both at once, covered by an intent mark */
};

/* Bits of fm_args.features: which features the table line named. */
enum fm_feature_bits {
	FM_FEAT_RESYNC_RATE	= BIT(0),
	FM_FEAT_NO_AUTO_RESYNC	= BIT(1),
	FM_FEAT_NO_INTENT_LOG	= BIT(2),
	FM_FEAT_START_OFFLINE	= BIT(3),
	FM_FEAT_FORK_MODE	= BIT(4),
	FM_FEAT_INTENT_WINDOW	= BIT(5),
};

/*
 * Write-intent window: how long, at most, a region stays marked after its
 * last write completed (intent.c), in milliseconds.
 */
#define FM_INTENT_WINDOW_DEFAULT_MS	5000U
#define FM_INTENT_WINDOW_MIN_MS		100U
#define FM_INTENT_WINDOW_MAX_MS		600000U

/**
 * struct fm_args - a parsed table line
 * @primary_path: first positional word, as given (points into argv)
 * @backup_path: second positional word, as given (points into argv)
 * @tracker_path: third positional word, as given (points into argv)
 * @volume: the volume's stable name in the tracker store, NUL terminated
 * @region_sectors: region size in 512-byte sectors, a power of two
 * @resync_rate: resync rate limit in KiB/s, 0 for unlimited
 * @fork_mode: serial or parallel forked writes
 * @intent_window_ms: the write-intent window (FM_INTENT_WINDOW_DEFAULT_MS
 *	unless the line names intent_window)
 * @features: FM_FEAT_* bits of the features the line named
 */
struct fm_args {
	const char *primary_path;
	const char *backup_path;
	const char *tracker_path;
	char volume[FM_VOLUME_NAME_MAX + 1];
	u32 region_sectors;
	u32 resync_rate;
	enum fm_fork_mode fork_mode;
	u32 intent_window_ms;
	unsigned int features;
};

int fm_parse_u32(const char *word, u32 *value);
bool fm_volume_name_valid(const char *name);
int fm_parse_args(unsigned int argc, char **argv, struct fm_args *args,
		  const char **error);
int fm_format_features(const struct fm_args *args, char *buf, size_t len);

static inline bool fm_args_has(const struct fm_args *args, unsigned int feat)
{
	return args->features & feat;
}

#endif /* DM_FORKMIRROR_ARGS_H */
