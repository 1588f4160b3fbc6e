// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Backing-store registry, deferred completion and bsopts parsing shared by
 * every store.
 */
#include "bs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Stores register from constructors, before main() and before any allocator
 * hooks or logging are set up, so a fixed table is the simplest safe choice.
 */
#define BS_MAX_STORES 32

static const struct bs_ops *stores[BS_MAX_STORES];
static unsigned int nr_stores;

void bs_register(const struct bs_ops *ops)
{
	unsigned int i;

	if (!ops || !ops->name)
		return;
	for (i = 0; i < nr_stores; i++)
		if (!strcmp(stores[i]->name, ops->name))
			return; /* first registration wins */
	if (nr_stores < BS_MAX_STORES)
		stores[nr_stores++] = ops;
}

const struct bs_ops *bs_find(const char *name)
{
	unsigned int i;

	if (!name)
		return NULL;
	for (i = 0; i < nr_stores; i++)
		if (!strcmp(stores[i]->name, name))
			return stores[i];
	return NULL;
}

void bs_for_each(void (*fn)(const struct bs_ops *ops, void *arg), void *arg)
{
	unsigned int i;

	for (i = 0; i < nr_stores; i++)
		fn(stores[i], arg);
}

static void bs_done_deferred(struct loop_defer *d)
{
	struct bs_req *req = container_of(d, struct bs_req, defer);

	req->done(req);
}

/*
 * The submitter may still be inside the call that started the request (a
 * store that fails or finishes synchronously), so done always runs from the
 * loop's deferred queue, never on the caller's stack.
 */
void bs_complete(struct bs_req *req, int result)
{
	req->result = result;
	loop_defer_init(&req->defer, bs_done_deferred);
	loop_defer_queue(&req->defer);
}

/*
 * Walks "k=v;k=v" items. Returns a pointer past the item, or NULL at the end.
 * Whitespace around keys and values is ignored; empty items are skipped.
 */
struct opt_item {
	const char *key, *val;
	size_t klen, vlen;
};

static const char *opt_next(const char *p, struct opt_item *it)
{
	const char *end, *eq;

	for (;;) {
		if (!p || !*p)
			return NULL;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		it->key = p;
		it->klen = (size_t)((eq ? eq : end) - p);
		it->val = eq ? eq + 1 : end;
		it->vlen = (size_t)(end - it->val);
		while (it->klen && isspace((unsigned char)*it->key)) {
			it->key++;
			it->klen--;
		}
		while (it->klen &&
		       isspace((unsigned char)it->key[it->klen - 1]))
			it->klen--;
		while (it->vlen && isspace((unsigned char)*it->val)) {
			it->val++;
			it->vlen--;
		}
		while (it->vlen &&
		       isspace((unsigned char)it->val[it->vlen - 1]))
			it->vlen--;
		p = *end ? end + 1 : end;
		if (it->klen)
			return p;
	}
}

bool bs_opt_get(const char *opts, const char *key, char *val, size_t vlen)
{
	struct opt_item it;
	const char *p = opts;
	size_t klen = strlen(key);

	while ((p = opt_next(p, &it))) {
		size_t n;

		if (it.klen != klen || memcmp(it.key, key, klen))
			continue;
		if (val && vlen) {
			n = it.vlen < vlen - 1 ? it.vlen : vlen - 1;
			memcpy(val, it.val, n);
			val[n] = '\0';
		}
		return true;
	}
	return false;
}

int bs_opt_check(const char *opts, const char *const *known, char *err,
		 size_t errlen)
{
	struct opt_item it;
	const char *p = opts;

	while ((p = opt_next(p, &it))) {
		const char *const *k;
		bool found = false;

		for (k = known; k && *k; k++) {
			if (strlen(*k) == it.klen &&
			    !memcmp(*k, it.key, it.klen)) {
				found = true;
				break;
			}
		}
		if (!found) {
			if (err && errlen)
				snprintf(err, errlen, "unknown option '%.*s'",
					 (int)(it.klen > 64 ? 64 : it.klen),
					 it.key);
			return -EINVAL;
		}
	}
	return 0;
}

int bs_opt_bool(const char *opts, const char *key, bool *out)
{
	char v[16];

	if (!bs_opt_get(opts, key, v, sizeof(v)))
		return 0;
	if (!*v || !strcasecmp(v, "1") || !strcasecmp(v, "yes") ||
	    !strcasecmp(v, "on") || !strcasecmp(v, "true")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "0") || !strcasecmp(v, "no") ||
	    !strcasecmp(v, "off") || !strcasecmp(v, "false")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int bs_opt_uint(const char *opts, const char *key, uint64_t max, uint64_t *out)
{
	char v[32], *end;
	unsigned long long x;

	if (!bs_opt_get(opts, key, v, sizeof(v)))
		return 0;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || *end || errno || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

int bs_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	switch (toupper((unsigned char)*p)) {
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'G':
		mult = 1ULL << 30;
		break;
	case 'T':
		mult = 1ULL << 40;
		break;
	case 'P':
		mult = 1ULL << 50;
		break;
	default:
		break;
	}
	if (mult > 1) {
		p++;
		if (*p == 'i' || *p == 'I')
			p++;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}
