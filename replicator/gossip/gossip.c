// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32c.h"
#include "gossip.h"
#include "gossip_format.h"
#include "gossip_priv.h"

struct gentry {
	uint8_t uuid[SLT_UUID_SIZE];
	uint64_t version;
	uint8_t owner[SLT_ID_SIZE];
	bool pinned; /* owner's key was pinned when the binding was made */
	uint32_t len;
	uint8_t *tbl;
};

struct gnode {
	uint8_t pub[SLT_PUB_SIZE];
	uint8_t id[SLT_ID_SIZE];
	bool peer;
	uint64_t rx_round; /* round rx_count counts for */
	uint32_t rx_count;
};

#define REFUSED_CACHE 256

struct gossip {
	struct gossip_cfg cfg;
	struct gossip_io io;
	uint8_t self[SLT_ID_SIZE];
	uint64_t rng;
	struct gentry *ents; /* sorted by uuid */
	size_t nents;
	struct gnode *nodes;
	size_t nnodes, npeers;
	uint32_t *pick; /* scratch: peer indices, max_peers */
	uint8_t hash[32];
	bool hash_ok, dirty;
	size_t table_bytes;
	struct gossip_stats st;
	uint8_t *buf; /* message being built, max_msg bytes */
	/*
	 * (uuid, version) of tables refused for their signer: a digest that
	 * offers them again is not followed, so a forger's advertised
	 * versions cannot make its peers pull and refuse every round.
	 */
	struct {
		uint8_t uuid[SLT_UUID_SIZE];
		uint64_t version;
	} refused[REFUSED_CACHE];
	uint32_t refused_next;
	/* volume -> owner bindings known out of band (share headers, kit) */
	struct gvpin {
		uint8_t uuid[SLT_UUID_SIZE];
		uint8_t owner[SLT_ID_SIZE];
	} * vpins;
	size_t nvpins;
};

#define DIGEST_BODY_FIXED 8 /* want_reply, reserved[3], count */
#define MAX_REPLY_MSGS	  8 /* TABLES messages per REQUEST */

void gossip_cfg_default(struct gossip_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_tables = 1024;
	cfg->max_per_owner = 256;
	cfg->max_nodes = 4096;
	cfg->max_peers = 64;
	cfg->fanout = 2;
	cfg->max_msg = 256 * 1024;
	cfg->max_pull = 64;
	cfg->max_rx_per_round = 32;
	cfg->pinned_only = false;
}

const char *gossip_verdict_name(enum gossip_verdict v)
{
	static const char *const names[GOSSIP_VERDICTS] = {
		"accepted", "old",	 "malformed", "bad-signature",
		"forged",   "untrusted", "full",
	};

	return (unsigned)v < GOSSIP_VERDICTS ? names[v] : "?";
}

struct gossip *gossip_new(const struct gossip_cfg *cfg,
			  const struct gossip_io *io,
			  const uint8_t self_id[SLT_ID_SIZE], uint64_t seed)
{
	struct gossip *g;
	uint64_t need;

	/* a full DIGEST and the largest table must each fit in a message */
	need = GMSG_HDR_SIZE + DIGEST_BODY_FIXED +
	       (uint64_t)cfg->max_tables * GMSG_DIGEST_ENT_SIZE;
	if (!cfg->max_tables || !cfg->max_per_owner || !cfg->max_peers ||
	    cfg->max_nodes < cfg->max_peers || cfg->max_msg > GOSSIP_MAX_MSG ||
	    cfg->max_msg < need ||
	    cfg->max_msg < GMSG_HDR_SIZE + 8 + SLT_MAX_SIZE || !cfg->max_pull ||
	    !cfg->max_rx_per_round || !io->send || !io->now_ms)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->cfg = *cfg;
	g->io = *io;
	memcpy(g->self, self_id, SLT_ID_SIZE);
	g->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	g->ents = calloc(cfg->max_tables, sizeof(*g->ents));
	g->nodes = calloc(cfg->max_nodes, sizeof(*g->nodes));
	g->pick = calloc(cfg->max_peers, sizeof(*g->pick));
	g->buf = malloc(cfg->max_msg);
	g->vpins = calloc(cfg->max_tables, sizeof(*g->vpins));
	if (!g->ents || !g->nodes || !g->pick || !g->buf || !g->vpins) {
		gossip_free(g);
		return NULL;
	}
	return g;
}

void gossip_free(struct gossip *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nents; i++)
		free(g->ents[i].tbl);
	free(g->ents);
	free(g->nodes);
	free(g->pick);
	free(g->buf);
	free(g->vpins);
	free(g);
}

static uint64_t gossip_rand(struct gossip *g)
{
	/* xorshift64*: deterministic per seed, so simulations replay */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dULL;
}

static struct gnode *gossip_node(const struct gossip *g,
				 const uint8_t id[SLT_ID_SIZE])
{
	for (size_t i = 0; i < g->nnodes; i++)
		if (!memcmp(g->nodes[i].id, id, SLT_ID_SIZE))
			return &g->nodes[i];
	return NULL;
}

int gossip_pin(struct gossip *g, const uint8_t pub[SLT_PUB_SIZE], bool as_peer)
{
	uint8_t id[SLT_ID_SIZE];
	struct gnode *n;

	nodekey_id_of(pub, id);
	n = gossip_node(g, id);
	if (n) {
		if (as_peer && !n->peer) {
			if (g->npeers >= g->cfg.max_peers)
				return -ENOSPC;
			n->peer = true;
			g->npeers++;
		}
		return -EEXIST;
	}
	if (g->nnodes >= g->cfg.max_nodes ||
	    (as_peer && g->npeers >= g->cfg.max_peers))
		return -ENOSPC;
	n = &g->nodes[g->nnodes++];
	memset(n, 0, sizeof(*n));
	memcpy(n->pub, pub, SLT_PUB_SIZE);
	memcpy(n->id, id, SLT_ID_SIZE);
	n->peer = as_peer;
	g->npeers += as_peer;
	return 0;
}

static size_t gossip_find(const struct gossip *g,
			  const uint8_t uuid[SLT_UUID_SIZE], bool *found);

static const struct gvpin *gossip_vpin(const struct gossip *g,
				       const uint8_t uuid[SLT_UUID_SIZE])
{
	for (size_t i = 0; i < g->nvpins; i++)
		if (!memcmp(g->vpins[i].uuid, uuid, SLT_UUID_SIZE))
			return &g->vpins[i];
	return NULL;
}

int gossip_pin_volume(struct gossip *g, const uint8_t uuid[SLT_UUID_SIZE],
		      const uint8_t owner_id[SLT_ID_SIZE])
{
	struct gvpin *v = (struct gvpin *)gossip_vpin(g, uuid);
	bool found;
	size_t idx;

	if (!v) {
		if (g->nvpins >= g->cfg.max_tables)
			return -ENOSPC;
		v = &g->vpins[g->nvpins++];
		memcpy(v->uuid, uuid, SLT_UUID_SIZE);
	}
	memcpy(v->owner, owner_id, SLT_ID_SIZE);
	/* a binding made by first use that the pin contradicts goes */
	idx = gossip_find(g, uuid, &found);
	if (found && memcmp(g->ents[idx].owner, owner_id, SLT_ID_SIZE)) {
		g->table_bytes -= g->ents[idx].len;
		free(g->ents[idx].tbl);
		memmove(&g->ents[idx], &g->ents[idx + 1],
			(g->nents - idx - 1) * sizeof(*g->ents));
		g->nents--;
		g->hash_ok = false;
		g->dirty = true;
	}
	return 0;
}

bool gossip_is_pinned(const struct gossip *g, const uint8_t id[SLT_ID_SIZE])
{
	return gossip_node(g, id) != NULL;
}

/* index of uuid, or where it would go (*found false) */
static size_t gossip_find(const struct gossip *g,
			  const uint8_t uuid[SLT_UUID_SIZE], bool *found)
{
	size_t lo = 0, hi = g->nents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(g->ents[mid].uuid, uuid, SLT_UUID_SIZE);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static size_t gossip_owner_count(const struct gossip *g,
				 const uint8_t owner[SLT_ID_SIZE])
{
	size_t c = 0;

	for (size_t i = 0; i < g->nents; i++)
		c += !memcmp(g->ents[i].owner, owner, SLT_ID_SIZE);
	return c;
}

static enum gossip_verdict gossip_note(struct gossip *g, enum gossip_verdict v)
{
	g->st.verdicts[v]++;
	return v;
}

static void gossip_refuse(struct gossip *g, const struct slt *t)
{
	uint32_t i = g->refused_next++ % REFUSED_CACHE;

	memcpy(g->refused[i].uuid, t->uuid, SLT_UUID_SIZE);
	g->refused[i].version = t->version;
}

static bool gossip_refused(const struct gossip *g, const uint8_t *ent,
			   uint64_t version)
{
	for (uint32_t i = 0; i < REFUSED_CACHE; i++)
		if (g->refused[i].version == version &&
		    !memcmp(g->refused[i].uuid, ent, SLT_UUID_SIZE))
			return true;
	return false;
}

enum gossip_verdict gossip_offer(struct gossip *g, const uint8_t *tbl,
				 size_t len)
{
	const struct gvpin *vpin;
	struct gentry *e = NULL;
	struct slt t;
	bool found, pinned, same = false;
	uint8_t *copy;
	size_t idx;

	if (len > SLT_MAX_SIZE || slt_decode(tbl, len, &t, NULL))
		return gossip_note(g, GOSSIP_MALFORMED);
	idx = gossip_find(g, t.uuid, &found);
	pinned = gossip_is_pinned(g, t.owner_id);
	vpin = gossip_vpin(g, t.uuid);
	if (found) {
		e = &g->ents[idx];
		same = !memcmp(e->owner, t.owner_id, SLT_ID_SIZE);
		/* discarding needs no trust: no signature work for repeats */
		if (same && t.version <= e->version)
			return gossip_note(g, GOSSIP_OLD);
	}
	if (g->cfg.pinned_only && !pinned) {
		gossip_refuse(g, &t);
		return gossip_note(g, GOSSIP_UNTRUSTED);
	}
	/* full: refused before any signature work, so a flood costs little */
	if (!found && g->nents >= g->cfg.max_tables)
		return gossip_note(g, GOSSIP_FULL);
	if (!found && gossip_owner_count(g, t.owner_id) >= g->cfg.max_per_owner)
		return gossip_note(g, GOSSIP_FULL);
	if (slt_verify(tbl, len)) {
		gossip_refuse(g, &t);
		return gossip_note(g, GOSSIP_BAD_SIG);
	}
	/* a validly signed table of someone else's volume */
	if ((found && !same) ||
	    (vpin && memcmp(vpin->owner, t.owner_id, SLT_ID_SIZE))) {
		gossip_refuse(g, &t);
		if (g->io.forged)
			g->io.forged(g->io.ctx, &t,
				     vpin ? vpin->owner : e->owner);
		return gossip_note(g, GOSSIP_FORGED);
	}
	copy = malloc(len);
	if (!copy)
		return gossip_note(g, GOSSIP_FULL);
	memcpy(copy, tbl, len);
	if (found) {
		g->table_bytes -= e->len;
		free(e->tbl);
	} else {
		memmove(&g->ents[idx + 1], &g->ents[idx],
			(g->nents - idx) * sizeof(*g->ents));
		g->nents++;
		e = &g->ents[idx];
		memcpy(e->uuid, t.uuid, SLT_UUID_SIZE);
	}
	e->version = t.version;
	memcpy(e->owner, t.owner_id, SLT_ID_SIZE);
	e->pinned = pinned;
	e->len = (uint32_t)len;
	e->tbl = copy;
	g->table_bytes += len;
	g->hash_ok = false;
	g->dirty = true;
	return gossip_note(g, GOSSIP_ACCEPTED);
}

/* ---- messages ---- */

static uint8_t *msg_begin(struct gossip *g, uint8_t type)
{
	struct gmsg_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = htole32(GMSG_MAGIC);
	h.type = type;
	h.version = GMSG_VERSION;
	memcpy(g->buf, &h, sizeof(h));
	return g->buf + GMSG_HDR_SIZE;
}

static void msg_send(struct gossip *g, const uint8_t to[SLT_ID_SIZE],
		     size_t len)
{
	uint32_t l = htole32((uint32_t)len), crc;

	memcpy(g->buf + offsetof(struct gmsg_hdr, len), &l, 4);
	crc = crc32c(0, g->buf, offsetof(struct gmsg_hdr, crc));
	crc = htole32(crc32c(crc, g->buf + GMSG_HDR_SIZE, len - GMSG_HDR_SIZE));
	memcpy(g->buf + offsetof(struct gmsg_hdr, crc), &crc, 4);
	g->st.msgs_sent++;
	g->st.bytes_sent += len;
	g->io.send(g->io.ctx, to, g->buf, len);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static void put_ent(uint8_t *p, const struct gentry *e)
{
	uint64_t v = htole64(e->version);

	memcpy(p, e->uuid, SLT_UUID_SIZE);
	memcpy(p + SLT_UUID_SIZE, &v, 8);
}

static uint64_t ent_version(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p + SLT_UUID_SIZE, 8);
	return le64toh(v);
}

static const uint8_t *gossip_hash(struct gossip *g)
{
	if (!g->hash_ok) {
		uint8_t *p = g->buf;

		/* the digest's bytes, hashed; buf is free between messages */
		for (size_t i = 0; i < g->nents; i++, p += GMSG_DIGEST_ENT_SIZE)
			put_ent(p, &g->ents[i]);
		gossip_sha256(g->buf, g->nents * GMSG_DIGEST_ENT_SIZE, g->hash);
		g->hash_ok = true;
	}
	return g->hash;
}

static void send_hash(struct gossip *g, const uint8_t to[SLT_ID_SIZE])
{
	uint8_t hash[32];
	uint8_t *b;

	memcpy(hash, gossip_hash(g), 32);
	b = msg_begin(g, GMSG_HASH);
	memcpy(b, hash, 32);
	put32(b + 32, (uint32_t)g->nents);
	msg_send(g, to, GMSG_HDR_SIZE + 36);
}

static void send_digest(struct gossip *g, const uint8_t to[SLT_ID_SIZE],
			bool want_reply)
{
	uint8_t *b = msg_begin(g, GMSG_DIGEST), *p;

	memset(b, 0, DIGEST_BODY_FIXED);
	b[0] = want_reply;
	put32(b + 4, (uint32_t)g->nents);
	p = b + DIGEST_BODY_FIXED;
	for (size_t i = 0; i < g->nents; i++, p += GMSG_DIGEST_ENT_SIZE)
		put_ent(p, &g->ents[i]);
	msg_send(g, to, (size_t)(p - g->buf));
}

void gossip_tick(struct gossip *g)
{
	size_t np = 0;

	g->st.rounds++;
	for (size_t i = 0; i < g->nnodes && np < g->cfg.max_peers; i++)
		if (g->nodes[i].peer)
			g->pick[np++] = (uint32_t)i;
	/* fanout distinct peers: a partial Fisher-Yates shuffle */
	for (size_t i = 0; i < np && i < g->cfg.fanout; i++) {
		size_t j = i + gossip_rand(g) % (np - i);
		uint32_t t = g->pick[i];

		g->pick[i] = g->pick[j];
		g->pick[j] = t;
		send_hash(g, g->nodes[g->pick[i]].id);
	}
}

int gossip_contact(struct gossip *g, const uint8_t peer_id[SLT_ID_SIZE])
{
	struct gnode *n = gossip_node(g, peer_id);

	if (!n || !n->peer)
		return -ENOENT;
	send_hash(g, peer_id);
	return 0;
}

static void on_hash(struct gossip *g, const uint8_t *from, const uint8_t *b,
		    size_t blen)
{
	if (blen != 36)
		return;
	if (!memcmp(b, gossip_hash(g), 32))
		return;
	send_digest(g, from, true);
}

static int on_digest(struct gossip *g, const uint8_t *from, const uint8_t *b,
		     size_t blen)
{
	const uint8_t *ents = b + DIGEST_BODY_FIXED;
	uint8_t want[SLT_UUID_SIZE * 64];
	size_t count, i = 0, j = 0, nwant = 0, maxwant;
	bool they_lack = false;
	uint8_t *r;

	if (blen < DIGEST_BODY_FIXED || b[0] > 1 || b[1] || b[2] || b[3])
		return -EBADMSG;
	count = get32(b + 4);
	if (count > (blen - DIGEST_BODY_FIXED) / GMSG_DIGEST_ENT_SIZE ||
	    count * GMSG_DIGEST_ENT_SIZE != blen - DIGEST_BODY_FIXED)
		return -EBADMSG;
	for (size_t k = 1; k < count; k++)
		if (memcmp(ents + (k - 1) * GMSG_DIGEST_ENT_SIZE,
			   ents + k * GMSG_DIGEST_ENT_SIZE, SLT_UUID_SIZE) >= 0)
			return -EBADMSG;
	maxwant = g->cfg.max_pull < 64 ? g->cfg.max_pull : 64;
	/* merge walk of two sorted lists */
	while (i < count || j < g->nents) {
		const uint8_t *re = ents + i * GMSG_DIGEST_ENT_SIZE;
		int c;

		if (i == count)
			c = 1;
		else if (j == g->nents)
			c = -1;
		else
			c = memcmp(re, g->ents[j].uuid, SLT_UUID_SIZE);
		if (c < 0) { /* they hold one we lack */
			if (nwant < maxwant &&
			    !gossip_refused(g, re, ent_version(re)))
				memcpy(want + SLT_UUID_SIZE * nwant++, re,
				       SLT_UUID_SIZE);
			i++;
		} else if (c > 0) { /* we hold one they lack */
			they_lack = true;
			j++;
		} else {
			uint64_t rv = ent_version(re);

			if (rv > g->ents[j].version && nwant < maxwant &&
			    !gossip_refused(g, re, rv))
				memcpy(want + SLT_UUID_SIZE * nwant++, re,
				       SLT_UUID_SIZE);
			else if (rv < g->ents[j].version)
				they_lack = true;
			i++;
			j++;
		}
	}
	if (nwant) {
		r = msg_begin(g, GMSG_REQUEST);
		put32(r, (uint32_t)nwant);
		memcpy(r + 4, want, nwant * SLT_UUID_SIZE);
		msg_send(g, from, GMSG_HDR_SIZE + 4 + nwant * SLT_UUID_SIZE);
	}
	if (b[0] && they_lack)
		send_digest(g, from, false);
	return 0;
}

static int on_request(struct gossip *g, const uint8_t *from, const uint8_t *b,
		      size_t blen)
{
	size_t count, off = 0, ntab = 0, sent = 0, msgs = 0;
	uint8_t *body = NULL;

	if (blen < 4)
		return -EBADMSG;
	count = get32(b);
	if (count > (blen - 4) / SLT_UUID_SIZE ||
	    count * SLT_UUID_SIZE != blen - 4)
		return -EBADMSG;
	for (size_t i = 0; i < count && sent < g->cfg.max_pull; i++) {
		bool found;
		size_t idx = gossip_find(g, b + 4 + i * SLT_UUID_SIZE, &found);
		const struct gentry *e;

		if (!found)
			continue;
		e = &g->ents[idx];
		if (body && GMSG_HDR_SIZE + off + 4 + e->len > g->cfg.max_msg) {
			put32(body, (uint32_t)ntab);
			msg_send(g, from, GMSG_HDR_SIZE + off);
			body = NULL;
			if (++msgs >= MAX_REPLY_MSGS)
				break;
		}
		if (!body) {
			/* b points into the caller's buffer, never g->buf */
			body = msg_begin(g, GMSG_TABLES);
			off = 4;
			ntab = 0;
		}
		put32(body + off, e->len);
		memcpy(body + off + 4, e->tbl, e->len);
		off += 4 + e->len;
		ntab++;
		sent++;
	}
	if (body) {
		put32(body, (uint32_t)ntab);
		msg_send(g, from, GMSG_HDR_SIZE + off);
	}
	return 0;
}

static int on_tables(struct gossip *g, const uint8_t *b, size_t blen)
{
	size_t count, off = 4;

	if (blen < 4)
		return -EBADMSG;
	count = get32(b);
	if (count > blen / 4)
		return -EBADMSG;
	for (size_t i = 0; i < count; i++) {
		uint32_t l;

		if (blen - off < 4)
			return -EBADMSG;
		l = get32(b + off);
		off += 4;
		if (l > blen - off)
			return -EBADMSG;
		/*
		 * No more than a REQUEST asks for: bounds the signature
		 * checks a peer can cause to max_pull x max_rx_per_round.
		 */
		if (i < g->cfg.max_pull)
			gossip_offer(g, b + off, l);
		off += l;
	}
	return off == blen ? 0 : -EBADMSG;
}

int gossip_receive(struct gossip *g, const uint8_t from[SLT_ID_SIZE],
		   const uint8_t *msg, size_t len)
{
	struct gnode *n = gossip_node(g, from);
	const uint8_t *b = msg + GMSG_HDR_SIZE;
	struct gmsg_hdr h;
	size_t blen;
	uint32_t crc;
	int ret = -EBADMSG;

	g->st.msgs_rcvd++;
	g->st.bytes_rcvd += len;
	/* any pinned node may ask (a recovery tool is pinned, not a peer) */
	if (!n) {
		g->st.msgs_dropped++;
		return -EPERM;
	}
	if (n->rx_round != g->st.rounds) {
		n->rx_round = g->st.rounds;
		n->rx_count = 0;
	}
	if (++n->rx_count > g->cfg.max_rx_per_round) {
		g->st.msgs_dropped++;
		return -EAGAIN;
	}
	if (len < GMSG_HDR_SIZE || len > g->cfg.max_msg)
		goto bad;
	memcpy(&h, msg, sizeof(h));
	crc = crc32c(0, msg, offsetof(struct gmsg_hdr, crc));
	crc = crc32c(crc, b, len - GMSG_HDR_SIZE);
	if (le32toh(h.magic) != GMSG_MAGIC || h.version != GMSG_VERSION ||
	    h.reserved0 || le32toh(h.len) != len || le32toh(h.crc) != crc)
		goto bad;
	blen = len - GMSG_HDR_SIZE;
	switch (h.type) {
	case GMSG_HASH:
		on_hash(g, from, b, blen);
		ret = blen == 36 ? 0 : -EBADMSG;
		break;
	case GMSG_DIGEST:
		ret = on_digest(g, from, b, blen);
		break;
	case GMSG_REQUEST:
		ret = on_request(g, from, b, blen);
		break;
	case GMSG_TABLES:
		ret = on_tables(g, b, blen);
		break;
	}
	if (!ret)
		return 0;
bad:
	g->st.msgs_dropped++;
	return -EBADMSG;
}

size_t gossip_count(const struct gossip *g)
{
	return g->nents;
}

const uint8_t *gossip_table(const struct gossip *g, size_t i, size_t *len)
{
	if (i >= g->nents)
		return NULL;
	*len = g->ents[i].len;
	return g->ents[i].tbl;
}

uint64_t gossip_version_of(const struct gossip *g,
			   const uint8_t uuid[SLT_UUID_SIZE])
{
	bool found;
	size_t i = gossip_find(g, uuid, &found);

	return found ? g->ents[i].version : 0;
}

const struct gossip_stats *gossip_stats(const struct gossip *g)
{
	return &g->st;
}

size_t gossip_table_bytes(const struct gossip *g)
{
	return g->table_bytes;
}

bool gossip_dirty(const struct gossip *g)
{
	return g->dirty;
}

void gossip_mark_clean(struct gossip *g)
{
	g->dirty = false;
}

uint32_t gossip_max_tables(const struct gossip *g)
{
	return g->cfg.max_tables;
}
