/* SPDX-License-Identifier: BSD-3-Clause
 * IPv4 header checks and small rewrites used on every path.
 */
#ifndef P2SGW_IP4_H
#define P2SGW_IP4_H

#include <rte_ip.h>
#include <rte_mbuf.h>

/* M starts at an IPv4 header. Check version, header length, total length
 * against the bytes present (trimming link-layer padding) and, if VERIFY,
 * the header checksum. Returns the header or NULL. Sets m->l3_len. */
static inline struct rte_ipv4_hdr *
ip4_validate(struct rte_mbuf *m, bool verify)
{
	struct rte_ipv4_hdr *ip;
	uint32_t len = rte_pktmbuf_data_len(m), hl, tot;

	if (unlikely(len < sizeof(*ip)))
		return NULL;
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	if (unlikely((ip->version_ihl >> 4) != 4))
		return NULL;
	hl = (ip->version_ihl & 0xf) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(hl < sizeof(*ip) || tot < hl || tot > len))
		return NULL;
	if (verify && unlikely(rte_raw_cksum(ip, hl) != 0xffff))
		return NULL;
	if (tot < len)
		rte_pktmbuf_trim(m, len - tot);
	m->l3_len = hl;
	return ip;
}

static inline bool
ip4_is_fragment(const struct rte_ipv4_hdr *ip)
{
	return (ip->fragment_offset &
		RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

/* Decrement TTL with the incremental checksum update of RFC 1624.
 * Returns false (and leaves the packet alone) if TTL would expire. */
static inline bool
ip4_ttl_dec(struct rte_ipv4_hdr *ip)
{
	uint32_t sum;

	if (unlikely(ip->time_to_live <= 1))
		return false;
	ip->time_to_live--;
	sum = rte_be_to_cpu_16(ip->hdr_checksum) + 0x0100;
	sum = (sum & 0xffff) + (sum >> 16);
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)sum);
	return true;
}

#endif /* P2SGW_IP4_H */
