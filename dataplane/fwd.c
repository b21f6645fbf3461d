/* SPDX-License-Identifier: BSD-3-Clause
 * Output: routing decisions, next-hop resolution, per-worker TX buffers,
 * the host (exception) path and hand-off to the worker owning an SA.
 */
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lpm.h>
#include <rte_ring.h>

#include "dp.h"

void
dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum p2sgw_drop why)
{
	w->cnt->d[why]++;
	rte_pktmbuf_free(m);
}

static void
txq_flush(struct dp_worker *w, unsigned port)
{
	struct dp_txq *q = &w->tx[port];
	uint16_t sent;

	if (q->n == 0)
		return;
	sent = rte_eth_tx_burst(dp.port[port].port_id, w->queue, q->pkts, q->n);
	CNT_ADD(w, tx_packets, sent);
	if (unlikely(sent < q->n)) {
		w->cnt->d[P2SGW_D_tx_full] += q->n - sent;
		rte_pktmbuf_free_bulk(&q->pkts[sent], q->n - sent);
	}
	q->n = 0;
}

void
dp_tx_flush(struct dp_worker *w)
{
	unsigned p;

	for (p = 0; p < DP_NPORTS; p++)
		txq_flush(w, p);
}

void
dp_tx(struct dp_worker *w, unsigned port, struct rte_mbuf *m)
{
	struct dp_txq *q = &w->tx[port];

	if (unlikely(q->n == DP_TXQ_MAX))
		txq_flush(w, port);
	q->pkts[q->n++] = m;
}

/* Which port reaches DST, and through which next hop. Only the gateway's
 * own subnets, the protected prefixes and the uplink default are known:
 * p2sgw is a VPN gateway, not a general router. */
unsigned
dp_route(uint32_t dst, uint32_t *nexthop)
{
	const struct dp_port *vn = &dp.port[DP_PORT_VNET];
	const struct dp_port *up = &dp.port[DP_PORT_UPLINK];
	uint32_t hop;

	if ((dst & vn->mask) == (vn->addr & vn->mask)) {
		*nexthop = dst;
		return DP_PORT_VNET;
	}
	if ((dst & up->mask) == (up->addr & up->mask)) {
		*nexthop = dst;
		return DP_PORT_UPLINK;
	}
	if (rte_lpm_lookup(dp.allowed, dst, &hop) == 0) {
		*nexthop = vn->gateway;
		return vn->gateway ? DP_PORT_VNET : DP_PORT_NONE;
	}
	*nexthop = up->gateway;
	return up->gateway ? DP_PORT_UPLINK : DP_PORT_NONE;
}

/* Keep M until NEXTHOP on PORT resolves: the newest packet per
 * neighbour (an older one is dropped), DP_ARP_HOLD neighbours at most. */
static void
arp_hold(struct dp_worker *w, unsigned port, struct rte_mbuf *m,
	 uint32_t nexthop)
{
	struct dp_arp_hold *h;

	for (unsigned i = 0; i < w->n_hold; i++) {
		h = &w->hold[i];
		if (h->nexthop == nexthop && h->port == port) {
			dp_drop(w, h->m, P2SGW_D_arp_unresolved);
			h->m = m;
			return;
		}
	}
	if (w->n_hold == DP_ARP_HOLD) {
		dp_drop(w, m, P2SGW_D_arp_unresolved);
		return;
	}
	w->hold[w->n_hold++] = (struct dp_arp_hold){ .m = m,
		.nexthop = nexthop, .port = (uint16_t)port, .since = w->now };
}

void
dp_arp_hold_poll(struct dp_worker *w)
{
	uint64_t limit = rte_get_tsc_hz();
	struct rte_ether_addr mac;

	for (unsigned i = 0; i < w->n_hold;) {
		struct dp_arp_hold h = w->hold[i];

		if (neigh_lookup(dp.port[h.port].neigh, h.nexthop, w->now, &mac) ==
		    NEIGH_NONE && w->now - h.since < limit) {
			i++;
			continue;
		}
		w->hold[i] = w->hold[--w->n_hold];
		if (w->now - h.since >= limit &&
		    neigh_lookup(dp.port[h.port].neigh, h.nexthop, w->now,
				 &mac) == NEIGH_NONE)
			dp_drop(w, h.m, P2SGW_D_arp_unresolved);
		else
			dp_ip_output(w, h.port, h.m, h.nexthop);
	}
}

/* M starts at its IPv4 header: add the Ethernet header for NEXTHOP on
 * PORT and queue it, or hold it while the neighbour is being resolved. */
void
dp_ip_output(struct dp_worker *w, unsigned port, struct rte_mbuf *m,
	     uint32_t nexthop)
{
	struct dp_port *p = &dp.port[port];
	struct rte_ether_hdr *eth;
	struct rte_ether_addr mac;
	enum neigh_state st;

	st = neigh_lookup(p->neigh, nexthop, w->now, &mac);
	if (unlikely(st != NEIGH_OK)) {
		if (neigh_should_request(p->neigh, nexthop, w->now))
			dp_arp_request(w, port, nexthop);
		if (st == NEIGH_NONE) {
			arp_hold(w, port, m, nexthop);
			return;
		}
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
	if (unlikely(eth == NULL)) {
		dp_drop(w, m, P2SGW_D_no_mbuf);
		return;
	}
	rte_ether_addr_copy(&mac, &eth->dst_addr);
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	m->l2_len = RTE_ETHER_HDR_LEN;
	dp_tx(w, port, m);
}

/* A datagram above the exception interface's MTU: a port that
 * reassembles in its kernel (af_packet) hands over whole datagrams, e.g.
 * an IKE_AUTH with certificates, and the TAP PMD refuses to write frames
 * above the MTU. Fragment again; the host reassembles. */
static void
to_host_fragmented(struct dp_worker *w, struct rte_mbuf *m, uint16_t mtu)
{
	struct rte_mbuf *frags[8];
	struct rte_ipv4_hdr *ip;
	int32_t n, i;

	n = rte_ipv4_fragment_packet(m, frags, RTE_DIM(frags), mtu, dp.pool,
				     dp.pool);
	rte_pktmbuf_free(m);
	if (n <= 0) {
		DROP_INC(w, frag_failed);
		return;
	}
	for (i = 0; i < n; i++) {
		if (rte_pktmbuf_linearize(frags[i]) != 0) {
			rte_pktmbuf_free_bulk(frags + i, (unsigned)(n - i));
			DROP_INC(w, frag_failed);
			return;
		}
		ip = rte_pktmbuf_mtod(frags[i], struct rte_ipv4_hdr *);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		frags[i]->l3_len = sizeof(*ip);
		CNT_INC(w, frag_out);
		CNT_INC(w, to_host);
		dp_tx(w, DP_PORT_HOST, frags[i]);
	}
}

/* M starts at its IPv4 header. */
void
dp_to_host(struct dp_worker *w, struct rte_mbuf *m)
{
	uint16_t mtu = dp.port[DP_PORT_UPLINK].mtu;

	if (unlikely(dp.port[DP_PORT_HOST].port_id == DP_PORT_NONE)) {
		dp_drop(w, m, P2SGW_D_exception_full);
		return;
	}
	if (unlikely(rte_pktmbuf_pkt_len(m) > mtu)) {
		to_host_fragmented(w, m, mtu);
		return;
	}
	CNT_INC(w, to_host);
	dp_tx(w, DP_PORT_HOST, m);
}

/* Give M to the worker owning SA. M's Ethernet header was only skipped,
 * so restore it and let the owner classify the packet again. */
void
dp_handoff(struct dp_worker *w, struct p2sgw_sa *sa, struct rte_mbuf *m)
{
	struct dp_worker *owner = dp.workers[sa->owner];

	rte_pktmbuf_prepend(m, m->l2_len);
	if (unlikely(rte_ring_mp_enqueue(owner->handoff, m) != 0)) {
		dp_drop(w, m, P2SGW_D_handoff_full);
		return;
	}
	CNT_INC(w, handoff);
}
