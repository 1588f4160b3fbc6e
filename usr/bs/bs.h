/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Backing-store interface. A backing store is one self-contained file that
 * defines a `struct bs_ops` and registers it with BS_REGISTER(); the SCSI
 * layer never knows which one it talks to. All calls are made from the event
 * loop thread; requests complete asynchronously through bs_complete().
 */
#ifndef TGTX_BS_H
#define TGTX_BS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"

struct strbuf;
struct bs_dev;

enum bs_op {
	BS_READ,
	BS_WRITE,
	BS_FLUSH, /* make every completed write durable */
	BS_UNMAP, /* deallocate [offset, offset+len); reads then return zeroes
		   */
};

struct bs_req {
	enum bs_op op;
	uint64_t offset; /* bytes */
	uint64_t len;	 /* bytes */
	void *buf;	 /* BS_READ: destination, BS_WRITE: source */
	bool fua;	 /* BS_WRITE: durable before completion */
	int result;	 /* 0 or -errno, set by bs_complete() */
	void (*done)(struct bs_req *req); /* always called from the loop */
	void *priv;			  /* the submitter's */
	/* private to the backing store that runs the request */
	void *bs_priv;
	uint64_t bs_u64;
	struct loop_defer defer;
};

struct bs_dev {
	const struct bs_ops *ops;
	char path[PATH_MAX];
	uint64_t size;	     /* bytes, set by open */
	uint32_t block_size; /* logical block size exported (512 or 4096) */
	bool read_only;
	/*
	 * Write cache enabled (MODE SELECT caching page WCE). When false every
	 * write must be durable before it completes.
	 */
	bool wce;
	void *priv; /* the backing store's own state */
	/* Set by the SCSI layer so a store can name its LUN in errors. */
	char label[96];
};

/*
 * One figure a store reports for monitoring (bs_ops.metrics). The exporter
 * adds the "tgtx_" prefix and the LUN's labels (target, lun). name and help
 * must be static strings (they are kept until the page is written);
 * label_value is copied (at most 31 bytes).
 */
struct bs_metric {
	const char *name;	 /* e.g. "xorshare_log_used_bytes" */
	const char *help;	 /* one line */
	bool counter;		 /* only ever grows; else a gauge */
	const char *label;	 /* one extra label name ("peer"), or NULL */
	const char *label_value; /* its value */
	double value;
};

typedef void (*bs_metric_emit)(void *arg, const struct bs_metric *m);

struct bs_ops {
	const char *name;
	/*
	 * Opens `path` with `opts` (the LUN's bsopts, "key=value;key=value",
	 * may be NULL or empty). Fills dev->size and may change
	 * dev->block_size/read_only. On error returns -errno and a message.
	 */
	int (*open)(struct bs_dev *dev, const char *path, const char *opts,
		    char *err, size_t errlen);
	/* Called with no request outstanding. */
	void (*close)(struct bs_dev *dev);
	/* BS_READ and BS_WRITE */
	void (*submit)(struct bs_dev *dev, struct bs_req *req);
	void (*flush)(struct bs_dev *dev, struct bs_req *req);
	/* NULL when the store cannot deallocate (UNMAP is then not offered) */
	void (*unmap)(struct bs_dev *dev, struct bs_req *req);
	/* Optional: extra "key: value" lines for `tgtxadm --op show`. */
	void (*show)(struct bs_dev *dev, struct strbuf *out,
		     const char *indent);
	/*
	 * Optional: a vendor-specific VPD page (0xC0..0xFF) describing the
	 * store. Returns the page length written to buf, 0 if not supported.
	 */
	size_t (*vpd_page)(struct bs_dev *dev, uint8_t page, uint8_t *buf,
			   size_t len);
	/* Optional: pages listed in VPD 0x00 when vpd_page is set. */
	const uint8_t *vpd_pages;
	size_t nr_vpd_pages;
	/*
	 * Optional: the store's own figures for `tgtxd --metrics`, one
	 * emit() call each. Runs on the loop thread: must not block.
	 */
	void (*metrics)(struct bs_dev *dev, bs_metric_emit emit, void *arg);
};

void bs_register(const struct bs_ops *ops);
const struct bs_ops *bs_find(const char *name);
/* Calls fn for each registered store (for --help and show). */
void bs_for_each(void (*fn)(const struct bs_ops *ops, void *arg), void *arg);

/* Records the result and schedules req->done on the loop (never inline). */
void bs_complete(struct bs_req *req, int result);

/*
 * Looks up `key` in a "k=v;k=v" option string. Returns true and copies the
 * value (NUL terminated, truncated to vlen) when present.
 */
bool bs_opt_get(const char *opts, const char *key, char *val, size_t vlen);

/*
 * Helpers every store uses to parse its bsopts the same way.
 *
 * bs_opt_check: -EINVAL (and a message naming the key) when `opts` holds a
 * key that is not in the NULL-terminated `known` list, else 0.
 * bs_opt_bool: absent leaves *out unchanged; "1/yes/on/true" and
 * "0/no/off/false" (or a bare "key") set it; anything else is -EINVAL.
 * bs_opt_uint: absent leaves *out unchanged; a decimal number <= max sets
 * it; anything else is -EINVAL.
 * bs_parse_size: "4096", "512K", "10M", "2G", "1T" (binary multiples, an
 * optional trailing 'B' or 'iB') into bytes; -EINVAL or -ERANGE on error.
 */
int bs_opt_check(const char *opts, const char *const *known, char *err,
		 size_t errlen);
int bs_opt_bool(const char *opts, const char *key, bool *out);
int bs_opt_uint(const char *opts, const char *key, uint64_t max, uint64_t *out);
int bs_parse_size(const char *s, uint64_t *out);

#define BS_REGISTER(ops)                                                       \
	__attribute__((constructor)) static void bs_register_##ops(void)       \
	{                                                                      \
		bs_register(&(ops));                                           \
	}

#endif
