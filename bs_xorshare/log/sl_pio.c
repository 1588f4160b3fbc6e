// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Plain file I/O with an optional power-loss simulator (test builds and
 * test runs only: see sl_pio.h). Off, each call is one syscall loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"
#include "sl_pio.h"

/* Beyond this many saved bytes the simulated power cut happens at once. */
#define PIO_MAX_SAVED (256ULL << 20)

struct pio_undo {
	struct pio_undo *prev; /* older */
	int fd;
	uint64_t off;
	size_t len;
	uint64_t stamp;
	uint8_t data[];
};

static pthread_once_t pio_once = PTHREAD_ONCE_INIT;
static bool pio_on;
static pthread_mutex_t pio_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pio_undo *pio_newest;
static uint64_t pio_saved, pio_stamp, pio_left;
static unsigned pio_rand;

static unsigned pio_next_rand(void)
{
	pio_rand = pio_rand * 1103515245u + 12345u;
	return pio_rand >> 8;
}

static void pio_init(void)
{
	const char *s = getenv("TGTX_TEST_XS_POWERLOSS");
	const char *m = getenv("TGTX_TEST_XS_POWERLOSS_MAX");
	unsigned long max = m ? strtoul(m, NULL, 10) : 3000;
	/* past the writes of a LUN's set-up */
	unsigned long min = 100;

	if (!s || !*s)
		return;
	pio_on = true;
	pio_rand = (unsigned)strtoul(s, NULL, 10) ^ 0x9e3779b9u;
	pio_left = min + pio_next_rand() % (max > min ? max - min + 1 : 1);
	log_warn("TEST MODE: simulated power loss after %llu store writes "
		 "(TGTX_TEST_XS_POWERLOSS=%s)",
		 (unsigned long long)pio_left, s);
}

/* Puts back pre-images (all, or a random subset), newest first; exits. */
static void pio_power_cut(void)
{
	bool all = pio_next_rand() % 2;
	unsigned kept = 0, undone = 0;

	for (struct pio_undo *u = pio_newest; u; u = u->prev) {
		if (!all && pio_next_rand() % 2) {
			kept++;
			continue;
		}
		if (pwrite_full(u->fd, u->data, u->len, u->off))
			_exit(3);
		undone++;
	}
	fprintf(stderr,
		"TEST MODE: power cut: %u unflushed write(s) undone, %u kept "
		"(%s)\n",
		undone, kept, all ? "all lost" : "random subset");
	_exit(0);
}

/* Saves what [off, off+len) of fd holds now (zeroes past the end). */
static void pio_save(int fd, uint64_t off, size_t len)
{
	struct pio_undo *u = malloc(sizeof(*u) + len);
	ssize_t got;

	if (!u)
		pio_power_cut();
	got = pread_upto(fd, u->data, len, off);
	if (got < 0)
		got = 0;
	memset(u->data + got, 0, len - (size_t)got);
	u->fd = fd;
	u->off = off;
	u->len = len;
	u->stamp = ++pio_stamp;
	u->prev = pio_newest;
	pio_newest = u;
	pio_saved += len;
}

static void pio_step(void)
{
	if (!--pio_left || pio_saved > PIO_MAX_SAVED)
		pio_power_cut();
}

static bool pio_enabled(void)
{
	pthread_once(&pio_once, pio_init);
	return pio_on;
}

int sl_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	struct iovec iov = {(void *)buf, len};

	return sl_pwritev(fd, &iov, 1, off);
}

static int pwritev_full(int fd, const struct iovec *iov, int iovcnt,
			uint64_t off)
{
	for (int i = 0; i < iovcnt; i++) {
		int ret = pwrite_full(fd, iov[i].iov_base, iov[i].iov_len, off);

		if (ret)
			return ret;
		off += iov[i].iov_len;
	}
	return 0;
}

int sl_pwritev(int fd, const struct iovec *iov, int iovcnt, uint64_t off)
{
	size_t total = 0;
	ssize_t n;
	int ret;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (pio_enabled()) {
		pthread_mutex_lock(&pio_mu);
		pio_save(fd, off, total);
		ret = pwritev_full(fd, iov, iovcnt, off);
		pio_step();
		pthread_mutex_unlock(&pio_mu);
		return ret;
	}
	do {
		n = pwritev(fd, iov, iovcnt, (off_t)off);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == total)
		return 0;
	return pwritev_full(fd, iov, iovcnt, off); /* rare: short write */
}

/* Forgets the saved pre-images of fd up to stamp (0: all). */
static void pio_drop(int fd, uint64_t upto)
{
	struct pio_undo **pp = &pio_newest;

	while (*pp) {
		struct pio_undo *u = *pp;

		if (u->fd == fd && (!upto || u->stamp <= upto)) {
			*pp = u->prev;
			pio_saved -= u->len;
			free(u);
		} else {
			pp = &u->prev;
		}
	}
}

int sl_fdatasync(int fd)
{
	uint64_t upto = 0;

	if (pio_enabled()) {
		pthread_mutex_lock(&pio_mu);
		upto = pio_stamp;
		pthread_mutex_unlock(&pio_mu);
	}
	if (fdatasync(fd) < 0)
		return -errno;
	if (upto) {
		pthread_mutex_lock(&pio_mu);
		pio_drop(fd, upto);
		pthread_mutex_unlock(&pio_mu);
	}
	return 0;
}

int sl_zero_range(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zero[65536];
	bool test = pio_enabled();

	if (test) {
		pthread_mutex_lock(&pio_mu);
		pio_save(fd, off, len);
	}
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) < 0) {
		int ret = 0;

		for (uint64_t o = 0; o < len && !ret; o += sizeof(zero)) {
			uint64_t n =
				len - o < sizeof(zero) ? len - o : sizeof(zero);

			ret = pwrite_full(fd, zero, n, off + o);
		}
		if (ret) {
			if (test)
				pthread_mutex_unlock(&pio_mu);
			return ret;
		}
	}
	if (test) {
		pio_step();
		pthread_mutex_unlock(&pio_mu);
	}
	return 0;
}

void sl_pio_forget(int fd)
{
	if (!pio_enabled())
		return;
	pthread_mutex_lock(&pio_mu);
	pio_drop(fd, 0);
	pthread_mutex_unlock(&pio_mu);
}
