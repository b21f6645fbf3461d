/* SPDX-License-Identifier: BSD-3-Clause
 * The tunnels section: manually keyed ESP tunnels.
 *
 * Key lengths by suite: AES-256-GCM takes 36 bytes of keying material, the
 * 32-byte key followed by the 4-byte salt (RFC 4106); the CBC suites take
 * a 32-byte AES key plus an HMAC key of the hash's output length (32 bytes
 * for SHA-256, RFC 4868; 20 for SHA-1, RFC 2404). Key values never appear
 * in messages.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

static const char *const tunnel_keys[] = {
	"name", "vip", "peer", "suite", "spi_in", "spi_out", "key_in",
	"key_out", "auth_key_in", "auth_key_out", "encap", "esn",
	"replay_window", NULL
};

static const char *const encap_keys[] = { "sport", "dport", NULL };

enum { SPI_MIN = 256 };	/* 1..255 reserved by IANA, 0 never sent */

static int
load_vip(struct cfg_ctx *x, const config_setting_t *g,
	 struct p2sgw_tunnel_cfg *t)
{
	const typeof(x->cfg->p2s) *p2s = &x->cfg->p2s;
	const struct p2sgw_prefix4 *pool;
	config_setting_t *s;
	uint32_t host;
	unsigned i;

	if (cfg_required(x, g, "vip", &s) < 0 || cfg_ipv4(x, s, &t->vip) < 0)
		return -1;
	for (i = 0; i < p2s->n_pools; i++) {
		pool = &p2s->pools[i];
		if (!p2sgw_prefix4_contains(pool, t->vip))
			continue;
		host = t->vip & ~p2sgw_prefix4_mask(pool->len);
		if (host != 0 && host != ~p2sgw_prefix4_mask(pool->len))
			return 0;
		return cfg_fail(x, s, "%s %s is the %s address of pool %s",
				CFG_WHERE(s), CFG_IP(t->vip),
				host == 0 ? "network" : "broadcast",
				CFG_PFX(pool));
	}
	return cfg_fail(x, s, "%s %s is not inside any p2s.address_pool "
			"(first pool %s)", CFG_WHERE(s), CFG_IP(t->vip),
			CFG_PFX(&p2s->pools[0]));
}

static int
load_peer(struct cfg_ctx *x, const config_setting_t *g,
	  struct p2sgw_tunnel_cfg *t)
{
	const struct p2sgw_config *c = x->cfg;
	const struct p2sgw_port_cfg *port;
	config_setting_t *s;
	unsigned i;

	if (cfg_required(x, g, "peer", &s) < 0 || cfg_ipv4(x, s, &t->peer) < 0)
		return -1;
	if (!cfg_is_unicast(t->peer))
		return cfg_fail(x, s, "%s %s is not a unicast address",
				CFG_WHERE(s), CFG_IP(t->peer));
	for (i = 0; i < c->dataplane.n_ports; i++) {
		port = &c->dataplane.ports[i];
		if (port->role == P2SGW_PORT_VNET &&
		    p2sgw_prefix4_contains(&port->address, t->peer))
			return cfg_fail(x, s, "%s %s is inside the subnet of "
					"vnet port '%s': clients connect from "
					"the uplink side", CFG_WHERE(s),
					CFG_IP(t->peer), port->name);
	}
	for (i = 0; i < c->p2s.n_pools; i++)
		if (p2sgw_prefix4_contains(&c->p2s.pools[i], t->peer))
			return cfg_fail(x, s, "%s %s is inside the client pool "
					"%s: the outer address cannot be a "
					"virtual one", CFG_WHERE(s),
					CFG_IP(t->peer),
					CFG_PFX(&c->p2s.pools[i]));
	return 0;
}

static int
load_spi(struct cfg_ctx *x, const config_setting_t *g, const char *name,
	 uint32_t *spi)
{
	config_setting_t *s;
	long long v;

	if (cfg_required(x, g, name, &s) < 0 ||
	    cfg_value_int(x, s, LLONG_MIN, LLONG_MAX, &v) < 0)
		return -1;
	if (v >= 0 && v < SPI_MIN)
		return cfg_fail(x, s, "%s = %lld is reserved: SPIs 1..255 are "
				"reserved by IANA and 0 is never sent (RFC "
				"4303); use 256..4294967295 (0x100..0xffffffff)",
				CFG_WHERE(s), v);
	if (v < 0 || v > UINT32_MAX)
		return cfg_fail(x, s, "%s = %lld is out of range 256..4294967295 "
				"(0x100..0xffffffff)", CFG_WHERE(s), v);
	*spi = (uint32_t)v;
	return 0;
}

/* KEY of WANT bytes (0: the suite has no such key). */
static int
load_key(struct cfg_ctx *x, const config_setting_t *g,
	 const struct p2sgw_tunnel_cfg *t, const char *name, size_t want,
	 uint8_t *out)
{
	const char *suite = p2sgw_suite_name(t->suite);
	bool gcm = t->suite == P2SGW_SUITE_AES256GCM16;
	config_setting_t *s = cfg_member(g, name);
	const char *v, *d;
	size_t n;

	if (s == NULL && want == 0)
		return 0;
	if (s == NULL)
		return cfg_fail(x, g, "missing required setting '%s' in '%s': "
				"suite %s needs %zu bytes (%zu hex digits)",
				name, CFG_WHERE(g), suite, want, 2 * want);
	if (want == 0)
		return cfg_fail(x, s, "%s is not used by suite %s (AES-GCM "
				"authenticates with key_in/key_out): remove it",
				CFG_WHERE(s), suite);
	if (cfg_value_str(x, s, &v) < 0)
		return -1;
	d = v + (v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ? 2 : 0);
	n = strspn(d, "0123456789abcdefABCDEF");
	if (d[n] != '\0')
		return cfg_fail(x, s, "%s: character %zu is not a hex digit",
				CFG_WHERE(s), (size_t)(d - v) + n + 1);
	if (n % 2 != 0)
		return cfg_fail(x, s, "%s: suite %s needs %zu bytes (%zu hex "
				"digits), got %zu hex digits, an odd number",
				CFG_WHERE(s), suite, want, 2 * want, n);
	if (n != 2 * want)
		return cfg_fail(x, s, "%s: suite %s needs %zu bytes (%zu hex "
				"digits%s), got %zu bytes (%zu hex digits)",
				CFG_WHERE(s), suite, want, 2 * want, gcm ?
				": the 32-byte key then the 4-byte salt, RFC "
				"4106" : "", n / 2, n);
	return p2sgw_parse_hex(v, out, want);
}

static int
load_keys(struct cfg_ctx *x, const config_setting_t *g,
	  struct p2sgw_tunnel_cfg *t)
{
	int suite = P2SGW_SUITE_AES256GCM16;
	static const char *const suites[] = {
		[P2SGW_SUITE_AES256GCM16] = "aes256gcm16",
		[P2SGW_SUITE_AES256CBC_SHA256] = "aes256-sha256",
		[P2SGW_SUITE_AES256CBC_SHA1] = "aes256-sha1",
		[P2SGW_SUITE_COUNT] = NULL,
	};

	if (cfg_enum(x, g, "suite", suites, &suite) < 0)
		return -1;
	t->suite = (enum p2sgw_suite)suite;
	switch (t->suite) {
	case P2SGW_SUITE_AES256CBC_SHA256:
		t->key_len = P2SGW_AES256_KEY_LEN;
		t->auth_key_len = P2SGW_SHA256_KEY_LEN;
		break;
	case P2SGW_SUITE_AES256CBC_SHA1:
		t->key_len = P2SGW_AES256_KEY_LEN;
		t->auth_key_len = P2SGW_SHA1_KEY_LEN;
		break;
	default:
		t->key_len = P2SGW_GCM_KEYMAT_LEN;
		t->auth_key_len = 0;
		break;
	}
	if (load_key(x, g, t, "key_in", t->key_len, t->key_in) < 0 ||
	    load_key(x, g, t, "key_out", t->key_len, t->key_out) < 0 ||
	    load_key(x, g, t, "auth_key_in", t->auth_key_len,
		     t->auth_key_in) < 0 ||
	    load_key(x, g, t, "auth_key_out", t->auth_key_len,
		     t->auth_key_out) < 0)
		return -1;
	return 0;
}

static int
load_encap(struct cfg_ctx *x, const config_setting_t *g,
	   struct p2sgw_tunnel_cfg *t)
{
	config_setting_t *e;
	unsigned sport = 4500, dport = 4500;

	if (cfg_subgroup(x, g, "encap", false, &e) < 0)
		return -1;
	if (e != NULL &&
	    (cfg_check_keys(x, e, encap_keys) < 0 ||
	     cfg_uint(x, e, "sport", 1, 65535, &sport) < 0 ||
	     cfg_uint(x, e, "dport", 1, 65535, &dport) < 0))
		return -1;
	t->encap = e != NULL;
	t->encap_sport = (uint16_t)sport;
	t->encap_dport = (uint16_t)dport;
	return 0;
}

static int
load_tunnel(struct cfg_ctx *x, const config_setting_t *g,
	    struct p2sgw_tunnel_cfg *t)
{
	config_setting_t *s;

	t->line = config_setting_source_line(g);
	t->replay_window = x->cfg->esp.replay_window;
	if (cfg_check_keys(x, g, tunnel_keys) < 0 ||
	    cfg_required(x, g, "name", &s) < 0 ||
	    cfg_name(x, g, "name", t->name, sizeof(t->name)) < 0 ||
	    load_vip(x, g, t) < 0 ||
	    load_peer(x, g, t) < 0 ||
	    load_spi(x, g, "spi_in", &t->spi_in) < 0 ||
	    load_spi(x, g, "spi_out", &t->spi_out) < 0 ||
	    load_keys(x, g, t) < 0 ||
	    load_encap(x, g, t) < 0 ||
	    cfg_bool(x, g, "esn", &t->esn) < 0 ||
	    cfg_uint(x, g, "replay_window", P2SGW_REPLAY_WINDOW_MIN,
		     P2SGW_REPLAY_WINDOW_MAX, &t->replay_window) < 0)
		return -1;
	return 0;
}

/* ---- uniqueness across up to 100000 tunnels: sort, then compare
 * neighbours, and report the duplicate that comes first in the file ---- */

struct tkey {
	uint32_t key;
	unsigned idx;
};

static int
tkey_cmp(const void *a, const void *b)
{
	const struct tkey *p = a, *q = b;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

static int
name_cmp(const void *a, const void *b, void *arg)
{
	const struct p2sgw_tunnel_cfg *t = arg;
	const unsigned *p = a, *q = b;
	int c = strcmp(t[*p].name, t[*q].name);

	return c != 0 ? c : (*p < *q ? -1 : *p > *q);
}

/* Index of the first tunnel (in file order) whose value repeats an
 * earlier one, and that earlier one in *orig; -1 if none. */
static long
first_dup_u32(const struct p2sgw_tunnel_cfg *t, unsigned n, size_t off,
	      struct tkey *v, unsigned *orig)
{
	long dup = -1;
	unsigned i;

	for (i = 0; i < n; i++) {
		v[i].key = *(const uint32_t *)((const char *)&t[i] + off);
		v[i].idx = i;
	}
	qsort(v, n, sizeof(v[0]), tkey_cmp);
	for (i = 1; i < n; i++) {
		if (v[i].key != v[i - 1].key || (dup >= 0 && v[i].idx >= dup))
			continue;
		dup = v[i].idx;
		*orig = v[i - 1].idx;
	}
	return dup;
}

static long
first_dup_name(const struct p2sgw_tunnel_cfg *t, unsigned n, unsigned *v,
	       unsigned *orig)
{
	long dup = -1;
	unsigned i;

	for (i = 0; i < n; i++)
		v[i] = i;
	qsort_r(v, n, sizeof(v[0]), name_cmp, (void *)t);
	for (i = 1; i < n; i++) {
		if (strcmp(t[v[i]].name, t[v[i - 1]].name) != 0 ||
		    (dup >= 0 && v[i] >= dup))
			continue;
		dup = v[i];
		*orig = v[i - 1];
	}
	return dup;
}

static int
dup_fail(struct cfg_ctx *x, const config_setting_t *list,
	 const struct p2sgw_tunnel_cfg *t, long dup, unsigned orig,
	 const char *name)
{
	config_setting_t *s = cfg_member(config_setting_get_elem(list, dup),
					 name);
	const struct p2sgw_tunnel_cfg *d = &t[dup];
	char value[P2SGW_CFG_NAME_LEN + 2];

	if (strcmp(name, "vip") == 0)
		cfg_fmt_ipv4(d->vip, value);
	else if (strcmp(name, "spi_in") == 0)
		snprintf(value, sizeof(value), "0x%08x", d->spi_in);
	else if (strcmp(name, "spi_out") == 0)
		snprintf(value, sizeof(value), "0x%08x", d->spi_out);
	else
		return cfg_fail(x, s, "%s '%s' is already used on line %d",
				CFG_WHERE(s), d->name, t[orig].line);
	return cfg_fail(x, s, "%s %s is already used by tunnel '%s' on line %d",
			CFG_WHERE(s), value, t[orig].name, t[orig].line);
}

static int
check_unique(struct cfg_ctx *x, const config_setting_t *list,
	     const struct p2sgw_tunnel_cfg *t, unsigned n)
{
	static const struct {
		const char *name;
		size_t off;
	} u32[] = {
		{ "vip", offsetof(struct p2sgw_tunnel_cfg, vip) },
		{ "spi_in", offsetof(struct p2sgw_tunnel_cfg, spi_in) },
		{ "spi_out", offsetof(struct p2sgw_tunnel_cfg, spi_out) },
	};
	struct tkey *v = malloc(n * sizeof(*v));
	unsigned *idx = malloc(n * sizeof(*idx));
	unsigned i, orig = 0;
	long dup;
	int rc = 0;

	if (v == NULL || idx == NULL) {
		free(v);
		free(idx);
		return cfg_fail(x, list, "out of memory checking tunnels");
	}
	dup = first_dup_name(t, n, idx, &orig);
	if (dup >= 0)
		rc = dup_fail(x, list, t, dup, orig, "name");
	for (i = 0; rc == 0 && i < sizeof(u32) / sizeof(u32[0]); i++) {
		dup = first_dup_u32(t, n, u32[i].off, v, &orig);
		if (dup >= 0)
			rc = dup_fail(x, list, t, dup, orig, u32[i].name);
	}
	free(v);
	free(idx);
	return rc;
}

int
cfg_load_tunnels(struct cfg_ctx *x, const config_setting_t *root)
{
	struct p2sgw_config *c = x->cfg;
	config_setting_t *list;
	unsigned i, n;

	if (cfg_elements(x, root, "tunnels", CONFIG_TYPE_GROUP,
			 P2SGW_CFG_MAX_TUNNELS, &list, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	c->tunnels = calloc(n, sizeof(c->tunnels[0]));
	if (c->tunnels == NULL)
		return cfg_fail(x, list, "out of memory for %u tunnels", n);
	c->n_tunnels = n;
	for (i = 0; i < n; i++)
		if (load_tunnel(x, config_setting_get_elem(list, i),
				&c->tunnels[i]) < 0)
			return -1;
	return check_unique(x, list, c->tunnels, n);
}
