/* SPDX-License-Identifier: BSD-3-Clause
 * Building the dataplane's state from a validated config, after EAL init:
 * mbuf pool, ports, exception path, neighbour tables, workers, tunnels.
 */
#ifndef P2SGW_INIT_H
#define P2SGW_INIT_H

#include <stddef.h>

#include "config.h"

int dp_init(const struct p2sgw_config *cfg, char *err, size_t errlen);
void dp_fini(const struct p2sgw_config *cfg);

#endif
