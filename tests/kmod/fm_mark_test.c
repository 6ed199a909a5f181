// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only module: lets guest cases mark regions through the tracker's
 * API before the target's write path does. Writing
 *
 *	MAJ:MIN NAME REGION_SECTORS VOLUME_SECTORS FIRST COUNT
 *
 * to /sys/kernel/debug/fm_mark_test/mark attaches volume NAME of the store
 * on MAJ:MIN, marks COUNT regions from FIRST durably, and detaches. An
 * error is returned to the writer and logged.
 */
#define pr_fmt(fmt) "fm_mark_test: " fmt

#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/uaccess.h>
#include <linux/slab.h>

#include <forkmirror/tracker.h>

static struct dentry *dir;
static const char owner[] = "fm_mark_test";

static ssize_t mark_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	struct fm_attach_request req = { .owner = owner, .owner_name = owner };
	struct fm_tracker_volume *vol;
	unsigned int maj, min, rs;
	unsigned long long vs, first, count;
	const char *error = NULL;
	char name[65], *buf;
	int ret;

	if (len > 255)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = sscanf(buf, "%u:%u %64s %u %llu %llu %llu", &maj, &min, name, &rs,
		     &vs, &first, &count);
	kfree(buf);
	if (ret != 7) {
		pr_warn("expected MAJ:MIN NAME REGION_SECTORS VOLUME_SECTORS FIRST COUNT\n");
		return -EINVAL;
	}
	req.store_dev = MKDEV(maj, min);
	req.name = name;
	req.region_sectors = rs;
	req.volume_sectors = vs;
	vol = fm_tracker_attach(&req, &error);
	if (IS_ERR(vol)) {
		pr_warn("attach %s: %s\n", name, error);
		return PTR_ERR(vol);
	}
	ret = fm_tracker_mark(vol, first, count);
	if (ret)
		pr_warn("mark %s %llu+%llu: %d\n", name, first, count, ret);
	fm_tracker_detach(vol);
	return ret ? ret : len;
}

static const struct file_operations mark_fops = {
	.owner = THIS_MODULE,
	.write = mark_write,
};

static int __init fm_mark_test_init(void)
{
	dir = debugfs_create_dir("fm_mark_test", NULL);
	debugfs_create_file("mark", 0200, dir, NULL, &mark_fops);
	return 0;
}

static void __exit fm_mark_test_exit(void)
{
	debugfs_remove_recursive(dir);
}

module_init(fm_mark_test_init);
module_exit(fm_mark_test_exit);

MODULE_DESCRIPTION("forkmirror test module: mark regions through the tracker API");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(FORKMIRROR);
