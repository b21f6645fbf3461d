/* SPDX-License-Identifier: BSD-3-Clause
 * The control process's context: the running configuration and the
 * parts that act on it. One instance, made in main.c; unit tests and the
 * fuzz target make their own with only the parts they need (a part that
 * is NULL is reported as absent, never dereferenced).
 */
#ifndef CP_CP_H
#define CP_CP_H

#include <limits.h>
#include <stdint.h>

#include "config.h"

struct loop;
struct tunmgr;
struct dpchan;
struct ctl;
struct ike;

struct cp {
	struct p2sgw_config cfg;	/* running; static tunnel keys wiped */
	uint64_t start_ns;		/* CLOCK_MONOTONIC */
	struct loop *loop;
	struct tunmgr *tm;
	struct dpchan *dpc;
	struct ctl *ctl;
	struct ike *ike;			/* NULL: IKEv2 responder off */
};

/* Wipe the key fields of CFG's tunnels (they live in the tunnel manager
 * until expanded). */
void cp_cfg_wipe_keys(struct p2sgw_config *cfg);

#endif /* CP_CP_H */
