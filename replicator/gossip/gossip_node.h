/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gossip node service: one thread running the gossip state machine
 * (gossip.h) over TLS (gossip_tls.h) for a daemon (tgtx-replicd through
 * rd_gossip.h) or the test driver (test/tools/tgtx-gossip).
 *
 * The thread polls the listeners (IPv4 and IPv6) and every conversation,
 * both the ones peers opened and the ones it dialled; nothing blocks, so a
 * slow or silent peer holds one slot, never the thread. Bounds (doc/
 * gossip.md "Node service"): at most max_conns conversations, at most
 * max_per_source of them from one source address (both counted before
 * TLS: a connection over a bound is closed at once), a handshake deadline
 * and a deadline for the whole conversation, at most GTLS_MAX_TURNS turns
 * and max_msg bytes per message. Memory is about
 * max_conns x (max_msg + GTLS_MAX_TURN) at worst, plus the state machine's.
 *
 * Each round (interval_ms) the state machine picks fanout peers whose key
 * is known and the service dials them; nodes known only by an address (a
 * seed) or by an id (a share-peer pin=) are dialled too, with a backoff,
 * until their key is learned from a handshake. What was learned is saved
 * to state_file (atomically) when it changed, at most once per round, and
 * at stop.
 */
#ifndef TGTX_GOSSIP_NODE_H
#define TGTX_GOSSIP_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gossip.h"
#include "nodekey.h"

#define GN_MAX_LISTEN 4
#define GN_MAX_ADDRS  256 /* dialable nodes (seeds + peers) */

struct gossip_node_cfg {
	const struct nodekey *key; /* our identity (copied) */
	const char *state_file;	   /* NULL: nothing persisted (copied) */
	/* "ADDR:PORT" or "[V6ADDR]:PORT", numeric; port 0 picks one */
	const char *listen[GN_MAX_LISTEN];
	unsigned nlisten;
	struct gossip_cfg gossip; /* the state machine's bounds */
	unsigned interval_ms;	  /* round, default 2000 */
	unsigned max_conns;	  /* conversations, both ways; default 32 */
	unsigned max_per_source;  /* inbound ones per source address; 4 */
	unsigned handshake_ms;	  /* default 3000 */
	unsigned conv_ms;	  /* whole conversation, default 10000 */
	unsigned dial_unknown;	  /* key-less nodes dialled per round; 2 */
	uint64_t seed;		  /* peer choice; 0: from the key and pid */
	/* messages (refusals, errors); NULL: stderr */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
};

/* Defaults (above); key, state_file and listen are left empty. */
void gossip_node_cfg_default(struct gossip_node_cfg *cfg);

struct gossip_node;

struct gossip_node_stats {
	uint64_t accepted;	   /* inbound connections taken */
	uint64_t refused_busy;	   /* over max_conns */
	uint64_t refused_source;   /* over max_per_source */
	uint64_t handshake_failed; /* not pinned, not TLS 1.3, ... */
	uint64_t timeouts;	   /* handshake or conversation deadline */
	uint64_t dialled, dial_failed;
	uint64_t conversations; /* completed, both ways */
	uint64_t saves, save_errors;
	unsigned open_conns; /* now */
	unsigned max_open;   /* the most at once so far */
	uint64_t rounds;
};

/*
 * Loads state_file (a damaged one is logged and ignored), opens the
 * listeners and starts the thread. 0 or -errno (err filled).
 */
int gossip_node_start(const struct gossip_node_cfg *cfg,
		      struct gossip_node **out, char *err, size_t errlen);
/* Stops the thread, saves the state if it changed, frees everything. */
void gossip_node_stop(struct gossip_node *n);

/*
 * Pins a node's key. With addr ("HOST:PORT", numeric) it is a gossip peer
 * dialled in rounds; without, it may only connect to us (a recovery tool,
 * an owner whose shares we hold). 0, -EEXIST (known: its address is
 * updated), -EINVAL or -ENOSPC.
 */
int gossip_node_pin(struct gossip_node *n, const uint8_t pub[SLT_PUB_SIZE],
		    const char *addr);
/* The same for a node known by its id (SHA-256 of its key) only: its key
 * is learned at its first handshake. */
int gossip_node_pin_id(struct gossip_node *n, const uint8_t id[SLT_ID_SIZE],
		       const char *addr);
/* A seed: dialled until it answers; it must present a pinned key. */
int gossip_node_add_seed(struct gossip_node *n, const char *addr);
/* Binds a volume to its owner (gossip_pin_volume()). */
int gossip_node_pin_volume(struct gossip_node *n,
			   const uint8_t uuid[SLT_UUID_SIZE],
			   const uint8_t owner_id[SLT_ID_SIZE]);
/* Offers one of our own signed tables (or any table) to the state
 * machine; it spreads from the next round. */
enum gossip_verdict gossip_node_publish(struct gossip_node *n,
					const uint8_t *tbl, size_t len);

/* The version held for uuid (0: none). */
uint64_t gossip_node_version_of(struct gossip_node *n,
				const uint8_t uuid[SLT_UUID_SIZE]);
/* The tables held: calls fn for each under the node's lock. */
void gossip_node_each(struct gossip_node *n,
		      void (*fn)(void *arg, const uint8_t *tbl, size_t len),
		      void *arg);
void gossip_node_stats(struct gossip_node *n, struct gossip_node_stats *st,
		       struct gossip_stats *gst);
/* The port listener i is bound to (useful with port 0); 0 if none. */
uint16_t gossip_node_port(const struct gossip_node *n, unsigned i);

/* "HOST:PORT", "[V6]:PORT", "HOST" (default port): 0 or -EINVAL. */
int gossip_parse_addr(const char *s, char *host, size_t hostlen,
		      uint16_t *port);

#endif
