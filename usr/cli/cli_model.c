// SPDX-License-Identifier: GPL-2.0-or-later
/* Finding things in the configuration tree, and small value helpers. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

json_t *cli_model_new(void)
{
	return json_pack("{s:[],s:[]}", "storage_objects", "targets");
}

const char *cli_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

long long cli_int(json_t *o, const char *key, long long def)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_boolean(v))
		return json_is_true(v);
	return def;
}

bool cli_valid_plugin(const char *p)
{
	return !strcmp(p, "fileio") || !strcmp(p, "block") ||
	       !strcmp(p, "null") || !strcmp(p, "xorshare");
}

json_t *cli_so_find(json_t *m, const char *plugin, const char *name)
{
	json_t *so;
	size_t i;

	json_array_foreach (json_object_get(m, "storage_objects"), i, so)
		if (!strcmp(cli_str(so, "plugin"), plugin) &&
		    !strcmp(cli_str(so, "name"), name))
			return so;
	return NULL;
}

void cli_so_path(json_t *so, char *buf, size_t len)
{
	snprintf(buf, len, "/backstores/%s/%s", cli_str(so, "plugin"),
		 cli_str(so, "name"));
}

json_t *cli_so_by_path(json_t *m, const char *path)
{
	char plugin[32], name[CLI_NAME_MAX + 2];

	if (sscanf(path, "/backstores/%31[^/]/%64[^/]", plugin, name) != 2)
		return NULL;
	return cli_so_find(m, plugin, name);
}

json_t *cli_target_find(json_t *m, const char *wwn)
{
	json_t *t;
	size_t i;

	json_array_foreach (json_object_get(m, "targets"), i, t)
		if (!strcmp(cli_str(t, "wwn"), wwn))
			return t;
	return NULL;
}

json_t *cli_tpg(json_t *target)
{
	return json_array_get(json_object_get(target, "tpgs"), 0);
}

json_t *cli_lun_find(json_t *tpg, long idx)
{
	json_t *l;
	size_t i;

	json_array_foreach (json_object_get(tpg, "luns"), i, l)
		if (cli_int(l, "index", -1) == idx)
			return l;
	return NULL;
}

json_t *cli_acl_find(json_t *tpg, const char *wwn)
{
	json_t *a;
	size_t i;

	json_array_foreach (json_object_get(tpg, "node_acls"), i, a)
		if (!strcasecmp(cli_str(a, "node_wwn"), wwn))
			return a;
	return NULL;
}

json_t *cli_so_users(json_t *m, json_t *so)
{
	json_t *users = json_array(), *t, *l;
	char path[CLI_PATH_MAX];
	size_t i, j;

	cli_so_path(so, path, sizeof(path));
	json_array_foreach (json_object_get(m, "targets"), i, t)
		json_array_foreach (json_object_get(cli_tpg(t), "luns"), j, l)
			if (!strcmp(cli_str(l, "storage_object"), path))
				json_array_append_new(
					users,
					json_pack("[s,I]", cli_str(t, "wwn"),
						  (json_int_t)cli_int(
							  l, "index", 0)));
	return users;
}

static bool has_addr(json_t *tpg, const char *a)
{
	json_t *v;
	size_t i;

	json_array_foreach (json_object_get(tpg, "tgtx_initiator_addresses"), i,
			    v)
		if (!strcasecmp(json_string_value(v) ?: "", a))
			return true;
	return false;
}

void cli_tpg_derive(json_t *tpg)
{
	json_t *attr = json_object_get(tpg, "attributes");
	bool names = json_array_size(json_object_get(tpg, "node_acls")) > 0;

	if (!attr) {
		attr = json_object();
		json_object_set_new(tpg, "attributes", attr);
	}
	json_object_set_new(attr, "authentication",
			    json_integer(*cli_str(tpg, "chap_userid") != 0));
	json_object_set_new(attr, "generate_node_acls",
			    json_integer(has_addr(tpg, "ALL") && !names));
}

void cli_tpg_addresses(json_t *tpg)
{
	json_t *old = json_object_get(tpg, "tgtx_initiator_addresses");
	json_t *attr = json_object_get(tpg, "attributes");
	json_t *na = json_array(), *v;
	bool need_all = cli_int(attr, "generate_node_acls", 0) == 1 ||
			json_array_size(json_object_get(tpg, "node_acls"));
	size_t i;

	json_array_foreach (old, i, v)
		if (strcasecmp(json_string_value(v) ?: "", "ALL"))
			json_array_append(na, v);
	/* tgtxd lets in only initiators matching an address rule, and then
	 * checks names when there are name rules: ALL opens the door for
	 * the ACLs (or for everyone with generate_node_acls=1) */
	if (need_all && !json_array_size(na))
		json_array_append_new(na, json_string("ALL"));
	json_object_set_new(tpg, "tgtx_initiator_addresses", na);
}

bool cli_valid_wwn(const char *s)
{
	size_t n = strlen(s);

	if (n < 5 || n > 223)
		return false;
	if (strncasecmp(s, "iqn.", 4) && strncasecmp(s, "eui.", 4) &&
	    strncasecmp(s, "naa.", 4))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-:_", *s))
			return false;
	return true;
}

bool cli_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > CLI_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-:", *s))
			return false;
	return true;
}

void cli_mask_url(const char *url, char *buf, size_t len)
{
	share_peer_mask_url(url, buf, len);
}

void cli_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 "B", bytes);
	else
		snprintf(buf, len, "%.1f%s", v, u[i]);
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	switch (toupper((unsigned char)*end)) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case 0:
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		/* "M", "MB", "MiB" all mean 2^20 as in targetcli */
		if (!strcasecmp(end, "b") || !strcasecmp(end, "ib"))
			end += strlen(end);
	}
	if (*end || v == 0 || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}
