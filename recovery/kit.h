/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DR kit (format: kit_format.h): what an operator keeps offline to act
 * as the lost node after a disaster: its identity (so partners that pinned
 * it answer), its peers' keys, gossip addresses and share-LUN credentials,
 * and seed addresses. Sealed with a passphrase (scrypt + AES-256-GCM).
 */
#ifndef TGTX_KIT_H
#define TGTX_KIT_H

#include <stddef.h>
#include <stdint.h>

#include "kit_format.h"

struct kit_peer {
	uint8_t pub[32];
	char name[KIT_MAX_NAME + 1];
	char addr[KIT_MAX_ADDR + 1];
	char url[KIT_MAX_URL + 1];
};

struct kit {
	uint8_t node_priv[32];
	char node_name[KIT_MAX_NAME + 1];
	uint16_t npeers, nseeds;
	struct kit_peer peers[KIT_MAX_PEERS];
	char seeds[KIT_MAX_SEEDS][KIT_MAX_ADDR + 1];
};

struct kit_kdf {
	uint8_t log2_n, r, p;
};

/* KIT_DEF_LOG2N, r = 8, p = 1 */
void kit_kdf_default(struct kit_kdf *kdf);

/*
 * Payload codec (plaintext). encode: 0, -EINVAL (*why) or -ENOSPC.
 * decode: 0 or -EBADMSG (*why); strings are checked printable, counts and
 * lengths bounded, no trailing bytes.
 */
int kit_payload_encode(const struct kit *k, uint8_t *out, size_t cap,
		       size_t *len, const char **why);
int kit_payload_decode(const uint8_t *buf, size_t len, struct kit *k,
		       const char **why);

/* Checks a kit file's header and length; 0 or -EBADMSG (*why). */
int kit_check_header(const uint8_t *buf, size_t len, struct kit_hdr *h,
		     const char **why);
/*
 * Seals k with the passphrase into a malloc'ed file image (*out, *len).
 * 0 or -errno.
 */
int kit_seal(const struct kit *k, const char *pass, const struct kit_kdf *kdf,
	     uint8_t **out, size_t *len, const char **why);
/*
 * Opens a kit file image: 0, -EBADMSG (not a kit / damaged header) or
 * -EKEYREJECTED (wrong passphrase or tampered contents: indistinguishable
 * by design).
 */
int kit_open(const uint8_t *buf, size_t len, const char *pass, struct kit *k,
	     const char **why);

/* File helpers: written 0600 atomically; read bounded. 0 or -errno. */
int kit_write_file(const char *path, const struct kit *k, const char *pass,
		   const struct kit_kdf *kdf, const char **why);
int kit_read_file(const char *path, const char *pass, struct kit *k,
		  const char **why);

/* Wipes the secrets in k. */
void kit_wipe(struct kit *k);

#endif
