/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CHAP authentication for iSCSI login (RFC 7143 section 12.1.3, RFC 1994):
 * algorithm selection, challenge generation, response check and the mutual
 * (target) response.
 */
#ifndef TGTX_ISCSI_CHAP_H
#define TGTX_ISCSI_CHAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "core/target.h"
#include "login.h"
#include "text.h"

#define CHAP_ALG_MD5	5
#define CHAP_ALG_SHA256 7
#define CHAP_DIGEST_MAX 32
/* Our challenge: 16 bytes for MD5 as is customary, 32 for SHA-256 */
#define CHAP_CHALLENGE_MD5    16
#define CHAP_CHALLENGE_SHA256 32

/* lg->auth_state */
enum chap_state {
	AUTH_START = 0, /* AuthMethod not negotiated yet */
	AUTH_WAIT_ALG,	/* CHAP chosen, waiting for CHAP_A */
	AUTH_WAIT_RSP,	/* challenge sent, waiting for CHAP_N/CHAP_R */
	AUTH_OK,	/* authentication complete (or None) */
};

/* Digest length of a CHAP_A algorithm, 0 when we do not support it. */
size_t chap_digest_len(int alg);

/*
 * Response = H(id || secret || challenge). Returns the digest length or -1
 * (unsupported algorithm, crypto failure).
 */
int chap_response(int alg, uint8_t id, const char *secret,
		  const uint8_t *challenge, size_t chal_len,
		  uint8_t out[CHAP_DIGEST_MAX]);

/*
 * One security-stage step after AuthMethod=CHAP was chosen: consumes the
 * CHAP_* keys in l, appends our keys to out. Returns 0 (continue, or
 * lg->auth_state == AUTH_OK when done) or an iSCSI login status (class 2)
 * when the login must fail.
 */
uint16_t chap_step(struct iscsi_login *lg, const struct target *t,
		   const struct text_list *l, struct strbuf *out);

#endif
