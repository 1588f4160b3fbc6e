// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-rwcheck: data-integrity probe for system tests. Logs in (optionally
 * with CHAP, mutual CHAP, header digests), writes --blocks blocks of a
 * pattern derived from --seed and each block's LBA at --lba, reads them back
 * and compares. The pattern depends only on (seed, LBA), so --verify-only can
 * check data written by an earlier run, e.g. across a daemon restart.
 *
 * Exit status: 0 ok, 1 usage, 2 login failed, 3 I/O error, 4 data mismatch.
 */
#include <getopt.h>

#include "tool_common.h"

#define PROG		 "tgtx-rwcheck"
#define DEFAULT_CHUNK	 (256U << 10)
#define MAX_REPORTED_BAD 5

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Fills one block with the bytes expected at @lba for @seed. */
static void fill_block(unsigned char *p, uint32_t len, uint64_t seed,
		       uint64_t lba)
{
	uint64_t st = splitmix64(seed ^ splitmix64(lba));
	uint32_t off;

	for (off = 0; off < len; off += 8) {
		uint64_t v;
		uint32_t n = len - off < 8 ? len - off : 8;

		st = splitmix64(st);
		v = st;
		memcpy(p + off, &v, n);
	}
}

struct job {
	struct iscsi_context *iscsi;
	int lun;
	uint32_t blksz;
	uint64_t lba;
	uint64_t blocks;
	uint64_t seed;
	uint32_t chunk_blocks;
	int fua; /* WRITE(16) with FUA: durable when GOOD comes back */
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
			fill_block(buf + b * j->blksz, j->blksz, j->seed,
				   j->lba + done + b);
		t = iscsi_write16_sync(j->iscsi, j->lun, j->lba + done, buf,
				       (uint32_t)(n * j->blksz), (int)j->blksz,
				       0, 0, j->fua, 0, 0);
		if (!t || t->status != SCSI_STATUS_GOOD)
			return task_failed(j, t, "WRITE(16)", j->lba + done, n);
		scsi_free_scsi_task(t);
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

			fill_block(expect, j->blksz, j->seed,
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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " --url iscsi://HOST:PORT/IQN/LUN [OPTIONS]\n"
		"  --lba L               first block (default 0)\n"
		"  --blocks N            number of blocks (default 8)\n"
		"  --seed S              pattern seed (default 1)\n"
		"  --verify-only         only read and compare\n"
		"  --fua                 write with FUA (forced unit access)\n"
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
		{"login-only", no_argument, NULL, 'L'},
		{"initiator-name", required_argument, NULL, 'i'},
		{"chap-user", required_argument, NULL, 'U'},
		{"chap-password", required_argument, NULL, 'P'},
		{"target-user", required_argument, NULL, 'T'},
		{"target-password", required_argument, NULL, 'W'},
		{"digest", required_argument, NULL, 'd'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tool_conn_opts co = {.timeout_s = 30};
	struct job j = {.blocks = 8, .seed = 1};
	int c, verify_only = 0, login_only = 0, ret;
	uint64_t nr_blocks;
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
		case 'h':
			usage(stdout);
			return TOOL_EXIT_OK;
		default:
			switch (tool_conn_opt(PROG, c, optarg, &co)) {
			case 1:
				break;
			case 0:
				usage(stderr);
				/* fall through */
			default:
				return TOOL_EXIT_USAGE;
			}
		}
	}
	if (!co.url || optind != argc || (verify_only && login_only)) {
		usage(stderr);
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
	if (tool_read_capacity(PROG, j.iscsi, j.lun, &j.blksz, &nr_blocks)) {
		ret = TOOL_EXIT_IO;
		goto out;
	}
	if (j.lba >= nr_blocks || j.blocks > nr_blocks - j.lba) {
		fprintf(stderr,
			PROG ": LBA %" PRIu64 " + %" PRIu64
			     " blocks is beyond the end of LUN %d (%" PRIu64
			     " blocks of %u bytes)\n",
			j.lba, j.blocks, j.lun, nr_blocks, j.blksz);
		ret = TOOL_EXIT_USAGE;
		goto out;
	}
	j.chunk_blocks = DEFAULT_CHUNK / j.blksz ? DEFAULT_CHUNK / j.blksz : 1;
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
	return ret;
}
