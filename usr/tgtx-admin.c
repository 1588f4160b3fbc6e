// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-admin: applies a tgt-style targets.conf to a running tgtxd, as
 * tgt-admin does for tgtd, with the same options.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/conf.h"
#include "admin/conf_apply.h"
#include "core/strbuf.h"
#include "mgmt/mgmt_path.h"

#define PROG	     "tgtx-admin"
#define DEFAULT_CONF "/etc/tgtx/targets.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTION]...\n"
		"Configure tgtxd from a targets.conf file (tgt-admin "
		"compatible).\n\n"
		"  -e, --execute            create every target of the config\n"
		"                           that is missing (never removes)\n"
		"      --update ALL|tid=N|IQN\n"
		"                           make the selected targets match "
		"the config;\n"
		"                           with ALL, delete targets not in "
		"it\n"
		"      --delete ALL|tid=N|IQN\n"
		"                           delete the selected targets\n"
		"  -s, --show               show the running targets\n"
		"      --dump               print the running configuration "
		"as\n"
		"                           targets.conf text\n"
		"  -c, --conf FILE          config file (default " DEFAULT_CONF
		")\n"
		"  -f, --force              also change targets that have "
		"sessions\n"
		"  -p, --pretend            print the tgtxadm commands, run "
		"nothing\n"
		"  -v, --verbose            print each command as it runs\n"
		"  -C, --control-port N     talk to /run/tgtx/socket.N\n"
		"      --control-socket PATH\n"
		"                           talk to PATH\n"
		"  -h, --help               this help\n");
}

enum { OPT_UPDATE = 256, OPT_DELETE, OPT_DUMP, OPT_SOCKET };
enum action {
	ACT_NONE,
	ACT_EXECUTE,
	ACT_UPDATE,
	ACT_DELETE,
	ACT_SHOW,
	ACT_DUMP
};

static int print_request(const struct admin_opts *o, const char *const *kv)
{
	struct strbuf out = STRBUF_INIT;
	int ret = admin_request(o, kv, &out);

	if (ret && out.len)
		fprintf(stderr, PROG ": %s", strbuf_str(&out));
	else if (!ret)
		fwrite(strbuf_str(&out), 1, out.len, stdout);
	strbuf_free(&out);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"execute", no_argument, NULL, 'e'},
		{"update", required_argument, NULL, OPT_UPDATE},
		{"delete", required_argument, NULL, OPT_DELETE},
		{"show", no_argument, NULL, 's'},
		{"dump", no_argument, NULL, OPT_DUMP},
		{"conf", required_argument, NULL, 'c'},
		{"force", no_argument, NULL, 'f'},
		{"pretend", no_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'},
		{"control-port", required_argument, NULL, 'C'},
		{"control-socket", required_argument, NULL, OPT_SOCKET},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct admin_opts o = {0};
	const char *conf_path = DEFAULT_CONF, *select = NULL, *sock = NULL;
	enum action act = ACT_NONE;
	int c, port = -1, ret;
	struct conf *cf = NULL;
	char err[1024];

	while ((c = getopt_long(argc, argv, "esc:fpvC:h", opts, NULL)) != -1) {
		enum action next = ACT_NONE;
		char *end;

		switch (c) {
		case 'e':
			next = ACT_EXECUTE;
			break;
		case OPT_UPDATE:
			next = ACT_UPDATE;
			select = optarg;
			break;
		case OPT_DELETE:
			next = ACT_DELETE;
			select = optarg;
			break;
		case 's':
			next = ACT_SHOW;
			break;
		case OPT_DUMP:
			next = ACT_DUMP;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case 'p':
			o.pretend = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'C':
			port = (int)strtol(optarg, &end, 10);
			if (!*optarg || *end || port < 0 || port > 65535) {
				fprintf(stderr,
					PROG ": bad control port '%s'\n",
					optarg);
				return 1;
			}
			break;
		case OPT_SOCKET:
			sock = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
		if (next != ACT_NONE) {
			if (act != ACT_NONE && act != next) {
				fprintf(stderr,
					PROG ": choose one of -e, --update, "
					     "--delete, --show, --dump\n");
				return 1;
			}
			act = next;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
		return 1;
	}
	if (act == ACT_NONE) {
		usage(stderr);
		return 1;
	}

	if (act == ACT_EXECUTE || act == ACT_UPDATE) {
		ret = conf_parse_file(conf_path, &cf, err, sizeof(err));
		if (ret) {
			fprintf(stderr, PROG ": %s\n", err);
			return 1;
		}
		o.ignore_errors = cf->ignore_errors;
		/* the config may name its daemon; the command line wins */
		if (port < 0 && cf->control_port >= 0)
			port = cf->control_port;
	}
	o.sock = sock ? sock : mgmt_default_socket(port < 0 ? 0 : port);

	switch (act) {
	case ACT_EXECUTE:
		ret = conf_apply(cf, &o, APPLY_EXECUTE, "ALL");
		break;
	case ACT_UPDATE:
		ret = conf_apply(cf, &o, APPLY_UPDATE, select);
		break;
	case ACT_DELETE:
		ret = conf_delete(&o, select);
		break;
	case ACT_SHOW: {
		const char *kv[] = {"op", "show", "mode", "target", NULL};

		return print_request(&o, kv);
	}
	case ACT_DUMP: {
		const char *kv[] = {"op",   "show",  "mode", "system", "name",
				    "dump", "value", "conf", NULL};

		return print_request(&o, kv);
	}
	default:
		ret = -1;
	}
	conf_free(cf);
	return ret ? 1 : 0;
}
