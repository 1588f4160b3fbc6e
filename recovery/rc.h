/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tgtx-recover's check and restore (doc/dr-runbook.md): share sources (one
 * peer LUN holding one share volume each), the choice of the restore point
 * and of the peers, the pipelined rebuild and the resumable progress file.
 */
#ifndef TGTX_RC_H
#define TGTX_RC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"
#include "replicator/peer.h"
#include "replicator/sv.h"

/* Exit codes of check/restore (also in doc/man/tgtx-recover.8). */
enum {
	RC_EX_OK = 0,
	RC_EX_USAGE = 1,
	RC_EX_ERROR = 2,   /* target I/O, memory, unreachable node */
	RC_EX_REFUSED = 3, /* kit, TLS, progress file of another restore */
	RC_EX_NOPOINT = 4, /* fewer than k consistent shares / no point */
	RC_EX_DATA = 5,	   /* a block no k-subset rebuilds, verify differs */
	RC_EX_STOPPED = 6, /* interrupted: progress saved, rerun continues */
};

struct rc_opts {
	const char *urls[SV_MAX_N];
	/* per share: PEER_TRANSPORT_* (default plain) and, for TLS, the
	 * partner tgtxd's pin; key is our node key (in memory: from --key
	 * or the DR kit, never written), shown to it */
	int transports[SV_MAX_N];
	const char *pins[SV_MAX_N];
	unsigned nurls;
	const struct nodekey *key;
	const char *to, *state_file, *initiator;
	const char *reprotect; /* seed file to write (rc_reprotect.c) */
	int op_timeout_ms;
	uint64_t rate; /* per peer bytes/s, 0 = unlimited */
	bool have_before;
	uint64_t before_ns;
	bool verify, given_order, force, restart;
	int progress; /* -1 auto, 0 plain lines, 1 bar */
	size_t chunk_bytes;
	unsigned window, depth;
	uint64_t measure_bytes;
};

enum rc_src_state { RC_SRC_OK, RC_SRC_DOWN, RC_SRC_UNUSABLE };

struct rc_src {
	unsigned pos; /* in the --share list */
	const char *url;
	struct peer *p;
	struct sv_reader *r;
	const struct sv_info *info; /* valid while r lives */
	struct sv_range rg;
	enum rc_src_state state;
	double rate_bps; /* measured sequential read rate, 0 = not measured */
	unsigned bad_chunks;
	bool tls_failed; /* refused by TLS authentication (SV_E_TLS) */
	char why[240];
	/* the most reads in flight the restore reached */
	unsigned depth_max;
};

/* Every share source given, and the point chosen. */
struct rc_set {
	struct rc_src src[SV_MAX_N];
	unsigned count;
	unsigned k, n;
	uint8_t uuid[16];
	uint32_t block_size;
	uint64_t nblocks;
	uint64_t seq, seq_ns; /* the restore point */
	uint32_t mask;	      /* sources that can restore seq */
	char vol_name[80];    /* from the location table, if known */
	/* --reprotect: the generation of every block as restored, the
	 * newest generation read and the shares' check type */
	uint64_t *gmap;
	uint64_t gen_max;
	uint8_t check;
};

/* ---- rc_source.c ---- */
/* Connects to every URL in parallel and opens its share volume; failures
 * are named in src[].why and leave the source DOWN or UNUSABLE. */
void rc_open_sources(struct rc_set *s, const struct rc_opts *o);
void rc_close_sources(struct rc_set *s);
/* Checks the usable sources are shares of one volume; RC_EX_*. */
int rc_check_volume(struct rc_set *s);
/* Picks the point (newest, or newest <= before_ns, or want_seq if not 0)
 * and the sources that can serve it; RC_EX_*, message on stderr. */
int rc_pick_point(struct rc_set *s, const struct rc_opts *o, uint64_t want_seq);
/* Time of a seq a source holds (record or checkpoint time); 0 unknown. */
uint64_t rc_seq_time(struct rc_set *s, uint64_t seq);
/* Times a short sequential read of each source in mask. */
void rc_measure(struct rc_set *s, uint32_t mask, uint64_t bytes);
/* The k sources to use first: fastest (or in the order given), avoiding
 * those in avoid when possible. */
uint32_t rc_choose(const struct rc_set *s, uint32_t avoid, bool given_order);
/* "share 2 (iscsi://...)" */
const char *rc_src_name(const struct rc_src *src, char *buf, size_t len);

/* ---- rc_target.c ---- */
struct rc_target {
	const char *name;
	int fd;		/* file / block device */
	struct peer *p; /* iscsi:// */
	bool regular, fresh;
	uint64_t size;
};
int rc_target_open(struct rc_target *t, const struct rc_opts *o, uint64_t size,
		   bool resuming);
int rc_target_write(struct rc_target *t, uint64_t off, const void *buf,
		    size_t len);
/*
 * nb blocks of bs bytes at off; zero[b] marks a zero block whose bytes in
 * buf are undefined: zeroed in buf and written, except that in a fresh
 * file a run of them of at least RC_ZERO_SKIP bytes (or all nb) is left a
 * hole, which reads zero: no copy into the page cache, no block
 * allocated. A shorter run is written: an extra pwrite costs about as
 * much as copying a few pages.
 */
#define RC_ZERO_SKIP (16u << 10)
int rc_target_write_blocks(struct rc_target *t, uint64_t off, uint8_t *buf,
			   const uint8_t *zero, unsigned nb, size_t bs);
int rc_target_read(struct rc_target *t, uint64_t off, void *buf, size_t len);
int rc_target_sync(struct rc_target *t);
void rc_target_close(struct rc_target *t);

/* ---- rc_state.c: the progress file (format rc_format.h) ---- */
struct rc_state {
	uint8_t uuid[16];
	uint64_t seq, seq_ns, nblocks, done_blocks, started_ns;
	uint32_t block_size, target_crc;
	bool complete;
};
int rc_state_load(const char *path, struct rc_state *st, char *why,
		  size_t wlen);
int rc_state_save(const char *path, const struct rc_state *st);

/* ---- rc_progress.c ---- */
struct rc_progress {
	bool bar;
	const char *what;
	uint64_t total, done, base; /* base: done before this run */
	uint64_t start_ns, last_ns;
};
void rc_progress_init(struct rc_progress *pg, int mode, const char *what,
		      uint64_t total, uint64_t done);
void rc_progress_update(struct rc_progress *pg, uint64_t done, bool final);

/* ---- rc_restore.c ---- */
enum rc_pass { RC_PASS_RESTORE, RC_PASS_VERIFY };
/* Rebuilds blocks [from, nblocks) as of s->seq with the sources in use
 * (a k-subset, others as spares) into t (or compares with t); RC_EX_*. */
int rc_rebuild(struct rc_set *s, const struct rc_opts *o, struct rc_target *t,
	       enum rc_pass pass, uint64_t from, uint32_t use,
	       void (*checkpoint)(void *arg, uint64_t done), void *arg);
/* ---- rc_reprotect.c ---- */
/* The volume key from k key-share blobs; *used = sources combined. */
int rc_volume_key(struct rc_set *s, uint8_t key[16], uint32_t *used);
/* After a complete restore with s->gmap: writes the seed o->reprotect. */
int rc_write_seed(struct rc_set *s, const struct rc_opts *o);

/* Set by SIGINT/SIGTERM: the rebuild stops at a chunk boundary. */
extern volatile int rc_stop;

/* ---- rc_cmd.c: the commands (vol_name: from a location table, or NULL) ----
 */
int rc_cmd_check(const struct rc_opts *o, const char *vol_name);
int rc_cmd_restore(const struct rc_opts *o, const char *vol_name);
/* The volume key from k key-share blobs into out (0600); RC_EX_*. */
int rc_cmd_key(const struct rc_opts *o, const char *out);
/* check's probe for `list`: the newest point, k/n reachable; RC_EX_*. */
int rc_probe(const struct rc_opts *o, uint64_t *seq, uint64_t *seq_ns,
	     unsigned *reachable);

/* ---- rc_time.c ---- */
/* "2026-11-27T03:40:00Z", "2026-11-27 03:40:00" (UTC), "@SECONDS[.FRAC]"
 * or "-30m" (ago: s, m, h, d); 0 or -EINVAL. */
int rc_parse_time(const char *s, uint64_t now_ns, uint64_t *ns);
/* "2026-11-27T03:40:00.123Z" */
void rc_format_time(uint64_t ns, char *out, size_t len);
/* "12.3 MB", "1.2 GB/s" style, 1000-based */
void rc_format_bytes(double b, char *out, size_t len);
uint64_t rc_now_ns(void);

#endif
