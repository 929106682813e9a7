/*
 * fuzz_mbox.c - mbox splitting (ct_mbox_ingest on a temporary file): the
 * separator search, >From unescaping and the decoder behind it. Checks
 * every message handed to the sink with fuzz_check_item(), and that a file
 * starting with "From " gives at least one message.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sink fs;
	fuzz_sink_init(&fs);
	const char *path = fuzz_tmpfile(data, size, ".mbox");
	int rc = ct_mbox_ingest(path, "fuzz", NULL, &fs.sink);
	if (rc != 0 && rc != -1)
		fuzz_fail("ct_mbox_ingest returned %d", rc);
	if (size >= 5 && !memcmp(data, "From ", 5) && (rc != 0 || !fs.items))
		fuzz_fail("an mbox starting with \"From \" gave %zu messages (rc %d)", fs.items, rc);
	return 0;
}
