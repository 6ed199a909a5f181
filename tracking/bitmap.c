// SPDX-License-Identifier: GPL-2.0-only
/*
 * Region math and the two-level tracker bitmap; see
 * include/forkmirror/bitmap.h for the rules and the locking.
 */
#include <forkmirror/bitmap.h>

int fm_geom_init(struct fm_geom *g, u64 volume_sectors, u32 region_sectors)
{
	if (region_sectors < FM_REGION_SECTORS_MIN ||
	    region_sectors > FM_REGION_SECTORS_MAX ||
	    !is_power_of_2(region_sectors))
		return -EINVAL;
	if (!volume_sectors || volume_sectors > FM_VOLUME_SECTORS_MAX)
		return -EINVAL;
	g->volume_sectors = volume_sectors;
	g->region_sectors = region_sectors;
	g->region_shift = fm_ctz64(region_sectors);
	g->region_count = DIV_ROUND_UP(volume_sectors, (u64)region_sectors);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(fm_geom_init, FORKMIRROR);

int fm_geom_regions(const struct fm_geom *g, u64 sector, u64 nr,
		    u64 *first, u64 *count)
{
	u64 end;

	if (sector > g->volume_sectors || nr > g->volume_sectors - sector)
		return -ERANGE;
	*first = sector >> g->region_shift;
	if (!nr) {
		*count = 0;
		return 0;
	}
	end = sector + nr - 1;
	*count = (end >> g->region_shift) - *first + 1;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(fm_geom_regions, FORKMIRROR);

void fm_geom_region_span(const struct fm_geom *g, u64 r, u64 *sector, u64 *nr)
{
	*sector = r << g->region_shift;
	*nr = min((u64)g->region_sectors, g->volume_sectors - *sector);
}
EXPORT_SYMBOL_NS_GPL(fm_geom_region_span, FORKMIRROR);

int fm_bitmap_init(struct fm_bitmap *bm, u64 nbits)
{
	u64 l, nsum;

	memset(bm, 0, sizeof(*bm));
	if (!nbits)
		return -EINVAL;
	bm->nbits = nbits;
	bm->nleaves = DIV_ROUND_UP(nbits, (u64)FM_BITS_PER_BLOCK);
	nsum = DIV_ROUND_UP(bm->nleaves, 64);
	/* The leaf pointer array must stay a sane allocation (kvmalloc
	 * refuses, with a warning, anything over INT_MAX): 2^28 leaves are
	 * 2^43 regions, 1 TiB of bitmap.
	 */
	if (bm->nleaves > FM_BITMAP_MAX_LEAVES)
		return -EFBIG;
	bm->leaves = fm_zalloc(bm->nleaves * sizeof(*bm->leaves));
	bm->leaf_count = fm_zalloc(bm->nleaves * sizeof(*bm->leaf_count));
	bm->summary = fm_zalloc(nsum * sizeof(*bm->summary));
	if (!bm->leaves || !bm->leaf_count || !bm->summary)
		goto free_arrays;
	for (l = 0; l < bm->nleaves; l++) {
		bm->leaves[l] = fm_zalloc(FM_BLOCK_SIZE);
		if (!bm->leaves[l])
			goto free_arrays;
	}
	return 0;

free_arrays:
	fm_bitmap_free(bm);
	return -ENOMEM;
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_init, FORKMIRROR);

void fm_bitmap_free(struct fm_bitmap *bm)
{
	u64 l;

	if (bm->leaves)
		for (l = 0; l < bm->nleaves; l++)
			fm_free(bm->leaves[l]);
	fm_free(bm->leaves);
	fm_free(bm->leaf_count);
	fm_free(bm->summary);
	memset(bm, 0, sizeof(*bm));
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_free, FORKMIRROR);

static inline u64 *word_of(const struct fm_bitmap *bm, u64 bit)
{
	return &bm->leaves[bit / FM_BITS_PER_BLOCK]
			  [(bit % FM_BITS_PER_BLOCK) / 64];
}

bool fm_bitmap_test(const struct fm_bitmap *bm, u64 bit)
{
	if (bit >= bm->nbits)
		return false;
	return (*word_of(bm, bit) >> (bit % 64)) & 1;
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_test, FORKMIRROR);

static void summary_update(struct fm_bitmap *bm, u64 leaf)
{
	u64 mask = 1ULL << (leaf % 64);

	if (bm->leaf_count[leaf])
		bm->summary[leaf / 64] |= mask;
	else
		bm->summary[leaf / 64] &= ~mask;
}

/* Mask of bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static inline u64 word_mask(unsigned int lo, unsigned int hi)
{
	u64 m = hi == 64 ? ~0ULL : (1ULL << hi) - 1;

	return m & ~((1ULL << lo) - 1);
}

/* Apply set or clear to [first, first + count), clamped to nbits. */
static u64 range_op(struct fm_bitmap *bm, u64 first, u64 count, bool set)
{
	u64 end, changed = 0;

	if (first >= bm->nbits || !count)
		return 0;
	end = count > bm->nbits - first ? bm->nbits : first + count;
	while (first < end) {
		u64 leaf = first / FM_BITS_PER_BLOCK;
		u64 *w = word_of(bm, first);
		unsigned int lo = first % 64;
		unsigned int hi = end - first >= 64 - lo ? 64 : lo + (end - first);
		u64 m = word_mask(lo, hi);
		u64 before = *w;
		unsigned int n;

		*w = set ? before | m : before & ~m;
		n = fm_popcount64(before ^ *w);
		if (n) {
			if (set)
				bm->leaf_count[leaf] += n;
			else
				bm->leaf_count[leaf] -= n;
			summary_update(bm, leaf);
			changed += n;
		}
		first += hi - lo;
	}
	if (set)
		bm->count += changed;
	else
		bm->count -= changed;
	return changed;
}

u64 fm_bitmap_set(struct fm_bitmap *bm, u64 first, u64 count)
{
	return range_op(bm, first, count, true);
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_set, FORKMIRROR);

u64 fm_bitmap_clear(struct fm_bitmap *bm, u64 first, u64 count)
{
	return range_op(bm, first, count, false);
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_clear, FORKMIRROR);

void fm_bitmap_zero(struct fm_bitmap *bm)
{
	u64 i, nsum = DIV_ROUND_UP(bm->nleaves, 64);

	for (i = 0; i < nsum; i++) {
		u64 w = bm->summary[i];

		while (w) {
			u64 leaf = i * 64 + fm_ctz64(w);

			memset(bm->leaves[leaf], 0, FM_BLOCK_SIZE);
			bm->leaf_count[leaf] = 0;
			w &= w - 1;
		}
		bm->summary[i] = 0;
	}
	bm->count = 0;
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_zero, FORKMIRROR);

/* First set (want_set) or clear bit of a leaf at or after bit off, or
 * FM_BITS_PER_BLOCK.
 */
static u64 leaf_find(const u64 *words, u64 off, bool want_set)
{
	u64 i = off / 64;
	u64 w;

	if (off >= FM_BITS_PER_BLOCK)
		return FM_BITS_PER_BLOCK;
	w = (want_set ? words[i] : ~words[i]) & ~((1ULL << (off % 64)) - 1);
	for (;;) {
		if (w)
			return i * 64 + fm_ctz64(w);
		if (++i == FM_WORDS_PER_LEAF)
			return FM_BITS_PER_BLOCK;
		w = want_set ? words[i] : ~words[i];
	}
}

/* The first leaf at or after leaf with a set bit, or nleaves. */
static u64 summary_next(const struct fm_bitmap *bm, u64 leaf)
{
	u64 i = leaf / 64, nsum = DIV_ROUND_UP(bm->nleaves, 64);
	u64 w;

	if (leaf >= bm->nleaves)
		return bm->nleaves;
	w = bm->summary[i] & ~((1ULL << (leaf % 64)) - 1);
	for (;;) {
		if (w)
			return min(i * 64 + fm_ctz64(w), bm->nleaves);
		if (++i == nsum)
			return bm->nleaves;
		w = bm->summary[i];
	}
}

u64 fm_bitmap_next_set(const struct fm_bitmap *bm, u64 from)
{
	u64 leaf, r;

	if (from >= bm->nbits)
		return bm->nbits;
	leaf = from / FM_BITS_PER_BLOCK;
	if (bm->leaf_count[leaf]) {
		r = leaf_find(bm->leaves[leaf], from % FM_BITS_PER_BLOCK, true);
		if (r < FM_BITS_PER_BLOCK)
			return leaf * FM_BITS_PER_BLOCK + r;
	}
	leaf = summary_next(bm, leaf + 1);
	if (leaf >= bm->nleaves)
		return bm->nbits;
	r = leaf_find(bm->leaves[leaf], 0, true);
	return min(leaf * FM_BITS_PER_BLOCK + r, bm->nbits);
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_next_set, FORKMIRROR);

u64 fm_bitmap_next_clear(const struct fm_bitmap *bm, u64 from)
{
	u64 leaf, r;

	while (from < bm->nbits) {
		leaf = from / FM_BITS_PER_BLOCK;
		if (bm->leaf_count[leaf] != FM_BITS_PER_BLOCK) {
			r = leaf_find(bm->leaves[leaf],
				      from % FM_BITS_PER_BLOCK, false);
			if (r < FM_BITS_PER_BLOCK)
				return min(leaf * FM_BITS_PER_BLOCK + r,
					   bm->nbits);
		}
		from = (leaf + 1) * FM_BITS_PER_BLOCK;
	}
	return bm->nbits;
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_next_clear, FORKMIRROR);

bool fm_bitmap_all_set(const struct fm_bitmap *bm, u64 first, u64 count)
{
	u64 end;

	if (!count)
		return true;
	if (first >= bm->nbits || count > bm->nbits - first)
		return false;
	/* Only the range's words: map's fast path asks for a region or two. */
	end = first + count;
	while (first < end) {
		u64 leaf = first / FM_BITS_PER_BLOCK;
		unsigned int lo = first % 64;
		unsigned int hi = end - first >= 64 - lo ? 64 : lo + (end - first);
		u64 m = word_mask(lo, hi);

		if (!(first % FM_BITS_PER_BLOCK) && end - first >= FM_BITS_PER_BLOCK) {
			if (bm->leaf_count[leaf] != FM_BITS_PER_BLOCK)
				return false;
			first += FM_BITS_PER_BLOCK;
			continue;
		}
		if ((*word_of(bm, first) & m) != m)
			return false;
		first += hi - lo;
	}
	return true;
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_all_set, FORKMIRROR);

bool fm_bitmap_next_extent(const struct fm_bitmap *bm, u64 from, u64 max_len,
			   u64 *start, u64 *len)
{
	u64 s = fm_bitmap_next_set(bm, from), e;

	if (s >= bm->nbits || !max_len)
		return false;
	e = fm_bitmap_next_clear(bm, s);
	*start = s;
	*len = min(e - s, max_len);
	return true;
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_next_extent, FORKMIRROR);

bool fm_bitmap_any_outside(const struct fm_bitmap *bm, const struct fm_bitmap *a,
			   const struct fm_bitmap *b)
{
	u64 leaf, i;

	/* Bitmaps that do not match: say yes, the side that costs a flush. */
	if (a->nbits != bm->nbits || b->nbits != bm->nbits)
		return bm->count != 0;
	for (leaf = summary_next(bm, 0); leaf < bm->nleaves;
	     leaf = summary_next(bm, leaf + 1)) {
		const u64 *w = bm->leaves[leaf];
		const u64 *wa = a->leaves[leaf], *wb = b->leaves[leaf];

		for (i = 0; i < FM_WORDS_PER_LEAF; i++)
			if (w[i] & ~(wa[i] | wb[i]))
				return true;
	}
	return false;
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_any_outside, FORKMIRROR);

void fm_bitmap_store_leaf(const struct fm_bitmap *bm, u64 leaf, void *buf)
{
	__le64 *out = buf;
	unsigned int i;

	for (i = 0; i < FM_WORDS_PER_LEAF; i++)
		out[i] = cpu_to_le64(bm->leaves[leaf][i]);
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_store_leaf, FORKMIRROR);

/*
 * Drop the bits of leaf's words past nbits, recount the leaf and its
 * summary bit; return how many bits were dropped.
 */
static u64 settle_leaf(struct fm_bitmap *bm, u64 leaf)
{
	u64 *w = bm->leaves[leaf];
	u64 base = leaf * FM_BITS_PER_BLOCK, garbage = 0;
	unsigned int i, n = 0;

	for (i = 0; i < FM_WORDS_PER_LEAF; i++) {
		u64 bit0 = base + (u64)i * 64;

		if (bit0 >= bm->nbits) {
			garbage += fm_popcount64(w[i]);
			w[i] = 0;
		} else if (bm->nbits - bit0 < 64) {
			u64 keep = word_mask(0, bm->nbits - bit0);

			garbage += fm_popcount64(w[i] & ~keep);
			w[i] &= keep;
		}
		n += fm_popcount64(w[i]);
	}
	bm->count = bm->count - bm->leaf_count[leaf] + n;
	bm->leaf_count[leaf] = n;
	summary_update(bm, leaf);
	return garbage;
}

u64 fm_bitmap_load_leaf(struct fm_bitmap *bm, u64 leaf, const void *buf)
{
	const __le64 *in = buf;
	u64 *w = bm->leaves[leaf];
	unsigned int i;

	for (i = 0; i < FM_WORDS_PER_LEAF; i++)
		w[i] = le64_to_cpu(in[i]);
	return settle_leaf(bm, leaf);
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_load_leaf, FORKMIRROR);

u64 fm_bitmap_copy(struct fm_bitmap *dst, const struct fm_bitmap *src)
{
	u64 leaf, n = min(dst->nleaves, src->nleaves), dropped = 0;

	for (leaf = 0; leaf < n; leaf++) {
		memcpy(dst->leaves[leaf], src->leaves[leaf], FM_BLOCK_SIZE);
		dropped += settle_leaf(dst, leaf);
	}
	for (; leaf < src->nleaves; leaf++)
		dropped += src->leaf_count[leaf];
	return dropped;
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_copy, FORKMIRROR);
