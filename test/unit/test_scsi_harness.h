/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the test_scsi_*.c programs: an in-memory backing store
 * ("memtest"), a target with two nexuses, and a synchronous command runner
 * that spins the event loop until the command completes.
 */
#ifndef TEST_SCSI_HARNESS_H
#define TEST_SCSI_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/strbuf.h"
#include "scsi/scsi.h"
#include "scsi/scsi_priv.h"

#define MEM_BLOCKS 2048u
#define MEM_BS	   512u

static uint8_t *mem_disk;
static int mem_nr_unmaps;

static inline int mem_open(struct bs_dev *dev, const char *path,
			   const char *opts, char *err, size_t errlen)
{
	mem_disk = calloc(MEM_BLOCKS, MEM_BS);
	if (!mem_disk)
		return -12;
	dev->size = (uint64_t)MEM_BLOCKS * MEM_BS;
	return 0;
}

static inline void mem_close(struct bs_dev *dev)
{
	free(mem_disk);
	mem_disk = NULL;
}

static inline void mem_submit(struct bs_dev *dev, struct bs_req *req)
{
	if (req->offset + req->len > dev->size) {
		bs_complete(req, -5);
		return;
	}
	if (req->op == BS_READ)
		memcpy(req->buf, mem_disk + req->offset, req->len);
	else
		memcpy(mem_disk + req->offset, req->buf, req->len);
	bs_complete(req, 0);
}

static inline void mem_flush(struct bs_dev *dev, struct bs_req *req)
{
	bs_complete(req, 0);
}

static inline void mem_unmap(struct bs_dev *dev, struct bs_req *req)
{
	mem_nr_unmaps++;
	memset(mem_disk + req->offset, 0, req->len);
	bs_complete(req, 0);
}

static const struct bs_ops mem_ops = {
	.name = "memtest",
	.open = mem_open,
	.close = mem_close,
	.submit = mem_submit,
	.flush = mem_flush,
	.unmap = mem_unmap,
};

static struct target T;
static struct scsi_it_nexus NX1, NX2;
static struct scsi_cmd C;
static uint8_t C_in[65536];
static bool c_done;

static inline void h_done(struct scsi_cmd *cmd)
{
	c_done = true;
	loop_stop();
}

/* Runs one command to completion; data_in capacity `cap` bytes. */
static inline struct scsi_cmd *h_run(struct scsi_it_nexus *nx, uint64_t lun,
				     const uint8_t *cdb, size_t cdb_len,
				     const void *out, uint32_t out_len,
				     uint32_t cap)
{
	memset(&C, 0, sizeof(C));
	memset(C_in, 0xee, sizeof(C_in));
	C.target = &T;
	C.nexus = nx;
	if (lun < 256) {
		C.lun_raw[1] = (uint8_t)lun;
	} else {
		C.lun_raw[0] = 0x40 | (uint8_t)(lun >> 8);
		C.lun_raw[1] = (uint8_t)lun;
	}
	memcpy(C.cdb, cdb, cdb_len);
	C.cdb_len = 16;
	C.data_out = out;
	C.data_out_len = out_len;
	C.data_in = C_in;
	C.data_in_cap = cap;
	C.done = h_done;
	c_done = false;
	scsi_exec(&C);
	if (!c_done)
		loop_run();
	return &C;
}

static inline uint8_t sense_key(const struct scsi_cmd *c)
{
	return (c->sense[0] & 0x7f) >= 0x72 ? c->sense[1] & 0x0f
					    : c->sense[2] & 0x0f;
}

static inline uint16_t sense_asc(const struct scsi_cmd *c)
{
	if ((c->sense[0] & 0x7f) >= 0x72)
		return (uint16_t)(c->sense[2] << 8 | c->sense[3]);
	return (uint16_t)(c->sense[12] << 8 | c->sense[13]);
}

static inline void h_clear_ua(struct scsi_it_nexus *nx, uint64_t lun)
{
	static const uint8_t tur[6] = {0};

	for (int i = 0; i < 8; i++)
		if (h_run(nx, lun, tur, 6, NULL, 0, 0)->status == 0)
			return;
}

static inline void h_nexus_init(struct scsi_it_nexus *nx, uint64_t id,
				const char *name)
{
	memset(nx, 0, sizeof(*nx));
	nx->id = id;
	snprintf(nx->initiator_name, sizeof(nx->initiator_name), "%s", name);
	snprintf(nx->initiator_port, sizeof(nx->initiator_port),
		 "%s,i,0x00023d00000%llu", name, (unsigned long long)id);
	nx->rel_tgt_port_id = 1;
}

static inline int h_setup(void **state)
{
	static bool registered;
	char err[128];

	if (!registered) {
		bs_register(&mem_ops);
		registered = true;
	}
	if (loop_init() < 0)
		return -1;
	memset(&T, 0, sizeof(T));
	T.tid = 1;
	snprintf(T.name, sizeof(T.name), "iqn.2024-01.test:disk");
	list_init(&T.luns);
	list_init(&T.acls);
	list_init(&T.in_users);
	list_init(&T.params);
	list_init(&T.nexuses);
	h_nexus_init(&NX1, 1, "iqn.2024-01.test:ini1");
	h_nexus_init(&NX2, 2, "iqn.2024-01.test:ini2");
	scsi_nexus_add(&T, &NX1);
	scsi_nexus_add(&T, &NX2);
	if (scsi_lu_create(&T, 0, NULL, NULL, NULL, err, sizeof(err)) ||
	    scsi_lu_create(&T, 1, "memtest", "/mem", NULL, err, sizeof(err)))
		return -1;
	h_clear_ua(&NX1, 0);
	h_clear_ua(&NX2, 0);
	h_clear_ua(&NX1, 1);
	h_clear_ua(&NX2, 1);
	mem_nr_unmaps = 0;
	return 0;
}

static inline int h_teardown(void **state)
{
	scsi_nexus_del(&NX1);
	scsi_nexus_del(&NX2);
	scsi_lu_destroy_all(&T);
	loop_exit();
	return 0;
}

static inline struct scsi_lu *h_lu(uint64_t lun)
{
	return scsi_lu_lookup(&T, lun);
}

#endif
