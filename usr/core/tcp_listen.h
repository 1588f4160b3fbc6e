/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A listening TCP socket as the daemons' servers open it (iSCSI portals,
 * TLS portals, gossip): non-blocking, close-on-exec, SO_REUSEADDR (a
 * restart does not wait for old connections' TIME_WAIT), and for IPv6 an
 * explicit IPV6_V6ONLY, since the system default differs between hosts and
 * whether [::] also takes IPv4 is the caller's choice.
 */
#ifndef TGTX_CORE_TCP_LISTEN_H
#define TGTX_CORE_TCP_LISTEN_H

#include <stdbool.h>
#include <sys/socket.h>

/* The listening fd, or -errno when socket(), bind() or listen() failed. */
int tcp_listen(const struct sockaddr_storage *ss, socklen_t len, bool v6only,
	       int backlog);

#endif
