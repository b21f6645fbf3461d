/* SPDX-License-Identifier: BSD-3-Clause
 * IKE_AUTH, responder side (RFC 7296 1.2, 2.15, 2.19, 3.15): verify the
 * client's certificate and AUTH, hand out a virtual IP, narrow the
 * traffic selectors, pick the ESP proposal, and install the CHILD SA.
 * The response is built at once but sent only when every dataplane
 * worker holds the SA, so that the client's first packet finds it.
 *
 * Every refusal answers with the protocol's notify (AUTHENTICATION_FAILED,
 * FAILED_CP_REQUIRED, INTERNAL_ADDRESS_FAILURE, NO_PROPOSAL_CHOSEN,
 * TS_UNACCEPTABLE, NO_ADDITIONAL_SAS) and removes the half-open SA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "cp.h"
#include "dpchan.h"
#include "ike_int.h"
#include "log.h"
#include "tunnels.h"
#include "tunspec.h"

enum { MAX_INTER = 8, MAX_OCTETS = IKE_OUT_MAX + IKE_NONCE_MAX + IKE_MAX_PRF_LEN };

struct auth_req {
	struct ike_id id;
	const struct ike_pl *idi;
	struct ike_auth_pl auth;
	const uint8_t *cert[MAX_INTER + 1];
	size_t cert_len[MAX_INTER + 1];
	unsigned n_cert;
	struct ike_sa_pl sa;
	struct ike_ts_pl tsi, tsr;
	struct ike_cp cp;
	bool has_cp;
};

/* ---- the client's identity ---- */

static void
id_text(const struct ike_id *id, char *buf, size_t len)
{
	size_t i, n;

	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
		if (id->len == 4) {
			snprintf(buf, len, "%u.%u.%u.%u", id->data[0],
				 id->data[1], id->data[2], id->data[3]);
			return;
		}
		break;
	case IKE_ID_DER_ASN1_DN: {
		const unsigned char *p = id->data;
		X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)id->len);
		BIO *b = BIO_new(BIO_s_mem());
		int r;

		if (name != NULL && b != NULL &&
		    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
		    (r = BIO_read(b, buf, (int)len - 1)) > 0) {
			buf[r] = '\0';
			X509_NAME_free(name);
			BIO_free(b);
			return;
		}
		X509_NAME_free(name);
		BIO_free(b);
		break;
	}
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		n = id->len < len - 1 ? id->len : len - 1;
		for (i = 0; i < n; i++)
			buf[i] = id->data[i] >= 0x20 && id->data[i] < 0x7f ?
				 (char)id->data[i] : '?';
		buf[n] = '\0';
		return;
	}
	snprintf(buf, len, "(ID type %u, %zu bytes)", id->type, id->len);
}

/* ---- decoding ---- */

static int
decode(const struct ike_msg *m, struct auth_req *r, const char **why)
{
	const struct ike_pl *p;

	memset(r, 0, sizeof(*r));
	r->idi = ike_find(m, IKE_PL_IDI, true);
	if (r->idi == NULL || ike_dec_id(r->idi, &r->id, why) < 0) {
		*why = r->idi ? *why : "no IDi payload";
		return -1;
	}
	p = ike_find(m, IKE_PL_AUTH, true);
	if (p == NULL) {
		*why = "no AUTH payload (EAP is not enabled)";
		return -1;
	}
	if (ike_dec_auth(p, &r->auth, why) < 0)
		return -1;
	for (unsigned i = 0; i < m->n; i++) {
		struct ike_cert c;

		if (m->pl[i].type != IKE_PL_CERT || !m->pl[i].inner)
			continue;
		if (ike_dec_cert(&m->pl[i], &c, why) < 0)
			return -1;
		if (c.encoding != IKE_CERT_X509_SIG || r->n_cert > MAX_INTER)
			continue;
		r->cert[r->n_cert] = c.data;
		r->cert_len[r->n_cert++] = c.len;
	}
	if ((p = ike_find(m, IKE_PL_SA, true)) == NULL ||
	    ike_dec_sa(p, &r->sa, why) < 0) {
		*why = p ? *why : "no SA payload";
		return -1;
	}
	if ((p = ike_find(m, IKE_PL_TSI, true)) == NULL ||
	    ike_dec_ts(p, &r->tsi, why) < 0) {
		*why = p ? *why : "no TSi payload";
		return -1;
	}
	if ((p = ike_find(m, IKE_PL_TSR, true)) == NULL ||
	    ike_dec_ts(p, &r->tsr, why) < 0) {
		*why = p ? *why : "no TSr payload";
		return -1;
	}
	p = ike_find(m, IKE_PL_CP, true);
	if (p != NULL) {
		if (ike_dec_cp(p, &r->cp, why) < 0)
			return -1;
		r->has_cp = true;
	}
	return 0;
}

/* ---- refusals ---- */

static void
refuse(struct ike *x, struct ike_sa *sa, const struct ike_msg *m,
       uint16_t notify, const char *why)
{
	SA_LOG(CP_LOG_NOTICE, sa, "IKE_AUTH of '%s' refused with %s: %s",
	       sa->identity[0] ? sa->identity : "?", ike_notify_name(notify),
	       why);
	ike_respond_error(x, sa, m, notify);
	ike_sa_destroy(x, sa, ike_notify_name(notify));
}

/* AUTH octets (RFC 7296 2.15): MSG | NONCE | prf(SK_p, ID'). */
static size_t
auth_octets(const struct ike_sa *sa, const uint8_t *msg, size_t msg_len,
	    const uint8_t *nonce, size_t nonce_len, const uint8_t *skp,
	    const uint8_t *id, size_t id_len, uint8_t *out)
{
	size_t plen = ike_prf_len(sa->suite.prf);

	if (msg_len + nonce_len + plen > MAX_OCTETS)
		return 0;
	memcpy(out, msg, msg_len);
	memcpy(out + msg_len, nonce, nonce_len);
	if (ike_prf(sa->suite.prf, skp, sa->k.p_len, id, id_len,
		    out + msg_len + nonce_len) < 0)
		return 0;
	return msg_len + nonce_len + plen;
}

/* Certificate chain, identity, signature. 0, or -1 after refusing. */
static int
authenticate(struct ike *x, struct ike_sa *sa, const struct ike_msg *m,
	     const struct auth_req *r)
{
	static uint8_t octets[MAX_OCTETS];
	struct x509_peer peer;
	char err[256];
	bool revoked = false;
	size_t olen;

	if (r->n_cert == 0) {
		x->st.auth_failed++;
		refuse(x, sa, m, IKE_N_AUTHENTICATION_FAILED,
		       "no X.509 certificate in the request");
		return -1;
	}
	if (x509_verify_peer(x->trust, r->cert[0], r->cert_len[0],
			     (const uint8_t *const *)r->cert + 1,
			     r->cert_len + 1, r->n_cert - 1, 0, &peer,
			     &revoked, err, sizeof(err)) < 0) {
		x->st.auth_failed++;
		if (revoked)
			x->st.revoked++;
		else
			x->st.unknown_ca++;
		refuse(x, sa, m, IKE_N_AUTHENTICATION_FAILED, err);
		return -1;
	}
	snprintf(sa->subject, sizeof(sa->subject), "%s", peer.subject);
	memcpy(sa->thumb, peer.thumb, sizeof(sa->thumb));
	if (!x509_id_matches(peer.cert, r->id.type, r->id.data, r->id.len)) {
		x509_peer_clear(&peer);
		x->st.auth_failed++;
		refuse(x, sa, m, IKE_N_AUTHENTICATION_FAILED,
		       "IDi does not name the certificate's subject");
		return -1;
	}
	olen = auth_octets(sa, sa->init_req, sa->init_req_len, sa->nr,
			   IKE_NONCE_LEN, sa->k.pi, r->idi->body, r->idi->len,
			   octets);
	if (olen == 0 || x509_auth_verify(peer.key, r->auth.method,
					  r->auth.data, r->auth.len, octets,
					  olen, err, sizeof(err)) < 0) {
		x509_peer_clear(&peer);
		x->st.auth_failed++;
		refuse(x, sa, m, IKE_N_AUTHENTICATION_FAILED,
		       olen ? err : "AUTH octets too long");
		return -1;
	}
	x509_peer_clear(&peer);
	return 0;
}

/* ---- what the client gets ---- */

/* Client TSi must cover the VIP; the reply names the VIP alone. */
bool
ike_narrow_tsi(const struct ike_ts_pl *tsi, uint32_t vip, struct ike_ts *out)
{
	for (unsigned i = 0; i < tsi->n; i++) {
		const struct ike_ts *t = &tsi->ts[i];

		if (t->start <= vip && vip <= t->end) {
			*out = *t;
			out->start = out->end = vip;
			return true;
		}
	}
	return false;
}

/* TSr: each client range intersected with each protected prefix. */
unsigned
ike_narrow_tsr(const struct p2sgw_config *cfg, const struct ike_ts_pl *tsr,
	   struct ike_ts *out, unsigned cap)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->p2s.n_routes; i++) {
		const struct p2sgw_prefix4 *r = &cfg->p2s.routes[i];
		uint32_t mask = r->len ? ~0u << (32 - r->len) : 0;
		uint32_t lo = r->addr & mask, hi = lo | ~mask;

		for (unsigned j = 0; j < tsr->n && n < cap; j++) {
			const struct ike_ts *t = &tsr->ts[j];

			if (t->end < lo || t->start > hi)
				continue;
			out[n] = *t;
			out[n].start = t->start > lo ? t->start : lo;
			out[n].end = t->end < hi ? t->end : hi;
			n++;
		}
	}
	return n;
}

static uint32_t
alloc_vip(struct ike *x)
{
	for (unsigned tries = 0; tries < 64; tries++) {
		struct tun_spec probe = { .vip = pool_alloc(&x->pool) };
		const char *what;

		if (probe.vip == 0)
			return 0;
		/* a tunnel added by hand may hold it: keep it marked */
		if (tm_find_conflict(x->cp->tm, &probe, 0, &what) == NULL)
			return probe.vip;
	}
	return 0;
}

uint32_t
ike_alloc_spi(struct ike *x)
{
	for (;;) {
		struct tun_spec probe = { 0 };
		const char *what;
		uint32_t spi;

		if (RAND_bytes((uint8_t *)&spi, sizeof(spi)) != 1)
			return 0;
		if (spi < P2SGW_SPI_MIN)
			continue;
		probe.spi_in = spi;
		probe.spi_out = 0;
		if (tm_find_conflict(x->cp->tm, &probe, 0, &what) == NULL ||
		    strcmp(what, "spi_in") != 0)
			return spi;
	}
}

static int
out_cp(struct ike_out *o, const struct p2sgw_config *cfg,
       const struct ike_cp *cp, uint32_t vip)
{
	size_t len = IKE_CP_FIXED + IKE_CP_ATTR_HDR + 4;
	bool dns = cp->want & (1u << IKE_CFG_IP4_DNS);
	bool subnets = cp->want & (1u << IKE_CFG_IP4_SUBNET);
	uint8_t *p;

	if (dns)
		len += cfg->p2s.n_dns * (IKE_CP_ATTR_HDR + 4);
	if (subnets)
		len += cfg->p2s.n_routes * (IKE_CP_ATTR_HDR + 8);
	p = ike_out_pl(o, IKE_PL_CP, len);
	if (p == NULL)
		return -1;
	memset(p, 0, IKE_CP_FIXED);
	p[0] = IKE_CFG_REPLY;
	p += IKE_CP_FIXED;
	ike_put16(p, IKE_CFG_IP4_ADDRESS);
	ike_put16(p + 2, 4);
	ike_put32(p + 4, vip);
	p += 8;
	for (unsigned i = 0; dns && i < cfg->p2s.n_dns; i++, p += 8) {
		ike_put16(p, IKE_CFG_IP4_DNS);
		ike_put16(p + 2, 4);
		ike_put32(p + 4, cfg->p2s.dns[i]);
	}
	for (unsigned i = 0; subnets && i < cfg->p2s.n_routes; i++, p += 12) {
		const struct p2sgw_prefix4 *r = &cfg->p2s.routes[i];
		uint32_t mask = r->len ? ~0u << (32 - r->len) : 0;

		ike_put16(p, IKE_CFG_IP4_SUBNET);
		ike_put16(p + 2, 8);
		ike_put32(p + 4, r->addr & mask);
		ike_put32(p + 8, mask);
	}
	return 0;
}

/* IDr, CERT chain and AUTH. */
static int
out_identity(struct ike *x, struct ike_sa *sa, struct ike_out *o)
{
	static uint8_t octets[MAX_OCTETS];
	const struct x509_local *l = x->local;
	uint8_t idr[IKE_ID_FIXED + sizeof(l->id)], sig[1024], method;
	size_t idr_len = IKE_ID_FIXED + l->id_len, olen, slen;
	char err[256];
	uint8_t *p;

	idr[0] = l->id_type;
	idr[1] = idr[2] = idr[3] = 0;
	memcpy(idr + IKE_ID_FIXED, l->id, l->id_len);
	if (ike_out_copy(o, IKE_PL_IDR, idr, idr_len) < 0)
		return -1;
	p = ike_out_pl(o, IKE_PL_CERT, IKE_CERT_FIXED + l->cert_der_len);
	if (p == NULL)
		return -1;
	p[0] = IKE_CERT_X509_SIG;
	memcpy(p + 1, l->cert_der, l->cert_der_len);
	for (unsigned i = 0; i < l->n_chain; i++) {
		p = ike_out_pl(o, IKE_PL_CERT, IKE_CERT_FIXED + l->chain_der_len[i]);
		if (p == NULL)
			return -1;
		p[0] = IKE_CERT_X509_SIG;
		memcpy(p + 1, l->chain_der[i], l->chain_der_len[i]);
	}
	olen = auth_octets(sa, sa->init_resp, sa->init_resp_len, sa->ni,
			   sa->ni_len, sa->k.pr, idr, idr_len, octets);
	if (olen == 0 || x509_auth_sign(l->key, sa->peer_hashes, octets, olen,
					&method, sig, sizeof(sig), &slen, err,
					sizeof(err)) < 0) {
		SA_LOG(CP_LOG_ERROR, sa, "cannot sign our AUTH: %s",
		       olen ? err : "octets too long");
		return -1;
	}
	p = ike_out_pl(o, IKE_PL_AUTH, IKE_AUTH_FIXED + slen);
	if (p == NULL)
		return -1;
	p[0] = method;
	p[1] = p[2] = p[3] = 0;
	memcpy(p + IKE_AUTH_FIXED, sig, slen);
	return 0;
}

/* ---- the CHILD SA ---- */

void
ike_split_keymat(const uint8_t *km, enum p2sgw_suite suite, struct tun_keys *k)
{
	size_t ek = tun_key_len(suite), ak = tun_auth_key_len(suite);

	memset(k, 0, sizeof(*k));
	k->key_len = (uint8_t)ek;
	k->auth_len = (uint8_t)ak;
	memcpy(k->key_in, km, ek);		/* initiator -> responder */
	memcpy(k->auth_in, km + ek, ak);
	memcpy(k->key_out, km + ek + ak, ek);	/* responder -> initiator */
	memcpy(k->auth_out, km + 2 * ek + ak, ak);
}

static void on_child_done(void *arg, uint64_t token, int err, const char *msg);

/* The client is authenticated but gets no CHILD SA (RFC 7296 2.21.3):
 * the IKE_AUTH response carries IDr, CERT and AUTH with the error
 * notify, and we then delete the IKE SA, which is of no use without
 * one. */
static void
refuse_child(struct ike *x, struct ike_sa *sa, const struct ike_msg *m,
	     uint16_t notify, const char *why)
{
	struct ike_out o;

	SA_LOG(CP_LOG_NOTICE, sa, "'%s' authenticated but refused with %s: %s",
	       sa->identity, ike_notify_name(notify), why);
	ike_out_chain(&o, x->ibuf, sizeof(x->ibuf));
	if (out_identity(x, sa, &o) < 0 ||
	    ike_out_notify(&o, 0, notify, NULL, 0) < 0) {
		refuse(x, sa, m, notify, why);
		return;
	}
	loop_timer_stop(x->loop, &sa->timer);
	ike_send_sk(x, sa, IKE_AUTH, m->hdr.msgid, true, &o);
	if (sa->vip != 0) {
		pool_release(&x->pool, sa->vip);
		sa->vip = 0;
	}
	ike_sa_state(sa, IKE_S_ESTABLISHED, "authenticated, no CHILD SA");
	ike_delete_start(x, sa, ike_notify_name(notify));
}

int
ike_install_child(struct ike *x, struct ike_sa *sa, const struct ike_choice *c,
		  enum p2sgw_suite suite, tm_done_fn fn, const uint8_t *ni,
		  size_t ni_len, const uint8_t *nr, size_t nr_len,
		  const uint8_t *gir, size_t glen, char *err, size_t errlen)
{
	const struct p2sgw_config *cfg = &x->cp->cfg;
	struct tm_waiter w = { fn, x, ike_sa_token(sa) };
	uint8_t km[2 * (P2SGW_MAX_KEY_LEN + P2SGW_MAX_AUTH_KEY_LEN)];
	size_t kmlen = 2 * (tun_key_len(suite) + tun_auth_key_len(suite));
	struct tun_spec s = { 0 };
	struct tun_keys k;
	int rc;

	/* ike-ID, then ike-ID.N for the CHILD SAs a client creates after
	 * deleting its first (the old tunnel may still be leaving) */
	if (sa->n_children++ == 0)
		snprintf(s.name, sizeof(s.name), "ike-%llu",
			 (unsigned long long)sa->id);
	else
		snprintf(s.name, sizeof(s.name), "ike-%llu.%u",
			 (unsigned long long)sa->id, sa->n_children);
	s.vip = sa->vip;
	s.peer = sa->addr.peer;
	s.suite = suite;
	s.spi_in = sa->child.spi_in;
	s.spi_out = sa->child.spi_out;
	s.encap = sa->child.encap;
	s.encap_sport = sa->addr.peer_port;
	s.encap_dport = sa->addr.local_port;
	s.esn = c->esn == IKE_ESN_YES;
	s.replay_window = cfg->esp.replay_window;
	ike_child_lifetimes(x, &s);
	sa->child.soft_s = s.soft_s;
	if (s.spi_out < P2SGW_SPI_MIN) {
		snprintf(err, errlen, "client's ESP SPI %u is reserved", s.spi_out);
		return -1;
	}
	if (ike_child_keymat(sa->suite.prf, sa->k.d, sa->k.d_len, gir, glen,
			     ni, ni_len, nr, nr_len, km, kmlen) < 0) {
		snprintf(err, errlen, "KEYMAT derivation failed");
		return -1;
	}
	ike_split_keymat(km, suite, &k);
	OPENSSL_cleanse(km, sizeof(km));
	memcpy(sa->child.name, s.name, sizeof(sa->child.name));
	sa->child.suite = suite;
	sa->child.esn = s.esn;
	sa->child.dh = c->dh;
	rc = tm_add(x->cp->tm, &s, &k, TK_IKE, &w, err, errlen);
	tun_keys_wipe(&k);
	if (rc < 0)
		return -1;
	sa->child.present = true;
	if (x->cp->dpc != NULL)
		dpchan_kick(x->cp->dpc);
	return rc;
}

static void
send_pending(struct ike *x, struct ike_sa *sa)
{
	ike_pending_send(x, sa, IKE_AUTH);
	free(sa->init_req);
	free(sa->init_resp);
	sa->init_req = sa->init_resp = NULL;
	sa->init_req_len = sa->init_resp_len = 0;
	sa->established_ns = loop_now(x->loop);
	ike_child_schedule(x, sa);
	ike_ike_schedule(x, sa);
	x->st.auth_ok++;
	ike_sa_state(sa, IKE_S_ESTABLISHED, "CHILD SA in every worker");
	SA_LOG(CP_LOG_NOTICE, sa, "'%s' connected: VIP %s, ESP %s%s, tunnel %s",
	       sa->identity, TUN_IP(sa->vip), p2sgw_suite_name(sa->child.suite),
	       sa->child.encap ? " in UDP" : "", sa->child.name);
}

static void
on_child_done(void *arg, uint64_t token, int err, const char *msg)
{
	struct ike *x = arg;
	struct ike_sa *sa = ike_sa_by_token(x, token);
	struct ike_msg m;

	if (sa == NULL || sa->state != IKE_S_INSTALLING)
		return;			/* gone meanwhile */
	if (err == 0) {
		send_pending(x, sa);
		return;
	}
	x->st.install_failed++;
	SA_LOG(CP_LOG_WARNING, sa, "the dataplane refused the CHILD SA: %s",
	       msg ? msg : "?");
	memset(&m, 0, sizeof(m));
	m.hdr.exchange = IKE_AUTH;
	m.hdr.msgid = sa->peer_next;
	ike_respond_error(x, sa, &m, IKE_N_TEMPORARY_FAILURE);
	ike_sa_destroy(x, sa, "CHILD SA not installed");
}

/* Build the response into sa->pending. */
static int
build_pending(struct ike *x, struct ike_sa *sa, const struct auth_req *r,
	      struct ike_choice *c, const struct ike_ts *tsi,
	      const struct ike_ts *tsr, unsigned n_tsr)
{
	struct ike_out o;

	ike_out_chain(&o, x->ibuf, sizeof(x->ibuf));
	if (out_identity(x, sa, &o) < 0 ||
	    out_cp(&o, &x->cp->cfg, &r->cp, sa->vip) < 0)
		return -1;
	ike_put32(c->spi, sa->child.spi_in);
	if (ike_out_sa(&o, c) < 0 || ike_out_ts(&o, IKE_PL_TSI, tsi, 1) < 0 ||
	    ike_out_ts(&o, IKE_PL_TSR, tsr, n_tsr) < 0 || o.overflow)
		return -1;
	return ike_pending_keep(sa, &o);
}

void
ike_auth_request(struct ike *x, struct ike_sa *sa, struct ike_msg *m)
{
	const struct p2sgw_config *cfg = &x->cp->cfg;
	static struct auth_req r;
	struct ike_ts tsi, tsr[255];
	struct ike_choice c;
	enum p2sgw_suite suite;
	char err[TM_FAIL_LEN];
	const char *why;
	unsigned n_tsr;
	int rc;

	if (decode(m, &r, &why) < 0) {
		x->st.rx_bad++;
		refuse(x, sa, m, r.idi && !ike_find(m, IKE_PL_AUTH, true) ?
		       IKE_N_AUTHENTICATION_FAILED : IKE_N_INVALID_SYNTAX, why);
		return;
	}
	id_text(&r.id, sa->identity, sizeof(sa->identity));
	if (authenticate(x, sa, m, &r) < 0)
		return;
	if (x->n_established + 1 > cfg->ike.max_connections) {
		x->st.cap_refused++;
		refuse_child(x, sa, m, IKE_N_NO_ADDITIONAL_SAS,
			     "the gateway's IKEv2 connection cap is reached");
		return;
	}
	if (!r.has_cp || r.cp.type != IKE_CFG_REQUEST || !r.cp.want_ip4) {
		refuse_child(x, sa, m, IKE_N_FAILED_CP_REQUIRED,
			     "the client asks for no virtual IPv4 address");
		return;
	}
	if (ike_pick_esp(cfg, &r.sa, 0, &c, &suite) != IKE_PICK_OK) {
		char offered[512];

		x->st.no_proposal++;
		snprintf(err, sizeof(err), "the client offered %.100s; none is"
			 " allowed by ike.esp_proposals",
			 ike_props_str(&r.sa, offered, sizeof(offered)));
		refuse_child(x, sa, m, IKE_N_NO_PROPOSAL_CHOSEN, err);
		return;
	}
	sa->vip = alloc_vip(x);
	if (sa->vip == 0) {
		x->st.pool_exhausted++;
		refuse_child(x, sa, m, IKE_N_INTERNAL_ADDRESS_FAILURE,
			     "the address pool is exhausted");
		return;
	}
	n_tsr = ike_narrow_tsr(cfg, &r.tsr, tsr, 255);
	if (!ike_narrow_tsi(&r.tsi, sa->vip, &tsi) || n_tsr == 0) {
		refuse_child(x, sa, m, IKE_N_TS_UNACCEPTABLE, n_tsr == 0 ?
			     "TSr is outside p2s.routes" :
			     "TSi does not cover the VIP");
		return;
	}
	sa->child.spi_in = ike_alloc_spi(x);
	sa->child.spi_out = ike_get32(c.spi);	/* before c.spi becomes ours */
	sa->child.encap = sa->nat_peer || sa->nat_local;
	if (sa->child.spi_in == 0 || build_pending(x, sa, &r, &c, &tsi, tsr,
						   n_tsr) < 0) {
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE,
		       "cannot build the response");
		return;
	}
	rc = ike_install_child(x, sa, &c, suite, on_child_done, sa->ni,
			       sa->ni_len, sa->nr, IKE_NONCE_LEN, NULL, 0, err,
			       sizeof(err));
	if (rc < 0) {
		x->st.install_failed++;
		refuse(x, sa, m, IKE_N_TEMPORARY_FAILURE, err);
		return;
	}
	loop_timer_stop(x->loop, &sa->timer);
	ike_sa_state(sa, IKE_S_INSTALLING, "authenticated");
	if (rc == TM_DONE) {
		/* No dataplane attached: it gets the SA when it comes. */
		send_pending(x, sa);
	}
}
