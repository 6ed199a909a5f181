/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The userspace half of include/forkmirror/shim.h: kernel types, byte
 * order, helpers and exports spelled for a C library. Include
 * <forkmirror/shim.h>, never this file.
 */
#ifndef FM_USER_SHIM_H
#define FM_USER_SHIM_H

#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <endian.h>
#include <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#ifndef __force
#define __force
#endif

#define cpu_to_le32(x)	((__force __le32)htole32(x))
#define cpu_to_le64(x)	((__force __le64)htole64(x))
#define le32_to_cpu(x)	le32toh((__force u32)(x))
#define le64_to_cpu(x)	le64toh((__force u64)(x))

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))
#define div64_u64(a, b)		((a) / (b))
#define BIT_ULL(n)		(1ULL << (n))
#define U32_MAX			((u32)~0U)
#define U64_MAX			((u64)~0ULL)
#define NSEC_PER_SEC		1000000000ULL
#define min_t(t, a, b)		((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)		((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)
#define time_before(a, b)	((long)((a) - (b)) < 0)

#define NSEC_PER_MSEC		1000000ULL

static inline u64 div64_u64_rem(u64 a, u64 b, u64 *rem)
{
	*rem = a % b;
	return a / b;
}

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

u32 fm_crc32c(const void *p, size_t len);

static inline bool fm_all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

#define EXPORT_SYMBOL_NS_GPL(sym, ns)
#define EXPORT_SYMBOL_IF_KUNIT(sym)
#define BIT(n)			(1UL << (n))

/* The kernel's strscpy: copy with truncation, always NUL-terminated. */
static inline long strscpy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (n == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, n + 1);
	return n;
}

#define fm_zalloc(size)	calloc(1, size)
#define fm_free(p)	free(p)
#define fm_sort(base, num, size, cmp) qsort(base, num, size, cmp)
#define fm_popcount64(x) ((unsigned int)__builtin_popcountll(x))
#define fm_ctz64(x)	((unsigned int)__builtin_ctzll(x))
#define sizeof_field(t, m) sizeof(((t *)0)->m)

#endif /* FM_USER_SHIM_H */
