/*
 * fetch_maildir.c - reads a Maildir: cur/ and new/ of the top folder and of
 * every Maildir++ subfolder (".Sub"); tmp/ is never read and need not exist.
 * A message's key is "FOLDER/UNIQUE", the file name without the ":2,FLAGS"
 * part, so a message whose flags change (renamed file) is not read again.
 */
#include "local_p.h"
#include "../config/config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct mfile {
	char *path;
	char *key;
};

struct mlist {
	struct mfile *v;
	size_t n, alloc;
};

static void scan_sub(const char *dir, const char *folder, struct mlist *l, int *errors)
{
	static const char *const subs[] = { "cur", "new" };
	for (size_t s = 0; s < CT_ARRAY_SIZE(subs); s++) {
		char *p = ct_xstrfmt("%s/%s", dir, subs[s]);
		DIR *d = opendir(p);
		if (!d) {
			if (errno != ENOENT) {
				ct_error("cannot read '%s': %s", p, strerror(errno));
				(*errors)++;
			}
			free(p);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			CT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
			struct mfile *f = &l->v[l->n++];
			f->path = ct_xstrfmt("%s/%s", p, de->d_name);
			const char *colon = strchr(de->d_name, ':');
			size_t un = colon ? (size_t)(colon - de->d_name) : strlen(de->d_name);
			f->key = ct_xstrfmt("%s/%.*s", folder, (int)un, de->d_name);
		}
		closedir(d);
		free(p);
	}
}

static int cmp_mfile(const void *a, const void *b)
{
	return strcmp(((const struct mfile *)a)->key, ((const struct mfile *)b)->key);
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int ct_maildir_ingest(const char *path, const char *source, const char *dept, struct ct_sink *sink)
{
	struct mlist l = { 0 };
	struct ct_buf raw = CT_BUF_INIT;
	int errors = 0, ret = 0;

	if (!is_dir(path))
		return ct_error("source '%s': '%s' is not a directory", source, path);
	char *cur = ct_xstrfmt("%s/cur", path), *new_ = ct_xstrfmt("%s/new", path);
	int looks = is_dir(cur) || is_dir(new_);
	free(cur);
	free(new_);
	scan_sub(path, ".", &l, &errors);
	/* Maildir++ subfolders */
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] != '.' || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char *sub = ct_xstrfmt("%s/%s", path, de->d_name);
			if (is_dir(sub)) {
				looks = 1;
				scan_sub(sub, de->d_name, &l, &errors);
			}
			free(sub);
		}
		closedir(d);
	}
	if (!looks) {
		ret = ct_error("source '%s': '%s' is not a Maildir (no cur/ or new/)", source, path);
		goto out;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_mfile);
	for (size_t i = 0; i < l.n; i++) {
		int seen = sink->seen(sink, source, l.v[i].key);
		if (seen < 0) {
			ret = -1;
			break;
		}
		if (sink->progress)
			sink->progress(sink, source, i + 1, l.n);
		if (seen)
			continue;
		struct stat st;
		ct_buf_reset(&raw);
		if (stat(l.v[i].path, &st) != 0 || ct_buf_read_file(&raw, l.v[i].path)) {
			/* vanished between readdir and open (moved new/ -> cur/): find it again next run */
			if (errno == ENOENT)
				continue;
			char *what = ct_xstrfmt("%s: cannot read '%s'", source, l.v[i].path);
			sink->fail(sink, what);
			free(what);
			continue;
		}
		if (ct_local_deliver(sink, raw.buf, raw.len, (ct_time)st.st_mtime, source, dept,
				     l.v[i].key)) {
			ret = -1;
			break;
		}
	}
out:
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].path);
		free(l.v[i].key);
	}
	free(l.v);
	ct_buf_release(&raw);
	return ret ? ret : errors ? -1 : 0;
}

static int run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	return ct_maildir_ingest(src->path, src->name, src->department, sink);
}

const struct ct_fetcher ct_fetch_maildir = { "maildir", run };
