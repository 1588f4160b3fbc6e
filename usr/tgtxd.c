// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtxd: the iSCSI target daemon. Sets up the event loop, the portals and the
 * management socket, then runs until SIGTERM/SIGINT or
 * `tgtxadm --op delete --mode system`; SIGHUP re-reads --tls-peers.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs/aio.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/node_id.h"
#include "iscsi/iscsi.h"
#include "metrics/metrics.h"
#include "mgmt/mgmt_server.h"
#include "mgmt/mgmt_target.h"
#include "scsi/scsi.h"
#include "tls/nodekey.h"
#include "tls/nodekey_format.h"
#include "tls/tls_pins.h"

#define TGTX_VERSION "0.1.0"
#define MAX_PORTALS  32

struct signal_watch {
	struct loop_fd lfd;
};

static void usage(FILE *f)
{
	/* The help text stays laid out as it prints. */
	/* clang-format off */
	fprintf(f,
		"Usage: tgtxd [OPTIONS]\n"
		"iSCSI target daemon (tgt-compatible administration).\n\n"
		"  -f, --foreground            stay in the foreground, log to stderr\n"
		"      --iscsi portal=ADDR[:PORT]\n"
		"                              listen on ADDR (repeatable; IPv6 as\n"
		"                              [ADDR]:PORT; default 0.0.0.0:3260 and\n"
		"                              [::]:3260)\n"
		"  -C, --control-port N        management socket /run/tgtx/socket.N\n"
		"      --control-socket PATH   management socket at PATH instead\n"
		"      --state-dir DIR         node id, node key and other state\n"
		"                              (default $TGTX_STATE_DIR or\n"
		"                              /var/lib/tgtx)\n"
		"      --tls-portal ADDR:PORT  iSCSI inside TLS 1.3 on ADDR:PORT\n"
		"                              (repeatable; IPv6 as [ADDR]:PORT)\n"
		"      --tls-peers FILE        pins of the client keys a TLS portal\n"
		"                              accepts: lines \"HEXPIN [name]\"\n"
		"      --show-node-key         print this node's key pin (made if\n"
		"                              missing) and exit\n"
		"      --metrics ADDR:PORT     Prometheus metrics on GET /metrics\n"
		"  -d, --debug LEVEL           0 errors .. 3 debug (default 2)\n"
		"      --mem-budget SIZE       memory peers may make us hold (e.g.\n"
		"                              512M; default RAM/8 in [64M, 4G])\n"
		"      --max-conns N           connections in all (default 1024)\n"
		"      --conn-share PCT        of them one source may hold (10)\n"
		"      --conn-subnet V4/V6     prefix lengths making a source\n"
		"                              (default 32/128: one address)\n"
		"      --pr-max-registrations N\n"
		"                              reservation keys per LU (1024)\n"
		"  -V, --version               print the version and exit\n"
		"  -h, --help                  this help\n\n"
		"Configure it with tgtxadm(8) or tgtx-admin(8).\n");
	/* clang-format on */
}

static void on_signal(struct loop_fd *lfd, uint32_t events)
{
	struct signalfd_siginfo si;

	while (read(lfd->fd, &si, sizeof(si)) == sizeof(si)) {
		char err[512];

		if (si.ssi_signo == SIGHUP) {
			if (iscsi_tls_reload(err, sizeof(err)))
				log_err("SIGHUP: --tls-peers not reloaded, "
					"the pins in force stay: %s",
					err);
			continue;
		}
		log_info("signal %u received, shutting down", si.ssi_signo);
		loop_stop();
	}
}

/* STATE_DIR/node.key, made at the first start (doc/transport.md) */
static int load_node_key(const char *dir, struct nodekey *key, char *err,
			 size_t errlen)
{
	char path[4096];
	bool created;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, NODEKEY_FILE) >=
	    sizeof(path)) {
		snprintf(err, errlen, "state directory name too long");
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create state directory %s: %s",
			 dir, strerror(-ret));
		return ret;
	}
	ret = nodekey_load_or_create(path, key, &created);
	if (ret) {
		snprintf(err, errlen, "node key %.300s: %s", path,
			 ret == -EBADMSG ? "corrupt (restore it from a backup; "
					   "a new key needs new pins at every "
					   "peer)"
			 : ret == -EPERM ? "readable by group or others "
					   "(chmod 600)"
					 : strerror(-ret));
		return ret;
	}
	if (created)
		log_info("created node key %s", path);
	return 0;
}

static int show_node_key(const char *dir)
{
	char err[512], pin[TLS_PIN_HEX_LEN + 1];
	uint8_t p[TLS_PIN_SIZE];
	struct nodekey key;

	log_open("tgtxd", 0, LOG_LVL_WARN);
	if (load_node_key(dir, &key, err, sizeof(err))) {
		fprintf(stderr, "tgtxd: %s\n", err);
		return 1;
	}
	tls_pin_of(key.pub, p);
	tls_pin_hex(p, pin);
	printf("%s\n", pin);
	nodekey_free(&key);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"iscsi", required_argument, NULL, 'i'},
		{"control-port", required_argument, NULL, 'C'},
		{"control-socket", required_argument, NULL, 'S'},
		{"debug", required_argument, NULL, 'd'},
		{"state-dir", required_argument, NULL, 's'},
		{"metrics", required_argument, NULL, 'm'},
		{"version", no_argument, NULL, 'V'},
		{"mem-budget", required_argument, NULL, 'L'},
		{"max-conns", required_argument, NULL, 'L'},
		{"conn-share", required_argument, NULL, 'L'},
		{"conn-subnet", required_argument, NULL, 'L'},
		{"pr-max-registrations", required_argument, NULL, 'L'},
		{"tls-portal", required_argument, NULL, 'T'},
		{"tls-peers", required_argument, NULL, 'P'},
		{"show-node-key", no_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *portals[MAX_PORTALS], *tls_portals[MAX_PORTALS];
	int nr_portals = 0, control_port = 0, foreground = 0, level = 2;
	int nr_tls = 0, show_key = 0;
	const char *tls_peers = NULL;
	const char *sock_path = NULL;
	const char *state_dir = getenv(NODE_ID_STATE_DIR_ENV);
	const char *metrics_addr = NULL;
	struct signal_watch sw;
	struct nodekey key = {0};
	char err[256] = "";
	int c, i, ret, idx;

	/*
	 * READ and WRITE buffers are malloc'ed per command (up to
	 * ISCSI_EDTL_MAX). glibc's default gives each large one fresh pages
	 * (mmap, or a heap top trimmed at every free), so with several large
	 * reads in flight the daemon spent its time in page faults: 1 MiB
	 * READs at depth 8 ran at a quarter of the rate of depth 1 on
	 * loopback. Fixed thresholds keep freed buffers for the next command;
	 * what the process keeps unused is bounded by the trim threshold.
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	while ((c = getopt_long(argc, argv, "fi:C:d:Vh", opts, &idx)) != -1) {
		char *end;

		switch (c) {
		case 'L': /* resource limits (iscsi_limit_option) */
			if (iscsi_limit_option(opts[idx].name, optarg, err,
					       sizeof(err))) {
				fprintf(stderr, "tgtxd: %s\n", err);
				return 1;
			}
			break;
		case 'f':
			foreground = 1;
			break;
		case 'i':
			if (strncmp(optarg, "portal=", 7)) {
				fprintf(stderr,
					"tgtxd: --iscsi takes "
					"portal=ADDR[:PORT], got '%s'\n",
					optarg);
				return 1;
			}
			if (nr_portals == MAX_PORTALS) {
				fprintf(stderr, "tgtxd: at most %d portals\n",
					MAX_PORTALS);
				return 1;
			}
			portals[nr_portals++] = optarg + 7;
			break;
		case 'C':
			control_port = (int)strtol(optarg, &end, 10);
			if (*end || control_port < 0 || control_port > 65535) {
				fprintf(stderr,
					"tgtxd: bad control port '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'S':
			sock_path = optarg;
			break;
		case 'T':
			if (nr_tls == MAX_PORTALS) {
				fprintf(stderr,
					"tgtxd: at most %d TLS portals\n",
					MAX_PORTALS);
				return 1;
			}
			tls_portals[nr_tls++] = optarg;
			break;
		case 'P':
			tls_peers = optarg;
			break;
		case 'K':
			show_key = 1;
			break;
		case 'd':
			level = (int)strtol(optarg, &end, 10);
			if (*end || level < 0 || level > 3) {
				fprintf(stderr, "tgtxd: debug level is 0..3\n");
				return 1;
			}
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'm':
			metrics_addr = optarg;
			break;
		case 'V':
			printf("tgtxd %s\n", TGTX_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tgtxd: unexpected argument '%s'\n",
			argv[optind]);
		return 1;
	}
	if (!sock_path)
		sock_path = mgmt_default_socket(control_port);
	if (!state_dir || !*state_dir)
		state_dir = NODE_ID_DEFAULT_DIR;
	if (show_key)
		return show_node_key(state_dir);
	if (nr_tls && !tls_peers) {
		fprintf(stderr, "tgtxd: --tls-portal needs --tls-peers FILE "
				"(the pins of the clients allowed)\n");
		return 1;
	}

	log_open("tgtxd", !foreground, (enum log_level)level);
	signal(SIGPIPE, SIG_IGN);
	/* Detach first: the shell waits until start-up succeeds or fails. */
	if (!foreground) {
		log_errors_to_stderr(1);
		ret = daemon_detach();
		if (ret) {
			log_err("cannot daemonize: %s", strerror(-ret));
			return 1;
		}
	}
	ret = node_id_load(state_dir, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return 1;
	}
	ret = load_node_key(state_dir, &key, err, sizeof(err));
	if (ret && nr_tls) {
		log_err("%s", err);
		return 1;
	} else if (ret) {
		log_warn("%s", err);
	}
	daemon_test_delay();

	ret = loop_init();
	if (ret) {
		log_err("cannot create the event loop: %s", strerror(-ret));
		return 1;
	}
	ret = daemon_watch_signals(&sw.lfd, on_signal);
	if (ret) {
		log_err("cannot watch signals: %s", strerror(-ret));
		return 1;
	}
	ret = iscsi_init();
	if (ret) {
		log_err("cannot initialise iSCSI: %s", strerror(-ret));
		return 1;
	}
	if (!nr_portals) {
		portals[nr_portals++] = "0.0.0.0:3260";
		portals[nr_portals++] = "[::]:3260";
	}
	for (i = 0; i < nr_portals; i++) {
		ret = iscsi_portal_add(portals[i], err, sizeof(err));
		if (ret) {
			log_err("%s", err); /* err names the portal */
			return 1;
		}
	}
	if (key.pkey &&
	    iscsi_tls_init(&key, nr_tls ? tls_peers : NULL, err, sizeof(err))) {
		log_err("%s", err);
		return 1;
	}
	for (i = 0; i < nr_tls; i++) {
		ret = iscsi_tls_portal_add(tls_portals[i], err, sizeof(err));
		if (ret) {
			log_err("%s", err);
			return 1;
		}
	}
	ret = mgmt_server_start(sock_path, err, sizeof(err));
	if (ret) {
		log_err("management socket %s: %s", sock_path, err);
		return 1;
	}
	if (metrics_addr) {
		ret = metrics_start(metrics_addr, TGTX_VERSION, err,
				    sizeof(err));
		if (ret) {
			log_err("metrics %s: %s", metrics_addr, err);
			return 1;
		}
	}
	log_info("tgtxd %s ready, management socket %s", TGTX_VERSION,
		 sock_path);
	snprintf(err, sizeof(err), "ready, %d portal(s), management socket %s",
		 nr_portals, sock_path);
	daemon_ready(err);
	log_errors_to_stderr(0);

	ret = loop_run();
	daemon_stopping();

	/*
	 * Stop taking work, let the commands already handed to the backing
	 * stores complete (their LUs and buffers must outlive them), then
	 * free everything.
	 */
	mgmt_server_stop();
	metrics_stop();
	iscsi_exit();
	if (!loop_drain(scsi_targets_busy, 5000))
		log_warn("I/O still in flight after 5 s, exiting anyway");
	iscsi_exit();
	mgmt_target_destroy_all();
	aio_exit();
	loop_del_fd(&sw.lfd);
	close(sw.lfd.fd);
	loop_exit();
	nodekey_free(&key);
	log_info("tgtxd stopped");
	return ret ? 1 : 0;
}
