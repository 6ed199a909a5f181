// SPDX-License-Identifier: GPL-2.0-only
/*
 * fm-replay: replay a dm-log-writes log up to a mark, for the power-loss
 * tests (Debian packages no replayer). Run in the guest.
 *
 *   fm-replay LOG MARK OUT SIZE_BYTES [CUT POLICY [SEED]]
 *   fm-replay --hash DEVICE SIZE_BYTES CUT
 *
 * OUT (a file, created or truncated, SIZE_BYTES long, all zero first: the
 * logged device must have been all zero when logging began) receives
 * every logged write before the mark entry named MARK, in log order;
 * discards write zeroes. dm-log-writes logs a write only once a flush
 * (or its own FUA) made it durable, so OUT is what the device would hold
 * after a power loss at the moment the mark was taken if its cache lost
 * every write not yet flushed.
 *
 * A real cache may keep any part of them. With CUT, the hashes of the
 * device's 512-byte sectors taken at the moment of the mark (--hash
 * writes them: one little-endian 64-bit hash per sector), the sectors
 * where OUT and CUT differ are those whose last write completed before
 * the mark but was not flushed; their content is found in the log after
 * the mark (every write is logged once a later flush, or the log's
 * removal, comes), as the first later write of the same content. POLICY
 * then says which of them survive the power loss, each sector on its
 * own (a disk writes a sector atomically, nothing more): "none", "all",
 * or "random" (each with probability 1/2, from SEED). A sector whose
 * content at the cut no later entry holds is an error: the log or the
 * hashes are not what the test assumed.
 *
 * Log format (the kernel's Documentation/admin-guide/device-mapper/
 * log-writes.rst and dm-log-writes.c): a super block at byte 0 (magic,
 * version, entry count, sector size), then, from the second sector on,
 * one sector per entry (sector, sector count, flags, data length; a
 * mark's name follows in the same sector) followed by the entry's data
 * (sector count sectors; none for discards and marks). Sectors are the
 * log's sector size.
 *
 * Prints "entries N flushes F writes W" for the replayed part, followed
 * with CUT by "unflushed U survived S". Exit 0, 1 when the mark is not
 * in the log, 2 on a format, usage or I/O error.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LW_MAGIC	0x6a736677736872ULL
#define LW_VERSION	1ULL
#define LW_FLUSH	(1ULL << 0)
#define LW_FUA		(1ULL << 1)
#define LW_DISCARD	(1ULL << 2)
#define LW_MARK		(1ULL << 3)

struct lw_super {
	uint64_t magic;
	uint64_t version;
	uint64_t nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct lw_entry {
	uint64_t sector;
	uint64_t nr_sectors;
	uint64_t flags;
	uint64_t data_len;
} __attribute__((packed));

static void fail(const char *what, const char *name)
{
	fprintf(stderr, "fm-replay: %s %s: %s\n", what, name, strerror(errno));
	exit(2);
}

static void bad(const char *what)
{
	fprintf(stderr, "fm-replay: bad log: %s\n", what);
	exit(2);
}

static void pread_all(int fd, void *buf, size_t len, off_t off, const char *name)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0)
			fail("cannot read", name);
		if (n == 0)
			bad("truncated");
		done += n;
	}
}

static void pwrite_all(int fd, const void *buf, size_t len, off_t off, const char *name)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + done);

		if (n <= 0)
			fail("cannot write", name);
		done += n;
	}
}

#define SECTOR 512U

/* A 64-bit hash of one 512-byte sector (not cryptographic). */
static uint64_t sector_hash(const unsigned char *p)
{
	uint64_t h = 0x6a09e667f3bcc908ULL, w;
	unsigned int i;

	for (i = 0; i < SECTOR; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

/* fm-replay --hash DEVICE SIZE_BYTES CUT: the hash of every sector. */
static int hash_device(const char *dev, uint64_t size, const char *cut)
{
	const size_t chunk = 1U << 20;
	unsigned char *buf;
	uint64_t off, h;
	size_t len, i;
	FILE *f;
	int fd;

	if (!size || size % SECTOR)
		bad("size is not a whole number of sectors");
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		fail("cannot open", dev);
	f = fopen(cut, "w");
	if (!f)
		fail("cannot open", cut);
	if (posix_memalign((void **)&buf, 4096, chunk))
		bad("out of memory");
	for (off = 0; off < size; off += len) {
		len = size - off < chunk ? size - off : chunk;
		pread_all(fd, buf, len, off, dev);
		for (i = 0; i < len; i += SECTOR) {
			h = htole64(sector_hash(buf + i));
			if (fwrite(&h, 8, 1, f) != 1)
				fail("cannot write", cut);
		}
	}
	if (fclose(f))
		fail("cannot write", cut);
	free(buf);
	close(fd);
	return 0;
}

/*
 * The unflushed writes at a cut: which sectors of OUT (replayed to the
 * mark) differ from the cut's hashes, and the survival policy.
 */
struct survival {
	uint64_t *cut;		/* hash of each sector at the cut */
	unsigned char *pending;	/* differs, content not found yet */
	uint64_t sectors;
	int policy;		/* 0 none, 1 all, 2 random */
	uint64_t rng;
	uint64_t missing;	/* sectors pending */
	uint64_t unflushed, survived;
};

static void survival_init(struct survival *sv, const char *cut, const char *policy,
			  const char *seed, int out, const char *outname)
{
	unsigned char *buf;
	uint64_t i;
	FILE *f;

	if (!strcmp(policy, "none"))
		sv->policy = 0;
	else if (!strcmp(policy, "all"))
		sv->policy = 1;
	else if (!strcmp(policy, "random"))
		sv->policy = 2;
	else
		bad("policy is not none, all or random");
	sv->rng = (seed ? strtoull(seed, NULL, 0) : 1) * 0x9e3779b97f4a7c15ULL | 1;
	sv->cut = malloc(sv->sectors * 8);
	sv->pending = calloc(sv->sectors, 1);
	buf = malloc(SECTOR);
	if (!sv->cut || !sv->pending || !buf)
		bad("out of memory");
	f = fopen(cut, "r");
	if (!f)
		fail("cannot open", cut);
	if (fread(sv->cut, 8, sv->sectors, f) != sv->sectors || fgetc(f) != EOF)
		bad("the cut's hashes do not cover the device size given");
	fclose(f);
	for (i = 0; i < sv->sectors; i++) {
		pread_all(out, buf, SECTOR, (off_t)(i * SECTOR), outname);
		if (sector_hash(buf) != le64toh(sv->cut[i])) {
			sv->pending[i] = 1;
			sv->missing++;
		}
	}
	free(buf);
}

static bool survives(struct survival *sv)
{
	if (sv->policy < 2)
		return sv->policy;
	sv->rng ^= sv->rng << 13;
	sv->rng ^= sv->rng >> 7;
	sv->rng ^= sv->rng << 17;
	return sv->rng >> 63;
}

/* A write after the mark: take what it holds of the cut's content. */
static void survival_write(struct survival *sv, uint64_t byte, const unsigned char *data,
			   uint64_t len, int out, const char *outname)
{
	uint64_t j, x;

	for (j = 0; j < len; j += SECTOR) {
		x = (byte + j) / SECTOR;
		if (!sv->pending[x] || sector_hash(data + j) != le64toh(sv->cut[x]))
			continue;
		sv->pending[x] = 0;
		sv->missing--;
		sv->unflushed++;
		if (survives(sv)) {
			pwrite_all(out, data + j, SECTOR, (off_t)(byte + j), outname);
			sv->survived++;
		}
	}
}

int main(int argc, char **argv)
{
	uint64_t i, n, flushes = 0, writes = 0, size;
	struct survival sv = { 0 };
	struct lw_super sb;
	struct lw_entry e;
	unsigned char *sec, *data = NULL;
	size_t data_cap = 0;
	bool after = false;
	uint32_t ss;
	off_t pos;
	int log, out;

	if (argc == 5 && !strcmp(argv[1], "--hash"))
		return hash_device(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
	if (argc != 5 && argc != 7 && argc != 8) {
		fprintf(stderr, "usage: fm-replay LOG MARK OUT SIZE_BYTES [CUT none|all|random [SEED]]\n"
			"       fm-replay --hash DEVICE SIZE_BYTES CUT\n");
		return 2;
	}
	size = strtoull(argv[4], NULL, 0);
	if (!size || size % SECTOR)
		bad("size is not a whole number of sectors");
	log = open(argv[1], O_RDONLY);
	if (log < 0)
		fail("cannot open", argv[1]);
	out = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (out < 0)
		fail("cannot open", argv[3]);
	if (ftruncate(out, size))
		fail("cannot size", argv[3]);

	pread_all(log, &sb, sizeof(sb), 0, argv[1]);
	if (le64toh(sb.magic) != LW_MAGIC || le64toh(sb.version) != LW_VERSION)
		bad("no dm-log-writes super block");
	ss = le32toh(sb.sectorsize);
	if (ss < SECTOR || ss > 65536 || (ss & (ss - 1)))
		bad("sector size");
	n = le64toh(sb.nr_entries);
	sec = malloc(ss);
	if (!sec)
		bad("out of memory");

	pos = ss;
	/* After the mark, only until every unflushed sector was found. */
	for (i = 0; i < n && !(after && !sv.missing); i++) {
		uint64_t sector, count, flags, len;

		pread_all(log, sec, ss, pos, argv[1]);
		memcpy(&e, sec, sizeof(e));
		sector = le64toh(e.sector);
		count = le64toh(e.nr_sectors);
		flags = le64toh(e.flags);
		pos += ss;
		if (flags & LW_MARK) {
			len = le64toh(e.data_len);
			if (len > ss - sizeof(e))
				bad("mark too long");
			if (after || len != strlen(argv[2]) ||
			    memcmp(sec + sizeof(e), argv[2], len))
				continue;
			printf("entries %llu flushes %llu writes %llu",
			       (unsigned long long)i, (unsigned long long)flushes,
			       (unsigned long long)writes);
			if (argc == 5) {
				printf("\n");
				return 0;
			}
			sv.sectors = size / SECTOR;
			survival_init(&sv, argv[5], argv[6], argc == 8 ? argv[7] : NULL,
				      out, argv[3]);
			after = true;
			continue;
		}
		if (le64toh(e.data_len))
			bad("data length in an entry that is not a mark");
		if (flags & LW_FLUSH)
			flushes++;
		if (!count)
			continue;
		if (count > (size / ss) || sector > size / ss - count)
			bad("write past the device size given");
		len = count * ss;
		if (len > data_cap) {
			free(data);
			data_cap = len;
			data = malloc(len);
			if (!data)
				bad("out of memory");
		}
		if (flags & LW_DISCARD) {
			memset(data, 0, len);
		} else {
			pread_all(log, data, len, pos, argv[1]);
			pos += len;
		}
		if (after) {
			survival_write(&sv, sector * ss, data, len, out, argv[3]);
			continue;
		}
		pwrite_all(out, data, len, (off_t)(sector * ss), argv[3]);
		writes++;
	}
	if (!after) {
		fprintf(stderr, "fm-replay: mark %s not in the log (%llu entries)\n",
			argv[2], (unsigned long long)n);
		return 1;
	}
	printf(" unflushed %llu survived %llu\n", (unsigned long long)sv.unflushed,
	       (unsigned long long)sv.survived);
	if (sv.missing) {
		fprintf(stderr, "fm-replay: %llu sectors held at the cut what no later log entry holds\n",
			(unsigned long long)sv.missing);
		return 2;
	}
	return 0;
}
