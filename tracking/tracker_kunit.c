// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite fm_tracker: the tracker's API on a real store device.
 *
 * The device is whatever block device the path /dev/fm-kunit-store names
 * (the guest case links it to a blank virtio disk; a module parameter
 * would not do: 6.1 runs a module's suites before it parses parameters);
 * without it every case is skipped. Marks are made
 * from several kthreads at once, then checked in memory and, after a
 * detach and a fresh attach, on the device. Runs only in the debug guest,
 * under KASAN and lockdep.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/blkdev.h>
#include <linux/slab.h>

#include <forkmirror/tracker.h>

#define KT_STORE_PATH	"/dev/fm-kunit-store"

/* Two bitmap leaves: regions 0..32767 and 32768..39999. */
#define KT_REGIONS	40000ULL
#define KT_SECTORS	(KT_REGIONS * 8)
#define KT_THREADS	4
#define KT_MARKS	300

static const char kt_owner[] = "fm_tracker_kunit";

static dev_t kt_dev(struct kunit *test)
{
	dev_t dev;

	if (lookup_bdev(KT_STORE_PATH, &dev))
		kunit_skip(test, "no block device at " KT_STORE_PATH);
	return dev;
}

static struct fm_tracker_volume *kt_attach(struct kunit *test, const char *name,
					   const void *owner, u32 rs, u64 vs,
					   const char **error)
{
	struct fm_attach_request req = {
		.store_dev = kt_dev(test), .name = name, .owner = owner,
		.owner_name = kt_owner, .region_sectors = rs, .volume_sectors = vs,
	};

	*error = NULL;
	return fm_tracker_attach(&req, error);
}

/* Refusals: each says why and leaves nothing attached. */
static void fm_tracker_refusals(struct kunit *test)
{
	struct fm_tracker_volume *vol, *bad;
	const char *error;

	vol = kt_attach(test, "kt-refuse", kt_owner, 8, KT_SECTORS, &error);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(vol), "attach: %s", error);

	bad = kt_attach(test, "kt-refuse", &error, 8, KT_SECTORS, &error);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(bad), -EBUSY);
	KUNIT_EXPECT_STREQ(test, error, "Volume name is attached by another dm device");
	bad = kt_attach(test, "kt-refuse", kt_owner, 16, KT_SECTORS, &error);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(bad), -EINVAL);
	bad = kt_attach(test, "kt-refuse", kt_owner, 8, KT_SECTORS - 8, &error);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(bad), -EINVAL);
	bad = kt_attach(test, "bad/name", kt_owner, 8, KT_SECTORS, &error);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(bad), -EINVAL);
	KUNIT_EXPECT_STREQ(test, error, "Invalid volume name for the tracker");

	KUNIT_EXPECT_EQ(test, fm_tracker_mark(vol, KT_REGIONS, 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, fm_tracker_mark(vol, KT_REGIONS - 1, 2), -ERANGE);
	KUNIT_EXPECT_EQ(test, fm_tracker_mark(vol, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, fm_tracker_dirty_regions(vol), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_tracker_total_regions(vol), KT_REGIONS);
	fm_tracker_detach(vol);
}

struct kt_marker {
	struct fm_tracker_volume *vol;
	unsigned int id;
	int ret;
	struct completion done;
};

/* Region marked by thread id in its i-th mark: overlapping on purpose. */
static u64 kt_region(unsigned int id, unsigned int i)
{
	return ((u64)i * 131 + (u64)id * 7) % KT_REGIONS;
}

/* How many regions that mark covers: 1 to 3, never past the end. */
static u64 kt_count(unsigned int id, unsigned int i)
{
	return min_t(u64, 1 + i % 3, KT_REGIONS - kt_region(id, i));
}

static int kt_mark_fn(void *data)
{
	struct kt_marker *m = data;
	unsigned int i;

	for (i = 0; i < KT_MARKS && !m->ret; i++)
		m->ret = fm_tracker_mark(m->vol, kt_region(m->id, i),
					 kt_count(m->id, i));
	kthread_complete_and_exit(&m->done, 0);
}

/* Run KT_THREADS markers on vol; optionally run fn meanwhile. */
static void kt_mark_all(struct kunit *test, struct fm_tracker_volume *vol,
			void (*fn)(struct kunit *test, void *arg), void *arg)
{
	struct kt_marker *m;
	unsigned int t;

	m = kunit_kcalloc(test, KT_THREADS, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	for (t = 0; t < KT_THREADS; t++) {
		struct task_struct *task;

		m[t].vol = vol;
		m[t].id = t;
		init_completion(&m[t].done);
		task = kthread_run(kt_mark_fn, &m[t], "fm_kt_mark/%u", t);
		if (IS_ERR(task)) {
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
			break;
		}
	}
	/* No assertion until every started thread is done with m and vol. */
	if (fn && t == KT_THREADS)
		fn(test, arg);
	while (t--) {
		wait_for_completion(&m[t].done);
		KUNIT_EXPECT_EQ(test, m[t].ret, 0);
	}
}

/* Every region the markers marked is set, and nothing else. */
static void kt_check(struct kunit *test, struct fm_tracker_volume *vol)
{
	unsigned long *want;
	unsigned int t, i, k;
	u64 r, n = 0;

	want = kunit_kzalloc(test, BITS_TO_LONGS(KT_REGIONS) * sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	for (t = 0; t < KT_THREADS; t++)
		for (i = 0; i < KT_MARKS; i++)
			for (k = 0; k < kt_count(t, i); k++)
				__set_bit(kt_region(t, i) + k, want);
	for (r = fm_tracker_next_dirty(vol, 0); r < KT_REGIONS;
	     r = fm_tracker_next_dirty(vol, r + 1)) {
		KUNIT_EXPECT_TRUE_MSG(test, test_bit(r, want), "region %llu", r);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, (u64)bitmap_weight(want, KT_REGIONS));
	KUNIT_EXPECT_EQ(test, fm_tracker_dirty_regions(vol), n);
}

/* Concurrent marks are durable: read back after a fresh attach. */
static void fm_tracker_concurrent_marks(struct kunit *test)
{
	struct fm_tracker_volume *vol;
	const char *error;

	vol = kt_attach(test, "kt-marks", kt_owner, 8, KT_SECTORS, &error);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(vol), "attach: %s", error);
	kt_mark_all(test, vol, NULL, NULL);
	kt_check(test, vol);
	/* Marking marked regions again changes nothing. */
	KUNIT_EXPECT_EQ(test, fm_tracker_mark(vol, kt_region(0, 0), 1), 0);
	fm_tracker_detach(vol);

	vol = kt_attach(test, "kt-marks", kt_owner, 8, KT_SECTORS, &error);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(vol), "reattach: %s", error);
	kt_check(test, vol);

	/* Clears reach the store with a flush. */
	fm_tracker_clear(vol, 0, KT_REGIONS);
	KUNIT_EXPECT_EQ(test, fm_tracker_dirty_regions(vol), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_tracker_flush(vol), 0);
	fm_tracker_detach(vol);
	vol = kt_attach(test, "kt-marks", kt_owner, 8, KT_SECTORS, &error);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(vol), "reattach: %s", error);
	KUNIT_EXPECT_EQ(test, fm_tracker_dirty_regions(vol), 0ULL);
	fm_tracker_detach(vol);
}

/*
 * Grow the volume (moving its bitmap) while the markers run. Expectations
 * only: an assertion would abort the test under the running markers.
 */
static void kt_grow(struct kunit *test, void *arg)
{
	struct fm_tracker_volume *vol = arg, *again;
	const char *error;

	/* A second table of the same owner, four times larger. */
	again = kt_attach(test, "kt-grow", kt_owner, 8, 4 * KT_SECTORS, &error);
	if (IS_ERR(again)) {
		KUNIT_FAIL(test, "grow: %s", error);
		return;
	}
	KUNIT_EXPECT_PTR_EQ(test, again, vol);
	KUNIT_EXPECT_EQ(test, fm_tracker_total_regions(vol), 4 * KT_REGIONS);
	fm_tracker_detach(again);
}

static void fm_tracker_grow_under_marks(struct kunit *test)
{
	struct fm_tracker_volume *vol;
	const char *error;

	/* Start small so that growing moves the bitmap to a new extent. */
	vol = kt_attach(test, "kt-grow", kt_owner, 8, KT_SECTORS, &error);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(vol), "attach: %s", error);
	kt_mark_all(test, vol, kt_grow, vol);
	kt_check(test, vol);
	KUNIT_EXPECT_EQ(test, fm_tracker_mark(vol, 4 * KT_REGIONS - 1, 1), 0);
	fm_tracker_detach(vol);

	/* The grown slot, read back: every mark, the new last region too. */
	vol = kt_attach(test, "kt-grow", kt_owner, 8, 4 * KT_SECTORS, &error);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(vol), "reattach: %s", error);
	KUNIT_EXPECT_TRUE(test, fm_tracker_test(vol, 4 * KT_REGIONS - 1));
	fm_tracker_clear(vol, 4 * KT_REGIONS - 1, 1);
	kt_check(test, vol);
	fm_tracker_detach(vol);

	/* Shrinking back is refused while a region past the end is marked. */
	vol = kt_attach(test, "kt-grow", kt_owner, 8, 4 * KT_SECTORS, &error);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(vol), "reattach: %s", error);
	KUNIT_EXPECT_EQ(test, fm_tracker_mark(vol, 2 * KT_REGIONS, 1), 0);
	fm_tracker_detach(vol);
	vol = kt_attach(test, "kt-grow", kt_owner, 8, KT_SECTORS, &error);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(vol), -EBUSY);
	KUNIT_EXPECT_STREQ(test, error,
			   "Cannot shrink the volume: regions past the new end are dirty");
}

static struct kunit_case fm_tracker_cases[] = {
	KUNIT_CASE(fm_tracker_refusals),
	KUNIT_CASE(fm_tracker_concurrent_marks),
	KUNIT_CASE(fm_tracker_grow_under_marks),
	{}
};

static struct kunit_suite fm_tracker_suite = {
	.name = "fm_tracker",
	.test_cases = fm_tracker_cases,
};

kunit_test_suite(fm_tracker_suite);

MODULE_DESCRIPTION("KUnit tests of the forkmirror tracker API on a real store");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(FORKMIRROR);
