// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite fm_bitmap: region math and the two-level tracker bitmap.
 * Runs in the debug guest under KUnit and on the host (tests/host).
 */
#include <kunit/test.h>
#include <linux/module.h>

#include <forkmirror/bitmap.h>

/* ---------------------------------------------------------------------- */
/* Geometry. */

struct geom_case {
	const char *desc;
	u64 volume_sectors;
	u32 region_sectors;
	int ret;
	u64 region_count;
};

static const struct geom_case geom_cases[] = {
	{ "one sector", 1, 8, 0, 1 },
	{ "one region exactly", 8, 8, 0, 1 },
	{ "partial last region", 17, 8, 0, 3 },
	{ "largest region", 1ULL << 20, FM_REGION_SECTORS_MAX, 0, 8 },
	{ "region over the maximum", 1ULL << 20, FM_REGION_SECTORS_MAX * 2, -EINVAL, 0 },
	{ "region of 4 sectors", 64, 4, -EINVAL, 0 },
	{ "region not a power of two", 64, 24, -EINVAL, 0 },
	{ "region 0", 64, 0, -EINVAL, 0 },
	{ "empty volume", 0, 8, -EINVAL, 0 },
	{ "largest volume", FM_VOLUME_SECTORS_MAX, 8, 0, 1ULL << 47 },
	{ "largest volume, largest regions", FM_VOLUME_SECTORS_MAX,
	  FM_REGION_SECTORS_MAX, 0, 1ULL << 33 },
	{ "volume over the maximum", FM_VOLUME_SECTORS_MAX + 1, 8, -EINVAL, 0 },
};

static void geom_desc(const struct geom_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->desc);
}

KUNIT_ARRAY_PARAM(fm_bitmap_geom, geom_cases, geom_desc);

static void fm_bitmap_geom(struct kunit *test)
{
	const struct geom_case *c = test->param_value;
	struct fm_geom g;

	KUNIT_ASSERT_EQ(test, fm_geom_init(&g, c->volume_sectors, c->region_sectors),
			c->ret);
	if (c->ret)
		return;
	KUNIT_EXPECT_EQ(test, g.region_count, c->region_count);
	KUNIT_EXPECT_EQ(test, 1ULL << g.region_shift, (u64)c->region_sectors);
}

struct range_case {
	const char *desc;
	u64 volume_sectors;
	u32 region_sectors;
	u64 sector, nr;
	int ret;
	u64 first, count;
};

static const struct range_case range_cases[] = {
	{ "empty range at 0", 100, 8, 0, 0, 0, 0, 0 },
	{ "empty range mid-region", 100, 8, 13, 0, 0, 1, 0 },
	{ "empty range at the end", 96, 8, 96, 0, 0, 12, 0 },
	{ "one sector", 100, 8, 0, 1, 0, 0, 1 },
	{ "last sector of a region", 100, 8, 7, 1, 0, 0, 1 },
	{ "first sector of region 1", 100, 8, 8, 1, 0, 1, 1 },
	{ "two sectors across a boundary", 100, 8, 7, 2, 0, 0, 2 },
	{ "exactly one region", 100, 8, 8, 8, 0, 1, 1 },
	{ "unaligned both ends", 100, 8, 3, 18, 0, 0, 3 },
	{ "whole volume", 100, 8, 0, 100, 0, 0, 13 },
	{ "last, partial region", 100, 8, 96, 4, 0, 12, 1 },
	{ "last sector", 100, 8, 99, 1, 0, 12, 1 },
	{ "one sector past the end", 100, 8, 99, 2, -ERANGE, 0, 0 },
	{ "starts past the end", 100, 8, 101, 0, -ERANGE, 0, 0 },
	{ "length wraps", 100, 8, 50, ~0ULL, -ERANGE, 0, 0 },
	{ "start wraps", 100, 8, ~0ULL, 2, -ERANGE, 0, 0 },
	{ "64 MiB regions", 1ULL << 20, 1U << 17, (1U << 17) - 1, 2, 0, 0, 2 },
	{ "largest volume, last sector", FM_VOLUME_SECTORS_MAX, 8,
	  FM_VOLUME_SECTORS_MAX - 1, 1, 0, (1ULL << 47) - 1, 1 },
	{ "largest volume, all of it", FM_VOLUME_SECTORS_MAX, 8, 0,
	  FM_VOLUME_SECTORS_MAX, 0, 0, 1ULL << 47 },
};

static void range_desc(const struct range_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->desc);
}

KUNIT_ARRAY_PARAM(fm_bitmap_range, range_cases, range_desc);

static void fm_bitmap_range(struct kunit *test)
{
	const struct range_case *c = test->param_value;
	struct fm_geom g;
	u64 first = 0, count = 0;

	KUNIT_ASSERT_EQ(test, fm_geom_init(&g, c->volume_sectors, c->region_sectors), 0);
	KUNIT_ASSERT_EQ(test, fm_geom_regions(&g, c->sector, c->nr, &first, &count),
			c->ret);
	if (c->ret)
		return;
	KUNIT_EXPECT_EQ(test, first, c->first);
	KUNIT_EXPECT_EQ(test, count, c->count);
}

static void fm_bitmap_region_span(struct kunit *test)
{
	struct fm_geom g;
	u64 s, n;

	KUNIT_ASSERT_EQ(test, fm_geom_init(&g, 100, 8), 0);
	fm_geom_region_span(&g, 0, &s, &n);
	KUNIT_EXPECT_EQ(test, s, 0ULL);
	KUNIT_EXPECT_EQ(test, n, 8ULL);
	fm_geom_region_span(&g, 11, &s, &n);
	KUNIT_EXPECT_EQ(test, s, 88ULL);
	KUNIT_EXPECT_EQ(test, n, 8ULL);
	fm_geom_region_span(&g, 12, &s, &n);
	KUNIT_EXPECT_EQ(test, s, 96ULL);
	KUNIT_EXPECT_EQ(test, n, 4ULL);
	KUNIT_ASSERT_EQ(test, fm_geom_init(&g, 96, 8), 0);
	fm_geom_region_span(&g, 11, &s, &n);
	KUNIT_EXPECT_EQ(test, n, 8ULL);
}

/* ---------------------------------------------------------------------- */
/* The bitmap. */

static void fm_bitmap_basic(struct kunit *test)
{
	struct fm_bitmap bm;
	u64 s = 0, n = 0;

	KUNIT_EXPECT_EQ(test, fm_bitmap_init(&bm, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_init(&bm, 1ULL << 47), -EFBIG);
	KUNIT_EXPECT_EQ(test, fm_bitmap_init(&bm, FM_BITMAP_MAX_LEAVES *
					     FM_BITS_PER_BLOCK + 1), -EFBIG);
	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&bm, 100), 0);
	KUNIT_EXPECT_EQ(test, bm.nleaves, 1ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 0), 100ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_clear(&bm, 0), 0ULL);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_next_extent(&bm, 0, 10, &s, &n));
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 10, 5), 5ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 12, 5), 2ULL);
	KUNIT_EXPECT_EQ(test, bm.count, 7ULL);
	KUNIT_EXPECT_TRUE(test, fm_bitmap_test(&bm, 10));
	KUNIT_EXPECT_TRUE(test, fm_bitmap_test(&bm, 16));
	KUNIT_EXPECT_FALSE(test, fm_bitmap_test(&bm, 17));
	KUNIT_EXPECT_FALSE(test, fm_bitmap_test(&bm, 9));
	KUNIT_EXPECT_TRUE(test, fm_bitmap_all_set(&bm, 10, 7));
	KUNIT_EXPECT_FALSE(test, fm_bitmap_all_set(&bm, 10, 8));
	KUNIT_EXPECT_TRUE(test, fm_bitmap_all_set(&bm, 99, 0));
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 0), 10ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 16), 16ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 17), 100ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_clear(&bm, 10), 17ULL);
	KUNIT_ASSERT_TRUE(test, fm_bitmap_next_extent(&bm, 0, 100, &s, &n));
	KUNIT_EXPECT_EQ(test, s, 10ULL);
	KUNIT_EXPECT_EQ(test, n, 7ULL);
	KUNIT_ASSERT_TRUE(test, fm_bitmap_next_extent(&bm, 11, 3, &s, &n));
	KUNIT_EXPECT_EQ(test, s, 11ULL);
	KUNIT_EXPECT_EQ(test, n, 3ULL);
	/* Ranges past the end are clamped; bits past nbits never exist. */
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 98, 10), 2ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 100, 1), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 50, ~0ULL), 48ULL);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_test(&bm, 100));
	KUNIT_EXPECT_FALSE(test, fm_bitmap_all_set(&bm, 99, 2));
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_clear(&bm, 50), 100ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_clear(&bm, 0, 100), 57ULL);
	KUNIT_EXPECT_EQ(test, bm.count, 0ULL);
	KUNIT_EXPECT_EQ(test, bm.summary[0], 0ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_clear(&bm, 0, 100), 0ULL);
	fm_bitmap_free(&bm);
}

/* Leaf and word boundaries, with a bitmap of three leaves and a bit. */
static void fm_bitmap_leaf_edges(struct kunit *test)
{
	const u64 L = FM_BITS_PER_BLOCK;
	struct fm_bitmap bm;
	u64 s = 0, n = 0;

	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&bm, 3 * L + 1), 0);
	KUNIT_EXPECT_EQ(test, bm.nleaves, 4ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, L - 1, 2), 2ULL);
	KUNIT_EXPECT_EQ(test, bm.leaf_count[0], 1U);
	KUNIT_EXPECT_EQ(test, bm.leaf_count[1], 1U);
	KUNIT_EXPECT_EQ(test, bm.summary[0], 3ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 0), L - 1);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, L), L);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, L + 1), 3 * L + 1);
	KUNIT_ASSERT_TRUE(test, fm_bitmap_next_extent(&bm, 0, ~0ULL, &s, &n));
	KUNIT_EXPECT_EQ(test, s, L - 1);
	KUNIT_EXPECT_EQ(test, n, 2ULL);
	/* The very last bit, alone in its leaf. */
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 3 * L, 1), 1ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, L + 1), 3 * L);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_clear(&bm, 3 * L), 3 * L + 1);
	/* A whole leaf set: next_clear skips it by its count. */
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, L, L), L - 1);
	KUNIT_EXPECT_EQ(test, bm.leaf_count[1], (u32)L);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_clear(&bm, L - 1), 2 * L);
	KUNIT_EXPECT_TRUE(test, fm_bitmap_all_set(&bm, L - 1, L + 1));
	KUNIT_EXPECT_EQ(test, bm.count, L + 2);
	/* Clearing the first leaf's bit drops its summary bit only. */
	KUNIT_EXPECT_EQ(test, fm_bitmap_clear(&bm, 0, L), 1ULL);
	KUNIT_EXPECT_EQ(test, bm.summary[0], 0xaULL);
	/* Word boundary inside a leaf. */
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 63, 2), 2ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 0), 63ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_clear(&bm, 63), 65ULL);
	fm_bitmap_free(&bm);
}

/* The on-media byte layout: bit r % 8 of byte r / 8. */
static void fm_bitmap_media(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	struct fm_bitmap bm;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&bm, FM_BITS_PER_BLOCK + 70), 0);
	fm_bitmap_set(&bm, 0, 1);
	fm_bitmap_set(&bm, 9, 1);
	fm_bitmap_set(&bm, 63, 2);
	fm_bitmap_store_leaf(&bm, 0, buf);
	KUNIT_EXPECT_EQ(test, buf[0], 0x01);
	KUNIT_EXPECT_EQ(test, buf[1], 0x02);
	KUNIT_EXPECT_EQ(test, buf[7], 0x80);
	KUNIT_EXPECT_EQ(test, buf[8], 0x01);
	KUNIT_EXPECT_EQ(test, buf[2], 0x00);

	/* Loading the second leaf: bits past nbits are garbage, dropped. */
	memset(buf, 0, FM_BLOCK_SIZE);
	buf[0] = 0x81;		/* bits 0 and 7 of the leaf */
	buf[8] = 0x20;		/* bit 69: the last one */
	buf[8] |= 0x40;		/* bit 70: past the end */
	buf[100] = 0xff;	/* past the end */
	KUNIT_EXPECT_EQ(test, fm_bitmap_load_leaf(&bm, 1, buf), 9ULL);
	KUNIT_EXPECT_EQ(test, bm.leaf_count[1], 3U);
	KUNIT_EXPECT_EQ(test, bm.count, 7ULL);
	KUNIT_EXPECT_TRUE(test, fm_bitmap_test(&bm, FM_BITS_PER_BLOCK + 69));
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 65), (u64)FM_BITS_PER_BLOCK);
	/* Reloading a leaf replaces it and keeps the counts right. */
	memset(buf, 0, FM_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, fm_bitmap_load_leaf(&bm, 1, buf), 0ULL);
	KUNIT_EXPECT_EQ(test, bm.count, 4ULL);
	KUNIT_EXPECT_EQ(test, bm.summary[0], 1ULL);
	fm_bitmap_free(&bm);
}

/* Copying into a bitmap of another size: a volume growing or shrinking. */
struct copy_case {
	const char *desc;
	u64 src_bits;
	u64 dst_bits;
	u64 dropped;
};

/* Bits set in every source (all its leaves' ends, and its last bit). */
static const u64 copy_marks[] = {
	0, 1, 63, 64, FM_BITS_PER_BLOCK - 1, FM_BITS_PER_BLOCK,
	2 * FM_BITS_PER_BLOCK + 5,
};

static const struct copy_case copy_cases[] = {
	{ "same size", 2 * FM_BITS_PER_BLOCK + 6, 2 * FM_BITS_PER_BLOCK + 6, 0 },
	{ "grow within the last leaf", 2 * FM_BITS_PER_BLOCK + 6,
	  2 * FM_BITS_PER_BLOCK + 100, 0 },
	{ "grow by many leaves", 2 * FM_BITS_PER_BLOCK + 6,
	  40 * FM_BITS_PER_BLOCK + 1, 0 },
	{ "shrink to a leaf boundary", 2 * FM_BITS_PER_BLOCK + 6,
	  2 * FM_BITS_PER_BLOCK, 1 },
	{ "shrink inside a leaf", 2 * FM_BITS_PER_BLOCK + 6, 64, 4 },
	{ "shrink to one bit", 2 * FM_BITS_PER_BLOCK + 6, 1, 6 },
};

static void copy_desc(const struct copy_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->desc);
}

KUNIT_ARRAY_PARAM(fm_bitmap_resize, copy_cases, copy_desc);

static void fm_bitmap_resize(struct kunit *test)
{
	const struct copy_case *c = test->param_value;
	struct fm_bitmap src, dst;
	u64 i, kept = 0, bit;

	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&src, c->src_bits), 0);
	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&dst, c->dst_bits), 0);
	for (i = 0; i < ARRAY_SIZE(copy_marks); i++) {
		fm_bitmap_set(&src, copy_marks[i], 1);
		kept += copy_marks[i] < c->dst_bits;
	}
	KUNIT_EXPECT_EQ(test, fm_bitmap_copy(&dst, &src), c->dropped);
	KUNIT_EXPECT_EQ(test, dst.count, kept);
	for (i = 0; i < ARRAY_SIZE(copy_marks); i++)
		if (copy_marks[i] < c->dst_bits)
			KUNIT_EXPECT_TRUE(test, fm_bitmap_test(&dst, copy_marks[i]));
	/* Nothing else is set, and the summary finds exactly the kept bits. */
	for (i = 0, bit = fm_bitmap_next_set(&dst, 0); bit < dst.nbits;
	     bit = fm_bitmap_next_set(&dst, bit + 1))
		i++;
	KUNIT_EXPECT_EQ(test, i, kept);
	/* The source is unchanged. */
	KUNIT_EXPECT_EQ(test, src.count, (u64)ARRAY_SIZE(copy_marks));
	fm_bitmap_free(&src);
	fm_bitmap_free(&dst);
}

/* A tiny deterministic PRNG, the same in both worlds. */
static u64 xorshift(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random operations against a naive byte-per-bit model. */
static void fm_bitmap_model(struct kunit *test)
{
	const u64 nbits = FM_BITS_PER_BLOCK + 333;
	u8 *model = kunit_kzalloc(test, nbits, GFP_KERNEL);
	struct fm_bitmap bm;
	u64 seed = 0x9e3779b97f4a7c15ULL, count = 0, i;
	unsigned int op, mismatches = 0;

	KUNIT_ASSERT_NOT_NULL(test, model);
	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&bm, nbits), 0);
	for (op = 0; op < 1000 && !mismatches; op++) {
		u64 first = xorshift(&seed) % (nbits + 10);
		u64 len = xorshift(&seed) % (op % 10 ? 100 : 40000);
		bool set = xorshift(&seed) & 1, all;
		u64 changed = 0, want, got, s = 0, n = 0;

		for (i = first; i < first + len && i < nbits; i++) {
			changed += model[i] != set;
			model[i] = set;
		}
		count = set ? count + changed : count - changed;
		got = set ? fm_bitmap_set(&bm, first, len) :
			    fm_bitmap_clear(&bm, first, len);
		if (got != changed || bm.count != count)
			mismatches++;

		first = xorshift(&seed) % (nbits + 1);
		for (want = first; want < nbits && !model[want]; want++)
			;
		if (fm_bitmap_next_set(&bm, first) != want)
			mismatches++;
		if (want < nbits) {
			for (i = want; i < nbits && model[i]; i++)
				;
			if (!fm_bitmap_next_extent(&bm, first, ~0ULL, &s, &n) ||
			    s != want || n != i - want)
				mismatches++;
		}
		for (want = first; want < nbits && model[want]; want++)
			;
		if (fm_bitmap_next_clear(&bm, first) != want)
			mismatches++;
		/* Ranges that end at, before and past the first clear bit. */
		if (first < nbits) {
			len = xorshift(&seed) % (op % 10 ? 200 : 2 * FM_BITS_PER_BLOCK);
			len = op % 3 ? len : want - first;
			all = len <= nbits - first && first + len <= want;
			if (fm_bitmap_all_set(&bm, first, len) != all)
				mismatches++;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, mismatches, 0U, "after %u operations", op);
	for (i = 0; i < nbits; i++)
		if (fm_bitmap_test(&bm, i) != model[i])
			mismatches++;
	KUNIT_EXPECT_EQ(test, mismatches, 0U);
	fm_bitmap_free(&bm);
}

/* Finding the next dirty region of a large, mostly clean bitmap. */
static void fm_bitmap_sparse(struct kunit *test)
{
	/* 2^24 regions (64 GiB in 4 KiB regions): 512 leaves. */
	const u64 nbits = 1ULL << 24;
	struct fm_bitmap bm;
	u64 s = 0, n = 0;

	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&bm, nbits), 0);
	KUNIT_EXPECT_EQ(test, bm.nleaves, 512ULL);
	fm_bitmap_set(&bm, 5, 1);
	fm_bitmap_set(&bm, nbits - 1, 1);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 6), nbits - 1);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, nbits - 1), nbits - 1);
	KUNIT_ASSERT_TRUE(test, fm_bitmap_next_extent(&bm, 6, 8, &s, &n));
	KUNIT_EXPECT_EQ(test, s, nbits - 1);
	KUNIT_EXPECT_EQ(test, n, 1ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 0, nbits), nbits - 2);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_clear(&bm, 0), nbits);
	KUNIT_ASSERT_TRUE(test, fm_bitmap_next_extent(&bm, 0, ~0ULL, &s, &n));
	KUNIT_EXPECT_EQ(test, n, nbits);
	fm_bitmap_free(&bm);
}

/* Zeroing touches only the leaves with set bits and leaves all clean. */
static void fm_bitmap_zeroing(struct kunit *test)
{
	const u64 L = FM_BITS_PER_BLOCK;
	struct fm_bitmap bm;

	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&bm, 130 * L + 3), 0);
	fm_bitmap_zero(&bm);
	KUNIT_EXPECT_EQ(test, bm.count, 0ULL);
	fm_bitmap_set(&bm, 0, 1);
	fm_bitmap_set(&bm, 64 * L - 1, 2);
	fm_bitmap_set(&bm, 130 * L, 3);
	KUNIT_EXPECT_EQ(test, bm.count, 6ULL);
	fm_bitmap_zero(&bm);
	KUNIT_EXPECT_EQ(test, bm.count, 0ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 0), bm.nbits);
	KUNIT_EXPECT_EQ(test, bm.leaf_count[0], 0U);
	KUNIT_EXPECT_EQ(test, bm.leaf_count[63], 0U);
	KUNIT_EXPECT_EQ(test, bm.leaf_count[130], 0U);
	KUNIT_EXPECT_EQ(test, bm.summary[0] | bm.summary[1] | bm.summary[2], 0ULL);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_test(&bm, 64 * L));
	KUNIT_EXPECT_FALSE(test, fm_bitmap_test(&bm, 130 * L + 2));
	/* Usable again afterwards. */
	KUNIT_EXPECT_EQ(test, fm_bitmap_set(&bm, 5, 10), 10ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_next_set(&bm, 0), 5ULL);
	fm_bitmap_free(&bm);
}

/* A bit of bm outside a and b is found in any leaf, and only then. */
static void fm_bitmap_outside(struct kunit *test)
{
	const u64 L = FM_BITS_PER_BLOCK, nbits = 3 * L + 7;
	struct fm_bitmap bm, a, b, other;

	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&bm, nbits), 0);
	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&a, nbits), 0);
	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&b, nbits), 0);
	KUNIT_ASSERT_EQ(test, fm_bitmap_init(&other, nbits + 1), 0);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_any_outside(&bm, &a, &b));
	/* Bits of a and b alone are not in bm: nothing to find. */
	fm_bitmap_set(&a, 0, L);
	fm_bitmap_set(&b, 2 * L, 10);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_any_outside(&bm, &a, &b));
	/* Covered by a, by b, then by both. */
	fm_bitmap_set(&bm, 5, 1);
	fm_bitmap_set(&bm, 2 * L + 9, 1);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_any_outside(&bm, &a, &b));
	fm_bitmap_set(&a, 2 * L + 9, 1);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_any_outside(&bm, &a, &b));
	/* The last bit of the last leaf, past every bit of a and b. */
	fm_bitmap_set(&bm, nbits - 1, 1);
	KUNIT_EXPECT_TRUE(test, fm_bitmap_any_outside(&bm, &a, &b));
	fm_bitmap_set(&b, nbits - 1, 1);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_any_outside(&bm, &a, &b));
	/* One bit a leaf on: the first leaf's bit leaves a. */
	fm_bitmap_clear(&a, 5, 1);
	KUNIT_EXPECT_TRUE(test, fm_bitmap_any_outside(&bm, &a, &b));
	fm_bitmap_set(&b, 5, 1);
	KUNIT_EXPECT_FALSE(test, fm_bitmap_any_outside(&bm, &a, &b));
	/* Sizes that differ: any set bit of bm answers true. */
	KUNIT_EXPECT_FALSE(test, fm_bitmap_any_outside(&other, &a, &b));
	fm_bitmap_set(&other, L + 1, 1);
	KUNIT_EXPECT_TRUE(test, fm_bitmap_any_outside(&other, &a, &b));
	fm_bitmap_free(&other);
	fm_bitmap_free(&b);
	fm_bitmap_free(&a);
	fm_bitmap_free(&bm);
}

static struct kunit_case fm_bitmap_cases[] = {
	KUNIT_CASE(fm_bitmap_outside),
	KUNIT_CASE(fm_bitmap_zeroing),
	KUNIT_CASE_PARAM(fm_bitmap_geom, fm_bitmap_geom_gen_params),
	KUNIT_CASE_PARAM(fm_bitmap_range, fm_bitmap_range_gen_params),
	KUNIT_CASE(fm_bitmap_region_span),
	KUNIT_CASE(fm_bitmap_basic),
	KUNIT_CASE(fm_bitmap_leaf_edges),
	KUNIT_CASE(fm_bitmap_media),
	KUNIT_CASE_PARAM(fm_bitmap_resize, fm_bitmap_resize_gen_params),
	KUNIT_CASE(fm_bitmap_model),
	KUNIT_CASE(fm_bitmap_sparse),
	{}
};

static struct kunit_suite fm_bitmap_suite = {
	.name = "fm_bitmap",
	.test_cases = fm_bitmap_cases,
};

kunit_test_suite(fm_bitmap_suite);

MODULE_DESCRIPTION("KUnit tests of the forkmirror region math and bitmap");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(FORKMIRROR);
