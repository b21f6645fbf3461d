/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for everything the dataplane parses from the network:
 * Ethernet, ARP, IPv4, UDP/NAT-T demux, ESP header, trailer and the inner
 * packet. The first input byte picks the port (uplink or vnet); the rest
 * is the frame. Tunnels of each suite exist, so ESP with a known SPI gets
 * past the lookup and the fuzzer can reach the crypto and trailer checks.
 */
#include <stdint.h>
#include <string.h>

#include "fixture.h"

static void
add_tunnel(unsigned s)
{
	static const uint8_t key[36] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const uint8_t akey[32] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	struct p2sgw_sa_params p = {
		.suite = s, .key = key, .auth_key = akey,
		.key_len = s == P2SGW_SUITE_AES256GCM16 ? 36 : 32,
		.auth_key_len = s == P2SGW_SUITE_AES256GCM16 ? 0 :
				s == P2SGW_SUITE_AES256CBC_SHA256 ? 32 : 20,
		.esn = s == 1, .encap = s == 2, .peer = FX_UPLINK + 1,
		.local = FX_UPLINK, .encap_peer_port = 4500,
		.encap_local_port = 4500, .replay_window = 64,
		.vip = 0x0ac80002u + s, .nexthop = FX_UPLINK + 1,
		.spi = 0x100 + s,
	};
	struct p2sgw_sa_params out = p;

	out.dir = 1;
	if (fx_tunnel_add(s, &p, &out, p.vip) != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned s;

	(void)argc;
	if (fx_init((*argv)[0]) != 0)
		abort();
	fx_learn(DP_PORT_UPLINK, FX_UPLINK + 1);
	for (s = 0; s < P2SGW_SUITE_COUNT; s++)
		add_tunnel(s);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m, *out[DP_TXQ_MAX];
	unsigned p;

	if (size < 1 || size > 2000)
		return 0;
	m = fx_mbuf(data + 1, (uint32_t)size - 1);
	if (m == NULL)
		return 0;
	if (data[0] & 1)
		dp_rx_vnet(fx_worker(), &m, 1);
	else
		dp_rx_uplink(fx_worker(), &m, 1);
	for (p = 0; p < DP_NPORTS; p++) {
		uint16_t n = fx_take(p, out, DP_TXQ_MAX);

		rte_pktmbuf_free_bulk(out, n);
	}
	return 0;
}
