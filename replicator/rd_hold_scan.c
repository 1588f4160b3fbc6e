// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The held-volume scan (rd_hold_scan.h): tgtxd's LUNs, their share-volume
 * headers read read-only, the tables handed to rd_gossip_hold_table().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/conf.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/strbuf.h"
#include "rd.h"
#include "rd_gossip.h"
#include "rd_hold_scan.h"
#include "replicator/gossip/slt.h"

static int read_at(int fd, void *buf, size_t len, uint64_t off,
		   uint64_t capacity, char *why, size_t whylen)
{
	ssize_t n;

	if (off > capacity || len > capacity - off) {
		snprintf(why, whylen, "smaller than a share-volume header");
		return -ENOENT;
	}
	n = pread_upto(fd, buf, len, off);
	if (n < 0) {
		snprintf(why, whylen, "read of %zu bytes at %" PRIu64 ": %s",
			 len, off, strerror((int)-n));
		return (int)n;
	}
	if ((size_t)n != len) {
		snprintf(why, whylen, "short read at %" PRIu64, off);
		return -EBADMSG; /* shrinking under us: next scan */
	}
	return 0;
}

static int open_lun(const char *path, uint64_t *capacity, char *why,
		    size_t whylen)
{
	/* O_NONBLOCK: a FIFO put where a LUN was must not hang the open */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (fd < 0) {
		snprintf(why, whylen, "open: %s", strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "fstat: %s", strerror(errno));
		close(fd);
		return -EIO;
	}
	if (S_ISREG(st.st_mode)) {
		*capacity = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, capacity) < 0) {
			snprintf(why, whylen, "BLKGETSIZE64: %s",
				 strerror(errno));
			close(fd);
			return -EIO;
		}
	} else {
		snprintf(why, whylen, "neither a file nor a block device");
		close(fd);
		return -ENOENT;
	}
	return fd;
}

int rd_hold_read_header(const char *path, uint8_t *scratch, uint8_t *tbl,
			size_t cap, size_t *len, struct sv_info *info,
			char *why, size_t whylen)
{
	uint8_t *blob = scratch + 2 * SV_SUPER_AREA;
	struct slt *t = malloc(sizeof(*t));
	struct sv_status st = {0};
	const char *bad = NULL;
	uint64_t capacity = 0, best = 0;
	bool torn = false, found = false;
	int fd, which, ret;

	why[0] = '\0';
	if (!t)
		return -ENOMEM;
	fd = open_lun(path, &capacity, why, whylen);
	if (fd < 0) {
		free(t);
		return fd;
	}
	ret = read_at(fd, scratch, 2 * SV_SUPER_AREA, 0, capacity, why, whylen);
	if (ret)
		goto out;
	if (sv_super_pick(scratch, scratch + SV_SUPER_AREA, capacity, info,
			  &which, &st)) {
		/* both copies without the magic: not a share volume */
		ret = st.code == SV_E_MAGIC ? -ENOENT : -EBADMSG;
		snprintf(why, whylen, "superblock: %s", st.msg);
		goto out;
	}
	/*
	 * The newer valid copy wins, as for every blob; a copy caught in the
	 * middle of a write fails its CRC and the older one (an older table
	 * of the same owner) is used, or nothing, until the next scan.
	 */
	for (unsigned c = 0; c < 2; c++) {
		const uint8_t *tp;
		struct sv_blob b;
		size_t tl;

		ret = read_at(fd, blob, SV_BLOB_AREA,
			      sv_blob_off(SV_BLOB_LOCATIONS, c), capacity, why,
			      whylen);
		if (ret)
			goto out;
		ret = sv_blob_decode(info, blob, SV_BLOB_AREA,
				     SV_BLOB_LOCATIONS, &b, &st);
		if (ret) {
			torn |= st.code != SV_E_MAGIC;
			if (st.code != SV_E_MAGIC)
				snprintf(why, whylen, "blob copy %u: %s", c,
					 st.msg);
			continue;
		}
		if (found && b.gen <= best)
			continue;
		if (slt_blob_unwrap(b.data, b.len, &tp, &tl) || tl > cap ||
		    tl > SLT_MAX_SIZE) {
			torn = true;
			snprintf(why, whylen,
				 "blob copy %u: not a share-location table", c);
			continue;
		}
		memcpy(tbl, tp, tl);
		*len = tl;
		best = b.gen;
		found = true;
	}
	if (!found) {
		ret = torn ? -EBADMSG : -ENOENT;
		if (!torn)
			snprintf(why, whylen, "no share-location table");
		goto out;
	}
	/* the table must be of the volume this header is of (the
	 * signature is the store's business: rd_hold_offer()) */
	ret = slt_decode(tbl, *len, t, &bad);
	if (ret || memcmp(t->uuid, info->uuid, SLT_UUID_SIZE)) {
		snprintf(why, whylen, "%s",
			 ret ? (bad ? bad : "malformed table")
			     : "the table is of another volume");
		ret = -EBADMSG;
		goto out;
	}
	ret = 0;
out:
	free(t);
	close(fd);
	return ret;
}

/* ---- the scan thread ---- */

#define LOGGED_RING 256
#define SKIP_RING   64

enum scan_err {
	SCAN_ERR_CONFIG,   /* tgtxd's configuration not read: no scan */
	SCAN_ERR_READ,	   /* a header not readable or not usable now */
	SCAN_ERR_DEADLINE, /* a header read over its deadline */
	SCAN_ERR_LUN_CAP, /* a scan with more LUNs than RD_HOLD_SCAN_MAX_LUNS */
	SCAN_ERR__COUNT,
};

static const char *const scan_err_names[SCAN_ERR__COUNT] = {
	"config", "read", "deadline", "lun-cap"};

struct rd_hold_scan {
	struct rd_hold_scan_cfg cfg;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	/* the header read in progress (0: none), for the watchdog */
	uint64_t cur_start_ms;
	char cur_lun[320];
	bool cur_warned;
	uint64_t scans;
	/* for the metrics (rd_hold_scan_metrics): counters and the last
	 * complete scan, nothing that grows */
	uint64_t complete, last_complete_ms, errs[SCAN_ERR__COUNT];
	unsigned unbound, unbound_cur; /* FULL verdicts: last scan, this */
	char first_unbound[1024];
	bool lun_cap_logged;
	/* messages already logged (64-bit hashes): once each */
	uint64_t logged[LOGGED_RING];
	unsigned nlogged;
	/* LUNs whose read missed its deadline: path hash, scans left */
	struct {
		uint64_t h;
		unsigned left;
	} skip[SKIP_RING];
	uint8_t *scratch, *tbl;
};

static void count_err(struct rd_hold_scan *s, enum scan_err e)
{
	pthread_mutex_lock(&s->mu);
	s->errs[e]++;
	pthread_mutex_unlock(&s->mu);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/* true the first time this message is seen (recently) */
static bool first_time(struct rd_hold_scan *s, const char *msg)
{
	uint64_t h = fnv(msg);

	for (unsigned i = 0; i < LOGGED_RING; i++)
		if (s->logged[i] == h)
			return false;
	s->logged[s->nlogged++ % LOGGED_RING] = h;
	return true;
}

static unsigned *skip_of(struct rd_hold_scan *s, const char *path, bool add)
{
	uint64_t h = fnv(path);
	unsigned free_i = SKIP_RING;

	for (unsigned i = 0; i < SKIP_RING; i++) {
		if (s->skip[i].left && s->skip[i].h == h)
			return &s->skip[i].left;
		if (!s->skip[i].left && free_i == SKIP_RING)
			free_i = i;
	}
	if (!add || free_i == SKIP_RING)
		return NULL;
	s->skip[free_i].h = h;
	return &s->skip[free_i].left;
}

static void scan_lun(struct rd_hold_scan *s, const char *lun, const char *path)
{
	char why[256], msg[1024], line[1100];
	struct sv_info info;
	enum rd_hold_verdict v;
	unsigned *skip;
	size_t len = 0;
	uint64_t t0, took;
	int ret;

	pthread_mutex_lock(&s->mu);
	skip = skip_of(s, path, false);
	if (skip) {
		(*skip)--;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	snprintf(s->cur_lun, sizeof(s->cur_lun), "%s (%s)", lun, path);
	s->cur_start_ms = t0 = loop_now_ms();
	s->cur_warned = false;
	pthread_mutex_unlock(&s->mu);

	ret = rd_hold_read_header(path, s->scratch, s->tbl, SLT_MAX_SIZE, &len,
				  &info, why, sizeof(why));

	pthread_mutex_lock(&s->mu);
	s->cur_start_ms = 0;
	took = loop_now_ms() - t0;
	if (took > s->cfg.read_deadline_ms) {
		skip = skip_of(s, path, true);
		if (skip)
			*skip = RD_HOLD_SCAN_BACKOFF;
		if (!s->cur_warned) /* else the watchdog counted it */
			s->errs[SCAN_ERR_DEADLINE]++;
		pthread_mutex_unlock(&s->mu);
		log_warn("held volumes: LUN %s (%s): header read took %" PRIu64
			 " ms, over its %u ms deadline: result ignored, LUN "
			 "skipped for %u scans",
			 lun, path, took, s->cfg.read_deadline_ms,
			 RD_HOLD_SCAN_BACKOFF);
		return;
	}
	pthread_mutex_unlock(&s->mu);
	if (ret == -ENOENT)
		return; /* not a share volume: nothing to hold */
	if (ret) {
		count_err(s, SCAN_ERR_READ);
		/* torn or damaged: retried at the next scan, told once */
		snprintf(line, sizeof(line),
			 "held volumes: LUN %s (%s): header not usable now "
			 "(%s): retried at the next scan",
			 lun, path, why);
		if (first_time(s, line))
			log_info("%s", line);
		return;
	}
	/* bounded, so both key pins at the end of a refusal fit a log line */
	snprintf(line, sizeof(line), "LUN %.200s (%.200s), share %u", lun, path,
		 info.index);
	v = rd_gossip_hold_table(s->cfg.rg, line, s->tbl, len, msg,
				 sizeof(msg));
	if (v == RD_HOLD_FULL) {
		/* one line per change of their number (end of scan), not one
		 * per volume and scan: there may be thousands */
		if (!s->unbound_cur++)
			snprintf(s->first_unbound, sizeof(s->first_unbound),
				 "%s", msg);
		return;
	}
	if (v == RD_HOLD_SAME || !msg[0])
		return;
	snprintf(line, sizeof(line), "held volumes: %s", msg);
	if (!first_time(s, line))
		return;
	if (v == RD_HOLD_OTHER_KEY)
		log_err("%s", line);
	else if (rd_hold_usable(v))
		log_info("%s", line);
	else
		log_warn("%s", line);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A complete scan: every LUN (up to the cap) tried. Logs what changed
 * since the previous one, once. */
static void scan_done(struct rd_hold_scan *s, bool over_cap)
{
	unsigned was;

	pthread_mutex_lock(&s->mu);
	was = s->unbound;
	s->unbound = s->unbound_cur;
	s->complete++;
	s->last_complete_ms = wall_ms();
	if (over_cap)
		s->errs[SCAN_ERR_LUN_CAP]++;
	pthread_mutex_unlock(&s->mu);
	if (over_cap != s->lun_cap_logged) {
		s->lun_cap_logged = over_cap;
		if (over_cap)
			log_warn("held volumes: more than %u LUNs, the rest "
				 "not scanned (counted in "
				 "tgtx_replicd_hold_scan_errors_total"
				 "{kind=\"lun-cap\"}, logged once)",
				 RD_HOLD_SCAN_MAX_LUNS);
		else
			log_info("held volumes: %u LUNs or fewer again, all "
				 "scanned",
				 RD_HOLD_SCAN_MAX_LUNS);
	}
	if (s->unbound_cur && s->unbound_cur != was)
		log_warn("held volumes: %u share volume(s) found not bound, "
			 "the first: %s (tgtx_replicd_held_volumes_unbound; "
			 "logged again when their number changes)",
			 s->unbound_cur, s->first_unbound);
	else if (!s->unbound_cur && was)
		log_info("held volumes: every share volume found is bound "
			 "again");
}

static void scan(struct rd_hold_scan *s)
{
	struct strbuf resp = STRBUF_INIT;
	struct conf_target *t;
	struct conf_lun *l;
	struct conf *cf = NULL;
	char err[256] = "", lun[300];
	unsigned n = 0;
	int ret;

	ret = rd_conf_dump(s->cfg.sock, &resp, err, sizeof(err));
	if (!ret)
		ret = conf_parse_string(strbuf_str(&resp), resp.len, "tgtxd",
					&cf, err, sizeof(err));
	strbuf_free(&resp);
	if (ret) {
		log_dbg("held volumes: configuration: %s", err);
		count_err(s, SCAN_ERR_CONFIG);
		return;
	}
	s->unbound_cur = 0;
	list_for_each_entry (t, &cf->targets, node) {
		list_for_each_entry (l, &t->luns, node) {
			const char *bs = conf_lun_bstype(t, l);

			/* share volumes live on plain LUNs; an xorshare
			 * LUN holds our own volume's data */
			if (!l->path || (bs && !strcmp(bs, "xorshare")))
				continue;
			if (n++ >= RD_HOLD_SCAN_MAX_LUNS)
				goto out;
			snprintf(lun, sizeof(lun), "%s/%ld", t->name, l->lun);
			scan_lun(s, lun, l->path);
			if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
				goto out;
		}
	}
out:
	conf_free(cf);
	if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
		return;
	scan_done(s, n > RD_HOLD_SCAN_MAX_LUNS);
}

static void *scan_thread(void *arg)
{
	struct rd_hold_scan *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		struct timespec ts;

		pthread_mutex_unlock(&s->mu);
		scan(s);
		pthread_mutex_lock(&s->mu);
		s->scans++;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += s->cfg.interval_ms / 1000;
		ts.tv_nsec += (long)(s->cfg.interval_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (!s->stop &&
		       pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void scan_free(struct rd_hold_scan *s)
{
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->scratch);
	free(s->tbl);
	free(s);
}

int rd_hold_scan_start(const struct rd_hold_scan_cfg *cfg,
		       struct rd_hold_scan **out)
{
	struct rd_hold_scan *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	sigset_t all, old;
	int ret;

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.interval_ms)
		s->cfg.interval_ms = 10000;
	if (!s->cfg.read_deadline_ms)
		s->cfg.read_deadline_ms = 5000;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->scratch = malloc(RD_HOLD_SCRATCH);
	s->tbl = malloc(SLT_MAX_SIZE);
	if (!s->scratch || !s->tbl || !cfg->sock || !cfg->rg) {
		ret = s->scratch && s->tbl ? -EINVAL : -ENOMEM;
		scan_free(s);
		return ret;
	}
	/* signals are the daemon loop's (signalfd): blocked in the thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&s->th, NULL, scan_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		scan_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void rd_hold_scan_watch(struct rd_hold_scan *s)
{
	uint64_t now, start;
	char lun[320];

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	start = s->cur_start_ms;
	now = loop_now_ms();
	if (!start || s->cur_warned || now - start <= s->cfg.read_deadline_ms) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	s->cur_warned = true;
	s->errs[SCAN_ERR_DEADLINE]++;
	snprintf(lun, sizeof(lun), "%s", s->cur_lun);
	pthread_mutex_unlock(&s->mu);
	log_warn("held volumes: reading the header of LUN %s has taken %" PRIu64
		 " ms, over its %u ms deadline: its result will be ignored "
		 "and the scan waits for the read (replication is not "
		 "affected)",
		 lun, now - start, s->cfg.read_deadline_ms);
}

void rd_hold_scan_stop(struct rd_hold_scan *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	scan_free(s);
}

void rd_hold_scan_metrics(struct rd_hold_scan *s, struct strbuf *out)
{
	uint64_t complete, last_ms, errs[SCAN_ERR__COUNT], start;
	unsigned unbound;
	bool overdue;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	complete = s->complete;
	last_ms = s->last_complete_ms;
	memcpy(errs, s->errs, sizeof(errs));
	unbound = s->unbound;
	start = s->cur_start_ms;
	overdue = start && loop_now_ms() - start > s->cfg.read_deadline_ms;
	pthread_mutex_unlock(&s->mu);
	rd_metric_family(out, "tgtx_replicd_hold_scans_total", "counter",
			 "complete scans of the share-volume headers of "
			 "tgtxd's LUNs");
	strbuf_addf(out, "tgtx_replicd_hold_scans_total %" PRIu64 "\n",
		    complete);
	rd_metric_family(out, "tgtx_replicd_hold_scan_last_complete_seconds",
			 "gauge",
			 "end of the last complete scan, seconds since the "
			 "epoch (0: none yet)");
	strbuf_addf(out, "tgtx_replicd_hold_scan_last_complete_seconds %.3f\n",
		    (double)last_ms / 1000);
	rd_metric_family(out, "tgtx_replicd_hold_scan_errors_total", "counter",
			 "config: tgtxd's configuration not read; read: a "
			 "header unreadable or not usable now; deadline: a "
			 "header read over its deadline; lun-cap: LUNs over "
			 "the cap left out of a scan");
	for (unsigned e = 0; e < SCAN_ERR__COUNT; e++)
		strbuf_addf(out,
			    "tgtx_replicd_hold_scan_errors_total{kind=\"%s\"} "
			    "%" PRIu64 "\n",
			    scan_err_names[e], errs[e]);
	rd_metric_family(out, "tgtx_replicd_hold_read_overdue", "gauge",
			 "1 while a header read is over its deadline");
	strbuf_addf(out, "tgtx_replicd_hold_read_overdue %d\n", overdue);
	rd_metric_family(out, "tgtx_replicd_held_volumes_unbound", "gauge",
			 "share volumes of the last complete scan not bound: "
			 "the cap of bindings reached, none stale");
	strbuf_addf(out, "tgtx_replicd_held_volumes_unbound %u\n", unbound);
}
