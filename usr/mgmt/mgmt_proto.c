// SPDX-License-Identifier: GPL-2.0-or-later
/* Encoding and decoding of the control-socket format (mgmt_proto.h). */
#include "mgmt_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

static bool key_valid(const char *key, size_t len)
{
	size_t i;

	if (len == 0 || len >= MGMT_KEY_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool value_valid(const char *v, size_t len)
{
	if (len >= MGMT_VALUE_MAX)
		return false;
	return !memchr(v, '\n', len) && !memchr(v, '\r', len) &&
	       !memchr(v, '\0', len);
}

int mgmt_req_add(struct strbuf *sb, const char *key, const char *value)
{
	if (!key || !value || !key_valid(key, strlen(key)) ||
	    !value_valid(value, strlen(value)))
		return -EINVAL;
	strbuf_addf(sb, "%s=%s\n", key, value);
	return sb->oom ? -ENOMEM : 0;
}

int mgmt_req_end(struct strbuf *sb)
{
	strbuf_add(sb, "\n", 1);
	if (sb->oom)
		return -ENOMEM;
	return sb->len > MGMT_REQ_MAX ? -E2BIG : 0;
}

long mgmt_req_complete(const char *buf, size_t len)
{
	size_t i, scan = len < MGMT_REQ_MAX ? len : MGMT_REQ_MAX;

	/* an empty first line is an (empty, invalid) request: decode says so */
	if (scan >= 1 && buf[0] == '\n')
		return 1;
	for (i = 1; i < scan; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\n')
			return (long)(i + 1);
	return len >= MGMT_REQ_MAX ? -E2BIG : 0;
}

static int fail(char *err, size_t errlen, const char *msg, unsigned int line)
{
	if (err && errlen)
		snprintf(err, errlen, "malformed request, line %u: %s", line,
			 msg);
	return -EINVAL;
}

int mgmt_req_decode(struct mgmt_req *req, const char *buf, size_t len,
		    char *err, size_t errlen)
{
	char *p, *end;
	unsigned int line = 0, i;

	req->nr = 0;
	if (len == 0 || len > MGMT_REQ_MAX)
		return fail(err, errlen, "bad size", 0);
	if (memchr(buf, '\0', len))
		return fail(err, errlen, "NUL byte", 0);
	memcpy(req->buf, buf, len);
	req->buf[len] = '\0';
	p = req->buf;
	end = req->buf + len;

	for (;;) {
		char *nl, *eq;

		line++;
		if (p >= end)
			return fail(err, errlen, "no terminating empty line",
				    line);
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return fail(err, errlen, "unterminated line", line);
		if (nl == p) {
			if (nl + 1 != end)
				return fail(err, errlen,
					    "data after the terminator", line);
			break;
		}
		*nl = '\0';
		eq = strchr(p, '=');
		if (!eq)
			return fail(err, errlen, "missing '='", line);
		*eq = '\0';
		if (!key_valid(p, (size_t)(eq - p)))
			return fail(err, errlen, "invalid key", line);
		if (!value_valid(eq + 1, strlen(eq + 1)))
			return fail(err, errlen, "invalid value", line);
		if (req->nr == MGMT_FIELDS_MAX)
			return fail(err, errlen, "too many fields", line);
		for (i = 0; i < req->nr; i++)
			if (!strcmp(req->key[i], p))
				return fail(err, errlen, "duplicate key", line);
		req->key[req->nr] = p;
		req->val[req->nr] = eq + 1;
		req->nr++;
		p = nl + 1;
	}
	if (!req->nr)
		return fail(err, errlen, "empty request", line);
	return 0;
}

const char *mgmt_req_get(const struct mgmt_req *req, const char *key)
{
	unsigned int i;

	for (i = 0; i < req->nr; i++)
		if (!strcmp(req->key[i], key))
			return req->val[i];
	return NULL;
}

void mgmt_resp_encode(struct strbuf *out, int status, const char *text,
		      size_t text_len)
{
	strbuf_addf(out, "status=%d\n\n", status);
	if (text_len > MGMT_RESP_MAX - 64)
		text_len = MGMT_RESP_MAX - 64;
	if (text && text_len)
		strbuf_add(out, text, text_len);
}

int mgmt_resp_decode(const char *buf, size_t len, int *status,
		     const char **text, size_t *text_len)
{
	const char *p = buf, *end = buf + len;
	long v = 0;
	int digits = 0;

	if (len < 10 || memcmp(p, "status=", 7))
		return -EINVAL;
	p += 7;
	while (p < end && *p >= '0' && *p <= '9' && digits < 6) {
		v = v * 10 + (*p - '0');
		p++;
		digits++;
	}
	if (!digits || end - p < 2 || p[0] != '\n' || p[1] != '\n')
		return -EINVAL;
	p += 2;
	*status = (int)v;
	*text = p;
	*text_len = (size_t)(end - p);
	return 0;
}
