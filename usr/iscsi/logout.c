// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logout (RFC 7143 11.14/11.15). With one connection per session and
 * ErrorRecoveryLevel 0, closing the connection and closing the session end
 * the same way; removing a connection for recovery is not supported.
 */
#include <string.h>

#include "core/log.h"
#include "conn.h"

void logout_handle(struct iscsi_conn *c, const uint8_t *bhs)
{
	const struct iscsi_logout_req *h = (const struct iscsi_logout_req *)bhs;
	uint8_t reason = h->flags & 0x7f;
	uint8_t response = ISCSI_LOGOUT_RSP_OK;
	struct iscsi_logout_rsp *r;
	struct pdu_tx *t;

	switch (reason) {
	case ISCSI_LOGOUT_CLOSE_SESSION:
		break;
	case ISCSI_LOGOUT_CLOSE_CONN:
		if (get_be16(h->cid) != c->cid)
			response = ISCSI_LOGOUT_RSP_NO_CID;
		break;
	case ISCSI_LOGOUT_REMOVE_CONN:
		response = ISCSI_LOGOUT_RSP_RECOVERY_UNSUPP;
		break;
	default:
		reject_send(c, bhs, ISCSI_REJECT_INVALID_PDU_FIELD);
		return;
	}
	t = pdu_tx_new(ISCSI_OP_LOGOUT_RSP);
	if (!t) {
		conn_close(c, "out of memory");
		return;
	}
	r = (struct iscsi_logout_rsp *)t->hdr;
	r->flags = ISCSI_FLAG_FINAL;
	r->response = response;
	memcpy(r->itt, h->itt, 4);
	put_be16(r->time2wait, c->params.default_time2wait);
	put_be16(r->time2retain, c->params.default_time2retain);
	conn_set_statsn(c, t, true);
	conn_send(c, t, true);
	if (response != ISCSI_LOGOUT_RSP_OK)
		return;
	log_info("%s: logout (reason %u)", c->peer_str, reason);
	/* Commands still running finish silently; the session ends with us. */
	c->state = CONN_LOGOUT;
	conn_fail(c);
}
