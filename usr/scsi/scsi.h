/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SCSI layer's interface to transports (iSCSI) and management.
 * A transport hands over a complete command (CDB plus all Data-Out bytes) and
 * gets it back through cmd->done with status, sense and Data-In bytes.
 * The layer knows nothing about iSCSI; it reaches storage only via bs.h.
 */
#ifndef TGTX_SCSI_H
#define TGTX_SCSI_H

#include <stdbool.h>
#include <stdint.h>

#include "bs/bs.h"
#include "core/list.h"
#include "core/target.h"

struct strbuf;

#define SCSI_SENSE_MAX 96
#define SCSI_CDB_MAX   16

/* SAM status codes */
#define SAM_STAT_GOOD		      0x00
#define SAM_STAT_CHECK_CONDITION      0x02
#define SAM_STAT_CONDITION_MET	      0x04
#define SAM_STAT_BUSY		      0x08
#define SAM_STAT_RESERVATION_CONFLICT 0x18
#define SAM_STAT_TASK_SET_FULL	      0x28
#define SAM_STAT_TASK_ABORTED	      0x40

/* Sense keys */
#define SK_NO_SENSE	   0x0
#define SK_RECOVERED_ERROR 0x1
#define SK_NOT_READY	   0x2
#define SK_MEDIUM_ERROR	   0x3
#define SK_HARDWARE_ERROR  0x4
#define SK_ILLEGAL_REQUEST 0x5
#define SK_UNIT_ATTENTION  0x6
#define SK_DATA_PROTECT	   0x7
#define SK_ABORTED_COMMAND 0xb
#define SK_MISCOMPARE	   0xe

enum scsi_task_attr {
	SCSI_TASK_SIMPLE = 0,
	SCSI_TASK_ORDERED = 1,
	SCSI_TASK_HEAD_OF_QUEUE = 2,
	SCSI_TASK_ACA = 3,
};

/*
 * One I_T nexus: an initiator port logged in to a target (an iSCSI session).
 * Created by the transport, registered with scsi_nexus_add(). Persistent
 * reservations are keyed by initiator_port so they survive reconnects.
 */
struct scsi_it_nexus {
	struct list_head node; /* in target->nexuses */
	uint64_t id;	       /* unique while the daemon runs */
	struct target *target;
	char initiator_name[TGTX_NAME_MAX];
	/* SCSI initiator port name, "<iqn>,i,0x<isid hex>" */
	char initiator_port[TGTX_NAME_MAX + 32];
	/* Transport ID (SPC-4 iSCSI format 01b), for PERSISTENT RESERVE IN */
	uint8_t transport_id[TGTX_NAME_MAX + 40];
	uint16_t transport_id_len;
	uint16_t rel_tgt_port_id; /* relative target port identifier (TPGT) */
};

struct scsi_cmd {
	/* ---- filled by the transport before scsi_exec() ---- */
	struct target *target;
	struct scsi_it_nexus *nexus;
	uint8_t lun_raw[8]; /* the 8-byte LUN field as received */
	uint8_t cdb[SCSI_CDB_MAX];
	uint8_t cdb_len;
	enum scsi_task_attr attr;
	uint64_t tag;		 /* initiator task tag */
	const uint8_t *data_out; /* every Data-Out byte the initiator sent */
	uint32_t data_out_len;
	uint8_t *data_in;     /* transport buffer for Data-In, may be NULL */
	uint32_t data_in_cap; /* its size: the initiator's expected length */
	void (*done)(
		struct scsi_cmd *cmd); /* may run before scsi_exec returns */
	void *transport_priv;

	/* ---- filled by the SCSI layer ---- */
	/*
	 * Bytes the CDB asks to move (transfer or allocation length), in the
	 * command's data direction; the transport derives residuals from it.
	 */
	uint32_t xfer_len;
	uint32_t data_in_len; /* bytes placed in data_in (<= data_in_cap) */
	uint8_t status;	      /* SAM status */
	uint8_t sense[SCSI_SENSE_MAX];
	uint8_t sense_len;

	/* ---- private to the SCSI layer ---- */
	struct scsi_lu *lu;
	struct list_head node;
	struct bs_req bsreq;
	uint8_t *scratch; /* freed by the SCSI layer before done() */
	uint64_t lba;
	uint32_t nr_blocks;
	int stage;
	uint64_t start_ns; /* CLOCK_MONOTONIC at scsi_exec, for lu_stats */
};

/* ---- transport entry points ---- */
void scsi_exec(struct scsi_cmd *cmd);
/* Registers a nexus: every LU of the target reports a power-on UA to it. */
void scsi_nexus_add(struct target *t, struct scsi_it_nexus *nx);
/* I_T nexus loss: releases SPC-2 reservations held by it. */
void scsi_nexus_del(struct scsi_it_nexus *nx);
/* Decodes the 8-byte LUN field (peripheral and flat addressing). */
uint64_t scsi_lun_decode(const uint8_t raw[8]);

/* Task management side effects (the transport aborts its own tasks). */
enum scsi_tmf {
	SCSI_TMF_ABORT_TASK,
	SCSI_TMF_ABORT_TASK_SET,
	SCSI_TMF_CLEAR_TASK_SET,
	SCSI_TMF_LUN_RESET,
	SCSI_TMF_TARGET_WARM_RESET,
	SCSI_TMF_TARGET_COLD_RESET,
};
/* Returns 0, or -ENOENT when lun names no LU (LUN RESET). */
int scsi_tmf(struct target *t, struct scsi_it_nexus *by, enum scsi_tmf fn,
	     uint64_t lun);

/* ---- management ---- */
/*
 * Creates LU `lun` of target t. bstype NULL or "" with path NULL makes a
 * controller LU (peripheral type 0x0c, as tgt's LUN 0). Returns 0 or -errno.
 */
int scsi_lu_create(struct target *t, uint64_t lun, const char *bstype,
		   const char *path, const char *bsopts, char *err,
		   size_t errlen);
int scsi_lu_destroy(struct target *t, uint64_t lun, char *err, size_t errlen);
/*
 * LU parameters, as tgtadm --params: vendor_id, product_id, product_rev,
 * scsi_id, scsi_sn, removable, readonly, online, sense_format,
 * write-cache (on/off), block_size (at creation), thin_provisioning.
 */
int scsi_lu_set_param(struct scsi_lu *lu, const char *key, const char *value,
		      char *err, size_t errlen);
/* Lines for tgtxadm --op show --mode target. */
void scsi_lu_show(struct scsi_lu *lu, struct strbuf *out, const char *indent);
/* Writes the LU as targets.conf lines (for tgtx-admin --dump). */
void scsi_lu_dump(struct scsi_lu *lu, struct strbuf *out);
/* The LU numbered lun of t, or NULL. */
struct scsi_lu *scsi_lu_lookup(const struct target *t, uint64_t lun);
/*
 * Walks t's LUs in LUN order: prev NULL gives the first, NULL ends. The
 * list may not change during the walk.
 */
struct scsi_lu *scsi_lu_next(const struct target *t,
			     const struct scsi_lu *prev);
uint64_t scsi_lu_number(const struct scsi_lu *lu);
bool scsi_lu_is_controller(const struct scsi_lu *lu);
/* Pending commands prevent destroying an LU (-EBUSY). */
bool scsi_lu_busy(const struct scsi_lu *lu);
/* Commands are in flight on a LU of t. */
bool scsi_target_busy(const struct target *t);
/* ... on a LU of any target (daemon shutdown drains until false). */
bool scsi_targets_busy(void);
/* Destroys every LU of t (target deletion); none may be busy. */
void scsi_lu_destroy_all(struct target *t);

#endif
