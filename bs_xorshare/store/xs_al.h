/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The activity log: the set of "hot" volume extents (SL_EXTENT_BYTES each)
 * that writes may touch without any flush. Before a write touches an
 * extent, the extent is in a durable activity-log transaction (files al.0
 * and al.1, struct sl_al_hdr); an extent leaves the set only after its log
 * records, volume blocks and generation-map chunk are durable. After an
 * unclean stop, every extent of the last transaction is re-logged from the
 * volume with new generations, so the volume never holds a change the log
 * (and so the peers) can lose. doc/sharelog.md explains the choice.
 *
 * Writer thread only.
 */
#ifndef TGTX_XS_AL_H
#define TGTX_XS_AL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xs_al;

/*
 * Opens (creates) the activity log of a volume of nr_extents extents, cap
 * hot extents at most. hot, nr_hot: the extents of the last transaction
 * (malloc'ed; non-empty only after an unclean stop).
 */
int xs_al_open(struct xs_al **out, const char *dir, const uint8_t uuid[16],
	       uint64_t nr_extents, uint32_t cap, bool break_for_test,
	       uint64_t **hot, uint32_t *nr_hot, char *err, size_t errlen);
void xs_al_close(struct xs_al *al);
/* A new batch begins: extents used from now on are not evicted. */
void xs_al_new_epoch(struct xs_al *al);
/* true if hot (and marks it used now). */
bool xs_al_touch(struct xs_al *al, uint64_t extent);
/* Queues a cold extent for the next commit (no-op if hot or queued). */
void xs_al_want(struct xs_al *al, uint64_t extent);
uint32_t xs_al_nr_wanted(const struct xs_al *al);
/* Hot + wanted beyond capacity: how many must be evicted first. */
uint32_t xs_al_overflow(const struct xs_al *al);
/*
 * Picks up to nr least recently used hot extents that are neither pinned
 * nor used in this epoch; returns how many (victims[]).
 */
uint32_t xs_al_pick_victims(struct xs_al *al, uint32_t nr, uint64_t *victims);
/* Drops victims from the set (in memory; durable with the next commit). */
void xs_al_remove(struct xs_al *al, const uint64_t *victims, uint32_t nr);
/* Writes the set (hot + wanted) durably; wanted become hot. 0 or -errno. */
int xs_al_commit(struct xs_al *al);
/* Writes an empty set durably (clean stop). */
int xs_al_clear(struct xs_al *al);
/* Pinned extents are never evicted (re-log pending). */
void xs_al_pin(struct xs_al *al, uint64_t extent, bool on);
/* The volume grew or shrank. */
int xs_al_resize(struct xs_al *al, uint64_t nr_extents);
/* Lists hot extents; returns how many (up to max). */
uint32_t xs_al_list(const struct xs_al *al, uint64_t *out, uint32_t max);
uint32_t xs_al_nr_hot(const struct xs_al *al);
uint64_t xs_al_txns(const struct xs_al *al);

#endif
