/* json.c - JSON pieces every command's output shares (schema casetrail-json/1). */
#include "report.h"
#include "../store/store.h"

#include <jansson.h>

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
