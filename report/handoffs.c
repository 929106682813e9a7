/* handoffs.c - the audit of cases passed between departments. */
#include "report.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define jtime ct_json_time
#define jstr ct_json_str

static int json_out(FILE *out, const struct ct_audit *a)
{
	json_t *root = json_object(), *cases = json_array(), *matrix = json_object(), *res = json_array();
	json_object_set_new(root, "schema", json_string(CT_JSON_SCHEMA));
	json_object_set_new(root, "report", json_string("handoffs"));
	json_object_set_new(root, "until", jtime(a->until));
	for (size_t i = 0; i < a->ncases; i++) {
		const struct ct_audit_case *c = &a->cases[i];
		json_t *o = json_object(), *deps = json_array(), *holds = json_array();
		json_t *routing = ct_json_routing(c->routing, c->nrouting);
		json_object_set_new(o, "id", json_integer(c->id));
		json_object_set_new(o, "subject", jstr(c->subject));
		json_object_set_new(o, "customer", jstr(c->customer));
		json_object_set_new(o, "opened_at", jtime(c->opened_at));
		json_object_set_new(o, "last_activity_at", jtime(c->last_activity_at));
		json_object_set_new(o, "open", json_boolean(c->open));
		json_object_set_new(o, "state", json_string(c->open ? CT_STATE_OPEN : CT_STATE_CLOSED));
		json_object_set_new(o, "waiting_on", c->open ? jstr(c->state.waiting_on) : json_null());
		json_object_set_new(o, "close_reason", c->open ? json_null() : jstr(c->state.close_reason));
		json_object_set_new(o, "closed_at", c->open ? json_null() : jtime(c->state.closed_at));
		json_object_set_new(o, "decisions", ct_json_decisions(c->decisions, c->ndecisions));
		for (size_t k = 0; k < c->nstops; k++) {
			json_t *h = json_object();
			json_array_append_new(deps, json_string(c->stops[k].department));
			json_object_set_new(h, "department", json_string(c->stops[k].department));
			json_object_set_new(h, "from", jtime(c->stops[k].from));
			json_object_set_new(h, "to", jtime(c->stops[k].to));
			json_object_set_new(h, "seconds", json_integer(c->stops[k].to - c->stops[k].from));
			json_array_append_new(holds, h);
		}
		json_object_set_new(o, "departments", deps);
		json_object_set_new(o, "handoffs", json_integer(c->handoffs));
		json_object_set_new(o, "ping_pong", json_boolean(c->ping_pong));
		json_object_set_new(o, "unanswered", json_boolean(c->unanswered));
		json_object_set_new(o, "holds", holds);
		json_object_set_new(o, "routing", routing);
		json_array_append_new(cases, o);
	}
	json_object_set_new(root, "cases", cases);
	for (size_t i = 0; i < a->matrix.n; i++) {
		const char *k = a->matrix.v[i].key, *tab = strchr(k, '\t');
		char *from = ct_strndup(k, (size_t)(tab - k));
		json_t *row = json_object_get(matrix, from);
		if (!row) {
			row = json_object();
			json_object_set_new(matrix, from, row);
		}
		json_object_set_new(row, tab + 1, json_integer(a->matrix.v[i].n));
		free(from);
	}
	json_object_set_new(root, "matrix", matrix);
	for (int b = 0; b < 4; b++) {
		json_t *o = json_object();
		json_object_set_new(o, "handoffs", b == 3 ? json_string("3+") : json_integer(b));
		/* resolved_cases: the name of schema 1; closed_cases says the same in the state model's words */
		json_object_set_new(o, "resolved_cases", json_integer(a->buckets[b].resolved));
		json_object_set_new(o, "closed_cases", json_integer(a->buckets[b].resolved));
		json_object_set_new(o, "median_days",
				    a->buckets[b].median_days < 0 ? json_null() : json_real(a->buckets[b].median_days));
		json_array_append_new(res, o);
	}
	json_object_set_new(root, "resolution", res);
	json_object_set_new(root, "unanswered_after_handoff", json_integer(a->unanswered));
	int rc = json_dumpf(root, out, JSON_INDENT(2));
	fputc('\n', out);
	json_decref(root);
	return rc ? ct_error("cannot write the report") : 0;
}

/* "Sales 2h 5m → Billing 1d 3h" */
static char *trail_text(const struct ct_audit_case *c)
{
	struct ct_buf b = CT_BUF_INIT;
	for (size_t k = 0; k < c->nstops; k++) {
		char d[32];
		ct_format_duration(c->stops[k].to - c->stops[k].from, d);
		ct_buf_addf(&b, "%s%s (%s)", k ? " → " : "", c->stops[k].department, d);
	}
	return ct_buf_detach(&b, NULL);
}

int ct_report_audit(FILE *out, enum ct_format fmt, int width, const struct ct_audit *a)
{
	if (fmt == CT_FMT_JSON)
		return json_out(out, a);
	char until[32], n1[24], n2[24], n3[24];
	ct_time_iso(a->until, until);
	struct ct_doc d;
	char title[96];
	snprintf(title, sizeof(title), "Handoff audit (until %.10s)", until);
	ct_doc_init(&d, title);
	long with = 0, pp = 0;
	for (size_t i = 0; i < a->ncases; i++) {
		with += a->cases[i].handoffs > 0;
		pp += a->cases[i].ping_pong;
	}
	ct_doc_text(&d, "%zu case%s; %ld passed between departments, %ld ping-pong (returned to a department "
		    "that held it before), %ld with nobody of the receiving department answering after the last "
		    "handoff.", a->ncases, a->ncases == 1 ? "" : "s", with, pp, a->unanswered);

	/* the transfer matrix */
	struct ct_strlist names = CT_STRLIST_INIT;
	for (size_t i = 0; i < a->matrix.n; i++) {
		const char *k = a->matrix.v[i].key, *tab = strchr(k, '\t');
		char *from = ct_strndup(k, (size_t)(tab - k));
		if (!ct_strlist_has(&names, from))
			ct_strlist_push(&names, from);
		if (!ct_strlist_has(&names, tab + 1))
			ct_strlist_push(&names, tab + 1);
		free(from);
	}
	long *vals = ct_calloc(names.n * names.n + 1, sizeof(long));
	for (size_t i = 0; i < a->matrix.n; i++) {
		const char *k = a->matrix.v[i].key, *tab = strchr(k, '\t');
		size_t r = 0, c = 0;
		for (size_t x = 0; x < names.n; x++) {
			if (!strncmp(names.v[x], k, (size_t)(tab - k)) && !names.v[x][tab - k])
				r = x;
			if (!strcmp(names.v[x], tab + 1))
				c = x;
		}
		vals[r * names.n + c] += a->matrix.v[i].n;
	}
	ct_doc_heading(&d, 1, "Transfers between departments");
	if (fmt == CT_FMT_HTML && names.n)
		ct_doc_svg(&d, ct_svg_heatmap("Transfer matrix (from row to column)",
					      (const char *const *)names.v, names.n, vals),
			   "Heat map of the transfers between departments; its figures are in the table below it");
	struct ct_doc_table *mt = ct_doc_table(&d, "", "from|to|#transfers");
	for (size_t i = 0; i < a->matrix.n; i++) {
		const char *k = a->matrix.v[i].key, *tab = strchr(k, '\t');
		char *from = ct_strndup(k, (size_t)(tab - k));
		snprintf(n1, sizeof(n1), "%ld", a->matrix.v[i].n);
		ct_doc_row(mt, from, tab + 1, n1);
		free(from);
	}
	free(vals);
	ct_strlist_clear(&names);

	ct_doc_heading(&d, 1, "Time to close by number of handoffs");
	struct ct_doc_table *rt = ct_doc_table(&d, "", "handoffs|#closed cases|#median days");
	for (int b = 0; b < 4; b++) {
		snprintf(n1, sizeof(n1), b == 3 ? "3 or more" : "%d", b);
		snprintf(n2, sizeof(n2), "%ld", a->buckets[b].resolved);
		if (a->buckets[b].median_days < 0)
			snprintf(n3, sizeof(n3), "-");
		else
			snprintf(n3, sizeof(n3), "%.1f", a->buckets[b].median_days);
		ct_doc_row(rt, n1, n2, n3);
	}

	ct_doc_heading(&d, 1, "Nobody answered after the handoff");
	struct ct_doc_table *ut = ct_doc_table(&d, "", "@case|handed over|from|to|!subject");
	for (size_t i = 0; i < a->ncases; i++) {
		const struct ct_audit_case *c = &a->cases[i];
		if (!c->unanswered)
			continue;
		const struct ct_routing_event *e = &c->routing[c->nrouting - 1];
		char when[32];
		ct_time_iso(e->at, when);
		snprintf(n1, sizeof(n1), "%lld", (long long)c->id);
		ct_doc_row(ut, n1, when, e->from_department, e->to_department, c->subject ? c->subject : "");
	}

	ct_doc_heading(&d, 1, "Department trails");
	struct ct_doc_table *ct = ct_doc_table(&d, "",
		"@case|opened|state|#handoffs|ping-pong|unanswered|trail (time held)|~subject|~customer");
	ct->anchors = 1;
	ct->keep = 1u << 0 | 1u << 2;   /* case id and state stay readable */
	d.csv = ct;
	for (size_t i = 0; i < a->ncases; i++) {
		const struct ct_audit_case *c = &a->cases[i];
		char opened[32];
		ct_time_iso(c->opened_at, opened);
		if (fmt == CT_FMT_TABLE)
			opened[10] = '\0';   /* the day is enough on a terminal */
		char *trail = trail_text(c);
		snprintf(n1, sizeof(n1), "%lld", (long long)c->id);
		snprintf(n2, sizeof(n2), "%d", c->handoffs);
		char state[48];
		ct_case_state_label(&c->state, state);
		ct_doc_row(ct, n1, opened, state, n2, c->ping_pong ? "yes" : "no",
			   c->unanswered ? "yes" : "no", trail, c->subject ? c->subject : "",
			   c->customer ? c->customer : "");
		free(trail);
	}
	/* Decisions made by hand about the audited cases. */
	struct ct_doc_table *dt = NULL;
	for (size_t i = 0; i < a->ncases; i++) {
		const struct ct_audit_case *c = &a->cases[i];
		for (size_t k = 0; k < c->ndecisions; k++) {
			const struct ct_decision *dc = &c->decisions[k];
			if (!dt) {
				ct_doc_heading(&d, 1, "Decisions made by hand");
				dt = ct_doc_table(&d, "", "#case|date|~decision|by|~why");
			}
			char when[32], *what = ct_decision_describe(dc);
			ct_time_iso(dc->at, when);
			snprintf(n1, sizeof(n1), "%lld", (long long)c->id);
			ct_doc_row(dt, n1, when, what, dc->by, dc->reason ? dc->reason : "");
			free(what);
		}
	}
	int rc = ct_doc_emit(&d, fmt, out, width);
	ct_doc_release(&d);
	return rc;
}
