// SPDX-License-Identifier: GPL-2.0-or-later
/* targetcli paths: /backstores/TYPE/NAME[/peers/I], /iscsi/IQN/tpg1/... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_DEPTH 8

int cli_path_normalize(const char *cwd, const char *path, char *out, size_t len)
{
	char buf[2 * CLI_PATH_MAX + 2], *comp[64], *tok, *save = NULL;
	int n = 0, i;
	size_t used = 0;

	if (strlen(path) >= CLI_PATH_MAX || strlen(cwd) >= CLI_PATH_MAX)
		return -1;
	snprintf(buf, sizeof(buf), "%s/%s", path[0] == '/' ? "" : cwd, path);
	for (tok = strtok_r(buf, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (n)
				n--;
			continue;
		}
		if (n == 64)
			return -1;
		comp[n++] = tok;
	}
	out[0] = 0;
	for (i = 0; i < n; i++) {
		int w = snprintf(out + used, len - used, "/%s", comp[i]);

		if (w < 0 || (size_t)w >= len - used)
			return -1;
		used += (size_t)w;
	}
	if (!n)
		snprintf(out, len, "/");
	return 0;
}

static const char *const bstypes[] = {"block", "fileio", "null", "xorshare"};

/* "lun3" -> 3; -1 when not such a name */
static long numbered(const char *s, const char *prefix)
{
	size_t pl = strlen(prefix);
	char *end;
	long v;

	if (strncmp(s, prefix, pl) || !s[pl] || s[pl] == '-' || s[pl] == '+')
		return -1;
	v = strtol(s + pl, &end, 10);
	return *end || v < 0 || v > 16383 ? -1 : v;
}

static json_t *portal_find(json_t *tpg, const char *name)
{
	json_t *p;
	char b[160];
	size_t i;

	json_array_foreach (json_object_get(tpg, "portals"), i, p) {
		const char *ip = cli_str(p, "ip_address");

		snprintf(b, sizeof(b),
			 strchr(ip, ':') ? "[%s]:%lld" : "%s:%lld", ip,
			 cli_int(p, "port", 3260));
		if (!strcmp(b, name))
			return p;
	}
	return NULL;
}

static json_t *peer_find(json_t *so, const char *name)
{
	json_t *p;
	char *end;
	long v = strtol(name, &end, 10);
	size_t i;

	if (*end || !*name)
		return NULL;
	json_array_foreach (json_object_get(so, "peers"), i, p)
		if (cli_int(p, "index", -1) == v)
			return p;
	return NULL;
}

int cli_resolve(struct cli *c, json_t *m, const char *path, struct cli_node *n)
{
	char buf[CLI_PATH_MAX], *comp[MAX_DEPTH + 1], *tok, *save = NULL;
	int depth = 0, i;
	json_t *tpg = NULL;

	memset(n, 0, sizeof(*n));
	if (cli_path_normalize(c->cwd, path, n->path, sizeof(n->path)))
		return cli_fail(c, "path too long: %.64s...", path);
	strcpy(buf, n->path);
	for (tok = strtok_r(buf, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (depth == MAX_DEPTH)
			return cli_fail(c, "No such path %s", n->path);
		comp[depth++] = tok;
	}
	n->kind = N_ROOT;
	for (i = 0; i < depth; i++) {
		const char *s = comp[i];
		long v;

		switch (n->kind) {
		case N_ROOT:
			if (!strcmp(s, "backstores"))
				n->kind = N_BACKSTORES;
			else if (!strcmp(s, "iscsi"))
				n->kind = N_ISCSI;
			else
				goto none;
			break;
		case N_BACKSTORES:
			if (strcmp(s, "block") && strcmp(s, "fileio") &&
			    strcmp(s, "null") && strcmp(s, "xorshare"))
				goto none;
			snprintf(n->plugin, sizeof(n->plugin), "%s", s);
			n->kind = N_BSTYPE;
			break;
		case N_BSTYPE:
			n->obj = cli_so_find(m, n->plugin, s);
			if (!n->obj)
				goto none;
			n->kind = N_BS;
			break;
		case N_BS:
			if (strcmp(n->plugin, "xorshare") || strcmp(s, "peers"))
				goto none;
			n->parent = n->obj;
			n->kind = N_PEERS;
			break;
		case N_PEERS:
			n->obj = peer_find(n->parent, s);
			if (!n->obj)
				goto none;
			n->kind = N_PEER;
			break;
		case N_ISCSI:
			n->obj = cli_target_find(m, s);
			if (!n->obj)
				goto none;
			n->parent = n->obj;
			n->kind = N_TARGET;
			break;
		case N_TARGET:
			if (strcmp(s, "tpg1"))
				goto none;
			tpg = n->obj = cli_tpg(n->parent);
			n->kind = N_TPG;
			break;
		case N_TPG:
			if (!strcmp(s, "luns"))
				n->kind = N_LUNS;
			else if (!strcmp(s, "acls"))
				n->kind = N_ACLS;
			else if (!strcmp(s, "portals"))
				n->kind = N_PORTALS;
			else
				goto none;
			break;
		case N_LUNS:
			v = numbered(s, "lun");
			n->obj = v < 0 ? NULL : cli_lun_find(tpg, v);
			if (!n->obj)
				goto none;
			n->kind = N_LUN;
			break;
		case N_ACLS:
			n->obj = cli_acl_find(tpg, s);
			if (!n->obj)
				goto none;
			n->kind = N_ACL;
			break;
		case N_ACL:
			v = numbered(s, "mapped_lun");
			n->obj = v < 0 ? NULL : cli_lun_find(tpg, v);
			if (!n->obj)
				goto none;
			n->kind = N_MLUN;
			break;
		case N_PORTALS:
			n->obj = portal_find(tpg, s);
			if (!n->obj)
				goto none;
			n->kind = N_PORTAL;
			break;
		default:
			goto none;
		}
	}
	return 0;
none:
	return cli_fail(c, "No such path %s", n->path);
}

json_t *cli_children(json_t *m, const struct cli_node *n)
{
	json_t *out = json_array(), *v;
	char b[300];
	size_t i;

	switch (n->kind) {
	case N_ROOT:
		json_array_append_new(out, json_string("backstores"));
		json_array_append_new(out, json_string("iscsi"));
		break;
	case N_BACKSTORES:
		for (i = 0; i < sizeof(bstypes) / sizeof(bstypes[0]); i++)
			json_array_append_new(out, json_string(bstypes[i]));
		break;
	case N_BSTYPE:
		json_array_foreach (json_object_get(m, "storage_objects"), i, v)
			if (!strcmp(cli_str(v, "plugin"), n->plugin))
				json_array_append_new(
					out, json_string(cli_str(v, "name")));
		break;
	case N_BS:
		if (!strcmp(n->plugin, "xorshare"))
			json_array_append_new(out, json_string("peers"));
		break;
	case N_PEERS:
		json_array_foreach (json_object_get(n->parent, "peers"), i, v) {
			snprintf(b, sizeof(b), "%lld", cli_int(v, "index", 0));
			json_array_append_new(out, json_string(b));
		}
		break;
	case N_ISCSI:
		json_array_foreach (json_object_get(m, "targets"), i, v)
			json_array_append_new(out,
					      json_string(cli_str(v, "wwn")));
		break;
	case N_TARGET:
		json_array_append_new(out, json_string("tpg1"));
		break;
	case N_TPG:
		json_array_append_new(out, json_string("acls"));
		json_array_append_new(out, json_string("luns"));
		json_array_append_new(out, json_string("portals"));
		break;
	case N_LUNS:
	case N_ACL:
		json_array_foreach (json_object_get(cli_tpg(n->parent), "luns"),
				    i, v) {
			snprintf(b, sizeof(b), "%s%lld",
				 n->kind == N_LUNS ? "lun" : "mapped_lun",
				 cli_int(v, "index", 0));
			json_array_append_new(out, json_string(b));
		}
		break;
	case N_ACLS:
		json_array_foreach (
			json_object_get(cli_tpg(n->parent), "node_acls"), i, v)
			json_array_append_new(
				out, json_string(cli_str(v, "node_wwn")));
		break;
	case N_PORTALS:
		json_array_foreach (
			json_object_get(cli_tpg(n->parent), "portals"), i, v) {
			const char *ip = cli_str(v, "ip_address");

			snprintf(b, sizeof(b),
				 strchr(ip, ':') ? "[%s]:%lld" : "%s:%lld", ip,
				 cli_int(v, "port", 3260));
			json_array_append_new(out, json_string(b));
		}
		break;
	default:
		break;
	}
	return out;
}
