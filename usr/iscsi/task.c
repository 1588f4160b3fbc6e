// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SCSI Command PDUs become struct scsi_cmd here. Every Data-Out byte
 * (immediate, unsolicited, solicited by R2T) lands in one buffer of EDTL
 * bytes, received in place; reads are sent from the Data-In buffer by
 * reference. A task lives until its last PDU has left the socket.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "conn.h"

#define ISCSI_AHS_EXT_CDB 1

static void task_exec(struct iscsi_task *task);

struct iscsi_task *task_find(struct iscsi_conn *c, uint32_t itt)
{
	struct iscsi_task *task;

	list_for_each_entry (task, &c->tasks, node)
		if (task->itt == itt)
			return task;
	return NULL;
}

void task_free(struct iscsi_task *task)
{
	struct iscsi_conn *c = task->conn;

	list_del(&task->node);
	if (task->state != TASK_DONE)
		c->nr_active--;
	c->buf_bytes -= task->buf_len;
	free(task->buf);
	free(task);
}

void task_abort(struct iscsi_task *task)
{
	struct iscsi_conn *c = task->conn;

	list_del(&task->node);
	if (c->rx_task == task) {
		/* Its Data-Out is half received: the rest goes nowhere. */
		c->rx_task = NULL;
		if (pdu_rx_redirect(&c->rx))
			conn_fail(c);
	}
	if (task->state == TASK_SCSI)
		task->aborted = true; /* freed when the SCSI layer is done */
	else if (task->state == TASK_DATA_OUT)
		task_free(task);
}

void task_abort_all(struct iscsi_conn *c)
{
	struct iscsi_task *task, *n;

	c->rx_task = NULL;
	list_for_each_entry_safe (task, n, &c->tasks, node)
		task_abort(task);
}

static void task_release(struct pdu_tx *t)
{
	task_free(t->priv);
}

/* Fixed-format sense data (SPC-4 4.5.3). */
static void set_sense(struct scsi_cmd *cmd, uint8_t status, uint8_t key,
		      uint8_t asc, uint8_t ascq)
{
	cmd->status = status;
	memset(cmd->sense, 0, 18);
	cmd->sense[0] = 0x70;
	cmd->sense[2] = key;
	cmd->sense[7] = 10;
	cmd->sense[12] = asc;
	cmd->sense[13] = ascq;
	cmd->sense_len = status == SAM_STAT_CHECK_CONDITION ? 18 : 0;
	cmd->xfer_len = 0;
	cmd->data_in_len = 0;
}

struct residual {
	uint8_t flags;
	uint32_t count;
};

/* RFC 7143 11.4.5: residuals relative to ExpectedDataTransferLength. */
static struct residual compute_residual(const struct iscsi_task *task)
{
	const struct scsi_cmd *cmd = &task->cmd;
	struct residual r = {0, 0};
	uint32_t edtl = task->edtl;

	if (cmd->xfer_len > edtl) {
		r.flags = ISCSI_FLAG_OVERFLOW;
		r.count = cmd->xfer_len - edtl;
	} else if (task->read && cmd->data_in_len < edtl) {
		r.flags = ISCSI_FLAG_UNDERFLOW;
		r.count = edtl - cmd->data_in_len;
	} else if (!task->read && cmd->xfer_len < edtl) {
		r.flags = ISCSI_FLAG_UNDERFLOW;
		r.count = edtl - cmd->xfer_len;
	}
	return r;
}

static struct pdu_tx *data_in_pdu(struct iscsi_task *task, uint32_t off,
				  uint32_t len, uint32_t datasn, bool final)
{
	struct pdu_tx *t = pdu_tx_new(ISCSI_OP_DATA_IN);
	struct iscsi_data_in *h;

	if (!t)
		return NULL;
	h = (struct iscsi_data_in *)t->hdr;
	h->flags = final ? ISCSI_FLAG_FINAL : 0;
	memcpy(h->lun, task->lun, 8);
	put_be32(h->itt, task->itt);
	put_be32(h->ttt, ISCSI_RESERVED_TAG);
	put_be32(h->datasn, datasn);
	put_be32(h->offset, off);
	t->data = task->buf + off;
	t->dlen = len;
	return t;
}

static void send_response(struct iscsi_task *task)
{
	struct iscsi_conn *c = task->conn;
	struct scsi_cmd *cmd = &task->cmd;
	struct residual res = compute_residual(task);
	uint32_t sent = task->read ? cmd->data_in_len : 0;
	uint32_t off = 0, datasn = 0, seq = 0;
	uint32_t mxdsl = c->params.max_xmit_dsl;
	uint32_t burst = c->params.max_burst;
	bool collapse = sent && cmd->status == SAM_STAT_GOOD && !cmd->sense_len;
	struct iscsi_scsi_rsp *rh;
	struct pdu_tx *t;

	if (sent > task->edtl)
		sent = task->edtl;
	list_del(&task->node);
	task->state = TASK_DONE;
	c->nr_active--;
	while (off < sent) {
		uint32_t len = sent - off;
		bool last;

		if (len > mxdsl)
			len = mxdsl;
		if (len > burst - seq)
			len = burst - seq;
		last = off + len == sent;
		seq += len;
		t = data_in_pdu(task, off, len, datasn++, last || seq == burst);
		if (!t)
			goto oom;
		if (seq == burst)
			seq = 0;
		off += len;
		if (last && collapse) {
			struct iscsi_data_in *h =
				(struct iscsi_data_in *)t->hdr;

			h->flags |= ISCSI_FLAG_DATA_STATUS | res.flags;
			h->status = cmd->status;
			put_be32(h->residual, res.count);
			conn_set_statsn(c, t, true);
			t->release = task_release;
			t->priv = task;
		}
		conn_send(c, t, true);
	}
	if (collapse)
		return;
	t = pdu_tx_new(ISCSI_OP_SCSI_RSP);
	if (!t)
		goto oom;
	rh = (struct iscsi_scsi_rsp *)t->hdr;
	rh->flags = ISCSI_FLAG_FINAL | res.flags;
	rh->response = ISCSI_RSP_COMPLETED;
	rh->status = cmd->status;
	put_be32(rh->itt, task->itt);
	put_be32(rh->expdatasn, task->read ? datasn : task->r2tsn);
	put_be32(rh->residual, res.count);
	if (cmd->sense_len) {
		uint8_t sb[2 + SCSI_SENSE_MAX];
		uint32_t sl = cmd->sense_len;

		if (sl > SCSI_SENSE_MAX)
			sl = SCSI_SENSE_MAX;
		put_be16(sb, sl);
		memcpy(sb + 2, cmd->sense, sl);
		if (pdu_tx_copy_data(t, sb, sl + 2)) {
			pdu_tx_free(t);
			goto oom;
		}
	}
	conn_set_statsn(c, t, true);
	t->release = task_release;
	t->priv = task;
	conn_send(c, t, true);
	return;
oom:
	/* Queued Data-In PDUs point into task->buf: drop them with the conn. */
	log_err("%s: out of memory answering ITT %#x", c->peer_str, task->itt);
	list_init(&task->node);
	conn_close(c, "out of memory");
	task_free(task);
}

static void task_done(struct scsi_cmd *cmd)
{
	struct iscsi_task *task = cmd->transport_priv;
	struct iscsi_conn *c = task->conn;

	c->inflight--;
	if (task->aborted || c->state == CONN_CLOSED) {
		if (task->tmf)
			tmf_task_gone(task);
		task->state = TASK_DATA_OUT; /* still counted as active */
		task_free(task);
		conn_maybe_free(c);
		return;
	}
	send_response(task);
}

static void task_exec(struct iscsi_task *task)
{
	struct scsi_cmd *cmd = &task->cmd;
	struct iscsi_conn *c = task->conn;

	cmd->target = c->sess->target;
	cmd->nexus = &c->sess->nexus;
	cmd->data_out = task->write ? task->buf : NULL;
	cmd->data_out_len = task->write ? task->edtl : 0;
	cmd->data_in = task->read ? task->buf : NULL;
	cmd->data_in_cap = task->read ? task->edtl : 0;
	cmd->done = task_done;
	cmd->transport_priv = task;
	task->state = TASK_SCSI;
	c->inflight++;
	scsi_exec(cmd);
}

/* Answers a command without the SCSI layer (bad or too large request). */
static void task_fail(struct iscsi_task *task, uint8_t status, uint8_t key,
		      uint8_t asc, uint8_t ascq)
{
	set_sense(&task->cmd, status, key, asc, ascq);
	send_response(task);
}

static uint32_t alloc_ttt(struct iscsi_conn *c)
{
	uint32_t ttt = c->next_ttt++;

	if (ttt == ISCSI_RESERVED_TAG)
		ttt = c->next_ttt++;
	return ttt;
}

/* Solicits the rest of the data, MaxOutstandingR2T bursts at a time. */
static void send_r2ts(struct iscsi_task *task)
{
	struct iscsi_conn *c = task->conn;
	unsigned i;

	while (task->nr_r2t < c->params.max_outstanding_r2t &&
	       task->r2t_next < task->edtl) {
		struct iscsi_burst *b = NULL;
		struct iscsi_r2t *h;
		struct pdu_tx *t;
		uint32_t len = task->edtl - task->r2t_next;

		for (i = 0; i < ISCSI_MAX_R2T; i++) {
			if (!task->r2t[i].active) {
				b = &task->r2t[i];
				break;
			}
		}
		if (!b)
			return;
		if (len > c->params.max_burst)
			len = c->params.max_burst;
		t = pdu_tx_new(ISCSI_OP_R2T);
		if (!t) {
			conn_fail(c);
			return;
		}
		memset(b, 0, sizeof(*b));
		b->active = true;
		b->ttt = alloc_ttt(c);
		b->offset = task->r2t_next;
		b->next = b->offset;
		b->len = len;
		h = (struct iscsi_r2t *)t->hdr;
		h->flags = ISCSI_FLAG_FINAL;
		memcpy(h->lun, task->lun, 8);
		put_be32(h->itt, task->itt);
		put_be32(h->ttt, b->ttt);
		put_be32(h->r2tsn, task->r2tsn++);
		put_be32(h->offset, b->offset);
		put_be32(h->desired_len, len);
		conn_set_statsn(c, t, false);
		conn_send(c, t, true);
		task->r2t_next += len;
		task->nr_r2t++;
	}
}

static enum scsi_task_attr map_attr(uint8_t flags)
{
	switch (flags & ISCSI_FLAG_CMD_ATTR_MASK) {
	case 2:
		return SCSI_TASK_ORDERED;
	case 3:
		return SCSI_TASK_HEAD_OF_QUEUE;
	case 4:
		return SCSI_TASK_ACA;
	default:
		return SCSI_TASK_SIMPLE;
	}
}

static bool has_ext_cdb(const struct iscsi_conn *c)
{
	uint32_t off = 0;

	while (off + 4 <= c->rx.ahs_len) {
		uint32_t len = get_be16(c->rx.ahs + off);

		if (c->rx.ahs[off + 2] == ISCSI_AHS_EXT_CDB)
			return true;
		off += (3 + len + 3) & ~3u;
	}
	return false;
}

void task_scsi_cmd(struct iscsi_conn *c, const uint8_t *bhs,
		   const uint8_t *data, uint32_t dlen)
{
	const struct iscsi_scsi_cmd *h = (const struct iscsi_scsi_cmd *)bhs;
	struct iscsi_params *p = &c->params;
	struct iscsi_task *task;
	uint32_t edtl = get_be32(h->edtl);

	if (dlen && (!(h->flags & ISCSI_FLAG_CMD_WRITE) || dlen > edtl ||
		     !p->immediate_data || dlen > p->first_burst)) {
		reject_send(c, bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		return;
	}
	task = calloc(1, sizeof(*task));
	if (!task) {
		reject_send(c, bhs, ISCSI_REJECT_LONG_OP_REJECT);
		return;
	}
	task->conn = c;
	task->state = TASK_DATA_OUT;
	task->itt = get_be32(h->itt);
	task->cmdsn = get_be32(h->cmdsn);
	task->read = h->flags & ISCSI_FLAG_CMD_READ;
	task->write = h->flags & ISCSI_FLAG_CMD_WRITE;
	task->edtl = task->read || task->write ? edtl : 0;
	memcpy(task->lun, h->lun, 8);
	memcpy(task->cmd.lun_raw, h->lun, 8);
	memcpy(task->cmd.cdb, h->cdb, sizeof(h->cdb));
	task->cmd.cdb_len = sizeof(h->cdb);
	task->cmd.attr = map_attr(h->flags);
	task->cmd.tag = task->itt;
	task->cmd.target = c->sess->target;
	task->cmd.nexus = &c->sess->nexus;
	list_add_tail(&task->node, &c->tasks);
	c->nr_active++;

	if (task->read && task->write) {
		/* Bidirectional commands are not supported. */
		task->read = task->write = false;
		task->edtl = 0;
		task_fail(task, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			  0x24, 0);
		return;
	}
	if (has_ext_cdb(c)) {
		task_fail(task, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			  0x20, 0); /* INVALID COMMAND OPERATION CODE */
		return;
	}
	if (task->edtl > ISCSI_EDTL_MAX) {
		log_warn("%s: ITT %#x: EDTL %u exceeds %u", c->peer_str,
			 task->itt, task->edtl, ISCSI_EDTL_MAX);
		/* INVALID FIELD IN COMMAND INFORMATION UNIT */
		task_fail(task, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			  0x0e, 0x03);
		return;
	}
	if (task->edtl) {
		if (c->buf_bytes + task->edtl > ISCSI_CONN_BUF_BUDGET ||
		    !(task->buf = malloc(task->edtl))) {
			task_fail(task, SAM_STAT_TASK_SET_FULL, 0, 0, 0);
			return;
		}
		task->buf_len = task->edtl;
		c->buf_bytes += task->edtl;
	}
	if (!task->write) {
		task_exec(task);
		return;
	}
	if (dlen)
		memcpy(task->buf, data, dlen);
	task->received = dlen;
	task->unsol_end = dlen;
	if (!p->initial_r2t) {
		uint32_t fb = p->first_burst < task->edtl ? p->first_burst
							  : task->edtl;

		if (fb > dlen) {
			task->unsol_end = fb;
			task->unsol.active = true;
			task->unsol.ttt = ISCSI_RESERVED_TAG;
			task->unsol.offset = 0;
			task->unsol.len = fb;
			task->unsol.next = dlen;
			task->unsol.got = dlen;
		}
	}
	task->r2t_next = task->unsol_end;
	if (task->received >= task->edtl) {
		task_exec(task);
		return;
	}
	send_r2ts(task);
}

static struct iscsi_burst *find_burst(struct iscsi_task *task, uint32_t ttt)
{
	unsigned i;

	if (ttt == ISCSI_RESERVED_TAG)
		return task->unsol.active ? &task->unsol : NULL;
	for (i = 0; i < ISCSI_MAX_R2T; i++)
		if (task->r2t[i].active && task->r2t[i].ttt == ttt)
			return &task->r2t[i];
	return NULL;
}

void task_data_out_header(struct iscsi_conn *c)
{
	const struct iscsi_data_out *h =
		(const struct iscsi_data_out *)c->rx.bhs;
	uint32_t off = get_be32(h->offset), len = c->rx.dlen;
	struct iscsi_task *task;
	struct iscsi_burst *b;

	c->rx_task = NULL;
	c->rx_burst = NULL;
	task = task_find(c, get_be32(h->itt));
	if (!task || task->state != TASK_DATA_OUT)
		return;
	b = find_burst(task, get_be32(h->ttt));
	if (!b || get_be32(h->datasn) != b->datasn || off < b->offset ||
	    len > b->len || off - b->offset > b->len - len)
		return;
	if (c->params.data_pdu_in_order && off != b->next)
		return;
	c->rx_task = task;
	c->rx_burst = b;
	pdu_rx_set_data(&c->rx, task->buf + off);
}

void task_data_out_done(struct iscsi_conn *c)
{
	const struct iscsi_data_out *h =
		(const struct iscsi_data_out *)c->rx.bhs;
	struct iscsi_task *task = c->rx_task;
	struct iscsi_burst *b = c->rx_burst;
	uint32_t len = c->rx.dlen;

	c->rx_task = NULL;
	c->rx_burst = NULL;
	if (!task) {
		log_warn("%s: unexpected Data-Out ITT %#x TTT %#x offset %u",
			 c->peer_str, get_be32(h->itt), get_be32(h->ttt),
			 get_be32(h->offset));
		reject_send(c, c->rx.bhs, ISCSI_REJECT_PROTOCOL_ERROR);
		return;
	}
	b->datasn++;
	b->next = get_be32(h->offset) + len;
	b->got += len;
	task->received += len;
	if (b->got >= b->len) {
		b->active = false;
		if (b != &task->unsol)
			task->nr_r2t--;
	}
	if (task->received >= task->edtl && !task->unsol.active &&
	    !task->nr_r2t && task->r2t_next >= task->edtl) {
		task_exec(task);
		return;
	}
	if (!b->active && b != &task->unsol)
		send_r2ts(task);
}
