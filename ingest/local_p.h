/* local_p.h - private to ingest/: helpers shared by the local fetchers. */
#ifndef CT_LOCAL_P_H
#define CT_LOCAL_P_H

#include "ingest.h"

/*
 * Parses one raw message and hands it to the sink with source, mailbox
 * department and location set. Returns what sink->item returns.
 */
int ct_local_deliver(struct ct_sink *sink, const char *raw, size_t len, ct_time mtime,
		     const char *source, const char *dept, const char *location);

#endif
