// SPDX-License-Identifier: GPL-2.0-or-later
/* The delay curve of a filling share log (xs_throttle.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_throttle.h"

uint32_t xs_throttle_delay_us(uint64_t used, uint64_t size, unsigned pct)
{
	double fill, x, d;

	if (!pct || !size)
		return 0;
	fill = (double)used / (double)size;
	if (fill * 100.0 <= pct)
		return 0;
	x = (fill * 100.0 - pct) / (100.0 - pct);
	if (x > 1.0)
		x = 1.0;
	/* quadratic: barely noticeable just past the limit, the cap at full */
	d = XS_THROTTLE_MIN_US +
	    (XS_THROTTLE_MAX_US - XS_THROTTLE_MIN_US) * x * x;
	return (uint32_t)d;
}

int xs_throttle_parse(const char *v, unsigned *pct)
{
	char *end;
	unsigned long n;

	if (!strcmp(v, "off")) {
		*pct = 0;
		return 0;
	}
	n = strtoul(v, &end, 10);
	if (end == v || (*end && strcmp(end, "%")) || n < 1 || n > 99)
		return -EINVAL;
	*pct = (unsigned)n;
	return 0;
}
