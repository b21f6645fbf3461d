/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "esp_wire.h"
#include "sa.h"

struct p2sgw_sa *
sa_create(IMB_MGR *mgr, const struct sa_params *p, const char **why)
{
	size_t sz = sizeof(struct p2sgw_sa);
	struct p2sgw_crypto_key *key;
	struct p2sgw_sa *sa;

	if (p->spi < ESP_SPI_MIN) {
		*why = "SPI 1..255 is reserved";
		return NULL;
	}
	if (p->dir == SA_DIR_IN)
		sz = sizeof(*sa) + replay_size(p->replay_window) -
		     sizeof(struct replay_window);
	sa = rte_zmalloc("p2sgw_sa", sz, RTE_CACHE_LINE_SIZE);
	key = rte_zmalloc("p2sgw_key", sizeof(*key), RTE_CACHE_LINE_SIZE);
	if (sa == NULL || key == NULL) {
		rte_free(sa);
		rte_free(key);
		*why = "out of hugepage memory";
		return NULL;
	}
	if (p2sgw_crypto_key_init(mgr, key, p->suite, p->key, p->key_len,
				  p->auth_key, p->auth_key_len) != 0) {
		p2sgw_crypto_key_wipe(key);
		rte_free(key);
		rte_free(sa);
		*why = "key length does not fit the suite";
		return NULL;
	}
	sa->spi = p->spi;
	sa->spi_be = rte_cpu_to_be_32(p->spi);
	sa->dir = p->dir;
	sa->suite = p->suite;
	sa->icv_len = key->icv_len;
	sa->iv_len = key->iv_len;
	sa->block_len = key->block_len;
	sa->flags = (p->esn ? SA_F_ESN : 0) | (p->encap ? SA_F_ENCAP : 0);
	sa->owner = SA_OWNER_NONE;
	sa->peer_be = rte_cpu_to_be_32(p->peer);
	sa->local_be = rte_cpu_to_be_32(p->local);
	sa->encap_peer_port_be = rte_cpu_to_be_16(p->encap_peer_port);
	sa->encap_local_port_be = rte_cpu_to_be_16(p->encap_local_port);
	sa->vip = p->vip;
	sa->tunnel_id = p->tunnel_id;
	/* Hard stop one before the counter would cycle. */
	sa->seq_last = p->esn ? ESP_SEQ64_LAST - 1 : (uint64_t)ESP_SEQ32_LAST;
	sa->key = key;
	if (p->dir == SA_DIR_IN)
		replay_init(&sa->replay, p->replay_window);
	return sa;
}

void
sa_destroy(struct p2sgw_sa *sa)
{
	if (sa == NULL)
		return;
	if (sa->key != NULL) {
		struct p2sgw_crypto_key *k = (struct p2sgw_crypto_key *)sa->key;

		p2sgw_crypto_key_wipe(k);
		rte_free(k);
	}
	rte_free(sa);
}

static struct rte_hash *
table_create(const char *name, const char *kind, unsigned socket,
	     uint32_t capacity)
{
	char n[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.entries = capacity < 64 ? 64 : capacity,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_jhash,
		.socket_id = socket,
	};

	snprintf(n, sizeof(n), "%s_%s", name, kind);
	hp.name = n;
	return rte_hash_create(&hp);
}

int
sa_tables_init(struct sa_tables *t, const char *name, unsigned socket,
	       uint32_t capacity)
{
	t->by_spi = table_create(name, "spi", socket, capacity);
	t->by_vip = table_create(name, "vip", socket, capacity);
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
sa_tables_add_tunnel(struct sa_tables *t, struct p2sgw_tunnel *tun)
{
	int rc;

	rc = rte_hash_add_key_data(t->by_spi, &tun->sa_in->spi, tun->sa_in);
	if (rc < 0)
		return rc;
	rc = rte_hash_add_key_data(t->by_vip, &tun->vip, tun);
	if (rc < 0)
		rte_hash_del_key(t->by_spi, &tun->sa_in->spi);
	return rc;
}

int
sa_tables_del_tunnel(struct sa_tables *t, const struct p2sgw_tunnel *tun)
{
	int a = rte_hash_del_key(t->by_spi, &tun->sa_in->spi);
	int b = rte_hash_del_key(t->by_vip, &tun->vip);

	return a < 0 ? a : (b < 0 ? b : 0);
}
