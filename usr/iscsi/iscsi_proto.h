/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iSCSI wire format (RFC 7143 section 11): the 48-byte Basic Header Segment
 * of every PDU. All multi-byte fields are big-endian on the wire; they are
 * declared as byte arrays or be32 and accessed through the helpers below, so
 * the structs never depend on host byte order or padding.
 */
#ifndef TGTX_ISCSI_PROTO_H
#define TGTX_ISCSI_PROTO_H

#include <assert.h>
#include <stdint.h>

#include "core/byteorder.h"

#define ISCSI_BHS_LEN	   48
#define ISCSI_DIGEST_LEN   4
#define ISCSI_DEFAULT_PORT 3260
/* Largest data segment the field can express (24 bits). */
#define ISCSI_DSL_MAX 0xffffff

/* byte 0 */
#define ISCSI_OP_IMMEDIATE 0x40
#define ISCSI_OPCODE_MASK  0x3f

/* initiator opcodes */
#define ISCSI_OP_NOP_OUT    0x00
#define ISCSI_OP_SCSI_CMD   0x01
#define ISCSI_OP_TMF_REQ    0x02
#define ISCSI_OP_LOGIN_REQ  0x03
#define ISCSI_OP_TEXT_REQ   0x04
#define ISCSI_OP_DATA_OUT   0x05
#define ISCSI_OP_LOGOUT_REQ 0x06
#define ISCSI_OP_SNACK	    0x10

/* target opcodes */
#define ISCSI_OP_NOP_IN	    0x20
#define ISCSI_OP_SCSI_RSP   0x21
#define ISCSI_OP_TMF_RSP    0x22
#define ISCSI_OP_LOGIN_RSP  0x23
#define ISCSI_OP_TEXT_RSP   0x24
#define ISCSI_OP_DATA_IN    0x25
#define ISCSI_OP_LOGOUT_RSP 0x26
#define ISCSI_OP_R2T	    0x31
#define ISCSI_OP_ASYNC_MSG  0x32
#define ISCSI_OP_REJECT	    0x3f

/* byte 1 flags */
#define ISCSI_FLAG_FINAL 0x80
/* SCSI Command */
#define ISCSI_FLAG_CMD_READ	 0x40
#define ISCSI_FLAG_CMD_WRITE	 0x20
#define ISCSI_FLAG_CMD_ATTR_MASK 0x07
/* SCSI Response / Data-In */
#define ISCSI_FLAG_DATA_ACK	  0x40
#define ISCSI_FLAG_BIDI_OVERFLOW  0x10
#define ISCSI_FLAG_BIDI_UNDERFLOW 0x08
#define ISCSI_FLAG_OVERFLOW	  0x04
#define ISCSI_FLAG_UNDERFLOW	  0x02
#define ISCSI_FLAG_DATA_STATUS	  0x01
/* Login */
#define ISCSI_FLAG_LOGIN_TRANSIT  0x80
#define ISCSI_FLAG_LOGIN_CONTINUE 0x40
#define ISCSI_LOGIN_CSG_SHIFT	  2
#define ISCSI_LOGIN_CSG_MASK	  0x0c
#define ISCSI_LOGIN_NSG_MASK	  0x03
#define ISCSI_STAGE_SECURITY	  0
#define ISCSI_STAGE_OPERATIONAL	  1
#define ISCSI_STAGE_FULL_FEATURE  3
/* Text */
#define ISCSI_FLAG_TEXT_CONTINUE 0x40

/* Login status (class << 8 | detail) */
#define ISCSI_LOGIN_SUCCESS		0x0000
#define ISCSI_LOGIN_TARGET_MOVED_TEMP	0x0101
#define ISCSI_LOGIN_INIT_ERR		0x0200
#define ISCSI_LOGIN_AUTH_FAILED		0x0201
#define ISCSI_LOGIN_AUTHZ_FAILED	0x0202
#define ISCSI_LOGIN_TARGET_NOT_FOUND	0x0203
#define ISCSI_LOGIN_TARGET_REMOVED	0x0204
#define ISCSI_LOGIN_UNSUPPORTED_VERSION 0x0205
#define ISCSI_LOGIN_TOO_MANY_CONNS	0x0206
#define ISCSI_LOGIN_MISSING_PARAM	0x0207
#define ISCSI_LOGIN_NO_SESSION_SPAN	0x0208
#define ISCSI_LOGIN_SESSION_TYPE_UNSUPP 0x0209
#define ISCSI_LOGIN_NO_SESSION		0x020a
#define ISCSI_LOGIN_INVALID_REQUEST	0x020b
#define ISCSI_LOGIN_TARGET_ERROR	0x0300
#define ISCSI_LOGIN_SERVICE_UNAVAILABLE 0x0301
#define ISCSI_LOGIN_OUT_OF_RESOURCES	0x0302

/* SCSI Response "response" byte */
#define ISCSI_RSP_COMPLETED	 0x00
#define ISCSI_RSP_TARGET_FAILURE 0x01

/* Task management functions (byte 1 & 0x7f) and responses */
#define ISCSI_TMF_ABORT_TASK	     1
#define ISCSI_TMF_ABORT_TASK_SET     2
#define ISCSI_TMF_CLEAR_ACA	     3
#define ISCSI_TMF_CLEAR_TASK_SET     4
#define ISCSI_TMF_LUN_RESET	     5
#define ISCSI_TMF_TARGET_WARM_RESET  6
#define ISCSI_TMF_TARGET_COLD_RESET  7
#define ISCSI_TMF_TASK_REASSIGN	     8
#define ISCSI_TMF_RSP_COMPLETE	     0
#define ISCSI_TMF_RSP_NO_TASK	     1
#define ISCSI_TMF_RSP_NO_LUN	     2
#define ISCSI_TMF_RSP_TASK_ALLEGIANT 3
#define ISCSI_TMF_RSP_NO_FAILOVER    4
#define ISCSI_TMF_RSP_NOT_SUPPORTED  5
#define ISCSI_TMF_RSP_AUTH_FAILED    6
#define ISCSI_TMF_RSP_REJECTED	     255

/* Logout reasons and responses */
#define ISCSI_LOGOUT_CLOSE_SESSION	 0
#define ISCSI_LOGOUT_CLOSE_CONN		 1
#define ISCSI_LOGOUT_REMOVE_CONN	 2
#define ISCSI_LOGOUT_RSP_OK		 0
#define ISCSI_LOGOUT_RSP_NO_CID		 1
#define ISCSI_LOGOUT_RSP_RECOVERY_UNSUPP 2
#define ISCSI_LOGOUT_RSP_CLEANUP_FAILED	 3

/* Reject reasons */
#define ISCSI_REJECT_DATA_DIGEST	0x02
#define ISCSI_REJECT_SNACK		0x03
#define ISCSI_REJECT_PROTOCOL_ERROR	0x04
#define ISCSI_REJECT_CMD_NOT_SUPPORTED	0x05
#define ISCSI_REJECT_IMM_CMD_REJECT	0x06
#define ISCSI_REJECT_TASK_IN_PROGRESS	0x07
#define ISCSI_REJECT_INVALID_DATA_ACK	0x08
#define ISCSI_REJECT_INVALID_PDU_FIELD	0x09
#define ISCSI_REJECT_LONG_OP_REJECT	0x0a
#define ISCSI_REJECT_WAITING_FOR_LOGOUT 0x0c

/* Async events */
#define ISCSI_ASYNC_SCSI_EVENT	    0
#define ISCSI_ASYNC_LOGOUT_REQUEST  1
#define ISCSI_ASYNC_DROP_CONN	    2
#define ISCSI_ASYNC_DROP_SESSION    3
#define ISCSI_ASYNC_PARAM_NEGOTIATE 4

#define ISCSI_RESERVED_TAG 0xffffffffu

typedef uint8_t be16[2];
typedef uint8_t be32[4];

/* Common layout of every BHS */
struct iscsi_bhs {
	uint8_t opcode;
	uint8_t flags;
	uint8_t spec1[2];
	uint8_t ahslen;	    /* TotalAHSLength, in 4-byte words */
	uint8_t dlength[3]; /* DataSegmentLength, bytes, without padding */
	uint8_t lun[8];
	be32 itt;
	uint8_t spec2[28];
};

struct iscsi_scsi_cmd {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 itt, edtl, cmdsn, expstatsn;
	uint8_t cdb[16];
};

struct iscsi_scsi_rsp {
	uint8_t opcode, flags, response, status, ahslen, dlength[3], rsvd8[8];
	be32 itt, snack_tag, statsn, expcmdsn, maxcmdsn, expdatasn;
	be32 bidi_residual, residual;
};

struct iscsi_data_out {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 itt, ttt, rsvd24, expstatsn, rsvd32, datasn, offset, rsvd44;
};

struct iscsi_data_in {
	uint8_t opcode, flags, rsvd2, status, ahslen, dlength[3], lun[8];
	be32 itt, ttt, statsn, expcmdsn, maxcmdsn, datasn, offset, residual;
};

struct iscsi_r2t {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 itt, ttt, statsn, expcmdsn, maxcmdsn, r2tsn, offset, desired_len;
};

struct iscsi_nop_out {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 itt, ttt, cmdsn, expstatsn;
	uint8_t rsvd32[16];
};

struct iscsi_nop_in {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 itt, ttt, statsn, expcmdsn, maxcmdsn;
	uint8_t rsvd36[12];
};

struct iscsi_tmf_req {
	uint8_t opcode, function, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 itt, rtt, cmdsn, expstatsn, refcmdsn, expdatasn;
	uint8_t rsvd40[8];
};

struct iscsi_tmf_rsp {
	uint8_t opcode, flags, response, rsvd3, ahslen, dlength[3], rsvd8[8];
	be32 itt, rsvd20, statsn, expcmdsn, maxcmdsn;
	uint8_t rsvd36[12];
};

struct iscsi_login_req {
	uint8_t opcode, flags, version_max, version_min, ahslen, dlength[3];
	uint8_t isid[6];
	be16 tsih;
	be32 itt;
	be16 cid;
	uint8_t rsvd22[2];
	be32 cmdsn, expstatsn;
	uint8_t rsvd32[16];
};

struct iscsi_login_rsp {
	uint8_t opcode, flags, version_max, version_active, ahslen, dlength[3];
	uint8_t isid[6];
	be16 tsih;
	be32 itt, rsvd20, statsn, expcmdsn, maxcmdsn;
	uint8_t status_class, status_detail, rsvd38[10];
};

struct iscsi_text_req {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 itt, ttt, cmdsn, expstatsn;
	uint8_t rsvd32[16];
};

struct iscsi_text_rsp {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 itt, ttt, statsn, expcmdsn, maxcmdsn;
	uint8_t rsvd36[12];
};

struct iscsi_logout_req {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], rsvd8[8];
	be32 itt;
	be16 cid;
	uint8_t rsvd22[2];
	be32 cmdsn, expstatsn;
	uint8_t rsvd32[16];
};

struct iscsi_logout_rsp {
	uint8_t opcode, flags, response, rsvd3, ahslen, dlength[3], rsvd8[8];
	be32 itt, rsvd20, statsn, expcmdsn, maxcmdsn, rsvd36;
	be16 time2wait, time2retain;
	be32 rsvd44;
};

struct iscsi_reject {
	uint8_t opcode, flags, reason, rsvd3, ahslen, dlength[3], rsvd8[8];
	be32 ffffffff, rsvd20, statsn, expcmdsn, maxcmdsn, datasn;
	uint8_t rsvd40[8];
};

struct iscsi_async_msg {
	uint8_t opcode, flags, rsvd2[2], ahslen, dlength[3], lun[8];
	be32 ffffffff, rsvd20, statsn, expcmdsn, maxcmdsn;
	uint8_t event, vcode;
	be16 param1, param2, param3;
	be32 rsvd44;
};

static_assert(sizeof(struct iscsi_bhs) == ISCSI_BHS_LEN, "bhs");
static_assert(sizeof(struct iscsi_scsi_cmd) == ISCSI_BHS_LEN, "cmd");
static_assert(sizeof(struct iscsi_scsi_rsp) == ISCSI_BHS_LEN, "rsp");
static_assert(sizeof(struct iscsi_data_out) == ISCSI_BHS_LEN, "dout");
static_assert(sizeof(struct iscsi_data_in) == ISCSI_BHS_LEN, "din");
static_assert(sizeof(struct iscsi_r2t) == ISCSI_BHS_LEN, "r2t");
static_assert(sizeof(struct iscsi_nop_out) == ISCSI_BHS_LEN, "nopout");
static_assert(sizeof(struct iscsi_nop_in) == ISCSI_BHS_LEN, "nopin");
static_assert(sizeof(struct iscsi_tmf_req) == ISCSI_BHS_LEN, "tmfreq");
static_assert(sizeof(struct iscsi_tmf_rsp) == ISCSI_BHS_LEN, "tmfrsp");
static_assert(sizeof(struct iscsi_login_req) == ISCSI_BHS_LEN, "loginreq");
static_assert(sizeof(struct iscsi_login_rsp) == ISCSI_BHS_LEN, "loginrsp");
static_assert(sizeof(struct iscsi_text_req) == ISCSI_BHS_LEN, "textreq");
static_assert(sizeof(struct iscsi_text_rsp) == ISCSI_BHS_LEN, "textrsp");
static_assert(sizeof(struct iscsi_logout_req) == ISCSI_BHS_LEN, "logoutreq");
static_assert(sizeof(struct iscsi_logout_rsp) == ISCSI_BHS_LEN, "logoutrsp");
static_assert(sizeof(struct iscsi_reject) == ISCSI_BHS_LEN, "reject");
static_assert(sizeof(struct iscsi_async_msg) == ISCSI_BHS_LEN, "async");

#endif
