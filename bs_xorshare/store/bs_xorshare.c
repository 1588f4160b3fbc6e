// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The xorshare backing store: a local volume (served like rdwr) plus a
 * crash-safe share log. Every change is split into n shares and appended to
 * the log BEFORE the volume is written (write-ahead); start-up replays the
 * log tail after the last volume checkpoint, rebuilding data from k shares,
 * so volume and log always describe the same history. doc/sharelog.md.
 *
 * Threads: one writer thread owns the log and the codec context and
 * batches records into one fdatasync (group commit); each record is split
 * straight into the mapped log segment (no copy). Logged batches then go,
 * in order and one at a time, to a volume thread, so overlapping writes
 * reach the volume in log order while the writer splits the next batch.
 * Reads go to the volume through the shared aio engine (usr/bs/aio.h) from
 * the event loop, exactly like rdwr, so they never queue behind the writer.
 * The loop only queues writes and completes them from an eventfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "bs/aio.h"
#include "bs_xorshare.h"
#include "bs_xorshare_priv.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "codec/xorshare.h"

#define XS_DEFAULT_LOG_SIZE (1ULL << 30)
/*
 * Data per record. 256 KiB keeps a whole record (n shares) in L2 between
 * the split writing it and the CRC reading it back (1 MiB records: 3 MiB,
 * ~15% slower end to end). Replay accepts records up to XS_REPLAY_MAX, the
 * chunk of earlier versions.
 */
#define XS_MAX_CHUNK  (1U << 18)
#define XS_REPLAY_MAX (1U << 20)
#define XS_MIN_CHUNK  4096U
/*
 * A batch stops taking requests at this many bytes, so that the writer
 * splits the next batch while the volume thread writes this one.
 */
#define XS_BATCH_BYTES (1U << 20)
/* Smaller batches are written by the writer itself when the ring is empty. */
#define XS_INLINE_BYTES	      (256U << 10)
#define XS_CKPT_INTERVAL_MS   5000
#define XS_RELOAD_INTERVAL_MS 1000
#define XS_ALERT_INTERVAL_MS  10000

static const uint8_t xs_vpd_list[] = {XS_VPD_PAGE};

_Static_assert(XS_META_CHECK_CRC == XS_CHECK_CRC4, "meta check values");
_Static_assert(XS_META_CHECK_SHA256 == XS_CHECK_SHA256, "meta check values");

static const char *check_name(uint8_t check)
{
	return check == XS_META_CHECK_SHA256 ? "sha256" : "crc";
}

/*
 * bsopts check=crc|sha256: the codec's integrity check of each secret. A
 * CRC catches corruption, but it is linear: whoever holds a share could
 * change it so the combined data still passes. SHA-256 also resists that.
 * Every share names its own check, so switching never affects old records;
 * the choice is kept in the volume metadata for the next opens.
 */
static int parse_check_opt(const char *opts, uint8_t *want, char *err,
			   size_t errlen)
{
	char v[16];

	*want = 0; /* absent: as the metadata says */
	if (!bs_opt_get(opts, "check", v, sizeof(v)))
		return 0;
	if (!strcmp(v, "crc")) {
		*want = XS_META_CHECK_CRC;
	} else if (!strcmp(v, "sha256")) {
		*want = XS_META_CHECK_SHA256;
	} else {
		snprintf(err, errlen, "xorshare: check=%s: use crc or sha256",
			 v);
		return -EINVAL;
	}
	return 0;
}

static int apply_check_opt(struct xs_dev *xd, uint8_t want, char *err,
			   size_t errlen)
{
	int ret;

	if (!want || want == xd->meta.check)
		return 0;
	xd->meta.check = want;
	ret = xs_meta_store(xd->logdir, &xd->meta);
	if (ret) {
		snprintf(err, errlen, "xorshare %s/meta: %s", xd->logdir,
			 strerror(-ret));
		return ret;
	}
	log_info("xorshare %s: new records use check=%s", xd->logdir,
		 check_name(want));
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fifo_push(struct req_fifo *f, struct bs_req *r)
{
	r->bs_priv = NULL;
	if (f->tail)
		f->tail->bs_priv = r;
	else
		f->head = r;
	f->tail = r;
}

static struct bs_req *fifo_pop(struct req_fifo *f)
{
	struct bs_req *r = f->head;

	if (r) {
		f->head = r->bs_priv;
		if (!f->head)
			f->tail = NULL;
	}
	return r;
}

int xs_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread_upto(fd, buf, len, off);

	if (n < 0)
		return (int)n;
	/* past the end of the file reads as zeroes */
	memset((uint8_t *)buf + n, 0, len - (size_t)n);
	return 0;
}

/* Deallocates a range, falling back to writing zeroes. */
static int vol_zero(struct xs_dev *xd, uint64_t off, uint64_t len)
{
	static const uint8_t zero[65536];

	if (!fallocate(xd->vol_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       (off_t)off, (off_t)len))
		return 0;
	while (len) {
		size_t n = len < sizeof(zero) ? len : sizeof(zero);
		int ret = pwrite_full(xd->vol_fd, zero, n, off);

		if (ret)
			return ret;
		off += n;
		len -= n;
	}
	return 0;
}

/* ---- volume changes (writer or volume thread) ---- */

static void set_req_error(struct bs_req *req, int err)
{
	if (req && !req->bs_u64)
		req->bs_u64 = (uint64_t)(int64_t)err;
}

/* Writes to the volume changes whose records the log already holds. */
static void apply_list(struct xs_dev *xd, struct xs_apply *list, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		struct xs_apply *a = &list[i];
		int ret;

		if (a->type == SL_REC_WRITE)
			ret = pwrite_full(xd->vol_fd, a->src, a->len,
					  a->offset);
		else
			ret = vol_zero(xd, a->offset, a->len);
		if (ret) {
			log_err("%s: volume write at %" PRIu64 ": %s",
				xd->dev->label, a->offset, strerror(-ret));
			set_req_error(a->req, -EIO);
		}
	}
}

/* ---- volume thread: writes logged batches in log order ---- */

static void post_done(struct xs_dev *xd, struct bs_req **batch, unsigned nr)
{
	uint64_t one = 1;

	pthread_mutex_lock(&xd->mu);
	for (unsigned i = 0; i < nr; i++)
		fifo_push(&xd->doneq, batch[i]);
	pthread_mutex_unlock(&xd->mu);
	if (write(xd->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_err("%s: eventfd: %s", xd->dev->label, strerror(errno));
}

static void run_vjob(struct xs_dev *xd, struct xs_vjob *j)
{
	apply_list(xd, j->pend, j->nr_pend);
	j->nr_pend = 0;
	if (j->need_sync && fdatasync(xd->vol_fd) < 0) {
		int err = errno;

		log_err("%s: volume fdatasync: %s", xd->dev->label,
			strerror(err));
		for (unsigned i = 0; i < j->nr; i++)
			set_req_error(j->reqs[i], -EIO);
	}
	post_done(xd, j->reqs, j->nr);
	j->nr = 0;
}

/*
 * Batches are written one at a time, oldest first: overlapping writes reach
 * the volume in log order without any range tracking.
 */
static void *volume_main(void *arg)
{
	struct xs_dev *xd = arg;

	pthread_mutex_lock(&xd->vmu);
	for (;;) {
		struct xs_vjob *j;

		while (!xd->vcount && !xd->vstop)
			pthread_cond_wait(&xd->vcond, &xd->vmu);
		if (!xd->vcount)
			break;
		/* the slot stays counted (owned by us) until it is written */
		j = &xd->vjobs[xd->vhead];
		pthread_mutex_unlock(&xd->vmu);
		run_vjob(xd, j);
		pthread_mutex_lock(&xd->vmu);
		xd->vhead = (xd->vhead + 1) % XS_VQ_DEPTH;
		xd->vcount--;
		pthread_cond_signal(&xd->vfree);
	}
	pthread_mutex_unlock(&xd->vmu);
	return NULL;
}

/* Writer: the next free slot of the ring (waits while all are queued). */
static struct xs_vjob *vjob_get(struct xs_dev *xd)
{
	struct xs_vjob *j;

	pthread_mutex_lock(&xd->vmu);
	while (xd->vcount == XS_VQ_DEPTH)
		pthread_cond_wait(&xd->vfree, &xd->vmu);
	j = &xd->vjobs[(xd->vhead + xd->vcount) % XS_VQ_DEPTH];
	pthread_mutex_unlock(&xd->vmu);
	return j;
}

/*
 * Writer: hands a logged batch to the volume thread. A small batch with
 * nothing queued before it is written right here: order is kept all the
 * same, and a 4 KiB write does not pay a second thread wake-up.
 */
static void vjob_publish(struct xs_dev *xd, struct xs_vjob *j, uint64_t bytes)
{
	pthread_mutex_lock(&xd->vmu);
	if (!xd->vcount && bytes <= XS_INLINE_BYTES) {
		pthread_mutex_unlock(&xd->vmu);
		run_vjob(xd, j);
		return;
	}
	xd->vcount++;
	pthread_cond_signal(&xd->vcond);
	pthread_mutex_unlock(&xd->vmu);
}

/* Writer: waits until every queued batch is in the volume. */
static void vol_quiesce(struct xs_dev *xd)
{
	pthread_mutex_lock(&xd->vmu);
	while (xd->vcount)
		pthread_cond_wait(&xd->vfree, &xd->vmu);
	pthread_mutex_unlock(&xd->vmu);
}

/* Stops the volume thread once it has written what is queued. */
static void vol_stop(struct xs_dev *xd)
{
	if (!xd->have_vthr)
		return;
	pthread_mutex_lock(&xd->vmu);
	xd->vstop = true;
	pthread_cond_broadcast(&xd->vcond);
	pthread_mutex_unlock(&xd->vmu);
	pthread_join(xd->vthr, NULL);
	xd->have_vthr = false;
}

/* ---- writer thread ---- */

static void snapshot(struct xs_dev *xd)
{
	struct sharelog_stats st;
	struct sharelog_peer pp[SL_MAX_N];

	sharelog_get_stats(xd->sl, &st);
	for (unsigned i = 0; i < st.n; i++)
		sharelog_get_peer(xd->sl, i, &pp[i]);
	pthread_mutex_lock(&xd->mu);
	xd->snap = st;
	memcpy(xd->snap_peer, pp, sizeof(pp[0]) * st.n);
	snprintf(xd->snap_alert, sizeof(xd->snap_alert), "%s",
		 sharelog_alert(xd->sl));
	xd->snap_base_next = xd->base_next;
	xd->snap_base_size = xd->base_size;
	pthread_mutex_unlock(&xd->mu);
}

/*
 * Makes the volume durable up to everything logged and records it as the
 * checkpoint, so the oldest segments can go.
 */
static int checkpoint_now(struct xs_dev *xd)
{
	struct sharelog_stats st;
	int ret = sharelog_sync(xd->sl);

	if (ret)
		return ret;
	/* queued batches first, then what this batch logged so far */
	vol_quiesce(xd);
	apply_list(xd, xd->pend, xd->nr_pend);
	xd->nr_pend = 0;
	sharelog_get_stats(xd->sl, &st);
	xd->applied = st.last_seq;
	if (fdatasync(xd->vol_fd) < 0) {
		ret = -errno;
		log_err("%s: volume fdatasync: %s", xd->dev->label,
			strerror(-ret));
		return ret;
	}
	xd->vol_synced = xd->applied;
	xd->last_ckpt_ms = now_ms();
	return sharelog_set_checkpoint(xd->sl, xd->vol_synced);
}

static bool stopping(struct xs_dev *xd)
{
	bool s;

	pthread_mutex_lock(&xd->mu);
	s = xd->stop;
	pthread_mutex_unlock(&xd->mu);
	return s;
}

static void set_blocked(struct xs_dev *xd, bool b)
{
	pthread_mutex_lock(&xd->mu);
	xd->blocked = b;
	pthread_mutex_unlock(&xd->mu);
}

/*
 * Reserves room for a record of len bytes at the log's tail (*rec: where to
 * build it), resolving a full log per the policy.
 */
static int reserve_record(struct xs_dev *xd, uint32_t len, uint8_t **rec)
{
	bool warned = false;

	for (;;) {
		void *p;
		int ret = sharelog_reserve(xd->sl, len, &p);

		*rec = p;

		if (ret == -EAGAIN) {
			ret = checkpoint_now(xd);
			if (ret)
				return ret;
			continue;
		}
		if (ret != -ENOSPC) {
			if (warned)
				set_blocked(xd, false);
			return ret;
		}
		/* block policy: wait for the replicator to free space */
		if (!warned) {
			/*
			 * Each record that does not fit waits anew: say it at
			 * most every 10 s, not once per record. One writer
			 * thread per LUN, so thread-local is per LUN.
			 */
			static _Thread_local uint64_t last_alert_ms;
			uint64_t now = now_ms();

			if (!last_alert_ms ||
			    now - last_alert_ms >= XS_ALERT_INTERVAL_MS) {
				log_err("ALERT %s: share log %s full, writes "
					"blocked until peers catch up "
					"(full=block)",
					xd->dev->label, xd->logdir);
				last_alert_ms = now;
			}
			set_blocked(xd, true);
			snapshot(xd);
			warned = true;
		}
		if (stopping(xd)) {
			set_blocked(xd, false);
			return -EIO;
		}
		usleep(100 * 1000);
		sharelog_reload_cursors(xd->sl);
	}
}

static int push_apply(struct xs_dev *xd, struct bs_req *req,
		      enum sl_rec_type type, uint64_t off, uint64_t len,
		      const uint8_t *src)
{
	struct xs_apply *last = xd->nr_pend ? &xd->pend[xd->nr_pend - 1] : NULL;

	/* the records of one request's pieces: still one volume write */
	if (last && last->req == req && req && type == SL_REC_WRITE &&
	    last->type == SL_REC_WRITE && last->offset + last->len == off &&
	    last->src + last->len == src) {
		last->len += len;
		return 0;
	}
	if (xd->nr_pend == xd->cap_pend) {
		size_t cap = xd->cap_pend ? xd->cap_pend * 2 : 64;
		struct xs_apply *p = realloc(xd->pend, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		xd->pend = p;
		xd->cap_pend = cap;
	}
	xd->pend[xd->nr_pend++] = (struct xs_apply){req, type, off, len, src};
	return 0;
}

int xs_log_data(struct xs_dev *xd, struct bs_req *req, uint64_t off,
		uint64_t len, const uint8_t *src, bool apply)
{
	unsigned n = xd->meta.n;

	while (len) {
		uint32_t piece = len < xd->chunk ? (uint32_t)len : xd->chunk;
		uint32_t share_len = (uint32_t)xs_share_size(n, piece);
		uint8_t *shares[SL_MAX_N], *rec;
		uint64_t seq;
		int ret;

		ret = reserve_record(xd, sl_record_size(n, share_len), &rec);
		if (ret)
			return ret;
		/* the shares are built in their final place: the log segment */
		sl_record_init(rec, SL_REC_WRITE, xd->meta.k, (uint8_t)n, off,
			       piece, share_len);
		for (unsigned i = 0; i < n; i++)
			shares[i] = sl_record_share(rec, i, share_len);
		ret = xs_split(xd->ctx, src, piece, shares);
		if (!ret)
			ret = sharelog_commit(xd->sl, &seq);
		if (ret)
			return ret;
		if (apply) {
			ret = push_apply(xd, req, SL_REC_WRITE, off, piece,
					 src);
			if (ret)
				return ret;
		}
		xd->nr_records++;
		off += piece;
		src += piece;
		len -= piece;
	}
	return 0;
}

int xs_log_zero(struct xs_dev *xd, struct bs_req *req, uint64_t off,
		uint64_t len, bool apply)
{
	uint8_t *rec;
	uint64_t seq;
	int ret;

	ret = reserve_record(xd, sl_record_size(0, 0), &rec);
	if (ret)
		return ret;
	sl_record_init(rec, SL_REC_UNMAP, xd->meta.k, xd->meta.n, off, len, 0);
	ret = sharelog_commit(xd->sl, &seq);
	if (!ret && apply)
		ret = push_apply(xd, req, SL_REC_UNMAP, off, len, NULL);
	if (!ret)
		xd->nr_records++;
	return ret;
}

/* Moves the volume changes logged so far into the batch (array swap). */
static void vjob_take_pend(struct xs_dev *xd, struct xs_vjob *j)
{
	struct xs_apply *p = j->pend;
	size_t cap = j->cap_pend;

	j->pend = xd->pend;
	j->cap_pend = xd->cap_pend;
	j->nr_pend = xd->nr_pend;
	xd->pend = p;
	xd->cap_pend = cap;
	xd->nr_pend = 0;
}

/*
 * Logs a batch and makes it durable in the log; the volume writes, the
 * volume fdatasync if needed and the completions are left to run_vjob().
 */
static void process_batch(struct xs_dev *xd, struct xs_vjob *j)
{
	struct bs_req **batch = j->reqs;
	unsigned nr = j->nr;
	bool need_sync = false;
	int ret;

	for (unsigned i = 0; i < nr; i++) {
		struct bs_req *r = batch[i];

		r->bs_u64 = 0;
		switch (r->op) {
		case BS_WRITE:
			ret = xs_log_data(xd, r, r->offset, r->len, r->buf,
					  true);
			if (r->fua || !xd->dev->wce)
				need_sync = true;
			break;
		case BS_UNMAP:
			ret = xs_log_zero(xd, r, r->offset, r->len, true);
			if (!xd->dev->wce)
				need_sync = true;
			break;
		case BS_FLUSH:
			need_sync = true;
			ret = 0;
			break;
		default:
			ret = -EINVAL;
		}
		if (ret) {
			log_err("%s: logging %s at %" PRIu64 ": %s",
				xd->dev->label,
				r->op == BS_UNMAP ? "unmap" : "write",
				r->offset, strerror(-ret));
			set_req_error(r, ret == -EMSGSIZE ? -EINVAL : -EIO);
		}
		xd->nr_writes++;
	}
	/* write-ahead: the records are durable before the volume changes */
	ret = sharelog_sync(xd->sl);
	if (ret) {
		for (size_t i = 0; i < xd->nr_pend; i++)
			set_req_error(xd->pend[i].req, -EIO);
		for (unsigned i = 0; i < nr; i++)
			if (batch[i]->op == BS_FLUSH)
				set_req_error(batch[i], -EIO);
		/* their records may still surface at replay: that is fine,
		 * the volume then gets them too */
		xd->nr_pend = 0;
	} else {
		struct sharelog_stats st;

		sharelog_get_stats(xd->sl, &st);
		xd->applied = st.last_seq;
	}
	vjob_take_pend(xd, j);
	j->need_sync = need_sync;
}

static void housekeeping(struct xs_dev *xd, bool force)
{
	struct sharelog_stats st;
	uint64_t now = now_ms();

	if (force || now - xd->last_reload_ms >= XS_RELOAD_INTERVAL_MS) {
		sharelog_reload_cursors(xd->sl);
		xd->last_reload_ms = now;
	}
	sharelog_get_stats(xd->sl, &st);
	/*
	 * Checkpoints cost a volume fdatasync and a state-file replace: take
	 * one when half the log is used, or now and then while idle.
	 */
	if (xd->applied > st.checkpoint &&
	    (force || st.used_bytes > st.log_size / 2 ||
	     now - xd->last_ckpt_ms >= XS_CKPT_INTERVAL_MS)) {
		int ret = checkpoint_now(xd);

		if (ret)
			log_err("%s: checkpoint: %s", xd->dev->label,
				strerror(-ret));
	}
	snapshot(xd);
}

/* Bytes of data a request brings to the log (0 for a flush). */
static uint64_t req_bytes(const struct bs_req *r)
{
	return r->op == BS_WRITE ? r->len : 0;
}

/*
 * Waits (at most 1 s, for housekeeping) for requests and moves them into
 * the batch, up to XS_BATCH_BYTES of data. Returns the data bytes taken.
 */
static uint64_t take_requests(struct xs_dev *xd, struct xs_vjob *j, bool idle,
			      bool *stop)
{
	uint64_t bytes = 0;

	j->nr = 0;
	pthread_mutex_lock(&xd->mu);
	if (!xd->stop && !xd->wq.head && idle) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&xd->wcond, &xd->mu, &ts);
	}
	while (j->nr < XS_BATCH_MAX && xd->wq.head && bytes < XS_BATCH_BYTES) {
		struct bs_req *r = fifo_pop(&xd->wq);

		j->reqs[j->nr++] = r;
		bytes += req_bytes(r);
	}
	*stop = xd->stop;
	pthread_mutex_unlock(&xd->mu);
	return bytes;
}

/* The baseline reads the volume: everything logged must be there first. */
static void baseline_step(struct xs_dev *xd)
{
	vol_quiesce(xd);
	xs_baseline_step(xd);
}

static void *writer_main(void *arg)
{
	struct xs_dev *xd = arg;

	for (;;) {
		struct xs_vjob *j = vjob_get(xd);
		bool stop, baseline = xd->base_next < xd->base_size;
		uint64_t bytes = take_requests(xd, j, !baseline, &stop);

		if (j->nr) {
			process_batch(xd, j);
			vjob_publish(xd, j, bytes);
			/* the baseline advances even under constant load */
			if (baseline && ++xd->batches % 8 == 0)
				baseline_step(xd);
		} else if (baseline) {
			baseline_step(xd);
		}
		if (stop && !j->nr)
			break;
		housekeeping(xd, false);
	}
	housekeeping(xd, true);
	vol_quiesce(xd);
	return NULL;
}

/* ---- event loop side ---- */

static void on_done(struct loop_fd *lfd, uint32_t events)
{
	struct xs_dev *xd = container_of(lfd, struct xs_dev, lfd);
	struct req_fifo done;
	struct bs_req *r;
	uint64_t v;

	if (read(xd->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_err("%s: eventfd read: %s", xd->dev->label,
			strerror(errno));
	pthread_mutex_lock(&xd->mu);
	done = xd->doneq;
	xd->doneq.head = xd->doneq.tail = NULL;
	pthread_mutex_unlock(&xd->mu);
	while ((r = fifo_pop(&done)))
		bs_complete(r, (int)(int64_t)r->bs_u64);
}

/* A read in flight on the aio engine. */
struct xs_read {
	struct aio_req aio;
	struct xs_dev *xd;
	struct bs_req *req;
};

static void read_done(struct aio_req *a, int res)
{
	struct xs_read *rd = container_of(a, struct xs_read, aio);
	struct bs_req *req = rd->req;

	if (res)
		log_err("%s: volume read of %" PRIu64 " bytes at %" PRIu64
			": %s",
			rd->xd->dev->label, req->len, req->offset,
			strerror(-res));
	else if (a->xfer < req->len) /* past the end reads as zeroes */
		memset((uint8_t *)req->buf + a->xfer, 0, req->len - a->xfer);
	free(rd);
	bs_complete(req, res ? -EIO : 0);
}

/*
 * Reads go straight to the volume like rdwr: every write that completed is
 * already there (write-ahead, then volume, then GOOD), and overlapping
 * in-flight writes are unordered in SCSI anyway.
 */
static void submit_read(struct xs_dev *xd, struct bs_req *req)
{
	struct xs_read *rd;
	int ret;

	if (!req->len) {
		bs_complete(req, 0);
		return;
	}
	rd = malloc(sizeof(*rd));
	if (!rd) {
		bs_complete(req, -ENOMEM);
		return;
	}
	rd->xd = xd;
	rd->req = req;
	aio_prep(&rd->aio, AIO_OP_READ, xd->vol_fd, req->buf, req->len,
		 req->offset, read_done, NULL);
	ret = aio_submit(&rd->aio);
	if (ret < 0) {
		log_err("%s: volume read: %s", xd->dev->label, strerror(-ret));
		free(rd);
		bs_complete(req, -EIO);
	}
}

static void queue_write(struct xs_dev *xd, struct bs_req *req)
{
	pthread_mutex_lock(&xd->mu);
	fifo_push(&xd->wq, req);
	pthread_cond_signal(&xd->wcond);
	pthread_mutex_unlock(&xd->mu);
}

static void xs_submit(struct bs_dev *dev, struct bs_req *req)
{
	struct xs_dev *xd = dev->priv;

	if (req->offset > xd->size || req->len > xd->size - req->offset) {
		bs_complete(req, -EINVAL);
		return;
	}
	if (req->op == BS_READ) {
		submit_read(xd, req);
		return;
	}
	if (req->op != BS_WRITE || dev->read_only) {
		bs_complete(req, dev->read_only ? -EROFS : -EINVAL);
		return;
	}
	queue_write(xd, req);
}

static void xs_flush(struct bs_dev *dev, struct bs_req *req)
{
	queue_write(dev->priv, req);
}

static void xs_unmap(struct bs_dev *dev, struct bs_req *req)
{
	struct xs_dev *xd = dev->priv;

	if (req->offset > xd->size || req->len > xd->size - req->offset) {
		bs_complete(req, -EINVAL);
		return;
	}
	queue_write(xd, req);
}

/* ---- open / close ---- */

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	case 't':
	case 'T':
		v <<= 40;
		end++;
		break;
	default:
		break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static void xs_free(struct xs_dev *xd)
{
	if (!xd)
		return;
	sharelog_close(xd->sl);
	if (xd->ctx)
		xs_ctx_free(xd->ctx);
	if (xd->vol_fd >= 0)
		close(xd->vol_fd);
	if (xd->efd >= 0)
		close(xd->efd);
	pthread_mutex_destroy(&xd->mu);
	pthread_cond_destroy(&xd->wcond);
	pthread_mutex_destroy(&xd->vmu);
	pthread_cond_destroy(&xd->vcond);
	pthread_cond_destroy(&xd->vfree);
	free(xd->bbuf);
	free(xd->pend);
	for (unsigned i = 0; i < XS_VQ_DEPTH; i++)
		free(xd->vjobs[i].pend);
	free(xd);
}

/* Replays records after the checkpoint into the volume. */
static int replay(struct xs_dev *xd, char *err, size_t errlen)
{
	struct sharelog_stats st;
	struct sl_iter *it;
	const void *rec;
	uint8_t *data = NULL;
	uint64_t count = 0;
	int ret;

	sharelog_get_stats(xd->sl, &st);
	if (st.last_seq <= st.checkpoint) {
		xd->applied = xd->vol_synced = st.last_seq;
		return 0;
	}
	data = malloc(XS_REPLAY_MAX);
	if (!data)
		return -ENOMEM;
	ret = sharelog_iter_open(xd->sl, st.checkpoint + 1, &it);
	if (ret) {
		free(data);
		return ret;
	}
	while ((ret = sharelog_iter_next(it, &rec)) == 1) {
		struct sl_rec_hdr h;
		const uint8_t *shares[SL_MAX_N];
		size_t lens[SL_MAX_N], got = 0;

		sl_record_decode(rec, &h);
		if (h.offset > xd->size || h.length > xd->size - h.offset) {
			ret = -ERANGE;
			break;
		}
		if (h.type == SL_REC_UNMAP) {
			ret = vol_zero(xd, h.offset, h.length);
		} else if (h.length > XS_REPLAY_MAX) {
			ret = -EMSGSIZE;
		} else {
			/* any k of the n shares give the data back */
			for (unsigned i = 0; i < h.n; i++) {
				shares[i] = (const uint8_t *)rec +
					    SL_REC_HDR_SIZE +
					    (size_t)i * h.share_len;
				lens[i] = h.share_len;
			}
			ret = xs_combine(xd->ctx, shares, lens, h.k, data,
					 XS_REPLAY_MAX, &got);
			if (!ret && got != h.length)
				ret = -EBADMSG;
			if (!ret)
				ret = pwrite_full(xd->vol_fd, data, got,
						  h.offset);
		}
		if (ret) {
			snprintf(err, errlen,
				 "xorshare %s: replaying seq %" PRIu64 ": %s",
				 xd->logdir, h.seq, strerror(-ret));
			break;
		}
		count++;
	}
	sharelog_iter_close(it);
	free(data);
	if (ret < 0) {
		if (!err[0])
			snprintf(err, errlen, "xorshare %s: replay: %s",
				 xd->logdir, strerror(-ret));
		return ret;
	}
	xd->applied = st.last_seq;
	if (fdatasync(xd->vol_fd) < 0) {
		ret = -errno;
		snprintf(err, errlen, "xorshare: volume fdatasync: %s",
			 strerror(-ret));
		return ret;
	}
	xd->vol_synced = st.last_seq;
	log_info("xorshare %s: replayed %" PRIu64 " record(s) (seq %" PRIu64
		 "..%" PRIu64 ") into the volume",
		 xd->logdir, count, st.checkpoint + 1, st.last_seq);
	return sharelog_set_checkpoint(xd->sl, st.last_seq);
}

static int volume_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* A share log directory is never a volume, nor inside one's log. */
static bool path_in_logdir(const char *path, const char *logdir)
{
	char rp[PATH_MAX], rl[PATH_MAX], parent[PATH_MAX];
	struct xs_meta m;
	char *slash;
	size_t ll;

	if (!realpath(path, rp))
		return false;
	snprintf(parent, sizeof(parent), "%s", rp);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		if (!xs_meta_load(parent[0] ? parent : "/", &m))
			return true;
	}
	if (!realpath(logdir, rl))
		return false;
	ll = strlen(rl);
	return !strncmp(rp, rl, ll) && (rp[ll] == '/' || rp[ll] == '\0');
}

static int setup_meta(struct xs_dev *xd, unsigned k, unsigned n, bool force,
		      bool *is_new, char *err, size_t errlen)
{
	int ret = xs_meta_load(xd->logdir, &xd->meta);

	*is_new = false;
	if (!ret && (xd->meta.k != k || xd->meta.n != n ||
		     xd->meta.block_size != xd->dev->block_size)) {
		char old[PATH_MAX + 32];

		if (!force) {
			snprintf(err, errlen,
				 "xorshare %s: volume is protected with k=%u "
				 "n=%u block size %u; add force=1 to bsopts "
				 "to re-protect it (new log and baseline)",
				 xd->logdir, xd->meta.k, xd->meta.n,
				 xd->meta.block_size);
			return -EINVAL;
		}
		snprintf(old, sizeof(old), "%s.old-%ld", xd->logdir,
			 (long)time(NULL));
		if (rename(xd->logdir, old) < 0) {
			ret = -errno;
			snprintf(err, errlen, "xorshare: moving %s aside: %s",
				 xd->logdir, strerror(-ret));
			return ret;
		}
		log_warn("xorshare: old share log moved to %s (forced "
			 "re-protection)",
			 old);
		ret = -ENOENT;
	}
	if (ret == -ENOENT) {
		ret = xs_meta_new(&xd->meta, (uint8_t)k, (uint8_t)n,
				  xd->dev->block_size, xd->size);
		if (!ret)
			ret = sl_mkdir_p(xd->logdir);
		if (!ret)
			ret = xs_meta_store(xd->logdir, &xd->meta);
		if (ret) {
			snprintf(err, errlen, "xorshare %s/meta: %s",
				 xd->logdir, strerror(-ret));
			return ret;
		}
		*is_new = true;
		return 0;
	}
	if (ret) {
		snprintf(err, errlen, "xorshare %s/meta: %s", xd->logdir,
			 ret == -EBADMSG ? "bad checksum or format"
					 : strerror(-ret));
		return ret;
	}
	if (xd->meta.size != xd->size) {
		log_warn("xorshare %s: volume size changed from %" PRIu64
			 " to %" PRIu64,
			 xd->logdir, xd->meta.size, xd->size);
		xd->meta.size = xd->size;
		xs_meta_store(xd->logdir, &xd->meta);
	}
	return 0;
}

static int opt_uint(const char *opts, const char *key, unsigned def,
		    unsigned *out)
{
	char v[32];
	char *end;
	unsigned long x;

	if (!bs_opt_get(opts, key, v, sizeof(v))) {
		*out = def;
		return 0;
	}
	x = strtoul(v, &end, 10);
	if (end == v || *end || x > 255)
		return -EINVAL;
	*out = (unsigned)x;
	return 0;
}

/*
 * Stops the writer thread, then the volume thread (after the writer: it has
 * queued its last batch), and leaves the event loop.
 */
static void xs_stop(struct xs_dev *xd)
{
	pthread_mutex_lock(&xd->mu);
	xd->stop = true;
	pthread_cond_broadcast(&xd->wcond);
	pthread_mutex_unlock(&xd->mu);
	if (xd->have_wthr)
		pthread_join(xd->wthr, NULL);
	vol_stop(xd);
	loop_del_fd(&xd->lfd);
}

static int xs_open(struct bs_dev *dev, const char *path, const char *opts,
		   char *err, size_t errlen)
{
	struct sharelog_cfg cfg;
	struct xs_dev *xd;
	unsigned k, n;
	uint64_t log_size = XS_DEFAULT_LOG_SIZE;
	char v[PATH_MAX];
	bool force = false, is_new;
	uint8_t check;
	int ret;

	if (opt_uint(opts, "k", 2, &k) || opt_uint(opts, "n", 3, &n) ||
	    k < XS_MIN_K || k > n || n > XS_MAX_N || n > SL_MAX_N) {
		snprintf(err, errlen,
			 "xorshare: need %u <= k <= n <= %u in bsopts",
			 XS_MIN_K, XS_MAX_N);
		return -EINVAL;
	}
	if (bs_opt_get(opts, "log_size", v, sizeof(v)) &&
	    (parse_size(v, &log_size) || !log_size)) {
		snprintf(err, errlen, "xorshare: bad log_size '%s'", v);
		return -EINVAL;
	}
	if (parse_check_opt(opts, &check, err, errlen))
		return -EINVAL;
	if (bs_opt_get(opts, "force", v, sizeof(v)))
		force = !strcmp(v, "1") || !strcmp(v, "yes");
	xd = calloc(1, sizeof(*xd));
	if (!xd) {
		snprintf(err, errlen, "xorshare: out of memory");
		return -ENOMEM;
	}
	xd->dev = dev;
	xd->vol_fd = xd->efd = -1;
	pthread_mutex_init(&xd->mu, NULL);
	pthread_cond_init(&xd->wcond, NULL);
	pthread_mutex_init(&xd->vmu, NULL);
	pthread_cond_init(&xd->vcond, NULL);
	pthread_cond_init(&xd->vfree, NULL);
	xd->full = SL_FULL_DROP_LAGGING;
	if (bs_opt_get(opts, "full", v, sizeof(v))) {
		if (!strcmp(v, "block")) {
			xd->full = SL_FULL_BLOCK;
		} else if (strcmp(v, "drop-lagging")) {
			snprintf(err, errlen,
				 "xorshare: full=%s: use drop-lagging or block",
				 v);
			ret = -EINVAL;
			goto fail;
		}
	}
	if (!bs_opt_get(opts, "log", xd->logdir, sizeof(xd->logdir)) ||
	    !xd->logdir[0]) {
		snprintf(err, errlen,
			 "xorshare: bsopts need log=DIR (the share log)");
		ret = -EINVAL;
		goto fail;
	}
	if (path_in_logdir(path, xd->logdir)) {
		snprintf(err, errlen,
			 "xorshare: %s is inside a share log directory; a "
			 "share log is never a volume",
			 path);
		ret = -EINVAL;
		goto fail;
	}
	xd->vol_fd =
		open(path, (dev->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	ret = xd->vol_fd < 0 ? -errno : volume_size(xd->vol_fd, &xd->size);
	if (ret) {
		snprintf(err, errlen, "xorshare: %s: %s", path, strerror(-ret));
		goto fail;
	}
	ret = setup_meta(xd, k, n, force, &is_new, err, errlen);
	if (!ret)
		ret = apply_check_opt(xd, check, err, errlen);
	if (ret)
		goto fail;

	/* one record per write of up to 1 MiB; smaller for tiny logs */
	xd->chunk = XS_MAX_CHUNK;
	for (;;) {
		xd->max_rec = sl_record_size(
			n, (uint32_t)xs_share_size(n, xd->chunk));
		if ((uint64_t)xd->max_rec * 8 <= log_size ||
		    xd->chunk <= XS_MIN_CHUNK)
			break;
		xd->chunk /= 2;
	}
	ret = xs_ctx_new(
		&xd->ctx, k, n, XS_REPLAY_MAX,
		xd->meta.check == XS_META_CHECK_SHA256 ? XS_F_CHECK_SHA256 : 0);
	if (ret) {
		snprintf(err, errlen, "xorshare: codec: %s", strerror(-ret));
		goto fail;
	}
	xd->bbuf = malloc(xd->chunk);
	if (!xd->bbuf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "xorshare: out of memory");
		goto fail;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = xd->logdir;
	cfg.log_size = log_size;
	cfg.max_rec_len = xd->max_rec;
	cfg.k = (uint8_t)k;
	cfg.n = (uint8_t)n;
	memcpy(cfg.uuid, xd->meta.uuid, 16);
	cfg.full = xd->full;
	ret = sharelog_open(&xd->sl, &cfg, err, errlen);
	if (ret)
		goto fail;
	err[0] = '\0';
	ret = replay(xd, err, errlen);
	if (ret)
		goto fail;
	ret = xs_baseline_init(xd, is_new);
	if (ret) {
		snprintf(err, errlen, "xorshare %s: baseline state: %s",
			 xd->logdir, strerror(-ret));
		goto fail;
	}
	xd->last_ckpt_ms = xd->last_reload_ms = now_ms();
	snapshot(xd);

	ret = aio_init();
	if (ret) {
		snprintf(err, errlen, "xorshare: aio engine: %s",
			 strerror(-ret));
		goto fail;
	}
	xd->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ret = xd->efd < 0 ? -errno
			  : loop_add_fd(&xd->lfd, xd->efd, EPOLLIN, on_done);
	if (ret) {
		snprintf(err, errlen, "xorshare: eventfd: %s", strerror(-ret));
		goto fail;
	}
	dev->priv = xd;
	dev->size = xd->size;
	ret = pthread_create(&xd->vthr, NULL, volume_main, xd);
	xd->have_vthr = !ret;
	if (!ret)
		ret = pthread_create(&xd->wthr, NULL, writer_main, xd);
	xd->have_wthr = !ret;
	if (ret) {
		snprintf(err, errlen, "xorshare: threads: %s", strerror(ret));
		dev->priv = NULL;
		xs_stop(xd);
		ret = -ret;
		goto fail;
	}
	{
		char u[37];

		xs_uuid_str(xd->meta.uuid, u);
		log_info("xorshare %s: k=%u n=%u uuid %s log %s (%" PRIu64
			 " bytes, full=%s, check=%s)",
			 path, k, n, u, xd->logdir, log_size,
			 xd->full == SL_FULL_BLOCK ? "block" : "drop-lagging",
			 check_name(xd->meta.check));
	}
	return 0;
fail:
	xs_free(xd);
	return ret;
}

static void free_deferred(struct loop_defer *d)
{
	xs_free(container_of(d, struct xs_dev, free_defer));
}

static void xs_close(struct bs_dev *dev)
{
	struct xs_dev *xd = dev->priv;

	if (!xd)
		return;
	xs_stop(xd);
	dev->priv = NULL;
	/* an event for our eventfd may still be in the loop's batch */
	loop_defer_init(&xd->free_defer, free_deferred);
	loop_defer_queue(&xd->free_defer);
}

/* ---- management and identification ---- */

static void xs_show(struct bs_dev *dev, struct strbuf *out, const char *ind)
{
	struct xs_dev *xd = dev->priv;
	struct sharelog_stats st;
	struct sharelog_peer pp[SL_MAX_N];
	char alert[256], u[37];
	uint64_t bnext, bsize;
	bool blocked;

	if (!xd)
		return;
	pthread_mutex_lock(&xd->mu);
	st = xd->snap;
	memcpy(pp, xd->snap_peer, sizeof(pp));
	memcpy(alert, xd->snap_alert, sizeof(alert));
	bnext = xd->snap_base_next;
	bsize = xd->snap_base_size;
	blocked = xd->blocked;
	pthread_mutex_unlock(&xd->mu);

	xs_uuid_str(xd->meta.uuid, u);
	strbuf_addf(out, "%sProtection: xorshare k=%u n=%u uuid=%s check=%s\n",
		    ind, xd->meta.k, xd->meta.n, u, check_name(xd->meta.check));
	strbuf_addf(out,
		    "%sShare log: %s used=%" PRIu64 "/%" PRIu64
		    " (%.1f%%) segments=%u/%u seq=%" PRIu64 "..%" PRIu64
		    " checkpoint=%" PRIu64 " full=%s%s\n",
		    ind, xd->logdir, st.used_bytes, st.log_size,
		    st.log_size ? 100.0 * (double)st.used_bytes /
					  (double)st.log_size
				: 0.0,
		    st.nr_segments, st.max_segments, st.first_seq, st.last_seq,
		    st.checkpoint,
		    xd->full == SL_FULL_BLOCK ? "block" : "drop-lagging",
		    blocked ? " BLOCKED" : "");
	for (unsigned i = 0; i < st.n; i++)
		strbuf_addf(out,
			    "%sPeer %u: cursor=%" PRIu64 " lag=%" PRIu64
			    " records %" PRIu64 " bytes %.1f s%s\n",
			    ind, i, pp[i].cursor, pp[i].lag_records,
			    pp[i].lag_bytes, pp[i].lag_seconds,
			    pp[i].needs_resync ? " needs-resync" : "");
	if (!bsize || bnext >= bsize)
		strbuf_addf(out, "%sBaseline: complete\n", ind);
	else
		strbuf_addf(out,
			    "%sBaseline: %.1f%% (%" PRIu64 "/%" PRIu64
			    " bytes)\n",
			    ind, 100.0 * (double)bnext / (double)bsize, bnext,
			    bsize);
	strbuf_addf(out, "%sAlert: %s\n", ind,
		    blocked ? "log full, writes blocked (full=block)"
			    : (alert[0] ? alert : "none"));
}

static size_t xs_vpd(struct bs_dev *dev, uint8_t page, uint8_t *buf, size_t len)
{
	struct xs_dev *xd = dev->priv;
	uint8_t p[XS_VPD_LEN];

	if (page != XS_VPD_PAGE || !xd || len < XS_VPD_LEN)
		return 0;
	memset(p, 0, sizeof(p));
	p[1] = XS_VPD_PAGE;
	p[3] = XS_VPD_LEN - 4;
	memcpy(p + 4, XS_VPD_MARKER, strlen(XS_VPD_MARKER));
	p[20] = XS_VPD_VERSION;
	p[21] = xd->meta.k;
	p[22] = xd->meta.n;
	memcpy(p + 24, xd->meta.uuid, 16);
	memcpy(buf, p, sizeof(p));
	return sizeof(p);
}

bool xorshare_vpd_is_xorshare(const uint8_t *page, size_t len)
{
	return page && len >= 24 && page[1] == XS_VPD_PAGE &&
	       !memcmp(page + 4, XS_VPD_MARKER, strlen(XS_VPD_MARKER));
}

static const struct bs_ops xorshare_ops = {
	.name = "xorshare",
	.open = xs_open,
	.close = xs_close,
	.submit = xs_submit,
	.flush = xs_flush,
	.unmap = xs_unmap,
	.show = xs_show,
	.vpd_page = xs_vpd,
	.vpd_pages = xs_vpd_list,
	.nr_vpd_pages = sizeof(xs_vpd_list),
};

BS_REGISTER(xorshare_ops)
