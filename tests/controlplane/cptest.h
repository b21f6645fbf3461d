/* SPDX-License-Identifier: BSD-3-Clause
 * Shared by the control plane's unit tests: checks that count failures,
 * and a small valid configuration written to a temporary file.
 */
#ifndef CPTEST_H
#define CPTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__,	\
			#cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static inline int
cptest_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, checks, failures);
	return failures == 0 ? 0 : 1;
}

#define CPTEST_K36 "4a1c6b2f0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99deadbeef"
#define CPTEST_K36B "7c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9eafbcafef00d"

/* A valid configuration (uplink 172.16.10.1/24, pool 10.200.0.0/24, one
 * static tunnel "static-1") with EXTRA appended; its path in PATH. */
static inline void
cptest_config(char *path, size_t len, const char *extra)
{
	FILE *f;

	snprintf(path, len, "/tmp/p2sgw-cptest-%d-%ld.cfg", (int)getpid(),
		 random());
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fprintf(f,
		"gateway = { name = \"t\"; sku = \"VpnGw1\"; };\n"
		"dataplane = {\n"
		"  lcores = \"1\"; file_prefix = \"cptest\";\n"
		"  ports = (\n"
		"    { name = \"up\"; role = \"uplink\"; device = \"net_null0\";\n"
		"      address = \"172.16.10.1/24\"; gateway = \"172.16.10.254\"; },\n"
		"    { name = \"vn\"; role = \"vnet\"; device = \"net_null1\";\n"
		"      address = \"10.10.0.1/24\"; } );\n"
		"  exception = { enabled = false; };\n"
		"};\n"
		"p2s = { address_pool = [ \"10.200.0.0/24\" ];\n"
		"        routes = [ \"10.10.0.0/24\" ]; };\n"
		"control = { socket = \"/tmp/p2sgw-cptest-%d.sock\"; };\n"
		"tunnels = (\n"
		"  { name = \"static-1\"; vip = \"10.200.0.2\"; peer = \"172.16.10.2\";\n"
		"    spi_in = 0x1001; spi_out = 0x2001;\n"
		"    key_in = \"" CPTEST_K36 "\"; key_out = \"" CPTEST_K36B "\"; }\n"
		"%s);\n", (int)getpid(), extra != NULL ? extra : "");
	fclose(f);
}

#endif /* CPTEST_H */
