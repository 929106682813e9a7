/* fetch_jsonl.c - the JSONL source: ticket events one per line (ingest/TICKETS.md). */
#include "tickets_p.h"
#include "../config/config.h"

static int run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	return ct_jsonl_ingest(src->path, src->name, sink);
}

const struct ct_fetcher ct_fetch_jsonl = { "jsonl", run };
