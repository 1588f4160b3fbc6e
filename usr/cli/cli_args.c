// SPDX-License-Identifier: GPL-2.0-or-later
/* Command words: shell-like splitting, key=value and positional binding. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

int cli_split(const char *line, int *argc, char **argv, int max, char *buf,
	      size_t buflen)
{
	size_t o = 0;
	int n = 0;

	for (;;) {
		char q = 0;
		bool word = false;

		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			break;
		if (n == max)
			return -1;
		argv[n] = buf + o;
		while (*line && (q || (*line != ' ' && *line != '\t'))) {
			if (q && *line == q) {
				q = 0;
			} else if (!q && (*line == '"' || *line == '\'')) {
				q = *line;
			} else {
				if (*line == '\\' && q != '\'' && line[1])
					line++;
				if (o + 1 >= buflen)
					return -1;
				buf[o++] = *line;
			}
			word = true;
			line++;
		}
		if (q)
			return -2; /* unterminated quote */
		if (o + 1 >= buflen)
			return -1;
		buf[o++] = 0;
		if (word)
			n++;
	}
	*argc = n;
	return 0;
}

static bool is_key(const char *w, size_t n)
{
	size_t i;

	if (!n || !isalpha((unsigned char)w[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '_')
			return false;
	return true;
}

int cli_parse_args(struct cli *c, int argc, char **argv, struct cli_args *a)
{
	size_t o = 0;
	int i, j;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t len = strlen(argv[i]);

		if (o + len + 1 > sizeof(a->buf))
			return cli_fail(c, "command too long");
		memcpy(a->buf + o, argv[i], len + 1);
		if (eq && is_key(argv[i], (size_t)(eq - argv[i]))) {
			if (a->nkv == CLI_ARGS_MAX)
				return cli_fail(c, "too many parameters");
			a->buf[o + (size_t)(eq - argv[i])] = 0;
			a->key[a->nkv] = a->buf + o;
			a->val[a->nkv] = a->buf + o + (eq - argv[i]) + 1;
			for (j = 0; j < a->nkv; j++)
				if (!strcmp(a->key[j], a->key[a->nkv]))
					return cli_fail(c,
							"parameter %s given "
							"twice",
							a->key[j]);
			a->nkv++;
		} else {
			if (a->npos == CLI_ARGS_MAX)
				return cli_fail(c, "too many parameters");
			a->pos[a->npos++] = a->buf + o;
		}
		o += len + 1;
	}
	return 0;
}

const char *cli_arg(const struct cli_args *a, const char *key)
{
	int i;

	for (i = 0; i < a->nkv; i++)
		if (!strcmp(a->key[i], key))
			return a->val[i];
	return NULL;
}

int cli_only_keys(struct cli *c, const struct cli_args *a,
		  const char *const *known)
{
	int i;
	const char *const *k;

	for (i = 0; i < a->nkv; i++) {
		for (k = known; *k; k++)
			if (!strcmp(*k, a->key[i]))
				break;
		if (!*k)
			return cli_fail(c, "Unexpected keyword parameter '%s'",
					a->key[i]);
	}
	return 0;
}

int cli_bind(struct cli *c, const struct cli_args *a, const char *const *params,
	     const char **vals)
{
	int n = 0, i;

	while (params[n])
		n++;
	if (a->npos > n)
		return cli_fail(c,
				"Too many parameters: '%s' (this command "
				"takes %d)",
				a->pos[n], n);
	if (cli_only_keys(c, a, params))
		return -1;
	for (i = 0; i < n; i++) {
		const char *kv = cli_arg(a, params[i]);

		if (i < a->npos && kv)
			return cli_fail(c, "parameter %s given twice",
					params[i]);
		vals[i] = i < a->npos ? a->pos[i] : kv;
	}
	return 0;
}

int cli_bool(struct cli *c, const char *name, const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcmp(v, "0") ||
		 !strcasecmp(v, "no") || !strcasecmp(v, "off"))
		*out = false;
	else
		return cli_fail(c,
				"Invalid value '%s' for %s: expected 0 or 1 "
				"(true/false)",
				v, name);
	return 0;
}
