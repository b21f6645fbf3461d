/* SPDX-License-Identifier: BSD-3-Clause
 * Neighbour (ARP) table of one port, shared by all workers without locks.
 *
 * Open addressing over a fixed array. A slot is claimed once with a CAS on
 * its address and never freed; its MAC and timestamps are single 64-bit
 * words written atomically, so a reader sees either the old or the new
 * value, never a torn one. Entries age: after `ageing` seconds without
 * confirmation a packet still uses the MAC but triggers a new request;
 * after ageing + grace the entry counts as unresolved.
 */
#ifndef P2SGW_NEIGH_H
#define P2SGW_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

struct neigh_entry {
	uint32_t ip;			/* host order, 0 = free slot */
	uint32_t pad;
	uint64_t mac;			/* 48-bit MAC | NEIGH_VALID */
	uint64_t confirmed;		/* TSC of the last reply */
	uint64_t requested;		/* TSC of the last request we sent */
};

struct neigh_table {
	uint32_t mask;			/* slots - 1 */
	uint64_t ageing;		/* TSC ticks */
	uint64_t grace;
	uint64_t retry;			/* min ticks between requests */
	struct neigh_entry e[];
};

enum neigh_state {
	NEIGH_OK = 0,
	NEIGH_STALE,			/* usable, but ask again */
	NEIGH_NONE,			/* unresolved */
};

struct neigh_table *neigh_create(const char *name, uint32_t slots,
				 uint64_t ageing, uint64_t grace, uint64_t retry,
				 int socket);
void neigh_free(struct neigh_table *t);

/* Look up IP; fills MAC when usable. */
enum neigh_state neigh_lookup(struct neigh_table *t, uint32_t ip,
			      uint64_t now, struct rte_ether_addr *mac);
/* Record a confirmed MAC for IP (from an ARP packet). */
void neigh_update(struct neigh_table *t, uint32_t ip,
		  const struct rte_ether_addr *mac, uint64_t now);
/* True if the caller should send a request now (rate limit per entry). */
bool neigh_should_request(struct neigh_table *t, uint32_t ip, uint64_t now);

#endif /* P2SGW_NEIGH_H */
