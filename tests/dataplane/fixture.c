/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lpm.h>
#include <rte_malloc.h>

#include "fixture.h"

int failures;
static struct dp_worker *worker;
/* Also held here (LeakSanitizer does not scan rte_malloc memory) and
 * freed at exit. */
static IMB_MGR *fx_mb;

static void
fx_cleanup(void)
{
	p2sgw_crypto_mgr_free(fx_mb);
}

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
	atexit(fx_cleanup);
	if (worker->mb == NULL || sa_tables_init(&worker->tab, "fx", 0, 1024) != 0)
		return -1;
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
