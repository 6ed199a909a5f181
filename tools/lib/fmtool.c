// SPDX-License-Identifier: GPL-2.0-only
/*
 * The forkmirror command's pure code (see fmtool.h): table and status
 * lines, the tracking log and its extents, progress arithmetic.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fmtool.h"

#define FM_TABLE_WORDS_MAX	32

int fm_parse_table(const char *params, struct fm_table *t, const char **why)
{
	char *argv[FM_TABLE_WORDS_MAX], *save = NULL, *w;
	unsigned int argc = 0;
	size_t n = strlen(params);

	if (n >= sizeof(t->words)) {
		*why = "table line too long";
		return -EINVAL;
	}
	memcpy(t->words, params, n + 1);
	for (w = strtok_r(t->words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (argc == FM_TABLE_WORDS_MAX) {
			*why = "too many words in the table line";
			return -EINVAL;
		}
		argv[argc++] = w;
	}
	return fm_parse_args(argc, argv, &t->args, why) ? -EINVAL : 0;
}

/* A plain decimal number, all of @w. */
static bool dec_u64(const char *w, uint64_t *v)
{
	uint64_t x = 0;

	if (!*w)
		return false;
	for (; *w; w++) {
		if (*w < '0' || *w > '9' || x > (UINT64_MAX - (*w - '0')) / 10)
			return false;
		x = x * 10 + (*w - '0');
	}
	*v = x;
	return true;
}

/* "<a>/<b>", both decimal. */
static bool pair_u64(char *w, uint64_t *a, uint64_t *b)
{
	char *slash = strchr(w, '/');

	if (!slash)
		return false;
	*slash = '\0';
	return dec_u64(w, a) && dec_u64(slash + 1, b);
}

int fm_parse_status(const char *params, struct fm_status *s, const char **why)
{
	static const char *const states[] = {
		"in_sync", "tracking", "resyncing", "failed",
	};
	char copy[512], *word[8], *save = NULL, *w;
	unsigned int n = 0, i;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	if (strlen(params) >= sizeof(copy)) {
		*why = "status line too long";
		return -EINVAL;
	}
	strcpy(copy, params);
	/* Later versions may append fields: the first 8 are the contract. */
	for (w = strtok_r(copy, " ", &save); w && n < 8; w = strtok_r(NULL, " ", &save))
		word[n++] = w;
	if (n < 8) {
		*why = "status line has fewer than 8 fields";
		return -EINVAL;
	}
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(word[0], states[i]))
			break;
	if (i == sizeof(states) / sizeof(states[0])) {
		*why = "unknown state in the status line";
		return -EINVAL;
	}
	strcpy(s->state, word[0]);
	if (!pair_u64(word[1], &s->dirty, &s->total) || s->dirty > s->total) {
		*why = "bad <dirty>/<total> in the status line";
		return -EINVAL;
	}
	if (!pair_u64(word[2], &s->resync_done, &s->resync_pass_total)) {
		*why = "bad <resync_done>/<resync_pass_total> in the status line";
		return -EINVAL;
	}
	if (!dec_u64(word[3], &s->resync_kib_s) || !dec_u64(word[4], &s->backup_errors) ||
	    !dec_u64(word[5], &s->primary_errors)) {
		*why = "bad rate or error count in the status line";
		return -EINVAL;
	}
	if (!strcmp(word[6], "-")) {
		s->offline_since = -1;
	} else if (dec_u64(word[6], &v) && v <= INT64_MAX) {
		s->offline_since = (int64_t)v;
	} else {
		*why = "bad <offline_since> in the status line";
		return -EINVAL;
	}
	if (strcmp(word[7], "0") && strcmp(word[7], "1")) {
		*why = "bad <full_resync_needed> in the status line";
		return -EINVAL;
	}
	s->full_resync_needed = word[7][0] == '1';
	return 0;
}

int fm_format_table(uint64_t sectors, const struct fm_args *a, char *buf,
		    size_t len)
{
	char features[256];
	int n, f;

	f = fm_format_features(a, features, sizeof(features));
	if (f < 0)
		return -ENOSPC;
	n = snprintf(buf, len, "0 %" PRIu64 " forkmirror %s %s %s %s %u%s%s",
		     sectors, a->primary_path, a->backup_path, a->tracker_path,
		     a->volume, a->region_sectors, f ? " " : "", features);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

#define LOG_FIELD32(b, f) get_le32((b) + offsetof(struct fm_log_header, f))
#define LOG_FIELD64(b, f) get_le64((b) + offsetof(struct fm_log_header, f))

int fm_log_decode(const void *buf, size_t len, struct fm_log *log,
		  bool exact, const char **why)
{
	const uint8_t *b = buf;
	uint64_t bytes, i, count = 0;
	uint32_t hdr_len;

	memset(log, 0, sizeof(*log));
	if (len < sizeof(struct fm_log_header)) {
		*why = "shorter than the log header";
		return -EINVAL;
	}
	if (LOG_FIELD64(b, magic) != FM_LOG_MAGIC) {
		*why = "not a forkmirror tracking log (bad magic)";
		return -EINVAL;
	}
	log->version = LOG_FIELD32(b, version);
	if (log->version != FM_LOG_VERSION) {
		*why = "a log version this command does not know";
		return -EINVAL;
	}
	hdr_len = LOG_FIELD32(b, hdr_len);
	if (hdr_len < sizeof(struct fm_log_header) || hdr_len > len) {
		*why = "header length out of range";
		return -EINVAL;
	}
	log->region_sectors = LOG_FIELD32(b, region_sectors);
	log->flags = LOG_FIELD32(b, flags);
	log->region_count = LOG_FIELD64(b, region_count);
	log->volume_sectors = LOG_FIELD64(b, volume_sectors);
	log->seq = LOG_FIELD64(b, seq);
	log->dirty_count = LOG_FIELD64(b, dirty_count);
	log->first_dirtied = LOG_FIELD64(b, first_dirtied);
	log->last_dirtied = LOG_FIELD64(b, last_dirtied);
	log->offline_since = LOG_FIELD64(b, offline_since);
	if (log->region_sectors < FM_REGION_SECTORS_MIN ||
	    log->region_sectors > FM_REGION_SECTORS_MAX ||
	    (log->region_sectors & (log->region_sectors - 1))) {
		*why = "impossible region size";
		return -EINVAL;
	}
	if (!log->volume_sectors || log->volume_sectors > FM_VOLUME_SECTORS_MAX ||
	    log->region_count != (log->volume_sectors + log->region_sectors - 1) /
				 log->region_sectors) {
		*why = "region count does not match the volume size";
		return -EINVAL;
	}
	bytes = (log->region_count + 7) / 8;
	if (len - hdr_len < bytes) {
		*why = "bitmap cut short";
		return -EINVAL;
	}
	log->bitmap = b + hdr_len;
	if (log->region_count % 8 &&
	    log->bitmap[bytes - 1] >> (log->region_count % 8)) {
		*why = "bits set past the last region";
		return -EINVAL;
	}
	for (i = 0; i < bytes; i++)
		count += __builtin_popcount(log->bitmap[i]);
	if (count != log->dirty_count && exact) {
		*why = "dirty count differs from the bits set";
		return -EINVAL;
	}
	log->dirty_count = count;
	return 0;
}

static bool log_bit(const struct fm_log *log, uint64_t r)
{
	return log->bitmap[r / 8] >> (r % 8) & 1;
}

/* The first region at or after @r whose bit is @set, or region_count. */
static uint64_t log_find(const struct fm_log *log, uint64_t r, bool set)
{
	uint8_t skip = set ? 0x00 : 0xff;

	while (r < log->region_count) {
		if (!(r % 8) && log->bitmap[r / 8] == skip) {
			r += 8;
			continue;
		}
		if (log_bit(log, r) == set)
			return r;
		r++;
	}
	return log->region_count;
}

bool fm_log_next_extent(const struct fm_log *log, uint64_t *region,
			struct fm_extent_s *e)
{
	uint64_t first = log_find(log, *region, true), end;

	if (first >= log->region_count)
		return false;
	end = log_find(log, first + 1, false);
	if (end > log->region_count)
		end = log->region_count;
	e->start = first * log->region_sectors;
	e->length = end * log->region_sectors - e->start;
	if (e->start + e->length > log->volume_sectors)
		e->length = log->volume_sectors - e->start;
	*region = end;
	return true;
}

int64_t fm_eta_s(uint64_t regions_left, uint32_t region_sectors,
		 uint64_t rate_kib_s)
{
	uint64_t kib;

	if (!rate_kib_s)
		return -1;
	if (region_sectors / 2 && regions_left > UINT64_MAX / (region_sectors / 2))
		return INT64_MAX;	/* a corrupt status: no overflow */
	kib = regions_left * (region_sectors / 2);
	kib = kib / rate_kib_s + !!(kib % rate_kib_s);
	return kib > INT64_MAX ? INT64_MAX : (int64_t)kib;
}

void fm_progress_bar(uint64_t done, uint64_t total, unsigned int width,
		     char *buf, size_t len)
{
	unsigned int fill, i, permille;
	size_t pos = 0;

	if (!len)
		return;
	if (total && done > total)
		done = total;
	/* A pass that has not counted its regions yet has done nothing. */
	permille = total ? (unsigned int)(done > UINT64_MAX / 1000 ? done / (total / 1000 + 1) :
					 done * 1000 / total) : 0;
	if (permille > 1000)
		permille = 1000;
	fill = permille * width / 1000;
	if (pos + 1 < len)
		buf[pos++] = '[';
	for (i = 0; i < width && pos + 1 < len; i++)
		buf[pos++] = i < fill ? '#' : '.';
	buf[pos] = '\0';
	snprintf(buf + pos, len - pos, "] %3u.%u%%", permille / 10, permille % 10);
}

int fm_conf_words(char *line, char **words, unsigned int max, const char **why)
{
	unsigned int n = 0;
	char *p;

	for (p = line; *p; p++) {
		if (*p == '#' || *p == '\n') {
			*p = '\0';
			break;
		}
		if ((unsigned char)*p < ' ' && *p != '\t') {
			*why = "a control character in the line";
			return -EINVAL;
		}
	}
	for (p = line; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max) {
			*why = "too many words in the line";
			return -EINVAL;
		}
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return (int)n;
}
