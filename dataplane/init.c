/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "dp.h"
#include "host.h"
#include "init.h"
#include "port.h"

struct dp_global dp;

enum { NEIGH_SLOTS = 4096, NEIGH_GRACE_S = 5 };

static int
port_init(const struct p2sgw_config *cfg, const struct p2sgw_port_cfg *pc,
	  struct dp_port *p, char *err, size_t errlen)
{
	struct p2sgw_port_opts o = {
		.nb_queues = (uint16_t)cfg->dataplane.n_lcores,
		.nb_rxd = (uint16_t)cfg->dataplane.rx_desc,
		.nb_txd = (uint16_t)cfg->dataplane.tx_desc,
		.mtu = pc->mtu, .pool = dp.pool,
	};
	char why[256];

	if (p2sgw_port_find(pc->device, &p->port_id) != 0) {
		snprintf(err, errlen, "port '%s' (%s:%d): device '%s' did not probe "
			 "(missing interface or PCI device?)", pc->name, cfg->path,
			 pc->line, pc->device);
		return -1;
	}
	if (p2sgw_port_isolate_kernel(pc->device, why, sizeof(why)) != 0 ||
	    p2sgw_port_setup(p->port_id, &o, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "port '%s' (%s): %s", pc->name, pc->device, why);
		return -1;
	}
	rte_eth_macaddr_get(p->port_id, &p->mac);
	p->mtu = pc->mtu;
	p->addr = pc->address.addr;
	p->addr_be = rte_cpu_to_be_32(pc->address.addr);
	p->mask = p2sgw_prefix4_mask(pc->address.len);
	p->gateway = pc->gateway;
	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	p->neigh = neigh_create(pc->name, NEIGH_SLOTS,
				cfg->dataplane.neigh_ageing * dp.tsc_hz,
				NEIGH_GRACE_S * dp.tsc_hz, dp.tsc_hz,
				(int)rte_socket_id());
	if (p->neigh == NULL) {
		snprintf(err, errlen, "port '%s': no memory for neighbours", pc->name);
		return -1;
	}
	p2sgw_port_log(p->port_id, pc->name);
	return 0;
}

static int
host_init(const struct p2sgw_config *cfg, char *err, size_t errlen)
{
	struct p2sgw_port_opts o = {
		.nb_queues = (uint16_t)cfg->dataplane.n_lcores,
		.nb_rxd = 512, .nb_txd = 512, .pool = dp.pool,
	};
	uint32_t addrs[2];
	uint8_t lens[2];
	char why[256];
	unsigned i;

	dp.port[DP_PORT_HOST].port_id = DP_PORT_NONE;
	if (!cfg->dataplane.exception.enabled)
		return 0;
	if (p2sgw_port_find(cfg->dataplane.exception.device,
			    &dp.port[DP_PORT_HOST].port_id) != 0) {
		snprintf(err, errlen, "exception device '%s' did not probe (no /dev/net/tun?)",
			 cfg->dataplane.exception.device);
		return -1;
	}
	if (p2sgw_port_setup(dp.port[DP_PORT_HOST].port_id, &o, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "exception port: %s", why);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		addrs[i] = dp.port[i].addr;
		lens[i] = (uint8_t)__builtin_popcount(dp.port[i].mask);
	}
	return dp_host_iface_setup(cfg->dataplane.exception.iface,
				   dp.port[DP_PORT_UPLINK].mtu, addrs, lens, 2,
				   cfg->p2s.pools, cfg->p2s.n_pools, err, errlen);
}

static int
allowed_init(const struct p2sgw_config *cfg, char *err, size_t errlen)
{
	struct rte_lpm_config lc = {
		.max_rules = P2SGW_MAX_TRAFFIC_SELECTORS + 1,
		.number_tbl8s = 256,
	};
	unsigned i;

	dp.allowed = rte_lpm_create("p2sgw_allowed", (int)rte_socket_id(), &lc);
	if (dp.allowed == NULL) {
		snprintf(err, errlen, "cannot create route table");
		return -1;
	}
	for (i = 0; i < cfg->p2s.n_routes; i++)
		if (rte_lpm_add(dp.allowed, cfg->p2s.routes[i].addr,
				cfg->p2s.routes[i].len, 1) != 0) {
			snprintf(err, errlen, "cannot add route %u", i);
			return -1;
		}
	return 0;
}

static int
chan_init(const struct p2sgw_config *cfg, char *err, size_t errlen)
{
	struct p2sgw_chan_limits l = {
		.n_workers = cfg->dataplane.n_lcores,
		.max_tunnels = cfg->control.max_tunnels,
		/* spare SAs for make-before-break rekeys in flight */
		.max_sa_in = cfg->control.max_tunnels + cfg->control.max_tunnels / 16 + 16,
		.max_sa_out = cfg->control.max_tunnels + cfg->control.max_tunnels / 16 + 16,
		.max_replay_window = cfg->control.max_replay_window,
	};
	IMB_MGR *mb = p2sgw_crypto_mgr_create();

	if (mb == NULL) {
		snprintf(err, errlen, "cannot create an IPsec-MB manager");
		return -1;
	}
	l.crypto_arch = mb->used_arch;
	p2sgw_crypto_mgr_free(mb);
	return p2sgw_chan_create(&dp.chan, cfg->control.channel, &l, err, errlen);
}

static uint64_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

static int
workers_init(const struct p2sgw_config *cfg, char *err, size_t errlen)
{
	uint64_t before = heap_used();
	unsigned i;
	char name[32];

	dp.n_workers = cfg->dataplane.n_lcores;
	for (i = 0; i < dp.n_workers; i++) {
		struct dp_worker *w = rte_zmalloc("p2sgw_worker", sizeof(*w),
						  RTE_CACHE_LINE_SIZE);

		if (w == NULL)
			goto nomem;
		dp.workers[i] = w;
		w->idx = (uint16_t)i;
		w->lcore = cfg->dataplane.lcores[i];
		w->queue = (uint16_t)i;
		w->msg_ring = p2sgw_chan_msg_ring(&dp.chan, i);
		w->ev_ring = p2sgw_chan_ev_ring(&dp.chan, i);
		w->cnt = p2sgw_chan_counters(&dp.chan, i);
		w->mb = p2sgw_crypto_mgr_create();
		snprintf(name, sizeof(name), "p2sgw_w%u", i);
		if (w->mb == NULL || sa_tables_init(&w->tab, name,
				(unsigned)rte_socket_id(), dp.chan.hdr->max_sa_in,
				dp.chan.hdr->max_tunnels) != 0)
			goto nomem;
		snprintf(name, sizeof(name), "p2sgw_handoff%u", i);
		w->handoff = rte_ring_create(name, DP_HANDOFF_RING,
					     (int)rte_socket_id(), RING_F_SC_DEQ);
		if (w->handoff == NULL)
			goto nomem;
	}
	dp.table_bytes = heap_used() - before;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory creating workers (raise socket_mem)");
	return -1;
}

int
dp_init(const struct p2sgw_config *cfg, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < DP_NPORTS; i++)
		dp.port[i].port_id = DP_PORT_NONE;
	dp.tsc_hz = rte_get_tsc_hz();
	dp.start_tsc = rte_rdtsc();
	dp.ttl = cfg->esp.ttl;
	dp.df_mode = (uint8_t)cfg->esp.df;
	dp.natt_port = 4500;
	dp.pool = rte_pktmbuf_pool_create("p2sgw_mbuf", cfg->dataplane.mbufs, 256,
					  0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (dp.pool == NULL) {
		snprintf(err, errlen, "cannot create %u mbufs: %s (raise socket_mem "
			 "or lower mbufs)", cfg->dataplane.mbufs, rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < cfg->dataplane.n_ports; i++) {
		const struct p2sgw_port_cfg *pc = &cfg->dataplane.ports[i];
		unsigned slot = pc->role == P2SGW_PORT_UPLINK ? DP_PORT_UPLINK :
								DP_PORT_VNET;

		if (port_init(cfg, pc, &dp.port[slot], err, errlen) != 0)
			return -1;
	}
	if (host_init(cfg, err, errlen) != 0 || allowed_init(cfg, err, errlen) != 0 ||
	    chan_init(cfg, err, errlen) != 0 || workers_init(cfg, err, errlen) != 0)
		return -1;
	return 0;
}

void
dp_fini(const struct p2sgw_config *cfg)
{
	unsigned i;

	for (i = 0; i < DP_NPORTS; i++) {
		if (dp.port[i].port_id != DP_PORT_NONE) {
			rte_eth_dev_stop(dp.port[i].port_id);
			rte_eth_dev_close(dp.port[i].port_id);
		}
		neigh_free(dp.port[i].neigh);
	}
	for (i = 0; i < cfg->dataplane.n_ports; i++)
		p2sgw_port_release_kernel(cfg->dataplane.ports[i].device);
	for (i = 0; i < dp.n_workers; i++) {
		if (dp.workers[i] == NULL)
			continue;
		sa_tables_free(&dp.workers[i]->tab);
		p2sgw_crypto_mgr_free(dp.workers[i]->mb);
		rte_ring_free(dp.workers[i]->handoff);
		rte_free(dp.workers[i]);
	}
	/* Wipe every SA slot (keys) before the region goes away. */
	if (dp.chan.hdr != NULL) {
		explicit_bzero(dp.chan.base + dp.chan.hdr->off_sa_in,
			       dp.chan.hdr->off_tunnels - dp.chan.hdr->off_sa_in);
		p2sgw_chan_close(&dp.chan, true);
	}
}
