/* SPDX-License-Identifier: BSD-3-Clause
 * ICMP errors the gateway originates: "fragmentation needed" (RFC 792,
 * RFC 1191) for DF packets that do not fit the tunnel. Rate-limited per
 * worker with a token bucket, as routers do (RFC 1812 s4.3.2.8).
 */
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dp.h"

enum {
	ICMP_RATE = 100,		/* per second per worker */
	ICMP_BURST = 20,
	ICMP_QUOTE = 8,			/* payload bytes quoted after the header */
};

static bool
icmp_allowed(struct dp_worker *w)
{
	uint64_t per = dp.tsc_hz / ICMP_RATE, ts = w->icmp_ts;

	if (ts + per * ICMP_BURST < w->now)
		ts = w->now - per * ICMP_BURST;
	if (ts + per > w->now)
		return false;
	w->icmp_ts = ts + per;
	return true;
}

/* M is the offending packet from the vnet, at its IPv4 header. M is
 * always consumed. */
void
dp_icmp_frag_needed(struct dp_worker *w, struct rte_mbuf *m, uint16_t mtu)
{
	const struct rte_ipv4_hdr *orig = rte_pktmbuf_mtod(m, void *);
	uint32_t quote = RTE_MIN(rte_pktmbuf_data_len(m),
				 (uint32_t)m->l3_len + ICMP_QUOTE);
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *ic;
	struct rte_mbuf *r;
	uint32_t nh, dst = rte_be_to_cpu_32(orig->src_addr);
	unsigned port;

	port = dp_route(dst, &nh);
	if (port == DP_PORT_NONE || !icmp_allowed(w) ||
	    (r = rte_pktmbuf_alloc(dp.pool)) == NULL) {
		dp_drop(w, m, P2SGW_D_too_big);
		return;
	}
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(r,
			sizeof(*ip) + sizeof(*ic) + quote);
	if (unlikely(ip == NULL)) {
		rte_pktmbuf_free(r);
		dp_drop(w, m, P2SGW_D_too_big);
		return;
	}
	ic = (struct rte_icmp_hdr *)(ip + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*ic) + quote);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = dp.port[port].addr_be;
	ip->dst_addr = orig->src_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	ic->icmp_type = 3 /* destination unreachable */;
	ic->icmp_code = 4;		/* fragmentation needed and DF set */
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = rte_cpu_to_be_16(mtu);
	memcpy(ic + 1, orig, quote);
	ic->icmp_cksum = 0;
	ic->icmp_cksum = ~rte_raw_cksum(ic, sizeof(*ic) + quote);
	dp_drop(w, m, P2SGW_D_too_big);
	CNT_INC(w, icmp_frag_needed);
	dp_ip_output(w, port, r, nh);
}
