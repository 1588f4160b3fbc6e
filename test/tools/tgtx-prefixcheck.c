// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-prefixcheck: is a volume image exactly the volume after a prefix of
 * a write history? Used on images rebuilt from share volumes after a
 * disaster (issue 11, guarantee 1: never a per-block mix of versions).
 *
 * The history is what tgtx-load --history records (one line per event, in
 * the order they happened in the writer):
 *
 *   s ID LBA BLOCKS TIME   write ID submitted (its blocks name ID and LBA)
 *   a ID TIME              write ID acknowledged (GOOD status)
 *   e ID TIME              write ID failed
 *   b                      barrier: the writer and the target it wrote to
 *                          are gone; writes still open are settled (they
 *                          are in the target's log or never will be)
 *
 * Several --history files are read in order with a barrier between them.
 * Write ids must grow in submission order. Blocks are self-describing
 * (tool_block_fill): each says which write and LBA it holds.
 *
 * The rule. The target's log puts the writes in one order; all the checker
 * knows of it is real time: write A precedes write B in every order the
 * target may have chosen when A was acknowledged before B was submitted.
 * Writes in flight together may be logged in either order. The image
 * passes when some set P of writes is closed under that relation (B in P,
 * A acknowledged before B was submitted => A in P) and every block of the
 * image is what P leaves there: the newest write of P covering it, or
 * zeros. Writes that overlap are never in flight together (the checker
 * refuses a history where they are), so "newest" is well defined. If any
 * such P exists, P = the visible writes plus every write acknowledged
 * before the last visible write was submitted, so the check is exact and
 * linear. With QD1 every write is acknowledged before the next one is
 * submitted: the order is total and P is "every write up to the newest
 * visible one".
 *
 * --acked-before TIME (ns, CLOCK_REALTIME): additionally every write
 * acknowledged before TIME must be in P, e.g. TIME = the record time of
 * the newest seq all the peers of a subset acknowledged (a write's record
 * is logged before its acknowledgement, so such a write has a lower seq).
 *
 * Exit: 0 a prefix (and the floor holds), 1 usage or a history that does
 * not order overlapping writes, 4 not a prefix or below the floor.
 */
#include <getopt.h>
#include <stdbool.h>

#include "tool_common.h"

#define PROG	     "tgtx-prefixcheck"
#define NONE	     UINT64_MAX
#define MAX_REPORTED 5

struct wr {
	uint64_t id, lba, blocks;
	uint64_t sub_ev;  /* event number of the submission */
	uint64_t done_ev; /* ack, failure or barrier; NONE: open at the end */
	uint64_t ack_ns;  /* 0: never acknowledged */
	uint8_t acked, visible, in_p;
};

static struct {
	struct wr *w;
	size_t n, cap;
	uint64_t ev;	  /* events so far */
	size_t open_from; /* writes before it are settled */
	uint32_t bs;
	uint64_t nblocks;
} h = {.bs = 512};

static int find(uint64_t id)
{
	size_t lo = 0, hi = h.n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (h.w[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h.n && h.w[lo].id == id ? (int)lo : -1;
}

/* Settles every open write at event ev (a barrier). */
static void barrier(void)
{
	for (size_t i = h.open_from; i < h.n; i++)
		if (h.w[i].done_ev == NONE)
			h.w[i].done_ev = h.ev;
	h.open_from = h.n;
	h.ev++;
}

static int bad_line(const char *path, long nr, const char *why)
{
	fprintf(stderr, PROG ": %s line %ld: %s\n", path, nr, why);
	return -1;
}

static int read_history(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256], ev, end;
	uint64_t id, lba, blocks, t;
	long nr = 0;
	int i;

	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		nr++;
		if (!strchr(line, '\n')) /* a torn last line: writer killed */
			break;
		ev = line[0];
		if (ev == 'b' && line[1] == '\n') {
			barrier();
			continue;
		}
		if (ev == 's') {
			if (sscanf(line,
				   "s %" SCNu64 " %" SCNu64 " %" SCNu64
				   " %" SCNu64 "%c",
				   &id, &lba, &blocks, &t, &end) != 5 ||
			    end != '\n' || !blocks || blocks > (1U << 24))
				goto bad;
			if (h.n && id <= h.w[h.n - 1].id) {
				fclose(f);
				return bad_line(path, nr,
						"write ids must grow in "
						"submission order");
			}
			if (h.n == h.cap) {
				size_t cap = h.cap ? h.cap * 2 : 4096;
				struct wr *nw = realloc(h.w, cap * sizeof(*nw));

				if (!nw) {
					fclose(f);
					return bad_line(path, nr,
							"out of memory");
				}
				h.w = nw;
				h.cap = cap;
			}
			h.w[h.n++] = (struct wr){.id = id,
						 .lba = lba,
						 .blocks = blocks,
						 .sub_ev = h.ev++,
						 .done_ev = NONE};
			continue;
		}
		if ((ev != 'a' && ev != 'e') ||
		    sscanf(line + 1, " %" SCNu64 " %" SCNu64 "%c", &id, &t,
			   &end) != 3 ||
		    end != '\n')
			goto bad;
		i = find(id);
		if (i < 0 || (size_t)i < h.open_from ||
		    h.w[i].done_ev != NONE) {
			fclose(f);
			return bad_line(path, nr,
					"completion of a write that is not "
					"open");
		}
		h.w[i].done_ev = h.ev++;
		if (ev == 'a') {
			h.w[i].acked = 1;
			h.w[i].ack_ns = t ? t : 1;
		}
	}
	fclose(f);
	barrier();
	return 0;
bad:
	fclose(f);
	return bad_line(path, nr, "not an 's', 'a', 'e' or 'b' event");
}

/* Overlapping writes must never be in flight together. */
static int check_order(uint32_t *last, bool *total)
{
	*total = true;
	for (size_t i = 0; i < h.n; i++) {
		struct wr *w = &h.w[i];

		if (w->lba >= h.nblocks || w->blocks > h.nblocks - w->lba) {
			fprintf(stderr,
				PROG ": write %" PRIu64 " (LBA %" PRIu64
				     " +%" PRIu64
				     ") lies beyond the image (%" PRIu64
				     " blocks)\n",
				w->id, w->lba, w->blocks, h.nblocks);
			return -1;
		}
		if (i && h.w[i - 1].done_ev > w->sub_ev)
			*total = false;
		for (uint64_t b = w->lba; b < w->lba + w->blocks; b++) {
			if (last[b] && h.w[last[b] - 1].done_ev > w->sub_ev) {
				fprintf(stderr,
					PROG ": writes %" PRIu64 " and %" PRIu64
					     " overlap at LBA %" PRIu64
					     " while both in flight: the "
					     "history does not order them\n",
					h.w[last[b] - 1].id, w->id, b);
				return -1;
			}
			last[b] = (uint32_t)i + 1;
		}
	}
	return 0;
}

static bool all_zero(const unsigned char *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Which write each block of the image holds (index + 1, 0 = zeros); marks
 * the visible writes. Anything else (torn, foreign, misplaced) fails.
 */
static int read_image(const char *path, uint32_t *vis, uint64_t *bad)
{
	unsigned char *buf = malloc(h.bs), *tmp = malloc(h.bs);
	FILE *f = fopen(path, "rb");
	int ret = -1;

	if (!buf || !tmp || !f) {
		fprintf(stderr, PROG ": %s: %s\n", path,
			f ? "out of memory" : strerror(errno));
		goto out;
	}
	for (uint64_t b = 0; b < h.nblocks; b++) {
		uint64_t id;
		int i;

		if (fread(buf, 1, h.bs, f) != h.bs) {
			fprintf(stderr,
				PROG ": %s: short read at block %" PRIu64 "\n",
				path, b);
			goto out;
		}
		vis[b] = 0;
		if (all_zero(buf, h.bs))
			continue;
		if (tool_block_id(buf, h.bs, b, &id, tmp)) {
			if ((*bad)++ < MAX_REPORTED)
				printf("LBA %" PRIu64 ": neither zeros nor a "
				       "whole block written for this LBA "
				       "(torn, foreign or misplaced)\n",
				       b);
			continue;
		}
		i = find(id);
		if (i < 0 || b < h.w[i].lba ||
		    b >= h.w[i].lba + h.w[i].blocks) {
			if ((*bad)++ < MAX_REPORTED)
				printf("LBA %" PRIu64 ": holds write %" PRIu64
				       ", which the history never sent "
				       "there\n",
				       b, id);
			continue;
		}
		vis[b] = (uint32_t)i + 1;
		h.w[i].visible = 1;
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	free(buf);
	free(tmp);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " --image FILE --history FILE [--history FILE2 "
		"...]\n"
		"       [--block-size B] [--acked-before NS]\n"
		"  --image FILE          the volume image to check\n"
		"  --history FILE        a tgtx-load --history file (several: "
		"in order,\n"
		"                        a barrier between them)\n"
		"  --block-size B        LUN block size (default 512)\n"
		"  --acked-before NS     every write acknowledged before NS "
		"(CLOCK_REALTIME)\n"
		"                        must be in the prefix\n"
		"Exit: 0 a prefix, 1 usage or unordered history, 4 not a "
		"prefix.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"image", required_argument, NULL, 'i'},
		{"history", required_argument, NULL, 'H'},
		{"block-size", required_argument, NULL, 'b'},
		{"acked-before", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *image = NULL;
	uint64_t floor_ns = 0, bad = 0, cut = 0, inp = 0, acked = 0,
		 missing = 0, open_at_cut = 0, v;
	uint32_t *last = NULL, *vis = NULL;
	bool total, histories = false;
	int c, ret = TOOL_EXIT_USAGE;
	char *end;
	long sz = 0;
	FILE *f;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			image = optarg;
			break;
		case 'H':
			if (read_history(optarg))
				return TOOL_EXIT_USAGE;
			histories = true;
			break;
		case 'b':
			v = strtoull(optarg, &end, 0);
			if (*end || v < TOOL_BLK_MIN_LEN || v > (1U << 16)) {
				fprintf(stderr, PROG ": bad --block-size\n");
				return TOOL_EXIT_USAGE;
			}
			h.bs = (uint32_t)v;
			break;
		case 'a':
			floor_ns = strtoull(optarg, &end, 0);
			if (*end) {
				fprintf(stderr, PROG ": bad --acked-before\n");
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return TOOL_EXIT_OK;
		default:
			usage(stderr);
			return TOOL_EXIT_USAGE;
		}
	}
	if (!image || !histories || optind != argc) {
		usage(stderr);
		return TOOL_EXIT_USAGE;
	}
	f = fopen(image, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", image, strerror(errno));
		if (f)
			fclose(f);
		return TOOL_EXIT_USAGE;
	}
	fclose(f);
	h.nblocks = (uint64_t)sz / h.bs;
	last = calloc(h.nblocks ? h.nblocks : 1, sizeof(*last));
	vis = calloc(h.nblocks ? h.nblocks : 1, sizeof(*vis));
	if (!last || !vis) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	if (check_order(last, &total) || read_image(image, vis, &bad))
		goto out;

	/* P = visible writes + writes acknowledged before the last visible
	 * one was submitted (the cut). */
	for (size_t i = 0; i < h.n; i++)
		if (h.w[i].visible && h.w[i].sub_ev + 1 > cut)
			cut = h.w[i].sub_ev + 1;
	for (size_t i = 0; i < h.n; i++) {
		struct wr *w = &h.w[i];

		acked += w->acked;
		w->in_p = w->visible || (w->acked && w->done_ev < cut);
		inp += w->in_p;
		open_at_cut += w->sub_ev < cut && w->done_ev >= cut;
	}
	/* What P leaves in each block, against the image. */
	memset(last, 0, h.nblocks * sizeof(*last));
	for (size_t i = 0; i < h.n; i++)
		if (h.w[i].in_p)
			for (uint64_t b = h.w[i].lba;
			     b < h.w[i].lba + h.w[i].blocks; b++)
				last[b] = (uint32_t)i + 1;
	for (uint64_t b = 0; b < h.nblocks; b++) {
		if (last[b] == vis[b])
			continue;
		if (bad++ >= MAX_REPORTED)
			continue;
		if (vis[b])
			printf("LBA %" PRIu64 ": holds write %" PRIu64
			       ", but write %" PRIu64
			       " (before the cut) wrote it later: a mix of "
			       "versions\n",
			       b, h.w[vis[b] - 1].id, h.w[last[b] - 1].id);
		else
			printf("LBA %" PRIu64
			       ": holds zeros, but write %" PRIu64
			       " (before the cut) wrote it\n",
			       b, h.w[last[b] - 1].id);
	}
	for (size_t i = 0; floor_ns && i < h.n; i++) {
		if (!h.w[i].acked || h.w[i].ack_ns >= floor_ns || h.w[i].in_p)
			continue;
		if (missing++ < MAX_REPORTED)
			printf("write %" PRIu64 " (LBA %" PRIu64
			       ", acknowledged %.3f s before the floor) is "
			       "not in the image\n",
			       h.w[i].id, h.w[i].lba,
			       (double)(floor_ns - h.w[i].ack_ns) / 1e9);
	}
	printf("%s: %zu writes (%" PRIu64 " acknowledged, order %s), image "
	       "of %" PRIu64 " blocks = after %" PRIu64 " writes (%" PRIu64
	       " in flight at the cut); %" PRIu64 " bad blocks, %" PRIu64
	       " acknowledged writes below the "
	       "floor missing\n",
	       bad || missing ? "NOT A PREFIX" : "prefix ok", h.n, acked,
	       total ? "total (QD1)" : "partial (QD>1)", h.nblocks, inp,
	       open_at_cut, bad, missing);
	ret = bad || missing ? TOOL_EXIT_MISMATCH : TOOL_EXIT_OK;
out:
	free(last);
	free(vis);
	free(h.w);
	return ret;
}
