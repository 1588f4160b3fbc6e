// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-recover check and restore over a list of share URLs (given, or
 * found by gossip in tgtx-recover.c): the operator's dry run and the
 * rebuild itself, with the progress file that makes a rerun continue.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "core/fileio.h"
#include "bs_xorshare/codec/xorshare.h"
#include "rc.h"
#include "core/crc32c.h"
#include "replicator/gossip/slt.h"

static void print_sources(struct rc_set *s)
{
	char name[600], t[48], r[24];

	for (unsigned i = 0; i < s->count; i++) {
		struct rc_src *src = &s->src[i];

		rc_src_name(src, name, sizeof(name));
		if (src->state != RC_SRC_OK) {
			printf("  %s: %s\n", name,
			       src->state == RC_SRC_DOWN ? "UNREACHABLE"
							 : "UNUSABLE");
			continue;
		}
		rc_format_time(src->rg.t_max_ns, t, sizeof(t));
		printf("  %s: seqs %" PRIu64 "..%" PRIu64
		       " (newest %s), epoch %" PRIu64 ", live %#x%s",
		       name, src->rg.s_min, src->rg.s_max, t, src->rg.epoch,
		       src->rg.live_mask, src->rg.usable ? "" : ", RESYNC");
		if (src->rate_bps > 0) {
			rc_format_bytes(src->rate_bps, r, sizeof(r));
			printf(", reads %s/s", r);
		}
		printf("%s\n", (s->mask & (1u << i))
				       ? ""
				       : " (cannot serve the point)");
	}
}

static void print_volume(struct rc_set *s)
{
	char u[37], sz[24];

	slt_uuid_str(s->uuid, u);
	rc_format_bytes((double)(s->nblocks * s->block_size), sz, sizeof(sz));
	printf("volume %s%s%s: k=%u n=%u, %" PRIu64 " blocks of %u bytes "
	       "(%s)\n",
	       u, s->vol_name[0] ? " " : "", s->vol_name, s->k, s->n,
	       s->nblocks, s->block_size, sz);
}

static void print_point(struct rc_set *s, const char *label)
{
	char t[48];
	uint64_t now = rc_now_ns();

	rc_format_time(s->seq_ns, t, sizeof(t));
	printf("%s: seq %" PRIu64 ", written %s (%.1f s ago)\n", label, s->seq,
	       t,
	       s->seq_ns && now > s->seq_ns ? (double)(now - s->seq_ns) / 1e9
					    : 0.0);
}

static unsigned popcount(uint32_t m)
{
	return (unsigned)__builtin_popcount(m);
}

static void indexes(struct rc_set *s, uint32_t m, char *out, size_t len)
{
	size_t l = 0;

	out[0] = 0;
	for (unsigned x = 0; x < SV_MAX_N; x++)
		for (unsigned i = 0; i < s->count; i++)
			if ((m & (1u << i)) && s->src[i].info->index == x)
				l += (size_t)snprintf(out + l, len - l, "%s%u",
						      l ? "," : "", x);
}

/* Seconds the k chosen peers need: each sends a data area's worth. */
static double estimate(struct rc_set *s, uint32_t use, double *slowest)
{
	double worst = 0, secs = 0;

	for (unsigned i = 0; i < s->count; i++) {
		struct rc_src *src = &s->src[i];
		double t;

		if (!(use & (1u << i)) || src->rate_bps <= 0)
			continue;
		t = (double)(src->info->nblocks * src->info->slot_size) /
		    src->rate_bps;
		if (t > secs) {
			secs = t;
			worst = src->rate_bps;
		}
	}
	*slowest = worst;
	return secs;
}

int rc_cmd_check(const struct rc_opts *o, const char *vol_name)
{
	static struct rc_set s;
	uint64_t t0 = loop_now_ns(), per;
	uint32_t use;
	char list[80], r[24], b[24];
	double secs, slow;
	int rc;

	memset(&s, 0, sizeof(s));
	if (vol_name)
		snprintf(s.vol_name, sizeof(s.vol_name), "%s", vol_name);
	rc_open_sources(&s, o);
	rc = rc_check_volume(&s);
	if (!rc)
		rc = rc_pick_point(&s, o, 0);
	if (rc) {
		if (s.k)
			print_sources(&s);
		printf("restorable: NO\n");
		rc_close_sources(&s);
		return rc;
	}
	rc_measure(&s, s.mask, o->measure_bytes);
	use = rc_choose(&s, 0, o->given_order);
	print_volume(&s);
	print_sources(&s);
	indexes(&s, s.mask, list, sizeof(list));
	printf("restorable: yes, %u consistent shares (%s), k=%u needed\n",
	       popcount(s.mask), list, s.k);
	print_point(&s, o->have_before ? "point (--before)" : "point");
	indexes(&s, use, list, sizeof(list));
	secs = estimate(&s, use, &slow);
	per = s.nblocks * s.src[__builtin_ctz(use)].info->slot_size;
	rc_format_bytes((double)per, b, sizeof(b));
	rc_format_bytes(slow, r, sizeof(r));
	printf("restore would use shares %s; each sends %s: about %.0f s at "
	       "%s/s (slowest of them, measured)\n",
	       list, b, secs + 0.5, r);
	printf("nothing was written (check took %.2f s)\n",
	       (double)(loop_now_ns() - t0) / 1e9);
	rc_close_sources(&s);
	return RC_EX_OK;
}

/* ---- restore ---- */

struct rstate {
	const char *path;
	struct rc_state st;
	struct rc_target *t;
	int err;
};

static void save_progress(void *arg, uint64_t done)
{
	struct rstate *rs = arg;
	int ret = rc_target_sync(rs->t);

	if (!ret) {
		rs->st.done_blocks = done;
		ret = rc_state_save(rs->path, &rs->st);
	}
	if (ret && !rs->err) {
		rs->err = ret;
		fprintf(stderr, "tgtx-recover: progress file %s: %s\n",
			rs->path, strerror(-ret));
	}
}

static void on_signal(int sig)
{
	(void)sig;
	rc_stop = 1;
}

static void default_state_path(const struct rc_opts *o, struct rc_set *s,
			       char *out, size_t len)
{
	struct stat sb;
	char u[37];

	if (o->state_file) {
		snprintf(out, len, "%s", o->state_file);
		return;
	}
	if (strncmp(o->to, "iscsi://", 8) &&
	    (stat(o->to, &sb) || S_ISREG(sb.st_mode))) {
		snprintf(out, len, "%s.tgtx-recover", o->to);
		return;
	}
	slt_uuid_str(s->uuid, u);
	snprintf(out, len, "tgtx-recover-%s.state", u);
}

int rc_cmd_restore(const struct rc_opts *o, const char *vol_name)
{
	static struct rc_set s;
	struct rc_target t = {.fd = -1};
	struct rstate rs = {0};
	struct sigaction sa;
	char path[4096], list[80], why[120], tm[48];
	bool resuming = false;
	uint64_t want = 0, from = 0, t0;
	uint32_t use;
	int rc;

	memset(&s, 0, sizeof(s));
	if (vol_name)
		snprintf(s.vol_name, sizeof(s.vol_name), "%s", vol_name);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc_open_sources(&s, o);
	rc = rc_check_volume(&s);
	if (rc)
		goto out;
	default_state_path(o, &s, path, sizeof(path));
	rs.path = path;
	rs.t = &t;
	if (!o->restart) {
		int ret = rc_state_load(path, &rs.st, why, sizeof(why));

		if (!ret) {
			if (memcmp(rs.st.uuid, s.uuid, 16) ||
			    rs.st.nblocks > s.nblocks ||
			    rs.st.block_size != s.block_size ||
			    rs.st.target_crc !=
				    crc32c(0, o->to, strlen(o->to))) {
				fprintf(stderr,
					"tgtx-recover: progress file %s is of "
					"another volume or target: remove it "
					"or give --restart\n",
					path);
				rc = RC_EX_REFUSED;
				goto out;
			}
			resuming = true;
			want = rs.st.seq;
			from = rs.st.done_blocks;
		} else if (ret != -ENOENT) {
			fprintf(stderr,
				"tgtx-recover: progress file %s: %s: remove "
				"it or give --restart\n",
				path, why);
			rc = RC_EX_REFUSED;
			goto out;
		}
	}
	if (resuming && o->have_before) {
		rc = rc_pick_point(&s, o, 0);
		if (rc)
			goto out;
		if (s.seq != want) {
			fprintf(stderr,
				"tgtx-recover: the interrupted restore in %s "
				"is of seq %" PRIu64
				", --before now gives seq %" PRIu64
				": refusing to mix two points in one target "
				"(give --restart to start over)\n",
				path, want, s.seq);
			rc = RC_EX_REFUSED;
			goto out;
		}
	}
	rc = rc_pick_point(&s, o, want);
	if (!rc && resuming && rs.st.nblocks != s.nblocks) {
		fprintf(stderr,
			"tgtx-recover: the interrupted restore in %s is of "
			"%" PRIu64 " blocks, seq %" PRIu64 " has %" PRIu64
			" (give --restart to start over)\n",
			path, rs.st.nblocks, s.seq, s.nblocks);
		rc = RC_EX_REFUSED;
	}
	if (rc)
		goto out;
	if (o->reprotect && resuming) {
		/* the seed needs the generation of every block, read while
		 * rebuilding it: one whole run */
		fprintf(stderr,
			"tgtx-recover: --reprotect needs the whole restore in "
			"one run; %s holds an earlier one: give --restart\n",
			path);
		rc = RC_EX_REFUSED;
		goto out;
	}
	if (o->reprotect) {
		s.gmap = calloc(s.nblocks, sizeof(*s.gmap));
		if (!s.gmap) {
			rc = RC_EX_ERROR;
			goto out;
		}
	}
	if (resuming && rs.st.complete && !o->verify) {
		rc_format_time(s.seq_ns, tm, sizeof(tm));
		printf("already restored (progress file %s): seq %" PRIu64
		       " of %s; nothing to do\n",
		       path, s.seq, tm);
		goto out;
	}
	rc_measure(&s, s.mask, o->measure_bytes);
	use = rc_choose(&s, 0, o->given_order);
	print_volume(&s);
	print_sources(&s);
	print_point(&s, "restoring the point");
	indexes(&s, use, list, sizeof(list));
	printf("using shares %s%s\n", list,
	       o->given_order ? " (in the order given)" : " (fastest)");
	if (resuming)
		printf("continuing an interrupted restore at block %" PRIu64
		       " of %" PRIu64 " (%s)\n",
		       from, s.nblocks, path);
	fflush(stdout);
	rc = rc_target_open(&t, o, s.nblocks * s.block_size, resuming);
	if (rc)
		goto out;
	if (!resuming) {
		memcpy(rs.st.uuid, s.uuid, 16);
		rs.st.seq = s.seq;
		rs.st.seq_ns = s.seq_ns;
		rs.st.nblocks = s.nblocks;
		rs.st.block_size = s.block_size;
		rs.st.target_crc = crc32c(0, o->to, strlen(o->to));
		rs.st.started_ns = rc_now_ns();
		rs.st.done_blocks = 0;
		if (rc_state_save(path, &rs.st)) {
			fprintf(stderr, "tgtx-recover: progress file %s: %s\n",
				path, strerror(errno));
			rc = RC_EX_ERROR;
			goto out;
		}
	}
	t0 = loop_now_ns();
	if (!rs.st.complete) {
		rc = rc_rebuild(&s, o, &t, RC_PASS_RESTORE, from, use,
				save_progress, &rs);
		if (!rc && rs.err)
			rc = RC_EX_ERROR;
		if (rc)
			goto out;
		rs.st.complete = true;
		save_progress(&rs, s.nblocks);
		if (rs.err) {
			rc = RC_EX_ERROR;
			goto out;
		}
		double secs = (double)(loop_now_ns() - t0) / 1e9;
		char r[24];

		rc_format_bytes((double)((s.nblocks - from) * s.block_size) /
					(secs > 0 ? secs : 1e-9),
				r, sizeof(r));
		printf("restored %" PRIu64 " blocks in %.2f s (%s/s)\n",
		       s.nblocks - from, secs, r);
		/* what the pace reached (a long round trip grows it) */
		printf("reads in flight per peer, at most:");
		for (unsigned j = 0; j < s.count; j++)
			if (s.src[j].depth_max)
				printf(" share %u: %u", s.src[j].info->index,
				       s.src[j].depth_max);
		printf("\n");
	}
	if (o->verify) {
		uint32_t vuse = rc_choose(&s, use, o->given_order);

		indexes(&s, vuse, list, sizeof(list));
		printf("verifying: re-reading shares %s and the target\n",
		       list);
		fflush(stdout);
		rc = rc_rebuild(&s, o, &t, RC_PASS_VERIFY, 0, vuse, NULL, NULL);
		if (rc)
			goto out;
		printf("verify: the target equals the shares\n");
	}
	if (o->reprotect) {
		rc = rc_write_seed(&s, o);
		if (rc)
			goto out;
	}
	rc_format_time(s.seq_ns, tm, sizeof(tm));
	printf("restored point: seq %" PRIu64 ", written %s; writes after it "
	       "were lost (RPO %.1f s before now)\n",
	       s.seq, tm,
	       s.seq_ns && rc_now_ns() > s.seq_ns
		       ? (double)(rc_now_ns() - s.seq_ns) / 1e9
		       : 0.0);
out:
	rc_target_close(&t);
	rc_close_sources(&s);
	free(s.gmap);
	return rc;
}

int rc_probe(const struct rc_opts *o, uint64_t *seq, uint64_t *seq_ns,
	     unsigned *reachable)
{
	static struct rc_set s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc_open_sources(&s, o);
	*reachable = 0;
	for (unsigned i = 0; i < s.count; i++)
		*reachable += s.src[i].state == RC_SRC_OK;
	rc = rc_check_volume(&s);
	if (!rc)
		rc = rc_pick_point(&s, o, 0);
	if (!rc) {
		*seq = s.seq;
		*seq_ns = s.seq_ns;
	}
	rc_close_sources(&s);
	return rc;
}

/*
 * The volume key back from k share volumes' key-share blobs (SV_BLOB_KEY,
 * the key split (k,n) once by tgtx-replicd): the first step of reprotect
 * (doc/dr-runbook.md). Shares that do not combine are left out in turn.
 */
int rc_cmd_key(const struct rc_opts *o, const char *out)
{
	static struct rc_set s;
	uint8_t key[XS_KEY_SIZE];
	char list[80];
	uint32_t used = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	rc_open_sources(&s, o);
	rc = rc_check_volume(&s);
	if (!rc)
		rc = rc_volume_key(&s, key, &used);
	if (rc)
		goto out;
	rc = write_path_atomic(out, key, sizeof(key), 0600);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc) {
		fprintf(stderr, "tgtx-recover: %s: %s\n", out, strerror(-rc));
		rc = RC_EX_ERROR;
		goto out;
	}
	indexes(&s, used, list, sizeof(list));
	printf("volume key (%d bytes) written to %s (mode 0600), from the key "
	       "shares of shares %s\n",
	       XS_KEY_SIZE, out, list);
	rc = RC_EX_OK;
out:
	rc_close_sources(&s);
	return rc;
}
