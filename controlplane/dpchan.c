/* SPDX-License-Identifier: BSD-3-Clause
 * Attaching to the dataplane's region and following it across restarts.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dpchan.h"

#define MS (UINT64_C(1000000))

const char *
dpchan_arch_name(uint32_t arch)
{
	switch (arch) {
	case IMB_ARCH_SSE:
		return "SSE";
	case IMB_ARCH_AVX:
		return "AVX";
	case IMB_ARCH_AVX2:
		return "AVX2";
	case IMB_ARCH_AVX512:
		return "AVX512";
	case IMB_ARCH_NOAESNI:
		return "NOAESNI";
	default:
		return "unknown";
	}
}

IMB_MGR *
dpchan_mgr_for_arch(uint32_t arch, const char **why)
{
	IMB_MGR *m = alloc_mb_mgr(0);
	uint64_t need;

	if (m == NULL) {
		*why = "cannot allocate an IPsec-MB manager";
		return NULL;
	}
	switch (arch) {
	case IMB_ARCH_SSE:
		need = IMB_CPUFLAGS_SSE;
		break;
	case IMB_ARCH_AVX:
		need = IMB_CPUFLAGS_AVX;
		break;
	case IMB_ARCH_AVX2:
		need = IMB_CPUFLAGS_AVX2;
		break;
	case IMB_ARCH_AVX512:
		need = IMB_CPUFLAGS_AVX512;
		break;
	default:
		*why = "the dataplane runs an IPsec-MB code path this build "
		       "does not expand keys for";
		goto refused;
	}
	if ((m->features & need) != need) {
		*why = "this CPU cannot run the dataplane's IPsec-MB code path";
		goto refused;
	}
	if (arch == IMB_ARCH_SSE)
		init_mb_mgr_sse(m);
	else if (arch == IMB_ARCH_AVX)
		init_mb_mgr_avx(m);
	else if (arch == IMB_ARCH_AVX2)
		init_mb_mgr_avx2(m);
	else
		init_mb_mgr_avx512(m);
	if (imb_get_errno(m) != 0 || m->used_arch != arch) {
		*why = "IPsec-MB refused the dataplane's code path";
		goto refused;
	}
	return m;
refused:
	free_mb_mgr(m);
	return NULL;
}

static bool
pid_gone(uint32_t pid)
{
	return pid == 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

static void
arm_tick(struct dpchan *d)
{
	loop_timer_arm(d->loop, &d->tick, (tm_busy(d->tm) ?
		       DPCHAN_TICK_BUSY_US : DPCHAN_TICK_IDLE_US) * UINT64_C(1000));
}

/* The region's keys, when nobody uses them any more. */
static void
wipe_if_abandoned(struct dpchan *d)
{
	const struct p2sgw_chan_hdr *h = d->ch.hdr;

	if (!pid_gone(h->dataplane_pid))
		return;
	explicit_bzero(d->ch.base + h->off_sa_in, h->off_tunnels - h->off_sa_in);
	log_debug("channel: wiped the SA slots of the abandoned region");
}

static void
detach(struct dpchan *d, const char *why)
{
	if (!d->attached)
		return;
	log_notice("%s (pid %u): detaching from %s", why,
		   d->ch.hdr->dataplane_pid, d->path);
	tm_detach(d->tm, why);
	wipe_if_abandoned(d);
	p2sgw_chan_close(&d->ch, false);
	d->attached = false;
	loop_timer_stop(d->loop, &d->watch);
}

/* A region that is ours to use, in CH (closed again on refusal). */
static int
open_region(struct dpchan *d, struct p2sgw_chan *ch)
{
	char err[512];
	const char *why;

	if (p2sgw_chan_attach(ch, d->path, err, sizeof(err)) != 0) {
		log_once(&d->once, strstr(err, "ABI") != NULL ||
			 strstr(err, "layout") != NULL ? CP_LOG_ERROR :
			 CP_LOG_NOTICE, "waiting for the dataplane: %s", err);
		return -1;
	}
	if (__atomic_load_n(&ch->hdr->ready, __ATOMIC_ACQUIRE) == 0) {
		log_once(&d->once, CP_LOG_NOTICE, "waiting for the dataplane: "
			 "channel %s is not ready yet", d->path);
		goto refuse;
	}
	if (pid_gone(ch->hdr->dataplane_pid)) {
		log_once(&d->once, CP_LOG_NOTICE, "waiting for the dataplane: "
			 "channel %s was left by pid %u, which is gone",
			 d->path, ch->hdr->dataplane_pid);
		goto refuse;
	}
	if (d->mgr == NULL || d->mgr_arch != ch->hdr->crypto_arch) {
		if (d->mgr != NULL)
			free_mb_mgr(d->mgr);
		d->mgr = dpchan_mgr_for_arch(ch->hdr->crypto_arch, &why);
		if (d->mgr == NULL) {
			log_once(&d->once, CP_LOG_ERROR, "channel %s: the "
				 "dataplane runs IPsec-MB %s: %s", d->path,
				 dpchan_arch_name(ch->hdr->crypto_arch), why);
			goto refuse;
		}
		d->mgr_arch = ch->hdr->crypto_arch;
	}
	return 0;
refuse:
	p2sgw_chan_close(ch, false);
	return -1;
}

static int
try_attach(struct dpchan *d)
{
	struct p2sgw_chan ch;
	struct stat st;
	char err[256];

	if (open_region(d, &ch) != 0)
		return -1;
	if (fstat(ch.fd, &st) != 0) {
		p2sgw_chan_close(&ch, false);
		return -1;
	}
	d->ch = ch;
	d->attached = true;
	if (tm_attach(d->tm, &d->ch, d->mgr, err, sizeof(err)) != 0) {
		log_once(&d->once, CP_LOG_ERROR, "channel %s: %s", d->path, err);
		p2sgw_chan_close(&d->ch, false);
		d->attached = false;
		return -1;
	}
	log_once_clear(&d->once);
	d->generation = ch.hdr->generation;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->attached_ns = loop_now(d->loop);
	d->attaches++;
	d->hb_value = __atomic_load_n(&ch.hdr->now_ns, __ATOMIC_RELAXED);
	d->hb_moved_ns = loop_now(d->loop);
	d->responding = true;
	log_notice("attached to the dataplane: pid %u, generation %016llx, "
		   "%u worker(s), IPsec-MB %s, %u tunnel slots",
		   ch.hdr->dataplane_pid, (unsigned long long)ch.hdr->generation,
		   ch.hdr->n_workers, dpchan_arch_name(ch.hdr->crypto_arch),
		   ch.hdr->max_tunnels);
	tm_poll(d->tm);
	arm_tick(d);
	loop_timer_arm(d->loop, &d->watch, DPCHAN_WATCH_MS * MS);
	return 0;
}

static void
on_retry(struct loop *l, struct loop_timer *t)
{
	struct dpchan *d = t->arg;

	if (!d->attached && try_attach(d) != 0)
		loop_timer_arm(l, &d->retry, DPCHAN_RETRY_MS * MS);
}

static void
heartbeat(struct dpchan *d)
{
	uint64_t v = __atomic_load_n(&d->ch.hdr->now_ns, __ATOMIC_RELAXED);
	uint64_t now = loop_now(d->loop);

	if (v != d->hb_value) {
		d->hb_value = v;
		d->hb_moved_ns = now;
		if (!d->responding)
			log_notice("dataplane responding again");
		d->responding = true;
		return;
	}
	if (d->responding && now - d->hb_moved_ns > DPCHAN_HEARTBEAT_MS * MS) {
		log_warning("dataplane not responding: its clock has not moved "
			    "for %llu ms", (unsigned long long)
			    ((now - d->hb_moved_ns) / MS));
		d->responding = false;
		/* look for a replacement more often from now on */
		loop_timer_arm(d->loop, &d->watch, DPCHAN_RETRY_MS * MS);
	}
}

/* Also without a region: answers to waiters still have to go out. */
static void
on_tick(struct loop *l, struct loop_timer *t)
{
	struct dpchan *d = t->arg;
	(void)l;

	if (d->attached)
		heartbeat(d);
	tm_poll(d->tm);
	arm_tick(d);
}

/* Re-stat the path: a new file (or none) means a new dataplane. */
static void
on_watch(struct loop *l, struct loop_timer *t)
{
	struct dpchan *d = t->arg;
	struct stat st;
	const char *why = NULL;

	if (!d->attached)
		return;
	if (stat(d->path, &st) != 0)
		why = "dataplane stopped, channel removed";
	else if (st.st_dev != d->dev || st.st_ino != d->ino)
		why = "dataplane restarted, new channel file";
	else if (d->ch.hdr->generation != d->generation)
		why = "dataplane restarted, new generation";
	else if (pid_gone(d->ch.hdr->dataplane_pid))
		why = "dataplane exited";
	if (why == NULL) {
		loop_timer_arm(l, &d->watch, (d->responding ? DPCHAN_WATCH_MS :
					      DPCHAN_RETRY_MS) * MS);
		return;
	}
	detach(d, why);
	if (try_attach(d) != 0)
		loop_timer_arm(l, &d->retry, DPCHAN_RETRY_MS * MS);
}

struct dpchan *
dpchan_new(struct loop *l, struct tunmgr *tm, const char *path)
{
	struct dpchan *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->loop = l;
	d->tm = tm;
	d->ch.fd = -1;
	snprintf(d->path, sizeof(d->path), "%s", path);
	loop_timer_init(&d->retry, on_retry, d);
	loop_timer_init(&d->tick, on_tick, d);
	loop_timer_init(&d->watch, on_watch, d);
	return d;
}

void
dpchan_start(struct dpchan *d)
{
	loop_timer_arm(d->loop, &d->retry, 0);
	arm_tick(d);
}

void
dpchan_kick(struct dpchan *d)
{
	if (d != NULL)
		loop_timer_arm(d->loop, &d->tick, 0);
}

void
dpchan_free(struct dpchan *d)
{
	if (d == NULL)
		return;
	loop_timer_stop(d->loop, &d->retry);
	loop_timer_stop(d->loop, &d->tick);
	loop_timer_stop(d->loop, &d->watch);
	if (d->attached) {
		tm_drop_region(d->tm);
		p2sgw_chan_close(&d->ch, false);
		d->attached = false;
	}
	if (d->mgr != NULL)
		free_mb_mgr(d->mgr);
	free(d);
}
