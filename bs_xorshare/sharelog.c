// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The share log: segment files in one directory, appended in order, scanned
 * at open (torn tails dropped), freed from the oldest end once the volume
 * checkpoint and every live peer cursor have passed a segment.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../usr/core/fileio.h"
#include "core/crc32c.h"
#include "core/log.h"
#include "sharelog.h"
#include "sharelog_priv.h"

/* Segments per log: fine enough to free space early, few enough files. */
#define SL_SEGS_TARGET 8
/*
 * Every freed file is kept for reuse (the file count never exceeds
 * max_segs <= SL_SEGS_TARGET): in the steady state of a full log no page
 * is ever allocated or zeroed again.
 */
#define SL_MAX_SPARES SL_SEGS_TARGET

struct sl_seg {
	uint64_t index;
	uint64_t first_seq;
	uint64_t last_seq; /* first_seq - 1 while empty */
	uint64_t first_time_ns, last_time_ns;
	uint64_t used; /* bytes in the file, header included */
};

struct sharelog {
	char dir[PATH_MAX];
	struct sharelog_cfg cfg;
	uint8_t k, n;
	uint8_t uuid[16];
	uint64_t seg_size;
	uint32_t max_segs;
	struct sl_seg *segs;
	uint32_t nsegs, segs_cap;
	int active_fd;
	uint64_t next_seq;
	bool dirty;
	struct sl_state state;
	struct sl_cursor cursors[SL_MAX_N];
	uint64_t drops;
	uint64_t torn_bytes;
	char alert[256];
	/*
	 * Freed segment files kept for reuse: overwriting allocated blocks is
	 * far cheaper than growing a new file (8x on tmpfs). Files in the
	 * directory never exceed max_segs.
	 */
	uint64_t spares[SL_MAX_SPARES];
	unsigned nspares;
	/*
	 * The active segment is preallocated to seg_size and mapped, so the
	 * caller builds each record (the codec splits) straight into the file
	 * pages: the shares are written once, not copied again by write().
	 * Without a map (fallocate unsupported) records go through wbuf.
	 */
	uint8_t *map;
	uint64_t map_len;
	uint64_t map_ready; /* bytes of map allocated and populated */
	uint8_t *wbuf;
	void *reserved; /* record handed out by sharelog_reserve */
	uint32_t reserved_len;
};

struct sl_iter {
	struct sharelog *sl;
	uint64_t from;
	uint64_t seg_index; /* segment being read */
	uint64_t end;
	uint64_t off;
	int fd;
	uint8_t *buf;
	size_t cap;
};

static void seg_path(const struct sharelog *sl, uint64_t index, char *buf,
		     size_t len)
{
	snprintf(buf, len, "%s/seg-%016" PRIx64 ".sl", sl->dir, index);
}

static void spare_path(const struct sharelog *sl, uint64_t index, char *buf,
		       size_t len)
{
	snprintf(buf, len, "%s/spare-%016" PRIx64 ".sl", sl->dir, index);
}

/* A record or header cut short by the end of the file is corrupt. */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread_upto(fd, buf, len, off);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EBADMSG;
}

int sl_mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static bool peer_live(const struct sharelog *sl, unsigned i)
{
	return !(sl->state.resync_mask & (1U << i));
}

static uint64_t last_seq(const struct sharelog *sl)
{
	return sl->next_seq - 1;
}

static struct sl_seg *active_seg(struct sharelog *sl)
{
	return sl->nsegs ? &sl->segs[sl->nsegs - 1] : NULL;
}

static int segs_reserve(struct sharelog *sl, uint32_t want)
{
	struct sl_seg *s;

	if (want <= sl->segs_cap)
		return 0;
	s = realloc(sl->segs, sizeof(*s) * want);
	if (!s)
		return -ENOMEM;
	sl->segs = s;
	sl->segs_cap = want;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Lists segment indexes in ascending order. */
static int list_segments(struct sharelog *sl, uint64_t **out, uint32_t *nr)
{
	DIR *d = opendir(sl->dir);
	struct dirent *de;
	uint64_t *v = NULL;
	uint32_t n = 0, cap = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		unsigned long long idx;
		char tail;

		if (sscanf(de->d_name, "spare-%16llx.s%c", &idx, &tail) == 2 &&
		    tail == 'l' && strlen(de->d_name) == 25) {
			if (sl->nspares < SL_MAX_SPARES)
				sl->spares[sl->nspares++] = idx;
			continue;
		}
		if (sscanf(de->d_name, "seg-%16llx.s%c", &idx, &tail) != 2 ||
		    tail != 'l' || strlen(de->d_name) != 23)
			continue;
		if (n == cap) {
			uint64_t *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = idx;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	*out = v;
	*nr = n;
	return 0;
}

/*
 * Walks one segment's records. A bad record ends the walk; *bad_at is its
 * offset (0 when the segment ended cleanly).
 */
static int scan_records(struct sharelog *sl, int fd, struct sl_seg *seg,
			uint64_t file_size, uint64_t *bad_at)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t off = SL_SEG_HDR_SIZE;
	int ret = 0;

	*bad_at = 0;
	while (off < file_size) {
		struct sl_rec_hdr h;
		uint8_t hb[SL_REC_HDR_SIZE];
		uint64_t avail = file_size - off;

		if (avail < SL_REC_HDR_SIZE ||
		    pread_all(fd, hb, sizeof(hb), off) ||
		    sl_record_check_hdr(hb, avail, &h) ||
		    h.seq != seg->last_seq + 1 || h.k != sl->k ||
		    h.n != sl->n) {
			*bad_at = off;
			break;
		}
		if (h.rec_len > cap) {
			uint8_t *nb = realloc(buf, h.rec_len);

			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap = h.rec_len;
		}
		if (pread_all(fd, buf, h.rec_len, off) ||
		    sl_record_check(buf, h.rec_len)) {
			*bad_at = off;
			break;
		}
		if (seg->last_seq < seg->first_seq)
			seg->first_time_ns = h.time_ns;
		seg->last_seq = h.seq;
		seg->last_time_ns = h.time_ns;
		off += h.rec_len;
	}
	seg->used = *bad_at ? *bad_at : off;
	free(buf);
	return ret;
}

/*
 * What follows the last good record of a segment: free space (zeroes of a
 * preallocated file, or an older record of a reused one: lower seq, valid
 * header) is not a torn tail; anything else is what a crash left of an
 * append that was never acknowledged.
 */
static bool tail_is_free(int fd, uint64_t at, uint64_t file_size,
			 uint64_t next_seq)
{
	uint8_t hb[SL_REC_HDR_SIZE];
	struct sl_rec_hdr h;
	size_t len = file_size - at < sizeof(hb) ? (size_t)(file_size - at)
						 : sizeof(hb);
	bool zero = true;

	if (pread_all(fd, hb, len, at))
		return false;
	for (size_t i = 0; i < len; i++)
		zero = zero && !hb[i];
	if (zero)
		return true;
	if (len < sizeof(hb))
		return false;
	sl_record_decode(hb, &h);
	return h.magic == SL_REC_MAGIC &&
	       h.hdr_crc ==
		       crc32c(0, hb, offsetof(struct sl_rec_hdr, hdr_crc)) &&
	       h.seq < next_seq;
}

static bool uuid_is_zero(const uint8_t *u)
{
	for (int i = 0; i < 16; i++)
		if (u[i])
			return false;
	return true;
}

/* Opens one segment and scans it; is_last allows torn-tail repair. */
static int load_segment(struct sharelog *sl, uint64_t index, bool is_last,
			char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	uint8_t hb[SL_SEG_HDR_SIZE];
	struct sl_seg_hdr h;
	struct sl_seg seg;
	struct stat stt;
	uint64_t bad_at;
	int fd, ret;

	seg_path(sl, index, path, sizeof(path));
	fd = open(path, (sl->cfg.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &stt) < 0) {
		ret = -errno;
		snprintf(err, errlen, "share log %s: %s", path, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if ((uint64_t)stt.st_size < SL_SEG_HDR_SIZE ||
	    pread_all(fd, hb, sizeof(hb), 0) || sl_seg_hdr_decode(hb, &h) ||
	    h.index != index) {
		close(fd);
		if (is_last && !sl->cfg.read_only) {
			/* Crash while creating it: it never held a record. */
			log_warn("share log %s: incomplete new segment removed",
				 path);
			unlink(path);
			return 1;
		}
		snprintf(err, errlen, "share log %s: bad segment header", path);
		return -EBADMSG;
	}
	if (!sl->k) {
		sl->k = h.k;
		sl->n = h.n;
	}
	if (h.k != sl->k || h.n != sl->n) {
		close(fd);
		snprintf(err, errlen,
			 "share log %s: segment is k=%u n=%u, volume k=%u n=%u",
			 path, h.k, h.n, sl->k, sl->n);
		return -EINVAL;
	}
	if (uuid_is_zero(sl->uuid))
		memcpy(sl->uuid, h.uuid, 16);
	if (memcmp(h.uuid, sl->uuid, 16)) {
		close(fd);
		snprintf(err, errlen,
			 "share log %s: segment belongs to another volume",
			 path);
		return -EINVAL;
	}
	memset(&seg, 0, sizeof(seg));
	seg.index = index;
	seg.first_seq = h.first_seq;
	seg.last_seq = h.first_seq - 1;
	ret = scan_records(sl, fd, &seg, (uint64_t)stt.st_size, &bad_at);
	if (ret) {
		close(fd);
		snprintf(err, errlen, "share log %s: %s", path, strerror(-ret));
		return ret;
	}
	if (bad_at) {
		uint64_t dropped = (uint64_t)stt.st_size - bad_at;
		bool free_tail = tail_is_free(fd, bad_at, (uint64_t)stt.st_size,
					      seg.last_seq + 1);

		if (!is_last && !free_tail) {
			close(fd);
			snprintf(err, errlen,
				 "share log %s: corrupt record at offset "
				 "%" PRIu64 " (not the tail)",
				 path, bad_at);
			return -EBADMSG;
		}
		if (!free_tail)
			sl->torn_bytes += dropped;
		if (!sl->cfg.read_only) {
			if (ftruncate(fd, (off_t)bad_at) < 0 || fdatasync(fd)) {
				ret = -errno;
				close(fd);
				snprintf(err, errlen,
					 "share log %s: truncating torn tail: "
					 "%s",
					 path, strerror(-ret));
				return ret;
			}
			if (!free_tail)
				log_warn("share log %s: torn tail dropped "
					 "(%" PRIu64 " bytes at offset %" PRIu64
					 ")",
					 path, dropped, bad_at);
		}
	}
	if (is_last && !sl->cfg.read_only)
		sl->active_fd = fd;
	else
		close(fd);
	ret = segs_reserve(sl, sl->nsegs + 1);
	if (ret) {
		snprintf(err, errlen, "share log: out of memory");
		return ret;
	}
	sl->segs[sl->nsegs++] = seg;
	return 0;
}

static void drop_oldest(struct sharelog *sl)
{
	char path[PATH_MAX + 32];

	seg_path(sl, sl->segs[0].index, path, sizeof(path));
	if (!sl->cfg.read_only && sl->nspares < SL_MAX_SPARES) {
		char spare[PATH_MAX + 32];

		spare_path(sl, sl->segs[0].index, spare, sizeof(spare));
		if (!rename(path, spare)) {
			sl->spares[sl->nspares++] = sl->segs[0].index;
			goto out;
		}
	}
	if (!sl->cfg.read_only && unlink(path) < 0 && errno != ENOENT)
		log_warn("share log %s: unlink: %s", path, strerror(errno));
out:
	memmove(&sl->segs[0], &sl->segs[1], sizeof(sl->segs[0]) * --sl->nsegs);
}

/* Segments older than a sequence gap are leftovers of an interrupted free. */
static int check_continuity(struct sharelog *sl, char *err, size_t errlen)
{
	for (uint32_t i = 1; i < sl->nsegs; i++) {
		uint64_t want = sl->segs[i - 1].last_seq + 1;

		if (sl->segs[i].first_seq == want)
			continue;
		if (sl->segs[i].first_seq < want) {
			snprintf(err, errlen,
				 "share log %s: segment %" PRIu64
				 " overlaps the one before",
				 sl->dir, sl->segs[i].index);
			return -EBADMSG;
		}
		log_warn("share log %s: sequence gap before segment %" PRIu64
			 ", removing %u stale segment(s)",
			 sl->dir, sl->segs[i].index, i);
		while (i--)
			drop_oldest(sl);
		i = 0;
	}
	return 0;
}

static void unmap_active(struct sharelog *sl)
{
	if (sl->map) {
		munmap(sl->map, sl->map_len);
		sl->map = NULL;
		sl->map_len = 0;
		sl->map_ready = 0;
	}
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Allocation ahead of the tail: bounds the stall of each step. */
#define SL_MAP_STEP (32ULL << 20)

/*
 * Maps the active segment (see struct sharelog). Only [0, map_ready) may be
 * touched: its blocks are allocated first (sl_map_extend), so a full file
 * system shows up as a fallback to write(), never as SIGBUS on a store into
 * a hole or past the end of the file.
 */
static void map_active(struct sharelog *sl)
{
	void *p;

	unmap_active(sl);
	if (sl->cfg.read_only || sl->cfg.no_map || sl->active_fd < 0)
		return;
	p = mmap(NULL, sl->seg_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 sl->active_fd, 0);
	if (p == MAP_FAILED) {
		log_dbg("share log %s: mmap: %s; appending with write()",
			sl->dir, strerror(errno));
		return;
	}
	sl->map = p;
	sl->map_len = sl->seg_size;
	sl->map_ready = 0;
}

/* Makes [0, end) of the mapped active segment safe to store into. */
static bool map_extend(struct sharelog *sl, uint64_t end)
{
	uint64_t to = (end + SL_MAP_STEP - 1) / SL_MAP_STEP * SL_MAP_STEP;

	if (end <= sl->map_ready)
		return true;
	if (to > sl->map_len)
		to = sl->map_len;
	if (end > to)
		return false;
	if (fallocate(sl->active_fd, 0, (off_t)sl->map_ready,
		      (off_t)(to - sl->map_ready)) < 0) {
		log_dbg("share log %s: fallocate: %s; appending with write()",
			sl->dir, strerror(errno));
		return false;
	}
	/*
	 * One page-table fill per step instead of a fault per page. It also
	 * reads in the pages of a reused file now, where a disk error is an
	 * error return we can fall back on, not a SIGBUS in the middle of a
	 * split. EINVAL: a kernel without MADV_POPULATE_WRITE (< 5.14).
	 */
	if (madvise(sl->map + sl->map_ready, to - sl->map_ready,
		    MADV_POPULATE_WRITE) < 0 &&
	    errno != EINVAL) {
		log_warn("share log %s: populating the mapped segment: %s; "
			 "appending with write()",
			 sl->dir, strerror(errno));
		return false;
	}
	sl->map_ready = to;
	return true;
}

static int create_segment(struct sharelog *sl, uint64_t index)
{
	char path[PATH_MAX + 32];
	struct sl_seg_hdr h, raw;
	struct sl_seg seg;
	int fd, ret;

	ret = segs_reserve(sl, sl->nsegs + 1);
	if (ret)
		return ret;
	memset(&h, 0, sizeof(h));
	h.k = sl->k;
	h.n = sl->n;
	h.index = index;
	h.first_seq = sl->next_seq;
	memcpy(h.uuid, sl->uuid, 16);
	h.seg_size = sl->seg_size;
	sl_seg_hdr_encode(&raw, &h);
	seg_path(sl, index, path, sizeof(path));
	fd = -1;
	while (fd < 0 && sl->nspares) {
		char spare[PATH_MAX + 32];

		/*
		 * Old records stay behind the new header: their seqs are all
		 * lower, so a scan stops at them like at a torn tail.
		 */
		spare_path(sl, sl->spares[--sl->nspares], spare, sizeof(spare));
		if (!rename(spare, path))
			fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = pwrite_full(fd, &raw, sizeof(raw), 0);
	if (!ret && fdatasync(fd) < 0)
		ret = -errno;
	if (!ret)
		ret = fsync_dir(sl->dir);
	if (ret) {
		close(fd);
		unlink(path);
		return ret;
	}
	memset(&seg, 0, sizeof(seg));
	seg.index = index;
	seg.first_seq = sl->next_seq;
	seg.last_seq = sl->next_seq - 1;
	seg.used = SL_SEG_HDR_SIZE;
	unmap_active(sl);
	if (sl->active_fd >= 0)
		close(sl->active_fd);
	sl->active_fd = fd;
	sl->segs[sl->nsegs++] = seg;
	map_active(sl);
	return 0;
}

static int load_cursors(struct sharelog *sl, bool only_forward)
{
	for (unsigned i = 0; i < sl->n; i++) {
		struct sl_cursor c;
		int ret = sl_cursor_load(sl->dir, i, &c);

		if (ret == -ENOENT)
			continue;
		if (ret) {
			log_warn("share log %s: cursor of peer %u unreadable "
				 "(%s), keeping %" PRIu64,
				 sl->dir, i, strerror(-ret),
				 sl->cursors[i].seq);
			continue;
		}
		if (c.seq > last_seq(sl))
			c.seq = last_seq(sl);
		if (only_forward && c.seq <= sl->cursors[i].seq)
			continue;
		sl->cursors[i] = c;
	}
	return 0;
}

static int set_geometry(struct sharelog *sl, char *err, size_t errlen)
{
	uint64_t min_seg = 2ULL * sl->cfg.max_rec_len + SL_SEG_HDR_SIZE;
	uint64_t seg = sl->cfg.log_size / SL_SEGS_TARGET;

	if (seg < min_seg)
		seg = min_seg;
	seg = (seg + 4095) & ~4095ULL;
	sl->seg_size = seg;
	sl->max_segs = (uint32_t)(sl->cfg.log_size / seg);
	if (sl->max_segs < 2 && !sl->cfg.read_only) {
		snprintf(err, errlen,
			 "share log %s: log_size %" PRIu64
			 " too small for records of %u bytes (need >= %" PRIu64
			 ")",
			 sl->dir, sl->cfg.log_size, sl->cfg.max_rec_len,
			 2 * seg);
		return -EINVAL;
	}
	return 0;
}

int sharelog_open(struct sharelog **out, const struct sharelog_cfg *cfg,
		  char *err, size_t errlen)
{
	struct sharelog *sl;
	uint64_t *idx = NULL;
	uint32_t nr = 0;
	int ret;

	*out = NULL;
	if (!cfg->dir || strlen(cfg->dir) >= PATH_MAX - 64 ||
	    (!cfg->read_only &&
	     (cfg->k == 0 || cfg->k > cfg->n || cfg->n > SL_MAX_N))) {
		snprintf(err, errlen, "share log: bad configuration");
		return -EINVAL;
	}
	sl = calloc(1, sizeof(*sl));
	if (!sl) {
		snprintf(err, errlen, "share log: out of memory");
		return -ENOMEM;
	}
	snprintf(sl->dir, sizeof(sl->dir), "%s", cfg->dir);
	sl->cfg = *cfg;
	sl->cfg.dir = sl->dir;
	sl->k = cfg->k;
	sl->n = cfg->n;
	memcpy(sl->uuid, cfg->uuid, 16);
	sl->active_fd = -1;
	ret = set_geometry(sl, err, errlen);
	if (ret)
		goto fail;
	if (!cfg->read_only) {
		ret = sl_mkdir_p(sl->dir);
		if (ret) {
			snprintf(err, errlen, "share log %s: mkdir: %s",
				 sl->dir, strerror(-ret));
			goto fail;
		}
	}
	ret = sl_state_load(sl->dir, &sl->state);
	if (ret == -ENOENT) {
		memset(&sl->state, 0, sizeof(sl->state));
	} else if (ret) {
		snprintf(err, errlen, "share log %s/state: %s", sl->dir,
			 ret == -EBADMSG ? "bad checksum or format"
					 : strerror(-ret));
		goto fail;
	}
	ret = list_segments(sl, &idx, &nr);
	if (ret) {
		snprintf(err, errlen, "share log %s: %s", sl->dir,
			 strerror(-ret));
		goto fail;
	}
	for (uint32_t i = 0; i < nr; i++) {
		ret = load_segment(sl, idx[i], i + 1 == nr, err, errlen);
		if (ret < 0)
			goto fail;
	}
	if (!sl->n) {
		snprintf(err, errlen, "share log %s: no segment", sl->dir);
		ret = -ENOENT;
		goto fail;
	}
	ret = check_continuity(sl, err, errlen);
	if (ret)
		goto fail;
	sl->next_seq = sl->state.next_seq ? sl->state.next_seq : 1;
	if (sl->nsegs && active_seg(sl)->last_seq + 1 > sl->next_seq)
		sl->next_seq = active_seg(sl)->last_seq + 1;
	if (sl->nsegs && active_seg(sl)->first_seq > sl->next_seq)
		sl->next_seq = active_seg(sl)->first_seq;
	if (sl->state.checkpoint > last_seq(sl))
		sl->state.checkpoint = last_seq(sl);
	for (unsigned i = 0; i < sl->n; i++) {
		sl->cursors[i].peer = (uint8_t)i;
		sl->cursors[i].seq = 0;
	}
	load_cursors(sl, false);
	if (!cfg->read_only && !sl->nsegs) {
		uint64_t index = nr ? idx[nr - 1] + 1 : 1;

		ret = create_segment(sl, index);
		if (ret) {
			snprintf(err, errlen, "share log %s: new segment: %s",
				 sl->dir, strerror(-ret));
			goto fail;
		}
	}
	sl->state.n = sl->n;
	if (!sl->map)
		map_active(sl);
	free(idx);
	if (sl->torn_bytes)
		snprintf(sl->alert, sizeof(sl->alert),
			 "torn tail of %" PRIu64 " bytes dropped at start-up",
			 sl->torn_bytes);
	*out = sl;
	return 0;
fail:
	free(idx);
	sharelog_close(sl);
	return ret;
}

void sharelog_close(struct sharelog *sl)
{
	if (!sl)
		return;
	if (sl->active_fd >= 0) {
		bool mapped = sl->map != NULL;

		unmap_active(sl);
		/* a clean stop leaves no preallocated tail behind */
		if (mapped && sl->nsegs &&
		    ftruncate(sl->active_fd, (off_t)active_seg(sl)->used) < 0)
			log_warn("share log %s: truncate: %s", sl->dir,
				 strerror(errno));
		if (sl->dirty || mapped)
			fdatasync(sl->active_fd);
		close(sl->active_fd);
	}
	free(sl->wbuf);
	free(sl->segs);
	free(sl);
}

/* Is segment s still needed by the volume checkpoint or a live peer? */
static bool seg_held_by_checkpoint(const struct sharelog *sl,
				   const struct sl_seg *s)
{
	return s->last_seq > sl->state.checkpoint;
}

static bool seg_held_by_peer(const struct sharelog *sl, const struct sl_seg *s)
{
	for (unsigned i = 0; i < sl->n; i++)
		if (peer_live(sl, i) && sl->cursors[i].seq < s->last_seq)
			return true;
	return false;
}

void sharelog_reclaim(struct sharelog *sl)
{
	if (sl->cfg.read_only)
		return;
	while (sl->nsegs > 1) {
		const struct sl_seg *s = &sl->segs[0];

		if (s->last_seq >= s->first_seq &&
		    (seg_held_by_checkpoint(sl, s) || seg_held_by_peer(sl, s)))
			break;
		drop_oldest(sl);
	}
}

int sharelog_drop_lagging(struct sharelog *sl, unsigned *peer)
{
	unsigned best = SL_MAX_N;
	uint64_t lag;
	int ret;

	for (unsigned i = 0; i < sl->n; i++)
		if (peer_live(sl, i) &&
		    (best == SL_MAX_N ||
		     sl->cursors[i].seq < sl->cursors[best].seq))
			best = i;
	if (best == SL_MAX_N)
		return -ENOENT;
	sl->state.resync_mask |= 1U << best;
	sl->state.resync_seq[best] = sl->cursors[best].seq + 1;
	sl->state.next_seq = sl->next_seq;
	ret = sl_state_store(sl->dir, &sl->state);
	if (ret) {
		sl->state.resync_mask &= ~(1U << best);
		log_err("share log %s: persisting resync mark of peer %u: %s",
			sl->dir, best, strerror(-ret));
		return ret;
	}
	sl->drops++;
	lag = last_seq(sl) - sl->cursors[best].seq;
	snprintf(sl->alert, sizeof(sl->alert),
		 "log full: peer %u marked needs-resync (was %" PRIu64
		 " records behind)",
		 best, lag);
	log_err("ALERT share log %s: %s", sl->dir, sl->alert);
	if (peer)
		*peer = best;
	sharelog_reclaim(sl);
	return 0;
}

/* Makes room for one more segment, or says what blocks. */
static int make_room(struct sharelog *sl)
{
	sharelog_reclaim(sl);
	while (sl->nsegs >= sl->max_segs) {
		const struct sl_seg *s = &sl->segs[0];
		int ret;

		if (seg_held_by_checkpoint(sl, s))
			return -EAGAIN;
		if (!seg_held_by_peer(sl, s)) {
			sharelog_reclaim(sl);
			continue;
		}
		if (sl->cfg.full == SL_FULL_BLOCK)
			return -ENOSPC;
		ret = sharelog_drop_lagging(sl, NULL);
		if (ret)
			return ret == -ENOENT ? -ENOSPC : ret;
	}
	return 0;
}

static int rotate(struct sharelog *sl)
{
	uint64_t index = active_seg(sl)->index + 1;
	int ret = make_room(sl);

	if (ret)
		return ret;
	/*
	 * Older segments are always complete and durable, and end at their
	 * last record (a reused file may hold stale bytes further on).
	 */
	unmap_active(sl);
	if (ftruncate(sl->active_fd, (off_t)active_seg(sl)->used) < 0 ||
	    fdatasync(sl->active_fd) < 0)
		return -errno;
	sl->dirty = false;
	ret = create_segment(sl, index);
	if (ret)
		log_err("share log %s: creating segment %" PRIu64 ": %s",
			sl->dir, index, strerror(-ret));
	return ret;
}

int sharelog_reserve(struct sharelog *sl, uint32_t rec_len, void **rec)
{
	struct sl_seg *s;
	int ret;

	*rec = NULL;
	sl->reserved = NULL;
	if (sl->cfg.read_only)
		return -EROFS;
	if (rec_len > sl->cfg.max_rec_len || rec_len < SL_REC_HDR_SIZE)
		return -EMSGSIZE;
	s = active_seg(sl);
	if (s->used + rec_len > sl->seg_size && s->last_seq >= s->first_seq) {
		ret = rotate(sl);
		if (ret)
			return ret;
		s = active_seg(sl);
	}
	if (sl->map && map_extend(sl, s->used + rec_len)) {
		sl->reserved = sl->map + s->used;
	} else {
		if (!sl->wbuf) {
			sl->wbuf = malloc(sl->cfg.max_rec_len);
			if (!sl->wbuf)
				return -ENOMEM;
		}
		sl->reserved = sl->wbuf;
	}
	sl->reserved_len = rec_len;
	*rec = sl->reserved;
	return 0;
}

int sharelog_commit(struct sharelog *sl, uint64_t *seq)
{
	uint8_t *rec = sl->reserved;
	struct sl_rec_hdr h;
	struct sl_seg *s = active_seg(sl);
	uint64_t now;
	int ret;

	sl->reserved = NULL;
	if (!rec)
		return -EINVAL;
	sl_record_decode(rec, &h);
	if (h.rec_len != sl->reserved_len)
		return -EINVAL;
	now = sl_now_ns();
	sl_record_seal(rec, sl->next_seq, now);
	if (rec == sl->wbuf) {
		ret = pwrite_full(sl->active_fd, rec, h.rec_len, s->used);
		if (ret) {
			log_err("share log %s: append of seq %" PRIu64 ": %s",
				sl->dir, sl->next_seq, strerror(-ret));
			/* Leave no partial record behind a later good one. */
			if (ftruncate(sl->active_fd, (off_t)s->used) < 0)
				log_err("share log %s: truncate: %s", sl->dir,
					strerror(errno));
			return ret;
		}
	}
	if (s->last_seq < s->first_seq)
		s->first_time_ns = now;
	s->last_seq = sl->next_seq;
	s->last_time_ns = now;
	s->used += h.rec_len;
	sl->dirty = true;
	*seq = sl->next_seq++;
	return 0;
}

int sharelog_append(struct sharelog *sl, void *rec, uint64_t *seq)
{
	struct sl_rec_hdr h;
	void *dst;
	int ret;

	sl_record_decode(rec, &h);
	ret = sharelog_reserve(sl, h.rec_len, &dst);
	if (ret)
		return ret;
	memcpy(dst, rec, h.rec_len);
	ret = sharelog_commit(sl, seq);
	if (!ret)
		memcpy(rec, dst, SL_REC_HDR_SIZE); /* sealed header */
	return ret;
}

int sharelog_sync(struct sharelog *sl)
{
	if (!sl->dirty || sl->active_fd < 0)
		return 0;
	if (fdatasync(sl->active_fd) < 0) {
		int ret = -errno;

		log_err("share log %s: fdatasync: %s", sl->dir, strerror(-ret));
		return ret;
	}
	sl->dirty = false;
	return 0;
}

int sharelog_set_checkpoint(struct sharelog *sl, uint64_t seq)
{
	uint64_t old = sl->state.checkpoint;
	int ret;

	if (seq > last_seq(sl))
		return -ERANGE;
	if (seq <= old)
		return 0;
	sl->state.checkpoint = seq;
	sl->state.next_seq = sl->next_seq;
	ret = sl_state_store(sl->dir, &sl->state);
	if (ret) {
		sl->state.checkpoint = old;
		return ret;
	}
	sharelog_reclaim(sl);
	return 0;
}

int sharelog_peer_confirm(struct sharelog *sl, unsigned peer, uint64_t seq)
{
	struct sl_cursor c;
	int ret;

	if (peer >= sl->n)
		return -EINVAL;
	if (seq > last_seq(sl))
		return -ERANGE;
	if (seq <= sl->cursors[peer].seq)
		return 0;
	c = sl->cursors[peer];
	c.peer = (uint8_t)peer;
	c.seq = seq;
	c.time_ns = sl_now_ns();
	ret = sl_cursor_store(sl->dir, &c);
	if (ret)
		return ret;
	sl->cursors[peer] = c;
	sharelog_reclaim(sl);
	return 0;
}

int sharelog_reload_cursors(struct sharelog *sl)
{
	load_cursors(sl, true);
	sharelog_reclaim(sl);
	return 0;
}

int sharelog_peer_resync_done(struct sharelog *sl, unsigned peer, uint64_t seq)
{
	uint32_t old = sl->state.resync_mask;
	int ret;

	if (peer >= sl->n)
		return -EINVAL;
	if (seq > last_seq(sl))
		return -ERANGE;
	sl->state.resync_mask &= ~(1U << peer);
	ret = sl_state_store(sl->dir, &sl->state);
	if (ret) {
		sl->state.resync_mask = old;
		return ret;
	}
	sl->cursors[peer].seq = 0;
	return sharelog_peer_confirm(sl, peer, seq);
}

int sharelog_set_baseline(struct sharelog *sl, uint64_t next, uint64_t size)
{
	sl->state.baseline_next = next;
	sl->state.baseline_size = size;
	sl->state.next_seq = sl->next_seq;
	return sl_state_store(sl->dir, &sl->state);
}

void sharelog_get_baseline(struct sharelog *sl, uint64_t *next, uint64_t *size)
{
	*next = sl->state.baseline_next;
	*size = sl->state.baseline_size;
}

void sharelog_get_stats(struct sharelog *sl, struct sharelog_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < sl->nsegs; i++) {
		const struct sl_seg *s = &sl->segs[i];

		st->used_bytes += s->used;
		if (!st->first_seq && s->last_seq >= s->first_seq)
			st->first_seq = s->first_seq;
	}
	st->last_seq = last_seq(sl);
	st->next_seq = sl->next_seq;
	st->checkpoint = sl->state.checkpoint;
	st->log_size = sl->cfg.log_size;
	st->seg_size = sl->seg_size;
	st->nr_segments = sl->nsegs;
	st->max_segments = sl->max_segs;
	st->resync_mask = sl->state.resync_mask;
	st->drops = sl->drops;
	st->torn_bytes = sl->torn_bytes;
	st->k = sl->k;
	st->n = sl->n;
}

void sharelog_get_peer(struct sharelog *sl, unsigned peer,
		       struct sharelog_peer *out)
{
	uint64_t cur, oldest;

	memset(out, 0, sizeof(*out));
	if (peer >= sl->n)
		return;
	cur = sl->cursors[peer].seq;
	out->cursor = cur;
	out->cursor_time_ns = sl->cursors[peer].time_ns;
	out->needs_resync = !peer_live(sl, peer);
	out->resync_seq = sl->state.resync_seq[peer];
	if (cur >= last_seq(sl))
		return;
	out->lag_records = last_seq(sl) - cur;
	oldest = 0;
	for (uint32_t i = 0; i < sl->nsegs; i++) {
		const struct sl_seg *s = &sl->segs[i];
		uint64_t nrec, bytes, after;

		if (s->last_seq < s->first_seq || s->last_seq <= cur)
			continue;
		nrec = s->last_seq - s->first_seq + 1;
		bytes = s->used - SL_SEG_HDR_SIZE;
		after = s->first_seq > cur ? nrec : s->last_seq - cur;
		out->lag_bytes += (uint64_t)((double)bytes * after / nrec);
		if (!oldest) {
			uint64_t first = s->last_seq - after + 1;
			double f = nrec > 1 ? (double)(first - s->first_seq) /
						      (double)(nrec - 1)
					    : 0;

			oldest = s->first_time_ns +
				 (uint64_t)(f * (double)(s->last_time_ns -
							 s->first_time_ns));
		}
	}
	if (oldest) {
		uint64_t now = sl_now_ns();

		out->lag_seconds =
			now > oldest ? (double)(now - oldest) / 1e9 : 0;
	}
}

const char *sharelog_alert(struct sharelog *sl)
{
	return sl->alert;
}

int sharelog_iter_open(struct sharelog *sl, uint64_t from_seq,
		       struct sl_iter **out)
{
	struct sl_iter *it = calloc(1, sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->sl = sl;
	it->from = from_seq;
	it->fd = -1;
	it->seg_index = 0;
	*out = it;
	return 0;
}

/* Moves to the first segment after it->seg_index that may hold from. */
static int iter_next_segment(struct sl_iter *it)
{
	struct sharelog *sl = it->sl;
	char path[PATH_MAX + 32];

	if (it->fd >= 0) {
		close(it->fd);
		it->fd = -1;
	}
	for (uint32_t i = 0; i < sl->nsegs; i++) {
		const struct sl_seg *s = &sl->segs[i];

		if (s->index <= it->seg_index)
			continue;
		it->seg_index = s->index;
		if (s->last_seq < it->from || s->last_seq < s->first_seq)
			continue;
		seg_path(sl, s->index, path, sizeof(path));
		it->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (it->fd < 0)
			return -errno;
		it->off = SL_SEG_HDR_SIZE;
		it->end = s->used;
		return 1;
	}
	return 0;
}

int sharelog_iter_next(struct sl_iter *it, const void **rec)
{
	for (;;) {
		struct sl_rec_hdr h;
		uint8_t hb[SL_REC_HDR_SIZE];
		int ret;

		if (it->fd < 0 || it->off >= it->end) {
			ret = iter_next_segment(it);
			if (ret <= 0)
				return ret;
			continue;
		}
		ret = pread_all(it->fd, hb, sizeof(hb), it->off);
		if (!ret)
			ret = sl_record_check_hdr(hb, it->end - it->off, &h);
		if (ret)
			return ret == -EINVAL ? -EBADMSG : ret;
		if (h.seq < it->from) {
			it->off += h.rec_len;
			continue;
		}
		if (h.rec_len > it->cap) {
			uint8_t *nb = realloc(it->buf, h.rec_len);

			if (!nb)
				return -ENOMEM;
			it->buf = nb;
			it->cap = h.rec_len;
		}
		ret = pread_all(it->fd, it->buf, h.rec_len, it->off);
		if (!ret)
			ret = sl_record_check(it->buf, h.rec_len);
		if (ret)
			return ret == -EINVAL ? -EBADMSG : ret;
		it->off += h.rec_len;
		*rec = it->buf;
		return 1;
	}
}

void sharelog_iter_close(struct sl_iter *it)
{
	if (!it)
		return;
	if (it->fd >= 0)
		close(it->fd);
	free(it->buf);
	free(it);
}
