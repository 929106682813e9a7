/*
 * driver.c - runs a fuzz target without libFuzzer, so that every target
 * also builds with gcc and runs in make check over its committed seeds.
 *
 *   fuzz_NAME [-runs=N] [-seed=S] [-max_len=L] FILE|DIR...
 *
 * Runs LLVMFuzzerTestOneInput on every file given (directories: every file
 * in them, sorted), then on N deterministic mutations of each (default 0):
 * bit flips, random bytes, special bytes, truncations, insertions, deletions
 * and duplicated runs, one to four per mutant, from a fixed PRNG seed, so a
 * failure is reproduced by running the same command again. A failing
 * mutation is left in failure-NAME beside the binary. Options look
 * like libFuzzer's so the same command lines work with both; unknown ones
 * are ignored.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: small, and the same sequence on every machine. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

static const char special[] = { '\0', '\n', '\r', ' ', '\t', ':', ';', '=', '?', '<', '>', '"', '\\', '-',
				'[', ']', '{', '}', ',', '/', (char)0x80, (char)0xC3, (char)0xE2, (char)0xF4,
				(char)0xFF };

/* One random edit of b, kept within max bytes. */
static void mutate_once(struct ct_buf *b, size_t max)
{
	size_t len = b->len;
	switch (below(7)) {
	case 0: /* flip a bit */
		if (len)
			b->buf[below(len)] ^= (char)(1u << below(8));
		break;
	case 1: /* a random byte */
		if (len)
			b->buf[below(len)] = (char)rng();
		break;
	case 2: /* a byte parsers look at */
		if (len)
			b->buf[below(len)] = special[below(sizeof(special))];
		break;
	case 3: /* truncate */
		if (len)
			ct_buf_setlen(b, below(len));
		break;
	case 4: { /* insert 1-8 bytes */
		size_t n = 1 + below(8), at = below(len + 1);
		if (len + n > max)
			break;
		ct_buf_grow(b, n);
		memmove(b->buf + at + n, b->buf + at, len - at);
		for (size_t i = 0; i < n; i++)
			b->buf[at + i] = below(2) ? special[below(sizeof(special))] : (char)rng();
		ct_buf_setlen(b, len + n);
		break;
	}
	case 5: { /* delete a run */
		if (!len)
			break;
		size_t at = below(len), n = 1 + below(len - at < 64 ? len - at : 64);
		memmove(b->buf + at, b->buf + at + n, len - at - n);
		ct_buf_setlen(b, len - n);
		break;
	}
	default: { /* copy a run of the input somewhere else in it */
		if (!len)
			break;
		size_t from = below(len), n = 1 + below(len - from < 256 ? len - from : 256), at = below(len + 1);
		if (len + n > max)
			break;
		char run[256];
		memcpy(run, b->buf + from, n);
		ct_buf_grow(b, n);
		memmove(b->buf + at + n, b->buf + at, len - at);
		memcpy(b->buf + at, run, n);
		ct_buf_setlen(b, len + n);
		break;
	}
	}
}

static const char *target_name = "fuzz";
static size_t executions;

/* Runs the target on a copy of data sized exactly, so reads past the end are caught. */
static void run_one(const char *data, size_t len)
{
	uint8_t *copy = ct_malloc(len ? len : 1);
	memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	executions++;
}

static char failure_path[4096];

/* The mutant about to run, kept when it fails (removed at a clean exit). */
static void save_failure(const char *data, size_t len)
{
	FILE *f = fopen(failure_path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void run_file(const char *path, unsigned long runs, unsigned long seed, size_t max_len)
{
	struct ct_buf in = CT_BUF_INIT, m = CT_BUF_INIT;
	if (ct_buf_read_file(&in, path) != 0) {
		fprintf(stderr, "%s: cannot read '%s'\n", target_name, path);
		exit(2);
	}
	if (in.len > max_len)
		ct_buf_setlen(&in, max_len);
	fprintf(stderr, "%s: %s\n", target_name, path);
	run_one(in.buf, in.len);
	/* Each file gets its own sequence: adding a seed does not change the others' mutants. */
	rng_state = seed ^ ct_hash64(path, strlen(path), 0x9E3779B97F4A7C15ULL);
	if (!rng_state)
		rng_state = 1;
	for (unsigned long i = 0; i < runs; i++) {
		ct_buf_reset(&m);
		ct_buf_add(&m, in.buf, in.len);
		for (size_t k = 1 + below(4); k; k--)
			mutate_once(&m, max_len);
		save_failure(m.buf, m.len);
		run_one(m.buf, m.len);
	}
	ct_buf_release(&m);
	ct_buf_release(&in);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path, unsigned long runs, unsigned long seed, size_t max_len)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: '%s': %s\n", target_name, path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path, runs, seed, max_len);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *de;
	struct ct_strlist names = { 0 };
	if (!d) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", target_name, path, strerror(errno));
		exit(2);
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			ct_strlist_push(&names, de->d_name);
	closedir(d);
	qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		char *p = ct_xstrfmt("%s/%s", path, names.v[i]);
		run_path(p, runs, seed, max_len);
		free(p);
	}
	ct_strlist_clear(&names);
}

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long runs = 0, seed = 1;
	size_t max_len = 1 << 20;
	int nfiles = 0;
	const char *slash = strrchr(argv[0], '/');
	target_name = slash ? slash + 1 : argv[0];
	/* Beside the binary: a failing mutant is kept in the build directory. */
	snprintf(failure_path, sizeof(failure_path), "%.*sfailure-%s", slash ? (int)(slash + 1 - argv[0]) : 0,
		 argv[0], target_name);
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "-runs=", 6))
			runs = strtoul(argv[i] + 6, NULL, 10);
		else if (!strncmp(argv[i], "-seed=", 6))
			seed = strtoul(argv[i] + 6, NULL, 10);
		else if (!strncmp(argv[i], "-max_len=", 9))
			max_len = strtoul(argv[i] + 9, NULL, 10);
		else if (argv[i][0] != '-')
			nfiles++;
	}
	if (!nfiles) {
		fprintf(stderr, "usage: %s [-runs=N] [-seed=S] [-max_len=L] FILE|DIR...\n", target_name);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			run_path(argv[i], runs, seed, max_len);
	unlink(failure_path);
	if (!executions) {
		fprintf(stderr, "%s: no input files\n", target_name);
		return 2;
	}
	printf("%s: %zu executions, no failure\n", target_name, executions);
	return 0;
}
