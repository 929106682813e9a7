/*
 * mailnet_p.h - private to ingest/: what the IMAP and POP3 fetchers share:
 * reading a [source] section into connection settings (URL, TLS, folders and
 * their departments), opening the connection with a deadline on every read
 * and write (mailnet.c), checking the server's certificate, and the backoff
 * between reconnects after a transient failure.
 *
 * Memory: struct ct_mailnet owns its strings; ct_mailnet_release() frees them.
 * Everything here but the connection (mailnet.c) is static inline so each
 * fetcher gets its own copy.
 *
 * Certificate checks: libetpan 1.9 (GnuTLS flavour) offers no way to hand a
 * CA file to its TLS layer, and it does not verify the peer at all. So after
 * the handshake the fetcher takes the server's leaf certificate from the
 * stream (mailstream_ssl_get_certificate) and verifies it itself with
 * GnuTLS against tls_ca_file (or the system trust store), including the
 * host name. Only the leaf is available, so a server that needs an
 * intermediate certificate must have it in tls_ca_file.
 */
#ifndef CT_MAILNET_P_H
#define CT_MAILNET_P_H

#include "ingest.h"
#include "../config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

/*
 * IMAP folder names (imap_utf7.c): UTF-8 to the modified UTF-7 the server
 * speaks, and back (a name that is not valid modified UTF-7 is returned as
 * it is). Both return a new string.
 */
char *ct_imap_utf7_encode(const char *utf8);
char *ct_imap_utf7_decode(const char *mutf7);

struct ct_mailnet {
	const char *source;      /* borrowed: the source's name */
	const char *scheme;      /* "imap" or "pop3" (static) */
	char *host;
	unsigned port;
	int tls;                 /* 1: imaps:// or pop3s:// (TLS from the start) */
	int starttls;            /* 1: STARTTLS/STLS after connecting */
	int verify;              /* tls_verify, default 1 */
	char *ca_file;           /* resolved tls_ca_file, may be NULL */
	char *user;
	char *auth;              /* "login", "plain" or "xoauth2" */
	long timeout;            /* seconds */
	long batch;              /* messages per UID FETCH */
	struct ct_strlist folders;       /* IMAP folders, or "*" */
	struct ct_strlist map_folder;    /* folder_departments: folder ... */
	struct ct_strlist map_dept;      /* ... and its department */
	const char *department;  /* borrowed: the source's department, may be NULL */
};

static inline void ct_mailnet_release(struct ct_mailnet *m)
{
	free(m->host);
	free(m->ca_file);
	free(m->user);
	free(m->auth);
	ct_strlist_clear(&m->folders);
	ct_strlist_clear(&m->map_folder);
	ct_strlist_clear(&m->map_dept);
	memset(m, 0, sizeof(*m));
}

/* The department of a folder: folder_departments first, then the source's. */
static inline const char *ct_mailnet_folder_dept(const struct ct_mailnet *m, const char *folder)
{
	for (size_t i = 0; i < m->map_folder.n; i++)
		if (!strcmp(m->map_folder.v[i], folder))
			return m->map_dept.v[i];
	return m->department;
}

/*
 * Reads src into m. scheme is "imap" or "pop3"; plain_port and tls_port the
 * default ports. The URL's path (after the host) is the folder list when
 * `folders` is not set ("INBOX" when neither is). Returns 0, or -1 after
 * reporting "file:line: problem".
 */
static inline int ct_mailnet_load(const struct ct_config *cfg, const struct ct_source *src,
				  const char *scheme, unsigned plain_port, unsigned tls_port,
				  struct ct_mailnet *m)
{
	int err = 0;
	const char *url = ct_source_get(src, "url");
	memset(m, 0, sizeof(*m));
	m->source = src->name;
	m->scheme = scheme;
	m->department = src->department;
	if (!url)
		return ct_error("%s:%d: source '%s': url is missing", src->file, src->line, src->name);

	size_t sl = strlen(scheme);
	const char *p;
	if (!strncmp(url, scheme, sl) && !strncmp(url + sl, "://", 3)) {
		p = url + sl + 3;
	} else if (!strncmp(url, scheme, sl) && url[sl] == 's' && !strncmp(url + sl + 1, "://", 3)) {
		m->tls = 1;
		p = url + sl + 4;
	} else {
		return ct_error("%s:%d: source '%s': url '%s' must start with %s:// or %ss://",
				src->file, ct_source_line(src, "url"), src->name, url, scheme, scheme);
	}
	const char *at = strpbrk(p, "@/");
	if (at && *at == '@') {
		/* user@host in the URL; a password there is never accepted. */
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon)
			return ct_error("%s:%d: source '%s': the url must not hold a password",
					src->file, ct_source_line(src, "url"), src->name);
		m->user = ct_strndup(p, (size_t)(at - p));
		p = at + 1;
	}
	const char *slash = strchr(p, '/');
	size_t hl = slash ? (size_t)(slash - p) : strlen(p);
	char *hostport = ct_strndup(p, hl);
	char *colon = hostport[0] == '[' ? strstr(hostport, "]:") : strrchr(hostport, ':');
	if (colon && hostport[0] == '[')
		colon++;
	m->port = m->tls ? tls_port : plain_port;
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (*end || port <= 0 || port > 65535) {
			free(hostport);
			return ct_error("%s:%d: source '%s': bad port in url '%s'", src->file,
					ct_source_line(src, "url"), src->name, url);
		}
		m->port = (unsigned)port;
		*colon = '\0';
	}
	if (hostport[0] == '[') {
		size_t n = strlen(hostport);
		if (n > 1 && hostport[n - 1] == ']')
			hostport[n - 1] = '\0';
		m->host = ct_strdup(hostport + 1);
		free(hostport);
	} else {
		m->host = hostport;
	}
	if (!*m->host)
		return ct_error("%s:%d: source '%s': no host in url '%s'", src->file,
				ct_source_line(src, "url"), src->name, url);

	const char *user = ct_source_get(src, "user");
	if (user) {
		free(m->user);
		m->user = ct_strdup(user);
	}
	if (!m->user)
		return ct_error("%s:%d: source '%s': user is missing", src->file, src->line, src->name);

	const char *auth = ct_source_get(src, "auth");
	m->auth = ct_strdup(auth ? auth : "login");
	ct_lower_ascii(m->auth);
	if (strcmp(m->auth, "login") && strcmp(m->auth, "plain") && strcmp(m->auth, "xoauth2"))
		return ct_error("%s:%d: source '%s': auth must be plain, login or xoauth2, not '%s'",
				src->file, ct_source_line(src, "auth"), src->name, auth);

	m->starttls = ct_source_get_bool(src, "starttls", 0, &err);
	m->verify = ct_source_get_bool(src, "tls_verify", 1, &err);
	m->timeout = ct_source_get_long(src, "timeout", 60, &err);
	m->batch = ct_source_get_long(src, "batch_size", 500, &err);
	/* Their bounds were checked when the configuration was loaded (config.c). */
	if (err || m->timeout <= 0 || m->batch <= 0)
		return ct_error("%s:%d: source '%s': bad timeout or batch_size", src->file, src->line, src->name);
	if (m->tls && m->starttls)
		m->starttls = 0;  /* already encrypted */
	const char *ca = ct_source_get(src, "tls_ca_file");
	if (ca) {
		m->ca_file = ct_config_resolve(cfg, ca);
		if (access(m->ca_file, R_OK))
			return ct_error("%s:%d: source '%s': tls_ca_file '%s': %s", src->file,
					ct_source_line(src, "tls_ca_file"), src->name, m->ca_file,
					strerror(errno));
	}

	const char *folders = ct_source_get(src, "folders");
	if (folders) {
		ct_strlist_split(&m->folders, folders, ',');
	} else if (slash && slash[1]) {
		char *f = ct_strdup(slash + 1);
		size_t n = strlen(f);
		while (n && f[n - 1] == '/')
			f[--n] = '\0';
		ct_strlist_push(&m->folders, f);
		free(f);
	}
	if (!m->folders.n)
		ct_strlist_push(&m->folders, "INBOX");

	const char *map = ct_source_get(src, "folder_departments");
	if (map) {
		struct ct_strlist pairs = CT_STRLIST_INIT;
		ct_strlist_split(&pairs, map, ',');
		for (size_t i = 0; i < pairs.n; i++) {
			char *eq = strchr(pairs.v[i], '=');
			if (!eq) {
				ct_strlist_clear(&pairs);
				return ct_error("%s:%d: source '%s': folder_departments wants FOLDER=DEPARTMENT, got '%s'",
						src->file, ct_source_line(src, "folder_departments"),
						src->name, pairs.v[i]);
			}
			*eq = '\0';
			char *k = ct_strdup(pairs.v[i]), *v = ct_strdup(eq + 1);
			ct_strlist_push(&m->map_folder, ct_trim(k));
			ct_strlist_push(&m->map_dept, ct_trim(v));
			free(k);
			free(v);
		}
		ct_strlist_clear(&pairs);
	}
	if ((m->tls || m->starttls) && !m->verify)
		ct_warn("source '%s': tls_verify = no: the server's certificate is not checked; "
			"anyone on the path can read the mail and the password", src->name);
	return 0;
}

/* Sets the SNI name before the handshake; data is the host name. */
static inline void ct_mailnet_tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	mailstream_ssl_set_server_name(ctx, (char *)data);
}

/*
 * Connects to m->host:m->port, with TLS from the start and the server's
 * certificate checked (ct_mailnet_tls_check) when m->tls, and guards the
 * stream (below). Every step waits at most m->timeout seconds. proto
 * ("IMAP", "POP3") is for messages. Returns 0 with *out set; -2 when
 * trying again may help, with *why (freed first) a new string saying what
 * failed ("cannot connect to host:143: Connection refused"); -1 when it
 * cannot (reported, with a hint).
 */
int ct_mailnet_open(const struct ct_mailnet *m, const char *proto, mailstream **out, char **why);

/*
 * Guards stream s (again after STARTTLS, which replaces its driver): a read
 * that finds the connection closed fails instead of returning 0 (which
 * libetpan's readers take for "try again" and loop on for ever), a write
 * that cannot make progress for timeout seconds fails, and the stream
 * remembers why. A no-op on a stream that is already guarded.
 */
void ct_mailnet_guard(mailstream *s, long timeout, int tls);

/*
 * Why the guarded stream s failed ("the server closed the connection",
 * "no answer within 60 s", "the server reset the connection" ...), or NULL
 * while it works (or is not guarded). Valid until s is freed. Once failed,
 * every further read and write fails at once.
 */
const char *ct_mailnet_why(mailstream *s);

/*
 * Verifies the certificate of an established TLS stream against m->ca_file
 * (or the system trust store) and m->host. Returns 0, or -1 after reporting
 * why, naming the source. Skipped (0) when tls_verify = no.
 */
static inline int ct_mailnet_tls_check(const struct ct_mailnet *m, mailstream *s, const char *proto)
{
	if (!m->verify)
		return 0;
	unsigned char *der = NULL;
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crt = NULL;
	int rc = -1, r;
	unsigned status = 0;
	ssize_t n = mailstream_ssl_get_certificate(s, &der);
	if (n <= 0 || !der) {
		ct_error("source '%s': %s server %s:%u sent no certificate", m->source, proto, m->host, m->port);
		goto out;
	}
	gnutls_datum_t d = { der, (unsigned)n };
	if ((r = gnutls_x509_crt_init(&crt)) < 0 || (r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER)) < 0) {
		ct_error("source '%s': cannot read the certificate of %s:%u: %s", m->source, m->host,
			 m->port, gnutls_strerror(r));
		goto out;
	}
	if ((r = gnutls_x509_trust_list_init(&tl, 0)) < 0)
		goto gnutls_fail;
	r = m->ca_file ? gnutls_x509_trust_list_add_trust_file(tl, m->ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0)
		       : gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		ct_error("source '%s': no CA certificate could be loaded from %s%s%s", m->source,
			 m->ca_file ? "'" : "the system trust store", m->ca_file ? m->ca_file : "",
			 m->ca_file ? "'" : "");
		ct_hint("check tls_ca_file");
		goto out;
	}
	gnutls_typed_vdata_st vd = { GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)m->host, 0 };
	if ((r = gnutls_x509_trust_list_verify_crt2(tl, &crt, 1, &vd, 1, 0, &status, NULL)) < 0)
		goto gnutls_fail;
	if (status) {
		gnutls_datum_t why = { NULL, 0 };
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
		if (why.data)
			ct_trim((char *)why.data);
		ct_error("source '%s': TLS certificate of %s server %s:%u not trusted: %s", m->source, proto,
			 m->host, m->port, why.data ? (char *)why.data : "verification failed");
		gnutls_free(why.data);
		ct_hint("set tls_ca_file to the CA that signed the server's certificate "
			"(the url's host must match the certificate)");
		goto out;
	}
	rc = 0;
	goto out;
gnutls_fail:
	ct_error("source '%s': certificate check for %s:%u failed: %s", m->source, m->host, m->port,
		 gnutls_strerror(r));
out:
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	free(der);
	return rc;
}

/*
 * Sets *why (freeing the old one) to "WHAT (host:port): REASON", WHAT from
 * fmt, REASON why stream s failed (ct_mailnet_why) or else fallback, the
 * library's word for the error.
 */
static inline void ct_mailnet_lost(const struct ct_mailnet *m, char **why, mailstream *s,
				   const char *fallback, const char *fmt, ...) CT_PRINTF(5, 6);
static inline void ct_mailnet_lost(const struct ct_mailnet *m, char **why, mailstream *s,
				   const char *fallback, const char *fmt, ...)
{
	struct ct_buf b = CT_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ct_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	const char *reason = ct_mailnet_why(s);
	ct_buf_addf(&b, " (%s:%u): %s", m->host, m->port, reason ? reason : fallback);
	free(*why);
	*why = ct_buf_detach(&b, NULL);
}

#define CT_MAILNET_TRIES 4 /* the first attempt and three retries */

/* The wait before reconnect attempt n (1, 2, 3 ...) in ms: 1 s, 2 s, 4 s ... */
static inline long ct_mailnet_backoff_ms(int attempt)
{
	long f = 1L << (attempt > 1 ? attempt - 1 : 0);
	const char *ms = getenv("CASETRAIL_NET_BACKOFF_MS");  /* tests shorten the wait */
	return (ms ? atol(ms) : 1000L) * f;
}

/*
 * After a transient failure (why) of attempt n: warns "source 'X': why;
 * retrying in 1 s (attempt 2 of 4)" and waits, and returns 0; or, when the
 * attempts are used up, reports "giving up" with a hint and returns -1.
 */
static inline int ct_mailnet_retry(const struct ct_mailnet *m, int attempt, const char *why)
{
	if (attempt >= CT_MAILNET_TRIES) {
		ct_error("source '%s': %s; giving up after %d attempts", m->source, why, attempt);
		ct_hint("check url and that the server is reachable; timeout = %ld s", m->timeout);
		return -1;
	}
	long ms = ct_mailnet_backoff_ms(attempt);
	if (ms % 1000)
		ct_warn("source '%s': %s; retrying in %ld ms (attempt %d of %d)", m->source, why, ms,
			attempt + 1, CT_MAILNET_TRIES);
	else
		ct_warn("source '%s': %s; retrying in %ld s (attempt %d of %d)", m->source, why, ms / 1000,
			attempt + 1, CT_MAILNET_TRIES);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	return 0;
}

#endif
