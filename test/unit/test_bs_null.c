// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The null store (sizes, options, reads leave the buffer alone unless
 * zero=1, deferred completion) and the shared registry/bsopts helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bs/bs.h"
#include "core/loop.h"

static unsigned int nr_done, nr_expected;
static bool in_submit;

static void req_done(struct bs_req *req)
{
	assert_false(in_submit);
	if (++nr_done == nr_expected)
		loop_stop();
}

static int open_null(struct bs_dev *d, const char *opts)
{
	char err[128];

	memset(d, 0, sizeof(*d));
	d->ops = bs_find("null");
	d->block_size = 512;
	d->wce = true;
	return d->ops->open(d, "ignored", opts, err, sizeof(err));
}

static int run_one(struct bs_dev *d, enum bs_op op, void *buf, uint64_t len)
{
	struct bs_req req;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.buf = buf;
	req.len = len;
	req.offset = 4096;
	req.result = 1;
	req.done = req_done;
	in_submit = true;
	if (op == BS_FLUSH)
		d->ops->flush(d, &req);
	else
		d->ops->submit(d, &req);
	in_submit = false;
	nr_done = 0;
	nr_expected = 1;
	assert_int_equal(loop_run(), 0);
	assert_int_equal(nr_done, 1);
	return req.result;
}

static void test_default_size(void **state)
{
	struct bs_dev d;

	assert_int_equal(open_null(&d, NULL), 0);
	assert_int_equal(d.size, 1ULL << 40);
	assert_null(d.ops->unmap);
	d.ops->close(&d);
}

static void test_sizes(void **state)
{
	struct bs_dev d;

	assert_int_equal(open_null(&d, "size=10M"), 0);
	assert_int_equal(d.size, 10ULL << 20);
	d.ops->close(&d);
	assert_int_equal(open_null(&d, " size = 2G ; zero=0"), 0);
	assert_int_equal(d.size, 2ULL << 30);
	d.ops->close(&d);
	assert_int_equal(open_null(&d, "size=1T"), 0);
	assert_int_equal(d.size, 1ULL << 40);
	d.ops->close(&d);
	assert_int_equal(open_null(&d, "size=1000"), 0);
	assert_int_equal(d.size, 512); /* whole blocks only */
	d.ops->close(&d);
	assert_int_equal(open_null(&d, "size=abc"), -EINVAL);
	assert_int_equal(open_null(&d, "size=10X"), -EINVAL);
	assert_int_equal(open_null(&d, "size=100"), -EINVAL);
	assert_int_equal(open_null(&d, "size=99999999999999999999"), -ERANGE);
	assert_int_equal(open_null(&d, "colour=blue"), -EINVAL);
	assert_int_equal(open_null(&d, "zero=perhaps"), -EINVAL);
}

static void test_io(void **state)
{
	struct bs_dev d;
	uint8_t buf[4096], pat[4096];

	assert_int_equal(loop_init(), 0);
	assert_int_equal(open_null(&d, NULL), 0);
	memset(buf, 0xaa, sizeof(buf));
	memcpy(pat, buf, sizeof(pat));
	assert_int_equal(run_one(&d, BS_READ, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(buf)); /* untouched */
	assert_int_equal(run_one(&d, BS_WRITE, buf, sizeof(buf)), 0);
	assert_int_equal(run_one(&d, BS_FLUSH, NULL, 0), 0);
	d.read_only = true;
	assert_int_equal(run_one(&d, BS_WRITE, buf, sizeof(buf)), -EROFS);
	d.ops->close(&d);

	assert_int_equal(open_null(&d, "zero=1"), 0);
	assert_int_equal(run_one(&d, BS_READ, buf, sizeof(buf)), 0);
	memset(pat, 0, sizeof(pat));
	assert_memory_equal(buf, pat, sizeof(buf));
	d.ops->close(&d);
	loop_exit();
}

static void count_store(const struct bs_ops *ops, void *arg)
{
	unsigned int *n = arg;

	if (!strcmp(ops->name, "null") || !strcmp(ops->name, "rdwr"))
		(*n)++;
}

static void test_registry(void **state)
{
	static const struct bs_ops dup = {.name = "null"};
	unsigned int n = 0;

	assert_non_null(bs_find("null"));
	assert_non_null(bs_find("rdwr"));
	assert_null(bs_find("nosuch"));
	assert_null(bs_find(NULL));
	bs_register(&dup); /* first registration wins */
	assert_ptr_not_equal(bs_find("null"), &dup);
	bs_for_each(count_store, &n);
	assert_int_equal(n, 2);
}

static void test_opts(void **state)
{
	static const char *const known[] = {"a", "bb", NULL};
	char v[8], err[64];
	bool b = false;
	uint64_t sz;

	assert_true(bs_opt_get("a=1;bb=two", "bb", v, sizeof(v)));
	assert_string_equal(v, "two");
	assert_true(bs_opt_get(";; a = x y ;", "a", v, sizeof(v)));
	assert_string_equal(v, "x y");
	assert_true(bs_opt_get("bb=0123456789", "bb", v, sizeof(v)));
	assert_string_equal(v, "0123456"); /* truncated */
	assert_true(bs_opt_get("flag", "flag", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_false(bs_opt_get("aa=1", "a", v, sizeof(v)));
	assert_false(bs_opt_get(NULL, "a", v, sizeof(v)));
	assert_false(bs_opt_get("", "a", v, sizeof(v)));

	assert_int_equal(bs_opt_check("a=1;bb=2", known, err, sizeof(err)), 0);
	assert_int_equal(bs_opt_check(NULL, known, err, sizeof(err)), 0);
	assert_int_equal(bs_opt_check("a=1;c=2", known, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'c'"));

	assert_int_equal(bs_opt_bool("x=yes", "x", &b), 0);
	assert_true(b);
	assert_int_equal(bs_opt_bool("x=0", "x", &b), 0);
	assert_false(b);
	assert_int_equal(bs_opt_bool("x", "x", &b), 0);
	assert_true(b);
	assert_int_equal(bs_opt_bool("y=1", "x", &b), 0);
	assert_true(b);
	assert_int_equal(bs_opt_bool("x=2", "x", &b), -EINVAL);

	assert_int_equal(bs_parse_size("4096", &sz), 0);
	assert_int_equal(sz, 4096);
	assert_int_equal(bs_parse_size("512k", &sz), 0);
	assert_int_equal(sz, 512 << 10);
	assert_int_equal(bs_parse_size("3GiB", &sz), 0);
	assert_int_equal(sz, 3ULL << 30);
	assert_int_equal(bs_parse_size("2MB", &sz), 0);
	assert_int_equal(sz, 2 << 20);
	assert_int_equal(bs_parse_size("", &sz), -EINVAL);
	assert_int_equal(bs_parse_size("-1", &sz), -EINVAL);
	assert_int_equal(bs_parse_size("1Q", &sz), -EINVAL);
	assert_int_equal(bs_parse_size("20000000P", &sz), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_size),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
