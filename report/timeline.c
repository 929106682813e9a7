/* timeline.c - one case (case show): items, tags with evidence, routing, merges. */
#include "report.h"
#include "../store/store.h"

#include <stdlib.h>
#include <string.h>

int ct_report_case(FILE *out, enum ct_format fmt, int width, const struct ct_case *c)
{
	char title[256], a[32], b[32], n1[24];
	struct ct_doc d;
	snprintf(title, sizeof(title), "Case %lld: %s", (long long)c->id, c->subject ? c->subject : "");
	ct_doc_init(&d, title);
	struct ct_buf trail = CT_BUF_INIT;
	for (size_t i = 0; i < c->departments.n; i++)
		ct_buf_addf(&trail, "%s%s", i ? " → " : "", c->departments.v[i]);
	char state[48], since[64] = "";
	ct_case_state_label(&c->state, state);
	if (!c->open) {
		ct_time_iso(c->state.closed_at, a);
		snprintf(since, sizeof(since), " since %s", a);
	}
	ct_time_iso(c->opened_at, a);
	ct_time_iso(c->last_activity_at, b);
	ct_doc_text(&d, "Customer %s. Opened %s, last activity %s. State: %s%s. Trail: %s (%d handoff%s%s).",
		    c->customer ? c->customer : "unknown", a, b, state, since,
		    trail.len ? trail.buf : "none", c->handoffs, c->handoffs == 1 ? "" : "s",
		    c->ping_pong ? ", ping-pong" : "");
	ct_buf_release(&trail);
	if (c->follow_up_of)
		ct_doc_text(&d, "Follows up case %lld.", (long long)c->follow_up_of);
	for (size_t i = 0; i < c->nfollow_ups; i++)
		ct_doc_text(&d, "Followed up by case %lld.", (long long)c->follow_ups[i]);

	ct_doc_heading(&d, 1, "Timeline");
	struct ct_doc_table *t = ct_doc_table(&d, "",
		"date|kind|department|~from|~subject|tags|!evidence|~why in this case|~external id");
	d.csv = t;
	for (size_t i = 0; i < c->nitems; i++) {
		const struct ct_case_item *it = &c->items[i];
		struct ct_buf tags = CT_BUF_INIT, ev = CT_BUF_INIT, why = CT_BUF_INIT;
		for (size_t k = 0; k < it->ntags; k++) {
			ct_buf_addf(&tags, "%s%s (%s)", k ? ", " : "", it->tags[k].category, it->tags[k].rule_id);
			ct_buf_addf(&ev, "%s“%s”", k ? " " : "", it->tags[k].snippet);
		}
		/* the promises made in this item, and those it decided */
		for (size_t k = 0; c->promises && k < c->promises->n; k++) {
			const struct ct_promise *p = &c->promises->v[k];
			char due[32];
			ct_time_iso_tz(p->due_at, p->tz, due);
			if (p->item_id == it->id) {
				ct_buf_addf(&tags, "%spromise #%lld due %.16s (%s)", tags.len ? ", " : "", (long long)p->id,
					    due, ct_verdict_name(p->verdict));
				if (!it->ntags)
					ct_buf_addf(&ev, "%s“%s”", ev.len ? " " : "", p->sentence ? p->sentence : "");
			} else if (p->decided_item == it->id) {
				ct_buf_addf(&tags, "%s%s promise #%lld (%s)", tags.len ? ", " : "",
					    p->verdict == CT_VERDICT_KEPT ? "keeps" : "breaks", (long long)p->id, p->how);
			}
		}
		ct_buf_addf(&why, "%s%s%s", it->link_reason ? it->link_reason : "", it->link_detail ? ": " : "",
			    it->link_detail ? it->link_detail : "");
		ct_time_iso(it->date, a);
		ct_doc_row(t, a, it->kind == CT_ITEM_EMAIL ? "email" : it->kind == CT_ITEM_TICKET ? "ticket" : "ticket move",
			   it->department ? it->department : "", it->from ? it->from : "",
			   it->kind == CT_ITEM_TICKET_MOVE ? "" : it->subject ? it->subject : "", tags.buf, ev.buf, why.buf,
			   it->external_id);
		ct_buf_release(&tags);
		ct_buf_release(&ev);
		ct_buf_release(&why);
	}
	/* Decisions made by hand, after the items (also in CSV, which has this table only). */
	for (size_t i = 0; i < c->ndecisions; i++) {
		const struct ct_decision *dc = &c->decisions[i];
		char *what = ct_decision_describe(dc);
		ct_time_iso(dc->at, a);
		ct_doc_row(t, a, "decision", dc->value && !strcmp(dc->action, "item-department") ? dc->value : "",
			   dc->by, what, "",
			   dc->reason ? dc->reason : "", "", dc->item);
		free(what);
	}
	ct_doc_heading(&d, 1, "Routing");
	t = ct_doc_table(&d, "", "date|from|to|via|by");
	for (size_t i = 0; i < c->nrouting; i++) {
		const struct ct_routing_event *e = &c->routing[i];
		ct_time_iso(e->at, a);
		ct_doc_row(t, a, e->from_department, e->to_department,
			   e->observed ? "ticket (observed at poll time)" : e->via, e->actor ? e->actor : "");
	}
	if (c->promises)
		ct_doc_case_promises(&d, c->promises);
	if (c->nmerges) {
		ct_doc_heading(&d, 1, "Merged cases");
		/* a case merged away has no page of its own: its id is no link */
		t = ct_doc_table(&d, "", "#case|date|reason|detail");
		for (size_t i = 0; i < c->nmerges; i++) {
			ct_time_iso(c->merges[i].at, a);
			snprintf(n1, sizeof(n1), "%lld", (long long)c->merges[i].from_case);
			ct_doc_row(t, n1, a, c->merges[i].reason, c->merges[i].detail ? c->merges[i].detail : "");
		}
	}
	for (size_t i = 0; i < c->nitems; i++) {
		const struct ct_case_item *it = &c->items[i];
		if (it->kind == CT_ITEM_TICKET_MOVE || !it->body)
			continue;
		ct_time_iso(it->date, a);
		ct_doc_heading(&d, 2, "%s — %s — %s", a, it->from ? it->from : "", it->subject ? it->subject : "");
		ct_doc_text(&d, "%s", it->body);
		if (it->warnings)
			ct_doc_text(&d, "Warning: %s", it->warnings);
	}
	int rc = ct_doc_emit(&d, fmt, out, width);
	ct_doc_release(&d);
	return rc;
}
