/* SPDX-License-Identifier: BSD-3-Clause
 * The worker's side of the channel: apply the control plane's messages to
 * this worker's lookup tables, acknowledge each one, and raise lifetime
 * events. Called from the worker loop between bursts, so no packet of
 * this worker is using an SA while its lookups change.
 *
 * The messages come from another process: every slot index is checked
 * against the region's limits before it is used.
 */
#include <errno.h>

#include <rte_hash.h>

#include "dp.h"

static struct p2sgw_sa *
sa_in_at(uint32_t i)
{
	return i < dp.chan.hdr->max_sa_in ? p2sgw_chan_sa_in(&dp.chan, i) : NULL;
}

static struct p2sgw_sa *
sa_out_at(uint32_t i)
{
	return i < dp.chan.hdr->max_sa_out ? p2sgw_chan_sa_out(&dp.chan, i) : NULL;
}

static struct p2sgw_tunnel_rec *
tunnel_at(uint32_t i)
{
	return i < dp.chan.hdr->max_tunnels ? p2sgw_chan_tunnel(&dp.chan, i) :
					       NULL;
}

static int
tunnel_add(struct dp_worker *w, const struct p2sgw_tunnel_rec *t)
{
	struct p2sgw_sa *in = sa_in_at(t->sa_in), *out = sa_out_at(t->sa_out);
	int rc;

	if (in == NULL || out == NULL || in->dir != 0 || out->dir != 1 ||
	    in->replay.word_mask >= dp.chan.hdr->replay_words)
		return -EINVAL;
	rc = sa_tables_add_in(&w->tab, in);
	if (rc == 0)
		rc = sa_tables_set_out(&w->tab, t->vip, out);
	if (rc != 0)
		sa_tables_del_in(&w->tab, in);
	return rc;
}

static void
tunnel_del(struct dp_worker *w, const struct p2sgw_tunnel_rec *t)
{
	struct p2sgw_sa *in = sa_in_at(t->sa_in), *prev = sa_in_at(t->sa_in_prev);

	if (in != NULL)
		sa_tables_del_in(&w->tab, in);
	if (prev != NULL)
		sa_tables_del_in(&w->tab, prev);
	sa_tables_del_out(&w->tab, t->vip);
}

static int
apply(struct dp_worker *w, const struct p2sgw_msg *m)
{
	const struct p2sgw_tunnel_rec *t;
	struct p2sgw_sa *sa;

	switch (m->type) {
	case P2SGW_MSG_SYNC:
		return 0;
	case P2SGW_MSG_TUNNEL_ADD:
		t = tunnel_at(m->slot);
		return t != NULL ? tunnel_add(w, t) : -EINVAL;
	case P2SGW_MSG_TUNNEL_DEL:
		t = tunnel_at(m->slot);
		if (t == NULL)
			return -EINVAL;
		tunnel_del(w, t);
		return 0;
	case P2SGW_MSG_SA_IN_ADD:
		sa = sa_in_at(m->slot);
		if (sa == NULL || sa->replay.word_mask >= dp.chan.hdr->replay_words)
			return -EINVAL;
		return sa_tables_add_in(&w->tab, sa);
	case P2SGW_MSG_SA_IN_DEL:
		sa = sa_in_at(m->slot);
		if (sa == NULL)
			return -EINVAL;
		sa_tables_del_in(&w->tab, sa);
		return 0;
	case P2SGW_MSG_TUNNEL_SET_OUT:
		t = tunnel_at(m->slot);
		if (t == NULL || (sa = sa_out_at(t->sa_out)) == NULL)
			return -EINVAL;
		return sa_tables_set_out(&w->tab, t->vip, sa);
	case P2SGW_MSG_FLUSH:
		sa_tables_reset(&w->tab);
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* Apply up to P2SGW_CHAN_DRAIN messages. A message stays in the ring
 * while there is no room for its acknowledgement (back-pressure). */
void
dp_chan_poll(struct dp_worker *w)
{
	struct p2sgw_ring *in = w->msg_ring, *ev = w->ev_ring;
	unsigned i;

	for (i = 0; i < P2SGW_CHAN_DRAIN; i++) {
		const struct p2sgw_msg *m = p2sgw_ring_peek(in);
		struct p2sgw_event e = { .worker = w->idx };
		int rc;

		if (m == NULL || p2sgw_ring_free(ev) == 0)
			return;
		rc = apply(w, m);
		e.type = rc == 0 ? P2SGW_EV_ACK : P2SGW_EV_NACK;
		e.seq = m->seq;
		e.slot = m->slot;
		e.arg = (uint32_t)-rc;
		p2sgw_ring_push(ev, &e);
		p2sgw_ring_pop(in);
	}
}

/* Post a lifetime event; false if the ring is full (try again later). */
static bool
lifetime_event(struct dp_worker *w, const struct p2sgw_sa *sa, uint32_t type)
{
	struct p2sgw_event e = {
		.type = type, .worker = w->idx, .arg = sa->dir,
		.slot = sa->dir == 0 ?
			(uint32_t)(((const uint8_t *)sa - dp.chan.base -
				    dp.chan.hdr->off_sa_in) / dp.chan.hdr->sa_in_size) :
			(uint32_t)(((const uint8_t *)sa - dp.chan.base -
				    dp.chan.hdr->off_sa_out) / dp.chan.hdr->sa_out_size),
		.value = sa->st.bytes,
	};

	return p2sgw_ring_push(w->ev_ring, &e);
}

/* An authentic ESP-in-UDP packet for inbound SA came from ADDR:PORT
 * (network order) while the SA names another peer: the client's NAT
 * mapping changed. Reported once per new mapping; the control plane moves
 * the tunnel's outbound SA there. */
void
dp_nat_mapping(struct dp_worker *w, struct p2sgw_sa *sa, uint32_t addr_be,
	       uint16_t port_be)
{
	struct p2sgw_event e = {
		.type = P2SGW_EV_NAT_MAPPING, .worker = w->idx,
		.slot = (uint32_t)(((const uint8_t *)sa - dp.chan.base -
				    dp.chan.hdr->off_sa_in) / dp.chan.hdr->sa_in_size),
		.arg = rte_be_to_cpu_16(port_be),
		.value = rte_be_to_cpu_32(addr_be),
	};

	if (sa->st.map_addr_be == addr_be && sa->st.map_port_be == port_be)
		return;
	if (p2sgw_ring_push(w->ev_ring, &e)) {
		sa->st.map_addr_be = addr_be;
		sa->st.map_port_be = port_be;
		CNT_INC(w, nat_mapping);
	}
}

static inline bool
past(uint64_t v, uint64_t limit)
{
	return limit != 0 && v >= limit;
}

/* The slow half of dp_sa_account: soft limits raise an event once (the
 * control plane rekeys), hard limits retire the SA, and the outbound
 * sequence number nearing its end counts as soft. */
void
dp_sa_lifetime(struct dp_worker *w, struct p2sgw_sa *sa)
{
	uint64_t now = w->now_ns;

	if (!sa->st.soft_fired &&
	    (past(sa->st.bytes, sa->soft_bytes) ||
	     past(sa->st.packets, sa->soft_packets) || past(now, sa->soft_ns) ||
	     sa->st.seq >= sa->seq_last - (sa->seq_last >> 4)))
		sa->st.soft_fired = lifetime_event(w, sa, P2SGW_EV_SOFT_LIFETIME);
	if (!sa->st.expired &&
	    (past(sa->st.bytes, sa->hard_bytes) ||
	     past(sa->st.packets, sa->hard_packets) || past(now, sa->hard_ns))) {
		sa->st.expired = 1;
		/* If the ring is full the control plane still finds the SA
		 * expired when it reads it. */
		lifetime_event(w, sa, P2SGW_EV_HARD_LIFETIME);
	}
	sa->st.deadline_ns = sa->st.expired ? UINT64_MAX :
			     sa->st.soft_fired && sa->hard_ns ? sa->hard_ns :
			     sa->st.soft_fired ? UINT64_MAX : sa->st.deadline_ns;
}
