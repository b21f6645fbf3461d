/* SPDX-License-Identifier: BSD-3-Clause
 * CREATE_CHILD_SA, responder side (RFC 7296 1.3, 2.8, 2.17, 2.18):
 * - rekeying the CHILD SA (N(REKEY_SA)): new SPIs and KEYMAT, with PFS
 *   when the client sends KE; the tunnel manager adds the new inbound SA
 *   before we answer and switches the outbound one after (make before
 *   break);
 * - rekeying the IKE SA: a new IKE SA with keys from the old SK_d takes
 *   over the client's identity, address and CHILD SA; the client deletes
 *   the old one;
 * - anything else (a second CHILD SA) gets NO_ADDITIONAL_SAS: one
 *   tunnel per client.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cp.h"
#include "dpchan.h"
#include "ike_int.h"
#include "log.h"
#include "tunnels.h"
#include "tunspec.h"

struct child_req {
	struct ike_sa_pl sa;
	const struct ike_pl *nonce;
	struct ike_ke ke;
	bool has_ke;
	struct ike_ts_pl tsi, tsr;
	bool has_ts;
};

static int
decode(const struct ike_msg *m, struct child_req *r, const char **why)
{
	const struct ike_pl *p;

	memset(r, 0, sizeof(*r));
	if ((p = ike_find(m, IKE_PL_SA, true)) == NULL) {
		*why = "no SA payload";
		return -1;
	}
	if (ike_dec_sa(p, &r->sa, why) < 0)
		return -1;
	r->nonce = ike_find(m, IKE_PL_NONCE, true);
	if (r->nonce == NULL || r->nonce->len < IKE_NONCE_MIN ||
	    r->nonce->len > IKE_NONCE_MAX) {
		*why = "no nonce, or one outside 16..256 bytes";
		return -1;
	}
	if ((p = ike_find(m, IKE_PL_KE, true)) != NULL) {
		if (ike_dec_ke(p, &r->ke, why) < 0)
			return -1;
		r->has_ke = true;
	}
	p = ike_find(m, IKE_PL_TSI, true);
	if (p != NULL) {
		const struct ike_pl *q = ike_find(m, IKE_PL_TSR, true);

		if (q == NULL || ike_dec_ts(p, &r->tsi, why) < 0 ||
		    ike_dec_ts(q, &r->tsr, why) < 0) {
			*why = q ? *why : "TSi without TSr";
			return -1;
		}
		r->has_ts = true;
	}
	return 0;
}

/* DH for PFS (KE in the request): *GIR, our KE payload into O. */
static int
pfs(struct ike *x, struct ike_sa *sa, const struct child_req *r, uint16_t group,
    uint8_t *gir, size_t cap, size_t *glen, struct ike_out *o)
{
	struct ike_dh *dh = ike_dh_new(group);
	size_t klen = ike_dh_len(group);
	uint8_t *p;
	int rc = -1;

	(void)x;
	if (dh == NULL || r->ke.len != klen ||
	    ike_dh_shared(dh, r->ke.data, r->ke.len, gir, cap, glen) < 0) {
		SA_LOG(CP_LOG_INFO, sa, "invalid KE for group %u", group);
		goto out;
	}
	p = ike_out_pl(o, IKE_PL_KE, IKE_KE_FIXED + klen);
	if (p == NULL)
		goto out;
	ike_put16(p, group);
	p[2] = p[3] = 0;
	rc = ike_dh_public(dh, p + IKE_KE_FIXED, klen);
out:
	ike_dh_free(dh);
	return rc;
}

/* ---- rekeying the CHILD SA ---- */

static void
child_done(void *arg, uint64_t token, int err, const char *msg)
{
	struct ike *x = arg;
	struct ike_sa *sa = ike_sa_by_token(x, token);
	struct ike_msg m;

	if (sa == NULL || !sa->child_pending)
		return;
	sa->child_pending = false;
	if (err != 0) {
		x->st.rekey_refused++;
		SA_LOG(CP_LOG_WARNING, sa, "CHILD SA rekey failed in the "
		       "dataplane: %s", msg ? msg : "?");
		memset(&m, 0, sizeof(m));
		m.hdr.exchange = IKE_CREATE_CHILD_SA;
		m.hdr.msgid = sa->peer_next;
		ike_respond_error(x, sa, &m, IKE_N_TEMPORARY_FAILURE);
		return;
	}
	sa->child.old_spi_in = sa->child.spi_in;
	sa->child.old_spi_out = sa->child.spi_out;
	sa->child.spi_in = sa->child.new_spi_in;
	sa->child.spi_out = sa->child.new_spi_out;
	sa->child.rekeys++;
	x->st.child_rekeys++;
	ike_child_schedule(x, sa);
	ike_pending_send(x, sa, IKE_CREATE_CHILD_SA);
	SA_LOG(CP_LOG_INFO, sa, "CHILD SA rekeyed: SPIs 0x%08x/0x%08x "
	       "(were 0x%08x/0x%08x)", sa->child.spi_in, sa->child.spi_out,
	       sa->child.old_spi_in, sa->child.old_spi_out);
}

static void
refuse(struct ike *x, struct ike_sa *sa, const struct ike_msg *m,
       uint16_t notify, const char *why)
{
	x->st.rekey_refused++;
	SA_LOG(CP_LOG_NOTICE, sa, "CREATE_CHILD_SA refused with %s: %s",
	       ike_notify_name(notify), why);
	ike_respond_error(x, sa, m, notify);
}

/* The response's payloads (after any KE already in O) and KEYMAT. */
static int
child_response(struct ike *x, struct ike_sa *sa, const struct child_req *r,
	       struct ike_choice *c, const uint8_t *nr, struct ike_out *o)
{
	struct ike_ts tsi, tsr[255];
	unsigned n_tsr = 0;

	ike_put32(c->spi, sa->child.new_spi_in);
	if (ike_out_sa(o, c) < 0 ||
	    ike_out_copy(o, IKE_PL_NONCE, nr, IKE_NONCE_LEN) < 0)
		return -1;
	if (r->has_ts) {
		n_tsr = ike_narrow_tsr(&x->cp->cfg, &r->tsr, tsr, 255);
		if (!ike_narrow_tsi(&r->tsi, sa->vip, &tsi) || n_tsr == 0)
			return 1;
		if (ike_out_ts(o, IKE_PL_TSI, &tsi, 1) < 0 ||
		    ike_out_ts(o, IKE_PL_TSR, tsr, n_tsr) < 0)
			return -1;
	}
	return o->overflow ? -1 : 0;
}

/* The answer to CREATE_CHILD_SA R (request M) for proposal C: new SPIs
 * in sa->child.new_spi_in/out, our nonce into NR (NR_IN, or fresh), the
 * PFS secret into GIR/GLEN (when R has KE), the payloads into O. 0, or
 * -1 once the request has been answered (INVALID_KE_PAYLOAD or an error
 * notify). */
static int
answer_child(struct ike *x, struct ike_sa *sa, struct ike_msg *m,
	     const struct child_req *r, struct ike_choice *c,
	     const uint8_t *nr_in, uint8_t nr[IKE_NONCE_LEN],
	     uint8_t gir[IKE_MAX_DH_LEN], size_t *glen, struct ike_out *o)
{
	int rc;

	*glen = 0;
	if (r->has_ke && c->dh != r->ke.group) {
		uint8_t g[2];

		ike_put16(g, c->dh);
		x->st.invalid_ke++;
		ike_out_chain(o, x->ibuf, sizeof(x->ibuf));
		ike_out_notify(o, 0, IKE_N_INVALID_KE_PAYLOAD, g, 2);
		ike_send_sk(x, sa, IKE_CREATE_CHILD_SA, m->hdr.msgid, true, o);
		return -1;
	}
	sa->child.new_spi_in = ike_alloc_spi(x);
	sa->child.new_spi_out = ike_get32(c->spi);
	if (nr_in != NULL)
		memcpy(nr, nr_in, IKE_NONCE_LEN);
	if (sa->child.new_spi_in == 0 || sa->child.new_spi_out < P2SGW_SPI_MIN ||
	    (nr_in == NULL && RAND_bytes(nr, IKE_NONCE_LEN) != 1)) {
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE, "no SPI or nonce");
		return -1;
	}
	ike_out_chain(o, x->ibuf, sizeof(x->ibuf));
	if (r->has_ke && pfs(x, sa, r, c->dh, gir, IKE_MAX_DH_LEN, glen, o) < 0) {
		OPENSSL_cleanse(gir, IKE_MAX_DH_LEN);
		refuse(x, sa, m, IKE_N_INVALID_SYNTAX, "invalid KE");
		return -1;
	}
	rc = child_response(x, sa, r, c, nr, o);
	if (rc != 0) {
		OPENSSL_cleanse(gir, IKE_MAX_DH_LEN);
		refuse(x, sa, m, rc > 0 ? IKE_N_TS_UNACCEPTABLE :
		       IKE_N_TEMPORARY_FAILURE, rc > 0 ? "traffic selectors" :
		       "cannot build the response");
		return -1;
	}
	return 0;
}

/* Answer the client's CHILD SA rekey R (request M) with our nonce NR_IN
 * (NULL: a fresh one). INSTALL false: the client's SA lost a collision;
 * answered as usual but never installed (the client deletes it). */
static void
rekey_child(struct ike *x, struct ike_sa *sa, struct ike_msg *m,
	    const struct child_req *r, const uint8_t *nr_in, bool install)
{
	struct tm_waiter w = { child_done, x, ike_sa_token(sa) };
	uint8_t nr[IKE_NONCE_LEN], gir[IKE_MAX_DH_LEN];
	uint8_t km[2 * (P2SGW_MAX_KEY_LEN + P2SGW_MAX_AUTH_KEY_LEN)];
	size_t glen = 0, kmlen;
	struct ike_choice c;
	enum p2sgw_suite suite;
	struct tun_keys k;
	struct ike_out o;
	char err[TM_FAIL_LEN];
	int rc, e;

	switch (ike_pick_esp(&x->cp->cfg, &r->sa, r->has_ke ? r->ke.group : 0,
			     &c, &suite)) {
	case IKE_PICK_OK:
		if (suite == sa->child.suite)
			break;
		/* fall through */
	case IKE_PICK_NONE:
		refuse(x, sa, m, IKE_N_NO_PROPOSAL_CHOSEN,
		       "no ESP proposal with the CHILD SA's suite and an "
		       "allowed PFS group");
		return;
	case IKE_PICK_KE:
		break;			/* c.dh names the group we want */
	}
	if (answer_child(x, sa, m, r, &c, nr_in, nr, gir, &glen, &o) < 0)
		return;
	kmlen = 2 * (tun_key_len(suite) + tun_auth_key_len(suite));
	rc = ike_child_keymat(sa->suite.prf, sa->k.d, sa->k.d_len,
			      glen ? gir : NULL, glen, r->nonce->body,
			      r->nonce->len, nr, sizeof(nr), km, kmlen);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc < 0) {
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE, "KEYMAT");
		return;
	}
	ike_split_keymat(km, suite, &k);
	OPENSSL_cleanse(km, sizeof(km));
	if (!install) {
		tun_keys_wipe(&k);
		sa->child.red_spi_in = sa->child.new_spi_in;
		sa->child.red_spi_out = sa->child.new_spi_out;
		ike_send_sk(x, sa, IKE_CREATE_CHILD_SA, m->hdr.msgid, true, &o);
		OPENSSL_cleanse(x->ibuf, o.len);
		x->st.redundant_deleted++;
		SA_LOG(CP_LOG_INFO, sa, "the client's CHILD SA rekey lost the "
		       "collision: answered, not installed (SPIs 0x%08x/0x%08x)",
		       sa->child.red_spi_in, sa->child.red_spi_out);
		return;
	}
	if (ike_pending_keep(sa, &o) < 0) {
		tun_keys_wipe(&k);
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE, "out of memory");
		return;
	}
	sa->child_pending = true;
	rc = tm_rekey(x->cp->tm, sa->child.name, sa->child.new_spi_in,
		      sa->child.new_spi_out, &k, &w, &e, err, sizeof(err));
	if (rc < 0) {
		sa->child_pending = false;
		refuse(x, sa, m, e == EBUSY ? IKE_N_TEMPORARY_FAILURE :
		       IKE_N_NO_ADDITIONAL_SAS, err);
		return;
	}
	if (x->cp->dpc != NULL)
		dpchan_kick(x->cp->dpc);
	if (rc == TM_DONE)
		child_done(x, ike_sa_token(sa), 0, NULL);
}

/* ---- a new CHILD SA after the client deleted its only one ---- */

static void
new_child_done(void *arg, uint64_t token, int err, const char *msg)
{
	struct ike *x = arg;
	struct ike_sa *sa = ike_sa_by_token(x, token);
	struct ike_msg m;

	if (sa == NULL || !sa->child_pending)
		return;
	sa->child_pending = false;
	if (err != 0) {
		x->st.install_failed++;
		sa->child.present = false;
		SA_LOG(CP_LOG_WARNING, sa, "the dataplane refused the new CHILD "
		       "SA: %s", msg ? msg : "?");
		memset(&m, 0, sizeof(m));
		m.hdr.exchange = IKE_CREATE_CHILD_SA;
		m.hdr.msgid = sa->peer_next;
		ike_pending_drop(sa);
		ike_respond_error(x, sa, &m, IKE_N_TEMPORARY_FAILURE);
		return;
	}
	ike_child_schedule(x, sa);
	ike_pending_send(x, sa, IKE_CREATE_CHILD_SA);
	x->st.new_children++;
	SA_LOG(CP_LOG_NOTICE, sa, "new CHILD SA %s for '%s': SPIs "
	       "0x%08x/0x%08x", sa->child.name, sa->identity, sa->child.spi_in,
	       sa->child.spi_out);
}

/* CREATE_CHILD_SA without REKEY_SA on an IKE SA whose CHILD SA the
 * client deleted (strongSwan does that after a failed rekey): the same
 * virtual IP, an ESP proposal of the policy, PFS when it sends KE. */
static void
new_child(struct ike *x, struct ike_sa *sa, struct ike_msg *m,
	  const struct child_req *r)
{
	uint8_t nr[IKE_NONCE_LEN], gir[IKE_MAX_DH_LEN];
	size_t glen = 0;
	struct ike_choice c;
	enum p2sgw_suite suite;
	struct ike_out o;
	char err[TM_FAIL_LEN];
	int rc;

	if (!r->has_ts) {
		refuse(x, sa, m, IKE_N_INVALID_SYNTAX, "no traffic selectors");
		return;
	}
	switch (ike_pick_esp(&x->cp->cfg, &r->sa, r->has_ke ? r->ke.group : 0,
			     &c, &suite)) {
	case IKE_PICK_OK:
		break;
	case IKE_PICK_KE:
		break;			/* c.dh names the group we want */
	default:
		refuse(x, sa, m, IKE_N_NO_PROPOSAL_CHOSEN,
		       "no ESP proposal allowed by ike.esp_proposals");
		return;
	}
	if (answer_child(x, sa, m, r, &c, NULL, nr, gir, &glen, &o) < 0)
		return;
	if (ike_pending_keep(sa, &o) < 0) {
		OPENSSL_cleanse(gir, sizeof(gir));
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE, "out of memory");
		return;
	}
	sa->child.spi_in = sa->child.new_spi_in;
	sa->child.spi_out = sa->child.new_spi_out;
	sa->child.old_spi_in = sa->child.old_spi_out = 0;
	sa->child.red_spi_in = sa->child.red_spi_out = 0;
	sa->child.rekeys = 0;
	sa->child.encap = sa->nat_peer || sa->nat_local;
	sa->child_pending = true;
	rc = ike_install_child(x, sa, &c, suite, new_child_done, r->nonce->body,
			       r->nonce->len, nr, sizeof(nr), glen ? gir : NULL,
			       glen, err, sizeof(err));
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc < 0) {
		sa->child_pending = false;
		ike_pending_drop(sa);
		x->st.install_failed++;
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE, err);
		return;
	}
	if (rc == TM_DONE)
		new_child_done(x, ike_sa_token(sa), 0, NULL);
}

/* ---- rekeying the IKE SA ---- */

/* Nonces compared as RFC 7296 2.8.1 orders them: octet by octet, a
 * shorter one first when it is a prefix of the other. */
static int
nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c != 0 ? c : (al > bl) - (al < bl);
}

static void
move_over(struct ike_sa *old, struct ike_sa *sa)
{
	memcpy(sa->identity, old->identity, sizeof(sa->identity));
	memcpy(sa->subject, old->subject, sizeof(sa->subject));
	memcpy(sa->thumb, old->thumb, sizeof(sa->thumb));
	sa->vip = old->vip;
	sa->child = old->child;
	sa->nat_peer = old->nat_peer;
	sa->nat_local = old->nat_local;
	sa->peer_hashes = old->peer_hashes;
	sa->rk_group = old->rk_group;
	sa->frag_ok = old->frag_ok;
	sa->established_ns = old->established_ns;
	old->vip = 0;
	old->child.present = false;
}

static void
rekey_ike(struct ike *x, struct ike_sa *old, struct ike_msg *m,
	  const struct child_req *r, const struct ike_prop *p)
{
	struct ike_sa_pl one = { .n = 1 };
	uint8_t gir[IKE_MAX_DH_LEN], nr[IKE_NONCE_LEN];
	struct ike_choice c;
	struct ike_suite suite;
	struct ike_sa *sa;
	struct ike_out o;
	size_t glen = 0;
	uint16_t group;
	uint8_t g[2];

	one.prop[0] = *p;
	if (!r->has_ke) {
		refuse(x, old, m, IKE_N_INVALID_SYNTAX, "IKE SA rekey without KE");
		return;
	}
	if (old->rk.active || (!old->child.present && old->vip == 0)) {
		/* its CHILD SA is being rekeyed by us, or has moved on */
		refuse(x, old, m, IKE_N_TEMPORARY_FAILURE,
		       old->rk.active ? "we are rekeying the CHILD SA" :
		       "this IKE SA was rekeyed already");
		return;
	}
	switch (ike_pick_ike(&x->cp->cfg, &one, r->ke.group, &c, &suite,
			     &group)) {
	case IKE_PICK_OK:
		break;
	case IKE_PICK_KE:
		ike_put16(g, group);
		x->st.invalid_ke++;
		ike_out_chain(&o, x->ibuf, sizeof(x->ibuf));
		ike_out_notify(&o, 0, IKE_N_INVALID_KE_PAYLOAD, g, 2);
		ike_send_sk(x, old, IKE_CREATE_CHILD_SA, m->hdr.msgid, true, &o);
		return;
	default:
		refuse(x, old, m, IKE_N_NO_PROPOSAL_CHOSEN, "IKE SA proposal");
		return;
	}
	sa = ike_sa_new(x, p->spi, &old->addr);
	if (sa == NULL || RAND_bytes(nr, sizeof(nr)) != 1) {
		if (sa != NULL)
			ike_sa_free(x, sa);
		refuse(x, old, m, IKE_N_TEMPORARY_FAILURE, "out of memory");
		return;
	}
	ike_out_chain(&o, x->ibuf, sizeof(x->ibuf));
	c.spi_len = IKE_SPI_LEN;
	memcpy(c.spi, sa->spi_r, IKE_SPI_LEN);
	if (ike_out_sa(&o, &c) < 0 ||
	    ike_out_copy(&o, IKE_PL_NONCE, nr, sizeof(nr)) < 0 ||
	    pfs(x, old, r, suite.dh, gir, sizeof(gir), &glen, &o) < 0 ||
	    ike_derive_keys(&suite, r->nonce->body, r->nonce->len, nr,
			    sizeof(nr), gir, glen, sa->spi_i, sa->spi_r,
			    old->k.d, old->k.d_len, &sa->k) < 0) {
		OPENSSL_cleanse(gir, sizeof(gir));
		ike_sa_free(x, sa);
		refuse(x, old, m, IKE_N_INVALID_SYNTAX, "IKE SA rekey failed");
		return;
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	sa->suite = suite;
	ike_sa_set_dirs(sa);
	memcpy(sa->ni, r->nonce->body, r->nonce->len);
	sa->ni_len = r->nonce->len;
	memcpy(sa->nr, nr, sizeof(nr));
	/* answered under the old SA; the new one starts at message ID 0 */
	ike_send_sk(x, old, IKE_CREATE_CHILD_SA, m->hdr.msgid, true, &o);
	if (old->irk.active) {
		/* both sides rekey the IKE SA (RFC 7296 2.8.2): answered as
		 * usual; which new SA stays is settled when our answer comes
		 * (the lowest of the four nonces loses) */
		const uint8_t *lo = nonce_cmp(r->nonce->body, r->nonce->len, nr,
					      sizeof(nr)) < 0 ? r->nonce->body : nr;

		old->irk.lo_len = lo == nr ? sizeof(nr) : r->nonce->len;
		memcpy(old->irk.lo, lo, old->irk.lo_len);
		old->irk.collided = true;
		old->irk.other_id = sa->id;
		x->st.ike_rekey_collisions++;
		SA_LOG(CP_LOG_INFO, old, "IKE SA rekey collision: the client's "
		       "makes ike#%llu, ours is in flight",
		       (unsigned long long)sa->id);
	}
	move_over(old, sa);
	ike_sa_state(sa, IKE_S_ESTABLISHED, "rekeyed IKE SA");
	ike_ike_schedule(x, sa);
	x->st.ike_rekeys++;
	SA_LOG(CP_LOG_INFO, sa, "IKE SA of '%s' rekeyed (was ike#%llu)",
	       sa->identity, (unsigned long long)old->id);
}

void
ike_child_request(struct ike *x, struct ike_sa *sa, struct ike_msg *m)
{
	struct ike_notify_pl n;
	struct child_req r;
	const char *why;
	uint32_t spi;

	if (decode(m, &r, &why) < 0) {
		refuse(x, sa, m, IKE_N_INVALID_SYNTAX, why);
		return;
	}
	for (unsigned i = 0; i < r.sa.n; i++) {
		if (r.sa.prop[i].proto == IKE_PROTO_IKE &&
		    r.sa.prop[i].spi_len == IKE_SPI_LEN) {
			rekey_ike(x, sa, m, &r, &r.sa.prop[i]);
			return;
		}
	}
	if (sa->irk.active) {
		/* RFC 7296 2.25.1: no new CHILD SA while the IKE SA is
		 * being rekeyed */
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE,
		       "we are rekeying the IKE SA");
		return;
	}
	if (!ike_find_notify(m, IKE_N_REKEY_SA, true, &n)) {
		if (!sa->child.present && sa->vip != 0 && !sa->rk.active) {
			new_child(x, sa, m, &r);
			return;
		}
		refuse(x, sa, m, IKE_N_NO_ADDITIONAL_SAS,
		       "one CHILD SA per client");
		return;
	}
	spi = n.spi_len == IKE_ESP_SPI_LEN ? ike_get32(n.spi) : 0;
	if (n.proto == IKE_PROTO_ESP && spi != 0 && sa->child.present &&
	    spi == sa->child.old_spi_out) {
		/* RFC 7296 2.25.1: the SA our rekey replaced, which we are
		 * closing (the client sent this before it saw our rekey) */
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE,
		       "that CHILD SA was just rekeyed by us");
		return;
	}
	if (n.proto != IKE_PROTO_ESP || !sa->child.present ||
	    (spi != sa->child.spi_out && spi != sa->child.spi_in)) {
		refuse(x, sa, m, IKE_N_CHILD_SA_NOT_FOUND,
		       "REKEY_SA names no CHILD SA of this IKE SA");
		return;
	}
	if (!r.has_ts) {
		refuse(x, sa, m, IKE_N_INVALID_SYNTAX, "no traffic selectors");
		return;
	}
	if (sa->rk.active) {
		/* both sides rekey at once (RFC 7296 2.8.1): this one is
		 * answered when ours is, once the nonces tell which stays */
		const struct ike_pl *f = NULL, *l = NULL;

		if (sa->defer != NULL) {
			x->st.rx_retransmit++;
			return;
		}
		for (unsigned i = 0; i < m->n; i++)
			if (m->pl[i].inner) {
				f = f ? f : &m->pl[i];
				l = &m->pl[i];
			}
		if (f == NULL || (sa->defer = malloc((size_t)(l->body + l->len -
							     f->body) +
						    IKE_GEN_HDR_LEN)) == NULL) {
			refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE,
			       "we are rekeying this CHILD SA ourselves");
			return;
		}
		sa->defer_len = (size_t)(l->body + l->len - f->body) +
				IKE_GEN_HDR_LEN;
		memcpy(sa->defer, f->body - IKE_GEN_HDR_LEN, sa->defer_len);
		sa->defer_first = f->type;
		sa->defer_hdr = m->hdr;
		x->st.child_rekey_collisions++;
		SA_LOG(CP_LOG_INFO, sa, "CHILD SA rekey collision: the client's "
		       "waits for the answer to ours");
		return;
	}
	rekey_child(x, sa, m, &r, NULL, true);
}

/* ---- the gateway rekeys the CHILD SA ---- */

void
ike_child_lifetimes(struct ike *x, struct tun_spec *s)
{
	const struct p2sgw_config *cfg = &x->cp->cfg;
	uint32_t r = 0;

	/* Time: 85..95%, so that clients that connected together do not
	 * all rekey together. Volume: 50..60%: at line rate the rest goes
	 * while the rekey runs (our request, the client's answer, and the
	 * old outbound SA carries TM_REKEY_OUT_MS more), and must outlast a
	 * lost request's retransmission (IKE_DELETE_RTO_MS). */
	RAND_bytes((uint8_t *)&r, sizeof(r));
	r %= 100;
	s->hard_s = cfg->ike.child_lifetime;
	s->soft_s = (uint32_t)((uint64_t)s->hard_s * (850 + r) / 1000);
	s->hard_bytes = (uint64_t)cfg->ike.child_lifetime_kb * 1024;
	s->soft_bytes = s->hard_bytes / 1000 * (500 + r);
}

void
ike_child_schedule(struct ike *x, struct ike_sa *sa)
{
	uint64_t soft = (uint64_t)sa->child.soft_s * 1000000000ull;
	uint64_t hard = (uint64_t)x->cp->cfg.ike.child_lifetime * 1000000000ull;

	sa->child.installed_ns = loop_now(x->loop);
	/* The dataplane asks at the soft lifetime when the SA carries
	 * traffic (P2SGW_EV_SOFT_LIFETIME); an idle one is rekeyed by the
	 * scan half-way between the soft and the hard lifetime. */
	sa->child.rekey_due_ns = sa->child.installed_ns + soft +
				 (hard > soft ? (hard - soft) / 2 : 0);
}

static void
rk_clear(struct ike_sa *sa)
{
	ike_dh_free(sa->rk.dh);
	OPENSSL_cleanse(&sa->rk, sizeof(sa->rk));
}

/* TSi: the VIP; TSr: every protected prefix. */
static int
out_our_ts(struct ike *x, struct ike_sa *sa, struct ike_out *o)
{
	const struct p2sgw_config *cfg = &x->cp->cfg;
	struct ike_ts tsi = { .type = IKE_TS_IPV4_ADDR_RANGE, .eport = 0xffff,
		.start = sa->vip, .end = sa->vip };
	struct ike_ts tsr[P2SGW_MAX_TRAFFIC_SELECTORS];
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->p2s.n_routes && n < 255; i++) {
		const struct p2sgw_prefix4 *r = &cfg->p2s.routes[i];
		uint32_t mask = r->len ? ~0u << (32 - r->len) : 0;

		tsr[n++] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
			.eport = 0xffff, .start = r->addr & mask,
			.end = (r->addr & mask) | ~mask };
	}
	/* we are the initiator of this exchange: TSi is our side */
	if (ike_out_ts(o, IKE_PL_TSI, tsr, n) < 0 ||
	    ike_out_ts(o, IKE_PL_TSR, &tsi, 1) < 0)
		return -1;
	return 0;
}

/* PFS for our rekey: the group chosen in IKE_AUTH, else the IKE SA's
 * when an ESP policy of the suite allows it (a client that wants PFS
 * refuses a proposal without; one that does not gets asked again
 * without, see ike_child_response). */
static uint16_t
rekey_group(const struct ike *x, const struct ike_sa *sa)
{
	const struct p2sgw_config *cfg = &x->cp->cfg;

	if (sa->rk_group != UINT16_MAX)
		return sa->rk_group;
	if (sa->child.dh != 0)
		return sa->child.dh;
	for (unsigned i = 0; i < cfg->ike.n_esp; i++)
		if (cfg->ike.esp[i].suite == sa->child.suite &&
		    sa->suite.dh < 32 &&
		    (cfg->ike.esp[i].groups & (1u << sa->suite.dh)))
			return (uint16_t)sa->suite.dh;
	return 0;
}

void
ike_child_rekey_start(struct ike *x, struct ike_sa *sa)
{
	struct ike_choice c = { .proto = IKE_PROTO_ESP, .num = 1,
		.spi_len = IKE_ESP_SPI_LEN };
	struct ike_out o;
	uint8_t *p;

	if (sa->state != IKE_S_ESTABLISHED || !sa->child.present ||
	    sa->req != NULL || sa->child_pending || sa->rk.active ||
	    sa->irk.active)
		return;
	if (!tm_rekey_ready(x->cp->tm, sa->child.name)) {
		/* the last rekey is still switching over: soon */
		sa->child.rekey_due_ns = loop_now(x->loop);
		return;
	}
	rk_clear(sa);
	sa->rk.spi_in = ike_alloc_spi(x);
	sa->rk.group = rekey_group(x, sa);
	if (sa->rk.spi_in == 0 || RAND_bytes(sa->rk.ni, sizeof(sa->rk.ni)) != 1 ||
	    (sa->rk.group && (sa->rk.dh = ike_dh_new(sa->rk.group)) == NULL))
		goto fail;
	ike_out_chain(&o, x->ibuf, sizeof(x->ibuf));
	p = ike_out_pl(&o, IKE_PL_NOTIFY, IKE_N_FIXED + IKE_ESP_SPI_LEN);
	if (p == NULL)
		goto fail;
	p[0] = IKE_PROTO_ESP;
	p[1] = IKE_ESP_SPI_LEN;
	ike_put16(p + 2, IKE_N_REKEY_SA);
	ike_put32(p + 4, sa->child.spi_in);
	ike_suite_xforms(sa->child.suite, &c.encr, &c.integ);
	c.encr_keylen = 256;
	ike_put32(c.spi, sa->rk.spi_in);
	c.esn = sa->child.esn ? IKE_ESN_YES : IKE_ESN_NO;
	c.dh = sa->rk.group;
	if (ike_out_sa(&o, &c) < 0 ||
	    ike_out_copy(&o, IKE_PL_NONCE, sa->rk.ni, sizeof(sa->rk.ni)) < 0)
		goto fail;
	if (sa->rk.dh != NULL) {
		size_t klen = ike_dh_len(sa->rk.group);

		p = ike_out_pl(&o, IKE_PL_KE, IKE_KE_FIXED + klen);
		if (p == NULL)
			goto fail;
		ike_put16(p, sa->rk.group);
		p[2] = p[3] = 0;
		if (ike_dh_public(sa->rk.dh, p + IKE_KE_FIXED, klen) < 0)
			goto fail;
	}
	if (out_our_ts(x, sa, &o) < 0 ||
	    ike_send_sk(x, sa, IKE_CREATE_CHILD_SA, sa->my_next++, false, &o) < 0)
		goto fail;
	sa->rk.active = true;
	SA_LOG(CP_LOG_INFO, sa, "rekeying CHILD SA %s (SPI 0x%08x)",
	       sa->child.name, sa->child.spi_in);
	return;
fail:
	rk_clear(sa);
	x->st.gw_rekey_failed++;
	sa->child.rekey_due_ns = loop_now(x->loop) + 10 * 1000000000ull;
}

static void
gw_rekey_done(void *arg, uint64_t token, int err, const char *msg)
{
	struct ike *x = arg;
	struct ike_sa *sa = ike_sa_by_token(x, token);
	struct ike_out o;

	if (sa == NULL || !sa->child_pending)
		return;
	sa->child_pending = false;
	if (err != 0) {
		x->st.gw_rekey_failed++;
		SA_LOG(CP_LOG_WARNING, sa, "our CHILD SA rekey failed in the "
		       "dataplane: %s", msg ? msg : "?");
		ike_delete_start(x, sa, "CHILD SA rekey failed");
		return;
	}
	sa->child.old_spi_in = sa->child.spi_in;
	sa->child.old_spi_out = sa->child.spi_out;
	sa->child.spi_in = sa->child.new_spi_in;
	sa->child.spi_out = sa->child.new_spi_out;
	sa->child.rekeys++;
	x->st.gw_child_rekeys++;
	ike_child_schedule(x, sa);
	SA_LOG(CP_LOG_INFO, sa, "CHILD SA rekeyed by us: SPIs 0x%08x/0x%08x",
	       sa->child.spi_in, sa->child.spi_out);
	/* the initiator of a rekey deletes the old SA (RFC 7296 2.8) */
	if (sa->req != NULL)
		return;
	ike_out_chain(&o, x->ibuf, sizeof(x->ibuf));
	if (ike_out_delete(&o, IKE_PROTO_ESP, sa->child.old_spi_in) == 0)
		ike_send_sk(x, sa, IKE_INFORMATIONAL, sa->my_next++, false, &o);
}

static void ike_rekey_response(struct ike *x, struct ike_sa *sa,
			       struct ike_msg *m);

/* The client's deferred CHILD SA rekey, answered now with our nonce NR
 * (NULL: fresh); INSTALL as for rekey_child(). Its nonce into NI/NI_LEN
 * when they are not NULL, without answering. 0, or -1 when there is none
 * or it no longer parses. */
static int
deferred(struct ike *x, struct ike_sa *sa, const uint8_t *nr, bool install,
	 uint8_t *ni, size_t *ni_len)
{
	static struct ike_msg m;
	struct child_req r;
	const char *why = "";

	if (sa->defer == NULL)
		return -1;
	memset(&m, 0, sizeof(m));
	m.hdr = sa->defer_hdr;
	if (ike_parse_inner(&m, sa->defer_first, sa->defer, sa->defer_len,
			    &why) < 0 || decode(&m, &r, &why) < 0) {
		free(sa->defer);
		sa->defer = NULL;
		sa->defer_len = 0;
		return -1;
	}
	if (ni != NULL) {
		memcpy(ni, r.nonce->body, r.nonce->len);
		*ni_len = r.nonce->len;
		return 0;
	}
	rekey_child(x, sa, &m, &r, nr, install);
	OPENSSL_cleanse(sa->defer, sa->defer_len);
	free(sa->defer);
	sa->defer = NULL;
	sa->defer_len = 0;
	return 0;
}

/* The client's answer to our CREATE_CHILD_SA. */
void
ike_child_response(struct ike *x, struct ike_sa *sa, struct ike_msg *m)
{
	struct tm_waiter w = { gw_rekey_done, x, ike_sa_token(sa) };
	uint8_t gir[IKE_MAX_DH_LEN];
	uint8_t km[2 * (P2SGW_MAX_KEY_LEN + P2SGW_MAX_AUTH_KEY_LEN)];
	size_t glen = 0, ek, ak;
	struct ike_notify_pl n;
	struct child_req r;
	struct tun_keys k;
	char err[TM_FAIL_LEN];
	const char *why = NULL;
	int rc, e;

	if (sa->irk.active) {
		ike_rekey_response(x, sa, m);
		return;
	}
	if (!sa->rk.active)
		return;
	for (unsigned i = 0; i < m->n; i++)
		if (m->pl[i].type == IKE_PL_NOTIFY && m->pl[i].inner &&
		    ike_dec_notify(&m->pl[i], &n, &why) == 0 &&
		    n.type <= IKE_N_ERROR_MAX) {
			why = ike_notify_name(n.type);
			/* the group it wants, or none at all */
			if (n.type == IKE_N_INVALID_KE_PAYLOAD && n.len == 2 &&
			    ike_dh_supported(ike_get16(n.data)))
				sa->rk_group = ike_get16(n.data);
			else if (n.type == IKE_N_NO_PROPOSAL_CHOSEN &&
				 sa->rk.group != 0)
				sa->rk_group = 0;
			else
				goto retry;
			rk_clear(sa);
			sa->child.rekey_due_ns = loop_now(x->loop);
			deferred(x, sa, NULL, true, NULL, NULL);
			return;
		}
	if (decode(m, &r, &why) < 0)
		goto retry;
	if (r.sa.n != 1 || r.sa.prop[0].proto != IKE_PROTO_ESP ||
	    r.sa.prop[0].spi_len != IKE_ESP_SPI_LEN ||
	    ike_get32(r.sa.prop[0].spi) < P2SGW_SPI_MIN) {
		why = "the answer's SA is not one ESP proposal";
		goto retry;
	}
	if (sa->rk.dh != NULL) {
		if (!r.has_ke || r.ke.group != sa->rk.group ||
		    ike_dh_shared(sa->rk.dh, r.ke.data, r.ke.len, gir,
				  sizeof(gir), &glen) < 0) {
			why = "no valid KE in the answer";
			goto retry;
		}
	}
	ek = tun_key_len(sa->child.suite);
	ak = tun_auth_key_len(sa->child.suite);
	rc = ike_child_keymat(sa->suite.prf, sa->k.d, sa->k.d_len,
			      glen ? gir : NULL, glen, sa->rk.ni,
			      sizeof(sa->rk.ni), r.nonce->body, r.nonce->len,
			      km, 2 * (ek + ak));
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc < 0) {
		why = "KEYMAT";
		goto retry;
	}
	/* we initiated: the first keys carry our traffic to the client */
	memset(&k, 0, sizeof(k));
	k.key_len = (uint8_t)ek;
	k.auth_len = (uint8_t)ak;
	memcpy(k.key_out, km, ek);
	memcpy(k.auth_out, km + ek, ak);
	memcpy(k.key_in, km + ek + ak, ek);
	memcpy(k.auth_in, km + 2 * ek + ak, ak);
	OPENSSL_cleanse(km, sizeof(km));
	if (sa->defer != NULL) {
		/* Both rekeyed (RFC 7296 2.8.1): the exchange with the lowest
		 * of the four nonces made the redundant SA, which its
		 * initiator deletes; the other is installed. */
		uint8_t bni[IKE_NONCE_MAX], bnr[IKE_NONCE_LEN];
		const uint8_t *lo = sa->rk.ni, *blo = bnr;
		size_t bni_len = 0, lo_len = sizeof(sa->rk.ni), blo_len = sizeof(bnr);
		uint32_t ours = sa->rk.spi_in;

		if (RAND_bytes(bnr, sizeof(bnr)) == 1 &&
		    deferred(x, sa, NULL, false, bni, &bni_len) == 0) {
			if (nonce_cmp(r.nonce->body, r.nonce->len, lo, lo_len) < 0) {
				lo = r.nonce->body;
				lo_len = r.nonce->len;
			}
			if (nonce_cmp(bni, bni_len, blo, blo_len) < 0) {
				blo = bni;
				blo_len = bni_len;
			}
			if (nonce_cmp(lo, lo_len, blo, blo_len) < 0) {
				struct ike_out d;

				/* ours is redundant: the client's is
				 * installed and answered, ours deleted */
				tun_keys_wipe(&k);
				rk_clear(sa);
				x->st.redundant_deleted++;
				SA_LOG(CP_LOG_INFO, sa, "our CHILD SA rekey lost "
				       "the collision: deleting SPI 0x%08x", ours);
				deferred(x, sa, bnr, true, NULL, NULL);
				ike_out_chain(&d, x->ibuf, sizeof(x->ibuf));
				if (ike_out_delete(&d, IKE_PROTO_ESP, ours) == 0)
					ike_send_sk(x, sa, IKE_INFORMATIONAL,
						    sa->my_next++, false, &d);
				return;
			}
			deferred(x, sa, bnr, false, NULL, NULL);
		}
		OPENSSL_cleanse(bnr, sizeof(bnr));
	}
	sa->child.new_spi_in = sa->rk.spi_in;
	sa->child.new_spi_out = ike_get32(r.sa.prop[0].spi);
	sa->rk_group = sa->rk.group;	/* what worked, next time too */
	rk_clear(sa);
	sa->child_pending = true;
	rc = tm_rekey(x->cp->tm, sa->child.name, sa->child.new_spi_in,
		      sa->child.new_spi_out, &k, &w, &e, err, sizeof(err));
	if (rc < 0) {
		struct ike_out d;

		sa->child_pending = false;
		x->st.gw_rekey_failed++;
		if (e != EBUSY) {
			SA_LOG(CP_LOG_WARNING, sa, "rekey not installed: %s", err);
			ike_delete_start(x, sa, "CHILD SA rekey failed");
			return;
		}
		/* the client has the new pair: delete it (we keep the old)
		 * and try again */
		SA_LOG(CP_LOG_NOTICE, sa, "rekey not installed (%s): deleting "
		       "the new CHILD SA, again in 1 s", err);
		ike_out_chain(&d, x->ibuf, sizeof(x->ibuf));
		if (ike_out_delete(&d, IKE_PROTO_ESP, sa->child.new_spi_in) == 0)
			ike_send_sk(x, sa, IKE_INFORMATIONAL, sa->my_next++,
				    false, &d);
		sa->child.rekey_due_ns = loop_now(x->loop) + 1000000000ull;
		return;
	}
	if (x->cp->dpc != NULL)
		dpchan_kick(x->cp->dpc);
	if (rc == TM_DONE)
		gw_rekey_done(x, ike_sa_token(sa), 0, NULL);
	return;
retry:
	rk_clear(sa);
	x->st.gw_rekey_failed++;
	SA_LOG(CP_LOG_NOTICE, sa, "the client refused our CHILD SA rekey (%s):"
	       " again in 10 s", why ? why : "?");
	sa->child.rekey_due_ns = loop_now(x->loop) + 10 * 1000000000ull;
	deferred(x, sa, NULL, true, NULL, NULL);
}

/* ---- the gateway rekeys the IKE SA (RFC 7296 1.3.2, 2.18) ---- */

void
ike_ike_schedule(struct ike *x, struct ike_sa *sa)
{
	uint64_t life = (uint64_t)x->cp->cfg.ike.ike_lifetime * 1000000000ull;
	uint32_t r = 0;

	RAND_bytes((uint8_t *)&r, sizeof(r));
	/* 85..95%: the client (strongSwan's default is 4 h against our 8 h)
	 * usually does it first */
	sa->ike_rekey_due_ns = sa->created_ns + life / 1000 * (850 + r % 100);
}

static void
irk_clear(struct ike_sa *sa)
{
	ike_dh_free(sa->irk.dh);
	OPENSSL_cleanse(&sa->irk, sizeof(sa->irk));
}

static void
irk_retry(struct ike *x, struct ike_sa *sa, const char *why, unsigned s)
{
	irk_clear(sa);
	x->st.gw_ike_rekey_failed++;
	SA_LOG(CP_LOG_NOTICE, sa, "our IKE SA rekey did not happen (%s): again "
	       "in %u s", why, s);
	sa->ike_rekey_due_ns = loop_now(x->loop) + (uint64_t)s * 1000000000ull;
}

void
ike_ike_rekey_start(struct ike *x, struct ike_sa *sa)
{
	struct ike_choice c = { .proto = IKE_PROTO_IKE, .num = 1,
		.spi_len = IKE_SPI_LEN, .esn = -1 };
	size_t klen;
	struct ike_out o;
	uint8_t *p;

	if (sa->state != IKE_S_ESTABLISHED ||
	    (!sa->child.present && sa->vip == 0) || sa->req != NULL ||
	    sa->child_pending || sa->rk.active || sa->irk.active)
		return;
	irk_clear(sa);
	sa->irk.group = sa->irk_group ? sa->irk_group : (uint16_t)sa->suite.dh;
	do {
		if (RAND_bytes(sa->irk.spi, IKE_SPI_LEN) != 1)
			goto fail;
	} while (!ike_spi_free(x, sa->irk.spi));
	if (RAND_bytes(sa->irk.ni, sizeof(sa->irk.ni)) != 1 ||
	    (sa->irk.dh = ike_dh_new(sa->irk.group)) == NULL)
		goto fail;
	memcpy(c.spi, sa->irk.spi, IKE_SPI_LEN);
	c.encr = (uint16_t)sa->suite.encr;
	c.encr_keylen = 256;
	c.prf = (uint16_t)sa->suite.prf;
	c.integ = (uint16_t)sa->suite.integ;
	c.dh = sa->irk.group;
	klen = ike_dh_len(sa->irk.group);
	ike_out_chain(&o, x->ibuf, sizeof(x->ibuf));
	if (ike_out_sa(&o, &c) < 0 ||
	    ike_out_copy(&o, IKE_PL_NONCE, sa->irk.ni, sizeof(sa->irk.ni)) < 0 ||
	    (p = ike_out_pl(&o, IKE_PL_KE, IKE_KE_FIXED + klen)) == NULL)
		goto fail;
	ike_put16(p, sa->irk.group);
	p[2] = p[3] = 0;
	if (ike_dh_public(sa->irk.dh, p + IKE_KE_FIXED, klen) < 0 ||
	    ike_send_sk(x, sa, IKE_CREATE_CHILD_SA, sa->my_next++, false, &o) < 0)
		goto fail;
	sa->irk.active = true;
	SA_LOG(CP_LOG_INFO, sa, "rekeying the IKE SA of '%s'", sa->identity);
	return;
fail:
	irk_retry(x, sa, "cannot build the request", 10);
}

static struct ike_sa *
sa_by_id(struct ike *x, uint64_t id)
{
	for (struct ike_sa *sa = x->head; sa; sa = sa->next)
		if (sa->id == id)
			return sa;
	return NULL;
}

/* The client's answer to our IKE SA rekey. */
static void
ike_rekey_response(struct ike *x, struct ike_sa *old, struct ike_msg *m)
{
	uint8_t gir[IKE_MAX_DH_LEN];
	size_t glen = 0;
	struct ike_notify_pl n;
	struct ike_choice c;
	struct ike_suite suite;
	struct child_req r;
	struct ike_sa *sa, *other;
	const char *why = NULL;
	uint64_t other_id;
	uint16_t group;
	bool ours_lost;

	for (unsigned i = 0; i < m->n; i++)
		if (m->pl[i].type == IKE_PL_NOTIFY && m->pl[i].inner &&
		    ike_dec_notify(&m->pl[i], &n, &why) == 0 &&
		    n.type <= IKE_N_ERROR_MAX) {
			if (n.type == IKE_N_INVALID_KE_PAYLOAD && n.len == 2 &&
			    ike_dh_supported(ike_get16(n.data))) {
				old->irk_group = ike_get16(n.data);
				irk_retry(x, old, "the client wants another DH "
					  "group", 0);
				return;
			}
			irk_retry(x, old, ike_notify_name(n.type),
				  n.type == IKE_N_TEMPORARY_FAILURE ? 10 : 60);
			return;
		}
	if (decode(m, &r, &why) < 0) {
		irk_retry(x, old, why, 60);
		return;
	}
	if (r.sa.n != 1 || r.sa.prop[0].proto != IKE_PROTO_IKE ||
	    r.sa.prop[0].spi_len != IKE_SPI_LEN ||
	    !memcmp(r.sa.prop[0].spi, "\0\0\0\0\0\0\0\0", 8) || !r.has_ke ||
	    r.ke.group != old->irk.group ||
	    ike_pick_ike(&x->cp->cfg, &r.sa, r.ke.group, &c, &suite,
			 &group) != IKE_PICK_OK ||
	    suite.encr != old->suite.encr || suite.prf != old->suite.prf ||
	    suite.integ != old->suite.integ) {
		irk_retry(x, old, "the answer is not the IKE proposal we made",
			  60);
		return;
	}
	suite.dh = old->irk.group;
	sa = ike_sa_new_initiator(x, old->irk.spi, r.sa.prop[0].spi, &old->addr);
	if (sa == NULL) {
		irk_retry(x, old, "out of memory", 10);
		return;
	}
	if (ike_dh_shared(old->irk.dh, r.ke.data, r.ke.len, gir, sizeof(gir),
			  &glen) < 0 ||
	    ike_derive_keys(&suite, old->irk.ni, sizeof(old->irk.ni),
			    r.nonce->body, r.nonce->len, gir, glen, sa->spi_i,
			    sa->spi_r, old->k.d, old->k.d_len, &sa->k) < 0) {
		OPENSSL_cleanse(gir, sizeof(gir));
		ike_sa_free(x, sa);
		irk_retry(x, old, "invalid KE in the answer", 60);
		return;
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	sa->suite = suite;
	ike_sa_set_dirs(sa);
	memcpy(sa->ni, old->irk.ni, sizeof(old->irk.ni));
	sa->ni_len = sizeof(old->irk.ni);
	ike_sa_state(sa, IKE_S_ESTABLISHED, "our IKE SA rekey");
	if (!old->irk.collided) {
		move_over(old, sa);
		irk_clear(old);
		ike_ike_schedule(x, sa);
		x->st.gw_ike_rekeys++;
		SA_LOG(CP_LOG_INFO, sa, "IKE SA of '%s' rekeyed by us (was "
		       "ike#%llu)", sa->identity, (unsigned long long)old->id);
		/* the initiator of the rekey deletes the old SA (2.18) */
		ike_delete_start(x, old, "replaced by our rekey");
		return;
	}
	/* Both sides rekeyed: the exchange with the lowest of the four
	 * nonces made the redundant SA, which its initiator deletes; the
	 * initiator of the other deletes the old SA (2.8.2). */
	{
		const uint8_t *lo = old->irk.ni;
		size_t lo_len = sizeof(old->irk.ni);

		if (nonce_cmp(r.nonce->body, r.nonce->len, lo, lo_len) < 0) {
			lo = r.nonce->body;
			lo_len = r.nonce->len;
		}
		ours_lost = nonce_cmp(lo, lo_len, old->irk.lo, old->irk.lo_len) < 0;
	}
	other_id = old->irk.other_id;
	other = sa_by_id(x, other_id);
	irk_clear(old);
	if (ours_lost || other == NULL || !other->child.present) {
		x->st.redundant_deleted++;
		SA_LOG(CP_LOG_INFO, sa, "redundant after a rekey collision "
		       "(the client's ike#%llu stays)",
		       (unsigned long long)other_id);
		ike_delete_start(x, sa, "redundant IKE SA (rekey collision)");
		return;
	}
	move_over(other, sa);
	ike_ike_schedule(x, sa);
	x->st.gw_ike_rekeys++;
	SA_LOG(CP_LOG_INFO, sa, "IKE SA of '%s' rekeyed by us after a "
	       "collision; the client deletes its ike#%llu", sa->identity,
	       (unsigned long long)other->id);
	ike_delete_start(x, old, "replaced by our rekey (collision won)");
}
