/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Share-log internals shared by its source files (not for the store). */
#ifndef TGTX_SHARELOG_PRIV_H
#define TGTX_SHARELOG_PRIV_H

#include <stdint.h>

#include "sharelog.h"

void sl_record_seal(void *rec, uint64_t seq, uint64_t time_ns);
/* Header-only check; fills h in host order. 0, -EBADMSG or -EINVAL. */
int sl_record_check_hdr(const void *rec, size_t avail, struct sl_rec_hdr *h);

/* State and cursor files (sl_files.c). -ENOENT when absent. */
int sl_state_load(const char *dir, struct sl_state *st);
int sl_state_store(const char *dir, const struct sl_state *st);
int sl_cursor_load(const char *dir, unsigned peer, struct sl_cursor *c);
int sl_cursor_store(const char *dir, const struct sl_cursor *c);

/* Segment headers (host order in, little-endian sealed bytes out). */
void sl_seg_hdr_encode(struct sl_seg_hdr *out, const struct sl_seg_hdr *in);
int sl_seg_hdr_decode(const void *buf, struct sl_seg_hdr *out);

uint64_t sl_now_ns(void);

#endif
