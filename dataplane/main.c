/* SPDX-License-Identifier: BSD-3-Clause
 * p2sgw-dataplane: load the config, start DPDK, build the state, run the
 * workers until SIGINT/SIGTERM. Start-up errors end the process with one
 * line "p2sgw-dataplane: error: ..." and a non-zero status.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "config.h"
#include "dp.h"
#include "init.h"
#include "stats.h"

#define PROG "p2sgw-dataplane"

enum { EXIT_CONFIG = 1, EXIT_STARTUP = 2 };

static void
die(int code, const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": error: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(code);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " -c FILE [--check]\n"
		"  -c, --config FILE  configuration (see config/example.cfg)\n"
		"      --check        validate FILE and exit\n"
		"  -V, --version      print the version\n"
		"Signals: SIGTERM/SIGINT stop, SIGUSR1 writes the stats file now.\n");
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		dp_stats_request();
	else
		dp.stop = true;
}

/* EAL arguments: lcores, memory, file prefix, the vdevs or PCI devices
 * of the ports and the exception TUN, then the operator's extras. */
static int
eal_argv(const struct p2sgw_config *cfg, char **argv, int max)
{
	static char buf[64][P2SGW_CFG_DEVICE_LEN + 16];
	int n = 0, b = 0;
	unsigned i;
	bool pci = false;

#define ARG(...) do { if (n >= max - 1 || b >= 64) return -1;		\
		snprintf(buf[b], sizeof(buf[b]), __VA_ARGS__);		\
		argv[n++] = buf[b++]; } while (0)
	ARG(PROG);
	ARG("-l");
	buf[b][0] = '\0';
	for (i = 0; i < cfg->dataplane.n_lcores; i++)
		snprintf(buf[b] + strlen(buf[b]), sizeof(buf[b]) - strlen(buf[b]),
			 "%s%u", i ? "," : "", cfg->dataplane.lcores[i]);
	argv[n++] = buf[b++];
	ARG("--main-lcore=%u", cfg->dataplane.lcores[0]);
	ARG("-m");
	ARG("%u", cfg->dataplane.socket_mem);
	ARG("--file-prefix=%s", cfg->dataplane.file_prefix);
	for (i = 0; i < cfg->dataplane.n_ports; i++) {
		const struct p2sgw_port_cfg *p = &cfg->dataplane.ports[i];

		if (p->is_vdev) {
			ARG("--vdev=%s", p->device);
		} else {
			ARG("-a");
			ARG("%s", p->device);
			pci = true;
		}
	}
	if (cfg->dataplane.exception.enabled)
		ARG("--vdev=%s", cfg->dataplane.exception.device);
	if (!pci)
		ARG("--no-pci");
	for (i = 0; i < cfg->dataplane.n_eal_args; i++) {
		if (pci == false && strcmp(cfg->dataplane.eal_args[i], "--no-pci") == 0)
			continue;
		if (n >= max - 1)
			return -1;
		argv[n++] = cfg->dataplane.eal_args[i];
	}
#undef ARG
	argv[n] = NULL;
	return n;
}

static const char *
parse_args(int argc, char **argv, bool *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': *check = true; break;
		case 'V': printf(PROG " %s\n", P2SGW_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_CONFIG);
		}
	}
	if (path == NULL)
		die(EXIT_CONFIG, "%s", "no configuration file given (-c FILE)");
	return path;
}

int
main(int argc, char **argv)
{
	static struct p2sgw_config cfg;
	char err[P2SGW_CFG_ERR_LEN + 256], *eal[128];
	bool check = false;
	const char *path = parse_args(argc, argv, &check);
	int n;

	if (p2sgw_config_load(path, &cfg, err, sizeof(err)) != 0)
		die(EXIT_CONFIG, "%s", err);
	if (cfg.warnings[0] != '\0')
		fprintf(stderr, "%s", cfg.warnings);
	if (check) {
		printf(PROG ": %s: configuration OK\n", path);
		p2sgw_config_free(&cfg);
		return 0;
	}
	n = eal_argv(&cfg, eal, (int)RTE_DIM(eal));
	if (n < 0)
		die(EXIT_CONFIG, "%s", "too many EAL arguments");
	if (rte_eal_init(n, eal) < 0)
		die(EXIT_STARTUP, "DPDK EAL initialisation failed (%s): are hugepages "
		    "reserved and mounted (tools/setup.sh), the lcores present and "
		    "the file_prefix unused?", rte_strerror(rte_errno));
	if (dp_init(&cfg, err, sizeof(err)) != 0)
		die(EXIT_STARTUP, "%s", err);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	if (dp_stats_start(cfg.dataplane.stats_file, cfg.dataplane.stats_interval) != 0)
		die(EXIT_STARTUP, "cannot write the stats file %s",
		    cfg.dataplane.stats_file);
	printf(PROG ": %u worker(s), crypto %s, channel %s (%lu MiB, %u tunnels)\n",
	       dp.n_workers, p2sgw_crypto_arch_name(), dp.chan.path,
	       (unsigned long)(dp.chan.size >> 20), dp.chan.hdr->max_tunnels);
	printf(PROG ": memory per tunnel at capacity: %.0f bytes (channel %.0f, "
	       "worker tables %.0f)\n",
	       (double)(dp.chan.size + dp.table_bytes) / dp.chan.hdr->max_tunnels,
	       (double)dp.chan.size / dp.chan.hdr->max_tunnels,
	       (double)dp.table_bytes / dp.chan.hdr->max_tunnels);
	__atomic_store_n(&dp.chan.hdr->ready, 1, __ATOMIC_RELEASE);
	printf(PROG ": ready\n");
	fflush(stdout);

	rte_eal_mp_remote_launch(dp_worker_main_launch, NULL, CALL_MAIN);
	rte_eal_mp_wait_lcore();

	dp_stats_stop();
	printf(PROG ": stopping; counters:\n");
	dp_stats_print(stdout);
	dp_fini(&cfg);
	p2sgw_config_free(&cfg);
	rte_eal_cleanup();
	return 0;
}
