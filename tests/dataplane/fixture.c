/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lpm.h>
#include <rte_malloc.h>

#include "fixture.h"

int failures;
static struct dp_worker *worker;
static char chan_path[64];

static IMB_MGR *fx_mb;

static void
fx_cleanup(void)
{
	p2sgw_chan_close(&dp.chan, true);
	p2sgw_crypto_mgr_free(fx_mb);
}
/* fx_mb also holds the worker's manager: LeakSanitizer does not scan
 * rte_malloc memory. */

int
fx_init(const char *prog)
{
	char *argv[] = { (char *)prog, "--no-huge", "-m", "512", "--no-pci",
			 "--no-shconf", "-l", "0",
			 "--log-level=*:warning", NULL };
	struct rte_lpm_config lc = { .max_rules = 64, .number_tbl8s = 16 };
	const char *names[2] = { "uplink", "vnet" };
	uint32_t addrs[2] = { FX_UPLINK, FX_VNET };
	unsigned i;

	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		return -1;
	dp.tsc_hz = rte_get_tsc_hz();
	dp.ttl = 64;
	dp.natt_port = 4500;
	dp.pool = rte_pktmbuf_pool_create("fx_pool", 8191, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.allowed = rte_lpm_create("fx_allowed", 0, &lc);
	if (dp.pool == NULL || dp.allowed == NULL)
		return -1;
	rte_lpm_add(dp.allowed, 0x0a0a0000, 16, 1);
	rte_lpm_add(dp.allowed, 0x0ac80000, 24, 1);
	for (i = 0; i < 2; i++) {
		struct dp_port *p = &dp.port[i];

		p->port_id = (uint16_t)i;
		p->mtu = 1500;
		p->addr = addrs[i];
		p->addr_be = rte_cpu_to_be_32(addrs[i]);
		p->mask = 0xffffff00u;
		p->mac.addr_bytes[5] = (uint8_t)(i + 1);
		p->neigh = neigh_create(names[i], 256, UINT64_MAX / 4, 0,
					dp.tsc_hz, 0);
		snprintf(p->name, sizeof(p->name), "%s", names[i]);
	}
	dp.port[DP_PORT_VNET].gateway = FX_VNET_GW;
	dp.port[DP_PORT_HOST].port_id = DP_PORT_NONE;
	worker = rte_zmalloc("fx_worker", sizeof(*worker), RTE_CACHE_LINE_SIZE);
	worker->mb = fx_mb = p2sgw_crypto_mgr_create();
	if (worker->mb == NULL || sa_tables_init(&worker->tab, "fx", 0, 1024,
						 1024) != 0)
		return -1;
	snprintf(chan_path, sizeof(chan_path), "/dev/shm/p2sgw-test-%d.chan",
		 (int)getpid());
	{
		struct p2sgw_chan_limits l = {
			.n_workers = 1, .max_tunnels = 64, .max_sa_in = 64,
			.max_sa_out = 64, .crypto_arch = fx_mb->used_arch,
		};
		char err[256];

		if (p2sgw_chan_create(&dp.chan, chan_path, &l, err,
				      sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
		atexit(fx_cleanup);
	}
	worker->msg_ring = p2sgw_chan_msg_ring(&dp.chan, 0);
	worker->ev_ring = p2sgw_chan_ev_ring(&dp.chan, 0);
	worker->cnt = p2sgw_chan_counters(&dp.chan, 0);
	worker->now = rte_rdtsc();
	dp.workers[0] = worker;
	dp.n_workers = 1;
	fx_learn(DP_PORT_VNET, FX_VNET_GW);
	return 0;
}

struct dp_worker *
fx_worker(void)
{
	return worker;
}

void
fx_learn(unsigned port, uint32_t ip)
{
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, (uint8_t)port, 0x99 } };

	neigh_update(dp.port[port].neigh, ip, &mac, worker->now);
}

uint16_t
fx_take(unsigned port, struct rte_mbuf **out, uint16_t max)
{
	struct dp_txq *q = &worker->tx[port];
	uint16_t n = RTE_MIN(q->n, max);

	memcpy(out, q->pkts, n * sizeof(out[0]));
	q->n = 0;
	return n;
}

struct rte_mbuf *
fx_mbuf(const void *data, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	void *p;

	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(p, data, len);
	return m;
}

int
fx_msg(uint32_t type, uint32_t slot, struct p2sgw_event *ev)
{
	static uint32_t seq;
	struct p2sgw_msg m = { .type = type, .seq = ++seq, .slot = slot };
	const struct p2sgw_event *e;

	if (!p2sgw_ring_push(worker->msg_ring, &m))
		return -1;
	dp_chan_poll(worker);
	e = p2sgw_ring_peek(worker->ev_ring);
	if (e == NULL)
		return -1;
	*ev = *e;
	p2sgw_ring_pop(worker->ev_ring);
	return ev->seq == m.seq ? 0 : -1;
}

int
fx_tunnel_add(uint32_t slot, const struct p2sgw_sa_params *in,
	      const struct p2sgw_sa_params *out, uint32_t vip)
{
	struct p2sgw_tunnel_rec *t = p2sgw_chan_tunnel(&dp.chan, slot);
	struct p2sgw_event ev;
	const char *why = NULL;

	if (p2sgw_sa_fill(worker->mb, p2sgw_chan_sa_in(&dp.chan, slot), in,
			  &why) != 0 ||
	    p2sgw_sa_fill(worker->mb, p2sgw_chan_sa_out(&dp.chan, slot), out,
			  &why) != 0) {
		fprintf(stderr, "fx_tunnel_add: %s\n", why);
		return -1;
	}
	t->vip = vip;
	t->sa_in = slot;
	t->sa_out = slot;
	t->sa_in_prev = P2SGW_SLOT_NONE;
	t->state = P2SGW_SLOT_FILLED;
	if (fx_msg(P2SGW_MSG_TUNNEL_ADD, slot, &ev) != 0 ||
	    ev.type != P2SGW_EV_ACK)
		return -1;
	t->state = P2SGW_SLOT_LIVE;
	return 0;
}

int
fx_tunnel_del(uint32_t slot)
{
	struct p2sgw_tunnel_rec *t = p2sgw_chan_tunnel(&dp.chan, slot);
	struct p2sgw_event ev;

	if (t->state == P2SGW_SLOT_FREE)
		return 0;
	if (fx_msg(P2SGW_MSG_TUNNEL_DEL, slot, &ev) != 0 ||
	    ev.type != P2SGW_EV_ACK)
		return -1;
	p2sgw_sa_wipe(p2sgw_chan_sa_in(&dp.chan, slot), dp.chan.hdr->sa_in_size);
	p2sgw_sa_wipe(p2sgw_chan_sa_out(&dp.chan, slot), dp.chan.hdr->sa_out_size);
	memset(t, 0, sizeof(*t));
	return 0;
}
