/* http.c - JSON over HTTP(S) for the helpdesk fetchers, with retries. */
#include "http_p.h"
#include "../config/config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int ct_http_init(struct ct_http *h, const char *source, const char *base, const char *auth_header,
		 const char *ca_file, int verify, long timeout)
{
	memset(h, 0, sizeof(*h));
	h->source = source;
	h->tries = 4;
	h->timeout = timeout > 0 ? timeout : 60;
	h->curl = curl_easy_init();
	if (!h->curl)
		return ct_error("source '%s': cannot set up libcurl", source);
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	h->base = ct_strndup(base, n);
	h->headers = curl_slist_append(h->headers, "Accept: application/json");
	if (auth_header)
		h->headers = curl_slist_append(h->headers, auth_header);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, h->timeout < 30 ? h->timeout : 30L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, h->timeout);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "casetrail");
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	if (ca_file)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, ca_file);
	if (!verify) {
		ct_warn("source '%s': tls_verify = no: the server's certificate is not checked", source);
		curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return 0;
}

int ct_http_open_source(struct ct_http *h, const struct ct_config *cfg, const struct ct_source *src,
			const char *api_path, char **secret)
{
	int err = 0;
	const char *url = ct_source_get(src, "url");
	long timeout = ct_source_get_long(src, "timeout", 60, &err);
	int verify = ct_source_get_bool(src, "tls_verify", 1, &err);
	*secret = NULL;
	memset(h, 0, sizeof(*h));
	if (err)
		return -1;
	if (!url)
		return ct_error("source '%s': no url", src->name);
	*secret = ct_source_secret(src, "token_command", "token_env");
	if (!*secret)
		return -1;
	size_t ul = strlen(url);
	while (ul && url[ul - 1] == '/')
		ul--;
	char *base = ct_xstrfmt("%.*s%s", (int)ul, url, api_path);
	const char *ca_key = ct_source_get(src, "tls_ca_file");
	char *ca = ca_key ? ct_config_resolve(cfg, ca_key) : NULL;
	int rc = ct_http_init(h, src->name, base, NULL, ca, verify, timeout);
	free(base);
	free(ca);
	if (rc) {
		ct_http_forget(*secret);
		*secret = NULL;
	}
	return rc;
}

void ct_http_add_header(struct ct_http *h, const char *header)
{
	h->headers = curl_slist_append(h->headers, header);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
}

void ct_http_forget(char *secret)
{
	if (!secret)
		return;
	memset(secret, 0, strlen(secret));
	free(secret);
}

void ct_http_release(struct ct_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h->base);
	memset(h, 0, sizeof(*h));
}

char *ct_http_escape(struct ct_http *h, const char *s)
{
	char *e = curl_easy_escape(h->curl, s, 0);
	char *r = ct_strdup(e ? e : "");
	curl_free(e);
	return r;
}

static size_t write_cb(char *p, size_t size, size_t n, void *data)
{
	ct_buf_add(data, p, size * n);
	return size * n;
}

struct hdr_state {
	long retry_after;
};

static size_t header_cb(char *p, size_t size, size_t n, void *data)
{
	struct hdr_state *hs = data;
	size_t len = size * n;
	if (len > 12 && !strncasecmp(p, "Retry-After:", 12))
		hs->retry_after = strtol(p + 12, NULL, 10);
	return len;
}

/* Sleeps ms milliseconds. */
static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The wait before retry n (1, 2, 3): 1 s, 2 s, 4 s; CASETRAIL_NET_BACKOFF_MS
   (tests) sets the first step in ms. */
static long backoff_ms(int attempt)
{
	const char *ms = getenv("CASETRAIL_NET_BACKOFF_MS");
	return (ms ? atol(ms) : 1000L) << (attempt - 1);
}

/* "1 s" or "100 ms", for messages; buf holds 32 bytes. */
static const char *span(char *buf, long ms)
{
	if (ms % 1000)
		snprintf(buf, 32, "%ld ms", ms);
	else
		snprintf(buf, 32, "%ld s", ms / 1000);
	return buf;
}

int ct_http_get_json(struct ct_http *h, const char *path, json_t **out)
{
	struct ct_buf body = CT_BUF_INIT;
	char *url = ct_xstrfmt("%s%s", h->base, path);
	/* the path only, for messages: no host credentials, no tokens in queries */
	char shown[200];
	snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(path, "?"), path);
	int ret = -1;
	*out = NULL;
	for (int attempt = 1; attempt <= h->tries; attempt++) {
		struct hdr_state hs = { -1 };
		long status = 0;
		ct_buf_reset(&body);
		h->errbuf[0] = '\0';
		curl_easy_setopt(h->curl, CURLOPT_URL, url);
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &body);
		curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, header_cb);
		curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &hs);
		CURLcode rc = curl_easy_perform(h->curl);
		long wait = backoff_ms(attempt);
		char shown_wait[32];
		if (rc != CURLE_OK) {
			if (rc == CURLE_SSL_CACERT || rc == CURLE_PEER_FAILED_VERIFICATION ||
			    rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_UNSUPPORTED_PROTOCOL ||
			    rc == CURLE_URL_MALFORMAT || rc == CURLE_COULDNT_RESOLVE_HOST) {
				ct_error("source '%s': GET %s failed: %s", h->source, shown,
					 *h->errbuf ? h->errbuf : curl_easy_strerror(rc));
				ct_hint("check url, tls_ca_file and tls_verify of [source %s]", h->source);
				goto out;
			}
			if (attempt < h->tries) {
				ct_warn("source '%s': GET %s: %s; retrying in %s", h->source, shown,
					*h->errbuf ? h->errbuf : curl_easy_strerror(rc), span(shown_wait, wait));
				nap(wait);
				continue;
			}
			ct_error("source '%s': GET %s failed after %d attempts: %s", h->source, shown, attempt,
				 *h->errbuf ? h->errbuf : curl_easy_strerror(rc));
			ct_hint("check url of [source %s] and that the server is reachable; timeout = %ld s",
				h->source, h->timeout);
			goto out;
		}
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status == 429 || status >= 500) {
			if (status == 429 && hs.retry_after >= 0)
				wait = 1000 * (hs.retry_after > 300 ? 300 : hs.retry_after);
			if (attempt < h->tries) {
				ct_warn("source '%s': GET %s: HTTP %ld; retrying in %s", h->source, shown, status,
					span(shown_wait, wait));
				nap(wait);
				continue;
			}
			ct_error("source '%s': GET %s: HTTP %ld after %d attempts", h->source, shown, status, attempt);
			goto out;
		}
		if (status == 401 || status == 403) {
			ct_error("source '%s': GET %s: HTTP %ld, the server refused the credentials", h->source,
				 shown, status);
			ct_hint("check user and token_command/token_env of [source %s]", h->source);
			goto out;
		}
		if (status != 200) {
			ct_error("source '%s': GET %s: HTTP %ld", h->source, shown, status);
			if (status == 404)
				ct_hint("check url of [source %s]", h->source);
			goto out;
		}
		json_error_t jerr;
		*out = json_loadb(body.buf, body.len, 0, &jerr);
		if (!*out) {
			ct_error("source '%s': GET %s: the answer is not JSON: %s (line %d)", h->source, shown,
				 jerr.text, jerr.line);
			goto out;
		}
		ret = 0;
		break;
	}
out:
	free(url);
	ct_buf_release(&body);
	return ret;
}
