// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iSCSI text key=value parsing and building. Everything here handles
 * untrusted network input: every length is checked before it is used.
 */
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"

static const char *const text_errors[] = {
	[TEXT_OK] = "ok",
	[TEXT_ENOMEM] = "out of memory",
	[TEXT_NO_EQUALS] = "key without '='",
	[TEXT_BAD_KEY] = "invalid key name",
	[TEXT_KEY_TOO_LONG] = "key name longer than 63 bytes",
	[TEXT_VALUE_TOO_LONG] = "value too long",
	[TEXT_DUPLICATE] = "key sent twice",
	[TEXT_TOO_MANY] = "too many keys",
};

const char *text_strerror(enum text_error e)
{
	if ((unsigned int)e >= sizeof(text_errors) / sizeof(text_errors[0]))
		return "unknown error";
	return text_errors[e];
}

bool text_key_is_binary(const char *key)
{
	return !strcmp(key, "CHAP_C") || !strcmp(key, "CHAP_R");
}

/* RFC 7143 6.1: key names use letters, digits and . - + @ _ */
static bool key_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' ||
	       c == '@' || c == '_';
}

void text_list_free(struct text_list *l)
{
	free(l->pairs);
	free(l->buf);
	l->pairs = NULL;
	l->buf = NULL;
	l->n = 0;
}

const char *text_get(const struct text_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->pairs[i].key, key))
			return l->pairs[i].value;
	return NULL;
}

static enum text_error check_pair(char *s, size_t slen, struct text_pair *p)
{
	char *eq = memchr(s, '=', slen);
	size_t klen, vlen;

	if (!eq)
		return TEXT_NO_EQUALS;
	klen = (size_t)(eq - s);
	vlen = slen - klen - 1;
	if (klen == 0)
		return TEXT_BAD_KEY;
	if (klen > ISCSI_KEY_MAX)
		return TEXT_KEY_TOO_LONG;
	for (size_t i = 0; i < klen; i++)
		if (!key_char_ok(s[i]))
			return TEXT_BAD_KEY;
	*eq = '\0';
	if (vlen >
	    (text_key_is_binary(s) ? ISCSI_BIN_VALUE_MAX : ISCSI_VALUE_MAX))
		return TEXT_VALUE_TOO_LONG;
	p->key = s;
	p->value = eq + 1;
	return TEXT_OK;
}

enum text_error text_parse(const void *data, size_t len, struct text_list *out)
{
	enum text_error err = TEXT_OK;
	size_t off = 0;
	char *buf;

	out->pairs = NULL;
	out->buf = NULL;
	out->n = 0;
	/* copy with a terminating NUL so an unterminated last pair is safe */
	buf = malloc(len + 1);
	if (!buf)
		return TEXT_ENOMEM;
	if (len)
		memcpy(buf, data, len);
	buf[len] = '\0';
	out->buf = buf;
	out->pairs = calloc(ISCSI_TEXT_MAX_PAIRS, sizeof(*out->pairs));
	if (!out->pairs) {
		err = TEXT_ENOMEM;
		goto fail;
	}
	while (off < len) {
		size_t slen = strlen(buf + off);
		struct text_pair p;

		if (slen == 0) {
			off++;
			continue;
		}
		if (out->n == ISCSI_TEXT_MAX_PAIRS) {
			err = TEXT_TOO_MANY;
			goto fail;
		}
		err = check_pair(buf + off, slen, &p);
		if (err)
			goto fail;
		if (text_get(out, p.key)) {
			err = TEXT_DUPLICATE;
			goto fail;
		}
		out->pairs[out->n++] = p;
		off += slen + 1;
	}
	return TEXT_OK;
fail:
	text_list_free(out);
	return err;
}

void text_add(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_addf(sb, "%s=%s", key, value);
	/* the NUL delimiter is part of the wire format */
	strbuf_add(sb, "", 1);
}

void text_add_u32(struct strbuf *sb, const char *key, uint32_t v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	text_add(sb, key, num);
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int hex_decode(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s), nbytes = (n + 1) / 2, o = 0, i = 0;

	if (n == 0 || nbytes > max)
		return -1;
	/* an odd digit count means an implied leading zero */
	if (n % 2) {
		int v = hex_digit_val(s[0]);

		if (v < 0)
			return -1;
		out[o++] = (uint8_t)v;
		i = 1;
	}
	for (; i < n; i += 2) {
		int hi = hex_digit_val(s[i]), lo = hex_digit_val(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[o++] = (uint8_t)(hi << 4 | lo);
	}
	return (int)o;
}

static int b64_decode(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s), o = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (n == 0 || n % 4)
		return -1;
	while (pad < 2 && n > 0 && s[n - 1] == '=') {
		n--;
		pad++;
	}
	for (size_t i = 0; i < n; i++) {
		int v = b64_val(s[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == max)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* leftover bits of the last group must be zero (canonical form) */
	if (acc != 0 || o == 0)
		return -1;
	return (int)o;
}

int text_bin_decode(const char *value, uint8_t *out, size_t max)
{
	if (!value || strlen(value) < 3 || value[0] != '0')
		return -1;
	if (value[1] == 'x' || value[1] == 'X')
		return hex_decode(value + 2, out, max);
	if (value[1] == 'b' || value[1] == 'B')
		return b64_decode(value + 2, out, max);
	return -1;
}

void text_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	if (outsz < 3) {
		if (outsz)
			out[0] = '\0';
		return;
	}
	out[o++] = '0';
	out[o++] = 'x';
	for (size_t i = 0; i < n && o + 2 < outsz; i++) {
		out[o++] = digits[in[i] >> 4];
		out[o++] = digits[in[i] & 15];
	}
	out[o] = '\0';
}

int text_parse_u64(const char *value, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = value;

	if (!p || !*p)
		return -1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		if (!*p || strlen(p) > 16)
			return -1;
		for (; *p; p++) {
			int d = hex_digit_val(*p);

			if (d < 0)
				return -1;
			v = v << 4 | (uint64_t)d;
		}
	} else {
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*p - '0');
		}
	}
	*out = v;
	return 0;
}

int text_parse_bool(const char *value, bool *out)
{
	if (!strcmp(value, "Yes")) {
		*out = true;
		return 0;
	}
	if (!strcmp(value, "No")) {
		*out = false;
		return 0;
	}
	return -1;
}

int text_list_next(const char **cursor, char *item, size_t itemsz)
{
	const char *s = *cursor, *comma;
	size_t n;

	if (!s || !*s)
		return 0;
	comma = strchr(s, ',');
	n = comma ? (size_t)(comma - s) : strlen(s);
	if (n == 0 || n >= itemsz)
		return -1;
	memcpy(item, s, n);
	item[n] = '\0';
	*cursor = comma ? comma + 1 : s + n;
	/* "a," ends with an empty item: malformed */
	if (comma && !comma[1])
		return -1;
	return 1;
}

bool text_list_has(const char *list, const char *item)
{
	char buf[ISCSI_VALUE_MAX + 1];
	const char *cur = list;

	while (text_list_next(&cur, buf, sizeof(buf)) == 1)
		if (!strcmp(buf, item))
			return true;
	return false;
}
