// SPDX-License-Identifier: GPL-2.0-or-later
/* `ls` and `info`: the tree with targetcli's status words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define LS_WIDTH 79

static void xs_state(json_t *so, char *b, size_t len)
{
	const char *prot = cli_str(so, "_protection");
	const char *base = cli_str(so, "_baseline");
	const char *alert = cli_str(so, "_alert");
	char lag[32];

	if (!*prot) {
		snprintf(b, len, "k=%lld n=%lld", cli_int(so, "k", 2),
			 cli_int(so, "n", 3));
		return;
	}
	cli_human((uint64_t)cli_int(so, "_lag_bytes", 0), lag, sizeof(lag));
	snprintf(b, len, "k=%lld n=%lld %s, lag %s", cli_int(so, "k", 2),
		 cli_int(so, "n", 3),
		 *alert && strcmp(alert, "none")		? "ALERT"
		 : json_is_true(json_object_get(so, "_resync")) ? "needs-resync"
		 : strcmp(base, "complete") ? "baseline-running"
					    : "protected",
		 lag);
}

static void bs_status(json_t *so, char *b, size_t len)
{
	const char *p = cli_str(so, "plugin");
	char size[32], xs[160] = "";
	bool mapped = cli_int(so, "_mapped", 0) > 0;

	cli_human((uint64_t)cli_int(so, "_size", cli_int(so, "size", 0)), size,
		  sizeof(size));
	if (!strcmp(p, "xorshare"))
		xs_state(so, xs, sizeof(xs));
	if (!strcmp(p, "null"))
		snprintf(b, len, "(%s) %s", size,
			 mapped ? "activated" : "deactivated");
	else
		snprintf(b, len, "%s (%s)%s%s %s%s%s", cli_str(so, "dev"), size,
			 !strcmp(p, "xorshare") ? "" : " ",
			 !strcmp(p, "xorshare")		? ""
			 : cli_int(so, "write_back", 1) ? "write-back"
							: "write-thru",
			 xs[0] ? xs : "", xs[0] ? " " : "",
			 json_is_true(json_object_get(so, "_missing"))
				 ? "MISSING"
			 : mapped ? "activated"
				  : "deactivated");
}

static size_t count_kind(json_t *m, const char *plugin)
{
	json_t *so;
	size_t i, n = 0;

	json_array_foreach (json_object_get(m, "storage_objects"), i, so)
		n += !strcmp(cli_str(so, "plugin"), plugin);
	return n;
}

/* "URL transport=tls pin=0123456789abcdef... rate=10M retain=7d" */
static void peer_status(json_t *p, const char *url, char *b, size_t len)
{
	size_t used = (size_t)snprintf(b, len, "%s", url);
	int o;

	for (o = SP_TRANSPORT; o < SP_NOPTS && used < len; o++) {
		const char *v = cli_str(p, share_peer_opt_names[o]);

		if (*v)
			used += (size_t)snprintf(b + used, len - used,
						 o == SP_PIN ? " %s=%.16s..."
							     : " %s=%s",
						 share_peer_opt_names[o], v);
	}
}

static void status(json_t *m, const struct cli_node *n, char *b, size_t len)
{
	json_t *tpg = n->parent ? cli_tpg(n->parent) : NULL, *so;
	char u[1100];

	switch (n->kind) {
	case N_ROOT:
	case N_BACKSTORES:
		snprintf(b, len, "...");
		break;
	case N_BSTYPE:
		snprintf(b, len, "Storage Objects: %zu",
			 count_kind(m, n->plugin));
		break;
	case N_BS:
		bs_status(n->obj, b, len);
		break;
	case N_PEERS:
		snprintf(b, len, "Peers: %zu",
			 json_array_size(json_object_get(n->parent, "peers")));
		break;
	case N_PEER:
		cli_mask_url(cli_str(n->obj, "url"), u, sizeof(u));
		peer_status(n->obj, u, b, len);
		break;
	case N_ISCSI:
		snprintf(b, len, "Targets: %zu",
			 json_array_size(json_object_get(m, "targets")));
		break;
	case N_TARGET:
		snprintf(b, len, "TPGs: 1");
		break;
	case N_TPG:
		snprintf(b, len, "%s, %s",
			 cli_int(json_object_get(tpg, "attributes"),
				 "generate_node_acls", 0)
				 ? "gen-acls"
				 : "no-gen-acls",
			 *cli_str(tpg, "chap_userid") ? "tpg-auth" : "no-auth");
		break;
	case N_LUNS:
		snprintf(b, len, "LUNs: %zu",
			 json_array_size(json_object_get(tpg, "luns")));
		break;
	case N_ACLS:
		snprintf(b, len, "ACLs: %zu",
			 json_array_size(json_object_get(tpg, "node_acls")));
		break;
	case N_PORTALS:
		snprintf(b, len, "Portals: %zu",
			 json_array_size(json_object_get(tpg, "portals")));
		break;
	case N_ACL:
		snprintf(b, len, "Mapped LUNs: %zu",
			 json_array_size(json_object_get(tpg, "luns")));
		break;
	case N_LUN:
	case N_MLUN:
		so = cli_so_by_path(m, cli_str(n->obj, "storage_object"));
		if (n->kind == N_MLUN)
			snprintf(b, len, "lun%lld %s/%s (rw)",
				 cli_int(n->obj, "index", 0),
				 cli_str(so, "plugin"), cli_str(so, "name"));
		else
			snprintf(b, len, "%s/%s (%s)", cli_str(so, "plugin"),
				 cli_str(so, "name"),
				 *cli_str(so, "dev") ? cli_str(so, "dev")
						     : "null");
		break;
	case N_PORTAL:
		snprintf(b, len, "OK");
		break;
	}
}

static void line(struct cli *c, const char *lead, const char *name,
		 const char *st)
{
	int used = (int)(strlen(lead) + 3 + strlen(name) + 1);
	int dots = LS_WIDTH - used - (int)strlen(st) - 3;

	fprintf(c->out, "%so- %s ", lead, name);
	while (dots-- > 0)
		fputc('.', c->out);
	fprintf(c->out, " [%s]\n", st);
}

static void walk(struct cli *c, json_t *m, const struct cli_node *n,
		 const char *name, const char *lead, bool last, int depth)
{
	char st[2048], sub[256], child_path[CLI_PATH_MAX + 300];
	json_t *kids;
	size_t i, cnt;

	status(m, n, st, sizeof(st));
	line(c, lead, name, st);
	if (depth == 0)
		return;
	snprintf(sub, sizeof(sub), "%s%s", lead, last ? "  " : "| ");
	kids = cli_children(m, n);
	cnt = json_array_size(kids);
	for (i = 0; i < cnt; i++) {
		const char *k = json_string_value(json_array_get(kids, i));
		struct cli_node cn;
		struct cli saved = *c;

		snprintf(child_path, sizeof(child_path), "%s/%s",
			 strcmp(n->path, "/") ? n->path : "", k);
		if (cli_resolve(c, m, child_path, &cn)) {
			/* a name our own children list cannot resolve */
			memcpy(c->err, saved.err, sizeof(c->err));
			continue;
		}
		walk(c, m, &cn, k, sub, i + 1 == cnt, depth - 1);
	}
	json_decref(kids);
}

void cli_ls(struct cli *c, json_t *m, const struct cli_node *n, int depth)
{
	const char *name = strrchr(n->path, '/');

	name = (n->kind == N_ROOT) ? "/" : name + 1;
	walk(c, m, n, name, "", true, depth);
}

static void mask(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach (v, k, x) {
			if (!strcmp(k, "url") && json_is_string(x)) {
				char b[1100];

				cli_mask_url(json_string_value(x), b,
					     sizeof(b));
				json_object_set_new(v, k, json_string(b));
			} else {
				mask(x);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach (v, i, x)
			mask(x);
	}
}

void cli_info(struct cli *c, const struct cli_node *n)
{
	json_t *o;
	char *text;

	if (!n->obj) {
		fprintf(c->out, "No information available.\n");
		return;
	}
	o = json_deep_copy(n->obj);
	mask(o);
	if (n->kind == N_TPG) {
		/* CHAP secrets are shown by `get auth`, as in targetcli */
		json_object_del(o, "chap_password");
		json_object_del(o, "chap_mutual_password");
	}
	text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	fprintf(c->out, "%s\n", text ? text : "");
	free(text);
	json_decref(o);
}
