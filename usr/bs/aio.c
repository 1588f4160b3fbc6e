// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * io_uring engine behind aio.h, with a worker-thread fallback.
 *
 * Hot path (io_uring): aio_submit() writes an SQE straight into the ring and
 * queues one deferred call; that call submits everything prepared during the
 * loop iteration with a single io_uring_enter(). The ring signals an eventfd
 * watched by the loop; one wakeup reaps every available CQE. Requests that
 * find no SQE slot, or would let more requests be in flight than the CQ can
 * hold, wait on an overflow list and are moved into the ring as completions
 * free room. Nothing is allocated per request.
 */
#include "aio.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"

#define AIO_RING_ENTRIES 256
#define AIO_REAP_BATCH	 64
/* The kernel caps one read/write at ~2 GiB; larger requests go in pieces. */
#define AIO_MAX_CHUNK	 (1U << 30)
#define AIO_MAX_RETRIES	 1000
#define AIO_POOL_THREADS 4

static struct {
	bool ready;
	bool uring;
	bool force_threads;
	int efd;
	struct loop_fd lfd;
	unsigned int inflight; /* handed to the engine, not completed */

	/* io_uring */
	struct io_uring ring;
	struct loop_defer submit_defer;
	struct loop_timer retry_timer;
	struct list_head overflow;
	unsigned int in_kernel;	  /* submitted, CQE not yet reaped */
	unsigned int unsubmitted; /* SQEs prepared, not yet entered */
	unsigned int max_in_kernel;

	/* thread pool */
	pthread_t threads[AIO_POOL_THREADS];
	unsigned int nr_threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct list_head pool_q;
	struct list_head pool_done;
	bool pool_stop;
} A = {.efd = -1};

bool aio_using_uring(void)
{
	return A.ready && A.uring;
}

void aio_force_threads(bool on)
{
	A.force_threads = on;
}

unsigned int aio_inflight(void)
{
	return A.inflight;
}

static void finish(struct aio_req *r, int res)
{
	A.inflight--;
	r->res = res;
	r->done(r, res);
}

/* ---- io_uring ---------------------------------------------------------- */

static bool uring_prep(struct aio_req *r)
{
	struct io_uring_sqe *sqe;
	uint64_t left = r->len - r->xfer;
	unsigned int n = left > AIO_MAX_CHUNK ? AIO_MAX_CHUNK : (unsigned)left;
	char *buf = (char *)r->buf + r->xfer;

	if (A.in_kernel + A.unsubmitted >= A.max_in_kernel)
		return false;
	sqe = io_uring_get_sqe(&A.ring);
	if (!sqe)
		return false;
	switch (r->op) {
	case AIO_OP_READ:
		io_uring_prep_read(sqe, r->fd, buf, n, r->offset + r->xfer);
		break;
	case AIO_OP_WRITE:
		io_uring_prep_write(sqe, r->fd, buf, n, r->offset + r->xfer);
		if (r->flags & AIO_F_DSYNC)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case AIO_OP_FSYNC:
		io_uring_prep_fsync(sqe, r->fd,
				    (r->flags & AIO_F_DATASYNC)
					    ? IORING_FSYNC_DATASYNC
					    : 0);
		break;
	case AIO_OP_FALLOCATE:
		io_uring_prep_fallocate(sqe, r->fd, r->mode, (off_t)r->offset,
					(off_t)r->len);
		break;
	}
	io_uring_sqe_set_data(sqe, r);
	A.unsubmitted++;
	return true;
}

static void uring_submit_pending(void)
{
	int ret;

	while (!list_empty(&A.overflow)) {
		struct aio_req *r =
			list_first_entry(&A.overflow, struct aio_req, node);

		if (!uring_prep(r))
			break;
		list_del(&r->node);
	}
	if (!A.unsubmitted)
		return;
	ret = io_uring_submit(&A.ring);
	if (ret > 0) {
		if ((unsigned)ret > A.unsubmitted)
			ret = (int)A.unsubmitted;
		A.in_kernel += (unsigned)ret;
		A.unsubmitted -= (unsigned)ret;
	}
	if (ret == -EINTR) {
		loop_defer_queue(&A.submit_defer);
		return;
	}
	if (ret < 0 && ret != -EAGAIN && ret != -EBUSY)
		log_err("aio: io_uring_submit: %s (will retry)",
			strerror(-ret));
	/*
	 * Anything left waits for the next reap; if nothing is in the kernel
	 * there will be no reap, so retry from a timer.
	 */
	if ((A.unsubmitted || !list_empty(&A.overflow)) && !A.in_kernel)
		loop_timer_arm(&A.retry_timer, 1);
}

static void uring_submit_deferred(struct loop_defer *d)
{
	uring_submit_pending();
}

static void uring_retry_timer(struct loop_timer *t)
{
	uring_submit_pending();
}

static void uring_requeue(struct aio_req *r)
{
	list_add_tail(&r->node, &A.overflow);
	loop_defer_queue(&A.submit_defer);
}

static void uring_complete(struct aio_req *r, int res)
{
	if (res == -EAGAIN || res == -EINTR) {
		if (++r->retries < AIO_MAX_RETRIES) {
			uring_requeue(r);
			return;
		}
	}
	if (res < 0) {
		finish(r, res);
		return;
	}
	if (r->op == AIO_OP_READ || r->op == AIO_OP_WRITE) {
		r->xfer += (uint64_t)res;
		if (r->xfer < r->len) {
			if (res > 0) {
				uring_requeue(r);
				return;
			}
			/* 0 bytes: end of file for a read, no progress on a
			 * write */
			if (r->op == AIO_OP_WRITE) {
				finish(r, -EIO);
				return;
			}
		}
	}
	finish(r, 0);
}

static void uring_event(struct loop_fd *lfd, uint32_t events)
{
	struct io_uring_cqe *cqes[AIO_REAP_BATCH];
	struct aio_req *reqs[AIO_REAP_BATCH];
	int res[AIO_REAP_BATCH];
	uint64_t cnt;
	unsigned int n, i;

	/* Read first: a CQE posted after this read signals again. */
	if (read(A.efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN &&
	    errno != EINTR)
		log_err("aio: eventfd read: %s", strerror(errno));
	do {
		n = io_uring_peek_batch_cqe(&A.ring, cqes, AIO_REAP_BATCH);
		for (i = 0; i < n; i++) {
			reqs[i] = io_uring_cqe_get_data(cqes[i]);
			res[i] = cqes[i]->res;
		}
		/* Free the CQ slots before callbacks submit more. */
		io_uring_cq_advance(&A.ring, n);
		A.in_kernel -= n;
		for (i = 0; i < n; i++)
			uring_complete(reqs[i], res[i]);
	} while (n == AIO_REAP_BATCH);
	if (A.unsubmitted || !list_empty(&A.overflow))
		loop_defer_queue(&A.submit_defer);
}

static int uring_init(void)
{
	struct io_uring_params p;
	int ret;

	/*
	 * Only the loop thread touches the ring: SINGLE_ISSUER lets the kernel
	 * skip locking, COOP_TASKRUN avoids an IPI per completion (the loop
	 * enters the kernel often enough to run the task work).
	 */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
	ret = io_uring_queue_init_params(AIO_RING_ENTRIES, &A.ring, &p);
	if (ret == -EINVAL) {
		memset(&p, 0, sizeof(p));
		ret = io_uring_queue_init_params(AIO_RING_ENTRIES, &A.ring, &p);
	}
	if (ret < 0)
		return ret;
	ret = io_uring_register_eventfd(&A.ring, A.efd);
	if (ret < 0) {
		io_uring_queue_exit(&A.ring);
		return ret;
	}
	A.max_in_kernel = p.cq_entries ? p.cq_entries : 2 * AIO_RING_ENTRIES;
	A.in_kernel = 0;
	A.unsubmitted = 0;
	list_init(&A.overflow);
	loop_defer_init(&A.submit_defer, uring_submit_deferred);
	loop_timer_init(&A.retry_timer, uring_retry_timer);
	return 0;
}

/* ---- thread pool --------------------------------------------------------- */

static int pool_rw(struct aio_req *r)
{
	while (r->xfer < r->len) {
		uint64_t left = r->len - r->xfer;
		size_t n = left > AIO_MAX_CHUNK ? AIO_MAX_CHUNK : (size_t)left;
		char *buf = (char *)r->buf + r->xfer;
		off_t off = (off_t)(r->offset + r->xfer);
		ssize_t got;

		if (r->op == AIO_OP_READ) {
			got = pread(r->fd, buf, n, off);
		} else {
			struct iovec iov = {.iov_base = buf, .iov_len = n};

			got = pwritev2(r->fd, &iov, 1, off,
				       (r->flags & AIO_F_DSYNC) ? RWF_DSYNC
								: 0);
		}
		if (got < 0) {
			if ((errno == EINTR || errno == EAGAIN) &&
			    ++r->retries < AIO_MAX_RETRIES)
				continue;
			return -errno;
		}
		if (got == 0)
			return r->op == AIO_OP_READ ? 0 : -EIO;
		r->xfer += (uint64_t)got;
	}
	return 0;
}

static int pool_exec(struct aio_req *r)
{
	switch (r->op) {
	case AIO_OP_READ:
	case AIO_OP_WRITE:
		return pool_rw(r);
	case AIO_OP_FSYNC:
		if ((r->flags & AIO_F_DATASYNC) ? fdatasync(r->fd)
						: fsync(r->fd))
			return -errno;
		return 0;
	case AIO_OP_FALLOCATE:
		if (fallocate(r->fd, r->mode, (off_t)r->offset, (off_t)r->len))
			return -errno;
		return 0;
	}
	return -EINVAL;
}

static void *pool_worker(void *arg)
{
	uint64_t one = 1;

	pthread_mutex_lock(&A.mu);
	for (;;) {
		struct aio_req *r;

		while (list_empty(&A.pool_q) && !A.pool_stop)
			pthread_cond_wait(&A.cv, &A.mu);
		if (list_empty(&A.pool_q))
			break;
		r = list_first_entry(&A.pool_q, struct aio_req, node);
		list_del(&r->node);
		pthread_mutex_unlock(&A.mu);

		r->res = pool_exec(r);

		pthread_mutex_lock(&A.mu);
		list_add_tail(&r->node, &A.pool_done);
		/* Only the write that makes the list non-empty must wake. */
		if (A.pool_done.next == &r->node &&
		    write(A.efd, &one, sizeof(one)) < 0)
			log_err("aio: eventfd write: %s", strerror(errno));
	}
	pthread_mutex_unlock(&A.mu);
	return NULL;
}

static void pool_event(struct loop_fd *lfd, uint32_t events)
{
	struct list_head done;
	uint64_t cnt;

	if (read(A.efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN &&
	    errno != EINTR)
		log_err("aio: eventfd read: %s", strerror(errno));
	list_init(&done);
	pthread_mutex_lock(&A.mu);
	if (!list_empty(&A.pool_done)) {
		/* splice the whole list */
		done.next = A.pool_done.next;
		done.prev = A.pool_done.prev;
		done.next->prev = &done;
		done.prev->next = &done;
		list_init(&A.pool_done);
	}
	pthread_mutex_unlock(&A.mu);
	while (!list_empty(&done)) {
		struct aio_req *r =
			list_first_entry(&done, struct aio_req, node);

		list_del(&r->node);
		finish(r, r->res);
	}
}

static void pool_stop_threads(void)
{
	unsigned int i;

	pthread_mutex_lock(&A.mu);
	A.pool_stop = true;
	pthread_cond_broadcast(&A.cv);
	pthread_mutex_unlock(&A.mu);
	for (i = 0; i < A.nr_threads; i++)
		pthread_join(A.threads[i], NULL);
	A.nr_threads = 0;
	pthread_cond_destroy(&A.cv);
	pthread_mutex_destroy(&A.mu);
}

static int pool_init(void)
{
	unsigned int i;
	int ret;

	pthread_mutex_init(&A.mu, NULL);
	pthread_cond_init(&A.cv, NULL);
	list_init(&A.pool_q);
	list_init(&A.pool_done);
	A.pool_stop = false;
	A.nr_threads = 0;
	for (i = 0; i < AIO_POOL_THREADS; i++) {
		ret = pthread_create(&A.threads[i], NULL, pool_worker, NULL);
		if (ret) {
			log_err("aio: cannot start I/O thread: %s",
				strerror(ret));
			if (!A.nr_threads) {
				pool_stop_threads();
				return -ret;
			}
			break;
		}
		A.nr_threads++;
	}
	return 0;
}

/* ---- public -------------------------------------------------------------- */

int aio_init(void)
{
	const char *env = getenv("TGTX_AIO");
	int ret = -ENOSYS;

	if (A.ready)
		return 0;
	A.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (A.efd < 0) {
		ret = -errno;
		log_err("aio: eventfd: %s", strerror(errno));
		return ret;
	}
	A.inflight = 0;
	if (!A.force_threads && !(env && !strcmp(env, "threads"))) {
		ret = uring_init();
		if (ret < 0)
			log_warn("aio: io_uring unavailable (%s), using %d I/O "
				 "threads",
				 strerror(-ret), AIO_POOL_THREADS);
	}
	A.uring = ret == 0;
	if (!A.uring) {
		ret = pool_init();
		if (ret < 0)
			goto err_close;
	}
	ret = loop_add_fd(&A.lfd, A.efd, EPOLLIN,
			  A.uring ? uring_event : pool_event);
	if (ret < 0) {
		log_err("aio: cannot watch eventfd: %s", strerror(-ret));
		if (A.uring)
			io_uring_queue_exit(&A.ring);
		else
			pool_stop_threads();
		goto err_close;
	}
	A.ready = true;
	return 0;

err_close:
	close(A.efd);
	A.efd = -1;
	return ret;
}

void aio_exit(void)
{
	if (!A.ready)
		return;
	if (A.inflight)
		log_warn("aio: shutting down with %u requests in flight",
			 A.inflight);
	loop_del_fd(&A.lfd);
	if (A.uring) {
		loop_defer_cancel(&A.submit_defer);
		loop_timer_cancel(&A.retry_timer);
		io_uring_queue_exit(&A.ring);
	} else {
		pool_stop_threads();
	}
	close(A.efd);
	A.efd = -1;
	A.ready = false;
}

int aio_submit(struct aio_req *r)
{
	int ret;

	if (!A.ready) {
		ret = aio_init();
		if (ret < 0)
			return ret;
	}
	r->xfer = 0;
	r->res = 0;
	r->retries = 0;
	A.inflight++;
	if (A.uring) {
		if (!list_empty(&A.overflow) || !uring_prep(r))
			list_add_tail(&r->node, &A.overflow);
		loop_defer_queue(&A.submit_defer);
		return 0;
	}
	pthread_mutex_lock(&A.mu);
	list_add_tail(&r->node, &A.pool_q);
	pthread_cond_signal(&A.cv);
	pthread_mutex_unlock(&A.mu);
	return 0;
}
