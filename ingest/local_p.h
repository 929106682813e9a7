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

/*
 * Whether source already stored a message with these raw bytes (mbox, .eml:
 * they have no stable name). *key gets the seen key to deliver it under,
 * "sha256:" and the SHA-256 of raw (the caller frees it); a store written
 * before SHA-256 knows it as "sha:" and two FNV hashes, which counts too.
 * Returns 1 seen, 0 new, -1 on a store error.
 */
int ct_local_seen_content(struct ct_sink *sink, const char *source, const char *raw, size_t len,
			  char **key);

#endif
