/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "sa.h"

/* Keys are one 32-bit word (SPI, VIP): hashed with the CPU's CRC32
 * instruction and compared as words, instead of jhash and a libc
 * memcmp call per probe. */
static int
key_cmp(const void *a, const void *b, size_t len)
{
	uint32_t x, y;

	(void)len;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x != y;
}

static struct rte_hash *
table_create(const char *name, const char *kind, unsigned socket,
	     uint32_t capacity)
{
	char n[RTE_HASH_NAMESIZE];
	struct rte_hash *h;
	struct rte_hash_parameters hp = {
		.entries = capacity < 64 ? 64 : capacity,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)socket,
	};

	snprintf(n, sizeof(n), "%s_%s", name, kind);
	hp.name = n;
	h = rte_hash_create(&hp);
	if (h != NULL)
		rte_hash_set_cmp_func(h, key_cmp);
	return h;
}

int
sa_tables_init(struct sa_tables *t, const char *name, unsigned socket,
	       uint32_t spi_capacity, uint32_t vip_capacity)
{
	t->by_spi = table_create(name, "spi", socket, spi_capacity);
	t->by_vip = table_create(name, "vip", socket, vip_capacity);
	if (t->by_spi == NULL || t->by_vip == NULL) {
		sa_tables_free(t);
		return -ENOMEM;
	}
	return 0;
}

void
sa_tables_free(struct sa_tables *t)
{
	rte_hash_free(t->by_spi);
	rte_hash_free(t->by_vip);
	t->by_spi = t->by_vip = NULL;
}

int
sa_tables_add_in(struct sa_tables *t, struct p2sgw_sa *sa)
{
	return rte_hash_add_key_data(t->by_spi, &sa->spi, sa);
}

void
sa_tables_del_in(struct sa_tables *t, const struct p2sgw_sa *sa)
{
	void *cur;

	if (rte_hash_lookup_data(t->by_spi, &sa->spi, &cur) >= 0 && cur == sa)
		rte_hash_del_key(t->by_spi, &sa->spi);
}

int
sa_tables_set_out(struct sa_tables *t, uint32_t vip, struct p2sgw_sa *sa)
{
	return rte_hash_add_key_data(t->by_vip, &vip, sa);
}

void
sa_tables_del_out(struct sa_tables *t, uint32_t vip)
{
	rte_hash_del_key(t->by_vip, &vip);
}

void
sa_tables_reset(struct sa_tables *t)
{
	rte_hash_reset(t->by_spi);
	rte_hash_reset(t->by_vip);
}
