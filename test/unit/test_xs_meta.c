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

#include "core/crc32c.h"
#include "bs_xorshare/log/sharelog.h"
#include "bs_xorshare/store/xs_meta.h"

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
	/* the check is persisted; versions 1 and 2 (n shares per record)
	 * are refused */
	{
		struct xs_meta_disk d;

		a.check = XS_META_CHECK_SHA256;
		assert_int_equal(xs_meta_store(dir, &a), 0);
		assert_int_equal(xs_meta_load(dir, &b), 0);
		assert_int_equal(b.check, XS_META_CHECK_SHA256);
		fd = open(path, O_RDWR);
		assert_int_equal(pread(fd, &d, sizeof(d), 0), sizeof(d));
		assert_int_equal(le16toh(d.version), XS_META_VERSION);
		for (uint16_t v = 1; v <= 2; v++) {
			char err[512];

			d.version = htole16(v);
			d.crc = htole32(crc32c(
				0, &d, offsetof(struct xs_meta_disk, crc)));
			assert_int_equal(pwrite(fd, &d, sizeof(d), 0),
					 sizeof(d));
			assert_int_equal(xs_meta_load(dir, &b), -EBADMSG);
			assert_int_equal(
				sl_check_format_version(dir, err, sizeof(err)),
				-EPROTONOSUPPORT);
			assert_non_null(strstr(err, "aside"));
		}
		/* an unknown check value is refused */
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
	uint8_t data[1024], rec[64];
	const uint8_t *b = rec;
	struct sl_rec_hdr h;

	memset(data, 0x5a, sizeof(data));
	assert_int_equal(sl_record_size(SL_REC_WRITE, 2, 512), 64 + 1024);
	assert_int_equal(sl_record_size(SL_REC_UNMAP, 2048, 512), 64);
	memset(&h, 0, sizeof(h));
	h.type = SL_REC_WRITE;
	h.nblocks = 2;
	h.seq = 7;
	h.lba = 0x1122334455667788ULL;
	h.first_gen = 0x0102030405060708ULL;
	h.block_size = 512;
	sl_record_encode(rec, &h, data);
	/* little-endian fields at their documented offsets */
	assert_int_equal(b[0], 'X');
	assert_int_equal(b[3], '2');
	assert_int_equal(b[4], SL_VERSION);
	assert_int_equal(b[6], SL_REC_WRITE);
	assert_int_equal(b[8], 2);
	assert_int_equal(b[12] | b[13] << 8, 64 + 1024);
	assert_int_equal(b[16], 7);
	assert_int_equal(b[32], 0x88);
	assert_int_equal(b[39], 0x11);
	assert_int_equal(b[40], 0x08);
	assert_int_equal(b[52] | b[53] << 8, 512);
	assert_int_equal(sl_record_check_hdr(rec, sizeof(rec) + 1024, &h), 0);
	assert_int_equal(h.lba, 0x1122334455667788ULL);
	assert_int_equal(h.first_gen, 0x0102030405060708ULL);
	assert_int_equal(h.nblocks, 2);
	/* the header alone is not the whole record */
	assert_int_equal(sl_record_check_hdr(rec, sizeof(rec), &h), -EBADMSG);
	/* a WRITE without generation, an UNMAP with one: refused */
	h.first_gen = 0;
	sl_record_encode(rec, &h, data);
	sl_record_decode(rec, &h);
	assert_int_equal(h.first_gen, 0);
	assert_int_equal(sl_record_check_hdr(rec, 2000, &h), -EINVAL);
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
