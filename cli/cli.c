/* cli.c - what every command shares: opening the store and checking --department. */
#include "cli.h"
#include "../store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_internal_cb(const char *addr, void *data)
{
	return ct_config_is_internal(data, addr);
}

const char *ct_cli_store_path(const struct ct_cli *cli)
{
	const char *path = cli->db_path ? cli->db_path : cli->cfg.store_path;
	if (!path) {
		ct_error("no store: nothing says where it is");
		ct_hint("pass --db PATH (or a postgresql:// URL), or set [store] path or url in the "
			"configuration");
	}
	return path;
}

int ct_cli_store_password(const struct ct_cli *cli, const char *target, char **out)
{
	*out = NULL;
	if (!ct_store_is_url(target))
		return 0;
	if (cli->cfg.store_password_command) {
		*out = ct_secret_from_command(cli->cfg.store_password_command, "[store]");
		return *out ? 0 : -1;
	}
	if (cli->cfg.store_password_env) {
		const char *v = getenv(cli->cfg.store_password_env);
		if (!v) {
			ct_error("[store]: environment variable '%s' is not set", cli->cfg.store_password_env);
			return -1;
		}
		*out = ct_strdup(v);
	}
	return 0;
}

void ct_cli_password_free(char *password)
{
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
}

int ct_cli_open_store(struct ct_cli *cli, int writable)
{
	if (cli->store)
		return 0;
	const char *path = ct_cli_store_path(cli);
	if (!path)
		return -1;
	struct ct_store_options opt = { 0 };
	opt.thread_window_days = cli->cfg.thread_window_days;
	opt.close_after_days = cli->cfg.close_after_days;
	opt.is_internal = is_internal_cb;
	opt.is_internal_data = &cli->cfg;
	const char *t = getenv("CASETRAIL_BUSY_TIMEOUT_MS");
	if (t && ct_opt_int("CASETRAIL_BUSY_TIMEOUT_MS", t, 0, 3600000, &opt.busy_timeout_ms))
		return -1;
	char *password = NULL;
	if (ct_cli_store_password(cli, path, &password))
		return -1;
	opt.password = password;
	int rc = ct_store_open(path, writable, &opt, &cli->store);
	ct_cli_password_free(password);
	if (rc)
		return -1;
	/* A reader shows what the last ingest computed: say when the configuration moved on since. */
	if (!writable && cli->have_config) {
		char *have = ct_store_meta_get(cli->store, "config_hash");
		char *want = ct_store_config_hash(&cli->cfg);
		if (have && strcmp(have, want)) {
			ct_warn("the departments or staff of '%s' changed since the store was last updated: "
				"departments and routing shown are the old ones", cli->cfg.file);
			ct_hint("run 'casetrail recompute' (or the next ingest does it)");
		}
		free(have);
		free(want);
	}
	return 0;
}


int ct_cli_department(struct ct_cli *cli, const char **name)
{
	struct ct_strlist known = CT_STRLIST_INIT;
	struct ct_buf list = CT_BUF_INIT;
	const char *found = NULL;
	int rc = 0;
	if (!*name)
		return 0;
	for (size_t i = 0; i < cli->cfg.ndepts; i++)
		ct_strlist_push(&known, cli->cfg.depts[i].name);
	if (cli->store && ct_store_departments(cli->store, &known)) {
		ct_strlist_clear(&known);
		return -1;
	}
	/* An exact name, else the store's spelling (it comes last), else the configuration's. */
	for (size_t i = known.n; i-- > 0 && !found;)
		if (!strcmp(known.v[i], *name))
			found = known.v[i];
	for (size_t i = known.n; i-- > 0 && !found;)
		if (!strcasecmp(known.v[i], *name))
			found = known.v[i];
	if (found) {
		/* Same length (ASCII case only): the argument takes the known spelling. */
		memcpy((char *)*name, found, strlen(found));
		goto out;
	}
	for (size_t i = 0; i < known.n; i++) {
		int dup = 0;
		for (size_t k = 0; k < i; k++)
			dup |= !strcmp(known.v[k], known.v[i]);
		if (!dup)
			ct_buf_addf(&list, "%s%s", list.len ? ", " : "", known.v[i]);
	}
	rc = ct_opt_unknown("department", *name,
			    list.len ? list.buf : "none: no [department] in the configuration and no case in the store");
out:
	ct_strlist_clear(&known);
	ct_buf_release(&list);
	return rc;
}
