/*
 * fuzz_tickets.c - helpdesk ticket files (ct_tickets_ingest_file on a
 * temporary file): a Zendesk export (JSON) or JSONL ticket events, told
 * apart by the content, then each ticket, comment and group change made an
 * item. Checks every item handed to the sink with fuzz_check_item(), and
 * that the reader returns 0 or -1.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sink fs;
	fuzz_sink_init(&fs);
	const char *path = fuzz_tmpfile(data, size, ".json");
	int rc = ct_tickets_ingest_file(path, "fuzz", &fs.sink);
	if (rc != 0 && rc != -1)
		fuzz_fail("ct_tickets_ingest_file returned %d", rc);
	return 0;
}
