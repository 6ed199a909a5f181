// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runs the KUnit suites linked into this program on the host (see
 * shim/kunit/test.h). Prints one line per case and per parameter, as
 * "PASS host/kunit/<suite>/<case>[/<param>]", the failures' messages, and
 * "N passed, N failed" last. Exit status 1 when anything failed.
 */
#include <kunit/test.h>
#include <stdarg.h>

static struct kunit_suite *suites;
static unsigned int passed, failed;

void fm_host_register(struct kunit_suite *s)
{
	struct kunit_suite **p = &suites;

	while (*p)
		p = &(*p)->next;
	*p = s;
}

void *kunit_kzalloc(struct kunit *test, size_t size, int gfp)
{
	void *p;

	(void)gfp;
	if (test->nallocs == ARRAY_SIZE(test->allocs))
		return NULL;
	p = calloc(1, size);
	if (p)
		test->allocs[test->nallocs++] = p;
	return p;
}

void fm_host_fail(struct kunit *test, const char *file, int line,
		  const char *fmt, ...)
{
	va_list ap;

	test->failed = 1;
	fprintf(stdout, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static void run_one(const char *suite, struct kunit_case *c,
		    const void *param, const char *desc)
{
	struct kunit t = { .name = c->name, .param_value = param };
	unsigned int i;

	if (!setjmp(t.abort))
		c->run_case(&t);
	for (i = 0; i < t.nallocs; i++)
		free(t.allocs[i]);
	printf("%s host/kunit/%s/%s%s%s\n", t.failed ? "FAIL" : "PASS", suite,
	       c->name, desc ? "/" : "", desc ? desc : "");
	if (t.failed)
		failed++;
	else
		passed++;
}

int main(void)
{
	struct kunit_suite *s;
	struct kunit_case *c;
	unsigned int i;

	for (s = suites; s; s = s->next) {
		for (c = s->test_cases; c->run_case; c++) {
			const void *p = NULL;
			char desc[KUNIT_PARAM_DESC_SIZE];

			if (!c->generate_params) {
				run_one(s->name, c, NULL, NULL);
				continue;
			}
			for (i = 0;; i++) {
				desc[0] = '\0';
				p = c->generate_params(p, desc);
				if (!p)
					break;
				if (!desc[0])
					snprintf(desc, sizeof(desc), "param-%u", i);
				run_one(s->name, c, p, desc);
			}
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
