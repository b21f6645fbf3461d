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
 */
#include <errno.h>

#include "cptest.h"
#include "dpchan.h"
#include "log.h"
#include "tunnels.h"

enum { W = 2, MAX_T = 16 };

static struct p2sgw_chan ch, ch2;
static char path[64], path2[64];
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
	tm_free(tm);
	p2sgw_chan_close(&ch, true);
	p2sgw_chan_close(&ch2, true);
	p2sgw_crypto_mgr_free(mgr);
	free_mb_mgr(cpmgr);
	return cptest_done("tunnels");
}
