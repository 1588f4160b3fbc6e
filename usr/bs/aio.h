/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Asynchronous file I/O for every backing store: one io_uring per daemon,
 * whose completions come back through an eventfd watched by the event loop,
 * so callbacks always run on the loop thread. When io_uring cannot be set up
 * (old kernel, seccomp, io_uring_disabled) the same API is served by a small
 * pool of worker threads.
 *
 * The caller owns each struct aio_req (embed it in a per-request object) and
 * must keep it alive until its callback runs. Requests are queued and
 * submitted together once per loop iteration, so submitting is cheap and
 * never blocks. There is no ordering between outstanding requests: chain
 * dependent I/O from the callback.
 */
#ifndef TGTX_AIO_H
#define TGTX_AIO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/list.h"

enum aio_op {
	AIO_OP_READ,
	AIO_OP_WRITE,
	AIO_OP_FSYNC,
	AIO_OP_FALLOCATE,
};

/* AIO_OP_WRITE: data durable before completion (RWF_DSYNC). */
#define AIO_F_DSYNC (1U << 0)
/* AIO_OP_FSYNC: fdatasync() rather than fsync(). */
#define AIO_F_DATASYNC (1U << 1)

struct aio_req;
/*
 * res is 0 or -errno. For reads and writes r->xfer holds the bytes moved:
 * a read that reaches end of file succeeds with r->xfer < r->len (the rest
 * of the buffer is untouched); short transfers are otherwise resubmitted
 * until complete, so a successful write always has r->xfer == r->len.
 */
typedef void (*aio_done_fn)(struct aio_req *r, int res);

struct aio_req {
	/* Filled by the caller (or the aio_prep_* helpers). */
	enum aio_op op;
	unsigned int flags; /* AIO_F_* */
	int fd;
	int mode; /* AIO_OP_FALLOCATE: FALLOC_FL_* */
	void *buf;
	uint64_t offset;
	uint64_t len;
	aio_done_fn done;
	void *cookie; /* the caller's */
	/* Result and engine state. */
	uint64_t xfer;
	int res;
	unsigned int retries;
	struct list_head node;
};

/*
 * Sets up the engine (needs loop_init() first). Idempotent; aio_submit()
 * calls it on first use. Returns 0 or -errno (only if even the thread pool
 * cannot start).
 */
int aio_init(void);
/* Tears down the engine; call with nothing in flight, before loop_exit(). */
void aio_exit(void);
/* true when io_uring serves requests, false for the thread pool. */
bool aio_using_uring(void);
/*
 * Test hook: use the thread pool from the next aio_init() even if io_uring
 * works. The environment variable TGTX_AIO=threads does the same.
 */
void aio_force_threads(bool on);
/* Requests handed to the engine and not yet completed. */
unsigned int aio_inflight(void);

/*
 * Queues r. Returns 0, after which r->done will run exactly once from the
 * loop (never from inside aio_submit), or -errno if the engine could not
 * be started (then r->done is never called).
 */
int aio_submit(struct aio_req *r);

static inline void aio_prep(struct aio_req *r, enum aio_op op, int fd,
			    void *buf, uint64_t len, uint64_t offset,
			    aio_done_fn done, void *cookie)
{
	r->op = op;
	r->flags = 0;
	r->fd = fd;
	r->mode = 0;
	r->buf = buf;
	r->len = len;
	r->offset = offset;
	r->done = done;
	r->cookie = cookie;
}

static inline int aio_read(struct aio_req *r, int fd, void *buf, uint64_t len,
			   uint64_t offset, aio_done_fn done, void *cookie)
{
	aio_prep(r, AIO_OP_READ, fd, buf, len, offset, done, cookie);
	return aio_submit(r);
}

/* flags: 0 or AIO_F_DSYNC */
static inline int aio_write(struct aio_req *r, int fd, const void *buf,
			    uint64_t len, uint64_t offset, unsigned int flags,
			    aio_done_fn done, void *cookie)
{
	aio_prep(r, AIO_OP_WRITE, fd, (void *)buf, len, offset, done, cookie);
	r->flags = flags;
	return aio_submit(r);
}

static inline int aio_fsync(struct aio_req *r, int fd, bool datasync,
			    aio_done_fn done, void *cookie)
{
	aio_prep(r, AIO_OP_FSYNC, fd, NULL, 0, 0, done, cookie);
	r->flags = datasync ? AIO_F_DATASYNC : 0;
	return aio_submit(r);
}

/* mode: e.g. FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE */
static inline int aio_fallocate(struct aio_req *r, int fd, int mode,
				uint64_t offset, uint64_t len, aio_done_fn done,
				void *cookie)
{
	aio_prep(r, AIO_OP_FALLOCATE, fd, NULL, len, offset, done, cookie);
	r->mode = mode;
	return aio_submit(r);
}

#endif
