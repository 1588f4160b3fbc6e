// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Held volumes: bindings UUID -> owner made from the share volumes this node
 * serves, their rules, cap and file (rd_hold.h).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/crc32c.h"
#include "rd_hold.h"
#include "rd_hold_format.h"

struct rd_bind {
	uint8_t uuid[SLT_UUID_SIZE];
	uint8_t owner[SLT_ID_SIZE];
	uint64_t version, bound_ms, seen_ms;
	uint32_t flags;
};

struct rd_hold {
	unsigned cap, count;
	struct rd_bind *b; /* cap slots, the first count used */
	char *path;
	struct rd_hold_stats st;
};

const char *rd_hold_verdict_name(enum rd_hold_verdict v)
{
	static const char *const names[RD_HOLD_VERDICTS] = {
		"bound", "same", "newer", "older", "other-key", "bad", "full",
	};

	return (unsigned)v < RD_HOLD_VERDICTS ? names[v] : "?";
}

struct rd_hold *rd_hold_new(unsigned cap, const char *path)
{
	struct rd_hold *h;

	if (!cap || cap > RD_HOLD_MAX_CAP)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->cap = cap;
	h->b = calloc(cap, sizeof(*h->b));
	h->path = path ? strdup(path) : NULL;
	if (!h->b || (path && !h->path)) {
		rd_hold_free(h);
		return NULL;
	}
	return h;
}

void rd_hold_free(struct rd_hold *h)
{
	if (!h)
		return;
	free(h->b);
	free(h->path);
	free(h);
}

static struct rd_bind *find(const struct rd_hold *h, const uint8_t *uuid)
{
	for (unsigned i = 0; i < h->count; i++)
		if (!memcmp(h->b[i].uuid, uuid, SLT_UUID_SIZE))
			return &h->b[i];
	return NULL;
}

static size_t file_max(const struct rd_hold *h)
{
	return RD_HELD_HDR_SIZE + (size_t)h->cap * RD_HELD_REC_SIZE;
}

/* Rewrites the whole file (at most cap records: a few KiB). */
static void save(struct rd_hold *h)
{
	struct rd_held_hdr hdr = {0};
	size_t len = RD_HELD_HDR_SIZE + (size_t)h->count * RD_HELD_REC_SIZE;
	uint8_t *buf;
	uint32_t crc;

	if (!h->path)
		return;
	buf = calloc(1, len);
	if (!buf) {
		h->st.save_error = -ENOMEM;
		return;
	}
	for (unsigned i = 0; i < h->count; i++) {
		struct rd_held_rec r = {0};

		memcpy(r.uuid, h->b[i].uuid, SLT_UUID_SIZE);
		memcpy(r.owner, h->b[i].owner, SLT_ID_SIZE);
		r.version = htole64(h->b[i].version);
		r.bound_ms = htole64(h->b[i].bound_ms);
		r.flags = htole32(h->b[i].flags);
		memcpy(buf + RD_HELD_HDR_SIZE + (size_t)i * RD_HELD_REC_SIZE,
		       &r, sizeof(r));
	}
	hdr.magic = htole32(RD_HELD_MAGIC);
	hdr.version = htole16(RD_HELD_VERSION);
	hdr.count = htole32(h->count);
	memcpy(buf, &hdr, sizeof(hdr));
	crc = htole32(crc32c(0, buf, len));
	memcpy(buf + offsetof(struct rd_held_hdr, crc), &crc, 4);
	h->st.save_error = write_path_atomic(h->path, buf, len, 0600);
	free(buf);
}

static int load_buf(struct rd_hold *h, const uint8_t *buf, size_t len,
		    uint64_t now_ms)
{
	struct rd_held_hdr hdr;
	uint32_t crc, count;
	uint8_t *copy;

	if (len < RD_HELD_HDR_SIZE)
		return -EBADMSG;
	memcpy(&hdr, buf, sizeof(hdr));
	count = le32toh(hdr.count);
	if (le32toh(hdr.magic) != RD_HELD_MAGIC ||
	    le16toh(hdr.version) != RD_HELD_VERSION || hdr.reserved ||
	    count > h->cap ||
	    len != RD_HELD_HDR_SIZE + (size_t)count * RD_HELD_REC_SIZE)
		return -EBADMSG;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	memset(copy + offsetof(struct rd_held_hdr, crc), 0, 4);
	crc = crc32c(0, copy, len);
	free(copy);
	if (crc != le32toh(hdr.crc))
		return -EBADMSG;
	for (uint32_t i = 0; i < count; i++) {
		struct rd_held_rec r;
		struct rd_bind *b;

		memcpy(&r,
		       buf + RD_HELD_HDR_SIZE + (size_t)i * RD_HELD_REC_SIZE,
		       sizeof(r));
		if (r.reserved || find(h, r.uuid)) {
			h->count = 0;
			return -EBADMSG;
		}
		b = &h->b[h->count++];
		memcpy(b->uuid, r.uuid, SLT_UUID_SIZE);
		memcpy(b->owner, r.owner, SLT_ID_SIZE);
		b->version = le64toh(r.version);
		b->bound_ms = le64toh(r.bound_ms);
		b->flags = le32toh(r.flags);
		b->seen_ms = now_ms;
	}
	return 0;
}

int rd_hold_load(struct rd_hold *h, uint64_t now_ms, char *err, size_t errlen)
{
	char bad[4200];
	void *buf;
	size_t len;
	int ret;

	h->count = 0;
	if (!h->path)
		return -ENOENT;
	ret = read_file_max(h->path, file_max(h), &buf, &len, NULL);
	if (ret == -ENOENT)
		return ret;
	if (!ret) {
		ret = load_buf(h, buf, len, now_ms);
		free(buf);
	} else if (ret == -EFBIG || ret == -E2BIG) {
		ret = -EBADMSG;
	}
	if (ret == -EBADMSG) {
		snprintf(bad, sizeof(bad), "%s.bad", h->path);
		if (rename(h->path, bad))
			snprintf(bad, sizeof(bad), "(not moved: %s)",
				 strerror(errno));
		snprintf(err, errlen,
			 "%s: damaged or over the cap of %u bindings, moved to "
			 "%s; held volumes are bound again from their headers",
			 h->path, h->cap, bad);
	} else if (ret) {
		snprintf(err, errlen, "%s: %s", h->path, strerror(-ret));
	}
	return ret;
}

static enum rd_hold_verdict note(struct rd_hold *h, enum rd_hold_verdict v)
{
	h->st.verdicts[v]++;
	return v;
}

/* A free slot: a new one, or the binding unseen longest if stale. */
static struct rd_bind *slot(struct rd_hold *h, uint64_t now_ms)
{
	struct rd_bind *old = NULL;

	if (h->count < h->cap)
		return &h->b[h->count++];
	for (unsigned i = 0; i < h->count; i++)
		if (h->b[i].seen_ms + RD_HOLD_STALE_MS < now_ms &&
		    (!old || h->b[i].seen_ms < old->seen_ms))
			old = &h->b[i];
	if (old)
		h->st.evicted++;
	return old;
}

enum rd_hold_verdict rd_hold_offer(struct rd_hold *h, const uint8_t *tbl,
				   size_t len, uint64_t now_ms, struct slt *t,
				   uint8_t owner[SLT_ID_SIZE], uint64_t *seen)
{
	struct slt tmp, *tt = t ? t : &tmp;
	struct rd_bind *b;

	if (seen)
		*seen = 0;
	if (len > SLT_MAX_SIZE || slt_decode(tbl, len, tt, NULL))
		return note(h, RD_HOLD_BAD);
	b = find(h, tt->uuid);
	if (b) {
		b->seen_ms = now_ms;
		if (owner)
			memcpy(owner, b->owner, SLT_ID_SIZE);
		if (seen)
			*seen = b->version;
		/* discarding needs no trust: no signature work for repeats */
		if (!memcmp(b->owner, tt->owner_id, SLT_ID_SIZE)) {
			if (tt->version == b->version)
				return note(h, RD_HOLD_SAME);
			if (tt->version < b->version)
				return note(h, RD_HOLD_OLDER);
		}
	}
	if (slt_verify(tbl, len))
		return note(h, RD_HOLD_BAD);
	if (b && memcmp(b->owner, tt->owner_id, SLT_ID_SIZE))
		return note(h, RD_HOLD_OTHER_KEY);
	if (b) {
		b->version = tt->version;
		save(h);
		return note(h, RD_HOLD_NEWER);
	}
	b = slot(h, now_ms);
	if (!b)
		return note(h, RD_HOLD_FULL);
	memset(b, 0, sizeof(*b));
	memcpy(b->uuid, tt->uuid, SLT_UUID_SIZE);
	memcpy(b->owner, tt->owner_id, SLT_ID_SIZE);
	b->version = tt->version;
	b->bound_ms = b->seen_ms = now_ms;
	if (owner)
		memcpy(owner, b->owner, SLT_ID_SIZE);
	save(h);
	return note(h, RD_HOLD_BOUND);
}

int rd_hold_bind(struct rd_hold *h, const uint8_t uuid[SLT_UUID_SIZE],
		 const uint8_t owner[SLT_ID_SIZE], uint64_t now_ms)
{
	struct rd_bind *b = find(h, uuid);

	if (b) {
		b->seen_ms = now_ms;
		return memcmp(b->owner, owner, SLT_ID_SIZE) ? -EEXIST : 0;
	}
	b = slot(h, now_ms);
	if (!b)
		return -ENOSPC;
	memset(b, 0, sizeof(*b));
	memcpy(b->uuid, uuid, SLT_UUID_SIZE);
	memcpy(b->owner, owner, SLT_ID_SIZE);
	b->bound_ms = b->seen_ms = now_ms;
	b->flags = RD_HELD_F_PINNED;
	save(h);
	return 0;
}

bool rd_hold_owner(const struct rd_hold *h, const uint8_t uuid[SLT_UUID_SIZE],
		   uint8_t owner[SLT_ID_SIZE])
{
	const struct rd_bind *b = find(h, uuid);

	if (b && owner)
		memcpy(owner, b->owner, SLT_ID_SIZE);
	return b != NULL;
}

void rd_hold_each(const struct rd_hold *h,
		  void (*fn)(void *arg, const uint8_t uuid[SLT_UUID_SIZE],
			     const uint8_t owner[SLT_ID_SIZE]),
		  void *arg)
{
	for (unsigned i = 0; i < h->count; i++)
		fn(arg, h->b[i].uuid, h->b[i].owner);
}

void rd_hold_stats(const struct rd_hold *h, struct rd_hold_stats *st)
{
	*st = h->st;
	st->count = h->count;
	st->cap = h->cap;
	st->bytes = sizeof(*h) + (size_t)h->cap * sizeof(*h->b);
}
