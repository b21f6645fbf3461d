/* SPDX-License-Identifier: BSD-3-Clause
 * The dataplane's shared state (read-only once workers run) and the
 * per-worker context. Included by every file of the packet path.
 */
#ifndef P2SGW_DP_H
#define P2SGW_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "channel.h"
#include "config.h"
#include "counters.h"
#include "crypto.h"
#include "neigh.h"
#include "sa.h"

enum {
	DP_BURST = 32,
	DP_TXQ_MAX = 2 * DP_BURST,
	DP_HANDOFF_RING = 1024,
	DP_PORT_UPLINK = 0,
	DP_PORT_VNET = 1,
	DP_PORT_HOST = 2,		/* exception (TUN) */
	DP_NPORTS = 3,
	DP_PORT_NONE = UINT16_MAX,
};

struct dp_port {
	uint16_t port_id;		/* DPDK port id, DP_PORT_NONE if absent */
	uint16_t mtu;
	uint32_t addr;			/* host order */
	rte_be32_t addr_be;
	uint32_t mask;
	uint32_t gateway;		/* host order, 0 = none */
	struct rte_ether_addr mac;
	struct neigh_table *neigh;
	char name[P2SGW_CFG_NAME_LEN];
};

struct dp_worker;

struct dp_global {
	struct dp_port port[DP_NPORTS];
	struct rte_mempool *pool;
	struct rte_lpm *allowed;	/* p2s.routes: inner destinations */
	uint8_t ttl;
	uint8_t df_mode;		/* enum p2sgw_df_mode */
	uint16_t natt_port;		/* our UDP encapsulation port */
	unsigned n_workers;
	struct dp_worker *workers[RTE_MAX_LCORE];
	uint64_t tsc_hz;
	uint64_t start_tsc;
	struct p2sgw_chan chan;		/* shared with the control plane */
	uint64_t table_bytes;		/* all workers' lookup tables */
	volatile bool stop;
};

extern struct dp_global dp;

struct dp_txq {
	uint16_t n;
	struct rte_mbuf *pkts[DP_TXQ_MAX];
};

/* A packet waiting for its next hop's ARP reply (one per neighbour, as a
 * host holds the first packet to a new neighbour rather than drop it). */
enum { DP_ARP_HOLD = 16 };
struct dp_arp_hold {
	struct rte_mbuf *m;		/* at its IPv4 header */
	uint32_t nexthop;
	uint16_t port;
	uint64_t since;			/* TSC */
};

struct dp_worker {
	uint16_t idx;			/* 0..n_workers-1, also the SA owner id */
	uint16_t lcore;
	uint16_t queue;			/* RX/TX queue on every port */
	uint16_t ip_id;
	IMB_MGR *mb;
	struct sa_tables tab;
	struct rte_ring *handoff;	/* packets other workers pass to us */
	struct p2sgw_ring *msg_ring;	/* control -> this worker */
	struct p2sgw_ring *ev_ring;	/* this worker -> control */
	struct p2sgw_counters *cnt;	/* ours, in the channel region */
	uint64_t now;			/* TSC at the start of this burst */
	uint64_t now_ns;		/* channel clock (CLOCK_MONOTONIC) */
	uint64_t icmp_ts;		/* ICMP error token bucket */
	unsigned n_hold;
	struct dp_arp_hold hold[DP_ARP_HOLD];
	struct dp_txq tx[DP_NPORTS];
} __rte_cache_aligned;

/* fwd.c: output and routing */
void dp_tx_flush(struct dp_worker *w);
void dp_tx(struct dp_worker *w, unsigned port, struct rte_mbuf *m);
void dp_ip_output(struct dp_worker *w, unsigned port, struct rte_mbuf *m,
		  uint32_t nexthop);
unsigned dp_route(uint32_t dst, uint32_t *nexthop);
/* Send the held packets whose neighbour is resolved, drop those held
 * over a second (arp_unresolved). */
void dp_arp_hold_poll(struct dp_worker *w);
void dp_to_host(struct dp_worker *w, struct rte_mbuf *m);
void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum p2sgw_drop why);
void dp_handoff(struct dp_worker *w, struct p2sgw_sa *sa, struct rte_mbuf *m);

/* arp.c */
void dp_arp_input(struct dp_worker *w, unsigned port, struct rte_mbuf *m);
void dp_arp_request(struct dp_worker *w, unsigned port, uint32_t target);

/* rx.c: classification per input port */
void dp_rx_uplink(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
void dp_rx_vnet(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
void dp_rx_host(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* esp_in.c / esp_out.c: ESP on bursts. Packets start at the outer IPv4
 * header (esp_in, l3_len/l4 offsets in the mbuf) or at the inner IPv4
 * header (esp_out). Both consume every packet (forward or drop). */
void dp_esp_in(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
void dp_esp_out(struct dp_worker *w, struct rte_mbuf **pkts,
		struct p2sgw_sa **sas, uint16_t n);

/* chan.c: the control plane's messages and SA lifetimes */
void dp_chan_poll(struct dp_worker *w);
void dp_sa_lifetime(struct dp_worker *w, struct p2sgw_sa *sa);
void dp_nat_mapping(struct dp_worker *w, struct p2sgw_sa *sa, uint32_t addr_be,
		    uint16_t port_be);

/* Count a packet on SA (its owner only) and act on lifetimes: every 64th
 * packet for the byte/packet limits, and when a time limit is due. */
static inline void
dp_sa_account(struct dp_worker *w, struct p2sgw_sa *sa, uint32_t bytes)
{
	sa->st.packets++;
	sa->st.bytes += bytes;
	sa->st.last_ns = w->now_ns;
	if (unlikely((sa->st.packets & 63) == 1 ||
		     w->now_ns >= sa->st.deadline_ns))
		dp_sa_lifetime(w, sa);
}

/* The expanded key of SA into the cache (16 lines for AES-GCM with the
 * VAES hash key powers): issued one packet ahead, so that with many
 * tunnels the next packet's key arrives while this one is encrypted.
 * Only for large packets (DP_PREFETCH_KEY_MIN bytes of payload and up),
 * which use every hash key power: for small ones the whole key costs more
 * cache than the few lines they need (measured: 64 B decap at 100,000
 * tunnels lost 15-20 % with it, 1400 B encap gained 8-10 %). */
enum { DP_PREFETCH_KEY_MIN = 512 };
static inline void
dp_sa_prefetch_key(const struct p2sgw_sa *sa)
{
	const char *k = (const char *)&sa->key;

	for (size_t off = 0; off < sizeof(sa->key); off += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(k + off);
}

/* icmp.c */
void dp_icmp_frag_needed(struct dp_worker *w, struct rte_mbuf *m,
			 uint16_t mtu);

/* worker.c */
int dp_worker_main(void *arg);
int dp_worker_main_launch(void *arg);

#endif /* P2SGW_DP_H */
