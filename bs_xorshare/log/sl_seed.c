// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reprotect seed: encoding, checking, the one-time consumption and the
 * new log directory made from it (doc/dr-runbook.md "Step 4").
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/fileio.h"
#include "sharelog_priv.h"
#include "sl_genmap.h"
#include "sl_seed.h"

static int bad(char *why, size_t whylen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static size_t body_len(uint64_t nblocks, uint32_t nrevert)
{
	return (size_t)nblocks * 8 +
	       (size_t)nrevert * sizeof(struct sl_seed_range);
}

int sl_seed_encode(const struct sl_seed *s, void **bufp, size_t *lenp)
{
	struct sl_seed_hdr h;
	size_t len;
	uint8_t *buf, *p;

	if (s->nblocks > SL_SEED_MAX_BLOCKS || !s->gens)
		return -EINVAL;
	len = SL_SEED_HDR_SIZE + body_len(s->nblocks, s->nrevert);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	p = buf + SL_SEED_HDR_SIZE;
	for (uint64_t b = 0; b < s->nblocks; b++, p += 8) {
		uint64_t v = htole64(s->gens[b]);

		memcpy(p, &v, 8);
	}
	for (uint32_t j = 0; j < s->nrevert; j++, p += 16) {
		struct sl_seed_range r = {.lba = htole64(s->rev[j].lba),
					  .nblocks =
						  htole64(s->rev[j].nblocks)};

		memcpy(p, &r, 16);
	}
	memset(&h, 0, sizeof(h));
	h.magic = htole64(SL_SEED_MAGIC);
	h.version = htole16(SL_SEED_VERSION);
	h.hdr_len = htole16(SL_SEED_HDR_SIZE);
	h.k = s->k;
	h.n = s->n;
	h.check = s->check;
	h.flags = s->flags;
	memcpy(h.uuid, s->uuid, 16);
	h.block_size = htole32(s->block_size);
	h.nrevert = htole32(s->nrevert);
	h.size = htole64(s->size);
	h.nblocks = htole64(s->nblocks);
	h.point_seq = htole64(s->point_seq);
	h.next_seq = htole64(s->next_seq);
	h.gen_floor = htole64(s->gen_floor);
	h.created_ns = htole64(s->created_ns);
	memcpy(h.key, s->key, 16);
	h.held_mask = htole32(s->held_mask);
	h.body_crc = htole32(
		crc32c(0, buf + SL_SEED_HDR_SIZE, len - SL_SEED_HDR_SIZE));
	h.crc = htole32(crc32c(0, &h, offsetof(struct sl_seed_hdr, crc)));
	memcpy(buf, &h, sizeof(h));
	explicit_bzero(&h, sizeof(h));
	*bufp = buf;
	*lenp = len;
	return 0;
}

static int decode_hdr(const void *buf, size_t len, struct sl_seed *s, char *why,
		      size_t whylen)
{
	struct sl_seed_hdr h;
	uint16_t ver;

	if (len < SL_SEED_HDR_SIZE)
		return bad(why, whylen, -EBADMSG,
			   "%zu bytes: shorter than its %d-byte header", len,
			   SL_SEED_HDR_SIZE);
	memcpy(&h, buf, sizeof(h));
	if (le64toh(h.magic) != SL_SEED_MAGIC)
		return bad(why, whylen, -EBADMSG,
			   "not a reprotect seed (magic)");
	if (le32toh(h.crc) != crc32c(0, &h, offsetof(struct sl_seed_hdr, crc)))
		return bad(why, whylen, -EBADMSG, "header checksum mismatch");
	ver = le16toh(h.version);
	if (ver != SL_SEED_VERSION)
		return bad(why, whylen, -EPROTONOSUPPORT,
			   "version %u (this program reads %d)", ver,
			   SL_SEED_VERSION);
	memset(s, 0, sizeof(*s));
	s->k = h.k;
	s->n = h.n;
	s->check = h.check;
	s->flags = h.flags;
	memcpy(s->uuid, h.uuid, 16);
	s->block_size = le32toh(h.block_size);
	s->nrevert = le32toh(h.nrevert);
	s->size = le64toh(h.size);
	s->nblocks = le64toh(h.nblocks);
	s->point_seq = le64toh(h.point_seq);
	s->next_seq = le64toh(h.next_seq);
	s->gen_floor = le64toh(h.gen_floor);
	s->created_ns = le64toh(h.created_ns);
	memcpy(s->key, h.key, 16);
	s->held_mask = le32toh(h.held_mask);
	explicit_bzero(&h, sizeof(h));
	if (le16toh(((const struct sl_seed_hdr *)buf)->hdr_len) !=
		    SL_SEED_HDR_SIZE ||
	    !s->k || s->k > s->n || s->n > SL_MAX_N || s->check > 2 ||
	    (s->flags & ~SL_SEED_CONSUMED) || s->block_size < 512 ||
	    s->block_size > 65536 || (s->block_size & (s->block_size - 1)) ||
	    !s->nblocks || s->nblocks > SL_SEED_MAX_BLOCKS ||
	    s->size != s->nblocks * s->block_size ||
	    s->next_seq <= s->point_seq || !s->gen_floor ||
	    (s->n < 32 && (s->held_mask >> s->n)))
		return bad(why, whylen, -EBADMSG,
			   "fields out of range (k=%u n=%u block size %u, "
			   "%llu blocks, size %llu, point %llu, next seq "
			   "%llu)",
			   s->k, s->n, s->block_size,
			   (unsigned long long)s->nblocks,
			   (unsigned long long)s->size,
			   (unsigned long long)s->point_seq,
			   (unsigned long long)s->next_seq);
	if (len != SL_SEED_HDR_SIZE + body_len(s->nblocks, s->nrevert))
		return bad(why, whylen, -EBADMSG,
			   "%zu bytes, its header says %zu", len,
			   SL_SEED_HDR_SIZE + body_len(s->nblocks, s->nrevert));
	return 0;
}

int sl_seed_decode(const void *buf, size_t len, struct sl_seed *s, char *why,
		   size_t whylen)
{
	const uint8_t *p = (const uint8_t *)buf + SL_SEED_HDR_SIZE;
	uint32_t body_crc;
	int ret = decode_hdr(buf, len, s, why, whylen);

	if (ret)
		return ret;
	body_crc = le32toh(((const struct sl_seed_hdr *)buf)->body_crc);
	if (body_crc != crc32c(0, p, len - SL_SEED_HDR_SIZE))
		return bad(why, whylen, -EBADMSG,
			   "generation map checksum mismatch");
	s->gens = malloc((size_t)s->nblocks * 8);
	s->rev = s->nrevert ? malloc((size_t)s->nrevert * 16) : NULL;
	if (!s->gens || (s->nrevert && !s->rev)) {
		sl_seed_free(s);
		return bad(why, whylen, -ENOMEM, "out of memory");
	}
	for (uint64_t b = 0; b < s->nblocks; b++, p += 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		s->gens[b] = le64toh(v);
		/* never a generation the new owner could hand out again */
		if (s->gens[b] >= s->gen_floor) {
			ret = bad(why, whylen, -EBADMSG,
				  "block %llu has generation %llu, not below "
				  "the new generations (%llu)",
				  (unsigned long long)b,
				  (unsigned long long)s->gens[b],
				  (unsigned long long)s->gen_floor);
			sl_seed_free(s);
			return ret;
		}
	}
	for (uint32_t j = 0; j < s->nrevert; j++, p += 16) {
		struct sl_seed_range r;

		memcpy(&r, p, 16);
		s->rev[j].lba = le64toh(r.lba);
		s->rev[j].nblocks = le64toh(r.nblocks);
		if (!s->rev[j].nblocks || s->rev[j].lba >= s->nblocks ||
		    s->rev[j].nblocks > s->nblocks - s->rev[j].lba) {
			ret = bad(why, whylen, -EBADMSG,
				  "revert range %u outside the volume", j);
			sl_seed_free(s);
			return ret;
		}
	}
	return 0;
}

int sl_seed_load(const char *path, struct sl_seed *s, char *why, size_t whylen)
{
	void *buf = NULL;
	size_t len;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = read_file_max(
		path, SL_SEED_HDR_SIZE + SL_SEED_MAX_BLOCKS * 8 + (1ULL << 36),
		&buf, &len, NULL);
	if (ret == -EFBIG || ret == -EINVAL)
		return bad(why, whylen, -EBADMSG, "not a seed (%s)",
			   ret == -EFBIG ? "too large" : "not a regular file");
	if (ret)
		return bad(why, whylen, ret, "%s", strerror(-ret));
	ret = sl_seed_decode(buf, len, s, why, whylen);
	explicit_bzero(buf, len < SL_SEED_HDR_SIZE ? len : SL_SEED_HDR_SIZE);
	free(buf);
	return ret;
}

void sl_seed_free(struct sl_seed *s)
{
	free(s->gens);
	free(s->rev);
	s->gens = NULL;
	s->rev = NULL;
	explicit_bzero(s->key, sizeof(s->key));
}

int sl_seed_consume(const char *path)
{
	struct sl_seed_hdr h;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread_upto(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		close(fd);
		return -EBADMSG;
	}
	h.flags |= SL_SEED_CONSUMED;
	explicit_bzero(h.key, sizeof(h.key));
	h.crc = htole32(crc32c(0, &h, offsetof(struct sl_seed_hdr, crc)));
	ret = pwrite_full(fd, &h, sizeof(h), 0);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Runs of consecutive generations are one map write. */
static int write_map(struct sl_genmap *gm, const struct sl_seed *s)
{
	uint64_t b = 0;

	while (b < s->nblocks) {
		uint64_t e = b + 1, g = s->gens[b];
		int ret;

		while (e < s->nblocks && e - b < (1U << 20) &&
		       (g ? s->gens[e] == g + (e - b) : !s->gens[e]))
			e++;
		ret = sl_genmap_set(gm, b, (uint32_t)(e - b), g);
		if (ret)
			return ret;
		b = e;
	}
	return 0;
}

int sl_seed_apply(const char *dir, const struct sl_seed *s, char *err,
		  size_t errlen)
{
	struct sl_genmap *gm = NULL;
	struct sl_state st;
	uint64_t ext, next;
	int ret = sl_mkdir_p(dir);

	if (!ret)
		ret = sl_key_store(dir, s->uuid, s->key);
	if (ret) {
		snprintf(err, errlen, "%s/key: %s", dir, strerror(-ret));
		return ret;
	}
	memset(&st, 0, sizeof(st));
	st.magic = SL_STATE_MAGIC;
	st.version = SL_STATE_VERSION;
	st.n = s->n;
	st.gen_reserved = s->gen_floor;
	st.next_seq = s->next_seq;
	/* the restored volume is what the peers hold: no baseline */
	st.baseline_next = st.baseline_size = s->size;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->held_mask & (1u << i))
			continue;
		/* unknown or behind: its share volume may hold seqs the new
		 * log will hand out again with other data; a fill from the
		 * volume and the map replaces it when it comes back */
		st.resync_mask |= 1u << i;
		st.resync_seq[i] = s->next_seq;
		st.drop_epoch[i] = 1;
	}
	ret = sl_state_store(dir, &st);
	if (ret) {
		snprintf(err, errlen, "%s/state: %s", dir, strerror(-ret));
		return ret;
	}
	for (unsigned i = 0; i < s->n && !ret; i++) {
		struct sl_cursor c = {.peer = (uint8_t)i,
				      .seq = s->next_seq - 1,
				      .time_ns = s->created_ns};

		/* what the replicator's journal scan will find there */
		if (s->held_mask & (1u << i))
			ret = sl_cursor_store(dir, &c);
	}
	if (ret) {
		snprintf(err, errlen, "%s/peer.*: %s", dir, strerror(-ret));
		return ret;
	}
	ret = sl_genmap_open(&gm, dir, s->uuid, s->block_size, false, err,
			     errlen);
	if (ret)
		return ret;
	ret = write_map(gm, s);
	next = (s->nblocks + sl_genmap_extent_blocks(gm) - 1) /
	       sl_genmap_extent_blocks(gm);
	for (ext = 0; !ret && ext < next; ext++)
		ret = sl_genmap_seal(gm, ext);
	if (!ret)
		ret = sl_genmap_sync(gm);
	if (ret)
		snprintf(err, errlen, "%s/genmap: %s", dir, strerror(-ret));
	sl_genmap_close(gm);
	return ret;
}
