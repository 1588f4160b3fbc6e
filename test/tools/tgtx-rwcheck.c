// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-rwcheck: data-integrity probe for system tests. Logs in (optionally
 * with CHAP, mutual CHAP, header digests), writes --blocks blocks of a
 * pattern derived from --seed and each block's LBA at --lba, reads them back
 * and compares. The pattern depends only on (seed, LBA), so --verify-only can
 * check data written by an earlier run, e.g. across a daemon restart.
 *
 * Blocks are self-describing (tool_block_fill): --ack-log FILE records each
 * WRITE command the moment it gets GOOD status, and --verify-acks FILE later
 * checks every block such logs name (from this tool or tgtx-load): it must
 * hold the latest acknowledged write of that block, or a later write that
 * was still in flight when the log ended, never an older or torn one.
 *
 * Exit status: 0 ok, 1 usage, 2 login failed, 3 I/O error, 4 data mismatch.
 */
#include <getopt.h>

#include "tool_common.h"

#define PROG		 "tgtx-rwcheck"
#define DEFAULT_CHUNK	 (256U << 10)
#define MAX_REPORTED_BAD 5

struct job {
	struct iscsi_context *iscsi;
	int lun;
	uint32_t blksz;
	uint64_t nr_blocks;
	uint64_t lba;
	uint64_t blocks;
	uint64_t seed;
	uint32_t chunk_blocks;
	int fua;    /* WRITE(16) with FUA: durable when GOOD comes back */
	int ack_fd; /* -1: no ack log */
};

/* Reports a failed command (sense or transport error) and frees it. */
static int task_failed(struct job *j, struct scsi_task *t, const char *op,
		       uint64_t lba, uint64_t n)
{
	char why[384];

	tool_task_error(j->iscsi, t, t ? t->status : -1, why, sizeof(why));
	fprintf(stderr,
		PROG ": %s LUN %d LBA %" PRIu64 " blocks %" PRIu64 ": %s\n", op,
		j->lun, lba, n, why);
	if (t)
		scsi_free_scsi_task(t);
	return TOOL_EXIT_IO;
}

static int do_write(struct job *j, unsigned char *buf)
{
	uint64_t done = 0;

	while (done < j->blocks) {
		uint64_t n = j->blocks - done, b;
		struct scsi_task *t;

		if (n > j->chunk_blocks)
			n = j->chunk_blocks;
		for (b = 0; b < n; b++)
			tool_block_fill(buf + b * j->blksz, j->blksz, j->seed,
					j->lba + done + b);
		t = iscsi_write16_sync(j->iscsi, j->lun, j->lba + done, buf,
				       (uint32_t)(n * j->blksz), (int)j->blksz,
				       0, 0, j->fua, 0, 0);
		if (!t || t->status != SCSI_STATUS_GOOD)
			return task_failed(j, t, "WRITE(16)", j->lba + done, n);
		scsi_free_scsi_task(t);
		if (tool_ack_log(PROG, j->ack_fd, j->lba + done, n, j->seed))
			return TOOL_EXIT_IO;
		done += n;
	}
	return TOOL_EXIT_OK;
}

static int do_verify(struct job *j, unsigned char *expect)
{
	uint64_t done = 0, bad = 0;

	while (done < j->blocks) {
		uint64_t n = j->blocks - done, b;
		struct scsi_task *t;

		if (n > j->chunk_blocks)
			n = j->chunk_blocks;
		t = iscsi_read16_sync(j->iscsi, j->lun, j->lba + done,
				      (uint32_t)(n * j->blksz), (int)j->blksz,
				      0, 0, 0, 0, 0);
		if (!t || t->status != SCSI_STATUS_GOOD)
			return task_failed(j, t, "READ(16)", j->lba + done, n);
		if ((uint64_t)t->datain.size != n * j->blksz) {
			fprintf(stderr,
				PROG ": READ(16) LUN %d LBA %" PRIu64
				     ": got %d bytes, expected %" PRIu64 "\n",
				j->lun, j->lba + done, t->datain.size,
				n * j->blksz);
			scsi_free_scsi_task(t);
			return TOOL_EXIT_IO;
		}
		for (b = 0; b < n; b++) {
			const unsigned char *got =
				t->datain.data + b * j->blksz;
			uint32_t off;

			tool_block_fill(expect, j->blksz, j->seed,
					j->lba + done + b);
			if (!memcmp(got, expect, j->blksz))
				continue;
			if (bad++ >= MAX_REPORTED_BAD)
				continue;
			for (off = 0; got[off] == expect[off]; off++)
				;
			fprintf(stderr,
				PROG ": mismatch at LBA %" PRIu64
				     " byte %u: expected 0x%02x, read 0x%02x\n",
				j->lba + done + b, off, expect[off], got[off]);
		}
		scsi_free_scsi_task(t);
		done += n;
	}
	if (bad) {
		fprintf(stderr,
			PROG ": %" PRIu64 " of %" PRIu64
			     " blocks differ from the pattern (seed %" PRIu64
			     ")\n",
			bad, j->blocks, j->seed);
		return TOOL_EXIT_MISMATCH;
	}
	return TOOL_EXIT_OK;
}

/* LBA -> latest acknowledged write id, open addressing (key LBA + 1). */
struct ack_map {
	uint64_t *key;
	uint64_t *id;
	size_t cap, n;
};

static int ack_map_grow(struct ack_map *m)
{
	struct ack_map g = {.cap = m->cap ? m->cap * 2 : 1024};
	size_t i;

	g.key = calloc(g.cap, sizeof(*g.key));
	g.id = calloc(g.cap, sizeof(*g.id));
	if (!g.key || !g.id) {
		free(g.key);
		free(g.id);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		size_t h;

		if (!m->key[i])
			continue;
		h = tool_splitmix64(m->key[i]) & (g.cap - 1);
		while (g.key[h])
			h = (h + 1) & (g.cap - 1);
		g.key[h] = m->key[i];
		g.id[h] = m->id[i];
	}
	g.n = m->n;
	free(m->key);
	free(m->id);
	*m = g;
	return 0;
}

/* Records a write of @id to @lba; the highest id per block wins. */
static int ack_map_put(struct ack_map *m, uint64_t lba, uint64_t id)
{
	size_t h;

	if ((m->n + 1) * 2 > m->cap && ack_map_grow(m))
		return -ENOMEM;
	h = tool_splitmix64(lba + 1) & (m->cap - 1);
	while (m->key[h] && m->key[h] != lba + 1)
		h = (h + 1) & (m->cap - 1);
	if (!m->key[h]) {
		m->key[h] = lba + 1;
		m->id[h] = id;
		m->n++;
	} else if (id > m->id[h]) {
		m->id[h] = id;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reads an ack log into @m. Returns the number of lines, or -1. */
static long read_ack_log(const char *path, struct ack_map *m)
{
	FILE *f = fopen(path, "r");
	char line[128];
	long nr = 0;

	if (!f) {
		fprintf(stderr, PROG ": ack log %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		uint64_t lba, blocks, id, b;
		char end;

		nr++;
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 "%c", &lba,
			   &blocks, &id, &end) != 4 ||
		    end != '\n' || !blocks || blocks > (1U << 24)) {
			fprintf(stderr, PROG ": %s line %ld: bad entry '%s'\n",
				path, nr, line);
			fclose(f);
			return -1;
		}
		for (b = 0; b < blocks; b++) {
			if (ack_map_put(m, lba + b, id)) {
				fprintf(stderr, PROG ": out of memory\n");
				fclose(f);
				return -1;
			}
		}
	}
	fclose(f);
	return nr;
}

/* One block read back against the latest acknowledged write @want. */
static int check_acked_block(struct job *j, const unsigned char *got,
			     uint64_t lba, uint64_t want, unsigned char *tmp,
			     uint64_t *bad, uint64_t *newer)
{
	uint64_t id;

	if (!tool_block_id(got, j->blksz, lba, &id, tmp) && id >= want) {
		*newer += id > want;
		return 0;
	}
	if ((*bad)++ >= MAX_REPORTED_BAD)
		return -1;
	if (tool_block_id(got, j->blksz, lba, &id, tmp))
		fprintf(stderr,
			PROG ": LBA %" PRIu64 ": not a whole block of this LBA "
			     "(torn, misplaced or never written); last "
			     "acknowledged write id %" PRIu64 "\n",
			lba, want);
	else
		fprintf(stderr,
			PROG ": LBA %" PRIu64 ": stale, holds write id %" PRIu64
			     ", last acknowledged write id %" PRIu64 "\n",
			lba, id, want);
	return -1;
}

/*
 * --verify-acks: every block an ack log names must hold its latest
 * acknowledged write or a later one (in flight when the log ended).
 */
static int verify_acks(struct job *j, const char *path)
{
	struct ack_map m = {0};
	uint64_t *lbas = NULL, bad = 0, newer = 0;
	unsigned char *tmp = NULL;
	size_t i, n = 0;
	long lines;
	int ret = TOOL_EXIT_IO;

	lines = read_ack_log(path, &m);
	if (lines < 0) {
		ret = TOOL_EXIT_USAGE;
		goto out;
	}
	lbas = malloc((m.n ? m.n : 1) * sizeof(*lbas));
	tmp = malloc(j->blksz);
	if (!lbas || !tmp) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	for (i = 0; i < m.cap; i++)
		if (m.key[i])
			lbas[n++] = m.key[i] - 1;
	qsort(lbas, n, sizeof(*lbas), cmp_u64);
	if (n && lbas[n - 1] >= j->nr_blocks) {
		fprintf(stderr,
			PROG ": %s names LBA %" PRIu64
			     ", beyond the end of LUN %d\n",
			path, lbas[n - 1], j->lun);
		ret = TOOL_EXIT_USAGE;
		goto out;
	}
	for (i = 0; i < n;) {
		size_t run = 1, b;
		struct scsi_task *t;

		while (i + run < n && run < j->chunk_blocks &&
		       lbas[i + run] == lbas[i] + run)
			run++;
		t = iscsi_read16_sync(j->iscsi, j->lun, lbas[i],
				      (uint32_t)(run * j->blksz), (int)j->blksz,
				      0, 0, 0, 0, 0);
		if (!t || t->status != SCSI_STATUS_GOOD) {
			ret = task_failed(j, t, "READ(16)", lbas[i], run);
			goto out;
		}
		if ((uint64_t)t->datain.size != run * j->blksz) {
			fprintf(stderr,
				PROG ": READ(16) LUN %d LBA %" PRIu64
				     ": got %d bytes, expected %zu\n",
				j->lun, lbas[i], t->datain.size,
				run * j->blksz);
			scsi_free_scsi_task(t);
			goto out;
		}
		for (b = 0; b < run; b++) {
			uint64_t lba = lbas[i + b], want;
			size_t h = tool_splitmix64(lba + 1) & (m.cap - 1);

			while (m.key[h] != lba + 1)
				h = (h + 1) & (m.cap - 1);
			want = m.id[h];
			check_acked_block(j, t->datain.data + b * j->blksz, lba,
					  want, tmp, &bad, &newer);
		}
		scsi_free_scsi_task(t);
		i += run;
	}
	printf("%s: %zu acknowledged blocks (%ld log lines): %" PRIu64
	       " bad, %" PRIu64 " hold a later unacknowledged write\n",
	       bad ? "FAIL" : "ok", n, lines, bad, newer);
	ret = bad ? TOOL_EXIT_MISMATCH : TOOL_EXIT_OK;
out:
	free(lbas);
	free(tmp);
	free(m.key);
	free(m.id);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " --url iscsi://HOST:PORT/IQN/LUN [OPTIONS]\n"
		"  --lba L               first block (default 0)\n"
		"  --blocks N            number of blocks (default 8)\n"
		"  --seed S              pattern seed (default 1)\n"
		"  --verify-only         only read and compare\n"
		"  --fua                 write with FUA (forced unit access)\n"
		"  --ack-log FILE        append 'LBA BLOCKS SEED' per WRITE "
		"command\n"
		"                        as soon as it gets GOOD status\n"
		"  --verify-acks FILE    check every block named in ack logs\n"
		"                        (latest acknowledged write wins)\n"
		"  --login-only          only log in (and out)\n"
		"  --initiator-name IQN  (default " TOOL_DEFAULT_INITIATOR ")\n"
		"  --chap-user U --chap-password P\n"
		"  --target-user U --target-password P   mutual CHAP\n"
		"  --digest none|crc32c  header digest (default none)\n"
		"  --timeout S           per-command timeout (default 30)\n"
		"Exit: 0 ok, 1 usage, 2 login failed, 3 I/O error, "
		"4 data mismatch.\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'},
		{"lba", required_argument, NULL, 'l'},
		{"blocks", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 's'},
		{"verify-only", no_argument, NULL, 'v'},
		{"fua", no_argument, NULL, 'F'},
		{"ack-log", required_argument, NULL, 'A'},
		{"verify-acks", required_argument, NULL, 'V'},
		{"login-only", no_argument, NULL, 'L'},
		TOOL_CONN_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tool_conn_opts co = {.timeout_s = 30};
	struct job j = {.blocks = 8, .seed = 1, .ack_fd = -1};
	int c, verify_only = 0, login_only = 0, ret;
	const char *ack_log = NULL, *verify_log = NULL;
	unsigned char *buf;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			co.url = optarg;
			break;
		case 'l':
			if (parse_u64(optarg, &j.lba)) {
				fprintf(stderr, PROG ": bad --lba '%s'\n",
					optarg);
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_u64(optarg, &j.blocks) || !j.blocks) {
				fprintf(stderr, PROG ": bad --blocks '%s'\n",
					optarg);
				return TOOL_EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_u64(optarg, &j.seed)) {
				fprintf(stderr, PROG ": bad --seed '%s'\n",
					optarg);
				return TOOL_EXIT_USAGE;
			}
			break;
		case 'v':
			verify_only = 1;
			break;
		case 'F':
			j.fua = 1;
			break;
		case 'L':
			login_only = 1;
			break;
		case 'A':
			ack_log = optarg;
			break;
		case 'V':
			verify_log = optarg;
			break;
		case 'h':
			usage(stdout);
			return TOOL_EXIT_OK;
		default:
			if (!tool_conn_opt_or_usage(PROG, c, optarg, &co,
						    usage))
				return TOOL_EXIT_USAGE;
		}
	}
	if (!co.url || optind != argc ||
	    verify_only + login_only + !!verify_log > 1 ||
	    (ack_log && (verify_only || login_only || verify_log))) {
		usage(stderr);
		return TOOL_EXIT_USAGE;
	}
	if (ack_log) {
		j.ack_fd = tool_ack_open(PROG, ack_log);
		if (j.ack_fd < 0)
			return TOOL_EXIT_USAGE;
	}

	j.iscsi = tool_connect(PROG, &co, &j.lun);
	if (!j.iscsi)
		return TOOL_EXIT_LOGIN;
	if (login_only) {
		printf("ok: logged in to %s\n", co.url);
		ret = TOOL_EXIT_OK;
		goto out;
	}
	if (tool_read_capacity(PROG, j.iscsi, j.lun, &j.blksz, &j.nr_blocks)) {
		ret = TOOL_EXIT_IO;
		goto out;
	}
	if (j.blksz < TOOL_BLK_MIN_LEN) {
		fprintf(stderr, PROG ": LUN %d blocks of %u bytes: too small\n",
			j.lun, j.blksz);
		ret = TOOL_EXIT_USAGE;
		goto out;
	}
	j.chunk_blocks = DEFAULT_CHUNK / j.blksz ? DEFAULT_CHUNK / j.blksz : 1;
	if (verify_log) {
		ret = verify_acks(&j, verify_log);
		goto out;
	}
	if (j.lba >= j.nr_blocks || j.blocks > j.nr_blocks - j.lba) {
		fprintf(stderr,
			PROG ": LBA %" PRIu64 " + %" PRIu64
			     " blocks is beyond the end of LUN %d (%" PRIu64
			     " blocks of %u bytes)\n",
			j.lba, j.blocks, j.lun, j.nr_blocks, j.blksz);
		ret = TOOL_EXIT_USAGE;
		goto out;
	}
	buf = malloc((size_t)j.chunk_blocks * j.blksz);
	if (!buf) {
		fprintf(stderr, PROG ": out of memory\n");
		ret = TOOL_EXIT_IO;
		goto out;
	}
	ret = verify_only ? TOOL_EXIT_OK : do_write(&j, buf);
	if (ret == TOOL_EXIT_OK)
		ret = do_verify(&j, buf);
	free(buf);
	if (ret == TOOL_EXIT_OK)
		printf("ok: %s %" PRIu64 " blocks of %u bytes at LBA %" PRIu64
		       " (seed %" PRIu64 ")\n",
		       verify_only ? "verified" : "wrote and verified",
		       j.blocks, j.blksz, j.lba, j.seed);
out:
	if (ret != TOOL_EXIT_IO)
		iscsi_logout_sync(j.iscsi);
	iscsi_destroy_context(j.iscsi);
	if (j.ack_fd >= 0)
		close(j.ack_fd);
	return ret;
}
