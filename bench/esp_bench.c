/* SPDX-License-Identifier: BSD-3-Clause
 * ESP fast-path cost on one core: the dataplane's real classification,
 * ESP and output code (dp_rx_vnet / dp_rx_uplink up to the TX queue) over
 * pre-built unique packets, against the raw IPsec-MB AES-256-GCM cost of
 * the same payloads measured in the same run. NIC/memif I/O is not part
 * of it: this isolates what the dataplane adds to the crypto.
 *
 * Each round restores the packets (not timed) and then times one pass of
 * POOL packets in bursts of 32. Sizes are inner IPv4 packet lengths.
 * Output: a table on stdout and JSON to the path given as argv[1].
 */
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>

#include "esp_wire.h"
#include "fixture.h"

enum { POOL = 1024, ROUNDS = 40 };

#define HOST 0x0a0a000au
#define VIP 0x0ac80002u

struct pkt {
	struct rte_mbuf *m;
	uint16_t off, len;
	uint8_t data[1600];
};

static struct pkt pool_[POOL];
static uint64_t inner_bytes;		/* of one pass over the pool */
static struct {
	struct p2sgw_sa *sa_in, *sa_out;
} tun;
static uint32_t imix[12] = { 64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500 };

static void
tunnel(void)
{
	static const uint8_t key[36] = { 0x4a, 0x1c, 0x6b, 0x2f, 7, 7, 7, 7 };
	struct p2sgw_sa_params p = {
		.suite = P2SGW_SUITE_AES256GCM16, .key = key, .key_len = 36,
		.peer = FX_UPLINK, .local = FX_UPLINK, .replay_window = 4096,
		.vip = HOST, .nexthop = FX_UPLINK, .spi = 0x1000,
	};
	struct p2sgw_sa_params out = p;

	out.dir = 1;
	if (fx_tunnel_add(0, &p, &out, VIP) != 0)
		abort();
	tun.sa_in = p2sgw_chan_sa_in(&dp.chan, 0);
	tun.sa_out = p2sgw_chan_sa_out(&dp.chan, 0);
}

static struct rte_mbuf *
frame(uint32_t len)
{
	uint8_t buf[RTE_ETHER_HDR_LEN + 1600] = { 0 };
	struct rte_ether_hdr *eth = (void *)buf;
	struct rte_ipv4_hdr *ip = (void *)(eth + 1);

	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(HOST);
	ip->dst_addr = rte_cpu_to_be_32(VIP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return fx_mbuf(buf, RTE_ETHER_HDR_LEN + len);
}

static void
save(struct pkt *p, struct rte_mbuf *m)
{
	p->m = m;
	p->off = m->data_off;
	p->len = (uint16_t)rte_pktmbuf_data_len(m);
	memcpy(p->data, rte_pktmbuf_mtod(m, void *), p->len);
}

static void
restore(struct pkt *p)
{
	p->m->data_off = p->off;
	p->m->data_len = p->len;
	p->m->pkt_len = p->len;
	memcpy(rte_pktmbuf_mtod(p->m, void *), p->data, p->len);
}

/* Build the pool for one size mix: vnet frames (encap) or, by running
 * them through encap once, unique ESP frames (decap). */
static void
build(const uint32_t *sizes, unsigned nsizes, bool esp)
{
	struct rte_mbuf *out[DP_TXQ_MAX];
	unsigned i;

	inner_bytes = 0;
	for (i = 0; i < POOL; i++) {
		struct rte_mbuf *m = frame(sizes[i % nsizes]);

		inner_bytes += sizes[i % nsizes];
		if (esp) {
			dp_rx_vnet(fx_worker(), &m, 1);
			if (fx_take(DP_PORT_UPLINK, out, DP_TXQ_MAX) != 1)
				abort();
			m = out[0];
		}
		save(&pool_[i], m);
	}
}

static double
run(bool esp)
{
	struct rte_mbuf *burst[DP_BURST], *out[DP_TXQ_MAX];
	uint64_t cycles = 0, t0;
	unsigned r, i, k;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < POOL; i++)
			restore(&pool_[i]);
		replay_init(&tun.sa_in->replay, tun.sa_in->replay.size);
		t0 = rte_rdtsc_precise();
		for (i = 0; i < POOL; i += DP_BURST) {
			for (k = 0; k < DP_BURST; k++)
				burst[k] = pool_[i + k].m;
			if (esp)
				dp_rx_uplink(fx_worker(), burst, DP_BURST);
			else
				dp_rx_vnet(fx_worker(), burst, DP_BURST);
			fx_take(esp ? DP_PORT_VNET : DP_PORT_UPLINK, out, DP_TXQ_MAX);
		}
		cycles += rte_rdtsc_precise() - t0;
	}
	return (double)cycles / (ROUNDS * POOL);
}

static double
raw_gcm(const uint32_t *sizes, unsigned nsizes)
{
	static uint8_t buf[1600];
	uint8_t iv[8] = { 0 }, aad[8] = { 0 }, tag[16];
	uint64_t t0, c;
	unsigned i;

	t0 = rte_rdtsc_precise();
	for (i = 0; i < ROUNDS * POOL; i++) {
		uint32_t len = sizes[i % nsizes] + 2;	/* + ESP trailer */

		iv[0] = (uint8_t)i;
		p2sgw_gcm_encrypt(fx_worker()->mb, &tun.sa_out->key, iv, aad, 8,
				  buf, buf, len, tag, 16);
	}
	c = rte_rdtsc_precise() - t0;
	return (double)c / (ROUNDS * POOL);
}

int
main(int argc, char **argv)
{
	static const uint32_t s64[] = { 64 }, s1400[] = { 1400 };
	struct { const char *name; const uint32_t *s; unsigned n; } mix[] = {
		{ "64", s64, 1 }, { "imix", imix, 12 }, { "1400", s1400, 1 },
	};
	FILE *js = argc > 1 ? fopen(argv[1], "w") : NULL;
	double hz;
	unsigned m, d;

	if (fx_init(argv[0]) != 0)
		return 1;
	hz = (double)rte_get_tsc_hz();
	dp.port[DP_PORT_UPLINK].mtu = 9000;	/* no fragmentation of 1500 */
	fx_learn(DP_PORT_UPLINK, FX_UPLINK);
	fx_learn(DP_PORT_VNET, FX_VNET_GW);
	tunnel();
	printf("p2sgw ESP fast path, one core, AES-256-GCM, crypto %s, TSC %.2f GHz\n",
	       p2sgw_crypto_arch_name(), hz / 1e9);
	printf("%-6s %-7s %10s %8s %10s %12s %8s\n", "size", "dir", "cyc/pkt",
	       "Mpps", "Gbps", "raw cyc/pkt", "ratio");
	if (js)
		fprintf(js, "{\"tsc_hz\":%.0f,\"crypto\":\"%s\",\"results\":[", hz,
			p2sgw_crypto_arch_name());
	for (m = 0; m < RTE_DIM(mix); m++) {
		double raw = raw_gcm(mix[m].s, mix[m].n);

		for (d = 0; d < 2; d++) {
			double cyc, mpps, gbps;

			build(mix[m].s, mix[m].n, d == 1);
			cyc = run(d == 1);
			mpps = hz / cyc / 1e6;
			gbps = mpps * 8 * ((double)inner_bytes / POOL) / 1e3;
			printf("%-6s %-7s %10.0f %8.2f %10.2f %12.0f %8.2f\n",
			       mix[m].name, d ? "decap" : "encap", cyc, mpps, gbps,
			       raw, cyc / raw);
			if (js)
				fprintf(js, "%s{\"size\":\"%s\",\"dir\":\"%s\",\"cycles\":%.1f,"
					"\"mpps\":%.3f,\"gbps_inner\":%.3f,\"raw_gcm_cycles\":%.1f,"
					"\"ratio\":%.3f}", (m || d) ? "," : "", mix[m].name,
					d ? "decap" : "encap", cyc, mpps, gbps, raw, cyc / raw);
			for (unsigned i = 0; i < POOL; i++)
				rte_pktmbuf_free(pool_[i].m);
		}
	}
	if (js) {
		fprintf(js, "]}\n");
		fclose(js);
	}
	return 0;
}
