// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-load: iSCSI load generator for benchmarks. Keeps --qd commands in
 * flight on one session with libiscsi's asynchronous API for --seconds and
 * prints one machine-readable result line:
 *
 *   iops=... mbps=... ios=... errors=... lat_avg_us=... lat_max_us=...
 *   lat_p50_us=... lat_p99_us=... secs=...
 *
 * mbps is 10^6 bytes per second. Exit status: 0 ok, 1 usage, 2 login
 * failed, 3 I/O error (the line is still printed, with errors > 0).
 *
 * --ack-log FILE (writes) makes the data checkable after a crash: every
 * command writes self-describing blocks (tool_block_fill) with its own
 * write id (--id-base, +1 per command), no two commands in flight overlap,
 * and each command is appended to FILE the moment it gets GOOD status, for
 * tgtx-rwcheck --verify-acks.
 *
 * --history FILE (writes) does the same and also records the order of
 * events, for tgtx-prefixcheck: one line per event, each appended with a
 * single write(2) as it happens, times from CLOCK_REALTIME in ns:
 *
 *   s ID LBA BLOCKS TIME   command ID submitted
 *   a ID TIME              command ID got GOOD status (acknowledged)
 *   e ID TIME              command ID failed
 */
#include <getopt.h>
#include <poll.h>
#include <time.h>

#include "tool_common.h"

#define PROG	   "tgtx-load"
#define MAX_QD	   1024
#define MAX_IO_LEN (16U << 20)
/* latency histogram: 1 us buckets to 10 ms, then 100 us buckets to 10 s */
#define LAT_FINE    10000
#define LAT_BUCKETS (LAT_FINE + 99900)

struct load;

struct slot {
	struct load *ld;
	unsigned char *buf;
	struct scsi_iovec iov; /* libiscsi keeps a pointer to it */
	double t0;
	int busy;
	uint64_t lba;
	uint64_t id;
};

struct load {
	struct iscsi_context *iscsi;
	int lun;
	uint32_t blksz;
	uint32_t io_len;
	uint32_t blocks_per_io;
	uint64_t nr_pos;   /* I/O-sized positions inside the span */
	uint64_t next_pos; /* sequential cursor */
	uint64_t rng;
	int write;
	int random;
	double deadline;
	int stop;
	int inflight;
	uint64_t ios;
	uint64_t errors;
	double lat_sum_us;
	double lat_max_us;
	uint32_t lat_hist[LAT_BUCKETS]; /* the last one collects the rest */
	double last_done;
	char first_err[512];
	int ack_fd;  /* -1: no ack log */
	int hist_fd; /* -1: no history */
	uint64_t next_id;
	struct slot *slots;
	long qd;
};

static unsigned lat_bucket(double us)
{
	double b = us < LAT_FINE ? us : LAT_FINE + (us - LAT_FINE) / 100;

	return b < LAT_BUCKETS - 1 ? (unsigned)b : LAT_BUCKETS - 1;
}

/* Latency (us, bucket upper bound) at least frac of the I/Os stayed under. */
static unsigned lat_percentile(const struct load *ld, double frac)
{
	uint64_t want = (uint64_t)((double)ld->ios * frac + 0.999999), seen = 0;

	for (unsigned i = 0; i < LAT_BUCKETS; i++) {
		seen += ld->lat_hist[i];
		if (seen >= want && want)
			return i < LAT_FINE
				       ? i + 1
				       : LAT_FINE + (i - LAT_FINE + 1) * 100;
	}
	return 0;
}

/* Data must name its write: an ack log or a history is kept. */
static int checkable(const struct load *ld)
{
	return ld->ack_fd >= 0 || ld->hist_fd >= 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One history event (see the top of the file); 0 or -1 after a message. */
static int hist_event(struct load *ld, char ev, const struct slot *s)
{
	char line[128];
	int n;

	if (ld->hist_fd < 0)
		return 0;
	if (ev == 's')
		n = snprintf(line, sizeof(line),
			     "s %" PRIu64 " %" PRIu64 " %u %" PRIu64 "\n",
			     s->id, s->lba, ld->blocks_per_io, realtime_ns());
	else
		n = snprintf(line, sizeof(line), "%c %" PRIu64 " %" PRIu64 "\n",
			     ev, s->id, realtime_ns());
	if (write(ld->hist_fd, line, (size_t)n) != n) {
		fprintf(stderr, PROG ": writing the history: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Is an I/O at @lba still in flight? (All I/Os are one size, aligned.) */
static int in_flight(const struct load *ld, uint64_t lba)
{
	for (long i = 0; i < ld->qd; i++)
		if (ld->slots[i].busy && ld->slots[i].lba == lba)
			return 1;
	return 0;
}

static uint64_t next_lba(struct load *ld)
{
	uint64_t pos;

	if (ld->random) {
		/*
		 * Overlapping writes in flight end in either order, so with an
		 * ack log the latest write per block must be unambiguous.
		 */
		do
			pos = xorshift64(&ld->rng) % ld->nr_pos;
		while (checkable(ld) && in_flight(ld, pos * ld->blocks_per_io));
	} else {
		pos = ld->next_pos++;
		if (ld->next_pos >= ld->nr_pos)
			ld->next_pos = 0;
	}
	return pos * ld->blocks_per_io;
}

static void io_done(struct iscsi_context *iscsi, int status, void *data,
		    void *priv);

static int submit(struct slot *s)
{
	struct load *ld = s->ld;
	struct scsi_task *t;
	uint64_t lba = next_lba(ld);

	s->t0 = now_s();
	s->lba = lba;
	if (ld->write && checkable(ld)) {
		s->id = ld->next_id++;
		for (uint32_t b = 0; b < ld->blocks_per_io; b++)
			tool_block_fill(s->buf + (size_t)b * ld->blksz,
					ld->blksz, s->id, lba + b);
		if (hist_event(ld, 's', s)) {
			ld->errors++;
			ld->stop = 1;
			return -1;
		}
	}
	if (ld->write) {
		t = iscsi_write16_task(ld->iscsi, ld->lun, lba, s->buf,
				       ld->io_len, (int)ld->blksz, 0, 0, 0, 0,
				       0, io_done, s);
	} else {
		s->iov.iov_base = s->buf;
		s->iov.iov_len = ld->io_len;
		t = iscsi_read16_iov_task(ld->iscsi, ld->lun, lba, ld->io_len,
					  (int)ld->blksz, 0, 0, 0, 0, 0,
					  io_done, s, &s->iov, 1);
	}
	if (!t) {
		snprintf(ld->first_err, sizeof(ld->first_err),
			 "cannot queue %s at LBA %" PRIu64 ": %s",
			 ld->write ? "WRITE(16)" : "READ(16)", lba,
			 iscsi_get_error(ld->iscsi));
		ld->errors++;
		ld->stop = 1;
		return -1;
	}
	s->busy = 1;
	ld->inflight++;
	return 0;
}

static void io_done(struct iscsi_context *iscsi, int status, void *data,
		    void *priv)
{
	struct scsi_task *task = data;
	struct slot *s = priv;
	struct load *ld = s->ld;
	double t = now_s(), lat = (t - s->t0) * 1e6;

	ld->inflight--;
	ld->last_done = t;
	s->busy = 0;
	if (status == SCSI_STATUS_GOOD && ld->write &&
	    (tool_ack_log(PROG, ld->ack_fd, s->lba, ld->blocks_per_io, s->id) ||
	     hist_event(ld, 'a', s))) {
		ld->errors++;
		ld->stop = 1;
	}
	if (status != SCSI_STATUS_GOOD && ld->write && hist_event(ld, 'e', s))
		ld->stop = 1;
	if (status != SCSI_STATUS_GOOD) {
		ld->errors++;
		if (!ld->first_err[0]) {
			char why[384];

			tool_task_error(iscsi, task, status, why, sizeof(why));
			snprintf(ld->first_err, sizeof(ld->first_err),
				 "%s failed: %s",
				 ld->write ? "WRITE(16)" : "READ(16)", why);
		}
		ld->stop = 1;
	} else {
		ld->ios++;
		ld->lat_sum_us += lat;
		if (lat > ld->lat_max_us)
			ld->lat_max_us = lat;
		ld->lat_hist[lat_bucket(lat)]++;
	}
	if (task)
		scsi_free_scsi_task(task);
	if (!ld->stop && t >= ld->deadline)
		ld->stop = 1;
	if (!ld->stop)
		submit(s);
}

/* Runs until the deadline, then drains. Returns 0, or -1 on a lost session. */
static int run(struct load *ld, int timeout_s)
{
	int fd = iscsi_get_fd(ld->iscsi);

	while (ld->inflight > 0) {
		struct pollfd pfd = {.fd = fd};
		int r;
		double t;

		pfd.events = (short)iscsi_which_events(ld->iscsi);
		r = poll(&pfd, 1, 200);
		if (r < 0 && errno != EINTR) {
			snprintf(ld->first_err, sizeof(ld->first_err),
				 "poll: %s", strerror(errno));
			return -1;
		}
		if (iscsi_service(ld->iscsi, r > 0 ? pfd.revents : 0) < 0) {
			snprintf(ld->first_err, sizeof(ld->first_err),
				 "session failed: %s",
				 iscsi_get_error(ld->iscsi));
			return -1;
		}
		fd = iscsi_get_fd(ld->iscsi);
		t = now_s();
		if (t >= ld->deadline)
			ld->stop = 1;
		/* A target that stops answering must not hang the benchmark. */
		if (t > ld->deadline + timeout_s) {
			snprintf(ld->first_err, sizeof(ld->first_err),
				 "%d commands still outstanding %d s after the "
				 "end of the run",
				 ld->inflight, timeout_s);
			return -1;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " --url iscsi://HOST:PORT/IQN/LUN [OPTIONS]\n"
		"  --qd N                commands in flight (default 32)\n"
		"  --bs BYTES            bytes per command, K/M suffixes "
		"(default 4K)\n"
		"  --pattern seq|rand    access pattern (default seq)\n"
		"  --rw read|write       direction (default read)\n"
		"  --seconds S           run time (default 10)\n"
		"  --span BYTES          use only the first BYTES of the LUN\n"
		"  --seed N              seed of the random pattern\n"
		"  --ack-log FILE        writes: checkable data, one line "
		"'LBA BLOCKS ID'\n"
		"                        per command as soon as it gets GOOD\n"
		"  --id-base N           write id of the first command "
		"(default 1)\n"
		"  --history FILE        writes: checkable data, one line per "
		"submit,\n"
		"                        acknowledgement or failure, in order\n"
		"  --initiator-name IQN  (default " TOOL_DEFAULT_INITIATOR ")\n"
		"  --chap-user U --chap-password P\n"
		"  --target-user U --target-password P   mutual CHAP\n"
		"  --digest none|crc32c  header digest (default none)\n"
		"  --timeout S           give up on a silent target (default "
		"30)\n"
		"Prints: iops= mbps= ios= errors= lat_avg_us= lat_max_us= "
		"lat_p50_us= lat_p99_us= secs=\n"
		"Exit: 0 ok, 1 usage, 2 login failed, 3 I/O error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'},
		{"qd", required_argument, NULL, 'q'},
		{"bs", required_argument, NULL, 'b'},
		{"pattern", required_argument, NULL, 'p'},
		{"rw", required_argument, NULL, 'r'},
		{"seconds", required_argument, NULL, 's'},
		{"span", required_argument, NULL, 'S'},
		{"seed", required_argument, NULL, 'x'},
		{"ack-log", required_argument, NULL, 'A'},
		{"id-base", required_argument, NULL, 'I'},
		{"history", required_argument, NULL, 'H'},
		TOOL_CONN_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tool_conn_opts co = {.timeout_s = 30};
	struct load ld = {.rng = 0x9e3779b97f4a7c15ULL,
			  .ack_fd = -1,
			  .hist_fd = -1,
			  .next_id = 1};
	const char *ack_log = NULL, *history = NULL;
	uint64_t bs = 4096, span = 0, nr_blocks, v;
	long qd = 32;
	double seconds = 10, start, elapsed;
	struct slot *slots;
	int c, i, ret = TOOL_EXIT_OK;
	char *end;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			co.url = optarg;
			break;
		case 'q':
			qd = strtol(optarg, &end, 10);
			if (*end || qd < 1 || qd > MAX_QD) {
				fprintf(stderr, PROG ": --qd must be 1..%d\n",
					MAX_QD);
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'b':
			if (tool_parse_size(optarg, &bs) || bs == 0 ||
			    bs > MAX_IO_LEN) {
				fprintf(stderr,
					PROG ": bad --bs '%s' (1..16M)\n",
					optarg);
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'p':
			if (!strcmp(optarg, "rand") ||
			    !strcmp(optarg, "random")) {
				ld.random = 1;
			} else if (!strcmp(optarg, "seq")) {
				ld.random = 0;
			} else {
				fprintf(stderr,
					PROG ": --pattern is seq or rand\n");
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'r':
			if (!strcmp(optarg, "write")) {
				ld.write = 1;
			} else if (!strcmp(optarg, "read")) {
				ld.write = 0;
			} else {
				fprintf(stderr,
					PROG ": --rw is read or write\n");
				return TOOL_EXIT_USAGE;
			}
			break;
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || !(seconds > 0) || seconds > 86400) {
				fprintf(stderr, PROG ": bad --seconds '%s'\n",
					optarg);
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'S':
			if (tool_parse_size(optarg, &span) || span == 0) {
				fprintf(stderr, PROG ": bad --span '%s'\n",
					optarg);
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'x':
			v = strtoull(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, PROG ": bad --seed '%s'\n",
					optarg);
				return TOOL_EXIT_USAGE;
			}
			ld.rng = v ? v : 1; /* xorshift must not start at 0 */
			break;
		case 'A':
			ack_log = optarg;
			break;
		case 'H':
			history = optarg;
			break;
		case 'I':
			errno = 0;
			ld.next_id = strtoull(optarg, &end, 0);
			if (errno || *end || *optarg == '-') {
				fprintf(stderr, PROG ": bad --id-base '%s'\n",
					optarg);
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return TOOL_EXIT_OK;
		default:
			if (!tool_conn_opt_or_usage(PROG, c, optarg, &co,
						    usage))
				return TOOL_EXIT_USAGE;
		}
	}
	if (!co.url || optind != argc || ((ack_log || history) && !ld.write)) {
		usage(stderr);
		return TOOL_EXIT_USAGE;
	}
	if (ack_log) {
		ld.ack_fd = tool_ack_open(PROG, ack_log);
		if (ld.ack_fd < 0)
			return TOOL_EXIT_USAGE;
	}
	if (history) {
		ld.hist_fd = tool_ack_open(PROG, history);
		if (ld.hist_fd < 0)
			return TOOL_EXIT_USAGE;
	}
	ld.qd = qd;

	ld.iscsi = tool_connect(PROG, &co, &ld.lun);
	if (!ld.iscsi)
		return TOOL_EXIT_LOGIN;
	if (tool_read_capacity(PROG, ld.iscsi, ld.lun, &ld.blksz, &nr_blocks)) {
		ret = TOOL_EXIT_IO;
		goto out_logout;
	}
	if (bs % ld.blksz) {
		fprintf(stderr,
			PROG ": --bs %" PRIu64
			     " is not a multiple of the LUN block size %u\n",
			bs, ld.blksz);
		ret = TOOL_EXIT_USAGE;
		goto out_logout;
	}
	ld.io_len = (uint32_t)bs;
	ld.blocks_per_io = (uint32_t)(bs / ld.blksz);
	if (span && span / ld.blksz < nr_blocks)
		nr_blocks = span / ld.blksz;
	ld.nr_pos = nr_blocks / ld.blocks_per_io;
	if (checkable(&ld) &&
	    (ld.blksz < TOOL_BLK_MIN_LEN || ld.nr_pos <= (uint64_t)qd)) {
		fprintf(stderr,
			PROG ": --ack-log/--history need blocks of at least %d "
			     "bytes "
			     "and more than --qd I/O positions in the span\n",
			TOOL_BLK_MIN_LEN);
		ret = TOOL_EXIT_USAGE;
		goto out_logout;
	}
	if (ld.nr_pos == 0) {
		fprintf(stderr,
			PROG ": LUN %d has %" PRIu64
			     " blocks of %u bytes: too small for --bs %" PRIu64
			     "\n",
			ld.lun, nr_blocks, ld.blksz, bs);
		ret = TOOL_EXIT_USAGE;
		goto out_logout;
	}

	slots = calloc((size_t)qd, sizeof(*slots));
	if (!slots) {
		fprintf(stderr, PROG ": out of memory\n");
		ret = TOOL_EXIT_IO;
		goto out_logout;
	}
	ld.slots = slots;
	for (i = 0; i < qd; i++) {
		uint64_t fill = 0x1234567887654321ULL + (uint64_t)i;

		slots[i].ld = &ld;
		if (posix_memalign((void **)&slots[i].buf, 4096, ld.io_len)) {
			fprintf(stderr, PROG ": out of memory\n");
			ret = TOOL_EXIT_IO;
			goto out_free;
		}
		/* Non-trivial data so no layer can take a zero shortcut. */
		for (uint32_t off = 0; off + 8 <= ld.io_len; off += 8) {
			v = xorshift64(&fill);
			memcpy(slots[i].buf + off, &v, 8);
		}
	}

	start = now_s();
	ld.deadline = start + seconds;
	ld.last_done = start;
	for (i = 0; i < qd && !ld.stop; i++)
		submit(&slots[i]);
	if (run(&ld, co.timeout_s) < 0)
		ld.errors++;
	elapsed = ld.last_done - start;
	if (elapsed <= 0)
		elapsed = 1e-9;

	printf("iops=%.0f mbps=%.1f ios=%" PRIu64 " errors=%" PRIu64
	       " lat_avg_us=%.0f lat_max_us=%.0f lat_p50_us=%u lat_p99_us=%u"
	       " secs=%.2f\n",
	       (double)ld.ios / elapsed,
	       (double)ld.ios * ld.io_len / elapsed / 1e6, ld.ios, ld.errors,
	       ld.ios ? ld.lat_sum_us / (double)ld.ios : 0.0, ld.lat_max_us,
	       lat_percentile(&ld, 0.5), lat_percentile(&ld, 0.99), elapsed);
	fflush(stdout);
	if (ld.errors) {
		fprintf(stderr, PROG ": %" PRIu64 " error(s); first: %s\n",
			ld.errors, ld.first_err[0] ? ld.first_err : "unknown");
		ret = TOOL_EXIT_IO;
	}

out_free:
	for (i = 0; i < qd; i++)
		free(slots[i].buf);
	free(slots);
out_logout:
	/* Only a clean session can log out; a broken one is just dropped. */
	if (ret == TOOL_EXIT_OK)
		iscsi_logout_sync(ld.iscsi);
	iscsi_destroy_context(ld.iscsi);
	if (ld.ack_fd >= 0)
		close(ld.ack_fd);
	if (ld.hist_fd >= 0)
		close(ld.hist_fd);
	return ret;
}
