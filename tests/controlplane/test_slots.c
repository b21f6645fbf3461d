/* SPDX-License-Identifier: BSD-3-Clause
 * The slot allocator: order, exhaustion, frees refused when wrong, and
 * rebuilding the free list from slot states.
 */
#include "channel.h"
#include "cptest.h"
#include "slots.h"

static bool
even_free(void *arg, uint32_t i)
{
	(void)arg;
	return i % 2 == 0;
}

static bool
none_free(void *arg, uint32_t i)
{
	(void)arg;
	(void)i;
	return false;
}

static void
test_order_and_exhaustion(void)
{
	struct slot_pool p;
	uint32_t i, s;

	CHECK(slots_init(&p, 8) == 0, "init");
	for (i = 0; i < 8; i++) {
		s = slots_alloc(&p);
		CHECK(s == i, "alloc %u gave %u", i, s);
		CHECK(slots_in_use(&p, s), "slot %u not in use", s);
	}
	CHECK(slots_alloc(&p) == P2SGW_SLOT_NONE, "alloc from a full pool");
	CHECK(slots_used(&p) == 8, "used %u", slots_used(&p));
	CHECK(slots_free(&p, 3) == 0, "free 3");
	CHECK(!slots_in_use(&p, 3), "3 still in use");
	CHECK(slots_free(&p, 3) == -1, "double free accepted");
	CHECK(slots_free(&p, 8) == -1, "free out of range accepted");
	CHECK(slots_free(&p, P2SGW_SLOT_NONE) == -1, "free of NONE accepted");
	CHECK(slots_alloc(&p) == 3, "freed slot not reused");
	CHECK(slots_alloc(&p) == P2SGW_SLOT_NONE, "pool should be full again");
	slots_fini(&p);
}

static void
test_rebuild(void)
{
	struct slot_pool p;
	uint32_t i, got[8], n = 0, s;

	CHECK(slots_init(&p, 100) == 0, "init");
	slots_alloc(&p);
	slots_rebuild(&p, even_free, NULL);
	CHECK(slots_used(&p) == 50, "used after rebuild %u", slots_used(&p));
	CHECK(slots_in_use(&p, 1) && !slots_in_use(&p, 0), "bitmap after rebuild");
	CHECK(slots_free(&p, 2) == -1, "free of a free slot accepted");
	while (n < 8 && (s = slots_alloc(&p)) != P2SGW_SLOT_NONE)
		got[n++] = s;
	for (i = 0; i < n; i++)
		CHECK(got[i] == 2 * i, "rebuilt order: %u gave %u", i, got[i]);
	CHECK(slots_free(&p, 1) == 0, "slot 1 was in use per its state");
	slots_rebuild(&p, none_free, NULL);
	CHECK(slots_alloc(&p) == P2SGW_SLOT_NONE, "no free slot after rebuild");
	slots_fini(&p);

	CHECK(slots_init(&p, 0) == 0, "empty pool");
	CHECK(slots_alloc(&p) == P2SGW_SLOT_NONE, "alloc from an empty pool");
	CHECK(slots_free(&p, 0) == -1, "free in an empty pool");
	slots_fini(&p);
}

static void
test_large(void)
{
	struct slot_pool p;
	uint32_t i, n = 100000;
	bool ok = true;

	CHECK(slots_init(&p, n) == 0, "init");
	for (i = 0; i < n; i++)
		ok &= slots_alloc(&p) == i;
	CHECK(ok, "100000 in order");
	for (i = 0; i < n; i += 3)
		ok &= slots_free(&p, i) == 0;
	CHECK(ok && slots_used(&p) == n - (n + 2) / 3, "used %u", slots_used(&p));
	slots_fini(&p);
}

int
main(void)
{
	test_order_and_exhaustion();
	test_rebuild();
	test_large();
	return cptest_done("slots");
}
