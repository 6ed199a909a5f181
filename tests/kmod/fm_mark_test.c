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
 *
 * /sys/kernel/debug/fm_mark_test/cmd takes one command per write, on
 * volumes this module keeps attached (owner: this module):
 *
 *	attach MAJ:MIN NAME REGION_SECTORS VOLUME_SECTORS
 *	attach_many MAJ:MIN PREFIX N REGION_SECTORS VOLUME_SECTORS
 *	mark NAME FIRST COUNT
 *	clear NAME FIRST COUNT
 *	flush NAME
 *	flags NAME SET CLEAR		(fm_tracker_set_flags)
 *	offline NAME UNIX_SECONDS	(fm_tracker_set_offline_since)
 *	count NAME COUNTER DELTA	(fm_tracker_count)
 *	detach NAME
 *	detach_all
 *
 * attach_many attaches PREFIX0 .. PREFIX<N-1>.
 */
#define pr_fmt(fmt) "fm_mark_test: " fmt

#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include <forkmirror/tracker.h>

static struct dentry *dir;
static const char owner[] = "fm_mark_test";

struct held {
	struct list_head node;
	struct fm_tracker_volume *vol;
	char name[65];
};

/* Volumes held by cmd; guarded by held_lock. */
static LIST_HEAD(held_list);
static DEFINE_MUTEX(held_lock);

static struct held *held_find(const char *name)
{
	struct held *h;

	list_for_each_entry(h, &held_list, node)
		if (!strcmp(h->name, name))
			return h;
	return NULL;
}

static int held_attach(dev_t dev, const char *name, u32 rs, u64 vs)
{
	struct fm_attach_request req = {
		.store_dev = dev, .name = name, .owner = owner,
		.owner_name = owner, .region_sectors = rs, .volume_sectors = vs,
	};
	const char *error = NULL;
	struct held *h;

	if (held_find(name))
		return -EEXIST;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->vol = fm_tracker_attach(&req, &error);
	if (IS_ERR(h->vol)) {
		int ret = PTR_ERR(h->vol);

		pr_warn("attach %s: %s\n", name, error);
		kfree(h);
		return ret;
	}
	strscpy(h->name, name, sizeof(h->name));
	list_add_tail(&h->node, &held_list);
	return 0;
}

static void held_detach(struct held *h)
{
	list_del(&h->node);
	fm_tracker_detach(h->vol);
	kfree(h);
}

static int run_cmd(char *buf)
{
	unsigned int maj, min, rs, n, i;
	unsigned long long vs, first, count;
	char verb[16], name[65], one[80];
	struct held *h, *tmp;
	int ret = 0;

	if (sscanf(buf, "%15s", verb) != 1)
		return -EINVAL;
	if (!strcmp(verb, "attach")) {
		if (sscanf(buf, "%*s %u:%u %64s %u %llu", &maj, &min, name, &rs, &vs) != 5)
			return -EINVAL;
		return held_attach(MKDEV(maj, min), name, rs, vs);
	}
	if (!strcmp(verb, "attach_many")) {
		if (sscanf(buf, "%*s %u:%u %40s %u %u %llu", &maj, &min, name, &n, &rs,
			   &vs) != 6)
			return -EINVAL;
		for (i = 0; i < n && !ret; i++) {
			snprintf(one, sizeof(one), "%s%u", name, i);
			ret = held_attach(MKDEV(maj, min), one, rs, vs);
			cond_resched();
		}
		return ret;
	}
	if (!strcmp(verb, "detach_all")) {
		list_for_each_entry_safe(h, tmp, &held_list, node) {
			held_detach(h);
			cond_resched();
		}
		return 0;
	}
	if (sscanf(buf, "%*s %64s", name) != 1)
		return -EINVAL;
	h = held_find(name);
	if (!h)
		return -ENOENT;
	if (!strcmp(verb, "detach")) {
		held_detach(h);
		return 0;
	}
	if (!strcmp(verb, "flush"))
		return fm_tracker_flush(h->vol);
	if (!strcmp(verb, "offline")) {
		if (sscanf(buf, "%*s %*s %llu", &first) != 1)
			return -EINVAL;
		return fm_tracker_set_offline_since(h->vol, first);
	}
	if (sscanf(buf, "%*s %*s %llu %llu", &first, &count) != 2)
		return -EINVAL;
	if (!strcmp(verb, "flags"))
		return fm_tracker_set_flags(h->vol, first, count);
	if (!strcmp(verb, "count")) {
		fm_tracker_count(h->vol, first, count);
		return 0;
	}
	if (!strcmp(verb, "mark"))
		return fm_tracker_mark(h->vol, first, count);
	if (!strcmp(verb, "clear")) {
		fm_tracker_clear(h->vol, first, count);
		return 0;
	}
	return -EINVAL;
}

static ssize_t cmd_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char *buf;
	int ret;

	if (len > 255)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&held_lock);
	ret = run_cmd(buf);
	mutex_unlock(&held_lock);
	if (ret)
		pr_warn("%s: %d\n", strim(buf), ret);
	kfree(buf);
	return ret ? ret : len;
}

static const struct file_operations cmd_fops = {
	.owner = THIS_MODULE,
	.write = cmd_write,
};

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
	debugfs_create_file("cmd", 0200, dir, NULL, &cmd_fops);
	return 0;
}

static void __exit fm_mark_test_exit(void)
{
	struct held *h, *tmp;

	debugfs_remove_recursive(dir);
	mutex_lock(&held_lock);
	list_for_each_entry_safe(h, tmp, &held_list, node)
		held_detach(h);
	mutex_unlock(&held_lock);
}

module_init(fm_mark_test_init);
module_exit(fm_mark_test_exit);

MODULE_DESCRIPTION("forkmirror test module: mark regions through the tracker API");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(FORKMIRROR);
