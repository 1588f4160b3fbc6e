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
void gconn_close(struct gconn *c);

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

/* Monotonic milliseconds (deadlines). */
uint64_t gtls_clock_ms(void);

#endif
