/*
 * config.h - the INI configuration (see config/casetrail.conf.example):
 * [store], [organization], [department NAME], [source NAME], [smtp], [log].
 *
 * Memory: struct ct_config owns everything it points to; pointers into it stay
 * valid until ct_config_release().
 */
#ifndef CT_CONFIG_H
#define CT_CONFIG_H

#include "../base/base.h"

struct ct_department {
	char *name;
	struct ct_strlist addresses;       /* lower case */
	struct ct_strlist helpdesk_groups;
	char *leader;                      /* address, may be NULL */
	int line;
};

struct ct_kv {
	char *key;
	char *value;
	int line;
};

struct ct_source {
	char *name;
	char *type;          /* maildir | mbox | eml | imap | pop3 | zendesk | rt | freshdesk | jsonl */
	char *path;          /* resolved against the config file's directory; may be NULL */
	char *department;    /* may be NULL */
	struct ct_kv *kv;    /* every key as written (values trimmed, unresolved) */
	size_t nkv, kv_alloc;
	const char *file;    /* borrowed: config file path */
	int line;            /* line of the [source] header */
};

struct ct_config {
	char *file;          /* path as given */
	char *dir;           /* its directory */
	char *store_path;    /* [store] path (resolved) or url (postgresql://...); may be NULL */
	char *store_password_command, *store_password_env; /* [store], for a url */
	struct ct_strlist internal_domains; /* lower case */
	char *ticket_ref;    /* PCRE2 pattern with one capture, may be NULL */
	char *rules_path;    /* resolved; may be NULL */
	int thread_window_days; /* [organization] thread_window_days, default 30 */
	int close_after_days;   /* [cases] close_after: a case quiet this long is closed, default 30 */
	struct ct_department *depts;
	size_t ndepts, depts_alloc;
	struct ct_source *sources;
	size_t nsources, sources_alloc;
	/* [smtp] */
	char *smtp_url, *smtp_user, *smtp_password_command, *smtp_password_env, *smtp_from;
	char *smtp_tls_ca_file;
	int smtp_tls_verify;
	long smtp_timeout;   /* seconds a connect or an answer may take, default 60 */
	/* [log] file: the run log ingest appends to (resolved), may be NULL */
	char *log_file;
	/* [site] url: where `casetrail site` pages are published, ending in '/' (NULL: none) */
	char *site_url;
};

/*
 * Loads and validates path. Every problem is printed as "file:line: problem";
 * returns 0, or -1 after printing all of them (the caller exits 2).
 */
int ct_config_load(const char *path, struct ct_config *cfg);
/* An empty configuration (no file): ingest --maildir etc. work without one. */
void ct_config_init_empty(struct ct_config *cfg);
void ct_config_release(struct ct_config *cfg);

/* Lookups; NULL when not found. Borrowed. */
const struct ct_department *ct_config_dept_by_address(const struct ct_config *cfg, const char *addr);
const struct ct_department *ct_config_dept_by_name(const struct ct_config *cfg, const char *name);
const struct ct_department *ct_config_dept_by_group(const struct ct_config *cfg, const char *group);
const struct ct_source *ct_config_source(const struct ct_config *cfg, const char *name);
/* 1 when addr is in an internal domain (or a subdomain of one). */
int ct_config_is_internal(const struct ct_config *cfg, const char *addr);

/* A source key's value (last one wins), or NULL. Borrowed. */
const char *ct_source_get(const struct ct_source *src, const char *key);
/* The line of a key (or of the section when absent), for error messages. */
int ct_source_line(const struct ct_source *src, const char *key);
/* Resolves a path relative to the config directory; returns a new string. */
char *ct_config_resolve(const struct ct_config *cfg, const char *path);
/* Integer/boolean keys with default; a bad value is reported as file:line and returns -1 in *err. */
long ct_source_get_long(const struct ct_source *src, const char *key, long def, int *err);
int ct_source_get_bool(const struct ct_source *src, const char *key, int def, int *err);

/*
 * Runs a password_command (sh -c) and returns its first line of output, or
 * NULL after reporting (the command itself is never printed in full, only
 * the source name).
 */
char *ct_secret_from_command(const char *cmd, const char *what);
/* password_command or password_env (keys given), reports and NULL on failure. */
char *ct_source_secret(const struct ct_source *src, const char *cmd_key, const char *env_key);

/*
 * For inih reader callbacks (ini_parse_stream). ct_ini_line_cut: 1 when the
 * line just read into buf (size bytes, as inih gave) is longer than the
 * buffer and was cut; the caller reports it and skips the rest of the line.
 * ct_ini_section_name: the trimmed name of a "[name]" line (a new string),
 * or NULL for any other line.
 */
int ct_ini_line_cut(const char *buf, int size, int at_eof);
char *ct_ini_section_name(const char *line);

#endif
