/* SPDX-License-Identifier: BSD-3-Clause
 * Port setup from config: a PCI NIC or any DPDK vdev (net_af_packet,
 * net_tap/net_tun, net_memif, net_pcap, net_ring, net_null), one RX and
 * one TX queue per worker, RSS across workers where the port has it.
 */
#ifndef P2SGW_PORT_H
#define P2SGW_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

struct p2sgw_port_opts {
	uint16_t nb_queues;
	uint16_t nb_rxd;
	uint16_t nb_txd;
	uint16_t mtu;			/* 0 = leave as is */
	struct rte_mempool *pool;
};

/* The DPDK name of DEVICE: the PCI address, or the vdev name before the
 * first comma. Writes into NAME (size LEN). */
void p2sgw_port_dev_name(const char *device, char *name, size_t len);

/* Port id of a probed DEVICE; -1 if it did not probe. */
int p2sgw_port_find(const char *device, uint16_t *port_id);

/* Configure, set up queues and start. On failure returns -1 and a
 * one-line reason in ERR. */
int p2sgw_port_setup(uint16_t port_id, const struct p2sgw_port_opts *o,
		     char *err, size_t errlen);

/* Log link state (speed, duplex, up/down) and MAC of the port. */
void p2sgw_port_log(uint16_t port_id, const char *name);

/* For a net_af_packet port: keep the host kernel's own IP stack off the
 * interface (its frames belong to the dataplane) with a netdev ingress
 * drop table, and disable IPv6 on it. No-op for other devices.
 * Returns 0, or -1 with a reason in ERR. */
int p2sgw_port_isolate_kernel(const char *device, char *err, size_t errlen);
void p2sgw_port_release_kernel(const char *device);

#endif /* P2SGW_PORT_H */
