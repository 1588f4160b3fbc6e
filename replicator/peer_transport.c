// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The share-location table numbers its transports TLS 0 (an unset field
 * must never mean clear text), the peer layer and the status file PLAIN 0.
 * Both are on-disk/wire formats, so neither moves: they are converted here
 * only (test_replicator_transport.c).
 */
#include <errno.h>

#include "replicator/gossip/slt_format.h"
#include "peer.h"
#include "rd.h"

_Static_assert(RD_TRANSPORT_PLAIN == PEER_TRANSPORT_PLAIN &&
		       RD_TRANSPORT_IPSEC == PEER_TRANSPORT_IPSEC &&
		       RD_TRANSPORT_TLS == PEER_TRANSPORT_TLS,
	       "targets.conf transports are peer transports");

int peer_transport_from_slt(unsigned slt_transport)
{
	switch (slt_transport) {
	case SLT_TRANSPORT_TLS:
		return PEER_TRANSPORT_TLS;
	case SLT_TRANSPORT_IPSEC:
		return PEER_TRANSPORT_IPSEC;
	case SLT_TRANSPORT_PLAIN:
		return PEER_TRANSPORT_PLAIN;
	}
	return -EINVAL;
}

int peer_transport_to_slt(int transport)
{
	switch (transport) {
	case PEER_TRANSPORT_TLS:
		return SLT_TRANSPORT_TLS;
	case PEER_TRANSPORT_IPSEC:
		return SLT_TRANSPORT_IPSEC;
	case PEER_TRANSPORT_PLAIN:
		return SLT_TRANSPORT_PLAIN;
	}
	return -EINVAL;
}
