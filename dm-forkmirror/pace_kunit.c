// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite fm_pace: the resync rate arithmetic and the backup probe's
 * back-off (include/forkmirror/pace.h). Runs in the debug guest under
 * KUnit and on the host (tests/host).
 */
#include <kunit/test.h>
#include <linux/module.h>

#include <forkmirror/pace.h>

#define MIB	(1024ULL * 1024)
#define GIB	(1024 * MIB)
#define PIB	(1024 * 1024 * GIB)

/* A batch is a quarter second's worth of the rate, within bounds. */
static void fm_pace_batch(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, fm_pace_batch_sectors(0),
			(u64)FM_RESYNC_BATCH_SECTORS);
	KUNIT_EXPECT_EQ(test, fm_pace_batch_sectors(1), 1ULL);
	KUNIT_EXPECT_EQ(test, fm_pace_batch_sectors(2), 1ULL);
	/* 2048 KiB/s: 512 KiB in 250 ms, 1024 sectors. */
	KUNIT_EXPECT_EQ(test, fm_pace_batch_sectors(2048), 1024ULL);
	KUNIT_EXPECT_EQ(test, fm_pace_batch_sectors(65536),
			(u64)FM_RESYNC_BATCH_SECTORS);
	KUNIT_EXPECT_EQ(test, fm_pace_batch_sectors(65534), 32767ULL);
	KUNIT_EXPECT_EQ(test, fm_pace_batch_sectors(U32_MAX),
			(u64)FM_RESYNC_BATCH_SECTORS);
}

/* The wait keeps the rate, and no argument divides by 0 or traps. */
static void fm_pace_wait(struct kunit *test)
{
	/* No limit: never wait. */
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(0, PIB, 0), 0ULL);
	/*
	 * 1 MiB at 1024 KiB/s takes a second (bytes equal to the divisor:
	 * 6.1's x86 mul_u64_u64_div_u64() gives 1 for this one).
	 */
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(1024, MIB, 0), NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(1024, MIB, NSEC_PER_SEC / 4),
			NSEC_PER_SEC * 3 / 4);
	/* Behind the rate: no wait. */
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(1024, MIB, NSEC_PER_SEC), 0ULL);
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(1024, MIB, 3 * NSEC_PER_SEC),
			0ULL);
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(1024, 0, 0), 0ULL);
	/* 4194304 KiB/s is 2^32 bytes/s: a 32-bit divisor would be 0. */
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(4194304, 4 * GIB, 0),
			NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(U32_MAX, MIB, 0),
			MIB * NSEC_PER_SEC / ((u64)U32_MAX * 1024));
	/* 1 PiB at 4 GiB/s: 2^18 s, exact (the product needs 80 bits). */
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(4194304, PIB, 0),
			(1ULL << 18) * NSEC_PER_SEC);
	/* Past 17 GiB the product overflows 64 bits; the wait does not. */
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(1024, 20 * GIB, 0),
			20ULL * 1024 * NSEC_PER_SEC);
	/* A wait that does not fit in 64 bits saturates, no divide trap. */
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(1, PIB, 0), U64_MAX);
	KUNIT_EXPECT_EQ(test, fm_pace_wait_ns(1, U64_MAX, U64_MAX), U64_MAX);
}

/* The measured rate. */
static void fm_pace_rate(struct kunit *test)
{
	/* Under 100 ms: too short to tell. */
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(MIB, 0), 0U);
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(MIB, NSEC_PER_SEC / 10 - 1), 0U);
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(MIB, NSEC_PER_SEC / 10), 10240U);
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(MIB, NSEC_PER_SEC), 1024U);
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(0, NSEC_PER_SEC), 0U);
	/* 17 GiB in 10 s: the product needs more than 64 bits. */
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(17 * GIB, 10 * NSEC_PER_SEC),
			(u32)(17 * 1024 * 1024 / 10));
	/* 1 PiB in one second is more KiB/s than status can show. */
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(PIB, NSEC_PER_SEC), U32_MAX);
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(U64_MAX, NSEC_PER_SEC / 10),
			U32_MAX);
	/* As many bytes as nanoseconds: 10^9 bytes/s. */
	KUNIT_EXPECT_EQ(test, fm_pace_kib_s(U64_MAX, U64_MAX), 976562U);
}

/* Failed probes: 5, 10, 20 ... s, never more than 300 s. */
static void fm_pace_probe_backoff(struct kunit *test)
{
	static const unsigned int seq[] = { 5, 10, 20, 40, 80, 160, 300, 300 };
	unsigned int w = fm_probe_first_wait(0, false), i;

	for (i = 0; i < ARRAY_SIZE(seq); i++) {
		KUNIT_EXPECT_EQ_MSG(test, w, seq[i], "probe %u", i);
		w = fm_probe_backoff(w);
	}
	KUNIT_EXPECT_EQ(test, fm_probe_backoff(149), 298U);
	KUNIT_EXPECT_EQ(test, fm_probe_backoff(150), FM_PROBE_MAX_S);
	/* A corrupt wait cannot wrap to a short one. */
	KUNIT_EXPECT_EQ(test, fm_probe_backoff(0x80000000U), FM_PROBE_MAX_S);
	KUNIT_EXPECT_EQ(test, fm_probe_backoff(~0U), FM_PROBE_MAX_S);
}

/* A backup that fails within 60 s of a probe bringing it back flaps. */
static void fm_pace_probe_flap(struct kunit *test)
{
	const unsigned long hz = 250;
	const unsigned long t = 1000000;
	const unsigned long wrap = ~0UL - 10 * hz;

	KUNIT_EXPECT_FALSE(test, fm_probe_flapping(false, t, t + hz, hz));
	KUNIT_EXPECT_TRUE(test, fm_probe_flapping(true, t, t, hz));
	KUNIT_EXPECT_TRUE(test, fm_probe_flapping(true, t, t + 59 * hz, hz));
	KUNIT_EXPECT_TRUE(test, fm_probe_flapping(true, t,
						  t + FM_PROBE_FLAP_S * hz - 1,
						  hz));
	KUNIT_EXPECT_FALSE(test, fm_probe_flapping(true, t,
						   t + FM_PROBE_FLAP_S * hz,
						   hz));
	KUNIT_EXPECT_FALSE(test, fm_probe_flapping(true, t, t + 3600 * hz, hz));
	/* Across a jiffies wrap. */
	KUNIT_EXPECT_TRUE(test, fm_probe_flapping(true, wrap, wrap + 30 * hz,
						  hz));
	KUNIT_EXPECT_FALSE(test, fm_probe_flapping(true, wrap,
						   wrap + 61 * hz, hz));
	/* Flapping doubles the last wait instead of starting over. */
	KUNIT_EXPECT_EQ(test, fm_probe_first_wait(20, true), 40U);
	KUNIT_EXPECT_EQ(test, fm_probe_first_wait(160, true), FM_PROBE_MAX_S);
	KUNIT_EXPECT_EQ(test, fm_probe_first_wait(FM_PROBE_MAX_S, true),
			FM_PROBE_MAX_S);
	KUNIT_EXPECT_EQ(test, fm_probe_first_wait(160, false), FM_PROBE_MIN_S);
}

static struct kunit_case fm_pace_cases[] = {
	KUNIT_CASE(fm_pace_batch),
	KUNIT_CASE(fm_pace_wait),
	KUNIT_CASE(fm_pace_rate),
	KUNIT_CASE(fm_pace_probe_backoff),
	KUNIT_CASE(fm_pace_probe_flap),
	{}
};

static struct kunit_suite fm_pace_suite = {
	.name = "fm_pace",
	.test_cases = fm_pace_cases,
};

kunit_test_suite(fm_pace_suite);

MODULE_DESCRIPTION("KUnit tests of the forkmirror resync pace and probe back-off");
MODULE_LICENSE("GPL");
