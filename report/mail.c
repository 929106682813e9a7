/*
 * mail.c - sends a report as a multipart/alternative mail (text and HTML)
 * through SMTP with libcurl ([smtp] of the configuration), or writes the
 * .eml file instead (--dry-run).
 */
#include "report.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void base64_lines(struct ct_buf *out, const char *s, size_t len)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)s[i + 2];
		char q[4] = { tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], i + 1 < len ? tbl[(v >> 6) & 63] : '=',
			      i + 2 < len ? tbl[v & 63] : '=' };
		ct_buf_add(out, q, 4);
		col += 4;
		if (col >= 76) {
			ct_buf_addstr(out, "\r\n");
			col = 0;
		}
	}
	if (col)
		ct_buf_addstr(out, "\r\n");
}

/* A header value, RFC 2047-encoded when it is not plain ASCII. */
static void header_value(struct ct_buf *out, const char *s)
{
	int ascii = 1;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80 || *p == '\r' || *p == '\n')
			ascii = 0;
	if (ascii) {
		ct_buf_addstr(out, s);
		return;
	}
	struct ct_buf b = CT_BUF_INIT;
	base64_lines(&b, s, strlen(s));
	for (size_t i = 0; i < b.len; i++)
		if (b.buf[i] == '\r' || b.buf[i] == '\n')
			b.buf[i] = '\0';
	ct_buf_addstr(out, "=?UTF-8?B?");
	for (size_t i = 0; i < b.len; i++)
		if (b.buf[i])
			ct_buf_addch(out, b.buf[i]);
	ct_buf_addstr(out, "?=");
	ct_buf_release(&b);
}

static char *build_message(const char *from, const char *to, const char *subject, const char *text,
			   const char *html)
{
	struct ct_buf m = CT_BUF_INIT;
	char date[64], boundary[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "casetrail-%ld-%d", (long)now, (int)getpid());
	ct_buf_addstr(&m, "From: ");
	header_value(&m, from);
	ct_buf_addf(&m, "\r\nTo: %s\r\nSubject: ", to);
	header_value(&m, subject);
	ct_buf_addf(&m, "\r\nDate: %s\r\nMessage-ID: <%ld.%d.%lx@casetrail>\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
		    "This is a multipart message in MIME format.\r\n", date, (long)now, (int)getpid(),
		    (unsigned long)ct_hash64(to, strlen(to), (uint64_t)now), boundary);
	ct_buf_addf(&m, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		    boundary);
	base64_lines(&m, text, strlen(text));
	ct_buf_addf(&m, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		    boundary);
	base64_lines(&m, html, strlen(html));
	ct_buf_addf(&m, "--%s--\r\n", boundary);
	return ct_buf_detach(&m, NULL);
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t room = size * n, left = u->len - u->off;
	if (room > left)
		room = left;
	memcpy(buf, u->data + u->off, room);
	u->off += room;
	return room;
}

/* The bare address of "Name <addr>" or "addr". */
static char *bare(const char *s)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		return ct_xstrfmt("<%.*s>", (int)(gt - lt - 1), lt + 1);
	return ct_xstrfmt("<%s>", s);
}

int ct_report_mail(const struct ct_config *cfg, const char *to, const char *subject,
		   const char *text, const char *html, const char *dry_dir, const char *name)
{
	const char *from = cfg->smtp_from ? cfg->smtp_from : "casetrail@localhost";
	char *msg = build_message(from, to, subject, text, html);
	int ret = -1;
	if (dry_dir) {
		if (mkdir(dry_dir, 0755) != 0 && errno != EEXIST) {
			ct_error("cannot create '%s': %s", dry_dir, strerror(errno));
			goto out;
		}
		char *path = ct_xstrfmt("%s/%s.eml", dry_dir, name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(msg, 1, strlen(msg), f) != strlen(msg) || fclose(f)) {
			ct_error("cannot write '%s': %s", path, strerror(errno));
			free(path);
			goto out;
		}
		if (!ct_quiet)
			fprintf(stderr, "wrote %s (to %s)\n", path, to);
		free(path);
		ret = 0;
		goto out;
	}
	if (!cfg->smtp_url) {
		ct_error("no [smtp] url in the configuration: cannot mail the report");
		ct_hint("add [smtp] url/from, or use --dry-run to write .eml files");
		goto out;
	}
	char *password = NULL;
	if (cfg->smtp_password_command) {
		password = ct_secret_from_command(cfg->smtp_password_command, "[smtp]");
		if (!password)
			goto out;
	} else if (cfg->smtp_password_env) {
		const char *v = getenv(cfg->smtp_password_env);
		if (!v) {
			ct_error("[smtp]: environment variable '%s' is not set", cfg->smtp_password_env);
			goto out;
		}
		password = ct_strdup(v);
	}
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *mfrom = bare(from), *mto = bare(to);
	struct upload up = { msg, strlen(msg), 0 };
	rcpt = curl_slist_append(rcpt, mto);
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mfrom);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	/* A server that stops answering, at any step, ends the send within
	   the timeout: the connect, each SMTP reply, and the upload (less than a
	   byte a second for that long). */
	long timeout = cfg->smtp_timeout > 0 ? cfg->smtp_timeout : 60;
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, timeout);
	/* STARTTLS when the server offers it; smtps:// is TLS from the start */
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (cfg->smtp_user)
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
	if (password)
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	if (cfg->smtp_tls_ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->smtp_tls_ca_file);
	if (!cfg->smtp_tls_verify) {
		ct_warn("[smtp] tls_verify = no: the server's certificate is not checked");
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		ct_error("mailing the report to %s through %s failed: %s", to, cfg->smtp_url,
			 *errbuf ? errbuf : curl_easy_strerror(rc));
		if (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT)
			ct_hint("check [smtp] url and that the server is reachable; timeout = %ld s", timeout);
	} else {
		printf("mailed %s to %s\n", name, to);
		ret = 0;
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(mfrom);
	free(mto);
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
out:
	free(msg);
	return ret;
}
