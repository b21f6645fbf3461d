/* SPDX-License-Identifier: BSD-3-Clause
 * The exception path's kernel side: the TUN interface that carries the
 * gateway's own addresses, so that IKE, ICMP and TCP for the gateway reach
 * the host's sockets (and the control plane) through the kernel stack.
 */
#ifndef P2SGW_HOST_H
#define P2SGW_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "p2sgw_types.h"

/* Bring IFNAME up with MTU and the given addresses (host order) and
 * prefix lengths, route ROUTES (the client pools) through it, and disable
 * IPv6 on it. -1 with a reason in ERR. */
int dp_host_iface_setup(const char *ifname, uint16_t mtu,
			const uint32_t *addrs, const uint8_t *lens, unsigned n,
			const struct p2sgw_prefix4 *routes, unsigned nroutes,
			char *err, size_t errlen);

#endif
