/* SPDX-License-Identifier: BSD-3-Clause
 * The client address pool: every usable address of p2s.address_pool
 * (network and broadcast addresses of each range excluded), one bit
 * each. Allocation is next-fit, so a released address is reused last
 * (a client that reconnects at once does not find its old address given
 * to someone else while its old tunnel is still being removed).
 */
#ifndef CP_POOL_H
#define CP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2sgw_types.h"

struct pool_range {
	uint32_t first, count;		/* usable addresses, host order */
	size_t base;			/* first bit in the map */
};

struct pool {
	struct pool_range *r;
	unsigned n_ranges;
	uint64_t *map;			/* 1: in use */
	size_t size;			/* usable addresses */
	size_t used;
	size_t cursor;			/* next bit to try */
};

/* From N prefixes (already validated not to overlap). -1 on ENOMEM. */
int pool_init(struct pool *p, const struct p2sgw_prefix4 *pfx, unsigned n);
void pool_fini(struct pool *p);
/* The address is one of the pool's usable addresses. */
bool pool_contains(const struct pool *p, uint32_t addr);
/* Mark ADDR used (a static tunnel's VIP). false if outside or taken. */
bool pool_take(struct pool *p, uint32_t addr);
/* Any free address, or 0 when the pool is exhausted. */
uint32_t pool_alloc(struct pool *p);
void pool_release(struct pool *p, uint32_t addr);
bool pool_in_use(const struct pool *p, uint32_t addr);

#endif /* CP_POOL_H */
