// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The writer thread of an xorshare LUN: takes queued writes in batches,
 * makes the extents they touch hot in the activity log (one durable
 * transaction per batch, only when the hot set changes), appends one record
 * per piece (the data once, in the clear, with fresh generations), updates
 * the generation map, and hands the batch to the volume thread. Nothing on
 * this path waits for a flush unless the request asks for durability.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bs_xorshare_priv.h"
#include "core/crc32c.h"
#include "core/log.h"
#include "bs_xorshare/log/sl_pio.h"

#define XS_BATCH_BYTES	      (1U << 20)
#define XS_RELOAD_INTERVAL_MS 1000
#define XS_IDLE_SYNC_MS	      1000
/*
 * Under sustained writes the log is still made durable at least this often:
 * the replicator sends only durable records, so without it a busy LUN whose
 * writes never leave the hot extents (no rotation, no eviction) would never
 * be replicated. One fdatasync per second on the writer thread; the
 * writeback started every 8 MiB leaves it little to do.
 */
#define XS_BUSY_SYNC_MS	     1000
#define XS_ALERT_INTERVAL_MS 10000
#define XS_PROGRESS_WAIT_NS  2000000L

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

void xs_snapshot(struct xs_dev *xd)
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
	xd->snap_relog_left = xd->nr_relog - xd->relog_done;
	xd->snap_al_hot = xs_al_nr_hot(xd->al);
	xd->snap_al_txns = xs_al_txns(xd->al);
	pthread_mutex_unlock(&xd->mu);
}

/* The replicator's status files, for show and the metrics. */
void xs_read_statuses(struct xs_dev *xd)
{
	for (unsigned i = 0; i < xd->meta.n && i < SL_MAX_N; i++)
		xd->have_status[i] = !sharelog_read_peer_status(xd->logdir, i,
								&xd->status[i]);
	/* here, not in every snapshot: they change once a second at most */
	pthread_mutex_lock(&xd->mu);
	memcpy(xd->snap_status, xd->status, sizeof(xd->status));
	memcpy(xd->snap_have_status, xd->have_status, sizeof(xd->have_status));
	pthread_mutex_unlock(&xd->mu);
}

/*
 * Soft limit: above throttle=P% of the log, each batch waits a little
 * (more as the log fills), so a lagging replicator gets time before the
 * full policy applies. The writer alone waits: reads go on.
 */
static void throttle(struct xs_dev *xd)
{
	struct sharelog_stats st;
	uint32_t us;

	if (!xd->throttle_pct)
		return;
	sharelog_get_stats(xd->sl, &st);
	us = xs_throttle_delay_us(st.used_bytes, st.log_size, xd->throttle_pct);
	if (us) {
		/* space nobody holds any more is no reason to wait */
		sharelog_reclaim(xd->sl);
		sharelog_get_stats(xd->sl, &st);
		us = xs_throttle_delay_us(st.used_bytes, st.log_size,
					  xd->throttle_pct);
	}
	if (us != xd->throttle_us_w) { /* the lock only on a change */
		xd->throttle_us_w = us;
		pthread_mutex_lock(&xd->mu);
		xd->throttle_us = us;
		pthread_mutex_unlock(&xd->mu);
	}
	if (!us)
		return;
	if (!xd->last_throttle_alert_ms ||
	    loop_now_ms() - xd->last_throttle_alert_ms >=
		    XS_ALERT_INTERVAL_MS) {
		log_err("ALERT %s: share log %s %.0f%% full (throttle=%u%%): "
			"writes delayed %.1f ms per batch until peers catch up",
			xd->dev->label, xd->logdir,
			100.0 * (double)st.used_bytes / (double)st.log_size,
			xd->throttle_pct, us / 1000.0);
		xd->last_throttle_alert_ms = loop_now_ms();
	}
	usleep(us);
}

/*
 * Everything written so far reaches stable storage: queued and pending
 * volume writes, the log, the volume.
 */
static int make_durable(struct xs_dev *xd)
{
	int ret;

	xs_vol_quiesce(xd);
	xs_apply_list(xd, xd->pend, xd->nr_pend);
	xd->nr_pend = 0;
	ret = sharelog_sync(xd->sl);
	if (!ret)
		ret = sl_fdatasync(xd->vol_fd);
	if (ret)
		log_err("%s: making log and volume durable: %s", xd->dev->label,
			strerror(-ret));
	return ret;
}

/*
 * Evicts least recently used extents (an eighth of the capacity at once,
 * so transactions stay rare): their records, blocks and map chunk are made
 * durable first; the next commit then drops them from the activity log.
 */
static int al_evict(struct xs_dev *xd, uint32_t need)
{
	uint32_t want = need + xd->al_cap / 8, n;
	uint64_t *victims = malloc(sizeof(*victims) * want);
	int ret;

	if (!victims)
		return -ENOMEM;
	n = xs_al_pick_victims(xd->al, want, victims);
	if (!n) {
		free(victims);
		return 0; /* all in use: the set grows past cap for a while */
	}
	ret = make_durable(xd);
	for (uint32_t i = 0; i < n && !ret; i++)
		ret = sl_genmap_seal(xd->gm, victims[i]);
	if (!ret)
		ret = sl_genmap_sync(xd->gm);
	if (!ret)
		xs_al_remove(xd->al, victims, n);
	free(victims);
	return ret;
}

static void al_want_range(struct xs_dev *xd, uint64_t off, uint64_t len)
{
	if (!len)
		return;
	for (uint64_t e = off >> SL_EXTENT_SHIFT;
	     e <= (off + len - 1) >> SL_EXTENT_SHIFT; e++)
		if (!xs_al_touch(xd->al, e))
			xs_al_want(xd->al, e);
}

/* Makes the wanted extents hot: one durable activity-log transaction. */
static int al_commit_wanted(struct xs_dev *xd)
{
	uint32_t over;
	int ret;

	if (!xs_al_nr_wanted(xd->al))
		return 0;
	over = xs_al_overflow(xd->al);
	if (over) {
		ret = al_evict(xd, over);
		if (ret)
			return ret;
	}
	ret = xs_al_commit(xd->al);
	if (ret)
		log_err("%s: activity log: %s", xd->dev->label, strerror(-ret));
	return ret;
}

/* Test: (lba, generation, CRC32C) of every block logged, for a checker. */
static void nonce_note(struct xs_dev *xd, uint64_t lba, uint32_t nblocks,
		       uint64_t gen, const uint8_t *src)
{
	uint64_t rec[3];

	for (uint32_t j = 0; j < nblocks; j++) {
		rec[0] = lba + j;
		rec[1] = gen + j;
		rec[2] = crc32c(0, src + (size_t)j * xd->bs, xd->bs);
		if (write(xd->nonce_fd, rec, sizeof(rec)) != sizeof(rec))
			log_err("%s: nonce log: %s", xd->dev->label,
				strerror(errno));
	}
}

/* Appends a record, resolving a full log per the policy. */
static int append_record(struct xs_dev *xd, enum sl_rec_type type, uint64_t lba,
			 uint32_t nblocks, uint64_t gen, const uint8_t *src)
{
	static _Thread_local uint64_t last_alert_ms;
	bool warned = false;
	uint64_t seq;

	for (;;) {
		int ret = sharelog_append(xd->sl, type, lba, nblocks, gen, src,
					  &seq);

		if (ret != -ENOSPC) {
			if (warned)
				set_blocked(xd, false);
			return ret;
		}
		/* block policy: wait for the replicator to free space */
		if (!warned) {
			uint64_t now = loop_now_ms();

			if (!last_alert_ms ||
			    now - last_alert_ms >= XS_ALERT_INTERVAL_MS) {
				log_err("ALERT %s: share log %s full, writes "
					"blocked until peers catch up "
					"(full=block)",
					xd->dev->label, xd->logdir);
				last_alert_ms = now;
			}
			set_blocked(xd, true);
			xs_snapshot(xd);
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
		      const uint8_t *src, bool own_src)
{
	struct xs_apply *last = xd->nr_pend ? &xd->pend[xd->nr_pend - 1] : NULL;

	/* the records of one request's pieces: still one volume write */
	if (last && last->req == req && req && type == SL_REC_WRITE &&
	    last->type == SL_REC_WRITE && last->offset + last->len == off &&
	    last->src + last->len == src && !own_src && !last->own_src) {
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
	xd->pend[xd->nr_pend++] =
		(struct xs_apply){req, type, off, len, src, own_src};
	return 0;
}

/*
 * One record for [off, off+len) (within one extent): the extent is made
 * hot first, then the record, the map and (queued) the volume.
 */
static int log_piece(struct xs_dev *xd, struct bs_req *req,
		     enum sl_rec_type type, uint64_t off, uint64_t len,
		     const uint8_t *src, bool apply)
{
	uint64_t lba = off / xd->bs, gen = 0;
	uint32_t nblocks = (uint32_t)(len / xd->bs);
	int ret;

	al_want_range(xd, off, len);
	ret = al_commit_wanted(xd);
	if (!ret && type == SL_REC_WRITE)
		ret = sharelog_gen_take(xd->sl, nblocks, &gen);
	if (!ret)
		ret = append_record(xd, type, lba, nblocks, gen, src);
	if (!ret)
		ret = sl_genmap_set(xd->gm, lba, nblocks, gen);
	if (ret)
		return ret;
	if (xd->nonce_fd >= 0 && type == SL_REC_WRITE)
		nonce_note(xd, lba, nblocks, gen, src);
	xd->nr_records++;
	return apply ? push_apply(xd, req, type, off, len, src, false) : 0;
}

/* Pieces never cross an extent and hold at most one chunk of data. */
static uint64_t piece_len(struct xs_dev *xd, uint64_t off, uint64_t len,
			  uint64_t max)
{
	uint64_t room = SL_EXTENT_BYTES - (off & (SL_EXTENT_BYTES - 1));

	if (len > room)
		len = room;
	return len > max ? max : len;
}

int xs_log_data(struct xs_dev *xd, struct bs_req *req, uint64_t off,
		uint64_t len, const uint8_t *src, bool apply, bool own_src)
{
	(void)own_src;
	if (off % xd->bs || len % xd->bs)
		return -EINVAL;
	while (len) {
		uint64_t piece = piece_len(xd, off, len, xd->chunk);
		int ret = log_piece(xd, req, SL_REC_WRITE, off, piece, src,
				    apply);

		if (ret)
			return ret;
		off += piece;
		src += piece;
		len -= piece;
	}
	return 0;
}

int xs_log_zero(struct xs_dev *xd, struct bs_req *req, uint64_t off,
		uint64_t len, bool apply)
{
	if (off % xd->bs || len % xd->bs)
		return -EINVAL;
	while (len) {
		uint64_t piece = piece_len(xd, off, len, SL_EXTENT_BYTES);
		int ret = log_piece(xd, req, SL_REC_UNMAP, off, piece, NULL,
				    apply);

		if (ret)
			return ret;
		off += piece;
		len -= piece;
	}
	return 0;
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
 * TGTX_TEST_XS_ACK_BEFORE_LOG: completes a write before it is logged (from
 * a private copy of its data), so that a crash test can show it notices.
 */
static int ack_before_log(struct xs_dev *xd, struct bs_req *r)
{
	uint64_t off = r->offset, len = r->len; /* r is gone once posted */
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, r->buf, len);
	r->bs_u64 = 0;
	xs_post_done(xd, &r, 1);
	usleep(2000); /* widen the window a kill can fall into */
	ret = xs_log_data(xd, NULL, off, len, copy, false, false);
	if (!ret)
		ret = push_apply(xd, NULL, SL_REC_WRITE, off, len, copy, true);
	if (ret)
		free(copy);
	return ret;
}

/*
 * Logs a batch: one activity-log transaction for the extents it makes hot,
 * then its records. The volume writes, the volume flush if a request needs
 * it and the completions are left to the volume thread.
 */
static void process_batch(struct xs_dev *xd, struct xs_vjob *j)
{
	bool need_sync = false;
	unsigned keep = 0;
	int ret;

	xs_al_new_epoch(xd->al);
	for (unsigned i = 0; i < j->nr; i++)
		if (j->reqs[i]->op == BS_WRITE || j->reqs[i]->op == BS_UNMAP)
			al_want_range(xd, j->reqs[i]->offset, j->reqs[i]->len);
	/* on failure each record retries its own transaction (and fails) */
	ret = al_commit_wanted(xd);
	for (unsigned i = 0; i < j->nr; i++) {
		struct bs_req *r = j->reqs[i];

		r->bs_u64 = 0;
		ret = 0;
		if (r->op == BS_WRITE && xd->test_ack_before_log) {
			ret = ack_before_log(xd, r);
			if (ret)
				log_err("%s: logging an early-acked write: %s",
					xd->dev->label, strerror(-ret));
			ret = 0;
			continue; /* already completed */
		} else if (r->op == BS_WRITE) {
			ret = xs_log_data(xd, r, r->offset, r->len, r->buf,
					  true, false);
			need_sync |= r->fua || !xd->dev->wce;
		} else if (r->op == BS_UNMAP) {
			ret = xs_log_zero(xd, r, r->offset, r->len, true);
			need_sync |= !xd->dev->wce;
		} else if (r->op == BS_FLUSH) {
			need_sync = true;
		} else {
			xs_set_req_error(r, -EINVAL);
		}
		if (ret) {
			log_err("%s: logging %s at %" PRIu64 ": %s",
				xd->dev->label,
				r->op == BS_UNMAP ? "unmap" : "write",
				r->offset, strerror(-ret));
			xs_set_req_error(r, ret == -EINVAL ? -EINVAL : -EIO);
			ret = 0;
		}
		j->reqs[keep++] = r;
		xd->nr_writes++;
	}
	j->nr = keep;
	vjob_take_pend(xd, j);
	j->need_sync = need_sync;
	j->seq = sharelog_last_seq(xd->sl);
}

int xs_clean_stop(struct xs_dev *xd)
{
	uint64_t *hot;
	uint32_t n;
	int ret = make_durable(xd);

	if (ret)
		return ret;
	n = xs_al_nr_hot(xd->al);
	hot = malloc(sizeof(*hot) * (n ? n : 1));
	if (!hot)
		return -ENOMEM;
	n = xs_al_list(xd->al, hot, n);
	for (uint32_t i = 0; i < n && !ret; i++)
		ret = sl_genmap_seal(xd->gm, hot[i]);
	free(hot);
	if (!ret)
		ret = sl_genmap_sync(xd->gm);
	if (!ret && xd->base_size)
		ret = sharelog_set_baseline(xd->sl, xd->base_next,
					    xd->base_size);
	/* extents still to re-log stay in the activity log */
	if (!ret && xd->relog_done == xd->nr_relog)
		ret = xs_al_clear(xd->al);
	if (ret)
		log_err("%s: clean stop: %s", xd->dev->label, strerror(-ret));
	return ret;
}

static void housekeeping(struct xs_dev *xd, bool idle)
{
	uint64_t now = loop_now_ms();

	if (now - xd->last_reload_ms >= XS_RELOAD_INTERVAL_MS) {
		sharelog_reload_cursors(xd->sl);
		xs_read_statuses(xd);
		xd->last_reload_ms = now;
	}
	/*
	 * Idle for a while: let the replicator's durable point catch up. Only
	 * then: a flush on the writer thread while writes keep coming would
	 * stall them behind the disk.
	 */
	if ((idle && now - xd->last_req_ms >= XS_IDLE_SYNC_MS) ||
	    now - xd->last_busy_sync_ms >= XS_BUSY_SYNC_MS) {
		sharelog_sync(xd->sl);
		xd->last_busy_sync_ms = now;
	}
	sharelog_publish_progress(xd->sl, false);
	xs_snapshot(xd);
}

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
		/* a progress write held back by its rate limit: soon */
		if (sharelog_progress_pending(xd->sl)) {
			ts.tv_nsec += XS_PROGRESS_WAIT_NS;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
		} else {
			ts.tv_sec += 1;
		}
		pthread_cond_timedwait(&xd->wcond, &xd->mu, &ts);
	}
	while (j->nr < XS_BATCH_MAX && xd->wq.head && bytes < XS_BATCH_BYTES) {
		struct bs_req *r = xd->wq.head;

		xd->wq.head = r->bs_priv;
		if (!xd->wq.head)
			xd->wq.tail = NULL;
		j->reqs[j->nr++] = r;
		bytes += req_bytes(r);
	}
	*stop = xd->stop;
	pthread_mutex_unlock(&xd->mu);
	return bytes;
}

/* Re-log after a crash first, then the baseline; they read the volume. */
static void background_step(struct xs_dev *xd)
{
	pthread_mutex_lock(&xd->rmu);
	xs_vol_quiesce(xd);
	if (xd->relog_done < xd->nr_relog)
		xs_relog_step(xd);
	else
		xs_baseline_step(xd);
	/* what it logged was read from the volume: applied as logged */
	sharelog_set_applied(xd->sl, sharelog_last_seq(xd->sl));
	if (xd->relog_done == xd->nr_relog)
		sharelog_set_progress_flags(xd->sl, 0);
	pthread_mutex_unlock(&xd->rmu);
	sharelog_publish_progress(xd->sl, false);
}

void *xs_writer_main(void *arg)
{
	struct xs_dev *xd = arg;

	if (xd->scan_map) {
		int ret;

		pthread_mutex_lock(&xd->rmu);
		ret = xs_recovery_scan(xd);
		if (ret)
			log_err("%s: checking the generation map: %s",
				xd->dev->label, strerror(-ret));
		xd->scan_map = false;
		pthread_mutex_unlock(&xd->rmu);
	}
	for (;;) {
		struct xs_vjob *j = xs_vjob_get(xd);
		bool relog = xd->relog_done < xd->nr_relog;
		bool work = relog || xd->base_next < xd->base_size;
		bool stop;
		uint64_t bytes = take_requests(xd, j, !work, &stop);

		if (j->nr) {
			throttle(xd);
			xd->last_req_ms = loop_now_ms();
			pthread_mutex_lock(&xd->rmu);
			process_batch(xd, j);
			xs_vjob_publish(xd, j, bytes);
			pthread_mutex_unlock(&xd->rmu);
			/* background work advances even under constant load */
			if (work && ++xd->batches % (relog ? 2 : 8) == 0)
				background_step(xd);
		} else if (work) {
			background_step(xd);
		}
		if (stop && !j->nr)
			break;
		housekeeping(xd, !j->nr && !work);
	}
	pthread_mutex_lock(&xd->rmu);
	if (!xs_clean_stop(xd) && xd->relog_done == xd->nr_relog) {
		/* volume, map and log agree and are durable */
		sharelog_set_applied(xd->sl, sharelog_last_seq(xd->sl));
		sharelog_set_progress_flags(xd->sl, SL_PROG_CLEAN);
		sharelog_publish_progress(xd->sl, true);
	}
	pthread_mutex_unlock(&xd->rmu);
	xs_snapshot(xd);
	return NULL;
}
