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

static int read_record(struct sv_writer *w, const struct jr *j, uint8_t *buf,
		       uint32_t len, struct sv_rec *rec, struct sv_status *st)
{
	int ret = svw_bread(w, sv_ring_off(&w->info, j->pos), buf, len, st);

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
			sb = svw_slot_buf(w, run);
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
			ret = svw_submit_slots(w, v[i].lba, sb, run, st);
			i += run;
		}
		/* The slot buffers are copies; buf is reused. */
	}
	if (!ret && svw_wait_slots(w, 1))
		ret = sv_fail(st, SV_E_IO, w->err, "slot write failed (%d)",
			      w->err);
out:
	svw_wait_slots(w, 1);
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
	ret = svw_write_super(w, &next, st);
	if (ret)
		return ret;
	svw_jr_drop_upto(w, T);
	return 0;
}
