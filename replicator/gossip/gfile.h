/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole small files: atomic replacement (bounded reads: read_file_max). */
#ifndef TGTX_GFILE_H
#define TGTX_GFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replaces path with buf atomically (temporary file beside it, fsync,
 * rename, fsync of the directory), created with mode; 0 or -errno. A crash
 * leaves the old or the new content, never a mix.
 */
int gfile_write_atomic(const char *path, const void *buf, size_t len,
		       mode_t mode);

#endif
