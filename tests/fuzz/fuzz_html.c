/*
 * fuzz_html.c - HTML to text (ct_html_to_text). Checks that the result is
 * never NULL, holds no NUL byte, and is valid UTF-8 when the HTML was (the
 * decoder hands it only UTF-8).
 */
#include "fuzz.h"
#include "../../ingest/mime_p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = ct_html_to_text((const char *)data, size);
	if (!text)
		fuzz_fail("ct_html_to_text returned NULL");
	if (ct_utf8_valid((const char *)data, size) && !memchr(data, '\0', size))
		fuzz_check_text("text from valid UTF-8 HTML", text, strlen(text));
	free(text);
	return 0;
}
