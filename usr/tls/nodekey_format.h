/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node key file (STATE_DIR/node.key, mode 0600): a node's Ed25519
 * identity, shared by tgtxd (its TLS portal), tgtx-replicd (TLS client)
 * and the gossip layer. Defined here and nowhere else; doc/transport.md
 * and doc/gossip.md describe it. Little-endian, CRC32C over bytes 0..71.
 */
#ifndef TGTX_NODEKEY_FORMAT_H
#define TGTX_NODEKEY_FORMAT_H

#include <stdint.h>

#define NODEKEY_MAGIC	  0x4b4e4754U /* "TGNK" */
#define NODEKEY_VERSION	  1
#define NODEKEY_FILE_SIZE 80
#define NODEKEY_FILE	  "node.key" /* its name in a state directory */

struct nodekey_disk {
	uint32_t magic;	    /*  0 NODEKEY_MAGIC */
	uint16_t version;   /*  4 NODEKEY_VERSION */
	uint16_t reserved0; /*  6 zero */
	uint8_t priv[32];   /*  8 Ed25519 private key (seed) */
	uint8_t pub[32];    /* 40 its public key, checked on load */
	uint32_t crc;	    /* 72 CRC32C of bytes 0..71 */
	uint32_t reserved1; /* 76 zero */
} __attribute__((packed));

_Static_assert(sizeof(struct nodekey_disk) == NODEKEY_FILE_SIZE, "nodekey");

#endif
