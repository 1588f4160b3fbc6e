// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Task management (RFC 7143 11.5). A command already inside the SCSI layer
 * cannot be recalled, so aborting it only suppresses its response; the TMF
 * response waits until every such command of this connection has come
 * back, which keeps the "no response after the TMF response" rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "conn.h"

struct iscsi_tmf_wait {
	struct iscsi_conn *conn;
	uint32_t itt;
	uint8_t response;
	bool cold_reset;
	unsigned pending;
};

static void close_target_sessions(struct target *t, struct iscsi_conn *keep)
{
	struct iscsi_session *s, *n;

	list_for_each_entry_safe (s, n, session_list(), node) {
		if (s->target != t)
			continue;
		if (keep && s->conn == keep)
			conn_fail(keep); /* after the TMF response is out */
		else
			session_close(s);
	}
}

static void tmf_send(struct iscsi_conn *c, uint32_t itt, uint8_t response,
		     bool cold_reset)
{
	struct iscsi_tmf_rsp *h;
	struct pdu_tx *t;

	if (c->state == CONN_CLOSED)
		return;
	t = pdu_tx_new(ISCSI_OP_TMF_RSP);
	if (!t) {
		conn_close(c, "out of memory");
		return;
	}
	h = (struct iscsi_tmf_rsp *)t->hdr;
	h->flags = ISCSI_FLAG_FINAL;
	h->response = response;
	put_be32(h->itt, itt);
	conn_set_statsn(c, t, true);
	conn_send(c, t, true);
	if (cold_reset && c->sess && c->sess->target)
		close_target_sessions(c->sess->target, c);
}

void tmf_task_gone(struct iscsi_task *task)
{
	struct iscsi_tmf_wait *w = task->tmf;

	task->tmf = NULL;
	if (--w->pending)
		return;
	tmf_send(w->conn, w->itt, w->response, w->cold_reset);
	free(w);
}

/* Aborts task on behalf of w (NULL: nobody waits for it). */
static void abort_one(struct iscsi_tmf_wait *w, struct iscsi_task *task)
{
	if (w && task->state == TASK_SCSI && task->conn == w->conn &&
	    !task->tmf) {
		task->tmf = w;
		w->pending++;
	}
	task_abort(task);
}

/* Aborts the tasks of every connection to t, on one LUN or all. */
static void abort_target(struct iscsi_tmf_wait *w, struct target *t,
			 const uint8_t *lun)
{
	struct iscsi_conn *c;
	struct iscsi_task *task, *n;

	list_for_each_entry (c, conn_list(), node) {
		if (!c->sess || c->sess->target != t)
			continue;
		list_for_each_entry_safe (task, n, &c->tasks, node)
			if (!lun || !memcmp(task->lun, lun, 8))
				abort_one(w, task);
	}
}

static void abort_conn_lun(struct iscsi_tmf_wait *w, struct iscsi_conn *c,
			   const uint8_t *lun)
{
	struct iscsi_task *task, *n;

	list_for_each_entry_safe (task, n, &c->tasks, node)
		if (!memcmp(task->lun, lun, 8))
			abort_one(w, task);
}

static uint8_t abort_task(struct iscsi_tmf_wait *w, struct iscsi_conn *c,
			  const struct iscsi_tmf_req *h)
{
	struct iscsi_task *task = task_find(c, get_be32(h->rtt));
	struct iscsi_session *s = c->sess;
	uint32_t ref = get_be32(h->refcmdsn);

	if (task) {
		abort_one(w, task);
		return ISCSI_TMF_RSP_COMPLETE;
	}
	/* RFC 7143 11.5.1: a command never received counts as aborted. */
	if (sn_le(s->exp_cmdsn, ref) && sn_le(ref, session_max_cmdsn(s)))
		return ISCSI_TMF_RSP_COMPLETE;
	return ISCSI_TMF_RSP_NO_TASK;
}

void tmf_handle(struct iscsi_conn *c, const uint8_t *bhs)
{
	const struct iscsi_tmf_req *h = (const struct iscsi_tmf_req *)bhs;
	struct target *t = c->sess->target;
	struct scsi_it_nexus *nx = &c->sess->nexus;
	uint64_t lun = scsi_lun_decode(h->lun);
	struct iscsi_tmf_wait *w;
	uint8_t fn = h->function & 0x7f;

	w = calloc(1, sizeof(*w));
	if (!w) {
		conn_close(c, "out of memory");
		return;
	}
	w->conn = c;
	w->itt = get_be32(h->itt);
	w->response = ISCSI_TMF_RSP_COMPLETE;
	w->pending = 1; /* ours, dropped below */
	log_dbg("%s: TMF function %u LUN %llu", c->peer_str, fn,
		(unsigned long long)lun);

	switch (fn) {
	case ISCSI_TMF_ABORT_TASK:
		w->response = abort_task(w, c, h);
		break;
	case ISCSI_TMF_ABORT_TASK_SET:
		abort_conn_lun(w, c, h->lun);
		scsi_tmf(t, nx, SCSI_TMF_ABORT_TASK_SET, lun);
		break;
	case ISCSI_TMF_CLEAR_TASK_SET:
		abort_target(w, t, h->lun);
		scsi_tmf(t, nx, SCSI_TMF_CLEAR_TASK_SET, lun);
		break;
	case ISCSI_TMF_LUN_RESET:
		if (scsi_tmf(t, nx, SCSI_TMF_LUN_RESET, lun) == -ENOENT) {
			w->response = ISCSI_TMF_RSP_NO_LUN;
			break;
		}
		abort_target(w, t, h->lun);
		break;
	case ISCSI_TMF_TARGET_WARM_RESET:
		abort_target(w, t, NULL);
		scsi_tmf(t, nx, SCSI_TMF_TARGET_WARM_RESET, 0);
		break;
	case ISCSI_TMF_TARGET_COLD_RESET:
		abort_target(w, t, NULL);
		scsi_tmf(t, nx, SCSI_TMF_TARGET_COLD_RESET, 0);
		w->cold_reset = true;
		break;
	case ISCSI_TMF_TASK_REASSIGN:
		/* ErrorRecoveryLevel 0: no allegiance reassignment */
		w->response = ISCSI_TMF_RSP_TASK_ALLEGIANT;
		break;
	default:
		w->response = ISCSI_TMF_RSP_NOT_SUPPORTED;
		break;
	}
	if (--w->pending)
		return;
	tmf_send(c, w->itt, w->response, w->cold_reset);
	free(w);
}
