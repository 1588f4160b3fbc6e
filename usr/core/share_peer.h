/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An xorshare LUN's share peers, one rule for every way they are written:
 * targets.conf (`share-peer I URL [transport=] [pin=] [rate=] [retain=]`,
 * usr/admin), the LU notes tgtxd keeps (`share-peer.I[.OPT]`, usr/scsi),
 * tgtxcli's peers (usr/cli) and tgtx-replicd, which reads them back. One
 * validator, so a value one of them accepts is never refused by another.
 *
 * Messages never quote a URL: it may carry a CHAP password.
 */
#ifndef TGTX_SHARE_PEER_H
#define TGTX_SHARE_PEER_H

#include <stddef.h>
#include <stdint.h>

#define SHARE_PEERS_MAX	   16 /* indexes 0..15 */
#define SHARE_PEER_URL_MAX 1024
#define SHARE_PEER_PIN_LEN 64 /* hex SHA-256 of the peer's Ed25519 key */

enum share_peer_opt {
	SP_URL,
	SP_TRANSPORT, /* tls | ipsec | plain */
	SP_PIN,	      /* 64 lowercase hex digits */
	SP_RATE,      /* bytes per second: N, NK, NM, NG (1024-based) */
	SP_RETAIN,    /* N followed by s, m, h or d */
	SP_NOPTS,
};

/* Option names as written after `share-peer I URL` and in note keys
 * (`share-peer.I.transport`); [SP_URL] is "url". */
extern const char *const share_peer_opt_names[SP_NOPTS];

/* Option by name (not "url"): SP_TRANSPORT.., or -1. */
int share_peer_opt_find(const char *name);

/*
 * "share-peer.I" -> (I, SP_URL), "share-peer.I.transport" -> (I,
 * SP_TRANSPORT), ...; 0, or -EINVAL with a message in err.
 */
int share_peer_key_parse(const char *key, unsigned *index,
			 enum share_peer_opt *opt, char *err, size_t errlen);

/*
 * Checks one value (never empty: an empty value is the caller's "remove").
 * URL: iscsi://[USER[%PASSWORD]@]HOST[:PORT]/IQN/LUN[?target_user=U&
 * target_password=P&header_digest=D], libiscsi's syntax, at most 1024
 * bytes, none of: space, control bytes, quotes, backslash, comma,
 * semicolon. 0, or -EINVAL with a message in err (which never holds the
 * URL).
 */
int share_peer_check(enum share_peer_opt opt, const char *value, char *err,
		     size_t errlen);

/* rate= and retain= as numbers (0, or -EINVAL on a value check refuses). */
int share_peer_parse_rate(const char *s, uint64_t *bytes_per_s);
int share_peer_parse_retain(const char *s, uint64_t *seconds);

/*
 * url with USER[%PASSWORD]@ replaced by ***@ and the value of a
 * target_password= (or target_user=) argument by ***; always NUL terminated.
 */
void share_peer_mask_url(const char *url, char *out, size_t outlen);

#endif
