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

int sl_state_load(const char *dir, struct sl_state *st)
{
	struct sl_state raw;
	uint32_t crc;
	int ret = read_small(dir, "state", &raw, sizeof(raw));

	if (ret)
		return ret;
	crc = le32toh(raw.crc);
	raw.crc = 0;
	if (le32toh(raw.magic) != SL_STATE_MAGIC ||
	    crc != crc32c(0, &raw, sizeof(raw)) || raw.n > SL_MAX_N)
		return -EBADMSG;
	if (le16toh(raw.version) != SL_VERSION)
		return -EPROTONOSUPPORT;
	memset(st, 0, sizeof(*st));
	st->magic = SL_STATE_MAGIC;
	st->version = SL_VERSION;
	st->n = raw.n;
	st->gen_reserved = le64toh(raw.gen_reserved);
	st->next_seq = le64toh(raw.next_seq);
	st->resync_mask = le32toh(raw.resync_mask);
	st->baseline_next = le64toh(raw.baseline_next);
	st->baseline_size = le64toh(raw.baseline_size);
	for (int i = 0; i < SL_MAX_N; i++)
		st->resync_seq[i] = le64toh(raw.resync_seq[i]);
	return 0;
}

int sl_state_store(const char *dir, const struct sl_state *st)
{
	struct sl_state raw;

	memset(&raw, 0, sizeof(raw));
	raw.magic = htole32(SL_STATE_MAGIC);
	raw.version = htole16(SL_VERSION);
	raw.n = st->n;
	raw.gen_reserved = htole64(st->gen_reserved);
	raw.next_seq = htole64(st->next_seq);
	raw.resync_mask = htole32(st->resync_mask);
	raw.baseline_next = htole64(st->baseline_next);
	raw.baseline_size = htole64(st->baseline_size);
	for (int i = 0; i < SL_MAX_N; i++)
		raw.resync_seq[i] = htole64(st->resync_seq[i]);
	raw.crc = htole32(crc32c(0, &raw, sizeof(raw)));
	return sl_write_file_atomic(dir, "state", &raw, sizeof(raw));
}

int sl_cursor_load(const char *dir, unsigned peer, struct sl_cursor *c)
{
	struct sl_cursor raw;
	char name[32];
	int ret;

	snprintf(name, sizeof(name), "peer.%u", peer);
	ret = read_small(dir, name, &raw, sizeof(raw));
	if (ret)
		return ret;
	if (le32toh(raw.magic) != SL_CURSOR_MAGIC ||
	    le32toh(raw.crc) !=
		    crc32c(0, &raw, offsetof(struct sl_cursor, crc)) ||
	    le16toh(raw.version) != SL_VERSION || raw.peer != peer)
		return -EBADMSG;
	memset(c, 0, sizeof(*c));
	c->magic = SL_CURSOR_MAGIC;
	c->version = SL_VERSION;
	c->peer = raw.peer;
	c->seq = le64toh(raw.seq);
	c->time_ns = le64toh(raw.time_ns);
	return 0;
}

int sl_cursor_store(const char *dir, const struct sl_cursor *c)
{
	struct sl_cursor raw;
	char name[32];

	memset(&raw, 0, sizeof(raw));
	raw.magic = htole32(SL_CURSOR_MAGIC);
	raw.version = htole16(SL_VERSION);
	raw.peer = c->peer;
	raw.seq = htole64(c->seq);
	raw.time_ns = htole64(c->time_ns);
	raw.crc = htole32(crc32c(0, &raw, offsetof(struct sl_cursor, crc)));
	snprintf(name, sizeof(name), "peer.%u", c->peer);
	return sl_write_file_atomic(dir, name, &raw, sizeof(raw));
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
