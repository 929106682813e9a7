/* json.c - JSON pieces every command's output shares (schema casetrail-json/1). */
#include "report.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

json_t *ct_json_time(ct_time t)
{
	char b[32];
	if (!t)
		return json_null();
	ct_time_iso(t, b);
	return json_string(b);
}

json_t *ct_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *ct_json_routing(const struct ct_routing_event *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct ct_routing_event *e = &v[i];
		json_t *j = json_object();
		json_object_set_new(j, "at", ct_json_time(e->at));
		json_object_set_new(j, "from_department", ct_json_str(e->from_department));
		json_object_set_new(j, "to_department", ct_json_str(e->to_department));
		json_object_set_new(j, "via", ct_json_str(e->via));
		json_object_set_new(j, "actor", ct_json_str(e->actor));
		json_object_set_new(j, "observed", json_boolean(e->observed));
		json_array_append_new(a, j);
	}
	return a;
}

char *ct_decision_describe(const struct ct_decision *d)
{
	struct ct_buf b = CT_BUF_INIT;
	const char *a = d->action;
	if (!strcmp(a, "tag-dismiss") || !strcmp(a, "tag-confirm"))
		ct_buf_addf(&b, "tag %s of item %s %s", d->category ? d->category : "?", d->item,
			    !strcmp(a, "tag-dismiss") ? "dismissed" : "confirmed");
	else if (!strcmp(a, "item-department"))
		ct_buf_addf(&b, "item %s set to department %s", d->item, d->value ? d->value : "?");
	else if (!strcmp(a, "case-close"))
		ct_buf_addf(&b, "case closed (the case of item %s)", d->item);
	else if (!strcmp(a, "case-reopen"))
		ct_buf_addf(&b, "case reopened (the case of item %s)", d->item);
	else if (!strcmp(a, "case-merge") || !strcmp(a, "case-split")) {
		int merge = !strcmp(a, "case-merge");
		ct_buf_addstr(&b, merge ? "merged the cases of items " : "split items ");
		for (size_t i = 0; i < d->items.n; i++)
			ct_buf_addf(&b, "%s%s", i ? ", " : "", d->items.v[i]);
		ct_buf_addf(&b, merge ? " into the case of item %s" : " from the case of item %s into a new case",
			    d->item);
	} else
		ct_buf_addf(&b, "%s %s", a, d->item);
	if (d->superseded)
		ct_buf_addstr(&b, " (superseded by a later decision)");
	return ct_buf_detach(&b, NULL);
}

json_t *ct_json_decisions(const struct ct_decision *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct ct_decision *d = &v[i];
		json_t *j = json_object(), *items = json_array();
		json_object_set_new(j, "id", json_integer(d->id));
		json_object_set_new(j, "action", json_string(d->action));
		json_object_set_new(j, "item", json_string(d->item));
		json_object_set_new(j, "category", ct_json_str(d->category));
		for (size_t k = 0; k < d->items.n; k++)
			json_array_append_new(items, json_string(d->items.v[k]));
		json_object_set_new(j, "items", items);
		json_object_set_new(j, "department", ct_json_str(strcmp(d->action, "item-department") ? NULL : d->value));
		json_object_set_new(j, "by", ct_json_str(d->by));
		json_object_set_new(j, "at", ct_json_time(d->at));
		json_object_set_new(j, "reason", ct_json_str(d->reason));
		json_object_set_new(j, "superseded", json_boolean(d->superseded));
		char *what = ct_decision_describe(d);
		json_object_set_new(j, "summary", json_string(what));
		free(what);
		json_array_append_new(a, j);
	}
	return a;
}
