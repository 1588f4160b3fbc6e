// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Prometheus exposition: escaping, histograms, and the whole /metrics page
 * checked for the format's structure (one HELP/TYPE per family, samples of
 * a family together) with LUs of two targets and a store that reports its
 * own figures through bs_ops.metrics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs/bs.h"
#include "core/node_id.h"
#include "core/strbuf.h"
#include "core/target.h"
#include "metrics/expo.h"
#include "metrics/metrics.h"
#include "scsi/lu_stats.h"
#include "scsi/scsi.h"

static void test_escape(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct expo_label l = {"target", "a\"b\\c\nd"};

	expo_u64(&sb, "m", &l, 1, 18446744073709551615ull);
	assert_string_equal(
		strbuf_str(&sb),
		"m{target=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n");
	strbuf_reset(&sb);
	expo_family(&sb, "m", "gauge", "one\\two\nthree \"q\"");
	assert_string_equal(strbuf_str(&sb),
			    "# HELP m one\\\\two\\nthree \"q\"\n"
			    "# TYPE m gauge\n");
	strbuf_reset(&sb);
	expo_double(&sb, "m", NULL, 0, 0.25);
	expo_double(&sb, "m", NULL, 0, 1.0 / 0.0);
	expo_double(&sb, "m", NULL, 0, 0.0 / 0.0);
	assert_string_equal(strbuf_str(&sb), "m 0.25\nm +Inf\nm NaN\n");
	strbuf_free(&sb);
}

static void test_histogram(void **state)
{
	static const uint32_t bound[3] = {50, 1000, 2500000};
	static const uint64_t count[4] = {2, 0, 3, 1};
	struct strbuf sb = STRBUF_INIT;
	struct expo_label l = {"op", "read"};

	expo_histogram(&sb, "lat", &l, 1, bound, count, 3, 1.5);
	assert_string_equal(strbuf_str(&sb),
			    "lat_bucket{op=\"read\",le=\"0.00005\"} 2\n"
			    "lat_bucket{op=\"read\",le=\"0.001\"} 2\n"
			    "lat_bucket{op=\"read\",le=\"2.5\"} 5\n"
			    "lat_bucket{op=\"read\",le=\"+Inf\"} 6\n"
			    "lat_sum{op=\"read\"} 1.5\n"
			    "lat_count{op=\"read\"} 6\n");
	strbuf_free(&sb);
}

/* A store with figures of its own, like xorshare's share log. */
static int fake_open(struct bs_dev *dev, const char *path, const char *opts,
		     char *err, size_t errlen)
{
	dev->size = 1 << 20;
	return 0;
}

static void fake_close(struct bs_dev *dev)
{
}

static void fake_submit(struct bs_dev *dev, struct bs_req *req)
{
	bs_complete(req, 0);
}

static void fake_metrics(struct bs_dev *dev, bs_metric_emit emit, void *arg)
{
	char peer[16];

	emit(arg, &(struct bs_metric){"fake_used_bytes", "used", false, NULL,
				      NULL, 4096});
	for (int i = 0; i < 2; i++) {
		snprintf(peer, sizeof(peer), "%d", i);
		emit(arg, &(struct bs_metric){"fake_peer_lag_records", "lag",
					      false, "peer", peer, i + 10});
	}
	emit(arg, &(struct bs_metric){"fake_drops_total", "drops", true, NULL,
				      NULL, 3});
}

static const struct bs_ops fake_ops = {
	.name = "fakemetrics",
	.open = fake_open,
	.close = fake_close,
	.submit = fake_submit,
	.flush = fake_submit,
	.metrics = fake_metrics,
};

/*
 * The structure Prometheus requires: a sample's family was announced by the
 * latest TYPE line, no family is announced twice, every sample line is
 * NAME[{...}] VALUE.
 */
static void check_structure(const char *page)
{
	char family[128] = "", seen[8192] = " ";
	const char *line = page;

	while (*line) {
		const char *eol = strchr(line, '\n');
		char buf[1024];
		size_t len;

		assert_non_null(eol);
		len = (size_t)(eol - line);
		assert_true(len < sizeof(buf));
		memcpy(buf, line, len);
		buf[len] = 0;
		if (!strncmp(buf, "# TYPE ", 7)) {
			char key[140];

			sscanf(buf + 7, "%127s", family);
			snprintf(key, sizeof(key), " %s ", family);
			assert_null(strstr(seen, key));
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
		} else if (strncmp(buf, "# HELP ", 7)) {
			char *sp = strrchr(buf, ' ');

			assert_non_null(sp);
			assert_int_equal(strncmp(buf, family, strlen(family)),
					 0);
			assert_true(strchr("{ _", buf[strlen(family)]) != NULL);
			assert_true(sp[1] != 0);
		}
		line = eol + 1;
	}
}

static void test_page(void **state)
{
	static const uint8_t id[NODE_ID_LEN] = {0xab, 0xcd};
	struct strbuf sb = STRBUF_INIT;
	struct target *t1, *t2;
	char err[128];
	const char *p;

	bs_register(&fake_ops);
	node_id_set(id);
	assert_int_equal(
		target_create(1, "iqn.2026-11.org.tgtx:one", err, sizeof(err)),
		0);
	assert_int_equal(
		target_create(2, "iqn.2026-11.org.tgtx:two", err, sizeof(err)),
		0);
	t1 = target_find_tid(1);
	t2 = target_find_tid(2);
	assert_int_equal(scsi_lu_create(t1, 1, "fakemetrics", "/x", NULL, err,
					sizeof(err)),
			 0);
	assert_int_equal(scsi_lu_create(t2, 3, "fakemetrics", "/y", NULL, err,
					sizeof(err)),
			 0);
	lu_stats_account(
		(struct lu_stats *)scsi_lu_stats(scsi_lu_next(t2, NULL)),
		LU_OP_WRITE, 65536, false, 300000000);

	metrics_render(&sb);
	p = strbuf_str(&sb);
	check_structure(p);
	assert_non_null(strstr(p, "tgtx_info{version=\"\",node_id=\"abcd"));
	assert_non_null(strstr(p, "tgtx_target_sessions{target=\"iqn.2026-11."
				  "org.tgtx:two\"} 0\n"));
	assert_non_null(strstr(p, "tgtx_lun_bytes_total{target=\"iqn.2026-11."
				  "org.tgtx:two\",lun=\"3\",op=\"write\"} "
				  "65536\n"));
	assert_non_null(strstr(p, "tgtx_lun_latency_seconds_bucket{target=\""
				  "iqn.2026-11.org.tgtx:two\",lun=\"3\",op=\""
				  "write\",le=\"0.25\"} 0\n"));
	assert_non_null(strstr(p, "tgtx_lun_latency_seconds_bucket{target=\""
				  "iqn.2026-11.org.tgtx:two\",lun=\"3\",op=\""
				  "write\",le=\"0.5\"} 1\n"));
	assert_non_null(strstr(p, "# TYPE tgtx_fake_drops_total counter\n"));
	assert_non_null(strstr(p, "# TYPE tgtx_fake_used_bytes gauge\n"));
	/* both LUs' samples of one store family stay together */
	assert_non_null(strstr(
		p, "tgtx_fake_peer_lag_records{target=\"iqn.2026-11.org.tgtx:"
		   "one\",lun=\"1\",peer=\"1\"} 11\n"
		   "tgtx_fake_peer_lag_records{target=\"iqn.2026-11.org.tgtx:"
		   "two\",lun=\"3\",peer=\"0\"} 10\n"));
	strbuf_free(&sb);
	scsi_lu_destroy_all(t1);
	scsi_lu_destroy_all(t2);
	target_destroy_all();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
