// SPDX-License-Identifier: GPL-2.0-or-later
#include "lu_stats.h"

#include <stddef.h>

#include "scsi_priv.h"

/* 50 us (a RAM-backed read) to 10 s (a stalled store), about x2 apart. */
const uint32_t lu_lat_bound_us[LU_LAT_BUCKETS] = {
	50,	100,	 250,	  500,	   1000,     2500,
	5000,	10000,	 25000,	  50000,   100000,   250000,
	500000, 1000000, 2500000, 5000000, 10000000,
};

enum lu_stat_op lu_stat_classify(uint8_t opcode)
{
	switch (opcode) {
	case 0x08: /* READ(6) */
	case 0x28: /* READ(10) */
	case 0xa8: /* READ(12) */
	case 0x88: /* READ(16) */
		return LU_OP_READ;
	case 0x0a: /* WRITE(6) */
	case 0x2a: /* WRITE(10) */
	case 0xaa: /* WRITE(12) */
	case 0x8a: /* WRITE(16) */
	case 0x2e: /* WRITE AND VERIFY(10) */
	case 0xae: /* WRITE AND VERIFY(12) */
	case 0x8e: /* WRITE AND VERIFY(16) */
		return LU_OP_WRITE;
	default:
		return LU_OP_OTHER;
	}
}

const char *lu_stat_op_name(enum lu_stat_op op)
{
	static const char *const name[LU_OP_NR] = {"read", "write", "other"};

	return op < LU_OP_NR ? name[op] : "other";
}

void lu_stats_account(struct lu_stats *st, enum lu_stat_op op, uint64_t bytes,
		      bool error, uint64_t ns)
{
	struct lu_op_stats *s = &st->op[op];
	uint64_t us = ns / 1000;
	size_t b = 0;

	s->cmds++;
	if (error)
		s->errors++;
	else
		s->bytes += bytes;
	while (b < LU_LAT_BUCKETS && us > lu_lat_bound_us[b])
		b++;
	s->lat[b]++;
	s->lat_sum_ns += ns;
}

const struct lu_stats *scsi_lu_stats(const struct scsi_lu *lu)
{
	return &lu->stats;
}

struct bs_dev *scsi_lu_bs(struct scsi_lu *lu)
{
	return lu->dev_open ? &lu->dev : NULL;
}
