// SPDX-License-Identifier: GPL-2.0-only
/*
 * forkmirror lvm-filter [--config]: the lvm.conf filter that lets LVM
 * stack on forkmirror devices.
 *
 * A PV on a forkmirror device puts its label on the primary and on the
 * backup too, and so on every device stacked over either of them (a
 * dm-linear over the backup, say): LVM sees duplicates and refuses them.
 * The filter accepts the forkmirror devices, then rejects every such
 * device by a stable name; a device of neither kind is left to LVM's other
 * settings (no catch-all reject, so the host's other PVs keep working).
 *
 * The devices to reject: the primaries and backups, the devices below
 * them (their sysfs slaves, recursively), and the devices stacked over
 * any of those (holders, recursively) but the forkmirror devices
 * themselves and what is above them.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "forkmirror.h"
#include "dm.h"

#define MAX_DEVS 1024

struct devset {
	char dev[MAX_DEVS][16];		/* "maj:min" */
	size_t n;
};

static bool in_set(const struct devset *s, const char *dev)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->dev[i], dev))
			return true;
	return false;
}

static int add(struct devset *s, const char *dev)
{
	if (in_set(s, dev))
		return 0;
	if (s->n == MAX_DEVS)
		return -E2BIG;
	snprintf(s->dev[s->n++], sizeof(s->dev[0]), "%s", dev);
	return 1;
}

/* "maj:min" of the kernel block device named @kname (sysfs `dev`). */
static int dev_of_kname(const char *kname, char *dev, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/sys/class/block/%s/dev", kname);
	f = fopen(path, "r");
	if (!f)
		return r;
	if (fgets(dev, len, f)) {
		dev[strcspn(dev, "\n")] = '\0';
		r = 0;
	}
	fclose(f);
	return r;
}

/* dm device @dev ("maj:min") shows its lower device's bytes as they are? */
static bool identity(const char *dev)
{
	unsigned int ma, mi;

	return sscanf(dev, "%u:%u", &ma, &mi) == 2 && fm_dm_identity(ma, mi) == 1;
}

/*
 * Add to @s the devices of /sys/dev/block/@dev/@rel (slaves or holders)
 * that @want accepts, not those of @stop. Returns how many were new, or
 * -E2BIG.
 */
static int add_links(struct devset *s, const char *dev, const char *rel,
		     const struct devset *stop, bool (*want)(const char *dev, const char *via))
{
	char path[PATH_MAX], d[16];
	struct dirent *e;
	DIR *dir;
	int r = 0, n = 0;

	snprintf(path, sizeof(path), "/sys/dev/block/%s/%s", dev, rel);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || dev_of_kname(e->d_name, d, sizeof(d)))
			continue;
		if ((stop && in_set(stop, d)) || !want(d, dev))
			continue;
		r = add(s, d);
		if (r < 0)
			break;
		n += r;
	}
	closedir(dir);
	return r < 0 ? r : n;
}

/* Down: through a device that maps its lower one as it is. */
static bool down_ok(const char *lower, const char *via)
{
	(void)lower;
	return identity(via);
}

/* Up: to a device that maps this one as it is. */
static bool up_ok(const char *upper, const char *via)
{
	(void)via;
	return identity(upper);
}

/* The kernel's partitions of @dev: entries of its sysfs dir with a partition file. */
static int add_partitions(struct devset *s, const char *dev)
{
	char path[PATH_MAX], d[16];
	struct dirent *e;
	struct stat st;
	DIR *dir;
	int r = 0;

	snprintf(path, sizeof(path), "/sys/dev/block/%s", dev);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((e = readdir(dir)) && r >= 0) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/dev/block/%s/%s/partition", dev, e->d_name);
		if (stat(path, &st) || dev_of_kname(e->d_name, d, sizeof(d)))
			continue;
		r = add(s, d);
	}
	closedir(dir);
	return r < 0 ? r : 0;
}

/*
 * Every device showing a leg's PV label, from the legs in @s: below a leg,
 * the devices an identity mapping (dm-linear at offset 0, multipath) shows
 * as they are, through such mappings only (never into the PV of another
 * VG a leg may be an LV of); above, the identity mappings of them but the
 * forkmirror devices in @stop; the kernel's partitions of all of them (a
 * partition table on the forkmirror device shows on its legs too).
 */
static int closure(struct devset *s, const struct devset *stop)
{
	size_t i;
	int r;

	for (i = 0; i < s->n; i++) {	/* s->n grows as devices are found */
		r = add_links(s, s->dev[i], "slaves", stop, down_ok);
		if (r >= 0)
			r = add_links(s, s->dev[i], "holders", stop, up_ok);
		if (r < 0)
			return r;
	}
	for (i = 0, r = 0; i < s->n && r >= 0; i++)
		r = add_partitions(s, s->dev[i]);
	return r;
}

/*
 * A name as an anchored LVM regex inside an lvm.conf string: a regex
 * metacharacter gets a backslash, which the string itself then doubles
 * (lvm.conf reads \\ as one backslash and \" as a quote).
 */
static void print_pattern(char kind, const char *name, bool *first)
{
	/* Patterns printed: a name the config and a device both give, once. */
	static char seen[512][264];
	static unsigned int nseen;
	const char *p;
	unsigned int i;

	for (i = 0; i < nseen; i++)
		if (seen[i][0] == kind && !strcmp(seen[i] + 1, name))
			return;
	if (nseen < ARRAY_SIZE(seen) && strlen(name) < sizeof(seen[0]) - 1) {
		seen[nseen][0] = kind;
		strcpy(seen[nseen++] + 1, name);
	}
	printf("%s\"%c|^", *first ? "" : ", ", kind);
	for (p = name; *p; p++) {
		if (strchr(".[]()*+?^$\\|{}", *p))
			fputs("\\\\", stdout);
		if (*p == '"' || *p == '\\')
			putchar('\\');
		putchar(*p);
	}
	printf("$|\"");
	*first = false;
}

/*
 * A stable name of device @dev as a pattern of @kind: /dev/mapper/NAME of a
 * dm device; otherwise its /dev/disk/by-id names, and only when it has
 * none its kernel name (which may change at the next boot: *@unstable).
 * One name is enough: LVM accepts a device when any of its names matches
 * an accept pattern first, and rejects it when the names that match a
 * pattern all match a reject pattern first; names matching no pattern do
 * not count. So no name that may belong to another device tomorrow
 * (/dev/dm-N, /dev/block/M:N, sdX when a stable name exists) is used.
 */
static void print_names(char kind, const char *dev, bool *first, bool *unstable)
{
	char path[PATH_MAX], link[PATH_MAX], name[256];
	unsigned int ma, mi, found = 0;
	struct dirent *e;
	struct stat st;
	ssize_t n;
	FILE *f;
	DIR *dir;

	if (sscanf(dev, "%u:%u", &ma, &mi) != 2)
		return;
	snprintf(path, sizeof(path), "/sys/dev/block/%s/dm/name", dev);
	f = fopen(path, "r");
	if (f) {
		if (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = '\0';
			snprintf(path, sizeof(path), "/dev/mapper/%s", name);
			print_pattern(kind, path, first);
			found++;
		}
		fclose(f);
		if (found)
			return;
	}
	dir = opendir("/dev/disk/by-id");
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/dev/disk/by-id/%s", e->d_name);
		if (!stat(path, &st) && S_ISBLK(st.st_mode) && major(st.st_rdev) == ma &&
		    minor(st.st_rdev) == mi) {
			print_pattern(kind, path, first);
			found++;
		}
	}
	if (dir)
		closedir(dir);
	if (found)
		return;
	snprintf(path, sizeof(path), "/sys/dev/block/%s", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		snprintf(path, sizeof(path), "/dev/%s", strrchr(link, '/') + 1);
		print_pattern(kind, path, first);
		*unstable = true;
	}
}

/* "maj:min" of the block device at @path, or -1. */
static int dev_of_path(const char *path, char *dev, size_t len)
{
	struct stat st;

	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return -1;
	snprintf(dev, len, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

static int run(int argc, char **argv)
{
	static struct devset fm, comp;
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "config", no_argument, NULL, 'c' },
		{ "volumes", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	bool one_line = false, first = true, unstable = false;
	const char *volumes = NULL;
	struct fm_conf_dev *conf = NULL;
	unsigned int nconf = 0, k;
	char **names = NULL, d[16];
	size_t n = 0, i;
	int code = FM_EXIT_OK, r, o;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'h')
			return fm_help(&fm_cmd_lvm_filter);
		if (o == 'c')
			one_line = true;
		else if (o == 'v')
			volumes = optarg;
		else
			return fm_usage_err(&fm_cmd_lvm_filter, "unknown option or missing value: %s",
					    argv[optind - 1]);
	}
	if (optind != argc)
		return fm_usage_err(&fm_cmd_lvm_filter, "takes no operands");
	if (volumes) {
		r = fm_conf_load(volumes, &conf, &nconf);
		if (r)
			return r;
	}
	r = fm_dm_names(&names, &n);
	if (r) {
		free(conf);
		return FM_EXIT_FAIL;
	}
	fm.n = comp.n = 0;
	for (i = 0; i < n && !code; i++) {
		char legs[16][32];
		size_t nl, j;
		uint32_t ma, mi;

		r = fm_dm_legs(names[i], legs, 16, &nl, &ma, &mi);
		if (r == -ENOENT || r == -ENODEV)	/* not ours, or just removed */
			continue;
		if (r) {
			fm_err("%s: cannot read its table: %s", names[i], strerror(-r));
			code = FM_EXIT_FAIL;
			break;
		}
		snprintf(d, sizeof(d), "%u:%u", ma, mi);
		if (add(&fm, d) < 0)
			code = FM_EXIT_FAIL;
		for (j = 0; j < nl && !code; j++)
			if (add(&comp, legs[j]) < 0)
				code = FM_EXIT_FAIL;
	}
	fm_dm_free_names(names, n);
	/* The config's devices: the legs that exist now join the walk. */
	for (k = 0; k < nconf && !code; k++) {
		if ((!dev_of_path(conf[k].primary, d, sizeof(d)) && add(&comp, d) < 0) ||
		    (!dev_of_path(conf[k].backup, d, sizeof(d)) && add(&comp, d) < 0) ||
		    (conf[k].leg[0] && !dev_of_path(conf[k].leg, d, sizeof(d)) &&
		     add(&comp, d) < 0))
			code = FM_EXIT_FAIL;
	}
	/*
	 * A forkmirror device that is a leg of another shows that one's
	 * label: a leg, never accepted.
	 */
	for (i = 0; i < fm.n; ) {
		if (in_set(&comp, fm.dev[i]))
			memmove(fm.dev[i], fm.dev[--fm.n], sizeof(fm.dev[0]));
		else
			i++;
	}
	if (code || closure(&comp, &fm)) {
		fm_err(code ? "cannot list the forkmirror devices' legs" : "too many devices to filter");
		free(conf);
		return FM_EXIT_FAIL;
	}
	if (!one_line) {
		printf("# lvm.conf filter for this host's forkmirror devices (forkmirror lvm-filter):\n"
		       "# accept them, reject every name of their primaries, backups and the\n"
		       "# devices stacked with those, which show the same PV labels.\n"
		       "devices {\n\tglobal_filter = [ ");
	} else {
		printf("devices { global_filter = [ ");
	}
	for (i = 0; i < fm.n; i++)
		print_names('a', fm.dev[i], &first, &unstable);
	/* Configured devices not assembled yet: their names as they will be. */
	for (k = 0; k < nconf; k++) {
		char path[160];

		snprintf(path, sizeof(path), "/dev/mapper/%s", conf[k].name);
		if (dev_of_path(path, d, sizeof(d)) || !in_set(&fm, d))
			print_pattern('a', path, &first);
	}
	for (i = 0; i < comp.n; i++)
		print_names('r', comp.dev[i], &first, &unstable);
	/* The configured legs by the names the config gives, present or not. */
	for (k = 0; k < nconf; k++) {
		print_pattern('r', conf[k].primary, &first);
		print_pattern('r', conf[k].backup, &first);
		if (conf[k].leg[0])
			print_pattern('r', conf[k].leg, &first);
	}
	free(conf);
	if (first)
		printf("\"a|.*|\"");
	printf(one_line ? " ] }\n" : " ]\n}\n");
	if (unstable)
		fm_err("warning: a device without a /dev/disk/by-id name is rejected by its kernel "
		       "name, which may name another device after a reboot: run lvm-filter again "
		       "then");
	return FM_EXIT_OK;
}

const struct fm_cmd fm_cmd_lvm_filter = {
	.name = "lvm-filter",
	.synopsis = "lvm-filter [--config] [--volumes FILE]",
	.help =
	"Print the lvm.conf devices { global_filter } that lets LVM use PVs on\n"
	"forkmirror devices: it accepts every forkmirror device and rejects\n"
	"every name of their primaries and backups and of the devices stacked\n"
	"with them, which carry the same PV labels. Other devices are left to\n"
	"LVM. Run it again after creating or removing forkmirror devices.\n\n"
	"  --config         one line, for lvm --config\n"
	"  --volumes FILE   also the devices of the assemble config FILE\n"
	"                   (/etc/forkmirror/volumes.conf), by the names they\n"
	"                   will have and the legs as FILE names them: the\n"
	"                   filter for lvm.conf before they are assembled at boot\n"
	"  --help           this text\n",
	.run = run,
};
