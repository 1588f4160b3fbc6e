// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-replicd: pushes share i of every write of each xorshare LUN of the
 * local tgtxd to its share peer i (doc/replicator.md, tgtx-replicd(8)).
 * The main thread runs the event loop: configuration poll, status files
 * every second, the metrics endpoint, signals. Peers run in their own
 * threads (rd_peer.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/daemon.h"
#include "core/log.h"
#include "bs_xorshare/log/sharelog.h"
#include "core/loop.h"
#include "core/strbuf.h"
#include "mgmt/mgmt_path.h"
#include "tls/nodekey.h"
#include "rd.h"
#include "rd_gossip.h"
#include "rd_hold_scan.h"

static struct {
	const char *sock;
	int poll_ms;
	struct loop_timer poll_t, status_t;
	struct loop_fd sig;
	struct rd_engine *eng[1024];
	unsigned neng;
	struct rd_gossip_cfg gcfg;
	struct rd_gossip *rg;
	struct rd_hold_scan *hs; /* held volumes: headers of our LUNs */
	int hold_ms;
	uint8_t blob[RD_GOSSIP_BLOB_MAX];
	char last_err[256];
	/* tgtxd not answering its control socket in time (stopped, hung):
	 * one log line and a gauge per episode, polled less often */
	bool ctl_stuck;
	uint64_t ctl_stuck_since_ns, ctl_timeouts;
} m = {.poll_ms = 2000, .hold_ms = 10000};

static void usage(FILE *f)
{
	/* clang-format off */
	fprintf(f,
		"Usage: tgtx-replicd [OPTIONS]\n"
		"Pushes share i of every write of each xorshare LUN of the local\n"
		"tgtxd to its share peer i (share-peer lines of targets.conf).\n\n"
		"  -f, --foreground          stay in the foreground, log to stderr\n"
		"      --control-socket PATH tgtxd's management socket\n"
		"                            (default /run/tgtx/socket.0)\n"
		"      --state-dir DIR       the node's state: node.key (TLS\n"
		"                            identity, made if missing) and\n"
		"                            replicd/ (default /var/lib/tgtx,\n"
		"                            tgtxd's: one node key per node)\n"
		"      --metrics ADDR:PORT   Prometheus text on GET /metrics\n"
		"      --poll-ms N           re-read tgtxd's configuration every N ms\n"
		"                            (default 2000)\n"
		"      --control-timeout-ms N  wait at most N ms for tgtxd's\n"
		"                            answer on its control socket (3000)\n"
		"      --checkpoint-ms N     checkpoint peers every N ms (5000)\n"
		"      --pidfile FILE        write the daemon's pid to FILE\n"
		"      --log-level L         error, warn, info (default) or debug\n"
		"      --gossip-listen ADDR:PORT  serve share-location tables\n"
		"                            (repeatable; doc/gossip.md)\n"
		"      --gossip-seed [PIN@]HOST:PORT  a gossip node to ask\n"
		"                            (repeatable)\n"
		"      --hold-scan-ms N      read the share-location tables in\n"
		"                            the headers of the share volumes\n"
		"                            tgtxd serves every N ms (10000;\n"
		"                            0: never)\n"
		"  -h, --help                this help\n\n"
		"SIGTERM/SIGINT stop cleanly, SIGHUP re-reads the configuration.\n"
		"See tgtx-replicd(8).\n");
	/* clang-format on */
}

static struct rd_engine **find_engine(const char *name)
{
	for (unsigned i = 0; i < m.neng; i++)
		if (!strcmp(m.eng[i]->name, name))
			return &m.eng[i];
	return NULL;
}

static bool same_lun(const struct rd_engine *e, const struct rd_lun_conf *l)
{
	return !strcmp(e->path, l->path) && !strcmp(e->log_dir, l->log_dir);
}

/* The LUN's signed share-location table (issue 12), into every peer's
 * share-volume header when it changed or the engine is new. */
static void gossip_lun(struct rd_engine *e, const struct rd_lun_conf *l,
		       bool fresh)
{
	struct rd_gossip_lun gl = {0};
	uint64_t version;
	size_t len = 0;
	bool changed = false;
	char err[256];

	if (!m.rg)
		return;
	memcpy(gl.uuid, e->uuid, sizeof(gl.uuid));
	gl.name = e->name;
	gl.size = e->nblocks * e->block_size;
	gl.block_size = e->block_size;
	gl.k = e->k;
	gl.n = e->n;
	for (unsigned i = 0; i < e->n && i < SLT_MAX_N && i < l->npeers; i++)
		gl.peers[i] = (struct rd_gossip_peer){l->peers[i].url,
						      l->peers[i].transport,
						      l->peers[i].pin};
	if (rd_gossip_lun_update(m.rg, &gl, m.blob, sizeof(m.blob), &len,
				 &version, &changed, err, sizeof(err))) {
		log_warn("%s: location table: %s", e->name, err);
		return;
	}
	if (changed || fresh)
		rd_set_location_blob(e->uuid, m.blob, len);
}

static void drop_engine(unsigned i)
{
	log_info("%s: replication stopped", m.eng[i]->name);
	if (m.rg)
		rd_gossip_lun_remove(m.rg, m.eng[i]->uuid);
	rd_engine_stop(m.eng[i]);
	m.eng[i] = m.eng[--m.neng];
}

/* Once per LUN and message: a LUN that cannot start is retried at every
 * poll, its log line is not. */
static bool warned_before(const char *name, const char *err)
{
	static char seen[64][320];
	static unsigned next;
	char key[320];

	snprintf(key, sizeof(key), "%.120s\t%.190s", name, err);
	for (unsigned i = 0; i < 64; i++)
		if (!strcmp(seen[i], key))
			return true;
	snprintf(seen[next++ % 64], sizeof(seen[0]), "%s", key);
	return false;
}

/* A control-socket exchange that ran out of time: tgtxd is stopped or
 * hung. The loop serves the metrics and writes the status files, so it
 * never waits longer than --control-timeout-ms on tgtxd. */
static void ctl_episode(int ret, const char *err)
{
	bool stuck = ret == -ETIMEDOUT || ret == -EAGAIN;

	if (stuck)
		m.ctl_timeouts++;
	if (stuck && !m.ctl_stuck) {
		m.ctl_stuck_since_ns = rd_now_ns();
		log_warn("control socket %s unresponsive: %s (replication "
			 "goes on with the configuration last read)",
			 m.sock, err);
	} else if (!stuck && m.ctl_stuck) {
		log_info("control socket %s answers again after %" PRIu64
			 " s unresponsive",
			 m.sock,
			 (rd_now_ns() - m.ctl_stuck_since_ns) / 1000000000);
	}
	m.ctl_stuck = stuck;
}

/* Starts, updates and stops engines to match tgtxd's configuration. */
static void reconcile(void)
{
	struct rd_conf c;
	char err[256] = "";
	int ret = rd_conf_fetch(m.sock, &c, err, sizeof(err));

	ctl_episode(ret, err);
	if (ret) {
		if (strcmp(err, m.last_err) && !m.ctl_stuck)
			log_warn("configuration from %s: %s", m.sock, err);
		snprintf(m.last_err, sizeof(m.last_err), "%s", err);
		return; /* keep what runs: tgtxd may be restarting */
	}
	m.last_err[0] = '\0';
	for (unsigned i = 0; i < m.neng;) {
		bool keep = false;

		for (unsigned j = 0; j < c.count && !keep; j++)
			keep = !strcmp(m.eng[i]->name, c.luns[j].name) &&
			       same_lun(m.eng[i], &c.luns[j]);
		if (keep)
			i++;
		else
			drop_engine(i);
	}
	for (unsigned j = 0; j < c.count; j++) {
		struct rd_engine **ep = find_engine(c.luns[j].name), *e;

		if (ep) {
			rd_engine_update(*ep, &c.luns[j]);
			gossip_lun(*ep, &c.luns[j], false);
			continue;
		}
		if (m.neng == sizeof(m.eng) / sizeof(m.eng[0]))
			break;
		ret = rd_engine_start(&c.luns[j], &e, err, sizeof(err));
		if (ret) {
			/* tried again at the next poll (a log caught in
			 * the middle of a write opens then) */
			if (!warned_before(c.luns[j].name, err))
				log_warn("%s: not replicated yet: %s",
					 c.luns[j].name, err);
			continue;
		}
		m.eng[m.neng++] = e;
		gossip_lun(e, &c.luns[j], true);
	}
	rd_conf_free(&c);
}

static void on_poll(struct loop_timer *t)
{
	uint64_t next = (uint64_t)m.poll_ms;

	reconcile();
	rd_hold_scan_watch(m.hs);
	/* a stuck tgtxd: the loop spends at most a third of its time on it */
	if (m.ctl_stuck && next < 2 * (uint64_t)rd_opts.ctl_timeout_ms)
		next = 2 * (uint64_t)rd_opts.ctl_timeout_ms;
	loop_timer_arm(t, next);
}

/* --metrics after the peers': the control socket, held volumes and their
 * scan */
static void held_metrics(struct strbuf *out)
{
	rd_metric_family(out, "tgtx_replicd_control_unresponsive", "gauge",
			 "1 while tgtxd's control socket does not answer in "
			 "--control-timeout-ms (tgtxd stopped or hung)");
	strbuf_addf(out, "tgtx_replicd_control_unresponsive %d\n",
		    m.ctl_stuck ? 1 : 0);
	rd_metric_family(out, "tgtx_replicd_control_timeouts_total", "counter",
			 "configuration reads of tgtxd that ran out of time");
	strbuf_addf(out, "tgtx_replicd_control_timeouts_total %" PRIu64 "\n",
		    m.ctl_timeouts);
	rd_gossip_metrics(m.rg, out);
	rd_hold_scan_metrics(m.hs, out);
}

static void on_status(struct loop_timer *t)
{
	rd_status_tick();
	loop_timer_arm(t, 1000);
}

static void on_signal(struct loop_fd *lfd, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(lfd->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: re-reading the configuration");
			loop_timer_cancel(&m.poll_t);
			loop_timer_arm(&m.poll_t, 0);
			continue;
		}
		log_info("signal %u received, stopping", si.ssi_signo);
		atomic_store(&rd_stopping, 1);
		loop_stop();
	}
}

/* Before any thread starts (the gossip node's): a thread created with
 * these unblocked would take SIGTERM's default action, killing the
 * daemon without its clean stop. */
static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	return sigprocmask(SIG_BLOCK, set, NULL) < 0 ? -errno : 0;
}

static int watch_signals(void)
{
	signal(SIGPIPE, SIG_IGN);
	return daemon_watch_signals(&m.sig, on_signal);
}

static int write_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

/* The node key (made if missing, as tgtxd does; loaded once, kept for
 * every TLS peer) and the state paths. */
static struct nodekey node_key;

static int node_state(void)
{
	bool created = false;
	char pin[2 * NODEKEY_ID_SIZE + 1];
	int ret;

	if (asprintf(&rd_opts.share_dir, "%s/replicd", rd_opts.state_dir) < 0 ||
	    asprintf(&rd_opts.key_file, "%s/node.key", rd_opts.state_dir) < 0)
		return -ENOMEM;
	ret = sl_mkdir_p(rd_opts.state_dir);
	if (ret)
		return ret;
	ret = nodekey_load_or_create(rd_opts.key_file, &node_key, &created);
	if (ret) {
		log_err("node key %s: %s", rd_opts.key_file,
			nodekey_strerror(ret));
		return ret;
	}
	hex_encode(node_key.id, NODEKEY_ID_SIZE, pin);
	log_info("%s node key %s: pin %s", created ? "created" : "using",
		 rd_opts.key_file, pin);
	rd_opts.key = &node_key;
	return 0;
}

static int parse_level(const char *s, enum log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(s, names[i]) || (s[0] == '0' + (int)i && !s[1])) {
			*out = (enum log_level)i;
			return 0;
		}
	return -EINVAL;
}

static int positive(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 10 || v > 3600000)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"control-socket", required_argument, NULL, 'S'},
		{"state-dir", required_argument, NULL, 's'},
		{"metrics", required_argument, NULL, 'm'},
		{"poll-ms", required_argument, NULL, 'p'},
		{"checkpoint-ms", required_argument, NULL, 'c'},
		{"pidfile", required_argument, NULL, 'P'},
		{"log-level", required_argument, NULL, 'l'},
		{"gossip-listen", required_argument, NULL, 'G'},
		{"gossip-seed", required_argument, NULL, 'g'},
		{"hold-scan-ms", required_argument, NULL, 'H'},
		{"control-timeout-ms", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *metrics = NULL, *pidfile = NULL;
	enum log_level level = LOG_LVL_INFO;
	int c, foreground = 0, ret;
	char err[256] = "";
	sigset_t sigs;

	rd_gossip_cfg_init(&m.gcfg, rd_opts.state_dir);
	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = 1;
			break;
		case 'S':
			m.sock = optarg;
			break;
		case 's':
			rd_opts.state_dir = optarg;
			break;
		case 'm':
			metrics = optarg;
			break;
		case 'p':
			if (positive(optarg, &m.poll_ms))
				goto bad;
			break;
		case 'c':
			if (positive(optarg, &rd_opts.checkpoint_ms))
				goto bad;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'l':
			if (parse_level(optarg, &level))
				goto bad;
			break;
		case 'G':
			if (rd_gossip_add_listen(&m.gcfg, optarg))
				goto bad;
			break;
		case 'g':
			if (rd_gossip_add_seed(&m.gcfg, optarg))
				goto bad;
			break;
		case 'H':
			if (strcmp(optarg, "0") && positive(optarg, &m.hold_ms))
				goto bad;
			if (!strcmp(optarg, "0"))
				m.hold_ms = 0;
			break;
		case 'T':
			if (positive(optarg, &rd_opts.ctl_timeout_ms))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		goto bad;
	if (!m.sock)
		m.sock = strdup(mgmt_default_socket(0));
	log_open("tgtx-replicd", !foreground, level);
	if (!foreground) {
		log_errors_to_stderr(1);
		ret = daemon_detach();
		if (ret) {
			fprintf(stderr, "tgtx-replicd: fork: %s\n",
				strerror(-ret));
			return 1;
		}
	}
	ret = node_state();
	if (ret) {
		log_err("state in %s: %s", rd_opts.state_dir, strerror(-ret));
		return 1;
	}
	m.gcfg.state_dir = rd_opts.state_dir;
	m.gcfg.key = rd_opts.key;
	ret = block_signals(&sigs);
	if (ret) {
		log_err("signals: %s", strerror(-ret));
		return 1;
	}
	if (rd_gossip_start(&m.gcfg, &m.rg, err, sizeof(err))) {
		log_err("gossip: %s", err);
		return 1;
	}
	if (m.hold_ms) {
		struct rd_hold_scan_cfg hc = {.sock = m.sock,
					      .rg = m.rg,
					      .interval_ms =
						      (unsigned)m.hold_ms};

		ret = rd_hold_scan_start(&hc, &m.hs);
		if (ret) {
			log_err("held volumes: %s", strerror(-ret));
			return 1;
		}
	}
	ret = loop_init();
	if (!ret)
		ret = watch_signals();
	if (ret) {
		log_err("event loop: %s", strerror(-ret));
		return 1;
	}
	rd_metrics_extra(held_metrics);
	if (metrics && rd_metrics_start(metrics, err, sizeof(err))) {
		log_err("--metrics %s: %s", metrics, err);
		return 1;
	}
	if (pidfile && (ret = write_pidfile(pidfile))) {
		log_err("--pidfile %s: %s", pidfile, strerror(-ret));
		return 1;
	}
	loop_timer_init(&m.poll_t, on_poll);
	loop_timer_init(&m.status_t, on_status);
	loop_timer_arm(&m.poll_t, 0);
	loop_timer_arm(&m.status_t, 1000);
	log_info("started: tgtxd at %s, state in %s", m.sock,
		 rd_opts.state_dir);
	daemon_ready("replicating");
	log_errors_to_stderr(0);
	loop_run();
	daemon_stopping();
	while (m.neng)
		drop_engine(m.neng - 1);
	rd_status_tick();
	rd_metrics_extra(NULL);
	rd_hold_scan_stop(m.hs);
	rd_gossip_stop(m.rg);
	if (metrics)
		rd_metrics_stop();
	if (pidfile)
		unlink(pidfile);
	loop_exit();
	log_info("stopped");
	free(rd_opts.share_dir);
	free(rd_opts.key_file);
	rd_opts.key = NULL;
	nodekey_free(&node_key);
	return 0;
bad:
	fprintf(stderr, "tgtx-replicd: bad option or value (see --help)\n");
	return 2;
}
