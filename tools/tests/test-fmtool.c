// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests of the forkmirror command's pure code: table and status
 * lines, the tracking log's decoder, extents from bitmaps, progress
 * arithmetic, and the shape of the --json output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <json-c/json.h>

#include "check.h"
#include "dm.h"
#include "out.h"

static void table_round_trip(void)
{
	static const char *const lines[] = {
		"253:0 253:1 253:2 vol 1024",
		"253:0 253:1 253:2 vol 8 1 no_auto_resync",
		"253:0 253:1 253:2 a.b-c_9 131072 3 resync_rate 500 start_offline",
		"7:0 7:1 259:0 v 2048 5 no_auto_resync fork_mode parallel intent_window 100",
		"7:0 7:1 259:0 v 2048 3 no_intent_log no_auto_resync start_offline",
	};
	char want[1100], got[1100];
	struct fm_table t;
	const char *why = NULL;
	size_t i;
	int n;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CHECK(!fm_parse_table(lines[i], &t, &why), "%s: %s", lines[i], why);
		n = fm_format_table(4096, &t.args, got, sizeof(got));
		snprintf(want, sizeof(want), "0 4096 forkmirror %s", lines[i]);
		CHECK(n == (int)strlen(want), "length %d for %s", n, want);
		/* Features come back in the kernel's canonical order. */
		if (i == 4)
			snprintf(want, sizeof(want), "0 4096 forkmirror 7:0 7:1 259:0 v 2048 3 "
				 "no_auto_resync no_intent_log start_offline");
		CHECK(!strcmp(got, want), "got '%s' want '%s'", got, want);
	}
	CHECK(!fm_parse_table(lines[2], &t, &why) && t.args.resync_rate == 500 &&
	      t.args.region_sectors == 131072 && !strcmp(t.args.volume, "a.b-c_9") &&
	      !strcmp(t.args.tracker_path, "253:2"), "fields of %s", lines[2]);
	CHECK(fm_format_table(4096, &t.args, got, 20) == -ENOSPC, "short buffer");
}

static void table_refusals(void)
{
	static const char *const bad[] = {
		"", "253:0 253:1 253:2 vol", "253:0 253:1 253:2 vol 1000",
		"253:0 253:1 253:2 vol 4", "253:0 253:1 253:2 -vol 1024",
		"253:0 253:1 253:2 vol 1024 1 bogus", "253:0 253:1 253:2 vol 1024 2 resync_rate",
		"253:0 253:1 253:2 vol 1024 3 fork_mode parallel no_intent_log",
	};
	char longline[2048];
	struct fm_table t;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(fm_parse_table(bad[i], &t, &why) == -EINVAL && why && *why,
		      "accepted '%s'", bad[i]);
	}
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	CHECK(fm_parse_table(longline, &t, &why) == -EINVAL, "accepted a 2 KiB line");
	strcpy(longline, "253:0 253:1 253:2 vol 1024 40");
	for (i = 0; i < 40; i++)
		strcat(longline, " no_auto_resync");
	CHECK(fm_parse_table(longline, &t, &why) == -EINVAL, "accepted 45 words");
}

static void status_lines(void)
{
	struct fm_status s;
	const char *why = NULL;
	static const char *const bad[] = {
		"in_sync 0/10 0/0 0 0 0 -", "bogus 0/10 0/0 0 0 0 - 0",
		"in_sync 11/10 0/0 0 0 0 - 0", "in_sync 0-10 0/0 0 0 0 - 0",
		"in_sync 0/10 0/0 x 0 0 - 0", "in_sync 0/10 0/0 0 0 0 1x 0",
		"in_sync 0/10 0/0 0 0 0 - 2", "in_sync 0/10 0/ 0 0 0 - 0",
		"in_sync 0/10 0/0 0 0 99999999999999999999 - 0", "",
	};
	size_t i;

	CHECK(!fm_parse_status("resyncing 12/4096 3/12 2048 1 2 1764288200 1", &s, &why),
	      "%s", why);
	CHECK(!strcmp(s.state, "resyncing") && s.dirty == 12 && s.total == 4096 &&
	      s.resync_done == 3 && s.resync_pass_total == 12 && s.resync_kib_s == 2048 &&
	      s.backup_errors == 1 && s.primary_errors == 2 &&
	      s.offline_since == 1764288200 && s.full_resync_needed, "fields");
	CHECK(!fm_parse_status("in_sync 0/8 0/0 0 0 0 - 0 extra fields 7", &s, &why) &&
	      s.offline_since == -1 && !s.full_resync_needed, "appended fields refused");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(fm_parse_status(bad[i], &s, &why) == -EINVAL && why,
		      "accepted '%s'", bad[i]);
	}
}

/* A log of @regions regions of @rs sectors over @sectors, bits from @bits. */
static size_t make_log(uint8_t *buf, size_t cap, uint32_t rs, uint64_t sectors,
		       const uint8_t *bits)
{
	struct fm_log_header h;
	uint64_t regions = (sectors + rs - 1) / rs, i, count = 0;
	size_t bytes = (regions + 7) / 8;

	memset(&h, 0, sizeof(h));
	h.magic = htole64(FM_LOG_MAGIC);
	h.version = htole32(FM_LOG_VERSION);
	h.hdr_len = htole32(sizeof(h));
	h.region_sectors = htole32(rs);
	h.region_count = htole64(regions);
	h.volume_sectors = htole64(sectors);
	h.seq = htole64(7);
	h.first_dirtied = htole64(100);
	for (i = 0; i < regions; i++)
		count += bits[i];
	h.dirty_count = htole64(count);
	if (sizeof(h) + bytes > cap)
		return 0;
	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 0, bytes);
	for (i = 0; i < regions; i++)
		if (bits[i])
			buf[sizeof(h) + i / 8] |= 1 << (i % 8);
	return sizeof(h) + bytes;
}

static uint8_t logbuf[1 << 16], bits[1 << 15];

static void log_decode_refusals(void)
{
	struct fm_log_header *h = (struct fm_log_header *)logbuf;
	struct fm_log log;
	const char *why;
	size_t len;

	memset(bits, 0, sizeof(bits));
	bits[3] = bits[99] = 1;
	len = make_log(logbuf, sizeof(logbuf), 8, 800, bits);	/* 100 regions */
	CHECK(!fm_log_decode(logbuf, len, &log, true, &why), "%s", why);
	CHECK(log.region_count == 100 && log.dirty_count == 2 && log.seq == 7 &&
	      log.first_dirtied == 100, "fields");
#define REFUSED(what, mod, l)						\
	do {								\
		len = make_log(logbuf, sizeof(logbuf), 8, 800, bits);	\
		mod;							\
		why = NULL;						\
		CHECK(fm_log_decode(logbuf, l, &log, true, &why) == -EINVAL && why, \
		      "%s accepted", what);				\
	} while (0)
	REFUSED("empty", (void)0, 0);
	REFUSED("short header", (void)0, sizeof(*h) - 1);
	REFUSED("magic", h->magic ^= htole64(1), len);
	REFUSED("version", h->version = htole32(2), len);
	REFUSED("hdr_len short", h->hdr_len = htole32(8), len);
	REFUSED("hdr_len past the end", h->hdr_len = htole32(len + 1), len);
	REFUSED("region size 12", h->region_sectors = htole32(12), len);
	REFUSED("region size 4", h->region_sectors = htole32(4), len);
	REFUSED("region size 2^18", h->region_sectors = htole32(1 << 18), len);
	REFUSED("region count", h->region_count = htole64(101), len);
	REFUSED("volume 0", h->volume_sectors = 0, len);
	REFUSED("volume huge", h->volume_sectors = htole64(1ULL << 51), len);
	REFUSED("cut bitmap", (void)0, len - 1);
	REFUSED("bit past the end", logbuf[len - 1] |= 0x80, len);
	REFUSED("dirty count", h->dirty_count = htole64(3), len);
	len = make_log(logbuf, sizeof(logbuf), 8, 800, bits);
	h->dirty_count = htole64(3);
	CHECK(!fm_log_decode(logbuf, len, &log, false, &why) && log.dirty_count == 2,
	      "inexact decode");
#undef REFUSED
}

/* Extents against a region-by-region walk, over many bitmaps. */
static void log_extents(void)
{
	static const uint64_t sizes[] = { 1, 7, 8, 9, 63, 64, 65, 800, 1000, 4093 };
	struct fm_extent_s e;
	struct fm_log log;
	const char *why;
	uint64_t r, i, s, covered, want, next;
	size_t len, k;
	unsigned int seed = 1, pattern;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (pattern = 0; pattern < 6; pattern++) {
			uint64_t regions = (sizes[k] * 8 + 15) / 16;

			for (i = 0; i < regions; i++)
				bits[i] = pattern == 0 ? 0 : pattern == 1 ? 1 :
					  pattern == 2 ? i % 2 : pattern == 3 ? i == regions - 1 :
					  pattern == 4 ? (i / 9) % 2 : rand_r(&seed) % 3 == 0;
			/* sectors: not a multiple of the region, so the last is short */
			s = sizes[k] * 8 - (sizes[k] > 2 ? 3 : 0);
			len = make_log(logbuf, sizeof(logbuf), 16, s, bits);
			CHECK(!fm_log_decode(logbuf, len, &log, true, &why), "%s", why);
			if (fm_check_why[0])
				return;
			r = 0;
			covered = 0;
			next = 0;
			while (fm_log_next_extent(&log, &r, &e)) {
				CHECK(e.length && e.start % 16 == 0 && e.start >= next &&
				      e.start + e.length <= s, "extent %" PRIu64 "+%" PRIu64,
				      e.start, e.length);
				/* maximal: the regions around it are clean */
				CHECK(!e.start || !bits[e.start / 16 - 1], "not maximal at start");
				for (i = e.start / 16; i * 16 < e.start + e.length; i++)
					CHECK(bits[i], "clean region %" PRIu64 " inside", i);
				CHECK(i >= log.region_count || !bits[i], "not maximal at end");
				covered += (e.length + 15) / 16;
				next = e.start + e.length + 1;
			}
			for (i = 0, want = 0; i < log.region_count; i++)
				want += bits[i];
			CHECK(covered == want, "covered %" PRIu64 " of %" PRIu64 " dirty",
			      covered, want);
		}
	}
}

static void progress(void)
{
	char buf[64];

	CHECK(fm_eta_s(10, 2048, 0) == -1, "no rate");
	CHECK(fm_eta_s(10, 2048, 1024) == 10, "10 MiB at 1 MiB/s: %" PRId64,
	      fm_eta_s(10, 2048, 1024));
	CHECK(fm_eta_s(1, 8, 3) == 2, "4 KiB at 3 KiB/s rounds up");
	CHECK(fm_eta_s(0, 8, 3) == 0, "nothing left");
	fm_progress_bar(1, 4, 8, buf, sizeof(buf));
	CHECK(!strcmp(buf, "[##......]  25.0%"), "'%s'", buf);
	fm_progress_bar(5, 4, 4, buf, sizeof(buf));
	CHECK(!strcmp(buf, "[####] 100.0%"), "'%s'", buf);
	fm_progress_bar(0, 0, 4, buf, sizeof(buf));
	CHECK(!strcmp(buf, "[....]   0.0%"), "empty pass: '%s'", buf);
	fm_progress_bar(UINT64_MAX - 1, UINT64_MAX, 4, buf, sizeof(buf));
	CHECK(!strncmp(buf, "[###", 4), "huge counts: '%s'", buf);
	CHECK(fm_eta_s(UINT64_MAX, 1 << 17, 1) == INT64_MAX, "overflow: %" PRId64,
	      fm_eta_s(UINT64_MAX, 1 << 17, 1));
	fm_progress_bar(1, 3, 10, buf, 6);
	CHECK(strlen(buf) == 5, "truncated: '%s'", buf);
}

/* The keys and types forkmirror(8) documents for status --json and log --json. */
static void json_shape(void)
{
	static const char *const status_keys[] = {
		"device", "volume", "tracker", "state", "dirty_regions", "total_regions",
		"region_sectors", "resync_done", "resync_pass_total", "resync_kib_per_s",
		"backup_errors", "primary_errors", "offline_since", "full_resync_needed",
	};
	static const char *const log_keys[] = {
		"device", "volume", "tracker", "state", "log_version", "seq",
		"region_sectors", "region_count", "volume_sectors", "dirty_regions",
		"slot_flags", "first_dirtied", "last_dirtied", "offline_since", "extents",
	};
	struct fm_dm_target t;
	struct fm_log log;
	json_object *o, *v, *x;
	const char *why;
	size_t i, len;

	memset(&t, 0, sizeof(t));
	strcpy(t.name, "fm");
	CHECK(!fm_parse_table("253:0 253:1 253:2 vol 16", &t.table, &why), "%s", why);
	CHECK(!fm_parse_status("tracking 2/100 0/0 0 3 0 1764288200 0", &t.status, &why),
	      "%s", why);
	o = fm_status_json(&t);
	CHECK(json_object_object_length(o) == sizeof(status_keys) / sizeof(status_keys[0]),
	      "%d status keys", json_object_object_length(o));
	for (i = 0; i < sizeof(status_keys) / sizeof(status_keys[0]); i++)
		CHECK(json_object_object_get_ex(o, status_keys[i], NULL), "no %s", status_keys[i]);
	json_object_object_get_ex(o, "offline_since", &v);
	CHECK(json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 1764288200,
	      "offline_since");
	json_object_object_get_ex(o, "full_resync_needed", &v);
	CHECK(json_object_is_type(v, json_type_boolean), "full_resync_needed type");
	json_object_object_get_ex(o, "backup_errors", &v);
	CHECK(json_object_get_int64(v) == 3, "backup_errors");
	json_object_put(o);
	CHECK(!fm_parse_status("in_sync 0/100 0/0 0 0 0 - 0", &t.status, &why), "%s", why);
	o = fm_status_json(&t);
	CHECK(json_object_object_get_ex(o, "offline_since", &v) && !v, "offline_since null");
	json_object_put(o);

	memset(bits, 0, sizeof(bits));
	bits[0] = bits[1] = bits[5] = 1;
	len = make_log(logbuf, sizeof(logbuf), 16, 100, bits);	/* 7 regions */
	CHECK(!fm_log_decode(logbuf, len, &log, true, &why), "%s", why);
	o = fm_log_json(&t, &log);
	CHECK(json_object_object_length(o) == sizeof(log_keys) / sizeof(log_keys[0]),
	      "%d log keys", json_object_object_length(o));
	for (i = 0; i < sizeof(log_keys) / sizeof(log_keys[0]); i++)
		CHECK(json_object_object_get_ex(o, log_keys[i], NULL), "no %s", log_keys[i]);
	json_object_object_get_ex(o, "extents", &v);
	CHECK(json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2,
	      "two extents");
	x = json_object_array_get_idx(v, 1);
	CHECK(json_object_object_get_ex(x, "start", &v) && json_object_get_int64(v) == 80 &&
	      json_object_object_get_ex(x, "length", &v) && json_object_get_int64(v) == 16,
	      "second extent: %s", json_object_to_json_string(x));
	json_object_put(o);
}

static void conf_lines(void)
{
	char line[256], *w[8];
	const char *why = NULL;
	int n;

	strcpy(line, "  vol0\t--region-sectors 128 /dev/a /dev/b /dev/c v # comment x y\n");
	n = fm_conf_words(line, w, 8, &why);
	CHECK(n == 7 && !strcmp(w[0], "vol0") && !strcmp(w[1], "--region-sectors") &&
	      !strcmp(w[6], "v"), "%d words, '%s'", n, n > 0 ? w[n - 1] : "");
	strcpy(line, "# only a comment\n");
	CHECK(fm_conf_words(line, w, 8, &why) == 0, "comment line");
	strcpy(line, "   \t \n");
	CHECK(fm_conf_words(line, w, 8, &why) == 0, "blank line");
	strcpy(line, "");
	CHECK(fm_conf_words(line, w, 8, &why) == 0, "empty line");
	strcpy(line, "a b c d e f g h i");
	why = NULL;
	CHECK(fm_conf_words(line, w, 8, &why) == -EINVAL && why, "9 words in 8");
	strcpy(line, "a b c d e f g h");
	CHECK(fm_conf_words(line, w, 8, &why) == 8, "8 words in 8");
	strcpy(line, "vol0 /dev/a\r");
	why = NULL;
	CHECK(fm_conf_words(line, w, 8, &why) == -EINVAL && why, "a CR accepted");
	strcpy(line, "vol0#no-space-comment");
	CHECK(fm_conf_words(line, w, 8, &why) == 1 && !strcmp(w[0], "vol0"), "# glued");
}

int main(void)
{
	RUN(table_round_trip);
	RUN(table_refusals);
	RUN(status_lines);
	RUN(log_decode_refusals);
	RUN(log_extents);
	RUN(progress);
	RUN(json_shape);
	RUN(conf_lines);
	return fm_check_done();
}
