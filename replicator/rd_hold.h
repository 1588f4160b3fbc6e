/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Held volumes (doc/gossip.md "Held volumes"): the volumes whose share
 * volumes this node's target serves, bound to the owner key that signed the
 * share-location table found in their header. The rules, the cap and the
 * file (rd_hold_format.h) live here; no I/O but the file, no threads, no
 * gossip: rd_gossip.c applies the verdicts to the gossip node and
 * rd_hold_scan.c reads the headers.
 *
 * Rules, for a table read from a share volume's header:
 *   - first sight of a UUID binds it to the table's signer (after the
 *     signature verified): the physical share we hold is the evidence;
 *   - the bound owner's table with a higher version is accepted, an equal
 *     one changes nothing, a lower one is refused;
 *   - a table of a bound UUID signed by any other key is refused, never
 *     replaces the binding (the caller logs it with both keys);
 *   - at most cap bindings are held; when full, a binding whose volume was
 *     not seen for RD_HOLD_STALE_MS gives its slot, else FULL.
 * Bindings survive restarts (the file), so a header rewritten by another
 * key while the daemon was down is still refused.
 */
#ifndef TGTX_RD_HOLD_H
#define TGTX_RD_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replicator/gossip/slt.h"

#define RD_HOLD_MAX	 256 /* default cap of bindings */
#define RD_HOLD_MAX_CAP	 4096
#define RD_HOLD_STALE_MS (7ULL * 24 * 3600 * 1000)

enum rd_hold_verdict {
	RD_HOLD_BOUND,	   /* first sight: bound to the signer now */
	RD_HOLD_SAME,	   /* the bound owner, a version already seen */
	RD_HOLD_NEWER,	   /* the bound owner, a higher version: accepted */
	RD_HOLD_OLDER,	   /* the bound owner, a lower version: refused */
	RD_HOLD_OTHER_KEY, /* validly signed by another key: refused */
	RD_HOLD_BAD,	   /* malformed, or the signature does not verify */
	RD_HOLD_FULL,	   /* cap reached, nothing stale: not bound */
	RD_HOLD_VERDICTS,
};

const char *rd_hold_verdict_name(enum rd_hold_verdict v);
/* BOUND, SAME, NEWER: the table may be used (published to gossip) */
static inline bool rd_hold_usable(enum rd_hold_verdict v)
{
	return v == RD_HOLD_BOUND || v == RD_HOLD_SAME || v == RD_HOLD_NEWER;
}

struct rd_hold;

/*
 * An empty store of at most cap bindings (1..RD_HOLD_MAX_CAP), all
 * allocated here at once; path (copied, NULL: nothing persisted) is the
 * file. NULL on a bad cap or without memory.
 */
struct rd_hold *rd_hold_new(unsigned cap, const char *path);
void rd_hold_free(struct rd_hold *h);
/*
 * Loads the file: 0, -ENOENT (none yet), -EBADMSG (damaged or more
 * records than cap: moved aside to PATH.bad, the store stays empty and
 * bindings are made again from the headers; *err says so) or -errno.
 * Loaded bindings count as seen at now_ms.
 */
int rd_hold_load(struct rd_hold *h, uint64_t now_ms, char *err, size_t errlen);

/*
 * Judges a table read from a share volume header (see the rules above) and
 * records what it changes (saved at once when persisted). t (may be NULL)
 * gets the decoded table unless BAD; owner (may be NULL) the bound owner
 * id when the UUID is bound (before this call for OTHER_KEY), *seen the
 * version held before the call (0: none).
 */
enum rd_hold_verdict rd_hold_offer(struct rd_hold *h, const uint8_t *tbl,
				   size_t len, uint64_t now_ms, struct slt *t,
				   uint8_t owner[SLT_ID_SIZE], uint64_t *seen);
/*
 * Binds uuid to owner by configuration (no table yet). 0 (bound, or
 * already bound to that owner), -EEXIST (bound to another owner: kept),
 * -ENOSPC (full).
 */
int rd_hold_bind(struct rd_hold *h, const uint8_t uuid[SLT_UUID_SIZE],
		 const uint8_t owner[SLT_ID_SIZE], uint64_t now_ms);
/* The owner uuid is bound to: true and owner filled, or false. */
bool rd_hold_owner(const struct rd_hold *h, const uint8_t uuid[SLT_UUID_SIZE],
		   uint8_t owner[SLT_ID_SIZE]);
/* Calls fn for every binding. */
void rd_hold_each(const struct rd_hold *h,
		  void (*fn)(void *arg, const uint8_t uuid[SLT_UUID_SIZE],
			     const uint8_t owner[SLT_ID_SIZE]),
		  void *arg);

struct rd_hold_stats {
	unsigned count, cap;
	size_t bytes; /* allocated by the store: cap records, fixed */
	uint64_t verdicts[RD_HOLD_VERDICTS];
	uint64_t evicted;
	int save_error; /* last save: 0 or -errno */
};
void rd_hold_stats(const struct rd_hold *h, struct rd_hold_stats *st);

#endif
