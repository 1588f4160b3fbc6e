/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Operational key negotiation (RFC 7143 sections 6.2, 13): the table of
 * keys we negotiate, how each result is computed, and per-target overrides.
 */
#ifndef TGTX_ISCSI_PARAMS_H
#define TGTX_ISCSI_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "core/target.h"
#include "login.h"

/* RFC 7143 range of the length keys: 512 to 2^24 - 1 */
#define ISCSI_DSL_MIN 512u
#define ISCSI_LEN_MAX 16777215u
/* Login PDUs carry at most this much data until MaxRecvDSL is declared */
#define ISCSI_LOGIN_DSL 8192u

enum param_id {
	P_HEADER_DIGEST,
	P_DATA_DIGEST,
	P_MAX_CONNECTIONS,
	P_INITIAL_R2T,
	P_IMMEDIATE_DATA,
	P_MAX_RECV_DSL,
	P_MAX_BURST,
	P_FIRST_BURST,
	P_TIME2WAIT,
	P_TIME2RETAIN,
	P_MAX_R2T,
	P_DATA_PDU_IN_ORDER,
	P_DATA_SEQ_IN_ORDER,
	P_ERL,
	P_IFMARKER,
	P_OFMARKER,
	P_IFMARKINT,
	P_OFMARKINT,
	P_TASK_REPORTING,
	P_PROTOCOL_LEVEL,
	P_RDMA_EXTENSIONS,
	P_NR
};

enum param_result {
	PARAM_ANSWERED, /* key handled; its answer (if any) was appended */
	PARAM_UNKNOWN,	/* not an operational key */
	PARAM_FAIL,	/* unacceptable value: the login must fail */
};

/* RFC defaults for every field (what applies when nothing is negotiated) */
void params_init(struct iscsi_params *p);

/*
 * Answers one operational key offered by the initiator, updating p. t may
 * be NULL (discovery); session-wide keys are Irrelevant in discovery
 * sessions. *negotiated collects (1 << enum param_id) of handled keys.
 */
enum param_result params_negotiate(struct iscsi_params *p,
				   const struct target *t, bool discovery,
				   const char *key, const char *value,
				   struct strbuf *out, uint64_t *negotiated);

/* The MaxRecvDataSegmentLength we declare (override or our default). */
uint32_t params_our_max_recv_dsl(const struct target *t);

/* Final consistency once the operational stage ends. */
void params_finish(struct iscsi_params *p);

#endif
