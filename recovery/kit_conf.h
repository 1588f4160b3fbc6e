/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DR kit's peers from the node's real configuration: tgtxd's share-peer
 * lines (replicator/rd.h: struct rd_conf, as tgtx-replicd reads them).
 */
#ifndef TGTX_KIT_CONF_H
#define TGTX_KIT_CONF_H

#include <stddef.h>

#include "kit.h"
#include "replicator/gossip/nodekey.h"
#include "replicator/rd.h"

/*
 * Adds one kit peer per distinct share-peer URL of c (credentials kept: the
 * kit is sealed). A peer with pin= needs its public key in the kit (the
 * restore tool finds a share's credentials by the partner id of the
 * table): it is learned by a TLS 1.3 handshake as key's node, accepted only
 * if its SHA-256 is the pin, first at the URL's portal (transport=tls),
 * then at the gossip port (HOST:3270); a peer without a pin gets an
 * all-zero key (URL only). The gossip address is HOST:3270. 0, or -errno
 * with err naming the LUN, the share index and why.
 */
int kit_peers_from_conf(struct kit *k, const struct rd_conf *c,
			const struct nodekey *key, unsigned timeout_ms,
			char *err, size_t errlen);

#endif
