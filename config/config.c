/* SPDX-License-Identifier: BSD-3-Clause
 * Configuration loader: reads the file once, pre-scans it, parses it with
 * libconfig and loads each section (gateway and esp here; dataplane,
 * ports, p2s, auth, ike, tunnels and control in their own files). The first failed check
 * writes the one error line and stops; the single exit of
 * p2sgw_config_load() then wipes every copy of the file text (keys are in
 * it) and leaves the caller's struct zeroed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_priv.h"

static const char *const root_keys[] = {
	"gateway", "dataplane", "p2s", "esp", "auth", "ike", "tunnels",
	"control", NULL
};

static int
read_all(int fd, char *buf, size_t size, size_t *len)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*len = got;
	return 0;
}

/* The whole file, NUL-terminated, in *buf (the caller wipes and frees). */
static int
read_file(struct cfg_ctx *x, char **buf, size_t *len)
{
	struct stat st;
	int fd, rc = -1;

	fd = open(x->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cfg_fail_line(x, 0, "cannot open the configuration: %s",
				     strerror(errno));
	if (fstat(fd, &st) < 0)
		cfg_fail_line(x, 0, "cannot stat the configuration: %s",
			      strerror(errno));
	else if (!S_ISREG(st.st_mode))
		cfg_fail_line(x, 0, "the configuration is not a regular file");
	else if (st.st_size > CFG_MAX_FILE_SIZE)
		cfg_fail_line(x, 0, "the configuration has %lld bytes, more "
			      "than the %d MiB allowed", (long long)st.st_size,
			      CFG_MAX_FILE_SIZE >> 20);
	else if ((*buf = malloc((size_t)st.st_size + 1)) == NULL)
		cfg_fail_line(x, 0, "out of memory reading the configuration");
	else if (read_all(fd, *buf, (size_t)st.st_size, len) < 0)
		cfg_fail_line(x, 0, "cannot read the configuration: %s",
			      strerror(errno));
	else
		rc = 0;
	if (rc == 0) {
		(*buf)[*len] = '\0';
	} else {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return rc;
}

static int
parse_text(struct cfg_ctx *x, config_t *c, const char *text)
{
	if (config_read_string(c, text) == CONFIG_TRUE)
		return 0;
	return cfg_fail_line(x, config_error_line(c), "%s",
			     config_error_text(c) != NULL ?
			     config_error_text(c) : "cannot parse");
}

static int
load_root(struct cfg_ctx *x, const config_setting_t *root)
{
	if (cfg_check_keys(x, root, root_keys) < 0 ||
	    cfg_load_gateway(x, root) < 0 ||
	    cfg_load_dataplane(x, root) < 0 ||
	    cfg_load_esp(x, root) < 0 ||
	    cfg_load_p2s(x, root) < 0 ||
	    cfg_load_auth(x, root) < 0 ||
	    cfg_load_ike(x, root) < 0 ||
	    cfg_load_tunnels(x, root) < 0 ||
	    cfg_load_control(x, root) < 0)
		return -1;
	return 0;
}

/* libconfig frees its strings without clearing them; the keys are among
 * them. */
static void
wipe_strings(config_setting_t *s)
{
	const char *v;
	int i, n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = config_setting_get_string(s);
		if (v != NULL)
			explicit_bzero((char *)v, strlen(v));
		return;
	}
	if (!config_setting_is_aggregate(s))
		return;
	n = config_setting_length(s);
	for (i = 0; i < n; i++)
		wipe_strings(config_setting_get_elem(s, i));
}

int
p2sgw_config_load(const char *path, struct p2sgw_config *cfg, char *err,
		  size_t errlen)
{
	struct cfg_ctx x = { .path = path != NULL ? path : "(null)",
			     .err = err, .errlen = errlen, .cfg = cfg };
	char *text = NULL;
	size_t len = 0;
	config_t c;
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL || path == NULL)
		return cfg_fail_line(&x, 0, "no configuration given");
	memset(cfg, 0, sizeof(*cfg));
	if (strlen(path) >= sizeof(cfg->path))
		return cfg_fail_line(&x, 0, "the path is too long");
	memcpy(cfg->path, path, strlen(path) + 1);
	if (read_file(&x, &text, &len) < 0) {
		memset(cfg, 0, sizeof(*cfg));
		return -1;
	}
	config_init(&c);
	if (cfg_lex_check(&x, text, len) == 0 && parse_text(&x, &c, text) == 0)
		rc = load_root(&x, config_root_setting(&c));
	wipe_strings(config_root_setting(&c));
	config_destroy(&c);
	explicit_bzero(text, len);
	free(text);
	if (rc < 0)
		p2sgw_config_free(cfg);
	return rc;
}

void
p2sgw_config_free(struct p2sgw_config *cfg)
{
	unsigned i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->dataplane.n_eal_args &&
		    i < P2SGW_CFG_MAX_EAL_ARGS; i++)
		free(cfg->dataplane.eal_args[i]);
	if (cfg->tunnels != NULL) {
		explicit_bzero(cfg->tunnels,
			       cfg->n_tunnels * sizeof(cfg->tunnels[0]));
		free(cfg->tunnels);
	}
	if (cfg->auth.revoked != NULL) {
		explicit_bzero(cfg->auth.revoked,
			       cfg->auth.n_revoked * sizeof(cfg->auth.revoked[0]));
		free(cfg->auth.revoked);
	}
	/* Leaves a zeroed struct: freeing it again is harmless. */
	explicit_bzero(cfg, sizeof(*cfg));
}

/* ---- gateway ---- */

static const char *const gateway_keys[] = {
	"name", "sku", "generation", NULL
};

static bool
sku_offered(enum p2sgw_sku sku, int generation)
{
	if (generation == 1)
		return sku <= P2SGW_SKU_VPNGW3;
	return sku >= P2SGW_SKU_VPNGW2;
}

static int
load_sku(struct cfg_ctx *x, const config_setting_t *g)
{
	config_setting_t *s = cfg_member(g, "sku");
	typeof(x->cfg->gateway) *gw = &x->cfg->gateway;
	const char *v = "VpnGw1";
	bool az = false, dflt = s == NULL;

	if (s != NULL && cfg_value_str(x, s, &v) < 0)
		return -1;
	if (cfg_parse_sku(v, &gw->sku, &az) < 0)
		return cfg_fail(x, s, "gateway.sku '%.32s' is not a SKU: use "
				"Basic or VpnGw1..VpnGw5, optionally with the "
				"AZ suffix (VpnGw2AZ)", v);
	if (az && gw->sku == P2SGW_SKU_BASIC)
		return cfg_fail(x, s, "gateway.sku '%s': Basic has no AZ "
				"variant", v);
	if (sku_offered(gw->sku, gw->generation))
		return 0;
	if (s == NULL)
		s = cfg_member(g, "generation");
	return cfg_fail(x, s, "gateway.sku %s%s is not offered in generation "
			"%d: generation %s", v, dflt ? " (the default)" : "",
			gw->generation, gw->generation == 1 ?
			"1 offers Basic, VpnGw1, VpnGw2, VpnGw3" :
			"2 offers VpnGw2, VpnGw3, VpnGw4, VpnGw5");
}

int
cfg_load_gateway(struct cfg_ctx *x, const config_setting_t *root)
{
	typeof(x->cfg->gateway) *gw = &x->cfg->gateway;
	config_setting_t *g;
	long long gen = 1;

	snprintf(gw->name, sizeof(gw->name), "p2sgw");
	gw->sku = P2SGW_SKU_VPNGW1;
	gw->generation = 1;
	if (cfg_subgroup(x, root, "gateway", false, &g) < 0)
		return -1;
	if (g == NULL)
		return 0;
	if (cfg_check_keys(x, g, gateway_keys) < 0 ||
	    cfg_name(x, g, "name", gw->name, sizeof(gw->name)) < 0 ||
	    cfg_int(x, g, "generation", 1, 2, &gen) < 0)
		return -1;
	gw->generation = (int)gen;
	return load_sku(x, g);
}

/* ---- esp ---- */

static const char *const esp_keys[] = { "replay_window", "ttl", "df", NULL };

/* In the order of enum p2sgw_df_mode. */
static const char *const df_names[] = { "copy", "set", "clear", NULL };

int
cfg_load_esp(struct cfg_ctx *x, const config_setting_t *root)
{
	typeof(x->cfg->esp) *esp = &x->cfg->esp;
	config_setting_t *g;
	unsigned ttl = 64;
	int df = P2SGW_DF_COPY;

	esp->replay_window = P2SGW_REPLAY_WINDOW_DEFAULT;
	if (cfg_subgroup(x, root, "esp", false, &g) < 0)
		return -1;
	if (g != NULL &&
	    (cfg_check_keys(x, g, esp_keys) < 0 ||
	     cfg_uint(x, g, "replay_window", P2SGW_REPLAY_WINDOW_MIN,
		      P2SGW_REPLAY_WINDOW_MAX, &esp->replay_window) < 0 ||
	     cfg_uint(x, g, "ttl", 1, 255, &ttl) < 0 ||
	     cfg_enum(x, g, "df", df_names, &df) < 0))
		return -1;
	esp->ttl = (uint8_t)ttl;
	esp->df = (enum p2sgw_df_mode)df;
	return 0;
}
