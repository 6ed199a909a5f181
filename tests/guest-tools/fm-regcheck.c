// SPDX-License-Identifier: GPL-2.0-only
/*
 * fm-regcheck: the crash tests' oracle, run in the guest.
 *
 *   fm-regcheck PRIMARY BACKUP LOG
 *
 * LOG is a volume's sysfs log file (/sys/fs/forkmirror/<store>/volumes/
 * <volume>/log): its header, then the bitmap. Every region is compared
 * byte for byte on the two devices (the volume's first sector being
 * sector 0 of both). Prints one line:
 *
 *   regions N differ D marked M unmarked_differ U
 *
 * and, for each differing region that is not marked, "UNMARKED r". Exit
 * status: 0 when every differing region is marked, 1 when one is not, 2
 * on a usage or I/O error.
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

#include <linux/types.h>
#include "../../include/uapi/linux/dm-forkmirror.h"

/* Bytes read from each device at once. */
#define CHUNK (1U << 20)

static int die(const char *what, const char *name)
{
	fprintf(stderr, "fm-regcheck: %s %s: %s\n", what, name, strerror(errno));
	exit(2);
}

static void read_all(int fd, void *buf, size_t len, off_t off, const char *name)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0)
			die("cannot read", name);
		if (n == 0) {
			errno = EIO;
			die("short read of", name);
		}
		done += n;
	}
}

int main(int argc, char **argv)
{
	struct fm_log_header h;
	uint64_t regions, r, differ = 0, marked = 0, unmarked = 0, vol;
	uint32_t rs, hdr_len;
	unsigned char *bm, *a, *b;
	size_t rbytes, bmlen, per;
	int p, k, l;

	if (argc != 4) {
		fprintf(stderr, "usage: fm-regcheck PRIMARY BACKUP LOG\n");
		return 2;
	}
	p = open(argv[1], O_RDONLY | O_DIRECT);
	if (p < 0)
		die("cannot open", argv[1]);
	k = open(argv[2], O_RDONLY | O_DIRECT);
	if (k < 0)
		die("cannot open", argv[2]);
	l = open(argv[3], O_RDONLY);
	if (l < 0)
		die("cannot open", argv[3]);
	read_all(l, &h, sizeof(h), 0, argv[3]);
	if (le64toh(h.magic) != FM_LOG_MAGIC) {
		fprintf(stderr, "fm-regcheck: %s: not a forkmirror log\n", argv[3]);
		return 2;
	}
	hdr_len = le32toh(h.hdr_len);
	rs = le32toh(h.region_sectors);
	regions = le64toh(h.region_count);
	vol = le64toh(h.volume_sectors);
	bmlen = (regions + 7) / 8;
	bm = malloc(bmlen);
	rbytes = (size_t)rs << 9;
	if (!rs || rs > FM_REGION_SECTORS_MAX) {
		fprintf(stderr, "fm-regcheck: %s: region size %u sectors unsupported\n",
			argv[3], rs);
		return 2;
	}
	/* Whole regions a read: O_DIRECT reads of 4 KiB each are slow in a guest. */
	per = rbytes < CHUNK ? CHUNK / rbytes : 1;
	if (!bm || posix_memalign((void **)&a, 4096, per * rbytes) ||
	    posix_memalign((void **)&b, 4096, per * rbytes)) {
		fprintf(stderr, "fm-regcheck: out of memory\n");
		return 2;
	}
	read_all(l, bm, bmlen, hdr_len, argv[3]);

	for (r = 0; r < regions; r++) {
		uint64_t sec = r * rs;
		size_t off = (size_t)(r % per) * rbytes;
		size_t len = (vol - sec < rs ? vol - sec : rs) << 9;
		int is_marked = (bm[r / 8] >> (r % 8)) & 1;

		if (r % per == 0) {
			uint64_t left = vol - sec;
			size_t n = (left < (uint64_t)per * rs ? left : (uint64_t)per * rs) << 9;

			/* O_DIRECT wants whole blocks: a short end reads up to 4 KiB. */
			n = (n + 4095) & ~(size_t)4095;
			read_all(p, a, n, (off_t)sec << 9, argv[1]);
			read_all(k, b, n, (off_t)sec << 9, argv[2]);
		}
		marked += is_marked;
		if (!memcmp(a + off, b + off, len))
			continue;
		differ++;
		if (!is_marked) {
			unmarked++;
			printf("UNMARKED %llu\n", (unsigned long long)r);
		}
	}
	printf("regions %llu differ %llu marked %llu unmarked_differ %llu\n",
	       (unsigned long long)regions, (unsigned long long)differ,
	       (unsigned long long)marked, (unsigned long long)unmarked);
	return unmarked ? 1 : 0;
}
