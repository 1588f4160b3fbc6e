// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the share-log parsers (formats in
 * bs_xorshare/log/sharelog_format.h). The first input byte picks what the
 * rest is: one record (or a reprotect seed) in memory, or the content of one
 * file of a log directory (a segment, the state, a cursor, meta, key,
 * generation map, activity log), which is then opened read-only the way a
 * replicator or a restarting store would: nothing on disk may crash, hang or
 * leak.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs_xorshare/log/sharelog.h"
#include "bs_xorshare/log/sharelog_priv.h"
#include "bs_xorshare/log/sl_genmap.h"
#include "bs_xorshare/log/sl_seed.h"
#include "bs_xorshare/store/xs_al.h"
#include "bs_xorshare/store/xs_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static char dir[64];
static const uint8_t uuid[16] = {1, 2,	3,  4,	5,  6,	7,  8,
				 9, 10, 11, 12, 13, 14, 15, 16};

static void put(const char *name, const uint8_t *d, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (n && write(fd, d, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void clear_dir(void)
{
	static const char *const names[] = {"seg-0000000000000001.sl",
					    "state",
					    "peer.0",
					    "progress",
					    "status.0",
					    "meta",
					    "key",
					    "genmap",
					    "al.0",
					    "al.1"};
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
}

static void remove_dir(void)
{
	clear_dir();
	rmdir(dir);
}

/* A read-only open and a full walk, as the replicator does. */
static void open_and_walk(void)
{
	struct sharelog_cfg cfg;
	struct sharelog_stats st;
	struct sharelog_peer p;
	struct sharelog *sl;
	struct sl_iter *it;
	const void *rec;
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = dir;
	cfg.read_only = true;
	if (sharelog_open(&sl, &cfg, err, sizeof(err)))
		return;
	sharelog_get_stats(sl, &st);
	for (unsigned i = 0; i < st.n; i++)
		sharelog_get_peer(sl, i, &p);
	if (!sharelog_iter_open(sl, 0, &it)) {
		while (sharelog_iter_next(it, &rec) == 1)
			;
		sharelog_iter_close(it);
	}
	sharelog_refresh(sl); /* the follower's path over the same files */
	sharelog_close(sl);
}

/* A valid segment header, so that segment inputs reach the records. */
static void seg_with(const uint8_t *d, size_t n, uint32_t block)
{
	static uint8_t buf[1 << 16];
	struct sl_seg_hdr h, raw;
	size_t len = n < sizeof(buf) - SL_SEG_HDR_SIZE
			     ? n
			     : sizeof(buf) - SL_SEG_HDR_SIZE;

	memset(&h, 0, sizeof(h));
	h.k = 2;
	h.n = 3;
	h.index = 1;
	h.first_seq = 1;
	memcpy(h.uuid, uuid, 16);
	h.seg_size = 1 << 20;
	h.block_size = block;
	sl_seg_hdr_encode(&raw, &h);
	memcpy(buf, &raw, sizeof(raw));
	if (len)
		memcpy(buf + SL_SEG_HDR_SIZE, d, len);
	put("seg-0000000000000001.sl", buf, SL_SEG_HDR_SIZE + len);
}

/* a torn progress file stays torn here: no 100 us waits between tries */
static void no_wait(void *arg)
{
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sl_rec_hdr h;
	uint8_t key[16];
	struct xs_meta m;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-sharelog.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
		sl_progress_retry_hook = no_wait;
	}
	if (!n)
		return 0;
	clear_dir();
	switch (d[0] % 8) {
	case 0: { /* one record, or a reprotect seed, in memory */
		struct sl_seed s;
		char why[200];

		sl_record_check_hdr(d + 1, n - 1, &h);
		sl_record_check(d + 1, n - 1);
		if (!sl_seed_decode(d + 1, n - 1, &s, why, sizeof(why)))
			sl_seed_free(&s);
		break;
	}
	case 1: /* a whole segment file, header included */
		put("seg-0000000000000001.sl", d + 1, n - 1);
		open_and_walk();
		break;
	case 2: /* records behind a valid segment header */
		seg_with(d + 1, n - 1, n > 1 && (d[1] & 1) ? 4096 : 512);
		open_and_walk();
		break;
	case 3: /* state, cursor, progress, status beside a valid segment */
		seg_with(NULL, 0, 512);
		put("state", d + 1, n - 1);
		put("peer.0", d + 1,
		    n - 1 < SL_CURSOR_SIZE ? n - 1 : SL_CURSOR_SIZE);
		put("progress", d + 1,
		    n - 1 < SL_PROGRESS_SIZE ? n - 1 : SL_PROGRESS_SIZE);
		put("status.0", d + 1,
		    n - 1 < SL_PSTATUS_SIZE ? n - 1 : SL_PSTATUS_SIZE);
		{
			struct sl_progress_info pg;
			struct sl_peer_status_info ps;

			sharelog_read_progress(dir, &pg);
			sharelog_read_peer_status(dir, 0, &ps);
		}
		open_and_walk();
		break;
	case 4: /* meta and key */
		put("meta", d + 1, n - 1);
		put("key", d + 1, n - 1);
		xs_meta_load(dir, &m);
		sl_key_load(dir, uuid, key);
		{
			char err[512];

			sl_check_format_version(dir, err, sizeof(err));
		}
		break;
	case 5: { /* generation map */
		struct sl_genmap *gm;
		uint64_t gens[8];
		char err[256];

		put("genmap", d + 1, n - 1);
		if (!sl_genmap_open(&gm, dir, uuid, 4096, true, err,
				    sizeof(err))) {
			for (uint64_t e = 0; e < 3; e++)
				sl_genmap_check(gm, e);
			sl_genmap_get(gm, 1020, 8, gens);
			sl_genmap_close(gm);
		}
		break;
	}
	case 6:
	case 7: { /* activity log slots */
		struct xs_al *al;
		uint64_t *hot = NULL;
		uint32_t nr_hot = 0;
		char err[256];

		put("al.0", d + 1, n - 1);
		put("al.1", d + 1, (n - 1) / 2);
		if (!xs_al_open(&al, dir, uuid, 64, 16, true, &hot, &nr_hot,
				err, sizeof(err)))
			xs_al_close(al);
		free(hot);
		break;
	}
	}
	return 0;
}
