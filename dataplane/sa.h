/* SPDX-License-Identifier: BSD-3-Clause
 * Security associations and tunnels as the workers see them.
 *
 * An SA is created once (keys expanded once, in memory every worker can
 * read) and then looked up through per-worker tables: SPI -> inbound SA,
 * VIP -> tunnel -> outbound SA. Each worker is the only writer of its own
 * tables, so they need no locks; the control channel applies add/delete
 * messages to each worker's tables from that worker's own loop.
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

#include <rte_byteorder.h>
#include <rte_common.h>

#include "crypto.h"
#include "replay.h"

enum sa_dir { SA_DIR_IN = 0, SA_DIR_OUT = 1 };

enum {
	SA_F_ESN = 1u << 0,
	SA_F_ENCAP = 1u << 1,	/* ESP in UDP (RFC 3948) */
	SA_OWNER_NONE = UINT16_MAX,
};

struct sa_params {
	uint32_t spi;
	enum sa_dir dir;
	enum p2sgw_suite suite;
	const uint8_t *key;		/* GCM: key||salt; CBC: AES key */
	size_t key_len;
	const uint8_t *auth_key;
	size_t auth_key_len;
	bool esn;
	bool encap;
	uint32_t peer;			/* host order */
	uint32_t local;
	uint16_t encap_peer_port;	/* the client's UDP port */
	uint16_t encap_local_port;	/* ours, 4500 */
	uint32_t replay_window;
	uint32_t vip;			/* inbound: required inner source */
	uint32_t tunnel_id;
};

struct p2sgw_sa {
	/* Read-only after creation. */
	uint32_t spi;
	uint8_t dir;
	uint8_t suite;
	uint8_t icv_len;
	uint8_t iv_len;
	uint8_t block_len;
	uint8_t flags;
	uint16_t owner;			/* claimed with CAS, then fixed */
	rte_be32_t spi_be;
	rte_be32_t peer_be;
	rte_be32_t local_be;
	rte_be16_t encap_peer_port_be;
	rte_be16_t encap_local_port_be;
	uint32_t vip;			/* host order */
	uint32_t tunnel_id;
	uint32_t nexthop;		/* outbound: uplink next hop to peer */
	uint64_t seq_last;		/* last sequence number we may send */
	const struct p2sgw_crypto_key *key;

	/* Written by the owning worker only. */
	struct {
		uint64_t seq;		/* outbound: last sent */
		uint64_t packets;
		uint64_t bytes;
		uint64_t last_tsc;	/* last packet, for idle detection */
	} st __rte_cache_aligned;
	struct replay_window replay;	/* inbound only; sized at creation */
};

struct p2sgw_tunnel {
	uint32_t id;
	uint32_t vip;
	struct p2sgw_sa *sa_in;
	struct p2sgw_sa *sa_out;
};

/* Create an SA: allocates it and its expanded key in shared memory.
 * Returns NULL with *why set on failure. */
struct p2sgw_sa *sa_create(IMB_MGR *mgr, const struct sa_params *p,
			   const char **why);
/* Wipe the key and free. Only once no worker can reach the SA. */
void sa_destroy(struct p2sgw_sa *sa);

/* Claim the SA for worker SELF if nobody owns it; true if SELF owns it. */
static inline bool
sa_owned_by(struct p2sgw_sa *sa, uint16_t self)
{
	uint16_t owner = __atomic_load_n(&sa->owner, __ATOMIC_ACQUIRE);

	if (likely(owner == self))
		return true;
	if (owner != SA_OWNER_NONE)
		return false;
	return __atomic_compare_exchange_n(&sa->owner, &owner, self, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
	       owner == self;
}

/* Per-worker lookup tables. */
struct sa_tables {
	struct rte_hash *by_spi;	/* spi (host order) -> inbound SA */
	struct rte_hash *by_vip;	/* vip (host order) -> tunnel */
};

int sa_tables_init(struct sa_tables *t, const char *name, unsigned socket,
		   uint32_t capacity);
void sa_tables_free(struct sa_tables *t);
int sa_tables_add_tunnel(struct sa_tables *t, struct p2sgw_tunnel *tun);
int sa_tables_del_tunnel(struct sa_tables *t, const struct p2sgw_tunnel *tun);

#endif /* P2SGW_SA_H */
