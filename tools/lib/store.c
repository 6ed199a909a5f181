// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pure part of `forkmirror store` (see store.h): read a tracker store
 * through an fm_reader with the tracker's own codec, list its
 * inconsistencies, plan a format and a slot delete.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static const char *const scope_names[] = {
	[FM_SCOPE_DEVICE] = "device",
	[FM_SCOPE_SUPERBLOCK] = "superblock",
	[FM_SCOPE_SLOT] = "slot",
	[FM_SCOPE_SLOTS] = "slots",
	[FM_SCOPE_BITMAP] = "bitmap",
};

const char *fm_scope_name(enum fm_scope s)
{
	if ((unsigned int)s >= ARRAY_SIZE(scope_names))
		return "?";
	return scope_names[s];
}

static const char *const kind_names[] = {
	[FM_SLOT_BLANK] = "blank",
	[FM_SLOT_USED] = "in_use",
	[FM_SLOT_DELETED] = "deleted",
	[FM_SLOT_BROKEN] = "damaged",
	[FM_SLOT_OUTSIDE] = "outside_device",
};

const char *fm_slot_kind_name(enum fm_slot_kind k)
{
	if ((unsigned int)k >= ARRAY_SIZE(kind_names))
		return "?";
	return kind_names[k];
}

int fm_scan_problem(struct fm_scan *sc, enum fm_scope scope, u64 slot,
		    u64 other_slot, u64 block, const char *fmt, ...)
{
	struct fm_problem *p;
	va_list ap;
	char *text;
	int n;

	if (sc->nproblems == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 16;

		p = realloc(sc->problems, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		sc->problems = p;
		sc->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	p = &sc->problems[sc->nproblems++];
	p->scope = scope;
	p->slot = slot;
	p->other_slot = other_slot;
	p->block = block;
	p->text = text;
	return 0;
}

void fm_scan_free(struct fm_scan *sc)
{
	size_t i;

	for (i = 0; i < sc->nproblems; i++)
		free(sc->problems[i].text);
	free(sc->problems);
	free(sc->slots);
	memset(sc, 0, sizeof(*sc));
}

static char copy_letter(int copy)
{
	return copy ? 'B' : 'A';
}

/* "torn or corrupted (checksum mismatch)" of a copy, into @buf. */
static const char *copy_text(const struct fm_copy_info *c, char *buf,
			     size_t len)
{
	if (c->why && c->state != FM_COPY_ZERO)
		snprintf(buf, len, "%s (%s)", fm_copy_state_name(c->state), c->why);
	else
		snprintf(buf, len, "%s", fm_copy_state_name(c->state));
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Superblock. */

static int scan_sb(const struct fm_reader *r, struct fm_scan *sc)
{
	struct fm_store_sb *st = &sc->st;
	const char *why = NULL;
	char ta[96], tb[96];
	int i, ret, other;

	for (i = 0; i < 2; i++)
		sc->sb_copy[i].state = FM_COPY_ZERO;
	if (r->dev_blocks < 2) {
		sc->sb_ret = fm_store_read_sb(r, st, &why);
		sc->sb_why = why;
		st->state = FM_PAIR_BAD;
		st->pick.chosen = -1;
		return fm_scan_problem(sc, FM_SCOPE_DEVICE, FM_NONE64, FM_NONE64,
				       FM_NONE64, "%s (%" PRIu64 " blocks of 4 KiB)",
				       why ? why : "device too small",
				       r->dev_blocks);
	}

	/* Each copy on its own, for what inspect shows of it. */
	sc->sb_copies_read = true;
	for (i = 0; i < 2; i++) {
		struct fm_copy_info *c = &sc->sb_copy[i];
		const void *p = r->get(r->ctx, fm_sb_block(i));
		struct fm_sb sb;

		if (!p) {
			sc->io_block = fm_sb_block(i);
			return -EIO;
		}
		memset(&sb, 0, sizeof(sb));
		c->state = fm_sb_decode(p, &sb, &c->why);
		if (c->state == FM_COPY_VALID) {
			c->why = NULL;
			c->has_seq = true;
			c->seq = sb.seq;
		}
		r->put(r->ctx, p);
	}

	/* The tracker's verdict. */
	ret = fm_store_read_sb(r, st, &why);
	if (ret == -EIO) {
		sc->io_block = 0;
		return ret;
	}
	sc->sb_ret = ret;
	sc->sb_why = why;
	sc->sb_usable = st->state == FM_PAIR_OK;

	copy_text(&sc->sb_copy[0], ta, sizeof(ta));
	copy_text(&sc->sb_copy[1], tb, sizeof(tb));
	switch (st->state) {
	case FM_PAIR_BLANK:
		return fm_scan_problem(sc, FM_SCOPE_SUPERBLOCK, FM_NONE64, FM_NONE64,
				       FM_NONE64,
				       "blank: not a store (both superblock copies are all zero; the tracker formats such a device on its first attach)");
	case FM_PAIR_BAD:
		return fm_scan_problem(sc, FM_SCOPE_SUPERBLOCK, FM_NONE64, FM_NONE64,
				       FM_NONE64, "superblock: %s: copy A %s, copy B %s",
				       why, ta, tb);
	case FM_PAIR_CONFLICT:
		return fm_scan_problem(sc, FM_SCOPE_SUPERBLOCK, FM_NONE64, FM_NONE64,
				       FM_NONE64,
				       "superblock: %s: both valid with sequence number %" PRIu64 " but different content",
				       why, sc->sb_copy[0].seq);
	case FM_PAIR_OK:
		break;
	}

	if (ret) {
		ret = fm_scan_problem(sc, FM_SCOPE_SUPERBLOCK, FM_NONE64, FM_NONE64,
				      FM_NONE64,
				      "superblock: %s: the store covers %" PRIu64 " blocks, the device has %" PRIu64,
				      why, st->sb.store_blocks, r->dev_blocks);
		if (ret)
			return ret;
	}
	if (!st->pick.stale)
		return 0;
	other = !st->pick.chosen;
	if (sc->sb_copy[other].state == FM_COPY_VALID)
		return fm_scan_problem(sc, FM_SCOPE_SUPERBLOCK, FM_NONE64, FM_NONE64,
				       fm_sb_block(other),
				       "superblock copies differ: copy %c has sequence number %" PRIu64 ", copy %c %" PRIu64 "; copy %c is in use (the tracker writes both copies alike)",
				       copy_letter(st->pick.chosen),
				       sc->sb_copy[st->pick.chosen].seq,
				       copy_letter(other), sc->sb_copy[other].seq,
				       copy_letter(st->pick.chosen));
	return fm_scan_problem(sc, FM_SCOPE_SUPERBLOCK, FM_NONE64, FM_NONE64,
			       fm_sb_block(other),
			       "superblock copy %c is %s; copy %c is in use",
			       copy_letter(other), other ? tb : ta,
			       copy_letter(st->pick.chosen));
}

/* ---------------------------------------------------------------------- */
/* Slot headers. */

/* "slot 3 (vol0)", "slot 3 (deleted)", "slot 3" into @buf. */
static const char *slot_label(const struct fm_scan *sc, u32 i, char *buf,
			      size_t len)
{
	const struct fm_scan_slot *ss = &sc->slots[i];

	if (ss->kind == FM_SLOT_USED)
		snprintf(buf, len, "slot %u (%s, host id %u)", i, ss->slot.name,
			 ss->slot.host_id);
	else if (ss->kind == FM_SLOT_DELETED)
		snprintf(buf, len, "slot %u (deleted)", i);
	else
		snprintf(buf, len, "slot %u", i);
	return buf;
}

static int scan_slot(const struct fm_reader *r, struct fm_scan *sc, u32 i)
{
	const struct fm_layout *l = &sc->st.layout;
	struct fm_scan_slot *ss = &sc->slots[i];
	u64 b0 = fm_slot_block(l, i, 0);
	char ta[96], tb[96], label[128];
	const char *why = NULL;
	int c, ret, other;

	ss->first_bad_block = FM_NONE64;
	if (b0 + 1 >= r->dev_blocks) {
		ss->kind = FM_SLOT_OUTSIDE;
		sc->n_broken++;
		return fm_scan_problem(sc, FM_SCOPE_SLOT, i, FM_NONE64, b0,
				       "slot %u: its header blocks %" PRIu64 " and %" PRIu64 " are past the device's end (%" PRIu64 " blocks)",
				       i, b0, b0 + 1, r->dev_blocks);
	}
	for (c = 0; c < 2; c++) {
		struct fm_copy_info *ci = &ss->copy[c];
		const void *p = r->get(r->ctx, b0 + c);
		struct fm_slot s;

		if (!p) {
			sc->io_block = b0 + c;
			return -EIO;
		}
		ci->state = fm_slot_decode(p, &sc->st.sb, i, &s, &ci->why);
		if (ci->state == FM_COPY_VALID) {
			ci->why = NULL;
			ci->has_seq = true;
			ci->seq = s.seq;
		}
		r->put(r->ctx, p);
	}

	ret = fm_store_read_slot(r, &sc->st, i, &ss->slot, &ss->pick, &why);
	if (ret == -EIO) {
		sc->io_block = b0;
		return ret;
	}
	copy_text(&ss->copy[0], ta, sizeof(ta));
	copy_text(&ss->copy[1], tb, sizeof(tb));
	if (ret) {
		ss->kind = FM_SLOT_BROKEN;
		ss->why = why;
		ss->pair = ss->copy[0].state == FM_COPY_VALID &&
			   ss->copy[1].state == FM_COPY_VALID ?
			   FM_PAIR_CONFLICT : FM_PAIR_BAD;
		sc->n_broken++;
		if (ss->pair == FM_PAIR_CONFLICT)
			return fm_scan_problem(sc, FM_SCOPE_SLOT, i, FM_NONE64, b0,
					       "slot %u: %s: both valid with sequence number %" PRIu64 " but different content; the tracker refuses the store",
					       i, why, ss->copy[0].seq);
		return fm_scan_problem(sc, FM_SCOPE_SLOT, i, FM_NONE64, b0,
				       "slot %u: no usable header: copy A %s, copy B %s; the tracker refuses the store",
				       i, ta, tb);
	}
	if (ss->pick.chosen < 0) {
		ss->kind = FM_SLOT_BLANK;
		ss->pair = FM_PAIR_BLANK;
		sc->n_blank++;
		return 0;
	}
	ss->pair = FM_PAIR_OK;
	if (ss->slot.flags & FM_SLOT_IN_USE) {
		ss->kind = FM_SLOT_USED;
		sc->n_used++;
	} else {
		ss->kind = FM_SLOT_DELETED;
		sc->n_deleted++;
	}
	/*
	 * The copy not chosen normally holds the previous header (a lower
	 * sequence number) or nothing yet; anything else is a torn write or
	 * damage, which the tracker survives by using the chosen copy.
	 */
	other = !ss->pick.chosen;
	if (ss->copy[other].state == FM_COPY_VALID ||
	    ss->copy[other].state == FM_COPY_ZERO)
		return 0;
	return fm_scan_problem(sc, FM_SCOPE_SLOT, i, FM_NONE64, b0 + other,
			       "%s: header copy %c is %s; copy %c (sequence number %" PRIu64 ") is in use",
			       slot_label(sc, i, label, sizeof(label)),
			       copy_letter(other), other ? tb : ta,
			       copy_letter(ss->pick.chosen), ss->slot.seq);
}

/* ---------------------------------------------------------------------- */
/* Cross-slot rules: the tracker's fm_store_check_slots() decides, and
 * when it refuses, every offending pair is listed, not just its first.
 */

static int name_cmp(const void *a, const void *b)
{
	const struct fm_slot *x = *(const struct fm_slot *const *)a;
	const struct fm_slot *y = *(const struct fm_slot *const *)b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->host_id != y->host_id)
		return x->host_id < y->host_id ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int ext_cmp(const void *a, const void *b)
{
	const struct fm_slot *x = *(const struct fm_slot *const *)a;
	const struct fm_slot *y = *(const struct fm_slot *const *)b;

	if (x->bitmap_block != y->bitmap_block)
		return x->bitmap_block < y->bitmap_block ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int list_cross(struct fm_scan *sc, const struct fm_slot **p, u32 n)
{
	const struct fm_layout *l = &sc->st.layout;
	const struct fm_slot *far;
	u64 far_end;
	size_t before = sc->nproblems;
	u32 i, j;
	int ret;

	qsort(p, n, sizeof(*p), name_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(p[i]->name, p[j]->name) &&
		     p[i]->host_id == p[j]->host_id; j++) {
			ret = fm_scan_problem(sc, FM_SCOPE_SLOTS, p[i]->index,
					      p[j]->index, FM_NONE64,
					      "slots %u and %u both hold volume %s of host id %u",
					      p[i]->index, p[j]->index, p[i]->name,
					      p[i]->host_id);
			if (ret)
				return ret;
		}
	}

	qsort(p, n, sizeof(*p), ext_cmp);
	far = NULL;
	far_end = 0;
	for (i = 0; i < n; i++) {
		u64 start = p[i]->bitmap_block, end = start + p[i]->bitmap_blocks;

		if (start < l->data_block || start >= l->store_blocks ||
		    p[i]->bitmap_blocks > l->store_blocks - start) {
			ret = fm_scan_problem(sc, FM_SCOPE_SLOTS, p[i]->index,
					      FM_NONE64, start,
					      "slot %u: bitmap extent %" PRIu64 "+%" PRIu64 " lies outside the bitmap area %" PRIu64 "-%" PRIu64,
					      p[i]->index, start, p[i]->bitmap_blocks,
					      l->data_block, l->store_blocks - 1);
			if (ret)
				return ret;
			continue;
		}
		if (far && start < far_end) {
			ret = fm_scan_problem(sc, FM_SCOPE_SLOTS, far->index,
					      p[i]->index, start,
					      "slots %u and %u: bitmap extents overlap (%" PRIu64 "+%" PRIu64 " and %" PRIu64 "+%" PRIu64 ")",
					      far->index, p[i]->index, far->bitmap_block,
					      far->bitmap_blocks, start,
					      p[i]->bitmap_blocks);
			if (ret)
				return ret;
		}
		if (!far || end > far_end) {
			far = p[i];
			far_end = end;
		}
	}
	return sc->nproblems > before ? 0 : 1;
}

static int scan_cross(struct fm_scan *sc)
{
	const struct fm_slot **p;
	struct fm_slot *used;
	const char *why = NULL;
	u32 i, n = 0, a = 0, b = 0;
	int ret;

	if (!sc->n_used)
		return 0;
	used = calloc(sc->n_used, sizeof(*used));
	p = calloc(sc->n_used, sizeof(*p));
	if (!used || !p) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < sc->nslots; i++)
		if (sc->slots[i].kind == FM_SLOT_USED)
			used[n++] = sc->slots[i].slot;
	ret = fm_store_check_slots(used, n, &sc->st.layout, &a, &b, &why);
	if (ret != -EUCLEAN)
		goto out;
	for (i = 0; i < n; i++)
		p[i] = &used[i];
	ret = list_cross(sc, p, n);
	if (ret == 1)	/* the tracker's rule found more than ours: say so */
		ret = fm_scan_problem(sc, FM_SCOPE_SLOTS, a, b, FM_NONE64,
				      "slots %u and %u: %s", a, b, why);
out:
	free(p);
	free(used);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Bitmaps. */

/* Set bits [from, to) of a block, to <= FM_BITS_PER_BLOCK. */
static u64 count_bits(const u8 *b, u64 from, u64 to)
{
	u64 n = 0;

	while (from < to && from % 64) {
		n += (b[from / 8] >> (from % 8)) & 1;
		from++;
	}
	while (to - from >= 64) {
		u64 w;

		memcpy(&w, b + from / 8, sizeof(w));
		n += fm_popcount64(w);
		from += 64;
	}
	while (from < to) {
		n += (b[from / 8] >> (from % 8)) & 1;
		from++;
	}
	return n;
}

int fm_scan_bitmap(const struct fm_reader *r, struct fm_scan *sc, u32 i)
{
	const struct fm_layout *l = &sc->st.layout;
	struct fm_scan_slot *ss = &sc->slots[i];
	const struct fm_slot *s = &ss->slot;
	u64 regions = fm_region_count(s->volume_sectors, s->region_sectors);
	u64 need = fm_bitmap_blocks_needed(s->volume_sectors, s->region_sectors);
	u64 start = s->bitmap_block, len = s->bitmap_blocks, k;
	u64 spare_first = FM_NONE64, spare_blocks = 0;
	char label[128];
	int ret;

	if (i >= sc->nslots || ss->kind != FM_SLOT_USED)
		return -EINVAL;
	ss->dirty = ss->past_end = ss->spare_bits = ss->bad_blocks = 0;
	ss->first_bad_block = FM_NONE64;

	slot_label(sc, i, label, sizeof(label));
	ss->region_count = regions;
	/* The codec checked all this; the reads below rely on it. */
	if (!regions || len < need || start < l->data_block ||
	    start >= l->store_blocks || len > l->store_blocks - start)
		return fm_scan_problem(sc, FM_SCOPE_BITMAP, i, FM_NONE64, start,
				       "%s: bitmap extent %" PRIu64 "+%" PRIu64 " does not fit its volume or the store; not read",
				       label, start, len);

	for (k = 0; k < len; k++) {
		u64 blk = start + k, bits, past;
		const u8 *p;

		if (blk >= r->dev_blocks)
			return fm_scan_problem(sc, FM_SCOPE_BITMAP, i, FM_NONE64, blk,
					       "%s: bitmap blocks %" PRIu64 "-%" PRIu64 " are past the device's end (%" PRIu64 " blocks); not read",
					       label, blk, start + len - 1, r->dev_blocks);
		p = r->get(r->ctx, blk);
		if (!p) {
			sc->io_block = blk;
			return -EIO;
		}
		if (k < need) {
			bits = min_t(u64, regions - k * FM_BITS_PER_BLOCK,
				     FM_BITS_PER_BLOCK);
			ss->dirty += count_bits(p, 0, bits);
			past = count_bits(p, bits, FM_BITS_PER_BLOCK);
			if (past) {
				ss->past_end += past;
				ss->bad_blocks++;
				if (ss->first_bad_block == FM_NONE64)
					ss->first_bad_block = blk;
				ret = fm_scan_problem(sc, FM_SCOPE_BITMAP, i, FM_NONE64, blk,
						      "%s: bitmap block %" PRIu64 " (block %" PRIu64 " of its extent) has %" PRIu64 " bits set past the last region (%" PRIu64 " regions); the tracker drops them",
						      label, blk, k, past, regions);
				if (ret) {
					r->put(r->ctx, p);
					return ret;
				}
			}
		} else {
			past = count_bits(p, 0, FM_BITS_PER_BLOCK);
			if (past) {
				ss->spare_bits += past;
				ss->bad_blocks++;
				spare_blocks++;
				if (spare_first == FM_NONE64)
					spare_first = blk;
				if (ss->first_bad_block == FM_NONE64)
					ss->first_bad_block = blk;
			}
		}
		r->put(r->ctx, p);
	}
	ss->bitmap_scanned = true;
	if (!spare_blocks)
		return 0;
	return fm_scan_problem(sc, FM_SCOPE_BITMAP, i, FM_NONE64, spare_first,
			       "%s: %" PRIu64 " bits set in %" PRIu64 " spare block(s) of its bitmap extent, the first block %" PRIu64 " (the bitmap needs %" PRIu64 " of the extent's %" PRIu64 " blocks; the rest should be zero)",
			       label, ss->spare_bits, spare_blocks, spare_first, need,
			       len);
}

/* ---------------------------------------------------------------------- */

int fm_scan_store(const struct fm_reader *r, unsigned int what,
		  struct fm_scan *sc)
{
	u32 i;
	int ret;

	memset(sc, 0, sizeof(*sc));
	sc->dev_blocks = r->dev_blocks;
	sc->io_block = FM_NONE64;
	ret = scan_sb(r, sc);
	if (ret || !sc->sb_usable || !(what & FM_SCAN_SLOTS))
		return ret;

	sc->nslots = sc->st.sb.slot_count;
	sc->slots = calloc(sc->nslots, sizeof(*sc->slots));
	if (!sc->slots) {
		sc->nslots = 0;
		return -ENOMEM;
	}
	for (i = 0; i < sc->nslots; i++) {
		ret = scan_slot(r, sc, i);
		if (ret)
			return ret;
	}
	ret = scan_cross(sc);
	if (ret)
		return ret;
	if (!(what & FM_SCAN_BITMAPS))
		return 0;
	for (i = 0; i < sc->nslots; i++) {
		if (sc->slots[i].kind != FM_SLOT_USED)
			continue;
		ret = fm_scan_bitmap(r, sc, i);
		if (ret)
			return ret;
	}
	return 0;
}

void fm_scan_describe(const struct fm_scan *sc, char *buf, size_t len)
{
	bool ours = false, version = false;
	int i;

	if (sc->sb_usable) {
		if (sc->n_broken)
			snprintf(buf, len,
				 "a forkmirror store with %u of %u slots in use and %u damaged",
				 sc->n_used, sc->st.sb.slot_count, sc->n_broken);
		else
			snprintf(buf, len, "a forkmirror store with %u of %u slots in use",
				 sc->n_used, sc->st.sb.slot_count);
		return;
	}
	if (sc->dev_blocks >= 2 && sc->st.state == FM_PAIR_BLANK) {
		snprintf(buf, len, "nothing: blank");
		return;
	}
	for (i = 0; i < 2; i++) {
		enum fm_copy_state s = sc->sb_copy[i].state;

		if (s == FM_COPY_VERSION)
			version = true;
		if (s != FM_COPY_ZERO && s != FM_COPY_FOREIGN)
			ours = true;
	}
	if (version)
		snprintf(buf, len, "a forkmirror store of an unknown format version");
	else if (ours)
		snprintf(buf, len, "a damaged forkmirror store: %s",
			 sc->sb_why ? sc->sb_why : "no valid superblock");
	else
		snprintf(buf, len, "unknown data");
}

u32 fm_scan_find(const struct fm_scan *sc, const char *name, u32 host_id,
		 u32 *idx, u32 max)
{
	u32 i, n = 0;

	for (i = 0; i < sc->nslots; i++) {
		const struct fm_scan_slot *ss = &sc->slots[i];

		if (ss->kind != FM_SLOT_USED || ss->slot.host_id != host_id ||
		    strcmp(ss->slot.name, name))
			continue;
		if (n < max)
			idx[n] = i;
		n++;
	}
	return n;
}

int fm_format_plan(u64 dev_blocks, u32 slot_count, u8 uuid[16], u64 now,
		   struct fm_sb *sb, struct fm_layout *l, const char **why)
{
	u64 store_blocks = min_t(u64, dev_blocks, FM_STORE_BLOCKS_MAX);
	int ret;

	if (slot_count < 1 || slot_count > FM_SLOTS_MAX) {
		*why = "the slot count must be 1 to 65536";
		return -EINVAL;
	}
	ret = fm_layout_compute(store_blocks, slot_count, l);
	if (ret) {
		*why = "the device is too small for the superblocks, the slot table and one bitmap block";
		return -ENOSPC;
	}
	/* As the kernel's generate_random_uuid(): RFC 4122 version 4. */
	uuid[6] = (uuid[6] & 0x0f) | 0x40;
	uuid[8] = (uuid[8] & 0x3f) | 0x80;
	memset(sb, 0, sizeof(*sb));
	sb->seq = 1;
	memcpy(sb->uuid, uuid, sizeof(sb->uuid));
	sb->store_blocks = store_blocks;
	sb->slot_count = slot_count;
	sb->format_time = now;
	return 0;
}

int fm_delete_plan(const struct fm_scan *sc, u32 index, void *buf,
		   u64 *block, u64 *seq)
{
	const struct fm_scan_slot *ss;
	struct fm_slot s;
	int copy;

	if (!sc->sb_usable || index >= sc->nslots)
		return -EINVAL;
	ss = &sc->slots[index];
	if ((ss->kind != FM_SLOT_USED && ss->kind != FM_SLOT_DELETED) ||
	    ss->pick.chosen < 0)
		return -EINVAL;
	/* tracking/store.c fm_store_delete_slot() and fm_store_write_slot(). */
	memset(&s, 0, sizeof(s));
	s.index = index;
	s.generation = ss->slot.generation;
	copy = fm_next_copy(&ss->pick, ss->slot.seq, &s.seq);
	fm_slot_encode(&s, &sc->st.sb, buf);
	*block = fm_slot_block(&sc->st.layout, index, copy);
	*seq = s.seq;
	return 0;
}

void fm_uuid_str(const u8 uuid[16], char buf[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[o++] = '-';
		buf[o++] = hex[uuid[i] >> 4];
		buf[o++] = hex[uuid[i] & 15];
	}
	buf[o] = '\0';
}

static const char *const flag_names[] = { "in_use", "active", "full_resync" };

const char *fm_slot_flag_name(unsigned int bit)
{
	return bit < ARRAY_SIZE(flag_names) ? flag_names[bit] : NULL;
}

void fm_slot_flags_str(u32 flags, char *buf, size_t len)
{
	size_t o = 0;
	unsigned int b;

	if (!len)
		return;
	buf[0] = '\0';
	if (!flags) {
		snprintf(buf, len, "-");
		return;
	}
	for (b = 0; b < ARRAY_SIZE(flag_names); b++) {
		if (!(flags & (1U << b)))
			continue;
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? "," : "",
			      flag_names[b]);
		if (o >= len)
			return;
	}
	flags &= ~FM_SLOT_FLAGS_KNOWN;
	if (flags)
		snprintf(buf + o, len - o, "%s0x%x", o ? "," : "", flags);
}

static const char *const counter_names[FM_CNT_NR] = {
	[FM_CNT_BACKUP_ERRORS] = "backup_errors",
	[FM_CNT_PRIMARY_ERRORS] = "primary_errors",
	[FM_CNT_TRACKER_ERRORS] = "tracker_errors",
	[FM_CNT_RESYNCS] = "resyncs",
	[FM_CNT_REGIONS_COPIED] = "regions_copied",
	[FM_CNT_ATTACHES] = "attaches",
	[6] = "reserved_6",
	[7] = "reserved_7",
};

const char *fm_counter_name(unsigned int i)
{
	return i < FM_CNT_NR ? counter_names[i] : "?";
}

int fm_parse_u64(const char *s, u64 max, u64 *v)
{
	u64 x = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (max - (u64)(*s - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (u64)(*s - '0');
	}
	*v = x;
	return 0;
}

int fm_parse_sysfs_slot(const char *line, struct fm_sysfs_slot *s)
{
	char copy[256], *w[6], *save = NULL, *t;
	unsigned int n = 0;
	size_t len = strlen(line);
	u64 v;

	if (len >= sizeof(copy))
		return -EINVAL;
	memcpy(copy, line, len + 1);
	for (t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (n == ARRAY_SIZE(w))
			return -EINVAL;
		w[n++] = t;
	}
	if (n != 5)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (fm_parse_u64(w[0], U32_MAX, &v))
		return -EINVAL;
	s->index = (u32)v;
	if (!fm_name_valid(w[1], strlen(w[1])))
		return -EINVAL;
	memcpy(s->name, w[1], strlen(w[1]) + 1);
	if (fm_parse_u64(w[2], U32_MAX, &v))
		return -EINVAL;
	s->host_id = (u32)v;
	if (!strcmp(w[3], "attached"))
		s->attached = true;
	else if (strcmp(w[3], "detached"))
		return -EINVAL;
	if (!strcmp(w[4], "?"))
		return 0;
	if (fm_parse_u64(w[4], U64_MAX, &s->dirty))
		return -EINVAL;
	s->dirty_known = true;
	return 0;
}
