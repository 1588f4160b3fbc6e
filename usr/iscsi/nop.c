// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NOP-Out/NOP-In: answering initiator pings and our own keepalive. An idle
 * connection gets a NOP-In every nop_interval seconds (target parameter,
 * default 30, 0 disables); one left unanswered until the next tick means
 * the peer is gone and the connection is dropped, so dead initiators do not
 * hold sessions (and reservations) forever.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "conn.h"

void nop_out_handle(struct iscsi_conn *c, const uint8_t *bhs,
		    const uint8_t *data, uint32_t dlen)
{
	const struct iscsi_nop_out *h = (const struct iscsi_nop_out *)bhs;
	uint32_t itt = get_be32(h->itt);
	struct iscsi_nop_in *r;
	struct pdu_tx *t;

	if (itt == ISCSI_RESERVED_TAG) {
		/* An answer to our NOP-In (or a no-op): nothing to send. */
		if (get_be32(h->ttt) == c->nop_ttt)
			c->nop_outstanding = false;
		return;
	}
	t = pdu_tx_new(ISCSI_OP_NOP_IN);
	if (!t) {
		conn_close(c, "out of memory");
		return;
	}
	if (dlen > c->params.max_xmit_dsl)
		dlen = c->params.max_xmit_dsl;
	if (pdu_tx_copy_data(t, data, dlen)) {
		pdu_tx_free(t);
		conn_close(c, "out of memory");
		return;
	}
	r = (struct iscsi_nop_in *)t->hdr;
	r->flags = ISCSI_FLAG_FINAL;
	memcpy(r->lun, h->lun, 8);
	put_be32(r->itt, itt);
	put_be32(r->ttt, ISCSI_RESERVED_TAG);
	conn_set_statsn(c, t, true);
	conn_send(c, t, true);
}

static void nop_tick(struct loop_timer *tm)
{
	struct iscsi_conn *c = container_of(tm, struct iscsi_conn, nop_timer);
	struct iscsi_nop_in *r;
	struct pdu_tx *t;

	if (c->state != CONN_FFP)
		return;
	if (c->nop_outstanding && !c->rx_activity) {
		conn_close(c, "NOP-In ping not answered");
		return;
	}
	loop_timer_arm(&c->nop_timer, c->nop_interval_ms);
	if (c->rx_activity) {
		c->rx_activity = false;
		c->nop_outstanding = false;
		return;
	}
	t = pdu_tx_new(ISCSI_OP_NOP_IN);
	if (!t)
		return;
	c->nop_ttt = c->next_ttt++;
	if (c->nop_ttt == ISCSI_RESERVED_TAG)
		c->nop_ttt = c->next_ttt++;
	r = (struct iscsi_nop_in *)t->hdr;
	r->flags = ISCSI_FLAG_FINAL;
	put_be32(r->itt, ISCSI_RESERVED_TAG);
	put_be32(r->ttt, c->nop_ttt);
	conn_set_statsn(c, t, false);
	conn_send(c, t, true);
	c->nop_outstanding = true;
}

void nop_start(struct iscsi_conn *c)
{
	const char *v = NULL;
	long secs = ISCSI_NOP_INTERVAL_S;

	if (c->sess && c->sess->target)
		v = target_param_get(c->sess->target, "nop_interval");
	if (v) {
		char *end;
		long n = strtol(v, &end, 10);

		if (!*end && n >= 0 && n <= 3600)
			secs = n;
	}
	loop_timer_init(&c->nop_timer, nop_tick);
	c->nop_interval_ms = (uint32_t)secs * 1000;
	if (secs)
		loop_timer_arm(&c->nop_timer, c->nop_interval_ms);
}
