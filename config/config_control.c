/* SPDX-License-Identifier: BSD-3-Clause
 * The control section: the control socket, the shared-memory channel
 * between the processes, how many tunnels it holds, and logging.
 */
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

static const char *const control_keys[] = {
	"socket", "channel", "max_tunnels", "max_replay_window", "log_level",
	"syslog", NULL
};

static const char *const log_levels[] = {
	"error", "warning", "notice", "info", "debug", NULL
};

/* An absolute path that fits PATH_MAX, for a file we create. */
static int
load_path(struct cfg_ctx *x, const config_setting_t *g, const char *name,
	  char *buf, size_t len)
{
	const config_setting_t *s = cfg_member(g, name);

	if (s == NULL)
		return 0;
	if (cfg_str_copy(x, g, name, 2, buf, len) < 0)
		return -1;
	if (buf[0] != '/')
		return cfg_fail(x, s, "%s '%s' must be an absolute path",
				CFG_WHERE(s), buf);
	return 0;
}

/* Inbound SA slots hold windows up to max_replay_window (a larger maximum
 * costs memory on every tunnel): every configured window must fit. */
static int
check_windows(struct cfg_ctx *x, const config_setting_t *g)
{
	const struct p2sgw_config *cfg = x->cfg;
	unsigned max = cfg->control.max_replay_window, i;
	const config_setting_t *s = g != NULL ? cfg_member(g, "max_replay_window") : NULL;

	if (cfg->esp.replay_window > max)
		return cfg_fail(x, s, "esp.replay_window %u is larger than "
				"control.max_replay_window %u", cfg->esp.replay_window,
				max);
	for (i = 0; i < cfg->n_tunnels; i++)
		if (cfg->tunnels[i].replay_window > max)
			return cfg_fail_line(x, cfg->tunnels[i].line, "tunnel '%s': "
					     "replay_window %u is larger than "
					     "control.max_replay_window %u",
					     cfg->tunnels[i].name,
					     cfg->tunnels[i].replay_window, max);
	return 0;
}

int
cfg_load_control(struct cfg_ctx *x, const config_setting_t *root)
{
	typeof(x->cfg->control) *c = &x->cfg->control;
	config_setting_t *g;
	int level = 3;

	snprintf(c->socket, sizeof(c->socket), "/run/p2sgw/%s.sock",
		 x->cfg->dataplane.file_prefix);
	snprintf(c->channel, sizeof(c->channel), "/dev/hugepages/%s.chan",
		 x->cfg->dataplane.file_prefix);
	c->max_tunnels = 16384;
	c->max_replay_window = P2SGW_REPLAY_WINDOW_DEFAULT;
	c->syslog = false;
	if (cfg_subgroup(x, root, "control", false, &g) < 0)
		return -1;
	if (g != NULL &&
	    (cfg_check_keys(x, g, control_keys) < 0 ||
	     load_path(x, g, "socket", c->socket, sizeof(c->socket)) < 0 ||
	     load_path(x, g, "channel", c->channel, sizeof(c->channel)) < 0 ||
	     cfg_uint(x, g, "max_tunnels", 16, 1000000, &c->max_tunnels) < 0 ||
	     cfg_uint(x, g, "max_replay_window", P2SGW_REPLAY_WINDOW_MIN,
		      P2SGW_REPLAY_WINDOW_MAX, &c->max_replay_window) < 0 ||
	     cfg_enum(x, g, "log_level", log_levels, &level) < 0 ||
	     cfg_bool(x, g, "syslog", &c->syslog) < 0))
		return -1;
	c->log_level = level;
	if (check_windows(x, g) < 0)
		return -1;
	if (x->cfg->n_tunnels > c->max_tunnels)
		return cfg_fail(x, cfg_member(g, "max_tunnels"),
				"control.max_tunnels %u is less than the %u "
				"static tunnels", c->max_tunnels,
				x->cfg->n_tunnels);
	return 0;
}
