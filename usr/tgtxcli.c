// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtxcli: targetcli's shell for tgtxd. Interactive on a terminal, one
 * command from the arguments (`tgtxcli /iscsi create`), or a script on
 * stdin; it talks to tgtxd over the control socket like tgtxadm.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mgmt/mgmt_path.h"

#define PROG "tgtxcli"

static void usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " [OPTIONS] [PATH] [COMMAND [ARGS...]]\n"
		   "targetcli-style administration of tgtxd.\n\n"
		   "  -C, --control-port N       talk to /run/tgtx/socket.N\n"
		   "      --control-socket PATH  talk to PATH\n"
		   "      --config FILE          saveconfig file "
		   "(default " CLI_DEFAULT_CONFIG ")\n"
		   "      --backup-dir DIR       older copies "
		   "(default " CLI_DEFAULT_BACKUP ")\n"
		   "      --state FILE           unmapped backstores (default "
		   "SOCKET.backstores.json)\n"
		   "      --default-portal A:P   portal of /iscsi create when "
		   "tgtxd has none\n"
		   "                             (default 0.0.0.0:3260; \"\" "
		   "for none)\n"
		   "      --no-autosave          do not save on exit\n"
		   "  -h, --help                 this help\n\n"
		   "With no COMMAND, commands are read from the terminal "
		   "(line editing,\ncompletion, history) or from stdin. "
		   "Examples:\n"
		   "  " PROG " /backstores/fileio create disk1 /srv/disk1.img "
		   "64M\n"
		   "  " PROG " /iscsi create iqn.2026-01.org.example:disk1\n"
		   "  " PROG " /iscsi/iqn.2026-01.org.example:disk1/tpg1/luns "
		   "create /backstores/fileio/disk1\n"
		   "  " PROG " saveconfig\n"
		   "See tgtxcli(8).\n");
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v ? v : def;
}

static int autosave(struct cli *c)
{
	json_t *m;
	int ret;

	if (!c->changed)
		return 0;
	m = cli_read(c);
	if (!m) {
		fprintf(stderr, PROG ": auto-save: %s\n", c->err);
		return 1;
	}
	ret = cli_save(c, m, c->config);
	json_decref(m);
	if (ret) {
		fprintf(stderr, PROG ": auto-save: %s\n", c->err);
		return 1;
	}
	fprintf(c->out,
		"Global pref auto_save_on_exit=true\n"
		"Configuration saved to %s\n",
		c->config);
	return 0;
}

static int run_stdin(struct cli *c)
{
	char line[8192];
	int failed = 0, lineno = 0;

	while (!c->quit && fgets(line, sizeof(line), stdin)) {
		size_t n = strlen(line);

		lineno++;
		if (n && line[n - 1] != '\n' && !feof(stdin)) {
			fprintf(stderr, PROG ": line %d: too long\n", lineno);
			return 1;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (cli_exec_line(c, line)) {
			fprintf(stderr, "%s\n", c->err);
			failed = 1;
		}
	}
	return failed;
}

int main(int argc, char **argv)
{
	enum { O_SOCK = 256, O_CONFIG, O_BACKUP, O_STATE, O_PORTAL, O_NOSAVE };
	static const struct option opts[] = {
		{"control-port", required_argument, NULL, 'C'},
		{"control-socket", required_argument, NULL, O_SOCK},
		{"config", required_argument, NULL, O_CONFIG},
		{"backup-dir", required_argument, NULL, O_BACKUP},
		{"state", required_argument, NULL, O_STATE},
		{"default-portal", required_argument, NULL, O_PORTAL},
		{"no-autosave", no_argument, NULL, O_NOSAVE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli c = {.out = stdout};
	char state[CLI_PATH_MAX];
	bool save = true;
	int o, port = 0, ret;
	char *end;

	c.config = env_or("TGTXCLI_CONFIG", CLI_DEFAULT_CONFIG);
	c.backup_dir = env_or("TGTXCLI_BACKUP_DIR", CLI_DEFAULT_BACKUP);
	c.state = getenv("TGTXCLI_STATE");
	c.default_portal = env_or("TGTXCLI_DEFAULT_PORTAL", "0.0.0.0:3260");
	save = strcmp(env_or("TGTXCLI_AUTOSAVE", "1"), "0") != 0;
	strcpy(c.cwd, "/");
	while ((o = getopt_long(argc, argv, "+C:h", opts, NULL)) != -1) {
		switch (o) {
		case 'C':
			port = (int)strtol(optarg, &end, 10);
			if (*end || !*optarg || port < 0 || port > 65535) {
				fprintf(stderr,
					PROG ": invalid control port\n");
				return 1;
			}
			break;
		case O_SOCK:
			c.sock = optarg;
			break;
		case O_CONFIG:
			c.config = optarg;
			break;
		case O_BACKUP:
			c.backup_dir = optarg;
			break;
		case O_STATE:
			c.state = optarg;
			break;
		case O_PORTAL:
			c.default_portal = optarg;
			break;
		case O_NOSAVE:
			save = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try `" PROG " --help'.\n");
			return 1;
		}
	}
	if (!c.sock)
		c.sock = mgmt_default_socket(port);
	if (!c.state) {
		snprintf(state, sizeof(state), "%s.backstores.json", c.sock);
		c.state = state;
	}
	if (optind < argc) {
		/* one command, like `targetcli PATH CMD`: no auto-save */
		ret = cli_exec(&c, argc - optind, argv + optind);
		if (ret)
			fprintf(stderr, "%s\n", c.err);
		return ret ? 1 : 0;
	}
	if (isatty(STDIN_FILENO))
		ret = cli_shell(&c);
	else
		ret = run_stdin(&c);
	if (save && autosave(&c))
		ret = 1;
	return ret;
}
