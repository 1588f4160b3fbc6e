// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share writer checkpoint: raise the floor, fold the journal into the
 * slots, commit (doc/share-volume-format.md, "Checkpoint protocol").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sv_writer_priv.h"
#include "sv_priv.h"

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

/* Journal records read back ahead of their use (round trips overlap). */
#define SV_READ_AHEAD 4

/* Checks a journal record read back from the peer is the one we wrote
 * there (the peer's bytes are not trusted); shares too if all of it is in
 * buf. */
static int check_record(struct sv_writer *w, const struct jr *j,
			const uint8_t *buf, uint32_t len, struct sv_rec *rec,
			struct sv_status *st)
{
	int ret = sv_rec_decode(&w->info, buf, len, j->pos, rec, st);

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

static uint32_t meta_len(const struct sv_info *in, const struct jr *j)
{
	return (uint32_t)sv_roundup(
		SV_REC_HDR_SIZE + (uint64_t)j->nent * SV_ENT_SIZE, in->align);
}

struct ra {
	int done, err, out;
	uint32_t len;
	uint8_t *buf;
};

static void ra_cb(void *arg, int err)
{
	struct ra *r = arg;

	r->err = err;
	r->done = 1;
}

typedef int (*ra_fn)(struct sv_writer *w, void *ctx, uint32_t rec,
		     const uint8_t *buf, uint32_t len, struct sv_status *st);

/*
 * Reads journal records w->jr[recs[k]] (their meta part only, or whole)
 * with up to SV_READ_AHEAD reads in flight, and hands them to fn in order.
 */
static int read_ahead(struct sv_writer *w, const uint32_t *recs, size_t n,
		      bool meta_only, size_t bufcap, ra_fn fn, void *ctx,
		      struct sv_status *st)
{
	struct ra ra[SV_READ_AHEAD];
	size_t issued = 0, k, d;
	int ret = 0;

	memset(ra, 0, sizeof(ra));
	for (d = 0; d < SV_READ_AHEAD && !ret; d++)
		if (!(ra[d].buf = malloc(bufcap)))
			ret = sv_fail(st, SV_E_NOMEM, -ENOMEM, "apply buffer");
	for (k = 0; k < n && !ret; k++) {
		struct ra *r;

		while (issued < n && issued < k + SV_READ_AHEAD) {
			const struct jr *j = &w->jr[recs[issued]];

			r = &ra[issued % SV_READ_AHEAD];
			r->done = r->err = 0;
			r->len = meta_only ? meta_len(&w->info, j) : j->len;
			ret = w->dev->ops->read(w->dev->priv,
						sv_ring_off(&w->info, j->pos),
						r->buf, r->len, ra_cb, r);
			if (ret) {
				ret = sv_fail(st, SV_E_IO, ret,
					      "journal read submit (%d)", ret);
				break;
			}
			r->out = 1;
			issued++;
		}
		if (ret)
			break;
		r = &ra[k % SV_READ_AHEAD];
		while (!r->done)
			w->dev->ops->poll(w->dev->priv, 100);
		r->out = 0;
		if (r->err)
			ret = sv_fail(
				st,
				r->err == -ETIMEDOUT ? SV_E_TIMEOUT : SV_E_IO,
				r->err, "journal read failed (%d)", r->err);
		else
			ret = fn(w, ctx, recs[k], r->buf, r->len, st);
	}
	/* Every read the device took completes: wait before the buffers go. */
	for (d = 0; d < SV_READ_AHEAD; d++) {
		while (ra[d].out && !ra[d].done)
			w->dev->ops->poll(w->dev->priv, 100);
		free(ra[d].buf);
	}
	return ret;
}

struct collect {
	struct win *v;
	size_t nv, cap;
};

/* Phase A: which blocks each record touches. */
static int collect_fn(struct sv_writer *w, void *ctx, uint32_t i,
		      const uint8_t *buf, uint32_t len, struct sv_status *st)
{
	struct collect *c = ctx;
	struct sv_rec rec;
	struct sv_ent e;
	uint32_t next = 0;
	unsigned k;
	int ret = check_record(w, &w->jr[i], buf, len, &rec, st);

	if (ret || rec.type != SV_REC_SHARES)
		return ret; /* a GROW record changes no slot */
	if (c->nv + rec.nent > c->cap) {
		size_t n = (c->nv + rec.nent) * 2;
		struct win *p = realloc(c->v, n * sizeof(*p));

		if (!p)
			return sv_fail(st, SV_E_NOMEM, -ENOMEM, "apply");
		c->v = p;
		c->cap = n;
	}
	for (k = 0; k < rec.nent; k++) {
		sv_rec_entry(&w->info, buf, &rec, k, &next, &e);
		c->v[c->nv++] = (struct win){e.lba, rec.seq, i, k};
	}
	return 0;
}

struct place {
	const struct win *v;
	size_t nv, i; /* next winner to write */
};

/* Phase B: the winners of one record into their slots. */
static int place_fn(struct sv_writer *w, void *ctx, uint32_t rec_i,
		    const uint8_t *buf, uint32_t len, struct sv_status *st)
{
	const struct sv_info *in = &w->info;
	struct place *pl = ctx;
	const struct win *v = pl->v;
	struct sv_ent e = {0};
	struct sv_rec rec;
	uint32_t next = 0;
	unsigned ent = 0;
	int ret = check_record(w, &w->jr[rec_i], buf, len, &rec, st);

	while (!ret && pl->i < pl->nv && v[pl->i].rec == rec_i) {
		size_t i = pl->i, run = 1, r;
		uint8_t *sb;

		/* A log record covers adjacent blocks: their slots are
		 * adjacent too and go in one write. */
		while (i + run < pl->nv && run < SV_SLOT_RUN &&
		       v[i + run].rec == v[i].rec &&
		       v[i + run].lba == v[i].lba + run)
			run++;
		sb = svw_slot_buf(w, run);
		if (!sb)
			return sv_fail(st, SV_E_NOMEM, -ENOMEM, "slot buffer");
		for (r = 0; r < run; r++) {
			while (ent <= v[i + r].ent)
				sv_rec_entry(in, buf, &rec, ent++, &next, &e);
			sv_slot_encode(in, sb + r * in->slot_size, e.lba, e.gen,
				       rec.seq,
				       e.share_off ? buf + e.share_off : NULL);
		}
		/* the slot buffers are copies: buf is reused */
		ret = svw_submit_slots(w, v[i].lba, sb, run, st);
		pl->i += run;
	}
	return ret;
}

/* Writes into the slots, for each block, its newest version in (ckpt, T]. */
static int apply(struct sv_writer *w, uint64_t T, struct sv_status *st)
{
	const struct sv_info *in = &w->info;
	struct collect c = {0};
	struct place pl;
	uint32_t *recs = NULL;
	size_t i, k, n = 0, bufcap = in->align;
	int ret = 0;

	recs = malloc((w->njr ? w->njr : 1) * sizeof(*recs));
	if (!recs)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "apply");
	for (i = 0; i < w->njr && w->jr[i].seq <= T; i++)
		if (w->jr[i].seq > in->ckpt_seq) {
			recs[n++] = (uint32_t)i;
			if (w->jr[i].len > bufcap)
				bufcap = w->jr[i].len;
		}
	ret = read_ahead(w, recs, n, true, bufcap, collect_fn, &c, st);
	if (ret)
		goto out;
	/* Keep the newest version of each block, then go record by record:
	 * each slot is written once, so no two writes to it race. */
	if (c.nv)
		qsort(c.v, c.nv, sizeof(*c.v), cmp_win_lba);
	for (i = 0, k = 0; i < c.nv; i++)
		if (i + 1 == c.nv || c.v[i + 1].lba != c.v[i].lba)
			c.v[k++] = c.v[i];
	c.nv = k;
	if (c.nv)
		qsort(c.v, c.nv, sizeof(*c.v), cmp_win_rec);
	for (i = 0, n = 0; i < c.nv; i++)
		if (!n || recs[n - 1] != c.v[i].rec)
			recs[n++] = c.v[i].rec;
	pl = (struct place){c.v, c.nv, 0};
	ret = read_ahead(w, recs, n, false, bufcap, place_fn, &pl, st);
	if (!ret && svw_wait_slots(w, 1))
		ret = sv_fail(st, SV_E_IO, w->err, "slot write failed (%d)",
			      w->err);
out:
	svw_wait_slots(w, 1);
	free(c.v);
	free(recs);
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
		ret = svw_write_super(w, &next, st);
		if (ret)
			return ret;
	}
	/* 2. Slots, then a flush: they must be durable before the journal
	 *    records that also hold them may be overwritten. */
	ret = apply(w, T, st);
	if (!ret)
		ret = svw_bsync(w, st);
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
	/* the size as of T: the GROW records up to T leave the journal */
	for (i = 0; i < w->njr && w->jr[i].seq <= T; i++)
		if (w->jr[i].grow_nb)
			next.base_nblocks = w->jr[i].grow_nb;
	ret = svw_write_super(w, &next, st);
	if (ret)
		return ret;
	svw_jr_drop_upto(w, T);
	return 0;
}
