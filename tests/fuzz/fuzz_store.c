// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: arbitrary bytes as a tracker store image, read the way
 * the tracker reads a store (superblock pair, every slot pair, cross-slot
 * checks, bitmap leaves). Built with ASan and UBSan: any out-of-bounds
 * read, undefined behaviour or crash is a finding. When the codec accepts
 * an image, every property the tracker relies on is checked again here,
 * independently of the codec; a violation aborts (a finding too).
 *
 * Reseal mode: almost every mutation of a header breaks its crc32c, which
 * hides the field checks behind the checksum. An input whose length is one
 * more than a whole number of blocks and whose last byte is odd is read
 * after recomputing the checksum of every block that starts with a header
 * magic, so the fuzzer reaches every field rule too.
 */
#include <forkmirror/format.h>
#include <forkmirror/bitmap.h>
#include <stdio.h>

struct image {
	const u8 *data;
	u64 blocks;
};

static const void *img_get(void *ctx, u64 nr)
{
	struct image *im = ctx;

	return nr < im->blocks ? im->data + nr * FM_BLOCK_SIZE : NULL;
}

static void img_put(void *ctx, const void *buf)
{
	(void)ctx;
	(void)buf;
}

#define CHECK(c) do { \
	if (!(c)) { \
		fprintf(stderr, "accepted image breaks: %s (line %d)\n", #c, \
			__LINE__); \
		abort(); \
	} \
} while (0)

static bool name_ok(const char *n)
{
	size_t len = strlen(n), i;

	if (len < 1 || len > FM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = n[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || !strchr("._-", c)))
			return false;
	}
	return true;
}

static void check_accepted(const struct image *im, const struct fm_store_sb *st,
			   const struct fm_slot *used, u32 n)
{
	const struct fm_layout *l = &st->layout;
	u8 buf[FM_BLOCK_SIZE];
	u32 i, j;

	CHECK(st->sb.slot_count >= 1 && st->sb.slot_count <= FM_SLOTS_MAX);
	CHECK(l->data_block == 2 + 2 * (u64)st->sb.slot_count);
	CHECK(l->data_block < l->store_blocks);
	CHECK(l->store_blocks <= im->blocks);

	for (i = 0; i < n; i++) {
		const struct fm_slot *s = &used[i];
		struct fm_slot back;
		struct fm_bitmap bm;
		u64 regions, b, garbage = 0;

		CHECK(s->flags & FM_SLOT_IN_USE);
		CHECK(name_ok(s->name));
		CHECK(s->region_sectors >= 8 && s->region_sectors <= (1U << 17));
		CHECK((s->region_sectors & (s->region_sectors - 1)) == 0);
		CHECK(s->volume_sectors >= 1 &&
		      s->volume_sectors <= FM_VOLUME_SECTORS_MAX);
		regions = (s->volume_sectors + s->region_sectors - 1) /
			  s->region_sectors;
		CHECK(s->bitmap_block >= l->data_block);
		CHECK(s->bitmap_blocks <= l->store_blocks - s->bitmap_block);
		CHECK(s->bitmap_blocks * (u64)FM_BITS_PER_BLOCK >= regions);
		for (j = 0; j < i; j++) {
			const struct fm_slot *t = &used[j];

			CHECK(strcmp(s->name, t->name) || s->host_id != t->host_id);
			CHECK(s->bitmap_block + s->bitmap_blocks <= t->bitmap_block ||
			      t->bitmap_block + t->bitmap_blocks <= s->bitmap_block);
		}
		/* What the codec decoded, it encodes back to the same. */
		fm_slot_encode(s, &st->sb, buf);
		CHECK(fm_slot_decode(buf, &st->sb, s->index, &back, NULL) ==
		      FM_COPY_VALID);
		CHECK(!memcmp(&back, s, sizeof(back)));

		/* Its bitmap loads, garbage past the last region dropped. */
		CHECK(fm_bitmap_init(&bm, regions) == 0);
		for (b = 0; b < bm.nleaves; b++)
			garbage += fm_bitmap_load_leaf(&bm, b,
				im->data + (s->bitmap_block + b) * FM_BLOCK_SIZE);
		CHECK(bm.count <= regions);
		CHECK(fm_bitmap_next_set(&bm, 0) <= regions);
		if (bm.count)
			CHECK(fm_bitmap_test(&bm, fm_bitmap_next_set(&bm, 0)));
		(void)garbage;
		fm_bitmap_free(&bm);
	}
}

static void reseal_all(u8 *img, u64 blocks)
{
	u64 b;

	for (b = 0; b < blocks; b++) {
		u8 *h = img + b * FM_BLOCK_SIZE;
		u64 magic;
		u32 len, crc;

		memcpy(&magic, h, 8);
		memcpy(&len, h + 12, 4);
		magic = le64toh(magic);
		len = le32toh(len);
		if ((magic != FM_SB_MAGIC && magic != FM_SLOT_MAGIC) ||
		    len < 20 || len > FM_BLOCK_SIZE)
			continue;
		memset(h + 16, 0, 4);
		crc = htole32(fm_crc32c(h, len));
		memcpy(h + 16, &crc, 4);
	}
}

static int read_store(const u8 *data, size_t size);

/* Outcome counts, printed at exit when FM_FUZZ_STATS is set. */
static unsigned long n_inputs, n_sb_ok, n_accepted, n_accepted_used;

static void print_stats(void)
{
	fprintf(stderr, "fm-fuzz: %lu inputs, %lu with a valid superblock, "
		"%lu accepted, %lu accepted with volumes\n", n_inputs, n_sb_ok,
		n_accepted, n_accepted_used);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("FM_FUZZ_STATS"))
		atexit(print_stats);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 *copy;
	int ret;

	if (size % FM_BLOCK_SIZE != 1 || !(data[size - 1] & 1))
		return read_store(data, size);
	copy = malloc(size - 1);
	CHECK(copy);
	memcpy(copy, data, size - 1);
	reseal_all(copy, size / FM_BLOCK_SIZE);
	ret = read_store(copy, size - 1);
	free(copy);
	return ret;
}

static int read_store(const u8 *data, size_t size)
{
	struct image im = { data, size / FM_BLOCK_SIZE };
	struct fm_reader r = { img_get, img_put, &im, size / FM_BLOCK_SIZE };
	struct fm_store_sb st;
	struct fm_slot *used;
	const char *why = NULL;
	u32 i, n = 0, bad_a, bad_b;
	int ret;

	n_inputs++;
	ret = fm_store_read_sb(&r, &st, &why);
	if (ret || st.state != FM_PAIR_OK) {
		CHECK(why && *why);
		return 0;
	}
	n_sb_ok++;
	used = calloc(st.sb.slot_count, sizeof(*used));
	CHECK(used);
	for (i = 0; i < st.sb.slot_count; i++) {
		struct fm_slot s;
		struct fm_pick p;

		ret = fm_store_read_slot(&r, &st, i, &s, &p, &why);
		/* A valid superblock's layout lies inside the device. */
		CHECK(ret != -EIO);
		if (ret) {
			CHECK(why && *why);
			goto out;
		}
		if (s.flags & FM_SLOT_IN_USE)
			used[n++] = s;
	}
	if (fm_store_check_slots(used, n, &st.layout, &bad_a, &bad_b, &why)) {
		CHECK(why && *why);
		goto out;
	}
	check_accepted(&im, &st, used, n);
	n_accepted++;
	n_accepted_used += n > 0;
out:
	free(used);
	return 0;
}
