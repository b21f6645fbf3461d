/* SPDX-License-Identifier: BSD-3-Clause
 * Certificate authentication: loading roots and our own certificate,
 * verifying peer chains, ID matching, and AUTH signatures of methods 1,
 * 9/10/11 and 14 (PKCS#1 v1.5, ECDSA, RSASSA-PSS). The PKI is made here
 * at run time with OpenSSL, written to a temporary directory and removed.
 */
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "cptest.h"
#include "pki_gen.h"
#include "x509.h"

#define DAY (24 * 3600L)
#define SIGHASH(h) ((uint16_t)(1u << (h)))

static const uint8_t octets[] = "RealMessage | Nonce | prf(SK_p, ID)";

/* AlgorithmIdentifiers as RFC 7427 appendix A spells them. */
static const uint8_t ALG_RSA_SHA256[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x0b, 0x05, 0x00 };
static const uint8_t ALG_RSA_SHA384[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x0c, 0x05, 0x00 };
static const uint8_t ALG_RSA_MD5[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x04, 0x05, 0x00 };
static const uint8_t ALG_ECDSA_SHA256[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03,
	0x02 };
static const uint8_t ALG_ECDSA_SHA384[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03,
	0x03 };
static const uint8_t ALG_ECDSA_SHA512[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03,
	0x04 };
/* RSASSA-PSS with every parameter at its default: SHA-1, MGF1-SHA-1,
 * 20 bytes of salt. */
static const uint8_t ALG_PSS_DEFAULT[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x0a, 0x30, 0x00 };
static const uint8_t ALG_PSS_ABSENT[] = {
	0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x0a };

struct pki {
	EVP_PKEY *k_rroot, *k_eroot, *k_inter, *k_unknown;
	EVP_PKEY *k_rsa, *k_p256, *k_p384, *k_p521, *k_other;
	X509 *rroot, *eroot, *inter, *unknown_root;
	X509 *leaf_rsa, *leaf_p256, *leaf_p384, *expired, *stranger, *ca_leaf;
};

static struct pki pki;

/* ---- making the PKI ------------------------------------------------------ */

static void
make_pki(void)
{
	long y10 = 3650 * DAY;

	pki.k_rroot = keygen(NULL);
	pki.k_rsa = keygen(NULL);
	pki.k_eroot = keygen("P-256");
	pki.k_inter = keygen("P-256");
	pki.k_unknown = keygen("P-256");
	pki.k_p256 = keygen("P-256");
	pki.k_other = keygen("P-256");
	pki.k_p384 = keygen("P-384");
	pki.k_p521 = keygen("P-521");

	pki.rroot = make_cert(&(struct certspec){ "Test RSA Root",
		pki.k_rroot, NULL, NULL, true, -30 * DAY, y10, NULL });
	pki.eroot = make_cert(&(struct certspec){ "Test EC Root",
		pki.k_eroot, NULL, NULL, true, -30 * DAY, y10, NULL });
	pki.unknown_root = make_cert(&(struct certspec){ "Unknown Root",
		pki.k_unknown, NULL, NULL, true, -30 * DAY, y10, NULL });
	pki.inter = make_cert(&(struct certspec){ "Test Intermediate",
		pki.k_inter, pki.eroot, pki.k_eroot, true, -20 * DAY, y10,
		NULL });
	pki.leaf_rsa = make_cert(&(struct certspec){ "rsa client",
		pki.k_rsa, pki.rroot, pki.k_rroot, false, -DAY, 365 * DAY,
		"DNS:rsa.client.example,email:alice@example.com,"
		"IP:192.0.2.7,IP:2001:db8::7" });
	pki.leaf_p256 = make_cert(&(struct certspec){ "ec client",
		pki.k_p256, pki.inter, pki.k_inter, false, -DAY, 365 * DAY,
		"DNS:ec.client.example,DNS:Alt.Example" });
	pki.leaf_p384 = make_cert(&(struct certspec){ "p384.client.example",
		pki.k_p384, pki.eroot, pki.k_eroot, false, -DAY, 365 * DAY,
		NULL });
	pki.expired = make_cert(&(struct certspec){ "expired client",
		pki.k_p256, pki.eroot, pki.k_eroot, false, -3 * DAY, -DAY,
		NULL });
	pki.stranger = make_cert(&(struct certspec){ "stranger",
		pki.k_other, pki.unknown_root, pki.k_unknown, false, -DAY,
		365 * DAY, NULL });
	pki.ca_leaf = make_cert(&(struct certspec){ "ca as client",
		pki.k_other, pki.eroot, pki.k_eroot, true, -DAY, 365 * DAY,
		NULL });
}

static void
free_pki(void)
{
	EVP_PKEY *keys[] = { pki.k_rroot, pki.k_eroot, pki.k_inter,
		pki.k_unknown, pki.k_rsa, pki.k_p256, pki.k_p384, pki.k_p521,
		pki.k_other };
	X509 *certs[] = { pki.rroot, pki.eroot, pki.inter, pki.unknown_root,
		pki.leaf_rsa, pki.leaf_p256, pki.leaf_p384, pki.expired,
		pki.stranger, pki.ca_leaf };
	unsigned i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	for (i = 0; i < n_paths; i++)
		unlink(paths[i]);
	rmdir(tmpdir);
}

/* ---- helpers ------------------------------------------------------------- */

struct der {
	uint8_t *p;
	size_t len;
};

static struct der
der_cert(X509 *x)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	return (struct der){ p, n > 0 ? (size_t)n : 0 };
}

static void
sha1(const void *p, size_t len, uint8_t out[20])
{
	unsigned int n = 0;

	EVP_Digest(p, len, out, &n, EVP_sha1(), NULL);
}

static void
thumb(X509 *x, uint8_t out[X509_THUMB_LEN])
{
	unsigned int n = 0;

	X509_digest(x, EVP_sha1(), out, &n);
}

/* x509_verify_peer of LEAF with INTER (may be NULL) sent along. */
static int
verify(const struct x509_trust *t, X509 *leaf, X509 *inter, int64_t now,
       struct x509_peer *peer, bool *revoked, char *err, size_t errlen)
{
	struct der l = der_cert(leaf), i = { NULL, 0 };
	const uint8_t *ip[1];
	size_t il[1];
	int rc;

	if (inter != NULL) {
		i = der_cert(inter);
		ip[0] = i.p;
		il[0] = i.len;
	}
	rc = x509_verify_peer(t, l.p, l.len, ip, il, inter != NULL ? 1 : 0,
			      now, peer, revoked, err, errlen);
	OPENSSL_free(l.p);
	OPENSSL_free(i.p);
	return rc;
}

/* ---- trust --------------------------------------------------------------- */

static void
test_trust_load(const char *rroot, const char *eroot)
{
	const char *leaf = write_pem("leaf.pem", pki.leaf_rsa, NULL, NULL,
				     NULL);
	const char *garbage = write_text("garbage.pem",
		"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
		"-----END CERTIFICATE-----\n");
	const char *empty = write_text("empty.pem", "no PEM here\n");
	const char *missing[] = { rroot, "/nonexistent/p2sgw-root.pem" };
	const char *notca[] = { eroot, leaf };
	const char *bad[] = { garbage };
	const char *none[] = { empty };
	struct x509_trust *t;
	char err[256];

	err[0] = '\0';
	t = x509_trust_load(missing, 2, NULL, 0, err, sizeof(err));
	CHECK(t == NULL && strstr(err, "/nonexistent/p2sgw-root.pem:") == err,
	      "%s", err);
	CHECK(strstr(err, "No such file") != NULL, "%s", err);
	t = x509_trust_load(notca, 2, NULL, 0, err, sizeof(err));
	CHECK(t == NULL && strstr(err, leaf) == err &&
	      strstr(err, "'CN=rsa client,O=p2sgw test' is not a CA") != NULL,
	      "%s", err);
	t = x509_trust_load(bad, 1, NULL, 0, err, sizeof(err));
	CHECK(t == NULL && strstr(err, garbage) == err &&
	      strstr(err, "certificate 1 does not parse") != NULL, "%s", err);
	t = x509_trust_load(none, 1, NULL, 0, err, sizeof(err));
	CHECK(t == NULL && strstr(err, empty) == err &&
	      strstr(err, "no PEM certificate") != NULL, "%s", err);
	CHECK(ERR_peek_error() == 0, "error queue left behind");
}

static void
test_certreq(const char *both, const char *rroot)
{
	const char *files[] = { both, rroot };	/* rroot twice: one hash */
	uint8_t out[64], want[40], none[20] = { 0 };
	unsigned char *spki;
	struct x509_trust *t;
	char err[256];
	int n;

	t = x509_trust_load(files, 2, NULL, 0, err, sizeof(err));
	CHECK(t != NULL, "%s", err);
	if (t == NULL)
		return;
	spki = NULL;
	n = i2d_PUBKEY(pki.k_rroot, &spki);
	sha1(spki, (size_t)n, want);
	OPENSSL_free(spki);
	spki = NULL;
	n = i2d_PUBKEY(pki.k_eroot, &spki);
	sha1(spki, (size_t)n, want + 20);
	OPENSSL_free(spki);
	CHECK(x509_trust_certreq(t, out, sizeof(out)) == 40, "two roots");
	CHECK(memcmp(out, want, 40) == 0, "CERTREQ = SHA-1 of SPKI DER");
	CHECK(x509_trust_certreq(t, out, 39) == 0, "short buffer");
	CHECK(x509_trust_has_ca(t, want), "RSA root");
	CHECK(x509_trust_has_ca(t, want + 20), "EC root");
	CHECK(!x509_trust_has_ca(t, none), "unknown hash");
	x509_trust_free(t);
}

/* ---- peer verification --------------------------------------------------- */

static void
test_verify_good(const struct x509_trust *t)
{
	uint8_t th[X509_THUMB_LEN];
	struct x509_peer p;
	bool rev = true;
	char err[256];

	CHECK(verify(t, pki.leaf_rsa, NULL, 0, &p, &rev, err,
		     sizeof(err)) == 0, "%s", err);
	thumb(pki.leaf_rsa, th);
	CHECK(!rev && p.cert != NULL && p.key != NULL, "peer filled");
	CHECK(memcmp(p.thumb, th, sizeof(th)) == 0, "thumbprint");
	CHECK(strcmp(p.subject, "CN=rsa client,O=p2sgw test") == 0, "%s",
	      p.subject);
	CHECK(EVP_PKEY_eq(p.key, pki.k_rsa) == 1, "peer key");
	x509_peer_clear(&p);
	CHECK(p.cert == NULL && p.key == NULL, "cleared");

	CHECK(verify(t, pki.leaf_p256, pki.inter, 0, &p, &rev, err,
		     sizeof(err)) == 0, "via intermediate: %s", err);
	x509_peer_clear(&p);
	CHECK(verify(t, pki.leaf_p384, NULL, 0, &p, &rev, err,
		     sizeof(err)) == 0, "P-384 direct: %s", err);
	x509_peer_clear(&p);
	/* The expired certificate at a time inside its validity. */
	CHECK(verify(t, pki.expired, NULL, (int64_t)time(NULL) - 2 * DAY,
		     &p, &rev, err, sizeof(err)) == 0, "in window: %s", err);
	x509_peer_clear(&p);
}

static void
test_verify_refused(const struct x509_trust *t)
{
	uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct x509_peer p;
	struct der d;
	bool rev;
	char err[256];

	CHECK(verify(t, pki.leaf_p256, NULL, 0, &p, &rev, err,
		     sizeof(err)) < 0 && !rev, "no intermediate");
	CHECK(strstr(err, "'CN=ec client,O=p2sgw test' does not chain to a "
		     "trusted root: unable to get local issuer") != NULL, "%s",
	      err);
	CHECK(verify(t, pki.stranger, pki.unknown_root, 0, &p, &rev, err,
		     sizeof(err)) < 0 && !rev, "unknown CA");
	CHECK(strstr(err, "CN=stranger") != NULL &&
	      strstr(err, "does not chain to a trusted root") != NULL, "%s",
	      err);
	CHECK(verify(t, pki.expired, NULL, 0, &p, &rev, err,
		     sizeof(err)) < 0 && !rev, "expired");
	CHECK(strstr(err, "CN=expired client") != NULL &&
	      strstr(err, "expired") != NULL, "%s", err);
	CHECK(verify(t, pki.leaf_rsa, NULL, (int64_t)time(NULL) + 400 * DAY,
		     &p, &rev, err, sizeof(err)) < 0, "after notAfter");
	CHECK(verify(t, pki.ca_leaf, NULL, 0, &p, &rev, err,
		     sizeof(err)) < 0 && !rev, "CA:TRUE leaf");
	CHECK(strstr(err, "is a CA") != NULL, "%s", err);
	CHECK(verify(t, pki.eroot, NULL, 0, &p, &rev, err, sizeof(err)) < 0,
	      "a root as the leaf");

	CHECK(x509_verify_peer(t, junk, sizeof(junk), NULL, NULL, 0, 0, &p,
			       &rev, err, sizeof(err)) < 0 &&
	      strstr(err, "not DER X.509") != NULL, "%s", err);
	d = der_cert(pki.leaf_rsa);
	d.p = OPENSSL_realloc(d.p, d.len + 1);
	d.p[d.len] = 0;
	CHECK(x509_verify_peer(t, d.p, d.len + 1, NULL, NULL, 0, 0, &p, &rev,
			       err, sizeof(err)) < 0, "trailing byte");
	CHECK(x509_verify_peer(t, d.p, d.len - 1, NULL, NULL, 0, 0, &p, &rev,
			       err, sizeof(err)) < 0, "truncated");
	OPENSSL_free(d.p);
	CHECK(ERR_peek_error() == 0, "error queue left behind");
}

static void
test_verify_revoked(const char *rroot, const char *eroot)
{
	const char *files[] = { rroot, eroot };
	uint8_t rev_list[2][X509_THUMB_LEN];
	struct x509_trust *t;
	struct x509_peer p;
	char err[256], hex[41];
	bool rev = false;

	thumb(pki.leaf_rsa, rev_list[0]);
	thumb(pki.inter, rev_list[1]);
	t = x509_trust_load(files, 2, (const uint8_t (*)[X509_THUMB_LEN])
			    rev_list, 2, err, sizeof(err));
	CHECK(t != NULL, "%s", err);
	if (t == NULL)
		return;
	CHECK(verify(t, pki.leaf_rsa, NULL, 0, &p, &rev, err,
		     sizeof(err)) < 0 && rev, "revoked leaf");
	x509_thumb_hex(rev_list[0], hex);
	CHECK(strstr(err, "'CN=rsa client,O=p2sgw test' is revoked") != NULL &&
	      strstr(err, hex) != NULL, "%s", err);
	rev = false;
	CHECK(verify(t, pki.leaf_p256, pki.inter, 0, &p, &rev, err,
		     sizeof(err)) < 0 && rev, "revoked intermediate");
	CHECK(strstr(err, "CA 'CN=Test Intermediate,O=p2sgw test'") != NULL,
	      "%s", err);
	CHECK(verify(t, pki.leaf_p384, NULL, 0, &p, &rev, err,
		     sizeof(err)) == 0 && !rev, "not revoked: %s", err);
	x509_peer_clear(&p);
	CHECK(verify(t, pki.expired, NULL, 0, &p, &rev, err,
		     sizeof(err)) < 0 && !rev, "expired is not revoked");
	x509_trust_free(t);
}

/* An intermediate configured as a root is a trust anchor of its own. */
static void
test_partial_chain(void)
{
	const char *files[] = { write_pem("inter.pem", pki.inter, NULL, NULL,
					  NULL) };
	struct x509_trust *t;
	struct x509_peer p;
	char err[256];
	bool rev;

	t = x509_trust_load(files, 1, NULL, 0, err, sizeof(err));
	CHECK(t != NULL, "%s", err);
	if (t == NULL)
		return;
	CHECK(verify(t, pki.leaf_p256, NULL, 0, &p, &rev, err,
		     sizeof(err)) == 0, "intermediate as root: %s", err);
	x509_peer_clear(&p);
	CHECK(verify(t, pki.leaf_p384, NULL, 0, &p, &rev, err,
		     sizeof(err)) < 0, "sibling under the real root");
	x509_trust_free(t);
}

/* ---- ID matching --------------------------------------------------------- */

static bool
id_is(X509 *x, uint8_t type, const char *s)
{
	return x509_id_matches(x, type, (const uint8_t *)s, strlen(s));
}

static void
test_ids(void)
{
	const uint8_t v4[] = { 192, 0, 2, 7 }, v4b[] = { 192, 0, 2, 8 };
	const uint8_t v6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
			       0, 0, 0, 7 };
	unsigned char *dn = NULL, *dn2 = NULL;
	int n, n2;

	n = i2d_X509_NAME(X509_get_subject_name(pki.leaf_rsa), &dn);
	n2 = i2d_X509_NAME(X509_get_subject_name(pki.leaf_p256), &dn2);
	CHECK(x509_id_matches(pki.leaf_rsa, IKE_ID_DER_ASN1_DN, dn, (size_t)n),
	      "DN");
	CHECK(!x509_id_matches(pki.leaf_rsa, IKE_ID_DER_ASN1_DN, dn2,
			       (size_t)n2), "other DN");
	CHECK(!x509_id_matches(pki.leaf_rsa, IKE_ID_DER_ASN1_DN, dn,
			       (size_t)n - 1), "truncated DN");
	CHECK(!x509_id_matches(pki.leaf_rsa, IKE_ID_KEY_ID, dn, (size_t)n),
	      "KEY_ID never");
	OPENSSL_free(dn);
	OPENSSL_free(dn2);

	CHECK(id_is(pki.leaf_rsa, IKE_ID_FQDN, "rsa.client.example"), "FQDN");
	CHECK(id_is(pki.leaf_rsa, IKE_ID_FQDN, "RSA.Client.EXAMPLE"), "case");
	CHECK(id_is(pki.leaf_p256, IKE_ID_FQDN, "alt.example"), "second SAN");
	CHECK(!id_is(pki.leaf_rsa, IKE_ID_FQDN, "rsa.client.example.evil"),
	      "longer");
	CHECK(!id_is(pki.leaf_rsa, IKE_ID_FQDN, "rsa.client.exampl"),
	      "shorter");
	CHECK(!x509_id_matches(pki.leaf_rsa, IKE_ID_FQDN,
			       (const uint8_t *)"rsa.client.example\0x", 20),
	      "embedded NUL");
	CHECK(!id_is(pki.leaf_rsa, IKE_ID_FQDN, "rsa client"),
	      "no CN fallback when a dNSName exists");
	CHECK(id_is(pki.leaf_p384, IKE_ID_FQDN, "P384.client.example"),
	      "CN fallback without SAN");
	CHECK(!id_is(pki.leaf_p384, IKE_ID_FQDN, "p384.client"), "CN prefix");

	CHECK(id_is(pki.leaf_rsa, IKE_ID_RFC822_ADDR, "Alice@Example.com"),
	      "RFC822");
	CHECK(!id_is(pki.leaf_rsa, IKE_ID_RFC822_ADDR, "bob@example.com"),
	      "other RFC822");
	CHECK(!id_is(pki.leaf_rsa, IKE_ID_RFC822_ADDR, "rsa.client.example"),
	      "a dNSName is no RFC822 name");

	CHECK(x509_id_matches(pki.leaf_rsa, IKE_ID_IPV4_ADDR, v4, 4), "IPv4");
	CHECK(!x509_id_matches(pki.leaf_rsa, IKE_ID_IPV4_ADDR, v4b, 4),
	      "other IPv4");
	CHECK(!x509_id_matches(pki.leaf_rsa, IKE_ID_IPV4_ADDR, v4, 3),
	      "short IPv4");
	CHECK(x509_id_matches(pki.leaf_rsa, IKE_ID_IPV6_ADDR, v6, 16), "IPv6");
	CHECK(!x509_id_matches(pki.leaf_rsa, IKE_ID_IPV6_ADDR, v4, 4),
	      "IPv4 bytes as IPv6");
	CHECK(!x509_id_matches(pki.leaf_p384, IKE_ID_IPV4_ADDR, v4, 4),
	      "no iPAddress");
	CHECK(!x509_id_matches(pki.leaf_rsa, IKE_ID_FQDN, NULL, 0), "empty");
}

/* ---- AUTH signatures ----------------------------------------------------- */

struct sigcase {
	const char *what;
	EVP_PKEY **key;
	X509 **cert;
	uint16_t hashes;
	uint8_t method;
	const uint8_t *alg;		/* method 14: expected algorithm */
	size_t alg_len;
	size_t fixed_len;		/* 1, 9/10/11: signature length */
	int md_nid;
};

#define ALG(a) a, sizeof(a)

/* Check the signature part of an AUTH payload with plain OpenSSL calls,
 * apart from the module's own conversion and parsing. */
static bool
independent_verify(const struct sigcase *c, const uint8_t *sig, size_t len)
{
	EVP_PKEY *pub = X509_get0_pubkey(*c->cert);
	const EVP_MD *md = EVP_get_digestbynid(c->md_nid);
	uint8_t der[160], *p = der;
	ECDSA_SIG *es;
	EVP_MD_CTX *mc;
	bool ok;

	if (c->method == AUTH_DIGITAL_SIG) {
		sig += 1 + c->alg_len;
		len -= 1 + c->alg_len;
	} else if (c->method != AUTH_RSA_SIG) {
		es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)len / 2, NULL),
			       BN_bin2bn(sig + len / 2, (int)len / 2, NULL));
		len = (size_t)i2d_ECDSA_SIG(es, &p);
		sig = der;
		ECDSA_SIG_free(es);
	}
	mc = EVP_MD_CTX_new();
	ok = EVP_DigestVerifyInit(mc, NULL, md, NULL, pub) == 1 &&
	     EVP_DigestVerify(mc, sig, len, octets, sizeof(octets)) == 1;
	EVP_MD_CTX_free(mc);
	return ok;
}

static void
roundtrip(const struct sigcase *c)
{
	EVP_PKEY *pub = X509_get0_pubkey(*c->cert);
	uint8_t out[1024], msg[sizeof(octets)], method = 0;
	size_t len = 0;
	char err[256];

	CHECK(x509_auth_sign(*c->key, c->hashes, octets, sizeof(octets),
			     &method, out, sizeof(out), &len, err,
			     sizeof(err)) == 0, "%s: %s", c->what, err);
	CHECK(method == c->method, "%s: method %u", c->what, method);
	if (c->alg != NULL)
		CHECK(len > 1 + c->alg_len && out[0] == c->alg_len &&
		      memcmp(out + 1, c->alg, c->alg_len) == 0,
		      "%s: AlgorithmIdentifier", c->what);
	if (c->fixed_len != 0)
		CHECK(len == c->fixed_len, "%s: %zu bytes", c->what, len);
	if (method != c->method)
		return;
	CHECK(independent_verify(c, out, len), "%s: OpenSSL disagrees",
	      c->what);
	CHECK(x509_auth_verify(pub, method, out, len, octets, sizeof(octets),
			       err, sizeof(err)) == 0, "%s: %s", c->what, err);

	memcpy(msg, octets, sizeof(msg));
	msg[7] ^= 0x01;
	CHECK(x509_auth_verify(pub, method, out, len, msg, sizeof(msg), err,
			       sizeof(err)) < 0, "%s: flipped octet", c->what);
	out[len - 1] ^= 0x80;
	CHECK(x509_auth_verify(pub, method, out, len, octets, sizeof(octets),
			       err, sizeof(err)) < 0, "%s: flipped signature",
	      c->what);
	out[len - 1] ^= 0x80;
	CHECK(x509_auth_verify(X509_get0_pubkey(pki.leaf_p256) == pub ?
			       pki.k_other : pki.k_rroot, method, out, len,
			       octets, sizeof(octets), err, sizeof(err)) < 0,
	      "%s: wrong key", c->what);
}

static void
test_sign_verify(void)
{
	const uint16_t all = SIGHASH(SIGHASH_SHA256) | SIGHASH(SIGHASH_SHA384) |
			     SIGHASH(SIGHASH_SHA512);
	const struct sigcase cases[] = {
		{ "RSA none", &pki.k_rsa, &pki.leaf_rsa, 0, AUTH_RSA_SIG,
		  NULL, 0, 256, NID_sha1 },
		{ "RSA SHA-1 only", &pki.k_rsa, &pki.leaf_rsa,
		  SIGHASH(SIGHASH_SHA1), AUTH_RSA_SIG, NULL, 0, 256, NID_sha1 },
		{ "RSA SHA256", &pki.k_rsa, &pki.leaf_rsa,
		  SIGHASH(SIGHASH_SHA256), AUTH_DIGITAL_SIG,
		  ALG(ALG_RSA_SHA256), 0, NID_sha256 },
		{ "RSA SHA384", &pki.k_rsa, &pki.leaf_rsa,
		  SIGHASH(SIGHASH_SHA384), AUTH_DIGITAL_SIG,
		  ALG(ALG_RSA_SHA384), 0, NID_sha384 },
		{ "RSA all", &pki.k_rsa, &pki.leaf_rsa, all, AUTH_DIGITAL_SIG,
		  ALG(ALG_RSA_SHA256), 0, NID_sha256 },
		{ "P-256 none", &pki.k_p256, &pki.leaf_p256, 0, AUTH_ECDSA_256,
		  NULL, 0, 64, NID_sha256 },
		{ "P-256 SHA256", &pki.k_p256, &pki.leaf_p256,
		  SIGHASH(SIGHASH_SHA256), AUTH_DIGITAL_SIG,
		  ALG(ALG_ECDSA_SHA256), 0, NID_sha256 },
		{ "P-256 SHA384", &pki.k_p256, &pki.leaf_p256,
		  SIGHASH(SIGHASH_SHA384), AUTH_DIGITAL_SIG,
		  ALG(ALG_ECDSA_SHA384), 0, NID_sha384 },
		{ "P-256 all", &pki.k_p256, &pki.leaf_p256, all,
		  AUTH_DIGITAL_SIG, ALG(ALG_ECDSA_SHA256), 0, NID_sha256 },
		{ "P-384 none", &pki.k_p384, &pki.leaf_p384, 0, AUTH_ECDSA_384,
		  NULL, 0, 96, NID_sha384 },
		{ "P-384 all", &pki.k_p384, &pki.leaf_p384, all,
		  AUTH_DIGITAL_SIG, ALG(ALG_ECDSA_SHA384), 0, NID_sha384 },
		{ "P-384 SHA256", &pki.k_p384, &pki.leaf_p384,
		  SIGHASH(SIGHASH_SHA256), AUTH_DIGITAL_SIG,
		  ALG(ALG_ECDSA_SHA256), 0, NID_sha256 },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		roundtrip(&cases[i]);
	CHECK(x509_sighash_supported() == all, "announced hashes");
	CHECK(ERR_peek_error() == 0, "error queue left behind");
}

/* P-521 has no certificate here: sign with the key, verify with it. */
static void
test_p521(void)
{
	uint8_t out[256], method = 0;
	size_t len = 0;
	char err[256];

	CHECK(x509_auth_sign(pki.k_p521, 0, octets, sizeof(octets), &method,
			     out, sizeof(out), &len, err, sizeof(err)) == 0,
	      "%s", err);
	CHECK(method == AUTH_ECDSA_521 && len == 132, "P-521: %u %zu",
	      method, len);
	CHECK(x509_auth_verify(pki.k_p521, method, out, len, octets,
			       sizeof(octets), err, sizeof(err)) == 0, "%s",
	      err);
	CHECK(x509_auth_sign(pki.k_p521, 0xffff, octets, sizeof(octets),
			     &method, out, sizeof(out), &len, err,
			     sizeof(err)) == 0 && method == AUTH_DIGITAL_SIG &&
	      out[0] == sizeof(ALG_ECDSA_SHA512) &&
	      memcmp(out + 1, ALG_ECDSA_SHA512, sizeof(ALG_ECDSA_SHA512)) == 0,
	      "P-521 method 14: %s", err);
	CHECK(x509_auth_verify(pki.k_p521, method, out, len, octets,
			       sizeof(octets), err, sizeof(err)) == 0, "%s",
	      err);
	CHECK(x509_auth_sign(pki.k_p521, 0, octets, sizeof(octets), &method,
			     out, 100, &len, err, sizeof(err)) < 0,
	      "no room");
}

/* An RSASSA-PSS signature over the octets, as a method 14 payload whose
 * AlgorithmIdentifier OpenSSL's own encoder writes. */
static size_t
pss_auth(const char *md, int salt, int alg_salt, uint8_t *out, size_t cap)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	uint8_t alg[128];
	OSSL_PARAM par[2];
	size_t alen, slen = 0;

	/* The AlgorithmIdentifier from a context set up with ALG_SALT. */
	if (EVP_DigestSignInit_ex(mc, &pc, md, NULL, NULL, pki.k_rsa,
				  NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, md, NULL) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, alg_salt) <= 0)
		goto fail;
	par[0] = OSSL_PARAM_construct_octet_string(
		OSSL_SIGNATURE_PARAM_ALGORITHM_ID, alg, sizeof(alg));
	par[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_CTX_get_params(pc, par) != 1)
		goto fail;
	alen = par[0].return_size;
	if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, salt) <= 0 ||
	    alen + 1 + 256 > cap)
		goto fail;
	out[0] = (uint8_t)alen;
	memcpy(out + 1, alg, alen);
	slen = cap - 1 - alen;
	if (EVP_DigestSign(mc, out + 1 + alen, &slen, octets,
			   sizeof(octets)) != 1)
		goto fail;
	EVP_MD_CTX_free(mc);
	return 1 + alen + slen;
fail:
	ERR_print_errors_fp(stderr);
	EVP_MD_CTX_free(mc);
	return 0;
}

/* The same with an AlgorithmIdentifier given as DER. */
static size_t
pss_auth_alg(const char *md, int salt, const uint8_t *alg, size_t alen,
	     uint8_t *out, size_t cap)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	size_t slen = cap - 1 - alen;

	out[0] = (uint8_t)alen;
	memcpy(out + 1, alg, alen);
	if (EVP_DigestSignInit_ex(mc, &pc, md, NULL, NULL, pki.k_rsa,
				  NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, md, NULL) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, salt) <= 0 ||
	    EVP_DigestSign(mc, out + 1 + alen, &slen, octets,
			   sizeof(octets)) != 1)
		slen = 0;
	EVP_MD_CTX_free(mc);
	return slen != 0 ? 1 + alen + slen : 0;
}

/* x509_auth_verify of a method 14 payload of LEN bytes (0: signing
 * failed, which fails the check too) with KEY. */
static int
verify14(EVP_PKEY *key, const uint8_t *data, size_t len, char *err,
	 size_t errlen)
{
	if (len == 0) {
		snprintf(err, errlen, "no signature to verify");
		return -2;
	}
	return x509_auth_verify(key, AUTH_DIGITAL_SIG, data, len, octets,
				sizeof(octets), err, errlen);
}

static void
test_pss(void)
{
	EVP_PKEY *pub = X509_get0_pubkey(pki.leaf_rsa);
	EVP_PKEY *ec = X509_get0_pubkey(pki.leaf_p256);
	uint8_t out[512];
	size_t len;
	char err[256];

	len = pss_auth("SHA256", 32, 32, out, sizeof(out));
	CHECK(verify14(pub, out, len, err, sizeof(err)) == 0, "PSS-256: %s",
	      err);
	CHECK(verify14(ec, out, len, err, sizeof(err)) == -1 &&
	      strstr(err, "RSASSA-PSS does not fit") != NULL,
	      "PSS with an EC key: %s", err);
	len = pss_auth("SHA512", 64, 64, out, sizeof(out));
	CHECK(verify14(pub, out, len, err, sizeof(err)) == 0, "PSS-512: %s",
	      err);
	/* Signed with 20 bytes of salt, announced as 32. */
	len = pss_auth("SHA256", 20, 32, out, sizeof(out));
	CHECK(verify14(pub, out, len, err, sizeof(err)) == -1,
	      "PSS salt mismatch");

	len = pss_auth_alg("SHA1", 20, ALG(ALG_PSS_DEFAULT), out, sizeof(out));
	CHECK(verify14(pub, out, len, err, sizeof(err)) == 0,
	      "PSS with default parameters: %s", err);
	len = pss_auth_alg("SHA1", 20, ALG(ALG_PSS_ABSENT), out, sizeof(out));
	CHECK(verify14(pub, out, len, err, sizeof(err)) == -1 &&
	      strstr(err, "without parameters") != NULL, "%s", err);
	CHECK(ERR_peek_error() == 0, "error queue left behind");
}

/* Method 14 payloads that are cut short, lie about their length, name an
 * algorithm that does not fit, or use one we refuse. */
static void
test_bad_auth(void)
{
	EVP_PKEY *rsa = X509_get0_pubkey(pki.leaf_rsa);
	EVP_PKEY *p256 = X509_get0_pubkey(pki.leaf_p256);
	EVP_PKEY *p384 = X509_get0_pubkey(pki.leaf_p384);
	uint8_t out[512], m = 0, rs[64], bad[300];
	size_t len = 0, rslen = 0, i;
	char err[256];
	int fails = 0;

	x509_auth_sign(pki.k_rsa, SIGHASH(SIGHASH_SHA256), octets,
		       sizeof(octets), &m, out, sizeof(out), &len, err,
		       sizeof(err));
	for (i = 0; i < len; i++)
		fails += x509_auth_verify(rsa, m, out, i, octets,
					  sizeof(octets), err,
					  sizeof(err)) < 0;
	CHECK(fails == (int)len, "every truncation of method 14 fails");
	CHECK(x509_auth_verify(rsa, m, out, 1 + out[0], octets,
			       sizeof(octets), err, sizeof(err)) < 0 &&
	      strstr(err, "leaves no signature") != NULL, "%s", err);
	CHECK(x509_auth_verify(p256, m, out, len, octets, sizeof(octets), err,
			       sizeof(err)) < 0 &&
	      strstr(err, "does not fit the peer's P-256 key") != NULL,
	      "RSA algorithm, EC key: %s", err);
	out[0] = 0xff;
	CHECK(x509_auth_verify(rsa, m, out, len, octets, sizeof(octets), err,
			       sizeof(err)) < 0, "absurd length byte");
	out[0] = 0;
	CHECK(x509_auth_verify(rsa, m, out, len, octets, sizeof(octets), err,
			       sizeof(err)) < 0, "zero length byte");
	out[0] = 14;			/* one short of the real 15 */
	CHECK(x509_auth_verify(rsa, m, out, len, octets, sizeof(octets), err,
			       sizeof(err)) < 0 &&
	      strstr(err, "does not parse") != NULL, "%s", err);
	memset(bad, 0xff, sizeof(bad));
	bad[0] = 0xff;
	CHECK(x509_auth_verify(rsa, AUTH_DIGITAL_SIG, bad, 200, octets,
			       sizeof(octets), err, sizeof(err)) < 0,
	      "length byte past the data");
	CHECK(x509_auth_verify(rsa, AUTH_DIGITAL_SIG, bad, sizeof(bad), octets,
			       sizeof(octets), err, sizeof(err)) < 0,
	      "0xff garbage");
	bad[0] = sizeof(ALG_RSA_MD5);
	memcpy(bad + 1, ALG_RSA_MD5, sizeof(ALG_RSA_MD5));
	CHECK(x509_auth_verify(rsa, AUTH_DIGITAL_SIG, bad, sizeof(bad), octets,
			       sizeof(octets), err, sizeof(err)) < 0 &&
	      strstr(err, "md5WithRSAEncryption not accepted") != NULL, "%s",
	      err);

	x509_auth_sign(pki.k_p256, 0, octets, sizeof(octets), &m, rs,
		       sizeof(rs), &rslen, err, sizeof(err));
	CHECK(x509_auth_verify(p256, m, rs, rslen - 1, octets, sizeof(octets),
			       err, sizeof(err)) < 0, "short r || s");
	CHECK(x509_auth_verify(p384, m, rs, rslen, octets, sizeof(octets), err,
			       sizeof(err)) < 0, "method 9 with P-384");
	CHECK(x509_auth_verify(p384, AUTH_ECDSA_384, rs, rslen, octets,
			       sizeof(octets), err, sizeof(err)) < 0,
	      "method 10, P-256 signature");
	CHECK(x509_auth_verify(rsa, m, rs, rslen, octets, sizeof(octets), err,
			       sizeof(err)) < 0, "method 9 with RSA");
	CHECK(x509_auth_verify(p256, AUTH_RSA_SIG, out, 256, octets,
			       sizeof(octets), err, sizeof(err)) < 0 &&
	      strstr(err, "method 1") != NULL, "method 1 with EC: %s", err);
	CHECK(x509_auth_verify(rsa, 2, out, 20, octets, sizeof(octets), err,
			       sizeof(err)) < 0, "shared key method");
	CHECK(x509_auth_verify(rsa, AUTH_RSA_SIG, NULL, 0, octets,
			       sizeof(octets), err, sizeof(err)) < 0,
	      "no data");
	CHECK(ERR_peek_error() == 0, "error queue left behind");
}

/* ---- our own certificate ------------------------------------------------- */

static void
test_local(const char *rroot)
{
	const char *ec_cert = write_pem("gw-ec.pem", pki.leaf_p256, pki.inter,
					NULL, NULL);
	const char *ec_key = write_pem("gw-ec.key", NULL, NULL, pki.k_p256,
				       NULL);
	const char *p384_cert = write_pem("gw-384.pem", pki.leaf_p384, NULL,
					  NULL, NULL);
	const char *p384_key = write_pem("gw-384.key", NULL, NULL, pki.k_p384,
					 NULL);
	const char *enc_key = write_pem("gw-enc.key", NULL, NULL, pki.k_p256,
					"secret");
	struct x509_local *l;
	unsigned char *dn = NULL;
	struct der d;
	char err[256];
	int n;

	l = x509_local_load(ec_cert, ec_key, err, sizeof(err));
	CHECK(l != NULL, "%s", err);
	if (l != NULL) {
		CHECK(l->id_type == IKE_ID_FQDN && l->id_len == 17 &&
		      memcmp(l->id, "ec.client.example", 17) == 0,
		      "IDr from the first dNSName");
		d = der_cert(pki.leaf_p256);
		CHECK(l->cert_der_len == d.len &&
		      memcmp(l->cert_der, d.p, d.len) == 0, "cert DER");
		OPENSSL_free(d.p);
		d = der_cert(pki.inter);
		CHECK(l->n_chain == 1 && l->chain_der_len[0] == d.len &&
		      memcmp(l->chain_der[0], d.p, d.len) == 0, "chain DER");
		OPENSSL_free(d.p);
		x509_local_free(l);
	}
	l = x509_local_load(p384_cert, p384_key, err, sizeof(err));
	CHECK(l != NULL, "%s", err);
	if (l != NULL) {
		n = i2d_X509_NAME(X509_get_subject_name(pki.leaf_p384), &dn);
		CHECK(l->id_type == IKE_ID_DER_ASN1_DN && l->n_chain == 0 &&
		      l->id_len == (size_t)n &&
		      memcmp(l->id, dn, (size_t)n) == 0,
		      "IDr is the DN without a dNSName");
		OPENSSL_free(dn);
		x509_local_free(l);
	}
	l = x509_local_load(ec_cert, p384_key, err, sizeof(err));
	CHECK(l == NULL && strstr(err, p384_key) == err &&
	      strstr(err, "does not match") != NULL, "%s", err);
	l = x509_local_load(ec_cert, enc_key, err, sizeof(err));
	CHECK(l == NULL && strstr(err, enc_key) == err &&
	      strstr(err, "encrypted") != NULL, "%s", err);
	l = x509_local_load(ec_cert, rroot, err, sizeof(err));
	CHECK(l == NULL && strstr(err, rroot) == err, "cert as key: %s", err);
	l = x509_local_load("/nonexistent/gw.pem", ec_key, err, sizeof(err));
	CHECK(l == NULL && strstr(err, "/nonexistent/gw.pem:") == err, "%s",
	      err);
	l = x509_local_load(ec_cert, "/nonexistent/gw.key", err, sizeof(err));
	CHECK(l == NULL && strstr(err, "/nonexistent/gw.key:") == err, "%s",
	      err);
	CHECK(ERR_peek_error() == 0, "error queue left behind");
}

int
main(void)
{
	const char *rroot, *eroot, *both, *files[2];
	struct x509_trust *t;
	char err[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/p2sgw-x509-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	make_pki();
	rroot = write_pem("rroot.pem", pki.rroot, NULL, NULL, NULL);
	eroot = write_pem("eroot.pem", pki.eroot, NULL, NULL, NULL);
	both = write_pem("both.pem", pki.rroot, pki.eroot, NULL, NULL);

	test_trust_load(rroot, eroot);
	test_certreq(both, rroot);
	files[0] = rroot;
	files[1] = eroot;
	t = x509_trust_load(files, 2, NULL, 0, err, sizeof(err));
	CHECK(t != NULL, "%s", err);
	if (t != NULL) {
		test_verify_good(t);
		test_verify_refused(t);
		x509_trust_free(t);
	}
	test_verify_revoked(rroot, eroot);
	test_partial_chain();
	test_ids();
	test_sign_verify();
	test_p521();
	test_pss();
	test_bad_auth();
	test_local(rroot);

	free_pki();
	return cptest_done("x509");
}
