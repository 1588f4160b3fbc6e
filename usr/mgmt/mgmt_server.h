/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's end of the control socket: accepts tgtxadm/tgtx-admin
 * requests on the event loop and runs them against the configuration model.
 */
#ifndef TGTX_MGMT_SERVER_H
#define TGTX_MGMT_SERVER_H

#include <stddef.h>

#include "mgmt_path.h"

/*
 * Listens on the Unix socket `path` (mode 0600; a stale socket is replaced,
 * its directory created). Needs loop_init() first. 0 or -errno + message.
 */
int mgmt_server_start(const char *path, char *err, size_t errlen);
/* Closes the listener and every client connection, removes the socket. */
void mgmt_server_stop(void);

#endif
