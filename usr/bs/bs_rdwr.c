// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "rdwr" backing store: a regular file or a block device accessed through the
 * shared io_uring engine (aio.h).
 *
 * bsopts: direct=1  open with O_DIRECT (unaligned transport buffers are
 *                   bounced through an aligned copy)
 *         sync=1    open with O_DSYNC (every write durable, whatever WCE)
 *
 * Durability: a write is made durable before it completes (RWF_DSYNC) when
 * it carries FUA or when the write cache is disabled (dev->wce false); a
 * flush is an fdatasync(). Unmap punches a hole (falling back to zeroing the
 * range where holes are unsupported), so later reads return zeroes.
 */
#include "bs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aio.h"
#include "core/log.h"
#include "core/strbuf.h"

/* Memory alignment for O_DIRECT buffers: a page satisfies every device. */
#define RDWR_DIO_MEM_ALIGN 4096
/* Idle per-request contexts kept for reuse. */
#define RDWR_IO_CACHE_MAX 1024

struct rdwr_dev {
	int fd;
	bool direct;
	bool dsync;
	bool blkdev;
	unsigned int dio_align; /* offset/length alignment for O_DIRECT */
	uint64_t bounced;	/* requests copied through an aligned buffer */
};

enum rdwr_stage {
	ST_RW,
	ST_PUNCH, /* punching a hole */
	ST_ZERO,  /* zeroing, the file system cannot punch */
	ST_SYNC,  /* making an unmap durable (write cache off) */
};

struct rdwr_io {
	struct aio_req aio;
	struct bs_req *req;
	struct bs_dev *dev;
	void *bounce;
	enum rdwr_stage stage;
	struct rdwr_io *next_free;
};

/* Everything runs on the loop thread, so a plain free list will do. */
static struct rdwr_io *io_cache;
static unsigned int io_cache_nr;
static unsigned int nr_open_devs;

static struct rdwr_io *io_get(void)
{
	struct rdwr_io *io = io_cache;

	if (io) {
		io_cache = io->next_free;
		io_cache_nr--;
		return io;
	}
	return malloc(sizeof(*io));
}

static void io_put(struct rdwr_io *io)
{
	if (io_cache_nr >= RDWR_IO_CACHE_MAX) {
		free(io);
		return;
	}
	io->next_free = io_cache;
	io_cache = io;
	io_cache_nr++;
}

static void io_cache_drain(void)
{
	while (io_cache) {
		struct rdwr_io *io = io_cache;

		io_cache = io->next_free;
		free(io);
	}
	io_cache_nr = 0;
}

static const char *op_name(const struct rdwr_io *io)
{
	switch (io->stage) {
	case ST_PUNCH:
		return "unmap (punch hole)";
	case ST_ZERO:
		return "unmap (zero range)";
	case ST_SYNC:
		return io->req->op == BS_FLUSH ? "flush" : "unmap sync";
	case ST_RW:
		break;
	}
	return io->req->op == BS_READ ? "read" : "write";
}

static void io_finish(struct rdwr_io *io, int res)
{
	struct bs_req *req = io->req;
	struct bs_dev *dev = io->dev;

	if (res < 0)
		log_err("%s: %s: %s of %llu bytes at offset %llu failed: %s",
			dev->label[0] ? dev->label : "rdwr", dev->path,
			op_name(io), (unsigned long long)req->len,
			(unsigned long long)req->offset, strerror(-res));
	free(io->bounce);
	io_put(io);
	bs_complete(req, res);
}

static void io_fail_submit(struct rdwr_io *io, int res)
{
	/* The engine is down: report through the loop like any completion. */
	io_finish(io, res);
}

static void rw_done(struct aio_req *a, int res)
{
	struct rdwr_io *io = container_of(a, struct rdwr_io, aio);
	struct bs_req *req = io->req;

	if (res == 0 && req->op == BS_READ) {
		char *dst = req->buf;

		if (io->bounce)
			memcpy(dst, io->bounce, a->xfer);
		/* Past end of file (a file shrunk under us): zeroes. */
		if (a->xfer < req->len)
			memset(dst + a->xfer, 0, req->len - a->xfer);
	}
	io_finish(io, res);
}

/*
 * Checks shared by every request that touches the file and takes its
 * per-request state; on NULL the request has already been completed.
 */
static struct rdwr_io *io_start(struct bs_dev *dev, struct bs_req *req,
				int stage)
{
	struct rdwr_io *io;

	/* Everything but a read changes the file. */
	if (dev->read_only && (stage != ST_RW || req->op == BS_WRITE)) {
		bs_complete(req, -EROFS);
		return NULL;
	}
	if (!req->len) {
		bs_complete(req, 0);
		return NULL;
	}
	if (req->offset > (uint64_t)INT64_MAX ||
	    req->len > (uint64_t)INT64_MAX - req->offset) {
		bs_complete(req, -EINVAL);
		return NULL;
	}
	io = io_get();
	if (!io) {
		bs_complete(req, -ENOMEM);
		return NULL;
	}
	io->req = req;
	io->dev = dev;
	io->bounce = NULL;
	io->stage = stage;
	return io;
}

static void rdwr_submit(struct bs_dev *dev, struct bs_req *req)
{
	struct rdwr_dev *rd = dev->priv;
	struct rdwr_io *io;
	void *buf = req->buf;
	unsigned int flags = 0;
	int ret;

	if (req->op != BS_READ && req->op != BS_WRITE) {
		bs_complete(req, -EINVAL);
		return;
	}
	io = io_start(dev, req, ST_RW);
	if (!io)
		return;
	if (rd->direct) {
		if ((req->offset | req->len) & (rd->dio_align - 1)) {
			io_finish(io, -EINVAL);
			return;
		}
		if ((uintptr_t)buf & (RDWR_DIO_MEM_ALIGN - 1)) {
			if (posix_memalign(&io->bounce, RDWR_DIO_MEM_ALIGN,
					   req->len)) {
				io->bounce = NULL;
				io_finish(io, -ENOMEM);
				return;
			}
			if (req->op == BS_WRITE)
				memcpy(io->bounce, buf, req->len);
			buf = io->bounce;
			rd->bounced++;
		}
	}
	if (req->op == BS_WRITE && (req->fua || !dev->wce) && !rd->dsync)
		flags = AIO_F_DSYNC;
	aio_prep(&io->aio, req->op == BS_READ ? AIO_OP_READ : AIO_OP_WRITE,
		 rd->fd, buf, req->len, req->offset, rw_done, NULL);
	io->aio.flags = flags;
	ret = aio_submit(&io->aio);
	if (ret < 0)
		io_fail_submit(io, ret);
}

static void aux_done(struct aio_req *a, int res)
{
	struct rdwr_io *io = container_of(a, struct rdwr_io, aio);
	struct bs_dev *dev = io->dev;
	struct rdwr_dev *rd = dev->priv;
	int ret;

	if (io->stage == ST_PUNCH && (res == -EOPNOTSUPP || res == -ENOTTY)) {
		/* No holes here: zeroing still gives the promised zeroes. */
		io->stage = ST_ZERO;
		aio_prep(&io->aio, AIO_OP_FALLOCATE, rd->fd, NULL, io->req->len,
			 io->req->offset, aux_done, NULL);
		io->aio.mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
		ret = aio_submit(&io->aio);
		if (ret < 0)
			io_fail_submit(io, ret);
		return;
	}
	if (res == 0 && (io->stage == ST_PUNCH || io->stage == ST_ZERO) &&
	    !dev->wce && !rd->dsync) {
		io->stage = ST_SYNC;
		aio_prep(&io->aio, AIO_OP_FSYNC, rd->fd, NULL, 0, 0, aux_done,
			 NULL);
		io->aio.flags = AIO_F_DATASYNC;
		ret = aio_submit(&io->aio);
		if (ret < 0)
			io_fail_submit(io, ret);
		return;
	}
	io_finish(io, res);
}

static void rdwr_flush(struct bs_dev *dev, struct bs_req *req)
{
	struct rdwr_dev *rd = dev->priv;
	struct rdwr_io *io = io_get();
	int ret;

	if (!io) {
		bs_complete(req, -ENOMEM);
		return;
	}
	io->req = req;
	io->dev = dev;
	io->bounce = NULL;
	io->stage = ST_SYNC;
	aio_prep(&io->aio, AIO_OP_FSYNC, rd->fd, NULL, 0, 0, aux_done, NULL);
	io->aio.flags = AIO_F_DATASYNC;
	ret = aio_submit(&io->aio);
	if (ret < 0)
		io_fail_submit(io, ret);
}

static void rdwr_unmap(struct bs_dev *dev, struct bs_req *req)
{
	struct rdwr_dev *rd = dev->priv;
	struct rdwr_io *io;
	int ret;

	io = io_start(dev, req, ST_PUNCH);
	if (!io)
		return;
	/*
	 * Block devices accept the same call: the kernel turns it into a
	 * discard or write-zeroes that guarantees zeroes, and refuses with
	 * EOPNOTSUPP when it cannot, which falls back to ZERO_RANGE.
	 */
	aio_prep(&io->aio, AIO_OP_FALLOCATE, rd->fd, NULL, req->len,
		 req->offset, aux_done, NULL);
	io->aio.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	ret = aio_submit(&io->aio);
	if (ret < 0)
		io_fail_submit(io, ret);
}

static int open_fail(char *err, size_t errlen, int ret, const char *fmt,
		     const char *path)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, path, strerror(-ret));
	return ret;
}

static int rdwr_open(struct bs_dev *dev, const char *path, const char *opts,
		     char *err, size_t errlen)
{
	static const char *const known[] = {"direct", "sync", NULL};
	struct rdwr_dev *rd;
	bool direct = false, dsync = false;
	struct stat st;
	int flags, fd, ret;

	ret = bs_opt_check(opts, known, err, errlen);
	if (ret < 0)
		return ret;
	if (bs_opt_bool(opts, "direct", &direct) < 0) {
		snprintf(err, errlen, "bad value for 'direct' (use 0 or 1)");
		return -EINVAL;
	}
	if (bs_opt_bool(opts, "sync", &dsync) < 0) {
		snprintf(err, errlen, "bad value for 'sync' (use 0 or 1)");
		return -EINVAL;
	}
	if (!path || !*path) {
		snprintf(err, errlen, "rdwr needs a backing file path");
		return -EINVAL;
	}

	flags = O_CLOEXEC | (direct ? O_DIRECT : 0) | (dsync ? O_DSYNC : 0);
	fd = open(path, flags | (dev->read_only ? O_RDONLY : O_RDWR));
	if (fd < 0 && !dev->read_only && (errno == EROFS || errno == EACCES)) {
		fd = open(path, flags | O_RDONLY);
		if (fd >= 0) {
			log_warn("%s: %s is not writable, exporting it "
				 "read-only",
				 dev->label[0] ? dev->label : "rdwr", path);
			dev->read_only = true;
		}
	}
	if (fd < 0) {
		ret = -errno;
		if (direct && ret == -EINVAL)
			return open_fail(err, errlen, ret,
					 "%s: O_DIRECT not supported here (%s)",
					 path);
		return open_fail(err, errlen, ret, "cannot open %s: %s", path);
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return open_fail(err, errlen, ret, "cannot stat %s: %s", path);
	}

	rd = calloc(1, sizeof(*rd));
	if (!rd) {
		close(fd);
		return open_fail(err, errlen, -ENOMEM, "%s: %s", path);
	}
	rd->fd = fd;
	rd->direct = direct;
	rd->dsync = dsync;
	rd->dio_align = 512;

	if (S_ISREG(st.st_mode)) {
		dev->size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		uint64_t bytes;
		int lbs;

		rd->blkdev = true;
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
			ret = -errno;
			goto err;
		}
		dev->size = bytes;
		if (ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs > 0) {
			rd->dio_align = (unsigned int)lbs;
			/* cannot export blocks smaller than the device's */
			if ((uint32_t)lbs > dev->block_size)
				dev->block_size = (uint32_t)lbs;
		}
	} else {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(err, errlen,
			 "%s is not a regular file or block device", path);
		close(fd);
		free(rd);
		return ret;
	}
	if (rd->dio_align < dev->block_size)
		rd->dio_align = dev->block_size;

	ret = aio_init();
	if (ret < 0)
		goto err;
	dev->priv = rd;
	nr_open_devs++;
	return 0;

err:
	close(fd);
	free(rd);
	return open_fail(err, errlen, ret, "%s: %s", path);
}

static void rdwr_close(struct bs_dev *dev)
{
	struct rdwr_dev *rd = dev->priv;

	if (!rd)
		return;
	close(rd->fd);
	free(rd);
	dev->priv = NULL;
	if (nr_open_devs && !--nr_open_devs)
		io_cache_drain();
}

static void rdwr_show(struct bs_dev *dev, struct strbuf *out,
		      const char *indent)
{
	struct rdwr_dev *rd = dev->priv;

	if (!rd)
		return;
	strbuf_addf(out, "%sBacking store access: %s%s%s\n", indent,
		    rd->blkdev ? "block device" : "file",
		    rd->direct ? ", direct" : "", rd->dsync ? ", sync" : "");
	if (rd->bounced)
		strbuf_addf(out, "%sUnaligned direct I/O bounced: %llu\n",
			    indent, (unsigned long long)rd->bounced);
	strbuf_addf(out, "%sI/O engine: %s\n", indent,
		    aio_using_uring() ? "io_uring" : "threads");
}

static const struct bs_ops rdwr_ops = {
	.name = "rdwr",
	.open = rdwr_open,
	.close = rdwr_close,
	.submit = rdwr_submit,
	.flush = rdwr_flush,
	.unmap = rdwr_unmap,
	.show = rdwr_show,
};

BS_REGISTER(rdwr_ops)
