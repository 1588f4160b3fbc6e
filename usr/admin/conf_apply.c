// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Computes what separates the running daemon from targets.conf and issues
 * the tgtxadm requests that close the gap. Applying the same file twice
 * issues nothing the second time. Disruptive changes (deleting or
 * replacing LUNs, deleting targets) are refused for targets with sessions
 * unless --force or allow-in-use, as tgt-admin does.
 */
#include "conf_apply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/share_peer.h"
#include "core/strbuf.h"
#include "mgmt/mgmt_client.h"
#include "mgmt/mgmt_proto.h"

#define CMD_MAX_ARGS 16

struct apply {
	const struct admin_opts *o;
	enum apply_mode mode;
	struct conf *have;
	int errors;
	bool stop;
};

struct cmd {
	int n;
	const char *key[CMD_MAX_ARGS];
	char *val[CMD_MAX_ARGS];
};

static void cmd_init(struct cmd *c, const char *op, const char *mode)
{
	c->n = 0;
	c->key[c->n] = "op";
	c->val[c->n++] = strdup(op);
	c->key[c->n] = "mode";
	c->val[c->n++] = strdup(mode);
}

static void cmd_arg(struct cmd *c, const char *key, const char *value)
{
	if (c->n < CMD_MAX_ARGS) {
		c->key[c->n] = key;
		c->val[c->n++] = strdup(value ? value : "");
	}
}

static void cmd_argi(struct cmd *c, const char *key, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	cmd_arg(c, key, buf);
}

static void cmd_free(struct cmd *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->val[i]);
	c->n = 0;
}

/* Shell-quotes when needed so --pretend output can be pasted. */
static void print_word(struct strbuf *sb, const char *w)
{
	const char *p;

	for (p = w; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ"
			    "0123456789.:/_=,@%+-",
			    *p))
			break;
	if (*w && !*p) {
		strbuf_addf(sb, "%s", w);
		return;
	}
	strbuf_add(sb, "'", 1);
	for (p = w; *p; p++) {
		if (*p == '\'')
			strbuf_addf(sb, "'\\''");
		else
			strbuf_add(sb, p, 1);
	}
	strbuf_add(sb, "'", 1);
}

/* params with every share-peer URL masked (share_peer_mask_url) */
static void mask_params(const char *params, struct strbuf *out)
{
	char masked[SHARE_PEER_URL_MAX + 64];
	const char *p = params;

	while (*p) {
		size_t n = strcspn(p, ","), k = strcspn(p, "=");
		unsigned i;
		enum share_peer_opt o;
		char key[40], err[8];

		snprintf(key, sizeof(key), "%.*s", (int)(k < n ? k : n), p);
		if (k < n &&
		    !share_peer_key_parse(key, &i, &o, err, sizeof(err)) &&
		    o == SP_URL) {
			char url[SHARE_PEER_URL_MAX + 1];

			snprintf(url, sizeof(url), "%.*s", (int)(n - k - 1),
				 p + k + 1);
			share_peer_mask_url(url, masked, sizeof(masked));
			strbuf_addf(out, "%s=%s", key, masked);
		} else {
			strbuf_add(out, p, n);
		}
		p += n;
		if (*p)
			strbuf_add(out, p++, 1);
	}
}

/*
 * The command as a tgtxadm line. Secrets (CHAP passwords, share-peer
 * URLs) are masked unless it is printed to be run (--pretend): error
 * and -v lines end up in the journal when the unit runs tgtx-admin.
 */
static void cmd_text(const struct cmd *c, struct strbuf *sb, bool secrets)
{
	int i;

	strbuf_addf(sb, "tgtxadm --lld iscsi");
	for (i = 0; i < c->n; i++) {
		bool flag = !strcmp(c->key[i], "force") ||
			    !strcmp(c->key[i], "outgoing");

		strbuf_addf(sb, " --%s", c->key[i]);
		if (flag)
			continue;
		strbuf_add(sb, " ", 1);
		if (!secrets && !strcmp(c->key[i], "password")) {
			strbuf_addf(sb, "***");
		} else if (!secrets && !strcmp(c->key[i], "params")) {
			struct strbuf m = STRBUF_INIT;

			mask_params(c->val[i], &m);
			print_word(sb, strbuf_str(&m));
			strbuf_free(&m);
		} else {
			print_word(sb, c->val[i]);
		}
	}
}

/* Runs (or prints) c and frees it. Returns 0 or -1. */
static int cmd_run(struct apply *a, struct cmd *c)
{
	struct strbuf text = STRBUF_INIT, out = STRBUF_INIT, req = STRBUF_INIT;
	char err[512];
	int i, status = 0, ret = 0;

	if (a->stop) {
		cmd_free(c);
		return -1;
	}
	cmd_text(c, &text, a->o->pretend);
	if (a->o->pretend || a->o->verbose)
		printf("%s\n", strbuf_str(&text));
	if (a->o->pretend)
		goto out;
	for (i = 0; i < c->n && !ret; i++)
		ret = mgmt_req_add(&req, c->key[i], c->val[i]);
	if (!ret)
		ret = mgmt_req_end(&req);
	if (ret) {
		fprintf(stderr, "tgtx-admin: %s: invalid or too long value\n",
			strbuf_str(&text));
	} else {
		ret = mgmt_call(a->o->sock, &req, &status, &out, err,
				sizeof(err));
		if (ret) {
			fprintf(stderr, "tgtx-admin: %s\n", err);
			a->stop = true;
		} else if (status) {
			fprintf(stderr, "tgtx-admin: %s: %s", strbuf_str(&text),
				strbuf_str(&out));
			ret = -1;
		}
	}
	if (ret) {
		ret = -1;
		a->errors++;
		if (!a->o->ignore_errors)
			a->stop = true;
	}
out:
	strbuf_free(&text);
	strbuf_free(&out);
	strbuf_free(&req);
	cmd_free(c);
	return ret;
}

/* ---- reading the daemon's state ---- */

static int fetch_state(struct apply *a)
{
	struct strbuf out = STRBUF_INIT;
	char err[512];
	int ret;

	ret = conf_dump_fetch(a->o, true, &out, err, sizeof(err));
	if (ret) {
		if (a->o->pretend) {
			/* pretending against no daemon: assume it is empty */
			strbuf_free(&out);
			return conf_parse_string("", 0, "daemon", &a->have, err,
						 sizeof(err));
		}
		if (out.len)
			fprintf(stderr, "tgtx-admin: %s\n", err);
		strbuf_free(&out);
		return -1;
	}
	ret = conf_parse_string(strbuf_str(&out), out.len, "daemon-dump",
				&a->have, err, sizeof(err));
	strbuf_free(&out);
	if (ret) {
		fprintf(stderr,
			"tgtx-admin: cannot understand the daemon's state: "
			"%s\n",
			err);
		return -1;
	}
	return 0;
}

/* ---- comparisons ---- */

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int bool_val(const char *v)
{
	if (!v)
		return -1;
	if (!strcasecmp(v, "1") || !strcasecmp(v, "yes") ||
	    !strcasecmp(v, "on") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "y"))
		return 1;
	if (!strcasecmp(v, "0") || !strcasecmp(v, "no") ||
	    !strcasecmp(v, "off") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "n"))
		return 0;
	return -1;
}

static bool same_param(const char *want, const char *have)
{
	int bw = bool_val(want), bh = bool_val(have);

	if (bw >= 0 && bh >= 0)
		return bw == bh;
	return same_str(want, have);
}

/* The daemon folds bsoflags into bsopts (mgmt_lun.c); do the same. */
static void effective_bsopts(const struct conf_target *t,
			     const struct conf_lun *l, char *buf, size_t len)
{
	const char *opts = conf_lun_bsopts(t, l);
	const char *fl = conf_lun_bsoflags(t, l);
	size_t used = (size_t)snprintf(buf, len, "%s", opts ? opts : "");

	if (fl && strstr(fl, "direct") && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%sdirect=1",
					 used ? ";" : "");
	if (fl && strstr(fl, "sync") && used < len)
		snprintf(buf + used, len - used, "%ssync=1", used ? ";" : "");
}

static bool target_busy(const struct conf_target *h, const struct admin_opts *o)
{
	return h && h->sessions > 0 && !o->force;
}

/* ---- LUNs ---- */

static const char *const lu_keys_in_order[] = {
	/* block_size first: it can only change before I/O starts */
	"block_size", "vendor_id",   "product_id",   "product_rev",
	"scsi_id",    "scsi_sn",     "removable",    "readonly",
	"online",     "write-cache", "sense_format", "thin_provisioning",
	NULL,
};

/*
 * Brings share peer i of a LUN from have (NULL: none) to want (NULL: none)
 * with one update request, so a peer never runs with half its options.
 */
static void peer_sync(struct apply *a, int tid, long lun, unsigned i,
		      const struct conf_peer *want,
		      const struct conf_peer *have)
{
	struct strbuf params = STRBUF_INIT;
	struct cmd c;
	int o;

	if (!want || !want->url) {
		if (have && have->url)
			strbuf_addf(&params, "share-peer.%u=", i);
	} else {
		bool url_changed = !have || !same_str(want->url, have->url);

		if (url_changed)
			strbuf_addf(&params, "share-peer.%u=%s", i, want->url);
		for (o = SP_TRANSPORT; o < SP_NOPTS; o++) {
			const char *w = conf_peer_opt(want, o);
			const char *h = have ? conf_peer_opt(have, o) : NULL;

			/* a new URL keeps the old options: restate them */
			if (same_str(w, h) && !(url_changed && w))
				continue;
			strbuf_addf(&params, "%sshare-peer.%u.%s=%s",
				    params.len ? "," : "", i,
				    share_peer_opt_names[o], w ? w : "");
		}
	}
	if (params.len && !params.oom) {
		cmd_init(&c, "update", "logicalunit");
		cmd_argi(&c, "tid", tid);
		cmd_argi(&c, "lun", lun);
		cmd_arg(&c, "params", strbuf_str(&params));
		cmd_run(a, &c);
	}
	strbuf_free(&params);
}

static void peers_sync(struct apply *a, int tid, const struct conf_lun *l,
		       const struct conf_lun *hl)
{
	unsigned i;

	for (i = 0; i < CONF_PEERS_MAX; i++) {
		/* -e never removes: a peer the file lacks stays */
		if (!l->peers[i].url && a->mode != APPLY_UPDATE)
			continue;
		peer_sync(a, tid, l->lun, i, &l->peers[i],
			  hl ? &hl->peers[i] : NULL);
	}
}

static void lun_create(struct apply *a, const struct conf_target *t, int tid,
		       const struct conf_lun *l)
{
	char opts[1024], params[4096];
	const char *fl = conf_lun_bsoflags(t, l);
	size_t used = 0;
	struct cmd c;
	int i;

	cmd_init(&c, "new", "logicalunit");
	cmd_argi(&c, "tid", tid);
	cmd_argi(&c, "lun", l->lun);
	cmd_arg(&c, "backing-store", l->path);
	cmd_arg(&c, "bstype", conf_lun_bstype(t, l));
	snprintf(opts, sizeof(opts), "%s", conf_lun_bsopts(t, l) ?: "");
	if (opts[0])
		cmd_arg(&c, "bsopts", opts);
	if (fl)
		cmd_arg(&c, "bsoflags", fl);
	params[0] = '\0';
	for (i = 0; lu_keys_in_order[i]; i++) {
		const char *v = conf_lun_param(t, l, lu_keys_in_order[i]);

		if (v && used < sizeof(params))
			used += (size_t)snprintf(
				params + used, sizeof(params) - used, "%s%s=%s",
				used ? "," : "", lu_keys_in_order[i], v);
	}
	if (params[0])
		cmd_arg(&c, "params", params);
	if (!cmd_run(a, &c) || a->o->pretend)
		peers_sync(a, tid, l, NULL);
}

static void lun_delete(struct apply *a, int tid, long lun)
{
	struct cmd c;

	cmd_init(&c, "delete", "logicalunit");
	cmd_argi(&c, "tid", tid);
	cmd_argi(&c, "lun", lun);
	cmd_run(a, &c);
}

static void lun_update(struct apply *a, const struct conf_target *t,
		       const struct conf_target *h, int tid,
		       const struct conf_lun *l, const struct conf_lun *hl)
{
	int i;

	for (i = 0; lu_keys_in_order[i]; i++) {
		const char *k = lu_keys_in_order[i];
		const char *v = conf_lun_param(t, l, k);
		char kv[512];
		struct cmd c;

		if (!v || same_param(v, conf_lun_param(h, hl, k)))
			continue;
		if (!strcmp(k, "block_size")) {
			fprintf(stderr,
				"tgtx-admin: %s LUN %ld: block size changes "
				"need the LUN to be recreated; skipped\n",
				t->name, l->lun);
			continue;
		}
		cmd_init(&c, "update", "logicalunit");
		cmd_argi(&c, "tid", tid);
		cmd_argi(&c, "lun", l->lun);
		snprintf(kv, sizeof(kv), "%s=%s", k, v);
		cmd_arg(&c, "params", kv);
		cmd_run(a, &c);
	}
	peers_sync(a, tid, l, hl);
}

static void sync_luns(struct apply *a, const struct conf_target *t,
		      const struct conf_target *h, int tid)
{
	struct conf_lun *l, *hl;

	list_for_each_entry (l, &t->luns, node) {
		char want[1024], have[1024];

		hl = h ? conf_find_lun(h, l->lun) : NULL;
		if (!hl) {
			lun_create(a, t, tid, l);
			continue;
		}
		effective_bsopts(t, l, want, sizeof(want));
		effective_bsopts(h, hl, have, sizeof(have));
		if (same_str(l->path, hl->path) &&
		    !strcmp(conf_lun_bstype(t, l), conf_lun_bstype(h, hl)) &&
		    !strcmp(want, have)) {
			lun_update(a, t, h, tid, l, hl);
			continue;
		}
		if (target_busy(h, a->o) && !conf_lun_allow_in_use(t, l)) {
			fprintf(stderr,
				"tgtx-admin: %s LUN %ld changed but the target "
				"is in use; not replaced (use --force)\n",
				t->name, l->lun);
			continue;
		}
		lun_delete(a, tid, l->lun);
		lun_create(a, t, tid, l);
	}
	if (a->mode != APPLY_UPDATE || !h)
		return;
	list_for_each_entry (hl, &h->luns, node) {
		if (conf_find_lun(t, hl->lun))
			continue;
		if (target_busy(h, a->o)) {
			fprintf(stderr,
				"tgtx-admin: %s LUN %ld is not in the config "
				"but the target is in use; kept (use "
				"--force)\n",
				t->name, hl->lun);
			continue;
		}
		lun_delete(a, tid, hl->lun);
	}
}

/* ---- ACLs, params, accounts ---- */

static bool kv_has(const struct list_head *h, const char *key)
{
	struct conf_kv *kv;

	list_for_each_entry (kv, h, node)
		if (!strcasecmp(kv->key, key))
			return true;
	return false;
}

static void acl_cmd(struct apply *a, int tid, bool bind, const char *key,
		    const char *v)
{
	struct cmd c;

	cmd_init(&c, bind ? "bind" : "unbind", "target");
	cmd_argi(&c, "tid", tid);
	cmd_arg(&c, key, v);
	cmd_run(a, &c);
}

static void sync_acls(struct apply *a, const struct conf_target *t,
		      const struct conf_target *h, int tid)
{
	static const struct list_head empty = {(struct list_head *)&empty,
					       (struct list_head *)&empty};
	const struct list_head *haddrs = h ? &h->addrs : &empty;
	const struct list_head *hnames = h ? &h->names : &empty;
	struct conf_kv *kv;

	/*
	 * tgt-admin binds ALL when a target lists no initiator-address;
	 * with only initiator-name lines that makes the names decide.
	 */
	if (list_empty(&t->addrs)) {
		if (!kv_has(haddrs, "ALL"))
			acl_cmd(a, tid, true, "initiator-address", "ALL");
	}
	list_for_each_entry (kv, &t->addrs, node)
		if (!kv_has(haddrs, kv->key))
			acl_cmd(a, tid, true, "initiator-address", kv->key);
	list_for_each_entry (kv, &t->names, node)
		if (!kv_has(hnames, kv->key))
			acl_cmd(a, tid, true, "initiator-name", kv->key);
	if (a->mode != APPLY_UPDATE || !h)
		return;
	list_for_each_entry (kv, &h->addrs, node) {
		bool implicit =
			list_empty(&t->addrs) && !strcasecmp(kv->key, "ALL");

		if (!implicit && !kv_has(&t->addrs, kv->key))
			acl_cmd(a, tid, false, "initiator-address", kv->key);
	}
	list_for_each_entry (kv, &h->names, node)
		if (!kv_has(&t->names, kv->key))
			acl_cmd(a, tid, false, "initiator-name", kv->key);
}

static void sync_params(struct apply *a, const struct conf_target *t,
			const struct conf_target *h, int tid)
{
	struct conf_kv *kv, *hk;

	list_for_each_entry (kv, &t->iscsi, node) {
		struct cmd c;
		bool same = false;

		if (h)
			list_for_each_entry (hk, &h->iscsi, node)
				if (!strcasecmp(hk->key, kv->key))
					same = !strcmp(hk->value, kv->value);
		if (same)
			continue;
		cmd_init(&c, "update", "target");
		cmd_argi(&c, "tid", tid);
		cmd_arg(&c, "name", kv->key);
		cmd_arg(&c, "value", kv->value);
		cmd_run(a, &c);
	}
}

/* Creates or re-keys the global account so bindings can refer to it. */
static void ensure_account(struct apply *a, const char *user,
			   const char *password)
{
	struct conf_kv *kv;
	struct cmd c;

	list_for_each_entry (kv, &a->have->accounts, node) {
		if (strcmp(kv->key, user))
			continue;
		if (!strcmp(kv->value, password))
			return;
		cmd_init(&c, "update", "account");
		cmd_arg(&c, "user", user);
		cmd_arg(&c, "password", password);
		if (!cmd_run(a, &c) || a->o->pretend) {
			free(kv->value);
			kv->value = strdup(password);
		}
		return;
	}
	cmd_init(&c, "new", "account");
	cmd_arg(&c, "user", user);
	cmd_arg(&c, "password", password);
	if (cmd_run(a, &c) && !a->o->pretend)
		return;
	/* remember it: another target may use the same account */
	kv = calloc(1, sizeof(*kv));
	if (kv) {
		kv->key = strdup(user);
		kv->value = strdup(password);
		list_add_tail(&kv->node, &a->have->accounts);
	}
}

static void bind_cmd(struct apply *a, int tid, bool bind, const char *user,
		     bool outgoing)
{
	struct cmd c;

	cmd_init(&c, bind ? "bind" : "unbind", "account");
	cmd_argi(&c, "tid", tid);
	cmd_arg(&c, "user", user);
	if (outgoing)
		cmd_arg(&c, "outgoing", "1");
	cmd_run(a, &c);
}

static void sync_accounts(struct apply *a, const struct conf_target *t,
			  const struct conf_target *h, int tid)
{
	static const struct list_head empty = {(struct list_head *)&empty,
					       (struct list_head *)&empty};
	const struct list_head *hin = h ? &h->in_users : &empty;
	const struct list_head *hout = h ? &h->out_users : &empty;
	struct conf_kv *kv;

	list_for_each_entry (kv, &t->in_users, node) {
		ensure_account(a, kv->key, kv->value);
		if (!kv_has(hin, kv->key))
			bind_cmd(a, tid, true, kv->key, false);
	}
	list_for_each_entry (kv, &t->out_users, node) {
		struct conf_kv *old;

		ensure_account(a, kv->key, kv->value);
		if (kv_has(hout, kv->key))
			continue;
		/* a target has one outgoing account: replace it */
		list_for_each_entry (old, hout, node)
			bind_cmd(a, tid, false, old->key, true);
		bind_cmd(a, tid, true, kv->key, true);
	}
	if (a->mode != APPLY_UPDATE || !h)
		return;
	list_for_each_entry (kv, &h->in_users, node)
		if (!kv_has(&t->in_users, kv->key))
			bind_cmd(a, tid, false, kv->key, false);
	if (list_empty(&t->out_users))
		list_for_each_entry (kv, &h->out_users, node)
			bind_cmd(a, tid, false, kv->key, true);
}

/* ---- targets ---- */

static bool tid_used(const struct conf *have, int tid)
{
	struct conf_target *h;

	list_for_each_entry (h, &have->targets, node)
		if (h->tid == tid)
			return true;
	return false;
}

static int pick_tid(struct apply *a, const struct conf_target *t)
{
	int tid = 1;

	if (t->tid > 0 && !tid_used(a->have, t->tid))
		return t->tid;
	while (tid_used(a->have, tid))
		tid++;
	return tid;
}

static void sync_target(struct apply *a, const struct conf_target *t)
{
	struct conf_target *h = conf_find_target(a->have, t->name);
	int tid;

	if (!h) {
		struct cmd c;
		struct conf_target *placeholder;

		tid = pick_tid(a, t);
		cmd_init(&c, "new", "target");
		cmd_argi(&c, "tid", tid);
		cmd_arg(&c, "targetname", t->name);
		if (cmd_run(a, &c))
			return;
		/* reserve the tid for the targets created after this one */
		placeholder = calloc(1, sizeof(*placeholder));
		if (placeholder) {
			placeholder->tid = tid;
			placeholder->name = strdup("");
			list_init(&placeholder->luns);
			list_init(&placeholder->addrs);
			list_init(&placeholder->names);
			list_init(&placeholder->in_users);
			list_init(&placeholder->out_users);
			list_init(&placeholder->iscsi);
			list_init(&placeholder->defaults.params);
			list_add_tail(&placeholder->node, &a->have->targets);
		}
	} else {
		tid = h->tid;
	}
	sync_params(a, t, h, tid);
	sync_luns(a, t, h, tid);
	sync_accounts(a, t, h, tid);
	sync_acls(a, t, h, tid);
}

static void delete_target(struct apply *a, const struct conf_target *h)
{
	struct cmd c;

	if (!*h->name)
		return;
	if (h->sessions > 0 && !a->o->force) {
		fprintf(stderr,
			"tgtx-admin: target %s (tid %d) is in use (%d "
			"session%s), not deleted; use --force\n",
			h->name, h->tid, h->sessions,
			h->sessions == 1 ? "" : "s");
		a->errors++;
		return;
	}
	cmd_init(&c, "delete", "target");
	cmd_argi(&c, "tid", h->tid);
	if (h->sessions > 0)
		cmd_arg(&c, "force", "1");
	cmd_run(a, &c);
}

static bool selected(const char *select, const struct conf_target *t,
		     const struct conf_target *h)
{
	int tid = h ? h->tid : t ? t->tid : 0;
	const char *name = h ? h->name : t->name;

	if (!select || !strcmp(select, "ALL"))
		return true;
	if (!strncmp(select, "tid=", 4))
		return tid && atoi(select + 4) == tid;
	if (select[0] >= '0' && select[0] <= '9' && !strchr(select, '.'))
		return tid && atoi(select) == tid;
	return !strcasecmp(select, name);
}

int conf_apply(const struct conf *want, const struct admin_opts *o,
	       enum apply_mode mode, const char *select)
{
	struct apply a = {.o = o, .mode = mode};
	struct conf_target *t, *h;
	bool all = !select || !strcmp(select, "ALL");
	int matched = 0;

	if (fetch_state(&a))
		return -1;
	list_for_each_entry (t, &want->targets, node) {
		h = conf_find_target(a.have, t->name);
		if (!selected(select, t, h))
			continue;
		matched++;
		sync_target(&a, t);
		if (a.stop)
			break;
	}
	if (mode == APPLY_UPDATE && !a.stop) {
		list_for_each_entry (h, &a.have->targets, node) {
			if (!*h->name || conf_find_target(want, h->name))
				continue;
			if (!all && !selected(select, NULL, h))
				continue;
			matched++;
			delete_target(&a, h);
			if (a.stop)
				break;
		}
	}
	if (!all && !matched) {
		fprintf(stderr, "tgtx-admin: no target matches '%s'\n", select);
		a.errors++;
	}
	conf_free(a.have);
	return a.errors ? -1 : 0;
}

int conf_delete(const struct admin_opts *o, const char *select)
{
	struct apply a = {.o = o, .mode = APPLY_UPDATE};
	struct conf_target *h;
	int matched = 0;

	if (fetch_state(&a))
		return -1;
	list_for_each_entry (h, &a.have->targets, node) {
		if (!selected(select, NULL, h))
			continue;
		matched++;
		delete_target(&a, h);
		if (a.stop)
			break;
	}
	if (!matched && select && strcmp(select, "ALL")) {
		fprintf(stderr, "tgtx-admin: no target matches '%s'\n", select);
		a.errors++;
	}
	conf_free(a.have);
	return a.errors ? -1 : 0;
}
