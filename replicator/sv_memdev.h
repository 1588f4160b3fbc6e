/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An in-memory struct sv_dev for tests and simulations: completions come
 * in a shuffled order from poll, a flush makes completed writes durable,
 * and a "crash" keeps a random, sector-torn subset of the writes that were
 * not flushed, as a real disk cache may.
 */
#ifndef TGTX_SV_MEMDEV_H
#define TGTX_SV_MEMDEV_H

#include <stdint.h>

#include "sv_writer.h"

struct sv_memdev;

struct sv_memdev *sv_memdev_new(uint64_t capacity, uint32_t block_size,
				unsigned seed);
void sv_memdev_free(struct sv_memdev *m);
struct sv_dev *sv_memdev_dev(struct sv_memdev *m);
/* What reads return now. */
uint8_t *sv_memdev_image(struct sv_memdev *m);
/* Grows the LUN with zeroes (a partner admin's resize). */
int sv_memdev_grow(struct sv_memdev *m, uint64_t capacity);
/* Power loss: pending operations fail (-EIO), unflushed writes survive in
 * part. Reads then return the durable image. */
void sv_memdev_crash(struct sv_memdev *m);
/* A new device holding what a power loss at this moment could leave:
 * the durable image plus a random part of everything not flushed. */
struct sv_memdev *sv_memdev_crash_copy(struct sv_memdev *m, unsigned seed);
/* The nth next operation (1 = the next) fails with err and breaks the
 * device until sv_memdev_heal(). */
void sv_memdev_fail_after(struct sv_memdev *m, unsigned nth, int err);
void sv_memdev_heal(struct sv_memdev *m);
/* sv_read_io callback (arg = the memdev). */
int sv_memdev_read(void *arg, uint64_t off, void *buf, size_t len);

#endif
