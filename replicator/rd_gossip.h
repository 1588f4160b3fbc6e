/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tgtx-replicd's gossip glue (doc/gossip.md "In tgtx-replicd"): builds and
 * signs the share-location table (SLT) of every protected LUN from its
 * configuration, keeps its version increasing across restarts (persisted
 * in STATE_DIR/gossip/), hands back the blob for the share volumes' header
 * (SV_BLOB_LOCATIONS) and runs the gossip node service (gossip_node.h) on
 * its own thread.
 *
 * The daemon calls, in this order:
 *   rd_gossip_cfg_init(&cfg, state_dir); cfg.key = &node_key;
 *   rd_gossip_add_listen(&cfg, "ADDR:PORT")    per --gossip-listen
 *   rd_gossip_add_seed(&cfg, "[PIN@]HOST:PORT") per --gossip-seed
 *   rd_gossip_start(&cfg, &rg)                 once, after option parsing
 *   rd_gossip_lun_update(rg, &lun, ...)        per xorshare LUN, at every
 *                                              configuration poll (cheap
 *                                              when nothing changed)
 *   rd_gossip_lun_remove(rg, uuid)             a LUN left the config
 *   rd_gossip_stop(rg)                         at exit
 * All functions are thread-safe (one lock) and never block on the network.
 */
#ifndef TGTX_RD_GOSSIP_H
#define TGTX_RD_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rd_hold.h"
#include "replicator/gossip/slt_format.h"

#define RD_GOSSIP_MAX_LISTEN 4
#define RD_GOSSIP_MAX_SEEDS  32
/* what an SV_BLOB_LOCATIONS payload is at most (blob header + table) */
#define RD_GOSSIP_BLOB_MAX (SLT_BLOB_HDR_SIZE + SLT_MAX_SIZE)

struct nodekey;

struct rd_gossip_cfg {
	const char *state_dir; /* gossip/ */
	/* the node key (STATE_DIR/node.key, contract C), loaded once by the
	 * daemon: borrowed, it must outlive rd_gossip_stop() */
	const struct nodekey *key;
	const char *listen[RD_GOSSIP_MAX_LISTEN]; /* "ADDR:PORT", "[::1]:P" */
	unsigned nlisten;
	const char *seeds[RD_GOSSIP_MAX_SEEDS]; /* "[PIN@]HOST:PORT" */
	unsigned nseeds;
	unsigned interval_ms; /* gossip round, default 2000 */
	unsigned hold_max;    /* held-volume bindings, default RD_HOLD_MAX */
};

/* Zeroes cfg and sets state_dir and the defaults. */
void rd_gossip_cfg_init(struct rd_gossip_cfg *cfg, const char *state_dir);
/* Adds --gossip-listen / --gossip-seed values (checked): 0 or -EINVAL /
 * -ENOSPC. The strings must outlive rd_gossip_start(). */
int rd_gossip_add_listen(struct rd_gossip_cfg *cfg, const char *addr);
int rd_gossip_add_seed(struct rd_gossip_cfg *cfg, const char *seed);

struct rd_gossip;

/*
 * Signs with cfg->key, reloads what gossip learned
 * (STATE_DIR/gossip/state) and, with a listen address or a seed, starts
 * the gossip thread. Without either, tables are still built and signed
 * (for the share-volume headers) but not gossiped. 0 or -errno; *err
 * filled with context on failure.
 */
int rd_gossip_start(const struct rd_gossip_cfg *cfg, struct rd_gossip **out,
		    char *err, size_t errlen);
void rd_gossip_stop(struct rd_gossip *rg);

/* One share-peer line of a LUN (contract B: struct conf_peer). */
struct rd_gossip_peer {
	/* iscsi://[user[%password]@]HOST[:PORT]/IQN/LUN: credentials are
	 * dropped, only portal, IQN and LUN go into the table */
	const char *url;
	int transport;	 /* PEER_TRANSPORT_* / SL_PT_*: 0 plain 1 ipsec 2 tls */
	const char *pin; /* hex SHA-256 of the partner's node key, or NULL */
};

/* A protected LUN as the replicator knows it. */
struct rd_gossip_lun {
	uint8_t uuid[SLT_UUID_SIZE]; /* volume UUID (the share log's meta) */
	const char *name; /* e.g. "TARGET-IQN:LUN"; characters outside
			     [A-Za-z0-9._:-] become '_', cut to 64 */
	uint64_t size;	  /* volume bytes */
	uint32_t block_size;
	unsigned k, n;
	struct rd_gossip_peer peers[SLT_MAX_N]; /* share index i = peers[i] */
};

/*
 * Makes the LUN's signed table current: if the configuration differs from
 * the last table signed for this UUID (any field but version and time),
 * signs a new one with version = 1 + the highest known (file, gossip),
 * saves it atomically (STATE_DIR/gossip/<uuid>.slt) and publishes it;
 * otherwise keeps the saved one. Pins each partner (pin) as a gossip peer
 * at HOST:3270 of its URL. Copies the SV_BLOB_LOCATIONS payload into
 * blob[cap] (cap >= RD_GOSSIP_BLOB_MAX), *blob_len its size, *version the
 * table's version; *changed (may be NULL) says whether it was re-signed
 * (write the blob to the share volumes again: D's rd_set_location_blob()).
 * 0, -EINVAL (*err says which field) or -errno.
 */
int rd_gossip_lun_update(struct rd_gossip *rg, const struct rd_gossip_lun *lun,
			 uint8_t *blob, size_t cap, size_t *blob_len,
			 uint64_t *version, bool *changed, char *err,
			 size_t errlen);
/* The LUN is no longer protected here: its table stays known to gossip
 * (a restore may still need it) but is no longer refreshed. */
void rd_gossip_lun_remove(struct rd_gossip *rg,
			  const uint8_t uuid[SLT_UUID_SIZE]);

/* This node holds share volumes of uuid for the owner with node id
 * owner_pin (hex): only that owner's tables are accepted for it. 0,
 * -EINVAL, -EEXIST (already bound to another owner: kept), -ENOSPC. */
int rd_gossip_hold(struct rd_gossip *rg, const uint8_t uuid[SLT_UUID_SIZE],
		   const char *owner_pin);

/*
 * A share-location table read from the header of a share volume this
 * node's target serves (lun names it in messages): judged by the held-
 * volume rules (rd_hold.h; bindings in STATE_DIR/gossip/held). A usable
 * one binds the volume to its owner in gossip too (the owner may connect;
 * a table of that volume by another key is forged, however it arrives)
 * and is published, so this node gossips it and answers `tgtx-recover
 * list` with it. msg gets a line for the log naming the LUN, the volume
 * and the keys ("" when there is nothing to say).
 */
enum rd_hold_verdict rd_gossip_hold_table(struct rd_gossip *rg, const char *lun,
					  const uint8_t *tbl, size_t len,
					  char *msg, size_t msglen);

struct strbuf;
/* Prometheus families of the held volumes (bindings, verdicts of header
 * tables) and of gossip's table verdicts; counters only, fixed size. */
void rd_gossip_metrics(struct rd_gossip *rg, struct strbuf *out);

/* Our node id (hex, 65 bytes with NUL), e.g. for logs and show. */
void rd_gossip_node_id(const struct rd_gossip *rg, char out[65]);

#endif
