/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control-socket wire format between tgtxadm/tgtx-admin and tgtxd,
 * defined here and only here (see doc/management.md).
 *
 * Transport: a SOCK_STREAM Unix socket, one request per connection.
 *
 * Request (client -> daemon), plain 7-bit-clean text:
 *     key=value\n      (1..MGMT_FIELDS_MAX lines)
 *     \n               (an empty line ends the request)
 *   key:   1..MGMT_KEY_MAX-1 bytes of [a-z0-9_-], unique in a request.
 *          Keys are tgtxadm's long option names: op, mode, tid, lun, ...
 *   value: 0..MGMT_VALUE_MAX-1 bytes, any byte except NUL, '\r' and '\n'.
 *   The whole request, terminator included, is at most MGMT_REQ_MAX bytes;
 *   the daemon drops a connection that sends more without finishing.
 *
 * Response (daemon -> client), then the daemon closes the connection:
 *     status=<n>\n     n: 0 success, else a positive errno value
 *     \n
 *     <text>           show output, or a one-line error message; the end
 *                      of the stream ends it; at most MGMT_RESP_MAX bytes.
 */
#ifndef TGTX_MGMT_PROTO_H
#define TGTX_MGMT_PROTO_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

#define MGMT_REQ_MAX	65536u
#define MGMT_KEY_MAX	32u
#define MGMT_VALUE_MAX	4096u
#define MGMT_FIELDS_MAX 64u
#define MGMT_RESP_MAX	(64u << 20)
/* The daemon gives up on a client that stays silent this long. */
#define MGMT_IO_TIMEOUT_MS 10000u

struct mgmt_req {
	unsigned int nr;
	const char *key[MGMT_FIELDS_MAX];
	const char *val[MGMT_FIELDS_MAX];
	char buf[MGMT_REQ_MAX + 1]; /* decoded copy the pointers point into */
};

/* ---- encoding (clients) ---- */
/* Appends one field; -EINVAL when key or value breaks the rules above. */
int mgmt_req_add(struct strbuf *sb, const char *key, const char *value);
/* Appends the empty line; -E2BIG when the request grew past the limit. */
int mgmt_req_end(struct strbuf *sb);

/* ---- decoding (daemon) ---- */
/*
 * Returns the request length (terminator included) once buf holds a whole
 * request, 0 when more bytes are needed, -E2BIG when the limit is passed
 * without a terminator.
 */
long mgmt_req_complete(const char *buf, size_t len);
/* Parses a whole request; -EINVAL with a message when it is malformed. */
int mgmt_req_decode(struct mgmt_req *req, const char *buf, size_t len,
		    char *err, size_t errlen);
/* Value of key, NULL when absent. */
const char *mgmt_req_get(const struct mgmt_req *req, const char *key);

/* ---- response ---- */
void mgmt_resp_encode(struct strbuf *out, int status, const char *text,
		      size_t text_len);
/* Splits a full response; -EINVAL when it is malformed. */
int mgmt_resp_decode(const char *buf, size_t len, int *status,
		     const char **text, size_t *text_len);

#endif
