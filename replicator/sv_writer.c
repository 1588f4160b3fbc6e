// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share writer: journal appends, acknowledgement, checkpoint, resume and
 * resync of one peer's share volume. doc/share-volume-format.md has the
 * protocol and why each write and flush is where it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sv_writer.h"
#include "sv_priv.h"

enum chunk_state {
	C_OPEN,	  /* records still being added */
	C_READY,  /* to be (re)submitted */
	C_FLIGHT, /* write in flight */
	C_DONE,	  /* written, not yet known durable */
};

struct chunk {
	struct sv_writer *w;
	uint64_t id;
	uint64_t pos;
	uint32_t len, cap;
	uint64_t last_seq, last_ns;
	enum chunk_state state;
	uint8_t *buf;
};

/* A journal record after the checkpoint (queued or durable). */
struct jr {
	uint64_t pos, seq, ns;
	uint32_t len, nent;
};

struct sv_writer {
	struct sv_dev *dev;
	struct sv_writer_cfg cfg;
	struct sv_info info; /* the superblock as last made durable */
	uint64_t head;	     /* ring position of the next record */
	uint64_t last_seq, last_ns;
	uint64_t acked_seq, acked_ns;
	struct chunk **q; /* oldest first */
	unsigned qn, qcap;
	uint64_t next_id;
	size_t held; /* bytes of queued chunks */
	unsigned jwrites;
	unsigned slots; /* slot writes in flight */
	unsigned inflight;
	bool sync_busy;
	uint64_t sync_id; /* chunks with id <= this are covered */
	int err;	  /* sticky device error */
	struct jr *jr;
	size_t njr, capjr;
	uint64_t blob_gen[SV_BLOB_TYPES + 1];
	uint8_t *sbbuf;
};

struct wop {
	int done, err;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void wop_cb(void *arg, int err)
{
	struct wop *o = arg;

	o->err = err;
	o->done = 1;
}

static void op_done(struct sv_writer *w, int err)
{
	w->inflight--;
	if (err && !w->err)
		w->err = err;
}

/*
 * Polls until the operation completes. The device guarantees that every
 * operation completes (with -ETIMEDOUT at worst) by its own deadline, so
 * this never waits forever and never returns with o still referenced.
 */
static int wait_op(struct sv_writer *w, struct wop *o, const char *what,
		   struct sv_status *st)
{
	while (!o->done)
		w->dev->ops->poll(w->dev->priv, 100);
	if (o->err)
		return sv_fail(st,
			       o->err == -ETIMEDOUT ? SV_E_TIMEOUT : SV_E_IO,
			       o->err, "%s failed (%d)", what, o->err);
	return 0;
}

static int blocking(struct sv_writer *w, int op, uint64_t off, void *buf,
		    size_t len, const char *what, struct sv_status *st)
{
	struct wop o = {0};
	int ret;

	if (op == 0)
		ret = w->dev->ops->read(w->dev->priv, off, buf, len, wop_cb,
					&o);
	else if (op == 1)
		ret = w->dev->ops->write(w->dev->priv, off, buf, len, wop_cb,
					 &o);
	else
		ret = w->dev->ops->sync(w->dev->priv, wop_cb, &o);
	if (ret)
		return sv_fail(st, SV_E_IO, ret, "%s: submit failed (%d)", what,
			       ret);
	return wait_op(w, &o, what, st);
}

static int bread(struct sv_writer *w, uint64_t off, void *buf, size_t len,
		 struct sv_status *st)
{
	return blocking(w, 0, off, buf, len, "read", st);
}

static int bsync(struct sv_writer *w, struct sv_status *st)
{
	return blocking(w, 2, 0, NULL, 0, "SYNCHRONIZE CACHE", st);
}

/* Synchronous read for the reader, through the async device. */
static int reader_read(void *arg, uint64_t off, void *buf, size_t len)
{
	return bread(arg, off, buf, len, NULL);
}

/*
 * Writes the next superblock generation into the copy not holding the
 * current one, then flushes: the current copy stays intact until the new
 * one is durable, so a torn write leaves the previous state.
 */
static int write_super(struct sv_writer *w, struct sv_info *next,
		       struct sv_status *st)
{
	int ret;

	next->gen = w->info.gen + 1;
	next->write_ns = now_ns();
	memset(w->sbbuf, 0, w->info.align);
	sv_super_encode(next, w->sbbuf);
	ret = blocking(w, 1, (next->gen % 2) * SV_SUPER_AREA, w->sbbuf,
		       w->info.align, "superblock write", st);
	if (!ret)
		ret = bsync(w, st);
	if (!ret)
		w->info = *next;
	return ret;
}

static int jr_push(struct sv_writer *w, const struct jr *j)
{
	if (w->njr == w->capjr) {
		size_t n = w->capjr ? 2 * w->capjr : 256;
		struct jr *p = realloc(w->jr, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->jr = p;
		w->capjr = n;
	}
	w->jr[w->njr++] = *j;
	return 0;
}

static void jr_drop_upto(struct sv_writer *w, uint64_t seq)
{
	size_t i = 0;

	while (i < w->njr && w->jr[i].seq <= seq)
		i++;
	memmove(w->jr, w->jr + i, (w->njr - i) * sizeof(*w->jr));
	w->njr -= i;
}

static void read_blob_gens(struct sv_writer *w)
{
	uint8_t *buf = malloc(SV_BLOB_AREA);
	struct sv_blob b;
	unsigned t, c;

	if (!buf)
		return;
	for (t = 1; t <= SV_BLOB_TYPES; t++)
		for (c = 0; c < 2; c++)
			if (!bread(w, sv_blob_off(t, c), buf, SV_BLOB_AREA,
				   NULL) &&
			    !sv_blob_decode(&w->info, buf, SV_BLOB_AREA, t, &b,
					    NULL) &&
			    b.gen > w->blob_gen[t])
				w->blob_gen[t] = b.gen;
	free(buf);
}

static int check_params(const struct sv_info *in, const struct sv_params *p,
			struct sv_status *st)
{
	if (memcmp(in->uuid, p->uuid, 16))
		return sv_fail(st, SV_E_FOREIGN, -ESTALE,
			       "LUN holds a share volume of another volume");
	if (in->index != p->index)
		return sv_fail(st, SV_E_INDEX, -ESTALE,
			       "LUN holds share %u, not %u", in->index,
			       p->index);
	if (in->k != p->k || in->n != p->n || in->block_size != p->block_size ||
	    in->nblocks != p->nblocks)
		return sv_fail(st, SV_E_FIELD, -ESTALE,
			       "LUN holds k=%u n=%u block %u x %" PRIu64
			       ", want k=%u n=%u block %u x %" PRIu64,
			       in->k, in->n, in->block_size, in->nblocks, p->k,
			       p->n, p->block_size, p->nblocks);
	return 0;
}

static int format(struct sv_writer *w, struct sv_status *st)
{
	struct sv_params p = w->cfg.params;
	struct sv_info next;
	uint64_t now = now_ns();
	int ret;

	if (!p.align)
		p.align = w->dev->block_size;
	if (!p.live_mask)
		p.live_mask = (1u << p.n) - 1;
	ret = sv_layout_init(&w->info, &p, now, st);
	if (ret)
		return ret;
	if (sv_layout_end(&w->info) > w->dev->capacity)
		return sv_fail(st, SV_E_SMALL, -ENOSPC,
			       "share volume needs %" PRIu64
			       " bytes, LUN has %" PRIu64,
			       sv_layout_end(&w->info), w->dev->capacity);
	/*
	 * Ring positions only grow, also across formats of the same LUN:
	 * starting at the time in microseconds keeps records of an earlier
	 * format of this volume out of the new ring.
	 */
	w->info.jtail_pos = sv_roundup(now / 1000, w->info.align);
	if (!w->cfg.zeroed)
		w->info.flags |= SV_SF_RESYNC;
	w->info.gen = 0;
	w->sbbuf = aligned_alloc(4096, 4096);
	if (!w->sbbuf)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "superblock buffer");
	next = w->info;
	ret = write_super(w, &next, st);
	if (ret)
		return ret;
	w->head = w->info.jtail_pos;
	w->last_seq = w->acked_seq = w->info.ckpt_seq;
	w->last_ns = w->acked_ns = w->info.ckpt_ns;
	return 0;
}

static int attach(struct sv_writer *w, struct sv_status *st)
{
	struct sv_read_io io = {reader_read, w, w->dev->capacity};
	struct sv_expect exp = {w->cfg.params.uuid, (int)w->cfg.params.index};
	const struct sv_jrec *jrec;
	struct sv_reader *r;
	struct sv_range rg;
	unsigned i, n;
	int ret;

	ret = sv_reader_open(&r, &io, &exp, st);
	if (ret)
		return ret;
	w->info = *sv_reader_info(r);
	ret = check_params(&w->info, &w->cfg.params, st);
	if (!ret && w->info.align % w->dev->block_size)
		ret = sv_fail(st, SV_E_FIELD, -EINVAL,
			      "volume aligned to %u, LUN blocks are %u",
			      w->info.align, w->dev->block_size);
	if (ret)
		goto out;
	jrec = sv_reader_journal(r, &n, &w->head);
	for (i = 0; i < n && !ret; i++)
		ret = jr_push(w, &(struct jr){jrec[i].pos, jrec[i].seq,
					      jrec[i].time_ns, jrec[i].rec_len,
					      jrec[i].nent});
	if (ret) {
		ret = sv_fail(st, SV_E_NOMEM, ret, "journal list");
		goto out;
	}
	sv_reader_range(r, &rg);
	w->last_seq = rg.s_max;
	w->last_ns = rg.t_max_ns;
	w->sbbuf = aligned_alloc(4096, 4096);
	if (!w->sbbuf)
		ret = sv_fail(st, SV_E_NOMEM, -ENOMEM, "superblock buffer");
out:
	sv_reader_free(r);
	if (ret)
		return ret;
	/* What the scan read may sit in the target's cache: make it durable
	 * before calling it acknowledged. */
	ret = bsync(w, st);
	if (ret)
		return ret;
	w->acked_seq = w->last_seq;
	w->acked_ns = w->last_ns;
	read_blob_gens(w);
	return 0;
}

int sv_writer_open(struct sv_writer **wp, struct sv_dev *dev,
		   const struct sv_writer_cfg *cfg, struct sv_status *st)
{
	uint8_t c[2][SV_SUPER_SIZE];
	struct sv_status s0 = {0}, s1 = {0};
	struct sv_info tmp;
	struct sv_writer *w;
	int ret;

	*wp = NULL;
	if (!sv_is_pow2(dev->block_size) || dev->block_size < 512 ||
	    dev->block_size > 4096)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "LUN block size %u not supported",
			       dev->block_size);
	if (dev->capacity < SV_JOURNAL_OFF)
		return sv_fail(st, SV_E_SMALL, -ENOSPC,
			       "LUN of %" PRIu64 " bytes", dev->capacity);
	w = calloc(1, sizeof(*w));
	if (!w)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "writer");
	w->dev = dev;
	w->cfg = *cfg;
	if (!w->cfg.chunk)
		w->cfg.chunk = 1 << 20;
	if (!w->cfg.window)
		w->cfg.window = 8;
	if (!w->cfg.max_unacked)
		w->cfg.max_unacked = 64 << 20;
	w->info.align = dev->block_size;
	ret = bread(w, 0, c[0], SV_SUPER_SIZE, st);
	if (!ret)
		ret = bread(w, SV_SUPER_AREA, c[1], SV_SUPER_SIZE, st);
	if (ret)
		goto fail;
	sv_super_decode(c[0], SV_SUPER_SIZE, 0, &tmp, &s0);
	sv_super_decode(c[1], SV_SUPER_SIZE, 0, &tmp, &s1);
	if (s0.code == SV_E_MAGIC && s1.code == SV_E_MAGIC) {
		if (!cfg->format) {
			ret = sv_fail(st, SV_E_MAGIC, -ENOENT,
				      "LUN holds no share volume");
			goto fail;
		}
		ret = format(w, st);
	} else {
		ret = attach(w, st);
	}
	if (ret)
		goto fail;
	*wp = w;
	return 0;
fail:
	sv_writer_free(w);
	return ret;
}

void sv_writer_free(struct sv_writer *w)
{
	unsigned i;

	if (!w)
		return;
	for (i = 0; i < w->qn; i++) {
		free(w->q[i]->buf);
		free(w->q[i]);
	}
	free(w->q);
	free(w->jr);
	free(w->sbbuf);
	free(w);
}

static struct chunk *chunk_new(struct sv_writer *w, uint64_t pos, uint32_t cap)
{
	struct chunk *c;

	if (w->qn == w->qcap) {
		unsigned n = w->qcap ? 2 * w->qcap : 16;
		struct chunk **q = realloc(w->q, n * sizeof(*q));

		if (!q)
			return NULL;
		w->q = q;
		w->qcap = n;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->buf = aligned_alloc(4096, sv_roundup(cap, 4096));
	if (!c->buf) {
		free(c);
		return NULL;
	}
	c->w = w;
	c->id = ++w->next_id;
	c->pos = pos;
	c->cap = cap;
	c->last_seq = w->last_seq;
	c->last_ns = w->last_ns;
	w->q[w->qn++] = c;
	w->held += cap;
	return c;
}

static struct chunk *open_chunk(struct sv_writer *w)
{
	struct chunk *c = w->qn ? w->q[w->qn - 1] : NULL;

	return c && c->state == C_OPEN ? c : NULL;
}

static void close_chunk(struct sv_writer *w)
{
	struct chunk *c = open_chunk(w);

	if (c)
		c->state = C_READY;
}

static int append_wrap(struct sv_writer *w, struct sv_status *st)
{
	struct chunk *c;

	close_chunk(w);
	c = chunk_new(w, w->head, w->info.align);
	if (!c)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "journal chunk");
	sv_rec_encode(&w->info, c->buf, c->cap, SV_REC_WRAP, w->head,
		      w->last_seq, w->last_seq, w->last_ns, NULL, 0);
	c->len = c->cap;
	c->state = C_READY;
	w->head += sv_ring_room(&w->info, w->head);
	return 0;
}

int sv_writer_append(struct sv_writer *w, const struct sv_batch *b,
		     struct sv_status *st)
{
	const struct sv_info *in = &w->info;
	unsigned j, nzero = 0;
	uint64_t room, need;
	struct chunk *c;
	uint32_t len;
	int ret;

	if (w->err)
		return sv_fail(st, SV_E_IO, -EIO, "device broken (%d)", w->err);
	if (b->seq <= w->last_seq)
		return 0;
	if (!b->count || (in->flags & SV_SF_RESYNC))
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "batch seq %" PRIu64 ": %s", b->seq,
			       b->count ? "volume in resync" : "no blocks");
	for (j = 0; j < b->count; j++) {
		if (b->ents[j].lba >= in->nblocks)
			return sv_fail(st, SV_E_FIELD, -EINVAL,
				       "batch seq %" PRIu64 ": block %" PRIu64
				       " beyond volume",
				       b->seq, b->ents[j].lba);
		nzero += !b->ents[j].share;
	}
	len = sv_rec_size(in, b->count, nzero);
	if (!len || len > in->journal_len / 4)
		return sv_fail(st, SV_E_FIELD, -E2BIG,
			       "batch seq %" PRIu64 ": %u blocks too large",
			       b->seq, b->count);
	room = sv_ring_room(in, w->head);
	need = len + (len > room ? room : 0);
	if (w->head + need - in->jtail_pos > in->journal_len)
		return sv_fail(st, SV_E_FIELD, -ENOSPC, "journal full");
	if (w->held + len > w->cfg.max_unacked)
		return -EAGAIN;
	if (len > room) {
		ret = append_wrap(w, st);
		if (ret)
			return ret;
		room = sv_ring_room(in, w->head);
	}
	c = open_chunk(w);
	if (c && (c->pos + c->len != w->head || c->len + len > c->cap)) {
		close_chunk(w);
		c = NULL;
	}
	if (!c) {
		uint64_t cap = w->cfg.chunk > len ? w->cfg.chunk : len;

		if (cap > room)
			cap = room;
		c = chunk_new(w, w->head, (uint32_t)sv_roundup(cap, in->align));
		if (!c)
			return sv_fail(st, SV_E_NOMEM, -ENOMEM,
				       "journal chunk");
	}
	ret = sv_rec_encode(in, c->buf + c->len, c->cap - c->len, SV_REC_SHARES,
			    w->head, b->seq, w->last_seq, b->time_ns, b->ents,
			    b->count);
	if (ret)
		return sv_fail(st, SV_E_FIELD, ret, "encode seq %" PRIu64,
			       b->seq);
	ret = jr_push(w,
		      &(struct jr){w->head, b->seq, b->time_ns, len, b->count});
	if (ret)
		return sv_fail(st, SV_E_NOMEM, ret, "journal list");
	c->len += len;
	c->last_seq = w->last_seq = b->seq;
	c->last_ns = w->last_ns = b->time_ns;
	w->head += len;
	if (c->len + in->align > c->cap)
		c->state = C_READY;
	return 0;
}

static void chunk_cb(void *arg, int err)
{
	struct chunk *c = arg;
	struct sv_writer *w = c->w;

	w->jwrites--;
	op_done(w, err);
	c->state = err ? C_READY : C_DONE;
}

struct sync_op {
	struct sv_writer *w;
	uint64_t id, seq, ns;
};

static void sync_cb(void *arg, int err)
{
	struct sync_op *s = arg;
	struct sv_writer *w = s->w;
	unsigned i = 0;

	op_done(w, err);
	w->sync_busy = false;
	if (!err && s->seq > w->acked_seq) {
		w->acked_seq = s->seq;
		w->acked_ns = s->ns;
	}
	if (!err) {
		/* Every chunk up to id is durable: release it. */
		while (i < w->qn && w->q[i]->id <= s->id &&
		       w->q[i]->state == C_DONE) {
			w->held -= w->q[i]->cap;
			free(w->q[i]->buf);
			free(w->q[i]);
			i++;
		}
		memmove(w->q, w->q + i, (w->qn - i) * sizeof(*w->q));
		w->qn -= i;
	}
	free(s);
}

static int submit(struct sv_writer *w, struct sv_status *st)
{
	struct sync_op *s;
	unsigned i;
	int ret;

	for (i = 0; i < w->qn && w->jwrites < w->cfg.window; i++) {
		struct chunk *c = w->q[i];

		if (c->state == C_OPEN && c->len)
			c->state = C_READY;
		if (c->state != C_READY)
			continue;
		ret = w->dev->ops->write(w->dev->priv,
					 sv_ring_off(&w->info, c->pos), c->buf,
					 c->len, chunk_cb, c);
		if (ret)
			return sv_fail(st, SV_E_IO, ret,
				       "journal write submit (%d)", ret);
		c->state = C_FLIGHT;
		w->jwrites++;
		w->inflight++;
	}
	if (w->sync_busy || !w->qn || w->q[0]->state != C_DONE)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "sync");
	s->w = w;
	/* A flush covers the writes completed before it was issued. */
	for (i = 0; i < w->qn && w->q[i]->state == C_DONE; i++) {
		s->id = w->q[i]->id;
		s->seq = w->q[i]->last_seq;
		s->ns = w->q[i]->last_ns;
	}
	ret = w->dev->ops->sync(w->dev->priv, sync_cb, s);
	if (ret) {
		free(s);
		return sv_fail(st, SV_E_IO, ret, "sync submit (%d)", ret);
	}
	w->sync_busy = true;
	w->inflight++;
	return 0;
}

int sv_writer_pump(struct sv_writer *w, int timeout_ms, struct sv_status *st)
{
	int ret;

	if (!w->err) {
		ret = submit(w, st);
		if (ret)
			w->err = ret;
	}
	if (w->inflight)
		ret = w->dev->ops->poll(w->dev->priv, timeout_ms);
	if (!w->err)
		submit(w, st);
	if (w->err)
		return sv_fail(st,
			       w->err == -ETIMEDOUT ? SV_E_TIMEOUT : SV_E_IO,
			       w->err, "peer device failed (%d)", w->err);
	(void)ret;
	return 0;
}

int sv_writer_drain(struct sv_writer *w, int timeout_ms, struct sv_status *st)
{
	struct timespec t0, t;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (w->acked_seq < w->last_seq) {
		ret = sv_writer_pump(w, 50, st);
		if (ret)
			return ret;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
			    (t.tv_nsec - t0.tv_nsec) / 1000000 >
		    timeout_ms)
			return sv_fail(st, SV_E_TIMEOUT, -ETIMEDOUT,
				       "drain: acked %" PRIu64 " of %" PRIu64,
				       w->acked_seq, w->last_seq);
	}
	return 0;
}

uint64_t sv_writer_acked(const struct sv_writer *w, uint64_t *time_ns)
{
	if (time_ns)
		*time_ns = w->acked_ns;
	return w->acked_seq;
}

uint64_t sv_writer_last(const struct sv_writer *w)
{
	return w->last_seq;
}

void sv_writer_usage(const struct sv_writer *w, uint64_t *used, uint64_t *size)
{
	*used = w->head - w->info.jtail_pos;
	*size = w->info.journal_len;
}

const struct sv_info *sv_writer_info(const struct sv_writer *w)
{
	return &w->info;
}

/* ---- checkpoint ---- */

/* Most slots one checkpoint write covers. */
#define SV_SLOT_RUN 256

struct win {
	uint64_t lba, seq;
	uint32_t rec, ent;
};

static int cmp_win_lba(const void *a, const void *b)
{
	const struct win *x = a, *y = b;

	if (x->lba != y->lba)
		return x->lba < y->lba ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_win_rec(const void *a, const void *b)
{
	const struct win *x = a, *y = b;

	if (x->rec != y->rec)
		return x->rec < y->rec ? -1 : 1;
	return x->ent < y->ent ? -1 : x->ent > y->ent;
}

struct slot_op {
	struct sv_writer *w;
	uint8_t *buf;
};

static void slot_cb(void *arg, int err)
{
	struct slot_op *s = arg;

	s->w->slots--;
	op_done(s->w, err);
	free(s->buf);
	free(s);
}

static int wait_slots(struct sv_writer *w, unsigned below)
{
	while (w->slots >= below && w->slots)
		w->dev->ops->poll(w->dev->priv, 100);
	return w->err;
}

/* Writes count adjacent slots from lba on, from buf (count * slot_size
 * bytes, aligned_alloc'd), which the write then owns. */
static int submit_slots(struct sv_writer *w, uint64_t lba, uint8_t *buf,
			size_t count, struct sv_status *st)
{
	struct slot_op *s;
	int ret;

	ret = wait_slots(w, w->cfg.window);
	if (!ret && !(s = calloc(1, sizeof(*s))))
		ret = -ENOMEM;
	if (ret) {
		free(buf);
		return sv_fail(st, ret == -ENOMEM ? SV_E_NOMEM : SV_E_IO, ret,
			       "slot write failed (%d)", ret);
	}
	s->w = w;
	s->buf = buf;
	ret = w->dev->ops->write(w->dev->priv, sv_slot_off(&w->info, lba),
				 s->buf, count * w->info.slot_size, slot_cb, s);
	if (ret) {
		free(s->buf);
		free(s);
		return sv_fail(st, SV_E_IO, ret, "slot write submit (%d)", ret);
	}
	w->slots++;
	w->inflight++;
	return 0;
}

static uint8_t *slot_buf(struct sv_writer *w, size_t count)
{
	return aligned_alloc(4096, sv_roundup(count * w->info.slot_size, 4096));
}

static int write_slot(struct sv_writer *w, uint64_t lba, uint64_t gen,
		      uint64_t seq, const uint8_t *share, struct sv_status *st)
{
	uint8_t *buf = slot_buf(w, 1);

	if (!buf)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "slot buffer");
	sv_slot_encode(&w->info, buf, lba, gen, seq, share);
	return submit_slots(w, lba, buf, 1, st);
}

/* Reads a journal record back from the peer and checks it is the one we
 * wrote there (the peer's bytes are not trusted). */
static int read_record(struct sv_writer *w, const struct jr *j, uint8_t *buf,
		       uint32_t len, struct sv_rec *rec, struct sv_status *st)
{
	int ret = bread(w, sv_ring_off(&w->info, j->pos), buf, len, st);

	if (ret)
		return ret;
	ret = sv_rec_decode(&w->info, buf, len, j->pos, rec, st);
	if (!ret && (rec->seq != j->seq || rec->nent != j->nent ||
		     rec->rec_len != j->len))
		ret = sv_fail(st, SV_E_JOURNAL, -EBADMSG,
			      "journal record at %" PRIu64 " is seq %" PRIu64
			      ", wrote %" PRIu64,
			      j->pos, rec->seq, j->seq);
	if (!ret && len == rec->rec_len)
		ret = sv_rec_check_shares(&w->info, buf, rec, st);
	return ret;
}

/* Writes into the slots, for each block, its newest version in (ckpt, T]. */
static int apply(struct sv_writer *w, uint64_t T, struct sv_status *st)
{
	const struct sv_info *in = &w->info;
	struct win *v = NULL;
	size_t nv = 0, cap = 0, i, k, bufcap = in->align;
	uint8_t *buf = NULL;
	struct sv_rec rec;
	struct sv_ent e = {0};
	uint32_t next = 0;
	int ret = 0;

	for (i = 0; i < w->njr && w->jr[i].seq <= T; i++)
		if (w->jr[i].len > bufcap)
			bufcap = w->jr[i].len;
	buf = malloc(bufcap);
	if (!buf)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "apply buffer");
	for (i = 0; i < w->njr && w->jr[i].seq <= T && !ret; i++) {
		uint32_t meta = (uint32_t)sv_roundup(
			SV_REC_HDR_SIZE + (uint64_t)w->jr[i].nent * SV_ENT_SIZE,
			in->align);

		if (w->jr[i].seq <= in->ckpt_seq)
			continue;
		ret = read_record(w, &w->jr[i], buf, meta, &rec, st);
		if (ret)
			break;
		if (nv + rec.nent > cap) {
			size_t n = (nv + rec.nent) * 2;
			struct win *p = realloc(v, n * sizeof(*p));

			if (!p) {
				ret = sv_fail(st, SV_E_NOMEM, -ENOMEM, "apply");
				break;
			}
			v = p;
			cap = n;
		}
		for (k = 0; k < rec.nent; k++) {
			sv_rec_entry(in, buf, &rec, (unsigned)k, &next, &e);
			v[nv++] = (struct win){e.lba, rec.seq, (uint32_t)i,
					       (uint32_t)k};
		}
	}
	if (ret)
		goto out;
	/* Keep the newest version of each block, then go record by record:
	 * each slot is written once, so no two writes to it race. */
	qsort(v, nv, sizeof(*v), cmp_win_lba);
	for (i = 0, k = 0; i < nv; i++)
		if (i + 1 == nv || v[i + 1].lba != v[i].lba)
			v[k++] = v[i];
	nv = k;
	qsort(v, nv, sizeof(*v), cmp_win_rec);
	for (i = 0; i < nv && !ret;) {
		const struct jr *j = &w->jr[v[i].rec];
		unsigned ent = 0;

		ret = read_record(w, j, buf, j->len, &rec, st);
		next = 0;
		while (!ret && i < nv && &w->jr[v[i].rec] == j) {
			size_t run = 1, r;
			uint8_t *sb;

			/* A log record covers adjacent blocks: their slots
			 * are adjacent too and go in one write. */
			while (i + run < nv && run < SV_SLOT_RUN &&
			       v[i + run].rec == v[i].rec &&
			       v[i + run].lba == v[i].lba + run)
				run++;
			sb = slot_buf(w, run);
			if (!sb) {
				ret = sv_fail(st, SV_E_NOMEM, -ENOMEM,
					      "slot buffer");
				break;
			}
			for (r = 0; r < run; r++) {
				while (ent <= v[i + r].ent)
					sv_rec_entry(in, buf, &rec, ent++,
						     &next, &e);
				sv_slot_encode(in, sb + r * in->slot_size,
					       e.lba, e.gen, rec.seq,
					       e.share_off ? buf + e.share_off
							   : NULL);
			}
			ret = submit_slots(w, v[i].lba, sb, run, st);
			i += run;
		}
		/* The slot buffers are copies; buf is reused. */
	}
	if (!ret && wait_slots(w, 1))
		ret = sv_fail(st, SV_E_IO, w->err, "slot write failed (%d)",
			      w->err);
out:
	wait_slots(w, 1);
	free(v);
	free(buf);
	return ret;
}

int sv_writer_checkpoint(struct sv_writer *w, uint64_t all_acked, uint64_t now,
			 struct sv_status *st)
{
	uint64_t limit = all_acked < w->acked_seq ? all_acked : w->acked_seq;
	uint64_t T = w->info.apply_seq, Tns = w->info.apply_ns, tail;
	uint64_t retain = (uint64_t)w->info.retain_s * 1000000000ULL;
	bool pressure =
		(w->head - w->info.jtail_pos) * 4 > w->info.journal_len * 3;
	struct sv_info next;
	size_t i;
	int ret;

	if (w->err)
		return sv_fail(st, SV_E_IO, w->err, "device broken (%d)",
			       w->err);
	if (w->info.flags & SV_SF_RESYNC)
		return 0;
	for (i = 0; i < w->njr; i++)
		if (w->jr[i].seq <= limit && w->jr[i].seq > T &&
		    (pressure || !retain || w->jr[i].ns + retain <= now)) {
			T = w->jr[i].seq;
			Tns = w->jr[i].ns;
		}
	if (T <= w->info.ckpt_seq)
		return 0;
	/*
	 * 1. Raise the floor first: once slots change, no state before T
	 *    can be restored from this volume, and the superblock must say
	 *    so before the first slot write.
	 */
	if (w->info.apply_seq < T) {
		next = w->info;
		next.apply_seq = T;
		next.apply_ns = Tns;
		ret = write_super(w, &next, st);
		if (ret)
			return ret;
	}
	/* 2. Slots, then a flush: they must be durable before the journal
	 *    records that also hold them may be overwritten. */
	ret = apply(w, T, st);
	if (!ret)
		ret = bsync(w, st);
	if (ret)
		return ret;
	/* 3. The checkpoint itself frees the journal up to T. */
	tail = w->head;
	for (i = 0; i < w->njr; i++)
		if (w->jr[i].seq > T) {
			tail = w->jr[i].pos;
			break;
		}
	next = w->info;
	next.ckpt_seq = T;
	next.ckpt_ns = Tns;
	next.jtail_pos = tail;
	ret = write_super(w, &next, st);
	if (ret)
		return ret;
	jr_drop_upto(w, T);
	return 0;
}

int sv_writer_resume(struct sv_writer *w, struct sv_status *st)
{
	uint8_t c[2][SV_SUPER_SIZE];
	struct sv_info d;
	unsigned i;
	int which, ret;

	if (w->inflight)
		return sv_fail(st, SV_E_IO, -EBUSY,
			       "%u operations still in flight", w->inflight);
	w->err = 0;
	w->sync_busy = false;
	ret = bread(w, 0, c[0], SV_SUPER_SIZE, st);
	if (!ret)
		ret = bread(w, SV_SUPER_AREA, c[1], SV_SUPER_SIZE, st);
	if (!ret)
		ret = sv_super_pick(c[0], c[1], w->dev->capacity, &d, &which,
				    st);
	if (ret)
		return ret;
	/*
	 * The newest superblock must be the one we wrote last, or the one we
	 * were writing when the link broke; anything else means someone else
	 * wrote this LUN meanwhile.
	 */
	d.write_ns = w->info.write_ns;
	if (memcmp(d.uuid, w->info.uuid, 16) || d.index != w->info.index ||
	    d.journal_len != w->info.journal_len ||
	    d.nblocks != w->info.nblocks ||
	    (d.gen != w->info.gen && d.gen != w->info.gen + 1))
		return sv_fail(st, SV_E_STALE, -ESTALE,
			       "share volume changed while disconnected "
			       "(superblock gen %" PRIu64 ", ours %" PRIu64 ")",
			       d.gen, w->info.gen);
	if (d.gen == w->info.gen + 1) {
		w->info = d;
		jr_drop_upto(w, d.ckpt_seq);
	}
	/* Whatever was not acknowledged may be lost or torn: write it all
	 * again, to the same places with the same bytes. */
	for (i = 0; i < w->qn; i++)
		if (w->q[i]->state == C_DONE || w->q[i]->state == C_FLIGHT)
			w->q[i]->state = C_READY;
	return 0;
}

int sv_writer_set_members(struct sv_writer *w, uint64_t epoch,
			  uint32_t live_mask, struct sv_status *st)
{
	struct sv_info next = w->info;

	if (live_mask >> w->info.n)
		return sv_fail(st, SV_E_FIELD, -EINVAL, "live mask %#x",
			       live_mask);
	next.epoch = epoch;
	next.live_mask = live_mask;
	return write_super(w, &next, st);
}

int sv_writer_put_blob(struct sv_writer *w, unsigned type, const void *data,
		       uint32_t len, struct sv_status *st)
{
	uint64_t gen;
	size_t cap;
	uint8_t *buf;
	int ret;

	if (type < 1 || type > SV_BLOB_TYPES || len > SV_BLOB_MAX)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "blob type %u of %u bytes", type, len);
	gen = w->blob_gen[type] + 1;
	cap = sv_roundup(SV_BLOB_HDR_SIZE + (uint64_t)len, w->info.align);
	buf = aligned_alloc(4096, sv_roundup(cap, 4096));
	if (!buf)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "blob buffer");
	sv_blob_encode(&w->info, buf, cap, type, gen, data, len);
	/* The other copy keeps the previous generation until this one is
	 * durable. */
	ret = blocking(w, 1, sv_blob_off(type, gen % 2), buf, cap, "blob write",
		       st);
	if (!ret)
		ret = bsync(w, st);
	free(buf);
	if (!ret)
		w->blob_gen[type] = gen;
	return ret;
}

int sv_writer_resync_begin(struct sv_writer *w, struct sv_status *st)
{
	struct sv_info next = w->info;

	if (w->info.flags & SV_SF_RESYNC)
		return 0;
	next.flags |= SV_SF_RESYNC;
	return write_super(w, &next, st);
}

int sv_writer_put_slot(struct sv_writer *w, uint64_t lba, uint64_t gen,
		       uint64_t seq, const uint8_t *share, struct sv_status *st)
{
	if (!(w->info.flags & SV_SF_RESYNC) || lba >= w->info.nblocks)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "slot %" PRIu64 " outside a resync", lba);
	if (w->err)
		return sv_fail(st, SV_E_IO, w->err, "device broken (%d)",
			       w->err);
	return write_slot(w, lba, gen, seq, share, st);
}

int sv_writer_resync_end(struct sv_writer *w, uint64_t seq, uint64_t time_ns,
			 struct sv_status *st)
{
	struct sv_info next = w->info;
	int ret;

	if (w->qn)
		return sv_fail(st, SV_E_FIELD, -EBUSY,
			       "journal writes pending at resync end");
	if (wait_slots(w, 1))
		return sv_fail(st, SV_E_IO, w->err, "slot write failed (%d)",
			       w->err);
	ret = bsync(w, st);
	if (ret)
		return ret;
	/* The journal restarts empty at the head: nothing before seq is in
	 * it, and the slots hold exactly the volume after seq. */
	next.flags &= ~(unsigned)SV_SF_RESYNC;
	next.ckpt_seq = next.apply_seq = seq;
	next.ckpt_ns = next.apply_ns = time_ns;
	next.jtail_pos = w->head;
	ret = write_super(w, &next, st);
	if (ret)
		return ret;
	w->njr = 0;
	w->last_seq = w->acked_seq = seq;
	w->last_ns = w->acked_ns = time_ns;
	return 0;
}
