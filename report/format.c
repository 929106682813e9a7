/* format.c - the --format values, one per emitter. */
#include "report.h"

#include <string.h>
#include <unistd.h>

int ct_parse_format(const char *s, enum ct_format *out)
{
	static const char *const names[] = { "table", "csv", "json", "markdown", "html" };
	for (size_t i = 0; i < CT_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum ct_format)i;
			return 0;
		}
	if (!strcmp(s, "md")) {
		*out = CT_FMT_MARKDOWN;
		return 0;
	}
	return ct_error("unknown format '%s' (table, csv, json, markdown, html)", s);
}

enum ct_format ct_default_format(void)
{
	return isatty(1) ? CT_FMT_TABLE : CT_FMT_JSON;
}
