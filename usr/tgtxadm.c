// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtxadm: tgtadm-compatible command line front end of the control socket.
 * Options become request fields named after their long option, so a request
 * reads like the command that produced it (doc/management.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "mgmt/mgmt_client.h"
#include "mgmt/mgmt_path.h"
#include "mgmt/mgmt_proto.h"

#define PROG "tgtxadm"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTIONS]\n"
		"Administer a running tgtxd (tgtadm-compatible options).\n\n"
		"  -L, --lld iscsi              driver (only iscsi)\n"
		"  -o, --op OP                  new delete show bind unbind "
		"update stat\n"
		"  -m, --mode MODE              target logicalunit account "
		"system\n"
		"                               portal conn session\n"
		"  -t, --tid N                  target id\n"
		"  -T, --targetname IQN         target name\n"
		"  -l, --lun N                  logical unit number\n"
		"  -b, --backing-store PATH     backing file or device\n"
		"  -E, --bstype TYPE            rdwr (default), null, "
		"xorshare, ...\n"
		"  -S, --bsopts OPTS            backing-store options "
		"\"k=v;k=v\"\n"
		"  -f, --bsoflags FLAGS         direct, sync or direct:sync\n"
		"  -Y, --device-type TYPE       disk\n"
		"  -I, --initiator-address A    ALL, an address or a CIDR\n"
		"  -Q, --initiator-name IQN     initiator name ACL\n"
		"  -u, --user USER              CHAP account name\n"
		"  -p, --password PASS          CHAP secret\n"
		"  -O, --outgoing               the account is for mutual "
		"CHAP\n"
		"  -n, --name KEY               parameter name (update)\n"
		"  -v, --value VALUE            parameter value (update)\n"
		"  -P, --params K=V,...         LU parameters; "
		"portal=ADDR:PORT\n"
		"  -s, --sid N  -c, --cid N     session / connection id\n"
		"  -F, --force                  delete even when in use\n"
		"  -C, --control-port N         talk to /run/tgtx/socket.N\n"
		"      --control-socket PATH    talk to PATH\n"
		"  -h, --help                   this help\n\n"
		"Examples:\n"
		"  " PROG " --lld iscsi --op new --mode target --tid 1 "
		"-T iqn.2024-01.org.example:disk1\n"
		"  " PROG " --lld iscsi --op new --mode logicalunit --tid 1 "
		"--lun 1 -b /srv/disk1.img\n"
		"  " PROG
		" --lld iscsi --op bind --mode target --tid 1 -I ALL\n"
		"  " PROG " --lld iscsi --op show --mode target\n");
}

enum { OPT_CONTROL_SOCKET = 256 };

struct field {
	const char *key;
	const char *value;
};

#define MAX_FIELDS 32

static int die(int status, const char *msg)
{
	fprintf(stderr, PROG ": %s\n", msg);
	return status;
}

static bool has(const struct field *f, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].key, key))
			return true;
	return false;
}

static bool mode_is(const char *mode, const char *a, const char *b)
{
	return !strcmp(mode, a) || (b && !strcmp(mode, b));
}

/* The checks tgtadm makes before it bothers the daemon. */
static const char *check_args(const char *op, const char *mode,
			      const struct field *f, int n)
{
	bool tid = has(f, n, "tid");

	if (mode_is(mode, "target", "tgt")) {
		if (strcmp(op, "show") && strcmp(op, "stat") && !tid)
			return "target id is not set";
		if (!strcmp(op, "new") && !has(f, n, "targetname"))
			return "creating new target requires a name, use "
			       "--targetname";
	} else if (mode_is(mode, "logicalunit", "lu")) {
		if (!tid)
			return "target id is not set";
		if (!has(f, n, "lun"))
			return "logical unit number is not set";
	} else if (mode_is(mode, "account", NULL)) {
		if ((!strcmp(op, "bind") || !strcmp(op, "unbind")) && !tid)
			return "target id is not set";
		if (strcmp(op, "show") && !has(f, n, "user"))
			return "user name is not set, use --user";
		if (!strcmp(op, "new") && !has(f, n, "password"))
			return "password is not set, use --password";
	} else if (mode_is(mode, "session", "conn")) {
		if (!tid)
			return "target id is not set";
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"lld", required_argument, NULL, 'L'},
		{"op", required_argument, NULL, 'o'},
		{"mode", required_argument, NULL, 'm'},
		{"tid", required_argument, NULL, 't'},
		{"targetname", required_argument, NULL, 'T'},
		{"lun", required_argument, NULL, 'l'},
		{"backing-store", required_argument, NULL, 'b'},
		{"bstype", required_argument, NULL, 'E'},
		{"bsopts", required_argument, NULL, 'S'},
		{"bsoflags", required_argument, NULL, 'f'},
		{"device-type", required_argument, NULL, 'Y'},
		{"initiator-address", required_argument, NULL, 'I'},
		{"initiator-name", required_argument, NULL, 'Q'},
		{"user", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'p'},
		{"outgoing", no_argument, NULL, 'O'},
		{"name", required_argument, NULL, 'n'},
		{"value", required_argument, NULL, 'v'},
		{"params", required_argument, NULL, 'P'},
		{"sid", required_argument, NULL, 's'},
		{"cid", required_argument, NULL, 'c'},
		{"force", no_argument, NULL, 'F'},
		{"control-port", required_argument, NULL, 'C'},
		{"control-socket", required_argument, NULL, OPT_CONTROL_SOCKET},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct field f[MAX_FIELDS];
	struct strbuf req = STRBUF_INIT, out = STRBUF_INIT;
	const char *op = NULL, *mode = NULL, *sock = NULL, *msg;
	int n = 0, c, i, status = 0, ret, control_port = 0;
	char err[512];

	opterr = 0;
	while ((c = getopt_long(argc, argv,
				"L:o:m:t:T:l:b:E:S:f:Y:I:Q:u:p:On:v:P:s:c:FC:h",
				opts, NULL)) != -1) {
		const struct option *o;
		char *end;

		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'C':
			control_port = (int)strtol(optarg, &end, 10);
			if (*end || !*optarg || control_port < 0 ||
			    control_port > 65535)
				return die(1, "invalid control port");
			continue;
		case OPT_CONTROL_SOCKET:
			sock = optarg;
			continue;
		case '?':
			fprintf(stderr,
				PROG ": unrecognized or incomplete option "
				     "'%s'\nTry `" PROG " --help' for more "
				     "information.\n",
				argv[optind - 1]);
			return 1;
		default:
			break;
		}
		for (o = opts; o->name; o++)
			if (o->val == c)
				break;
		if (has(f, n, o->name)) {
			fprintf(stderr, PROG ": --%s given twice\n", o->name);
			return 1;
		}
		if (n == MAX_FIELDS)
			return die(1, "too many options");
		f[n].key = o->name;
		f[n].value = o->has_arg ? optarg : "1";
		if (c == 'o')
			op = optarg;
		else if (c == 'm')
			mode = optarg;
		n++;
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
		return 1;
	}
	if (!op)
		return die(1, "specify the operation type");
	if (!strstr(" new delete show bind unbind update stat ", op) || !*op ||
	    strchr(op, ' ')) {
		fprintf(stderr, PROG ": unknown operation: %s\n", op);
		return 1;
	}
	if (!mode)
		return die(1, "specify the mode");
	msg = check_args(op, mode, f, n);
	if (msg)
		return die(1, msg);

	for (i = 0; i < n; i++) {
		if (mgmt_req_add(&req, f[i].key, f[i].value)) {
			fprintf(stderr,
				PROG ": invalid value for --%s (too long or "
				     "contains a line break)\n",
				f[i].key);
			strbuf_free(&req);
			return 1;
		}
	}
	if (mgmt_req_end(&req)) {
		strbuf_free(&req);
		return die(1, "request too large");
	}
	if (!sock)
		sock = mgmt_default_socket(control_port);
	ret = mgmt_call(sock, &req, &status, &out, err, sizeof(err));
	strbuf_free(&req);
	if (ret) {
		strbuf_free(&out);
		return die(107, err);
	}
	if (status) {
		fprintf(stderr, PROG ": %s", strbuf_str(&out));
		if (!out.len || out.buf[out.len - 1] != '\n')
			fputc('\n', stderr);
	} else {
		fwrite(strbuf_str(&out), 1, out.len, stdout);
	}
	strbuf_free(&out);
	return status > 255 ? 1 : status;
}
