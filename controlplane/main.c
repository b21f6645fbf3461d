/* SPDX-License-Identifier: BSD-3-Clause
 * p2sgw-control: load the config, open the control socket, attach to the
 * dataplane's channel and keep the tunnels installed, until SIGTERM or
 * SIGINT. SIGHUP reloads the config. It always runs in the foreground
 * (systemd or a shell supervises it).
 *
 * Exit status: 0 clean stop, 1 configuration error (one line
 * "p2sgw-control: error: FILE:LINE: reason"), 2 start-up failure.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "cp.h"
#include "ctl.h"
#include "dpchan.h"
#include "ike.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "tunnels.h"

#define PROG "p2sgw-control"

enum { EXIT_CONFIG = 1, EXIT_STARTUP = 2 };

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " -c FILE [--foreground]\n"
		"  -c, --config FILE  configuration (see config/example.cfg)\n"
		"      --foreground   run in the foreground (always the case)\n"
		"  -V, --version      print the version\n"
		"Signals: SIGTERM/SIGINT stop, SIGHUP reloads the configuration.\n");
}

static const char *
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "c:fVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': break;
		case 'V': printf(PROG " %s\n", P2SGW_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_CONFIG);
		}
	}
	if (optind < argc)
		die(EXIT_CONFIG, "unexpected argument '%s'", argv[optind]);
	if (path == NULL)
		die(EXIT_CONFIG, "no configuration file given (-c FILE)");
	return path;
}

static void
on_stop(struct loop *l, int signo, void *arg)
{
	(void)arg;
	log_notice("signal %d: stopping", signo);
	loop_stop(l);
}

static void
on_hup(struct loop *l, int signo, void *arg)
{
	struct cp *cp = arg;
	char err[P2SGW_CFG_ERR_LEN];
	(void)l;
	(void)signo;

	if (cp_reload(cp, NULL, err, sizeof(err)) == 0) {
		log_notice("configuration reloaded");
		dpchan_kick(cp->dpc);
	}
}

/* Where the SAs leave from: the uplink port's address and next hop. */
static struct tm_net
uplink_net(const struct p2sgw_config *cfg)
{
	struct tm_net net = { 0 };
	unsigned i;

	for (i = 0; i < cfg->dataplane.n_ports; i++) {
		if (cfg->dataplane.ports[i].role != P2SGW_PORT_UPLINK)
			continue;
		net.local = cfg->dataplane.ports[i].address.addr;
		net.uplink = cfg->dataplane.ports[i].address;
		net.gateway = cfg->dataplane.ports[i].gateway;
	}
	return net;
}

static void
start(struct cp *cp, const char *path)
{
	char err[P2SGW_CFG_ERR_LEN + 256];
	struct tm_net net;

	if (p2sgw_config_load(path, &cp->cfg, err, sizeof(err)) != 0 ||
	    cp_check_config(&cp->cfg, err, sizeof(err)) != 0)
		die(EXIT_CONFIG, "%s", err);
	if (cp->cfg.warnings[0] != '\0')
		fprintf(stderr, "%s", cp->cfg.warnings);
	cp_log_setup(cp->cfg.control.log_level, cp->cfg.control.syslog);
	net = uplink_net(&cp->cfg);
	cp->start_ns = p2sgw_now_ns();
	cp->loop = loop_new();
	cp->tm = tm_new(&net);
	if (cp->loop == NULL || cp->tm == NULL)
		die(EXIT_STARTUP, "out of memory");
	if (cp_add_static(cp, &cp->cfg, err, sizeof(err)) != 0)
		die(EXIT_CONFIG, "%s", err);
	cp_cfg_wipe_keys(&cp->cfg);
	signal(SIGPIPE, SIG_IGN);
	if (loop_signal(cp->loop, SIGTERM, on_stop, cp) != 0 ||
	    loop_signal(cp->loop, SIGINT, on_stop, cp) != 0 ||
	    loop_signal(cp->loop, SIGHUP, on_hup, cp) != 0)
		die(EXIT_STARTUP, "cannot set up signal handling");
	if (ctl_open(cp, cp->cfg.control.socket, err, sizeof(err)) != 0)
		die(EXIT_STARTUP, "%s", err);
	if (cp->cfg.ike.enabled) {
		cp->ike = ike_new(cp, 0, 0, err, sizeof(err));
		if (cp->ike == NULL)
			die(EXIT_STARTUP, "%s", err);
		for (unsigned i = 0; i < cp->cfg.n_tunnels; i++)
			ike_pool_reserve(cp->ike, cp->cfg.tunnels[i].vip);
	}
	cp->dpc = dpchan_new(cp->loop, cp->tm, cp->cfg.control.channel);
	if (cp->dpc == NULL)
		die(EXIT_STARTUP, "out of memory");
}

int
main(int argc, char **argv)
{
	static struct cp cp;
	const char *path = parse_args(argc, argv);
	int rc;

	start(&cp, path);
	log_notice(PROG " %s: %u static tunnel(s), socket %s, channel %s, "
		   "IKEv2 %s", P2SGW_VERSION, cp.cfg.n_tunnels,
		   cp.cfg.control.socket, cp.cfg.control.channel,
		   cp.ike ? "on UDP 500/4500" : "off");
	dpchan_start(cp.dpc);
	rc = loop_run(cp.loop);
	if (rc != 0)
		log_error("event loop failed: %m");
	/* The region stays as it is: the dataplane keeps forwarding and a
	 * restarted p2sgw-control adopts what is installed. Clients still
	 * waiting for an answer see their connection close. */
	ike_free(cp.ike);
	dpchan_free(cp.dpc);
	ctl_close(&cp);
	tm_free(cp.tm);
	loop_free(cp.loop);
	p2sgw_config_free(&cp.cfg);
	log_notice("stopped");
	return rc == 0 ? 0 : EXIT_STARTUP;
}
