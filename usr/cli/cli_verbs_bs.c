// SPDX-License-Identifier: GPL-2.0-or-later
/* /backstores/TYPE create|delete and /backstores/xorshare/NAME/peers. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int abs_path(struct cli *c, const char *in, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (!*in)
		return cli_fail(c, "empty path");
	if (strpbrk(in, "\r\n;,\""))
		return cli_fail(c, "Invalid path '%s'", in);
	if (in[0] == '/') {
		snprintf(out, len, "%s", in);
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return cli_fail(c, "getcwd: %m");
	if ((size_t)snprintf(out, len, "%s/%s", cwd, in) >= len)
		return cli_fail(c, "path too long");
	return 0;
}

static int get_int(struct cli *c, const char *name, const char *v, long lo,
		   long hi, long *out)
{
	char *end;

	if (!v || !*v)
		return cli_fail(c, "%s is required", name);
	*out = strtol(v, &end, 10);
	if (*end || *out < lo || *out > hi)
		return cli_fail(c, "Invalid %s '%s' (%ld..%ld)", name, v, lo,
				hi);
	return 0;
}

static int create_bs(struct cli_cmd *x)
{
	static const char *const p_file[] = {"name", "file_or_dev", "size",
					     "write_back", NULL};
	static const char *const p_block[] = {"name", "dev", NULL};
	static const char *const p_null[] = {"name", "size", NULL};
	static const char *const p_xs[] = {"name", "file", "size",    "k",
					   "n",	   "log",  "options", NULL};
	struct cli *c = x->c;
	const char *plugin = x->node.plugin, *v[8] = {0};
	char dev[CLI_PATH_MAX] = "", logd[CLI_PATH_MAX];
	uint64_t size = 0;
	struct stat st;
	bool wb = true;
	json_t *so;
	int ret;

	if (!strcmp(plugin, "fileio"))
		ret = cli_bind(c, x->a, p_file, v);
	else if (!strcmp(plugin, "block"))
		ret = cli_bind(c, x->a, p_block, v);
	else if (!strcmp(plugin, "null"))
		ret = cli_bind(c, x->a, p_null, v);
	else
		ret = cli_bind(c, x->a, p_xs, v);
	if (ret)
		return -1;
	if (!strcmp(plugin, "null")) { /* name size: keep the slots aligned */
		v[2] = v[1];
		v[1] = NULL;
	}
	if (!v[0])
		return cli_fail(c, "Missing required parameter name");
	if (!cli_valid_name(v[0]))
		return cli_fail(c,
				"Invalid name '%s' (1..%d of A-Z a-z 0-9 . _ "
				"- :)",
				v[0], CLI_NAME_MAX);
	if (cli_so_find(x->m, plugin, v[0]))
		return cli_fail(c, "Storage object %s/%s exists", plugin, v[0]);
	if (strcmp(plugin, "null")) {
		if (!v[1])
			return cli_fail(c, "Missing required parameter %s",
					!strcmp(plugin, "block") ? "dev"
					: !strcmp(plugin, "xorshare")
						? "file"
						: "file_or_dev");
		if (abs_path(c, v[1], dev, sizeof(dev)))
			return -1;
	}
	if (v[2] && cli_parse_size(v[2], &size))
		return cli_fail(c, "Invalid size '%s' (e.g. 64M, 10G)", v[2]);
	if (v[3] && !strcmp(plugin, "fileio") &&
	    cli_bool(c, "write_back", v[3], &wb))
		return -1;
	if (!strcmp(plugin, "block")) {
		if (stat(dev, &st) || !S_ISBLK(st.st_mode))
			return cli_fail(c, "%s is not a block device", dev);
	} else if (dev[0]) {
		if (!stat(dev, &st) && S_ISDIR(st.st_mode))
			return cli_fail(c, "%s is a directory: give a file",
					dev);
		if (stat(dev, &st) && !size)
			return cli_fail(c,
					"%s does not exist: give a SIZE to "
					"create it",
					dev);
		if (!stat(dev, &st))
			size = (uint64_t)st.st_size;
	}
	so = json_pack("{s:s,s:s,s:s}", "plugin", plugin, "name", v[0], "dev",
		       dev);
	json_array_append_new(json_object_get(x->nm, "storage_objects"), so);
	if (size)
		json_object_set_new(so, "size", json_integer((json_int_t)size));
	if (!strcmp(plugin, "fileio") || !strcmp(plugin, "block"))
		json_object_set_new(so, "write_back", json_boolean(wb));
	if (!strcmp(plugin, "xorshare")) {
		long k, n;

		if (get_int(c, "k", v[3], 1, CLI_PEERS_MAX, &k) ||
		    get_int(c, "n", v[4], k, CLI_PEERS_MAX, &n))
			return -1;
		if (!v[5])
			return cli_fail(c, "log=DIR is required (the share log "
					   "directory)");
		if (abs_path(c, v[5], logd, sizeof(logd)))
			return -1;
		json_object_set_new(so, "k", json_integer(k));
		json_object_set_new(so, "n", json_integer(n));
		json_object_set_new(so, "log", json_string(logd));
		json_object_set_new(so, "peers", json_array());
		if (v[6]) {
			if (strpbrk(v[6], "\r\n\" ") || strlen(v[6]) > 512)
				return cli_fail(c, "Invalid options '%s'",
						v[6]);
			json_object_set_new(so, "tgtx_bsopts",
					    json_string(v[6]));
		}
	}
	fprintf(c->out, "Created %s storage object %s%s%s.\n", plugin, v[0],
		dev[0] ? " using " : "", dev);
	return 1;
}

static int delete_bs(struct cli_cmd *x)
{
	static const char *const p[] = {"name", NULL};
	const char *v[1];
	json_t *so, *objs, *t, *users;
	char path[CLI_PATH_MAX];
	size_t i, j;

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (!v[0])
		return cli_fail(x->c, "Missing required parameter name");
	so = cli_so_find(x->nm, x->node.plugin, v[0]);
	if (!so)
		return cli_fail(x->c, "No storage object named %s/%s",
				x->node.plugin, v[0]);
	cli_so_path(so, path, sizeof(path));
	/* as in targetcli, the LUNs using it go with it */
	json_array_foreach (json_object_get(x->nm, "targets"), i, t) {
		json_t *luns = json_object_get(cli_tpg(t), "luns"), *l;

		for (j = json_array_size(luns); j--;) {
			l = json_array_get(luns, j);
			if (!strcmp(cli_str(l, "storage_object"), path))
				json_array_remove(luns, j);
		}
	}
	users = cli_so_users(x->m, cli_so_find(x->m, x->node.plugin, v[0]));
	objs = json_object_get(x->nm, "storage_objects");
	json_array_foreach (objs, i, so)
		if (!strcmp(cli_str(so, "plugin"), x->node.plugin) &&
		    !strcmp(cli_str(so, "name"), v[0])) {
			json_array_remove(objs, i);
			break;
		}
	fprintf(x->c->out, "Deleted storage object %s%s.\n", v[0],
		json_array_size(users) ? " and the LUNs using it" : "");
	json_decref(users);
	return 1;
}

static int peers(struct cli_cmd *x, const char *verb)
{
	static const char *const pc[] = {"index", "url",    "transport", "pin",
					 "rate",  "retain", NULL};
	static const char *const pd[] = {"index", NULL};
	json_t *so = x->nnode.parent, *list = json_object_get(so, "peers"), *p;
	const char *v[SP_NOPTS + 1] = {0};
	char masked[1100], msg[256];
	long idx;
	size_t i;
	int o;

	if (cli_bind(x->c, x->a, !strcmp(verb, "create") ? pc : pd, v) ||
	    get_int(x->c, "index", v[0], 0, cli_int(so, "n", 3) - 1, &idx))
		return -1;
	if (!list) {
		list = json_array();
		json_object_set_new(so, "peers", list);
	}
	json_array_foreach (list, i, p)
		if (cli_int(p, "index", -1) == idx)
			break;
	if (!strcmp(verb, "delete")) {
		if (i == json_array_size(list))
			return cli_fail(x->c, "No peer %ld", idx);
		json_array_remove(list, i);
		fprintf(x->c->out, "Deleted peer %ld.\n", idx);
		return 1;
	}
	if (i < json_array_size(list))
		return cli_fail(x->c, "Peer %ld exists: delete it first", idx);
	if (!v[1])
		return cli_fail(x->c, "Missing URL "
				      "(iscsi://[USER%%PASSWORD@]HOST[:PORT]/"
				      "IQN/LUN)");
	/* v[1 + o] is option o: the same rule as tgtxd and targets.conf */
	for (o = SP_URL; o < SP_NOPTS; o++)
		if (v[1 + o] && share_peer_check(o, v[1 + o], msg, sizeof(msg)))
			return cli_fail(x->c, "Invalid %s: %s",
					share_peer_opt_names[o], msg);
	p = json_pack("{s:I,s:s}", "index", (json_int_t)idx, "url", v[1]);
	for (o = SP_TRANSPORT; o < SP_NOPTS; o++)
		if (v[1 + o])
			json_object_set_new(p, share_peer_opt_names[o],
					    json_string(v[1 + o]));
	json_array_append_new(list, p);
	cli_mask_url(v[1], masked, sizeof(masked));
	fprintf(x->c->out, "Created peer %ld: %s.\n", idx, masked);
	return 1;
}

int cli_verb_bs(struct cli_cmd *x, const char *verb)
{
	if (x->node.kind == N_PEERS)
		return peers(x, verb);
	if (!strcmp(verb, "create"))
		return create_bs(x);
	return delete_bs(x);
}
