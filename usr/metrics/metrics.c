// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The exporter: walks targets and LUs at scrape time and formats what the
 * layers that own the figures keep (scsi/lu_stats.h, iSCSI sessions, the
 * stores' bs_ops.metrics). Nothing is kept between scrapes.
 */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs/bs.h"
#include "core/http_min.h"
#include "core/loop.h"
#include "core/node_id.h"
#include "core/strbuf.h"
#include "core/target.h"
#include "iscsi/iscsi.h"
#include "scsi/lu_stats.h"
#include "scsi/scsi.h"
#include "expo.h"

/* Figures from stores are gathered, then written family by family. */
#define MAX_STORE_SAMPLES 65536
/*
 * A page costs loop time in proportion to the LUNs (about 0.1 ms each), so
 * renders are rationed: a burst of RENDER_BURST, then RENDER_PER_S a second;
 * beyond that a scrape gets 503 and Retry-After. Prometheus scrapes every
 * few seconds; only a client hammering the endpoint meets the limit.
 */
#define RENDER_BURST 10
#define RENDER_PER_S 10

static double render_tokens = RENDER_BURST;
static uint64_t render_refill_ms;
static uint64_t rate_limited;

static const char *version_str = "";

struct store_sample {
	const char *name, *help;
	bool counter;
	const char *target;
	char lun[24];
	const char *label;
	char label_value[32];
	double value;
	size_t seq;
};

struct store_samples {
	struct store_sample *v;
	size_t nr, cap;
	const char *target;
	const char *lun;
};

static void lun_labels(struct expo_label *l, const struct target *t,
		       const char *lun)
{
	l[0] = (struct expo_label){"target", t->name};
	l[1] = (struct expo_label){"lun", lun};
}

/* Calls fn for each LU of each target with its labels ready. */
typedef void (*lu_fn)(struct strbuf *out, struct scsi_lu *lu,
		      struct expo_label *l, void *arg);

static void for_each_lu(struct strbuf *out, lu_fn fn, void *arg)
{
	struct target *t;
	struct expo_label l[3];
	char lun[24];

	list_for_each_entry (t, target_list(), node) {
		for (struct scsi_lu *lu = scsi_lu_next(t, NULL); lu;
		     lu = scsi_lu_next(t, lu)) {
			snprintf(lun, sizeof(lun), "%llu",
				 (unsigned long long)scsi_lu_number(lu));
			lun_labels(l, t, lun);
			fn(out, lu, l, arg);
		}
	}
}

enum field { F_CMDS, F_BYTES, F_ERRORS };

static void put_op_field(struct strbuf *out, struct scsi_lu *lu,
			 struct expo_label *l, void *arg)
{
	const char *const name[] = {"tgtx_lun_commands_total",
				    "tgtx_lun_bytes_total",
				    "tgtx_lun_errors_total"};
	enum field f = *(enum field *)arg;
	const struct lu_stats *st = scsi_lu_stats(lu);

	for (int op = 0; op < LU_OP_NR; op++) {
		const struct lu_op_stats *s = &st->op[op];
		uint64_t v = f == F_CMDS    ? s->cmds
			     : f == F_BYTES ? s->bytes
					    : s->errors;

		/* only reads and writes move data the counters follow */
		if (f == F_BYTES && op == LU_OP_OTHER)
			continue;
		l[2] = (struct expo_label){"op", lu_stat_op_name(op)};
		expo_u64(out, name[f], l, 3, v);
	}
}

static void put_ua(struct strbuf *out, struct scsi_lu *lu, struct expo_label *l,
		   void *arg)
{
	expo_u64(out, "tgtx_lun_unit_attentions_total", l, 2,
		 scsi_lu_stats(lu)->unit_attentions);
}

static void put_latency(struct strbuf *out, struct scsi_lu *lu,
			struct expo_label *l, void *arg)
{
	const struct lu_stats *st = scsi_lu_stats(lu);

	for (int op = 0; op < LU_OP_NR; op++) {
		const struct lu_op_stats *s = &st->op[op];

		l[2] = (struct expo_label){"op", lu_stat_op_name(op)};
		expo_histogram(out, "tgtx_lun_latency_seconds", l, 3,
			       lu_lat_bound_us, s->lat, LU_LAT_BUCKETS,
			       (double)s->lat_sum_ns / 1e9);
	}
}

static void store_emit(void *arg, const struct bs_metric *m)
{
	struct store_samples *ss = arg;
	struct store_sample *s;

	if (ss->nr == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 64;
		struct store_sample *v;

		if (cap > MAX_STORE_SAMPLES)
			return;
		v = realloc(ss->v, cap * sizeof(*v));
		if (!v)
			return;
		ss->v = v;
		ss->cap = cap;
	}
	s = &ss->v[ss->nr];
	memset(s, 0, sizeof(*s));
	s->name = m->name;
	s->help = m->help;
	s->counter = m->counter;
	s->target = ss->target;
	snprintf(s->lun, sizeof(s->lun), "%s", ss->lun);
	if (m->label && m->label_value) {
		s->label = m->label;
		snprintf(s->label_value, sizeof(s->label_value), "%s",
			 m->label_value);
	}
	s->value = m->value;
	s->seq = ss->nr++;
}

static void gather_store(struct strbuf *out, struct scsi_lu *lu,
			 struct expo_label *l, void *arg)
{
	struct store_samples *ss = arg;
	struct bs_dev *dev = scsi_lu_bs(lu);

	if (!dev || !dev->ops->metrics)
		return;
	ss->target = l[0].value;
	ss->lun = l[1].value;
	dev->ops->metrics(dev, store_emit, ss);
}

static int by_name(const void *a, const void *b)
{
	const struct store_sample *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void put_store_samples(struct strbuf *out)
{
	struct store_samples ss = {0};
	char name[128];

	for_each_lu(out, gather_store, &ss);
	if (ss.nr)
		qsort(ss.v, ss.nr, sizeof(*ss.v), by_name);
	for (size_t i = 0; i < ss.nr; i++) {
		const struct store_sample *s = &ss.v[i];
		struct expo_label l[3] = {{"target", s->target},
					  {"lun", s->lun},
					  {s->label, s->label_value}};

		snprintf(name, sizeof(name), "tgtx_%s", s->name);
		if (!i || strcmp(s->name, ss.v[i - 1].name))
			expo_family(out, name, s->counter ? "counter" : "gauge",
				    s->help);
		expo_double(out, name, l, s->label ? 3 : 2, s->value);
	}
	free(ss.v);
}

static void put_http(struct strbuf *out)
{
	const struct http_stats *h = http_min_stats();
	struct expo_label l;

	expo_family(out, "tgtx_metrics_http_requests_total", "counter",
		    "Requests the metrics endpoint answered");
	expo_u64(out, "tgtx_metrics_http_requests_total", NULL, 0, h->requests);
	expo_family(out, "tgtx_metrics_http_rejected_total", "counter",
		    "Metrics connections refused or closed early, by reason");
	l = (struct expo_label){"reason", "too_large"};
	expo_u64(out, "tgtx_metrics_http_rejected_total", &l, 1, h->too_large);
	l.value = "bad_request";
	expo_u64(out, "tgtx_metrics_http_rejected_total", &l, 1, h->bad);
	l.value = "timeout";
	expo_u64(out, "tgtx_metrics_http_rejected_total", &l, 1, h->timeouts);
	l.value = "evicted";
	expo_u64(out, "tgtx_metrics_http_rejected_total", &l, 1, h->evicted);
	l.value = "rate_limited";
	expo_u64(out, "tgtx_metrics_http_rejected_total", &l, 1, rate_limited);
}

void metrics_render(struct strbuf *out)
{
	static const char *const help[] = {
		"SCSI commands completed, by kind",
		"Bytes moved by successful reads and writes",
		"Commands that did not end GOOD (unit attentions aside)",
	};
	static const char *const name[] = {"tgtx_lun_commands_total",
					   "tgtx_lun_bytes_total",
					   "tgtx_lun_errors_total"};
	char hex[2 * NODE_ID_LEN + 1];
	struct expo_label info[2];
	struct target *t;

	node_id_hex(node_id_get(), hex);
	info[0] = (struct expo_label){"version", version_str};
	info[1] = (struct expo_label){"node_id", hex};
	expo_family(out, "tgtx_info", "gauge", "tgtxd version and node id");
	expo_u64(out, "tgtx_info", info, 2, 1);

	expo_family(out, "tgtx_target_sessions", "gauge",
		    "iSCSI sessions logged in to the target");
	list_for_each_entry (t, target_list(), node) {
		struct expo_label l = {"target", t->name};

		expo_u64(out, "tgtx_target_sessions", &l, 1,
			 (uint64_t)iscsi_target_nr_sessions(t));
	}
	for (enum field f = F_CMDS; f <= F_ERRORS; f++) {
		expo_family(out, name[f], "counter", help[f]);
		for_each_lu(out, put_op_field, &f);
	}
	expo_family(out, "tgtx_lun_unit_attentions_total", "counter",
		    "Commands answered with a UNIT ATTENTION");
	for_each_lu(out, put_ua, NULL);
	expo_family(out, "tgtx_lun_latency_seconds", "histogram",
		    "Time from SCSI dispatch to completion, by kind");
	for_each_lu(out, put_latency, NULL);
	put_store_samples(out);
	put_http(out);
}

static bool render_allowed(void)
{
	uint64_t now = loop_now_ms();

	render_tokens += (double)(now - render_refill_ms) * RENDER_PER_S / 1000;
	if (render_tokens > RENDER_BURST)
		render_tokens = RENDER_BURST;
	render_refill_ms = now;
	if (render_tokens < 1)
		return false;
	render_tokens -= 1;
	return true;
}

static int serve(const char *path, struct strbuf *body, const char **ctype)
{
	if (strcmp(path, "/metrics")) {
		strbuf_addf(body, "not found: try /metrics\n");
		return 404;
	}
	if (!render_allowed()) {
		rate_limited++;
		strbuf_addf(body, "too many scrapes, retry in a second\n");
		return 503;
	}
	metrics_render(body);
	*ctype = EXPO_CONTENT_TYPE;
	return body->oom ? 500 : 200;
}

/* The port must be given: there is no default port to guess. */
static bool has_port(const char *spec)
{
	const char *colon = strrchr(spec, ':');

	if (!colon || !colon[1])
		return false;
	if (spec[0] == '[')
		return colon > strchr(spec, ']');
	return colon == strchr(spec, ':');
}

int metrics_start(const char *spec, const char *version, char *err,
		  size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!has_port(spec) || iscsi_addr_parse(spec, &ss, &len)) {
		snprintf(err, errlen,
			 "bad address '%s' (ADDR:PORT or [V6ADDR]:PORT)", spec);
		return -EINVAL;
	}
	version_str = version;
	return http_min_start((struct sockaddr *)&ss, len, serve, err, errlen);
}

void metrics_stop(void)
{
	http_min_stop();
}
