/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The share log: a bounded, segmented, append-only log of records, each
 * holding one write's data once, in the clear, with the generation of every
 * block (format in sharelog_format.h, design in doc/sharelog.md). The n
 * shares of a record are derived from it when they are sent
 * (xs_share_derive with nonce = generation), never stored.
 *
 * Synchronous and NOT thread-safe: one owner thread calls everything (the
 * xorshare store's writer thread, or a tool). This folder links only core
 * and the codec: the replicator and the recovery tool use it without any
 * store header.
 */
#ifndef TGTX_SHARELOG_H
#define TGTX_SHARELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sharelog_format.h"

enum sl_full_policy {
	SL_FULL_DROP_LAGGING = 0, /* never stop the LUN: drop a lagging peer */
	SL_FULL_BLOCK = 1,	  /* writes wait for the replicator */
};

struct sharelog_cfg {
	const char *dir;      /* created if missing */
	uint64_t log_size;    /* bound on all segments' bytes */
	uint32_t max_rec_len; /* largest record the caller will append */
	uint32_t block_size;  /* 0 with read_only: taken from the log */
	uint8_t k, n;	      /* 0/0 with read_only: taken from the log */
	uint8_t uuid[16];     /* all zero with read_only: not checked */
	enum sl_full_policy full;
	/*
	 * Inspect only: no repair, no new segment, nothing freed; only
	 * sharelog_peer_confirm() writes (a cursor file, atomically).
	 */
	bool read_only;
};

struct sharelog;

struct sharelog_stats {
	uint64_t first_seq; /* oldest record still in the log (0: none) */
	uint64_t last_seq;  /* newest record (0: none yet) */
	uint64_t next_seq;
	uint64_t durable_seq; /* every record <= this is on stable storage:
			       * the replicator sends no record above it */
	uint64_t next_gen;    /* next generation handed out */
	uint64_t gen_reserved;
	uint64_t used_bytes; /* bytes of records in all live segments */
	uint64_t log_size;
	uint64_t seg_size;
	uint32_t nr_segments, max_segments;
	uint32_t resync_mask;
	uint32_t block_size;
	uint64_t drops;	     /* peers dropped for space since open */
	uint64_t torn_bytes; /* dropped from the tail at open */
	uint8_t k, n;
	uint8_t uuid[16];
};

struct sharelog_peer {
	uint64_t cursor; /* last confirmed seq */
	uint64_t cursor_time_ns;
	bool needs_resync;
	uint64_t resync_seq; /* first seq the peer is missing */
	uint64_t lag_records;
	uint64_t lag_bytes;  /* estimate, per-segment granularity */
	double lag_seconds;  /* age of the oldest unconfirmed record */
	uint64_t drop_epoch; /* +1 at each drop; resync_finish names it */
	bool resync_active;  /* a resync holds records >= resync_from */
	uint64_t resync_from;
};

/* Opens (or creates) the log in cfg->dir; on error fills err with context. */
int sharelog_open(struct sharelog **out, const struct sharelog_cfg *cfg,
		  char *err, size_t errlen);
void sharelog_close(struct sharelog *sl);

/* Bytes a record takes (header + data). */
static inline uint64_t sl_record_size(enum sl_rec_type type, uint32_t nblocks,
				      uint32_t block_size)
{
	return SL_REC_HDR_SIZE +
	       (type == SL_REC_WRITE ? (uint64_t)nblocks * block_size : 0);
}
/* The data of a checked WRITE record. */
static inline const uint8_t *sl_record_data(const void *rec)
{
	return (const uint8_t *)rec + SL_REC_HDR_SIZE;
}
/*
 * Checks a record read from somewhere: header CRC, fields, sizes against
 * avail, data CRC. Returns 0 or -EBADMSG / -EINVAL.
 */
int sl_record_check(const void *rec, size_t avail);
/* Header only (h in host order); 0, -EBADMSG (CRC, short) or -EINVAL. */
int sl_record_check_hdr(const void *rec, size_t avail, struct sl_rec_hdr *h);
/* Decoded header fields (host byte order), no checks. */
void sl_record_decode(const void *rec, struct sl_rec_hdr *out);
/* Builds a sealed header (host order in h: type, nblocks, lba, first_gen,
 * block_size, seq, time_ns; the CRCs are computed here). */
void sl_record_encode(void *out, const struct sl_rec_hdr *h, const void *data);

/*
 * Hands out nr consecutive generations (*first .. *first + nr - 1). Before
 * it hands out one at or above the durable reservation, the reservation is
 * moved ahead and made durable (state file), so that no generation is ever
 * used twice, whatever crash or power loss comes. 0 or -errno.
 */
int sharelog_gen_take(struct sharelog *sl, uint64_t nr, uint64_t *first);

/*
 * Appends one record (data: nblocks * block_size bytes for WRITE, NULL for
 * UNMAP), not yet durable (sharelog_sync). Returns 0 and sets *seq, or:
 *   -ENOSPC  log full and the policy (block) or the peers prevent freeing
 *   -EMSGSIZE record larger than max_rec_len, other -errno on I/O error
 * With drop-lagging, a full log drops the most lagging peer (alert logged).
 */
int sharelog_append(struct sharelog *sl, enum sl_rec_type type, uint64_t lba,
		    uint32_t nblocks, uint64_t first_gen, const void *data,
		    uint64_t *seq);
/* Makes every appended record durable (one fdatasync). */
int sharelog_sync(struct sharelog *sl);

/* Peer i confirmed every record <= seq: persists peer.<i>, frees space. */
int sharelog_peer_confirm(struct sharelog *sl, unsigned peer, uint64_t seq);
/* Re-reads the peer.<i> files (written by an external replicator). */
int sharelog_reload_cursors(struct sharelog *sl);
/* Peer i was fully resynchronised up to seq: clears needs-resync. */
int sharelog_peer_resync_done(struct sharelog *sl, unsigned peer, uint64_t seq);
/* Marks the most lagging live peer needs-resync; -ENOENT if none. */
int sharelog_drop_lagging(struct sharelog *sl, unsigned *peer);
/* Frees every segment all live peers have passed. */
void sharelog_reclaim(struct sharelog *sl);

/* Baseline progress, persisted in the state file. */
int sharelog_set_baseline(struct sharelog *sl, uint64_t next, uint64_t size);
void sharelog_get_baseline(struct sharelog *sl, uint64_t *next, uint64_t *size);

void sharelog_get_stats(struct sharelog *sl, struct sharelog_stats *st);
void sharelog_get_peer(struct sharelog *sl, unsigned peer,
		       struct sharelog_peer *out);
/* Last alert text ("" if none). */
const char *sharelog_alert(struct sharelog *sl);

/*
 * Iterates records with seq >= from_seq in order. next() returns 1 and
 * points *rec at a checked record (valid until the next call), 0 at the end,
 * or -errno.
 */
struct sl_iter;
int sharelog_iter_open(struct sharelog *sl, uint64_t from_seq,
		       struct sl_iter **out);
int sharelog_iter_next(struct sl_iter *it, const void **rec);
void sharelog_iter_close(struct sl_iter *it);

/* Newest record appended (0: none). */
uint64_t sharelog_last_seq(const struct sharelog *sl);

/*
 * ---- following a live log from another process (the replicator) ----
 *
 * The store publishes DIR/progress (struct sl_progress): durable_seq,
 * applied_seq (newest record whose volume write AND map entries are done),
 * last_seq. A hint, valid while the store runs.
 */
struct sl_progress_info {
	uint16_t flags; /* SL_PROG_* */
	uint64_t durable_seq;
	uint64_t applied_seq;
	uint64_t last_seq;
	uint64_t updated_ns;
	uint64_t run_id; /* changes when the store restarts */
	uint32_t pid;
};
/* Reads DIR/progress, again while a torn (half-written) copy is seen.
 * 0, -ENOENT, -EBADMSG (still bad after retries), -EPROTONOSUPPORT. */
int sharelog_read_progress(const char *dir, struct sl_progress_info *out);

/*
 * Read-only handle: catches up with the store's log: records appended since
 * open or the last refresh, new segments, segments freed by the store, the
 * state file (needs-resync mask, resync_seq, drop_epoch), the cursors and
 * the progress file (stats.durable_seq = the store's durable_seq, never
 * above what was read from disk). A restarted store (new run_id) makes it
 * read every segment again. Then sharelog_iter_open() sees the new records;
 * a from_seq already freed gives -ENOENT (the peer needs a resync). The
 * caller never sends a record above durable_seq. 0 or -errno (-EINVAL on a
 * writer handle).
 */
int sharelog_refresh(struct sharelog *sl);

/*
 * Resync handshake, written by the replicator into peer.<i> (flags of
 * struct sl_cursor). start: a resync of the needs-resync peer begins that
 * will also send every record >= from_seq: the store keeps them (the peer
 * holds the log at from_seq - 1 for reclaim) while the peer is still
 * reported needs-resync; it applies to the peer's current drop epoch only.
 * finish: the resync that started at drop epoch `epoch` holds every record
 * <= seq: the store clears needs-resync at its next cursor reload (<= 1 s)
 * unless the peer was dropped again after `epoch` (the replicator sees
 * needs_resync still set with a new drop_epoch after sharelog_refresh and
 * starts over). Plain progress stays sharelog_peer_confirm(). 0 or -errno.
 */
int sharelog_peer_resync_start(struct sharelog *sl, unsigned peer,
			       uint64_t from_seq);
int sharelog_peer_resync_finish(struct sharelog *sl, unsigned peer,
				uint64_t seq, uint64_t epoch);

/*
 * Store side of DIR/progress. set_applied/set_flags may be called from any
 * thread; publish writes the file when a value changed, at most once per
 * SL_PROGRESS_MIN_NS unless force (then pending() says a change waits).
 */
void sharelog_set_applied(struct sharelog *sl, uint64_t seq);
void sharelog_set_progress_flags(struct sharelog *sl, uint16_t flags);
int sharelog_publish_progress(struct sharelog *sl, bool force);
bool sharelog_progress_pending(struct sharelog *sl);

/*
 * ---- peer status file DIR/status.<i> (struct sl_peer_status) ----
 * Written by the replicator about once a second (atomic replace, no
 * fsync), read by the store for show and metrics.
 */
enum {
	SL_PS_BASELINE = 1,
	SL_PS_RESYNC = 2,
	SL_PS_IN_SYNC = 3,
	SL_PS_LAGGING = 4,
	SL_PS_OFFLINE = 5,
	SL_PS_NEEDS_RESYNC = 6,
	SL_PS_BLOCKED = 7,
};
enum { SL_PT_PLAIN = 0, SL_PT_IPSEC = 1, SL_PT_TLS = 2 };

struct sl_peer_status_info {
	uint8_t state;	   /* SL_PS_* */
	uint8_t transport; /* SL_PT_* */
	uint64_t acked_seq;
	uint64_t acked_time_ns; /* time of the newest record the peer holds
				 * durably */
	uint64_t updated_ns;	/* 0 on write: now */
	uint64_t rate_bps;
	uint64_t resync_done, resync_total; /* bytes */
	uint32_t eta_s;
	char error[64];
};
int sharelog_write_peer_status(const char *dir, unsigned peer,
			       const struct sl_peer_status_info *st);
/* 0, -ENOENT, -EBADMSG, -EPROTONOSUPPORT */
int sharelog_read_peer_status(const char *dir, unsigned peer,
			      struct sl_peer_status_info *st);
const char *sl_peer_state_name(uint8_t state);
const char *sl_transport_name(uint8_t transport);

/* mkdir -p with mode 0700. 0 or -errno. */
int sl_mkdir_p(const char *dir);
/* Atomic small-file replacement (0600): write tmp, fsync, rename, fsync dir */
int sl_write_file_atomic(const char *dir, const char *name, const void *buf,
			 size_t len);
uint64_t sl_now_ns(void);

/*
 * Why a log directory cannot be opened when it holds an older format:
 * fills err with what to do and returns -EPROTONOSUPPORT, else 0.
 */
int sl_check_format_version(const char *dir, char *err, size_t errlen);

#endif
