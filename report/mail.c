/*
 * mail.c - sends a report as a multipart/alternative mail (text, and HTML
 * with its charts as PNG images in a multipart/related part) through SMTP
 * with libcurl ([smtp] of the configuration), or writes the .eml file
 * instead (--dry-run). Many mail clients drop inline SVG: each chart is
 * rendered from its SVG to PNG with librsvg and cairo, referenced by cid:,
 * and keeps its alt text; the HTML has the charts' figures as tables too.
 */
#include "report.h"

#include <cairo.h>
#include <curl/curl.h>
#include <librsvg/rsvg.h>
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

/*
 * fontconfig (under librsvg's text layout) keeps its font cache for the life
 * of the process and frees it only in FcFini(), which is unsafe while pango
 * holds fonts. Under LeakSanitizer (make check) that cache is not our leak;
 * this hook is read only by the sanitizer runtime.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int len)
{
	ct_buf_add(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/*
 * Renders one SVG document to PNG at twice its size (sharp on high-density
 * screens) into png. Returns its width in CSS pixels, or -1 (reported).
 */
static int svg_to_png(const char *svg, size_t len, struct ct_buf *png)
{
	GError *err = NULL;
	RsvgHandle *h = rsvg_handle_new_from_data((const guint8 *)svg, len, &err);
	if (!h) {
		ct_error("cannot read a chart's SVG: %s", err ? err->message : "unknown error");
		g_clear_error(&err);
		return -1;
	}
	gdouble w = 0, hh = 0;
	if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &w, &hh) || w < 1 || hh < 1 || w > 4000 || hh > 4000) {
		g_object_unref(h);
		return ct_error("a chart's SVG has no usable size");
	}
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)(w * 2), (int)(hh * 2));
	cairo_t *cr = cairo_create(surf);
	cairo_scale(cr, 2, 2);
	RsvgRectangle vp = { 0, 0, w, hh };
	int ok = rsvg_handle_render_document(h, cr, &vp, &err);
	cairo_destroy(cr);
	if (ok)
		ok = cairo_surface_write_to_png_stream(surf, png_write, png) == CAIRO_STATUS_SUCCESS;
	cairo_surface_destroy(surf);
	g_object_unref(h);
	if (!ok) {
		ct_error("cannot render a chart to PNG: %s", err ? err->message : "cairo failed");
		g_clear_error(&err);
		return -1;
	}
	return (int)w;
}

/* The value of attribute name="..." in the tag starting at tag (HTML-escaped as written), or NULL. */
static char *attr_of(const char *tag, const char *end, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = tag + 1; p + n + 2 < end; p++)
		if (!strncmp(p, name, n) && p[n] == '=' && p[n + 1] == '"' && (p[-1] == ' ')) {
			const char *q = strchr(p + n + 2, '"');
			if (q && q < end)
				return ct_strndup(p + n + 2, (size_t)(q - p - n - 2));
		}
	return NULL;
}

struct chart_png {
	struct ct_buf png;
	char cid[96];
};

/*
 * html with each inline <svg>...</svg> replaced by <img src="cid:..."> of its
 * PNG (alt: the chart's aria-label). Fills *pngs (*npngs of them). Returns the
 * new HTML, or NULL (reported) when a chart cannot be rendered.
 */
static char *charts_to_png(const char *html, const char *seed, struct chart_png **pngs, size_t *npngs)
{
	struct ct_buf out = CT_BUF_INIT;
	const char *p = html, *svg;
	size_t alloc = 0;
	*pngs = NULL;
	*npngs = 0;
	while ((svg = strstr(p, "<svg ")) != NULL) {
		const char *gt = strchr(svg, '>'), *end = strstr(svg, "</svg>");
		if (!gt || !end)
			break;
		end += 6;
		CT_ALLOC_GROW(*pngs, *npngs + 1, alloc);
		struct chart_png *c = &(*pngs)[(*npngs)++];
		memset(c, 0, sizeof(*c));
		int w = svg_to_png(svg, (size_t)(end - svg), &c->png);
		if (w < 0) {
			ct_buf_release(&out);
			return NULL;
		}
		snprintf(c->cid, sizeof(c->cid), "chart%zu.%016llx@casetrail", *npngs,
			 (unsigned long long)ct_hash64(seed, strlen(seed), *npngs));
		char *alt = attr_of(svg, gt, "aria-label");
		ct_buf_add(&out, p, (size_t)(svg - p));
		/* alt is already HTML-escaped: it was written into the SVG so */
		ct_buf_addf(&out, "<img src=\"cid:%s\" alt=\"%s\" width=\"%d\" style=\"max-width:100%%;height:auto\">",
			    c->cid, alt ? alt : "chart", w);
		free(alt);
		p = end;
	}
	ct_buf_addstr(&out, p);
	return ct_buf_detach(&out, NULL);
}

/*
 * The mail: multipart/alternative of text/plain and a multipart/related of
 * text/html and its charts (image/png, Content-ID), or just text/html when
 * it has no charts. Returns NULL (reported) when a chart cannot be rendered.
 */
static char *build_message(const char *from, const char *to, const char *subject, const char *text,
			   const char *html)
{
	struct ct_buf m = CT_BUF_INIT;
	char date[64], boundary[64], related[72];
	time_t now = time(NULL);
	struct tm tm;
	struct chart_png *pngs;
	size_t npngs;
	char *mail_html = charts_to_png(html, to, &pngs, &npngs);
	if (!mail_html) {
		for (size_t i = 0; i < npngs; i++)
			ct_buf_release(&pngs[i].png);
		free(pngs);
		return NULL;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "casetrail-%ld-%d", (long)now, (int)getpid());
	snprintf(related, sizeof(related), "%s-related", boundary);
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
	if (npngs)
		ct_buf_addf(&m, "--%s\r\nContent-Type: multipart/related; type=\"text/html\"; boundary=\"%s\"\r\n\r\n"
			    "--%s\r\n", boundary, related, related);
	else
		ct_buf_addf(&m, "--%s\r\n", boundary);
	ct_buf_addstr(&m, "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	base64_lines(&m, mail_html, strlen(mail_html));
	for (size_t i = 0; i < npngs; i++) {
		ct_buf_addf(&m, "--%s\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
			    "Content-ID: <%s>\r\nContent-Disposition: inline; filename=\"chart%zu.png\"\r\n\r\n",
			    related, pngs[i].cid, i + 1);
		base64_lines(&m, pngs[i].png.buf, pngs[i].png.len);
		ct_buf_release(&pngs[i].png);
	}
	if (npngs)
		ct_buf_addf(&m, "--%s--\r\n", related);
	ct_buf_addf(&m, "--%s--\r\n", boundary);
	free(pngs);
	free(mail_html);
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
	if (!msg)
		return -1;
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
