// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-recover restore --reprotect SEEDFILE: what a new owner needs to
 * continue the peers' share volumes instead of rebuilding them
 * (doc/dr-runbook.md "Step 4", format struct sl_seed_hdr): the volume key
 * from k key-share blobs, the generation of every block as restored, the
 * newest seq any share volume holds (the new log starts after it), a
 * generation floor far above every generation seen, and the blocks
 * written after the restored point, which the new owner re-logs with new
 * generations.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/fileio.h"
#include "bs_xorshare/codec/xorshare.h"
#include "bs_xorshare/log/sl_seed.h"
#include "rc.h"

int rc_volume_key(struct rc_set *s, uint8_t key[16], uint32_t *used)
{
	static uint8_t blob[SV_MAX_N][SV_BLOB_MAX];
	const uint8_t *sh[SV_MAX_N];
	size_t lens[SV_MAX_N], klen = 0;
	unsigned have = 0, pos[SV_MAX_N];
	struct xs_ctx *ctx = NULL;
	char name[600];

	*used = 0;
	for (unsigned i = 0; i < s->count; i++) {
		struct sv_status st = {0};
		uint32_t len;

		if (s->src[i].state != RC_SRC_OK)
			continue;
		if (sv_reader_blob(s->src[i].r, SV_BLOB_KEY, blob[have],
				   SV_BLOB_MAX, &len, &st)) {
			fprintf(stderr, "tgtx-recover: %s: no key share: %s\n",
				rc_src_name(&s->src[i], name, sizeof(name)),
				st.msg);
			continue;
		}
		sh[have] = blob[have];
		lens[have] = len;
		pos[have++] = i;
	}
	if (have < s->k) {
		fprintf(stderr,
			"tgtx-recover: %u key share(s) readable, k=%u needed\n",
			have, s->k);
		return RC_EX_NOPOINT;
	}
	if (xs_ctx_new(&ctx, s->k, s->n, XS_KEY_SIZE, 0))
		return RC_EX_ERROR;
	/* every k-subset in turn (n <= 16: bounded) until one combines */
	for (uint32_t m = 1; m < (1u << have) && !*used; m++) {
		const uint8_t *ss[SV_MAX_N];
		size_t sl[SV_MAX_N];
		unsigned c = 0;

		if ((unsigned)__builtin_popcount(m) != s->k)
			continue;
		for (unsigned x = 0; x < have; x++)
			if (m & (1u << x)) {
				ss[c] = sh[x];
				sl[c++] = lens[x];
			}
		if (!xs_combine(ctx, ss, sl, c, key, XS_KEY_SIZE, &klen) &&
		    klen == XS_KEY_SIZE)
			for (unsigned x = 0; x < have; x++)
				if (m & (1u << x))
					*used |= 1u << pos[x];
	}
	xs_ctx_free(ctx);
	if (!*used) {
		fprintf(stderr, "tgtx-recover: no %u key shares combine\n",
			s->k);
		return RC_EX_DATA;
	}
	return RC_EX_OK;
}

struct scan {
	uint64_t point, gen_max, nblocks;
	uint8_t *dirty; /* bit per block written after the point */
};

static void on_entry(void *arg, uint64_t lba, uint64_t seq, uint64_t gen)
{
	struct scan *sc = arg;

	if (gen > sc->gen_max)
		sc->gen_max = gen;
	if (seq > sc->point && lba < sc->nblocks)
		sc->dirty[lba >> 3] |= (uint8_t)(1u << (lba & 7));
}

static bool is_dirty(const struct scan *sc, uint64_t b)
{
	return sc->dirty[b >> 3] & (1u << (b & 7));
}

/* Runs of dirty blocks as ranges (malloc'd). */
static int ranges(const struct scan *sc, struct sl_seed *seed)
{
	uint32_t n = 0, cap = 0;

	for (uint64_t b = 0; b < sc->nblocks;) {
		uint64_t e;

		if (!is_dirty(sc, b)) {
			b++;
			continue;
		}
		for (e = b + 1; e < sc->nblocks && is_dirty(sc, e); e++)
			;
		if (n == cap) {
			uint32_t nc = cap ? 2 * cap : 64;
			struct sl_seed_range *q =
				realloc(seed->rev, nc * sizeof(*q));

			if (!q)
				return -ENOMEM;
			seed->rev = q;
			cap = nc;
		}
		seed->rev[n].lba = b;
		seed->rev[n++].nblocks = e - b;
		b = e;
	}
	seed->nrevert = n;
	return 0;
}

int rc_write_seed(struct rc_set *s, const struct rc_opts *o)
{
	struct sl_seed seed;
	struct scan sc = {.point = s->seq, .nblocks = s->nblocks};
	uint64_t newest = 0, nrev = 0;
	uint32_t used = 0;
	void *buf = NULL;
	size_t len = 0;
	int rc, ret;

	memset(&seed, 0, sizeof(seed));
	rc = rc_volume_key(s, seed.key, &used);
	if (rc)
		return rc;
	sc.dirty = calloc(1, (size_t)(s->nblocks + 7) / 8);
	if (!sc.dirty) {
		rc = RC_EX_ERROR;
		goto out;
	}
	sc.gen_max = s->gen_max;
	/* every share volume read counts, usable for the point or not: a
	 * seq or generation it holds must never be handed out again */
	for (unsigned i = 0; i < s->count; i++) {
		if (!s->src[i].r)
			continue;
		if (s->src[i].rg.s_max > newest)
			newest = s->src[i].rg.s_max;
		sv_reader_entries(s->src[i].r, on_entry, &sc);
	}
	for (unsigned i = 0; i < s->count; i++) {
		const struct rc_src *src = &s->src[i];

		/* streamed to from newest + 1: holds every seq up to it and
		 * can restore the point (so its slots are not newer) */
		if (src->r && src->state == RC_SRC_OK && src->rg.usable &&
		    (s->mask & (1u << i)) && src->rg.s_max == newest)
			seed.held_mask |= 1u << src->info->index;
	}
	if (UINT64_MAX - sc.gen_max < 2 * SL_SEED_GEN_GAP) {
		fprintf(stderr,
			"tgtx-recover: generations exhausted (%" PRIu64
			"): protect the volume as a new one\n",
			sc.gen_max);
		rc = RC_EX_REFUSED;
		goto out;
	}
	seed.k = (uint8_t)s->k;
	seed.n = (uint8_t)s->n;
	seed.check = s->check <= 2 ? s->check : 0;
	memcpy(seed.uuid, s->uuid, 16);
	seed.block_size = s->block_size;
	seed.nblocks = s->nblocks;
	seed.size = s->nblocks * s->block_size;
	seed.point_seq = s->seq;
	seed.next_seq = (newest > s->seq ? newest : s->seq) + 1;
	seed.gen_floor = sc.gen_max + SL_SEED_GEN_GAP;
	seed.created_ns = rc_now_ns();
	seed.gens = s->gmap;
	if (ranges(&sc, &seed)) {
		rc = RC_EX_ERROR;
		goto out;
	}
	for (uint32_t j = 0; j < seed.nrevert; j++)
		nrev += seed.rev[j].nblocks;
	ret = sl_seed_encode(&seed, &buf, &len);
	if (!ret)
		ret = write_path_atomic(o->reprotect, buf, len, 0600);
	if (ret) {
		fprintf(stderr, "tgtx-recover: reprotect seed %s: %s\n",
			o->reprotect, strerror(-ret));
		rc = RC_EX_ERROR;
		goto out;
	}
	printf("reprotect seed written to %s (mode 0600, holds the volume "
	       "key): point seq %" PRIu64
	       ", share volumes hold up to seq %" PRIu64
	       ", new log from seq %" PRIu64 ", newest generation seen %" PRIu64
	       ", new generations from %" PRIu64 ", %" PRIu64
	       " block(s) written after the point to re-log, "
	       "share volumes continued: mask 0x%x\n",
	       o->reprotect, s->seq, newest, seed.next_seq, sc.gen_max,
	       seed.gen_floor, nrev, seed.held_mask);
	rc = RC_EX_OK;
out:
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	OPENSSL_cleanse(seed.key, sizeof(seed.key));
	free(seed.rev);
	free(sc.dirty);
	return rc;
}
