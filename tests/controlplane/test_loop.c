/* SPDX-License-Identifier: BSD-3-Clause
 * The event loop: timers fire in deadline order (ties in arm order),
 * stopped timers never fire, re-arming moves a timer, a timer re-armed
 * from its callback waits for the next iteration, a watcher removed in
 * the middle of a batch is not called, signals arrive through the loop.
 * Deadlines are spread so that the order, never timing, is checked.
 */
#include <signal.h>
#include <sys/epoll.h>

#include "cptest.h"
#include "loop.h"

enum { MAX_FIRED = 2048 };

static int fired[MAX_FIRED], n_fired;
static uint64_t fired_due[MAX_FIRED];

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	(void)l;
	if (n_fired < MAX_FIRED) {
		fired_due[n_fired] = t->due_ns;
		fired[n_fired++] = (int)(intptr_t)t->arg;
	}
}

static void
run_until(struct loop *l, int n)
{
	int guard = 0;

	while (n_fired < n && guard++ < 10000)
		loop_run_once(l, 100);
}

static void
test_order(void)
{
	struct loop *l = loop_new();
	struct loop_timer t[6];
	static const uint64_t ms[6] = { 30, 10, 20, 10, 0, 5 };
	static const int want[] = { 4, 1, 3, 2, 0 };
	int i;

	n_fired = 0;
	for (i = 0; i < 6; i++) {
		loop_timer_init(&t[i], on_timer, (void *)(intptr_t)i);
		loop_timer_arm(l, &t[i], ms[i] * 1000000);
	}
	loop_timer_stop(l, &t[5]);		/* never fires */
	CHECK(!loop_timer_armed(&t[5]), "stopped timer armed");
	run_until(l, 5);
	loop_run_once(l, 40);
	CHECK(n_fired == 5, "fired %d", n_fired);
	for (i = 0; i < 5 && i < n_fired; i++)
		CHECK(fired[i] == want[i], "position %d: timer %d, want %d", i,
		      fired[i], want[i]);
	/* re-arming moves the deadline: 0 goes after 1 now */
	n_fired = 0;
	loop_timer_arm(l, &t[0], 2 * 1000000);
	loop_timer_arm(l, &t[1], 20 * 1000000);
	loop_timer_arm(l, &t[0], 40 * 1000000);
	run_until(l, 2);
	CHECK(n_fired == 2 && fired[0] == 1 && fired[1] == 0, "re-arm order");
	loop_free(l);
}

static void
test_many(void)
{
	struct loop *l = loop_new();
	static struct loop_timer t[1000];
	int i;
	bool sorted = true;

	n_fired = 0;
	srandom(7);
	for (i = 0; i < 1000; i++) {
		loop_timer_init(&t[i], on_timer, (void *)(intptr_t)i);
		loop_timer_arm(l, &t[i], (uint64_t)(random() % 40) * 1000000);
		if (i % 7 == 0 && i > 0)
			loop_timer_stop(l, &t[i - 1]);
	}
	run_until(l, 1000 - 142);
	CHECK(n_fired == 1000 - 142, "fired %d of %d", n_fired, 1000 - 142);
	for (i = 1; i < n_fired; i++)
		sorted &= fired_due[i - 1] <= fired_due[i];
	CHECK(sorted, "1000 timers not fired in deadline order");
	for (i = 0; i < n_fired; i++)
		CHECK(fired[i] % 7 != 6, "stopped timer %d fired",
		      fired[i]);
	loop_free(l);
}

static int rearm_calls;

static void
on_rearm(struct loop *l, struct loop_timer *t)
{
	rearm_calls++;
	loop_timer_arm(l, t, 0);
}

static void
test_rearm_from_callback(void)
{
	struct loop *l = loop_new();
	struct loop_timer t;

	loop_timer_init(&t, on_rearm, NULL);
	loop_timer_arm(l, &t, 0);
	loop_run_once(l, 0);
	CHECK(rearm_calls == 1, "a timer re-armed at 0 fired %d times in one "
	      "iteration", rearm_calls);
	loop_run_once(l, 0);
	CHECK(rearm_calls == 2, "calls %d", rearm_calls);
	loop_timer_stop(l, &t);
	loop_free(l);
}

static struct loop_fd wa, wb;
static int fd_calls;

static void
on_fd(struct loop *l, struct loop_fd *w, uint32_t events)
{
	char c;

	(void)events;
	fd_calls++;
	(void)!read(w->fd, &c, 1);
	/* remove the other watcher, which has an event in this batch too */
	loop_fd_del(l, w == &wa ? &wb : &wa);
}

static void
test_fd_removed_in_batch(void)
{
	struct loop *l = loop_new();
	int a[2], b[2];

	CHECK(pipe(a) == 0 && pipe(b) == 0, "pipes");
	CHECK(loop_fd_add(l, &wa, a[0], EPOLLIN, on_fd, NULL) == 0, "add a");
	CHECK(loop_fd_add(l, &wb, b[0], EPOLLIN, on_fd, NULL) == 0, "add b");
	CHECK(write(a[1], "x", 1) == 1 && write(b[1], "y", 1) == 1, "write");
	loop_run_once(l, 100);
	CHECK(fd_calls == 1, "%d calls: a watcher removed during the batch "
	      "was called", fd_calls);
	loop_fd_del(l, &wa);
	loop_fd_del(l, &wb);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
	loop_free(l);
}

static int got_signal;

static void
on_sig(struct loop *l, int signo, void *arg)
{
	(void)l;
	(void)arg;
	got_signal = signo;
}

static void
test_signal(void)
{
	struct loop *l = loop_new();
	int i;

	CHECK(loop_signal(l, SIGUSR1, on_sig, NULL) == 0, "signalfd");
	raise(SIGUSR1);
	for (i = 0; i < 10 && got_signal == 0; i++)
		loop_run_once(l, 100);
	CHECK(got_signal == SIGUSR1, "signal %d", got_signal);
	loop_free(l);
}

int
main(void)
{
	test_order();
	test_many();
	test_rearm_from_callback();
	test_fd_removed_in_batch();
	test_signal();
	return cptest_done("loop");
}
