// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bsopts reprotect=FILE: the first start of an xorshare LUN over a volume
 * restored by `tgtx-recover restore --reprotect FILE` continues the peers'
 * existing share volumes instead of rebuilding them (doc/dr-runbook.md
 * "Step 4"). The seed gives the volume's identity and key, the generation
 * of every block as the peers hold it, the seq the new log starts at and
 * the first generation the new owner may hand out. Used once: it is marked
 * consumed before anything is created, and afterwards the log directory is
 * authoritative (a later start with the same option only checks that the
 * directory is the seed's volume).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bs_xorshare/log/sl_seed.h"
#include "bs_xorshare_priv.h"
#include "core/log.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The extents holding blocks written after the restored point: re-logged
 * from the restored volume with new generations at the first start. */
static int revert_extents(struct xs_dev *xd, const struct sl_seed *s,
			  uint64_t **out, uint32_t *nr, char *err,
			  size_t errlen)
{
	uint64_t per = SL_EXTENT_BYTES / s->block_size, total = 0, *ext;
	uint32_t n = 0;

	*out = NULL;
	*nr = 0;
	for (uint32_t j = 0; j < s->nrevert; j++)
		total += (s->rev[j].lba + s->rev[j].nblocks - 1) / per -
			 s->rev[j].lba / per + 1;
	if (!total)
		return 0;
	ext = calloc(total, sizeof(*ext));
	if (!ext) {
		snprintf(err, errlen, "xorshare: out of memory");
		return -ENOMEM;
	}
	for (uint32_t j = 0; j < s->nrevert; j++)
		for (uint64_t e = s->rev[j].lba / per;
		     e <= (s->rev[j].lba + s->rev[j].nblocks - 1) / per; e++)
			ext[n++] = e;
	qsort(ext, n, sizeof(*ext), cmp_u64);
	total = n;
	n = 0;
	for (uint64_t i = 0; i < total; i++)
		if (!n || ext[n - 1] != ext[i])
			ext[n++] = ext[i];
	if (n > xd->al_cap) {
		free(ext);
		snprintf(err, errlen,
			 "xorshare %s: the reprotect seed reverts %u extents "
			 "of 4 MiB, more than al_extents=%u: add "
			 "al_extents=%u to bsopts",
			 xd->logdir, n, xd->al_cap, n);
		return -EINVAL;
	}
	*out = ext;
	*nr = n;
	return 0;
}

int xs_reprotect_prepare(struct xs_dev *xd, const char *path, unsigned k,
			 unsigned n, uint8_t check, bool *seeded,
			 uint64_t **revert, uint32_t *nr_revert, char *err,
			 size_t errlen)
{
	struct sl_seed s;
	struct xs_meta m;
	char why[200], u[37];
	int ret;

	*seeded = false;
	*revert = NULL;
	*nr_revert = 0;
	ret = sl_seed_load(path, &s, why, sizeof(why));
	if (ret == -ENOENT && !xs_meta_load(xd->logdir, &m)) {
		/* deleted after its first use, as the runbook says */
		log_info("xorshare %s: reprotect seed %s is gone; the share "
			 "log is authoritative",
			 xd->logdir, path);
		return 0;
	}
	if (ret) {
		snprintf(err, errlen, "xorshare: reprotect seed %s: %s", path,
			 why);
		return ret;
	}
	xs_uuid_str(s.uuid, u);
	ret = xs_meta_load(xd->logdir, &m);
	if (!ret) {
		if (memcmp(m.uuid, s.uuid, 16) ||
		    !(s.flags & SL_SEED_CONSUMED)) {
			snprintf(err, errlen,
				 "xorshare %s: the log directory already "
				 "protects a volume; the reprotect seed %s "
				 "(volume %s) is only for a new log "
				 "directory",
				 xd->logdir, path, u);
			ret = -EEXIST;
		} else {
			/* the seed made this directory: the log rules now */
			log_info("xorshare %s: reprotect seed %s was applied "
				 "at the first start; the share log is "
				 "authoritative",
				 xd->logdir, path);
		}
		goto out;
	}
	if (ret != -ENOENT) {
		snprintf(err, errlen, "xorshare %s/meta: %s", xd->logdir,
			 strerror(-ret));
		goto out;
	}
	ret = -EINVAL;
	if (s.flags & SL_SEED_CONSUMED) {
		snprintf(err, errlen,
			 "xorshare: reprotect seed %s was already used by a "
			 "LUN (a second one would hand out the same "
			 "generations): run tgtx-recover restore --reprotect "
			 "again for a new seed",
			 path);
		goto out;
	}
	if (s.block_size != xd->bs || s.size != xd->size) {
		snprintf(
			err, errlen,
			"xorshare: reprotect seed %s is of a volume of %" PRIu64
			" bytes in %u-byte blocks; this LU has %" PRIu64
			" bytes in %u-byte blocks",
			path, s.size, s.block_size, xd->size, xd->bs);
		goto out;
	}
	if (s.k != k || s.n != n) {
		snprintf(err, errlen,
			 "xorshare: reprotect seed %s is for k=%u n=%u; "
			 "bsopts say k=%u n=%u",
			 path, s.k, s.n, k, n);
		goto out;
	}
	ret = revert_extents(xd, &s, revert, nr_revert, err, errlen);
	if (ret)
		goto out;
	/* consumed BEFORE anything is made from it: a crash below leaves a
	 * seed nobody can use twice and a directory without meta */
	ret = sl_seed_consume(path);
	if (ret) {
		snprintf(err, errlen,
			 "xorshare: reprotect seed %s: marking it used: %s",
			 path, strerror(-ret));
		goto out;
	}
	ret = sl_seed_apply(xd->logdir, &s, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "xorshare: reprotect: %s", why);
		goto out;
	}
	memset(&xd->meta, 0, sizeof(xd->meta));
	xd->meta.version = XS_META_VERSION;
	xd->meta.k = s.k;
	xd->meta.n = s.n;
	xd->meta.check = s.check ? s.check : check ? check : XS_META_CHECK_CRC;
	memcpy(xd->meta.uuid, s.uuid, 16);
	xd->meta.block_size = s.block_size;
	xd->meta.size = s.size;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		xd->meta.created_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
				      (uint64_t)ts.tv_nsec;
	}
	log_warn("xorshare %s: REPROTECT of volume %s from seed %s: restored "
		 "point seq %" PRIu64 ", new log from seq %" PRIu64
		 ", generations from %" PRIu64
		 ", %u extent(s) re-logged, share volumes held by mask 0x%x "
		 "continue, the others get a fill",
		 xd->logdir, u, path, s.point_seq, s.next_seq, s.gen_floor,
		 *nr_revert, s.held_mask);
	*seeded = true;
	ret = 0;
out:
	if (ret) {
		free(*revert);
		*revert = NULL;
		*nr_revert = 0;
	}
	sl_seed_free(&s);
	return ret;
}
