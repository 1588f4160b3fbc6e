// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text Requests in full feature phase (RFC 7143 11.10): SendTargets, and
 * NotUnderstood for anything else. Answers longer than the initiator's
 * MaxRecvDataSegmentLength go out in pieces, each continued by the
 * initiator echoing our Target Transfer Tag.
 */
#include <string.h>

#include "core/log.h"
#include "conn.h"

/* A text exchange larger than this is not a legitimate discovery. */
#define TEXT_IN_MAX 65536

static void text_reset(struct iscsi_conn *c)
{
	strbuf_reset(&c->text_in);
	strbuf_reset(&c->text_out);
	c->text_off = 0;
	c->text_ttt = ISCSI_RESERVED_TAG;
}

static uint32_t new_ttt(struct iscsi_conn *c)
{
	uint32_t ttt = c->next_ttt++;

	if (ttt == ISCSI_RESERVED_TAG)
		ttt = c->next_ttt++;
	return ttt;
}

static void send_piece(struct iscsi_conn *c, const uint8_t *bhs)
{
	const struct iscsi_text_req *q = (const struct iscsi_text_req *)bhs;
	size_t left = c->text_out.len - c->text_off;
	uint32_t len = left > c->params.max_xmit_dsl ? c->params.max_xmit_dsl
						     : (uint32_t)left;
	bool more = left > len;
	struct iscsi_text_rsp *h;
	struct pdu_tx *t;

	t = pdu_tx_new(ISCSI_OP_TEXT_RSP);
	if (!t ||
	    (len && pdu_tx_copy_data(t, c->text_out.buf + c->text_off, len))) {
		pdu_tx_free(t);
		conn_close(c, "out of memory");
		return;
	}
	h = (struct iscsi_text_rsp *)t->hdr;
	h->flags = more ? ISCSI_FLAG_TEXT_CONTINUE : ISCSI_FLAG_FINAL;
	memcpy(h->lun, q->lun, 8);
	put_be32(h->itt, c->text_itt);
	if (more) {
		c->text_ttt = new_ttt(c);
		c->text_off += len;
	}
	put_be32(h->ttt, more ? c->text_ttt : ISCSI_RESERVED_TAG);
	conn_set_statsn(c, t, true);
	conn_send(c, t, true);
	if (!more)
		text_reset(c);
}

/* More request text follows: an empty, non-final piece asks for it. */
static void send_ack(struct iscsi_conn *c, const uint8_t *bhs)
{
	const struct iscsi_text_req *q = (const struct iscsi_text_req *)bhs;
	struct iscsi_text_rsp *h;
	struct pdu_tx *t = pdu_tx_new(ISCSI_OP_TEXT_RSP);

	if (!t) {
		conn_close(c, "out of memory");
		return;
	}
	h = (struct iscsi_text_rsp *)t->hdr;
	memcpy(h->lun, q->lun, 8);
	put_be32(h->itt, c->text_itt);
	c->text_ttt = new_ttt(c);
	put_be32(h->ttt, c->text_ttt);
	conn_set_statsn(c, t, true);
	conn_send(c, t, true);
}

static void answer_key(struct iscsi_conn *c, const char *kv, size_t len)
{
	const char *eq = memchr(kv, '=', len);
	size_t klen = eq ? (size_t)(eq - kv) : len;
	char value[TGTX_NAME_MAX];
	size_t vlen;

	if (!klen)
		return;
	if (eq && klen == 11 && !memcmp(kv, "SendTargets", 11)) {
		vlen = len - klen - 1;
		if (vlen >= sizeof(value))
			vlen = sizeof(value) - 1;
		memcpy(value, eq + 1, vlen);
		value[vlen] = 0;
		login_sendtargets(value, c->sess->initiator_name,
				  (const struct sockaddr *)&c->peer,
				  (const struct sockaddr *)&c->local,
				  ISCSI_TPGT, &c->text_out);
		return;
	}
	if (klen > 63)
		klen = 63;
	strbuf_add(&c->text_out, kv, klen);
	strbuf_add(&c->text_out, "=NotUnderstood", 15); /* with the NUL */
}

static void answer(struct iscsi_conn *c)
{
	const char *p = c->text_in.buf, *end = p + c->text_in.len;

	strbuf_reset(&c->text_out);
	c->text_off = 0;
	while (p && p < end) {
		const char *nul = memchr(p, 0, (size_t)(end - p));
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);

		answer_key(c, p, len);
		p += len + 1;
	}
	strbuf_reset(&c->text_in);
}

void text_handle(struct iscsi_conn *c, const uint8_t *bhs, const uint8_t *data,
		 uint32_t dlen)
{
	const struct iscsi_text_req *h = (const struct iscsi_text_req *)bhs;
	uint32_t itt = get_be32(h->itt), ttt = get_be32(h->ttt);

	if (ttt != ISCSI_RESERVED_TAG) {
		if (ttt != c->text_ttt || itt != c->text_itt) {
			reject_send(c, bhs, ISCSI_REJECT_INVALID_PDU_FIELD);
			text_reset(c);
			return;
		}
		if (c->text_out.len > c->text_off) {
			send_piece(c, bhs);
			return;
		}
	} else {
		text_reset(c); /* a new exchange replaces an unfinished one */
	}
	c->text_itt = itt;
	if (c->text_in.len + dlen > TEXT_IN_MAX) {
		reject_send(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		text_reset(c);
		return;
	}
	strbuf_add(&c->text_in, data, dlen);
	if (h->flags & ISCSI_FLAG_TEXT_CONTINUE) {
		send_ack(c, bhs);
		return;
	}
	answer(c);
	send_piece(c, bhs);
}
