/* SPDX-License-Identifier: BSD-3-Clause
 * The workers' events: acks and nacks of a tunnel's pending change, and
 * SA lifetimes. Events come from another process: the worker, slot and
 * sequence number of each are checked against what is pending before
 * anything acts on them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tunnels.h"

/* Every worker the change went to has answered. */
static void
change_done(struct tunmgr *tm, struct tunnel *t)
{
	char msg[TM_FAIL_LEN];

	if (t->state == P2SGW_SLOT_LIVE && tm_rekey_inflight(t)) {
		tm_rekey_answered(tm, t);
		return;
	}
	if (t->state == P2SGW_SLOT_FILLED && t->nacked == 0) {
		tm_set_state(tm, t, P2SGW_SLOT_LIVE, NULL);
		tm_notify(tm, &t->add_w, &t->n_add_w, 0, NULL);
		tm_step(tm, t);
		return;
	}
	if (t->state == P2SGW_SLOT_FILLED) {
		snprintf(msg, sizeof(msg), "worker %u refused it: %s",
			 t->nack_worker, strerror((int)t->nack_err));
		tm_fail(tm, t, "%s", msg);
		tm_start_removal(tm, t, t->acked);
		return;
	}
	if (t->nacked != 0)
		log_warning("tunnel %s: worker %u could not remove it: %s",
			    t->spec.name, t->nack_worker,
			    strerror((int)t->nack_err));
	tm_release_slots(tm, t);
	tm_set_state(tm, t, P2SGW_SLOT_FREE, NULL);
	tm_step(tm, t);
}

static void
on_answer(struct tunmgr *tm, unsigned w, const struct p2sgw_event *e)
{
	uint64_t bit = UINT64_C(1) << w;
	struct tunnel *t = e->slot < tm->ch->hdr->max_tunnels ?
			   tm->by_slot[e->slot] : NULL;

	/* a rekey's SA_IN_ADD / SA_IN_DEL name an inbound SA slot */
	if ((t == NULL || t->seq != e->seq) && e->slot < tm->ch->hdr->max_sa_in &&
	    tm->by_sa_in[e->slot] != NULL &&
	    tm->by_sa_in[e->slot]->seq == e->seq)
		t = tm->by_sa_in[e->slot];
	if (t == NULL || t->seq != e->seq ||
	    !(tm_inflight(t->state) || tm_rekey_inflight(t)) ||
	    !(t->sent & bit) || ((t->acked | t->nacked) & bit)) {
		tm->stats.stale_events++;
		log_debug("worker %u: %s seq %u slot %u matches nothing pending",
			  w, e->type == P2SGW_EV_ACK ? "ack" : "nack", e->seq,
			  e->slot);
		return;
	}
	if (e->type == P2SGW_EV_ACK) {
		tm->stats.acks++;
		t->acked |= bit;
	} else {
		tm->stats.nacks++;
		if (t->nacked == 0) {
			t->nack_err = e->arg;
			t->nack_worker = w;
		}
		t->nacked |= bit;
	}
	p2sgw_chan_tunnel(tm->ch, t->slot)->acks =
		(uint32_t)__builtin_popcountll(t->acked);
	if ((t->acked | t->nacked) == t->sent)
		change_done(tm, t);
}

static void
on_lifetime(struct tunmgr *tm, unsigned w, const struct p2sgw_event *e)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;
	struct tunnel *t = NULL;
	uint32_t spi = 0;

	if (e->arg == 0 && e->slot < h->max_sa_in) {
		t = tm->by_sa_in[e->slot];
		spi = p2sgw_chan_sa_in(tm->ch, e->slot)->spi;
	} else if (e->arg == 1 && e->slot < h->max_sa_out) {
		t = tm->by_sa_out[e->slot];
		spi = p2sgw_chan_sa_out(tm->ch, e->slot)->spi;
	}
	if (t == NULL) {
		tm->stats.stale_events++;
		log_debug("worker %u: lifetime event for unused SA slot %u",
			  w, e->slot);
		return;
	}
	/* an SA a rekey is retiring: its successor carries the tunnel */
	if ((e->arg == 0 && e->slot == t->sa_in_prev) ||
	    (e->arg == 1 && e->slot == t->rk_out_old)) {
		log_debug("SA 0x%08x (tunnel %s): lifetime of a retiring SA",
			  spi, t->spec.name);
		return;
	}
	if (e->type == P2SGW_EV_SOFT_LIFETIME)
		tm->stats.soft_lifetime++;
	else
		tm->stats.hard_lifetime++;
	if (t->present && tm->life_fn != NULL &&
	    tm->life_fn(tm->life_arg, t, e->type == P2SGW_EV_HARD_LIFETIME))
		return;
	if (e->type == P2SGW_EV_SOFT_LIFETIME) {
		log_notice("SA 0x%08x (tunnel %s): soft lifetime reached, rekey "
			   "needed", spi, t->spec.name);
		return;
	}
	log_warning("SA 0x%08x (tunnel %s): hard lifetime reached: removing "
		    "the tunnel", spi, t->spec.name);
	if (t->present) {
		t->present = false;
		tm_notify(tm, &t->add_w, &t->n_add_w, ETIMEDOUT, "hard lifetime reached");
		tm_step(tm, t);
	}
}

static void
set_peer(struct p2sgw_sa *sa, uint32_t addr_be, uint16_t port_be,
	 uint32_t nexthop)
{
	__atomic_store_n(&sa->encap_peer_port_be, port_be, __ATOMIC_RELAXED);
	__atomic_store_n(&sa->peer_be, addr_be, __ATOMIC_RELAXED);
	if (sa->dir == 1)
		__atomic_store_n(&sa->nexthop, nexthop, __ATOMIC_RELAXED);
}

/* An authentic ESP-in-UDP packet came from another address or port (RFC
 * 3948 s5.2): send there from now on. */
static void
on_nat_mapping(struct tunmgr *tm, unsigned w, const struct p2sgw_event *e)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;
	struct tunnel *t = e->slot < h->max_sa_in ? tm->by_sa_in[e->slot] : NULL;
	uint32_t addr = (uint32_t)e->value, nh;
	uint16_t port = (uint16_t)e->arg;
	uint32_t slots[3];

	if (t == NULL || !t->present || t->state != P2SGW_SLOT_LIVE ||
	    !t->spec.encap || addr == 0 || port == 0) {
		tm->stats.stale_events++;
		return;
	}
	if (addr == t->spec.peer && port == t->spec.encap_sport)
		return;
	tm->stats.nat_mappings++;
	log_notice("tunnel %s: the client moved from %s:%u to %s:%u (NAT "
		   "mapping, worker %u)", t->spec.name, TUN_IP(t->spec.peer),
		   t->spec.encap_sport, TUN_IP(addr), port, w);
	tidx_remove(&tm->idx, t);
	t->spec.peer = addr;
	t->spec.encap_sport = port;
	tidx_insert(&tm->idx, t);
	if (t->keys != NULL)
		t->cfg_hash = tunspec_hash(&t->spec, t->keys);
	nh = p2sgw_prefix4_contains(&tm->net.uplink, addr) ? addr : tm->net.gateway;
	slots[0] = t->sa_out;
	slots[1] = t->rk_out_old;
	for (int i = 0; i < 2; i++)
		if (slots[i] < h->max_sa_out)
			set_peer(p2sgw_chan_sa_out(tm->ch, slots[i]),
				 __builtin_bswap32(addr), __builtin_bswap16(port), nh);
	slots[0] = t->sa_in;
	slots[1] = t->sa_in_prev;
	for (int i = 0; i < 2; i++)
		if (slots[i] < h->max_sa_in)
			set_peer(p2sgw_chan_sa_in(tm->ch, slots[i]),
				 __builtin_bswap32(addr), __builtin_bswap16(port), nh);
	p2sgw_chan_tunnel(tm->ch, t->slot)->cfg_hash = t->cfg_hash;
	if (tm->moved_fn != NULL)
		tm->moved_fn(tm->moved_arg, t);
}

static void
on_event(struct tunmgr *tm, unsigned w, const struct p2sgw_event *e)
{
	if (e->worker != w) {
		tm->stats.bad_events++;
		log_debug("worker %u: event claims worker %u", w, e->worker);
		return;
	}
	switch (e->type) {
	case P2SGW_EV_ACK:
	case P2SGW_EV_NACK:
		on_answer(tm, w, e);
		break;
	case P2SGW_EV_SOFT_LIFETIME:
	case P2SGW_EV_HARD_LIFETIME:
		on_lifetime(tm, w, e);
		break;
	case P2SGW_EV_NAT_MAPPING:
		on_nat_mapping(tm, w, e);
		break;
	default:
		tm->stats.bad_events++;
		log_debug("worker %u: unknown event type %u", w, e->type);
		break;
	}
}

void
tm_drain_events(struct tunmgr *tm)
{
	const struct p2sgw_event *p;
	struct p2sgw_event e;
	struct p2sgw_ring *r;
	unsigned w, n;

	for (w = 0; w < tm->ch->hdr->n_workers; w++) {
		r = p2sgw_chan_ev_ring(tm->ch, w);
		for (n = 0; n < tm->ch->hdr->ev_slots &&
			    (p = p2sgw_ring_peek(r)) != NULL; n++) {
			e = *p;
			p2sgw_ring_pop(r);
			on_event(tm, w, &e);
		}
	}
}

