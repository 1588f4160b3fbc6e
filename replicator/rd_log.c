// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The replicator's read-only view of a share log, over the store's
 * follower API (sharelog_refresh, progress file, resync handshake,
 * consistent resync reads).
 */
#include "rd_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs_xorshare/log/sl_genmap.h"
#include "bs_xorshare/log/sl_resync.h"
#include "core/crc32c.h"

struct rd_log {
	char *dir;
	struct sharelog *sl;
	/* drop epoch + 1 a finished resync answered (0: none) */
	uint64_t done_epoch[SL_MAX_N];
};

struct rd_vol {
	struct sl_genmap *gm;
	int fd;
	uint32_t block_size;
};

static int open_ro(const char *dir, struct sharelog **sl, char *err,
		   size_t errlen)
{
	struct sharelog_cfg cfg = {.dir = dir, .read_only = true};

	return sharelog_open(sl, &cfg, err, errlen);
}

int rd_log_open(struct rd_log **out, const char *dir, char *err, size_t errlen)
{
	struct rd_log *l = calloc(1, sizeof(*l));
	int ret;

	if (!l || !(l->dir = strdup(dir))) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = open_ro(dir, &l->sl, err, errlen);
	if (ret) {
		free(l->dir);
		free(l);
		return ret;
	}
	*out = l;
	return 0;
}

void rd_log_close(struct rd_log *l)
{
	if (!l)
		return;
	sharelog_close(l->sl);
	free(l->dir);
	free(l);
}

int rd_log_refresh(struct rd_log *l, char *err, size_t errlen)
{
	struct sharelog *sl;
	int ret = sharelog_refresh(l->sl);

	if (!ret)
		return 0;
	/*
	 * The handle could not follow (e.g. a segment it knew was reused
	 * meanwhile): a fresh read-only open reads the log as it is now.
	 * Cursors, needs-resync marks and handshakes live in files, so
	 * nothing is lost but the time of one open.
	 */
	ret = open_ro(l->dir, &sl, err, errlen);
	if (ret)
		return ret;
	sharelog_close(l->sl);
	l->sl = sl;
	return 0;
}

struct sharelog *rd_log_sl(struct rd_log *l)
{
	return l->sl;
}

void rd_log_stats(struct rd_log *l, struct sharelog_stats *st)
{
	sharelog_get_stats(l->sl, st);
}

uint64_t rd_log_durable(struct rd_log *l)
{
	struct sharelog_stats st;

	sharelog_get_stats(l->sl, &st);
	return st.durable_seq;
}

bool rd_log_needs_resync(struct rd_log *l, unsigned peer)
{
	struct sharelog_peer p;

	sharelog_get_peer(l->sl, peer, &p);
	/* after a finished resync of this drop epoch the store clears the
	 * mark at its next cursor reload; a new drop moves the epoch */
	return p.needs_resync &&
	       !(peer < SL_MAX_N && l->done_epoch[peer] == p.drop_epoch + 1);
}

uint64_t rd_log_drop_epoch(struct rd_log *l, unsigned peer)
{
	struct sharelog_peer p;

	sharelog_get_peer(l->sl, peer, &p);
	return p.drop_epoch;
}

int rd_log_resync_start(struct rd_log *l, unsigned peer, uint64_t from_seq)
{
	return sharelog_peer_resync_start(l->sl, peer, from_seq);
}

int rd_log_resync_finish(struct rd_log *l, unsigned peer, uint64_t seq,
			 uint64_t epoch)
{
	int ret = sharelog_peer_resync_finish(l->sl, peer, seq, epoch);

	if (!ret && peer < SL_MAX_N)
		l->done_epoch[peer] = epoch + 1;
	return ret;
}

int rd_vol_open(struct rd_vol **out, struct rd_log *l, const char *vol_path,
		const uint8_t uuid[16], uint32_t block_size, char *err,
		size_t errlen)
{
	struct rd_vol *v = calloc(1, sizeof(*v));
	int ret;

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	v->block_size = block_size;
	v->fd = open(vol_path, O_RDONLY | O_CLOEXEC);
	if (v->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "volume %s: %s", vol_path,
			 strerror(errno));
		free(v);
		return ret;
	}
	ret = sl_genmap_open(&v->gm, l->dir, uuid, block_size, true, err,
			     errlen);
	if (ret) {
		close(v->fd);
		free(v);
		return ret;
	}
	*out = v;
	return 0;
}

void rd_vol_close(struct rd_vol *v)
{
	if (!v)
		return;
	sl_genmap_close(v->gm);
	close(v->fd);
	free(v);
}

int rd_vol_read(struct rd_vol *v, struct rd_log *l, struct xs_ctx *ctx,
		unsigned peer, uint64_t lba, uint32_t nblocks, uint8_t *shares,
		uint64_t *gens, uint64_t *as_of)
{
	(void)v->block_size;
	return sl_resync_read_consistent(l->sl, ctx, v->gm, v->fd, peer, lba,
					 nblocks, shares, gens, as_of);
}

int rd_log_read_meta(const char *dir, uint8_t *check, uint64_t *size, char *err,
		     size_t errlen)
{
	struct xs_meta_disk m;
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/meta", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	n = pread(fd, &m, sizeof(m), 0);
	close(fd);
	if (n != (ssize_t)sizeof(m) || le64toh(m.magic) != XS_META_MAGIC ||
	    le16toh(m.version) != XS_META_VERSION ||
	    crc32c(0, &m, offsetof(struct xs_meta_disk, crc)) !=
		    le32toh(m.crc)) {
		snprintf(err, errlen,
			 "%s: not a valid version %d metadata file", path,
			 XS_META_VERSION);
		return -EBADMSG;
	}
	*check = m.check;
	*size = le64toh(m.size);
	return 0;
}
