/* SPDX-License-Identifier: BSD-3-Clause
 * Internals of the configuration loader, shared by the C files of config/
 * only. Nothing outside config/ includes this header.
 *
 * Every check reports through cfg_fail(), which writes the single
 * "FILE:LINE: reason" line of the failed load; the line is that of the
 * offending setting. The typed getters below take a group, a member name
 * and the default already stored in *val: an absent optional member keeps
 * the default, a present one must have the right type and range.
 */
#ifndef P2SGW_CONFIG_PRIV_H
#define P2SGW_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "config.h"

enum {
	CFG_WHERE_LEN = 96,		/* "tunnels[99999].auth_key_out" fits */
	CFG_LCORE_LIMIT = 128,		/* DPDK's default RTE_MAX_LCORE */
	CFG_MAX_FILE_SIZE = 256 << 20,	/* 100000 tunnels need about 40 MiB */
};

struct cfg_ctx {
	const char *path;		/* as given by the caller, for messages */
	char *err;
	size_t errlen;
	struct p2sgw_config *cfg;
};

#define CFG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Error reporting (config_util.c). Both return -1 so that callers can
 * write "return cfg_fail(...)". A NULL setting reports line 0. */
int cfg_fail(struct cfg_ctx *x, const config_setting_t *s,
	     const char *fmt, ...) CFG_PRINTF(3, 4);
int cfg_fail_line(struct cfg_ctx *x, int line,
		  const char *fmt, ...) CFG_PRINTF(3, 4);
void cfg_warn(struct cfg_ctx *x, const config_setting_t *s,
	      const char *fmt, ...) CFG_PRINTF(3, 4);

/* "dataplane.ports[1].mtu": the dotted path of a setting, for messages. */
const char *cfg_where(const config_setting_t *s, char *buf, size_t len);
#define CFG_WHERE(s) cfg_where((s), (char[CFG_WHERE_LEN]){0}, CFG_WHERE_LEN)

const char *cfg_type_name(int type);

/* Refuse members of GROUP not listed in KEYS (NULL-terminated). */
int cfg_check_keys(struct cfg_ctx *x, const config_setting_t *group,
		   const char *const *keys);

config_setting_t *cfg_member(const config_setting_t *group, const char *name);
int cfg_required(struct cfg_ctx *x, const config_setting_t *group,
		 const char *name, config_setting_t **out);
/* A member that must be a group; *out is NULL when it is absent and not
 * REQUIRED. */
int cfg_subgroup(struct cfg_ctx *x, const config_setting_t *group,
		 const char *name, bool required, config_setting_t **out);
/* A member that must be a list or array of at most MAX elements of TYPE
 * (CONFIG_TYPE_STRING or CONFIG_TYPE_GROUP); *out NULL and *n 0 when
 * absent. */
int cfg_elements(struct cfg_ctx *x, const config_setting_t *group,
		 const char *name, int type, unsigned max,
		 config_setting_t **out, unsigned *n);

/* Typed values of a setting S itself. */
int cfg_value_int(struct cfg_ctx *x, const config_setting_t *s,
		  long long min, long long max, long long *val);
int cfg_value_str(struct cfg_ctx *x, const config_setting_t *s,
		  const char **val);

/* Typed members; *val holds the default on entry. */
int cfg_int(struct cfg_ctx *x, const config_setting_t *group,
	    const char *name, long long min, long long max, long long *val);
int cfg_uint(struct cfg_ctx *x, const config_setting_t *group,
	     const char *name, unsigned min, unsigned max, unsigned *val);
int cfg_bool(struct cfg_ctx *x, const config_setting_t *group,
	     const char *name, bool *val);
int cfg_float(struct cfg_ctx *x, const config_setting_t *group,
	      const char *name, double min, double max, double *val);
int cfg_str(struct cfg_ctx *x, const config_setting_t *group,
	    const char *name, const char **val);
/* A string copied into BUF: MIN..LEN-1 characters. */
int cfg_str_copy(struct cfg_ctx *x, const config_setting_t *group,
		 const char *name, size_t min, char *buf, size_t len);
/* A string that must be one of NAMES (NULL-terminated, compared without
 * case); *val is its index. */
int cfg_enum(struct cfg_ctx *x, const config_setting_t *group,
	     const char *name, const char *const *names, int *val);
/* An object name: 1..63 characters of [A-Za-z0-9._@:+-]. */
int cfg_name(struct cfg_ctx *x, const config_setting_t *group,
	     const char *name, char *buf, size_t len);
/* Dotted-quad or prefix members ("a.b.c.d", "a.b.c.d/len"). */
int cfg_ipv4(struct cfg_ctx *x, const config_setting_t *s, uint32_t *addr);
int cfg_prefix(struct cfg_ctx *x, const config_setting_t *s,
	       struct p2sgw_prefix4 *p);
/* A prefix whose host bits must be zero, length MIN..MAX. */
int cfg_network(struct cfg_ctx *x, const config_setting_t *s,
		unsigned min, unsigned max, struct p2sgw_prefix4 *p);

/* Refuse 32-bit integer literals that libconfig would silently truncate
 * (config_lex.c), and @include directives. */
int cfg_lex_check(struct cfg_ctx *x, const char *buf, size_t len);

/* Parsers with reasons (config_parse.c); the public p2sgw_parse_* wrap
 * them. */
int cfg_parse_lcores(const char *s, uint16_t *lcores, unsigned max,
		     unsigned *n, char *why, size_t whylen);
int cfg_parse_sku(const char *s, enum p2sgw_sku *sku, bool *az);
const char *cfg_fmt_ipv4(uint32_t addr, char buf[16]);
const char *cfg_fmt_prefix(const struct p2sgw_prefix4 *p, char buf[20]);
#define CFG_IP(a) cfg_fmt_ipv4((a), (char[16]){0})
#define CFG_PFX(p) cfg_fmt_prefix((p), (char[20]){0})
bool cfg_prefix_overlap(const struct p2sgw_prefix4 *a,
			const struct p2sgw_prefix4 *b);
struct p2sgw_prefix4 cfg_prefix_network(const struct p2sgw_prefix4 *p);
/* Not 0/8, 127/8, multicast 224/4 or reserved 240/4 (broadcast). */
bool cfg_is_unicast(uint32_t addr);

/* Sections, in the order they are loaded. */
int cfg_load_gateway(struct cfg_ctx *x, const config_setting_t *root);
int cfg_load_dataplane(struct cfg_ctx *x, const config_setting_t *root);
int cfg_load_ports(struct cfg_ctx *x, const config_setting_t *dp);
int cfg_load_exception(struct cfg_ctx *x, const config_setting_t *dp);
int cfg_load_esp(struct cfg_ctx *x, const config_setting_t *root);
int cfg_load_p2s(struct cfg_ctx *x, const config_setting_t *root);
int cfg_load_auth(struct cfg_ctx *x, const config_setting_t *root);
int cfg_load_ike(struct cfg_ctx *x, const config_setting_t *root);
int cfg_load_tunnels(struct cfg_ctx *x, const config_setting_t *root);
int cfg_load_control(struct cfg_ctx *x, const config_setting_t *root);

/* 0..15 for a hex digit of either case, else -1 (config_parse.c). */
int cfg_hex_value(char c);

#endif /* P2SGW_CONFIG_PRIV_H */
