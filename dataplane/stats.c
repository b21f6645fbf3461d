/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_thread.h>

#include "dp.h"
#include "stats.h"

static struct {
	char path[PATH_MAX];
	double interval;
	pthread_t thread;
	bool running;
	volatile int requested;
	volatile bool stop;
} st;

static void
sum(struct p2sgw_counters *t)
{
	unsigned i, k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < dp.n_workers; i++) {
		const struct p2sgw_counters *c = dp.workers[i]->cnt;

		for (k = 0; k < P2SGW_C_COUNT; k++)
			t->c[k] += __atomic_load_n(&c->c[k], __ATOMIC_RELAXED);
		for (k = 0; k < P2SGW_D_COUNT; k++)
			t->d[k] += __atomic_load_n(&c->d[k], __ATOMIC_RELAXED);
	}
}

static void
json_block(FILE *f, const struct p2sgw_counters *c)
{
	unsigned k;

	fputs("\"counters\":{", f);
	for (k = 0; k < P2SGW_C_COUNT; k++)
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "",
			p2sgw_counter_names[k], c->c[k]);
	fputs("},\"drops\":{", f);
	for (k = 0; k < P2SGW_D_COUNT; k++)
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "",
			p2sgw_drop_names[k], c->d[k]);
	fputc('}', f);
}

int
dp_stats_write_json(FILE *f)
{
	struct p2sgw_counters t, one;
	unsigned i;

	sum(&t);
	fprintf(f, "{\"version\":\"%s\",\"uptime_s\":%.3f,\"workers\":%u,",
		P2SGW_VERSION,
		(double)(rte_rdtsc() - dp.start_tsc) / (double)dp.tsc_hz,
		dp.n_workers);
	fprintf(f, "\"memory\":{\"channel_bytes\":%zu,\"table_bytes\":%" PRIu64
		",\"max_tunnels\":%u},", dp.chan.size, dp.table_bytes,
		dp.chan.hdr->max_tunnels);
	json_block(f, &t);
	fputs(",\"per_worker\":[", f);
	for (i = 0; i < dp.n_workers; i++) {
		memcpy(&one, dp.workers[i]->cnt, sizeof(one));
		fprintf(f, "%s{\"lcore\":%u,", i ? "," : "",
			dp.workers[i]->lcore);
		json_block(f, &one);
		fputc('}', f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -1 : 0;
}

void
dp_stats_print(FILE *f)
{
	struct p2sgw_counters t;
	unsigned k;

	sum(&t);
	for (k = 0; k < P2SGW_C_COUNT; k++)
		if (t.c[k])
			fprintf(f, "  %-20s %14" PRIu64 "  %s\n",
				p2sgw_counter_names[k], t.c[k],
				p2sgw_counter_descs[k]);
	for (k = 0; k < P2SGW_D_COUNT; k++)
		if (t.d[k])
			fprintf(f, "  drop %-15s %14" PRIu64 "  %s\n",
				p2sgw_drop_names[k], t.d[k],
				p2sgw_drop_descs[k]);
}

static int
write_file(void)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", st.path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	rc = dp_stats_write_json(f);
	if (fclose(f) != 0 || rc != 0) {
		unlink(tmp);
		return -EIO;
	}
	return rename(tmp, st.path) == 0 ? 0 : -errno;
}

/* Also the workers' clock: they read CLOCK_MONOTONIC from the channel
 * header (and the control plane sees it move: the heartbeat). */
static void *
stats_thread(void *arg)
{
	const struct timespec tick = { 0, 1000 * 1000 };
	double since = 0;
	(void)arg;

	while (!st.stop) {
		nanosleep(&tick, NULL);
		__atomic_store_n(&dp.chan.hdr->now_ns, p2sgw_now_ns(),
				 __ATOMIC_RELAXED);
		since += 0.001;
		if (st.path[0] == '\0')
			continue;
		if (since >= st.interval || st.requested) {
			st.requested = 0;
			since = 0;
			write_file();
		}
	}
	return NULL;
}

int
dp_stats_start(const char *path, double interval)
{
	snprintf(st.path, sizeof(st.path), "%s", path != NULL ? path : "");
	st.interval = interval;
	if (st.path[0] != '\0' && write_file() != 0)
		return -1;
	if (rte_ctrl_thread_create(&st.thread, "p2sgw-stats", NULL,
				   stats_thread, NULL) != 0)
		return -1;
	st.running = true;
	return 0;
}

void
dp_stats_request(void)
{
	st.requested = 1;
}

void
dp_stats_stop(void)
{
	if (!st.running)
		return;
	st.stop = true;
	pthread_join(st.thread, NULL);
	st.running = false;
	if (st.path[0] != '\0')
		write_file();
}
