/* SPDX-License-Identifier: BSD-3-Clause
 * Classification of what each port receives. Every length is checked
 * before the bytes it covers are read; every packet ends in exactly one
 * place: an ESP burst, the host, a TX queue, or a named drop.
 */
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp.h"
#include "esp_wire.h"
#include "ip4.h"

/* Strip and check the Ethernet header. Returns the EtherType or 0 after
 * consuming M (ARP is handled here too). */
static inline uint16_t
l2_input(struct dp_worker *w, unsigned port, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	uint16_t type;

	if (unlikely(m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0)) {
		dp_drop(w, m, P2SGW_D_malformed);
		return 0;
	}
	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
		dp_drop(w, m, P2SGW_D_malformed);
		return 0;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	type = rte_be_to_cpu_16(eth->ether_type);
	if (type == RTE_ETHER_TYPE_ARP) {
		dp_arp_input(w, port, m);
		return 0;
	}
	if (unlikely(type != RTE_ETHER_TYPE_IPV4)) {
		dp_drop(w, m, P2SGW_D_unsupported);
		return 0;
	}
	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	m->l2_len = RTE_ETHER_HDR_LEN;
	return type;
}

/* UDP to the gateway: ESP-in-UDP on our NAT-T port is fast path; the
 * non-ESP marker (IKE) and everything else go to the host. Returns true
 * if M is ESP for the ESP burst. */
static inline bool
udp_input(struct dp_worker *w, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_data_len(m) - m->l3_len, ulen;
	const struct rte_udp_hdr *udp;
	const uint8_t *pl;

	if (unlikely(len < UDP_HDR_LEN)) {
		dp_drop(w, m, P2SGW_D_malformed);
		return false;
	}
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, m->l3_len);
	ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(ulen < UDP_HDR_LEN || ulen > len)) {
		dp_drop(w, m, P2SGW_D_malformed);
		return false;
	}
	if (udp->dst_port != rte_cpu_to_be_16(dp.natt_port)) {
		dp_to_host(w, m);	/* IKE on 500, other UDP */
		return false;
	}
	pl = (const uint8_t *)(udp + 1);
	ulen -= UDP_HDR_LEN;
	if (ulen == NATT_KEEPALIVE_LEN && pl[0] == NATT_KEEPALIVE_BYTE) {
		CNT_INC(w, natt_keepalive);
		rte_pktmbuf_free(m);
		return false;
	}
	if (ulen >= NATT_NON_ESP_MARKER_LEN &&
	    pl[0] == 0 && pl[1] == 0 && pl[2] == 0 && pl[3] == 0) {
		dp_to_host(w, m);	/* non-ESP marker: IKE (RFC 3948 s2.2) */
		return false;
	}
	m->l4_len = UDP_HDR_LEN;
	return true;
}

void
dp_rx_uplink(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dp_port *up = &dp.port[DP_PORT_UPLINK];
	struct rte_mbuf *esp[DP_BURST];
	uint16_t i, nesp = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ip;

		if (l2_input(w, DP_PORT_UPLINK, m) == 0)
			continue;
		ip = ip4_validate(m, true);
		if (unlikely(ip == NULL)) {
			dp_drop(w, m, P2SGW_D_malformed);
			continue;
		}
		if (ip->dst_addr != up->addr_be) {
			if (ip->dst_addr == dp.port[DP_PORT_VNET].addr_be)
				dp_to_host(w, m);
			else
				dp_drop(w, m, P2SGW_D_not_for_us);
			continue;
		}
		switch (ip->next_proto_id) {
		case IPPROTO_ESP_NUM:
			if (unlikely(ip4_is_fragment(ip))) {
				dp_drop(w, m, P2SGW_D_outer_fragment);
				continue;
			}
			m->l4_len = 0;
			esp[nesp++] = m;
			break;
		case IPPROTO_UDP:
			/* Only the first fragment has a UDP header: the host
			 * reassembles (IKE_AUTH with certificates is larger
			 * than most path MTUs). */
			if (unlikely(ip4_is_fragment(ip))) {
				dp_to_host(w, m);
				continue;
			}
			if (udp_input(w, m))
				esp[nesp++] = m;
			break;
		default:
			dp_to_host(w, m);	/* ICMP, TCP 443, ... */
			break;
		}
	}
	if (nesp > 0)
		dp_esp_in(w, esp, nesp);
}

void
dp_rx_vnet(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dp_port *vn = &dp.port[DP_PORT_VNET];
	struct p2sgw_sa *sas[DP_BURST];
	struct rte_mbuf *out[DP_BURST];
	uint16_t i, nout = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ip;
		uint32_t dst;
		void *sa;

		if (l2_input(w, DP_PORT_VNET, m) == 0)
			continue;
		ip = ip4_validate(m, true);
		if (unlikely(ip == NULL)) {
			dp_drop(w, m, P2SGW_D_malformed);
			continue;
		}
		if (ip->dst_addr == vn->addr_be ||
		    ip->dst_addr == dp.port[DP_PORT_UPLINK].addr_be) {
			dp_to_host(w, m);
			continue;
		}
		dst = rte_be_to_cpu_32(ip->dst_addr);
		if (rte_hash_lookup_data(w->tab.by_vip, &dst, &sa) < 0) {
			dp_drop(w, m, P2SGW_D_no_route);
			continue;
		}
		if (unlikely(!ip4_ttl_dec(ip))) {
			dp_drop(w, m, P2SGW_D_ttl);
			continue;
		}
		sas[nout] = sa;
		out[nout++] = m;
	}
	if (nout > 0)
		dp_esp_out(w, out, sas, nout);
}

/* From the host kernel (TUN): plain IPv4 packets the gateway itself sends,
 * e.g. IKE responses and ICMP replies. Those for a client's VIP go through
 * its tunnel; the rest are routed like any other. */
void
dp_rx_host(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct p2sgw_sa *sas[DP_BURST];
	struct rte_mbuf *out[DP_BURST];
	uint16_t i, nout = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ipv4_hdr *ip;
		uint32_t nh, dst;
		unsigned port;
		void *sa;

		if (unlikely(m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0)) {
			dp_drop(w, m, P2SGW_D_malformed);
			continue;
		}
		ip = ip4_validate(m, false);
		if (unlikely(ip == NULL)) {
			dp_drop(w, m, P2SGW_D_unsupported);	/* IPv6 etc. */
			continue;
		}
		CNT_INC(w, from_host);
		dst = rte_be_to_cpu_32(ip->dst_addr);
		if (rte_hash_lookup_data(w->tab.by_vip, &dst, &sa) >= 0) {
			sas[nout] = sa;
			out[nout++] = m;
			continue;
		}
		port = dp_route(dst, &nh);
		if (unlikely(port == DP_PORT_NONE)) {
			dp_drop(w, m, P2SGW_D_no_route);
			continue;
		}
		dp_ip_output(w, port, m, nh);
	}
	if (nout > 0)
		dp_esp_out(w, out, sas, nout);
}
