// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xorshare: share headers, detection of corrupt and mixed shares, argument
 * errors, fresh randomness per split and after fork, the Shamir yardstick.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bs_xorshare/codec/xs_internal.h"

#define LEN 1000
#define K   3
#define N   5

struct fix {
	struct xs_ctx *ctx;
	uint8_t secret[LEN], out[LEN];
	uint8_t sh[N][LEN + 256], sh2[N][LEN + 256];
	uint8_t *ptr[N], *ptr2[N];
	size_t ssize;
};

static int setup(void **state)
{
	struct fix *f = test_calloc(1, sizeof(*f));
	unsigned i;

	if (!f || xs_ctx_new(&f->ctx, K, N, LEN, 0))
		return -1;
	for (i = 0; i < LEN; i++)
		f->secret[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < N; i++) {
		f->ptr[i] = f->sh[i];
		f->ptr2[i] = f->sh2[i];
	}
	f->ssize = xs_share_size(N, LEN);
	if (f->ssize > sizeof(f->sh[0]) ||
	    xs_split(f->ctx, f->secret, LEN, f->ptr) ||
	    xs_split(f->ctx, f->secret, LEN, f->ptr2))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	xs_ctx_free(f->ctx);
	test_free(f);
	return 0;
}

static int combine3(struct fix *f, const uint8_t *a, const uint8_t *b,
		    const uint8_t *c)
{
	const uint8_t *sh[3] = {a, b, c};
	size_t lens[3] = {f->ssize, f->ssize, f->ssize}, outlen = 0;

	return xs_combine(f->ctx, sh, lens, 3, f->out, sizeof(f->out), &outlen);
}

static void test_header_fields(void **state)
{
	struct fix *f = *state;
	struct xs_share_info a, b;
	unsigned i;

	for (i = 0; i < N; i++) {
		assert_int_equal(xs_share_parse(f->sh[i], f->ssize, &a), 0);
		assert_int_equal(a.version, XS_VERSION);
		assert_int_equal(a.k, K);
		assert_int_equal(a.n, N);
		assert_int_equal(a.index, i);
		assert_int_equal(a.secret_len, LEN);
		assert_int_equal(a.check, XS_CHECK_CRC4);
		assert_memory_equal(f->sh[i], XS_MAGIC, 4);
	}
	assert_int_equal(xs_share_parse(f->sh2[0], f->ssize, &b), 0);
	assert_true(a.split_id != b.split_id);
	/* wrong length, short buffer */
	assert_int_equal(xs_share_parse(f->sh[0], f->ssize - 1, &a), -EBADMSG);
	assert_int_equal(xs_share_parse(f->sh[0], 10, &a), -EBADMSG);
}

/* Same secret, two splits: nothing in the bodies repeats. */
static void test_fresh_randomness(void **state)
{
	struct fix *f = *state;
	unsigned i, same = 0;
	size_t b;

	for (i = 0; i < N; i++) {
		for (b = XS_HDR_SIZE; b < f->ssize; b++)
			same += f->sh[i][b] == f->sh2[i][b];
	}
	/* about 1/256 of the bytes agree by chance */
	assert_true(same < N * f->ssize / 64);
	assert_int_equal(combine3(f, f->sh2[4], f->sh2[0], f->sh2[2]), 0);
	assert_memory_equal(f->out, f->secret, LEN);
}

static void test_corrupt_body_byte(void **state)
{
	struct fix *f = *state;
	size_t pos;
	unsigned bit;

	assert_int_equal(combine3(f, f->sh[0], f->sh[1], f->sh[2]), 0);
	for (pos = XS_HDR_SIZE; pos < f->ssize; pos += 37) {
		for (bit = 0; bit < 8; bit += 3) {
			f->sh[1][pos] ^= (uint8_t)(1u << bit);
			assert_int_equal(
				combine3(f, f->sh[0], f->sh[1], f->sh[2]),
				-EBADMSG);
			f->sh[1][pos] ^= (uint8_t)(1u << bit);
		}
	}
	/* the last bytes carry the check and padding */
	f->sh[2][f->ssize - 1] ^= 0x80;
	assert_int_equal(combine3(f, f->sh[0], f->sh[1], f->sh[2]), -EBADMSG);
	{
		unsigned i;

		for (i = 0; i < LEN; i++)
			assert_int_equal(f->out[i], 0);
	}
	f->sh[2][f->ssize - 1] ^= 0x80;
	assert_int_equal(combine3(f, f->sh[0], f->sh[1], f->sh[2]), 0);
}

static void test_corrupt_header(void **state)
{
	struct fix *f = *state;
	size_t pos;

	for (pos = 0; pos < XS_HDR_SIZE; pos++) {
		f->sh[3][pos] ^= 0x01;
		assert_int_equal(combine3(f, f->sh[0], f->sh[3], f->sh[4]),
				 -EBADMSG);
		f->sh[3][pos] ^= 0x01;
	}
	assert_int_equal(combine3(f, f->sh[0], f->sh[3], f->sh[4]), 0);
}

static void test_mixed_splits(void **state)
{
	struct fix *f = *state;

	assert_int_equal(combine3(f, f->sh[0], f->sh2[1], f->sh[2]), -EBADMSG);
	assert_int_equal(combine3(f, f->sh2[0], f->sh2[1], f->sh[2]), -EBADMSG);
}

static void test_duplicates_and_too_few(void **state)
{
	struct fix *f = *state;
	const uint8_t *sh[2] = {f->sh[0], f->sh[1]};
	size_t lens[2] = {f->ssize, f->ssize}, outlen;

	/* duplicate index: only two distinct shares for k = 3 */
	assert_int_equal(combine3(f, f->sh[1], f->sh[0], f->sh[1]), -EINVAL);
	/* k - 1 shares */
	assert_int_equal(xs_combine(f->ctx, sh, lens, 2, f->out, LEN, &outlen),
			 -EINVAL);
	/* same index, different content */
	memcpy(f->sh2[0], f->sh[1], f->ssize);
	f->sh2[0][XS_HDR_SIZE] ^= 1;
	{
		const uint8_t *s4[4] = {f->sh[0], f->sh[1], f->sh2[0],
					f->sh[2]};
		size_t l4[4] = {f->ssize, f->ssize, f->ssize, f->ssize};

		assert_int_equal(
			xs_combine(f->ctx, s4, l4, 4, f->out, LEN, &outlen),
			-EBADMSG);
	}
}

static void test_bad_args(void **state)
{
	struct fix *f = *state;
	struct xs_ctx *ctx = (struct xs_ctx *)1;
	const uint8_t *sh[3] = {f->sh[0], f->sh[1], f->sh[2]};
	size_t lens[3] = {f->ssize, f->ssize, f->ssize}, outlen;
	uint8_t *none[N] = {NULL};

	assert_int_equal(xs_ctx_new(&ctx, 1, 3, 100, 0), -EINVAL);
	assert_null(ctx);
	assert_int_equal(xs_ctx_new(&ctx, 4, 3, 100, 0), -EINVAL);
	assert_int_equal(xs_ctx_new(&ctx, 2, XS_MAX_N + 1, 100, 0), -EINVAL);
	assert_int_equal(xs_ctx_new(&ctx, 2, 3, 0, 0), -EINVAL);
	assert_int_equal(xs_ctx_new(&ctx, 2, 3, 100, 0x80), -EINVAL);
	assert_int_equal(xs_ctx_new(NULL, 2, 3, 100, 0), -EINVAL);
	assert_int_equal(xs_split(f->ctx, f->secret, 0, f->ptr), -EINVAL);
	assert_int_equal(xs_split(f->ctx, f->secret, LEN + 1, f->ptr), -EINVAL);
	assert_int_equal(xs_split(f->ctx, NULL, LEN, f->ptr), -EINVAL);
	assert_int_equal(xs_split(f->ctx, f->secret, LEN, none), -EINVAL);
	assert_int_equal(
		xs_combine(f->ctx, sh, lens, 3, f->out, LEN - 1, &outlen),
		-EINVAL);
	assert_int_equal(xs_combine(f->ctx, sh, lens, 0, f->out, LEN, &outlen),
			 -EINVAL);
	assert_int_equal(xs_combine(NULL, sh, lens, 3, f->out, LEN, &outlen),
			 -EINVAL);
}

/* Shares of a (2,5) split given to a (3,5) context. */
static void test_other_parameters(void **state)
{
	struct fix *f = *state;
	struct xs_ctx *c2;
	uint8_t sh[N][LEN + 256], *p[N];
	unsigned i;

	for (i = 0; i < N; i++)
		p[i] = sh[i];
	assert_int_equal(xs_ctx_new(&c2, 2, N, LEN, 0), 0);
	assert_int_equal(xs_split(c2, f->secret, LEN, p), 0);
	assert_int_equal(combine3(f, sh[0], sh[1], sh[2]), -EBADMSG);
	xs_ctx_free(c2);
}

static void test_rng_differs_after_fork(void **state)
{
	struct xs_rng r, r2;
	uint8_t parent[32] = {0}, child[32] = {0}, other[32] = {0};
	int fds[2], st;
	pid_t pid;

	assert_int_equal(xs_rng_init(&r), 0);
	assert_int_equal(xs_rng_init(&r2), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint8_t b[32] = {0};

		if (xs_rng_fill(&r, b, sizeof(b)) ||
		    write(fds[1], b, sizeof(b)) != sizeof(b))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(xs_rng_fill(&r, parent, sizeof(parent)), 0);
	assert_int_equal(read(fds[0], child, sizeof(child)), sizeof(child));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_memory_not_equal(parent, child, sizeof(parent));
	assert_int_equal(xs_rng_fill(&r2, other, sizeof(other)), 0);
	assert_memory_not_equal(parent, other, sizeof(parent));
	close(fds[0]);
	close(fds[1]);
	xs_rng_fini(&r);
	xs_rng_fini(&r2);
}

/* The VAES keystream is OpenSSL's AES-128-CTR, block for block. */
static void test_vaes_matches_openssl(void **state)
{
	static const uint8_t key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae,
					0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88,
					0x09, 0xcf, 0x4f, 0x3c};
	static uint8_t a[8192], b[8192];
	struct xs_rng ra, rb;
	bool old;

	if (!xs_aes_vaes_usable())
		skip();
	old = xs_rng_force_openssl(true);
	assert_int_equal(xs_rng_init_fixed(&rb, key), 0);
	xs_rng_force_openssl(false);
	assert_int_equal(xs_rng_init_fixed(&ra, key), 0);
	xs_rng_force_openssl(old);
	assert_true(ra.vaes);
	assert_false(rb.vaes);
	/* whole blocks: both continue the same stream across calls */
	assert_int_equal(xs_rng_fill(&ra, a, 4096 + 48), 0);
	assert_int_equal(xs_rng_fill(&ra, a + 4144, 256), 0);
	assert_int_equal(xs_rng_fill(&rb, b, 4096 + 48), 0);
	assert_int_equal(xs_rng_fill(&rb, b + 4144, 256), 0);
	assert_memory_equal(a, b, 4400);
	/* a ragged length gives the same prefix */
	assert_int_equal(xs_rng_fill(&ra, a, 1000 + 7), 0);
	assert_int_equal(xs_rng_fill(&rb, b, 1000 + 7), 0);
	assert_memory_equal(a, b, 1007);
	xs_rng_fini(&ra);
	xs_rng_fini(&rb);
}

static void test_shamir_reference(void **state)
{
	struct fix *f = *state;
	struct xs_rng r;
	uint8_t sh[7][LEN], coef[3 * LEN], *p[7];
	const uint8_t *pick[4];
	unsigned i, idx[4] = {6, 1, 4, 2};

	for (i = 0; i < 7; i++)
		p[i] = sh[i];
	assert_int_equal(xs_rng_init(&r), 0);
	assert_int_equal(xs_shamir_split(&r, 4, 7, f->secret, LEN, p, coef), 0);
	for (i = 0; i < 4; i++)
		pick[i] = sh[idx[i]];
	assert_int_equal(xs_shamir_combine(4, idx, pick, LEN, f->out), 0);
	assert_memory_equal(f->out, f->secret, LEN);
	idx[1] = 6;
	assert_int_equal(xs_shamir_combine(4, idx, pick, LEN, f->out), -EINVAL);
	xs_rng_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_fields, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fresh_randomness, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_body_byte, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_header, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mixed_splits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_too_few,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_parameters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rng_differs_after_fork,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_shamir_reference, setup,
						teardown),
		cmocka_unit_test(test_vaes_matches_openssl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
