/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Share-log internals shared by its source files (not for the store). */
#ifndef TGTX_SHARELOG_PRIV_H
#define TGTX_SHARELOG_PRIV_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "sharelog.h"

/* Segments per log: fine enough to free space early, few enough files. */
#define SL_SEGS_TARGET 8
/* Freed files kept for reuse: the file count never exceeds max_segs. */
#define SL_MAX_SPARES SL_SEGS_TARGET
/* Generations reserved ahead per durable state update. */
#define SL_GEN_RESERVE (1ULL << 24)
/* Appended bytes after which writeback of the active segment is started. */
#define SL_KICK_BYTES (8ULL << 20)
/* Progress file: at most one write per this many ns while values move. */
#define SL_PROGRESS_MIN_NS 1000000ULL
/* Reads of a torn progress file before giving up. */
#define SL_PROGRESS_TRIES 200

struct sl_seg {
	uint64_t index;
	uint64_t first_seq;
	uint64_t last_seq; /* first_seq - 1 while empty */
	uint64_t first_time_ns, last_time_ns;
	uint64_t used; /* bytes of header and records */
};

struct sharelog {
	char dir[PATH_MAX];
	struct sharelog_cfg cfg;
	uint8_t k, n;
	uint8_t uuid[16];
	uint32_t block_size;
	uint64_t seg_size;
	uint32_t max_segs;
	struct sl_seg *segs;
	uint32_t nsegs, segs_cap;
	int active_fd;
	uint64_t next_seq;
	uint64_t durable_seq;
	uint64_t next_gen;
	uint64_t kicked; /* active segment offset writeback was started to */
	bool dirty;
	struct sl_state state;
	struct sl_cursor cursors[SL_MAX_N];
	uint64_t drops;
	uint64_t torn_bytes;
	char alert[256];
	uint64_t spares[SL_MAX_SPARES];
	unsigned nspares;

	/* progress file (writer handle); the atomics may be set by any thread
	 */
	int prog_fd;
	pthread_mutex_t prog_mu; /* guards the write and the fields below */
	struct sl_progress_info prog_written;
	uint64_t prog_written_mono;
	uint64_t prog_min_ns; /* SL_PROGRESS_MIN_NS; tests change it */
	_Atomic uint64_t pub_last, pub_durable, pub_applied;
	_Atomic unsigned pub_flags;
	_Atomic bool prog_pending;
	uint64_t run_id;
	/* read-only follower: the store run whose files were read */
	uint64_t ro_run_id;
};

/* State and cursor files (sl_files.c). -ENOENT when absent. */
int sl_state_load(const char *dir, struct sl_state *st);
int sl_state_store(const char *dir, const struct sl_state *st);
int sl_cursor_load(const char *dir, unsigned peer, struct sl_cursor *c);
int sl_cursor_store(const char *dir, const struct sl_cursor *c);

/* Progress file encoding (sl_files.c); decode: 0, -EBADMSG, -EPROTO... */
void sl_progress_encode(struct sl_progress *raw,
			const struct sl_progress_info *in);
int sl_progress_decode(const void *buf, size_t len,
		       struct sl_progress_info *out);
/* Test hook: called between tries of a torn progress read (else usleep). */
extern void (*sl_progress_retry_hook)(void *arg);
extern void *sl_progress_retry_arg;
/* sl_progress.c: the writer handle's progress file */
int sl_progress_open(struct sharelog *sl);
void sl_progress_close(struct sharelog *sl);

/* Segment headers (host order in, little-endian sealed bytes out). */
void sl_seg_hdr_encode(struct sl_seg_hdr *out, const struct sl_seg_hdr *in);
/* 0, -EBADMSG (magic/CRC), -EPROTONOSUPPORT (old version), -EINVAL. */
int sl_seg_hdr_decode(const void *buf, struct sl_seg_hdr *out);

void sl_seg_path(const struct sharelog *sl, uint64_t index, char *buf,
		 size_t len);
void sl_spare_path(const struct sharelog *sl, uint64_t index, char *buf,
		   size_t len);
/* Exactly len bytes at off, else -EBADMSG (short) or -errno. */
int sl_pread_all(int fd, void *buf, size_t len, uint64_t off);

static inline uint64_t sl_last_seq(const struct sharelog *sl)
{
	return sl->next_seq - 1;
}
static inline struct sl_seg *sl_active_seg(struct sharelog *sl)
{
	return sl->nsegs ? &sl->segs[sl->nsegs - 1] : NULL;
}
static inline bool sl_peer_live(const struct sharelog *sl, unsigned i)
{
	return !(sl->state.resync_mask & (1U << i));
}
/*
 * Does peer i hold the log (records after *cur must stay)? A live peer at
 * its cursor; a needs-resync peer whose resync of its current drop epoch
 * started (SL_CUR_RESYNC) at max(cursor, resync_from - 1).
 */
static inline bool sl_peer_holds(const struct sharelog *sl, unsigned i,
				 uint64_t *cur)
{
	const struct sl_cursor *c = &sl->cursors[i];

	if (sl_peer_live(sl, i)) {
		*cur = c->seq;
		return true;
	}
	if ((c->flags & SL_CUR_RESYNC) && c->resync_from &&
	    c->epoch == sl->state.drop_epoch[i]) {
		*cur = c->seq > c->resync_from - 1 ? c->seq
						   : c->resync_from - 1;
		return true;
	}
	return false;
}
int sl_segs_reserve(struct sharelog *sl, uint32_t want);
/* sl_space.c */
void sl_drop_oldest(struct sharelog *sl);
int sl_make_room(struct sharelog *sl);
int sl_load_cursors(struct sharelog *sl, bool only_forward);
/* sl_append.c */
int sl_create_segment(struct sharelog *sl, uint64_t index);
/* sl_open.c: (re)reads segments; the follower's refresh uses them */
int sl_list_segments(struct sharelog *sl, uint64_t **out, uint32_t *nr);
int sl_load_segment(struct sharelog *sl, uint64_t index, bool is_last,
		    char *err, size_t errlen);
int sl_scan_more(struct sharelog *sl, struct sl_seg *seg);

#endif
