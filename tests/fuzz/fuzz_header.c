/*
 * fuzz_header.c - the header readers: ct_mime_field_end() and
 * ct_mime_field_value() over a header block, ct_mime_decode_header()
 * (RFC 2047 words, raw 8-bit text, folds) on each value, and the subject
 * normaliser on the result. Checks that every field and value lies inside
 * the input and after its colon, and that decoded values and normalised
 * subjects are valid UTF-8.
 */
#include "fuzz.h"
#include "../../ingest/mime_p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *e = p + size;
	struct ct_item it;
	ct_item_init(&it);
	while (p < e) {
		const char *colon = NULL;
		const char *end = ct_mime_field_end(p, e, &colon);
		if (!end) {
			/* Not a field: go on at the next line. */
			const char *nl = memchr(p, '\n', (size_t)(e - p));
			p = nl ? nl + 1 : e;
			continue;
		}
		if (end <= p || end > e)
			fuzz_fail("field at %zu ends at %td, outside (%zu, %zu]", (size_t)(p - (const char *)data),
				  end - (const char *)data, (size_t)(p - (const char *)data), size);
		if (!colon || colon < p || colon >= end || *colon != ':')
			fuzz_fail("field at %zu: colon not inside it", (size_t)(p - (const char *)data));
		size_t n = 0;
		const char *v = ct_mime_field_value(colon, end, &n);
		if (v) {
			if (v <= colon || v > end || n > (size_t)(end - v))
				fuzz_fail("field at %zu: value [%td, +%zu) outside (colon %td, end %td]",
					  (size_t)(p - (const char *)data), v - (const char *)data, n,
					  colon - (const char *)data, end - (const char *)data);
			char *raw = ct_strndup(v, n);
			char *dec = ct_mime_decode_header(raw, &it);
			fuzz_check_str("decoded header value", dec, 1);
			char *norm = ct_subject_normalize(dec);
			fuzz_check_str("normalised subject", norm, 1);
			ct_subject_is_reply(dec);
			free(norm);
			free(dec);
			free(raw);
		}
		p = end;
	}
	/* The whole input as one value too: encoded words across lines, no field structure. */
	char *all = ct_strndup((const char *)data, size);
	char *dec = ct_mime_decode_header(all, &it);
	fuzz_check_str("decoded header", dec, 1);
	free(dec);
	free(all);
	ct_item_free(&it);
	return 0;
}
