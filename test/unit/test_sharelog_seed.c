// SPDX-License-Identifier: GPL-2.0-or-later
/* The reprotect seed (struct sl_seed_hdr): round trip, every corruption,
 * version and size mismatches refused, one-time use, the log directory
 * made from it. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "bs_xorshare/log/sharelog_priv.h"
#include "bs_xorshare/log/sl_genmap.h"
#include "bs_xorshare/log/sl_seed.h"
#include "core/crc32c.h"

#define NB 20000 /* > one 4 MiB extent of 512-byte blocks */

static uint64_t gens[NB];
static struct sl_seed_range rev[2] = {{100, 50}, {9000, 1}};

static void make(struct sl_seed *s)
{
	memset(s, 0, sizeof(*s));
	s->k = 2;
	s->n = 3;
	s->check = 1;
	for (int i = 0; i < 16; i++) {
		s->uuid[i] = (uint8_t)(i * 7 + 1);
		s->key[i] = (uint8_t)(0xa0 + i);
	}
	s->block_size = 512;
	s->nblocks = NB;
	s->size = (uint64_t)NB * 512;
	s->point_seq = 70;
	s->next_seq = 91;
	s->gen_floor = 30000 + SL_SEED_GEN_GAP;
	s->created_ns = 1;
	s->held_mask = 0x3;
	for (uint64_t b = 0; b < NB; b++)
		gens[b] = b % 5 == 0 ? 0 : b < 10000 ? b + 7 : 29000 - b;
	s->gens = gens;
	s->rev = rev;
	s->nrevert = 2;
}

/* Recomputes both CRCs after a field was changed on purpose. */
static void reseal(uint8_t *buf, size_t len)
{
	struct sl_seed_hdr h;

	memcpy(&h, buf, sizeof(h));
	h.body_crc = htole32(
		crc32c(0, buf + SL_SEED_HDR_SIZE, len - SL_SEED_HDR_SIZE));
	h.crc = htole32(crc32c(0, &h, offsetof(struct sl_seed_hdr, crc)));
	memcpy(buf, &h, sizeof(h));
}

static void test_roundtrip(void **state)
{
	struct sl_seed s, d;
	void *buf;
	size_t len;
	char why[200];

	make(&s);
	assert_int_equal(sl_seed_encode(&s, &buf, &len), 0);
	assert_int_equal(len, SL_SEED_HDR_SIZE + NB * 8 + 2 * 16);
	assert_int_equal(sl_seed_decode(buf, len, &d, why, sizeof(why)), 0);
	assert_int_equal(d.k, 2);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.check, 1);
	assert_memory_equal(d.uuid, s.uuid, 16);
	assert_memory_equal(d.key, s.key, 16);
	assert_int_equal(d.nblocks, NB);
	assert_int_equal(d.point_seq, 70);
	assert_int_equal(d.next_seq, 91);
	assert_int_equal(d.gen_floor, s.gen_floor);
	assert_int_equal(d.held_mask, 3);
	assert_memory_equal(d.gens, gens, sizeof(gens));
	assert_int_equal(d.nrevert, 2);
	assert_memory_equal(d.rev, rev, sizeof(rev));
	sl_seed_free(&d);
	free(buf);
}

static void test_every_bit_refused(void **state)
{
	struct sl_seed s, d;
	uint8_t *buf;
	size_t len;
	char why[200];

	make(&s);
	assert_int_equal(sl_seed_encode(&s, (void **)&buf, &len), 0);
	/* the header bit by bit, the body at a stride (it is one CRC) */
	for (size_t bit = 0; bit < len * 8;
	     bit += bit < SL_SEED_HDR_SIZE * 8 ? 1 : 61) {
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (!sl_seed_decode(buf, len, &d, why, sizeof(why))) {
			sl_seed_free(&d);
			fail_msg("bit %zu flipped: accepted", bit);
		}
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	free(buf);
}

static void test_version_and_sizes(void **state)
{
	struct sl_seed s, d;
	struct sl_seed_hdr *h;
	uint8_t *buf, *big;
	size_t len;
	char why[200];

	make(&s);
	assert_int_equal(sl_seed_encode(&s, (void **)&buf, &len), 0);
	h = (struct sl_seed_hdr *)buf;
	h->version = htole16(SL_SEED_VERSION + 1);
	reseal(buf, len);
	assert_int_equal(sl_seed_decode(buf, len, &d, why, sizeof(why)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(why, "version"));
	h->version = htole16(SL_SEED_VERSION);
	reseal(buf, len);
	assert_int_equal(sl_seed_decode(buf, len, &d, why, sizeof(why)), 0);
	sl_seed_free(&d);
	/* truncated, extended (CRC of the longer body right), short header */
	assert_int_equal(sl_seed_decode(buf, len - 8, &d, why, sizeof(why)),
			 -EBADMSG);
	big = calloc(1, len + 8);
	memcpy(big, buf, len);
	reseal(big, len + 8);
	assert_int_equal(sl_seed_decode(big, len + 8, &d, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "header says"));
	free(big);
	assert_int_equal(sl_seed_decode(buf, 100, &d, why, sizeof(why)),
			 -EBADMSG);
	/* size that is not nblocks * block size */
	h->size = htole64((uint64_t)NB * 512 + 512);
	reseal(buf, len);
	assert_int_equal(sl_seed_decode(buf, len, &d, why, sizeof(why)),
			 -EBADMSG);
	h->size = htole64((uint64_t)NB * 512);
	/* a generation at the floor: the new owner would hand it out */
	h->gen_floor = htole64(10006);
	reseal(buf, len);
	assert_int_equal(sl_seed_decode(buf, len, &d, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "not below"));
	h->gen_floor = htole64(s.gen_floor);
	/* next seq must be above the point */
	h->next_seq = htole64(70);
	reseal(buf, len);
	assert_int_equal(sl_seed_decode(buf, len, &d, why, sizeof(why)),
			 -EBADMSG);
	h->next_seq = htole64(91);
	/* a revert range past the end of the volume */
	memcpy(buf + len - 16,
	       &(struct sl_seed_range){htole64(NB - 1), htole64(2)}, 16);
	reseal(buf, len);
	assert_int_equal(sl_seed_decode(buf, len, &d, why, sizeof(why)),
			 -EBADMSG);
	free(buf);
}

static void test_consume_and_apply(void **state)
{
	char dir[] = "/tmp/test-slseed.XXXXXX", path[128], log[160];
	struct sl_seed s, d;
	struct sl_state st;
	struct sl_cursor c;
	struct sl_genmap *gm;
	uint64_t got[NB];
	uint8_t key[16], zero[16] = {0};
	void *buf;
	size_t len;
	char why[200];
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/seed", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	make(&s);
	assert_int_equal(sl_seed_encode(&s, &buf, &len), 0);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	assert_int_equal(sl_seed_load(path, &d, why, sizeof(why)), 0);
	assert_int_equal(d.flags, 0);
	assert_int_equal(sl_seed_apply(log, &d, why, sizeof(why)), 0);
	sl_seed_free(&d);
	assert_int_equal(sl_seed_consume(path), 0);
	assert_int_equal(sl_seed_load(path, &d, why, sizeof(why)), 0);
	assert_int_equal(d.flags, SL_SEED_CONSUMED);
	assert_memory_equal(d.key, zero, 16);
	sl_seed_free(&d);

	assert_int_equal(sl_key_load(log, s.uuid, key), 0);
	assert_memory_equal(key, s.key, 16);
	assert_int_equal(sl_state_load(log, &st), 0);
	assert_int_equal(st.next_seq, 91);
	assert_int_equal(st.gen_reserved, s.gen_floor);
	assert_int_equal(st.baseline_next, s.size);
	assert_int_equal(st.baseline_size, s.size);
	assert_int_equal(st.resync_mask, 0x4); /* peer 2 not held */
	assert_int_equal(st.resync_seq[2], 91);
	assert_int_equal(sl_cursor_load(log, 0, &c), 0);
	assert_int_equal(c.seq, 90);
	assert_int_equal(sl_cursor_load(log, 2, &c), -ENOENT);
	assert_int_equal(
		sl_genmap_open(&gm, log, s.uuid, 512, true, why, sizeof(why)),
		0);
	assert_int_equal(sl_genmap_get(gm, 0, NB, got), 0);
	assert_memory_equal(got, gens, sizeof(gens));
	for (uint64_t e = 0; e * sl_genmap_extent_blocks(gm) < NB; e++)
		assert_int_equal(sl_genmap_check(gm, e), 0);
	sl_genmap_close(gm);
	snprintf(why, sizeof(why), "rm -rf %s", dir);
	assert_int_equal(system(why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_every_bit_refused),
		cmocka_unit_test(test_version_and_sizes),
		cmocka_unit_test(test_consume_and_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
