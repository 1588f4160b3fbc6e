/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iSCSI text key=value format (RFC 7143 sections 6.1-6.2): the data segment
 * of Login and Text PDUs is a sequence of "key=value" strings, each followed
 * by one NUL byte. Values are simple values or comma-separated lists;
 * numbers are decimal or 0x-hex; binary values (CHAP) are 0x-hex or
 * 0b-base64.
 */
#ifndef TGTX_ISCSI_TEXT_H
#define TGTX_ISCSI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

#define ISCSI_KEY_MAX	63  /* bytes in a key name */
#define ISCSI_VALUE_MAX 255 /* bytes in a simple value */
/* CHAP binary values: "0x" and up to 1024 hex digits (RFC 7143 12.1.3) */
#define ISCSI_BIN_VALUE_MAX (2 + 1024)
#define ISCSI_BIN_MAX	    512 /* decoded bytes of a binary value */
/* Most pairs we accept in one negotiation: bounds the work per request */
#define ISCSI_TEXT_MAX_PAIRS 128

struct text_pair {
	const char *key;
	const char *value;
};

struct text_list {
	struct text_pair *pairs;
	size_t n;
	char *buf; /* private copy the pairs point into */
};

enum text_error {
	TEXT_OK = 0,
	TEXT_ENOMEM,
	TEXT_NO_EQUALS,
	TEXT_BAD_KEY,
	TEXT_KEY_TOO_LONG,
	TEXT_VALUE_TOO_LONG,
	TEXT_DUPLICATE,
	TEXT_TOO_MANY,
};

/*
 * Splits data into pairs. Empty strings (consecutive NULs, padding) are
 * skipped; a last pair without its NUL is accepted. Returns TEXT_OK or the
 * first problem found (out is then empty). Duplicate keys are an error: a
 * key may be negotiated only once per exchange.
 */
enum text_error text_parse(const void *data, size_t len, struct text_list *out);
const char *text_strerror(enum text_error e);
void text_list_free(struct text_list *l);
/* Value of key (exact, case-sensitive as in RFC 7143), NULL if absent. */
const char *text_get(const struct text_list *l, const char *key);

/* Appends "key=value\0". */
void text_add(struct strbuf *sb, const char *key, const char *value);
void text_add_u32(struct strbuf *sb, const char *key, uint32_t v);

/* Keys whose values may be long binary strings (CHAP_C, CHAP_R). */
bool text_key_is_binary(const char *key);

/*
 * Decodes a 0x-hex (odd digit count allowed) or 0b-base64 value into out.
 * Returns the number of bytes, or -1 when malformed or longer than max.
 */
int text_bin_decode(const char *value, uint8_t *out, size_t max);
/* Writes "0x" and lowercase hex of in[0..n) into out (needs 2n+3 bytes). */
void text_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz);

/* Parses a numerical value (decimal or 0x-hex, no sign). 0 or -1. */
int text_parse_u64(const char *value, uint64_t *out);
/* "Yes"/"No" (case-sensitive per RFC). 0 or -1. */
int text_parse_bool(const char *value, bool *out);

/*
 * Iterates a comma-separated list: copies the next item into item and
 * advances *cursor. Returns 1 for an item, 0 at the end, -1 when an item is
 * empty or does not fit.
 */
int text_list_next(const char **cursor, char *item, size_t itemsz);
/* Whether value (a list) contains item exactly. */
bool text_list_has(const char *list, const char *item);

#endif
