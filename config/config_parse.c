/* SPDX-License-Identifier: BSD-3-Clause
 * String parsers of the configuration: addresses, prefixes, hex keys,
 * lcore lists, suite and SKU names. Pure functions, also used by the
 * control socket and the tools.
 *
 * IPv4 addresses are strict dotted quads: exactly four decimal parts of
 * 1..3 digits, each 0..255, with no leading zeros ("01.2.3.4" is refused
 * because inet_aton() would read it as octal) and nothing before or after.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One decimal number of at most MAXDIGITS digits, without a leading zero
 * unless it is "0". Advances *s. */
static int
read_decimal(const char **s, unsigned maxdigits, unsigned *val)
{
	const char *p = *s;
	unsigned v = 0, digits = 0;

	if (p[0] == '0' && is_digit(p[1]))
		return -1;
	for (; is_digit(*p); p++) {
		if (++digits > maxdigits)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (digits == 0)
		return -1;
	*s = p;
	*val = v;
	return 0;
}

static int
read_ipv4(const char **s, uint32_t *addr)
{
	const char *p = *s;
	uint32_t a = 0;
	unsigned part, v;

	for (part = 0; part < 4; part++) {
		if (part > 0 && *p++ != '.')
			return -1;
		if (read_decimal(&p, 3, &v) < 0 || v > 255)
			return -1;
		a = a << 8 | v;
	}
	*s = p;
	*addr = a;
	return 0;
}

int
p2sgw_parse_ipv4(const char *s, uint32_t *addr)
{
	uint32_t a;

	if (s == NULL || read_ipv4(&s, &a) < 0 || *s != '\0')
		return -1;
	*addr = a;
	return 0;
}

int
p2sgw_parse_prefix4(const char *s, struct p2sgw_prefix4 *p)
{
	uint32_t a;
	unsigned len;

	if (s == NULL || read_ipv4(&s, &a) < 0 || *s++ != '/')
		return -1;
	if (read_decimal(&s, 2, &len) < 0 || len > 32 || *s != '\0')
		return -1;
	p->addr = a;
	p->len = (uint8_t)len;
	return 0;
}

int
cfg_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 2 * OUT_LEN hex digits of either case, with an optional "0x"
 * prefix. On failure OUT is wiped: it may be key material. */
int
p2sgw_parse_hex(const char *s, uint8_t *out, size_t out_len)
{
	size_t i;

	if (s == NULL || (out == NULL && out_len > 0) || out_len > SIZE_MAX / 4)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strnlen(s, 2 * out_len + 1) != 2 * out_len)
		return -1;
	for (i = 0; i < out_len; i++) {
		int hi = cfg_hex_value(s[2 * i]), lo = cfg_hex_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			explicit_bzero(out, out_len);
			return -1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
why(char *buf, size_t len, const char *fmt, ...) CFG_PRINTF(3, 4);

static int
why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
read_lcore(const char *s, const char **p, unsigned *val, char *w, size_t wl)
{
	unsigned v = 0;

	if (**p == '\0')
		return why(w, wl, "expected an lcore number after '%s'", s);
	if (!is_digit(**p))
		return why(w, wl, "expected an lcore number at character %td, "
			   "found '%c'", *p - s + 1, **p);
	for (; is_digit(**p); (*p)++)
		if (v < 100000)
			v = v * 10 + (unsigned)(**p - '0');
	if (v >= CFG_LCORE_LIMIT)
		return why(w, wl, "lcore %u is too high: lcores are 0..%u", v,
			   CFG_LCORE_LIMIT - 1);
	*val = v;
	return 0;
}

/* "0-2,4": numbers and inclusive ranges separated by commas, no spaces,
 * each lcore once, in the order given (the first is the main lcore). */
int
cfg_parse_lcores(const char *s, uint16_t *lcores, unsigned max, unsigned *n,
		 char *w, size_t wl)
{
	uint16_t list[CFG_LCORE_LIMIT];
	bool seen[CFG_LCORE_LIMIT] = { false };
	const char *p = s;
	unsigned count = 0, lo, hi, v;

	if (s == NULL || *s == '\0')
		return why(w, wl, "the lcore list is empty");
	for (;;) {
		if (read_lcore(s, &p, &lo, w, wl) < 0)
			return -1;
		hi = lo;
		if (*p == '-' && (p++, read_lcore(s, &p, &hi, w, wl) < 0))
			return -1;
		if (hi < lo)
			return why(w, wl, "range %u-%u is reversed", lo, hi);
		for (v = lo; v <= hi; v++) {
			if (seen[v])
				return why(w, wl, "lcore %u is listed twice", v);
			if (count >= max)
				return why(w, wl, "more than %u lcores", max);
			seen[v] = true;
			list[count++] = (uint16_t)v;
		}
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return why(w, wl, "unexpected '%c' at character %td: "
				   "use numbers and ranges such as 0-2,4",
				   p[-1], p - s);
	}
	memcpy(lcores, list, count * sizeof(list[0]));
	*n = count;
	return 0;
}

int
p2sgw_parse_lcores(const char *s, uint16_t *lcores, unsigned max, unsigned *n)
{
	return cfg_parse_lcores(s, lcores, max, n, NULL, 0);
}

int
p2sgw_parse_suite(const char *s, enum p2sgw_suite *suite)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < P2SGW_SUITE_COUNT; i++) {
		if (strcasecmp(s, p2sgw_suite_name(i)) == 0) {
			*suite = i;
			return 0;
		}
	}
	return -1;
}

static const char *const sku_names[P2SGW_SKU_COUNT] = {
	[P2SGW_SKU_BASIC] = "Basic",
	[P2SGW_SKU_VPNGW1] = "VpnGw1",
	[P2SGW_SKU_VPNGW2] = "VpnGw2",
	[P2SGW_SKU_VPNGW3] = "VpnGw3",
	[P2SGW_SKU_VPNGW4] = "VpnGw4",
	[P2SGW_SKU_VPNGW5] = "VpnGw5",
};

const char *
p2sgw_sku_name(enum p2sgw_sku sku)
{
	return (unsigned)sku < P2SGW_SKU_COUNT ? sku_names[sku] : "unknown";
}

/* A SKU name without case, with an optional "AZ" suffix reported in *az
 * (the caller refuses "BasicAZ", which does not exist). */
int
cfg_parse_sku(const char *s, enum p2sgw_sku *sku, bool *az)
{
	size_t n = strlen(s);
	int i;

	*az = n > 2 && strcasecmp(s + n - 2, "AZ") == 0;
	if (*az)
		n -= 2;
	for (i = 0; i < P2SGW_SKU_COUNT; i++) {
		if (strlen(sku_names[i]) == n &&
		    strncasecmp(s, sku_names[i], n) == 0) {
			*sku = i;
			return 0;
		}
	}
	return -1;
}

const char *
cfg_fmt_ipv4(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
	return buf;
}

const char *
cfg_fmt_prefix(const struct p2sgw_prefix4 *p, char buf[20])
{
	char a[16];

	snprintf(buf, 20, "%s/%u", cfg_fmt_ipv4(p->addr, a), p->len);
	return buf;
}

struct p2sgw_prefix4
cfg_prefix_network(const struct p2sgw_prefix4 *p)
{
	struct p2sgw_prefix4 net = {
		.addr = p->addr & p2sgw_prefix4_mask(p->len),
		.len = p->len,
	};

	return net;
}

bool
cfg_prefix_overlap(const struct p2sgw_prefix4 *a,
		   const struct p2sgw_prefix4 *b)
{
	uint32_t m = p2sgw_prefix4_mask(a->len < b->len ? a->len : b->len);

	return (a->addr & m) == (b->addr & m);
}

bool
cfg_is_unicast(uint32_t a)
{
	uint8_t first = a >> 24;

	return first != 0 && first != 127 && first < 224;
}
