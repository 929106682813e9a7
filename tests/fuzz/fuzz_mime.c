/*
 * fuzz_mime.c - the MIME decoder (ct_mime_parse): any bytes as a raw
 * message. Checks fuzz_check_item(): subject, body, names and forwarded
 * originals valid UTF-8, the body NUL-free and body_len long, an external
 * id always set.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_item it;
	ct_item_init(&it);
	int rc = ct_mime_parse((const char *)data, size, 1700000000, &it);
	if (rc != 0 && rc != -1)
		fuzz_fail("ct_mime_parse returned %d", rc);
	fuzz_check_item(&it);
	ct_item_free(&it);
	return 0;
}
