/* SPDX-License-Identifier: BSD-3-Clause
 * Tunnel index: four chained hash tables (name, VIP, inbound SPI,
 * outbound SPI) whose links live in the tunnels themselves. The tables
 * double when they hold more tunnels than buckets.
 */
#include <stdlib.h>
#include <string.h>

#include "tunnels.h"

enum { TIDX_MIN_BUCKETS = 1024 };

static uint64_t
mix32(uint32_t v)
{
	uint64_t h = (uint64_t)v * UINT64_C(0x9e3779b97f4a7c15);

	return h ^ (h >> 29);
}

static uint64_t
hash_name(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
	return h;
}

static uint64_t
key_hash(enum tidx_key k, const struct tunnel *t)
{
	switch (k) {
	case TIDX_NAME:
		return hash_name(t->spec.name);
	case TIDX_VIP:
		return mix32(t->spec.vip);
	case TIDX_SPI_IN:
		return mix32(t->spec.spi_in);
	default:
		return mix32(t->spec.spi_out);
	}
}

static bool
key_eq(enum tidx_key k, const struct tunnel *a, const struct tunnel *b)
{
	switch (k) {
	case TIDX_NAME:
		return strcmp(a->spec.name, b->spec.name) == 0;
	case TIDX_VIP:
		return a->spec.vip == b->spec.vip;
	case TIDX_SPI_IN:
		return a->spec.spi_in == b->spec.spi_in;
	default:
		/* Outbound SPIs are chosen by each client for itself: two
		 * clients may pick the same one. They only clash for the same
		 * client address (and NAT-T port). */
		return a->spec.spi_out == b->spec.spi_out &&
		       a->spec.peer == b->spec.peer &&
		       a->spec.encap == b->spec.encap &&
		       (!a->spec.encap ||
			a->spec.encap_sport == b->spec.encap_sport);
	}
}

int
tidx_init(struct tidx *x)
{
	int k;

	memset(x, 0, sizeof(*x));
	x->nb = TIDX_MIN_BUCKETS;
	for (k = 0; k < TIDX_COUNT; k++) {
		x->b[k] = calloc(x->nb, sizeof(x->b[k][0]));
		if (x->b[k] == NULL) {
			tidx_fini(x);
			return -1;
		}
	}
	return 0;
}

void
tidx_fini(struct tidx *x)
{
	int k;

	for (k = 0; k < TIDX_COUNT; k++)
		free(x->b[k]);
	memset(x, 0, sizeof(*x));
}

static void
chain_insert(struct tunnel **b, size_t nb, enum tidx_key k, struct tunnel *t)
{
	struct tunnel **head = &b[key_hash(k, t) & (nb - 1)];

	t->link[k] = *head;
	*head = t;
}

/* Double the tables; on allocation failure keep the longer chains. */
static void
grow(struct tidx *x)
{
	struct tunnel **nb[TIDX_COUNT] = { NULL };
	struct tunnel *t, *next;
	size_t n = 2 * x->nb, i;
	int k;

	for (k = 0; k < TIDX_COUNT; k++) {
		nb[k] = calloc(n, sizeof(nb[k][0]));
		if (nb[k] == NULL) {
			while (k-- > 0)
				free(nb[k]);
			return;
		}
	}
	for (k = 0; k < TIDX_COUNT; k++) {
		for (i = 0; i < x->nb; i++) {
			for (t = x->b[k][i]; t != NULL; t = next) {
				next = t->link[k];
				chain_insert(nb[k], n, (enum tidx_key)k, t);
			}
		}
		free(x->b[k]);
		x->b[k] = nb[k];
	}
	x->nb = n;
}

void
tidx_insert(struct tidx *x, struct tunnel *t)
{
	int k;

	if (x->n >= x->nb)
		grow(x);
	for (k = 0; k < TIDX_COUNT; k++)
		chain_insert(x->b[k], x->nb, (enum tidx_key)k, t);
	x->n++;
}

void
tidx_remove(struct tidx *x, struct tunnel *t)
{
	struct tunnel **p;
	int k;

	for (k = 0; k < TIDX_COUNT; k++) {
		p = &x->b[k][key_hash((enum tidx_key)k, t) & (x->nb - 1)];
		while (*p != NULL && *p != t)
			p = &(*p)->link[k];
		if (*p == t)
			*p = t->link[k];
		t->link[k] = NULL;
	}
	x->n--;
}

struct tunnel *
tidx_next(enum tidx_key k, const struct tunnel *u, const struct tunnel *t)
{
	for (u = u->link[k]; u != NULL; u = u->link[k])
		if (u != t && key_eq(k, u, t))
			return (struct tunnel *)u;
	return NULL;
}

struct tunnel *
tidx_first(const struct tidx *x, enum tidx_key k, const struct tunnel *t)
{
	struct tunnel *u = x->b[k][key_hash(k, t) & (x->nb - 1)];

	for (; u != NULL; u = u->link[k])
		if (u != t && key_eq(k, u, t))
			return u;
	return NULL;
}

struct tunnel *
tidx_find_name(const struct tidx *x, const char *name)
{
	struct tunnel *u = x->b[TIDX_NAME][hash_name(name) & (x->nb - 1)];

	for (; u != NULL; u = u->link[TIDX_NAME])
		if (u->present && strcmp(u->spec.name, name) == 0)
			return u;
	return NULL;
}
