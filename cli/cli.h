/*
 * cli.h - sub-command dispatch. Each command lives in cli/cmd_NAME.c and is
 * listed in the table in cli/main.c.
 *
 * How to add a command:
 *  1. Write cli/cmd_NAME.c with "int ct_cmd_NAME(int argc, char **argv,
 *     struct ct_cli *cli)"; argv[0] is the command name. Parse options with
 *     getopt_long (reset optind = 0 first) and answer --help with usage on
 *     stdout and exit status 0.
 *  2. Declare it below and add a row to the table in cli/main.c with its
 *     flags (CT_CMD_CONFIG: needs the configuration, CT_CMD_STORE: opens the
 *     store, CT_CMD_WRITES: writes the store) and a one-line summary.
 *  3. Document it in README.md and add a test under tests/.
 * Return 0 ok, 1 finished with reported errors, 2 bad usage/configuration.
 */
#ifndef CT_CLI_H
#define CT_CLI_H

#include "../base/base.h"
#include "../config/config.h"

struct ct_store;

/* Bounds of command-line numbers that several commands take. */
#define CT_MAX_HANDOFFS 1000   /* --min-handoffs */
#define CT_MAX_BATCH 1000000   /* --batch: items per transaction */

enum {
	CT_CMD_CONFIG = 1 << 0,   /* load the config (-c, default ./casetrail.conf) */
	CT_CMD_CONFIG_OPT = 1 << 1, /* load it if present, else an empty config */
	CT_CMD_STORE = 1 << 2,    /* open the store */
	CT_CMD_WRITES = 1 << 3,   /* open it read-write */
};

struct ct_cli {
	struct ct_config cfg;
	int have_config;          /* 1 when a config file was loaded */
	const char *config_path;  /* -c or NULL */
	const char *db_path;      /* --db or NULL */
	struct ct_store *store;   /* open when the command asked for it */
	int quiet;
};

/*
 * The rule set: [organization] rules, else the checkout's config/rules.conf for a
 * casetrail run from its checkout, else the installed one (beside the binary,
 * then the PREFIX it was built for); NULL if none. Borrowed.
 */
const char *ct_cli_rules_path(const struct ct_cli *cli);
/* Reports that ct_cli_rules_path() found none, naming where it looked; the caller adds a hint. */
void ct_cli_rules_missing(void);
struct ct_rules;
/*
 * Loads the rule file at path for the organization of cfg (NULL: none): its
 * departments' names, helpdesk groups and addresses become the rules'
 * org_dept and org_addr (ct_rules_load_org). Problems are printed; -1.
 */
int ct_cli_load_rules(const struct ct_config *cfg, const char *path, struct ct_rules **out);

/* Opens cli->store when it is not open yet (the path from --db or [store] path). */
/*
 * The store's password for target (a postgresql:// URL) from [store]
 * password_command or password_env: *out NULL when none is configured (or
 * target is a file). -1 reported. Free with ct_cli_password_free.
 */
int ct_cli_store_password(const struct ct_cli *cli, const char *target, char **out);
void ct_cli_password_free(char *password);
int ct_cli_open_store(struct ct_cli *cli, int writable);
/* The store's path: --db, else [store] path; NULL (reported) when neither says. */
const char *ct_cli_store_path(const struct ct_cli *cli);

/*
 * --department NAME of cases, report and audit: a department the
 * configuration or the store knows (any case of letters). Sets *name to the
 * spelling the store uses (written over the argument, which must be
 * writable: argv), or reports "unknown department 'X' (known: A, B)"
 * and returns -1 (the command exits 2).
 */
int ct_cli_department(struct ct_cli *cli, const char **name);

int ct_cmd_ingest(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_classify(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_rules(int argc, char **argv, struct ct_cli *cli);
/* rules masscheck, rules fit (cmd_rules_qa.c); argv[0] is the subcommand. */
int ct_cmd_rules_masscheck(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_rules_fit(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_cases(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_case(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_report(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_audit(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_site(int argc, char **argv, struct ct_cli *cli);
/* Corrections (cmd_decide.c): tag dismiss|confirm, item department, recompute,
   and case close|reopen|merge|split (argv[0] is the verb, called from ct_cmd_case). */
int ct_cmd_tag(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_item(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_recompute(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_case_decide(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_decisions(int argc, char **argv, struct ct_cli *cli);
/* report promises, report customers (cmd_report_promises.c); argv[0] is the report name. */
int ct_cmd_report_promises(int argc, char **argv, struct ct_cli *cli);
int ct_cmd_report_customers(int argc, char **argv, struct ct_cli *cli);
/* promise keep|break|drop|reopen ID (cmd_promise.c). */
int ct_cmd_promise(int argc, char **argv, struct ct_cli *cli);
/* store check (cmd_store.c). */
int ct_cmd_store(int argc, char **argv, struct ct_cli *cli);

#endif
