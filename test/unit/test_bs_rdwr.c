// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rdwr store through the bs_ops interface on a real event loop: data
 * round trips, FUA/write-through, flush, unmap then zeroes, EOF, big and
 * many concurrent requests, read-only, O_DIRECT bouncing, open errors, and
 * the same core cases on the thread-pool engine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs/aio.h"
#include "bs/bs.h"
#include "core/loop.h"

#define FILE_SIZE (16 << 20)

struct ctx {
	bool threads;
	const char *dir;
	char path[96];
	int fd; /* our own descriptor, to check data with pread */
	struct bs_dev dev;
	const struct bs_ops *ops;
};

static unsigned int nr_done, nr_expected;
static bool in_submit;

static void req_done(struct bs_req *req)
{
	assert_false(in_submit);
	if (++nr_done == nr_expected)
		loop_stop();
}

static void run(unsigned int expected)
{
	nr_done = 0;
	nr_expected = expected;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nr_done, expected);
}

static void prep(struct bs_req *req, enum bs_op op, uint64_t off, uint64_t len,
		 void *buf)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	req->offset = off;
	req->len = len;
	req->buf = buf;
	req->result = 1;
	req->done = req_done;
}

static void start(struct ctx *c, struct bs_req *req)
{
	in_submit = true;
	switch (req->op) {
	case BS_READ:
	case BS_WRITE:
		c->ops->submit(&c->dev, req);
		break;
	case BS_FLUSH:
		c->ops->flush(&c->dev, req);
		break;
	case BS_UNMAP:
		c->ops->unmap(&c->dev, req);
		break;
	}
	in_submit = false;
}

/* One request, run to completion; returns its result. */
static int do_io(struct ctx *c, enum bs_op op, uint64_t off, uint64_t len,
		 void *buf, bool fua)
{
	struct bs_req req;

	prep(&req, op, off, len, buf);
	req.fua = fua;
	start(c, &req);
	run(1);
	return req.result;
}

static int make_file(struct ctx *c)
{
	snprintf(c->path, sizeof(c->path), "%s/tgtx-rdwr-XXXXXX", c->dir);
	c->fd = mkstemp(c->path);
	if (c->fd < 0)
		return -1;
	return ftruncate(c->fd, FILE_SIZE);
}

static int open_dev(struct ctx *c, const char *opts)
{
	char err[256] = "";

	memset(&c->dev, 0, sizeof(c->dev));
	c->dev.block_size = 512;
	c->dev.wce = true;
	snprintf(c->dev.label, sizeof(c->dev.label), "test lun 1");
	snprintf(c->dev.path, sizeof(c->dev.path), "%s", c->path);
	c->dev.ops = c->ops;
	return c->ops->open(&c->dev, c->path, opts, err, sizeof(err));
}

static int setup_common(void **state, bool threads, const char *dir)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->threads = threads;
	c->dir = dir;
	c->ops = bs_find("rdwr");
	if (!c->ops || loop_init())
		return -1;
	aio_force_threads(threads);
	if (make_file(c))
		return -1;
	*state = c;
	return 0;
}

static int setup(void **state)
{
	if (setup_common(state, false, "/dev/shm"))
		return -1;
	return open_dev(*state, NULL);
}

static int setup_threads(void **state)
{
	if (setup_common(state, true, "/dev/shm"))
		return -1;
	return open_dev(*state, "");
}

/* No open: the test opens with its own options. */
static int setup_noopen(void **state)
{
	return setup_common(state, false, "/tmp");
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (c->dev.priv)
		c->ops->close(&c->dev);
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
		p[i] = (uint8_t)(seed * 37 + i * 13 + (i >> 10));
}

static void test_size_and_engine(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(c->dev.size, FILE_SIZE);
	assert_false(c->dev.read_only);
	if (!getenv("TGTX_AIO")) /* the environment may force threads */
		assert_int_equal(aio_using_uring(), !c->threads);
}

static void test_write_read(void **state)
{
	struct ctx *c = *state;
	uint8_t w[16384], r[16384], chk[16384];

	fill(w, sizeof(w), 1);
	assert_int_equal(do_io(c, BS_WRITE, 8192, sizeof(w), w, false), 0);
	assert_int_equal(pread(c->fd, chk, sizeof(chk), 8192), sizeof(chk));
	assert_memory_equal(chk, w, sizeof(w));
	memset(r, 0, sizeof(r));
	assert_int_equal(do_io(c, BS_READ, 8192, sizeof(r), r, false), 0);
	assert_memory_equal(r, w, sizeof(w));
}

static void test_fua_and_write_through(void **state)
{
	struct ctx *c = *state;
	uint8_t w[4096], chk[4096];

	fill(w, sizeof(w), 2);
	assert_int_equal(do_io(c, BS_WRITE, 0, sizeof(w), w, true), 0);
	c->dev.wce = false;
	fill(w, sizeof(w), 3);
	assert_int_equal(do_io(c, BS_WRITE, 4096, sizeof(w), w, false), 0);
	assert_int_equal(pread(c->fd, chk, sizeof(chk), 4096), sizeof(chk));
	assert_memory_equal(chk, w, sizeof(w));
	assert_int_equal(do_io(c, BS_FLUSH, 0, 0, NULL, false), 0);
}

static void test_unmap_reads_zeroes(void **state)
{
	struct ctx *c = *state;
	static uint8_t w[1 << 20], r[1 << 20], want[1 << 20];

	fill(w, sizeof(w), 4);
	assert_int_equal(do_io(c, BS_WRITE, 0, sizeof(w), w, false), 0);
	assert_int_equal(do_io(c, BS_UNMAP, 65536, 131072, NULL, false), 0);
	memcpy(want, w, sizeof(want));
	memset(want + 65536, 0, 131072);
	assert_int_equal(do_io(c, BS_READ, 0, sizeof(r), r, false), 0);
	assert_memory_equal(r, want, sizeof(want));
	assert_int_equal(pread(c->fd, r, sizeof(r), 0), sizeof(r));
	assert_memory_equal(r, want, sizeof(want));
	/* write-through unmap takes the extra sync step */
	c->dev.wce = false;
	assert_int_equal(do_io(c, BS_UNMAP, 0, 4096, NULL, false), 0);
	assert_int_equal(pread(c->fd, r, 4096, 0), 4096);
	memset(want, 0, 4096);
	assert_memory_equal(r, want, 4096);
}

static void test_read_past_eof_zeroes(void **state)
{
	struct ctx *c = *state;
	uint8_t w[8192], r[8192];

	fill(w, sizeof(w), 5);
	assert_int_equal(do_io(c, BS_WRITE, 0, sizeof(w), w, false), 0);
	/* the file shrinks under the LUN: the lost part reads as zeroes */
	assert_int_equal(ftruncate(c->fd, 4096), 0);
	memset(r, 0xaa, sizeof(r));
	assert_int_equal(do_io(c, BS_READ, 0, sizeof(r), r, false), 0);
	assert_memory_equal(r, w, 4096);
	memset(w, 0, sizeof(w));
	assert_memory_equal(r + 4096, w, 4096);
	memset(r, 0xaa, sizeof(r));
	assert_int_equal(do_io(c, BS_READ, 1 << 20, sizeof(r), r, false), 0);
	assert_memory_equal(r, w, sizeof(r));
}

static void test_big_requests(void **state)
{
	struct ctx *c = *state;
	size_t len = 8 << 20;
	uint8_t *w = malloc(len), *r = malloc(len);

	fill(w, len, 6);
	assert_int_equal(do_io(c, BS_WRITE, 1 << 20, len, w, false), 0);
	memset(r, 0, len);
	assert_int_equal(do_io(c, BS_READ, 1 << 20, len, r, false), 0);
	assert_memory_equal(r, w, len);
	free(w);
	free(r);
}

#define NR_CONC 256

static void test_concurrent_random(void **state)
{
	struct ctx *c = *state;
	struct bs_req *reqs = calloc(NR_CONC, sizeof(*reqs));
	uint8_t *bufs = malloc((size_t)NR_CONC * 4096);
	uint8_t *shadow = calloc(1, FILE_SIZE);
	uint8_t *disk = malloc(FILE_SIZE);
	unsigned int i, round;
	uint64_t off[NR_CONC];

	assert_int_equal(pwrite(c->fd, shadow, FILE_SIZE, 0), FILE_SIZE);
	srand(42);
	for (round = 0; round < 3; round++) {
		/* distinct slots per round so writes never overlap */
		for (i = 0; i < NR_CONC; i++)
			off[i] = ((uint64_t)(rand() % 16) * NR_CONC + i) * 4096;
		for (i = 0; i < NR_CONC; i++) {
			uint8_t *b = bufs + (size_t)i * 4096;

			fill(b, 4096, round * NR_CONC + i);
			memcpy(shadow + off[i], b, 4096);
			prep(&reqs[i], BS_WRITE, off[i], 4096, b);
			reqs[i].fua = (i % 7) == 0;
			start(c, &reqs[i]);
		}
		run(NR_CONC);
		for (i = 0; i < NR_CONC; i++)
			assert_int_equal(reqs[i].result, 0);
		memset(bufs, 0, (size_t)NR_CONC * 4096);
		for (i = 0; i < NR_CONC; i++) {
			prep(&reqs[i], BS_READ, off[i], 4096,
			     bufs + (size_t)i * 4096);
			start(c, &reqs[i]);
		}
		run(NR_CONC);
		for (i = 0; i < NR_CONC; i++) {
			assert_int_equal(reqs[i].result, 0);
			assert_memory_equal(bufs + (size_t)i * 4096,
					    shadow + off[i], 4096);
		}
	}
	assert_int_equal(pread(c->fd, disk, FILE_SIZE, 0), FILE_SIZE);
	assert_memory_equal(disk, shadow, FILE_SIZE);
	free(reqs);
	free(bufs);
	free(shadow);
	free(disk);
}

static void test_bad_requests(void **state)
{
	struct ctx *c = *state;
	uint8_t b[512];

	assert_int_equal(do_io(c, BS_WRITE, UINT64_MAX - 100, 512, b, false),
			 -EINVAL);
	assert_int_equal(do_io(c, BS_READ, 0, 0, b, false), 0);
	c->dev.read_only = true;
	assert_int_equal(do_io(c, BS_WRITE, 0, 512, b, false), -EROFS);
	assert_int_equal(do_io(c, BS_UNMAP, 0, 512, NULL, false), -EROFS);
}

static void test_readonly_open(void **state)
{
	struct ctx *c = *state;
	char err[128];
	uint8_t b[512];

	c->ops->close(&c->dev);
	memset(&c->dev, 0, sizeof(c->dev));
	c->dev.block_size = 512;
	c->dev.read_only = true;
	assert_int_equal(c->ops->open(&c->dev, c->path, NULL, err, sizeof(err)),
			 0);
	assert_int_equal(do_io(c, BS_READ, 0, 512, b, false), 0);
	assert_int_equal(do_io(c, BS_WRITE, 0, 512, b, false), -EROFS);
}

static void test_open_errors(void **state)
{
	struct ctx *c = *state;
	struct bs_dev d;
	char err[256];

	memset(&d, 0, sizeof(d));
	d.block_size = 512;
	err[0] = '\0';
	assert_int_equal(c->ops->open(&d, "/nonexistent/tgtx/lun", NULL, err,
				      sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/tgtx/lun"));
	assert_int_equal(c->ops->open(&d, "/tmp", NULL, err, sizeof(err)),
			 -EISDIR);
	d.read_only = true;
	assert_int_equal(c->ops->open(&d, "/tmp", NULL, err, sizeof(err)),
			 -EISDIR);
	d.read_only = false;
	assert_int_equal(c->ops->open(&d, "/dev/null", NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		c->ops->open(&d, c->path, "direct=maybe", err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "direct"));
	assert_int_equal(c->ops->open(&d, c->path, "bogus=1", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(c->ops->open(&d, "", NULL, err, sizeof(err)), -EINVAL);
	assert_null(d.priv);
}

static void test_sync_opt(void **state)
{
	struct ctx *c = *state;
	uint8_t w[4096], chk[4096];

	assert_int_equal(open_dev(c, "sync=1"), 0);
	fill(w, sizeof(w), 7);
	assert_int_equal(do_io(c, BS_WRITE, 0, sizeof(w), w, true), 0);
	assert_int_equal(pread(c->fd, chk, sizeof(chk), 0), sizeof(chk));
	assert_memory_equal(chk, w, sizeof(w));
}

/* O_DIRECT on the file system under /tmp, with an unaligned buffer. */
static void test_direct_bounce(void **state)
{
	struct ctx *c = *state;
	uint8_t *mem = malloc(3 * 65536 + 1);
	uint8_t *w = mem + 1, *r = mem + 65536 + 1, chk[65536];
	uint8_t *aligned;
	int ret = open_dev(c, "direct=1;sync=0");

	if (ret == -EINVAL) {
		free(mem);
		skip();
	}
	assert_int_equal(ret, 0);
	fill(w, 65536, 8);
	assert_int_equal(do_io(c, BS_WRITE, 4096, 65536, w, false), 0);
	assert_int_equal(pread(c->fd, chk, sizeof(chk), 4096), sizeof(chk));
	assert_memory_equal(chk, w, 65536);
	memset(r, 0, 65536);
	assert_int_equal(do_io(c, BS_READ, 4096, 65536, r, false), 0);
	assert_memory_equal(r, w, 65536);
	/* aligned buffers go straight through */
	assert_int_equal(posix_memalign((void **)&aligned, 4096, 65536), 0);
	assert_int_equal(do_io(c, BS_READ, 4096, 65536, aligned, false), 0);
	assert_memory_equal(aligned, w, 65536);
	/* misaligned offset cannot be done with O_DIRECT */
	assert_int_equal(do_io(c, BS_READ, 100, 512, aligned, false), -EINVAL);
	free(aligned);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_size_and_engine, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fua_and_write_through,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_reads_zeroes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_past_eof_zeroes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_random, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_readonly_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sync_opt, setup_noopen,
						teardown),
		cmocka_unit_test_setup_teardown(test_direct_bounce,
						setup_noopen, teardown),
		/* the same paths on the worker-thread engine */
		cmocka_unit_test_setup_teardown(test_size_and_engine,
						setup_threads, teardown),
		cmocka_unit_test_setup_teardown(test_write_read, setup_threads,
						teardown),
		cmocka_unit_test_setup_teardown(test_fua_and_write_through,
						setup_threads, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_reads_zeroes,
						setup_threads, teardown),
		cmocka_unit_test_setup_teardown(test_read_past_eof_zeroes,
						setup_threads, teardown),
		cmocka_unit_test_setup_teardown(test_big_requests,
						setup_threads, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_random,
						setup_threads, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
