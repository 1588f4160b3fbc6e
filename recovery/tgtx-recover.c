// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-recover: the DR operator's command (doc/man/tgtx-recover.8,
 * doc/dr-runbook.md): the DR kit (export, show), `list` (the tables a
 * surviving node knows, pulled by gossip over TLS as the kit's node), and
 * `check` / `restore` (rc_cmd.c) over share URLs given with --share or
 * found in the volume's location table.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/loop.h"
#include "kit.h"
#include "kit_conf.h"
#include "mgmt/mgmt_path.h"
#include "rc.h"
#include "replicator/gossip/gossip.h"
#include "replicator/gossip/gossip_tls.h"
#include "replicator/gossip/nodekey.h"
#include "replicator/gossip/slt.h"
#include "replicator/peer.h"
#include "core/share_peer.h"

static const char usage_text[] =
	"usage: tgtx-recover kit export --out FILE --key NODEKEY --name NAME\n"
	"              [--peer PUBHEX,GOSSIP-ADDR[,ISCSI-URL]]... [--seed "
	"ADDR]...\n"
	"              [--passphrase-file FILE] [--kdf-log2n N]\n"
	"       tgtx-recover kit export --out FILE --state-dir DIR\n"
	"              [--control-socket PATH] [--name NAME] [--seed ADDR]...\n"
	"              [--peer ...]... [--passphrase-file FILE]\n"
	"       tgtx-recover kit show --kit FILE [--passphrase-file FILE]\n"
	"       tgtx-recover list --from HOST[:PORT] --kit FILE\n"
	"              [--passphrase-file FILE] [--no-probe]\n"
	"       tgtx-recover check SOURCE [--before TIME] [OPTIONS]\n"
	"       tgtx-recover restore SOURCE --to FILE|BLOCKDEV|iscsi://URL\n"
	"              [--before TIME] [--verify] [--state FILE] [--force]\n"
	"              [--restart] [--progress bar|plain]\n"
	"              [--reprotect SEEDFILE] [OPTIONS]\n"
	"       tgtx-recover key SOURCE --to KEYFILE   (the volume key back "
	"from\n"
	"              k key shares, for reprotect; written 0600)\n"
	"SOURCE: --share URL (k or more times: iscsi://[user%pass@]host[:port]/"
	"IQN/LUN)\n"
	"     a TLS share: --share 'URL transport=tls pin=HEX' --key NODEKEY\n"
	"     (the partner's pin; NODEKEY a node key its tgtxd lists in\n"
	"     --tls-peers)\n"
	"     or --from HOST[:PORT] --volume NAME|UUID --kit FILE\n"
	"OPTIONS: --rate BYTES (per peer) --op-timeout MS --initiator IQN\n"
	"     --in-order (use the shares in the order given, no speed test)\n"
	"     --chunk BYTES --depth N (reads in flight per peer, 1-64;\n"
	"     default: 4, grown behind a long round trip to 8 MiB per peer)\n"
	"TIME: 2026-11-27T03:40:00Z, @EPOCH-SECONDS[.FRAC], or -30m (ago)\n"
	"kit export seals this node's identity, its peers' keys, gossip\n"
	"addresses and share-LUN URLs (credentials included) and seed\n"
	"addresses into FILE with a passphrase (scrypt, AES-256-GCM); keep it\n"
	"offline. With --state-dir it takes them from the node itself: the\n"
	"node key DIR/node.key and every share-peer URL of tgtxd's running\n"
	"configuration (control socket), each pinned peer's key learned by a\n"
	"TLS handshake checked against its pin. Keep the kit\n"
	"offline. kit show prints a kit (passwords masked). list asks a\n"
	"surviving node, as the kit's node, for the share-location tables it\n"
	"knows (default port 3270) and prints them, with the newest point\n"
	"their shares can restore. check reads every share volume's header\n"
	"and journal and says whether and to which point a restore is\n"
	"possible (writes nothing); restore rebuilds the volume, rerun the\n"
	"same command to continue an interrupted one; --reprotect also\n"
	"writes SEEDFILE (0600, holds the volume key): give it to the new\n"
	"xorshare LUN over the restored volume (bsopts reprotect=SEEDFILE)\n"
	"and tgtx-replicd continues the same share volumes. Without\n"
	"--passphrase-file the passphrase is read from the terminal.\n"
	"Exit: 0 ok, 1 usage, 2 error, 3 refused (wrong passphrase, tampered\n"
	"kit, TLS authentication, progress file of another restore), 4 not\n"
	"restorable (fewer than k consistent shares, no point before TIME),\n"
	"5 data error (a block no k shares rebuild, --verify differs),\n"
	"6 interrupted (progress saved).\n";

static struct {
	const char *out, *key, *name, *kit, *pass_file, *from;
	const char *state_dir, *ctl_sock;
	unsigned log2n;
	const char *peers[KIT_MAX_PEERS];
	unsigned npeers;
	const char *seeds[KIT_MAX_SEEDS];
	unsigned nseeds;
	const char *volume, *key_out;
	bool no_probe;
	struct rc_opts r;
} o = {.r = {.op_timeout_ms = 10000,
	     .progress = -1,
	     .chunk_bytes = 256 << 10,
	     .measure_bytes = 8 << 20}};

static void die_usage(void)
{
	fputs(usage_text, stderr);
	exit(1);
}

/*
 * --share 'URL [transport=tls|ipsec|plain] [pin=HEX]': the URL and the
 * options of a share peer as targets.conf writes them (share_peer.h's
 * checks), without a transport= the share is read in the clear, as
 * before options existed. Exits 1 on a bad one (the URL never quoted).
 */
static void add_share(char *arg)
{
	unsigned i = o.r.nurls;
	char *save = NULL, *tok = strtok_r(arg, " \t", &save);
	char err[200];

	if (i >= SV_MAX_N || !tok)
		die_usage();
	o.r.urls[i] = tok;
	o.r.transports[i] = PEER_TRANSPORT_PLAIN;
	o.r.pins[i] = NULL;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');
		int opt;

		if (eq)
			*eq = 0;
		opt = eq ? share_peer_opt_find(tok) : -1;
		if (opt != SP_TRANSPORT && opt != SP_PIN) {
			fprintf(stderr,
				"tgtx-recover: --share %u: unknown option %s "
				"(transport= or pin=)\n",
				i, tok);
			die_usage();
		}
		if (share_peer_check((enum share_peer_opt)opt, eq + 1, err,
				     sizeof(err))) {
			fprintf(stderr, "tgtx-recover: --share %u: %s\n", i,
				err);
			die_usage();
		}
		if (opt == SP_TRANSPORT)
			o.r.transports[i] = peer_transport_parse(eq + 1);
		else
			o.r.pins[i] = eq + 1;
	}
	if (o.r.transports[i] != PEER_TRANSPORT_TLS && o.r.pins[i]) {
		fprintf(stderr,
			"tgtx-recover: --share %u: pin= without "
			"transport=tls (a pin is only checked over TLS)\n",
			i);
		die_usage();
	}
	if (o.r.transports[i] == PEER_TRANSPORT_TLS && !o.r.pins[i]) {
		fprintf(stderr,
			"tgtx-recover: --share %u: transport=tls needs pin=HEX "
			"(the partner's `tgtxd --show-node-key`)\n",
			i);
		die_usage();
	}
	o.r.nurls++;
}

/* The passphrase: first line of --passphrase-file, or the terminal. */
static int get_pass(char *buf, size_t len, bool confirm)
{
	if (o.pass_file) {
		FILE *f = fopen(o.pass_file, "r");

		if (!f || !fgets(buf, (int)len, f)) {
			fprintf(stderr, "tgtx-recover: %s: %s\n", o.pass_file,
				f ? "empty" : strerror(errno));
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
		buf[strcspn(buf, "\r\n")] = 0;
		return 0;
	}
	for (int round = 0; round < (confirm ? 2 : 1); round++) {
		struct termios old, noecho;
		char again[256];
		char *dst = round ? again : buf;
		size_t dl = round ? sizeof(again) : len;
		FILE *tty = fopen("/dev/tty", "r+");

		if (!tty) {
			fprintf(stderr, "tgtx-recover: no terminal for the "
					"passphrase: use --passphrase-file\n");
			return -1;
		}
		fprintf(tty, round ? "Again: " : "Kit passphrase: ");
		fflush(tty);
		tcgetattr(fileno(tty), &old);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
		if (!fgets(dst, (int)dl, tty))
			dst[0] = 0;
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fprintf(tty, "\n");
		fclose(tty);
		dst[strcspn(dst, "\r\n")] = 0;
		if (round && strcmp(buf, again)) {
			OPENSSL_cleanse(again, sizeof(again));
			fprintf(stderr, "tgtx-recover: passphrases differ\n");
			return -1;
		}
		OPENSSL_cleanse(again, sizeof(again));
	}
	return 0;
}

/* the peers of tgtxd's running configuration (kit export --state-dir) */
static int export_conf_peers(struct kit *k, const struct nodekey *key)
{
	struct rd_conf c;
	char err[512];
	const char *sock = o.ctl_sock ? o.ctl_sock : mgmt_default_socket(0);
	int ret = rd_conf_fetch(sock, &c, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "tgtx-recover: tgtxd at %s: %s\n", sock, err);
		return ret;
	}
	ret = kit_peers_from_conf(k, &c, key, 5000, err, sizeof(err));
	if (ret)
		fprintf(stderr, "tgtx-recover: %s\n", err);
	else
		fprintf(stderr,
			"tgtx-recover: %u share peer(s) from %u LUN(s) of "
			"tgtxd's configuration\n",
			k->npeers, c.count);
	rd_conf_free(&c);
	return ret;
}

static int cmd_kit_export(void)
{
	static struct kit k;
	struct kit_kdf kdf;
	struct nodekey key;
	const char *why = NULL;
	char pass[256];
	char path[4200];
	bool created;
	int ret;

	char host[KIT_MAX_NAME + 1] = "";

	if (!o.out || (!o.key && !o.state_dir) || (o.key && o.state_dir) ||
	    (!o.name && !o.state_dir))
		die_usage();
	if (!o.name) {
		gethostname(host, sizeof(host) - 1);
		o.name = host[0] ? host : "node";
	}
	kit_kdf_default(&kdf);
	if (o.log2n)
		kdf.log2_n = (uint8_t)o.log2n;
	memset(&k, 0, sizeof(k));
	if (o.state_dir) {
		snprintf(path, sizeof(path), "%s/node.key", o.state_dir);
		ret = nodekey_load(path, &key);
	} else {
		ret = nodekey_load_or_create(o.key, &key, &created);
	}
	if (ret) {
		fprintf(stderr, "tgtx-recover: node key %s: %s\n",
			o.key ? o.key : path, nodekey_strerror(ret));
		return 2;
	}
	if (o.state_dir)
		ret = export_conf_peers(&k, &key);
	if (!ret)
		ret = nodekey_private(&key, k.node_priv);
	nodekey_free(&key);
	if (ret || strlen(o.name) > KIT_MAX_NAME) {
		kit_wipe(&k);
		return 2;
	}
	strcpy(k.node_name, o.name);
	for (unsigned i = 0; i < o.npeers; i++) {
		struct kit_peer *p;

		if (k.npeers >= KIT_MAX_PEERS)
			die_usage();
		p = &k.peers[k.npeers++];
		char hex[65], addr[KIT_MAX_ADDR + 1], url[KIT_MAX_URL + 1];
		int n;

		url[0] = 0;
		n = sscanf(o.peers[i], "%64[0-9a-fA-F],%64[^,],%512s", hex,
			   addr, url);
		if (n < 2 || hex_decode(hex, p->pub, 32)) {
			fprintf(stderr, "tgtx-recover: bad --peer %s\n",
				o.peers[i]);
			return 1;
		}
		memcpy(p->addr, addr, sizeof(addr));
		memcpy(p->url, url, sizeof(url));
	}
	for (unsigned i = 0; i < o.nseeds; i++) {
		if (strlen(o.seeds[i]) > KIT_MAX_ADDR)
			die_usage();
		strcpy(k.seeds[k.nseeds++], o.seeds[i]);
	}
	if (get_pass(pass, sizeof(pass), true)) {
		kit_wipe(&k);
		return 2;
	}
	ret = kit_write_file(o.out, &k, pass, &kdf, &why);
	OPENSSL_cleanse(pass, sizeof(pass));
	kit_wipe(&k);
	if (ret) {
		fprintf(stderr, "tgtx-recover: kit %s: %s\n", o.out,
			why ? why : strerror(-ret));
		return 2;
	}
	printf("kit written to %s (keep it offline; it holds this node's "
	       "private key and peer credentials)\n",
	       o.out);
	return 0;
}

static int open_kit(struct kit *k)
{
	const char *why = NULL;
	char pass[256];
	int ret;

	if (!o.kit)
		die_usage();
	if (get_pass(pass, sizeof(pass), false))
		return 2;
	ret = kit_read_file(o.kit, pass, k, &why);
	OPENSSL_cleanse(pass, sizeof(pass));
	if (ret) {
		fprintf(stderr, "tgtx-recover: kit %s: %s\n", o.kit,
			why ? why : strerror(-ret));
		return ret == -EKEYREJECTED ? 3 : 2;
	}
	return 0;
}

/* iscsi://user%secret@host/... -> iscsi://user%***@host/... */
static void mask_url(const char *url, char *out, size_t len)
{
	const char *pct = strchr(url, '%'), *at = strchr(url, '@');

	if (pct && at && pct < at)
		snprintf(out, len, "%.*s%%***%s", (int)(pct - url), url, at);
	else
		snprintf(out, len, "%s", url);
}

static int cmd_kit_show(void)
{
	static struct kit k;
	struct nodekey key;
	char hex[65];
	int ret = open_kit(&k);

	if (ret)
		return ret;
	if (nodekey_from_private(&key, k.node_priv)) {
		kit_wipe(&k);
		return 2;
	}
	hex_encode(key.id, 32, hex);
	printf("node %s\n  id %s\n", k.node_name, hex);
	hex_encode(key.pub, 32, hex);
	printf("  pub %s\n", hex);
	nodekey_free(&key);
	for (unsigned i = 0; i < k.npeers; i++) {
		char url[KIT_MAX_URL + 8];

		hex_encode(k.peers[i].pub, 32, hex);
		mask_url(k.peers[i].url, url, sizeof(url));
		printf("peer %u pub %s gossip %s url %s\n", i, hex,
		       k.peers[i].addr[0] ? k.peers[i].addr : "-",
		       url[0] ? url : "-");
	}
	for (unsigned i = 0; i < k.nseeds; i++)
		printf("seed %s\n", k.seeds[i]);
	kit_wipe(&k);
	return 0;
}

static int parse_hostport(const char *s, char *host, size_t hl, uint16_t *port)
{
	const char *colon = strrchr(s, ':'), *end;
	size_t n;

	*port = GOSSIP_DEFAULT_PORT;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end)
			return -1;
		n = (size_t)(end - s - 1);
		s++;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else if (colon && strchr(s, ':') == colon) {
		n = (size_t)(colon - s);
	} else {
		n = strlen(s);
		colon = NULL; /* a bare IPv6 address or a host */
	}
	if (!n || n >= hl)
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	if (colon) {
		long p = strtol(colon + 1, NULL, 10);

		if (p <= 0 || p > 65535)
			return -1;
		*port = (uint16_t)p;
	}
	return 0;
}

/*
 * The share URLs of a table: portal, IQN and LUN from the table (signed
 * by the owner), credentials from the kit's entry for the partner node
 * (the table never holds secrets). A TLS share is pinned to the table's
 * partner id (SHA-256 of the partner's key: the TLS pin itself, signed by
 * the owner), our key being the kit's node key, in memory only (never
 * written: a killed run must leave no copy of it). 0, or -EPROTONOSUPPORT
 * for a share whose transport this tool cannot speak (named in err).
 */
static int table_urls(const struct slt *t, const struct kit *k,
		      const struct nodekey *key, char urls[][KIT_MAX_URL + 300],
		      char pins[][SHARE_PEER_PIN_LEN + 1], struct rc_opts *r,
		      char *err, size_t elen)
{
	static const uint8_t zero[SLT_ID_SIZE];

	for (unsigned i = 0; i < t->n; i++) {
		const struct slt_share *sh = &t->shares[i];
		const char *cred = "";
		char credbuf[KIT_MAX_URL + 1];
		int tr = peer_transport_from_slt(sh->transport);

		for (unsigned p = 0; p < k->npeers; p++) {
			uint8_t id[SLT_ID_SIZE];
			const char *u = k->peers[p].url, *at, *start;

			nodekey_id_of(k->peers[p].pub, id);
			if (memcmp(id, sh->partner_id, SLT_ID_SIZE) || !u[0])
				continue;
			start = strstr(u, "://");
			start = start ? start + 3 : u;
			at = strchr(start, '@');
			if (at && (size_t)(at - start) < sizeof(credbuf) - 1) {
				memcpy(credbuf, start,
				       (size_t)(at - start) + 1);
				credbuf[at - start + 1] = 0;
				cred = credbuf;
			}
			break;
		}
		if (tr < 0) {
			snprintf(err, elen,
				 "share %u (%s): unknown transport %u", i,
				 sh->portal, sh->transport);
			return -EPROTONOSUPPORT;
		}
		r->transports[i] = tr;
		r->pins[i] = NULL;
		if (tr == PEER_TRANSPORT_TLS) {
			if (!memcmp(sh->partner_id, zero, SLT_ID_SIZE)) {
				snprintf(err, elen,
					 "share %u (%s) is reached over TLS "
					 "but the table names no partner key "
					 "to pin: give every share as --share "
					 "'URL transport=tls pin=HEX' --key "
					 "NODEKEY",
					 i, sh->portal);
				return -EPROTONOSUPPORT;
			}
			r->key = key;
			hex_encode(sh->partner_id, SLT_ID_SIZE, pins[i]);
			r->pins[i] = pins[i];
		}
		snprintf(urls[i], KIT_MAX_URL + 300, "iscsi://%s%s/%s/%u", cred,
			 sh->portal, sh->iqn, sh->lun);
	}
	return 0;
}

/* Probes a table's shares (bounded: a short deadline per peer, all in
 * parallel) for the newest point they can restore. */
static void print_probe(const struct slt *t, const struct kit *k,
			const struct nodekey *key)
{
	static char urls[SLT_MAX_N][KIT_MAX_URL + 300];
	static char pins[SLT_MAX_N][SHARE_PEER_PIN_LEN + 1];
	struct rc_opts r = o.r;
	uint64_t seq = 0, ns = 0;
	unsigned reach = 0;
	char err[400], tm[48];

	if (table_urls(t, k, key, urls, pins, &r, err, sizeof(err))) {
		printf("  newest restorable point: not probed (%s)\n", err);
		return;
	}
	r.nurls = t->n;
	for (unsigned i = 0; i < t->n; i++)
		r.urls[i] = urls[i];
	r.op_timeout_ms = 5000;
	if (rc_probe(&r, &seq, &ns, &reach)) {
		printf("  newest restorable point: NONE (%u of %u share "
		       "volumes readable, k=%u)\n",
		       reach, t->n, t->k);
		return;
	}
	rc_format_time(ns, tm, sizeof(tm));
	printf("  newest restorable point: seq %" PRIu64 " written %s (%u of "
	       "%u share volumes readable)\n",
	       seq, tm, reach, t->n);
}

static void print_volume(const uint8_t *tbl, size_t len,
			 const struct nodekey *self, const struct kit *k)
{
	struct slt t;
	char u[37], owner[17], when[32];
	time_t secs;
	struct tm tm;

	if (slt_parse(tbl, len, &t, NULL))
		return;
	slt_uuid_str(t.uuid, u);
	hex_encode(t.owner_id, 8, owner);
	secs = (time_t)(t.signed_at_ms / 1000);
	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("volume %s uuid %s\n", t.name, u);
	printf("  owner %s%s, table version %" PRIu64 " signed %s\n", owner,
	       memcmp(t.owner_id, self->id, SLT_ID_SIZE)
		       ? " (NOT this kit's node)"
		       : " (this kit's node)",
	       t.version, when);
	printf("  k=%u n=%u size %" PRIu64 " bytes, block %u\n", t.k, t.n,
	       t.size, t.block_size);
	for (unsigned i = 0; i < t.n; i++) {
		char partner[17];

		hex_encode(t.shares[i].partner_id, 8, partner);
		printf("  share %u: %s %s lun %u transport %s partner %s\n", i,
		       t.shares[i].portal, t.shares[i].iqn, t.shares[i].lun,
		       slt_transport_name(t.shares[i].transport), partner);
	}
	if (o.no_probe)
		printf("  newest restorable point: not probed (--no-probe)\n");
	else
		print_probe(&t, k, self);
	fflush(stdout);
}

/* Pulls every table the node at --from knows, as the kit's node. */
static int pull_tables(struct kit *k, struct nodekey *key, struct gossip **gp,
		       char *host, size_t hl, uint16_t *port)
{
	struct gtls_pending pending = {0};
	struct gossip_io io = {.ctx = &pending,
			       .send = gtls_gossip_send,
			       .now_ms = gtls_now_ms};
	struct gossip_cfg cfg;
	struct gossip *g = NULL;
	struct gtls *tls = NULL;
	struct gconn *c;
	char err[256], hex[17];
	int ret, rc = 0;

	if (!o.from || parse_hostport(o.from, host, hl, port))
		die_usage();
	ret = open_kit(k);
	if (ret)
		return ret;
	signal(SIGPIPE, SIG_IGN);
	ret = nodekey_from_private(key, k->node_priv);
	if (ret) {
		kit_wipe(k);
		return 2;
	}
	gossip_cfg_default(&cfg);
	cfg.max_rx_per_round = 1024;
	g = gossip_new(&cfg, &io, key->id, 1);
	tls = gtls_new(key, err, sizeof(err));
	if (!g || !tls) {
		fprintf(stderr, "tgtx-recover: %s\n", tls ? "no memory" : err);
		rc = 2;
		goto out;
	}
	/* the node asked must be one the kit knows: any of its peers */
	for (unsigned i = 0; i < k->npeers; i++) {
		gossip_pin(g, k->peers[i].pub, true);
		gtls_pin(tls, k->peers[i].pub);
	}
	for (int i = 0; i < 64; i++) {
		size_t before = gossip_count(g);

		ret = gtls_connect(tls, host, *port, NULL,
				   loop_now_ms() + 10000, &c, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "tgtx-recover: %s\n", err);
			rc = ret == -EACCES ? 3 : 2;
			goto out;
		}
		if (!i) {
			hex_encode(gconn_peer_id(c), 8, hex);
			fprintf(stderr, "tgtx-recover: %s:%u is node %s\n",
				host, *port, hex);
		}
		ret = gtls_dialog(g, c, true, NULL, 0, cfg.max_msg,
				  loop_now_ms() + 30000, NULL, NULL, NULL, err,
				  sizeof(err));
		gconn_close(c);
		if (ret) {
			fprintf(stderr, "tgtx-recover: %s\n", err);
			rc = 2;
			goto out;
		}
		if (gossip_count(g) == before)
			break;
	}
out:
	gtls_pending_clear(&pending);
	gtls_free(tls);
	if (rc) {
		gossip_free(g);
		nodekey_free(key);
		kit_wipe(k);
		g = NULL;
	}
	*gp = g;
	return rc;
}

static int cmd_list(void)
{
	static struct kit k;
	struct nodekey key;
	struct gossip *g;
	char host[256];
	uint16_t port;
	int rc = pull_tables(&k, &key, &g, host, sizeof(host), &port);

	if (rc)
		return rc;
	printf("%zu volume(s) known to %s:%u\n", gossip_count(g), host, port);
	for (size_t i = 0; i < gossip_count(g); i++) {
		size_t len;
		const uint8_t *t = gossip_table(g, i, &len);

		print_volume(t, len, &key, &k);
	}
	gossip_free(g);
	nodekey_free(&key);
	kit_wipe(&k);
	return 0;
}

/* --key for the --share URLs over TLS, loaded once for all of them
 * (none needed: key stays empty). 0 or an exit code. */
static int share_key(struct nodekey *key)
{
	bool tls = false;
	int ret;

	memset(key, 0, sizeof(*key));
	for (unsigned i = 0; i < o.r.nurls; i++)
		tls = tls || o.r.transports[i] == PEER_TRANSPORT_TLS;
	if (!tls)
		return 0;
	if (!o.key) {
		fprintf(stderr, "tgtx-recover: a transport=tls share needs "
				"--key NODEKEY (a node key the partner's "
				"tgtxd lists in --tls-peers)\n");
		return RC_EX_USAGE;
	}
	ret = nodekey_load(o.key, key);
	if (ret) {
		fprintf(stderr, "tgtx-recover: node key %s: %s\n", o.key,
			nodekey_strerror(ret));
		return RC_EX_ERROR;
	}
	return 0;
}

/* key, restore or check, once the sources are set */
static int run_rc(bool restore, const char *name)
{
	if (o.key_out)
		return rc_cmd_key(&o.r, o.key_out);
	return restore ? rc_cmd_restore(&o.r, name) : rc_cmd_check(&o.r, name);
}

/* check/restore: the share URLs from --share, or from the table of
 * --volume that the node at --from knows (owner checked against the
 * kit: a table someone else signed never leads a restore). */
static int cmd_rc(bool restore)
{
	static struct kit k;
	static char urls[SLT_MAX_N][KIT_MAX_URL + 300];
	static char pins[SLT_MAX_N][SHARE_PEER_PIN_LEN + 1];
	char name[SLT_MAX_NAME + 1] = "", host[256], err[400], u[37];
	struct nodekey key;
	struct gossip *g;
	uint16_t port;
	struct slt t;
	bool found = false, foreign = false;
	int rc;

	if (restore && !o.r.to)
		die_usage();
	if (!o.from) {
		if (!o.r.nurls || o.volume)
			die_usage();
		rc = share_key(&key);
		if (rc)
			return rc;
		o.r.key = key.pkey ? &key : NULL;
		rc = run_rc(restore, NULL);
		o.r.key = NULL;
		nodekey_free(&key);
		return rc;
	}
	if (o.r.nurls || !o.volume)
		die_usage();
	rc = pull_tables(&k, &key, &g, host, sizeof(host), &port);
	if (rc)
		return rc;
	for (size_t i = 0; i < gossip_count(g) && !found; i++) {
		size_t len;
		const uint8_t *tb = gossip_table(g, i, &len);

		if (slt_parse(tb, len, &t, NULL))
			continue;
		slt_uuid_str(t.uuid, u);
		if (strcmp(t.name, o.volume) && strcasecmp(u, o.volume))
			continue;
		/* A site rebuilt under the same volume name signs with a new
		 * node key; the old owner's table stays known to the
		 * partners and must not hide the one this kit's node signed. */
		found = !memcmp(t.owner_id, key.id, SLT_ID_SIZE);
		foreign = foreign || !found;
	}
	if (!found && !foreign) {
		fprintf(stderr, "tgtx-recover: %s:%u knows no volume %s\n",
			host, port, o.volume);
		rc = RC_EX_NOPOINT;
	} else if (!found) {
		fprintf(stderr,
			"tgtx-recover: the table of %s is not signed by this "
			"kit's node: refusing it\n",
			o.volume);
		rc = RC_EX_REFUSED;
	} else if (table_urls(&t, &k, &key, urls, pins, &o.r, err,
			      sizeof(err))) {
		fprintf(stderr, "tgtx-recover: %s\n", err);
		rc = RC_EX_ERROR;
	} else {
		snprintf(name, sizeof(name), "%s", t.name);
		o.r.nurls = t.n;
		for (unsigned i = 0; i < t.n; i++)
			o.r.urls[i] = urls[i];
		fprintf(stderr,
			"tgtx-recover: volume %s: table version %" PRIu64
			", %u shares\n",
			name, t.version, t.n);
	}
	gossip_free(g);
	/* the raw key goes now; the TLS shares hold the key object */
	kit_wipe(&k);
	if (!rc)
		rc = run_rc(restore, name);
	o.r.key = NULL;
	nodekey_free(&key);
	return rc;
}

static int cmd_check(void)
{
	return cmd_rc(false);
}

static int cmd_restore(void)
{
	return cmd_rc(true);
}

/* key SOURCE --to KEYFILE: check's sources, the key out instead */
static int cmd_key(void)
{
	if (!o.r.to)
		die_usage();
	o.key_out = o.r.to;
	o.r.to = NULL;
	return cmd_rc(false);
}

/* The subcommands: "kit" takes a second word (sub), the others none. */
static const struct subcmd {
	const char *cmd, *sub;
	int (*run)(void);
} subcmds[] = {
	{"kit", "export", cmd_kit_export}, {"kit", "show", cmd_kit_show},
	{"list", NULL, cmd_list},	   {"check", NULL, cmd_check},
	{"restore", NULL, cmd_restore},	   {"key", NULL, cmd_key},
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"out", 1, 0, 'o'},
		{"key", 1, 0, 'K'},
		{"name", 1, 0, 'n'},
		{"peer", 1, 0, 'p'},
		{"seed", 1, 0, 's'},
		{"kit", 1, 0, 'k'},
		{"passphrase-file", 1, 0, 'P'},
		{"kdf-log2n", 1, 0, 'N'},
		{"from", 1, 0, 'f'},
		{"volume", 1, 0, 'V'},
		{"no-probe", 0, 0, 'x'},
		{"share", 1, 0, 'S'},
		{"to", 1, 0, 't'},
		{"state", 1, 0, 'F'},
		{"before", 1, 0, 'b'},
		{"verify", 0, 0, 'v'},
		{"force", 0, 0, 'y'},
		{"restart", 0, 0, 'R'},
		{"reprotect", 1, 0, 'Z'},
		{"progress", 1, 0, 'g'},
		{"rate", 1, 0, 'r'},
		{"op-timeout", 1, 0, 'T'},
		{"initiator", 1, 0, 'I'},
		{"in-order", 0, 0, 'O'},
		{"chunk", 1, 0, 'C'},
		{"depth", 1, 0, 'D'},
		{"state-dir", 1, 0, 'd'},
		{"control-socket", 1, 0, 'c'},
		{"help", 0, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *cmd, *sub = NULL;
	int c;

	if (argc < 2)
		die_usage();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	cmd = argv[1];
	optind = 2;
	if (!strcmp(cmd, "kit")) {
		if (argc < 3)
			die_usage();
		sub = argv[2];
		optind = 3;
	}
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 'K':
			o.key = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'p':
			if (o.npeers >= KIT_MAX_PEERS)
				die_usage();
			o.peers[o.npeers++] = optarg;
			break;
		case 's':
			if (o.nseeds >= KIT_MAX_SEEDS)
				die_usage();
			o.seeds[o.nseeds++] = optarg;
			break;
		case 'k':
			o.kit = optarg;
			break;
		case 'P':
			o.pass_file = optarg;
			break;
		case 'N':
			o.log2n = (unsigned)strtoul(optarg, NULL, 10);
			if (o.log2n < KIT_MIN_LOG2N || o.log2n > KIT_MAX_LOG2N)
				die_usage();
			break;
		case 'f':
			o.from = optarg;
			break;
		case 'V':
			o.volume = optarg;
			break;
		case 'x':
			o.no_probe = true;
			break;
		case 'S':
			add_share(optarg);
			break;
		case 't':
			o.r.to = optarg;
			break;
		case 'F':
			o.r.state_file = optarg;
			break;
		case 'b':
			if (rc_parse_time(optarg, rc_now_ns(),
					  &o.r.before_ns)) {
				fprintf(stderr, "tgtx-recover: bad time %s\n",
					optarg);
				die_usage();
			}
			o.r.have_before = true;
			break;
		case 'v':
			o.r.verify = true;
			break;
		case 'y':
			o.r.force = true;
			break;
		case 'R':
			o.r.restart = true;
			break;
		case 'Z':
			o.r.reprotect = optarg;
			break;
		case 'g':
			if (strcmp(optarg, "bar") && strcmp(optarg, "plain"))
				die_usage();
			o.r.progress = !strcmp(optarg, "bar");
			break;
		case 'r':
			o.r.rate = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			o.r.op_timeout_ms = atoi(optarg);
			if (o.r.op_timeout_ms < 100)
				die_usage();
			break;
		case 'I':
			o.r.initiator = optarg;
			break;
		case 'O':
			o.r.given_order = true;
			break;
		case 'C':
			o.r.chunk_bytes = strtoull(optarg, NULL, 0);
			if (o.r.chunk_bytes < 4096 ||
			    o.r.chunk_bytes > (64u << 20))
				die_usage();
			break;
		case 'D':
			o.r.depth = (unsigned)atoi(optarg);
			if (o.r.depth < 1 || o.r.depth > 64)
				die_usage();
			break;
		case 'd':
			o.state_dir = optarg;
			break;
		case 'c':
			o.ctl_sock = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			die_usage();
		}
	}
	if (optind != argc)
		die_usage();
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (!strcmp(cmd, subcmds[i].cmd) &&
		    !strcmp(sub ? sub : "",
			    subcmds[i].sub ? subcmds[i].sub : ""))
			return subcmds[i].run();
	die_usage();
	return 1;
}
