/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gossip state machine: which share-location tables a node holds, whom
 * it gossips with, and what it says. Pure: no sockets, no clock reads, no
 * threads; the caller injects the clock and the send function and feeds
 * what arrives. The same code runs in the 1,000-node simulation
 * (test/tools/tgtx-gossip-sim.c) and behind TLS (gossip_tls.h).
 *
 * Anti-entropy, pull on both sides (doc/gossip.md): each round a node sends
 * HASH (its digest's SHA-256) to `fanout` peers; a peer whose hash differs
 * answers DIGEST (uuid -> version, want_reply); each side REQUESTs what the
 * other holds newer and answers REQUESTs with TABLES.
 *
 * Trust (doc/gossip.md "Trust model"): a table is accepted only with a valid
 * owner signature and a version above the one held. The owner of a UUID is
 * fixed by gossip_pin_volume() when known out of band, else by the first
 * valid table (with pinned_only, only from a pinned key); a table of that UUID
 * signed by another key is a forgery and rejected, whoever signed it: pinning a
 * key says who a node is, not which volumes it owns. Memory is bounded by
 * max_tables (each at most SLT_MAX_SIZE), max_per_owner, max_nodes; traffic by
 * fanout, max_msg, max_pull and max_rx_per_round.
 */
#ifndef TGTX_GOSSIP_H
#define TGTX_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slt.h"

struct gossip;

struct gossip_cfg {
	uint32_t max_tables;	   /* tables held at most */
	uint32_t max_per_owner;	   /* tables of one owner at most */
	uint32_t max_nodes;	   /* pinned keys (peers included) at most */
	uint32_t max_peers;	   /* gossip partners at most */
	uint32_t fanout;	   /* peers contacted per round */
	uint32_t max_msg;	   /* bytes per message, both ways */
	uint32_t max_pull;	   /* tables requested per DIGEST */
	uint32_t max_rx_per_round; /* messages accepted per peer and round */
	bool pinned_only;	   /* accept owners whose key is pinned only */
};

/* Sane defaults: 1024 tables, 64 peers, fanout 2, 256 KiB messages. */
void gossip_cfg_default(struct gossip_cfg *cfg);

struct gossip_io {
	void *ctx;
	/* Sends msg to the node with that id; the message is copied. */
	void (*send)(void *ctx, const uint8_t to[SLT_ID_SIZE],
		     const uint8_t *msg, size_t len);
	/* Milliseconds, any epoch; stamps entries for "learned at". */
	uint64_t (*now_ms)(void *ctx);
	/* Optional: a validly signed table of a volume bound to another
	 * owner (owner) was refused as forged, e.g. to log both keys. */
	void (*forged)(void *ctx, const struct slt *t,
		       const uint8_t owner[SLT_ID_SIZE]);
};

enum gossip_verdict {
	GOSSIP_ACCEPTED = 0,
	GOSSIP_OLD,	  /* not newer than the version held */
	GOSSIP_MALFORMED, /* structure or CRC */
	GOSSIP_BAD_SIG,	  /* signature does not verify */
	GOSSIP_FORGED,	  /* valid signature, but not the UUID's owner */
	GOSSIP_UNTRUSTED, /* owner not pinned and pinned_only */
	GOSSIP_FULL,	  /* max_tables or max_per_owner reached */
	GOSSIP_VERDICTS,
};

const char *gossip_verdict_name(enum gossip_verdict v);

struct gossip_stats {
	uint64_t rounds;
	uint64_t msgs_sent, bytes_sent, msgs_rcvd, bytes_rcvd;
	uint64_t msgs_dropped; /* malformed, unknown sender, over rate */
	uint64_t verdicts[GOSSIP_VERDICTS];
};

/*
 * A node whose id is self_id. seed drives the choice of peers (a
 * simulation passes distinct seeds). NULL without memory or with a
 * nonsensical cfg.
 */
struct gossip *gossip_new(const struct gossip_cfg *cfg,
			  const struct gossip_io *io,
			  const uint8_t self_id[SLT_ID_SIZE], uint64_t seed);
void gossip_free(struct gossip *g);

/*
 * Pins a node's public key; as_peer also makes it a gossip partner. 0,
 * -ENOSPC (max_nodes or max_peers) or -EEXIST (same key again: it only
 * upgrades to peer).
 */
int gossip_pin(struct gossip *g, const uint8_t pub[SLT_PUB_SIZE], bool as_peer);
bool gossip_is_pinned(const struct gossip *g, const uint8_t id[SLT_ID_SIZE]);
/*
 * Binds a volume to its owner out of band (a partner knows whose shares it
 * holds; the DR kit knows its node's volumes): a table of uuid signed by
 * any other key is forged even if it arrives first, and a first-use
 * binding to another owner is dropped. 0 or -ENOSPC (max_tables pins).
 */
int gossip_pin_volume(struct gossip *g, const uint8_t uuid[SLT_UUID_SIZE],
		      const uint8_t owner_id[SLT_ID_SIZE]);

/* Offers a table (from a peer, a file, the node itself). */
enum gossip_verdict gossip_offer(struct gossip *g, const uint8_t *tbl,
				 size_t len);
/* One round: HASH to up to fanout peers. */
void gossip_tick(struct gossip *g);
/* Starts an exchange with one given peer (a client pulling). */
int gossip_contact(struct gossip *g, const uint8_t peer_id[SLT_ID_SIZE]);
/*
 * Handles one message from the (authenticated) node from, which must be
 * pinned (a peer or not: a recovery tool is pinned only). Returns 0, or
 * -EBADMSG / -EPERM (not pinned) / -EAGAIN (over its rate): the
 * message was dropped, which is never fatal to the caller.
 */
int gossip_receive(struct gossip *g, const uint8_t from[SLT_ID_SIZE],
		   const uint8_t *msg, size_t len);

/* The tables held, in UUID order. */
size_t gossip_count(const struct gossip *g);
/* The i-th table's bytes (valid until the next call that changes g). */
const uint8_t *gossip_table(const struct gossip *g, size_t i, size_t *len);
/* The version held for uuid, 0 if none. */
uint64_t gossip_version_of(const struct gossip *g,
			   const uint8_t uuid[SLT_UUID_SIZE]);
const struct gossip_stats *gossip_stats(const struct gossip *g);
/* Bytes of table data held (the memory bound's main term). */
size_t gossip_table_bytes(const struct gossip *g);
/* True once something changed since the last gossip_save(). */
bool gossip_dirty(const struct gossip *g);

/*
 * Persistence (struct gstate_hdr): save writes atomically (0600); load
 * offers every table again, so a tampered file gives nothing untrusted.
 * load: -ENOENT when there is no file yet, -EBADMSG for a corrupt one.
 */
int gossip_save(struct gossip *g, const char *path);
int gossip_load(struct gossip *g, const char *path);

#endif
