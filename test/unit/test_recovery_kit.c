// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DR kit: round trip, wrong passphrase, every byte of the file covered,
 * KDF bounds, strict payload decoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "recovery/kit.h"

static const struct kit_kdf fast = {.log2_n = KIT_MIN_LOG2N, .r = 8, .p = 1};

static void fill(struct kit *k)
{
	memset(k, 0, sizeof(*k));
	for (int i = 0; i < 32; i++)
		k->node_priv[i] = (uint8_t)(i * 7 + 1);
	strcpy(k->node_name, "site-a");
	k->npeers = 2;
	memset(k->peers[0].pub, 0xb0, 32);
	strcpy(k->peers[0].name, "site-b");
	strcpy(k->peers[0].addr, "192.0.2.2:3270");
	strcpy(k->peers[0].url, "iscsi://u%s3cret@192.0.2.2:3260/iqn.x:b/1");
	memset(k->peers[1].pub, 0xc0, 32);
	strcpy(k->peers[1].addr, "[2001:db8::3]:3270");
	k->nseeds = 1;
	strcpy(k->seeds[0], "192.0.2.9:3270");
}

static void test_round_trip(void **state)
{
	static struct kit in, out;
	uint8_t *buf;
	size_t len;
	const char *why = NULL;

	fill(&in);
	assert_int_equal(
		kit_seal(&in, "correct horse", &fast, &buf, &len, &why), 0);
	assert_int_equal(kit_open(buf, len, "correct horse", &out, &why), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	/* the secrets are not in the file in clear */
	assert_null(memmem(buf, len, "s3cret", 6));
	assert_null(memmem(buf, len, in.node_priv, 32));
	assert_int_equal(kit_open(buf, len, "correct horsf", &out, &why),
			 -EKEYREJECTED);
	assert_int_equal(kit_open(buf, len, "", &out, &why), -EKEYREJECTED);
	free(buf);
}

/* any byte changed anywhere: refused, never a different kit */
static void test_tamper(void **state)
{
	static struct kit in, out;
	uint8_t *buf;
	size_t len;

	fill(&in);
	assert_int_equal(
		kit_seal(&in, "correct horse", &fast, &buf, &len, NULL), 0);
	/* every header byte and a spread of the rest (scrypt is slow) */
	for (size_t i = 0; i < len; i += (i < KIT_HDR_SIZE ? 1 : 29)) {
		int ret;

		buf[i] ^= 0x01;
		ret = kit_open(buf, len, "correct horse", &out, NULL);
		assert_true(ret == -EBADMSG || ret == -EKEYREJECTED);
		buf[i] ^= 0x01;
	}
	/* header CRC fixed up after a change: the GCM tag still refuses */
	{
		uint32_t crc;

		buf[20] ^= 0x80; /* salt */
		crc = crc32c(0, buf, 44);
		memcpy(buf + 44, &crc, 4);
		assert_int_equal(
			kit_open(buf, len, "correct horse", &out, NULL),
			-EKEYREJECTED);
	}
	assert_int_equal(kit_open(buf, len - 1, "correct horse", &out, NULL),
			 -EBADMSG);
	free(buf);
}

static void test_kdf_bounds(void **state)
{
	static struct kit in;
	struct kit_kdf k = fast;
	uint8_t *buf;
	size_t len;
	struct kit_hdr h;

	fill(&in);
	k.log2_n = KIT_MIN_LOG2N - 1;
	assert_int_equal(kit_seal(&in, "correct horse", &k, &buf, &len, NULL),
			 -EINVAL);
	assert_int_equal(kit_seal(&in, "short", &fast, &buf, &len, NULL),
			 -EINVAL);
	/* a kit asking for more memory than allowed is refused unopened */
	assert_int_equal(
		kit_seal(&in, "correct horse", &fast, &buf, &len, NULL), 0);
	buf[8] = KIT_MAX_LOG2N + 1;
	{
		uint32_t crc = crc32c(0, buf, 44);

		memcpy(buf + 44, &crc, 4);
	}
	assert_int_equal(kit_check_header(buf, len, &h, NULL), -EBADMSG);
	free(buf);
}

static void test_payload_strict(void **state)
{
	static struct kit in, out;
	uint8_t buf[KIT_MAX_PAYLOAD];
	size_t len;
	const char *why;

	fill(&in);
	assert_int_equal(kit_payload_encode(&in, buf, sizeof(buf), &len, NULL),
			 0);
	assert_int_equal(kit_payload_decode(buf, len, &out, NULL), 0);
	assert_int_equal(kit_payload_decode(buf, len - 1, &out, &why),
			 -EBADMSG);
	buf[len] = 'x';
	assert_int_equal(kit_payload_decode(buf, len + 1, &out, &why),
			 -EBADMSG);
	assert_string_equal(why, "trailing bytes");
	buf[6] = KIT_MAX_PEERS + 1; /* npeers */
	assert_int_equal(kit_payload_decode(buf, len, &out, &why), -EBADMSG);
	buf[6] = 2;
	buf[11] = 1; /* reserved */
	assert_int_equal(kit_payload_decode(buf, len, &out, &why), -EBADMSG);
	buf[11] = 0;
	buf[KIT_PL_HDR_SIZE + 32] = '\n'; /* node name */
	assert_int_equal(kit_payload_decode(buf, len, &out, &why), -EBADMSG);
	/* encoder refuses what the decoder would */
	strcpy(in.peers[0].url, "iscsi://has space");
	assert_int_equal(kit_payload_encode(&in, buf, sizeof(buf), &len, &why),
			 -EINVAL);
}

static void test_file(void **state)
{
	static struct kit in, out;
	char dir[] = "/tmp/tgtx-kit.XXXXXX", path[64];
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kit", dir);
	fill(&in);
	assert_int_equal(
		kit_write_file(path, &in, "correct horse", &fast, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(kit_read_file(path, "correct horse", &out, NULL), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_kdf_bounds),
		cmocka_unit_test(test_payload_strict),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
