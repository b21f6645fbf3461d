/* SPDX-License-Identifier: BSD-3-Clause
 * The tunnel manager's writes to the region: installing a tunnel (slots,
 * SA records filled from the raw keys the first time and from the kept
 * copies afterwards, the tunnel record, TUNNEL_ADD to every worker) and
 * removing one (TUNNEL_DEL, then wiping every slot it held).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tunnels.h"

static void
sa_params(const struct tunmgr *tm, const struct tunnel *t, uint8_t dir,
	  struct p2sgw_sa_params *p)
{
	const struct tun_spec *s = &t->spec;
	const struct tun_keys *k = t->keys;

	memset(p, 0, sizeof(*p));
	p->spi = dir ? s->spi_out : s->spi_in;
	p->dir = dir;
	p->suite = s->suite;
	p->key = dir ? k->key_out : k->key_in;
	p->key_len = k->key_len;
	p->auth_key = k->auth_len ? (dir ? k->auth_out : k->auth_in) : NULL;
	p->auth_key_len = k->auth_len;
	p->esn = s->esn;
	p->encap = s->encap;
	p->peer = s->peer;
	p->local = tm->net.local;
	p->encap_peer_port = s->encap_sport;
	p->encap_local_port = s->encap_dport;
	p->replay_window = s->replay_window;
	p->vip = s->vip;
	p->nexthop = p2sgw_prefix4_contains(&tm->net.uplink, s->peer) ?
		     s->peer : tm->net.gateway;
	p->tunnel = t->slot;
	if (s->soft_s != 0)
		p->soft_ns = p2sgw_now_ns() + (uint64_t)s->soft_s * 1000000000ull;
	if (s->hard_s != 0)
		p->hard_ns = p2sgw_now_ns() + (uint64_t)s->hard_s * 1000000000ull;
	p->soft_bytes = s->soft_bytes;
	p->hard_bytes = s->hard_bytes;
}

int
tm_fill_sa(struct tunmgr *tm, struct tunnel *t, uint8_t dir, uint32_t slot,
	   const char **why)
{
	struct p2sgw_sa_params p;

	sa_params(tm, t, dir, &p);
	p.tunnel = t->slot;
	return p2sgw_chan_sa_fill(tm->ch, slot, tm->mgr, &p, why);
}

uint8_t *
tm_copy_filled(const struct p2sgw_sa *sa)
{
	uint8_t *c = aligned_alloc(P2SGW_CACHE_LINE, TM_SA_FILLED_LEN);

	if (c != NULL)
		memcpy(c, sa, TM_SA_FILLED_LEN);
	return c;
}

/* Expand the raw keys into the slots. The raw keys stay with the tunnel
 * (they are no more secret than the expanded ones) so that a new region
 * gets them expanded again, by whatever code path its dataplane runs. */
static int
fill_from_keys(struct tunmgr *tm, struct tunnel *t, const char **why)
{
	struct p2sgw_sa_params p;

	sa_params(tm, t, 0, &p);
	if (p2sgw_chan_sa_fill(tm->ch, t->sa_in, tm->mgr, &p, why) != 0)
		return -1;
	sa_params(tm, t, 1, &p);
	return p2sgw_chan_sa_fill(tm->ch, t->sa_out, tm->mgr, &p, why);
}

/* Later installs: the kept records, with this region's bookkeeping. */
static void
restore_sa(struct p2sgw_sa *sa, const uint8_t *copy, uint32_t tslot,
	   uint32_t window)
{
	memcpy(sa, copy, TM_SA_FILLED_LEN);
	sa->owner = P2SGW_SA_OWNER_NONE;
	sa->tunnel = tslot;
	sa->acks = 0;
	sa->created_ns = p2sgw_now_ns();
	memset(&sa->st, 0, sizeof(sa->st));
	sa->st.deadline_ns = UINT64_MAX;
	if (sa->soft_ns != 0)
		sa->st.deadline_ns = sa->soft_ns;
	if (sa->hard_ns != 0 && sa->hard_ns < sa->st.deadline_ns)
		sa->st.deadline_ns = sa->hard_ns;
	if (sa->dir == 0)
		replay_init(&sa->replay, window);
}

static const char *
arch_name(uint32_t arch)
{
	static const char *const n[] = { "none", "NOAESNI", "SSE", "AVX",
					 "AVX2", "AVX512" };

	return arch < sizeof(n) / sizeof(n[0]) ? n[arch] : "unknown";
}

void
tm_release_slots(struct tunmgr *tm, struct tunnel *t)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;

	if (t->sa_in < h->max_sa_in) {
		p2sgw_sa_wipe(p2sgw_chan_sa_in(tm->ch, t->sa_in), h->sa_in_size);
		tm->by_sa_in[t->sa_in] = NULL;
		slots_free(&tm->in_slots, t->sa_in);
	}
	if (t->sa_in_prev < h->max_sa_in) {
		p2sgw_sa_wipe(p2sgw_chan_sa_in(tm->ch, t->sa_in_prev),
			      h->sa_in_size);
		tm->by_sa_in[t->sa_in_prev] = NULL;
		slots_free(&tm->in_slots, t->sa_in_prev);
	}
	if (t->sa_out < h->max_sa_out) {
		p2sgw_sa_wipe(p2sgw_chan_sa_out(tm->ch, t->sa_out),
			      h->sa_out_size);
		tm->by_sa_out[t->sa_out] = NULL;
		slots_free(&tm->out_slots, t->sa_out);
	}
	if (t->rk_out_old < h->max_sa_out) {	/* a rekey was cut short */
		p2sgw_sa_wipe(p2sgw_chan_sa_out(tm->ch, t->rk_out_old),
			      h->sa_out_size);
		tm->by_sa_out[t->rk_out_old] = NULL;
		slots_free(&tm->out_slots, t->rk_out_old);
	}
	t->rk_out_old = P2SGW_SLOT_NONE;
	if (t->slot < h->max_tunnels) {
		explicit_bzero(p2sgw_chan_tunnel(tm->ch, t->slot), h->tunnel_size);
		tm->by_slot[t->slot] = NULL;
		slots_free(&tm->tun_slots, t->slot);
	}
	t->slot = t->sa_in = t->sa_out = t->sa_in_prev = P2SGW_SLOT_NONE;
}

static int
take_slots(struct tunmgr *tm, struct tunnel *t)
{
	t->slot = slots_alloc(&tm->tun_slots);
	t->sa_in = slots_alloc(&tm->in_slots);
	t->sa_out = slots_alloc(&tm->out_slots);
	t->sa_in_prev = P2SGW_SLOT_NONE;
	if (t->slot != P2SGW_SLOT_NONE && t->sa_in != P2SGW_SLOT_NONE &&
	    t->sa_out != P2SGW_SLOT_NONE) {
		tm->by_slot[t->slot] = t;
		tm->by_sa_in[t->sa_in] = t;
		tm->by_sa_out[t->sa_out] = t;
		return 0;
	}
	if (t->slot != P2SGW_SLOT_NONE)
		slots_free(&tm->tun_slots, t->slot);
	if (t->sa_in != P2SGW_SLOT_NONE)
		slots_free(&tm->in_slots, t->sa_in);
	if (t->sa_out != P2SGW_SLOT_NONE)
		slots_free(&tm->out_slots, t->sa_out);
	t->slot = t->sa_in = t->sa_out = P2SGW_SLOT_NONE;
	return -1;
}

static void
fill_record(struct tunmgr *tm, struct tunnel *t)
{
	struct p2sgw_tunnel_rec *r = p2sgw_chan_tunnel(tm->ch, t->slot);

	if (t->id == 0)
		t->id = tm->next_id++;
	if (t->created_ns == 0)
		t->created_ns = p2sgw_now_ns();
	r->acks = 0;
	r->id = t->id;
	r->vip = t->spec.vip;
	r->sa_in = t->sa_in;
	r->sa_out = t->sa_out;
	r->sa_in_prev = P2SGW_SLOT_NONE;
	r->kind = t->kind;
	r->created_ns = t->created_ns;
	r->cfg_hash = t->cfg_hash;
	snprintf(r->name, sizeof(r->name), "%s", t->spec.name);
}

/* Whether T cannot go into this region (MSG says why). */
static bool
unfit(const struct tunmgr *tm, const struct tunnel *t, char *msg, size_t len)
{
	uint32_t max = p2sgw_chan_max_window(tm->ch);

	if (t->spec.replay_window > max) {
		snprintf(msg, len, "replay window %u is larger than the %u the "
			 "dataplane's channel holds (control.max_replay_window)",
			 t->spec.replay_window, max);
		return true;
	}
	if (t->keys == NULL && t->copy_arch != tm->ch->hdr->crypto_arch) {
		snprintf(msg, len, "keys were expanded for %s but the dataplane "
			 "runs %s: add the tunnel again", arch_name(t->copy_arch),
			 arch_name(tm->ch->hdr->crypto_arch));
		return true;
	}
	return false;
}

/* FREE -> FILLED: slots, SA records, tunnel record, TUNNEL_ADD to all. */
static void
install(struct tunmgr *tm, struct tunnel *t)
{
	struct p2sgw_sa *in, *out;
	const char *why = NULL;
	char msg[TM_FAIL_LEN];

	tm_waiting_del(tm, t);
	if (unfit(tm, t, msg, sizeof(msg))) {
		tm_fail(tm, t, "%s", msg);
		tm_step(tm, t);
		return;
	}
	if (take_slots(tm, t) != 0) {
		snprintf(msg, sizeof(msg), "the channel is full (%u tunnels): "
			 "raise control.max_tunnels",
			 tm->ch->hdr->max_tunnels);
		tm_fail(tm, t, "%s", msg);
		tm_step(tm, t);
		return;
	}
	in = p2sgw_chan_sa_in(tm->ch, t->sa_in);
	out = p2sgw_chan_sa_out(tm->ch, t->sa_out);
	/* marked before any key byte is written: if this process dies
	 * half-way, the next one finds the slots in use, unreferenced, and
	 * wipes them */
	in->state = out->state = P2SGW_SLOT_FILLED;
	if (t->keys != NULL) {
		if (fill_from_keys(tm, t, &why) != 0) {
			tm_release_slots(tm, t);
			tm_fail(tm, t, "cannot fill its SAs: %s", why);
			tm_step(tm, t);
			return;
		}
		in->tunnel = out->tunnel = t->slot;
	} else {
		restore_sa(in, t->copy_in, t->slot, t->spec.replay_window);
		restore_sa(out, t->copy_out, t->slot, 0);
	}
	in->acks = out->acks = 0;
	if (!p2sgw_prefix4_contains(&tm->net.uplink, t->spec.peer) &&
	    tm->net.gateway == 0)
		log_warning("tunnel %s: peer %s is off the uplink subnet and "
			    "the uplink has no gateway: nothing can be sent "
			    "to it", t->spec.name, TUN_IP(t->spec.peer));
	fill_record(tm, t);
	tm->stats.installs++;
	tm_set_state(tm, t, P2SGW_SLOT_FILLED, NULL);
	tm_send(tm, t, P2SGW_MSG_TUNNEL_ADD, tm_all_workers(tm));
}

/* Another tunnel with the same name, VIP or SPI still holds slots. */
static bool
blocked(struct tunmgr *tm, struct tunnel *t)
{
	struct tunnel *u;
	int k;

	for (k = 0; k < TIDX_COUNT; k++) {
		for (u = tidx_first(&tm->idx, k, t); u != NULL;
		     u = tidx_next(k, u, t)) {
			if (u->state == P2SGW_SLOT_FREE)
				continue;
			if (!t->blocked_logged && u->present)
				log_warning("tunnel %s: waiting: its %s is used "
					    "by tunnel %s", t->spec.name,
					    tm_key_what[k], u->spec.name);
			else
				log_debug("tunnel %s: waiting for %s to leave",
					  t->spec.name, u->spec.name);
			t->blocked_logged = u->present;
			return true;
		}
	}
	return false;
}

void
tm_install_waiting(struct tunmgr *tm)
{
	struct tunnel *t, *next;
	unsigned budget = TM_INSTALL_BATCH;

	tm->more_to_install = false;
	if (tm->ch == NULL)
		return;
	for (t = tm->whead; t != NULL; t = next) {
		next = t->wnext;
		if (budget == 0) {
			tm->more_to_install = true;
			return;
		}
		if (blocked(tm, t))
			continue;
		install(tm, t);
		budget--;
	}
}

/* -> DYING: TUNNEL_DEL to WORKERS (those that hold the tunnel). */
void
tm_start_removal(struct tunmgr *tm, struct tunnel *t, uint64_t workers)
{
	tm->stats.removals++;
	tm_set_state(tm, t, P2SGW_SLOT_DYING, NULL);
	if (workers == 0) {
		tm_release_slots(tm, t);
		tm_set_state(tm, t, P2SGW_SLOT_FREE, NULL);
		tm_step(tm, t);
		return;
	}
	tm_send(tm, t, P2SGW_MSG_TUNNEL_DEL, workers);
}

