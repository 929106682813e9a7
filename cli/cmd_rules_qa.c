/*
 * cmd_rules_qa.c - "casetrail rules masscheck" and "casetrail rules fit":
 * rule QA over labelled sources. The items come from the store, or from
 * labelled corpus directories (--corpus) ingested into a temporary store;
 * their labels from a JSON file. Items can be cut into a tuning part and a
 * held-out part by a hash of their external id, so that what scores are
 * fitted on is never what they are reported on.
 */
#include "cli.h"
#include "../classify/classify.h"
#include "../ingest/ingest.h"
#include "../store/store.h"

#include <errno.h>
#include <getopt.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_masscheck[] =
	"usage: casetrail rules masscheck [--rules FILE] [--corpus DIR]... [--labels FILE]\n"
	"                                 [--store-labels]\n"
	"                                 [--part all|tune|held-out] [--seed N] [--samples N]\n"
	"                                 [--categories LIST] [--format table|json]\n"
	"\n"
	"Runs every rule over labelled items and prints, per rule, its hits on items of\n"
	"its category and elsewhere, its precision, the share of its category it finds\n"
	"and how many only it finds; per category (with scores and thresholds applied)\n"
	"precision, recall and F1; and samples of false hits and misses with their\n"
	"sentence. Items without labels are listed with every tag they get, for review.\n"
	"\n"
	"  --rules FILE      rule file (default: the configured rule set)\n"
	"  --corpus DIR      a labelled source, ingested into a temporary store: DIR holds\n"
	"                    casetrail.conf (its sources) or eml/ (mail files), and\n"
	"                    truth.json (labels); repeatable. Without it: the items of the\n"
	"                    store (--db, [store] path), labelled by --labels\n"
	"  --labels FILE     JSON labels: {\"items\": [{\"external_id\", \"tags\": [...]}]},\n"
	"                    {\"items\": {ID: [...]}} or {ID: [...]}; an item not in it is\n"
	"                    unlabelled (default for --corpus: DIR/truth.json)\n"
	"  --store-labels    labels from the store's decisions: an item whose tag was\n"
	"                    dismissed ('casetrail tag dismiss') is labelled without it (a\n"
	"                    false positive), one confirmed with it; its other tags are\n"
	"                    taken as they are. Scores the categories decided about,\n"
	"                    unless --categories; with --labels, decisions come last\n"
	"  --part P          all (default), tune or held-out: the fixed half of the items\n"
	"                    by SHA-256 of the seed and external id (held-out: first byte < 128)\n"
	"  --seed N          seed of the split, 0 to 1000000 (default 1)\n"
	"  --samples N       false hits and misses shown per category, 0 to 1000000\n"
	"                    (default 10)\n"
	"  --categories LIST categories scored (default: the labels file's \"categories\",\n"
	"                    else every category its labels name)\n"
	"  --format F        table (default) or json\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0 ok, 1 a source or the store failed, 2 bad usage, rules or labels.\n";

static const char usage_fit[] =
	"usage: casetrail rules fit [--rules FILE] [--corpus DIR]... [--labels FILE]\n"
	"                           [--part tune|held-out|all] [--seed N] [--folds N]\n"
	"                           [--min-hits N] [--keep-roles]\n"
	"                           [--categories LIST] [--write]\n"
	"\n"
	"Fits every rule's score from labelled items, per category, by logistic\n"
	"regression over rule hits with L2 regularisation (the strength picked by\n"
	"cross-validation over --folds folds) and the threshold that gives the best\n"
	"F1, scaled so that each category's threshold is 1. Prints old and new scores\n"
	"and the figures with the new scores (weak cues counted together only within\n"
	"2,000 bytes, as tagging does; the regression sees which rules hit, not\n"
	"where); --write puts them into the rule file.\n"
	"Items and labels as for 'rules masscheck'; the default part is tune, so the\n"
	"held-out part stays unseen.\n"
	"\n"
	"  --folds N         cross-validation folds, 2 to 100 (default 5)\n"
	"  --min-hits N      a rule with fewer than N hits (0 to 1000000, default 0)\n"
	"                    keeps its written score: too few to weigh\n"
	"  --keep-roles      each rule keeps the role its written score gives it: one\n"
	"                    written to tag alone still does while 60% of its hits are\n"
	"                    on its category (and never falls below half the\n"
	"                    threshold); a weak cue stays below the threshold, at most\n"
	"                    twice its written score; a counter-cue stays one\n"
	"  --write           rewrite the rule file with the fitted scores\n"
	"  (other options as for rules masscheck)\n"
	"\n"
	"Exit status: 0 ok, 1 a source or the store failed, 2 bad usage, rules or labels.\n";

enum part { PART_ALL, PART_TUNE, PART_HELD_OUT };

struct qa_opts {
	const char *rules_path;
	const char *labels_path;
	struct ct_strlist corpora;
	struct ct_strlist categories;
	enum part part;
	unsigned seed;
	long samples;
	int json;
	unsigned folds;
	long min_hits;
	int keep_roles;
	int write;
	int store_labels;        /* labels from the store's tag decisions */
};

/* Which half an item is in: SHA-256 of "casetrail-qa-SEED:ID", first byte < 128 = held out. */
static enum part part_of(const char *external_id, unsigned seed)
{
	unsigned char d[32];
	char *s = ct_xstrfmt("casetrail-qa-%u:%s", seed, external_id);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, s, strlen(s), d) < 0)
		ct_die("SHA-256 is not available");
	free(s);
	return d[0] < 128 ? PART_HELD_OUT : PART_TUNE;
}

/*
 * Labels as one object {external_id: [categories]} (new reference), from
 * the layouts the usage names; the categories scored go to cats unless set.
 */
static json_t *load_labels(const char *path, struct ct_strlist *cats)
{
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e), *map = json_object();
	if (!root) {
		ct_error("%s:%d: labels: %s", path, e.line, e.text);
		json_decref(map);
		return NULL;
	}
	json_t *items = json_object_get(root, "items");
	if (!items && json_is_object(root))
		items = root;
	if (json_is_array(items)) {
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			json_t *id = json_object_get(it, "external_id"), *tags = json_object_get(it, "tags");
			if (!json_is_string(id) || !json_is_array(tags))
				continue;
			json_object_set(map, json_string_value(id), tags);
			/* A ticket comment made from a mail: either id may be the one stored. */
			json_t *same = json_object_get(it, "same_as");
			if (json_is_string(same) && !json_object_get(map, json_string_value(same)))
				json_object_set(map, json_string_value(same), tags);
		}
	} else if (json_is_object(items)) {
		const char *k;
		json_t *v;
		json_object_foreach(items, k, v)
			if (json_is_array(v))
				json_object_set(map, k, v);
	}
	if (!json_object_size(map)) {
		ct_error("%s: no labels found (want {\"items\": [{\"external_id\", \"tags\"}]} or {ID: [categories]})",
			 path);
		json_decref(root);
		json_decref(map);
		return NULL;
	}
	if (!cats->n) {
		json_t *declared = json_object_get(root, "categories");
		size_t i;
		json_t *c;
		json_array_foreach(declared, i, c)
			if (json_is_string(c) && !ct_strlist_has(cats, json_string_value(c)))
				ct_strlist_push(cats, json_string_value(c));
		if (!cats->n) {
			const char *k;
			json_t *v;
			json_object_foreach(map, k, v)
				json_array_foreach(v, i, c)
					if (json_is_string(c) && !ct_strlist_has(cats, json_string_value(c)))
						ct_strlist_push(cats, json_string_value(c));
		}
	}
	json_decref(root);
	return map;
}

struct collect {
	struct ct_qa *qa;
	json_t *labels;          /* may be NULL: nothing labelled */
	const struct ct_config *cfg;
	const struct qa_opts *o;
	long skipped;            /* in the other part */
};

static int collect_one(const struct ct_stored_item *it, void *data)
{
	struct collect *c = data;
	const char *id = it->external_id ? it->external_id : "";
	if (c->o->part != PART_ALL && part_of(id, c->o->seed) != c->o->part) {
		c->skipped++;
		return 0;
	}
	json_t *l = c->labels ? json_object_get(c->labels, id) : NULL;
	const char *cats[64];
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(l, i, v)
		if (json_is_string(v) && n < CT_ARRAY_SIZE(cats))
			cats[n++] = json_string_value(v);
	int staff = it->role == CT_ROLE_STAFF	  ? 1
		  : it->role == CT_ROLE_CUSTOMER ? 0
						 : ct_config_is_internal(c->cfg, it->from_addr ? it->from_addr : "");
	return ct_qa_add(c->qa, id, cats, n, l != NULL, it->subject ? it->subject : "", it->body ? it->body : "",
			 it->body_len, staff);
}

/* Removes a temporary store and its directory. */
static void remove_tmp(const char *dir)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", ".lock", "-journal" };
	for (size_t i = 0; i < CT_ARRAY_SIZE(suffixes); i++) {
		char *p = ct_xstrfmt("%s/store.db%s", dir, suffixes[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Ingests one labelled corpus directory into a temporary store and adds its items. 0, 1 or 2. */
static int collect_corpus(const char *dir, struct collect *c)
{
	char *conf = ct_xstrfmt("%s/casetrail.conf", dir), *eml = ct_xstrfmt("%s/eml", dir);
	const char *tmp_base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *tmp = ct_xstrfmt("%s/casetrail-qa-XXXXXX", tmp_base);
	struct ct_cli sub;
	int ret = 0, have_tmp = 0;
	memset(&sub, 0, sizeof(sub));
	ct_config_init_empty(&sub.cfg);
	if (access(conf, R_OK) == 0) {
		ct_config_release(&sub.cfg);
		if (ct_config_load(conf, &sub.cfg)) {
			ret = 2;
			goto out;
		}
		sub.have_config = 1;
	} else if (!is_dir(eml)) {
		ct_error("corpus '%s' has neither casetrail.conf nor eml/", dir);
		ret = 2;
		goto out;
	}
	if (!mkdtemp(tmp)) {
		ct_error("cannot create a temporary directory in '%s': %s", tmp_base, strerror(errno));
		ret = 1;
		goto out;
	}
	have_tmp = 1;
	char *db = ct_xstrfmt("%s/store.db", tmp);
	sub.db_path = db;
	sub.quiet = 1;
	char *argv[] = { "ingest", "--no-classify", "-q", "--eml", eml, NULL };
	int argc = sub.have_config ? 3 : 5;
	/* The ingest is quiet; what comes after it (the rules for this organization) is not. */
	int quiet = ct_quiet;
	int rc = ct_cmd_ingest(argc, argv, &sub);
	ct_quiet = quiet;
	struct ct_rules *own = NULL;
	/* A corpus with a configuration is classified for its organization (its departments). */
	if ((rc == 0 || rc == 1) && sub.have_config && ct_cli_load_rules(&sub.cfg, c->o->rules_path, &own))
		rc = 2;
	if (rc == 0 || rc == 1) {
		c->cfg = &sub.cfg;
		ct_qa_use_rules(c->qa, own);
		if (ct_store_items_to_classify(sub.store, "", collect_one, c))
			ret = 1;
		ct_qa_use_rules(c->qa, NULL);
		c->cfg = NULL;
	} else {
		ret = rc;
	}
	ct_rules_free(own);
	ct_store_close(sub.store);
	sub.store = NULL;
	free(db);
out:
	if (have_tmp)
		remove_tmp(tmp);
	ct_config_release(&sub.cfg);
	free(tmp);
	free(conf);
	free(eml);
	return ret;
}

static int parse_opts(int argc, char **argv, struct qa_opts *o, const char *usage, int fit)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "labels", required_argument, NULL, 'l' },
		{ "corpus", required_argument, NULL, 'C' },
		{ "part", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "samples", required_argument, NULL, 'n' },
		{ "categories", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "folds", required_argument, NULL, 'k' },
		{ "write", no_argument, NULL, 'w' },
		{ "min-hits", required_argument, NULL, 'm' },
		{ "keep-roles", no_argument, NULL, 'K' },
		{ "store-labels", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	long v;
	o->part = fit ? PART_TUNE : PART_ALL;
	o->seed = 1;
	o->samples = 10;
	o->folds = 5;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': o->rules_path = optarg; break;
		case 'l': o->labels_path = optarg; break;
		case 'S': o->store_labels = 1; break;
		case 'C': ct_strlist_push(&o->corpora, optarg); break;
		case 'c': ct_strlist_split(&o->categories, optarg, ','); break;
		case 'p':
			if (!strcmp(optarg, "all"))
				o->part = PART_ALL;
			else if (!strcmp(optarg, "tune"))
				o->part = PART_TUNE;
			else if (!strcmp(optarg, "held-out"))
				o->part = PART_HELD_OUT;
			else
				return ct_error("--part takes all, tune or held-out, not '%s'", optarg), 2;
			break;
		case 's':
			if (ct_opt_long("--seed", optarg, 0, 1000000, &v))
				return 2;
			o->seed = (unsigned)v;
			break;
		case 'n': if (ct_opt_long("--samples", optarg, 0, 1000000, &o->samples)) return 2; break;
		case 'k':
			if (ct_opt_long("--folds", optarg, 2, 100, &v))
				return 2;
			o->folds = (unsigned)v;
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				o->json = 1;
			else if (strcmp(optarg, "table"))
				return ct_error("--format takes table or json here, not '%s'", optarg), 2;
			break;
		case 'm':
			if (!fit)
				return fputs(usage, stderr), 2;
			if (ct_opt_long("--min-hits", optarg, 0, 1000000, &o->min_hits))
				return 2;
			break;
		case 'K':
			if (!fit)
				return fputs(usage, stderr), 2;
			o->keep_roles = 1;
			break;
		case 'w':
			if (!fit)
				return fputs(usage, stderr), 2;
			o->write = 1;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc || (!fit && (o->write || o->folds != 5))) {
		fputs(usage, stderr);
		return 2;
	}
	if (o->store_labels && o->corpora.n)
		return ct_error("--store-labels labels the store's items; it does not go with --corpus"), 2;
	return 0;
}

struct store_labels {
	struct ct_store *st;
	json_t *map;                  /* external id -> [categories] */
	struct ct_strlist *cats;      /* categories decided about, when none are given */
	int add_cats;
};

/*
 * A tag decision as a label: the item's label set starts from the tags it
 * has in the store (decisions already applied) or from --labels, then a
 * dismissed category leaves it (a false positive) and a confirmed one joins
 * it (a true positive), in the order they were decided.
 */
static int store_label(const struct ct_decision *d, void *data)
{
	struct store_labels *x = data;
	int dismiss = !strcmp(d->action, "tag-dismiss");
	if (!dismiss && strcmp(d->action, "tag-confirm"))
		return 0;
	json_t *set = json_object_get(x->map, d->item);
	if (!set) {
		struct ct_strlist tags = CT_STRLIST_INIT;
		if (ct_store_item_tags(x->st, d->item, &tags))
			return -1;
		set = json_array();
		for (size_t i = 0; i < tags.n; i++)
			json_array_append_new(set, json_string(tags.v[i]));
		ct_strlist_clear(&tags);
		json_object_set_new(x->map, d->item, set);
	}
	for (size_t i = json_array_size(set); i-- > 0;)
		if (!strcmp(json_string_value(json_array_get(set, i)), d->category))
			json_array_remove(set, i);
	if (!dismiss)
		json_array_append_new(set, json_string(d->category));
	if (x->add_cats && !ct_strlist_has(x->cats, d->category))
		ct_strlist_push(x->cats, d->category);
	return 0;
}

static int run(int argc, char **argv, struct ct_cli *cli, int fit)
{
	struct qa_opts o;
	struct ct_rules *rules = NULL;
	struct collect c;
	int ret;
	memset(&o, 0, sizeof(o));
	memset(&c, 0, sizeof(c));
	ret = parse_opts(argc, argv, &o, fit ? usage_fit : usage_masscheck, fit);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	if (!o.rules_path && !(o.rules_path = ct_cli_rules_path(cli))) {
		ct_cli_rules_missing();
		ct_hint("pass --rules FILE");
		ret = 2;
		goto out;
	}
	if (ct_cli_load_rules(&cli->cfg, o.rules_path, &rules)) {
		ret = 2;
		goto out;
	}
	if (o.labels_path && !(c.labels = load_labels(o.labels_path, &o.categories))) {
		ret = 2;
		goto out;
	}
	if (o.store_labels) {
		if (ct_cli_open_store(cli, 0)) {
			ret = 1;
			goto out;
		}
		struct store_labels sl = { cli->store, c.labels ? c.labels : json_object(), &o.categories,
					   !o.categories.n };
		c.labels = sl.map;
		if (ct_store_list_decisions(cli->store, 0, store_label, &sl)) {
			ret = 1;
			goto out;
		}
		if (!json_object_size(c.labels)) {
			ct_error("no tag was dismissed or confirmed in '%s': nothing is labelled",
				 ct_store_path(cli->store));
			ct_hint("label items with 'casetrail tag dismiss|confirm ITEM TAG', or pass --labels FILE");
			ret = 2;
			goto out;
		}
	}
	/* Without labels every category of the rules is listed for review. */
	if (!o.labels_path && !o.store_labels && !o.corpora.n && !o.categories.n)
		for (size_t i = 0; i < ct_rules_ncategories(rules); i++)
			ct_strlist_push(&o.categories, ct_rules_category(rules, i));
	c.o = &o;
	if (o.corpora.n) {
		/* The labels (and categories) of the first corpus, unless given. */
		for (size_t i = 0; i < o.corpora.n && !ret; i++) {
			if (!c.qa && !c.labels) {
				char *truth = ct_xstrfmt("%s/truth.json", o.corpora.v[i]);
				c.labels = load_labels(truth, &o.categories);
				free(truth);
				if (!c.labels) {
					ret = 2;
					break;
				}
			}
			if (!c.qa)
				c.qa = ct_qa_new(rules, (const char *const *)o.categories.v, o.categories.n);
			json_t *keep = c.labels;
			if (i > 0 && !o.labels_path) {
				/* Each further corpus brings its own truth.json. */
				char *truth = ct_xstrfmt("%s/truth.json", o.corpora.v[i]);
				struct ct_strlist ignore = CT_STRLIST_INIT;
				c.labels = load_labels(truth, &ignore);
				ct_strlist_clear(&ignore);
				free(truth);
				if (!c.labels) {
					c.labels = keep;
					ret = 2;
					break;
				}
			}
			ret = collect_corpus(o.corpora.v[i], &c);
			if (c.labels != keep) {
				json_decref(c.labels);
				c.labels = keep;
			}
		}
		if (ret)
			goto out;
	} else {
		if (ct_cli_open_store(cli, 0)) {
			ret = 1;
			goto out;
		}
		c.qa = ct_qa_new(rules, (const char *const *)o.categories.v, o.categories.n);
		c.cfg = &cli->cfg;
		if (ct_store_items_to_classify(cli->store, "", collect_one, &c)) {
			ret = 1;
			goto out;
		}
	}
	if (!ct_qa_count(c.qa)) {
		ct_error("no items to check%s", c.skipped ? " in this part" : "");
		ret = 1;
		goto out;
	}
	if (fit) {
		struct ct_qa_fit_opts fo = { .folds = o.folds, .min_hits = (unsigned)o.min_hits, .keep_roles = o.keep_roles };
		if (ct_qa_fit(c.qa, &fo, stdout)) {
			ret = 2;
			goto out;
		}
		putchar('\n');
		ct_qa_print_scores(c.qa, stdout);
		putchar('\n');
		if (ct_qa_report(c.qa, 0, 0, stdout))
			ret = 1;
		if (!ret && o.write) {
			if (ct_qa_write_scores(c.qa, o.rules_path))
				ret = 1;
			else
				fprintf(stderr, "wrote the fitted scores into %s\n", o.rules_path);
		}
	} else if (ct_qa_report(c.qa, o.json, (size_t)o.samples, stdout)) {
		ret = 1;
	}
out:
	ct_qa_free(c.qa);
	json_decref(c.labels);
	ct_rules_free(rules);
	ct_strlist_clear(&o.corpora);
	ct_strlist_clear(&o.categories);
	return ret;
}

int ct_cmd_rules_masscheck(int argc, char **argv, struct ct_cli *cli)
{
	return run(argc, argv, cli, 0);
}

int ct_cmd_rules_fit(int argc, char **argv, struct ct_cli *cli)
{
	return run(argc, argv, cli, 1);
}
