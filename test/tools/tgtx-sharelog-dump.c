// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-sharelog-dump: inspects an xorshare share log for tests, and plays
 * the peers: it derives shares exactly as a replicator would.
 *
 *   tgtx-sharelog-dump [--from SEQ] [--quiet] DIR
 *       one line per record, then a summary with the peer cursors
 *   tgtx-sharelog-dump --combine IMAGE [--shares I,J,..] DIR
 *       for every record in log order, derives the n shares of each block
 *       (key + generation), rebuilds the block from k of them (the first k
 *       by default), checks it against the record, and writes it at its
 *       place in IMAGE: IMAGE then holds what the peers would rebuild
 *   tgtx-sharelog-dump --export-shares PDIR DIR
 *       the peers' view: PDIR/share.<i> holds share i of the latest record
 *       of every block (xs_share_size(n, block) bytes per block, zeroes for
 *       an unmapped block), as peer i would after receiving the whole log
 *   tgtx-sharelog-dump --resync PEER --volume VOL --out FILE DIR
 *       rebuilds peer PEER's shares from the local site alone (volume +
 *       generation map), in the --export-shares layout
 *   tgtx-sharelog-dump --combine-peers PDIR --shares I,J --out IMAGE DIR
 *       rebuilds the volume from the share.<i> files of k peers
 *   tgtx-sharelog-dump --confirm PEER SEQ DIR
 *       moves peer PEER's cursor to SEQ, as the replicator would
 *
 * The log is opened read-only (no repair) except for --confirm. The volume
 * key is read from DIR/key: this tool is the local site, never a peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs_xorshare/codec/xorshare.h"
#include "bs_xorshare/log/sharelog.h"
#include "bs_xorshare/log/sl_genmap.h"
#include "bs_xorshare/log/sl_resync.h"
#include "bs_xorshare/store/xs_meta.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: tgtx-sharelog-dump [--from SEQ] [--quiet] "
		"[--combine IMAGE [--shares I,J]] [--export-shares PDIR] "
		"[--resync PEER --volume VOL --out FILE] "
		"[--combine-peers PDIR --shares I,J --out IMAGE] "
		"[--confirm PEER SEQ] DIR\n");
	exit(2);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "tgtx-sharelog-dump: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(1);
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

/* A codec context of the volume, with its key, for blocks of bs bytes. */
static struct xs_ctx *volume_ctx(const char *dir,
				 const struct sharelog_stats *st)
{
	uint8_t key[XS_KEY_SIZE];
	struct xs_meta m;
	struct xs_ctx *ctx;
	int ret = xs_meta_load(dir, &m);

	if (ret)
		die("meta", ret);
	ret = sl_key_load(dir, st->uuid, key);
	if (ret)
		die("key", ret);
	ret = xs_ctx_new(&ctx, st->k, st->n, st->block_size,
			 m.check == XS_META_CHECK_SHA256 ? XS_F_CHECK_SHA256
							 : 0);
	if (!ret)
		ret = xs_ctx_set_key(ctx, key);
	if (ret)
		die("codec", ret);
	return ctx;
}

static void zero_range(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t z[65536];

	if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       (off_t)off, (off_t)len))
		return;
	for (uint64_t o = 0; o < len; o += sizeof(z)) {
		uint64_t l = len - o < sizeof(z) ? len - o : sizeof(z);

		if (pwrite(fd, z, l, (off_t)(off + o)) != (ssize_t)l)
			die("zeroing", errno);
	}
}

struct shares_buf {
	uint8_t *all[SL_MAX_N];
	size_t ssz;
};

/* Rebuilds a record's blocks from k derived shares; writes them to img. */
static void combine_record(struct xs_ctx *ctx, const struct sharelog_stats *st,
			   const struct sl_rec_hdr *h, const uint8_t *data,
			   const unsigned *idx, unsigned nidx,
			   struct shares_buf *sb, uint8_t *out, int img)
{
	for (uint32_t j = 0; j < h->nblocks; j++) {
		const uint8_t *block = data + (size_t)j * st->block_size;
		const uint8_t *sp[SL_MAX_N];
		size_t lens[SL_MAX_N], got = 0;
		int ret = xs_split_nonce(ctx, h->first_gen + j, block,
					 st->block_size, sb->all);

		if (ret)
			die("split", ret);
		for (unsigned i = 0; i < nidx; i++) {
			sp[i] = sb->all[idx[i]];
			lens[i] = sb->ssz;
		}
		ret = xs_combine(ctx, sp, lens, nidx, out, st->block_size,
				 &got);
		if (ret || got != st->block_size || memcmp(out, block, got)) {
			fprintf(stderr,
				"seq %" PRIu64 " block %" PRIu64
				": derived shares do not rebuild the data\n",
				h->seq, h->lba + j);
			exit(1);
		}
		if (pwrite(img, out, got,
			   (off_t)((h->lba + j) * st->block_size)) !=
		    (ssize_t)got)
			die("image write", errno);
	}
}

/* Peer i's view: share i of each block of a record, at its place. */
static void export_record(struct xs_ctx *ctx, const struct sharelog_stats *st,
			  const struct sl_rec_hdr *h, const uint8_t *data,
			  int *pfd, uint8_t *buf, size_t ssz)
{
	for (unsigned i = 0; i < st->n; i++) {
		size_t len = (size_t)h->nblocks * ssz;
		int ret = 0;

		if (h->type == SL_REC_WRITE)
			ret = xs_derive_blocks(ctx, i, h->first_gen, data,
					       h->nblocks, st->block_size, buf);
		else
			memset(buf, 0, len);
		if (ret)
			die("derive", ret);
		if (pwrite(pfd[i], buf, len, (off_t)(h->lba * ssz)) !=
		    (ssize_t)len)
			die("share file write", errno);
	}
}

static int volume_blocks(const char *vol, uint32_t bs, uint64_t *nblocks)
{
	struct stat stt;

	if (stat(vol, &stt) < 0)
		return -errno;
	*nblocks = (uint64_t)stt.st_size / bs;
	return 0;
}

static int do_resync(const char *dir, struct sharelog *sl, unsigned peer,
		     const char *vol, const char *out)
{
	struct sharelog_stats st;
	struct sl_genmap *gm;
	struct xs_ctx *ctx;
	uint64_t nblocks = 0, gens[256];
	uint8_t *buf;
	size_t ssz;
	char err[512];
	int vfd, ofd, ret;

	sharelog_get_stats(sl, &st);
	if (peer >= st.n)
		die("peer", EINVAL);
	ctx = volume_ctx(dir, &st);
	ssz = xs_share_size(st.n, st.block_size);
	ret = sl_genmap_open(&gm, dir, st.uuid, st.block_size, true, err,
			     sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	vfd = open(vol, O_RDONLY | O_CLOEXEC);
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	buf = malloc(256 * ssz);
	if (vfd < 0 || ofd < 0 || !buf)
		die(vol, errno);
	ret = volume_blocks(vol, st.block_size, &nblocks);
	if (ret)
		die(vol, ret);
	for (uint64_t b = 0; b < nblocks; b += 256) {
		uint32_t n = nblocks - b < 256 ? (uint32_t)(nblocks - b) : 256;

		ret = sl_resync_shares(ctx, st.n, gm, vfd, st.block_size, peer,
				       b, n, buf, gens);
		if (ret)
			die("resync", ret);
		if (pwrite(ofd, buf, n * ssz, (off_t)(b * ssz)) !=
		    (ssize_t)(n * ssz))
			die(out, errno);
	}
	close(vfd);
	close(ofd);
	free(buf);
	sl_genmap_close(gm);
	xs_ctx_free(ctx);
	return 0;
}

static bool is_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static int do_combine_peers(const char *dir, struct sharelog *sl,
			    const char *pdir, const unsigned *idx,
			    unsigned nidx, const char *out)
{
	struct sharelog_stats st;
	struct xs_ctx *ctx;
	uint8_t *sh[SL_MAX_N], *blk;
	int pfd[SL_MAX_N], ofd;
	size_t ssz;
	uint64_t nblocks = 0;

	sharelog_get_stats(sl, &st);
	ctx = volume_ctx(dir, &st);
	ssz = xs_share_size(st.n, st.block_size);
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	blk = malloc(st.block_size);
	if (ofd < 0 || !blk)
		die(out, errno);
	for (unsigned i = 0; i < nidx; i++) {
		char path[4200];
		struct stat stt;

		snprintf(path, sizeof(path), "%s/share.%u", pdir, idx[i]);
		pfd[i] = open(path, O_RDONLY | O_CLOEXEC);
		sh[i] = malloc(ssz);
		if (pfd[i] < 0 || !sh[i] || fstat(pfd[i], &stt) < 0)
			die(path, errno);
		if (!i || (uint64_t)stt.st_size / ssz > nblocks)
			nblocks = (uint64_t)stt.st_size / ssz;
	}
	for (uint64_t b = 0; b < nblocks; b++) {
		const uint8_t *sp[SL_MAX_N];
		size_t lens[SL_MAX_N], got = 0;
		unsigned zero = 0;
		int ret;

		for (unsigned i = 0; i < nidx; i++) {
			ssize_t r = pread(pfd[i], sh[i], ssz, (off_t)(b * ssz));

			if (r < 0)
				die("share read", errno);
			memset(sh[i] + r, 0, ssz - (size_t)r);
			zero += is_zero(sh[i], ssz);
			sp[i] = sh[i];
			lens[i] = ssz;
		}
		if (zero == nidx) {
			memset(blk, 0, st.block_size);
		} else {
			ret = zero ? -EBADMSG
				   : xs_combine(ctx, sp, lens, nidx, blk,
						st.block_size, &got);
			if (ret) {
				fprintf(stderr,
					"block %" PRIu64 ": peers disagree "
					"(%s)\n",
					b, strerror(-ret));
				return 1;
			}
		}
		if (pwrite(ofd, blk, st.block_size,
			   (off_t)(b * st.block_size)) != st.block_size)
			die(out, errno);
	}
	for (unsigned i = 0; i < nidx; i++) {
		close(pfd[i]);
		free(sh[i]);
	}
	close(ofd);
	free(blk);
	xs_ctx_free(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *image = NULL, *pdir = NULL, *vol = NULL;
	const char *out = NULL, *cpdir = NULL;
	unsigned shares[SL_MAX_N], nshares = 0, cpeer = 0, rpeer = 0;
	uint64_t from = 0, cseq = 0, nrec = 0, nbytes = 0;
	bool quiet = false, do_confirm = false, resync = false;
	struct sharelog_cfg cfg;
	struct sharelog_stats st;
	struct sharelog *sl;
	struct sl_iter *it;
	struct xs_ctx *ctx = NULL;
	struct shares_buf sb = {{NULL}, 0};
	uint8_t *blk = NULL, *ebuf = NULL;
	int pfd[SL_MAX_N];
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
		} else if (!strcmp(argv[i], "--export-shares") &&
			   i + 1 < argc) {
			pdir = argv[++i];
		} else if (!strcmp(argv[i], "--combine-peers") &&
			   i + 1 < argc) {
			cpdir = argv[++i];
		} else if (!strcmp(argv[i], "--resync") && i + 1 < argc) {
			resync = true;
			rpeer = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--volume") && i + 1 < argc) {
			vol = argv[++i];
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			out = argv[++i];
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
	if (!dir || (resync && (!vol || !out)) || (cpdir && (!out || !nshares)))
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
	if (!nshares) {
		for (unsigned i = 0; i < st.k; i++)
			shares[i] = i;
		nshares = st.k;
	}
	for (unsigned i = 0; i < nshares; i++)
		if (shares[i] >= st.n)
			die("--shares", EINVAL);
	if (resync || cpdir) {
		ret = resync ? do_resync(dir, sl, rpeer, vol, out)
			     : do_combine_peers(dir, sl, cpdir, shares, nshares,
						out);
		sharelog_close(sl);
		return ret;
	}
	if (image || pdir) {
		ctx = volume_ctx(dir, &st);
		sb.ssz = xs_share_size(st.n, st.block_size);
		for (unsigned i = 0; i < st.n; i++) {
			sb.all[i] = malloc(sb.ssz);
			if (!sb.all[i])
				die("memory", ENOMEM);
		}
		blk = malloc(st.block_size);
		/* a record holds at most 1 MiB: 2048 blocks of 512 bytes */
		ebuf = malloc(sb.ssz * ((1u << 20) / 512));
		if (!blk || !ebuf)
			die("memory", ENOMEM);
	}
	if (image) {
		img = open(image, O_WRONLY | O_CREAT, 0644);
		if (img < 0)
			die(image, errno);
	}
	for (unsigned i = 0; pdir && i < st.n; i++) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/share.%u", pdir, i);
		pfd[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600);
		if (pfd[i] < 0)
			die(path, errno);
	}
	ret = sharelog_iter_open(sl, from, &it);
	if (ret)
		die(ret == -ENOENT ? "--from: records already freed"
				   : "iterator",
		    -ret);
	while ((ret = sharelog_iter_next(it, &rec)) == 1) {
		struct sl_rec_hdr h;

		sl_record_decode(rec, &h);
		nrec++;
		nbytes += h.rec_len;
		if (!quiet)
			printf("seq=%" PRIu64 " time=%" PRIu64 ".%09" PRIu64
			       " type=%s lba=%" PRIu64 " blocks=%u gen=%" PRIu64
			       "\n",
			       h.seq, h.time_ns / 1000000000,
			       h.time_ns % 1000000000,
			       h.type == SL_REC_WRITE	? "write"
			       : h.type == SL_REC_UNMAP ? "unmap"
							: "grow",
			       h.lba, h.nblocks, h.first_gen);
		if (h.type == SL_REC_GROW)
			continue; /* no blocks: the new ones read as zeroes */
		if (h.nblocks > (1u << 20) / 512)
			die("record too long", EMSGSIZE);
		if (img >= 0 && h.type == SL_REC_UNMAP)
			zero_range(img, h.lba * st.block_size,
				   (uint64_t)h.nblocks * st.block_size);
		else if (img >= 0)
			combine_record(ctx, &st, &h, sl_record_data(rec),
				       shares, nshares, &sb, blk, img);
		if (pdir)
			export_record(ctx, &st, &h, sl_record_data(rec), pfd,
				      ebuf, sb.ssz);
	}
	sharelog_iter_close(it);
	if (ret < 0)
		die("reading records", ret);
	printf("records=%" PRIu64 " bytes=%" PRIu64 " first_seq=%" PRIu64
	       " last_seq=%" PRIu64 " durable_seq=%" PRIu64
	       " segments=%u k=%u n=%u block=%u next_gen=%" PRIu64
	       " torn_bytes=%" PRIu64 "\n",
	       nrec, nbytes, st.first_seq, st.last_seq, st.durable_seq,
	       st.nr_segments, st.k, st.n, st.block_size, st.next_gen,
	       st.torn_bytes);
	for (unsigned i = 0; i < st.n; i++) {
		struct sharelog_peer p;

		sharelog_get_peer(sl, i, &p);
		printf("peer=%u cursor=%" PRIu64 " lag_records=%" PRIu64
		       "%s drop_epoch=%" PRIu64,
		       i, p.cursor, p.lag_records,
		       p.needs_resync ? " needs-resync" : "", p.drop_epoch);
		if (p.resync_active)
			printf(" resync_from=%" PRIu64, p.resync_from);
		printf("\n");
	}
	{
		struct sl_progress_info pg;

		if (!sharelog_read_progress(dir, &pg))
			printf("progress durable_seq=%" PRIu64
			       " applied_seq=%" PRIu64 " last_seq=%" PRIu64
			       " flags=%s%s pid=%u\n",
			       pg.durable_seq, pg.applied_seq, pg.last_seq,
			       pg.flags & SL_PROG_RELOG ? "relog," : "",
			       pg.flags & SL_PROG_CLEAN ? "clean" : "", pg.pid);
	}
	sharelog_close(sl);
	if (img >= 0)
		close(img);
	for (unsigned i = 0; pdir && i < st.n; i++)
		close(pfd[i]);
	for (unsigned i = 0; i < SL_MAX_N; i++)
		free(sb.all[i]);
	free(blk);
	free(ebuf);
	if (ctx)
		xs_ctx_free(ctx);
	return 0;
}
