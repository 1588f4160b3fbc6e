// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opening the share log: list the segments, scan their records (a torn tail
 * of the newest segment is dropped), check continuity, load cursors and the
 * state; and closing it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/log.h"
#include "sharelog_priv.h"
#include "sl_pio.h"

int sl_segs_reserve(struct sharelog *sl, uint32_t want)
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

/* Lists segment indexes in ascending order; remembers spare files. */
int sl_list_segments(struct sharelog *sl, uint64_t **out, uint32_t *nr)
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
 * offset (0 when the segment ended at end of file).
 */
static int scan_records(struct sharelog *sl, int fd, struct sl_seg *seg,
			uint64_t start, uint64_t file_size, uint64_t *bad_at)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t off = start;
	int ret = 0;

	*bad_at = 0;
	while (off < file_size) {
		struct sl_rec_hdr h;
		uint8_t hb[SL_REC_HDR_SIZE];
		uint64_t avail = file_size - off;

		if (avail < SL_REC_HDR_SIZE ||
		    sl_pread_all(fd, hb, sizeof(hb), off) ||
		    sl_record_check_hdr(hb, avail, &h) ||
		    h.seq != seg->last_seq + 1 ||
		    h.block_size != sl->block_size) {
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
		if (sl_pread_all(fd, buf, h.rec_len, off) ||
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
 * header) is not a torn tail; anything else is what a crash left of appends
 * that were never made durable.
 */
static bool tail_is_free(int fd, uint64_t at, uint64_t file_size,
			 uint64_t next_seq)
{
	uint8_t hb[SL_REC_HDR_SIZE];
	struct sl_rec_hdr h;
	size_t len = file_size - at < sizeof(hb) ? (size_t)(file_size - at)
						 : sizeof(hb);
	bool zero = true;

	if (sl_pread_all(fd, hb, len, at))
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

/* Bytes of the first bad record (the rest of a preallocated file is free). */
static uint64_t torn_len(int fd, uint64_t at, uint64_t file_size)
{
	uint8_t hb[SL_REC_HDR_SIZE];
	struct sl_rec_hdr h;
	uint64_t len = file_size - at;

	if (len >= sizeof(hb) && !sl_pread_all(fd, hb, sizeof(hb), at)) {
		sl_record_decode(hb, &h);
		if (h.magic == SL_REC_MAGIC && h.rec_len >= SL_REC_HDR_SIZE &&
		    h.rec_len < len)
			return h.rec_len;
	}
	return len < SL_REC_HDR_SIZE ? len : SL_REC_HDR_SIZE;
}

static bool uuid_is_zero(const uint8_t *u)
{
	for (int i = 0; i < 16; i++)
		if (u[i])
			return false;
	return true;
}

/*
 * After a torn tail, the rest of the segment may still hold records that
 * reached the disk out of order: their seqs come next, so they would pass
 * for new records once appends reach them. Deallocate and reallocate it.
 */
static int clear_after(struct sharelog *sl, int fd, uint64_t at,
		       uint64_t file_size)
{
	int ret = sl_zero_range(fd, at, file_size - at);

	if (!ret)
		ret = sl_fdatasync(fd);
	return ret;
}

/*
 * Follower: reads the records appended to a known segment since it was
 * last scanned. Stops quietly at anything not (yet) a whole record.
 */
int sl_scan_more(struct sharelog *sl, struct sl_seg *seg)
{
	char path[PATH_MAX + 32];
	struct stat stt;
	uint64_t bad_at;
	int fd, ret;

	sl_seg_path(sl, seg->index, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &stt) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = scan_records(sl, fd, seg, seg->used, (uint64_t)stt.st_size,
			   &bad_at);
	close(fd);
	return ret;
}

/* Opens one segment and scans it; is_last allows torn-tail repair. */
int sl_load_segment(struct sharelog *sl, uint64_t index, bool is_last,
		    char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	uint8_t hb[SL_SEG_HDR_SIZE];
	struct sl_seg_hdr h;
	struct sl_seg seg;
	struct stat stt;
	uint64_t bad_at;
	int fd, ret;

	sl_seg_path(sl, index, path, sizeof(path));
	fd = open(path, (sl->cfg.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &stt) < 0) {
		ret = -errno;
		snprintf(err, errlen, "share log %s: %s", path, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	ret = (uint64_t)stt.st_size < SL_SEG_HDR_SIZE
		      ? -EBADMSG
		      : sl_pread_all(fd, hb, sizeof(hb), 0);
	if (!ret)
		ret = sl_seg_hdr_decode(hb, &h);
	if (ret == -EPROTONOSUPPORT) {
		close(fd);
		snprintf(err, errlen,
			 "share log %s: segment of format version %u; move "
			 "the log directory aside and start again (new log "
			 "and baseline)",
			 path, SL_OLD_VERSION);
		return ret;
	}
	if (ret || h.index != index) {
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
	if (!sl->block_size)
		sl->block_size = h.block_size;
	if (h.k != sl->k || h.n != sl->n || h.block_size != sl->block_size) {
		close(fd);
		snprintf(err, errlen,
			 "share log %s: segment is k=%u n=%u block %u, volume "
			 "k=%u n=%u block %u",
			 path, h.k, h.n, h.block_size, sl->k, sl->n,
			 sl->block_size);
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
	ret = scan_records(sl, fd, &seg, SL_SEG_HDR_SIZE, (uint64_t)stt.st_size,
			   &bad_at);
	if (ret) {
		close(fd);
		snprintf(err, errlen, "share log %s: %s", path, strerror(-ret));
		return ret;
	}
	if (bad_at) {
		uint64_t size = (uint64_t)stt.st_size;
		bool free_tail =
			tail_is_free(fd, bad_at, size, seg.last_seq + 1);

		/*
		 * A reader (the replicator) meets what a reused segment file
		 * held after its last record: the next segment's first seq,
		 * checked by check_continuity(), tells a finished segment
		 * from a broken one, and every record it reads is CRC
		 * checked. The writer keeps refusing.
		 */
		if (!is_last && !free_tail && !sl->cfg.read_only) {
			close(fd);
			snprintf(err, errlen,
				 "share log %s: corrupt record at offset "
				 "%" PRIu64 " (not the tail)",
				 path, bad_at);
			return -EBADMSG;
		}
		if (!free_tail) {
			sl->torn_bytes += torn_len(fd, bad_at, size);
			if (!sl->cfg.read_only) {
				ret = clear_after(sl, fd, bad_at, size);
				if (ret) {
					close(fd);
					snprintf(err, errlen,
						 "share log %s: clearing torn "
						 "tail: %s",
						 path, strerror(-ret));
					return ret;
				}
				log_warn("share log %s: torn tail dropped at "
					 "offset %" PRIu64,
					 path, bad_at);
			}
		}
	}
	if (is_last && !sl->cfg.read_only)
		sl->active_fd = fd;
	else
		close(fd);
	ret = sl_segs_reserve(sl, sl->nsegs + 1);
	if (ret) {
		snprintf(err, errlen, "share log: out of memory");
		return ret;
	}
	sl->segs[sl->nsegs++] = seg;
	return 0;
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
			sl_drop_oldest(sl);
		i = 0;
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

static int load_state(struct sharelog *sl, char *err, size_t errlen)
{
	int ret = sl_state_load(sl->dir, &sl->state);

	if (ret == -ENOENT) {
		memset(&sl->state, 0, sizeof(sl->state));
		return 0;
	}
	if (ret)
		snprintf(err, errlen, "share log %s/state: %s", sl->dir,
			 ret == -EBADMSG ? "bad checksum or format"
			 : ret == -EPROTONOSUPPORT
				 ? "old format version: move the log "
				   "directory aside and start again"
				 : strerror(-ret));
	return ret;
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
	     (cfg->k == 0 || cfg->k > cfg->n || cfg->n > SL_MAX_N ||
	      cfg->block_size < 512 || cfg->block_size > 65536 ||
	      cfg->max_rec_len < SL_REC_HDR_SIZE))) {
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
	sl->block_size = cfg->block_size;
	memcpy(sl->uuid, cfg->uuid, 16);
	sl->active_fd = -1;
	sl->prog_fd = -1;
	pthread_mutex_init(&sl->prog_mu, NULL);
	ret = sl_check_format_version(sl->dir, err, errlen);
	if (!ret)
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
	ret = load_state(sl, err, errlen);
	if (ret)
		goto fail;
	ret = sl_list_segments(sl, &idx, &nr);
	if (ret) {
		snprintf(err, errlen, "share log %s: %s", sl->dir,
			 strerror(-ret));
		goto fail;
	}
	for (uint32_t i = 0; i < nr; i++) {
		ret = sl_load_segment(sl, idx[i], i + 1 == nr, err, errlen);
		if (ret < 0)
			goto fail;
	}
	if (!sl->n || !sl->block_size) {
		snprintf(err, errlen, "share log %s: no segment", sl->dir);
		ret = -ENOENT;
		goto fail;
	}
	ret = check_continuity(sl, err, errlen);
	if (ret)
		goto fail;
	sl->next_seq = sl->state.next_seq ? sl->state.next_seq : 1;
	if (sl->nsegs && sl_active_seg(sl)->last_seq + 1 > sl->next_seq)
		sl->next_seq = sl_active_seg(sl)->last_seq + 1;
	if (sl->nsegs && sl_active_seg(sl)->first_seq > sl->next_seq)
		sl->next_seq = sl_active_seg(sl)->first_seq;
	/* a reader sees what is on disk, not the store's next seq */
	if (cfg->read_only && sl->nsegs)
		sl->next_seq = sl_active_seg(sl)->last_seq + 1;
	/* what survived the open is on disk (or was made so by the scan) */
	sl->durable_seq = sl_last_seq(sl);
	/* a generation handed out before a crash may be in no record */
	sl->next_gen = sl->state.gen_reserved ? sl->state.gen_reserved : 1;
	for (unsigned i = 0; i < sl->n; i++) {
		sl->cursors[i].peer = (uint8_t)i;
		sl->cursors[i].seq = 0;
	}
	sl_load_cursors(sl, false);
	if (!cfg->read_only && !sl->nsegs) {
		uint64_t index = nr ? idx[nr - 1] + 1 : 1;

		ret = sl_create_segment(sl, index);
		if (ret) {
			snprintf(err, errlen, "share log %s: new segment: %s",
				 sl->dir, strerror(-ret));
			goto fail;
		}
	}
	sl->state.n = sl->n;
	if (sl->active_fd >= 0)
		sl->kicked = sl_active_seg(sl)->used;
	free(idx);
	if (!cfg->read_only) {
		ret = sl_progress_open(sl);
		if (ret) {
			snprintf(err, errlen, "share log %s/progress: %s",
				 sl->dir, strerror(-ret));
			goto fail_noidx;
		}
	} else {
		struct sl_progress_info p;

		/* a live store's durable point, not what reached the cache */
		if (!sharelog_read_progress(sl->dir, &p)) {
			sl->ro_run_id = p.run_id;
			if (p.durable_seq < sl->durable_seq)
				sl->durable_seq = p.durable_seq;
		}
	}
	if (sl->torn_bytes)
		snprintf(sl->alert, sizeof(sl->alert),
			 "torn tail of %" PRIu64 " bytes dropped at start-up",
			 sl->torn_bytes);
	*out = sl;
	return 0;
fail:
	free(idx);
fail_noidx:
	sharelog_close(sl);
	return ret;
}

void sharelog_close(struct sharelog *sl)
{
	if (!sl)
		return;
	if (sl->active_fd >= 0) {
		if (sl->dirty && sl_fdatasync(sl->active_fd))
			log_err("share log %s: fdatasync at close: %s", sl->dir,
				strerror(errno));
		sl_pio_forget(sl->active_fd);
		close(sl->active_fd);
	}
	sl_progress_close(sl);
	pthread_mutex_destroy(&sl->prog_mu);
	free(sl->segs);
	free(sl);
}
