// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One thread per share peer: connect (with backoff), attach to or format
 * its share volume, resync it when it cannot be streamed to, then follow
 * the share log from what the peer holds: derive share i of each record
 * (volume key + generation), append, pump, persist the cursor once the
 * peer acknowledged, checkpoint up to what every live peer holds. A peer
 * that is slow, stopped or dead only ever blocks its own thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "rd_peer_priv.h"

#define RD_MAX_JOURNAL (1ULL << 30)

uint64_t rd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void rd_nap(const atomic_int *stop, int ms)
{
	while (ms > 0 && !atomic_load(&rd_stopping) &&
	       !(stop && atomic_load(stop))) {
		int step = ms < 50 ? ms : 50;

		usleep((useconds_t)step * 1000);
		ms -= step;
	}
}

bool rd_should_stop(const struct rd_pctx *c)
{
	return atomic_load(&rd_stopping) || atomic_load(&c->p->stop);
}

void rd_peer_set_state(struct rd_peer *p, unsigned state)
{
	pthread_mutex_lock(&p->mu);
	p->st.state = (uint8_t)state;
	pthread_mutex_unlock(&p->mu);
}

void rd_peer_set_error(struct rd_peer *p, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&p->mu);
	if (strncmp(p->st.error, buf, sizeof(p->st.error) - 1))
		log_warn("%s: peer %u: %s", p->e->name, p->index, buf);
	snprintf(p->st.error, sizeof(p->st.error), "%s", buf);
	p->st.errors++;
	pthread_mutex_unlock(&p->mu);
}

static void grow(struct rd_pctx *c, uint32_t nb)
{
	size_t need = (size_t)nb * c->share_size;

	if (need > c->buf_cap) {
		free(c->buf);
		c->buf = malloc(need);
		c->buf_cap = c->buf ? need : 0;
	}
	if (nb > c->ents_cap) {
		free(c->ents);
		c->ents = calloc(nb, sizeof(*c->ents));
		c->ents_cap = c->ents ? nb : 0;
	}
}

int rd_record_batch(struct rd_pctx *c, const void *rec, struct sv_batch *b)
{
	struct sl_rec_hdr h;
	bool wr;

	sl_record_decode(rec, &h);
	if (h.type == SL_REC_GROW)
		return 1;
	wr = h.type == SL_REC_WRITE;
	if (h.block_size != c->e->block_size || !h.nblocks ||
	    h.lba + h.nblocks > c->e->nblocks)
		return sv_fail(&c->st, SV_E_FIELD, -ERANGE,
			       "log record %" PRIu64 " (blocks %" PRIu64
			       "+%u of %u) outside the volume",
			       h.seq, h.lba, h.nblocks, h.block_size);
	grow(c, h.nblocks);
	if (!c->buf || !c->ents)
		return sv_fail(&c->st, SV_E_NOMEM, -ENOMEM, "share buffer");
	if (wr &&
	    xs_derive_blocks(c->xs, c->i, h.first_gen, sl_record_data(rec),
			     h.nblocks, h.block_size, c->buf))
		return sv_fail(&c->st, SV_E_SHARE, -EIO,
			       "deriving share %u of seq %" PRIu64 " failed",
			       c->i, h.seq);
	for (uint32_t j = 0; j < h.nblocks; j++)
		c->ents[j] = (struct sv_share_ent){
			h.lba + j, wr ? h.first_gen + j : 0,
			wr ? c->buf + (size_t)j * c->share_size : NULL};
	*b = (struct sv_batch){h.seq, h.time_ns, h.nblocks, c->ents};
	return 0;
}

static void note_acked(struct rd_pctx *c)
{
	uint64_t t, a = sv_writer_acked(c->w, &t);
	struct rd_peer *p = c->p;
	struct peer_stats ps;

	if (a > c->confirmed) {
		int ret = sharelog_peer_confirm(rd_log_sl(c->log), c->i, a);

		if (!ret)
			c->confirmed = a;
		else if (ret != -ERANGE)
			rd_peer_set_error(p, "cursor file: %s", strerror(-ret));
	}
	if (a > atomic_load(&p->acked))
		atomic_store(&p->progress_ns, rd_now_ns());
	atomic_store(&p->acked, a);
	if (atomic_load(&p->excluded)) {
		uint64_t floor = rd_engine_floor(c->e);

		/* caught up with what the others may have checkpointed */
		if (floor == UINT64_MAX || a >= floor) {
			atomic_store(&p->excluded, false);
			rd_engine_set_member(c->e, c->i, true);
			log_info("%s: peer %u caught up (seq %" PRIu64
				 "): counts for checkpoints again",
				 c->e->name, c->i, a);
		}
	}
	peer_get_stats(c->pr, &ps);
	pthread_mutex_lock(&p->mu);
	p->st.acked_seq = a;
	p->st.acked_time_ns = t;
	p->st.sent_seq = sv_writer_last(c->w);
	p->st.bytes_written = ps.bytes_written;
	p->st.ckpt_seq = sv_writer_info(c->w)->ckpt_seq;
	pthread_mutex_unlock(&p->mu);
}

int rd_pump(struct rd_pctx *c, int timeout_ms)
{
	int ret = sv_writer_pump(c->w, timeout_ms, &c->st);

	if (!ret)
		note_acked(c);
	return ret;
}

static int members(struct rd_pctx *c);

static int checkpoint(struct rd_pctx *c, bool force)
{
	uint64_t now = rd_now_ns(), floor, epoch;
	uint32_t mask;
	int ret;

	if (!force && now - c->last_ckpt_ns <
			      (uint64_t)rd_opts.checkpoint_ms * 1000000ULL)
		return 0;
	c->last_ckpt_ns = now;
	{
		uint64_t used, size;

		/* past half the journal and the floor is someone else's:
		 * do not wait for a peer that may never come back */
		sv_writer_usage(c->w, &used, &size);
		if (used * 2 > size &&
		    rd_engine_floor(c->e) < sv_writer_acked(c->w, NULL))
			rd_engine_exclude_laggard(c->e, c->p);
	}
	/*
	 * A checkpoint past a peer the engine let go drops records that peer
	 * still needs to restore together with this one: this share volume
	 * must say so (the epoch without it) before. So the epoch is recorded
	 * first, and if it moved while the floor was read, no checkpoint this
	 * time (a crash between the two left pairs that could not restore and
	 * did not know why).
	 */
	ret = members(c);
	if (ret)
		return ret;
	floor = rd_engine_floor(c->e);
	rd_engine_members(c->e, &epoch, &mask);
	if (epoch > sv_writer_info(c->w)->epoch)
		return 0;
	if (floor == UINT64_MAX || floor <= sv_writer_info(c->w)->ckpt_seq)
		return 0;
	ret = sv_writer_checkpoint(c->w, floor, now, &c->st);
	if (!ret) {
		pthread_mutex_lock(&c->p->mu);
		c->p->st.checkpoints++;
		c->p->st.ckpt_seq = sv_writer_info(c->w)->ckpt_seq;
		pthread_mutex_unlock(&c->p->mu);
	}
	return ret;
}

/* Key share once per attach, location table whenever it changes. */
static int blobs(struct rd_pctx *c)
{
	struct rd_engine *e = c->e;
	uint64_t gen = atomic_load(&e->loc_gen);
	int ret;

	if (!c->key_blob_done) {
		ret = sv_writer_put_blob(c->w, SV_BLOB_KEY, e->key_shares[c->i],
					 (uint32_t)e->key_share_len, &c->st);
		if (ret)
			return ret;
		c->key_blob_done = true;
	}
	if (gen != atomic_load(&c->p->blob_gen)) {
		uint8_t *copy = NULL;
		size_t len = 0;

		pthread_mutex_lock(&e->blob_mu);
		if (e->loc_blob &&
		    (copy = malloc(e->loc_len ? e->loc_len : 1))) {
			memcpy(copy, e->loc_blob, e->loc_len);
			len = e->loc_len;
		}
		pthread_mutex_unlock(&e->blob_mu);
		if (!copy)
			return 0;
		ret = sv_writer_put_blob(c->w, SV_BLOB_LOCATIONS, copy,
					 (uint32_t)len, &c->st);
		free(copy);
		if (ret)
			return ret;
		atomic_store(&c->p->blob_gen, gen);
	}
	return 0;
}

/* A new membership epoch goes into this share volume's superblock, so a
 * restore leaves out the volumes it excludes (sv_common_seq). */
static int members(struct rd_pctx *c)
{
	uint64_t epoch;
	uint32_t mask;

	rd_engine_members(c->e, &epoch, &mask);
	if (epoch <= sv_writer_info(c->w)->epoch)
		return 0;
	return sv_writer_set_members(c->w, epoch, mask, &c->st);
}

/* Appends one batch (or the GROW record of seq grow_seq), pumping while
 * the writer is full. */
static int append(struct rd_pctx *c, const struct sv_batch *b, uint64_t grow_nb,
		  uint64_t grow_seq, uint64_t grow_ns)
{
	for (;;) {
		int ret = b ? sv_writer_append(c->w, b, &c->st)
			    : sv_writer_grow(c->w, grow_nb, grow_seq, grow_ns,
					     &c->st);

		if (ret != -EAGAIN && ret != -ENOSPC)
			return ret;
		if (ret == -ENOSPC && c->st.code == SV_E_SMALL)
			return ret;
		if (rd_should_stop(c))
			return -EINTR;
		if (ret == -ENOSPC) {
			ret = checkpoint(c, true);
			if (ret)
				return ret;
		}
		ret = rd_pump(c, 50);
		if (ret)
			return ret;
		if (sv_writer_acked(c->w, NULL) >= sv_writer_last(c->w))
			rd_peer_set_state(c->p, RD_PS_LAGGING);
	}
}

int rd_grow(struct rd_pctx *c, uint64_t nblocks, uint64_t seq, uint64_t time_ns)
{
	uint64_t cur = atomic_load(&c->e->nblocks);
	unsigned state;
	int ret;

	pthread_mutex_lock(&c->p->mu);
	state = c->p->st.state;
	pthread_mutex_unlock(&c->p->mu);
	while (nblocks > cur &&
	       !atomic_compare_exchange_weak(&c->e->nblocks, &cur, nblocks))
		;
	for (;;) {
		ret = append(c, NULL, nblocks, seq, time_ns);
		if (ret != -ENOSPC || c->st.code != SV_E_SMALL)
			break;
		/* the status keeps 63 bytes: the size to grow to comes first */
		rd_peer_set_error(c->p, "%s", c->st.msg);
		rd_peer_set_state(c->p, RD_PS_BLOCKED);
		if (!c->grow_blocked)
			log_warn("%s: peer %u: the volume grew to %" PRIu64
				 " blocks; its share LUN is too small: %s",
				 c->e->name, c->i, nblocks, c->st.msg);
		c->grow_blocked = true;
		/* what is queued still goes out (and gets acknowledged) */
		ret = rd_pump(c, 0);
		if (!ret)
			rd_nap(&c->p->stop, 1000);
		if (!ret && rd_should_stop(c))
			ret = -EINTR;
		if (!ret)
			ret = peer_refresh_capacity(c->pr, &c->st);
		if (ret)
			break;
	}
	if (!ret && c->grow_blocked) {
		c->grow_blocked = false;
		log_info("%s: peer %u: share LUN now large enough (%" PRIu64
			 " bytes): going on",
			 c->e->name, c->i, peer_dev(c->pr)->capacity);
		pthread_mutex_lock(&c->p->mu);
		c->p->st.error[0] = 0;
		pthread_mutex_unlock(&c->p->mu);
		rd_peer_set_state(c->p, state == RD_PS_BLOCKED ? RD_PS_LAGGING
							       : state);
	}
	return ret;
}

/*
 * In sync = the peer holds every record the log has, not only the durable
 * ones: records not yet flushed locally are writes the peer lacks too, and a
 * test or an operator reading "in-sync" right after the writes stop must be
 * able to trust it.
 */
static void show_sync_state(struct rd_pctx *c)
{
	struct sharelog_stats ls;
	uint64_t durable, old = atomic_load(&c->e->durable_seq);

	rd_log_stats(c->log, &ls);
	durable = ls.durable_seq;
	while (durable > old &&
	       !atomic_compare_exchange_weak(&c->e->durable_seq, &old, durable))
		;

	rd_peer_set_state(c->p, sv_writer_acked(c->w, NULL) >= durable &&
						durable >= ls.last_seq
					? RD_PS_IN_SYNC
					: RD_PS_LAGGING);
}

/* Streams the log from what the peer holds; returns 1 when a resync is
 * needed, 0 when stopping, < 0 on a device or log error. */
static int stream(struct rd_pctx *c)
{
	struct sharelog_stats ls;
	char err[256];
	int ret;

	atomic_store(&c->p->live, true);
	rd_engine_note_epoch(c->e, sv_writer_info(c->w)->epoch,
			     sv_writer_info(c->w)->live_mask);
	if (!atomic_load(&c->p->excluded))
		rd_engine_set_member(c->e, c->i, true);
	for (;;) {
		uint64_t next = sv_writer_last(c->w) + 1, durable;
		struct sl_iter *it = NULL;
		bool idle = true;

		if (rd_should_stop(c))
			return 0;
		if (rd_log_needs_resync(c->log, c->i))
			return 1;
		rd_log_stats(c->log, &ls);
		durable = rd_log_durable(c->log);
		if (next <= durable && ls.first_seq > next)
			return 1; /* the records it misses are gone */
		if (next > ls.last_seq + 1 && ls.last_seq) {
			/* it holds seqs this log never made durable (another
			 * log, or one that lost its tail): those seqs will be
			 * handed out again with other data */
			sv_fail(&c->st, SV_E_STALE, 0,
				"peer holds seq %" PRIu64
				", the log ends at %" PRIu64,
				next - 1, ls.last_seq);
			rd_peer_set_error(c->p, "%s", c->st.msg);
			return 1;
		}
		if (next <= durable) {
			ret = sharelog_iter_open(rd_log_sl(c->log), next, &it);
			if (ret == -ENOENT)
				return 1;
			if (ret)
				return sv_fail(&c->st, SV_E_IO, ret,
					       "log iterator: %s",
					       strerror(-ret));
		}
		while (it && next <= durable && !rd_should_stop(c)) {
			const void *rec;
			struct sv_batch b;
			struct sl_rec_hdr h;

			ret = sharelog_iter_next(it, &rec);
			if (ret <= 0)
				break;
			sl_record_decode(rec, &h);
			if (h.seq < next)
				continue;
			if (h.seq != next) {
				ret = -ENOENT; /* freed under us */
				break;
			}
			ret = rd_record_batch(c, rec, &b);
			if (ret == 1)
				ret = rd_grow(c, h.lba + h.nblocks, h.seq,
					      h.time_ns);
			else if (!ret)
				ret = append(c, &b, 0, 0, 0);
			if (ret)
				break;
			next++;
			idle = false;
		}
		sharelog_iter_close(it);
		if (ret == -ENOENT)
			return 1;
		if (ret < 0 && ret != -EINTR)
			return ret;
		ret = rd_pump(c, idle ? 20 : 0);
		if (!ret)
			ret = checkpoint(c, false);
		if (!ret)
			ret = blobs(c);
		if (!ret)
			ret = members(c);
		if (ret)
			return ret;
		show_sync_state(c);
		if (idle) {
			rd_nap(&c->p->stop, 50);
			if (rd_log_refresh(c->log, err, sizeof(err)))
				rd_peer_set_error(c->p, "share log: %s", err);
		}
	}
}

/* Journal for a new share volume: what the LUN has room for, up to 1 GiB. */
static uint64_t journal_len(struct rd_pctx *c)
{
	struct sv_dev *dev = peer_dev(c->pr);
	uint64_t slot = (48 + c->share_size + dev->block_size - 1) /
			dev->block_size * dev->block_size;
	uint64_t need = 2 * SV_JOURNAL_OFF + c->e->nblocks * slot;
	uint64_t j;

	if (dev->capacity < need + SV_MIN_JOURNAL)
		return SV_MIN_JOURNAL; /* the format names the shortfall */
	j = dev->capacity - need;
	if (j > RD_MAX_JOURNAL)
		j = RD_MAX_JOURNAL;
	return j / dev->block_size * dev->block_size;
}

static int open_writer(struct rd_pctx *c)
{
	struct sv_writer_cfg cfg = {0};
	struct rd_engine *e = c->e;

	memcpy(cfg.params.uuid, e->uuid, 16);
	cfg.params.k = e->k;
	cfg.params.n = e->n;
	cfg.params.index = c->i;
	cfg.params.block_size = e->block_size;
	cfg.params.nblocks = e->nblocks;
	cfg.params.journal_len = journal_len(c);
	cfg.params.retain_s = c->p->conf.retain;
	cfg.params.epoch = 1;
	cfg.format = true;
	/* a LUN we did not fill is not known to read as zeroes: the format
	 * marks it RESYNC and the resync fills every slot */
	cfg.zeroed = false;
	cfg.op_timeout_ms = rd_opts.op_timeout_ms * 2;
	c->key_blob_done = false;
	atomic_store(&c->p->blob_gen, 0); /* a new volume gets the table */
	return sv_writer_open(&c->w, peer_dev(c->pr), &cfg, &c->st);
}

/* Never in the clear unless the configuration says so: tls is the
 * default, and it needs the peer's pin and our node key. */
static void transport(struct rd_pctx *c, struct peer_cfg *cfg)
{
	cfg->transport = c->p->conf.transport;
	if (cfg->transport == PEER_TRANSPORT_TLS) {
		cfg->tls_pin = c->p->conf.pin;
		cfg->tls_key = rd_opts.key;
	}
}

static int setup(struct rd_pctx *c)
{
	struct peer_cfg cfg = {.url = c->p->conf.url,
			       .op_timeout_ms = rd_opts.op_timeout_ms,
			       .connect_timeout_ms = rd_opts.op_timeout_ms,
			       .rate = c->p->conf.rate,
			       .backoff_min_ms = 200,
			       .backoff_max_ms = 30000};
	char err[256];
	int ret;

	c->share_size = xs_share_size(c->e->n, c->e->block_size);
	transport(c, &cfg);
	if (cfg.transport == PEER_TRANSPORT_TLS && !cfg.tls_pin) {
		/* the status file keeps 63 bytes: the advice comes first */
		rd_peer_set_error(c->p, "tls needs pin=; else declare "
					"transport=ipsec or plain");
		return -EINVAL;
	}
	ret = xs_ctx_new(&c->xs, c->e->k, c->e->n, c->e->block_size,
			 c->e->sha256 ? XS_F_CHECK_SHA256 : 0);
	if (!ret)
		ret = xs_ctx_set_key(c->xs, c->e->key);
	if (ret) {
		rd_peer_set_error(c->p, "codec: %s", strerror(-ret));
		return ret;
	}
	ret = peer_new(&c->pr, &cfg, &c->st);
	if (ret) {
		rd_peer_set_error(c->p, "%s: %s", sv_err_name(c->st.code),
				  c->st.msg);
		return ret;
	}
	ret = rd_log_open(&c->log, c->e->log_dir, err, sizeof(err));
	if (ret)
		rd_peer_set_error(c->p, "share log: %s", err);
	return ret;
}

static void fail(struct rd_pctx *c, unsigned state)
{
	rd_peer_set_error(c->p, "%s: %s", sv_err_name(c->st.code), c->st.msg);
	rd_peer_set_state(c->p, state);
}

static void run(struct rd_pctx *c)
{
	int ret;

	while (!rd_should_stop(c)) {
		if (!peer_connected(c->pr)) {
			char err[256];

			/* dropped by the store while away: stop holding the
			 * others' checkpoints back */
			if (!rd_log_refresh(c->log, err, sizeof(err)) &&
			    rd_log_needs_resync(c->log, c->i)) {
				atomic_store(&c->p->live, false);
				rd_engine_set_member(c->e, c->i, false);
				rd_peer_set_state(c->p, RD_PS_NEEDS_RESYNC);
			}
			rd_nap(&c->p->stop, peer_backoff_ms(c->pr));
			if (rd_should_stop(c))
				break;
			pthread_mutex_lock(&c->p->mu);
			c->p->st.connected = false;
			pthread_mutex_unlock(&c->p->mu);
			if (peer_connect(c->pr, &c->st)) {
				fail(c, c->st.code == SV_E_REFUSED ||
							c->st.code == SV_E_TLS
						? RD_PS_BLOCKED
					: atomic_load(&c->p->live)
						? RD_PS_OFFLINE
						: RD_PS_NEEDS_RESYNC);
				continue;
			}
			pthread_mutex_lock(&c->p->mu);
			c->p->st.connected = true;
			c->p->st.reconnects++;
			pthread_mutex_unlock(&c->p->mu);
			if (c->w && sv_writer_resume(c->w, &c->st)) {
				sv_writer_free(c->w);
				c->w = NULL;
			}
		}
		if (!c->w && open_writer(c)) {
			/* not ours (foreign, wrong index, too small): never
			 * write over it; look again later */
			fail(c, peer_connected(c->pr) ? RD_PS_BLOCKED
						      : RD_PS_OFFLINE);
			peer_disconnect(c->pr, -ECONNRESET);
			rd_nap(&c->p->stop, 5000);
			continue;
		}
		if (sv_writer_info(c->w)->flags & SV_SF_RESYNC ||
		    rd_log_needs_resync(c->log, c->i))
			ret = 1;
		else
			ret = stream(c);
		if (ret == 1)
			ret = rd_resync(c);
		if (ret < 0 && !rd_should_stop(c)) {
			fail(c, RD_PS_OFFLINE);
			peer_disconnect(c->pr, -ECONNRESET);
		}
	}
	/* a clean stop: what is queued gets a last chance */
	if (c->w && peer_connected(c->pr) &&
	    !sv_writer_drain(c->w, 2000, &c->st))
		note_acked(c);
}

static void *peer_main(void *arg)
{
	struct rd_peer *p = arg;
	struct rd_pctx c = {.p = p, .e = p->e, .i = p->index};

	rd_peer_set_state(p, RD_PS_OFFLINE);
	while (!rd_should_stop(&c) && setup(&c)) {
		rd_peer_set_state(p, RD_PS_BLOCKED);
		peer_free(c.pr);
		c.pr = NULL;
		rd_log_close(c.log);
		c.log = NULL;
		xs_ctx_free(c.xs);
		c.xs = NULL;
		rd_nap(&p->stop, 5000);
	}
	if (!rd_should_stop(&c)) {
		struct sharelog_peer sp;

		sharelog_get_peer(rd_log_sl(c.log), c.i, &sp);
		if (!sp.needs_resync && !atomic_load(&p->acked))
			atomic_store(&p->acked, sp.cursor);
		atomic_store(&p->progress_ns, rd_now_ns());
		run(&c);
	}
	atomic_store(&p->live, false);
	sv_writer_free(c.w);
	peer_free(c.pr);
	rd_log_close(c.log);
	xs_ctx_free(c.xs);
	free(c.buf);
	free(c.ents);
	return NULL;
}

int rd_peer_start(struct rd_engine *e, unsigned index,
		  const struct rd_peer_conf *pc)
{
	struct rd_peer *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->e = e;
	p->index = index;
	p->conf = *pc;
	p->conf.url = strdup(pc->url);
	p->conf.pin = pc->pin ? strdup(pc->pin) : NULL;
	p->st.transport = (uint8_t)pc->transport;
	/* counts for the floor from the start (with the seq its cursor file
	 * says it holds, set when its thread opens the log): a peer that
	 * held data and does not come back holds checkpoints back until the
	 * store drops it or the exclusion rule lets it go */
	atomic_store(&p->live, true);
	pthread_mutex_init(&p->mu, NULL);
	if (!p->conf.url || (pc->pin && !p->conf.pin) ||
	    pthread_create(&p->thread, NULL, peer_main, p)) {
		free(p->conf.url);
		free(p->conf.pin);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -ENOMEM;
	}
	p->started = true;
	e->peers[index] = p;
	return 0;
}

void rd_peer_stop(struct rd_peer *p)
{
	atomic_store(&p->stop, 1);
	if (p->started)
		pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	free(p->conf.url);
	free(p->conf.pin);
	free(p);
}
