/*
 * pipeline.c - the sink every fetcher writes to: prepares each item from the
 * configuration, tags it, stores it, and commits in batches. Items and the
 * fetch state that produced them (seen keys, cursors) go in one transaction,
 * so a run killed at any point loses nothing and duplicates nothing.
 */
#include "pipeline.h"
#include "../classify/classify.h"
#include "../store/store.h"

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ct_email_department(const struct ct_config *cfg, const struct ct_item *it)
{
	const struct ct_department *sender = ct_config_dept_by_address(cfg, it->from.addr);
	if (!sender && it->from.addr)
		for (size_t i = 0; i < cfg->ndepts && !sender; i++)
			if (cfg->depts[i].leader && !strcasecmp(cfg->depts[i].leader, it->from.addr))
				sender = &cfg->depts[i];
	for (size_t i = 0; i < it->to.n; i++) {
		const struct ct_department *d = ct_config_dept_by_address(cfg, it->to.v[i].addr);
		if (d && d != sender)
			return d->name;
	}
	if (sender)
		return sender->name;
	for (size_t i = 0; i < it->cc.n; i++) {
		const struct ct_department *d = ct_config_dept_by_address(cfg, it->cc.v[i].addr);
		if (d)
			return d->name;
	}
	return it->mailbox_dept;
}

static void find_refs(const struct ct_pipeline *p, pcre2_code *re, const char *text, size_t len,
		      struct ct_strlist *out)
{
	if (!re || !text)
		return;
	pcre2_match_data *md = p->match_data;
	PCRE2_SIZE start = 0;
	for (int guard = 0; guard < 32 && start <= len; guard++) {
		int rc = pcre2_match(re, (PCRE2_SPTR)text, len, start, 0, md, NULL);
		if (rc < 2)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ov[2] != PCRE2_UNSET) {
			char *num = ct_strndup(text + ov[2], ov[3] - ov[2]);
			if (!ct_strlist_has(out, num))
				ct_strlist_push_owned(out, num);
			else
				free(num);
		}
		start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
}

void ct_pipeline_prepare(const struct ct_pipeline *p, struct ct_item *it)
{
	const struct ct_config *cfg = p->cfg;
	const char *dept = NULL;
	if (it->kind == CT_ITEM_EMAIL) {
		dept = ct_email_department(cfg, it);
	} else {
		const struct ct_department *d = ct_config_dept_by_group(cfg, it->ticket_group);
		dept = d ? d->name : it->mailbox_dept;
	}
	free(it->department);
	it->department = ct_strdup(dept);
	if (it->role == CT_ROLE_UNKNOWN)
		it->role = ct_config_is_internal(cfg, it->from.addr) ? CT_ROLE_STAFF : CT_ROLE_CUSTOMER;
	if (it->kind == CT_ITEM_EMAIL) {
		find_refs(p, p->ticket_ref_re, it->subject, strlen(it->subject ? it->subject : ""),
			  &it->ticket_refs);
		find_refs(p, p->rt_ref_re, it->subject, strlen(it->subject ? it->subject : ""),
			  &it->ticket_refs);
		/* The body too, but only what the author wrote near the top. */
		find_refs(p, p->ticket_ref_re, it->body, it->body_len < 4096 ? it->body_len : 4096,
			  &it->ticket_refs);
	}
}

static void progress_line(struct ct_pipeline *p, const char *source, size_t done, size_t total)
{
	double now = ct_now_mono();
	if (!p->show_progress || now - p->started < 1.0 || now - p->last_progress < 0.25)
		return;
	p->last_progress = now;
	p->progress_shown = 1;
	if (total)
		fprintf(stderr, "\r%s: %zu/%zu (%ld new)\033[K", source, done, total, p->n_new);
	else
		fprintf(stderr, "\r%s: %zu (%ld new)\033[K", source, done, p->n_new);
}

static int begin_if_needed(struct ct_pipeline *p)
{
	if (p->in_tx)
		return 0;
	if (ct_store_begin(p->store))
		return -1;
	p->in_tx = 1;
	return 0;
}

static int commit(struct ct_pipeline *p)
{
	if (!p->in_tx)
		return 0;
	p->in_tx = 0;
	p->n_pending = 0;
	return ct_store_commit(p->store);
}

static int sink_seen(struct ct_sink *s, const char *source, const char *key)
{
	struct ct_pipeline *p = s->data;
	int r = ct_store_seen(p->store, source, key);
	if (r == 1)
		p->n_seen++;
	return r;
}

static int store_tags(struct ct_pipeline *p, struct ct_item *it, int64_t id)
{
	struct ct_tags tags = { 0 };
	int ret = 0;
	if (!p->rules)
		return 0;
	if (ct_classify(p->rules, it->subject ? it->subject : "", it->body ? it->body : "",
			it->body_len, it->role == CT_ROLE_STAFF, &tags))
		return -1;
	for (size_t i = 0; i < tags.n && !ret; i++)
		ret = ct_store_add_tag(p->store, id, tags.v[i].category, tags.v[i].rule_id,
				       tags.v[i].start, tags.v[i].end, tags.v[i].snippet);
	p->n_tags += (long)tags.n;
	ct_tags_clear(&tags);
	if (!ret)
		ret = ct_store_set_rules_hash(p->store, id, ct_rules_hash(p->rules));
	return ret;
}

static int sink_item(struct ct_sink *s, struct ct_item *it)
{
	struct ct_pipeline *p = s->data;
	int64_t id = 0;
	int is_new = 0, ret = -1;

	if (!it->external_id || !*it->external_id) {
		char *what = ct_xstrfmt("%s: item without an id at '%s'", it->source ? it->source : "?",
					it->location ? it->location : "?");
		s->fail(s, what);
		free(what);
		ct_item_free(it);
		return 0;
	}
	if (!it->body)
		it->body = ct_strdup("");
	if (!it->subject)
		it->subject = ct_strdup("");
	if (p->dry_run) {
		p->n_dry++;
		ct_item_free(it);
		return 0;
	}
	ct_pipeline_prepare(p, it);
	if (begin_if_needed(p))
		goto out;
	if (ct_store_add_item(p->store, it, &id, &is_new))
		goto out;
	if (is_new) {
		p->n_new++;
		if (it->warnings.n) {
			p->n_warn++;
			if (!ct_quiet)
				for (size_t i = 0; i < it->warnings.n; i++)
					ct_warn("%s: %s: %s", it->source ? it->source : "?",
						it->location ? it->location : it->external_id, it->warnings.v[i]);
		}
		if (it->kind != CT_ITEM_TICKET_MOVE && store_tags(p, it, id))
			goto out;
	} else {
		p->n_dup++;
	}
	if (it->location && it->source &&
	    ct_store_mark_seen(p->store, it->source, it->location, id))
		goto out;
	if (++p->n_pending >= p->batch_size && commit(p))
		goto out;
	ret = 0;
out:
	ct_item_free(it);
	return ret;
}

static char *sink_get_cursor(struct ct_sink *s, const char *source, const char *name)
{
	struct ct_pipeline *p = s->data;
	return ct_store_get_cursor(p->store, source, name);
}

static int sink_set_cursor(struct ct_sink *s, const char *source, const char *name, const char *value)
{
	struct ct_pipeline *p = s->data;
	if (p->dry_run)
		return 0;
	if (begin_if_needed(p))
		return -1;
	return ct_store_set_cursor(p->store, source, name, value);
}

static int sink_flush(struct ct_sink *s)
{
	return commit(s->data);
}

static void sink_fail(struct ct_sink *s, const char *what)
{
	struct ct_pipeline *p = s->data;
	p->n_failed++;
	ct_error("%s", what);
}

static void sink_progress(struct ct_sink *s, const char *source, size_t done, size_t total)
{
	progress_line(s->data, source, done, total);
}

int ct_pipeline_init(struct ct_pipeline *p, const struct ct_config *cfg, struct ct_store *st,
		     struct ct_rules *rules)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->store = st;
	p->rules = rules;
	p->batch_size = 500;
	p->started = ct_now_mono();
	p->show_progress = isatty(2);
	p->match_data = pcre2_match_data_create(4, NULL);
	if (cfg->ticket_ref) {
		int ec;
		PCRE2_SIZE off;
		p->ticket_ref_re = pcre2_compile((PCRE2_SPTR)cfg->ticket_ref, PCRE2_ZERO_TERMINATED,
						 PCRE2_UTF, &ec, &off, NULL);
		if (!p->ticket_ref_re)
			return ct_error("ticket_ref: bad regex");
		pcre2_jit_compile(p->ticket_ref_re, PCRE2_JIT_COMPLETE);
	}
	{
		int ec;
		PCRE2_SIZE off;
		/* Request Tracker's subject tag: [rtname #123] */
		p->rt_ref_re = pcre2_compile((PCRE2_SPTR) "\\[[^\\[\\]#]+?\\s#(\\d+)\\]",
					     PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &off, NULL);
	}
	p->sink.seen = sink_seen;
	p->sink.item = sink_item;
	p->sink.get_cursor = sink_get_cursor;
	p->sink.set_cursor = sink_set_cursor;
	p->sink.flush = sink_flush;
	p->sink.fail = sink_fail;
	p->sink.progress = sink_progress;
	p->sink.data = p;
	return 0;
}

int ct_pipeline_finish(struct ct_pipeline *p)
{
	if (p->progress_shown) {
		fputs("\r\033[K", stderr);
		p->progress_shown = 0;
	}
	return commit(p);
}

void ct_pipeline_release(struct ct_pipeline *p)
{
	if (p->in_tx) {
		ct_store_rollback(p->store);
		p->in_tx = 0;
	}
	pcre2_code_free(p->ticket_ref_re);
	pcre2_code_free(p->rt_ref_re);
	pcre2_match_data_free(p->match_data);
}
