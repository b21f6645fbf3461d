/* SPDX-License-Identifier: BSD-3-Clause
 * Inbound ESP, tunnel mode (RFC 4303 s3.4), in three passes over a burst:
 *  1. parse: lengths, SPI -> SA, ownership, replay pre-check;
 *  2. crypto: GCM per packet, CBC+HMAC as one multi-buffer burst;
 *  3. finish: replay update (only now that the ICV verified), trailer,
 *     inner packet checks (source = the tunnel's VIP, destination in the
 *     allowed routes), TTL, and forwarding to the vnet.
 */
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_lpm.h>

#include "dp.h"
#include "esp_wire.h"
#include "ip4.h"

struct in_pkt {
	struct rte_mbuf *m;
	struct p2sgw_sa *sa;
	uint64_t seq;
	uint8_t *esp;			/* ESP header */
	uint32_t plen;			/* ciphertext (payload+pad+trailer) */
	uint16_t cbc;			/* index of its CBC op, or UINT16_MAX */
	uint8_t icv[ESP_MAX_ICV_LEN];	/* received ICV (CBC with ESN) */
};

/* Pass 1 for one packet: returns false after dropping or handing off M. */
static bool
esp_in_parse(struct dp_worker *w, struct rte_mbuf *m, struct in_pkt *p)
{
	uint32_t off = m->l3_len + m->l4_len, len, spi;
	struct p2sgw_sa *sa;
	void *data;
	uint8_t *esp;

	len = rte_pktmbuf_data_len(m) - off;
	if (unlikely(len < ESP_HDR_LEN)) {
		dp_drop(w, m, P2SGW_D_esp_too_short);
		return false;
	}
	esp = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
	spi = rte_be_to_cpu_32(((const struct esp_hdr_wire *)esp)->spi);
	if (unlikely(rte_hash_lookup_data(w->tab.by_spi, &spi, &data) < 0)) {
		dp_drop(w, m, P2SGW_D_no_sa);
		return false;
	}
	sa = data;
	if (unlikely(!sa_owned_by(sa, w->idx))) {
		dp_handoff(w, sa, m);
		return false;
	}
	if (unlikely(sa->st.expired)) {
		dp_drop(w, m, P2SGW_D_sa_expired);
		return false;
	}
	/* header + IV + at least the trailer + ICV, payload block-aligned */
	if (unlikely(len < (uint32_t)ESP_HDR_LEN + sa->iv_len + ESP_TAIL_LEN +
			   sa->icv_len ||
		     (len - ESP_HDR_LEN - sa->iv_len - sa->icv_len) %
			     sa->block_len != 0)) {
		dp_drop(w, m, P2SGW_D_esp_too_short);
		return false;
	}
	if (unlikely(!replay_esn_infer(&sa->replay, sa->flags & P2SGW_SA_F_ESN,
			rte_be_to_cpu_32(((const struct esp_hdr_wire *)esp)->seq),
			&p->seq) ||
		     replay_check(&sa->replay, p->seq) != 0)) {
		dp_drop(w, m, P2SGW_D_esp_replay);
		return false;
	}
	p->m = m;
	p->sa = sa;
	p->esp = esp;
	p->plen = len - ESP_HDR_LEN - sa->iv_len - sa->icv_len;
	p->cbc = UINT16_MAX;
	return true;
}

/* Pass 2 for one packet: GCM now, or queue the CBC op. Returns false if
 * the ICV did not verify (M not yet dropped). */
static bool
esp_in_crypto(struct dp_worker *w, struct in_pkt *p, struct p2sgw_cbc_op *cbc,
	      uint16_t *ncbc)
{
	const struct p2sgw_sa *sa = p->sa;
	uint8_t *iv = p->esp + ESP_HDR_LEN, *ct = iv + sa->iv_len;
	uint8_t *icv = ct + p->plen;
	rte_be32_t hi = rte_cpu_to_be_32((uint32_t)(p->seq >> 32));

	if (sa->suite == P2SGW_SUITE_AES256GCM16) {
		uint8_t aad[ESP_AAD_ESN_LEN];
		size_t alen = ESP_AAD_LEN;

		memcpy(aad, p->esp, 4);
		if (sa->flags & P2SGW_SA_F_ESN) {
			memcpy(aad + 4, &hi, 4);
			memcpy(aad + 8, p->esp + 4, 4);
			alen = ESP_AAD_ESN_LEN;
		} else {
			memcpy(aad + 4, p->esp + 4, 4);
		}
		return p2sgw_gcm_decrypt(w->mb, &sa->key, iv, aad, alen, ct, ct,
					 p->plen, icv, sa->icv_len) == 0;
	}
	p->cbc = *ncbc;
	cbc[*ncbc] = (struct p2sgw_cbc_op){
		.key = &sa->key, .iv = iv, .data = ct, .len = p->plen,
		.auth = p->esp, .auth_len = ESP_HDR_LEN + sa->iv_len + p->plen,
		.icv = icv,
	};
	if (sa->flags & P2SGW_SA_F_ESN) {
		/* Authenticate seq_hi after the payload (RFC 4303 s2.2.1): it
		 * takes the ICV's place, so keep the received ICV aside. */
		memcpy(p->icv, icv, sa->icv_len);
		memcpy(icv, &hi, ESP_SEQ_HI_LEN);
		cbc[*ncbc].auth_len += ESP_SEQ_HI_LEN;
		cbc[*ncbc].icv = p->icv;
	}
	(*ncbc)++;
	return true;
}

/* Pass 3: the packet is authentic. Check what it carries and forward it. */
static void
esp_in_finish(struct dp_worker *w, struct in_pkt *p)
{
	struct rte_mbuf *m = p->m;
	struct p2sgw_sa *sa = p->sa;
	const uint8_t *ct = p->esp + ESP_HDR_LEN + sa->iv_len;
	const struct esp_tail_wire *t = (const void *)(ct + p->plen - ESP_TAIL_LEN);
	struct rte_ipv4_hdr *ip;
	uint32_t inner, i, hop, nh, dst;

	if (unlikely(replay_update(&sa->replay, p->seq) != 0)) {
		dp_drop(w, m, P2SGW_D_esp_replay);
		return;
	}
	/* Authentic: did the client's NAT mapping change (RFC 3948 s5.2)? */
	if (sa->flags & P2SGW_SA_F_ENCAP) {
		const struct rte_ipv4_hdr *o =
			rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
		const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)
			((const uint8_t *)o + m->l3_len);

		if (unlikely(o->src_addr != sa->peer_be ||
			     u->src_port != sa->encap_peer_port_be))
			dp_nat_mapping(w, sa, o->src_addr, u->src_port);
	}
	if (unlikely((uint32_t)t->pad_len + ESP_TAIL_LEN > p->plen)) {
		dp_drop(w, m, P2SGW_D_esp_bad_trailer);
		return;
	}
	inner = p->plen - ESP_TAIL_LEN - t->pad_len;
	for (i = 0; i < t->pad_len; i++) {
		if (unlikely(ct[inner + i] != (uint8_t)(i + 1))) {
			dp_drop(w, m, P2SGW_D_esp_bad_trailer);
			return;
		}
	}
	if (unlikely(t->next_proto != ESP_NEXT_IPV4)) {
		dp_drop(w, m, t->next_proto == ESP_NEXT_DUMMY ? P2SGW_D_esp_dummy :
			t->next_proto == ESP_NEXT_IPV6 ? P2SGW_D_unsupported :
			P2SGW_D_esp_bad_trailer);
		return;
	}
	/* Make the inner packet the whole mbuf. */
	rte_pktmbuf_adj(m, (uint16_t)(ct - rte_pktmbuf_mtod(m, uint8_t *)));
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - inner);
	ip = ip4_validate(m, false);
	if (unlikely(ip == NULL)) {
		dp_drop(w, m, P2SGW_D_inner_malformed);
		return;
	}
	if (unlikely(rte_be_to_cpu_32(ip->src_addr) != sa->vip)) {
		dp_drop(w, m, P2SGW_D_inner_bad_src);
		return;
	}
	dst = rte_be_to_cpu_32(ip->dst_addr);
	if (unlikely(rte_lpm_lookup(dp.allowed, dst, &hop) != 0)) {
		dp_drop(w, m, P2SGW_D_inner_bad_dst);
		return;
	}
	dp_sa_account(w, sa, m->pkt_len);
	CNT_INC(w, esp_in_packets);
	CNT_ADD(w, esp_in_bytes, m->pkt_len);
	/* To the gateway itself (ping, DNS proxy, ...): the host's stack. */
	if (unlikely(ip->dst_addr == dp.port[DP_PORT_VNET].addr_be ||
		     ip->dst_addr == dp.port[DP_PORT_UPLINK].addr_be)) {
		dp_to_host(w, m);
		return;
	}
	if (unlikely(!ip4_ttl_dec(ip))) {
		dp_drop(w, m, P2SGW_D_ttl);
		return;
	}
	if (unlikely(dp_route(dst, &nh) != DP_PORT_VNET)) {
		dp_drop(w, m, P2SGW_D_no_route);
		return;
	}
	dp_ip_output(w, DP_PORT_VNET, m, nh);
}

void
dp_esp_in(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct in_pkt p[DP_BURST];
	struct p2sgw_cbc_op cbc[DP_BURST];
	uint16_t i, np = 0, ncbc = 0;

	for (i = 0; i < n; i++)
		if (esp_in_parse(w, pkts[i], &p[np]))
			np++;
	for (i = 0; i < np; i++) {
		if (i + 1 < np && p[i + 1].sa != p[i].sa &&
		    p[i + 1].plen >= DP_PREFETCH_KEY_MIN)
			dp_sa_prefetch_key(p[i + 1].sa);
		if (!esp_in_crypto(w, &p[i], cbc, &ncbc)) {
			dp_drop(w, p[i].m, P2SGW_D_esp_bad_icv);
			p[i].m = NULL;
		}
	}
	if (ncbc > 0)
		p2sgw_cbc_hmac_decrypt_burst(w->mb, cbc, ncbc);
	for (i = 0; i < np; i++) {
		if (p[i].m == NULL)
			continue;
		if (p[i].cbc != UINT16_MAX && cbc[p[i].cbc].status != 0) {
			dp_drop(w, p[i].m, P2SGW_D_esp_bad_icv);
			continue;
		}
		esp_in_finish(w, &p[i]);
	}
}
