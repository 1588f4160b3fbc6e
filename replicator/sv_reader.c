// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reader of one peer's share volume: which seqs it can restore and the
 * share of any block as of any of them. The journal is scanned once at
 * open (every record and share checked) into an index sorted by block,
 * so a block lookup is a binary search plus one read.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sv.h"
#include "sv_priv.h"
#include "core/crc32c.h"

struct sv_idx {
	uint64_t lba, seq, gen;
	uint32_t rec;	    /* index into jrec */
	uint32_t share_off; /* 0: zero block */
	uint32_t crc;
};

struct sv_reader {
	struct sv_read_io io;
	struct sv_info info;
	struct sv_jrec *jrec;
	unsigned njrec, capjrec;
	struct sv_idx *idx;
	size_t nidx, capidx;
	uint64_t head_pos, last_seq, last_ns;
	uint8_t *buf;
	size_t bufcap;
};

static int rd(struct sv_reader *r, uint64_t off, void *buf, size_t len,
	      struct sv_status *st)
{
	int ret;

	if (off > r->io.capacity || len > r->io.capacity - off)
		return sv_fail(st, SV_E_SMALL, -EBADMSG,
			       "read of %zu bytes at %" PRIu64
			       " beyond the LUN (%" PRIu64 " bytes)",
			       len, off, r->io.capacity);
	ret = r->io.read(r->io.arg, off, buf, len);
	if (ret)
		return sv_fail(st, SV_E_IO, ret < 0 ? ret : -EIO,
			       "read of %zu bytes at %" PRIu64 " failed (%d)",
			       len, off, ret);
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int cmp_idx(const void *a, const void *b)
{
	const struct sv_idx *x = a, *y = b;

	if (x->lba != y->lba)
		return x->lba < y->lba ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reads and checks the record at pos; 1 = accepted, 0 = journal ends. */
static int scan_one(struct sv_reader *r, uint64_t pos, struct sv_rec *rec,
		    struct sv_status *why)
{
	const struct sv_info *in = &r->info;
	uint64_t room = sv_ring_room(in, pos), len;
	struct sv_rec_disk d;

	if (rd(r, sv_ring_off(in, pos), r->buf, in->align, why))
		return -EIO;
	memcpy(&d, r->buf, sizeof(d));
	len = le32toh(d.rec_len);
	/* Bound the read before the CRC can vouch for the length. */
	if (le32toh(d.magic) != SV_REC_MAGIC || len < in->align ||
	    len % in->align || len > room || len > SV_MAX_REC_LEN ||
	    pos + len - in->jtail_pos > in->journal_len) {
		sv_fail(why, SV_E_MAGIC, 0,
			"no record at ring position %" PRIu64, pos);
		return 0;
	}
	if (len > r->bufcap) {
		uint8_t *b = realloc(r->buf, len);

		if (!b)
			return sv_fail(why, SV_E_NOMEM, -ENOMEM,
				       "record buffer of %" PRIu64 " bytes",
				       len);
		r->buf = b;
		r->bufcap = len;
	}
	if (len > in->align && rd(r, sv_ring_off(in, pos) + in->align,
				  r->buf + in->align, len - in->align, why))
		return -EIO;
	if (sv_rec_decode(in, r->buf, len, pos, rec, why))
		return 0;
	if (rec->prev_seq != r->last_seq) {
		sv_fail(why, SV_E_JOURNAL, 0,
			"record seq %" PRIu64 " at %" PRIu64 " follows %" PRIu64
			", not %" PRIu64,
			rec->seq, pos, rec->prev_seq, r->last_seq);
		return 0;
	}
	if (rec->type == SV_REC_SHARES &&
	    sv_rec_check_shares(in, r->buf, rec, why))
		return 0;
	return 1;
}

static int add_record(struct sv_reader *r, const struct sv_rec *rec,
		      struct sv_status *st)
{
	uint32_t next = 0;
	struct sv_ent e;
	unsigned j;

	if (r->nidx + rec->nent > SV_READER_MAX_ENTRIES ||
	    grow((void **)&r->idx, &r->capidx, r->nidx + rec->nent,
		 sizeof(*r->idx)))
		return sv_fail(st, SV_E_NOMEM, -ENOMEM,
			       "journal index over %u entries",
			       SV_READER_MAX_ENTRIES);
	if (r->njrec == r->capjrec) {
		unsigned n = r->capjrec ? 2 * r->capjrec : 64;
		struct sv_jrec *q = realloc(r->jrec, n * sizeof(*q));

		if (!q)
			return sv_fail(st, SV_E_NOMEM, -ENOMEM,
				       "journal record list");
		r->jrec = q;
		r->capjrec = n;
	}
	r->jrec[r->njrec] = (struct sv_jrec){.pos = rec->pos,
					     .seq = rec->seq,
					     .time_ns = rec->time_ns,
					     .rec_len = rec->rec_len,
					     .nent = rec->nent,
					     .grow_nblocks = rec->grow_nblocks};
	/* a GROW record's entry is the new size, not a block */
	for (j = 0; j < rec->nent && rec->type == SV_REC_SHARES; j++) {
		sv_rec_entry(&r->info, r->buf, rec, j, &next, &e);
		r->idx[r->nidx++] = (struct sv_idx){.lba = e.lba,
						    .seq = rec->seq,
						    .gen = e.gen,
						    .rec = r->njrec,
						    .share_off = e.share_off,
						    .crc = e.crc};
	}
	r->njrec++;
	return 0;
}

static int scan_journal(struct sv_reader *r, struct sv_status *st)
{
	const struct sv_info *in = &r->info;
	uint64_t pos = in->jtail_pos;
	struct sv_status why = {0};
	struct sv_rec rec;
	int ret;

	r->last_seq = in->ckpt_seq;
	r->last_ns = in->ckpt_ns;
	/* Each step consumes at least one align unit of one lap. */
	while (pos - in->jtail_pos < in->journal_len) {
		ret = scan_one(r, pos, &rec, &why);
		if (ret < 0)
			return sv_fail(st, why.code, ret, "%s", why.msg);
		if (!ret)
			break;
		if (rec.type == SV_REC_WRAP) {
			pos += sv_ring_room(in, pos);
			continue;
		}
		ret = add_record(r, &rec, st);
		if (ret)
			return ret;
		r->last_seq = rec.seq;
		r->last_ns = rec.time_ns;
		pos += rec.rec_len;
	}
	r->head_pos = pos;
	if (r->last_seq < in->apply_seq)
		return sv_fail(st, SV_E_JOURNAL, -EBADMSG,
			       "journal ends at seq %" PRIu64
			       " before the applied seq %" PRIu64 " (%s)",
			       r->last_seq, in->apply_seq, why.msg);
	if (r->nidx)
		qsort(r->idx, r->nidx, sizeof(*r->idx), cmp_idx);
	return 0;
}

int sv_reader_open(struct sv_reader **rp, const struct sv_read_io *io,
		   const struct sv_expect *exp, struct sv_status *st)
{
	uint8_t c0[SV_SUPER_SIZE], c1[SV_SUPER_SIZE];
	struct sv_reader *r;
	int which, ret;

	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "reader");
	r->io = *io;
	ret = rd(r, 0, c0, sizeof(c0), st);
	if (!ret)
		ret = rd(r, SV_SUPER_AREA, c1, sizeof(c1), st);
	if (!ret)
		ret = sv_super_pick(c0, c1, io->capacity, &r->info, &which, st);
	if (ret)
		goto fail;
	if (exp && exp->uuid && memcmp(exp->uuid, r->info.uuid, 16)) {
		ret = sv_fail(st, SV_E_FOREIGN, -ESTALE,
			      "share volume of another volume");
		goto fail;
	}
	if (exp && exp->index >= 0 && (unsigned)exp->index != r->info.index) {
		ret = sv_fail(st, SV_E_INDEX, -ESTALE,
			      "share volume holds share %u, not %d",
			      r->info.index, exp->index);
		goto fail;
	}
	/* Grows to the largest record met, at most SV_MAX_REC_LEN. */
	r->bufcap = r->info.slot_size > r->info.align ? r->info.slot_size
						      : r->info.align;
	r->buf = malloc(r->bufcap);
	if (!r->buf) {
		ret = sv_fail(st, SV_E_NOMEM, -ENOMEM, "record buffer");
		goto fail;
	}
	ret = scan_journal(r, st);
	if (ret)
		goto fail;
	*rp = r;
	return 0;
fail:
	sv_reader_free(r);
	return ret;
}

void sv_reader_free(struct sv_reader *r)
{
	if (!r)
		return;
	free(r->idx);
	free(r->jrec);
	free(r->buf);
	free(r);
}

const struct sv_info *sv_reader_info(const struct sv_reader *r)
{
	return &r->info;
}

void sv_reader_range(const struct sv_reader *r, struct sv_range *o)
{
	memset(o, 0, sizeof(*o));
	o->index = r->info.index;
	o->usable = !(r->info.flags & SV_SF_RESYNC);
	o->s_min = r->info.apply_seq;
	o->s_max = r->last_seq;
	o->t_max_ns = r->last_ns;
	o->epoch = r->info.epoch;
	o->live_mask = r->info.live_mask;
}

const struct sv_jrec *sv_reader_journal(const struct sv_reader *r,
					unsigned *count, uint64_t *head_pos)
{
	*count = r->njrec;
	*head_pos = r->head_pos;
	return r->jrec;
}

int sv_reader_seq_before(const struct sv_reader *r, uint64_t time_ns,
			 uint64_t *seq)
{
	unsigned i = r->njrec;

	while (i--) {
		if (r->jrec[i].seq < r->info.apply_seq)
			break;
		if (r->jrec[i].time_ns <= time_ns) {
			*seq = r->jrec[i].seq;
			return 0;
		}
	}
	if (r->info.apply_ns <= time_ns) {
		*seq = r->info.apply_seq;
		return 0;
	}
	return -ERANGE;
}

uint64_t sv_reader_nblocks_at(const struct sv_reader *r, uint64_t seq)
{
	uint64_t nb =
		r->info.base_nblocks ? r->info.base_nblocks : r->info.nblocks;

	for (unsigned i = 0; i < r->njrec && r->jrec[i].seq <= seq; i++)
		if (r->jrec[i].grow_nblocks)
			nb = r->jrec[i].grow_nblocks;
	return nb;
}

/* Newest index entry of lba with seq <= seq, or NULL. */
static const struct sv_idx *lookup(const struct sv_reader *r, uint64_t lba,
				   uint64_t seq)
{
	size_t lo = 0, hi = r->nidx;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sv_idx *x = &r->idx[mid];

		if (x->lba < lba || (x->lba == lba && x->seq <= seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || r->idx[lo - 1].lba != lba)
		return NULL;
	return &r->idx[lo - 1];
}

int sv_reader_block(struct sv_reader *r, uint64_t lba, uint64_t seq,
		    uint8_t *out, enum sv_slot_kind *kind, uint64_t *gen,
		    struct sv_status *st)
{
	return sv_reader_block_slot(r, lba, seq, NULL, out, kind, gen, st);
}

int sv_reader_block_slot(struct sv_reader *r, uint64_t lba, uint64_t seq,
			 const uint8_t *slot_buf, uint8_t *out,
			 enum sv_slot_kind *kind, uint64_t *gen,
			 struct sv_status *st)
{
	const struct sv_info *in = &r->info;
	const struct sv_idx *x;
	struct sv_slot slot;
	int ret;

	if (lba >= in->nblocks)
		return sv_fail(st, SV_E_FIELD, -EINVAL,
			       "block %" PRIu64 " beyond the volume", lba);
	if (seq < in->apply_seq || seq > r->last_seq)
		return sv_fail(st, SV_E_RANGE, -ERANGE,
			       "seq %" PRIu64 " outside [%" PRIu64 ", %" PRIu64
			       "]",
			       seq, in->apply_seq, r->last_seq);
	x = lookup(r, lba, seq);
	if (x) {
		*gen = x->gen;
		if (!x->share_off) {
			*kind = SV_SLOT_ZERO;
			return 0;
		}
		ret = rd(r, sv_ring_off(in, r->jrec[x->rec].pos) + x->share_off,
			 out, in->share_size, st);
		if (ret)
			return ret;
		if (crc32c(0, out, in->share_size) != x->crc)
			return sv_fail(st, SV_E_CRC, -EBADMSG,
				       "journal share of block %" PRIu64
				       " seq %" PRIu64 ": CRC mismatch",
				       lba, x->seq);
		*kind = SV_SLOT_SHARE;
		return sv_share_check(in, out, x->gen, st);
	}
	if (!slot_buf) {
		ret = rd(r, sv_slot_off(in, lba), r->buf, in->slot_size, st);
		if (ret)
			return ret;
		slot_buf = r->buf;
	}
	ret = sv_slot_decode(in, slot_buf, lba, &slot, st);
	if (ret)
		return ret;
	if (slot.kind != SV_SLOT_EMPTY && slot.seq > in->ckpt_seq)
		return sv_fail(st, SV_E_STALE, -ESTALE,
			       "slot of block %" PRIu64 " has seq %" PRIu64
			       " after the checkpoint %" PRIu64
			       " but no journal entry",
			       lba, slot.seq, in->ckpt_seq);
	*kind = slot.kind;
	*gen = slot.gen;
	/* out may be the share inside slot_buf: decoded in place */
	if (slot.kind == SV_SLOT_SHARE && out != slot_buf + SV_SLOT_HDR_SIZE)
		memcpy(out, slot_buf + SV_SLOT_HDR_SIZE, in->share_size);
	return 0;
}

int sv_reader_blob(struct sv_reader *r, unsigned type, void *buf, size_t cap,
		   uint32_t *len, struct sv_status *st)
{
	struct sv_blob b[2];
	struct sv_status s[2] = {{0}, {0}};
	int ret[2], c, best = -1;
	uint8_t *area;

	if (type < 1 || type > SV_BLOB_TYPES || cap < SV_BLOB_MAX)
		return -EINVAL;
	area = malloc(2 * SV_BLOB_AREA);
	if (!area)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "blob buffer");
	for (c = 0; c < 2; c++) {
		uint8_t *p = area + c * SV_BLOB_AREA;

		ret[c] = rd(r, sv_blob_off(type, c), p, SV_BLOB_AREA, &s[c]);
		if (!ret[c])
			ret[c] = sv_blob_decode(&r->info, p, SV_BLOB_AREA, type,
						&b[c], &s[c]);
		if (!ret[c] && (best < 0 || b[c].gen > b[best].gen))
			best = c;
	}
	if (best >= 0) {
		memcpy(buf, b[best].data, b[best].len);
		*len = b[best].len;
		free(area);
		return 0;
	}
	free(area);
	c = ret[0] == -ENOENT ? 1 : 0;
	return sv_fail(st, s[c].code, ret[c], "%s", s[c].msg);
}

void sv_reader_entries(const struct sv_reader *r,
		       void (*fn)(void *arg, uint64_t lba, uint64_t seq,
				  uint64_t gen),
		       void *arg)
{
	for (size_t i = 0; i < r->nidx; i++)
		fn(arg, r->idx[i].lba, r->idx[i].seq, r->idx[i].gen);
}
