// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The aio engine on a real event loop, once with io_uring and once with the
 * thread-pool fallback: read/write/fsync/fallocate, EOF, large and many
 * concurrent requests, errors, callbacks never inline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs/aio.h"
#include "core/loop.h"

enum mode { MODE_URING, MODE_THREADS };

struct ctx {
	enum mode mode;
	int fd;
	char path[64];
};

static unsigned int nr_done, nr_expected;
static bool in_submit;

struct io {
	struct aio_req a;
	int res;
	bool done;
};

static void io_done(struct aio_req *a, int res)
{
	struct io *io = container_of(a, struct io, a);

	assert_false(in_submit);
	assert_false(io->done);
	io->res = res;
	io->done = true;
	if (++nr_done == nr_expected)
		loop_stop();
}

static void run(unsigned int expected)
{
	nr_done = 0;
	nr_expected = expected;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nr_done, expected);
	assert_int_equal(aio_inflight(), 0);
}

static void submit(struct io *io)
{
	io->done = false;
	io->res = 1;
	in_submit = true;
	assert_int_equal(aio_submit(&io->a), 0);
	in_submit = false;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	enum mode *m = *state;

	c->mode = *m;
	strcpy(c->path, "/dev/shm/tgtx-aio-XXXXXX");
	c->fd = mkstemp(c->path);
	if (c->fd < 0)
		return -1;
	if (loop_init())
		return -1;
	aio_force_threads(c->mode == MODE_THREADS);
	if (aio_init())
		return -1;
	if (aio_using_uring() != (c->mode == MODE_URING))
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	aio_exit();
	aio_force_threads(false);
	loop_exit();
	close(c->fd);
	unlink(c->path);
	free(c);
	return 0;
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static void test_write_read(void **state)
{
	struct ctx *c = *state;
	uint8_t wbuf[8192], rbuf[8192], chk[8192];
	struct io w, r;

	fill(wbuf, sizeof(wbuf), 1);
	aio_prep(&w.a, AIO_OP_WRITE, c->fd, wbuf, sizeof(wbuf), 4096, io_done,
		 NULL);
	submit(&w);
	run(1);
	assert_int_equal(w.res, 0);
	assert_int_equal(w.a.xfer, sizeof(wbuf));
	assert_int_equal(pread(c->fd, chk, sizeof(chk), 4096), sizeof(chk));
	assert_memory_equal(chk, wbuf, sizeof(wbuf));

	memset(rbuf, 0, sizeof(rbuf));
	aio_prep(&r.a, AIO_OP_READ, c->fd, rbuf, sizeof(rbuf), 4096, io_done,
		 NULL);
	submit(&r);
	run(1);
	assert_int_equal(r.res, 0);
	assert_int_equal(r.a.xfer, sizeof(rbuf));
	assert_memory_equal(rbuf, wbuf, sizeof(wbuf));
}

static void test_dsync_fsync_helpers(void **state)
{
	struct ctx *c = *state;
	uint8_t buf[4096], chk[4096];
	struct io w, f, d;

	fill(buf, sizeof(buf), 2);
	w.done = f.done = d.done = false;
	assert_int_equal(aio_write(&w.a, c->fd, buf, sizeof(buf), 0,
				   AIO_F_DSYNC, io_done, NULL),
			 0);
	assert_int_equal(aio_fsync(&f.a, c->fd, true, io_done, NULL), 0);
	assert_int_equal(aio_fsync(&d.a, c->fd, false, io_done, NULL), 0);
	run(3);
	assert_int_equal(w.res, 0);
	assert_int_equal(f.res, 0);
	assert_int_equal(d.res, 0);
	assert_int_equal(pread(c->fd, chk, sizeof(chk), 0), sizeof(chk));
	assert_memory_equal(chk, buf, sizeof(buf));
}

static void test_punch_hole(void **state)
{
	struct ctx *c = *state;
	static uint8_t buf[65536], want[65536];
	struct io p;

	fill(want, sizeof(want), 3);
	assert_int_equal(pwrite(c->fd, want, sizeof(want), 0), sizeof(want));
	memset(want + 16384, 0, 16384);
	p.done = false;
	assert_int_equal(
		aio_fallocate(&p.a, c->fd,
			      FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16384,
			      16384, io_done, NULL),
		0);
	run(1);
	assert_int_equal(p.res, 0);
	assert_int_equal(pread(c->fd, buf, sizeof(buf), 0), sizeof(buf));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_read_past_eof(void **state)
{
	struct ctx *c = *state;
	uint8_t buf[8192];
	struct io r;

	assert_int_equal(ftruncate(c->fd, 4096 + 100), 0);
	memset(buf, 0xee, sizeof(buf));
	aio_prep(&r.a, AIO_OP_READ, c->fd, buf, sizeof(buf), 4096, io_done,
		 NULL);
	submit(&r);
	run(1);
	assert_int_equal(r.res, 0);
	assert_int_equal(r.a.xfer, 100);
	assert_int_equal(buf[100], 0xee); /* rest untouched */
}

static void test_big(void **state)
{
	struct ctx *c = *state;
	size_t len = 6 << 20;
	uint8_t *w = malloc(len), *r = malloc(len);
	struct io wi, ri;

	fill(w, len, 4);
	memset(r, 0, len);
	aio_prep(&wi.a, AIO_OP_WRITE, c->fd, w, len, 512, io_done, NULL);
	submit(&wi);
	run(1);
	assert_int_equal(wi.res, 0);
	aio_prep(&ri.a, AIO_OP_READ, c->fd, r, len, 512, io_done, NULL);
	submit(&ri);
	run(1);
	assert_int_equal(ri.res, 0);
	assert_int_equal(ri.a.xfer, len);
	assert_memory_equal(r, w, len);
	free(w);
	free(r);
}

#define NR_MANY 1000 /* more than the ring and CQ hold: exercises overflow */

static void test_many_in_flight(void **state)
{
	struct ctx *c = *state;
	struct io *ios = calloc(NR_MANY, sizeof(*ios));
	uint8_t *data = malloc((size_t)NR_MANY * 4096);
	uint8_t *back = calloc(NR_MANY, 4096);
	unsigned int i;

	for (i = 0; i < NR_MANY; i++) {
		fill(data + (size_t)i * 4096, 4096, i + 10);
		/* reverse order, so completions cannot be in offset order */
		aio_prep(&ios[i].a, AIO_OP_WRITE, c->fd,
			 data + (size_t)i * 4096, 4096,
			 (uint64_t)(NR_MANY - 1 - i) * 4096, io_done, NULL);
		submit(&ios[i]);
	}
	assert_int_equal(aio_inflight(), NR_MANY);
	run(NR_MANY);
	for (i = 0; i < NR_MANY; i++) {
		assert_int_equal(ios[i].res, 0);
		aio_prep(&ios[i].a, AIO_OP_READ, c->fd, back + (size_t)i * 4096,
			 4096, (uint64_t)(NR_MANY - 1 - i) * 4096, io_done,
			 NULL);
		submit(&ios[i]);
	}
	run(NR_MANY);
	for (i = 0; i < NR_MANY; i++)
		assert_int_equal(ios[i].res, 0);
	assert_memory_equal(back, data, (size_t)NR_MANY * 4096);
	free(ios);
	free(data);
	free(back);
}

static void test_errors(void **state)
{
	struct ctx *c = *state;
	uint8_t buf[512];
	struct io bad, ro;
	int rfd = open(c->path, O_RDONLY | O_CLOEXEC);

	assert_true(rfd >= 0);
	aio_prep(&bad.a, AIO_OP_READ, 9999, buf, sizeof(buf), 0, io_done, NULL);
	submit(&bad);
	aio_prep(&ro.a, AIO_OP_WRITE, rfd, buf, sizeof(buf), 0, io_done, NULL);
	submit(&ro);
	run(2);
	assert_int_equal(bad.res, -EBADF);
	assert_int_equal(ro.res, -EBADF);
	close(rfd);
}

/* A completion callback that submits more I/O (how stores chain steps). */
static struct io chain[4];
static uint8_t chain_buf[4][512];
static unsigned int chain_fd;

static void chain_done(struct aio_req *a, int res)
{
	struct io *io = container_of(a, struct io, a);
	unsigned int i = (unsigned int)(io - chain);

	io->res = res;
	if (i + 1 < 4) {
		aio_prep(&chain[i + 1].a, AIO_OP_WRITE, (int)chain_fd,
			 chain_buf[i + 1], 512, (i + 1) * 512, chain_done,
			 NULL);
		assert_int_equal(aio_submit(&chain[i + 1].a), 0);
	}
	if (++nr_done == nr_expected)
		loop_stop();
}

static void test_chained(void **state)
{
	struct ctx *c = *state;
	uint8_t chk[2048];
	unsigned int i;

	for (i = 0; i < 4; i++)
		memset(chain_buf[i], 'a' + (int)i, 512);
	chain_fd = (unsigned int)c->fd;
	aio_prep(&chain[0].a, AIO_OP_WRITE, c->fd, chain_buf[0], 512, 0,
		 chain_done, NULL);
	assert_int_equal(aio_submit(&chain[0].a), 0);
	run(4);
	assert_int_equal(pread(c->fd, chk, sizeof(chk), 0), sizeof(chk));
	for (i = 0; i < 4; i++) {
		assert_int_equal(chain[i].res, 0);
		assert_memory_equal(chk + i * 512, chain_buf[i], 512);
	}
}

static enum mode m_uring = MODE_URING, m_threads = MODE_THREADS;

#define BOTH(f)                                                                \
	{#f "/uring", f, setup, teardown, &m_uring},                           \
	{                                                                      \
#f "/threads", f, setup, teardown, &m_threads                  \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_write_read), BOTH(test_dsync_fsync_helpers),
		BOTH(test_punch_hole), BOTH(test_read_past_eof),
		BOTH(test_big),	       BOTH(test_many_in_flight),
		BOTH(test_errors),     BOTH(test_chained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
