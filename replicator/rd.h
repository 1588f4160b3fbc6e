/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tgtx-replicd internals (doc/replicator.md): the daemon learns the xorshare
 * LUNs of its tgtxd (rd_conf.c), runs one engine per LUN with share peers
 * (rd_engine.c), one thread per peer (rd_peer.c: follow the share log,
 * derive share i, write it with sv_writer over the peer layer; rd_resync.c:
 * rebuild a peer from the local site alone), and reports per-peer status
 * (rd_status.c: DIR/status.<i> and Prometheus text).
 */
#ifndef TGTX_RD_H
#define TGTX_RD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sv.h"

struct nodekey;
struct strbuf;

#define RD_PEERS_MAX 16

/* One share peer as configured (strings owned by the struct). */
struct rd_peer_conf {
	char *url;	 /* NULL: no peer at this index */
	int transport;	 /* RD_TRANSPORT_* (default tls) */
	char *pin;	 /* hex SHA-256 of the peer node key, or NULL */
	uint64_t rate;	 /* bytes/s, 0 = unlimited */
	uint32_t retain; /* seconds of history the peer keeps */
};

#define RD_TRANSPORT_PLAIN 0
#define RD_TRANSPORT_IPSEC 1
#define RD_TRANSPORT_TLS   2

/* One xorshare LUN of tgtxd with at least one share peer. */
struct rd_lun_conf {
	char *name;	 /* "TARGET/LUN" for logs and metrics */
	char *path;	 /* the volume (backing store) */
	char *log_dir;	 /* bsopts log= */
	unsigned npeers; /* highest configured index + 1 */
	struct rd_peer_conf peers[RD_PEERS_MAX];
};

struct rd_conf {
	unsigned count;
	struct rd_lun_conf *luns;
};

/* Asks tgtxd (control socket sock) for its configuration. 0 or -errno
 * (err says why). */
int rd_conf_fetch(const char *sock, struct rd_conf *out, char *err,
		  size_t errlen);
/* tgtxd's running configuration as targets.conf text (the dump op),
 * appended to resp. 0 or -errno (err says why). */
int rd_conf_dump(const char *sock, struct strbuf *resp, char *err,
		 size_t errlen);
/* The same from targets.conf text (a daemon dump). */
int rd_conf_from_text(const char *text, size_t len, struct rd_conf *out,
		      char *err, size_t errlen);
void rd_conf_free(struct rd_conf *c);
bool rd_peer_conf_equal(const struct rd_peer_conf *a,
			const struct rd_peer_conf *b);
/* "10s", "5m", "24h", "7d", plain seconds; -EINVAL. */
int rd_parse_duration(const char *s, uint32_t *secs);
/* "100", "10K", "5M", "1G" (powers of 1024); -EINVAL. */
int rd_parse_bytes(const char *s, uint64_t *out);

/* Daemon-wide settings (the command line). */
struct rd_opts {
	const char *state_dir; /* the node's (node.key), tgtxd's by default */
	char *share_dir;       /* STATE_DIR/replicd: key shares */
	int checkpoint_ms;
	int op_timeout_ms;
	char *key_file; /* STATE_DIR/node.key: our TLS identity */
	/* that key, loaded once at start; every TLS peer presents it */
	const struct nodekey *key;
};
extern struct rd_opts rd_opts;
/* Set by SIGTERM/SIGINT: every thread winds down. */
extern atomic_int rd_stopping;

/* Per-peer live status, written by the peer thread, read by the reporter. */
struct rd_peer_state {
	uint8_t state;	   /* SL_PS_* numbers */
	uint8_t transport; /* RD_TRANSPORT_* */
	bool connected;
	uint64_t acked_seq, acked_time_ns;
	uint64_t sent_seq;
	uint64_t bytes_written;
	uint64_t resync_done, resync_total; /* bytes */
	uint64_t errors, reconnects, checkpoints, resyncs;
	uint64_t ckpt_seq;
	char error[256];
	/* measured by the reporter */
	uint64_t rate_bps;
	uint64_t last_bytes, last_ns;
};

/* = SL_PS_* of sharelog.h (the status file's numbers) */
#define RD_PS_BASELINE	   1
#define RD_PS_RESYNC	   2
#define RD_PS_IN_SYNC	   3
#define RD_PS_LAGGING	   4
#define RD_PS_OFFLINE	   5
#define RD_PS_NEEDS_RESYNC 6
#define RD_PS_BLOCKED	   7
const char *rd_state_name(unsigned state);

struct rd_engine;

/* One peer thread's context. */
struct rd_peer {
	struct rd_engine *e;
	unsigned index;
	struct rd_peer_conf conf; /* private copy */
	pthread_t thread;
	bool started;
	atomic_int stop;
	/* shared with the engine */
	_Atomic uint64_t acked;	      /* newest seq durable on the peer */
	_Atomic uint64_t progress_ns; /* when acked last grew (rd_now_ns) */
	atomic_bool live;	      /* counts for the checkpoint floor */
	/* too far behind: not counted until it catches up
	 * (rd_engine_exclude_laggard) */
	atomic_bool excluded;
	_Atomic uint64_t blob_gen; /* location blob written */
	pthread_mutex_t mu;	   /* guards st */
	struct rd_peer_state st;
};

struct rd_engine {
	char *name, *path, *log_dir;
	uint8_t uuid[16];
	unsigned k, n;
	uint32_t block_size;
	/* volume size; only grows (the log's GROW records, rd_grow) */
	_Atomic uint64_t nblocks;
	bool sha256;
	uint8_t key[16];
	/* share i of the volume key, split once and kept in the state dir */
	uint8_t *key_shares[RD_PEERS_MAX];
	size_t key_share_len;
	_Atomic uint64_t durable_seq; /* newest record a peer may get */
	pthread_mutex_t blob_mu;
	uint8_t *loc_blob;
	size_t loc_len;
	_Atomic uint64_t loc_gen;
	struct rd_peer *peers[RD_PEERS_MAX];
	unsigned npeers;
	/* membership (share_volume_format.h epoch + live_mask): written to
	 * every counted peer's superblock when it changes */
	pthread_mutex_t mem_mu;
	uint64_t epoch;
	uint32_t mask;
	struct rd_engine *next; /* registry */
};

/* Loads (or makes, once) the n shares of the volume key. */
int rd_keyshares_init(struct rd_engine *e, char *err, size_t errlen);

/* Starts an engine for one LUN (peer threads included). */
int rd_engine_start(const struct rd_lun_conf *lc, struct rd_engine **out,
		    char *err, size_t errlen);
/* Applies a new configuration of the same LUN: changed peers restart. */
void rd_engine_update(struct rd_engine *e, const struct rd_lun_conf *lc);
/* Stops every peer thread (they finish their current step) and frees. */
void rd_engine_stop(struct rd_engine *e);
/* Newest seq every live peer holds (UINT64_MAX when none is live). */
uint64_t rd_engine_floor(struct rd_engine *e);
/*
 * self's journal is filling because the floor does not move: the live peer
 * furthest behind self stops counting for the floor until it catches up
 * again (a stopped peer must not stall the others). Returns true if one
 * was excluded.
 */
bool rd_engine_exclude_laggard(struct rd_engine *e, struct rd_peer *self);
/* Peer index in or out of the membership (a new epoch when it changes). */
void rd_engine_set_member(struct rd_engine *e, unsigned index, bool in);
/* A share volume's epoch seen: the engine's never goes below it. */
void rd_engine_note_epoch(struct rd_engine *e, uint64_t epoch, uint32_t mask);
/* The current membership. */
void rd_engine_members(struct rd_engine *e, uint64_t *epoch, uint32_t *mask);

/* Peer thread lifecycle. */
int rd_peer_start(struct rd_engine *e, unsigned index,
		  const struct rd_peer_conf *pc);
void rd_peer_stop(struct rd_peer *p);
void rd_peer_set_state(struct rd_peer *p, unsigned state);
void rd_peer_set_error(struct rd_peer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Hook for the gossip code (issue 12): the signed share-location table of
 * the volume with this UUID; every peer of its engine writes it into its
 * share volume header (SV_BLOB_LOCATIONS) as soon as it can. 0, -ENOENT
 * (no engine for that volume), -E2BIG, -ENOMEM.
 */
int rd_set_location_blob(const uint8_t uuid[16], const void *buf, size_t len);

/* Registry of running engines (the main thread owns it). */
void rd_engines_lock(void);
void rd_engines_unlock(void);
struct rd_engine *rd_engines_next(struct rd_engine *prev);
int rd_engines_add(struct rd_engine *e);
void rd_engines_del(struct rd_engine *e);

/* Reporting: status files (every second) and Prometheus text. */
void rd_status_tick(void);
void rd_metrics_render(struct strbuf *out);
/* "# HELP" and "# TYPE" lines of a metric family */
void rd_metric_family(struct strbuf *out, const char *name, const char *type,
		      const char *help);
/* More families after the peers' (held volumes): fn on the loop thread. */
void rd_metrics_extra(void (*fn)(struct strbuf *out));
int rd_metrics_start(const char *spec, char *err, size_t errlen);
void rd_metrics_stop(void);

uint64_t rd_now_ns(void);
/* Sleeps up to ms, returns early when the peer or the daemon stops. */
void rd_nap(const atomic_int *stop, int ms);

#endif
