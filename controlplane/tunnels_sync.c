/* SPDX-License-Identifier: BSD-3-Clause
 * The tunnel manager meeting a region: attaching (and reconciling with the
 * records a region already holds when the control plane restarted while
 * the dataplane kept running), and detaching when the region goes away.
 *
 * Records are written by an earlier instance of this process, but the
 * region is shared memory: every index read from it is range-checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tunnels.h"

struct refs {
	bool *in, *out;
};

static bool
sa_in_free(void *arg, uint32_t i)
{
	const struct tunmgr *tm = arg;

	return p2sgw_chan_sa_in(tm->ch, i)->state == P2SGW_SLOT_FREE;
}

static bool
sa_out_free(void *arg, uint32_t i)
{
	const struct tunmgr *tm = arg;

	return p2sgw_chan_sa_out(tm->ch, i)->state == P2SGW_SLOT_FREE;
}

static bool
tun_free(void *arg, uint32_t i)
{
	const struct tunmgr *tm = arg;

	return p2sgw_chan_tunnel(tm->ch, i)->state == P2SGW_SLOT_FREE;
}

/* SA slots in use that no tunnel record refers to are wiped: no worker
 * can know them (workers learn SAs only through tunnel messages). */
static int
wipe_unreferenced(struct tunmgr *tm)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;
	const struct p2sgw_tunnel_rec *r;
	struct refs f = { calloc(h->max_sa_in, 1), calloc(h->max_sa_out, 1) };
	unsigned wiped = 0;
	uint32_t i;

	if (f.in == NULL || f.out == NULL) {
		free(f.in);
		free(f.out);
		return -1;
	}
	for (i = 0; i < h->max_tunnels; i++) {
		r = p2sgw_chan_tunnel(tm->ch, i);
		if (r->state == P2SGW_SLOT_FREE)
			continue;
		if (r->sa_in < h->max_sa_in)
			f.in[r->sa_in] = true;
		if (r->sa_in_prev < h->max_sa_in)
			f.in[r->sa_in_prev] = true;
		if (r->sa_out < h->max_sa_out)
			f.out[r->sa_out] = true;
	}
	for (i = 0; i < h->max_sa_in; i++) {
		if (!f.in[i] && !sa_in_free(tm, i)) {
			p2sgw_sa_wipe(p2sgw_chan_sa_in(tm->ch, i), h->sa_in_size);
			wiped++;
		}
	}
	for (i = 0; i < h->max_sa_out; i++) {
		if (!f.out[i] && !sa_out_free(tm, i)) {
			p2sgw_sa_wipe(p2sgw_chan_sa_out(tm->ch, i), h->sa_out_size);
			wiped++;
		}
	}
	if (wiped > 0)
		log_notice("channel: wiped %u SA slot(s) no tunnel refers to",
			   wiped);
	free(f.in);
	free(f.out);
	return 0;
}

static uint32_t
in_range(uint32_t i, uint32_t max)
{
	return i < max ? i : P2SGW_SLOT_NONE;
}

/* The parameters of an installed tunnel, read back from its records. */
static void
spec_from_record(const struct tunmgr *tm, const struct p2sgw_tunnel_rec *r,
		 const char *name, struct tun_spec *s)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;
	const struct p2sgw_sa *in = r->sa_in < h->max_sa_in ?
				    p2sgw_chan_sa_in(tm->ch, r->sa_in) : NULL;
	const struct p2sgw_sa *out = r->sa_out < h->max_sa_out ?
				     p2sgw_chan_sa_out(tm->ch, r->sa_out) : NULL;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = r->vip;
	if (in != NULL) {
		s->spi_in = in->spi;
		s->replay_window = in->replay.size;
	}
	if (out != NULL) {
		s->spi_out = out->spi;
		s->peer = __builtin_bswap32(out->peer_be);
		s->suite = out->suite < P2SGW_SUITE_COUNT ?
			   (enum p2sgw_suite)out->suite : P2SGW_SUITE_AES256GCM16;
		s->esn = (out->flags & P2SGW_SA_F_ESN) != 0;
		s->encap = (out->flags & P2SGW_SA_F_ENCAP) != 0;
		s->encap_sport = __builtin_bswap16(out->encap_peer_port_be);
		s->encap_dport = __builtin_bswap16(out->encap_local_port_be);
	}
}

static void
bind_slots(struct tunmgr *tm, struct tunnel *t, uint32_t i,
	   const struct p2sgw_tunnel_rec *r)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;

	t->slot = i;
	t->sa_in = in_range(r->sa_in, h->max_sa_in);
	t->sa_out = in_range(r->sa_out, h->max_sa_out);
	t->sa_in_prev = in_range(r->sa_in_prev, h->max_sa_in);
	tm->by_slot[i] = t;
	if (t->sa_in != P2SGW_SLOT_NONE)
		tm->by_sa_in[t->sa_in] = t;
	if (t->sa_in_prev != P2SGW_SLOT_NONE)
		tm->by_sa_in[t->sa_in_prev] = t;
	if (t->sa_out != P2SGW_SLOT_NONE)
		tm->by_sa_out[t->sa_out] = t;
}

/* A record that must leave the region: send TUNNEL_DEL to every worker
 * (whatever it held, it then holds nothing), then wipe. */
static void
remove_record(struct tunmgr *tm, uint32_t i, const char *name, const char *why)
{
	const struct p2sgw_tunnel_rec *r = p2sgw_chan_tunnel(tm->ch, i);
	struct tun_spec s;
	struct tunnel *t;

	spec_from_record(tm, r, name, &s);
	t = tm_tunnel_new(tm, &s, r->kind);
	if (t == NULL) {
		log_error("tunnel %s: out of memory; its slot stays in use", name);
		return;
	}
	t->orphan = true;
	t->id = r->id;
	t->created_ns = r->created_ns;
	bind_slots(tm, t, i, r);
	log_notice("tunnel %s: found %s in the channel: %s", name,
		   tm_state_name(r->state), why);
	tm_start_removal(tm, t, tm_all_workers(tm));
}

/* T takes over the live record I: nothing is sent, no packet disturbed. */
static int
adopt(struct tunmgr *tm, struct tunnel *t, uint32_t i)
{
	const struct p2sgw_tunnel_rec *r = p2sgw_chan_tunnel(tm->ch, i);

	/* A runtime tunnel added by an earlier process: its keys exist only
	 * in the region, so keep the filled records to push them again. */
	if (t->keys == NULL && t->copy_in == NULL) {
		t->copy_in = tm_copy_filled(p2sgw_chan_sa_in(tm->ch, r->sa_in));
		t->copy_out = tm_copy_filled(p2sgw_chan_sa_out(tm->ch, r->sa_out));
		if (t->copy_in == NULL || t->copy_out == NULL)
			return -1;
		t->copy_arch = tm->ch->hdr->crypto_arch;
	}
	t->id = r->id;
	t->created_ns = r->created_ns;
	t->present = true;
	bind_slots(tm, t, i, r);
	tm_waiting_del(tm, t);		/* it is in the region already */
	tm_set_state(tm, t, P2SGW_SLOT_LIVE, "adopted");
	return 0;
}

static bool
record_intact(const struct tunmgr *tm, const struct p2sgw_tunnel_rec *r)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;

	return r->sa_in < h->max_sa_in && r->sa_out < h->max_sa_out &&
	       p2sgw_chan_sa_in(tm->ch, r->sa_in)->state == P2SGW_SLOT_LIVE &&
	       p2sgw_chan_sa_out(tm->ch, r->sa_out)->state == P2SGW_SLOT_LIVE;
}

static void
reconcile_record(struct tunmgr *tm, uint32_t i)
{
	const struct p2sgw_tunnel_rec *r = p2sgw_chan_tunnel(tm->ch, i);
	char name[P2SGW_NAME_LEN];
	struct tun_spec s;
	struct tunnel *t;

	if (memchr(r->name, '\0', sizeof(r->name)) != NULL && r->name[0] != '\0')
		memcpy(name, r->name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(slot %u)", i);
	if (r->state != P2SGW_SLOT_LIVE || !record_intact(tm, r)) {
		remove_record(tm, i, name, "finishing its removal");
		return;
	}
	t = tm_find(tm, name);
	if (t != NULL && t->state == P2SGW_SLOT_FREE &&
	    t->cfg_hash == r->cfg_hash) {
		if (adopt(tm, t, i) != 0)
			log_error("tunnel %s: out of memory adopting it", name);
		return;
	}
	if (t != NULL && t->state == P2SGW_SLOT_FREE) {
		remove_record(tm, i, name, "its configuration changed: "
			      "replacing it (delete, then add)");
		return;
	}
	if (t == NULL && r->kind == TK_MANUAL) {
		spec_from_record(tm, r, name, &s);
		t = tm_tunnel_new(tm, &s, TK_MANUAL);
		if (t == NULL || adopt(tm, t, i) != 0) {
			log_error("tunnel %s: out of memory adopting it", name);
			return;
		}
		t->cfg_hash = r->cfg_hash;
		return;
	}
	remove_record(tm, i, name, t != NULL ? "a second record of the same "
		      "name" : "no longer configured: removing it");
}

int
tm_reconcile(struct tunmgr *tm)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;
	const struct p2sgw_tunnel_rec *r;
	uint32_t i;

	if (wipe_unreferenced(tm) != 0)
		return -1;
	slots_rebuild(&tm->tun_slots, tun_free, tm);
	slots_rebuild(&tm->in_slots, sa_in_free, tm);
	slots_rebuild(&tm->out_slots, sa_out_free, tm);
	for (i = 0; i < h->max_tunnels; i++) {
		r = p2sgw_chan_tunnel(tm->ch, i);
		if (r->state != P2SGW_SLOT_FREE && r->id >= tm->next_id)
			tm->next_id = r->id + 1;
	}
	for (i = 0; i < h->max_tunnels; i++)
		if (p2sgw_chan_tunnel(tm->ch, i)->state != P2SGW_SLOT_FREE)
			reconcile_record(tm, i);
	return 0;
}

int
tm_attach(struct tunmgr *tm, const struct p2sgw_chan *ch, IMB_MGR *mgr,
	  char *err, size_t errlen)
{
	const struct p2sgw_chan_hdr *h = ch->hdr;

	if (tm->ch != NULL)
		tm_detach(tm, "another region attached");
	tm->by_slot = calloc(h->max_tunnels, sizeof(tm->by_slot[0]));
	tm->by_sa_in = calloc(h->max_sa_in, sizeof(tm->by_sa_in[0]));
	tm->by_sa_out = calloc(h->max_sa_out, sizeof(tm->by_sa_out[0]));
	if (tm->by_slot == NULL || tm->by_sa_in == NULL ||
	    tm->by_sa_out == NULL ||
	    slots_init(&tm->tun_slots, h->max_tunnels) != 0 ||
	    slots_init(&tm->in_slots, h->max_sa_in) != 0 ||
	    slots_init(&tm->out_slots, h->max_sa_out) != 0)
		goto nomem;
	tm->ch = ch;
	tm->mgr = mgr;
	chanq_reset(&tm->q, ch);
	if (tm_reconcile(tm) != 0)
		goto nomem;
	tm->more_to_install = tm->n_waiting > 0;
	tm_flush_notes(tm);
	return 0;
nomem:
	snprintf(err, errlen, "out of memory for a channel of %u tunnels",
		 h->max_tunnels);
	tm_detach(tm, NULL);
	return -1;
}

void
tm_detach(struct tunmgr *tm, const char *why)
{
	struct tunnel *t, *next;

	for (t = tm->head; t != NULL; t = next) {
		next = t->next;
		if (t->state == P2SGW_SLOT_FREE)
			continue;
		/* a rekey's new SAs are the tunnel's now: the next region
		 * gets them, so whoever waits for them may go on */
		tm_rekey_abort(tm, t, 0, NULL);
		t->slot = t->sa_in = t->sa_out = t->sa_in_prev =
			P2SGW_SLOT_NONE;
		t->rk_out_old = P2SGW_SLOT_NONE;
		tm_set_state(tm, t, P2SGW_SLOT_FREE, why);
		tm_step(tm, t);
	}
	tm_drop_region(tm);
	tm_flush_notes(tm);
}

void
tm_drop_region(struct tunmgr *tm)
{
	free(tm->by_slot);
	free(tm->by_sa_in);
	free(tm->by_sa_out);
	tm->by_slot = tm->by_sa_in = tm->by_sa_out = NULL;
	slots_fini(&tm->tun_slots);
	slots_fini(&tm->in_slots);
	slots_fini(&tm->out_slots);
	chanq_reset(&tm->q, NULL);
	tm->ch = NULL;
	tm->mgr = NULL;
	tm->more_to_install = false;
}
