// SPDX-License-Identifier: GPL-2.0-or-later
/* Closing a dropped connection (tcp_drop.h). */
#include "tcp_drop.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

int tcp_unacked(int fd)
{
	int n = 0;

	if (ioctl(fd, SIOCOUTQ, &n) < 0 || n < 0)
		return 0;
	return n;
}

int tcp_drop(int fd)
{
	int left = tcp_unacked(fd);

	if (left) {
		struct linger lg = {1, 0};

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
	return left;
}
