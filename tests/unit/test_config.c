/* test_config.c - configuration loading and its exact error messages. */
#include "unit.h"
#include "../../config/config.h"

#include <unistd.h>
#include <fcntl.h>

/* Writes text to a temp file, loads it with stderr captured; returns the messages. */
static char *load(const char *text, int *rc, struct ct_config *cfg)
{
	char path[] = "/tmp/ct-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char errpath[] = "/tmp/ct-config-err-XXXXXX";
	int efd = mkstemp(errpath);
	fflush(stderr);
	int saved = dup(2);
	dup2(efd, 2);
	*rc = ct_config_load(path, cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	struct ct_buf b = CT_BUF_INIT;
	assert_int_equal(ct_buf_read_file(&b, errpath), 0);
	close(efd);
	unlink(errpath);
	/* Replace the temp path by "F" so expectations are stable. */
	struct ct_buf out = CT_BUF_INIT;
	const char *p = b.buf;
	size_t pl = strlen(path);
	while (*p) {
		if (!strncmp(p, path, pl)) {
			ct_buf_addch(&out, 'F');
			p += pl;
		} else {
			ct_buf_addch(&out, *p++);
		}
	}
	unlink(path);
	ct_buf_release(&b);
	return ct_buf_detach(&out, NULL);
}

static void test_valid_config_loads_everything(void **state)
{
	struct ct_config cfg;
	int rc;
	char *err = load("[store]\npath = my.db\n"
			 "[organization]\ninternal_domains = Northwind.example, @corp.example\n"
			 "ticket_ref = \\[#(\\d+)\\]\n"
			 "[department Billing]\naddresses = Billing@northwind.example, invoices@northwind.example\n"
			 "helpdesk_groups = Billing, Billing Tier 2\nleader = dana@northwind.example\n"
			 "[source inbox]\ntype = maildir\npath = /srv/mail/billing\ndepartment = Billing\n",
			 &rc, &cfg);
	assert_int_equal(rc, 0);
	assert_str(err, "");
	assert_str(cfg.store_path, "/tmp/my.db");
	assert_int_equal(cfg.internal_domains.n, 2);
	assert_str(cfg.internal_domains.v[1], "corp.example");
	assert_str(ct_config_dept_by_address(&cfg, "billing@northwind.example")->name, "Billing");
	assert_str(ct_config_dept_by_group(&cfg, "billing tier 2")->name, "Billing");
	assert_true(ct_config_is_internal(&cfg, "someone@mail.northwind.example"));
	assert_false(ct_config_is_internal(&cfg, "someone@northwind.example.com"));
	assert_str(ct_config_source(&cfg, "inbox")->path, "/srv/mail/billing");
	ct_config_release(&cfg);
	free(err);
}

static const struct {
	const char *name, *text, *want;
} bad[] = {
	{ "unknown key", "[department Billing]\nadress = b@x.example\n",
	  "F:2: unknown key 'adress' in [department Billing]\n" },
	{ "unknown section type", "[mailbox Billing]\n",
	  "F:1: unknown section type 'mailbox' in [mailbox Billing] (known: store, organization, department NAME, source NAME, smtp, log, site, cases)\n" },
	{ "bad close_after", "[cases]\nclose_after = 3 months\n",
	  "F:2: [cases] close_after takes a number of days from 1 to 36500 (30d, 6w or 30), not '3 months'\n" },
	{ "missing type", "[source a]\npath = x\n", "F:1: [source a] is missing required key 'type'\n" },
	{ "missing path", "[source a]\ntype = maildir\n", "F:1: [source a] is missing required key 'path'\n" },
	{ "bad regex", "[organization]\nticket_ref = \\[#(\\d+\\]\n",
	  "F:2: ticket_ref: bad regex: missing closing parenthesis at offset 9\n" },
	{ "no capture", "[organization]\nticket_ref = #\\d+\n",
	  "F:2: ticket_ref needs one capture group for the ticket number\n" },
	{ "duplicate address",
	  "[department A]\naddresses = a@x.example\n[department B]\naddresses = b@x.example, A@x.example\n",
	  "F:4: address 'a@x.example' is already used by department 'A' (line 1)\n" },
	{ "unknown source type", "[source a]\ntype = exchange\n",
	  "F:2: unknown source type 'exchange' (known: maildir, mbox, eml, imap, pop3, zendesk, rt, freshdesk, jsonl)\n" },
	{ "key not for type", "[source a]\ntype = maildir\npath = x\nurl = imap://x\n",
	  "F:4: unknown key 'url' in [source a] (type maildir)\n" },
	{ "unknown department", "[source a]\ntype = maildir\npath = x\ndepartment = Nope\n",
	  "F:4: [source a]: unknown department 'Nope'\n" },
	{ "not a key line", "[store]\njust words\n", "F:2: not a 'key = value' line or a [section] header\n" },
	{ "smtp timeout not a number", "[smtp]\nurl = smtp://x\ntimeout = soon\n",
	  "F:3: [smtp] timeout takes a whole number of seconds from 1 to 3600, not 'soon'\n" },
	{ "smtp timeout zero", "[smtp]\ntimeout = 0\n", "F:2: [smtp] timeout takes a whole number of seconds from 1 to 3600, not '0'\n" },
	{ "leader not an address", "[department Sales]\nleader = marcus.reed\n",
	  "F:2: [department Sales] leader takes a mail address, not 'marcus.reed'\n" },
	{ "thread window out of range", "[organization]\nthread_window_days = 0\n",
	  "F:2: [organization] thread_window_days takes a whole number of days from 1 to 3650, not '0'\n" },
	{ "source values checked at load",
	  "[source m]\ntype = imap\nurl = imap://u@h:0\npassword_env =\ntimeout = -5\nbatch_size = lots\n",
	  "F:3: [source m] url takes imap://HOST[:PORT]/... or imaps://... (a port from 1 to 65535), not 'imap://u@h:0'\n"
	  "F:4: [source m] password_env is empty\n"
	  "F:5: [source m] timeout takes a whole number of seconds from 1 to 3600, not '-5'\n"
	  "F:6: [source m] batch_size takes a whole number of messages from 1 to 100000, not 'lots'\n" },
	{ "mail source without user", "[source p]\ntype = pop3\nurl = pop3://h\n",
	  "F:1: [source p] is missing required key 'user' (or user@ in the url)\n" },
	{ "empty smtp secret", "[smtp]\npassword_command =\n", "F:2: [smtp] password_command is empty\n" },
	{ "all errors reported",
	  "[store]\npth = a\n[department A]\nleader = x@y\nfoo = 1\n[source s]\ntype = mbox\n",
	  "F:2: unknown key 'pth' in [store]\nF:5: unknown key 'foo' in [department A]\n"
	  "F:6: [source s] is missing required key 'path'\n" },
	{ "site url not http", "[site]\nurl = ftp://reports.example/\n",
	  "F:2: [site] url takes an http://, https:// or file:/// address without spaces or quotes, not 'ftp://reports.example/'\n" },
	{ "site url with a space", "[site]\nurl = https://reports.example/a b\n",
	  "F:2: [site] url takes an http://, https:// or file:/// address without spaces or quotes, not 'https://reports.example/a b'\n" },
	{ "site unknown key", "[site]\nout = /srv/www\n", "F:2: unknown key 'out' in [site]\n" },
};

static void test_bad_config_lines_name_file_and_line(void **state)
{
	for (size_t i = 0; i < CT_ARRAY_SIZE(bad); i++) {
		struct ct_config cfg;
		int rc;
		char *err = load(bad[i].text, &rc, &cfg);
		if (rc != -1 || strcmp(err, bad[i].want)) {
			print_error("%s: rc %d\n got: %s\nwant: %s\n", bad[i].name, rc, err, bad[i].want);
			fail();
		}
		ct_config_release(&cfg);
		free(err);
	}
}

static void test_site_url_ends_in_a_slash(void **state)
{
	struct ct_config cfg;
	int rc;
	char *err = load("[site]\nurl = https://reports.example/casetrail\n", &rc, &cfg);
	assert_int_equal(rc, 0);
	assert_str(err, "");
	assert_str(cfg.site_url, "https://reports.example/casetrail/");
	ct_config_release(&cfg);
	free(err);
	err = load("[smtp]\nurl = smtp://x\n", &rc, &cfg);
	assert_int_equal(rc, 0);
	assert_null(cfg.site_url);
	ct_config_release(&cfg);
	free(err);
}

static void test_relative_paths_follow_the_config_file(void **state)
{
	struct ct_config cfg;
	int rc;
	char *err = load("[source s]\ntype = mbox\npath = mail/x.mbox\n[organization]\nrules = r.conf\n", &rc, &cfg);
	assert_int_equal(rc, 0);
	assert_str(cfg.sources[0].path, "/tmp/mail/x.mbox");
	assert_str(cfg.rules_path, "/tmp/r.conf");
	ct_config_release(&cfg);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_config_loads_everything),
		cmocka_unit_test(test_bad_config_lines_name_file_and_line),
		cmocka_unit_test(test_relative_paths_follow_the_config_file),
		cmocka_unit_test(test_site_url_ends_in_a_slash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
