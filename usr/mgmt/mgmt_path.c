// SPDX-License-Identifier: GPL-2.0-or-later
#include "mgmt_path.h"

#include <stdio.h>

const char *mgmt_default_socket(int control_port)
{
	static char path[64];

	snprintf(path, sizeof(path), MGMT_SOCKET_DIR "/socket.%d",
		 control_port);
	return path;
}
