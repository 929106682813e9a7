/*
 * ini.c - what every inih reader callback needs: inih reads a line into a
 * fixed buffer and silently cuts a longer one, and reports a [section] only
 * with its first key. The configuration and the rule file loaders share this.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

int ct_ini_line_cut(const char *buf, int size, int at_eof)
{
	size_t n = strlen(buf);
	return n == (size_t)size - 1 && buf[n - 1] != '\n' && !at_eof;
}

char *ct_ini_section_name(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	const char *e = *line == '[' ? strrchr(line, ']') : NULL;
	if (!e)
		return NULL;
	char *name = ct_strndup(line + 1, (size_t)(e - line - 1));
	char *t = ct_trim(name);
	memmove(name, t, strlen(t) + 1);
	return name;
}
