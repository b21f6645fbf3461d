/* SPDX-License-Identifier: BSD-3-Clause
 * The client address pool (see pool.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

int
pool_init(struct pool *p, const struct p2sgw_prefix4 *pfx, unsigned n)
{
	size_t total = 0;

	memset(p, 0, sizeof(*p));
	p->r = calloc(n ? n : 1, sizeof(*p->r));
	if (p->r == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint32_t len = pfx[i].len, net, cnt;

		net = len == 0 ? 0 : pfx[i].addr & (~0u << (32 - len));
		if (len >= 31) {
			/* /31 and /32: every address is usable (RFC 3021) */
			cnt = len == 32 ? 1 : 2;
		} else {
			cnt = (uint32_t)((1ull << (32 - len)) - 2);
			net += 1;
		}
		p->r[p->n_ranges++] = (struct pool_range){
			.first = net, .count = cnt, .base = total };
		total += cnt;
	}
	p->size = total;
	p->map = calloc((total + 63) / 64 + 1, sizeof(uint64_t));
	if (p->map == NULL) {
		free(p->r);
		p->r = NULL;
		return -1;
	}
	return 0;
}

void
pool_fini(struct pool *p)
{
	free(p->r);
	free(p->map);
	memset(p, 0, sizeof(*p));
}

static bool
bit_of(const struct pool *p, uint32_t addr, size_t *bit)
{
	for (unsigned i = 0; i < p->n_ranges; i++) {
		const struct pool_range *r = &p->r[i];

		if (addr - r->first < r->count) {
			*bit = r->base + (addr - r->first);
			return true;
		}
	}
	return false;
}

static uint32_t
addr_of(const struct pool *p, size_t bit)
{
	for (unsigned i = 0; i < p->n_ranges; i++) {
		const struct pool_range *r = &p->r[i];

		if (bit - r->base < r->count)
			return r->first + (uint32_t)(bit - r->base);
	}
	return 0;
}

bool
pool_contains(const struct pool *p, uint32_t addr)
{
	size_t bit;

	return bit_of(p, addr, &bit);
}

bool
pool_in_use(const struct pool *p, uint32_t addr)
{
	size_t bit;

	return bit_of(p, addr, &bit) && (p->map[bit / 64] >> (bit % 64)) & 1;
}

bool
pool_take(struct pool *p, uint32_t addr)
{
	size_t bit;

	if (!bit_of(p, addr, &bit) || (p->map[bit / 64] >> (bit % 64)) & 1)
		return false;
	p->map[bit / 64] |= 1ull << (bit % 64);
	p->used++;
	return true;
}

uint32_t
pool_alloc(struct pool *p)
{
	size_t words = (p->size + 63) / 64;

	if (p->used >= p->size)
		return 0;
	for (size_t k = 0; k <= words; k++) {
		size_t w = (p->cursor / 64 + k) % words;
		uint64_t free_bits = ~p->map[w];

		if (w == words - 1 && p->size % 64)
			free_bits &= (1ull << (p->size % 64)) - 1;
		if (k == 0)		/* next-fit: not below the cursor */
			free_bits &= ~0ull << (p->cursor % 64);
		if (free_bits == 0)
			continue;
		size_t bit = w * 64 + (size_t)__builtin_ctzll(free_bits);

		p->map[w] |= 1ull << (bit % 64);
		p->used++;
		p->cursor = (bit + 1) % p->size;
		return addr_of(p, bit);
	}
	return 0;
}

void
pool_release(struct pool *p, uint32_t addr)
{
	size_t bit;

	if (!bit_of(p, addr, &bit) || !((p->map[bit / 64] >> (bit % 64)) & 1))
		return;
	p->map[bit / 64] &= ~(1ull << (bit % 64));
	p->used--;
}
