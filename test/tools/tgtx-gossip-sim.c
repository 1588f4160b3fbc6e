// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-gossip-sim: the gossip state machine (replicator/gossip/gossip.c),
 * unchanged, in one process with many nodes, a simulated clock and a
 * simulated network (latency, loss, churn, a partition). Reports the rounds,
 * bytes per node and simulated time until every table (at its newest
 * version) has reached every node. doc/gossip.md has the results; the
 * system test test_gossip_sim.sh runs it small and checks the bound.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <endian.h>

#include "core/crc32c.h"
#include "replicator/gossip/gossip.h"
#include "replicator/gossip/gossip_format.h"

struct ev {
	uint64_t t;
	uint64_t seq; /* FIFO among equal times: deterministic */
	uint32_t node;
	uint32_t from; /* UINT32_MAX for a tick */
	uint8_t *msg;
	uint32_t len;
};

struct simnode {
	struct nodekey key;
	struct gossip *g;
	uint64_t bytes_sent, msgs_sent;
	uint64_t down_until; /* round */
	uint32_t *peers;
	uint32_t npeers;
};

static struct {
	uint32_t nodes, volumes, fanout, loss_pct, churn_pct, seed;
	uint32_t part_start, part_end, update_at, max_rounds, lat_min, lat_max;
	uint32_t seeds, expect_rounds, round_ms;
	int forger, pin_owners;
} opt = {
	.nodes = 100,
	.volumes = 50,
	.fanout = 2,
	.seed = 1,
	.max_rounds = 400,
	.lat_min = 5,
	.lat_max = 50,
	.seeds = 3,
	.round_ms = 1000,
};

static struct simnode *sn;
static struct ev *heap;
static size_t nheap, capheap;
static uint64_t now, evseq, rng = 88172645463325252ULL;
static uint32_t cur_node; /* whose send() is running */
static uint64_t cur_round;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(struct ev e)
{
	size_t i;

	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 4096;
		heap = realloc(heap, capheap * sizeof(*heap));
		if (!heap)
			abort();
	}
	e.seq = evseq++;
	i = nheap++;
	while (i && ev_less(&e, &heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = e;
}

static struct ev pop(void)
{
	struct ev top = heap[0], last = heap[--nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= nheap)
			break;
		if (c + 1 < nheap && ev_less(&heap[c + 1], &heap[c]))
			c++;
		if (!ev_less(&heap[c], &last))
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

static bool is_down(uint32_t n)
{
	return sn[n].down_until > cur_round;
}

static bool partitioned(uint32_t a, uint32_t b)
{
	if (cur_round < opt.part_start || cur_round >= opt.part_end)
		return false;
	return (a < opt.nodes / 2) != (b < opt.nodes / 2);
}

static uint32_t node_by_id(const uint8_t id[SLT_ID_SIZE])
{
	/* ids are SHA-256 of keys: the first 8 bytes index a sorted table */
	static uint32_t *order;
	size_t lo = 0, hi = opt.nodes;

	if (!order) {
		order = malloc(opt.nodes * sizeof(*order));
		if (!order)
			abort();
		for (uint32_t i = 0; i < opt.nodes; i++)
			order[i] = i;
		for (uint32_t i = 1; i < opt.nodes; i++)
			for (uint32_t j = i;
			     j && memcmp(sn[order[j - 1]].key.id,
					 sn[order[j]].key.id, SLT_ID_SIZE) > 0;
			     j--) {
				uint32_t t = order[j];

				order[j] = order[j - 1];
				order[j - 1] = t;
			}
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(sn[order[mid]].key.id, id, SLT_ID_SIZE);

		if (!c)
			return order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

static void sim_send(void *ctx, const uint8_t to[SLT_ID_SIZE],
		     const uint8_t *msg, size_t len)
{
	uint32_t dst = node_by_id(to);
	struct ev e = {0};

	sn[cur_node].bytes_sent += len;
	sn[cur_node].msgs_sent++;
	if (dst == UINT32_MAX || rnd() % 100 < opt.loss_pct)
		return;
	e.t = now + opt.lat_min + rnd() % (opt.lat_max - opt.lat_min + 1);
	e.node = dst;
	e.from = cur_node;
	e.msg = malloc(len);
	if (!e.msg)
		abort();
	memcpy(e.msg, msg, len);
	e.len = (uint32_t)len;
	push(e);
}

static uint64_t sim_now(void *ctx)
{
	return now;
}

static void make_table(uint32_t v, uint64_t version, uint8_t *buf, size_t *len,
		       uint32_t owner, const struct nodekey *key)
{
	struct slt t;
	const char *why = NULL;

	memset(&t, 0, sizeof(t));
	t.version = version;
	memcpy(t.uuid, &v, sizeof(v));
	t.uuid[15] = 0xaa;
	t.size = 1ULL << 30;
	t.block_size = 4096;
	t.k = 2;
	t.n = 3;
	t.signed_at_ms = now;
	snprintf(t.name, sizeof(t.name), "vol%u", v);
	for (int i = 0; i < 3; i++) {
		uint32_t p = (owner + 1 + i + (uint32_t)version) % opt.nodes;

		memcpy(t.shares[i].partner_id, sn[p].key.id, SLT_ID_SIZE);
		snprintf(t.shares[i].portal, sizeof(t.shares[i].portal),
			 "10.%u.%u.%u:3260", p >> 16 & 255, p >> 8 & 255,
			 p & 255);
		snprintf(t.shares[i].iqn, sizeof(t.shares[i].iqn),
			 "iqn.2026-11.org.tgtx:node%u.share.vol%u", p, v);
		t.shares[i].lun = (uint16_t)(1 + i);
	}
	if (slt_encode_sign(&t, key, buf, SLT_MAX_SIZE, len, &why)) {
		fprintf(stderr, "encode: %s\n", why ? why : "?");
		exit(2);
	}
}

static uint32_t owner_of(uint32_t v)
{
	return (uint32_t)((uint64_t)v * opt.nodes / opt.volumes);
}

/* every up-or-down node holds every volume at want[v]? */
static bool converged(const uint64_t *want)
{
	uint8_t uuid[SLT_UUID_SIZE] = {0};

	uuid[15] = 0xaa;
	for (uint32_t n = 0; n < opt.nodes; n++)
		for (uint32_t v = 0; v < opt.volumes; v++) {
			memcpy(uuid, &v, sizeof(v));
			if (gossip_version_of(sn[n].g, uuid) != want[v])
				return false;
		}
	return true;
}

/*
 * Node 0 turns hostile: it signs version 99 of every volume it does not
 * own with its own key and sends them to all its peers as TABLES.
 */
static void forge(uint8_t *tbl)
{
	size_t cap = 16 + 4 + opt.volumes * (4 + SLT_MAX_SIZE), off = 20, tl;
	uint8_t *m = malloc(cap);
	uint32_t cnt = 0, crc, l;
	struct gmsg_hdr h = {0};

	if (!m)
		abort();
	for (uint32_t v = 0; v < opt.volumes && cnt < 32; v++) {
		if (!owner_of(v))
			continue;
		make_table(v, 99, tbl, &tl, 0, &sn[0].key);
		l = htole32((uint32_t)tl);
		memcpy(m + off, &l, 4);
		memcpy(m + off + 4, tbl, tl);
		off += 4 + tl;
		cnt++;
	}
	l = htole32(cnt);
	memcpy(m + 16, &l, 4);
	h.magic = htole32(GMSG_MAGIC);
	h.type = GMSG_TABLES;
	h.version = GMSG_VERSION;
	h.len = htole32((uint32_t)off);
	memcpy(m, &h, sizeof(h));
	crc = crc32c(0, m, 12);
	h.crc = htole32(crc32c(crc, m + 16, off - 16));
	memcpy(m, &h, sizeof(h));
	cur_node = 0;
	for (uint32_t i = 0; i < sn[0].npeers; i++)
		sim_send(NULL, sn[sn[0].peers[i]].key.id, m, off);
	free(m);
}

static void add_peer(uint32_t a, uint32_t b)
{
	for (uint32_t i = 0; i < sn[a].npeers; i++)
		if (sn[a].peers[i] == b)
			return;
	if (a == b || sn[a].npeers >= 60)
		return;
	sn[a].peers[sn[a].npeers++] = b;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tgtx-gossip-sim [--nodes N] [--volumes V] [--fanout "
		"F]\n"
		"  [--loss PCT] [--churn PCT] [--partition START:END]\n"
		"  [--update-at ROUND] [--forger] [--seeds S] [--seed X]\n"
		"  [--max-rounds R] [--expect-rounds R] [--pin-owners]\n"
		"Simulates N gossip nodes (1 s rounds, 5-50 ms latency) that\n"
		"own V volumes (k=2 n=3 partners each) and reports when every\n"
		"table has reached every node. --churn: percent of nodes\n"
		"taken down for 5 rounds each round until the partition ends\n"
		"(or round 30); --partition: two halves cut apart for those\n"
		"rounds; --update-at: every owner re-signs version 2 then;\n"
		"--forger: a node signs tables for other owners' volumes (all\n"
		"must be refused) 10 rounds after the last disturbance;\n"
		"--pin-owners: every node knows every volume's owner (else\n"
		"the first valid table binds a volume to its owner) and the\n"
		"forger strikes at round 1. Exit 0 when converged (within\n"
		"--expect-rounds if given) and no forgery was accepted.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"nodes", 1, 0, 'n'},
		{"volumes", 1, 0, 'v'},
		{"fanout", 1, 0, 'f'},
		{"loss", 1, 0, 'l'},
		{"churn", 1, 0, 'c'},
		{"partition", 1, 0, 'p'},
		{"update-at", 1, 0, 'u'},
		{"forger", 0, 0, 'F'},
		{"seeds", 1, 0, 'S'},
		{"seed", 1, 0, 'x'},
		{"max-rounds", 1, 0, 'm'},
		{"expect-rounds", 1, 0, 'e'},
		{"pin-owners", 0, 0, 'P'},
		{"help", 0, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct gossip_cfg cfg;
	uint64_t *want, conv_t = 0, forged_ok = 0, sent = 0, maxsent = 0;
	uint64_t rcvd = 0, msgs = 0, verified = 0;
	uint32_t churn_end, calm, forge_at;
	uint64_t first_t = 0;
	uint8_t tbl[SLT_MAX_SIZE];
	size_t tl;
	clock_t c0 = clock();
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt.nodes = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'v':
			opt.volumes = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'f':
			opt.fanout = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			opt.loss_pct = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			opt.churn_pct = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			if (sscanf(optarg, "%u:%u", &opt.part_start,
				   &opt.part_end) != 2)
				return usage(stderr), 1;
			break;
		case 'u':
			opt.update_at = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'F':
			opt.forger = 1;
			break;
		case 'S':
			opt.seeds = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'x':
			opt.seed = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			opt.max_rounds = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'e':
			opt.expect_rounds = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'P':
			opt.pin_owners = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (opt.nodes < 4 || opt.volumes < 1 || opt.volumes > 4096 ||
	    opt.loss_pct > 90 || opt.churn_pct > 50) {
		usage(stderr);
		return 1;
	}
	rng ^= (uint64_t)opt.seed * 0x9e3779b97f4a7c15ULL;
	gossip_cfg_default(&cfg);
	cfg.max_tables = opt.volumes + 16;
	cfg.max_per_owner = 64;
	cfg.max_nodes = 64;
	cfg.max_peers = 64;
	cfg.fanout = opt.fanout;
	cfg.max_msg = 24 * cfg.max_tables + 64 > 16384
			      ? 24 * cfg.max_tables + 64
			      : 16384;
	sn = calloc(opt.nodes, sizeof(*sn));
	want = calloc(opt.volumes, sizeof(*want));
	if (!sn || !want)
		return 2;
	for (uint32_t n = 0; n < opt.nodes; n++) {
		if (nodekey_generate(&sn[n].key))
			return 2;
		sn[n].peers = calloc(64, sizeof(uint32_t));
		if (!sn[n].peers)
			return 2;
	}
	/* who knows whom: share partners both ways, plus a few seeds */
	for (uint32_t v = 0; v < opt.volumes; v++) {
		uint32_t o = owner_of(v);

		for (int i = 0; i < 3; i++) {
			uint32_t p = (o + 2 + i) % opt.nodes;

			add_peer(o, p);
			add_peer(p, o);
		}
	}
	for (uint32_t n = 0; n < opt.nodes; n++)
		for (uint32_t s = 0; s < opt.seeds; s++) {
			uint32_t p = (uint32_t)(rnd() % opt.nodes);

			add_peer(n, p);
			add_peer(p, n);
		}
	for (uint32_t n = 0; n < opt.nodes; n++) {
		struct gossip_io io = {
			.ctx = NULL, .send = sim_send, .now_ms = sim_now};

		sn[n].g = gossip_new(&cfg, &io, sn[n].key.id, rnd() | 1);
		if (!sn[n].g) {
			fprintf(stderr, "gossip_new failed\n");
			return 2;
		}
		for (uint32_t i = 0; i < sn[n].npeers; i++)
			gossip_pin(sn[n].g, sn[sn[n].peers[i]].key.pub, true);
		for (uint32_t v = 0; opt.pin_owners && v < opt.volumes; v++) {
			uint8_t uuid[SLT_UUID_SIZE] = {0};

			memcpy(uuid, &v, sizeof(v));
			uuid[15] = 0xaa;
			gossip_pin_volume(sn[n].g, uuid,
					  sn[owner_of(v)].key.id);
		}
		push((struct ev){.t = rnd() % opt.round_ms,
				 .node = n,
				 .from = UINT32_MAX});
	}
	for (uint32_t v = 0; v < opt.volumes; v++) {
		uint32_t o = owner_of(v);

		make_table(v, 1, tbl, &tl, o, &sn[o].key);
		enum gossip_verdict vd = gossip_offer(sn[o].g, tbl, tl);

		if (vd != GOSSIP_ACCEPTED) {
			fprintf(stderr, "own table of vol%u: %s\n", v,
				gossip_verdict_name(vd));
			return 2;
		}
		want[v] = 1;
	}
	printf("nodes %u volumes %u fanout %u loss %u%% churn %u%% "
	       "partition %u:%u update-at %u seed %u\n",
	       opt.nodes, opt.volumes, opt.fanout, opt.loss_pct, opt.churn_pct,
	       opt.part_start, opt.part_end, opt.update_at, opt.seed);
	/* the last round anything is disturbed (the forger aside) */
	churn_end = opt.part_end > 30 ? opt.part_end : 30;
	calm = opt.part_end;
	if (opt.churn_pct && churn_end + 5 > calm)
		calm = churn_end + 5;
	if (opt.update_at > calm)
		calm = opt.update_at;
	/* with volumes pinned the forger may strike before anything spread */
	forge_at = !opt.forger ? UINT32_MAX : opt.pin_owners ? 1 : calm + 10;
	while (nheap) {
		struct ev e = pop();
		uint64_t r = e.t / opt.round_ms;
		bool done = false;

		now = e.t;
		if (r != cur_round) {
			cur_round = r;
			if (opt.churn_pct && r < churn_end)
				for (uint32_t i = 0;
				     i < opt.nodes * opt.churn_pct / 100; i++)
					sn[rnd() % opt.nodes].down_until =
						r + 5;
			if (opt.update_at && r == opt.update_at) {
				for (uint32_t v = 0; v < opt.volumes; v++) {
					uint32_t o = owner_of(v);

					make_table(v, 2, tbl, &tl, o,
						   &sn[o].key);
					gossip_offer(sn[o].g, tbl, tl);
					want[v] = 2;
				}
			}
			if (opt.forger && r == forge_at)
				forge(tbl);
			if (r >= opt.update_at && !first_t && converged(want))
				first_t = now ? now : 1;
			if (r >= calm && converged(want)) {
				if (!conv_t)
					conv_t = now;
				if (!opt.forger || r > forge_at + 20)
					done = true;
			} else if (r >= calm && conv_t && r > forge_at) {
				printf("round %" PRIu64 ": not converged "
				       "any more\n",
				       r);
				conv_t = 0;
				done = true;
			}
			if (r > opt.max_rounds)
				done = true;
		}
		if (done) {
			free(e.msg);
			break;
		}
		cur_node = e.node;
		if (e.from == UINT32_MAX) {
			if (!is_down(e.node))
				gossip_tick(sn[e.node].g);
			push((struct ev){.t = now + opt.round_ms,
					 .node = e.node,
					 .from = UINT32_MAX});
			continue;
		}
		if (!is_down(e.node) && !partitioned(e.node, e.from))
			gossip_receive(sn[e.node].g, sn[e.from].key.id, e.msg,
				       e.len);
		free(e.msg);
	}
	for (uint32_t n = 0; n < opt.nodes; n++) {
		const struct gossip_stats *st = gossip_stats(sn[n].g);

		sent += sn[n].bytes_sent;
		msgs += sn[n].msgs_sent;
		rcvd += st->bytes_rcvd;
		if (sn[n].bytes_sent > maxsent)
			maxsent = sn[n].bytes_sent;
		verified += st->verdicts[GOSSIP_ACCEPTED] +
			    st->verdicts[GOSSIP_FORGED] +
			    st->verdicts[GOSSIP_BAD_SIG];
		forged_ok += 0;
		if (n) {
			uint8_t uuid[SLT_UUID_SIZE] = {0};

			uuid[15] = 0xaa;
			for (uint32_t v = 0; v < opt.volumes; v++) {
				memcpy(uuid, &v, sizeof(v));
				if (gossip_version_of(sn[n].g, uuid) == 99)
					forged_ok++;
			}
		}
	}
	{
		uint64_t forged = 0;

		for (uint32_t n = 0; n < opt.nodes; n++)
			forged +=
				gossip_stats(sn[n].g)->verdicts[GOSSIP_FORGED];
		printf("every table at every node first at %.1f s simulated "
		       "(round %" PRIu64 ")%s; still so after the last "
		       "disturbance (round %u): %s\n",
		       first_t / 1000.0, first_t / opt.round_ms,
		       opt.update_at ? " (since version 2 was signed)" : "",
		       calm, conv_t ? "yes" : "NO");
		if (opt.update_at && first_t)
			printf("version 2 everywhere %.1f s after it was "
			       "signed\n",
			       first_t / 1000.0 - opt.update_at);
		printf("per node: sent %.1f KiB (max %.1f KiB), %.1f msgs, "
		       "received %.1f KiB; cpu %.1f s; signatures checked "
		       "%" PRIu64 "\n",
		       sent / 1024.0 / opt.nodes, maxsent / 1024.0,
		       (double)msgs / opt.nodes, rcvd / 1024.0 / opt.nodes,
		       (double)(clock() - c0) / CLOCKS_PER_SEC, verified);
		if (opt.forger)
			printf("forged tables refused %" PRIu64
			       ", accepted %" PRIu64 "\n",
			       forged, forged_ok);
	}
	while (nheap)
		free(pop().msg);
	for (uint32_t n = 0; n < opt.nodes; n++) {
		gossip_free(sn[n].g);
		nodekey_free(&sn[n].key);
		free(sn[n].peers);
	}
	free(heap);
	free(sn);
	free(want);
	if (!conv_t || !first_t || forged_ok)
		return 3;
	if (opt.expect_rounds &&
	    (!first_t || first_t / opt.round_ms > opt.expect_rounds)) {
		fprintf(stderr, "took %" PRIu64 " rounds, bound %u\n",
			first_t / opt.round_ms, opt.expect_rounds);
		return 4;
	}
	return 0;
}
