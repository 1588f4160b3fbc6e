// SPDX-License-Identifier: GPL-2.0-or-later
/* Operational key negotiation, one key at a time, and target overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/target.h"
#include "iscsi/iscsi.h"
#include "iscsi/params.h"
#include "iscsi/text.h"

static struct iscsi_params p;
static uint64_t seen;
static char answer[300];

/* Negotiates key=value; returns the result, answer[] holds our reply. */
static enum param_result neg_t(const struct target *t, bool disc,
			       const char *key, const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	enum param_result r;
	struct text_list l;

	r = params_negotiate(&p, t, disc, key, value, &sb, &seen);
	answer[0] = '\0';
	if (sb.len) {
		assert_int_equal(text_parse(sb.buf, sb.len, &l), TEXT_OK);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.pairs[0].key, key);
		snprintf(answer, sizeof(answer), "%s", l.pairs[0].value);
		text_list_free(&l);
	}
	strbuf_free(&sb);
	return r;
}

static void neg_expect(const char *key, const char *value, const char *want)
{
	assert_int_equal(neg_t(NULL, false, key, value), PARAM_ANSWERED);
	assert_string_equal(answer, want);
}

static int reset(void **state)
{
	params_init(&p);
	seen = 0;
	return 0;
}

static void test_defaults(void **state)
{
	assert_int_equal(p.max_recv_dsl, 8192);
	assert_int_equal(p.max_xmit_dsl, 8192);
	assert_int_equal(p.max_burst, 262144);
	assert_int_equal(p.first_burst, 65536);
	assert_true(p.initial_r2t);
	assert_true(p.immediate_data);
	assert_int_equal(p.max_outstanding_r2t, 1);
	assert_true(p.data_pdu_in_order);
	assert_true(p.data_seq_in_order);
	assert_int_equal(p.default_time2wait, 2);
	assert_int_equal(p.default_time2retain, 20);
	assert_int_equal(p.erl, 0);
	assert_int_equal(p.max_connections, 1);
	assert_false(p.header_digest);
	assert_false(p.data_digest);
}

static void test_digests(void **state)
{
	neg_expect("HeaderDigest", "CRC32C,None", "CRC32C");
	assert_true(p.header_digest);
	neg_expect("HeaderDigest", "None,CRC32C", "None");
	assert_false(p.header_digest);
	neg_expect("DataDigest", "Foo,CRC32C", "CRC32C");
	assert_true(p.data_digest);
	neg_expect("DataDigest", "Foo", "Reject");
	neg_expect("DataDigest", "", "Reject");
	neg_expect("DataDigest", "None,,CRC32C", "Reject");
	assert_true(seen & (1ull << P_DATA_DIGEST));
}

static void test_booleans(void **state)
{
	neg_expect("InitialR2T", "No", "Yes"); /* OR with our Yes */
	assert_true(p.initial_r2t);
	neg_expect("InitialR2T", "Yes", "Yes");
	neg_expect("ImmediateData", "No", "No"); /* AND */
	assert_false(p.immediate_data);
	neg_expect("ImmediateData", "Yes", "Yes");
	assert_true(p.immediate_data);
	neg_expect("DataPDUInOrder", "No", "Yes");
	neg_expect("DataSequenceInOrder", "No", "Yes");
	neg_expect("IFMarker", "Yes", "No");
	neg_expect("OFMarker", "No", "No");
	neg_expect("ImmediateData", "yes", "Reject");
	neg_expect("InitialR2T", "", "Reject");
	neg_expect("RDMAExtensions", "Yes", "No");
}

static void test_numbers(void **state)
{
	neg_expect("MaxBurstLength", "16776192", "16776192");
	assert_int_equal(p.max_burst, 16776192);
	neg_expect("MaxBurstLength", "16777215", "16777215");
	neg_expect("MaxBurstLength", "16777216", "Reject");
	neg_expect("MaxBurstLength", "511", "Reject");
	neg_expect("MaxBurstLength", "abc", "Reject");
	neg_expect("MaxBurstLength", "0x10000", "65536");
	assert_int_equal(p.max_burst, 65536);
	/* FirstBurstLength never exceeds MaxBurstLength */
	neg_expect("FirstBurstLength", "262144", "65536");
	assert_int_equal(p.first_burst, 65536);
	neg_expect("FirstBurstLength", "4096", "4096");
	neg_expect("MaxConnections", "8", "1");
	neg_expect("MaxConnections", "0", "Reject");
	neg_expect("MaxOutstandingR2T", "16", "1");
	neg_expect("MaxOutstandingR2T", "0", "Reject");
	neg_expect("DefaultTime2Wait", "0", "2"); /* max */
	neg_expect("DefaultTime2Wait", "10", "10");
	assert_int_equal(p.default_time2wait, 10);
	neg_expect("DefaultTime2Wait", "3601", "Reject");
	neg_expect("DefaultTime2Retain", "0", "0"); /* min */
	neg_expect("DefaultTime2Retain", "3600", "20");
	neg_expect("ErrorRecoveryLevel", "2", "0");
	neg_expect("ErrorRecoveryLevel", "3", "Reject");
	neg_expect("iSCSIProtocolLevel", "2", "1");
}

static void test_declarative_and_misc(void **state)
{
	assert_int_equal(
		neg_t(NULL, false, "MaxRecvDataSegmentLength", "65536"),
		PARAM_ANSWERED);
	assert_string_equal(answer, ""); /* nothing to answer */
	assert_int_equal(p.max_xmit_dsl, 65536);
	assert_int_equal(neg_t(NULL, false, "MaxRecvDataSegmentLength", "511"),
			 PARAM_FAIL);
	assert_int_equal(
		neg_t(NULL, false, "MaxRecvDataSegmentLength", "16777216"),
		PARAM_FAIL);
	assert_int_equal(neg_t(NULL, false, "MaxRecvDataSegmentLength", ""),
			 PARAM_FAIL);
	assert_int_equal(p.max_xmit_dsl, 65536);
	neg_expect("OFMarkInt", "1~65535", "Irrelevant");
	neg_expect("TaskReporting", "FastAbort,RFC3720", "RFC3720");
	neg_expect("TaskReporting", "FastAbort", "Reject");
	assert_int_equal(neg_t(NULL, false, "X-foo", "1"), PARAM_UNKNOWN);
	assert_int_equal(neg_t(NULL, false, "maxburstlength", "512"),
			 PARAM_UNKNOWN); /* keys are case-sensitive */
	assert_int_equal(params_our_max_recv_dsl(NULL), ISCSI_OUR_MAX_RECV_DSL);
}

static void test_discovery_irrelevant(void **state)
{
	const char *keys[] = {"MaxConnections",	  "InitialR2T",
			      "ImmediateData",	  "MaxBurstLength",
			      "FirstBurstLength", "MaxOutstandingR2T",
			      "DataPDUInOrder",	  "DataSequenceInOrder"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		assert_int_equal(neg_t(NULL, true, keys[i], "1"),
				 PARAM_ANSWERED);
		assert_string_equal(answer, "Irrelevant");
	}
	assert_int_equal(neg_t(NULL, true, "HeaderDigest", "CRC32C"),
			 PARAM_ANSWERED);
	assert_string_equal(answer, "CRC32C");
}

static void test_overrides(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct target *t;
	char err[160];

	log_open("test", 0, LOG_LVL_ERR);
	assert_int_equal(
		target_create(9, "iqn.2024-01.test:params", err, sizeof(err)),
		0);
	t = target_find_tid(9);
	assert_int_equal(target_param_set(t, "HeaderDigest", "CRC32C,None", err,
					  sizeof(err)),
			 0);
	assert_int_equal(
		target_param_set(t, "DataDigest", "None", err, sizeof(err)), 0);
	assert_int_equal(
		target_param_set(t, "InitialR2T", "No", err, sizeof(err)), 0);
	assert_int_equal(
		target_param_set(t, "MaxOutstandingR2T", "4", err, sizeof(err)),
		0);
	assert_int_equal(
		target_param_set(t, "DefaultTime2Wait", "5", err, sizeof(err)),
		0);
	assert_int_equal(target_param_set(t, "FirstBurstLength", "131072", err,
					  sizeof(err)),
			 0);
	assert_int_equal(target_param_set(t, "maxrecvdatasegmentlength", "8192",
					  err, sizeof(err)),
			 0);

	/* our order wins over the initiator's with an override */
	assert_int_equal(neg_t(t, false, "HeaderDigest", "None,CRC32C"),
			 PARAM_ANSWERED);
	assert_string_equal(answer, "CRC32C");
	assert_int_equal(neg_t(t, false, "DataDigest", "CRC32C,None"),
			 PARAM_ANSWERED);
	assert_string_equal(answer, "None");
	/* None allowed by the override: a reject is not fatal */
	assert_int_equal(neg_t(t, false, "DataDigest", "CRC32C"),
			 PARAM_ANSWERED);
	assert_string_equal(answer, "Reject");
	assert_int_equal(neg_t(t, false, "InitialR2T", "No"), PARAM_ANSWERED);
	assert_string_equal(answer, "No");
	assert_false(p.initial_r2t);
	assert_int_equal(neg_t(t, false, "MaxOutstandingR2T", "16"),
			 PARAM_ANSWERED);
	assert_string_equal(answer, "4");
	assert_int_equal(neg_t(t, false, "DefaultTime2Wait", "2"),
			 PARAM_ANSWERED);
	assert_string_equal(answer, "5");
	assert_int_equal(neg_t(t, false, "FirstBurstLength", "262144"),
			 PARAM_ANSWERED);
	assert_string_equal(answer, "131072");
	assert_int_equal(params_our_max_recv_dsl(t), 8192);

	/* validation of overrides */
	assert_int_equal(
		iscsi_param_check("HeaderDigest", "MD5", err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "HeaderDigest"));
	assert_int_equal(
		iscsi_param_check("HeaderDigest", "", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		iscsi_param_check("ImmediateData", "maybe", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(iscsi_param_check("MaxRecvDataSegmentLength", "511",
					   err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(iscsi_param_check("MaxRecvDataSegmentLength",
					   "16777215", err, sizeof(err)),
			 0);
	assert_int_equal(
		iscsi_param_check("MaxConnections", "2", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		iscsi_param_check("ErrorRecoveryLevel", "1", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(iscsi_param_check("IFMarker", "No", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(iscsi_param_check("Bogus", "1", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "Bogus"));
	assert_int_equal(
		iscsi_param_check("TargetAlias", "my disk", err, sizeof(err)),
		0);
	assert_int_equal(iscsi_param_check("TargetAlias", "bad\nalias", err,
					   sizeof(err)),
			 -EINVAL);
	assert_int_equal(iscsi_param_check("DefaultTime2Retain", "0x10", err,
					   sizeof(err)),
			 0);

	target_param_set(t, "TargetAlias", "disk 9", err, sizeof(err));
	iscsi_param_show(t, &sb, "  ");
	assert_non_null(strstr(sb.buf, "  HeaderDigest=CRC32C,None\n"));
	assert_non_null(strstr(sb.buf, "  DataDigest=None\n"));
	assert_non_null(strstr(sb.buf, "  MaxRecvDataSegmentLength=8192\n"));
	assert_non_null(strstr(sb.buf, "  MaxBurstLength=16777215\n"));
	assert_non_null(strstr(sb.buf, "  ImmediateData=Yes\n"));
	assert_non_null(strstr(sb.buf, "  InitialR2T=No\n"));
	assert_non_null(strstr(sb.buf, "  MaxConnections=1\n"));
	assert_non_null(strstr(sb.buf, "  TargetAlias=disk 9\n"));
	assert_null(strstr(sb.buf, "IFMarker"));
	strbuf_free(&sb);
	target_destroy_all();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, reset),
		cmocka_unit_test_setup(test_digests, reset),
		cmocka_unit_test_setup(test_booleans, reset),
		cmocka_unit_test_setup(test_numbers, reset),
		cmocka_unit_test_setup(test_declarative_and_misc, reset),
		cmocka_unit_test_setup(test_discovery_irrelevant, reset),
		cmocka_unit_test_setup(test_overrides, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
