/* SPDX-License-Identifier: BSD-3-Clause
 * IKE_SA_INIT, responder side (RFC 7296 1.2): pick a proposal, steer the
 * DH group with INVALID_KE_PAYLOAD, run the DH, derive the IKE SA's keys,
 * detect NATs (RFC 7296 2.23), ask for certificates of our roots.
 * Nothing is kept for a request that fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cp.h"
#include "ike_int.h"
#include "log.h"

/* SHA-1(SPIi | SPIr | address | port) (RFC 7296 2.23). */
static void
natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], uint32_t addr,
	  uint16_t port, uint8_t out[IKE_NATD_LEN])
{
	uint8_t in[22];
	unsigned int len = IKE_NATD_LEN;

	memcpy(in, spi_i, 8);
	memcpy(in + 8, spi_r, 8);
	ike_put32(in + 16, addr);
	ike_put16(in + 20, port);
	if (EVP_Digest(in, sizeof(in), out, &len, EVP_sha1(), NULL) != 1)
		memset(out, 0, IKE_NATD_LEN);
}

/* Compare the client's NAT_DETECTION notifies with what it would have
 * hashed without a NAT. false when it sent none (no NAT-T support). */
static bool
nat_detect(const struct ike_msg *m, const struct ike_addr *a, bool *peer,
	   bool *local)
{
	static const uint8_t zero[8];
	uint8_t src[IKE_NATD_LEN], dst[IKE_NATD_LEN];
	bool any = false, src_ok = false, dst_ok = false;
	const char *why;

	natd_hash(m->hdr.spi_i, zero, a->peer, a->peer_port, src);
	natd_hash(m->hdr.spi_i, zero, a->local, a->local_port, dst);
	for (unsigned i = 0; i < m->n; i++) {
		struct ike_notify_pl n;

		if (m->pl[i].type != IKE_PL_NOTIFY ||
		    ike_dec_notify(&m->pl[i], &n, &why) < 0 ||
		    n.len != IKE_NATD_LEN)
			continue;
		if (n.type == IKE_N_NAT_DETECTION_SOURCE_IP) {
			any = true;
			src_ok |= CRYPTO_memcmp(n.data, src, IKE_NATD_LEN) == 0;
		} else if (n.type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
			any = true;
			dst_ok |= CRYPTO_memcmp(n.data, dst, IKE_NATD_LEN) == 0;
		}
	}
	*peer = any && !src_ok;
	*local = any && !dst_ok;
	return any;
}

static uint16_t
peer_sighashes(const struct ike_msg *m)
{
	struct ike_notify_pl n;
	uint16_t bits = 0;

	if (!ike_find_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS, false, &n))
		return 0;
	for (size_t i = 0; i + 2 <= n.len; i += 2) {
		uint16_t h = ike_get16(n.data + i);

		if (h < 16)
			bits |= (uint16_t)(1u << h);
	}
	return bits;
}

static int
out_sighashes(struct ike_out *o)
{
	uint16_t ours = x509_sighash_supported();
	uint8_t data[32];
	size_t len = 0;

	for (uint16_t h = 1; h < 16; h++)
		if (ours & (1u << h)) {
			ike_put16(data + len, h);
			len += 2;
		}
	return ike_out_notify(o, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, data, len);
}

static uint8_t *
dup_bytes(const uint8_t *b, size_t len)
{
	uint8_t *p = malloc(len);

	if (p != NULL)
		memcpy(p, b, len);
	return p;
}

/* The response; *LEN its length. */
static int
build_response(struct ike *x, struct ike_sa *sa, const struct ike_choice *c,
	       const struct ike_dh *dh, bool natt, size_t *len)
{
	struct ike_hdr h = { .exchange = IKE_SA_INIT,
		.flags = IKE_FLAG_RESPONSE, .msgid = 0 };
	size_t klen = ike_dh_len(sa->suite.dh);
	struct ike_out o;
	uint8_t *p;

	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	ike_out_init(&o, x->obuf, sizeof(x->obuf), &h);
	ike_out_sa(&o, c);
	p = ike_out_pl(&o, IKE_PL_KE, IKE_KE_FIXED + klen);
	if (p != NULL) {
		ike_put16(p, sa->suite.dh);
		p[2] = p[3] = 0;
		if (ike_dh_public(dh, p + IKE_KE_FIXED, klen) < 0)
			return -1;
	}
	ike_out_copy(&o, IKE_PL_NONCE, sa->nr, IKE_NONCE_LEN);
	if (natt) {
		uint8_t hsh[IKE_NATD_LEN];

		natd_hash(sa->spi_i, sa->spi_r, sa->addr.local,
			  sa->addr.local_port, hsh);
		ike_out_notify(&o, 0, IKE_N_NAT_DETECTION_SOURCE_IP, hsh,
			       sizeof(hsh));
		natd_hash(sa->spi_i, sa->spi_r, sa->addr.peer,
			  sa->addr.peer_port, hsh);
		ike_out_notify(&o, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, hsh,
			       sizeof(hsh));
	}
	p = ike_out_pl(&o, IKE_PL_CERTREQ, IKE_CERT_FIXED + x->certreq_len);
	if (p != NULL) {
		p[0] = IKE_CERT_X509_SIG;
		memcpy(p + 1, x->certreq, x->certreq_len);
	}
	if (sa->frag_ok)
		ike_out_notify(&o, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (sa->peer_hashes != 0)
		out_sighashes(&o);
	if (ike_out_finish(&o) < 0)
		return -1;
	*len = o.len;
	return 0;
}

/* Everything in the request that must be there, decoded. */
struct init_req {
	struct ike_sa_pl sa;
	struct ike_ke ke;
	const struct ike_pl *nonce;
};

static int
decode(const struct ike_msg *m, struct init_req *r, const char **why)
{
	const struct ike_pl *sa = ike_find(m, IKE_PL_SA, false);
	const struct ike_pl *ke = ike_find(m, IKE_PL_KE, false);

	r->nonce = ike_find(m, IKE_PL_NONCE, false);
	if (sa == NULL || ke == NULL || r->nonce == NULL) {
		*why = "SA, KE or Nonce payload missing";
		return -1;
	}
	if (ike_count(m, IKE_PL_SA, false) > 1 || ike_count(m, IKE_PL_KE, false) > 1 ||
	    ike_count(m, IKE_PL_NONCE, false) > 1 || m->sk_off != 0) {
		*why = "duplicate or encrypted payloads in IKE_SA_INIT";
		return -1;
	}
	if (r->nonce->len < IKE_NONCE_MIN || r->nonce->len > IKE_NONCE_MAX) {
		*why = "nonce length outside 16..256";
		return -1;
	}
	if (ike_dec_sa(sa, &r->sa, why) < 0 || ike_dec_ke(ke, &r->ke, why) < 0)
		return -1;
	return 0;
}

/* Create the SA: DH, keys, NAT detection, response. */
static struct ike_sa *
establish(struct ike *x, const struct ike_msg *m, const struct ike_addr *a,
	  const struct init_req *r, const struct ike_choice *c,
	  const struct ike_suite *suite)
{
	uint8_t gir[IKE_MAX_DH_LEN];
	size_t glen = 0, rlen;
	struct ike_dh *dh = ike_dh_new(suite->dh);
	struct ike_sa *sa = NULL;
	bool natt;

	if (dh == NULL)
		goto fail;
	if (ike_dh_shared(dh, r->ke.data, r->ke.len, gir, sizeof(gir), &glen) < 0) {
		log_info("ike %s: invalid KE public value for group %u",
			 ike_peer_str(a), suite->dh);
		ike_reply_notify(x, m, a, IKE_N_INVALID_SYNTAX, NULL, 0);
		goto fail;
	}
	sa = ike_sa_new(x, m->hdr.spi_i, a);
	if (sa == NULL || RAND_bytes(sa->nr, IKE_NONCE_LEN) != 1)
		goto fail;
	sa->suite = *suite;
	memcpy(sa->ni, r->nonce->body, r->nonce->len);
	sa->ni_len = r->nonce->len;
	if (ike_derive_keys(suite, sa->ni, sa->ni_len, sa->nr, IKE_NONCE_LEN,
			    gir, glen, sa->spi_i, sa->spi_r, NULL, 0, &sa->k) < 0)
		goto fail;
	ike_sa_set_dirs(sa);
	natt = nat_detect(m, a, &sa->nat_peer, &sa->nat_local);
	sa->peer_hashes = peer_sighashes(m);
	{
		struct ike_notify_pl n;

		sa->frag_ok = ike_find_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
					      false, &n);
	}
	if (build_response(x, sa, c, dh, natt, &rlen) < 0)
		goto fail;
	sa->init_req = dup_bytes(m->raw, m->raw_len);
	sa->init_resp = dup_bytes(x->obuf, rlen);
	if (sa->init_req == NULL || sa->init_resp == NULL)
		goto fail;
	sa->init_req_len = m->raw_len;
	sa->init_resp_len = rlen;
	{
		unsigned int hl = sizeof(sa->init_hash);

		EVP_Digest(m->raw, m->raw_len, sa->init_hash, &hl, EVP_sha1(),
			   NULL);
		memcpy(sa->cur_req_hash, sa->init_hash, hl);
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(dh);
	return sa;
fail:
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(dh);
	if (sa != NULL)
		ike_sa_free(x, sa);
	return NULL;
}

/* ---- COOKIE (RFC 7296 2.6) ---- */

/* VER | SHA-256(secret[VER] | Ni | IPi | SPIi), truncated. */
static void
cookie_make(const struct ike *x, uint8_t ver, const struct init_req *r,
	    const struct ike_msg *m, const struct ike_addr *a,
	    uint8_t out[IKE_COOKIE_LEN])
{
	uint8_t h[32], ip[4];
	unsigned int hl = sizeof(h);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	ike_put32(ip, a->peer);
	out[0] = ver;
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, x->cookie_secret[ver & 1], 32) != 1 ||
	    EVP_DigestUpdate(c, r->nonce->body, r->nonce->len) != 1 ||
	    EVP_DigestUpdate(c, ip, sizeof(ip)) != 1 ||
	    EVP_DigestUpdate(c, m->hdr.spi_i, IKE_SPI_LEN) != 1 ||
	    EVP_DigestFinal_ex(c, h, &hl) != 1)
		memset(h, 0, sizeof(h));
	EVP_MD_CTX_free(c);
	memcpy(out + 1, h, IKE_COOKIE_LEN - 1);
	OPENSSL_cleanse(h, sizeof(h));
}

static void
cookie_rotate(struct ike *x)
{
	uint64_t now = loop_now(x->loop);

	if (now - x->cookie_rotated_ns < (uint64_t)IKE_COOKIE_ROTATE_S * 1000000000ull)
		return;
	x->cookie_rotated_ns = now;
	x->cookie_ver++;
	RAND_bytes(x->cookie_secret[x->cookie_ver & 1], 32);
}

/* Under load the request must carry our COOKIE before it costs a DH:
 * true when it may go on. */
static bool
cookie_ok(struct ike *x, const struct ike_msg *m, const struct init_req *r,
	  const struct ike_addr *a)
{
	const struct p2sgw_config *cfg = &x->cp->cfg;
	uint8_t want[IKE_COOKIE_LEN];
	struct ike_notify_pl n;

	if (x->n_half_open < cfg->ike.cookie_threshold)
		return true;
	cookie_rotate(x);
	if (ike_find_notify(m, IKE_N_COOKIE, false, &n)) {
		if (n.len == IKE_COOKIE_LEN &&
		    (n.data[0] == x->cookie_ver ||
		     n.data[0] == (uint8_t)(x->cookie_ver - 1))) {
			cookie_make(x, n.data[0], r, m, a, want);
			if (CRYPTO_memcmp(want, n.data, IKE_COOKIE_LEN) == 0) {
				x->st.cookies_ok++;
				return true;
			}
		}
		x->st.cookies_bad++;	/* stale or forged: a fresh one */
	}
	cookie_make(x, x->cookie_ver, r, m, a, want);
	x->st.cookies_sent++;
	ike_reply_notify(x, m, a, IKE_N_COOKIE, want, sizeof(want));
	return false;
}

static void
retransmitted(struct ike *x, struct ike_sa *sa, const struct ike_msg *m)
{
	uint8_t h[20];
	unsigned int hl = sizeof(h);

	EVP_Digest(m->raw, m->raw_len, h, &hl, EVP_sha1(), NULL);
	if (sa->init_resp != NULL && !memcmp(h, sa->init_hash, sizeof(h))) {
		x->st.rx_retransmit++;
		ike_send(x, &sa->addr, sa->init_resp, sa->init_resp_len);
	} else {
		x->st.rx_bad++;	/* another IKE_SA_INIT with the same SPIi */
	}
}

void
ike_init_request(struct ike *x, const struct ike_msg *m,
		 const struct ike_addr *a)
{
	const struct p2sgw_config *cfg = &x->cp->cfg;
	struct ike_sa *sa = ike_sa_by_init(x, m->hdr.spi_i, a);
	struct ike_choice c;
	struct ike_suite suite;
	struct init_req r;
	const char *why;
	uint16_t group;
	uint8_t gb[2];

	if (sa != NULL) {
		retransmitted(x, sa, m);
		return;
	}
	if (m->unknown_critical) {
		x->st.unsupported_critical++;
		ike_reply_notify(x, m, a, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
				 &m->unknown_critical, 1);
		return;
	}
	if (decode(m, &r, &why) < 0) {
		log_info("ike %s: malformed IKE_SA_INIT: %s", ike_peer_str(a), why);
		x->st.rx_bad++;
		ike_reply_notify(x, m, a, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (!cookie_ok(x, m, &r, a))
		return;
	/* under load only: many clients behind one NAT that reconnect
	 * together must not be turned away in quiet times */
	if (x->n_half_open >= cfg->ike.cookie_threshold &&
	    ike_src_count(x, a->peer) >= cfg->ike.half_open_per_source) {
		x->st.half_open_refused++;
		log_debug("ike %s: %u half-open IKE SAs from this address: "
			  "IKE_SA_INIT dropped", ike_peer_str(a),
			  ike_src_count(x, a->peer));
		return;
	}
	switch (ike_pick_ike(cfg, &r.sa, r.ke.group, &c, &suite, &group)) {
	case IKE_PICK_NONE: {
		char offered[512];

		x->st.no_proposal++;
		log_notice("ike %s: NO_PROPOSAL_CHOSEN: the client offered %s;"
			   " none is allowed by ike.proposals", ike_peer_str(a),
			   ike_props_str(&r.sa, offered, sizeof(offered)));
		ike_reply_notify(x, m, a, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	case IKE_PICK_KE:
		x->st.invalid_ke++;
		log_info("ike %s: KE for group %u, asking for group %u",
			 ike_peer_str(a), r.ke.group, group);
		ike_put16(gb, group);
		ike_reply_notify(x, m, a, IKE_N_INVALID_KE_PAYLOAD, gb, 2);
		return;
	case IKE_PICK_OK:
		break;
	}
	if (r.ke.len != ike_dh_len(suite.dh)) {
		log_info("ike %s: KE of %zu bytes for group %u", ike_peer_str(a),
			 r.ke.len, suite.dh);
		x->st.rx_bad++;
		ike_reply_notify(x, m, a, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	sa = establish(x, m, a, &r, &c, &suite);
	if (sa == NULL)
		return;
	x->st.init_ok++;
	SA_LOG(CP_LOG_INFO, sa, "IKE_SA_INIT: %s/%u/%u group %u%s",
	       suite.encr == IKE_ENCR_AES_GCM16 ? "aes256gcm16" : "aes256",
	       suite.integ, suite.prf, suite.dh,
	       sa->nat_peer || sa->nat_local ? ", NAT detected" : "");
	ike_respond(x, sa, sa->init_resp, sa->init_resp_len);
	loop_timer_arm(x->loop, &sa->timer,
		       (uint64_t)cfg->ike.half_open_timeout * 1000000000ull);
}
