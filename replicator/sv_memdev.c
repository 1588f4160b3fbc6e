// SPDX-License-Identifier: GPL-2.0-or-later
/* In-memory share-volume device with crash simulation (sv_memdev.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sv_memdev.h"

enum { M_READ, M_WRITE, M_SYNC };

struct mop {
	int type;
	uint64_t off;
	size_t len;
	uint8_t *data; /* write: copy; read: destination */
	sv_io_cb cb;
	void *arg;
};

struct uw { /* a completed write not yet flushed */
	uint64_t off;
	size_t len;
	uint8_t *data;
};

struct sv_memdev {
	struct sv_dev dev;
	uint8_t *img, *dur;
	uint64_t cap;
	struct mop *ops;
	size_t nops, capops;
	struct uw *uw;
	size_t nuw, capuw;
	unsigned fail_in;
	int fail_err, broken;
	uint64_t rng;
};

static uint64_t rnd(struct sv_memdev *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static int push(struct sv_memdev *m, int type, uint64_t off, void *buf,
		size_t len, sv_io_cb cb, void *arg)
{
	struct mop *o;

	if (m->broken)
		return -EIO;
	if (type != M_SYNC && (off > m->cap || len > m->cap - off))
		return -EINVAL;
	if (m->nops == m->capops) {
		size_t n = m->capops ? 2 * m->capops : 64;
		struct mop *p = realloc(m->ops, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		m->ops = p;
		m->capops = n;
	}
	o = &m->ops[m->nops];
	*o = (struct mop){type, off, len, buf, cb, arg};
	if (type == M_WRITE) {
		o->data = malloc(len ? len : 1);
		if (!o->data)
			return -ENOMEM;
		memcpy(o->data, buf, len);
	}
	m->nops++;
	return 0;
}

static int m_write(void *p, uint64_t off, const void *buf, size_t len,
		   sv_io_cb cb, void *arg)
{
	return push(p, M_WRITE, off, (void *)buf, len, cb, arg);
}

static int m_read(void *p, uint64_t off, void *buf, size_t len, sv_io_cb cb,
		  void *arg)
{
	return push(p, M_READ, off, buf, len, cb, arg);
}

static int m_sync(void *p, sv_io_cb cb, void *arg)
{
	return push(p, M_SYNC, 0, NULL, 0, cb, arg);
}

static void flush(struct sv_memdev *m)
{
	size_t i;

	for (i = 0; i < m->nuw; i++) {
		memcpy(m->dur + m->uw[i].off, m->uw[i].data, m->uw[i].len);
		free(m->uw[i].data);
	}
	m->nuw = 0;
}

static int complete(struct sv_memdev *m, struct mop *o, int err)
{
	if (!err && o->type == M_WRITE) {
		if (m->nuw == m->capuw) {
			size_t n = m->capuw ? 2 * m->capuw : 64;
			struct uw *p = realloc(m->uw, n * sizeof(*p));

			if (!p)
				abort();
			m->uw = p;
			m->capuw = n;
		}
		memcpy(m->img + o->off, o->data, o->len);
		m->uw[m->nuw++] = (struct uw){o->off, o->len, o->data};
		o->data = NULL;
	} else if (!err && o->type == M_READ) {
		memcpy(o->data, m->img + o->off, o->len);
	} else if (!err && o->type == M_SYNC) {
		flush(m);
	}
	if (o->type == M_WRITE)
		free(o->data);
	o->cb(o->arg, err);
	return err;
}

static int m_poll(void *p, int timeout_ms)
{
	struct sv_memdev *m = p;

	(void)timeout_ms;
	/* Completions of one poll in a shuffled order, like a real target
	 * with several commands in flight; a flush still covers only what
	 * completed before it. */
	while (m->nops) {
		size_t i = rnd(m) % m->nops;
		struct mop o = m->ops[i];
		int err = m->broken;

		m->ops[i] = m->ops[--m->nops];
		if (!err && m->fail_in && !--m->fail_in) {
			m->broken = m->fail_err;
			err = m->fail_err;
		}
		complete(m, &o, err);
	}
	return m->broken;
}

static const struct sv_dev_ops memdev_ops = {
	.write = m_write,
	.read = m_read,
	.sync = m_sync,
	.poll = m_poll,
};

struct sv_memdev *sv_memdev_new(uint64_t capacity, uint32_t block_size,
				unsigned seed)
{
	struct sv_memdev *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->img = calloc(1, capacity);
	m->dur = calloc(1, capacity);
	if (!m->img || !m->dur) {
		sv_memdev_free(m);
		return NULL;
	}
	m->cap = capacity;
	m->rng = seed * 2654435761ULL + 88172645463325252ULL;
	m->dev = (struct sv_dev){&memdev_ops, m, capacity, block_size};
	return m;
}

void sv_memdev_free(struct sv_memdev *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nops; i++)
		if (m->ops[i].type == M_WRITE)
			free(m->ops[i].data);
	for (i = 0; i < m->nuw; i++)
		free(m->uw[i].data);
	free(m->ops);
	free(m->uw);
	free(m->img);
	free(m->dur);
	free(m);
}

struct sv_dev *sv_memdev_dev(struct sv_memdev *m)
{
	return &m->dev;
}

uint8_t *sv_memdev_image(struct sv_memdev *m)
{
	return m->img;
}

int sv_memdev_grow(struct sv_memdev *m, uint64_t capacity)
{
	uint8_t *a, *b;

	if (capacity < m->cap)
		return -EINVAL;
	a = realloc(m->img, capacity);
	if (!a)
		return -ENOMEM;
	m->img = a;
	b = realloc(m->dur, capacity);
	if (!b)
		return -ENOMEM;
	m->dur = b;
	memset(m->img + m->cap, 0, capacity - m->cap);
	memset(m->dur + m->cap, 0, capacity - m->cap);
	m->cap = m->dev.capacity = capacity;
	return 0;
}

void sv_memdev_crash(struct sv_memdev *m)
{
	size_t i, s, bs = m->dev.block_size;

	/* Each unflushed sector, completed or still in flight, survives or
	 * not on its own. Operations in flight fail, as on a lost link. */
	for (i = 0; i < m->nops; i++) {
		struct mop *o = &m->ops[i];

		if (o->type != M_WRITE)
			continue;
		for (s = 0; s < o->len; s += bs)
			if (rnd(m) & 1)
				memcpy(m->dur + o->off + s, o->data + s,
				       o->len - s < bs ? o->len - s : bs);
	}
	while (m->nops) {
		struct mop o = m->ops[--m->nops];

		if (o.type == M_WRITE)
			free(o.data);
		o.cb(o.arg, -EIO);
	}
	for (i = 0; i < m->nuw; i++) {
		for (s = 0; s < m->uw[i].len; s += bs)
			if (rnd(m) & 1)
				memcpy(m->dur + m->uw[i].off + s,
				       m->uw[i].data + s,
				       m->uw[i].len - s < bs ? m->uw[i].len - s
							     : bs);
		free(m->uw[i].data);
	}
	m->nuw = 0;
	memcpy(m->img, m->dur, m->cap);
	m->broken = 0;
	m->fail_in = 0;
}

struct sv_memdev *sv_memdev_crash_copy(struct sv_memdev *m, unsigned seed)
{
	struct sv_memdev *c = sv_memdev_new(m->cap, m->dev.block_size, seed);
	size_t i, s, bs = m->dev.block_size;

	if (!c)
		return NULL;
	memcpy(c->dur, m->dur, m->cap);
	for (i = 0; i < m->nuw; i++)
		for (s = 0; s < m->uw[i].len; s += bs)
			if (rnd(c) & 1)
				memcpy(c->dur + m->uw[i].off + s,
				       m->uw[i].data + s,
				       m->uw[i].len - s < bs ? m->uw[i].len - s
							     : bs);
	for (i = 0; i < m->nops; i++) {
		struct mop *o = &m->ops[i];

		if (o->type != M_WRITE)
			continue;
		for (s = 0; s < o->len; s += bs)
			if (rnd(c) & 1)
				memcpy(c->dur + o->off + s, o->data + s,
				       o->len - s < bs ? o->len - s : bs);
	}
	memcpy(c->img, c->dur, m->cap);
	return c;
}

void sv_memdev_fail_after(struct sv_memdev *m, unsigned nth, int err)
{
	m->fail_in = nth;
	m->fail_err = err;
}

void sv_memdev_heal(struct sv_memdev *m)
{
	m->broken = 0;
	m->fail_in = 0;
}

int sv_memdev_read(void *arg, uint64_t off, void *buf, size_t len)
{
	struct sv_memdev *m = arg;

	if (off > m->cap || len > m->cap - off)
		return -EIO;
	memcpy(buf, m->img + off, len);
	return 0;
}
