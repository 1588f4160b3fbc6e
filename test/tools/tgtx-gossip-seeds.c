// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-gossip-seeds OUTDIR: writes the seed corpora of fuzz_slt,
 * fuzz_gossip and fuzz_kit into OUTDIR/<harness>/ (committed under
 * test/fuzz/corpus/; rerun after a format change). They need real Ed25519
 * signatures and a real sealed kit, hence C rather than make-seeds.py. The
 * keys are the fixed ones of fuzz_gossip.c, so its node accepts the tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/kit.h"
#include "replicator/gossip/gossip.h"

struct qmsg {
	int to_owner;
	uint8_t *m;
	size_t l;
};

static struct nodekey owner, peer;
static struct qmsg q[256];
static int qh, qt, nmsg;
static const char *dir;

static int wr(const char *sub, const char *name, const uint8_t *b, size_t l,
	      int prefix)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	f = fopen(p, "w");
	if (!f) {
		perror(p);
		return -1;
	}
	if (prefix >= 0)
		fputc(prefix, f);
	fwrite(b, 1, l, f);
	return fclose(f);
}

static void queue(int to_owner, const uint8_t *m, size_t l)
{
	if (qt >= 256)
		abort();
	q[qt].to_owner = to_owner;
	q[qt].m = malloc(l);
	if (!q[qt].m)
		abort();
	memcpy(q[qt].m, m, l);
	q[qt].l = l;
	qt++;
}

static void send_owner(void *c, const uint8_t *to, const uint8_t *m, size_t l)
{
	queue(0, m, l);
}

/* what the peer says is what fuzz_gossip's node hears: the seeds */
static void send_peer(void *c, const uint8_t *to, const uint8_t *m, size_t l)
{
	char n[32];

	snprintf(n, sizeof(n), "msg%02d_type%d", nmsg++, m[4]);
	wr("fuzz_gossip", n, m, l, -1);
	queue(1, m, l);
}

static uint64_t now(void *c)
{
	return 0;
}

/* the tables of fuzz_gossip.c's node, and more of the same shape */
static void mk(const struct nodekey *k, int i, uint64_t ver, uint8_t u0,
	       uint8_t *out, size_t *len)
{
	struct slt t;

	memset(&t, 0, sizeof(t));
	t.version = ver;
	t.uuid[0] = u0;
	t.size = 1 << 20;
	t.block_size = 4096;
	t.k = 1;
	t.n = 1;
	snprintf(t.name, sizeof(t.name), "v%d", i);
	strcpy(t.shares[0].portal, "127.0.0.1:3260");
	strcpy(t.shares[0].iqn, "iqn.2026-11.org.tgtx:f");
	if (slt_encode_sign(&t, k, out, SLT_MAX_SIZE, len, NULL))
		abort();
}

int main(int argc, char **argv)
{
	static struct kit k;
	struct gossip_io io_o = {.send = send_owner, .now_ms = now};
	struct gossip_io io_p = {.send = send_peer, .now_ms = now};
	struct kit_kdf kdf = {.log2_n = KIT_MIN_LOG2N, .r = 8, .p = 1};
	uint8_t seed[32], t[SLT_MAX_SIZE], blob[SLT_MAX_SIZE + 64];
	uint8_t pl[KIT_MAX_PAYLOAD], *kb;
	struct gossip_cfg cfg;
	struct gossip *o, *p;
	size_t l, bl, pll, kl;
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: tgtx-gossip-seeds OUTDIR\n");
		return 1;
	}
	dir = argv[1];
	gossip_cfg_default(&cfg);
	cfg.max_tables = 64;
	cfg.max_msg = 64 * 1024;
	memset(seed, 0x11, 32);
	nodekey_from_private(&owner, seed);
	memset(seed, 0x22, 32);
	nodekey_from_private(&peer, seed);
	o = gossip_new(&cfg, &io_o, owner.id, 1);
	p = gossip_new(&cfg, &io_p, peer.id, 2);
	if (!o || !p)
		return 2;
	gossip_pin(o, peer.pub, true);
	gossip_pin(p, owner.pub, true);
	for (int i = 0; i < 3; i++) {
		mk(&owner, i, (uint64_t)i + 1, (uint8_t)(i * 0x40), t, &l);
		gossip_offer(o, t, l);
		if (i)
			continue;
		if (wr("fuzz_slt", "table", t, l, -1) ||
		    slt_blob_wrap(t, l, blob, sizeof(blob), &bl) ||
		    wr("fuzz_slt", "blob", blob, bl, -1))
			return 2;
	}
	/* the peer: a newer v1, a new volume, a forged table for v2 */
	mk(&owner, 1, 9, 0x40, t, &l);
	gossip_offer(p, t, l);
	mk(&owner, 5, 1, 0x70, t, &l);
	gossip_offer(p, t, l);
	mk(&peer, 2, 50, 0x80, t, &l);
	gossip_offer(p, t, l);
	gossip_contact(p, owner.id);
	while (qh != qt) {
		struct qmsg m = q[qh++];

		if (m.to_owner)
			gossip_receive(o, peer.id, m.m, m.l);
		else
			gossip_receive(p, owner.id, m.m, m.l);
		free(m.m);
	}
	snprintf(path, sizeof(path), "%s/fuzz_gossip/state", dir);
	if (gossip_save(o, path))
		return 2;
	/* the kit: payload (mode byte 0) and a sealed file (mode byte 1) */
	memcpy(k.node_priv, seed, 32);
	strcpy(k.node_name, "site-a");
	k.npeers = 1;
	memcpy(k.peers[0].pub, peer.pub, 32);
	strcpy(k.peers[0].addr, "127.0.0.1:3270");
	strcpy(k.peers[0].url, "iscsi://u%p@127.0.0.1:3260/iqn.x/1");
	k.nseeds = 1;
	strcpy(k.seeds[0], "127.0.0.1:3271");
	if (kit_payload_encode(&k, pl, sizeof(pl), &pll, NULL) ||
	    wr("fuzz_kit", "payload", pl, pll, 0) ||
	    kit_seal(&k, "correct horse", &kdf, &kb, &kl, NULL) ||
	    wr("fuzz_kit", "kitfile", kb, kl, 1))
		return 2;
	free(kb);
	printf("owner node holds %zu tables, refused as forged %llu\n",
	       gossip_count(o),
	       (unsigned long long)gossip_stats(o)->verdicts[GOSSIP_FORGED]);
	gossip_free(o);
	gossip_free(p);
	nodekey_free(&owner);
	nodekey_free(&peer);
	return 0;
}
