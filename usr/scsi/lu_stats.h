/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-LU command counters and latency histograms, kept by the SCSI layer at
 * command completion and read by the metrics exporter (usr/metrics/). Only
 * the loop thread touches them, so they are plain integers.
 */
#ifndef TGTX_LU_STATS_H
#define TGTX_LU_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct scsi_lu;
struct bs_dev;

enum lu_stat_op { LU_OP_READ, LU_OP_WRITE, LU_OP_OTHER, LU_OP_NR };

/* Upper bounds (microseconds) of the latency buckets; one more is +Inf. */
#define LU_LAT_BUCKETS 17
extern const uint32_t lu_lat_bound_us[LU_LAT_BUCKETS];

struct lu_op_stats {
	uint64_t cmds;	 /* completed, whatever their status */
	uint64_t bytes;	 /* data moved by commands that succeeded */
	uint64_t errors; /* status other than GOOD, unit attentions aside */
	/* not cumulative; [LU_LAT_BUCKETS] counts the slower ones */
	uint64_t lat[LU_LAT_BUCKETS + 1];
	uint64_t lat_sum_ns;
};

struct lu_stats {
	struct lu_op_stats op[LU_OP_NR];
	uint64_t unit_attentions; /* CHECK CONDITION / UNIT ATTENTION sent */
};

/* READ(6/10/12/16) are reads, WRITE and WRITE AND VERIFY writes. */
enum lu_stat_op lu_stat_classify(uint8_t opcode);
/* Records one completed command. */
void lu_stats_account(struct lu_stats *st, enum lu_stat_op op, uint64_t bytes,
		      bool error, uint64_t ns);
const char *lu_stat_op_name(enum lu_stat_op op);

/* ---- read access for the exporter (walk LUs with scsi_lu_next) ---- */
const struct lu_stats *scsi_lu_stats(const struct scsi_lu *lu);
/* The open backing store of lu, NULL for the controller LU. */
struct bs_dev *scsi_lu_bs(struct scsi_lu *lu);

#endif
