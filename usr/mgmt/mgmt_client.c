// SPDX-License-Identifier: GPL-2.0-or-later
/* Synchronous client of the control socket, used by tgtxadm and tgtx-admin. */
#include "mgmt_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/strbuf.h"
#include "mgmt_proto.h"

/* Long enough for a target deletion that waits on nothing but the loop. */
#define CLIENT_TIMEOUT_MS 60000

/* One deadline for the whole exchange: a daemon that trickles its answer
 * (or is stopped half way) cannot stretch the wait past it. */
static int wait_fd(int fd, short events, int64_t deadline, int timeout_ms,
		   char *err, size_t errlen)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int64_t left;
	int n;

	do {
		left = deadline - (int64_t)loop_now_ms();
		n = left > 0 ? poll(&pfd, 1, (int)left) : 0;
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return -errno;
	}
	if (n == 0) {
		snprintf(err, errlen, "the daemon did not answer in %d ms",
			 timeout_ms);
		return -ETIMEDOUT;
	}
	return 0;
}

static int send_all(int fd, const char *p, size_t len, int64_t deadline,
		    int timeout_ms, char *err, size_t errlen)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ret = wait_fd(fd, POLLOUT, deadline, timeout_ms,
					      err, errlen);
				if (ret)
					return ret;
				continue;
			}
			snprintf(err, errlen,
				 "failed to send the request to the daemon: %s",
				 strerror(errno));
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mgmt_call(const char *sock_path, const struct strbuf *req, int *status,
	      struct strbuf *out, char *err, size_t errlen)
{
	return mgmt_call_timeout(sock_path, req, CLIENT_TIMEOUT_MS, status, out,
				 err, errlen);
}

int mgmt_call_timeout(const char *sock_path, const struct strbuf *req,
		      int timeout_ms, int *status, struct strbuf *out,
		      char *err, size_t errlen)
{
	int64_t deadline = (int64_t)loop_now_ms() + timeout_ms;
	struct timeval tv;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct strbuf resp = STRBUF_INIT;
	const char *text;
	size_t text_len;
	char buf[16384];
	int fd, ret;

	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s",
			 sock_path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	/* A connect waits without bound once a stopped daemon's listen
	 * queue is full; the send timeout bounds that wait (-EAGAIN). */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "setsockopt: %s", strerror(errno));
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		if (errno == EAGAIN) {
			snprintf(err, errlen,
				 "the tgtxd daemon at %s accepted no "
				 "connection in %d ms (stopped or hung?)",
				 sock_path, timeout_ms);
			goto out;
		}
		snprintf(err, errlen,
			 "can't connect to the tgtxd daemon at %s: %s "
			 "(is tgtxd running? check -C/--control-socket)",
			 sock_path, strerror(errno));
		goto out;
	}
	/* the rest waits in poll, against the one deadline */
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		ret = -errno;
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		goto out;
	}
	ret = send_all(fd, strbuf_str(req), req->len, deadline, timeout_ms, err,
		       errlen);
	if (ret)
		goto out;
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n;

		ret = wait_fd(fd, POLLIN, deadline, timeout_ms, err, errlen);
		if (ret)
			goto out;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ret = -errno;
			snprintf(err, errlen,
				 "failed to read the daemon's answer: %s",
				 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (resp.len + (size_t)n > MGMT_RESP_MAX) {
			snprintf(err, errlen, "the daemon's answer is too big");
			ret = -E2BIG;
			goto out;
		}
		strbuf_add(&resp, buf, (size_t)n);
		if (resp.oom) {
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto out;
		}
	}
	if (mgmt_resp_decode(strbuf_str(&resp), resp.len, status, &text,
			     &text_len)) {
		snprintf(err, errlen,
			 "the daemon's answer is malformed (%zu bytes)",
			 resp.len);
		ret = -EPROTO;
		goto out;
	}
	strbuf_add(out, text, text_len);
	ret = 0;
out:
	strbuf_free(&resp);
	close(fd);
	return ret;
}
