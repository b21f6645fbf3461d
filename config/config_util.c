/* SPDX-License-Identifier: BSD-3-Clause
 * Error reporting and typed access to libconfig settings.
 *
 * libconfig's own getters convert silently between types (with
 * CONFIG_OPTION_AUTOCONVERT) or return 0 for a wrong type; these check the
 * type of every value themselves and name the setting, the bad value and
 * what is allowed.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

/* One line only: a value quoted from the file may contain escapes. */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

static int
vfail(struct cfg_ctx *x, int line, const char *fmt, va_list ap)
{
	int n;

	if (x->err == NULL || x->errlen == 0)
		return -1;
	n = snprintf(x->err, x->errlen, "%s:%d: ", x->path, line);
	if (n >= 0 && (size_t)n < x->errlen)
		vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	one_line(x->err);
	return -1;
}

int
cfg_fail_line(struct cfg_ctx *x, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(x, line, fmt, ap);
	va_end(ap);
	return -1;
}

int
cfg_fail(struct cfg_ctx *x, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(x, s != NULL ? config_setting_source_line(s) : 0, fmt, ap);
	va_end(ap);
	return -1;
}

void
cfg_warn(struct cfg_ctx *x, const config_setting_t *s, const char *fmt, ...)
{
	char *w = x->cfg->warnings;
	size_t used = strlen(w), room = sizeof(x->cfg->warnings) - used;
	char line[256];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s:%d: ", x->path,
		     s != NULL ? config_setting_source_line(s) : 0);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	one_line(line);
	/* A warning that does not fit whole is dropped, never cut. */
	if (strlen(line) + 2 <= room)
		snprintf(w + used, room, "%s\n", line);
}

const char *
cfg_where(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent;
	const char *name;
	size_t n;

	buf[0] = '\0';
	if (s == NULL || (parent = config_setting_parent(s)) == NULL)
		return buf;
	cfg_where(parent, buf, len);
	n = strlen(buf);
	name = config_setting_name(s);
	if (name == NULL)
		snprintf(buf + n, len - n, "[%d]", config_setting_index(s));
	else
		snprintf(buf + n, len - n, "%s%s", n > 0 ? "." : "", name);
	return buf;
}

const char *
cfg_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a decimal point";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "true or false";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	default:
		return "nothing";
	}
}

static int
wrong_type(struct cfg_ctx *x, const config_setting_t *s, const char *want)
{
	return cfg_fail(x, s, "%s must be %s, not %s", CFG_WHERE(s), want,
			cfg_type_name(config_setting_type(s)));
}

static bool
key_known(const char *name, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (strcmp(name, *keys) == 0)
			return true;
	return false;
}

int
cfg_check_keys(struct cfg_ctx *x, const config_setting_t *group,
	       const char *const *keys)
{
	char allowed[256] = "";
	size_t n = 0;
	int i, len = config_setting_length(group);

	for (i = 0; i < len; i++) {
		config_setting_t *m = config_setting_get_elem(group, i);
		const char *name = config_setting_name(m), *where;

		if (key_known(name, keys))
			continue;
		where = CFG_WHERE(group);
		for (; *keys != NULL && n < sizeof(allowed); keys++)
			n += snprintf(allowed + n, sizeof(allowed) - n, "%s%s",
				      n > 0 ? ", " : "", *keys);
		if (where[0] == '\0')
			return cfg_fail(x, m, "unknown top-level setting '%s' "
					"(allowed: %s)", name, allowed);
		return cfg_fail(x, m, "unknown setting '%s' in '%s' "
				"(allowed: %s)", name, where, allowed);
	}
	return 0;
}

config_setting_t *
cfg_member(const config_setting_t *group, const char *name)
{
	return config_setting_get_member((config_setting_t *)group, name);
}

int
cfg_required(struct cfg_ctx *x, const config_setting_t *group,
	     const char *name, config_setting_t **out)
{
	const char *where;

	*out = cfg_member(group, name);
	if (*out != NULL)
		return 0;
	where = CFG_WHERE(group);
	if (where[0] == '\0')
		return cfg_fail(x, group, "missing required section '%s'",
				name);
	return cfg_fail(x, group, "missing required setting '%s' in '%s'",
			name, where);
}

int
cfg_subgroup(struct cfg_ctx *x, const config_setting_t *group,
	     const char *name, bool required, config_setting_t **out)
{
	if (required && cfg_required(x, group, name, out) < 0)
		return -1;
	*out = cfg_member(group, name);
	if (*out != NULL && config_setting_type(*out) != CONFIG_TYPE_GROUP)
		return wrong_type(x, *out, "a group { ... }");
	return 0;
}

int
cfg_elements(struct cfg_ctx *x, const config_setting_t *group,
	     const char *name, int type, unsigned max,
	     config_setting_t **out, unsigned *n)
{
	config_setting_t *s = cfg_member(group, name);
	const char *want = type == CONFIG_TYPE_GROUP ?
		"a list ( { ... }, ... ) of groups" :
		"an array [ \"...\", ... ] of strings";
	int i, len;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    (type == CONFIG_TYPE_GROUP ||
	     config_setting_type(s) != CONFIG_TYPE_ARRAY))
		return wrong_type(x, s, want);
	len = config_setting_length(s);
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != type)
			return cfg_fail(x, e, "%s must be %s, not %s",
					CFG_WHERE(e), cfg_type_name(type),
					cfg_type_name(config_setting_type(e)));
	}
	if ((unsigned)len > max)
		return cfg_fail(x, s, "%s has %d entries, at most %u are "
				"allowed", CFG_WHERE(s), len, max);
	*out = s;
	*n = (unsigned)len;
	return 0;
}

int
cfg_value_int(struct cfg_ctx *x, const config_setting_t *s,
	      long long min, long long max, long long *val)
{
	long long v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		/* 0x80000000..0xffffffff are read as negative 32-bit ints. */
		if (config_setting_get_format(s) == CONFIG_FORMAT_HEX)
			v = (uint32_t)v;
		break;
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	default:
		return wrong_type(x, s, "an integer");
	}
	if (v < min || v > max)
		return cfg_fail(x, s, "%s = %lld is out of range %lld..%lld",
				CFG_WHERE(s), v, min, max);
	*val = v;
	return 0;
}

int
cfg_value_str(struct cfg_ctx *x, const config_setting_t *s, const char **val)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return wrong_type(x, s, "a string");
	*val = config_setting_get_string(s);
	return 0;
}

int
cfg_int(struct cfg_ctx *x, const config_setting_t *group, const char *name,
	long long min, long long max, long long *val)
{
	config_setting_t *s = cfg_member(group, name);

	return s == NULL ? 0 : cfg_value_int(x, s, min, max, val);
}

int
cfg_uint(struct cfg_ctx *x, const config_setting_t *group, const char *name,
	 unsigned min, unsigned max, unsigned *val)
{
	long long v = *val;

	if (cfg_int(x, group, name, min, max, &v) < 0)
		return -1;
	*val = (unsigned)v;
	return 0;
}

int
cfg_bool(struct cfg_ctx *x, const config_setting_t *group, const char *name,
	 bool *val)
{
	config_setting_t *s = cfg_member(group, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return wrong_type(x, s, "true or false");
	*val = config_setting_get_bool(s) != 0;
	return 0;
}

int
cfg_float(struct cfg_ctx *x, const config_setting_t *group, const char *name,
	  double min, double max, double *val)
{
	config_setting_t *s = cfg_member(group, name);
	double v;

	if (s == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	default:
		return wrong_type(x, s, "a number");
	}
	if (!isfinite(v) || v < min || v > max)
		return cfg_fail(x, s, "%s = %g is out of range %g..%g",
				CFG_WHERE(s), v, min, max);
	*val = v;
	return 0;
}

int
cfg_str(struct cfg_ctx *x, const config_setting_t *group, const char *name,
	const char **val)
{
	config_setting_t *s = cfg_member(group, name);

	return s == NULL ? 0 : cfg_value_str(x, s, val);
}

int
cfg_str_copy(struct cfg_ctx *x, const config_setting_t *group,
	     const char *name, size_t min, char *buf, size_t len)
{
	config_setting_t *s = cfg_member(group, name);
	const char *v;
	size_t n;

	if (s == NULL)
		return 0;
	if (cfg_value_str(x, s, &v) < 0)
		return -1;
	n = strlen(v);
	if (n < min || n >= len)
		return cfg_fail(x, s, "%s must have %zu..%zu characters, "
				"not %zu", CFG_WHERE(s), min, len - 1, n);
	memcpy(buf, v, n + 1);
	return 0;
}

int
cfg_enum(struct cfg_ctx *x, const config_setting_t *group, const char *name,
	 const char *const *names, int *val)
{
	config_setting_t *s = cfg_member(group, name);
	char allowed[128] = "";
	const char *v;
	size_t n = 0;
	int i;

	if (s == NULL)
		return 0;
	if (cfg_value_str(x, s, &v) < 0)
		return -1;
	for (i = 0; names[i] != NULL; i++) {
		if (strcasecmp(v, names[i]) == 0) {
			*val = i;
			return 0;
		}
		n += snprintf(allowed + n, sizeof(allowed) - n, "%s%s",
			      i > 0 ? (names[i + 1] ? ", " : " or ") : "",
			      names[i]);
		if (n >= sizeof(allowed))
			n = sizeof(allowed) - 1;
	}
	return cfg_fail(x, s, "%s '%.64s' is not valid: use %s", CFG_WHERE(s),
			v, allowed);
}

static bool
name_char(int c)
{
	return isalnum(c) || strchr("._@:+-", c) != NULL;
}

int
cfg_name(struct cfg_ctx *x, const config_setting_t *group, const char *name,
	 char *buf, size_t len)
{
	config_setting_t *s = cfg_member(group, name);
	const char *p;

	if (cfg_str_copy(x, group, name, 1, buf, len) < 0)
		return -1;
	for (p = buf; *p != '\0'; p++)
		if (!name_char((unsigned char)*p))
			return cfg_fail(x, s, "%s '%s' contains '%c': names "
					"use letters, digits and . _ @ : + -",
					CFG_WHERE(s), buf, *p);
	return 0;
}

int
cfg_ipv4(struct cfg_ctx *x, const config_setting_t *s, uint32_t *addr)
{
	const char *v;

	if (cfg_value_str(x, s, &v) < 0)
		return -1;
	if (p2sgw_parse_ipv4(v, addr) < 0)
		return cfg_fail(x, s, "%s '%.64s' is not an IPv4 address: "
				"use a dotted quad such as 192.0.2.1 (decimal, "
				"no leading zeros)", CFG_WHERE(s), v);
	return 0;
}

int
cfg_prefix(struct cfg_ctx *x, const config_setting_t *s,
	   struct p2sgw_prefix4 *p)
{
	const char *v;

	if (cfg_value_str(x, s, &v) < 0)
		return -1;
	if (p2sgw_parse_prefix4(v, p) < 0)
		return cfg_fail(x, s, "%s '%.64s' is not an IPv4 prefix: use "
				"address/length such as 192.0.2.0/24",
				CFG_WHERE(s), v);
	return 0;
}

int
cfg_network(struct cfg_ctx *x, const config_setting_t *s, unsigned min,
	    unsigned max, struct p2sgw_prefix4 *p)
{
	struct p2sgw_prefix4 net;

	if (cfg_prefix(x, s, p) < 0)
		return -1;
	if (p->len < min || p->len > max)
		return cfg_fail(x, s, "%s %s: prefix length /%u is out of "
				"range /%u../%u", CFG_WHERE(s), CFG_PFX(p),
				p->len, min, max);
	net = cfg_prefix_network(p);
	if (net.addr != p->addr)
		return cfg_fail(x, s, "%s %s has host bits set: did you mean "
				"%s?", CFG_WHERE(s), CFG_PFX(p), CFG_PFX(&net));
	return 0;
}
