// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Progress of a long restore: a bar redrawn in place on a terminal, plain
 * lines (every 5 s) in a log. The ETA comes from the rate measured during
 * this run, not from an estimate made before it.
 */
#include <stdio.h>
#include <unistd.h>

#include "rc.h"

void rc_progress_init(struct rc_progress *pg, int mode, const char *what,
		      uint64_t total, uint64_t done)
{
	pg->bar = mode < 0 ? isatty(STDERR_FILENO) : mode > 0;
	pg->what = what;
	pg->total = total;
	pg->done = pg->base = done;
	pg->start_ns = pg->last_ns = loop_now_ns();
}

void rc_progress_update(struct rc_progress *pg, uint64_t done, bool final)
{
	uint64_t now = loop_now_ns();
	double secs = (double)(now - pg->start_ns) / 1e9;
	double rate = secs > 0 ? (double)(done - pg->base) / secs : 0;
	double pct = pg->total ? 100.0 * (double)done / (double)pg->total : 100;
	char d[24], t[24], r[24], eta[24];
	int width = 30, fill;

	pg->done = done;
	if (!final &&
	    now - pg->last_ns < (pg->bar ? 200000000ULL : 5000000000ULL))
		return;
	pg->last_ns = now;
	rc_format_bytes((double)done, d, sizeof(d));
	rc_format_bytes((double)pg->total, t, sizeof(t));
	rc_format_bytes(rate, r, sizeof(r));
	if (rate > 0 && done < pg->total) {
		double left = (double)(pg->total - done) / rate;

		snprintf(eta, sizeof(eta), "%um%02us", (unsigned)(left / 60),
			 (unsigned)left % 60);
	} else {
		snprintf(eta, sizeof(eta), "-");
	}
	if (pg->bar) {
		char bar[64];

		fill = (int)(pct * width / 100);
		for (int i = 0; i < width; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[width] = 0;
		fprintf(stderr, "\r%s [%s] %5.1f%% %s/%s %s/s ETA %s   ",
			pg->what, bar, pct, d, t, r, eta);
		if (final)
			fputc('\n', stderr);
	} else {
		fprintf(stderr,
			"%s: %.1f%% %s of %s, %s/s, ETA %s, %.1f s elapsed\n",
			pg->what, pct, d, t, r, eta, secs);
	}
	fflush(stderr);
}
