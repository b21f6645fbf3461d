/* SPDX-License-Identifier: BSD-3-Clause
 * Sending messages to the workers without ever losing one: a message goes
 * straight into the worker's ring when the ring has room and nothing is
 * queued before it; otherwise it waits in that worker's FIFO in control
 * memory and chanq_flush() moves it on later, in order. A full ring is
 * back-pressure, never loss.
 */
#ifndef CP_CHANQ_H
#define CP_CHANQ_H

#include <stddef.h>

#include "channel.h"

struct msg_fifo {
	struct p2sgw_msg *buf;
	size_t cap;			/* power of two, or 0 */
	size_t head;			/* oldest */
	size_t n;
};

struct chanq {
	const struct p2sgw_chan *ch;	/* NULL: no region */
	unsigned n_workers;
	struct msg_fifo q[P2SGW_CHAN_MAX_WORKERS];
	uint64_t sent;			/* pushed into rings */
	uint64_t deferred;		/* had to wait in a FIFO first */
};

/* Use region CH (NULL: none) and drop whatever was queued for the old one. */
void chanq_reset(struct chanq *q, const struct p2sgw_chan *ch);
void chanq_fini(struct chanq *q);

/* Send M to worker W (order per worker is kept). Aborts when out of
 * memory: losing a message would leave a slot half installed. */
void chanq_send(struct chanq *q, unsigned w, const struct p2sgw_msg *m);

/* Move queued messages into the rings while they have room. */
void chanq_flush(struct chanq *q);

/* Messages waiting in control memory (all workers / worker W). */
size_t chanq_pending(const struct chanq *q);
size_t chanq_pending_worker(const struct chanq *q, unsigned w);

#endif /* CP_CHANQ_H */
