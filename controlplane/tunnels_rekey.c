/* SPDX-License-Identifier: BSD-3-Clause
 * Rekeying a LIVE tunnel, make before break (see enum tm_rekey_phase):
 * the new inbound SA is accepted next to the old one before the peer is
 * answered, the outbound SA switches once the peer has had time to
 * install the new pair, and the old inbound SA goes after packets in
 * flight on it have arrived. Each step is one message to every worker
 * and waits for all of them, like installing and removing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tunnels.h"

static bool
rk_waits_for_workers(enum tm_rekey_phase p)
{
	return p == TM_RK_IN || p == TM_RK_OUT || p == TM_RK_PREV;
}

static void
set_phase(struct tunmgr *tm, struct tunnel *t, enum tm_rekey_phase p,
	  uint64_t delay_ms)
{
	if (t->rk == TM_RK_NONE && p != TM_RK_NONE)
		tm->n_rekeying++;
	if (t->rk != TM_RK_NONE && p == TM_RK_NONE)
		tm->n_rekeying--;
	tm->n_rekey_acks += (size_t)rk_waits_for_workers(p) -
			    (size_t)rk_waits_for_workers(t->rk);
	t->rk = p;
	t->rk_due = p2sgw_now_ns() + delay_ms * 1000000u;
}

static void take_new(struct tunmgr *tm, struct tunnel *t, uint32_t spi_in,
		     uint32_t spi_out, const struct tun_keys *k);

/* The queued rekey leaves; with TAKE its SAs become the tunnel's (it is
 * installed with them into the next region). Its waiter is in rk_w. */
static void
drop_next(struct tunmgr *tm, struct tunnel *t, bool take)
{
	struct tm_rk_next *n = t->rk_next;

	if (n == NULL)
		return;
	t->rk_next = NULL;
	if (take)
		take_new(tm, t, n->spi_in, n->spi_out, &n->k);
	tun_keys_wipe(&n->k);
	free(n);
}

static void
add_waiter(struct tunnel *t, const struct tm_waiter *w)
{
	if (w == NULL || w->fn == NULL)
		return;
	t->rk_w = realloc(t->rk_w, (t->n_rk_w + 1) * sizeof(*t->rk_w));
	if (t->rk_w == NULL)
		abort();
	t->rk_w[t->n_rk_w++] = *w;
}

void
tm_rekey_abort(struct tunmgr *tm, struct tunnel *t, int err, const char *msg)
{
	drop_next(tm, t, err == 0);
	if (t->rk == TM_RK_NONE)
		return;
	tm_notify(tm, &t->rk_w, &t->n_rk_w, err, msg);
	set_phase(tm, t, TM_RK_NONE, 0);
}

/* A wanted tunnel other than T that has inbound SPI SPI. */
static struct tunnel *
spi_in_user(const struct tunmgr *tm, const struct tunnel *t, uint32_t spi)
{
	struct tunnel probe = { .spec = t->spec };
	struct tunnel *u;

	probe.spec.spi_in = spi;
	for (u = tidx_first(&tm->idx, TIDX_SPI_IN, &probe); u != NULL;
	     u = tidx_next(TIDX_SPI_IN, u, &probe))
		if (u != t && u->present)
			return u;
	return NULL;
}

/* The new SPIs and keys become T's (its index entries follow). */
static void
take_new(struct tunmgr *tm, struct tunnel *t, uint32_t spi_in,
	 uint32_t spi_out, const struct tun_keys *k)
{
	tidx_remove(&tm->idx, t);
	t->spec.spi_in = spi_in;
	t->spec.spi_out = spi_out;
	tidx_insert(&tm->idx, t);
	*t->keys = *k;
	t->cfg_hash = tunspec_hash(&t->spec, t->keys);
}

/* New SA records for the LIVE tunnel T, SA_IN_ADD to every worker. */
static int
start(struct tunmgr *tm, struct tunnel *t, uint32_t spi_in, uint32_t spi_out,
      const struct tun_keys *k, char *err, size_t errlen)
{
	const struct p2sgw_chan_hdr *h = tm->ch->hdr;
	uint32_t in = slots_alloc(&tm->in_slots), out = slots_alloc(&tm->out_slots);
	struct tun_spec old_spec = t->spec;
	struct tun_keys old_keys = *t->keys;
	struct p2sgw_tunnel_rec *r;
	const char *why = NULL;

	if (in == P2SGW_SLOT_NONE || out == P2SGW_SLOT_NONE) {
		if (in != P2SGW_SLOT_NONE)
			slots_free(&tm->in_slots, in);
		if (out != P2SGW_SLOT_NONE)
			slots_free(&tm->out_slots, out);
		snprintf(err, errlen, "no free SA slot for the rekey (%u "
			 "inbound, %u outbound)", h->max_sa_in, h->max_sa_out);
		return -1;
	}
	take_new(tm, t, spi_in, spi_out, k);
	p2sgw_chan_sa_in(tm->ch, in)->state = P2SGW_SLOT_LIVE;
	p2sgw_chan_sa_out(tm->ch, out)->state = P2SGW_SLOT_LIVE;
	if (tm_fill_sa(tm, t, 0, in, &why) != 0 ||
	    tm_fill_sa(tm, t, 1, out, &why) != 0) {
		p2sgw_sa_wipe(p2sgw_chan_sa_in(tm->ch, in), h->sa_in_size);
		p2sgw_sa_wipe(p2sgw_chan_sa_out(tm->ch, out), h->sa_out_size);
		slots_free(&tm->in_slots, in);
		slots_free(&tm->out_slots, out);
		take_new(tm, t, old_spec.spi_in, old_spec.spi_out, &old_keys);
		tun_keys_wipe(&old_keys);
		snprintf(err, errlen, "cannot fill the new SAs: %s", why);
		return -1;
	}
	tun_keys_wipe(&old_keys);
	tm->by_sa_in[in] = t;
	tm->by_sa_out[out] = t;
	t->sa_in_prev = t->sa_in;
	t->sa_in = in;
	t->rk_out_old = t->sa_out;
	t->sa_out = out;
	r = p2sgw_chan_tunnel(tm->ch, t->slot);
	r->sa_in_prev = t->sa_in_prev;
	r->sa_in = in;
	r->cfg_hash = t->cfg_hash;
	set_phase(tm, t, TM_RK_IN, 0);
	tm_send_slot(tm, t, P2SGW_MSG_SA_IN_ADD, in, tm_all_workers(tm));
	log_info("tunnel %s: rekey: inbound SA 0x%08x added next to 0x%08x",
		 t->spec.name, spi_in, old_spec.spi_in);
	return 0;
}

int
tm_rekey(struct tunmgr *tm, const char *name, uint32_t spi_in,
	 uint32_t spi_out, struct tun_keys *k, const struct tm_waiter *w,
	 int *errno_out, char *err, size_t errlen)
{
	struct tunnel *t = tm_find(tm, name), *u;
	int rc = -1;

	*errno_out = 0;
	if (t == NULL || !t->present) {
		*errno_out = ENOENT;
		snprintf(err, errlen, "no tunnel '%s'", name);
	} else if ((t->rk != TM_RK_NONE && !tm_rekey_can_queue(t)) ||
		   (t->state != P2SGW_SLOT_LIVE && t->state != P2SGW_SLOT_FREE)) {
		*errno_out = EBUSY;
		snprintf(err, errlen, "tunnel '%s' is %s", name,
			 t->rk != TM_RK_NONE ? "being rekeyed" : "changing");
	} else if (t->keys == NULL) {
		*errno_out = EINVAL;
		snprintf(err, errlen, "tunnel '%s' has no raw keys", name);
	} else if (spi_in < P2SGW_SPI_MIN || spi_out < P2SGW_SPI_MIN) {
		*errno_out = EINVAL;
		snprintf(err, errlen, "SPIs below %u are reserved", P2SGW_SPI_MIN);
	} else if ((u = spi_in_user(tm, t, spi_in)) != NULL) {
		*errno_out = EEXIST;
		snprintf(err, errlen, "spi_in 0x%08x is used by tunnel '%s'",
			 spi_in, u->spec.name);
	} else if (t->state == P2SGW_SLOT_FREE || tm->ch == NULL) {
		take_new(tm, t, spi_in, spi_out, k);	/* installed so later */
		rc = TM_DONE;
	} else if (t->rk != TM_RK_NONE) {
		/* the old inbound SA goes now rather than after
		 * TM_REKEY_PREV_MS: the peer moved off it a while ago */
		t->rk_next = calloc(1, sizeof(*t->rk_next));
		if (t->rk_next == NULL)
			abort();
		*t->rk_next = (struct tm_rk_next){ .spi_in = spi_in,
			.spi_out = spi_out, .k = *k };
		/* told when its new inbound SA is in (rk_w is empty until
		 * then: the last rekey's waiters were told at IN) */
		add_waiter(t, w);
		t->rk_due = p2sgw_now_ns();
		log_info("tunnel %s: rekey to 0x%08x queued behind the last one",
			 t->spec.name, spi_in);
		rc = TM_PENDING;
	} else if (start(tm, t, spi_in, spi_out, k, err, errlen) == 0) {
		add_waiter(t, w);
		rc = TM_PENDING;
	} else {
		*errno_out = ENOSPC;
	}
	tun_keys_wipe(k);
	return rc;
}

static void
wipe_in(struct tunmgr *tm, uint32_t slot)
{
	p2sgw_sa_wipe(p2sgw_chan_sa_in(tm->ch, slot), tm->ch->hdr->sa_in_size);
	tm->by_sa_in[slot] = NULL;
	slots_free(&tm->in_slots, slot);
}

static void
wipe_out(struct tunmgr *tm, uint32_t slot)
{
	p2sgw_sa_wipe(p2sgw_chan_sa_out(tm->ch, slot), tm->ch->hdr->sa_out_size);
	tm->by_sa_out[slot] = NULL;
	slots_free(&tm->out_slots, slot);
}

/* Every worker answered the rekey step of T. */
void
tm_rekey_answered(struct tunmgr *tm, struct tunnel *t)
{
	char msg[TM_FAIL_LEN];

	if (t->nacked != 0) {
		snprintf(msg, sizeof(msg), "worker %u refused the rekey: %s",
			 t->nack_worker, strerror((int)t->nack_err));
		tm_rekey_abort(tm, t, EIO, msg);
		/* the workers disagree on its SAs: take it out entirely */
		tm_fail(tm, t, "%s", msg);
		tm_step(tm, t);
		return;
	}
	switch (t->rk) {
	case TM_RK_IN:
		tm_notify(tm, &t->rk_w, &t->n_rk_w, 0, NULL);
		set_phase(tm, t, TM_RK_OUT_WAIT, TM_REKEY_OUT_MS);
		break;
	case TM_RK_OUT:
		if (t->rk_out_old < tm->ch->hdr->max_sa_out)
			wipe_out(tm, t->rk_out_old);
		t->rk_out_old = P2SGW_SLOT_NONE;
		set_phase(tm, t, TM_RK_PREV_WAIT, TM_REKEY_PREV_MS);
		log_info("tunnel %s: rekey: sending on SA 0x%08x",
			 t->spec.name, t->spec.spi_out);
		break;
	case TM_RK_PREV:
		if (t->sa_in_prev < tm->ch->hdr->max_sa_in)
			wipe_in(tm, t->sa_in_prev);
		t->sa_in_prev = P2SGW_SLOT_NONE;
		p2sgw_chan_tunnel(tm->ch, t->slot)->sa_in_prev = P2SGW_SLOT_NONE;
		set_phase(tm, t, TM_RK_NONE, 0);
		log_info("tunnel %s: rekey done", t->spec.name);
		if (t->rk_next != NULL) {
			struct tm_rk_next *n = t->rk_next;

			if (start(tm, t, n->spi_in, n->spi_out, &n->k, msg,
				  sizeof(msg)) != 0)
				tm_notify(tm, &t->rk_w, &t->n_rk_w, ENOSPC, msg);
			drop_next(tm, t, false);
		}
		break;
	default:
		break;
	}
}

/* Phases that wait for time rather than for the workers. */
void
tm_rekey_poll(struct tunmgr *tm)
{
	uint64_t now;
	struct tunnel *t;

	if (tm->n_rekeying == 0 || tm->ch == NULL)
		return;
	now = p2sgw_now_ns();
	for (t = tm->head; t != NULL; t = t->next) {
		if (t->rk == TM_RK_OUT_WAIT && now >= t->rk_due) {
			p2sgw_chan_tunnel(tm->ch, t->slot)->sa_out = t->sa_out;
			set_phase(tm, t, TM_RK_OUT, 0);
			tm_send_slot(tm, t, P2SGW_MSG_TUNNEL_SET_OUT, t->slot,
				     tm_all_workers(tm));
		} else if (t->rk == TM_RK_PREV_WAIT && now >= t->rk_due) {
			set_phase(tm, t, TM_RK_PREV, 0);
			tm_send_slot(tm, t, P2SGW_MSG_SA_IN_DEL, t->sa_in_prev,
				     tm_all_workers(tm));
		}
	}
}

bool
tm_rekey_inflight(const struct tunnel *t)
{
	return rk_waits_for_workers(t->rk);
}

bool
tm_rekey_can_queue(const struct tunnel *t)
{
	return (t->rk == TM_RK_PREV_WAIT || t->rk == TM_RK_PREV) &&
	       t->rk_next == NULL;
}

bool
tm_rekey_ready(struct tunmgr *tm, const char *name)
{
	const struct tunnel *t = tm_find(tm, name);

	return t != NULL && (t->rk == TM_RK_NONE || tm_rekey_can_queue(t));
}
