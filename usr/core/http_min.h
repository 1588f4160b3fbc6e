/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal HTTP/1.0-1.1 server on the event loop, for read-only endpoints
 * such as `tgtxd --metrics`. One request per connection (the answer says
 * "Connection: close"), GET and HEAD only, no request body. Bounded against
 * hostile clients: HTTP_MAX_REQ bytes of request line and headers, one
 * deadline of HTTP_DEADLINE_MS per connection from accept to close, at most
 * HTTP_MAX_CONNS connections (a new one evicts the oldest). Never blocks.
 */
#ifndef TGTX_HTTP_MIN_H
#define TGTX_HTTP_MIN_H

#include <stdint.h>
#include <sys/socket.h>

struct strbuf;

#define HTTP_MAX_REQ	 8192
#define HTTP_MAX_CONNS	 16
#define HTTP_DEADLINE_MS 5000
/* Bytes read and dropped after the answer before the connection closes. */
#define HTTP_MAX_DISCARD 65536

/*
 * Answers GET/HEAD of path (without the query string): fills body and sets
 * *ctype, returns the HTTP status (200, 404...).
 */
typedef int (*http_handler)(const char *path, struct strbuf *body,
			    const char **ctype);

struct http_stats {
	uint64_t requests;  /* answered, whatever the status */
	uint64_t too_large; /* request line + headers over HTTP_MAX_REQ */
	uint64_t bad;	    /* malformed request, or a method other than GET */
	uint64_t timeouts;  /* deadline passed */
	uint64_t evicted;   /* closed to make room for a new connection */
	uint64_t accepted;
};

/* Listens on sa (SO_REUSEADDR). 0 or -errno with a message. */
int http_min_start(const struct sockaddr *sa, socklen_t len, http_handler h,
		   char *err, size_t errlen);
/* Closes the listener and every connection. */
void http_min_stop(void);
const struct http_stats *http_min_stats(void);
/* Connections open now. */
unsigned http_min_nr_conns(void);

#endif
