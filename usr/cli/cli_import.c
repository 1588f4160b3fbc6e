// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads a saveconfig.json, tgtx's own or LIO's /etc/target one, into a
 * configuration tree. Structural errors (wrong types, bad names) refuse
 * the whole file; settings tgtxd has no equivalent for are left out and
 * each one is named in the report, never dropped silently.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct im {
	json_t *report, *m;
	char *err;
	size_t errlen;
	int failed;
};

static void note(struct im *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct im *im, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(im->report, json_string(buf));
}

static int bad(struct im *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int bad(struct im *im, const char *fmt, ...)
{
	va_list ap;

	if (im->failed++)
		return -1;
	va_start(ap, fmt);
	vsnprintf(im->err, im->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* optional member of a type; -1 on a wrong type */
static int opt(struct im *im, json_t *o, const char *k, json_type type,
	       const char *where, json_t **out)
{
	json_t *v = json_object_get(o, k);

	*out = v;
	if (!v)
		return 0;
	if (json_typeof(v) == type ||
	    (type == JSON_TRUE && json_is_boolean(v)) ||
	    (type == JSON_INTEGER && json_is_boolean(v)))
		return 0;
	return bad(im, "%s: \"%s\" has the wrong type", where, k);
}

static const char *const so_known[] = {
	"plugin",      "name", "dev",	     "size",	  "write_back",
	"k",	       "n",    "log",	     "peers",	  "tgtx_bsopts",
	"tgtx_bstype", "wwn",  "attributes", "alua_tpgs", NULL,
};

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcmp(*l, s))
			return true;
	return false;
}

static int import_peers(struct im *im, json_t *so, json_t *peers,
			const char *where)
{
	json_t *out = json_array(), *p, *v, *q;
	char seen[CLI_PEERS_MAX] = {0}, msg[256];
	size_t i;
	int o;

	json_array_foreach (peers, i, p) {
		long long idx;

		if (!json_is_object(p) ||
		    opt(im, p, "index", JSON_INTEGER, where, &v) || !v ||
		    (idx = json_integer_value(v)) < 0 || idx >= CLI_PEERS_MAX ||
		    seen[idx]) {
			json_decref(out);
			return bad(im,
				   "%s: peer %zu needs a unique index "
				   "0..%d",
				   where, i, CLI_PEERS_MAX - 1);
		}
		seen[idx] = 1;
		q = json_pack("{s:I}", "index", (json_int_t)idx);
		json_array_append_new(out, q);
		/* the URL and options, checked as tgtxd checks them */
		for (o = SP_URL; o < SP_NOPTS; o++) {
			const char *name = share_peer_opt_names[o];

			v = json_object_get(p, name);
			if (!v && o != SP_URL)
				continue;
			if (!json_is_string(v) ||
			    share_peer_check(o, json_string_value(v), msg,
					     sizeof(msg))) {
				json_decref(out);
				return bad(im, "%s: peer %lld: %s", where, idx,
					   json_is_string(v) ? msg
					   : o == SP_URL     ? "needs a url"
							     : "not a string");
			}
			json_object_set(q, name, v);
		}
	}
	json_object_set_new(so, "peers", out);
	return 0;
}

static int import_so(struct im *im, json_t *s, size_t i)
{
	char where[160];
	const char *plugin, *name, *k;
	json_t *so, *v, *peers;

	snprintf(where, sizeof(where), "storage_objects[%zu]", i);
	if (!json_is_object(s))
		return bad(im, "%s: expected an object", where);
	plugin = cli_str(s, "plugin");
	name = cli_str(s, "name");
	if (!cli_valid_name(name))
		return bad(im, "%s: bad or missing name", where);
	snprintf(where, sizeof(where), "storage object %s/%s", plugin, name);
	if (!cli_valid_plugin(plugin)) {
		note(im,
		     "%s: no tgtx backstore for plugin '%s'; not "
		     "imported (nor the LUNs using it)",
		     where, plugin);
		return 0;
	}
	if (cli_so_find(im->m, plugin, name))
		return bad(im, "%s: defined twice", where);
	so = json_pack("{s:s,s:s,s:s}", "plugin", plugin, "name", name, "dev",
		       cli_str(s, "dev"));
	json_array_append_new(json_object_get(im->m, "storage_objects"), so);
	if (strcmp(plugin, "null") && !*cli_str(s, "dev"))
		return bad(im, "%s: \"dev\" is missing", where);
	if (opt(im, s, "size", JSON_INTEGER, where, &v))
		return -1;
	if (v && json_integer_value(v) < 0)
		return bad(im, "%s: negative size", where);
	if (v)
		json_object_set(so, "size", v);
	if (opt(im, s, "write_back", JSON_TRUE, where, &v))
		return -1;
	if (v)
		json_object_set_new(
			so, "write_back",
			json_boolean(json_is_true(v) || json_integer_value(v)));
	if (!strcmp(plugin, "xorshare")) {
		long long kk = cli_int(s, "k", -1), n = cli_int(s, "n", -1);

		if (kk < 1 || n < kk || n > CLI_PEERS_MAX ||
		    !*cli_str(s, "log"))
			return bad(im,
				   "%s: needs k, n (1 <= k <= n <= %d) "
				   "and log",
				   where, CLI_PEERS_MAX);
		json_object_set_new(so, "k", json_integer(kk));
		json_object_set_new(so, "n", json_integer(n));
		json_object_set(so, "log", json_object_get(s, "log"));
		if (opt(im, s, "peers", JSON_ARRAY, where, &peers) ||
		    import_peers(im, so, peers, where))
			return -1;
	}
	for (k = "tgtx_bsopts"; k;
	     k = strcmp(k, "tgtx_bsopts") ? NULL : "tgtx_bstype") {
		if (opt(im, s, k, JSON_STRING, where, &v))
			return -1;
		if (v && strpbrk(json_string_value(v), "\r\n"))
			return bad(im, "%s: bad %s", where, k);
		if (v)
			json_object_set(so, k, v);
	}
	if (*cli_str(s, "wwn"))
		note(im,
		     "%s: LIO unit serial (wwn %s) not kept; tgtxd makes "
		     "its own",
		     where, cli_str(s, "wwn"));
	if (json_array_size(json_object_get(s, "alua_tpgs")) > 1)
		note(im, "%s: ALUA target port groups not supported", where);
	if (json_object_size(json_object_get(s, "attributes")))
		note(im,
		     "%s: %zu LIO attributes (block_size, emulate_*, ...) "
		     "not applied; tgtxd defaults used",
		     where, json_object_size(json_object_get(s, "attributes")));
	json_object_foreach (s, k, v)
		if (!in_list(so_known, k))
			note(im, "%s: unknown field \"%s\" ignored", where, k);
	return 0;
}

struct attr_def {
	const char *name;
	long long def;
};

/* LIO's tpg attributes and their defaults; others are reported */
static const struct attr_def tpg_attrs[] = {
	{"cache_dynamic_acls", 0},
	{"default_cmdsn_depth", 64},
	{"default_erl", 0},
	{"demo_mode_discovery", 1},
	{"demo_mode_write_protect", 1},
	{"login_timeout", 15},
	{"netif_timeout", 2},
	{"prod_mode_write_protect", 0},
	{"t10_pi", 0},
	{"tpg_enabled_sendtargets", 1},
	{"fabric_prot_type", 0},
	{"login_keys_workaround", 1},
};

static const char *const param_defaults[][2] = {
	{"AuthMethod", "CHAP,None"},
	{"DataDigest", "CRC32C,None"},
	{"DataPDUInOrder", "Yes"},
	{"DataSequenceInOrder", "Yes"},
	{"DefaultTime2Retain", "20"},
	{"DefaultTime2Wait", "2"},
	{"ErrorRecoveryLevel", "0"},
	{"FirstBurstLength", "65536"},
	{"HeaderDigest", "CRC32C,None"},
	{"IFMarkInt", "2048~65535"},
	{"IFMarker", "No"},
	{"ImmediateData", "Yes"},
	{"InitialR2T", "Yes"},
	{"MaxBurstLength", "262144"},
	{"MaxConnections", "1"},
	{"MaxOutstandingR2T", "1"},
	{"MaxRecvDataSegmentLength", "8192"},
	{"MaxXmitDataSegmentLength", "262144"},
	{"OFMarkInt", "2048~65535"},
	{"OFMarker", "No"},
	{"TargetAlias", "LIO Target"},
};

static void check_attrs(struct im *im, json_t *attrs, const char *where)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach (attrs, k, v) {
		if (!strcmp(k, "authentication") ||
		    !strcmp(k, "generate_node_acls"))
			continue;
		for (i = 0; i < sizeof(tpg_attrs) / sizeof(tpg_attrs[0]); i++)
			if (!strcmp(k, tpg_attrs[i].name))
				break;
		if (i < sizeof(tpg_attrs) / sizeof(tpg_attrs[0]) &&
		    json_is_integer(v) &&
		    json_integer_value(v) == tpg_attrs[i].def)
			continue;
		note(im, "%s: attribute %s not supported by tgtxd; not applied",
		     where, k);
	}
}

static void check_params(struct im *im, json_t *tpg, json_t *params,
			 const char *where)
{
	json_t *keep = json_object(), *v;
	const char *k;
	size_t i;

	json_object_foreach (params, k, v) {
		const char *s = json_string_value(v);

		for (i = 0;
		     i < sizeof(param_defaults) / sizeof(param_defaults[0]);
		     i++)
			if (!strcmp(k, param_defaults[i][0]))
				break;
		if (s &&
		    i < sizeof(param_defaults) / sizeof(param_defaults[0]) &&
		    !strcmp(s, param_defaults[i][1]))
			continue;
		note(im,
		     "%s: parameter %s=%s not applied (set it with "
		     "tgtxadm --op update --mode target)",
		     where, k, s ? s : "?");
	}
	json_object_set_new(tpg, "parameters", keep);
}

static int import_chap(struct im *im, json_t *src, json_t *tpg,
		       const char *where)
{
	static const char *const k[] = {"chap_userid", "chap_password",
					"chap_mutual_userid",
					"chap_mutual_password"};
	size_t i;

	for (i = 0; i < 4; i++) {
		json_t *v = json_object_get(src, k[i]);

		if (v && !json_is_string(v))
			return bad(im, "%s: %s must be a string", where, k[i]);
		if (v && (strpbrk(json_string_value(v), " \t\r\n") ||
			  strlen(json_string_value(v)) > 255))
			return bad(im, "%s: bad %s", where, k[i]);
		if (v && *json_string_value(v))
			json_object_set(tpg, k[i], v);
	}
	if (*cli_str(tpg, "chap_userid") && !*cli_str(tpg, "chap_password"))
		return bad(im, "%s: chap_userid without chap_password", where);
	if (*cli_str(tpg, "chap_mutual_userid") &&
	    (!*cli_str(tpg, "chap_mutual_password") ||
	     !*cli_str(tpg, "chap_userid")))
		return bad(im,
			   "%s: mutual CHAP needs chap_userid and both "
			   "passwords",
			   where);
	return 0;
}

static bool same_chap(json_t *a, json_t *tpg)
{
	return !strcmp(cli_str(a, "chap_userid"),
		       cli_str(tpg, "chap_userid")) &&
	       !strcmp(cli_str(a, "chap_password"),
		       cli_str(tpg, "chap_password")) &&
	       !strcmp(cli_str(a, "chap_mutual_userid"),
		       cli_str(tpg, "chap_mutual_userid"));
}

static int import_acls(struct im *im, json_t *src, json_t *tpg,
		       const char *where)
{
	json_t *acls = json_object_get(src, "node_acls"), *a, *ml, *l;
	size_t i, j;
	char w[400];

	if (acls && !json_is_array(acls))
		return bad(im, "%s: node_acls must be an array", where);
	json_array_foreach (acls, i, a) {
		const char *wwn = cli_str(a, "node_wwn");

		if (!cli_valid_wwn(wwn))
			return bad(im, "%s: node_acls[%zu]: bad node_wwn",
				   where, i);
		snprintf(w, sizeof(w), "%s acl %s", where, wwn);
		if (cli_acl_find(tpg, wwn))
			return bad(im, "%s: defined twice", w);
		json_array_append_new(json_object_get(tpg, "node_acls"),
				      json_pack("{s:s}", "node_wwn", wwn));
		if (*cli_str(a, "chap_userid")) {
			json_t *tmp = json_object();

			if (import_chap(im, a, tmp, w)) {
				json_decref(tmp);
				return -1;
			}
			if (!*cli_str(tpg, "chap_userid")) {
				/* tgtxd's CHAP is per target: fail closed */
				import_chap(im, tmp, tpg, w);
				note(im,
				     "%s: per-ACL CHAP user %s became the "
				     "target's CHAP account (tgtxd has no "
				     "per-initiator CHAP)",
				     w, cli_str(tmp, "chap_userid"));
			} else if (!same_chap(tmp, tpg)) {
				note(im,
				     "%s: per-ACL CHAP user %s not "
				     "applied; the target's account %s "
				     "is used",
				     w, cli_str(tmp, "chap_userid"),
				     cli_str(tpg, "chap_userid"));
			}
			json_decref(tmp);
		}
		ml = json_object_get(a, "mapped_luns");
		json_array_foreach (ml, j, l) {
			if (cli_int(l, "write_protect", 0))
				note(im,
				     "%s: mapped LUN %lld is write "
				     "protected in LIO; tgtxd gives "
				     "read-write",
				     w, cli_int(l, "index", 0));
			if (cli_int(l, "index", -1) !=
			    cli_int(l, "tpg_lun", -2))
				note(im,
				     "%s: mapped_lun%lld -> lun%lld "
				     "renumbering not supported; the "
				     "initiator sees the tpg's numbers",
				     w, cli_int(l, "index", 0),
				     cli_int(l, "tpg_lun", 0));
		}
		if (ml && json_array_size(ml) !=
				  json_array_size(json_object_get(src, "luns")))
			note(im,
			     "%s: LIO maps %zu of %zu LUNs; in tgtxd the "
			     "ACL sees every LUN of the target",
			     w, json_array_size(ml),
			     json_array_size(json_object_get(src, "luns")));
	}
	return 0;
}

static int import_tpg(struct im *im, json_t *t, json_t *src, const char *wwn)
{
	json_t *tpg = cli_tpg(t), *v, *l;
	long long gen;
	char where[300];
	size_t i;

	snprintf(where, sizeof(where), "target %s tpg%lld", wwn,
		 cli_int(src, "tag", 1));
	if (!json_is_object(src))
		return bad(im, "%s: expected an object", where);
	if (json_is_false(json_object_get(src, "enable")))
		note(im, "%s: disabled in LIO; imported enabled", where);
	v = json_object_get(src, "attributes");
	if (v && !json_is_object(v))
		return bad(im, "%s: attributes must be an object", where);
	check_attrs(im, v, where);
	gen = cli_int(v, "generate_node_acls", 0);
	v = json_object_get(src, "parameters");
	if (v && !json_is_object(v))
		return bad(im, "%s: parameters must be an object", where);
	check_params(im, tpg, v, where);
	if (import_chap(im, src, tpg, where))
		return -1;
	if (*cli_str(tpg, "chap_userid") &&
	    !cli_int(json_object_get(src, "attributes"), "authentication", 1)) {
		note(im,
		     "%s: CHAP credentials with authentication=0 not "
		     "applied (tgtxd requires CHAP whenever a target has "
		     "credentials)",
		     where);
		json_object_del(tpg, "chap_userid");
		json_object_del(tpg, "chap_password");
		json_object_del(tpg, "chap_mutual_userid");
		json_object_del(tpg, "chap_mutual_password");
	}
	if (import_acls(im, src, tpg, where))
		return -1;
	if (cli_int(json_object_get(src, "attributes"), "authentication", 0) &&
	    !*cli_str(tpg, "chap_userid"))
		note(im,
		     "%s: authentication=1 without credentials: tgtxd "
		     "does not require CHAP until `set auth` gives some",
		     where);
	if (gen && json_array_size(json_object_get(tpg, "node_acls"))) {
		note(im,
		     "%s: generate_node_acls=1 with ACLs: tgtxd admits "
		     "only the ACLs' initiators",
		     where);
		gen = 0;
	}
	if (gen && cli_int(json_object_get(src, "attributes"),
			   "demo_mode_write_protect", 1))
		note(im,
		     "%s: demo mode is write protected in LIO; tgtxd gives "
		     "read-write",
		     where);
	json_object_set_new(json_object_get(tpg, "attributes"),
			    "generate_node_acls", json_integer(gen));
	json_array_foreach (json_object_get(src, "luns"), i, l) {
		const char *so = cli_str(l, "storage_object");
		long long idx = cli_int(l, "index", -1);

		if (idx < 0 || idx > 16383)
			return bad(im, "%s: luns[%zu]: bad index", where, i);
		if (!cli_so_by_path(im->m, so)) {
			note(im,
			     "%s: lun%lld (%s) not imported: no such "
			     "tgtx backstore",
			     where, idx, so);
			continue;
		}
		if (cli_lun_find(tpg, idx))
			return bad(im, "%s: lun%lld defined twice", where, idx);
		json_array_append_new(json_object_get(tpg, "luns"),
				      json_pack("{s:I,s:s}", "index",
						(json_int_t)idx,
						"storage_object", so));
	}
	json_array_foreach (json_object_get(src, "portals"), i, l) {
		const char *ip = cli_str(l, "ip_address");
		long long port = cli_int(l, "port", -1);

		if (!*ip || strlen(ip) > 64 || strpbrk(ip, " /,[]") ||
		    port < 1 || port > 65535)
			return bad(im, "%s: portals[%zu]: bad address or port",
				   where, i);
		if (cli_int(l, "iser", 0) || cli_int(l, "offload", 0))
			note(im,
			     "%s: portal %s:%lld iSER/offload not "
			     "supported; plain TCP used",
			     where, ip, port);
		json_array_append_new(json_object_get(tpg, "portals"),
				      json_pack("{s:s,s:I}", "ip_address", ip,
						"port", (json_int_t)port));
	}
	v = json_object_get(src, "tgtx_initiator_addresses");
	if (json_is_array(v)) {
		json_array_foreach (v, i, l)
			if (!json_is_string(l) || !*json_string_value(l) ||
			    strpbrk(json_string_value(l), " \r\n"))
				return bad(im,
					   "%s: bad initiator "
					   "address",
					   where);
		json_object_set(tpg, "tgtx_initiator_addresses", v);
	}
	json_object_set_new(json_object_get(tpg, "attributes"),
			    "authentication",
			    json_integer(*cli_str(tpg, "chap_userid") != 0));
	cli_tpg_addresses(tpg);
	return 0;
}

static int import_target(struct im *im, json_t *s, size_t i)
{
	const char *wwn = cli_str(s, "wwn"), *fabric = cli_str(s, "fabric");
	json_t *tpgs = json_object_get(s, "tpgs"), *t;
	size_t j;

	if (!json_is_object(s))
		return bad(im, "targets[%zu]: expected an object", i);
	if (strcmp(fabric, "iscsi")) {
		note(im,
		     "target %s: fabric '%s' not supported (iSCSI only); "
		     "not imported",
		     wwn, fabric);
		return 0;
	}
	if (!cli_valid_wwn(wwn))
		return bad(im, "targets[%zu]: bad wwn '%.64s'", i, wwn);
	if (cli_target_find(im->m, wwn))
		return bad(im, "target %s: defined twice", wwn);
	if (!json_is_array(tpgs) || !json_array_size(tpgs))
		return bad(im, "target %s: no tpgs", wwn);
	t = json_pack("{s:s,s:s,s:[{s:i,s:b,s:{},s:{},s:[],s:[],s:[]}]}",
		      "fabric", "iscsi", "wwn", wwn, "tpgs", "tag", 1, "enable",
		      1, "attributes", "parameters", "luns", "node_acls",
		      "portals");
	json_array_append_new(json_object_get(im->m, "targets"), t);
	if (json_is_integer(json_object_get(s, "tgtx_tid")))
		json_object_set(t, "tgtx_tid", json_object_get(s, "tgtx_tid"));
	json_array_foreach (tpgs, j, s) {
		if (j == 0) {
			if (import_tpg(im, t, s, wwn))
				return -1;
			if (cli_int(s, "tag", 1) != 1)
				note(im, "target %s: tpg%lld imported as tpg1",
				     wwn, cli_int(s, "tag", 1));
		} else {
			note(im,
			     "target %s: tpg%lld not imported (tgtxd has "
			     "one portal group per target)",
			     wwn, cli_int(s, "tag", 0));
		}
	}
	return 0;
}

json_t *cli_import(const char *text, size_t len, json_t *report, char *err,
		   size_t errlen)
{
	struct im im = {.report = report, .err = err, .errlen = errlen};
	json_error_t je;
	json_t *root, *v;
	const char *k;
	size_t i;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "line %d column %d: %s", je.line,
			 je.column, je.text);
		return NULL;
	}
	im.m = cli_model_new();
	if (!json_is_object(root)) {
		bad(&im, "the top level must be an object");
		goto fail;
	}
	v = json_object_get(root, "storage_objects");
	if (v && !json_is_array(v)) {
		bad(&im, "storage_objects must be an array");
		goto fail;
	}
	for (i = 0; i < json_array_size(v); i++)
		if (import_so(&im, json_array_get(v, i), i))
			goto fail;
	v = json_object_get(root, "targets");
	if (v && !json_is_array(v)) {
		bad(&im, "targets must be an array");
		goto fail;
	}
	for (i = 0; i < json_array_size(v); i++)
		if (import_target(&im, json_array_get(v, i), i))
			goto fail;
	json_array_foreach (json_object_get(root, "fabric_modules"), i, v)
		if (json_object_size(v) > 1 || !json_is_object(v))
			note(&im,
			     "fabric module %s: settings (discovery "
			     "authentication, ...) not applied",
			     cli_str(v, "name"));
	json_object_foreach (root, k, v)
		if (strcmp(k, "storage_objects") && strcmp(k, "targets") &&
		    strcmp(k, "fabric_modules"))
			note(&im, "top-level field \"%s\" ignored", k);
	json_decref(root);
	return im.m;
fail:
	json_decref(root);
	json_decref(im.m);
	return NULL;
}

json_t *cli_load_file(struct cli *c, const char *path, json_t *report)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;
	json_t *m;

	if (!f) {
		cli_fail(c, "cannot open %s: %m", path);
		return NULL;
	}
	buf = malloc(CLI_FILE_MAX + 1);
	n = buf ? fread(buf, 1, CLI_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > CLI_FILE_MAX) {
		free(buf);
		cli_fail(c, "%s: larger than %u bytes", path, CLI_FILE_MAX);
		return NULL;
	}
	m = cli_import(buf, n, report, c->err, sizeof(c->err));
	free(buf);
	if (!m) {
		char tmp[CLI_ERR_MAX];

		snprintf(tmp, sizeof(tmp), "%s", c->err);
		cli_fail(c, "%s: %s; nothing restored", path, tmp);
	}
	return m;
}
