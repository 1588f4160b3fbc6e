// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-recover's own pieces: the restore progress file (round trip, every
 * byte covered by the checksum, bounds), the time arguments of --before
 * and the target's write of a chunk with zero blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recovery/rc.h"
#include "recovery/rc_format.h"

static char path[64];

static void sample(struct rc_state *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 16; i++)
		s->uuid[i] = (uint8_t)(i * 13 + 1);
	s->seq = 48211;
	s->seq_ns = 1795751316000000123ULL;
	s->nblocks = 1 << 20;
	s->block_size = 4096;
	s->target_crc = 0xdeadbeef;
	s->done_blocks = 12345;
	s->started_ns = 1795751317000000000ULL;
}

static void test_state_round_trip(void **unused)
{
	struct rc_state a, b;
	char why[120];

	(void)unused;
	sample(&a);
	assert_int_equal(rc_state_save(path, &a), 0);
	assert_int_equal(rc_state_load(path, &b, why, sizeof(why)), 0);
	assert_memory_equal(a.uuid, b.uuid, 16);
	assert_true(a.seq == b.seq && a.seq_ns == b.seq_ns);
	assert_true(a.nblocks == b.nblocks && a.done_blocks == b.done_blocks);
	assert_true(a.block_size == b.block_size);
	assert_true(a.target_crc == b.target_crc && !b.complete);
	a.complete = true;
	assert_int_equal(rc_state_save(path, &a), 0);
	assert_int_equal(rc_state_load(path, &b, why, sizeof(why)), 0);
	assert_true(b.complete);
	assert_int_equal(rc_state_load("/nonexistent/x", &b, why, sizeof(why)),
			 -ENOENT);
}

/* Every bit of the file matters: a flipped one is refused (a resumed
 * restore must never trust a damaged record of what was done). */
static void test_state_every_bit(void **unused)
{
	uint8_t img[RC_STATE_SIZE], bad[RC_STATE_SIZE];
	struct rc_state a, b;
	char why[120];
	FILE *f;

	(void)unused;
	sample(&a);
	assert_int_equal(rc_state_save(path, &a), 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(img, 1, sizeof(img), f), sizeof(img));
	fclose(f);
	for (unsigned bit = 0; bit < RC_STATE_SIZE * 8; bit++) {
		memcpy(bad, img, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(bad, 1, sizeof(bad), f), sizeof(bad));
		fclose(f);
		if (rc_state_load(path, &b, why, sizeof(why)) != -EBADMSG)
			fail_msg("bit %u flipped: accepted", bit);
	}
	/* short and long files */
	f = fopen(path, "wb");
	assert_int_equal(fwrite(img, 1, 100, f), 100);
	fclose(f);
	assert_int_equal(rc_state_load(path, &b, why, sizeof(why)), -EBADMSG);
	/* done beyond the volume, checksum right: refused */
	a.done_blocks = a.nblocks + 1;
	assert_int_equal(rc_state_save(path, &a), 0);
	assert_int_equal(rc_state_load(path, &b, why, sizeof(why)), -EBADMSG);
}

static void test_times(void **unused)
{
	uint64_t ns, now = 1795751316000000000ULL;
	char buf[48];

	(void)unused;
	assert_int_equal(rc_parse_time("@0.0010007005", now, &ns), 0);
	assert_true(ns == 1000700);
	assert_int_equal(rc_parse_time("@1795751316.5", now, &ns), 0);
	assert_true(ns == 1795751316500000000ULL);
	assert_int_equal(rc_parse_time("2026-11-27T03:48:36Z", now, &ns), 0);
	assert_true(ns == 1795751316000000000ULL);
	assert_int_equal(rc_parse_time("2026-11-27 03:48:36.25", now, &ns), 0);
	assert_true(ns == 1795751316250000000ULL);
	assert_int_equal(rc_parse_time("-30m", now, &ns), 0);
	assert_true(ns == now - 1800000000000ULL);
	assert_int_equal(rc_parse_time("-2d", now, &ns), 0);
	assert_true(ns == now - 172800000000000ULL);
	assert_int_equal(rc_parse_time("-30x", now, &ns), -EINVAL);
	assert_int_equal(rc_parse_time("-m", now, &ns), -EINVAL);
	assert_int_equal(rc_parse_time("yesterday", now, &ns), -EINVAL);
	assert_int_equal(rc_parse_time("@12abc", now, &ns), -EINVAL);
	assert_int_equal(rc_parse_time("2026-11-27T03:48:36Zjunk", now, &ns),
			 -EINVAL);
	rc_format_time(1795751316250000000ULL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-27T03:48:36.250Z");
	rc_format_bytes(123456789, buf, sizeof(buf));
	assert_string_equal(buf, "123.5 MB");
}

/* Whether the file system of path reports holes (SEEK_HOLE inside a
 * sparse file): if not, only contents are checked. */
static bool fs_has_holes(const char *probe)
{
	int fd = open(probe, O_RDWR | O_CREAT | O_TRUNC, 0600);
	bool holes;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	assert_int_equal(pwrite(fd, "x", 1, 1 << 19), 1);
	holes = lseek(fd, 0, SEEK_HOLE) == 0;
	close(fd);
	unlink(probe);
	return holes;
}

/*
 * A chunk with zero blocks (undefined bytes in the buffer) to a target
 * file: the file holds exactly the blocks, zero blocks zero; in a fresh
 * file long zero runs are holes; in a continued one (not fresh, old bytes
 * there) every zero block is written.
 */
static void run_zero_blocks(size_t bs, bool fresh, bool holes)
{
	/* runs: data, zero, ... in blocks */
	static const unsigned runs[] = {1, 1, 2, 4, 1, 3, 1, 40, 3, 1, 2, 9};
	enum { NB = 68 };
	uint8_t zero[NB], *buf = malloc(NB * bs), *got = malloc(NB * bs);
	uint64_t off = 3 * bs, size = (NB + 5) * bs;
	struct rc_opts o = {.to = path};
	struct rc_target t;
	unsigned b = 0;

	assert_non_null(buf);
	assert_non_null(got);
	for (unsigned r = 0; r < sizeof(runs) / sizeof(runs[0]); r++)
		for (unsigned x = 0; x < runs[r]; x++, b++)
			zero[b] = r & 1;
	assert_int_equal(b, NB);
	for (b = 0; b < NB; b++)
		memset(buf + b * bs, zero[b] ? 0xee : (int)b + 1, bs);
	unlink(path);
	if (!fresh) {
		int fd = open(path, O_RDWR | O_CREAT, 0600);

		memset(got, 0xff, NB * bs);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, got, NB * bs, (off_t)off),
				 (ssize_t)(NB * bs));
		close(fd);
	}
	assert_int_equal(rc_target_open(&t, &o, size, !fresh), RC_EX_OK);
	assert_int_equal(t.fresh, fresh);
	assert_int_equal(rc_target_write_blocks(&t, off, buf, zero, NB, bs), 0);
	assert_int_equal(rc_target_read(&t, off, got, NB * bs), 0);
	for (b = 0; b < NB; b++) {
		uint8_t want = zero[b] ? 0 : (uint8_t)(b + 1);

		for (size_t i = 0; i < bs; i++)
			if (got[b * bs + i] != want)
				fail_msg("bs %zu fresh %d: block %u byte %zu "
					 "is %#x, not %#x",
					 bs, fresh, b, i, got[b * bs + i],
					 want);
	}
	if (fresh && holes) {
		/* the 40-block run (from block 13) is a hole, the data
		 * after it is not */
		uint64_t z = off + 13 * bs;

		if (bs * 40 >= RC_ZERO_SKIP)
			assert_true(lseek(t.fd, (off_t)z, SEEK_HOLE) ==
				    (off_t)z);
		assert_true(lseek(t.fd, (off_t)(off + 53 * bs), SEEK_DATA) ==
			    (off_t)(off + 53 * bs));
	}
	rc_target_close(&t);
	unlink(path);
	free(buf);
	free(got);
}

static void test_target_zero_blocks(void **unused)
{
	char probe[80];
	bool holes;

	(void)unused;
	snprintf(probe, sizeof(probe), "%s.probe", path);
	holes = fs_has_holes(probe);
	run_zero_blocks(4096, true, holes);
	run_zero_blocks(4096, false, holes);
	run_zero_blocks(512, true, holes);
	run_zero_blocks(512, false, holes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_every_bit),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_target_zero_blocks),
	};
	int ret;

	snprintf(path, sizeof(path), "/tmp/test_recovery_rc.%d", getpid());
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return ret;
}
