/* SPDX-License-Identifier: BSD-3-Clause
 * Control socket: adding and removing tunnels at run time ("sa-add",
 * "sa-del", "disconnect"). A request is checked as the config loader
 * checks a tunnel, then handed to the tunnel manager; the answer waits
 * until every worker has installed (or dropped) the tunnel.
 *
 * Keys arrive as hex in the request: the hex text is wiped from the
 * parsed request as soon as it has been decoded, and the decoded bytes
 * once the tunnel manager has its copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dpchan.h"
#include "log.h"
#include "tunnels.h"

struct pending_op {
	struct cp *cp;
	char name[P2SGW_NAME_LEN];
	bool del;
};

static const char *const sa_add_keys[] = {
	"name", "vip", "peer", "suite", "spi_in", "spi_out", "key_in",
	"key_out", "auth_key_in", "auth_key_out", "encap", "esn",
	"replay_window", NULL
};

static void
wipe_str(json_object *req, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(req, key, &v) &&
	    json_object_is_type(v, json_type_string))
		explicit_bzero((char *)json_object_get_string(v),
			       (size_t)json_object_get_string_len(v));
}

static void
wipe_keys(json_object *req)
{
	wipe_str(req, "key_in");
	wipe_str(req, "key_out");
	wipe_str(req, "auth_key_in");
	wipe_str(req, "auth_key_out");
}

static int
get_ip(struct ctl_req *req, const char *key, uint32_t *addr)
{
	const char *s = NULL;

	if (ctl_get_str(req, key, true, &s) != 0)
		return -1;
	if (p2sgw_parse_ipv4(s, addr) != 0)
		return ctl_fail(req, "%s '%.40s' is not an IPv4 address", key, s);
	return 0;
}

/* KEY of WANT bytes (0: the suite has none). */
static int
get_key(struct ctl_req *req, const char *key, enum p2sgw_suite suite,
	size_t want, uint8_t *out)
{
	const char *s = NULL, *d;
	json_object *v;
	size_t n;

	if (!json_object_object_get_ex(req->in, key, &v) || v == NULL) {
		if (want == 0)
			return 0;
		return ctl_fail(req, "missing \"%s\": suite %s needs %zu bytes "
				"(%zu hex digits)", key, p2sgw_suite_name(suite),
				want, 2 * want);
	}
	if (want == 0)
		return ctl_fail(req, "\"%s\" is not used by suite %s (AES-GCM "
				"authenticates with key_in/key_out)", key,
				p2sgw_suite_name(suite));
	if (ctl_get_str(req, key, true, &s) != 0)
		return -1;
	d = s + (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 2 : 0);
	n = strspn(d, "0123456789abcdefABCDEF");
	if (d[n] != '\0')
		return ctl_fail(req, "\"%s\": character %zu is not a hex digit",
				key, (size_t)(d - s) + n + 1);
	if (n != 2 * want)
		return ctl_fail(req, "\"%s\": suite %s needs %zu bytes (%zu hex "
				"digits%s), got %zu hex digits", key,
				p2sgw_suite_name(suite), want, 2 * want,
				suite == P2SGW_SUITE_AES256GCM16 ? ": the 32-byte "
				"key then the 4-byte salt, RFC 4106" : "", n);
	if (p2sgw_parse_hex(s, out, want) != 0)
		return ctl_fail(req, "\"%s\" is not hex", key);
	return 0;
}

static int
get_encap(struct ctl_req *req, struct tun_spec *s)
{
	json_object *e, *v;
	uint32_t port[2] = { 4500, 4500 };
	static const char *const names[2] = { "sport", "dport" };
	int i;

	if (!json_object_object_get_ex(req->in, "encap", &e) || e == NULL)
		return 0;
	if (json_object_is_type(e, json_type_boolean)) {
		s->encap = json_object_get_boolean(e);
	} else if (json_object_is_type(e, json_type_object)) {
		json_object_object_foreach(e, key, val) {
			(void)val;
			if (strcmp(key, "sport") != 0 && strcmp(key, "dport") != 0)
				return ctl_fail(req, "unknown key \"encap.%.32s\" "
						"(sport, dport)", key);
		}
		for (i = 0; i < 2; i++) {
			if (!json_object_object_get_ex(e, names[i], &v) ||
			    v == NULL)
				continue;
			if (!json_object_is_type(v, json_type_int) ||
			    json_object_get_int64(v) < 1 ||
			    json_object_get_int64(v) > 65535)
				return ctl_fail(req, "\"encap.%s\" must be a port "
						"1..65535", names[i]);
			port[i] = (uint32_t)json_object_get_int64(v);
		}
		s->encap = true;
	} else {
		return ctl_fail(req, "\"encap\" must be {\"sport\":N,"
				"\"dport\":N} or true");
	}
	s->encap_sport = s->encap ? (uint16_t)port[0] : 0;
	s->encap_dport = s->encap ? (uint16_t)port[1] : 0;
	return 0;
}

static int
get_suite(struct ctl_req *req, enum p2sgw_suite *suite)
{
	const char *v = NULL;

	*suite = P2SGW_SUITE_AES256GCM16;
	if (ctl_get_str(req, "suite", false, &v) != 0)
		return -1;
	if (v != NULL && p2sgw_parse_suite(v, suite) != 0)
		return ctl_fail(req, "suite '%.40s' is not one of aes256gcm16, "
				"aes256-sha256, aes256-sha1", v);
	return 0;
}

/* The request as a tunnel: the same checks as the config loader's. */
static int
parse_sa_add(struct ctl_req *req, struct tun_spec *s, struct tun_keys *k)
{
	const struct p2sgw_config *cfg = &req->cp->cfg;
	const char *name = NULL;

	memset(s, 0, sizeof(*s));
	memset(k, 0, sizeof(*k));
	s->replay_window = cfg->esp.replay_window;
	if (ctl_keys(req, sa_add_keys) != 0 ||
	    ctl_get_str(req, "name", true, &name) != 0)
		return -1;
	if (strlen(name) >= sizeof(s->name) || !tun_name_ok(name))
		return ctl_fail(req, "name must be 1..%d characters of "
				"[A-Za-z0-9._@:+-]", P2SGW_NAME_LEN - 1);
	memcpy(s->name, name, strlen(name) + 1);
	if (get_ip(req, "vip", &s->vip) != 0 ||
	    get_ip(req, "peer", &s->peer) != 0 ||
	    get_suite(req, &s->suite) != 0 ||
	    ctl_get_u32(req, "spi_in", true, P2SGW_SPI_MIN, UINT32_MAX,
			&s->spi_in) != 0 ||
	    ctl_get_u32(req, "spi_out", true, P2SGW_SPI_MIN, UINT32_MAX,
			&s->spi_out) != 0)
		return -1;
	k->key_len = (uint8_t)tun_key_len(s->suite);
	k->auth_len = (uint8_t)tun_auth_key_len(s->suite);
	if (get_key(req, "key_in", s->suite, k->key_len, k->key_in) != 0 ||
	    get_key(req, "key_out", s->suite, k->key_len, k->key_out) != 0 ||
	    get_key(req, "auth_key_in", s->suite, k->auth_len, k->auth_in) != 0 ||
	    get_key(req, "auth_key_out", s->suite, k->auth_len,
		    k->auth_out) != 0 ||
	    get_encap(req, s) != 0 ||
	    ctl_get_bool(req, "esn", &s->esn) != 0 ||
	    ctl_get_u32(req, "replay_window", false, P2SGW_REPLAY_WINDOW_MIN,
			P2SGW_REPLAY_WINDOW_MAX, &s->replay_window) != 0)
		return -1;
	if (tunspec_check(cfg, s, req->err, sizeof(req->err)) != 0)
		return -1;
	return 0;
}

static void
op_done(void *arg, uint64_t token, int err, const char *msg)
{
	struct pending_op *op = arg;
	json_object *r;

	if (err != 0) {
		r = ctl_error_reply("tunnel %s: %s", op->name,
				    msg != NULL ? msg : strerror(err));
	} else {
		r = json_object_new_object();
		json_object_object_add(r, "ok", json_object_new_boolean(1));
		json_object_object_add(r, "name",
				       json_object_new_string(op->name));
		json_object_object_add(r, "state", json_object_new_string(
				       op->del ? "gone" : "LIVE"));
	}
	ctl_deliver(op->cp, token, r);
	free(op);
}

static struct pending_op *
op_new(struct ctl_req *req, const char *name, bool del)
{
	struct pending_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	op->cp = req->cp;
	op->del = del;
	snprintf(op->name, sizeof(op->name), "%s", name);
	return op;
}

int
ctl_cmd_sa_add(struct ctl_req *req)
{
	struct pending_op *op;
	struct tm_waiter w;
	struct tun_spec s;
	struct tun_keys k;
	int rc;

	if (req->cp->tm == NULL)
		return ctl_fail(req, "no tunnel manager");
	rc = parse_sa_add(req, &s, &k);
	wipe_keys(req->in);
	if (rc != 0) {
		tun_keys_wipe(&k);
		return CTL_ERROR;
	}
	op = op_new(req, s.name, false);
	if (op == NULL) {
		tun_keys_wipe(&k);
		return ctl_fail(req, "out of memory");
	}
	w = (struct tm_waiter){ .fn = op_done, .arg = op, .token = req->token };
	rc = tm_add(req->cp->tm, &s, &k, TK_MANUAL, &w, req->err,
		    sizeof(req->err));
	if (rc == TM_PENDING) {
		log_info("control socket: tunnel %s added", s.name);
		dpchan_kick(req->cp->dpc);
		return CTL_DEFER;
	}
	free(op);
	if (rc < 0)
		return CTL_ERROR;
	json_object_object_add(req->out, "name", json_object_new_string(s.name));
	json_object_object_add(req->out, "state", json_object_new_string("FREE"));
	json_object_object_add(req->out, "note", json_object_new_string(
		"no dataplane is attached: it is installed when one is"));
	return CTL_REPLY;
}

/* "sa-del" and "disconnect": the same for every kind of tunnel (a static
 * one stays removed until the next reload or restart). */
int
ctl_cmd_sa_del(struct ctl_req *req)
{
	static const char *const keys[] = { "name", NULL };
	struct pending_op *op;
	struct tm_waiter w;
	const char *name = NULL;
	int rc;

	if (req->cp->tm == NULL)
		return ctl_fail(req, "no tunnel manager");
	if (ctl_keys(req, keys) != 0 ||
	    ctl_get_str(req, "name", true, &name) != 0)
		return CTL_ERROR;
	op = op_new(req, name, true);
	if (op == NULL)
		return ctl_fail(req, "out of memory");
	w = (struct tm_waiter){ .fn = op_done, .arg = op, .token = req->token };
	rc = tm_del(req->cp->tm, name, &w, req->err, sizeof(req->err));
	if (rc == TM_PENDING) {
		log_info("control socket: removing tunnel %s", op->name);
		dpchan_kick(req->cp->dpc);
		return CTL_DEFER;
	}
	free(op);
	if (rc < 0)
		return CTL_ERROR;
	log_info("control socket: tunnel %s removed", name);
	json_object_object_add(req->out, "name", json_object_new_string(name));
	json_object_object_add(req->out, "state", json_object_new_string("gone"));
	return CTL_REPLY;
}
