/*
 * cmd_store.c - "casetrail store check": SQLite's integrity check over every
 * page of the store, for when a command said the store is damaged (or before
 * a backup is trusted); "casetrail store copy": the whole store into another,
 * empty one (a SQLite file to PostgreSQL and back); "store grant", "store
 * revoke" and "store access": who reads a PostgreSQL store (store/access.c).
 * Subcommands dispatch here, as in cmd_rules.c.
 */
#include "cli.h"
#include "../report/report.h"
#include "../store/store.h"

#include <jansson.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_main[] =
	"usage: casetrail [--db PATH|URL] store check\n"
	"       casetrail [--db PATH|URL] store copy --to PATH|URL\n"
	"       casetrail [--db URL] store grant ROLE (--department NAME... | --all) [--login]\n"
	"       casetrail [--db URL] store revoke ROLE\n"
	"       casetrail [--db URL] store access [--format F]\n"
	"\n"
	"  check    read every page of the store and list what is damaged\n"
	"  copy     copy the whole store into another, empty one\n"
	"  grant    let a PostgreSQL role read the cases of its departments (or all)\n"
	"  revoke   take that back\n"
	"  access   list the roles granted access, and what each reads\n";

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

static const char usage_grant[] =
	"usage: casetrail [-c CONFIG] [--db URL] store grant ROLE --department NAME [--department NAME]... [--login]\n"
	"       casetrail [-c CONFIG] [--db URL] store grant ROLE --all [--login]\n"
	"\n"
	"Lets the PostgreSQL role ROLE read the store, and nothing else: with --department,\n"
	"only the cases whose routing trail names one of the departments (their items, tags,\n"
	"routing, promises and decisions with them), enforced by PostgreSQL's row-level\n"
	"security for casetrail and raw SQL alike; with --all, everything (an audit role).\n"
	"The role is created when missing. Run it as the store's owner (the role that\n"
	"created its tables); a second grant to a role replaces the first. PostgreSQL only.\n"
	"\n"
	"  --department NAME   a department the role reads (repeat for more)\n"
	"  --all               the role reads every case\n"
	"  --login             the role may log in (a new role is NOLOGIN without it);\n"
	"                      set its password with ALTER ROLE, or use pg_hba.conf\n"
	"  -h, --help          this help\n"
	"\n"
	"Exit status: 0 ok, 1 the grant failed, 2 bad usage or a SQLite store.\n";

static const char usage_revoke[] =
	"usage: casetrail [-c CONFIG] [--db URL] store revoke ROLE\n"
	"\n"
	"Takes back what 'store grant' gave ROLE: it reads nothing of the store any more.\n"
	"The role itself stays (DROP ROLE removes it). A role dropped outside casetrail,\n"
	"which 'store access' lists as missing, leaves the list. PostgreSQL only.\n"
	"\n"
	"  -h, --help   this help\n"
	"\n"
	"Exit status: 0 ok, 1 the revoke failed, 2 bad usage or a SQLite store.\n";

static const char usage_access[] =
	"usage: casetrail [-c CONFIG] [--db URL] store access [--format table|csv|json|markdown|html]\n"
	"\n"
	"Lists the PostgreSQL roles that 'store grant' let read the store, by name: what\n"
	"each reads (all, or its departments), whether it may log in, and whether the\n"
	"role still exists: a role dropped outside casetrail is shown as missing (it\n"
	"reads nothing; 'store revoke ROLE' takes it off the list). Run it as the\n"
	"store's owner to see every role; another role sees its own grant only.\n"
	"Reads only. PostgreSQL only.\n"
	"\n"
	"  --format F   table (default on a terminal), json (default otherwise), csv,\n"
	"               markdown, html\n"
	"  -h, --help   this help\n"
	"\n"
	"Exit status: 0 ok (also when no role has access), 1 the store cannot be read,\n"
	"2 bad usage or a SQLite store.\n";

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

/* The store for grant and revoke (a writer: its owner) and access (a reader): a PostgreSQL one. */
static int open_postgres_store(struct ct_cli *cli, const char *command, int writable)
{
	const char *path = ct_cli_store_path(cli);
	if (!path)
		return 2;
	if (!ct_store_is_url(path)) {
		ct_error("store %s: '%s' is a SQLite file: access control needs a PostgreSQL store",
			 command, path);
		ct_hint("a SQLite file is protected by its file permissions: whoever can read it reads "
			"every case; put the store on PostgreSQL ([store] url) to give leaders their "
			"departments only");
		return 2;
	}
	return ct_cli_open_store(cli, writable) ? 1 : 0;
}

static int cmd_grant(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "department", required_argument, NULL, 'd' },
		{ "all", no_argument, NULL, 'a' },
		{ "login", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ct_store_access a = { 0 };
	const char **depts = NULL;
	size_t ndepts = 0;
	int c, ret = 2, did = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			depts = ct_realloc(depts, (ndepts + 1) * sizeof(*depts));
			depts[ndepts++] = optarg;
			break;
		case 'a': a.all = 1; break;
		case 'l': a.login = 1; break;
		case 'h': fputs(usage_grant, stdout); ret = 0; goto out;
		default: fputs(usage_grant, stderr); goto out;
		}
	}
	if (optind >= argc) {
		ct_error("store grant: which role?");
		fputs(usage_grant, stderr);
		goto out;
	}
	if (argc - optind > 1) {
		ct_error("store grant takes one role ('%s' is one too many)", argv[optind + 1]);
		fputs(usage_grant, stderr);
		goto out;
	}
	a.role = argv[optind];
	if (a.all == !!ndepts) {
		ct_error(a.all ? "store grant: --all and --department exclude each other"
			       : "store grant: say what the role reads: --department NAME, or --all");
		fputs(usage_grant, stderr);
		goto out;
	}
	ret = open_postgres_store(cli, "grant", 1);
	if (ret)
		goto out;
	ret = 2;
	/* The configuration's or the store's spelling of each department. */
	for (size_t i = 0; i < ndepts; i++)
		if (ct_cli_department(cli, &depts[i]))
			goto out;
	a.departments = depts;
	a.ndepartments = ndepts;
	ret = 1;
	if (ct_store_grant(cli->store, &a, &did))
		goto out;
	if (!cli->quiet) {
		printf("role '%s'%s reads ", a.role,
		       did & CT_STORE_GRANT_CREATED ? (a.login ? " (created, may log in)" : " (created, NOLOGIN)")
		       : did & CT_STORE_GRANT_LOGIN ? " (may now log in)" : "");
		if (a.all)
			fputs("every case of the store\n", stdout);
		else {
			fputs("the cases that touched ", stdout);
			for (size_t i = 0; i < ndepts; i++)
				printf("%s%s", i ? (i + 1 == ndepts ? " or " : ", ") : "", depts[i]);
			putchar('\n');
		}
	}
	if (did & CT_STORE_GRANT_BYPASSES)
		ct_warn("role '%s' is a superuser, has BYPASSRLS or is a member of the store's owner: it "
			"reads every case whatever it was granted", a.role);
	if (did & CT_STORE_GRANT_JIT) {
		ct_warn("cannot turn JIT off for role '%s': its reports may spend seconds compiling "
			"queries", a.role);
		ct_hint("an administrator runs: ALTER ROLE %s SET jit = off", a.role);
	}
	ret = 0;
out:
	free(depts);
	return ret;
}

static int cmd_revoke(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, had = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(usage_revoke, stdout); return 0;
		default: fputs(usage_revoke, stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		ct_error(optind >= argc ? "store revoke: which role?" : "store revoke takes one role");
		fputs(usage_revoke, stderr);
		return 2;
	}
	int ret = open_postgres_store(cli, "revoke", 1);
	if (ret)
		return ret;
	if (ct_store_revoke(cli->store, argv[optind], &had))
		return 1;
	if (!cli->quiet)
		printf(had ? "role '%s' reads nothing of the store any more\n"
			   : "role '%s' had no access to the store: nothing to take back\n", argv[optind]);
	return 0;
}

struct access_ctx {
	json_t *arr;                  /* json */
	struct ct_doc_table *t;       /* every other format */
	size_t n;
};

static int access_one(const struct ct_store_access *a, int exists, void *data)
{
	struct access_ctx *x = data;
	x->n++;
	if (x->arr) {
		json_t *o = json_object(), *d = json_array();
		json_object_set_new(o, "role", json_string(a->role));
		json_object_set_new(o, "all", json_boolean(a->all));
		for (size_t i = 0; i < a->ndepartments; i++)
			json_array_append_new(d, json_string(a->departments[i]));
		json_object_set_new(o, "departments", d);
		json_object_set_new(o, "login", exists ? json_boolean(a->login) : json_null());
		json_object_set_new(o, "exists", json_boolean(exists));
		json_array_append_new(x->arr, o);
		return 0;
	}
	struct ct_buf scope = CT_BUF_INIT;
	if (a->all)
		ct_buf_addstr(&scope, "all");
	for (size_t i = 0; !a->all && i < a->ndepartments; i++)
		ct_buf_addf(&scope, "%s%s", i ? ", " : "", a->departments[i]);
	ct_doc_row(x->t, a->role, scope.buf, exists ? (a->login ? "yes" : "no") : "-",
		   exists ? "yes" : "missing");
	ct_buf_release(&scope);
	return 0;
}

static int cmd_access(int argc, char **argv, struct ct_cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ct_format fmt = ct_default_format();
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': if (ct_parse_format(optarg, &fmt)) return 2; break;
		case 'h': fputs(usage_access, stdout); return 0;
		default: fputs(usage_access, stderr); return 2;
		}
	}
	if (optind < argc) {
		ct_error("store access takes no arguments ('%s')", argv[optind]);
		fputs(usage_access, stderr);
		return 2;
	}
	int ret = open_postgres_store(cli, "access", 0);
	if (ret)
		return ret;
	struct ct_doc doc;
	struct access_ctx x = { 0 };
	ct_doc_init(&doc, "Store access");
	if (fmt == CT_FMT_JSON) {
		x.arr = json_array();
	} else {
		x.t = ct_doc_table(&doc, "", "role|~reads|login|role exists");
		ct_doc_table_csv_names(x.t, "role|reads|login|exists");
		doc.csv = x.t;
	}
	int rc = ct_store_access_list(cli->store, access_one, &x);
	if (!rc && x.arr) {
		if (json_dumpf(x.arr, stdout, JSON_INDENT(2)) || fputc('\n', stdout) == EOF)
			rc = ct_error("cannot write the list");
	} else if (!rc && !x.n && fmt == CT_FMT_TABLE) {
		puts("no role has been granted access");
	} else if (!rc) {
		if (!x.n)
			ct_doc_text(&doc, "no role has been granted access");
		rc = ct_doc_emit(&doc, fmt, stdout, ct_term_width(stdout));
	}
	json_decref(x.arr);
	ct_doc_release(&doc);
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
	if (!strcmp(argv[1], "grant"))
		return cmd_grant(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "revoke"))
		return cmd_revoke(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "access"))
		return cmd_access(argc - 1, argv + 1, cli);
	ct_opt_unknown("store command", argv[1], "check, copy, grant, revoke, access");
	fputs(usage_main, stderr);
	return 2;
}
