// SPDX-License-Identifier: GPL-2.0-or-later
/* tgtx-replicd --metrics ADDR:PORT: Prometheus text over usr/core's
 * bounded HTTP server, on the main thread's event loop. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "core/http_min.h"
#include "core/strbuf.h"
#include "rd.h"

static void (*extra)(struct strbuf *out);

void rd_metrics_extra(void (*fn)(struct strbuf *out))
{
	extra = fn;
}

static int serve(const char *path, struct strbuf *body, const char **ctype)
{
	if (strcmp(path, "/metrics")) {
		strbuf_addf(body, "not found: try /metrics\n");
		return 404;
	}
	rd_metrics_render(body);
	if (extra)
		extra(body);
	*ctype = "text/plain; version=0.0.4; charset=utf-8";
	return body->oom ? 500 : 200;
}

int rd_metrics_start(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char host[256];
	const char *colon = strrchr(spec, ':');
	size_t hlen;
	int ret;

	if (!colon || !colon[1] || (size_t)(colon - spec) >= sizeof(host))
		goto bad;
	hlen = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (hlen < 2 || spec[hlen - 1] != ']')
			goto bad;
		memcpy(host, spec + 1, hlen - 2);
		host[hlen - 2] = '\0';
	} else {
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		if (strchr(host, ':'))
			goto bad;
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai) || !ai)
		goto bad;
	ret = http_min_start(ai->ai_addr, ai->ai_addrlen, serve, err, errlen);
	freeaddrinfo(ai);
	return ret;
bad:
	snprintf(err, errlen, "bad address '%s' (ADDR:PORT or [V6ADDR]:PORT)",
		 spec);
	return -EINVAL;
}

void rd_metrics_stop(void)
{
	http_min_stop();
}
