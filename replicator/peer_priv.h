/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State of one peer, shared by the session and command halves. */
#ifndef TGTX_PEER_PRIV_H
#define TGTX_PEER_PRIV_H

#include <stdint.h>

/* libiscsi (-iquote keeps these from meaning usr/iscsi/) */
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "core/loop.h"
#include "peer.h"
#include "tls/nodekey.h"
#include "tls/tls_pins.h"

struct peer_tunnel;
struct ssl_ctx_st;

enum pop_type { POP_READ, POP_WRITE, POP_SYNC };

struct pop {
	struct peer *p;
	enum pop_type type;
	uint64_t off;
	size_t len;
	uint8_t *buf; /* caller's */
	sv_io_cb cb;
	void *arg;
	uint64_t deadline_ns;
	struct scsi_task *task;
	struct scsi_iovec iov; /* an aligned read lands in buf directly */
	struct pop *next;      /* queue / in-flight list */
	struct pop *prev;
};

struct peer {
	struct peer_cfg cfg;
	char *url, *name, *password;
	char target[256], portal[256], user[256];
	int lun;
	char tuser[256], tpassword[256];
	struct iscsi_context *iscsi;
	bool connected;
	struct sv_dev dev;
	uint64_t capacity;
	uint32_t block_size;
	struct pop *queue_head, *queue_tail; /* not yet submitted */
	struct pop *flight;		     /* submitted */
	unsigned nflight;
	struct peer_bucket bucket;
	unsigned fails;
	uint64_t next_attempt_ns;
	uint32_t rng;
	int break_err; /* why the session is being torn down */
	int rate_wait_ms;
	struct peer_stats stats;
	/* transport=tls (peer_tls.c) */
	uint8_t tls_pin[TLS_PIN_SIZE];
	struct ssl_ctx_st *tls_ctx; /* holds its own reference to the key */
	struct peer_tunnel *tunnel;
	char tunnel_portal[64]; /* the loopback listener libiscsi dials */
};

/* Runs libiscsi for up to timeout_ms; < 0 when the session broke. */
int peer_service(struct peer *p, int timeout_ms);
/* Scrubs the password out of a libiscsi message. */
const char *peer_scrub(struct peer *p, const char *msg, char *buf, size_t cap);

extern const struct sv_dev_ops peer_dev_ops;

/* peer_tls.c: the TLS tunnel of a transport=tls peer */
/* Checks the pin and our node key, makes the TLS context. */
int peer_tls_setup(struct peer *p, struct sv_status *st);
void peer_tls_teardown(struct peer *p);
/* Dials the real portal and does the handshake (bounded by deadline),
 * then opens the loopback listener named in p->tunnel_portal. */
int peer_tls_open(struct peer *p, uint64_t deadline_ns, struct sv_status *st);
/* After libiscsi connected to the listener: takes its connection (and no
 * other) and starts the pump thread. */
int peer_tls_start(struct peer *p, uint64_t deadline_ns, struct sv_status *st);
/* Stops the pump and frees the tunnel (no-op without one). */
void peer_tls_close(struct peer *p);
/* Why the tunnel's pump stopped, if it failed (into buf); false if not. */
bool peer_tls_failed(struct peer *p, char *buf, size_t len);

#endif
