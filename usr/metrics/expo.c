// SPDX-License-Identifier: GPL-2.0-or-later
#include "expo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"

void expo_escape(struct strbuf *out, const char *v)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\\')
			strbuf_add(out, "\\\\", 2);
		else if (*p == '"')
			strbuf_add(out, "\\\"", 2);
		else if (*p == '\n')
			strbuf_add(out, "\\n", 2);
		else
			strbuf_add(out, p, 1);
	}
}

void expo_float(struct strbuf *out, double v)
{
	if (isnan(v))
		strbuf_addf(out, "NaN");
	else if (isinf(v))
		strbuf_addf(out, v > 0 ? "+Inf" : "-Inf");
	else
		strbuf_addf(out, "%.15g", v);
}

void expo_family(struct strbuf *out, const char *name, const char *type,
		 const char *help)
{
	strbuf_addf(out, "# HELP %s ", name);
	/* HELP text escapes only \ and newline */
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			strbuf_add(out, "\\\\", 2);
		else if (*p == '\n')
			strbuf_add(out, "\\n", 2);
		else
			strbuf_add(out, p, 1);
	}
	strbuf_addf(out, "\n# TYPE %s %s\n", name, type);
}

static void labels(struct strbuf *out, const struct expo_label *l, size_t nr,
		   const char *le)
{
	if (!nr && !le)
		return;
	strbuf_add(out, "{", 1);
	for (size_t i = 0; i < nr; i++) {
		strbuf_addf(out, "%s%s=\"", i ? "," : "", l[i].key);
		expo_escape(out, l[i].value);
		strbuf_add(out, "\"", 1);
	}
	if (le)
		strbuf_addf(out, "%sle=\"%s\"", nr ? "," : "", le);
	strbuf_add(out, "}", 1);
}

void expo_u64(struct strbuf *out, const char *name, const struct expo_label *l,
	      size_t nr, uint64_t v)
{
	strbuf_addf(out, "%s", name);
	labels(out, l, nr, NULL);
	strbuf_addf(out, " %llu\n", (unsigned long long)v);
}

void expo_double(struct strbuf *out, const char *name,
		 const struct expo_label *l, size_t nr, double v)
{
	strbuf_addf(out, "%s", name);
	labels(out, l, nr, NULL);
	strbuf_add(out, " ", 1);
	expo_float(out, v);
	strbuf_add(out, "\n", 1);
}

/* Microseconds as seconds without trailing zeros: 50 -> "0.00005". */
static void us_to_le(uint32_t us, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%u.%06u", us / 1000000,
				    us % 1000000);

	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = 0;
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = 0;
}

void expo_histogram(struct strbuf *out, const char *name,
		    const struct expo_label *l, size_t nr,
		    const uint32_t *bound_us, const uint64_t *count, size_t nb,
		    double sum_seconds)
{
	uint64_t cum = 0;
	char le[32];

	for (size_t i = 0; i <= nb; i++) {
		cum += count[i];
		if (i < nb)
			us_to_le(bound_us[i], le, sizeof(le));
		else
			snprintf(le, sizeof(le), "+Inf");
		strbuf_addf(out, "%s_bucket", name);
		labels(out, l, nr, le);
		strbuf_addf(out, " %llu\n", (unsigned long long)cum);
	}
	strbuf_addf(out, "%s_sum", name);
	labels(out, l, nr, NULL);
	strbuf_add(out, " ", 1);
	expo_float(out, sum_seconds);
	strbuf_addf(out, "\n%s_count", name);
	labels(out, l, nr, NULL);
	strbuf_addf(out, " %llu\n", (unsigned long long)cum);
}
