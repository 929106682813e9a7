/*
 * fuzz_rules.c - the rule loader (ct_rules_load_string): INI sections,
 * [define] expansion, PCRE2 compilation and the prefilter's literal
 * extraction from any pattern text. A rule set that loads is then checked
 * (ct_rules_check runs its examples), described and used on its own
 * examples: every tag must name a rule of the set, with its span inside the
 * text and a valid UTF-8 snippet.
 */
#include "fuzz.h"
#include "../../classify/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The loader reads a C string: the input up to its first NUL. */
	char *text = ct_strndup((const char *)data, size);
	size_t len = strlen(text);
	struct ct_rules *r = NULL;
	static FILE *sink;
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	int rc = ct_rules_load_string("fuzz.rules", text, sink, &r);
	if (rc != 0 && rc != -1)
		fuzz_fail("ct_rules_load_string returned %d", rc);
	if ((rc == 0) != (r != NULL))
		fuzz_fail("ct_rules_load_string returned %d with rules %p", rc, (void *)r);
	if (r) {
		if (ct_rules_check(r, sink) < 0)
			fuzz_fail("ct_rules_check failed on rules that loaded");
		ct_rules_describe(r, sink);
		if (strlen(ct_rules_hash(r)) != 32)
			fuzz_fail("rules hash is not 32 characters");
		/* The file itself as a message: its words are the likeliest to match its own patterns. */
		struct ct_tags tags = CT_TAGS_INIT;
		if (ct_classify_hits(r, text, text, len, 0, &tags) != 0 ||
		    ct_classify(r, text, text, len, 1, &tags) != 0)
			fuzz_fail("ct_classify failed on loaded rules");
		for (size_t i = 0; i < tags.n; i++) {
			fuzz_check_span("tag", tags.v[i].start, tags.v[i].end, len);
			fuzz_check_str("snippet", tags.v[i].snippet, 1);
		}
		ct_tags_clear(&tags);
		ct_rules_free(r);
	}
	free(text);
	return 0;
}
