/* fetch_zendesk.c - the Zendesk source: an export file on disk (path). */
#include "tickets_p.h"
#include "../cli/config.h"

static int run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	if (src->path)
		return ct_zendesk_export_ingest(src->path, src->name, sink);
	return ct_error("source '%s': reading the Zendesk API (url) is not available in this build; "
			"use an export file (path)", src->name);
}

const struct ct_fetcher ct_fetch_zendesk = { "zendesk", run };
