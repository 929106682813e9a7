/*
 * cmd_store.c - "casetrail store check": SQLite's integrity check over every
 * page of the store, for when a command said the store is damaged (or before
 * a backup is trusted); "casetrail store copy": the whole store into another,
 * empty one (a SQLite file to PostgreSQL and back). Subcommands dispatch
 * here, as in cmd_rules.c.
 */
#include "cli.h"
#include "../store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
	"usage: casetrail [--db PATH|URL] store check|copy\n"
	"\n"
	"  check   read every page of the store and list what is damaged\n"
	"  copy    copy the whole store into another, empty one (--to PATH|URL)\n";

static const char usage_copy[] =
	"usage: casetrail [-c CONFIG] [--db PATH|URL] store copy --to PATH|URL\n"
	"\n"
	"Copies every row of the store (items, cases, routing, tags, decisions,\n"
	"promises, seen keys and cursors) into another store, which must be empty: a\n"
	"new SQLite file, or an empty PostgreSQL database (postgresql://user@host/db).\n"
	"Ids are kept, so case numbers and every report read the same afterwards.\n"
	"The source is read in one transaction and the target written in one: a copy\n"
	"that fails leaves the target empty. The target's password comes from libpq's\n"
	"own ways (PGPASSWORD, ~/.pgpass, a client certificate). Prints the rows per\n"
	"table on both sides at the end.\n"
	"\n"
	"  --to TARGET  the store to fill: a file path or a postgresql:// URL\n"
	"  -h, --help   this help\n"
	"\n"
	"Exit status: 0 copied, 1 failed (the target is left empty), 2 bad usage.\n";

static const char usage_check[] =
	"usage: casetrail [-c CONFIG] [--db PATH] store check\n"
	"\n"
	"Reads every page and index of the store (SQLite's PRAGMA integrity_check) and\n"
	"prints \"ok\", or one line per problem found. Reads only; it works on a store\n"
	"that other commands refuse as damaged. Takes about as long as reading the file.\n"
	"\n"
	"  -h, --help   this help\n"
	"\n"
	"Exit status: 0 ok, 1 problems found (or the store cannot be read), 2 bad usage.\n";

static int print_problem(const char *problem, void *data)
{
	puts(problem);
	return 0;
}

static int cmd_check(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(usage_check, stdout); return 0;
		default: fputs(usage_check, stderr); return 2;
		}
	}
	if (optind < argc) {
		ct_error("store check takes no arguments ('%s')", argv[optind]);
		fputs(usage_check, stderr);
		return 2;
	}
	const char *path = ct_cli_store_path(cli);
	if (!path)
		return 2;
	char *password = NULL;
	if (ct_cli_store_password(cli, path, &password))
		return 1;
	int n = ct_store_check(path, password, print_problem, NULL);
	ct_cli_password_free(password);
	if (n < 0)
		return 1;
	if (n == 0) {
		puts("ok");
		return 0;
	}
	ct_error("store '%s': %d problem%s found", path, n, n == 1 ? "" : "s");
	ct_hint("restore the store from a backup; SQLite's '.recover' (sqlite3 tool) may save "
		"what is readable");
	return 1;
}

static void copy_progress(const char *table, long rows, int done, void *data)
{
	struct ct_cli *cli = data;
	if (cli->quiet || !isatty(2))
		return;
	fprintf(stderr, "\rstore copy: %s: %ld row%s%s\033[K", table, rows, rows == 1 ? "" : "s",
		done ? "" : "...");
}

static void print_counts(const char *table, long na, long nb, void *data)
{
	printf("%-18s %10ld %10ld%s\n", table, na, nb, na == nb ? "" : "   DIFFERENT");
}

static int cmd_copy(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'h': fputs(usage_copy, stdout); return 0;
		default: fputs(usage_copy, stderr); return 2;
		}
	}
	if (optind < argc) {
		ct_error("store copy takes no arguments ('%s')", argv[optind]);
		fputs(usage_copy, stderr);
		return 2;
	}
	if (!to || !*to) {
		ct_error("store copy needs --to PATH or --to postgresql://...");
		fputs(usage_copy, stderr);
		return 2;
	}
	const char *from = ct_cli_store_path(cli);
	if (!from)
		return 2;
	if (!strcmp(from, to)) {
		ct_error("store copy: --to names the store itself");
		return 2;
	}
	if (!ct_store_is_url(to) && access(to, F_OK) == 0) {
		ct_error("'%s' exists: store copy writes a new file (or an empty PostgreSQL database)", to);
		return 2;
	}
	/* The source is opened for writing: a store of an older schema is brought up to date first. */
	if (ct_cli_open_store(cli, 1))
		return 1;
	struct ct_store_options opt = { 0 };
	struct ct_store *dst = NULL;
	if (ct_store_open(to, 1, &opt, &dst))
		return 1;
	int rc = ct_store_copy(cli->store, dst, copy_progress, cli);
	if (!cli->quiet && isatty(2))
		fputs("\r\033[K", stderr);
	if (!rc) {
		if (!cli->quiet)
			printf("%-18s %10s %10s\n", "table", "source", "copy");
		rc = ct_store_compare_counts(cli->store, dst, cli->quiet ? NULL : print_counts, NULL);
		if (rc)
			ct_error("the copy's rows differ from the source's (see above)");
	}
	ct_store_close(dst);
	return rc ? 1 : 0;
}

int ct_cmd_store(int argc, char **argv, struct ct_cli *cli)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "copy"))
		return cmd_copy(argc - 1, argv + 1, cli);
	ct_opt_unknown("store command", argv[1], "check");
	fputs(usage_main, stderr);
	return 2;
}
