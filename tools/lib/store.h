/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pure part of `forkmirror store`: read a whole tracker store through
 * a struct fm_reader (the codec of tracking/format.c does every decode)
 * and list what is wrong with it; plan a format and a slot delete exactly
 * as the tracker does them on media; small text helpers. No I/O of its
 * own: tools/cmd-store.c brings a pread()-backed reader and does the
 * writes, tools/tests/test-store.c a memory-backed one.
 *
 * Every byte read is untrusted: a header is only believed once the codec
 * accepted it, and every block read is bounds-checked against the layout
 * and the device's size before it is asked for.
 */
#ifndef FORKMIRROR_TOOL_STORE_H
#define FORKMIRROR_TOOL_STORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <forkmirror/format.h>

/* What a problem is about, for the JSON "scope" key. */
enum fm_scope {
	FM_SCOPE_DEVICE,	/* the device as a whole */
	FM_SCOPE_SUPERBLOCK,
	FM_SCOPE_SLOT,		/* one slot's header pair */
	FM_SCOPE_SLOTS,		/* two slots against each other */
	FM_SCOPE_BITMAP,	/* a slot's bitmap blocks */
};

const char *fm_scope_name(enum fm_scope s);

#define FM_NONE64 UINT64_MAX	/* "no slot" / "no block" in a problem */

struct fm_problem {
	enum fm_scope scope;
	u64 slot;		/* slot index, or FM_NONE64 */
	u64 other_slot;		/* the other slot of a cross-slot problem */
	u64 block;		/* the block concerned, or FM_NONE64 */
	char *text;		/* one line, no newline; malloc'ed */
};

/* One copy of a header, as the codec classified it. */
struct fm_copy_info {
	enum fm_copy_state state;
	const char *why;	/* static text, NULL when valid */
	bool has_seq;		/* valid: seq is the copy's */
	u64 seq;
};

/* How a slot's header pair was found. */
enum fm_slot_kind {
	FM_SLOT_BLANK,		/* both copies all zero: never used */
	FM_SLOT_USED,		/* a copy chosen, FM_SLOT_IN_USE set */
	FM_SLOT_DELETED,	/* a copy chosen, FM_SLOT_IN_USE clear */
	FM_SLOT_BROKEN,		/* no copy usable: bad or conflicting pair */
	FM_SLOT_OUTSIDE,	/* its header blocks are past the device's end */
				/* (names: "blank", "in_use", "deleted",
				 * "damaged", "outside_device") */
};

const char *fm_slot_kind_name(enum fm_slot_kind k);

struct fm_scan_slot {
	enum fm_slot_kind kind;
	enum fm_pair_state pair;	/* when read */
	const char *why;		/* why the pair is refused, or NULL */
	struct fm_pick pick;
	struct fm_copy_info copy[2];
	struct fm_slot slot;		/* the chosen copy, decoded */

	/* Its bitmap, for an in-use slot when bitmaps were scanned. */
	bool bitmap_scanned;
	u64 region_count;
	u64 dirty;		/* set bits of regions 0 .. region_count - 1 */
	u64 past_end;		/* set bits past the last region in its blocks */
	u64 spare_bits;		/* set bits in extent blocks past the bitmap's */
	u64 bad_blocks;		/* blocks holding bits of either kind */
	u64 first_bad_block;	/* the first of them, or FM_NONE64 */
};

/* What fm_scan_store() reads. */
#define FM_SCAN_SLOTS	(1U << 0)	/* every slot header pair */
#define FM_SCAN_BITMAPS	(1U << 1)	/* and every in-use slot's bitmap */

struct fm_scan {
	u64 dev_blocks;

	/* Superblock: fm_store_read_sb()'s verdict, and each copy. */
	int sb_ret;			/* 0 or -EUCLEAN; -EIO aborts the scan */
	const char *sb_why;		/* why it is refused, or NULL */
	struct fm_store_sb st;
	bool sb_copies_read;		/* false: device under two blocks */
	struct fm_copy_info sb_copy[2];
	bool sb_usable;			/* a copy chosen (state FM_PAIR_OK) */

	/* Slots: slot_count entries once the superblock is usable. */
	u32 nslots;
	struct fm_scan_slot *slots;
	u32 n_used, n_deleted, n_blank, n_broken;

	struct fm_problem *problems;
	size_t nproblems, cap;

	/* An I/O error: the block that could not be read. */
	u64 io_block;
};

/*
 * fm_scan_store() - read a store and list every inconsistency
 * @r: the reader; r->dev_blocks is the device's size
 * @what: FM_SCAN_* flags
 * @sc: filled in; free with fm_scan_free() whatever the return
 *
 * Returns 0 (sc->problems lists what is wrong, nothing when the store is
 * clean), -EIO when a block could not be read (sc->io_block), -ENOMEM.
 * A blank device is "clean" as far as the codec goes but not a store: it
 * gets the problem "blank: not a store".
 */
int fm_scan_store(const struct fm_reader *r, unsigned int what,
		  struct fm_scan *sc);
void fm_scan_free(struct fm_scan *sc);

/*
 * Read the bitmap of in-use slot @i of a scan (FM_SCAN_SLOTS) into its
 * dirty, past_end, spare_bits, ... and add its problems. 0, -EIO
 * (sc->io_block), -ENOMEM, -EINVAL for a slot not in use.
 */
int fm_scan_bitmap(const struct fm_reader *r, struct fm_scan *sc, u32 i);

/* Add a problem (printf format); -ENOMEM when it could not be added. */
int fm_scan_problem(struct fm_scan *sc, enum fm_scope scope, u64 slot,
		    u64 other_slot, u64 block, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * What the first two blocks of a device hold, for the format prompt: "a
 * forkmirror store with K slots in use", "a damaged forkmirror store",
 * "unknown data"... into @buf. @sc is a scan with FM_SCAN_SLOTS.
 */
void fm_scan_describe(const struct fm_scan *sc, char *buf, size_t len);

/* The in-use slots of (name, host id): up to @max indexes into @idx. */
u32 fm_scan_find(const struct fm_scan *sc, const char *name, u32 host_id,
		 u32 *idx, u32 max);

/*
 * fm_format_plan() - the superblock the tracker writes when it formats
 * @dev_blocks: the device's size in blocks
 * @slot_count: slots (the tracker formats FM_SLOTS_DEFAULT)
 * @uuid: 16 random bytes, made an RFC 4122 version 4 uuid here
 * @now: Unix seconds
 * @sb, @l: filled in
 * @why: set on failure
 *
 * The store covers min(@dev_blocks, FM_STORE_BLOCKS_MAX) blocks. Writing
 * it: zero blocks l->slot_table_block .. l->data_block - 1 and flush,
 * then fm_sb_encode(@sb) to block 0 and flush, then to block 1 and flush.
 * Returns 0, -EINVAL or -ENOSPC.
 */
int fm_format_plan(u64 dev_blocks, u32 slot_count, u8 uuid[16], u64 now,
		   struct fm_sb *sb, struct fm_layout *l, const char **why);

/*
 * fm_delete_plan() - the header block that deletes slot @index on media
 * @sc: a scan in which the slot was read
 * @index: the slot
 * @buf: FM_BLOCK_SIZE bytes: the encoded header
 * @block: the block to write it to
 * @seq: its sequence number
 *
 * As the tracker's fm_store_delete_slot(): a header without
 * FM_SLOT_IN_USE, every volume field zero, the generation kept, written
 * to the copy fm_next_copy() names with the next sequence number.
 * Returns 0, or -EINVAL when the slot has no chosen copy.
 */
int fm_delete_plan(const struct fm_scan *sc, u32 index, void *buf,
		   u64 *block, u64 *seq);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into @buf (37 bytes). */
void fm_uuid_str(const u8 uuid[16], char buf[37]);

/*
 * FM_SLOT_* names joined by ',' ("in_use,active"), unknown bits as 0x%x,
 * "-" for none, into @buf.
 */
void fm_slot_flags_str(u32 flags, char *buf, size_t len);
/* The name of flag bit @bit, or NULL when unknown. */
const char *fm_slot_flag_name(unsigned int bit);

/* The name of counter @i (FM_CNT_*; "reserved_6" and "reserved_7"). */
const char *fm_counter_name(unsigned int i);

/* One line of a store's sysfs `slots` file. */
struct fm_sysfs_slot {
	u32 index;
	char name[FM_NAME_MAX + 1];
	u32 host_id;
	bool attached;
	bool dirty_known;	/* false: the kernel printed "?" */
	u64 dirty;
};

/* Parse "<index> <name> <host id> attached|detached <dirty|?>". 0/-EINVAL. */
int fm_parse_sysfs_slot(const char *line, struct fm_sysfs_slot *s);

/* A decimal number, all of @s, at most @max: 0 or -EINVAL. */
int fm_parse_u64(const char *s, u64 max, u64 *v);

#endif /* FORKMIRROR_TOOL_STORE_H */
