// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-gossip: a daemon-less driver of the gossip layer for tests (the glue
 * into tgtx-replicd comes later). Makes node keys and signed tables, serves
 * gossip over TLS and pulls from a node. See --help.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "replicator/gossip/gossip.h"
#include "replicator/gossip/gossip_node.h"
#include "replicator/gossip/gossip_tls.h"
#include "replicator/gossip/slt.h"
#include "replicator/sv.h"
#include "core/crc32c.h"
#include "core/fileio.h"
#include "core/loop.h"
#include <endian.h>
#include <fcntl.h>
#include <sys/stat.h>

#define MAX_PEERS 32
#define MAX_PUB	  32

static const char usage_text[] =
	"usage: tgtx-gossip keygen --key FILE\n"
	"       tgtx-gossip mktable --key FILE --uuid UUID --name NAME\n"
	"               --version N [--k K] --out FILE\n"
	"               --share "
	"PORTAL,IQN,LUN[,tls|ipsec|plain[,PARTNERPUB]]..."
	"\n"
	"       tgtx-gossip serve --key FILE --state FILE --listen "
	"ADDR:PORT...\n"
	"               [--peer PUBHEX@ADDR:PORT]... [--pin PUBHEX]...\n"
	"               [--peer-id IDHEX[@ADDR:PORT]]... [--seed "
	"ADDR:PORT]...\n"
	"               [--publish TABLE]... [--interval-ms MS] "
	"[--pinned-only]\n"
	"               [--max-conns N] [--max-per-source N] "
	"[--handshake-ms MS]\n"
	"               [--conv-ms MS]\n"
	"       tgtx-gossip pull --key FILE --from ADDR:PORT --peer-pub "
	"PUBHEX\n"
	"       tgtx-gossip dump --state FILE\n"
	"       tgtx-gossip plant|plant-bad-signature --lun FILE --table "
	"FILE\n"
	"keygen makes (or loads) a node key and prints its id and public key;\n"
	"mktable signs a share-location table with the key; serve runs the\n"
	"gossip node service (TLS 1.3, peers' keys pinned; --peer-id pins a\n"
	"node by its id, a seed must present a pinned key) until SIGTERM,\n"
	"persisting what it learns in --state (--listen takes IPv6 [::1]:P\n"
	"and port 0; the port is printed); pull asks one node for all its\n"
	"tables and prints them; dump prints a state file; plant writes the\n"
	"table as the newest location-table blob of the share volume in\n"
	"FILE, as a replicator would (tests: forged headers); plant-bad-\n"
	"signature breaks its signature first and makes its CRC right.\n"
	"Exit: 0 ok, 1 usage, 2 error, 3 refused (TLS authentication).\n";

struct peer {
	uint8_t pub[SLT_PUB_SIZE], id[SLT_ID_SIZE];
	const char *addr;
};

static struct {
	const char *key, *state, *from, *peer_pub, *uuid, *name, *out;
	const char *listen[GN_MAX_LISTEN];
	unsigned nlisten;
	uint64_t version;
	unsigned k, interval_ms;
	unsigned max_conns, max_per_source, handshake_ms, conv_ms;
	bool pinned_only;
	struct peer peers[MAX_PEERS];
	unsigned npeers;
	struct peer peer_ids[MAX_PEERS];
	unsigned npeer_ids;
	const char *seeds[MAX_PEERS];
	unsigned nseeds;
	uint8_t pins[MAX_PUB][SLT_PUB_SIZE];
	unsigned npins;
	const char *publish[MAX_PUB];
	unsigned npublish;
	const char *shares[SLT_MAX_N];
	unsigned nshares;
	const char *lun, *table;
	bool break_sig;
} o = {.k = 2, .interval_ms = 300};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int parse_addr(const char *s, char *host, size_t hl, uint16_t *port)
{
	return gossip_parse_addr(s, host, hl, port);
}

static void print_table(const uint8_t *tbl, size_t len)
{
	struct slt t;
	char u[37], owner[17];

	if (slt_parse(tbl, len, &t, NULL))
		return;
	slt_uuid_str(t.uuid, u);
	hex_encode(t.owner_id, 8, owner);
	printf("%s version=%" PRIu64 " owner=%s name=%s k=%u n=%u\n", u,
	       t.version, owner, t.name, t.k, t.n);
}

static int load_key(struct nodekey *k)
{
	bool created;
	int ret = nodekey_load_or_create(o.key, k, &created);

	if (ret)
		fprintf(stderr, "tgtx-gossip: key %s: %s\n", o.key,
			strerror(-ret));
	return ret;
}

static int cmd_keygen(void)
{
	struct nodekey k;
	char hex[65];

	if (!o.key || load_key(&k))
		return o.key ? 2 : 1;
	hex_encode(k.id, 32, hex);
	printf("id %s\n", hex);
	hex_encode(k.pub, 32, hex);
	printf("pub %s\n", hex);
	nodekey_free(&k);
	return 0;
}

static int cmd_mktable(void)
{
	uint8_t buf[SLT_MAX_SIZE];
	const char *why = NULL;
	struct nodekey k;
	struct slt t;
	size_t len;
	int ret;

	if (!o.key || !o.uuid || !o.name || !o.out || !o.version || !o.nshares)
		return 1;
	memset(&t, 0, sizeof(t));
	if (slt_uuid_parse(o.uuid, t.uuid)) {
		fprintf(stderr, "tgtx-gossip: bad uuid %s\n", o.uuid);
		return 1;
	}
	t.version = o.version;
	t.size = 64ULL << 20;
	t.block_size = 4096;
	t.n = (uint8_t)o.nshares;
	t.k = (uint8_t)o.k;
	t.signed_at_ms = gtls_now_ms(NULL);
	snprintf(t.name, sizeof(t.name), "%s", o.name);
	for (unsigned i = 0; i < o.nshares; i++) {
		char portal[SLT_MAX_PORTAL + 1], iqn[SLT_MAX_IQN + 1];
		char tr[8] = "", partner[65] = "";
		uint8_t pub[SLT_PUB_SIZE];
		unsigned lun;
		int nf;

		/* a longer string stops the scan short: refused */
		nf = sscanf(o.shares[i], "%64[^,],%223[^,],%u,%7[^,],%64s",
			    portal, iqn, &lun, tr, partner);
		if (nf < 3 ||
		    (nf >= 4 && strcmp(tr, "tls") && strcmp(tr, "ipsec") &&
		     strcmp(tr, "plain")) ||
		    (nf == 5 && hex_decode(partner, pub, SLT_PUB_SIZE))) {
			fprintf(stderr, "tgtx-gossip: bad --share %s\n",
				o.shares[i]);
			return 1;
		}
		memcpy(t.shares[i].portal, portal, sizeof(portal));
		memcpy(t.shares[i].iqn, iqn, sizeof(iqn));
		t.shares[i].lun = (uint16_t)lun;
		if (nf >= 4)
			t.shares[i].transport =
				!strcmp(tr, "tls")     ? SLT_TRANSPORT_TLS
				: !strcmp(tr, "ipsec") ? SLT_TRANSPORT_IPSEC
						       : SLT_TRANSPORT_PLAIN;
		if (nf == 5)
			nodekey_id_of(pub, t.shares[i].partner_id);
	}
	if (load_key(&k))
		return 2;
	ret = slt_encode_sign(&t, &k, buf, sizeof(buf), &len, &why);
	nodekey_free(&k);
	if (ret) {
		fprintf(stderr, "tgtx-gossip: table: %s\n",
			why ? why : strerror(-ret));
		return 2;
	}
	ret = write_path_atomic(o.out, buf, len, 0644);
	if (ret) {
		fprintf(stderr, "tgtx-gossip: %s: %s\n", o.out, strerror(-ret));
		return 2;
	}
	return 0;
}

struct node {
	struct nodekey key;
	struct gossip *g;
	struct gtls *tls;
	struct gtls_pending pending;
	struct gossip_cfg cfg;
};

static void gossip_cfg_tool(struct gossip_cfg *cfg)
{
	gossip_cfg_default(cfg);
	cfg->pinned_only = o.pinned_only;
	cfg->max_rx_per_round = 64;
}

static struct gossip *new_gossip(struct node *n)
{
	struct gossip_io io = {.ctx = &n->pending,
			       .send = gtls_gossip_send,
			       .now_ms = gtls_now_ms};
	uint64_t seed;

	memcpy(&seed, n->key.id, sizeof(seed));
	gossip_cfg_tool(&n->cfg);
	return gossip_new(&n->cfg, &io, n->key.id, seed ^ (uint64_t)getpid());
}

static void log_verdicts(const struct gossip_stats *st, size_t count,
			 const char *what)
{
	fprintf(stderr,
		"tgtx-gossip: %s: tables %zu accepted %" PRIu64
		" forged %" PRIu64 " bad-signature %" PRIu64
		" untrusted %" PRIu64 "\n",
		what, count, st->verdicts[GOSSIP_ACCEPTED],
		st->verdicts[GOSSIP_FORGED], st->verdicts[GOSSIP_BAD_SIG],
		st->verdicts[GOSSIP_UNTRUSTED]);
}

static void log_line(void *arg, const char *msg)
{
	fprintf(stderr, "tgtx-gossip: %s\n", msg);
}

static void count_table(void *arg, const uint8_t *tbl, size_t len)
{
	(*(size_t *)arg)++;
}

/* the node service (replicator/gossip/gossip_node.h), as the daemon runs it */
static int cmd_serve(void)
{
	struct gossip_node_cfg cfg;
	struct gossip_node *gn;
	struct gossip_node_stats st;
	struct gossip_stats gst;
	struct sigaction sa = {.sa_handler = on_signal};
	struct nodekey key;
	char err[256];
	size_t count = 0;
	int ret, rc = 0;

	if (!o.key || !o.state || !o.nlisten)
		return 1;
	if (load_key(&key))
		return 2;
	gossip_node_cfg_default(&cfg);
	gossip_cfg_tool(&cfg.gossip);
	cfg.key = &key;
	cfg.state_file = o.state;
	cfg.interval_ms = o.interval_ms;
	for (unsigned i = 0; i < o.nlisten; i++)
		cfg.listen[cfg.nlisten++] = o.listen[i];
	if (o.max_conns)
		cfg.max_conns = o.max_conns;
	if (o.max_per_source)
		cfg.max_per_source = o.max_per_source;
	if (o.handshake_ms)
		cfg.handshake_ms = o.handshake_ms;
	if (o.conv_ms)
		cfg.conv_ms = o.conv_ms;
	cfg.log = log_line;
	signal(SIGPIPE, SIG_IGN);
	ret = gossip_node_start(&cfg, &gn, err, sizeof(err));
	nodekey_free(&key);
	if (ret) {
		fprintf(stderr, "tgtx-gossip: %s\n", err);
		return 2;
	}
	for (unsigned i = 0; i < o.npeers; i++)
		gossip_node_pin(gn, o.peers[i].pub, o.peers[i].addr);
	/* a pinned node may connect (e.g. a recovery tool) */
	for (unsigned i = 0; i < o.npins; i++)
		gossip_node_pin(gn, o.pins[i], NULL);
	for (unsigned i = 0; i < o.npeer_ids; i++)
		gossip_node_pin_id(gn, o.peer_ids[i].id, o.peer_ids[i].addr);
	for (unsigned i = 0; i < o.nseeds; i++)
		if (gossip_node_add_seed(gn, o.seeds[i]) == -EINVAL)
			fprintf(stderr, "tgtx-gossip: bad seed %s\n",
				o.seeds[i]);
	for (unsigned i = 0; i < o.npublish; i++) {
		void *buf;
		size_t len;

		ret = read_file_max(o.publish[i], SLT_MAX_SIZE, &buf, &len,
				    NULL);
		if (ret) {
			fprintf(stderr, "tgtx-gossip: %s: %s\n", o.publish[i],
				strerror(-ret));
			rc = 2;
			goto out;
		}
		fprintf(stderr, "tgtx-gossip: publish %s: %s\n", o.publish[i],
			gossip_verdict_name(gossip_node_publish(gn, buf, len)));
		free(buf);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (unsigned i = 0; i < o.nlisten; i++)
		printf("listening %s port %u\n", o.listen[i],
		       gossip_node_port(gn, i));
	fflush(stdout);
	while (!stop)
		pause();
out:
	gossip_node_each(gn, count_table, &count);
	gossip_node_stats(gn, &st, &gst);
	gossip_node_stop(gn);
	log_verdicts(&gst, count, "stopping");
	fprintf(stderr,
		"tgtx-gossip: connections: accepted %" PRIu64
		" refused-busy %" PRIu64 " refused-source %" PRIu64
		" handshake-failed %" PRIu64 " timeouts %" PRIu64
		" conversations %" PRIu64 " max-open %u\n",
		st.accepted, st.refused_busy, st.refused_source,
		st.handshake_failed, st.timeouts, st.conversations,
		st.max_open);
	return rc;
}

static int cmd_pull(void)
{
	struct node n = {0};
	uint8_t pub[SLT_PUB_SIZE];
	struct gconn *c;
	char host[64], err[256];
	uint16_t port;
	size_t before;
	int ret, rc = 0;

	if (!o.key || !o.from || !o.peer_pub ||
	    parse_addr(o.from, host, sizeof(host), &port) ||
	    hex_decode(o.peer_pub, pub, sizeof(pub)))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (load_key(&n.key))
		return 2;
	n.g = new_gossip(&n);
	n.tls = gtls_new(&n.key, err, sizeof(err));
	if (!n.g || !n.tls)
		return 2;
	gossip_pin(n.g, pub, true);
	gtls_pin(n.tls, pub);
	/* each conversation pulls up to max_pull tables: repeat while useful */
	for (int i = 0; i < 64; i++) {
		before = gossip_count(n.g);
		ret = gtls_connect(n.tls, host, port, pub, loop_now_ms() + 5000,
				   &c, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "tgtx-gossip: %s\n", err);
			rc = ret == -EACCES ? 3 : 2;
			break;
		}
		ret = gtls_dialog(n.g, c, true, NULL, 0, n.cfg.max_msg,
				  loop_now_ms() + 10000, NULL, NULL, NULL, err,
				  sizeof(err));
		gconn_close(c);
		if (ret) {
			fprintf(stderr, "tgtx-gossip: %s\n", err);
			rc = 2;
			break;
		}
		if (gossip_count(n.g) == before)
			break;
	}
	for (size_t i = 0; !rc && i < gossip_count(n.g); i++) {
		size_t len;
		const uint8_t *t = gossip_table(n.g, i, &len);

		print_table(t, len);
	}
	if (!rc)
		log_verdicts(gossip_stats(n.g), gossip_count(n.g), "pulled");
	gtls_free(n.tls);
	gossip_free(n.g);
	nodekey_free(&n.key);
	return rc;
}

static int cmd_dump(void)
{
	struct node n = {0};
	uint8_t id[SLT_ID_SIZE] = {0};
	struct gossip_io io = {.send = gtls_gossip_send, .now_ms = gtls_now_ms};
	int ret;

	if (!o.state)
		return 1;
	gossip_cfg_default(&n.cfg);
	n.g = gossip_new(&n.cfg, &io, id, 1);
	if (!n.g)
		return 2;
	ret = gossip_load(n.g, o.state);
	if (ret) {
		fprintf(stderr, "tgtx-gossip: %s: %s\n", o.state,
			strerror(-ret));
		gossip_free(n.g);
		return 2;
	}
	for (size_t i = 0; i < gossip_count(n.g); i++) {
		size_t len;
		const uint8_t *t = gossip_table(n.g, i, &len);

		print_table(t, len);
	}
	gossip_free(n.g);
	return 0;
}

/* the table as the newest SV_BLOB_LOCATIONS copy of the share volume */
static int cmd_plant(void)
{
	static uint8_t area[SV_BLOB_AREA], sb[2 * SV_SUPER_AREA];
	uint8_t blob[SLT_BLOB_HDR_SIZE + SLT_MAX_SIZE];
	uint64_t gen = 0;
	struct sv_status st;
	struct sv_info info;
	struct stat sbuf;
	size_t len, blen;
	uint8_t *tbl;
	void *buf;
	int fd, which, ret;

	if (!o.lun || !o.table)
		return 1;
	ret = read_file_max(o.table, SLT_MAX_SIZE, &buf, &len, NULL);
	if (ret) {
		fprintf(stderr, "tgtx-gossip: %s: %s\n", o.table,
			strerror(-ret));
		return 2;
	}
	tbl = buf;
	if (o.break_sig && len > 16) {
		uint32_t crc;

		tbl[len - 1] ^= 0x5a;
		crc = htole32(crc32c(0, tbl + 16, len - 16));
		memcpy(tbl + 12, &crc, 4);
	}
	ret = slt_blob_wrap(tbl, len, blob, sizeof(blob), &blen);
	free(buf);
	fd = open(o.lun, O_RDWR | O_CLOEXEC);
	if (ret || fd < 0 || fstat(fd, &sbuf) ||
	    pread_upto(fd, sb, sizeof(sb), 0) != (ssize_t)sizeof(sb) ||
	    sv_super_pick(sb, sb + SV_SUPER_AREA, (uint64_t)sbuf.st_size, &info,
			  &which, &st)) {
		fprintf(stderr, "tgtx-gossip: %s: not a share volume\n", o.lun);
		if (fd >= 0)
			close(fd);
		return 2;
	}
	for (unsigned c = 0; c < 2; c++) {
		struct sv_blob b;

		if (pread_upto(fd, area, sizeof(area),
			       sv_blob_off(SV_BLOB_LOCATIONS, c)) ==
			    (ssize_t)sizeof(area) &&
		    !sv_blob_decode(&info, area, sizeof(area),
				    SV_BLOB_LOCATIONS, &b, &st) &&
		    b.gen > gen)
			gen = b.gen;
	}
	gen++;
	sv_blob_encode(&info, area, sizeof(area), SV_BLOB_LOCATIONS, gen, blob,
		       (uint32_t)blen);
	ret = pwrite_full(fd, area, sizeof(area),
			  sv_blob_off(SV_BLOB_LOCATIONS, (unsigned)(gen % 2)));
	if (!ret && fdatasync(fd))
		ret = -errno;
	close(fd);
	if (ret) {
		fprintf(stderr, "tgtx-gossip: %s: %s\n", o.lun, strerror(-ret));
		return 2;
	}
	printf("planted blob gen %" PRIu64 " (share %u)\n", gen, info.index);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"key", 1, 0, 'K'},	     {"state", 1, 0, 's'},
		{"listen", 1, 0, 'l'},	     {"peer", 1, 0, 'p'},
		{"pin", 1, 0, 'P'},	     {"publish", 1, 0, 'b'},
		{"interval-ms", 1, 0, 'i'},  {"pinned-only", 0, 0, 'O'},
		{"from", 1, 0, 'f'},	     {"peer-pub", 1, 0, 'k'},
		{"uuid", 1, 0, 'u'},	     {"name", 1, 0, 'n'},
		{"version", 1, 0, 'V'},	     {"share", 1, 0, 'S'},
		{"out", 1, 0, 'o'},	     {"k", 1, 0, 'x'},
		{"peer-id", 1, 0, 'I'},	     {"seed", 1, 0, 'e'},
		{"max-conns", 1, 0, 'C'},    {"max-per-source", 1, 0, 'Q'},
		{"handshake-ms", 1, 0, 'H'}, {"conv-ms", 1, 0, 'T'},
		{"lun", 1, 0, 'L'},	     {"table", 1, 0, 'W'},
		{"help", 0, 0, 'h'},	     {0, 0, 0, 0},
	};
	const char *cmd;
	char host[64];
	uint16_t port;
	int c, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'K':
			o.key = optarg;
			break;
		case 's':
			o.state = optarg;
			break;
		case 'l':
			if (o.nlisten >= GN_MAX_LISTEN)
				goto usage;
			o.listen[o.nlisten++] = optarg;
			break;
		case 'I': {
			struct peer *p = &o.peer_ids[o.npeer_ids];
			char hex[65];
			const char *at = strchr(optarg, '@');
			size_t hl = at ? (size_t)(at - optarg) : strlen(optarg);

			if (o.npeer_ids >= MAX_PEERS || hl != 64)
				goto usage;
			memcpy(hex, optarg, 64);
			hex[64] = 0;
			if (hex_decode(hex, p->id, SLT_ID_SIZE) ||
			    (at &&
			     parse_addr(at + 1, host, sizeof(host), &port)))
				goto usage;
			p->addr = at ? at + 1 : NULL;
			o.npeer_ids++;
			break;
		}
		case 'e':
			if (o.nseeds >= MAX_PEERS)
				goto usage;
			o.seeds[o.nseeds++] = optarg;
			break;
		case 'C':
			o.max_conns = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'Q':
			o.max_per_source = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'H':
			o.handshake_ms = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'T':
			o.conv_ms = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'p': {
			struct peer *p = &o.peers[o.npeers];
			char hex[65];
			const char *at = strchr(optarg, '@');

			if (o.npeers >= MAX_PEERS || !at || at - optarg != 64)
				goto usage;
			memcpy(hex, optarg, 64);
			hex[64] = 0;
			if (hex_decode(hex, p->pub, SLT_PUB_SIZE) ||
			    parse_addr(at + 1, host, sizeof(host), &port))
				goto usage;
			p->addr = at + 1;
			nodekey_id_of(p->pub, p->id);
			o.npeers++;
			break;
		}
		case 'P':
			if (o.npins >= MAX_PUB ||
			    hex_decode(optarg, o.pins[o.npins], SLT_PUB_SIZE))
				goto usage;
			o.npins++;
			break;
		case 'b':
			if (o.npublish >= MAX_PUB)
				goto usage;
			o.publish[o.npublish++] = optarg;
			break;
		case 'i':
			o.interval_ms = (unsigned)strtoul(optarg, NULL, 0);
			if (!o.interval_ms)
				goto usage;
			break;
		case 'O':
			o.pinned_only = true;
			break;
		case 'f':
			o.from = optarg;
			break;
		case 'k':
			o.peer_pub = optarg;
			break;
		case 'u':
			o.uuid = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'V':
			o.version = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			if (o.nshares >= SLT_MAX_N)
				goto usage;
			o.shares[o.nshares++] = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'x':
			o.k = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'L':
			o.lun = optarg;
			break;
		case 'W':
			o.table = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (!strcmp(cmd, "keygen"))
		rc = cmd_keygen();
	else if (!strcmp(cmd, "mktable"))
		rc = cmd_mktable();
	else if (!strcmp(cmd, "serve"))
		rc = cmd_serve();
	else if (!strcmp(cmd, "pull"))
		rc = cmd_pull();
	else if (!strcmp(cmd, "dump"))
		rc = cmd_dump();
	else if (!strcmp(cmd, "plant"))
		rc = cmd_plant();
	else if (!strcmp(cmd, "plant-bad-signature")) {
		o.break_sig = true;
		rc = cmd_plant();
	} else
		goto usage;
	if (rc == 1)
		goto usage;
	return rc;
usage:
	fputs(usage_text, stderr);
	return 1;
}
