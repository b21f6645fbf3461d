/* SPDX-License-Identifier: BSD-3-Clause
 * Counter read-out: sums the per-worker counters and writes them as JSON
 * to the configured stats file (atomically, by rename) from a control
 * thread, never from a worker: every interval, on SIGUSR1, and at exit.
 */
#ifndef P2SGW_STATS_H
#define P2SGW_STATS_H

#include <stdio.h>

int dp_stats_start(const char *path, double interval);
void dp_stats_stop(void);
void dp_stats_request(void);		/* async-signal-safe */
int dp_stats_write_json(FILE *f);
void dp_stats_print(FILE *f);		/* human table, non-zero values */

#endif
