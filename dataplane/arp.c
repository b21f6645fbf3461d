/* SPDX-License-Identifier: BSD-3-Clause
 * ARP (RFC 826) on the uplink and vnet ports: answer for the gateway's
 * address, learn from requests and replies addressed to it, and send
 * requests for next hops.
 */
#include <rte_arp.h>
#include <rte_ether.h>

#include "dp.h"

enum { ARP_FRAME_LEN = RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr) };

void
dp_arp_input(struct dp_worker *w, unsigned port, struct rte_mbuf *m)
{
	struct dp_port *p = &dp.port[port];
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	uint32_t sip, tip;

	CNT_INC(w, arp_in);
	if (unlikely(rte_pktmbuf_data_len(m) < ARP_FRAME_LEN)) {
		dp_drop(w, m, P2SGW_D_malformed);
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	arp = (struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4) {
		dp_drop(w, m, P2SGW_D_malformed);
		return;
	}
	sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
	if (tip != p->addr || sip == 0) {
		rte_pktmbuf_free(m);	/* not for us: nothing to count */
		return;
	}
	neigh_update(p->neigh, sip, &arp->arp_data.arp_sha, w->now);
	if (arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST)) {
		rte_pktmbuf_free(m);
		return;
	}
	/* Turn the request into our reply in place. */
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &arp->arp_data.arp_tha);
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	rte_ether_addr_copy(&p->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = p->addr_be;
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - ARP_FRAME_LEN);
	CNT_INC(w, arp_out);
	dp_tx(w, port, m);
}

void
dp_arp_request(struct dp_worker *w, unsigned port, uint32_t target)
{
	struct dp_port *p = &dp.port[port];
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(dp.pool);
	if (unlikely(m == NULL)) {
		DROP_INC(w, no_mbuf);
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, ARP_FRAME_LEN);
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&p->mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&p->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = p->addr_be;
	memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	arp->arp_data.arp_tip = rte_cpu_to_be_32(target);
	CNT_INC(w, arp_out);
	dp_tx(w, port, m);
}
