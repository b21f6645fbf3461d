/* SPDX-License-Identifier: BSD-3-Clause
 * Single-producer/single-consumer ring of fixed-size records in shared
 * memory, usable by two processes that map it at different addresses (it
 * holds no pointers). Head and tail sit on their own cache lines; the
 * producer publishes with a release store, the consumer reads with an
 * acquire load, so a record is complete before it is visible. A full ring
 * refuses the push (back-pressure): nothing is ever overwritten.
 */
#ifndef P2SGW_RING_H
#define P2SGW_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define P2SGW_CACHE_LINE 64

struct p2sgw_ring {
	uint32_t slots;			/* power of two */
	uint32_t rec_size;		/* bytes per record, multiple of 8 */
	uint8_t pad0[P2SGW_CACHE_LINE - 8];
	uint64_t head;			/* next record the producer writes */
	uint8_t pad1[P2SGW_CACHE_LINE - 8];
	uint64_t tail;			/* next record the consumer reads */
	uint8_t pad2[P2SGW_CACHE_LINE - 8];
	uint8_t data[];			/* slots * rec_size */
} __attribute__((aligned(P2SGW_CACHE_LINE)));

static inline size_t
p2sgw_ring_size(uint32_t slots, uint32_t rec_size)
{
	return sizeof(struct p2sgw_ring) + (size_t)slots * rec_size;
}

static inline void
p2sgw_ring_init(struct p2sgw_ring *r, uint32_t slots, uint32_t rec_size)
{
	r->slots = slots;
	r->rec_size = rec_size;
	r->head = 0;
	r->tail = 0;
}

static inline uint32_t
p2sgw_ring_count(const struct p2sgw_ring *r)
{
	return (uint32_t)(__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
			  __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE));
}

static inline uint32_t
p2sgw_ring_free(const struct p2sgw_ring *r)
{
	return r->slots - p2sgw_ring_count(r);
}

/* Producer: copy REC (rec_size bytes) in. false if the ring is full. */
static inline bool
p2sgw_ring_push(struct p2sgw_ring *r, const void *rec)
{
	uint64_t head = r->head;
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	if (head - tail >= r->slots)
		return false;
	memcpy(r->data + (head & (r->slots - 1)) * r->rec_size, rec,
	       r->rec_size);
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return true;
}

/* Consumer: the oldest record, or NULL when empty. Valid until pop. */
static inline const void *
p2sgw_ring_peek(const struct p2sgw_ring *r)
{
	uint64_t tail = r->tail;

	if (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail)
		return NULL;
	return r->data + (tail & (r->slots - 1)) * r->rec_size;
}

static inline void
p2sgw_ring_pop(struct p2sgw_ring *r)
{
	__atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
}

#endif /* P2SGW_RING_H */
