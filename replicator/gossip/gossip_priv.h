/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between the gossip state machine and its persistence (gossip_state.c). */
#ifndef TGTX_GOSSIP_PRIV_H
#define TGTX_GOSSIP_PRIV_H

#include "gossip.h"

void gossip_mark_clean(struct gossip *g);
/* max_tables of g: bounds what a state file may hold */
uint32_t gossip_max_tables(const struct gossip *g);

#endif
