/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gossip state machine over TLS 1.3 / TCP. Each side presents a
 * self-signed certificate made from its Ed25519 node key; the other side
 * accepts it only if that public key is pinned (no CA, no names, no
 * session resumption). Sockets are non-blocking; every operation has a
 * deadline and every frame a size bound (the gossip max_msg).
 *
 * A conversation is a few turns: each turn is the messages one side's
 * gossip_receive() produced, as frames { u32 LE length, message }, closed
 * by a zero-length frame. An empty turn ends the conversation. At most
 * GTLS_MAX_TURNS turns. Callers ignore SIGPIPE (a peer may hang up
 * mid-write).
 */
#ifndef TGTX_GOSSIP_TLS_H
#define TGTX_GOSSIP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gossip.h"
#include "gossip_format.h"
#include "nodekey.h"

/* gossip's TCP port when an address gives none */
#define GOSSIP_DEFAULT_PORT 3270
#define GTLS_MAX_TURNS	    16
#define GTLS_MAX_PINS	    4096
/* bytes one turn may carry (several messages) */
#define GTLS_MAX_TURN (4U * GOSSIP_MAX_MSG)

struct gtls;
struct gconn;

/* A TLS context presenting key's certificate; NULL (and err) on failure. */
struct gtls *gtls_new(const struct nodekey *key, char *err, size_t errlen);
void gtls_free(struct gtls *t);
/* Pins a peer key: its holder may connect to us / be connected to. */
int gtls_pin(struct gtls *t, const uint8_t pub[SLT_PUB_SIZE]);

/*
 * Connects to host:port (numeric address) and does the handshake; the
 * server's key must be want (or, if want is NULL, any pinned key). 0 or
 * -errno with err filled ("certificate of 127.0.0.1:4000 is not pinned").
 */
int gtls_connect(struct gtls *t, const char *host, uint16_t port,
		 const uint8_t *want, uint64_t deadline_ms, struct gconn **out,
		 char *err, size_t errlen);
/* Accepts one connection from a listening socket and does the handshake. */
int gtls_accept(struct gtls *t, int listen_fd, uint64_t deadline_ms,
		struct gconn **out, char *err, size_t errlen);
/* The authenticated peer's node id and public key. */
const uint8_t *gconn_peer_id(const struct gconn *c);
const uint8_t *gconn_peer_pub(const struct gconn *c);
/* After a finished conversation: close_notify, then an orderly close. */
void gconn_close(struct gconn *c);
/*
 * Dropping the peer (deadline, error, shutdown): no close_notify, and a
 * reset when it has not taken our bytes (core/tcp_drop.h).
 */
void gconn_drop(struct gconn *c);

/*
 * io.send for a gossip instance used over TLS: inside gtls_dialog() it
 * queues for the current peer; outside (gossip_tick()) it records the
 * contact in the struct gtls_pending given as io.ctx.
 */
void gtls_gossip_send(void *ctx, const uint8_t to[SLT_ID_SIZE],
		      const uint8_t *msg, size_t len);
uint64_t gtls_now_ms(void *ctx);

/* Contacts gossip_tick() asked for, to be dialled by the caller. */
struct gtls_pending {
	size_t count;
	struct {
		uint8_t to[SLT_ID_SIZE];
		uint8_t *msg;
		size_t len;
	} c[64];
};
void gtls_pending_clear(struct gtls_pending *p);

/*
 * One conversation on c. The initiator sends first (first/first_len, e.g.
 * a pending HASH; NULL: gossip_contact() makes one). lock/unlock (may be
 * NULL) bracket every call into g, so a server thread and a client thread
 * can share one instance. max_msg bounds each frame. 0 or -errno.
 */
int gtls_dialog(struct gossip *g, struct gconn *c, bool initiator,
		const uint8_t *first, size_t first_len, uint32_t max_msg,
		uint64_t deadline_ms, void (*lock)(void *),
		void (*unlock)(void *), void *lock_arg, char *err,
		size_t errlen);

/*
 * Pins a node known by its id (SHA-256 of its key) only, e.g. from a
 * share-peer pin= value: a connection presenting a key with that id is
 * accepted like a pinned key. 0, -EEXIST, -ENOSPC or -ENOMEM.
 */
int gtls_pin_id(struct gtls *t, const uint8_t id[SLT_ID_SIZE]);

/*
 * Non-blocking use, for one thread multiplexing many connections
 * (gossip_node.c). gtls_conn_new() takes fd (non-blocking, connected or
 * connecting, or accepted) and sets up TLS; a client expects the key whose
 * node id is want_id, or with NULL any pinned key; NULL without memory
 * (fd not closed then). gconn_handshake(): 0 once the peer is
 * authenticated, -EAGAIN with *events (POLLIN/POLLOUT) to wait for, or
 * -EACCES with err filled. gconn_io() reads (wr false) or writes up to len
 * bytes: the count moved, -EAGAIN with *events, -EPIPE (closed by the
 * peer) or -EIO. A write that gave -EAGAIN must be retried with the same
 * buffer and length.
 */
struct gconn *gtls_conn_new(struct gtls *t, int fd, bool client,
			    const uint8_t *want_id, const char *name);
int gconn_handshake(struct gconn *c, short *events, char *err, size_t errlen);
ssize_t gconn_io(struct gconn *c, bool wr, void *buf, size_t len,
		 short *events);
int gconn_fd(const struct gconn *c);
const char *gconn_name(const struct gconn *c);

#endif
