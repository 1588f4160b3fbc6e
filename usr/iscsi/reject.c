// SPDX-License-Identifier: GPL-2.0-or-later
/* Reject PDUs (RFC 7143 11.17): the offending header goes back as data. */
#include <string.h>

#include "core/log.h"
#include "conn.h"

void reject_send(struct iscsi_conn *c, const uint8_t *bhs, uint8_t reason)
{
	struct iscsi_reject *h;
	struct pdu_tx *t;

	log_dbg("%s: reject opcode %#x reason %#x", c->peer_str, bhs[0],
		reason);
	t = pdu_tx_new(ISCSI_OP_REJECT);
	if (!t || pdu_tx_copy_data(t, bhs, ISCSI_BHS_LEN)) {
		pdu_tx_free(t);
		conn_close(c, "out of memory");
		return;
	}
	h = (struct iscsi_reject *)t->hdr;
	h->flags = ISCSI_FLAG_FINAL;
	h->reason = reason;
	put_be32(h->ffffffff, ISCSI_RESERVED_TAG);
	conn_set_statsn(c, t, true);
	conn_send(c, t, true);
}
