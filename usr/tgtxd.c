// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtxd: the iSCSI target daemon. Sets up the event loop, the portals and the
 * management socket, then runs until SIGTERM/SIGINT or
 * `tgtxadm --op delete --mode system`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
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
		"      --state-dir DIR         node id and other state (default\n"
		"                              $TGTX_STATE_DIR or /var/lib/tgtx)\n"
		"      --metrics ADDR:PORT     Prometheus metrics on GET /metrics\n"
		"  -d, --debug LEVEL           0 errors .. 3 debug (default 2)\n"
		"  -V, --version               print the version and exit\n"
		"  -h, --help                  this help\n\n"
		"Configure it with tgtxadm(8) or tgtx-admin(8).\n");
	/* clang-format on */
}

static void on_signal(struct loop_fd *lfd, uint32_t events)
{
	struct signalfd_siginfo si;

	while (read(lfd->fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u received, shutting down", si.ssi_signo);
		loop_stop();
	}
}

static int watch_signals(struct signal_watch *sw)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return loop_add_fd(&sw->lfd, fd, EPOLLIN, on_signal);
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *portals[MAX_PORTALS];
	int nr_portals = 0, control_port = 0, foreground = 0, level = 2;
	const char *sock_path = NULL;
	const char *state_dir = getenv(NODE_ID_STATE_DIR_ENV);
	const char *metrics_addr = NULL;
	struct signal_watch sw;
	char err[256] = "";
	int c, i, ret;

	while ((c = getopt_long(argc, argv, "fi:C:d:Vh", opts, NULL)) != -1) {
		char *end;

		switch (c) {
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
	if (!state_dir || !*state_dir)
		state_dir = NODE_ID_DEFAULT_DIR;
	ret = node_id_load(state_dir, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return 1;
	}
	daemon_test_delay();

	ret = loop_init();
	if (ret) {
		log_err("cannot create the event loop: %s", strerror(-ret));
		return 1;
	}
	ret = watch_signals(&sw);
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
			log_err("portal %s: %s", portals[i], err);
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
	log_info("tgtxd stopped");
	return ret ? 1 : 0;
}
