/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prometheus text exposition format 0.0.4: "# HELP" and "# TYPE" once per
 * family, then its samples "name{label="value",...} value", all samples of
 * a family together. Label values are escaped (\\, \", \n).
 */
#ifndef TGTX_EXPO_H
#define TGTX_EXPO_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct expo_label {
	const char *key;
	const char *value;
};

/* type: "counter", "gauge" or "histogram" */
void expo_family(struct strbuf *out, const char *name, const char *type,
		 const char *help);
void expo_u64(struct strbuf *out, const char *name, const struct expo_label *l,
	      size_t nr, uint64_t v);
void expo_double(struct strbuf *out, const char *name,
		 const struct expo_label *l, size_t nr, double v);
/*
 * The samples of one histogram: name_bucket with cumulative counts for
 * each bound (given in microseconds, written in seconds as le) and +Inf,
 * then name_sum (seconds) and name_count. count[] has nb + 1 entries, not
 * cumulative, the last one beyond every bound.
 */
void expo_histogram(struct strbuf *out, const char *name,
		    const struct expo_label *l, size_t nr,
		    const uint32_t *bound_us, const uint64_t *count, size_t nb,
		    double sum_seconds);
/* A label value with \, " and newline escaped. */
void expo_escape(struct strbuf *out, const char *v);
/* A float as Prometheus parses it (NaN, +Inf, -Inf, %.15g). */
void expo_float(struct strbuf *out, double v);

#endif
