/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Share-log internals shared by its source files (not for the store). */
#ifndef TGTX_SHARELOG_PRIV_H
#define TGTX_SHARELOG_PRIV_H

#include <limits.h>
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
};

/* State and cursor files (sl_files.c). -ENOENT when absent. */
int sl_state_load(const char *dir, struct sl_state *st);
int sl_state_store(const char *dir, const struct sl_state *st);
int sl_cursor_load(const char *dir, unsigned peer, struct sl_cursor *c);
int sl_cursor_store(const char *dir, const struct sl_cursor *c);

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
int sl_segs_reserve(struct sharelog *sl, uint32_t want);
/* sl_space.c */
void sl_drop_oldest(struct sharelog *sl);
int sl_make_room(struct sharelog *sl);
int sl_load_cursors(struct sharelog *sl, bool only_forward);
/* sl_append.c */
int sl_create_segment(struct sharelog *sl, uint64_t index);

#endif
