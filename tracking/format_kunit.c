// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite fm_format: the tracker store's on-media codec.
 *
 * The same source runs in the debug guest under KUnit and on the host
 * through tests/host/shim (make -C tests/host), against the same codec.
 * The crc32c vectors pin the userspace CRC to the kernel's.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include <forkmirror/format.h>

static const u8 test_uuid[16] = {
	0x6f, 0x72, 0x6b, 0x6d, 0x69, 0x72, 0x72, 0x6f,
	0x72, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x21, 0x01,
};

/* ---------------------------------------------------------------------- */
/* crc32c: RFC 3720 (iSCSI) B.4 vectors and the standard check value. */

static void fm_format_crc32c_vectors(struct kunit *test)
{
	u8 buf[32];
	unsigned int i;

	KUNIT_EXPECT_EQ(test, fm_crc32c("123456789", 9), 0xe3069283U);
	KUNIT_EXPECT_EQ(test, fm_crc32c("", 0), 0U);
	memset(buf, 0, sizeof(buf));
	KUNIT_EXPECT_EQ(test, fm_crc32c(buf, 32), 0x8a9136aaU);
	memset(buf, 0xff, sizeof(buf));
	KUNIT_EXPECT_EQ(test, fm_crc32c(buf, 32), 0x62a8ab43U);
	for (i = 0; i < 32; i++)
		buf[i] = i;
	KUNIT_EXPECT_EQ(test, fm_crc32c(buf, 32), 0x46dd794eU);
	for (i = 0; i < 32; i++)
		buf[i] = 31 - i;
	KUNIT_EXPECT_EQ(test, fm_crc32c(buf, 32), 0x113fdb5cU);
}

/* ---------------------------------------------------------------------- */
/* Layout. */

struct layout_case {
	const char *desc;
	u64 store_blocks;
	u32 slot_count;
	int ret;
	u64 data_block;
};

static const struct layout_case layout_cases[] = {
	{ "one slot, one bitmap block", 5, 1, 0, 4 },
	{ "one slot, no bitmap block", 4, 1, -ENOSPC, 0 },
	{ "zero slots", 100, 0, -EINVAL, 0 },
	{ "default slots, 64 MiB", 16384, FM_SLOTS_DEFAULT, 0, 8194 },
	{ "default slots, exactly full", 8194, FM_SLOTS_DEFAULT, -ENOSPC, 0 },
	{ "default slots, one block over", 8195, FM_SLOTS_DEFAULT, 0, 8194 },
	{ "maximum slots", 1ULL << 20, FM_SLOTS_MAX, 0, 2 + 2 * 65536ULL },
	{ "one slot over the maximum", 1ULL << 20, FM_SLOTS_MAX + 1, -EINVAL, 0 },
	{ "maximum store", FM_STORE_BLOCKS_MAX, 16, 0, 34 },
	{ "store over the maximum", FM_STORE_BLOCKS_MAX + 1, 16, -EFBIG, 0 },
	{ "u64 store size", ~0ULL, 16, -EFBIG, 0 },
};

static void layout_desc(const struct layout_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->desc);
}

KUNIT_ARRAY_PARAM(fm_format_layout, layout_cases, layout_desc);

static void fm_format_layout(struct kunit *test)
{
	const struct layout_case *c = test->param_value;
	struct fm_layout l;
	int ret = fm_layout_compute(c->store_blocks, c->slot_count, &l);

	KUNIT_ASSERT_EQ(test, ret, c->ret);
	if (ret)
		return;
	KUNIT_EXPECT_EQ(test, l.slot_table_block, 2ULL);
	KUNIT_EXPECT_EQ(test, l.data_block, c->data_block);
	KUNIT_EXPECT_EQ(test, fm_sb_block(1), 1ULL);
	KUNIT_EXPECT_EQ(test, fm_slot_block(&l, 0, 0), 2ULL);
	KUNIT_EXPECT_EQ(test, fm_slot_block(&l, 0, 1), 3ULL);
	KUNIT_EXPECT_EQ(test, fm_slot_block(&l, c->slot_count - 1, 1) + 1,
			l.data_block);
}

/* ---------------------------------------------------------------------- */
/* Names and sizes. */

static void fm_format_names(struct kunit *test)
{
	static const char * const good[] = {
		"a", "0", "vol", "Vol_1.x-2", "a-", "a.", "a_",
		"v123456789012345678901234567890123456789012345678901234567890123",
	};
	static const char * const bad[] = {
		"", "-a", ".a", "_a", "a/b", "a b", "a*", "a\xc3\xa9",
		"v1234567890123456789012345678901234567890123456789012345678901234",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		KUNIT_EXPECT_TRUE_MSG(test, fm_name_valid(good[i], strlen(good[i])),
				      "refused '%s'", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE(test, fm_name_valid(bad[i], strlen(bad[i])));
	/* An embedded NUL is not a name character. */
	KUNIT_EXPECT_FALSE(test, fm_name_valid("a\0b", 3));
}

static void fm_format_sizes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, fm_region_count(1, 8), 1ULL);
	KUNIT_EXPECT_EQ(test, fm_region_count(8, 8), 1ULL);
	KUNIT_EXPECT_EQ(test, fm_region_count(9, 8), 2ULL);
	KUNIT_EXPECT_EQ(test, fm_region_count(0, 8), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_region_count(100, 4), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_region_count(100, 12), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_region_count(100, 1U << 18), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_region_count(FM_VOLUME_SECTORS_MAX, 8),
			1ULL << 47);
	KUNIT_EXPECT_EQ(test, fm_region_count(FM_VOLUME_SECTORS_MAX + 1, 8), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_region_count(FM_VOLUME_SECTORS_MAX,
					      FM_REGION_SECTORS_MAX), 1ULL << 33);
	KUNIT_EXPECT_EQ(test, fm_bitmap_blocks_needed(8, 8), 1ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_blocks_needed(8ULL * 32768, 8), 1ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_blocks_needed(8ULL * 32768 + 1, 8), 2ULL);
	KUNIT_EXPECT_EQ(test, fm_bitmap_blocks_needed(FM_VOLUME_SECTORS_MAX, 8),
			1ULL << 32);
}

/* ---------------------------------------------------------------------- */
/* Superblock. */

static void base_sb(struct fm_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->seq = 7;
	memcpy(sb->uuid, test_uuid, sizeof(sb->uuid));
	sb->store_blocks = 1000;
	sb->slot_count = 4;
	sb->format_time = 1764288000;
}

/* Recompute the crc of a header of hdr_len bytes, as a writer would. */
static void reseal(void *buf, size_t hdr_len)
{
	__le32 *crc = (__le32 *)((u8 *)buf + 16);

	*crc = 0;
	*crc = cpu_to_le32(fm_crc32c(buf, hdr_len));
}

static void put_le(void *p, size_t size, u64 v)
{
	u8 *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = i < 8 ? (u8)(v >> (8 * i)) : 0;
}

static void fm_format_sb_roundtrip(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	const struct fm_disk_sb *d;
	struct fm_sb sb, out;
	const char *why = NULL;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	base_sb(&sb);
	fm_sb_encode(&sb, buf);
	d = (const struct fm_disk_sb *)buf;
	/* Byte order on media is little-endian whatever the CPU. */
	KUNIT_EXPECT_EQ(test, buf[0], (u8)'F');
	KUNIT_EXPECT_EQ(test, buf[7], (u8)'1');
	KUNIT_EXPECT_EQ(test, buf[offsetof(struct fm_disk_sb, slot_count)], 4);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(d->hdr_len), (u32)sizeof(*d));
	KUNIT_EXPECT_EQ(test, le64_to_cpu(d->data_block), 10ULL);
	memset(&out, 0xa5, sizeof(out));
	KUNIT_ASSERT_EQ(test, fm_sb_decode(buf, &out, &why), FM_COPY_VALID);
	KUNIT_EXPECT_EQ(test, out.seq, sb.seq);
	KUNIT_EXPECT_EQ(test, out.store_blocks, sb.store_blocks);
	KUNIT_EXPECT_EQ(test, out.slot_count, sb.slot_count);
	KUNIT_EXPECT_EQ(test, out.format_time, sb.format_time);
	KUNIT_EXPECT_EQ(test, memcmp(out.uuid, sb.uuid, sizeof(sb.uuid)), 0);
	memset(buf, 0, FM_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, fm_sb_decode(buf, &out, &why), FM_COPY_ZERO);
}

enum corrupt_how { FLIP, SET, SET_RESEAL, FILL_RESEAL };

struct corrupt_case {
	const char *desc;
	size_t off;
	size_t size;
	enum corrupt_how how;
	u64 value;
	enum fm_copy_state want;
};

#define SB_OFF(f) offsetof(struct fm_disk_sb, f)
#define SB_LEN(f) sizeof_field(struct fm_disk_sb, f)

static const struct corrupt_case sb_corruptions[] = {
	{ "magic flipped", SB_OFF(magic), SB_LEN(magic), FLIP, 0, FM_COPY_FOREIGN },
	{ "magic of a slot", SB_OFF(magic), SB_LEN(magic),
	  SET_RESEAL, FM_SLOT_MAGIC, FM_COPY_FOREIGN },
	{ "version flipped", SB_OFF(version), SB_LEN(version), FLIP, 0, FM_COPY_VERSION },
	{ "version 2", SB_OFF(version), SB_LEN(version), SET_RESEAL, 2, FM_COPY_VERSION },
	{ "version 0", SB_OFF(version), SB_LEN(version), SET_RESEAL, 0, FM_COPY_VERSION },
	{ "hdr_len flipped", SB_OFF(hdr_len), SB_LEN(hdr_len), FLIP, 0, FM_COPY_INVALID },
	{ "hdr_len 4096", SB_OFF(hdr_len), SB_LEN(hdr_len), SET, 4096, FM_COPY_INVALID },
	{ "hdr_len 0", SB_OFF(hdr_len), SB_LEN(hdr_len), SET, 0, FM_COPY_INVALID },
	{ "crc flipped", SB_OFF(crc), SB_LEN(crc), FLIP, 0, FM_COPY_TORN },
	{ "crc zero", SB_OFF(crc), SB_LEN(crc), SET, 0, FM_COPY_TORN },
	{ "flags flipped", SB_OFF(flags), SB_LEN(flags), FLIP, 0, FM_COPY_TORN },
	{ "flags set", SB_OFF(flags), SB_LEN(flags), SET_RESEAL, 1, FM_COPY_INVALID },
	{ "seq flipped", SB_OFF(seq), SB_LEN(seq), FLIP, 0, FM_COPY_TORN },
	{ "seq 0", SB_OFF(seq), SB_LEN(seq), SET_RESEAL, 0, FM_COPY_INVALID },
	{ "seq max", SB_OFF(seq), SB_LEN(seq), SET_RESEAL, ~0ULL, FM_COPY_VALID },
	{ "uuid flipped", SB_OFF(uuid), SB_LEN(uuid), FLIP, 0, FM_COPY_TORN },
	{ "uuid zero", SB_OFF(uuid), SB_LEN(uuid), SET_RESEAL, 0, FM_COPY_INVALID },
	{ "store_blocks flipped", SB_OFF(store_blocks), SB_LEN(store_blocks),
	  FLIP, 0, FM_COPY_TORN },
	{ "store_blocks = data_block", SB_OFF(store_blocks), SB_LEN(store_blocks),
	  SET_RESEAL, 10, FM_COPY_INVALID },
	{ "store_blocks 0", SB_OFF(store_blocks), SB_LEN(store_blocks),
	  SET_RESEAL, 0, FM_COPY_INVALID },
	{ "store_blocks past max", SB_OFF(store_blocks), SB_LEN(store_blocks),
	  SET_RESEAL, FM_STORE_BLOCKS_MAX + 1,
	  FM_COPY_INVALID },
	{ "store_blocks max", SB_OFF(store_blocks), SB_LEN(store_blocks),
	  SET_RESEAL, FM_STORE_BLOCKS_MAX, FM_COPY_VALID },
	{ "block_size flipped", SB_OFF(block_size), SB_LEN(block_size), FLIP, 0, FM_COPY_TORN },
	{ "block_size 512", SB_OFF(block_size), SB_LEN(block_size),
	  SET_RESEAL, 512, FM_COPY_INVALID },
	{ "slot_count flipped", SB_OFF(slot_count), SB_LEN(slot_count), FLIP, 0, FM_COPY_TORN },
	{ "slot_count 0", SB_OFF(slot_count), SB_LEN(slot_count), SET_RESEAL, 0, FM_COPY_INVALID },
	{ "slot_count 5 (data_block disagrees)", SB_OFF(slot_count), SB_LEN(slot_count),
	  SET_RESEAL, 5,
	  FM_COPY_INVALID },
	{ "slot_count past max", SB_OFF(slot_count), SB_LEN(slot_count),
	  SET_RESEAL, FM_SLOTS_MAX + 1,
	  FM_COPY_INVALID },
	{ "slot_table_block flipped", SB_OFF(slot_table_block), SB_LEN(slot_table_block),
	  FLIP, 0, FM_COPY_TORN },
	{ "slot_table_block 3", SB_OFF(slot_table_block), SB_LEN(slot_table_block),
	  SET_RESEAL, 3, FM_COPY_INVALID },
	{ "data_block flipped", SB_OFF(data_block), SB_LEN(data_block), FLIP, 0, FM_COPY_TORN },
	{ "data_block 11", SB_OFF(data_block), SB_LEN(data_block),
	  SET_RESEAL, 11, FM_COPY_INVALID },
	{ "data_block huge", SB_OFF(data_block), SB_LEN(data_block),
	  SET_RESEAL, ~0ULL, FM_COPY_INVALID },
	{ "format_time flipped", SB_OFF(format_time), SB_LEN(format_time), FLIP, 0, FM_COPY_TORN },
	{ "format_time other", SB_OFF(format_time), SB_LEN(format_time),
	  SET_RESEAL, 1, FM_COPY_VALID },
	{ "reserved[0] flipped", SB_OFF(reserved[0]), SB_LEN(reserved[0]), FLIP, 0, FM_COPY_TORN },
	{ "reserved[0] set", SB_OFF(reserved[0]), SB_LEN(reserved[0]),
	  SET_RESEAL, 1, FM_COPY_INVALID },
	{ "reserved[3] set", SB_OFF(reserved[3]), SB_LEN(reserved[3]),
	  SET_RESEAL, 1ULL << 63, FM_COPY_INVALID },
	{ "byte after the header", sizeof(struct fm_disk_sb), 1, SET, 1, FM_COPY_INVALID },
	{ "last byte of the block", FM_BLOCK_SIZE - 1, 1, SET, 0x80, FM_COPY_INVALID },
};

static void corrupt_desc(const struct corrupt_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->desc);
}

KUNIT_ARRAY_PARAM(fm_format_sb_corrupt, sb_corruptions, corrupt_desc);

static void corrupt(u8 *buf, const struct corrupt_case *c, size_t hdr_len)
{
	if (c->how == FLIP) {
		buf[c->off] ^= 0x01;
		return;
	}
	if (c->how == FILL_RESEAL)
		memset(buf + c->off, (int)c->value, c->size);
	else
		put_le(buf + c->off, c->size, c->value);
	if (c->how != SET)
		reseal(buf, hdr_len);
}

static void fm_format_sb_corrupt(struct kunit *test)
{
	const struct corrupt_case *c = test->param_value;
	u8 *buf = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	struct fm_sb sb, out;
	const char *why = NULL;
	enum fm_copy_state st;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	base_sb(&sb);
	fm_sb_encode(&sb, buf);
	corrupt(buf, c, sizeof(struct fm_disk_sb));
	st = fm_sb_decode(buf, &out, &why);
	KUNIT_EXPECT_EQ_MSG(test, st, c->want, "decoded as %s (%s)",
			    fm_copy_state_name(st), why ? why : "-");
	if (st != FM_COPY_VALID)
		KUNIT_EXPECT_TRUE(test, why && *why);
}

/* Every single-byte change anywhere in the block is detected. */
static void fm_format_sb_every_byte(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	u8 *ref = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	struct fm_sb sb, out;
	unsigned int i, bad = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, ref);
	base_sb(&sb);
	fm_sb_encode(&sb, ref);
	for (i = 0; i < FM_BLOCK_SIZE; i++) {
		memcpy(buf, ref, FM_BLOCK_SIZE);
		buf[i] ^= 0x5a;
		if (fm_sb_decode(buf, &out, NULL) == FM_COPY_VALID)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
}

/* ---------------------------------------------------------------------- */
/* Choosing between two copies. */

enum copy_kind { K_VALID, K_OTHER, K_ZERO, K_TORN, K_FOREIGN, K_VERSION };

struct pick_case {
	const char *desc;
	enum copy_kind a, b;
	u64 seq_a, seq_b;
	enum fm_pair_state want;
	int chosen;
	bool stale;
};

static const struct pick_case pick_cases[] = {
	{ "both valid, B newer", K_VALID, K_VALID, 1, 2, FM_PAIR_OK, 1, true },
	{ "both valid, A newer", K_VALID, K_VALID, 3, 2, FM_PAIR_OK, 0, true },
	{ "identical copies", K_VALID, K_VALID, 5, 5, FM_PAIR_OK, 0, false },
	{ "same seq, other data", K_VALID, K_OTHER, 5, 5, FM_PAIR_CONFLICT, -1, true },
	{ "A valid, B blank", K_VALID, K_ZERO, 1, 0, FM_PAIR_OK, 0, true },
	{ "A blank, B valid", K_ZERO, K_VALID, 0, 1, FM_PAIR_OK, 1, true },
	{ "A torn, B valid older", K_TORN, K_VALID, 9, 8, FM_PAIR_OK, 1, true },
	{ "A valid, B torn", K_VALID, K_TORN, 8, 9, FM_PAIR_OK, 0, true },
	{ "A foreign, B valid", K_FOREIGN, K_VALID, 0, 4, FM_PAIR_OK, 1, true },
	{ "A newer version, B valid", K_VERSION, K_VALID, 0, 4, FM_PAIR_OK, 1, true },
	{ "both blank", K_ZERO, K_ZERO, 0, 0, FM_PAIR_BLANK, -1, true },
	{ "blank and torn", K_ZERO, K_TORN, 0, 2, FM_PAIR_BAD, -1, true },
	{ "both torn", K_TORN, K_TORN, 1, 2, FM_PAIR_BAD, -1, true },
	{ "both foreign", K_FOREIGN, K_FOREIGN, 0, 0, FM_PAIR_BAD, -1, true },
	{ "foreign and blank", K_FOREIGN, K_ZERO, 0, 0, FM_PAIR_BAD, -1, true },
};

static void pick_desc(const struct pick_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->desc);
}

KUNIT_ARRAY_PARAM(fm_format_pick, pick_cases, pick_desc);

static void make_sb_copy(u8 *buf, enum copy_kind k, u64 seq)
{
	struct fm_sb sb;

	base_sb(&sb);
	sb.seq = seq;
	if (k == K_OTHER)
		sb.format_time++;
	fm_sb_encode(&sb, buf);
	if (k == K_ZERO)
		memset(buf, 0, FM_BLOCK_SIZE);
	else if (k == K_TORN)
		buf[100] ^= 0xff;
	else if (k == K_FOREIGN)
		memset(buf, 0x53, 512);
	else if (k == K_VERSION)
		put_le(buf + 8, 4, FM_FORMAT_VERSION + 1);
}

static void fm_format_pick(struct kunit *test)
{
	const struct pick_case *c = test->param_value;
	u8 *a = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	u8 *b = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	struct fm_sb sb;
	struct fm_pick p;
	enum fm_pair_state st;
	u64 next;
	int copy;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	make_sb_copy(a, c->a, c->seq_a);
	make_sb_copy(b, c->b, c->seq_b);
	st = fm_sb_pick(a, b, &sb, &p);
	KUNIT_ASSERT_EQ(test, st, c->want);
	KUNIT_EXPECT_EQ(test, p.chosen, c->chosen);
	if (st != FM_PAIR_OK)
		return;
	KUNIT_EXPECT_EQ(test, p.stale, c->stale);
	KUNIT_EXPECT_EQ(test, sb.seq, c->chosen ? c->seq_b : c->seq_a);
	/* The next write goes to the other copy, with the next seq. */
	copy = fm_next_copy(&p, sb.seq, &next);
	KUNIT_EXPECT_EQ(test, copy, !c->chosen);
	KUNIT_EXPECT_EQ(test, next, sb.seq + 1);
}

static void fm_format_next_copy_blank(struct kunit *test)
{
	struct fm_pick p = { .chosen = -1 };
	u64 next = 0;

	KUNIT_EXPECT_EQ(test, fm_next_copy(&p, 0, &next), 0);
	KUNIT_EXPECT_EQ(test, next, 1ULL);
}

/* ---------------------------------------------------------------------- */
/* Slot headers. */

static void base_slot(struct fm_slot *s)
{
	memset(s, 0, sizeof(*s));
	s->seq = 3;
	s->flags = FM_SLOT_IN_USE | FM_SLOT_ACTIVE;
	s->index = 2;
	s->host_id = 1;
	memcpy(s->name, "vol.0", 5);
	s->region_sectors = 8;
	/* Three bitmap blocks' worth of regions. */
	s->volume_sectors = 3ULL * FM_BITS_PER_BLOCK * 8;
	s->bitmap_block = 10;
	s->bitmap_blocks = 3;
	s->generation = 4;
	s->created = 1764288000;
	s->first_dirtied = 1764288100;
	s->last_dirtied = 1764288200;
	s->offline_since = 1764288150;
	s->counters[FM_CNT_BACKUP_ERRORS] = 1;
	s->counters[FM_CNT_REGIONS_COPIED] = 123456789;
}

static void fm_format_slot_roundtrip(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	struct fm_sb sb;
	struct fm_slot s, out;
	const char *why = NULL;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	base_sb(&sb);
	base_slot(&s);
	fm_slot_encode(&s, &sb, buf);
	KUNIT_EXPECT_EQ(test, buf[offsetof(struct fm_disk_slot, name)], (u8)'v');
	KUNIT_ASSERT_EQ(test, fm_slot_decode(buf, &sb, 2, &out, &why), FM_COPY_VALID);
	KUNIT_EXPECT_EQ(test, memcmp(&out, &s, sizeof(s)), 0);
	/* The same bytes at another index are misplaced. */
	KUNIT_EXPECT_EQ(test, fm_slot_decode(buf, &sb, 3, &out, &why), FM_COPY_INVALID);
	/* A slot of a store with another uuid is foreign. */
	sb.uuid[15] ^= 1;
	KUNIT_EXPECT_EQ(test, fm_slot_decode(buf, &sb, 2, &out, &why), FM_COPY_FOREIGN);
	sb.uuid[15] ^= 1;

	/* A free slot: a valid header with no volume. */
	memset(&s, 0, sizeof(s));
	s.seq = 9;
	s.index = 2;
	s.generation = 5;
	fm_slot_encode(&s, &sb, buf);
	KUNIT_ASSERT_EQ(test, fm_slot_decode(buf, &sb, 2, &out, &why), FM_COPY_VALID);
	KUNIT_EXPECT_EQ(test, out.flags, 0U);
	KUNIT_EXPECT_EQ(test, out.generation, 5ULL);

	/* A volume as large as the format allows, in a store big enough. */
	base_slot(&s);
	s.volume_sectors = FM_VOLUME_SECTORS_MAX;
	s.bitmap_blocks = fm_bitmap_blocks_needed(s.volume_sectors, 8);
	sb.store_blocks = s.bitmap_block + s.bitmap_blocks;
	fm_slot_encode(&s, &sb, buf);
	KUNIT_EXPECT_EQ(test, fm_slot_decode(buf, &sb, 2, &out, &why), FM_COPY_VALID);
	sb.store_blocks--;
	KUNIT_EXPECT_EQ(test, fm_slot_decode(buf, &sb, 2, &out, &why), FM_COPY_INVALID);
}

#define SL_OFF(f) offsetof(struct fm_disk_slot, f)
#define SL_LEN(f) sizeof_field(struct fm_disk_slot, f)
#define SLOT_NAME offsetof(struct fm_disk_slot, name)

static const struct corrupt_case slot_corruptions[] = {
	{ "magic flipped", SL_OFF(magic), SL_LEN(magic), FLIP, 0, FM_COPY_FOREIGN },
	{ "magic of a superblock", SL_OFF(magic), SL_LEN(magic),
	  SET_RESEAL, FM_SB_MAGIC, FM_COPY_FOREIGN },
	{ "version flipped", SL_OFF(version), SL_LEN(version), FLIP, 0, FM_COPY_VERSION },
	{ "version 2", SL_OFF(version), SL_LEN(version), SET_RESEAL, 2, FM_COPY_VERSION },
	{ "hdr_len flipped", SL_OFF(hdr_len), SL_LEN(hdr_len), FLIP, 0, FM_COPY_INVALID },
	{ "hdr_len of a superblock", SL_OFF(hdr_len), SL_LEN(hdr_len),
	  SET, sizeof(struct fm_disk_sb),
	  FM_COPY_INVALID },
	{ "crc flipped", SL_OFF(crc), SL_LEN(crc), FLIP, 0, FM_COPY_TORN },
	{ "flags flipped", SL_OFF(flags), SL_LEN(flags), FLIP, 0, FM_COPY_TORN },
	{ "flags unknown", SL_OFF(flags), SL_LEN(flags),
	  SET_RESEAL, FM_SLOT_IN_USE | (1U << 5), FM_COPY_INVALID },
	{ "flags free, fields kept", SL_OFF(flags), SL_LEN(flags), SET_RESEAL, 0, FM_COPY_INVALID },
	{ "flags in use, clean", SL_OFF(flags), SL_LEN(flags),
	  SET_RESEAL, FM_SLOT_IN_USE, FM_COPY_VALID },
	{ "flags full resync", SL_OFF(flags), SL_LEN(flags),
	  SET_RESEAL, FM_SLOT_FLAGS_KNOWN, FM_COPY_VALID },
	{ "seq flipped", SL_OFF(seq), SL_LEN(seq), FLIP, 0, FM_COPY_TORN },
	{ "seq 0", SL_OFF(seq), SL_LEN(seq), SET_RESEAL, 0, FM_COPY_INVALID },
	{ "store_uuid flipped", SL_OFF(store_uuid), SL_LEN(store_uuid), FLIP, 0, FM_COPY_TORN },
	{ "store_uuid other", SL_OFF(store_uuid), SL_LEN(store_uuid),
	  SET_RESEAL, 0x1234, FM_COPY_FOREIGN },
	{ "index flipped", SL_OFF(index), SL_LEN(index), FLIP, 0, FM_COPY_TORN },
	{ "index other", SL_OFF(index), SL_LEN(index), SET_RESEAL, 3, FM_COPY_INVALID },
	{ "host_id flipped", SL_OFF(host_id), SL_LEN(host_id), FLIP, 0, FM_COPY_TORN },
	{ "host_id other", SL_OFF(host_id), SL_LEN(host_id),
	  SET_RESEAL, 0xffffffff, FM_COPY_VALID },
	{ "name flipped", SL_OFF(name), SL_LEN(name), FLIP, 0, FM_COPY_TORN },
	{ "name empty", SLOT_NAME, 1, SET_RESEAL, 0, FM_COPY_INVALID },
	{ "name starts with '-'", SLOT_NAME, 1, SET_RESEAL, '-', FM_COPY_INVALID },
	{ "name with '/'", SLOT_NAME + 1, 1, SET_RESEAL, '/', FM_COPY_INVALID },
	{ "name with a high byte", SLOT_NAME + 2, 1, SET_RESEAL, 0xc3, FM_COPY_INVALID },
	{ "byte after the name's end", SLOT_NAME + 10, 1, SET_RESEAL, 'x', FM_COPY_INVALID },
	{ "name of 64 bytes", SLOT_NAME + 5, 59, FILL_RESEAL, 'a', FM_COPY_VALID },
	{ "last name byte", SLOT_NAME + 63, 1, SET_RESEAL, 'z', FM_COPY_INVALID },
	{ "region_sectors flipped", SL_OFF(region_sectors), SL_LEN(region_sectors),
	  FLIP, 0, FM_COPY_TORN },
	{ "region_sectors 4", SL_OFF(region_sectors), SL_LEN(region_sectors),
	  SET_RESEAL, 4, FM_COPY_INVALID },
	{ "region_sectors 12", SL_OFF(region_sectors), SL_LEN(region_sectors),
	  SET_RESEAL, 12, FM_COPY_INVALID },
	{ "region_sectors 2^18", SL_OFF(region_sectors), SL_LEN(region_sectors),
	  SET_RESEAL, 1U << 18, FM_COPY_INVALID },
	{ "region_sectors 2^17", SL_OFF(region_sectors), SL_LEN(region_sectors),
	  SET_RESEAL, 1U << 17, FM_COPY_VALID },
	{ "region_sectors 0", SL_OFF(region_sectors), SL_LEN(region_sectors),
	  SET_RESEAL, 0, FM_COPY_INVALID },
	{ "reserved0 set", SL_OFF(reserved0), SL_LEN(reserved0), SET_RESEAL, 1, FM_COPY_INVALID },
	{ "volume_sectors flipped", SL_OFF(volume_sectors), SL_LEN(volume_sectors),
	  FLIP, 0, FM_COPY_TORN },
	{ "volume_sectors 0", SL_OFF(volume_sectors), SL_LEN(volume_sectors),
	  SET_RESEAL, 0, FM_COPY_INVALID },
	{ "volume_sectors 1", SL_OFF(volume_sectors), SL_LEN(volume_sectors),
	  SET_RESEAL, 1, FM_COPY_VALID },
	{ "volume past its bitmap", SL_OFF(volume_sectors), SL_LEN(volume_sectors), SET_RESEAL,
	  3ULL * FM_BITS_PER_BLOCK * 8 + 1, FM_COPY_INVALID },
	{ "volume past the maximum", SL_OFF(volume_sectors), SL_LEN(volume_sectors), SET_RESEAL,
	  FM_VOLUME_SECTORS_MAX + 1, FM_COPY_INVALID },
	{ "bitmap_block flipped", SL_OFF(bitmap_block), SL_LEN(bitmap_block),
	  FLIP, 0, FM_COPY_TORN },
	{ "bitmap in the slot table", SL_OFF(bitmap_block), SL_LEN(bitmap_block),
	  SET_RESEAL, 9, FM_COPY_INVALID },
	{ "bitmap in the superblock", SL_OFF(bitmap_block), SL_LEN(bitmap_block),
	  SET_RESEAL, 0, FM_COPY_INVALID },
	{ "bitmap past the store", SL_OFF(bitmap_block), SL_LEN(bitmap_block),
	  SET_RESEAL, 1000, FM_COPY_INVALID },
	{ "bitmap ends past the store", SL_OFF(bitmap_block), SL_LEN(bitmap_block),
	  SET_RESEAL, 998, FM_COPY_INVALID },
	{ "bitmap ends at the store's end", SL_OFF(bitmap_block), SL_LEN(bitmap_block),
	  SET_RESEAL, 997, FM_COPY_VALID },
	{ "bitmap_block huge", SL_OFF(bitmap_block), SL_LEN(bitmap_block),
	  SET_RESEAL, ~0ULL, FM_COPY_INVALID },
	{ "bitmap_blocks flipped", SL_OFF(bitmap_blocks), SL_LEN(bitmap_blocks),
	  FLIP, 0, FM_COPY_TORN },
	{ "bitmap_blocks 0", SL_OFF(bitmap_blocks), SL_LEN(bitmap_blocks),
	  SET_RESEAL, 0, FM_COPY_INVALID },
	{ "bitmap_blocks too few", SL_OFF(bitmap_blocks), SL_LEN(bitmap_blocks),
	  SET_RESEAL, 2, FM_COPY_INVALID },
	{ "bitmap_blocks spare", SL_OFF(bitmap_blocks), SL_LEN(bitmap_blocks),
	  SET_RESEAL, 990, FM_COPY_VALID },
	{ "bitmap_blocks past the store", SL_OFF(bitmap_blocks), SL_LEN(bitmap_blocks),
	  SET_RESEAL, 991,
	  FM_COPY_INVALID },
	{ "bitmap_blocks wraps", SL_OFF(bitmap_blocks), SL_LEN(bitmap_blocks),
	  SET_RESEAL, ~0ULL - 5, FM_COPY_INVALID },
	{ "generation flipped", SL_OFF(generation), SL_LEN(generation), FLIP, 0, FM_COPY_TORN },
	{ "generation other", SL_OFF(generation), SL_LEN(generation),
	  SET_RESEAL, ~0ULL, FM_COPY_VALID },
	{ "created flipped", SL_OFF(created), SL_LEN(created), FLIP, 0, FM_COPY_TORN },
	{ "first_dirtied flipped", SL_OFF(first_dirtied), SL_LEN(first_dirtied),
	  FLIP, 0, FM_COPY_TORN },
	{ "last_dirtied flipped", SL_OFF(last_dirtied), SL_LEN(last_dirtied),
	  FLIP, 0, FM_COPY_TORN },
	{ "offline_since flipped", SL_OFF(offline_since), SL_LEN(offline_since),
	  FLIP, 0, FM_COPY_TORN },
	{ "offline_since 0", SL_OFF(offline_since), SL_LEN(offline_since),
	  SET_RESEAL, 0, FM_COPY_VALID },
	{ "counters[0] flipped", SL_OFF(counters[0]), SL_LEN(counters[0]), FLIP, 0, FM_COPY_TORN },
	{ "counters[7] flipped", SL_OFF(counters[7]), SL_LEN(counters[7]), FLIP, 0, FM_COPY_TORN },
	{ "counters[7] other", SL_OFF(counters[7]), SL_LEN(counters[7]),
	  SET_RESEAL, 77, FM_COPY_VALID },
	{ "reserved[0] flipped", SL_OFF(reserved[0]), SL_LEN(reserved[0]), FLIP, 0, FM_COPY_TORN },
	{ "reserved[0] set", SL_OFF(reserved[0]), SL_LEN(reserved[0]),
	  SET_RESEAL, 1, FM_COPY_INVALID },
	{ "reserved[3] set", SL_OFF(reserved[3]), SL_LEN(reserved[3]),
	  SET_RESEAL, 1, FM_COPY_INVALID },
	{ "byte after the header", sizeof(struct fm_disk_slot), 1, SET, 1, FM_COPY_INVALID },
	{ "last byte of the block", FM_BLOCK_SIZE - 1, 1, SET, 1, FM_COPY_INVALID },
};

KUNIT_ARRAY_PARAM(fm_format_slot_corrupt, slot_corruptions, corrupt_desc);

static void fm_format_slot_corrupt(struct kunit *test)
{
	const struct corrupt_case *c = test->param_value;
	u8 *buf = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	struct fm_sb sb;
	struct fm_slot s, out;
	const char *why = NULL;
	enum fm_copy_state st;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	base_sb(&sb);
	base_slot(&s);
	fm_slot_encode(&s, &sb, buf);
	corrupt(buf, c, sizeof(struct fm_disk_slot));
	st = fm_slot_decode(buf, &sb, 2, &out, &why);
	KUNIT_EXPECT_EQ_MSG(test, st, c->want, "decoded as %s (%s)",
			    fm_copy_state_name(st), why ? why : "-");
	if (st != FM_COPY_VALID)
		KUNIT_EXPECT_TRUE(test, why && *why);
}

static void fm_format_slot_every_byte(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	u8 *ref = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	struct fm_sb sb;
	struct fm_slot s, out;
	unsigned int i, bad = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, ref);
	base_sb(&sb);
	base_slot(&s);
	fm_slot_encode(&s, &sb, ref);
	for (i = 0; i < FM_BLOCK_SIZE; i++) {
		memcpy(buf, ref, FM_BLOCK_SIZE);
		buf[i] ^= 0x81;
		if (fm_slot_decode(buf, &sb, 2, &out, NULL) == FM_COPY_VALID)
			bad++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0U);
}

static void fm_format_slot_pick(struct kunit *test)
{
	u8 *a = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	u8 *b = kunit_kzalloc(test, FM_BLOCK_SIZE, GFP_KERNEL);
	struct fm_sb sb;
	struct fm_slot s, out;
	struct fm_pick p;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	base_sb(&sb);
	base_slot(&s);
	fm_slot_encode(&s, &sb, a);
	s.seq++;
	s.offline_since = 0;
	fm_slot_encode(&s, &sb, b);
	KUNIT_ASSERT_EQ(test, fm_slot_pick(a, b, &sb, 2, &out, &p), FM_PAIR_OK);
	KUNIT_EXPECT_EQ(test, p.chosen, 1);
	KUNIT_EXPECT_EQ(test, out.offline_since, 0ULL);
	/* A torn rewrite of B leaves A, the older state, in force. */
	b[200] ^= 1;
	KUNIT_ASSERT_EQ(test, fm_slot_pick(a, b, &sb, 2, &out, &p), FM_PAIR_OK);
	KUNIT_EXPECT_EQ(test, p.chosen, 0);
	KUNIT_EXPECT_EQ(test, p.copy[1], FM_COPY_TORN);
	KUNIT_EXPECT_EQ(test, out.offline_since, 1764288150ULL);
	/* Same seq, different data: neither can be trusted over the other. */
	base_slot(&s);
	s.host_id = 9;
	fm_slot_encode(&s, &sb, b);
	KUNIT_EXPECT_EQ(test, fm_slot_pick(a, b, &sb, 2, &out, &p), FM_PAIR_CONFLICT);
	memset(a, 0, FM_BLOCK_SIZE);
	memset(b, 0, FM_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, fm_slot_pick(a, b, &sb, 2, &out, &p), FM_PAIR_BLANK);
}

/* ---------------------------------------------------------------------- */
/* Extents of the bitmap area. */

static void fm_format_extents(struct kunit *test)
{
	struct fm_layout l;
	struct fm_extent e[4];
	u32 x = 0, y = 0;
	u64 start = 0;

	KUNIT_ASSERT_EQ(test, fm_layout_compute(100, 4, &l), 0);
	KUNIT_ASSERT_EQ(test, l.data_block, 10ULL);

	/* Empty area: the first fit is the area's start; too big fails. */
	KUNIT_EXPECT_EQ(test, fm_extent_alloc(e, 0, &l, 90, &start), 0);
	KUNIT_EXPECT_EQ(test, start, 10ULL);
	KUNIT_EXPECT_EQ(test, fm_extent_alloc(e, 0, &l, 91, &start), -ENOSPC);
	KUNIT_EXPECT_EQ(test, fm_extent_alloc(e, 0, &l, 0, &start), -EINVAL);

	/* Unsorted, adjacent, with gaps of 5 and 20 blocks at the end. */
	e[0] = (struct fm_extent){ .start = 30, .len = 10, .owner = 0 };
	e[1] = (struct fm_extent){ .start = 10, .len = 15, .owner = 1 };
	e[2] = (struct fm_extent){ .start = 40, .len = 40, .owner = 2 };
	KUNIT_ASSERT_EQ(test, fm_extents_check(e, 3, &l, &x, &y), 0);
	KUNIT_EXPECT_EQ(test, e[0].owner, 1U);
	KUNIT_EXPECT_EQ(test, fm_extent_alloc(e, 3, &l, 5, &start), 0);
	KUNIT_EXPECT_EQ(test, start, 25ULL);
	KUNIT_EXPECT_EQ(test, fm_extent_alloc(e, 3, &l, 6, &start), 0);
	KUNIT_EXPECT_EQ(test, start, 80ULL);
	KUNIT_EXPECT_EQ(test, fm_extent_alloc(e, 3, &l, 20, &start), 0);
	KUNIT_EXPECT_EQ(test, start, 80ULL);
	KUNIT_EXPECT_EQ(test, fm_extent_alloc(e, 3, &l, 21, &start), -ENOSPC);

	/* Overlap by one block. */
	e[0] = (struct fm_extent){ .start = 10, .len = 11, .owner = 5 };
	e[1] = (struct fm_extent){ .start = 20, .len = 1, .owner = 6 };
	KUNIT_EXPECT_EQ(test, fm_extents_check(e, 2, &l, &x, &y), -EUCLEAN);
	KUNIT_EXPECT_EQ(test, x, 5U);
	KUNIT_EXPECT_EQ(test, y, 6U);
	/* Two extents at the same start. */
	e[0] = (struct fm_extent){ .start = 50, .len = 1, .owner = 1 };
	e[1] = (struct fm_extent){ .start = 50, .len = 1, .owner = 2 };
	KUNIT_EXPECT_EQ(test, fm_extents_check(e, 2, &l, &x, &y), -EUCLEAN);
	/* Outside the data area, either side. */
	e[0] = (struct fm_extent){ .start = 9, .len = 1, .owner = 3 };
	KUNIT_EXPECT_EQ(test, fm_extents_check(e, 1, &l, &x, &y), -EUCLEAN);
	KUNIT_EXPECT_EQ(test, x, 3U);
	e[0] = (struct fm_extent){ .start = 99, .len = 2, .owner = 3 };
	KUNIT_EXPECT_EQ(test, fm_extents_check(e, 1, &l, &x, &y), -EUCLEAN);
	e[0] = (struct fm_extent){ .start = 99, .len = ~0ULL, .owner = 3 };
	KUNIT_EXPECT_EQ(test, fm_extents_check(e, 1, &l, &x, &y), -EUCLEAN);
	e[0] = (struct fm_extent){ .start = 99, .len = 1, .owner = 3 };
	KUNIT_EXPECT_EQ(test, fm_extents_check(e, 1, &l, &x, &y), 0);
}

static struct kunit_case fm_format_cases[] = {
	KUNIT_CASE(fm_format_crc32c_vectors),
	KUNIT_CASE_PARAM(fm_format_layout, fm_format_layout_gen_params),
	KUNIT_CASE(fm_format_names),
	KUNIT_CASE(fm_format_sizes),
	KUNIT_CASE(fm_format_sb_roundtrip),
	KUNIT_CASE_PARAM(fm_format_sb_corrupt, fm_format_sb_corrupt_gen_params),
	KUNIT_CASE(fm_format_sb_every_byte),
	KUNIT_CASE_PARAM(fm_format_pick, fm_format_pick_gen_params),
	KUNIT_CASE(fm_format_next_copy_blank),
	KUNIT_CASE(fm_format_slot_roundtrip),
	KUNIT_CASE_PARAM(fm_format_slot_corrupt, fm_format_slot_corrupt_gen_params),
	KUNIT_CASE(fm_format_slot_every_byte),
	KUNIT_CASE(fm_format_slot_pick),
	KUNIT_CASE(fm_format_extents),
	{}
};

static struct kunit_suite fm_format_suite = {
	.name = "fm_format",
	.test_cases = fm_format_cases,
};

kunit_test_suite(fm_format_suite);

MODULE_DESCRIPTION("KUnit tests of the forkmirror tracker's on-media codec");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(FORKMIRROR);
