/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * State of one xorshare LUN, shared by the store (bs_xorshare.c) and its
 * baseline pass (xs_baseline.c). Fields marked [W] belong to the writer
 * thread; [M] are guarded by mu, [V] by vmu; [L] belong to the event loop.
 */
#ifndef TGTX_BS_XORSHARE_PRIV_H
#define TGTX_BS_XORSHARE_PRIV_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bs/bs.h"
#include "sharelog.h"
#include "xs_meta.h"

struct xs_ctx;

/* A volume change whose record is in the log but not yet in the volume. */
struct xs_apply {
	struct bs_req *req; /* NULL for none to report to */
	enum sl_rec_type type;
	uint64_t offset, len;
	const uint8_t *src;
};

/*
 * One logged batch on its way to the volume: the writer thread fills it
 * (requests, then their volume changes once the log holds them durably),
 * the volume thread writes it and completes the requests. A ring of these
 * hands batches over in log order.
 */
#define XS_BATCH_MAX 64
#define XS_VQ_DEPTH  3
struct xs_vjob {
	struct bs_req *reqs[XS_BATCH_MAX];
	unsigned nr;
	struct xs_apply *pend;
	size_t nr_pend, cap_pend;
	bool need_sync; /* some request needs the volume durable */
};

struct req_fifo {
	struct bs_req *head, *tail; /* linked through bs_priv */
};

struct xs_dev {
	struct bs_dev *dev;
	int vol_fd;
	uint64_t size;
	char logdir[PATH_MAX];
	struct xs_meta meta;
	enum sl_full_policy full;
	uint32_t chunk; /* largest data length of one record */
	uint32_t max_rec;

	/* [W] */
	struct sharelog *sl;
	struct xs_ctx *ctx;
	uint8_t *bbuf;
	struct xs_apply *pend;
	size_t nr_pend, cap_pend;
	uint64_t applied;    /* every seq <= this is in the volume, or queued
				for it in the ring (vol_quiesce() waits) */
	uint64_t vol_synced; /* ... and durable there */
	uint64_t last_ckpt_ms, last_reload_ms;
	uint64_t base_next, base_size, base_saved_ms;
	unsigned batches;

	/* [M] */
	pthread_mutex_t mu;
	pthread_cond_t wcond;
	struct req_fifo wq, doneq;
	bool stop;
	bool blocked; /* block policy: writes wait for space */
	struct sharelog_stats snap;
	struct sharelog_peer snap_peer[SL_MAX_N];
	char snap_alert[256];
	uint64_t snap_base_next, snap_base_size;
	uint64_t nr_records, nr_writes;

	/*
	 * [V] guarded by vmu (not mu, which the event loop takes per request):
	 * the ring of logged batches; [vhead, vhead + vcount) wait for the
	 * volume thread.
	 */
	pthread_mutex_t vmu;
	struct xs_vjob vjobs[XS_VQ_DEPTH];
	unsigned vhead, vcount;
	bool vstop;
	pthread_cond_t vcond; /* volume thread: a batch was queued */
	pthread_cond_t vfree; /* writer thread: a batch was written */

	pthread_t wthr, vthr;
	bool have_wthr, have_vthr;
	/* [L] */
	int efd;
	struct loop_fd lfd;
	struct loop_defer free_defer;
};

/* Writer thread: appends a record covering [off, off+len) of src. */
int xs_log_data(struct xs_dev *xd, struct bs_req *req, uint64_t off,
		uint64_t len, const uint8_t *src, bool apply);
/* Writer thread: appends an UNMAP record (range reads as zeroes). */
int xs_log_zero(struct xs_dev *xd, struct bs_req *req, uint64_t off,
		uint64_t len, bool apply);
/* Writer thread: one baseline step; returns true while work remains. */
bool xs_baseline_step(struct xs_dev *xd);
/* Writer thread: sets up the baseline at open (first protection). */
int xs_baseline_init(struct xs_dev *xd, bool new_volume);
int xs_pread_all(int fd, void *buf, size_t len, uint64_t off);

#endif
