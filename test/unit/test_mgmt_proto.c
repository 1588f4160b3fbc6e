// SPDX-License-Identifier: GPL-2.0-or-later
/* Control-socket format: encode/decode round trip, limits and garbage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "mgmt/mgmt_proto.h"

static struct mgmt_req *req_new(void)
{
	struct mgmt_req *r = malloc(sizeof(*r));

	assert_non_null(r);
	return r;
}

static int decode_str(struct mgmt_req *r, const char *s)
{
	char err[256];

	return mgmt_req_decode(r, s, strlen(s), err, sizeof(err));
}

static void test_roundtrip(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct mgmt_req *r = req_new();

	assert_int_equal(mgmt_req_add(&sb, "op", "new"), 0);
	assert_int_equal(mgmt_req_add(&sb, "mode", "target"), 0);
	assert_int_equal(
		mgmt_req_add(&sb, "targetname", "iqn.2024-01.org:a=b c"), 0);
	assert_int_equal(mgmt_req_add(&sb, "password", ""), 0);
	assert_int_equal(mgmt_req_end(&sb), 0);
	assert_int_equal(mgmt_req_complete(sb.buf, sb.len), (long)sb.len);
	assert_int_equal(mgmt_req_complete(sb.buf, sb.len - 1), 0);
	assert_int_equal(mgmt_req_decode(r, sb.buf, sb.len, NULL, 0), 0);
	assert_int_equal(r->nr, 4);
	assert_string_equal(mgmt_req_get(r, "op"), "new");
	assert_string_equal(mgmt_req_get(r, "targetname"),
			    "iqn.2024-01.org:a=b c");
	assert_string_equal(mgmt_req_get(r, "password"), "");
	assert_null(mgmt_req_get(r, "tid"));
	strbuf_free(&sb);
	free(r);
}

static void test_encode_rejects(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char big[MGMT_VALUE_MAX + 1];

	assert_int_equal(mgmt_req_add(&sb, "Op", "x"), -EINVAL);
	assert_int_equal(mgmt_req_add(&sb, "", "x"), -EINVAL);
	assert_int_equal(mgmt_req_add(&sb, "a=b", "x"), -EINVAL);
	assert_int_equal(mgmt_req_add(&sb, "op", "a\nb"), -EINVAL);
	assert_int_equal(mgmt_req_add(&sb, "op", "a\rb"), -EINVAL);
	assert_int_equal(mgmt_req_add(&sb, NULL, "x"), -EINVAL);
	assert_int_equal(mgmt_req_add(&sb, "op", NULL), -EINVAL);
	assert_int_equal(
		mgmt_req_add(&sb, "a-key-that-is-far-too-long-for-the-limit",
			     "x"),
		-EINVAL);
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mgmt_req_add(&sb, "value", big), -EINVAL);
	big[MGMT_VALUE_MAX - 1] = '\0';
	assert_int_equal(mgmt_req_add(&sb, "value", big), 0);
	assert_int_equal(sb.len, strlen("value=") + MGMT_VALUE_MAX - 1 + 1);
	strbuf_free(&sb);
}

static void test_decode_garbage(void **state)
{
	static const char *bad[] = {
		"\n",
		"op=new\n",
		"op=new",
		"op\n\n",
		"=x\n\n",
		"OP=new\n\n",
		"op=new\nop=delete\n\n",
		"op=new\n\nextra",
		"op=new\n\n\n",
		"op=a\rb\n\n",
		"o p=x\n\n",
		"",
	};
	struct mgmt_req *r = req_new();
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode_str(r, bad[i]), -EINVAL);
	assert_int_equal(mgmt_req_decode(r, "op=a\0b\n\n", 8, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	assert_int_equal(decode_str(r, "op=show\nmode=target\n\n"), 0);
	free(r);
}

static void test_limits(void **state)
{
	struct mgmt_req *r = req_new();
	struct strbuf sb = STRBUF_INIT;
	char *huge = malloc(MGMT_REQ_MAX + 16);
	unsigned int i;
	char key[16];

	/* no terminator within the limit */
	memset(huge, 'a', MGMT_REQ_MAX + 16);
	assert_int_equal(mgmt_req_complete(huge, MGMT_REQ_MAX - 1), 0);
	assert_int_equal(mgmt_req_complete(huge, MGMT_REQ_MAX), -E2BIG);
	assert_int_equal(mgmt_req_complete(huge, MGMT_REQ_MAX + 16), -E2BIG);
	assert_int_equal(mgmt_req_decode(r, huge, MGMT_REQ_MAX + 1, NULL, 0),
			 -EINVAL);
	free(huge);

	/* too many fields */
	for (i = 0; i <= MGMT_FIELDS_MAX; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(mgmt_req_add(&sb, key, "v"), 0);
	}
	assert_int_equal(mgmt_req_end(&sb), 0);
	assert_int_equal(mgmt_req_decode(r, sb.buf, sb.len, NULL, 0), -EINVAL);
	strbuf_free(&sb);

	/* an encoded request that grew too big is refused by the encoder */
	for (i = 0; i < 20; i++) {
		char v[MGMT_VALUE_MAX];

		memset(v, 'x', sizeof(v) - 1);
		v[sizeof(v) - 1] = '\0';
		snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(mgmt_req_add(&sb, key, v), 0);
	}
	assert_int_equal(mgmt_req_end(&sb), -E2BIG);
	strbuf_free(&sb);
	free(r);
}

static void test_response(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	const char *text;
	size_t len;
	int status;

	mgmt_resp_encode(&sb, 0, "Target 1: iqn.x\n", 16);
	assert_int_equal(mgmt_resp_decode(sb.buf, sb.len, &status, &text, &len),
			 0);
	assert_int_equal(status, 0);
	assert_int_equal(len, 16);
	assert_memory_equal(text, "Target 1: iqn.x\n", 16);
	strbuf_reset(&sb);
	mgmt_resp_encode(&sb, 2, NULL, 0);
	assert_int_equal(mgmt_resp_decode(sb.buf, sb.len, &status, &text, &len),
			 0);
	assert_int_equal(status, 2);
	assert_int_equal(len, 0);
	strbuf_free(&sb);

	assert_int_equal(
		mgmt_resp_decode("status=\n\n", 9, &status, &text, &len),
		-EINVAL);
	assert_int_equal(
		mgmt_resp_decode("status=1\nx", 10, &status, &text, &len),
		-EINVAL);
	assert_int_equal(
		mgmt_resp_decode("garbage!!!", 10, &status, &text, &len),
		-EINVAL);
	assert_int_equal(mgmt_resp_decode("status=99999999\n\n", 17, &status,
					  &text, &len),
			 -EINVAL);
	assert_int_equal(mgmt_resp_decode("", 0, &status, &text, &len),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_decode_garbage),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
