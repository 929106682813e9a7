/*
 * config.c - loads and validates the INI configuration with inih. Every
 * problem is reported as "file:line: problem" and all of them are reported
 * before the caller exits with status 2.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <ini.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

struct loader {
	struct ct_config *cfg;
	const char *file;
	FILE *fp;
	int line;            /* line inih is on */
	int errors;
	char section[256];   /* current section as written */
	int section_line;
	enum { SEC_NONE, SEC_STORE, SEC_ORG, SEC_DEPT, SEC_SOURCE, SEC_SMTP, SEC_LOG, SEC_SITE, SEC_CASES, SEC_BAD } kind;
	struct ct_strlist seen_sections;
	int store_path_line, ticket_ref_line;
};

CT_PRINTF(3, 4) static void cfg_err(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%d: ", ld->file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ld->errors++;
}

/* Source keys by type. */
static const char *const keys_common[] = { "type", "department", NULL };
static const char *const keys_local[] = { "path", NULL };
static const char *const keys_mailnet[] = { "url", "user", "password_command", "password_env",
	"token_command", "token_env", "auth", "starttls", "tls_ca_file", "tls_verify", "folders",
	"folder_departments", "timeout", "batch_size", NULL };
static const char *const keys_helpdesk[] = { "url", "path", "user", "token_command", "token_env",
	"timeout", "since", "per_page", "tls_ca_file", "tls_verify", NULL };

static const struct {
	const char *type;
	const char *const *keys;
	const char *required; /* "path", "url", "url|path" */
} source_types[] = {
	{ "maildir", keys_local, "path" },
	{ "mbox", keys_local, "path" },
	{ "eml", keys_local, "path" },
	{ "imap", keys_mailnet, "url" },
	{ "pop3", keys_mailnet, "url" },
	{ "zendesk", keys_helpdesk, "url|path" },
	{ "rt", keys_helpdesk, "url" },
	{ "freshdesk", keys_helpdesk, "url" },
	{ "jsonl", keys_helpdesk, "path" },
};

/* Whole-number source keys: their bounds, checked when the configuration is loaded. */
static const struct {
	const char *key;
	long min, max;
	const char *unit;
} source_numbers[] = {
	{ "timeout", 1, 3600, "seconds" },
	{ "batch_size", 1, 100000, "messages" },
	{ "per_page", 1, 100, NULL },
};

static int in_list(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (!strcmp(*l, k))
			return 1;
	return 0;
}

static char *resolve(const char *dir, const char *path)
{
	if (!path || path[0] == '/' || !dir || !*dir || !strcmp(dir, "."))
		return ct_strdup(path);
	return ct_xstrfmt("%s/%s", dir, path);
}

char *ct_config_resolve(const struct ct_config *cfg, const char *path)
{
	return resolve(cfg->dir, path);
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = ct_strdup(v);
}

static int parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* "30d", "6w" or "30" (days) into days, 1 to 36500; 0 or -1. */
static int parse_duration_days(const char *v, int *out)
{
	char num[32];
	size_t n = strlen(v);
	long mult = 1, days;
	if (!n || n >= sizeof(num))
		return -1;
	memcpy(num, v, n + 1);
	if (num[n - 1] == 'd' || num[n - 1] == 'w') {
		mult = num[n - 1] == 'w' ? 7 : 1;
		num[--n] = '\0';
	}
	if (ct_parse_long(num, 1, 36500, &days) || days * mult > 36500)
		return -1;
	*out = (int)(days * mult);
	return 0;
}

static int on_section(struct loader *ld, const char *section)
{
	struct ct_config *cfg = ld->cfg;
	snprintf(ld->section, sizeof(ld->section), "%s", section);
	ld->section_line = ld->line;
	if (ct_strlist_has(&ld->seen_sections, section) && strncmp(section, "department ", 11) &&
	    strncmp(section, "source ", 7)) {
		/* [store] twice is harmless: keys merge */
	} else if (ct_strlist_has(&ld->seen_sections, section)) {
		cfg_err(ld, ld->line, "duplicate section [%s]", section);
		ld->kind = SEC_BAD;
		return 1;
	}
	ct_strlist_push(&ld->seen_sections, section);
	if (!strcmp(section, "store")) {
		ld->kind = SEC_STORE;
	} else if (!strcmp(section, "organization") || !strcmp(section, "organisation")) {
		ld->kind = SEC_ORG;
	} else if (!strcmp(section, "smtp")) {
		ld->kind = SEC_SMTP;
	} else if (!strcmp(section, "log")) {
		ld->kind = SEC_LOG;
	} else if (!strcmp(section, "site")) {
		ld->kind = SEC_SITE;
	} else if (!strcmp(section, "cases")) {
		ld->kind = SEC_CASES;
	} else if (!strncmp(section, "department ", 11) || !strncmp(section, "source ", 7)) {
		int dept = section[0] == 'd';
		char *name = ct_strdup(section + (dept ? 11 : 7));
		char *t = ct_trim(name);
		if (!*t) {
			cfg_err(ld, ld->line, "section [%s] needs a name", section);
			ld->kind = SEC_BAD;
			free(name);
			return 1;
		}
		if (dept) {
			CT_ALLOC_GROW(cfg->depts, cfg->ndepts + 1, cfg->depts_alloc);
			struct ct_department *d = &cfg->depts[cfg->ndepts++];
			memset(d, 0, sizeof(*d));
			d->name = ct_strdup(t);
			d->line = ld->line;
			ld->kind = SEC_DEPT;
		} else {
			CT_ALLOC_GROW(cfg->sources, cfg->nsources + 1, cfg->sources_alloc);
			struct ct_source *s = &cfg->sources[cfg->nsources++];
			memset(s, 0, sizeof(*s));
			s->name = ct_strdup(t);
			s->line = ld->line;
			s->file = cfg->file;
			ld->kind = SEC_SOURCE;
		}
		free(name);
	} else {
		const char *sp = strchr(section, ' ');
		if (sp)
			cfg_err(ld, ld->line, "unknown section type '%.*s' in [%s] (known: store, organization, department NAME, source NAME, smtp, log, site, cases)",
				(int)(sp - section), section, section);
		else
			cfg_err(ld, ld->line, "unknown section [%s] (known: store, organization, department NAME, source NAME, smtp, log, site, cases)",
				section);
		ld->kind = SEC_BAD;
	}
	return 1;
}

/* A whole number key of the current section; 0, or -1 after "[section] key takes ..., not 'v'". */
static int check_long(struct loader *ld, const char *key, const char *value, long min, long max,
		      const char *unit, long *out)
{
	char want[128];
	if (!ct_parse_long(value, min, max, out))
		return 0;
	ct_parse_long_want(min, max, unit, want);
	cfg_err(ld, ld->line, "[%s] %s takes %s, not '%s'", ld->section, key, want, value);
	return -1;
}

static void unknown_key(struct loader *ld, const char *name)
{
	cfg_err(ld, ld->line, "unknown key '%s' in [%s]", name, ld->section);
}

/* Whether value is a PostgreSQL URL with a host part and a database. */
static int store_url_ok(const char *value)
{
	const char *p = !strncmp(value, "postgresql://", 13) ? value + 13
		      : !strncmp(value, "postgres://", 11) ? value + 11 : NULL;
	if (!p)
		return 0;
	const char *slash = strchr(p, '/');
	return slash && slash[1] && slash[1] != '?';
}

/* Whether the user part of a URL holds ":password". */
static int store_url_has_password(const char *value)
{
	const char *p = strstr(value, "://") + 3;
	const char *end = p + strcspn(p, "/?#");
	const char *at = NULL;
	for (const char *c = p; c < end; c++)
		if (*c == '@')
			at = c;
	return at && memchr(p, ':', (size_t)(at - p));
}

static int on_key(struct loader *ld, const char *name, const char *value)
{
	struct ct_config *cfg = ld->cfg;
	switch (ld->kind) {
	case SEC_NONE:
		cfg_err(ld, ld->line, "key '%s' outside of any section", name);
		break;
	case SEC_BAD:
		break;
	case SEC_STORE:
		if (!strcmp(name, "path") || !strcmp(name, "url")) {
			int is_url = !strcmp(name, "url");
			if (ld->store_path_line) {
				cfg_err(ld, ld->line, "[store] has both path (or url) on line %d and %s: keep one",
					ld->store_path_line, name);
				break;
			}
			if (is_url && !store_url_ok(value)) {
				cfg_err(ld, ld->line, "[store] url must be postgresql://[user@]host[:port]/database[?params]");
				break;
			}
			if (is_url && store_url_has_password(value)) {
				/* The url is not echoed: it holds the password. */
				cfg_err(ld, ld->line, "[store] url must not hold a password (use password_command, "
					"password_env or ~/.pgpass)");
				break;
			}
			free(cfg->store_path);
			cfg->store_path = is_url ? ct_strdup(value) : resolve(cfg->dir, value);
			ld->store_path_line = ld->line;
		} else if (!strcmp(name, "password_command")) {
			set_str(&cfg->store_password_command, value);
		} else if (!strcmp(name, "password_env")) {
			set_str(&cfg->store_password_env, value);
		} else {
			unknown_key(ld, name);
		}
		break;
	case SEC_ORG:
		if (!strcmp(name, "internal_domains")) {
			struct ct_strlist l = CT_STRLIST_INIT;
			ct_strlist_split(&l, value, ',');
			for (size_t i = 0; i < l.n; i++) {
				char *d = l.v[i];
				while (*d == '@')
					d++;
				ct_lower_ascii(d);
				ct_strlist_push(&cfg->internal_domains, d);
			}
			ct_strlist_clear(&l);
		} else if (!strcmp(name, "ticket_ref")) {
			set_str(&cfg->ticket_ref, value);
			ld->ticket_ref_line = ld->line;
		} else if (!strcmp(name, "rules")) {
			free(cfg->rules_path);
			cfg->rules_path = resolve(cfg->dir, value);
		} else if (!strcmp(name, "thread_window_days")) {
			long v;
			if (!check_long(ld, name, value, 1, 3650, "days", &v))
				cfg->thread_window_days = (int)v;
		} else if (!strcmp(name, "name")) {
			/* informational */
		} else {
			unknown_key(ld, name);
		}
		break;
	case SEC_DEPT: {
		struct ct_department *d = &cfg->depts[cfg->ndepts - 1];
		if (!strcmp(name, "addresses")) {
			struct ct_strlist l = CT_STRLIST_INIT;
			ct_strlist_split(&l, value, ',');
			for (size_t i = 0; i < l.n; i++) {
				ct_lower_ascii(l.v[i]);
				if (ct_parse_address(l.v[i])) {
					cfg_err(ld, ld->line, "'%s' is not a mail address", l.v[i]);
					continue;
				}
				const struct ct_department *other = ct_config_dept_by_address(cfg, l.v[i]);
				if (other)
					cfg_err(ld, ld->line, "address '%s' is already used by department '%s' (line %d)",
						l.v[i], other->name, other->line);
				else
					ct_strlist_push(&d->addresses, l.v[i]);
			}
			ct_strlist_clear(&l);
		} else if (!strcmp(name, "helpdesk_groups")) {
			ct_strlist_split(&d->helpdesk_groups, value, ',');
		} else if (!strcmp(name, "leader")) {
			if (ct_parse_address(value))
				cfg_err(ld, ld->line, "[%s] leader takes a mail address, not '%s'", ld->section, value);
			set_str(&d->leader, value);
			ct_lower_ascii(d->leader);
		} else {
			unknown_key(ld, name);
		}
		break;
	}
	case SEC_SOURCE: {
		struct ct_source *s = &cfg->sources[cfg->nsources - 1];
		CT_ALLOC_GROW(s->kv, s->nkv + 1, s->kv_alloc);
		s->kv[s->nkv].key = ct_strdup(name);
		s->kv[s->nkv].value = ct_strdup(value);
		s->kv[s->nkv].line = ld->line;
		s->nkv++;
		if (!strcmp(name, "type"))
			set_str(&s->type, value);
		else if (!strcmp(name, "path")) {
			free(s->path);
			s->path = resolve(cfg->dir, value);
		} else if (!strcmp(name, "department"))
			set_str(&s->department, value);
		break;
	}
	case SEC_SMTP:
		if (!*value && strcmp(name, "tls_verify"))
			cfg_err(ld, ld->line, "[smtp] %s is empty", name);
		if (!strcmp(name, "url"))
			set_str(&cfg->smtp_url, value);
		else if (!strcmp(name, "user"))
			set_str(&cfg->smtp_user, value);
		else if (!strcmp(name, "password_command"))
			set_str(&cfg->smtp_password_command, value);
		else if (!strcmp(name, "password_env"))
			set_str(&cfg->smtp_password_env, value);
		else if (!strcmp(name, "from"))
			set_str(&cfg->smtp_from, value);
		else if (!strcmp(name, "tls_ca_file")) {
			free(cfg->smtp_tls_ca_file);
			cfg->smtp_tls_ca_file = resolve(cfg->dir, value);
		} else if (!strcmp(name, "tls_verify")) {
			if (parse_bool(value, &cfg->smtp_tls_verify))
				cfg_err(ld, ld->line, "[smtp] tls_verify takes yes or no, not '%s'", value);
		} else if (!strcmp(name, "timeout")) {
			long v;
			if (!check_long(ld, "timeout", value, 1, 3600, "seconds", &v))
				cfg->smtp_timeout = (int)v;
		} else
			unknown_key(ld, name);
		break;
	case SEC_LOG:
		if (!strcmp(name, "file")) {
			if (!*value)
				cfg_err(ld, ld->line, "[log] file is empty");
			free(cfg->log_file);
			cfg->log_file = resolve(cfg->dir, value);
		} else {
			unknown_key(ld, name);
		}
		break;
	case SEC_CASES:
		if (!strcmp(name, "close_after")) {
			if (parse_duration_days(value, &cfg->close_after_days))
				cfg_err(ld, ld->line, "[cases] close_after takes a number of days from 1 to 36500"
					" (30d, 6w or 30), not '%s'", value);
		} else {
			unknown_key(ld, name);
		}
		break;
	case SEC_SITE:
		if (!strcmp(name, "url")) {
			/* where `casetrail site` pages are published: mailed reports link there */
			size_t n = strlen(value);
			if ((strncmp(value, "https://", 8) && strncmp(value, "http://", 7) && strncmp(value, "file:///", 8)) ||
			    n < 9 || strpbrk(value, " \t\"<>'"))
				cfg_err(ld, ld->line, "[site] url takes an http://, https:// or file:/// address "
					"without spaces or quotes, not '%s'", value);
			else {
				free(cfg->site_url);
				cfg->site_url = value[n - 1] == '/' ? ct_strdup(value) : ct_xstrfmt("%s/", value);
			}
		} else
			unknown_key(ld, name);
		break;
	}
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	/* Sections are handled by reader(), which also sees empty ones. */
	if (!name)
		return 1;
	return on_key(ld, name, value ? value : "");
}

/* inih reader: counts lines and refuses lines inih would cut silently. */
static char *reader(char *buf, int size, void *stream)
{
	struct loader *ld = stream;
	if (!fgets(buf, size, ld->fp))
		return NULL;
	ld->line++;
	if (ct_ini_line_cut(buf, size, feof(ld->fp))) {
		int c;
		cfg_err(ld, ld->line, "line longer than %d characters", size - 2);
		while ((c = fgetc(ld->fp)) != EOF && c != '\n')
			;
		buf[0] = '\0';
	}
	/* A [section] header: inih reports sections only with their first key. */
	char *name = ct_ini_section_name(buf);
	if (name) {
		on_section(ld, name);
		free(name);
	}
	return buf;
}

/*
 * url of a network source: SCHEME:// or SCHEMEs://, a host, an optional port
 * from 1 to 65535, never a password. 0, or -1 after reporting.
 */
static int check_url(struct loader *ld, const struct ct_source *s, const struct ct_kv *kv, const char *scheme)
{
	const char *url = kv->value, *p, *end, *host, *colon = NULL;
	size_t sl = strlen(scheme);
	long port;
	int bad = strncmp(url, scheme, sl) != 0;
	p = bad ? url : url + sl + (url[sl] == 's');
	bad = bad || strncmp(p, "://", 3);
	p = bad ? url : p + 3;
	end = p + strcspn(p, "/?#");
	host = memchr(p, '@', (size_t)(end - p));
	if (!bad && host && memchr(p, ':', (size_t)(host - p))) {
		/* The url is not echoed: it holds the password. */
		cfg_err(ld, kv->line, "[source %s] url must not hold a password (use password_command or password_env)",
			s->name);
		return -1;
	}
	host = host ? host + 1 : p;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));
		colon = rb && rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		bad = bad || !rb;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
	}
	bad = bad || host == end || colon == host;
	if (!bad && colon) {
		char *ps = ct_strndup(colon + 1, (size_t)(end - colon - 1));
		bad = ct_parse_long(ps, 1, 65535, &port) != 0;
		free(ps);
	}
	if (bad)
		cfg_err(ld, kv->line, "[source %s] url takes %s://HOST[:PORT]/... or %ss://... (a port from 1 to 65535), not '%s'",
			s->name, scheme, scheme, url);
	return bad ? -1 : 0;
}

/* folder_departments = FOLDER=DEPARTMENT, ...: each pair has both, each department exists. */
static void check_folder_departments(struct loader *ld, const struct ct_source *s, const struct ct_kv *kv)
{
	struct ct_strlist pairs = CT_STRLIST_INIT;
	ct_strlist_split(&pairs, kv->value, ',');
	for (size_t i = 0; i < pairs.n; i++) {
		char *eq = strchr(pairs.v[i], '=');
		char *dept = eq ? ct_trim(eq + 1) : NULL;
		if (!eq || eq == pairs.v[i] || !*dept)
			cfg_err(ld, kv->line, "[source %s] folder_departments takes FOLDER=DEPARTMENT, not '%s'",
				s->name, pairs.v[i]);
		else if (!ct_config_dept_by_name(ld->cfg, dept))
			cfg_err(ld, kv->line, "[source %s] folder_departments: unknown department '%s'", s->name, dept);
	}
	ct_strlist_clear(&pairs);
}

/*
 * The value of every key a source of this type takes (keys), so that a mistake is
 * found by any command that loads the configuration, not when the source runs.
 */
static void check_source_values(struct loader *ld, const struct ct_source *s, const char *const *keys)
{
	const char *url_scheme = !strcmp(s->type, "imap") ? "imap" : !strcmp(s->type, "pop3") ? "pop3" : "http";
	int mailnet = strcmp(url_scheme, "http") != 0;
	for (size_t j = 0; j < s->nkv; j++) {
		const struct ct_kv *kv = &s->kv[j];
		const char *k = kv->key, *v = kv->value;
		char want[128];
		long n;
		int b;
		ct_time t;
		size_t i;
		if (!in_list(keys_common, k) && !in_list(keys, k))
			continue; /* reported as unknown */
		if (!*v) {
			cfg_err(ld, kv->line, "[source %s] %s is empty", s->name, k);
			continue;
		}
		for (i = 0; i < CT_ARRAY_SIZE(source_numbers); i++)
			if (!strcmp(k, source_numbers[i].key))
				break;
		if (i < CT_ARRAY_SIZE(source_numbers)) {
			if (ct_parse_long(v, source_numbers[i].min, source_numbers[i].max, &n)) {
				ct_parse_long_want(source_numbers[i].min, source_numbers[i].max, source_numbers[i].unit, want);
				cfg_err(ld, kv->line, "[source %s] %s takes %s, not '%s'", s->name, k, want, v);
			}
		} else if (!strcmp(k, "starttls") || !strcmp(k, "tls_verify")) {
			if (parse_bool(v, &b))
				cfg_err(ld, kv->line, "[source %s] %s takes yes or no, not '%s'", s->name, k, v);
		} else if (!strcmp(k, "auth")) {
			if (strcasecmp(v, "login") && strcasecmp(v, "plain") && strcasecmp(v, "xoauth2"))
				cfg_err(ld, kv->line, "[source %s] auth takes plain, login or xoauth2, not '%s'", s->name, v);
			else if (!strcasecmp(v, "xoauth2") && !strcmp(s->type, "pop3"))
				cfg_err(ld, kv->line, "[source %s] auth = xoauth2 is not supported for POP3", s->name);
		} else if (!strcmp(k, "since")) {
			if (ct_time_parse(v, &t))
				cfg_err(ld, kv->line, "[source %s] since takes a date (YYYY-MM-DD or ISO 8601, UTC), not '%s'",
					s->name, v);
		} else if (!strcmp(k, "url")) {
			check_url(ld, s, kv, url_scheme);
		} else if (!strcmp(k, "folder_departments")) {
			check_folder_departments(ld, s, kv);
		}
	}
	const char *url = ct_source_get(s, "url");
	if (mailnet && url && !ct_source_get(s, "user") && !strchr(url, '@'))
		cfg_err(ld, s->line, "[source %s] is missing required key 'user' (or user@ in the url)", s->name);
}

static void validate(struct loader *ld)
{
	struct ct_config *cfg = ld->cfg;
	if (cfg->ticket_ref) {
		int ec;
		PCRE2_SIZE off;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)cfg->ticket_ref, PCRE2_ZERO_TERMINATED,
					       PCRE2_UTF, &ec, &off, NULL);
		if (!re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			cfg_err(ld, ld->ticket_ref_line, "ticket_ref: bad regex: %s at offset %zu", msg, (size_t)off);
		} else {
			uint32_t caps = 0;
			pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &caps);
			if (caps < 1)
				cfg_err(ld, ld->ticket_ref_line, "ticket_ref needs one capture group for the ticket number");
			pcre2_code_free(re);
		}
	}
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct ct_source *s = &cfg->sources[i];
		size_t t;
		for (size_t j = 0; j < s->nkv; j++)
			for (size_t k = j + 1; k < s->nkv; k++)
				if (!strcmp(s->kv[j].key, s->kv[k].key) && strcmp(s->kv[j].key, "folders"))
					cfg_err(ld, s->kv[k].line, "duplicate key '%s' in [source %s] (first on line %d)",
						s->kv[k].key, s->name, s->kv[j].line);
		if (!s->type) {
			cfg_err(ld, s->line, "[source %s] is missing required key 'type'", s->name);
			continue;
		}
		for (t = 0; t < CT_ARRAY_SIZE(source_types); t++)
			if (!strcmp(source_types[t].type, s->type))
				break;
		if (t == CT_ARRAY_SIZE(source_types)) {
			cfg_err(ld, ct_source_line(s, "type"),
				"unknown source type '%s' (known: maildir, mbox, eml, imap, pop3, zendesk, rt, freshdesk, jsonl)",
				s->type);
			continue;
		}
		for (size_t j = 0; j < s->nkv; j++)
			if (!in_list(keys_common, s->kv[j].key) && !in_list(source_types[t].keys, s->kv[j].key))
				cfg_err(ld, s->kv[j].line, "unknown key '%s' in [source %s] (type %s)",
					s->kv[j].key, s->name, s->type);
		const char *req = source_types[t].required;
		if (!strcmp(req, "url|path")) {
			if (!ct_source_get(s, "url") && !ct_source_get(s, "path"))
				cfg_err(ld, s->line, "[source %s] needs 'url' or 'path'", s->name);
		} else if (!ct_source_get(s, req)) {
			cfg_err(ld, s->line, "[source %s] is missing required key '%s'", s->name, req);
		}
		check_source_values(ld, s, source_types[t].keys);
		if (s->department && !ct_config_dept_by_name(cfg, s->department))
			cfg_err(ld, ct_source_line(s, "department"), "[source %s]: unknown department '%s'",
				s->name, s->department);
	}
	for (size_t i = 0; i < cfg->ndepts; i++)
		for (size_t j = i + 1; j < cfg->ndepts; j++)
			for (size_t g = 0; g < cfg->depts[j].helpdesk_groups.n; g++)
				if (ct_strlist_has(&cfg->depts[i].helpdesk_groups, cfg->depts[j].helpdesk_groups.v[g]))
					cfg_err(ld, cfg->depts[j].line,
						"helpdesk group '%s' is already used by department '%s' (line %d)",
						cfg->depts[j].helpdesk_groups.v[g], cfg->depts[i].name, cfg->depts[i].line);
}

void ct_config_init_empty(struct ct_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->file = ct_strdup("(none)");
	cfg->dir = ct_strdup(".");
	cfg->thread_window_days = 30;
	cfg->close_after_days = 30;
	cfg->smtp_tls_verify = 1;
	cfg->smtp_timeout = 60;
}

int ct_config_load(const char *path, struct ct_config *cfg)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	ct_config_init_empty(cfg);
	free(cfg->file);
	free(cfg->dir);
	cfg->file = ct_strdup(path);
	const char *slash = strrchr(path, '/');
	cfg->dir = slash ? ct_strndup(path, (size_t)(slash - path) + (slash == path)) : ct_strdup(".");
	ld.cfg = cfg;
	ld.file = path;
	ld.fp = fopen(path, "r");
	if (!ld.fp) {
		int e = errno;
		ct_error("cannot read configuration '%s': %s", path, strerror(e));
		if (e == ENOENT)
			ct_hint("copy config/casetrail.conf.example to ./casetrail.conf, or pass -c FILE");
		return -1;
	}
	int rc = ini_parse_stream(reader, &ld, handler, &ld);
	fclose(ld.fp);
	if (rc > 0)
		cfg_err(&ld, rc, "not a 'key = value' line or a [section] header");
	else if (rc < 0)
		cfg_err(&ld, 0, "cannot parse the file");
	validate(&ld);
	ct_strlist_clear(&ld.seen_sections);
	return ld.errors ? -1 : 0;
}

void ct_config_release(struct ct_config *cfg)
{
	free(cfg->file);
	free(cfg->dir);
	free(cfg->store_path);
	free(cfg->store_password_command);
	free(cfg->store_password_env);
	ct_strlist_clear(&cfg->internal_domains);
	free(cfg->ticket_ref);
	free(cfg->rules_path);
	free(cfg->log_file);
	for (size_t i = 0; i < cfg->ndepts; i++) {
		free(cfg->depts[i].name);
		ct_strlist_clear(&cfg->depts[i].addresses);
		ct_strlist_clear(&cfg->depts[i].helpdesk_groups);
		free(cfg->depts[i].leader);
	}
	free(cfg->depts);
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct ct_source *s = &cfg->sources[i];
		free(s->name);
		free(s->type);
		free(s->path);
		free(s->department);
		for (size_t j = 0; j < s->nkv; j++) {
			free(s->kv[j].key);
			free(s->kv[j].value);
		}
		free(s->kv);
	}
	free(cfg->sources);
	free(cfg->smtp_url);
	free(cfg->site_url);
	free(cfg->smtp_user);
	free(cfg->smtp_password_command);
	free(cfg->smtp_password_env);
	free(cfg->smtp_from);
	free(cfg->smtp_tls_ca_file);
	memset(cfg, 0, sizeof(*cfg));
}

const struct ct_department *ct_config_dept_by_address(const struct ct_config *cfg, const char *addr)
{
	if (!addr)
		return NULL;
	for (size_t i = 0; i < cfg->ndepts; i++)
		if (ct_strlist_has_ci(&cfg->depts[i].addresses, addr))
			return &cfg->depts[i];
	return NULL;
}

const struct ct_department *ct_config_dept_by_name(const struct ct_config *cfg, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < cfg->ndepts; i++)
		if (!strcasecmp(cfg->depts[i].name, name))
			return &cfg->depts[i];
	return NULL;
}

const struct ct_department *ct_config_dept_by_group(const struct ct_config *cfg, const char *group)
{
	if (!group)
		return NULL;
	for (size_t i = 0; i < cfg->ndepts; i++)
		if (ct_strlist_has_ci(&cfg->depts[i].helpdesk_groups, group))
			return &cfg->depts[i];
	/* A group named like a department belongs to it. */
	return ct_config_dept_by_name(cfg, group);
}

const struct ct_source *ct_config_source(const struct ct_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsources; i++)
		if (!strcmp(cfg->sources[i].name, name))
			return &cfg->sources[i];
	return NULL;
}

int ct_config_is_internal(const struct ct_config *cfg, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	if (!at)
		return 0;
	const char *dom = at + 1;
	for (size_t i = 0; i < cfg->internal_domains.n; i++) {
		const char *d = cfg->internal_domains.v[i];
		size_t dl = strlen(d), al = strlen(dom);
		if (!strcasecmp(dom, d))
			return 1;
		if (al > dl && dom[al - dl - 1] == '.' && !strcasecmp(dom + al - dl, d))
			return 1;
	}
	return ct_config_dept_by_address(cfg, addr) != NULL;
}

const char *ct_source_get(const struct ct_source *src, const char *key)
{
	const char *v = NULL;
	for (size_t i = 0; i < src->nkv; i++)
		if (!strcmp(src->kv[i].key, key))
			v = src->kv[i].value;
	return v;
}

int ct_source_line(const struct ct_source *src, const char *key)
{
	int line = src->line;
	for (size_t i = 0; i < src->nkv; i++)
		if (!strcmp(src->kv[i].key, key))
			line = src->kv[i].line;
	return line;
}

long ct_source_get_long(const struct ct_source *src, const char *key, long def, int *err)
{
	const char *v = ct_source_get(src, key);
	if (!v)
		return def;
	long n;
	if (ct_parse_long(v, LONG_MIN, LONG_MAX, &n)) {
		fprintf(stderr, "%s:%d: [source %s] %s takes a whole number, not '%s'\n", src->file,
			ct_source_line(src, key), src->name, key, v);
		if (err)
			*err = -1;
		return def;
	}
	return n;
}

int ct_source_get_bool(const struct ct_source *src, const char *key, int def, int *err)
{
	const char *v = ct_source_get(src, key);
	int b;
	if (!v)
		return def;
	if (parse_bool(v, &b)) {
		fprintf(stderr, "%s:%d: [source %s] %s takes yes or no, not '%s'\n", src->file,
			ct_source_line(src, key), src->name, key, v);
		if (err)
			*err = -1;
		return def;
	}
	return b;
}

char *ct_secret_from_command(const char *cmd, const char *what)
{
	FILE *p = popen(cmd, "r");
	if (!p) {
		ct_error("%s: cannot run the password command: %s", what, strerror(errno));
		return NULL;
	}
	struct ct_buf b = CT_BUF_INIT;
	char chunk[512];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		ct_buf_add(&b, chunk, n);
	int status = pclose(p);
	if (status != 0) {
		ct_error("%s: the password command failed (exit status %d)", what,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		ct_buf_release(&b);
		return NULL;
	}
	char *nl = memchr(b.buf, '\n', b.len);
	if (nl)
		ct_buf_setlen(&b, (size_t)(nl - b.buf));
	if (b.len && b.buf[b.len - 1] == '\r')
		ct_buf_setlen(&b, b.len - 1);
	if (!b.len) {
		ct_error("%s: the password command printed nothing", what);
		ct_buf_release(&b);
		return NULL;
	}
	return ct_buf_detach(&b, NULL);
}

char *ct_source_secret(const struct ct_source *src, const char *cmd_key, const char *env_key)
{
	const char *cmd = cmd_key ? ct_source_get(src, cmd_key) : NULL;
	const char *env = env_key ? ct_source_get(src, env_key) : NULL;
	char what[300];
	snprintf(what, sizeof(what), "source '%s'", src->name);
	if (cmd)
		return ct_secret_from_command(cmd, what);
	if (env) {
		const char *v = getenv(env);
		if (!v || !*v) {
			ct_error("source '%s': environment variable '%s' (%s) is not set", src->name, env, env_key);
			return NULL;
		}
		return ct_strdup(v);
	}
	ct_error("source '%s': no secret configured", src->name);
	ct_hint("set %s%s%s in [source %s]", cmd_key ? cmd_key : "", cmd_key && env_key ? " or " : "",
		env_key ? env_key : "", src->name);
	return NULL;
}
