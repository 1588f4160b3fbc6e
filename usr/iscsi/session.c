// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sessions and their I_T nexus. A session outlives its connection only while
 * commands it issued are still inside the SCSI layer (they point at the
 * nexus), hence the reference count.
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "conn.h"

static LIST_HEAD(sessions);
static uint16_t last_tsih;
static uint64_t last_nexus_id;

struct list_head *session_list(void)
{
	return &sessions;
}

uint32_t session_max_cmdsn(const struct iscsi_session *s)
{
	unsigned active = s->conn ? s->conn->nr_active : 0;

	/* Closing the window as tasks pile up bounds what a peer can queue. */
	if (active >= ISCSI_CMD_WINDOW)
		return s->exp_cmdsn - 1;
	return s->exp_cmdsn + (ISCSI_CMD_WINDOW - active) - 1;
}

struct iscsi_session *session_find_tsih(uint16_t tsih)
{
	struct iscsi_session *s;

	list_for_each_entry (s, &sessions, node)
		if (s->tsih == tsih)
			return s;
	return NULL;
}

struct iscsi_session *session_find_port(const char *initiator,
					const uint8_t isid[6],
					const struct target *t)
{
	struct iscsi_session *s;

	list_for_each_entry (s, &sessions, node)
		if (s->target == t && !memcmp(s->isid, isid, 6) &&
		    !strcasecmp(s->initiator_name, initiator))
			return s;
	return NULL;
}

static uint16_t alloc_tsih(void)
{
	unsigned tries;

	for (tries = 0; tries < 65536; tries++) {
		if (++last_tsih == 0)
			last_tsih = 1;
		if (!session_find_tsih(last_tsih))
			return last_tsih;
	}
	return 0;
}

/* SPC-4 7.6.4.6: iSCSI TransportID, format 01b (initiator port name). */
static void fill_nexus(struct iscsi_session *s)
{
	struct scsi_it_nexus *nx = &s->nexus;
	size_t len, padded;

	nx->id = ++last_nexus_id;
	snprintf(nx->initiator_name, sizeof(nx->initiator_name), "%s",
		 s->initiator_name);
	snprintf(nx->initiator_port, sizeof(nx->initiator_port),
		 "%s,i,0x%02x%02x%02x%02x%02x%02x", s->initiator_name,
		 s->isid[0], s->isid[1], s->isid[2], s->isid[3], s->isid[4],
		 s->isid[5]);
	len = strlen(nx->initiator_port) + 1;
	padded = (len + 3) & ~(size_t)3;
	if (padded < 20)
		padded = 20;
	if (padded + 4 > sizeof(nx->transport_id))
		padded = sizeof(nx->transport_id) - 4;
	memset(nx->transport_id, 0, sizeof(nx->transport_id));
	nx->transport_id[0] = 0x40 | 0x05; /* format 01b, protocol iSCSI */
	put_be16(nx->transport_id + 2, (uint32_t)padded);
	memcpy(nx->transport_id + 4, nx->initiator_port,
	       len < padded ? len : padded);
	nx->transport_id_len = (uint16_t)(padded + 4);
	nx->rel_tgt_port_id = ISCSI_TPGT;
}

struct iscsi_session *session_create(struct iscsi_login *lg, uint32_t exp_cmdsn)
{
	struct iscsi_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->tsih = alloc_tsih();
	if (!s->tsih) {
		free(s);
		return NULL;
	}
	s->type = lg->type;
	s->target = lg->type == ISCSI_SESSION_NORMAL ? lg->target : NULL;
	snprintf(s->initiator_name, sizeof(s->initiator_name), "%s",
		 lg->initiator_name);
	snprintf(s->initiator_alias, sizeof(s->initiator_alias), "%s",
		 lg->initiator_alias);
	memcpy(s->isid, lg->isid, 6);
	s->exp_cmdsn = exp_cmdsn;
	list_init(&s->pending);
	list_init(&s->nexus.node);
	s->refs = 1; /* the list's reference, dropped by session_close */
	list_add_tail(&s->node, &sessions);
	if (s->target) {
		fill_nexus(s);
		scsi_nexus_add(s->target, &s->nexus);
		s->nexus_added = true;
	}
	log_info("session %u: %s logged in to %s", s->tsih, s->initiator_name,
		 s->target ? s->target->name : "discovery");
	return s;
}

void session_get(struct iscsi_session *s)
{
	s->refs++;
}

void session_put(struct iscsi_session *s)
{
	if (--s->refs > 0)
		return;
	while (!list_empty(&s->pending)) {
		struct iscsi_pending *p = list_first_entry(
			&s->pending, struct iscsi_pending, node);

		list_del(&p->node);
		free(p->data);
		free(p);
	}
	free(s);
}

void session_close(struct iscsi_session *s)
{
	if (s->closed)
		return;
	s->closed = true;
	log_info("session %u: %s closed", s->tsih, s->initiator_name);
	list_del(&s->node);
	list_init(&s->node);
	if (s->nexus_added) {
		scsi_nexus_del(&s->nexus);
		s->nexus_added = false;
	}
	s->reinstating = false;
	if (s->conn)
		conn_close(s->conn, "session closed");
	session_put(s);
}
