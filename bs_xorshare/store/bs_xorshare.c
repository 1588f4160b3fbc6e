// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The xorshare backing store: a local volume served like rdwr, plus a share
 * log holding every change once (data + generations), from which the n
 * shares are derived when they are sent. doc/sharelog.md.
 *
 * This file is the bs_ops glue: options, open (files, recovery set-up),
 * submission, close, show and the VPD page. The writer thread
 * (xs_writer.c) logs, the volume thread (xs_volume.c) writes the volume,
 * reads go to the volume through the shared aio engine like rdwr, and
 * xs_al.c keeps the volume from ever holding a change the log can lose.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bs/aio.h"
#include "bs_xorshare.h"
#include "bs_xorshare_priv.h"
#include "bs_xorshare/codec/xorshare.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "bs_xorshare/log/sl_pio.h"
#include "bs_xorshare/log/sl_resync.h"

#define XS_DEFAULT_LOG_SIZE (1ULL << 30)
/* Data per record: one pwritev of up to 1 MiB, the request's own buffer. */
#define XS_MAX_CHUNK (1U << 20)
#define XS_MIN_CHUNK 4096U
/*
 * Hot extents (4 MiB each) kept without a flush: 4 GiB. Bigger means fewer
 * activity-log transactions under scattered writes, more to re-log after a
 * crash.
 */
#define XS_DEFAULT_AL_EXTENTS 1024

static const uint8_t xs_vpd_list[] = {XS_VPD_PAGE};

_Static_assert(XS_META_CHECK_CRC == XS_CHECK_CRC4, "meta check values");
_Static_assert(XS_META_CHECK_SHA256 == XS_CHECK_SHA256, "meta check values");
_Static_assert(SL_KEY_BYTES == XS_KEY_SIZE, "key size");

static const char *check_name(uint8_t check)
{
	return check == XS_META_CHECK_SHA256 ? "sha256" : "crc";
}

/*
 * bsopts check=crc|sha256: the codec's integrity check of derived shares.
 * A CRC catches corruption, but it is linear: whoever holds a share could
 * change it so the combined data still passes. SHA-256 also resists that.
 */
static int parse_check_opt(const char *opts, uint8_t *want, char *err,
			   size_t errlen)
{
	char v[16];

	*want = 0; /* absent: as the metadata says */
	if (!bs_opt_get(opts, "check", v, sizeof(v)))
		return 0;
	if (!strcmp(v, "crc")) {
		*want = XS_META_CHECK_CRC;
	} else if (!strcmp(v, "sha256")) {
		*want = XS_META_CHECK_SHA256;
	} else {
		snprintf(err, errlen, "xorshare: check=%s: use crc or sha256",
			 v);
		return -EINVAL;
	}
	return 0;
}

static int apply_check_opt(struct xs_dev *xd, uint8_t want, char *err,
			   size_t errlen)
{
	int ret;

	if (!want || want == xd->meta.check)
		return 0;
	xd->meta.check = want;
	ret = xs_meta_store(xd->logdir, &xd->meta);
	if (ret) {
		snprintf(err, errlen, "xorshare %s/meta: %s", xd->logdir,
			 strerror(-ret));
		return ret;
	}
	log_info("xorshare %s: shares derived with check=%s", xd->logdir,
		 check_name(want));
	return 0;
}

/* ---- event loop side ---- */

static void on_done(struct loop_fd *lfd, uint32_t events)
{
	struct xs_dev *xd = container_of(lfd, struct xs_dev, lfd);
	struct bs_req *r;
	uint64_t v;

	if (read(xd->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_err("%s: eventfd read: %s", xd->dev->label,
			strerror(errno));
	pthread_mutex_lock(&xd->mu);
	r = xd->doneq.head;
	xd->doneq.head = xd->doneq.tail = NULL;
	pthread_mutex_unlock(&xd->mu);
	while (r) {
		struct bs_req *next = r->bs_priv;

		bs_complete(r, (int)(int64_t)r->bs_u64);
		r = next;
	}
}

/* A read in flight on the aio engine. */
struct xs_read {
	struct aio_req aio;
	struct xs_dev *xd;
	struct bs_req *req;
};

static void read_done(struct aio_req *a, int res)
{
	struct xs_read *rd = container_of(a, struct xs_read, aio);
	struct bs_req *req = rd->req;

	if (res)
		log_err("%s: volume read of %" PRIu64 " bytes at %" PRIu64
			": %s",
			rd->xd->dev->label, req->len, req->offset,
			strerror(-res));
	else if (a->xfer < req->len) /* past the end reads as zeroes */
		memset((uint8_t *)req->buf + a->xfer, 0, req->len - a->xfer);
	free(rd);
	bs_complete(req, res ? -EIO : 0);
}

/*
 * Reads go straight to the volume like rdwr: every write that completed is
 * already there, and overlapping in-flight writes are unordered in SCSI.
 */
static void submit_read(struct xs_dev *xd, struct bs_req *req)
{
	struct xs_read *rd;
	int ret;

	if (!req->len) {
		bs_complete(req, 0);
		return;
	}
	rd = malloc(sizeof(*rd));
	if (!rd) {
		bs_complete(req, -ENOMEM);
		return;
	}
	rd->xd = xd;
	rd->req = req;
	aio_prep(&rd->aio, AIO_OP_READ, xd->vol_fd, req->buf, req->len,
		 req->offset, read_done, NULL);
	ret = aio_submit(&rd->aio);
	if (ret < 0) {
		log_err("%s: volume read: %s", xd->dev->label, strerror(-ret));
		free(rd);
		bs_complete(req, -EIO);
	}
}

static void queue_write(struct xs_dev *xd, struct bs_req *req)
{
	pthread_mutex_lock(&xd->mu);
	req->bs_priv = NULL;
	if (xd->wq.tail)
		xd->wq.tail->bs_priv = req;
	else
		xd->wq.head = req;
	xd->wq.tail = req;
	pthread_cond_signal(&xd->wcond);
	pthread_mutex_unlock(&xd->mu);
}

static bool in_range(struct xs_dev *xd, struct bs_req *req)
{
	return req->offset <= xd->size && req->len <= xd->size - req->offset &&
	       !(req->offset % xd->bs) && !(req->len % xd->bs);
}

static void xs_submit(struct bs_dev *dev, struct bs_req *req)
{
	struct xs_dev *xd = dev->priv;

	if (!in_range(xd, req)) {
		bs_complete(req, -EINVAL);
		return;
	}
	if (req->op == BS_READ) {
		submit_read(xd, req);
		return;
	}
	if (req->op != BS_WRITE || dev->read_only) {
		bs_complete(req, dev->read_only ? -EROFS : -EINVAL);
		return;
	}
	queue_write(xd, req);
}

static void xs_flush(struct bs_dev *dev, struct bs_req *req)
{
	queue_write(dev->priv, req);
}

static void xs_unmap(struct bs_dev *dev, struct bs_req *req)
{
	struct xs_dev *xd = dev->priv;

	if (!in_range(xd, req)) {
		bs_complete(req, -EINVAL);
		return;
	}
	queue_write(xd, req);
}

/* ---- open / close ---- */

static void xs_free(struct xs_dev *xd)
{
	if (!xd)
		return;
	xs_al_close(xd->al);
	sl_genmap_close(xd->gm);
	sharelog_close(xd->sl);
	if (xd->vol_fd >= 0) {
		sl_pio_forget(xd->vol_fd);
		close(xd->vol_fd);
	}
	if (xd->efd >= 0)
		close(xd->efd);
	if (xd->nonce_fd >= 0)
		close(xd->nonce_fd);
	pthread_mutex_destroy(&xd->mu);
	pthread_cond_destroy(&xd->wcond);
	pthread_mutex_destroy(&xd->rmu);
	pthread_mutex_destroy(&xd->vmu);
	pthread_cond_destroy(&xd->vcond);
	pthread_cond_destroy(&xd->vfree);
	free(xd->bbuf);
	free(xd->pend);
	free(xd->relog);
	for (unsigned i = 0; i < XS_VQ_DEPTH; i++)
		free(xd->vjobs[i].pend);
	free(xd);
}

static int volume_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

static bool is_block_dev(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISBLK(st.st_mode);
}

/* A share log directory is never a volume, nor inside one's log. */
static bool path_in_logdir(const char *path, const char *logdir)
{
	char rp[PATH_MAX], rl[PATH_MAX], parent[PATH_MAX];
	struct xs_meta m;
	char *slash;
	size_t ll;

	if (!realpath(path, rp))
		return false;
	snprintf(parent, sizeof(parent), "%s", rp);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		if (!xs_meta_load(parent[0] ? parent : "/", &m))
			return true;
	}
	if (!realpath(logdir, rl))
		return false;
	ll = strlen(rl);
	return !strncmp(rp, rl, ll) && (rp[ll] == '/' || rp[ll] == '\0');
}

static int setup_meta(struct xs_dev *xd, unsigned k, unsigned n, bool force,
		      bool *is_new, uint64_t *old_size, char *err,
		      size_t errlen)
{
	int ret = sl_check_format_version(xd->logdir, err, errlen);

	*is_new = false;
	if (ret)
		return ret;
	ret = xs_meta_load(xd->logdir, &xd->meta);
	if (!ret && xd->size < xd->meta.size && !force) {
		/* the peers' share volumes and every restore point hold the
		 * larger size: blocks past the new end would come back */
		snprintf(err, errlen,
			 "xorshare %s: volume is %" PRIu64 " bytes, smaller "
			 "than the %" PRIu64 " it protects: shrinking is "
			 "refused; grow it back, or add force=1 to bsopts to "
			 "re-protect it (new log, key and baseline)",
			 xd->logdir, xd->size, xd->meta.size);
		return -EINVAL;
	}
	if (!ret && (xd->meta.k != k || xd->meta.n != n ||
		     xd->meta.block_size != xd->dev->block_size ||
		     xd->size < xd->meta.size)) {
		char old[PATH_MAX + 32];

		if (!force) {
			snprintf(err, errlen,
				 "xorshare %s: volume is protected with k=%u "
				 "n=%u block size %u; add force=1 to bsopts "
				 "to re-protect it (new log, key and "
				 "baseline)",
				 xd->logdir, xd->meta.k, xd->meta.n,
				 xd->meta.block_size);
			return -EINVAL;
		}
		snprintf(old, sizeof(old), "%s.old-%ld", xd->logdir,
			 (long)time(NULL));
		if (rename(xd->logdir, old) < 0) {
			ret = -errno;
			snprintf(err, errlen, "xorshare: moving %s aside: %s",
				 xd->logdir, strerror(-ret));
			return ret;
		}
		log_warn("xorshare: old share log moved to %s (forced "
			 "re-protection)",
			 old);
		ret = -ENOENT;
	}
	if (ret == -ENOENT) {
		uint8_t key[SL_KEY_BYTES];

		ret = xs_meta_new(&xd->meta, (uint8_t)k, (uint8_t)n,
				  xd->dev->block_size, xd->size);
		if (!ret)
			ret = sl_mkdir_p(xd->logdir);
		/* the key first: a meta file always has its key beside it */
		if (!ret)
			ret = sl_key_create(xd->logdir, xd->meta.uuid, key);
		explicit_bzero(key, sizeof(key));
		if (!ret)
			ret = xs_meta_store(xd->logdir, &xd->meta);
		if (ret) {
			snprintf(err, errlen, "xorshare %s/meta: %s",
				 xd->logdir, strerror(-ret));
			return ret;
		}
		*is_new = true;
		*old_size = 0;
		return 0;
	}
	if (ret) {
		snprintf(err, errlen, "xorshare %s/meta: %s", xd->logdir,
			 ret == -EBADMSG ? "bad checksum or format"
					 : strerror(-ret));
		return ret;
	}
	*old_size = xd->meta.size;
	/* a grown volume: meta is updated once the growth is logged
	 * (log_growth), so a crash in between logs it again */
	return 0;
	return 0;
}

/*
 * The volume is larger than meta says: SL_REC_GROW records (each at most
 * 2^31 blocks) go into the log, durable, before meta gets the new size, so
 * the replicator and every share volume learn the new size at one point of
 * the log order (before any write beyond the old end).
 */
static int log_growth(struct xs_dev *xd, uint64_t old_size, char *err,
		      size_t errlen)
{
	uint64_t lba = old_size / xd->bs, end = xd->size / xd->bs, seq = 0;
	int ret = 0;

	while (!ret && lba < end) {
		uint32_t nb = end - lba > (1U << 31) ? 1U << 31
						     : (uint32_t)(end - lba);

		ret = sharelog_append(xd->sl, SL_REC_GROW, lba, nb, 0, NULL,
				      &seq);
		lba += nb;
	}
	if (!ret)
		ret = sharelog_sync(xd->sl);
	if (!ret) {
		xd->meta.size = xd->size;
		ret = xs_meta_store(xd->logdir, &xd->meta);
	}
	if (ret) {
		snprintf(err, errlen,
			 "xorshare %s: logging the growth to %" PRIu64
			 " bytes: %s",
			 xd->logdir, xd->size, strerror(-ret));
		return ret;
	}
	log_warn("xorshare %s: volume grew from %" PRIu64 " to %" PRIu64
		 " bytes (logged at seq %" PRIu64 "); each share LUN must "
		 "have room for it",
		 xd->logdir, old_size, xd->size, seq);
	return 0;
}

/* Test switches: environment, read once per open, said loudly. */
static void read_test_switches(struct xs_dev *xd)
{
	const char *v = getenv("TGTX_TEST_XS_ACK_BEFORE_LOG");
	const char *nl = getenv("TGTX_TEST_XS_NONCE_LOG");

	xd->test_ack_before_log = v && !strcmp(v, "1");
	if (xd->test_ack_before_log)
		log_err("%s: TEST MODE TGTX_TEST_XS_ACK_BEFORE_LOG=1: writes "
			"complete BEFORE they are logged; data can be lost",
			xd->dev->label);
	v = getenv("TGTX_TEST_XS_BREAK_AL");
	xd->test_break_al = v && !strcmp(v, "1");
	if (xd->test_break_al)
		log_err("%s: TEST MODE TGTX_TEST_XS_BREAK_AL=1: the activity "
			"log is never written; a power loss breaks the log",
			xd->dev->label);
	xd->nonce_fd = -1;
	if (nl && *nl) {
		xd->nonce_fd = open(
			nl, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		log_warn("%s: TEST MODE: every block's generation noted in %s",
			 xd->dev->label, nl);
	}
}

/*
 * After an unclean stop: the extents of the last activity-log transaction
 * are re-logged from the volume by the writer thread, which first also
 * checks the generation map of every other extent (xs_recovery_scan); they
 * stay hot and pinned until re-logged. Nothing here reads more than the
 * activity log: the event loop (other LUNs) never waits for a recovery.
 */
static int setup_recovery(struct xs_dev *xd, uint64_t *hot, uint32_t nr_hot,
			  char *err, size_t errlen)
{
	int ret;

	xd->relog = hot;
	xd->nr_relog = nr_hot;
	if (!nr_hot)
		return 0;
	log_warn("xorshare %s: unclean stop: %u extent(s) of the activity log "
		 "will be re-logged from the volume",
		 xd->logdir, nr_hot);
	xd->scan_map = true;
	xs_al_new_epoch(xd->al);
	for (uint32_t i = 0; i < xd->nr_relog; i++) {
		xs_al_want(xd->al, xd->relog[i]);
		xs_al_pin(xd->al, xd->relog[i], true);
	}
	ret = xs_al_commit(xd->al);
	if (ret)
		snprintf(err, errlen, "xorshare %s/al: %s", xd->logdir,
			 strerror(-ret));
	return ret;
}

static int open_log(struct xs_dev *xd, uint64_t log_size, char *err,
		    size_t errlen)
{
	struct sharelog_cfg cfg;
	uint64_t *hot = NULL;
	uint32_t nr_hot = 0;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = xd->logdir;
	cfg.log_size = log_size;
	cfg.max_rec_len = SL_REC_HDR_SIZE + xd->chunk;
	cfg.block_size = xd->bs;
	cfg.k = xd->meta.k;
	cfg.n = xd->meta.n;
	memcpy(cfg.uuid, xd->meta.uuid, 16);
	cfg.full = xd->full;
	ret = sharelog_open(&xd->sl, &cfg, err, errlen);
	if (!ret)
		ret = sl_genmap_open(&xd->gm, xd->logdir, xd->meta.uuid, xd->bs,
				     false, err, errlen);
	if (!ret)
		ret = xs_al_open(&xd->al, xd->logdir, xd->meta.uuid,
				 (xd->size + SL_EXTENT_BYTES - 1) >>
					 SL_EXTENT_SHIFT,
				 xd->al_cap, xd->test_break_al, &hot, &nr_hot,
				 err, errlen);
	if (!ret)
		return setup_recovery(xd, hot, nr_hot, err, errlen);
	free(hot);
	return ret;
}

/*
 * Stops the writer thread (it leaves log, volume and map durable and the
 * activity log empty), then the volume thread, and leaves the event loop.
 */
static void xs_stop(struct xs_dev *xd)
{
	pthread_mutex_lock(&xd->mu);
	xd->stop = true;
	pthread_cond_broadcast(&xd->wcond);
	pthread_mutex_unlock(&xd->mu);
	if (xd->have_wthr)
		pthread_join(xd->wthr, NULL);
	xs_vol_stop(xd);
	loop_del_fd(&xd->lfd);
}

static const char *const xs_known_opts[] = {
	"k",	 "n",	       "log",	   "log_size",	"full", "force",
	"check", "al_extents", "throttle", "reprotect", NULL};

static int parse_opts(struct xs_dev *xd, const char *opts, unsigned *k,
		      unsigned *n, uint64_t *log_size, bool *force,
		      uint8_t *check, char *err, size_t errlen)
{
	uint64_t kk = 2, nn = 3, al = XS_DEFAULT_AL_EXTENTS;
	char v[PATH_MAX];
	int ret = bs_opt_check(opts, xs_known_opts, err, errlen);

	if (ret)
		return ret;
	if (bs_opt_uint(opts, "k", 255, &kk) ||
	    bs_opt_uint(opts, "n", 255, &nn) || kk < XS_MIN_K || kk > nn ||
	    nn > XS_MAX_N || nn > SL_MAX_N) {
		snprintf(err, errlen,
			 "xorshare: need %u <= k <= n <= %u in bsopts",
			 XS_MIN_K, XS_MAX_N);
		return -EINVAL;
	}
	*k = (unsigned)kk;
	*n = (unsigned)nn;
	*log_size = XS_DEFAULT_LOG_SIZE;
	if (bs_opt_get(opts, "log_size", v, sizeof(v)) &&
	    (bs_parse_size(v, log_size) || !*log_size)) {
		snprintf(err, errlen, "xorshare: bad log_size '%s'", v);
		return -EINVAL;
	}
	if (bs_opt_uint(opts, "al_extents", 1U << 20, &al) || al < 4) {
		snprintf(err, errlen,
			 "xorshare: al_extents must be a number from 4 to %u",
			 1U << 20);
		return -EINVAL;
	}
	xd->al_cap = (uint32_t)al;
	xd->throttle_pct = XS_THROTTLE_DEFAULT_PCT;
	if (bs_opt_get(opts, "throttle", v, sizeof(v)) &&
	    xs_throttle_parse(v, &xd->throttle_pct)) {
		snprintf(err, errlen,
			 "xorshare: throttle=%s: use a percentage of the log "
			 "from 1%% to 99%% (e.g. throttle=80%%) or off",
			 v);
		return -EINVAL;
	}
	if (parse_check_opt(opts, check, err, errlen))
		return -EINVAL;
	*force = false;
	if (bs_opt_bool(opts, "force", force)) {
		snprintf(err, errlen, "xorshare: force=1|0");
		return -EINVAL;
	}
	xd->full = SL_FULL_DROP_LAGGING;
	if (bs_opt_get(opts, "full", v, sizeof(v))) {
		if (!strcmp(v, "block")) {
			xd->full = SL_FULL_BLOCK;
		} else if (strcmp(v, "drop-lagging")) {
			snprintf(err, errlen,
				 "xorshare: full=%s: use drop-lagging or block",
				 v);
			return -EINVAL;
		}
	}
	if (!bs_opt_get(opts, "log", xd->logdir, sizeof(xd->logdir)) ||
	    !xd->logdir[0]) {
		snprintf(err, errlen,
			 "xorshare: bsopts need log=DIR (the share log)");
		return -EINVAL;
	}
	return 0;
}

static struct xs_dev *xs_alloc(struct bs_dev *dev)
{
	struct xs_dev *xd = calloc(1, sizeof(*xd));

	if (!xd)
		return NULL;
	xd->dev = dev;
	xd->vol_fd = xd->efd = xd->nonce_fd = -1;
	pthread_mutex_init(&xd->mu, NULL);
	pthread_cond_init(&xd->wcond, NULL);
	pthread_mutex_init(&xd->rmu, NULL);
	pthread_mutex_init(&xd->vmu, NULL);
	pthread_cond_init(&xd->vcond, NULL);
	pthread_cond_init(&xd->vfree, NULL);
	return xd;
}

static int xs_open(struct bs_dev *dev, const char *path, const char *opts,
		   char *err, size_t errlen)
{
	struct xs_dev *xd = xs_alloc(dev);
	unsigned k, n;
	uint64_t log_size, old_size = 0;
	bool force, is_new, seeded = false;
	uint8_t check;
	char seed[PATH_MAX];
	uint64_t *revert = NULL;
	uint32_t nr_revert = 0;
	int ret;

	if (!xd) {
		snprintf(err, errlen, "xorshare: out of memory");
		return -ENOMEM;
	}
	ret = parse_opts(xd, opts, &k, &n, &log_size, &force, &check, err,
			 errlen);
	if (ret)
		goto fail;
	if (path_in_logdir(path, xd->logdir)) {
		snprintf(err, errlen,
			 "xorshare: %s is inside a share log directory; a "
			 "share log is never a volume",
			 path);
		ret = -EINVAL;
		goto fail;
	}
	read_test_switches(xd);
	xd->bs = dev->block_size;
	xd->vol_fd =
		open(path, (dev->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	ret = xd->vol_fd < 0 ? -errno : volume_size(xd->vol_fd, &xd->size);
	if (ret) {
		snprintf(err, errlen, "xorshare: %s: %s", path, strerror(-ret));
		goto fail;
	}
	/* the volume holds data in the clear, like the log beside it */
	if (!dev->read_only && !is_block_dev(xd->vol_fd) &&
	    fchmod(xd->vol_fd, 0600) < 0)
		log_warn("xorshare %s: chmod 0600: %s", path, strerror(errno));
	xd->size -= xd->size % xd->bs;
	ret = 0;
	if (bs_opt_get(opts, "reprotect", seed, sizeof(seed)) && seed[0])
		ret = xs_reprotect_prepare(xd, seed, k, n, check, &seeded,
					   &revert, &nr_revert, err, errlen);
	if (ret)
		goto fail;
	if (seeded) {
		/* meta is written once the log is open and the re-log of
		 * the reverted extents is in the activity log */
		is_new = false;
		old_size = xd->size;
	} else {
		ret = setup_meta(xd, k, n, force, &is_new, &old_size, err,
				 errlen);
		if (!ret)
			ret = apply_check_opt(xd, check, err, errlen);
		if (ret)
			goto fail;
	}
	/* records of up to 1 MiB; smaller for tiny logs */
	xd->chunk = XS_MAX_CHUNK;
	while ((uint64_t)(SL_REC_HDR_SIZE + xd->chunk) * 16 > log_size &&
	       xd->chunk > XS_MIN_CHUNK && xd->chunk > xd->bs)
		xd->chunk /= 2;
	xd->bbuf = malloc(xd->chunk);
	if (!xd->bbuf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "xorshare: out of memory");
		goto fail;
	}
	ret = open_log(xd, log_size, err, errlen);
	if (ret)
		goto fail;
	if (seeded) {
		if (nr_revert) {
			free(xd->relog);
			ret = setup_recovery(xd, revert, nr_revert, err,
					     errlen);
			revert = NULL;
		}
		if (ret)
			goto fail;
		ret = xs_meta_store(xd->logdir, &xd->meta);
		if (ret) {
			snprintf(err, errlen, "xorshare %s/meta: %s",
				 xd->logdir, strerror(-ret));
			goto fail;
		}
	}
	if (!seeded && !is_new && xd->size > old_size) {
		ret = log_growth(xd, old_size, err, errlen);
		if (ret)
			goto fail;
	}
	ret = xs_baseline_init(xd, is_new, old_size);
	if (ret) {
		snprintf(err, errlen, "xorshare %s: baseline state: %s",
			 xd->logdir, strerror(-ret));
		goto fail;
	}
	xd->last_reload_ms = loop_now_ms();
	/*
	 * Every record is in the volume (nothing is replayed), but after an
	 * unclean stop the volume and the map of the hot extents may not
	 * match until they are re-logged: no resync read trusts them.
	 */
	sharelog_set_applied(xd->sl, sharelog_last_seq(xd->sl));
	sharelog_set_progress_flags(
		xd->sl, xd->nr_relog || xd->scan_map ? SL_PROG_RELOG : 0);
	sharelog_publish_progress(xd->sl, true);
	xs_read_statuses(xd);
	xs_snapshot(xd);

	ret = aio_init();
	if (ret) {
		snprintf(err, errlen, "xorshare: aio engine: %s",
			 strerror(-ret));
		goto fail;
	}
	xd->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ret = xd->efd < 0 ? -errno
			  : loop_add_fd(&xd->lfd, xd->efd, EPOLLIN, on_done);
	if (ret) {
		snprintf(err, errlen, "xorshare: eventfd: %s", strerror(-ret));
		goto fail;
	}
	dev->priv = xd;
	dev->size = xd->size;
	ret = pthread_create(&xd->vthr, NULL, xs_volume_main, xd);
	xd->have_vthr = !ret;
	if (!ret)
		ret = pthread_create(&xd->wthr, NULL, xs_writer_main, xd);
	xd->have_wthr = !ret;
	if (ret) {
		snprintf(err, errlen, "xorshare: threads: %s", strerror(ret));
		dev->priv = NULL;
		xs_stop(xd);
		ret = -ret;
		goto fail;
	}
	{
		char u[37];

		xs_uuid_str(xd->meta.uuid, u);
		log_info("xorshare %s: k=%u n=%u uuid %s log %s (%" PRIu64
			 " bytes, full=%s, check=%s, al_extents=%u)",
			 path, k, n, u, xd->logdir, log_size,
			 xd->full == SL_FULL_BLOCK ? "block" : "drop-lagging",
			 check_name(xd->meta.check), xd->al_cap);
	}
	return 0;
fail:
	free(revert);
	xs_free(xd);
	return ret;
}

static void free_deferred(struct loop_defer *d)
{
	xs_free(container_of(d, struct xs_dev, free_defer));
}

static void xs_close(struct bs_dev *dev)
{
	struct xs_dev *xd = dev->priv;

	if (!xd)
		return;
	xs_stop(xd);
	dev->priv = NULL;
	/* an event for our eventfd may still be in the loop's batch */
	loop_defer_init(&xd->free_defer, free_deferred);
	loop_defer_queue(&xd->free_defer);
}

/* ---- resync of a lost peer (for the replicator) ---- */

int xorshare_resync_shares(struct bs_dev *dev, struct xs_ctx *ctx,
			   unsigned peer, uint64_t lba, uint32_t nblocks,
			   uint8_t *out, uint64_t *gens)
{
	struct xs_dev *xd = dev->priv;
	int ret;

	if (!xd || peer >= xd->meta.n ||
	    (lba + nblocks) * (uint64_t)xd->bs > xd->size)
		return -EINVAL;
	pthread_mutex_lock(&xd->rmu);
	if (xd->scan_map || xd->relog_done < xd->nr_relog) {
		ret = -EAGAIN; /* the map is being repaired */
	} else {
		xs_vol_quiesce(xd);
		ret = sl_resync_shares(ctx, xd->meta.n, xd->gm, xd->vol_fd,
				       xd->bs, peer, lba, nblocks, out, gens);
	}
	pthread_mutex_unlock(&xd->rmu);
	return ret;
}

/* ---- management and identification ---- */

static void xs_show(struct bs_dev *dev, struct strbuf *out, const char *ind)
{
	struct xs_dev *xd = dev->priv;
	struct sharelog_stats st;
	struct sharelog_peer pp[SL_MAX_N];
	char alert[256], u[37], thr[16];
	uint64_t bnext, bsize, txns;
	uint32_t relog_left, hot, thr_us;
	struct xs_peer_view pv[SL_MAX_N];
	uint64_t now = sl_now_ns();
	bool blocked;

	if (!xd)
		return;
	memset(pv, 0, sizeof(pv));
	pthread_mutex_lock(&xd->mu);
	st = xd->snap;
	for (unsigned i = 0; i < SL_MAX_N; i++) {
		pv[i].have_status = xd->snap_have_status[i];
		pv[i].st = xd->snap_status[i];
		pv[i].log = xd->snap_peer[i];
	}
	thr_us = xd->throttle_us;
	memcpy(pp, xd->snap_peer, sizeof(pp));
	memcpy(alert, xd->snap_alert, sizeof(alert));
	bnext = xd->snap_base_next;
	bsize = xd->snap_base_size;
	relog_left = xd->snap_relog_left;
	hot = xd->snap_al_hot;
	txns = xd->snap_al_txns;
	blocked = xd->blocked;
	pthread_mutex_unlock(&xd->mu);

	if (xd->throttle_pct)
		snprintf(thr, sizeof(thr), "%u%%", xd->throttle_pct);
	else
		snprintf(thr, sizeof(thr), "off");
	xs_uuid_str(xd->meta.uuid, u);
	strbuf_addf(out, "%sProtection: xorshare k=%u n=%u uuid=%s check=%s\n",
		    ind, xd->meta.k, xd->meta.n, u, check_name(xd->meta.check));
	strbuf_addf(out,
		    "%sShare log: %s used=%" PRIu64 "/%" PRIu64
		    " (%.1f%%) segments=%u/%u seq=%" PRIu64 "..%" PRIu64
		    " durable=%" PRIu64 " full=%s throttle=%s%s%s\n",
		    ind, xd->logdir, st.used_bytes, st.log_size,
		    st.log_size ? 100.0 * (double)st.used_bytes /
					  (double)st.log_size
				: 0.0,
		    st.nr_segments, st.max_segments, st.first_seq, st.last_seq,
		    st.durable_seq,
		    xd->full == SL_FULL_BLOCK ? "block" : "drop-lagging", thr,
		    thr_us ? " THROTTLED" : "", blocked ? " BLOCKED" : "");
	strbuf_addf(out,
		    "%sActivity log: hot=%u/%u extents of %llu MiB, "
		    "transactions=%" PRIu64 ", re-log pending=%u\n",
		    ind, hot, xd->al_cap,
		    (unsigned long long)(SL_EXTENT_BYTES >> 20), txns,
		    relog_left);
	for (unsigned i = 0; i < st.n && i < SL_MAX_N; i++)
		xs_format_peer_line(out, ind, i, &pv[i], st.durable_seq, now);
	if (!bsize || bnext >= bsize)
		strbuf_addf(out, "%sBaseline: complete\n", ind);
	else
		strbuf_addf(out,
			    "%sBaseline: %.1f%% (%" PRIu64 "/%" PRIu64
			    " bytes)\n",
			    ind, 100.0 * (double)bnext / (double)bsize, bnext,
			    bsize);
	if (thr_us && !blocked)
		strbuf_addf(out,
			    "%sAlert: log %.0f%% full (throttle=%s): writes "
			    "delayed %.1f ms per batch%s%s\n",
			    ind,
			    st.log_size ? 100.0 * (double)st.used_bytes /
						  (double)st.log_size
					: 0.0,
			    thr, thr_us / 1000.0, alert[0] ? "; " : "", alert);
	else
		strbuf_addf(out, "%sAlert: %s\n", ind,
			    blocked ? "log full, writes blocked (full=block)"
				    : (alert[0] ? alert : "none"));
}

/* Share-log figures for the metrics exporter, from the writer's snapshot. */
static void xs_metrics(struct bs_dev *dev, bs_metric_emit emit, void *arg)
{
	struct xs_dev *xd = dev->priv;
	struct sharelog_stats st;
	struct sharelog_peer pp[SL_MAX_N];
	struct xs_peer_view pv[SL_MAX_N];
	uint64_t now = sl_now_ns(), silent;
	uint32_t thr_us;
	bool blocked;
	char peer[8];

	if (!xd)
		return;
	memset(pv, 0, sizeof(pv));
	pthread_mutex_lock(&xd->mu);
	st = xd->snap;
	memcpy(pp, xd->snap_peer, sizeof(pp));
	for (unsigned i = 0; i < SL_MAX_N; i++) {
		pv[i].have_status = xd->snap_have_status[i];
		pv[i].st = xd->snap_status[i];
		pv[i].log = xd->snap_peer[i];
	}
	blocked = xd->blocked;
	thr_us = xd->throttle_us;
	pthread_mutex_unlock(&xd->mu);

	emit(arg, &(struct bs_metric){"xorshare_log_used_bytes",
				      "Bytes of live share-log segments", false,
				      NULL, NULL, (double)st.used_bytes});
	emit(arg, &(struct bs_metric){"xorshare_log_size_bytes",
				      "Share-log size bound", false, NULL, NULL,
				      (double)st.log_size});
	emit(arg, &(struct bs_metric){
			  "xorshare_log_records", "Records in the share log",
			  false, NULL, NULL,
			  st.last_seq && st.first_seq
				  ? (double)(st.last_seq - st.first_seq + 1)
				  : 0.0});
	emit(arg, &(struct bs_metric){"xorshare_log_drops_total",
				      "Peers dropped to free log space", true,
				      NULL, NULL, (double)st.drops});
	emit(arg, &(struct bs_metric){"xorshare_writes_blocked",
				      "1 while writes wait for log space",
				      false, NULL, NULL, blocked ? 1.0 : 0.0});
	emit(arg, &(struct bs_metric){"xorshare_throttle_delay_ms",
				      "Delay before each write batch while the "
				      "log is above its throttle= limit (0: "
				      "none)",
				      false, NULL, NULL, thr_us / 1000.0});
	for (unsigned i = 0; i < st.n && i < SL_MAX_N; i++) {
		snprintf(peer, sizeof(peer), "%u", i);
		emit(arg, &(struct bs_metric){"xorshare_peer_lag_records",
					      "Records the peer has not "
					      "confirmed",
					      false, "peer", peer,
					      (double)pp[i].lag_records});
		emit(arg, &(struct bs_metric){
				  "xorshare_peer_lag_bytes",
				  "Bytes the peer has not confirmed", false,
				  "peer", peer, (double)pp[i].lag_bytes});
		emit(arg, &(struct bs_metric){"xorshare_peer_lag_seconds",
					      "Age of the oldest record the "
					      "peer has not confirmed",
					      false, "peer", peer,
					      pp[i].lag_seconds});
		emit(arg, &(struct bs_metric){"xorshare_peer_needs_resync",
					      "1 when the peer was dropped and "
					      "needs a resync",
					      false, "peer", peer,
					      pp[i].needs_resync ? 1.0 : 0.0});
		emit(arg,
		     &(struct bs_metric){
			     "xorshare_peer_state",
			     "Peer state: 1 baseline, 2 resync, 3 in-sync, "
			     "4 lagging, 5 offline, 6 needs-resync, 7 "
			     "blocked",
			     false, "peer", peer,
			     (double)xs_peer_state(&pv[i], now, &silent)});
		emit(arg, &(struct bs_metric){
				  "xorshare_peer_rpo_seconds",
				  "Seconds of writes the peer does not hold "
				  "(0: every durable record)",
				  false, "peer", peer,
				  xs_peer_rpo(&pv[i], st.durable_seq, now)});
	}
}

static size_t xs_vpd(struct bs_dev *dev, uint8_t page, uint8_t *buf, size_t len)
{
	struct xs_dev *xd = dev->priv;
	uint8_t p[XS_VPD_LEN];

	if (page != XS_VPD_PAGE || !xd || len < XS_VPD_LEN)
		return 0;
	memset(p, 0, sizeof(p));
	p[1] = XS_VPD_PAGE;
	p[3] = XS_VPD_LEN - 4;
	memcpy(p + 4, XS_VPD_MARKER, strlen(XS_VPD_MARKER));
	p[20] = XS_VPD_VERSION;
	p[21] = xd->meta.k;
	p[22] = xd->meta.n;
	memcpy(p + 24, xd->meta.uuid, 16);
	memcpy(buf, p, sizeof(p));
	return sizeof(p);
}

bool xorshare_vpd_is_xorshare(const uint8_t *page, size_t len)
{
	return page && len >= 24 && page[1] == XS_VPD_PAGE &&
	       !memcmp(page + 4, XS_VPD_MARKER, strlen(XS_VPD_MARKER));
}

static const struct bs_ops xorshare_ops = {
	.name = "xorshare",
	.open = xs_open,
	.close = xs_close,
	.submit = xs_submit,
	.flush = xs_flush,
	.unmap = xs_unmap,
	.show = xs_show,
	.vpd_page = xs_vpd,
	.vpd_pages = xs_vpd_list,
	.nr_vpd_pages = sizeof(xs_vpd_list),
	.metrics = xs_metrics,
};

BS_REGISTER(xorshare_ops)
