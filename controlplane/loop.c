/* SPDX-License-Identifier: BSD-3-Clause
 * epoll + timer heap + signalfd.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "channel.h"
#include "loop.h"

enum {
	LOOP_BATCH = 64,		/* events per epoll_wait */
	LOOP_MAX_SIGNALS = 65,
};

struct loop {
	int epfd;
	bool stop;
	uint64_t now;
	uint64_t order;			/* next timer arm order */

	struct loop_timer **heap;
	size_t n_timers, cap_timers;

	/* the batch being dispatched, so a removed watcher is skipped */
	struct loop_fd *batch[LOOP_BATCH];
	int batch_n, batch_i;

	struct loop_fd sigw;
	int sigfd;
	sigset_t sigmask;
	struct {
		loop_signal_fn fn;
		void *arg;
	} sig[LOOP_MAX_SIGNALS];
};

struct loop *
loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	l->now = p2sgw_now_ns();
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	if (l->sigfd >= 0) {
		loop_fd_del(l, &l->sigw);
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigmask, NULL);
	}
	close(l->epfd);
	free(l->heap);
	free(l);
}

uint64_t
loop_now(const struct loop *l)
{
	return l->now;
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}

/* ---- file descriptors ------------------------------------------------ */

int
loop_fd_add(struct loop *l, struct loop_fd *w, int fd, uint32_t events,
	    loop_fd_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return -1;
	w->added = true;
	return 0;
}

int
loop_fd_mod(struct loop *l, struct loop_fd *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (!w->added)
		return -1;
	if (w->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0)
		return -1;
	w->events = events;
	return 0;
}

void
loop_fd_del(struct loop *l, struct loop_fd *w)
{
	int i;

	if (!w->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = false;
	for (i = l->batch_i; i < l->batch_n; i++)
		if (l->batch[i] == w)
			l->batch[i] = NULL;
}

/* ---- timers: a binary min-heap on (due_ns, order) --------------------- */

static bool
before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->due_ns != b->due_ns ? a->due_ns < b->due_ns :
					a->order < b->order;
}

static void
heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = (long)i;
}

static void
sift_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0 && before(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void
sift_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->n_timers)
			break;
		if (c + 1 < l->n_timers && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void
loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->idx = LOOP_TIMER_IDLE;
	t->fn = fn;
	t->arg = arg;
}

void
loop_timer_stop(struct loop *l, struct loop_timer *t)
{
	size_t i;
	struct loop_timer *last;

	if (t->idx == LOOP_TIMER_IDLE)
		return;
	i = (size_t)t->idx;
	t->idx = LOOP_TIMER_IDLE;
	last = l->heap[--l->n_timers];
	if (i == l->n_timers)
		return;
	heap_set(l, i, last);
	sift_up(l, i);
	sift_down(l, (size_t)last->idx);
}

void
loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t delay_ns)
{
	struct loop_timer **h;
	size_t cap;

	loop_timer_stop(l, t);
	if (l->n_timers == l->cap_timers) {
		cap = l->cap_timers ? 2 * l->cap_timers : 16;
		h = realloc(l->heap, cap * sizeof(*h));
		if (h == NULL)
			abort();	/* a lost timer would hang a tunnel */
		l->heap = h;
		l->cap_timers = cap;
	}
	t->due_ns = l->now + delay_ns;
	t->order = l->order++;
	heap_set(l, l->n_timers++, t);
	sift_up(l, (size_t)t->idx);
}

/* Fire the timers due now that were armed before this pass began. */
static void
fire_timers(struct loop *l)
{
	uint64_t horizon = l->order;
	struct loop_timer *t;

	while (l->n_timers > 0) {
		t = l->heap[0];
		if (t->due_ns > l->now || t->order >= horizon)
			break;
		loop_timer_stop(l, t);
		t->fn(l, t);
	}
}

static int
wait_ms(const struct loop *l, int max_wait_ms)
{
	uint64_t due, ms;

	if (l->n_timers == 0)
		return max_wait_ms;
	due = l->heap[0]->due_ns;
	if (due <= l->now)
		return 0;
	ms = (due - l->now + 999999) / 1000000;
	if (max_wait_ms >= 0 && ms > (uint64_t)max_wait_ms)
		return max_wait_ms;
	return ms > 60000 ? 60000 : (int)ms;
}

/* ---- signals ---------------------------------------------------------- */

static void
on_signalfd(struct loop *l, struct loop_fd *w, uint32_t events)
{
	struct signalfd_siginfo si;
	unsigned signo;
	(void)w;
	(void)events;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		signo = si.ssi_signo;
		if (signo < LOOP_MAX_SIGNALS && l->sig[signo].fn != NULL)
			l->sig[signo].fn(l, (int)signo, l->sig[signo].arg);
	}
}

int
loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg)
{
	int fd;

	if (signo <= 0 || signo >= LOOP_MAX_SIGNALS)
		return -1;
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) != 0)
		return -1;
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		if (loop_fd_add(l, &l->sigw, fd, EPOLLIN, on_signalfd, NULL) != 0)
			return -1;
	}
	l->sig[signo].fn = fn;
	l->sig[signo].arg = arg;
	return 0;
}

/* ---- running ----------------------------------------------------------- */

int
loop_run_once(struct loop *l, int max_wait_ms)
{
	struct epoll_event ev[LOOP_BATCH];
	struct loop_fd *w;
	int n, i;

	l->now = p2sgw_now_ns();
	n = epoll_wait(l->epfd, ev, LOOP_BATCH, wait_ms(l, max_wait_ms));
	if (n < 0 && errno != EINTR)
		return -1;
	l->now = p2sgw_now_ns();
	l->batch_n = n > 0 ? n : 0;
	for (i = 0; i < l->batch_n; i++)
		l->batch[i] = ev[i].data.ptr;
	for (l->batch_i = 0; l->batch_i < l->batch_n; l->batch_i++) {
		w = l->batch[l->batch_i];
		if (w != NULL)
			w->fn(l, w, ev[l->batch_i].events);
	}
	l->batch_n = l->batch_i = 0;
	fire_timers(l);
	return 0;
}

int
loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop)
		if (loop_run_once(l, -1) != 0)
			return -1;
	return 0;
}
