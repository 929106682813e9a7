/*
 * fuzz_strip.c - quote and signature stripping (ct_strip_authored). Checks
 * that the kept spans are non-empty, in order, do not overlap and lie inside
 * the body, and that on a valid UTF-8 body each span starts and ends on a
 * character boundary (its text is valid UTF-8 on its own).
 */
#include "fuzz.h"
#include "../../classify/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct ct_spans sp = { 0 };
	int utf8 = ct_utf8_valid(body, size);
	ct_strip_authored(body, size, &sp);
	size_t prev = 0;
	for (size_t i = 0; i < sp.n; i++) {
		fuzz_check_span("kept span", sp.v[i].start, sp.v[i].end, size);
		if (sp.v[i].start < prev)
			fuzz_fail("kept span %zu [%zu, %zu) overlaps or precedes the one before (ends %zu)", i,
				  sp.v[i].start, sp.v[i].end, prev);
		if (sp.v[i].end == sp.v[i].start)
			fuzz_fail("kept span %zu is empty (at %zu)", i, sp.v[i].start);
		if (utf8)
			fuzz_check_utf8("kept span", body + sp.v[i].start, sp.v[i].end - sp.v[i].start);
		prev = sp.v[i].end;
	}
	/* A second call reuses the spans: it must give the same answer. */
	struct ct_spans again = { 0 };
	ct_strip_authored(body, size, &again);
	if (again.n != sp.n || (sp.n && memcmp(again.v, sp.v, sp.n * sizeof(*sp.v))))
		fuzz_fail("ct_strip_authored not deterministic (%zu spans, then %zu)", sp.n, again.n);
	free(again.v);
	free(sp.v);
	return 0;
}
