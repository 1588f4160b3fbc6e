/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Portal helpers private to usr/iscsi/. */
#ifndef TGTX_ISCSI_PORTAL_H
#define TGTX_ISCSI_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/loop.h"

/* "1.2.3.4:3260" / "[::1]:3260", or the bare host without the port. */
void portal_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len,
		     bool with_port);
void portal_close_all(void);
/* A listening socket on ss (core/tcp_listen.h) watched by cb through lfd;
 * 0 or -errno, with nothing left open. */
int portal_listen(const struct sockaddr_storage *ss, socklen_t len, bool v6only,
		  struct loop_fd *lfd, loop_fd_cb cb);

#endif
