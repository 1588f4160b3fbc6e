// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The restore's reads in flight per peer (recovery/rc_pace.c) on a
 * simulated link: one connection, reads served in order at the link's
 * rate, each way half the round trip. A long fat pipe makes the depth
 * grow until the link is full (and not far past it), a link with no
 * round trip to cover keeps it where it started, a link that slows down
 * makes it shrink back, the cap and --depth hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "recovery/rc_pace.h"

#define CHUNK (256u << 10)
#define QMAX  4096

struct link {
	double rtt_ns, ns_per_byte; /* ns_per_byte: 8 for 1 Gbit/s */
	double free_at;		    /* the link sends the next read then */
	double done[QMAX], sent[QMAX];
	unsigned head, tail;
	double now;
	unsigned peak; /* largest depth the pace asked for */
};

static void submit(struct link *l)
{
	double arrive = l->now + l->rtt_ns / 2, start;

	start = arrive > l->free_at ? arrive : l->free_at;
	l->free_at = start + CHUNK * l->ns_per_byte;
	l->sent[l->tail % QMAX] = l->now;
	l->done[l->tail++ % QMAX] = l->free_at + l->rtt_ns / 2;
}

/* reads reads completed; depth (and p) as they end up */
static unsigned run(struct link *l, struct rc_pace *p, unsigned reads,
		    bool full_ok)
{
	unsigned depth = p->depth;

	while (l->tail - l->head < depth)
		submit(l);
	for (unsigned r = 0; r < reads; r++) {
		bool full = full_ok && l->tail - l->head >= depth;
		unsigned x = l->head++ % QMAX;

		l->now = l->done[x];
		depth = rc_pace_sample(p, (uint64_t)(l->now - l->sent[x]),
				       full);
		assert_true(depth >= 1 && depth <= p->cap);
		if (depth > l->peak)
			l->peak = depth;
		while (l->tail - l->head < depth)
			submit(l);
	}
	return depth;
}

/* chunks in flight that fill the link: rate x round trip, plus the one
 * being sent */
static double bdp_chunks(const struct link *l)
{
	return l->rtt_ns / (CHUNK * l->ns_per_byte) + 1;
}

static void test_fat_pipe_grows_to_fill(void **unused)
{
	/* 1 Gbit/s, 30 ms: 3.75 MB to fill, 4 x 256 KiB do not */
	struct link l = {.rtt_ns = 30e6, .ns_per_byte = 8};
	struct rc_pace p;
	unsigned d;

	rc_pace_init(&p, 4, 32, false);
	d = run(&l, &p, 2000, true);
	assert_true(d >= bdp_chunks(&l)); /* the link is full */
	/* and not much past it: a queue of at most half the round trip */
	assert_true(d <= 1.5 * bdp_chunks(&l) + 1);
	assert_true(l.peak <= 2 * bdp_chunks(&l));
}

static void test_short_pipe_stays(void **unused)
{
	/* loopback-like: 0.05 ms, 1 GB/s. 4 in flight only queue */
	struct link l = {.rtt_ns = 50e3, .ns_per_byte = 1};
	struct rc_pace p;

	rc_pace_init(&p, 4, 32, false);
	assert_int_equal(run(&l, &p, 2000, true), 4);
	assert_int_equal(l.peak, 4);
}

static void test_queue_shrinks(void **unused)
{
	struct link l = {.rtt_ns = 30e6, .ns_per_byte = 8};
	struct rc_pace p;
	unsigned grown, d;

	rc_pace_init(&p, 4, 32, false);
	grown = run(&l, &p, 2000, true);
	assert_true(grown > 8);
	/* the link shared with others: a quarter of the rate; what was in
	 * flight is now a queue four times the round trip */
	l.ns_per_byte = 32;
	d = run(&l, &p, 2000, true);
	assert_true(d < grown);
	assert_true(d >= 4); /* never below the start */
	assert_true(d <= 1.5 * bdp_chunks(&l) + 4);
}

static void test_cap_holds(void **unused)
{
	/* 200 ms at 1 Gbit/s would want ~96 chunks */
	struct link l = {.rtt_ns = 200e6, .ns_per_byte = 8};
	struct rc_pace p;

	rc_pace_init(&p, 4, 32, false);
	assert_int_equal(run(&l, &p, 3000, true), 32);
	assert_int_equal(l.peak, 32);
}

static void test_not_full_does_not_grow(void **unused)
{
	/* the reads wait for chunks to read (a slow target), not the link */
	struct link l = {.rtt_ns = 30e6, .ns_per_byte = 8};
	struct rc_pace p;

	rc_pace_init(&p, 4, 32, false);
	assert_int_equal(run(&l, &p, 2000, false), 4);
}

static void test_fixed_depth(void **unused)
{
	struct link l = {.rtt_ns = 30e6, .ns_per_byte = 8};
	struct rc_pace p;

	rc_pace_init(&p, 6, 32, true);
	assert_int_equal(run(&l, &p, 2000, true), 6);
	assert_int_equal(l.peak, 6);
	/* a start over the cap is the cap */
	rc_pace_init(&p, 40, 32, false);
	assert_int_equal(p.depth, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fat_pipe_grows_to_fill),
		cmocka_unit_test(test_short_pipe_stays),
		cmocka_unit_test(test_queue_shrinks),
		cmocka_unit_test(test_cap_holds),
		cmocka_unit_test(test_not_full_does_not_grow),
		cmocka_unit_test(test_fixed_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
