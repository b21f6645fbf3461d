/* SPDX-License-Identifier: BSD-3-Clause
 * Reloading the configuration file (SIGHUP or the control socket's
 * "reload"): the file is loaded and validated into a scratch struct, and
 * only a good file changes anything. The static tunnels are brought in
 * line with it (new ones added, removed ones deleted, changed ones
 * replaced); logging and the settings only the control plane uses apply
 * at once; the others are reported as needing a restart.
 */
#ifndef CP_RELOAD_H
#define CP_RELOAD_H

#include <stddef.h>

#include <json-c/json.h>

#include "cp.h"

/* Reload CP's config file. On success fill REPORT (may be NULL) with
 * "added", "removed", "replaced", "unchanged", "restart_needed" and
 * "warnings", and return 0; -1 with "FILE:LINE: reason" in ERR when the
 * file is refused (nothing changed). */
int cp_reload(struct cp *cp, json_object *report, char *err, size_t errlen);

/* Add CFG's static tunnels to the tunnel manager (start-up). -1 with ERR
 * ("FILE:LINE: reason") when one cannot be used. */
int cp_add_static(struct cp *cp, const struct p2sgw_config *cfg, char *err,
		  size_t errlen);

/* Check what the control plane adds to the loader's checks. */
int cp_check_config(const struct p2sgw_config *cfg, char *err, size_t errlen);

#endif /* CP_RELOAD_H */
