/* main.c - global options and the table of sub-commands. */
#include "cli.h"
#include "../store/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CT_VERSION
#define CT_VERSION "0.1.0"
#endif

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct ct_cli *cli);
	int flags;
	const char *summary;
};

static const struct cmd commands[] = {
	{ "ingest", ct_cmd_ingest, CT_CMD_CONFIG_OPT, "read new mail and tickets into the store" },
	{ "classify", ct_cmd_classify, CT_CMD_CONFIG_OPT | CT_CMD_STORE | CT_CMD_WRITES,
	  "tag stored items again after the rules changed" },
	{ "rules", ct_cmd_rules, CT_CMD_CONFIG_OPT, "check rule files, test rules on a mail" },
	{ "cases", ct_cmd_cases, CT_CMD_CONFIG_OPT | CT_CMD_STORE, "list cases" },
	{ "case", ct_cmd_case, CT_CMD_CONFIG_OPT,
	  "show one case; close, reopen, merge or split cases by hand" },
	{ "tag", ct_cmd_tag, CT_CMD_CONFIG_OPT, "dismiss or confirm an item's tag by hand" },
	{ "item", ct_cmd_item, CT_CMD_CONFIG_OPT, "set an item's department by hand" },
	{ "decisions", ct_cmd_decisions, CT_CMD_CONFIG_OPT | CT_CMD_STORE, "list the decisions made by hand" },
	{ "recompute", ct_cmd_recompute, CT_CMD_CONFIG_OPT,
	  "recompute departments, sides and routing from the configuration" },
	{ "report", ct_cmd_report, CT_CMD_CONFIG_OPT | CT_CMD_STORE, "complaint reports, the promise ledger, customers seen by many" },
	{ "promise", ct_cmd_promise, CT_CMD_CONFIG_OPT | CT_CMD_STORE | CT_CMD_WRITES,
	  "decide a promise of the ledger by hand: keep, break, drop" },
	{ "audit", ct_cmd_audit, CT_CMD_CONFIG_OPT | CT_CMD_STORE, "audit cases passed between departments" },
	{ "site", ct_cmd_site, CT_CMD_CONFIG_OPT | CT_CMD_STORE, "write the static site of reports and cases" },
	{ "store", ct_cmd_store, CT_CMD_CONFIG_OPT, "check the store; copy it to another; who reads a PostgreSQL one" },
};

static void usage(FILE *out)
{
	fputs("usage: casetrail [-c CONFIG] [--db PATH|URL] [-q] COMMAND [options]\n"
	      "\n"
	      "Turns shared mailboxes and helpdesk tickets into cases with routing histories,\n"
	      "tags escalations (overpromises, billing disputes, handoffs) and reports on them.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < CT_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Options:\n"
	      "  -c, --config FILE  configuration (default ./casetrail.conf when present)\n"
	      "  --db PATH|URL      the store: a SQLite file or postgresql://user@host/db\n"
	      "                     (default: [store] path or url of the configuration)\n"
	      "  -q, --quiet        no warnings, no ingest summary, no 'wrote FILE' lines\n"
	      "                     (errors are still printed)\n"
	      "  --version          print the version\n"
	      "  -h, --help         this help; 'casetrail COMMAND --help' for a command\n"
	      "\n"
	      "Exit status: 0 ok, 1 finished with reported errors, 2 bad usage or configuration.\n"
	      "The manual: man casetrail, man casetrail.conf, man casetrail-rules.\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ct_cli cli;
	int c, ret;
	memset(&cli, 0, sizeof(cli));
	while ((c = getopt_long(argc, argv, "+c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli.config_path = optarg; break;
		case 'D': cli.db_path = optarg; break;
		case 'q': ct_quiet = 1; cli.quiet = 1; break;
		case 'V': printf("casetrail %s\n", CT_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const struct cmd *cmd = NULL;
	for (size_t i = 0; i < CT_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		ct_error("unknown command '%s'", argv[optind]);
		ct_hint("'casetrail --help' lists the commands");
		return 2;
	}
	/* --help needs neither configuration nor store. */
	for (int i = optind + 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return cmd->fn(argc - optind, argv + optind, &cli);
	}
	struct stat st;
	const char *cfg_path = cli.config_path;
	if (!cfg_path && stat("casetrail.conf", &st) == 0)
		cfg_path = "casetrail.conf";
	if (cfg_path) {
		if (ct_config_load(cfg_path, &cli.cfg)) {
			ct_config_release(&cli.cfg);
			return 2;
		}
		cli.have_config = 1;
	} else if (cmd->flags & CT_CMD_CONFIG) {
		ct_error("no configuration: './casetrail.conf' does not exist");
		ct_hint("pass -c FILE");
		return 2;
	} else {
		ct_config_init_empty(&cli.cfg);
	}
	if (cmd->flags & CT_CMD_STORE) {
		if (ct_cli_open_store(&cli, (cmd->flags & CT_CMD_WRITES) != 0)) {
			ct_config_release(&cli.cfg);
			return cli.db_path || cli.cfg.store_path ? 1 : 2;
		}
	}
	ret = cmd->fn(argc - optind, argv + optind, &cli);
	/* A read that met damaged pages may have stopped early without saying so. */
	if (cli.store && ct_store_check_damage(cli.store) && !ret)
		ret = 1;
	ct_store_close(cli.store);
	ct_config_release(&cli.cfg);
	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			ct_error("cannot write the output: %s", strerror(errno));
		return ret ? ret : 1;
	}
	return ret;
}
