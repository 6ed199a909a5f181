/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Region math and the tracker's two-level bitmap. Pure code, built into
 * the tracker module and into userspace (see shim.h).
 *
 * Range math (struct fm_geom): a volume of volume_sectors is cut into
 * regions of region_sectors (a power of two); the last region may be
 * partial.
 *
 * The bitmap keeps one bit per region in leaves of FM_BITS_PER_BLOCK bits,
 * one leaf per on-media bitmap block, plus a count of set bits per leaf and
 * a summary bit per leaf (set while the leaf has a set bit). Finding the
 * next set bit therefore skips clean leaves 64 at a time and costs time in
 * proportion to the dirty leaves, not the volume size. Bits past nbits are
 * always zero.
 *
 * Locking: none inside. fm_bitmap_init() and fm_bitmap_free() may sleep;
 * every other call is O(its range) without sleeping or allocating, and the
 * caller serialises calls that modify a bitmap against every other call
 * on it (the tracker holds its slot's spinlock).
 */
#ifndef FORKMIRROR_BITMAP_H
#define FORKMIRROR_BITMAP_H

#include <forkmirror/shim.h>
#include <uapi/linux/dm-forkmirror.h>

#define FM_WORDS_PER_LEAF	(FM_BLOCK_SIZE / 8)
#define FM_BITMAP_MAX_LEAVES	BIT_ULL(28)

struct fm_geom {
	u64 volume_sectors;
	u64 region_count;
	u32 region_sectors;
	u32 region_shift;
};

int fm_geom_init(struct fm_geom *g, u64 volume_sectors, u32 region_sectors);

/*
 * The regions that the sector range [sector, sector + nr) touches: *first
 * and *count (0 for an empty range). -ERANGE when the range ends past the
 * volume or overflows.
 */
int fm_geom_regions(const struct fm_geom *g, u64 sector, u64 nr,
		    u64 *first, u64 *count);

/* The sectors of region r (the last one possibly short); r < region_count. */
void fm_geom_region_span(const struct fm_geom *g, u64 r, u64 *sector,
			 u64 *nr);

struct fm_bitmap {
	u64 nbits;
	u64 nleaves;
	u64 count;		/* set bits in total */
	u64 **leaves;		/* nleaves leaves of FM_WORDS_PER_LEAF words */
	u32 *leaf_count;	/* set bits per leaf */
	u64 *summary;		/* bit l: leaf_count[l] != 0 */
};

/* -EINVAL for 0 bits, -EFBIG past FM_BITMAP_MAX_LEAVES leaves, -ENOMEM. */
int fm_bitmap_init(struct fm_bitmap *bm, u64 nbits);
void fm_bitmap_free(struct fm_bitmap *bm);

bool fm_bitmap_test(const struct fm_bitmap *bm, u64 bit);
/* True when every bit of [first, first + count) is set (count 0: true). */
bool fm_bitmap_all_set(const struct fm_bitmap *bm, u64 first, u64 count);
/* Set or clear [first, first + count); return how many bits changed. */
u64 fm_bitmap_set(struct fm_bitmap *bm, u64 first, u64 count);
u64 fm_bitmap_clear(struct fm_bitmap *bm, u64 first, u64 count);
/*
 * Clear every bit; costs time in proportion to the leaves holding a set
 * bit (plus one summary word per 64 leaves), not the bitmap's size.
 */
void fm_bitmap_zero(struct fm_bitmap *bm);
/* The first set bit at or after from, or nbits when there is none. */
u64 fm_bitmap_next_set(const struct fm_bitmap *bm, u64 from);
/* The first clear bit at or after from, or nbits when there is none. */
u64 fm_bitmap_next_clear(const struct fm_bitmap *bm, u64 from);
/*
 * The next run of set bits that starts at or after from: true and
 * *start, *len (len at most max_len, which must be > 0), or false.
 */
bool fm_bitmap_next_extent(const struct fm_bitmap *bm, u64 from, u64 max_len,
			   u64 *start, u64 *len);
/*
 * Whether a bit set in bm is clear in both a and b (three bitmaps of the
 * same size; for others, whether bm has a bit set). Costs time in
 * proportion to bm's leaves holding a set bit.
 */
bool fm_bitmap_any_outside(const struct fm_bitmap *bm, const struct fm_bitmap *a,
			   const struct fm_bitmap *b);

/*
 * On-media leaves: bit r % 8 of byte r / 8, FM_BLOCK_SIZE bytes a leaf.
 * fm_bitmap_load_leaf() returns how many bits it found set past nbits
 * (garbage: dropped, the caller logs it).
 */
void fm_bitmap_store_leaf(const struct fm_bitmap *bm, u64 leaf, void *buf);
u64 fm_bitmap_load_leaf(struct fm_bitmap *bm, u64 leaf, const void *buf);

/*
 * Copy src into dst, a freshly initialised bitmap of any size (a volume
 * that grows or shrinks): bits past dst's nbits are dropped and their
 * number returned. Never sleeps.
 */
u64 fm_bitmap_copy(struct fm_bitmap *dst, const struct fm_bitmap *src);

#endif /* FORKMIRROR_BITMAP_H */
