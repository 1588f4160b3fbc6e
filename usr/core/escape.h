/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer-supplied text (names, aliases, CHAP user names) on its way to a log
 * line or `tgtxadm --op show`: control bytes, DEL and non-ASCII bytes
 * become \xNN and a backslash becomes \\, so a peer cannot forge lines or
 * terminal sequences.
 */
#ifndef TGTX_ESCAPE_H
#define TGTX_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Escapes in into out (always NUL terminated, truncated to fit). */
void str_escape(const char *in, char *out, size_t outlen);
/* Escapes len bytes of in, in place in out of outlen bytes; as above. */
void mem_escape(const void *in, size_t len, char *out, size_t outlen);
/* in is valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
bool utf8_valid(const char *in, size_t len);

#endif
