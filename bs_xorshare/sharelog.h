/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The share log: a bounded, segmented, append-only log of records, each
 * holding the n shares of one write (format in sharelog_format.h, design in
 * doc/sharelog.md). Synchronous and NOT thread-safe: one owner thread calls
 * everything (the xorshare store's I/O thread, or a tool).
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
	uint8_t k, n;	      /* 0/0 with read_only: taken from the log */
	uint8_t uuid[16];     /* all zero with read_only: not checked */
	enum sl_full_policy full;
	/*
	 * Inspect only: no repair, no new segment, nothing freed; only
	 * sharelog_peer_confirm() writes (a cursor file, atomically).
	 */
	bool read_only;
	/* Append with write() instead of mapping the active segment. */
	bool no_map;
};

struct sharelog;

struct sharelog_stats {
	uint64_t first_seq; /* oldest record still in the log (0: none) */
	uint64_t last_seq;  /* newest record (0: none yet) */
	uint64_t next_seq;
	uint64_t checkpoint;
	uint64_t used_bytes; /* bytes of all live segments */
	uint64_t log_size;
	uint64_t seg_size;
	uint32_t nr_segments, max_segments;
	uint32_t resync_mask;
	uint64_t drops;	     /* peers dropped for space since open */
	uint64_t torn_bytes; /* dropped from the tail at open */
	uint8_t k, n;
};

struct sharelog_peer {
	uint64_t cursor; /* last confirmed seq */
	uint64_t cursor_time_ns;
	bool needs_resync;
	uint64_t resync_seq; /* first seq the peer is missing */
	uint64_t lag_records;
	uint64_t lag_bytes; /* estimate, per-segment granularity */
	double lag_seconds; /* age of the oldest unconfirmed record */
};

/* Opens (or creates) the log in cfg->dir; on error fills err with context. */
int sharelog_open(struct sharelog **out, const struct sharelog_cfg *cfg,
		  char *err, size_t errlen);
void sharelog_close(struct sharelog *sl);

/* Bytes a record with n shares of share_len bytes takes. */
uint32_t sl_record_size(unsigned n, uint32_t share_len);
/* Fills the header of a record buffer of sl_record_size() bytes. */
void sl_record_init(void *rec, enum sl_rec_type type, uint8_t k, uint8_t n,
		    uint64_t offset, uint64_t length, uint32_t share_len);
static inline uint8_t *sl_record_share(void *rec, unsigned i,
				       uint32_t share_len)
{
	return (uint8_t *)rec + SL_REC_HDR_SIZE + (size_t)i * share_len;
}
/*
 * Checks a record read from somewhere: header CRC, sizes against avail,
 * payload CRC. Returns 0 or -EBADMSG / -EINVAL.
 */
int sl_record_check(const void *rec, size_t avail);
/* Decoded header fields (host byte order). */
void sl_record_decode(const void *rec, struct sl_rec_hdr *out);

/*
 * Appends a record built with sl_record_init (+ shares): assigns seq and
 * time, seals the checksums, writes it (not yet durable: sharelog_sync).
 * Returns 0 and sets *seq, or:
 *   -ENOSPC  log full and the policy (block) or the peers prevent freeing
 *   -EAGAIN  log full and only the volume checkpoint holds the oldest
 *            segment: make the volume durable, sharelog_set_checkpoint(),
 *            retry
 *   -EMSGSIZE record larger than max_rec_len, other -errno on I/O error
 * With drop-lagging, a full log drops the most lagging peer (alert logged).
 */
int sharelog_append(struct sharelog *sl, void *rec, uint64_t *seq);
/*
 * Zero-copy append in two steps: sharelog_reserve() makes room for a record
 * of rec_len bytes (rotating segments, same errors as sharelog_append) and
 * points *rec at where to build it, normally inside the mapped active
 * segment; the caller fills it (sl_record_init + shares) and then
 * sharelog_commit() seals and appends it. No other sharelog call may come
 * between the two; a reservation that is never committed is simply reused.
 */
int sharelog_reserve(struct sharelog *sl, uint32_t rec_len, void **rec);
int sharelog_commit(struct sharelog *sl, uint64_t *seq);
/* Makes every appended record durable (group commit: one fdatasync). */
int sharelog_sync(struct sharelog *sl);

/* Every record <= seq is durable in the local volume; frees space. */
int sharelog_set_checkpoint(struct sharelog *sl, uint64_t seq);
/* Peer i confirmed every record <= seq: persists peer.<i>, frees space. */
int sharelog_peer_confirm(struct sharelog *sl, unsigned peer, uint64_t seq);
/* Re-reads the peer.<i> files (written by an external replicator). */
int sharelog_reload_cursors(struct sharelog *sl);
/* Peer i was fully resynchronised up to seq: clears needs-resync. */
int sharelog_peer_resync_done(struct sharelog *sl, unsigned peer, uint64_t seq);
/* Marks the most lagging live peer needs-resync; -ENOENT if none. */
int sharelog_drop_lagging(struct sharelog *sl, unsigned *peer);
/* Frees every segment all live peers and the checkpoint have passed. */
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

/* mkdir -p with mode 0700. 0 or -errno. */
int sl_mkdir_p(const char *dir);
/* Atomic small-file replacement: write tmp, fsync, rename, fsync dir. */
int sl_write_file_atomic(const char *dir, const char *name, const void *buf,
			 size_t len);

#endif
