/* SPDX-License-Identifier: BSD-3-Clause
 * The control socket's request handling: a table of malformed requests
 * with the error each must get (not JSON, not an object, missing or
 * mistyped "cmd", unknown commands and keys, every sa-add field wrong in
 * turn), requests that work without a dataplane, the line reader against
 * long and split lines, and the socket itself: a 10 MB line, a client
 * that never writes, the client limit, pipelined requests.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cp.h"
#include "cptest.h"
#include "ctl.h"
#include "linebuf.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "tunnels.h"

static struct cp cp;

#define SA_ADD(extra) "{\"cmd\":\"sa-add\",\"name\":\"rt\",\"vip\":\"10.200.0.9\"," \
	"\"peer\":\"172.16.10.9\",\"spi_in\":\"0x3001\",\"spi_out\":12290," \
	"\"key_in\":\"" CPTEST_K36 "\",\"key_out\":\"" CPTEST_K36B "\"" extra "}"

static const struct {
	const char *line;
	const char *error;		/* NULL: must succeed */
} cases[] = {
	{ "hello", "not JSON" },
	{ "{\"cmd\":", "not JSON" },
	{ "{\"cmd\":\"status\"", "not JSON" },
	{ "{\"cmd\":\"status\"} trailing", "not JSON" },
	{ "{\"cmd\":\"status\"}{}", "not JSON" },
	{ "{'cmd':'status'}", "not JSON" },
	{ "[1,2]", "must be a JSON object" },
	{ "123", "must be a JSON object" },
	{ "\"status\"", "must be a JSON object" },
	{ "null", "must be a JSON object" },
	{ "{}", "missing \"cmd\"" },
	{ "{\"cmd\":null}", "missing \"cmd\"" },
	{ "{\"cmd\":5}", "\"cmd\" must be a string" },
	{ "{\"cmd\":[\"status\"]}", "\"cmd\" must be a string" },
	{ "{\"cmd\":\"launch\"}", "unknown command \"launch\"" },
	{ "{\"cmd\":\"\"}", "unknown command \"\"" },
	{ "{\"cmd\":\"status\",\"verbose\":true}", "unknown key \"verbose\"" },
	{ "{\"cmd\":\"status\"}", NULL },
	{ " {\"cmd\":\"status\"} ", NULL },
	{ "{\"cmd\":\"tunnels\"}", NULL },
	{ "{\"cmd\":\"tunnels\",\"name\":7}", "\"name\" must be a string" },
	{ "{\"cmd\":\"sas\"}", NULL },
	{ "{\"cmd\":\"config\"}", NULL },
	{ "{\"cmd\":\"stats\"}", "no dataplane is attached" },
	{ "{\"cmd\":\"sa-del\"}", "missing \"name\"" },
	{ "{\"cmd\":\"sa-del\",\"name\":\"nope\"}", "no tunnel named 'nope'" },
	{ "{\"cmd\":\"disconnect\",\"name\":[]}", "\"name\" must be a string" },
	{ "{\"cmd\":\"sa-add\"}", "missing \"name\"" },
	{ "{\"cmd\":\"sa-add\",\"name\":5}", "\"name\" must be a string" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"a b\"}", "name must be" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0\"}",
	  "vip '10.200.0' is not an IPv4 address" },
	{ SA_ADD(",\"color\":1"), "unknown key \"color\"" },
	{ SA_ADD(",\"suite\":\"des\""), "suite 'des' is not one of" },
	{ SA_ADD(",\"suite\":1"), "\"suite\" must be a string" },
	{ SA_ADD(",\"esn\":1"), "\"esn\" must be true or false" },
	{ SA_ADD(",\"replay_window\":5000"), "\"replay_window\" = 5000 is outside" },
	{ SA_ADD(",\"replay_window\":-1"), "\"replay_window\" must be an integer" },
	{ SA_ADD(",\"replay_window\":1.5"), "\"replay_window\" must be an integer" },
	{ SA_ADD(",\"encap\":\"yes\""), "\"encap\" must be" },
	{ SA_ADD(",\"encap\":{\"sport\":0}"), "\"encap.sport\" must be a port" },
	{ SA_ADD(",\"encap\":{\"port\":1}"), "unknown key \"encap.port\"" },
	{ SA_ADD(",\"auth_key_in\":\"00\""), "\"auth_key_in\" is not used by suite" },
	{ SA_ADD(",\"suite\":\"aes256-sha256\""), "suite aes256-sha256 needs 32 bytes" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":\"zz\"}", "\"spi_in\" must be an integer" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":12,\"spi_out\":300}", "\"spi_in\" = 12 is outside" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":300,\"spi_out\":99999999999}",
	  "\"spi_out\" = 99999999999 is outside" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"00\"}",
	  "\"key_in\": suite aes256gcm16 needs 36 bytes" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"xyz\"}",
	  "character 1 is not a hex digit" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\""
	  CPTEST_K36 "\"}", "missing \"key_out\"" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.201.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"" CPTEST_K36
	  "\",\"key_out\":\"" CPTEST_K36 "\"}", "is not inside any p2s.address_pool" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.255\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"" CPTEST_K36
	  "\",\"key_out\":\"" CPTEST_K36 "\"}", "broadcast address of pool" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"10.200.0.7\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"" CPTEST_K36
	  "\",\"key_out\":\"" CPTEST_K36 "\"}", "is inside the client pool" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"10.10.0.7\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"" CPTEST_K36
	  "\",\"key_out\":\"" CPTEST_K36 "\"}", "inside the subnet of vnet port" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"224.0.0.1\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"" CPTEST_K36
	  "\",\"key_out\":\"" CPTEST_K36 "\"}", "is not a unicast address" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"static-1\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"" CPTEST_K36
	  "\",\"key_out\":\"" CPTEST_K36 "\"}", "a tunnel named 'static-1' exists" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.2\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":300,\"spi_out\":301,\"key_in\":\"" CPTEST_K36
	  "\",\"key_out\":\"" CPTEST_K36 "\"}", "vip 10.200.0.2 is used by tunnel 'static-1'" },
	{ "{\"cmd\":\"sa-add\",\"name\":\"x\",\"vip\":\"10.200.0.9\",\"peer\":"
	  "\"172.16.10.9\",\"spi_in\":4097,\"spi_out\":301,\"key_in\":\"" CPTEST_K36
	  "\",\"key_out\":\"" CPTEST_K36 "\"}", "spi_in 0x00001001 is used by tunnel 'static-1'" },
	{ SA_ADD(""), NULL },
	{ SA_ADD(""), "a tunnel named 'rt' exists" },
	{ "{\"cmd\":\"sa-del\",\"name\":\"rt\"}", NULL },
	{ "{\"cmd\":\"disconnect\",\"name\":\"rt\"}", "no tunnel named 'rt'" },
	{ SA_ADD(",\"replay_window\":4096"),
	  "replay_window 4096 is larger than control.max_replay_window 1024" },
	{ SA_ADD(",\"suite\":\"AES256GCM16\",\"esn\":true,\"encap\":true,"
		 "\"replay_window\":\"512\""), NULL },
	{ "{\"cmd\":\"disconnect\",\"name\":\"static-1\"}", NULL },
	{ "{\"cmd\":\"reload\",\"now\":1}", "unknown key \"now\"" },
	{ "{\"cmd\":\"reload\"}", NULL },
};

/* The reply to LINE as text (NULL when deferred); *OK and ERR from it. */
static char *
handle_ex(const char *line, size_t len, bool *ok, char *err, size_t errlen)
{
	char *s = ctl_handle_line(&cp, line, len, 1);
	json_object *r, *v;

	*ok = false;
	err[0] = '\0';
	if (s == NULL)
		return NULL;
	/* every reply is one valid JSON object */
	r = json_tokener_parse(s);
	CHECK(r != NULL && json_object_is_type(r, json_type_object),
	      "reply is not a JSON object: %.200s", s);
	if (r == NULL)
		return s;
	if (json_object_object_get_ex(r, "ok", &v))
		*ok = json_object_get_boolean(v);
	if (json_object_object_get_ex(r, "error", &v))
		snprintf(err, errlen, "%s", json_object_get_string(v));
	json_object_put(r);
	return s;
}

static char *
handle(const char *line, size_t len)
{
	char err[600];
	bool ok;

	return handle_ex(line, len, &ok, err, sizeof(err));
}

static void
test_table(void)
{
	char err[600];
	size_t i;
	bool ok;
	char *r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = handle_ex(cases[i].line, strlen(cases[i].line), &ok, err,
			      sizeof(err));
		CHECK(r != NULL, "case %zu deferred", i);
		if (r == NULL)
			continue;
		if (cases[i].error == NULL)
			CHECK(ok, "case %zu: %s -> %s", i, cases[i].line, r);
		else
			CHECK(!ok && strstr(err, cases[i].error) != NULL,
			      "case %zu: %s -> %s (want %s)", i, cases[i].line, r,
			      cases[i].error);
		free(r);
	}
}

static void
test_odd_input(void)
{
	static const char nul[] = "{\"cmd\":\"status\"}\0x";
	size_t i, n = 100000;
	char *deep = malloc(n + 1), *r;

	r = handle(nul, sizeof(nul) - 1);
	CHECK(r != NULL && strstr(r, "NUL byte") != NULL, "NUL: %s", r);
	free(r);
	for (i = 0; i < n; i++)
		deep[i] = '[';
	deep[n] = '\0';
	r = handle(deep, n);
	CHECK(r != NULL && strstr(r, "not JSON") != NULL, "deep nesting: %.100s", r);
	free(r);
	r = handle("", 0);
	CHECK(r != NULL && strstr(r, "not JSON") != NULL, "empty: %s", r);
	free(r);
	free(deep);
	/* the running config never shows keys */
	r = handle("{\"cmd\":\"config\"}", 16);
	CHECK(r != NULL && strstr(r, "(hidden)") != NULL &&
	      strstr(r, "4a1c6b2f") == NULL, "config shows keys: %.200s", r);
	free(r);
}

/* ---- the line reader ---------------------------------------------------------- */

static enum linebuf_status
feed(struct linebuf *lb, const char *data, size_t len, char *got, size_t *n_got)
{
	enum linebuf_status st;
	size_t room, n;
	char *dst, *line;

	while (len > 0) {
		room = linebuf_room(lb, &dst);
		if (room == 0)
			return LB_TOO_LONG;
		n = len < room ? len : room;
		memcpy(dst, data, n);
		linebuf_commit(lb, n);
		data += n;
		len -= n;
		while ((st = linebuf_take(lb, &line, &n)) == LB_LINE) {
			memcpy(got + *n_got, line, n);
			*n_got += n;
			got[(*n_got)++] = '|';
		}
		if (st == LB_TOO_LONG)
			return st;
	}
	return LB_NONE;
}

static void
test_linebuf(void)
{
	static char chunk[4096], got[256 * 1024];
	struct linebuf lb;
	size_t n_got = 0, fed = 0;
	enum linebuf_status st = LB_NONE;
	char *big;

	CHECK(linebuf_init(&lb, CTL_MAX_LINE) == 0, "init");
	st = feed(&lb, "ab", 2, got, &n_got);
	st = feed(&lb, "c\r\nd\n\nef", 8, got, &n_got);
	CHECK(st == LB_NONE && n_got == 7 && memcmp(got, "abc|d||", 7) == 0,
	      "split lines: %.*s", (int)n_got, got);
	CHECK(linebuf_pending(&lb) == 2, "pending %zu", linebuf_pending(&lb));
	linebuf_fini(&lb);

	/* exactly CTL_MAX_LINE bytes is accepted, one more is not */
	big = malloc(CTL_MAX_LINE + 2);
	memset(big, 'x', CTL_MAX_LINE);
	big[CTL_MAX_LINE] = '\n';
	linebuf_init(&lb, CTL_MAX_LINE);
	n_got = 0;
	st = feed(&lb, big, CTL_MAX_LINE + 1, got, &n_got);
	CHECK(st == LB_NONE && n_got == CTL_MAX_LINE + 1, "max line: %d %zu",
	      st, n_got);
	linebuf_fini(&lb);
	memset(big, 'x', CTL_MAX_LINE + 1);
	big[CTL_MAX_LINE + 1] = '\n';
	linebuf_init(&lb, CTL_MAX_LINE);
	n_got = 0;
	st = feed(&lb, big, CTL_MAX_LINE + 2, got, &n_got);
	CHECK(st == LB_TOO_LONG && n_got == 0, "max + 1: %d", st);
	linebuf_fini(&lb);
	free(big);

	/* 10 MB without a newline: refused after 64 KiB, never buffered */
	memset(chunk, '{', sizeof(chunk));
	linebuf_init(&lb, CTL_MAX_LINE);
	n_got = 0;
	while (fed < 10 << 20 && (st = feed(&lb, chunk, sizeof(chunk), got,
					      &n_got)) == LB_NONE)
		fed += sizeof(chunk);
	CHECK(st == LB_TOO_LONG && fed <= CTL_MAX_LINE + sizeof(chunk),
	      "10 MB line: status %d after %zu bytes", st, fed);
	CHECK(linebuf_pending(&lb) <= CTL_MAX_LINE + 1, "buffered %zu",
	      linebuf_pending(&lb));
	linebuf_fini(&lb);
}

/* ---- the socket ------------------------------------------------------------------- */

static char sock_path[108];

static int
connect_client(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memcpy(a.sun_path, sock_path, strlen(sock_path) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Run the loop until FD has a full line (or closes); the line in BUF. */
static ssize_t
reply(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int i;

	for (i = 0; i < 500; i++) {
		loop_run_once(cp.loop, 10);
		n = recv(fd, buf + got, len - got - 1, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		if (got > 0 && buf[got - 1] == '\n')
			break;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

struct writer {
	int fd;
	size_t sent;
};

static void *
write_10mb(void *arg)
{
	struct writer *w = arg;
	static char chunk[65536];
	ssize_t n;

	memset(chunk, 'a', sizeof(chunk));
	while (w->sent < 10 << 20) {
		n = send(w->fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
		if (n <= 0)
			break;
		w->sent += (size_t)n;
	}
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

static void
test_socket(void)
{
	char err[256], buf[4096];
	int silent, fd, many[CTL_MAX_CLIENTS + 1], i, n_ok = 0;
	struct writer w;
	pthread_t th;

	cp.loop = loop_new();
	snprintf(sock_path, sizeof(sock_path), "/tmp/p2sgw-cptest-%d/sub/ctl.sock",
		 (int)getpid());
	CHECK(ctl_open(&cp, sock_path, err, sizeof(err)) == 0, "open: %s", err);
	CHECK(ctl_open(&cp, sock_path, err, sizeof(err)) == -1 &&
	      strstr(err, "another p2sgw-control") != NULL, "second: %s", err);

	/* a client that never writes does not block another one */
	silent = connect_client();
	fd = connect_client();
	CHECK(send(fd, "{\"cmd\":\"status\"}\n{\"cmd\":\"x\"}\n", 29, 0) == 29, "send");
	reply(fd, buf, sizeof(buf));
	CHECK(strncmp(buf, "{\"ok\":true,\"version\"", 20) == 0, "status: %s", buf);
	if (strchr(buf, '\n') != NULL && strchr(buf, '\n')[1] == '\0')
		reply(fd, buf, sizeof(buf));
	CHECK(strstr(buf, "unknown command \\\"x\\\"") != NULL, "pipelined: %s",
	      buf);
	close(fd);

	/* a 10 MB line: answered, the client closed */
	w.fd = connect_client();
	w.sent = 0;
	pthread_create(&th, NULL, write_10mb, &w);
	reply(w.fd, buf, sizeof(buf));
	CHECK(strcmp(buf, "{\"ok\":false,\"error\":\"request too long\"}\n") == 0,
	      "10 MB: %s", buf);
	for (i = 0; i < 50; i++)
		loop_run_once(cp.loop, 10);
	pthread_join(th, NULL);
	CHECK(w.sent < 10 << 20, "the server read all 10 MB (%zu)", w.sent);
	{
		ssize_t n = recv(w.fd, buf, sizeof(buf), MSG_DONTWAIT);

		/* closed; with unread bytes left the peer sees a reset */
		CHECK(n == 0 || (n < 0 && errno == ECONNRESET), "not closed: %zd %s",
		      n, strerror(errno));
	}
	close(w.fd);

	/* the client limit: the silent one plus 63 fit, the next is refused */
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		many[i] = connect_client();
	for (i = 0; i < 20; i++)
		loop_run_once(cp.loop, 5);
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		ssize_t n = recv(many[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);

		if (n > 0 && strstr(buf, "too many clients") != NULL)
			continue;
		n_ok++;
	}
	CHECK(n_ok == CTL_MAX_CLIENTS - 1, "%d clients kept", n_ok);
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		close(many[i]);
	close(silent);
	ctl_close(&cp);
	CHECK(access(sock_path, F_OK) != 0, "socket file left behind");
	*strrchr(sock_path, '/') = '\0';
	rmdir(sock_path);
	*strrchr(sock_path, '/') = '\0';
	rmdir(sock_path);
	loop_free(cp.loop);
	cp.loop = NULL;
}

int
main(void)
{
	char path[128], err[512];
	struct tm_net net = { .local = 0xac100a01, .uplink = { 0xac100a00, 24 } };

	cptest_config(path, sizeof(path), NULL);
	CHECK(p2sgw_config_load(path, &cp.cfg, err, sizeof(err)) == 0, "%s", err);
	cp_log_setup(CP_LOG_ERROR, false);
	cp.tm = tm_new(&net);
	CHECK(cp_add_static(&cp, &cp.cfg, err, sizeof(err)) == 0, "%s", err);
	cp_cfg_wipe_keys(&cp.cfg);
	test_table();
	test_odd_input();
	test_linebuf();
	test_socket();
	tm_free(cp.tm);
	p2sgw_config_free(&cp.cfg);
	unlink(path);
	return cptest_done("ctl");
}
