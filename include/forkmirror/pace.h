/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pace of the resync and of the backup probe: the arithmetic behind
 * resync_rate (how much a batch may copy and how long to wait before the
 * next one), the measured rate status shows, and the probe's back-off.
 * Pure functions, used by dm-forkmirror/resync.c and probe.c, and tested
 * by the fm_pace KUnit suite in the debug guest and on the host.
 *
 * No helper here uses mul_u64_u64_div_u64(): on x86-64 in 6.1 it is a
 * mulq/divq pair that traps on a quotient past 64 bits, and gives 1 when
 * the compiler proves the dividend equal to the divisor (it then passes
 * both in %rax, which mulq overwrites). Each product is split instead,
 * a * m / d = (a / d) * m + (a % d) * m / d, with d and m small enough
 * that (a % d) * m fits in 64 bits, and a quotient that does not fit
 * saturates.
 */
#ifndef FORKMIRROR_PACE_H
#define FORKMIRROR_PACE_H

#include <forkmirror/shim.h>

/* Most sectors one resync batch copies between two flushes: 16 MiB. */
#define FM_RESYNC_BATCH_SECTORS	32768U

/* Probe back-off, in seconds (probe.c explains the rules). */
#define FM_PROBE_MIN_S		5U
#define FM_PROBE_MAX_S		300U
#define FM_PROBE_FLAP_S		60U

/*
 * fm_pace_batch_sectors() - how much one batch may copy at @rate KiB/s
 *
 * A quarter second's worth (@rate KiB/s is @rate / 2 sectors in 250 ms),
 * at least one sector, at most FM_RESYNC_BATCH_SECTORS; the most when
 * @rate is 0 (no limit).
 */
static inline u64 fm_pace_batch_sectors(u32 rate)
{
	if (!rate)
		return FM_RESYNC_BATCH_SECTORS;
	return clamp_t(u64, rate / 2, 1, FM_RESYNC_BATCH_SECTORS);
}

/*
 * fm_pace_wait_ns() - how long to wait before the next batch
 * @rate: resync_rate, KiB/s (0: no limit, never wait)
 * @bytes: bytes copied since the rate was set
 * @elapsed_ns: nanoseconds since the rate was set
 *
 * The time @bytes take at @rate, less the time already spent; 0 when
 * copying is behind the rate, U64_MAX when the wait does not fit.
 */
static inline u64 fm_pace_wait_ns(u32 rate, u64 bytes, u64 elapsed_ns)
{
	/*
	 * bytes * 10^9 / (rate * 1024) = bytes * 1953125 / (2 * rate):
	 * 2 * rate < 2^33 and 1953125 < 2^21, so the remainder's product
	 * fits.
	 */
	u64 d, q, r, allowed;

	if (!rate)
		return 0;
	/* max(): sparse folds a caller's constant 0 into the dead division. */
	d = 2 * (u64)max(rate, 1U);
	q = div64_u64_rem(bytes, d, &r);
	if (q >= U64_MAX / 1953125)
		return U64_MAX;
	allowed = q * 1953125 + div64_u64(r * 1953125, d);
	return allowed > elapsed_ns ? allowed - elapsed_ns : 0;
}

/*
 * fm_pace_kib_s() - the mean rate of @bytes copied in @ns, in KiB/s
 *
 * 0 under 100 ms (too short to tell), at most U32_MAX; counted in whole
 * milliseconds (1% at 100 ms).
 */
static inline u32 fm_pace_kib_s(u64 bytes, u64 ns)
{
	/*
	 * bytes / 1024 / (ms / 1000) = bytes * 125 / (ms * 128): ms < 2^45,
	 * so the divisor is under 2^52 and the remainder's product fits.
	 */
	u64 d, q, r;

	if (ns < NSEC_PER_SEC / 10)
		return 0;
	d = max_t(u64, div64_u64(ns, NSEC_PER_MSEC), 1) * 128;
	q = div64_u64_rem(bytes, d, &r);
	if (q > U32_MAX / 125)
		return U32_MAX;
	return min_t(u64, U32_MAX, q * 125 + div64_u64(r * 125, d));
}

/* The wait after a probe that failed: twice @wait_s, at most the maximum. */
static inline unsigned int fm_probe_backoff(unsigned int wait_s)
{
	return wait_s >= FM_PROBE_MAX_S / 2 ? FM_PROBE_MAX_S : wait_s * 2;
}

/*
 * fm_probe_flapping() - did the backup fail again soon after a probe
 * brought it back?
 * @brought_back: the last probe brought the backup back
 * @online_at: when, in jiffies
 * @now: jiffies now
 * @hz: jiffies per second
 *
 * True within FM_PROBE_FLAP_S of @online_at; jiffies may wrap between.
 */
static inline bool fm_probe_flapping(bool brought_back,
				     unsigned long online_at,
				     unsigned long now, unsigned long hz)
{
	return brought_back && time_before(now, online_at + FM_PROBE_FLAP_S * hz);
}

/*
 * fm_probe_first_wait() - the wait before the first probe of a backup
 * that went offline; @last_s is the wait the previous probe had.
 */
static inline unsigned int fm_probe_first_wait(unsigned int last_s,
					       bool flapping)
{
	return flapping ? fm_probe_backoff(last_s) : FM_PROBE_MIN_S;
}

#endif /* FORKMIRROR_PACE_H */
