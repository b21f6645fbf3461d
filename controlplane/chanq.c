/* SPDX-License-Identifier: BSD-3-Clause
 * Per-worker message FIFOs in front of the shared-memory rings.
 */
#include <stdlib.h>
#include <string.h>

#include "chanq.h"

static void
fifo_clear(struct msg_fifo *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

void
chanq_reset(struct chanq *q, const struct p2sgw_chan *ch)
{
	unsigned w;

	for (w = 0; w < P2SGW_CHAN_MAX_WORKERS; w++)
		fifo_clear(&q->q[w]);
	q->ch = ch;
	q->n_workers = ch != NULL ? ch->hdr->n_workers : 0;
}

void
chanq_fini(struct chanq *q)
{
	chanq_reset(q, NULL);
}

static void
fifo_push(struct msg_fifo *f, const struct p2sgw_msg *m)
{
	struct p2sgw_msg *nb;
	size_t cap, i;

	if (f->n == f->cap) {
		cap = f->cap ? 2 * f->cap : 64;
		nb = malloc(cap * sizeof(*nb));
		if (nb == NULL)
			abort();
		for (i = 0; i < f->n; i++)
			nb[i] = f->buf[(f->head + i) & (f->cap - 1)];
		free(f->buf);
		f->buf = nb;
		f->cap = cap;
		f->head = 0;
	}
	f->buf[(f->head + f->n) & (f->cap - 1)] = *m;
	f->n++;
}

void
chanq_send(struct chanq *q, unsigned w, const struct p2sgw_msg *m)
{
	struct msg_fifo *f = &q->q[w];

	if (q->ch == NULL || w >= q->n_workers)
		return;
	if (f->n == 0 && p2sgw_ring_push(p2sgw_chan_msg_ring(q->ch, w), m)) {
		q->sent++;
		return;
	}
	fifo_push(f, m);
	q->deferred++;
}

void
chanq_flush(struct chanq *q)
{
	struct p2sgw_ring *r;
	struct msg_fifo *f;
	unsigned w;

	if (q->ch == NULL)
		return;
	for (w = 0; w < q->n_workers; w++) {
		f = &q->q[w];
		if (f->n == 0)
			continue;
		r = p2sgw_chan_msg_ring(q->ch, w);
		while (f->n > 0 && p2sgw_ring_push(r, &f->buf[f->head])) {
			f->head = (f->head + 1) & (f->cap - 1);
			f->n--;
			q->sent++;
		}
	}
}

size_t
chanq_pending_worker(const struct chanq *q, unsigned w)
{
	return w < P2SGW_CHAN_MAX_WORKERS ? q->q[w].n : 0;
}

size_t
chanq_pending(const struct chanq *q)
{
	size_t n = 0;
	unsigned w;

	for (w = 0; w < q->n_workers; w++)
		n += q->q[w].n;
	return n;
}
