/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the SCSI layer shared by its files: the logical unit object,
 * the opcode table, sense helpers, unit attentions and reservations.
 */
#ifndef TGTX_SCSI_PRIV_H
#define TGTX_SCSI_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/byteorder.h"
#include "core/loop.h"
#include "lu_stats.h"
#include "scsi.h"

/* ---- additional sense codes (ASC << 8 | ASCQ) ---- */
#define ASC_NO_ADDITIONAL	    0x0000
#define ASC_LUN_NOT_READY_MANUAL    0x0403
#define ASC_MISCOMPARE_VERIFY	    0x1d00
#define ASC_PARAM_LIST_LENGTH	    0x1a00
#define ASC_INVALID_OPCODE	    0x2000
#define ASC_LBA_OUT_OF_RANGE	    0x2100
#define ASC_INVALID_FIELD_CDB	    0x2400
#define ASC_LUN_NOT_SUPPORTED	    0x2500
#define ASC_INVALID_FIELD_PARAM	    0x2600
#define ASC_INVALID_RELEASE_PR	    0x2604
#define ASC_WRITE_PROTECTED	    0x2700
#define ASC_POWER_ON_RESET	    0x2900
#define ASC_BUS_DEVICE_RESET	    0x2903
#define ASC_PARAMS_CHANGED	    0x2a01
#define ASC_RESERVATIONS_RELEASED   0x2a04
#define ASC_RESERVATIONS_PREEMPTED  0x2a03
#define ASC_REGISTRATIONS_PREEMPTED 0x2a05
#define ASC_CAPACITY_CHANGED	    0x2a09
#define ASC_SAVING_NOT_SUPPORTED    0x3900
#define ASC_MEDIUM_NOT_PRESENT	    0x3a00
#define ASC_INVALID_FIELD_IU	    0x0e03
#define ASC_INTERNAL_TARGET_FAILURE 0x4400
#define ASC_INSUFFICIENT_REG_RES    0x5504
#define ASC_READ_ERROR		    0x1100
#define ASC_WRITE_ERROR		    0x0c00
#define ASC_LUNS_CHANGED	    0x3f0e

/* ---- persistent reservations ---- */
enum pr_type {
	PR_TYPE_NONE = 0,
	PR_TYPE_WE = 1,
	PR_TYPE_EA = 3,
	PR_TYPE_WERO = 5,
	PR_TYPE_EARO = 6,
	PR_TYPE_WEAR = 7,
	PR_TYPE_EAAR = 8,
};

/* Buckets of a LU's registration index (allocated on first REGISTER). */
#define PR_HASH_BUCKETS 1024

struct pr_reg {
	struct list_head node;	/* lu->pr_regs, in registration order */
	struct list_head hnode; /* lu->pr_hash[hash of initiator_port] */
	uint64_t key;
	char initiator_port[TGTX_NAME_MAX + 32];
	uint8_t transport_id[TGTX_NAME_MAX + 40];
	uint16_t transport_id_len;
	uint16_t rel_tgt_port_id;
};

struct ua_entry {
	struct list_head node;
	uint64_t nexus_id;
	uint16_t asc; /* ASC << 8 | ASCQ */
};

struct scsi_lu {
	struct list_head node; /* in target->luns, sorted by lun */
	struct target *target;
	uint64_t lun;
	bool controller;
	bool dev_open;
	struct bs_dev dev;
	char bstype[32];
	char bsopts[256];

	/* identity, tgtadm --params */
	char vendor_id[9];
	char product_id[17];
	char product_rev[5];
	char scsi_id[64];
	char scsi_sn[64];
	uint64_t naa; /* NAA 3 designator value (lu_ident.h) */
	bool removable;
	bool readonly;
	bool swp; /* control mode page software write protect */
	bool online;
	bool thin;	      /* thin provisioning (UNMAP offered) */
	bool prevent;	      /* PREVENT ALLOW MEDIUM REMOVAL */
	bool ejected;	      /* removable medium unloaded */
	uint8_t sense_format; /* 0 fixed, 1 descriptor (D_SENSE) */

	unsigned int pending; /* commands handed to handlers */
	struct lu_stats stats;
	struct list_head ua; /* struct ua_entry */

	/* SPC-2 RESERVE/RELEASE */
	bool rsv2_held;
	uint64_t rsv2_nexus;

	/* SPC-3 persistent reservations */
	struct list_head pr_regs;  /* struct pr_reg */
	struct list_head *pr_hash; /* PR_HASH_BUCKETS chains, or NULL */
	unsigned pr_nr_regs;
	uint32_t pr_gen;
	uint8_t pr_type;	  /* enum pr_type, 0 when not reserved */
	struct pr_reg *pr_holder; /* NULL for all-registrants types */

	/* write serialisation for COMPARE AND WRITE */
	unsigned int writers;
	bool excl;
	struct list_head wait; /* struct scsi_cmd waiting for the lock */

	struct list_head notes; /* tgtxcli's LU parameters (lu_notes.c) */
};

/* ---- notes: backstore name, share peers (lu_notes.c) ---- */
bool lu_note_key(const char *key);
int lu_note_set(struct scsi_lu *lu, const char *key, const char *value,
		char *err, size_t errlen);
void lu_notes_free(struct scsi_lu *lu);
void lu_notes_show(struct scsi_lu *lu, struct strbuf *out, const char *ind);
void lu_notes_dump(struct scsi_lu *lu, struct strbuf *out);

/* ---- opcode table ---- */
enum scsi_dir { DIR_NONE, DIR_IN, DIR_OUT };

/* Handlers return SCSI_DONE (cmd finished by the caller) or SCSI_ASYNC. */
enum { SCSI_DONE = 0, SCSI_ASYNC = 1 };
typedef int (*scsi_handler)(struct scsi_cmd *cmd);

#define OPF_NO_LU      (1u << 0) /* served for an LU that does not exist */
#define OPF_CONTROLLER (1u << 1) /* served by the controller LU */
#define OPF_NO_UA      (1u << 2) /* neither reports nor clears a UA */
#define OPF_RSV2_OK    (1u << 3) /* allowed under another's SPC-2 reserve */
#define OPF_PR_WRITE   (1u << 4) /* conflicts with write-exclusive PRs */
#define OPF_PR_READ    (1u << 5) /* conflicts with exclusive-access PRs */
#define OPF_MEDIUM     (1u << 6) /* needs the medium (offline: NOT READY) */
#define OPF_SBC	       (1u << 7) /* block command: disk LUs only */

struct scsi_op {
	uint8_t opcode;
	int16_t sa; /* service action, -1 if none */
	uint8_t cdb_len;
	uint8_t dir; /* enum scsi_dir */
	uint32_t flags;
	const char *name;
	scsi_handler fn;
};

/* Looks up (opcode, sa); *bad_sa set when the opcode exists but not the SA. */
const struct scsi_op *scsi_op_find(uint8_t opcode, uint8_t sa, bool *bad_sa);
bool scsi_op_has_sa(uint8_t opcode);
const struct scsi_op *scsi_op_table(size_t *nr);

/* ---- completion and sense (sense.c) ---- */
void scsi_finish(struct scsi_cmd *cmd);
void scsi_set_sense(struct scsi_cmd *cmd, uint8_t key, uint16_t asc);
void scsi_set_sense_info(struct scsi_cmd *cmd, uint8_t key, uint16_t asc,
			 uint64_t info);
/* INVALID FIELD IN CDB with the sense-key specific field pointer. */
void scsi_fail_cdb(struct scsi_cmd *cmd, uint16_t byte, int bit);
/* INVALID FIELD IN PARAMETER LIST with the field pointer. */
void scsi_fail_param(struct scsi_cmd *cmd, uint16_t byte, int bit);
/* Builds sense bytes; returns their length. fmt 0 fixed, 1 descriptor. */
size_t scsi_build_sense(uint8_t *buf, size_t cap, int fmt, uint8_t key,
			uint16_t asc, bool info_valid, uint64_t info,
			const uint8_t *sks);
/*
 * Data-In for a command with allocation length alloc: copies
 * min(len, alloc, data_in_cap) bytes and records xfer_len = alloc.
 */
void scsi_data_in(struct scsi_cmd *cmd, const void *buf, uint32_t len,
		  uint32_t alloc);

/* ---- unit attentions (ua.c) ---- */
void ua_add(struct scsi_lu *lu, uint64_t nexus_id, uint16_t asc);
/* For every nexus of the target except `except` (0: none). */
void ua_add_all(struct scsi_lu *lu, uint64_t except, uint16_t asc);
/* For every nexus whose initiator port is `port`. */
void ua_add_port(struct scsi_lu *lu, const char *port, uint16_t asc);
/* Pops the highest-priority pending UA; returns false when none. */
bool ua_take(struct scsi_lu *lu, uint64_t nexus_id, uint16_t *asc);
bool ua_pending(const struct scsi_lu *lu, uint64_t nexus_id);
void ua_clear_nexus(struct scsi_lu *lu, uint64_t nexus_id);
void ua_free_all(struct scsi_lu *lu);

/* ---- reservations ---- */
/* True when cmd must get RESERVATION CONFLICT. */
bool rsv2_conflict(const struct scsi_cmd *cmd, const struct scsi_op *op);
bool pr_conflict(const struct scsi_cmd *cmd, const struct scsi_op *op);
struct pr_reg *pr_find_reg(struct scsi_lu *lu, const char *port);
void pr_free_all(struct scsi_lu *lu);
/* Frees the registrations and their index (LU going away). */
void pr_destroy(struct scsi_lu *lu);
/* Adds r to the list and index (0, or -1 out of memory); removes it. */
int pr_index(struct scsi_lu *lu, struct pr_reg *r);
void pr_unindex(struct scsi_lu *lu, struct pr_reg *r);
bool pr_regs_full(const struct scsi_lu *lu);

/* ---- LU helpers (lu.c) ---- */
uint64_t lu_nr_blocks(const struct scsi_lu *lu);
uint32_t lu_block_size(const struct scsi_lu *lu);
bool lu_can_unmap(const struct scsi_lu *lu);
bool lu_write_protected(const struct scsi_lu *lu);

/* ---- block I/O helpers (sbc_io.c) ---- */
#define STAGE_LOCKED 0x10000
/*
 * Takes the LU write lock (shared for plain writes, exclusive for COMPARE
 * AND WRITE). Returns false when queued: the handler is called again later.
 */
bool lu_lock(struct scsi_cmd *cmd, bool excl);
void lu_unlock(struct scsi_cmd *cmd);
void lu_wake(struct scsi_lu *lu);
void sbc_submit(struct scsi_cmd *cmd, enum bs_op op, uint64_t off, uint64_t len,
		void *buf, bool fua, void (*done)(struct bs_req *req));
/* Maps a failed bs request to MEDIUM ERROR sense. */
void sbc_io_error(struct scsi_cmd *cmd, enum bs_op op, int err);
/* Range check: sets LBA OUT OF RANGE and returns false on failure. */
bool sbc_range_ok(struct scsi_cmd *cmd, uint64_t lba, uint64_t nr);
/* Write protection: sets DATA PROTECT and returns false when read only. */
bool sbc_writable(struct scsi_cmd *cmd);
/* Data-Out must hold `need` bytes; else INVALID FIELD IN INFORMATION UNIT. */
bool sbc_have_data(struct scsi_cmd *cmd, uint64_t need);
uint32_t sbc_max_xfer_blocks(const struct scsi_lu *lu);

/* ---- handlers ---- */
int spc_inquiry(struct scsi_cmd *cmd);
int spc_report_luns(struct scsi_cmd *cmd);
int spc_mode_sense(struct scsi_cmd *cmd);
int spc_mode_select(struct scsi_cmd *cmd);
int spc_test_unit_ready(struct scsi_cmd *cmd);
int spc_request_sense(struct scsi_cmd *cmd);
int spc_start_stop(struct scsi_cmd *cmd);
int spc_prevent_allow(struct scsi_cmd *cmd);
int spc_report_opcodes(struct scsi_cmd *cmd);
int spc_send_diagnostic(struct scsi_cmd *cmd);
int spc_reserve(struct scsi_cmd *cmd);
int spc_release(struct scsi_cmd *cmd);
int spc_pr_in(struct scsi_cmd *cmd);
int spc_pr_out(struct scsi_cmd *cmd);
int sbc_read(struct scsi_cmd *cmd);
int sbc_write(struct scsi_cmd *cmd);
int sbc_verify(struct scsi_cmd *cmd);
int sbc_prefetch(struct scsi_cmd *cmd);
int sbc_sync_cache(struct scsi_cmd *cmd);
int sbc_read_capacity10(struct scsi_cmd *cmd);
int sbc_read_capacity16(struct scsi_cmd *cmd);
int sbc_get_lba_status(struct scsi_cmd *cmd);
int sbc_read_defect(struct scsi_cmd *cmd);
int sbc_unmap(struct scsi_cmd *cmd);
int sbc_write_same(struct scsi_cmd *cmd);
int sbc_caw(struct scsi_cmd *cmd);
int sbc_orwrite(struct scsi_cmd *cmd);

/* CDB decoding shared by reads, writes and verify (sbc_rw.c) */
struct sbc_cdb {
	uint64_t lba;
	uint32_t nr;	 /* blocks */
	uint8_t protect; /* RDPROTECT/WRPROTECT/VRPROTECT */
	bool fua;
	bool dpo;
	uint8_t bytchk;
};
/* Returns false (and sets sense) when the opcode is not a R/W/V CDB. */
bool sbc_decode(struct scsi_cmd *cmd, struct sbc_cdb *c);

/* Mode page support shared with the unit tests */
size_t spc_mode_page(struct scsi_lu *lu, uint8_t page, int pc, uint8_t *buf,
		     size_t cap);

#endif
