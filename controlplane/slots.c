/* SPDX-License-Identifier: BSD-3-Clause
 * Free-index stack with an in-use bitmap.
 */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "slots.h"

#define WORD(i) ((i) / 64)
#define BIT(i) (UINT64_C(1) << ((i) % 64))

int
slots_init(struct slot_pool *p, uint32_t cap)
{
	uint32_t i;

	memset(p, 0, sizeof(*p));
	p->free = malloc((cap ? cap : 1) * sizeof(p->free[0]));
	p->used = calloc(WORD(cap) + 1, sizeof(p->used[0]));
	if (p->free == NULL || p->used == NULL) {
		slots_fini(p);
		return -1;
	}
	p->cap = cap;
	for (i = 0; i < cap; i++)
		p->free[i] = cap - 1 - i;
	p->n_free = cap;
	return 0;
}

void
slots_fini(struct slot_pool *p)
{
	free(p->free);
	free(p->used);
	memset(p, 0, sizeof(*p));
}

void
slots_rebuild(struct slot_pool *p, bool (*is_free)(void *arg, uint32_t i),
	      void *arg)
{
	uint32_t i;

	memset(p->used, 0, (WORD(p->cap) + 1) * sizeof(p->used[0]));
	p->n_free = 0;
	for (i = p->cap; i-- > 0;) {
		if (is_free(arg, i))
			p->free[p->n_free++] = i;
		else
			p->used[WORD(i)] |= BIT(i);
	}
}

bool
slots_in_use(const struct slot_pool *p, uint32_t i)
{
	return i < p->cap && (p->used[WORD(i)] & BIT(i)) != 0;
}

uint32_t
slots_alloc(struct slot_pool *p)
{
	uint32_t i;

	if (p->n_free == 0)
		return P2SGW_SLOT_NONE;
	i = p->free[--p->n_free];
	p->used[WORD(i)] |= BIT(i);
	return i;
}

int
slots_free(struct slot_pool *p, uint32_t i)
{
	if (!slots_in_use(p, i))
		return -1;
	p->used[WORD(i)] &= ~BIT(i);
	p->free[p->n_free++] = i;
	return 0;
}
