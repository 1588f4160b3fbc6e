// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The share-peer rules (share_peer.h). Strict on purpose: what passes here
 * is written back by dumps, split on commas by tgtxadm's --params, quoted
 * in targets.conf and handed to libiscsi, so nothing may need escaping.
 */
#include "share_peer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const share_peer_opt_names[SP_NOPTS] = {
	[SP_URL] = "url",   [SP_TRANSPORT] = "transport", [SP_PIN] = "pin",
	[SP_RATE] = "rate", [SP_RETAIN] = "retain",
};

/* libiscsi's URL arguments (iscsi_parse_full_url) */
static const char *const url_args[] = {"target_user", "target_password",
				       "header_digest"};

int share_peer_opt_find(const char *name)
{
	int i;

	for (i = SP_TRANSPORT; i < SP_NOPTS; i++)
		if (!strcmp(name, share_peer_opt_names[i]))
			return i;
	return -1;
}

static int fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

int share_peer_key_parse(const char *key, unsigned *index,
			 enum share_peer_opt *opt, char *err, size_t errlen)
{
	const char *p = key + 11;
	unsigned long i;
	char *end;
	int o = SP_URL;

	if (strncmp(key, "share-peer.", 11) || *p < '0' || *p > '9')
		goto bad;
	i = strtoul(p, &end, 10);
	if (i >= SHARE_PEERS_MAX || (p[0] == '0' && end - p > 1))
		goto bad;
	if (*end && (*end != '.' || (o = share_peer_opt_find(end + 1)) < 0))
		goto bad;
	*index = (unsigned)i;
	*opt = (enum share_peer_opt)o;
	return 0;
bad:
	snprintf(err, errlen,
		 "unknown LU parameter '%.40s' (share-peer.0..%d, "
		 "share-peer.I.transport|pin|rate|retain)",
		 key, SHARE_PEERS_MAX - 1);
	return -EINVAL;
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Decimal of at most 12 digits (no overflow below), unit suffix apart. */
static int number(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	if (!all_digits(s, n) || n > 12)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++)
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	return 0;
}

int share_peer_parse_rate(const char *s, uint64_t *bytes_per_s)
{
	size_t n = strlen(s);
	unsigned shift = 0;
	uint64_t v;

	if (n && strchr("KkMmGg", s[n - 1])) {
		char u = s[n - 1] | 0x20;

		shift = u == 'k' ? 10 : u == 'm' ? 20 : 30;
		n--;
	}
	/* 12 digits and a G stay far below 2^64 */
	if (number(s, n, &v) || !v)
		return -EINVAL;
	*bytes_per_s = v << shift;
	return 0;
}

int share_peer_parse_retain(const char *s, uint64_t *seconds)
{
	size_t n = strlen(s);
	uint64_t v, mul;

	if (!n)
		return -EINVAL;
	switch (s[n - 1]) {
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return -EINVAL;
	}
	/* ten years is already more history than any peer LUN holds */
	if (number(s, n - 1, &v) || v * mul > 3650ull * 86400)
		return -EINVAL;
	*seconds = v * mul;
	return 0;
}

/* HOST[:PORT] of a URL: a name or IPv4 address, or [IPv6]. */
static bool host_ok(const char *h, size_t n)
{
	const char *colon;
	uint64_t port;

	if (n && h[0] == '[') {
		const char *rb = memchr(h, ']', n);

		if (!rb || rb == h + 1)
			return false;
		colon = rb + 1 < h + n ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return false;
		if (memchr(h + 1, '[', (size_t)(rb - h - 1)))
			return false;
	} else {
		colon = memchr(h, ':', n);
		if (colon == h || !n || memchr(h, ']', n) ||
		    (colon &&
		     memchr(colon + 1, ':', (size_t)(h + n - colon - 1))))
			return false;
	}
	if (!colon)
		return true;
	return !number(colon + 1, (size_t)(h + n - colon - 1), &port) &&
	       port >= 1 && port <= 65535;
}

static int check_query(const char *q, char *err, size_t errlen)
{
	while (*q) {
		size_t n = strcspn(q, "&"), k = strcspn(q, "=");
		size_t i;

		if (k >= n || k == 0 || k + 1 == n)
			return fail(err, errlen,
				    "bad share-peer URL: arguments are "
				    "?key=value&key=value");
		for (i = 0; i < sizeof(url_args) / sizeof(url_args[0]); i++)
			if (strlen(url_args[i]) == k &&
			    !strncmp(q, url_args[i], k))
				break;
		if (i == sizeof(url_args) / sizeof(url_args[0]))
			return fail(err, errlen,
				    "bad share-peer URL: known arguments are "
				    "target_user, target_password, "
				    "header_digest");
		q += n;
		if (*q && !*++q)
			return fail(err, errlen,
				    "bad share-peer URL: empty argument");
	}
	return 0;
}

static int check_url(const char *u, char *err, size_t errlen)
{
	const char *auth, *slash, *at, *lun, *q;
	size_t i, n = strlen(u);
	uint64_t v;

	if (n > SHARE_PEER_URL_MAX)
		return fail(err, errlen,
			    "share-peer URL longer than 1024 bytes");
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] >= 0x7f ||
		    strchr("\"'\\,;", u[i]))
			return fail(err, errlen,
				    "bad share-peer URL: no spaces, control or "
				    "non-ASCII bytes, quotes, backslashes, "
				    "commas or semicolons");
	if (strncmp(u, "iscsi://", 8))
		return fail(err, errlen,
			    "share-peer URL must be "
			    "iscsi://[USER%PASSWORD@]HOST[:PORT]/IQN/LUN");
	auth = u + 8;
	slash = strchr(auth, '/');
	if (!slash)
		return fail(err, errlen,
			    "share-peer URL lacks /IQN/LUN "
			    "(iscsi://HOST[:PORT]/IQN/LUN)");
	at = memchr(auth, '@', (size_t)(slash - auth));
	if (at) {
		/* libiscsi splits USER%PASSWORD@ at the first '@' */
		if (at == auth || *auth == '%' ||
		    memchr(at + 1, '@', (size_t)(slash - at - 1)))
			return fail(err, errlen,
				    "bad share-peer URL: credentials are "
				    "USER[%PASSWORD]@ (one '@', user not "
				    "empty)");
		auth = at + 1;
	}
	if (!host_ok(auth, (size_t)(slash - auth)))
		return fail(err, errlen, "bad share-peer URL: bad HOST[:PORT]");
	lun = strchr(slash + 1, '/');
	if (!lun)
		return fail(err, errlen,
			    "share-peer URL lacks the LUN "
			    "(iscsi://HOST[:PORT]/IQN/LUN)");
	if (lun == slash + 1)
		return fail(err, errlen,
			    "share-peer URL lacks the target IQN "
			    "(iscsi://HOST[:PORT]/IQN/LUN)");
	lun++;
	q = lun + strcspn(lun, "?");
	if (number(lun, (size_t)(q - lun), &v) || v > 16383)
		return fail(err, errlen,
			    "bad share-peer URL: LUN must be 0..16383 "
			    "(iscsi://HOST[:PORT]/IQN/LUN)");
	if (*q && !q[1])
		return fail(err, errlen, "bad share-peer URL: empty arguments");
	if (*q)
		return check_query(q + 1, err, errlen);
	return 0;
}

int share_peer_check(enum share_peer_opt opt, const char *value, char *err,
		     size_t errlen)
{
	uint64_t v;
	size_t i;

	switch (opt) {
	case SP_URL:
		return check_url(value, err, errlen);
	case SP_TRANSPORT:
		if (strcmp(value, "tls") && strcmp(value, "ipsec") &&
		    strcmp(value, "plain"))
			break;
		return 0;
	case SP_PIN:
		if (strlen(value) != SHARE_PEER_PIN_LEN)
			break;
		for (i = 0; i < SHARE_PEER_PIN_LEN; i++)
			if (!strchr("0123456789abcdef", value[i]))
				break;
		if (i < SHARE_PEER_PIN_LEN)
			break;
		return 0;
	case SP_RATE:
		if (share_peer_parse_rate(value, &v))
			break;
		return 0;
	case SP_RETAIN:
		if (share_peer_parse_retain(value, &v))
			break;
		return 0;
	default:
		return fail(err, errlen, "unknown share-peer option");
	}
	{
		static const char *const want[SP_NOPTS] = {
			[SP_TRANSPORT] = "tls, ipsec or plain",
			[SP_PIN] = "64 lowercase hex digits, the SHA-256 of "
				   "the peer's node public key",
			[SP_RATE] = "bytes per second > 0, optionally with "
				    "K, M or G",
			[SP_RETAIN] = "a duration such as 30s, 10m, 24h, 7d",
		};

		snprintf(err, errlen, "bad share-peer %s '%.80s' (%s)",
			 share_peer_opt_names[opt], value, want[opt]);
	}
	return -EINVAL;
}

/* Copies n bytes of s to out at *used, bounded. */
static void put(char *out, size_t outlen, size_t *used, const char *s, size_t n)
{
	if (*used + 1 >= outlen)
		return;
	if (n > outlen - 1 - *used)
		n = outlen - 1 - *used;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = '\0';
}

void share_peer_mask_url(const char *url, char *out, size_t outlen)
{
	const char *scheme = strstr(url, "://");
	const char *start = scheme ? scheme + 3 : url;
	/* the authority ends at the first '/', as check_url reads it: a
	 * password may hold '?' or '#' */
	const char *end = start + strcspn(start, "/");
	const char *at = NULL, *p, *q;
	size_t used = 0;

	if (!outlen)
		return;
	out[0] = '\0';
	for (p = start; p < end; p++)
		if (*p == '@')
			at = p;
	if (at) {
		put(out, outlen, &used, url, (size_t)(start - url));
		put(out, outlen, &used, "***", 3);
		p = at;
	} else {
		p = url;
	}
	q = strchr(p, '?');
	if (!q) {
		put(out, outlen, &used, p, strlen(p));
		return;
	}
	put(out, outlen, &used, p, (size_t)(q - p) + 1);
	for (p = q + 1; *p;) {
		size_t n = strcspn(p, "&"), k = strcspn(p, "=");

		if (k < n && (!strncmp(p, "target_password=", 16) ||
			      !strncmp(p, "target_user=", 12))) {
			put(out, outlen, &used, p, k + 1);
			put(out, outlen, &used, "***", 3);
		} else {
			put(out, outlen, &used, p, n);
		}
		p += n;
		if (*p) {
			put(out, outlen, &used, "&", 1);
			p++;
		}
	}
}
