// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Turns the difference between two configuration trees into tgtxd
 * requests. Every request that succeeds records the requests that undo
 * it; when one fails, the undo lists run backwards, so a command that
 * fails leaves the daemon as it found it.
 *
 * Order matters for security as much as for the daemon: on the way down
 * address rules go before name rules before CHAP; on the way up CHAP is
 * bound before any ACL opens the target.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

struct ap {
	struct cli *c;
	json_t *from, *to;
	json_t *journal; /* array of undo lists (arrays of requests) */
};

/* "new logicalunit tid=2 lun=0": which step failed */
static void context(struct ap *a, json_t *req)
{
	static const char *const keys[] = {
		"tid",	  "lun", "user", "initiator-address", "initiator-name",
		"params", NULL};
	char msg[CLI_ERR_MAX + 300], step[256];
	size_t n;
	int i;

	n = (size_t)snprintf(step, sizeof(step), "%s %s", cli_str(req, "op"),
			     cli_str(req, "mode"));
	for (i = 0; keys[i] && n < sizeof(step); i++)
		if (*cli_str(req, keys[i]))
			n += (size_t)snprintf(step + n, sizeof(step) - n,
					      " %s=%s", keys[i],
					      cli_str(req, keys[i]));
	snprintf(msg, sizeof(msg), "%s (step: %s; nothing was changed)",
		 a->c->err, step);
	msg[sizeof(a->c->err) - 1] = 0;
	memcpy(a->c->err, msg, sizeof(a->c->err));
}

static int run(struct ap *a, json_t *req, json_t *undo)
{
	int ret = cli_call(a->c, req, NULL);

	if (ret)
		context(a, req);
	json_decref(req);
	if (ret) {
		json_decref(undo);
		return -1;
	}
	json_array_append_new(a->journal, undo ? undo : json_array());
	return 0;
}

static void rollback(struct ap *a)
{
	size_t i = json_array_size(a->journal);
	char saved[CLI_ERR_MAX];
	int failed = 0;

	memcpy(saved, a->c->err, sizeof(saved));
	while (i--) {
		json_t *list = json_array_get(a->journal, i), *r;
		size_t j;

		json_array_foreach (list, j, r) {
			const char *path = cli_str(r, "_unlink");

			if (*path)
				failed += unlink(path) != 0;
			else
				failed += cli_call(a->c, r, NULL) != 0;
		}
	}
	if (failed)
		snprintf(a->c->err, sizeof(a->c->err),
			 "%.900s; BUT %d undo step(s) failed: check `ls`",
			 saved, failed);
	else
		memcpy(a->c->err, saved, sizeof(saved));
}

static void tidstr(json_t *t, char *b)
{
	snprintf(b, 16, "%lld", cli_int(t, "tgtx_tid", 0));
}

/* ---- LUN specs ---- */

struct spec {
	char bstype[32], path[CLI_PATH_MAX], bsopts[1400], params[64];
};

static void so_spec(json_t *so, struct spec *s)
{
	const char *plugin = cli_str(so, "plugin");
	const char *extra = cli_str(so, "tgtx_bsopts");
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	if (*cli_str(so, "tgtx_bstype"))
		snprintf(s->bstype, sizeof(s->bstype), "%s",
			 cli_str(so, "tgtx_bstype"));
	else if (!strcmp(plugin, "null") || !strcmp(plugin, "xorshare"))
		snprintf(s->bstype, sizeof(s->bstype), "%s", plugin);
	else
		strcpy(s->bstype, "rdwr");
	snprintf(s->path, sizeof(s->path), "%s", cli_str(so, "dev"));
	if (!strcmp(plugin, "xorshare"))
		n = (size_t)snprintf(s->bsopts, sizeof(s->bsopts),
				     "k=%lld;n=%lld;log=%s",
				     cli_int(so, "k", 2), cli_int(so, "n", 3),
				     cli_str(so, "log"));
	else if (!strcmp(plugin, "null") && json_object_get(so, "size"))
		n = (size_t)snprintf(s->bsopts, sizeof(s->bsopts), "size=%lld",
				     cli_int(so, "size", 0));
	if (*extra && n < sizeof(s->bsopts))
		snprintf(s->bsopts + n, sizeof(s->bsopts) - n, "%s%s",
			 n ? ";" : "", extra);
	if (json_object_get(so, "write_back"))
		snprintf(s->params, sizeof(s->params), "write-cache=%s",
			 cli_int(so, "write_back", 1) ? "on" : "off");
}

static bool spec_eq(const struct spec *a, const struct spec *b)
{
	return !strcmp(a->bstype, b->bstype) && !strcmp(a->path, b->path) &&
	       !strcmp(a->bsopts, b->bsopts) && !strcmp(a->params, b->params);
}

/* LU parameters tgtxd keeps for tgtxcli: name and share peers. */
static json_t *so_notes(json_t *so)
{
	json_t *n = json_object(), *p;
	char k[48], v[CLI_NAME_MAX + 20];
	size_t i;
	int o;

	snprintf(v, sizeof(v), "%s/%s", cli_str(so, "plugin"),
		 cli_str(so, "name"));
	json_object_set_new(n, "backstore", json_string(v));
	json_array_foreach (json_object_get(so, "peers"), i, p) {
		snprintf(k, sizeof(k), "share-peer.%lld",
			 cli_int(p, "index", 0));
		json_object_set_new(n, k, json_string(cli_str(p, "url")));
		/* after the URL: tgtxd refuses options of an unknown peer */
		for (o = SP_TRANSPORT; o < SP_NOPTS; o++) {
			const char *v = cli_str(p, share_peer_opt_names[o]);

			if (!*v)
				continue;
			snprintf(k, sizeof(k), "share-peer.%lld.%s",
				 cli_int(p, "index", 0),
				 share_peer_opt_names[o]);
			json_object_set_new(n, k, json_string(v));
		}
	}
	return n;
}

static json_t *lun_new_req(const char *tid, const char *lun,
			   const struct spec *s)
{
	json_t *r = cli_req("op", "new", "mode", "logicalunit", "tid", tid,
			    "lun", lun, "bstype", s->bstype, NULL);

	if (s->path[0])
		json_object_set_new(r, "backing-store", json_string(s->path));
	if (s->bsopts[0])
		json_object_set_new(r, "bsopts", json_string(s->bsopts));
	if (s->params[0])
		json_object_set_new(r, "params", json_string(s->params));
	return r;
}

static json_t *note_req(const char *tid, const char *lun, const char *k,
			const char *v)
{
	return cli_req("op", "update", "mode", "logicalunit", "tid", tid, "lun",
		       lun, "name", k, "value", v, NULL);
}

/* Requests recreating a LUN with its notes (the undo of a delete). */
static json_t *lun_recreate(const char *tid, const char *lun, json_t *so)
{
	json_t *list = json_array(), *notes = so_notes(so), *v;
	const char *k;
	struct spec s;

	so_spec(so, &s);
	json_array_append_new(list, lun_new_req(tid, lun, &s));
	json_object_foreach (notes, k, v)
		json_array_append_new(
			list, note_req(tid, lun, k, json_string_value(v)));
	json_decref(notes);
	return list;
}

static json_t *lun_so(json_t *m, json_t *lun)
{
	return cli_so_by_path(m, cli_str(lun, "storage_object"));
}

static int lun_create(struct ap *a, const char *tid, json_t *l)
{
	json_t *so = lun_so(a->to, l), *notes = so_notes(so), *v;
	char lun[24];
	const char *k;
	struct spec s;

	snprintf(lun, sizeof(lun), "%lld", cli_int(l, "index", 0));
	so_spec(so, &s);
	if (run(a, lun_new_req(tid, lun, &s),
		json_pack("[o]", cli_req("op", "delete", "mode", "logicalunit",
					 "tid", tid, "lun", lun, NULL))))
		goto fail;
	json_object_foreach (notes, k, v)
		if (run(a, note_req(tid, lun, k, json_string_value(v)), NULL))
			goto fail;
	json_decref(notes);
	return 0;
fail:
	json_decref(notes);
	return -1;
}

static int notes_update(struct ap *a, const char *tid, json_t *ol, json_t *nl)
{
	json_t *on = so_notes(lun_so(a->from, ol));
	json_t *nn = so_notes(lun_so(a->to, nl)), *v, *gone, *g;
	char lun[24];
	const char *k;
	size_t i;
	int ret = 0;

	snprintf(lun, sizeof(lun), "%lld", cli_int(nl, "index", 0));
	/*
	 * Removals last key first: a peer's options go before its URL, so
	 * the undo (run backwards) restores the URL before its options.
	 */
	gone = json_array();
	json_object_foreach (on, k, v)
		if (!json_object_get(nn, k))
			json_array_insert_new(gone, 0, json_string(k));
	json_array_foreach (gone, i, g) {
		k = json_string_value(g);
		v = json_object_get(on, k);
		if (!ret)
			ret = run(a, note_req(tid, lun, k, ""),
				  json_pack("[o]",
					    note_req(tid, lun, k,
						     json_string_value(v))));
	}
	json_decref(gone);
	json_object_foreach (nn, k, v) {
		json_t *old = json_object_get(on, k);

		if (ret || (old && json_equal(old, v)))
			continue;
		ret = run(a, note_req(tid, lun, k, json_string_value(v)),
			  json_pack("[o]", note_req(tid, lun, k,
						    old ? json_string_value(old)
							: "")));
	}
	json_decref(on);
	json_decref(nn);
	return ret;
}

static bool lun_same(struct ap *a, json_t *ol, json_t *nl)
{
	struct spec s1, s2;
	json_t *so1 = lun_so(a->from, ol), *so2 = lun_so(a->to, nl);

	if (!so1 || !so2)
		return false;
	so_spec(so1, &s1);
	so_spec(so2, &s2);
	return spec_eq(&s1, &s2);
}

/* ---- ACLs and CHAP ---- */

static bool str_in(json_t *arr, const char *key, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v) {
		const char *x = key ? cli_str(v, key) : json_string_value(v);

		if (x && !strcasecmp(x, s))
			return true;
	}
	return false;
}

static int acl_req(struct ap *a, const char *tid, bool bind, bool addr,
		   const char *who)
{
	const char *k = addr ? "initiator-address" : "initiator-name";

	return run(
		a,
		cli_req("op", bind ? "bind" : "unbind", "mode", "target", "tid",
			tid, k, who, NULL),
		json_pack("[o]", cli_req("op", bind ? "unbind" : "bind", "mode",
					 "target", "tid", tid, k, who, NULL)));
}

static int user_req(struct ap *a, const char *tid, bool bind, bool out,
		    const char *user)
{
	json_t *r = cli_req("op", bind ? "bind" : "unbind", "mode", "account",
			    "tid", tid, "user", user, NULL);
	json_t *u = cli_req("op", bind ? "unbind" : "bind", "mode", "account",
			    "tid", tid, "user", user, NULL);

	if (out) {
		json_object_set_new(r, "outgoing", json_string("1"));
		json_object_set_new(u, "outgoing", json_string("1"));
	}
	return run(a, r, json_pack("[o]", u));
}

static int acls_down(struct ap *a, const char *tid, json_t *ot, json_t *nt)
{
	json_t *otpg = cli_tpg(ot), *ntpg = nt ? cli_tpg(nt) : NULL, *v;
	const char *ou = cli_str(otpg, "chap_userid");
	const char *omu = cli_str(otpg, "chap_mutual_userid");
	size_t i;

	json_array_foreach (json_object_get(otpg, "tgtx_initiator_addresses"),
			    i, v)
		if (!ntpg ||
		    !str_in(json_object_get(ntpg, "tgtx_initiator_addresses"),
			    NULL, json_string_value(v)))
			if (acl_req(a, tid, false, true, json_string_value(v)))
				return -1;
	json_array_foreach (json_object_get(otpg, "node_acls"), i, v)
		if (!ntpg || !str_in(json_object_get(ntpg, "node_acls"),
				     "node_wwn", cli_str(v, "node_wwn")))
			if (acl_req(a, tid, false, false,
				    cli_str(v, "node_"
					       "ww"
					       "n")))
				return -1;
	if (*ou && (!ntpg || strcmp(ou, cli_str(ntpg, "chap_userid"))))
		if (user_req(a, tid, false, false, ou))
			return -1;
	if (*omu && (!ntpg || strcmp(omu, cli_str(ntpg, "chap_mutual_userid"))))
		if (user_req(a, tid, false, true, omu))
			return -1;
	return 0;
}

static int acls_up(struct ap *a, const char *tid, json_t *ot, json_t *nt)
{
	json_t *otpg = ot ? cli_tpg(ot) : NULL, *ntpg = cli_tpg(nt), *v;
	const char *nu = cli_str(ntpg, "chap_userid");
	const char *nmu = cli_str(ntpg, "chap_mutual_userid");
	size_t i;

	if (*nu && (!otpg || strcmp(nu, cli_str(otpg, "chap_userid"))))
		if (user_req(a, tid, true, false, nu))
			return -1;
	if (*nmu && (!otpg || strcmp(nmu, cli_str(otpg, "chap_mutual_userid"))))
		if (user_req(a, tid, true, true, nmu))
			return -1;
	json_array_foreach (json_object_get(ntpg, "node_acls"), i, v)
		if (!otpg || !str_in(json_object_get(otpg, "node_acls"),
				     "node_wwn", cli_str(v, "node_wwn")))
			if (acl_req(a, tid, true, false,
				    cli_str(v, "node_"
					       "ww"
					       "n")))
				return -1;
	json_array_foreach (json_object_get(ntpg, "tgtx_initiator_addresses"),
			    i, v)
		if (!otpg ||
		    !str_in(json_object_get(otpg, "tgtx_initiator_addresses"),
			    NULL, json_string_value(v)))
			if (acl_req(a, tid, true, true, json_string_value(v)))
				return -1;
	return 0;
}

/* user -> password of every CHAP account the tree's tpgs use */
static int chap_users(struct cli *c, json_t *m, json_t *users)
{
	static const char *const keys[][2] = {
		{"chap_userid", "chap_password"},
		{"chap_mutual_userid", "chap_mutual_password"},
	};
	json_t *t;
	size_t i;
	int k;

	json_array_foreach (json_object_get(m, "targets"), i, t) {
		json_t *tpg = cli_tpg(t);

		for (k = 0; k < 2; k++) {
			const char *u = cli_str(tpg, keys[k][0]);
			const char *p = cli_str(tpg, keys[k][1]);
			json_t *have = json_object_get(users, u);

			if (!*u)
				continue;
			if (have && strcmp(json_string_value(have), p))
				return cli_fail(c,
						"CHAP user '%s' is given two "
						"passwords: tgtxd accounts are "
						"shared by all targets",
						u);
			json_object_set_new(users, u, json_string(p));
		}
	}
	return 0;
}

/* ---- portals ---- */

static void portal_str(json_t *p, char *b, size_t len)
{
	const char *ip = cli_str(p, "ip_address");

	snprintf(b, len, strchr(ip, ':') ? "[%s]:%lld" : "%s:%lld", ip,
		 cli_int(p, "port", 3260));
}

static json_t *portal_set(json_t *m)
{
	json_t *set = json_object(), *t, *p;
	char b[128];
	size_t i, j;

	json_array_foreach (json_object_get(m, "targets"), i, t)
		json_array_foreach (json_object_get(cli_tpg(t), "portals"), j,
				    p) {
			portal_str(p, b, sizeof(b));
			json_object_set_new(set, b, json_true());
		}
	return set;
}

static int portal_req(struct ap *a, bool add, const char *spec)
{
	char p[160];

	snprintf(p, sizeof(p), "portal=%s", spec);
	return run(
		a,
		cli_req("op", add ? "new" : "delete", "mode", "portal",
			"params", p, NULL),
		json_pack("[o]", cli_req("op", add ? "delete" : "new", "mode",
					 "portal", "params", p, NULL)));
}

/* ---- files ---- */

static int create_files(struct ap *a)
{
	json_t *so;
	size_t i;

	json_array_foreach (json_object_get(a->to, "storage_objects"), i, so) {
		const char *p = cli_str(so, "plugin"),
			   *dev = cli_str(so, "dev");
		long long size = cli_int(so, "size", 0);
		struct stat st;
		int fd;

		if (strcmp(p, "fileio") && strcmp(p, "xorshare"))
			continue;
		if (!*dev || !stat(dev, &st))
			continue;
		if (size <= 0)
			return cli_fail(a->c,
					"%s: no such file, and no size to "
					"create it with",
					dev);
		fd = open(dev, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return cli_fail(a->c, "cannot create %s: %s", dev,
					strerror(errno));
		if (ftruncate(fd, (off_t)size)) {
			int e = errno;

			close(fd);
			unlink(dev);
			return cli_fail(a->c, "cannot size %s: %s", dev,
					strerror(e));
		}
		close(fd);
		json_array_append_new(a->journal,
				      json_pack("[{s:s}]", "_unlink", dev));
	}
	return 0;
}

/* ---- the whole ---- */

static int validate(struct ap *a)
{
	json_t *t, *l, *so, *seen = json_object();
	size_t i, j;
	int ret = 0;

	json_array_foreach (json_object_get(a->to, "targets"), i, t)
		json_array_foreach (json_object_get(cli_tpg(t), "luns"), j, l) {
			const char *path = cli_str(l, "storage_object");

			so = cli_so_by_path(a->to, path);
			if (!so) {
				ret = cli_fail(a->c,
					       "LUN %lld of %s: no storage "
					       "object %s",
					       cli_int(l, "index", 0),
					       cli_str(t, "wwn"), path);
				break;
			}
			if (!strcmp(cli_str(so, "plugin"), "xorshare") &&
			    json_object_get(seen, path)) {
				ret = cli_fail(a->c,
					       "%s is already used by a LUN: "
					       "an xorshare share log has one "
					       "writer",
					       path);
				break;
			}
			json_object_set_new(seen, path, json_true());
		}
	json_decref(seen);
	return ret;
}

static void assign_tids(json_t *from, json_t *to)
{
	json_t *t, *ot, *used = json_object();
	long long max = 0;
	char k[24];
	size_t i;

	json_array_foreach (json_object_get(from, "targets"), i, t)
		if (cli_int(t, "tgtx_tid", 0) > max)
			max = cli_int(t, "tgtx_tid", 0);
	json_array_foreach (json_object_get(to, "targets"), i, t) {
		ot = cli_target_find(from, cli_str(t, "wwn"));
		if (ot) {
			json_object_set_new(
				t, "tgtx_tid",
				json_integer(cli_int(ot, "tgtx_tid", 0)));
			snprintf(k, sizeof(k), "%lld",
				 cli_int(ot, "tgtx_tid", 0));
			json_object_set_new(used, k, json_true());
		}
	}
	json_array_foreach (json_object_get(from, "targets"), i, t) {
		snprintf(k, sizeof(k), "%lld", cli_int(t, "tgtx_tid", 0));
		json_object_set_new(used, k, json_true());
	}
	json_array_foreach (json_object_get(to, "targets"), i, t) {
		long long want = cli_int(t, "tgtx_tid", 0);

		if (cli_target_find(from, cli_str(t, "wwn")))
			continue;
		snprintf(k, sizeof(k), "%lld", want);
		if (want <= 0 || want > 0x7fffffff ||
		    json_object_get(used, k)) {
			want = ++max;
			snprintf(k, sizeof(k), "%lld", want);
		}
		if (want > max)
			max = want;
		json_object_set_new(used, k, json_true());
		json_object_set_new(t, "tgtx_tid", json_integer(want));
	}
	json_decref(used);
}

static int down(struct ap *a)
{
	json_t *ot, *nt, *l;
	char tid[16], lun[24];
	size_t i, j;

	json_array_foreach (json_object_get(a->from, "targets"), i, ot) {
		nt = cli_target_find(a->to, cli_str(ot, "wwn"));
		tidstr(ot, tid);
		if (acls_down(a, tid, ot, nt))
			return -1;
		json_array_foreach (json_object_get(cli_tpg(ot), "luns"), j,
				    l) {
			json_t *nl = nt ? cli_lun_find(cli_tpg(nt),
						       cli_int(l, "index", 0))
					: NULL;

			if (nl && lun_same(a, l, nl))
				continue;
			snprintf(lun, sizeof(lun), "%lld",
				 cli_int(l, "index", 0));
			if (run(a,
				cli_req("op", "delete", "mode", "logicalunit",
					"tid", tid, "lun", lun, NULL),
				lun_recreate(tid, lun, lun_so(a->from, l))))
				return -1;
		}
		if (!nt &&
		    run(a,
			cli_req("op", "delete", "mode", "target", "tid", tid,
				"force", "1", NULL),
			json_pack("[o]", cli_req("op", "new", "mode", "target",
						 "tid", tid, "targetname",
						 cli_str(ot, "wwn"), NULL))))
			return -1;
	}
	return 0;
}

static int accounts(struct ap *a, json_t *nu)
{
	json_t *have = json_object_get(a->from, "_accounts"), *v;
	const char *u;

	json_object_foreach (nu, u, v) {
		json_t *old = json_object_get(have, u);
		const char *p = json_string_value(v);

		if (old && !strcmp(json_string_value(old), p))
			continue;
		if (old) {
			if (run(a,
				cli_req("op", "update", "mode", "account",
					"user", u, "password", p, NULL),
				json_pack("[o]", cli_req("op", "update", "mode",
							 "account", "user", u,
							 "password",
							 json_string_value(old),
							 NULL))))
				return -1;
		} else if (run(a,
			       cli_req("op", "new", "mode", "account", "user",
				       u, "password", p, NULL),
			       json_pack("[o]", cli_req("op", "delete", "mode",
							"account", "user", u,
							NULL)))) {
			return -1;
		}
	}
	return 0;
}

static int up(struct ap *a)
{
	json_t *ot, *nt, *l;
	char tid[16];
	size_t i, j;

	json_array_foreach (json_object_get(a->to, "targets"), i, nt) {
		ot = cli_target_find(a->from, cli_str(nt, "wwn"));
		tidstr(nt, tid);
		if (!ot &&
		    run(a,
			cli_req("op", "new", "mode", "target", "tid", tid,
				"targetname", cli_str(nt, "wwn"), NULL),
			json_pack("[o]",
				  cli_req("op", "delete", "mode", "target",
					  "tid", tid, "force", "1", NULL))))
			return -1;
		json_array_foreach (json_object_get(cli_tpg(nt), "luns"), j,
				    l) {
			json_t *ol = ot ? cli_lun_find(cli_tpg(ot),
						       cli_int(l, "index", 0))
					: NULL;

			if (ol && lun_same(a, ol, l)) {
				if (notes_update(a, tid, ol, l))
					return -1;
			} else if (lun_create(a, tid, l)) {
				return -1;
			}
		}
		if (acls_up(a, tid, ot, nt))
			return -1;
	}
	return 0;
}

static int unused_accounts(struct ap *a, json_t *ou, json_t *nu)
{
	json_t *v;
	const char *u;

	json_object_foreach (ou, u, v)
		if (!json_object_get(nu, u) &&
		    run(a,
			cli_req("op", "delete", "mode", "account", "user", u,
				NULL),
			json_pack("[o]", cli_req("op", "new", "mode", "account",
						 "user", u, "password",
						 json_string_value(v), NULL))))
			return -1;
	return 0;
}

static int portals(struct ap *a, bool del)
{
	json_t *want = portal_set(a->to), *have = json_object(), *p, *v;
	const char *k;
	char b[128];
	size_t i;
	int ret = 0;

	json_array_foreach (json_object_get(a->from, "_portals"), i, p) {
		portal_str(p, b, sizeof(b));
		json_object_set_new(have, b, json_true());
	}
	json_object_foreach (want, k, v)
		if (!ret && !json_object_get(have, k))
			ret = portal_req(a, true, k);
	if (del)
		json_object_foreach (have, k, v)
			if (!ret && !json_object_get(want, k))
				ret = portal_req(a, false, k);
	json_decref(want);
	json_decref(have);
	return ret;
}

static int save_unmapped(struct ap *a)
{
	json_t *keep = json_array(), *so, *users, *clean;
	size_t i;
	int ret;

	clean = cli_strip(a->to);
	json_array_foreach (json_object_get(clean, "storage_objects"), i, so) {
		users = cli_so_users(clean, so);
		if (!json_array_size(users))
			json_array_append(keep, so);
		json_decref(users);
	}
	ret = cli_state_save(a->c, keep);
	json_decref(keep);
	json_decref(clean);
	return ret;
}

int cli_apply(struct cli *c, json_t *from, json_t *to,
	      const struct cli_apply_opts *o)
{
	struct ap a = {.c = c, .from = from, .to = to};
	json_t *ou = json_object(), *nu = json_object();
	int ret = -1;

	a.journal = json_array();
	if (validate(&a) || chap_users(c, from, ou) || chap_users(c, to, nu))
		goto out;
	assign_tids(from, to);
	if (create_files(&a) || down(&a) || accounts(&a, nu) ||
	    portals(&a, o && o->delete_portals) || up(&a) ||
	    unused_accounts(&a, ou, nu) || save_unmapped(&a)) {
		rollback(&a);
		goto out;
	}
	ret = 0;
out:
	json_decref(ou);
	json_decref(nu);
	json_decref(a.journal);
	return ret;
}
