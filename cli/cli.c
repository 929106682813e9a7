/* cli.c - what every command shares: the rule set's path and opening the store. */
#include "cli.h"
#include "../store/store.h"

#include <stdlib.h>
#include <string.h>

static int is_internal_cb(const char *addr, void *data)
{
	return ct_config_is_internal(data, addr);
}

int ct_cli_open_store(struct ct_cli *cli, int writable)
{
	if (cli->store)
		return 0;
	const char *path = cli->db_path ? cli->db_path : cli->cfg.store_path;
	if (!path) {
		ct_error("no store: nothing says where it is");
		ct_hint("pass --db PATH, or set [store] path in the configuration");
		return -1;
	}
	struct ct_store_options opt = { 0 };
	opt.thread_window_days = cli->cfg.thread_window_days;
	opt.is_internal = is_internal_cb;
	opt.is_internal_data = &cli->cfg;
	const char *t = getenv("CASETRAIL_BUSY_TIMEOUT_MS");
	if (t)
		opt.busy_timeout_ms = atoi(t);
	return ct_store_open(path, writable, &opt, &cli->store);
}

