// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Small share-log files: segment headers, the store's state file and the
 * per-peer cursor files. The small files are replaced atomically (write a
 * temporary, fsync, rename, fsync the directory) so a crash leaves either
 * the old or the new version, never a mix; their CRC catches anything else.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../usr/core/fileio.h"
#include "sharelog_priv.h"
#include "../usr/core/crc32c.h"

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
	    crc != crc32c(0, &raw, sizeof(raw)) ||
	    le16toh(raw.version) != SL_VERSION || raw.n > SL_MAX_N)
		return -EBADMSG;
	memset(st, 0, sizeof(*st));
	st->magic = SL_STATE_MAGIC;
	st->version = SL_VERSION;
	st->n = raw.n;
	st->checkpoint = le64toh(raw.checkpoint);
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
	raw.checkpoint = htole64(st->checkpoint);
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
	if (out->version != SL_VERSION || out->hdr_len != SL_SEG_HDR_SIZE ||
	    out->n == 0 || out->n > SL_MAX_N || out->k == 0 ||
	    out->k > out->n || out->first_seq == 0 ||
	    out->seg_size < SL_SEG_HDR_SIZE)
		return -EINVAL;
	return 0;
}
