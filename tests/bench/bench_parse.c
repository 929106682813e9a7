/*
 * bench_parse.c - MIME decoding speed: parses every file under a Maildir
 * directory (cur/ and new/ of every folder below it) with ct_mime_parse and
 * prints messages/s and MiB/s, for the parse alone and with the file reads.
 *
 *   bench_parse DIR [ROUNDS]     best of ROUNDS (default 3) passes
 */
#include "../../ingest/ingest.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files in every cur/ and new/ below dir (Maildir++ folders included). */
static void collect(const char *dir, struct ct_strlist *files, int in_mailbox)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *p = ct_xstrfmt("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (strcmp(de->d_name, "tmp"))
				collect(p, files, !strcmp(de->d_name, "cur") || !strcmp(de->d_name, "new"));
			free(p);
		} else if (in_mailbox && S_ISREG(st.st_mode)) {
			ct_strlist_push_owned(files, p);
		} else {
			free(p);
		}
	}
	closedir(d);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	struct ct_strlist files = CT_STRLIST_INIT;
	struct ct_buf b = CT_BUF_INIT;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	double best_total = 0, best_parse = 0;
	size_t bytes = 0, warned = 0, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_parse MAILDIR [ROUNDS]\n");
		return 2;
	}
	collect(argv[1], &files, 0);
	if (!files.n) {
		fprintf(stderr, "bench_parse: no messages under '%s' (cur/ or new/)\n", argv[1]);
		return 1;
	}
	qsort(files.v, files.n, sizeof(*files.v), by_name);
	ct_quiet = 1;
	for (int r = 0; r < (rounds < 1 ? 1 : rounds); r++) {
		double t0 = ct_now_mono(), tparse = 0;
		bytes = warned = failed = 0;
		for (size_t i = 0; i < files.n; i++) {
			struct ct_item it;
			ct_buf_reset(&b);
			if (ct_buf_read_file(&b, files.v[i]) < 0) {
				failed++;
				continue;
			}
			double p0 = ct_now_mono();
			ct_item_init(&it);
			if (ct_mime_parse(b.buf, b.len, 0, &it) < 0)
				failed++;
			tparse += ct_now_mono() - p0;
			if (it.warnings.n)
				warned++;
			bytes += b.len;
			ct_item_free(&it);
		}
		double total = ct_now_mono() - t0;
		if (!r || total < best_total)
			best_total = total;
		if (!r || tparse < best_parse)
			best_parse = tparse;
	}
	double mib = (double)bytes / (1024.0 * 1024.0);
	printf("bench_parse: %zu messages, %.1f MiB (%zu with warnings, %zu not parsed)\n", files.n, mib,
	       warned, failed);
	printf("parse only:      %.3f s  %8.0f msgs/s  %7.1f MiB/s\n", best_parse, files.n / best_parse,
	       mib / best_parse);
	printf("read + parse:    %.3f s  %8.0f msgs/s  %7.1f MiB/s\n", best_total, files.n / best_total,
	       mib / best_total);
	ct_buf_release(&b);
	ct_strlist_clear(&files);
	return 0;
}
