/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "port.h"

#define LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, RTE_LOGTYPE_USER1, "p2sgw: " fmt "\n", ##__VA_ARGS__)

void
p2sgw_port_dev_name(const char *device, char *name, size_t len)
{
	size_t n = strcspn(device, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, device, n);
	name[n] = '\0';
}

int
p2sgw_port_find(const char *device, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];

	p2sgw_port_dev_name(device, name, sizeof(name));
	return rte_eth_dev_get_port_by_name(name, port_id) == 0 ? 0 : -1;
}

static void
port_conf(const struct rte_eth_dev_info *di, uint16_t nb_queues,
	  struct rte_eth_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	/* Hash on addresses and UDP ports: a tunnel's packets (same outer
	 * addresses and ports) always reach the same worker. */
	if (nb_queues > 1 && di->flow_type_rss_offloads != 0) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) &
			di->flow_type_rss_offloads;
	}
	conf->txmode.offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS &
				di->tx_offload_capa;
}

int
p2sgw_port_setup(uint16_t port_id, const struct p2sgw_port_opts *o,
		 char *err, size_t errlen)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	uint16_t rxd = o->nb_rxd, txd = o->nb_txd, q;
	int rc, socket = rte_eth_dev_socket_id(port_id);

	if (socket < 0)
		socket = 0;
	rc = rte_eth_dev_info_get(port_id, &di);
	if (rc != 0) {
		snprintf(err, errlen, "cannot read device info: %s", rte_strerror(-rc));
		return -1;
	}
	if (o->nb_queues > di.max_rx_queues || o->nb_queues > di.max_tx_queues) {
		snprintf(err, errlen, "%u workers need %u queues; the device has %u RX / %u TX",
			 o->nb_queues, o->nb_queues, di.max_rx_queues, di.max_tx_queues);
		return -1;
	}
	port_conf(&di, o->nb_queues, &conf);
	rc = rte_eth_dev_configure(port_id, o->nb_queues, o->nb_queues, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rxd, &txd);
	if (rc != 0) {
		snprintf(err, errlen, "configure failed: %s", rte_strerror(-rc));
		return -1;
	}
	if (o->mtu != 0) {
		rc = rte_eth_dev_set_mtu(port_id, o->mtu);
		if (rc != 0 && rc != -ENOTSUP)
			LOG(WARNING, "port %u: MTU %u not set: %s", port_id, o->mtu,
			    rte_strerror(-rc));
	}
	for (q = 0; q < o->nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, rxd, socket, NULL, o->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port_id, q, txd, socket, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "queue %u setup failed: %s", q,
				 rte_strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		snprintf(err, errlen, "start failed: %s", rte_strerror(-rc));
		return -1;
	}
	return 0;
}

void
p2sgw_port_log(uint16_t port_id, const char *name)
{
	struct rte_ether_addr mac;
	struct rte_eth_link link;
	char ls[RTE_ETH_LINK_MAX_STR_LEN];

	rte_eth_macaddr_get(port_id, &mac);
	if (rte_eth_link_get_nowait(port_id, &link) == 0)
		snprintf(ls, sizeof(ls), "link %s, %u Mbps", link.link_status ?
			 "up" : "down", link.link_speed);
	else
		snprintf(ls, sizeof(ls), "link state unknown");
	LOG(INFO, "port %u (%s): " RTE_ETHER_ADDR_PRT_FMT ", %s", port_id, name,
	    RTE_ETHER_ADDR_BYTES(&mac), ls);
}

/* The iface=NAME argument of an af_packet device, or false. */
static bool
af_packet_iface(const char *device, char *ifname, size_t len)
{
	const char *p;
	size_t n;

	if (strncmp(device, "net_af_packet", 13) != 0)
		return false;
	p = strstr(device, "iface=");
	if (p == NULL)
		return false;
	p += 6;
	n = strcspn(p, ",");
	if (n == 0 || n >= len)
		return false;
	memcpy(ifname, p, n);
	ifname[n] = '\0';
	return true;
}

static int
run_nft(const char *script)
{
	FILE *f = popen("nft -f - 2>&1", "w");

	if (f == NULL)
		return -1;
	fputs(script, f);
	return pclose(f) == 0 ? 0 : -1;
}

int
p2sgw_port_isolate_kernel(const char *device, char *err, size_t errlen)
{
	char ifname[64], script[512], path[128];
	FILE *f;

	if (!af_packet_iface(device, ifname, sizeof(ifname)))
		return 0;
	/* The kernel would otherwise answer ARP and take IP packets for the
	 * gateway's addresses on this interface too. The ingress hook runs
	 * after packet sockets have their copy, so the dataplane still sees
	 * every frame. */
	snprintf(script, sizeof(script),
		 "table netdev p2sgw_%s {\n"
		 "  chain ingress { type filter hook ingress device \"%s\" "
		 "priority -500; policy drop; }\n}\n", ifname, ifname);
	if (run_nft(script) != 0) {
		snprintf(err, errlen, "cannot keep the kernel off %s: 'nft' failed "
			 "(install nftables)", ifname);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs("1", f);
		fclose(f);
	}
	return 0;
}

void
p2sgw_port_release_kernel(const char *device)
{
	char ifname[64], script[256];

	if (!af_packet_iface(device, ifname, sizeof(ifname)))
		return;
	snprintf(script, sizeof(script), "delete table netdev p2sgw_%s\n", ifname);
	run_nft(script);
}
