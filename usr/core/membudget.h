/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon-wide memory budget: every byte a peer can make the daemon
 * hold (queued output, data buffers, parked commands, text) is charged to
 * the account of whoever caused it and to one global total. Charging never
 * fails (the memory exists already); callers ask mb_fits() before they
 * allocate something optional and stop reading from a peer whose account
 * is over its share, so usage stays near the budget instead of growing.
 */
#ifndef TGTX_MEMBUDGET_H
#define TGTX_MEMBUDGET_H

#include <stdbool.h>
#include <stddef.h>

struct mb_account {
	size_t used;
};

/* 0 selects the default (a fraction of physical memory). */
void mb_set_budget(size_t bytes);
size_t mb_budget(void);
size_t mb_used(void);
/* Default budget: RAM / 8, within [64 MiB, 4 GiB]. */
size_t mb_default_budget(void);
void mb_charge(struct mb_account *a, size_t n);
void mb_uncharge(struct mb_account *a, size_t n);
/* n more bytes keep a within share and the total within the budget. */
bool mb_fits(const struct mb_account *a, size_t n, size_t share);
bool mb_over(void);
/*
 * Memory was given back (a peer went away): return freed heap pages to
 * the kernel once enough has been freed, so RSS follows usage down.
 */
void mb_released(size_t n);
/* "64M", "1G", "1048576": 0 or -EINVAL. */
int mb_parse_size(const char *s, size_t *out);

#endif
