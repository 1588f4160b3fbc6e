// SPDX-License-Identifier: GPL-2.0-or-later
/* The interactive shell: libedit line editing, completion and history. */
#include <editline/readline.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static struct cli *shell_cli;
static json_t *shell_cands;

static char *gen(const char *text, int state)
{
	json_t *v = json_array_get(shell_cands, (size_t)state);

	(void)text;
	return v ? strdup(json_string_value(v)) : NULL;
}

static char **complete(const char *text, int start, int end)
{
	json_t *m;

	(void)start;
	rl_attempted_completion_over = 1;
	json_decref(shell_cands);
	shell_cands = NULL;
	m = cli_read(shell_cli);
	if (!m)
		return NULL;
	shell_cands = cli_complete(shell_cli, m, rl_line_buffer, (size_t)end);
	json_decref(m);
	if (!json_array_size(shell_cands))
		return NULL;
	return rl_completion_matches(text, gen);
}

static const char *history_file(char *buf, size_t len)
{
	const char *h = getenv("TGTXCLI_HISTORY");
	const char *home = getenv("HOME");

	if (h)
		return *h ? h : NULL;
	if (!home)
		return NULL;
	snprintf(buf, len, "%s/.tgtxcli_history", home);
	return buf;
}

int cli_shell(struct cli *c)
{
	char prompt[CLI_PATH_MAX + 8], hbuf[CLI_PATH_MAX];
	const char *hist = history_file(hbuf, sizeof(hbuf));
	char *line;

	shell_cli = c;
	rl_readline_name = "tgtxcli";
	rl_attempted_completion_function = complete;
	rl_basic_word_break_characters = " \t";
	using_history();
	if (hist)
		read_history(hist);
	printf("tgtxcli: targetcli-style shell for tgtxd. Type help.\n");
	while (!c->quit) {
		snprintf(prompt, sizeof(prompt), "%s> ", c->cwd);
		line = readline(prompt);
		if (!line)
			break;
		if (*line) {
			add_history(line);
			if (cli_exec_line(c, line))
				fprintf(stderr, "%s\n", c->err);
		}
		free(line);
	}
	if (hist) {
		write_history(hist);
		history_truncate_file(hist, 1000);
	}
	json_decref(shell_cands);
	return 0;
}
