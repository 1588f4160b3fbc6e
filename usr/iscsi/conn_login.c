// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The connection side of the login phase: feeds Login Requests to
 * login_handle(), fills the sequence numbers and TSIH, and on the last step
 * binds the connection to a session (new, reinstated or continued).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "conn.h"

/* The initiator's MaxRecvDataSegmentLength is 8192 during login. */
#define LOGIN_RSP_MAX 8192u

static void login_fail(struct iscsi_login_rsp *rsp, struct pdu_tx *t,
		       uint16_t status)
{
	rsp->status_class = (uint8_t)(status >> 8);
	rsp->status_detail = (uint8_t)status;
	rsp->flags &=
		(uint8_t) ~(ISCSI_FLAG_LOGIN_TRANSIT |
			    ISCSI_FLAG_LOGIN_CONTINUE | ISCSI_LOGIN_NSG_MASK);
	t->dlen = 0;
}

/* Returns 0, or an ISCSI_LOGIN_* failure status. */
static uint16_t bind_session(struct iscsi_conn *c,
			     const struct iscsi_login_req *req)
{
	struct iscsi_login *lg = &c->login;
	uint16_t tsih = (uint16_t)get_be16(req->tsih);
	uint32_t cmdsn = get_be32(req->cmdsn);
	struct iscsi_session *s, *old;

	if (lg->type == ISCSI_SESSION_DISCOVERY) {
		s = session_create(lg, cmdsn);
	} else if (!lg->target) {
		return ISCSI_LOGIN_TARGET_ERROR;
	} else if (!tsih) {
		old = session_find_port(lg->initiator_name, lg->isid,
					lg->target);
		if (old) {
			log_info("session %u: reinstated by %s", old->tsih,
				 c->peer_str);
			session_close(old);
		}
		s = session_create(lg, cmdsn);
	} else {
		s = session_find_tsih(tsih);
		if (!s || s->target != lg->target ||
		    memcmp(s->isid, lg->isid, 6) ||
		    strcasecmp(s->initiator_name, lg->initiator_name))
			return ISCSI_LOGIN_NO_SESSION;
		if (s->conn && s->conn->cid != c->cid)
			return ISCSI_LOGIN_TOO_MANY_CONNS;
		if (s->conn) {
			/* Connection reinstatement: the old one's tasks end. */
			s->reinstating = true;
			conn_close(s->conn, "connection reinstated");
			s->reinstating = false;
		}
	}
	if (!s)
		return ISCSI_LOGIN_OUT_OF_RESOURCES;
	s->conn = c;
	c->sess = s;
	session_get(s);
	return 0;
}

static void enter_ffp(struct iscsi_conn *c)
{
	struct iscsi_params *p = &c->params;

	*p = c->login.params;
	if (!p->max_recv_dsl || p->max_recv_dsl > ISCSI_DSL_MAX)
		p->max_recv_dsl = 8192;
	if (!p->max_xmit_dsl || p->max_xmit_dsl > ISCSI_DSL_MAX)
		p->max_xmit_dsl = 8192;
	if (!p->max_burst)
		p->max_burst = 262144;
	if (p->first_burst > p->max_burst)
		p->first_burst = p->max_burst;
	if (!p->max_outstanding_r2t)
		p->max_outstanding_r2t = 1;
	if (p->max_outstanding_r2t > ISCSI_MAX_R2T)
		p->max_outstanding_r2t = ISCSI_MAX_R2T;
	c->state = CONN_FFP;
	c->rx.max_dlen = p->max_recv_dsl;
	c->rx.hdigest = p->header_digest;
	c->rx.ddigest = p->data_digest;
	loop_timer_cancel(&c->login_timer);
	nop_start(c);
}

void conn_login_pdu(struct iscsi_conn *c)
{
	const struct iscsi_login_req *req =
		(const struct iscsi_login_req *)c->rx.bhs;
	struct iscsi_login_rsp *rsp;
	enum login_result res;
	uint32_t rdlen = 0;
	struct pdu_tx *t;
	uint16_t status;

	if ((req->opcode & ISCSI_OPCODE_MASK) != ISCSI_OP_LOGIN_REQ) {
		conn_close(c, "non-login PDU during login");
		return;
	}
	if (!c->login_started) {
		login_init(&c->login, (const struct sockaddr *)&c->peer,
			   (const struct sockaddr *)&c->local, ISCSI_TPGT);
		c->login_started = true;
		c->stat_sn = get_be32(req->expstatsn);
		c->cid = (uint16_t)get_be16(req->cid);
	}
	c->login_cmdsn = get_be32(req->cmdsn);
	t = pdu_tx_new(ISCSI_OP_LOGIN_RSP);
	if (t)
		t->owned = malloc(LOGIN_RSP_MAX);
	if (!t || !t->owned) {
		pdu_tx_free(t);
		conn_close(c, "out of memory");
		return;
	}
	t->data = t->owned;
	rsp = (struct iscsi_login_rsp *)t->hdr;
	res = login_handle(&c->login, req, c->rx.data, c->rx.dlen, rsp,
			   t->owned, LOGIN_RSP_MAX, &rdlen);
	t->dlen = rdlen > LOGIN_RSP_MAX ? LOGIN_RSP_MAX : rdlen;
	rsp->opcode = ISCSI_OP_LOGIN_RSP;
	memcpy(rsp->tsih, req->tsih, 2);
	if (res == LOGIN_DONE) {
		status = bind_session(c, req);
		if (status) {
			log_warn("%s: login of %s refused (status %#06x)",
				 c->peer_str, c->login.initiator_name, status);
			login_fail(rsp, t, status);
			res = LOGIN_FAILED;
		} else {
			put_be16(rsp->tsih, c->sess->tsih);
		}
	}
	conn_set_statsn(c, t, true);
	conn_send(c, t, true);
	if (res == LOGIN_FAILED)
		conn_fail(c);
	else if (res == LOGIN_DONE)
		enter_ffp(c);
}
