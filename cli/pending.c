/*
 * pending.c - weak fallbacks for parts that are not built in yet, so the
 * binary links while they land. Each strong definition elsewhere replaces its
 * fallback; every fallback fails loudly instead of pretending to work.
 */
#include "cli.h"
#include "../ingest/ingest.h"

#define PENDING(what) ct_error("%s is not available in this build", what)

static int pending_run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	return PENDING("this source type");
}

__attribute__((weak)) const struct ct_fetcher ct_fetch_freshdesk = { "freshdesk", pending_run };
