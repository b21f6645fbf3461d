/* SPDX-License-Identifier: BSD-3-Clause
 * How fast the control plane installs tunnels into every worker of a
 * running dataplane, through the real channel: N tunnels (two SAs each,
 * keys expanded by the control plane) are added with the tunnel manager
 * p2sgw-control uses, and timed until every worker acked every one
 * (LIVE); then all are removed and timed until every slot is wiped.
 *
 * usage: install_bench CHANNEL N [JSON]
 * The dataplane must be running with control.channel = CHANNEL and
 * control.max_tunnels >= N (bench/install_run does it all).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpchan.h"
#include "log.h"
#include "tunnels.h"

static void
spec_of(uint32_t i, struct tun_spec *s, struct tun_keys *k)
{
	unsigned b;

	memset(s, 0, sizeof(*s));
	memset(k, 0, sizeof(*k));
	snprintf(s->name, sizeof(s->name), "t%u", i);
	s->vip = 0x0a000000u + i + 1;			/* 10.0.0.0/8 */
	s->peer = 0xac100a00u + 2 + (i % 250);		/* on the uplink */
	s->suite = P2SGW_SUITE_AES256GCM16;
	s->spi_in = 0x10000000u + i;
	s->spi_out = 0x20000000u + i;
	s->encap = true;
	s->encap_sport = (uint16_t)(1024 + i % 60000);
	s->encap_dport = 4500;
	s->replay_window = 1024;
	k->key_len = 36;
	for (b = 0; b < 36; b++) {
		k->key_in[b] = (uint8_t)(i * 7 + b);
		k->key_out[b] = (uint8_t)(i * 13 + b);
	}
}

static size_t
count_state(const struct tunmgr *tm, enum p2sgw_slot_state st)
{
	const struct tunnel *t;
	size_t n = 0;

	for (t = tm->head; t != NULL; t = t->next)
		n += t->state == st;
	return n;
}

static double
run_until_idle(struct tunmgr *tm)
{
	uint64_t t0 = p2sgw_now_ns();

	do
		tm_poll(tm);
	while (tm_busy(tm));
	return (double)(p2sgw_now_ns() - t0) / 1e9;
}

int
main(int argc, char **argv)
{
	struct tm_net net = { .local = 0xac100a01u, .uplink = { 0xac100a00u, 24 } };
	struct p2sgw_chan ch;
	struct tunmgr *tm;
	IMB_MGR *mgr;
	const char *why = NULL;
	char err[256];
	uint32_t n, i;
	double t_add, t_live, t_del;
	uint64_t t0;
	size_t live;
	FILE *js;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CHANNEL N [JSON]\n", argv[0]);
		return 2;
	}
	n = (uint32_t)strtoul(argv[2], NULL, 10);
	cp_log_setup(CP_LOG_WARNING, false);
	if (p2sgw_chan_attach(&ch, argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "install_bench: %s\n", err);
		return 1;
	}
	mgr = dpchan_mgr_for_arch(ch.hdr->crypto_arch, &why);
	tm = tm_new(&net);
	if (mgr == NULL || tm == NULL || tm_attach(tm, &ch, mgr, err, sizeof(err)) != 0) {
		fprintf(stderr, "install_bench: %s\n", why ? why : err);
		return 1;
	}
	t0 = p2sgw_now_ns();
	for (i = 0; i < n; i++) {
		struct tun_spec s;
		struct tun_keys k;

		spec_of(i, &s, &k);
		if (tm_add(tm, &s, &k, 1, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "install_bench: tunnel %u: %s\n", i, err);
			return 1;
		}
	}
	t_add = (double)(p2sgw_now_ns() - t0) / 1e9;
	t_live = run_until_idle(tm) + t_add;
	live = count_state(tm, P2SGW_SLOT_LIVE);
	t0 = p2sgw_now_ns();
	for (i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%u", i);
		tm_del(tm, name, NULL, err, sizeof(err));
	}
	t_del = run_until_idle(tm) + (double)(p2sgw_now_ns() - t0) / 1e9;

	printf("%8u tunnels into %u worker(s): live in %.3f s (%.0f SAs/s), "
	       "%zu live, %zu failed; removed in %.3f s\n", n, ch.hdr->n_workers,
	       t_live, 2.0 * n / t_live, live, (size_t)n - live, t_del);
	js = argc > 3 ? fopen(argv[3], "a") : NULL;
	if (js != NULL) {
		fprintf(js, "{\"tunnels\":%u,\"workers\":%u,\"install_s\":%.4f,"
			"\"sas_per_s\":%.0f,\"live\":%zu,\"remove_s\":%.4f,"
			"\"channel_bytes\":%zu,\"max_tunnels\":%u}\n", n,
			ch.hdr->n_workers, t_live, 2.0 * n / t_live, live, t_del,
			ch.size, ch.hdr->max_tunnels);
		fclose(js);
	}
	tm_drop_region(tm);
	tm_free(tm);
	free_mb_mgr(mgr);
	p2sgw_chan_close(&ch, false);
	return live == n ? 0 : 1;
}
