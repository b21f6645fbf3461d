/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the configuration loader and its string parsers.
 *
 * usage: test_config DEFAULT_CFG EXAMPLE_CFG
 *
 * Malformed configurations are made from one valid base file (base[]
 * below, lines numbered in the comments) by replacing one line, so every
 * expected message can name its line. They are written to a temporary
 * directory and removed afterwards.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static int failures, checks;
static bool verbose;		/* P2SGW_TEST_VERBOSE=1: print each message */

/* Report a failed check with the case it belongs to; main() returns
 * non-zero if any failed. */
#define CHECK(what, cond, ...) do {					\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL [%s] %s:%d: %s: ", (what),	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

#define H16 "0123456789abcdef"
#define K20 "\"" H16 H16 "01234567\""
#define K32 "\"" H16 H16 H16 H16 "\""
#define K36 "\"" H16 H16 H16 H16 "01234567\""

static const char *const base[] = {
/* 1 */	"gateway = { name = \"t\"; sku = \"VpnGw1\"; generation = 1; };",
/* 2 */	"dataplane = {",
/* 3 */	"  lcores = \"1,2\";",
/* 4 */	"  ports = (",
/* 5 */	"    { name = \"up\"; role = \"uplink\"; device = \"net_null0\"; "
	"address = \"192.0.2.1/24\"; },",
/* 6 */	"    { name = \"vn\"; role = \"vnet\"; device = \"0000:3b:00.0\"; "
	"address = \"10.1.0.1/16\"; gateway = \"10.1.0.254\"; }",
/* 7 */	"  );",
/* 8 */	"};",
/* 9 */	"p2s = {",
/* 10 */ "  tunnel_types = [ \"ikev2\" ];",
/* 11 */ "  address_pool = [ \"10.200.0.0/24\" ];",
/* 12 */ "  routes = [ \"10.1.0.0/16\" ];",
/* 13 */ "};",
/* 14 */ "esp = { replay_window = 1024; ttl = 64; df = \"copy\"; };",
/* 15 */ "tunnels = (",
/* 16 */ "  { name = \"a\"; vip = \"10.200.0.2\"; peer = \"192.0.2.2\"; "
	"spi_in = 0x1001; spi_out = 0x2001;",
/* 17 */ "    key_in = " K36 "; key_out = " K36 "; },",
/* 18 */ "  { name = \"b\"; vip = \"10.200.0.3\"; peer = \"192.0.2.3\"; "
	"suite = \"aes256-sha256\"; spi_in = 0x1002; spi_out = 0x2002;",
/* 19 */ "    key_in = " K32 "; key_out = " K32 "; auth_key_in = " K32
	"; auth_key_out = " K32 "; }",
/* 20 */ ");",
};

enum { N_BASE = sizeof(base) / sizeof(base[0]) };

#define PORT_VN "    { name = \"vn\"; role = \"vnet\"; device = \"0000:3b:00.0\"; "
#define TUN_A "  { name = \"a\"; vip = \"10.200.0.2\"; peer = \"192.0.2.2\"; "
#define TUN_B "  { name = \"b\"; vip = \"10.200.0.3\"; peer = \"192.0.2.3\"; " \
	"suite = \"aes256-sha256\"; "

static char tmpdir[64];

/* ROUTES prefixes 10.<i/256>.<i%256>.0/24 on line 12 */
static char *
routes_line(unsigned n)
{
	size_t len = 64 + n * 24, used;
	char *s = malloc(len);
	unsigned i;

	used = (size_t)snprintf(s, len, "  routes = [");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(s + used, len - used, "%s\"10.%u.%u.0/24\"",
					 i ? ", " : " ", 100 + i / 256, i % 256);
	snprintf(s + used, len - used, " ];");
	return s;
}

/* Write base[] with line LINE (1-based; 0 = none) replaced by TEXT. */
static const char *
write_cfg(const char *name, unsigned line, const char *text)
{
	static char path[128];
	FILE *f;
	unsigned i;

	snprintf(path, sizeof(path), "%s/%s.cfg", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	for (i = 0; i < N_BASE; i++)
		fprintf(f, "%s\n", i + 1 == line ? text : base[i]);
	fclose(f);
	return path;
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return false;
	return true;
}

/* ---- malformed configurations ---- */

struct bad_case {
	const char *name;
	unsigned line;		/* line of base[] replaced */
	const char *text;	/* NULL: 256 generated routes */
	const char *want;	/* expected in the message, with ":LINE: " */
	const char *want2;	/* and this too, if set */
};

static const struct bad_case bad_cases[] = {
	{ "control_relative_socket", 20,
	  ");\ncontrol = { socket = \"ctl.sock\"; };",
	  ":21: control.socket 'ctl.sock' must be an absolute path", NULL },
	{ "control_unknown", 20, ");\ncontrol = { sockets = \"/x\"; };",
	  ":21: unknown setting 'sockets' in 'control'", NULL },
	{ "control_window_below_esp", 20,
	  ");\ncontrol = { max_replay_window = 64; };",
	  ":21: esp.replay_window 1024 is larger than control.max_replay_window 64",
	  NULL },
	{ "control_max_tunnels_range", 20, ");\ncontrol = { max_tunnels = 1; };",
	  ":21: ", "max_tunnels" },
	{ "syntax_error", 3, "  lcores = ;", ":3: syntax error", NULL },
	{ "unknown_setting", 3, "  lcores = \"1\"; mbuf = 4096;",
	  ":3: unknown setting 'mbuf' in 'dataplane'", NULL },
	{ "unknown_top_level", 14, "espp = { ttl = 1; };",
	  ":14: unknown top-level setting 'espp'", NULL },
	{ "section_wrong_type", 14, "esp = 5;",
	  ":14: esp must be a group { ... }, not an integer", NULL },
	{ "duplicate_setting", 3, "  lcores = \"1\"; lcores = \"2\";",
	  ":3: duplicate setting name", NULL },
	{ "missing_lcores", 3, "",
	  ":2: missing required setting 'lcores' in 'dataplane'", NULL },
	{ "duplicate_lcore", 3, "  lcores = \"0-2,1\";",
	  ":3: dataplane.lcores '0-2,1': lcore 1 is listed twice", NULL },
	{ "lcore_too_high", 3, "  lcores = \"1,128\";",
	  ":3: dataplane.lcores '1,128': lcore 128 is too high", NULL },
	{ "eal_arg_owned", 3, "  lcores = \"1\"; eal_args = [ \"-l\", \"2\" ];",
	  ":3: dataplane.eal_args[0] '-l' is set from dataplane.lcores", NULL },
	{ "stats_interval_too_small", 3,
	  "  lcores = \"1\"; stats_interval = 0.05;",
	  ":3: dataplane.stats_interval = 0.05 is out of range 0.1..3600", NULL },
	{ "rx_desc_not_power_of_two", 3, "  lcores = \"1\"; rx_desc = 1000;",
	  ":3: dataplane.rx_desc = 1000 must be a power of two", NULL },
	{ "bad_port_device", 5, "    { name = \"up\"; role = \"uplink\"; "
	  "device = \"eth0\"; address = \"192.0.2.1/24\"; },",
	  ":5: dataplane.ports[0].device 'eth0' is not a device: use a PCI "
	  "address", "net_<driver><N>" },
	{ "unknown_vdev_driver", 5, "    { name = \"up\"; role = \"uplink\"; "
	  "device = \"net_ixgbe0\"; address = \"192.0.2.1/24\"; },",
	  ":5: dataplane.ports[0].device 'net_ixgbe0' is not a device", NULL },
	{ "overlapping_subnets", 6, PORT_VN "address = \"192.0.2.129/25\"; }",
	  ":6: dataplane.ports[1]: subnet 192.0.2.128/25 overlaps subnet "
	  "192.0.2.0/24 of port 'up' on line 5", NULL },
	{ "two_uplinks", 6, "    { name = \"vn\"; role = \"uplink\"; "
	  "device = \"0000:3b:00.0\"; address = \"10.1.0.1/16\"; }",
	  ":6: dataplane.ports[1]: port 'vn' is a second 'uplink' port", NULL },
	{ "duplicate_device", 6, "    { name = \"vn\"; role = \"vnet\"; "
	  "device = \"net_null0\"; address = \"10.1.0.1/16\"; }",
	  ":6: dataplane.ports[1]: device net_null0 is already used by port "
	  "'up' on line 5", NULL },
	{ "address_without_length", 6, PORT_VN "address = \"10.1.0.1\"; }",
	  ":6: dataplane.ports[1].address '10.1.0.1' is not an IPv4 prefix",
	  NULL },
	{ "port_network_address", 6, PORT_VN "address = \"10.1.0.0/16\"; }",
	  ":6: dataplane.ports[1].address 10.1.0.0 is the network address of "
	  "10.1.0.0/16", NULL },
	{ "gateway_outside_subnet", 6, PORT_VN "address = \"10.1.0.1/16\"; "
	  "gateway = \"10.2.0.1\"; }",
	  ":6: dataplane.ports[1].gateway 10.2.0.1 is not inside the port's "
	  "subnet 10.1.0.0/16", NULL },
	{ "mtu_out_of_range", 6, PORT_VN "address = \"10.1.0.1/16\"; "
	  "mtu = 9001; }",
	  ":6: dataplane.ports[1].mtu = 9001 is out of range 576..9000", NULL },
	{ "mtu_wrong_type", 6, PORT_VN "address = \"10.1.0.1/16\"; "
	  "mtu = \"1500\"; }",
	  ":6: dataplane.ports[1].mtu must be an integer, not a string", NULL },
	{ "bad_exception_iface", 7, "  ); exception = { iface = \"a/b\"; };",
	  ":7: dataplane.exception.iface 'a/b' is not an interface name",
	  NULL },
	{ "exception_iface_mismatch", 7, "  ); exception = { iface = \"x0\"; "
	  "device = \"net_tap0,iface=y0\"; };",
	  ":7: dataplane.exception.device names interface 'y0' but "
	  "dataplane.exception.iface is 'x0'", NULL },
	{ "bad_sku", 1, "gateway = { sku = \"VpnGw9\"; };",
	  ":1: gateway.sku 'VpnGw9' is not a SKU", NULL },
	{ "basic_az", 1, "gateway = { sku = \"BasicAZ\"; };",
	  ":1: gateway.sku 'BasicAZ': Basic has no AZ variant", NULL },
	{ "sku_generation_mismatch", 1,
	  "gateway = { sku = \"VpnGw4\"; generation = 1; };",
	  ":1: gateway.sku VpnGw4 is not offered in generation 1: generation 1 "
	  "offers Basic, VpnGw1, VpnGw2, VpnGw3", NULL },
	{ "default_sku_generation_2", 1, "gateway = { generation = 2; };",
	  ":1: gateway.sku VpnGw1 (the default) is not offered in generation 2",
	  "VpnGw2, VpnGw3, VpnGw4, VpnGw5" },
	{ "generation_3", 1, "gateway = { generation = 3; };",
	  ":1: gateway.generation = 3 is out of range 1..2", NULL },
	{ "bad_tunnel_type", 10, "  tunnel_types = [ \"l2tp\" ];",
	  ":10: p2s.tunnel_types[0] 'l2tp' is not a tunnel type", NULL },
	{ "openvpn_with_sstp", 10,
	  "  tunnel_types = [ \"ikev2\", \"openvpn\", \"sstp\" ];",
	  ":10: p2s.tunnel_types: SSTP and OpenVPN cannot be enabled together: "
	  "both use TCP 443", NULL },
	{ "pool_overlaps_port", 11, "  address_pool = [ \"10.1.5.0/24\" ];",
	  ":11: p2s.address_pool[0] 10.1.5.0/24 overlaps the subnet "
	  "10.1.0.0/16 of port 'vn'", NULL },
	{ "pool_overlaps_route", 12, "  routes = [ \"10.200.0.0/16\" ];",
	  ":11: p2s.address_pool[0] 10.200.0.0/24 overlaps route "
	  "10.200.0.0/16", NULL },
	{ "pools_overlap", 11,
	  "  address_pool = [ \"10.200.0.0/16\", \"10.200.4.0/24\" ];",
	  ":11: p2s.address_pool[1] 10.200.4.0/24 overlaps pool 10.200.0.0/16",
	  NULL },
	{ "pool_length_31", 11, "  address_pool = [ \"10.200.0.0/31\" ];",
	  ":11: p2s.address_pool[0] 10.200.0.0/31: prefix length /31 is out "
	  "of range /8../30", NULL },
	{ "pool_host_bits", 11, "  address_pool = [ \"10.200.0.1/24\" ];",
	  ":11: p2s.address_pool[0] 10.200.0.1/24 has host bits set: did you "
	  "mean 10.200.0.0/24?", NULL },
	{ "256_routes", 12, NULL,
	  ":12: p2s.routes has 256 routes: Windows accepts at most 255 traffic "
	  "selectors", NULL },
	{ "route_host_bits", 12, "  routes = [ \"10.1.0.1/16\" ];",
	  ":12: p2s.routes[0] 10.1.0.1/16 has host bits set: did you mean "
	  "10.1.0.0/16?", NULL },
	{ "too_many_dns", 12, "  dns = [ \"10.1.0.1\", \"10.1.0.2\", "
	  "\"10.1.0.3\", \"10.1.0.4\", \"10.1.0.5\" ];",
	  ":12: p2s.dns has 5 entries, at most 4 are allowed", NULL },
	{ "replay_window_5000", 14, "esp = { replay_window = 5000; };",
	  ":14: esp.replay_window = 5000 is out of range 64..4096", NULL },
	{ "bad_df", 14, "esp = { df = \"keep\"; };",
	  ":14: esp.df 'keep' is not valid: use copy, set or clear", NULL },
	{ "include_refused", 14, "@include \"other.cfg\"",
	  ":14: @include and other directives are not supported", NULL },
	{ "vip_outside_pool", 16, "  { name = \"a\"; vip = \"10.9.0.2\"; "
	  "peer = \"192.0.2.2\"; spi_in = 0x1001; spi_out = 0x2001;",
	  ":16: tunnels[0].vip 10.9.0.2 is not inside any p2s.address_pool",
	  NULL },
	{ "reserved_spi", 16, TUN_A "spi_in = 100; spi_out = 0x2001;",
	  ":16: tunnels[0].spi_in = 100 is reserved: SPIs 1..255 are reserved",
	  NULL },
	{ "spi_zero", 16, TUN_A "spi_in = 0; spi_out = 0x2001;",
	  ":16: tunnels[0].spi_in = 0 is reserved", NULL },
	{ "spi_too_large", 16, TUN_A "spi_in = 0x1001; spi_out = 4294967296L;",
	  ":16: tunnels[0].spi_out = 4294967296 is out of range "
	  "256..4294967295", NULL },
	{ "decimal_spi_without_L", 16,
	  TUN_A "spi_in = 4294967295; spi_out = 0x2001;",
	  ":16: integer 4294967295 does not fit in 32 bits: write "
	  "4294967295L", NULL },
	{ "hex_spi_without_L", 16,
	  TUN_A "spi_in = 0x100001001; spi_out = 0x2001;",
	  ":16: integer 0x100001001 does not fit in 32 bits", NULL },
	{ "peer_leading_zero", 16, "  { name = \"a\"; vip = \"10.200.0.2\"; "
	  "peer = \"192.0.2.02\"; spi_in = 0x1001; spi_out = 0x2001;",
	  ":16: tunnels[0].peer '192.0.2.02' is not an IPv4 address", NULL },
	{ "peer_in_vnet", 16, "  { name = \"a\"; vip = \"10.200.0.2\"; "
	  "peer = \"10.1.0.9\"; spi_in = 0x1001; spi_out = 0x2001;",
	  ":16: tunnels[0].peer 10.1.0.9 is inside the subnet of vnet port "
	  "'vn'", NULL },
	{ "gcm_key_wrong_length", 17, "    key_in = \"" H16 H16 H16 H16
	  "012345\"; key_out = " K36 "; },",
	  ":17: tunnels[0].key_in: suite aes256gcm16 needs 36 bytes (72 hex "
	  "digits", "got 35 bytes (70 hex digits)" },
	{ "odd_hex_digits", 17, "    key_in = \"" H16 H16 H16 H16
	  "0123456\"; key_out = " K36 "; },",
	  ":17: tunnels[0].key_in: suite aes256gcm16 needs 36 bytes (72 hex "
	  "digits), got 71 hex digits, an odd number", NULL },
	{ "non_hex_key", 17, "    key_in = \"0123g" H16 H16 H16 H16
	  "567\"; key_out = " K36 "; },",
	  ":17: tunnels[0].key_in: character 5 is not a hex digit", NULL },
	{ "auth_key_on_gcm", 17, "    key_in = " K36 "; key_out = " K36
	  "; auth_key_in = " K32 "; },",
	  ":17: tunnels[0].auth_key_in is not used by suite aes256gcm16", NULL },
	{ "encap_port_zero", 17, "    key_in = " K36 "; key_out = " K36
	  "; encap = { sport = 0; }; },",
	  ":17: tunnels[0].encap.sport = 0 is out of range 1..65535", NULL },
	{ "tunnel_replay_window", 17, "    key_in = " K36 "; key_out = " K36
	  "; replay_window = 5000; },",
	  ":17: tunnels[0].replay_window = 5000 is out of range 64..4096",
	  NULL },
	{ "duplicate_spi_in", 18, TUN_B "spi_in = 0x1001; spi_out = 0x2002;",
	  ":18: tunnels[1].spi_in 0x00001001 is already used by tunnel 'a' on line 16",
	  NULL },
	{ "duplicate_spi_out", 18, TUN_B "spi_in = 0x1002; spi_out = 0x2001;",
	  ":18: tunnels[1].spi_out 0x00002001 is already used by tunnel 'a' on line 16",
	  NULL },
	{ "duplicate_name", 18, "  { name = \"a\"; vip = \"10.200.0.3\"; "
	  "peer = \"192.0.2.3\"; suite = \"aes256-sha256\"; spi_in = 0x1002; "
	  "spi_out = 0x2002;",
	  ":18: tunnels[1].name 'a' is already used on line 16",
	  NULL },
	{ "duplicate_vip", 18, "  { name = \"b\"; vip = \"10.200.0.2\"; "
	  "peer = \"192.0.2.3\"; suite = \"aes256-sha256\"; spi_in = 0x1002; "
	  "spi_out = 0x2002;",
	  ":18: tunnels[1].vip 10.200.0.2 is already used by tunnel 'a' on line 16", NULL },
	{ "bad_suite", 18, "  { name = \"b\"; vip = \"10.200.0.3\"; "
	  "peer = \"192.0.2.3\"; suite = \"aes128gcm16\"; spi_in = 0x1002; "
	  "spi_out = 0x2002;",
	  ":18: tunnels[1].suite 'aes128gcm16' is not valid: use aes256gcm16, "
	  "aes256-sha256 or aes256-sha1", NULL },
	{ "cbc_missing_auth_key", 19, "    key_in = " K32 "; key_out = " K32
	  "; auth_key_out = " K32 "; }",
	  ":18: missing required setting 'auth_key_in' in 'tunnels[1]': suite "
	  "aes256-sha256 needs 32 bytes (64 hex digits)", NULL },
	{ "cbc_auth_key_length", 19, "    key_in = " K32 "; key_out = " K32
	  "; auth_key_in = " K20 "; auth_key_out = " K32 "; }",
	  ":19: tunnels[1].auth_key_in: suite aes256-sha256 needs 32 bytes (64 "
	  "hex digits), got 20 bytes (40 hex digits)", NULL },
};

static void
run_bad(const struct bad_case *c)
{
	static struct p2sgw_config cfg;
	char err[P2SGW_CFG_ERR_LEN] = "";
	char *gen = c->text == NULL ? routes_line(256) : NULL;
	const char *path = write_cfg(c->name, c->line, gen ? gen : c->text);
	int rc;

	memset(&cfg, 0xa5, sizeof(cfg));
	rc = p2sgw_config_load(path, &cfg, err, sizeof(err));
	CHECK(c->name, rc == -1, "loaded, expected \"%s\"", c->want);
	CHECK(c->name, strstr(err, c->want) != NULL,
	      "message \"%s\", expected \"%s\"", err, c->want);
	CHECK(c->name, c->want2 == NULL || strstr(err, c->want2) != NULL,
	      "message \"%s\", expected also \"%s\"", err, c->want2);
	CHECK(c->name, strncmp(err, path, strlen(path)) == 0 &&
	      strchr(err, '\n') == NULL, "not one \"PATH:LINE: \" line: %s",
	      err);
	CHECK(c->name, all_zero(&cfg, sizeof(cfg)), "struct not zeroed");
	if (verbose)
		printf("%-26s %s\n", c->name, err + strlen(tmpdir) + 1);
	unlink(path);
	free(gen);
}

static void
test_bad(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		run_bad(&bad_cases[i]);
}

/* ---- configurations that load ---- */

static int
load_variant(const char *name, unsigned line, const char *text,
	     struct p2sgw_config *cfg)
{
	char err[P2SGW_CFG_ERR_LEN] = "";
	const char *path = write_cfg(name, line, text);
	int rc = p2sgw_config_load(path, cfg, err, sizeof(err));

	CHECK(name, rc == 0, "refused: %s", err);
	unlink(path);
	return rc;
}

static void
test_base(void)
{
	static struct p2sgw_config c;
	const struct p2sgw_tunnel_cfg *t;

	if (load_variant("base", 0, NULL, &c) < 0)
		return;
	CHECK("base", c.n_tunnels == 2, "%u tunnels", c.n_tunnels);
	t = &c.tunnels[0];
	CHECK("base", t->key_len == 36 && t->auth_key_len == 0 &&
	      t->key_in[0] == 0x01 && t->key_in[35] == 0x67 &&
	      t->spi_in == 0x1001 && t->replay_window == 1024 && !t->encap,
	      "tunnel a");
	t = &c.tunnels[1];
	CHECK("base", t->suite == P2SGW_SUITE_AES256CBC_SHA256 &&
	      t->key_len == 32 && t->auth_key_len == 32 &&
	      t->auth_key_out[31] == 0xef && t->line == 18, "tunnel b");
	CHECK("base", c.dataplane.ports[1].gateway == 0x0a0100fe &&
	      !c.dataplane.ports[1].is_vdev && c.dataplane.ports[0].is_vdev &&
	      c.dataplane.ports[1].line == 6, "ports");
	CHECK("base", c.warnings[0] == '\0', "warnings: %s", c.warnings);
	p2sgw_config_free(&c);
	CHECK("base", all_zero(&c, sizeof(c)), "not zeroed by free");
	p2sgw_config_free(&c);	/* again: harmless */
}

static void
test_defaults(void)
{
	static struct p2sgw_config c;

	if (load_variant("no_gateway", 1, "", &c) == 0) {
		CHECK("defaults", strcmp(c.gateway.name, "p2sgw") == 0 &&
		      c.gateway.sku == P2SGW_SKU_VPNGW1 &&
		      c.gateway.generation == 1, "gateway");
		CHECK("defaults", c.dataplane.socket_mem == 256 &&
		      c.dataplane.mbufs == 16383 &&
		      c.dataplane.rx_desc == 1024 &&
		      c.dataplane.tx_desc == 1024 &&
		      c.dataplane.stats_interval == 1.0 &&
		      c.dataplane.neigh_ageing == 300 &&
		      c.dataplane.stats_file[0] == '\0' &&
		      strcmp(c.dataplane.file_prefix, "p2sgw") == 0,
		      "dataplane");
		CHECK("defaults", c.dataplane.exception.enabled &&
		      strcmp(c.dataplane.exception.iface, "p2sgw0") == 0 &&
		      strcmp(c.dataplane.exception.device,
			     "net_tun_p2sgw0,iface=p2sgw0") == 0, "exception");
		CHECK("defaults", c.dataplane.ports[0].mtu == 1500, "mtu");
	}
	p2sgw_config_free(&c);
	if (load_variant("no_esp", 14, "", &c) == 0)
		CHECK("defaults", c.esp.replay_window == 1024 &&
		      c.esp.ttl == 64 && c.esp.df == P2SGW_DF_COPY, "esp");
	p2sgw_config_free(&c);
	if (load_variant("esp_inherited", 14,
			 "esp = { replay_window = 128; df = \"CLEAR\"; };",
			 &c) == 0)
		CHECK("defaults", c.tunnels[0].replay_window == 128 &&
		      c.esp.df == P2SGW_DF_CLEAR, "replay window inherited");
	p2sgw_config_free(&c);
}

static void
test_good_variants(void)
{
	static struct p2sgw_config c;
	char *routes;

	if (load_variant("spi_hex_max", 16, TUN_A "spi_in = 0xffffffff; "
			 "spi_out = 4294967294L;", &c) == 0)
		CHECK("spi_hex_max", c.tunnels[0].spi_in == 0xffffffffu &&
		      c.tunnels[0].spi_out == 0xfffffffeu, "spis %x %x",
		      c.tunnels[0].spi_in, c.tunnels[0].spi_out);
	p2sgw_config_free(&c);
	if (load_variant("int_stats_interval", 3, "  lcores = \"1\"; "
			 "stats_interval = 2;", &c) == 0)
		CHECK("int_stats_interval", c.dataplane.stats_interval == 2.0,
		      "%g", c.dataplane.stats_interval);
	p2sgw_config_free(&c);
	if (load_variant("sku_case", 1, "gateway = { sku = \"vpngw2az\"; "
			 "generation = 2; };", &c) == 0)
		CHECK("sku_case", c.gateway.sku == P2SGW_SKU_VPNGW2, "sku %d",
		      c.gateway.sku);
	p2sgw_config_free(&c);
	routes = routes_line(26);
	if (load_variant("26_routes", 12, routes, &c) == 0)
		CHECK("26_routes", c.p2s.n_routes == 26 &&
		      strstr(c.warnings, ":12: 26 routes: Windows before 10 "
			     "2004 accepts at most 25 traffic selectors\n") &&
		      strchr(c.warnings, '\n')[1] == '\0',
		      "warnings: %s", c.warnings);
	p2sgw_config_free(&c);
	free(routes);
}

/* Many tunnels: the duplicate check sorts; the duplicate reported is the
 * first one in file order. */
static void
test_many_tunnels(void)
{
	static struct p2sgw_config c;
	char err[P2SGW_CFG_ERR_LEN], path[128];
	const unsigned n = 3000;
	unsigned i, dup;
	FILE *f;

	for (dup = 0; dup < 2; dup++) {
		snprintf(path, sizeof(path), "%s/many.cfg", tmpdir);
		f = fopen(path, "w");
		for (i = 0; i < 13; i++)	/* base up to p2s */
			fprintf(f, "%s\n", i == 10 ? "  address_pool = "
				"[ \"10.200.0.0/16\" ];" : base[i]);
		fprintf(f, "tunnels = (\n");
		for (i = 0; i < n; i++)
			fprintf(f, "{ name = \"t%u\"; vip = \"10.200.%u.%u\"; "
				"peer = \"192.0.2.9\"; spi_in = %u; "
				"spi_out = %u; key_in = " K36 "; key_out = "
				K36 "; }%s\n", i, 1 + i / 200, 1 + i % 200,
				dup && i >= 2000 ? 5000 + i % 7 : 1000 + i,
				100000 + i, i + 1 < n ? "," : "");
		fprintf(f, ");\n");
		fclose(f);
		i = p2sgw_config_load(path, &c, err, sizeof(err));
		if (dup)
			CHECK("many_tunnels", strstr(err, ":2022: tunnels[2007]"
				".spi_in 0x0000138d is already used by tunnel 't2000' on "
				"line 2015"), "%s", err);
		else
			CHECK("many_tunnels", i == 0 && c.n_tunnels == n, "%s",
			      err);
		p2sgw_config_free(&c);
		unlink(path);
	}
}

static void
test_shipped(const char *def, const char *ex)
{
	static struct p2sgw_config c;
	char err[P2SGW_CFG_ERR_LEN] = "";
	static const uint16_t lcores[] = { 1, 2, 3, 5 };

	CHECK("default.cfg", p2sgw_config_load(def, &c, err, sizeof(err)) == 0,
	      "%s", err);
	CHECK("default.cfg", strcmp(c.gateway.name, "p2sgw-demo") == 0 &&
	      c.dataplane.n_ports == 2 && c.dataplane.ports[0].is_vdev &&
	      c.dataplane.ports[0].address.addr == 0xac100a01 &&
	      c.dataplane.ports[0].address.len == 24 &&
	      c.dataplane.n_eal_args == 1 &&
	      strcmp(c.dataplane.eal_args[0], "--no-pci") == 0, "values");
	CHECK("default.cfg", c.n_tunnels == 1 && c.tunnels[0].key_len == 36 &&
	      c.tunnels[0].key_in[0] == 0x4a && c.tunnels[0].encap &&
	      c.tunnels[0].encap_dport == 4500 &&
	      c.tunnels[0].vip == 0x0ac80002, "tunnel");
	CHECK("default.cfg", c.warnings[0] == '\0', "%s", c.warnings);
	p2sgw_config_free(&c);

	CHECK("example.cfg", p2sgw_config_load(ex, &c, err, sizeof(err)) == 0,
	      "%s", err);
	CHECK("example.cfg", c.gateway.sku == P2SGW_SKU_VPNGW2 &&
	      c.gateway.generation == 2 && c.dataplane.n_lcores == 4 &&
	      memcmp(c.dataplane.lcores, lcores, sizeof(lcores)) == 0 &&
	      c.dataplane.n_eal_args == 2 && !c.dataplane.ports[0].is_vdev &&
	      c.p2s.tunnel_types == (P2SGW_TT_IKEV2 | P2SGW_TT_OPENVPN) &&
	      c.p2s.n_pools == 2 && c.p2s.n_dns == 2, "values");
	CHECK("example.cfg", c.n_tunnels == 2 &&
	      c.tunnels[1].spi_out == 0xc0002002 &&
	      c.tunnels[1].key_in[0] == 0x00 &&
	      c.tunnels[1].key_in[31] == 0x1f &&
	      c.tunnels[1].auth_key_len == 32 && c.tunnels[0].esn &&
	      c.tunnels[0].replay_window == 2048, "tunnels");
	p2sgw_config_free(&c);
}

static void
test_failure_contract(void)
{
	static struct p2sgw_config c, zero;
	char err[P2SGW_CFG_ERR_LEN], path[128];

	snprintf(path, sizeof(path), "%s/absent.cfg", tmpdir);
	CHECK("missing_file", p2sgw_config_load(path, &c, err,
		sizeof(err)) == -1 && strstr(err, "absent.cfg:0: cannot open") &&
	      all_zero(&c, sizeof(c)), "%s", err);
	p2sgw_config_free(&zero);
	CHECK("free_zeroed", all_zero(&zero, sizeof(zero)), "changed");
	p2sgw_config_free(NULL);
	CHECK("no_err_buffer", p2sgw_config_load(path, &c, NULL, 0) == -1,
	      "loaded");
	CHECK("directory", p2sgw_config_load(tmpdir, &c, err,
		sizeof(err)) == -1 && strstr(err, "not a regular file"),
	      "%s", err);
}

/* ---- string parsers ---- */

static void
test_ipv4(void)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t addr;
	} t[] = {
		{ "1.2.3.4", 0, 0x01020304 },
		{ "0.0.0.0", 0, 0 },
		{ "255.255.255.255", 0, 0xffffffff },
		{ "10.0.0.10", 0, 0x0a00000a },
		{ "1.2.3", -1, 0 },
		{ "1.2.3.4.5", -1, 0 },
		{ "256.1.1.1", -1, 0 },
		{ "1.2.3.1000", -1, 0 },
		{ "01.2.3.4", -1, 0 },	/* octal to inet_aton: refused */
		{ "1.2.3.00", -1, 0 },
		{ "1..2.3", -1, 0 },
		{ "1.2.3.4 ", -1, 0 },
		{ " 1.2.3.4", -1, 0 },
		{ "1.2.3.-4", -1, 0 },
		{ "1.2.3.0x4", -1, 0 },
		{ "1.2.3.4/24", -1, 0 },
		{ "", -1, 0 },
		{ NULL, -1, 0 },
	};
	uint32_t a;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		a = 0xdeadbeef;
		CHECK(t[i].s ? t[i].s : "(null)",
		      p2sgw_parse_ipv4(t[i].s, &a) == t[i].rc &&
		      (t[i].rc != 0 || a == t[i].addr), "ipv4 -> %08x", a);
	}
}

static void
test_prefix(void)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t addr;
		uint8_t len;
	} t[] = {
		{ "10.0.0.0/8", 0, 0x0a000000, 8 },
		{ "10.1.2.3/24", 0, 0x0a010203, 24 },	/* host bits kept */
		{ "0.0.0.0/0", 0, 0, 0 },
		{ "1.2.3.4/32", 0, 0x01020304, 32 },
		{ "10.0.0.0/33", -1, 0, 0 },
		{ "10.0.0.0", -1, 0, 0 },
		{ "10.0.0.0/", -1, 0, 0 },
		{ "10.0.0.0/08", -1, 0, 0 },
		{ "10.0.0.0/8/9", -1, 0, 0 },
		{ "10.0.0.0/-1", -1, 0, 0 },
		{ "/8", -1, 0, 0 },
		{ "10.0.0/8", -1, 0, 0 },
	};
	struct p2sgw_prefix4 p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&p, 0, sizeof(p));
		CHECK(t[i].s, p2sgw_parse_prefix4(t[i].s, &p) == t[i].rc &&
		      (t[i].rc != 0 || (p.addr == t[i].addr &&
					p.len == t[i].len)),
		      "prefix -> %08x/%u", p.addr, p.len);
	}
}

static void
test_hex(void)
{
	static const struct {
		const char *s;
		size_t len;
		int rc;
		const char *bytes;
	} t[] = {
		{ "00ff10Ab", 4, 0, "\x00\xff\x10\xab" },
		{ "0x00ff10ab", 4, 0, "\x00\xff\x10\xab" },
		{ "0X0102", 2, 0, "\x01\x02" },
		{ "", 0, 0, "" },
		{ "00ff10a", 4, -1, NULL },	/* odd */
		{ "00ff10ab00", 4, -1, NULL },	/* too long */
		{ "00ff10", 4, -1, NULL },	/* too short */
		{ "00fg10ab", 4, -1, NULL },
		{ "00 f10ab", 4, -1, NULL },
		{ "0x", 1, -1, NULL },
		{ "x0102", 2, -1, NULL },
	};
	uint8_t out[8];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 0x5a, sizeof(out));
		CHECK(t[i].s, p2sgw_parse_hex(t[i].s, out, t[i].len) ==
		      t[i].rc && (t[i].rc != 0 ||
				  memcmp(out, t[i].bytes, t[i].len) == 0),
		      "hex of length %zu", t[i].len);
		CHECK(t[i].s, t[i].rc == 0 || t[i].len == 0 ||
		      all_zero(out, t[i].len) || out[0] == 0x5a,
		      "partial output left after failure");
	}
	CHECK("hex NULL", p2sgw_parse_hex(NULL, out, 1) == -1, "accepted");
}

static void
test_lcores(void)
{
	static const struct {
		const char *s;
		unsigned max;
		int rc;
		unsigned n;
		uint16_t l[6];
	} t[] = {
		{ "0-2,4", 64, 0, 4, { 0, 1, 2, 4 } },
		{ "1", 64, 0, 1, { 1 } },
		{ "5,3,4", 64, 0, 3, { 5, 3, 4 } },
		{ "127", 64, 0, 1, { 127 } },
		{ "2-2", 64, 0, 1, { 2 } },
		{ "0-5", 4, -1, 0, { 0 } },	/* more than max */
		{ "0-127", 64, -1, 0, { 0 } },
		{ "128", 64, -1, 0, { 0 } },
		{ "1,1", 64, -1, 0, { 0 } },
		{ "0-2,2", 64, -1, 0, { 0 } },
		{ "2-1", 64, -1, 0, { 0 } },
		{ "", 64, -1, 0, { 0 } },
		{ "1,", 64, -1, 0, { 0 } },
		{ ",1", 64, -1, 0, { 0 } },
		{ "0-", 64, -1, 0, { 0 } },
		{ "1, 2", 64, -1, 0, { 0 } },
		{ "a", 64, -1, 0, { 0 } },
		{ "-1", 64, -1, 0, { 0 } },
		{ "99999999999", 64, -1, 0, { 0 } },
	};
	uint16_t l[64];
	unsigned n;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = 999;
		CHECK(t[i].s, p2sgw_parse_lcores(t[i].s, l, t[i].max, &n) ==
		      t[i].rc && (t[i].rc != 0 || (n == t[i].n &&
		      memcmp(l, t[i].l, n * sizeof(l[0])) == 0)),
		      "lcores -> n %u", n);
	}
}

static void
test_names(void)
{
	enum p2sgw_suite s = P2SGW_SUITE_COUNT;

	CHECK("suite", p2sgw_parse_suite("aes256gcm16", &s) == 0 &&
	      s == P2SGW_SUITE_AES256GCM16, "gcm");
	CHECK("suite", p2sgw_parse_suite("aes256-sha256", &s) == 0 &&
	      s == P2SGW_SUITE_AES256CBC_SHA256, "sha256");
	CHECK("suite", p2sgw_parse_suite("AES256-SHA1", &s) == 0 &&
	      s == P2SGW_SUITE_AES256CBC_SHA1, "sha1");
	CHECK("suite", p2sgw_parse_suite("aes128gcm16", &s) == -1 &&
	      p2sgw_parse_suite(NULL, &s) == -1, "bad names accepted");
	CHECK("sku", strcmp(p2sgw_sku_name(P2SGW_SKU_BASIC), "Basic") == 0 &&
	      strcmp(p2sgw_sku_name(P2SGW_SKU_VPNGW5), "VpnGw5") == 0 &&
	      strcmp(p2sgw_sku_name(P2SGW_SKU_COUNT), "unknown") == 0, "names");
}

int
main(int argc, char **argv)
{
	const char *t = getenv("TMPDIR");

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEFAULT_CFG EXAMPLE_CFG\n", argv[0]);
		return 2;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/p2sgw-cfg.XXXXXX",
		 t != NULL && strlen(t) < 40 ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	verbose = getenv("P2SGW_TEST_VERBOSE") != NULL;
	test_ipv4();
	test_prefix();
	test_hex();
	test_lcores();
	test_names();
	test_shipped(argv[1], argv[2]);
	test_base();
	test_defaults();
	test_good_variants();
	test_bad();
	test_many_tunnels();
	test_failure_contract();
	rmdir(tmpdir);
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
