/* SPDX-License-Identifier: BSD-3-Clause
 * Slot allocator for the channel's record arrays (tunnels, inbound SAs,
 * outbound SAs): a stack of free indices plus a bitmap of the ones in
 * use, so a double free or a free of a slot never allocated is refused
 * instead of corrupting the list. The lowest free indices are handed out
 * first after a rebuild. The free lists live in control memory only and
 * are rebuilt from the slots' states whenever a region is attached.
 */
#ifndef CP_SLOTS_H
#define CP_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

struct slot_pool {
	uint32_t cap;
	uint32_t n_free;
	uint32_t *free;			/* stack: free[n_free - 1] goes next */
	uint64_t *used;			/* bitmap */
};

/* CAP slots, all free. 0, or -1 when out of memory. */
int slots_init(struct slot_pool *p, uint32_t cap);
void slots_fini(struct slot_pool *p);

/* Rebuild from states: slot i is free iff IS_FREE(ARG, i). */
void slots_rebuild(struct slot_pool *p, bool (*is_free)(void *arg, uint32_t i),
		   void *arg);

/* A free slot (now in use), or P2SGW_SLOT_NONE when none is left. */
uint32_t slots_alloc(struct slot_pool *p);
/* Give slot I back. -1 if it is out of range or not in use. */
int slots_free(struct slot_pool *p, uint32_t i);
bool slots_in_use(const struct slot_pool *p, uint32_t i);

static inline uint32_t
slots_used(const struct slot_pool *p)
{
	return p->cap - p->n_free;
}

#endif /* CP_SLOTS_H */
