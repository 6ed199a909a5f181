/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Just enough of KUnit's API to run our KUnit suites as host unit tests:
 * the same test source runs in the debug guest (real KUnit) and here,
 * against the same pure code built for userspace. Only what our suites
 * use; a missing macro is a build error, never a silent pass.
 */
#ifndef FM_HOST_KUNIT_TEST_H
#define FM_HOST_KUNIT_TEST_H

#include <forkmirror/shim.h>
#include <setjmp.h>
#include <stdio.h>
#include <inttypes.h>

#define GFP_KERNEL 0
#define KUNIT_PARAM_DESC_SIZE 128

struct kunit {
	const char *name;
	const void *param_value;
	int failed;
	jmp_buf abort;
	void *allocs[256];
	unsigned int nallocs;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
	const void *(*generate_params)(const void *prev, char *desc);
};

struct kunit_suite {
	const char *name;
	struct kunit_case *test_cases;
	struct kunit_suite *next;
};

void fm_host_register(struct kunit_suite *s);
void *kunit_kzalloc(struct kunit *test, size_t size, int gfp);
void fm_host_fail(struct kunit *test, const char *file, int line,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define kunit_test_suite(s) \
	__attribute__((constructor)) static void fm_reg_##s(void) \
	{ fm_host_register(&(s)); }

#define KUNIT_CASE(fn) { .run_case = fn, .name = #fn }
#define KUNIT_CASE_PARAM(fn, gen) \
	{ .run_case = fn, .name = #fn, .generate_params = gen }

#define KUNIT_ARRAY_PARAM(name, array, get_desc) \
	static const void *name##_gen_params(const void *prev, char *desc) \
	{ \
		typeof((array)[0]) *__next = prev ? \
			((typeof(__next))prev) + 1 : (array); \
		if (__next - (array) < (long)ARRAY_SIZE(array)) { \
			void (*__get_desc)(typeof(__next), char *) = get_desc; \
			if (__get_desc) \
				__get_desc(__next, desc); \
			return __next; \
		} \
		return NULL; \
	}

#define FM_CMP(test, assert, a, op, b, fmt, ...) do { \
	__typeof__(a) __a = (a); \
	__typeof__(b) __b = (b); \
	if (!(__a op __b)) { \
		fm_host_fail(test, __FILE__, __LINE__, \
			     "%s %s %s: %" PRId64 " vs %" PRId64 " (0x%" PRIx64 \
			     " vs 0x%" PRIx64 ") " fmt, #a, #op, #b, \
			     (int64_t)__a, (int64_t)__b, (uint64_t)__a, \
			     (uint64_t)__b, ##__VA_ARGS__); \
		if (assert) \
			longjmp((test)->abort, 1); \
	} \
} while (0)

#define FM_BOOL(test, assert, c, fmt, ...) do { \
	if (!(c)) { \
		fm_host_fail(test, __FILE__, __LINE__, "%s " fmt, #c, \
			     ##__VA_ARGS__); \
		if (assert) \
			longjmp((test)->abort, 1); \
	} \
} while (0)

#define FM_STR(test, assert, a, b, fmt, ...) do { \
	const char *__a = (a), *__b = (b); \
	if (strcmp(__a, __b)) { \
		fm_host_fail(test, __FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\" " \
			     fmt, #a, #b, __a, __b, ##__VA_ARGS__); \
		if (assert) \
			longjmp((test)->abort, 1); \
	} \
} while (0)

#define KUNIT_EXPECT_EQ(t, a, b) FM_CMP(t, 0, a, ==, b, "")
#define KUNIT_EXPECT_NE(t, a, b) FM_CMP(t, 0, a, !=, b, "")
#define KUNIT_EXPECT_LT(t, a, b) FM_CMP(t, 0, a, <, b, "")
#define KUNIT_EXPECT_LE(t, a, b) FM_CMP(t, 0, a, <=, b, "")
#define KUNIT_EXPECT_GT(t, a, b) FM_CMP(t, 0, a, >, b, "")
#define KUNIT_EXPECT_GE(t, a, b) FM_CMP(t, 0, a, >=, b, "")
#define KUNIT_ASSERT_EQ(t, a, b) FM_CMP(t, 1, a, ==, b, "")
#define KUNIT_ASSERT_NE(t, a, b) FM_CMP(t, 1, a, !=, b, "")
#define KUNIT_ASSERT_LT(t, a, b) FM_CMP(t, 1, a, <, b, "")
#define KUNIT_ASSERT_LE(t, a, b) FM_CMP(t, 1, a, <=, b, "")
#define KUNIT_ASSERT_GE(t, a, b) FM_CMP(t, 1, a, >=, b, "")
#define KUNIT_EXPECT_EQ_MSG(t, a, b, fmt, ...) FM_CMP(t, 0, a, ==, b, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_EQ_MSG(t, a, b, fmt, ...) FM_CMP(t, 1, a, ==, b, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_TRUE(t, c) FM_BOOL(t, 0, c, "")
#define KUNIT_EXPECT_FALSE(t, c) FM_BOOL(t, 0, !(c), "")
#define KUNIT_ASSERT_TRUE(t, c) FM_BOOL(t, 1, c, "")
#define KUNIT_ASSERT_FALSE(t, c) FM_BOOL(t, 1, !(c), "")
#define KUNIT_EXPECT_TRUE_MSG(t, c, fmt, ...) FM_BOOL(t, 0, c, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_TRUE_MSG(t, c, fmt, ...) FM_BOOL(t, 1, c, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NOT_NULL(t, p) FM_BOOL(t, 1, (p) != NULL, "")
#define KUNIT_ASSERT_NOT_ERR_OR_NULL(t, p) \
	FM_BOOL(t, 1, (p) != NULL && (unsigned long)(p) < (unsigned long)-4095, "")
#define KUNIT_EXPECT_STREQ(t, a, b) FM_STR(t, 0, a, b, "")
#define KUNIT_FAIL(t, fmt, ...) fm_host_fail(t, __FILE__, __LINE__, fmt, ##__VA_ARGS__)

#endif
