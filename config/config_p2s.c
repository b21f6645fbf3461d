/* SPDX-License-Identifier: BSD-3-Clause
 * The p2s section: tunnel types, client address pools, the routes given
 * to clients as traffic selectors, DNS servers.
 */
#include <string.h>
#include <strings.h>

#include "config_priv.h"

static const char *const p2s_keys[] = {
	"tunnel_types", "address_pool", "routes", "dns", NULL
};

static const struct {
	const char *name;
	uint32_t bit;
} tunnel_types[] = {
	{ "ikev2", P2SGW_TT_IKEV2 },
	{ "openvpn", P2SGW_TT_OPENVPN },
	{ "sstp", P2SGW_TT_SSTP },
};

enum { N_TUNNEL_TYPES = sizeof(tunnel_types) / sizeof(tunnel_types[0]) };

static int
tunnel_type(struct cfg_ctx *x, const config_setting_t *e, uint32_t *bit)
{
	const char *v = config_setting_get_string(e);
	unsigned i;

	for (i = 0; i < N_TUNNEL_TYPES; i++) {
		if (strcasecmp(v, tunnel_types[i].name) == 0) {
			*bit = tunnel_types[i].bit;
			return 0;
		}
	}
	return cfg_fail(x, e, "%s '%.32s' is not a tunnel type: use ikev2, "
			"openvpn or sstp", CFG_WHERE(e), v);
}

static int
load_tunnel_types(struct cfg_ctx *x, const config_setting_t *g)
{
	uint32_t *types = &x->cfg->p2s.tunnel_types, bit = 0;
	config_setting_t *list, *e;
	unsigned i, n;

	*types = P2SGW_TT_IKEV2;
	if (cfg_elements(x, g, "tunnel_types", CONFIG_TYPE_STRING,
			 N_TUNNEL_TYPES, &list, &n) < 0)
		return -1;
	if (list == NULL)
		return 0;
	if (n == 0)
		return cfg_fail(x, list, "p2s.tunnel_types is empty: enable "
				"at least one of ikev2, openvpn, sstp");
	*types = 0;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if (tunnel_type(x, e, &bit) < 0)
			return -1;
		if (*types & bit)
			return cfg_fail(x, e, "%s '%s' is listed twice",
					CFG_WHERE(e),
					config_setting_get_string(e));
		*types |= bit;
	}
	if ((*types & P2SGW_TT_OPENVPN) && (*types & P2SGW_TT_SSTP))
		return cfg_fail(x, list, "p2s.tunnel_types: SSTP and OpenVPN "
				"cannot be enabled together: both use TCP 443");
	return 0;
}

static int
load_routes(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->p2s) *p2s = &x->cfg->p2s;
	config_setting_t *list, *e;
	unsigned i, j, n;

	if (cfg_elements(x, g, "routes", CONFIG_TYPE_STRING, UINT32_MAX,
			 &list, &n) < 0)
		return -1;
	if (n > P2SGW_MAX_TRAFFIC_SELECTORS)
		return cfg_fail(x, list, "p2s.routes has %u routes: Windows "
				"accepts at most %d traffic selectors, a client "
				"given more fails to connect; summarise the "
				"routes", n, P2SGW_MAX_TRAFFIC_SELECTORS);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if (cfg_network(x, e, 0, 32, &p2s->routes[i]) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (memcmp(&p2s->routes[i], &p2s->routes[j],
				   sizeof(p2s->routes[i])) == 0)
				return cfg_fail(x, e, "%s %s is listed twice",
						CFG_WHERE(e),
						CFG_PFX(&p2s->routes[i]));
	}
	p2s->n_routes = n;
	if (n > P2SGW_WARN_TRAFFIC_SELECTORS)
		cfg_warn(x, list, "%u routes: Windows before 10 2004 accepts "
			 "at most %d traffic selectors", n,
			 P2SGW_WARN_TRAFFIC_SELECTORS);
	return 0;
}

/* Pool I against the pools before it, the port subnets and the routes. */
static int
check_pool(struct cfg_ctx *x, const config_setting_t *e, unsigned i)
{
	const struct p2sgw_config *c = x->cfg;
	const struct p2sgw_prefix4 *p = &c->p2s.pools[i];
	struct p2sgw_prefix4 net;
	unsigned j;

	for (j = 0; j < i; j++)
		if (cfg_prefix_overlap(p, &c->p2s.pools[j]))
			return cfg_fail(x, e, "%s %s overlaps pool %s",
					CFG_WHERE(e), CFG_PFX(p),
					CFG_PFX(&c->p2s.pools[j]));
	for (j = 0; j < c->dataplane.n_ports; j++) {
		net = cfg_prefix_network(&c->dataplane.ports[j].address);
		if (cfg_prefix_overlap(p, &net))
			return cfg_fail(x, e, "%s %s overlaps the subnet %s of "
					"port '%s' (line %d)", CFG_WHERE(e),
					CFG_PFX(p), CFG_PFX(&net),
					c->dataplane.ports[j].name,
					c->dataplane.ports[j].line);
	}
	for (j = 0; j < c->p2s.n_routes; j++)
		if (cfg_prefix_overlap(p, &c->p2s.routes[j]))
			return cfg_fail(x, e, "%s %s overlaps route %s: client "
					"addresses cannot be inside the "
					"networks they reach", CFG_WHERE(e),
					CFG_PFX(p), CFG_PFX(&c->p2s.routes[j]));
	return 0;
}

static int
load_pools(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->p2s) *p2s = &x->cfg->p2s;
	config_setting_t *list;
	unsigned i, n;

	if (cfg_elements(x, g, "address_pool", CONFIG_TYPE_STRING,
			 P2SGW_CFG_MAX_POOLS, &list, &n) < 0)
		return -1;
	if (list == NULL)
		return cfg_fail(x, g, "missing required setting 'address_pool' "
				"in 'p2s'");
	if (n == 0)
		return cfg_fail(x, list, "p2s.address_pool is empty: give at "
				"least one prefix such as \"10.200.0.0/24\"");
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(list, i);

		if (cfg_network(x, e, 8, 30, &p2s->pools[i]) < 0 ||
		    check_pool(x, e, i) < 0)
			return -1;
	}
	p2s->n_pools = n;
	return 0;
}

static int
load_dns(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->p2s) *p2s = &x->cfg->p2s;
	config_setting_t *list, *e;
	unsigned i, j, n;

	if (cfg_elements(x, g, "dns", CONFIG_TYPE_STRING, P2SGW_CFG_MAX_DNS,
			 &list, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if (cfg_ipv4(x, e, &p2s->dns[i]) < 0)
			return -1;
		if (!cfg_is_unicast(p2s->dns[i]))
			return cfg_fail(x, e, "%s %s is not a unicast address",
					CFG_WHERE(e), CFG_IP(p2s->dns[i]));
		for (j = 0; j < i; j++)
			if (p2s->dns[j] == p2s->dns[i])
				return cfg_fail(x, e, "%s %s is listed twice",
						CFG_WHERE(e),
						CFG_IP(p2s->dns[i]));
	}
	p2s->n_dns = n;
	return 0;
}

int
cfg_load_p2s(struct cfg_ctx *x, const config_setting_t *root)
{
	config_setting_t *g;

	if (cfg_subgroup(x, root, "p2s", true, &g) < 0 ||
	    cfg_check_keys(x, g, p2s_keys) < 0 ||
	    load_tunnel_types(x, g) < 0 ||
	    load_routes(x, g) < 0 ||
	    load_pools(x, g) < 0 ||
	    load_dns(x, g) < 0)
		return -1;
	return 0;
}
