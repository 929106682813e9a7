/* fetch_eml.c - reads single .eml files, or every file of a directory of them. */
#include "local_p.h"
#include "../config/config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int one(const char *path, const char *source, const char *dept, struct ct_sink *sink,
	       struct ct_buf *raw)
{
	struct stat st;
	char *key = NULL;
	ct_buf_reset(raw);
	if (stat(path, &st) != 0 || ct_buf_read_file(raw, path)) {
		char *what = ct_xstrfmt("%s: cannot read '%s'", source, path);
		sink->fail(sink, what);
		free(what);
		return 0;
	}
	int seen = ct_local_seen_content(sink, source, raw->buf, raw->len, &key);
	int rc = seen < 0 ? -1 : seen ? 0 :
		 ct_local_deliver(sink, raw->buf, raw->len, (ct_time)st.st_mtime, source, dept, key);
	free(key);
	return rc;
}

int ct_eml_ingest(const char *const *paths, size_t n, const char *source, const char *dept,
		  struct ct_sink *sink)
{
	struct ct_buf raw = CT_BUF_INIT;
	int ret = 0;
	for (size_t i = 0; i < n && !ret; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int k = scandir(paths[i], &names, NULL, alphasort);
			if (k < 0) {
				ret = ct_error("cannot read directory '%s'", paths[i]);
				break;
			}
			for (int j = 0; j < k; j++) {
				if (names[j]->d_name[0] != '.' && !ret) {
					char *p = ct_xstrfmt("%s/%s", paths[i], names[j]->d_name);
					struct stat fs;
					if (stat(p, &fs) == 0 && S_ISREG(fs.st_mode))
						ret = one(p, source, dept, sink, &raw);
					free(p);
				}
				free(names[j]);
			}
			free(names);
		} else {
			ret = one(paths[i], source, dept, sink, &raw);
		}
		if (sink->progress)
			sink->progress(sink, source, i + 1, n);
	}
	ct_buf_release(&raw);
	return ret;
}

static int run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	const char *p = src->path;
	return ct_eml_ingest(&p, 1, src->name, src->department, sink);
}

const struct ct_fetcher ct_fetch_eml = { "eml", run };
