/* SPDX-License-Identifier: BSD-3-Clause
 * p2sgwctl: the command-line client of p2sgw-control's socket, in the
 * manner of strongSwan's swanctl. It sends one JSON request line, reads
 * one JSON reply line, and prints it as aligned tables (or raw with
 * --json).
 *
 * Exit status: 0 the request succeeded; 1 an error reply or bad usage;
 * 2 the socket could not be reached.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libconfig.h>

#include "config.h"
#include "counters.h"

#define PROG "p2sgwctl"
#define DEFAULT_SOCKET "/run/p2sgw/p2sgw.sock"

enum {
	EXIT_ERROR = 1,
	EXIT_UNREACHABLE = 2,
	TIMEOUT_MS = 35 * 1000,
	MAX_REPLY = 1 << 30,
};

static struct {
	const char *socket;
	const char *config;
	bool json;
	bool all;
} opt;

static void
fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [-s SOCKET | -c CONFIG] [--json] COMMAND [ARGS]\n"
"commands:\n"
"  status                        control plane and dataplane state\n"
"  stats [--all]                 counters and drops (non-zero ones unless --all)\n"
"  tunnels [NAME]                tunnels with their traffic\n"
"  sas                           every SA in the dataplane\n"
"  sa add NAME --vip A --peer A --suite S --spi-in N --spi-out N\n"
"         --key-in HEX --key-out HEX [--auth-key-in HEX --auth-key-out HEX]\n"
"         [--encap SPORT:DPORT] [--esn] [--replay-window N]\n"
"  sa del NAME                   remove a tunnel\n"
"  ike                           IKEv2 SAs: identity, VIP, peer, suites, traffic\n"
"  disconnect WHO                an IKE SA (by id, identity, VIP or tunnel: DELETE\n"
"                                to the client), else the tunnel NAME (static\n"
"                                ones return on reload)\n"
"  reload                        load the configuration file again\n"
"  config show                   the running configuration (keys hidden)\n"
"options:\n"
"  -s, --socket PATH   control socket (default: control.socket of -c CONFIG,\n"
"                      else " DEFAULT_SOCKET ")\n"
"  -c, --config FILE   read the socket path from this configuration\n"
"  -j, --json          print the raw JSON reply\n"
"  -a, --all           stats: show counters that are zero too\n");
}

/* ---- talking to the socket -------------------------------------------------- */

/* control.socket as written in FILE, read without validating the rest
 * (so that "reload" can report what is wrong with a file the loader
 * refuses). */
static bool
socket_setting(const char *file, char *path, size_t len)
{
	const char *v = NULL;
	config_t c;
	bool found;

	config_init(&c);
	found = config_read_file(&c, file) == CONFIG_TRUE &&
		config_lookup_string(&c, "control.socket", &v) == CONFIG_TRUE &&
		v[0] == '/' && strlen(v) < len;
	if (found)
		snprintf(path, len, "%s", v);
	config_destroy(&c);
	return found;
}

static const char *
socket_path(void)
{
	static struct p2sgw_config cfg;
	static char path[PATH_MAX];
	char err[P2SGW_CFG_ERR_LEN];

	if (opt.socket != NULL)
		return opt.socket;
	if (opt.config == NULL)
		return DEFAULT_SOCKET;
	/* an explicit setting is enough (and quick for a file of 100,000
	 * tunnels); else the loader knows the default */
	if (socket_setting(opt.config, path, sizeof(path)))
		return path;
	if (p2sgw_config_load(opt.config, &cfg, err, sizeof(err)) == 0) {
		snprintf(path, sizeof(path), "%s", cfg.control.socket);
		p2sgw_config_free(&cfg);
		return path;
	}
	fail(EXIT_UNREACHABLE, "%s (cannot find the control socket in it; "
	     "use -s SOCKET)", err);
	return NULL;
}

static int
remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		fail(EXIT_UNREACHABLE, "socket path %s is too long", path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		fail(EXIT_UNREACHABLE, "cannot connect to %s: %s (is "
		     "p2sgw-control running?)", path, strerror(errno));
	return fd;
}

static void
send_all(int fd, const char *buf, size_t len, const struct timespec *dl)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		if (poll(&p, 1, remaining_ms(dl)) <= 0)
			fail(EXIT_UNREACHABLE, "timed out sending the request");
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(EXIT_UNREACHABLE, "cannot send the request: %s",
			     strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

/* One reply line. */
static char *
read_line(int fd, const struct timespec *dl)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), *nb;
	ssize_t n;

	for (;;) {
		if (buf == NULL)
			fail(EXIT_ERROR, "out of memory");
		if (len == cap) {
			if (cap >= MAX_REPLY)
				fail(EXIT_ERROR, "the reply is too large");
			nb = realloc(buf, cap *= 2);
			if (nb == NULL)
				free(buf);
			buf = nb;
			continue;
		}
		if (poll(&p, 1, remaining_ms(dl)) <= 0)
			fail(EXIT_UNREACHABLE, "no reply within %d s (is "
			     "p2sgw-control running?)", TIMEOUT_MS / 1000);
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(EXIT_UNREACHABLE, "p2sgw-control closed the "
			     "connection without a reply");
		if (memchr(buf + len, '\n', (size_t)n) != NULL) {
			len += (size_t)n;
			*(char *)memchr(buf, '\n', len) = '\0';
			return buf;
		}
		len += (size_t)n;
	}
}

static json_object *
request(json_object *req)
{
	const char *text = json_object_to_json_string_ext(req,
				JSON_C_TO_STRING_PLAIN);
	struct timespec dl;
	json_object *reply;
	char *line;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += TIMEOUT_MS / 1000;
	fd = connect_to(socket_path());
	send_all(fd, text, strlen(text), &dl);
	send_all(fd, "\n", 1, &dl);
	/* the request may hold keys */
	explicit_bzero((char *)text, strlen(text));
	line = read_line(fd, &dl);
	close(fd);
	reply = json_tokener_parse(line);
	if (reply == NULL || !json_object_is_type(reply, json_type_object))
		fail(EXIT_ERROR, "the reply is not a JSON object: %.200s", line);
	free(line);
	return reply;
}

/* ---- reading replies ---------------------------------------------------------- */

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *
str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v != NULL ? json_object_get_string(v) : "-";
}

static int64_t
num(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v != NULL ? json_object_get_int64(v) : 0;
}

static uint64_t
unum(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v != NULL ? json_object_get_uint64(v) : 0;
}

static const char *
fmt_u(char *b, size_t n, uint64_t v)
{
	snprintf(b, n, "%llu", (unsigned long long)v);
	return b;
}

static const char *
fmt_bytes(char *b, size_t n, uint64_t v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(b, n, "%llu B", (unsigned long long)v);
	else
		snprintf(b, n, "%.1f %s", d, unit[u]);
	return b;
}

static const char *
fmt_secs(char *b, size_t n, int64_t s)
{
	if (s < 60)
		snprintf(b, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(b, n, "%lldm%02llds", (long long)s / 60,
			 (long long)s % 60);
	else if (s < 86400)
		snprintf(b, n, "%lldh%02lldm", (long long)s / 3600,
			 (long long)(s % 3600) / 60);
	else
		snprintf(b, n, "%lldd%02lldh", (long long)s / 86400,
			 (long long)(s % 86400) / 3600);
	return b;
}

/* ---- aligned tables ------------------------------------------------------------ */

enum { TAB_MAX_COLS = 16, CELL_LEN = 96 };

struct table {
	unsigned ncols, nrows, cap;
	const char *head[TAB_MAX_COLS];
	bool right[TAB_MAX_COLS];
	char (*cells)[TAB_MAX_COLS][CELL_LEN];
};

static void
tab_init(struct table *t, const char *spec)
{
	char *dup = strdup(spec), *tok, *save = NULL;

	memset(t, 0, sizeof(*t));
	for (tok = strtok_r(dup, ",", &save); tok != NULL && t->ncols <
	     TAB_MAX_COLS; tok = strtok_r(NULL, ",", &save)) {
		t->right[t->ncols] = tok[0] == '>';
		t->head[t->ncols++] = strdup(tok + (tok[0] == '>'));
	}
	free(dup);
}

static void
tab_row(struct table *t, ...)
{
	va_list ap;
	unsigned i;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = realloc(t->cells, t->cap * sizeof(t->cells[0]));
		if (t->cells == NULL)
			fail(EXIT_ERROR, "out of memory");
	}
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++)
		snprintf(t->cells[t->nrows][i], CELL_LEN, "%s",
			 va_arg(ap, const char *));
	va_end(ap);
	t->nrows++;
}

static void
tab_free(struct table *t)
{
	unsigned i;

	for (i = 0; i < t->ncols; i++)
		free((char *)t->head[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static void
tab_print(struct table *t)
{
	size_t w[TAB_MAX_COLS];
	unsigned i, r;

	for (i = 0; i < t->ncols; i++) {
		w[i] = strlen(t->head[i]);
		for (r = 0; r < t->nrows; r++)
			if (strlen(t->cells[r][i]) > w[i])
				w[i] = strlen(t->cells[r][i]);
	}
	for (r = 0; r <= t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *c = r == 0 ? t->head[i] : t->cells[r - 1][i];
			bool last = i + 1 == t->ncols;

			if (t->right[i])
				printf("%*s%s", (int)w[i], c, last ? "" : "  ");
			else if (last)
				printf("%s", c);
			else
				printf("%-*s  ", (int)w[i], c);
		}
		putchar('\n');
	}
	tab_free(t);
}

/* ---- printing each reply ---------------------------------------------------- */

static void
show_status(json_object *r)
{
	json_object *dp = get(r, "dataplane"), *tn = get(r, "tunnels"), *tt;
	char b[32];
	size_t i;

	printf("p2sgw-control %s (pid %lld), up %s\n", str(r, "version"),
	       (long long)num(r, "pid"), fmt_secs(b, sizeof(b), num(r, "uptime")));
	printf("gateway:    %s, SKU %s, tunnel types", str(r, "gateway"),
	       str(r, "sku"));
	tt = get(r, "tunnel_types");
	for (i = 0; tt != NULL && i < json_object_array_length(tt); i++)
		printf("%s %s", i ? "," : "", json_object_get_string(
		       json_object_array_get_idx(tt, i)));
	putchar('\n');
	if (dp != NULL && json_object_get_boolean(get(dp, "attached")))
		printf("dataplane:  attached, pid %lld, %lld worker(s), IPsec-MB "
		       "%s, generation %s, %s\n", (long long)num(dp, "pid"),
		       (long long)num(r, "workers"), str(dp, "crypto"),
		       str(dp, "generation"),
		       json_object_get_boolean(get(dp, "responding")) ?
		       "responding" : "NOT RESPONDING");
	else
		printf("dataplane:  not attached (waiting for it)\n");
	if (dp != NULL)
		printf("channel:    %s\n", str(dp, "channel"));
	if (tn != NULL)
		printf("tunnels:    %lld configured, %lld live, %lld installing, "
		       "%lld removing, %lld waiting\n",
		       (long long)num(tn, "configured"), (long long)num(tn, "live"),
		       (long long)num(tn, "installing"),
		       (long long)num(tn, "removing"), (long long)num(tn, "waiting"));
}

static const char *
describe(const char *name, bool drop)
{
	unsigned i, n = drop ? P2SGW_D_COUNT : P2SGW_C_COUNT;

	for (i = 0; i < n; i++) {
		if (strcmp(name, drop ? p2sgw_drop_names[i] :
			   p2sgw_counter_names[i]) == 0)
			return drop ? p2sgw_drop_descs[i] : p2sgw_counter_descs[i];
	}
	return "";
}

/* One table of counters (or drops): total, per worker, description. */
static void
show_counter_table(json_object *r, const char *group, const char *title)
{
	json_object *total = get(get(r, "total"), group);
	json_object *workers = get(r, "workers");
	size_t nw = workers != NULL ? json_object_array_length(workers) : 0;
	char cells[TAB_MAX_COLS][CELL_LEN], spec[256];
	struct table t;
	unsigned shown = 0;
	size_t w;

	if (total == NULL)
		return;
	if (nw > TAB_MAX_COLS - 3 || nw == 1)
		nw = 0;		/* one worker, or too many for columns */
	snprintf(spec, sizeof(spec), "%s,>total", title);
	for (w = 0; w < nw; w++)
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec),
			 ",>w%zu", w);
	strcat(spec, ",description");
	tab_init(&t, spec);
	json_object_object_foreach(total, name, val) {
		const char *col[TAB_MAX_COLS] = { name };

		if (json_object_get_uint64(val) == 0 && !opt.all)
			continue;
		col[1] = fmt_u(cells[1], CELL_LEN, json_object_get_uint64(val));
		for (w = 0; w < nw; w++)
			col[2 + w] = fmt_u(cells[2 + w], CELL_LEN, unum(get(
				json_object_array_get_idx(workers, w), group), name));
		col[2 + nw] = describe(name, strcmp(group, "drops") == 0);
		tab_row(&t, col[0], col[1], col[2], col[3], col[4], col[5],
			col[6], col[7], col[8], col[9], col[10], col[11],
			col[12], col[13], col[14], col[15]);
		shown++;
	}
	if (shown > 0) {
		tab_print(&t);
	} else {
		printf("%ss: none%s\n", title, opt.all ? "" : " non-zero");
		tab_free(&t);
	}
}

static void
show_stats(json_object *r)
{
	show_counter_table(r, "counters", "counter");
	putchar('\n');
	show_counter_table(r, "drops", "drop");
}

static void
show_tunnels(json_object *r)
{
	json_object *list = get(r, "tunnels"), *t, *e;
	char in[64], out[64], b1[32], b2[32], idle[32], age[32], encap[24];
	struct table tab;
	size_t i;

	tab_init(&tab, "name,id,kind,state,vip,peer,suite,spi in,spi out,encap,"
		 "in (pkts/bytes),out (pkts/bytes),idle,age");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		t = json_object_array_get_idx(list, i);
		snprintf(in, sizeof(in), "%llu / %s",
			 (unsigned long long)unum(t, "packets_in"),
			 fmt_bytes(b1, sizeof(b1), unum(t, "bytes_in")));
		snprintf(out, sizeof(out), "%llu / %s",
			 (unsigned long long)unum(t, "packets_out"),
			 fmt_bytes(b2, sizeof(b2), unum(t, "bytes_out")));
		if (get(t, "idle") != NULL)
			fmt_secs(idle, sizeof(idle), num(t, "idle"));
		else
			snprintf(idle, sizeof(idle), "never used");
		if (get(t, "age") != NULL)
			fmt_secs(age, sizeof(age), num(t, "age"));
		else
			snprintf(age, sizeof(age), "-");
		e = get(t, "encap");
		if (e != NULL && json_object_is_type(e, json_type_object))
			snprintf(encap, sizeof(encap), "udp %lld:%lld",
				 (long long)num(e, "sport"), (long long)num(e, "dport"));
		else
			snprintf(encap, sizeof(encap), "no");
		tab_row(&tab, str(t, "name"), str(t, "id"), str(t, "kind"),
			get(t, "leaving") != NULL ? "DYING (leaving)" :
			str(t, "state"), str(t, "vip"), str(t, "peer"),
			str(t, "suite"), str(t, "spi_in"), str(t, "spi_out"), encap,
			in, out, idle, age);
	}
	if (tab.nrows == 0) {
		printf("no tunnels\n");
		tab_free(&tab);
		return;
	}
	tab_print(&tab);
}

static void
show_sas(json_object *r)
{
	json_object *list = get(r, "sas"), *s, *f;
	char flags[32], seq[32], pk[32], by[32], own[16];
	struct table tab;
	size_t i, j;

	tab_init(&tab, "spi,dir,tunnel,state,suite,flags,>seq/replay top,"
		 ">packets,>bytes,owner,expired");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		s = json_object_array_get_idx(list, i);
		flags[0] = '\0';
		f = get(s, "flags");
		for (j = 0; f != NULL && j < json_object_array_length(f); j++)
			snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags),
				 "%s%s", j ? "," : "", json_object_get_string(
				 json_object_array_get_idx(f, j)));
		fmt_u(seq, sizeof(seq), unum(s, strcmp(str(s, "dir"), "out") == 0 ?
					     "seq" : "replay_top"));
		if (get(s, "owner") != NULL)
			snprintf(own, sizeof(own), "w%lld", (long long)num(s, "owner"));
		else
			snprintf(own, sizeof(own), "-");
		tab_row(&tab, str(s, "spi"), str(s, "dir"), str(s, "tunnel"),
			str(s, "state"), str(s, "suite"), flags[0] ? flags : "-",
			seq, fmt_u(pk, sizeof(pk), unum(s, "packets")),
			fmt_bytes(by, sizeof(by), unum(s, "bytes")), own,
			json_object_get_boolean(get(s, "expired")) ? "HARD" :
			json_object_get_boolean(get(s, "soft_expired")) ? "soft" :
			"no");
	}
	if (tab.nrows == 0) {
		printf("no SAs in the dataplane\n");
		tab_free(&tab);
		return;
	}
	tab_print(&tab);
}

static void
show_ike(json_object *r)
{
	json_object *list = get(r, "ike_sas"), *st = get(r, "ike"), *t;
	char peer[40], in[64], out[64], b1[32], b2[32], age[32];
	struct table tab;
	size_t i;

	if (st != NULL)
		printf("IKE SAs %llu (established %llu, half-open %llu), pool %llu of %llu used\n",
		       (unsigned long long)unum(st, "ike_sas"),
		       (unsigned long long)unum(st, "established"),
		       (unsigned long long)unum(st, "half_open"),
		       (unsigned long long)unum(st, "pool_used"),
		       (unsigned long long)unum(st, "pool_size"));
	tab_init(&tab, "id,state,identity,vip,peer,nat,ike suite,esp suite,"
		 "tunnel,in (pkts/bytes),out (pkts/bytes),age");
	for (i = 0; list != NULL && i < json_object_array_length(list); i++) {
		t = json_object_array_get_idx(list, i);
		snprintf(peer, sizeof(peer), "%s:%lld", str(t, "peer"),
			 (long long)num(t, "peer_port"));
		snprintf(in, sizeof(in), "%llu / %s",
			 (unsigned long long)unum(t, "packets_in"),
			 fmt_bytes(b1, sizeof(b1), unum(t, "bytes_in")));
		snprintf(out, sizeof(out), "%llu / %s",
			 (unsigned long long)unum(t, "packets_out"),
			 fmt_bytes(b2, sizeof(b2), unum(t, "bytes_out")));
		fmt_secs(age, sizeof(age), num(t, "age_s"));
		tab_row(&tab, str(t, "id"), str(t, "state"), str(t, "identity"),
			get(t, "vip") ? str(t, "vip") : "-", peer,
			json_object_get_boolean(get(t, "nat")) ? "yes" : "no",
			str(t, "ike_suite"),
			get(t, "esp_suite") ? str(t, "esp_suite") : "-",
			get(t, "tunnel") ? str(t, "tunnel") : "-", in, out, age);
	}
	if (tab.nrows == 0) {
		printf("no IKE SAs\n");
		tab_free(&tab);
		return;
	}
	tab_print(&tab);
}

static void
print_list(const char *what, json_object *a)
{
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;

	printf("%-10s", what);
	if (n == 0)
		printf(" none");
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (json_object_is_type(v, json_type_object))
			printf("%s %s (restart %s)", i ? "," : "",
			       str(v, "setting"), str(v, "process"));
		else
			printf("%s %s", i ? "," : "", json_object_get_string(v));
	}
	putchar('\n');
}

static void
show_reload(json_object *r)
{
	size_t i;
	json_object *w = get(r, "warnings");

	printf("configuration reloaded; %lld tunnel(s) unchanged\n",
	       (long long)num(r, "unchanged"));
	print_list("added:", get(r, "added"));
	print_list("removed:", get(r, "removed"));
	print_list("replaced:", get(r, "replaced"));
	print_list("applied:", get(r, "applied"));
	print_list("restart:", get(r, "restart_needed"));
	for (i = 0; w != NULL && i < json_object_array_length(w); i++)
		printf("warning: %s\n", json_object_get_string(
		       json_object_array_get_idx(w, i)));
}

static void
show_sa_result(json_object *r)
{
	if (strcmp(str(r, "state"), "gone") == 0)
		printf("tunnel %s removed\n", str(r, "name"));
	else if (get(r, "note") != NULL)
		printf("tunnel %s added: %s\n", str(r, "name"), str(r, "note"));
	else
		printf("tunnel %s is %s\n", str(r, "name"), str(r, "state"));
}

static void
show_config(json_object *r)
{
	puts(json_object_to_json_string_ext(get(r, "config"),
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---- building requests --------------------------------------------------------- */

static json_object *
simple(const char *cmd)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

static json_object *
with_name(const char *cmd, int argc, char **argv)
{
	json_object *o;

	if (argc != 1)
		fail(EXIT_ERROR, "%s needs exactly one NAME", cmd);
	o = simple(cmd);
	json_object_object_add(o, "name", json_object_new_string(argv[0]));
	return o;
}

static json_object *
number_arg(const char *opt_name, const char *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno != 0 || *end != '\0' || v[0] == '-' || v[0] == '\0')
		fail(EXIT_ERROR, "%s '%s' is not a number", opt_name, v);
	return json_object_new_int64((int64_t)n);
}

static json_object *
encap_arg(const char *v)
{
	unsigned sport, dport;
	char extra;
	json_object *e;

	if (sscanf(v, "%u:%u%c", &sport, &dport, &extra) != 2 ||
	    sport == 0 || sport > 65535 || dport == 0 || dport > 65535)
		fail(EXIT_ERROR, "--encap '%s' is not SPORT:DPORT (1..65535)", v);
	e = json_object_new_object();
	json_object_object_add(e, "sport", json_object_new_int64(sport));
	json_object_object_add(e, "dport", json_object_new_int64(dport));
	return e;
}

/* A key from the command line; its argv copy is overwritten at once (it
 * stays visible in /proc until then: see README.md). */
static void
key_arg(json_object *o, const char *name, char *v)
{
	json_object_object_add(o, name, json_object_new_string(v));
	explicit_bzero(v, strlen(v));
}

static json_object *
sa_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vip", required_argument, NULL, 'v' },
		{ "peer", required_argument, NULL, 'p' },
		{ "suite", required_argument, NULL, 's' },
		{ "spi-in", required_argument, NULL, 'i' },
		{ "spi-out", required_argument, NULL, 'o' },
		{ "key-in", required_argument, NULL, 'k' },
		{ "key-out", required_argument, NULL, 'K' },
		{ "auth-key-in", required_argument, NULL, 'a' },
		{ "auth-key-out", required_argument, NULL, 'A' },
		{ "encap", required_argument, NULL, 'e' },
		{ "esn", no_argument, NULL, 'E' },
		{ "replay-window", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	json_object *o;
	int c, idx;

	if (argc < 1 || argv[0][0] == '-')
		fail(EXIT_ERROR, "sa add needs a NAME first");
	o = simple("sa-add");
	json_object_object_add(o, "name", json_object_new_string(argv[0]));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		const char *k = opts[idx].name;

		switch (c) {
		case 'v': json_object_object_add(o, "vip", json_object_new_string(optarg)); break;
		case 'p': json_object_object_add(o, "peer", json_object_new_string(optarg)); break;
		case 's': json_object_object_add(o, "suite", json_object_new_string(optarg)); break;
		case 'i': json_object_object_add(o, "spi_in", number_arg(k, optarg)); break;
		case 'o': json_object_object_add(o, "spi_out", number_arg(k, optarg)); break;
		case 'k': key_arg(o, "key_in", optarg); break;
		case 'K': key_arg(o, "key_out", optarg); break;
		case 'a': key_arg(o, "auth_key_in", optarg); break;
		case 'A': key_arg(o, "auth_key_out", optarg); break;
		case 'e': json_object_object_add(o, "encap", encap_arg(optarg)); break;
		case 'E': json_object_object_add(o, "esn", json_object_new_boolean(1)); break;
		case 'r': json_object_object_add(o, "replay_window", number_arg(k, optarg)); break;
		default: fail(EXIT_ERROR, "sa add: bad option (see " PROG " --help)");
		}
	}
	if (optind < argc)
		fail(EXIT_ERROR, "sa add: unexpected argument '%s'", argv[optind]);
	return o;
}

typedef void (*show_fn)(json_object *reply);

/* The request for the command line, and how to print its reply. */
static json_object *
build(int argc, char **argv, show_fn *show)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "status") == 0 && argc == 1)
		return *show = show_status, simple("status");
	if (strcmp(cmd, "stats") == 0) {
		if (argc == 2 && strcmp(argv[1], "--all") == 0)
			opt.all = true;
		else if (argc != 1)
			fail(EXIT_ERROR, "stats takes only --all");
		return *show = show_stats, simple("stats");
	}
	if (strcmp(cmd, "tunnels") == 0 && argc <= 2) {
		*show = show_tunnels;
		return argc == 2 ? with_name("tunnels", 1, argv + 1) :
				   simple("tunnels");
	}
	if (strcmp(cmd, "sas") == 0 && argc == 1)
		return *show = show_sas, simple("sas");
	if (strcmp(cmd, "sa") == 0 && argc >= 2 && strcmp(argv[1], "add") == 0)
		return *show = show_sa_result, sa_add(argc - 2, argv + 2);
	if (strcmp(cmd, "sa") == 0 && argc >= 2 && strcmp(argv[1], "del") == 0)
		return *show = show_sa_result, with_name("sa-del", argc - 2, argv + 2);
	if (strcmp(cmd, "ike") == 0 && argc == 1)
		return *show = show_ike, simple("ike");
	if (strcmp(cmd, "disconnect") == 0)
		return *show = show_sa_result, with_name("disconnect", argc - 1,
							 argv + 1);
	if (strcmp(cmd, "reload") == 0 && argc == 1)
		return *show = show_reload, simple("reload");
	if (strcmp(cmd, "config") == 0 && argc == 2 &&
	    strcmp(argv[1], "show") == 0)
		return *show = show_config, simple("config");
	fail(EXIT_ERROR, "unknown command or arguments: '%s' (see " PROG
	     " --help)", cmd);
	return NULL;
}

static int
parse_global(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+s:c:jah", opts, NULL)) != -1) {
		switch (c) {
		case 's': opt.socket = optarg; break;
		case 'c': opt.config = optarg; break;
		case 'j': opt.json = true; break;
		case 'a': opt.all = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(EXIT_ERROR);
		}
	}
	if (opt.socket != NULL && opt.config != NULL)
		fail(EXIT_ERROR, "give -s or -c, not both");
	if (optind >= argc) {
		usage(stderr);
		exit(EXIT_ERROR);
	}
	return optind;
}

int
main(int argc, char **argv)
{
	int first = parse_global(argc, argv);
	json_object *req, *reply, *ok;
	show_fn show = NULL;
	int rc;

	req = build(argc - first, argv + first, &show);
	reply = request(req);
	json_object_put(req);
	ok = get(reply, "ok");
	rc = ok != NULL && json_object_get_boolean(ok) ? 0 : EXIT_ERROR;
	if (opt.json)
		puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (rc == 0)
		show(reply);
	if (rc != 0)
		fprintf(stderr, PROG ": error: %s\n", str(reply, "error"));
	json_object_put(reply);
	return rc;
}
