// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Peer commands: READ(16)/WRITE(16)/SYNCHRONIZE CACHE(16) pipelined over one
 * libiscsi session, each with a deadline, under a window and a byte rate;
 * the struct sv_dev the share writer drives.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "peer_priv.h"

static void flight_unlink(struct peer *p, struct pop *o)
{
	if (o->prev)
		o->prev->next = o->next;
	else
		p->flight = o->next;
	if (o->next)
		o->next->prev = o->prev;
	o->next = o->prev = NULL;
	p->nflight--;
}

static void task_cb(struct iscsi_context *iscsi, int status, void *data,
		    void *priv)
{
	struct pop *o = priv;
	struct peer *p = o->p;
	struct scsi_task *task = data;
	int err = 0;

	(void)iscsi;
	flight_unlink(p, o);
	if (status == SCSI_STATUS_CANCELLED)
		err = p->break_err ? p->break_err : -ECONNRESET;
	else if (status != SCSI_STATUS_GOOD)
		err = -EIO;
	if (!err && o->type == POP_READ && o->iov.iov_base) {
		/* data went straight into the buffer: the target must
		 * have sent all of it */
		if (!task ||
		    (task->residual_status == SCSI_RESIDUAL_UNDERFLOW &&
		     task->residual))
			err = -EIO;
	} else if (!err && o->type == POP_READ) {
		uint64_t start = o->off / p->block_size * p->block_size;

		if (!task || task->datain.size < 0 ||
		    (size_t)task->datain.size < o->off - start + o->len)
			err = -EIO;
		else
			memcpy(o->buf, task->datain.data + (o->off - start),
			       o->len);
	}
	if (err) {
		p->stats.errors++;
	} else if (o->type == POP_WRITE) {
		p->stats.bytes_written += o->len;
	} else if (o->type == POP_READ) {
		p->stats.bytes_read += o->len;
	}
	if (task)
		scsi_free_scsi_task(task);
	o->cb(o->arg, err);
	free(o);
}

static int submit_one(struct peer *p, struct pop *o)
{
	uint32_t bs = p->block_size;
	uint64_t start, end;
	struct scsi_task *t = NULL;

	switch (o->type) {
	case POP_WRITE:
		t = iscsi_write16_task(p->iscsi, p->lun, o->off / bs, o->buf,
				       (uint32_t)o->len, (int)bs, 0, 0, 0, 0, 0,
				       task_cb, o);
		break;
	case POP_READ:
		/* Reads need not be aligned (a share inside a record): read
		 * the covering blocks, copy the part asked for. */
		start = o->off / bs * bs;
		end = (o->off + o->len + bs - 1) / bs * bs;
		if (start == o->off && end == o->off + o->len) {
			/* libiscsi would gather the Data-In PDUs into a
			 * buffer it grows with realloc (quadratic copying
			 * for MiB-sized reads) and we would copy it once
			 * more: let it place them in the caller's buffer */
			o->iov.iov_base = o->buf;
			o->iov.iov_len = o->len;
			t = iscsi_read16_iov_task(
				p->iscsi, p->lun, start / bs, (uint32_t)o->len,
				(int)bs, 0, 0, 0, 0, 0, task_cb, o, &o->iov, 1);
			break;
		}
		t = iscsi_read16_task(p->iscsi, p->lun, start / bs,
				      (uint32_t)(end - start), (int)bs, 0, 0, 0,
				      0, 0, task_cb, o);
		break;
	case POP_SYNC:
		t = iscsi_synchronizecache16_task(p->iscsi, p->lun, 0, 0, 0, 0,
						  task_cb, o);
		break;
	}
	if (!t)
		return -EIO;
	o->task = t;
	o->deadline_ns =
		loop_now_ns() + (uint64_t)p->cfg.op_timeout_ms * 1000000ULL;
	o->prev = NULL;
	o->next = p->flight;
	if (p->flight)
		p->flight->prev = o;
	p->flight = o;
	p->nflight++;
	p->stats.commands++;
	return 0;
}

/* Submits queued commands while the window and the rate allow. */
static int pump_queue(struct peer *p)
{
	p->rate_wait_ms = 0;
	while (p->queue_head && p->nflight < p->cfg.window) {
		struct pop *o = p->queue_head;
		int wait = 0;

		if (o->type != POP_SYNC)
			wait = peer_bucket_take(&p->bucket, o->len,
						loop_now_ns());
		if (wait) {
			p->rate_wait_ms = wait;
			break;
		}
		p->queue_head = o->next;
		if (!p->queue_head)
			p->queue_tail = NULL;
		o->next = NULL;
		if (submit_one(p, o)) {
			/* put it back: it fails with the session */
			o->next = p->queue_head;
			p->queue_head = o;
			if (!p->queue_tail)
				p->queue_tail = o;
			peer_disconnect(p, -EIO);
			return -EIO;
		}
	}
	return 0;
}

void peer_disconnect(struct peer *p, int err)
{
	struct pop *o;

	p->break_err = err;
	if (p->iscsi) {
		/* Runs task_cb for each command in flight (CANCELLED). */
		iscsi_scsi_cancel_all_tasks(p->iscsi);
		iscsi_destroy_context(p->iscsi);
		p->iscsi = NULL;
	}
	peer_tls_close(p);
	while (p->flight) { /* should be none left */
		o = p->flight;
		flight_unlink(p, o);
		o->cb(o->arg, err);
		free(o);
	}
	while ((o = p->queue_head)) {
		p->queue_head = o->next;
		o->cb(o->arg, err);
		free(o);
	}
	p->queue_tail = NULL;
	p->connected = false;
	p->break_err = 0;
}

int peer_service(struct peer *p, int timeout_ms)
{
	struct pollfd pfd;
	uint64_t now;
	struct pop *o;
	int t = timeout_ms, ret;

	if (!p->connected)
		return -ENOTCONN;
	if (pump_queue(p))
		return -EIO;
	now = loop_now_ns();
	for (o = p->flight; o; o = o->next) {
		int left = o->deadline_ns > now
				   ? (int)((o->deadline_ns - now) / 1000000) + 1
				   : 0;

		if (left < t)
			t = left;
	}
	if (p->rate_wait_ms && p->rate_wait_ms < t)
		t = p->rate_wait_ms;
	pfd.fd = iscsi_get_fd(p->iscsi);
	pfd.events = (short)iscsi_which_events(p->iscsi);
	pfd.revents = 0;
	ret = poll(&pfd, 1, t < 0 ? 0 : t);
	if (ret < 0 && errno != EINTR) {
		peer_disconnect(p, -errno);
		return -EIO;
	}
	if (iscsi_service(p->iscsi, ret > 0 ? pfd.revents : 0) < 0) {
		peer_disconnect(p, -ECONNRESET);
		return -ECONNRESET;
	}
	/* A command past its deadline: the peer is stalled or gone. The
	 * session is dropped so nothing waits on it any longer. */
	now = loop_now_ns();
	for (o = p->flight; o; o = o->next)
		if (now > o->deadline_ns) {
			p->stats.timeouts++;
			peer_disconnect(p, -ETIMEDOUT);
			return -ETIMEDOUT;
		}
	if (pump_queue(p))
		return -EIO;
	return 0;
}

static int enqueue(struct peer *p, enum pop_type type, uint64_t off, void *buf,
		   size_t len, sv_io_cb cb, void *arg)
{
	struct pop *o;

	if (!p->connected)
		return -ENOTCONN;
	if (type != POP_SYNC && (off > p->capacity || len > p->capacity - off ||
				 !len || len > UINT32_MAX - p->block_size))
		return -EINVAL;
	if (type == POP_WRITE && (off % p->block_size || len % p->block_size))
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	*o = (struct pop){.p = p,
			  .type = type,
			  .off = off,
			  .len = len,
			  .buf = buf,
			  .cb = cb,
			  .arg = arg};
	if (p->queue_tail)
		p->queue_tail->next = o;
	else
		p->queue_head = o;
	p->queue_tail = o;
	return 0;
}

static int d_write(void *priv, uint64_t off, const void *buf, size_t len,
		   sv_io_cb cb, void *arg)
{
	return enqueue(priv, POP_WRITE, off, (void *)buf, len, cb, arg);
}

static int d_read(void *priv, uint64_t off, void *buf, size_t len, sv_io_cb cb,
		  void *arg)
{
	return enqueue(priv, POP_READ, off, buf, len, cb, arg);
}

static int d_sync(void *priv, sv_io_cb cb, void *arg)
{
	return enqueue(priv, POP_SYNC, 0, NULL, 0, cb, arg);
}

static int d_poll(void *priv, int timeout_ms)
{
	return peer_service(priv, timeout_ms);
}

const struct sv_dev_ops peer_dev_ops = {
	.write = d_write,
	.read = d_read,
	.sync = d_sync,
	.poll = d_poll,
};

struct sread {
	int done, err;
};

static void sread_cb(void *arg, int err)
{
	struct sread *s = arg;

	s->err = err;
	s->done = 1;
}

int peer_read_sync(void *arg, uint64_t off, void *buf, size_t len)
{
	struct peer *p = arg;
	struct sread s = {0};
	int ret = enqueue(p, POP_READ, off, buf, len, sread_cb, &s);

	if (ret)
		return ret;
	/* Terminates: the command completes or misses its deadline, which
	 * drops the session and fails it. */
	while (!s.done)
		peer_service(p, 1000);
	return s.err;
}

struct sv_dev *peer_dev(struct peer *p)
{
	return &p->dev;
}

void peer_get_stats(const struct peer *p, struct peer_stats *s)
{
	*s = p->stats;
}
