/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Closing a connection the daemon drops (deadline, protocol error, a peer
 * that does not read, shutdown). close() queues the FIN behind whatever
 * the peer has not taken yet: for a peer that does not read, the FIN is
 * never sent, the kernel keeps the bytes in an orphaned FIN-WAIT-1 socket
 * until its orphan timeouts, and the peer learns of the drop only if it
 * reads again. So a drop with bytes still unacknowledged is a reset
 * (SO_LINGER 0), which frees them at once and tells the peer now. With
 * nothing outstanding the orderly FIN is kept. A graceful close (after a
 * Logout, a finished conversation) waits for tcp_unacked() to reach 0
 * under its own deadline and then calls tcp_drop(), which is then a FIN.
 */
#ifndef TGTX_CORE_TCP_DROP_H
#define TGTX_CORE_TCP_DROP_H

/*
 * No epoll event reports an emptied send queue: a graceful close looks at
 * tcp_unacked() again this often until it is 0 or its deadline passes.
 */
#define TCP_UNACKED_POLL_MS 50

/*
 * Bytes the peer has not acknowledged (SIOCOUTQ: unsent plus in flight;
 * for an AF_UNIX socket, bytes its peer has not read). 0 when unknown.
 */
int tcp_unacked(int fd);

/*
 * Closes fd: a reset when the peer has not acknowledged everything, else
 * a plain close. Returns the unacknowledged bytes (> 0: it was a reset).
 */
int tcp_drop(int fd);

#endif
