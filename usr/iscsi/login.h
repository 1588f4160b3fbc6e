/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The login phase (RFC 7143 sections 6, 13): security negotiation (CHAP),
 * operational parameter negotiation and the stage transitions. Pure protocol
 * logic: it consumes one Login Request and produces one Login Response; the
 * connection code moves the bytes and binds the session.
 */
#ifndef TGTX_LOGIN_H
#define TGTX_LOGIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/crc32c.h"
#include "core/strbuf.h"
#include "core/target.h"
#include "iscsi_proto.h"

/* Default and limit values we offer (RFC 7143 section 13) */
#define ISCSI_OUR_MAX_RECV_DSL 262144
#define ISCSI_MAX_BURST_LIMIT  (16u << 20)

/* Operational parameters in force on a connection/session after login. */
struct iscsi_params {
	uint32_t max_recv_dsl; /* largest data segment we accept */
	uint32_t max_xmit_dsl; /* largest data segment we may send */
	uint32_t max_burst;
	uint32_t first_burst;
	uint32_t max_outstanding_r2t;
	uint32_t max_connections;
	uint32_t default_time2wait;
	uint32_t default_time2retain;
	uint32_t erl;
	bool immediate_data;
	bool initial_r2t;
	bool data_pdu_in_order;
	bool data_seq_in_order;
	bool header_digest; /* CRC32C on headers */
	bool data_digest;   /* CRC32C on data segments */
};

enum iscsi_session_type {
	ISCSI_SESSION_NONE,
	ISCSI_SESSION_DISCOVERY,
	ISCSI_SESSION_NORMAL
};

enum login_result {
	LOGIN_CONTINUE, /* send the response, stay in login phase */
	LOGIN_DONE,	/* send the response, enter full feature phase */
	LOGIN_FAILED,	/* send the (error status) response, then close */
};

/* Per-connection login state; zero it with login_init(). */
struct iscsi_login {
	int csg; /* current stage */
	bool transit_seen;
	enum iscsi_session_type type;
	char initiator_name[TGTX_NAME_MAX];
	char initiator_alias[256];
	char target_name[TGTX_NAME_MAX];
	struct target *target; /* NULL for discovery */
	uint8_t isid[6];
	uint16_t tsih; /* as sent by the initiator */
	uint16_t cid;
	uint32_t itt;
	struct sockaddr_storage peer;  /* for ACLs */
	struct sockaddr_storage local; /* portal the initiator connected to */
	uint16_t tpgt;
	/* CHAP state */
	int auth_state;
	int chap_alg;
	uint8_t chap_id;
	uint8_t chap_challenge[32];
	uint32_t chap_challenge_len;
	bool auth_done;
	/* Partial text from Login Requests with the C bit set */
	struct strbuf pending_in;
	/* Response text still to send (responses longer than one PDU) */
	struct strbuf pending_out;
	size_t pending_out_off;
	/* Keys already answered, to detect illegal re-negotiation */
	uint64_t keys_seen;
	struct iscsi_params params;
	uint32_t version;
	/* Internal to login.c (added after the first version of this API) */
	bool started;	     /* the first request was seen */
	bool mrdsl_declared; /* our MaxRecvDataSegmentLength was sent */
	bool tpgt_sent;
	uint8_t final_flags; /* flags of the last PDU of a C response */
	int final_result;    /* enum login_result after pending_out */
};

/* Most login text we accumulate from C-bit requests (one negotiation). */
#define ISCSI_LOGIN_TEXT_MAX 65536

void login_init(struct iscsi_login *lg, const struct sockaddr *peer,
		const struct sockaddr *local, uint16_t tpgt);
void login_free(struct iscsi_login *lg);

/*
 * Handles one Login Request (BHS + data segment). Fills rsp's opcode, flags,
 * versions, ISID, ITT, status and data segment (rsp_data, at most
 * max_rsp_data bytes). The caller fills TSIH, StatSN, ExpCmdSN and MaxCmdSN.
 */
enum login_result login_handle(struct iscsi_login *lg,
			       const struct iscsi_login_req *req,
			       const uint8_t *data, uint32_t dlen,
			       struct iscsi_login_rsp *rsp, uint8_t *rsp_data,
			       uint32_t max_rsp_data, uint32_t *rsp_dlen);

/*
 * Discovery: the SendTargets=<value> answer ("All", a target name or "")
 * for an initiator at peer, listing only targets its ACLs allow, with
 * TargetAddress entries for every portal (local address first).
 */
void login_sendtargets(const char *value, const char *initiator_name,
		       const struct sockaddr *peer,
		       const struct sockaddr *local, uint16_t tpgt,
		       struct strbuf *out);

/*
 * Formats "ADDR:PORT" ("[V6ADDR]:PORT"; IPv4-mapped IPv6 shown as IPv4)
 * for logs and TargetAddress. "?" for unknown families.
 */
void iscsi_addr_str(const struct sockaddr *sa, char *buf, size_t len);

/* Validates one key=value as a per-target override (see iscsi.h). */
int login_param_check(const char *key, const char *value, char *err,
		      size_t errlen);

#endif
