/*
 * site.c - the static site (`casetrail site --out DIR`): self-contained HTML
 * pages, linked to each other by relative links, that any web server can
 * publish:
 *
 *   index.html                       what the site holds, with links
 *   complaints-all-PERIOD.html       the complaint report, all departments
 *   complaints-DEPT-PERIOD.html      the complaint report of one department
 *   audit.html                       the handoff audit of every case
 *   cases.html                       every case, most recent activity first
 *   case-ID.html                     one case: timeline, evidence, routing
 *
 * PERIOD is week, month, quarter or year: the 7, 30, 91 or 365 days before
 * the site's date. Each file is written to a temporary name and renamed over
 * the old one, and only when its content changed, so a reader (or rsync)
 * never sees half a page and unchanged pages keep their time. Pages of cases
 * that no longer exist (merged away) are removed.
 */
#include "report.h"
#include "../store/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *name, *title;
	int days;
} periods[] = {
	{ "week", "last 7 days", 7 },
	{ "month", "last 30 days", 30 },
	{ "quarter", "last 91 days", 91 },
	{ "year", "last 365 days", 365 },
};

struct site {
	struct ct_store *st;
	const struct ct_config *cfg;
	const char *dir;
	ct_time until;
	long written, unchanged;
	struct ct_strlist case_pages;   /* file names of the case pages of this run */
};

/* A department name as a file name part: letters, digits, '-' and '_' kept, the rest '_'. */
static char *slug(const char *s)
{
	char *o = ct_strdup(s);
	for (char *p = o; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			*p = '_';
	return o;
}

/*
 * Writes data to DIR/name through DIR/.name.tmp and rename(2), unless the
 * file already holds exactly data. Returns 0 or -1 (reported).
 */
static int write_page(struct site *s, const char *name, const char *data, size_t len)
{
	char *path = ct_xstrfmt("%s/%s", s->dir, name);
	int ret = -1;
	FILE *f = fopen(path, "rb");
	if (f) {
		struct stat sb;
		if (fstat(fileno(f), &sb) == 0 && (size_t)sb.st_size == len) {
			char *old = ct_malloc(len + 1);
			int same = fread(old, 1, len, f) == len && !memcmp(old, data, len);
			free(old);
			if (same) {
				fclose(f);
				s->unchanged++;
				free(path);
				return 0;
			}
		}
		fclose(f);
	}
	char *tmp = ct_xstrfmt("%s/.%s.tmp", s->dir, name);
	f = fopen(tmp, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fflush(f) || fsync(fileno(f))) {
		ct_error("cannot write '%s': %s", tmp, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) || rename(tmp, path)) {
		ct_error("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	s->written++;
	ret = 0;
out:
	free(tmp);
	free(path);
	return ret;
}

/* Renders a page into memory with render() and writes it. */
static int emit_page(struct site *s, const char *name, int (*render)(FILE *, void *), void *data)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc = render(m, data);
	if (fclose(m))
		rc = -1;
	if (!rc)
		rc = write_page(s, name, buf, len);
	free(buf);
	return rc;
}

struct complaints_page {
	const struct ct_config *cfg;
	const struct ct_complaints *c;
};

static int render_complaints(FILE *out, void *data)
{
	struct complaints_page *p = data;
	return ct_report_complaints(out, CT_FMT_HTML, 100, p->cfg, p->c);
}

static int render_audit(FILE *out, void *data)
{
	return ct_report_audit(out, CT_FMT_HTML, 100, data);
}

static int render_case(FILE *out, void *data)
{
	return ct_report_case(out, CT_FMT_HTML, 100, data);
}

static int render_doc(FILE *out, void *data)
{
	return ct_doc_emit(data, CT_FMT_HTML, out, 100);
}

/* The list of cases (cases.html) and one page per case. */
struct cases_ctx {
	struct site *s;
	struct ct_doc_table *t;
	struct ct_strlist ids;
};

static int case_row(const struct ct_case *c, void *data)
{
	struct cases_ctx *x = data;
	char id[24], opened[32], last[32], h[16];
	struct ct_buf trail = CT_BUF_INIT, tags = CT_BUF_INIT;
	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	snprintf(h, sizeof(h), "%d", c->handoffs);
	ct_time_iso(c->opened_at, opened);
	ct_time_iso(c->last_activity_at, last);
	for (size_t i = 0; i < c->departments.n; i++)
		ct_buf_addf(&trail, "%s%s", i ? " → " : "", c->departments.v[i]);
	for (size_t i = 0; i < c->ntagc; i++)
		ct_buf_addf(&tags, "%s%s: %d", i ? ", " : "", c->tagc[i].category, c->tagc[i].n);
	ct_doc_row(x->t, id, opened, last, c->open ? "open" : "closed", h, trail.len ? trail.buf : "",
		   tags.len ? tags.buf : "", c->customer ? c->customer : "", c->subject ? c->subject : "");
	ct_buf_release(&trail);
	ct_buf_release(&tags);
	ct_strlist_push(&x->ids, id);
	return 0;
}

/* Removes case-*.html pages of cases that are gone (merged away). */
static void remove_stale_case_pages(struct site *s)
{
	DIR *d = opendir(s->dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		if (strncmp(n, "case-", 5) || len < 11 || strcmp(n + len - 5, ".html") ||
		    strspn(n + 5, "0123456789") != len - 10 || ct_strlist_has(&s->case_pages, n))
			continue;
		char *path = ct_xstrfmt("%s/%s", s->dir, n);
		if (unlink(path) == 0)
			fprintf(stderr, "removed %s (no such case any more)\n", path);
		free(path);
	}
	closedir(d);
}

static const char site_nav[] =
	"<a href=\"index.html\">Index</a><a href=\"audit.html\">Handoff audit</a><a href=\"cases.html\">All cases</a>";

int ct_site_write(struct ct_store *st, const struct ct_config *cfg, const char *dir, ct_time until)
{
	struct site s = { st, cfg, dir, until, 0, 0, CT_STRLIST_INIT };
	struct ct_strlist depts = CT_STRLIST_INIT;
	struct ct_doc index;
	char day[32];
	int ret = 0;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return ct_error("cannot create '%s': %s", dir, strerror(errno));
	if (ct_store_departments(st, &depts))
		return -1;
	ct_report_set_case_links("");
	ct_report_set_nav(site_nav);
	ct_time_iso(until, day);
	day[10] = '\0';
	char *title = ct_xstrfmt("casetrail: reports and cases until %s", day);
	ct_doc_init(&index, title);
	free(title);
	ct_doc_text(&index, "Complaint reports per department and period (the days before %s), the handoff "
		    "audit, and one page per case with its timeline, evidence and routing.", day);

	/* the complaint reports: every department together, then each one, for every period */
	struct ct_doc_table *rt = ct_doc_table(&index, "Complaint reports", "department|>last 7 days|>last 30 days|"
					       ">last 91 days|>last 365 days");
	for (size_t di = 0; di <= depts.n && !ret; di++) {
		const char *dept = di ? depts.v[di - 1] : NULL;
		char *sl = slug(dept ? dept : "all");
		if (di && !strcmp(sl, "all")) {
			free(sl);
			sl = ct_strdup("dept-all");
		}
		struct ct_strlist *row;
		ct_doc_row_list(rt, &row);
		ct_strlist_push(row, dept ? dept : "All departments");
		for (size_t p = 0; p < CT_ARRAY_SIZE(periods) && !ret; p++) {
			struct ct_complaints c;
			char *name = ct_xstrfmt("complaints-%s-%s.html", sl, periods[p].name);
			if (ct_store_complaints(st, until - (ct_time)periods[p].days * 86400, until, dept, 20, &c)) {
				ret = -1;
			} else {
				struct complaints_page cp = { cfg, &c };
				if (emit_page(&s, name, render_complaints, &cp))
					ret = -1;
				ct_complaints_release(&c);
			}
			ct_strlist_push_owned(row, ct_xstrfmt("%s\t%s", name, periods[p].title));
			free(name);
		}
		free(sl);
	}

	/* the audit of every case */
	if (!ret) {
		struct ct_case_filter f = { 0 };
		struct ct_audit a;
		if (ct_store_audit(st, &f, until, &a)) {
			ret = -1;
		} else {
			if (emit_page(&s, "audit.html", render_audit, &a))
				ret = -1;
			ct_audit_release(&a);
		}
	}

	/* every case: the list, and a page each */
	long ncases = 0;
	if (!ret) {
		struct ct_doc list;
		struct ct_case_filter f = { 0 };
		ct_doc_init(&list, "All cases");
		struct cases_ctx x = { &s, NULL, CT_STRLIST_INIT };
		x.t = ct_doc_table(&list, "", "@case|opened|last activity|state|#handoffs|departments|tags|~customer|"
				   "!subject");
		if (ct_store_list_cases(st, &f, case_row, &x))
			ret = -1;
		for (size_t i = 0; i < x.ids.n && !ret; i++) {
			struct ct_case cs;
			int rc = ct_store_get_case(st, strtoll(x.ids.v[i], NULL, 10), &cs);
			if (rc < 0) {
				ret = -1;
				break;
			}
			if (rc == 1)
				continue;
			char *name = ct_xstrfmt("case-%s.html", x.ids.v[i]);
			if (emit_page(&s, name, render_case, &cs))
				ret = -1;
			ct_strlist_push_owned(&s.case_pages, name);
			ct_case_release(&cs);
		}
		ncases = (long)x.ids.n;
		if (!ret && emit_page(&s, "cases.html", render_doc, &list))
			ret = -1;
		ct_strlist_clear(&x.ids);
		ct_doc_release(&list);
	}
	ct_doc_heading(&index, 1, "The handoff audit and the cases");
	struct ct_doc_table *ot = ct_doc_table(&index, "", ">page|what it shows");
	ct_doc_row(ot, "audit.html\tHandoff audit", "every case's department trail, transfers, "
		   "time to resolution by number of handoffs");
	char *what = ct_xstrfmt("%ld case%s, most recent activity first, each linked to its page", ncases,
				ncases == 1 ? "" : "s");
	ct_doc_row(ot, "cases.html\tAll cases", what);
	free(what);
	if (!ret && emit_page(&s, "index.html", render_doc, &index))
		ret = -1;
	if (!ret)
		remove_stale_case_pages(&s);
	if (!ret)
		fprintf(stderr, "site: %ld page%s written, %ld unchanged, in %s\n", s.written, s.written == 1 ? "" : "s",
			s.unchanged, dir);
	ct_doc_release(&index);
	ct_strlist_clear(&depts);
	ct_strlist_clear(&s.case_pages);
	ct_report_set_case_links(NULL);
	ct_report_set_nav(NULL);
	return ret;
}
