// SPDX-License-Identifier: GPL-2.0-only
/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) for userspace: the
 * value the kernel's ~crc32c(~0, p, len) gives. Pinned to the kernel by the
 * test vectors of tracking/format_kunit.c, which run in both worlds.
 */
#include <forkmirror/shim.h>

static u32 crc_table[256];

__attribute__((constructor)) static void crc_table_init(void)
{
	u32 i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (c & 1 ? 0x82f63b78U : 0);
		crc_table[i] = c;
	}
}

u32 fm_crc32c(const void *p, size_t len)
{
	const u8 *b = p;
	u32 c = ~0U;

	while (len--)
		c = (c >> 8) ^ crc_table[(c ^ *b++) & 0xff];
	return ~c;
}
