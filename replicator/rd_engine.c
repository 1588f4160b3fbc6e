// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One engine per protected LUN: the volume's identity and key (read from
 * its log directory), the key shares, one thread per share peer, the
 * checkpoint floor they share, and the location-table blob of issue 12.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs_xorshare/log/sl_genmap.h"
#include "core/log.h"
#include "rd.h"
#include "rd_log.h"

struct rd_opts rd_opts = {
	.state_dir = "/var/lib/tgtx",
	.checkpoint_ms = 5000,
	.op_timeout_ms = 15000,
	.ctl_timeout_ms = 3000,
};
atomic_int rd_stopping;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rd_engine *reg_head;

void rd_engines_lock(void)
{
	pthread_mutex_lock(&reg_mu);
}

void rd_engines_unlock(void)
{
	pthread_mutex_unlock(&reg_mu);
}

struct rd_engine *rd_engines_next(struct rd_engine *prev)
{
	return prev ? prev->next : reg_head;
}

int rd_engines_add(struct rd_engine *e)
{
	rd_engines_lock();
	e->next = reg_head;
	reg_head = e;
	rd_engines_unlock();
	return 0;
}

void rd_engines_del(struct rd_engine *e)
{
	struct rd_engine **pp;

	rd_engines_lock();
	for (pp = &reg_head; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	rd_engines_unlock();
}

/*
 * A peer that holds nothing yet (acked 0: a new or replaced LUN, never
 * filled) cannot form a restorable subset with anyone, and it will be filled
 * from the local volume whatever the others checkpointed: it does not hold
 * their checkpoints back. Otherwise two refused peers of three (wrong pin,
 * undeclared transport) would stop the third once its journal is full.
 */
/* no acknowledgement for this long: a peer is stalled (not merely slow) */
#define RD_STALL_NS (5ULL * 1000000000ULL)

static bool counts(struct rd_peer *p)
{
	return p && atomic_load(&p->live) && !atomic_load(&p->excluded) &&
	       atomic_load(&p->acked) > 0;
}

uint64_t rd_engine_floor(struct rd_engine *e)
{
	uint64_t m = UINT64_MAX;

	for (unsigned i = 0; i < RD_PEERS_MAX; i++) {
		struct rd_peer *p = e->peers[i];

		if (counts(p) && atomic_load(&p->acked) < m)
			m = atomic_load(&p->acked);
	}
	return m;
}

bool rd_engine_exclude_laggard(struct rd_engine *e, struct rd_peer *self)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	uint64_t mine = atomic_load(&self->acked), now = rd_now_ns();
	struct rd_peer *worst = NULL;
	unsigned counted = 0;

	pthread_mutex_lock(&mu);
	for (unsigned i = 0; i < RD_PEERS_MAX; i++) {
		struct rd_peer *p = e->peers[i];

		if (!counts(p))
			continue;
		counted++;
		if (p == self || atomic_load(&p->acked) >= mine)
			continue;
		/*
		 * Only a stalled peer is let go: one that acknowledges, only
		 * slower, sets the pace instead (the local log absorbs the
		 * writes). Letting go of moving peers made membership epochs
		 * flap, and a crash between an exclusion and the rejoin left
		 * pairs that hold the same seqs unable to restore together.
		 */
		if (now - atomic_load(&p->progress_ns) < RD_STALL_NS)
			continue;
		if (!worst ||
		    atomic_load(&p->acked) < atomic_load(&worst->acked))
			worst = p;
	}
	/*
	 * Never below k: the peers that still count are the ones whose
	 * checkpoints stay within each other's journals, and k of them must
	 * remain so that a restore from them has a common seq. Below that the
	 * journal waits for the slow peer (the log absorbs the writes).
	 */
	if (counted <= e->k)
		worst = NULL;
	/*
	 * The new epoch first, then the floor may pass the peer: a checkpoint
	 * that reads an unchanged epoch after the floor (rd_peer.c) then
	 * knows the floor did not yet leave this peer out.
	 */
	if (worst) {
		rd_engine_set_member(e, worst->index, false);
		atomic_store(&worst->excluded, true);
	}
	pthread_mutex_unlock(&mu);
	if (worst)
		log_warn("%s: peer %u holds seq %" PRIu64
			 " only and peer %u's journal is filling: peer %u no "
			 "longer holds checkpoints back until it catches up",
			 e->name, worst->index, atomic_load(&worst->acked),
			 self->index, worst->index);
	return worst != NULL;
}

void rd_engine_set_member(struct rd_engine *e, unsigned index, bool in)
{
	uint32_t bit = 1u << index;

	pthread_mutex_lock(&e->mem_mu);
	if (!!(e->mask & bit) != in) {
		e->mask = in ? e->mask | bit : e->mask & ~bit;
		e->epoch++;
		log_info("%s: membership epoch %" PRIu64 ": peers 0x%x",
			 e->name, e->epoch, e->mask);
	}
	pthread_mutex_unlock(&e->mem_mu);
}

void rd_engine_note_epoch(struct rd_engine *e, uint64_t epoch, uint32_t mask)
{
	pthread_mutex_lock(&e->mem_mu);
	if (epoch > e->epoch) {
		e->epoch = epoch;
		e->mask = mask;
	}
	pthread_mutex_unlock(&e->mem_mu);
}

void rd_engine_members(struct rd_engine *e, uint64_t *epoch, uint32_t *mask)
{
	pthread_mutex_lock(&e->mem_mu);
	*epoch = e->epoch;
	*mask = e->mask;
	pthread_mutex_unlock(&e->mem_mu);
}

static void engine_free(struct rd_engine *e)
{
	for (unsigned i = 0; i < RD_PEERS_MAX; i++) {
		if (e->key_shares[i])
			memset(e->key_shares[i], 0, e->key_share_len);
		free(e->key_shares[i]);
	}
	memset(e->key, 0, sizeof(e->key));
	pthread_mutex_destroy(&e->blob_mu);
	pthread_mutex_destroy(&e->mem_mu);
	free(e->loc_blob);
	free(e->name);
	free(e->path);
	free(e->log_dir);
	free(e);
}

static int engine_identity(struct rd_engine *e, char *err, size_t errlen)
{
	struct sharelog_stats st;
	struct rd_log *l;
	uint64_t size;
	uint8_t check;
	int ret;

	ret = rd_log_open(&l, e->log_dir, err, errlen);
	if (ret)
		return ret;
	rd_log_stats(l, &st);
	rd_log_close(l);
	memcpy(e->uuid, st.uuid, 16);
	e->k = st.k;
	e->n = st.n;
	e->block_size = st.block_size;
	ret = rd_log_read_meta(e->log_dir, &check, &size, err, errlen);
	if (ret)
		return ret;
	e->sha256 = check == XS_META_CHECK_SHA256;
	e->nblocks = size / e->block_size;
	if (!e->nblocks || e->k < 2 || e->n < e->k || e->n > RD_PEERS_MAX) {
		snprintf(err, errlen,
			 "%s: nothing to protect yet (k=%u n=%u %" PRIu64
			 " blocks)",
			 e->log_dir, e->k, e->n, e->nblocks);
		return -EAGAIN;
	}
	ret = sl_key_load(e->log_dir, e->uuid, e->key);
	if (ret)
		snprintf(err, errlen, "%s/key: %s", e->log_dir, strerror(-ret));
	return ret;
}

static void start_peers(struct rd_engine *e, const struct rd_lun_conf *lc)
{
	for (unsigned i = 0; i < lc->npeers && i < RD_PEERS_MAX; i++) {
		if (!lc->peers[i].url)
			continue;
		if (i >= e->n) {
			log_warn("%s: share-peer %u ignored: the volume has "
				 "n=%u shares",
				 e->name, i, e->n);
			continue;
		}
		if (rd_peer_start(e, i, &lc->peers[i]))
			log_err("%s: peer %u: cannot start its thread", e->name,
				i);
	}
}

int rd_engine_start(const struct rd_lun_conf *lc, struct rd_engine **out,
		    char *err, size_t errlen)
{
	struct rd_engine *e = calloc(1, sizeof(*e));
	int ret;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&e->blob_mu, NULL);
	pthread_mutex_init(&e->mem_mu, NULL);
	e->name = strdup(lc->name);
	e->path = strdup(lc->path);
	e->log_dir = strdup(lc->log_dir);
	if (!e->name || !e->path || !e->log_dir) {
		engine_free(e);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = engine_identity(e, err, errlen);
	if (!ret)
		ret = rd_keyshares_init(e, err, errlen);
	e->epoch = 1; /* a new share volume's; attached ones raise it */
	e->mask = (1u << e->n) - 1;
	if (ret) {
		engine_free(e);
		return ret;
	}
	start_peers(e, lc);
	rd_engines_add(e);
	log_info("%s: replicating k=%u n=%u, %" PRIu64 " blocks of %u, "
		 "log %s",
		 e->name, e->k, e->n, e->nblocks, e->block_size, e->log_dir);
	*out = e;
	return 0;
}

void rd_engine_update(struct rd_engine *e, const struct rd_lun_conf *lc)
{
	for (unsigned i = 0; i < RD_PEERS_MAX && i < e->n; i++) {
		struct rd_peer *p = e->peers[i];
		const struct rd_peer_conf *pc =
			i < lc->npeers && lc->peers[i].url ? &lc->peers[i]
							   : NULL;

		if (p && pc && rd_peer_conf_equal(&p->conf, pc))
			continue;
		if (p) {
			log_info("%s: peer %u %s", e->name, i,
				 pc ? "reconfigured" : "removed");
			rd_peer_stop(p);
			e->peers[i] = NULL;
		}
		if (pc && rd_peer_start(e, i, pc))
			log_err("%s: peer %u: cannot start its thread", e->name,
				i);
	}
}

void rd_engine_stop(struct rd_engine *e)
{
	rd_engines_del(e);
	for (unsigned i = 0; i < RD_PEERS_MAX; i++)
		if (e->peers[i])
			atomic_store(&e->peers[i]->stop, 1);
	for (unsigned i = 0; i < RD_PEERS_MAX; i++)
		if (e->peers[i]) {
			rd_peer_stop(e->peers[i]);
			e->peers[i] = NULL;
		}
	engine_free(e);
}

int rd_set_location_blob(const uint8_t uuid[16], const void *buf, size_t len)
{
	struct rd_engine *e;
	int ret = -ENOENT;

	if (len > SV_BLOB_MAX)
		return -E2BIG;
	rd_engines_lock();
	for (e = rd_engines_next(NULL); e; e = rd_engines_next(e)) {
		uint8_t *copy;

		if (memcmp(e->uuid, uuid, 16))
			continue;
		copy = malloc(len ? len : 1);
		if (!copy) {
			ret = -ENOMEM;
			break;
		}
		memcpy(copy, buf, len);
		pthread_mutex_lock(&e->blob_mu);
		free(e->loc_blob);
		e->loc_blob = copy;
		e->loc_len = len;
		atomic_fetch_add(&e->loc_gen, 1);
		pthread_mutex_unlock(&e->blob_mu);
		ret = 0;
	}
	rd_engines_unlock();
	return ret;
}
