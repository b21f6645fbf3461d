/* SPDX-License-Identifier: BSD-3-Clause */
#include "counters.h"

#define P2SGW_NAME(n, d) #n,
#define P2SGW_DESC(n, d) d,
const char *const p2sgw_counter_names[P2SGW_C_COUNT] = {
	P2SGW_FOREACH_COUNTER(P2SGW_NAME)
};
const char *const p2sgw_counter_descs[P2SGW_C_COUNT] = {
	P2SGW_FOREACH_COUNTER(P2SGW_DESC)
};
const char *const p2sgw_drop_names[P2SGW_D_COUNT] = {
	P2SGW_FOREACH_DROP(P2SGW_NAME)
};
const char *const p2sgw_drop_descs[P2SGW_D_COUNT] = {
	P2SGW_FOREACH_DROP(P2SGW_DESC)
};
