/* SPDX-License-Identifier: BSD-3-Clause
 * The tunnel manager: the tunnels, their states (the single transition
 * function), the waiters of operations, and the interface (add, delete,
 * poll). Writing to the region is in tunnels_install.c, the workers'
 * events in tunnels_events.c, meeting a region that already holds
 * records in tunnels_sync.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "tunnels.h"

const char *const tm_key_what[TIDX_COUNT] = {
	"name", "vip", "spi_in", "spi_out" };

/* ---- states: the single transition point ------------------------------ */

const char *
tm_state_name(enum p2sgw_slot_state s)
{
	switch (s) {
	case P2SGW_SLOT_FREE:
		return "FREE";
	case P2SGW_SLOT_FILLED:
		return "FILLED";
	case P2SGW_SLOT_LIVE:
		return "LIVE";
	case P2SGW_SLOT_DYING:
		return "DYING";
	default:
		return "?";
	}
}

/* allowed[from][to] */
static const bool allowed[4][4] = {
	[P2SGW_SLOT_FREE] = {
		[P2SGW_SLOT_FILLED] = true,	/* installed */
		[P2SGW_SLOT_LIVE] = true,	/* adopted from a region */
		[P2SGW_SLOT_DYING] = true,	/* leftover found in a region */
	},
	[P2SGW_SLOT_FILLED] = {
		[P2SGW_SLOT_LIVE] = true,
		[P2SGW_SLOT_DYING] = true,	/* a worker refused it */
		[P2SGW_SLOT_FREE] = true,	/* the region went away */
	},
	[P2SGW_SLOT_LIVE] = {
		[P2SGW_SLOT_DYING] = true,
		[P2SGW_SLOT_FREE] = true,	/* the region went away */
	},
	[P2SGW_SLOT_DYING] = {
		[P2SGW_SLOT_FREE] = true,
	},
};

static void
mirror_state(struct tunmgr *tm, struct tunnel *t)
{
	const struct p2sgw_chan *ch = tm->ch;

	if (ch == NULL || t->slot == P2SGW_SLOT_NONE)
		return;
	if (t->sa_in < ch->hdr->max_sa_in)
		p2sgw_chan_sa_in(ch, t->sa_in)->state = t->state;
	if (t->sa_out < ch->hdr->max_sa_out)
		p2sgw_chan_sa_out(ch, t->sa_out)->state = t->state;
	__atomic_store_n(&p2sgw_chan_tunnel(ch, t->slot)->state, t->state,
			 __ATOMIC_RELEASE);
}

void
tm_set_state(struct tunmgr *tm, struct tunnel *t, enum p2sgw_slot_state to,
	     const char *why)
{
	enum p2sgw_slot_state from = t->state;

	if (from > P2SGW_SLOT_DYING || to > P2SGW_SLOT_DYING ||
	    !allowed[from][to]) {
		log_error("tunnel %s: refused state change %s -> %s",
			  t->spec.name, tm_state_name(from), tm_state_name(to));
		return;
	}
	if (tm_inflight(from))
		tm->n_inflight--;
	if (tm_inflight(to))
		tm->n_inflight++;
	t->state = to;
	mirror_state(tm, t);
	log_info("tunnel %s: %s -> %s%s%s%s", t->spec.name, tm_state_name(from),
		 tm_state_name(to), why != NULL ? " (" : "",
		 why != NULL ? why : "", why != NULL ? ")" : "");
}

/* ---- waiters and their notes ------------------------------------------ */

static void
note(struct tunmgr *tm, const struct tm_waiter *w, int err, const char *msg)
{
	struct tm_note *n;
	size_t cap;

	if (tm->n_notes == tm->cap_notes) {
		cap = tm->cap_notes ? 2 * tm->cap_notes : 16;
		n = realloc(tm->notes, cap * sizeof(*n));
		if (n == NULL)
			abort();
		tm->notes = n;
		tm->cap_notes = cap;
	}
	n = &tm->notes[tm->n_notes++];
	n->w = *w;
	n->err = err;
	snprintf(n->msg, sizeof(n->msg), "%s", msg != NULL ? msg : "");
}

void
tm_notify(struct tunmgr *tm, struct tm_waiter **ws, unsigned *n, int err,
       const char *msg)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		note(tm, &(*ws)[i], err, msg);
	free(*ws);
	*ws = NULL;
	*n = 0;
}

static void
waiter_add(struct tm_waiter **ws, unsigned *n, const struct tm_waiter *w)
{
	struct tm_waiter *nw;

	if (w == NULL || w->fn == NULL)
		return;
	nw = realloc(*ws, (*n + 1) * sizeof(*nw));
	if (nw == NULL)
		abort();
	*ws = nw;
	(*ws)[(*n)++] = *w;
}

/* Deliver the notes; a callback may add or remove tunnels (new notes are
 * delivered too). */
void
tm_flush_notes(struct tunmgr *tm)
{
	struct tm_note *batch;
	size_t n, i;

	while (tm->n_notes > 0) {
		batch = tm->notes;
		n = tm->n_notes;
		tm->notes = NULL;
		tm->n_notes = tm->cap_notes = 0;
		for (i = 0; i < n; i++)
			batch[i].w.fn(batch[i].w.arg, batch[i].w.token,
				      batch[i].err,
				      batch[i].err ? batch[i].msg : NULL);
		free(batch);
	}
}

/* ---- tunnel objects ---------------------------------------------------- */

static void
waiting_add(struct tunmgr *tm, struct tunnel *t)
{
	if (t->waiting)
		return;
	t->waiting = true;
	t->wnext = NULL;
	t->wprev = tm->wtail;
	if (tm->wtail != NULL)
		tm->wtail->wnext = t;
	else
		tm->whead = t;
	tm->wtail = t;
	tm->n_waiting++;
	tm->more_to_install = true;
}

void
tm_waiting_del(struct tunmgr *tm, struct tunnel *t)
{
	if (!t->waiting)
		return;
	if (t->wprev != NULL)
		t->wprev->wnext = t->wnext;
	else
		tm->whead = t->wnext;
	if (t->wnext != NULL)
		t->wnext->wprev = t->wprev;
	else
		tm->wtail = t->wprev;
	t->waiting = false;
	t->wprev = t->wnext = NULL;
	tm->n_waiting--;
}

struct tunnel *
tm_tunnel_new(struct tunmgr *tm, const struct tun_spec *s, uint32_t kind)
{
	struct tunnel *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->spec = *s;
	t->kind = kind;
	t->state = P2SGW_SLOT_FREE;
	t->slot = t->sa_in = t->sa_out = t->sa_in_prev = P2SGW_SLOT_NONE;
	t->rk_out_old = P2SGW_SLOT_NONE;
	t->prev = tm->tail;
	if (tm->tail != NULL)
		tm->tail->next = t;
	else
		tm->head = t;
	tm->tail = t;
	tm->n_tunnels++;
	tidx_insert(&tm->idx, t);
	return t;
}

static void
forget_copies(struct tunnel *t)
{
	if (t->keys != NULL) {
		tun_keys_wipe(t->keys);
		free(t->keys);
		t->keys = NULL;
	}
	if (t->copy_in != NULL)
		explicit_bzero(t->copy_in, TM_SA_FILLED_LEN);
	if (t->copy_out != NULL)
		explicit_bzero(t->copy_out, TM_SA_FILLED_LEN);
	free(t->copy_in);
	free(t->copy_out);
	t->copy_in = t->copy_out = NULL;
}

static void
tunnel_destroy(struct tunmgr *tm, struct tunnel *t)
{
	tm_notify(tm, &t->add_w, &t->n_add_w, EIO, t->fail[0] != '\0' ? t->fail :
		   "removed before it became live");
	tm_notify(tm, &t->del_w, &t->n_del_w, 0, NULL);
	tm_rekey_abort(tm, t, EIO, "removed");
	tm_waiting_del(tm, t);
	tidx_remove(&tm->idx, t);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		tm->head = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	else
		tm->tail = t->prev;
	tm->n_tunnels--;
	forget_copies(t);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

/* Decide what T needs next; the single place that acts on `present`. */
void
tm_step(struct tunmgr *tm, struct tunnel *t)
{
	switch (t->state) {
	case P2SGW_SLOT_FREE:
		if (!t->present)
			tunnel_destroy(tm, t);
		else
			waiting_add(tm, t);
		break;
	case P2SGW_SLOT_LIVE:
		if (!t->present) {
			/* a rekey step in flight is overtaken by TUNNEL_DEL,
			 * which drops every SA of the tunnel's record */
			tm_rekey_abort(tm, t, EIO, "removed during its rekey");
			tm_start_removal(tm, t, tm_all_workers(tm));
		}
		break;
	default:
		break;			/* FILLED, DYING: waiting for acks */
	}
}

/* Give T up (it stays out of the dataplane until added again). */
void
tm_fail(struct tunmgr *tm, struct tunnel *t, const char *fmt, const char *arg)
{
	snprintf(t->fail, sizeof(t->fail), fmt, arg);
	log_error("tunnel %s: %s", t->spec.name, t->fail);
	t->present = false;
}

/* ---- messages ---------------------------------------------------------- */

uint64_t
tm_all_workers(const struct tunmgr *tm)
{
	unsigned n = tm->ch != NULL ? tm->ch->hdr->n_workers : 0;

	return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

static uint32_t
next_seq(struct tunmgr *tm)
{
	if (++tm->seq == 0)
		tm->seq = 1;
	return tm->seq;
}

void
tm_send(struct tunmgr *tm, struct tunnel *t, uint32_t type, uint64_t workers)
{
	tm_send_slot(tm, t, type, t->slot, workers);
}

void
tm_send_slot(struct tunmgr *tm, struct tunnel *t, uint32_t type, uint32_t slot,
	     uint64_t workers)
{
	struct p2sgw_msg m = { .type = type, .slot = slot };
	unsigned w;

	t->seq = m.seq = next_seq(tm);
	t->sent = workers;
	t->acked = t->nacked = 0;
	t->nack_err = 0;
	p2sgw_chan_tunnel(tm->ch, t->slot)->acks = 0;
	for (w = 0; w < tm->ch->hdr->n_workers; w++)
		if (workers & (UINT64_C(1) << w))
			chanq_send(&tm->q, w, &m);
}

void
tm_poll(struct tunmgr *tm)
{
	if (tm->ch != NULL) {
		tm_drain_events(tm);
		tm_install_waiting(tm);
		tm_rekey_poll(tm);
		chanq_flush(&tm->q);
	}
	tm_flush_notes(tm);
}

bool
tm_busy(const struct tunmgr *tm)
{
	return tm->ch != NULL && (tm->n_inflight > 0 || tm->more_to_install ||
				  tm->n_rekey_acks > 0 ||
				  chanq_pending(&tm->q) > 0);
}

/* ---- the manager's interface -------------------------------------------- */

struct tunmgr *
tm_new(const struct tm_net *net)
{
	struct tunmgr *tm = calloc(1, sizeof(*tm));

	if (tm == NULL)
		return NULL;
	if (tidx_init(&tm->idx) != 0) {
		free(tm);
		return NULL;
	}
	tm->net = *net;
	tm->next_id = 1;
	if (getrandom(&tm->seq, sizeof(tm->seq), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(tm->seq))
		tm->seq = (uint32_t)p2sgw_now_ns();
	return tm;
}

void
tm_free(struct tunmgr *tm)
{
	struct tunnel *t, *next;

	if (tm == NULL)
		return;
	tm_drop_region(tm);
	for (t = tm->head; t != NULL; t = t->next) {
		tm_notify(tm, &t->add_w, &t->n_add_w, ECANCELED, "p2sgw-control is stopping");
		tm_notify(tm, &t->del_w, &t->n_del_w, ECANCELED,
		       "p2sgw-control is stopping");
		tm_rekey_abort(tm, t, ECANCELED, "p2sgw-control is stopping");
	}
	tm_flush_notes(tm);
	for (t = tm->head; t != NULL; t = next) {
		next = t->next;
		forget_copies(t);
		free(t->add_w);
		free(t->del_w);
		free(t->rk_w);
		explicit_bzero(t, sizeof(*t));
		free(t);
	}
	chanq_fini(&tm->q);
	tidx_fini(&tm->idx);
	free(tm->notes);
	free(tm);
}

struct tunnel *
tm_find(const struct tunmgr *tm, const char *name)
{
	return tidx_find_name(&tm->idx, name);
}

struct tunnel *
tm_by_slot(const struct tunmgr *tm, uint32_t i)
{
	return tm->ch != NULL && i < tm->ch->hdr->max_tunnels ?
	       tm->by_slot[i] : NULL;
}

struct tunnel *
tm_find_conflict(const struct tunmgr *tm, const struct tun_spec *s,
		 uint32_t skip_kind, const char **what)
{
	struct tunnel probe = { .spec = *s };
	struct tunnel *u;
	int k;

	for (k = 0; k < TIDX_COUNT; k++) {
		for (u = tidx_first(&tm->idx, k, &probe); u != NULL;
		     u = tidx_next(k, u, &probe)) {
			if (u->present && u->kind != skip_kind) {
				*what = tm_key_what[k];
				return u;
			}
		}
	}
	return NULL;
}

/* A wanted tunnel that already uses one of S's unique keys. */
static int
check_unique(struct tunmgr *tm, const struct tun_spec *s, char *err,
	     size_t errlen)
{
	const char *what;
	struct tunnel *u = tm_find_conflict(tm, s, 0, &what);

	if (u == NULL)
		return 0;
	if (strcmp(what, "name") == 0)
		snprintf(err, errlen, "a tunnel named '%s' exists", s->name);
	else if (strcmp(what, "vip") == 0)
		snprintf(err, errlen, "vip %s is used by tunnel '%s'",
			 TUN_IP(s->vip), u->spec.name);
	else
		snprintf(err, errlen, "%s 0x%08x is used by tunnel '%s'", what,
			 strcmp(what, "spi_in") == 0 ? s->spi_in : s->spi_out,
			 u->spec.name);
	return -1;
}

int
tm_add(struct tunmgr *tm, const struct tun_spec *s, struct tun_keys *k,
       uint32_t kind, const struct tm_waiter *w, char *err, size_t errlen)
{
	struct tunnel *t;

	if (check_unique(tm, s, err, errlen) != 0) {
		tun_keys_wipe(k);
		return -1;
	}
	t = tm_tunnel_new(tm, s, kind);
	if (t != NULL)
		t->keys = malloc(sizeof(*t->keys));
	if (t == NULL || t->keys == NULL) {
		tun_keys_wipe(k);
		if (t != NULL)
			tunnel_destroy(tm, t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*t->keys = *k;
	tun_keys_wipe(k);
	t->cfg_hash = tunspec_hash(&t->spec, t->keys);
	t->present = true;
	tm_step(tm, t);
	if (tm->ch == NULL)
		return TM_DONE;
	waiter_add(&t->add_w, &t->n_add_w, w);
	return TM_PENDING;
}

int
tm_del(struct tunmgr *tm, const char *name, const struct tm_waiter *w, char *err,
       size_t errlen)
{
	struct tunnel *t = tm_find(tm, name);

	if (t == NULL) {
		snprintf(err, errlen, "no tunnel named '%s'", name);
		return -1;
	}
	t->present = false;
	tm_notify(tm, &t->add_w, &t->n_add_w, ECANCELED, "deleted before it became live");
	if (t->state == P2SGW_SLOT_FREE) {
		tm_step(tm, t);
		return TM_DONE;
	}
	waiter_add(&t->del_w, &t->n_del_w, w);
	tm_step(tm, t);
	return TM_PENDING;
}
