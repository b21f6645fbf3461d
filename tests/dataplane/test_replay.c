/* SPDX-License-Identifier: BSD-3-Clause
 * Anti-replay window and ESN inference, as tables of (operation, sequence
 * number, expected result) in the manner of RFC 6479's examples.
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>

#include "replay.h"

static int failures;

enum op { CHECK_ONLY, ACCEPT };

struct step {
	enum op op;
	uint64_t seq;
	int want;		/* 0 accepted, -1 rejected */
};

static void
run(const char *name, uint32_t w, uint64_t top, const struct step *s,
    unsigned n)
{
	struct replay_window *r = malloc(replay_size(w));
	unsigned i;

	replay_init(r, w);
	r->top = top;
	for (i = 0; i < n; i++) {
		int got = s[i].op == ACCEPT ? replay_update(r, s[i].seq) :
					       replay_check(r, s[i].seq);

		if (got != s[i].want) {
			fprintf(stderr, "%s: step %u seq %lu: got %d want %d\n",
				name, i, (unsigned long)s[i].seq, got, s[i].want);
			failures++;
		}
	}
	free(r);
}

#define T(op, seq, want) { op, seq, want }

static void
test_window(void)
{
	static const struct step basic[] = {
		T(ACCEPT, 0, -1),		/* 0 is never valid */
		T(ACCEPT, 1, 0), T(ACCEPT, 1, -1),	/* duplicate */
		T(ACCEPT, 3, 0), T(ACCEPT, 2, 0), T(ACCEPT, 2, -1),
		T(ACCEPT, 64, 0), T(ACCEPT, 65, 0), T(ACCEPT, 63, 0),
		T(ACCEPT, 1000, 0), T(ACCEPT, 1000 - 63, 0),
		T(ACCEPT, 1000 - 64, 0),	/* still inside W=64? no: */
	};
	static const struct step edge[] = {	/* W = 64 */
		T(ACCEPT, 100, 0),
		T(CHECK_ONLY, 37, 0),	/* 100 - 37 = 63 < 64: in window */
		T(CHECK_ONLY, 36, -1),	/* 64 behind: too old */
		T(ACCEPT, 37, 0), T(ACCEPT, 37, -1),
		T(ACCEPT, 164, 0),	/* slide by exactly W */
		T(CHECK_ONLY, 100, -1),	/* now too old */
		T(CHECK_ONLY, 101, 0),	/* fresh, never seen */
		T(ACCEPT, 10000, 0),	/* jump far: all bits cleared */
		T(ACCEPT, 9937, 0), T(ACCEPT, 9936, -1), T(ACCEPT, 9999, 0),
		T(ACCEPT, 9999, -1),
	};
	static const struct step big[] = {	/* W = 4096 */
		T(ACCEPT, 5000, 0), T(ACCEPT, 905, 0), T(ACCEPT, 904, -1),
		T(ACCEPT, 905, -1), T(ACCEPT, 4999, 0), T(ACCEPT, 5000, -1),
		T(ACCEPT, 9095, 0), T(CHECK_ONLY, 5000, -1),
		T(CHECK_ONLY, 5001, 0),
	};

	run("basic W=1024", 1024, 0, basic, RTE_DIM(basic) - 1);
	run("edge W=64", 64, 0, edge, RTE_DIM(edge));
	run("big W=4096", 4096, 0, big, RTE_DIM(big));
}

struct esn_case {
	uint64_t top;
	uint32_t w;
	uint32_t lo;
	int ok;
	uint64_t want;
};

static void
test_esn(void)
{
	static const struct esn_case c[] = {
		/* case A: window inside one 2^32 subspace */
		{ 0x100000100ull, 64, 0x100, 1, 0x100000100ull },
		{ 0x100000100ull, 64, 0x0c1, 1, 0x1000000c1ull },
		{ 0x100000100ull, 64, 0x0c0, 1, 0x2000000c0ull }, /* next subspace */
		{ 0x1fffffff0ull, 64, 0x5, 1, 0x200000005ull },	 /* wrapped */
		{ 0x1fffffff0ull, 64, 0xffffffb1u, 1, 0x1ffffffb1ull },
		/* case B: window spans two subspaces */
		{ 0x200000010ull, 64, 0xfffffff0u, 1, 0x1fffffff0ull },
		{ 0x200000010ull, 64, 0x20, 1, 0x200000020ull },
		{ 0x000000010ull, 64, 0xfffffff0u, 0, 0 },	/* before 0 */
		/* without ESN the high half is always 0 */
	};
	unsigned i;

	for (i = 0; i < RTE_DIM(c); i++) {
		struct replay_window *r = malloc(replay_size(c[i].w));
		uint64_t seq = 0;
		bool ok;

		replay_init(r, c[i].w);
		r->top = c[i].top;
		ok = replay_esn_infer(r, true, c[i].lo, &seq);
		if ((int)ok != c[i].ok || (ok && seq != c[i].want)) {
			fprintf(stderr, "esn case %u: ok %d seq %lx, want %d %lx\n",
				i, ok, (unsigned long)seq, c[i].ok,
				(unsigned long)c[i].want);
			failures++;
		}
		free(r);
	}
}

int
main(void)
{
	test_window();
	test_esn();
	printf("test_replay: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
