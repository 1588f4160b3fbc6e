/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node key moved to usr/tls/ (tgtxd's TLS portal needs it too); this
 * header keeps the gossip code's includes and sizes as they were.
 */
#ifndef TGTX_NODEKEY_H
#define TGTX_NODEKEY_H

#include "slt_format.h"
#include "tls/nodekey.h"

_Static_assert(SLT_PUB_SIZE == NODEKEY_PUB_SIZE, "pub size");
_Static_assert(SLT_ID_SIZE == NODEKEY_ID_SIZE, "id size");
_Static_assert(SLT_SIG_SIZE == NODEKEY_SIG_SIZE, "sig size");

#endif
