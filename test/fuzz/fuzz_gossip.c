// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for everything a gossip peer can send: the input is one
 * message from a pinned peer to a node that holds a few tables (so HASH,
 * DIGEST and REQUEST all find something to compare and answer), then the
 * same bytes as a state file. Each runs also with its length and CRC fields
 * made right, to get past the checksums. The replies must stay within
 * max_msg. The
 * node lives across inputs (building it costs signature checks); only
 * validly signed tables (from the corpus) can change it, within max_tables.
 * Corpus: test/fuzz/corpus/fuzz_gossip/ (test/tools/tgtx-gossip-seeds).
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "replicator/gossip/gossip.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static struct nodekey owner, peer;
static uint8_t tables[3][SLT_MAX_SIZE];
static size_t tlen[3];
static struct gossip_cfg cfg;

static void fz_send(void *ctx, const uint8_t to[SLT_ID_SIZE],
		    const uint8_t *msg, size_t len)
{
	if (len > cfg.max_msg)
		__builtin_trap();
}

static uint64_t fz_now(void *ctx)
{
	return 0;
}

static void init(void)
{
	uint8_t seed[32];

	/* fixed keys: the corpus can carry valid signatures */
	memset(seed, 0x11, sizeof(seed));
	nodekey_from_private(&owner, seed);
	memset(seed, 0x22, sizeof(seed));
	nodekey_from_private(&peer, seed);
	for (int i = 0; i < 3; i++) {
		struct slt t;

		memset(&t, 0, sizeof(t));
		t.version = (uint64_t)i + 1;
		t.uuid[0] = (uint8_t)(i * 0x40);
		t.size = 1 << 20;
		t.block_size = 4096;
		t.k = 1;
		t.n = 1;
		snprintf(t.name, sizeof(t.name), "v%d", i);
		strcpy(t.shares[0].portal, "127.0.0.1:3260");
		strcpy(t.shares[0].iqn, "iqn.2026-11.org.tgtx:f");
		slt_encode_sign(&t, &owner, tables[i], SLT_MAX_SIZE, &tlen[i],
				NULL);
	}
	gossip_cfg_default(&cfg);
	cfg.max_tables = 64;
	cfg.max_msg = 64 * 1024;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static int done;
	static struct gossip *node;
	struct gossip_io io = {.send = fz_send, .now_ms = fz_now};
	struct gossip *g;
	char path[64];
	FILE *f;

	if (!done) {
		init();
		node = gossip_new(&cfg, &io, owner.id, 1);
		if (!node)
			__builtin_trap();
		gossip_pin(node, peer.pub, true);
		for (int i = 0; i < 3; i++)
			gossip_offer(node, tables[i], tlen[i]);
		done = 1;
	}
	gossip_tick(node); /* a fresh rate budget per input */
	gossip_receive(node, peer.id, d, n);
	if (n >= 16 && n <= cfg.max_msg) {
		uint8_t *c = malloc(n);
		uint32_t v;

		if (!c)
			return 0;
		memcpy(c, d, n);
		v = htole32((uint32_t)n);
		memcpy(c + 8, &v, 4);
		v = htole32(crc32c(crc32c(0, c, 12), c + 16, n - 16));
		memcpy(c + 12, &v, 4);
		gossip_tick(node);
		gossip_receive(node, peer.id, c, n);
		free(c);
	}
	if (gossip_count(node) > cfg.max_tables)
		__builtin_trap();
	/* the same bytes as a state file (one starts with its magic's "T") */
	if (!n || d[0] != 'T')
		return 0;
	snprintf(path, sizeof(path), "/tmp/fuzz_gossip.%d", (int)getpid());
	f = fopen(path, "w");
	if (f) {
		uint8_t *c = malloc(n);

		/* file_len and CRC right: struct gstate_hdr offsets 8 and 20 */
		if (c && n >= 24) {
			uint64_t l = htole64(n);
			uint32_t v;

			memcpy(c, d, n);
			memcpy(c + 8, &l, 8);
			v = htole32(crc32c(crc32c(0, c, 20), c + 24, n - 24));
			memcpy(c + 20, &v, 4);
			fwrite(c, 1, n, f);
		} else {
			fwrite(d, 1, n, f);
		}
		free(c);
		fclose(f);
		g = gossip_new(&cfg, &io, owner.id, 1);
		if (g) {
			gossip_load(g, path);
			gossip_free(g);
		}
		unlink(path);
	}
	return 0;
}
