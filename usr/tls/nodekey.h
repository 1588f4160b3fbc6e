/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A node's identity: an Ed25519 key pair made at first start and kept in a
 * 0600 file (struct nodekey_disk, tls/nodekey_format.h). The node id is
 * SHA-256 of the raw public key, so an id and a key cannot be mixed up:
 * whoever presents the key matching a pinned id is that node. Peers are
 * known by their public keys (or that hash: the TLS "pin"), pinned from
 * configuration or the DR kit; there is no CA.
 *
 * Shared by tgtxd (TLS portal), the replicator (TLS client) and the gossip
 * layer (replicator/gossip/nodekey.h forwards here).
 */
#ifndef TGTX_TLS_NODEKEY_H
#define TGTX_TLS_NODEKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODEKEY_PUB_SIZE 32
#define NODEKEY_ID_SIZE	 32
#define NODEKEY_SIG_SIZE 64

struct evp_pkey_st;

struct nodekey {
	struct evp_pkey_st *pkey; /* private key; NULL for a public-only key */
	uint8_t pub[NODEKEY_PUB_SIZE];
	uint8_t id[NODEKEY_ID_SIZE];
};

/* A fresh key pair; 0 or -errno. */
int nodekey_generate(struct nodekey *k);
/* The key pair of a raw 32-byte private key; 0 or -errno. */
int nodekey_from_private(struct nodekey *k, const uint8_t priv[32]);
/* The raw private key (for the DR kit); 0 or -errno. */
int nodekey_private(const struct nodekey *k, uint8_t priv[32]);
/*
 * Loads the key at path: -ENOENT when there is none, -EPERM when the file
 * is readable by group or others, -EBADMSG when it is corrupted (or
 * another -errno). Never creates one (tgtx-replicd uses tgtxd's key).
 */
int nodekey_load(const char *path, struct nodekey *k);
/*
 * Loads the key at path, or makes and saves one if the file does not exist
 * (*created says which). A key file readable by group or others is refused
 * (-EPERM), as is a corrupted one (-EBADMSG). Two processes racing to
 * create it end up with the same key. 0 or -errno.
 */
int nodekey_load_or_create(const char *path, struct nodekey *k, bool *created);
/* Writes the key file atomically with mode 0600; 0 or -errno. */
int nodekey_save(const struct nodekey *k, const char *path);
/* Frees the key (OpenSSL wipes the private key it held). */
void nodekey_free(struct nodekey *k);
/* What nodekey_load()'s error means, for a message after the path. */
const char *nodekey_strerror(int err);

/* Ed25519 over msg; 0 or -errno. */
int nodekey_sign(const struct nodekey *k, const uint8_t *msg, size_t len,
		 uint8_t sig[NODEKEY_SIG_SIZE]);
/* Does sig verify under the raw public key pub? */
bool nodekey_verify(const uint8_t pub[NODEKEY_PUB_SIZE], const uint8_t *msg,
		    size_t len, const uint8_t sig[NODEKEY_SIG_SIZE]);
/* id = SHA-256(pub) (also the TLS pin, tls_pins.h) */
void nodekey_id_of(const uint8_t pub[NODEKEY_PUB_SIZE],
		   uint8_t id[NODEKEY_ID_SIZE]);
/* SHA-256 of buf */
void gossip_sha256(const void *buf, size_t len, uint8_t out[32]);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *b, size_t n, char *out);
/* Exactly 2n hex digits into n bytes; 0 or -EINVAL. */
int hex_decode(const char *s, uint8_t *out, size_t n);

#endif
