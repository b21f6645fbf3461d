/* SPDX-License-Identifier: BSD-3-Clause
 * The worker loop: run to completion, one RX/TX queue per port each.
 * No system calls, no locks, no allocation beyond mbufs.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "dp.h"

static inline void
poll_port(struct dp_worker *w, unsigned port,
	  void (*fn)(struct dp_worker *, struct rte_mbuf **, uint16_t))
{
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t n;

	n = rte_eth_rx_burst(dp.port[port].port_id, w->queue, pkts, DP_BURST);
	if (n == 0)
		return;
	CNT_ADD(w, rx_packets, n);
	fn(w, pkts, n);
}

/* Packets other workers passed to us still carry their Ethernet header
 * and input port: classify them again, now as their SA's owner. */
static void
poll_handoff(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST], *up[DP_BURST], *vn[DP_BURST];
	uint16_t n, i, nu = 0, nv = 0;

	n = rte_ring_sc_dequeue_burst(w->handoff, (void **)pkts, DP_BURST,
				      NULL);
	for (i = 0; i < n; i++) {
		if (pkts[i]->port == dp.port[DP_PORT_UPLINK].port_id)
			up[nu++] = pkts[i];
		else
			vn[nv++] = pkts[i];
	}
	if (nu > 0)
		dp_rx_uplink(w, up, nu);
	if (nv > 0)
		dp_rx_vnet(w, vn, nv);
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	bool host = dp.port[DP_PORT_HOST].port_id != DP_PORT_NONE;
	bool handoff = dp.n_workers > 1;

	while (!__atomic_load_n(&dp.stop, __ATOMIC_RELAXED)) {
		w->now = rte_rdtsc();
		w->now_ns = __atomic_load_n(&dp.chan.hdr->now_ns, __ATOMIC_RELAXED);
		dp_chan_poll(w);
		poll_port(w, DP_PORT_UPLINK, dp_rx_uplink);
		poll_port(w, DP_PORT_VNET, dp_rx_vnet);
		if (host)
			poll_port(w, DP_PORT_HOST, dp_rx_host);
		if (handoff)
			poll_handoff(w);
		if (unlikely(w->n_hold != 0))
			dp_arp_hold_poll(w);
		dp_tx_flush(w);
	}
	return 0;
}

/* rte_eal_mp_remote_launch entry: find this lcore's worker. */
int
dp_worker_main_launch(void *arg)
{
	unsigned lcore = rte_lcore_id(), i;
	(void)arg;

	for (i = 0; i < dp.n_workers; i++)
		if (dp.workers[i]->lcore == lcore)
			return dp_worker_main(dp.workers[i]);
	return 0;
}
