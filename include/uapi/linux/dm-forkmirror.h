/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dm-forkmirror: everything userspace shares with the kernel.
 *
 * The on-media format of a tracker store, the layout of the sysfs `log`
 * file and the constants the forkmirror tool needs.  Every multi-byte
 * field is little-endian.  Documentation/admin-guide/device-mapper/
 * forkmirror-format.rst describes the format byte by byte, with the rules
 * for torn and corrupted data.
 *
 * Store layout, in 4 KiB blocks:
 *
 *   block 0, 1              superblock copies A and B
 *   block 2 + 2i, 3 + 2i    slot i header copies A and B (i < slot_count)
 *   block 2 + 2*slot_count  first block of the bitmap area, up to the end
 *
 * A slot owns one extent of whole blocks of the bitmap area; region r of
 * its volume is bit (r % 8) of byte (r / 8) of that extent.
 */
#ifndef _UAPI_LINUX_DM_FORKMIRROR_H
#define _UAPI_LINUX_DM_FORKMIRROR_H

#include <linux/types.h>

#define FM_BLOCK_SIZE		4096U
#define FM_BLOCK_SHIFT		12
#define FM_BITS_PER_BLOCK	(FM_BLOCK_SIZE * 8)
#define FM_SECTOR_SHIFT		9

#define FM_FORMAT_VERSION	1

/* Region size limits, in 512-byte sectors: 4 KiB up to 64 MiB. */
#define FM_REGION_SECTORS_MIN	8U
#define FM_REGION_SECTORS_MAX	(1U << 17)

/* Volume names: 1 to 64 bytes of [A-Za-z0-9._-], the first alphanumeric. */
#define FM_NAME_MAX		64

/* Slots per store: the kernel formats FM_SLOTS_DEFAULT; a store may hold
 * from 1 to FM_SLOTS_MAX.
 */
#define FM_SLOTS_DEFAULT	4096U
#define FM_SLOTS_MAX		65536U

/* Largest volume a slot describes: 2^50 sectors (512 PiB). */
#define FM_VOLUME_SECTORS_MAX	(1ULL << 50)

/* Largest store: 2^40 blocks (4 PiB). */
#define FM_STORE_BLOCKS_MAX	(1ULL << 40)

#define FM_SB_MAGIC		0x3142535452544d46ULL	/* "FMTRTSB1" */
#define FM_SLOT_MAGIC		0x31544f4c53544d46ULL	/* "FMTSLOT1" */
#define FM_LOG_MAGIC		0x31474f4c53544d46ULL	/* "FMTSLOG1" */

/* Superblock: one copy at the start of block 0, the other of block 1. The
 * rest of each block is zero.  Rewritten only on format and grow.
 */
struct fm_disk_sb {
	__le64 magic;		/* FM_SB_MAGIC */
	__le32 version;		/* FM_FORMAT_VERSION */
	__le32 hdr_len;		/* sizeof(struct fm_disk_sb) */
	__le32 crc;		/* crc32c of hdr_len bytes, this field 0 */
	__le32 flags;		/* none defined: must be 0 */
	__le64 seq;		/* copy sequence number, the higher wins */
	__u8 uuid[16];		/* store identity, never all-zero */
	__le64 store_blocks;	/* blocks the layout covers */
	__le32 block_size;	/* FM_BLOCK_SIZE */
	__le32 slot_count;	/* 1 .. FM_SLOTS_MAX */
	__le64 slot_table_block; /* 2 */
	__le64 data_block;	/* 2 + 2 * slot_count */
	__le64 format_time;	/* Unix seconds */
	__le64 reserved[4];	/* 0 */
};

/* Slot header flags. */
#define FM_SLOT_IN_USE		(1U << 0)	/* a volume owns the slot */
#define FM_SLOT_ACTIVE		(1U << 1)	/* not cleanly shut down */
#define FM_SLOT_FULL_RESYNC	(1U << 2)	/* every region needs a copy */
#define FM_SLOT_FLAGS_KNOWN	(FM_SLOT_IN_USE | FM_SLOT_ACTIVE | \
				 FM_SLOT_FULL_RESYNC)

/* Slot header counters, index into fm_disk_slot.counters. */
enum fm_slot_counter {
	FM_CNT_BACKUP_ERRORS,
	FM_CNT_PRIMARY_ERRORS,
	FM_CNT_TRACKER_ERRORS,
	FM_CNT_RESYNCS,
	FM_CNT_REGIONS_COPIED,
	FM_CNT_ATTACHES,
	FM_CNT_NR = 8
};

/* Slot header: copy A at the start of block 2 + 2i, copy B of block
 * 3 + 2i.  A slot never written is all-zero in both copies; a deleted
 * slot is a valid header without FM_SLOT_IN_USE.
 */
struct fm_disk_slot {
	__le64 magic;		/* FM_SLOT_MAGIC */
	__le32 version;		/* FM_FORMAT_VERSION */
	__le32 hdr_len;		/* sizeof(struct fm_disk_slot) */
	__le32 crc;		/* crc32c of hdr_len bytes, this field 0 */
	__le32 flags;		/* FM_SLOT_* */
	__le64 seq;		/* copy sequence number, the higher wins */
	__u8 store_uuid[16];	/* the superblock's uuid */
	__le32 index;		/* this slot's index in the store */
	__le32 host_id;		/* owner host id */
	__u8 name[FM_NAME_MAX];	/* volume name, NUL-padded */
	__le32 region_sectors;	/* power of two, FM_REGION_SECTORS_MIN..MAX */
	__le32 reserved0;	/* 0 */
	__le64 volume_sectors;	/* 1 .. FM_VOLUME_SECTORS_MAX */
	__le64 bitmap_block;	/* first block of the bitmap extent */
	__le64 bitmap_blocks;	/* blocks in the extent, >= the bitmap's */
	__le64 generation;	/* bumped on every attach */
	__le64 created;		/* Unix seconds */
	__le64 first_dirtied;	/* Unix seconds, 0: clean since created */
	__le64 last_dirtied;	/* Unix seconds, 0: never */
	__le64 offline_since;	/* Unix seconds, 0: backup not offline */
	__le64 counters[FM_CNT_NR];
	__le64 reserved[4];	/* 0 */
};

/* The sysfs `log` file of a volume: this header, then the bitmap from
 * byte hdr_len on, bit (r % 8) of byte (r / 8) being region r.  The
 * bitmap has (region_count + 7) / 8 bytes; bits past region_count are 0.
 */
#define FM_LOG_VERSION		1

struct fm_log_header {
	__le64 magic;		/* FM_LOG_MAGIC */
	__le32 version;		/* FM_LOG_VERSION */
	__le32 hdr_len;		/* offset of the bitmap */
	__le32 region_sectors;
	__le32 flags;		/* FM_SLOT_* of the slot */
	__le64 region_count;
	__le64 volume_sectors;
	__le64 seq;		/* changes whenever the bitmap did */
	__le64 dirty_count;	/* set bits in the bitmap */
	__le64 first_dirtied;
	__le64 last_dirtied;
	__le64 offline_since;
};

#endif /* _UAPI_LINUX_DM_FORKMIRROR_H */
