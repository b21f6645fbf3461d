/* SPDX-License-Identifier: BSD-3-Clause
 * The control plane's single event loop: epoll for file descriptors, a
 * min-heap of timers that sets epoll_wait's timeout, and signals read
 * from a signalfd. Nothing in it blocks except epoll_wait itself.
 *
 * Watchers and timers are embedded in their owners' structs (no
 * allocation per timer); an owner stops them before freeing itself. A
 * watcher removed while its loop is dispatching a batch of events is never
 * called again, even if it had an event in that batch.
 *
 * Timers with the same deadline fire in the order they were armed. A timer
 * armed from a timer callback fires at the earliest on the next iteration,
 * so re-arming with delay 0 cannot starve the file descriptors.
 */
#ifndef CP_LOOP_H
#define CP_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_fd;
struct loop_timer;

typedef void (*loop_fd_fn)(struct loop *l, struct loop_fd *w, uint32_t events);
typedef void (*loop_timer_fn)(struct loop *l, struct loop_timer *t);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *arg);

struct loop_fd {
	int fd;
	uint32_t events;		/* EPOLLIN, EPOLLOUT */
	loop_fd_fn fn;
	void *arg;
	bool added;
};

enum { LOOP_TIMER_IDLE = -1 };

struct loop_timer {
	uint64_t due_ns;		/* CLOCK_MONOTONIC */
	uint64_t order;			/* ties: the earlier armed first */
	long idx;			/* place in the heap, or LOOP_TIMER_IDLE */
	loop_timer_fn fn;
	void *arg;
};

struct loop *loop_new(void);
void loop_free(struct loop *l);

int loop_fd_add(struct loop *l, struct loop_fd *w, int fd, uint32_t events,
		loop_fd_fn fn, void *arg);
int loop_fd_mod(struct loop *l, struct loop_fd *w, uint32_t events);
void loop_fd_del(struct loop *l, struct loop_fd *w);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg);
/* (Re)arm T to fire DELAY_NS from now. */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t delay_ns);
void loop_timer_stop(struct loop *l, struct loop_timer *t);

static inline bool
loop_timer_armed(const struct loop_timer *t)
{
	return t->idx != LOOP_TIMER_IDLE;
}

/* Block SIGNO and deliver it through the loop. -1 on failure. */
int loop_signal(struct loop *l, int signo, loop_signal_fn fn, void *arg);

/* One iteration: wait for events at most MAX_WAIT_MS (-1: until the next
 * timer or event), dispatch them, fire due timers. -1 on an epoll error. */
int loop_run_once(struct loop *l, int max_wait_ms);
/* Iterate until loop_stop(). 0, or -1 on an epoll error. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

/* CLOCK_MONOTONIC ns, refreshed at every iteration. */
uint64_t loop_now(const struct loop *l);

#endif /* CP_LOOP_H */
