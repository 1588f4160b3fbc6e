// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The newest seq that k share volumes can all restore. Each volume can
 * give any seq in [s_min, s_max] (its checkpoint bounds it below, its
 * journal above); the answer, if any, is one of the s_max values.
 */
#include <errno.h>
#include <inttypes.h>

#include "sv.h"

int sv_common_seq(const struct sv_range *r, unsigned count, unsigned k,
		  uint64_t limit, uint64_t *seq, uint32_t *mask,
		  struct sv_status *st)
{
	uint32_t live = 0, seen = 0, ok = 0;
	uint64_t epoch = 0, best = 0;
	unsigned i, j, newest = 0;
	int found = 0;

	if (!count || count > 32 || k < 1)
		return -EINVAL;
	/*
	 * The newest membership wins: a volume the replicator dropped (and
	 * has not brought back) is stale even if its own superblock still
	 * claims to be in sync.
	 */
	for (i = 0; i < count; i++)
		if (r[i].epoch >= epoch) {
			epoch = r[i].epoch;
			newest = i;
		}
	live = r[newest].live_mask;
	for (i = 0; i < count; i++) {
		if (!r[i].usable || r[i].index >= 32 ||
		    !(live & (1u << r[i].index)) ||
		    (seen & (1u << r[i].index)) || r[i].s_min > r[i].s_max)
			continue;
		seen |= 1u << r[i].index;
		ok |= 1u << i;
	}
	for (i = 0; i < count; i++) {
		uint64_t c = r[i].s_max;
		unsigned n = 0;
		uint32_t m = 0;

		if (!(ok & (1u << i)))
			continue;
		if (limit && c > limit)
			c = limit;
		if (c < r[i].s_min || (found && c <= best))
			continue;
		for (j = 0; j < count; j++)
			if ((ok & (1u << j)) && r[j].s_min <= c &&
			    c <= r[j].s_max) {
				n++;
				m |= 1u << j;
			}
		if (n >= k) {
			best = c;
			*mask = m;
			found = 1;
		}
	}
	if (found) {
		*seq = best;
		return 0;
	}
	for (i = 0; i < count; i++)
		if (!(ok & (1u << i)))
			return sv_fail(st, SV_E_NOCOMMON, -ENOENT,
				       "no seq %u volumes can restore; "
				       "share %u is stale or resyncing",
				       k, r[i].index);
	return sv_fail(st, SV_E_NOCOMMON, -ENOENT,
		       "no seq %u volumes can all restore (journals and "
		       "checkpoints do not overlap)",
		       k);
}
