// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The activity log (xs_al.h): hot extents in memory (a stamp per extent,
 * least recently used evicted first), transactions written alternately to
 * al.0 and al.1 and made durable before a write may touch a new extent.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/fileio.h"
#include "core/log.h"
#include "bs_xorshare/log/sharelog_format.h"
#include "bs_xorshare/log/sl_genmap.h"
#include "bs_xorshare/log/sl_pio.h"
#include "xs_al.h"

#define AL_WANTED 0x1
#define AL_PINNED 0x2

struct xs_al {
	int fd[2];
	uint8_t uuid[16];
	uint64_t nr_extents;
	uint32_t cap;
	uint64_t *stamp; /* 0: cold */
	uint8_t *flags;
	uint64_t epoch;
	uint32_t hot, wanted;
	uint64_t txn;
	uint64_t txns; /* written since open */
	bool broken;   /* test: transactions are never written */
	uint8_t *buf;
	size_t buf_len;
};

static int al_grow_buf(struct xs_al *al, size_t need)
{
	uint8_t *b;

	if (need <= al->buf_len)
		return 0;
	b = realloc(al->buf, need);
	if (!b)
		return -ENOMEM;
	al->buf = b;
	al->buf_len = need;
	return 0;
}

static int al_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread_upto(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -EBADMSG;
}

/* Reads one slot; *txn 0 when it is absent or invalid. */
static int al_load_slot(struct xs_al *al, int i, uint64_t *txn, uint32_t **ents,
			uint32_t *count)
{
	struct sl_al_hdr h;
	uint32_t n, crc;
	uint32_t *e;

	*txn = 0;
	*ents = NULL;
	*count = 0;
	if (al_pread(al->fd[i], &h, sizeof(h), 0))
		return 0;
	n = le32toh(h.count);
	if (le32toh(h.magic) != SL_AL_MAGIC ||
	    le16toh(h.version) != SL_VERSION ||
	    le16toh(h.hdr_len) != SL_AL_HDR_SIZE || n > (1U << 28) ||
	    memcmp(h.uuid, al->uuid, 16) ||
	    le32toh(h.extent_shift) != SL_EXTENT_SHIFT)
		return 0;
	e = malloc((size_t)n * 4 + 4);
	if (!e)
		return -ENOMEM;
	if (al_pread(al->fd[i], e, (size_t)n * 4, SL_AL_HDR_SIZE)) {
		free(e);
		return 0;
	}
	crc = crc32c(0, &h, offsetof(struct sl_al_hdr, crc));
	crc = crc32c(crc, e, (size_t)n * 4);
	if (crc != le32toh(h.crc)) {
		free(e);
		return 0;
	}
	for (uint32_t j = 0; j < n; j++)
		e[j] = le32toh(e[j]);
	*txn = le64toh(h.txn);
	*ents = e;
	*count = n;
	return 0;
}

static int al_write(struct xs_al *al, bool empty)
{
	struct sl_al_hdr h;
	uint32_t n = 0, crc;
	uint32_t *e;
	int fd, ret;

	ret = al_grow_buf(al,
			  SL_AL_HDR_SIZE + 4 * (size_t)(al->hot + al->wanted));
	if (ret)
		return ret;
	e = (uint32_t *)(al->buf + SL_AL_HDR_SIZE);
	for (uint64_t x = 0; x < al->nr_extents && !empty; x++)
		if (al->stamp[x] || (al->flags[x] & AL_WANTED))
			e[n++] = htole32((uint32_t)x);
	memset(&h, 0, sizeof(h));
	h.magic = htole32(SL_AL_MAGIC);
	h.version = htole16(SL_VERSION);
	h.hdr_len = htole16(SL_AL_HDR_SIZE);
	h.count = htole32(n);
	h.capacity = htole32(al->cap);
	h.txn = htole64(al->txn + 1);
	memcpy(h.uuid, al->uuid, 16);
	h.extent_shift = htole32(SL_EXTENT_SHIFT);
	crc = crc32c(0, &h, offsetof(struct sl_al_hdr, crc));
	crc = crc32c(crc, e, (size_t)n * 4);
	h.crc = htole32(crc);
	memcpy(al->buf, &h, sizeof(h));
	al->txns++;
	if (al->broken) {
		al->txn++;
		return 0;
	}
	fd = al->fd[(al->txn + 1) % 2];
	ret = sl_pwrite(fd, al->buf, SL_AL_HDR_SIZE + (size_t)n * 4, 0);
	if (!ret)
		ret = sl_fdatasync(fd);
	if (ret)
		return ret;
	al->txn++;
	return 0;
}

int xs_al_open(struct xs_al **out, const char *dir, const uint8_t uuid[16],
	       uint64_t nr_extents, uint32_t cap, bool break_for_test,
	       uint64_t **hot, uint32_t *nr_hot, char *err, size_t errlen)
{
	struct xs_al *al = calloc(1, sizeof(*al));
	uint32_t *ents[2] = {NULL, NULL}, cnt[2] = {0, 0};
	uint64_t txn[2] = {0, 0};
	int ret, cur;

	*out = NULL;
	*hot = NULL;
	*nr_hot = 0;
	if (!al)
		return -ENOMEM;
	al->fd[0] = al->fd[1] = -1;
	memcpy(al->uuid, uuid, 16);
	al->cap = cap;
	al->epoch = 1;
	al->broken = break_for_test;
	ret = xs_al_resize(al, nr_extents);
	for (int i = 0; i < 2 && !ret; i++) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/al.%d", dir, i);
		al->fd[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (al->fd[i] < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			goto fail;
		}
		ret = al_load_slot(al, i, &txn[i], &ents[i], &cnt[i]);
	}
	if (ret) {
		snprintf(err, errlen, "%s/al: %s", dir, strerror(-ret));
		goto fail;
	}
	ret = fsync_dir(dir);
	if (ret)
		goto fail;
	cur = txn[1] > txn[0];
	al->txn = txn[cur];
	if (cnt[cur]) {
		uint64_t *h = malloc(sizeof(*h) * cnt[cur]);
		uint32_t n = 0;

		if (!h) {
			ret = -ENOMEM;
			goto fail;
		}
		for (uint32_t j = 0; j < cnt[cur]; j++)
			if (ents[cur][j] < nr_extents)
				h[n++] = ents[cur][j];
		*hot = h;
		*nr_hot = n;
	}
	free(ents[0]);
	free(ents[1]);
	*out = al;
	return 0;
fail:
	free(ents[0]);
	free(ents[1]);
	xs_al_close(al);
	return ret;
}

void xs_al_close(struct xs_al *al)
{
	if (!al)
		return;
	for (int i = 0; i < 2; i++)
		if (al->fd[i] >= 0) {
			sl_pio_forget(al->fd[i]);
			close(al->fd[i]);
		}
	free(al->stamp);
	free(al->flags);
	free(al->buf);
	free(al);
}

int xs_al_resize(struct xs_al *al, uint64_t nr_extents)
{
	uint64_t *s;
	uint8_t *f;

	if (nr_extents > (1ULL << 32))
		return -EFBIG;
	s = realloc(al->stamp, sizeof(*s) * (nr_extents ? nr_extents : 1));
	if (!s)
		return -ENOMEM;
	al->stamp = s;
	f = realloc(al->flags, nr_extents ? nr_extents : 1);
	if (!f)
		return -ENOMEM;
	al->flags = f;
	for (uint64_t x = al->nr_extents; x < nr_extents; x++) {
		s[x] = 0;
		f[x] = 0;
	}
	if (nr_extents < al->nr_extents) {
		al->hot = al->wanted = 0;
		for (uint64_t x = 0; x < nr_extents; x++) {
			al->hot += s[x] != 0;
			al->wanted += (f[x] & AL_WANTED) != 0;
		}
	}
	al->nr_extents = nr_extents;
	return 0;
}

void xs_al_new_epoch(struct xs_al *al)
{
	al->epoch++;
}

bool xs_al_touch(struct xs_al *al, uint64_t extent)
{
	if (extent >= al->nr_extents || !al->stamp[extent])
		return false;
	al->stamp[extent] = al->epoch;
	return true;
}

void xs_al_want(struct xs_al *al, uint64_t extent)
{
	if (extent >= al->nr_extents || al->stamp[extent] ||
	    (al->flags[extent] & AL_WANTED))
		return;
	al->flags[extent] |= AL_WANTED;
	al->wanted++;
}

uint32_t xs_al_nr_wanted(const struct xs_al *al)
{
	return al->wanted;
}

uint32_t xs_al_overflow(const struct xs_al *al)
{
	uint32_t total = al->hot + al->wanted;

	return total > al->cap ? total - al->cap : 0;
}

uint32_t xs_al_pick_victims(struct xs_al *al, uint32_t nr, uint64_t *victims)
{
	uint32_t got = 0;

	/* nr is small and eviction rare: repeated scans are fine */
	while (got < nr) {
		uint64_t best = UINT64_MAX, best_stamp = UINT64_MAX;

		for (uint64_t x = 0; x < al->nr_extents; x++) {
			uint64_t s = al->stamp[x];

			if (!s || s == al->epoch ||
			    (al->flags[x] & AL_PINNED) || s >= best_stamp)
				continue;
			best = x;
			best_stamp = s;
		}
		if (best == UINT64_MAX)
			break;
		/* taken: leave it out of the next scans */
		al->flags[best] |= AL_PINNED;
		victims[got++] = best;
	}
	for (uint32_t i = 0; i < got; i++)
		al->flags[victims[i]] &= (uint8_t)~AL_PINNED;
	return got;
}

void xs_al_remove(struct xs_al *al, const uint64_t *victims, uint32_t nr)
{
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t x = victims[i];

		if (x < al->nr_extents && al->stamp[x]) {
			al->stamp[x] = 0;
			al->hot--;
		}
	}
}

int xs_al_commit(struct xs_al *al)
{
	int ret = al_write(al, false);

	if (ret)
		return ret;
	for (uint64_t x = 0; x < al->nr_extents && al->wanted; x++)
		if (al->flags[x] & AL_WANTED) {
			al->flags[x] &= (uint8_t)~AL_WANTED;
			al->stamp[x] = al->epoch;
			al->hot++;
			al->wanted--;
		}
	return 0;
}

int xs_al_clear(struct xs_al *al)
{
	int ret = al_write(al, true);

	if (ret)
		return ret;
	memset(al->stamp, 0, sizeof(*al->stamp) * al->nr_extents);
	memset(al->flags, 0, al->nr_extents);
	al->hot = al->wanted = 0;
	return 0;
}

void xs_al_pin(struct xs_al *al, uint64_t extent, bool on)
{
	if (extent >= al->nr_extents)
		return;
	if (on)
		al->flags[extent] |= AL_PINNED;
	else
		al->flags[extent] &= (uint8_t)~AL_PINNED;
}

uint32_t xs_al_list(const struct xs_al *al, uint64_t *out, uint32_t max)
{
	uint32_t n = 0;

	for (uint64_t x = 0; x < al->nr_extents && n < max; x++)
		if (al->stamp[x])
			out[n++] = x;
	return n;
}

uint32_t xs_al_nr_hot(const struct xs_al *al)
{
	return al->hot;
}

uint64_t xs_al_txns(const struct xs_al *al)
{
	return al->txns;
}
