// SPDX-License-Identifier: GPL-2.0-or-later
/* Tab completion: paths, verbs, parameter names and groups. */
#include <string.h>

#include "cli.h"

static void add(json_t *out, const char *prefix, const char *cand)
{
	if (!strncmp(cand, prefix, strlen(prefix)))
		json_array_append_new(out, json_string(cand));
}

static void paths(struct cli *c, json_t *m, const char *word, json_t *out)
{
	const char *slash = strrchr(word, '/');
	char dir[CLI_PATH_MAX], err[CLI_ERR_MAX], cand[CLI_PATH_MAX * 2];
	const char *prefix = slash ? slash + 1 : word;
	struct cli_node n;
	json_t *kids, *k;
	size_t i;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - word + 1),
			 word);
	else
		dir[0] = 0;
	memcpy(err, c->err, sizeof(err));
	if (cli_resolve(c, m, dir[0] ? dir : ".", &n)) {
		memcpy(c->err, err, sizeof(err));
		return;
	}
	kids = cli_children(m, &n);
	json_array_foreach (kids, i, k) {
		snprintf(cand, sizeof(cand), "%s%s", dir, json_string_value(k));
		if (!strncmp(json_string_value(k), prefix, strlen(prefix)))
			json_array_append_new(out, json_string(cand));
	}
	if (!strcmp(prefix, ".."))
		json_array_append_new(out, json_string(word));
	json_decref(kids);
}

json_t *cli_complete(struct cli *c, json_t *m, const char *line, size_t point)
{
	char buf[4096], *argv[CLI_ARGS_MAX + 2], words[4096];
	const char *word, *verb = NULL, *const * v;
	json_t *out = json_array();
	struct cli_node n;
	char err[CLI_ERR_MAX];
	int argc = 0, first = 0, idx;
	bool fresh;

	if (point >= sizeof(buf))
		return out;
	memcpy(buf, line, point);
	buf[point] = 0;
	fresh = !point || buf[point - 1] == ' ' || buf[point - 1] == '\t';
	if (cli_split(buf, &argc, argv, CLI_ARGS_MAX + 1, words, sizeof(words)))
		return out;
	word = fresh || !argc ? "" : argv[argc - 1];
	idx = fresh ? argc : argc - 1; /* index of the word being typed */
	memcpy(err, c->err, sizeof(err));
	if (argc && (argv[0][0] == '/' || argv[0][0] == '.') && idx > 0)
		first = 1;
	if (cli_resolve(c, m, first ? argv[0] : ".", &n)) {
		memcpy(c->err, err, sizeof(err));
		return out;
	}
	if (idx == first) {
		for (v = cli_verbs(n.kind); *v; v++)
			add(out, word, *v);
		if (!first)
			paths(c, m, word, out);
		return out;
	}
	verb = argv[first];
	if (!strcmp(verb, "cd") || !strcmp(verb, "ls")) {
		paths(c, m, word, out);
		return out;
	}
	if ((!strcmp(verb, "get") || !strcmp(verb, "set")) &&
	    idx == first + 1) {
		add(out, word, "attribute");
		add(out, word, "auth");
		if (!strcmp(verb, "get"))
			add(out, word, "parameter");
		return out;
	}
	if (!strcmp(verb, "set") && idx > first + 1) {
		static const char *const a[] = {
			"authentication=", "generate_node_acls=", NULL};
		static const char *const u[] = {
			"userid=", "password=", "mutual_userid=",
			"mutual_password=", NULL};
		const char *const *l = !strcmp(argv[first + 1], "auth") ? u : a;

		for (; *l; l++)
			add(out, word, *l);
		return out;
	}
	if (n.kind == N_LUNS && !strcmp(verb, "create") && idx == first + 1) {
		if (!word[0])
			word = "/backstores/";
		paths(c, m, word, out);
		return out;
	}
	v = cli_verb_params(n.kind, verb);
	for (; v && *v; v++) {
		char kv[64];

		snprintf(kv, sizeof(kv), "%s=", *v);
		add(out, word, kv);
	}
	return out;
}
