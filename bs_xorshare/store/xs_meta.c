// SPDX-License-Identifier: GPL-2.0-or-later
/* The xorshare volume metadata file: create, load, store. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "bs_xorshare/log/sharelog.h"
#include "xs_meta.h"

int xs_meta_new(struct xs_meta *m, uint8_t k, uint8_t n, uint32_t block_size,
		uint64_t size)
{
	size_t got = 0;

	memset(m, 0, sizeof(*m));
	while (got < sizeof(m->uuid)) {
		ssize_t r = getrandom(m->uuid + got, sizeof(m->uuid) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	m->uuid[6] = (uint8_t)((m->uuid[6] & 0x0f) | 0x40); /* version 4 */
	m->uuid[8] = (uint8_t)((m->uuid[8] & 0x3f) | 0x80); /* RFC 4122 */
	m->version = XS_META_VERSION;
	m->check = XS_META_CHECK_CRC;
	m->k = k;
	m->n = n;
	m->block_size = block_size;
	m->size = size;
	m->created_ns = sl_now_ns();
	return 0;
}

int xs_meta_load(const char *dir, struct xs_meta *m)
{
	struct xs_meta_disk d;
	char path[4200];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/meta", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, &d, sizeof(d), 0);
	close(fd);
	if (r < 0)
		return -errno;
	if (r != sizeof(d) || le64toh(d.magic) != XS_META_MAGIC ||
	    le32toh(d.crc) !=
		    crc32c(0, &d, offsetof(struct xs_meta_disk, crc)) ||
	    le16toh(d.version) != XS_META_VERSION ||
	    le16toh(d.hdr_len) != XS_META_SIZE || d.k == 0 || d.k > d.n ||
	    d.n > SL_MAX_N)
		return -EBADMSG;
	if (d.check != XS_META_CHECK_CRC && d.check != XS_META_CHECK_SHA256)
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	m->version = le16toh(d.version);
	m->check = d.check;
	m->k = d.k;
	m->n = d.n;
	memcpy(m->uuid, d.uuid, 16);
	m->block_size = le32toh(d.block_size);
	m->size = le64toh(d.size);
	m->created_ns = le64toh(d.created_ns);
	return 0;
}

int xs_meta_store(const char *dir, const struct xs_meta *m)
{
	struct xs_meta_disk d;

	memset(&d, 0, sizeof(d));
	d.magic = htole64(XS_META_MAGIC);
	d.version = htole16(XS_META_VERSION);
	d.hdr_len = htole16(XS_META_SIZE);
	d.check = m->check ? m->check : XS_META_CHECK_CRC;
	d.k = m->k;
	d.n = m->n;
	memcpy(d.uuid, m->uuid, 16);
	d.block_size = htole32(m->block_size);
	d.size = htole64(m->size);
	d.created_ns = htole64(m->created_ns);
	d.crc = htole32(crc32c(0, &d, offsetof(struct xs_meta_disk, crc)));
	return sl_write_file_atomic(dir, "meta", &d, sizeof(d));
}

void xs_uuid_str(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}
