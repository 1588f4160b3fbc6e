// SPDX-License-Identifier: GPL-2.0-or-later
/* Parameters of the scheme: the prime, the piece and share sizes. */
#include "xs_internal.h"

unsigned xs_prime_for(unsigned n)
{
	unsigned p;

	for (p = n < 2 ? 2 : n;; p++) {
		unsigned d;
		bool prime = true;

		for (d = 2; d * d <= p; d++) {
			if (p % d == 0) {
				prime = false;
				break;
			}
		}
		if (prime)
			return p;
	}
}

size_t xs_piece_size(unsigned n, size_t len)
{
	size_t npieces, payload, piece;

	if (n < XS_MIN_K || n > XS_MAX_N || len == 0 || len > XS_MAX_SECRET)
		return 0;
	npieces = xs_prime_for(n) - 1;
	/* the check travels inside the shared payload, after the secret */
	payload = len + XS_CHECK_SIZE;
	piece = (payload + npieces - 1) / npieces;
	return (piece + XS_PIECE_ALIGN - 1) / XS_PIECE_ALIGN * XS_PIECE_ALIGN;
}

size_t xs_share_size(unsigned n, size_t len)
{
	size_t piece = xs_piece_size(n, len);

	if (!piece)
		return 0;
	return XS_HDR_SIZE + (xs_prime_for(n) - 1) * piece;
}
