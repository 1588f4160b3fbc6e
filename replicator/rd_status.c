// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What an operator sees: every second each peer's status goes to
 * DIR/status.<i> (tgtxd's show and metrics read it; RPO is computed there
 * when asked), and tgtx-replicd --metrics serves the same as Prometheus
 * text. The rate is measured here (bytes written to the peer per second,
 * smoothed), the ETA of a resync from its measured progress.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bs_xorshare/log/sharelog.h"
#include "core/strbuf.h"
#include "rd.h"

_Static_assert(RD_PS_BLOCKED == SL_PS_BLOCKED &&
		       RD_PS_IN_SYNC == SL_PS_IN_SYNC &&
		       RD_TRANSPORT_TLS == SL_PT_TLS &&
		       RD_TRANSPORT_IPSEC == SL_PT_IPSEC,
	       "status numbers");

static const char *const state_names[] = {
	[0] = "starting",
	[RD_PS_BASELINE] = "baseline",
	[RD_PS_RESYNC] = "resync",
	[RD_PS_IN_SYNC] = "in-sync",
	[RD_PS_LAGGING] = "lagging",
	[RD_PS_OFFLINE] = "offline",
	[RD_PS_NEEDS_RESYNC] = "needs-resync",
	[RD_PS_BLOCKED] = "blocked",
};

const char *rd_state_name(unsigned state)
{
	return state < sizeof(state_names) / sizeof(state_names[0])
		       ? state_names[state]
		       : "unknown";
}

static const char *transport_name(unsigned t)
{
	return t == RD_TRANSPORT_PLAIN	 ? "plain"
	       : t == RD_TRANSPORT_IPSEC ? "ipsec"
					 : "tls";
}

/* Seconds left of a resync at the measured rate (0: unknown). */
static uint32_t eta(const struct rd_peer_state *s)
{
	uint64_t left = s->resync_total - s->resync_done;

	if (!s->rate_bps || s->resync_done >= s->resync_total)
		return 0;
	return (uint32_t)(left / s->rate_bps + 1);
}

static void measure(struct rd_peer *p, uint64_t now)
{
	struct rd_peer_state *s = &p->st;

	if (s->last_ns && now > s->last_ns) {
		double dt = (double)(now - s->last_ns) / 1e9;
		double r = (double)(s->bytes_written - s->last_bytes) / dt;

		/* smoothed over ~4 s: steady for an ETA, quick enough */
		s->rate_bps = (uint64_t)(0.75 * (double)s->rate_bps + 0.25 * r);
	}
	s->last_ns = now;
	s->last_bytes = s->bytes_written;
}

static void write_status(struct rd_engine *e, struct rd_peer *p,
			 const struct rd_peer_state *s, uint64_t now)
{
	struct sl_peer_status_info in = {
		.state = s->state,
		.transport = s->transport,
		.acked_seq = s->acked_seq,
		.acked_time_ns = s->acked_time_ns,
		.updated_ns = now,
		.rate_bps = s->rate_bps,
		.resync_done = s->resync_done,
		.resync_total = s->resync_total,
		.eta_s = eta(s),
	};

	/* the file has room for a short message: cut it, never overflow */
	memcpy(in.error, s->error, sizeof(in.error) - 1);
	in.error[sizeof(in.error) - 1] = '\0';
	sharelog_write_peer_status(e->log_dir, p->index, &in);
}

void rd_status_tick(void)
{
	uint64_t now = rd_now_ns();
	struct rd_engine *e;

	rd_engines_lock();
	for (e = rd_engines_next(NULL); e; e = rd_engines_next(e)) {
		for (unsigned i = 0; i < RD_PEERS_MAX; i++) {
			struct rd_peer *p = e->peers[i];
			struct rd_peer_state s;

			if (!p)
				continue;
			pthread_mutex_lock(&p->mu);
			measure(p, now);
			s = p->st;
			pthread_mutex_unlock(&p->mu);
			write_status(e, p, &s, now);
		}
	}
	rd_engines_unlock();
}

static void label(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			strbuf_addf(out, "\\%c", *v);
		else if (*v == '\n')
			strbuf_addf(out, "\\n");
		else
			strbuf_addf(out, "%c", *v);
	}
}

void rd_metric_family(struct strbuf *out, const char *name, const char *type,
		      const char *help)
{
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		    type);
}

enum metric {
	M_STATE,
	M_ACKED,
	M_RPO,
	M_BYTES,
	M_RATE,
	M_RS_DONE,
	M_RS_TOTAL,
	M_ETA,
	M_ERRORS,
	M_RECONNECTS,
	M_CKPT,
	M__COUNT
};

static const struct {
	const char *name, *type, *help;
} metrics[M__COUNT] = {
	{"tgtx_replicd_peer_state", "gauge",
	 "1 baseline 2 resync 3 in-sync 4 lagging 5 offline 6 needs-resync "
	 "7 blocked"},
	{"tgtx_replicd_peer_acked_seq", "gauge",
	 "newest share-log seq the peer holds durably"},
	{"tgtx_replicd_peer_rpo_seconds", "gauge",
	 "0 when the peer holds every durable record, else age of the newest "
	 "record it holds"},
	{"tgtx_replicd_peer_written_bytes_total", "counter",
	 "bytes written to the peer LUN"},
	{"tgtx_replicd_peer_throughput_bytes_per_second", "gauge",
	 "measured write rate to the peer"},
	{"tgtx_replicd_peer_resync_done_bytes", "gauge",
	 "volume bytes of the running resync already sent"},
	{"tgtx_replicd_peer_resync_total_bytes", "gauge",
	 "volume bytes of the running resync"},
	{"tgtx_replicd_peer_resync_eta_seconds", "gauge",
	 "time left of the running resync at the measured rate (0: unknown)"},
	{"tgtx_replicd_peer_errors_total", "counter",
	 "errors (connect, I/O, format) seen on the peer"},
	{"tgtx_replicd_peer_connects_total", "counter",
	 "successful logins to the peer"},
	{"tgtx_replicd_peer_checkpoint_seq", "gauge",
	 "seq up to which the peer's journal is folded into its slots"},
};

static double value(enum metric m, const struct rd_peer_state *s,
		    uint64_t durable, uint64_t now)
{
	switch (m) {
	case M_STATE:
		return s->state;
	case M_ACKED:
		return (double)s->acked_seq;
	case M_RPO:
		if (s->acked_seq >= durable || !s->acked_time_ns)
			return s->acked_seq >= durable ? 0 : -1;
		return now > s->acked_time_ns
			       ? (double)(now - s->acked_time_ns) / 1e9
			       : 0;
	case M_BYTES:
		return (double)s->bytes_written;
	case M_RATE:
		return (double)s->rate_bps;
	case M_RS_DONE:
		return (double)s->resync_done;
	case M_RS_TOTAL:
		return (double)s->resync_total;
	case M_ETA:
		return eta(s);
	case M_ERRORS:
		return (double)s->errors;
	case M_RECONNECTS:
		return (double)s->reconnects;
	case M_CKPT:
		return (double)s->ckpt_seq;
	default:
		return 0;
	}
}

void rd_metrics_render(struct strbuf *out)
{
	uint64_t now = rd_now_ns();

	rd_engines_lock();
	for (unsigned m = 0; m < M__COUNT; m++) {
		struct rd_engine *e;

		rd_metric_family(out, metrics[m].name, metrics[m].type,
				 metrics[m].help);
		for (e = rd_engines_next(NULL); e; e = rd_engines_next(e)) {
			uint64_t durable = atomic_load(&e->durable_seq);

			for (unsigned i = 0; i < RD_PEERS_MAX; i++) {
				struct rd_peer *p = e->peers[i];
				struct rd_peer_state s;

				if (!p)
					continue;
				pthread_mutex_lock(&p->mu);
				s = p->st;
				pthread_mutex_unlock(&p->mu);
				strbuf_addf(out, "%s{lun=\"", metrics[m].name);
				label(out, e->name);
				strbuf_addf(out, "\",peer=\"%u\"", i);
				if (m == M_STATE)
					strbuf_addf(
						out,
						",state=\"%s\",transport="
						"\"%s\"",
						rd_state_name(s.state),
						transport_name(s.transport));
				strbuf_addf(out, "} %.17g\n",
					    value(m, &s, durable, now));
			}
		}
	}
	rd_metric_family(out, "tgtx_replicd_lun_durable_seq", "gauge",
			 "newest share-log record a peer may be sent");
	for (struct rd_engine *e = rd_engines_next(NULL); e;
	     e = rd_engines_next(e)) {
		strbuf_addf(out, "tgtx_replicd_lun_durable_seq{lun=\"");
		label(out, e->name);
		strbuf_addf(out, "\"} %" PRIu64 "\n",
			    atomic_load(&e->durable_seq));
	}
	rd_engines_unlock();
}
