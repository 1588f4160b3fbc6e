// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share writer: open/format, journal appends batched into chunks,
 * acknowledgement after a flush, resume after a reconnect.
 * doc/share-volume-format.md has the protocol.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "sv_writer_priv.h"
#include "sv_priv.h"

/* Synchronous read for the reader, through the async device. */
static int reader_read(void *arg, uint64_t off, void *buf, size_t len)
{
	return svw_bread(arg, off, buf, len, NULL);
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

void svw_jr_drop_upto(struct sv_writer *w, uint64_t seq)
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
			if (!svw_bread(w, sv_blob_off(t, c), buf, SV_BLOB_AREA,
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
	/* a smaller one is extended by sv_writer_grow (the log's GROW
	 * record, or before a resync); a larger one means the volume shrank,
	 * which the store refuses */
	if (in->k != p->k || in->n != p->n || in->block_size != p->block_size ||
	    in->nblocks > p->nblocks)
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
	uint64_t now = svw_now_ns();
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
	ret = svw_write_super(w, &next, st);
	if (ret)
		return ret;
	w->head = w->info.jtail_pos;
	w->cur_nblocks = w->info.nblocks;
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
		ret = jr_push(w,
			      &(struct jr){jrec[i].pos, jrec[i].seq,
					   jrec[i].time_ns, jrec[i].rec_len,
					   jrec[i].nent, jrec[i].grow_nblocks});
	if (ret) {
		ret = sv_fail(st, SV_E_NOMEM, ret, "journal list");
		goto out;
	}
	sv_reader_range(r, &rg);
	w->last_seq = rg.s_max;
	w->last_ns = rg.t_max_ns;
	w->cur_nblocks = sv_reader_nblocks_at(r, rg.s_max);
	w->sbbuf = aligned_alloc(4096, 4096);
	if (!w->sbbuf)
		ret = sv_fail(st, SV_E_NOMEM, -ENOMEM, "superblock buffer");
out:
	sv_reader_free(r);
	if (ret)
		return ret;
	/* What the scan read may sit in the target's cache: make it durable
	 * before calling it acknowledged. */
	ret = svw_bsync(w, st);
	if (ret)
		return ret;
	w->acked_seq = w->last_seq;
	w->acked_ns = w->last_ns;
	read_blob_gens(w);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
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
	ret = svw_bread(w, 0, c[0], SV_SUPER_SIZE, st);
	if (!ret)
		ret = svw_bread(w, SV_SUPER_AREA, c[1], SV_SUPER_SIZE, st);
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
		/*
		 * Only a blank LUN is formatted: data where the superblocks
		 * go is someone's (a wrong LUN in the config) or a share
		 * volume destroyed by garbage, and either must be named,
		 * never silently written over.
		 */
		if (!all_zero(c[0], SV_SUPER_SIZE) ||
		    !all_zero(c[1], SV_SUPER_SIZE)) {
			ret = sv_fail(st, SV_E_MAGIC, -EBADMSG,
				      "LUN holds data that is not a share "
				      "volume: not formatted (zero its first "
				      "8 KiB to let it be formatted)");
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

/* Queues one record of len bytes at the head (a WRAP first if needed). */
static int queue_record(struct sv_writer *w, unsigned type, uint64_t seq,
			uint64_t time_ns, const struct sv_share_ent *ents,
			unsigned count, uint32_t len, struct sv_status *st)
{
	const struct sv_info *in = &w->info;
	uint64_t room, need;
	struct chunk *c;
	int ret;

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
	ret = sv_rec_encode(in, c->buf + c->len, c->cap - c->len, type, w->head,
			    seq, w->last_seq, time_ns, ents, count);
	if (ret)
		return sv_fail(st, SV_E_FIELD, ret, "encode seq %" PRIu64, seq);
	ret = jr_push(w, &(struct jr){w->head, seq, time_ns, len, count,
				      type == SV_REC_GROW ? ents[0].lba : 0});
	if (ret)
		return sv_fail(st, SV_E_NOMEM, ret, "journal list");
	c->len += len;
	c->last_seq = w->last_seq = seq;
	c->last_ns = w->last_ns = time_ns;
	w->head += len;
	if (c->len + in->align > c->cap)
		c->state = C_READY;
	return 0;
}

int sv_writer_append(struct sv_writer *w, const struct sv_batch *b,
		     struct sv_status *st)
{
	const struct sv_info *in = &w->info;
	unsigned j, nzero = 0;
	uint32_t len;

	if (w->err)
		return sv_fail(st, SV_E_IO, -EIO, "device broken (%d)", w->err);
	if (b->seq <= w->last_seq)
		return 0;
	if (!b->count || (in->flags & SV_SF_RESYNC))
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "batch seq %" PRIu64 ": %s", b->seq,
			       b->count ? "volume in resync" : "no blocks");
	for (j = 0; j < b->count; j++) {
		if (b->ents[j].lba >= w->cur_nblocks)
			return sv_fail(st, SV_E_FIELD, -EINVAL,
				       "batch seq %" PRIu64 ": block %" PRIu64
				       " beyond volume (%" PRIu64 " blocks)",
				       b->seq, b->ents[j].lba, w->cur_nblocks);
		nzero += !b->ents[j].share;
	}
	len = sv_rec_size(in, b->count, nzero);
	if (!len || len > in->journal_len / 4)
		return sv_fail(st, SV_E_FIELD, -E2BIG,
			       "batch seq %" PRIu64 ": %u blocks too large",
			       b->seq, b->count);
	return queue_record(w, SV_REC_SHARES, b->seq, b->time_ns, b->ents,
			    b->count, len, st);
}

uint64_t sv_writer_need(const struct sv_writer *w, uint64_t nblocks)
{
	return w->info.data_off + nblocks * w->info.slot_size;
}

int sv_writer_grow(struct sv_writer *w, uint64_t nblocks, uint64_t seq,
		   uint64_t time_ns, struct sv_status *st)
{
	struct sv_share_ent ent = {0};
	int ret;

	if (w->err)
		return sv_fail(st, SV_E_IO, -EIO, "device broken (%d)", w->err);
	if (!nblocks || nblocks > SV_MAX_NBLOCKS)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "volume of %" PRIu64 " blocks", nblocks);
	if (seq && seq <= w->last_seq)
		return 0;
	if (nblocks > w->info.nblocks) {
		struct sv_info next = w->info;

		if (sv_writer_need(w, nblocks) > w->dev->capacity)
			return sv_fail(st, SV_E_SMALL, -ENOSPC,
				       "grow LUN to >= %" PRIu64
				       " bytes (has %" PRIu64 ")",
				       sv_writer_need(w, nblocks),
				       w->dev->capacity);
		/*
		 * The size as of ckpt_seq stays what it was; the new slots
		 * read as "never written" (the LUN grew with zeroes). Durable
		 * before any record names a block beyond the old end: the two
		 * superblock copies make the change all or nothing.
		 */
		if (!next.base_nblocks)
			next.base_nblocks = next.nblocks;
		next.nblocks = nblocks;
		ret = svw_write_super(w, &next, st);
		if (ret)
			return ret;
	}
	if (!seq) {
		if (nblocks > w->cur_nblocks)
			w->cur_nblocks = nblocks;
		return 0;
	}
	if (w->info.flags & SV_SF_RESYNC)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "grow at seq %" PRIu64 ": volume in resync",
			       seq);
	/* a GROW to a size already reached still takes its seq (chain) */
	ent.lba = nblocks > w->cur_nblocks ? nblocks : w->cur_nblocks;
	ret = queue_record(w, SV_REC_GROW, seq, time_ns, &ent, 1,
			   sv_rec_size(&w->info, 1, 1), st);
	if (!ret)
		w->cur_nblocks = ent.lba;
	return ret;
}

static void chunk_cb(void *arg, int err)
{
	struct chunk *c = arg;
	struct sv_writer *w = c->w;

	w->jwrites--;
	svw_op_done(w, err);
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

	svw_op_done(w, err);
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
	uint64_t t0 = loop_now_ms();
	int ret;

	while (w->acked_seq < w->last_seq) {
		ret = sv_writer_pump(w, 50, st);
		if (ret)
			return ret;
		if ((int64_t)(loop_now_ms() - t0) > timeout_ms)
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
	ret = svw_bread(w, 0, c[0], SV_SUPER_SIZE, st);
	if (!ret)
		ret = svw_bread(w, SV_SUPER_AREA, c[1], SV_SUPER_SIZE, st);
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
		svw_jr_drop_upto(w, d.ckpt_seq);
	}
	/* Whatever was not acknowledged may be lost or torn: write it all
	 * again, to the same places with the same bytes. */
	for (i = 0; i < w->qn; i++)
		if (w->q[i]->state == C_DONE || w->q[i]->state == C_FLIGHT)
			w->q[i]->state = C_READY;
	return 0;
}
