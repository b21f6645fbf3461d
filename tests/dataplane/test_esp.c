/* SPDX-License-Identifier: BSD-3-Clause
 * ESP through the real packet path: vnet frame -> dp_rx_vnet -> ESP out ->
 * uplink frame -> dp_rx_uplink -> ESP in -> vnet frame, for every suite,
 * plain and UDP-encapsulated, at random sizes; then each drop reason.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "esp_wire.h"
#include "fixture.h"

#define HOST 0x0a0a000au	/* 10.10.0.10, a vnet host */
#define VIP 0x0ac80002u		/* 10.200.0.2 */

/* The tunnel under test: slot 0 of the fixture's channel. */
static struct {
	struct p2sgw_sa *sa_in, *sa_out;
} tun;

static void
tunnel_setup(enum p2sgw_suite suite, bool encap, bool esn)
{
	uint8_t key[36], akey[32];
	struct p2sgw_sa_params p = {
		.suite = suite, .key = key, .auth_key = akey, .esn = esn,
		.encap = encap, .peer = FX_UPLINK, .local = FX_UPLINK,
		.encap_peer_port = 4500, .encap_local_port = 4500,
		.replay_window = 1024, .vip = HOST, .nexthop = FX_UPLINK,
	};
	struct p2sgw_sa_params out;
	unsigned i;

	CHECK(fx_tunnel_del(0) == 0, "delete tunnel");
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)rand();
	for (i = 0; i < sizeof(akey); i++)
		akey[i] = (uint8_t)rand();
	p.key_len = suite == P2SGW_SUITE_AES256GCM16 ? 36 : 32;
	p.auth_key_len = suite == P2SGW_SUITE_AES256GCM16 ? 0 :
			 suite == P2SGW_SUITE_AES256CBC_SHA256 ? 32 : 20;
	p.spi = 0x1000 + suite;
	out = p;
	out.dir = 1;
	CHECK(fx_tunnel_add(0, &p, &out, VIP) == 0, "add tunnel");
	tun.sa_in = p2sgw_chan_sa_in(&dp.chan, 0);
	tun.sa_out = p2sgw_chan_sa_out(&dp.chan, 0);
}

/* An Ethernet frame with IPv4/UDP from HOST to VIP, LEN bytes of IP. */
static struct rte_mbuf *
inner_frame(uint32_t len, uint8_t *ipcopy, bool df)
{
	uint8_t buf[RTE_ETHER_HDR_LEN + 1600];
	struct rte_ether_hdr *eth = (void *)buf;
	struct rte_ipv4_hdr *ip = (void *)(eth + 1);
	uint32_t i;

	memset(buf, 0, sizeof(buf));
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0x28;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->fragment_offset = df ? RTE_BE16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(HOST);
	ip->dst_addr = rte_cpu_to_be_32(VIP);
	for (i = sizeof(*ip); i < len; i++)
		((uint8_t *)ip)[i] = (uint8_t)rand();
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (ipcopy != NULL)
		memcpy(ipcopy, ip, len);
	return fx_mbuf(buf, RTE_ETHER_HDR_LEN + len);
}

/* Run frames from the uplink TX queue back in as if received there. */
static uint16_t
loop_uplink(void)
{
	struct rte_mbuf *up[DP_TXQ_MAX];
	uint16_t n = fx_take(DP_PORT_UPLINK, up, DP_TXQ_MAX), i;

	for (i = 0; i < n; i += DP_BURST)
		dp_rx_uplink(fx_worker(), up + i, (uint16_t)RTE_MIN(DP_BURST, n - i));
	return n;
}

/* Inner packet of LEN through out and back in; compare with the original. */
static void
round_trip(uint32_t len, const char *what)
{
	uint8_t orig[1600], got[1600];
	struct rte_mbuf *m = inner_frame(len, orig, false), *out[DP_TXQ_MAX];
	uint32_t covered = 0, k;
	uint16_t n, nesp;

	dp_rx_vnet(fx_worker(), &m, 1);
	nesp = loop_uplink();
	n = fx_take(DP_PORT_VNET, out, DP_TXQ_MAX);
	CHECK(n == nesp && n >= 1, "%s len %u: %u ESP packets, %u out", what, len,
	      nesp, n);
	memset(got, 0, sizeof(got));
	for (k = 0; k < n; k++) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out[k],
				const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
		uint16_t off = (rte_be_to_cpu_16(ip->fragment_offset) &
				RTE_IPV4_HDR_OFFSET_MASK) * 8;
		uint16_t plen = rte_be_to_cpu_16(ip->total_length) - sizeof(*ip);

		CHECK(ip->time_to_live == 62, "%s: ttl %u", what, ip->time_to_live);
		CHECK(rte_ipv4_cksum(ip) == 0 || rte_raw_cksum(ip, 20) == 0xffff,
		      "%s len %u: inner checksum", what, len);
		CHECK(ip->src_addr == rte_cpu_to_be_32(HOST), "%s: src", what);
		if (off + plen <= sizeof(got) - 20)
			memcpy(got + 20 + off, ip + 1, plen);
		covered += plen;
		rte_pktmbuf_free(out[k]);
	}
	CHECK(covered == len - 20, "%s len %u: %u payload bytes back", what, len,
	      covered);
	CHECK(memcmp(got + 20, orig + 20, len - 20) == 0,
	      "%s len %u: payload differs", what, len);
}

static void
test_round_trips(void)
{
	static const char *names[] = { "gcm", "cbc-sha256", "cbc-sha1" };
	unsigned s, e, i;

	for (s = 0; s < P2SGW_SUITE_COUNT; s++)
		for (e = 0; e < 4; e++) {
			char what[64];

			tunnel_setup(s, e & 1, e & 2);
			snprintf(what, sizeof(what), "%s%s%s", names[s],
				 e & 1 ? "+udp" : "", e & 2 ? "+esn" : "");
			round_trip(20, what);
			round_trip(1500, what);
			for (i = 0; i < 60; i++)
				round_trip(20 + (uint32_t)rand() % 1481, what);
		}
}

static uint64_t
drops(enum p2sgw_drop d)
{
	return fx_worker()->cnt->d[d];
}

/* One ESP frame for TUN, ready to be fed to dp_rx_uplink. */
static struct rte_mbuf *
esp_frame(uint32_t len)
{
	struct rte_mbuf *m = inner_frame(len, NULL, false), *up[DP_TXQ_MAX];
	uint16_t n;

	dp_rx_vnet(fx_worker(), &m, 1);
	n = fx_take(DP_PORT_UPLINK, up, DP_TXQ_MAX);
	CHECK(n == 1, "esp_frame: %u", n);
	return up[0];
}

static void
expect_drop(struct rte_mbuf *m, enum p2sgw_drop d, const char *what)
{
	uint64_t before = drops(d);
	struct rte_mbuf *out[DP_TXQ_MAX];

	dp_rx_uplink(fx_worker(), &m, 1);
	CHECK(drops(d) == before + 1, "%s: drop %s %lu -> %lu", what,
	      p2sgw_drop_names[d], before, drops(d));
	CHECK(fx_take(DP_PORT_VNET, out, DP_TXQ_MAX) == 0, "%s: forwarded", what);
}

static void
test_drops(void)
{
	struct rte_mbuf *m, *c, *out[DP_TXQ_MAX];
	uint8_t *p;

	tunnel_setup(P2SGW_SUITE_AES256GCM16, false, false);
	m = esp_frame(200);				/* tampered */
	p = rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 8 + 8 + 5);
	*p ^= 1;
	expect_drop(m, P2SGW_D_esp_bad_icv, "tampered");

	m = esp_frame(200);				/* replayed */
	c = rte_pktmbuf_copy(m, dp.pool, 0, UINT32_MAX);
	dp_rx_uplink(fx_worker(), &m, 1);
	CHECK(fx_take(DP_PORT_VNET, out, DP_TXQ_MAX) == 1, "first copy passes");
	rte_pktmbuf_free(out[0]);
	expect_drop(c, P2SGW_D_esp_replay, "replayed");

	m = esp_frame(200);				/* unknown SPI */
	p = rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20);
	p[3] ^= 0x40;
	expect_drop(m, P2SGW_D_no_sa, "unknown spi");

	m = esp_frame(200);				/* truncated */
	rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - (14 + 20 + 8 + 8 + 10));
	p = rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
	((struct rte_ipv4_hdr *)p)->total_length = rte_cpu_to_be_16(20 + 8 + 8 + 10);
	((struct rte_ipv4_hdr *)p)->hdr_checksum = 0;
	((struct rte_ipv4_hdr *)p)->hdr_checksum = rte_ipv4_cksum((void *)p);
	expect_drop(m, P2SGW_D_esp_too_short, "truncated");

	tun.sa_in->vip = HOST + 1;			/* spoofed inner source */
	expect_drop(esp_frame(200), P2SGW_D_inner_bad_src, "spoofed src");
	tun.sa_in->vip = HOST;

	tun.sa_out->st.seq = tun.sa_out->seq_last;	/* exhausted */
	m = inner_frame(100, NULL, false);
	dp_rx_vnet(fx_worker(), &m, 1);
	CHECK(drops(P2SGW_D_esp_seq_exhausted) == 1, "seq exhausted");
	CHECK(fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX) == 0, "sent past exhaustion");

	tunnel_setup(P2SGW_SUITE_AES256GCM16, false, false);
	fx_learn(DP_PORT_VNET, HOST);
	m = inner_frame(1500, NULL, true);		/* DF and too big */
	dp_rx_vnet(fx_worker(), &m, 1);
	CHECK(drops(P2SGW_D_too_big) == 1, "too big");
	CHECK(fx_take(DP_PORT_VNET, out, DP_TXQ_MAX) == 1, "ICMP frag needed sent");
	p = rte_pktmbuf_mtod_offset(out[0], uint8_t *, 14 + 20);
	CHECK(p[0] == 3 && p[1] == 4 && (p[6] << 8 | p[7]) == 1446,
	      "ICMP type %u code %u mtu %u", p[0], p[1], p[6] << 8 | p[7]);
	rte_pktmbuf_free(out[0]);
}

static void
test_esn_wrap(void)
{
	unsigned i;

	tunnel_setup(P2SGW_SUITE_AES256GCM16, true, true);
	tun.sa_out->st.seq = UINT32_MAX - 3;
	tun.sa_in->replay.top = UINT32_MAX - 10;
	for (i = 0; i < 8; i++)
		round_trip(300, "esn across 2^32");
	CHECK(tun.sa_in->replay.top == (uint64_t)UINT32_MAX + 5,
	      "replay top %lx", tun.sa_in->replay.top);
}

/* Hard packet limit retires the SA and raises events; soft fires once. */
static void
test_lifetimes(void)
{
	struct rte_mbuf *m, *out[DP_TXQ_MAX];
	const struct p2sgw_event *e;
	unsigned i, soft = 0, hard = 0;

	tunnel_setup(P2SGW_SUITE_AES256GCM16, false, false);
	tun.sa_out->soft_packets = 65;
	tun.sa_out->hard_packets = 129;
	for (i = 0; i < 200; i++) {
		m = inner_frame(100, NULL, false);
		dp_rx_vnet(fx_worker(), &m, 1);
		rte_pktmbuf_free_bulk(out, fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX));
	}
	while ((e = p2sgw_ring_peek(fx_worker()->ev_ring)) != NULL) {
		soft += e->type == P2SGW_EV_SOFT_LIFETIME;
		hard += e->type == P2SGW_EV_HARD_LIFETIME;
		p2sgw_ring_pop(fx_worker()->ev_ring);
	}
	CHECK(soft == 1 && hard == 1, "events soft %u hard %u", soft, hard);
	CHECK(tun.sa_out->st.expired == 1, "SA not retired");
	CHECK(tun.sa_out->st.packets == 129, "sent %lu before retiring",
	      tun.sa_out->st.packets);
	CHECK(drops(P2SGW_D_sa_expired) == 200 - 129, "sa_expired %lu",
	      drops(P2SGW_D_sa_expired));
}

/* Messages the worker must refuse, and removal. */
static void
test_messages(void)
{
	struct p2sgw_event ev;
	struct rte_mbuf *m, *out[DP_TXQ_MAX];

	CHECK(fx_msg(P2SGW_MSG_TUNNEL_ADD, 100000, &ev) == 0 &&
	      ev.type == P2SGW_EV_NACK, "out-of-range slot acked");
	CHECK(fx_msg(77, 0, &ev) == 0 && ev.type == P2SGW_EV_NACK,
	      "unknown message acked");
	CHECK(fx_msg(P2SGW_MSG_SYNC, 0, &ev) == 0 && ev.type == P2SGW_EV_ACK,
	      "sync not acked");
	tunnel_setup(P2SGW_SUITE_AES256GCM16, false, false);
	CHECK(fx_tunnel_del(0) == 0, "delete");
	m = inner_frame(100, NULL, false);
	dp_rx_vnet(fx_worker(), &m, 1);
	CHECK(fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX) == 0,
	      "sent through a deleted tunnel");
}

/* A packet to a next hop without an ARP entry is held (one per
 * neighbour) while the request goes out, sent when the reply is learned,
 * dropped as arp_unresolved after a second or when a newer one replaces it. */
static void
test_arp_hold(void)
{
	struct dp_worker *w = fx_worker();
	struct rte_mbuf *m, *out[DP_TXQ_MAX];
	uint64_t unres = drops(P2SGW_D_arp_unresolved);
	const uint32_t hop = 0xac100a4du, hop2 = 0xac100a4eu;
	struct rte_ether_hdr *eth;
	uint16_t n;

	tunnel_setup(P2SGW_SUITE_AES256GCM16, false, false);
	tun.sa_out->nexthop = hop;
	m = inner_frame(200, NULL, false);
	dp_rx_vnet(w, &m, 1);
	n = fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX);
	eth = n == 1 ? rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *) : NULL;
	CHECK(n == 1 && eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP),
	      "%u frames, want the ARP request alone", n);
	while (n > 0)
		rte_pktmbuf_free(out[--n]);
	CHECK(w->n_hold == 1 && drops(P2SGW_D_arp_unresolved) == unres,
	      "held %u, arp_unresolved %lu", w->n_hold,
	      drops(P2SGW_D_arp_unresolved) - unres);
	dp_arp_hold_poll(w);
	CHECK(w->n_hold == 1 && fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX) == 0,
	      "sent before the neighbour resolved");
	fx_learn(DP_PORT_UPLINK, hop);
	dp_arp_hold_poll(w);
	n = fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX);
	eth = n == 1 ? rte_pktmbuf_mtod(out[0], struct rte_ether_hdr *) : NULL;
	CHECK(n == 1 && eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	      eth->dst_addr.addr_bytes[5] == 0x99 && w->n_hold == 0,
	      "the held packet was not sent once resolved (%u frames)", n);
	while (n > 0)
		rte_pktmbuf_free(out[--n]);

	/* a newer packet replaces the held one; a second later it goes */
	tun.sa_out->nexthop = hop2;
	for (int i = 0; i < 2; i++) {
		m = inner_frame(200, NULL, false);
		dp_rx_vnet(w, &m, 1);
	}
	n = fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX);
	while (n > 0)
		rte_pktmbuf_free(out[--n]);
	CHECK(w->n_hold == 1 && drops(P2SGW_D_arp_unresolved) == unres + 1,
	      "held %u, arp_unresolved +%lu", w->n_hold,
	      drops(P2SGW_D_arp_unresolved) - unres);
	w->hold[0].since -= 2 * rte_get_tsc_hz();
	dp_arp_hold_poll(w);
	CHECK(w->n_hold == 0 && drops(P2SGW_D_arp_unresolved) == unres + 2 &&
	      fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX) == 0,
	      "not dropped after a second: held %u", w->n_hold);
	tun.sa_out->nexthop = FX_UPLINK;
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (fx_init(argv[0]) != 0) {
		fprintf(stderr, "fixture init failed\n");
		return 1;
	}
	fx_learn(DP_PORT_UPLINK, FX_UPLINK);
	srand(4303);
	test_round_trips();
	test_drops();
	test_arp_hold();
	test_esn_wrap();
	test_lifetimes();
	test_messages();
	printf("%s: %d failure(s)\n", argv[0], failures);
	return failures ? 1 : 0;
}
