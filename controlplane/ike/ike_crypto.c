/* SPDX-License-Identifier: BSD-3-Clause
 * IKEv2 cryptography with OpenSSL 3's EVP interfaces: the PRF and prf+,
 * the Diffie-Hellman groups, the IKE SA's key schedule, CHILD SA KEYMAT
 * and the Encrypted (SK) payload. None of it is on the packet path, so
 * algorithms are fetched per call instead of being cached in globals that
 * threads would have to share.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "ike_crypto.h"

/* RFC 7296 3.9: a nonce is at most 256 bytes; SKEYSEED's key is Ni | Nr. */
#define NONCE_MAX 256
/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} */
#define KEYMAT_MAX (7 * IKE_MAX_KEY_LEN)
/* prf+ numbers its blocks with one byte (RFC 7296 2.13). */
#define PRF_PLUS_BLOCKS 255
/* The most pieces a prf+ seed is made of: Ni | Nr | SPIi | SPIr. */
#define SEED_PIECES 4
/* The SK payload's 16-bit length field also counts its 4-byte header. */
#define SK_BODY_MAX (0xffff - 4)
#define AES_BLOCK 16
#define AES256_KEY 32

/* Bytes fed to a MAC as one string, so that Ni | Nr | SPIi | SPIr and the
 * like need no copy. */
struct piece {
	const uint8_t *p;
	size_t len;
};

/* ---- PRF and integrity algorithms ---- */

static const char *
prf_digest(int prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA256:
		return "SHA2-256";
	case IKE_PRF_HMAC_SHA384:
		return "SHA2-384";
	case IKE_PRF_HMAC_SHA512:
		return "SHA2-512";
	default:
		return NULL;
	}
}

size_t
ike_prf_len(int prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA256:
		return 32;
	case IKE_PRF_HMAC_SHA384:
		return 48;
	case IKE_PRF_HMAC_SHA512:
		return 64;
	default:
		return 0;
	}
}

static const char *
integ_digest(int integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96:
		return "SHA1";
	case IKE_INTEG_HMAC_SHA256_128:
		return "SHA2-256";
	case IKE_INTEG_HMAC_SHA384_192:
		return "SHA2-384";
	case IKE_INTEG_HMAC_SHA512_256:
		return "SHA2-512";
	default:
		return NULL;
	}
}

/* The key is as long as the hash's output (RFC 2404, RFC 4868 2.1.1), so
 * this is also the length of the untruncated MAC. */
size_t
ike_integ_key_len(int integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96:
		return 20;
	case IKE_INTEG_HMAC_SHA256_128:
		return 32;
	case IKE_INTEG_HMAC_SHA384_192:
		return 48;
	case IKE_INTEG_HMAC_SHA512_256:
		return 64;
	default:
		return 0;
	}
}

size_t
ike_integ_icv_len(int integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96:
		return 12;
	case IKE_INTEG_HMAC_SHA256_128:
		return 16;
	case IKE_INTEG_HMAC_SHA384_192:
		return 24;
	case IKE_INTEG_HMAC_SHA512_256:
		return 32;
	default:
		return 0;
	}
}

size_t
ike_encr_key_len(int encr)
{
	switch (encr) {
	case IKE_ENCR_AES_CBC:
		return AES256_KEY;
	case IKE_ENCR_AES_GCM16:
		return AES256_KEY + IKE_GCM_SALT_LEN;
	default:
		return 0;
	}
}

/* ---- HMAC ---- */

static EVP_MAC_CTX *
hmac_new(const char *digest)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	EVP_MAC *mac;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context keeps its own reference */
	if (ctx == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* HMAC(KEY, IN[0] | ... | IN[N-1]) into OUT, the digest's full OUTLEN
 * bytes. Setting the key again restarts a used context. */
static int
hmac_run(EVP_MAC_CTX *ctx, const uint8_t *key, size_t klen,
	 const struct piece *in, size_t n, uint8_t *out, size_t outlen)
{
	size_t i, got = 0;

	if (EVP_MAC_init(ctx, key, klen, NULL) != 1)
		return -1;
	for (i = 0; i < n; i++)
		if (in[i].len != 0 &&
		    EVP_MAC_update(ctx, in[i].p, in[i].len) != 1)
			return -1;
	if (EVP_MAC_final(ctx, out, &got, outlen) != 1 || got != outlen)
		return -1;
	return 0;
}

/* One HMAC. OpenSSL wipes the key and the hash states when the context
 * is freed. */
static int
hmac_once(const char *digest, const uint8_t *key, size_t klen,
	  const struct piece *in, size_t n, uint8_t *out, size_t outlen)
{
	EVP_MAC_CTX *ctx;
	int rc;

	if (digest == NULL || key == NULL || klen == 0 || out == NULL)
		return -1;
	ctx = hmac_new(digest);
	if (ctx == NULL)
		return -1;
	rc = hmac_run(ctx, key, klen, in, n, out, outlen);
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int
ike_prf(int prf, const uint8_t *key, size_t klen, const uint8_t *data,
	size_t dlen, uint8_t *out)
{
	struct piece in = { data, dlen };

	if (data == NULL && dlen != 0)
		return -1;
	return hmac_once(prf_digest(prf), key, klen, &in, 1, out,
			 ike_prf_len(prf));
}

int
ike_integ_mac(int integ, const uint8_t *key, const uint8_t *data,
	      size_t len, uint8_t *out)
{
	struct piece in = { data, len };

	if (data == NULL && len != 0)
		return -1;
	return hmac_once(integ_digest(integ), key, ike_integ_key_len(integ),
			 &in, 1, out, ike_integ_key_len(integ));
}

/* prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n),
 * output T1 | T2 | ... cut to OUTLEN. OUT is wiped when this fails. */
static int
prf_plus(int prf, const uint8_t *key, size_t klen, const struct piece *seed,
	 size_t nseed, uint8_t *out, size_t outlen)
{
	struct piece in[SEED_PIECES + 2];
	uint8_t t[IKE_MAX_PRF_LEN], n = 1;
	size_t plen = ike_prf_len(prf), done, take, i;
	EVP_MAC_CTX *ctx;
	int rc = -1;

	if (plen == 0 || key == NULL || klen == 0 || nseed > SEED_PIECES ||
	    outlen > PRF_PLUS_BLOCKS * plen || (out == NULL && outlen != 0))
		return -1;
	if (outlen == 0)
		return 0;
	ctx = hmac_new(prf_digest(prf));
	if (ctx == NULL)
		return -1;
	in[0] = (struct piece){ t, 0 };		/* no Tn-1 for T1 */
	for (i = 0; i < nseed; i++)
		in[1 + i] = seed[i];
	in[1 + nseed] = (struct piece){ &n, 1 };
	for (done = 0; done < outlen; done += take, n++) {
		if (hmac_run(ctx, key, klen, in, nseed + 2, t, plen) != 0)
			goto out;
		take = outlen - done < plen ? outlen - done : plen;
		memcpy(out + done, t, take);
		in[0].len = plen;
	}
	rc = 0;
out:
	if (rc != 0)
		OPENSSL_cleanse(out, outlen);
	OPENSSL_cleanse(t, sizeof(t));
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int
ike_prf_plus(int prf, const uint8_t *key, size_t klen, const uint8_t *seed,
	     size_t slen, uint8_t *out, size_t outlen)
{
	struct piece s = { seed, slen };

	if (seed == NULL && slen != 0)
		return -1;
	return prf_plus(prf, key, klen, &s, 1, out, outlen);
}

/* ---- Key schedule ---- */

static bool
nonce_ok(const uint8_t *n, size_t len)
{
	return n != NULL && len > 0 && len <= NONCE_MAX;
}

/* GCM carries its own integrity; CBC needs an integrity algorithm. */
static bool
suite_ok(const struct ike_suite *s)
{
	if (ike_prf_len(s->prf) == 0 || ike_encr_key_len(s->encr) == 0)
		return false;
	if (s->encr == IKE_ENCR_AES_GCM16)
		return s->integ == IKE_INTEG_NONE;
	return ike_integ_key_len(s->integ) != 0;
}

/* SKEYSEED = prf(Ni | Nr, g^ir) (2.14), or prf(SK_d (old), g^ir | Ni | Nr)
 * for a rekeyed IKE SA (2.18). Lengths are checked by the caller. */
static int
skeyseed(int prf, const uint8_t *ni, size_t nilen, const uint8_t *nr,
	 size_t nrlen, const uint8_t *gir, size_t girlen,
	 const uint8_t *old_sk_d, size_t old_len, uint8_t *out)
{
	struct piece in[3] = { { gir, girlen }, { ni, nilen }, { nr, nrlen } };
	uint8_t key[2 * NONCE_MAX];
	int rc;

	if (old_sk_d != NULL)
		return hmac_once(prf_digest(prf), old_sk_d, old_len, in, 3,
				 out, ike_prf_len(prf));
	memcpy(key, ni, nilen);
	memcpy(key + nilen, nr, nrlen);
	rc = hmac_once(prf_digest(prf), key, nilen + nrlen, in, 1, out,
		       ike_prf_len(prf));
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

static size_t
take_key(uint8_t *dst, const uint8_t *km, size_t off, size_t len)
{
	memcpy(dst, km + off, len);
	return off + len;
}

int
ike_derive_keys(const struct ike_suite *s, const uint8_t *ni, size_t nilen,
		const uint8_t *nr, size_t nrlen, const uint8_t *gir,
		size_t girlen, const uint8_t spi_i[8], const uint8_t spi_r[8],
		const uint8_t *old_sk_d, size_t old_sk_d_len,
		struct ike_keys *k)
{
	struct piece in[SEED_PIECES] = {
		{ ni, nilen }, { nr, nrlen }, { spi_i, 8 }, { spi_r, 8 },
	};
	uint8_t seed[IKE_MAX_PRF_LEN], km[KEYMAT_MAX];
	size_t plen, alen, elen, off;
	int rc = -1;

	if (k == NULL)
		return -1;
	memset(k, 0, sizeof(*k));
	if (s == NULL || !suite_ok(s) || !nonce_ok(ni, nilen) ||
	    !nonce_ok(nr, nrlen) || gir == NULL || girlen == 0 ||
	    girlen > IKE_MAX_DH_LEN || spi_i == NULL || spi_r == NULL)
		return -1;
	if (old_sk_d != NULL &&
	    (old_sk_d_len == 0 || old_sk_d_len > IKE_MAX_KEY_LEN))
		return -1;
	plen = ike_prf_len(s->prf);
	alen = ike_integ_key_len(s->integ);
	elen = ike_encr_key_len(s->encr);
	if (skeyseed(s->prf, ni, nilen, nr, nrlen, gir, girlen, old_sk_d,
		     old_sk_d_len, seed) != 0 ||
	    prf_plus(s->prf, seed, plen, in, SEED_PIECES, km,
		     3 * plen + 2 * alen + 2 * elen) != 0)
		goto out;
	off = take_key(k->d, km, 0, plen);
	off = take_key(k->ai, km, off, alen);
	off = take_key(k->ar, km, off, alen);
	off = take_key(k->ei, km, off, elen);
	off = take_key(k->er, km, off, elen);
	off = take_key(k->pi, km, off, plen);
	take_key(k->pr, km, off, plen);
	k->d_len = plen;
	k->a_len = alen;
	k->e_len = elen;
	k->p_len = plen;
	rc = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(km, sizeof(km));
	if (rc != 0)
		OPENSSL_cleanse(k, sizeof(*k));
	return rc;
}

int
ike_child_keymat(int prf, const uint8_t *sk_d, size_t sk_d_len,
		 const uint8_t *gir, size_t girlen, const uint8_t *ni,
		 size_t nilen, const uint8_t *nr, size_t nrlen,
		 uint8_t *out, size_t len)
{
	struct piece in[3] = { { gir, girlen }, { ni, nilen }, { nr, nrlen } };

	if (sk_d == NULL || sk_d_len == 0 || sk_d_len > IKE_MAX_KEY_LEN ||
	    !nonce_ok(ni, nilen) || !nonce_ok(nr, nrlen) ||
	    (gir == NULL) != (girlen == 0) || girlen > IKE_MAX_DH_LEN)
		return -1;
	return prf_plus(prf, sk_d, sk_d_len, in, 3, out, len);
}

/* ---- Diffie-Hellman ---- */

struct dh_group {
	int id;
	const char *name;	/* OpenSSL's; NULL: built from p and g */
	int nid;		/* the curve of an ECP group, else NID_undef */
	bool subgroup;		/* g has prime order q much below p */
	size_t len;		/* public value */
};

static const struct dh_group dh_groups[] = {
	/* RFC 2409 6.2, which OpenSSL 3.0 has no name for */
	{ IKE_DH_MODP1024, NULL, NID_undef, false, 128 },
	/* RFC 3526 3 */
	{ IKE_DH_MODP2048, "modp_2048", NID_undef, false, 256 },
	/* RFC 5114 2.3, named after its prime and subgroup sizes */
	{ IKE_DH_MODP2048_256, "dh_2048_256", NID_undef, true, 256 },
	/* RFC 5903 3.1, 3.2 */
	{ IKE_DH_ECP256, "P-256", NID_X9_62_prime256v1, false, 64 },
	{ IKE_DH_ECP384, "P-384", NID_secp384r1, false, 96 },
};

struct ike_dh {
	const struct dh_group *g;
	EVP_PKEY *key;		/* OpenSSL clears the private part on free */
	BIGNUM *p, *q;		/* MODP: the prime; q where g->subgroup */
	uint8_t pub[IKE_MAX_DH_LEN];
};

static const struct dh_group *
dh_group(int id)
{
	size_t i;

	for (i = 0; i < sizeof(dh_groups) / sizeof(dh_groups[0]); i++)
		if (dh_groups[i].id == id)
			return &dh_groups[i];
	return NULL;
}

static bool
is_ecp(const struct dh_group *g)
{
	return g->nid != NID_undef;
}

static size_t
secret_len(const struct dh_group *g)
{
	return is_ecp(g) ? g->len / 2 : g->len;
}

bool
ike_dh_supported(int group)
{
	return dh_group(group) != NULL;
}

size_t
ike_dh_len(int group)
{
	const struct dh_group *g = dh_group(group);

	return g != NULL ? g->len : 0;
}

size_t
ike_dh_secret_len(int group)
{
	const struct dh_group *g = dh_group(group);

	return g != NULL ? secret_len(g) : 0;
}

/* The group's domain parameters: OpenSSL's name for it, or p and g for
 * group 2. Those numbers stay in *P and *GEN, which the caller frees after
 * turning BLD into parameters. */
static int
push_domain(OSSL_PARAM_BLD *bld, const struct dh_group *g, BIGNUM **p,
	    BIGNUM **gen)
{
	*p = *gen = NULL;
	if (g->name != NULL)
		return OSSL_PARAM_BLD_push_utf8_string(bld,
			OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) == 1 ? 0 : -1;
	*p = BN_get_rfc2409_prime_1024(NULL);
	*gen = BN_new();
	if (*p == NULL || *gen == NULL || BN_set_word(*gen, 2) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, *p) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, *gen) != 1)
		return -1;
	return 0;
}

/* A public value in OpenSSL's form: y as a number, or the uncompressed
 * point 0x04 | x | y built in OCT (which must outlive BLD's use). */
static int
push_public(OSSL_PARAM_BLD *bld, const struct dh_group *g, const uint8_t *v,
	    uint8_t oct[1 + IKE_MAX_DH_LEN], BIGNUM **y)
{
	*y = NULL;
	if (is_ecp(g)) {
		oct[0] = POINT_CONVERSION_UNCOMPRESSED;
		memcpy(oct + 1, v, g->len);
		return OSSL_PARAM_BLD_push_octet_string(bld,
			OSSL_PKEY_PARAM_PUB_KEY, oct, g->len + 1) == 1 ? 0 : -1;
	}
	*y = BN_bin2bn(v, (int)g->len, NULL);
	if (*y == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, *y) != 1)
		return -1;
	return 0;
}

/* An EVP_PKEY of G's type from what BLD holds; SELECTION says which
 * parts (EVP_PKEY_KEY_PARAMETERS, _PUBLIC_KEY, _KEYPAIR). */
static EVP_PKEY *
key_from(const struct dh_group *g, OSSL_PARAM_BLD *bld, int selection)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (params != NULL)
		ctx = EVP_PKEY_CTX_new_from_name(NULL, is_ecp(g) ? "EC" : "DH",
						 NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, selection, params) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	/* A private value came from a BN_secure_new number, which the
	 * builder keeps in the block that this clears before freeing. */
	OSSL_PARAM_free(params);
	return key;
}

static EVP_PKEY *
domain(const struct dh_group *g)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *p = NULL, *gen = NULL;
	EVP_PKEY *key = NULL;

	if (bld != NULL && push_domain(bld, g, &p, &gen) == 0)
		key = key_from(g, bld, EVP_PKEY_KEY_PARAMETERS);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(gen);
	return key;
}

/* Our public value in IKE's wire format, kept for ike_dh_public. */
static int
export_public(struct ike_dh *dh)
{
	uint8_t oct[1 + IKE_MAX_DH_LEN];
	size_t n = 0, len = dh->g->len;
	BIGNUM *y = NULL;
	int rc = -1;

	if (is_ecp(dh->g)) {
		if (EVP_PKEY_get_octet_string_param(dh->key,
			OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof(oct), &n) == 1 &&
		    n == len + 1 && oct[0] == POINT_CONVERSION_UNCOMPRESSED) {
			memcpy(dh->pub, oct + 1, len);
			rc = 0;
		}
		return rc;
	}
	if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 &&
	    BN_bn2binpad(y, dh->pub, (int)len) == (int)len)
		rc = 0;
	BN_free(y);
	return rc;
}

/* Wrap a fresh key pair of G (taking KEY, which may be NULL). */
static struct ike_dh *
dh_wrap(const struct dh_group *g, EVP_PKEY *key)
{
	struct ike_dh *dh;

	if (key == NULL)
		return NULL;
	dh = calloc(1, sizeof(*dh));
	if (dh == NULL) {
		EVP_PKEY_free(key);
		return NULL;
	}
	dh->g = g;
	dh->key = key;
	if (!is_ecp(g) &&
	    (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_P, &dh->p) != 1 ||
	     (g->subgroup && EVP_PKEY_get_bn_param(key,
			OSSL_PKEY_PARAM_FFC_Q, &dh->q) != 1)))
		goto fail;
	if (export_public(dh) != 0)
		goto fail;
	return dh;
fail:
	ike_dh_free(dh);
	return NULL;
}

struct ike_dh *
ike_dh_new(int group)
{
	const struct dh_group *g = dh_group(group);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *dom, *key = NULL;

	if (g == NULL)
		return NULL;
	dom = domain(g);
	if (dom != NULL)
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dom, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, &key) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(dom);
	return dh_wrap(g, key);
}

/* y = g^x mod p for 0 < x < q (or p - 1 where there is no q), into OUT
 * in wire format. */
static int
modp_public(const struct dh_group *g, BIGNUM *x, uint8_t *out)
{
	BIGNUM *p = NULL, *gen = NULL, *q = NULL, *y = NULL, *lim = NULL;
	EVP_PKEY *dom = domain(g);
	BN_CTX *bctx = BN_CTX_new();
	int rc = -1;

	if (dom == NULL || bctx == NULL ||
	    EVP_PKEY_get_bn_param(dom, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
	    EVP_PKEY_get_bn_param(dom, OSSL_PKEY_PARAM_FFC_G, &gen) != 1)
		goto out;
	/* Group 2 has no q; OpenSSL gives its named safe primes (p-1)/2. */
	if (EVP_PKEY_get_bn_param(dom, OSSL_PKEY_PARAM_FFC_Q, &q) == 1)
		lim = BN_dup(q);
	else if ((lim = BN_dup(p)) != NULL && BN_sub_word(lim, 1) != 1)
		goto out;
	y = BN_new();
	if (lim == NULL || y == NULL || BN_is_zero(x) || BN_cmp(x, lim) >= 0)
		goto out;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (BN_mod_exp_mont_consttime(y, gen, x, p, bctx, NULL) == 1 &&
	    BN_bn2binpad(y, out, (int)g->len) == (int)g->len)
		rc = 0;
out:
	BN_free(p);
	BN_free(gen);
	BN_free(q);
	BN_free(y);
	BN_free(lim);
	BN_CTX_free(bctx);
	EVP_PKEY_free(dom);
	return rc;
}

/* Q = x * G for 0 < x < n, into OUT as x | y. */
static int
ecp_public(const struct dh_group *g, const BIGNUM *x, uint8_t *out)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(g->nid);
	uint8_t oct[1 + IKE_MAX_DH_LEN];
	EC_POINT *pt = NULL;
	int rc = -1;

	if (grp == NULL || BN_is_zero(x) ||
	    BN_cmp(x, EC_GROUP_get0_order(grp)) >= 0)
		goto out;
	pt = EC_POINT_new(grp);
	if (pt != NULL && EC_POINT_mul(grp, pt, x, NULL, NULL, NULL) == 1 &&
	    EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, oct,
			       sizeof(oct), NULL) == g->len + 1) {
		memcpy(out, oct + 1, g->len);
		rc = 0;
	}
out:
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return rc;
}

struct ike_dh *
ike_dh_new_with_private(int group, const uint8_t *priv, size_t len)
{
	const struct dh_group *g = dh_group(group);
	BIGNUM *x = NULL, *p = NULL, *gen = NULL, *y = NULL;
	uint8_t pub[IKE_MAX_DH_LEN], oct[1 + IKE_MAX_DH_LEN];
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	if (g == NULL || priv == NULL || len == 0 || len > secret_len(g))
		return NULL;
	x = BN_secure_new();
	if (x == NULL || BN_bin2bn(priv, (int)len, x) == NULL)
		goto out;
	if ((is_ecp(g) ? ecp_public(g, x, pub) : modp_public(g, x, pub)) != 0)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld != NULL && push_domain(bld, g, &p, &gen) == 0 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) == 1 &&
	    push_public(bld, g, pub, oct, &y) == 0)
		key = key_from(g, bld, EVP_PKEY_KEYPAIR);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(x);
	BN_free(p);
	BN_free(gen);
	BN_free(y);
	return dh_wrap(g, key);
}

int
ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap)
{
	if (dh == NULL || out == NULL || cap < dh->g->len)
		return -1;
	memcpy(out, dh->pub, dh->g->len);
	return 0;
}

/* 1 < y < p-1 (RFC 6989 2.1); where g has prime order q, also
 * y^q = 1 mod p (RFC 6989 2.2), or the peer could confine the secret to a
 * small subgroup and learn our exponent modulo its order. */
static bool
modp_peer_ok(const struct ike_dh *dh, const uint8_t *peer)
{
	BN_CTX *bctx = BN_CTX_new();
	BIGNUM *y, *lim, *r;
	bool ok = false;

	if (bctx == NULL)
		return false;
	BN_CTX_start(bctx);
	y = BN_CTX_get(bctx);
	lim = BN_CTX_get(bctx);
	r = BN_CTX_get(bctx);
	if (r == NULL || BN_bin2bn(peer, (int)dh->g->len, y) == NULL ||
	    BN_copy(lim, dh->p) == NULL || BN_sub_word(lim, 1) != 1)
		goto out;
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, lim) >= 0)
		goto out;
	if (dh->q != NULL &&
	    (BN_mod_exp(r, y, dh->q, dh->p, bctx) != 1 || !BN_is_one(r)))
		goto out;
	ok = true;
out:
	BN_CTX_end(bctx);
	BN_CTX_free(bctx);
	return ok;
}

/* OpenSSL will not build a key from a point off the curve; the full
 * check adds coordinates below p, not infinity, and n * Q = infinity. */
static bool
ecp_peer_ok(EVP_PKEY *peer)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	bool ok = c != NULL && EVP_PKEY_public_check(c) == 1;

	EVP_PKEY_CTX_free(c);
	return ok;
}

static EVP_PKEY *
peer_key(const struct dh_group *g, const uint8_t *peer)
{
	BIGNUM *p = NULL, *gen = NULL, *y = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	uint8_t oct[1 + IKE_MAX_DH_LEN];
	EVP_PKEY *key = NULL;

	if (bld != NULL && push_domain(bld, g, &p, &gen) == 0 &&
	    push_public(bld, g, peer, oct, &y) == 0)
		key = key_from(g, bld, EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(gen);
	BN_free(y);
	return key;
}

int
ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t plen,
	      uint8_t *secret, size_t cap, size_t *slen)
{
	unsigned int pad = 1;	/* MODP: left-pad g^ir to the prime's length */
	OSSL_PARAM pad_params[2] = {
		OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	size_t want, got;
	int rc = -1;

	if (dh == NULL || peer == NULL || secret == NULL || slen == NULL)
		return -1;
	want = secret_len(dh->g);
	if (plen != dh->g->len || cap < want)
		return -1;
	if (!is_ecp(dh->g) && !modp_peer_ok(dh, peer))
		return -1;
	pk = peer_key(dh->g, peer);
	if (pk == NULL || (is_ecp(dh->g) && !ecp_peer_ok(pk)))
		goto out;
	/* Setting the peer checks it once more. For group 14 OpenSSL knows
	 * q = (p-1)/2 and so also refuses quadratic non-residues, which no
	 * honest g^x is. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    (!is_ecp(dh->g) && EVP_PKEY_CTX_set_params(ctx, pad_params) != 1) ||
	    EVP_PKEY_derive_set_peer_ex(ctx, pk, 1) != 1)
		goto out;
	got = cap;
	if (EVP_PKEY_derive(ctx, secret, &got) != 1 || got != want) {
		OPENSSL_cleanse(secret, cap);
		goto out;
	}
	*slen = got;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

void
ike_dh_free(struct ike_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->key);
	BN_free(dh->p);
	BN_free(dh->q);
	free(dh);
}

/* ---- The Encrypted (SK) payload ---- */

static bool
sk_algs_ok(const struct ike_sk_dir *d)
{
	if (d == NULL)
		return false;
	if (d->encr == IKE_ENCR_AES_GCM16)
		return d->integ == IKE_INTEG_NONE;
	return d->encr == IKE_ENCR_AES_CBC && ike_integ_key_len(d->integ) != 0;
}

static bool
sk_keys_ok(const struct ike_sk_dir *d)
{
	return d->ek != NULL &&
	       (d->encr == IKE_ENCR_AES_GCM16 || d->ak != NULL);
}

size_t
ike_sk_body_len(const struct ike_sk_dir *d, size_t plen)
{
	size_t body;

	if (!sk_algs_ok(d) || plen > SK_BODY_MAX)
		return 0;
	if (d->encr == IKE_ENCR_AES_GCM16)
		body = IKE_GCM_IV_LEN + plen + 1 + IKE_GCM_ICV_LEN;
	else
		body = IKE_CBC_IV_LEN + (plen + AES_BLOCK) / AES_BLOCK *
		       AES_BLOCK + ike_integ_icv_len(d->integ);
	return body <= SK_BODY_MAX ? body : 0;
}

/* AES-256-GCM as RFC 5282 uses it: nonce = salt (the last 4 bytes of
 * SK_e) | the message's 8-byte IV, AAD = what precedes the IV. TEXT is
 * transformed in place; encrypting writes the ICV, decrypting checks it
 * (OpenSSL compares tags in constant time). */
static int
gcm(const uint8_t *ek, int enc, const uint8_t *aad, size_t aad_len,
    const uint8_t *iv, uint8_t *text, size_t len, uint8_t *icv)
{
	uint8_t nonce[IKE_GCM_SALT_LEN + IKE_GCM_IV_LEN], fin[AES_BLOCK];
	EVP_CIPHER_CTX *ctx;
	int outl, rc = -1;

	memcpy(nonce, ek + AES256_KEY, IKE_GCM_SALT_LEN);
	memcpy(nonce + IKE_GCM_SALT_LEN, iv, IKE_GCM_IV_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		goto out;
	/* A 12-byte nonce is GCM's default IV length. */
	if (EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), ek, nonce, enc,
			       NULL) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					 IKE_GCM_ICV_LEN, icv) != 1))
		goto out;
	if ((aad_len != 0 &&
	     EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1) ||
	    EVP_CipherUpdate(ctx, text, &outl, text, (int)len) != 1 ||
	    outl != (int)len || EVP_CipherFinal_ex(ctx, fin, &outl) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
				       IKE_GCM_ICV_LEN, icv) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);	/* wipes the key schedule */
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return rc;
}

/* AES-256-CBC in place over whole blocks, no padding of OpenSSL's. */
static int
cbc(const uint8_t *ek, int enc, const uint8_t *iv, uint8_t *text,
    size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl, rc = -1;

	if (ctx == NULL)
		return -1;
	if (EVP_CipherInit_ex2(ctx, EVP_aes_256_cbc(), ek, iv, enc,
			       NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, text, &outl, text, (int)len) == 1 &&
	    outl == (int)len)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static int
seal_gcm(const struct ike_sk_dir *d, uint64_t iv_seq, uint8_t *msg,
	 size_t aad_len, size_t plen)
{
	uint8_t *iv = msg + aad_len, *pt = iv + IKE_GCM_IV_LEN;
	int i;

	for (i = 0; i < IKE_GCM_IV_LEN; i++)
		iv[i] = (uint8_t)(iv_seq >> (8 * (IKE_GCM_IV_LEN - 1 - i)));
	pt[plen] = 0;		/* no padding, only its length (RFC 5282 3) */
	return gcm(d->ek, 1, msg, aad_len, iv, pt, plen + 1, pt + plen + 1);
}

/* Pad to the block, encrypt under a random IV (RFC 7296 3.14), then MAC
 * everything before the ICV. */
static int
seal_cbc(const struct ike_sk_dir *d, uint8_t *msg, size_t aad_len,
	 size_t plen, size_t msg_len)
{
	size_t icv_len = ike_integ_icv_len(d->integ);
	size_t ctlen = msg_len - aad_len - IKE_CBC_IV_LEN - icv_len;
	uint8_t *iv = msg + aad_len, *pt = iv + IKE_CBC_IV_LEN;
	uint8_t mac[IKE_MAX_KEY_LEN];

	if (RAND_bytes(iv, IKE_CBC_IV_LEN) != 1)
		return -1;
	memset(pt + plen, 0, ctlen - plen - 1);
	pt[ctlen - 1] = (uint8_t)(ctlen - plen - 1);
	if (cbc(d->ek, 1, iv, pt, ctlen) != 0 ||
	    ike_integ_mac(d->integ, d->ak, msg, msg_len - icv_len, mac) != 0)
		return -1;
	memcpy(msg + msg_len - icv_len, mac, icv_len);
	return 0;
}

int
ike_sk_seal(const struct ike_sk_dir *d, uint64_t iv_seq, uint8_t *msg,
	    size_t aad_len, size_t plen, size_t msg_len)
{
	size_t body = ike_sk_body_len(d, plen);

	if (body == 0 || !sk_keys_ok(d) || msg == NULL || aad_len > INT_MAX ||
	    msg_len < aad_len || msg_len - aad_len != body)
		return -1;
	if (d->encr == IKE_ENCR_AES_GCM16)
		return seal_gcm(d, iv_seq, msg, aad_len, plen);
	return seal_cbc(d, msg, aad_len, plen, msg_len);
}

/* The pad length byte ends the plaintext and counts the padding before it;
 * both go. */
static int
unpad(uint8_t *pt, size_t len, uint8_t **inner, size_t *ilen)
{
	size_t pad = pt[len - 1];

	if (pad > len - 1)
		return -1;
	*inner = pt;
	*ilen = len - 1 - pad;
	return 0;
}

static int
open_gcm(const struct ike_sk_dir *d, uint8_t *msg, size_t aad_len,
	 size_t msg_len, uint8_t **inner, size_t *ilen)
{
	size_t body = msg_len - aad_len, ctlen;
	uint8_t *iv = msg + aad_len, *ct = iv + IKE_GCM_IV_LEN;

	if (body < IKE_GCM_IV_LEN + 1 + IKE_GCM_ICV_LEN)
		return -1;
	ctlen = body - IKE_GCM_IV_LEN - IKE_GCM_ICV_LEN;
	if (gcm(d->ek, 0, msg, aad_len, iv, ct, ctlen, ct + ctlen) != 0 ||
	    unpad(ct, ctlen, inner, ilen) != 0) {
		/* Plaintext that failed leaves nothing behind. */
		OPENSSL_cleanse(ct, ctlen);
		return -1;
	}
	return 0;
}

/* Encrypt-then-MAC: the ICV is checked before anything is decrypted. */
static int
open_cbc(const struct ike_sk_dir *d, uint8_t *msg, size_t aad_len,
	 size_t msg_len, uint8_t **inner, size_t *ilen)
{
	size_t icv_len = ike_integ_icv_len(d->integ);
	size_t body = msg_len - aad_len, ctlen;
	uint8_t *iv = msg + aad_len, *ct = iv + IKE_CBC_IV_LEN;
	uint8_t mac[IKE_MAX_KEY_LEN];

	if (body < IKE_CBC_IV_LEN + AES_BLOCK + icv_len)
		return -1;
	ctlen = body - IKE_CBC_IV_LEN - icv_len;
	if (ctlen % AES_BLOCK != 0)
		return -1;
	if (ike_integ_mac(d->integ, d->ak, msg, msg_len - icv_len, mac) != 0 ||
	    CRYPTO_memcmp(mac, msg + msg_len - icv_len, icv_len) != 0)
		return -1;
	if (cbc(d->ek, 0, iv, ct, ctlen) != 0 ||
	    unpad(ct, ctlen, inner, ilen) != 0) {
		OPENSSL_cleanse(ct, ctlen);
		return -1;
	}
	return 0;
}

int
ike_sk_open(const struct ike_sk_dir *d, uint8_t *msg, size_t aad_len,
	    size_t msg_len, uint8_t **inner, size_t *ilen)
{
	if (!sk_algs_ok(d) || !sk_keys_ok(d) || msg == NULL || inner == NULL ||
	    ilen == NULL || aad_len > INT_MAX || aad_len > msg_len ||
	    msg_len - aad_len > SK_BODY_MAX)
		return -1;
	if (d->encr == IKE_ENCR_AES_GCM16)
		return open_gcm(d, msg, aad_len, msg_len, inner, ilen);
	return open_cbc(d, msg, aad_len, msg_len, inner, ilen);
}
