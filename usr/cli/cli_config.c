// SPDX-License-Identifier: GPL-2.0-or-later
/* saveconfig, restoreconfig, clearconfig. */
#include <string.h>

#include "cli.h"

static int saveconfig(struct cli_cmd *x)
{
	static const char *const p[] = {"savefile", NULL};
	const char *v[1];

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (cli_save(x->c, x->m, v[0] ? v[0] : x->c->config))
		return -1;
	fprintf(x->c->out, "Configuration saved to %s\n",
		v[0] ? v[0] : x->c->config);
	return 0;
}

/* Adds what `add` has to `m`; refuses names both have. */
static int merge(struct cli *c, json_t *m, json_t *add)
{
	json_t *o;
	size_t i;

	json_array_foreach (json_object_get(add, "storage_objects"), i, o) {
		if (cli_so_find(m, cli_str(o, "plugin"), cli_str(o, "name")))
			return cli_fail(c,
					"storage object %s/%s already "
					"exists; use clear_existing=true",
					cli_str(o, "plugin"),
					cli_str(o, "name"));
		json_array_append(json_object_get(m, "storage_objects"), o);
	}
	json_array_foreach (json_object_get(add, "targets"), i, o) {
		if (cli_target_find(m, cli_str(o, "wwn")))
			return cli_fail(c,
					"target %s already exists; use "
					"clear_existing=true",
					cli_str(o, "wwn"));
		json_array_append(json_object_get(m, "targets"), o);
	}
	return 0;
}

static int restoreconfig(struct cli_cmd *x)
{
	static const char *const p[] = {"savefile", "clear_existing", NULL};
	const char *v[2];
	const char *file;
	json_t *report = json_array(), *m, *r;
	bool clear = false;
	size_t i;
	int ret;

	if (cli_bind(x->c, x->a, p, v) ||
	    (v[1] && cli_bool(x->c, "clear_existing", v[1], &clear))) {
		json_decref(report);
		return -1;
	}
	file = v[0] ? v[0] : x->c->config;
	m = cli_load_file(x->c, file, report);
	json_array_foreach (report, i, r)
		fprintf(x->c->out, "not applied: %s\n", json_string_value(r));
	json_decref(report);
	if (!m)
		return -1;
	if (clear) {
		json_decref(x->nm);
		x->nm = m;
	} else {
		ret = merge(x->c, x->nm, m);
		json_decref(m);
		if (ret)
			return -1;
	}
	/* the file may name portals tgtxd lacks; never closes others */
	if (cli_apply(x->c, x->m, x->nm, &x->ao))
		return -1;
	fprintf(x->c->out, "Configuration restored from %s\n", file);
	return 0;
}

static int clearconfig(struct cli_cmd *x)
{
	static const char *const p[] = {"confirm", NULL};
	const char *v[1];
	bool yes = false;

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (v[0] && cli_bool(x->c, "confirm", v[0], &yes))
		return -1;
	if (!yes)
		return cli_fail(x->c,
				"As a precaution, confirm=True needs to be "
				"set");
	json_decref(x->nm);
	x->nm = cli_model_new();
	fprintf(x->c->out, "All configuration cleared\n");
	return 1;
}

int cli_verb_config(struct cli_cmd *x, const char *verb)
{
	if (!strcmp(verb, "saveconfig"))
		return saveconfig(x);
	if (!strcmp(verb, "restoreconfig"))
		return restoreconfig(x);
	return clearconfig(x);
}
