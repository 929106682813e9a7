/*
 * cmd_store.c - "casetrail store check": SQLite's integrity check over every
 * page of the store, for when a command said the store is damaged (or before
 * a backup is trusted). Subcommands dispatch here, as in cmd_rules.c.
 */
#include "cli.h"
#include "../store/store.h"

#include <getopt.h>
#include <string.h>

static const char usage_main[] =
	"usage: casetrail [--db PATH] store check\n"
	"\n"
	"  check   read every page of the store and list what is damaged\n";

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
	int n = ct_store_check(path, print_problem, NULL);
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
	ct_opt_unknown("store command", argv[1], "check");
	fputs(usage_main, stderr);
	return 2;
}
