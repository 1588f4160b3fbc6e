// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-xorshare: split a file into xorshare shares, rebuild it from any k of
 * them, and measure the codec on this machine (doc/man/tgtx-xorshare.1).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xs_internal.h"

static const char usage_text[] =
	"usage: tgtx-xorshare split [--sha256] -k K -n N IN OUTPREFIX\n"
	"       tgtx-xorshare combine OUT SHARE...\n"
	"       tgtx-xorshare bench [-k K -n N] [--size BYTES] "
	"[--seconds S] [--sha256] [--openssl]\n"
	"\n"
	"split    splits file IN into N shares OUTPREFIX.0 .. "
	"OUTPREFIX.<N-1>,\n"
	"         any K of which rebuild it (2 <= K <= N <= 16)\n"
	"combine  rebuilds OUT from at least K shares of one split, any order\n"
	"bench    prints memcpy, CSPRNG, xorshare and Shamir GF(2^8) speeds\n"
	"         (GB/s of secret bytes, one core; default (2,3) (3,5) "
	"(4,7)),\n"
	"         with the deterministic split_nonce, one derived share,\n"
	"         derive_blocks and split_blocks (256 blocks of 4 KiB) under\n"
	"         each xorshare row;\n"
	"         --openssl uses OpenSSL's AES-CTR even where VAES is there\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = errno;
		fprintf(stderr, "tgtx-xorshare: %s: %s\n", path, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		close(fd);
		fprintf(stderr, "tgtx-xorshare: %s: out of memory\n", path);
		return -ENOMEM;
	}
	while (got < *len) {
		ssize_t r = read(fd, *buf + got, *len - got);

		if (r <= 0) {
			err = r < 0 ? errno : EIO;
			if (err == EINTR)
				continue;
			fprintf(stderr, "tgtx-xorshare: reading %s: %s\n", path,
				r < 0 ? strerror(err) : "file shrank");
			free(*buf);
			close(fd);
			return -err;
		}
		got += (size_t)r;
	}
	close(fd);
	return 0;
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		done += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	err = errno;
	fprintf(stderr, "tgtx-xorshare: writing %s: %s\n", path, strerror(err));
	if (fd >= 0)
		close(fd);
	return -err;
}

static int parse_uint(const char *s, const char *what, unsigned long max,
		      unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || end == s || *end || *out > max || s[0] == '-') {
		fprintf(stderr, "tgtx-xorshare: bad %s '%s'\n", what, s);
		return -EINVAL;
	}
	return 0;
}

/* -k K or -n N of split and bench: 0 or -EINVAL (said) */
static int parse_kn(int c, const char *arg, unsigned long *k, unsigned long *n)
{
	return c == 'k' ? parse_uint(arg, "k", XS_MAX_N, k)
			: parse_uint(arg, "n", XS_MAX_N, n);
}

static const struct option split_opts[] = {
	{"sha256", no_argument, NULL, 'S'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int cmd_split(int argc, char **argv)
{
	unsigned long k = 0, n = 0;
	unsigned flags = 0, i;
	uint8_t *secret = NULL, *shares[XS_MAX_N] = {NULL};
	struct xs_ctx *ctx = NULL;
	size_t len, ssize;
	char path[4096];
	int c, ret;

	while ((c = getopt_long(argc, argv, "k:n:h", split_opts, NULL)) != -1) {
		switch (c) {
		case 'k':
		case 'n':
			if (parse_kn(c, optarg, &k, &n))
				return 2;
			break;
		case 'S':
			flags |= XS_F_CHECK_SHA256;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2 || !k || !n) {
		fprintf(stderr, "tgtx-xorshare split: needs -k K -n N IN "
				"OUTPREFIX\n");
		return 2;
	}
	if (k < XS_MIN_K || k > n || n > XS_MAX_N) {
		fprintf(stderr,
			"tgtx-xorshare split: need 2 <= k <= n <= %d "
			"(got k=%lu n=%lu)\n",
			XS_MAX_N, k, n);
		return 2;
	}
	if (read_file(argv[optind], &secret, &len))
		return 1;
	if (len == 0 || len > XS_MAX_SECRET) {
		fprintf(stderr,
			"tgtx-xorshare split: %s: size %zu not in "
			"1..%zu bytes\n",
			argv[optind], len, (size_t)XS_MAX_SECRET);
		free(secret);
		return 1;
	}
	ret = xs_ctx_new(&ctx, (unsigned)k, (unsigned)n, len, flags);
	if (ret) {
		fprintf(stderr, "tgtx-xorshare split: %s\n", strerror(-ret));
		free(secret);
		return 1;
	}
	ssize = xs_share_size((unsigned)n, len);
	for (i = 0; i < n; i++) {
		shares[i] = malloc(ssize);
		if (!shares[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = xs_split(ctx, secret, len, shares);
	if (ret) {
		fprintf(stderr, "tgtx-xorshare split: %s\n", strerror(-ret));
		goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s.%u",
				     argv[optind + 1], i) >= sizeof(path)) {
			fprintf(stderr, "tgtx-xorshare split: OUTPREFIX too "
					"long\n");
			ret = -ENAMETOOLONG;
			break;
		}
		ret = write_file(path, shares[i], ssize);
	}
out:
	if (ret == -ENOMEM)
		fprintf(stderr, "tgtx-xorshare split: out of memory\n");
	for (i = 0; i < XS_MAX_N; i++)
		free(shares[i]);
	free(secret);
	xs_ctx_free(ctx);
	return ret ? 1 : 0;
}

static int cmd_combine(int argc, char **argv)
{
	const uint8_t *sh[XS_MAX_N * 4];
	uint8_t *bufs[XS_MAX_N * 4] = {NULL}, *out = NULL;
	size_t lens[XS_MAX_N * 4], outlen = 0;
	struct xs_share_info info;
	struct xs_ctx *ctx = NULL;
	int i, cnt = argc - 2, ret = 1, r;

	if (argc >= 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (cnt < 1) {
		fprintf(stderr, "tgtx-xorshare combine: needs OUT SHARE...\n");
		return 2;
	}
	if (cnt > XS_MAX_N * 4) {
		fprintf(stderr, "tgtx-xorshare combine: too many shares\n");
		return 2;
	}
	for (i = 0; i < cnt; i++) {
		if (read_file(argv[i + 2], &bufs[i], &lens[i]))
			goto out;
		sh[i] = bufs[i];
		r = xs_share_parse(bufs[i], lens[i], &info);
		if (r) {
			fprintf(stderr,
				"tgtx-xorshare combine: %s: not a valid "
				"share (%s)\n",
				argv[i + 2], strerror(-r));
			goto out;
		}
	}
	/* the last share's header sizes the context; combine checks that
	 * all shares agree with it */
	r = xs_ctx_new(&ctx, info.k, info.n, info.secret_len, 0);
	out = malloc(info.secret_len);
	if (r || !out) {
		fprintf(stderr, "tgtx-xorshare combine: %s\n",
			strerror(r ? -r : ENOMEM));
		goto out;
	}
	r = xs_combine(ctx, sh, lens, (unsigned)cnt, out, info.secret_len,
		       &outlen);
	if (r == -EINVAL) {
		fprintf(stderr,
			"tgtx-xorshare combine: need %u distinct shares "
			"of this (%u,%u) split\n",
			info.k, info.k, info.n);
		goto out;
	}
	if (r == -EBADMSG) {
		fprintf(stderr, "tgtx-xorshare combine: shares are corrupt or "
				"from different splits\n");
		goto out;
	}
	if (r) {
		fprintf(stderr, "tgtx-xorshare combine: %s\n", strerror(-r));
		goto out;
	}
	ret = write_file(argv[1], out, outlen) ? 1 : 0;
out:
	for (i = 0; i < cnt && i < XS_MAX_N * 4; i++)
		free(bufs[i]);
	free(out);
	xs_ctx_free(ctx);
	return ret;
}

/* ---- bench ---- */

/* CPU time of this thread: on a shared machine the time slices other
 * processes take do not count against the codec. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct bench_arg {
	struct xs_ctx *ctx;
	struct xs_rng *rng;
	unsigned k, n;
	size_t len;
	uint8_t *secret, *out, *coef;
	uint8_t **shares;
	uint8_t *blocks, *bshares; /* derive_blocks: BENCH_BLOCKS x 4 KiB */
	uint8_t *bsplit[XS_MAX_N]; /* split_blocks: all n of them */
	uint64_t nonce;
	const uint8_t **pick;
	size_t *lens;
	unsigned *idx;
};

typedef int (*bench_fn)(struct bench_arg *a);

/* GB/s of `bytes` per call over at least `secs` seconds; negative on
 * error. */
static double run_timed_bytes(bench_fn fn, struct bench_arg *a, double secs,
			      size_t bytes)
{
	unsigned long iters = 0, batch = 1, i;
	double t0, t;

	if (fn(a)) /* warm caches and catch errors before timing */
		return -1;
	t0 = now();
	do {
		/* read the clock rarely: for small secrets it would cost
		 * as much as the call being measured */
		for (i = 0; i < batch; i++) {
			if (fn(a))
				return -1;
		}
		iters += batch;
		t = now() - t0;
		if (t < secs / 100 && batch < (1ul << 20))
			batch *= 2;
	} while (t < secs);
	return (double)bytes * (double)iters / t / 1e9;
}

static double run_timed(bench_fn fn, struct bench_arg *a, double secs)
{
	return run_timed_bytes(fn, a, secs, a->len);
}

static int b_memcpy(struct bench_arg *a)
{
	memcpy(a->out, a->secret, a->len);
	__asm__ volatile("" : : "r"(a->out) : "memory");
	return 0;
}

static int b_rng(struct bench_arg *a)
{
	return xs_rng_fill(a->rng, a->out, a->len);
}

static int b_split(struct bench_arg *a)
{
	return xs_split(a->ctx, a->secret, a->len, a->shares);
}

static int b_split_nonce(struct bench_arg *a)
{
	return xs_split_nonce(a->ctx, a->nonce++, a->secret, a->len, a->shares);
}

static int b_derive(struct bench_arg *a)
{
	return xs_share_derive(a->ctx, a->nonce++, a->secret, a->len, a->n - 1,
			       a->shares[0]);
}

#define BENCH_BLOCK  4096u
#define BENCH_BLOCKS 256u

static int b_derive_blocks(struct bench_arg *a)
{
	a->nonce += BENCH_BLOCKS;
	return xs_derive_blocks(a->ctx, a->n - 1, a->nonce, a->blocks,
				BENCH_BLOCKS, BENCH_BLOCK, a->bshares);
}

static int b_split_blocks(struct bench_arg *a)
{
	a->nonce += BENCH_BLOCKS;
	return xs_split_blocks(a->ctx, a->nonce, a->blocks, BENCH_BLOCKS,
			       BENCH_BLOCK, a->bsplit);
}

static int b_combine(struct bench_arg *a)
{
	size_t outlen;

	return xs_combine(a->ctx, a->pick, a->lens, a->k, a->out, a->len,
			  &outlen);
}

static int b_shamir_split(struct bench_arg *a)
{
	return xs_shamir_split(a->rng, a->k, a->n, a->secret, a->len, a->shares,
			       a->coef);
}

static int b_shamir_combine(struct bench_arg *a)
{
	return xs_shamir_combine(a->k, a->idx, a->pick, a->len, a->out);
}

static void row(const char *name, double split, double combine)
{
	char s[32] = "-", c[32] = "-";

	if (split >= 0)
		snprintf(s, sizeof(s), "%.2f", split);
	if (combine >= 0)
		snprintf(c, sizeof(c), "%.2f", combine);
	printf("%-22s %12s %14s\n", name, s, c);
}

static const uint8_t bench_key[XS_KEY_SIZE] = {0x5e, 0xc2, 0xe7};

static int bench_scheme(struct bench_arg *a, unsigned k, unsigned n,
			unsigned flags, double secs)
{
	size_t ssize = xs_share_size(n, a->len);
	unsigned i;
	char name[64];
	double s, c;
	int ret;

	a->k = k;
	a->n = n;
	ret = xs_ctx_new(&a->ctx, k, n, a->len, flags);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		a->shares[i] = malloc(ssize > a->len ? ssize : a->len);
		if (!a->shares[i])
			return -ENOMEM;
		memset(a->shares[i], 0, ssize > a->len ? ssize : a->len);
	}
	for (i = 0; i < k; i++) {
		a->pick[i] = a->shares[i];
		a->lens[i] = ssize;
		a->idx[i] = i;
	}
	s = run_timed(b_split, a, secs);
	c = run_timed(b_combine, a, secs);
	snprintf(name, sizeof(name), "xorshare (%u,%u)%s", k, n,
		 flags ? " sha256" : "");
	row(name, s, c);
	xs_ctx_free(a->ctx);
	a->ctx = NULL;

	/* deterministic: all n shares, one share alone, 256 4 KiB blocks */
	ret = xs_ctx_new(&a->ctx, k, n,
			 a->len > BENCH_BLOCK ? a->len : BENCH_BLOCK, flags);
	if (!ret)
		ret = xs_ctx_set_key(a->ctx, bench_key);
	if (ret)
		return ret;
	row("  split_nonce", run_timed(b_split_nonce, a, secs), -1);
	row("  derive one share", run_timed(b_derive, a, secs), -1);
	a->bshares = malloc(BENCH_BLOCKS * xs_share_size(n, BENCH_BLOCK));
	if (!a->bshares)
		return -ENOMEM;
	row("  derive_blocks 256x4K",
	    run_timed_bytes(b_derive_blocks, a, secs,
			    (size_t)BENCH_BLOCKS * BENCH_BLOCK),
	    -1);
	for (i = 0; i < n; i++) {
		a->bsplit[i] =
			malloc(BENCH_BLOCKS * xs_share_size(n, BENCH_BLOCK));
		if (!a->bsplit[i])
			ret = -ENOMEM;
	}
	row("  split_blocks 256x4K",
	    ret ? -1
		: run_timed_bytes(b_split_blocks, a, secs,
				  (size_t)BENCH_BLOCKS * BENCH_BLOCK),
	    -1);
	for (i = 0; i < n; i++) {
		free(a->bsplit[i]);
		a->bsplit[i] = NULL;
	}
	free(a->bshares);
	a->bshares = NULL;
	if (ret)
		return ret;
	xs_ctx_free(a->ctx);
	a->ctx = NULL;

	s = run_timed(b_shamir_split, a, secs);
	c = run_timed(b_shamir_combine, a, secs);
	snprintf(name, sizeof(name), "shamir-gf256 (%u,%u)", k, n);
	row(name, s, c);
	for (i = 0; i < n; i++) {
		free(a->shares[i]);
		a->shares[i] = NULL;
	}
	return s < 0 || c < 0 ? -EIO : 0;
}

static const struct option bench_opts[] = {
	{"size", required_argument, NULL, 's'},
	{"seconds", required_argument, NULL, 't'},
	{"sha256", no_argument, NULL, 'S'},
	{"openssl", no_argument, NULL, 'O'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int cmd_bench(int argc, char **argv)
{
	static const unsigned def[][2] = {{2, 3}, {3, 5}, {4, 7}};
	unsigned long k = 0, n = 0, size = 1u << 20;
	uint8_t *shares[XS_MAX_N] = {NULL};
	const uint8_t *pick[XS_MAX_N];
	size_t lens[XS_MAX_N];
	unsigned idx[XS_MAX_N], flags = 0, i;
	struct bench_arg a = {0};
	struct xs_rng rng;
	double secs = 0.5;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "k:n:h", bench_opts, NULL)) != -1) {
		switch (c) {
		case 'k':
		case 'n':
			if (parse_kn(c, optarg, &k, &n))
				return 2;
			break;
		case 's':
			if (parse_uint(optarg, "size", 1ul << 30, &size) ||
			    !size)
				return 2;
			break;
		case 't': {
			char *end;

			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs >= 0.01) ||
			    secs > 60) {
				fprintf(stderr,
					"tgtx-xorshare bench: bad "
					"--seconds '%s' (0.01..60)\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'O':
			/* what a CPU without VAES gets: OpenSSL's AES-CTR */
			xs_rng_force_openssl(true);
			break;
		case 'S':
			flags |= XS_F_CHECK_SHA256;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (!k != !n) ||
	    (k && (k < XS_MIN_K || k > n || n > XS_MAX_N))) {
		fprintf(stderr,
			"tgtx-xorshare bench: use -k K -n N together, "
			"2 <= K <= N <= %d\n",
			XS_MAX_N);
		return 2;
	}
	ret = xs_rng_init(&rng);
	if (ret) {
		fprintf(stderr, "tgtx-xorshare bench: CSPRNG: %s\n",
			strerror(-ret));
		return 1;
	}
	a.rng = &rng;
	a.len = size;
	a.shares = shares;
	a.pick = pick;
	a.lens = lens;
	a.idx = idx;
	a.secret = malloc(size);
	a.out = malloc(size);
	a.coef = malloc(size * (XS_MAX_N - 1));
	a.blocks = malloc((size_t)BENCH_BLOCKS * BENCH_BLOCK);
	if (!a.secret || !a.out || !a.coef || !a.blocks) {
		fprintf(stderr, "tgtx-xorshare bench: out of memory\n");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < size; i++)
		a.secret[i] = (uint8_t)(i * 131 + 7);
	for (i = 0; i < BENCH_BLOCKS * BENCH_BLOCK; i++)
		a.blocks[i] = (uint8_t)(i * 37 + 1);
	memset(a.out, 0, size);
	memset(a.coef, 0, size * (XS_MAX_N - 1));

	printf("tgtx-xorshare bench: secret %lu bytes, xor kernel %s, aes %s, "
	       "one core, %.2g s of CPU time per cell\n",
	       size, xs_kernel_name(), rng.vaes ? "vaes" : "openssl", secs);
	printf("%-22s %12s %14s\n", "scheme", "split GB/s", "combine GB/s");
	row("memcpy", run_timed(b_memcpy, &a, secs), -1);
	row("csprng aes-128-ctr", run_timed(b_rng, &a, secs), -1);
	if (k) {
		ret = bench_scheme(&a, (unsigned)k, (unsigned)n, flags, secs);
	} else {
		for (i = 0; i < 3 && !ret; i++)
			ret = bench_scheme(&a, def[i][0], def[i][1], flags,
					   secs);
	}
	if (ret)
		fprintf(stderr, "tgtx-xorshare bench: %s\n", strerror(-ret));
out:
	for (i = 0; i < XS_MAX_N; i++)
		free(shares[i]);
	xs_ctx_free(a.ctx);
	free(a.secret);
	free(a.out);
	free(a.coef);
	free(a.blocks);
	xs_rng_fini(&rng);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "split"))
		return cmd_split(argc - 1, argv + 1);
	if (!strcmp(argv[1], "combine"))
		return cmd_combine(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 1, argv + 1);
	fprintf(stderr, "tgtx-xorshare: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
