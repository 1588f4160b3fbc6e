// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-sharevol: test driver of the replicator groundwork. Stands in for
 * the daemon's glue (log -> derive -> share batch -> peer writer) with a
 * deterministic history of block writes, one thread per peer, and for
 * tgtx-recover's reading side.
 *
 *   tgtx-sharevol write  [opts] --peer URL ... (n times, in share order)
 *   tgtx-sharevol verify [opts] --peer URL ...
 *   tgtx-sharevol info --peer URL [--index I]
 *   tgtx-sharevol gens --peer URL --index I   ("LBA GEN" of every block as
 *       of the newest seq the volume holds: the reprotect test compares
 *       the generations a peer holds before and after)
 *   tgtx-sharevol expect [opts] --out FILE   (the volume after --upto)
 *   tgtx-sharevol rebuild --peer URL ... (n times, in share order)
 *       [--shares I,J,..] [--out FILE] [--compare FILE] [--seq S]
 *       [--expect-seq S]
 *
 * rebuild reads share volumes written by anyone (the daemon: geometry,
 * volume UUID and k from the superblocks, nothing from the options) and
 * rebuilds the volume from the given subset, or from every k-subset, at
 * the newest seq the subset can restore (sv_common_seq) or at --seq. It
 * writes the image (--out; FILE.I-J-.. for every subset) and/or compares
 * it with a file (--compare, e.g. the primary's volume). A peer that
 * cannot be read is named and only the subsets holding it fail.
 *   tgtx-sharevol image --image FILE [--k K --n N] --peer URL ... : every
 *       k-subset of the share volumes (written by tgtx-replicd) rebuilds
 *       exactly FILE (the primary's volume) at their newest common seq
 *
 * Exit: 0 ok, 1 usage, 2 cannot connect, 3 I/O or timeout, 4 data
 * mismatch, 5 peer refused (xorshare LUN), 6 share volume invalid (named),
 * 7 TLS refused (a pin does not match, or the peer is no TLS server).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bs_xorshare/codec/xorshare.h"
#include "replicator/peer.h"
#include "replicator/sv.h"
#include "replicator/sv_writer.h"
#include "tls/nodekey.h"

#define MAXB 16

enum {
	EX_OK,
	EX_USAGE,
	EX_CONNECT,
	EX_IO,
	EX_MISMATCH,
	EX_REFUSED,
	EX_FORMAT,
	EX_TLS
};

struct rec {
	unsigned nb;
	uint64_t lba;
	int zero;
	uint64_t first_gen; /* block j has generation first_gen + j */
};

static struct {
	unsigned k, n;
	uint32_t bs;
	uint64_t nblocks, records, upto, seed, journal, rate;
	int op_timeout_ms, timeout_s, index;
	uint64_t ckpt_every, ckpt_max;
	uint64_t at_seq, expect_seq;
	uint32_t shares_mask;
	const char *out, *key_out, *compare;
	bool key_blob;
	uint8_t key_shares[SV_MAX_N][64];
	size_t key_share_len;
	const char *urls[SV_MAX_N];
	unsigned npeers;
	int transport;
	const char *key_file, *pins[SV_MAX_N];
	struct nodekey key; /* key_file's, loaded once for every peer */
	unsigned npins;
	uint8_t uuid[16];
	struct rec *rec;
	size_t share_size;
	_Atomic uint64_t acked[SV_MAX_N];
	_Atomic int done[SV_MAX_N];
	_Atomic int abort; /* a peer was refused: everyone stops */
	time_t deadline;
	const char *image;   /* image mode: compare with this file */
	uint64_t min_seq;    /* image mode: the common seq must reach this */
	const char *keyfile; /* image mode: DIR/key the key blobs must give */
} g = {.k = 2,
       .n = 3,
       .bs = 512,
       .nblocks = 2048,
       .records = 500,
       .seed = 1,
       .journal = 4 << 20,
       .op_timeout_ms = 3000,
       .timeout_s = 90,
       .index = -1};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The data of block j of record seq: self-describing (seq, lba) + noise. */
static void block_data(uint64_t seq, uint64_t lba, uint8_t *out)
{
	uint64_t s = g.seed * 0x9e3779b97f4a7c15ULL + seq * 131 + lba + 1;
	uint32_t i;

	for (i = 0; i < g.bs; i += 8) {
		uint64_t v = rnd(&s);

		memcpy(out + i, &v, 8);
	}
	memcpy(out, &seq, 8);
	memcpy(out + 8, &lba, 8);
}

static void gen_history(void)
{
	uint64_t s = g.seed | 1, seq, gen = 1;

	g.rec = calloc(g.records + 1, sizeof(*g.rec));
	for (seq = 1; seq <= g.records; seq++) {
		struct rec *r = &g.rec[seq];

		r->nb = 1 + (unsigned)(rnd(&s) % MAXB);
		r->lba = rnd(&s) % (g.nblocks - r->nb + 1);
		r->zero = rnd(&s) % 13 == 0;
		r->first_gen = gen;
		gen += r->nb;
	}
	for (seq = 0; seq < 16; seq++)
		g.uuid[seq] = (uint8_t)(g.seed * 37 + seq * 11);
}

/* Volume after seq, into vol (nblocks * bs). */
static void expected(uint64_t upto, uint8_t *vol)
{
	uint64_t seq;
	unsigned j;

	memset(vol, 0, g.nblocks * g.bs);
	for (seq = 1; seq <= upto; seq++)
		for (j = 0; j < g.rec[seq].nb; j++) {
			uint64_t lba = g.rec[seq].lba + j;

			if (g.rec[seq].zero)
				memset(vol + lba * g.bs, 0, g.bs);
			else
				block_data(seq, lba, vol + lba * g.bs);
		}
}

/*
 * What the daemon will do per peer: derive share i of each block of a log
 * record from the volume key and the block's generation (= the share's
 * split id), never holding the other shares.
 */
static void volume_key(uint8_t key[XS_KEY_SIZE])
{
	for (unsigned i = 0; i < XS_KEY_SIZE; i++)
		key[i] = (uint8_t)(g.seed * 131 + i * 7);
}

/* The daemon's key-share blob (SV_BLOB_KEY): the volume key split (k,n)
 * once, share i to peer i. */
static int split_key(void)
{
	uint8_t key[XS_KEY_SIZE], *sh[SV_MAX_N];
	struct xs_ctx *ctx;
	int ret;

	volume_key(key);
	g.key_share_len = xs_share_size(g.n, XS_KEY_SIZE);
	if (g.key_share_len > sizeof(g.key_shares[0]) ||
	    xs_ctx_new(&ctx, g.k, g.n, XS_KEY_SIZE, 0))
		return -EINVAL;
	for (unsigned i = 0; i < g.n; i++)
		sh[i] = g.key_shares[i];
	ret = xs_split(ctx, key, XS_KEY_SIZE, sh);
	xs_ctx_free(ctx);
	return ret;
}

static struct xs_ctx *derive_ctx(void)
{
	uint8_t key[XS_KEY_SIZE];
	struct xs_ctx *ctx;

	volume_key(key);
	if (xs_ctx_new(&ctx, g.k, g.n, g.bs, 0))
		return NULL;
	if (xs_ctx_set_key(ctx, key)) {
		xs_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

static void msg(unsigned i, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void msg(unsigned i, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("peer %u: %s\n", i, buf);
	fflush(stdout);
}

static uint64_t min_acked(void)
{
	uint64_t m = UINT64_MAX;
	unsigned i;

	for (i = 0; i < g.n; i++)
		if (atomic_load(&g.acked[i]) < m)
			m = atomic_load(&g.acked[i]);
	return m;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int peer_cfg_new(unsigned i, struct peer **p, struct sv_status *st)
{
	struct peer_cfg cfg = {.url = g.urls[i],
			       .op_timeout_ms = g.op_timeout_ms,
			       .connect_timeout_ms = g.op_timeout_ms,
			       .rate = g.rate,
			       .backoff_min_ms = 100,
			       .backoff_max_ms = 2000,
			       .transport = g.transport,
			       .tls_key = g.key.pkey ? &g.key : NULL};

	/* the i-th --pin is peer i's; the last one serves the rest */
	if (g.npins)
		cfg.tls_pin = g.pins[i < g.npins ? i : g.npins - 1];

	return peer_new(p, &cfg, st);
}

/* Connects with backoff until the deadline; EX_* code. */
static bool running(void)
{
	return time(NULL) < g.deadline && !atomic_load(&g.abort);
}

static int connect_loop(unsigned i, struct peer *p)
{
	struct sv_status st = {0};

	while (running()) {
		int wait = peer_backoff_ms(p);

		if (wait)
			usleep((useconds_t)wait * 1000);
		if (!peer_connect(p, &st))
			return EX_OK;
		msg(i, "%s: %s", sv_err_name(st.code), st.msg);
		if (st.code == SV_E_REFUSED) {
			atomic_store(&g.abort, 1);
			return EX_REFUSED;
		}
		if (st.code == SV_E_TLS) {
			atomic_store(&g.abort, 1);
			return EX_TLS;
		}
	}
	return EX_CONNECT;
}

static int append_next(unsigned i, struct sv_writer *w, struct xs_ctx *ctx,
		       struct sv_status *st)
{
	static _Thread_local uint8_t data[MAXB * 4096], out[MAXB * 8192];
	uint64_t seq = sv_writer_last(w) + 1;
	struct sv_share_ent ents[MAXB];
	struct rec *r = &g.rec[seq];
	unsigned j;

	for (j = 0; j < r->nb && !r->zero; j++)
		block_data(seq, r->lba + j, data + (size_t)j * g.bs);
	if (!r->zero &&
	    xs_derive_blocks(ctx, i, r->first_gen, data, r->nb, g.bs, out))
		return sv_fail(st, SV_E_SHARE, -EIO, "derive failed");
	for (j = 0; j < r->nb; j++)
		ents[j] = (struct sv_share_ent){
			r->lba + j, r->zero ? 0 : r->first_gen + j,
			r->zero ? NULL : out + (size_t)j * g.share_size};
	return sv_writer_append(
		w, &(struct sv_batch){seq, 1000000 + seq, r->nb, ents}, st);
}

static void *writer_thread(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	struct sv_writer_cfg cfg = {0};
	struct sv_writer *w = NULL;
	struct sv_status st = {0};
	struct xs_ctx *ctx = derive_ctx();
	struct peer *p;
	uint64_t last_ckpt = 0;
	int rc = EX_IO, ret;

	if (!ctx || peer_cfg_new(i, &p, &st)) {
		msg(i, "%s", ctx ? st.msg : "no codec context");
		xs_ctx_free(ctx);
		return (void *)(uintptr_t)EX_USAGE;
	}
	cfg.params.k = g.k;
	cfg.params.n = g.n;
	cfg.params.index = i;
	cfg.params.block_size = g.bs;
	cfg.params.nblocks = g.nblocks;
	cfg.params.journal_len = g.journal;
	memcpy(cfg.params.uuid, g.uuid, 16);
	cfg.format = cfg.zeroed = true;
	cfg.chunk = 256 << 10;
	while (running()) {
		rc = connect_loop(i, p);
		if (rc)
			break;
		rc = EX_IO;
		if (!w) {
			ret = sv_writer_open(&w, peer_dev(p), &cfg, &st);
			if (ret && peer_connected(p)) {
				msg(i, "%s: %s", sv_err_name(st.code), st.msg);
				rc = EX_FORMAT;
				break;
			}
		} else {
			ret = sv_writer_resume(w, &st);
			if (ret && peer_connected(p)) {
				msg(i, "%s: %s", sv_err_name(st.code), st.msg);
				rc = EX_FORMAT;
				break;
			}
		}
		if (!ret && g.key_blob)
			ret = sv_writer_put_blob(
				w, SV_BLOB_KEY, g.key_shares[i],
				(uint32_t)g.key_share_len, &st);
		if (ret)
			continue;
		msg(i, "connected to %s, holds seq %" PRIu64, peer_name(p),
		    sv_writer_acked(w, NULL));
		while (running()) {
			ret = 0;
			while (!ret && sv_writer_last(w) < g.upto)
				ret = append_next(i, w, ctx, &st);
			if (ret && ret != -EAGAIN && ret != -ENOSPC)
				break;
			ret = sv_writer_pump(w, 50, &st);
			if (ret)
				break;
			atomic_store(&g.acked[i], sv_writer_acked(w, NULL));
			if (sv_writer_acked(w, NULL) == g.upto &&
			    !atomic_load(&g.done[i])) {
				msg(i, "acked %" PRIu64, g.upto);
				atomic_store(&g.done[i], 1);
			}
			uint64_t ck = min_acked();

			/* --checkpoint-max: the journal keeps what follows,
			 * as retain= would (for restores to an older point) */
			if (g.ckpt_max && ck > g.ckpt_max)
				ck = g.ckpt_max;
			if (ck >= last_ckpt + g.ckpt_every ||
			    (atomic_load(&g.done[i]) && ck > last_ckpt)) {
				ret = sv_writer_checkpoint(w, ck, now_ns(),
							   &st);
				if (ret)
					break;
				last_ckpt = sv_writer_info(w)->ckpt_seq;
			}
			if (sv_writer_acked(w, NULL) == sv_writer_last(w))
				usleep(20000); /* idle: wait for the others */
			if (last_ckpt == g.upto ||
			    (g.ckpt_max && last_ckpt >= g.ckpt_max &&
			     atomic_load(&g.done[i]) &&
			     min_acked() == g.upto)) {
				msg(i, "checkpoint %" PRIu64, last_ckpt);
				rc = EX_OK;
				goto out;
			}
		}
		if (!running())
			break;
		msg(i, "%s: %s; reconnecting", sv_err_name(st.code), st.msg);
		peer_disconnect(p, -ECONNRESET);
	}
	if (rc == EX_IO)
		msg(i,
		    "gave up at the deadline or on a refusal (acked %" PRIu64
		    ")",
		    w ? sv_writer_acked(w, NULL) : 0);
out : {
	struct peer_stats ps;

	peer_get_stats(p, &ps);
	msg(i,
	    "stats: written %" PRIu64 " read %" PRIu64 " commands %" PRIu64
	    " timeouts %" PRIu64 " connects %" PRIu64
	    " failed connects %" PRIu64,
	    ps.bytes_written, ps.bytes_read, ps.commands, ps.timeouts,
	    ps.connects, ps.connect_failures);
}
	sv_writer_free(w);
	peer_free(p);
	xs_ctx_free(ctx);
	return (void *)(uintptr_t)rc;
}

static int do_write(void)
{
	pthread_t t[SV_MAX_N];
	unsigned i;
	int rc = EX_OK;
	void *r;

	for (i = 0; i < g.n; i++)
		pthread_create(&t[i], NULL, writer_thread,
			       (void *)(uintptr_t)i);
	for (i = 0; i < g.n; i++) {
		pthread_join(t[i], &r);
		if ((int)(uintptr_t)r > rc)
			rc = (int)(uintptr_t)r;
	}
	return rc;
}

struct vpeer {
	struct peer *p;
	struct sv_reader *r;
	struct sv_range rg;
};

static int open_reader(unsigned i, struct vpeer *v, int index)
{
	struct sv_status st = {0};
	struct sv_read_io io;
	struct sv_expect exp = {index >= 0 && !g.image ? g.uuid : NULL, index};
	int rc;

	if (peer_cfg_new(i, &v->p, &st)) {
		msg(i, "%s", st.msg);
		return EX_USAGE;
	}
	rc = connect_loop(i, v->p);
	if (rc)
		return rc;
	io = (struct sv_read_io){peer_read_sync, v->p,
				 peer_dev(v->p)->capacity};
	if (sv_reader_open(&v->r, &io, &exp, &st)) {
		msg(i, "share volume invalid: %s: %s", sv_err_name(st.code),
		    st.msg);
		return EX_FORMAT;
	}
	sv_reader_range(v->r, &v->rg);
	msg(i,
	    "share %u of k=%u n=%u, %" PRIu64 " blocks of %u, seqs [%" PRIu64
	    ", %" PRIu64 "], epoch %" PRIu64 "%s",
	    sv_reader_info(v->r)->index, sv_reader_info(v->r)->k,
	    sv_reader_info(v->r)->n, sv_reader_info(v->r)->nblocks,
	    sv_reader_info(v->r)->block_size, v->rg.s_min, v->rg.s_max,
	    v->rg.epoch, v->rg.usable ? "" : " (resync running)");
	return EX_OK;
}

/* The key-share blobs of a subset give back the volume key (DIR/key). */
static int check_key(struct sv_reader **rd, unsigned c, unsigned mask)
{
	static uint8_t blob[SV_MAX_N][SV_BLOB_MAX];
	const uint8_t *sh[SV_MAX_N];
	uint8_t disk[64], key[64];
	size_t lens[SV_MAX_N], len = 0;
	struct sv_status st = {0};
	struct xs_ctx *kc = NULL;
	uint32_t blen;
	int ok;
	FILE *f = fopen(g.keyfile, "rb");

	if (!f || fread(disk, 1, 64, f) != 64) {
		if (f)
			fclose(f);
		printf("cannot read %s\n", g.keyfile);
		return EX_IO;
	}
	fclose(f);
	for (unsigned i = 0; i < c; i++) {
		if (sv_reader_blob(rd[i], SV_BLOB_KEY, blob[i], SV_BLOB_MAX,
				   &blen, &st)) {
			printf("subset %#x: key blob: %s: %s\n", mask,
			       sv_err_name(st.code), st.msg);
			return EX_FORMAT;
		}
		sh[i] = blob[i];
		lens[i] = blen;
	}
	ok = !xs_ctx_new(&kc, g.k, g.n, 16, 0) &&
	     !xs_combine(kc, sh, lens, c, key, sizeof(key), &len) &&
	     len == 16 && !memcmp(key, disk + 32, 16);
	xs_ctx_free(kc);
	printf("subset %#x: key blobs %s the volume key\n", mask,
	       ok ? "give back" : "do NOT give back");
	return ok ? EX_OK : EX_MISMATCH;
}

static int check_subset(struct vpeer *v, unsigned mask, const uint8_t *vol,
			struct xs_ctx *ctx)
{
	struct sv_range rg[SV_MAX_N];
	struct sv_reader *rd[SV_MAX_N];
	uint8_t *sh[SV_MAX_N], out[4096];
	size_t lens[SV_MAX_N], outlen;
	struct sv_status st = {0};
	unsigned i, c = 0;
	uint64_t S, lba;
	uint32_t m;

	for (i = 0; i < g.n; i++)
		if (mask & (1u << i)) {
			rg[c] = v[i].rg;
			rd[c] = v[i].r;
			sh[c] = malloc(g.share_size);
			lens[c++] = g.share_size;
		}
	if (sv_common_seq(rg, c, g.k, 0, &S, &m, &st)) {
		printf("subset %#x: %s\n", mask, st.msg);
		return EX_MISMATCH;
	}
	if (g.image && S < g.min_seq) {
		printf("subset %#x: newest common seq %" PRIu64
		       ", expected at least %" PRIu64 "\n",
		       mask, S, g.min_seq);
		return EX_MISMATCH;
	}
	if (!g.image && S != g.records) {
		printf("subset %#x: newest common seq %" PRIu64
		       ", expected %" PRIu64 "\n",
		       mask, S, g.records);
		return EX_MISMATCH;
	}
	for (lba = 0; lba < g.nblocks; lba++) {
		unsigned zero = 0;

		for (i = 0; i < c; i++) {
			enum sv_slot_kind kind;
			uint64_t gen;

			if (sv_reader_block(rd[i], lba, S, sh[i], &kind, &gen,
					    &st)) {
				printf("subset %#x block %" PRIu64 ": %s: %s\n",
				       mask, lba, sv_err_name(st.code), st.msg);
				return EX_FORMAT;
			}
			zero += kind != SV_SLOT_SHARE;
		}
		if (zero == c)
			memset(out, 0, g.bs);
		else if (zero ||
			 xs_combine(ctx, (const uint8_t *const *)sh, lens, c,
				    out, sizeof(out), &outlen)) {
			printf("subset %#x block %" PRIu64
			       ": shares do not combine\n",
			       mask, lba);
			return EX_MISMATCH;
		}
		if (memcmp(out, vol + lba * g.bs, g.bs)) {
			printf("subset %#x block %" PRIu64
			       ": differs from the volume after seq %" PRIu64
			       "\n",
			       mask, lba, S);
			return EX_MISMATCH;
		}
	}
	for (i = 0; i < c; i++)
		free(sh[i]);
	printf("subset %#x: seq %" PRIu64 ", %" PRIu64 " blocks identical\n",
	       mask, S, g.nblocks);
	return g.keyfile ? check_key(rd, c, mask) : EX_OK;
}

/* Every share volume, reader i as index i; stops at the first error. */
static int open_readers(struct vpeer *v)
{
	int rc = EX_OK;

	for (unsigned i = 0; i < g.n && !rc; i++)
		rc = open_reader(i, &v[i], (int)i);
	return rc;
}

static void close_readers(struct vpeer *v)
{
	for (unsigned i = 0; i < g.n; i++) {
		sv_reader_free(v[i].r);
		peer_free(v[i].p);
	}
}

/* Every k of the n share volumes against vol: the worst verdict. */
static int check_subsets(struct vpeer *v, const uint8_t *vol)
{
	struct xs_ctx *ctx;
	int rc = EX_OK, r;

	if (xs_ctx_new(&ctx, g.k, g.n, g.bs, 0))
		return EX_IO;
	g.share_size = xs_share_size(g.n, g.bs);
	for (unsigned mask = 0; mask < (1u << g.n); mask++) {
		if ((unsigned)__builtin_popcount(mask) != g.k)
			continue;
		r = check_subset(v, mask, vol, ctx);
		if (r > rc)
			rc = r;
	}
	xs_ctx_free(ctx);
	return rc;
}

static int do_verify(void)
{
	struct vpeer v[SV_MAX_N] = {{0}};
	uint8_t *vol = malloc(g.nblocks * g.bs);
	int rc = open_readers(v);

	if (rc)
		goto out;
	expected(g.records, vol);
	rc = check_subsets(v, vol);
out:
	close_readers(v);
	free(vol);
	return rc;
}

/*
 * Peers are read through 64 windows of 256 KiB: the reader asks for one
 * slot or share at a time, which would cost a round trip each, and shares
 * still in the journal are spread over it.
 */
#define RB_WIN	(256U << 10)
#define RB_NWIN 64
struct rb_cache {
	struct peer *p;
	uint64_t cap;
	struct {
		uint8_t *buf;
		uint64_t off, len, used;
	} w[RB_NWIN];
	uint64_t tick;
};

static int rb_read(void *arg, uint64_t off, void *buf, size_t len)
{
	struct rb_cache *c = arg;
	unsigned i, lru = 0;
	int ret;

	if (len > RB_WIN / 2)
		return peer_read_sync(c->p, off, buf, len);
	for (i = 0; i < RB_NWIN; i++) {
		if (c->w[i].buf && off >= c->w[i].off &&
		    off + len <= c->w[i].off + c->w[i].len) {
			memcpy(buf, c->w[i].buf + (off - c->w[i].off), len);
			c->w[i].used = ++c->tick;
			return 0;
		}
		if (c->w[i].used < c->w[lru].used)
			lru = i;
	}
	if (!c->w[lru].buf && !(c->w[lru].buf = malloc(RB_WIN)))
		return -ENOMEM;
	c->w[lru].off = off / (RB_WIN / 2) * (RB_WIN / 2);
	c->w[lru].len = c->cap - c->w[lru].off < RB_WIN ? c->cap - c->w[lru].off
							: RB_WIN;
	c->w[lru].used = 0;
	if (off + len > c->w[lru].off + c->w[lru].len) {
		c->w[lru].len = 0;
		return peer_read_sync(c->p, off, buf, len);
	}
	ret = peer_read_sync(c->p, c->w[lru].off, c->w[lru].buf, c->w[lru].len);
	if (ret) {
		c->w[lru].len = 0; /* never serve a window that failed */
		return ret;
	}
	c->w[lru].used = ++c->tick;
	memcpy(buf, c->w[lru].buf + (off - c->w[lru].off), len);
	return 0;
}

/*
 * A peer is connected only while it is read (open, then each load): an idle
 * session would miss its target's NOP-In pings while the others are read.
 */
struct rb_peer {
	struct peer *p;
	struct rb_cache c;
	struct sv_reader *r;
	struct sv_info info;
	struct sv_range rg;
	bool ok;
	char why[256];
	/* every block's share as of cached_s */
	uint8_t *sh, *kind;
	uint64_t cached_s;
};

static int rb_open_idx(unsigned i, struct rb_peer *v, int index)
{
	struct sv_status st = {0};
	struct sv_read_io io;
	struct sv_expect exp = {NULL, index};
	int rc;

	if (peer_cfg_new(i, &v->p, &st)) {
		snprintf(v->why, sizeof(v->why), "%s", st.msg);
		return EX_USAGE;
	}
	rc = connect_loop(i, v->p);
	if (rc) {
		snprintf(v->why, sizeof(v->why), "cannot connect");
		return rc;
	}
	v->c = (struct rb_cache){.p = v->p, .cap = peer_dev(v->p)->capacity};
	io = (struct sv_read_io){rb_read, &v->c, v->c.cap};
	if (sv_reader_open(&v->r, &io, &exp, &st)) {
		snprintf(v->why, sizeof(v->why), "%s: %s", sv_err_name(st.code),
			 st.msg);
		return EX_FORMAT;
	}
	sv_reader_range(v->r, &v->rg);
	v->info = *sv_reader_info(v->r);
	v->ok = true;
	if (v->cached_s)
		return EX_OK; /* a re-open to load: said once */
	msg(i,
	    "share %u of k=%u n=%u, %" PRIu64 " blocks of %u, seqs [%" PRIu64
	    ", %" PRIu64 "], epoch %" PRIu64 " live %#x%s",
	    sv_reader_info(v->r)->index, sv_reader_info(v->r)->k,
	    sv_reader_info(v->r)->n, sv_reader_info(v->r)->nblocks,
	    sv_reader_info(v->r)->block_size, v->rg.s_min, v->rg.s_max,
	    v->rg.epoch, v->rg.live_mask,
	    v->rg.usable ? "" : " (resync running)");
	return EX_OK;
}

static int rb_open(unsigned i, struct rb_peer *v)
{
	return rb_open_idx(i, v, (int)i);
}

static void rb_close(struct rb_peer *v)
{
	unsigned j;

	sv_reader_free(v->r);
	peer_free(v->p);
	v->r = NULL;
	v->p = NULL;
	for (j = 0; j < RB_NWIN; j++) {
		free(v->c.w[j].buf);
		v->c.w[j].buf = NULL;
	}
}

/* Every block's share of peer v as of seq s, in memory. */
static int rb_load(unsigned i, struct rb_peer *v, uint64_t s)
{
	const struct sv_info *in = &v->info;
	struct sv_status st = {0};
	uint64_t lba, gen;
	int rc;

	if (v->sh && v->cached_s == s)
		return 0;
	v->cached_s = v->cached_s ? v->cached_s : 1; /* quiet re-open */
	g.deadline = time(NULL) + g.timeout_s; /* --timeout per connection */
	rc = rb_open(i, v);
	if (rc) {
		msg(i, "re-open: %s", v->why);
		rb_close(v);
		return rc;
	}
	if (!v->sh) {
		v->sh = malloc(in->nblocks * in->share_size);
		v->kind = malloc(in->nblocks);
		if (!v->sh || !v->kind) {
			rb_close(v);
			return EX_IO;
		}
	}
	for (lba = 0; lba < in->nblocks; lba++) {
		enum sv_slot_kind kind;

		if (sv_reader_block(v->r, lba, s, v->sh + lba * in->share_size,
				    &kind, &gen, &st)) {
			msg(i,
			    "block %" PRIu64 " as of seq %" PRIu64 ": %s: %s",
			    lba, s, sv_err_name(st.code), st.msg);
			v->cached_s = 0;
			rb_close(v);
			return st.code == SV_E_IO || st.code == SV_E_TIMEOUT
				       ? EX_IO
				       : EX_FORMAT;
		}
		v->kind[lba] = (uint8_t)kind;
	}
	v->cached_s = s;
	rb_close(v);
	return 0;
}

static void rb_name(unsigned mask, char *buf, size_t cap)
{
	size_t len = 0;
	unsigned i;

	buf[0] = 0;
	for (i = 0; i < SV_MAX_N; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(buf + len, cap - len, "%s%u",
						len ? "-" : "", i);
}

static int rb_subset(struct rb_peer *v, unsigned mask, unsigned k)
{
	struct sv_range rg[SV_MAX_N];
	const struct sv_info *in = NULL;
	struct rb_peer *m[SV_MAX_N];
	unsigned idx[SV_MAX_N], i, c = 0;
	struct sv_status st = {0};
	struct xs_ctx *ctx = NULL;
	FILE *out = NULL, *cmp = NULL;
	uint8_t *blk = NULL, *ref = NULL;
	char name[64], path[4096];
	uint64_t S, lba, diff = 0;
	uint32_t ok_mask;
	int rc = EX_OK;

	rb_name(mask, name, sizeof(name));
	for (i = 0; i < g.npeers; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (!v[i].ok) {
			printf("subset %s: peer %u unusable: %s\n", name, i,
			       v[i].why);
			return EX_FORMAT;
		}
		if (in && (memcmp(v[i].info.uuid, in->uuid, 16) ||
			   v[i].info.nblocks != in->nblocks ||
			   v[i].info.block_size != in->block_size)) {
			printf("subset %s: peer %u holds another volume "
			       "(UUID or geometry differ)\n",
			       name, i);
			return EX_FORMAT;
		}
		in = &v[i].info;
		rg[c] = v[i].rg;
		idx[c] = i;
		m[c++] = &v[i];
	}
	if (sv_common_seq(rg, c, k, g.at_seq, &S, &ok_mask, &st)) {
		printf("subset %s: %s: %s\n", name, sv_err_name(st.code),
		       st.msg);
		return EX_MISMATCH;
	}
	if (g.at_seq && S != g.at_seq) {
		printf("subset %s: cannot restore seq %" PRIu64
		       " (newest common seq below it: %" PRIu64 ")\n",
		       name, g.at_seq, S);
		return EX_MISMATCH;
	}
	for (i = 0; i < c; i++) {
		rc = rb_load(idx[i], m[i], S);
		if (rc)
			return rc;
	}
	if (xs_ctx_new(&ctx, k, in->n, in->block_size, 0))
		return EX_IO;
	blk = malloc(in->block_size);
	ref = malloc(in->block_size);
	if (g.out) {
		if (g.shares_mask)
			snprintf(path, sizeof(path), "%s", g.out);
		else
			snprintf(path, sizeof(path), "%s.%s", g.out, name);
		out = fopen(path, "wb");
	}
	if (g.compare)
		cmp = fopen(g.compare, "rb");
	if (!blk || !ref || (g.out && !out) || (g.compare && !cmp)) {
		printf("subset %s: cannot open the output or the reference: "
		       "%s\n",
		       name, strerror(errno));
		rc = EX_USAGE;
		goto out;
	}
	for (lba = 0; lba < in->nblocks; lba++) {
		const uint8_t *sh[SV_MAX_N];
		size_t lens[SV_MAX_N], outlen;
		unsigned zero = 0;

		for (i = 0; i < c; i++) {
			sh[i] = m[i]->sh + lba * in->share_size;
			lens[i] = in->share_size;
			zero += m[i]->kind[lba] != SV_SLOT_SHARE;
		}
		if (zero == c) {
			memset(blk, 0, in->block_size);
		} else if (zero || xs_combine(ctx, sh, lens, c, blk,
					      in->block_size, &outlen)) {
			printf("subset %s block %" PRIu64 " at seq %" PRIu64
			       ": shares do not combine\n",
			       name, lba, S);
			rc = EX_MISMATCH;
			goto out;
		}
		if (out &&
		    fwrite(blk, 1, in->block_size, out) != in->block_size) {
			printf("subset %s: writing %s: %s\n", name, path,
			       strerror(errno));
			rc = EX_IO;
			goto out;
		}
		if (cmp &&
		    (fread(ref, 1, in->block_size, cmp) != in->block_size ||
		     memcmp(ref, blk, in->block_size)) &&
		    diff++ < 5)
			printf("subset %s: block %" PRIu64 " differs from %s\n",
			       name, lba, g.compare);
	}
	printf("subset %s: seq %" PRIu64 ", %" PRIu64 " blocks%s%s%s\n", name,
	       S, in->nblocks, out ? " written to " : "", out ? path : "",
	       !cmp   ? ""
	       : diff ? ", DIFFERENT from the reference"
		      : ", identical to the reference");
	if (diff)
		rc = EX_MISMATCH;
	if (g.expect_seq && S != g.expect_seq) {
		printf("subset %s: seq %" PRIu64 ", expected %" PRIu64 "\n",
		       name, S, g.expect_seq);
		rc = EX_MISMATCH;
	}
out:
	if (out && fclose(out) && !rc)
		rc = EX_IO;
	if (cmp)
		fclose(cmp);
	free(blk);
	free(ref);
	xs_ctx_free(ctx);
	return rc;
}

static int do_gens(void)
{
	struct rb_peer v = {0};
	struct sv_status st = {0};
	uint8_t *buf = NULL;
	int rc = rb_open_idx(0, &v, g.index);

	if (!rc && !(buf = malloc(v.info.share_size)))
		rc = EX_IO;
	for (uint64_t lba = 0; !rc && lba < v.info.nblocks; lba++) {
		enum sv_slot_kind kind;
		uint64_t gen = 0;

		if (sv_reader_block(v.r, lba, v.rg.s_max, buf, &kind, &gen,
				    &st)) {
			msg(0, "block %" PRIu64 ": %s", lba, st.msg);
			rc = EX_FORMAT;
			break;
		}
		printf("%" PRIu64 " %" PRIu64 "\n", lba, gen);
	}
	if (v.why[0])
		msg(0, "%s", v.why);
	free(buf);
	rb_close(&v);
	return rc;
}

static int do_rebuild(void)
{
	struct rb_peer v[SV_MAX_N] = {0};
	unsigned i, mask, k = 0;
	int rc = EX_OK, r;

	for (i = 0; i < g.npeers; i++) {
		if (g.shares_mask && !(g.shares_mask & (1u << i)))
			continue;
		r = rb_open(i, &v[i]);
		rb_close(&v[i]);
		if (r)
			msg(i, "unusable: %s", v[i].why);
		else if (!k)
			k = v[i].info.k;
	}
	if (!k) {
		printf("no usable share volume\n");
		rc = EX_FORMAT;
		goto out;
	}
	for (mask = 1; mask < (1u << g.npeers); mask++) {
		if (g.shares_mask ? mask != g.shares_mask
				  : (unsigned)__builtin_popcount(mask) != k)
			continue;
		r = rb_subset(v, mask, k);
		if (r > rc)
			rc = r;
	}
out:
	for (i = 0; i < g.npeers; i++) {
		rb_close(&v[i]);
		free(v[i].sh);
		free(v[i].kind);
	}
	return rc;
}

/* The volume of the built-in history after --upto, into --out. */
static int do_expect(void)
{
	uint8_t *vol = malloc(g.nblocks * g.bs);
	FILE *f = fopen(g.out, "wb");
	int rc = EX_OK;

	if (!vol || !f) {
		rc = EX_USAGE;
	} else {
		expected(g.upto, vol);
		if (fwrite(vol, g.bs, g.nblocks, f) != g.nblocks)
			rc = EX_IO;
	}
	if (f && fclose(f))
		rc = EX_IO;
	free(vol);
	return rc;
}

/* Image mode: the volume is a file, geometry from the share volumes. */
static int do_image(void)
{
	struct vpeer v[SV_MAX_N] = {{0}};
	uint8_t *vol = NULL;
	unsigned i;
	FILE *f;
	int rc = open_readers(v);

	if (rc)
		goto out;
	for (i = 1; i < g.n; i++)
		if (memcmp(sv_reader_info(v[i].r)->uuid,
			   sv_reader_info(v[0].r)->uuid, 16)) {
			printf("peer %u holds a share of another volume\n", i);
			rc = EX_FORMAT;
			goto out;
		}
	for (i = 0; i < g.n; i++) {
		static uint8_t lb[SV_BLOB_MAX];
		struct sv_status st = {0};
		uint32_t blen = 0;

		if (sv_reader_blob(v[i].r, SV_BLOB_LOCATIONS, lb, sizeof(lb),
				   &blen, &st))
			printf("peer %u: no location table blob (%s)\n", i,
			       st.msg);
		else
			printf("peer %u: location table blob of %u bytes\n", i,
			       blen);
	}
	g.bs = sv_reader_info(v[0].r)->block_size;
	g.nblocks = sv_reader_info(v[0].r)->nblocks;
	if (sv_reader_info(v[0].r)->k != g.k) {
		printf("share volumes say k=%u\n", sv_reader_info(v[0].r)->k);
		rc = EX_MISMATCH;
		goto out;
	}
	vol = calloc(g.nblocks, g.bs);
	f = fopen(g.image, "rb");
	if (!vol || !f || fread(vol, g.bs, g.nblocks, f) != g.nblocks) {
		printf("cannot read %" PRIu64 " blocks of %u from %s\n",
		       g.nblocks, g.bs, g.image);
		if (f)
			fclose(f);
		rc = EX_IO;
		goto out;
	}
	fclose(f);
	rc = check_subsets(v, vol);
out:
	close_readers(v);
	free(vol);
	return rc;
}

static int parse_shares(const char *s)
{
	char *end;

	g.shares_mask = 0;
	while (*s) {
		unsigned long i = strtoul(s, &end, 10);

		if (end == s || i >= SV_MAX_N)
			return -1;
		g.shares_mask |= 1u << i;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return g.shares_mask ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tgtx-sharevol write|verify|info|expect|rebuild "
		"[options] "
		"--peer URL ...\n"
		"  --k K --n N          threshold and shares (2, 3)\n"
		"  --block-size B       volume block size (512)\n"
		"  --blocks NB          volume blocks (2048)\n"
		"  --records R          history length (500)\n"
		"  --upto U             write: stop after seq U (R)\n"
		"  --seed S             history seed (1)\n"
		"  --journal BYTES      journal ring size (4 MiB)\n"
		"  --rate BYTES         per-peer bytes/s (unlimited)\n"
		"  --op-timeout MS      per command (3000)\n"
		"  --timeout S          overall (90)\n"
		"  --index I            info: expected share index\n"
		"  --checkpoint-every C write: checkpoint every C seqs (100)\n"
		"  --checkpoint-max C   write: never checkpoint past seq C\n"
		"  --out FILE           expect: the volume; rebuild: the "
		"image (FILE.I-J..)\n"
		"  --key-out FILE       expect: the volume key (16 bytes) too\n"
		"  --key-blob           write: the key-share blob as the "
		"daemon\n"
		"  --shares I,J,..      rebuild: this subset (every k-subset)\n"
		"  --seq S              rebuild: as of seq S (newest common)\n"
		"  --expect-seq S       rebuild: fail unless the seq is S\n"
		"  --compare FILE       rebuild: compare with FILE\n"
		"  --image FILE         image: the volume to compare with\n"
		"  --min-seq S          image: the common seq must be >= S\n"
		"  --volume-key FILE    image: the key blobs of every subset\n"
		"                       must give back this key file's key\n"
		"  --transport T        plain (default), ipsec or tls\n"
		"  --key FILE           tls: our node key (tgtxd's node.key)\n"
		"  --pin HEX            tls: the server key's pin "
		"(repeatable:\n"
		"                       the i-th is peer i's, the last serves\n"
		"                       the rest)\n"
		"Peers are given in share order: the first holds share 0.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"k", 1, NULL, 'k'},
					     {"n", 1, NULL, 'n'},
					     {"block-size", 1, NULL, 'b'},
					     {"blocks", 1, NULL, 'B'},
					     {"records", 1, NULL, 'r'},
					     {"upto", 1, NULL, 'u'},
					     {"seed", 1, NULL, 's'},
					     {"journal", 1, NULL, 'j'},
					     {"rate", 1, NULL, 'R'},
					     {"op-timeout", 1, NULL, 'o'},
					     {"timeout", 1, NULL, 't'},
					     {"peer", 1, NULL, 'p'},
					     {"index", 1, NULL, 'i'},
					     {"checkpoint-every", 1, NULL, 'c'},
					     {"checkpoint-max", 1, NULL, 'C'},
					     {"out", 1, NULL, 'O'},
					     {"key-out", 1, NULL, 'Y'},
					     {"key-blob", 0, NULL, 'X'},
					     {"shares", 1, NULL, 'S'},
					     {"seq", 1, NULL, 'q'},
					     {"expect-seq", 1, NULL, 'e'},
					     {"compare", 1, NULL, 'W'},
					     {"image", 1, NULL, 'I'},
					     {"min-seq", 1, NULL, 'M'},
					     {"volume-key", 1, NULL, 'V'},
					     {"transport", 1, NULL, 'T'},
					     {"key", 1, NULL, 'K'},
					     {"pin", 1, NULL, 'P'},
					     {"help", 0, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *cmd;
	int c, rc;

	if (argc < 2) {
		usage();
		return EX_USAGE;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			g.k = (unsigned)atoi(optarg);
			break;
		case 'n':
			g.n = (unsigned)atoi(optarg);
			break;
		case 'b':
			g.bs = (uint32_t)atoi(optarg);
			break;
		case 'B':
			g.nblocks = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			g.records = strtoull(optarg, NULL, 0);
			break;
		case 'u':
			g.upto = strtoull(optarg, NULL, 0);
			break;
		case 's':
			g.seed = strtoull(optarg, NULL, 0);
			break;
		case 'j':
			g.journal = strtoull(optarg, NULL, 0);
			break;
		case 'R':
			g.rate = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			g.op_timeout_ms = atoi(optarg);
			break;
		case 't':
			g.timeout_s = atoi(optarg);
			break;
		case 'i':
			g.index = atoi(optarg);
			break;
		case 'I':
			g.image = optarg;
			break;
		case 'V':
			g.keyfile = optarg;
			break;
		case 'M':
			g.min_seq = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			g.ckpt_every = strtoull(optarg, NULL, 0);
			break;
		case 'C':
			g.ckpt_max = strtoull(optarg, NULL, 0);
			break;
		case 'O':
			g.out = optarg;
			break;
		case 'Y':
			g.key_out = optarg;
			break;
		case 'X':
			g.key_blob = true;
			break;
		case 'S':
			if (parse_shares(optarg)) {
				usage();
				return EX_USAGE;
			}
			break;
		case 'T':
			g.transport = peer_transport_parse(optarg);
			if (g.transport < 0) {
				usage();
				return EX_USAGE;
			}
			break;
		case 'W':
			g.compare = optarg;
			break;
		case 'q':
			g.at_seq = strtoull(optarg, NULL, 0);
			break;
		case 'e':
			g.expect_seq = strtoull(optarg, NULL, 0);
			break;
		case 'K':
			g.key_file = optarg;
			break;
		case 'P':
			if (g.npins == SV_MAX_N) {
				usage();
				return EX_USAGE;
			}
			g.pins[g.npins++] = optarg;
			break;
		case 'p':
			if (g.npeers == SV_MAX_N) {
				usage();
				return EX_USAGE;
			}
			g.urls[g.npeers++] = optarg;
			break;
		default:
			usage();
			return EX_USAGE;
		}
	}
	if (!g.upto || g.upto > g.records)
		g.upto = g.records;
	if ((g.bs != 512 && g.bs != 4096) || g.nblocks < MAXB || !g.records ||
	    g.k < 2 || g.n < g.k || g.n > SV_MAX_N) {
		usage();
		return EX_USAGE;
	}
	if (g.key_file) {
		int ret = nodekey_load(g.key_file, &g.key);

		if (ret) {
			printf("node key %s: %s\n", g.key_file,
			       nodekey_strerror(ret));
			return EX_USAGE;
		}
	}
	g.deadline = time(NULL) + g.timeout_s;
	setvbuf(stdout, NULL, _IOLBF, 0);
	g.share_size = xs_share_size(g.n, g.bs);
	gen_history();
	if (!strcmp(cmd, "info") && g.npeers == 1) {
		struct vpeer v = {0};

		g.n = 1;
		rc = open_reader(0, &v, g.index);
		sv_reader_free(v.r);
		peer_free(v.p);
	} else if (!strcmp(cmd, "expect") && g.out) {
		uint8_t *vol = malloc(g.nblocks * g.bs);
		FILE *f = fopen(g.out, "w");

		expected(g.upto, vol);
		rc = f && fwrite(vol, g.bs, g.nblocks, f) == g.nblocks ? EX_OK
								       : EX_IO;
		if (f && fclose(f))
			rc = EX_IO;
		free(vol);
		if (!rc && g.key_out) {
			uint8_t key[XS_KEY_SIZE];

			volume_key(key);
			f = fopen(g.key_out, "w");
			rc = f && fwrite(key, 1, sizeof(key), f) == sizeof(key)
				     ? EX_OK
				     : EX_IO;
			if (f && fclose(f))
				rc = EX_IO;
		}
	} else if (!strcmp(cmd, "write") && g.npeers == g.n) {
		rc = g.key_blob && split_key() ? EX_USAGE : do_write();
	} else if (!strcmp(cmd, "image") && g.image && g.npeers == g.n) {
		rc = do_image();
	} else if (!strcmp(cmd, "verify") && g.npeers == g.n) {
		rc = do_verify();
	} else if (!strcmp(cmd, "expect") && g.out) {
		rc = do_expect();
	} else if (!strcmp(cmd, "gens") && g.npeers == 1 && g.index >= 0) {
		rc = do_gens();
	} else if (!strcmp(cmd, "rebuild") && g.npeers >= 2 &&
		   !(g.shares_mask >> g.npeers)) {
		rc = do_rebuild();
	} else {
		usage();
		rc = EX_USAGE;
	}
	nodekey_free(&g.key);
	printf("tgtx-sharevol %s: exit %d\n", cmd, rc);
	return rc;
}
