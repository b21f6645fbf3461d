/* SPDX-License-Identifier: BSD-3-Clause
 * The tunnel manager against a fake dataplane: a real region (two
 * workers) in /dev/shm, the manager on one side, and this test playing
 * the workers by popping their message rings and pushing acks and nacks.
 * Covered: install with acks in either order, a nack from one worker
 * (removed from the other, slots freed), a full message ring (the message
 * waits and arrives, in order), deletion (slots wiped to the last byte),
 * stale and forged events, lifetimes, a control plane restart against a
 * live region (adopt, replace, finish), and a dataplane restart (a new
 * region gets the same expanded keys without the raw ones). The keys are
 * expanded with the manager the control plane makes for the region's
 * crypto_arch and must equal what a worker's own manager makes.
 * Rekeys, make before break: every phase of a LIVE tunnel's rekey and its
 * timers, the refusals, a nack, a deletion in the middle, the region going
 * away in the middle, and a rekey of a tunnel that holds no slot.
 */
#include <errno.h>
#include <time.h>

#include "cptest.h"
#include "dpchan.h"
#include "log.h"
#include "tunnels.h"

enum { W = 2, MAX_T = 16 };

static struct p2sgw_chan ch, ch2, ch3;
static char path[64], path2[64], path3[64];
static IMB_MGR *mgr;		/* the dataplane's (init_mb_mgr_auto) */
static IMB_MGR *cpmgr;		/* the control plane's, for the region's arch */
static const struct tm_net net = {
	.local = 0xac100a01, .uplink = { 0xac100a00, 24 }, .gateway = 0xac100afe,
};

/* ---- the fake workers ------------------------------------------------------ */

static bool
pop(const struct p2sgw_chan *c, unsigned w, struct p2sgw_msg *m)
{
	const struct p2sgw_msg *p = p2sgw_ring_peek(p2sgw_chan_msg_ring(c, w));

	if (p == NULL)
		return false;
	*m = *p;
	p2sgw_ring_pop(p2sgw_chan_msg_ring(c, w));
	return true;
}

static void
answer(const struct p2sgw_chan *c, unsigned w, const struct p2sgw_msg *m,
       uint32_t type, uint32_t err)
{
	struct p2sgw_event e = { .type = type, .seq = m->seq, .slot = m->slot,
				 .arg = err, .worker = w };

	CHECK(p2sgw_ring_push(p2sgw_chan_ev_ring(c, w), &e), "event ring full");
}

/* Pop worker W's next message, which must be TYPE; ack it. */
static struct p2sgw_msg
expect_and_ack(const struct p2sgw_chan *c, unsigned w, uint32_t type)
{
	struct p2sgw_msg m = { .type = UINT32_MAX };

	CHECK(pop(c, w, &m), "worker %u has no message", w);
	CHECK(m.type == type, "worker %u got type %u, want %u", w, m.type, type);
	answer(c, w, &m, P2SGW_EV_ACK, 0);
	return m;
}

static bool
ring_empty(const struct p2sgw_chan *c, unsigned w)
{
	return p2sgw_ring_peek(p2sgw_chan_msg_ring(c, w)) == NULL;
}

static bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* ---- waiters ------------------------------------------------------------------ */

static struct {
	uint64_t token;
	int err;
	char msg[TM_FAIL_LEN];
} done[64];
static unsigned n_done;

static void
on_done(void *arg, uint64_t token, int err, const char *msg)
{
	(void)arg;
	if (n_done < 64) {
		done[n_done].token = token;
		done[n_done].err = err;
		snprintf(done[n_done].msg, sizeof(done[n_done].msg), "%s",
			 msg != NULL ? msg : "");
		n_done++;
	}
}

static const struct tm_waiter *
waiter(uint64_t token)
{
	static struct tm_waiter w;

	w = (struct tm_waiter){ .fn = on_done, .token = token };
	return &w;
}

static void
spec(struct tun_spec *s, struct tun_keys *k, const char *name, unsigned n)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	memset(k, 0, sizeof(*k));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = 0x0ac80000 + 10 + n;
	s->peer = 0xac100a00 + 10 + n;
	s->suite = P2SGW_SUITE_AES256GCM16;
	s->spi_in = 0x1000 + n;
	s->spi_out = 0x2000 + n;
	s->replay_window = 1024;
	s->encap = true;
	s->encap_sport = 4500;
	s->encap_dport = 4500;
	k->key_len = P2SGW_GCM_KEYMAT_LEN;
	for (i = 0; i < k->key_len; i++) {
		k->key_in[i] = (uint8_t)(n * 7 + i);
		k->key_out[i] = (uint8_t)(n * 11 + i + 1);
	}
}

static struct tunnel *
add(struct tunmgr *tm, const char *name, unsigned n, uint32_t kind,
    uint64_t token)
{
	struct tun_spec s;
	struct tun_keys k;
	char err[256];
	int rc;

	spec(&s, &k, name, n);
	rc = tm_add(tm, &s, &k, kind, waiter(token), err, sizeof(err));
	CHECK(rc == TM_PENDING, "add %s: %d %s", name, rc, err);
	CHECK(all_zero(&k, sizeof(k)), "caller's keys not wiped");
	return tm_find(tm, name);
}

static void
region(struct p2sgw_chan *c, char *p, size_t len, const char *tag,
       uint32_t max_window)
{
	struct p2sgw_chan_limits l = {
		.n_workers = W, .max_tunnels = MAX_T, .max_sa_in = MAX_T + 4,
		.max_sa_out = MAX_T + 4, .crypto_arch = mgr->used_arch,
		.max_replay_window = max_window,
	};
	char err[256];

	snprintf(p, len, "/dev/shm/p2sgw-cptest-%d-%s.chan", (int)getpid(), tag);
	if (p2sgw_chan_create(c, p, &l, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	c->hdr->ready = 1;
}

/* ---- the cases ------------------------------------------------------------------ */

static void
test_install_acks_any_order(struct tunmgr *tm)
{
	const struct p2sgw_tunnel_rec *r;
	struct p2sgw_msg m0, m1;
	struct tunnel *t;

	t = add(tm, "t1", 1, TK_MANUAL, 101);
	CHECK(t != NULL && t->state == P2SGW_SLOT_FREE, "not waiting");
	tm_poll(tm);
	CHECK(t->state == P2SGW_SLOT_FILLED, "state %s", tm_state_name(t->state));
	CHECK(t->keys != NULL && t->copy_in == NULL && t->copy_out == NULL,
	      "raw keys dropped, or record copies made, at the fill");
	r = p2sgw_chan_tunnel(&ch, t->slot);
	CHECK(r->state == P2SGW_SLOT_FILLED && strcmp(r->name, "t1") == 0 &&
	      r->sa_in == t->sa_in && r->sa_out == t->sa_out &&
	      r->sa_in_prev == P2SGW_SLOT_NONE && r->kind == TK_MANUAL &&
	      r->cfg_hash == t->cfg_hash && r->vip == 0x0ac8000b, "record");
	{
		/* the keys expanded as a worker would expand them itself */
		struct tun_spec s1;
		struct tun_keys k1;
		struct p2sgw_crypto_key *want = p2sgw_crypto_key_alloc();

		spec(&s1, &k1, "t1", 1);
		CHECK(want != NULL && p2sgw_crypto_key_init(mgr, want,
		      s1.suite, k1.key_in, k1.key_len, NULL, 0) == 0, "init");
		CHECK(memcmp(want, &p2sgw_chan_sa_in(&ch, t->sa_in)->key,
			     sizeof(*want)) == 0,
		      "expanded inbound key differs from the dataplane's own");
		p2sgw_crypto_key_free(want);
		tun_keys_wipe(&k1);
	}
	CHECK(p2sgw_chan_sa_in(&ch, t->sa_in)->spi == 0x1001 &&
	      p2sgw_chan_sa_out(&ch, t->sa_out)->spi == 0x2001 &&
	      p2sgw_chan_sa_out(&ch, t->sa_out)->nexthop == 0xac100a0b &&
	      p2sgw_chan_sa_out(&ch, t->sa_out)->local_be ==
	      __builtin_bswap32(0xac100a01), "SA records");
	/* worker 1 first */
	CHECK(pop(&ch, 1, &m1) && pop(&ch, 0, &m0), "both workers got it");
	CHECK(m0.type == P2SGW_MSG_TUNNEL_ADD && m1.type == P2SGW_MSG_TUNNEL_ADD &&
	      m0.seq == m1.seq && m0.slot == t->slot, "the messages");
	answer(&ch, 1, &m1, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(t->state == P2SGW_SLOT_FILLED && r->acks == 1, "live after one ack");
	CHECK(n_done == 0, "waiter called early");
	answer(&ch, 0, &m0, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(t->state == P2SGW_SLOT_LIVE && r->state == P2SGW_SLOT_LIVE &&
	      p2sgw_chan_sa_in(&ch, t->sa_in)->state == P2SGW_SLOT_LIVE, "LIVE");
	CHECK(n_done == 1 && done[0].token == 101 && done[0].err == 0, "waiter");
	/* a duplicate ack, one for an old seq, one claiming another worker */
	answer(&ch, 0, &m0, P2SGW_EV_ACK, 0);
	m0.seq++;
	answer(&ch, 1, &m0, P2SGW_EV_ACK, 0);
	{
		struct p2sgw_event e = { .type = P2SGW_EV_ACK, .seq = m1.seq,
					 .slot = m1.slot, .worker = 0 };
		p2sgw_ring_push(p2sgw_chan_ev_ring(&ch, 1), &e);
	}
	tm_poll(tm);
	CHECK(t->state == P2SGW_SLOT_LIVE && tm->stats.stale_events == 2 &&
	      tm->stats.bad_events == 1, "stale %llu bad %llu",
	      (unsigned long long)tm->stats.stale_events,
	      (unsigned long long)tm->stats.bad_events);
	n_done = 0;
}

static void
test_nack(struct tunmgr *tm)
{
	struct p2sgw_msg m0, m1;
	struct tunnel *t = add(tm, "t2", 2, TK_MANUAL, 102);
	uint32_t slot, in, out;

	tm_poll(tm);
	slot = t->slot;
	in = t->sa_in;
	out = t->sa_out;
	CHECK(pop(&ch, 0, &m0) && pop(&ch, 1, &m1), "ADD to both");
	answer(&ch, 0, &m0, P2SGW_EV_ACK, 0);
	answer(&ch, 1, &m1, P2SGW_EV_NACK, EEXIST);
	tm_poll(tm);
	CHECK(t->state == P2SGW_SLOT_DYING, "state %s", tm_state_name(t->state));
	CHECK(ring_empty(&ch, 1), "DEL sent to the worker that refused");
	CHECK(n_done == 0, "waiter called before the cleanup");
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_DEL);
	tm_poll(tm);
	CHECK(tm_find(tm, "t2") == NULL, "the refused tunnel is still there");
	CHECK(n_done == 1 && done[0].token == 102 && done[0].err != 0 &&
	      strstr(done[0].msg, "worker 1 refused it") != NULL, "waiter: %s",
	      done[0].msg);
	CHECK(all_zero(p2sgw_chan_tunnel(&ch, slot), ch.hdr->tunnel_size) &&
	      all_zero(p2sgw_chan_sa_in(&ch, in), ch.hdr->sa_in_size) &&
	      all_zero(p2sgw_chan_sa_out(&ch, out), ch.hdr->sa_out_size),
	      "slots of the refused tunnel not wiped");
	CHECK(!slots_in_use(&tm->tun_slots, slot), "slot not freed");
	n_done = 0;
}

/* Worker 1's ring is full: its messages wait, in order, and arrive. */
static void
test_full_ring(struct tunmgr *tm)
{
	struct p2sgw_msg junk = { .type = P2SGW_MSG_SYNC, .seq = 0 }, m;
	struct p2sgw_ring *r1 = p2sgw_chan_msg_ring(&ch, 1);
	struct tunnel *a, *b;
	unsigned i, skipped = 0;

	while (p2sgw_ring_push(r1, &junk))
		;
	a = add(tm, "t3", 3, TK_MANUAL, 103);
	b = add(tm, "t4", 4, TK_MANUAL, 104);
	tm_poll(tm);
	CHECK(a->state == P2SGW_SLOT_FILLED && b->state == P2SGW_SLOT_FILLED,
	      "not filled");
	CHECK(chanq_pending_worker(&tm->q, 1) == 2 &&
	      chanq_pending_worker(&tm->q, 0) == 0, "queued %zu",
	      chanq_pending_worker(&tm->q, 1));
	CHECK(tm_busy(tm), "not busy with messages queued");
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_ADD);
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_ADD);
	for (i = 0; i < 3; i++)
		tm_poll(tm);		/* ring still full: nothing moves */
	CHECK(chanq_pending_worker(&tm->q, 1) == 2, "lost or reordered");
	pop(&ch, 1, &m);		/* one slot frees up */
	tm_poll(tm);
	CHECK(chanq_pending_worker(&tm->q, 1) == 1, "one should have moved");
	while (pop(&ch, 1, &m) && m.type == P2SGW_MSG_SYNC)
		skipped++;
	CHECK(m.type == P2SGW_MSG_TUNNEL_ADD && m.slot == a->slot,
	      "first queued message: type %u slot %u", m.type, m.slot);
	answer(&ch, 1, &m, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(a->state == P2SGW_SLOT_LIVE, "t3 %s", tm_state_name(a->state));
	expect_and_ack(&ch, 1, P2SGW_MSG_TUNNEL_ADD);
	tm_poll(tm);
	CHECK(b->state == P2SGW_SLOT_LIVE && chanq_pending(&tm->q) == 0 &&
	      ring_empty(&ch, 1), "t4 %s", tm_state_name(b->state));
	CHECK(n_done == 2, "waiters %u", n_done);
	n_done = 0;
}

static void
test_delete_wipes(struct tunmgr *tm)
{
	struct tunnel *t = tm_find(tm, "t1");
	uint32_t slot = t->slot, in = t->sa_in, out = t->sa_out;
	char err[128];

	CHECK(tm_del(tm, "t1", waiter(201), err, sizeof(err)) == TM_PENDING,
	      "del");
	CHECK(tm_find(tm, "t1") == NULL, "still findable");
	CHECK(t->state == P2SGW_SLOT_DYING, "state %s", tm_state_name(t->state));
	CHECK(p2sgw_chan_tunnel(&ch, slot)->state == P2SGW_SLOT_DYING, "record");
	expect_and_ack(&ch, 1, P2SGW_MSG_TUNNEL_DEL);
	tm_poll(tm);
	CHECK(n_done == 0, "gone after one ack");
	CHECK(!all_zero(&p2sgw_chan_sa_in(&ch, in)->key,
			sizeof(struct p2sgw_crypto_key)), "wiped too early");
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_DEL);
	tm_poll(tm);
	CHECK(n_done == 1 && done[0].token == 201 && done[0].err == 0, "waiter");
	CHECK(all_zero(p2sgw_chan_tunnel(&ch, slot), ch.hdr->tunnel_size) &&
	      all_zero(p2sgw_chan_sa_in(&ch, in), ch.hdr->sa_in_size) &&
	      all_zero(p2sgw_chan_sa_out(&ch, out), ch.hdr->sa_out_size),
	      "slots not wiped after the removal");
	CHECK(tm_del(tm, "t1", NULL, err, sizeof(err)) == -1, "deleted twice");
	n_done = 0;
}

/* A window the region's inbound slots cannot hold: refused, no slot used. */
static void
test_window_too_large(struct tunmgr *tm)
{
	struct tun_spec s;
	struct tun_keys k;
	char err[128];
	uint32_t used = slots_used(&tm->in_slots);

	spec(&s, &k, "wide", 9);
	s.replay_window = 4096;
	CHECK(tm_add(tm, &s, &k, TK_MANUAL, waiter(301), err, sizeof(err)) ==
	      TM_PENDING, "add: %s", err);
	tm_poll(tm);
	CHECK(tm_find(tm, "wide") == NULL && n_done == 1 && done[0].err != 0 &&
	      strstr(done[0].msg, "replay window 4096 is larger than the") !=
	      NULL, "%u %s", n_done, done[0].msg);
	CHECK(slots_used(&tm->in_slots) == used && ring_empty(&ch, 0),
	      "slots or messages used");
	n_done = 0;
}

static void
test_conflicts_and_lifetime(struct tunmgr *tm)
{
	struct tun_spec s;
	struct tun_keys k;
	struct p2sgw_event e = { .type = P2SGW_EV_HARD_LIFETIME, .worker = 0 };
	struct tunnel *t = tm_find(tm, "t3");
	char err[128];

	spec(&s, &k, "other", 3);	/* the VIP and SPIs of t3 */
	CHECK(tm_add(tm, &s, &k, TK_MANUAL, NULL, err, sizeof(err)) == -1 &&
	      strstr(err, "used by tunnel 't3'") != NULL, "dup: %s", err);
	CHECK(all_zero(&k, sizeof(k)), "keys not wiped on refusal");
	e.slot = t->sa_in;
	e.arg = 0;
	p2sgw_ring_push(p2sgw_chan_ev_ring(&ch, 0), &e);
	e.type = P2SGW_EV_SOFT_LIFETIME;
	e.slot = MAX_T + 100;		/* out of range: ignored */
	p2sgw_ring_push(p2sgw_chan_ev_ring(&ch, 0), &e);
	tm_poll(tm);
	CHECK(tm->stats.hard_lifetime == 1 && t->state == P2SGW_SLOT_DYING,
	      "hard lifetime: %s", tm_state_name(t->state));
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_DEL);
	expect_and_ack(&ch, 1, P2SGW_MSG_TUNNEL_DEL);
	tm_poll(tm);
	CHECK(tm_find(tm, "t3") == NULL, "t3 after its hard lifetime");
}

/* The control plane restarts (its memory is gone, the region is not). */
static void
test_restart_control(struct tunmgr **tmp)
{
	struct tunmgr *tm = *tmp, *tm2;
	struct tunnel *t4, *t5, *t6, *t7;
	struct tun_spec s;
	struct tun_keys k;
	struct p2sgw_msg m;
	uint32_t half, i, n_live = 0;
	char err[128];

	/* t5 static, t6 static (will change), a half-installed t7 */
	t5 = add(tm, "t5", 5, TK_STATIC, 0);
	t6 = add(tm, "t6", 6, TK_STATIC, 0);
	tm_poll(tm);
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_ADD);
	expect_and_ack(&ch, 1, P2SGW_MSG_TUNNEL_ADD);
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_ADD);
	expect_and_ack(&ch, 1, P2SGW_MSG_TUNNEL_ADD);
	tm_poll(tm);
	CHECK(t5->state == P2SGW_SLOT_LIVE && t6->state == P2SGW_SLOT_LIVE, "live");
	t7 = add(tm, "t7", 7, TK_MANUAL, 0);
	tm_poll(tm);
	half = t7->slot;
	CHECK(pop(&ch, 0, &m) && pop(&ch, 1, &m), "t7 ADD");
	tm_free(tm);			/* crash: nothing sent, region kept */
	CHECK(p2sgw_chan_tunnel(&ch, half)->state == P2SGW_SLOT_FILLED, "t7 kept");

	/* an SA slot a crashed fill left behind: in use, no record */
	{
		struct p2sgw_sa *lost = p2sgw_chan_sa_in(&ch, MAX_T + 3);

		lost->state = P2SGW_SLOT_FILLED;
		memset(&lost->key, 0xa5, sizeof(lost->key));
	}
	tm2 = tm_new(&net);
	spec(&s, &k, "t5", 5);
	tm_add(tm2, &s, &k, TK_STATIC, NULL, err, sizeof(err));
	spec(&s, &k, "t6", 6);
	k.key_out[0] ^= 1;		/* t6's keys changed meanwhile */
	tm_add(tm2, &s, &k, TK_STATIC, NULL, err, sizeof(err));
	CHECK(tm_attach(tm2, &ch, cpmgr, err, sizeof(err)) == 0, "%s", err);
	CHECK(all_zero(p2sgw_chan_sa_in(&ch, MAX_T + 3), ch.hdr->sa_in_size),
	      "an unreferenced SA slot was not wiped");
	t4 = tm_find(tm2, "t4");
	t5 = tm_find(tm2, "t5");
	CHECK(t5 != NULL && t5->state == P2SGW_SLOT_LIVE && t5->keys != NULL &&
	      t5->copy_in == NULL, "t5 not adopted with its own keys");
	CHECK(t4 != NULL && t4->state == P2SGW_SLOT_LIVE && t4->kind == TK_MANUAL &&
	      t4->keys == NULL && t4->copy_in != NULL && t4->copy_out != NULL,
	      "runtime t4 not adopted from the region's records");
	CHECK(tm_find(tm2, "t7") == NULL, "half-installed t7 adopted");
	tm_poll(tm2);
	/* to every worker: DEL of t6's old record and of t7 (slot order) */
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_DEL);
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_DEL);
	expect_and_ack(&ch, 1, P2SGW_MSG_TUNNEL_DEL);
	expect_and_ack(&ch, 1, P2SGW_MSG_TUNNEL_DEL);
	CHECK(ring_empty(&ch, 0) && ring_empty(&ch, 1),
	      "something was sent for an adopted tunnel");
	tm_poll(tm2);			/* old ones out, the new t6 in */
	for (i = 0; i < MAX_T; i++) {
		const struct p2sgw_tunnel_rec *r = p2sgw_chan_tunnel(&ch, i);

		n_live += r->state != P2SGW_SLOT_FREE;
		CHECK(r->state == P2SGW_SLOT_FREE || strcmp(r->name, "t7") != 0,
		      "t7's record left in slot %u", i);
	}
	CHECK(n_live == 3, "%u records in use, want t4, t5, t6", n_live);
	t6 = tm_find(tm2, "t6");
	CHECK(t6 != NULL && t6->state == P2SGW_SLOT_FILLED, "t6 %s",
	      t6 ? tm_state_name(t6->state) : "missing");
	expect_and_ack(&ch, 0, P2SGW_MSG_TUNNEL_ADD);
	expect_and_ack(&ch, 1, P2SGW_MSG_TUNNEL_ADD);
	tm_poll(tm2);
	CHECK(t6->state == P2SGW_SLOT_LIVE &&
	      p2sgw_chan_tunnel(&ch, t6->slot)->cfg_hash == t6->cfg_hash,
	      "t6 replaced");
	*tmp = tm2;
}

/* The dataplane restarts: a new, empty region gets every tunnel again,
 * with the same expanded keys, from the copies. */
static void
test_restart_dataplane(struct tunmgr *tm)
{
	struct p2sgw_crypto_key old_key;
	struct tunnel *t5 = tm_find(tm, "t5"), *t;
	struct p2sgw_sa *sa;
	unsigned n = 0, w;
	struct p2sgw_msg m;
	char err[128];

	old_key = p2sgw_chan_sa_in(&ch, t5->sa_in)->key;
	tm_detach(tm, "test: dataplane restarted");
	for (t = tm->head; t != NULL; t = t->next) {
		CHECK(t->state == P2SGW_SLOT_FREE && t->slot == P2SGW_SLOT_NONE,
		      "%s after detach", t->spec.name);
		n++;
	}
	region(&ch2, path2, sizeof(path2), "b", 1024);
	CHECK(tm_attach(tm, &ch2, cpmgr, err, sizeof(err)) == 0, "%s", err);
	tm_poll(tm);
	for (w = 0; w < W; w++) {
		unsigned k = 0;

		while (pop(&ch2, w, &m)) {
			answer(&ch2, w, &m, P2SGW_EV_ACK, 0);
			k++;
		}
		CHECK(k == n, "worker %u got %u ADDs for %u tunnels", w, k, n);
	}
	tm_poll(tm);
	for (t = tm->head; t != NULL; t = t->next)
		CHECK(t->state == P2SGW_SLOT_LIVE, "%s %s", t->spec.name,
		      tm_state_name(t->state));
	sa = p2sgw_chan_sa_in(&ch2, t5->sa_in);
	CHECK(memcmp(&sa->key, &old_key, sizeof(old_key)) == 0 &&
	      sa->spi == 0x1005 && sa->owner == P2SGW_SA_OWNER_NONE &&
	      sa->tunnel == t5->slot && sa->replay.size == 1024 &&
	      sa->st.deadline_ns == UINT64_MAX, "t5's SA in the new region");
	explicit_bzero(&old_key, sizeof(old_key));
}

/* ---- rekeys ------------------------------------------------------------------- */

static char rk_err[256];

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The keys of a rekey: unlike those spec() makes for any tunnel. */
static void
rk_keys(struct tun_keys *k, unsigned n)
{
	unsigned i;

	memset(k, 0, sizeof(*k));
	k->key_len = P2SGW_GCM_KEYMAT_LEN;
	for (i = 0; i < k->key_len; i++) {
		k->key_in[i] = (uint8_t)(0xa5 ^ (n * 13 + i));
		k->key_out[i] = (uint8_t)(0x5a ^ (n * 17 + i * 3));
	}
}

/* tm_rekey of NAME with rk_keys(KN); the error in rk_err, errno in *E. */
static int
rekey(struct tunmgr *tm, const char *name, uint32_t spi_in, uint32_t spi_out,
      unsigned kn, uint64_t token, int *e)
{
	struct tun_keys k;
	int rc;

	rk_keys(&k, kn);
	rk_err[0] = '\0';
	*e = -1;
	rc = tm_rekey(tm, name, spi_in, spi_out, &k,
		      token != 0 ? waiter(token) : NULL, e, rk_err,
		      sizeof(rk_err));
	CHECK(all_zero(&k, sizeof(k)), "rekey %s: caller's keys not wiped", name);
	return rc;
}

/* Pop TYPE for SLOT from every worker of C and ack it. */
static void
ack_all(const struct p2sgw_chan *c, uint32_t type, uint32_t slot)
{
	struct p2sgw_msg m;
	unsigned w;

	for (w = 0; w < W; w++) {
		m = expect_and_ack(c, w, type);
		CHECK(m.slot == slot, "worker %u: type %u for slot %u, want %u",
		      w, type, m.slot, slot);
	}
}

/* Add NAME (spec N) to the manager attached to C and play the workers
 * until it is LIVE. */
static struct tunnel *
add_live(struct tunmgr *tm, const struct p2sgw_chan *c, const char *name,
	 unsigned n)
{
	struct tunnel *t = add(tm, name, n, TK_IKE, 0);

	tm_poll(tm);
	CHECK(t != NULL && t->state == P2SGW_SLOT_FILLED, "%s not filled", name);
	if (t == NULL)
		return NULL;
	ack_all(c, P2SGW_MSG_TUNNEL_ADD, t->slot);
	tm_poll(tm);
	CHECK(t->state == P2SGW_SLOT_LIVE, "%s %s", name, tm_state_name(t->state));
	n_done = 0;
	return t;
}

/* Inbound / outbound SA slot I of C is wiped, free in the pool and
 * no tunnel's. */
static bool
in_gone(const struct tunmgr *tm, const struct p2sgw_chan *c, uint32_t i)
{
	return all_zero(p2sgw_chan_sa_in(c, i), c->hdr->sa_in_size) &&
	       !slots_in_use(&tm->in_slots, i) && tm->by_sa_in[i] == NULL;
}

static bool
out_gone(const struct tunmgr *tm, const struct p2sgw_chan *c, uint32_t i)
{
	return all_zero(p2sgw_chan_sa_out(c, i), c->hdr->sa_out_size) &&
	       !slots_in_use(&tm->out_slots, i) && tm->by_sa_out[i] == NULL;
}

static bool
tun_gone(const struct tunmgr *tm, const struct p2sgw_chan *c, uint32_t i)
{
	return all_zero(p2sgw_chan_tunnel(c, i), c->hdr->tunnel_size) &&
	       !slots_in_use(&tm->tun_slots, i) && tm->by_slot[i] == NULL;
}

/* SA's expanded key is what a worker's own manager makes of KEY. */
static bool
key_is(const struct p2sgw_sa *sa, const uint8_t *key, uint8_t len)
{
	struct p2sgw_crypto_key *want = p2sgw_crypto_key_alloc();
	bool same;

	same = want != NULL && p2sgw_crypto_key_init(mgr, want,
			P2SGW_SUITE_AES256GCM16, key, len, NULL, 0) == 0 &&
	       memcmp(want, &sa->key, sizeof(*want)) == 0;
	p2sgw_crypto_key_free(want);
	return same;
}

struct counts {
	uint32_t tun, in, out;
};

static struct counts
counts(const struct tunmgr *tm)
{
	return (struct counts){ slots_used(&tm->tun_slots),
				slots_used(&tm->in_slots),
				slots_used(&tm->out_slots) };
}

static bool
same_counts(struct counts a, struct counts b)
{
	return a.tun == b.tun && a.in == b.in && a.out == b.out;
}

/* Every phase of a LIVE tunnel's rekey, in order, with its timers. */
static void
test_rekey_live(struct tunmgr *tm, const struct p2sgw_chan *c)
{
	struct tunnel *t = add_live(tm, c, "rk1", 11);
	struct p2sgw_tunnel_rec *r = p2sgw_chan_tunnel(c, t->slot);
	uint32_t slot = t->slot, old_in = t->sa_in, old_out = t->sa_out;
	uint32_t new_in, new_out;
	uint64_t old_hash = t->cfg_hash;
	struct counts before = counts(tm);
	const struct p2sgw_sa *in, *out, *oin, *oout;
	struct p2sgw_msg m0, m1;
	struct tun_spec probe;
	struct tun_keys k;
	const char *what = "";
	int e, rc;

	rc = rekey(tm, "rk1", 0x5101, 0x6101, 1, 401, &e);
	CHECK(rc == TM_PENDING && e == 0, "rekey: %d errno %d %s", rc, e, rk_err);
	CHECK(t->rk == TM_RK_IN && tm->n_rekeying == 1 && tm_busy(tm),
	      "phase %d, %zu rekeying", (int)t->rk, tm->n_rekeying);
	new_in = t->sa_in;
	new_out = t->sa_out;
	CHECK(new_in != old_in && t->sa_in_prev == old_in && new_out != old_out &&
	      t->rk_out_old == old_out && t->slot == slot,
	      "slots: in %u prev %u out %u old out %u", new_in, t->sa_in_prev,
	      new_out, t->rk_out_old);
	CHECK(t->state == P2SGW_SLOT_LIVE && r->state == P2SGW_SLOT_LIVE &&
	      t->spec.spi_in == 0x5101 && t->spec.spi_out == 0x6101 &&
	      t->cfg_hash != old_hash, "tunnel during the rekey");
	CHECK(r->sa_in == new_in && r->sa_in_prev == old_in &&
	      r->sa_out == old_out && r->cfg_hash == t->cfg_hash,
	      "record: in %u prev %u out %u", r->sa_in, r->sa_in_prev, r->sa_out);
	CHECK(counts(tm).in == before.in + 1 && counts(tm).out == before.out + 1 &&
	      counts(tm).tun == before.tun, "slots used");
	CHECK(tm->by_sa_in[new_in] == t && tm->by_sa_in[old_in] == t &&
	      tm->by_sa_out[new_out] == t && tm->by_sa_out[old_out] == t,
	      "slot owners");
	in = p2sgw_chan_sa_in(c, new_in);
	out = p2sgw_chan_sa_out(c, new_out);
	oin = p2sgw_chan_sa_in(c, old_in);
	oout = p2sgw_chan_sa_out(c, old_out);
	rk_keys(&k, 1);
	CHECK(in->spi == 0x5101 && in->spi_be == __builtin_bswap32(0x5101) &&
	      in->dir == 0 && in->state == P2SGW_SLOT_LIVE && in->tunnel == slot &&
	      in->vip == t->spec.vip && in->replay.size == 1024 &&
	      in->owner == P2SGW_SA_OWNER_NONE && in->st.deadline_ns == UINT64_MAX,
	      "new inbound SA: spi 0x%x dir %u state %u", in->spi, in->dir,
	      in->state);
	CHECK(out->spi == 0x6101 && out->dir == 1 &&
	      out->state == P2SGW_SLOT_LIVE && out->tunnel == slot &&
	      out->nexthop == 0xac100a15 &&
	      out->peer_be == __builtin_bswap32(0xac100a15) &&
	      out->local_be == __builtin_bswap32(0xac100a01) &&
	      (out->flags & P2SGW_SA_F_ENCAP) != 0,
	      "new outbound SA: spi 0x%x dir %u state %u", out->spi, out->dir,
	      out->state);
	CHECK(key_is(in, k.key_in, k.key_len) && key_is(out, k.key_out, k.key_len),
	      "new SAs' keys differ from the dataplane's expansion of the new keys");
	CHECK(t->keys != NULL && memcmp(t->keys, &k, sizeof(k)) == 0,
	      "raw keys not the new ones");
	tun_keys_wipe(&k);
	CHECK(oin->spi == 0x100b && oin->state == P2SGW_SLOT_LIVE &&
	      oout->spi == 0x200b && oout->state == P2SGW_SLOT_LIVE,
	      "old SAs touched");

	/* SA_IN_ADD of the new inbound slot to both; the waiter after both */
	CHECK(pop(c, 0, &m0) && pop(c, 1, &m1), "SA_IN_ADD to both");
	CHECK(m0.type == P2SGW_MSG_SA_IN_ADD && m1.type == P2SGW_MSG_SA_IN_ADD &&
	      m0.slot == new_in && m1.slot == new_in && m0.seq == m1.seq,
	      "types %u %u slots %u %u", m0.type, m1.type, m0.slot, m1.slot);
	CHECK(ring_empty(c, 0) && ring_empty(c, 1), "more than SA_IN_ADD sent");
	CHECK(rekey(tm, "rk1", 0x5201, 0x6201, 2, 0, &e) == -1 && e == EBUSY &&
	      t->spec.spi_in == 0x5101, "second rekey: errno %d %s", e, rk_err);
	answer(c, 1, &m1, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(n_done == 0 && t->rk == TM_RK_IN, "waiter called after one ack");
	answer(c, 0, &m0, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(n_done == 1 && done[0].token == 401 && done[0].err == 0,
	      "rekey waiter: %u calls, err %d", n_done, done[0].err);
	/* waiting for time, not for the workers: polled at the idle tick */
	CHECK(t->rk == TM_RK_OUT_WAIT && !tm_busy(tm) && tm->n_rekey_acks == 0,
	      "phase %d", (int)t->rk);

	/* the switch of the outbound SA waits TM_REKEY_OUT_MS */
	tm_poll(tm);
	CHECK(ring_empty(c, 0) && ring_empty(c, 1) && r->sa_out == old_out &&
	      t->rk == TM_RK_OUT_WAIT, "outbound SA switched early");
	sleep_ms(TM_REKEY_OUT_MS + 50);
	tm_poll(tm);
	CHECK(t->rk == TM_RK_OUT && r->sa_out == new_out && t->sa_out == new_out,
	      "phase %d, record's sa_out %u", (int)t->rk, r->sa_out);
	CHECK(pop(c, 0, &m0) && pop(c, 1, &m1), "TUNNEL_SET_OUT to both");
	CHECK(m0.type == P2SGW_MSG_TUNNEL_SET_OUT &&
	      m1.type == P2SGW_MSG_TUNNEL_SET_OUT && m0.slot == slot &&
	      m1.slot == slot, "types %u %u slots %u %u", m0.type, m1.type,
	      m0.slot, m1.slot);
	answer(c, 0, &m0, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(t->rk == TM_RK_OUT && oout->spi == 0x200b &&
	      slots_in_use(&tm->out_slots, old_out),
	      "old outbound SA wiped after one ack");
	answer(c, 1, &m1, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(t->rk == TM_RK_PREV_WAIT && t->rk_out_old == P2SGW_SLOT_NONE,
	      "phase %d", (int)t->rk);
	CHECK(out_gone(tm, c, old_out), "old outbound slot not wiped and freed");
	CHECK(counts(tm).out == before.out, "outbound slots used %u, want %u",
	      counts(tm).out, before.out);
	{
		/* free slots go out last in, first out: it is the next one */
		uint32_t again = slots_alloc(&tm->out_slots);

		CHECK(again == old_out, "old outbound slot not reusable (%u)",
		      again);
		if (again != P2SGW_SLOT_NONE)
			slots_free(&tm->out_slots, again);
	}

	/* the old inbound SA stays TM_REKEY_PREV_MS */
	tm_poll(tm);
	CHECK(ring_empty(c, 0) && ring_empty(c, 1) && oin->spi == 0x100b &&
	      t->sa_in_prev == old_in && r->sa_in_prev == old_in,
	      "old inbound SA removed early");
	sleep_ms(TM_REKEY_PREV_MS + 100);
	tm_poll(tm);
	CHECK(t->rk == TM_RK_PREV, "phase %d", (int)t->rk);
	CHECK(pop(c, 0, &m0) && pop(c, 1, &m1), "SA_IN_DEL to both");
	CHECK(m0.type == P2SGW_MSG_SA_IN_DEL && m1.type == P2SGW_MSG_SA_IN_DEL &&
	      m0.slot == old_in && m1.slot == old_in,
	      "types %u %u slots %u %u", m0.type, m1.type, m0.slot, m1.slot);
	answer(c, 1, &m1, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(t->rk == TM_RK_PREV && oin->spi == 0x100b,
	      "old inbound SA wiped after one ack");
	answer(c, 0, &m0, P2SGW_EV_ACK, 0);
	tm_poll(tm);
	CHECK(t->rk == TM_RK_NONE && tm->n_rekeying == 0 && !tm_busy(tm),
	      "phase %d, %zu rekeying", (int)t->rk, tm->n_rekeying);
	CHECK(in_gone(tm, c, old_in), "old inbound slot not wiped and freed");
	CHECK(t->sa_in_prev == P2SGW_SLOT_NONE &&
	      r->sa_in_prev == P2SGW_SLOT_NONE && r->sa_in == new_in &&
	      r->sa_out == new_out && t->sa_in == new_in && t->sa_out == new_out,
	      "after the rekey: prev %u / %u", t->sa_in_prev, r->sa_in_prev);
	CHECK(same_counts(counts(tm), before), "slots leaked by the rekey");
	CHECK(t->state == P2SGW_SLOT_LIVE && r->state == P2SGW_SLOT_LIVE &&
	      in->state == P2SGW_SLOT_LIVE && out->state == P2SGW_SLOT_LIVE &&
	      in->spi == 0x5101 && out->spi == 0x6101 &&
	      t->spec.spi_in == 0x5101 && t->spec.spi_out == 0x6101 &&
	      tm_find(tm, "rk1") == t, "the tunnel after its rekey");
	CHECK(ring_empty(c, 0) && ring_empty(c, 1) && n_done == 1,
	      "something more sent or called");

	/* the index follows the SPIs */
	spec(&probe, &k, "probe", 99);
	tun_keys_wipe(&k);
	probe.spi_in = 0x5101;
	CHECK(tm_find_conflict(tm, &probe, 0, &what) == t &&
	      strcmp(what, "spi_in") == 0, "new spi_in not indexed");
	probe.spi_in = 0x100b;
	CHECK(tm_find_conflict(tm, &probe, 0, &what) == NULL,
	      "old spi_in still indexed (%s)", what);
	probe.peer = t->spec.peer;	/* outbound SPIs clash per peer */
	probe.spi_out = 0x6101;
	CHECK(tm_find_conflict(tm, &probe, 0, &what) == t &&
	      strcmp(what, "spi_out") == 0, "new spi_out not indexed");
	probe.spi_out = 0x200b;
	CHECK(tm_find_conflict(tm, &probe, 0, &what) == NULL,
	      "old spi_out still indexed (%s)", what);
	n_done = 0;
}

/* Refusals leave the tunnel as it was; a FILLED tunnel is busy; then a
 * deletion while the new outbound SA waits for its turn. */
static void
test_rekey_refused(struct tunmgr *tm, const struct p2sgw_chan *c)
{
	struct counts before = counts(tm);
	struct tunnel *a = add_live(tm, c, "rk2", 12);
	struct tunnel *b = add_live(tm, c, "rk3", 13), *f;
	struct counts live = counts(tm);
	struct tun_spec s0 = a->spec;
	uint64_t h0 = a->cfg_hash;
	uint32_t slot, old_in, old_out, new_in, new_out;
	int e;

	CHECK(rekey(tm, "nope", 0x5102, 0x6102, 2, 402, &e) == -1 && e == ENOENT,
	      "unknown name: errno %d %s", e, rk_err);
	CHECK(rekey(tm, "rk2", b->spec.spi_in, 0x6102, 2, 402, &e) == -1 &&
	      e == EEXIST && strstr(rk_err, "rk3") != NULL,
	      "spi_in of rk3: errno %d %s", e, rk_err);
	CHECK(rekey(tm, "rk2", P2SGW_SPI_MIN - 1, 0x6102, 2, 402, &e) == -1 &&
	      e == EINVAL, "reserved spi_in: errno %d %s", e, rk_err);
	CHECK(rekey(tm, "rk2", 0x5102, 1, 2, 402, &e) == -1 && e == EINVAL,
	      "reserved spi_out: errno %d %s", e, rk_err);
	CHECK(rekey(tm, "t4", 0x5104, 0x6104, 4, 402, &e) == -1 && e == EINVAL,
	      "tunnel without raw keys: errno %d %s", e, rk_err);
	{
		/* keys the suite cannot take: nothing changes, nothing leaks */
		struct tun_keys k;
		char err[256];

		rk_keys(&k, 2);
		k.key_len = 5;
		CHECK(tm_rekey(tm, "rk2", 0x5102, 0x6102, &k, waiter(402), &e,
			       err, sizeof(err)) == -1 && e != 0 &&
		      strstr(err, "cannot fill") != NULL, "bad keys: errno %d %s",
		      e, err);
		CHECK(all_zero(&k, sizeof(k)), "keys not wiped");
	}
	CHECK(memcmp(&a->spec, &s0, sizeof(s0)) == 0 && a->cfg_hash == h0 &&
	      a->rk == TM_RK_NONE && tm->n_rekeying == 0 &&
	      a->sa_in_prev == P2SGW_SLOT_NONE && same_counts(counts(tm), live) &&
	      ring_empty(c, 0) && ring_empty(c, 1) && n_done == 0,
	      "a refused rekey changed something");
	{
		struct tun_keys k;

		spec(&s0, &k, "rk2", 12);
		CHECK(memcmp(a->keys, &k, sizeof(k)) == 0,
		      "raw keys changed by a refused rekey");
		tun_keys_wipe(&k);
	}
	CHECK(p2sgw_chan_sa_in(c, a->sa_in)->spi == 0x100c &&
	      p2sgw_chan_sa_out(c, a->sa_out)->spi == 0x200c, "SAs changed");

	/* not LIVE yet: busy */
	f = add(tm, "rk4", 14, TK_IKE, 403);
	tm_poll(tm);
	CHECK(f->state == P2SGW_SLOT_FILLED &&
	      rekey(tm, "rk4", 0x5104, 0x6104, 4, 0, &e) == -1 && e == EBUSY &&
	      f->spec.spi_in == 0x100e, "FILLED tunnel: errno %d %s", e, rk_err);
	ack_all(c, P2SGW_MSG_TUNNEL_ADD, f->slot);
	tm_poll(tm);
	CHECK(f->state == P2SGW_SLOT_LIVE && n_done == 1, "rk4 %s",
	      tm_state_name(f->state));
	n_done = 0;

	/* a tunnel leaving: not there any more */
	slot = f->slot;
	CHECK(tm_del(tm, "rk4", NULL, rk_err, sizeof(rk_err)) == TM_PENDING &&
	      rekey(tm, "rk4", 0x5104, 0x6104, 4, 0, &e) == -1 && e == ENOENT,
	      "DYING tunnel: errno %d %s", e, rk_err);
	ack_all(c, P2SGW_MSG_TUNNEL_DEL, slot);
	tm_poll(tm);

	/* removed while the new outbound SA waits for its turn */
	slot = a->slot;
	old_in = a->sa_in;
	old_out = a->sa_out;
	CHECK(rekey(tm, "rk2", 0x5102, 0x6102, 2, 404, &e) == TM_PENDING,
	      "rekey: %s", rk_err);
	new_in = a->sa_in;
	new_out = a->sa_out;
	ack_all(c, P2SGW_MSG_SA_IN_ADD, new_in);
	tm_poll(tm);
	CHECK(a->rk == TM_RK_OUT_WAIT && n_done == 1 && done[0].token == 404 &&
	      done[0].err == 0, "phase %d", (int)a->rk);
	CHECK(tm_del(tm, "rk2", waiter(405), rk_err, sizeof(rk_err)) == TM_PENDING,
	      "del: %s", rk_err);
	CHECK(a->state == P2SGW_SLOT_DYING && a->rk == TM_RK_NONE &&
	      tm->n_rekeying == 0, "%s phase %d", tm_state_name(a->state),
	      (int)a->rk);
	sleep_ms(TM_REKEY_OUT_MS + 50);
	tm_poll(tm);
	ack_all(c, P2SGW_MSG_TUNNEL_DEL, slot);	/* and no TUNNEL_SET_OUT */
	CHECK(ring_empty(c, 0) && ring_empty(c, 1), "more sent");
	tm_poll(tm);
	CHECK(n_done == 2 && done[1].token == 405 && done[1].err == 0,
	      "del waiter: %u calls", n_done);
	CHECK(tm_find(tm, "rk2") == NULL && tun_gone(tm, c, slot) &&
	      in_gone(tm, c, old_in) && in_gone(tm, c, new_in) &&
	      out_gone(tm, c, old_out) && out_gone(tm, c, new_out),
	      "slots of rk2 (in %u/%u, out %u/%u) not wiped and freed", old_in,
	      new_in, old_out, new_out);
	slot = b->slot;
	CHECK(tm_del(tm, "rk3", NULL, rk_err, sizeof(rk_err)) == TM_PENDING,
	      "del rk3");
	ack_all(c, P2SGW_MSG_TUNNEL_DEL, slot);
	tm_poll(tm);
	CHECK(same_counts(counts(tm), before) && tm->n_rekeying == 0 &&
	      ring_empty(c, 0) && ring_empty(c, 1), "slots leaked");
	n_done = 0;
}

/* A worker refuses the new inbound SA: the tunnel is taken out, every
 * slot, old and new, is wiped. */
static void
test_rekey_nack(struct tunmgr *tm, const struct p2sgw_chan *c)
{
	struct counts before = counts(tm);
	struct tunnel *t = add_live(tm, c, "rk5", 15);
	uint32_t slot = t->slot, old_in = t->sa_in, old_out = t->sa_out;
	uint32_t new_in, new_out;
	struct p2sgw_msg m0, m1;
	int e;

	CHECK(rekey(tm, "rk5", 0x5105, 0x6105, 5, 406, &e) == TM_PENDING,
	      "rekey: %s", rk_err);
	new_in = t->sa_in;
	new_out = t->sa_out;
	CHECK(pop(c, 0, &m0) && pop(c, 1, &m1) && m0.type == P2SGW_MSG_SA_IN_ADD &&
	      m1.type == P2SGW_MSG_SA_IN_ADD, "SA_IN_ADD to both");
	answer(c, 0, &m0, P2SGW_EV_ACK, 0);
	answer(c, 1, &m1, P2SGW_EV_NACK, ENOSPC);
	tm_poll(tm);
	CHECK(n_done == 1 && done[0].token == 406 && done[0].err != 0 &&
	      strstr(done[0].msg, "worker 1 refused the rekey") != NULL,
	      "rekey waiter: %u calls, err %d %s", n_done, done[0].err,
	      done[0].msg);
	CHECK(t->state == P2SGW_SLOT_DYING &&
	      p2sgw_chan_tunnel(c, slot)->state == P2SGW_SLOT_DYING &&
	      tm->n_rekeying == 0 && tm_find(tm, "rk5") == NULL,
	      "%s, %zu rekeying", tm_state_name(t->state), tm->n_rekeying);
	expect_and_ack(c, 0, P2SGW_MSG_TUNNEL_DEL);
	tm_poll(tm);
	CHECK(!all_zero(p2sgw_chan_sa_in(c, new_in), c->hdr->sa_in_size) &&
	      !all_zero(p2sgw_chan_sa_in(c, old_in), c->hdr->sa_in_size),
	      "wiped after one ack");
	expect_and_ack(c, 1, P2SGW_MSG_TUNNEL_DEL);
	tm_poll(tm);
	CHECK(tun_gone(tm, c, slot) && in_gone(tm, c, old_in) &&
	      in_gone(tm, c, new_in) && out_gone(tm, c, old_out) &&
	      out_gone(tm, c, new_out),
	      "slots (in %u/%u, out %u/%u) not wiped and freed", old_in, new_in,
	      old_out, new_out);
	CHECK(same_counts(counts(tm), before) && n_done == 1 &&
	      ring_empty(c, 0) && ring_empty(c, 1), "slots leaked");
	n_done = 0;
}

/* Deleted while the new inbound SA is being added. */
static void
test_rekey_then_delete(struct tunmgr *tm, const struct p2sgw_chan *c)
{
	struct counts before = counts(tm);
	struct tunnel *t = add_live(tm, c, "rk6", 16);
	uint32_t slot = t->slot, old_in = t->sa_in, old_out = t->sa_out;
	uint32_t new_in, new_out;
	uint64_t stale = tm->stats.stale_events;
	struct p2sgw_msg m;
	unsigned w;
	int e;

	CHECK(rekey(tm, "rk6", 0x5106, 0x6106, 6, 407, &e) == TM_PENDING,
	      "rekey: %s", rk_err);
	new_in = t->sa_in;
	new_out = t->sa_out;
	CHECK(tm_del(tm, "rk6", waiter(408), rk_err, sizeof(rk_err)) == TM_PENDING,
	      "del: %s", rk_err);
	CHECK(n_done == 0, "a waiter called from tm_del");
	CHECK(t->state == P2SGW_SLOT_DYING && t->rk == TM_RK_NONE &&
	      tm->n_rekeying == 0, "%s phase %d", tm_state_name(t->state),
	      (int)t->rk);
	tm_poll(tm);
	CHECK(n_done == 1 && done[0].token == 407 && done[0].err != 0,
	      "rekey waiter: %u calls, err %d", n_done, done[0].err);
	/* each worker: the SA_IN_ADD (stale by now), then TUNNEL_DEL */
	for (w = 0; w < W; w++) {
		m = expect_and_ack(c, w, P2SGW_MSG_SA_IN_ADD);
		CHECK(m.slot == new_in, "SA_IN_ADD slot %u", m.slot);
		m = expect_and_ack(c, w, P2SGW_MSG_TUNNEL_DEL);
		CHECK(m.slot == slot, "TUNNEL_DEL slot %u", m.slot);
	}
	tm_poll(tm);
	CHECK(tm->stats.stale_events == stale + 2, "stale %llu, want %llu",
	      (unsigned long long)tm->stats.stale_events,
	      (unsigned long long)stale + 2);
	CHECK(n_done == 2 && done[1].token == 408 && done[1].err == 0,
	      "del waiter: %u calls", n_done);
	CHECK(tun_gone(tm, c, slot) && in_gone(tm, c, old_in) &&
	      in_gone(tm, c, new_in) && out_gone(tm, c, old_out) &&
	      out_gone(tm, c, new_out),
	      "slots (in %u/%u, out %u/%u) not wiped and freed", old_in, new_in,
	      old_out, new_out);
	CHECK(same_counts(counts(tm), before) && ring_empty(c, 0) &&
	      ring_empty(c, 1), "slots leaked: %u/%u/%u, want %u/%u/%u",
	      counts(tm).tun, counts(tm).in, counts(tm).out, before.tun,
	      before.in, before.out);
	n_done = 0;
}

/* A tunnel that holds no slot (waiting for another with its VIP to leave)
 * takes the new SPIs at once and is installed with them. */
static void
test_rekey_while_waiting(struct tunmgr *tm, const struct p2sgw_chan *c)
{
	struct tunnel *x = add_live(tm, c, "rk8", 18), *y;
	uint32_t slot = x->slot;
	struct tun_keys k;
	int e, rc;

	CHECK(tm_del(tm, "rk8", NULL, rk_err, sizeof(rk_err)) == TM_PENDING,
	      "del");
	y = add(tm, "rk9", 18, TK_IKE, 409);	/* rk8's VIP and SPIs */
	tm_poll(tm);
	CHECK(y->state == P2SGW_SLOT_FREE, "rk9 %s", tm_state_name(y->state));
	rc = rekey(tm, "rk9", 0x5109, 0x6109, 9, 410, &e);
	CHECK(rc == TM_DONE && e == 0 && y->rk == TM_RK_NONE &&
	      tm->n_rekeying == 0 && y->spec.spi_in == 0x5109 &&
	      y->spec.spi_out == 0x6109, "rekey of a waiting tunnel: %d %s", rc,
	      rk_err);
	ack_all(c, P2SGW_MSG_TUNNEL_DEL, slot);
	tm_poll(tm);
	CHECK(y->state == P2SGW_SLOT_FILLED, "rk9 %s", tm_state_name(y->state));
	ack_all(c, P2SGW_MSG_TUNNEL_ADD, y->slot);
	tm_poll(tm);
	rk_keys(&k, 9);
	CHECK(y->state == P2SGW_SLOT_LIVE && n_done == 1 && done[0].token == 409,
	      "rk9 %s, %u calls", tm_state_name(y->state), n_done);
	CHECK(p2sgw_chan_sa_in(c, y->sa_in)->spi == 0x5109 &&
	      p2sgw_chan_sa_out(c, y->sa_out)->spi == 0x6109 &&
	      key_is(p2sgw_chan_sa_in(c, y->sa_in), k.key_in, k.key_len) &&
	      key_is(p2sgw_chan_sa_out(c, y->sa_out), k.key_out, k.key_len),
	      "rk9 installed without its new SPIs and keys");
	tun_keys_wipe(&k);
	n_done = 0;
}

/* A rekey asked for while the last one only waits to drop its old
 * inbound SA: queued, that wait cut short, then started; a third one in
 * the meantime is refused. */
static void
test_rekey_queued(struct tunmgr *tm, const struct p2sgw_chan *c)
{
	struct tunnel *t = add_live(tm, c, "rkq", 19);
	uint32_t first_in, second_in;
	struct tun_keys k;
	int e, rc;

	if (t == NULL)
		return;
	first_in = t->sa_in;
	CHECK(rekey(tm, "rkq", 0x5119, 0x6119, 19, 419, &e) == TM_PENDING,
	      "first rekey: %s", rk_err);
	second_in = t->sa_in;
	ack_all(c, P2SGW_MSG_SA_IN_ADD, second_in);
	tm_poll(tm);
	sleep_ms(TM_REKEY_OUT_MS + 50);
	tm_poll(tm);
	ack_all(c, P2SGW_MSG_TUNNEL_SET_OUT, t->slot);
	tm_poll(tm);
	CHECK(t->rk == TM_RK_PREV_WAIT && tm_rekey_can_queue(t) &&
	      tm_rekey_ready(tm, "rkq"), "phase %d", (int)t->rk);
	rc = rekey(tm, "rkq", 0x5129, 0x6129, 29, 429, &e);
	CHECK(rc == TM_PENDING && t->rk_next != NULL && t->rk == TM_RK_PREV_WAIT &&
	      t->spec.spi_in == 0x5119, "second rekey not queued: %d %s", rc,
	      rk_err);
	CHECK(rekey(tm, "rkq", 0x5139, 0x6139, 30, 430, &e) == -1 && e == EBUSY &&
	      !tm_rekey_ready(tm, "rkq"), "third rekey: errno %d %s", e, rk_err);
	/* no TM_REKEY_PREV_MS wait now */
	tm_poll(tm);
	CHECK(t->rk == TM_RK_PREV, "phase %d after the queue", (int)t->rk);
	ack_all(c, P2SGW_MSG_SA_IN_DEL, first_in);
	tm_poll(tm);
	CHECK(t->rk == TM_RK_IN && t->rk_next == NULL &&
	      t->sa_in_prev == second_in && t->spec.spi_in == 0x5129 &&
	      t->spec.spi_out == 0x6129, "queued rekey not started: phase %d",
	      (int)t->rk);
	ack_all(c, P2SGW_MSG_SA_IN_ADD, t->sa_in);
	tm_poll(tm);
	CHECK(n_done == 2 && done[0].token == 419 && done[0].err == 0 &&
	      done[1].token == 429 && done[1].err == 0,
	      "waiters: %u calls", n_done);
	rk_keys(&k, 29);
	CHECK(p2sgw_chan_sa_in(c, t->sa_in)->spi == 0x5129 &&
	      key_is(p2sgw_chan_sa_in(c, t->sa_in), k.key_in, k.key_len),
	      "the queued rekey's inbound SA");
	tun_keys_wipe(&k);
	/* removing the tunnel in the middle of it leaks nothing */
	CHECK(tm_del(tm, "rkq", NULL, rk_err, sizeof(rk_err)) == TM_PENDING,
	      "del: %s", rk_err);
	ack_all(c, P2SGW_MSG_TUNNEL_DEL, t->slot);
	tm_poll(tm);
	CHECK(tm_find(tm, "rkq") == NULL && tm->n_rekeying == 0,
	      "rkq left after its deletion");
	n_done = 0;
}

/* The SA records' filled part, without this region's bookkeeping. */
static void
filled_part(struct p2sgw_sa *dst, const struct p2sgw_sa *src)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, src, TM_SA_FILLED_LEN);
	dst->tunnel = 0;
	dst->created_ns = 0;
	dst->state = 0;
	dst->acks = 0;
}

/* The region goes away in the middle of a rekey: the new SAs are the
 * tunnel's; the next region gets them, as from a plain install. */
static void
test_rekey_region_gone(struct tunmgr *tm)
{
	static struct p2sgw_sa rk_in, rk_out, got;
	struct tunnel *t = add_live(tm, &ch2, "rk7", 17), *u;
	struct tunnel *t5 = tm_find(tm, "t5");
	uint64_t h5 = t5->cfg_hash;
	struct p2sgw_msg m;
	struct tun_keys k;
	unsigned w, n = 0;
	char err[128];
	int e, rc;

	CHECK(rekey(tm, "rk7", 0x5107, 0x6107, 7, 411, &e) == TM_PENDING,
	      "rekey: %s", rk_err);
	filled_part(&rk_in, p2sgw_chan_sa_in(&ch2, t->sa_in));
	filled_part(&rk_out, p2sgw_chan_sa_out(&ch2, t->sa_out));
	tm_detach(tm, "test: dataplane gone during a rekey");
	CHECK(n_done == 1 && done[0].token == 411 && done[0].err == 0,
	      "rekey waiter: %u calls, err %d %s", n_done, done[0].err,
	      done[0].msg);
	CHECK(t->state == P2SGW_SLOT_FREE && t->rk == TM_RK_NONE &&
	      tm->n_rekeying == 0 && t->sa_in_prev == P2SGW_SLOT_NONE &&
	      t->rk_out_old == P2SGW_SLOT_NONE && t->spec.spi_in == 0x5107 &&
	      t->spec.spi_out == 0x6107, "rk7 after detach: %s phase %d",
	      tm_state_name(t->state), (int)t->rk);

	/* no region: done at once, no callback */
	rc = rekey(tm, "t5", 0x5105, 0x6105, 5, 412, &e);
	CHECK(rc == TM_DONE && e == 0 && t5->spec.spi_in == 0x5105 &&
	      t5->spec.spi_out == 0x6105 && t5->cfg_hash != h5 &&
	      t5->state == P2SGW_SLOT_FREE && tm->n_rekeying == 0,
	      "rekey without a region: %d %s", rc, rk_err);
	{
		struct tun_spec probe;
		const char *what = "";

		spec(&probe, &k, "probe", 99);
		tun_keys_wipe(&k);
		probe.spi_in = 0x5105;
		CHECK(tm_find_conflict(tm, &probe, 0, &what) == t5,
		      "t5's new spi_in not indexed");
		probe.spi_in = 0x1005;
		CHECK(tm_find_conflict(tm, &probe, 0, &what) == NULL,
		      "t5's old spi_in still indexed (%s)", what);
	}

	region(&ch3, path3, sizeof(path3), "c", 1024);
	CHECK(tm_attach(tm, &ch3, cpmgr, err, sizeof(err)) == 0, "%s", err);
	tm_poll(tm);
	for (u = tm->head; u != NULL; u = u->next)
		n++;
	for (w = 0; w < W; w++) {
		unsigned got_n = 0;

		while (pop(&ch3, w, &m)) {
			CHECK(m.type == P2SGW_MSG_TUNNEL_ADD, "type %u", m.type);
			answer(&ch3, w, &m, P2SGW_EV_ACK, 0);
			got_n++;
		}
		CHECK(got_n == n, "worker %u got %u ADDs for %u tunnels", w,
		      got_n, n);
	}
	tm_poll(tm);
	CHECK(t->state == P2SGW_SLOT_LIVE && t5->state == P2SGW_SLOT_LIVE &&
	      n_done == 1, "rk7 %s, t5 %s", tm_state_name(t->state),
	      tm_state_name(t5->state));
	CHECK(p2sgw_chan_tunnel(&ch3, t->slot)->sa_in_prev == P2SGW_SLOT_NONE &&
	      t->sa_in_prev == P2SGW_SLOT_NONE, "rk7 installed with a prev SA");
	filled_part(&got, p2sgw_chan_sa_in(&ch3, t->sa_in));
	CHECK(got.spi == 0x5107 && memcmp(&got, &rk_in, TM_SA_FILLED_LEN) == 0,
	      "rk7's inbound SA installed (spi 0x%x) differs from the one its "
	      "rekey filled", got.spi);
	filled_part(&got, p2sgw_chan_sa_out(&ch3, t->sa_out));
	CHECK(got.spi == 0x6107 && memcmp(&got, &rk_out, TM_SA_FILLED_LEN) == 0,
	      "rk7's outbound SA installed (spi 0x%x) differs from the one its "
	      "rekey filled", got.spi);
	rk_keys(&k, 7);
	CHECK(key_is(p2sgw_chan_sa_in(&ch3, t->sa_in), k.key_in, k.key_len) &&
	      key_is(p2sgw_chan_sa_out(&ch3, t->sa_out), k.key_out, k.key_len),
	      "rk7's keys in the new region");
	rk_keys(&k, 5);
	CHECK(p2sgw_chan_sa_in(&ch3, t5->sa_in)->spi == 0x5105 &&
	      p2sgw_chan_sa_out(&ch3, t5->sa_out)->spi == 0x6105 &&
	      key_is(p2sgw_chan_sa_in(&ch3, t5->sa_in), k.key_in, k.key_len) &&
	      key_is(p2sgw_chan_sa_out(&ch3, t5->sa_out), k.key_out, k.key_len) &&
	      p2sgw_chan_tunnel(&ch3, t5->slot)->cfg_hash == t5->cfg_hash,
	      "t5 installed without its new SPIs and keys");
	tun_keys_wipe(&k);
	explicit_bzero(&rk_in, sizeof(rk_in));
	explicit_bzero(&rk_out, sizeof(rk_out));
	explicit_bzero(&got, sizeof(got));
	n_done = 0;
}

int
main(void)
{
	struct tunmgr *tm;
	const char *why = "";
	char err[256];

	cp_log_setup(getenv("P2SGW_TEST_VERBOSE") ? CP_LOG_DEBUG : CP_LOG_ERROR,
		     false);
	mgr = p2sgw_crypto_mgr_create();
	if (mgr == NULL) {
		fprintf(stderr, "no IPsec-MB manager\n");
		return 77;
	}
	cpmgr = dpchan_mgr_for_arch(mgr->used_arch, &why);
	CHECK(cpmgr != NULL, "no manager for arch %u: %s", mgr->used_arch, why);
	if (cpmgr == NULL)
		return cptest_done("tunnels");
	region(&ch, path, sizeof(path), "a", 2048);
	tm = tm_new(&net);
	CHECK(tm_attach(tm, &ch, cpmgr, err, sizeof(err)) == 0, "%s", err);
	test_install_acks_any_order(tm);
	test_nack(tm);
	test_full_ring(tm);
	test_delete_wipes(tm);
	test_window_too_large(tm);
	test_conflicts_and_lifetime(tm);
	test_restart_control(&tm);
	test_restart_dataplane(tm);
	test_rekey_live(tm, &ch2);
	test_rekey_refused(tm, &ch2);
	test_rekey_nack(tm, &ch2);
	test_rekey_then_delete(tm, &ch2);
	test_rekey_while_waiting(tm, &ch2);
	test_rekey_queued(tm, &ch2);
	test_rekey_region_gone(tm);
	tm_free(tm);
	p2sgw_chan_close(&ch, true);
	p2sgw_chan_close(&ch2, true);
	p2sgw_chan_close(&ch3, true);
	p2sgw_crypto_mgr_free(mgr);
	free_mb_mgr(cpmgr);
	return cptest_done("tunnels");
}
