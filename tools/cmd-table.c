// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror table / create: a correct table line from named arguments,
 * printed or loaded. The line is checked by the target's own parser
 * (dm-forkmirror/args.c), so it is refused here for exactly the reasons
 * the kernel would refuse it, with the same words.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <limits.h>
#include <linux/fs.h>

#include <libdevmapper.h>

#include "forkmirror.h"
#include "dm.h"

#define DEFAULT_REGION_SECTORS "2048"
#define MAX_WORDS 24

/* Size in sectors and device number of block device @path. */
static int blockdev(const char *path, uint64_t *sectors, dev_t *rdev)
{
	struct stat st;
	uint64_t bytes;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fm_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode)) {
		fm_err("%s is not a block device", path);
		r = -1;
	} else if (ioctl(fd, BLKGETSIZE64, &bytes)) {
		fm_err("cannot read the size of %s: %s", path, strerror(errno));
		r = -1;
	} else {
		*sectors = bytes >> 9;
		*rdev = st.st_rdev;
	}
	close(fd);
	return r;
}

/* @dev's whole disk when it is a partition, else @dev itself. */
static dev_t whole_disk(dev_t dev)
{
	char path[PATH_MAX + 16], real[PATH_MAX], buf[32];
	unsigned int ma, mi;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", major(dev), minor(dev));
	if (stat(path, &st))
		return dev;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	if (!realpath(path, real))
		return dev;
	snprintf(path, sizeof(path), "%s/../dev", real);
	f = fopen(path, "r");
	if (!f)
		return dev;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%u:%u", &ma, &mi) != 2) {
		fclose(f);
		return dev;
	}
	fclose(f);
	return makedev(ma, mi);
}

/* Whether @lower is @dev or below it (its sysfs slaves, recursively). */
static bool stacked_on(dev_t dev, dev_t lower, unsigned int depth)
{
	char path[PATH_MAX], buf[32];
	unsigned int ma, mi;
	struct dirent *e;
	bool found = false;
	DIR *dir;
	FILE *f;

	if (dev == lower)
		return true;
	if (depth > 16)
		return false;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/slaves", major(dev), minor(dev));
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/dev", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &ma, &mi) == 2)
			found = stacked_on(makedev(ma, mi), lower, depth + 1);
		fclose(f);
	}
	closedir(dir);
	return found;
}

/*
 * Whether @a and @b share bytes: the same device, a partition and its
 * disk, or one stacked on the other (a dm or md device over it).
 */
static bool related(dev_t a, dev_t b)
{
	return a == b || whole_disk(a) == b || whole_disk(b) == a ||
	       stacked_on(a, b, 0) || stacked_on(b, a, 0);
}

int fm_table_build(const struct fm_cmd *c, int argc, char **argv,
		   const char **name, struct fm_args *a, struct fm_leg *leg,
		   bool check_devices, char *line, size_t len, bool *help_done)
{
	enum { O_PRIMARY = 256, O_BACKUP, O_TRACKER, O_VOLUME, O_REGION,
	       O_RATE, O_NO_AUTO, O_NO_INTENT, O_START_OFFLINE, O_FORK_MODE,
	       O_WINDOW, O_LEG };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "primary", required_argument, NULL, O_PRIMARY },
		{ "backup", required_argument, NULL, O_BACKUP },
		{ "tracker", required_argument, NULL, O_TRACKER },
		{ "volume", required_argument, NULL, O_VOLUME },
		{ "region-sectors", required_argument, NULL, O_REGION },
		{ "resync-rate", required_argument, NULL, O_RATE },
		{ "no-auto-resync", no_argument, NULL, O_NO_AUTO },
		{ "no-intent-log", no_argument, NULL, O_NO_INTENT },
		{ "start-offline", no_argument, NULL, O_START_OFFLINE },
		{ "fork-mode", required_argument, NULL, O_FORK_MODE },
		{ "intent-window", required_argument, NULL, O_WINDOW },
		{ "backup-leg", required_argument, NULL, O_LEG },
		{ NULL, 0, NULL, 0 },
	};
	char *pos[4] = { NULL }, *region = NULL, *legname = NULL, *feat[MAX_WORDS], *words[MAX_WORDS + 8];
	unsigned int nfeat = 0, nwords = 0, npos = 0, i;
	char count[16];
	const char *why;
	uint64_t psize, bsize, tsize;
	dev_t pdev, bdev, tdev;
	int o;

	*help_done = false;
	optind = 0;	/* glibc: start over, this may be the n-th call */
	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (nfeat + 2 > MAX_WORDS)
			return fm_usage_err(c, "too many features");
		switch (o) {
		case 'h':
			*help_done = true;
			return fm_help(c);
		case O_PRIMARY: case O_BACKUP: case O_TRACKER: case O_VOLUME:
			if (pos[o - O_PRIMARY])
				return fm_usage_err(c, "--%s given twice",
						    opts[1 + o - O_PRIMARY].name);
			pos[o - O_PRIMARY] = optarg;
			break;
		case O_REGION:
			if (region)
				return fm_usage_err(c, "--region-sectors given twice");
			region = optarg;
			break;
		case O_RATE:
			feat[nfeat++] = "resync_rate";
			feat[nfeat++] = optarg;
			break;
		case O_NO_AUTO:
			feat[nfeat++] = "no_auto_resync";
			break;
		case O_NO_INTENT:
			feat[nfeat++] = "no_intent_log";
			break;
		case O_START_OFFLINE:
			feat[nfeat++] = "start_offline";
			break;
		case O_FORK_MODE:
			feat[nfeat++] = "fork_mode";
			feat[nfeat++] = optarg;
			break;
		case O_WINDOW:
			feat[nfeat++] = "intent_window";
			feat[nfeat++] = optarg;
			break;
		case O_LEG:
			if (!leg)
				return fm_usage_err(c, "--backup-leg creates a device: use forkmirror create");
			if (legname)
				return fm_usage_err(c, "--backup-leg given twice");
			legname = optarg;
			break;
		default:
			return fm_usage_err(c, "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	/* The positional form: PRIMARY BACKUP TRACKER VOLUME [REGION [FEATURE...]]. */
	i = optind;
	if (name) {
		if (i >= (unsigned int)argc)
			return fm_usage_err(c, "no device name given");
		*name = argv[i++];
	}
	for (; i < (unsigned int)argc; i++) {
		while (npos < 4 && pos[npos])
			npos++;
		if (npos < 4) {
			pos[npos++] = argv[i];
		} else if (npos == 4 && !region) {
			region = argv[i];
			npos++;
		} else if (npos >= 4 && nfeat < MAX_WORDS) {
			feat[nfeat++] = argv[i];
		} else {
			return fm_usage_err(c, "too many arguments: %s", argv[i]);
		}
	}
	for (i = 0; i < 4; i++)
		if (!pos[i])
			return fm_usage_err(c, "no %s given", (const char *[]){
				"--primary", "--backup", "--tracker", "--volume" }[i]);
	for (i = 0; i < 4; i++)
		words[nwords++] = pos[i];
	words[nwords++] = region ? region : DEFAULT_REGION_SECTORS;
	if (nfeat) {
		snprintf(count, sizeof(count), "%u", nfeat);
		words[nwords++] = count;
		for (i = 0; i < nfeat; i++)
			words[nwords++] = feat[i];
	}
	if (fm_parse_args(nwords, words, a, &why)) {
		fm_err("%s", why);
		return FM_EXIT_USAGE;
	}
	if (leg) {
		leg->name = legname;
		leg->lower = a->backup_path;
		leg->sectors = 0;
		leg->path[0] = '\0';
	}
	if (legname) {
		if (!fm_dm_name_ok(legname))
			return fm_usage_err(c, "bad backup leg name '%s': 1 to 127 bytes, no '/'",
					    legname);
		if (name && !strcmp(legname, *name))
			return fm_usage_err(c, "the backup leg needs a name of its own, not %s",
					    legname);
		if (!strncmp(a->backup_path, "/dev/mapper/", 12) &&
		    !strcmp(a->backup_path + 12, legname))
			return fm_usage_err(c, "the backup leg %s cannot be the backup itself",
					    legname);
		snprintf(leg->path, sizeof(leg->path), "/dev/mapper/%s", legname);
	}
	if (!check_devices)
		return FM_EXIT_OK;
	if (blockdev(a->primary_path, &psize, &pdev) ||
	    blockdev(a->backup_path, &bsize, &bdev) ||
	    blockdev(a->tracker_path, &tsize, &tdev))
		return FM_EXIT_FAIL;
	if (related(pdev, bdev) || related(pdev, tdev) || related(bdev, tdev)) {
		fm_err("primary, backup and tracker must be three different devices, none a partition of another or stacked on another (%s %s %s)",
		       a->primary_path, a->backup_path, a->tracker_path);
		return FM_EXIT_USAGE;
	}
	if (!psize) {
		fm_err("the primary %s is empty", a->primary_path);
		return FM_EXIT_FAIL;
	}
	if (bsize < psize) {
		fm_err("the backup %s (%" PRIu64 " sectors) is smaller than the primary %s (%" PRIu64 ")",
		       a->backup_path, bsize, a->primary_path, psize);
		return FM_EXIT_FAIL;
	}
	if (legname) {
		leg->sectors = bsize;
		a->backup_path = leg->path;	/* the volume's backup is the leg */
	}
	if (fm_format_table(psize, a, line, len) < 0) {
		fm_err("table line too long");
		return FM_EXIT_FAIL;
	}
	return FM_EXIT_OK;
}

/*
 * leg_check() - fm_leg_check() for the backup @l->lower, once opened: its
 * size @sectors and device number @dev.
 */
static int leg_check(const struct fm_leg *l, uint64_t sectors, dev_t dev, bool *there)
{
	struct fm_dm_linear lin;
	int r;

	*there = false;
	r = fm_dm_linear_of(l->name, &lin);
	if (r == -ENODEV)
		return FM_EXIT_OK;
	if (r == -EINVAL) {
		fm_err("a dm device %s is there, and it is not a linear over %s", l->name,
		       l->lower);
		return FM_EXIT_FAIL;
	}
	if (r) {
		fm_err("cannot read the table of dm device %s: %s", l->name, strerror(-r));
		return FM_EXIT_FAIL;
	}
	if (makedev(lin.major, lin.minor) != dev || lin.sectors != sectors) {
		fm_err("the backup leg %s is there, but maps %u:%u (%" PRIu64
		       " sectors), not all of %s (%u:%u, %" PRIu64 " sectors)",
		       l->name, lin.major, lin.minor, lin.sectors, l->lower, major(dev),
		       minor(dev), sectors);
		return FM_EXIT_FAIL;
	}
	if (lin.open_count) {
		fm_err("the backup leg %s is there and open (%d): another volume's backup?",
		       l->name, lin.open_count);
		return FM_EXIT_FAIL;
	}
	if (lin.read_only) {
		fm_err("the backup leg %s is there and read-only", l->name);
		return FM_EXIT_FAIL;
	}
	*there = true;
	return FM_EXIT_OK;
}

int fm_leg_check(const struct fm_leg *l, bool *there)
{
	uint64_t sectors;
	dev_t dev;

	*there = false;
	if (blockdev(l->lower, &sectors, &dev))
		return FM_EXIT_FAIL;
	return leg_check(l, sectors, dev, there);
}

int fm_leg_up(const struct fm_leg *l, bool *created)
{
	char line[256];
	uint64_t sectors;
	bool there;
	dev_t dev;
	int r;

	*created = false;
	if (blockdev(l->lower, &sectors, &dev))
		return FM_EXIT_FAIL;
	r = leg_check(l, sectors, dev, &there);
	if (r || there)
		return r;
	snprintf(line, sizeof(line), "0 %" PRIu64 " linear %u:%u 0", sectors,
		 major(dev), minor(dev));
	/*
	 * udev runs no disk or other rules for the leg: it shows the
	 * volume's PV label, and LVM's rules must not activate a VG on it.
	 */
	r = fm_dm_create_flags(l->name, line, DM_UDEV_DISABLE_DISK_RULES_FLAG |
			       DM_UDEV_DISABLE_OTHER_RULES_FLAG);
	if (r) {
		fm_err("cannot create the backup leg %s (%s): %s", l->name, strerror(-r), line);
		return FM_EXIT_FAIL;
	}
	*created = true;
	return FM_EXIT_OK;
}

static int run_table(int argc, char **argv)
{
	char line[1024];
	struct fm_args a;
	bool help;
	int r = fm_table_build(&fm_cmd_table, argc, argv, NULL, &a, NULL, true, line,
			       sizeof(line), &help);

	if (!r && !help)
		printf("%s\n", line);
	return r;
}

static int run_create(int argc, char **argv)
{
	char line[1024];
	const char *name = NULL;
	struct fm_leg leg;
	struct fm_args a;
	bool help, leg_made = false;
	int r;

	r = fm_table_build(&fm_cmd_create, argc, argv, &name, &a, &leg, true, line,
			   sizeof(line), &help);
	if (r || help)
		return r;
	if (!fm_dm_name_ok(name))
		return fm_usage_err(&fm_cmd_create, "bad device name '%s': 1 to 127 bytes, no '/'",
				    name);
	if (fm_dm_exists(name)) {
		fm_err("%s: a dm device of that name exists", name);
		return FM_EXIT_FAIL;
	}
	if (leg.name) {
		r = fm_leg_up(&leg, &leg_made);
		if (r)
			return r;
	}
	r = fm_dm_create(name, line);
	if (r) {
		if ((r == -EEXIST || r == -EBUSY) && fm_dm_exists(name))
			fm_err("%s: a dm device of that name exists", name);
		else
			fm_err("%s: the kernel refused the table (%s; its log says why): %s",
			       name, strerror(-r), line);
		goto remove_leg;
	}
	if (leg_made)
		printf("created %s: 0 %" PRIu64 " linear %s 0\n", leg.name, leg.sectors,
		       leg.lower);
	else if (leg.name)
		printf("using %s (there already): 0 %" PRIu64 " linear %s 0\n", leg.name,
		       leg.sectors, leg.lower);
	printf("created %s: %s\n", name, line);
	return FM_EXIT_OK;

remove_leg:
	if (leg_made && fm_dm_remove(leg.name))
		fm_err("cannot remove the backup leg %s made for it: dmsetup remove %s",
		       leg.name, leg.name);
	return FM_EXIT_FAIL;
}

#define TABLE_OPTIONS \
	"  --primary DEV          the primary (also the first operand)\n" \
	"  --backup DEV           the backup (also the second)\n" \
	"  --tracker DEV          the tracker store's device (also the third)\n" \
	"  --volume NAME          the volume's name in the store (also the fourth)\n" \
	"  --region-sectors N     region size, a power of two from 8 to 131072\n" \
	"                         (default 2048, 1 MiB; also the fifth operand)\n" \
	"  --resync-rate KIB      resync rate limit in KiB/s (0: unlimited)\n" \
	"  --no-auto-resync       no resync without a resync request\n" \
	"  --no-intent-log        no write-intent marks (a crash then needs a\n" \
	"                         full resync)\n" \
	"  --start-offline        start with the backup offline (tracking)\n" \
	"  --fork-mode MODE       serial (default) or parallel\n" \
	"  --intent-window MS     how long a mark stays after a write (100 to\n" \
	"                         600000, default 5000)\n" \
	"  --help                 this text\n" \
	"Further operands after the region size are feature words, as in a\n" \
	"table line. The line is sized to the primary; the backup must be at\n" \
	"least as large.\n"

const struct fm_cmd fm_cmd_table = {
	.name = "table",
	.synopsis = "table [OPTION...] PRIMARY BACKUP TRACKER VOLUME [REGION_SECTORS [FEATURE...]]",
	.help = "Print a checked table line for `dmsetup create`.\n\n" TABLE_OPTIONS,
	.run = run_table,
};

const struct fm_cmd fm_cmd_create = {
	.name = "create",
	.synopsis = "create NAME [OPTION...] PRIMARY BACKUP TRACKER VOLUME [REGION_SECTORS [FEATURE...]]",
	.help = "Create and resume dm device NAME with a checked table line, as\n"
		"`forkmirror table` prints it.\n\n"
		"  --backup-leg LEG       first create dm-linear device LEG over all of\n"
		"                         the backup (or use it, if there already) and\n"
		"                         make it the volume's backup, so the device\n"
		"                         under it can be swapped (an NBD reconnect)\n"
		TABLE_OPTIONS,
	.run = run_create,
};
