// SPDX-License-Identifier: GPL-2.0-or-later
/* Peer status for show and the metrics (xs_status.h). */
#include <inttypes.h>
#include <stdio.h>

#include "xs_status.h"

static uint64_t acked(const struct xs_peer_view *v)
{
	uint64_t a = v->log.cursor;

	if (v->have_status && v->st.acked_seq > a)
		a = v->st.acked_seq;
	return a;
}

double xs_peer_rpo(const struct xs_peer_view *v, uint64_t durable_seq,
		   uint64_t now_ns)
{
	uint64_t t;

	if (acked(v) >= durable_seq)
		return 0.0;
	t = v->have_status ? v->st.acked_time_ns : 0;
	if (!t)
		return v->log.lag_seconds;
	return now_ns > t ? (double)(now_ns - t) / 1e9 : 0.0;
}

uint8_t xs_peer_state(const struct xs_peer_view *v, uint64_t now_ns,
		      uint64_t *silent_s)
{
	uint8_t s;

	*silent_s = 0;
	if (!v->have_status)
		return v->log.needs_resync ? SL_PS_NEEDS_RESYNC : SL_PS_OFFLINE;
	if (now_ns > v->st.updated_ns &&
	    now_ns - v->st.updated_ns > XS_STATUS_STALE_NS) {
		*silent_s = (now_ns - v->st.updated_ns) / 1000000000ULL;
		return SL_PS_OFFLINE;
	}
	s = v->st.state;
	/* the store's mark wins over a report that has not seen it yet */
	if (v->log.needs_resync && s != SL_PS_RESYNC && s != SL_PS_BASELINE)
		return SL_PS_NEEDS_RESYNC;
	return s;
}

static void format_rate(char *buf, size_t len, uint64_t bps)
{
	if (bps < 1000)
		snprintf(buf, len, "%" PRIu64 "B/s", bps);
	else if (bps < 1000000)
		snprintf(buf, len, "%.1fkB/s", (double)bps / 1e3);
	else if (bps < 1000000000)
		snprintf(buf, len, "%.1fMB/s", (double)bps / 1e6);
	else
		snprintf(buf, len, "%.1fGB/s", (double)bps / 1e9);
}

/* The replicator's error text, printable and without quotes. */
static void clean_error(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f && src[i] != '"' &&
					 src[i] != '\\'
				 ? src[i]
				 : '?';
	dst[i] = '\0';
}

void xs_format_peer_line(struct strbuf *out, const char *ind, unsigned peer,
			 const struct xs_peer_view *v, uint64_t durable_seq,
			 uint64_t now_ns)
{
	uint64_t silent;
	uint8_t s = xs_peer_state(v, now_ns, &silent);
	char rate[32], note[48] = "";

	format_rate(rate, sizeof(rate), v->have_status ? v->st.rate_bps : 0);
	if (s == SL_PS_OFFLINE && !v->have_status)
		snprintf(note, sizeof(note), " (no replicator status)");
	else if (s == SL_PS_OFFLINE && silent)
		snprintf(note, sizeof(note),
			 " (replicator silent %" PRIu64 "s)", silent);
	strbuf_addf(out,
		    "%sPeer %u: state=%s%s acked_seq=%" PRIu64
		    " rpo=%.1fs rate=%s transport=%s",
		    ind, peer, sl_peer_state_name(s), note, acked(v),
		    xs_peer_rpo(v, durable_seq, now_ns), rate,
		    v->have_status ? sl_transport_name(v->st.transport)
				   : "unknown");
	if ((s == SL_PS_RESYNC || s == SL_PS_BASELINE) && v->st.resync_total) {
		uint64_t done = v->st.resync_done < v->st.resync_total
					? v->st.resync_done
					: v->st.resync_total;

		strbuf_addf(out, " resync=%" PRIu64 "%% eta=%" PRIu32 "s",
			    done * 100 / v->st.resync_total, v->st.eta_s);
	}
	if (v->have_status && v->st.error[0]) {
		char e[sizeof(v->st.error)];

		clean_error(e, v->st.error, sizeof(e));
		strbuf_addf(out, " error=\"%s\"", e);
	}
	/* the store's own view of the cursor, as before the replicator */
	strbuf_addf(out,
		    " cursor=%" PRIu64 " lag=%" PRIu64 " records %" PRIu64
		    " bytes %.1f s%s\n",
		    v->log.cursor, v->log.lag_records, v->log.lag_bytes,
		    v->log.lag_seconds,
		    v->log.needs_resync ? " needs-resync" : "");
}
