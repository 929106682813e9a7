/*
 * http_p.h - private to ingest/: a small JSON-over-HTTPS client for the
 * helpdesk fetchers (libcurl). One reused handle per source: keep-alive and
 * compression; retries with backoff on 5xx and network errors; 429 honours
 * Retry-After; errors name the source and the path, never the credentials.
 */
#ifndef CT_HTTP_P_H
#define CT_HTTP_P_H

#include "ingest.h"

#include <curl/curl.h>
#include <jansson.h>

struct ct_http {
	CURL *curl;
	struct curl_slist *headers;
	char *base;          /* "https://host/REST/2.0" */
	const char *source;  /* borrowed: the source name, for messages */
	int tries;           /* attempts per request (default 4) */
	long timeout;        /* seconds per request (connect and answer) */
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * Sets up h for base (no trailing slash). auth_header ("Authorization: token
 * ...") may be NULL; ca_file may be NULL; verify = 0 turns TLS checks off.
 * timeout is in seconds (60 when not positive): the connect and the whole
 * request, so a server that accepts and never answers fails the request
 * after that long. Returns 0 or -1 (reported).
 */
int ct_http_init(struct ct_http *h, const char *source, const char *base, const char *auth_header,
		 const char *ca_file, int verify, long timeout);
void ct_http_release(struct ct_http *h);

struct ct_config;
struct ct_source;
/*
 * ct_http_init for a helpdesk source: base = its url + api_path, with its
 * timeout, tls_ca_file and tls_verify. *secret receives the value of its
 * token_command/token_env (the caller wipes and frees it). 0 or -1 (reported).
 */
int ct_http_open_source(struct ct_http *h, const struct ct_config *cfg, const struct ct_source *src,
			const char *api_path, char **secret);
/* One more request header ("Name: value"). */
void ct_http_add_header(struct ct_http *h, const char *header);
/* Wipes and frees a secret. */
void ct_http_forget(char *secret);

/*
 * GET base + path (path starts with '/', query already encoded) and parse
 * the JSON answer. Returns 0 with *out set, or -1 after reporting.
 */
int ct_http_get_json(struct ct_http *h, const char *path, json_t **out);

/* URL-encodes s (for query values). */
char *ct_http_escape(struct ct_http *h, const char *s);

#endif
