/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The soft limit of a filling share log (bsopts throttle=P%, default 80%):
 * above P% of log_size the writer thread waits before each batch, a little
 * at first and up to XS_THROTTLE_MAX_US at a full log, so a replicator that
 * fell behind (or is down) gets time before the full policy (drop-lagging
 * or block) applies. Gradual so that writes slow rather than stall.
 */
#ifndef TGTX_XS_THROTTLE_H
#define TGTX_XS_THROTTLE_H

#include <stdint.h>

#define XS_THROTTLE_DEFAULT_PCT 80
#define XS_THROTTLE_MIN_US	100
#define XS_THROTTLE_MAX_US	100000

/*
 * Delay before a batch when used of size bytes are held: 0 at or below
 * pct% (pct 0: off), then from XS_THROTTLE_MIN_US growing with the square
 * of the fill beyond pct% to XS_THROTTLE_MAX_US at 100%.
 */
uint32_t xs_throttle_delay_us(uint64_t used, uint64_t size, unsigned pct);
/* "80%", "80" or "off" (0); -EINVAL unless 1..99 or off. */
int xs_throttle_parse(const char *v, unsigned *pct);

#endif
