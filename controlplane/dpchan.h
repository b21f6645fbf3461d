/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's side of the channel region's life: attach when the
 * dataplane has made it ready (retry every 100 ms until then, logging
 * once), notice when the dataplane is replaced (the file's inode or the
 * header's generation changes, or its pid is gone) and move the tunnel
 * manager to the new region, and watch the dataplane's clock in the
 * header (its heartbeat). It also owns the IPsec-MB manager that expands
 * keys: it must run the region's crypto_arch, because expanded GCM keys
 * differ between IPsec-MB's code paths.
 */
#ifndef CP_DPCHAN_H
#define CP_DPCHAN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "channel.h"
#include "log.h"
#include "loop.h"
#include "tunnels.h"

enum {
	DPCHAN_RETRY_MS = 100,
	DPCHAN_WATCH_MS = 1000,		/* re-stat the path (every 100 ms
					 * while the dataplane is stalled) */
	DPCHAN_HEARTBEAT_MS = 1000,	/* clock stopped this long: stalled */
	DPCHAN_TICK_BUSY_US = 200,	/* event polling while work is pending: an
					 * IKE_AUTH answer waits for the acks */
	DPCHAN_TICK_IDLE_US = 20000,
};

struct dpchan {
	struct loop *loop;
	struct tunmgr *tm;
	char path[PATH_MAX];

	struct p2sgw_chan ch;
	bool attached;
	uint64_t generation;
	dev_t dev;
	ino_t ino;
	uint64_t attached_ns;
	unsigned attaches;

	IMB_MGR *mgr;
	uint32_t mgr_arch;

	uint64_t hb_value;		/* last hdr->now_ns seen */
	uint64_t hb_moved_ns;		/* when it last moved (our clock) */
	bool responding;

	struct loop_timer retry, tick, watch;
	struct log_once once;
};

struct dpchan *dpchan_new(struct loop *l, struct tunmgr *tm, const char *path);
/* Try to attach now, and keep trying. */
void dpchan_start(struct dpchan *d);
/* Poll the tunnel manager at once (an operation was just started). */
void dpchan_kick(struct dpchan *d);
/* Detach (the region is left as it is) and free. */
void dpchan_free(struct dpchan *d);

static inline const struct p2sgw_chan *
dpchan_region(const struct dpchan *d)
{
	return d != NULL && d->attached ? &d->ch : NULL;
}

/* An IPsec-MB manager running ARCH (IMB_ARCH_*), or NULL with WHY when
 * this CPU cannot run it. */
IMB_MGR *dpchan_mgr_for_arch(uint32_t arch, const char **why);
const char *dpchan_arch_name(uint32_t arch);

#endif /* CP_DPCHAN_H */
