/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plain file I/O of the share log and the xorshare store: every data write
 * whose durability matters (log appends, generation map, volume) goes
 * through here, so that the test build can simulate a power loss.
 *
 * With TGTX_TEST_XS_POWERLOSS=SEED in the environment (read once), each
 * write first saves the bytes it overwrites; a successful fdatasync of the
 * file forgets them (they are on stable storage). After a random number of
 * writes (100..TGTX_TEST_XS_POWERLOSS_MAX, default 3000), the process puts
 * back the saved pre-images of all unflushed writes, or of a random subset,
 * newest first, and _exit()s: every byte is left with a value it held
 * since its file's last flush, which is what a power cut allows.
 */
#ifndef TGTX_SL_PIO_H
#define TGTX_SL_PIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Whole-buffer positional writes; 0 or -errno. */
int sl_pwrite(int fd, const void *buf, size_t len, uint64_t off);
int sl_pwritev(int fd, const struct iovec *iov, int iovcnt, uint64_t off);
/* fdatasync; 0 or -errno. */
int sl_fdatasync(int fd);
/* Deallocates [off, off+len) (reads as zeroes), else writes zeroes. */
int sl_zero_range(int fd, uint64_t off, uint64_t len);
/* The file is closing: forget its saved pre-images (test build). */
void sl_pio_forget(int fd);

#endif
