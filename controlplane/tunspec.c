/* SPDX-License-Identifier: BSD-3-Clause
 * Tunnel parameters: conversion from the config, checks, identity hash.
 */
#include <stdio.h>
#include <string.h>

#include "tunspec.h"

const char *
tunnel_kind_name(uint32_t kind)
{
	switch (kind) {
	case TK_STATIC:
		return "static";
	case TK_MANUAL:
		return "manual";
	case TK_IKE:
		return "ike";
	default:
		return "unknown";
	}
}

size_t
tun_key_len(enum p2sgw_suite suite)
{
	return suite == P2SGW_SUITE_AES256GCM16 ? P2SGW_GCM_KEYMAT_LEN :
						  P2SGW_AES256_KEY_LEN;
}

size_t
tun_auth_key_len(enum p2sgw_suite suite)
{
	switch (suite) {
	case P2SGW_SUITE_AES256CBC_SHA256:
		return P2SGW_SHA256_KEY_LEN;
	case P2SGW_SUITE_AES256CBC_SHA1:
		return P2SGW_SHA1_KEY_LEN;
	default:
		return 0;
	}
}

const char *
tun_fmt_ip(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
	return buf;
}

bool
tun_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < P2SGW_NAME_LEN &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._@:+-") == n;
}

int
tunspec_from_cfg(const struct p2sgw_tunnel_cfg *c, struct tun_spec *s,
		 struct tun_keys *k)
{
	memset(s, 0, sizeof(*s));
	memset(k, 0, sizeof(*k));
	if (strlen(c->name) >= sizeof(s->name))
		return -1;
	memcpy(s->name, c->name, strlen(c->name) + 1);
	s->vip = c->vip;
	s->peer = c->peer;
	s->suite = c->suite;
	s->spi_in = c->spi_in;
	s->spi_out = c->spi_out;
	s->encap = c->encap;
	s->encap_sport = c->encap ? c->encap_sport : 0;
	s->encap_dport = c->encap ? c->encap_dport : 0;
	s->esn = c->esn;
	s->replay_window = c->replay_window;
	k->key_len = c->key_len;
	k->auth_len = c->auth_key_len;
	memcpy(k->key_in, c->key_in, sizeof(k->key_in));
	memcpy(k->key_out, c->key_out, sizeof(k->key_out));
	memcpy(k->auth_in, c->auth_key_in, sizeof(k->auth_in));
	memcpy(k->auth_out, c->auth_key_out, sizeof(k->auth_out));
	return 0;
}

static bool
is_unicast(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);

	return top != 0 && top != 127 && top < 224;
}

static int
check_vip(const struct p2sgw_config *cfg, uint32_t vip, char *err,
	  size_t errlen)
{
	const struct p2sgw_prefix4 *pool;
	uint32_t host, mask;
	unsigned i;

	for (i = 0; i < cfg->p2s.n_pools; i++) {
		pool = &cfg->p2s.pools[i];
		if (!p2sgw_prefix4_contains(pool, vip))
			continue;
		mask = p2sgw_prefix4_mask(pool->len);
		host = vip & ~mask;
		if (host != 0 && host != ~mask)
			return 0;
		snprintf(err, errlen, "vip %s is the %s address of pool %s/%u",
			 TUN_IP(vip), host == 0 ? "network" : "broadcast",
			 TUN_IP(pool->addr), pool->len);
		return -1;
	}
	if (cfg->p2s.n_pools == 0)
		snprintf(err, errlen, "vip %s: no p2s.address_pool is configured",
			 TUN_IP(vip));
	else
		snprintf(err, errlen, "vip %s is not inside any p2s.address_pool "
			 "(first pool %s/%u)", TUN_IP(vip),
			 TUN_IP(cfg->p2s.pools[0].addr), cfg->p2s.pools[0].len);
	return -1;
}

static int
check_peer(const struct p2sgw_config *cfg, uint32_t peer, char *err,
	   size_t errlen)
{
	const struct p2sgw_port_cfg *port;
	unsigned i;

	if (!is_unicast(peer)) {
		snprintf(err, errlen, "peer %s is not a unicast address",
			 TUN_IP(peer));
		return -1;
	}
	for (i = 0; i < cfg->dataplane.n_ports; i++) {
		port = &cfg->dataplane.ports[i];
		if (port->role == P2SGW_PORT_VNET &&
		    p2sgw_prefix4_contains(&port->address, peer)) {
			snprintf(err, errlen, "peer %s is inside the subnet of "
				 "vnet port '%s': clients connect from the "
				 "uplink side", TUN_IP(peer), port->name);
			return -1;
		}
	}
	for (i = 0; i < cfg->p2s.n_pools; i++) {
		if (p2sgw_prefix4_contains(&cfg->p2s.pools[i], peer)) {
			snprintf(err, errlen, "peer %s is inside the client pool "
				 "%s/%u: the outer address cannot be a virtual "
				 "one", TUN_IP(peer),
				 TUN_IP(cfg->p2s.pools[i].addr),
				 cfg->p2s.pools[i].len);
			return -1;
		}
	}
	return 0;
}

int
tunspec_check(const struct p2sgw_config *cfg, const struct tun_spec *s,
	      char *err, size_t errlen)
{
	if (!tun_name_ok(s->name)) {
		snprintf(err, errlen, "name must be 1..%d characters of "
			 "[A-Za-z0-9._@:+-]", P2SGW_NAME_LEN - 1);
		return -1;
	}
	if (check_vip(cfg, s->vip, err, errlen) < 0 ||
	    check_peer(cfg, s->peer, err, errlen) < 0)
		return -1;
	if (s->spi_in < P2SGW_SPI_MIN || s->spi_out < P2SGW_SPI_MIN) {
		snprintf(err, errlen, "%s %u is reserved: SPIs 1..255 are "
			 "reserved by IANA and 0 is never sent (RFC 4303); use "
			 "256..4294967295", s->spi_in < P2SGW_SPI_MIN ?
			 "spi_in" : "spi_out", s->spi_in < P2SGW_SPI_MIN ?
			 s->spi_in : s->spi_out);
		return -1;
	}
	if (s->replay_window < P2SGW_REPLAY_WINDOW_MIN ||
	    s->replay_window > P2SGW_REPLAY_WINDOW_MAX) {
		snprintf(err, errlen, "replay_window %u is outside %u..%u",
			 s->replay_window, P2SGW_REPLAY_WINDOW_MIN,
			 P2SGW_REPLAY_WINDOW_MAX);
		return -1;
	}
	if (cfg->control.max_replay_window != 0 &&
	    s->replay_window > cfg->control.max_replay_window) {
		snprintf(err, errlen, "replay_window %u is larger than "
			 "control.max_replay_window %u", s->replay_window,
			 cfg->control.max_replay_window);
		return -1;
	}
	if (s->encap && (s->encap_sport == 0 || s->encap_dport == 0)) {
		snprintf(err, errlen, "encap ports must be 1..65535");
		return -1;
	}
	return 0;
}

/* ---- identity hash ---------------------------------------------------- */

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t
fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

static uint64_t
fnv_u32(uint64_t h, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return fnv(h, b, sizeof(b));
}

uint64_t
tunspec_hash(const struct tun_spec *s, const struct tun_keys *k)
{
	uint64_t h = FNV_OFFSET;

	h = fnv(h, s->name, strlen(s->name) + 1);
	h = fnv_u32(h, s->vip);
	h = fnv_u32(h, s->peer);
	h = fnv_u32(h, (uint32_t)s->suite);
	h = fnv_u32(h, s->spi_in);
	h = fnv_u32(h, s->spi_out);
	h = fnv_u32(h, s->encap);
	h = fnv_u32(h, s->encap ? s->encap_sport : 0);
	h = fnv_u32(h, s->encap ? s->encap_dport : 0);
	h = fnv_u32(h, s->esn);
	h = fnv_u32(h, s->replay_window);
	h = fnv_u32(h, k->key_len);
	h = fnv(h, k->key_in, k->key_len);
	h = fnv(h, k->key_out, k->key_len);
	h = fnv_u32(h, k->auth_len);
	h = fnv(h, k->auth_in, k->auth_len);
	h = fnv(h, k->auth_out, k->auth_len);
	return h;
}

void
tun_keys_wipe(struct tun_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}
