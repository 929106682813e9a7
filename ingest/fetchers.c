/* fetchers.c - the table of fetchers, one per source kind. */
#include "ingest.h"

#include <stdio.h>
#include <string.h>

const struct ct_fetcher *ct_fetcher_find(const char *type)
{
	static const struct ct_fetcher *const all[] = {
		&ct_fetch_maildir, &ct_fetch_mbox, &ct_fetch_eml, &ct_fetch_imap, &ct_fetch_pop3,
		&ct_fetch_zendesk, &ct_fetch_rt, &ct_fetch_freshdesk, &ct_fetch_jsonl,
	};
	if (!type)
		return NULL;
	for (size_t i = 0; i < CT_ARRAY_SIZE(all); i++)
		if (all[i] && all[i]->type && !strcmp(all[i]->type, type))
			return all[i];
	return NULL;
}

void ct_sink_dry_count(struct ct_sink *sink, const char *where, long n, const char *unit)
{
	if (sink->dry_count)
		sink->dry_count(sink, where, n, unit);
	else
		printf("%s: %ld %s\n", where, n, unit);
}
