// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The share-location table's transport numbers (TLS 0, IPSEC 1, PLAIN 2)
 * against the peer layer's (PLAIN 0, IPSEC 1, TLS 2): a table saying tls
 * must give a TLS peer, never a clear-text one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "replicator/gossip/slt.h"
#include "replicator/peer.h"

static void test_from_slt(void **state)
{
	(void)state;
	assert_int_equal(peer_transport_from_slt(SLT_TRANSPORT_TLS),
			 PEER_TRANSPORT_TLS);
	assert_int_equal(peer_transport_from_slt(SLT_TRANSPORT_IPSEC),
			 PEER_TRANSPORT_IPSEC);
	assert_int_equal(peer_transport_from_slt(SLT_TRANSPORT_PLAIN),
			 PEER_TRANSPORT_PLAIN);
	/* the wire values themselves, so a renumbering is caught too */
	assert_int_equal(peer_transport_from_slt(0), PEER_TRANSPORT_TLS);
	assert_int_equal(peer_transport_from_slt(2), PEER_TRANSPORT_PLAIN);
	assert_string_equal(peer_transport_name(peer_transport_from_slt(0)),
			    "tls");
	assert_string_equal(slt_transport_name(SLT_TRANSPORT_TLS), "tls");
	assert_int_equal(peer_transport_from_slt(SLT_TRANSPORT_MAX + 1),
			 -EINVAL);
	assert_int_equal(peer_transport_from_slt(255), -EINVAL);
}

static void test_round_trip(void **state)
{
	(void)state;
	for (int t = PEER_TRANSPORT_PLAIN; t <= PEER_TRANSPORT_TLS; t++) {
		int s = peer_transport_to_slt(t);

		assert_true(s >= 0 && s <= SLT_TRANSPORT_MAX);
		assert_string_equal(slt_transport_name((uint8_t)s),
				    peer_transport_name(t));
		assert_int_equal(peer_transport_from_slt((unsigned)s), t);
	}
	assert_int_equal(peer_transport_to_slt(PEER_TRANSPORT_TLS), 0);
	assert_int_equal(peer_transport_to_slt(PEER_TRANSPORT_PLAIN), 2);
	assert_int_equal(peer_transport_to_slt(3), -EINVAL);
	assert_int_equal(peer_transport_to_slt(-1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_slt),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
