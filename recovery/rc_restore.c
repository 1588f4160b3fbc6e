// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rebuild: the volume in chunks of consecutive blocks, a bounded ring
 * of chunks in flight. One thread per share source streams its data area
 * (large reads, several in flight, so a peer is never idle waiting for the
 * others) and decodes every slot (CRC, codec header, the journal's newer
 * version as of the point); the main thread takes the chunks in order,
 * combines k agreeing shares per block, and writes (or, for --verify,
 * compares). A block whose shares fail their checks, disagree or do not
 * combine makes the main thread ask one more source for that chunk and
 * name the one that was wrong; a source that goes down is replaced for
 * the chunks that follow. A writer thread writes the rebuilt chunks and
 * takes the checkpoints. Reads in flight per peer: --depth, or grown
 * by rc_pace.c while a peer's read latency shows no queue (a link with a
 * long round trip), up to PACE_BYTES. Memory: window (twice the largest
 * depth) x sources x chunk, and the writer's queue (WRITER_BYTES of
 * rebuilt chunks, at least a window).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs_xorshare/codec/xorshare.h"
#include "rc.h"
#include "rc_pace.h"

volatile int rc_stop;

#define KIND_ERR  0xff
#define MAX_DEPTH 64
/* without --depth: reads in flight per peer start at PACE_START and grow
 * up to PACE_BYTES (fills 1 Gbit/s up to ~65 ms of round trip) */
#define PACE_START 4
#define PACE_BYTES (8u << 20)

/* rebuilt data the writer can hold while a checkpoint syncs */
#define WRITER_BYTES (32u << 20)

struct chunk {
	uint64_t first;
	unsigned nb;
	uint32_t want, taken, done, failed;
	uint8_t *raw[SV_MAX_N]; /* slots as read; shares decoded in place */
	uint8_t *kind[SV_MAX_N];
	uint64_t *gen[SV_MAX_N];
	unsigned errblk[SV_MAX_N];
	uint64_t errlba[SV_MAX_N];
	char err[SV_MAX_N][200];
};

struct pipe {
	struct rc_set *s;
	const struct rc_opts *o;
	pthread_mutex_t mu;
	/* cv: the workers wait for chunks to read; cv_done: the main thread
	 * for the chunk it combines. Split so that each wakes only the side
	 * that can proceed (a wake-up is a futex call and a context switch
	 * per chunk and peer) */
	pthread_cond_t cv, cv_done;
	struct chunk *ring;
	/* chunk c is map[c % W], a ring slot from the free stack: the slot
	 * freed last is reused first (its buffers still cached), so a small
	 * window touches few of the W slots */
	struct chunk **map, **freel;
	unsigned nfree;
	unsigned W, cb, depth; /* depth: the largest a worker may reach */
	unsigned maxdepth;     /* the largest a worker has reached */
	bool fixed;
	uint64_t from, head, tail, nchunks;
	bool finish;
	size_t share_size;
};

static struct chunk *ring_at(struct pipe *pp, uint64_t c)
{
	return pp->map[c % pp->W];
}

/* Source j's share of block b of a chunk: inside the slot as read (a
 * journal version is copied over it), so no copy per block. */
static uint8_t *share_at(const struct pipe *pp, const struct chunk *ch,
			 unsigned j, unsigned b)
{
	return ch->raw[j] + (size_t)b * pp->s->src[j].info->slot_size +
	       SV_SLOT_HDR_SIZE;
}

/* Allocates source i's buffers of a ring slot (once). */
static int chunk_bufs(struct pipe *pp, struct chunk *ch, unsigned i)
{
	if (ch->raw[i])
		return 0;
	ch->raw[i] = malloc((size_t)pp->cb * pp->s->src[i].info->slot_size);
	ch->kind[i] = malloc(pp->cb);
	ch->gen[i] = malloc(pp->cb * sizeof(uint64_t));
	if (!ch->raw[i] || !ch->kind[i] || !ch->gen[i]) {
		free(ch->raw[i]);
		free(ch->kind[i]);
		free(ch->gen[i]);
		ch->raw[i] = ch->kind[i] = NULL;
		ch->gen[i] = NULL;
		return -ENOMEM;
	}
	return 0;
}

struct flight {
	uint64_t c;
	struct chunk *ch;
	bool submitted, done;
	bool full; /* sent with the whole depth in flight */
	int err;
	uint32_t fail;
	uint64_t t0, t1; /* sent, done: the latency for the pace */
};

static void flight_cb(void *arg, int err)
{
	struct flight *f = arg;

	f->done = true;
	f->err = err;
	f->t1 = loop_now_ns();
}

struct worker {
	struct pipe *pp;
	unsigned i;
};

/* Source i's part of a chunk whose read completed (no lock: only this
 * thread writes source i's buffers until it sets the done bit). */
static int decode_chunk(struct pipe *pp, unsigned i, struct flight *f)
{
	struct rc_src *src = &pp->s->src[i];
	const struct sv_info *in = src->info;
	struct chunk *ch = f->ch;

	ch->errblk[i] = 0;
	for (unsigned b = 0; b < ch->nb; b++) {
		struct sv_status st = {0};
		enum sv_slot_kind kind;
		uint64_t gen = 0;
		int ret;

		ret = sv_reader_block_slot(
			src->r, ch->first + b, pp->s->seq,
			ch->raw[i] + (size_t)b * in->slot_size,
			share_at(pp, ch, i, b), &kind, &gen, &st);
		if (ret && (st.code == SV_E_IO || st.code == SV_E_TIMEOUT)) {
			/* the link, not the share: a read failure */
			snprintf(ch->err[i], sizeof(ch->err[i]), "%.190s",
				 st.msg);
			return ret;
		}
		if (ret) {
			if (!ch->errblk[i]++) {
				ch->errlba[i] = ch->first + b;
				snprintf(ch->err[i], sizeof(ch->err[i]),
					 "%s: %.180s", sv_err_name(st.code),
					 st.msg);
			}
			ch->kind[i][b] = KIND_ERR;
			continue;
		}
		ch->kind[i][b] = (uint8_t)kind;
		ch->gen[i][b] = gen;
	}
	return 0;
}

/* Marks source i down: every chunk still waiting for it is failed. */
static void source_down(struct pipe *pp, unsigned i, const char *why)
{
	struct rc_src *src = &pp->s->src[i];
	char name[600];

	pthread_mutex_lock(&pp->mu);
	src->state = RC_SRC_DOWN;
	snprintf(src->why, sizeof(src->why), "%.230s", why);
	src->why[strcspn(src->why, "\n")] = 0;
	for (uint64_t c = pp->head; c < pp->tail; c++) {
		struct chunk *ch = ring_at(pp, c);

		if ((ch->want & (1u << i)) && !(ch->done & (1u << i))) {
			ch->done |= 1u << i;
			ch->failed |= 1u << i;
			snprintf(ch->err[i], sizeof(ch->err[i]), "peer down");
		}
	}
	pthread_cond_broadcast(&pp->cv);
	pthread_cond_signal(&pp->cv_done);
	pthread_mutex_unlock(&pp->mu);
	fprintf(stderr, "tgtx-recover: %s: down: %s\n",
		rc_src_name(src, name, sizeof(name)), src->why);
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct pipe *pp = wk->pp;
	unsigned i = wk->i, nfl = 0;
	uint32_t bit = 1u << i;
	struct rc_src *src = &pp->s->src[i];
	struct sv_dev *dev = peer_dev(src->p);
	struct flight fl[MAX_DEPTH];
	char why[300];
	struct rc_pace pace;
	unsigned depth;

	rc_pace_init(&pace, pp->fixed ? pp->depth : PACE_START, pp->depth,
		     pp->fixed);
	depth = pace.depth;
	src->depth_max = depth;
	memset(fl, 0, sizeof(fl));
	for (;;) {
		bool broken = false;
		int ret;

		/* all reads in flight: nothing to take, no lock to contend */
		if (nfl >= depth)
			goto submitted;
		pthread_mutex_lock(&pp->mu);
		for (;;) {
			for (uint64_t c = pp->head; c < pp->tail && nfl < depth;
			     c++) {
				struct chunk *ch = ring_at(pp, c);

				if (!(ch->want & bit) || (ch->taken & bit))
					continue;
				ch->taken |= bit;
				for (unsigned d = 0; d < pp->depth; d++)
					if (!fl[d].ch) {
						fl[d].c = c;
						fl[d].ch = ch;
						fl[d].submitted = false;
						fl[d].done = false;
						nfl++;
						break;
					}
			}
			if (nfl || pp->finish)
				break;
			pthread_cond_wait(&pp->cv, &pp->mu);
		}
		pthread_mutex_unlock(&pp->mu);
		if (!nfl)
			break;
		for (unsigned d = 0; d < pp->depth; d++) {
			struct flight *f = &fl[d];

			if (!f->ch || f->submitted)
				continue;
			f->submitted = true;
			f->full = nfl >= depth;
			f->t0 = loop_now_ns();
			if (chunk_bufs(pp, f->ch, i)) {
				f->done = true;
				f->err = -ENOMEM;
				continue;
			}
			ret = dev->ops->read(
				dev->priv, sv_slot_off(src->info, f->ch->first),
				f->ch->raw[i],
				(size_t)f->ch->nb * src->info->slot_size,
				flight_cb, f);
			if (ret) {
				f->done = true;
				f->err = ret;
			}
		}
	submitted:;
		/* a read done while a journal share was read (decode_chunk
		 * polls) waits for no more socket data */
		bool ready = false;

		for (unsigned d = 0; d < pp->depth; d++)
			ready |= fl[d].ch && fl[d].done;
		ret = dev->ops->poll(dev->priv, ready ? 0 : 100);
		if (ret < 0)
			broken = true;
		/* flights decoded this round: a journal share's read inside
		 * decode_chunk polls the link, so more may be done than these
		 */
		uint64_t decoded = 0;

		for (unsigned d = 0; d < pp->depth; d++) {
			struct flight *f = &fl[d];

			if (!f->ch || !f->done)
				continue;
			decoded |= 1ull << d;
			f->fail = 0;
			if (!f->err && f->ch->nb == pp->cb)
				depth = rc_pace_sample(&pace, f->t1 - f->t0,
						       f->full);
			if (f->err) {
				f->fail = bit;
				snprintf(f->ch->err[i], sizeof(f->ch->err[i]),
					 "read of blocks %" PRIu64 "..%" PRIu64
					 " failed: %s",
					 f->ch->first,
					 f->ch->first + f->ch->nb - 1,
					 strerror(-f->err));
				broken = true;
			} else if (decode_chunk(pp, i, f)) {
				f->fail = bit;
				broken = true;
			}
		}
		/* the round's chunks in one go; the main thread is woken when
		 * one it may wait for has every source */
		if (decoded) {
			bool complete = false;

			pthread_mutex_lock(&pp->mu);
			for (unsigned d = 0; d < pp->depth; d++) {
				struct flight *f = &fl[d];

				if (!(decoded & (1ull << d)))
					continue;
				f->ch->done |= bit;
				f->ch->failed |= f->fail;
				if (!(f->ch->want & ~f->ch->done))
					complete = true;
				f->ch = NULL;
				nfl--;
			}
			if (depth > pp->maxdepth)
				pp->maxdepth = depth; /* a wider window */
			if (depth > src->depth_max)
				src->depth_max = depth;
			pthread_mutex_unlock(&pp->mu);
			/* after the unlock: the woken thread needs the mutex */
			if (complete)
				pthread_cond_signal(&pp->cv_done);
		}
		if (broken || !peer_connected(src->p)) {
			struct sv_status st = {0};

			/* wait for whatever is still in flight to fail */
			while (nfl) {
				if (dev->ops->poll(dev->priv, 100) < 0) {
					for (unsigned d = 0; d < pp->depth; d++)
						if (fl[d].ch && !fl[d].done) {
							fl[d].done = true;
							fl[d].err = -EIO;
						}
				}
				for (unsigned d = 0; d < pp->depth; d++) {
					struct flight *f = &fl[d];

					if (!f->ch || !f->done)
						continue;
					pthread_mutex_lock(&pp->mu);
					f->ch->done |= bit;
					f->ch->failed |= bit;
					snprintf(f->ch->err[i],
						 sizeof(f->ch->err[i]),
						 "read failed: peer connection "
						 "lost");
					pthread_cond_signal(&pp->cv_done);
					pthread_mutex_unlock(&pp->mu);
					f->ch = NULL;
					nfl--;
				}
			}
			if (peer_connected(src->p))
				continue; /* one failed read, link still up */
			usleep((useconds_t)peer_backoff_ms(src->p) * 1000);
			if (peer_connect(src->p, &st)) {
				snprintf(why, sizeof(why),
					 "connection lost, reconnect failed: "
					 "%s: %s",
					 sv_err_name(st.code), st.msg);
				source_down(pp, i, why);
				break;
			}
		}
	}
	return NULL;
}

/* ---- main thread: combine ---- */

static bool all_zero(const uint8_t *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

struct combiner {
	struct pipe *pp;
	struct xs_ctx *ctx;
	uint8_t *out;
	uint8_t *zero;	/* restore: zero blocks are marked, not memset */
	uint32_t blame; /* sources wrong in this chunk */
	uint64_t blame_lba[SV_MAX_N];
	char blame_why[SV_MAX_N][220];
	uint32_t used; /* sources that rebuilt a block a bad share was in */
	uint32_t last; /* sources that rebuilt the last block */
	uint32_t all;  /* sources that rebuilt any block of the chunk */
};

static void blame(struct combiner *cb, unsigned j, uint64_t lba,
		  const char *why)
{
	if (cb->blame & (1u << j))
		return;
	cb->blame |= 1u << j;
	cb->blame_lba[j] = lba;
	snprintf(cb->blame_why[j], sizeof(cb->blame_why[j]), "%s", why);
}

/* Tries k-subsets of cand (a class of agreeing shares) until one
 * combines: 0, or -EBADMSG if none does. */
static int combine_class(struct combiner *cb, struct chunk *ch, unsigned b,
			 const unsigned *cand, unsigned nc, uint8_t *out)
{
	struct pipe *pp = cb->pp;
	unsigned k = pp->s->k, idx[SV_MAX_N], tries = 0;
	const uint8_t *sh[SV_MAX_N];
	size_t lens[SV_MAX_N], outlen;
	uint32_t tried_bad = 0;

	for (unsigned x = 0; x < k; x++)
		idx[x] = x;
	for (;;) {
		uint32_t set = 0;

		for (unsigned x = 0; x < k; x++) {
			unsigned j = cand[idx[x]];

			sh[x] = share_at(pp, ch, j, b);
			lens[x] = pp->share_size;
			set |= 1u << j;
		}
		if (!xs_combine(cb->ctx, sh, lens, k, out, pp->s->block_size,
				&outlen) &&
		    outlen == pp->s->block_size) {
			for (unsigned j = 0; j < SV_MAX_N; j++)
				if ((tried_bad & ~set) & (1u << j))
					blame(cb, j, ch->first + b,
					      "its share does not combine with "
					      "the others' (codec check "
					      "failed)");
			cb->last = set;
			return 0;
		}
		tried_bad |= set;
		if (++tries > 256)
			return -EBADMSG;
		/* next k-combination of nc */
		int x = (int)k - 1;

		while (x >= 0 && idx[x] == nc - k + (unsigned)x)
			x--;
		if (x < 0)
			return -EBADMSG;
		idx[x]++;
		for (unsigned y = (unsigned)x + 1; y < k; y++)
			idx[y] = idx[y - 1] + 1;
	}
}

/*
 * One block: 1 rebuilt (out), 0 needs more shares. Classes: zero (empty
 * or zero slot) and one per generation; a class of k agreeing sources
 * decides, the others are named.
 */
static int resolve_block(struct combiner *cb, struct chunk *ch, unsigned b,
			 uint8_t *out)
{
	struct pipe *pp = cb->pp;
	unsigned k = pp->s->k, zc = 0, nc;
	unsigned zero[SV_MAX_N], cand[SV_MAX_N];
	uint32_t have = ch->done & ~ch->failed, decided = 0;
	uint64_t lba = ch->first + b;
	bool ok = false;

	for (unsigned j = 0; j < pp->s->count; j++)
		if ((have & (1u << j)) && ch->kind[j][b] != KIND_ERR &&
		    ch->kind[j][b] != SV_SLOT_SHARE)
			zero[zc++] = j;
	/* share classes by generation, largest first is not needed: the
	 * first class with k members that combines wins */
	for (unsigned j = 0; j < pp->s->count && !ok; j++) {
		uint64_t g;

		if (!(have & (1u << j)) || ch->kind[j][b] != SV_SLOT_SHARE)
			continue;
		g = ch->gen[j][b];
		nc = 0;
		for (unsigned x = 0; x < pp->s->count; x++)
			if ((have & (1u << x)) &&
			    ch->kind[x][b] == SV_SLOT_SHARE &&
			    ch->gen[x][b] == g)
				cand[nc++] = x;
		if (cand[0] != j || nc < k)
			continue; /* a class is tried from its first member */
		if (!combine_class(cb, ch, b, cand, nc, out)) {
			struct rc_set *s = pp->s;

			if (s->gmap) {
				s->gmap[lba] = g;
				if (g > s->gen_max)
					s->gen_max = g;
				s->check = share_at(pp, ch, cand[0],
						    b)[XS_HDR_OFF_CHECK];
			}
			ok = true;
			for (unsigned x = 0; x < nc; x++)
				decided |= 1u << cand[x];
			if (cb->zero)
				cb->zero[b] = all_zero(out, pp->s->block_size);
		}
	}
	if (!ok && zc >= k) {
		if (pp->s->gmap)
			pp->s->gmap[lba] = 0;
		if (cb->zero)
			cb->zero[b] = 1; /* the writer zeroes or skips it */
		else
			memset(out, 0, pp->s->block_size);
		ok = true;
		for (unsigned x = 0; x < zc; x++)
			decided |= 1u << zero[x];
		cb->last = decided;
	}
	if (!ok)
		return 0;
	for (unsigned j = 0; j < pp->s->count; j++) {
		uint32_t bit = 1u << j;

		if (!(ch->done & bit) || (decided & bit))
			continue;
		if (ch->failed & bit)
			continue; /* named by its read error */
		if (ch->kind[j][b] == KIND_ERR)
			blame(cb, j, ch->errlba[j], ch->err[j]);
		else
			blame(cb, j, lba,
			      "its share disagrees with the others "
			      "(generation or zero block)");
		cb->used |= cb->last;
	}
	cb->all |= cb->last;
	return 1;
}

/* Another source to ask for this chunk: the fastest usable not asked. */
static int spare_for(struct pipe *pp, struct chunk *ch)
{
	int best = -1;

	for (unsigned j = 0; j < pp->s->count; j++) {
		const struct rc_src *src = &pp->s->src[j];

		if (!(pp->s->mask & (1u << j)) || src->state != RC_SRC_OK ||
		    (ch->want & (1u << j)))
			continue;
		if (best < 0 || src->rate_bps > pp->s->src[best].rate_bps)
			best = (int)j;
	}
	return best;
}

static void list_shares(const struct rc_set *s, uint32_t m, char *out,
			size_t len)
{
	size_t l = 0;

	out[0] = 0;
	for (unsigned x = 0; x < SV_MAX_N; x++)
		for (unsigned j = 0; j < s->count; j++)
			if ((m & (1u << j)) && s->src[j].info->index == x)
				l += (size_t)snprintf(out + l, len - l, "%s%u",
						      l ? "," : "", x);
}

static void report(struct combiner *cb, struct chunk *ch)
{
	struct rc_set *s = cb->pp->s;
	char name[600], used[80], all[80];

	list_shares(s, cb->used, used, sizeof(used));
	list_shares(s, cb->all, all, sizeof(all));
	for (unsigned j = 0; j < s->count; j++) {
		uint32_t bit = 1u << j;
		struct rc_src *src = &s->src[j];

		if (!(cb->blame & bit) && !(ch->failed & bit))
			continue;
		if (ch->failed & bit)
			fprintf(stderr,
				"tgtx-recover: %s: blocks %" PRIu64 "..%" PRIu64
				": %s; rebuilt from shares %s\n",
				rc_src_name(src, name, sizeof(name)), ch->first,
				ch->first + ch->nb - 1, ch->err[j], all);
		else
			fprintf(stderr,
				"tgtx-recover: BAD SHARE: %s: block %" PRIu64
				" (%u bad in blocks %" PRIu64 "..%" PRIu64
				"): %s; rebuilt from shares %s\n",
				rc_src_name(src, name, sizeof(name)),
				cb->blame_lba[j],
				ch->errblk[j] ? ch->errblk[j] : 1, ch->first,
				ch->first + ch->nb - 1, cb->blame_why[j], used);
		if (!(ch->failed & bit))
			src->bad_chunks++;
	}
}

/* Why a block has no k agreeing shares: each source's state for it. */
static void why_unresolved(struct combiner *cb, struct chunk *ch, uint64_t lba)
{
	struct rc_set *s = cb->pp->s;
	unsigned b = (unsigned)(lba - ch->first);
	char name[600];

	for (unsigned j = 0; j < s->count; j++) {
		uint32_t bit = 1u << j;
		const char *what = "not asked (down or unusable)";
		char gen[48];

		if ((ch->done & bit) && (ch->failed & bit))
			what = ch->err[j];
		else if ((ch->done & bit) && ch->kind[j][b] == KIND_ERR)
			what = ch->errlba[j] == lba ? ch->err[j] : "bad share";
		else if (ch->done & bit) {
			snprintf(gen, sizeof(gen), "%s, generation %" PRIu64,
				 ch->kind[j][b] == SV_SLOT_SHARE ? "share"
								 : "zero",
				 ch->gen[j][b]);
			what = gen;
		}
		fprintf(stderr, "tgtx-recover:   block %" PRIu64 ": %s: %s\n",
			lba, rc_src_name(&s->src[j], name, sizeof(name)), what);
	}
}

/* Replaces sources that went down or keep failing in the set in use by
 * the fastest usable spare (one with fewer bad chunks). */
static uint32_t refresh_use(struct pipe *pp, uint32_t use)
{
	struct rc_set *s = pp->s;
	char name[600];

	for (unsigned j = 0; j < s->count; j++) {
		struct rc_src *src = &s->src[j];
		int sp = -1;

		if (!(use & (1u << j)) ||
		    (src->state == RC_SRC_OK && src->bad_chunks < 3))
			continue;
		for (unsigned x = 0; x < s->count; x++) {
			const struct rc_src *c = &s->src[x];

			if ((use & (1u << x)) || !(s->mask & (1u << x)) ||
			    c->state != RC_SRC_OK ||
			    c->bad_chunks >=
				    src->bad_chunks + (src->state != RC_SRC_OK
							       ? 1000
							       : 0))
				continue;
			if (sp < 0 || c->rate_bps > s->src[sp].rate_bps)
				sp = (int)x;
		}
		if (sp < 0)
			continue;
		use = (use & ~(1u << j)) | (1u << sp);
		fprintf(stderr, "tgtx-recover: %s no longer used",
			rc_src_name(src, name, sizeof(name)));
		fprintf(stderr, "; %s takes its place\n",
			rc_src_name(&s->src[sp], name, sizeof(name)));
	}
	return use;
}

/* ---- writer thread: the target's writes and the checkpoints ---- */

/*
 * The main thread combines chunk c+1 while chunk c is written, and a
 * checkpoint's sync (which waits for the device) stalls only this
 * thread while free buffers last. Chunks are written in order, so a
 * checkpoint covers everything before it.
 */
struct witem {
	uint8_t *data;
	uint8_t *zero; /* per block: zero, its bytes in data undefined */
	uint64_t off, done;
	size_t len;
	unsigned nb;
};

struct writer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rc_target *t;
	struct witem *q;
	unsigned Q;
	uint64_t head, tail; /* queued: [head, tail) */
	bool quit;
	int err;
	uint64_t err_off;
	size_t err_len;
	uint64_t written; /* blocks before it are written */
	size_t bs;
	void (*checkpoint)(void *arg, uint64_t done);
	void *arg;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t last = loop_now_ns();

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct witem *it;
		int ret = 0;

		while (w->head == w->tail && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->head == w->tail)
			break;
		it = &w->q[w->head % w->Q];
		pthread_mutex_unlock(&w->mu);
		/* only this thread sets err */
		if (!w->err)
			ret = rc_target_write_blocks(w->t, it->off, it->data,
						     it->zero, it->nb, w->bs);
		pthread_mutex_lock(&w->mu);
		if (ret && !w->err) {
			w->err = ret;
			w->err_off = it->off;
			w->err_len = it->len;
		}
		if (!w->err)
			w->written = it->done;
		w->head++;
		pthread_cond_broadcast(&w->cv);
		if (!w->err && w->checkpoint &&
		    loop_now_ns() - last > 1000000000ULL) {
			uint64_t done = w->written;

			pthread_mutex_unlock(&w->mu);
			w->checkpoint(w->arg, done);
			last = loop_now_ns();
			pthread_mutex_lock(&w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Waits for the writer to finish what is queued and stop: the blocks
 * before the returned one are written (and err tells if one failed). */
static uint64_t writer_stop(struct writer *w, pthread_t th, bool started)
{
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (started)
		pthread_join(th, NULL);
	return w->written;
}

int rc_rebuild(struct rc_set *s, const struct rc_opts *o, struct rc_target *t,
	       enum rc_pass pass, uint64_t from, uint32_t use,
	       void (*checkpoint)(void *arg, uint64_t done), void *arg)
{
	struct pipe pp = {.s = s, .o = o};
	struct worker wk[SV_MAX_N];
	pthread_t th[SV_MAX_N];
	bool started[SV_MAX_N] = {0};
	struct combiner cb = {.pp = &pp};
	struct writer w = {.t = t,
			   .checkpoint = checkpoint,
			   .arg = arg,
			   .written = from,
			   .bs = s->block_size};
	pthread_t wth;
	bool wstarted = false, wfail = false;
	struct rc_progress pg;
	uint32_t maxslot = 0;
	uint8_t *cmp = NULL;
	uint64_t mismatches = 0;
	unsigned refill;
	int rc = RC_EX_OK;

	memset(&wth, 0, sizeof(wth));
	for (unsigned j = 0; j < s->count; j++)
		if (s->src[j].state == RC_SRC_OK &&
		    s->src[j].info->slot_size > maxslot)
			maxslot = s->src[j].info->slot_size;
	pp.share_size = xs_share_size(s->n, s->block_size);
	pp.cb = (unsigned)(o->chunk_bytes / maxslot) & ~7u;
	if (pp.cb < 8)
		pp.cb = 8;
	if (pp.cb > SV_MAX_ENTRIES)
		pp.cb = SV_MAX_ENTRIES;
	/* --depth: that many; else PACE_START (1 MiB by default: enough on
	 * loopback and short links) grown while the reads show no queue */
	pp.fixed = o->depth != 0;
	if (pp.fixed)
		pp.depth = o->depth;
	else
		pp.depth = PACE_BYTES / ((size_t)pp.cb * maxslot);
	if (pp.depth < PACE_START && !pp.fixed)
		pp.depth = PACE_START;
	if (pp.depth > MAX_DEPTH)
		pp.depth = MAX_DEPTH;
	pp.maxdepth = pp.fixed ? pp.depth : PACE_START;
	pp.W = o->window ? o->window : 2 * pp.depth;
	if (pp.W < pp.depth)
		pp.W = pp.depth;
	pp.from = from;
	pp.nchunks = (s->nblocks - from + pp.cb - 1) / pp.cb;
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	pthread_cond_init(&pp.cv_done, NULL);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	pp.ring = calloc(pp.W, sizeof(*pp.ring));
	pp.map = calloc(pp.W, sizeof(*pp.map));
	pp.freel = calloc(pp.W, sizeof(*pp.freel));
	for (unsigned x = 0; pp.ring && pp.freel && x < pp.W; x++)
		pp.freel[pp.nfree++] = &pp.ring[pp.W - 1 - x];
	if (pass == RC_PASS_VERIFY) {
		cb.out = malloc((size_t)pp.cb * s->block_size);
		cmp = malloc((size_t)pp.cb * s->block_size);
	} else {
		/* a checkpoint's fdatasync took 40-150 ms on a busy ext4
		 * (strace): WRITER_BYTES of rebuilt chunks keep the reads
		 * going meanwhile (a window alone held ~15 ms of a 1 Gbit/s
		 * link), and at least one read window */
		w.Q = (unsigned)(WRITER_BYTES /
				 ((size_t)pp.cb * s->block_size));
		if (w.Q < pp.W)
			w.Q = pp.W;
		w.q = calloc(w.Q, sizeof(*w.q));
		for (unsigned x = 0; w.q && x < w.Q; x++)
			if (!(w.q[x].data =
				      malloc((size_t)pp.cb * s->block_size)) ||
			    !(w.q[x].zero = malloc(pp.cb)))
				wfail = true;
	}
	if (!pp.ring || !pp.map || !pp.freel ||
	    (pass == RC_PASS_VERIFY ? !cb.out || !cmp : !w.q || wfail) ||
	    xs_ctx_new(&cb.ctx, s->k, s->n, s->block_size, 0)) {
		fprintf(stderr, "tgtx-recover: no memory for the rebuild\n");
		rc = RC_EX_ERROR;
		goto out;
	}
	rc_progress_init(&pg, o->progress,
			 pass == RC_PASS_VERIFY ? "verify" : "restore",
			 s->nblocks * s->block_size, from * s->block_size);
	for (unsigned j = 0; j < s->count; j++) {
		if (s->src[j].state != RC_SRC_OK || !(s->mask & (1u << j)))
			continue;
		wk[j] = (struct worker){&pp, j};
		started[j] = !pthread_create(&th[j], NULL, worker_main, &wk[j]);
		if (!started[j])
			s->src[j].state = RC_SRC_DOWN;
	}
	if (pass == RC_PASS_RESTORE) {
		wstarted = !pthread_create(&wth, NULL, writer_main, &w);
		if (!wstarted) {
			fprintf(stderr, "tgtx-recover: no writer thread\n");
			rc = RC_EX_ERROR;
			goto stop;
		}
	}
	for (uint64_t c = 0; c < pp.nchunks; c++) {
		struct chunk *ch;
		uint8_t *out = cb.out;
		uint64_t done;

		if (pass == RC_PASS_RESTORE) {
			int werr;

			pthread_mutex_lock(&w.mu);
			while (w.tail - w.head == w.Q && !w.err)
				pthread_cond_wait(&w.cv, &w.mu);
			werr = w.err;
			out = w.q[w.tail % w.Q].data;
			cb.zero = w.q[w.tail % w.Q].zero;
			pthread_mutex_unlock(&w.mu);
			if (werr)
				goto stop; /* named after the writer stops */
		}
		pthread_mutex_lock(&pp.mu);
		use = refresh_use(&pp, use);
		uint64_t tail0 = pp.tail;
		/* the window in use: twice the largest depth reached (the
		 * workers run no further ahead of this thread than before) */
		unsigned win = o->window || 2 * pp.maxdepth > pp.W
				       ? pp.W
				       : 2 * pp.maxdepth;

		refill = (win - pp.maxdepth) / 2 ? (win - pp.maxdepth) / 2 : 1;

		/* refilled once refill slots are free (each refill wakes a
		 * worker that is ahead): never leaves the ring empty */
		while (pp.tail < pp.nchunks && pp.tail - pp.head < win &&
		       (pp.tail != tail0 ||
			win - (pp.tail - pp.head) >= refill)) {
			struct chunk *n = pp.freel[--pp.nfree];

			pp.map[pp.tail % pp.W] = n;
			uint64_t first = from + pp.tail * pp.cb;

			n->first = first;
			n->nb = (unsigned)(s->nblocks - first < pp.cb
						   ? s->nblocks - first
						   : pp.cb);
			n->want = 0;
			for (unsigned j = 0; j < s->count; j++)
				if ((use & (1u << j)) &&
				    s->src[j].state == RC_SRC_OK)
					n->want |= 1u << j;
			n->taken = n->done = n->failed = 0;
			pp.tail++;
		}
		if (pp.tail != tail0) {
			/* unlocked: the woken workers need the mutex */
			pthread_mutex_unlock(&pp.mu);
			pthread_cond_broadcast(&pp.cv);
			pthread_mutex_lock(&pp.mu);
		}
		ch = ring_at(&pp, c);
		cb.blame = cb.used = cb.all = 0;
		for (;;) {
			unsigned b, unresolved = 0;
			uint64_t first_bad = 0;

			while (ch->want & ~ch->done)
				pthread_cond_wait(&pp.cv_done, &pp.mu);
			pthread_mutex_unlock(&pp.mu);
			for (b = 0; b < ch->nb; b++)
				if (!resolve_block(
					    &cb, ch, b,
					    out + (size_t)b * s->block_size) &&
				    !unresolved++)
					first_bad = ch->first + b;
			pthread_mutex_lock(&pp.mu);
			if (!unresolved)
				break;
			int sp = spare_for(&pp, ch);

			if (sp < 0) {
				pthread_mutex_unlock(&pp.mu);
				report(&cb, ch);
				why_unresolved(&cb, ch, first_bad);
				fprintf(stderr,
					"tgtx-recover: block %" PRIu64
					" (%u in blocks %" PRIu64 "..%" PRIu64
					"): no %u consistent shares left\n",
					first_bad, unresolved, ch->first,
					ch->first + ch->nb - 1, s->k);
				rc = RC_EX_DATA;
				goto stop;
			}
			ch->want |= 1u << sp;
			cb.blame = cb.used = cb.all = 0;
			pthread_cond_broadcast(&pp.cv);
		}
		pthread_mutex_unlock(&pp.mu);
		if (cb.blame || ch->failed)
			report(&cb, ch);
		size_t len = (size_t)ch->nb * s->block_size;
		uint64_t off = ch->first * s->block_size;
		int ret = 0;

		if (pass == RC_PASS_VERIFY) {
			ret = rc_target_read(t, off, cmp, len);
			if (!ret && memcmp(cmp, out, len)) {
				for (unsigned b = 0; b < ch->nb; b++)
					if (memcmp(cmp + (size_t)b *
								   s->block_size,
						   out + (size_t)b *
								   s->block_size,
						   s->block_size) &&
					    mismatches++ < 10)
						fprintf(stderr,
							"tgtx-recover: verify: "
							"block %" PRIu64
							" differs\n",
							ch->first + b);
			}
		} else {
			pthread_mutex_lock(&w.mu);
			w.q[w.tail % w.Q] =
				(struct witem){.data = out,
					       .zero = cb.zero,
					       .off = off,
					       .done = ch->first + ch->nb,
					       .len = len,
					       .nb = ch->nb};
			w.tail++;
			pthread_mutex_unlock(&w.mu);
			pthread_cond_broadcast(&w.cv);
		}
		if (ret) {
			fprintf(stderr,
				"tgtx-recover: target %s: %s of %zu bytes at "
				"%" PRIu64 ": %s\n",
				t->name,
				pass == RC_PASS_VERIFY ? "read" : "write", len,
				off, strerror(-ret));
			rc = RC_EX_ERROR;
			goto stop;
		}
		/* no one waits for a slot: the ring is refilled above */
		pthread_mutex_lock(&pp.mu);
		pp.freel[pp.nfree++] = ch;
		pp.head++;
		pthread_mutex_unlock(&pp.mu);
		done = ch->first + ch->nb;
		rc_progress_update(&pg, done * s->block_size,
				   done == s->nblocks);
		if (rc_stop && done < s->nblocks) {
			done = writer_stop(&w, wth, wstarted);
			wstarted = false;
			if (checkpoint && !w.err)
				checkpoint(arg, done);
			fprintf(stderr,
				"\ntgtx-recover: interrupted at block %" PRIu64
				" of %" PRIu64
				"; progress saved: rerun the same command to "
				"continue\n",
				done, s->nblocks);
			rc = RC_EX_STOPPED;
			goto stop;
		}
	}
	if (mismatches) {
		fprintf(stderr,
			"tgtx-recover: verify: %" PRIu64
			" block(s) of the target differ from the shares\n",
			mismatches);
		rc = RC_EX_DATA;
	}
	/* everything written: one sync and the last checkpoint */
	if (pass == RC_PASS_RESTORE) {
		uint64_t done = writer_stop(&w, wth, wstarted);

		wstarted = false;
		if (!w.err && checkpoint && done == s->nblocks)
			checkpoint(arg, done);
	}
	goto stop;
stop:
	if (pass == RC_PASS_RESTORE) {
		writer_stop(&w, wth, wstarted);
		if (w.err) {
			fprintf(stderr,
				"tgtx-recover: target %s: write of %zu bytes "
				"at %" PRIu64 ": %s\n",
				t->name, w.err_len, w.err_off,
				strerror(-w.err));
			rc = RC_EX_ERROR;
		}
	}
	pthread_mutex_lock(&pp.mu);
	pp.finish = true;
	/* chunks not yet taken are withdrawn; taken ones drain */
	for (uint64_t c = pp.head; c < pp.tail; c++)
		ring_at(&pp, c)->want = ring_at(&pp, c)->taken;
	pthread_cond_broadcast(&pp.cv);
	pthread_mutex_unlock(&pp.mu);
	for (unsigned j = 0; j < s->count; j++)
		if (started[j])
			pthread_join(th[j], NULL);
out:
	for (unsigned w = 0; pp.ring && w < pp.W; w++)
		for (unsigned j = 0; j < SV_MAX_N; j++) {
			free(pp.ring[w].raw[j]);
			free(pp.ring[w].kind[j]);
			free(pp.ring[w].gen[j]);
		}
	free(pp.ring);
	free(pp.map);
	free(pp.freel);
	for (unsigned x = 0; w.q && x < w.Q; x++) {
		free(w.q[x].data);
		free(w.q[x].zero);
	}
	free(w.q);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	free(cb.out);
	free(cmp);
	xs_ctx_free(cb.ctx);
	pthread_cond_destroy(&pp.cv);
	pthread_cond_destroy(&pp.cv_done);
	pthread_mutex_destroy(&pp.mu);
	return rc;
}
