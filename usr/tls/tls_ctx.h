/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS 1.3 with pinned node keys (OpenSSL). Each side presents a
 * self-signed certificate made from its Ed25519 node key; the other side
 * accepts it only if the SHA-256 of that key (its pin) is the one expected
 * (client: the server's pin from the configuration) or in a pin set
 * (server: --tls-peers). No CA, no names, no session resumption (every
 * connection proves its key), no renegotiation (TLS 1.3 has none).
 *
 * Non-blocking: tls_handshake_step() says what to wait for; the caller owns
 * the deadline. Callers ignore SIGPIPE.
 */
#ifndef TGTX_TLS_CTX_H
#define TGTX_TLS_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nodekey.h"
#include "tls_pins.h"

struct ssl_st;
struct ssl_ctx_st;
struct x509_st;
struct evp_pkey_st;

/*
 * The self-signed certificate a node presents (CN = the first 8 bytes of its
 * id in hex, valid for 100 years: the key, not the certificate, is what is
 * pinned); NULL on failure. Also used by the gossip binding.
 */
struct x509_st *tls_self_cert(struct evp_pkey_st *pkey,
			      const uint8_t id[NODEKEY_ID_SIZE]);
/* The raw Ed25519 key of a certificate; false for any other kind. */
bool tls_cert_pub(struct x509_st *x, uint8_t pub[NODEKEY_PUB_SIZE]);

/* What a connection accepts and, after the handshake, whom it talks to. */
struct tls_auth {
	const struct tls_pinset *allowed; /* any of these (server side) */
	const uint8_t *want;		  /* exactly this pin (client side) */
	bool saw_cert;			  /* the peer presented a key */
	bool ok;			  /* ... and it was accepted */
	uint8_t pin[TLS_PIN_SIZE];	  /* the presented key's pin */
	const struct tls_pin *who;	  /* its entry in allowed */
};

/* A context presenting key's certificate; NULL (and err) on failure. */
struct ssl_ctx_st *tls_ctx_new(const struct nodekey *key, bool server,
			       char *err, size_t errlen);
void tls_ctx_free(struct ssl_ctx_st *ctx);
/* A connection on fd (non-blocking) checked against auth (kept by
 * reference: it must outlive the SSL). NULL on failure. */
struct ssl_st *tls_ssl_new(struct ssl_ctx_st *ctx, int fd, bool server,
			   struct tls_auth *auth);

enum tls_step {
	TLS_STEP_DONE,	 /* handshake complete and the peer authenticated */
	TLS_STEP_READ,	 /* wait until fd is readable, then call again */
	TLS_STEP_WRITE,	 /* ... writable */
	TLS_STEP_FAILED, /* see tls_handshake_why() */
};
enum tls_step tls_handshake_step(struct ssl_st *ssl);

enum tls_fail {
	TLS_FAIL_NOT_TLS,    /* the peer never answered in TLS */
	TLS_FAIL_PEER_KEY,   /* we refused the peer's key (not pinned) */
	TLS_FAIL_REFUSED_US, /* the peer refused us (alert) */
	TLS_FAIL_OTHER,
};
/*
 * Why a handshake failed (after TLS_STEP_FAILED or a missed deadline:
 * timed_out), with a message for humans in buf.
 */
enum tls_fail tls_handshake_why(struct ssl_st *ssl, const struct tls_auth *a,
				bool timed_out, char *buf, size_t len);
/* The newest OpenSSL error as text ("" if none); clears the queue. */
const char *tls_last_error(char *buf, size_t len);

#endif
