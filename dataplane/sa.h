/* SPDX-License-Identifier: BSD-3-Clause
 * How workers find and own SAs. The SA records themselves live in the
 * channel region (common/channel.h), filled by the control plane.
 *
 * Lookups are per worker: SPI -> inbound SA and VIP -> outbound SA. Each
 * worker is the only writer of its own tables (it applies the control
 * plane's messages from its own loop), so they need no locks.
 *
 * Mutable SA state (outbound sequence number, replay window, counters) has
 * one writer: the worker that owns the SA. A worker claims an unowned SA
 * with one compare-and-swap the first time it sees a packet for it; other
 * workers hand such packets to the owner (as VPP does), so no per-packet
 * atomics are needed and a sequence number is never issued twice.
 */
#ifndef P2SGW_SA_H
#define P2SGW_SA_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>

#include "channel.h"

/* Claim the SA for worker SELF if nobody owns it; true if SELF owns it. */
static inline bool
sa_owned_by(struct p2sgw_sa *sa, uint16_t self)
{
	uint16_t owner = __atomic_load_n(&sa->owner, __ATOMIC_ACQUIRE);

	if (likely(owner == self))
		return true;
	if (owner != P2SGW_SA_OWNER_NONE)
		return false;
	return __atomic_compare_exchange_n(&sa->owner, &owner, self, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
	       owner == self;
}

/* Per-worker lookup tables. */
struct sa_tables {
	struct rte_hash *by_spi;	/* spi (host order) -> inbound SA */
	struct rte_hash *by_vip;	/* vip (host order) -> outbound SA */
};

int sa_tables_init(struct sa_tables *t, const char *name, unsigned socket,
		   uint32_t spi_capacity, uint32_t vip_capacity);
void sa_tables_free(struct sa_tables *t);
int sa_tables_add_in(struct sa_tables *t, struct p2sgw_sa *sa);
/* Remove SPI only if it still maps to SA (a replacement may own it now). */
void sa_tables_del_in(struct sa_tables *t, const struct p2sgw_sa *sa);
int sa_tables_set_out(struct sa_tables *t, uint32_t vip, struct p2sgw_sa *sa);
void sa_tables_del_out(struct sa_tables *t, uint32_t vip);
void sa_tables_reset(struct sa_tables *t);

#endif /* P2SGW_SA_H */
