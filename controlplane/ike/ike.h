/* SPDX-License-Identifier: BSD-3-Clause
 * The IKEv2 responder (RFC 7296) of p2sgw-control: UDP 500 and 4500 on
 * the host (reached through the dataplane's exception port), certificate
 * authentication, the client address pool, and one CHILD SA per client
 * installed in the dataplane through the tunnel manager.
 */
#ifndef CP_IKE_H
#define CP_IKE_H

#include <stddef.h>
#include <stdint.h>

struct cp;
struct ike;
struct jw;
struct p2sgw_config;

/* Load the certificates of CP's config, make the pool, open the sockets
 * (PORT and NATT_PORT; 0 for the standard 500 and 4500). NULL with a
 * reason in ERR. */
struct ike *ike_new(struct cp *cp, uint16_t port, uint16_t natt_port,
		    char *err, size_t errlen);
/* Close the sockets and forget every IKE SA (their CHILD SAs stay in the
 * dataplane until a control plane removes them). */
void ike_free(struct ike *ike);

/* Reserve the VIPs of static tunnels so that the pool never hands them
 * out. */
void ike_pool_reserve(struct ike *ike, uint32_t vip);

/* The IKE SAs as a JSON array "ike_sas" into W. */
void ike_show(struct ike *ike, struct jw *w);
/* Counters as object "ike" into W. */
void ike_show_stats(struct ike *ike, struct jw *w);

/* Disconnect the IKE SA whose numeric id, identity, VIP or tunnel name is
 * WHO: DELETE to the client, its CHILD SA removed from the dataplane.
 * 0, or -1 with ERR when there is none. */
int ike_disconnect(struct ike *ike, const char *who, char *err, size_t errlen);

/* Number of IKE SAs established / half-open. */
size_t ike_count_established(const struct ike *ike);

#endif /* CP_IKE_H */
