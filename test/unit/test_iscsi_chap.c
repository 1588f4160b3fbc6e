// SPDX-License-Identifier: GPL-2.0-or-later
/* CHAP: digest known answers and the target-side exchange step by step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/target.h"
#include "iscsi/chap.h"
#include "iscsi/text.h"

static struct target *tgt;

static int setup(void **state)
{
	char err[128];

	log_open("test", 0, LOG_LVL_ERR);
	assert_int_equal(
		target_create(1, "iqn.2024-01.test:chap", err, sizeof(err)), 0);
	tgt = target_find_tid(1);
	assert_int_equal(
		account_create("bob", "bobsecret12345", err, sizeof(err)), 0);
	assert_int_equal(
		account_create("tgt", "targetsecret99", err, sizeof(err)), 0);
	target_account_bind(tgt, "bob", false, err, sizeof(err));
	target_account_bind(tgt, "tgt", true, err, sizeof(err));
	return 0;
}

static int teardown(void **state)
{
	target_destroy_all();
	return 0;
}

/* Known answers computed independently (Python hashlib). */
static void test_md5_known_answer(void **state)
{
	static const uint8_t want[16] = {0x74, 0x0e, 0x86, 0x46, 0x3b, 0xda,
					 0x3a, 0x4d, 0x70, 0x17, 0xd6, 0xe0,
					 0xfb, 0xa0, 0x69, 0x9d};
	uint8_t chal[16], out[CHAP_DIGEST_MAX];

	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)i;
	/* MD5(0x01 || "secret" || 00 01 .. 0f) */
	assert_int_equal(
		chap_response(CHAP_ALG_MD5, 1, "secret", chal, 16, out), 16);
	assert_memory_equal(out, want, 16);
}

static void test_sha256_known_answer(void **state)
{
	static const uint8_t want[32] = {
		0x8e, 0x7e, 0xc0, 0xd3, 0x9c, 0x0f, 0xcc, 0x0e,
		0xae, 0x79, 0x31, 0x2e, 0x94, 0xf4, 0x4d, 0xfb,
		0x1e, 0xc6, 0x0d, 0x86, 0x1e, 0x2a, 0xbd, 0xc0,
		0x89, 0x9c, 0x8a, 0xb4, 0xa7, 0x4b, 0x4f, 0xd6};
	uint8_t chal[32], out[CHAP_DIGEST_MAX];

	for (int i = 0; i < 32; i++)
		chal[i] = (uint8_t)i;
	assert_int_equal(
		chap_response(CHAP_ALG_SHA256, 7, "tgtpass", chal, 32, out),
		32);
	assert_memory_equal(out, want, 32);
	assert_int_equal(chap_digest_len(CHAP_ALG_MD5), 16);
	assert_int_equal(chap_digest_len(6), 0);
	assert_int_equal(chap_response(6, 1, "x", chal, 1, out), -1);
}

static uint16_t run_step(struct iscsi_login *lg, const char *text, size_t len,
			 struct text_list *ans)
{
	struct strbuf out = STRBUF_INIT;
	struct text_list l;
	uint16_t st;

	assert_int_equal(text_parse(text, len, &l), TEXT_OK);
	st = chap_step(lg, tgt, &l, &out);
	text_list_free(&l);
	assert_int_equal(text_parse(out.buf, out.len, ans), TEXT_OK);
	strbuf_free(&out);
	return st;
}

static void start(struct iscsi_login *lg, struct text_list *ans)
{
	memset(lg, 0, sizeof(*lg));
	snprintf(lg->initiator_name, sizeof(lg->initiator_name), "iqn.x:y");
	lg->auth_state = AUTH_WAIT_ALG;
	assert_int_equal(run_step(lg, "CHAP_A=5", 9, ans), 0);
	assert_int_equal(lg->auth_state, AUTH_WAIT_RSP);
	assert_string_equal(text_get(ans, "CHAP_A"), "5");
	assert_int_equal(lg->chap_challenge_len, 16);
}

static size_t make_rsp(const struct iscsi_login *lg, const char *user,
		       const char *secret, char *buf, size_t cap)
{
	uint8_t dig[CHAP_DIGEST_MAX];
	char hex[80];

	chap_response(lg->chap_alg, lg->chap_id, secret, lg->chap_challenge,
		      lg->chap_challenge_len, dig);
	text_hex_encode(dig, 16, hex, sizeof(hex));
	return (size_t)snprintf(buf, cap, "CHAP_N=%s%cCHAP_R=%s%c", user, 0,
				hex, 0);
}

static void test_exchange(void **state)
{
	struct iscsi_login lg;
	struct text_list ans;
	char buf[400];
	size_t n;

	start(&lg, &ans);
	/* challenge in the answer matches the state */
	{
		uint8_t c[64];

		assert_int_equal(
			text_bin_decode(text_get(&ans, "CHAP_C"), c, sizeof(c)),
			16);
		assert_memory_equal(c, lg.chap_challenge, 16);
		assert_int_equal(atoi(text_get(&ans, "CHAP_I")), lg.chap_id);
	}
	text_list_free(&ans);
	n = make_rsp(&lg, "bob", "bobsecret12345", buf, sizeof(buf));
	assert_int_equal(run_step(&lg, buf, n, &ans), 0);
	assert_int_equal(lg.auth_state, AUTH_OK);
	assert_true(lg.auth_done);
	assert_int_equal(ans.n, 0);
	text_list_free(&ans);

	/* wrong secret, truncated response, garbage response */
	start(&lg, &ans);
	text_list_free(&ans);
	n = make_rsp(&lg, "bob", "bobsecret12346", buf, sizeof(buf));
	assert_int_equal(run_step(&lg, buf, n, &ans), ISCSI_LOGIN_AUTH_FAILED);
	text_list_free(&ans);
	assert_false(lg.auth_done);

	start(&lg, &ans);
	text_list_free(&ans);
	n = make_rsp(&lg, "bob", "bobsecret12345", buf, sizeof(buf));
	buf[n - 3] = '\0'; /* drop one hex digit pair */
	assert_int_equal(run_step(&lg, buf, n - 2, &ans),
			 ISCSI_LOGIN_AUTH_FAILED);
	text_list_free(&ans);

	start(&lg, &ans);
	text_list_free(&ans);
	assert_int_equal(run_step(&lg, "CHAP_N=bob\0CHAP_R=0xZZ", 22, &ans),
			 ISCSI_LOGIN_AUTH_FAILED);
	text_list_free(&ans);

	/* protocol errors */
	start(&lg, &ans);
	text_list_free(&ans);
	assert_int_equal(run_step(&lg, "CHAP_A=5", 9, &ans),
			 ISCSI_LOGIN_INIT_ERR);
	text_list_free(&ans);
	memset(&lg, 0, sizeof(lg));
	assert_int_equal(run_step(&lg, "CHAP_N=bob", 11, &ans),
			 ISCSI_LOGIN_INIT_ERR);
	text_list_free(&ans);
	lg.auth_state = AUTH_WAIT_ALG;
	assert_int_equal(run_step(&lg, "CHAP_R=0x00", 12, &ans),
			 ISCSI_LOGIN_INIT_ERR);
	text_list_free(&ans);
	assert_int_equal(run_step(&lg, "CHAP_A=Reject", 14, &ans),
			 ISCSI_LOGIN_AUTH_FAILED);
	assert_string_equal(text_get(&ans, "CHAP_A"), "Reject");
	text_list_free(&ans);
}

static void test_mutual(void **state)
{
	uint8_t want[CHAP_DIGEST_MAX], got[64];
	struct iscsi_login lg;
	struct text_list ans;
	char buf[600];
	size_t n;

	start(&lg, &ans);
	text_list_free(&ans);
	n = make_rsp(&lg, "bob", "bobsecret12345", buf, sizeof(buf));
	/* base64 challenge "AQIDBA==" = 01 02 03 04 */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			      "CHAP_I=200%cCHAP_C=0bAQIDBA==%c", 0, 0);
	assert_int_equal(run_step(&lg, buf, n, &ans), 0);
	assert_string_equal(text_get(&ans, "CHAP_N"), "tgt");
	chap_response(CHAP_ALG_MD5, 200, "targetsecret99",
		      (const uint8_t *)"\x01\x02\x03\x04", 4, want);
	assert_int_equal(
		text_bin_decode(text_get(&ans, "CHAP_R"), got, sizeof(got)),
		16);
	assert_memory_equal(got, want, 16);
	text_list_free(&ans);

	/* CHAP_I out of range, CHAP_C without CHAP_I */
	start(&lg, &ans);
	text_list_free(&ans);
	n = make_rsp(&lg, "bob", "bobsecret12345", buf, sizeof(buf));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			      "CHAP_I=256%cCHAP_C=0x0102%c", 0, 0);
	assert_int_equal(run_step(&lg, buf, n, &ans), ISCSI_LOGIN_AUTH_FAILED);
	text_list_free(&ans);

	start(&lg, &ans);
	text_list_free(&ans);
	n = make_rsp(&lg, "bob", "bobsecret12345", buf, sizeof(buf));
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "CHAP_C=0x0102%c", 0);
	assert_int_equal(run_step(&lg, buf, n, &ans), ISCSI_LOGIN_AUTH_FAILED);
	text_list_free(&ans);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_known_answer),
		cmocka_unit_test(test_sha256_known_answer),
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_mutual),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
