// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Small share-log files: segment headers, the store's state file and the
 * per-peer cursor files. The small files are replaced atomically (write a
 * temporary, fsync, rename, fsync the directory) so a crash leaves either
 * the old or the new version, never a mix; their CRC catches anything else.
 */
#include <endian.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/fileio.h"
#include "sharelog_priv.h"

uint64_t sl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int sl_write_file_atomic(const char *dir, const char *name, const void *buf,
			 size_t len)
{
	char tmp[4200], path[4200];
	int fd, ret;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = pwrite_full(fd, buf, len, 0);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir(dir);
}

static int read_small(const char *dir, const char *name, void *buf, size_t len)
{
	char path[4200];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, buf, len, 0);
	close(fd);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EBADMSG;
}

/* Like read_small, for a file whose size tells its version: bytes read. */
static ssize_t read_upto(const char *dir, const char *name, void *buf,
			 size_t len)
{
	char path[4200];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, buf, len, 0);
	close(fd);
	return r < 0 ? -errno : r;
}

int sl_state_load(const char *dir, struct sl_state *st)
{
	struct sl_state raw;
	uint32_t crc;
	uint16_t ver;
	size_t len;
	ssize_t got;

	memset(&raw, 0, sizeof(raw));
	got = read_upto(dir, "state", &raw, sizeof(raw));
	if (got < 0)
		return (int)got;
	ver = le16toh(raw.version);
	len = ver == 2 ? SL_STATE_V2_SIZE : SL_STATE_SIZE;
	if ((size_t)got < offsetof(struct sl_state, crc) + 4)
		return -EBADMSG;
	crc = le32toh(raw.crc);
	raw.crc = 0;
	if (le32toh(raw.magic) != SL_STATE_MAGIC || (size_t)got != len ||
	    crc != crc32c(0, &raw, len) || raw.n > SL_MAX_N)
		return -EBADMSG;
	if (ver != 2 && ver != SL_STATE_VERSION)
		return -EPROTONOSUPPORT;
	memset(st, 0, sizeof(*st));
	st->magic = SL_STATE_MAGIC;
	st->version = SL_STATE_VERSION;
	st->n = raw.n;
	st->gen_reserved = le64toh(raw.gen_reserved);
	st->next_seq = le64toh(raw.next_seq);
	st->resync_mask = le32toh(raw.resync_mask);
	st->baseline_next = le64toh(raw.baseline_next);
	st->baseline_size = le64toh(raw.baseline_size);
	for (int i = 0; i < SL_MAX_N; i++) {
		st->resync_seq[i] = le64toh(raw.resync_seq[i]);
		st->drop_epoch[i] = le64toh(raw.drop_epoch[i]); /* v2: 0 */
	}
	return 0;
}

int sl_state_store(const char *dir, const struct sl_state *st)
{
	struct sl_state raw;

	memset(&raw, 0, sizeof(raw));
	raw.magic = htole32(SL_STATE_MAGIC);
	raw.version = htole16(SL_STATE_VERSION);
	raw.n = st->n;
	raw.gen_reserved = htole64(st->gen_reserved);
	raw.next_seq = htole64(st->next_seq);
	raw.resync_mask = htole32(st->resync_mask);
	raw.baseline_next = htole64(st->baseline_next);
	raw.baseline_size = htole64(st->baseline_size);
	for (int i = 0; i < SL_MAX_N; i++) {
		raw.resync_seq[i] = htole64(st->resync_seq[i]);
		raw.drop_epoch[i] = htole64(st->drop_epoch[i]);
	}
	raw.crc = htole32(crc32c(0, &raw, sizeof(raw)));
	return sl_write_file_atomic(dir, "state", &raw, sizeof(raw));
}

int sl_cursor_load(const char *dir, unsigned peer, struct sl_cursor *c)
{
	struct sl_cursor raw;
	char name[32];
	size_t crc_at;
	ssize_t got;
	uint16_t ver;

	snprintf(name, sizeof(name), "peer.%u", peer);
	memset(&raw, 0, sizeof(raw));
	got = read_upto(dir, name, &raw, sizeof(raw));
	if (got < 0)
		return (int)got;
	ver = le16toh(raw.version);
	if (ver == SL_CURSOR_V2_VERSION && got == SL_CURSOR_V2_SIZE) {
		/* 32 bytes: seq, time, 4 zero bytes, CRC at 28 */
		uint32_t crc;

		memcpy(&crc, (uint8_t *)&raw + 28, 4);
		memset((uint8_t *)&raw + 24, 0, sizeof(raw) - 24);
		raw.crc = crc;
		crc_at = 28;
	} else if (ver == SL_CURSOR_VERSION && got == SL_CURSOR_SIZE) {
		crc_at = offsetof(struct sl_cursor, crc);
	} else {
		return -EBADMSG;
	}
	if (le32toh(raw.magic) != SL_CURSOR_MAGIC ||
	    le32toh(raw.crc) != crc32c(0, &raw, crc_at) || raw.peer != peer)
		return -EBADMSG;
	memset(c, 0, sizeof(*c));
	c->magic = SL_CURSOR_MAGIC;
	c->version = SL_CURSOR_VERSION;
	c->peer = raw.peer;
	c->flags = raw.flags & (SL_CUR_RESYNC | SL_CUR_RESYNC_DONE);
	c->seq = le64toh(raw.seq);
	c->time_ns = le64toh(raw.time_ns);
	c->resync_from = le64toh(raw.resync_from);
	c->epoch = le64toh(raw.epoch);
	return 0;
}

int sl_cursor_store(const char *dir, const struct sl_cursor *c)
{
	struct sl_cursor raw;
	char name[32];

	memset(&raw, 0, sizeof(raw));
	raw.magic = htole32(SL_CURSOR_MAGIC);
	raw.version = htole16(SL_CURSOR_VERSION);
	raw.peer = c->peer;
	raw.flags = c->flags;
	raw.seq = htole64(c->seq);
	raw.time_ns = htole64(c->time_ns);
	raw.resync_from = htole64(c->resync_from);
	raw.epoch = htole64(c->epoch);
	raw.crc = htole32(crc32c(0, &raw, offsetof(struct sl_cursor, crc)));
	snprintf(name, sizeof(name), "peer.%u", c->peer);
	return sl_write_file_atomic(dir, name, &raw, sizeof(raw));
}

/* ---- progress (store -> replicator) ---- */

void sl_progress_encode(struct sl_progress *raw,
			const struct sl_progress_info *in)
{
	memset(raw, 0, sizeof(*raw));
	raw->magic = htole32(SL_PROGRESS_MAGIC);
	raw->version = htole16(SL_PROGRESS_VERSION);
	raw->flags = htole16(in->flags);
	raw->durable_seq = htole64(in->durable_seq);
	raw->applied_seq = htole64(in->applied_seq);
	raw->last_seq = htole64(in->last_seq);
	raw->updated_ns = htole64(in->updated_ns);
	raw->run_id = htole64(in->run_id);
	raw->pid = htole32(in->pid);
	raw->crc = htole32(crc32c(0, raw, offsetof(struct sl_progress, crc)));
}

int sl_progress_decode(const void *buf, size_t len,
		       struct sl_progress_info *out)
{
	struct sl_progress raw;

	if (len != sizeof(raw))
		return -EBADMSG;
	memcpy(&raw, buf, sizeof(raw));
	if (le32toh(raw.magic) != SL_PROGRESS_MAGIC ||
	    le32toh(raw.crc) !=
		    crc32c(0, &raw, offsetof(struct sl_progress, crc)))
		return -EBADMSG;
	if (le16toh(raw.version) != SL_PROGRESS_VERSION)
		return -EPROTONOSUPPORT;
	memset(out, 0, sizeof(*out));
	out->flags = le16toh(raw.flags);
	out->durable_seq = le64toh(raw.durable_seq);
	out->applied_seq = le64toh(raw.applied_seq);
	out->last_seq = le64toh(raw.last_seq);
	out->updated_ns = le64toh(raw.updated_ns);
	out->run_id = le64toh(raw.run_id);
	out->pid = le32toh(raw.pid);
	return 0;
}

/* Test hook: called between the tries of a torn progress read. */
void (*sl_progress_retry_hook)(void *arg);
void *sl_progress_retry_arg;

int sharelog_read_progress(const char *dir, struct sl_progress_info *out)
{
	uint8_t buf[SL_PROGRESS_SIZE + 1];
	int ret = -EBADMSG;

	/*
	 * The store rewrites the file in place without a lock: a read can
	 * see half of a write. The CRC says so; the next try sees it whole.
	 */
	for (int i = 0; i < SL_PROGRESS_TRIES; i++) {
		ssize_t got = read_upto(dir, "progress", buf, sizeof(buf));

		if (got < 0)
			return (int)got;
		ret = sl_progress_decode(buf, (size_t)got, out);
		if (ret != -EBADMSG)
			return ret;
		if (sl_progress_retry_hook)
			sl_progress_retry_hook(sl_progress_retry_arg);
		else
			usleep(100);
	}
	return ret;
}

/* ---- peer status (replicator -> store) ---- */

int sharelog_write_peer_status(const char *dir, unsigned peer,
			       const struct sl_peer_status_info *in)
{
	struct sl_peer_status raw;
	char name[32], tmp[4200], path[4200];
	int fd, ret;

	if (peer >= SL_MAX_N)
		return -EINVAL;
	memset(&raw, 0, sizeof(raw));
	raw.magic = htole32(SL_PSTATUS_MAGIC);
	raw.version = htole16(SL_PSTATUS_VERSION);
	raw.size = htole16(SL_PSTATUS_SIZE);
	raw.peer = (uint8_t)peer;
	raw.state = in->state;
	raw.transport = in->transport;
	raw.eta_s = htole32(in->eta_s);
	raw.acked_seq = htole64(in->acked_seq);
	raw.acked_time_ns = htole64(in->acked_time_ns);
	raw.updated_ns = htole64(in->updated_ns ? in->updated_ns : sl_now_ns());
	raw.rate_bps = htole64(in->rate_bps);
	raw.resync_done = htole64(in->resync_done);
	raw.resync_total = htole64(in->resync_total);
	memcpy(raw.error, in->error, strnlen(in->error, sizeof(raw.error) - 1));
	raw.crc =
		htole32(crc32c(0, &raw, offsetof(struct sl_peer_status, crc)));
	/* a report, not state: replaced atomically, never flushed */
	snprintf(name, sizeof(name), "status.%u", peer);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = pwrite_full(fd, &raw, sizeof(raw), 0);
	close(fd);
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int sharelog_read_peer_status(const char *dir, unsigned peer,
			      struct sl_peer_status_info *out)
{
	struct sl_peer_status raw;
	char name[32];
	int ret;

	if (peer >= SL_MAX_N)
		return -EINVAL;
	snprintf(name, sizeof(name), "status.%u", peer);
	ret = read_small(dir, name, &raw, sizeof(raw));
	if (ret)
		return ret;
	if (le32toh(raw.magic) != SL_PSTATUS_MAGIC ||
	    le16toh(raw.size) != SL_PSTATUS_SIZE || raw.peer != peer ||
	    le32toh(raw.crc) !=
		    crc32c(0, &raw, offsetof(struct sl_peer_status, crc)))
		return -EBADMSG;
	if (le16toh(raw.version) != SL_PSTATUS_VERSION)
		return -EPROTONOSUPPORT;
	memset(out, 0, sizeof(*out));
	out->state = raw.state;
	out->transport = raw.transport;
	out->eta_s = le32toh(raw.eta_s);
	out->acked_seq = le64toh(raw.acked_seq);
	out->acked_time_ns = le64toh(raw.acked_time_ns);
	out->updated_ns = le64toh(raw.updated_ns);
	out->rate_bps = le64toh(raw.rate_bps);
	out->resync_done = le64toh(raw.resync_done);
	out->resync_total = le64toh(raw.resync_total);
	memcpy(out->error, raw.error, sizeof(out->error));
	out->error[sizeof(out->error) - 1] = '\0';
	return 0;
}

void sl_seg_hdr_encode(struct sl_seg_hdr *out, const struct sl_seg_hdr *in)
{
	memset(out, 0, sizeof(*out));
	out->magic = htole64(SL_SEG_MAGIC);
	out->version = htole16(SL_VERSION);
	out->hdr_len = htole16(SL_SEG_HDR_SIZE);
	out->k = in->k;
	out->n = in->n;
	out->index = htole64(in->index);
	out->first_seq = htole64(in->first_seq);
	memcpy(out->uuid, in->uuid, sizeof(out->uuid));
	out->seg_size = htole64(in->seg_size);
	out->block_size = htole32(in->block_size);
	out->crc = htole32(crc32c(0, out, offsetof(struct sl_seg_hdr, crc)));
}

int sl_seg_hdr_decode(const void *buf, struct sl_seg_hdr *out)
{
	memcpy(out, buf, sizeof(*out));
	if (le64toh(out->magic) != SL_SEG_MAGIC ||
	    le32toh(out->crc) !=
		    crc32c(0, buf, offsetof(struct sl_seg_hdr, crc)))
		return -EBADMSG;
	out->magic = SL_SEG_MAGIC;
	out->version = le16toh(out->version);
	out->hdr_len = le16toh(out->hdr_len);
	out->index = le64toh(out->index);
	out->first_seq = le64toh(out->first_seq);
	out->seg_size = le64toh(out->seg_size);
	out->block_size = le32toh(out->block_size);
	if (out->version == SL_OLD_VERSION)
		return -EPROTONOSUPPORT;
	if (out->version != SL_VERSION || out->hdr_len != SL_SEG_HDR_SIZE ||
	    out->n == 0 || out->n > SL_MAX_N || out->k == 0 ||
	    out->k > out->n || out->first_seq == 0 ||
	    out->seg_size < SL_SEG_HDR_SIZE || out->block_size < 512 ||
	    out->block_size > 65536 ||
	    (out->block_size & (out->block_size - 1)))
		return -EINVAL;
	return 0;
}

int sl_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread_upto(fd, buf, len, off);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EBADMSG;
}

void sl_seg_path(const struct sharelog *sl, uint64_t index, char *buf,
		 size_t len)
{
	snprintf(buf, len, "%s/seg-%016" PRIx64 ".sl", sl->dir, index);
}

void sl_spare_path(const struct sharelog *sl, uint64_t index, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s/spare-%016" PRIx64 ".sl", sl->dir, index);
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

/*
 * A directory written by the first design (n shares per record) has
 * version 1 in its meta and segment headers. It is refused as a whole:
 * nothing is deployed, so there is no converter, only advice.
 */
int sl_check_format_version(const char *dir, char *err, size_t errlen)
{
	uint8_t buf[12];
	uint16_t v;
	int ret = read_small(dir, "meta", buf, sizeof(buf));

	if (ret)
		return 0; /* absent or unreadable: the caller reports it */
	memcpy(&v, buf + 8, 2);
	v = le16toh(v);
	if (v >= 3)
		return 0;
	snprintf(err, errlen,
		 "xorshare %s: share log format version %u (n shares per "
		 "record) is no longer supported; move the directory aside "
		 "(mv %s %s.v%u) and start again: a new log, key and baseline "
		 "are created and every peer must be resynchronised",
		 dir, v, dir, dir, v);
	return -EPROTONOSUPPORT;
}
