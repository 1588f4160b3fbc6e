/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node id: 16 random bytes made at the first start of tgtxd and kept in
 * its state directory, so that the default SCSI identities built from it
 * (usr/scsi/lu_ident.c) are stable across restarts and differ between
 * machines.
 *
 * On-disk format of STATE_DIR/node-id (doc/management.md), one text line of
 * NODE_ID_FILE_LEN bytes, mode 0600, replaced only atomically:
 *
 *   "tgtx-node-id 1 " <32 lowercase hex digits: the id>
 *   " " <8 lowercase hex digits: CRC32C of every byte before this space>
 *   "\n"
 *
 * "1" is the format version. A file that does not parse stops tgtxd:
 * silently making a new id would change every LUN's identity.
 */
#ifndef TGTX_NODE_ID_H
#define TGTX_NODE_ID_H

#include <stddef.h>
#include <stdint.h>

#define NODE_ID_LEN	      16
#define NODE_ID_FILE	      "node-id"
#define NODE_ID_VERSION	      1
#define NODE_ID_FILE_LEN      57 /* 15 + 32 + 1 + 8 + 1 */
#define NODE_ID_DEFAULT_DIR   "/var/lib/tgtx"
#define NODE_ID_STATE_DIR_ENV "TGTX_STATE_DIR"

/*
 * Loads dir/node-id, creating dir (0700, one level) and the file (from
 * getrandom) when missing. 0, or -errno with a message naming the path.
 */
int node_id_load(const char *dir, char *err, size_t errlen);
/* The node id; all zero until node_id_load() (unit tests, tools). */
const uint8_t *node_id_get(void);
/* Sets the id directly (unit tests). */
void node_id_set(const uint8_t id[NODE_ID_LEN]);
/* 32 lowercase hex digits and a NUL. */
void node_id_hex(const uint8_t id[NODE_ID_LEN], char out[2 * NODE_ID_LEN + 1]);

/* The file's line for id (NODE_ID_FILE_LEN bytes, no NUL); returns it. */
size_t node_id_format(const uint8_t id[NODE_ID_LEN],
		      char out[NODE_ID_FILE_LEN + 1]);
/* Parses a file's content: 0, -EBADMSG (checksum) or -EINVAL (layout). */
int node_id_parse(const char *buf, size_t len, uint8_t id[NODE_ID_LEN]);

#endif
