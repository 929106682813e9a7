/*
 * fuzz_charset.c - charset conversion (ct_mime_add_text): the first line of
 * the input names the charset (empty: undeclared), the rest is the text.
 * Checks that the output is valid UTF-8 without NUL bytes, as mime_p.h
 * promises for any charset name and any bytes.
 */
#include "fuzz.h"
#include "../../ingest/mime_p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *charset;
	const uint8_t *text;
	size_t len;
	struct ct_buf out = CT_BUF_INIT;
	struct ct_item it;
	fuzz_split_line(data, size, 64, &charset, &text, &len);
	ct_item_init(&it);
	ct_mime_add_text(&out, (const char *)text, len, charset, &it);
	fuzz_check_text("converted text", out.buf, out.len);
	/* Appending to what is there must keep it valid (the decoder adds part after part). */
	ct_mime_add_text(&out, (const char *)text, len / 2, charset, &it);
	fuzz_check_text("text converted twice", out.buf, out.len);
	ct_buf_release(&out);
	ct_item_free(&it);
	free(charset);
	return 0;
}
