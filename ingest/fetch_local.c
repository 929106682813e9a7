/* fetch_local.c - what the Maildir, mbox and .eml fetchers share. */
#include "local_p.h"

#include <stdlib.h>

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
