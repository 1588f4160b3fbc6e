/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The admin tools' end of the control socket. */
#ifndef TGTX_MGMT_CLIENT_H
#define TGTX_MGMT_CLIENT_H

#include <stddef.h>

struct strbuf;

/*
 * Sends an encoded request (mgmt_req_add/mgmt_req_end) to the daemon at
 * sock_path and waits for its answer. On success returns 0 with the
 * daemon's status in *status and its text appended to out; returns -errno
 * with a message when the daemon cannot be reached or answers garbage.
 */
int mgmt_call(const char *sock_path, const struct strbuf *req, int *status,
	      struct strbuf *out, char *err, size_t errlen);

#endif
