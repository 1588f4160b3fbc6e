// SPDX-License-Identifier: GPL-2.0-or-later
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ssize_t pread_upto(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t r =
			pread(fd, p + done, len - done, (off_t)(off + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t r = pwrite(fd, p, len, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int write_file_atomic(const char *dir, const char *name, const void *buf,
		      size_t len, mode_t mode, bool exclusive)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, ret;

	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >=
		    sizeof(dst) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", dir, name,
			     (long)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* a leftover of a crashed writer with our pid is ours to replace */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	/* the umask must not widen or narrow what the caller asked for */
	ret = fchmod(fd, mode) < 0 ? -errno : 0;
	if (!ret)
		ret = pwrite_full(fd, buf, len, 0);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret) {
		if (exclusive)
			ret = link(tmp, dst) < 0 ? -errno : 0;
		else
			ret = rename(tmp, dst) < 0 ? -errno : 0;
	}
	unlink(tmp);
	if (!ret)
		ret = fsync_dir(dir);
	return ret;
}

int write_path_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (!slash)
		return write_file_atomic(".", path, buf, len, mode, false);
	if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return write_file_atomic(slash == path ? "/" : dir, slash + 1, buf, len,
				 mode, false);
}

int read_file_max(const char *path, size_t max, void **buf, size_t *len,
		  mode_t *mode_out)
{
	struct stat st;
	ssize_t got;
	void *b;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	b = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	got = pread_upto(fd, b, (size_t)st.st_size, 0);
	close(fd);
	if (got < 0 || got != st.st_size) {
		free(b);
		return got < 0 ? (int)got : -EIO;
	}
	*buf = b;
	*len = (size_t)got;
	if (mode_out)
		*mode_out = st.st_mode & 07777;
	return 0;
}
