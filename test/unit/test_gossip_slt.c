// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share-location tables: round trip, every byte covered, every structural
 * rule enforced even under a valid signature, wrong signer, the share-volume
 * blob; node key files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gossip_test_util.h"
#include "replicator/gossip/slt.h"

static struct nodekey key, other;

static int setup(void **state)
{
	if (nodekey_generate(&key) || nodekey_generate(&other))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	nodekey_free(&key);
	nodekey_free(&other);
	return 0;
}

static void test_round_trip(void **state)
{
	uint8_t buf[SLT_MAX_SIZE];
	struct slt in, out;
	const char *why = NULL;
	size_t len;

	tu_table(&in, 7, 3);
	assert_int_equal(
		slt_encode_sign(&in, &key, buf, sizeof(buf), &len, &why), 0);
	assert_int_equal(slt_parse(buf, len, &out, &why), 0);
	assert_int_equal(out.version, 3);
	assert_memory_equal(out.uuid, in.uuid, SLT_UUID_SIZE);
	assert_memory_equal(out.owner_pub, key.pub, SLT_PUB_SIZE);
	assert_memory_equal(out.owner_id, key.id, SLT_ID_SIZE);
	assert_int_equal(out.size, in.size);
	assert_int_equal(out.block_size, in.block_size);
	assert_int_equal(out.k, 2);
	assert_int_equal(out.n, 3);
	assert_int_equal(out.signed_at_ms, in.signed_at_ms);
	assert_string_equal(out.name, "vol7");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(out.shares[i].transport,
				 in.shares[i].transport);
		assert_int_equal(out.shares[i].lun, in.shares[i].lun);
		assert_string_equal(out.shares[i].portal, in.shares[i].portal);
		assert_string_equal(out.shares[i].iqn, in.shares[i].iqn);
		assert_memory_equal(out.shares[i].partner_id,
				    in.shares[i].partner_id, SLT_ID_SIZE);
	}
	assert_int_equal(slt_peek_version(buf), 3);
}

static void test_largest_table_fits(void **state)
{
	uint8_t buf[SLT_MAX_SIZE];
	struct slt t, out;
	size_t len;

	tu_table(&t, 1, 1);
	t.n = SLT_MAX_N;
	t.k = SLT_MAX_N;
	memset(t.name, 'n', SLT_MAX_NAME);
	for (int i = 0; i < SLT_MAX_N; i++) {
		memset(t.shares[i].portal, 'p', SLT_MAX_PORTAL);
		memset(t.shares[i].iqn, 'q', SLT_MAX_IQN);
		t.shares[i].lun = SLT_MAX_LUN;
	}
	assert_int_equal(
		slt_encode_sign(&t, &key, buf, sizeof(buf), &len, NULL), 0);
	assert_int_equal(slt_parse(buf, len, &out, NULL), 0);
	assert_int_equal(strlen(out.shares[15].iqn), SLT_MAX_IQN);
	assert_int_equal(slt_encode_sign(&t, &key, buf, len - 1, &len, NULL),
			 -ENOSPC);
}

/* Any single bit flipped anywhere: refused (CRC, structure or signature). */
static void test_every_bit_covered(void **state)
{
	uint8_t buf[SLT_MAX_SIZE];
	struct slt out;
	size_t len = tu_encode(3, 1, &key, buf);
	uint32_t crc;

	assert_true(len > 0);
	for (size_t i = 0; i < len; i++)
		for (int b = 0; b < 8; b += 3) {
			buf[i] ^= (uint8_t)(1 << b);
			assert_int_not_equal(slt_parse(buf, len, &out, NULL),
					     0);
			buf[i] ^= (uint8_t)(1 << b);
		}
	/* even with the CRC recomputed, the signature catches it */
	for (size_t i = 16; i < len - SLT_SIG_SIZE; i += 7) {
		buf[i] ^= 1;
		crc = htole32(crc32c(0, buf + 16, len - 16));
		memcpy(buf + 12, &crc, 4);
		if (!slt_decode(buf, len, &out, NULL))
			assert_int_equal(slt_verify(buf, len), -EKEYREJECTED);
		buf[i] ^= 1;
	}
	crc = htole32(crc32c(0, buf + 16, len - 16));
	memcpy(buf + 12, &crc, 4);
	assert_int_equal(slt_parse(buf, len, &out, NULL), 0);
	assert_int_not_equal(slt_parse(buf, len - 1, &out, NULL), 0);
}

struct mutation {
	const char *what;
	size_t off; /* byte offset in the table */
	uint8_t val;
};

/*
 * Each structural rule, with a valid signature and CRC made after the
 * change: only the decoder's own checks can refuse these.
 */
static void test_field_rules_under_valid_signature(void **state)
{
	/* header offsets from slt_format.h; share 0 starts at 96 + 4 */
	const size_t s0 = SLT_HDR_SIZE + 4;
	const struct mutation m[] = {
		{"version 0 (low byte)", 16, 0},
		{"block size not a power of two", 80, 0x01},
		{"block size too small", 81, 0x00},
		{"k = 0", 84, 0},
		{"k > n", 84, 4},
		{"n = 17", 85, 17},
		{"n = 0", 85, 0},
		{"name length 0", 86, 0},
		{"name length 200", 86, 200},
		{"reserved0", 87, 1},
		{"flags", 6, 1},
		{"bad name char", SLT_HDR_SIZE, ' '},
		{"share index", s0 + 0, 1},
		{"share transport", s0 + 1, 9},
		{"portal length too long", s0 + 2, 200},
		{"portal length 0", s0 + 2, 0},
		{"iqn length 0", s0 + 3, 0},
		{"lun too big", s0 + 5, 0xff},
		{"share reserved0", s0 + 6, 1},
		{"share reserved1", s0 + 40, 1},
		{"portal with a control char", s0 + SLT_SHARE_HDR_SIZE, '\n'},
	};
	uint8_t buf[SLT_MAX_SIZE], orig[SLT_MAX_SIZE];
	size_t len = tu_encode(4, 5, &key, orig);
	struct slt out;

	/* the volume size must stay a multiple of the block size */
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		const char *why = NULL;

		memcpy(buf, orig, len);
		buf[m[i].off] = m[i].val;
		tu_resign(buf, len, &key);
		if (slt_parse(buf, len, &out, &why) != -EBADMSG)
			fail_msg("accepted: %s", m[i].what);
		assert_non_null(why);
	}
	/* size not a multiple of the block size */
	memcpy(buf, orig, len);
	buf[72] = 1;
	tu_resign(buf, len, &key);
	assert_int_equal(slt_parse(buf, len, &out, NULL), -EBADMSG);
	/* the untouched table still passes after a re-sign */
	memcpy(buf, orig, len);
	tu_resign(buf, len, &key);
	assert_int_equal(slt_parse(buf, len, &out, NULL), 0);
}

static void test_wrong_signer(void **state)
{
	uint8_t buf[SLT_MAX_SIZE];
	size_t len = tu_encode(5, 1, &key, buf);
	struct slt out;
	uint32_t crc;

	/* the other key's public half, key's signature */
	memcpy(buf + 40, other.pub, SLT_PUB_SIZE);
	crc = htole32(crc32c(0, buf + 16, len - 16));
	memcpy(buf + 12, &crc, 4);
	assert_int_equal(slt_decode(buf, len, &out, NULL), 0);
	assert_int_equal(slt_verify(buf, len), -EKEYREJECTED);
	assert_int_equal(slt_parse(buf, len, &out, NULL), -EKEYREJECTED);
}

static void test_encode_refuses_bad_fields(void **state)
{
	uint8_t buf[SLT_MAX_SIZE];
	struct slt t;
	const char *why;
	size_t len;

	tu_table(&t, 1, 1);
	t.k = 4;
	assert_int_equal(
		slt_encode_sign(&t, &key, buf, sizeof(buf), &len, &why),
		-EINVAL);
	tu_table(&t, 1, 1);
	strcpy(t.shares[1].portal, "has space:1");
	assert_int_equal(
		slt_encode_sign(&t, &key, buf, sizeof(buf), &len, &why),
		-EINVAL);
	assert_string_equal(why, "share portal");
}

static void test_blob(void **state)
{
	uint8_t tbl[SLT_MAX_SIZE], blob[SLT_MAX_SIZE + 64];
	size_t len = tu_encode(6, 2, &key, tbl), blen, tl;
	const uint8_t *p;
	struct slt out;

	assert_int_equal(slt_blob_wrap(tbl, len, blob, sizeof(blob), &blen), 0);
	assert_int_equal(blen, len + SLT_BLOB_HDR_SIZE);
	/* the share-volume slot is larger than the blob: trailing zeros */
	memset(blob + blen, 0, 32);
	assert_int_equal(slt_blob_unwrap(blob, blen + 32, &p, &tl), 0);
	assert_int_equal(tl, len);
	assert_int_equal(slt_parse(p, tl, &out, NULL), 0);
	for (size_t i = 0; i < blen; i++) {
		blob[i] ^= 0x20;
		assert_int_equal(slt_blob_unwrap(blob, blen, &p, &tl),
				 -EBADMSG);
		blob[i] ^= 0x20;
	}
	assert_int_equal(slt_blob_unwrap(blob, blen - 1, &p, &tl), -EBADMSG);
	assert_int_equal(slt_blob_wrap(tbl, len, blob, len, &blen), -ENOSPC);
}

static void test_nodekey_file(void **state)
{
	char dir[] = "/tmp/tgtx-nodekey.XXXXXX", path[64];
	struct nodekey a, b;
	bool created;
	struct stat st;
	FILE *f;
	uint8_t raw[80];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/node.key", dir);
	assert_int_equal(nodekey_load_or_create(path, &a, &created), 0);
	assert_true(created);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(nodekey_load_or_create(path, &b, &created), 0);
	assert_false(created);
	assert_memory_equal(a.pub, b.pub, SLT_PUB_SIZE);
	assert_memory_equal(a.id, b.id, SLT_ID_SIZE);
	nodekey_free(&b);
	/* readable by others: refused */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(nodekey_load_or_create(path, &b, &created), -EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	/* one byte changed: refused, never replaced by a new key */
	f = fopen(path, "r+");
	assert_non_null(f);
	assert_int_equal(fread(raw, 1, 80, f), 80);
	raw[20] ^= 1;
	rewind(f);
	assert_int_equal(fwrite(raw, 1, 80, f), 80);
	fclose(f);
	assert_int_equal(nodekey_load_or_create(path, &b, &created), -EBADMSG);
	nodekey_free(&a);
	unlink(path);
	rmdir(dir);
}

static void test_uuid_and_hex(void **state)
{
	uint8_t u[16], v[16];
	char s[37];

	for (int i = 0; i < 16; i++)
		u[i] = (uint8_t)(i * 17);
	slt_uuid_str(u, s);
	assert_int_equal(strlen(s), 36);
	assert_int_equal(slt_uuid_parse(s, v), 0);
	assert_memory_equal(u, v, 16);
	assert_int_equal(slt_uuid_parse("00112233", v), -EINVAL);
	assert_int_equal(slt_uuid_parse("zz112233445566778899aabbccddeeff", v),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_largest_table_fits),
		cmocka_unit_test(test_every_bit_covered),
		cmocka_unit_test(test_field_rules_under_valid_signature),
		cmocka_unit_test(test_wrong_signer),
		cmocka_unit_test(test_encode_refuses_bad_fields),
		cmocka_unit_test(test_blob),
		cmocka_unit_test(test_nodekey_file),
		cmocka_unit_test(test_uuid_and_hex),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
