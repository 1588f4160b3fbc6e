// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tgtx-recover: the DR operator's command (doc/man/tgtx-recover.8). This
 * version has the DR kit (export, show) and `list` (the tables a surviving
 * node knows, pulled by gossip over TLS as the kit's node); `check` and
 * `restore` need the share-volume reader and come next.
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

#include "kit.h"
#include "kit_conf.h"
#include "mgmt/mgmt_path.h"
#include "replicator/gossip/gossip.h"
#include "replicator/gossip/gossip_tls.h"
#include "replicator/gossip/nodekey.h"
#include "replicator/gossip/slt.h"

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
	"              [--passphrase-file FILE]\n"
	"       tgtx-recover check ...    (not yet available)\n"
	"       tgtx-recover restore ...  (not yet available)\n"
	"kit export seals this node's identity, its peers' keys, gossip\n"
	"addresses and share-LUN URLs (credentials included) and seed\n"
	"addresses into FILE with a passphrase (scrypt, AES-256-GCM); keep it\n"
	"offline. With --state-dir it takes them from the node itself: the\n"
	"node key DIR/node.key and every share-peer URL of tgtxd's running\n"
	"configuration (control socket), each pinned peer's key learned by a\n"
	"TLS handshake checked against its pin. Keep the kit\n"
	"offline. kit show prints a kit (passwords masked). list asks a\n"
	"surviving node, as the kit's node, for the share-location tables it\n"
	"knows (default port 3270) and prints them. Without\n"
	"--passphrase-file the passphrase is read from the terminal.\n"
	"Exit: 0 ok, 1 usage, 2 error, 3 refused (wrong passphrase, tampered\n"
	"kit, TLS authentication), 4 not yet available.\n";

static struct {
	const char *out, *key, *name, *kit, *pass_file, *from;
	const char *state_dir, *ctl_sock;
	unsigned log2n;
	const char *peers[KIT_MAX_PEERS];
	unsigned npeers;
	const char *seeds[KIT_MAX_SEEDS];
	unsigned nseeds;
} o;

static void die_usage(void)
{
	fputs(usage_text, stderr);
	exit(1);
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
			o.key ? o.key : path, strerror(-ret));
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

static void print_volume(const uint8_t *tbl, size_t len,
			 const uint8_t self_id[SLT_ID_SIZE])
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
	       memcmp(t.owner_id, self_id, SLT_ID_SIZE)
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
	printf("  newest restorable point: unknown (needs `check`, not yet "
	       "available)\n");
}

static int cmd_list(void)
{
	static struct kit k;
	struct gtls_pending pending = {0};
	struct gossip_io io = {.ctx = &pending,
			       .send = gtls_gossip_send,
			       .now_ms = gtls_now_ms};
	struct gossip_cfg cfg;
	struct nodekey key;
	struct gossip *g = NULL;
	struct gtls *tls = NULL;
	struct gconn *c;
	char host[256], err[256], hex[17];
	uint16_t port;
	int ret, rc = 0;

	if (!o.from || parse_hostport(o.from, host, sizeof(host), &port))
		die_usage();
	ret = open_kit(&k);
	if (ret)
		return ret;
	signal(SIGPIPE, SIG_IGN);
	ret = nodekey_from_private(&key, k.node_priv);
	if (ret) {
		kit_wipe(&k);
		return 2;
	}
	gossip_cfg_default(&cfg);
	cfg.max_rx_per_round = 1024;
	g = gossip_new(&cfg, &io, key.id, 1);
	tls = gtls_new(&key, err, sizeof(err));
	if (!g || !tls) {
		fprintf(stderr, "tgtx-recover: %s\n", tls ? "no memory" : err);
		rc = 2;
		goto out;
	}
	/* the node asked must be one the kit knows: any of its peers */
	for (unsigned i = 0; i < k.npeers; i++) {
		gossip_pin(g, k.peers[i].pub, true);
		gtls_pin(tls, k.peers[i].pub);
	}
	for (int i = 0; i < 64; i++) {
		size_t before = gossip_count(g);

		ret = gtls_connect(tls, host, port, NULL,
				   gtls_clock_ms() + 10000, &c, err,
				   sizeof(err));
		if (ret) {
			fprintf(stderr, "tgtx-recover: %s\n", err);
			rc = ret == -EACCES ? 3 : 2;
			goto out;
		}
		if (!i) {
			hex_encode(gconn_peer_id(c), 8, hex);
			fprintf(stderr, "tgtx-recover: %s:%u is node %s\n",
				host, port, hex);
		}
		ret = gtls_dialog(g, c, true, NULL, 0, cfg.max_msg,
				  gtls_clock_ms() + 30000, NULL, NULL, NULL,
				  err, sizeof(err));
		gconn_close(c);
		if (ret) {
			fprintf(stderr, "tgtx-recover: %s\n", err);
			rc = 2;
			goto out;
		}
		if (gossip_count(g) == before)
			break;
	}
	printf("%zu volume(s) known to %s:%u\n", gossip_count(g), host, port);
	for (size_t i = 0; i < gossip_count(g); i++) {
		size_t len;
		const uint8_t *t = gossip_table(g, i, &len);

		print_volume(t, len, key.id);
	}
out:
	gtls_pending_clear(&pending);
	gtls_free(tls);
	gossip_free(g);
	nodekey_free(&key);
	kit_wipe(&k);
	return rc;
}

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
	if (sub && !strcmp(sub, "export"))
		return cmd_kit_export();
	if (sub && !strcmp(sub, "show"))
		return cmd_kit_show();
	if (!sub && !strcmp(cmd, "list"))
		return cmd_list();
	if (!sub && (!strcmp(cmd, "check") || !strcmp(cmd, "restore"))) {
		fprintf(stderr,
			"tgtx-recover: %s is not yet available (it needs the "
			"share-volume reader of tgtx-replicd)\n",
			cmd);
		return 4;
	}
	die_usage();
	return 1;
}
