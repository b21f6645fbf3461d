/* SPDX-License-Identifier: BSD-3-Clause
 * A dataplane without ports for tests: EAL without hugepages, one worker,
 * uplink 172.16.10.1/24, vnet 10.10.0.1/24 (gateway 10.10.0.254), allowed
 * routes 10.10.0.0/16 and 10.200.0.0/24, every neighbour pre-resolved.
 * Output stays in the worker's TX queues, where tests inspect it.
 */
#ifndef P2SGW_TEST_FIXTURE_H
#define P2SGW_TEST_FIXTURE_H

#include <stdio.h>

#include "dp.h"

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__,	\
			__LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		failures++;						\
	}								\
} while (0)

extern int failures;

#define FX_UPLINK 0xac100a01u	/* 172.16.10.1 */
#define FX_VNET 0x0a0a0001u	/* 10.10.0.1 */
#define FX_VNET_GW 0x0a0a00feu	/* 10.10.0.254 */

int fx_init(const char *prog);
struct dp_worker *fx_worker(void);
void fx_learn(unsigned port, uint32_t ip);
/* Install tunnel SLOT (SA slots of the same number) through the worker's
 * message ring, as the control plane does; 0 when the worker acked. */
int fx_tunnel_add(uint32_t slot, const struct p2sgw_sa_params *in,
		  const struct p2sgw_sa_params *out, uint32_t vip);
int fx_tunnel_del(uint32_t slot);
/* Push one message and run the worker's channel poll; the event it got. */
int fx_msg(uint32_t type, uint32_t slot, struct p2sgw_event *ev);
/* Take the packets queued for PORT (caller frees). */
uint16_t fx_take(unsigned port, struct rte_mbuf **out, uint16_t max);
struct rte_mbuf *fx_mbuf(const void *data, uint32_t len);

#endif
