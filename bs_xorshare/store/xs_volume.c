// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The volume thread: writes logged batches to the volume in log order, one
 * at a time (overlapping writes land in log order without range tracking),
 * flushes the volume when a request asks for durability, and completes the
 * batch through the event loop's eventfd.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bs_xorshare_priv.h"
#include "core/fileio.h"
#include "core/log.h"
#include "bs_xorshare/log/sl_pio.h"

/* Smaller batches are written by the writer itself when the ring is empty. */
#define XS_INLINE_BYTES (256U << 10)

int xs_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread_upto(fd, buf, len, off);

	if (n < 0)
		return (int)n;
	/* past the end of the file reads as zeroes */
	memset((uint8_t *)buf + n, 0, len - (size_t)n);
	return 0;
}

void xs_set_req_error(struct bs_req *req, int err)
{
	if (req && !req->bs_u64)
		req->bs_u64 = (uint64_t)(int64_t)err;
}

void xs_apply_list(struct xs_dev *xd, struct xs_apply *list, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		struct xs_apply *a = &list[i];
		int ret;

		if (a->type == SL_REC_WRITE)
			ret = sl_pwrite(xd->vol_fd, a->src, a->len, a->offset);
		else
			ret = sl_zero_range(xd->vol_fd, a->offset, a->len);
		if (ret) {
			log_err("%s: volume write at %" PRIu64 ": %s",
				xd->dev->label, a->offset, strerror(-ret));
			xs_set_req_error(a->req, -EIO);
		}
		if (a->own_src)
			free((void *)a->src);
	}
}

void xs_post_done(struct xs_dev *xd, struct bs_req **batch, unsigned nr)
{
	uint64_t one = 1;

	if (!nr)
		return;
	pthread_mutex_lock(&xd->mu);
	for (unsigned i = 0; i < nr; i++) {
		struct bs_req *r = batch[i];

		r->bs_priv = NULL;
		if (xd->doneq.tail)
			xd->doneq.tail->bs_priv = r;
		else
			xd->doneq.head = r;
		xd->doneq.tail = r;
	}
	pthread_mutex_unlock(&xd->mu);
	if (write(xd->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_err("%s: eventfd: %s", xd->dev->label, strerror(errno));
}

static void run_vjob(struct xs_dev *xd, struct xs_vjob *j)
{
	xs_apply_list(xd, j->pend, j->nr_pend);
	j->nr_pend = 0;
	/*
	 * FUA, SYNCHRONIZE CACHE and WCE=0 ask for the volume on stable
	 * storage; the log need not be: the extent is in the durable activity
	 * log, so a crash re-logs it from the volume.
	 */
	if (j->need_sync) {
		int ret = sl_fdatasync(xd->vol_fd);

		if (ret) {
			log_err("%s: volume fdatasync: %s", xd->dev->label,
				strerror(-ret));
			for (unsigned i = 0; i < j->nr; i++)
				xs_set_req_error(j->reqs[i], -EIO);
		}
	}
	/* volume and map hold the batch: a resync reader may use them */
	sharelog_set_applied(xd->sl, j->seq);
	sharelog_publish_progress(xd->sl, false);
	xs_post_done(xd, j->reqs, j->nr);
	j->nr = 0;
}

void *xs_volume_main(void *arg)
{
	struct xs_dev *xd = arg;

	pthread_mutex_lock(&xd->vmu);
	for (;;) {
		struct xs_vjob *j;

		while (!xd->vcount && !xd->vstop) {
			struct timespec ts;

			if (!sharelog_progress_pending(xd->sl)) {
				pthread_cond_wait(&xd->vcond, &xd->vmu);
				continue;
			}
			/* a progress write held back by its rate limit */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 2000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&xd->vcond, &xd->vmu, &ts);
			if (!xd->vcount)
				sharelog_publish_progress(xd->sl, false);
		}
		if (!xd->vcount)
			break;
		/* the slot stays counted (owned by us) until it is written */
		j = &xd->vjobs[xd->vhead];
		pthread_mutex_unlock(&xd->vmu);
		run_vjob(xd, j);
		pthread_mutex_lock(&xd->vmu);
		xd->vhead = (xd->vhead + 1) % XS_VQ_DEPTH;
		xd->vcount--;
		pthread_cond_broadcast(&xd->vfree);
	}
	pthread_mutex_unlock(&xd->vmu);
	return NULL;
}

struct xs_vjob *xs_vjob_get(struct xs_dev *xd)
{
	struct xs_vjob *j;

	pthread_mutex_lock(&xd->vmu);
	while (xd->vcount == XS_VQ_DEPTH)
		pthread_cond_wait(&xd->vfree, &xd->vmu);
	j = &xd->vjobs[(xd->vhead + xd->vcount) % XS_VQ_DEPTH];
	pthread_mutex_unlock(&xd->vmu);
	return j;
}

/*
 * Hands a logged batch to the volume thread. A small batch with nothing
 * queued before it is written right here: order is kept all the same, and
 * a 4 KiB write does not pay a second thread wake-up.
 */
void xs_vjob_publish(struct xs_dev *xd, struct xs_vjob *j, uint64_t bytes)
{
	pthread_mutex_lock(&xd->vmu);
	if (!xd->vcount && bytes <= XS_INLINE_BYTES) {
		pthread_mutex_unlock(&xd->vmu);
		run_vjob(xd, j);
		return;
	}
	xd->vcount++;
	pthread_cond_signal(&xd->vcond);
	pthread_mutex_unlock(&xd->vmu);
}

void xs_vol_quiesce(struct xs_dev *xd)
{
	pthread_mutex_lock(&xd->vmu);
	while (xd->vcount)
		pthread_cond_wait(&xd->vfree, &xd->vmu);
	pthread_mutex_unlock(&xd->vmu);
}

void xs_vol_stop(struct xs_dev *xd)
{
	if (!xd->have_vthr)
		return;
	pthread_mutex_lock(&xd->vmu);
	xd->vstop = true;
	pthread_cond_broadcast(&xd->vcond);
	pthread_mutex_unlock(&xd->vmu);
	pthread_join(xd->vthr, NULL);
	xd->have_vthr = false;
}
