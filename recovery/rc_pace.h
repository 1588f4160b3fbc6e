/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reads in flight per peer for the restore, adapted to the link. A read's
 * latency is the round trip plus the wait behind the reads ahead of it on
 * the same connection: while the link is not full, more in flight raises
 * the rate and the average latency stays near the smallest seen; once it
 * is full, more in flight only queues (the latency grows with the depth).
 * So the depth grows while the reads of a round (depth of them) average
 * within GROW of the minimum, and shrinks (never below where it started)
 * when they average beyond SHRINK times it. Pure: the caller measures.
 */
#ifndef TGTX_RC_PACE_H
#define TGTX_RC_PACE_H

#include <stdbool.h>
#include <stdint.h>

/* average / minimum latency (in 1/8) under which the depth grows, and
 * over which it shrinks */
#define RC_PACE_GROW_8THS   10 /* 1.25 */
#define RC_PACE_SHRINK_8THS 16 /* 2.0 */

struct rc_pace {
	unsigned depth, floor, cap;
	bool fixed;
	uint64_t min_ns; /* smallest latency seen (0: none yet) */
	uint64_t sum_ns; /* this round's */
	unsigned n, nfull;
	unsigned skip; /* reads still to come sent before a change */
};

/* start reads in flight, at most cap; fixed: never changes (--depth) */
void rc_pace_init(struct rc_pace *p, unsigned start, unsigned cap, bool fixed);

/*
 * One read done: its latency, and whether the depth was in flight when it
 * was sent (if the reads wait for chunks to read, not for the link, more
 * depth would not help). Returns the depth to keep in flight now.
 */
unsigned rc_pace_sample(struct rc_pace *p, uint64_t lat_ns, bool full);

#endif
