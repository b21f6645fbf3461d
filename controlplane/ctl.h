/* SPDX-License-Identifier: BSD-3-Clause
 * The control socket: a Unix stream socket speaking one JSON object per
 * line each way (p2sgwctl is its client). Requests of one client are
 * answered in order; a request that waits for the dataplane (sa-add,
 * sa-del) holds that client's later requests back, not anyone else's.
 *
 * Everything a client sends is untrusted: lines are limited in length,
 * clients in number, and idle clients are closed.
 */
#ifndef CP_CTL_H
#define CP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cp.h"

enum {
	CTL_MAX_LINE = 64 * 1024,	/* request bytes, without the newline */
	CTL_MAX_CLIENTS = 64,
	CTL_IDLE_MS = 60 * 1000,	/* silent client closed after this */
	CTL_DEFER_MS = 30 * 1000,	/* a waiting request answered by then */
};

/* ---- the socket (ctl.c) ---- */

/* Listen on PATH (its directory made 0755 if missing, a stale socket
 * replaced, mode 0660). -1 with ERR, also when another p2sgw-control
 * answers there. */
int ctl_open(struct cp *cp, const char *path, char *err, size_t errlen);
void ctl_close(struct cp *cp);

/* Answer the request that waits under TOKEN (REPLY is consumed). A token
 * nobody waits for any more (the client left, or was answered by the
 * timeout) is ignored. */
void ctl_deliver(struct cp *cp, uint64_t token, json_object *reply);

/* ---- requests (ctl_cmds.c) ---- */

enum ctl_rc {
	CTL_ERROR = -1,			/* req->err holds the message */
	CTL_REPLY = 0,			/* req->out is the answer */
	CTL_DEFER = 1,			/* ctl_deliver(token) answers later */
};

struct ctl_req {
	struct cp *cp;
	json_object *in;		/* the request object */
	json_object *out;		/* {"ok":true} to add to, or */
	char *text;			/* the whole reply, written with jw.h */
	uint64_t token;			/* for a deferred answer */
	char err[512];
};

/* Parse LINE (LEN bytes, no newline) and run it. Returns the reply text
 * to send now (one JSON object, no newline; the caller frees it), or NULL
 * when the request was deferred (answered later through ctl_deliver with
 * TOKEN). */
char *ctl_handle_line(struct cp *cp, const char *line, size_t len,
		      uint64_t token);

/* O as text (O is consumed). NULL when out of memory. */
char *ctl_text(json_object *o);

/* {"ok":false,"error":MSG} */
json_object *ctl_error_reply(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Helpers for the command handlers: check the request's keys and types.
 * Each returns 0, or -1 with a message in req->err. */
int ctl_keys(struct ctl_req *req, const char *const *allowed);
int ctl_get_str(struct ctl_req *req, const char *key, bool required,
		const char **val);
int ctl_get_u32(struct ctl_req *req, const char *key, bool required,
		uint32_t min, uint32_t max, uint32_t *val);
int ctl_get_bool(struct ctl_req *req, const char *key, bool *val);
int ctl_fail(struct ctl_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Handlers (ctl_show.c, ctl_sa.c, ctl_cmds.c). */
int ctl_cmd_status(struct ctl_req *req);
int ctl_cmd_stats(struct ctl_req *req);
int ctl_cmd_tunnels(struct ctl_req *req);
int ctl_cmd_sas(struct ctl_req *req);
int ctl_cmd_config(struct ctl_req *req);
int ctl_cmd_sa_add(struct ctl_req *req);
int ctl_cmd_sa_del(struct ctl_req *req);
int ctl_cmd_reload(struct ctl_req *req);
int ctl_cmd_ike(struct ctl_req *req);
int ctl_cmd_disconnect(struct ctl_req *req);

/* JSON helpers */
json_object *ctl_ip(uint32_t addr);
json_object *ctl_spi(uint32_t spi);		/* "0x00001001" */

#endif /* CP_CTL_H */
