// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests of tools/lib/store.c: store images built in memory with
 * the codec's own encoders, read through a memory-backed fm_reader; each
 * case plants one inconsistency and checks that the scan finds it (and
 * nothing else). Prints "PASS name" / "FAIL name: why" per case and
 * "N passed, N failed" last. Build: tools/tests/Makefile.store.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/store.h"

/* ---------------------------------------------------------------------- */
/* A memory image and its reader. */

struct image {
	u8 *data;
	u64 blocks;
	u64 fail_block;		/* get() of this block fails; FM_NONE64: none */
	long outstanding;	/* get() without put() */
};

static const void *img_get(void *ctx, u64 nr)
{
	struct image *im = ctx;

	if (nr >= im->blocks || nr == im->fail_block)
		return NULL;
	im->outstanding++;
	return im->data + nr * FM_BLOCK_SIZE;
}

static void img_put(void *ctx, const void *buf)
{
	struct image *im = ctx;

	(void)buf;
	im->outstanding--;
}

static struct image *img_new(u64 blocks)
{
	struct image *im = calloc(1, sizeof(*im));

	im->data = calloc(blocks ? blocks : 1, FM_BLOCK_SIZE);
	im->blocks = blocks;
	im->fail_block = FM_NONE64;
	return im;
}

static void img_free(struct image *im)
{
	free(im->data);
	free(im);
}

static u8 *blk(struct image *im, u64 nr)
{
	return im->data + nr * FM_BLOCK_SIZE;
}

static struct fm_reader reader(struct image *im)
{
	struct fm_reader r = { img_get, img_put, im, im->blocks };

	return r;
}

static const u8 test_uuid[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
				  0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

/* Format @im as the tool (and the tracker) would, into @sb. */
static int img_format(struct image *im, u32 slots, struct fm_sb *sb)
{
	struct fm_layout l;
	const char *why;
	u8 uuid[16];
	int ret;

	memcpy(uuid, test_uuid, sizeof(uuid));
	ret = fm_format_plan(im->blocks, slots, uuid, 1764288000, sb, &l, &why);
	if (ret)
		return ret;
	memset(blk(im, l.slot_table_block), 0,
	       (l.data_block - l.slot_table_block) * FM_BLOCK_SIZE);
	fm_sb_encode(sb, blk(im, 0));
	fm_sb_encode(sb, blk(im, 1));
	return 0;
}

static struct fm_slot mkslot(u32 index, const char *name, u32 host, u64 vs,
			     u32 rs, u64 bmb, u64 bmbs, u64 seq)
{
	struct fm_slot s;

	memset(&s, 0, sizeof(s));
	s.seq = seq;
	s.index = index;
	s.flags = FM_SLOT_IN_USE;
	s.host_id = host;
	strncpy(s.name, name, FM_NAME_MAX);
	s.volume_sectors = vs;
	s.region_sectors = rs;
	s.bitmap_block = bmb;
	s.bitmap_blocks = bmbs;
	s.generation = 3;
	s.created = 1764288000;
	return s;
}

static void put_slot(struct image *im, const struct fm_sb *sb,
		     const struct fm_slot *s, int copy)
{
	fm_slot_encode(s, sb, blk(im, 2 + 2 * (u64)s->index + copy));
}

static void set_bit_at(struct image *im, u64 block, u64 bit)
{
	blk(im, block)[bit / 8] |= 1U << (bit % 8);
}

/* ---------------------------------------------------------------------- */
/* The harness. */

static int n_pass, n_fail;
static char fail_msg[512];
static bool failed;

static void failf(const char *fmt, ...)
{
	va_list ap;

	if (failed)
		return;
	failed = true;
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
}

#define EXPECT(c) do { \
	if (!(c)) \
		failf("line %d: %s", __LINE__, #c); \
} while (0)

static void run_case(const char *name, void (*fn)(void))
{
	failed = false;
	fail_msg[0] = '\0';
	fn();
	if (failed) {
		printf("FAIL %s: %s\n", name, fail_msg);
		n_fail++;
	} else {
		printf("PASS %s\n", name);
		n_pass++;
	}
}

/* Scan, and that the reader got back every block it handed out. */
static int scan(struct image *im, unsigned int what, struct fm_scan *sc)
{
	struct fm_reader r = reader(im);
	int ret = fm_scan_store(&r, what, sc);

	if (im->outstanding)
		failf("%ld blocks not put back", im->outstanding);
	return ret;
}

#define ALL (FM_SCAN_SLOTS | FM_SCAN_BITMAPS)

/* The number of problems of @scope whose text holds @needle. */
static size_t count_problems(const struct fm_scan *sc, enum fm_scope scope,
			     const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < sc->nproblems; i++)
		if (sc->problems[i].scope == scope &&
		    (!needle || strstr(sc->problems[i].text, needle)))
			n++;
	return n;
}

static void dump_problems(const struct fm_scan *sc)
{
	size_t i;

	for (i = 0; i < sc->nproblems; i++)
		fprintf(stderr, "  problem: %s: %s\n", fm_scope_name(sc->problems[i].scope),
			sc->problems[i].text);
}

/* Exactly one problem, of @scope, holding @needle. */
#define EXPECT_ONE(sc, scope, needle) do { \
	if ((sc)->nproblems != 1 || count_problems(sc, scope, needle) != 1) { \
		dump_problems(sc); \
		failf("line %d: want one %s problem with '%s', have %zu", __LINE__, \
		      fm_scope_name(scope), needle, (sc)->nproblems); \
	} \
} while (0)

/* ---------------------------------------------------------------------- */
/* Cases. */

static void t_format_clean(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_sb sb;
	char d[128];

	EXPECT(!img_format(im, 8, &sb));
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.sb_usable && !sc.sb_ret);
	EXPECT(sc.nproblems == 0);
	EXPECT(sc.nslots == 8 && sc.n_blank == 8 && !sc.n_used);
	EXPECT(sc.st.sb.seq == 1 && sc.st.sb.store_blocks == 64);
	EXPECT(sc.st.layout.data_block == 18);
	EXPECT(!sc.st.pick.stale && sc.st.pick.chosen == 0);
	/* RFC 4122 version 4, variant 10, as generate_random_uuid(). */
	EXPECT((sc.st.sb.uuid[6] & 0xf0) == 0x40);
	EXPECT((sc.st.sb.uuid[8] & 0xc0) == 0x80);
	fm_scan_describe(&sc, d, sizeof(d));
	EXPECT(!strcmp(d, "a forkmirror store with 0 of 8 slots in use"));
	fm_scan_free(&sc);
	img_free(im);
}

static void t_format_plan_limits(void)
{
	struct fm_layout l;
	struct fm_sb sb;
	const char *why = NULL;
	u8 u[16] = { 0 };

	/* 8 slots: blocks 0-17 are headers, at least one bitmap block. */
	EXPECT(fm_format_plan(18, 8, u, 0, &sb, &l, &why) == -ENOSPC && why);
	EXPECT(fm_format_plan(19, 8, u, 0, &sb, &l, &why) == 0);
	EXPECT(fm_format_plan(100, 0, u, 0, &sb, &l, &why) == -EINVAL);
	EXPECT(fm_format_plan(1ULL << 20, FM_SLOTS_MAX + 1, u, 0, &sb, &l, &why) == -EINVAL);
	/* The tracker's default: 4096 slots, more than 32 MiB needed. */
	EXPECT(fm_format_plan(8194, FM_SLOTS_DEFAULT, u, 0, &sb, &l, &why) == -ENOSPC);
	EXPECT(fm_format_plan(8195, FM_SLOTS_DEFAULT, u, 0, &sb, &l, &why) == 0);
	EXPECT(l.slot_table_block == 2 && l.data_block == 8194);
	/* A huge device: the store covers 2^40 blocks. */
	EXPECT(fm_format_plan(1ULL << 42, FM_SLOTS_DEFAULT, u, 7, &sb, &l, &why) == 0);
	EXPECT(sb.store_blocks == FM_STORE_BLOCKS_MAX && sb.seq == 1 && sb.format_time == 7);
}

static void t_blank(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	char d[128];

	EXPECT(!scan(im, ALL, &sc));
	EXPECT(!sc.sb_usable && sc.st.state == FM_PAIR_BLANK);
	EXPECT_ONE(&sc, FM_SCOPE_SUPERBLOCK, "blank: not a store");
	fm_scan_describe(&sc, d, sizeof(d));
	EXPECT(!strcmp(d, "nothing: blank"));
	fm_scan_free(&sc);
	img_free(im);
}

static void t_foreign(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	char d[128];

	memcpy(blk(im, 0) + 1024, "\x53\xef", 2);	/* an ext4 magic, say */
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(!sc.sb_usable && sc.st.state == FM_PAIR_BAD);
	EXPECT_ONE(&sc, FM_SCOPE_SUPERBLOCK, "not a forkmirror tracker store");
	fm_scan_describe(&sc, d, sizeof(d));
	EXPECT(!strcmp(d, "unknown data"));
	fm_scan_free(&sc);

	/* Only copy B holds something: still not ours. */
	memset(blk(im, 0), 0, FM_BLOCK_SIZE);
	memcpy(blk(im, 1), "garbage", 7);
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(!sc.sb_usable && sc.nproblems == 1);
	fm_scan_describe(&sc, d, sizeof(d));
	EXPECT(!strcmp(d, "unknown data"));
	fm_scan_free(&sc);
	img_free(im);
}

static void t_tiny_device(void)
{
	struct image *im = img_new(1);
	struct fm_scan sc;

	EXPECT(!scan(im, ALL, &sc));
	EXPECT(!sc.sb_usable && !sc.sb_copies_read);
	EXPECT_ONE(&sc, FM_SCOPE_DEVICE, "smaller than the two superblock copies");
	fm_scan_free(&sc);
	img_free(im);
}

static void t_sb_torn_copy(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	blk(im, 1)[40] ^= 1;	/* inside the uuid: checksum mismatch */
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.sb_usable && sc.st.pick.chosen == 0);
	EXPECT(sc.sb_copy[1].state == FM_COPY_TORN);
	EXPECT_ONE(&sc, FM_SCOPE_SUPERBLOCK, "copy B is torn or corrupted");
	EXPECT(sc.problems[0].block == 1);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_sb_blank_copy(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	memset(blk(im, 0), 0, FM_BLOCK_SIZE);
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.sb_usable && sc.st.pick.chosen == 1);
	EXPECT_ONE(&sc, FM_SCOPE_SUPERBLOCK, "copy A is blank; copy B is in use");
	fm_scan_free(&sc);
	img_free(im);
}

static void t_sb_stale(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	sb.seq = 2;
	fm_sb_encode(&sb, blk(im, 1));
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.sb_usable && sc.st.pick.chosen == 1 && sc.st.pick.stale);
	EXPECT(sc.sb_copy[0].has_seq && sc.sb_copy[0].seq == 1);
	EXPECT_ONE(&sc, FM_SCOPE_SUPERBLOCK, "superblock copies differ");
	fm_scan_free(&sc);
	img_free(im);
}

static void t_sb_conflict(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	sb.format_time++;
	fm_sb_encode(&sb, blk(im, 1));
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(!sc.sb_usable && sc.st.state == FM_PAIR_CONFLICT);
	EXPECT_ONE(&sc, FM_SCOPE_SUPERBLOCK, "superblock copies conflict");
	fm_scan_free(&sc);
	img_free(im);
}

static void t_sb_unknown_version(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_sb sb;
	char d[128];

	img_format(im, 8, &sb);
	blk(im, 0)[8] = 2;
	blk(im, 1)[8] = 2;
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(!sc.sb_usable);
	EXPECT_ONE(&sc, FM_SCOPE_SUPERBLOCK, "unknown format version");
	fm_scan_describe(&sc, d, sizeof(d));
	EXPECT(strstr(d, "unknown format version"));
	fm_scan_free(&sc);
	img_free(im);
}

static void t_store_larger_than_device(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	s = mkslot(0, "near", 0, 8 * 100, 8, 20, 1, 1);
	put_slot(im, &sb, &s, 0);
	s = mkslot(1, "far", 0, 8 * 100, 8, 50, 1, 1);
	put_slot(im, &sb, &s, 0);
	im->blocks = 40;	/* the device shrank under the store */
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.sb_usable && sc.sb_ret == -EUCLEAN);
	EXPECT(count_problems(&sc, FM_SCOPE_SUPERBLOCK, "store larger than its device") == 1);
	EXPECT(count_problems(&sc, FM_SCOPE_BITMAP, "past the device's end") == 1);
	EXPECT(sc.nproblems == 2);
	EXPECT(sc.n_used == 2 && sc.slots[0].bitmap_scanned && !sc.slots[1].bitmap_scanned);
	fm_scan_free(&sc);

	/* So small that slot headers are past the end too. */
	im->blocks = 10;
	EXPECT(!scan(im, FM_SCAN_SLOTS, &sc));
	EXPECT(sc.slots[4].kind == FM_SLOT_OUTSIDE && sc.slots[3].kind == FM_SLOT_BLANK);
	EXPECT(count_problems(&sc, FM_SCOPE_SLOT, "past the device's end") == 4);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_slot_dirty(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;
	u32 idx[2];

	img_format(im, 8, &sb);
	/* 40000 regions: 2 bitmap blocks; an older header in copy A. */
	s = mkslot(2, "vol0", 0, 8 * 40000ULL, 8, 20, 2, 4);
	put_slot(im, &sb, &s, 0);
	s.seq = 5;
	s.first_dirtied = 1764288100;
	s.flags |= FM_SLOT_ACTIVE;
	put_slot(im, &sb, &s, 1);
	set_bit_at(im, 20, 0);
	set_bit_at(im, 20, 32767);
	set_bit_at(im, 21, 0);
	set_bit_at(im, 21, 40000 - 32768 - 1);	/* the last region */
	EXPECT(!scan(im, ALL, &sc));
	if (sc.nproblems)
		dump_problems(&sc);
	EXPECT(sc.nproblems == 0);
	EXPECT(sc.n_used == 1 && sc.slots[2].kind == FM_SLOT_USED);
	EXPECT(sc.slots[2].pick.chosen == 1 && sc.slots[2].slot.seq == 5);
	EXPECT(sc.slots[2].slot.flags == (FM_SLOT_IN_USE | FM_SLOT_ACTIVE));
	EXPECT(sc.slots[2].bitmap_scanned && sc.slots[2].dirty == 4);
	EXPECT(sc.slots[2].region_count == 40000 && !sc.slots[2].bad_blocks);
	EXPECT(fm_scan_find(&sc, "vol0", 0, idx, 2) == 1 && idx[0] == 2);
	EXPECT(fm_scan_find(&sc, "vol0", 1, idx, 2) == 0);
	EXPECT(fm_scan_find(&sc, "vol", 0, idx, 2) == 0);
	fm_scan_free(&sc);

	/* Without FM_SCAN_BITMAPS nothing of the bitmap is read. */
	EXPECT(!scan(im, FM_SCAN_SLOTS, &sc));
	EXPECT(!sc.slots[2].bitmap_scanned && sc.slots[2].dirty == 0);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_bits_past_end(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	s = mkslot(0, "v", 0, 8 * 40000ULL, 8, 30, 2, 1);
	put_slot(im, &sb, &s, 0);
	set_bit_at(im, 30, 5);
	set_bit_at(im, 31, 40000 - 32768);	/* region 40000: past the end */
	set_bit_at(im, 31, 32767);
	EXPECT(!scan(im, ALL, &sc));
	EXPECT_ONE(&sc, FM_SCOPE_BITMAP, "2 bits set past the last region");
	EXPECT(sc.problems[0].block == 31 && sc.problems[0].slot == 0);
	EXPECT(sc.slots[0].dirty == 1 && sc.slots[0].past_end == 2);
	EXPECT(sc.slots[0].bad_blocks == 1 && sc.slots[0].first_bad_block == 31);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_spare_bits(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	/* 10 regions need 1 block; the extent has 3 (a shrunk volume). */
	s = mkslot(1, "small", 0, 80, 8, 40, 3, 1);
	put_slot(im, &sb, &s, 0);
	set_bit_at(im, 40, 9);
	set_bit_at(im, 42, 100);
	set_bit_at(im, 42, 101);
	EXPECT(!scan(im, ALL, &sc));
	EXPECT_ONE(&sc, FM_SCOPE_BITMAP, "spare block");
	EXPECT(sc.problems[0].block == 42);
	EXPECT(sc.slots[1].dirty == 1 && sc.slots[1].spare_bits == 2 &&
	       sc.slots[1].past_end == 0);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_slot_torn_copy(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	s = mkslot(3, "t", 7, 800, 8, 20, 1, 3);
	put_slot(im, &sb, &s, 0);
	s.seq = 4;
	put_slot(im, &sb, &s, 1);
	blk(im, 2 + 2 * 3 + 1)[60] ^= 0x40;	/* copy B's name: torn write */
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.slots[3].kind == FM_SLOT_USED && sc.slots[3].pick.chosen == 0);
	EXPECT(sc.slots[3].copy[1].state == FM_COPY_TORN);
	EXPECT_ONE(&sc, FM_SCOPE_SLOT, "header copy B is torn or corrupted");
	EXPECT(sc.problems[0].slot == 3 && sc.problems[0].block == 9);
	EXPECT(strstr(sc.problems[0].text, "slot 3 (t, host id 7)"));
	fm_scan_free(&sc);
	img_free(im);
}

static void t_slot_bad_pair(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;
	char d[128];

	img_format(im, 8, &sb);
	s = mkslot(1, "b", 0, 800, 8, 20, 1, 1);
	put_slot(im, &sb, &s, 0);
	s.seq = 2;
	put_slot(im, &sb, &s, 1);
	blk(im, 4)[130] ^= 1;
	blk(im, 5)[130] ^= 1;
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.slots[1].kind == FM_SLOT_BROKEN && sc.n_broken == 1);
	EXPECT_ONE(&sc, FM_SCOPE_SLOT, "no usable header");
	fm_scan_describe(&sc, d, sizeof(d));
	EXPECT(strstr(d, "1 damaged"));
	fm_scan_free(&sc);
	img_free(im);
}

static void t_slot_conflict(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	s = mkslot(5, "c", 0, 800, 8, 20, 1, 6);
	put_slot(im, &sb, &s, 0);
	s.last_dirtied = 99;
	put_slot(im, &sb, &s, 1);
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.slots[5].kind == FM_SLOT_BROKEN &&
	       sc.slots[5].pair == FM_PAIR_CONFLICT);
	EXPECT_ONE(&sc, FM_SCOPE_SLOT, "slot header copies conflict");
	fm_scan_free(&sc);
	img_free(im);
}

static void t_slot_foreign_copy(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb, other;

	img_format(im, 8, &sb);
	other = sb;
	other.uuid[0] ^= 0xff;
	s = mkslot(0, "f", 0, 800, 8, 20, 1, 2);
	put_slot(im, &sb, &s, 0);
	s.seq = 9;
	put_slot(im, &other, &s, 1);	/* left over from another store */
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.slots[0].kind == FM_SLOT_USED && sc.slots[0].pick.chosen == 0);
	EXPECT_ONE(&sc, FM_SCOPE_SLOT, "copy B is foreign (slot of another store)");
	fm_scan_free(&sc);
	img_free(im);
}

static void t_deleted_slot(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	s = mkslot(4, "gone", 0, 800, 8, 20, 1, 1);
	put_slot(im, &sb, &s, 0);
	memset(&s, 0, sizeof(s));
	s.index = 4;
	s.seq = 2;
	s.generation = 3;
	put_slot(im, &sb, &s, 1);
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.nproblems == 0);
	EXPECT(sc.slots[4].kind == FM_SLOT_DELETED && sc.n_deleted == 1 && !sc.n_used);
	EXPECT(!sc.slots[4].bitmap_scanned);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_duplicate_names(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	s = mkslot(0, "dup", 1, 800, 8, 20, 1, 1);
	put_slot(im, &sb, &s, 0);
	s = mkslot(3, "dup", 1, 800, 8, 21, 1, 1);
	put_slot(im, &sb, &s, 0);
	s = mkslot(6, "dup", 1, 800, 8, 22, 1, 1);
	put_slot(im, &sb, &s, 0);
	s = mkslot(7, "dup", 2, 800, 8, 23, 1, 1);	/* another host: fine */
	put_slot(im, &sb, &s, 0);
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.nproblems == 2);
	EXPECT(count_problems(&sc, FM_SCOPE_SLOTS, "slots 0 and 3 both hold volume dup of host id 1") == 1);
	EXPECT(count_problems(&sc, FM_SCOPE_SLOTS, "slots 0 and 6 both hold") == 1);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_overlapping_extents(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	s = mkslot(0, "a", 0, 800, 8, 20, 4, 1);	/* 20-23 */
	put_slot(im, &sb, &s, 0);
	s = mkslot(1, "b", 0, 800, 8, 22, 1, 1);	/* 22 */
	put_slot(im, &sb, &s, 0);
	s = mkslot(2, "c", 0, 800, 8, 23, 2, 1);	/* 23-24 */
	put_slot(im, &sb, &s, 0);
	s = mkslot(3, "d", 0, 800, 8, 25, 1, 1);	/* 25: fine */
	put_slot(im, &sb, &s, 0);
	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.nproblems == 2);
	EXPECT(count_problems(&sc, FM_SCOPE_SLOTS, "slots 0 and 1: bitmap extents overlap") == 1);
	EXPECT(count_problems(&sc, FM_SCOPE_SLOTS, "slots 0 and 2: bitmap extents overlap") == 1);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_many_slots_clean(void)
{
	struct image *im = img_new(200);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;
	char name[16];
	u32 i;

	img_format(im, 32, &sb);
	for (i = 0; i < 32; i += 2) {
		snprintf(name, sizeof(name), "vol%u", i);
		s = mkslot(i, name, i % 3, 8 * 50000ULL, 8, 66 + i * 2, 2, 1);
		put_slot(im, &sb, &s, i % 4 ? 0 : 1);
	}
	EXPECT(!scan(im, ALL, &sc));
	if (sc.nproblems)
		dump_problems(&sc);
	EXPECT(sc.nproblems == 0 && sc.n_used == 16 && sc.n_blank == 16);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_io_error(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;

	img_format(im, 8, &sb);
	s = mkslot(0, "io", 0, 800, 8, 30, 1, 1);
	put_slot(im, &sb, &s, 0);
	im->fail_block = 7;		/* slot 2, copy B */
	EXPECT(scan(im, ALL, &sc) == -EIO && sc.io_block == 7);
	fm_scan_free(&sc);
	im->fail_block = 30;		/* the bitmap */
	EXPECT(scan(im, ALL, &sc) == -EIO && sc.io_block == 30);
	fm_scan_free(&sc);
	EXPECT(scan(im, FM_SCAN_SLOTS, &sc) == 0);	/* bitmaps not read */
	fm_scan_free(&sc);
	im->fail_block = 0;
	EXPECT(scan(im, ALL, &sc) == -EIO && sc.io_block == 0);
	fm_scan_free(&sc);
	img_free(im);
}

/* Delete a slot with the plan and read the result back. */
static void delete_and_check(struct image *im, u32 index, int want_copy,
			     u64 want_seq, u64 want_gen)
{
	struct fm_scan sc;
	u64 block, seq;
	u8 buf[FM_BLOCK_SIZE];

	EXPECT(!scan(im, FM_SCAN_SLOTS, &sc));
	EXPECT(!fm_delete_plan(&sc, index, buf, &block, &seq));
	EXPECT(block == 2 + 2 * (u64)index + want_copy);
	EXPECT(seq == want_seq);
	fm_scan_free(&sc);
	memcpy(blk(im, block), buf, FM_BLOCK_SIZE);

	EXPECT(!scan(im, ALL, &sc));
	EXPECT(sc.slots[index].kind == FM_SLOT_DELETED);
	EXPECT(sc.slots[index].pick.chosen == want_copy);
	EXPECT(sc.slots[index].slot.seq == want_seq);
	EXPECT(sc.slots[index].slot.generation == want_gen);
	EXPECT(sc.slots[index].slot.flags == 0 && !sc.slots[index].slot.name[0] &&
	       !sc.slots[index].slot.bitmap_blocks && !sc.slots[index].slot.host_id);
	if (sc.nproblems)
		dump_problems(&sc);
	EXPECT(sc.nproblems == 0);
	fm_scan_free(&sc);
}

static void t_delete_plan(void)
{
	struct image *im = img_new(64);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;
	u64 block, seq;
	u8 buf[FM_BLOCK_SIZE];

	img_format(im, 8, &sb);
	/* A in force (seq 5), B older (seq 4): write B with seq 6. */
	s = mkslot(1, "x", 0, 800, 8, 20, 1, 5);
	s.generation = 11;
	put_slot(im, &sb, &s, 0);
	s.seq = 4;
	put_slot(im, &sb, &s, 1);
	delete_and_check(im, 1, 1, 6, 11);

	/* Written once (copy A, seq 1): copy B, seq 2. */
	s = mkslot(2, "y", 0, 800, 8, 21, 1, 1);
	put_slot(im, &sb, &s, 0);
	delete_and_check(im, 2, 1, 2, 3);

	/* B in force (seq 8), A torn: write A with seq 9. */
	s = mkslot(3, "z", 0, 800, 8, 22, 1, 8);
	put_slot(im, &sb, &s, 1);
	s.seq = 7;
	put_slot(im, &sb, &s, 0);
	blk(im, 8)[100] ^= 1;
	delete_and_check(im, 3, 0, 9, 3);

	/* Deleting a deleted slot again goes on counting. */
	delete_and_check(im, 3, 1, 10, 3);

	/* Nothing to delete in a blank or broken slot. */
	EXPECT(!scan(im, FM_SCAN_SLOTS, &sc));
	EXPECT(fm_delete_plan(&sc, 0, buf, &block, &seq) == -EINVAL);
	EXPECT(fm_delete_plan(&sc, 8, buf, &block, &seq) == -EINVAL);
	fm_scan_free(&sc);
	img_free(im);
}

static void t_flags_and_names(void)
{
	char b[64], u[37];

	fm_slot_flags_str(FM_SLOT_IN_USE | FM_SLOT_ACTIVE, b, sizeof(b));
	EXPECT(!strcmp(b, "in_use,active"));
	fm_slot_flags_str(0, b, sizeof(b));
	EXPECT(!strcmp(b, "-"));
	fm_slot_flags_str(FM_SLOT_IN_USE | FM_SLOT_FULL_RESYNC | 0x30, b, sizeof(b));
	EXPECT(!strcmp(b, "in_use,full_resync,0x30"));
	fm_slot_flags_str(FM_SLOT_IN_USE | FM_SLOT_ACTIVE, b, 5);
	EXPECT(strlen(b) < 5);
	EXPECT(!strcmp(fm_slot_flag_name(2), "full_resync") && !fm_slot_flag_name(3));
	EXPECT(!strcmp(fm_counter_name(FM_CNT_ATTACHES), "attaches"));
	EXPECT(!strcmp(fm_counter_name(7), "reserved_7"));
	fm_uuid_str(test_uuid, u);
	EXPECT(!strcmp(u, "12345678-9abc-def0-0123-456789abcdef"));
}

static void t_sysfs_slots_line(void)
{
	struct fm_sysfs_slot s;

	EXPECT(!fm_parse_sysfs_slot("3 vol0 0 attached 17\n", &s));
	EXPECT(s.index == 3 && !strcmp(s.name, "vol0") && s.host_id == 0 &&
	       s.attached && s.dirty_known && s.dirty == 17);
	EXPECT(!fm_parse_sysfs_slot("4095 a.b-c_d 4294967295 detached ?", &s));
	EXPECT(s.index == 4095 && s.host_id == 4294967295U && !s.attached &&
	       !s.dirty_known);
	EXPECT(fm_parse_sysfs_slot("3 vol0 0 attached", &s) == -EINVAL);
	EXPECT(fm_parse_sysfs_slot("3 vol0 0 gone 1", &s) == -EINVAL);
	EXPECT(fm_parse_sysfs_slot("3 -bad 0 attached 1", &s) == -EINVAL);
	EXPECT(fm_parse_sysfs_slot("x vol0 0 attached 1", &s) == -EINVAL);
	EXPECT(fm_parse_sysfs_slot("1 v 4294967296 attached 1", &s) == -EINVAL);
	EXPECT(fm_parse_sysfs_slot("1 v 0 attached 1 extra", &s) == -EINVAL);
}

static void t_parse_u64(void)
{
	u64 v;

	EXPECT(!fm_parse_u64("0", 10, &v) && v == 0);
	EXPECT(!fm_parse_u64("65536", FM_SLOTS_MAX, &v) && v == 65536);
	EXPECT(fm_parse_u64("65537", FM_SLOTS_MAX, &v) == -EINVAL);
	EXPECT(!fm_parse_u64("18446744073709551615", U64_MAX, &v) && v == U64_MAX);
	EXPECT(fm_parse_u64("18446744073709551616", U64_MAX, &v) == -EINVAL);
	EXPECT(fm_parse_u64("", 10, &v) == -EINVAL);
	EXPECT(fm_parse_u64("1x", 10, &v) == -EINVAL);
	EXPECT(fm_parse_u64("-1", 10, &v) == -EINVAL);
}

/* Every single-byte flip of a formatted store's first blocks: the scan
 * never crashes, every block it took is put back, and a change it does
 * not report is one the codec cannot see (none in header blocks).
 */
static void t_byte_flips(void)
{
	struct image *im = img_new(24);
	struct fm_scan sc;
	struct fm_slot s;
	struct fm_sb sb;
	u64 b, off, silent = 0;

	img_format(im, 2, &sb);
	s = mkslot(0, "f", 0, 8 * 33000ULL, 8, 6, 2, 1);
	put_slot(im, &sb, &s, 0);
	s.seq = 2;
	put_slot(im, &sb, &s, 1);
	for (b = 0; b < 4; b++) {
		for (off = 0; off < FM_BLOCK_SIZE; off += 7) {
			blk(im, b)[off] ^= 0x5a;
			if (scan(im, ALL, &sc) == 0 && !sc.nproblems)
				silent++;
			fm_scan_free(&sc);
			blk(im, b)[off] ^= 0x5a;
		}
	}
	/* A flip in copy A of the slot, which copy B (newer) overrides, is
	 * still a torn copy: so every flip is seen.
	 */
	EXPECT(silent == 0);
	/* Bits past the last region of the last bitmap block are seen too. */
	blk(im, 7)[FM_BLOCK_SIZE - 1] = 0x80;
	EXPECT(!scan(im, ALL, &sc));
	EXPECT_ONE(&sc, FM_SCOPE_BITMAP, "past the last region");
	fm_scan_free(&sc);
	img_free(im);
}

int main(void)
{
	run_case("format_clean", t_format_clean);
	run_case("format_plan_limits", t_format_plan_limits);
	run_case("blank", t_blank);
	run_case("foreign", t_foreign);
	run_case("tiny_device", t_tiny_device);
	run_case("sb_torn_copy", t_sb_torn_copy);
	run_case("sb_blank_copy", t_sb_blank_copy);
	run_case("sb_stale", t_sb_stale);
	run_case("sb_conflict", t_sb_conflict);
	run_case("sb_unknown_version", t_sb_unknown_version);
	run_case("store_larger_than_device", t_store_larger_than_device);
	run_case("slot_dirty", t_slot_dirty);
	run_case("bits_past_end", t_bits_past_end);
	run_case("spare_bits", t_spare_bits);
	run_case("slot_torn_copy", t_slot_torn_copy);
	run_case("slot_bad_pair", t_slot_bad_pair);
	run_case("slot_conflict", t_slot_conflict);
	run_case("slot_foreign_copy", t_slot_foreign_copy);
	run_case("deleted_slot", t_deleted_slot);
	run_case("duplicate_names", t_duplicate_names);
	run_case("overlapping_extents", t_overlapping_extents);
	run_case("many_slots_clean", t_many_slots_clean);
	run_case("io_error", t_io_error);
	run_case("delete_plan", t_delete_plan);
	run_case("flags_and_names", t_flags_and_names);
	run_case("sysfs_slots_line", t_sysfs_slots_line);
	run_case("parse_u64", t_parse_u64);
	run_case("byte_flips", t_byte_flips);
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
