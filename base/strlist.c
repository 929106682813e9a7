/* strlist.c - lists of owned strings and small ASCII string helpers. */
#include "base.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ct_strlist_push_owned(struct ct_strlist *l, char *s)
{
	CT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = s;
}

void ct_strlist_push(struct ct_strlist *l, const char *s)
{
	ct_strlist_push_owned(l, ct_strdup(s));
}

int ct_strlist_has(const struct ct_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

int ct_strlist_has_ci(const struct ct_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcasecmp(l->v[i], s))
			return 1;
	return 0;
}

void ct_strlist_clear(struct ct_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

void ct_strlist_split(struct ct_strlist *l, const char *s, char sep)
{
	while (s && *s) {
		const char *e = strchr(s, sep);
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char *piece = ct_strndup(s, n);
		char *t = ct_trim(piece);
		if (*t)
			ct_strlist_push(l, t);
		free(piece);
		s = e ? e + 1 : NULL;
	}
}

char *ct_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void ct_lower_ascii(char *s)
{
	for (; s && *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int ct_starts_with_ci(const char *s, const char *prefix)
{
	return !strncasecmp(s, prefix, strlen(prefix));
}

int ct_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !memcmp(s + a - b, suffix, b);
}
