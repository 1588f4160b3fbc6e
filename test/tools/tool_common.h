/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared helpers of the libiscsi test tools (tgtx-load, tgtx-rwcheck): size
 * parsing, login with the options every tool accepts, READ CAPACITY and
 * readable task errors. Header-only on purpose: the Makefile builds every
 * test/tools/X.c into its own program, so there is no place for a shared
 * object, and the tools must not depend on libtgtx.
 */
#ifndef TGTX_TEST_TOOL_COMMON_H
#define TGTX_TEST_TOOL_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libiscsi's: the build names our headers with -iquote, never -I */
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

/* Exit codes shared by all tools; system tests depend on them. */
enum tool_exit {
	TOOL_EXIT_OK = 0,
	TOOL_EXIT_USAGE = 1,
	TOOL_EXIT_LOGIN = 2,
	TOOL_EXIT_IO = 3,
	TOOL_EXIT_MISMATCH = 4,
};

#define TOOL_DEFAULT_INITIATOR "iqn.2026-11.org.tgtx:test-initiator"

struct tool_conn_opts {
	const char *url;
	const char *initiator;
	const char *chap_user;
	const char *chap_password;
	const char *target_user; /* mutual CHAP: the target's name */
	const char *target_password;
	const char *digest; /* "none" (default) or "crc32c" */
	int timeout_s;	    /* per-command timeout, 0 = none */
};

/*
 * The connection options every tool takes (getopt letters i U P T W d t).
 * Returns 1 when c was one of them, 0 when it is the caller's, -1 (after a
 * message) for a bad value.
 */
static inline int tool_conn_opt(const char *prog, int c, const char *arg,
				struct tool_conn_opts *co)
{
	char *end;
	long v;

	switch (c) {
	case 'i':
		co->initiator = arg;
		return 1;
	case 'U':
		co->chap_user = arg;
		return 1;
	case 'P':
		co->chap_password = arg;
		return 1;
	case 'T':
		co->target_user = arg;
		return 1;
	case 'W':
		co->target_password = arg;
		return 1;
	case 'd':
		co->digest = arg;
		return 1;
	case 't':
		v = strtol(arg, &end, 10);
		if (*end || v < 1 || v > 3600) {
			fprintf(stderr, "%s: bad --timeout '%s'\n", prog, arg);
			return -1;
		}
		co->timeout_s = (int)v;
		return 1;
	}
	return 0;
}

/* The long names of tool_conn_opt()'s options: rows of a tool's struct
 * option table (getopt.h). */
/* clang-format off */
#define TOOL_CONN_LONGOPTS \
	{"initiator-name", required_argument, NULL, 'i'}, \
	{"chap-user", required_argument, NULL, 'U'}, \
	{"chap-password", required_argument, NULL, 'P'}, \
	{"target-user", required_argument, NULL, 'T'}, \
	{"target-password", required_argument, NULL, 'W'}, \
	{"digest", required_argument, NULL, 'd'}, \
	{"timeout", required_argument, NULL, 't'}
/* clang-format on */

/*
 * The default: branch of a tool's option switch: a connection option, or
 * else the tool's usage on stderr. 1 when c was taken, 0 when the tool
 * must exit TOOL_EXIT_USAGE (a bad value is named by tool_conn_opt()).
 */
static inline int tool_conn_opt_or_usage(const char *prog, int c,
					 const char *arg,
					 struct tool_conn_opts *co,
					 void (*usage)(FILE *f))
{
	int ret = tool_conn_opt(prog, c, arg, co);

	if (!ret)
		usage(stderr);
	return ret == 1;
}

/* Parses "4096", "4K", "1M", "1G" (binary multiples). Returns 0 or -EINVAL. */
static inline int tool_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	/* Accept "4KiB"/"4KB" as well as "4K". */
	if (mul > 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (mul > 1 && (*end == 'b' || *end == 'B'))
		end++;
	if (*end || (v && mul > UINT64_MAX / v))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

/*
 * Creates a context, logs in to the target/LUN of opts->url and checks the
 * LUN is there. On failure prints why on stderr and returns NULL.
 */
static inline struct iscsi_context *
tool_connect(const char *prog, const struct tool_conn_opts *o, int *lun)
{
	struct iscsi_context *iscsi;
	struct iscsi_url *url;
	const char *user, *pw;
	enum iscsi_header_digest dg = ISCSI_HEADER_DIGEST_NONE;

	if (o->digest && !strcmp(o->digest, "crc32c")) {
		dg = ISCSI_HEADER_DIGEST_CRC32C;
	} else if (o->digest && strcmp(o->digest, "none")) {
		fprintf(stderr,
			"%s: --digest must be none or crc32c, got '%s'\n", prog,
			o->digest);
		return NULL;
	}

	iscsi = iscsi_create_context(o->initiator ? o->initiator
						  : TOOL_DEFAULT_INITIATOR);
	if (!iscsi) {
		fprintf(stderr, "%s: cannot create iSCSI context\n", prog);
		return NULL;
	}
	url = iscsi_parse_full_url(iscsi, o->url);
	if (!url) {
		fprintf(stderr, "%s: bad URL '%s': %s (want %s)\n", prog,
			o->url, iscsi_get_error(iscsi), ISCSI_URL_SYNTAX);
		goto fail;
	}
	*lun = url->lun;
	user = o->chap_user ? o->chap_user : (url->user[0] ? url->user : NULL);
	pw = o->chap_password ? o->chap_password : url->passwd;

	iscsi_set_targetname(iscsi, url->target);
	iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(iscsi, dg);
	/* A dropped connection must surface as an error, not be hidden. */
	iscsi_set_noautoreconnect(iscsi, 1);
	if (o->timeout_s > 0)
		iscsi_set_timeout(iscsi, o->timeout_s);
	if (user &&
	    iscsi_set_initiator_username_pwd(iscsi, user, pw ? pw : "")) {
		fprintf(stderr, "%s: CHAP setup: %s\n", prog,
			iscsi_get_error(iscsi));
		goto fail_url;
	}
	if (o->target_user) {
		if (!user) {
			fprintf(stderr,
				"%s: mutual CHAP needs --chap-user as well\n",
				prog);
			goto fail_url;
		}
		if (iscsi_set_target_username_pwd(
			    iscsi, o->target_user,
			    o->target_password ? o->target_password : "")) {
			fprintf(stderr, "%s: mutual CHAP setup: %s\n", prog,
				iscsi_get_error(iscsi));
			goto fail_url;
		}
	}
	if (iscsi_full_connect_sync(iscsi, url->portal, url->lun)) {
		fprintf(stderr,
			"%s: login to %s at %s (LUN %d) as %s failed: %s\n",
			prog, url->target, url->portal, url->lun,
			o->initiator ? o->initiator : TOOL_DEFAULT_INITIATOR,
			iscsi_get_error(iscsi));
		goto fail_url;
	}
	iscsi_destroy_url(url);
	return iscsi;

fail_url:
	iscsi_destroy_url(url);
fail:
	iscsi_destroy_context(iscsi);
	return NULL;
}

/* Describes a failed task: status, and sense key/ASC/ASCQ if any. */
static inline void tool_task_error(struct iscsi_context *iscsi,
				   struct scsi_task *task, int status,
				   char *buf, size_t len)
{
	if (status == SCSI_STATUS_CHECK_CONDITION && task) {
		snprintf(
			buf, len,
			"CHECK CONDITION, sense %s (0x%x) ASC/ASCQ 0x%04x (%s)",
			scsi_sense_key_str(task->sense.key), task->sense.key,
			task->sense.ascq,
			scsi_sense_ascq_str(task->sense.ascq));
	} else if (status == SCSI_STATUS_TIMEOUT) {
		snprintf(buf, len, "command timed out");
	} else if (status == SCSI_STATUS_CANCELLED) {
		snprintf(buf, len, "command cancelled (connection lost?): %s",
			 iscsi_get_error(iscsi));
	} else if (status == SCSI_STATUS_ERROR) {
		snprintf(buf, len, "transport error: %s",
			 iscsi_get_error(iscsi));
	} else {
		snprintf(buf, len, "SCSI status 0x%x: %s", status,
			 iscsi_get_error(iscsi));
	}
}

/* READ CAPACITY(16): block size and number of blocks of the LUN. */
static inline int tool_read_capacity(const char *prog,
				     struct iscsi_context *iscsi, int lun,
				     uint32_t *block_size, uint64_t *nr_blocks)
{
	struct scsi_task *task;
	struct scsi_readcapacity16 *rc;
	char why[256];

	task = iscsi_readcapacity16_sync(iscsi, lun);
	if (!task || task->status != SCSI_STATUS_GOOD) {
		tool_task_error(iscsi, task, task ? task->status : -1, why,
				sizeof(why));
		fprintf(stderr, "%s: READ CAPACITY(16) on LUN %d failed: %s\n",
			prog, lun, why);
		if (task)
			scsi_free_scsi_task(task);
		return -EIO;
	}
	rc = scsi_datain_unmarshall(task);
	if (!rc || rc->block_length == 0 || rc->block_length > (1U << 20)) {
		fprintf(stderr, "%s: READ CAPACITY(16) on LUN %d: bad reply\n",
			prog, lun);
		scsi_free_scsi_task(task);
		return -EIO;
	}
	*block_size = rc->block_length;
	*nr_blocks = rc->returned_lba + 1;
	scsi_free_scsi_task(task);
	return 0;
}

static inline uint64_t tool_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline void tool_put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t tool_get_le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * Self-describing blocks, so that a reader can tell which write a block
 * holds and a stale, misplaced or torn block never passes for a good one:
 *
 *   bytes  0..7   "TGTXBLK1"
 *          8..15  LBA, little-endian
 *         16..23  write id (a tool's --seed), little-endian
 *         24..    a splitmix64 stream derived from (write id, LBA)
 *
 * The tail depends on the header, so a block is checked by regenerating
 * it from its own header; that is stronger than a checksum.
 */
#define TOOL_BLK_MAGIC	 "TGTXBLK1"
#define TOOL_BLK_HDR	 24
#define TOOL_BLK_MIN_LEN 64

static inline void tool_block_fill(unsigned char *p, uint32_t len, uint64_t id,
				   uint64_t lba)
{
	uint64_t st = tool_splitmix64(id ^ tool_splitmix64(lba));
	uint32_t off;

	memcpy(p, TOOL_BLK_MAGIC, 8);
	tool_put_le64(p + 8, lba);
	tool_put_le64(p + 16, id);
	for (off = TOOL_BLK_HDR; off < len; off += 8) {
		unsigned char v[8];
		uint32_t n = len - off < 8 ? len - off : 8;

		st = tool_splitmix64(st);
		tool_put_le64(v, st);
		memcpy(p + off, v, n);
	}
}

/*
 * Which write block @p (of @len bytes, read at @lba) holds: 0 with *id set
 * when it is a whole block written for @lba, -1 when it is not (never
 * written, torn, misplaced or corrupt). @scratch holds @len bytes.
 */
static inline int tool_block_id(const unsigned char *p, uint32_t len,
				uint64_t lba, uint64_t *id,
				unsigned char *scratch)
{
	if (len < TOOL_BLK_MIN_LEN || memcmp(p, TOOL_BLK_MAGIC, 8) ||
	    tool_get_le64(p + 8) != lba)
		return -1;
	*id = tool_get_le64(p + 16);
	tool_block_fill(scratch, len, *id, lba);
	return memcmp(p, scratch, len) ? -1 : 0;
}

/*
 * Acknowledgement log: one line "LBA BLOCKS ID" per WRITE command, appended
 * with a single write(2) the moment its GOOD status arrives, so that the
 * log names every acknowledged write even when the target dies right after
 * (a tool that exits early loses nothing already acknowledged).
 */
static inline int tool_ack_open(const char *prog, const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		fprintf(stderr, "%s: ack log %s: %s\n", prog, path,
			strerror(errno));
	return fd;
}

static inline int tool_ack_log(const char *prog, int fd, uint64_t lba,
			       uint64_t blocks, uint64_t id)
{
	char line[96];
	int n;

	if (fd < 0)
		return 0;
	n = snprintf(line, sizeof(line),
		     "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", lba, blocks, id);
	if (write(fd, line, (size_t)n) != n) {
		fprintf(stderr, "%s: writing the ack log: %s\n", prog,
			strerror(errno));
		return -1;
	}
	return 0;
}

#endif
