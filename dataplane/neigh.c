/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_jhash.h>
#include <rte_malloc.h>

#include "neigh.h"

#define NEIGH_VALID (UINT64_C(1) << 63)
#define NEIGH_PROBES 16			/* slots probed before giving up */

struct neigh_table *
neigh_create(const char *name, uint32_t slots, uint64_t ageing,
	     uint64_t grace, uint64_t retry, int socket)
{
	struct neigh_table *t;
	uint32_t n = 1;

	while (n < slots)
		n <<= 1;
	t = rte_zmalloc_socket(name, sizeof(*t) + n * sizeof(t->e[0]),
			       RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		return NULL;
	t->mask = n - 1;
	t->ageing = ageing;
	t->grace = grace;
	t->retry = retry;
	return t;
}

void
neigh_free(struct neigh_table *t)
{
	rte_free(t);
}

static inline uint32_t
slot_of(const struct neigh_table *t, uint32_t ip)
{
	return rte_jhash_1word(ip, 0x9e3779b9) & t->mask;
}

/* Find IP's slot; with CLAIM, take a free slot for it. NULL if absent
 * (or, with CLAIM, if the neighbourhood is full). */
static struct neigh_entry *
find(struct neigh_table *t, uint32_t ip, bool claim)
{
	uint32_t s = slot_of(t, ip), i;

	for (i = 0; i < NEIGH_PROBES; i++) {
		struct neigh_entry *e = &t->e[(s + i) & t->mask];
		uint32_t cur = __atomic_load_n(&e->ip, __ATOMIC_ACQUIRE);

		if (cur == ip)
			return e;
		if (cur != 0)
			continue;
		if (!claim)
			return NULL;
		if (__atomic_compare_exchange_n(&e->ip, &cur, ip, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) || cur == ip)
			return e;
	}
	return NULL;
}

static inline uint64_t
mac_pack(const struct rte_ether_addr *m)
{
	uint64_t v = 0;

	memcpy(&v, m->addr_bytes, RTE_ETHER_ADDR_LEN);
	return v | NEIGH_VALID;
}

enum neigh_state
neigh_lookup(struct neigh_table *t, uint32_t ip, uint64_t now,
	     struct rte_ether_addr *mac)
{
	struct neigh_entry *e = find(t, ip, false);
	uint64_t m, age;

	if (e == NULL)
		return NEIGH_NONE;
	m = __atomic_load_n(&e->mac, __ATOMIC_ACQUIRE);
	if (!(m & NEIGH_VALID))
		return NEIGH_NONE;
	age = now - __atomic_load_n(&e->confirmed, __ATOMIC_RELAXED);
	if (age > t->ageing + t->grace)
		return NEIGH_NONE;
	memcpy(mac->addr_bytes, &m, RTE_ETHER_ADDR_LEN);
	return age > t->ageing ? NEIGH_STALE : NEIGH_OK;
}

void
neigh_update(struct neigh_table *t, uint32_t ip,
	     const struct rte_ether_addr *mac, uint64_t now)
{
	struct neigh_entry *e = find(t, ip, true);

	if (e == NULL)
		return;
	__atomic_store_n(&e->confirmed, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->mac, mac_pack(mac), __ATOMIC_RELEASE);
}

bool
neigh_should_request(struct neigh_table *t, uint32_t ip, uint64_t now)
{
	struct neigh_entry *e = find(t, ip, true);
	uint64_t last;

	if (e == NULL)
		return false;
	last = __atomic_load_n(&e->requested, __ATOMIC_RELAXED);
	if (last != 0 && now - last < t->retry)
		return false;
	/* One worker wins the right to send this round's request. */
	return __atomic_compare_exchange_n(&e->requested, &last, now, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}
