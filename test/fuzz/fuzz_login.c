// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the login state machine. Input: one mode byte, then
 * a sequence of [48-byte Login Request BHS][DataSegmentLength bytes]. The
 * mode picks the response size limit and optionally prepends a valid first
 * request for a target with or without CHAP, so the fuzzer reaches the
 * later stages quickly. Each data segment is copied into an exact-size heap
 * buffer so any over-read is caught by ASan.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/log.h"
#include "core/target.h"
#include "iscsi/login.h"

#define TN_OPEN	  "iqn.2024-01.fuzz:open"
#define TN_CHAP	  "iqn.2024-01.fuzz:chap"
#define MAX_STEPS 64

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static struct sockaddr_in peer, local;

static void setup_once(void)
{
	static bool done;
	char err[128];
	struct target *t;

	if (done)
		return;
	done = true;
	log_open("fuzz", 0, LOG_LVL_ERR);
	peer.sin_family = AF_INET;
	peer.sin_port = htons(40000);
	inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);
	local.sin_family = AF_INET;
	local.sin_port = htons(3260);
	inet_pton(AF_INET, "127.0.0.1", &local.sin_addr);

	target_create(1, TN_OPEN, err, sizeof(err));
	t = target_find_tid(1);
	target_acl_add(t, ACL_ADDR, "ALL", err, sizeof(err));
	target_param_set(t, "TargetAlias", "fuzz disk", err, sizeof(err));

	target_create(2, TN_CHAP, err, sizeof(err));
	t = target_find_tid(2);
	target_acl_add(t, ACL_ADDR, "ALL", err, sizeof(err));
	account_create("user", "password12345", err, sizeof(err));
	account_create("tuser", "tpassword12345", err, sizeof(err));
	target_account_bind(t, "user", false, err, sizeof(err));
	target_account_bind(t, "tuser", true, err, sizeof(err));
	target_param_set(t, "HeaderDigest", "CRC32C,None", err, sizeof(err));
}

static enum login_result feed(struct iscsi_login *lg,
			      const struct iscsi_login_req *req,
			      const uint8_t *data, uint32_t dlen, uint32_t max)
{
	static uint8_t rsp_data[8192];
	struct iscsi_login_rsp rsp;
	uint32_t rdlen = 0;
	uint8_t *copy = NULL;
	enum login_result r;

	if (dlen) {
		copy = malloc(dlen);
		if (!copy)
			return LOGIN_FAILED;
		memcpy(copy, data, dlen);
	}
	r = login_handle(lg, req, copy, dlen, &rsp, rsp_data, max, &rdlen);
	free(copy);
	/* invariants the connection code relies on */
	if (rdlen > max || get_be24(rsp.dlength) != rdlen ||
	    rsp.opcode != ISCSI_OP_LOGIN_RSP ||
	    ((rsp.flags & ISCSI_FLAG_LOGIN_TRANSIT) &&
	     (rsp.flags & ISCSI_FLAG_LOGIN_CONTINUE)) ||
	    (r == LOGIN_FAILED && rsp.status_class == 0) ||
	    (r != LOGIN_FAILED && rsp.status_class != 0))
		abort();
	if (r == LOGIN_DONE &&
	    (lg->params.max_recv_dsl < 512 || lg->params.max_xmit_dsl < 512 ||
	     lg->params.first_burst > lg->params.max_burst ||
	     (lg->type == ISCSI_SESSION_NORMAL && !lg->target)))
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char first_open[] = "InitiatorName=iqn.fuzz:i\0"
					 "TargetName=" TN_OPEN "\0"
					 "AuthMethod=CHAP,None\0";
	static const char first_chap[] = "InitiatorName=iqn.fuzz:i\0"
					 "TargetName=" TN_CHAP "\0"
					 "AuthMethod=CHAP,None\0";
	struct iscsi_login_req req;
	struct iscsi_login lg;
	uint32_t max;
	uint8_t mode;
	int steps = 0;

	setup_once();
	if (n < 1)
		return 0;
	mode = d[0];
	d++;
	n--;
	/* small limits exercise the C-bit response continuation */
	max = (mode & 0x80) ? 8192 : 8 + (uint32_t)(mode & 0x3c) * 4;
	login_init(&lg, (struct sockaddr *)&peer, (struct sockaddr *)&local, 1);
	if (mode & 1) {
		const char *t = (mode & 2) ? first_chap : first_open;
		size_t tl = (mode & 2) ? sizeof(first_chap) - 1
				       : sizeof(first_open) - 1;

		memset(&req, 0, sizeof(req));
		req.opcode = ISCSI_OP_LOGIN_REQ | ISCSI_OP_IMMEDIATE;
		req.flags = ISCSI_FLAG_LOGIN_TRANSIT | ISCSI_STAGE_OPERATIONAL;
		put_be24(req.dlength, (uint32_t)tl);
		if (feed(&lg, &req, (const uint8_t *)t, (uint32_t)tl, max) ==
		    LOGIN_FAILED) {
			login_free(&lg);
			login_init(&lg, (struct sockaddr *)&peer,
				   (struct sockaddr *)&local, 1);
		}
	}
	while (n >= sizeof(req) && steps++ < MAX_STEPS) {
		enum login_result r;
		uint32_t dl;

		memcpy(&req, d, sizeof(req));
		d += sizeof(req);
		n -= sizeof(req);
		dl = get_be24(req.dlength);
		if (dl > n)
			dl = (uint32_t)n;
		r = feed(&lg, &req, d, dl, max);
		d += dl;
		n -= dl;
		if (r != LOGIN_CONTINUE) {
			login_free(&lg);
			login_init(&lg, (struct sockaddr *)&peer,
				   (struct sockaddr *)&local, 1);
		}
	}
	login_free(&lg);
	return 0;
}
