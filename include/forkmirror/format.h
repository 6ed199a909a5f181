/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracker store's on-media codec: encode, decode and validate the
 * superblock and slot headers, choose the newer valid copy of a pair, and
 * compute where everything lives.  Pure functions over caller-provided
 * buffers: no I/O, no locks, no allocation; callable from any context.
 * Built into the tracker module and into userspace (see shim.h).
 *
 * Every byte handed to a decoder is untrusted.  A decoder never reads more
 * than FM_BLOCK_SIZE bytes of its block and says why it refused one.
 */
#ifndef FORKMIRROR_FORMAT_H
#define FORKMIRROR_FORMAT_H

#include <forkmirror/shim.h>
#include <uapi/linux/dm-forkmirror.h>

/* What one copy of a superblock or slot header holds. */
enum fm_copy_state {
	FM_COPY_VALID,		/* decoded and self-consistent */
	FM_COPY_ZERO,		/* all zero: never written */
	FM_COPY_FOREIGN,	/* not ours: wrong magic, or another store's */
	FM_COPY_VERSION,	/* ours, but a format version we do not know */
	FM_COPY_TORN,		/* checksum mismatch: torn or corrupted */
	FM_COPY_INVALID,	/* checksum fine, a field impossible */
};

/* What a pair of copies holds, once the newer valid one is chosen. */
enum fm_pair_state {
	FM_PAIR_OK,		/* at least one valid copy; the newer chosen */
	FM_PAIR_BLANK,		/* both copies all zero */
	FM_PAIR_BAD,		/* no valid copy and not both zero */
	FM_PAIR_CONFLICT,	/* two valid copies, same seq, different data */
};

const char *fm_copy_state_name(enum fm_copy_state s);
const char *fm_pair_state_name(enum fm_pair_state s);

/* A decoded superblock, in CPU byte order. */
struct fm_sb {
	u64 seq;
	u8 uuid[16];
	u64 store_blocks;
	u32 slot_count;
	u64 format_time;
};

/* A decoded slot header, in CPU byte order. name is NUL-terminated. */
struct fm_slot {
	u64 seq;
	u32 flags;
	u32 index;
	u32 host_id;
	char name[FM_NAME_MAX + 1];
	u32 region_sectors;
	u64 volume_sectors;
	u64 bitmap_block;
	u64 bitmap_blocks;
	u64 generation;
	u64 created;
	u64 first_dirtied;
	u64 last_dirtied;
	u64 offline_since;
	u64 counters[FM_CNT_NR];
};

/* Result of choosing between copies A (0) and B (1). */
struct fm_pick {
	enum fm_copy_state copy[2];
	const char *why[2];	/* static text: why a copy is not valid */
	int chosen;		/* 0 or 1 when FM_PAIR_OK, else -1 */
	bool stale;		/* the other copy is not identical: rewrite it */
};

/* Layout: where every structure of a store lives, in blocks. */
struct fm_layout {
	u64 store_blocks;
	u32 slot_count;
	u64 slot_table_block;
	u64 data_block;
};

int fm_layout_compute(u64 store_blocks, u32 slot_count, struct fm_layout *l);
void fm_layout_from_sb(const struct fm_sb *sb, struct fm_layout *l);

static inline u64 fm_sb_block(int copy)
{
	return copy;
}

static inline u64 fm_slot_block(const struct fm_layout *l, u32 index, int copy)
{
	return l->slot_table_block + 2 * (u64)index + copy;
}

bool fm_name_valid(const char *name, size_t len);
u64 fm_region_count(u64 volume_sectors, u32 region_sectors);
u64 fm_bitmap_blocks_needed(u64 volume_sectors, u32 region_sectors);

/* Superblock. buf is one FM_BLOCK_SIZE block. */
void fm_sb_encode(const struct fm_sb *sb, void *buf);
enum fm_copy_state fm_sb_decode(const void *buf, struct fm_sb *sb,
				const char **why);
enum fm_pair_state fm_sb_pick(const void *a, const void *b, struct fm_sb *sb,
			      struct fm_pick *pick);

/* Slot header. The store's superblock gives its uuid and layout. */
void fm_slot_encode(const struct fm_slot *slot, const struct fm_sb *sb,
		    void *buf);
enum fm_copy_state fm_slot_decode(const void *buf, const struct fm_sb *sb,
				  u32 index, struct fm_slot *slot,
				  const char **why);
enum fm_pair_state fm_slot_pick(const void *a, const void *b,
				const struct fm_sb *sb, u32 index,
				struct fm_slot *slot, struct fm_pick *pick);

/*
 * Which copy to write next for a pair whose pick is given, and its seq:
 * always the copy not chosen, so that the chosen one survives a torn
 * write.  For a blank or bad pair, copy A with seq 1.
 */
int fm_next_copy(const struct fm_pick *pick, u64 cur_seq, u64 *next_seq);

/* A bitmap extent of the data area, for allocation and overlap checks. */
struct fm_extent {
	u64 start;
	u64 len;
	u32 owner;	/* slot index */
};

/*
 * Sort ext[] by start and check that no two extents overlap and all lie
 * in the data area.  Returns 0, or -EUCLEAN with *bad_a and *bad_b set to
 * the owners of the first offending pair (the same for an extent outside
 * the data area).
 */
int fm_extents_check(struct fm_extent *ext, u32 n, const struct fm_layout *l,
		     u32 *bad_a, u32 *bad_b);

/*
 * First fit of len blocks in the data area around the sorted, checked
 * extents ext[]. Returns 0 and *start, or -ENOSPC.
 */
int fm_extent_alloc(const struct fm_extent *ext, u32 n,
		    const struct fm_layout *l, u64 len, u64 *start);

/*
 * Reading a whole store: a block reader the caller provides (the tracker's
 * DAX or dm-bufio backend, the tool's pread, the fuzzer's buffer).
 * get() returns FM_BLOCK_SIZE readable bytes of block nr, or NULL on an
 * I/O error; put() releases them.
 */
struct fm_reader {
	const void *(*get)(void *ctx, u64 nr);
	void (*put)(void *ctx, const void *buf);
	void *ctx;
	u64 dev_blocks;		/* the device's size in blocks */
};

/* What fm_store_read_sb() found. */
struct fm_store_sb {
	enum fm_pair_state state;
	struct fm_pick pick;
	struct fm_sb sb;
	struct fm_layout layout;
};

/*
 * Read and choose the superblock. Returns 0 with st->state FM_PAIR_OK (a
 * usable store) or FM_PAIR_BLANK (both copies all zero: may be formatted);
 * -EIO on a read error; -EUCLEAN for anything else, *why saying what.
 */
int fm_store_read_sb(const struct fm_reader *r, struct fm_store_sb *st,
		     const char **why);

/*
 * Read and choose the header of slot index of a store whose superblock
 * was read. Returns 0 with *state FM_PAIR_OK (slot decoded: in use or
 * free) or FM_PAIR_BLANK (never written); -EIO; -EUCLEAN when neither copy
 * is valid or the copies conflict, *why saying what.
 */
int fm_store_read_slot(const struct fm_reader *r, const struct fm_store_sb *st,
		       u32 index, struct fm_slot *slot, struct fm_pick *pick,
		       const char **why);

/*
 * Cross-slot consistency of the in-use slots slot[0..n): no two share
 * (name, host id), no two bitmap extents overlap. Returns 0, -ENOMEM, or
 * -EUCLEAN with *bad_a and *bad_b the indexes of an offending pair and
 * *why the rule. May sleep (allocates).
 */
int fm_store_check_slots(const struct fm_slot *slot, u32 n,
			 const struct fm_layout *l, u32 *bad_a, u32 *bad_b,
			 const char **why);

#endif /* FORKMIRROR_FORMAT_H */
