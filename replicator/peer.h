/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer I/O over libiscsi: one peer LUN (iscsi://[user%password@]HOST:PORT/
 * IQN/LUN) as an asynchronous block device (struct sv_dev) for the share
 * writer and, through peer_read_io(), for the share-volume reader.
 *
 * Every command has a deadline; a missed deadline or a transport error
 * breaks the session, fails every command in flight and queued, and the
 * owner reconnects after peer_backoff_ms() (exponential, jittered). Many
 * commands are in flight (bounded window); an optional byte rate limits
 * what is submitted. A peer LUN that is itself an xorshare LUN (VPD 0xC0)
 * is refused: no secret-sharing chains. The password never appears in a
 * name, a message or a log line.
 *
 * Single-threaded: one thread owns a peer (the replicator runs one thread
 * per peer so a stalled peer cannot hold up the others).
 */
#ifndef TGTX_PEER_H
#define TGTX_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "sv.h"
#include "sv_writer.h"

struct nodekey;

/* How the peer is reached (the same numbers as SL_PT_* in the status file). */
#define PEER_TRANSPORT_PLAIN 0 /* TCP, in the clear: only if declared */
#define PEER_TRANSPORT_IPSEC 1 /* TCP over a link the admin protects */
#define PEER_TRANSPORT_TLS   2 /* TLS 1.3 tunnel, pinned node keys */

struct peer_cfg {
	const char *url;
	const char *initiator;	 /* default iqn.2026-11.org.tgtx:replicd */
	const char *target_user; /* mutual CHAP (or in the URL) */
	const char *target_password;
	int op_timeout_ms;	/* per command, default 15000 */
	int connect_timeout_ms; /* login + checks, default 10000 */
	unsigned window;	/* commands in flight, default 32 */
	uint64_t rate;		/* bytes per second, 0 = unlimited */
	int backoff_min_ms;	/* default 100 */
	int backoff_max_ms;	/* default 30000 */
	/*
	 * PEER_TRANSPORT_*. TLS: libiscsi talks to a loopback listener of
	 * this peer; a tunnel (peer_tls.c) carries the bytes over TLS 1.3 to
	 * the peer's TLS portal, presenting our node key and accepting only
	 * a server whose key hashes to tls_pin.
	 *
	 * tls_key is our node key in memory, loaded once by the owner and
	 * shared by all its peers (borrowed: it must outlive every peer made
	 * with it). Never a path: tgtx-recover's key comes out of the DR kit
	 * and must never touch a disk.
	 */
	int transport;
	const char *tls_pin;	       /* 64 hex digits: SHA-256 of its key */
	const struct nodekey *tls_key; /* with its private key */
};

struct peer_stats {
	uint64_t bytes_written, bytes_read;
	uint64_t commands, timeouts, errors, connects, connect_failures;
};

struct peer;

/* Parses the URL (nothing is sent yet). */
int peer_new(struct peer **pp, const struct peer_cfg *cfg,
	     struct sv_status *st);
void peer_free(struct peer *p);
/* The URL without its password, for messages and logs. */
const char *peer_name(const struct peer *p);
/* "plain", "ipsec", "tls"; and back (NULL: tls, as an unset transport=
 * in targets.conf; -EINVAL for anything else). */
const char *peer_transport_name(int transport);
int peer_transport_parse(const char *s);
/*
 * A share-location table's transport (SLT_TRANSPORT_*: TLS 0, IPSEC 1,
 * PLAIN 2) as PEER_TRANSPORT_* (PLAIN 0, IPSEC 1, TLS 2) and back: the two
 * numberings differ, this is the one place they meet. -EINVAL for a value
 * neither knows.
 */
int peer_transport_from_slt(unsigned slt_transport);
int peer_transport_to_slt(int transport);

/*
 * Logs in and checks the LUN: a disk (INQUIRY), not an xorshare LUN (VPD
 * 0xC0: SV_E_REFUSED), its size and block size (READ CAPACITY(16)).
 * Blocking, bounded by connect_timeout_ms. On failure the next attempt is
 * due after peer_backoff_ms().
 */
int peer_connect(struct peer *p, struct sv_status *st);
bool peer_connected(const struct peer *p);
/* Milliseconds until a reconnect is due (0 = now). */
int peer_backoff_ms(const struct peer *p);
/* Drops the session (every command fails with err). */
void peer_disconnect(struct peer *p, int err);
/* READ CAPACITY(16) again: a grown LUN is picked up. Blocking. */
int peer_refresh_capacity(struct peer *p, struct sv_status *st);

/* The device the share writer uses (valid while p lives; capacity and
 * block size are updated by connect/refresh). */
struct sv_dev *peer_dev(struct peer *p);
/* A synchronous read for sv_reader_open() (arg = p). */
int peer_read_sync(void *arg, uint64_t off, void *buf, size_t len);

void peer_get_stats(const struct peer *p, struct peer_stats *s);

/* ---- internals shared by peer_*.c, exposed for tests ---- */

/* Token bucket: up to rate bytes/s, bursts of at most burst bytes. */
struct peer_bucket {
	uint64_t rate, burst;
	double tokens;
	uint64_t last_ns;
};
void peer_bucket_init(struct peer_bucket *b, uint64_t rate, uint64_t now_ns);
/* 0 if len bytes may go now (and takes them), else ms to wait. */
int peer_bucket_take(struct peer_bucket *b, uint64_t len, uint64_t now_ns);
/* Backoff before attempt number fails+1: min * 2^fails capped at max,
 * times a jitter factor in [0.5, 1) from r (any 32-bit value). */
int peer_backoff_delay(int min_ms, int max_ms, unsigned fails, uint32_t r);
/* Copies url to out with the password replaced by "***". */
void peer_redact_url(const char *url, char *out, size_t cap);

#endif
