// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon-wide memory budget (membudget.h). Loop thread only. */
#include "membudget.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define MB_MIN (64ull << 20)
#define MB_MAX (4ull << 30)
/* Trimming walks the heap: only worth it after a real release. */
#define TRIM_AFTER (8u << 20)

static size_t budget;
static size_t used;
static size_t freed_since_trim;

size_t mb_default_budget(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	unsigned long long ram, b;

	if (pages <= 0 || psz <= 0)
		return (size_t)MB_MIN * 4;
	ram = (unsigned long long)pages * (unsigned long long)psz;
	b = ram / 8;
	if (b < MB_MIN)
		b = MB_MIN;
	if (b > MB_MAX)
		b = MB_MAX;
	if (b > SIZE_MAX)
		b = SIZE_MAX;
	return (size_t)b;
}

void mb_set_budget(size_t bytes)
{
	budget = bytes ? bytes : mb_default_budget();
}

size_t mb_budget(void)
{
	if (!budget)
		budget = mb_default_budget();
	return budget;
}

size_t mb_used(void)
{
	return used;
}

void mb_charge(struct mb_account *a, size_t n)
{
	a->used += n;
	used += n;
}

void mb_uncharge(struct mb_account *a, size_t n)
{
	/* An imbalance is a bug; never let it wrap into a huge number. */
	a->used = a->used >= n ? a->used - n : 0;
	used = used >= n ? used - n : 0;
}

bool mb_fits(const struct mb_account *a, size_t n, size_t share)
{
	return a->used + n <= share && used + n <= mb_budget();
}

bool mb_over(void)
{
	return used > mb_budget();
}

void mb_released(size_t n)
{
	freed_since_trim += n;
	if (freed_since_trim < TRIM_AFTER)
		return;
	freed_since_trim = 0;
	malloc_trim(0);
}

int mb_parse_size(const char *s, size_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ull << 30;
		end++;
		break;
	default:
		break;
	}
	if (*end || v > SIZE_MAX / mul)
		return -EINVAL;
	*out = (size_t)(v * mul);
	return 0;
}
