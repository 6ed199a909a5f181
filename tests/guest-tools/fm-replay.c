// SPDX-License-Identifier: GPL-2.0-only
/*
 * fm-replay: replay a dm-log-writes log up to a mark, for the power-loss
 * tests (Debian packages no replayer). Run in the guest.
 *
 *   fm-replay LOG MARK OUT SIZE_BYTES
 *
 * OUT (a file, created or truncated, SIZE_BYTES long, all zero first: the
 * logged device must have been all zero when logging began) receives
 * every logged write before the mark entry named MARK, in log order;
 * discards write zeroes. dm-log-writes logs a write only once a flush
 * (or its own FUA) made it durable, so OUT is what the device would hold
 * after a power loss at the moment the mark was taken: writes completed
 * but not yet flushed are not in it.
 *
 * Log format (the kernel's Documentation/admin-guide/device-mapper/
 * log-writes.rst and dm-log-writes.c): a super block at byte 0 (magic,
 * version, entry count, sector size), then, from the second sector on,
 * one sector per entry (sector, sector count, flags, data length; a
 * mark's name follows in the same sector) followed by the entry's data
 * (sector count sectors; none for discards and marks). Sectors are the
 * log's sector size.
 *
 * Prints "entries N flushes F writes W" for the replayed part. Exit 0, 1
 * when the mark is not in the log, 2 on a format, usage or I/O error.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
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

int main(int argc, char **argv)
{
	uint64_t i, n, flushes = 0, writes = 0, size;
	struct lw_super sb;
	struct lw_entry e;
	unsigned char *sec, *data = NULL;
	size_t data_cap = 0;
	uint32_t ss;
	off_t pos;
	int log, out;

	if (argc != 5) {
		fprintf(stderr, "usage: fm-replay LOG MARK OUT SIZE_BYTES\n");
		return 2;
	}
	size = strtoull(argv[4], NULL, 0);
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
	if (ss < 512 || ss > 65536 || (ss & (ss - 1)))
		bad("sector size");
	n = le64toh(sb.nr_entries);
	sec = malloc(ss);
	if (!sec)
		bad("out of memory");

	pos = ss;
	for (i = 0; i < n; i++) {
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
			if (len == strlen(argv[2]) &&
			    !memcmp(sec + sizeof(e), argv[2], len)) {
				printf("entries %llu flushes %llu writes %llu\n",
				       (unsigned long long)i,
				       (unsigned long long)flushes,
				       (unsigned long long)writes);
				return 0;
			}
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
		pwrite_all(out, data, len, (off_t)(sector * ss), argv[3]);
		writes++;
	}
	fprintf(stderr, "fm-replay: mark %s not in the log (%llu entries)\n",
		argv[2], (unsigned long long)n);
	return 1;
}
