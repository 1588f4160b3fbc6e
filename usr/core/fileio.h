/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole-buffer file I/O for code that must not lose a short read or write. */
#ifndef TGTX_FILEIO_H
#define TGTX_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Reads up to len bytes at off, retrying short reads and EINTR. Returns the
 * bytes read (less than len only at end of file) or -errno.
 */
ssize_t pread_upto(int fd, void *buf, size_t len, uint64_t off);
/* Writes all len bytes at off, retrying short writes and EINTR; 0 or -errno. */
int pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* write_file_atomic of path's directory and last component. */
int write_path_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode);
/*
 * Reads a whole regular file into a malloc'ed buffer (*buf, *len); larger
 * than max: -EFBIG, not a regular file: -EINVAL. 0 or -errno. If mode_out,
 * the file's mode.
 */
int read_file_max(const char *path, size_t max, void **buf, size_t *len,
		  mode_t *mode_out);
/* Makes a rename/create in dir durable; 0 or -errno. */
int fsync_dir(const char *dir);
/*
 * Writes dir/name so that a crash leaves the old or the new content, never
 * a mix: a temporary file in dir created with `mode`, fsync, rename, fsync
 * of dir. exclusive: create only, -EEXIST when name already exists (the
 * rename is then a link, so two racing creators cannot both win).
 * 0 or -errno.
 */
int write_file_atomic(const char *dir, const char *name, const void *buf,
		      size_t len, mode_t mode, bool exclusive);

#endif
