// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Login state machine end to end: stages, CHAP (one-way, mutual, failures),
 * target lookup/ACL/offline errors, protocol errors, C-bit continuation in
 * both directions, discovery and SendTargets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/log.h"
#include "core/target.h"
#include "iscsi/chap.h"
#include "iscsi/iscsi.h"
#include "iscsi/login.h"
#include "iscsi/text.h"

#define T(s) (s), sizeof(s) - 1 /* literal with embedded NULs */
#define FL(t, csg, nsg)                                                        \
	(uint8_t)(((t) ? ISCSI_FLAG_LOGIN_TRANSIT : 0) | (csg) << 2 | (nsg))
#define CONT ISCSI_FLAG_LOGIN_CONTINUE

#define TN_OPEN	 "iqn.2024-01.test.tgtx:open"
#define TN_CHAP	 "iqn.2024-01.test.tgtx:chap"
#define TN_ACL	 "iqn.2024-01.test.tgtx:acl"
#define TN_NAMES "iqn.2024-01.test.tgtx:names"
#define TN_CRC	 "iqn.2024-01.test.tgtx:crc"
#define TN_OFF	 "iqn.2024-01.test.tgtx:offline"
#define TN_NOOUT "iqn.2024-01.test.tgtx:noout"
#define IN	 "iqn.1994-05.com.example:init"

struct lt {
	struct iscsi_login lg;
	struct iscsi_login_rsp rsp;
	uint8_t data[8192];
	uint32_t dlen;
	struct text_list l;
	struct sockaddr_in peer, local;
};

static struct lt *new_lt(void)
{
	struct lt *x = calloc(1, sizeof(*x));

	x->peer.sin_family = AF_INET;
	x->peer.sin_port = htons(40000);
	inet_pton(AF_INET, "127.0.0.1", &x->peer.sin_addr);
	x->local.sin_family = AF_INET;
	x->local.sin_port = htons(3260);
	inet_pton(AF_INET, "127.0.0.1", &x->local.sin_addr);
	login_init(&x->lg, (struct sockaddr *)&x->peer,
		   (struct sockaddr *)&x->local, 1);
	return x;
}

static void free_lt(struct lt *x)
{
	text_list_free(&x->l);
	login_free(&x->lg);
	free(x);
}

static enum login_result step_max(struct lt *x, uint8_t flags, const char *text,
				  size_t len, uint32_t max)
{
	struct iscsi_login_req req;
	enum login_result r;

	memset(&req, 0, sizeof(req));
	req.opcode = ISCSI_OP_LOGIN_REQ | ISCSI_OP_IMMEDIATE;
	req.flags = flags;
	memcpy(req.isid, "\x80\x12\x34\x56\x78\x9a", 6);
	put_be32(req.itt, 0x1234);
	text_list_free(&x->l);
	r = login_handle(&x->lg, &req, (const uint8_t *)text, (uint32_t)len,
			 &x->rsp, x->data, max, &x->dlen);
	assert_int_equal(x->rsp.opcode, ISCSI_OP_LOGIN_RSP);
	assert_int_equal(get_be32(x->rsp.itt), 0x1234);
	assert_memory_equal(x->rsp.isid, "\x80\x12\x34\x56\x78\x9a", 6);
	assert_int_equal(get_be24(x->rsp.dlength), x->dlen);
	assert_true(x->dlen <= max);
	/* a C-bit chunk may end inside a pair: only whole texts parse */
	if (!(x->rsp.flags & CONT))
		assert_int_equal(text_parse(x->data, x->dlen, &x->l), TEXT_OK);
	return r;
}

static enum login_result step(struct lt *x, uint8_t flags, const char *text,
			      size_t len)
{
	return step_max(x, flags, text, len, sizeof(x->data));
}

static unsigned int status(const struct lt *x)
{
	return (unsigned int)x->rsp.status_class << 8 | x->rsp.status_detail;
}

static const char *get(const struct lt *x, const char *key)
{
	return text_get(&x->l, key);
}

static int setup(void **state)
{
	struct target *t;
	char err[128];

	log_open("test", 0,
		 getenv("TEST_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	assert_int_equal(target_create(1, TN_OPEN, err, sizeof(err)), 0);
	t = target_find_tid(1);
	assert_int_equal(target_acl_add(t, ACL_ADDR, "ALL", err, sizeof(err)),
			 0);
	assert_int_equal(target_param_set(t, "TargetAlias", "disk one", err,
					  sizeof(err)),
			 0);

	assert_int_equal(
		account_create("alice", "alicepass1234", err, sizeof(err)), 0);
	assert_int_equal(
		account_create("tgtuser", "tgtsecret5678", err, sizeof(err)),
		0);
	assert_int_equal(target_create(2, TN_CHAP, err, sizeof(err)), 0);
	t = target_find_tid(2);
	target_acl_add(t, ACL_ADDR, "ALL", err, sizeof(err));
	assert_int_equal(
		target_account_bind(t, "alice", false, err, sizeof(err)), 0);
	assert_int_equal(
		target_account_bind(t, "tgtuser", true, err, sizeof(err)), 0);

	target_create(3, TN_ACL, err, sizeof(err));
	target_acl_add(target_find_tid(3), ACL_ADDR, "10.0.0.0/8", err,
		       sizeof(err));

	target_create(4, TN_NAMES, err, sizeof(err));
	target_acl_add(target_find_tid(4), ACL_ADDR, "ALL", err, sizeof(err));
	target_acl_add(target_find_tid(4), ACL_NAME, "iqn.2000-01.good:i", err,
		       sizeof(err));

	target_create(5, TN_CRC, err, sizeof(err));
	t = target_find_tid(5);
	target_acl_add(t, ACL_ADDR, "ALL", err, sizeof(err));
	assert_int_equal(
		target_param_set(t, "HeaderDigest", "CRC32C", err, sizeof(err)),
		0);
	assert_int_equal(target_param_set(t, "DataDigest", "CRC32C,None", err,
					  sizeof(err)),
			 0);
	assert_int_equal(target_param_set(t, "MaxRecvDataSegmentLength",
					  "65536", err, sizeof(err)),
			 0);
	assert_int_equal(
		target_param_set(t, "ImmediateData", "No", err, sizeof(err)),
		0);
	assert_int_equal(target_param_set(t, "MaxBurstLength", "1048576", err,
					  sizeof(err)),
			 0);
	/* bad overrides are refused with a message (management checks) */
	assert_int_equal(
		iscsi_param_check("MaxBurstLength", "12", err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "MaxBurstLength"));
	assert_int_equal(iscsi_param_check("NoSuchKey", "1", err, sizeof(err)),
			 -EINVAL);

	target_create(6, TN_OFF, err, sizeof(err));
	target_acl_add(target_find_tid(6), ACL_ADDR, "ALL", err, sizeof(err));
	target_find_tid(6)->state = TARGET_OFFLINE;

	target_create(7, TN_NOOUT, err, sizeof(err));
	t = target_find_tid(7);
	target_acl_add(t, ACL_ADDR, "ALL", err, sizeof(err));
	target_account_bind(t, "alice", false, err, sizeof(err));
	return 0;
}

static int teardown(void **state)
{
	target_destroy_all();
	return 0;
}

/* ---- normal logins without authentication ---- */

static void test_login_security_then_operational(void **state)
{
	struct lt *x = new_lt();

	assert_int_equal(step(x, FL(1, 0, 1),
			      T("InitiatorName=" IN "\0TargetName=" TN_OPEN
				"\0SessionType=Normal\0AuthMethod=None\0")),
			 LOGIN_CONTINUE);
	assert_int_equal(status(x), 0);
	assert_int_equal(x->rsp.flags, FL(1, 0, 1));
	assert_string_equal(get(x, "AuthMethod"), "None");
	assert_string_equal(get(x, "TargetPortalGroupTag"), "1");
	assert_string_equal(get(x, "TargetAlias"), "disk one");
	assert_ptr_equal(x->lg.target, target_find_tid(1));
	assert_int_equal(x->lg.type, ISCSI_SESSION_NORMAL);
	assert_string_equal(x->lg.initiator_name, IN);

	assert_int_equal(step(x, FL(1, 1, 3),
			      T("HeaderDigest=None,CRC32C\0"
				"DataDigest=CRC32C,None\0"
				"MaxRecvDataSegmentLength=131072\0"
				"MaxBurstLength=1048576\0"
				"FirstBurstLength=262144\0"
				"InitialR2T=No\0ImmediateData=Yes\0"
				"MaxConnections=4\0MaxOutstandingR2T=8\0"
				"DefaultTime2Wait=0\0DefaultTime2Retain=0\0"
				"ErrorRecoveryLevel=2\0"
				"DataPDUInOrder=Yes\0DataSequenceInOrder=No\0"
				"IFMarker=No\0OFMarker=Yes\0")),
			 LOGIN_DONE);
	assert_int_equal(status(x), 0);
	assert_int_equal(x->rsp.flags, FL(1, 1, 3));
	assert_string_equal(get(x, "HeaderDigest"), "None");
	assert_string_equal(get(x, "DataDigest"), "CRC32C");
	assert_null(get(x, "TargetPortalGroupTag")); /* only in the first */
	assert_string_equal(get(x, "MaxRecvDataSegmentLength"), "262144");
	assert_string_equal(get(x, "MaxBurstLength"), "1048576");
	assert_string_equal(get(x, "FirstBurstLength"), "262144");
	assert_string_equal(get(x, "InitialR2T"), "Yes");
	assert_string_equal(get(x, "ImmediateData"), "Yes");
	assert_string_equal(get(x, "MaxConnections"), "1");
	assert_string_equal(get(x, "MaxOutstandingR2T"), "1");
	assert_string_equal(get(x, "DefaultTime2Wait"), "2");
	assert_string_equal(get(x, "DefaultTime2Retain"), "0");
	assert_string_equal(get(x, "ErrorRecoveryLevel"), "0");
	assert_string_equal(get(x, "DataSequenceInOrder"), "Yes");
	assert_string_equal(get(x, "OFMarker"), "No");

	assert_false(x->lg.params.header_digest);
	assert_true(x->lg.params.data_digest);
	assert_int_equal(x->lg.params.max_recv_dsl, ISCSI_OUR_MAX_RECV_DSL);
	assert_int_equal(x->lg.params.max_xmit_dsl, 131072);
	assert_int_equal(x->lg.params.max_burst, 1048576);
	assert_int_equal(x->lg.params.first_burst, 262144);
	assert_true(x->lg.params.initial_r2t);
	assert_true(x->lg.params.immediate_data);
	assert_int_equal(x->lg.params.max_connections, 1);
	assert_int_equal(x->lg.params.default_time2wait, 2);
	assert_int_equal(x->lg.params.default_time2retain, 0);
	assert_int_equal(x->lg.params.erl, 0);
	free_lt(x);
}

static void test_login_straight_to_operational_defaults(void **state)
{
	struct lt *x = new_lt();

	assert_int_equal(
		step(x, FL(1, 1, 3),
		     T("InitiatorName=" IN "\0TargetName=" TN_OPEN "\0")),
		LOGIN_DONE);
	assert_int_equal(status(x), 0);
	assert_string_equal(get(x, "TargetPortalGroupTag"), "1");
	assert_string_equal(get(x, "MaxRecvDataSegmentLength"), "262144");
	/* RFC defaults for what was not negotiated */
	assert_int_equal(x->lg.params.max_xmit_dsl, 8192);
	assert_int_equal(x->lg.params.max_burst, 262144);
	assert_int_equal(x->lg.params.first_burst, 65536);
	assert_true(x->lg.params.initial_r2t);
	assert_true(x->lg.params.immediate_data);
	assert_int_equal(x->lg.params.max_outstanding_r2t, 1);
	assert_true(x->lg.params.data_pdu_in_order);
	assert_true(x->lg.params.data_seq_in_order);
	assert_int_equal(x->lg.params.default_time2wait, 2);
	assert_int_equal(x->lg.params.default_time2retain, 20);
	assert_false(x->lg.params.header_digest);
	free_lt(x);
}

static void test_login_security_straight_to_ffp(void **state)
{
	struct lt *x = new_lt();

	assert_int_equal(step(x, FL(1, 0, 3),
			      T("InitiatorName=" IN "\0TargetName=" TN_OPEN
				"\0AuthMethod=CHAP,None\0")),
			 LOGIN_DONE);
	assert_string_equal(get(x, "AuthMethod"), "None");
	assert_string_equal(get(x, "MaxRecvDataSegmentLength"), "262144");
	free_lt(x);
}

/* libiscsi repeats the names in the operational stage: allowed if equal */
static void test_login_repeated_identity(void **state)
{
	struct lt *x = new_lt();

	step(x, FL(1, 0, 1),
	     T("InitiatorName=" IN "\0TargetName=" TN_OPEN
	       "\0SessionType=Normal\0AuthMethod=None\0"));
	assert_int_equal(step(x, FL(1, 1, 3),
			      T("InitiatorName=" IN "\0TargetName=" TN_OPEN
				"\0SessionType=Normal\0")),
			 LOGIN_DONE);
	free_lt(x);

	x = new_lt();
	step(x, FL(1, 0, 1),
	     T("InitiatorName=" IN "\0TargetName=" TN_OPEN
	       "\0AuthMethod=None\0"));
	assert_int_equal(step(x, FL(1, 1, 3), T("TargetName=" TN_CRC "\0")),
			 LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_INIT_ERR);
	free_lt(x);
}

/* An operational stage that the initiator does not want to leave yet */
static void test_login_operational_without_transit(void **state)
{
	struct lt *x = new_lt();

	assert_int_equal(step(x, FL(0, 1, 0),
			      T("InitiatorName=" IN "\0TargetName=" TN_OPEN
				"\0MaxBurstLength=65536\0")),
			 LOGIN_CONTINUE);
	assert_int_equal(x->rsp.flags, FL(0, 1, 0));
	assert_string_equal(get(x, "MaxBurstLength"), "65536");
	/* re-offering is answered again, not treated as an error */
	assert_int_equal(step(x, FL(1, 1, 3), T("MaxBurstLength=32768\0")),
			 LOGIN_DONE);
	assert_int_equal(x->lg.params.max_burst, 32768);
	assert_int_equal(x->lg.params.first_burst, 32768);
	free_lt(x);
}

static void test_login_target_overrides(void **state)
{
	struct lt *x = new_lt();

	assert_int_equal(step(x, FL(1, 1, 3),
			      T("InitiatorName=" IN "\0TargetName=" TN_CRC
				"\0HeaderDigest=None,CRC32C\0"
				"DataDigest=None,CRC32C\0"
				"ImmediateData=Yes\0MaxBurstLength=16776192\0"
				"MaxRecvDataSegmentLength=262144\0")),
			 LOGIN_DONE);
	assert_string_equal(get(x, "HeaderDigest"), "CRC32C");
	assert_string_equal(get(x, "DataDigest"), "CRC32C");
	assert_string_equal(get(x, "ImmediateData"), "No");
	assert_string_equal(get(x, "MaxBurstLength"), "1048576");
	assert_string_equal(get(x, "MaxRecvDataSegmentLength"), "65536");
	assert_true(x->lg.params.header_digest);
	assert_true(x->lg.params.data_digest);
	assert_false(x->lg.params.immediate_data);
	assert_int_equal(x->lg.params.max_recv_dsl, 65536);
	free_lt(x);

	/* the target insists on header digests: None only is refused */
	x = new_lt();
	assert_int_equal(step(x, FL(1, 1, 3),
			      T("InitiatorName=" IN "\0TargetName=" TN_CRC
				"\0HeaderDigest=None\0")),
			 LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_INIT_ERR);
	free_lt(x);
}

static void test_login_unknown_and_special_keys(void **state)
{
	struct lt *x = new_lt();

	assert_int_equal(step(x, FL(1, 1, 3),
			      T("InitiatorName=" IN "\0TargetName=" TN_OPEN
				"\0X-com.example.foo=bar\0FooBar=1\0"
				"IFMarkInt=2048~8192\0MaxBurstLength=1\0"
				"InitialR2T=Maybe\0SendTargets=All\0"
				"InitiatorAlias=host1\0")),
			 LOGIN_DONE);
	assert_string_equal(get(x, "X-com.example.foo"), "NotUnderstood");
	assert_string_equal(get(x, "FooBar"), "NotUnderstood");
	assert_string_equal(get(x, "IFMarkInt"), "Irrelevant");
	assert_string_equal(get(x, "MaxBurstLength"), "Reject");
	assert_string_equal(get(x, "InitialR2T"), "Reject");
	assert_string_equal(get(x, "SendTargets"), "Irrelevant");
	assert_null(get(x, "InitiatorAlias"));
	assert_string_equal(x->lg.initiator_alias, "host1");
	assert_int_equal(x->lg.params.max_burst, 262144);
	free_lt(x);
}

/* ---- target selection errors ---- */

static void expect_fail(uint8_t flags, const char *text, size_t len,
			unsigned int want)
{
	struct lt *x = new_lt();

	assert_int_equal(step(x, flags, text, len), LOGIN_FAILED);
	assert_int_equal(status(x), want);
	assert_int_equal(x->dlen, 0);
	assert_int_equal(x->rsp.flags & ISCSI_FLAG_LOGIN_TRANSIT, 0);
	free_lt(x);
}

static void test_login_target_errors(void **state)
{
	expect_fail(FL(1, 0, 1),
		    T("InitiatorName=" IN "\0TargetName=iqn.nope:x\0"),
		    ISCSI_LOGIN_TARGET_NOT_FOUND);
	expect_fail(FL(1, 0, 1),
		    T("InitiatorName=" IN "\0TargetName=" TN_OFF "\0"),
		    ISCSI_LOGIN_SERVICE_UNAVAILABLE);
	expect_fail(FL(1, 0, 1),
		    T("InitiatorName=" IN "\0TargetName=" TN_ACL "\0"),
		    ISCSI_LOGIN_AUTHZ_FAILED);
	expect_fail(FL(1, 0, 1),
		    T("InitiatorName=" IN "\0TargetName=" TN_NAMES "\0"),
		    ISCSI_LOGIN_AUTHZ_FAILED);
	expect_fail(FL(1, 0, 1), T("TargetName=" TN_OPEN "\0"),
		    ISCSI_LOGIN_MISSING_PARAM);
	expect_fail(FL(1, 0, 1), T("InitiatorName=" IN "\0"),
		    ISCSI_LOGIN_MISSING_PARAM);
	expect_fail(FL(1, 0, 1), T("InitiatorName=" IN "\0SessionType=Weird\0"),
		    ISCSI_LOGIN_SESSION_TYPE_UNSUPP);

	/* the name ACL lets the right initiator in */
	struct lt *x = new_lt();

	assert_int_equal(step(x, FL(1, 1, 3),
			      T("InitiatorName=iqn.2000-01.good:i\0"
				"TargetName=" TN_NAMES "\0")),
			 LOGIN_DONE);
	free_lt(x);
}

static void test_login_protocol_errors(void **state)
{
	const char *id = "InitiatorName=" IN "\0TargetName=" TN_OPEN "\0";
	size_t idlen = strlen(IN) + strlen(TN_OPEN) + 27;
	struct iscsi_login_req req;
	struct lt *x;

	expect_fail(FL(1, 0, 1) | CONT, id, idlen, ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 0, 2), id, idlen, ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 1, 1), id, idlen, ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 1, 0), id, idlen, ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 3, 3), id, idlen, ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 0, 1), T("InitiatorName\0"), ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 0, 1),
		    T("InitiatorName=" IN "\0InitiatorName=" IN "\0"),
		    ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 1, 3),
		    T("InitiatorName=" IN "\0TargetName=" TN_OPEN
		      "\0AuthMethod=None\0"),
		    ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 1, 3),
		    T("InitiatorName=" IN "\0TargetName=" TN_OPEN
		      "\0TargetAddress=1.2.3.4\0"),
		    ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 1, 3),
		    T("InitiatorName=" IN "\0TargetName=" TN_OPEN
		      "\0MaxRecvDataSegmentLength=100\0"),
		    ISCSI_LOGIN_INIT_ERR);
	expect_fail(FL(1, 1, 3),
		    T("InitiatorName=" IN "\0TargetName=" TN_OPEN
		      "\0AuthMethod=None\0"),
		    ISCSI_LOGIN_INIT_ERR);

	/* stage mismatch on the second request */
	x = new_lt();
	step(x, FL(1, 0, 1), id, idlen);
	assert_int_equal(step(x, FL(1, 0, 1), T("")), LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_INIT_ERR);
	free_lt(x);

	/* unsupported version */
	x = new_lt();
	memset(&req, 0, sizeof(req));
	req.opcode = ISCSI_OP_LOGIN_REQ;
	req.flags = FL(1, 0, 1);
	req.version_min = 1;
	req.version_max = 2;
	assert_int_equal(login_handle(&x->lg, &req, (const uint8_t *)id,
				      (uint32_t)idlen, &x->rsp, x->data,
				      sizeof(x->data), &x->dlen),
			 LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_UNSUPPORTED_VERSION);
	free_lt(x);

	/* ISID change within a login */
	x = new_lt();
	step(x, FL(1, 0, 1), id, idlen);
	memset(&req, 0, sizeof(req));
	req.opcode = ISCSI_OP_LOGIN_REQ;
	req.flags = FL(1, 1, 3);
	req.isid[0] = 0x40;
	put_be32(req.itt, 0x1234);
	assert_int_equal(login_handle(&x->lg, &req, NULL, 0, &x->rsp, x->data,
				      sizeof(x->data), &x->dlen),
			 LOGIN_FAILED);
	free_lt(x);
}

/* ---- CHAP ---- */

/* Answers the target's challenge in x with the given secret. */
static void chap_answer(struct lt *x, const char *user, const char *secret,
			const char *extra, char *out, size_t outsz,
			size_t *outlen)
{
	const char *ci = get(x, "CHAP_I"), *cc = get(x, "CHAP_C");
	const char *ca = get(x, "CHAP_A");
	uint8_t chal[64], dig[CHAP_DIGEST_MAX];
	char hex[2 * CHAP_DIGEST_MAX + 3];
	int clen, dlen, alg;

	assert_non_null(ci);
	assert_non_null(cc);
	assert_non_null(ca);
	alg = atoi(ca);
	clen = text_bin_decode(cc, chal, sizeof(chal));
	assert_true(clen >= 16);
	dlen = chap_response(alg, (uint8_t)atoi(ci), secret, chal, (size_t)clen,
			     dig);
	assert_true(dlen > 0);
	text_hex_encode(dig, (size_t)dlen, hex, sizeof(hex));
	*outlen = (size_t)snprintf(out, outsz, "CHAP_N=%s%cCHAP_R=%s%c%s", user,
				   0, hex, 0, extra ? extra : "");
	if (extra)
		*outlen += 0; /* extra carries its own NULs via strlen below */
}

static void chap_start(struct lt *x, const char *tn, const char *alist)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "InitiatorName=%s%cTargetName=%s%cSessionType=Normal%c"
		     "AuthMethod=CHAP,None%c",
		     IN, 0, tn, 0, 0, 0);
	assert_int_equal(step(x, FL(1, 0, 1), buf, (size_t)n), LOGIN_CONTINUE);
	assert_int_equal(status(x), 0);
	assert_string_equal(get(x, "AuthMethod"), "CHAP");
	assert_int_equal(x->rsp.flags & ISCSI_FLAG_LOGIN_TRANSIT, 0);
	n = snprintf(buf, sizeof(buf), "CHAP_A=%s%c", alist, 0);
	assert_int_equal(step(x, FL(0, 0, 1), buf, (size_t)n), LOGIN_CONTINUE);
	assert_int_equal(status(x), 0);
}

static void test_chap_md5_login(void **state)
{
	struct lt *x = new_lt();
	char buf[512];
	size_t n;

	chap_start(x, TN_CHAP, "5");
	assert_string_equal(get(x, "CHAP_A"), "5");
	assert_int_equal(strlen(get(x, "CHAP_C")), 2 + 2 * 16);
	chap_answer(x, "alice", "alicepass1234", NULL, buf, sizeof(buf), &n);
	assert_int_equal(step(x, FL(1, 0, 1), buf, n), LOGIN_CONTINUE);
	assert_int_equal(status(x), 0);
	assert_int_equal(x->rsp.flags, FL(1, 0, 1));
	assert_true(x->lg.auth_done);
	assert_int_equal(step(x, FL(1, 1, 3), T("HeaderDigest=None\0")),
			 LOGIN_DONE);
	free_lt(x);
}

static void test_chap_sha256_preferred_order(void **state)
{
	struct lt *x = new_lt();
	char buf[512];
	size_t n;

	/* initiator's order wins; unknown algorithms are skipped */
	chap_start(x, TN_CHAP, "99,7,5");
	assert_string_equal(get(x, "CHAP_A"), "7");
	assert_int_equal(strlen(get(x, "CHAP_C")), 2 + 2 * 32);
	chap_answer(x, "alice", "alicepass1234", NULL, buf, sizeof(buf), &n);
	assert_int_equal(step(x, FL(1, 0, 3), buf, n), LOGIN_DONE);
	free_lt(x);
}

static void test_chap_failures(void **state)
{
	struct lt *x;
	char buf[512];
	size_t n;

	/* wrong password */
	x = new_lt();
	chap_start(x, TN_CHAP, "5");
	chap_answer(x, "alice", "wrongpassword", NULL, buf, sizeof(buf), &n);
	assert_int_equal(step(x, FL(1, 0, 1), buf, n), LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_AUTH_FAILED);
	free_lt(x);

	/* unknown user */
	x = new_lt();
	chap_start(x, TN_CHAP, "5");
	chap_answer(x, "mallory", "alicepass1234", NULL, buf, sizeof(buf), &n);
	assert_int_equal(step(x, FL(1, 0, 1), buf, n), LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_AUTH_FAILED);
	free_lt(x);

	/* no supported algorithm */
	x = new_lt();
	step(x, FL(1, 0, 1),
	     T("InitiatorName=" IN "\0TargetName=" TN_CHAP
	       "\0AuthMethod=CHAP\0"));
	assert_int_equal(step(x, FL(0, 0, 1), T("CHAP_A=6,99\0")),
			 LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_AUTH_FAILED);
	free_lt(x);

	/* CHAP required: None only, or skipping security */
	expect_fail(FL(1, 0, 1),
		    T("InitiatorName=" IN "\0TargetName=" TN_CHAP
		      "\0AuthMethod=None\0"),
		    ISCSI_LOGIN_AUTH_FAILED);
	expect_fail(FL(1, 1, 3),
		    T("InitiatorName=" IN "\0TargetName=" TN_CHAP "\0"),
		    ISCSI_LOGIN_AUTH_FAILED);
	expect_fail(FL(1, 0, 1),
		    T("InitiatorName=" IN "\0TargetName=" TN_CHAP "\0"),
		    ISCSI_LOGIN_AUTH_FAILED);
	/* no CHAP configured: a CHAP-only offer is rejected */
	expect_fail(FL(1, 0, 1),
		    T("InitiatorName=" IN "\0TargetName=" TN_OPEN
		      "\0AuthMethod=CHAP\0"),
		    ISCSI_LOGIN_AUTH_FAILED);

	/* response without CHAP_R */
	x = new_lt();
	chap_start(x, TN_CHAP, "5");
	assert_int_equal(step(x, FL(1, 0, 1), T("CHAP_N=alice\0")),
			 LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_AUTH_FAILED);
	free_lt(x);

	/* CHAP keys before AuthMethod=CHAP was agreed */
	expect_fail(
		FL(0, 0, 1),
		T("InitiatorName=" IN "\0TargetName=" TN_CHAP "\0CHAP_A=5\0"),
		ISCSI_LOGIN_INIT_ERR);
}

static size_t add_mutual(char *buf, size_t n, size_t cap, const char *cc)
{
	n += (size_t)snprintf(buf + n, cap - n, "CHAP_I=77%cCHAP_C=%s%c", 0, cc,
			      0);
	return n;
}

static void test_chap_mutual(void **state)
{
	static const uint8_t ichal[16] = {1, 2,	 3,  4,	 5,  6,	 7,  8,
					  9, 10, 11, 12, 13, 14, 15, 16};
	uint8_t want[CHAP_DIGEST_MAX], got[64];
	char buf[512], chex[64];
	struct lt *x = new_lt();
	size_t n;

	chap_start(x, TN_CHAP, "5");
	chap_answer(x, "alice", "alicepass1234", NULL, buf, sizeof(buf), &n);
	text_hex_encode(ichal, sizeof(ichal), chex, sizeof(chex));
	n = add_mutual(buf, n, sizeof(buf), chex);
	assert_int_equal(step(x, FL(1, 0, 1), buf, n), LOGIN_CONTINUE);
	assert_int_equal(status(x), 0);
	assert_string_equal(get(x, "CHAP_N"), "tgtuser");
	assert_int_equal(chap_response(CHAP_ALG_MD5, 77, "tgtsecret5678", ichal,
				       sizeof(ichal), want),
			 16);
	assert_int_equal(text_bin_decode(get(x, "CHAP_R"), got, sizeof(got)),
			 16);
	assert_memory_equal(got, want, 16);
	free_lt(x);

	/* reflection: our own challenge sent back to us */
	x = new_lt();
	chap_start(x, TN_CHAP, "5");
	snprintf(chex, sizeof(chex), "%s", get(x, "CHAP_C"));
	chap_answer(x, "alice", "alicepass1234", NULL, buf, sizeof(buf), &n);
	n = add_mutual(buf, n, sizeof(buf), chex);
	assert_int_equal(step(x, FL(1, 0, 1), buf, n), LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_AUTH_FAILED);
	free_lt(x);

	/* mutual requested but the target has no outgoing account */
	x = new_lt();
	chap_start(x, TN_NOOUT, "5");
	chap_answer(x, "alice", "alicepass1234", NULL, buf, sizeof(buf), &n);
	text_hex_encode(ichal, sizeof(ichal), chex, sizeof(chex));
	n = add_mutual(buf, n, sizeof(buf), chex);
	assert_int_equal(step(x, FL(1, 0, 1), buf, n), LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_AUTH_FAILED);
	free_lt(x);
}

static void test_chap_base64_response(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
				  "stuvwxyz0123456789+/";
	const char *ci, *cc;
	uint8_t chal[64], dig[CHAP_DIGEST_MAX];
	char buf[512], enc[64];
	struct lt *x = new_lt();
	int clen, o = 0;
	size_t n;

	chap_start(x, TN_CHAP, "5");
	ci = get(x, "CHAP_I");
	cc = get(x, "CHAP_C");
	clen = text_bin_decode(cc, chal, sizeof(chal));
	chap_response(5, (uint8_t)atoi(ci), "alicepass1234", chal, (size_t)clen,
		      dig);
	/* 16 bytes -> 24 base64 chars with "==" */
	for (int i = 0; i < 15; i += 3) {
		uint32_t v =
			(uint32_t)dig[i] << 16 | dig[i + 1] << 8 | dig[i + 2];

		enc[o++] = b64[v >> 18];
		enc[o++] = b64[(v >> 12) & 63];
		enc[o++] = b64[(v >> 6) & 63];
		enc[o++] = b64[v & 63];
	}
	enc[o++] = b64[dig[15] >> 2];
	enc[o++] = b64[(dig[15] & 3) << 4];
	enc[o++] = '=';
	enc[o++] = '=';
	enc[o] = '\0';
	n = (size_t)snprintf(buf, sizeof(buf), "CHAP_N=alice%cCHAP_R=0b%s%c", 0,
			     enc, 0);
	assert_int_equal(step(x, FL(1, 0, 1), buf, n), LOGIN_CONTINUE);
	assert_int_equal(status(x), 0);
	free_lt(x);
}

/* ---- continuation ---- */

static void test_continuation_in(void **state)
{
	struct lt *x = new_lt();

	/* a pair split across two PDUs */
	assert_int_equal(step(x, FL(0, 0, 0) | CONT,
			      T("InitiatorName=" IN "\0TargetNa")),
			 LOGIN_CONTINUE);
	assert_int_equal(status(x), 0);
	assert_int_equal(x->dlen, 0);
	assert_int_equal(x->rsp.flags, FL(0, 0, 0));
	assert_int_equal(
		step(x, FL(1, 0, 1), T("me=" TN_OPEN "\0AuthMethod=None\0")),
		LOGIN_CONTINUE);
	assert_int_equal(x->rsp.flags, FL(1, 0, 1));
	assert_string_equal(get(x, "AuthMethod"), "None");
	assert_ptr_equal(x->lg.target, target_find_tid(1));
	free_lt(x);
}

static void test_continuation_out(void **state)
{
	struct lt *x = new_lt();
	struct text_list l;
	uint8_t all[4096];
	size_t total = 0;
	int rounds = 0;
	enum login_result r;

	r = step_max(x, FL(1, 1, 3),
		     T("InitiatorName=" IN "\0TargetName=" TN_OPEN
		       "\0HeaderDigest=None\0DataDigest=None\0"
		       "MaxBurstLength=65536\0X-a=1\0X-b=2\0"),
		     24);
	for (;;) {
		/* step_max parsed x->data; chunks are raw: re-copy them */
		memcpy(all + total, x->data, x->dlen);
		total += x->dlen;
		if (!(x->rsp.flags & CONT))
			break;
		assert_int_equal(r, LOGIN_CONTINUE);
		assert_int_equal(x->rsp.flags & ISCSI_FLAG_LOGIN_TRANSIT, 0);
		assert_int_equal(x->dlen, 24);
		rounds++;
		assert_true(rounds < 50);
		/* partial chunks are not valid text on their own */
		text_list_free(&x->l);
		{
			struct iscsi_login_req req;

			memset(&req, 0, sizeof(req));
			req.opcode = ISCSI_OP_LOGIN_REQ;
			req.flags = FL(1, 1, 3);
			memcpy(req.isid, "\x80\x12\x34\x56\x78\x9a", 6);
			put_be32(req.itt, 0x1234);
			r = login_handle(&x->lg, &req, NULL, 0, &x->rsp,
					 x->data, 24, &x->dlen);
		}
	}
	assert_true(rounds > 2);
	assert_int_equal(r, LOGIN_DONE);
	assert_int_equal(x->rsp.flags, FL(1, 1, 3));
	assert_int_equal(text_parse(all, total, &l), TEXT_OK);
	assert_string_equal(text_get(&l, "TargetPortalGroupTag"), "1");
	assert_string_equal(text_get(&l, "MaxBurstLength"), "65536");
	assert_string_equal(text_get(&l, "X-b"), "NotUnderstood");
	assert_string_equal(text_get(&l, "MaxRecvDataSegmentLength"), "262144");
	text_list_free(&l);
	free_lt(x);
}

static void test_continuation_out_rejects_text(void **state)
{
	struct lt *x = new_lt();

	step_max(x, FL(1, 1, 3),
		 T("InitiatorName=" IN "\0TargetName=" TN_OPEN
		   "\0X-a=1\0X-b=2\0"),
		 16);
	text_list_free(&x->l);
	assert_true(x->rsp.flags & CONT);
	assert_int_equal(step(x, FL(1, 1, 3), T("X-c=3\0")), LOGIN_FAILED);
	free_lt(x);
}

static void test_login_text_limit(void **state)
{
	static char chunk[8192];
	struct lt *x = new_lt();
	int i;

	memset(chunk, 'a', sizeof(chunk));
	for (i = 0; i < 8; i++)
		assert_int_equal(step(x, CONT, chunk, sizeof(chunk)),
				 LOGIN_CONTINUE);
	assert_int_equal(step(x, CONT, chunk, sizeof(chunk)), LOGIN_FAILED);
	assert_int_equal(status(x), ISCSI_LOGIN_INIT_ERR);
	free_lt(x);
}

/* ---- discovery ---- */

static void test_discovery_login(void **state)
{
	struct lt *x = new_lt();

	assert_int_equal(step(x, FL(1, 0, 1),
			      T("InitiatorName=" IN "\0SessionType=Discovery\0"
				"AuthMethod=CHAP,None\0")),
			 LOGIN_CONTINUE);
	assert_string_equal(get(x, "AuthMethod"), "None");
	assert_null(get(x, "TargetPortalGroupTag"));
	assert_int_equal(step(x, FL(1, 1, 3),
			      T("HeaderDigest=None\0MaxBurstLength=262144\0"
				"InitialR2T=No\0"
				"MaxRecvDataSegmentLength=32768\0")),
			 LOGIN_DONE);
	assert_string_equal(get(x, "MaxBurstLength"), "Irrelevant");
	assert_string_equal(get(x, "InitialR2T"), "Irrelevant");
	assert_string_equal(get(x, "HeaderDigest"), "None");
	assert_string_equal(get(x, "MaxRecvDataSegmentLength"), "262144");
	assert_int_equal(x->lg.type, ISCSI_SESSION_DISCOVERY);
	assert_null(x->lg.target);
	assert_int_equal(x->lg.params.max_xmit_dsl, 32768);
	free_lt(x);
}

static void test_sendtargets(void **state)
{
	struct sockaddr_in peer = {.sin_family = AF_INET};
	struct sockaddr_in local = {.sin_family = AF_INET,
				    .sin_port = htons(3260)};
	struct sockaddr_in6 local6 = {.sin6_family = AF_INET6,
				      .sin6_port = htons(3261)};
	struct strbuf sb = STRBUF_INIT;
	struct text_list l;
	size_t nt = 0;

	inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);
	inet_pton(AF_INET, "127.0.0.2", &local.sin_addr);
	inet_pton(AF_INET6, "::1", &local6.sin6_addr);

	login_sendtargets("All", IN, (struct sockaddr *)&peer,
			  (struct sockaddr *)&local, 1, &sb);
	/* pairs repeat (TargetName per target): walk the raw text */
	for (size_t off = 0; off < sb.len; off += strlen(sb.buf + off) + 1) {
		const char *s = sb.buf + off;

		if (!strncmp(s, "TargetName=", 11)) {
			nt++;
			assert_null(strstr(s, "acl"));
			assert_null(strstr(s, "names"));
		} else {
			assert_string_equal(s,
					    "TargetAddress=127.0.0.2:3260,1");
		}
	}
	/* open, chap, crc, offline, noout */
	assert_int_equal(nt, 5);
	strbuf_free(&sb);

	login_sendtargets(TN_OPEN, IN, (struct sockaddr *)&peer,
			  (struct sockaddr *)&local6, 7, &sb);
	assert_int_equal(text_parse(sb.buf, sb.len, &l), TEXT_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(text_get(&l, "TargetName"), TN_OPEN);
	assert_string_equal(text_get(&l, "TargetAddress"), "[::1]:3261,7");
	text_list_free(&l);
	strbuf_free(&sb);

	/* hidden by ACL, unknown, empty */
	login_sendtargets(TN_ACL, IN, (struct sockaddr *)&peer,
			  (struct sockaddr *)&local, 1, &sb);
	login_sendtargets("iqn.none:x", IN, (struct sockaddr *)&peer,
			  (struct sockaddr *)&local, 1, &sb);
	login_sendtargets("", IN, (struct sockaddr *)&peer,
			  (struct sockaddr *)&local, 1, &sb);
	assert_int_equal(sb.len, 0);
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_security_then_operational),
		cmocka_unit_test(test_login_straight_to_operational_defaults),
		cmocka_unit_test(test_login_security_straight_to_ffp),
		cmocka_unit_test(test_login_repeated_identity),
		cmocka_unit_test(test_login_operational_without_transit),
		cmocka_unit_test(test_login_target_overrides),
		cmocka_unit_test(test_login_unknown_and_special_keys),
		cmocka_unit_test(test_login_target_errors),
		cmocka_unit_test(test_login_protocol_errors),
		cmocka_unit_test(test_chap_md5_login),
		cmocka_unit_test(test_chap_sha256_preferred_order),
		cmocka_unit_test(test_chap_failures),
		cmocka_unit_test(test_chap_mutual),
		cmocka_unit_test(test_chap_base64_response),
		cmocka_unit_test(test_continuation_in),
		cmocka_unit_test(test_continuation_out),
		cmocka_unit_test(test_continuation_out_rejects_text),
		cmocka_unit_test(test_login_text_limit),
		cmocka_unit_test(test_discovery_login),
		cmocka_unit_test(test_sendtargets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
