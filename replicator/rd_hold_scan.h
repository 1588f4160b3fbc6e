/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The held-volume scan of tgtx-replicd (doc/gossip.md "Held volumes"): on
 * its own thread, every interval_ms, it takes tgtxd's configuration (the
 * dump op), reads the header of every plain LUN's backing file read-only,
 * and hands each share volume's signed share-location table to
 * rd_gossip_hold_table(). A LUN that is not a share volume, or one caught
 * in the middle of a header write (CRC), is skipped until the next scan.
 *
 * Bounds: at most RD_HOLD_SCAN_MAX_LUNS LUNs per scan; one fixed buffer
 * (a blob copy, 64 KiB) for every read, every size taken from a header
 * checked before use; each LUN's header read has a deadline
 * (read_deadline_ms): the daemon's loop calls rd_hold_scan_watch(), which
 * names a read that is over it, and a result that comes after it is thrown
 * away and the LUN skipped for RD_HOLD_SCAN_BACKOFF scans.
 */
#ifndef TGTX_RD_HOLD_SCAN_H
#define TGTX_RD_HOLD_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/gossip/slt_format.h"
#include "sv.h"

#define RD_HOLD_SCAN_MAX_LUNS 4096
#define RD_HOLD_SCAN_BACKOFF  10
/* what rd_hold_read_header() needs as scratch */
#define RD_HOLD_SCRATCH (2 * SV_SUPER_AREA + SV_BLOB_AREA)

/*
 * Reads the newest valid location-table blob of the share volume in the
 * file or block device path, never writing it. 0: the table in tbl
 * (cap >= SLT_MAX_SIZE, *len), the superblock in *info; -ENOENT: not a
 * share volume or no table in it; -EBADMSG: damaged, torn or inconsistent
 * (why says which; try again later); -errno. scratch has RD_HOLD_SCRATCH
 * bytes.
 */
int rd_hold_read_header(const char *path, uint8_t *scratch, uint8_t *tbl,
			size_t cap, size_t *len, struct sv_info *info,
			char *why, size_t whylen);

struct rd_gossip;
struct rd_hold_scan;

struct rd_hold_scan_cfg {
	const char *sock; /* tgtxd's control socket (kept, not copied) */
	struct rd_gossip *rg;
	unsigned interval_ms;	   /* default 10000 */
	unsigned read_deadline_ms; /* per LUN header read; default 5000 */
};

/* Starts the scan thread; its first scan is at once. 0 or -errno. */
int rd_hold_scan_start(const struct rd_hold_scan_cfg *cfg,
		       struct rd_hold_scan **out);
/* From the daemon's loop: logs a header read that is over its deadline
 * (once per read). */
void rd_hold_scan_watch(struct rd_hold_scan *s);
struct strbuf;
/* Prometheus families of the scan: complete scans, time of the last one,
 * errors by kind, a read over its deadline now, volumes left unbound. */
void rd_hold_scan_metrics(struct rd_hold_scan *s, struct strbuf *out);
/* Stops the thread (after the read in progress). */
void rd_hold_scan_stop(struct rd_hold_scan *s);

#endif
