// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pins and pin files (usr/tls/tls_pins.h): the pin of a known key (RFC 8032
 * test 1), the file grammar (comments, names, blanks, CRLF), every malformed
 * line named by FILE:LINE, duplicates, the size bounds; node key files
 * (tgtxd's STATE_DIR/node.key) load back to the same pin.
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

#include "tls/nodekey.h"
#include "tls/tls_pins.h"

/* RFC 8032 7.1 test 1 */
static const char *rfc_priv =
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *rfc_pub =
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/* sha256 of the 32 raw bytes of rfc_pub (python hashlib) */
static const char *rfc_pin =
	"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9";

static void test_pin_of_known_key(void **state)
{
	uint8_t priv[32], pub[32], pin[TLS_PIN_SIZE];
	char hex[TLS_PIN_HEX_LEN + 1], pubhex[65];
	struct nodekey k;

	(void)state;
	assert_int_equal(hex_decode(rfc_priv, priv, 32), 0);
	assert_int_equal(nodekey_from_private(&k, priv), 0);
	hex_encode(k.pub, 32, pubhex);
	assert_string_equal(pubhex, rfc_pub);
	assert_int_equal(hex_decode(rfc_pub, pub, 32), 0);
	tls_pin_of(pub, pin);
	tls_pin_hex(pin, hex);
	assert_string_equal(hex, rfc_pin);
	/* the node id is the pin: one name for one key everywhere */
	assert_memory_equal(k.id, pin, TLS_PIN_SIZE);
	nodekey_free(&k);
}

static void test_pin_parse(void **state)
{
	uint8_t pin[TLS_PIN_SIZE], want[TLS_PIN_SIZE];
	char upper[TLS_PIN_HEX_LEN + 1];

	(void)state;
	assert_int_equal(tls_pin_parse(rfc_pin, want), 0);
	for (int i = 0; i < TLS_PIN_HEX_LEN; i++)
		upper[i] = (char)(rfc_pin[i] >= 'a' ? rfc_pin[i] - 32
						    : rfc_pin[i]);
	upper[TLS_PIN_HEX_LEN] = 0;
	assert_int_equal(tls_pin_parse(upper, pin), 0);
	assert_memory_equal(pin, want, TLS_PIN_SIZE);
	assert_int_equal(tls_pin_parse("", pin), -EINVAL);
	assert_int_equal(tls_pin_parse("21fe", pin), -EINVAL);
	/* 63 and 65 digits */
	assert_int_equal(tls_pin_parse(rfc_pin + 1, pin), -EINVAL);
	snprintf(upper, sizeof(upper), "%s", rfc_pin);
	upper[10] = 'g';
	assert_int_equal(tls_pin_parse(upper, pin), -EINVAL);
}

static int parse(const char *text, struct tls_pinset *set, char *err)
{
	return tls_pins_parse(text, strlen(text), "peers", set, err, 256);
}

static void test_file_grammar(void **state)
{
	struct tls_pinset set = {0};
	uint8_t pin[TLS_PIN_SIZE];
	char err[256] = "", text[1024];
	const struct tls_pin *p;

	(void)state;
	snprintf(text, sizeof(text),
		 "# pinned replicators\n"
		 "\n"
		 "   \t\n"
		 "%s site-b\n"
		 "\t%.63s0   \r\n"
		 "  # indented comment\n"
		 "%.63s1\tsite-c.example:3260", /* no final newline */
		 rfc_pin, rfc_pin, rfc_pin);
	assert_int_equal(parse(text, &set, err), 0);
	assert_int_equal(set.n, 3);
	assert_int_equal(tls_pin_parse(rfc_pin, pin), 0);
	p = tls_pins_find(&set, pin);
	assert_non_null(p);
	assert_string_equal(p->name, "site-b");
	assert_string_equal(set.pins[1].name, "");
	assert_string_equal(set.pins[2].name, "site-c.example:3260");
	pin[31] ^= 1;
	assert_null(tls_pins_find(&set, pin));
	tls_pins_free(&set);
	assert_int_equal(set.n, 0);
	/* an empty file pins nobody */
	assert_int_equal(parse("# nobody yet\n", &set, err), 0);
	assert_int_equal(set.n, 0);
	assert_null(tls_pins_find(&set, pin));
}

static void expect_bad(const char *text, const char *where, const char *what)
{
	struct tls_pinset set = {0};
	char err[256] = "";

	assert_int_equal(parse(text, &set, err), -EINVAL);
	if (!strstr(err, where) || !strstr(err, what))
		fail_msg("'%s': wanted '%s' and '%s'", err, where, what);
	assert_int_equal(set.n, 0);
	assert_null(set.pins);
}

static void test_file_errors(void **state)
{
	char text[1024], name[100];

	(void)state;
	expect_bad("# ok\nnot-a-pin\n", "peers:2:", "64 hex digits");
	snprintf(text, sizeof(text), "%s\n%.63s\n", rfc_pin, rfc_pin);
	expect_bad(text, "peers:2:", "64 hex digits");
	snprintf(text, sizeof(text), "%.63sz x\n", rfc_pin);
	expect_bad(text, "peers:1:", "not hex");
	snprintf(text, sizeof(text), "%s a\n\n%s b\n", rfc_pin, rfc_pin);
	expect_bad(text, "peers:3:", "twice");
	snprintf(text, sizeof(text), "%s two words\n", rfc_pin);
	expect_bad(text, "peers:1:", "text after the name");
	snprintf(text, sizeof(text), "%s caf\xc3\xa9\n", rfc_pin);
	expect_bad(text, "peers:1:", "printable");
	memset(name, 'n', 64);
	name[64] = 0;
	snprintf(text, sizeof(text), "%s %s\n", rfc_pin, name);
	expect_bad(text, "peers:1:", "too long");
	/* a comment marker after the pin is not a comment */
	snprintf(text, sizeof(text), "%s # site-b\n", rfc_pin);
	expect_bad(text, "peers:1:", "text after the name");
}

static void test_file_nul_and_limit(void **state)
{
	struct tls_pinset set = {0};
	char err[256] = "";
	size_t line = TLS_PIN_HEX_LEN + 1, len = line * (TLS_MAX_PINS + 1);
	char *text = malloc(len + 1); /* snprintf's final NUL */
	static const char bad[] = "# a\0b\n";

	(void)state;
	assert_int_equal(tls_pins_parse(bad, sizeof(bad) - 1, "peers", &set,
					err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "peers:1: NUL"));
	assert_non_null(text);
	for (size_t i = 0; i <= TLS_MAX_PINS; i++)
		snprintf(text + i * line, line + 1, "%064zx\n", i);
	assert_int_equal(tls_pins_parse(text, len - line, "peers", &set, err,
					sizeof(err)),
			 0);
	assert_int_equal(set.n, TLS_MAX_PINS);
	assert_int_equal(
		tls_pins_parse(text, len, "peers", &set, err, sizeof(err)),
		-E2BIG);
	assert_non_null(strstr(err, "peers:4097: too many"));
	assert_int_equal(set.n, 0);
	free(text);
}

static void test_load_and_key_file(void **state)
{
	char dir[] = "/tmp/tgtx-pins.XXXXXX", path[64], kpath[64],
	     err[256] = "";
	struct tls_pinset set = {0};
	uint8_t pin[TLS_PIN_SIZE];
	struct nodekey a, b;
	bool created;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/peers", dir);
	snprintf(kpath, sizeof(kpath), "%s/node.key", dir);
	assert_int_equal(tls_pins_load(path, &set, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_int_equal(nodekey_load(kpath, &a), -ENOENT);
	assert_int_equal(nodekey_load_or_create(kpath, &a, &created), 0);
	assert_true(created);
	assert_int_equal(nodekey_load(kpath, &b), 0);
	assert_memory_equal(a.pub, b.pub, NODEKEY_PUB_SIZE);
	nodekey_free(&b);
	tls_pin_of(a.pub, pin);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# me\n");
	for (int i = 0; i < TLS_PIN_SIZE; i++)
		fprintf(f, "%02x", pin[i]);
	fprintf(f, " me\n");
	fclose(f);
	assert_int_equal(tls_pins_load(path, &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 1);
	assert_non_null(tls_pins_find(&set, pin));
	tls_pins_free(&set);
	/* a key others may read is refused, by the loader too */
	assert_int_equal(chmod(kpath, 0640), 0);
	assert_int_equal(nodekey_load(kpath, &b), -EPERM);
	nodekey_free(&a);
	unlink(path);
	unlink(kpath);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_of_known_key),
		cmocka_unit_test(test_pin_parse),
		cmocka_unit_test(test_file_grammar),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_nul_and_limit),
		cmocka_unit_test(test_load_and_key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
