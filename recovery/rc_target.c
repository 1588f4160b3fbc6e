// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where a restore goes: a regular file (created, or continued), a block
 * device, or an iSCSI LUN (through the peer layer: same URL syntax,
 * deadlines, password redaction as the share peers).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rc.h"

static int open_iscsi(struct rc_target *t, const struct rc_opts *o,
		      uint64_t size)
{
	struct peer_cfg cfg = {.url = o->to,
			       .initiator = o->initiator,
			       .op_timeout_ms = o->op_timeout_ms,
			       .connect_timeout_ms = o->op_timeout_ms,
			       .window = 32};
	struct sv_status st = {0};

	if (peer_new(&t->p, &cfg, &st) || peer_connect(t->p, &st)) {
		fprintf(stderr, "tgtx-recover: target %s: %s: %s\n",
			t->p ? peer_name(t->p) : "iscsi", sv_err_name(st.code),
			st.msg);
		return RC_EX_ERROR;
	}
	t->size = peer_dev(t->p)->capacity;
	if (t->size < size || size % peer_dev(t->p)->block_size) {
		fprintf(stderr,
			"tgtx-recover: target %s: %" PRIu64
			" bytes in blocks of %u, the volume needs %" PRIu64
			"\n",
			peer_name(t->p), t->size, peer_dev(t->p)->block_size,
			size);
		return RC_EX_ERROR;
	}
	return RC_EX_OK;
}

int rc_target_open(struct rc_target *t, const struct rc_opts *o, uint64_t size,
		   bool resuming)
{
	struct stat sb;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->name = o->to;
	if (!strncmp(o->to, "iscsi://", 8))
		return open_iscsi(t, o, size);
	if (stat(o->to, &sb) && errno == ENOENT) {
		t->fd = open(o->to, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			     0600);
		t->fresh = true;
	} else {
		t->fd = open(o->to, O_RDWR | O_CLOEXEC);
	}
	if (t->fd < 0 || fstat(t->fd, &sb)) {
		fprintf(stderr, "tgtx-recover: target %s: %s\n", o->to,
			strerror(errno));
		return RC_EX_ERROR;
	}
	if (S_ISBLK(sb.st_mode)) {
		if (ioctl(t->fd, BLKGETSIZE64, &t->size)) {
			fprintf(stderr, "tgtx-recover: target %s: size: %s\n",
				o->to, strerror(errno));
			return RC_EX_ERROR;
		}
		if (t->size < size) {
			fprintf(stderr,
				"tgtx-recover: target %s: %" PRIu64
				" bytes, the volume needs %" PRIu64 "\n",
				o->to, t->size, size);
			return RC_EX_ERROR;
		}
		return RC_EX_OK;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr,
			"tgtx-recover: target %s: not a file, block device "
			"or iscsi:// URL\n",
			o->to);
		return RC_EX_USAGE;
	}
	t->regular = true;
	if (!t->fresh && !resuming && sb.st_size > 0 && !o->force) {
		fprintf(stderr,
			"tgtx-recover: target %s exists and holds %" PRIu64
			" bytes: give --force to overwrite it\n",
			o->to, (uint64_t)sb.st_size);
		return RC_EX_REFUSED;
	}
	/*
	 * A new restore into a file starts from an empty file of the
	 * volume's size, so zero blocks are holes and need no write; a
	 * continued one keeps what the progress file vouches for.
	 */
	if (!resuming && ftruncate(t->fd, 0)) {
		fprintf(stderr, "tgtx-recover: target %s: %s\n", o->to,
			strerror(errno));
		return RC_EX_ERROR;
	}
	t->fresh = !resuming;
	if (ftruncate(t->fd, (off_t)size)) {
		fprintf(stderr, "tgtx-recover: target %s: %s\n", o->to,
			strerror(errno));
		return RC_EX_ERROR;
	}
	t->size = size;
	return RC_EX_OK;
}

/* Sync I/O through the peer: submit, then poll until it completes. */
struct twait {
	int done, err;
};

static void twait_cb(void *arg, int err)
{
	struct twait *w = arg;

	w->done = 1;
	w->err = err;
}

static int peer_io(struct rc_target *t, bool wr, uint64_t off, void *buf,
		   size_t len)
{
	struct sv_dev *d = peer_dev(t->p);
	struct twait w = {0};
	int ret;

	if (!peer_connected(t->p)) {
		struct sv_status st = {0};

		if (peer_connect(t->p, &st))
			return -EIO;
	}
	ret = wr ? d->ops->write(d->priv, off, buf, len, twait_cb, &w)
		 : d->ops->read(d->priv, off, buf, len, twait_cb, &w);
	if (ret)
		return ret;
	while (!w.done)
		if (d->ops->poll(d->priv, 1000) < 0 && !w.done)
			break;
	return w.done ? w.err : -EIO;
}

int rc_target_write(struct rc_target *t, uint64_t off, const void *buf,
		    size_t len)
{
	const char *p = buf;

	if (t->p)
		return peer_io(t, true, off, (void *)buf, len);
	while (len) {
		ssize_t n = pwrite(t->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int rc_target_write_blocks(struct rc_target *t, uint64_t off, uint8_t *buf,
			   const uint8_t *zero, unsigned nb, size_t bs)
{
	unsigned b = 0, start = 0;
	int ret;

	while (b < nb) {
		unsigned e = b;

		if (!zero[b]) {
			b++;
			continue;
		}
		while (e < nb && zero[e])
			e++;
		if (t->fresh &&
		    ((size_t)(e - b) * bs >= RC_ZERO_SKIP || e - b == nb)) {
			if (b > start &&
			    (ret = rc_target_write(t, off + start * bs,
						   buf + start * bs,
						   (size_t)(b - start) * bs)))
				return ret;
			start = e;
		} else {
			memset(buf + (size_t)b * bs, 0, (size_t)(e - b) * bs);
		}
		b = e;
	}
	if (nb > start)
		return rc_target_write(t, off + start * bs, buf + start * bs,
				       (size_t)(nb - start) * bs);
	return 0;
}

int rc_target_read(struct rc_target *t, uint64_t off, void *buf, size_t len)
{
	char *p = buf;

	if (t->p)
		return peer_io(t, false, off, buf, len);
	while (len) {
		ssize_t n = pread(t->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int rc_target_sync(struct rc_target *t)
{
	if (t->p) {
		struct sv_dev *d = peer_dev(t->p);
		struct twait w = {0};
		int ret = d->ops->sync(d->priv, twait_cb, &w);

		if (ret)
			return ret;
		while (!w.done)
			if (d->ops->poll(d->priv, 1000) < 0 && !w.done)
				return -EIO;
		return w.err;
	}
	return fdatasync(t->fd) ? -errno : 0;
}

void rc_target_close(struct rc_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	peer_free(t->p);
	t->p = NULL;
}
