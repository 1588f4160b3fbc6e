// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the targets.conf parser (usr/admin/conf_parse.c):
 * the input is the text of a configuration file. The parse runs in a
 * scratch directory holding a few files to include (one valid, one that
 * includes itself), and an input whose include lines may name a path with
 * a '/' is skipped (may_escape), so `include` never reaches the rest of the
 * file system. A parsed conf must
 * keep the promises of conf.h: limits, LUNs sorted, every target and LUN
 * found by its own name and number.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/conf.h"
#include "core/share_peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static const char *const sandbox_files[][2] = {
	{"sub-a.conf", "<target iqn.2026-11.org.tgtx:inc>\n"
		       "    <backing-store inc.img>\n"
		       "        lun 2\n"
		       "    </backing-store>\n"
		       "</target>\n"},
	{"self.conf", "include self.conf\n"},
	{"nested.conf", "include sub-*.conf\n"},
};

static char sandbox[64];

static void remove_sandbox(void)
{
	size_t i;

	if (!sandbox[0])
		return;
	for (i = 0; i < sizeof(sandbox_files) / sizeof(sandbox_files[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", sandbox,
			 sandbox_files[i][0]);
		unlink(path);
	}
	rmdir(sandbox);
}

static void setup_once(void)
{
	size_t i;

	if (sandbox[0])
		return;
	snprintf(sandbox, sizeof(sandbox), "/tmp/tgtx-fuzz-conf.XXXXXX");
	if (!mkdtemp(sandbox) || chdir(sandbox))
		abort();
	for (i = 0; i < sizeof(sandbox_files) / sizeof(sandbox_files[0]); i++) {
		FILE *f = fopen(sandbox_files[i][0], "w");

		if (!f || fputs(sandbox_files[i][1], f) < 0 || fclose(f))
			abort();
	}
	atexit(remove_sandbox);
}

/*
 * Could this text include a file outside the sandbox? Yes when a logical
 * line (continuations joined, as the parser does) has a '/' and its
 * letters, everything else dropped, spell "include" (which sees through
 * quotes). Errs on yes.
 */
static bool may_escape(const uint8_t *d, size_t n)
{
	static const char word[] = "include";
	bool found = false, slash = false;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int ch = tolower(d[i]);

		if (ch == '\n') {
			size_t j = i;

			if (j && d[j - 1] == '\r')
				j--;
			if (j && d[j - 1] == '\\')
				continue; /* continued on the next line */
			if (found && slash)
				return true;
			found = slash = false;
			k = 0;
			continue;
		}
		slash |= ch == '/';
		if (ch < 'a' || ch > 'z')
			continue;
		k = ch == word[k] ? k + 1 : ch == word[0];
		if (k == sizeof(word) - 1) {
			found = true;
			k = 0;
		}
	}
	return found && slash;
}

/*
 * conf.h's promise to tgtx-replicd: a LUN's peers are effective (the
 * target's copied in), only on xorshare LUNs, every value passed
 * share_peer_check, and options never without a URL.
 */
static void check_peers(const struct conf_target *t, const struct conf_lun *l)
{
	char err[256];
	int i, o;

	for (i = 0; i < CONF_PEERS_MAX; i++) {
		const struct conf_peer *p = &l->peers[i];

		if (!p->url) {
			for (o = SP_TRANSPORT; o < SP_NOPTS; o++)
				if (conf_peer_opt(p, o))
					abort();
			if (t->defaults.peers[i].url)
				abort(); /* not inherited */
			continue;
		}
		if (strcmp(conf_lun_bstype(t, l), "xorshare"))
			abort();
		for (o = SP_URL; o < SP_NOPTS; o++) {
			const char *v = conf_peer_opt(p, o);

			if (v && share_peer_check(o, v, err, sizeof(err)))
				abort();
		}
	}
}

static void check(const struct conf *c)
{
	const struct conf_target *t;
	int nr_targets = 0;

	list_for_each_entry (t, &c->targets, node) {
		const struct conf_lun *l;
		long prev = -1;
		int nr_luns = 0;

		if (!t->name || conf_find_target(c, t->name) == NULL)
			abort();
		if (++nr_targets > CONF_TARGETS_MAX)
			abort();
		list_for_each_entry (l, &t->luns, node) {
			const char *const *k;

			if (++nr_luns > CONF_LUNS_MAX)
				abort();
			if (l->lun < 0 || l->lun > CONF_LUN_NUMBER_MAX ||
			    l->lun <= prev)
				abort(); /* numbered, in range, sorted, unique
					  */
			prev = l->lun;
			if (conf_find_lun(t, l->lun) != l)
				abort();
			(void)conf_lun_bstype(t, l);
			(void)conf_lun_bsopts(t, l);
			(void)conf_lun_bsoflags(t, l);
			(void)conf_lun_allow_in_use(t, l);
			for (k = conf_lu_param_keys; *k; k++)
				(void)conf_lun_param(t, l, *k);
			check_peers(t, l);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct conf *c = NULL;
	char err[512];
	char *text;
	int ret;

	setup_once();
	if (may_escape(d, n))
		return 0;
	text = malloc(n ? n : 1); /* exact size: ASan sees over-reads */
	if (!text)
		return 0;
	memcpy(text, d, n);
	ret = conf_parse_string(text, n, "fuzz.conf", &c, err, sizeof(err));
	if (getenv("FUZZ_CONF_VERBOSE"))
		fprintf(stderr, "parse: %d %s\n", ret, ret ? err : "");
	if (!ret) {
		if (!c)
			abort();
		check(c);
		conf_free(c);
	}
	free(text);
	return 0;
}
