// SPDX-License-Identifier: GPL-2.0-or-later
/* The restore's reads in flight per peer; see rc_pace.h. */
#include "rc_pace.h"

void rc_pace_init(struct rc_pace *p, unsigned start, unsigned cap, bool fixed)
{
	if (cap < 1)
		cap = 1;
	if (start < 1)
		start = 1;
	if (start > cap)
		start = cap;
	*p = (struct rc_pace){
		.depth = start, .floor = start, .cap = cap, .fixed = fixed};
}

unsigned rc_pace_sample(struct rc_pace *p, uint64_t lat_ns, bool full)
{
	uint64_t avg;

	if (p->fixed)
		return p->depth;
	if (!lat_ns)
		lat_ns = 1;
	if (!p->min_ns || lat_ns < p->min_ns)
		p->min_ns = lat_ns;
	if (p->skip) {
		/* sent before the last change: they tell about the old depth
		 * (judging them too overshoots by a step) */
		p->skip--;
		return p->depth;
	}
	p->sum_ns += lat_ns;
	p->nfull += full;
	/* a round: as many reads as are in flight, about one round trip */
	if (++p->n < p->depth)
		return p->depth;
	avg = p->sum_ns / p->n;
	p->skip = p->depth;
	if (avg * 8 <= p->min_ns * RC_PACE_GROW_8THS && p->nfull * 2 >= p->n &&
	    p->depth < p->cap) {
		/* no queue yet: a quarter more (at least one) */
		p->depth += p->depth / 4 ? p->depth / 4 : 1;
		if (p->depth > p->cap)
			p->depth = p->cap;
	} else if (avg * 8 > p->min_ns * RC_PACE_SHRINK_8THS &&
		   p->depth > p->floor) {
		/* a queue as long as the round trip: an eighth less */
		p->depth -= p->depth / 8 ? p->depth / 8 : 1;
		if (p->depth < p->floor)
			p->depth = p->floor;
	}
	if (p->depth == p->skip)
		p->skip = 0; /* no change: the next round counts */
	p->sum_ns = 0;
	p->n = p->nfull = 0;
	return p->depth;
}
