// SPDX-License-Identifier: GPL-2.0-or-later
/* Blocking client of the control socket, used by tgtxadm and tgtx-admin. */
#include "mgmt_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "mgmt_proto.h"

/* Long enough for a target deletion that waits on nothing but the loop. */
#define CLIENT_TIMEOUT_MS 60000

static int wait_fd(int fd, short events, char *err, size_t errlen)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int n;

	do {
		n = poll(&pfd, 1, CLIENT_TIMEOUT_MS);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return -errno;
	}
	if (n == 0) {
		snprintf(err, errlen, "the daemon did not answer in %d s",
			 CLIENT_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	return 0;
}

static int send_all(int fd, const char *p, size_t len, char *err, size_t errlen)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
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
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		snprintf(err, errlen,
			 "can't connect to the tgtxd daemon at %s: %s "
			 "(is tgtxd running? check -C/--control-socket)",
			 sock_path, strerror(errno));
		goto out;
	}
	ret = send_all(fd, strbuf_str(req), req->len, err, errlen);
	if (ret)
		goto out;
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n;

		ret = wait_fd(fd, POLLIN, err, errlen);
		if (ret)
			goto out;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
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
