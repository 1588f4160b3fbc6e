// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CHAP on the target side. The exchange (RFC 7143 12.1.3):
 *   I->T CHAP_A=<list>          T->I CHAP_A=<alg> CHAP_I=<id> CHAP_C=<chal>
 *   I->T CHAP_N, CHAP_R [, CHAP_I, CHAP_C for mutual CHAP]
 *                               T->I [CHAP_N, CHAP_R]
 * Secrets never leave this file except hashed; comparisons are
 * constant-time so the response check leaks nothing through timing.
 */
#include "chap.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/log.h"

static const EVP_MD *chap_md(int alg)
{
	switch (alg) {
	case CHAP_ALG_MD5:
		return EVP_md5();
	case CHAP_ALG_SHA256:
		return EVP_sha256();
	default:
		return NULL;
	}
}

size_t chap_digest_len(int alg)
{
	switch (alg) {
	case CHAP_ALG_MD5:
		return 16;
	case CHAP_ALG_SHA256:
		return 32;
	default:
		return 0;
	}
}

int chap_response(int alg, uint8_t id, const char *secret,
		  const uint8_t *challenge, size_t chal_len,
		  uint8_t out[CHAP_DIGEST_MAX])
{
	const EVP_MD *md = chap_md(alg);
	EVP_MD_CTX *ctx;
	unsigned int len = 0;
	int ok;

	if (!md || !secret)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, md, NULL) &&
	     EVP_DigestUpdate(ctx, &id, 1) &&
	     EVP_DigestUpdate(ctx, secret, strlen(secret)) &&
	     EVP_DigestUpdate(ctx, challenge, chal_len) &&
	     EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
	if (!ok || len != chap_digest_len(alg))
		return -1;
	return (int)len;
}

/* First algorithm of the initiator's list that we support (its order). */
static int select_alg(const char *list)
{
	char item[16];
	const char *cur = list;
	uint64_t v;
	int r;

	while ((r = text_list_next(&cur, item, sizeof(item))) == 1) {
		if (text_parse_u64(item, &v))
			continue;
		if (v == CHAP_ALG_MD5 || v == CHAP_ALG_SHA256)
			return (int)v;
	}
	return 0;
}

static uint16_t send_challenge(struct iscsi_login *lg, const char *alist,
			       struct strbuf *out)
{
	char hex[2 * sizeof(lg->chap_challenge) + 3];
	uint8_t id;
	int alg = select_alg(alist);

	if (!alg) {
		text_add(out, "CHAP_A", "Reject");
		log_warn("login from %s: no supported CHAP algorithm in '%s'",
			 lg->initiator_name, alist);
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	lg->chap_challenge_len = alg == CHAP_ALG_MD5 ? CHAP_CHALLENGE_MD5
						     : CHAP_CHALLENGE_SHA256;
	if (RAND_bytes(&id, 1) != 1 ||
	    RAND_bytes(lg->chap_challenge, (int)lg->chap_challenge_len) != 1) {
		log_err("login from %s: no random bytes for a CHAP challenge",
			lg->initiator_name);
		return ISCSI_LOGIN_TARGET_ERROR;
	}
	lg->chap_alg = alg;
	lg->chap_id = id;
	text_add_u32(out, "CHAP_A", (uint32_t)alg);
	text_add_u32(out, "CHAP_I", id);
	text_hex_encode(lg->chap_challenge, lg->chap_challenge_len, hex,
			sizeof(hex));
	text_add(out, "CHAP_C", hex);
	lg->auth_state = AUTH_WAIT_RSP;
	return 0;
}

/* Mutual CHAP: the initiator challenges us with CHAP_I/CHAP_C. */
static uint16_t answer_mutual(struct iscsi_login *lg, const struct target *t,
			      const char *ci, const char *cc,
			      struct strbuf *out)
{
	uint8_t chal[ISCSI_BIN_MAX], dig[CHAP_DIGEST_MAX];
	char hex[2 * CHAP_DIGEST_MAX + 3];
	const struct account *acc = t ? target_out_account(t) : NULL;
	uint64_t id;
	int clen, dlen;

	if (!ci || !cc) {
		log_warn("login from %s: incomplete mutual CHAP challenge",
			 lg->initiator_name);
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	if (!acc) {
		log_warn("login from %s: mutual CHAP requested but target "
			 "has no outgoing account",
			 lg->initiator_name);
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	if (text_parse_u64(ci, &id) || id > 255) {
		log_warn("login from %s: bad CHAP_I '%s'", lg->initiator_name,
			 ci);
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	clen = text_bin_decode(cc, chal, sizeof(chal));
	if (clen <= 0) {
		log_warn("login from %s: bad mutual CHAP_C",
			 lg->initiator_name);
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	/* answering our own challenge would let a peer replay our reply */
	if ((uint32_t)clen == lg->chap_challenge_len &&
	    !CRYPTO_memcmp(chal, lg->chap_challenge, (size_t)clen)) {
		log_warn("login from %s: reflected CHAP challenge",
			 lg->initiator_name);
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	dlen = chap_response(lg->chap_alg, (uint8_t)id, acc->password, chal,
			     (size_t)clen, dig);
	if (dlen < 0)
		return ISCSI_LOGIN_TARGET_ERROR;
	text_hex_encode(dig, (size_t)dlen, hex, sizeof(hex));
	text_add(out, "CHAP_N", acc->user);
	text_add(out, "CHAP_R", hex);
	return 0;
}

static uint16_t check_response(struct iscsi_login *lg, const struct target *t,
			       const struct text_list *l, struct strbuf *out)
{
	const char *n = text_get(l, "CHAP_N"), *r = text_get(l, "CHAP_R");
	const char *ci = text_get(l, "CHAP_I"), *cc = text_get(l, "CHAP_C");
	uint8_t got[ISCSI_BIN_MAX], want[CHAP_DIGEST_MAX];
	const char *secret;
	int glen, wlen;
	bool ok;

	if (!n || !r) {
		log_warn("login from %s: CHAP_N/CHAP_R missing",
			 lg->initiator_name);
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	secret = t ? target_in_secret(t, n) : NULL;
	glen = text_bin_decode(r, got, sizeof(got));
	wlen = secret ? chap_response(lg->chap_alg, lg->chap_id, secret,
				      lg->chap_challenge,
				      lg->chap_challenge_len, want)
		      : -1;
	ok = secret && wlen > 0 && glen == wlen &&
	     !CRYPTO_memcmp(got, want, (size_t)wlen);
	/* the challenge is single use whatever the outcome */
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok) {
		log_warn("login from %s: CHAP authentication failed for user "
			 "'%s'",
			 lg->initiator_name, n);
		return ISCSI_LOGIN_AUTH_FAILED;
	}
	if (ci || cc) {
		uint16_t st = answer_mutual(lg, t, ci, cc, out);

		if (st)
			return st;
	}
	OPENSSL_cleanse(lg->chap_challenge, sizeof(lg->chap_challenge));
	lg->auth_state = AUTH_OK;
	lg->auth_done = true;
	return 0;
}

uint16_t chap_step(struct iscsi_login *lg, const struct target *t,
		   const struct text_list *l, struct strbuf *out)
{
	const char *a = text_get(l, "CHAP_A");

	switch (lg->auth_state) {
	case AUTH_WAIT_ALG:
		if (text_get(l, "CHAP_N") || text_get(l, "CHAP_R") ||
		    text_get(l, "CHAP_I") || text_get(l, "CHAP_C")) {
			log_warn("login from %s: expected CHAP_A only",
				 lg->initiator_name);
			return ISCSI_LOGIN_INIT_ERR;
		}
		/* AuthMethod=CHAP was just agreed: CHAP_A comes next */
		if (!a)
			return 0;
		return send_challenge(lg, a, out);
	case AUTH_WAIT_RSP:
		if (a) {
			log_warn("login from %s: CHAP_A sent twice",
				 lg->initiator_name);
			return ISCSI_LOGIN_INIT_ERR;
		}
		return check_response(lg, t, l, out);
	default:
		/* CHAP keys outside a CHAP exchange */
		if (a || text_get(l, "CHAP_N") || text_get(l, "CHAP_R") ||
		    text_get(l, "CHAP_I") || text_get(l, "CHAP_C")) {
			log_warn("login from %s: unexpected CHAP keys",
				 lg->initiator_name);
			return ISCSI_LOGIN_INIT_ERR;
		}
		return 0;
	}
}
