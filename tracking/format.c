// SPDX-License-Identifier: GPL-2.0-only
/*
 * On-media codec of the tracker store. See include/forkmirror/format.h and
 * Documentation/admin-guide/device-mapper/forkmirror-format.rst.
 *
 * Decoding works on a private copy of the header so that a buffer changing
 * under us (a DAX mapping another host writes) cannot make the checksum
 * and the fields disagree.
 */
#include <forkmirror/format.h>

static const char * const copy_state_names[] = {
	[FM_COPY_VALID] = "valid",
	[FM_COPY_ZERO] = "blank",
	[FM_COPY_FOREIGN] = "foreign",
	[FM_COPY_VERSION] = "unknown version",
	[FM_COPY_TORN] = "torn or corrupted",
	[FM_COPY_INVALID] = "invalid",
};

static const char * const pair_state_names[] = {
	[FM_PAIR_OK] = "ok",
	[FM_PAIR_BLANK] = "blank",
	[FM_PAIR_BAD] = "bad",
	[FM_PAIR_CONFLICT] = "conflicting copies",
};

const char *fm_copy_state_name(enum fm_copy_state s)
{
	if ((unsigned int)s >= ARRAY_SIZE(copy_state_names))
		return "?";
	return copy_state_names[s];
}
EXPORT_SYMBOL_NS_GPL(fm_copy_state_name, FORKMIRROR);

const char *fm_pair_state_name(enum fm_pair_state s)
{
	if ((unsigned int)s >= ARRAY_SIZE(pair_state_names))
		return "?";
	return pair_state_names[s];
}
EXPORT_SYMBOL_NS_GPL(fm_pair_state_name, FORKMIRROR);

static bool all_zero(const void *p, size_t len)
{
	return fm_all_zero(p, len);
}

int fm_layout_compute(u64 store_blocks, u32 slot_count, struct fm_layout *l)
{
	if (slot_count < 1 || slot_count > FM_SLOTS_MAX)
		return -EINVAL;
	if (store_blocks > FM_STORE_BLOCKS_MAX)
		return -EFBIG;
	l->store_blocks = store_blocks;
	l->slot_count = slot_count;
	l->slot_table_block = 2;
	l->data_block = l->slot_table_block + 2 * (u64)slot_count;
	/* At least one bitmap block after the headers. */
	if (store_blocks <= l->data_block)
		return -ENOSPC;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(fm_layout_compute, FORKMIRROR);

void fm_layout_from_sb(const struct fm_sb *sb, struct fm_layout *l)
{
	l->store_blocks = sb->store_blocks;
	l->slot_count = sb->slot_count;
	l->slot_table_block = 2;
	l->data_block = 2 + 2 * (u64)sb->slot_count;
}
EXPORT_SYMBOL_NS_GPL(fm_layout_from_sb, FORKMIRROR);

bool fm_name_valid(const char *name, size_t len)
{
	size_t i;

	if (len < 1 || len > FM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}
EXPORT_SYMBOL_NS_GPL(fm_name_valid, FORKMIRROR);

static bool region_sectors_valid(u32 rs)
{
	return rs >= FM_REGION_SECTORS_MIN && rs <= FM_REGION_SECTORS_MAX &&
	       is_power_of_2(rs);
}

/* Regions of a volume; the last may be partial. 0 for invalid input. */
u64 fm_region_count(u64 volume_sectors, u32 region_sectors)
{
	if (!region_sectors_valid(region_sectors) ||
	    volume_sectors > FM_VOLUME_SECTORS_MAX)
		return 0;
	return DIV_ROUND_UP(volume_sectors, (u64)region_sectors);
}
EXPORT_SYMBOL_NS_GPL(fm_region_count, FORKMIRROR);

u64 fm_bitmap_blocks_needed(u64 volume_sectors, u32 region_sectors)
{
	return DIV_ROUND_UP(fm_region_count(volume_sectors, region_sectors),
			    (u64)FM_BITS_PER_BLOCK);
}
EXPORT_SYMBOL_NS_GPL(fm_bitmap_blocks_needed, FORKMIRROR);

/* crc32c of a header of hdr_len bytes whose crc field is at crc_off. */
static u32 header_crc(const void *hdr, size_t hdr_len, size_t crc_off)
{
	u8 tmp[sizeof(struct fm_disk_slot)];

	memcpy(tmp, hdr, hdr_len);
	memset(tmp + crc_off, 0, sizeof(__le32));
	return fm_crc32c(tmp, hdr_len);
}

/*
 * The checks common to both header kinds, on a private copy: magic,
 * version, length, checksum, and that the rest of the block is zero.
 */
static enum fm_copy_state check_header(const void *buf, void *copy,
				       size_t len, u64 magic,
				       const char **why)
{
	/* The fields that lead both header kinds. */
	struct {
		__le64 magic;
		__le32 version;
		__le32 hdr_len;
		__le32 crc;
	} h;

	memcpy(copy, buf, len);
	memcpy(&h, copy, sizeof(h));
	if (le64_to_cpu(h.magic) != magic) {
		if (all_zero(buf, FM_BLOCK_SIZE)) {
			*why = "all zero";
			return FM_COPY_ZERO;
		}
		*why = "bad magic";
		return FM_COPY_FOREIGN;
	}
	if (le32_to_cpu(h.version) != FM_FORMAT_VERSION) {
		*why = "unknown format version";
		return FM_COPY_VERSION;
	}
	if (le32_to_cpu(h.hdr_len) != len) {
		*why = "bad header length";
		return FM_COPY_INVALID;
	}
	if (le32_to_cpu(h.crc) != header_crc(copy, len, offsetof(struct fm_disk_sb, crc))) {
		*why = "checksum mismatch";
		return FM_COPY_TORN;
	}
	if (!all_zero((const u8 *)buf + len, FM_BLOCK_SIZE - len)) {
		*why = "non-zero bytes after the header";
		return FM_COPY_INVALID;
	}
	return FM_COPY_VALID;
}

void fm_sb_encode(const struct fm_sb *sb, void *buf)
{
	struct fm_disk_sb *d = buf;

	memset(buf, 0, FM_BLOCK_SIZE);
	d->magic = cpu_to_le64(FM_SB_MAGIC);
	d->version = cpu_to_le32(FM_FORMAT_VERSION);
	d->hdr_len = cpu_to_le32(sizeof(*d));
	d->seq = cpu_to_le64(sb->seq);
	memcpy(d->uuid, sb->uuid, sizeof(d->uuid));
	d->store_blocks = cpu_to_le64(sb->store_blocks);
	d->block_size = cpu_to_le32(FM_BLOCK_SIZE);
	d->slot_count = cpu_to_le32(sb->slot_count);
	d->slot_table_block = cpu_to_le64(2);
	d->data_block = cpu_to_le64(2 + 2 * (u64)sb->slot_count);
	d->format_time = cpu_to_le64(sb->format_time);
	d->crc = cpu_to_le32(header_crc(d, sizeof(*d),
					offsetof(struct fm_disk_sb, crc)));
}
EXPORT_SYMBOL_NS_GPL(fm_sb_encode, FORKMIRROR);

enum fm_copy_state fm_sb_decode(const void *buf, struct fm_sb *sb,
				const char **why)
{
	struct fm_disk_sb d;
	struct fm_layout l;
	enum fm_copy_state st;
	unsigned int i;
	const char *dummy;

	if (!why)
		why = &dummy;
	st = check_header(buf, &d, sizeof(d), FM_SB_MAGIC, why);
	if (st != FM_COPY_VALID)
		return st;

	*why = NULL;
	if (le32_to_cpu(d.flags))
		*why = "unknown flags";
	else if (le32_to_cpu(d.block_size) != FM_BLOCK_SIZE)
		*why = "bad block size";
	else if (all_zero(d.uuid, sizeof(d.uuid)))
		*why = "zero uuid";
	else if (fm_layout_compute(le64_to_cpu(d.store_blocks),
				   le32_to_cpu(d.slot_count), &l))
		*why = "bad store size or slot count";
	else if (le64_to_cpu(d.slot_table_block) != l.slot_table_block)
		*why = "bad slot table position";
	else if (le64_to_cpu(d.data_block) != l.data_block)
		*why = "bad bitmap area position";
	else if (!le64_to_cpu(d.seq))
		*why = "zero sequence number";
	for (i = 0; !*why && i < ARRAY_SIZE(d.reserved); i++)
		if (d.reserved[i])
			*why = "non-zero reserved field";
	if (*why)
		return FM_COPY_INVALID;

	sb->seq = le64_to_cpu(d.seq);
	memcpy(sb->uuid, d.uuid, sizeof(sb->uuid));
	sb->store_blocks = l.store_blocks;
	sb->slot_count = l.slot_count;
	sb->format_time = le64_to_cpu(d.format_time);
	return FM_COPY_VALID;
}
EXPORT_SYMBOL_NS_GPL(fm_sb_decode, FORKMIRROR);

/*
 * Choose between two decoded copies. same() says whether the two decoded
 * structures are identical (for equal sequence numbers).
 */
static enum fm_pair_state pick(struct fm_pick *p, u64 seq_a, u64 seq_b,
			       bool same)
{
	bool va = p->copy[0] == FM_COPY_VALID;
	bool vb = p->copy[1] == FM_COPY_VALID;

	p->chosen = -1;
	p->stale = true;
	if (va && vb) {
		if (seq_a == seq_b) {
			if (!same)
				return FM_PAIR_CONFLICT;
			p->chosen = 0;
			p->stale = false;
			return FM_PAIR_OK;
		}
		p->chosen = seq_a > seq_b ? 0 : 1;
		return FM_PAIR_OK;
	}
	if (va || vb) {
		p->chosen = va ? 0 : 1;
		return FM_PAIR_OK;
	}
	if (p->copy[0] == FM_COPY_ZERO && p->copy[1] == FM_COPY_ZERO)
		return FM_PAIR_BLANK;
	return FM_PAIR_BAD;
}

enum fm_pair_state fm_sb_pick(const void *a, const void *b, struct fm_sb *sb,
			      struct fm_pick *p)
{
	struct fm_sb s[2];
	enum fm_pair_state st;

	memset(s, 0, sizeof(s));
	p->copy[0] = fm_sb_decode(a, &s[0], &p->why[0]);
	p->copy[1] = fm_sb_decode(b, &s[1], &p->why[1]);
	st = pick(p, s[0].seq, s[1].seq, !memcmp(&s[0], &s[1], sizeof(s[0])));
	if (st == FM_PAIR_OK)
		*sb = s[p->chosen];
	return st;
}
EXPORT_SYMBOL_NS_GPL(fm_sb_pick, FORKMIRROR);

void fm_slot_encode(const struct fm_slot *slot, const struct fm_sb *sb,
		    void *buf)
{
	struct fm_disk_slot *d = buf;
	unsigned int i;

	memset(buf, 0, FM_BLOCK_SIZE);
	d->magic = cpu_to_le64(FM_SLOT_MAGIC);
	d->version = cpu_to_le32(FM_FORMAT_VERSION);
	d->hdr_len = cpu_to_le32(sizeof(*d));
	d->flags = cpu_to_le32(slot->flags);
	d->seq = cpu_to_le64(slot->seq);
	memcpy(d->store_uuid, sb->uuid, sizeof(d->store_uuid));
	d->index = cpu_to_le32(slot->index);
	d->host_id = cpu_to_le32(slot->host_id);
	memcpy(d->name, slot->name, strnlen(slot->name, FM_NAME_MAX));
	d->region_sectors = cpu_to_le32(slot->region_sectors);
	d->volume_sectors = cpu_to_le64(slot->volume_sectors);
	d->bitmap_block = cpu_to_le64(slot->bitmap_block);
	d->bitmap_blocks = cpu_to_le64(slot->bitmap_blocks);
	d->generation = cpu_to_le64(slot->generation);
	d->created = cpu_to_le64(slot->created);
	d->first_dirtied = cpu_to_le64(slot->first_dirtied);
	d->last_dirtied = cpu_to_le64(slot->last_dirtied);
	d->offline_since = cpu_to_le64(slot->offline_since);
	for (i = 0; i < FM_CNT_NR; i++)
		d->counters[i] = cpu_to_le64(slot->counters[i]);
	d->crc = cpu_to_le32(header_crc(d, sizeof(*d),
					offsetof(struct fm_disk_slot, crc)));
}
EXPORT_SYMBOL_NS_GPL(fm_slot_encode, FORKMIRROR);

/* The fields of an in-use slot; *why names the first impossible one. */
static const char *check_in_use(const struct fm_disk_slot *d,
				const struct fm_layout *l, size_t name_len)
{
	u32 rs = le32_to_cpu(d->region_sectors);
	u64 vs = le64_to_cpu(d->volume_sectors);
	u64 start = le64_to_cpu(d->bitmap_block);
	u64 len = le64_to_cpu(d->bitmap_blocks);

	if (!fm_name_valid((const char *)d->name, name_len))
		return "invalid volume name";
	if (!region_sectors_valid(rs))
		return "invalid region size";
	if (vs < 1 || vs > FM_VOLUME_SECTORS_MAX)
		return "invalid volume size";
	if (len < fm_bitmap_blocks_needed(vs, rs))
		return "bitmap extent too small for the volume";
	if (start < l->data_block || start >= l->store_blocks ||
	    len > l->store_blocks - start)
		return "bitmap extent outside the bitmap area";
	return NULL;
}

/* A free (deleted) slot keeps nothing but its copies' bookkeeping. */
static const char *check_free(const struct fm_disk_slot *d)
{
	if (d->flags || d->host_id || d->name[0] || d->region_sectors ||
	    d->volume_sectors || d->bitmap_block || d->bitmap_blocks)
		return "free slot with volume fields set";
	return NULL;
}

enum fm_copy_state fm_slot_decode(const void *buf, const struct fm_sb *sb,
				  u32 index, struct fm_slot *slot,
				  const char **why)
{
	struct fm_disk_slot d;
	struct fm_layout l;
	enum fm_copy_state st;
	size_t name_len;
	u32 flags;
	unsigned int i;
	const char *dummy;

	if (!why)
		why = &dummy;
	st = check_header(buf, &d, sizeof(d), FM_SLOT_MAGIC, why);
	if (st != FM_COPY_VALID)
		return st;
	if (memcmp(d.store_uuid, sb->uuid, sizeof(d.store_uuid))) {
		*why = "slot of another store";
		return FM_COPY_FOREIGN;
	}

	fm_layout_from_sb(sb, &l);
	flags = le32_to_cpu(d.flags);
	name_len = strnlen((const char *)d.name, FM_NAME_MAX);
	*why = NULL;
	if (le32_to_cpu(d.index) != index)
		*why = "slot index does not match its position";
	else if (flags & ~FM_SLOT_FLAGS_KNOWN)
		*why = "unknown flags";
	else if (!le64_to_cpu(d.seq))
		*why = "zero sequence number";
	else if (d.reserved0)
		*why = "non-zero reserved field";
	else if (!all_zero(d.name + name_len, FM_NAME_MAX - name_len))
		*why = "bytes after the volume name's end";
	else if (flags & FM_SLOT_IN_USE)
		*why = check_in_use(&d, &l, name_len);
	else
		*why = check_free(&d);
	for (i = 0; !*why && i < ARRAY_SIZE(d.reserved); i++)
		if (d.reserved[i])
			*why = "non-zero reserved field";
	if (*why)
		return FM_COPY_INVALID;

	memset(slot, 0, sizeof(*slot));
	slot->seq = le64_to_cpu(d.seq);
	slot->flags = flags;
	slot->index = index;
	slot->host_id = le32_to_cpu(d.host_id);
	memcpy(slot->name, d.name, name_len);
	slot->region_sectors = le32_to_cpu(d.region_sectors);
	slot->volume_sectors = le64_to_cpu(d.volume_sectors);
	slot->bitmap_block = le64_to_cpu(d.bitmap_block);
	slot->bitmap_blocks = le64_to_cpu(d.bitmap_blocks);
	slot->generation = le64_to_cpu(d.generation);
	slot->created = le64_to_cpu(d.created);
	slot->first_dirtied = le64_to_cpu(d.first_dirtied);
	slot->last_dirtied = le64_to_cpu(d.last_dirtied);
	slot->offline_since = le64_to_cpu(d.offline_since);
	for (i = 0; i < FM_CNT_NR; i++)
		slot->counters[i] = le64_to_cpu(d.counters[i]);
	return FM_COPY_VALID;
}
EXPORT_SYMBOL_NS_GPL(fm_slot_decode, FORKMIRROR);

enum fm_pair_state fm_slot_pick(const void *a, const void *b,
				const struct fm_sb *sb, u32 index,
				struct fm_slot *slot, struct fm_pick *p)
{
	struct fm_slot s[2];
	enum fm_pair_state st;

	memset(s, 0, sizeof(s));
	p->copy[0] = fm_slot_decode(a, sb, index, &s[0], &p->why[0]);
	p->copy[1] = fm_slot_decode(b, sb, index, &s[1], &p->why[1]);
	st = pick(p, s[0].seq, s[1].seq, !memcmp(&s[0], &s[1], sizeof(s[0])));
	if (st == FM_PAIR_OK)
		*slot = s[p->chosen];
	return st;
}
EXPORT_SYMBOL_NS_GPL(fm_slot_pick, FORKMIRROR);

int fm_next_copy(const struct fm_pick *p, u64 cur_seq, u64 *next_seq)
{
	if (p->chosen < 0) {
		*next_seq = 1;
		return 0;
	}
	*next_seq = cur_seq + 1;
	return !p->chosen;
}
EXPORT_SYMBOL_NS_GPL(fm_next_copy, FORKMIRROR);

static int extent_cmp(const void *a, const void *b)
{
	const struct fm_extent *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	return 0;
}

int fm_extents_check(struct fm_extent *ext, u32 n, const struct fm_layout *l,
		     u32 *bad_a, u32 *bad_b)
{
	u32 i;

	fm_sort(ext, n, sizeof(*ext), extent_cmp);
	for (i = 0; i < n; i++) {
		const struct fm_extent *e = &ext[i];

		if (e->start < l->data_block || e->start >= l->store_blocks ||
		    e->len > l->store_blocks - e->start) {
			*bad_a = e->owner;
			*bad_b = e->owner;
			return -EUCLEAN;
		}
		if (i && ext[i - 1].start + ext[i - 1].len > e->start) {
			*bad_a = ext[i - 1].owner;
			*bad_b = e->owner;
			return -EUCLEAN;
		}
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(fm_extents_check, FORKMIRROR);

int fm_extent_alloc(const struct fm_extent *ext, u32 n,
		    const struct fm_layout *l, u64 len, u64 *start)
{
	u64 pos = l->data_block;
	u32 i;

	if (!len)
		return -EINVAL;
	for (i = 0; i <= n; i++) {
		u64 end = i < n ? ext[i].start : l->store_blocks;

		if (end >= pos && end - pos >= len) {
			*start = pos;
			return 0;
		}
		if (i < n)
			pos = max(pos, ext[i].start + ext[i].len);
	}
	return -ENOSPC;
}
EXPORT_SYMBOL_NS_GPL(fm_extent_alloc, FORKMIRROR);

/* Read both copies of a pair of blocks; -EIO when either read fails. */
static int read_pair(const struct fm_reader *r, u64 a, const void **pa,
		     const void **pb)
{
	*pa = r->get(r->ctx, a);
	if (!*pa)
		return -EIO;
	*pb = r->get(r->ctx, a + 1);
	if (!*pb) {
		r->put(r->ctx, *pa);
		return -EIO;
	}
	return 0;
}

int fm_store_read_sb(const struct fm_reader *r, struct fm_store_sb *st,
		     const char **why)
{
	const void *a, *b;
	int ret;

	memset(st, 0, sizeof(*st));
	if (r->dev_blocks < 2) {
		*why = "device smaller than the two superblock copies";
		return -EUCLEAN;
	}
	ret = read_pair(r, fm_sb_block(0), &a, &b);
	if (ret) {
		*why = "cannot read the superblock";
		return ret;
	}
	st->state = fm_sb_pick(a, b, &st->sb, &st->pick);
	r->put(r->ctx, b);
	r->put(r->ctx, a);

	switch (st->state) {
	case FM_PAIR_BLANK:
		*why = "blank store";
		return 0;
	case FM_PAIR_CONFLICT:
		*why = "superblock copies conflict";
		return -EUCLEAN;
	case FM_PAIR_BAD:
		if (st->pick.copy[0] == FM_COPY_FOREIGN &&
		    st->pick.copy[1] != FM_COPY_VALID)
			*why = "not a forkmirror tracker store";
		else if (st->pick.copy[0] == FM_COPY_VERSION ||
			 st->pick.copy[1] == FM_COPY_VERSION)
			*why = "tracker store of an unknown format version";
		else
			*why = "no valid superblock copy";
		return -EUCLEAN;
	case FM_PAIR_OK:
		break;
	}
	fm_layout_from_sb(&st->sb, &st->layout);
	if (st->layout.store_blocks > r->dev_blocks) {
		*why = "store larger than its device (device shrunk?)";
		return -EUCLEAN;
	}
	*why = NULL;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(fm_store_read_sb, FORKMIRROR);

int fm_store_read_slot(const struct fm_reader *r, const struct fm_store_sb *st,
		       u32 index, struct fm_slot *slot, struct fm_pick *pick,
		       const char **why)
{
	enum fm_pair_state ps;
	const void *a, *b;
	int ret;

	if (index >= st->sb.slot_count) {
		*why = "slot index out of range";
		return -EINVAL;
	}
	ret = read_pair(r, fm_slot_block(&st->layout, index, 0), &a, &b);
	if (ret) {
		*why = "cannot read the slot header";
		return ret;
	}
	memset(slot, 0, sizeof(*slot));
	ps = fm_slot_pick(a, b, &st->sb, index, slot, pick);
	r->put(r->ctx, b);
	r->put(r->ctx, a);
	if (ps == FM_PAIR_CONFLICT) {
		*why = "slot header copies conflict";
		return -EUCLEAN;
	}
	if (ps == FM_PAIR_BAD) {
		*why = pick->why[pick->copy[0] == FM_COPY_ZERO];
		return -EUCLEAN;
	}
	if (ps == FM_PAIR_BLANK)
		slot->index = index;
	*why = NULL;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(fm_store_read_slot, FORKMIRROR);

struct name_key {
	const char *name;
	u32 host_id;
	u32 index;
};

static int name_key_cmp(const void *a, const void *b)
{
	const struct name_key *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->host_id != y->host_id)
		return x->host_id < y->host_id ? -1 : 1;
	return 0;
}

int fm_store_check_slots(const struct fm_slot *slot, u32 n,
			 const struct fm_layout *l, u32 *bad_a, u32 *bad_b,
			 const char **why)
{
	struct name_key *keys;
	struct fm_extent *ext;
	int ret = 0;
	u32 i;

	if (!n)
		return 0;
	keys = fm_zalloc(n * sizeof(*keys));
	ext = fm_zalloc(n * sizeof(*ext));
	if (!keys || !ext) {
		ret = -ENOMEM;
		*why = "out of memory";
		goto free_arrays;
	}
	for (i = 0; i < n; i++) {
		keys[i].name = slot[i].name;
		keys[i].host_id = slot[i].host_id;
		keys[i].index = slot[i].index;
		ext[i].start = slot[i].bitmap_block;
		ext[i].len = slot[i].bitmap_blocks;
		ext[i].owner = slot[i].index;
	}
	fm_sort(keys, n, sizeof(*keys), name_key_cmp);
	for (i = 1; i < n; i++) {
		if (!name_key_cmp(&keys[i - 1], &keys[i])) {
			*bad_a = keys[i - 1].index;
			*bad_b = keys[i].index;
			*why = "two slots hold the same volume name and host id";
			ret = -EUCLEAN;
			goto free_arrays;
		}
	}
	if (fm_extents_check(ext, n, l, bad_a, bad_b)) {
		*why = "bitmap extents of two slots overlap";
		ret = -EUCLEAN;
	}

free_arrays:
	fm_free(ext);
	fm_free(keys);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(fm_store_check_slots, FORKMIRROR);
