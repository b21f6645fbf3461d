/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the configuration loader and its string parsers.
 *
 * usage: test_config DEFAULT_CFG EXAMPLE_CFG
 *
 * Malformed configurations are made from one valid base file (base[]
 * below, lines numbered in the comments) by replacing one line, so every
 * expected message can name its line. They are written to a temporary
 * directory and removed afterwards, with the small files the auth section
 * names (ca.pem, ca2.pem, gw.pem, gw.key), which the configurations refer
 * to by paths relative to that directory.
 */
#include <limits.h>
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

/* The auth and ike sections, added after the tunnels (line 20 becomes
 * ");" and the section starts on line 21). */
#define AUTH(x) ");\nauth = { " x " };"
#define IKE(x) ");\nike = { " x " };"
#define AUTH_OK "root_cas = [ \"ca.pem\" ]; certificate = \"gw.pem\"; " \
	"private_key = \"gw.key\";"
#define TP1 "3a7bd3e2360a3d29eea436fcfb7e44c735d117c4"
#define TP1_COLONS "3A:7B:D3:E2:36:0A:3D:29:EE:A4:36:FC:FB:7E:44:C7:35:D1:17:C4"
#define TP2_SPACES "01 23 45 67 89 ab cd ef 01 23 45 67 89 AB CD EF fe dc ba 98"
#define P8 "\"aes256gcm16-prfsha384-ecp256\", \"aes256gcm16-prfsha384-ecp384\", " \
	"\"aes256gcm16-prfsha256-ecp256\", \"aes256gcm16-prfsha256-ecp384\", " \
	"\"aes256-sha256-ecp256\", \"aes256-sha256-ecp384\", " \
	"\"aes256-sha384-ecp256\", \"aes256-sha384-ecp384\""
#define E8 "\"aes256gcm16\", \"aes256gcm16-ecp256\", \"aes256gcm16-ecp384\", " \
	"\"aes256gcm16-none-ecp256\", \"aes256-sha256\", " \
	"\"aes256-sha256-ecp256\", \"aes256-sha256-none-ecp256\", \"aes256-sha1\""
#define CA5 "\"ca.pem\", \"ca.pem\", \"ca.pem\", \"ca.pem\", \"ca.pem\""

static const char *const auth_files[] = { "ca.pem", "ca2.pem", "gw.pem",
					  "gw.key" };

enum { N_AUTH_FILES = sizeof(auth_files) / sizeof(auth_files[0]) };

static void
auth_files_make(void)
{
	char path[128];
	FILE *f;
	unsigned i;

	for (i = 0; i < N_AUTH_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, auth_files[i]);
		f = fopen(path, "w");
		if (f == NULL) {
			perror(path);
			exit(2);
		}
		fprintf(f, "-----BEGIN %s-----\n-----END %s-----\n",
			i == 3 ? "PRIVATE KEY" : "CERTIFICATE",
			i == 3 ? "PRIVATE KEY" : "CERTIFICATE");
		fclose(f);
	}
}

static void
auth_files_remove(void)
{
	char path[128];
	unsigned i;

	for (i = 0; i < N_AUTH_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, auth_files[i]);
		unlink(path);
	}
}

/* Line 20 with an auth section revoking N distinct thumbprints. */
static char *
revoked_line(unsigned n)
{
	size_t len = 64 + n * 44, used;
	char *s = malloc(len);
	unsigned i;

	used = (size_t)snprintf(s, len, ");\nauth = { revoked = [");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(s + used, len - used, "%s\"%040x\"",
					 i ? ", " : " ", i + 1);
	snprintf(s + used, len - used, " ]; };");
	return s;
}

static char *
revoked_1025(void)
{
	return revoked_line(1025);
}

/* Write base[] with line LINE1 (1-based; 0 = none) replaced by TEXT1 and
 * line LINE2 by TEXT2. */
static const char *
write_cfg2(const char *name, unsigned line1, const char *text1,
	   unsigned line2, const char *text2)
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
		fprintf(f, "%s\n", i + 1 == line1 ? text1 :
			i + 1 == line2 ? text2 : base[i]);
	fclose(f);
	return path;
}

/* Write base[] with line LINE (1-based; 0 = none) replaced by TEXT. */
static const char *
write_cfg(const char *name, unsigned line, const char *text)
{
	return write_cfg2(name, line, text, 0, NULL);
}

/* The warning of a configuration with ikev2 and no certificate. */
#define IKEV2_OFF(line) ":" #line ": p2s.tunnel_types has ikev2 but " \
	"auth.certificate is not set: the IKEv2 responder stays off (static " \
	"tunnels only)\n"

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
	const char *text;	/* NULL: made by gen */
	const char *want;	/* expected in the message, with ":LINE: " */
	const char *want2;	/* and this too, if set */
	char *(*gen)(void);	/* NULL: 256 generated routes */
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
	/* auth */
	{ "auth_unknown", 20, AUTH("roots = [ \"ca.pem\" ];"),
	  ":21: unknown setting 'roots' in 'auth' (allowed: root_cas, revoked, "
	  "certificate, private_key, identity)", NULL },
	{ "auth_wrong_type", 20, AUTH("certificate = 5;"),
	  ":21: auth.certificate must be a string, not an integer", NULL },
	{ "auth_ca_unreadable", 20,
	  AUTH("root_cas = [ \"ca.pem\", \"absent.pem\" ];"),
	  ":21: auth.root_cas[1] 'absent.pem' (/",
	  "/absent.pem) cannot be read: No such file or directory" },
	{ "auth_cert_unreadable", 20, AUTH("root_cas = [ \"ca.pem\" ]; "
	  "certificate = \"/nonexistent/p2sgw/gw.pem\"; "
	  "private_key = \"gw.key\";"),
	  ":21: auth.certificate '/nonexistent/p2sgw/gw.pem' cannot be read: "
	  "No such file or directory", NULL },
	{ "auth_key_unreadable", 20, AUTH("root_cas = [ \"ca.pem\" ]; "
	  "certificate = \"gw.pem\"; private_key = \"gw.pem.key\";"),
	  ":21: auth.private_key 'gw.pem.key' (/",
	  "/gw.pem.key) cannot be read: No such file or directory" },
	{ "auth_ca_directory", 20, AUTH("root_cas = [ \".\" ];"),
	  ":21: auth.root_cas[0] '.' (/", ") is a directory, not a PEM file" },
	{ "auth_ca_empty_path", 20, AUTH("root_cas = [ \"\" ];"),
	  ":21: auth.root_cas[0] is empty: give the path of a PEM file", NULL },
	{ "auth_too_many_cas", 20, AUTH("root_cas = [ " CA5 ", " CA5 ", " CA5
	  ", " CA5 ", \"ca.pem\" ];"),
	  ":21: auth.root_cas has 21 entries, at most 20 are allowed", NULL },
	{ "auth_no_cas", 20, AUTH("root_cas = [ ];"),
	  ":21: auth.root_cas is empty: give 1..20 PEM files", NULL },
	{ "auth_ca_twice", 20, AUTH("root_cas = [ \"ca.pem\", \"./ca.pem\" ];"),
	  ":21: auth.root_cas[1] '/", "/ca.pem' is listed twice" },
	{ "auth_thumbprint_short", 20,
	  AUTH("revoked = [ \"3a7bd3e2360a3d29eea436fcfb7e44c735d117c\" ];"),
	  ":21: auth.revoked[0] '3a7bd3e2360a3d29eea436fcfb7e44c735d117c' is "
	  "not a SHA-1 thumbprint: give 40 hex digits, optionally with ':' or "
	  "' ' between the bytes", NULL },
	{ "auth_thumbprint_long", 20, AUTH("revoked = [ \"" TP1 "00\" ];"),
	  ":21: auth.revoked[0] '" TP1 "00' is not a SHA-1 thumbprint", NULL },
	{ "auth_thumbprint_not_hex", 20,
	  AUTH("revoked = [ \"3a7bd3e2360a3d29eea436fcfb7e44c735d117cg\" ];"),
	  ":21: auth.revoked[0] '3a7bd3e2360a3d29eea436fcfb7e44c735d117cg' is "
	  "not a SHA-1 thumbprint", NULL },
	{ "auth_thumbprint_split_byte", 20,
	  AUTH("revoked = [ \"3:a7bd3e2360a3d29eea436fcfb7e44c735d117c4\" ];"),
	  ":21: auth.revoked[0] '3:a7bd3e2360a3d29eea436fcfb7e44c735d117c4' is "
	  "not a SHA-1 thumbprint", NULL },
	{ "auth_thumbprint_double_colon", 20,
	  AUTH("revoked = [ \"3a::7bd3e2360a3d29eea436fcfb7e44c735d117c4\" ];"),
	  ":21: auth.revoked[0] '3a::7b", "is not a SHA-1 thumbprint" },
	{ "auth_thumbprint_trailing_colon", 20,
	  AUTH("revoked = [ \"" TP1_COLONS ":\" ];"),
	  ":21: auth.revoked[0] '" TP1_COLONS ":' is not a SHA-1 thumbprint",
	  NULL },
	{ "auth_thumbprint_leading_space", 20,
	  AUTH("revoked = [ \" " TP1 "\" ];"),
	  ":21: auth.revoked[0] ' " TP1 "' is not a SHA-1 thumbprint", NULL },
	{ "auth_duplicate_thumbprint", 20,
	  AUTH("revoked = [ \"" TP1 "\", \"" TP2_SPACES "\", \"" TP1_COLONS
	       "\" ];"),
	  ":21: auth.revoked[2] '" TP1_COLONS "' is listed twice (as "
	  "auth.revoked[0])", NULL },
	{ "auth_too_many_revoked", 20, NULL,
	  ":21: auth.revoked has 1025 entries, at most 1024 are allowed", NULL,
	  revoked_1025 },
	{ "auth_cert_without_key", 20,
	  AUTH("root_cas = [ \"ca.pem\" ]; certificate = \"gw.pem\";"),
	  ":21: auth.certificate is set but auth.private_key is not: give both",
	  NULL },
	{ "auth_key_without_cert", 20,
	  AUTH("root_cas = [ \"ca.pem\" ]; private_key = \"gw.key\";"),
	  ":21: auth.private_key is set but auth.certificate is not: give both",
	  NULL },
	{ "auth_cert_without_cas", 20,
	  AUTH("certificate = \"gw.pem\"; private_key = \"gw.key\";"),
	  ":21: auth.certificate is set but auth.root_cas is not: give the CAs "
	  "that issue client certificates", NULL },
	{ "auth_identity_empty", 20, AUTH(AUTH_OK " identity = \"\";"),
	  ":21: auth.identity must have 1..255 characters, not 0", NULL },
	{ "auth_identity_control", 20, AUTH(AUTH_OK " identity = \"vpn\\t1\";"),
	  ":21: auth.identity has a character that is not printable ASCII at "
	  "position 4", NULL },
	{ "auth_identity_utf8", 20, AUTH(AUTH_OK " identity = \"vpn\xc3\xa9\";"),
	  ":21: auth.identity has a character that is not printable ASCII at "
	  "position 4", NULL },
	/* ike */
	{ "ike_unknown", 20, IKE("lifetime = 3600;"),
	  ":21: unknown setting 'lifetime' in 'ike' (allowed: proposals, "
	  "esp_proposals, ike_lifetime, child_lifetime, child_lifetime_kb, "
	  "natt_keepalive, half_open_timeout, "
	  "max_connections, dpd_delay, dpd_timeout, cookie_threshold, "
	  "half_open_per_source)", NULL },
	{ "half_open_per_source_zero", 20, IKE("half_open_per_source = 0;"),
	  ":21: ike.half_open_per_source = 0 is out of range 1..100000", NULL },
	{ "dpd_delay_high", 20, IKE("dpd_delay = 3601;"),
	  ":21: ike.dpd_delay = 3601 is out of range 0..3600", NULL },
	{ "dpd_timeout_low", 20, IKE("dpd_timeout = 4;"),
	  ":21: ike.dpd_timeout = 4 is out of range 5..3600", NULL },
	{ "ike_proposals_wrong_type", 20,
	  IKE("proposals = \"aes256gcm16-prfsha384-ecp256\";"),
	  ":21: ike.proposals must be an array [ \"...\", ... ] of strings, not "
	  "a string", NULL },
	{ "ike_proposals_empty", 20, IKE("proposals = [ ];"),
	  ":21: ike.proposals is empty: give 1..8 proposals or leave the "
	  "setting out for the defaults", NULL },
	{ "ike_empty_proposal", 20, IKE("proposals = [ \"\" ];"),
	  ":21: ike.proposals[0] is empty: give a proposal such as "
	  "\"aes256gcm16-prfsha384-ecp384\"", NULL },
	{ "ike_unknown_token", 20,
	  IKE("proposals = [ \"aes256-sha512-modp2048\" ];"),
	  ":21: ike.proposals[0] 'aes256-sha512-modp2048': unknown token "
	  "'sha512' (allowed: aes256gcm16, aes256, sha384, sha256, prfsha384, "
	  "prfsha256, modp2048s256, modp2048, ecp384, ecp256, modp1024)", NULL },
	{ "ike_empty_token", 20,
	  IKE("proposals = [ \"aes256gcm16--prfsha384-ecp256\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16--prfsha384-ecp256': empty token: "
	  "tokens are joined by a single '-'", NULL },
	{ "ike_trailing_dash", 20,
	  IKE("proposals = [ \"aes256gcm16-prfsha384-ecp256-\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16-prfsha384-ecp256-': empty token",
	  NULL },
	{ "ike_no_encryption", 20, IKE("proposals = [ \"sha256-modp2048\" ];"),
	  ":21: ike.proposals[0] 'sha256-modp2048': no encryption algorithm: "
	  "give aes256gcm16 or aes256", NULL },
	{ "ike_two_encryptions", 20,
	  IKE("proposals = [ \"aes256gcm16-aes256-prfsha384-ecp256\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16-aes256-prfsha384-ecp256': more "
	  "than one encryption algorithm ('aes256gcm16' and 'aes256'): write "
	  "one proposal for each", NULL },
	{ "ike_two_integrities", 20,
	  IKE("proposals = [ \"aes256-sha256-sha384-ecp256\" ];"),
	  ":21: ike.proposals[0] 'aes256-sha256-sha384-ecp256': more than one "
	  "integrity algorithm ('sha256' and 'sha384')", NULL },
	{ "ike_two_prfs", 20,
	  IKE("proposals = [ \"aes256gcm16-prfsha256-prfsha384-ecp256\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16-prfsha256-prfsha384-ecp256': more "
	  "than one PRF ('prfsha256' and 'prfsha384')", NULL },
	{ "ike_group_twice", 20,
	  IKE("proposals = [ \"aes256gcm16-prfsha384-ecp256-ECP256\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16-prfsha384-ecp256-ECP256': "
	  "'ecp256' is listed twice", NULL },
	{ "ike_gcm_with_integrity", 20,
	  IKE("proposals = [ \"aes256gcm16-sha256-prfsha256-ecp256\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16-sha256-prfsha256-ecp256': "
	  "aes256gcm16 takes no integrity algorithm (AES-GCM authenticates "
	  "itself): remove 'sha256'", NULL },
	{ "ike_cbc_without_integrity", 20,
	  IKE("proposals = [ \"aes256-prfsha256-ecp256\" ];"),
	  ":21: ike.proposals[0] 'aes256-prfsha256-ecp256': aes256 needs an "
	  "integrity algorithm: add sha384 or sha256", NULL },
	{ "ike_gcm_without_prf", 20,
	  IKE("proposals = [ \"aes256gcm128-ecp256\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm128-ecp256': aes256gcm16 needs a "
	  "PRF: add prfsha384 or prfsha256", NULL },
	{ "ike_sha1", 20, IKE("proposals = [ \"aes256-sha1-modp2048\" ];"),
	  ":21: ike.proposals[0] 'aes256-sha1-modp2048': aes256-sha1 is not an "
	  "IKE SA policy: use aes256-sha384 or aes256-sha256", NULL },
	{ "ike_prf_mismatch", 20,
	  IKE("proposals = [ \"aes256-sha384-prfsha256-ecp384\" ];"),
	  ":21: ike.proposals[0] 'aes256-sha384-prfsha256-ecp384': "
	  "aes256-sha384 is only allowed with prfsha384", NULL },
	{ "ike_prf_mismatch_sha256", 20,
	  IKE("proposals = [ \"aes256-sha256-prfsha384-ecp384\" ];"),
	  ":21: ike.proposals[0] 'aes256-sha256-prfsha384-ecp384': "
	  "aes256-sha256 is only allowed with prfsha256", NULL },
	{ "ike_no_group", 20, IKE("proposals = [ \"aes256gcm16-prfsha384\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16-prfsha384': no DH group: add one "
	  "or more of modp2048s256, modp2048, ecp384, ecp256", NULL },
	{ "ike_none_group", 20,
	  IKE("proposals = [ \"aes256gcm16-prfsha384-none-ecp256\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16-prfsha384-none-ecp256': 'none' is "
	  "for ESP proposals only (no PFS): an IKE SA always uses a DH group",
	  NULL },
	{ "ike_modp1024_with_gcm", 20,
	  IKE("proposals = [ \"aes256gcm16-prfsha256-ecp256-modp1024\" ];"),
	  ":21: ike.proposals[0] 'aes256gcm16-prfsha256-ecp256-modp1024': "
	  "modp1024 is only allowed with aes256-sha256-prfsha256", NULL },
	{ "ike_modp1024_with_sha384", 20,
	  IKE("proposals = [ \"aes256-sha384-modp1024\" ];"),
	  ":21: ike.proposals[0] 'aes256-sha384-modp1024': modp1024 is only "
	  "allowed with aes256-sha256-prfsha256", NULL },
	{ "ike_duplicate_proposal", 20,
	  IKE("proposals = [ \"aes256gcm16-prfsha384-ecp384-ecp256\", "
	      "\"aes256gcm128-PRFSHA384-ecp256-ecp384\" ];"),
	  ":21: ike.proposals[1] 'aes256gcm128-PRFSHA384-ecp256-ecp384': listed "
	  "twice (as ike.proposals[0])", NULL },
	{ "ike_duplicate_default_prf", 20,
	  IKE("proposals = [ \"aes256-sha256-modp2048\", "
	      "\"aes256-sha256-prfsha256-modp2048\" ];"),
	  ":21: ike.proposals[1] 'aes256-sha256-prfsha256-modp2048': listed "
	  "twice (as ike.proposals[0])", NULL },
	{ "ike_too_many_proposals", 20,
	  IKE("proposals = [ " P8 ", \"aes256-sha256-modp2048\" ];"),
	  ":21: ike.proposals has 9 entries, at most 8 are allowed", NULL },
	{ "esp_unknown_token", 20,
	  IKE("esp_proposals = [ \"aes256gcm16-noesn\" ];"),
	  ":21: ike.esp_proposals[0] 'aes256gcm16-noesn': unknown token 'noesn' "
	  "(allowed: aes256gcm16, aes256, sha256, sha1, none, modp2048s256, "
	  "modp2048, ecp384, ecp256)", NULL },
	{ "esp_gcm_with_integrity", 20,
	  IKE("esp_proposals = [ \"aes256gcm16-sha256\" ];"),
	  ":21: ike.esp_proposals[0] 'aes256gcm16-sha256': aes256gcm16 takes no "
	  "integrity algorithm (AES-GCM authenticates itself): remove 'sha256'",
	  NULL },
	{ "esp_cbc_without_integrity", 20,
	  IKE("esp_proposals = [ \"aes256-ecp256\" ];"),
	  ":21: ike.esp_proposals[0] 'aes256-ecp256': aes256 needs an integrity "
	  "algorithm: add sha256 or sha1", NULL },
	{ "esp_sha384", 20, IKE("esp_proposals = [ \"aes256-sha384\" ];"),
	  ":21: ike.esp_proposals[0] 'aes256-sha384': aes256-sha384 is not an "
	  "ESP policy: use aes256gcm16, aes256-sha256 or aes256-sha1", NULL },
	{ "esp_prf", 20, IKE("esp_proposals = [ \"aes256gcm16-prfsha256\" ];"),
	  ":21: ike.esp_proposals[0] 'aes256gcm16-prfsha256': prfsha256 is not "
	  "used in ESP proposals: remove it", NULL },
	{ "esp_modp1024", 20,
	  IKE("esp_proposals = [ \"aes256-sha256-none-modp1024\" ];"),
	  ":21: ike.esp_proposals[0] 'aes256-sha256-none-modp1024': modp1024 is "
	  "not allowed in ESP proposals: PFS groups are modp2048s256, "
	  "modp2048, ecp384, ecp256", NULL },
	{ "esp_sha1_with_group", 20,
	  IKE("esp_proposals = [ \"aes256-sha1-none-modp2048\" ];"),
	  ":21: ike.esp_proposals[0] 'aes256-sha1-none-modp2048': aes256-sha1 "
	  "is only allowed without PFS: remove 'modp2048'", NULL },
	{ "esp_none_twice", 20,
	  IKE("esp_proposals = [ \"aes256gcm16-none-none\" ];"),
	  ":21: ike.esp_proposals[0] 'aes256gcm16-none-none': 'none' is listed "
	  "twice", NULL },
	{ "esp_duplicate_proposal", 20,
	  IKE("esp_proposals = [ \"aes256gcm16\", \"AES256GCM16-none\" ];"),
	  ":21: ike.esp_proposals[1] 'AES256GCM16-none': listed twice (as "
	  "ike.esp_proposals[0])", NULL },
	{ "esp_too_many_proposals", 20,
	  IKE("esp_proposals = [ " E8 ", \"aes256-sha256-ecp384\" ];"),
	  ":21: ike.esp_proposals has 9 entries, at most 8 are allowed", NULL },
	{ "ike_lifetime_low", 20, IKE("ike_lifetime = 29;"),
	  ":21: ike.ike_lifetime = 29 is out of range 30..86400", NULL },
	{ "ike_lifetime_high", 20, IKE("ike_lifetime = 86401;"),
	  ":21: ike.ike_lifetime = 86401 is out of range 30..86400", NULL },
	{ "child_lifetime_low", 20, IKE("child_lifetime = 9;"),
	  ":21: ike.child_lifetime = 9 is out of range 10..86400", NULL },
	{ "child_lifetime_high", 20, IKE("child_lifetime = 86401;"),
	  ":21: ike.child_lifetime = 86401 is out of range 10..86400", NULL },
	{ "child_lifetime_kb_negative", 20, IKE("child_lifetime_kb = -1;"),
	  ":21: ike.child_lifetime_kb = -1 is out of range 0..2000000000", NULL },
	{ "natt_keepalive_high", 20, IKE("natt_keepalive = 3601;"),
	  ":21: ike.natt_keepalive = 3601 is out of range 0..3600", NULL },
	{ "half_open_low", 20, IKE("half_open_timeout = 4;"),
	  ":21: ike.half_open_timeout = 4 is out of range 5..300", NULL },
	{ "half_open_high", 20, IKE("half_open_timeout = 301;"),
	  ":21: ike.half_open_timeout = 301 is out of range 5..300", NULL },
	{ "lifetime_wrong_type", 20, IKE("ike_lifetime = \"8h\";"),
	  ":21: ike.ike_lifetime must be an integer, not a string", NULL },
	{ "max_connections_above_cap", 20, IKE("max_connections = 251;"),
	  ":21: ike.max_connections = 251 is out of range 0..250: 250 is the "
	  "IKEv2/OpenVPN connection cap of VpnGw1 (generation 1); 0 means the "
	  "cap", NULL },
	{ "max_connections_negative", 20, IKE("max_connections = -1;"),
	  ":21: ike.max_connections = -1 is out of range 0..250", NULL },
	/* a later section fails after auth.revoked was allocated */
	{ "revoked_then_bad_ike", 20, ");\nauth = { revoked = [ \"" TP1
	  "\" ]; };\nike = { ike_lifetime = 1; };",
	  ":22: ike.ike_lifetime = 1 is out of range 30..86400", NULL },
	{ "revoked_then_bad_control", 20, ");\nauth = { revoked = [ \"" TP1
	  "\" ]; };\ncontrol = { max_tunnels = 1; };",
	  ":22: control.max_tunnels = 1 is out of range 16..1000000", NULL },
};

static void
run_bad(const struct bad_case *c)
{
	static struct p2sgw_config cfg;
	char err[P2SGW_CFG_ERR_LEN] = "";
	char *gen = c->text != NULL ? NULL : c->gen != NULL ? c->gen() :
		routes_line(256);
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

static bool
ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

static int
load_variant2(const char *name, unsigned line1, const char *text1,
	      unsigned line2, const char *text2, struct p2sgw_config *cfg)
{
	char err[P2SGW_CFG_ERR_LEN] = "";
	const char *path = write_cfg2(name, line1, text1, line2, text2);
	int rc = p2sgw_config_load(path, cfg, err, sizeof(err));

	CHECK(name, rc == 0, "refused: %s", err);
	unlink(path);
	return rc;
}

static int
load_variant(const char *name, unsigned line, const char *text,
	     struct p2sgw_config *cfg)
{
	return load_variant2(name, line, text, 0, NULL, cfg);
}

/* A variant that must be refused with WANT in the message. */
static void
refuse_variant2(const char *name, unsigned line1, const char *text1,
		unsigned line2, const char *text2, const char *want)
{
	static struct p2sgw_config cfg;
	char err[P2SGW_CFG_ERR_LEN] = "";
	const char *path = write_cfg2(name, line1, text1, line2, text2);
	int rc = p2sgw_config_load(path, &cfg, err, sizeof(err));

	CHECK(name, rc == -1 && strstr(err, want) != NULL &&
	      all_zero(&cfg, sizeof(cfg)), "message \"%s\", expected \"%s\"",
	      err, want);
	unlink(path);
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
	CHECK("base", strcmp(c.warnings + strlen(c.path), IKEV2_OFF(10)) == 0 &&
	      strncmp(c.warnings, c.path, strlen(c.path)) == 0,
	      "warnings: %s", c.warnings);
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
			     "2004 accepts at most 25 traffic selectors\n") ==
		      c.warnings + strlen(c.path) &&
		      strstr(strchr(c.warnings, '\n') + 1, IKEV2_OFF(10)) &&
		      strchr(strchr(c.warnings, '\n') + 1, '\n')[1] == '\0',
		      "warnings: %s", c.warnings);
	p2sgw_config_free(&c);
	free(routes);
}

#define GROUPS_DEFAULT (1u << 24 | 1u << 14 | 1u << 20 | 1u << 19)

static bool
ike_is(const struct p2sgw_ike_proposal_cfg *p, unsigned encr, unsigned integ,
       unsigned prf, uint32_t groups, int line)
{
	return p->encr == encr && p->integ == integ && p->prf == prf &&
	       p->groups == groups && p->line == line;
}

static bool
esp_is(const struct p2sgw_esp_proposal_cfg *p, enum p2sgw_suite suite,
       uint32_t groups, int line)
{
	return p->suite == suite && p->groups == groups && p->line == line;
}

/* P is DIR/NAME. */
static bool
path_is(const char *p, const char *dir, const char *name)
{
	size_t n = strlen(dir);

	return strncmp(p, dir, n) == 0 && p[n] == '/' &&
	       strcmp(p + n + 1, name) == 0;
}

static void
test_auth_full(void)
{
	static struct p2sgw_config c;
	static const uint8_t tp1[20] = {
		0x3a, 0x7b, 0xd3, 0xe2, 0x36, 0x0a, 0x3d, 0x29, 0xee, 0xa4,
		0x36, 0xfc, 0xfb, 0x7e, 0x44, 0xc7, 0x35, 0xd1, 0x17, 0xc4,
	};
	static const uint8_t tp2[20] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
		0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
	};

	if (load_variant("auth_ike_full", 20, ");\nauth = { "
			 "root_cas = [ \"ca.pem\", \"./ca2.pem\" ]; "
			 "revoked = [ \"" TP1 "\", \"" TP2_SPACES "\" ]; "
			 "certificate = \"gw.pem\"; private_key = \"gw.key\"; "
			 "identity = \"vpn.example.com\"; };\n"
			 "ike = { proposals = [ "
			 "\"aes256gcm16-prfsha384-ecp384-ecp256-modp2048\", "
			 "\"aes256-sha256-modp2048-modp1024\", "
			 "\"AES256-SHA384-ecp384\" ]; esp_proposals = [ "
			 "\"aes256gcm16\", \"aes256gcm16-none-ecp256\", "
			 "\"aes256-sha256-modp2048\", \"aes256-sha1-none\" ]; "
			 "ike_lifetime = 3600; child_lifetime = 3000; "
			 "half_open_timeout = 10; max_connections = 100; };",
			 &c) < 0)
		return;
	CHECK("auth_full", c.auth.n_root_ca == 2 &&
	      path_is(c.auth.root_ca[0], tmpdir, "ca.pem") &&
	      path_is(c.auth.root_ca[1], tmpdir, "ca2.pem") &&
	      path_is(c.auth.certificate, tmpdir, "gw.pem") &&
	      path_is(c.auth.private_key, tmpdir, "gw.key") &&
	      strcmp(c.auth.identity, "vpn.example.com") == 0 &&
	      c.auth.line == 21, "paths %s %s", c.auth.root_ca[0],
	      c.auth.root_ca[1]);
	CHECK("auth_full", c.auth.n_revoked == 2 && c.auth.revoked != NULL &&
	      memcmp(c.auth.revoked[0], tp1, 20) == 0 &&
	      memcmp(c.auth.revoked[1], tp2, 20) == 0, "thumbprints");
	CHECK("auth_full", c.ike.n_ike == 3 &&
	      ike_is(&c.ike.ike[0], 20, 0, 6, 1u << 20 | 1u << 19 | 1u << 14,
		     22) &&
	      ike_is(&c.ike.ike[1], 12, 12, 5, 1u << 14 | 1u << 2, 22) &&
	      ike_is(&c.ike.ike[2], 12, 13, 6, 1u << 20, 22),
	      "ike proposals");
	CHECK("auth_full", c.ike.n_esp == 4 &&
	      esp_is(&c.ike.esp[0], P2SGW_SUITE_AES256GCM16, 1u, 22) &&
	      esp_is(&c.ike.esp[1], P2SGW_SUITE_AES256GCM16, 1u | 1u << 19,
		     22) &&
	      esp_is(&c.ike.esp[2], P2SGW_SUITE_AES256CBC_SHA256, 1u << 14,
		     22) &&
	      esp_is(&c.ike.esp[3], P2SGW_SUITE_AES256CBC_SHA1, 1u, 22),
	      "esp proposals");
	CHECK("auth_full", c.ike.ike_lifetime == 3600 &&
	      c.ike.child_lifetime == 3000 && c.ike.half_open_timeout == 10 &&
	      c.ike.max_connections == 100 && c.ike.enabled &&
	      c.warnings[0] == '\0', "ike: %s", c.warnings);
	p2sgw_config_free(&c);
	CHECK("auth_full", all_zero(&c, sizeof(c)), "not zeroed by free");
}

static void
test_auth_ike_defaults(void)
{
	static struct p2sgw_config c;

	if (load_variant("ike_defaults", 0, NULL, &c) == 0) {
		CHECK("ike_defaults", all_zero(&c.auth, sizeof(c.auth)),
		      "auth not empty");
		CHECK("ike_defaults", c.ike.n_ike == 4 &&
		      ike_is(&c.ike.ike[0], 20, 0, 6, GROUPS_DEFAULT, 0) &&
		      ike_is(&c.ike.ike[1], 20, 0, 5, GROUPS_DEFAULT, 0) &&
		      ike_is(&c.ike.ike[2], 12, 13, 6, GROUPS_DEFAULT, 0) &&
		      ike_is(&c.ike.ike[3], 12, 12, 5, GROUPS_DEFAULT | 1u << 2,
			     0), "ike proposals");
		CHECK("ike_defaults", c.ike.n_esp == 3 &&
		      esp_is(&c.ike.esp[0], P2SGW_SUITE_AES256GCM16,
			     1u | GROUPS_DEFAULT, 0) &&
		      esp_is(&c.ike.esp[1], P2SGW_SUITE_AES256CBC_SHA256,
			     1u | GROUPS_DEFAULT, 0) &&
		      esp_is(&c.ike.esp[2], P2SGW_SUITE_AES256CBC_SHA1, 1u, 0),
		      "esp proposals");
		CHECK("ike_defaults", c.ike.ike_lifetime == 28800 &&
		      c.ike.child_lifetime == 27000 &&
		      c.ike.half_open_timeout == 30 &&
		      c.ike.max_connections == 250 && !c.ike.enabled, "values");
	}
	p2sgw_config_free(&c);
	/* An empty ike section: the same defaults. */
	if (load_variant("ike_empty", 20, IKE(""), &c) == 0)
		CHECK("ike_empty", c.ike.n_ike == 4 && c.ike.n_esp == 3 &&
		      c.ike.max_connections == 250, "defaults");
	p2sgw_config_free(&c);
	/* Only the CAs: the responder stays off. */
	if (load_variant("auth_cas_only", 20, AUTH("root_cas = [ \"ca.pem\" ];"),
			 &c) == 0)
		CHECK("auth_cas_only", !c.ike.enabled && c.auth.n_root_ca == 1 &&
		      strstr(c.warnings, IKEV2_OFF(10)) != NULL, "%s",
		      c.warnings);
	p2sgw_config_free(&c);
}

/* Which configurations run the responder, and the warning when ikev2 is
 * enabled without a certificate. */
static void
test_ike_enabled(void)
{
	static struct p2sgw_config c;

	if (load_variant2("openvpn_cert", 10, "  tunnel_types = [ \"openvpn\" ];",
			  20, AUTH(AUTH_OK), &c) == 0)
		CHECK("openvpn_cert", !c.ike.enabled && c.warnings[0] == '\0' &&
		      c.auth.certificate[0] == '/', "%s", c.warnings);
	p2sgw_config_free(&c);
	if (load_variant("openvpn_only", 10, "  tunnel_types = [ \"openvpn\" ];",
			 &c) == 0)
		CHECK("openvpn_only", !c.ike.enabled && c.warnings[0] == '\0',
		      "%s", c.warnings);
	p2sgw_config_free(&c);
	if (load_variant2("default_types_cert", 10, "", 20, AUTH(AUTH_OK),
			  &c) == 0)
		CHECK("default_types_cert", c.ike.enabled &&
		      c.warnings[0] == '\0', "%s", c.warnings);
	p2sgw_config_free(&c);
	/* The warning names the p2s group when tunnel_types is absent. */
	if (load_variant("default_types", 10, "", &c) == 0)
		CHECK("default_types", !c.ike.enabled &&
		      strstr(c.warnings, IKEV2_OFF(9)) != NULL, "%s",
		      c.warnings);
	p2sgw_config_free(&c);
}

/* Relative paths are relative to the configuration's directory, also when
 * the configuration itself is named by a relative path. */
static void
test_auth_paths(void)
{
	static struct p2sgw_config c;
	char err[P2SGW_CFG_ERR_LEN], text[PATH_MAX + 128], cwd[PATH_MAX];
	char here[PATH_MAX], rel[PATH_MAX], *slash;
	const char *path;

	snprintf(text, sizeof(text), AUTH("root_cas = [ \"%s/ca2.pem\", "
		 "\"ca.pem\" ];"), tmpdir);
	if (load_variant("auth_absolute", 20, text, &c) == 0)
		CHECK("auth_absolute", c.auth.n_root_ca == 2 &&
		      path_is(c.auth.root_ca[0], tmpdir, "ca2.pem") &&
		      path_is(c.auth.root_ca[1], tmpdir, "ca.pem"), "%s",
		      c.auth.root_ca[0]);
	p2sgw_config_free(&c);

	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tmpdir) < 0 ||
	    getcwd(here, sizeof(here)) == NULL) {
		CHECK("auth_relative", false, "cannot enter %s", tmpdir);
		return;
	}
	path = write_cfg("rel", 20, AUTH(AUTH_OK));
	CHECK("auth_relative", p2sgw_config_load("rel.cfg", &c, err,
		sizeof(err)) == 0 && path_is(c.auth.root_ca[0], here, "ca.pem") &&
	      path_is(c.auth.private_key, here, "gw.key"), "%s %s", err,
	      c.auth.root_ca[0]);
	p2sgw_config_free(&c);
	CHECK("auth_relative", p2sgw_config_load("./rel.cfg", &c, err,
		sizeof(err)) == 0 && path_is(c.auth.certificate, here,
					     "gw.pem"), "%s %s", err,
	      c.auth.certificate);
	p2sgw_config_free(&c);
	/* From the parent directory: "p2sgw-cfg.XXXXXX/rel.cfg". */
	slash = strrchr(here, '/');
	if (slash != NULL && slash != here && chdir("..") == 0) {
		snprintf(rel, sizeof(rel), "%s/rel.cfg", slash + 1);
		CHECK("auth_relative", p2sgw_config_load(rel, &c, err,
			sizeof(err)) == 0 && path_is(c.auth.root_ca[0], here,
						     "ca.pem"), "%s %s", err,
		      c.auth.root_ca[0]);
		p2sgw_config_free(&c);
	}
	unlink(path);
	CHECK("auth_relative", chdir(cwd) == 0, "cannot return to %s", cwd);
}

static void
test_revoked_max(void)
{
	static struct p2sgw_config c;
	char *text = revoked_line(1024);

	if (load_variant("revoked_1024", 20, text, &c) == 0)
		CHECK("revoked_1024", c.auth.n_revoked == 1024 &&
		      c.auth.revoked[1023][18] == 0x04 &&
		      c.auth.revoked[1023][19] == 0x00 &&
		      c.auth.revoked[0][19] == 0x01, "%u", c.auth.n_revoked);
	p2sgw_config_free(&c);
	free(text);
}

static void
test_sku_caps(void)
{
	static struct p2sgw_config c;

	CHECK("sku_cap", p2sgw_sku_ike_cap(P2SGW_SKU_BASIC, 1) == 128 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW1, 1) == 250 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW2, 1) == 500 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW3, 1) == 1000 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW2, 2) == 500 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW3, 2) == 1000 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW4, 2) == 5000 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW5, 2) == 10000, "caps");
	CHECK("sku_cap", p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW4, 1) == 0 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_BASIC, 2) == 0 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW1, 2) == 0 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_VPNGW1, 3) == 0 &&
	      p2sgw_sku_ike_cap(P2SGW_SKU_COUNT, 1) == 0, "not offered");
	if (load_variant("basic_cap", 1, "gateway = { sku = \"Basic\"; };",
			 &c) == 0)
		CHECK("basic_cap", c.ike.max_connections == 128, "%u",
		      c.ike.max_connections);
	p2sgw_config_free(&c);
	if (load_variant2("vpngw5az_cap", 1, "gateway = { sku = \"VpnGw5AZ\"; "
			  "generation = 2; };", 20, IKE("max_connections = 0;"),
			  &c) == 0)
		CHECK("vpngw5az_cap", c.ike.max_connections == 10000, "%u",
		      c.ike.max_connections);
	p2sgw_config_free(&c);
	if (load_variant2("vpngw5_max", 1, "gateway = { sku = \"VpnGw5\"; "
			  "generation = 2; };", 20,
			  IKE("max_connections = 10000;"), &c) == 0)
		CHECK("vpngw5_max", c.ike.max_connections == 10000, "%u",
		      c.ike.max_connections);
	p2sgw_config_free(&c);
	refuse_variant2("vpngw5_above", 1, "gateway = { sku = \"VpnGw5\"; "
			"generation = 2; };", 20,
			IKE("max_connections = 10001;"),
			":21: ike.max_connections = 10001 is out of range "
			"0..10000: 10000 is the IKEv2/OpenVPN connection cap "
			"of VpnGw5 (generation 2); 0 means the cap");
	refuse_variant2("basic_above", 1, "gateway = { sku = \"Basic\"; };", 20,
			IKE("max_connections = 129;"),
			":21: ike.max_connections = 129 is out of range 0..128: "
			"128 is the IKEv2/OpenVPN connection cap of Basic "
			"(generation 1)");
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
	/* Without auth.certificate the responder is off, with a warning. */
	CHECK("default.cfg", c.ike.enabled ? c.warnings[0] == '\0' :
	      strstr(c.warnings, ": p2s.tunnel_types has ikev2 but "
		     "auth.certificate is not set") != NULL &&
	      strchr(c.warnings, '\n')[1] == '\0', "%s", c.warnings);
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
	CHECK("example.cfg", c.ike.enabled && c.warnings[0] == '\0' &&
	      c.auth.n_root_ca == 1 && c.auth.root_ca[0][0] == '/' &&
	      ends_with(c.auth.root_ca[0], "/config/example-pki/ca.pem") &&
	      ends_with(c.auth.certificate, "/config/example-pki/gw.pem") &&
	      ends_with(c.auth.private_key, "/config/example-pki/gw.key") &&
	      c.auth.n_revoked == 2 && c.auth.revoked[1][0] == 0x0f &&
	      c.auth.revoked[1][19] == 0x67 &&
	      strcmp(c.auth.identity, "vpn.example.com") == 0, "auth: %s",
	      c.warnings);
	CHECK("example.cfg", c.ike.n_ike == 2 && c.ike.n_esp == 3 &&
	      c.ike.ike[1].groups == (1u << 14 | 1u << 2) &&
	      c.ike.esp[0].groups == (1u | 1u << 20 | 1u << 19) &&
	      c.ike.ike_lifetime == 28800 && c.ike.child_lifetime == 27000 &&
	      c.ike.half_open_timeout == 30 && c.ike.max_connections == 500,
	      "ike");
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
	auth_files_make();
	test_ipv4();
	test_prefix();
	test_hex();
	test_lcores();
	test_names();
	test_shipped(argv[1], argv[2]);
	test_base();
	test_defaults();
	test_good_variants();
	test_auth_full();
	test_auth_ike_defaults();
	test_ike_enabled();
	test_auth_paths();
	test_revoked_max();
	test_sku_caps();
	test_bad();
	test_many_tunnels();
	test_failure_contract();
	auth_files_remove();
	rmdir(tmpdir);
	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
