// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share-volume format: round trips of every structure, every corruption
 * detected and named, foreign / wrong-index / stale volumes refused, a
 * grown LUN and a block-for-block copy still readable, blobs, resync.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32c.h"
#include "sv_testlib.h"

#define BS   512
#define NBLK 64
#define CAP  (3u << 20)

static void reseal_super(uint8_t *b)
{
	uint32_t crc = htole32(crc32c(0, b, SV_SUPER_SIZE - 4));

	memcpy(b + SV_SUPER_SIZE - 4, &crc, 4);
}

static struct sv_info t_info(unsigned index)
{
	struct sv_params p = t_params(2, 3, index, BS, NBLK);
	struct sv_info in;

	assert_int_equal(sv_layout_init(&in, &p, 1000, NULL), 0);
	return in;
}

static void test_super_roundtrip_and_corruption(void **state)
{
	struct sv_info in = t_info(1), out;
	struct sv_status st;
	uint8_t b[SV_SUPER_SIZE], c[SV_SUPER_SIZE];
	unsigned i;

	in.gen = 7;
	in.ckpt_seq = 5;
	in.apply_seq = 9;
	in.jtail_pos = 4096;
	sv_super_encode(&in, b);
	assert_int_equal(sv_super_decode(b, sizeof(b), CAP, &out, &st), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	/* every single flipped bit of the 512 bytes is caught */
	for (i = 0; i < SV_SUPER_SIZE * 8; i++) {
		memcpy(c, b, sizeof(c));
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		memset(&st, 0, sizeof(st));
		assert_int_equal(sv_super_decode(c, sizeof(c), CAP, &out, &st),
				 -EBADMSG);
		assert_true(st.code == SV_E_CRC || st.code == SV_E_MAGIC);
	}
	/* fields that are wrong but correctly sealed are named */
	memcpy(c, b, sizeof(c));
	c[8] = 2;
	reseal_super(c);
	assert_int_equal(sv_super_decode(c, sizeof(c), CAP, &out, &st),
			 -EBADMSG);
	assert_int_equal(st.code, SV_E_VERSION);
	assert_string_equal(sv_err_name(st.code), "bad-version");
	memcpy(c, b, sizeof(c));
	c[12] = 1; /* k = 1 */
	reseal_super(c);
	sv_super_decode(c, sizeof(c), CAP, &out, &st);
	assert_int_equal(st.code, SV_E_FIELD);
	memcpy(c, b, sizeof(c));
	c[72] ^= 1; /* journal_len not aligned */
	reseal_super(c);
	sv_super_decode(c, sizeof(c), CAP, &out, &st);
	assert_int_equal(st.code, SV_E_FIELD);
	memcpy(c, b, sizeof(c));
	c[200] = 1; /* reserved */
	reseal_super(c);
	sv_super_decode(c, sizeof(c), CAP, &out, &st);
	assert_int_equal(st.code, SV_E_FIELD);
	/* a LUN smaller than the layout */
	assert_int_equal(sv_super_decode(b, sizeof(b), 2u << 20, &out, &st),
			 -EBADMSG);
	assert_int_equal(st.code, SV_E_SMALL);
	assert_non_null(strstr(st.msg, "needs"));
}

static void test_super_pick(void **state)
{
	struct sv_info in = t_info(0), out, other = t_info(0);
	uint8_t c0[SV_SUPER_SIZE], c1[SV_SUPER_SIZE], g[SV_SUPER_SIZE];
	struct sv_status st;
	int which;

	in.gen = 3;
	sv_super_encode(&in, c1);
	in.gen = 4;
	in.ckpt_seq = in.apply_seq = 10;
	sv_super_encode(&in, c0);
	assert_int_equal(sv_super_pick(c0, c1, CAP, &out, &which, &st), 0);
	assert_int_equal(which, 0);
	assert_int_equal(out.gen, 4);
	/* the newer copy torn: the older one stands */
	c0[100] ^= 0xff;
	assert_int_equal(sv_super_pick(c0, c1, CAP, &out, &which, &st), 0);
	assert_int_equal(which, 1);
	assert_int_equal(out.gen, 3);
	/* garbage in both: named */
	memset(g, 0xa5, sizeof(g));
	assert_int_equal(sv_super_pick(g, g, CAP, &out, &which, &st), -EBADMSG);
	assert_int_equal(st.code, SV_E_MAGIC);
	assert_non_null(strstr(st.msg, "no valid superblock"));
	/* copies of two volumes */
	sv_super_encode(&in, c0);
	other.uuid[0] ^= 1;
	other.gen = 3;
	sv_super_encode(&other, c1);
	assert_int_equal(sv_super_pick(c0, c1, CAP, &out, &which, &st),
			 -EBADMSG);
	assert_int_equal(st.code, SV_E_FOREIGN);
	/* a generation in the wrong copy */
	in.gen = 5;
	sv_super_encode(&in, c0);
	memset(c1, 0, sizeof(c1));
	assert_int_equal(sv_super_pick(c0, c1, CAP, &out, &which, &st),
			 -EBADMSG);
	assert_int_equal(st.code, SV_E_FIELD);
}

struct recfix {
	struct xs_ctx *ctx;
	uint8_t *sh[2][3];
	uint64_t gen[2];
	struct sv_share_ent ents[3];
	uint8_t *buf;
	uint32_t len;
};

static void recfix_make(struct recfix *f, const struct sv_info *in)
{
	uint8_t block[BS];
	unsigned i;

	assert_int_equal(xs_ctx_new(&f->ctx, 2, 3, BS, 0), 0);
	for (i = 0; i < 2; i++) {
		memset(block, 'a' + i, sizeof(block));
		f->gen[i] = t_split(f->ctx, 3, block, BS, f->sh[i]);
	}
	f->ents[0] = (struct sv_share_ent){5, f->gen[0], f->sh[0][in->index]};
	f->ents[1] = (struct sv_share_ent){6, 0, NULL};
	f->ents[2] =
		(struct sv_share_ent){NBLK - 1, f->gen[1], f->sh[1][in->index]};
	f->len = sv_rec_size(in, 3, 1);
	f->buf = malloc(f->len);
	assert_int_equal(sv_rec_encode(in, f->buf, f->len, SV_REC_SHARES, 8192,
				       42, 41, 777, f->ents, 3),
			 0);
}

static void recfix_free(struct recfix *f)
{
	unsigned i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++)
			free(f->sh[i][j]);
	free(f->buf);
	xs_ctx_free(f->ctx);
}

static void test_record(void **state)
{
	struct sv_info in = t_info(2), in0 = t_info(0), foreign = t_info(2);
	struct sv_status st;
	struct recfix f, g;
	struct sv_rec rec;
	struct sv_ent e;
	uint32_t next = 0, meta;
	uint8_t *c;
	unsigned i;

	recfix_make(&f, &in);
	assert_int_equal(f.len % 512, 0);
	assert_int_equal(sv_rec_decode(&in, f.buf, f.len, 8192, &rec, &st), 0);
	assert_int_equal(rec.seq, 42);
	assert_int_equal(rec.prev_seq, 41);
	assert_int_equal(rec.time_ns, 777);
	assert_int_equal(rec.nent, 3);
	assert_int_equal(sv_rec_check_shares(&in, f.buf, &rec, &st), 0);
	for (i = 0; i < 3; i++) {
		sv_rec_entry(&in, f.buf, &rec, i, &next, &e);
		assert_int_equal(e.lba, f.ents[i].lba);
		if (f.ents[i].share)
			assert_memory_equal(f.buf + e.share_off,
					    f.ents[i].share, in.share_size);
		else
			assert_int_equal(e.flags, SV_EF_ZERO);
	}
	meta = sv_rec_meta_len(&in, f.buf, f.len);
	assert_int_equal(meta, 512);
	/* every flipped byte of header and entry table: CRC or magic */
	c = malloc(f.len);
	for (i = 0; i < SV_REC_HDR_SIZE + 3 * SV_ENT_SIZE; i++) {
		memcpy(c, f.buf, f.len);
		c[i] ^= 0x40;
		memset(&st, 0, sizeof(st));
		assert_int_equal(sv_rec_decode(&in, c, f.len, 8192, &rec, &st),
				 -EBADMSG);
		assert_true(st.code == SV_E_CRC || st.code == SV_E_MAGIC ||
			    st.code == SV_E_FIELD);
	}
	/* a flipped share byte: its CRC */
	for (i = SV_REC_HDR_SIZE + 3 * SV_ENT_SIZE; i < f.len; i += 37) {
		memcpy(c, f.buf, f.len);
		c[i] ^= 1;
		if (sv_rec_decode(&in, c, f.len, 8192, &rec, &st))
			fail();
		if (i >= SV_REC_HDR_SIZE + 3 * SV_ENT_SIZE + 2 * in.share_size)
			continue; /* padding */
		assert_int_equal(sv_rec_check_shares(&in, c, &rec, &st),
				 -EBADMSG);
		assert_int_equal(st.code, SV_E_CRC);
	}
	free(c);
	/* a record of an earlier lap at this place */
	assert_int_equal(
		sv_rec_decode(&in, f.buf, f.len, 8192 + (1 << 20), &rec, &st),
		-EBADMSG);
	assert_int_equal(st.code, SV_E_STALE);
	/* another share index, another volume */
	assert_int_equal(sv_rec_decode(&in0, f.buf, f.len, 8192, &rec, &st),
			 -ESTALE);
	assert_int_equal(st.code, SV_E_INDEX);
	foreign.uuid[3] ^= 1;
	assert_int_equal(sv_rec_decode(&foreign, f.buf, f.len, 8192, &rec, &st),
			 -ESTALE);
	assert_int_equal(st.code, SV_E_FOREIGN);
	/* a share of another block write under this entry's gen */
	recfix_make(&g, &in);
	g.ents[0].gen = g.gen[1];
	assert_int_equal(sv_rec_encode(&in, g.buf, g.len, SV_REC_SHARES, 8192,
				       42, 41, 777, g.ents, 3),
			 0);
	assert_int_equal(sv_rec_decode(&in, g.buf, g.len, 8192, &rec, &st), 0);
	assert_int_equal(sv_rec_check_shares(&in, g.buf, &rec, &st), -EBADMSG);
	assert_int_equal(st.code, SV_E_SHARE);
	/* the share of another index in this volume */
	g.ents[0] = f.ents[0];
	g.ents[0].share = g.sh[0][0];
	g.ents[0].gen = g.gen[0];
	sv_rec_encode(&in, g.buf, g.len, SV_REC_SHARES, 8192, 42, 41, 777,
		      g.ents, 3);
	sv_rec_decode(&in, g.buf, g.len, 8192, &rec, &st);
	assert_int_equal(sv_rec_check_shares(&in, g.buf, &rec, &st), -EBADMSG);
	assert_int_equal(st.code, SV_E_SHARE);
	recfix_free(&g);
	recfix_free(&f);
}

static void test_slot(void **state)
{
	struct sv_info in = t_info(1), in2 = t_info(2);
	struct sv_status st;
	struct sv_slot s;
	struct recfix f;
	uint8_t *b = calloc(1, in.slot_size);

	recfix_make(&f, &in);
	in.apply_seq = 100;
	assert_int_equal(sv_slot_decode(&in, b, 3, &s, &st), 0);
	assert_int_equal(s.kind, SV_SLOT_EMPTY);
	sv_slot_encode(&in, b, 3, f.gen[0], 50, f.sh[0][1]);
	assert_int_equal(sv_slot_decode(&in, b, 3, &s, &st), 0);
	assert_int_equal(s.kind, SV_SLOT_SHARE);
	assert_int_equal(s.gen, f.gen[0]);
	assert_int_equal(s.seq, 50);
	assert_int_equal(sv_slot_decode(&in, b, 4, &s, &st), -EBADMSG);
	assert_int_equal(st.code, SV_E_SLOT);
	in2.apply_seq = 100;
	assert_int_equal(sv_slot_decode(&in2, b, 3, &s, &st), -ESTALE);
	assert_int_equal(st.code, SV_E_INDEX);
	in.apply_seq = 49;
	assert_int_equal(sv_slot_decode(&in, b, 3, &s, &st), -ESTALE);
	assert_int_equal(st.code, SV_E_STALE);
	in.apply_seq = 100;
	b[SV_SLOT_HDR_SIZE + 100] ^= 4;
	assert_int_equal(sv_slot_decode(&in, b, 3, &s, &st), -EBADMSG);
	assert_int_equal(st.code, SV_E_CRC);
	sv_slot_encode(&in, b, 3, 0, 60, NULL);
	assert_int_equal(sv_slot_decode(&in, b, 3, &s, &st), 0);
	assert_int_equal(s.kind, SV_SLOT_ZERO);
	memset(b, 0x5a, 64);
	assert_int_equal(sv_slot_decode(&in, b, 3, &s, &st), -EBADMSG);
	assert_int_equal(st.code, SV_E_SLOT);
	recfix_free(&f);
	free(b);
}

static void test_blob(void **state)
{
	struct sv_info in = t_info(1), other = t_info(1);
	uint8_t *b = malloc(SV_BLOB_AREA);
	struct sv_status st;
	struct sv_blob bl;

	assert_int_equal(sv_blob_encode(&in, b, SV_BLOB_AREA, SV_BLOB_KEY, 3,
					"secret-share", 12),
			 0);
	assert_int_equal(
		sv_blob_decode(&in, b, SV_BLOB_AREA, SV_BLOB_KEY, &bl, &st), 0);
	assert_int_equal(bl.len, 12);
	assert_int_equal(bl.gen, 3);
	assert_memory_equal(bl.data, "secret-share", 12);
	assert_int_equal(sv_blob_decode(&in, b, SV_BLOB_AREA, SV_BLOB_LOCATIONS,
					&bl, &st),
			 -EBADMSG);
	other.uuid[15] ^= 1;
	assert_int_equal(
		sv_blob_decode(&other, b, SV_BLOB_AREA, SV_BLOB_KEY, &bl, &st),
		-ESTALE);
	assert_int_equal(st.code, SV_E_FOREIGN);
	b[SV_BLOB_HDR_SIZE + 2] ^= 1;
	assert_int_equal(
		sv_blob_decode(&in, b, SV_BLOB_AREA, SV_BLOB_KEY, &bl, &st),
		-EBADMSG);
	assert_int_equal(st.code, SV_E_CRC);
	memset(b, 0, SV_BLOB_HDR_SIZE);
	assert_int_equal(
		sv_blob_decode(&in, b, SV_BLOB_AREA, SV_BLOB_KEY, &bl, &st),
		-ENOENT);
	free(b);
}

/* ---- writer + reader on an in-memory LUN ---- */

struct hist {
	uint64_t seq;
	uint64_t lba, gen;
	uint8_t share[1024];
	int zero;
};

struct vol1 {
	struct sv_memdev *m;
	struct sv_writer *w;
	struct xs_ctx *ctx;
	struct hist *h;
	unsigned nh;
	uint64_t seq, rng;
	unsigned index;
};

static void vol1_open(struct vol1 *v, unsigned index, int zeroed)
{
	struct sv_writer_cfg cfg;
	struct sv_status st;

	memset(&cfg, 0, sizeof(cfg));
	cfg.params = t_params(2, 3, index, BS, NBLK);
	cfg.format = true;
	cfg.zeroed = zeroed;
	cfg.chunk = 8192;
	assert_int_equal(sv_writer_open(&v->w, sv_memdev_dev(v->m), &cfg, &st),
			 0);
}

static void vol1_init(struct vol1 *v, unsigned index, uint64_t cap)
{
	memset(v, 0, sizeof(*v));
	v->m = sv_memdev_new(cap, 512, 7 + index);
	v->index = index;
	v->rng = 99 + index;
	v->h = calloc(16384, sizeof(*v->h));
	assert_int_equal(xs_ctx_new(&v->ctx, 2, 3, BS, 0), 0);
	vol1_open(v, index, 1);
}

static void vol1_free(struct vol1 *v)
{
	sv_writer_free(v->w);
	sv_memdev_free(v->m);
	xs_ctx_free(v->ctx);
	free(v->h);
}

/* Appends count random batches of 1..4 blocks. */
static void vol1_write(struct vol1 *v, unsigned count)
{
	struct sv_share_ent ents[4];
	uint8_t block[BS], *sh[3];
	struct sv_status st;
	unsigned i, j, nb;

	for (i = 0; i < count; i++) {
		struct sv_batch b = {++v->seq, 1000 + v->seq, 0, ents};

		nb = 1 + t_rand(&v->rng) % 4;
		uint64_t lba = t_rand(&v->rng) % (NBLK - nb);

		for (j = 0; j < nb; j++) {
			struct hist *h = &v->h[v->nh++];

			h->seq = b.seq;
			h->lba = lba + j;
			h->zero = t_rand(&v->rng) % 8 == 0;
			ents[j].lba = h->lba;
			ents[j].share = NULL;
			ents[j].gen = 0;
			if (!h->zero) {
				memset(block, (int)(t_rand(&v->rng)), BS);
				h->gen = t_split(v->ctx, 3, block, BS, sh);
				memcpy(h->share, sh[v->index],
				       xs_share_size(3, BS));
				for (unsigned s = 0; s < 3; s++)
					free(sh[s]);
				ents[j].gen = h->gen;
				ents[j].share = h->share;
			}
		}
		b.count = nb;
		assert_int_equal(sv_writer_append(v->w, &b, &st), 0);
		if (t_rand(&v->rng) % 4 == 0)
			assert_int_equal(sv_writer_pump(v->w, 0, &st), 0);
	}
}

/* Checks every block of reader r as of seq against the history. */
static void vol1_check(struct vol1 *v, struct sv_reader *r, uint64_t seq)
{
	uint8_t out[1024];
	struct sv_status st;
	uint64_t lba, gen;
	enum sv_slot_kind kind;
	int i;

	for (lba = 0; lba < NBLK; lba++) {
		const struct hist *h = NULL;

		for (i = (int)v->nh - 1; i >= 0; i--)
			if (v->h[i].lba == lba && v->h[i].seq <= seq) {
				h = &v->h[i];
				break;
			}
		if (sv_reader_block(r, lba, seq, out, &kind, &gen, &st))
			fail_msg("block %" PRIu64 " seq %" PRIu64 ": %s", lba,
				 seq, st.msg);
		if (!h) {
			assert_int_equal(kind, SV_SLOT_EMPTY);
		} else if (h->zero) {
			assert_true(kind == SV_SLOT_ZERO);
		} else {
			assert_int_equal(kind, SV_SLOT_SHARE);
			assert_int_equal(gen, h->gen);
			assert_memory_equal(out, h->share,
					    xs_share_size(3, BS));
		}
	}
}

static struct sv_reader *open_reader(struct sv_memdev *m, const uint8_t *uuid,
				     int index, struct sv_status *st, int *ret)
{
	struct sv_read_io io = {sv_memdev_read, m, sv_memdev_dev(m)->capacity};
	struct sv_expect exp = {uuid, index};
	struct sv_reader *r = NULL;

	*ret = sv_reader_open(&r, &io, &exp, st);
	return r;
}

static void test_writer_reader(void **state)
{
	struct sv_status st;
	struct sv_range rg;
	struct sv_reader *r;
	struct vol1 v;
	uint64_t s, seq;
	int ret;

	vol1_init(&v, 1, CAP);
	vol1_write(&v, 60);
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	assert_int_equal(sv_writer_acked(v.w, NULL), 60);
	r = open_reader(v.m, (const uint8_t *)T_UUID, 1, &st, &ret);
	assert_int_equal(ret, 0);
	sv_reader_range(r, &rg);
	assert_int_equal(rg.s_min, 0);
	assert_int_equal(rg.s_max, 60);
	assert_true(rg.usable);
	for (s = 0; s <= 60; s += 7)
		vol1_check(&v, r, s);
	assert_int_equal(sv_reader_seq_before(r, 1000 + 30, &seq), 0);
	assert_int_equal(seq, 30);
	sv_reader_free(r);

	/* checkpoint to 40: [40, 60] remain restorable */
	assert_int_equal(sv_writer_checkpoint(v.w, 40, 0, &st), 0);
	r = open_reader(v.m, NULL, -1, &st, &ret);
	assert_int_equal(ret, 0);
	sv_reader_range(r, &rg);
	assert_int_equal(rg.s_min, 40);
	assert_int_equal(rg.s_max, 60);
	vol1_check(&v, r, 40);
	vol1_check(&v, r, 60);
	assert_int_equal(sv_reader_block(r, 0, 39, NULL, NULL, NULL, &st),
			 -ERANGE);
	assert_int_equal(st.code, SV_E_RANGE);
	sv_reader_free(r);

	/* many laps of the ring with checkpoints in between (WRAP records) */
	for (int lap = 0; lap < 40; lap++) {
		vol1_write(&v, 50);
		assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
		assert_int_equal(sv_writer_checkpoint(v.w, v.seq - 10, 0, &st),
				 0);
	}
	r = open_reader(v.m, NULL, -1, &st, &ret);
	assert_int_equal(ret, 0);
	sv_reader_range(r, &rg);
	assert_int_equal(rg.s_min, v.seq - 10);
	assert_int_equal(rg.s_max, v.seq);
	vol1_check(&v, r, v.seq - 10);
	vol1_check(&v, r, v.seq - 3);
	vol1_check(&v, r, v.seq);
	sv_reader_free(r);
	vol1_free(&v);
}

static void test_retain(void **state)
{
	struct sv_writer_cfg cfg;
	struct sv_status st;
	struct vol1 v;

	vol1_init(&v, 0, CAP);
	sv_writer_free(v.w);
	sv_memdev_free(v.m);
	v.m = sv_memdev_new(CAP, 512, 3);
	memset(&cfg, 0, sizeof(cfg));
	cfg.params = t_params(2, 3, 0, BS, NBLK);
	cfg.params.retain_s = 1;
	cfg.format = cfg.zeroed = true;
	assert_int_equal(sv_writer_open(&v.w, sv_memdev_dev(v.m), &cfg, &st),
			 0);
	vol1_write(&v, 20); /* record times 1001 .. 1020 ns */
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	/* nothing older than 1 s yet: no checkpoint */
	assert_int_equal(sv_writer_checkpoint(v.w, 20, 1020, &st), 0);
	assert_int_equal(sv_writer_info(v.w)->ckpt_seq, 0);
	/* at t = 1 s + 1010 ns, records up to seq 10 are old enough */
	assert_int_equal(
		sv_writer_checkpoint(v.w, 20, 1000000000ULL + 1010, &st), 0);
	assert_int_equal(sv_writer_info(v.w)->ckpt_seq, 10);
	vol1_free(&v);
}

static void test_grown_and_copied(void **state)
{
	struct sv_writer_cfg cfg;
	struct sv_status st;
	struct sv_memdev *copy;
	struct sv_reader *r;
	struct sv_range rg;
	struct vol1 v;
	int ret;

	vol1_init(&v, 2, CAP);
	vol1_write(&v, 30);
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	assert_int_equal(sv_writer_checkpoint(v.w, 20, 0, &st), 0);
	/* partner grows the LUN with zeroes */
	assert_int_equal(sv_memdev_grow(v.m, CAP + (5u << 20)), 0);
	r = open_reader(v.m, (const uint8_t *)T_UUID, 2, &st, &ret);
	assert_int_equal(ret, 0);
	vol1_check(&v, r, 20);
	vol1_check(&v, r, 30);
	sv_reader_free(r);
	/* block-for-block copy onto a larger LUN, with 4 KiB blocks: the
	 * reader and the writer both carry on there */
	copy = sv_memdev_new(CAP + (9u << 20), 512, 11);
	memcpy(sv_memdev_image(copy), sv_memdev_image(v.m), CAP + (5u << 20));
	sv_writer_free(v.w);
	sv_memdev_free(v.m);
	v.m = copy;
	memset(&cfg, 0, sizeof(cfg));
	cfg.params = t_params(2, 3, 2, BS, NBLK);
	assert_int_equal(sv_writer_open(&v.w, sv_memdev_dev(v.m), &cfg, &st),
			 0);
	assert_int_equal(sv_writer_acked(v.w, NULL), 30);
	vol1_write(&v, 10);
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	r = open_reader(v.m, (const uint8_t *)T_UUID, 2, &st, &ret);
	assert_int_equal(ret, 0);
	sv_reader_range(r, &rg);
	assert_int_equal(rg.s_min, 20);
	assert_int_equal(rg.s_max, 40);
	vol1_check(&v, r, 40);
	sv_reader_free(r);
	/* a copy onto a LUN too small for it is named */
	copy = sv_memdev_new(CAP - (1u << 20), 512, 12);
	memcpy(sv_memdev_image(copy), sv_memdev_image(v.m), CAP - (1u << 20));
	r = open_reader(copy, NULL, -1, &st, &ret);
	assert_int_equal(ret, -EBADMSG);
	assert_int_equal(st.code, SV_E_SMALL);
	sv_memdev_free(copy);
	vol1_free(&v);
}

/*
 * The volume grew: the share volume is extended in place (superblock
 * nblocks raised, all or nothing through the two copies, a GROW journal
 * record at the log's seq): a LUN too small is named with the bytes it
 * needs, a restore before the growth gets the old size, a torn superblock
 * update leaves the old one, a checkpoint through the GROW record keeps
 * the new size, a re-attach continues, a smaller volume is refused.
 */
static void test_grow_in_place(void **state)
{
	const uint64_t big = 8192;
	uint8_t share[1024], out[1024], *sh[3], block[BS], *before;
	struct sv_share_ent ent;
	struct sv_writer_cfg cfg;
	enum sv_slot_kind kind;
	struct sv_memdev *torn;
	struct sv_status st;
	struct sv_reader *r;
	struct sv_range rg;
	uint64_t need, gen, g;
	unsigned copy;
	struct vol1 v;
	int ret;

	vol1_init(&v, 1, CAP);
	vol1_write(&v, 20);
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	assert_int_equal(sv_writer_checkpoint(v.w, 10, 0, &st), 0);
	need = sv_writer_need(v.w, big);
	assert_true(need > CAP);
	/* the LUN is too small: nothing changes, the message has the size */
	assert_int_equal(sv_writer_grow(v.w, big, 21, 2021, &st), -ENOSPC);
	assert_int_equal(st.code, SV_E_SMALL);
	{
		char want[64];

		snprintf(want, sizeof(want), "grow LUN to >= %" PRIu64 " bytes",
			 need);
		assert_non_null(strstr(st.msg, want));
	}
	assert_int_equal(sv_writer_info(v.w)->nblocks, NBLK);
	/* the partner grows it with zeroes, one block short, then enough */
	assert_int_equal(sv_memdev_grow(v.m, need - 512), 0);
	assert_int_equal(sv_writer_grow(v.w, big, 21, 2021, &st), -ENOSPC);
	assert_int_equal(sv_memdev_grow(v.m, need), 0);
	before = malloc(need);
	memcpy(before, sv_memdev_image(v.m), need);
	assert_int_equal(sv_writer_grow(v.w, big, 21, 2021, &st), 0);
	assert_int_equal(sv_writer_info(v.w)->nblocks, big);
	assert_int_equal(sv_writer_info(v.w)->base_nblocks, NBLK);
	/* a block beyond the old end at seq 22 */
	memset(block, 0x5a, sizeof(block));
	g = t_split(v.ctx, 3, block, BS, sh);
	memcpy(share, sh[1], xs_share_size(3, BS));
	for (unsigned s = 0; s < 3; s++)
		free(sh[s]);
	ent = (struct sv_share_ent){big - 1, g, share};
	assert_int_equal(sv_writer_append(v.w,
					  &(struct sv_batch){22, 2022, 1, &ent},
					  &st),
			 0);
	ent.lba = big; /* past the new end */
	assert_int_equal(sv_writer_append(v.w,
					  &(struct sv_batch){23, 2023, 1, &ent},
					  &st),
			 -EINVAL);
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	r = open_reader(v.m, (const uint8_t *)T_UUID, 1, &st, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(sv_reader_nblocks_at(r, 15), NBLK);
	assert_int_equal(sv_reader_nblocks_at(r, 20), NBLK);
	assert_int_equal(sv_reader_nblocks_at(r, 21), big);
	assert_int_equal(sv_reader_nblocks_at(r, 22), big);
	sv_reader_range(r, &rg);
	assert_int_equal(rg.s_max, 22);
	vol1_check(&v, r, 20);
	assert_int_equal(sv_reader_block(r, big - 1, 21, out, &kind, &gen, &st),
			 0);
	assert_int_equal(kind, SV_SLOT_EMPTY);
	assert_int_equal(sv_reader_block(r, big - 1, 22, out, &kind, &gen, &st),
			 0);
	assert_int_equal(kind, SV_SLOT_SHARE);
	assert_memory_equal(out, share, xs_share_size(3, BS));
	sv_reader_free(r);
	/* the superblock update torn half way: the old superblock stands */
	torn = sv_memdev_new(need, 512, 21);
	memcpy(sv_memdev_image(torn), before, need);
	copy = (unsigned)(sv_writer_info(v.w)->gen % 2);
	memcpy(sv_memdev_image(torn) + copy * SV_SUPER_AREA,
	       sv_memdev_image(v.m) + copy * SV_SUPER_AREA, 256);
	r = open_reader(torn, (const uint8_t *)T_UUID, 1, &st, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(sv_reader_info(r)->nblocks, NBLK);
	assert_int_equal(sv_reader_nblocks_at(r, 20), NBLK);
	vol1_check(&v, r, 20);
	sv_reader_free(r);
	sv_memdev_free(torn);
	free(before);
	/* a checkpoint through the GROW record keeps the new size */
	assert_int_equal(sv_writer_checkpoint(v.w, 22, 0, &st), 0);
	assert_int_equal(sv_writer_info(v.w)->base_nblocks, big);
	r = open_reader(v.m, (const uint8_t *)T_UUID, 1, &st, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(sv_reader_nblocks_at(r, 22), big);
	assert_int_equal(sv_reader_block(r, big - 1, 22, out, &kind, &gen, &st),
			 0);
	assert_int_equal(kind, SV_SLOT_SHARE);
	assert_memory_equal(out, share, xs_share_size(3, BS));
	sv_reader_free(r);
	/* re-attach at the new size continues; a smaller volume is refused */
	sv_writer_free(v.w);
	memset(&cfg, 0, sizeof(cfg));
	cfg.params = t_params(2, 3, 1, BS, big);
	assert_int_equal(sv_writer_open(&v.w, sv_memdev_dev(v.m), &cfg, &st),
			 0);
	assert_int_equal(sv_writer_acked(v.w, NULL), 22);
	sv_writer_free(v.w);
	/* a replicator started after a further growth attaches too (and
	 * grows it when it reads the log's GROW record) */
	cfg.params = t_params(2, 3, 1, BS, 2 * big);
	assert_int_equal(sv_writer_open(&v.w, sv_memdev_dev(v.m), &cfg, &st),
			 0);
	assert_int_equal(sv_writer_info(v.w)->nblocks, big);
	sv_writer_free(v.w);
	cfg.params = t_params(2, 3, 1, BS, NBLK);
	assert_int_equal(sv_writer_open(&v.w, sv_memdev_dev(v.m), &cfg, &st),
			 -ESTALE);
	assert_int_equal(st.code, SV_E_FIELD);
	v.w = NULL;
	vol1_free(&v);
}

static void test_foreign_index_stale_garbage(void **state)
{
	uint8_t other[16], *snap;
	struct sv_writer_cfg cfg;
	struct sv_writer *w2;
	struct sv_status st;
	struct sv_reader *r;
	struct vol1 v;
	uint64_t lba, gen;
	enum sv_slot_kind kind;
	uint8_t out[1024];
	int ret, stale = 0;

	vol1_init(&v, 1, CAP);
	vol1_write(&v, 30);
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	memcpy(other, T_UUID, 16);
	other[0] ^= 0x80;
	r = open_reader(v.m, other, 1, &st, &ret);
	assert_int_equal(ret, -ESTALE);
	assert_int_equal(st.code, SV_E_FOREIGN);
	r = open_reader(v.m, (const uint8_t *)T_UUID, 0, &st, &ret);
	assert_int_equal(ret, -ESTALE);
	assert_int_equal(st.code, SV_E_INDEX);
	assert_string_equal(sv_err_name(st.code), "wrong-index");
	/* the writer refuses to take over a LUN of another volume or share */
	memset(&cfg, 0, sizeof(cfg));
	cfg.params = t_params(2, 3, 1, BS, NBLK);
	cfg.params.uuid[0] ^= 0x80;
	cfg.format = true;
	assert_int_equal(sv_writer_open(&w2, sv_memdev_dev(v.m), &cfg, &st),
			 -ESTALE);
	assert_int_equal(st.code, SV_E_FOREIGN);
	cfg.params = t_params(2, 3, 0, BS, NBLK);
	assert_int_equal(sv_writer_open(&w2, sv_memdev_dev(v.m), &cfg, &st),
			 -ESTALE);
	assert_int_equal(st.code, SV_E_INDEX);

	/* stale: an old superblock put back after slots moved on */
	snap = malloc(SV_JOURNAL_OFF);
	memcpy(snap, sv_memdev_image(v.m), SV_JOURNAL_OFF);
	vol1_write(&v, 200);
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	assert_int_equal(sv_writer_checkpoint(v.w, v.seq, 0, &st), 0);
	memcpy(sv_memdev_image(v.m), snap, SV_JOURNAL_OFF);
	r = open_reader(v.m, NULL, -1, &st, &ret);
	if (!ret) {
		for (lba = 0; lba < NBLK; lba++)
			if (sv_reader_block(r, lba, 30, out, &kind, &gen,
					    &st) == -ESTALE &&
			    st.code == SV_E_STALE)
				stale++;
		assert_true(stale > 0);
		sv_reader_free(r);
	} else {
		/* or its journal is gone: also named, never used */
		assert_int_equal(st.code, SV_E_JOURNAL);
	}
	/* and the writer notices the volume changed under it */
	assert_int_equal(sv_writer_resume(v.w, &st), -ESTALE);
	assert_int_equal(st.code, SV_E_STALE);

	/* garbage header */
	memset(sv_memdev_image(v.m), 0x3c, 3 * 4096);
	r = open_reader(v.m, NULL, -1, &st, &ret);
	assert_int_equal(ret, -EBADMSG);
	assert_int_equal(st.code, SV_E_MAGIC);
	assert_string_equal(sv_err_name(st.code), "bad-magic");
	/* ... and the writer never formats over it */
	{
		struct sv_writer_cfg cfg;
		struct sv_writer *w2 = NULL;

		memset(&cfg, 0, sizeof(cfg));
		cfg.params = t_params(2, 3, 0, BS, NBLK);
		cfg.format = true;
		assert_int_equal(
			sv_writer_open(&w2, sv_memdev_dev(v.m), &cfg, &st),
			-EBADMSG);
		assert_int_equal(st.code, SV_E_MAGIC);
		assert_null(w2);
	}
	free(snap);
	vol1_free(&v);
}

static void test_blobs_and_members(void **state)
{
	uint8_t buf[SV_BLOB_MAX];
	struct sv_status st;
	struct sv_reader *r;
	struct sv_range rg;
	struct vol1 v;
	uint32_t len;
	int ret;

	vol1_init(&v, 0, CAP);
	r = open_reader(v.m, NULL, -1, &st, &ret);
	assert_int_equal(
		sv_reader_blob(r, SV_BLOB_KEY, buf, sizeof(buf), &len, &st),
		-ENOENT);
	sv_reader_free(r);
	assert_int_equal(sv_writer_put_blob(v.w, SV_BLOB_KEY, "key-v1", 6, &st),
			 0);
	assert_int_equal(
		sv_writer_put_blob(v.w, SV_BLOB_KEY, "key-v2!", 7, &st), 0);
	assert_int_equal(
		sv_writer_put_blob(v.w, SV_BLOB_LOCATIONS, "table", 5, &st), 0);
	assert_int_equal(sv_writer_set_members(v.w, 3, 0x5, &st), 0);
	r = open_reader(v.m, NULL, -1, &st, &ret);
	assert_int_equal(
		sv_reader_blob(r, SV_BLOB_KEY, buf, sizeof(buf), &len, &st), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(buf, "key-v2!", 7);
	assert_int_equal(sv_reader_blob(r, SV_BLOB_LOCATIONS, buf, sizeof(buf),
					&len, &st),
			 0);
	assert_memory_equal(buf, "table", 5);
	sv_reader_range(r, &rg);
	assert_int_equal(rg.epoch, 3);
	assert_int_equal(rg.live_mask, 0x5);
	sv_reader_free(r);
	/* the newest key copy corrupted: the previous one is returned */
	sv_memdev_image(v.m)[sv_blob_off(SV_BLOB_KEY, 0) + 70] ^= 1;
	r = open_reader(v.m, NULL, -1, &st, &ret);
	assert_int_equal(
		sv_reader_blob(r, SV_BLOB_KEY, buf, sizeof(buf), &len, &st), 0);
	assert_memory_equal(buf, "key-v1", 6);
	sv_reader_free(r);
	vol1_free(&v);
}

static void test_resync(void **state)
{
	uint8_t block[BS], *sh[3];
	struct sv_status st;
	struct sv_reader *r;
	struct sv_range rg;
	struct vol1 v;
	uint64_t lba;
	int ret;

	memset(&v, 0, sizeof(v));
	v.m = sv_memdev_new(CAP, 512, 5);
	/* garbage where the slots will be: a fresh LUN is not zeroed */
	memset(sv_memdev_image(v.m) + (2u << 20), 0xee, 1u << 20);
	v.h = calloc(16384, sizeof(*v.h));
	v.index = 2;
	v.rng = 5;
	assert_int_equal(xs_ctx_new(&v.ctx, 2, 3, BS, 0), 0);
	vol1_open(&v, 2, 0);
	r = open_reader(v.m, NULL, -1, &st, &ret);
	assert_int_equal(ret, 0);
	sv_reader_range(r, &rg);
	assert_false(rg.usable);
	sv_reader_free(r);
	assert_int_equal(sv_writer_resync_begin(v.w, &st), 0);
	for (lba = 0; lba < NBLK; lba++) {
		struct hist *h = &v.h[v.nh++];

		memset(block, (int)lba, BS);
		h->seq = 500;
		h->lba = lba;
		h->gen = t_split(v.ctx, 3, block, BS, sh);
		memcpy(h->share, sh[2], xs_share_size(3, BS));
		for (int s = 0; s < 3; s++)
			free(sh[s]);
		assert_int_equal(sv_writer_put_slot(v.w, lba, h->gen, 500,
						    h->share, &st),
				 0);
	}
	assert_int_equal(sv_writer_resync_end(v.w, 500, 5000, &st), 0);
	v.seq = 500;
	vol1_write(&v, 10);
	assert_int_equal(sv_writer_drain(v.w, 10000, &st), 0);
	r = open_reader(v.m, NULL, -1, &st, &ret);
	assert_int_equal(ret, 0);
	sv_reader_range(r, &rg);
	assert_true(rg.usable);
	assert_int_equal(rg.s_min, 500);
	assert_int_equal(rg.s_max, 510);
	vol1_check(&v, r, 500);
	vol1_check(&v, r, 510);
	sv_reader_free(r);
	vol1_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_super_roundtrip_and_corruption),
		cmocka_unit_test(test_super_pick),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_slot),
		cmocka_unit_test(test_blob),
		cmocka_unit_test(test_writer_reader),
		cmocka_unit_test(test_retain),
		cmocka_unit_test(test_grown_and_copied),
		cmocka_unit_test(test_grow_in_place),
		cmocka_unit_test(test_foreign_index_stale_garbage),
		cmocka_unit_test(test_blobs_and_members),
		cmocka_unit_test(test_resync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
