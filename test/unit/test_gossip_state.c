// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gossip state machine without sockets: acceptance rules (newer only,
 * owner fixed, pinned_only), bounds under a flood, persistence, and a few
 * nodes exchanging messages through an in-memory queue (relay included).
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
#include "replicator/gossip/gossip.h"

#define NN 4

static struct nodekey keys[NN];
static struct gossip *nodes[NN];

struct qmsg {
	int from, to;
	size_t len;
	uint8_t *data;
};
static struct qmsg queue[4096];
static size_t qhead, qtail;
static int sender;

static int node_of(const uint8_t id[SLT_ID_SIZE])
{
	for (int i = 0; i < NN; i++)
		if (!memcmp(keys[i].id, id, SLT_ID_SIZE))
			return i;
	return -1;
}

static void q_send(void *ctx, const uint8_t to[SLT_ID_SIZE], const uint8_t *msg,
		   size_t len)
{
	struct qmsg *m = &queue[qtail++ % 4096];

	m->from = sender;
	m->to = node_of(to);
	m->len = len;
	m->data = malloc(len);
	assert_non_null(m->data);
	memcpy(m->data, msg, len);
}

static uint64_t q_now(void *ctx)
{
	return 0;
}

/* delivers until quiet; returns messages delivered */
static size_t q_run(void)
{
	size_t n = 0;

	while (qhead != qtail) {
		struct qmsg m = queue[qhead++ % 4096];

		if (m.to >= 0 && nodes[m.to]) {
			sender = m.to;
			gossip_receive(nodes[m.to], keys[m.from].id, m.data,
				       m.len);
		}
		free(m.data);
		n++;
	}
	return n;
}

static struct gossip *mk(int i, const struct gossip_cfg *cfg)
{
	struct gossip_io io = {.send = q_send, .now_ms = q_now};
	struct gossip_cfg def;

	if (!cfg) {
		gossip_cfg_default(&def);
		cfg = &def;
	}
	return gossip_new(cfg, &io, keys[i].id, (uint64_t)i + 1);
}

static int setup(void **state)
{
	for (int i = 0; i < NN; i++)
		if (nodekey_generate(&keys[i]))
			return -1;
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < NN; i++)
		nodekey_free(&keys[i]);
	return 0;
}

static int reset(void **state)
{
	q_run();
	for (int i = 0; i < NN; i++) {
		gossip_free(nodes[i]);
		nodes[i] = NULL;
	}
	return 0;
}

static void test_newer_only(void **state)
{
	uint8_t t1[SLT_MAX_SIZE], t2[SLT_MAX_SIZE], t3[SLT_MAX_SIZE];
	size_t l1 = tu_encode(1, 1, &keys[0], t1);
	size_t l2 = tu_encode(1, 2, &keys[0], t2);
	size_t l3 = tu_encode(1, 3, &keys[0], t3);
	struct slt t;

	nodes[0] = mk(0, NULL);
	tu_table(&t, 1, 1);
	assert_int_equal(gossip_offer(nodes[0], t2, l2), GOSSIP_ACCEPTED);
	assert_int_equal(gossip_offer(nodes[0], t1, l1), GOSSIP_OLD);
	assert_int_equal(gossip_offer(nodes[0], t2, l2), GOSSIP_OLD);
	assert_int_equal(gossip_version_of(nodes[0], t.uuid), 2);
	assert_int_equal(gossip_offer(nodes[0], t3, l3), GOSSIP_ACCEPTED);
	assert_int_equal(gossip_version_of(nodes[0], t.uuid), 3);
	assert_int_equal(gossip_count(nodes[0]), 1);
	/* a newer version with a broken signature changes nothing */
	t3[l3 - 1] ^= 1;
	t3[16] = 9; /* version 9 */
	tu_resign(t3, l3, &keys[0]);
	t3[l3 - 1] ^= 1;
	{
		uint32_t crc = htole32(crc32c(0, t3 + 16, l3 - 16));

		memcpy(t3 + 12, &crc, 4);
	}
	assert_int_equal(gossip_offer(nodes[0], t3, l3), GOSSIP_BAD_SIG);
	assert_int_equal(gossip_version_of(nodes[0], t.uuid), 3);
	assert_int_equal(gossip_offer(nodes[0], t3, 10), GOSSIP_MALFORMED);
}

static void test_forged_refused(void **state)
{
	uint8_t t[SLT_MAX_SIZE], f[SLT_MAX_SIZE];
	size_t lt = tu_encode(2, 1, &keys[0], t);
	size_t lf = tu_encode(2, 50, &keys[1], f); /* same UUID, other key */
	size_t n;
	const uint8_t *held;
	struct slt s;

	nodes[0] = mk(0, NULL);
	/* even a pinned peer cannot take over someone else's volume */
	assert_int_equal(gossip_pin(nodes[0], keys[1].pub, true), 0);
	assert_int_equal(gossip_offer(nodes[0], t, lt), GOSSIP_ACCEPTED);
	assert_int_equal(gossip_offer(nodes[0], f, lf), GOSSIP_FORGED);
	held = gossip_table(nodes[0], 0, &n);
	assert_int_equal(slt_parse(held, n, &s, NULL), 0);
	assert_memory_equal(s.owner_id, keys[0].id, SLT_ID_SIZE);
	assert_int_equal(s.version, 1);
}

/* an out-of-band volume -> owner binding beats first use */
static void test_volume_pin(void **state)
{
	uint8_t t[SLT_MAX_SIZE], f[SLT_MAX_SIZE];
	size_t lt = tu_encode(8, 1, &keys[0], t);
	size_t lf = tu_encode(8, 7, &keys[1], f);
	struct slt s;

	tu_table(&s, 8, 1);
	nodes[0] = mk(0, NULL);
	/* the forger's table came first and bound the volume by first use */
	assert_int_equal(gossip_offer(nodes[0], f, lf), GOSSIP_ACCEPTED);
	assert_int_equal(gossip_offer(nodes[0], t, lt), GOSSIP_FORGED);
	/* the pin drops that binding; the owner's table now wins */
	assert_int_equal(gossip_pin_volume(nodes[0], s.uuid, keys[0].id), 0);
	assert_int_equal(gossip_count(nodes[0]), 0);
	assert_int_equal(gossip_offer(nodes[0], f, lf), GOSSIP_FORGED);
	assert_int_equal(gossip_offer(nodes[0], t, lt), GOSSIP_ACCEPTED);
	assert_int_equal(gossip_version_of(nodes[0], s.uuid), 1);
}

/*
 * A forger advertising a newer version of someone else's volume is pulled
 * from once; after the refusal its digest is no longer followed.
 */
static void test_refused_not_pulled_again(void **state)
{
	uint8_t t[SLT_MAX_SIZE], f[SLT_MAX_SIZE];
	size_t lt = tu_encode(9, 1, &keys[0], t);
	size_t lf = tu_encode(9, 99, &keys[1], f);
	uint64_t before;

	nodes[0] = mk(0, NULL);
	nodes[1] = mk(1, NULL);
	gossip_pin(nodes[0], keys[1].pub, true);
	gossip_pin(nodes[1], keys[0].pub, true);
	assert_int_equal(gossip_offer(nodes[0], t, lt), GOSSIP_ACCEPTED);
	/* node 1 holds the forged table (bound by its own first use) */
	assert_int_equal(gossip_offer(nodes[1], f, lf), GOSSIP_ACCEPTED);
	sender = 1;
	gossip_tick(nodes[1]);
	q_run();
	assert_int_equal(gossip_stats(nodes[0])->verdicts[GOSSIP_FORGED], 1);
	/* again: node 0 answers the HASH with a DIGEST, but requests nothing */
	before = gossip_stats(nodes[0])->msgs_sent;
	sender = 1;
	gossip_tick(nodes[1]);
	q_run();
	assert_int_equal(gossip_stats(nodes[0])->verdicts[GOSSIP_FORGED], 1);
	assert_int_equal(gossip_stats(nodes[0])->msgs_sent - before, 1);
}

static void test_pinned_only(void **state)
{
	struct gossip_cfg cfg;
	uint8_t t[SLT_MAX_SIZE];
	size_t lt = tu_encode(3, 1, &keys[2], t);

	gossip_cfg_default(&cfg);
	cfg.pinned_only = true;
	nodes[0] = mk(0, &cfg);
	assert_int_equal(gossip_offer(nodes[0], t, lt), GOSSIP_UNTRUSTED);
	assert_int_equal(gossip_pin(nodes[0], keys[2].pub, false), 0);
	assert_int_equal(gossip_pin(nodes[0], keys[2].pub, false), -EEXIST);
	assert_int_equal(gossip_offer(nodes[0], t, lt), GOSSIP_ACCEPTED);
}

static void test_flood_bounded(void **state)
{
	struct gossip_cfg cfg;
	uint8_t t[SLT_MAX_SIZE];
	size_t len;

	gossip_cfg_default(&cfg);
	cfg.max_tables = 100;
	cfg.max_per_owner = 40;
	nodes[0] = mk(0, &cfg);
	/* one owner: capped at max_per_owner */
	for (uint32_t v = 0; v < 500; v++) {
		len = tu_encode(1000 + v, 1, &keys[1], t);
		gossip_offer(nodes[0], t, len);
	}
	assert_int_equal(gossip_count(nodes[0]), 40);
	/* three owners: capped at max_tables */
	for (int k = 2; k < 4; k++)
		for (uint32_t v = 0; v < 500; v++) {
			len = tu_encode(k * 10000 + v, 1, &keys[k], t);
			gossip_offer(nodes[0], t, len);
		}
	assert_int_equal(gossip_count(nodes[0]), 100);
	assert_true(gossip_table_bytes(nodes[0]) <= 100 * SLT_MAX_SIZE);
	assert_true(gossip_stats(nodes[0])->verdicts[GOSSIP_FULL] >= 1300);
	/* when full, a new table is refused before any signature work */
	len = tu_encode(99999, 1, &keys[2], t);
	t[len - 1] ^= 1; /* broken signature: FULL, not BAD_SIG */
	{
		uint32_t crc = htole32(crc32c(0, t + 16, len - 16));

		memcpy(t + 12, &crc, 4);
	}
	assert_int_equal(gossip_offer(nodes[0], t, len), GOSSIP_FULL);
	/* versions of held tables still move on */
	len = tu_encode(1000, 2, &keys[1], t);
	assert_int_equal(gossip_offer(nodes[0], t, len), GOSSIP_ACCEPTED);
}

static void test_persistence(void **state)
{
	char dir[] = "/tmp/tgtx-gstate.XXXXXX", path[64];
	uint8_t t[SLT_MAX_SIZE], *raw;
	struct stat st;
	size_t len;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gossip.state", dir);
	nodes[0] = mk(0, NULL);
	for (uint32_t v = 0; v < 20; v++) {
		len = tu_encode(v, v + 1, &keys[v % 3], t);
		assert_int_equal(gossip_offer(nodes[0], t, len),
				 GOSSIP_ACCEPTED);
	}
	assert_true(gossip_dirty(nodes[0]));
	assert_int_equal(gossip_save(nodes[0], path), 0);
	assert_false(gossip_dirty(nodes[0]));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	nodes[1] = mk(1, NULL);
	assert_int_equal(gossip_load(nodes[1], path), 0);
	assert_int_equal(gossip_count(nodes[1]), 20);
	for (size_t i = 0; i < 20; i++) {
		size_t a, b;
		const uint8_t *x = gossip_table(nodes[0], i, &a);
		const uint8_t *y = gossip_table(nodes[1], i, &b);

		assert_int_equal(a, b);
		assert_memory_equal(x, y, a);
	}
	/* any byte changed: the whole file is refused */
	raw = malloc(st.st_size);
	assert_non_null(raw);
	f = fopen(path, "r+");
	assert_int_equal(fread(raw, 1, st.st_size, f), (size_t)st.st_size);
	raw[st.st_size / 2] ^= 4;
	rewind(f);
	assert_int_equal(fwrite(raw, 1, st.st_size, f), (size_t)st.st_size);
	fclose(f);
	free(raw);
	gossip_free(nodes[1]);
	nodes[1] = mk(1, NULL);
	assert_int_equal(gossip_load(nodes[1], path), -EBADMSG);
	assert_int_equal(gossip_count(nodes[1]), 0);
	unlink(path);
	assert_int_equal(gossip_load(nodes[1], path), -ENOENT);
	rmdir(dir);
}

/* A - B - C in a line: C gets A's tables through B; A gets C's. */
static void test_relay_converges(void **state)
{
	uint8_t t[SLT_MAX_SIZE];
	size_t len;

	for (int i = 0; i < 3; i++)
		nodes[i] = mk(i, NULL);
	gossip_pin(nodes[0], keys[1].pub, true);
	gossip_pin(nodes[1], keys[0].pub, true);
	gossip_pin(nodes[1], keys[2].pub, true);
	gossip_pin(nodes[2], keys[1].pub, true);
	for (uint32_t v = 0; v < 10; v++) {
		len = tu_encode(v, 1, &keys[0], t);
		gossip_offer(nodes[0], t, len);
	}
	len = tu_encode(99, 4, &keys[2], t);
	gossip_offer(nodes[2], t, len);
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < 3; i++) {
			sender = i;
			gossip_tick(nodes[i]);
		}
		q_run();
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(gossip_count(nodes[i]), 11);
	/* a newer version travels too */
	len = tu_encode(5, 2, &keys[0], t);
	gossip_offer(nodes[0], t, len);
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < 3; i++) {
			sender = i;
			gossip_tick(nodes[i]);
		}
		q_run();
	}
	{
		struct slt s;

		tu_table(&s, 5, 2);
		assert_int_equal(gossip_version_of(nodes[2], s.uuid), 2);
	}
	/* converged: a round costs one HASH each way and nothing else */
	{
		uint64_t before = gossip_stats(nodes[1])->msgs_sent;

		sender = 1;
		gossip_tick(nodes[1]);
		assert_int_equal(q_run(), 2);
		assert_int_equal(gossip_stats(nodes[1])->msgs_sent - before, 2);
	}
}

/* a TABLES message counts at most max_pull tables (signature work bound) */
static void test_tables_capped(void **state)
{
	size_t cap = 20 + 70 * (4 + SLT_MAX_SIZE), off = 20, len;
	uint8_t *m = malloc(cap), t[SLT_MAX_SIZE];
	uint32_t v, crc;

	assert_non_null(m);
	nodes[0] = mk(0, NULL);
	gossip_pin(nodes[0], keys[1].pub, true);
	for (uint32_t i = 0; i < 70; i++) {
		len = tu_encode(5000 + i, 1, &keys[1], t);
		v = htole32((uint32_t)len);
		memcpy(m + off, &v, 4);
		memcpy(m + off + 4, t, len);
		off += 4 + len;
	}
	memset(m, 0, 20);
	v = htole32(0x31505347U); /* GMSG_MAGIC */
	memcpy(m, &v, 4);
	m[4] = 4; /* GMSG_TABLES */
	m[5] = 1;
	v = htole32((uint32_t)off);
	memcpy(m + 8, &v, 4);
	v = htole32(70);
	memcpy(m + 16, &v, 4);
	crc = htole32(crc32c(crc32c(0, m, 12), m + 16, off - 16));
	memcpy(m + 12, &crc, 4);
	assert_int_equal(gossip_receive(nodes[0], keys[1].id, m, off), 0);
	assert_int_equal(gossip_count(nodes[0]), 64);
	free(m);
}

static void test_hostile_messages(void **state)
{
	struct gossip_cfg cfg;
	uint8_t msg[256];

	gossip_cfg_default(&cfg);
	cfg.max_rx_per_round = 5;
	nodes[0] = mk(0, &cfg);
	nodes[1] = mk(1, NULL);
	gossip_pin(nodes[0], keys[1].pub, true);
	gossip_pin(nodes[1], keys[0].pub, true);
	/* a real HASH from node 1 to learn the framing */
	sender = 1;
	gossip_contact(nodes[1], keys[0].id);
	assert_int_equal(qtail - qhead, 1);
	{
		struct qmsg *m = &queue[qhead % 4096];

		memcpy(msg, m->data, m->len);
		/* unknown sender */
		assert_int_equal(
			gossip_receive(nodes[0], keys[3].id, msg, m->len),
			-EPERM);
		/* corrupt: dropped */
		msg[20] ^= 1;
		assert_int_equal(
			gossip_receive(nodes[0], keys[1].id, msg, m->len),
			-EBADMSG);
		msg[20] ^= 1;
		assert_int_equal(
			gossip_receive(nodes[0], keys[1].id, msg, m->len - 1),
			-EBADMSG);
		/* rate: 5 per round, then dropped until the next round */
		for (int i = 0; i < 3; i++)
			gossip_receive(nodes[0], keys[1].id, msg, m->len);
		assert_int_equal(
			gossip_receive(nodes[0], keys[1].id, msg, m->len),
			-EAGAIN);
		gossip_tick(nodes[0]);
		assert_int_equal(
			gossip_receive(nodes[0], keys[1].id, msg, m->len), 0);
	}
	assert_int_equal(gossip_contact(nodes[0], keys[3].id), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_newer_only, reset),
		cmocka_unit_test_teardown(test_forged_refused, reset),
		cmocka_unit_test_teardown(test_volume_pin, reset),
		cmocka_unit_test_teardown(test_refused_not_pulled_again, reset),
		cmocka_unit_test_teardown(test_pinned_only, reset),
		cmocka_unit_test_teardown(test_flood_bounded, reset),
		cmocka_unit_test_teardown(test_persistence, reset),
		cmocka_unit_test_teardown(test_relay_converges, reset),
		cmocka_unit_test_teardown(test_tables_capped, reset),
		cmocka_unit_test_teardown(test_hostile_messages, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
