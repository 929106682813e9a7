/* tickets_p.h - private to ingest/: what the helpdesk readers share. */
#ifndef CT_TICKETS_P_H
#define CT_TICKETS_P_H

#include "ingest.h"

/* Hands a ticket item to the sink unless its location (default: its external id) was seen. */
int ct_tickets_deliver(struct ct_sink *sink, struct ct_item *it);
#include <jansson.h>

/* The string value of o[key], or NULL when absent or not a string. Borrowed from o. */
const char *ct_tickets_jstr(json_t *o, const char *key);

/* Zendesk users and groups by id (as text): user objects, group names. */
struct ct_zd_lookup {
	json_t *users;
	json_t *groups;
};
/* One Zendesk ticket object with its "audits" and "comments" attached, to items. */
int ct_zendesk_ticket(json_t *t, struct ct_zd_lookup *lk, const char *source, struct ct_sink *sink);

/* A Zendesk export file: {"tickets": [... with "comments" and "audits"], "users", "groups"}. */
int ct_zendesk_export_ingest(const char *path, const char *source, struct ct_sink *sink);
/* A JSONL file of ticket events (ingest/TICKETS.md). */
int ct_jsonl_ingest(const char *path, const char *source, struct ct_sink *sink);

#endif
