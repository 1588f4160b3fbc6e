// SPDX-License-Identifier: GPL-2.0-or-later
#include "escape.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void mem_escape(const void *in, size_t len, char *out, size_t outlen)
{
	const uint8_t *p = in;
	size_t o = 0, i;

	if (!outlen)
		return;
	for (i = 0; i < len; i++) {
		uint8_t b = p[i];
		char e[5];
		size_t n;

		if (b == '\\') {
			memcpy(e, "\\\\", 3);
			n = 2;
		} else if (b < 0x20 || b >= 0x7f) {
			snprintf(e, sizeof(e), "\\x%02x", b);
			n = 4;
		} else {
			e[0] = (char)b;
			n = 1;
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, e, n);
		o += n;
	}
	out[o] = 0;
}

void str_escape(const char *in, char *out, size_t outlen)
{
	mem_escape(in, in ? strlen(in) : 0, out, outlen);
}

bool utf8_valid(const char *in, size_t len)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t i = 0;

	while (i < len) {
		uint8_t b = p[i];
		uint32_t cp;
		size_t n, k;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			n = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			n = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			n = 3;
			cp = b & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}
