// SPDX-License-Identifier: GPL-2.0-or-later
/* A listening TCP socket (tcp_listen.h). */
#include "tcp_listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

int tcp_listen(const struct sockaddr_storage *ss, socklen_t len, bool v6only,
	       int backlog)
{
	int fd, one = 1, v6 = v6only, ret;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    listen(fd, backlog) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
