/* SPDX-License-Identifier: BSD-3-Clause
 * IKEv2 cryptography (RFC 7296 2.13-2.18, RFC 5282, RFC 3526/5114/5903):
 * PRF and prf+, Diffie-Hellman groups, the IKE SA's key schedule, CHILD
 * SA KEYMAT, and the Encrypted (SK) payload, all with OpenSSL 3 EVP.
 * Algorithm numbers are IANA's IKEv2 transform IDs. Every secret this
 * module holds or returns is wiped with OPENSSL_cleanse when freed.
 */
#ifndef CP_IKE_CRYPTO_H
#define CP_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	IKE_ENCR_AES_CBC = 12,		/* with KEY_LENGTH 256 only */
	IKE_ENCR_AES_GCM16 = 20,	/* 16-byte ICV, KEY_LENGTH 256 only */

	IKE_PRF_HMAC_SHA1 = 2,		/* parsed, never chosen */
	IKE_PRF_HMAC_SHA256 = 5,
	IKE_PRF_HMAC_SHA384 = 6,
	IKE_PRF_HMAC_SHA512 = 7,

	IKE_INTEG_NONE = 0,
	IKE_INTEG_HMAC_SHA1_96 = 2,
	IKE_INTEG_HMAC_SHA256_128 = 12,
	IKE_INTEG_HMAC_SHA384_192 = 13,
	IKE_INTEG_HMAC_SHA512_256 = 14,

	IKE_DH_MODP1024 = 2,
	IKE_DH_MODP2048 = 14,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_MODP2048_256 = 24,	/* RFC 5114 2.3 */

	IKE_MAX_PRF_LEN = 64,
	IKE_MAX_KEY_LEN = 64,		/* any one of SK_* */
	IKE_MAX_DH_LEN = 256,		/* public value / shared secret */
	IKE_GCM_SALT_LEN = 4,
	IKE_GCM_IV_LEN = 8,
	IKE_GCM_ICV_LEN = 16,
	IKE_CBC_IV_LEN = 16,
};

/* Output length of PRF (0: unknown). */
size_t ike_prf_len(int prf);
/* Key length of an integrity algorithm and its truncated ICV length. */
size_t ike_integ_key_len(int integ);
size_t ike_integ_icv_len(int integ);
/* Key length (with salt for GCM: 36) of ENCR with 256-bit keys. */
size_t ike_encr_key_len(int encr);
bool ike_dh_supported(int group);
/* Length of the group's public value (KE payload data). */
size_t ike_dh_len(int group);
/* Length of its shared secret: the prime's for MODP, one coordinate's
 * for ECP (half of ike_dh_len). */
size_t ike_dh_secret_len(int group);

/* prf(KEY, DATA) into OUT (ike_prf_len bytes). 0, or -1. */
int ike_prf(int prf, const uint8_t *key, size_t klen, const uint8_t *data,
	    size_t dlen, uint8_t *out);
/* prf+(KEY, SEED) (RFC 7296 2.13): OUTLEN bytes; -1 when OUTLEN needs
 * more than 255 iterations. */
int ike_prf_plus(int prf, const uint8_t *key, size_t klen,
		 const uint8_t *seed, size_t slen, uint8_t *out, size_t outlen);

/* An ephemeral DH/ECDH key pair of GROUP (generated at creation). */
struct ike_dh;
struct ike_dh *ike_dh_new(int group);
/* A key pair from a known private value (big-endian, at most
 * ike_dh_secret_len bytes), for known-answer tests; NULL when it is out of
 * range. IKE exchanges use ike_dh_new. */
struct ike_dh *ike_dh_new_with_private(int group, const uint8_t *priv,
				       size_t len);
/* Our public value in IKE's wire format: MODP big-endian, left-padded to
 * the prime's length; ECP x || y, each padded to the field size (RFC
 * 5903 7). Writes ike_dh_len(group) bytes. */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap);
/* The shared secret g^ir from the peer's public value (validated: exact
 * length, MODP 1 < y < p-1 and, for group 24, y^q = 1 mod p (RFC 6989),
 * ECP point on the curve). MODP: padded to
 * the prime length; ECP: the x coordinate (RFC 5903 7). 0 with *SLEN
 * set, or -1 when the peer's value is invalid. */
int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t plen,
		  uint8_t *secret, size_t cap, size_t *slen);
void ike_dh_free(struct ike_dh *dh);

/* The negotiated IKE SA algorithms. */
struct ike_suite {
	int encr, integ, prf, dh;	/* integ IKE_INTEG_NONE with GCM */
};

/* SK_d, SK_ai/ar, SK_ei/er (GCM: key || 4-byte salt), SK_pi/pr. */
struct ike_keys {
	uint8_t d[IKE_MAX_KEY_LEN], ai[IKE_MAX_KEY_LEN], ar[IKE_MAX_KEY_LEN];
	uint8_t ei[IKE_MAX_KEY_LEN], er[IKE_MAX_KEY_LEN];
	uint8_t pi[IKE_MAX_KEY_LEN], pr[IKE_MAX_KEY_LEN];
	size_t d_len, a_len, e_len, p_len;
};

/* The initial key schedule (RFC 7296 2.14):
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *       = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 * SPIs are the 8-byte wire values (network order). For a rekeyed IKE SA
 * pass OLD_SK_D (else NULL): SKEYSEED = prf(SK_d(old), g^ir | Ni | Nr)
 * (2.18). 0, or -1. */
int ike_derive_keys(const struct ike_suite *s, const uint8_t *ni, size_t nilen,
		    const uint8_t *nr, size_t nrlen, const uint8_t *gir,
		    size_t girlen, const uint8_t spi_i[8], const uint8_t spi_r[8],
		    const uint8_t *old_sk_d, size_t old_sk_d_len,
		    struct ike_keys *k);

/* CHILD SA KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr) (2.17): LEN
 * bytes. GIR NULL without PFS. */
int ike_child_keymat(int prf, const uint8_t *sk_d, size_t sk_d_len,
		     const uint8_t *gir, size_t girlen, const uint8_t *ni,
		     size_t nilen, const uint8_t *nr, size_t nrlen,
		     uint8_t *out, size_t len);

/* One direction of the SK payload's protection. */
struct ike_sk_dir {
	int encr, integ;
	const uint8_t *ek;		/* SK_e (GCM: key || salt) */
	const uint8_t *ak;		/* SK_a (NULL with GCM) */
};

/* Length of an SK payload's body (after its 4-byte generic header) that
 * carries PLEN bytes of inner payloads: IV, ciphertext with padding and
 * pad-length byte, ICV. GCM uses no padding beyond the pad-length byte;
 * CBC pads to 16 bytes. */
size_t ike_sk_body_len(const struct ike_sk_dir *d, size_t plen);

/* Protect a message in place. MSG[0..AAD_LEN) is the IKE header, any
 * unencrypted payloads and the SK payload's generic header, with every
 * length field already final (total MSG_LEN = AAD_LEN +
 * ike_sk_body_len(PLEN)). The inner payloads are at MSG + AAD_LEN +
 * IV length, PLEN bytes. Writes the IV (GCM: IV_SEQ big-endian, which the
 * caller never repeats under one key; CBC: random), padding, pad length,
 * encrypts, and writes the ICV: GCM over AAD = MSG[0..AAD_LEN) (RFC 5282
 * 5.1); CBC+HMAC over MSG[0..MSG_LEN - icv_len). 0, or -1. */
int ike_sk_seal(const struct ike_sk_dir *d, uint64_t iv_seq, uint8_t *msg,
		size_t aad_len, size_t plen, size_t msg_len);

/* Check and decrypt in place a message whose SK payload body runs from
 * MSG + AAD_LEN to MSG + MSG_LEN (the SK payload is last). On success
 * *INNER points at the plaintext inner payloads (inside MSG) and *ILEN is
 * their length, padding removed. -1 when too short, the ICV is wrong, or
 * the padding is malformed (constant-time ICV compare). */
int ike_sk_open(const struct ike_sk_dir *d, uint8_t *msg, size_t aad_len,
		size_t msg_len, uint8_t **inner, size_t *ilen);

/* HMAC for a given integrity algorithm (full length written,
 * truncate yourself), e.g. for tests. */
int ike_integ_mac(int integ, const uint8_t *key, const uint8_t *data,
		  size_t len, uint8_t *out);

#endif /* CP_IKE_CRYPTO_H */
