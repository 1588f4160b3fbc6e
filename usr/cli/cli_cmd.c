// SPDX-License-Identifier: GPL-2.0-or-later
/* One command: find the node, check the verb, run it, apply the change. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli.h"

#define COMMON                                                                 \
	"cd", "clearconfig", "exit", "get", "help", "info", "ls", "pwd",       \
		"restoreconfig", "saveconfig"

static const char *const v_plain[] = {COMMON, NULL};
static const char *const v_create[] = {COMMON, "create", "delete", NULL};
static const char *const v_tpg[] = {COMMON, "set", NULL};
static const char *const v_acl[] = {COMMON, "set", NULL};

const char *const *cli_verbs(enum cli_kind k)
{
	switch (k) {
	case N_BSTYPE:
	case N_PEERS:
	case N_ISCSI:
	case N_TARGET:
	case N_LUNS:
	case N_ACLS:
	case N_PORTALS:
		return v_create;
	case N_TPG:
		return v_tpg;
	case N_ACL:
		return v_acl;
	default:
		return v_plain;
	}
}

struct usage {
	enum cli_kind kind;
	const char *verb;
	const char *params[10]; /* NULL-terminated */
	const char *text;
};

static const struct usage usages[] = {
	{N_BSTYPE,
	 "create",
	 {"name", "file_or_dev", "size", "write_back", "k", "n", "log",
	  "options"},
	 "create NAME FILE_OR_DEV [SIZE] [write_back=true]   (fileio, block)\n"
	 "create NAME [SIZE]                                 (null)\n"
	 "create NAME FILE [SIZE] k=2 n=3 log=DIR [options=K=V;...] "
	 "(xorshare)"},
	{N_BSTYPE, "delete", {"name"}, "delete NAME"},
	{N_PEERS,
	 "create",
	 {"index", "url", "transport", "pin", "rate", "retain"},
	 "create INDEX iscsi://[USER%PASSWORD@]HOST[:PORT]/IQN/LUN\n"
	 "       [transport=tls|ipsec|plain] [pin=HEX64] [rate=N[K|M|G]]\n"
	 "       [retain=DURATION]   (INDEX 0..n-1; DURATION 30s, 10m, 24h, "
	 "7d)"},
	{N_PEERS, "delete", {"index"}, "delete INDEX"},
	{N_ISCSI, "create", {"wwn"}, "create [IQN]   (generated when omitted)"},
	{N_ISCSI, "delete", {"wwn"}, "delete IQN"},
	{N_TARGET, "create", {"tag"}, "create TAG   (tgtxd: tpg1 only)"},
	{N_TARGET, "delete", {"tag"}, "delete TAG   (tgtxd: tpg1 only)"},
	{N_LUNS,
	 "create",
	 {"storage_object", "lun"},
	 "create /backstores/TYPE/NAME [LUN]"},
	{N_LUNS, "delete", {"lun"}, "delete LUN   (N or lunN)"},
	{N_ACLS, "create", {"wwn"}, "create INITIATOR_IQN"},
	{N_ACLS, "delete", {"wwn"}, "delete INITIATOR_IQN"},
	{N_PORTALS,
	 "create",
	 {"ip_address", "ip_port"},
	 "create [IP] [PORT]   (default 0.0.0.0 3260; IPv6 too)"},
	{N_PORTALS, "delete", {"ip_address", "ip_port"}, "delete IP PORT"},
	{N_TPG,
	 "set",
	 {"attribute", "auth", "parameter"},
	 "set attribute authentication=0|1 generate_node_acls=0|1\n"
	 "set auth userid=U password=P [mutual_userid=U mutual_password=P]"},
	{N_ACL, "set", {"auth"}, "set auth ...   (tgtxd: CHAP is per target)"},
	{N_ROOT,
	 "get",
	 {"attribute", "auth", "parameter"},
	 "get [attribute|auth|parameter] [NAME...]"},
	{N_ROOT, "ls", {"path", "depth"}, "ls [PATH] [DEPTH]"},
	{N_ROOT, "cd", {"path"}, "cd [PATH]   (.., /, absolute or relative)"},
	{N_ROOT, "pwd", {NULL}, "pwd"},
	{N_ROOT, "info", {NULL}, "info"},
	{N_ROOT, "help", {"topic"}, "help [VERB]"},
	{N_ROOT,
	 "exit",
	 {NULL},
	 "exit   (saves the configuration in "
	 "interactive use)"},
	{N_ROOT, "saveconfig", {"savefile"}, "saveconfig [FILE]"},
	{N_ROOT,
	 "restoreconfig",
	 {"savefile", "clear_existing"},
	 "restoreconfig [FILE] [clear_existing=true]"},
	{N_ROOT, "clearconfig", {"confirm"}, "clearconfig confirm=True"},
};

static const struct usage *find_usage(enum cli_kind k, const char *verb)
{
	size_t i;

	for (i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
		if (usages[i].kind == k && !strcmp(usages[i].verb, verb))
			return &usages[i];
	for (i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
		if (usages[i].kind == N_ROOT && !strcmp(usages[i].verb, verb))
			return &usages[i];
	return NULL;
}

const char *const *cli_verb_params(enum cli_kind k, const char *verb)
{
	const struct usage *u = find_usage(k, verb);

	return u ? u->params : NULL;
}

static int verb_known(enum cli_kind k, const char *verb)
{
	const char *const *v;

	for (v = cli_verbs(k); *v; v++)
		if (!strcmp(*v, verb))
			return 1;
	return 0;
}

static int help(struct cli_cmd *x)
{
	const char *const *v;
	const struct usage *u;

	if (x->a->npos > 1 || x->a->nkv)
		return cli_fail(x->c, "Usage: help [VERB]");
	if (x->a->npos == 1) {
		if (!verb_known(x->node.kind, x->a->pos[0]))
			return cli_fail(x->c, "No such command '%s' at %s",
					x->a->pos[0], x->node.path);
		u = find_usage(x->node.kind, x->a->pos[0]);
		fprintf(x->c->out, "SYNTAX\n%s\n", u ? u->text : x->a->pos[0]);
		return 0;
	}
	fprintf(x->c->out, "AVAILABLE COMMANDS at %s\n", x->node.path);
	for (v = cli_verbs(x->node.kind); *v; v++) {
		u = find_usage(x->node.kind, *v);
		fprintf(x->c->out, "  %s\n", u ? u->text : *v);
	}
	return 0;
}

static int ls(struct cli_cmd *x)
{
	static const char *const p[] = {"path", "depth", NULL};
	const char *v[2];
	struct cli_node n;
	char *end;
	long depth = 1000;

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (v[1]) {
		depth = strtol(v[1], &end, 10);
		if (*end || depth < 0 || !*v[1])
			return cli_fail(x->c, "Invalid depth '%s'", v[1]);
	}
	if (cli_resolve(x->c, x->m, v[0] ? v[0] : ".", &n))
		return -1;
	cli_ls(x->c, x->m, &n, (int)depth);
	return 0;
}

static int cd(struct cli_cmd *x)
{
	static const char *const p[] = {"path", NULL};
	const char *v[1];
	struct cli_node n;

	if (cli_bind(x->c, x->a, p, v))
		return -1;
	if (cli_resolve(x->c, x->m, v[0] ? v[0] : "/", &n))
		return -1;
	snprintf(x->c->cwd, sizeof(x->c->cwd), "%s", n.path);
	return 0;
}

static int no_args(struct cli_cmd *x, const char *verb)
{
	if (x->a->npos || x->a->nkv)
		return cli_fail(x->c, "%s takes no parameters", verb);
	return 0;
}

static int run_verb(struct cli_cmd *x, const char *verb)
{
	if (!strcmp(verb, "help"))
		return help(x);
	if (!strcmp(verb, "ls"))
		return ls(x);
	if (!strcmp(verb, "cd"))
		return cd(x);
	if (!strcmp(verb, "pwd")) {
		if (no_args(x, verb))
			return -1;
		fprintf(x->c->out, "%s\n", x->node.path);
		return 0;
	}
	if (!strcmp(verb, "exit")) {
		if (no_args(x, verb))
			return -1;
		x->c->quit = true;
		return 0;
	}
	if (!strcmp(verb, "info")) {
		if (no_args(x, verb))
			return -1;
		cli_info(x->c, &x->node);
		return 0;
	}
	if (!strcmp(verb, "get") || !strcmp(verb, "set"))
		return cli_verb_setget(x, verb);
	if (!strcmp(verb, "saveconfig") || !strcmp(verb, "restoreconfig") ||
	    !strcmp(verb, "clearconfig"))
		return cli_verb_config(x, verb);
	if (x->node.kind == N_BSTYPE || x->node.kind == N_PEERS)
		return cli_verb_bs(x, verb);
	return cli_verb_iscsi(x, verb);
}

/*
 * The first word is a path when it looks like one, or when it is no verb
 * here but names a child ("luns create ..." in a tpg).
 */
static bool is_path(struct cli *c, const char *w)
{
	struct cli_node n;
	json_t *m;
	bool child;

	if (w[0] == '/' || w[0] == '.' || strchr(w, '/'))
		return true;
	if (verb_known(N_BSTYPE, w) || verb_known(N_TPG, w))
		return false; /* a verb somewhere: no need to ask tgtxd */
	m = cli_read(c);
	if (!m)
		return false;
	child = !cli_resolve(c, m, ".", &n) && !verb_known(n.kind, w) &&
		!cli_resolve(c, m, w, &n);
	json_decref(m);
	c->err[0] = 0;
	return child;
}

/*
 * One command at a time per daemon: two tgtxcli editing at once would each
 * apply a difference computed from a configuration the other changed.
 */
static int lock_state(struct cli *c)
{
	char path[CLI_PATH_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "%s.lock", c->state);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		fd = -1;
	}
	return fd; /* no lock when the directory is missing: no daemon */
}

static int exec_locked(struct cli *c, int argc, char **argv);

int cli_exec(struct cli *c, int argc, char **argv)
{
	int fd = lock_state(c), ret;

	ret = exec_locked(c, argc, argv);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int exec_locked(struct cli *c, int argc, char **argv)
{
	struct cli_args args;
	struct cli_cmd x = {.c = c, .a = &args};
	const char *path = ".", *verb;
	char *cdv[2];
	int ret;

	c->err[0] = 0;
	if (!argc)
		return 0;
	if (is_path(c, argv[0])) {
		path = argv[0];
		argc--;
		argv++;
	}
	if (!argc) {
		/* a bare path changes directory, as in targetcli */
		cdv[0] = (char *)"cd";
		cdv[1] = (char *)path;
		argv = cdv;
		argc = 2;
		path = ".";
	}
	verb = argv[0];
	x.m = cli_read(c);
	if (!x.m)
		return -1;
	ret = cli_resolve(c, x.m, path, &x.node);
	if (!ret && !verb_known(x.node.kind, verb))
		ret = cli_fail(c, "Command not found '%s' at %s (try `help`)",
			       verb, x.node.path);
	if (!ret)
		ret = cli_parse_args(c, argc - 1, argv + 1, &args);
	if (!ret) {
		x.nm = json_deep_copy(x.m);
		ret = cli_resolve(c, x.nm, x.node.path, &x.nnode);
	}
	if (!ret)
		ret = run_verb(&x, verb);
	if (ret == 1) {
		ret = cli_apply(c, x.m, x.nm, &x.ao);
		if (!ret)
			c->changed = true;
	}
	json_decref(x.nm);
	json_decref(x.m);
	return ret < 0 ? -1 : 0;
}

int cli_exec_line(struct cli *c, const char *line)
{
	char *argv[CLI_ARGS_MAX + 4], buf[8192];
	int argc = 0, ret;

	ret = cli_split(line, &argc, argv, CLI_ARGS_MAX + 2, buf, sizeof(buf));
	if (ret == -2)
		return cli_fail(c, "unterminated quote");
	if (ret)
		return cli_fail(c, "command too long");
	return cli_exec(c, argc, argv);
}
