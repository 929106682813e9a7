/* cmd_cases.c - `casetrail cases` (list) and `casetrail case show ID`. */
#include "cli.h"
#include "report_p.h"
#include "../report/report.h"
#include "../store/store.h"

#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char cases_usage[] =
	"usage: casetrail cases [--tag T] [--department D] [--since DATE] [--until DATE]\n"
	"                       [--open] [--min-handoffs N] [--ping-pong] [--format F]\n"
	"\n"
	"Lists cases, most recent activity first.\n"
	"\n"
	"  --tag T            only cases with an item tagged T (overpromise, billing_dispute, ...)\n"
	"  --department D     only cases that department held\n"
	"  --since DATE       last activity on or after DATE (YYYY-MM-DD or ISO 8601, UTC)\n"
	"  --until DATE       opened before DATE (after --since)\n"
	"  --open             only open cases\n"
	"  --min-handoffs N   only cases passed on at least N times (0 to 1000)\n"
	"  --ping-pong        only cases that returned to a department\n"
	"  --format F         table (default on a terminal), json (default otherwise), csv,\n"
	"                     markdown, html\n";

static const char case_usage[] =
	"usage: casetrail case show ID [--format table|csv|json|markdown|html]\n"
	"   or: casetrail case close|reopen CASE... [--by WHO] [--reason TEXT]\n"
	"   or: casetrail case merge CASE OTHER... [--by WHO] [--reason TEXT]\n"
	"   or: casetrail case split CASE ITEM... [--by WHO] [--reason TEXT]\n"
	"\n"
	"show: one case, its state (open: waiting on staff or customer; closed:\n"
	"ticket-closed, inactive or manual), its items in time order with their tags\n"
	"and evidence, its routing history (which department held it, when, who moved\n"
	"it), why its items belong together (link and merge reasons), follow-up links\n"
	"and the decisions made by hand about it.\n"
	"close, reopen, merge, split: decisions by hand ('casetrail case close --help').\n";

#define jtime ct_json_time
#define jstr ct_json_str

static const char *kind_name(enum ct_item_kind kind)
{
	return kind == CT_ITEM_EMAIL ? "email" : kind == CT_ITEM_TICKET ? "ticket" : "ticket_move";
}

static json_t *case_json(const struct ct_case *c, int full)
{
	json_t *o = json_object(), *deps = json_array(), *tags = json_object(), *items = json_array();
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
	json_object_set_new(o, "follow_up_of", c->follow_up_of ? json_integer(c->follow_up_of) : json_null());
	for (size_t i = 0; i < c->departments.n; i++)
		json_array_append_new(deps, json_string(c->departments.v[i]));
	json_object_set_new(o, "departments", deps);
	json_object_set_new(o, "handoffs", json_integer(c->handoffs));
	json_object_set_new(o, "ping_pong", json_boolean(c->ping_pong));
	for (size_t i = 0; i < c->ntagc; i++)
		json_object_set_new(tags, c->tagc[i].category, json_integer(c->tagc[i].n));
	json_object_set_new(o, "tags", tags);
	for (size_t i = 0; i < c->nitems; i++) {
		const struct ct_case_item *it = &c->items[i];
		if (it->kind == CT_ITEM_TICKET_MOVE && !full)
			continue; /* ticket moves are routing, shown under "routing" */
		json_t *j = json_object(), *t = json_array(), *mb = json_array();
		json_object_set_new(j, "kind", json_string(kind_name(it->kind)));
		json_object_set_new(j, "external_id", jstr(it->external_id));
		json_object_set_new(j, "date", jtime(it->date));
		json_object_set_new(j, "from", jstr(it->from));
		json_object_set_new(j, "department", jstr(it->department));
		for (size_t k = 0; k < it->ntags; k++) {
			int dup = 0;
			for (size_t m = 0; m < k; m++)
				if (!strcmp(it->tags[m].category, it->tags[k].category))
					dup = 1;
			if (!dup)
				json_array_append_new(t, json_string(it->tags[k].category));
		}
		json_object_set_new(j, "tags", t);
		for (size_t k = 0; k < it->mailboxes.n; k++)
			json_array_append_new(mb, json_string(it->mailboxes.v[k]));
		json_object_set_new(j, "mailboxes", mb);
		if (full) {
			json_t *ev = json_array();
			json_object_set_new(j, "subject", jstr(it->subject));
			json_object_set_new(j, "from_name", jstr(it->from_name));
			json_object_set_new(j, "link", jstr(it->link_reason));
			json_object_set_new(j, "link_detail", jstr(it->link_detail));
			for (size_t k = 0; k < it->ntags; k++) {
				json_t *e = json_object();
				json_object_set_new(e, "category", json_string(it->tags[k].category));
				json_object_set_new(e, "rule", json_string(it->tags[k].rule_id));
				json_object_set_new(e, "snippet", json_string(it->tags[k].snippet));
				json_object_set_new(e, "start", json_integer((json_int_t)it->tags[k].start));
				json_object_set_new(e, "end", json_integer((json_int_t)it->tags[k].end));
				json_array_append_new(ev, e);
			}
			json_object_set_new(j, "evidence", ev);
			json_object_set_new(j, "warnings", jstr(it->warnings));
			json_object_set_new(j, "body", jstr(it->body));
		}
		json_array_append_new(items, j);
	}
	json_object_set_new(o, "items", items);
	if (full) {
		json_t *r = ct_json_routing(c->routing, c->nrouting), *m = json_array();
		json_object_set_new(o, "routing", r);
		for (size_t i = 0; i < c->nmerges; i++) {
			json_t *j = json_object();
			json_object_set_new(j, "from_case", json_integer(c->merges[i].from_case));
			json_object_set_new(j, "reason", jstr(c->merges[i].reason));
			json_object_set_new(j, "detail", jstr(c->merges[i].detail));
			json_object_set_new(j, "at", jtime(c->merges[i].at));
			json_array_append_new(m, j);
		}
		json_object_set_new(o, "merges", m);
		json_t *fu = json_array();
		for (size_t i = 0; i < c->nfollow_ups; i++)
			json_array_append_new(fu, json_integer(c->follow_ups[i]));
		json_object_set_new(o, "follow_ups", fu);
		json_object_set_new(o, "decisions", ct_json_decisions(c->decisions, c->ndecisions));
		json_t *pr = json_array();
		for (size_t i = 0; c->promises && i < c->promises->n; i++)
			json_array_append_new(pr, ct_json_promise(&c->promises->v[i]));
		json_object_set_new(o, "promises", pr);
	}
	return o;
}

struct list_ctx {
	enum ct_format fmt;
	json_t *arr;                     /* json */
	long n;
	struct ct_doc_table *doc_table;  /* every other format */
	int compact;                     /* table on a terminal narrower than WIDE_TABLE */
	int short_state;                 /* narrower still: "open (staff)" for "open (waiting on staff)" */
};

/* From this width on, the table has every column of the CSV; below SHORT_STATE, states in short. */
#define WIDE_TABLE 140
#define SHORT_STATE 100

static int list_cb(const struct ct_case *c, void *data)
{
	struct list_ctx *x = data;
	x->n++;
	if (x->fmt == CT_FMT_JSON) {
		json_array_append_new(x->arr, case_json(c, 0));
		return 0;
	}
	char id[24], opened[32], last[32], h[16], state[48];
	struct ct_buf trail = CT_BUF_INIT, tags = CT_BUF_INIT;
	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	snprintf(h, sizeof(h), "%d", c->handoffs);
	ct_time_iso(c->opened_at, opened);
	ct_time_iso(c->last_activity_at, last);
	if (x->fmt == CT_FMT_TABLE) /* a terminal line is short: the day is enough */
		opened[10] = last[10] = '\0';
	for (size_t i = 0; i < c->departments.n; i++)
		ct_buf_addf(&trail, "%s%s", i ? " > " : "", c->departments.v[i]);
	for (size_t i = 0; i < c->ntagc; i++)
		ct_buf_addf(&tags, "%s%s:%d", i ? " " : "", c->tagc[i].category, c->tagc[i].n);
	ct_case_state_label(&c->state, state);
	/* A short line: "open (staff)", "closed (ticket)" say the same in less room. */
	if (x->short_state && c->state.open)
		snprintf(state, sizeof(state), "open (%s)", c->state.waiting_on ? c->state.waiting_on : CT_WAITING_STAFF);
	else if (x->short_state && c->state.close_reason && !strcmp(c->state.close_reason, CT_CLOSED_TICKET))
		snprintf(state, sizeof(state), "closed (ticket)");
	if (x->compact)
		ct_doc_row(x->doc_table, id, last, state, h, trail.buf, tags.buf, c->subject ? c->subject : "");
	else
		ct_doc_row(x->doc_table, id, opened, last, state, h,
			   c->ping_pong ? "yes" : "no", trail.buf, tags.buf, c->customer ? c->customer : "",
			   c->subject ? c->subject : "");
	ct_buf_release(&trail);
	ct_buf_release(&tags);
	return 0;
}

int ct_cmd_cases(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "department", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "open", no_argument, NULL, 'o' },
		{ "min-handoffs", required_argument, NULL, 'm' },
		{ "ping-pong", no_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ct_case_filter f = { 0 };
	struct list_ctx x = { ct_default_format(), NULL, 0, NULL, 0, 0 };
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': f.tag = optarg; break;
		case 'd': f.department = optarg; break;
		case 's': if (ct_opt_date("--since", optarg, &f.since)) return 2; break;
		case 'u': if (ct_opt_date("--until", optarg, &f.until)) return 2; break;
		case 'o': f.open_only = 1; break;
		case 'm':
			if (ct_opt_int("--min-handoffs", optarg, 0, CT_MAX_HANDOFFS, &f.min_handoffs))
				return 2;
			break;
		case 'p': f.ping_pong_only = 1; break;
		case 'f':
			if (ct_parse_format(optarg, &x.fmt))
				return 2;
			break;
		case 'h': fputs(cases_usage, stdout); return 0;
		default: fputs(cases_usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fputs(cases_usage, stderr);
		return 2;
	}
	if (ct_opt_period(f.since, f.until) || ct_cli_department(cli, &f.department))
		return 2;
	struct ct_doc doc;
	int width = ct_term_width(stdout);
	ct_report_links_from_config(&cli->cfg);
	ct_doc_init(&doc, "Cases");
	if (x.fmt == CT_FMT_JSON) {
		x.arr = json_array();
	} else if (x.fmt == CT_FMT_TABLE && width < WIDE_TABLE) {
		/*
		 * A terminal line holds what tells cases apart; the subject, the trail and
		 * the tags give way (cut with an ellipsis), the numbers and dates do not.
		 * The trail shows a ping-pong; --format csv has every column.
		 */
		x.compact = 1;
		x.short_state = width < SHORT_STATE;
		x.doc_table = ct_doc_table(&doc, "", "#id|activity|state|#handoffs|departments|tags|subject");
		x.doc_table->shrink_first = 1u << 4 | 1u << 5 | 1u << 6;
		/* the state gives way only when the text columns cannot any more (it is cut after "open"/"closed") */
		x.doc_table->keep = 1u << 0 | 1u << 1 | 1u << 3;
	} else {
		x.doc_table = ct_doc_table(&doc, "",
			"@case|opened|last activity|state|#handoffs|ping-pong|departments|tags|customer|subject");
		/* CSV keeps the field names of the JSON output */
		ct_doc_table_csv_names(x.doc_table,
			"id|opened_at|last_activity_at|state|handoffs|ping_pong|departments|tags|customer|subject");
		x.doc_table->anchors = 1;
		/* on a narrow terminal, the free text gives way first */
		x.doc_table->shrink_first = 1u << 6 | 1u << 7 | 1u << 8 | 1u << 9;
		x.doc_table->keep = 1u << 0 | 1u << 3;  /* id and state stay readable */
		doc.csv = x.doc_table;
	}
	if (ct_store_list_cases(cli->store, &f, list_cb, &x)) {
		json_decref(x.arr);
		ct_doc_release(&doc);
		return 1;
	}
	if (x.doc_table) {
		int rc = ct_doc_emit(&doc, x.fmt, stdout, width);
		ct_doc_release(&doc);
		return rc ? 1 : 0;
	}
	ct_doc_release(&doc);
	if (x.arr) {
		json_dumpf(x.arr, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII * 0);
		fputc('\n', stdout);
		json_decref(x.arr);
	} else {
		printf("%ld case%s\n", x.n, x.n == 1 ? "" : "s");
	}
	return 0;
}

/* The promises an item made, and those it kept or broke. */
static void show_item_promises(const struct ct_case *c, const struct ct_case_item *it)
{
	for (size_t k = 0; c->promises && k < c->promises->n; k++) {
		const struct ct_promise *p = &c->promises->v[k];
		char due[32];
		ct_time_iso_tz(p->due_at, p->tz, due);
		if (p->item_id == it->id)
			printf("      promise #%lld due %s: %s (%s)\n", (long long)p->id, due, ct_verdict_name(p->verdict),
			       p->how);
		else if (p->decided_item == it->id)
			printf("      %s promise #%lld (%s)\n", p->verdict == CT_VERDICT_KEPT ? "keeps" : "breaks",
			       (long long)p->id, p->how);
	}
}

static void show_table(const struct ct_case *c)
{
	char a[32], b[32], state[48];
	ct_time_iso(c->opened_at, a);
	ct_time_iso(c->last_activity_at, b);
	ct_case_state_label(&c->state, state);
	printf("Case %lld: %s\n", (long long)c->id, c->subject ? c->subject : "");
	printf("  customer:  %s\n", c->customer ? c->customer : "-");
	printf("  opened:    %s   last activity: %s\n", a, b);
	if (c->open) {
		printf("  state:     %s\n", state);
	} else {
		ct_time_iso(c->state.closed_at, a);
		printf("  state:     %s since %s\n", state, a);
	}
	if (c->follow_up_of)
		printf("  follows up case %lld\n", (long long)c->follow_up_of);
	for (size_t i = 0; i < c->nfollow_ups; i++)
		printf("  followed up by case %lld\n", (long long)c->follow_ups[i]);
	printf("  trail:     ");
	for (size_t i = 0; i < c->departments.n; i++)
		printf("%s%s", i ? " → " : "", c->departments.v[i]);
	printf("\n  handoffs:  %d%s\n", c->handoffs, c->ping_pong ? " (ping-pong)" : "");
	if (c->nrouting) {
		printf("\nRouting:\n");
		for (size_t i = 0; i < c->nrouting; i++) {
			ct_time_iso(c->routing[i].at, a);
			printf("  %s  %s → %s  via %s%s  by %s\n", a, c->routing[i].from_department,
			       c->routing[i].to_department, c->routing[i].via,
			       c->routing[i].observed ? " (observed at poll time)" : "",
			       c->routing[i].actor ? c->routing[i].actor : "-");
		}
	}
	printf("\nItems:\n");
	for (size_t i = 0; i < c->nitems; i++) {
		const struct ct_case_item *it = &c->items[i];
		ct_time_iso(it->date, a);
		printf("  %s  [%s] %s  %s\n", a, it->department ? it->department : "-",
		       it->from ? it->from : "", it->kind == CT_ITEM_TICKET_MOVE ? "(ticket moved)" : it->subject);
		printf("      %s  (%s%s%s)\n", it->external_id, it->link_reason ? it->link_reason : "",
		       it->link_detail ? ": " : "", it->link_detail ? it->link_detail : "");
		for (size_t k = 0; k < it->ntags; k++)
			printf("      #%s (%s): “%s”\n", it->tags[k].category, it->tags[k].rule_id,
			       it->tags[k].snippet);
		show_item_promises(c, it);
		if (it->warnings)
			printf("      warning: %s\n", it->warnings);
	}
	if (c->promises && c->promises->n) {
		printf("\nPromises:\n");
		for (size_t i = 0; i < c->promises->n; i++) {
			const struct ct_promise *p = &c->promises->v[i];
			ct_time_iso_tz(p->made_at, p->tz, a);
			ct_time_iso_tz(p->due_at, p->tz, b);
			printf("  #%lld  made %s by %s, due %s: %s (%s%s%s%s%s)\n      “%s”\n", (long long)p->id, a,
			       p->staff ? p->staff : "-", b, ct_verdict_name(p->verdict), p->how,
			       p->decided_external_id ? ", " : "", p->decided_external_id ? p->decided_external_id : "",
			       p->manual && p->reason ? ": " : "", p->manual && p->reason ? p->reason : "",
			       p->sentence ? p->sentence : "");
		}
	}
	for (size_t i = 0; i < c->nmerges; i++) {
		ct_time_iso(c->merges[i].at, a);
		printf("\nMerged case %lld at %s: %s (%s)\n", (long long)c->merges[i].from_case, a,
		       c->merges[i].reason, c->merges[i].detail ? c->merges[i].detail : "");
	}
	if (c->ndecisions)
		printf("\nDecisions:\n");
	for (size_t i = 0; i < c->ndecisions; i++) {
		char *what = ct_decision_describe(&c->decisions[i]);
		ct_time_iso(c->decisions[i].at, a);
		printf("  %s  %s  by %s%s%s\n", a, what, c->decisions[i].by, c->decisions[i].reason ? ": " : "",
		       c->decisions[i].reason ? c->decisions[i].reason : "");
		free(what);
	}
}

int ct_cmd_case(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ct_format fmt = ct_default_format();
	int c;
	/* close, reopen, merge, split: decisions (cmd_decide.c) */
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (!strcmp(argv[i], "close") || !strcmp(argv[i], "reopen") || !strcmp(argv[i], "merge") ||
		    !strcmp(argv[i], "split"))
			return ct_cmd_case_decide(argc, argv, cli);
		break;
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (ct_parse_format(optarg, &fmt))
				return 2;
			break;
		case 'h': fputs(case_usage, stdout); return 0;
		default: fputs(case_usage, stderr); return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind], "show")) {
		ct_opt_unknown("case command", argv[optind], "show, close, reopen, merge, split");
		fputs(case_usage, stderr);
		return 2;
	}
	if (argc - optind != 2) {
		fputs(case_usage, stderr);
		return 2;
	}
	long id;
	if (ct_opt_long("case show ID", argv[optind + 1], 1, LONG_MAX, &id))
		return 2;
	if (!cli->store && ct_cli_open_store(cli, 0))
		return cli->db_path || cli->cfg.store_path ? 1 : 2;
	struct ct_case cs;
	ct_report_links_from_config(&cli->cfg);
	int rc = ct_store_get_case(cli->store, id, &cs);
	if (rc < 0)
		return 1;
	if (rc == 1) {
		ct_error("no case %ld in '%s'", id, ct_store_path(cli->store));
		return 1;
	}
	if (fmt == CT_FMT_JSON) {
		json_t *o = case_json(&cs, 1);
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	} else if (fmt == CT_FMT_TABLE) {
		show_table(&cs);
	} else if (ct_report_case(stdout, fmt, ct_term_width(stdout), &cs)) {
		ct_case_release(&cs);
		return 1;
	}
	ct_case_release(&cs);
	return 0;
}
