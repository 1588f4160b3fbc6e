// SPDX-License-Identifier: GPL-2.0-or-later
/* xorshare volume metadata file and share-log on-disk encodings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs_xorshare/sharelog.h"
#include "core/crc32c.h"
#include "bs_xorshare/xs_meta.h"

static void test_meta_roundtrip(void **state)
{
	char dir[] = "/tmp/test-xsmeta.XXXXXX", path[64], u[37];
	struct xs_meta a, b, c;
	int fd;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(xs_meta_load(dir, &a), -ENOENT);
	assert_int_equal(xs_meta_new(&a, 2, 3, 512, 1 << 30), 0);
	assert_int_equal(xs_meta_new(&c, 2, 3, 512, 1 << 30), 0);
	assert_memory_not_equal(a.uuid, c.uuid, 16);
	assert_int_equal(a.uuid[6] >> 4, 4);
	assert_true(a.created_ns > 0);
	assert_int_equal(xs_meta_store(dir, &a), 0);
	assert_int_equal(xs_meta_load(dir, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	xs_uuid_str(a.uuid, u);
	assert_int_equal(strlen(u), 36);
	assert_int_equal(u[14], '4');

	/* any flipped byte is caught by the checksum */
	snprintf(path, sizeof(path), "%s/meta", dir);
	for (int off = 0; off < XS_META_SIZE; off += 7) {
		uint8_t byte;

		assert_int_equal(xs_meta_store(dir, &a), 0);
		fd = open(path, O_RDWR);
		assert_int_equal(pread(fd, &byte, 1, off), 1);
		byte ^= 0x10;
		assert_int_equal(pwrite(fd, &byte, 1, off), 1);
		close(fd);
		assert_int_equal(xs_meta_load(dir, &b), -EBADMSG);
	}
	/* version 1 (no check byte) reads as crc; check is persisted */
	{
		struct xs_meta_disk d;

		a.check = XS_META_CHECK_SHA256;
		assert_int_equal(xs_meta_store(dir, &a), 0);
		assert_int_equal(xs_meta_load(dir, &b), 0);
		assert_int_equal(b.check, XS_META_CHECK_SHA256);
		fd = open(path, O_RDWR);
		assert_int_equal(pread(fd, &d, sizeof(d), 0), sizeof(d));
		assert_int_equal(le16toh(d.version), XS_META_VERSION);
		d.version = htole16(1);
		d.check = 0;
		d.crc = htole32(
			crc32c(0, &d, offsetof(struct xs_meta_disk, crc)));
		assert_int_equal(pwrite(fd, &d, sizeof(d), 0), sizeof(d));
		assert_int_equal(xs_meta_load(dir, &b), 0);
		assert_int_equal(b.check, XS_META_CHECK_CRC);
		/* version 2 with an unknown check value is refused */
		d.version = htole16(XS_META_VERSION);
		d.check = 9;
		d.crc = htole32(
			crc32c(0, &d, offsetof(struct xs_meta_disk, crc)));
		assert_int_equal(pwrite(fd, &d, sizeof(d), 0), sizeof(d));
		close(fd);
		assert_int_equal(xs_meta_load(dir, &b), -EBADMSG);
	}
	/* short file */
	assert_int_equal(truncate(path, 10), 0);
	assert_int_equal(xs_meta_load(dir, &b), -EBADMSG);
	unlink(path);
	rmdir(dir);
}

static void test_crc32c(void **state)
{
	uint8_t buf[1000];

	/* the standard check value, and chaining equals one pass */
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13);
	assert_int_equal(crc32c(crc32c(0, buf, 333), buf + 333, 667),
			 crc32c(0, buf, sizeof(buf)));
	/* unaligned start */
	assert_int_equal(crc32c(crc32c(0, buf, 3), buf + 3, 997),
			 crc32c(0, buf, sizeof(buf)));
}

static void test_record_encoding(void **state)
{
	uint32_t len = sl_record_size(3, 100);
	uint8_t *rec = malloc(len);
	const uint8_t *b = rec;
	struct sl_rec_hdr h;

	assert_int_equal(len, 64 + 304);
	sl_record_init(rec, SL_REC_WRITE, 2, 3, 0x1122334455667788ULL, 4096,
		       100);
	for (unsigned i = 0; i < 3; i++)
		memset(sl_record_share(rec, i, 100), (int)i + 1, 100);
	/* not sealed yet: the header CRC is zero */
	assert_int_equal(sl_record_check(rec, len), -EBADMSG);
	/* little-endian fields at their documented offsets */
	assert_int_equal(b[0], 'X');
	assert_int_equal(b[3], '1');
	assert_int_equal(b[6], SL_REC_WRITE);
	assert_int_equal(b[8], 2);
	assert_int_equal(b[9], 3);
	assert_int_equal(b[12] | b[13] << 8, len);
	assert_int_equal(b[32], 0x88);
	assert_int_equal(b[39], 0x11);
	assert_int_equal(b[48], 100);
	sl_record_decode(rec, &h);
	assert_int_equal(h.offset, 0x1122334455667788ULL);
	assert_int_equal(h.length, 4096);
	assert_int_equal(h.share_len, 100);
	free(rec);

	/* UNMAP records carry no shares */
	assert_int_equal(sl_record_size(0, 0), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_roundtrip),
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_record_encoding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
