/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What show and the metrics say about a peer: the replicator's status file
 * (DIR/status.<i>) joined with the store's own view of the peer's cursor,
 * and the RPO computed when asked, so a stuck replicator shows a growing
 * lag instead of its last word.
 */
#ifndef TGTX_XS_STATUS_H
#define TGTX_XS_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "bs_xorshare/log/sharelog.h"
#include "core/strbuf.h"

/* A status older than this: the replicator is silent, the peer offline. */
#define XS_STATUS_STALE_NS (30ULL * 1000000000ULL)

struct xs_peer_view {
	bool have_status; /* status.<i> read and valid */
	struct sl_peer_status_info st;
	struct sharelog_peer log; /* the store's view: cursor, needs-resync */
};

/*
 * Seconds of writes the peer lacks: 0 when it holds every durable record
 * (acked_seq >= durable_seq), else now - the time of the newest record it
 * holds (without one, the age of the oldest record it lacks).
 */
double xs_peer_rpo(const struct xs_peer_view *v, uint64_t durable_seq,
		   uint64_t now_ns);
/* SL_PS_* shown; *silent_s: seconds since the last status when stale. */
uint8_t xs_peer_state(const struct xs_peer_view *v, uint64_t now_ns,
		      uint64_t *silent_s);
/* One show line, e.g. "Peer 1: state=in-sync acked_seq=12 rpo=0.0s ..." */
void xs_format_peer_line(struct strbuf *out, const char *ind, unsigned peer,
			 const struct xs_peer_view *v, uint64_t durable_seq,
			 uint64_t now_ns);

#endif
