/* SPDX-License-Identifier: BSD-3-Clause
 * Certificate authentication with OpenSSL 3: the trusted roots, our own
 * certificate and key, verification of a peer's chain, matching its ID
 * payload against the certificate, and the AUTH payload's signatures.
 *
 * Nothing here keeps global state: the store and the revoked list live in
 * struct x509_trust, read-only once loaded, and every verification builds
 * its own X509_STORE_CTX. OpenSSL's error queue is emptied before each
 * function returns, so that a failure here cannot surface in an unrelated
 * later check of the same thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "x509.h"

enum {
	SPKI_HASH_LEN = 20,		/* SHA-1, RFC 7296 3.7 encoding 4 */
	CERT_FILE_MAX = 1024 * 1024,	/* a PEM bundle of a few certificates */
	KEY_FILE_MAX = 64 * 1024,	/* a PEM RSA-16384 key is ~12 KiB */
	ALGID_MAX = 255,		/* method 14's one length byte */
	ECDSA_DER_MAX = 160,		/* DER Ecdsa-Sig-Value of P-521: 139 */
	PSS_SALT_MAX = 1024,		/* more than any RSA modulus we take */
};

struct x509_trust {
	X509_STORE *store;
	X509 *roots[X509_MAX_ROOTS];
	uint8_t spki_hash[X509_MAX_ROOTS][SPKI_HASH_LEN];
	unsigned n_roots;
	uint8_t (*revoked)[X509_THUMB_LEN];
	unsigned n_revoked;
};

/* The ECDSA curves of RFC 4754 with the hash each one is paired with
 * there; method 14 prefers the same pairing. */
struct ec_curve {
	int nid;
	uint8_t method;
	uint8_t sighash;
	int md_nid;
	size_t half;			/* bytes of r, and of s */
	const char *name;
};

static const struct ec_curve ec_curves[] = {
	{ NID_X9_62_prime256v1, AUTH_ECDSA_256, SIGHASH_SHA256, NID_sha256,
	  32, "P-256" },
	{ NID_secp384r1, AUTH_ECDSA_384, SIGHASH_SHA384, NID_sha384, 48,
	  "P-384" },
	{ NID_secp521r1, AUTH_ECDSA_521, SIGHASH_SHA512, NID_sha512, 66,
	  "P-521" },
};

/* SIGNATURE_HASH_ALGORITHMS values against digests. SHA-1 is verified
 * (method 1 rests on it anyway) but never announced nor chosen. */
static const struct {
	uint8_t id;
	int md_nid;
} sighashes[] = {
	{ SIGHASH_SHA1, NID_sha1 },
	{ SIGHASH_SHA256, NID_sha256 },
	{ SIGHASH_SHA384, NID_sha384 },
	{ SIGHASH_SHA512, NID_sha512 },
};

#define SIGHASH_BIT(h) ((uint16_t)(1u << (h)))

__attribute__((format(printf, 3, 4)))
static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The reason of OpenSSL's earliest queued error, the cause the later
 * ones wrap ("wrong tag" rather than "ASN1 lib"), for a message. The
 * queue is emptied; the string is OpenSSL's static text. */
static const char *
ssl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

const char *
x509_thumb_hex(const uint8_t thumb[X509_THUMB_LEN], char buf[41])
{
	static const char hex[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < X509_THUMB_LEN; i++) {
		buf[2 * i] = hex[thumb[i] >> 4];
		buf[2 * i + 1] = hex[thumb[i] & 0xf];
	}
	buf[2 * X509_THUMB_LEN] = '\0';
	return buf;
}

/* NAME on one line, RFC 2253 (non-ASCII and control bytes escaped). */
static void
name_line(const X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int r = 0;

	if (b != NULL && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
		r = BIO_read(b, buf, (int)len - 1);
	buf[r > 0 ? r : 0] = '\0';
	BIO_free(b);
	ERR_clear_error();
}

static int
cert_thumb(const X509 *x, uint8_t thumb[X509_THUMB_LEN])
{
	unsigned int len = 0;

	if (X509_digest(x, EVP_sha1(), thumb, &len) != 1 ||
	    len != X509_THUMB_LEN) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

static int
spki_hash(const X509 *x, uint8_t out[SPKI_HASH_LEN])
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int len, ok;

	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	ok = len > 0 && EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha1(),
				   NULL) == 1 && mdlen == SPKI_HASH_LEN;
	OPENSSL_free(der);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* ---- files --------------------------------------------------------------- */

/* The whole of PATH (at most MAX bytes) in a malloc'd buffer. The caller
 * wipes it when it held a key: read(2) rather than stdio, so that no
 * library buffer keeps a copy behind. */
static uint8_t *
slurp(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		errf(err, errlen, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		errf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

/* Every certificate of the PEM file PATH, in order; other PEM blocks are
 * skipped. NULL with the reason in ERR: the file cannot be read, holds
 * no certificate, or one of them does not parse. */
static STACK_OF(X509) *
read_pem_certs(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = NULL;
	unsigned long e;
	uint8_t *buf;
	size_t len = 0;
	BIO *b;
	X509 *x;

	buf = slurp(path, CERT_FILE_MAX, &len, err, errlen);
	if (buf == NULL)
		return NULL;
	b = BIO_new_mem_buf(buf, (int)len);
	sk = sk_X509_new_null();
	if (b == NULL || sk == NULL) {
		errf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			errf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	/* The loop ends on "no start line" at the end of the input; any
	 * other error is a certificate that does not parse. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		errf(err, errlen, "%s: certificate %d does not parse: %s", path,
		     sk_X509_num(sk) + 1, ssl_reason());
		goto fail;
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		errf(err, errlen, "%s: no PEM certificate in the file", path);
		goto fail;
	}
	BIO_free(b);
	free(buf);
	return sk;
fail:
	sk_X509_pop_free(sk, X509_free);
	BIO_free(b);
	free(buf);
	ERR_clear_error();
	return NULL;
}

/* ---- trust --------------------------------------------------------------- */

static int
add_root(struct x509_trust *t, X509 *x, const char *path, char *err,
	 size_t errlen)
{
	char subj[X509_SUBJECT_LEN];
	unsigned i;

	name_line(X509_get_subject_name(x), subj, sizeof(subj));
	/* X509_check_ca also takes self-signed v1 roots, as verification
	 * would; a certificate with CA:FALSE, or whose key usage excludes
	 * signing certificates, is a leaf uploaded by mistake. */
	if (X509_check_ca(x) == 0) {
		errf(err, errlen, "%s: '%s' is not a CA certificate", path,
		     subj);
		return -1;
	}
	for (i = 0; i < t->n_roots; i++)
		if (X509_cmp(t->roots[i], x) == 0)
			return 0;	/* listed twice: one CERTREQ hash */
	if (t->n_roots == X509_MAX_ROOTS) {
		errf(err, errlen, "%s: more than %d root certificates", path,
		     X509_MAX_ROOTS);
		return -1;
	}
	if (spki_hash(x, t->spki_hash[t->n_roots]) != 0 ||
	    X509_STORE_add_cert(t->store, x) != 1) {
		errf(err, errlen, "%s: cannot add '%s': %s", path, subj,
		     ssl_reason());
		return -1;
	}
	X509_up_ref(x);
	t->roots[t->n_roots++] = x;
	return 0;
}

static int
add_root_file(struct x509_trust *t, const char *path, char *err,
	      size_t errlen)
{
	STACK_OF(X509) *sk;
	int i, rc = 0;

	sk = read_pem_certs(path, err, errlen);
	if (sk == NULL)
		return -1;
	for (i = 0; i < sk_X509_num(sk) && rc == 0; i++)
		rc = add_root(t, sk_X509_value(sk, i), path, err, errlen);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

struct x509_trust *
x509_trust_load(const char *const *files, unsigned n,
		const uint8_t (*revoked)[X509_THUMB_LEN], unsigned n_revoked,
		char *err, size_t errlen)
{
	struct x509_trust *t;
	unsigned i;

	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->store = X509_STORE_new()) == NULL)
		goto nomem;
	if (n_revoked > 0) {
		t->revoked = malloc((size_t)n_revoked * X509_THUMB_LEN);
		if (t->revoked == NULL)
			goto nomem;
		memcpy(t->revoked, revoked, (size_t)n_revoked * X509_THUMB_LEN);
		t->n_revoked = n_revoked;
	}
	for (i = 0; i < n; i++) {
		if (add_root_file(t, files[i], err, errlen) != 0) {
			x509_trust_free(t);
			return NULL;
		}
	}
	return t;
nomem:
	errf(err, errlen, "trusted roots: out of memory");
	x509_trust_free(t);
	ERR_clear_error();
	return NULL;
}

void
x509_trust_free(struct x509_trust *t)
{
	unsigned i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_roots; i++)
		X509_free(t->roots[i]);
	X509_STORE_free(t->store);
	free(t->revoked);
	free(t);
}

size_t
x509_trust_certreq(const struct x509_trust *t, uint8_t *out, size_t cap)
{
	size_t len = (size_t)t->n_roots * SPKI_HASH_LEN;

	if (len > cap)
		return 0;
	memcpy(out, t->spki_hash, len);
	return len;
}

bool
x509_trust_has_ca(const struct x509_trust *t, const uint8_t *hash)
{
	unsigned i;

	for (i = 0; i < t->n_roots; i++)
		if (memcmp(t->spki_hash[i], hash, SPKI_HASH_LEN) == 0)
			return true;
	return false;
}

static bool
thumb_revoked(const struct x509_trust *t, const uint8_t thumb[X509_THUMB_LEN])
{
	unsigned i;

	for (i = 0; i < t->n_revoked; i++)
		if (memcmp(t->revoked[i], thumb, X509_THUMB_LEN) == 0)
			return true;
	return false;
}

/* ---- peer verification --------------------------------------------------- */

/* One DER certificate, all of LEN and nothing after it. */
static X509 *
der_cert(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

static STACK_OF(X509) *
der_chain(const uint8_t *const *inter, const size_t *inter_len, unsigned n,
	  char *err, size_t errlen)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	unsigned i;
	X509 *x;

	if (sk == NULL) {
		errf(err, errlen, "intermediates: out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		x = der_cert(inter[i], inter_len[i]);
		if (x == NULL || !sk_X509_push(sk, x)) {
			X509_free(x);
			errf(err, errlen, "intermediate certificate %u (%zu "
			     "bytes) is not DER X.509", i + 1, inter_len[i]);
			sk_X509_pop_free(sk, X509_free);
			return NULL;
		}
	}
	return sk;
}

/* Errors meaning that no path to a root was found, as opposed to a path
 * with something wrong on it. */
static bool
no_path(int e)
{
	switch (e) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return true;
	}
	return false;
}

static void
chain_error(X509_STORE_CTX *ctx, const char *subj, char *err, size_t errlen)
{
	int e = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *at = X509_STORE_CTX_get_current_cert(ctx);
	const char *why = X509_verify_cert_error_string(e);
	char where[X509_SUBJECT_LEN];

	if (no_path(e)) {
		errf(err, errlen, "certificate of '%s' does not chain to a "
		     "trusted root: %s", subj, why);
	} else if (depth > 0 && at != NULL) {
		name_line(X509_get_subject_name(at), where, sizeof(where));
		errf(err, errlen, "certificate of '%s' is not valid: CA '%s' "
		     "(depth %d): %s", subj, where, depth, why);
	} else {
		errf(err, errlen, "certificate of '%s' is not valid: %s", subj,
		     why);
	}
}

/* Build and check the path from LEAF to one of T's roots. Every root is
 * a trust anchor, even an intermediate uploaded as the operator's "root"
 * (PARTIAL_CHAIN). No purpose is required: IKE client certificates often
 * carry no extended key usage, or only one for TLS clients. Then every CA
 * on the verified path, the anchor too, is checked against the revoked
 * thumbprints. */
static int
verify_chain(const struct x509_trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
	     int64_t now, const char *subj, bool *revoked, char *err,
	     size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	uint8_t thumb[X509_THUMB_LEN];
	char ca[X509_SUBJECT_LEN], hex[41];
	STACK_OF(X509) *chain;
	int i, rc = -1;

	if (ctx == NULL ||
	    !X509_STORE_CTX_init(ctx, t->store, leaf, untrusted)) {
		errf(err, errlen, "certificate of '%s': cannot verify: %s",
		     subj, ssl_reason());
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
	if (now != 0)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		chain_error(ctx, subj, err, errlen);
		goto out;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	for (i = 1; i < sk_X509_num(chain); i++) {
		if (cert_thumb(sk_X509_value(chain, i), thumb) != 0 ||
		    !thumb_revoked(t, thumb))
			continue;
		name_line(X509_get_subject_name(sk_X509_value(chain, i)), ca,
			  sizeof(ca));
		errf(err, errlen, "certificate of '%s' refused: CA '%s' in "
		     "its chain is revoked (thumbprint %s)", subj, ca,
		     x509_thumb_hex(thumb, hex));
		*revoked = true;
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

int
x509_verify_peer(const struct x509_trust *t, const uint8_t *leaf,
		 size_t leaf_len, const uint8_t *const *inter,
		 const size_t *inter_len, unsigned n_inter, int64_t now,
		 struct x509_peer *out, bool *revoked, char *err,
		 size_t errlen)
{
	STACK_OF(X509) *untrusted = NULL;
	struct x509_peer p;
	char hex[41];

	memset(&p, 0, sizeof(p));
	*revoked = false;
	p.cert = der_cert(leaf, leaf_len);
	if (p.cert == NULL) {
		errf(err, errlen, "end-entity certificate (%zu bytes) is not "
		     "DER X.509", leaf_len);
		return -1;
	}
	name_line(X509_get_subject_name(p.cert), p.subject,
		  sizeof(p.subject));
	if (cert_thumb(p.cert, p.thumb) != 0) {
		errf(err, errlen, "certificate of '%s': no thumbprint",
		     p.subject);
		goto fail;
	}
	/* Revocation first: a revoked certificate is reported as such even
	 * when it also expired or lost its CA. */
	if (thumb_revoked(t, p.thumb)) {
		errf(err, errlen, "certificate of '%s' is revoked (thumbprint "
		     "%s)", p.subject, x509_thumb_hex(p.thumb, hex));
		*revoked = true;
		goto fail;
	}
	if (X509_get_extension_flags(p.cert) & EXFLAG_CA) {
		errf(err, errlen, "certificate of '%s' is a CA (CA:TRUE), not "
		     "an end entity", p.subject);
		goto fail;
	}
	untrusted = der_chain(inter, inter_len, n_inter, err, errlen);
	if (untrusted == NULL ||
	    verify_chain(t, p.cert, untrusted, now, p.subject, revoked, err,
			 errlen) != 0)
		goto fail;
	p.key = X509_get_pubkey(p.cert);
	if (p.key == NULL) {
		errf(err, errlen, "certificate of '%s': public key does not "
		     "parse: %s", p.subject, ssl_reason());
		goto fail;
	}
	sk_X509_pop_free(untrusted, X509_free);
	*out = p;
	return 0;
fail:
	sk_X509_pop_free(untrusted, X509_free);
	x509_peer_clear(&p);
	ERR_clear_error();
	return -1;
}

void
x509_peer_clear(struct x509_peer *p)
{
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
	memset(p, 0, sizeof(*p));
}

/* ---- ID matching --------------------------------------------------------- */

static bool
ascii_eq_nocase(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t x, y;
	size_t i;

	for (i = 0; i < len; i++) {
		x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
		if (x != y)
			return false;
	}
	return true;
}

static bool
cn_matches(X509 *cert, const uint8_t *id, size_t len)
{
	X509_NAME *subj = X509_get_subject_name(cert);
	unsigned char *utf8;
	bool ok = false;
	int i = -1, n;

	while (!ok &&
	       (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0) {
		n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
					X509_NAME_get_entry(subj, i)));
		if (n < 0)
			continue;
		ok = (size_t)n == len && ascii_eq_nocase(utf8, id, len);
		OPENSSL_free(utf8);
	}
	ERR_clear_error();
	return ok;
}

/* A SAN of type GEN_TYPE (dNSName, rfc822Name or iPAddress) equal to ID:
 * case-insensitive for names, exact for addresses. Without any SAN of
 * that type, names fall back to the subject's CN. */
static bool
san_matches(X509 *cert, int gen_type, const uint8_t *id, size_t len)
{
	const GENERAL_NAME *g;
	GENERAL_NAMES *sans;
	const ASN1_STRING *s;
	bool seen = false, ok = false;
	int i;

	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(sans) && !ok; i++) {
		g = sk_GENERAL_NAME_value(sans, i);
		if (g->type != gen_type)
			continue;
		seen = true;
		s = g->d.ia5;		/* all three are ASN1_STRINGs */
		if ((size_t)ASN1_STRING_length(s) != len)
			continue;
		if (gen_type == GEN_IPADD)
			ok = memcmp(ASN1_STRING_get0_data(s), id, len) == 0;
		else
			ok = ascii_eq_nocase(ASN1_STRING_get0_data(s), id, len);
	}
	GENERAL_NAMES_free(sans);
	ERR_clear_error();
	if (!seen && gen_type != GEN_IPADD)
		ok = cn_matches(cert, id, len);
	return ok;
}

static bool
dn_matches(X509 *cert, const uint8_t *id, size_t len)
{
	const unsigned char *p = id;
	X509_NAME *subj = X509_get_subject_name(cert);
	X509_NAME *name;
	bool ok;

	/* An empty subject would match an empty DN: it names nobody. */
	if (len == 0 || len > LONG_MAX || X509_NAME_entry_count(subj) == 0)
		return false;
	name = d2i_X509_NAME(NULL, &p, (long)len);
	ok = name != NULL && p == id + len && X509_NAME_cmp(subj, name) == 0;
	X509_NAME_free(name);
	ERR_clear_error();
	return ok;
}

bool
x509_id_matches(X509 *cert, uint8_t id_type, const uint8_t *id, size_t len)
{
	if (cert == NULL || id == NULL || len == 0)
		return false;
	switch (id_type) {
	case IKE_ID_DER_ASN1_DN:
		return dn_matches(cert, id, len);
	case IKE_ID_FQDN:
		/* A NUL inside would compare equal to a shorter name in
		 * any C-string code further on. */
		return memchr(id, '\0', len) == NULL &&
		       san_matches(cert, GEN_DNS, id, len);
	case IKE_ID_RFC822_ADDR:
		return memchr(id, '\0', len) == NULL &&
		       san_matches(cert, GEN_EMAIL, id, len);
	case IKE_ID_IPV4_ADDR:
		return len == 4 && san_matches(cert, GEN_IPADD, id, len);
	case IKE_ID_IPV6_ADDR:
		return len == 16 && san_matches(cert, GEN_IPADD, id, len);
	default:
		/* KEY_ID and the rest name nothing a certificate vouches
		 * for. */
		return false;
	}
}

/* ---- signatures ---------------------------------------------------------- */

static const struct ec_curve *
key_curve(const EVP_PKEY *key)
{
	char name[64];
	unsigned i;
	int nid;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return NULL;
	if (EVP_PKEY_get_group_name(key, name, sizeof(name), NULL) != 1) {
		ERR_clear_error();
		return NULL;
	}
	nid = OBJ_txt2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	for (i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++)
		if (ec_curves[i].nid == nid)
			return &ec_curves[i];
	ERR_clear_error();
	return NULL;
}

static const char *
key_kind(const EVP_PKEY *key)
{
	const struct ec_curve *c = key_curve(key);
	const char *n;

	if (c != NULL)
		return c->name;
	n = EVP_PKEY_get0_type_name(key);
	return n != NULL ? n : "unknown";
}

static bool
sighash_known(int md_nid)
{
	unsigned i;

	for (i = 0; i < sizeof(sighashes) / sizeof(sighashes[0]); i++)
		if (sighashes[i].md_nid == md_nid)
			return true;
	return false;
}

uint16_t
x509_sighash_supported(void)
{
	return SIGHASH_BIT(SIGHASH_SHA256) | SIGHASH_BIT(SIGHASH_SHA384) |
	       SIGHASH_BIT(SIGHASH_SHA512);
}

/* Method 14's hash: for ECDSA the curve's own when the peer has it, as
 * RFC 4754 pairs them; otherwise SHA-256, which RFC 8247 makes mandatory,
 * then the stronger ones. NID_undef when nothing is in common. */
static int
pick_hash(const struct ec_curve *c, uint16_t peer_hashes)
{
	uint16_t common = peer_hashes & x509_sighash_supported();

	if (c != NULL && (common & SIGHASH_BIT(c->sighash)))
		return c->md_nid;
	if (common & SIGHASH_BIT(SIGHASH_SHA256))
		return NID_sha256;
	if (common & SIGHASH_BIT(SIGHASH_SHA384))
		return NID_sha384;
	if (common & SIGHASH_BIT(SIGHASH_SHA512))
		return NID_sha512;
	return NID_undef;
}

/* PKCS#1 v1.5 (RSA) or DER Ecdsa-Sig-Value (EC) over MSG into SIG. */
static int
sign_raw(EVP_PKEY *key, int md_nid, const uint8_t *msg, size_t mlen,
	 uint8_t *sig, size_t cap, size_t *siglen, char *err, size_t errlen)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	size_t need = (size_t)EVP_PKEY_get_size(key);
	int rc = -1;

	if (need > cap) {
		errf(err, errlen, "AUTH signature needs %zu bytes, %zu left",
		     need, cap);
		goto out;
	}
	*siglen = cap;
	if (mc == NULL ||
	    EVP_DigestSignInit(mc, NULL, EVP_get_digestbynid(md_nid), NULL,
			       key) != 1 ||
	    EVP_DigestSign(mc, sig, siglen, msg, mlen) != 1) {
		errf(err, errlen, "%s signature with %s failed: %s",
		     key_kind(key), OBJ_nid2sn(md_nid), ssl_reason());
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(mc);
	ERR_clear_error();
	return rc;
}

/* DER Ecdsa-Sig-Value to r || s, each left-padded to HALF bytes. */
static int
der_to_rs(const uint8_t *der, size_t len, size_t half, uint8_t *out)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;
	int rc = -1;

	sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (sig == NULL)
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	if ((size_t)BN_num_bytes(r) <= half &&
	    (size_t)BN_num_bytes(s) <= half &&
	    BN_bn2binpad(r, out, (int)half) == (int)half &&
	    BN_bn2binpad(s, out + half, (int)half) == (int)half)
		rc = 0;
out:
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return rc;
}

/* r || s (HALF bytes each) to DER Ecdsa-Sig-Value. */
static int
rs_to_der(const uint8_t *rs, size_t half, uint8_t *der, size_t cap,
	  size_t *len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)half, NULL);
	BIGNUM *s = BN_bin2bn(rs + half, (int)half, NULL);
	unsigned char *p = der;
	int n, rc = -1;

	if (sig == NULL || r == NULL || s == NULL ||
	    !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	n = i2d_ECDSA_SIG(sig, NULL);
	if (n > 0 && (size_t)n <= cap && i2d_ECDSA_SIG(sig, &p) == n) {
		*len = (size_t)n;
		rc = 0;
	}
out:
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return rc;
}

/* The AlgorithmIdentifier of MD with KEY's type: NULL parameters for
 * the PKCS#1 ones, absent for ECDSA (RFC 3279, RFC 5758). */
static int
algid_der(EVP_PKEY *key, int md_nid, uint8_t *out, size_t cap, size_t *len)
{
	int ptype = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ?
		    V_ASN1_NULL : V_ASN1_UNDEF;
	X509_ALGOR *alg = X509_ALGOR_new();
	unsigned char *p = out;
	int sig_nid, n, rc = -1;

	if (alg == NULL ||
	    !OBJ_find_sigid_by_algs(&sig_nid, md_nid,
				    EVP_PKEY_get_base_id(key)) ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid), ptype, NULL))
		goto out;
	n = i2d_X509_ALGOR(alg, NULL);
	if (n > 0 && (size_t)n <= cap && i2d_X509_ALGOR(alg, &p) == n) {
		*len = (size_t)n;
		rc = 0;
	}
out:
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return rc;
}

static int
sign_digital(EVP_PKEY *key, int md_nid, const uint8_t *octets, size_t olen,
	     uint8_t *out, size_t cap, size_t *outlen, char *err,
	     size_t errlen)
{
	size_t alen = 0, slen = 0;

	if (cap < 1 ||
	    algid_der(key, md_nid, out + 1, cap - 1 < ALGID_MAX ? cap - 1 :
		      ALGID_MAX, &alen) != 0) {
		errf(err, errlen, "no AlgorithmIdentifier for %s with %s",
		     key_kind(key), OBJ_nid2sn(md_nid));
		return -1;
	}
	out[0] = (uint8_t)alen;
	if (sign_raw(key, md_nid, octets, olen, out + 1 + alen,
		     cap - 1 - alen, &slen, err, errlen) != 0)
		return -1;
	*outlen = 1 + alen + slen;
	return 0;
}

static int
sign_ecdsa_rs(EVP_PKEY *key, const struct ec_curve *c, const uint8_t *octets,
	      size_t olen, uint8_t *out, size_t cap, size_t *outlen, char *err,
	      size_t errlen)
{
	uint8_t der[ECDSA_DER_MAX];
	size_t dlen = 0;

	if (cap < 2 * c->half) {
		errf(err, errlen, "AUTH signature needs %zu bytes, %zu left",
		     2 * c->half, cap);
		return -1;
	}
	if (sign_raw(key, c->md_nid, octets, olen, der, sizeof(der), &dlen,
		     err, errlen) != 0)
		return -1;
	if (der_to_rs(der, dlen, c->half, out) != 0) {
		errf(err, errlen, "ECDSA %s signature does not convert to "
		     "r || s", c->name);
		return -1;
	}
	*outlen = 2 * c->half;
	return 0;
}

int
x509_auth_sign(EVP_PKEY *key, uint16_t peer_hashes, const uint8_t *octets,
	       size_t olen, uint8_t *method, uint8_t *out, size_t cap,
	       size_t *outlen, char *err, size_t errlen)
{
	const struct ec_curve *c = key_curve(key);
	int md_nid;

	if (c == NULL && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		errf(err, errlen, "cannot sign AUTH with a %s key (RSA or EC "
		     "P-256/P-384/P-521)", key_kind(key));
		return -1;
	}
	md_nid = pick_hash(c, peer_hashes);
	if (md_nid != NID_undef) {
		*method = AUTH_DIGITAL_SIG;
		return sign_digital(key, md_nid, octets, olen, out, cap,
				    outlen, err, errlen);
	}
	if (c == NULL) {
		*method = AUTH_RSA_SIG;
		return sign_raw(key, NID_sha1, octets, olen, out, cap, outlen,
				err, errlen);
	}
	*method = c->method;
	return sign_ecdsa_rs(key, c, octets, olen, out, cap, outlen, err,
			     errlen);
}

/* RSASSA-PSS parameters (RFC 4055 3.1) that verification needs. */
struct pss {
	int md_nid;
	int mgf1_nid;
	int salt;
};

static int
mgf1_hash(const X509_ALGOR *mgf, int *md_nid)
{
	const unsigned char *p;
	const ASN1_OBJECT *obj;
	const ASN1_STRING *seq;
	X509_ALGOR *inner;
	const void *pval;
	int ptype;

	X509_ALGOR_get0(&obj, &ptype, &pval, mgf);
	if (OBJ_obj2nid(obj) != NID_mgf1 || ptype != V_ASN1_SEQUENCE)
		return -1;
	seq = pval;
	p = ASN1_STRING_get0_data(seq);
	inner = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(seq));
	if (inner == NULL)
		return -1;
	X509_ALGOR_get0(&obj, NULL, NULL, inner);
	*md_nid = OBJ_obj2nid(obj);
	X509_ALGOR_free(inner);
	return 0;
}

/* RSASSA-PSS-params, with RFC 4055's defaults for what is absent:
 * SHA-1, MGF1 with SHA-1, 20 bytes of salt, trailer field 1. */
static int
pss_params(const X509_ALGOR *alg, struct pss *pss, char *err, size_t errlen)
{
	const ASN1_STRING *seq;
	const unsigned char *p;
	RSA_PSS_PARAMS *pp;
	const void *pval;
	int ptype, rc = -1;

	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE) {
		errf(err, errlen, "AUTH RSASSA-PSS without parameters");
		return -1;
	}
	seq = pval;
	p = ASN1_STRING_get0_data(seq);
	pp = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(seq));
	if (pp == NULL) {
		errf(err, errlen, "AUTH RSASSA-PSS parameters do not parse");
		goto out;
	}
	pss->md_nid = pp->hashAlgorithm != NULL ?
		      OBJ_obj2nid(pp->hashAlgorithm->algorithm) : NID_sha1;
	pss->mgf1_nid = NID_sha1;
	pss->salt = pp->saltLength != NULL ?
		    (int)ASN1_INTEGER_get(pp->saltLength) : 20;
	if (pp->maskGenAlgorithm != NULL &&
	    mgf1_hash(pp->maskGenAlgorithm, &pss->mgf1_nid) != 0) {
		errf(err, errlen, "AUTH RSASSA-PSS mask generation is not "
		     "MGF1 with a hash");
		goto out;
	}
	if (!sighash_known(pss->md_nid) || !sighash_known(pss->mgf1_nid)) {
		errf(err, errlen, "AUTH RSASSA-PSS hash %s / MGF1 %s not "
		     "accepted", OBJ_nid2sn(pss->md_nid),
		     OBJ_nid2sn(pss->mgf1_nid));
		goto out;
	}
	if (pss->salt < 0 || pss->salt > PSS_SALT_MAX ||
	    (pp->trailerField != NULL &&
	     ASN1_INTEGER_get(pp->trailerField) != 1)) {
		errf(err, errlen, "AUTH RSASSA-PSS salt length %d or trailer "
		     "field out of range", pss->salt);
		goto out;
	}
	rc = 0;
out:
	RSA_PSS_PARAMS_free(pp);
	ERR_clear_error();
	return rc;
}

/* Check SIG over MSG with KEY and MD_NID; PSS when PSS is not NULL. */
static int
verify_raw(EVP_PKEY *key, int md_nid, const struct pss *pss,
	   const uint8_t *sig, size_t siglen, const uint8_t *msg, size_t mlen,
	   char *err, size_t errlen)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int rc = -1;

	if (mc == NULL ||
	    EVP_DigestVerifyInit(mc, &pc, EVP_get_digestbynid(md_nid), NULL,
				 key) != 1 ||
	    (pss != NULL &&
	     (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0 ||
	      EVP_PKEY_CTX_set_rsa_mgf1_md(pc,
			EVP_get_digestbynid(pss->mgf1_nid)) <= 0 ||
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, pss->salt) <= 0))) {
		errf(err, errlen, "AUTH %s%s verification with %s cannot "
		     "start: %s", key_kind(key), pss != NULL ? " PSS" : "",
		     OBJ_nid2sn(md_nid), ssl_reason());
		goto out;
	}
	if (EVP_DigestVerify(mc, sig, siglen, msg, mlen) != 1) {
		errf(err, errlen, "AUTH %s%s signature with %s does not verify",
		     key_kind(key), pss != NULL ? "-PSS" : "",
		     OBJ_nid2sn(md_nid));
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(mc);
	ERR_clear_error();
	return rc;
}

static int
verify_ecdsa_rs(EVP_PKEY *key, uint8_t method, const uint8_t *data,
		size_t len, const uint8_t *octets, size_t olen, char *err,
		size_t errlen)
{
	const struct ec_curve *c = key_curve(key);
	uint8_t der[ECDSA_DER_MAX];
	size_t dlen = 0;

	if (c == NULL || c->method != method) {
		errf(err, errlen, "AUTH method %u does not fit the peer's %s "
		     "key", method, key_kind(key));
		return -1;
	}
	if (len != 2 * c->half) {
		errf(err, errlen, "AUTH method %u: signature is %zu bytes, "
		     "not %zu", method, len, 2 * c->half);
		return -1;
	}
	if (rs_to_der(data, c->half, der, sizeof(der), &dlen) != 0) {
		errf(err, errlen, "AUTH method %u: r || s does not convert",
		     method);
		return -1;
	}
	return verify_raw(key, c->md_nid, NULL, der, dlen, octets, olen, err,
			  errlen);
}

/* The digest (and PSS parameters) that ALG names, refused unless it is
 * one we accept and fits KEY's type. */
static int
algid_check(EVP_PKEY *key, const X509_ALGOR *alg, int *md_nid,
	    struct pss *pss, bool *is_pss, char *err, size_t errlen)
{
	int type = EVP_PKEY_get_base_id(key);
	const ASN1_OBJECT *obj;
	int nid, pk_nid, ptype;

	X509_ALGOR_get0(&obj, &ptype, NULL, alg);
	nid = OBJ_obj2nid(obj);
	if (nid == NID_rsassaPss) {
		if (type != EVP_PKEY_RSA && type != EVP_PKEY_RSA_PSS) {
			errf(err, errlen, "AUTH RSASSA-PSS does not fit the "
			     "peer's %s key", key_kind(key));
			return -1;
		}
		*is_pss = true;
		if (pss_params(alg, pss, err, errlen) != 0)
			return -1;
		*md_nid = pss->md_nid;
		return 0;
	}
	if (nid == NID_undef || !OBJ_find_sigid_algs(nid, md_nid, &pk_nid) ||
	    !sighash_known(*md_nid)) {
		errf(err, errlen, "AUTH signature algorithm %s not accepted",
		     nid != NID_undef ? OBJ_nid2ln(nid) : "(unknown OID)");
		return -1;
	}
	if (pk_nid != type) {
		errf(err, errlen, "AUTH %s does not fit the peer's %s key",
		     OBJ_nid2ln(nid), key_kind(key));
		return -1;
	}
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
		errf(err, errlen, "AUTH %s with unexpected parameters",
		     OBJ_nid2ln(nid));
		return -1;
	}
	*is_pss = false;
	return 0;
}

/* Method 14 (RFC 7427 3): a length byte, that many bytes of DER
 * AlgorithmIdentifier, then the signature. */
static int
verify_digital(EVP_PKEY *key, const uint8_t *data, size_t len,
	       const uint8_t *octets, size_t olen, char *err, size_t errlen)
{
	const unsigned char *p;
	X509_ALGOR *alg = NULL;
	struct pss pss;
	bool is_pss = false;
	size_t alen;
	int md_nid = NID_undef, rc = -1;

	if (len < 1) {
		errf(err, errlen, "AUTH method 14: no data");
		return -1;
	}
	alen = data[0];
	if (alen == 0 || 1 + alen >= len) {
		errf(err, errlen, "AUTH method 14: AlgorithmIdentifier of %zu "
		     "bytes leaves no signature in %zu", alen, len);
		return -1;
	}
	p = data + 1;
	alg = d2i_X509_ALGOR(NULL, &p, (long)alen);
	if (alg == NULL || p != data + 1 + alen) {
		errf(err, errlen, "AUTH method 14: AlgorithmIdentifier (%zu "
		     "bytes) does not parse", alen);
		goto out;
	}
	if (algid_check(key, alg, &md_nid, &pss, &is_pss, err, errlen) != 0)
		goto out;
	rc = verify_raw(key, md_nid, is_pss ? &pss : NULL, data + 1 + alen,
			len - 1 - alen, octets, olen, err, errlen);
out:
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return rc;
}

int
x509_auth_verify(EVP_PKEY *key, uint8_t method, const uint8_t *data,
		 size_t len, const uint8_t *octets, size_t olen,
		 char *err, size_t errlen)
{
	if (key == NULL) {
		errf(err, errlen, "AUTH: no peer key");
		return -1;
	}
	switch (method) {
	case AUTH_RSA_SIG:
		if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
			errf(err, errlen, "AUTH method 1 (RSA) does not fit "
			     "the peer's %s key", key_kind(key));
			return -1;
		}
		return verify_raw(key, NID_sha1, NULL, data, len, octets, olen,
				  err, errlen);
	case AUTH_ECDSA_256:
	case AUTH_ECDSA_384:
	case AUTH_ECDSA_521:
		return verify_ecdsa_rs(key, method, data, len, octets, olen,
				       err, errlen);
	case AUTH_DIGITAL_SIG:
		return verify_digital(key, data, len, octets, olen, err,
				      errlen);
	default:
		errf(err, errlen, "AUTH method %u is not a signature method "
		     "we take", method);
		return -1;
	}
}

/* ---- our own certificate ------------------------------------------------- */

/* Keys are read unencrypted: the daemon has no terminal to ask for a
 * passphrase, and OpenSSL's default callback would try one. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	*(bool *)u = true;
	return -1;
}

static EVP_PKEY *
read_key(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	bool asked = false;
	uint8_t *buf;
	size_t len = 0;
	BIO *b;

	buf = slurp(path, KEY_FILE_MAX, &len, err, errlen);
	if (buf == NULL)
		return NULL;
	b = BIO_new_mem_buf(buf, (int)len);
	if (b != NULL)
		key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, &asked);
	if (key == NULL && asked)
		errf(err, errlen, "%s: key is encrypted; a passphrase is not "
		     "supported", path);
	else if (key == NULL)
		errf(err, errlen, "%s: no PEM private key: %s", path,
		     ssl_reason());
	BIO_free(b);
	OPENSSL_cleanse(buf, len);
	free(buf);
	ERR_clear_error();
	return key;
}

static int
der_of(X509 *x, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	if (n <= 0) {
		ERR_clear_error();
		return -1;
	}
	*der = p;
	*len = (size_t)n;
	return 0;
}

/* IDr: the first usable SAN dNSName, else the subject DN's DER. */
static int
local_id(struct x509_local *l, const char *path, char *err, size_t errlen)
{
	const GENERAL_NAME *g;
	GENERAL_NAMES *sans;
	unsigned char *p;
	int i, n;

	sans = X509_get_ext_d2i(l->cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		g = sk_GENERAL_NAME_value(sans, i);
		n = g->type == GEN_DNS ? ASN1_STRING_length(g->d.dNSName) : 0;
		if (n <= 0 || (size_t)n > sizeof(l->id) ||
		    memchr(ASN1_STRING_get0_data(g->d.dNSName), '\0',
			   (size_t)n) != NULL)
			continue;
		memcpy(l->id, ASN1_STRING_get0_data(g->d.dNSName), (size_t)n);
		l->id_len = (size_t)n;
		l->id_type = IKE_ID_FQDN;
		GENERAL_NAMES_free(sans);
		return 0;
	}
	GENERAL_NAMES_free(sans);
	ERR_clear_error();
	n = i2d_X509_NAME(X509_get_subject_name(l->cert), NULL);
	if (n <= 0 || (size_t)n > sizeof(l->id)) {
		errf(err, errlen, "%s: subject DN of %d bytes does not fit an "
		     "ID of %zu", path, n, sizeof(l->id));
		ERR_clear_error();
		return -1;
	}
	p = l->id;
	i2d_X509_NAME(X509_get_subject_name(l->cert), &p);
	l->id_len = (size_t)n;
	l->id_type = IKE_ID_DER_ASN1_DN;
	return 0;
}

/* The leaf of CERTS becomes l->cert, the rest l->chain, with the DER of
 * each for the CERT payloads. */
static int
local_certs(struct x509_local *l, STACK_OF(X509) *certs, const char *path,
	    char *err, size_t errlen)
{
	unsigned i;

	l->cert = sk_X509_shift(certs);
	l->chain = certs;
	l->n_chain = (unsigned)sk_X509_num(certs);
	if (der_of(l->cert, &l->cert_der, &l->cert_der_len) != 0)
		goto fail;
	if (l->n_chain == 0)
		return 0;
	l->chain_der = calloc(l->n_chain, sizeof(l->chain_der[0]));
	l->chain_der_len = calloc(l->n_chain, sizeof(l->chain_der_len[0]));
	if (l->chain_der == NULL || l->chain_der_len == NULL)
		goto fail;
	for (i = 0; i < l->n_chain; i++)
		if (der_of(sk_X509_value(certs, (int)i), &l->chain_der[i],
			   &l->chain_der_len[i]) != 0)
			goto fail;
	return 0;
fail:
	errf(err, errlen, "%s: cannot encode the certificates", path);
	return -1;
}

struct x509_local *
x509_local_load(const char *cert_file, const char *key_file, char *err,
		size_t errlen)
{
	struct x509_local *l;
	STACK_OF(X509) *certs;

	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		errf(err, errlen, "%s: out of memory", cert_file);
		return NULL;
	}
	certs = read_pem_certs(cert_file, err, errlen);
	if (certs == NULL)
		goto fail;
	if (local_certs(l, certs, cert_file, err, errlen) != 0)
		goto fail;
	l->key = read_key(key_file, err, errlen);
	if (l->key == NULL)
		goto fail;
	if (key_curve(l->key) == NULL &&
	    EVP_PKEY_get_base_id(l->key) != EVP_PKEY_RSA) {
		errf(err, errlen, "%s: %s key not supported (RSA or EC "
		     "P-256/P-384/P-521)", key_file, key_kind(l->key));
		goto fail;
	}
	if (X509_check_private_key(l->cert, l->key) != 1) {
		errf(err, errlen, "%s: key does not match the certificate in "
		     "%s", key_file, cert_file);
		goto fail;
	}
	if (local_id(l, cert_file, err, errlen) != 0)
		goto fail;
	ERR_clear_error();
	return l;
fail:
	x509_local_free(l);
	ERR_clear_error();
	return NULL;
}

void
x509_local_free(struct x509_local *l)
{
	unsigned i;

	if (l == NULL)
		return;
	X509_free(l->cert);
	sk_X509_pop_free(l->chain, X509_free);
	EVP_PKEY_free(l->key);	/* clears the private key's numbers */
	OPENSSL_free(l->cert_der);
	for (i = 0; l->chain_der != NULL && i < l->n_chain; i++)
		OPENSSL_free(l->chain_der[i]);
	free(l->chain_der);
	free(l->chain_der_len);
	free(l);
}
