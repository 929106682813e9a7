/* fetch_local.c - what the Maildir, mbox and .eml fetchers share. */
#include "local_p.h"

#include <stdlib.h>

int ct_local_seen_content(struct ct_sink *sink, const char *source, const char *raw, size_t len,
			  char **key)
{
	char sha[65], fnv[33];
	ct_sha256_hex(raw, len, sha);
	*key = ct_xstrfmt("sha256:%s", sha);
	int seen = sink->seen(sink, source, *key);
	if (seen)
		return seen;
	ct_hash_hex(raw, len, fnv);
	char *legacy = ct_xstrfmt("sha:%s", fnv);
	seen = sink->seen(sink, source, legacy);
	free(legacy);
	return seen;
}

int ct_local_deliver(struct ct_sink *sink, const char *raw, size_t len, ct_time mtime,
		     const char *source, const char *dept, const char *location)
{
	struct ct_item it;
	ct_item_init(&it);
	ct_mime_parse(raw, len, mtime, &it);
	it.source = ct_strdup(source);
	it.mailbox_dept = ct_strdup(dept);
	it.location = ct_strdup(location);
	return sink->item(sink, &it);
}
