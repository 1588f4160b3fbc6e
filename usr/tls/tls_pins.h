/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pins: a node is known by the SHA-256 of its raw Ed25519 public key (its
 * node id, nodekey.h), written as 64 lower-case hex digits. A pin file
 * (tgtxd --tls-peers) lists the keys allowed to connect:
 *
 *   # comment
 *   <64 hex digits> [name]      one key per line; name: printable, no
 *                               spaces, at most TLS_PIN_NAME_MAX-1 bytes
 *
 * Blank lines and lines starting with '#' are ignored; anything else that
 * does not parse, or a pin listed twice, is an error naming FILE:LINE.
 */
#ifndef TGTX_TLS_PINS_H
#define TGTX_TLS_PINS_H

#include <stddef.h>
#include <stdint.h>

#include "nodekey.h"

#define TLS_PIN_SIZE	 32
#define TLS_PIN_HEX_LEN	 64
#define TLS_PIN_NAME_MAX 64
#define TLS_MAX_PINS	 4096
/* a pin file larger than this is refused */
#define TLS_PINS_FILE_MAX (1U << 20)

struct tls_pin {
	uint8_t pin[TLS_PIN_SIZE];
	char name[TLS_PIN_NAME_MAX]; /* "" when the line gives none */
};

struct tls_pinset {
	struct tls_pin *pins;
	size_t n;
};

/* pin = SHA-256(pub) */
void tls_pin_of(const uint8_t pub[NODEKEY_PUB_SIZE], uint8_t pin[TLS_PIN_SIZE]);
/* 64 hex digits and a NUL */
void tls_pin_hex(const uint8_t pin[TLS_PIN_SIZE],
		 char out[TLS_PIN_HEX_LEN + 1]);
/* Exactly 64 hex digits (either case); 0 or -EINVAL. */
int tls_pin_parse(const char *hex, uint8_t pin[TLS_PIN_SIZE]);

/*
 * Parses a pin file's text (len bytes, need not end in NUL) into set
 * (emptied first). what names it in errors ("FILE:LINE: ..."). 0, or
 * -EINVAL / -E2BIG / -ENOMEM with err filled.
 */
int tls_pins_parse(const char *text, size_t len, const char *what,
		   struct tls_pinset *set, char *err, size_t errlen);
/* Reads and parses the pin file at path; 0 or -errno with err filled. */
int tls_pins_load(const char *path, struct tls_pinset *set, char *err,
		  size_t errlen);
/* The entry for pin, or NULL. */
const struct tls_pin *tls_pins_find(const struct tls_pinset *set,
				    const uint8_t pin[TLS_PIN_SIZE]);
void tls_pins_free(struct tls_pinset *set);

#endif
