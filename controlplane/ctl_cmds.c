/* SPDX-License-Identifier: BSD-3-Clause
 * Control socket requests: parsing a line, checking the request's shape,
 * dispatching to the command. The line comes from any local client with
 * access to the socket and is checked fully before anything acts on it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dpchan.h"
#include "log.h"
#include "reload.h"
#include "tunspec.h"

static const struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl_req *req);
} cmds[] = {
	{ "status", ctl_cmd_status },
	{ "stats", ctl_cmd_stats },
	{ "tunnels", ctl_cmd_tunnels },
	{ "sas", ctl_cmd_sas },
	{ "sa-add", ctl_cmd_sa_add },
	{ "sa-del", ctl_cmd_sa_del },
	{ "disconnect", ctl_cmd_disconnect },
	{ "ike", ctl_cmd_ike },
	{ "reload", ctl_cmd_reload },
	{ "config", ctl_cmd_config },
};

json_object *
ctl_error_reply(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

int
ctl_fail(struct ctl_req *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->err, sizeof(req->err), fmt, ap);
	va_end(ap);
	return CTL_ERROR;
}

json_object *
ctl_ip(uint32_t addr)
{
	char b[16];

	return json_object_new_string(tun_fmt_ip(addr, b));
}

json_object *
ctl_spi(uint32_t spi)
{
	char b[16];

	snprintf(b, sizeof(b), "0x%08x", spi);
	return json_object_new_string(b);
}

/* ---- request fields ------------------------------------------------------ */

int
ctl_keys(struct ctl_req *req, const char *const *allowed)
{
	unsigned i;

	json_object_object_foreach(req->in, key, val) {
		(void)val;
		if (strcmp(key, "cmd") == 0)
			continue;
		for (i = 0; allowed != NULL && allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed == NULL || allowed[i] == NULL)
			return ctl_fail(req, "unknown key \"%.64s\" for \"%s\"",
					key, json_object_get_string(
					json_object_object_get(req->in, "cmd")));
	}
	return 0;
}

int
ctl_get_str(struct ctl_req *req, const char *key, bool required,
	    const char **val)
{
	json_object *v;

	if (!json_object_object_get_ex(req->in, key, &v) || v == NULL) {
		if (required)
			return ctl_fail(req, "missing \"%s\"", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return ctl_fail(req, "\"%s\" must be a string", key);
	*val = json_object_get_string(v);
	if (strlen(*val) != (size_t)json_object_get_string_len(v))
		return ctl_fail(req, "\"%s\" contains a NUL character", key);
	return 0;
}

/* An integer, or a string holding one in decimal or 0x-hex (SPIs are
 * usually written in hex). */
static int
parse_u64(json_object *v, uint64_t *out)
{
	const char *s;
	char *end;
	int64_t i;

	if (json_object_is_type(v, json_type_int)) {
		i = json_object_get_int64(v);
		if (i < 0)
			return -1;
		/* json-c clamps values above INT64_MAX; they are too big for
		 * any field here anyway */
		*out = (uint64_t)i;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int
ctl_get_u32(struct ctl_req *req, const char *key, bool required,
	    uint32_t min, uint32_t max, uint32_t *val)
{
	json_object *v;
	uint64_t n;

	if (!json_object_object_get_ex(req->in, key, &v) || v == NULL) {
		if (required)
			return ctl_fail(req, "missing \"%s\"", key);
		return 0;
	}
	if (parse_u64(v, &n) != 0)
		return ctl_fail(req, "\"%s\" must be an integer (or a string "
				"with one, e.g. \"0x1001\")", key);
	if (n < min || n > max)
		return ctl_fail(req, "\"%s\" = %llu is outside %u..%u", key,
				(unsigned long long)n, min, max);
	*val = (uint32_t)n;
	return 0;
}

int
ctl_get_bool(struct ctl_req *req, const char *key, bool *val)
{
	json_object *v;

	if (!json_object_object_get_ex(req->in, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return ctl_fail(req, "\"%s\" must be true or false", key);
	*val = json_object_get_boolean(v);
	return 0;
}

/* ---- parsing and dispatch -------------------------------------------------- */

static json_object *
parse(const char *line, size_t len, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *o;
	enum json_tokener_error jerr;
	size_t used = 0;

	if (memchr(line, '\0', len) != NULL) {
		snprintf(err, errlen, "not JSON: a NUL byte in the request");
		return NULL;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/* a bare number only ends at the end of its input */
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr == json_tokener_success)
			used = len;
	}
	if (used != len)
		used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		snprintf(err, errlen, "not JSON: the request ends early");
		json_object_put(o);
		return NULL;
	}
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "not JSON: %s at offset %zu",
			 json_tokener_error_desc(jerr), used);
		return NULL;
	}
	for (; used < len; used++) {
		if (line[used] != ' ' && line[used] != '\t' && line[used] != '\r') {
			snprintf(err, errlen, "not JSON: more after the object "
				 "at offset %zu", used);
			json_object_put(o);
			return NULL;
		}
	}
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the request must be a JSON object");
		json_object_put(o);
		return NULL;
	}
	return o;
}

static const struct ctl_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

char *
ctl_text(json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o,
			 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

static json_object *
dispatch(struct ctl_req *req, const char *line, size_t len)
{
	const struct ctl_cmd *cmd;
	json_object *v;
	const char *name;
	int rc;

	req->in = parse(line, len, req->err, sizeof(req->err));
	if (req->in == NULL)
		return ctl_error_reply("%s", req->err);
	if (!json_object_object_get_ex(req->in, "cmd", &v) || v == NULL)
		return ctl_error_reply("missing \"cmd\"");
	if (!json_object_is_type(v, json_type_string))
		return ctl_error_reply("\"cmd\" must be a string");
	name = json_object_get_string(v);
	cmd = find_cmd(name);
	if (cmd == NULL)
		return ctl_error_reply("unknown command \"%.64s\" (status, "
			"stats, tunnels, sas, ike, sa-add, sa-del, disconnect, "
			"reload, config)", name);
	req->out = json_object_new_object();
	json_object_object_add(req->out, "ok", json_object_new_boolean(1));
	rc = cmd->fn(req);
	if (rc == CTL_DEFER)
		return NULL;
	if (rc == CTL_ERROR || (req->text == NULL && req->out == NULL)) {
		free(req->text);
		req->text = NULL;
		return ctl_error_reply("%s", rc == CTL_ERROR ? req->err :
				       "out of memory");
	}
	if (req->text != NULL)
		return NULL;
	v = req->out;
	req->out = NULL;
	return v;
}

char *
ctl_handle_line(struct cp *cp, const char *line, size_t len, uint64_t token)
{
	struct ctl_req req = { .cp = cp, .token = token };
	json_object *reply = dispatch(&req, line, len);

	json_object_put(req.in);
	json_object_put(req.out);
	if (reply != NULL)
		return ctl_text(reply);
	return req.text;		/* NULL: deferred */
}

/* ---- reload ----------------------------------------------------------------- */

int
ctl_cmd_reload(struct ctl_req *req)
{
	if (ctl_keys(req, NULL) != 0)
		return CTL_ERROR;
	if (cp_reload(req->cp, req->out, req->err, sizeof(req->err)) != 0)
		return CTL_ERROR;
	dpchan_kick(req->cp->dpc);
	return CTL_REPLY;
}
