/* SPDX-License-Identifier: BSD-3-Clause
 * dataplane.ports and dataplane.exception: devices, addresses, roles.
 *
 * A port device is a PCI address ("0000:3b:00.0" or "3b:00.0", optionally
 * followed by ",devargs") or a DPDK virtual device "net_<driver><N>[,args]"
 * of one of the drivers p2sgw is tested with. Two ports never share a
 * device, a role (for now one uplink and one vnet) or a subnet.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

static const char *const port_keys[] = {
	"name", "role", "device", "address", "gateway", "mtu", NULL
};

/* In the order of enum p2sgw_port_role. */
static const char *const role_names[] = { "uplink", "vnet", NULL };

static const char *const vdev_drivers[] = {
	"af_packet", "tap", "tun", "memif", "pcap", "ring", "null",
	"virtio_user", "vhost", NULL
};

/* Drivers whose device reaches the host kernel. */
static const char *const exception_drivers[] = {
	"net_tap", "net_tun", "net_virtio_user", NULL
};

static const char *const exception_keys[] = {
	"enabled", "iface", "device", NULL
};

static bool
hex_run(const char **p, int n)
{
	for (; n > 0; n--, (*p)++)
		if (!isxdigit((unsigned char)**p))
			return false;
	return true;
}

/* bus:device.function, then the end or devargs. */
static bool
is_bdf(const char *p)
{
	if (!hex_run(&p, 2) || *p++ != ':' || (*p != '0' && *p != '1') ||
	    !hex_run(&p, 2) || *p++ != '.' || *p < '0' || *p > '7')
		return false;
	p++;
	return *p == '\0' || *p == ',';
}

static bool
is_pci(const char *s)
{
	const char *p = s;

	if (hex_run(&p, 4) && *p == ':' && is_bdf(p + 1))
		return true;
	return is_bdf(s);
}

static bool
is_vdev(const char *s)
{
	size_t n = strcspn(s, ","), dl, i;
	int d;

	if (strncmp(s, "net_", 4) != 0)
		return false;
	for (d = 0; vdev_drivers[d] != NULL; d++) {
		dl = strlen(vdev_drivers[d]);
		if (n <= 4 + dl || strncmp(s + 4, vdev_drivers[d], dl) != 0)
			continue;
		for (i = 4 + dl; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

/* What identifies a device to DPDK: the vdev name, or the full PCI
 * address, without devargs. */
static void
device_key(const char *dev, bool vdev, char key[P2SGW_CFG_DEVICE_LEN])
{
	size_t n = strcspn(dev, ",");
	bool short_pci = !vdev && n > 4 && dev[2] == ':';

	snprintf(key, P2SGW_CFG_DEVICE_LEN, "%s%.*s", short_pci ? "0000:" : "",
		 (int)n, dev);
}

static int
load_device(struct cfg_ctx *x, const config_setting_t *g,
	    struct p2sgw_port_cfg *p)
{
	config_setting_t *s = cfg_member(g, "device");
	const char *c;

	if (cfg_str_copy(x, g, "device", 1, p->device, sizeof(p->device)) < 0)
		return -1;
	for (c = p->device; *c != '\0'; c++)
		if (isspace((unsigned char)*c))
			return cfg_fail(x, s, "%s '%s' contains a space",
					CFG_WHERE(s), p->device);
	p->is_vdev = is_vdev(p->device);
	if (p->is_vdev || is_pci(p->device))
		return 0;
	return cfg_fail(x, s, "%s '%.64s' is not a device: use a PCI address "
			"(0000:3b:00.0 or 3b:00.0) or a virtual device "
			"net_<driver><N>[,args] with driver af_packet, tap, "
			"tun, memif, pcap, ring, null, virtio_user or vhost "
			"(such as net_af_packet0,iface=eth1)", CFG_WHERE(s),
			p->device);
}

/* A host address inside its subnet (not the network or broadcast address
 * of a subnet that has them). */
static int
check_host(struct cfg_ctx *x, const config_setting_t *s,
	   const struct p2sgw_prefix4 *net, uint32_t a, const char *what)
{
	uint32_t host = ~p2sgw_prefix4_mask(net->len);
	struct p2sgw_prefix4 n = cfg_prefix_network(net);

	if (!cfg_is_unicast(a))
		return cfg_fail(x, s, "%s %s is not a unicast address",
				CFG_WHERE(s), CFG_IP(a));
	if (net->len >= 31 || ((a & host) != 0 && (a & host) != host))
		return 0;
	return cfg_fail(x, s, "%s %s is the %s address of %s: use a host "
			"address for the %s", CFG_WHERE(s), CFG_IP(a),
			(a & host) == 0 ? "network" : "broadcast",
			CFG_PFX(&n), what);
}

static int
load_addresses(struct cfg_ctx *x, const config_setting_t *g,
	       struct p2sgw_port_cfg *p)
{
	config_setting_t *s;
	struct p2sgw_prefix4 net;

	if (cfg_required(x, g, "address", &s) < 0 || cfg_prefix(x, s,
	    &p->address) < 0)
		return -1;
	if (p->address.len < 8 || p->address.len > 31)
		return cfg_fail(x, s, "%s %s: prefix length /%u is out of range "
				"/8../31", CFG_WHERE(s), CFG_PFX(&p->address),
				p->address.len);
	if (check_host(x, s, &p->address, p->address.addr, "port") < 0)
		return -1;
	s = cfg_member(g, "gateway");
	if (s == NULL)
		return 0;
	net = cfg_prefix_network(&p->address);
	if (cfg_ipv4(x, s, &p->gateway) < 0)
		return -1;
	if (!p2sgw_prefix4_contains(&p->address, p->gateway))
		return cfg_fail(x, s, "%s %s is not inside the port's subnet "
				"%s", CFG_WHERE(s), CFG_IP(p->gateway),
				CFG_PFX(&net));
	if (p->gateway == p->address.addr)
		return cfg_fail(x, s, "%s %s is the port's own address",
				CFG_WHERE(s), CFG_IP(p->gateway));
	return check_host(x, s, &p->address, p->gateway, "gateway");
}

static int
load_port(struct cfg_ctx *x, const config_setting_t *g,
	  struct p2sgw_port_cfg *p)
{
	config_setting_t *s;
	unsigned mtu = 1500;
	int role = P2SGW_PORT_UPLINK;

	p->line = config_setting_source_line(g);
	if (cfg_check_keys(x, g, port_keys) < 0 ||
	    cfg_required(x, g, "name", &s) < 0 ||
	    cfg_name(x, g, "name", p->name, sizeof(p->name)) < 0 ||
	    cfg_required(x, g, "role", &s) < 0 ||
	    cfg_enum(x, g, "role", role_names, &role) < 0 ||
	    cfg_required(x, g, "device", &s) < 0 ||
	    load_device(x, g, p) < 0 ||
	    load_addresses(x, g, p) < 0 ||
	    cfg_uint(x, g, "mtu", 576, 9000, &mtu) < 0)
		return -1;
	p->role = (enum p2sgw_port_role)role;
	p->mtu = (uint16_t)mtu;
	return 0;
}

/* Port I against the ports before it. */
static int
check_port_pair(struct cfg_ctx *x, const config_setting_t *g,
		const struct p2sgw_port_cfg *ports, unsigned i)
{
	const struct p2sgw_port_cfg *p = &ports[i], *q;
	char k1[P2SGW_CFG_DEVICE_LEN], k2[P2SGW_CFG_DEVICE_LEN];
	struct p2sgw_prefix4 n1, n2;
	config_setting_t *s;

	device_key(p->device, p->is_vdev, k1);
	n1 = cfg_prefix_network(&p->address);
	for (q = ports; q < p; q++) {
		device_key(q->device, q->is_vdev, k2);
		n2 = cfg_prefix_network(&q->address);
		if (strcmp(p->name, q->name) == 0)
			return cfg_fail(x, cfg_member(g, "name"), "%s: port "
					"name '%s' is already used on line %d",
					CFG_WHERE(g), p->name, q->line);
		s = cfg_member(g, "device");
		if (strcasecmp(k1, k2) == 0)
			return cfg_fail(x, s, "%s: device %s is already used "
					"by port '%s' on line %d",
					CFG_WHERE(g), k1, q->name, q->line);
		s = cfg_member(g, "address");
		if (cfg_prefix_overlap(&n1, &n2))
			return cfg_fail(x, s, "%s: subnet %s overlaps subnet "
					"%s of port '%s' on line %d",
					CFG_WHERE(g), CFG_PFX(&n1),
					CFG_PFX(&n2), q->name, q->line);
	}
	return 0;
}

/* Exactly one port of each role. */
static int
check_roles(struct cfg_ctx *x, const config_setting_t *list,
	    const struct p2sgw_port_cfg *ports, unsigned n)
{
	int first[2] = { -1, -1 };
	unsigned i, r;

	for (i = 0; i < n; i++) {
		r = ports[i].role;
		if (first[r] < 0) {
			first[r] = (int)i;
			continue;
		}
		return cfg_fail(x, cfg_member(config_setting_get_elem(list, i),
				"role"), "dataplane.ports[%u]: port '%s' is a "
				"second '%s' port (port '%s' on line %d is "
				"one): exactly one uplink and one vnet port are "
				"supported", i, ports[i].name, role_names[r],
				ports[first[r]].name, ports[first[r]].line);
	}
	for (r = 0; r < 2; r++)
		if (first[r] < 0)
			return cfg_fail(x, list, "dataplane.ports has no port "
					"with role '%s': exactly one uplink "
					"and one vnet port are required",
					role_names[r]);
	return 0;
}

int
cfg_load_ports(struct cfg_ctx *x, const config_setting_t *dp)
{
	struct p2sgw_port_cfg *ports = x->cfg->dataplane.ports;
	config_setting_t *list, *g;
	unsigned i, n;

	if (cfg_elements(x, dp, "ports", CONFIG_TYPE_GROUP,
			 P2SGW_CFG_MAX_PORTS, &list, &n) < 0)
		return -1;
	if (list == NULL)
		return cfg_fail(x, dp, "missing required setting 'ports' in "
				"'dataplane'");
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(list, i);
		if (load_port(x, g, &ports[i]) < 0 ||
		    check_port_pair(x, g, ports, i) < 0)
			return -1;
	}
	x->cfg->dataplane.n_ports = n;
	return check_roles(x, list, ports, n);
}

/* ---- exception ---- */

static bool
ifname_ok(const char *s)
{
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("_.-", *s) == NULL)
			return false;
	return true;
}

/* The value of "iface=" among the devargs of DEV, or NULL. */
static const char *
devarg_iface(const char *dev, size_t *len)
{
	const char *p = strchr(dev, ',');

	for (; p != NULL; p = strchr(p + 1, ',')) {
		if (strncmp(p + 1, "iface=", 6) == 0) {
			*len = strcspn(p + 7, ",");
			return p + 7;
		}
	}
	return NULL;
}

static int
check_exception_device(struct cfg_ctx *x, const config_setting_t *s)
{
	typeof(x->cfg->dataplane) *d = &x->cfg->dataplane;
	char k1[P2SGW_CFG_DEVICE_LEN], k2[P2SGW_CFG_DEVICE_LEN];
	const char *dev = d->exception.device, *ifc;
	size_t len = 0;
	unsigned i;

	for (i = 0; exception_drivers[i] != NULL; i++)
		if (strncmp(dev, exception_drivers[i],
			    strlen(exception_drivers[i])) == 0)
			break;
	if (exception_drivers[i] == NULL || strpbrk(dev, " \t") != NULL)
		return cfg_fail(x, s, "%s '%.64s' is not a net_tap, net_tun or "
				"net_virtio_user device (such as "
				"net_tun_p2sgw0,iface=p2sgw0)", CFG_WHERE(s),
				dev);
	ifc = devarg_iface(dev, &len);
	if (ifc != NULL && (len != strlen(d->exception.iface) ||
			    strncmp(ifc, d->exception.iface, len) != 0))
		return cfg_fail(x, s, "%s names interface '%.*s' but "
				"dataplane.exception.iface is '%s'",
				CFG_WHERE(s), (int)len, ifc,
				d->exception.iface);
	device_key(dev, true, k1);
	for (i = 0; i < d->n_ports; i++) {
		device_key(d->ports[i].device, d->ports[i].is_vdev, k2);
		if (strcmp(k1, k2) == 0)
			return cfg_fail(x, s, "%s: device %s is already used "
					"by port '%s' on line %d", CFG_WHERE(s),
					k1, d->ports[i].name, d->ports[i].line);
	}
	return 0;
}

int
cfg_load_exception(struct cfg_ctx *x, const config_setting_t *dp)
{
	typeof(x->cfg->dataplane.exception) *e = &x->cfg->dataplane.exception;
	config_setting_t *g, *s = NULL;

	e->enabled = true;
	strcpy(e->iface, "p2sgw0");
	if (cfg_subgroup(x, dp, "exception", false, &g) < 0)
		return -1;
	if (g != NULL &&
	    (cfg_check_keys(x, g, exception_keys) < 0 ||
	     cfg_bool(x, g, "enabled", &e->enabled) < 0 ||
	     cfg_str_copy(x, g, "iface", 1, e->iface, sizeof(e->iface)) < 0 ||
	     cfg_str_copy(x, g, "device", 1, e->device,
			  sizeof(e->device)) < 0))
		return -1;
	if (g != NULL && !ifname_ok(e->iface))
		return cfg_fail(x, cfg_member(g, "iface"), "dataplane.exception"
				".iface '%s' is not an interface name: use "
				"1..15 letters, digits, _ . -", e->iface);
	if (g != NULL)
		s = cfg_member(g, "device");
	if (s == NULL)
		snprintf(e->device, sizeof(e->device),
			 "net_tun_p2sgw0,iface=%s", e->iface);
	return check_exception_device(x, s != NULL ? s : g != NULL ? g : dp);
}
