/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the daemon and the admin tools meet: the control socket's path. */
#ifndef TGTX_MGMT_PATH_H
#define TGTX_MGMT_PATH_H

#define MGMT_SOCKET_DIR "/run/tgtx"

/*
 * "/run/tgtx/socket.<control_port>" (as tgtd's -C selects its channel).
 * Points to static storage overwritten by the next call.
 */
const char *mgmt_default_socket(int control_port);

#endif
