// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-sharelog-dump: inspects an xorshare share log for tests.
 *
 *   tgtx-sharelog-dump [--from SEQ] [--quiet] DIR
 *       one line per record, then a summary with the peer cursors
 *   tgtx-sharelog-dump --combine IMAGE [--shares I,J,..] DIR
 *       rebuilds every record's data from k shares (the first k by default)
 *       and writes it at its offset in IMAGE, in log order: IMAGE then holds
 *       what the log says the volume holds (compare with the volume)
 *   tgtx-sharelog-dump --confirm PEER SEQ DIR
 *       moves peer PEER's cursor to SEQ, as the replicator would
 *
 * The log is opened read-only (no repair) except for --confirm.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs_xorshare/sharelog.h"
#include "codec/xorshare.h"

/* records never hold more than the store's 1 MiB chunk */
#define XS_DUMP_MAX (1u << 20)

static void usage(void)
{
	fprintf(stderr,
		"usage: tgtx-sharelog-dump [--from SEQ] [--quiet] "
		"[--combine IMAGE [--shares I,J]] [--confirm PEER SEQ] DIR\n");
	exit(2);
}

static int parse_shares(const char *s, unsigned *idx, unsigned max)
{
	unsigned n = 0;

	while (*s && n < max) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v >= SL_MAX_N)
			return -1;
		idx[n++] = (unsigned)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return (int)n;
}

static int confirm(const char *dir, unsigned peer, uint64_t seq)
{
	struct sharelog_cfg ro;
	struct sharelog *sl;
	char err[512];
	int ret;

	/* read-only: no repair; cursor files are replaced atomically, so
	 * this is safe beside a running tgtxd (it re-reads them) */
	memset(&ro, 0, sizeof(ro));
	ro.dir = dir;
	ro.read_only = true;
	if (sharelog_open(&sl, &ro, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ret = sharelog_peer_confirm(sl, peer, seq);
	sharelog_close(sl);
	if (ret) {
		fprintf(stderr, "confirm peer %u seq %" PRIu64 ": %s\n", peer,
			seq, strerror(-ret));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *image = NULL;
	unsigned shares[SL_MAX_N], nshares = 0, cpeer = 0;
	uint64_t from = 1, cseq = 0, nrec = 0, nbytes = 0;
	bool quiet = false, do_confirm = false;
	struct sharelog_cfg cfg;
	struct sharelog_stats st;
	struct sharelog *sl;
	struct sl_iter *it;
	struct xs_ctx *ctx = NULL;
	uint8_t *data = NULL;
	const void *rec;
	char err[512];
	int ret, img = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			from = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else if (!strcmp(argv[i], "--combine") && i + 1 < argc) {
			image = argv[++i];
		} else if (!strcmp(argv[i], "--shares") && i + 1 < argc) {
			ret = parse_shares(argv[++i], shares, SL_MAX_N);
			if (ret <= 0)
				usage();
			nshares = (unsigned)ret;
		} else if (!strcmp(argv[i], "--confirm") && i + 2 < argc) {
			do_confirm = true;
			cpeer = (unsigned)strtoul(argv[++i], NULL, 10);
			cseq = strtoull(argv[++i], NULL, 10);
		} else if (argv[i][0] != '-' && !dir) {
			dir = argv[i];
		} else {
			usage();
		}
	}
	if (!dir)
		usage();
	if (do_confirm)
		return confirm(dir, cpeer, cseq);

	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = dir;
	cfg.read_only = true;
	ret = sharelog_open(&sl, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sharelog_get_stats(sl, &st);
	if (image) {
		if (!nshares) {
			for (unsigned i = 0; i < st.k; i++)
				shares[i] = i;
			nshares = st.k;
		}
		img = open(image, O_WRONLY | O_CREAT, 0644);
		data = malloc(XS_DUMP_MAX);
		if (img < 0 || !data ||
		    xs_ctx_new(&ctx, st.k, st.n, XS_DUMP_MAX, 0)) {
			fprintf(stderr, "%s: cannot set up: %s\n", image,
				strerror(errno));
			return 1;
		}
	}
	if (sharelog_iter_open(sl, from, &it)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	while ((ret = sharelog_iter_next(it, &rec)) == 1) {
		struct sl_rec_hdr h;

		sl_record_decode(rec, &h);
		nrec++;
		nbytes += h.rec_len;
		if (!quiet)
			printf("seq=%" PRIu64 " time=%" PRIu64 ".%09" PRIu64
			       " type=%s offset=%" PRIu64 " length=%" PRIu64
			       " share_len=%u\n",
			       h.seq, h.time_ns / 1000000000,
			       h.time_ns % 1000000000,
			       h.type == SL_REC_WRITE ? "write" : "unmap",
			       h.offset, h.length, h.share_len);
		if (img < 0)
			continue;
		if (h.type == SL_REC_UNMAP) {
			if (fallocate(img,
				      FALLOC_FL_PUNCH_HOLE |
					      FALLOC_FL_KEEP_SIZE,
				      (off_t)h.offset, (off_t)h.length) < 0) {
				static const uint8_t z[65536];

				for (uint64_t o = 0; o < h.length;
				     o += sizeof(z)) {
					uint64_t l = h.length - o;

					if (l > sizeof(z))
						l = sizeof(z);
					if (pwrite(img, z, l,
						   (off_t)(h.offset + o)) < 0)
						break;
				}
			}
		} else {
			const uint8_t *sp[SL_MAX_N];

			if (h.length > XS_DUMP_MAX) {
				fprintf(stderr, "seq %" PRIu64 ": too long\n",
					h.seq);
				return 1;
			}
			size_t lens[SL_MAX_N], got = 0;

			for (unsigned i = 0; i < nshares; i++) {
				if (shares[i] >= h.n) {
					fprintf(stderr, "no share %u\n",
						shares[i]);
					return 1;
				}
				sp[i] = (const uint8_t *)rec + SL_REC_HDR_SIZE +
					(size_t)shares[i] * h.share_len;
				lens[i] = h.share_len;
			}
			int cr = xs_combine(ctx, sp, lens, nshares, data,
					    XS_DUMP_MAX, &got);

			if (cr || got != h.length) {
				fprintf(stderr,
					"seq %" PRIu64 ": combine failed: %s\n",
					h.seq, strerror(cr ? -cr : EBADMSG));
				return 1;
			}
			if (pwrite(img, data, got, (off_t)h.offset) !=
			    (ssize_t)got) {
				perror(image);
				return 1;
			}
		}
	}
	sharelog_iter_close(it);
	if (ret < 0) {
		fprintf(stderr, "%s: reading records: %s\n", dir,
			strerror(-ret));
		return 1;
	}
	printf("records=%" PRIu64 " bytes=%" PRIu64 " first_seq=%" PRIu64
	       " last_seq=%" PRIu64 " checkpoint=%" PRIu64
	       " segments=%u k=%u n=%u torn_bytes=%" PRIu64 "\n",
	       nrec, nbytes, st.first_seq, st.last_seq, st.checkpoint,
	       st.nr_segments, st.k, st.n, st.torn_bytes);
	for (unsigned i = 0; i < st.n; i++) {
		struct sharelog_peer p;

		sharelog_get_peer(sl, i, &p);
		printf("peer=%u cursor=%" PRIu64 " lag_records=%" PRIu64 "%s\n",
		       i, p.cursor, p.lag_records,
		       p.needs_resync ? " needs-resync" : "");
	}
	sharelog_close(sl);
	if (img >= 0)
		close(img);
	free(data);
	if (ctx)
		xs_ctx_free(ctx);
	return 0;
}
