// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the fuzzer's seed corpus: small store images, valid and
 * corrupted in each way the codec must tell apart, made with the codec's
 * own encoders. Usage: mkseeds DIR. The output is checked in under
 * tests/fuzz/corpus; `make -C tests/fuzz seeds` regenerates it.
 */
#include <forkmirror/format.h>
#include <stdio.h>

#define MAXB 16

static u8 img[MAXB * FM_BLOCK_SIZE];
static struct fm_sb sb;
static const char *outdir;

static u8 *blk(u64 nr)
{
	return img + nr * FM_BLOCK_SIZE;
}

static void base(u64 store_blocks, u32 slots)
{
	static const u8 uuid[16] = "forkmirror-seed";

	memset(img, 0, sizeof(img));
	memset(&sb, 0, sizeof(sb));
	sb.seq = 1;
	memcpy(sb.uuid, uuid, sizeof(sb.uuid));
	sb.store_blocks = store_blocks;
	sb.slot_count = slots;
	sb.format_time = 1764288000;
	fm_sb_encode(&sb, blk(0));
	fm_sb_encode(&sb, blk(1));
}

static void slot(u32 index, const char *name, u32 host, u64 vol_sectors,
		 u32 rs, u64 bm_block, u64 bm_blocks, u64 seq, int copies)
{
	struct fm_slot s;

	memset(&s, 0, sizeof(s));
	s.seq = seq;
	s.index = index;
	if (name) {
		s.flags = FM_SLOT_IN_USE;
		s.host_id = host;
		strncpy(s.name, name, FM_NAME_MAX);
		s.volume_sectors = vol_sectors;
		s.region_sectors = rs;
		s.bitmap_block = bm_block;
		s.bitmap_blocks = bm_blocks;
		s.generation = 1;
		s.created = 1764288000;
	}
	if (copies & 1)
		fm_slot_encode(&s, &sb, blk(2 + 2 * index));
	if (copies & 2) {
		s.seq++;
		s.offline_since = name ? 1764289000 : 0;
		fm_slot_encode(&s, &sb, blk(3 + 2 * index));
	}
}

/* Each image twice: as is, and with the fuzzer's reseal-mode byte. */
static void out(const char *name, u64 blocks)
{
	char path[512];
	int resealed;
	FILE *f;

	for (resealed = 0; resealed < 2; resealed++) {
		snprintf(path, sizeof(path), "%s/%s%s", outdir, name,
			 resealed ? "-resealed" : "");
		f = fopen(path, "wb");
		if (!f || fwrite(img, FM_BLOCK_SIZE, blocks, f) != blocks ||
		    (resealed && fputc(1, f) == EOF) || fclose(f)) {
			perror(path);
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	outdir = argv[1];

	/* One volume of one bitmap block, a few dirty regions. */
	base(8, 2);
	slot(0, "vol0", 0, 32768ULL * 8, 8, 6, 1, 1, 3);
	blk(6)[0] = 0x81;
	blk(6)[4095] = 0x80;
	out("valid-one-slot", 8);

	/* Three slots: in use, deleted, in use with a partial last region
	 * and garbage bits past it; a spare block at the end.
	 */
	base(12, 3);
	slot(0, "a", 0, 800, 8, 8, 1, 4, 3);
	slot(1, NULL, 0, 0, 0, 0, 0, 2, 3);
	slot(2, "b.2-x_", 7, 32768ULL * 16 + 9, 16, 9, 2, 1, 3);
	blk(8)[12] = 0xff;
	blk(10)[0] = 0x01;
	blk(10)[1] = 0xf0;
	out("valid-three-slots", 12);

	/* The same with one copy of each pair damaged, as a torn write. */
	blk(0)[40] ^= 0x10;
	blk(3)[70] ^= 0x01;
	blk(6)[0] = 0x33;
	out("torn-copies", 12);

	/* Slot copies with the same sequence number and other data. */
	base(8, 2);
	slot(0, "vol0", 0, 64, 8, 6, 1, 5, 1);
	slot(0, "vol0", 1, 64, 8, 6, 1, 4, 2);
	out("conflicting-slot", 8);

	/* Two volumes whose bitmaps overlap; two with one name and host. */
	base(10, 2);
	slot(0, "v1", 0, 32768ULL * 16, 8, 6, 2, 1, 3);
	slot(1, "v2", 0, 64, 8, 7, 1, 1, 3);
	out("overlapping-extents", 10);
	base(10, 2);
	slot(0, "same", 3, 64, 8, 6, 1, 1, 3);
	slot(1, "same", 3, 64, 8, 7, 1, 1, 3);
	out("duplicate-name", 10);
	slot(1, "same", 4, 64, 8, 7, 1, 1, 3);
	out("same-name-other-host", 10);

	/* A store that claims more blocks than its device has. */
	base(16, 2);
	slot(0, "vol0", 0, 64, 8, 6, 1, 1, 3);
	out("device-shrunk", 8);

	/* A superblock of an unknown version; something foreign; blank. */
	base(8, 2);
	blk(0)[8] = 2;
	blk(1)[8] = 2;
	out("unknown-version", 8);
	memset(img, 0, sizeof(img));
	memcpy(blk(0) + 1024, "\x53\xef", 2);
	memset(blk(0) + 1080, 0x42, 16);
	out("foreign-ext4-like", 8);
	memset(img, 0, sizeof(img));
	out("blank", 2);
	return 0;
}
