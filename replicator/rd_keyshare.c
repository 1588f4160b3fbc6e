// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The volume key, split (k,n) once with fresh randomness, share i written
 * into peer i's share-volume header (SV_BLOB_KEY): k peers give the key
 * back, k-1 learn nothing (issue 11 point 6). The n shares are kept in the
 * state directory so that every peer, whenever it is (re)filled, gets a
 * share of the SAME split: shares of two splits do not combine.
 *
 * File STATE_DIR/replicd/<uuid hex>.keyshares (0600, replaced atomically), all
 * integers little-endian:
 *   0  magic "TGTXRDKS" (8)   8 version u16 = 1   10 k u8   11 n u8
 *   12 share_len u32          16 volume uuid (16)
 *   32 n * share_len bytes of shares, then CRC32C u32 of all before it.
 * It holds the key as surely as DIR/key does: same protection, same site.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs_xorshare/codec/xorshare.h"
#include "bs_xorshare/log/sharelog.h"
#include "core/crc32c.h"
#include "rd.h"

#define KS_MAGIC   "TGTXRDKS"
#define KS_VERSION 1
#define KS_HDR	   32

static void ks_name(const struct rd_engine *e, char *out, size_t cap)
{
	size_t o = 0;

	for (unsigned i = 0; i < 16 && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", e->uuid[i]);
	snprintf(out + o, cap - o, ".keyshares");
}

static int ks_load(struct rd_engine *e, const char *name, size_t slen)
{
	size_t total = KS_HDR + e->n * slen + 4;
	char path[4096];
	uint8_t *buf;
	uint32_t crc;
	ssize_t r;
	int fd, ret = -EBADMSG;

	snprintf(path, sizeof(path), "%s/%s", rd_opts.share_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(total + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	r = pread(fd, buf, total + 1, 0);
	close(fd);
	memcpy(&crc, buf + total - 4, 4);
	if (r == (ssize_t)total && !memcmp(buf, KS_MAGIC, 8) &&
	    buf[8] == KS_VERSION && buf[9] == 0 && buf[10] == e->k &&
	    buf[11] == e->n && !memcmp(buf + 16, e->uuid, 16) &&
	    le32toh(crc) == crc32c(0, buf, total - 4)) {
		uint32_t len;

		memcpy(&len, buf + 12, 4);
		if (le32toh(len) == slen) {
			for (unsigned i = 0; i < e->n; i++)
				memcpy(e->key_shares[i],
				       buf + KS_HDR + i * slen, slen);
			ret = 0;
		}
	}
	free(buf);
	return ret;
}

static int ks_store(struct rd_engine *e, const char *name, size_t slen)
{
	size_t total = KS_HDR + e->n * slen + 4;
	uint8_t *buf = calloc(1, total);
	uint32_t v;
	int ret;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, KS_MAGIC, 8);
	buf[8] = KS_VERSION;
	buf[10] = (uint8_t)e->k;
	buf[11] = (uint8_t)e->n;
	v = htole32((uint32_t)slen);
	memcpy(buf + 12, &v, 4);
	memcpy(buf + 16, e->uuid, 16);
	for (unsigned i = 0; i < e->n; i++)
		memcpy(buf + KS_HDR + i * slen, e->key_shares[i], slen);
	v = htole32(crc32c(0, buf, total - 4));
	memcpy(buf + total - 4, &v, 4);
	ret = sl_write_file_atomic(rd_opts.share_dir, name, buf, total);
	memset(buf, 0, total);
	free(buf);
	return ret;
}

int rd_keyshares_init(struct rd_engine *e, char *err, size_t errlen)
{
	size_t slen = xs_share_size(e->n, sizeof(e->key));
	struct xs_ctx *ctx = NULL;
	char name[64];
	int ret;

	e->key_share_len = slen;
	for (unsigned i = 0; i < e->n; i++) {
		e->key_shares[i] = calloc(1, slen);
		if (!e->key_shares[i])
			return -ENOMEM;
	}
	ks_name(e, name, sizeof(name));
	ret = ks_load(e, name, slen);
	if (!ret)
		return 0;
	if (ret != -ENOENT)
		fprintf(stderr,
			"tgtx-replicd: %s/%s: unreadable (%s), "
			"splitting the key again\n",
			rd_opts.share_dir, name, strerror(-ret));
	ret = xs_ctx_new(&ctx, e->k, e->n, sizeof(e->key), 0);
	if (!ret)
		ret = xs_split(ctx, e->key, sizeof(e->key), e->key_shares);
	xs_ctx_free(ctx);
	if (!ret)
		ret = sl_mkdir_p(rd_opts.share_dir);
	if (!ret)
		ret = ks_store(e, name, slen);
	if (ret)
		snprintf(err, errlen, "key shares in %s: %s", rd_opts.state_dir,
			 strerror(-ret));
	return ret;
}
