/* SPDX-License-Identifier: BSD-3-Clause
 * The dataplane section: lcores, EAL settings, pool and ring sizes,
 * statistics. Ports and the exception port are in config_ports.c.
 */
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

static const char *const dataplane_keys[] = {
	"lcores", "socket_mem", "file_prefix", "eal_args", "mbufs",
	"rx_desc", "tx_desc", "stats_file", "stats_interval", "neigh_ageing",
	"ports", "exception", NULL
};

/* EAL options that p2sgw derives from a setting of its own. */
static const struct {
	const char *opt;
	const char *setting;
} eal_owned[] = {
	{ "-l", "lcores" },
	{ "-c", "lcores" },
	{ "--lcores", "lcores" },
	{ "--main-lcore", "lcores" },
	{ "--file-prefix", "file_prefix" },
	{ "--socket-mem", "socket_mem" },
	{ "-m", "socket_mem" },
};

static int
load_lcores(struct cfg_ctx *x, const config_setting_t *dp)
{
	typeof(x->cfg->dataplane) *d = &x->cfg->dataplane;
	config_setting_t *s;
	const char *v;
	char why[128];

	if (cfg_required(x, dp, "lcores", &s) < 0 ||
	    cfg_value_str(x, s, &v) < 0)
		return -1;
	if (cfg_parse_lcores(v, d->lcores, P2SGW_CFG_MAX_LCORES, &d->n_lcores,
			     why, sizeof(why)) < 0)
		return cfg_fail(x, s, "dataplane.lcores '%.64s': %s (write "
				"lcores and ranges such as \"1-3,5\")", v,
				why);
	return 0;
}

static bool
prefix_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
load_file_prefix(struct cfg_ctx *x, const config_setting_t *dp)
{
	char *fp = x->cfg->dataplane.file_prefix;
	const char *p;

	strcpy(fp, "p2sgw");
	if (cfg_str_copy(x, dp, "file_prefix", 1, fp, P2SGW_CFG_NAME_LEN) < 0)
		return -1;
	for (p = fp; *p != '\0'; p++)
		if (!prefix_char(*p))
			return cfg_fail(x, cfg_member(dp, "file_prefix"),
					"dataplane.file_prefix '%s' contains "
					"'%c': use letters, digits, _ and -",
					fp, *p);
	return 0;
}

static const char *
eal_owner(const char *arg)
{
	size_t i, n;

	for (i = 0; i < sizeof(eal_owned) / sizeof(eal_owned[0]); i++) {
		n = strlen(eal_owned[i].opt);
		if (strncmp(arg, eal_owned[i].opt, n) != 0)
			continue;
		/* "-l", "-l1-3", "--lcores", "--lcores=1-3" */
		if (arg[n] == '\0' || arg[1] != '-' || arg[n] == '=')
			return eal_owned[i].setting;
	}
	return NULL;
}

static int
load_eal_args(struct cfg_ctx *x, const config_setting_t *dp)
{
	typeof(x->cfg->dataplane) *d = &x->cfg->dataplane;
	config_setting_t *list, *e;
	const char *v, *owner;
	unsigned i, n;

	if (cfg_elements(x, dp, "eal_args", CONFIG_TYPE_STRING,
			 P2SGW_CFG_MAX_EAL_ARGS, &list, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		if (v[0] == '\0')
			return cfg_fail(x, e, "%s is empty", CFG_WHERE(e));
		owner = eal_owner(v);
		if (owner != NULL)
			return cfg_fail(x, e, "%s '%.64s' is set from "
					"dataplane.%s: remove it", CFG_WHERE(e),
					v, owner);
		d->eal_args[i] = strdup(v);
		if (d->eal_args[i] == NULL)
			return cfg_fail(x, e, "out of memory");
		d->n_eal_args = i + 1;
	}
	return 0;
}

static int
load_desc(struct cfg_ctx *x, const config_setting_t *dp, const char *name,
	  unsigned *val)
{
	*val = 1024;
	if (cfg_uint(x, dp, name, 64, 4096, val) < 0)
		return -1;
	if ((*val & (*val - 1)) != 0)
		return cfg_fail(x, cfg_member(dp, name), "dataplane.%s = %u "
				"must be a power of two (64, 128, ..., 4096)",
				name, *val);
	return 0;
}

static int
load_sizes(struct cfg_ctx *x, const config_setting_t *dp)
{
	typeof(x->cfg->dataplane) *d = &x->cfg->dataplane;

	d->socket_mem = 256;
	d->mbufs = 16383;
	d->neigh_ageing = 300;
	d->stats_interval = 1.0;
	if (cfg_uint(x, dp, "socket_mem", 64, 65536, &d->socket_mem) < 0 ||
	    cfg_uint(x, dp, "mbufs", 1024, 1048576, &d->mbufs) < 0 ||
	    load_desc(x, dp, "rx_desc", &d->rx_desc) < 0 ||
	    load_desc(x, dp, "tx_desc", &d->tx_desc) < 0 ||
	    cfg_str_copy(x, dp, "stats_file", 0, d->stats_file,
			 sizeof(d->stats_file)) < 0 ||
	    cfg_float(x, dp, "stats_interval", 0.1, 3600,
		      &d->stats_interval) < 0 ||
	    cfg_uint(x, dp, "neigh_ageing", 10, 86400, &d->neigh_ageing) < 0)
		return -1;
	return 0;
}

int
cfg_load_dataplane(struct cfg_ctx *x, const config_setting_t *root)
{
	config_setting_t *dp;

	if (cfg_subgroup(x, root, "dataplane", true, &dp) < 0 ||
	    cfg_check_keys(x, dp, dataplane_keys) < 0 ||
	    load_lcores(x, dp) < 0 ||
	    load_file_prefix(x, dp) < 0 ||
	    load_eal_args(x, dp) < 0 ||
	    load_sizes(x, dp) < 0 ||
	    cfg_load_ports(x, dp) < 0 ||
	    cfg_load_exception(x, dp) < 0)
		return -1;
	return 0;
}
