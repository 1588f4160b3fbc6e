// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for everything read from a peer's share volume: the
 * superblock pair, blobs, the journal scan, slots, block lookups, and the
 * share writer attaching to (and checkpointing) a hostile volume.
 *
 * Input: one mode byte, then
 *   mode & 1 == 0: the rest is a whole LUN image (small: mostly refused);
 *   mode & 1 == 1: mutations of a valid image built once (superblocks,
 *     blobs, a journal with records and a wrap, checkpointed slots), as
 *     [region u8][offset u16 LE][len u8][len bytes]...; with mode & 2 the
 *     checksums are recomputed after mutating, so the fuzzer reaches the
 *     field checks behind them; with mode & 4 a share writer also opens
 *     the image, appends, drains and checkpoints.
 * Nothing may read or write out of bounds, loop without bound or allocate
 * without bound, whatever the bytes.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bs_xorshare/codec/xorshare.h"
#include "core/crc32c.h"
#include "replicator/sv.h"
#include "replicator/sv_memdev.h"
#include "replicator/sv_writer.h"

#define BS   512
#define NBLK 16

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static uint8_t *base, *work;
static uint64_t cap;
static struct sv_info binfo;
static uint8_t uuid[16] = "fuzz-share-vol!";

static struct sv_params params(void)
{
	struct sv_params p;

	memset(&p, 0, sizeof(p));
	memcpy(p.uuid, uuid, 16);
	p.k = 2;
	p.n = 3;
	p.index = 1;
	p.block_size = BS;
	p.nblocks = NBLK;
	p.align = 512;
	p.journal_len = 1 << 20;
	p.live_mask = 7;
	return p;
}

/* A valid share volume with everything in it, built with the writer. */
static void build_base(void)
{
	struct sv_writer_cfg cfg = {0};
	struct sv_writer *w;
	struct sv_memdev *m;
	struct xs_ctx *ctx;
	struct sv_status st;
	struct sv_info tmp;
	uint8_t block[BS], *sh[3];
	uint64_t seq;

	cfg.params = params();
	cfg.format = cfg.zeroed = true;
	cfg.chunk = 4096;
	sv_layout_init(&tmp, &cfg.params, 0, NULL);
	cap = sv_layout_end(&tmp);
	m = sv_memdev_new(cap, 512, 1);
	if (!m || xs_ctx_new(&ctx, 2, 3, BS, 0) ||
	    sv_writer_open(&w, sv_memdev_dev(m), &cfg, &st))
		abort();
	for (seq = 1; seq <= 12; seq++) {
		struct sv_share_ent e[2];
		struct xs_share_info si;
		size_t sz = xs_share_size(3, BS);
		unsigned i;

		for (i = 0; i < 3; i++)
			sh[i] = malloc(sz);
		memset(block, (int)seq, sizeof(block));
		xs_split(ctx, block, BS, sh);
		xs_share_parse(sh[0], sz, &si);
		e[0] = (struct sv_share_ent){seq % NBLK, si.split_id, sh[1]};
		e[1] = (struct sv_share_ent){(seq + 5) % NBLK, 0, NULL};
		if (sv_writer_append(w,
				     &(struct sv_batch){seq, seq * 1000, 2, e},
				     &st) ||
		    sv_writer_drain(w, 1000, &st))
			abort();
		if (seq == 6 && sv_writer_checkpoint(w, 6, 0, &st))
			abort();
		for (i = 0; i < 3; i++)
			free(sh[i]);
	}
	sv_writer_put_blob(w, SV_BLOB_KEY, "key share", 9, &st);
	sv_writer_put_blob(w, SV_BLOB_LOCATIONS, "table", 5, &st);
	binfo = *sv_writer_info(w);
	base = malloc(cap);
	memcpy(base, sv_memdev_image(m), cap);
	sv_writer_free(w);
	sv_memdev_free(m);
	xs_ctx_free(ctx);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/* Recomputes the checksums a mutation broke. */
static void reseal(uint8_t *img)
{
	uint64_t pos = binfo.jtail_pos, end = pos + binfo.journal_len;
	unsigned c, t, r;

	for (c = 0; c < 2; c++) {
		uint8_t *sb = img + c * SV_SUPER_AREA;

		put_le32(sb + 508, crc32c(0, sb, 508));
	}
	for (t = 1; t <= SV_BLOB_TYPES; t++)
		for (c = 0; c < 2; c++) {
			uint8_t *b = img + sv_blob_off(t, c);
			uint32_t len = get_le32(b + 32);

			if (len <= SV_BLOB_MAX)
				put_le32(b + 36, crc32c(0, b + 64, len));
			put_le32(b + 60, crc32c(0, b, 60));
		}
	for (r = 0; r < 64 && pos < end; r++) {
		uint64_t off = sv_ring_off(&binfo, pos);
		uint64_t room = sv_ring_room(&binfo, pos);
		uint8_t *h = img + off;
		uint32_t len = get_le32(h + 8), nent = get_le32(h + 12);
		uint64_t sh = 64 + (uint64_t)nent * 24, j, crc;

		if (sh > room)
			break;
		for (j = 0; j < nent; j++) {
			uint8_t *e = h + 64 + j * 24;

			if (e[16] & 1)
				continue;
			if (sh + binfo.share_size > room)
				break;
			put_le32(e + 20, crc32c(0, h + sh, binfo.share_size));
			sh += binfo.share_size;
		}
		crc = crc32c(0, h, 60);
		put_le32(h + 60,
			 crc32c((uint32_t)crc, h + 64, (size_t)nent * 24));
		if (!len || len % 512 || len > room)
			break;
		pos += len;
	}
}

static int rd(void *arg, uint64_t off, void *buf, size_t len)
{
	const uint8_t *img = arg;

	if (off > cap || len > cap - off)
		return -5;
	memcpy(buf, img + off, len);
	return 0;
}

static int rd_raw_len;
static int rd_raw(void *arg, uint64_t off, void *buf, size_t len)
{
	if (off > (uint64_t)rd_raw_len || len > (uint64_t)rd_raw_len - off)
		return -5;
	memcpy(buf, (const uint8_t *)arg + off, len);
	return 0;
}

static void exercise(struct sv_reader *r)
{
	static uint8_t out[4096], blob[SV_BLOB_MAX];
	const struct sv_info *in = sv_reader_info(r);
	struct sv_range rg[2];
	enum sv_slot_kind kind;
	struct sv_status st;
	uint64_t lba, gen, S;
	uint32_t len, m;

	sv_reader_range(r, &rg[0]);
	rg[1] = rg[0];
	rg[1].index = (rg[0].index + 1) % 32;
	sv_common_seq(rg, 2, 2, 0, &S, &m, &st);
	sv_reader_seq_before(r, 5000, &S);
	sv_reader_blob(r, SV_BLOB_KEY, blob, sizeof(blob), &len, &st);
	sv_reader_blob(r, SV_BLOB_LOCATIONS, blob, sizeof(blob), &len, &st);
	if (in->share_size > sizeof(out))
		return;
	for (lba = 0; lba < in->nblocks && lba < 64; lba++) {
		sv_reader_block(r, lba, rg[0].s_min, out, &kind, &gen, &st);
		sv_reader_block(r, lba, rg[0].s_max, out, &kind, &gen, &st);
	}
}

static void writer_on(const uint8_t *img)
{
	/* One device for all runs: fresh pages per run would dominate. */
	static struct sv_memdev *m;
	struct sv_writer_cfg cfg = {0};
	uint8_t share[1024] = {0};
	struct sv_writer *w;
	struct sv_status st;
	struct sv_share_ent e = {3, 0, NULL};

	(void)share;
	if (!m)
		m = sv_memdev_new(cap, 512, 2);
	memcpy(sv_memdev_image(m), img, cap);
	cfg.params = params();
	if (!sv_writer_open(&w, sv_memdev_dev(m), &cfg, &st)) {
		sv_writer_append(
			w, &(struct sv_batch){sv_writer_last(w) + 1, 1, 1, &e},
			&st);
		sv_writer_drain(w, 100, &st);
		sv_writer_checkpoint(w, sv_writer_acked(w, NULL), 0, &st);
		sv_memdev_crash(m);
		sv_writer_free(w);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sv_read_io io;
	struct sv_reader *r;
	struct sv_status st;
	uint8_t mode, *img;
	size_t i;

	if (!base)
		build_base();
	if (!n)
		return 0;
	mode = d[0];
	if (!(mode & 1)) {
		struct sv_info info;

		img = malloc(n - 1 ? n - 1 : 1);
		memcpy(img, d + 1, n - 1);
		rd_raw_len = (int)(n - 1);
		io = (struct sv_read_io){rd_raw, img, n - 1};
		sv_super_decode(img, n - 1, 0, &info, &st);
		if (!sv_reader_open(&r, &io, NULL, &st)) {
			exercise(r);
			sv_reader_free(r);
		}
		free(img);
		return 0;
	}
	/* one image buffer for all runs (see writer_on) */
	if (!work)
		work = malloc(cap);
	img = work;
	memcpy(img, base, cap);
	for (i = 1; i + 4 <= n;) {
		static const uint64_t span[6] = {512,	512,	     256,
						 65536, NBLK * 1024, 8192};
		uint64_t at[6] = {0,
				  SV_SUPER_AREA,
				  SV_BLOB_OFF,
				  sv_ring_off(&binfo, binfo.jtail_pos),
				  binfo.data_off,
				  0};
		unsigned reg = d[i] % 6, len = d[i + 3];
		uint64_t off = at[reg] + (d[i + 1] | d[i + 2] << 8) % span[reg];

		i += 4;
		if (len > n - i)
			len = (unsigned)(n - i);
		/* a region plus its span can reach past the image's end */
		if (off >= cap)
			len = 0;
		else if (off + len > cap)
			len = (unsigned)(cap - off);
		if (len)
			memcpy(img + off, d + i, len);
		i += len;
	}
	if (mode & 2)
		reseal(img);
	io = (struct sv_read_io){rd, img, cap};
	if (!sv_reader_open(&r, &io, NULL, &st)) {
		exercise(r);
		sv_reader_free(r);
	}
	if (mode & 4)
		writer_on(img);
	return 0;
}
