// SPDX-License-Identifier: GPL-2.0-or-later
/* The generation map file and the volume key file. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/fileio.h"
#include "sharelog_priv.h"
#include "sl_genmap.h"
#include "sl_pio.h"

_Static_assert(SL_KEY_BYTES == 16, "key size");

/* Generations written per pwrite when setting a range. */
#define GM_BATCH 2048

struct sl_genmap {
	int fd;
	uint32_t block_size;
	uint32_t extent_blocks;
	uint64_t chunk; /* bytes per extent chunk, trailer included */
	uint64_t *buf;	/* GM_BATCH entries, or extent_blocks for seal/check */
	size_t buf_len;
};

static uint64_t entry_off(const struct sl_genmap *gm, uint64_t lba)
{
	uint64_t e = lba / gm->extent_blocks;

	return SL_GENMAP_HDR_PAGE + e * gm->chunk +
	       (lba % gm->extent_blocks) * 8;
}

static void hdr_encode(struct sl_genmap_hdr *h, const uint8_t uuid[16],
		       uint32_t block_size, uint32_t extent_blocks)
{
	memset(h, 0, sizeof(*h));
	h->magic = htole64(SL_GENMAP_MAGIC);
	h->version = htole16(SL_VERSION);
	h->hdr_len = htole16(sizeof(*h));
	h->extent_blocks = htole32(extent_blocks);
	memcpy(h->uuid, uuid, 16);
	h->block_size = htole32(block_size);
	h->crc = htole32(crc32c(0, h, offsetof(struct sl_genmap_hdr, crc)));
}

int sl_genmap_open(struct sl_genmap **out, const char *dir,
		   const uint8_t uuid[16], uint32_t block_size, bool read_only,
		   char *err, size_t errlen)
{
	struct sl_genmap_hdr want, got;
	struct sl_genmap *gm;
	char path[PATH_MAX + 16];
	int ret;

	*out = NULL;
	if (block_size < 512 || block_size > 65536 ||
	    (block_size & (block_size - 1))) {
		snprintf(err, errlen, "genmap: bad block size %u", block_size);
		return -EINVAL;
	}
	gm = calloc(1, sizeof(*gm));
	if (!gm)
		return -ENOMEM;
	gm->block_size = block_size;
	gm->extent_blocks = (uint32_t)(SL_EXTENT_BYTES / block_size);
	gm->chunk = (uint64_t)gm->extent_blocks * 8 + SL_GENMAP_TRAILER_PAGE;
	gm->buf_len =
		gm->extent_blocks > GM_BATCH ? gm->extent_blocks : GM_BATCH;
	gm->buf = malloc(gm->buf_len * 8);
	snprintf(path, sizeof(path), "%s/genmap", dir);
	gm->fd = open(path,
		      read_only ? O_RDONLY | O_CLOEXEC
				: O_RDWR | O_CREAT | O_CLOEXEC,
		      0600);
	if (gm->fd < 0 || !gm->buf) {
		ret = gm->buf ? -errno : -ENOMEM;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	hdr_encode(&want, uuid, block_size, gm->extent_blocks);
	ret = sl_pread_all(gm->fd, &got, sizeof(got), 0);
	if (ret == -EBADMSG && !read_only) {
		/* new (or never completed): the header is all it needs */
		uint8_t page[SL_GENMAP_HDR_PAGE];

		memset(page, 0, sizeof(page));
		memcpy(page, &want, sizeof(want));
		ret = sl_pwrite(gm->fd, page, sizeof(page), 0);
		if (!ret)
			ret = sl_fdatasync(gm->fd);
		if (!ret)
			ret = fsync_dir(dir);
		if (ret) {
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			goto fail;
		}
	} else if (ret || memcmp(&want, &got, sizeof(got))) {
		snprintf(err, errlen,
			 "%s: %s (not this volume's map, or another "
			 "block size or format)",
			 path, ret ? strerror(-ret) : "header mismatch");
		ret = ret ? ret : -EBADMSG;
		goto fail;
	}
	*out = gm;
	return 0;
fail:
	sl_genmap_close(gm);
	return ret;
}

void sl_genmap_close(struct sl_genmap *gm)
{
	if (!gm)
		return;
	if (gm->fd >= 0) {
		sl_pio_forget(gm->fd);
		close(gm->fd);
	}
	free(gm->buf);
	free(gm);
}

uint32_t sl_genmap_extent_blocks(const struct sl_genmap *gm)
{
	return gm->extent_blocks;
}

int sl_genmap_set(struct sl_genmap *gm, uint64_t lba, uint32_t nblocks,
		  uint64_t first_gen)
{
	while (nblocks) {
		/* one pwrite never crosses an extent chunk */
		uint64_t room = gm->extent_blocks - lba % gm->extent_blocks;
		uint32_t n = nblocks < room ? nblocks : (uint32_t)room;
		int ret;

		if (!first_gen && n == gm->extent_blocks) {
			/* a whole extent unmapped (discard of a volume):
			 * deallocate its generations instead of writing 0s */
			int ret = sl_zero_range(gm->fd, entry_off(gm, lba),
						(uint64_t)n * 8);

			if (ret)
				return ret;
			lba += n;
			nblocks -= n;
			continue;
		}
		if (n > GM_BATCH)
			n = GM_BATCH;
		for (uint32_t j = 0; j < n; j++)
			gm->buf[j] = htole64(first_gen ? first_gen + j : 0);
		ret = sl_pwrite(gm->fd, gm->buf, (size_t)n * 8,
				entry_off(gm, lba));
		if (ret)
			return ret;
		lba += n;
		nblocks -= n;
		if (first_gen)
			first_gen += n;
	}
	return 0;
}

int sl_genmap_get(struct sl_genmap *gm, uint64_t lba, uint32_t nblocks,
		  uint64_t *gens)
{
	while (nblocks) {
		uint64_t room = gm->extent_blocks - lba % gm->extent_blocks;
		uint32_t n = nblocks < room ? nblocks : (uint32_t)room;
		ssize_t got = pread_upto(gm->fd, gens, (size_t)n * 8,
					 entry_off(gm, lba));

		if (got < 0)
			return (int)got;
		memset((uint8_t *)gens + got, 0, (size_t)n * 8 - (size_t)got);
		for (uint32_t j = 0; j < n; j++)
			gens[j] = le64toh(gens[j]);
		gens += n;
		lba += n;
		nblocks -= n;
	}
	return 0;
}

static int read_chunk(struct sl_genmap *gm, uint64_t extent,
		      struct sl_genmap_trailer *t)
{
	uint64_t off = SL_GENMAP_HDR_PAGE + extent * gm->chunk;
	size_t len = (size_t)gm->extent_blocks * 8;
	ssize_t got = pread_upto(gm->fd, gm->buf, len, off);

	if (got < 0)
		return (int)got;
	memset((uint8_t *)gm->buf + got, 0, len - (size_t)got);
	got = pread_upto(gm->fd, t, sizeof(*t), off + len);
	if (got < 0)
		return (int)got;
	memset((uint8_t *)t + got, 0, sizeof(*t) - (size_t)got);
	return 0;
}

int sl_genmap_seal(struct sl_genmap *gm, uint64_t extent)
{
	struct sl_genmap_trailer t, old;
	size_t len = (size_t)gm->extent_blocks * 8;
	int ret = read_chunk(gm, extent, &old);

	if (ret)
		return ret;
	memset(&t, 0, sizeof(t));
	t.magic = htole32(SL_GENMAP_TRAILER_MAGIC);
	t.version = htole16(SL_VERSION);
	t.extent = htole64(extent);
	t.entries_crc = htole32(crc32c(0, gm->buf, len));
	t.crc = htole32(crc32c(0, &t, offsetof(struct sl_genmap_trailer, crc)));
	if (!memcmp(&t, &old, sizeof(t)))
		return 0;
	return sl_pwrite(gm->fd, &t, sizeof(t),
			 SL_GENMAP_HDR_PAGE + extent * gm->chunk + len);
}

int sl_genmap_check(struct sl_genmap *gm, uint64_t extent)
{
	struct sl_genmap_trailer t;
	size_t len = (size_t)gm->extent_blocks * 8;
	int ret = read_chunk(gm, extent, &t);
	bool zero = true;

	if (ret)
		return ret;
	if (le32toh(t.magic) == SL_GENMAP_TRAILER_MAGIC &&
	    le32toh(t.crc) ==
		    crc32c(0, &t, offsetof(struct sl_genmap_trailer, crc)) &&
	    le16toh(t.version) == SL_VERSION && le64toh(t.extent) == extent &&
	    le32toh(t.entries_crc) == crc32c(0, gm->buf, len))
		return 0;
	for (size_t i = 0; i < gm->extent_blocks && zero; i++)
		zero = !gm->buf[i];
	for (size_t i = 0; i < sizeof(t) && zero; i++)
		zero = !((uint8_t *)&t)[i];
	return zero ? 0 : -EBADMSG;
}

int sl_genmap_sync(struct sl_genmap *gm)
{
	return sl_fdatasync(gm->fd);
}

/* ---- the volume key ---- */

int sl_key_create(const char *dir, const uint8_t uuid[16], uint8_t key[16])
{
	size_t got = 0;

	while (got < SL_KEY_BYTES) {
		ssize_t r = getrandom(key + got, SL_KEY_BYTES - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	return sl_key_store(dir, uuid, key);
}

int sl_key_store(const char *dir, const uint8_t uuid[16], const uint8_t key[16])
{
	struct sl_key_disk d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.magic = htole64(SL_KEY_MAGIC);
	d.version = htole16(SL_VERSION);
	d.hdr_len = htole16(SL_KEY_SIZE);
	memcpy(d.uuid, uuid, 16);
	memcpy(d.key, key, SL_KEY_BYTES);
	d.crc = htole32(crc32c(0, &d, offsetof(struct sl_key_disk, crc)));
	ret = sl_write_file_atomic(dir, "key", &d, sizeof(d));
	explicit_bzero(&d, sizeof(d));
	return ret;
}

int sl_key_load(const char *dir, const uint8_t uuid[16], uint8_t key[16])
{
	struct sl_key_disk d;
	char path[PATH_MAX + 16];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/key", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = sl_pread_all(fd, &d, sizeof(d), 0);
	close(fd);
	if (ret)
		return ret;
	if (le64toh(d.magic) != SL_KEY_MAGIC ||
	    le32toh(d.crc) !=
		    crc32c(0, &d, offsetof(struct sl_key_disk, crc)) ||
	    le16toh(d.version) != SL_VERSION ||
	    le16toh(d.hdr_len) != SL_KEY_SIZE || memcmp(d.uuid, uuid, 16))
		return -EBADMSG;
	memcpy(key, d.key, SL_KEY_BYTES);
	explicit_bzero(&d, sizeof(d));
	return 0;
}
