// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The running configuration as a tree: tgtxd's state dump (targets.conf
 * text with tgtx's state lines, doc/management.md), its portal list, the
 * xorshare figures of `show`, and the backstores no LUN uses yet.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

struct rd {
	json_t *m, *t, *tpg;
	/* backing-store block being read */
	bool in_lu;
	char path[CLI_PATH_MAX], bstype[32], bsopts[1024], note[128];
	long lun;
	int wce; /* -1 unknown */
	json_t *peers;
};

/* "value" or value -> value, in place */
static char *unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = 0;
		return s + 1;
	}
	return s;
}

static json_t *new_target(const char *wwn)
{
	return json_pack(
		"{s:s,s:s,s:[{s:i,s:b,s:{},s:{},s:[],s:[],s:[],s:[]}]}",
		"fabric", "iscsi", "wwn", wwn, "tpgs", "tag", 1, "enable", 1,
		"attributes", "parameters", "luns", "node_acls", "portals",
		"tgtx_initiator_addresses");
}

/* Removes key=value from "k=v;k=v" opts, copying the value out. */
static bool take_opt(char *opts, const char *key, char *val, size_t vlen)
{
	size_t kl = strlen(key);
	char *p = opts;

	while (*p) {
		char *end = p + strcspn(p, ";");

		if (!strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(val, vlen, "%.*s", (int)(end - p - kl - 1),
				 p + kl + 1);
			memmove(p, *end ? end + 1 : end, strlen(end) + 1);
			kl = strlen(opts);
			if (kl && opts[kl - 1] == ';')
				opts[kl - 1] = 0;
			return true;
		}
		p = *end ? end + 1 : end;
	}
	return false;
}

static bool is_blockdev(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISBLK(st.st_mode);
}

static void end_lu(struct rd *r)
{
	char plugin[16] = "fileio", name[CLI_NAME_MAX + 1], v[512], p[1100];
	char opts[1024];
	json_t *so, *tpg = r->tpg;

	r->in_lu = false;
	snprintf(opts, sizeof(opts), "%s", r->bsopts);
	if (!strcmp(r->bstype, "null"))
		strcpy(plugin, "null");
	else if (!strcmp(r->bstype, "xorshare"))
		strcpy(plugin, "xorshare");
	else if (is_blockdev(r->path))
		strcpy(plugin, "block");
	snprintf(name, sizeof(name), "tid%lld_lun%ld",
		 cli_int(r->t, "tgtx_tid", 0), r->lun);
	if (r->note[0]) {
		char *slash = strchr(r->note, '/');

		if (slash && cli_valid_name(slash + 1)) {
			*slash = 0;
			if (!strcmp(plugin, r->note) ||
			    (!strcmp(plugin, "fileio") &&
			     !strcmp(r->note, "block")) ||
			    (!strcmp(plugin, "block") &&
			     !strcmp(r->note, "fileio")))
				snprintf(plugin, sizeof(plugin), "%.15s",
					 r->note);
			snprintf(name, sizeof(name), "%s", slash + 1);
		}
	}
	so = cli_so_find(r->m, plugin, name);
	if (!so) {
		so = json_pack("{s:s,s:s,s:s}", "plugin", plugin, "name", name,
			       "dev", r->path);
		if (!strcmp(plugin, "xorshare")) {
			if (take_opt(opts, "k", v, sizeof(v)))
				json_object_set_new(so, "k",
						    json_integer(atoi(v)));
			if (take_opt(opts, "n", v, sizeof(v)))
				json_object_set_new(so, "n",
						    json_integer(atoi(v)));
			if (take_opt(opts, "log", v, sizeof(v)))
				json_object_set_new(so, "log", json_string(v));
			json_object_set(so, "peers", r->peers);
		}
		if (!strcmp(plugin, "null")) {
			uint64_t sz;

			json_object_set_new(so, "dev", json_string(""));
			if (take_opt(opts, "size", v, sizeof(v)) &&
			    !cli_parse_size(v, &sz))
				json_object_set_new(
					so, "size",
					json_integer((json_int_t)sz));
		}
		if (opts[0])
			json_object_set_new(so, "tgtx_bsopts",
					    json_string(opts));
		if (r->wce >= 0)
			json_object_set_new(so, "write_back",
					    json_boolean(r->wce));
		if (strcmp(r->bstype, "rdwr") && strcmp(r->bstype, "null") &&
		    strcmp(r->bstype, "xorshare"))
			json_object_set_new(so, "tgtx_bstype",
					    json_string(r->bstype));
		json_array_append_new(json_object_get(r->m, "storage_objects"),
				      so);
	}
	cli_so_path(so, p, sizeof(p));
	json_array_append_new(json_object_get(tpg, "luns"),
			      json_pack("{s:I,s:s}", "index",
					(json_int_t)r->lun, "storage_object",
					p));
}

/* The model's peer of index i, made when missing. */
static json_t *peer_of(struct rd *r, long i)
{
	json_t *p, *e;
	size_t j;

	json_array_foreach (r->peers, j, e)
		if (cli_int(e, "index", -1) == i)
			return e;
	p = json_pack("{s:I}", "index", (json_int_t)i);
	json_array_append_new(r->peers, p);
	return p;
}

/* tgtxd's `share-peer I "URL" OPT=V...` (values never hold spaces) */
static void peer_line(struct rd *r, char *val)
{
	char *save = NULL, *w, *eq;
	json_t *p;
	long i;

	w = strtok_r(val, " ", &save);
	if (!w)
		return;
	i = atol(w);
	w = strtok_r(NULL, " ", &save);
	if (!w || i < 0 || i >= CLI_PEERS_MAX)
		return;
	p = peer_of(r, i);
	json_object_set_new(p, "url", json_string(unquote(w)));
	while ((w = strtok_r(NULL, " ", &save))) {
		eq = strchr(w, '=');
		if (!eq)
			continue;
		*eq = 0;
		if (share_peer_opt_find(w) > 0)
			json_object_set_new(p, w, json_string(eq + 1));
	}
}

static void lu_line(struct rd *r, char *key, char *val)
{
	if (!strcmp(key, "share-peer")) {
		peer_line(r, val);
		return;
	}
	val = unquote(val);
	if (!strcmp(key, "lun"))
		r->lun = atol(val);
	else if (!strcmp(key, "bs-type"))
		snprintf(r->bstype, sizeof(r->bstype), "%s", val);
	else if (!strcmp(key, "bsopts"))
		snprintf(r->bsopts, sizeof(r->bsopts), "%s", val);
	else if (!strcmp(key, "write-cache"))
		r->wce = !strcmp(val, "on");
	else if (!strcmp(key, "backstore"))
		snprintf(r->note, sizeof(r->note), "%s", val);
	else if (!strncmp(key, "share-peer.", 11)) {
		/* the note form of older tgtxd dumps */
		enum share_peer_opt o;
		unsigned i;
		char err[128];

		if (!share_peer_key_parse(key, &i, &o, err, sizeof(err)))
			json_object_set_new(peer_of(r, i),
					    share_peer_opt_names[o],
					    json_string(val));
	}
}

static void target_line(struct rd *r, char *key, char *val)
{
	json_t *tpg = r->tpg;
	char *sp;

	if (!strcmp(key, "tid")) {
		json_object_set_new(r->t, "tgtx_tid", json_integer(atoi(val)));
	} else if (!strcmp(key, "active-sessions")) {
		json_object_set_new(r->t, "_sessions", json_integer(atoi(val)));
	} else if (!strcmp(key, "initiator-address")) {
		json_array_append_new(
			json_object_get(tpg, "tgtx_initiator_addresses"),
			json_string(val));
	} else if (!strcmp(key, "initiator-name")) {
		json_array_append_new(json_object_get(tpg, "node_acls"),
				      json_pack("{s:s}", "node_wwn", val));
	} else if (!strcmp(key, "incominguser") ||
		   !strcmp(key, "outgoinguser")) {
		bool in = key[0] == 'i';

		sp = strchr(val, ' ');
		if (!sp)
			return;
		*sp++ = 0;
		if (in && *cli_str(tpg, "chap_userid"))
			return; /* tgtx allows more; targetcli shows one */
		json_object_set_new(tpg,
				    in ? "chap_userid" : "chap_mutual_userid",
				    json_string(val));
		json_object_set_new(
			tpg, in ? "chap_password" : "chap_mutual_password",
			json_string(sp));
	} else {
		json_object_set_new(json_object_get(tpg, "parameters"), key,
				    json_string(unquote(val)));
	}
}

static int parse_dump(struct rd *r, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s = line + strspn(line, "\t "), *val;
		size_t n = strlen(s);

		if (!strncmp(s, "<target ", 8) && n > 9 && s[n - 1] == '>') {
			s[n - 1] = 0;
			r->t = new_target(s + 8);
			r->tpg = cli_tpg(r->t);
			json_array_append_new(json_object_get(r->m, "targets"),
					      r->t);
			continue;
		}
		if (!strcmp(s, "</target>")) {
			if (r->tpg)
				cli_tpg_derive(r->tpg);
			r->t = r->tpg = NULL;
			continue;
		}
		if (!strncmp(s, "<backing-store", 14) && s[n - 1] == '>' &&
		    r->t) {
			s[n - 1] = 0;
			memset(r->bstype, 0, sizeof(r->bstype));
			strcpy(r->bstype, "rdwr");
			r->bsopts[0] = r->note[0] = 0;
			snprintf(r->path, sizeof(r->path), "%s",
				 s[14] == ' ' ? s + 15 : "");
			r->lun = -1;
			r->wce = -1;
			json_decref(r->peers);
			r->peers = json_array();
			r->in_lu = true;
			continue;
		}
		if (!strcmp(s, "</backing-store>")) {
			if (r->in_lu && r->lun >= 0)
				end_lu(r);
			r->in_lu = false;
			continue;
		}
		val = strchr(s, ' ');
		if (!val)
			continue;
		*val++ = 0;
		if (r->in_lu)
			lu_line(r, s, val);
		else if (r->t)
			target_line(r, s, val);
		else if (!strcmp(s, "account")) {
			char *sp = strchr(val, ' ');

			if (sp) {
				*sp++ = 0;
				json_object_set_new(
					json_object_get(r->m, "_accounts"), val,
					json_string(sp));
			}
		}
	}
	return 0;
}

static void parse_portals(json_t *m, char *text)
{
	json_t *list = json_array(), *t;
	char *line, *save = NULL;
	size_t i;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *addr, *colon, *comma;

		if (strncmp(line, "Portal: ", 8))
			continue;
		addr = line + 8;
		comma = strrchr(addr, ',');
		if (comma)
			*comma = 0;
		colon = strrchr(addr, ':');
		if (!colon)
			continue;
		*colon = 0;
		if (addr[0] == '[' && colon[-1] == ']') {
			colon[-1] = 0;
			addr++;
		}
		json_array_append_new(list,
				      json_pack("{s:s,s:i}", "ip_address", addr,
						"port", atoi(colon + 1)));
	}
	json_object_set(m, "_portals", list);
	json_array_foreach (json_object_get(m, "targets"), i, t)
		json_object_set_new(cli_tpg(t), "portals",
				    json_deep_copy(list));
	json_decref(list);
}

static json_t *so_of_lun(json_t *m, long long tid, long lun)
{
	json_t *t, *l;
	size_t i;

	json_array_foreach (json_object_get(m, "targets"), i, t) {
		if (cli_int(t, "tgtx_tid", -1) != tid)
			continue;
		l = cli_lun_find(cli_tpg(t), lun);
		return l ? cli_so_by_path(m, cli_str(l, "storage_object"))
			 : NULL;
	}
	return NULL;
}

/* Protection and replication lag of xorshare LUNs, from `show`. */
static void parse_show(json_t *m, char *text)
{
	char *line, *save = NULL;
	json_t *so = NULL;
	long long tid = -1;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s = line + strspn(line, " ");
		long lun;
		unsigned pi;
		uint64_t cursor, lrec, lbytes;
		double secs;

		if (sscanf(line, "Target %lld:", &tid) == 1) {
			so = NULL;
		} else if (sscanf(s, "LUN: %ld", &lun) == 1) {
			so = so_of_lun(m, tid, lun);
		} else if (!so) {
			continue;
		} else if (!strncmp(s, "Protection: ", 12)) {
			json_object_set_new(so, "_protection",
					    json_string(s + 12));
			json_object_set_new(so, "_lag_bytes", json_integer(0));
			json_object_set_new(so, "_lag_seconds", json_real(0));
		} else if (!strncmp(s, "Baseline: ", 10)) {
			json_object_set_new(so, "_baseline",
					    json_string(s + 10));
		} else if (!strncmp(s, "Alert: ", 7)) {
			json_object_set_new(so, "_alert", json_string(s + 7));
		} else if (sscanf(s,
				  "Peer %u: cursor=%" SCNu64 " lag=%" SCNu64
				  " records %" SCNu64 " bytes %lf s",
				  &pi, &cursor, &lrec, &lbytes, &secs) == 5) {
			if ((json_int_t)lbytes > cli_int(so, "_lag_bytes", 0))
				json_object_set_new(
					so, "_lag_bytes",
					json_integer((json_int_t)lbytes));
			if (secs > json_real_value(
					   json_object_get(so, "_lag_seconds")))
				json_object_set_new(so, "_lag_seconds",
						    json_real(secs));
			if (strstr(s, "needs-resync"))
				json_object_set_new(so, "_resync", json_true());
		}
	}
}

static void runtime_sizes(json_t *m)
{
	json_t *so;
	size_t i;

	json_array_foreach (json_object_get(m, "storage_objects"), i, so) {
		const char *dev = cli_str(so, "dev");
		struct stat st;
		uint64_t sz = 0;
		json_t *users = cli_so_users(m, so);

		json_object_set_new(
			so, "_mapped",
			json_integer((json_int_t)json_array_size(users)));
		json_decref(users);
		if (!strcmp(cli_str(so, "plugin"), "null")) {
			sz = (uint64_t)cli_int(so, "size", 1LL << 40);
		} else if (!stat(dev, &st) && S_ISBLK(st.st_mode)) {
			int fd = open(dev, O_RDONLY | O_CLOEXEC);

			if (fd >= 0) {
				if (ioctl(fd, BLKGETSIZE64, &sz))
					sz = 0;
				close(fd);
			}
		} else if (!stat(dev, &st)) {
			sz = (uint64_t)st.st_size;
		} else {
			sz = (uint64_t)cli_int(so, "size", 0);
			json_object_set_new(so, "_missing", json_true());
		}
		json_object_set_new(so, "_size", json_integer((json_int_t)sz));
		if (strcmp(cli_str(so, "plugin"), "null") && sz &&
		    !json_object_get(so, "size"))
			json_object_set_new(so, "size",
					    json_integer((json_int_t)sz));
	}
}

json_t *cli_read(struct cli *c)
{
	struct rd r = {0};
	json_t *req, *st, *so;
	char *text = NULL;
	size_t i;
	int ret;

	r.m = cli_model_new();
	json_object_set_new(r.m, "_accounts", json_object());
	req = cli_req("op", "show", "mode", "system", "name", "dump", "value",
		      "state", NULL);
	ret = cli_call(c, req, &text);
	json_decref(req);
	if (ret)
		goto fail;
	parse_dump(&r, text);
	free(text);
	json_decref(r.peers);
	req = cli_req("op", "show", "mode", "portal", NULL);
	ret = cli_call(c, req, &text);
	json_decref(req);
	if (ret)
		goto fail;
	parse_portals(r.m, text);
	free(text);
	st = cli_state_load(c);
	if (!st)
		goto fail;
	json_array_foreach (st, i, so)
		if (!cli_so_find(r.m, cli_str(so, "plugin"),
				 cli_str(so, "name")))
			json_array_append(
				json_object_get(r.m, "storage_objects"), so);
	json_decref(st);
	req = cli_req("op", "show", "mode", "target", NULL);
	ret = cli_call(c, req, &text);
	json_decref(req);
	if (ret)
		goto fail;
	parse_show(r.m, text);
	free(text);
	runtime_sizes(r.m);
	return r.m;
fail:
	json_decref(r.m);
	return NULL;
}
