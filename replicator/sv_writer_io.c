// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share writer I/O: blocking steps over the asynchronous device, the
 * superblock write (double-buffered by generation), slot writes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sv_writer_priv.h"
#include "sv_priv.h"

struct wop {
	int done, err;
};

uint64_t svw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void wop_cb(void *arg, int err)
{
	struct wop *o = arg;

	o->err = err;
	o->done = 1;
}

void svw_op_done(struct sv_writer *w, int err)
{
	w->inflight--;
	if (err && !w->err)
		w->err = err;
}

/*
 * Polls until the operation completes. The device guarantees that every
 * operation completes (with -ETIMEDOUT at worst) by its own deadline, so
 * this never waits forever and never returns with o still referenced.
 */
static int wait_op(struct sv_writer *w, struct wop *o, const char *what,
		   struct sv_status *st)
{
	while (!o->done)
		w->dev->ops->poll(w->dev->priv, 100);
	if (o->err)
		return sv_fail(st,
			       o->err == -ETIMEDOUT ? SV_E_TIMEOUT : SV_E_IO,
			       o->err, "%s failed (%d)", what, o->err);
	return 0;
}

int svw_blocking(struct sv_writer *w, int op, uint64_t off, void *buf,
		 size_t len, const char *what, struct sv_status *st)
{
	struct wop o = {0};
	int ret;

	if (op == 0)
		ret = w->dev->ops->read(w->dev->priv, off, buf, len, wop_cb,
					&o);
	else if (op == 1)
		ret = w->dev->ops->write(w->dev->priv, off, buf, len, wop_cb,
					 &o);
	else
		ret = w->dev->ops->sync(w->dev->priv, wop_cb, &o);
	if (ret)
		return sv_fail(st, SV_E_IO, ret, "%s: submit failed (%d)", what,
			       ret);
	return wait_op(w, &o, what, st);
}

int svw_bread(struct sv_writer *w, uint64_t off, void *buf, size_t len,
	      struct sv_status *st)
{
	return svw_blocking(w, 0, off, buf, len, "read", st);
}

int svw_bsync(struct sv_writer *w, struct sv_status *st)
{
	return svw_blocking(w, 2, 0, NULL, 0, "SYNCHRONIZE CACHE", st);
}

/*
 * Writes the next superblock generation into the copy not holding the
 * current one, then flushes: the current copy stays intact until the new
 * one is durable, so a torn write leaves the previous state.
 */
int svw_write_super(struct sv_writer *w, struct sv_info *next,
		    struct sv_status *st)
{
	int ret;

	next->gen = w->info.gen + 1;
	next->write_ns = svw_now_ns();
	memset(w->sbbuf, 0, w->info.align);
	sv_super_encode(next, w->sbbuf);
	ret = svw_blocking(w, 1, (next->gen % 2) * SV_SUPER_AREA, w->sbbuf,
			   w->info.align, "superblock write", st);
	if (!ret)
		ret = svw_bsync(w, st);
	if (!ret)
		w->info = *next;
	return ret;
}

struct slot_op {
	struct sv_writer *w;
	uint8_t *buf;
};

static void slot_cb(void *arg, int err)
{
	struct slot_op *s = arg;

	s->w->slots--;
	svw_op_done(s->w, err);
	free(s->buf);
	free(s);
}

int svw_wait_slots(struct sv_writer *w, unsigned below)
{
	while (w->slots >= below && w->slots)
		w->dev->ops->poll(w->dev->priv, 100);
	return w->err;
}

/* Writes count adjacent slots from lba on, from buf (count * slot_size
 * bytes, aligned_alloc'd), which the write then owns. */
int svw_submit_slots(struct sv_writer *w, uint64_t lba, uint8_t *buf,
		     size_t count, struct sv_status *st)
{
	struct slot_op *s;
	int ret;

	ret = svw_wait_slots(w, w->cfg.window);
	if (!ret && !(s = calloc(1, sizeof(*s))))
		ret = -ENOMEM;
	if (ret) {
		free(buf);
		return sv_fail(st, ret == -ENOMEM ? SV_E_NOMEM : SV_E_IO, ret,
			       "slot write failed (%d)", ret);
	}
	s->w = w;
	s->buf = buf;
	ret = w->dev->ops->write(w->dev->priv, sv_slot_off(&w->info, lba),
				 s->buf, count * w->info.slot_size, slot_cb, s);
	if (ret) {
		free(s->buf);
		free(s);
		return sv_fail(st, SV_E_IO, ret, "slot write submit (%d)", ret);
	}
	w->slots++;
	w->inflight++;
	return 0;
}

uint8_t *svw_slot_buf(struct sv_writer *w, size_t count)
{
	return aligned_alloc(4096, sv_roundup(count * w->info.slot_size, 4096));
}

int svw_write_slot(struct sv_writer *w, uint64_t lba, uint64_t gen,
		   uint64_t seq, const uint8_t *share, struct sv_status *st)
{
	uint8_t *buf = svw_slot_buf(w, 1);

	if (!buf)
		return sv_fail(st, SV_E_NOMEM, -ENOMEM, "slot buffer");
	sv_slot_encode(&w->info, buf, lba, gen, seq, share);
	return svw_submit_slots(w, lba, buf, 1, st);
}

/* Reads a journal record back from the peer and checks it is the one we
 * wrote there (the peer's bytes are not trusted). */
