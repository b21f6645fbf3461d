/* SPDX-License-Identifier: BSD-3-Clause
 * The tunnel manager: every tunnel the control plane wants in the
 * dataplane, its slots in the channel region, and the exchange with the
 * workers that installs and removes it.
 *
 * State of a tunnel (the same values as its record's slot state):
 *
 *   FREE --install--> FILLED --every worker acked--> LIVE
 *     ^                  | a worker refused (NACK)      | deleted, hard
 *     |                  v                              v lifetime
 *     +--all acked--- DYING <---------------------------+
 *
 * FREE means "holds no slot": a tunnel waiting for a dataplane, or for
 * another tunnel with the same name, VIP or SPI to leave the region
 * (replacing one is delete-then-add, since both would use the same SPI).
 * A tunnel that is no longer wanted is destroyed once FREE. When the
 * region goes away (dataplane restart) every tunnel drops back to FREE
 * and is installed again into the next region: its raw keys are
 * expanded again (a tunnel adopted from a region without them, added by
 * an earlier process, is pushed from a copy of its filled SA records). tm_set_state() in tunnels.c is the only place a state
 * changes; each change is logged at info.
 *
 * Nothing here blocks; tm_poll() is called from the event loop's timer
 * and does a bounded amount of work.
 */
#ifndef CP_TUNNELS_H
#define CP_TUNNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "chanq.h"
#include "slots.h"
#include "tunspec.h"

/* Bytes of an SA record that the control plane fills (before `st`). */
#define TM_SA_FILLED_LEN offsetof(struct p2sgw_sa, st)

enum {
	TM_DONE = 0,			/* finished now, no callback follows */
	TM_PENDING = 1,			/* the waiter is called later */
	TM_INSTALL_BATCH = 512,		/* tunnels installed per tm_poll */
	TM_FAIL_LEN = 160,
	TM_REKEY_OUT_MS = 200,		/* new inbound SA in, before sending on the new outbound */
	TM_REKEY_PREV_MS = 2000,	/* old inbound SA kept after the switch */
};

/* Someone waiting for an operation: FN(ARG, TOKEN, 0, NULL) when it
 * succeeded, FN(ARG, TOKEN, errno, reason) when it failed. Called from
 * tm_poll()/tm_attach()/tm_detach(), never from tm_add()/tm_del(). */
typedef void (*tm_done_fn)(void *arg, uint64_t token, int err,
			   const char *msg);

struct tm_waiter {
	tm_done_fn fn;
	void *arg;
	uint64_t token;
};

/* Where the gateway is on the uplink, for the SAs' local address and next
 * hop (the peer when it is on the uplink subnet, else the gateway). */
struct tm_net {
	uint32_t local;
	struct p2sgw_prefix4 uplink;
	uint32_t gateway;
};

enum tidx_key { TIDX_NAME, TIDX_VIP, TIDX_SPI_IN, TIDX_SPI_OUT, TIDX_COUNT };

/* Make before break (tunnels_rekey.c):
 *   NONE --tm_rekey: new SA records, SA_IN_ADD--> IN (both inbound SAs
 *   accepted) --acked: the waiter is told--> OUT_WAIT (TM_REKEY_OUT_MS, so
 *   that the peer has installed the new SAs) --TUNNEL_SET_OUT--> OUT
 *   --acked: old outbound wiped--> PREV_WAIT (TM_REKEY_PREV_MS, for packets
 *   in flight on the old inbound SA) --SA_IN_DEL--> PREV --acked: old
 *   inbound wiped--> NONE */
enum tm_rekey_phase {
	TM_RK_NONE = 0,
	TM_RK_IN,
	TM_RK_OUT_WAIT,
	TM_RK_OUT,
	TM_RK_PREV_WAIT,
	TM_RK_PREV,
};

struct tm_rk_next {
	uint32_t spi_in, spi_out;
	struct tun_keys k;
};

struct tunnel {
	struct tun_spec spec;
	uint32_t kind;			/* enum tunnel_kind */
	uint64_t cfg_hash;
	uint32_t id;			/* 0 until first installed */
	uint64_t created_ns;		/* first installed (CLOCK_MONOTONIC) */
	enum p2sgw_slot_state state;
	bool present;			/* wanted in the dataplane */
	bool orphan;			/* found in a region, being removed */
	bool blocked_logged;
	char fail[TM_FAIL_LEN];		/* why it was given up, or "" */

	/* Raw keys (wiped when the tunnel goes), or for a tunnel adopted
	 * without them, the filled part of both SA records, expanded for
	 * copy_arch. */
	struct tun_keys *keys;
	uint8_t *copy_in, *copy_out;
	uint32_t copy_arch;

	/* In the region (P2SGW_SLOT_NONE when FREE). */
	uint32_t slot, sa_in, sa_out, sa_in_prev;
	/* The pending change: its seq, the workers it went to, answers. */
	uint32_t seq;
	uint64_t sent, acked, nacked;
	uint32_t nack_err;
	unsigned nack_worker;

	/* Waiting for LIVE (add) and for the tunnel to be gone (del). */
	struct tm_waiter *add_w, *del_w;
	unsigned n_add_w, n_del_w;

	/* A rekey of a LIVE tunnel (tunnels_rekey.c): its phase, the old
	 * outbound slot until the switch is acked, when the next phase is
	 * due, and who waits for the new inbound SA. */
	enum tm_rekey_phase rk;
	uint32_t rk_out_old;
	uint64_t rk_due;
	struct tm_waiter *rk_w;
	unsigned n_rk_w;
	/* The next rekey, asked for while this one only waited to drop the
	 * old inbound SA (PREV_WAIT, cut short): it starts at NONE. */
	struct tm_rk_next *rk_next;

	struct tunnel *prev, *next;	/* every tunnel */
	struct tunnel *wprev, *wnext;	/* FREE and wanted: to install */
	bool waiting;
	struct tunnel *link[TIDX_COUNT];	/* index chains */
};

/* Multimap from name / VIP / SPI to tunnels (tindex.c). Several tunnels
 * may share a key for a while (one leaving, one waiting to enter). */
struct tidx {
	struct tunnel **b[TIDX_COUNT];
	size_t nb;			/* buckets per key, power of two */
	size_t n;			/* tunnels indexed */
};

struct tm_stats {
	uint64_t acks, nacks, stale_events, bad_events, nat_mappings;
	uint64_t soft_lifetime, hard_lifetime;
	uint64_t installs, removals;
};

struct tm_note {
	struct tm_waiter w;
	int err;
	char msg[TM_FAIL_LEN];
};

struct tunmgr {
	struct tm_net net;
	struct tunnel *head, *tail;
	size_t n_tunnels;
	struct tunnel *whead, *wtail;	/* waiting to be installed */
	size_t n_waiting;
	size_t n_inflight;		/* FILLED or DYING */
	struct tidx idx;

	/* The attached region (ch NULL: none). */
	const struct p2sgw_chan *ch;
	IMB_MGR *mgr;			/* runs the region's crypto_arch */
	struct chanq q;
	struct slot_pool tun_slots, in_slots, out_slots;
	struct tunnel **by_slot, **by_sa_in, **by_sa_out;

	uint32_t seq;
	uint32_t next_id;
	bool more_to_install;
	size_t n_rekeying;		/* tunnels with a rekey in progress */
	size_t n_rekey_acks;		/* of them, waiting for the workers */
	struct tm_stats stats;

	struct tm_note *notes;
	size_t n_notes, cap_notes;

	/* Told when a tunnel's client moved (NAT mapping change), after its
	 * SAs were pointed at the new address (the IKEv2 responder follows). */
	void (*moved_fn)(void *arg, const struct tunnel *t);
	void *moved_arg;
	/* An SA of T reached its soft (HARD false) or hard lifetime in the
	 * dataplane. Returns true when the owner handles it (rekeys, or
	 * removes the tunnel itself); otherwise the manager logs a soft
	 * event and removes the tunnel at a hard one. */
	bool (*life_fn)(void *arg, const struct tunnel *t, bool hard);
	void *life_arg;
};

struct tunmgr *tm_new(const struct tm_net *net);
/* Forget every tunnel, wiping every key and copy (the region is left as
 * it is: the dataplane keeps forwarding). */
void tm_free(struct tunmgr *tm);

/* Use region CH, whose SA keys are expanded with MGR, and reconcile with
 * what it already holds: adopt live records of wanted tunnels with the
 * same cfg_hash, remove the others and anything half done. -1 with ERR
 * when out of memory. */
int tm_attach(struct tunmgr *tm, const struct p2sgw_chan *ch, IMB_MGR *mgr,
	      char *err, size_t errlen);
/* The region is gone (WHY, for the log): every tunnel drops to FREE. */
void tm_detach(struct tunmgr *tm, const char *why);

/* Stop using the region without touching it or the tunnels' states (the
 * process is stopping; the dataplane keeps forwarding). */
void tm_drop_region(struct tunmgr *tm);

/* Apply events, install waiting tunnels, send queued messages. */
void tm_poll(struct tunmgr *tm);
/* Something is in flight or queued (poll soon). */
bool tm_busy(const struct tunmgr *tm);

/* Add a tunnel of KIND. K is copied and then wiped in every case. With a
 * region, returns TM_PENDING and calls W (if any) when it is LIVE or has
 * failed; without one, TM_DONE (it is installed when a region appears).
 * -1 with ERR when its name, VIP or an SPI is already used. */
int tm_add(struct tunmgr *tm, const struct tun_spec *s, struct tun_keys *k,
	   uint32_t kind, const struct tm_waiter *w, char *err, size_t errlen);
/* Rekey the LIVE tunnel NAME: its SPIs become SPI_IN/SPI_OUT and its
 * keys K (copied and wiped in every case), make before break (see
 * enum tm_rekey_phase). TM_PENDING: W is called once every worker
 * accepts the new inbound SA (then answer the peer); the switch of the
 * outbound SA and the removal of the old inbound one follow by
 * themselves. TM_DONE: no region, the tunnel is installed with the new
 * SAs when one appears. While the last rekey of NAME only waits to drop
 * its old inbound SA this one is queued (TM_PENDING; that wait is cut
 * short). -1 with ERR: no such tunnel, a rekey is still in progress
 * (EBUSY in *ERRNO_OUT), or SPI_IN is used. */
int tm_rekey(struct tunmgr *tm, const char *name, uint32_t spi_in,
	     uint32_t spi_out, struct tun_keys *k, const struct tm_waiter *w,
	     int *errno_out, char *err, size_t errlen);

/* Remove tunnel NAME: TM_DONE when it is gone already, TM_PENDING when W
 * will be called once every worker dropped it, -1 when there is none. */
int tm_del(struct tunmgr *tm, const char *name, const struct tm_waiter *w,
	   char *err, size_t errlen);

/* The wanted tunnel called NAME, or NULL. */
struct tunnel *tm_find(const struct tunmgr *tm, const char *name);
/* A wanted tunnel whose kind is not SKIP_KIND (0: any) and that has the
 * name, VIP, inbound or outbound SPI of S (*WHAT names which), or NULL. */
struct tunnel *tm_find_conflict(const struct tunmgr *tm, const struct tun_spec *s,
				uint32_t skip_kind, const char **what);
/* The tunnel holding tunnel slot I of the region, or NULL. */
struct tunnel *tm_by_slot(const struct tunmgr *tm, uint32_t i);

const char *tm_state_name(enum p2sgw_slot_state s);

/* A change is waiting for the workers' answers. */
static inline bool
tm_inflight(enum p2sgw_slot_state s)
{
	return s == P2SGW_SLOT_FILLED || s == P2SGW_SLOT_DYING;
}

/* tindex.c */
int tidx_init(struct tidx *x);
void tidx_fini(struct tidx *x);
void tidx_insert(struct tidx *x, struct tunnel *t);
void tidx_remove(struct tidx *x, struct tunnel *t);
/* First tunnel of KEY's chain that has the same key as T (T excluded);
 * continue with tidx_next. */
struct tunnel *tidx_first(const struct tidx *x, enum tidx_key key,
			  const struct tunnel *t);
struct tunnel *tidx_next(enum tidx_key key, const struct tunnel *u,
			 const struct tunnel *t);
struct tunnel *tidx_find_name(const struct tidx *x, const char *name);

/* ---- internal to the manager (tunnels*.c) ---- */
extern const char *const tm_key_what[TIDX_COUNT];
/* tunnels.c */
void tm_notify(struct tunmgr *tm, struct tm_waiter **ws, unsigned *n, int err,
	       const char *msg);
void tm_fail(struct tunmgr *tm, struct tunnel *t, const char *fmt,
	     const char *arg);
void tm_send(struct tunmgr *tm, struct tunnel *t, uint32_t type,
	     uint64_t workers);
/* The same with another slot in the message (an SA slot). */
void tm_send_slot(struct tunmgr *tm, struct tunnel *t, uint32_t type,
		  uint32_t slot, uint64_t workers);
/* tunnels_install.c */
void tm_install_waiting(struct tunmgr *tm);
void tm_release_slots(struct tunmgr *tm, struct tunnel *t);
/* tunnels_events.c */
void tm_drain_events(struct tunmgr *tm);
/* tunnels_install.c: fill SA slot SLOT of direction DIR from T's spec
 * and raw keys. */
int tm_fill_sa(struct tunmgr *tm, struct tunnel *t, uint8_t dir, uint32_t slot,
	       const char **why);
/* tunnels_rekey.c */
void tm_rekey_answered(struct tunmgr *tm, struct tunnel *t);
void tm_rekey_poll(struct tunmgr *tm);
/* A rekey step of T waits for the workers' answers. */
bool tm_rekey_inflight(const struct tunnel *t);
/* T's rekey only waits to drop its old inbound SA: tm_rekey() queues
 * the next one (and cuts that wait short). */
bool tm_rekey_can_queue(const struct tunnel *t);
/* tm_rekey() on NAME would be taken now (no rekey, or one it queues). */
bool tm_rekey_ready(struct tunmgr *tm, const char *name);
/* Forget a rekey (the region went away or the tunnel is removed): the
 * waiters are told ERR. */
void tm_rekey_abort(struct tunmgr *tm, struct tunnel *t, int err,
		    const char *msg);
/* tunnels_sync.c and shared */
int tm_reconcile(struct tunmgr *tm);
void tm_set_state(struct tunmgr *tm, struct tunnel *t, enum p2sgw_slot_state to,
		  const char *why);
void tm_step(struct tunmgr *tm, struct tunnel *t);
void tm_start_removal(struct tunmgr *tm, struct tunnel *t, uint64_t workers);
struct tunnel *tm_tunnel_new(struct tunmgr *tm, const struct tun_spec *s,
			     uint32_t kind);
void tm_flush_notes(struct tunmgr *tm);
void tm_waiting_del(struct tunmgr *tm, struct tunnel *t);
/* A copy (64-byte aligned heap) of SA's filled part, or NULL. */
uint8_t *tm_copy_filled(const struct p2sgw_sa *sa);
uint64_t tm_all_workers(const struct tunmgr *tm);

#endif /* CP_TUNNELS_H */
