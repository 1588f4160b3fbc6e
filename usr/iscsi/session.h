/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iSCSI sessions: the CmdSN window shared by a session's connection(s) and
 * the I_T nexus registered with the SCSI layer. We support one connection
 * per session (MaxConnections=1).
 */
#ifndef TGTX_ISCSI_SESSION_H
#define TGTX_ISCSI_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/list.h"
#include "scsi/scsi.h"
#include "login.h"

/* Commands the initiator may have outstanding (MaxCmdSN - ExpCmdSN + 1). */
#define ISCSI_CMD_WINDOW 128u

struct iscsi_conn;

struct iscsi_session {
	struct list_head node; /* in the global session list */
	enum iscsi_session_type type;
	struct target *target; /* NULL for discovery */
	char initiator_name[TGTX_NAME_MAX];
	char initiator_alias[256];
	uint8_t isid[6];
	uint16_t tsih;
	uint32_t exp_cmdsn;
	struct iscsi_conn *conn;  /* the one connection, or NULL */
	struct list_head pending; /* struct iscsi_pending, by CmdSN */
	unsigned nr_pending;
	struct scsi_it_nexus nexus;
	bool nexus_added;
	bool closed;
	bool reinstating; /* old conn closing, session kept */
	int refs;	  /* connections + in-flight commands */
};

/* A command PDU that arrived ahead of ExpCmdSN, kept until the gap fills. */
struct iscsi_pending {
	struct list_head node;
	uint32_t cmdsn;
	uint8_t bhs[ISCSI_BHS_LEN];
	uint8_t *data;
	uint32_t dlen;
};

/* Serial number arithmetic (RFC 1982) on 32-bit sequence numbers. */
static inline bool sn_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool sn_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

struct iscsi_session *session_create(struct iscsi_login *lg,
				     uint32_t exp_cmdsn);
struct iscsi_session *session_find_tsih(uint16_t tsih);
/* Same initiator port (name + ISID) logged in to the same target. */
struct iscsi_session *session_find_port(const char *initiator,
					const uint8_t isid[6],
					const struct target *t);
/* Ends the session: nexus loss, its connection is closed. */
void session_close(struct iscsi_session *s);
void session_get(struct iscsi_session *s);
void session_put(struct iscsi_session *s);
uint32_t session_max_cmdsn(const struct iscsi_session *s);
struct list_head *session_list(void);

#endif
