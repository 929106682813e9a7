/*
 * mime.c - decodes a raw RFC 5322 message into an item with libetpan: the
 * header fields of the top-level mailmime (parsed once), the MIME tree with
 * its transfer encodings, the choice of the body text (text/plain before
 * HTML), forwarded message/rfc822 parts and attachment metadata. Bad input
 * never fails: what cannot be decoded becomes a warning on the item.
 * Charsets and RFC 2047 live in charset.c, HTML in html.c.
 */
#include "mime_p.h"

#include <ctype.h>
#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH CT_MIME_MAX_DEPTH
#define MAX_CONTAINERS 1000

/* ---- ids and addresses ---- */

/* A message id without <> and surrounding blanks; NULL when empty. */
static char *strip_angles(const char *s)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '<')
		s++;
	size_t n = strcspn(s, ">");
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return n ? ct_strndup(s, n) : NULL;
}

/* Message ids from a header libetpan refused: every <...> holding an '@', or a bare token. */
static void ids_from_raw(const char *v, struct ct_strlist *out)
{
	const char *p = v;
	size_t before = out->n;
	while (p && (p = strchr(p, '<'))) {
		const char *e = strchr(p, '>');
		if (!e)
			break;
		if (e > p + 1 && memchr(p, '@', (size_t)(e - p)))
			ct_strlist_push_owned(out, ct_strndup(p + 1, (size_t)(e - p - 1)));
		p = e + 1;
	}
	if (out->n == before && v) {
		char *s = strip_angles(v);
		if (s && strchr(s, '@') && !strpbrk(s, " \t\n"))
			ct_strlist_push_owned(out, s);
		else
			free(s);
	}
}

static char *first_id_from_raw(const char *v)
{
	struct ct_strlist l = CT_STRLIST_INIT;
	char *r = NULL;
	ids_from_raw(v, &l);
	if (l.n) {
		r = l.v[0];
		l.v[0] = NULL;
	}
	ct_strlist_clear(&l);
	return r;
}

/* A display name: RFC 2047 decoded, quotes and backslash escapes removed. */
static char *display_name(const char *raw, struct ct_item *it)
{
	char *name = ct_mime_decode_header(raw, it);
	size_t m = 0;
	for (size_t i = 0; name[i]; i++) {
		if (name[i] == '"')
			continue;
		if (name[i] == '\\' && name[i + 1])
			i++;
		name[m++] = name[i];
	}
	name[m] = '\0';
	char *t = ct_trim(name);
	if (t != name)
		memmove(name, t, strlen(t) + 1);
	return name;
}

/*
 * "Last, First <addr>" written without quotes (a common habit of some
 * mail programs) reads as two entries: a bare word "Last" and "First
 * <addr>". A bare word without '@' is held in *held and becomes the start
 * of the next entry's display name ("Last, First"); the caller frees it.
 */
static char *held_name(char **held, char *name)
{
	if (!*held)
		return name;
	char *joined = ct_xstrfmt("%s, %s", *held, name ? name : "");
	free(*held);
	free(name);
	*held = NULL;
	char *t = ct_trim(joined);
	size_t n = strlen(t);
	while (n && t[n - 1] == ',')
		t[--n] = '\0';
	memmove(joined, t, n + 1);
	return joined;
}

static void add_mailbox(struct ct_addrlist *l, struct mailimf_mailbox *mb, struct ct_item *it, char **held)
{
	if (!mb || !mb->mb_addr_spec)
		return;
	if (!mb->mb_display_name && !strchr(mb->mb_addr_spec, '@')) {
		char *w = display_name(mb->mb_addr_spec, it);
		free(*held);
		*held = w;
		return;
	}
	char *name = held_name(held, mb->mb_display_name ? display_name(mb->mb_display_name, it) : NULL);
	ct_addrlist_push(l, name, mb->mb_addr_spec);
	free(name);
}

static void add_address_list(struct ct_addrlist *l, struct mailimf_address_list *al, struct ct_item *it)
{
	if (!al)
		return;
	char *held = NULL;
	for (clistiter *c = clist_begin(al->ad_list); c; c = clist_next(c)) {
		struct mailimf_address *a = clist_content(c);
		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX)
			add_mailbox(l, a->ad_data.ad_mailbox, it, &held);
		else if (a->ad_type == MAILIMF_ADDRESS_GROUP && a->ad_data.ad_group->grp_mb_list)
			for (clistiter *g = clist_begin(a->ad_data.ad_group->grp_mb_list->mb_list); g;
			     g = clist_next(g))
				add_mailbox(l, clist_content(g), it, &held);
	}
	free(held);
}

/*
 * Addresses from a header libetpan refused (8-bit names, stray brackets):
 * comma-separated entries outside quotes and <>, each "name <addr>" or a bare
 * address.
 */
static void addresses_from_raw(struct ct_addrlist *l, const char *v, struct ct_item *it)
{
	const char *p = v;
	char *held = NULL;
	while (p && *p) {
		const char *q = p;
		int quoted = 0, angle = 0;
		for (; *q; q++) {
			if (*q == '"')
				quoted = !quoted;
			else if (*q == '\\' && quoted && q[1])
				q++;
			else if (*q == '<' && !quoted)
				angle = 1;
			else if (*q == '>' && !quoted)
				angle = 0;
			else if ((*q == ',' || *q == ';') && !quoted && !angle)
				break;
		}
		char *entry = ct_strndup(p, (size_t)(q - p));
		char *lt = strrchr(entry, '<');
		char *addr = NULL, *name = NULL;
		if (lt) {
			char *gt = strchr(lt, '>');
			addr = ct_strndup(lt + 1, gt ? (size_t)(gt - lt - 1) : strlen(lt + 1));
			*lt = '\0';
			name = held_name(&held, display_name(entry, it));
		} else {
			addr = ct_strdup(entry);
		}
		char *a = ct_trim(addr);
		if (*a && (lt || strchr(a, '@'))) {
			ct_addrlist_push(l, name, a);
		} else if (*a && *q == ',') {
			/* a bare word before a comma: the start of the next entry's name */
			free(held);
			held = display_name(a, it);
		}
		free(addr);
		free(name);
		free(entry);
		p = *q ? q + 1 : q;
	}
	free(held);
}

/* ---- dates ---- */

static ct_time from_dt(const struct mailimf_date_time *d, int *ok)
{
	int y = d->dt_year, z = d->dt_zone;
	*ok = y >= 0 && y <= 2200 && d->dt_month >= 1 && d->dt_month <= 12 && d->dt_day >= 1 &&
	      d->dt_day <= 31 && d->dt_hour >= 0 && d->dt_hour < 24 && d->dt_min >= 0 && d->dt_min < 60 &&
	      d->dt_sec >= 0 && d->dt_sec <= 60 && z > -2400 && z < 2400;
	if (!*ok)
		return 0;
	if (y < 50)
		y += 2000;
	else if (y < 1000)
		y += 1900;
	if (y < 1970) {
		*ok = 0;
		return 0;
	}
	int sign = z < 0 ? -1 : 1;
	z = abs(z);
	/* libetpan reads obsolete zone names ("UT") as odd minute offsets; real zones are quarter hours */
	if (z % 100 % 15)
		z = 0;
	long off = sign * ((z / 100) * 3600L + (z % 100) * 60L);
	return ct_timegm(y, d->dt_month, d->dt_day, d->dt_hour, d->dt_min, d->dt_sec) - off;
}

/* The offset of a parsed Date in minutes east of UTC (as from_dt() reads it). */
static int dt_tz_min(const struct mailimf_date_time *d)
{
	int z = d->dt_zone, sign = z < 0 ? -1 : 1;
	z = abs(z);
	if (z % 100 % 15)
		return 0;
	return sign * ((z / 100) * 60 + z % 100);
}

static const struct {
	const char *name;
	int hours;
} zones[] = {
	{ "ut", 0 },   { "utc", 0 },  { "gmt", 0 },  { "z", 0 },    { "wet", 0 },   { "bst", 1 },
	{ "cet", 1 },  { "met", 1 },  { "cest", 2 }, { "mest", 2 }, { "eet", 2 },   { "eest", 3 },
	{ "msk", 3 },  { "ist", 5 },  { "jst", 9 },  { "est", -5 }, { "edt", -4 },  { "cst", -6 },
	{ "cdt", -5 }, { "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },  { "akst", -9 },
	{ "hst", -10 },
};

/*
 * A lenient reader for dates libetpan refuses: "4 Mar 2024 9:12", two-digit
 * years, named zones, day names anywhere, ISO 8601. 0 or -1.
 */
static int parse_loose_date(const char *v, ct_time *out)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
					      "jul", "aug", "sep", "oct", "nov", "dec" };
	int day = -1, mon = -1, year = -1, h = 0, m = 0, s = 0, have_num_zone = 0, have_time = 0;
	long off = 0;
	const char *p = v;

	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)p[0]) && ct_time_parse(p, out) == 0)
		return 0;
	while (*p) {
		if (*p == '(') { /* comment, usually the zone name again */
			const char *c = strchr(p, ')');
			p = c ? c + 1 : p + strlen(p);
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-') {
			p++;
			continue;
		}
		if (isdigit((unsigned char)*p)) {
			int a = 0, n = 0;
			while (isdigit((unsigned char)*p)) {
				if (n < 9)
					a = a * 10 + (*p - '0');
				p++;
				n++;
			}
			if (*p == ':' && !have_time && isdigit((unsigned char)p[1])) {
				char *end;
				h = a;
				m = (int)strtol(p + 1, &end, 10);
				p = end;
				if (*p == ':' && isdigit((unsigned char)p[1])) {
					s = (int)strtol(p + 1, &end, 10);
					p = end;
				}
				have_time = 1;
			} else if (day < 0 && n <= 2 && mon < 0) {
				day = a;
			} else if (day < 0 && n <= 2) {
				day = a;
			} else if (year < 0) {
				year = n <= 2 ? (a < 50 ? 2000 + a : 1900 + a) : n == 3 ? 1900 + a : a;
			}
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;
			p++;
			if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && have_time) {
				int z = 0, n = 0;
				while (isdigit((unsigned char)*p) && n < 4) {
					z = z * 10 + (*p++ - '0');
					n++;
				}
				if (*p == ':' && n == 2 && isdigit((unsigned char)p[1])) {
					z = z * 100 + (int)strtol(p + 1, (char **)&p, 10);
					n = 4;
				}
				if (n <= 2)
					z *= 100;
				off = sign * ((z / 100) * 3600L + (z % 100) * 60L);
				have_num_zone = 1;
			}
		} else {
			const char *w = p;
			while (isalpha((unsigned char)*p))
				p++;
			size_t wl = (size_t)(p - w);
			for (int i = 0; i < 12; i++)
				if (wl >= 3 && !strncasecmp(w, months[i], 3))
					mon = i + 1;
			for (size_t i = 0; i < CT_ARRAY_SIZE(zones) && !have_num_zone && have_time; i++)
				if (wl == strlen(zones[i].name) && !strncasecmp(w, zones[i].name, wl))
					off = zones[i].hours * 3600L;
		}
	}
	if (day < 1 || day > 31 || mon < 1 || year < 1970 || year > 2200 || h < 0 || h > 23 || m < 0 ||
	    m > 59 || s < 0 || s > 60)
		return -1;
	*out = ct_timegm(year, mon, day, h, m, s) - off;
	return 0;
}

/* ---- header fields ---- */

struct hdr_state {
	char *date_raw;      /* owned copy of a Date libetpan refused */
	int have_date;
	int date_invalid;    /* libetpan read a Date, but with values out of range */
	size_t nfields;
};

static void set_from(struct ct_item *it, struct ct_addrlist *tmp)
{
	if (tmp->n && !it->from.addr) {
		it->from.addr = tmp->v[0].addr;
		it->from.name = tmp->v[0].name;
		tmp->v[0].addr = tmp->v[0].name = NULL;
	}
	ct_addrlist_clear(tmp);
}

static void read_optional(struct mailimf_optional_field *of, struct ct_item *it, struct hdr_state *hs)
{
	const char *name = of->fld_name, *value = of->fld_value;
	struct ct_addrlist tmp = { 0 };

	if (!name || !value)
		return;
	if (!strcasecmp(name, "X-Forwarded-Message-Id")) {
		if (!it->x_forwarded_id)
			it->x_forwarded_id = first_id_from_raw(value);
	} else if (!strcasecmp(name, "Date")) {
		if (!hs->date_raw)
			hs->date_raw = ct_strdup(value);
	} else if (!strcasecmp(name, "Message-ID")) {
		if (!it->message_id)
			it->message_id = first_id_from_raw(value);
	} else if (!strcasecmp(name, "References")) {
		if (!it->references.n)
			ids_from_raw(value, &it->references);
	} else if (!strcasecmp(name, "In-Reply-To")) {
		if (!it->in_reply_to)
			it->in_reply_to = first_id_from_raw(value);
	} else if (!strcasecmp(name, "Subject")) {
		if (!it->subject)
			it->subject = ct_mime_decode_header(value, it);
	} else if (!strcasecmp(name, "From")) {
		addresses_from_raw(&tmp, value, it);
		set_from(it, &tmp);
	} else if (!strcasecmp(name, "To")) {
		addresses_from_raw(&it->to, value, it);
	} else if (!strcasecmp(name, "Cc")) {
		addresses_from_raw(&it->cc, value, it);
	}
}

/* Copies the RFC 5322 fields libetpan parsed into it. The first of each field wins. */
static void read_fields(struct mailimf_fields *f, struct ct_item *it, struct hdr_state *hs)
{
	if (!f)
		return;
	for (clistiter *c = clist_begin(f->fld_list); c; c = clist_next(c)) {
		struct mailimf_field *fl = clist_content(c);
		struct ct_addrlist tmp = { 0 };
		hs->nfields++;
		switch (fl->fld_type) {
		case MAILIMF_FIELD_MESSAGE_ID:
			if (!it->message_id)
				it->message_id = strip_angles(fl->fld_data.fld_message_id->mid_value);
			break;
		case MAILIMF_FIELD_IN_REPLY_TO: {
			clist *l = fl->fld_data.fld_in_reply_to->mid_list;
			if (!it->in_reply_to && l && clist_begin(l))
				it->in_reply_to = strip_angles(clist_content(clist_begin(l)));
			break;
		}
		case MAILIMF_FIELD_REFERENCES: {
			clist *l = fl->fld_data.fld_references->mid_list;
			if (!it->references.n)
				for (clistiter *r = l ? clist_begin(l) : NULL; r; r = clist_next(r)) {
					char *id = strip_angles(clist_content(r));
					if (id)
						ct_strlist_push_owned(&it->references, id);
				}
			break;
		}
		case MAILIMF_FIELD_SUBJECT:
			if (!it->subject)
				it->subject = ct_mime_decode_header(fl->fld_data.fld_subject->sbj_value, it);
			break;
		case MAILIMF_FIELD_FROM:
			if (!it->from.addr && fl->fld_data.fld_from->frm_mb_list) {
				/* the first mailbox (with a name split by an unquoted comma joined again) */
				clist *l = fl->fld_data.fld_from->frm_mb_list->mb_list;
				char *held = NULL;
				for (clistiter *m = l ? clist_begin(l) : NULL; m && !tmp.n; m = clist_next(m))
					add_mailbox(&tmp, clist_content(m), it, &held);
				free(held);
				set_from(it, &tmp);
			}
			break;
		case MAILIMF_FIELD_TO:
			add_address_list(&it->to, fl->fld_data.fld_to->to_addr_list, it);
			break;
		case MAILIMF_FIELD_CC:
			add_address_list(&it->cc, fl->fld_data.fld_cc->cc_addr_list, it);
			break;
		case MAILIMF_FIELD_ORIG_DATE:
			if (!hs->have_date && fl->fld_data.fld_orig_date->dt_date_time) {
				int ok;
				ct_time t = from_dt(fl->fld_data.fld_orig_date->dt_date_time, &ok);
				if (ok) {
					it->date = t;
					it->date_tz = dt_tz_min(fl->fld_data.fld_orig_date->dt_date_time);
					it->date_has_tz = 1;
					hs->have_date = 1;
				} else {
					hs->date_invalid = 1;
				}
			}
			break;
		case MAILIMF_FIELD_OPTIONAL_FIELD:
			read_optional(fl->fld_data.fld_optional_field, it, hs);
			break;
		default:
			break;
		}
	}
}

/* Settles the date: the parsed one, a leniently read one, or fallback (1: used the fallback). */
static int settle_date(struct hdr_state *hs, ct_time *date)
{
	ct_time t;
	if (hs->have_date)
		return 0;
	if (hs->date_raw && parse_loose_date(hs->date_raw, &t) == 0) {
		*date = t;
		return 0;
	}
	return 1;
}

/* ---- the MIME tree ---- */

static const char *param(clist *params, const char *name)
{
	for (clistiter *c = params ? clist_begin(params) : NULL; c; c = clist_next(c)) {
		struct mailmime_parameter *p = clist_content(c);
		if (p->pa_name && !strcasecmp(p->pa_name, name))
			return p->pa_value;
	}
	return NULL;
}

static void content_type(struct mailmime_content *ct, char *buf, size_t n)
{
	const char *major = "text";
	if (ct && ct->ct_type) {
		if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
			static const char *const names[] = { "x", "text", "image", "audio",
							     "video", "application", "x" };
			int t = ct->ct_type->tp_data.tp_discrete_type->dt_type;
			major = t >= 0 && t < 7 ? names[t] : "application";
			if (t == MAILMIME_DISCRETE_TYPE_EXTENSION &&
			    ct->ct_type->tp_data.tp_discrete_type->dt_extension)
				major = ct->ct_type->tp_data.tp_discrete_type->dt_extension;
		} else {
			int t = ct->ct_type->tp_data.tp_composite_type->ct_type;
			major = t == MAILMIME_COMPOSITE_TYPE_MESSAGE ? "message" :
				t == MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart" : "x";
		}
	}
	/* "major/subtype", lower case, cut to fit as snprintf() would */
	const char *sub = ct && ct->ct_subtype ? ct->ct_subtype : "plain";
	size_t k = 0;
	for (const char *s = major; *s && k + 1 < n; s++)
		buf[k++] = (char)tolower((unsigned char)*s);
	if (k + 1 < n)
		buf[k++] = '/';
	for (const char *s = sub; *s && k + 1 < n; s++)
		buf[k++] = (char)tolower((unsigned char)*s);
	buf[k] = '\0';
}

/* Appends the %XX-encoded RFC 2231 value s as raw bytes. */
static void add_pct(struct ct_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char hex[3] = { s[1], s[2], 0 };
			ct_buf_addch(b, (int)strtol(hex, NULL, 16));
			s += 2;
		} else {
			ct_buf_addch(b, *s);
		}
	}
}

/*
 * An RFC 2231 parameter (name*=charset'lang'value, or the continuations
 * name*0*=..., name*1=...) from params, decoded to UTF-8; NULL when absent.
 */
static char *param_2231(clist *params, const char *name, struct ct_item *it)
{
	struct ct_buf raw = CT_BUF_INIT;
	char charset[40] = "";
	size_t nl = strlen(name);
	int found = 0;
	for (int sec = -1; sec < 64; sec++) {
		int hit = 0;
		for (clistiter *c = params ? clist_begin(params) : NULL; c; c = clist_next(c)) {
			struct mailmime_parameter *p = clist_content(c);
			if (!p->pa_name || !p->pa_value || strncasecmp(p->pa_name, name, nl) ||
			    p->pa_name[nl] != '*')
				continue;
			const char *rest = p->pa_name + nl + 1;
			int extended;
			if (sec < 0) {
				if (*rest)
					continue;
				extended = 1;
			} else {
				char *end;
				if (!isdigit((unsigned char)*rest) || strtol(rest, &end, 10) != sec ||
				    (*end && strcmp(end, "*")))
					continue;
				extended = *end == '*';
			}
			const char *v = p->pa_value;
			if (extended && (sec <= 0)) {
				/* charset'language'value */
				const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
				if (q2) {
					snprintf(charset, sizeof(charset), "%.*s", (int)(q1 - v), v);
					v = q2 + 1;
				}
			}
			if (extended)
				add_pct(&raw, v);
			else
				ct_buf_addstr(&raw, v);
			hit = found = 1;
			break;
		}
		if (sec < 0 && hit)
			break;
		if (sec > 0 && !hit)
			break;
	}
	char *r = NULL;
	if (found) {
		struct ct_buf out = CT_BUF_INIT;
		ct_mime_add_text(&out, raw.buf, raw.len, charset[0] ? charset : NULL, it);
		r = ct_buf_detach(&out, NULL);
	}
	ct_buf_release(&raw);
	return r;
}

/* Disposition and decoded file name of a part (name owned by the caller, may be NULL). */
static char *part_filename(struct mailmime *m, int *disposition, struct ct_item *it)
{
	const char *name = NULL;
	char *r = NULL;
	*disposition = -1; /* no Content-Disposition */
	if (m->mm_mime_fields)
		for (clistiter *c = clist_begin(m->mm_mime_fields->fld_list); c; c = clist_next(c)) {
			struct mailmime_field *f = clist_content(c);
			if (f->fld_type != MAILMIME_FIELD_DISPOSITION || !f->fld_data.fld_disposition)
				continue;
			struct mailmime_disposition *d = f->fld_data.fld_disposition;
			*disposition = d->dsp_type ? d->dsp_type->dsp_type : MAILMIME_DISPOSITION_TYPE_ERROR;
			clist *generic = clist_new();
			for (clistiter *pc = d->dsp_parms ? clist_begin(d->dsp_parms) : NULL; pc;
			     pc = clist_next(pc)) {
				struct mailmime_disposition_parm *pp = clist_content(pc);
				if (pp->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME && !name)
					name = pp->pa_data.pa_filename;
				else if (pp->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER && generic)
					clist_append(generic, pp->pa_data.pa_parameter);
			}
			if (generic) {
				if (!r)
					r = param_2231(generic, "filename", it);
				clist_free(generic);
			}
		}
	if (!r && !name && m->mm_content_type) {
		name = param(m->mm_content_type->ct_parameters, "name");
		if (!name)
			r = param_2231(m->mm_content_type->ct_parameters, "name", it);
	}
	if (!r && name)
		r = ct_mime_decode_header(name, it);
	if (r && !*r) {
		free(r);
		r = NULL;
	}
	return r;
}

/* Quoted-printable where '=' not followed by two hex digits or a line end stays literal. */
static void decode_qp_lenient(struct ct_buf *out, const char *s, size_t len)
{
	const char *p = s, *e = s + len;
	ct_buf_grow(out, len);
	while (p < e) {
		const char *eq = memchr(p, '=', (size_t)(e - p));
		if (!eq) {
			ct_buf_add(out, p, (size_t)(e - p));
			break;
		}
		ct_buf_add(out, p, (size_t)(eq - p));
		p = eq + 1;
		int h1, h2;
		if (e - p >= 2 && (h1 = ct_mime_hexval((unsigned char)p[0])) >= 0 &&
		    (h2 = ct_mime_hexval((unsigned char)p[1])) >= 0) {
			ct_buf_addch(out, h1 << 4 | h2);
			p += 2;
			continue;
		}
		const char *r = p;
		while (r < e && (*r == ' ' || *r == '\t'))
			r++;
		if (r == e || *r == '\n') {
			p = r < e ? r + 1 : r; /* soft line break */
			continue;
		}
		ct_buf_addch(out, '=');
	}
}

/* Transfer-decodes a single part into out (raw bytes, charset not applied). */
static void decode_part(struct mailmime *m, struct ct_buf *out, struct ct_item *it)
{
	struct mailmime_data *d = m->mm_data.mm_single;
	ct_buf_reset(out);
	if (!d || d->dt_type != MAILMIME_DATA_TEXT || !d->dt_data.dt_text.dt_data)
		return;
	const char *src = d->dt_data.dt_text.dt_data;
	size_t len = d->dt_data.dt_text.dt_length;
	int enc = d->dt_encoded ? d->dt_encoding : MAILMIME_MECHANISM_8BIT;
	if (enc == MAILMIME_MECHANISM_BASE64) {
		size_t junk = 0;
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)src[i];
			if (!isalnum(c) && c != '+' && c != '/' && c != '=' && !isspace(c))
				junk++;
		}
		if (junk)
			ct_mime_warn(it, "base64 part with %zu invalid character%s (skipped)", junk,
				     junk == 1 ? "" : "s");
	} else if (enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		size_t bad = 0;
		for (const char *q = memchr(src, '=', len); q; q = memchr(q + 1, '=', len - (size_t)(q + 1 - src))) {
			size_t left = len - (size_t)(q - src);
			if (left >= 3 && ct_mime_hexval((unsigned char)q[1]) >= 0 &&
			    ct_mime_hexval((unsigned char)q[2]) >= 0)
				continue;
			const char *r = q + 1;
			while (r < src + len && (*r == ' ' || *r == '\t'))
				r++;
			if (r == src + len || *r == '\n' || *r == '\r')
				continue; /* soft line break */
			bad++;
			if (left < 2)
				break;
		}
		if (bad)
			ct_mime_warn(it, "quoted-printable part with %zu bad escape%s (kept as is)", bad,
				     bad == 1 ? "" : "s");
		/*
		 * Our own decoder, not libetpan's: it keeps bad escapes as they
		 * are where libetpan drops them, reads "= " before a line end as
		 * the soft line break it is (libetpan decoded the blank as hex),
		 * and is several times faster. Otherwise the output is the same.
		 */
		decode_qp_lenient(out, src, len);
		return;
	}
	if (enc == MAILMIME_MECHANISM_BASE64) {
		size_t idx = 0, rlen = 0;
		char *res = NULL;
		if (mailmime_part_parse(src, len, &idx, enc, &res, &rlen) == MAILIMF_NO_ERROR && res) {
			ct_buf_add(out, res, rlen);
			mailmime_decoded_part_free(res);
			return;
		}
		ct_mime_warn(it, "a part could not be transfer-decoded; kept as is");
	}
	ct_buf_add(out, src, len);
}

/* 1 for A-Z, a-z, 0-9, '+' and '/', else 0 (branch-free, so loops over it vectorise). */
static inline unsigned char is_base64_char(unsigned char c)
{
	unsigned char letter = (unsigned char)((c | 0x20) - 'a'), digit = (unsigned char)(c - '0');
	return (unsigned char)((letter < 26) | (digit < 10) | (c == '+') | (c == '/'));
}

/* Decoded size of an attachment, from its encoded size. */
static size_t attachment_size(struct mailmime *m)
{
	struct mailmime_data *d = m->mm_data.mm_single;
	if (!d || d->dt_type != MAILMIME_DATA_TEXT || !d->dt_data.dt_text.dt_data)
		return 0;
	const char *s = d->dt_data.dt_text.dt_data;
	size_t len = d->dt_data.dt_text.dt_length;
	if (!d->dt_encoded || d->dt_encoding != MAILMIME_MECHANISM_BASE64)
		return len;
	/*
	 * Counts the base64 characters. Attachments are most of the bytes of
	 * a mailing list archive (usrp-users: 320 of 495 MB are base64): in
	 * blocks of a fixed length the compiler vectorises the count (about
	 * 10 GB/s against 0.9 with isalnum() per byte); a block's count fits
	 * in a byte.
	 */
	size_t n = 0;
	for (; len >= 240; s += 240, len -= 240) {
		unsigned char block = 0;
		for (size_t i = 0; i < 240; i++)
			block += is_base64_char((unsigned char)s[i]);
		n += block;
	}
	for (size_t i = 0; i < len; i++)
		n += is_base64_char((unsigned char)s[i]);
	return n * 3 / 4;
}

struct walk {
	struct ct_item *it;
	struct ct_buf plain, html, raw;
	int depth;
	/* text/html parts, decoded only when there is no plain text to use */
	struct mailmime **html_parts;
	size_t nhtml, html_alloc;
};

static void add_text_part(struct ct_buf *dst, struct walk *w, const char *s, size_t len, const char *cs);

/* Decodes the text/html parts put aside into w->html (they are needed after all). */
static void decode_html(struct walk *w)
{
	for (size_t i = 0; i < w->nhtml; i++) {
		struct mailmime *m = w->html_parts[i];
		const char *cs = m->mm_content_type ? param(m->mm_content_type->ct_parameters, "charset") : NULL;
		decode_part(m, &w->raw, w->it);
		add_text_part(&w->html, w, w->raw.buf, w->raw.len, cs);
	}
	w->nhtml = 0;
}

static void walk_release(struct walk *w)
{
	ct_buf_release(&w->plain);
	ct_buf_release(&w->html);
	ct_buf_release(&w->raw);
	free(w->html_parts);
	w->html_parts = NULL;
	w->nhtml = w->html_alloc = 0;
}

static void walk_mime(struct mailmime *m, struct walk *w);

/* A message/rfc822 part: the forwarded original goes to it->fwd, not into the body. */
static void add_forward(struct mailmime *m, struct walk *w)
{
	struct ct_item sub;
	struct hdr_state hs = { 0 };
	struct walk sw;
	ct_item_init(&sub);
	memset(&sw, 0, sizeof(sw));
	sw.it = &sub;
	sw.depth = w->depth + 1;
	read_fields(m->mm_data.mm_message.mm_fields, &sub, &hs);
	if (m->mm_data.mm_message.mm_msg_mime)
		walk_mime(m->mm_data.mm_message.mm_msg_mime, &sw);
	CT_ALLOC_GROW(w->it->fwd, w->it->nfwd + 1, w->it->fwd_alloc);
	struct ct_forward *f = &w->it->fwd[w->it->nfwd++];
	memset(f, 0, sizeof(*f));
	f->message_id = sub.message_id;
	sub.message_id = NULL;
	f->subject = sub.subject ? sub.subject : ct_strdup("");
	sub.subject = NULL;
	f->from = sub.from.addr;
	sub.from.addr = NULL;
	if (settle_date(&hs, &sub.date))
		sub.date = 0;
	f->date = sub.date;
	if (!sw.plain.len)
		decode_html(&sw);
	f->body = sw.plain.len ? ct_buf_detach(&sw.plain, NULL) :
		  sw.html.len ? ct_html_to_text(sw.html.buf, sw.html.len) : ct_strdup("");
	/* the forward's own attachments and forwards belong to the outer mail */
	for (size_t i = 0; i < sub.natt; i++) {
		CT_ALLOC_GROW(w->it->att, w->it->natt + 1, w->it->att_alloc);
		w->it->att[w->it->natt++] = sub.att[i];
	}
	sub.natt = 0;
	for (size_t i = 0; i < sub.nfwd; i++) {
		CT_ALLOC_GROW(w->it->fwd, w->it->nfwd + 1, w->it->fwd_alloc);
		w->it->fwd[w->it->nfwd++] = sub.fwd[i];
	}
	sub.nfwd = 0;
	walk_release(&sw);
	free(hs.date_raw);
	for (size_t i = 0; i < sub.warnings.n; i++)
		ct_mime_warn(w->it, "forwarded message: %s", sub.warnings.v[i]);
	ct_item_free(&sub);
}

static void add_text_part(struct ct_buf *dst, struct walk *w, const char *s, size_t len, const char *cs)
{
	if (dst->len && dst->buf[dst->len - 1] != '\n')
		ct_buf_addch(dst, '\n');
	ct_mime_add_text(dst, s, len, cs, w->it);
}

static void walk_single(struct mailmime *m, struct walk *w, char *type, size_t typesz)
{
	int disp;
	char *fname = part_filename(m, &disp, w->it);
	int text = !strcmp(type, "text/plain") || !strcmp(type, "text/html");

	if (!strncmp(type, "multipart/", 10)) {
		/* no boundary to split on: keep the whole thing as text */
		ct_mime_warn(w->it, "%s without a boundary; kept as plain text", type);
		snprintf(type, typesz, "text/plain");
		text = 1;
	}
	/*
	 * A text part is body text unless it is marked as an attachment, or
	 * carries a file name without saying it is inline (a log file sent
	 * along); the message's own top part is always its body.
	 */
	int attachment = disp == MAILMIME_DISPOSITION_TYPE_ATTACHMENT ||
			 (fname && disp != MAILMIME_DISPOSITION_TYPE_INLINE);
	if (!m->mm_parent || m->mm_parent->mm_type == MAILMIME_MESSAGE)
		attachment = 0;
	if (text && !attachment) {
		free(fname);
		if (!strcmp(type, "text/html")) {
			/* an HTML alternative is mostly not needed: decoded at the end if it is */
			CT_ALLOC_GROW(w->html_parts, w->nhtml + 1, w->html_alloc);
			w->html_parts[w->nhtml++] = m;
			return;
		}
		const char *cs = m->mm_content_type ? param(m->mm_content_type->ct_parameters, "charset") : NULL;
		decode_part(m, &w->raw, w->it);
		add_text_part(&w->plain, w, w->raw.buf, w->raw.len, cs);
		return;
	}
	CT_ALLOC_GROW(w->it->att, w->it->natt + 1, w->it->att_alloc);
	struct ct_attachment *a = &w->it->att[w->it->natt++];
	a->name = fname;
	a->type = ct_strdup(type);
	a->size = attachment_size(m);
}

/*
 * libetpan reads a multipart whose boundary never occurs as one text part,
 * and one without its closing delimiter as if it were complete: say so.
 */
static void check_boundary(struct mailmime *m, struct ct_item *it, const char *type)
{
	const char *bnd = m->mm_content_type ? param(m->mm_content_type->ct_parameters, "boundary") : NULL;
	struct mailmime_data *d = m->mm_body;
	if (!bnd || !*bnd || !d || d->dt_type != MAILMIME_DATA_TEXT || !d->dt_data.dt_text.dt_data)
		return;
	const char *body = d->dt_data.dt_text.dt_data;
	size_t blen = d->dt_data.dt_text.dt_length, n = strlen(bnd);
	char *delim = ct_xstrfmt("--%s", bnd);
	const char *last = NULL;
	for (const char *p = body; (p = memmem(p, blen - (size_t)(p - body), delim, n + 2)); p += n + 2)
		last = p;
	if (!last)
		ct_mime_warn(it, "%s boundary '%.40s' not found; kept as plain text", type, bnd);
	else if ((size_t)(body + blen - last) < n + 4 || memcmp(last + n + 2, "--", 2))
		ct_mime_warn(it, "%s not closed (message truncated?)", type);
	free(delim);
}

static void walk_mime(struct mailmime *m, struct walk *w)
{
	char type[96];
	if (!m)
		return;
	if (w->depth > MAX_DEPTH) {
		ct_mime_warn(w->it, "MIME parts nested deeper than %d levels skipped", MAX_DEPTH);
		return;
	}
	content_type(m->mm_content_type, type, sizeof(type));
	switch (m->mm_type) {
	case MAILMIME_MULTIPLE: {
		clist *parts = m->mm_data.mm_multipart.mm_mp_list;
		if (!m->mm_content_type || !param(m->mm_content_type->ct_parameters, "boundary"))
			ct_mime_warn(w->it, "%s without a boundary", type);
		if (!parts || clist_isempty(parts)) {
			/* the boundary never occurs: keep what is there as text */
			struct mailmime_data *d = m->mm_body;
			ct_mime_warn(w->it, "%s with no parts (boundary not found); kept as plain text", type);
			if (d && d->dt_type == MAILMIME_DATA_TEXT && d->dt_data.dt_text.dt_data)
				add_text_part(&w->plain, w, d->dt_data.dt_text.dt_data,
					      d->dt_data.dt_text.dt_length, NULL);
			break;
		}
		check_boundary(m, w->it, type);
		w->depth++;
		for (clistiter *c = clist_begin(parts); c; c = clist_next(c))
			walk_mime(clist_content(c), w);
		w->depth--;
		break;
	}
	case MAILMIME_MESSAGE:
		if (m->mm_parent) {
			add_forward(m, w);
		} else {
			w->depth++;
			walk_mime(m->mm_data.mm_message.mm_msg_mime, w);
			w->depth--;
		}
		break;
	case MAILMIME_SINGLE:
		walk_single(m, w, type, sizeof(type));
		break;
	default:
		break;
	}
}

/* ---- the whole message ---- */

/* Normalises line endings to LF (CRLF and lone CR). */
static char *to_lf(const char *raw, size_t len, size_t *out_len)
{
	char *o = ct_malloc(len + 2); /* room for the line end parse_len() may add */
	const char *p = raw, *e = raw + len;
	size_t n = 0;
	while (p < e) {
		const char *cr = memchr(p, '\r', (size_t)(e - p));
		if (!cr) {
			memcpy(o + n, p, (size_t)(e - p));
			n += (size_t)(e - p);
			break;
		}
		memcpy(o + n, p, (size_t)(cr - p));
		n += (size_t)(cr - p);
		o[n++] = '\n';
		p = cr + 1;
		if (p < e && *p == '\n')
			p++;
	}
	o[n] = '\0';
	*out_len = n;
	return o;
}

/*
 * What casetrail reads of a top-level header field. HF_UNREAD: nothing;
 * HF_MIME_UNREAD: nothing, and libetpan leaves it out of the message's
 * fields (it is not counted either); HF_MIME: read for the MIME tree.
 */
enum hf {
	HF_UNREAD, HF_OTHER, HF_MIME_UNREAD, HF_MIME, HF_FROM, HF_TO, HF_CC, HF_MESSAGE_ID,
	HF_IN_REPLY_TO, HF_REFERENCES, HF_SUBJECT, HF_DATE
};

static enum hf header_field(const char *name, size_t n)
{
	static const struct {
		const char *name;
		enum hf kind;
	} fields[] = {
		{ "from", HF_FROM }, { "to", HF_TO }, { "cc", HF_CC }, { "message-id", HF_MESSAGE_ID },
		{ "in-reply-to", HF_IN_REPLY_TO }, { "references", HF_REFERENCES },
		{ "subject", HF_SUBJECT }, { "date", HF_DATE }, { "x-forwarded-message-id", HF_OTHER },
		{ "mime-version", HF_MIME_UNREAD }, { "content-type", HF_MIME },
		{ "content-transfer-encoding", HF_MIME }, { "content-disposition", HF_MIME },
		{ "content-id", HF_MIME_UNREAD }, { "content-description", HF_MIME_UNREAD },
		{ "content-language", HF_MIME_UNREAD },
	};
	for (size_t i = 0; i < CT_ARRAY_SIZE(fields); i++)
		if (strlen(fields[i].name) == n && !strncasecmp(name, fields[i].name, n))
			return fields[i].kind;
	return HF_UNREAD;
}

static int two_digits(const char *p, int *v)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return 0;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return 1;
}

/*
 * A Date value of the usual shape, "[Www, ]D Mmm YYYY HH:MM[:SS] +ZZZZ"
 * with single blanks, optionally followed by a comment such as "(UTC)"
 * (libetpan ignores what follows the zone). libetpan reads exactly these
 * numbers from it. 1 when it is one.
 */
static int simple_date(const char *v, size_t n, struct mailimf_date_time *dt)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char days[] = "MonTueWedThuFriSatSun";
	char b[64];
	if (n >= sizeof(b))
		return 0;
	memcpy(b, v, n);
	b[n] = '\0';
	const char *p = b;
	if (n > 5 && p[3] == ',' && p[4] == ' ') {
		const char *d = strstr(days, (char[4]){ p[0], p[1], p[2], 0 });
		if (!d || (d - days) % 3)
			return 0;
		p += 5;
	}
	if (!isdigit((unsigned char)p[0]))
		return 0;
	dt->dt_day = *p++ - '0';
	if (isdigit((unsigned char)*p))
		dt->dt_day = dt->dt_day * 10 + (*p++ - '0');
	if (*p++ != ' ' || strlen(p) < 3)
		return 0;
	const char *m = strstr(months, (char[4]){ p[0], p[1], p[2], 0 });
	if (!m || (m - months) % 3)
		return 0;
	dt->dt_month = (int)(m - months) / 3 + 1;
	p += 3;
	int hi, lo;
	if (*p++ != ' ' || !two_digits(p, &hi) || !two_digits(p + 2, &lo) || p[4] != ' ')
		return 0;
	dt->dt_year = hi * 100 + lo;
	p += 5;
	if (!two_digits(p, &dt->dt_hour) || p[2] != ':' || !two_digits(p + 3, &dt->dt_min))
		return 0;
	p += 5;
	dt->dt_sec = 0;
	if (*p == ':') {
		if (!two_digits(p + 1, &dt->dt_sec))
			return 0;
		p += 3;
	}
	if (p[0] != ' ' || (p[1] != '+' && p[1] != '-') || !two_digits(p + 2, &hi) || !two_digits(p + 4, &lo))
		return 0;
	dt->dt_zone = (p[1] == '-' ? -1 : 1) * (hi * 100 + lo);
	p += 6;
	if (!*p)
		return 1;
	/* a comment: "(UTC)" */
	const char *close = p + strlen(p) - 1;
	if (p[0] != ' ' || p[1] != '(' || *close != ')')
		return 0;
	for (const char *q = p + 2; q < close; q++)
		if (!isalnum((unsigned char)*q) && !strchr(" +-:", *q))
			return 0;
	return 1;
}

/*
 * The ids of a Message-ID, In-Reply-To or References value v..e that is
 * nothing but <id> tokens, each with an '@' and no blank inside, between
 * blanks and line folds: for such a value libetpan's parse and the raw
 * reading used when that fails (ids_from_raw) give exactly these ids, so
 * they are read here without either. Anything else (comments, ids without
 * '@', stray text) returns 0 and is left to libetpan.
 */
static size_t simple_ids(const char *v, const char *e, struct ct_strlist *out)
{
	const char *p = v;
	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p == e)
			return out->n;
		const char *q = p + 1, *at = NULL;
		if (*p != '<')
			break;
		for (; q < e && *q > ' ' && *q < 127 && *q != '<' && *q != '>'; q++)
			if (*q == '@')
				at = q;
		if (q == e || *q != '>' || q == p + 1 || !at)
			break;
		ct_strlist_push_owned(out, ct_strndup(p + 1, (size_t)(q - p - 1)));
		p = q + 1;
	}
	ct_strlist_clear(out);
	return 0;
}

/*
 * Reads the first Message-ID, In-Reply-To or References field (f) of the
 * header into it when its value is simple (see simple_ids). Returns 1 when
 * it did, 0 to leave the field to libetpan.
 */
static int read_simple_ids(enum hf f, const char *v, const char *e, struct ct_item *it)
{
	struct ct_strlist ids = CT_STRLIST_INIT;
	size_t n = simple_ids(v, e, &ids);
	int done = 1;
	if (f == HF_MESSAGE_ID && n == 1 && !it->message_id) {
		it->message_id = ids.v[0];
		ids.v[0] = NULL;
	} else if (f == HF_IN_REPLY_TO && n && !it->in_reply_to) {
		it->in_reply_to = ids.v[0];
		ids.v[0] = NULL;
	} else if (f == HF_REFERENCES && n && !it->references.n) {
		ct_strlist_clear(&it->references);
		it->references = ids;  /* takes the list */
		ids = (struct ct_strlist)CT_STRLIST_INIT;
	} else {
		done = 0;
	}
	ct_strlist_clear(&ids);
	return done;
}

static int addr_char(char c, int domain)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || (!domain && (c == '_' || c == '+'));
}

/* A dot-atom addr-spec at p ("local@domain", no empty or doubled dots); its end, or NULL. */
static const char *simple_addr_spec(const char *p, const char *e)
{
	const char *q = p, *at = NULL;
	for (; q < e && (addr_char(*q, at != NULL) || (*q == '@' && !at)); q++)
		if (*q == '@')
			at = q;
	if (!at || at == p || q == at + 1 || *p == '.' || at[-1] == '.' || at[1] == '.' || q[-1] == '.')
		return NULL;
	for (const char *d = p; d + 1 < q; d++)
		if (d[0] == '.' && d[1] == '.')
			return NULL;
	return q;
}

/* Characters of a display-name word read without libetpan (atom characters but = and ?). */
static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("'_-.!#$%&*+/^`{|}~", c));
}

/*
 * An RFC 2047 encoded word at p of the plain form "=?charset?B?text?=" (or
 * Q; text without '?' or blanks): its end, or NULL. libetpan keeps such a
 * word (and the next one of the same charset and encoding) as written.
 */
static const char *simple_encoded_word(const char *p, const char *e)
{
	const char *q = p + 2;
	while (q < e && (isalnum((unsigned char)*q) || *q == '-' || *q == '_' || *q == '.'))
		q++;
	if (q == p + 2 || e - q < 4 || q[0] != '?' || !strchr("BbQq", q[1]) || q[2] != '?')
		return NULL;
	const char *t = q += 3;
	while (q < e && *q > ' ' && *q < 127 && *q != '?')
		q++;
	if (q == t || e - q < 2 || q[0] != '?' || q[1] != '=')
		return NULL;
	return q + 2;
}

/*
 * The addresses of a From, To or Cc value v..e made only of entries
 * "local@domain", "<local@domain>", "Name Words <local@domain>" (letters,
 * digits, the atom characters ' _ - . ! # $ % & * + / ^ ` { | } ~ and
 * plain encoded words, words one space apart, the "<" after blanks and
 * at most one line fold) or "\"Quoted, Name\" <local@domain>" (no quote,
 * backslash, = or ?, nor two blanks in a row inside), separated by commas and blanks. For these
 * libetpan's parse gives the same names and addresses, so they are read
 * here without it; anything else returns -1 and is left to libetpan.
 */
static int simple_addresses(const char *v, const char *e, struct ct_addrlist *out, struct ct_item *it)
{
	struct ct_addrlist l = { 0 };
	const char *p = v;
	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p == e)
			break;
		const char *name = NULL, *name_end = NULL, *q;
		if (*p == '"') {
			/* libetpan reads a run of blanks in it as one: left to libetpan */
			for (q = p + 1; q < e && *q != '"' && *q != '\\' && *q != '=' && *q != '?' && *q >= ' ' &&
					*q < 127 && !(*q == ' ' && q[1] == ' '); q++)
				;
			if (q == e || *q != '"' || q == p + 1 || q + 2 >= e || q[1] != ' ' || q[2] != '<')
				goto no;
			name = p;
			name_end = q + 1;
			p = q + 2;
		} else if (*p == '<') {
			/* an angle address without a display name */
		} else if (!(q = simple_addr_spec(p, e)) || (q < e && *q == ' ' && q + 1 < e && q[1] != ',' &&
								 q[1] != ' ' && q[1] != '\n')) {
			/*
			 * A display name: words of atom characters or encoded
			 * words, one space apart, then blanks (with at most one
			 * line fold) and "<".
			 */
			for (q = p;;) {
				const char *w = q;
				if (e - q > 1 && q[0] == '=' && q[1] == '?') {
					if (!(q = simple_encoded_word(q, e)))
						goto no;
				} else {
					while (q < e && name_char(*q))
						q++;
				}
				if (q == w || (q < e && (name_char(*q) || *q == '=' || *q == '?')))
					goto no;
				if (q + 1 < e && *q == ' ' && q[1] != ' ' && q[1] != '\t' && q[1] != '\n' && q[1] != '<') {
					q++;
					continue;
				}
				break;
			}
			name = p;
			name_end = q;
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			if (q < e && *q == '\n') {
				if (++q == e || (*q != ' ' && *q != '\t'))
					goto no;
				while (q < e && (*q == ' ' || *q == '\t'))
					q++;
			}
			if (q == e || q == name_end || *q != '<')
				goto no;
			p = q;
		}
		if (*p == '<') {
			if (!(q = simple_addr_spec(p + 1, e)) || q == e || *q != '>')
				goto no;
			char *addr = ct_strndup(p + 1, (size_t)(q - p - 1));
			char *raw = name ? ct_strndup(name, (size_t)(name_end - name)) : NULL;
			char *dn = raw ? display_name(raw, it) : NULL;
			ct_addrlist_push(&l, dn, addr);
			free(dn);
			free(raw);
			free(addr);
			p = q + 1;
		} else {
			q = simple_addr_spec(p, e);
			char *addr = ct_strndup(p, (size_t)(q - p));
			ct_addrlist_push(&l, NULL, addr);
			free(addr);
			p = q;
		}
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p == e)
			break;
		if (*p != ',')
			goto no;
		p++;
	}
	if (!l.n)
		goto no;
	for (size_t i = 0; i < l.n; i++) {
		CT_ALLOC_GROW(out->v, out->n + 1, out->alloc);
		out->v[out->n++] = l.v[i];
	}
	free(l.v);
	return 0;
no:
	ct_addrlist_clear(&l);
	return -1;
}

/*
 * Reads a From, To or Cc field (f) into it when its value is simple (see
 * simple_addresses). Returns 1 when it did, 0 to leave it to libetpan.
 */
static int read_simple_addresses(enum hf f, const char *v, const char *e, struct ct_item *it)
{
	if (f == HF_FROM) {
		struct ct_addrlist tmp = { 0 };
		if (it->from.addr || simple_addresses(v, e, &tmp, it))
			return 0;
		set_from(it, &tmp);  /* the first mailbox, as read_fields() takes */
		return 1;
	}
	return simple_addresses(v, e, f == HF_TO ? &it->to : &it->cc, it) == 0;
}

static enum ct_mime_headers header_reading = CT_MIME_HEADERS_FAST;

void ct_mime_set_headers(enum ct_mime_headers how)
{
	header_reading = how;
}

/*
 * Reads the header field p..end (f, with its line end) as libetpan reads
 * it standing alone, so that a malformed field can neither end the header
 * early nor run on into the fields after it (libetpan does both when it
 * parses the whole header). A NUL byte, which libetpan takes for the end
 * of the value, is no part of any valid value: in a Subject it reads as a
 * blank, as in the body; any other field holding one is left out with a
 * warning, so that a cut Message-ID never names another mail.
 */
static void read_field_alone(const char *p, const char *end, enum hf f, struct ct_item *it,
			     struct hdr_state *hs)
{
	struct mailimf_fields *fields = NULL;
	char *copy = NULL;
	size_t idx = 0, n = (size_t)(end - p);
	if (memchr(p, '\0', n)) {
		const char *c = memchr(p, ':', n);
		if (f != HF_SUBJECT) {
			ct_mime_warn(it, "NUL byte in the %.*s header field; field ignored", (int)(c - p), p);
			hs->nfields++;
			return;
		}
		copy = ct_malloc(n + 1);
		for (size_t i = 0; i < n; i++)
			copy[i] = p[i] ? p[i] : ' ';
		copy[n] = '\0';
		p = copy;
	}
	if (mailimf_fields_parse(p, n, &idx, &fields) == MAILIMF_NO_ERROR && fields) {
		read_fields(fields, it, hs);
		mailimf_fields_free(fields);
	}
	free(copy);
}

/*
 * The message as libetpan is given it: the top-level header fields nothing
 * reads (Received, DKIM-Signature, List-*, X-Mailer, ...) left out, and
 * simple address, message-id, Subject and Date fields already read into
 * it. The Content-Type, -Transfer-Encoding and -Disposition fields go to
 * *mime, in order, for ct_mime_tree_parse(). libetpan's header parser
 * costs tens of instructions a byte, and a delivered mail's header is
 * mostly trace fields, addresses and References. A field read here but
 * not of a simple shape is read by libetpan on its own
 * (read_field_alone()), so every field ends where its line structure
 * says. Only well-formed fields are dropped: from the first line that is
 * neither a field nor a continuation line on, everything is kept as it
 * is. *dropped counts the fields left out that libetpan would have
 * counted. As in read_fields(), the first From, Subject, Date and
 * message-id fields win, so only the first of each name is read directly;
 * To and Cc fields are read directly in order until one needs libetpan,
 * and MIME fields until one does. ct_mime_set_headers() changes this for
 * tests.
 */
static char *drop_unread_fields(const char *s, size_t len, size_t *out_len, size_t *dropped,
				struct ct_item *it, struct hdr_state *hs, struct mailimf_fields **mime)
{
	char *o = ct_malloc(len + 1);
	const char *p = s, *e = s + len;
	size_t n = 0;
	unsigned to_libetpan = 0;  /* bit f: fields f go to libetpan from now on */
	*dropped = 0;
	*mime = NULL;
	while (p < e && *p != '\n' && header_reading != CT_MIME_HEADERS_WHOLE) {
		const char *c, *end = ct_mime_field_end(p, e, &c);
		if (!end)
			break;  /* not a field: kept from here on */
		enum hf f = header_field(p, (size_t)(c - p));
		if (f >= HF_MIME && !(to_libetpan & (1u << f)) &&
		    (f == HF_MIME || header_reading == CT_MIME_HEADERS_FAST)) {
			if (f != HF_TO && f != HF_CC && f != HF_MIME)
				to_libetpan |= 1u << f;  /* the first one only */
			int read = 0;
			const char *v;
			size_t vn;
			struct mailimf_date_time dt;
			switch (f) {
			case HF_FROM:
			case HF_TO:
			case HF_CC:
				read = read_simple_addresses(f, c + 1, end, it);
				break;
			case HF_MESSAGE_ID:
			case HF_IN_REPLY_TO:
			case HF_REFERENCES:
				read = read_simple_ids(f, c + 1, end, it);
				break;
			case HF_SUBJECT:
				if ((read = (v = ct_mime_field_value(c, end, &vn)) != NULL) && !it->subject) {
					char *raw = ct_strndup(v, vn);
					it->subject = ct_mime_decode_header(raw, it);
					free(raw);
				}
				break;
			case HF_DATE: {
				int ok = 0;
				if ((v = ct_mime_field_value(c, end, &vn)) && simple_date(v, vn, &dt)) {
					ct_time t = from_dt(&dt, &ok);
					if (ok && !hs->have_date) {
						it->date = t;
						it->date_tz = dt_tz_min(&dt);
						it->date_has_tz = 1;
						hs->have_date = 1;
					}
				}
				read = ok;
				break;
			}
			default: /* HF_MIME */
				if ((v = ct_mime_field_value(c, end, &vn))) {
					if (!*mime)
						*mime = mailimf_fields_new_empty();
					mailimf_fields_add(*mime, mailimf_field_new_custom(
						ct_strndup(p, (size_t)(c - p)), ct_strndup(v, vn)));
					p = end;
					continue;  /* not counted: libetpan leaves it out */
				}
				break;
			}
			if (read) {
				(*dropped)++;
				p = end;
				continue;
			}
			to_libetpan |= 1u << f;
		}
		if (f == HF_OTHER || f > HF_MIME) {
			read_field_alone(p, end, f, it, hs);
			p = end;
			continue;
		}
		if (f == HF_MIME_UNREAD) {
			/* not counted */
		} else if (f != HF_UNREAD) {
			memcpy(o + n, p, (size_t)(end - p));
			n += (size_t)(end - p);
		} else {
			(*dropped)++;
		}
		p = end;
	}
	memcpy(o + n, p, (size_t)(e - p));
	n += (size_t)(e - p);
	o[n] = '\0';
	*out_len = n;
	return o;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * Moves the text of b into it->body with LF line ends (decoded parts may
 * carry CRs) and without NUL bytes, which no store's text can hold.
 */
static void set_body(struct ct_item *it, struct ct_buf *b)
{
	size_t n, m = 0;
	char *body = ct_buf_detach(b, &n);
	if (memchr(body, '\r', n) || strlen(body) != n) {
		for (size_t i = 0; i < n; i++) {
			if (body[i] == '\r') {
				body[m++] = '\n';
				if (i + 1 < n && body[i + 1] == '\n')
					i++;
			} else if (body[i]) {
				body[m++] = body[i];
			}
		}
		body[m] = '\0';
		n = m;
	}
	it->body = body;
	it->body_len = n;
}

/*
 * Whether more than MAX_CONTAINERS header lines declare multipart/ or
 * message/ content (or may do so, in an encoded word). Nested parts are
 * parsed recursively (the tree parser cuts them at CT_MIME_MAX_DEPTH) and
 * each level scans the rest of the message: such input is read flat
 * instead. Each such line takes at least 22 bytes, so a smaller message
 * is not scanned.
 */
static int too_many_containers(const char *s, size_t len)
{
	const char *p = s, *e = s + len;
	size_t n = 0;
	if ((len + 1) / 22 <= MAX_CONTAINERS)
		return 0;
	while (p < e) {
		if ((*p == 'C' || *p == 'c') && e - p > 24 && !strncasecmp(p, "content-type", 12)) {
			/* libetpan takes blanks before the colon, and decodes encoded words */
			const char *v = p + 12;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			if (v < e && *v++ == ':') {
				while (v < e && (*v == ' ' || *v == '\t' || *v == '\n'))
					v++;
				if (e - v > 9 && (!strncasecmp(v, "multipart", 9) || !strncasecmp(v, "message/", 8) ||
						  !strncmp(v, "=?", 2)))
					n++;
			}
		}
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return n > MAX_CONTAINERS;
}

/* The header fields and the rest as plain text, without the MIME tree. */
static void parse_flat(const char *s, size_t len, struct ct_item *it, struct hdr_state *hs)
{
	struct mailimf_fields *f = NULL;
	struct ct_buf b = CT_BUF_INIT;
	size_t idx = 0;
	if (mailimf_fields_parse(s, len, &idx, &f) == MAILIMF_NO_ERROR && f) {
		read_fields(f, it, hs);
		mailimf_fields_free(f);
	}
	if (idx < len && s[idx] == '\n')
		idx++;
	ct_mime_add_text(&b, s + idx, len - idx, NULL, it);
	set_body(it, &b);
}

int ct_mime_parse(const char *raw, size_t len, ct_time fallback_date, struct ct_item *it)
{
	size_t lf_len, skip = 0;
	char *lf = to_lf(raw ? raw : "", raw ? len : 0, &lf_len);
	char *kept = NULL;
	struct mailmime *mime = NULL;
	struct hdr_state hs = { 0 };
	struct walk w;
	int ret = 0, rc = MAILIMF_ERROR_PARSE, flat = 0;

	ct_mime_charconv_init();
	memset(&w, 0, sizeof(w));
	w.it = it;
	it->kind = CT_ITEM_EMAIL;
	it->raw_size = len;
	/* an mbox "From " line left at the top is no header */
	if (lf_len > 5 && !memcmp(lf, "From ", 5)) {
		const char *nl = memchr(lf, '\n', lf_len);
		skip = nl ? (size_t)(nl + 1 - lf) : lf_len;
	}
	/* libetpan wants a line end after the last header field ("Subject: x" alone) */
	size_t parse_len = lf_len;
	if (lf_len && lf[lf_len - 1] != '\n') {
		lf[parse_len++] = '\n';
		lf[parse_len] = '\0';
	}
	if (too_many_containers(lf + skip, parse_len - skip)) {
		ct_mime_warn(it, "more than %d multipart/message parts; MIME structure ignored, kept as text",
			     MAX_CONTAINERS);
		parse_flat(lf + skip, parse_len - skip, it, &hs);
		flat = 1;
	} else if (parse_len > skip) {
		size_t kept_len, dropped;
		/* the parts point into it: freed at the end */
		struct mailimf_fields *top = NULL;
		kept = drop_unread_fields(lf + skip, parse_len - skip, &kept_len, &dropped, it, &hs, &top);
		hs.nfields += dropped;
		rc = ct_mime_tree_parse(kept, kept_len, top, &mime);
		if (top)
			mailimf_fields_free(top);
		if (rc == CT_MIME_TREE_CUT) {
			ct_mime_warn(it, "MIME parts nested deeper than %d levels kept as text", MAX_DEPTH);
			rc = MAILIMF_NO_ERROR;
		}
	}
	if (flat) {
		/* done */
	} else if (rc != MAILIMF_NO_ERROR || !mime) {
		struct ct_buf b = CT_BUF_INIT;
		if (lf_len)
			ct_mime_warn(it, "not a MIME message (libetpan error %d); stored as plain text", rc);
		else
			ct_mime_warn(it, "empty message");
		ct_mime_add_text(&b, lf, lf_len, NULL, it);
		set_body(it, &b);
		ret = -1;
	} else {
		if (mime->mm_type == MAILMIME_MESSAGE)
			read_fields(mime->mm_data.mm_message.mm_fields, it, &hs);
		if (!hs.nfields)
			ct_mime_warn(it, "no header fields");
		walk_mime(mime, &w);
		int plain_ok = w.plain.len && !blank(w.plain.buf);
		if (!plain_ok)
			decode_html(&w);
		if (w.plain.len && (!w.html.len || plain_ok)) {
			set_body(it, &w.plain);
		} else if (w.html.len) {
			char *t = ct_html_to_text(w.html.buf, w.html.len);
			it->body = t;
			it->body_len = strlen(t);
			it->body_from_html = 1;
		} else {
			it->body = ct_strdup("");
			it->body_len = 0;
		}
		mailmime_free(mime);
	}
	walk_release(&w);

	if (!it->subject)
		it->subject = ct_strdup("");
	if (settle_date(&hs, &it->date)) {
		it->date = fallback_date;
		it->date_from_file = 1;
		if (hs.date_raw)
			ct_mime_warn(it, "bogus Date header '%.60s', using the file time", hs.date_raw);
		else if (hs.date_invalid)
			ct_mime_warn(it, "bogus Date header (values out of range), using the file time");
		else
			ct_mime_warn(it, "no Date header, using the file time");
	}
	if (!it->from.addr) {
		it->from.addr = ct_strdup("");
		ct_mime_warn(it, "no From address");
	}
	ct_item_repair_utf8(it);
	if (it->message_id && *it->message_id) {
		it->external_id = ct_strdup(it->message_id);
	} else {
		free(it->message_id);
		it->message_id = NULL;
		ct_item_set_content_id(it, lf, lf_len);
	}
	free(hs.date_raw);
	free(kept);
	free(lf);
	return ret;
}
