// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Share sources: reach every peer LUN given (in parallel: one dead peer
 * costs its connect deadline once, not once per peer), read its share
 * volume (superblocks, whole journal, every share CRC), check they are
 * shares of one volume, choose the point and the fastest k.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc.h"

const char *rc_src_name(const struct rc_src *src, char *buf, size_t len)
{
	char red[512];

	peer_redact_url(src->url, red, sizeof(red));
	if (src->info)
		snprintf(buf, len, "share %u (%s)", src->info->index, red);
	else
		snprintf(buf, len, "source %u (%s)", src->pos, red);
	return buf;
}

struct open_arg {
	struct rc_src *src;
	const struct rc_opts *o;
};

static void *open_one(void *arg)
{
	struct open_arg *a = arg;
	struct rc_src *src = a->src;
	const struct rc_opts *o = a->o;
	struct peer_cfg cfg = {
		.url = src->url,
		.initiator = o->initiator,
		.op_timeout_ms = o->op_timeout_ms,
		.connect_timeout_ms = o->op_timeout_ms,
		.window = 32,
		.rate = o->rate,
		.backoff_min_ms = 200,
		.backoff_max_ms = 2000,
		.transport = o->transports[src->pos],
		.tls_pin = o->pins[src->pos],
		.tls_key = o->key,
	};
	struct sv_status st = {0};
	struct sv_read_io io;

	src->state = RC_SRC_DOWN;
	src->tls_failed = false;
	if (peer_new(&src->p, &cfg, &st)) {
		snprintf(src->why, sizeof(src->why), "bad URL: %s", st.msg);
		src->state = RC_SRC_UNUSABLE;
		return NULL;
	}
	if (peer_connect(src->p, &st)) {
		src->tls_failed = st.code == SV_E_TLS;
		snprintf(src->why, sizeof(src->why), "unreachable: %s: %s",
			 sv_err_name(st.code), st.msg);
		return NULL;
	}
	io = (struct sv_read_io){peer_read_sync, src->p,
				 peer_dev(src->p)->capacity};
	if (sv_reader_open(&src->r, &io, NULL, &st)) {
		snprintf(src->why, sizeof(src->why),
			 "share volume invalid: %s: %s", sv_err_name(st.code),
			 st.msg);
		src->state = st.code == SV_E_IO || st.code == SV_E_TIMEOUT
				     ? RC_SRC_DOWN
				     : RC_SRC_UNUSABLE;
		return NULL;
	}
	src->info = sv_reader_info(src->r);
	sv_reader_range(src->r, &src->rg);
	src->state = RC_SRC_OK;
	return NULL;
}

/* libiscsi's messages end in a newline: one line per share in output */
static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '.'))
		s[--n] = 0;
}

void rc_open_sources(struct rc_set *s, const struct rc_opts *o)
{
	struct open_arg a[SV_MAX_N];
	pthread_t t[SV_MAX_N];
	bool started[SV_MAX_N] = {0};

	s->count = o->nurls;
	for (unsigned i = 0; i < s->count; i++) {
		s->src[i].pos = i;
		s->src[i].url = o->urls[i];
		a[i] = (struct open_arg){&s->src[i], o};
		started[i] = !pthread_create(&t[i], NULL, open_one, &a[i]);
		if (!started[i])
			open_one(&a[i]);
	}
	for (unsigned i = 0; i < s->count; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		chomp(s->src[i].why);
	}
}

void rc_close_sources(struct rc_set *s)
{
	for (unsigned i = 0; i < s->count; i++) {
		sv_reader_free(s->src[i].r);
		peer_free(s->src[i].p);
		s->src[i].r = NULL;
		s->src[i].p = NULL;
		s->src[i].info = NULL;
	}
}

/* Too few shares because TLS refused some: an authentication problem
 * (wrong pin, our key not in the partner's --tls-peers), exit 3. */
static bool tls_refused(const struct rc_set *s)
{
	for (unsigned i = 0; i < s->count; i++)
		if (s->src[i].tls_failed)
			return true;
	return false;
}

int rc_check_volume(struct rc_set *s)
{
	const struct sv_info *ref = NULL;
	uint32_t seen = 0;
	unsigned ok = 0;
	char name[600];

	for (unsigned i = 0; i < s->count; i++) {
		struct rc_src *src = &s->src[i];
		const struct sv_info *in = src->info;

		if (src->state != RC_SRC_OK)
			continue;
		if (!ref) {
			ref = in;
		} else if (memcmp(in->uuid, ref->uuid, 16) || in->k != ref->k ||
			   in->n != ref->n ||
			   in->block_size != ref->block_size) {
			/* the sizes may differ while a growth is on its way
			 * to every peer: the point decides (rc_pick_point) */
			snprintf(src->why, sizeof(src->why),
				 "not a share of the same volume as the first "
				 "one (uuid, k=%u n=%u, block %u differ)",
				 in->k, in->n, in->block_size);
			src->state = RC_SRC_UNUSABLE;
			continue;
		} else if (seen & (1u << in->index)) {
			snprintf(src->why, sizeof(src->why),
				 "share index %u given twice", in->index);
			src->state = RC_SRC_UNUSABLE;
			continue;
		}
		seen |= 1u << in->index;
		ok++;
		if (in->nblocks > s->nblocks)
			s->nblocks = in->nblocks;
	}
	for (unsigned i = 0; i < s->count; i++)
		if (s->src[i].state != RC_SRC_OK)
			fprintf(stderr, "tgtx-recover: %s: %s\n",
				rc_src_name(&s->src[i], name, sizeof(name)),
				s->src[i].why);
	if (!ref) {
		fprintf(stderr,
			"tgtx-recover: no share volume could be read\n");
		return tls_refused(s) ? RC_EX_REFUSED : RC_EX_NOPOINT;
	}
	memcpy(s->uuid, ref->uuid, 16);
	s->k = ref->k;
	s->n = ref->n;
	s->block_size = ref->block_size;
	if (ok < s->k) {
		fprintf(stderr,
			"tgtx-recover: %u share volume(s) readable, k=%u "
			"needed\n",
			ok, s->k);
		return tls_refused(s) ? RC_EX_REFUSED : RC_EX_NOPOINT;
	}
	return RC_EX_OK;
}

uint64_t rc_seq_time(struct rc_set *s, uint64_t seq)
{
	for (unsigned i = 0; i < s->count; i++) {
		struct rc_src *src = &s->src[i];
		const struct sv_jrec *j;
		unsigned cnt;
		uint64_t head;

		if (!src->r)
			continue;
		if (src->info->apply_seq == seq && src->info->apply_ns)
			return src->info->apply_ns;
		if (src->info->ckpt_seq == seq && src->info->ckpt_ns)
			return src->info->ckpt_ns;
		j = sv_reader_journal(src->r, &cnt, &head);
		for (unsigned x = 0; x < cnt; x++)
			if (j[x].seq == seq)
				return j[x].time_ns;
	}
	return 0;
}

int rc_pick_point(struct rc_set *s, const struct rc_opts *o, uint64_t want_seq)
{
	struct sv_range rg[SV_MAX_N];
	unsigned pos[SV_MAX_N], c = 0;
	struct sv_status st = {0};
	uint64_t limit = 0, seq;
	uint32_t m;
	char t[48];

	for (unsigned i = 0; i < s->count; i++)
		if (s->src[i].state == RC_SRC_OK) {
			rg[c] = s->src[i].rg;
			pos[c++] = i;
		}
	if (want_seq) {
		limit = want_seq;
	} else if (o->have_before) {
		/* Seqs are the owner's log order, identical on every share
		 * volume: the newest seq not after the time is the largest
		 * any journal reports. */
		for (unsigned x = 0; x < c; x++) {
			uint64_t q;

			if (!sv_reader_seq_before(s->src[pos[x]].r,
						  o->before_ns, &q) &&
			    q > limit)
				limit = q;
		}
		if (!limit) {
			rc_format_time(o->before_ns, t, sizeof(t));
			fprintf(stderr,
				"tgtx-recover: no share volume holds a point "
				"at or before %s (the journals keep what "
				"retain= allowed)\n",
				t);
			return RC_EX_NOPOINT;
		}
	}
	if (sv_common_seq(rg, c, s->k, limit, &seq, &m, &st)) {
		fprintf(stderr,
			"tgtx-recover: no point %u share volumes can all "
			"restore: %s\n",
			s->k, st.msg);
		return RC_EX_NOPOINT;
	}
	if (want_seq && seq != want_seq) {
		fprintf(stderr,
			"tgtx-recover: seq %" PRIu64
			" (the point of the interrupted restore) is no longer "
			"restorable from %u of the shares reached (best: "
			"%" PRIu64 "); rerun with --restart to start over\n",
			want_seq, s->k, seq);
		return RC_EX_REFUSED;
	}
	s->seq = seq;
	s->seq_ns = rc_seq_time(s, seq);
	s->mask = 0;
	s->nblocks = 0;
	for (unsigned x = 0; x < c; x++)
		if (m & (1u << x)) {
			/* the size as of seq: the old one before a growth */
			uint64_t nb =
				sv_reader_nblocks_at(s->src[pos[x]].r, seq);

			if (s->nblocks && nb != s->nblocks) {
				fprintf(stderr,
					"tgtx-recover: the share volumes "
					"disagree on the size at seq %" PRIu64
					" (%" PRIu64 " and %" PRIu64
					" blocks)\n",
					seq, s->nblocks, nb);
				return RC_EX_NOPOINT;
			}
			s->nblocks = nb;
			s->mask |= 1u << pos[x];
		}
	return RC_EX_OK;
}

struct measure_arg {
	struct rc_src *src;
	uint64_t bytes;
};

static void *measure_one(void *arg)
{
	struct measure_arg *m = arg;
	struct rc_src *src = m->src;
	const struct sv_info *in = src->info;
	const size_t io = 1 << 20;
	uint64_t t0, done = 0, avail = in->nblocks * in->slot_size;
	void *buf = malloc(io);

	if (!buf)
		return NULL;
	t0 = loop_now_ns();
	while (done < m->bytes && done < avail) {
		size_t len = avail - done < io ? (size_t)(avail - done) : io;

		if (peer_read_sync(src->p, in->data_off + done, buf, len))
			break;
		done += len;
	}
	if (done)
		src->rate_bps =
			(double)done * 1e9 / (double)(loop_now_ns() - t0 + 1);
	free(buf);
	return NULL;
}

/* All at once, as a restore reads them (on shared links or hosts a rate
 * measured alone would be optimistic), and in one deadline, not n. */
void rc_measure(struct rc_set *s, uint32_t mask, uint64_t bytes)
{
	struct measure_arg a[SV_MAX_N];
	pthread_t t[SV_MAX_N];
	bool started[SV_MAX_N] = {0};

	for (unsigned i = 0; i < s->count; i++) {
		if (!(mask & (1u << i)) || s->src[i].state != RC_SRC_OK)
			continue;
		a[i] = (struct measure_arg){&s->src[i], bytes};
		started[i] = !pthread_create(&t[i], NULL, measure_one, &a[i]);
	}
	for (unsigned i = 0; i < s->count; i++)
		if (started[i])
			pthread_join(t[i], NULL);
}

uint32_t rc_choose(const struct rc_set *s, uint32_t avoid, bool given_order)
{
	uint32_t pick = 0;
	unsigned got = 0;

	/* two rounds: first without the avoided, then with them */
	for (int round = 0; round < 2 && got < s->k; round++)
		while (got < s->k) {
			int best = -1;

			for (unsigned i = 0; i < s->count; i++) {
				const struct rc_src *src = &s->src[i];

				if (!(s->mask & (1u << i)) ||
				    src->state != RC_SRC_OK ||
				    (pick & (1u << i)) ||
				    (!round && (avoid & (1u << i))))
					continue;
				if (best < 0 ||
				    (!given_order &&
				     src->rate_bps > s->src[best].rate_bps))
					best = (int)i;
			}
			if (best < 0)
				break;
			pick |= 1u << best;
			got++;
		}
	return pick;
}
