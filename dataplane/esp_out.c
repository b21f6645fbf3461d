/* SPDX-License-Identifier: BSD-3-Clause
 * Outbound ESP, tunnel mode (RFC 4303 s3.1.2): vnet packet for a client's
 * virtual IP -> [outer IPv4][UDP]?[ESP][IV][inner][pad][trailer][ICV].
 *
 * Sequence numbers come from the SA's single writer (the owning worker)
 * and stop before they would repeat. The GCM IV is the 64-bit sequence
 * number, so a nonce never repeats for a key; the CBC IV is the key's
 * forward cipher of the sequence number (unpredictable, RFC 3602 s3).
 */
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_udp.h>

#include "dp.h"
#include "esp_wire.h"

struct out_pkt {
	struct rte_mbuf *m;
	struct p2sgw_sa *sa;
	uint32_t inner_len;
	uint16_t cbc;			/* index of its CBC op, or UINT16_MAX */
};

static inline uint32_t
esp_hdr_room(const struct p2sgw_sa *sa)
{
	return IPV4_HDR_LEN + ((sa->flags & P2SGW_SA_F_ENCAP) ? UDP_HDR_LEN : 0) +
	       ESP_HDR_LEN + sa->iv_len;
}

/* Bytes after the inner packet: pad to the block, trailer, ICV. */
static inline uint32_t
esp_tail_room(const struct p2sgw_sa *sa, uint32_t inner_len)
{
	uint32_t plen = RTE_ALIGN_CEIL(inner_len + ESP_TAIL_LEN, sa->block_len);

	return plen - inner_len + sa->icv_len;
}

/* The largest inner packet that fits the uplink MTU through SA. */
static inline uint16_t
esp_inner_mtu(const struct p2sgw_sa *sa)
{
	uint32_t room = dp.port[DP_PORT_UPLINK].mtu - esp_hdr_room(sa) -
			sa->icv_len;

	return (uint16_t)(RTE_ALIGN_FLOOR(room, sa->block_len) - ESP_TAIL_LEN);
}

static void
outer_ip_fill(struct dp_worker *w, struct rte_ipv4_hdr *o,
	      const struct rte_ipv4_hdr *in, const struct p2sgw_sa *sa,
	      uint32_t tot)
{
	rte_be16_t df = in->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG);

	if (dp.df_mode == P2SGW_DF_SET)
		df = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	else if (dp.df_mode == P2SGW_DF_CLEAR)
		df = 0;
	o->version_ihl = RTE_IPV4_VHL_DEF;
	o->type_of_service = in->type_of_service;	/* DSCP and ECN copied */
	o->total_length = rte_cpu_to_be_16(tot);
	o->packet_id = rte_cpu_to_be_16(w->ip_id++);
	o->fragment_offset = df;
	o->time_to_live = dp.ttl;
	o->next_proto_id = (sa->flags & P2SGW_SA_F_ENCAP) ? IPPROTO_UDP :
						      IPPROTO_ESP_NUM;
	o->hdr_checksum = 0;
	o->src_addr = sa->local_be;
	o->dst_addr = sa->peer_be;
	o->hdr_checksum = rte_ipv4_cksum(o);
}

/* Add headers and trailer around the inner packet of M and encrypt (GCM)
 * or queue the CBC op. Returns false after dropping M. */
static bool
esp_encap_one(struct dp_worker *w, struct out_pkt *op,
	      struct p2sgw_cbc_op *cbc, uint16_t *ncbc)
{
	struct rte_mbuf *m = op->m;
	struct p2sgw_sa *sa = op->sa;
	uint32_t hdr = esp_hdr_room(sa), inner = op->inner_len;
	uint32_t tail = esp_tail_room(sa, inner), plen, i;
	const struct rte_ipv4_hdr *in = rte_pktmbuf_mtod(m, void *);
	struct rte_ipv4_hdr *o;
	struct esp_hdr_wire *esp;
	uint8_t *iv, *pad, *icv;
	uint64_t seq;

	if (unlikely(sa->st.seq >= sa->seq_last)) {
		dp_drop(w, m, P2SGW_D_esp_seq_exhausted);
		return false;
	}
	if (unlikely(sa->st.expired)) {
		dp_drop(w, m, P2SGW_D_sa_expired);
		return false;
	}
	pad = (uint8_t *)rte_pktmbuf_append(m, tail);
	o = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, hdr);
	if (unlikely(pad == NULL || o == NULL)) {
		dp_drop(w, m, P2SGW_D_no_mbuf);
		return false;
	}
	in = (const struct rte_ipv4_hdr *)((uint8_t *)o + hdr);
	seq = ++sa->st.seq;
	plen = inner + tail - sa->icv_len;
	for (i = 0; i < plen - inner - ESP_TAIL_LEN; i++)
		pad[i] = (uint8_t)(i + 1);		/* RFC 4303 s2.4 */
	pad[i] = (uint8_t)(plen - inner - ESP_TAIL_LEN);
	pad[i + 1] = ESP_NEXT_IPV4;
	icv = pad + i + 2;

	outer_ip_fill(w, o, in, sa, m->pkt_len);
	esp = (struct esp_hdr_wire *)(o + 1);
	if (sa->flags & P2SGW_SA_F_ENCAP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)esp;

		u->src_port = sa->encap_local_port_be;
		u->dst_port = sa->encap_peer_port_be;
		u->dgram_len = rte_cpu_to_be_16(m->pkt_len - IPV4_HDR_LEN);
		u->dgram_cksum = 0;		/* allowed by RFC 3948 s2.1 */
		esp = (struct esp_hdr_wire *)(u + 1);
	}
	esp->spi = sa->spi_be;
	esp->seq = rte_cpu_to_be_32((uint32_t)seq);
	iv = (uint8_t *)(esp + 1);

	if (sa->suite == P2SGW_SUITE_AES256GCM16) {
		uint8_t aad[ESP_AAD_ESN_LEN];
		size_t alen = ESP_AAD_LEN;
		rte_be64_t iv64 = rte_cpu_to_be_64(seq);

		memcpy(iv, &iv64, sizeof(iv64));
		memcpy(aad, &esp->spi, 4);
		if (sa->flags & P2SGW_SA_F_ESN) {
			rte_be32_t hi = rte_cpu_to_be_32((uint32_t)(seq >> 32));

			memcpy(aad + 4, &hi, 4);
			memcpy(aad + 8, &esp->seq, 4);
			alen = ESP_AAD_ESN_LEN;
		} else {
			memcpy(aad + 4, &esp->seq, 4);
		}
		p2sgw_gcm_encrypt(w->mb, &sa->key, iv, aad, alen, iv + 8,
				  iv + 8, plen, icv, sa->icv_len);
		return true;
	}
	p2sgw_cbc_make_iv(&sa->key, seq, iv);
	op->cbc = *ncbc;
	cbc[*ncbc] = (struct p2sgw_cbc_op){
		.key = &sa->key, .iv = iv, .data = iv + P2SGW_CBC_IV_LEN,
		.len = plen, .auth = (const uint8_t *)esp,
		.auth_len = ESP_HDR_LEN + P2SGW_CBC_IV_LEN + plen, .icv = icv,
	};
	if (sa->flags & P2SGW_SA_F_ESN) {
		/* RFC 4303 s2.2.1: the high half is authenticated after the
		 * payload, where the ICV will go, and never sent. */
		rte_be32_t hi = rte_cpu_to_be_32((uint32_t)(seq >> 32));

		memcpy(icv, &hi, ESP_SEQ_HI_LEN);
		cbc[*ncbc].auth_len += ESP_SEQ_HI_LEN;
	}
	(*ncbc)++;
	return true;
}

/* DF clear and too big: fragment the inner packet (RFC 4459: before
 * encryption, so the client never reassembles ESP) into FRAGS. */
static uint16_t
esp_fragment(struct dp_worker *w, struct rte_mbuf *m, uint16_t mtu,
	     struct rte_mbuf **frags, uint16_t max)
{
	struct rte_ipv4_hdr *ip;
	int32_t n, i;

	n = rte_ipv4_fragment_packet(m, frags, max, mtu, dp.pool, dp.pool);
	rte_pktmbuf_free(m);
	if (n <= 0) {
		DROP_INC(w, frag_failed);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (rte_pktmbuf_linearize(frags[i]) != 0) {
			rte_pktmbuf_free_bulk(frags, n);
			DROP_INC(w, frag_failed);
			return 0;
		}
		ip = rte_pktmbuf_mtod(frags[i], struct rte_ipv4_hdr *);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		frags[i]->l3_len = sizeof(*ip);
	}
	CNT_ADD(w, frag_out, n);
	return (uint16_t)n;
}

enum { OUT_MAX = DP_BURST * 2 };

static uint16_t
esp_out_prepare(struct dp_worker *w, struct rte_mbuf *m,
		struct p2sgw_sa *sa, struct out_pkt *ops, uint16_t nops)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, void *);
	uint16_t mtu = esp_inner_mtu(sa), nf, i;
	struct rte_mbuf *frags[8];

	if (unlikely(!sa_owned_by(sa, w->idx))) {
		dp_handoff(w, sa, m);
		return nops;
	}
	if (likely(m->pkt_len <= mtu)) {
		ops[nops++] = (struct out_pkt){ m, sa, m->pkt_len, UINT16_MAX };
		return nops;
	}
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) {
		dp_icmp_frag_needed(w, m, mtu);
		return nops;
	}
	/* each fragment's payload must be a multiple of 8 bytes */
	nf = esp_fragment(w, m, ((mtu - m->l3_len) & ~7u) + m->l3_len, frags,
			  (uint16_t)RTE_MIN(RTE_DIM(frags), (size_t)(OUT_MAX - nops)));
	for (i = 0; i < nf; i++)
		ops[nops++] = (struct out_pkt){ frags[i], sa, frags[i]->pkt_len,
						UINT16_MAX };
	return nops;
}

void
dp_esp_out(struct dp_worker *w, struct rte_mbuf **pkts,
	   struct p2sgw_sa **sas, uint16_t n)
{
	struct out_pkt ops[OUT_MAX];
	struct p2sgw_cbc_op cbc[OUT_MAX];
	uint16_t i, nops = 0, ncbc = 0;

	for (i = 0; i < n; i++)
		nops = esp_out_prepare(w, pkts[i], sas[i], ops, nops);
	for (i = 0; i < nops; i++) {
		if (i + 1 < nops && ops[i + 1].sa != ops[i].sa &&
		    ops[i + 1].inner_len >= DP_PREFETCH_KEY_MIN)
			dp_sa_prefetch_key(ops[i + 1].sa);
		if (!esp_encap_one(w, &ops[i], cbc, &ncbc))
			ops[i].m = NULL;
	}
	if (ncbc > 0)
		p2sgw_cbc_hmac_encrypt_burst(w->mb, cbc, ncbc);
	for (i = 0; i < nops; i++) {
		struct p2sgw_sa *sa = ops[i].sa;

		if (ops[i].m == NULL)
			continue;
		if (ops[i].cbc != UINT16_MAX && cbc[ops[i].cbc].status != 0) {
			dp_drop(w, ops[i].m, P2SGW_D_crypto_failed);
			continue;
		}
		dp_sa_account(w, sa, ops[i].inner_len);
		CNT_INC(w, esp_out_packets);
		CNT_ADD(w, esp_out_bytes, ops[i].inner_len);
		dp_ip_output(w, DP_PORT_UPLINK, ops[i].m, sa->nexthop);
	}
}
