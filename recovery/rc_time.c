// SPDX-License-Identifier: GPL-2.0-or-later
/* Times and sizes as the DR operator reads and types them (UTC only: a
 * disaster spans sites and time zones). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rc.h"

uint64_t rc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* "SECONDS[.FRAC]" into ns without going through a double (a restore
 * point is named to the nanosecond). */
static int parse_secs(const char *s, uint64_t *ns)
{
	char *end;
	unsigned long long sec = strtoull(s, &end, 10);
	uint64_t frac = 0, scale = 100000000ULL;

	if (end == s || sec > 18000000000ULL)
		return -EINVAL;
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9'; end++) {
			frac += (uint64_t)(*end - '0') * scale;
			scale /= 10;
		}
	}
	if (*end)
		return -EINVAL;
	*ns = sec * 1000000000ULL + frac;
	return 0;
}

int rc_parse_time(const char *s, uint64_t now_ns, uint64_t *ns)
{
	struct tm tm;
	const char *end;

	if (s[0] == '@')
		return parse_secs(s + 1, ns);
	if (s[0] == '-') {
		char *e;
		unsigned long long v = strtoull(s + 1, &e, 10);
		uint64_t mult;

		switch (*e) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		default:
			return -EINVAL;
		}
		if (e == s + 1 || e[1] || v > 36500ULL * 86400)
			return -EINVAL;
		v *= mult * 1000000000ULL;
		if (v > now_ns)
			return -EINVAL;
		*ns = now_ns - v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	uint64_t frac = 0, scale = 100000000ULL;

	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++) {
			frac += (uint64_t)(*end - '0') * scale;
			scale /= 10;
		}
	if (*end == 'Z')
		end++;
	if (*end)
		return -EINVAL;
	time_t t = timegm(&tm);

	if (t < 0)
		return -EINVAL;
	*ns = (uint64_t)t * 1000000000ULL + frac;
	return 0;
}

void rc_format_time(uint64_t ns, char *out, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03uZ", buf,
		 (unsigned)(ns % 1000000000ULL / 1000000));
}

void rc_format_bytes(double b, char *out, size_t len)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
	unsigned u = 0;

	while (b >= 1000 && u < 4) {
		b /= 1000;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}
