/*
 * pending.c - weak fallbacks for parts that are not built in yet, so the
 * binary links while they land. Each strong definition elsewhere replaces its
 * fallback; every fallback fails loudly instead of pretending to work.
 */
#include "cli.h"
#include "../ingest/ingest.h"

#define PENDING(what) ct_error("%s is not available in this build", what)

__attribute__((weak)) int ct_cmd_rules(int argc, char **argv, struct ct_cli *cli)
{
	return PENDING("'rules'") ? 2 : 2;
}

__attribute__((weak)) int ct_cmd_classify(int argc, char **argv, struct ct_cli *cli)
{
	return PENDING("'classify'") ? 2 : 2;
}

__attribute__((weak)) int ct_cmd_report(int argc, char **argv, struct ct_cli *cli)
{
	return PENDING("'report'") ? 2 : 2;
}

__attribute__((weak)) int ct_cmd_audit(int argc, char **argv, struct ct_cli *cli)
{
	return PENDING("'audit'") ? 2 : 2;
}

static int pending_run(const struct ct_config *cfg, const struct ct_source *src, struct ct_sink *sink)
{
	return PENDING("this source type");
}

__attribute__((weak)) const struct ct_fetcher ct_fetch_imap = { "imap", pending_run };
__attribute__((weak)) const struct ct_fetcher ct_fetch_pop3 = { "pop3", pending_run };
__attribute__((weak)) const struct ct_fetcher ct_fetch_rt = { "rt", pending_run };
__attribute__((weak)) const struct ct_fetcher ct_fetch_freshdesk = { "freshdesk", pending_run };
