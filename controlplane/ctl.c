/* SPDX-License-Identifier: BSD-3-Clause
 * The control socket's connections: accept, read lines, answer, close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "linebuf.h"
#include "log.h"
#include "loop.h"

#define MS (UINT64_C(1000000))

struct ctl_client {
	struct ctl *ctl;
	struct loop_fd w;
	uint64_t id;
	struct linebuf in;
	char *out;
	size_t out_len, out_off;
	uint64_t active_ns;		/* last read or write */
	bool busy;			/* a request waits for ctl_deliver */
	uint64_t token;
	uint64_t busy_since;
	bool eof;			/* the client has sent everything */
	bool closing;			/* close once the output is sent */
	struct ctl_client *prev, *next;
};

struct ctl {
	struct cp *cp;
	struct loop *loop;
	char path[108];
	int lfd;
	struct loop_fd lw;
	struct ctl_client *clients;
	unsigned n_clients;
	uint64_t next_id;
	uint64_t next_token;
	struct loop_timer sweep;
};

static bool client_run(struct ctl_client *c);

static void
client_free(struct ctl_client *c)
{
	struct ctl *ctl = c->ctl;

	loop_fd_del(ctl->loop, &c->w);
	close(c->w.fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ctl->n_clients--;
	linebuf_fini(&c->in);
	free(c->out);
	free(c);
}

static void
update_events(struct ctl_client *c)
{
	uint32_t ev = 0;

	if (!c->busy && !c->closing && !c->eof)
		ev |= EPOLLIN;
	if (c->out_off < c->out_len)
		ev |= EPOLLOUT;
	loop_fd_mod(c->ctl->loop, &c->w, ev);
}

/* Send what is buffered; false when the client was closed. */
static bool
client_flush(struct ctl_client *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->w.fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_free(c);
			return false;
		}
		c->out_off += (size_t)n;
		c->active_ns = loop_now(c->ctl->loop);
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			client_free(c);
			return false;
		}
	}
	update_events(c);
	return true;
}

/* Queue the reply text S (consumed: it has strlen + 1 bytes, room for
 * the newline) and a newline. A reply that cannot be queued closes the
 * client: later answers would not match its requests. */
static void
client_queue_text(struct ctl_client *c, char *s)
{
	size_t n;
	char *nb;

	if (s == NULL) {
		c->closing = true;
		return;
	}
	n = strlen(s);
	if (c->out_len == 0) {
		free(c->out);
		c->out = s;
		c->out[n] = '\n';
		c->out_len = n + 1;
		return;
	}
	nb = realloc(c->out, c->out_len + n + 1);
	if (nb == NULL) {
		free(s);
		c->closing = true;
		return;
	}
	memcpy(nb + c->out_len, s, n);
	nb[c->out_len + n] = '\n';
	c->out = nb;
	c->out_len += n + 1;
	free(s);
}

static void
client_queue(struct ctl_client *c, json_object *reply)
{
	client_queue_text(c, ctl_text(reply));
}

static void
too_long(struct ctl_client *c)
{
	log_notice("control socket: client %llu sent a request longer than "
		   "%d bytes: closing it", (unsigned long long)c->id,
		   CTL_MAX_LINE);
	client_queue(c, ctl_error_reply("request too long"));
	c->closing = true;
}

/* Answer the complete lines buffered, until one is deferred; then send.
 * false when the client was closed. */
static bool
client_run(struct ctl_client *c)
{
	enum linebuf_status st = LB_NONE;
	char *reply;
	char *line;
	size_t len;

	while (!c->busy && !c->closing) {
		st = linebuf_take(&c->in, &line, &len);
		if (st == LB_NONE)
			break;
		if (st == LB_TOO_LONG) {
			too_long(c);
			break;
		}
		if (len == 0)
			continue;
		c->token = ++c->ctl->next_token;
		reply = ctl_handle_line(c->ctl->cp, line, len, c->token);
		explicit_bzero(line, len);	/* it may have held keys */
		if (reply == NULL) {
			c->busy = true;
			c->busy_since = loop_now(c->ctl->loop);
		} else {
			client_queue_text(c, reply);
		}
	}
	/* after the last complete line of a client that has finished
	 * sending, close (an unterminated tail is not a request) */
	if (c->eof && !c->busy && st == LB_NONE)
		c->closing = true;
	return client_flush(c);
}

/* One read; false when the client was closed. */
static bool
client_read(struct ctl_client *c)
{
	char *dst;
	size_t room = linebuf_room(&c->in, &dst);
	ssize_t n;

	if (room == 0)
		return true;
	n = recv(c->w.fd, dst, room, MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN ||
		      errno == EWOULDBLOCK))
		return true;
	if (n < 0) {
		client_free(c);
		return false;
	}
	if (n == 0)
		c->eof = true;
	else
		linebuf_commit(&c->in, (size_t)n);
	c->active_ns = loop_now(c->ctl->loop);
	return true;
}

static void
client_io(struct loop *l, struct loop_fd *w, uint32_t events)
{
	struct ctl_client *c = w->arg;
	(void)l;

	if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
		client_free(c);
		return;
	}
	if ((events & EPOLLIN) && !client_read(c))
		return;
	client_run(c);
}

static void
on_accept(struct loop *l, struct loop_fd *w, uint32_t events)
{
	struct ctl *ctl = w->arg;
	struct ctl_client *c;
	int fd;
	(void)events;

	for (;;) {
		fd = accept4(ctl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (ctl->n_clients >= CTL_MAX_CLIENTS) {
			static const char msg[] = "{\"ok\":false,\"error\":\"too "
				"many clients\"}\n";

			log_notice("control socket: %u clients already: refusing "
				   "one", ctl->n_clients);
			(void)!send(fd, msg, sizeof(msg) - 1,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL || linebuf_init(&c->in, CTL_MAX_LINE) != 0 ||
		    loop_fd_add(l, &c->w, fd, EPOLLIN, client_io, c) != 0) {
			if (c != NULL)
				linebuf_fini(&c->in);
			free(c);
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->id = ++ctl->next_id;
		c->active_ns = loop_now(l);
		c->next = ctl->clients;
		if (ctl->clients != NULL)
			ctl->clients->prev = c;
		ctl->clients = c;
		ctl->n_clients++;
		log_debug("control socket: client %llu connected",
			  (unsigned long long)c->id);
	}
}

void
ctl_deliver(struct cp *cp, uint64_t token, json_object *reply)
{
	struct ctl *ctl = cp->ctl;
	struct ctl_client *c;

	for (c = ctl != NULL ? ctl->clients : NULL; c != NULL; c = c->next) {
		if (c->busy && c->token == token) {
			c->busy = false;
			client_queue(c, reply);
			c->active_ns = loop_now(ctl->loop);
			client_run(c);
			return;
		}
	}
	json_object_put(reply);
}

/* Once a second: answer requests that waited too long, close idle
 * clients. */
static void
on_sweep(struct loop *l, struct loop_timer *t)
{
	struct ctl *ctl = t->arg;
	struct ctl_client *c, *next;
	uint64_t now = loop_now(l);

	for (c = ctl->clients; c != NULL; c = next) {
		next = c->next;
		if (c->busy && now - c->busy_since > CTL_DEFER_MS * MS) {
			c->busy = false;
			client_queue(c, ctl_error_reply("timed out after %d s "
				"waiting for the dataplane (the operation goes "
				"on)", CTL_DEFER_MS / 1000));
			client_run(c);
			continue;
		}
		if (!c->busy && now - c->active_ns > CTL_IDLE_MS * MS) {
			log_debug("control socket: client %llu idle: closing",
				  (unsigned long long)c->id);
			client_free(c);
		}
	}
	loop_timer_arm(l, &ctl->sweep, 1000 * MS);
}

/* mkdir -p of PATH's directory, 0755. */
static int
make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Another instance answering at ADDR? A socket file nobody listens on is
 * stale and removed. */
static int
clear_stale(const struct sockaddr_un *addr, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(addr->sun_path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s exists and is not a "
			 "socket", addr->sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "control socket %s: another p2sgw-control "
			 "is running", addr->sun_path);
		return -1;
	}
	unlink(addr->sun_path);
	return 0;
}

static int
listen_on(struct ctl *ctl, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(ctl->path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "control socket path %s is longer than %zu "
			 "bytes", ctl->path, sizeof(addr.sun_path) - 1);
		return -1;
	}
	memcpy(addr.sun_path, ctl->path, strlen(ctl->path) + 1);
	if (make_parent(ctl->path) != 0) {
		snprintf(err, errlen, "control socket %s: cannot create its "
			 "directory: %s", ctl->path, strerror(errno));
		return -1;
	}
	if (clear_stale(&addr, err, errlen) != 0)
		return -1;
	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->lfd < 0 ||
	    bind(ctl->lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    chmod(ctl->path, 0660) != 0 || listen(ctl->lfd, 64) != 0) {
		snprintf(err, errlen, "control socket %s: %s", ctl->path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int
ctl_open(struct cp *cp, const char *path, char *err, size_t errlen)
{
	struct ctl *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ctl->cp = cp;
	ctl->loop = cp->loop;
	ctl->lfd = -1;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	if (strlen(path) >= sizeof(ctl->path) || listen_on(ctl, err, errlen) != 0 ||
	    loop_fd_add(ctl->loop, &ctl->lw, ctl->lfd, EPOLLIN, on_accept,
			ctl) != 0) {
		if (strlen(path) >= sizeof(ctl->path))
			snprintf(err, errlen, "control socket path %s is too "
				 "long", path);
		if (ctl->lfd >= 0) {
			close(ctl->lfd);
			unlink(ctl->path);
		}
		free(ctl);
		return -1;
	}
	loop_timer_init(&ctl->sweep, on_sweep, ctl);
	loop_timer_arm(ctl->loop, &ctl->sweep, 1000 * MS);
	cp->ctl = ctl;
	return 0;
}

void
ctl_close(struct cp *cp)
{
	struct ctl *ctl = cp->ctl;

	if (ctl == NULL)
		return;
	while (ctl->clients != NULL) {
		client_flush(ctl->clients);
		if (ctl->clients != NULL)
			client_free(ctl->clients);
	}
	loop_timer_stop(ctl->loop, &ctl->sweep);
	loop_fd_del(ctl->loop, &ctl->lw);
	close(ctl->lfd);
	unlink(ctl->path);
	free(ctl);
	cp->ctl = NULL;
}
