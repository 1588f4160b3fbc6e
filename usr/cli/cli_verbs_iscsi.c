// SPDX-License-Identifier: GPL-2.0-or-later
/* /iscsi create|delete and a target's tpg1 luns, acls and portals. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static int gen_iqn(struct cli *c, char *out, size_t len)
{
	unsigned char r[6];
	char host[64] = "localhost", *p;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r)) {
		if (fd >= 0)
			close(fd);
		return cli_fail(c, "cannot read /dev/urandom");
	}
	close(fd);
	gethostname(host, sizeof(host) - 1);
	for (p = host; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-.", *p))
			*p = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : '-';
	snprintf(out, len,
		 "iqn.2026-01.org.tgtx.%s:sn.%02x%02x%02x%02x%02x%02x", host,
		 r[0], r[1], r[2], r[3], r[4], r[5]);
	return 0;
}

static json_t *parse_portal(struct cli *c, const char *ip, const char *port)
{
	char a[INET6_ADDRSTRLEN + 2], buf[16];
	long pn = 3260;
	char *end;
	size_t n;

	snprintf(a, sizeof(a), "%s", ip ? ip : "0.0.0.0");
	n = strlen(a);
	if (n > 2 && a[0] == '[' && a[n - 1] == ']') {
		memmove(a, a + 1, n - 2);
		a[n - 2] = 0;
	}
	if (!inet_pton(AF_INET, a, buf) && !inet_pton(AF_INET6, a, buf)) {
		cli_fail(c, "Invalid IP address '%s'", ip);
		return NULL;
	}
	if (port) {
		pn = strtol(port, &end, 10);
		if (*end || !*port || pn < 1 || pn > 65535) {
			cli_fail(c, "Invalid port '%s' (1..65535)", port);
			return NULL;
		}
	}
	return json_pack("{s:s,s:I}", "ip_address", a, "port", (json_int_t)pn);
}

static json_t *new_target(const char *wwn)
{
	return json_pack("{s:s,s:s,s:[{s:i,s:b,s:{s:i,s:i},s:{},s:[],s:[],"
			 "s:[],s:[]}]}",
			 "fabric", "iscsi", "wwn", wwn, "tpgs", "tag", 1,
			 "enable", 1, "attributes", "authentication", 0,
			 "generate_node_acls", 0, "parameters", "luns",
			 "node_acls", "portals", "tgtx_initiator_addresses");
}

static int iscsi_create(struct cli_cmd *x)
{
	static const char *const p[] = {"wwn", NULL};
	const char *v[1];
	char wwn[256];
	json_t *t, *portals = json_object_get(x->m, "_portals");

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (v[0])
		snprintf(wwn, sizeof(wwn), "%s", v[0]);
	else if (gen_iqn(x->c, wwn, sizeof(wwn)))
		return -1;
	if (!cli_valid_wwn(wwn))
		return cli_fail(x->c, "WWN not valid as: iqn, naa, eui ('%s')",
				wwn);
	if (cli_target_find(x->m, wwn))
		return cli_fail(x->c, "Target %s already exists", wwn);
	t = new_target(wwn);
	json_array_append_new(json_object_get(x->nm, "targets"), t);
	fprintf(x->c->out, "Created target %s.\nCreated TPG 1.\n", wwn);
	if (json_array_size(portals)) {
		/* tgtxd's portals are shared by all targets */
		json_object_set(cli_tpg(t), "portals", portals);
	} else if (x->c->default_portal && *x->c->default_portal) {
		char ip[128], *colon;
		json_t *pt;

		snprintf(ip, sizeof(ip), "%s", x->c->default_portal);
		colon = strrchr(ip, ':');
		if (!colon)
			return cli_fail(x->c, "bad default portal '%s'", ip);
		*colon = 0;
		pt = parse_portal(x->c, ip, colon + 1);
		if (!pt)
			return -1;
		json_array_append_new(json_object_get(cli_tpg(t), "portals"),
				      pt);
		fprintf(x->c->out, "Created default portal listening on %s.\n",
			x->c->default_portal);
	}
	return 1;
}

static int iscsi_delete(struct cli_cmd *x)
{
	static const char *const p[] = {"wwn", NULL};
	const char *v[1];
	json_t *ts = json_object_get(x->nm, "targets"), *t;
	size_t i;

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (!v[0])
		return cli_fail(x->c, "Missing required parameter wwn");
	json_array_foreach (ts, i, t)
		if (!strcmp(cli_str(t, "wwn"), v[0])) {
			json_array_remove(ts, i);
			fprintf(x->c->out, "Deleted Target %s.\n", v[0]);
			return 1;
		}
	return cli_fail(x->c, "No such target %s", v[0]);
}

static long lun_number(const char *s)
{
	char *end;
	long v;

	if (!strncmp(s, "lun", 3))
		s += 3;
	if (!*s || *s == '-' || *s == '+')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 || v > 16383 ? -1 : v;
}

static int luns(struct cli_cmd *x, const char *verb, json_t *tpg)
{
	static const char *const pc[] = {"storage_object", "lun", NULL};
	static const char *const pd[] = {"lun", NULL};
	json_t *list = json_object_get(tpg, "luns"), *so, *users, *l;
	const char *v[2] = {0};
	char path[CLI_PATH_MAX];
	long n;
	size_t i;

	if (!strcmp(verb, "delete")) {
		if (cli_bind(x->c, x->a, pd, v))
			return -1;
		if (!v[0] || (n = lun_number(v[0])) < 0)
			return cli_fail(x->c, "Invalid or missing LUN '%s'",
					v[0] ? v[0] : "");
		json_array_foreach (list, i, l)
			if (cli_int(l, "index", -1) == n) {
				json_array_remove(list, i);
				fprintf(x->c->out, "Deleted LUN %ld.\n", n);
				return 1;
			}
		return cli_fail(x->c, "No such LUN lun%ld", n);
	}
	if (cli_bind(x->c, x->a, pc, v))
		return -1;
	if (!v[0])
		return cli_fail(x->c, "Missing required parameter "
				      "storage_object");
	if (cli_path_normalize("/", v[0], path, sizeof(path)))
		return cli_fail(x->c, "Invalid storage object '%s'", v[0]);
	so = cli_so_by_path(x->nm, path);
	if (!so)
		return cli_fail(x->c,
				"Invalid storage object %s (give "
				"/backstores/TYPE/NAME)",
				v[0]);
	users = cli_so_users(x->nm, so);
	n = (long)json_array_size(users);
	json_decref(users);
	if (n && !strcmp(cli_str(so, "plugin"), "xorshare"))
		return cli_fail(x->c,
				"%s is already mapped: an xorshare share "
				"log has one writer",
				path);
	if (v[1]) {
		n = lun_number(v[1]);
		if (n < 0)
			return cli_fail(x->c, "Invalid LUN '%s' (0..16383)",
					v[1]);
		if (cli_lun_find(tpg, n))
			return cli_fail(x->c, "lun%ld already exists", n);
	} else {
		for (n = 0; cli_lun_find(tpg, n); n++)
			;
	}
	json_array_append_new(list,
			      json_pack("{s:I,s:s}", "index", (json_int_t)n,
					"storage_object", path));
	fprintf(x->c->out, "Created LUN %ld.\n", n);
	return 1;
}

static int acls(struct cli_cmd *x, const char *verb, json_t *tpg)
{
	static const char *const p[] = {"wwn", NULL};
	json_t *list = json_object_get(tpg, "node_acls"), *a;
	const char *v[1];
	size_t i;

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (!v[0])
		return cli_fail(x->c, "Missing required parameter wwn");
	if (!strcmp(verb, "delete")) {
		json_array_foreach (list, i, a)
			if (!strcasecmp(cli_str(a, "node_wwn"), v[0])) {
				json_array_remove(list, i);
				cli_tpg_addresses(tpg);
				fprintf(x->c->out, "Deleted Node ACL %s.\n",
					v[0]);
				return 1;
			}
		return cli_fail(x->c, "No such NodeACL %s", v[0]);
	}
	if (!cli_valid_wwn(v[0]))
		return cli_fail(x->c, "WWN not valid as: iqn, naa, eui ('%s')",
				v[0]);
	if (cli_acl_find(tpg, v[0]))
		return cli_fail(x->c, "This NodeACL already exists: %s", v[0]);
	if (cli_int(json_object_get(tpg, "attributes"), "generate_node_acls",
		    0))
		return cli_fail(
			x->c, "generate_node_acls=1 admits every initiator; "
			      "set it to 0 before creating ACLs (tgtxd "
			      "restricts logins to the ACLs once any exists)");
	json_array_append_new(list, json_pack("{s:s}", "node_wwn", v[0]));
	cli_tpg_addresses(tpg);
	fprintf(x->c->out, "Created Node ACL for %s\n", v[0]);
	return 1;
}

static int portals(struct cli_cmd *x, const char *verb, json_t *tpg)
{
	static const char *const p[] = {"ip_address", "ip_port", NULL};
	const char *v[2] = {0};
	json_t *pt, *t, *e;
	size_t i, j;
	bool found = false;

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (!strcmp(verb, "delete") && (!v[0] || !v[1]))
		return cli_fail(x->c, "Usage: delete IP PORT");
	pt = parse_portal(x->c, v[0], v[1]);
	if (!pt)
		return -1;
	/* a tgtxd portal serves every target: change it everywhere */
	json_array_foreach (json_object_get(x->nm, "targets"), i, t) {
		json_t *list = json_object_get(cli_tpg(t), "portals");

		json_array_foreach (list, j, e)
			if (!strcmp(cli_str(e, "ip_address"),
				    cli_str(pt, "ip_address")) &&
			    cli_int(e, "port", 0) == cli_int(pt, "port", 0))
				break;
		if (j < json_array_size(list)) {
			found = true;
			if (!strcmp(verb, "delete"))
				json_array_remove(list, j);
		} else if (!strcmp(verb, "create")) {
			json_array_append(list, pt);
		}
	}
	if (!strcmp(verb, "create") && found) {
		json_decref(pt);
		return cli_fail(x->c, "This NetworkPortal already exists");
	}
	if (!strcmp(verb, "delete") && !found) {
		json_decref(pt);
		return cli_fail(x->c, "No such portal in tgtxd");
	}
	x->ao.delete_portals = !strcmp(verb, "delete");
	fprintf(x->c->out,
		"%s network portal %s:%lld (shared by all targets "
		"in tgtxd).\n",
		!strcmp(verb, "create") ? "Created" : "Deleted",
		cli_str(pt, "ip_address"), cli_int(pt, "port", 0));
	json_decref(pt);
	(void)tpg;
	return 1;
}

int cli_verb_iscsi(struct cli_cmd *x, const char *verb)
{
	json_t *tpg = x->nnode.parent ? cli_tpg(x->nnode.parent) : NULL;

	switch (x->node.kind) {
	case N_ISCSI:
		return !strcmp(verb, "create") ? iscsi_create(x)
					       : iscsi_delete(x);
	case N_TARGET:
		return cli_fail(x->c,
				"tgtxd has one portal group per target: "
				"tpg1 exists and cannot be %sd",
				verb);
	case N_LUNS:
		return luns(x, verb, tpg);
	case N_ACLS:
		return acls(x, verb, tpg);
	case N_PORTALS:
		return portals(x, verb, tpg);
	default:
		return cli_fail(x->c, "Command not found '%s' at %s", verb,
				x->node.path);
	}
}
