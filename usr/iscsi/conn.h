/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One iSCSI connection: socket, receive parser, transmit queue, and the
 * tasks (SCSI commands) it carries. Private to usr/iscsi/.
 */
#ifndef TGTX_ISCSI_CONN_H
#define TGTX_ISCSI_CONN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/list.h"
#include "core/loop.h"
#include "core/membudget.h"
#include "core/strbuf.h"
#include "scsi/scsi.h"
#include "login.h"
#include "pdu.h"
#include "session.h"

#define ISCSI_TPGT 1
/* Largest ExpectedDataTransferLength we buffer for one command. */
#define ISCSI_EDTL_MAX (32u << 20)
/*
 * Memory (membudget.h): a connection before login may hold this much
 * beyond its fixed buffers; after login it gets a share of the budget, at
 * least ISCSI_CONN_MIN_SHARE. Over its share it is not read from.
 */
#define ISCSI_LOGIN_ALLOWANCE (256u << 10)
#define ISCSI_CONN_MIN_SHARE  (4u << 20)
/* Deadlines: a closing connection, a stalled one, an idle discovery one */
#define ISCSI_CLOSE_DRAIN_MS	5000
#define ISCSI_STALL_MS		20000
#define ISCSI_DISCOVERY_IDLE_MS 30000
/* Commands parked behind a CmdSN gap wait this long for it to fill. */
#define ISCSI_CMDSN_GAP_MS 20000
/* Stop reading new PDUs while this much output is queued. */
#define ISCSI_TX_HIGH_WATER (16u << 20)
/* Login PDUs carry at most 8192 bytes (RFC 7143 13.12); allow slack. */
#define ISCSI_LOGIN_MAX_DSL    16384u
#define ISCSI_LOGIN_TIMEOUT_MS 30000
#define ISCSI_NOP_INTERVAL_S   30
#define ISCSI_MAX_CONNS	       1024
#define ISCSI_MAX_R2T	       16

enum conn_state {
	CONN_LOGIN,
	CONN_FFP,
	CONN_LOGOUT, /* logout answered, closing when the queue drains */
	CONN_CLOSED,
};

struct iscsi_tmf_wait;

/* One outstanding R2T (or the unsolicited burst, ttt = 0xffffffff). */
struct iscsi_burst {
	uint32_t ttt;
	uint32_t offset; /* first byte of the burst */
	uint32_t len;
	uint32_t next; /* next expected offset (in-order data) */
	uint32_t got;
	uint32_t datasn; /* next expected DataSN */
	bool active;
};

enum task_state {
	TASK_DATA_OUT, /* collecting Data-Out */
	TASK_SCSI,     /* handed to scsi_exec */
	TASK_DONE,     /* response queued; freed when it is sent */
};

struct iscsi_task {
	struct list_head node; /* conn->tasks */
	struct iscsi_conn *conn;
	struct scsi_cmd cmd;
	enum task_state state;
	uint32_t itt;
	uint32_t cmdsn;
	uint32_t edtl;
	uint8_t lun[8];
	bool read;
	bool write;
	bool aborted; /* suppress the response */
	uint8_t *buf; /* EDTL bytes of Data-Out or Data-In */
	uint32_t buf_len;
	/* Data-Out bookkeeping */
	uint32_t received;  /* bytes of Data-Out collected */
	uint32_t unsol_end; /* immediate + unsolicited end */
	uint32_t r2t_next;  /* next offset to solicit */
	uint32_t r2tsn;
	unsigned nr_r2t; /* outstanding R2Ts */
	struct iscsi_burst unsol;
	struct iscsi_burst r2t[ISCSI_MAX_R2T];
	struct iscsi_tmf_wait *tmf; /* TMF answered when this ends */
	size_t charged;		    /* bytes charged to conn->mem */
};

struct iscsi_conn {
	struct list_head node; /* global connection list */
	struct loop_fd lfd;
	enum conn_state state;
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
	char peer_str[64];
	uint16_t cid;
	uint32_t stat_sn;
	uint32_t login_cmdsn; /* CmdSN of the login requests */
	struct iscsi_login login;
	bool login_started;
	struct iscsi_session *sess;
	struct iscsi_params params;
	/* receive */
	struct pdu_rx rx;
	uint8_t *rxbuf;
	bool rx_paused;
	struct iscsi_task *rx_task; /* Data-Out being received directly */
	struct iscsi_burst *rx_burst;
	/* transmit */
	struct list_head txq;
	size_t tx_bytes;
	uint32_t tx_off; /* bytes of the first PDU sent */
	bool want_out;
	bool close_after_tx;
	/* all output handed to the kernel; closing once the peer acked it */
	bool finishing;
	struct loop_timer unacked_timer;
	/* tasks */
	struct list_head tasks;
	unsigned inflight;  /* tasks inside the SCSI layer */
	unsigned nr_active; /* tasks not yet answered */
	size_t buf_bytes;
	uint32_t next_ttt;
	/* text in full feature phase */
	struct strbuf text_in;
	struct strbuf text_out;
	size_t text_off;
	uint32_t text_ttt;
	uint32_t text_itt;
	/* keepalive */
	struct loop_timer nop_timer;
	struct loop_timer login_timer;
	uint32_t nop_interval_ms;
	uint32_t nop_ttt;
	bool nop_outstanding;
	bool rx_activity;
	/* memory: everything charged, and the growable buffers' share of it */
	struct mb_account mem;
	size_t mem_bufs;
	bool mem_paused;
	bool counted_ffp;
	struct loop_timer drain_timer; /* close or stall deadline */
	struct loop_timer gap_timer;   /* parked commands' deadline */
	struct loop_defer flush_defer;
	struct loop_defer free_defer;
};

/* conn.c */
struct iscsi_conn *conn_create(int fd, const struct sockaddr *peer,
			       socklen_t plen);
void conn_close(struct iscsi_conn *c, const char *why);
/* Shutdown: closes every connection and frees what can be freed now. */
void conn_reap_all(void);
/* Stops reading; closes once the queued output is sent. */
void conn_fail(struct iscsi_conn *c);
void conn_queue(struct iscsi_conn *c, struct pdu_tx *t);
/* Seals (digests) and queues; fills ExpCmdSN/MaxCmdSN at the BHS offsets
 * 28/32 used by every target PDU that carries them. */
void conn_send(struct iscsi_conn *c, struct pdu_tx *t, bool with_sn);
struct list_head *conn_list(void);
int conn_count(void);
/* Connections from the same source (address masked by the subnet prefix). */
int conn_count_source(const struct sockaddr_storage *peer);
/* Bytes c may hold now; past them it is not read from. */
size_t conn_mem_share(const struct iscsi_conn *c);
/* Charges or gives back memory of c, then pauses/resumes reading. */
void conn_mem_charge(struct iscsi_conn *c, size_t n);
void conn_mem_uncharge(struct iscsi_conn *c, size_t n);
/* May c allocate n more bytes of optional buffers (command data)? */
bool conn_mem_fits(const struct iscsi_conn *c, size_t n);
/* Re-evaluates reading on c (after its or the global usage changed). */
void conn_gate(struct iscsi_conn *c);
/* Session now full feature: counts c among the sharing connections. */
void conn_enter_ffp(struct iscsi_conn *c);
void conn_maybe_free(struct iscsi_conn *c);
void conn_dispatch(struct iscsi_conn *c);
uint32_t conn_exp_cmdsn(const struct iscsi_conn *c);
uint32_t conn_max_cmdsn(const struct iscsi_conn *c);
/* Fills StatSN (offset 24) and advances it when advance is set. */
void conn_set_statsn(struct iscsi_conn *c, struct pdu_tx *t, bool advance);

/* conn_login.c */
void conn_login_pdu(struct iscsi_conn *c);

/* task.c */
void task_scsi_cmd(struct iscsi_conn *c, const uint8_t *bhs,
		   const uint8_t *data, uint32_t dlen);
/* Data-Out header arrived: choose where its data goes. */
void task_data_out_header(struct iscsi_conn *c);
void task_data_out_done(struct iscsi_conn *c);
struct iscsi_task *task_find(struct iscsi_conn *c, uint32_t itt);
/* Aborts a task: freed now, or when the SCSI layer gives it back. */
void task_abort(struct iscsi_task *task);
void task_free(struct iscsi_task *task);
/* Connection going away: drop or orphan every task. */
void task_abort_all(struct iscsi_conn *c);

/* iscsi_tmf.c */
void tmf_handle(struct iscsi_conn *c, const uint8_t *bhs);
void tmf_task_gone(struct iscsi_task *task);

/* nop.c */
void nop_out_handle(struct iscsi_conn *c, const uint8_t *bhs,
		    const uint8_t *data, uint32_t dlen);
void nop_start(struct iscsi_conn *c);

/* ffp_text.c */
void text_handle(struct iscsi_conn *c, const uint8_t *bhs, const uint8_t *data,
		 uint32_t dlen);

/* logout.c */
void logout_handle(struct iscsi_conn *c, const uint8_t *bhs);

/* reject.c */
void reject_send(struct iscsi_conn *c, const uint8_t *bhs, uint8_t reason);

#endif
