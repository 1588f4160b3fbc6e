/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * State of one xorshare LUN, shared by the store's files (glue, writer,
 * volume thread, activity log, baseline). Fields marked [W] belong to the
 * writer thread; [M] are guarded by mu, [V] by vmu; [L] belong to the
 * event loop; [R] are written under rmu by the writer.
 */
#ifndef TGTX_BS_XORSHARE_PRIV_H
#define TGTX_BS_XORSHARE_PRIV_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bs/bs.h"
#include "core/loop.h"
#include "bs_xorshare/log/sharelog.h"
#include "bs_xorshare/log/sl_genmap.h"
#include "xs_al.h"
#include "xs_meta.h"
#include "xs_status.h"
#include "xs_throttle.h"

/* A volume change whose record is in the log but not yet in the volume. */
struct xs_apply {
	struct bs_req *req; /* NULL for none to report to */
	enum sl_rec_type type;
	uint64_t offset, len;
	const uint8_t *src;
	bool own_src; /* src is a private copy, freed once written */
};

/*
 * One logged batch on its way to the volume: the writer thread fills it,
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
	uint64_t seq;	/* newest record of the batch (and of the log then) */
};

struct req_fifo {
	struct bs_req *head, *tail; /* linked through bs_priv */
};

struct xs_dev {
	struct bs_dev *dev;
	int vol_fd;
	uint64_t size;
	uint32_t bs; /* block size: the unit of sharing */
	char logdir[PATH_MAX];
	struct xs_meta meta;
	enum sl_full_policy full;
	uint32_t chunk; /* largest data length of one record */
	uint32_t al_cap;
	unsigned throttle_pct; /* bsopts throttle=P%: 0 off */
	/* test switches (environment, read once at open, logged loudly) */
	bool test_ack_before_log, test_break_al;
	int nonce_fd; /* TGTX_TEST_XS_NONCE_LOG: (lba, gen, crc) per block */

	/* [W] */
	struct sharelog *sl;
	struct sl_genmap *gm;
	struct xs_al *al;
	uint8_t *bbuf;
	struct xs_apply *pend;
	size_t nr_pend, cap_pend;
	uint64_t last_reload_ms, last_req_ms, last_busy_sync_ms;
	uint64_t last_throttle_alert_ms;
	uint32_t throttle_us_w; /* last delay published to throttle_us */
	struct sl_peer_status_info status[SL_MAX_N];
	bool have_status[SL_MAX_N];
	uint64_t base_next, base_size, base_saved_ms;
	uint64_t *relog; /* extents to re-log after an unclean stop */
	uint32_t nr_relog, relog_done;
	uint64_t relog_off; /* next byte within relog[relog_done] */
	bool scan_map;	    /* unclean stop: check the map before writing */
	unsigned batches;

	/* [M] */
	pthread_mutex_t mu;
	pthread_cond_t wcond;
	struct req_fifo wq, doneq;
	bool stop;
	bool blocked;	      /* block policy: writes wait for space */
	uint32_t throttle_us; /* delay before each batch now (soft limit) */
	struct sl_peer_status_info snap_status[SL_MAX_N];
	bool snap_have_status[SL_MAX_N];
	struct sharelog_stats snap;
	struct sharelog_peer snap_peer[SL_MAX_N];
	char snap_alert[256];
	uint64_t snap_base_next, snap_base_size;
	uint32_t snap_relog_left, snap_al_hot;
	uint64_t snap_al_txns;
	uint64_t nr_records, nr_writes;

	/* [R] held by the writer while it logs; resync readers take it */
	pthread_mutex_t rmu;

	/* [V] the ring of logged batches; [vhead, vhead+vcount) queued */
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

/* ---- xs_writer.c (writer thread) ---- */
void *xs_writer_main(void *arg);
/* Appends records covering [off, off+len) of src (split at extents). */
int xs_log_data(struct xs_dev *xd, struct bs_req *req, uint64_t off,
		uint64_t len, const uint8_t *src, bool apply, bool own_src);
/* Appends UNMAP records (range reads as zeroes). */
int xs_log_zero(struct xs_dev *xd, struct bs_req *req, uint64_t off,
		uint64_t len, bool apply);
/* Makes log, volume and map durable and writes an empty activity log. */
int xs_clean_stop(struct xs_dev *xd);
void xs_snapshot(struct xs_dev *xd);
/* Reads the replicator's status.<i> files (writer thread, or at open). */
void xs_read_statuses(struct xs_dev *xd);

/* ---- xs_volume.c ---- */
void *xs_volume_main(void *arg);
struct xs_vjob *xs_vjob_get(struct xs_dev *xd);
void xs_vjob_publish(struct xs_dev *xd, struct xs_vjob *j, uint64_t bytes);
/* Writer: waits until every queued batch is in the volume. */
void xs_vol_quiesce(struct xs_dev *xd);
void xs_vol_stop(struct xs_dev *xd);
void xs_apply_list(struct xs_dev *xd, struct xs_apply *list, size_t nr);
void xs_post_done(struct xs_dev *xd, struct bs_req **batch, unsigned nr);
void xs_set_req_error(struct bs_req *req, int err);
int xs_pread_all(int fd, void *buf, size_t len, uint64_t off);

/* ---- xs_baseline.c: baseline of new ranges and re-log after a crash ---- */
bool xs_baseline_step(struct xs_dev *xd);
int xs_baseline_init(struct xs_dev *xd, bool new_volume, uint64_t old_size);
/* bsopts reprotect=FILE (xs_reprotect.c): a new log directory from a
 * tgtx-recover seed; *seeded false when the directory already exists. */
int xs_reprotect_prepare(struct xs_dev *xd, const char *path, unsigned k,
			 unsigned n, uint8_t check, bool *seeded,
			 uint64_t **revert, uint32_t *nr_revert, char *err,
			 size_t errlen);
bool xs_relog_step(struct xs_dev *xd);
int xs_recovery_scan(struct xs_dev *xd);

#endif
