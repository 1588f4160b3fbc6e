// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "null" backing store: no storage at all, for benchmarking the transport.
 * Writes and flushes succeed at once. Reads succeed without touching
 * the buffer (as tgt's null store does), so the initiator sees whatever the
 * transport buffer held; bsopts "zero=1" clears it instead, for tests that
 * want deterministic data.
 *
 * bsopts: size=N[K|M|G|T]  exported size (default 1 TiB, like tgt)
 *         zero=1           reads return zeroes
 * The path is ignored.
 */
#include "bs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

#define NULL_DEFAULT_SIZE (1ULL << 40)

struct null_dev {
	bool zero;
};

static int null_open(struct bs_dev *dev, const char *path, const char *opts,
		     char *err, size_t errlen)
{
	static const char *const known[] = {"size", "zero", NULL};
	struct null_dev *nd;
	uint64_t size = NULL_DEFAULT_SIZE;
	bool zero = false;
	char v[64];
	int ret;

	ret = bs_opt_check(opts, known, err, errlen);
	if (ret < 0)
		return ret;
	if (bs_opt_get(opts, "size", v, sizeof(v))) {
		ret = bs_parse_size(v, &size);
		if (ret < 0 || size < dev->block_size) {
			snprintf(err, errlen, "bad size '%s'", v);
			return ret < 0 ? ret : -EINVAL;
		}
	}
	if (bs_opt_bool(opts, "zero", &zero) < 0) {
		snprintf(err, errlen, "bad value for 'zero' (use 0 or 1)");
		return -EINVAL;
	}
	nd = calloc(1, sizeof(*nd));
	if (!nd) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	nd->zero = zero;
	dev->priv = nd;
	/* Whole blocks only: a partial last block could not be addressed. */
	dev->size = dev->block_size ? size - size % dev->block_size : size;
	return 0;
}

static void null_close(struct bs_dev *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

static void null_submit(struct bs_dev *dev, struct bs_req *req)
{
	struct null_dev *nd = dev->priv;

	if (req->op == BS_READ && nd->zero && req->buf)
		memset(req->buf, 0, req->len);
	bs_complete(req, req->op == BS_WRITE && dev->read_only ? -EROFS : 0);
}

static void null_flush(struct bs_dev *dev, struct bs_req *req)
{
	bs_complete(req, 0);
}

static void null_show(struct bs_dev *dev, struct strbuf *out,
		      const char *indent)
{
	struct null_dev *nd = dev->priv;

	if (nd)
		strbuf_addf(out, "%sReads return zeroes: %s\n", indent,
			    nd->zero ? "yes" : "no");
}

static const struct bs_ops null_ops = {
	.name = "null",
	.open = null_open,
	.close = null_close,
	.submit = null_submit,
	.flush = null_flush,
	/* No unmap: reads could not promise zeroes (tgt offers none either). */
	.show = null_show,
};

BS_REGISTER(null_ops)
