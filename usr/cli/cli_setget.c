// SPDX-License-Identifier: GPL-2.0-or-later
/* set/get of a tpg's attribute, auth and parameter groups. */
#include <string.h>

#include "cli.h"

static const char *const attrs[] = {"authentication", "generate_node_acls",
				    NULL};
static const char *const auths[] = {"userid", "password", "mutual_userid",
				    "mutual_password", NULL};
static const char *const auth_keys[] = {"chap_userid", "chap_password",
					"chap_mutual_userid",
					"chap_mutual_password"};

static int set_attribute(struct cli_cmd *x, json_t *tpg)
{
	json_t *attr = json_object_get(tpg, "attributes");
	bool v[2] = {false, false}, given[2] = {false, false};
	int i;

	if (!x->a->nkv)
		return cli_fail(x->c,
				"Usage: set attribute "
				"authentication=0|1 generate_node_acls=0|1");
	for (i = 0; i < x->a->nkv; i++) {
		int k = !strcmp(x->a->key[i], "authentication")	      ? 0
			: !strcmp(x->a->key[i], "generate_node_acls") ? 1
								      : -1;

		if (k < 0)
			return cli_fail(x->c,
					"Unknown attribute '%s' "
					"(tgtxd: authentication, "
					"generate_node_acls)",
					x->a->key[i]);
		if (cli_bool(x->c, x->a->key[i], x->a->val[i], &v[k]))
			return -1;
		given[k] = true;
	}
	if (given[0] && v[0] && !*cli_str(tpg, "chap_userid"))
		return cli_fail(x->c, "authentication=1 needs CHAP credentials "
				      "first: set auth userid=U password=P "
				      "(tgtxd requires CHAP exactly when a "
				      "target has them)");
	if (given[0] && !v[0])
		for (i = 0; i < 4; i++)
			json_object_del(tpg, auth_keys[i]);
	if (given[1] && v[1] &&
	    json_array_size(json_object_get(tpg, "node_acls")))
		return cli_fail(x->c, "generate_node_acls=1 while ACLs exist: "
				      "tgtxd would still admit only the ACLs; "
				      "delete them first");
	if (given[1])
		json_object_set_new(attr, "generate_node_acls",
				    json_integer(v[1]));
	if (given[0])
		json_object_set_new(attr, "authentication", json_integer(v[0]));
	cli_tpg_addresses(tpg);
	for (i = 0; i < x->a->nkv; i++)
		fprintf(x->c->out, "Parameter %s is now '%s'.\n", x->a->key[i],
			x->a->val[i]);
	return 1;
}

static int set_auth(struct cli_cmd *x, json_t *tpg)
{
	int i, j;

	if (!x->a->nkv)
		return cli_fail(x->c, "Usage: set auth userid=U password=P "
				      "[mutual_userid=U mutual_password=P]");
	for (i = 0; i < x->a->nkv; i++) {
		for (j = 0; auths[j]; j++)
			if (!strcmp(auths[j], x->a->key[i]))
				break;
		if (!auths[j])
			return cli_fail(x->c,
					"Unknown auth parameter '%s' "
					"(userid, password, "
					"mutual_userid, mutual_password)",
					x->a->key[i]);
		if (strpbrk(x->a->val[i], " \t\r\n") ||
		    strlen(x->a->val[i]) > 255)
			return cli_fail(x->c, "Invalid value for %s",
					x->a->key[i]);
		if (*x->a->val[i])
			json_object_set_new(tpg, auth_keys[j],
					    json_string(x->a->val[i]));
		else
			json_object_del(tpg, auth_keys[j]);
	}
	if (!*cli_str(tpg, "chap_userid") != !*cli_str(tpg, "chap_password"))
		return cli_fail(x->c, "userid and password go together");
	if (!*cli_str(tpg, "chap_mutual_userid") !=
	    !*cli_str(tpg, "chap_mutual_password"))
		return cli_fail(x->c, "mutual_userid and mutual_password go "
				      "together");
	if (*cli_str(tpg, "chap_mutual_userid") &&
	    !*cli_str(tpg, "chap_userid"))
		return cli_fail(x->c, "mutual CHAP needs userid and password "
				      "too");
	if (!strcmp(cli_str(tpg, "chap_userid"),
		    cli_str(tpg, "chap_mutual_userid")))
		return cli_fail(x->c, "mutual_userid must differ from userid "
				      "(tgtxd accounts are named by user)");
	json_object_set_new(json_object_get(tpg, "attributes"),
			    "authentication",
			    json_integer(*cli_str(tpg, "chap_userid") != 0));
	for (i = 0; i < x->a->nkv; i++)
		fprintf(x->c->out, "Parameter %s is now '%s'.\n", x->a->key[i],
			x->a->val[i]);
	if (*cli_str(tpg, "chap_userid"))
		fprintf(x->c->out, "CHAP is now required for this target "
				   "(authentication=1).\n");
	return 1;
}

static int get(struct cli_cmd *x, json_t *tpg)
{
	const char *group = x->a->npos ? x->a->pos[0] : NULL;
	json_t *attr = json_object_get(tpg, "attributes");
	int i, j;

	if (x->a->nkv)
		return cli_fail(x->c, "Usage: get [attribute|auth|parameter] "
				      "[NAME...]");
	if (group && strcmp(group, "attribute") && strcmp(group, "auth") &&
	    strcmp(group, "parameter"))
		return cli_fail(x->c,
				"Unknown configuration group '%s' "
				"(attribute, auth, parameter)",
				group);
	for (i = 1; i < x->a->npos; i++) {
		const char *const *names =
			!strcmp(group, "auth") ? auths : attrs;

		for (j = 0; names[j]; j++)
			if (!strcmp(names[j], x->a->pos[i]))
				break;
		if (!names[j] && strcmp(group, "parameter"))
			return cli_fail(x->c, "Unknown %s '%s'", group,
					x->a->pos[i]);
	}
	if (!group || !strcmp(group, "attribute")) {
		fprintf(x->c->out, "ATTRIBUTE CONFIG GROUP\n");
		for (j = 0; attrs[j]; j++)
			fprintf(x->c->out, "%s=%lld\n", attrs[j],
				cli_int(attr, attrs[j], 0));
	}
	if (!group || !strcmp(group, "auth")) {
		fprintf(x->c->out, "AUTH CONFIG GROUP\n");
		for (j = 0; auths[j]; j++)
			fprintf(x->c->out, "%s=%s\n", auths[j],
				cli_str(tpg, auth_keys[j]));
	}
	if (!group || !strcmp(group, "parameter")) {
		const char *k;
		json_t *v;

		fprintf(x->c->out, "PARAMETER CONFIG GROUP\n");
		json_object_foreach (json_object_get(tpg, "parameters"), k, v)
			fprintf(x->c->out, "%s=%s\n", k, json_string_value(v));
	}
	return 0;
}

int cli_verb_setget(struct cli_cmd *x, const char *verb)
{
	json_t *tpg = x->nnode.obj;
	const char *group = x->a->npos ? x->a->pos[0] : NULL;

	if (x->node.kind == N_ACL)
		return cli_fail(
			x->c,
			"tgtxd has no per-initiator CHAP: use "
			"`set auth` on the tpg (%.*s)",
			(int)(strstr(x->node.path, "/acls") - x->node.path),
			x->node.path);
	if (x->node.kind != N_TPG)
		return cli_fail(x->c,
				"No configuration groups at %s (try the "
				"tpg)",
				x->node.path);
	if (!strcmp(verb, "get"))
		return get(x, tpg);
	if (!group || x->a->npos != 1)
		return cli_fail(x->c, "Usage: set attribute|auth KEY=VALUE...");
	if (!strcmp(group, "attribute"))
		return set_attribute(x, tpg);
	if (!strcmp(group, "auth"))
		return set_auth(x, tpg);
	if (!strcmp(group, "parameter"))
		return cli_fail(x->c, "iSCSI parameters are set with tgtxadm "
				      "--op update --mode target --name KEY "
				      "--value VALUE");
	return cli_fail(x->c,
			"Unknown configuration group '%s' (attribute, "
			"auth)",
			group);
}
