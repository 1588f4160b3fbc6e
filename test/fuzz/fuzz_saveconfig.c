// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for tgtxcli's saveconfig.json reader (cli_import):
 * any input is refused or gives a tree; a tree must survive being saved
 * and read again unchanged (what restoreconfig would apply is what
 * saveconfig wrote), and every path of the tree must resolve and list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void walk(struct cli *c, json_t *m, const char *path, int depth)
{
	struct cli_node node;
	json_t *kids, *k;
	char child[CLI_PATH_MAX + 300];
	size_t i;

	if (depth > 8 || cli_resolve(c, m, path, &node))
		return;
	kids = cli_children(m, &node);
	json_array_foreach (kids, i, k) {
		snprintf(child, sizeof(child), "%s/%s",
			 strcmp(path, "/") ? path : "", json_string_value(k));
		if (strlen(child) < CLI_PATH_MAX)
			walk(c, m, child, depth + 1);
	}
	json_decref(kids);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static FILE *null_out;
	struct cli c = {0};
	json_t *report = json_array(), *m, *m2, *s1, *s2;
	struct cli_node root;
	char err[512], *text;

	if (!null_out)
		null_out = fopen("/dev/null", "w");
	c.out = null_out;
	strcpy(c.cwd, "/");
	m = cli_import((const char *)d, n, report, err, sizeof(err));
	if (!m) {
		json_decref(report);
		return 0;
	}
	walk(&c, m, "/", 0);
	if (!cli_resolve(&c, m, "/", &root))
		cli_ls(&c, m, &root, 100);
	s1 = cli_strip(m);
	text = json_dumps(s1, JSON_SORT_KEYS);
	if (!text)
		abort();
	m2 = cli_import(text, strlen(text), report, err, sizeof(err));
	if (!m2) {
		fprintf(stderr, "own output refused: %s\n%s\n", err, text);
		abort();
	}
	s2 = cli_strip(m2);
	if (!json_equal(s1, s2)) {
		char *t2 = json_dumps(s2, JSON_SORT_KEYS);

		fprintf(stderr, "round trip differs:\n%s\n%s\n", text, t2);
		abort();
	}
	free(text);
	json_decref(s1);
	json_decref(s2);
	json_decref(m2);
	json_decref(m);
	json_decref(report);
	return 0;
}
