// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Write order (issue 11 guarantee 1), simulated: n share volumes on
 * in-memory LUNs are written by n share writers that progress at different
 * speeds, are stopped, lose power mid-journal and mid-checkpoint, break and
 * resume, and one is dropped as needs-resync. At random moments a disaster
 * is simulated (every LUN keeps only what a power loss could leave) and for
 * EVERY k-subset: the newest common seq S exists when the subset is live,
 * S is at least what all of them had acknowledged, and the k shares of
 * every block as of S rebuild exactly the volume after S. Also: the helper
 * finds no S where none exists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv_testlib.h"

#define BS     512
#define NBLK   32
#define CAP    (3u << 20)
#define MAXSEQ 700
#define MAXBLK 3
#define SHSZ   1024

struct logrec {
	unsigned nb;
	uint64_t lba[MAXBLK], gen[MAXBLK];
	int zero[MAXBLK];
	uint8_t share[MAXBLK][SV_MAX_N][SHSZ];
};

struct peer {
	struct sv_memdev *m;
	struct sv_writer *w;
	unsigned stopped; /* steps left */
	bool dead;
};

struct sim {
	unsigned k, n;
	uint64_t rng;
	struct xs_ctx *ctx;
	struct logrec *log;	     /* log[seq], seq from 1 */
	uint8_t (*state)[NBLK * BS]; /* volume after seq */
	uint64_t last;
	struct peer p[SV_MAX_N];
	uint64_t epoch;
	uint32_t live;
	unsigned disasters, subsets_checked, crashes, breaks, ckpts;
};

static void peer_open(struct sim *s, unsigned i, bool format)
{
	struct sv_writer_cfg cfg;
	struct sv_status st;

	memset(&cfg, 0, sizeof(cfg));
	cfg.params = t_params(s->k, s->n, i, BS, NBLK);
	cfg.format = format;
	cfg.zeroed = true;
	cfg.chunk = 2048 << (t_rand(&s->rng) % 4);
	cfg.window = 1 + t_rand(&s->rng) % 8;
	cfg.max_unacked = 256 << 10;
	if (sv_writer_open(&s->p[i].w, sv_memdev_dev(s->p[i].m), &cfg, &st))
		fail_msg("peer %u open: %s: %s", i, sv_err_name(st.code),
			 st.msg);
}

static void log_append(struct sim *s)
{
	uint64_t seq = ++s->last;
	struct logrec *r = &s->log[seq];
	uint8_t block[BS], *sh[SV_MAX_N];
	unsigned j, i;

	memcpy(s->state[seq], s->state[seq - 1], sizeof(s->state[0]));
	r->nb = 1 + t_rand(&s->rng) % MAXBLK;
	uint64_t lba = t_rand(&s->rng) % (NBLK - r->nb + 1);

	for (j = 0; j < r->nb; j++) {
		r->lba[j] = lba + j;
		r->zero[j] = t_rand(&s->rng) % 10 == 0;
		if (r->zero[j]) {
			memset(s->state[seq] + r->lba[j] * BS, 0, BS);
			continue;
		}
		for (i = 0; i < BS; i++)
			block[i] = (uint8_t)t_rand(&s->rng);
		memcpy(block, &seq, sizeof(seq));
		memcpy(s->state[seq] + r->lba[j] * BS, block, BS);
		r->gen[j] = t_split(s->ctx, s->n, block, BS, sh);
		for (i = 0; i < s->n; i++) {
			memcpy(r->share[j][i], sh[i], xs_share_size(s->n, BS));
			free(sh[i]);
		}
	}
}

/* Feeds peer i the log after what it holds; returns -ENOSPC if full. */
static int feed(struct sim *s, unsigned i, unsigned max)
{
	struct peer *p = &s->p[i];
	struct sv_share_ent ents[MAXBLK];
	struct sv_status st;
	unsigned j, done = 0;
	int ret = 0;

	while (sv_writer_last(p->w) < s->last && done++ < max) {
		uint64_t seq = sv_writer_last(p->w) + 1;
		struct logrec *r = &s->log[seq];
		struct sv_batch b = {seq, 1000 + seq * 10, r->nb, ents};

		for (j = 0; j < r->nb; j++)
			ents[j] = (struct sv_share_ent){
				r->lba[j], r->gen[j],
				r->zero[j] ? NULL : r->share[j][i]};
		ret = sv_writer_append(p->w, &b, &st);
		if (ret == -EAGAIN || ret == -ENOSPC || ret == -EIO)
			break;
		if (ret)
			fail_msg("peer %u append %" PRIu64 ": %s", i, seq,
				 st.msg);
	}
	return ret;
}

static uint64_t all_acked(struct sim *s)
{
	uint64_t m = UINT64_MAX;
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (!s->p[i].dead && sv_writer_acked(s->p[i].w, NULL) < m)
			m = sv_writer_acked(s->p[i].w, NULL);
	return m;
}

/* Power loss on peer i: reopen from what survived. */
static void crash_peer(struct sim *s, unsigned i)
{
	struct peer *p = &s->p[i];
	uint64_t acked = sv_writer_acked(p->w, NULL);

	sv_memdev_crash(p->m);
	sv_writer_free(p->w);
	peer_open(s, i, false);
	/* nothing acknowledged is lost */
	assert_true(sv_writer_acked(p->w, NULL) >= acked);
	s->crashes++;
}

static void rebuild_check(struct sim *s, struct sv_reader **r, unsigned k,
			  uint64_t S)
{
	uint8_t out[BS];
	uint64_t lba;

	for (lba = 0; lba < NBLK; lba++) {
		if (t_rebuild(s->ctx, r, k, lba, S, out))
			fail_msg("block %" PRIu64 " at seq %" PRIu64
				 ": shares disagree",
				 lba, S);
		if (memcmp(out, s->state[S] + lba * BS, BS))
			fail_msg("block %" PRIu64 " at seq %" PRIu64
				 ": rebuilt data is not the volume after S",
				 lba, S);
	}
}

/* A disaster now: every k-subset of what power loss leaves. */
static void disaster(struct sim *s)
{
	struct sv_memdev *c[SV_MAX_N];
	struct sv_reader *rd[SV_MAX_N];
	struct sv_range rg[SV_MAX_N];
	uint64_t acked[SV_MAX_N];
	unsigned i, mask;

	for (i = 0; i < s->n; i++) {
		struct sv_read_io io;
		struct sv_status st;

		acked[i] = sv_writer_acked(s->p[i].w, NULL);
		c[i] = sv_memdev_crash_copy(s->p[i].m,
					    (unsigned)t_rand(&s->rng));
		io = (struct sv_read_io){sv_memdev_read, c[i], CAP};
		rd[i] = NULL;
		if (sv_reader_open(&rd[i], &io, NULL, &st)) {
			if (!s->p[i].dead)
				fail_msg("live peer %u unreadable: %s", i,
					 st.msg);
			continue;
		}
		sv_reader_range(rd[i], &rg[i]);
		if (!s->p[i].dead)
			assert_true(rg[i].s_max >= acked[i]);
	}
	for (mask = 0; mask < (1u << s->n); mask++) {
		struct sv_reader *sub[SV_MAX_N];
		struct sv_range sr[SV_MAX_N];
		unsigned cnt = 0, live = 0;
		uint64_t need = UINT64_MAX, S;
		uint32_t m;
		struct sv_status st;
		int ret;

		if ((unsigned)__builtin_popcount(mask) != s->k)
			continue;
		for (i = 0; i < s->n; i++) {
			if (!(mask & (1u << i)))
				continue;
			if (!rd[i])
				break;
			sub[cnt] = rd[i];
			sr[cnt++] = rg[i];
			live += !s->p[i].dead;
			if (acked[i] < need)
				need = acked[i];
		}
		if (cnt < s->k)
			continue;
		ret = sv_common_seq(sr, cnt, s->k, 0, &S, &m, &st);
		if (live == s->k) {
			if (ret)
				fail_msg("live subset %#x: %s", mask, st.msg);
			assert_true(S >= need);
		}
		if (ret) {
			assert_int_equal(st.code, SV_E_NOCOMMON);
			continue;
		}
		rebuild_check(s, sub, cnt, S);
		/* and going back in time inside the common range */
		if (S > 0) {
			uint64_t lo = 0;

			for (i = 0; i < cnt; i++)
				if (sr[i].s_min > lo)
					lo = sr[i].s_min;
			if (lo < S)
				rebuild_check(s, sub, cnt,
					      lo + t_rand(&s->rng) % (S - lo));
		}
		s->subsets_checked++;
	}
	for (i = 0; i < s->n; i++) {
		sv_reader_free(rd[i]);
		sv_memdev_free(c[i]);
	}
	s->disasters++;
}

static void drop_peer(struct sim *s, unsigned d)
{
	struct sv_status st;
	unsigned i;

	s->p[d].dead = true;
	s->live &= ~(1u << d);
	s->epoch++;
	for (i = 0; i < s->n; i++)
		if (!s->p[i].dead && !s->p[i].stopped)
			assert_int_equal(sv_writer_set_members(s->p[i].w,
							       s->epoch,
							       s->live, &st),
					 0);
}

static unsigned n_dead(struct sim *s)
{
	unsigned i, d = 0;

	for (i = 0; i < s->n; i++)
		d += s->p[i].dead;
	return d;
}

static void run(unsigned k, unsigned n, uint64_t seed, unsigned steps)
{
	struct sim *s = calloc(1, sizeof(*s));
	unsigned step, i;

	s->k = k;
	s->n = n;
	s->rng = seed;
	s->live = (1u << n) - 1;
	s->log = calloc(MAXSEQ + 1, sizeof(*s->log));
	s->state = calloc(MAXSEQ + 1, sizeof(*s->state));
	assert_int_equal(xs_ctx_new(&s->ctx, k, n, BS, 0), 0);
	for (i = 0; i < n; i++) {
		s->p[i].m = sv_memdev_new(CAP, 512, (unsigned)seed + i);
		peer_open(s, i, true);
	}
	for (step = 0; step < steps && s->last + MAXBLK < MAXSEQ; step++) {
		unsigned nl = 1 + t_rand(&s->rng) % 4;
		bool full = false;

		while (nl-- && s->last < MAXSEQ)
			log_append(s);
		for (i = 0; i < n; i++) {
			struct peer *p = &s->p[i];
			struct sv_status st;
			uint64_t r = t_rand(&s->rng) % 100;

			if (p->dead)
				continue;
			if (p->stopped) {
				p->stopped--;
				continue;
			}
			if (r < 3 && n_dead(s) + 1 <= n - k) {
				p->stopped = 5 + t_rand(&s->rng) % 120;
				continue;
			}
			uint64_t used, size;

			feed(s, i, 1 + t_rand(&s->rng) % 8);
			sv_writer_usage(p->w, &used, &size);
			if (used * 4 > size)
				full = true;
			if (r < 8) {
				/* the link breaks mid-stream */
				sv_memdev_fail_after(
					p->m, 1 + t_rand(&s->rng) % 4, -EIO);
				int e = sv_writer_pump(p->w, 0, &st);

				if (!e)
					e = sv_writer_pump(p->w, 0, &st);
				sv_memdev_heal(p->m);
				if (e && sv_writer_resume(p->w, &st))
					fail_msg("resume %u: %s", i, st.msg);
				s->breaks += !!e;
			} else if (r < 12) {
				crash_peer(s, i);
			} else if (r < 60) {
				if (sv_writer_pump(p->w, 0, &st))
					fail_msg("pump %u: %s", i, st.msg);
			}
		}
		/* checkpoints, sometimes interrupted by a crash */
		for (i = 0; i < n; i++) {
			struct peer *p = &s->p[i];
			struct sv_status st;
			uint64_t r = t_rand(&s->rng) % 100;

			if (p->dead || p->stopped || r >= 30)
				continue;
			if (r < 6)
				sv_memdev_fail_after(
					p->m, 1 + t_rand(&s->rng) % 12, -EIO);
			if (sv_writer_checkpoint(p->w, all_acked(s), 0, &st)) {
				if (r >= 6)
					fail_msg("checkpoint %u: %s", i,
						 st.msg);
				sv_memdev_heal(p->m);
				crash_peer(s, i);
			} else {
				sv_memdev_heal(p->m);
				s->ckpts++;
			}
		}
		/* a stopped peer holding everyone back is dropped */
		if (full)
			for (i = 0; i < n; i++)
				if (s->p[i].stopped && !s->p[i].dead &&
				    n_dead(s) < n - k) {
					drop_peer(s, i);
					break;
				}
		if (t_rand(&s->rng) % 10 == 0)
			disaster(s);
	}
	/* the end: everything drained and checkpointed, then a disaster */
	for (i = 0; i < n; i++) {
		struct sv_status st;

		s->p[i].stopped = 0;
		if (s->p[i].dead)
			continue;
		while (sv_writer_last(s->p[i].w) < s->last) {
			feed(s, i, 64);
			assert_int_equal(sv_writer_drain(s->p[i].w, 10000, &st),
					 0);
			assert_int_equal(sv_writer_checkpoint(s->p[i].w,
							      all_acked(s), 0,
							      &st),
					 0);
		}
		assert_int_equal(sv_writer_drain(s->p[i].w, 10000, &st), 0);
	}
	disaster(s);
	printf("# k=%u n=%u seed %" PRIu64 ": %" PRIu64 " seqs, %u disasters, "
	       "%u subsets rebuilt, %u crashes, %u link breaks, %u "
	       "checkpoints, %u dropped\n",
	       k, n, seed, s->last, s->disasters, s->subsets_checked,
	       s->crashes, s->breaks, s->ckpts, n_dead(s));
	assert_true(s->subsets_checked > 0);
	for (i = 0; i < n; i++) {
		/* stopped and dropped peers still have operations queued */
		sv_memdev_crash(s->p[i].m);
		sv_writer_free(s->p[i].w);
		sv_memdev_free(s->p[i].m);
	}
	xs_ctx_free(s->ctx);
	free(s->log);
	free(s->state);
	free(s);
}

static void test_order_k2n3(void **state)
{
	for (uint64_t seed = 1; seed <= 4; seed++)
		run(2, 3, seed * 7919, 160);
}

static void test_order_k3n5(void **state)
{
	for (uint64_t seed = 1; seed <= 2; seed++)
		run(3, 5, seed * 104729, 120);
}

/* The helper on hand-made ranges. */
static void test_common_seq(void **state)
{
	struct sv_range r[4] = {
		{0, true, 10, 20, 0, 1, 0x7},
		{1, true, 15, 30, 0, 1, 0x7},
		{2, true, 25, 40, 0, 1, 0x7},
	};
	struct sv_status st;
	uint64_t S;
	uint32_t m;

	assert_int_equal(sv_common_seq(r, 3, 2, 0, &S, &m, &st), 0);
	assert_int_equal(S, 30);
	assert_int_equal(m, 0x6);
	assert_int_equal(sv_common_seq(r, 3, 2, 22, &S, &m, &st), 0);
	assert_int_equal(S, 20);
	assert_int_equal(m, 0x3);
	/* 0 and 2 do not overlap: no S for k=3, nor for the pair */
	assert_int_equal(sv_common_seq(r, 3, 3, 0, &S, &m, &st), -ENOENT);
	assert_int_equal(st.code, SV_E_NOCOMMON);
	r[1] = r[2];
	r[1].index = 1;
	r[1].s_min = 21;
	assert_int_equal(sv_common_seq((struct sv_range[]){r[0], r[2]}, 2, 2, 0,
				       &S, &m, &st),
			 -ENOENT);
	/* a limit below every range */
	assert_int_equal(sv_common_seq(r, 3, 1, 5, &S, &m, &st), -ENOENT);
	/* a volume dropped at a newer epoch is stale even if it overlaps */
	r[0] = (struct sv_range){0, true, 10, 50, 0, 1, 0x7};
	r[1] = (struct sv_range){1, true, 10, 50, 0, 2, 0x6};
	r[2] = (struct sv_range){2, true, 10, 50, 0, 2, 0x6};
	assert_int_equal(sv_common_seq(r, 3, 3, 0, &S, &m, &st), -ENOENT);
	assert_non_null(strstr(st.msg, "share 0"));
	assert_int_equal(sv_common_seq(r, 3, 2, 0, &S, &m, &st), 0);
	assert_int_equal(m, 0x6);
	/* resyncing and duplicate indexes do not count */
	r[1].usable = false;
	assert_int_equal(sv_common_seq(r, 3, 2, 0, &S, &m, &st), -ENOENT);
	r[1].usable = true;
	r[1].index = 2;
	assert_int_equal(sv_common_seq(r, 3, 2, 0, &S, &m, &st), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_seq),
		cmocka_unit_test(test_order_k2n3),
		cmocka_unit_test(test_order_k3n5),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
