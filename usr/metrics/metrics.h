/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `tgtxd --metrics ADDR:PORT`: Prometheus text on GET /metrics, served on
 * the event loop by core/http_min.c. Names and labels: doc/monitoring.md.
 */
#ifndef TGTX_METRICS_H
#define TGTX_METRICS_H

#include <stddef.h>

struct strbuf;

/*
 * Listens on spec ("ADDR:PORT", "[V6ADDR]:PORT"; the port is required).
 * version goes into tgtx_info. 0 or -errno with a message.
 */
int metrics_start(const char *spec, const char *version, char *err,
		  size_t errlen);
void metrics_stop(void);
/* The whole page (also used by the unit tests). */
void metrics_render(struct strbuf *out);

#endif
