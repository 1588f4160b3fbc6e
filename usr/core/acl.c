// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Initiator address patterns: "ALL", an IPv4/IPv6 address or a CIDR.
 * Separate from target.c so the admin tools can validate patterns in
 * targets.conf without linking the daemon.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "target.h"

/*
 * Parses an address or CIDR pattern. Returns the address family (AF_INET or
 * AF_INET6) and fills addr (4 or 16 bytes) and prefix; 0 when invalid.
 */
static int parse_pattern(const char *pattern, unsigned char addr[16],
			 int *prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(pattern, '/');
	size_t alen = slash ? (size_t)(slash - pattern) : strlen(pattern);
	int family, max;

	if (alen == 0 || alen >= sizeof(buf))
		return 0;
	memcpy(buf, pattern, alen);
	buf[alen] = '\0';
	/* tgt accepts "[::1]" style brackets: strip them */
	if (buf[0] == '[' && alen > 2 && buf[alen - 1] == ']') {
		memmove(buf, buf + 1, alen - 2);
		buf[alen - 2] = '\0';
	}
	if (inet_pton(AF_INET, buf, addr) == 1) {
		family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		family = AF_INET6;
		max = 128;
	} else {
		return 0;
	}
	*prefix = max;
	if (slash) {
		const char *p = slash + 1;
		int v = 0;

		if (!*p || strlen(p) > 3)
			return 0;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return 0;
			v = v * 10 + (*p - '0');
		}
		if (v > max)
			return 0;
		*prefix = v;
	}
	return family;
}

bool acl_pattern_valid(const char *pattern)
{
	unsigned char addr[16];
	int prefix;

	if (!pattern || strnlen(pattern, TGTX_NAME_MAX) == TGTX_NAME_MAX)
		return false;
	if (!strcasecmp(pattern, "ALL"))
		return true;
	return parse_pattern(pattern, addr, &prefix) != 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b,
			 int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)full))
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((a[full] & mask) != (b[full] & mask))
			return false;
	}
	return true;
}

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
						  0, 0, 0, 0, 0xff, 0xff};

bool acl_addr_match(const char *pattern, const struct sockaddr *peer)
{
	unsigned char paddr[16];
	const unsigned char *a;
	int family, prefix, peer_family;

	if (!pattern || !peer)
		return false;
	if (!strcasecmp(pattern, "ALL"))
		return true;
	family = parse_pattern(pattern, paddr, &prefix);
	if (!family)
		return false;

	if (peer->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)peer)
			    ->sin_addr;
		peer_family = AF_INET;
	} else if (peer->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		peer_family = AF_INET6;
		/* a v4 client reaching a dual-stack socket looks like this */
		if (family == AF_INET && !memcmp(a, v4mapped_prefix, 12)) {
			a += 12;
			peer_family = AF_INET;
		}
	} else {
		return false;
	}
	if (family != peer_family)
		return false;
	return prefix_equal(a, paddr, prefix);
}
