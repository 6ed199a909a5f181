/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few kernel helpers the pure code (on-media codec, bitmap and range
 * math) uses, so that the same .c files build into the tracker module and
 * into userspace (the forkmirror tool, host unit tests, the fuzzer).
 * Nothing here may sleep in the kernel except fm_zalloc().
 */
#ifndef FORKMIRROR_SHIM_H
#define FORKMIRROR_SHIM_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/export.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/crc32c.h>
#include <asm/byteorder.h>
#include <kunit/visibility.h>

/* The standard CRC-32C (Castagnoli): check value 0xe3069283. */
static inline u32 fm_crc32c(const void *p, size_t len)
{
	return ~crc32c(~0U, p, len);
}

/* Word at a time: the codec checks whole 4 KiB blocks for zeroes. */
static inline bool fm_all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

#define fm_zalloc(size)	kvzalloc(size, GFP_KERNEL)
#define fm_free(p)	kvfree(p)
#define fm_sort(base, num, size, cmp) sort(base, num, size, cmp, NULL)
#define fm_popcount64(x) hweight64(x)
#define fm_ctz64(x)	__ffs64(x)

#else /* userspace: tools/include on the include path */

#include <fm-user-shim.h>

#endif /* __KERNEL__ */

#endif /* FORKMIRROR_SHIM_H */
