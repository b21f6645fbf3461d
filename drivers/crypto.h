/* SPDX-License-Identifier: BSD-3-Clause
 * Crypto engine over Intel IPsec-MB for the ESP suites of the policy table.
 *
 * Keys are expanded once per SA into a struct p2sgw_crypto_key, which is
 * then read-only and may be shared by every worker. Each worker owns one
 * IMB_MGR (p2sgw_crypto_mgr_create) and never shares it.
 *
 *  - AES-256-GCM (RFC 4106): per-packet single-buffer calls; the 12-byte
 *    nonce is salt(4) || IV(8) and the caller guarantees IV uniqueness.
 *  - AES-256-CBC + HMAC-SHA2-256-128 / HMAC-SHA1-96 (RFC 3602, 4868, 2404):
 *    encrypt-then-MAC through the multi-buffer job API, in bursts, because
 *    CBC encryption is serial per buffer and only interleaving buffers
 *    reaches the AES units' throughput.
 *
 * Nothing here allocates on the per-packet path or makes a system call.
 */
#ifndef P2SGW_CRYPTO_H
#define P2SGW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "p2sgw_types.h"

enum {
	P2SGW_GCM_IV_LEN = 8,		/* explicit IV on the wire */
	P2SGW_GCM_NONCE_LEN = 12,	/* salt || IV */
	P2SGW_GCM_ICV_LEN = 16,
	P2SGW_CBC_IV_LEN = 16,
	P2SGW_CBC_BLOCK = 16,
	P2SGW_GCM_BLOCK = 4,		/* no cipher padding: ESP's 4-byte alignment */
	P2SGW_SHA256_128_ICV_LEN = 16,
	P2SGW_SHA1_96_ICV_LEN = 12,
	P2SGW_AES256_ROUND_KEYS_LEN = 16 * 15,
	P2SGW_CRYPTO_BURST_MAX = 64,
	P2SGW_AES_BLOCK = 16,
	P2SGW_CBC_IV_SEED_LEN = 8,	/* secret half of the CBC IV nonce block */
	P2SGW_HMAC_BLOCK_LEN = 64,	/* SHA-1 and SHA-256 block size */
	P2SGW_SHA256_DIGEST_LEN = 32,
	P2SGW_SHA1_DIGEST_LEN = 20,
	P2SGW_HMAC_STATE_LEN = 32,	/* room for either hash state */
	/* IPsec-MB refuses CBC and HMAC jobs longer than 2^16 - 2 bytes;
	 * for CBC the length is also a multiple of the block. */
	P2SGW_CRYPTO_HASH_LEN_MAX = (1 << 16) - 2,
	P2SGW_CRYPTO_CIPHER_LEN_MAX = (1 << 16) - 16,
};

/* Expanded, read-only key material for one SA direction. 64-byte aligned;
 * allocate with p2sgw_crypto_key_alloc() or other 64-byte aligned memory. */
struct p2sgw_crypto_key {
	union {
		struct gcm_key_data gcm;	/* 1,008 bytes in IPsec-MB 1.3 */
		struct {
			uint8_t enc[P2SGW_AES256_ROUND_KEYS_LEN] __attribute__((aligned(16)));
			uint8_t dec[P2SGW_AES256_ROUND_KEYS_LEN] __attribute__((aligned(16)));
			/* HMAC inner/outer hash states after one block of
			 * key^ipad / key^opad (IPsec-MB's precomputed form) */
			uint8_t ipad[32] __attribute__((aligned(16)));
			uint8_t opad[32] __attribute__((aligned(16)));
			/* first half of the block p2sgw_cbc_make_iv encrypts:
			 * the forward cipher of a constant under this key */
			uint8_t iv_seed[P2SGW_CBC_IV_SEED_LEN];
		} cbc;
	};
	uint8_t salt[P2SGW_GCM_SALT_LEN];	/* GCM only */
	uint8_t suite;				/* enum p2sgw_suite */
	uint8_t icv_len;
	uint8_t iv_len;
	uint8_t block_len;			/* 4 for GCM (ESP alignment), 16 for CBC */
} __attribute__((aligned(64)));

/* Which IPsec-MB code path this CPU gets (SSE, AVX, AVX2, AVX512), by name. */
const char *p2sgw_crypto_arch_name(void);

/* One manager per worker. Returns NULL (and logs nothing) on failure. */
IMB_MGR *p2sgw_crypto_mgr_create(void);
void p2sgw_crypto_mgr_free(IMB_MGR *mgr);

/* Expand keys for SUITE into K.
 *  GCM: enc_key = 36 bytes key||salt, auth_key NULL/0.
 *  CBC: enc_key = 32 bytes, auth_key = 32 (SHA-256) or 20 (SHA-1) bytes.
 * Returns 0, or -1 (K zeroed) if a length does not fit the suite.
 * The expanded GCM key is specific to the manager's code path: expand with
 * a manager of the same arch as the workers' (p2sgw_crypto_mgr_create on
 * the same host gives the same one), or tags come out wrong. */
int p2sgw_crypto_key_init(IMB_MGR *mgr, struct p2sgw_crypto_key *k,
			  enum p2sgw_suite suite,
			  const uint8_t *enc_key, size_t enc_len,
			  const uint8_t *auth_key, size_t auth_len);

/* Zeroise K so that no key byte survives (explicit, not optimised away). */
void p2sgw_crypto_key_wipe(struct p2sgw_crypto_key *k);

/* Zeroed, 64-byte aligned key storage from the C heap (control side; the
 * dataplane may use its own aligned memory instead). NULL on failure.
 * p2sgw_crypto_key_free wipes K before releasing it; NULL is a no-op. */
struct p2sgw_crypto_key *p2sgw_crypto_key_alloc(void);
void p2sgw_crypto_key_free(struct p2sgw_crypto_key *k);

/* Constant-time comparison: 0 when equal. */
int p2sgw_crypto_memneq(const void *a, const void *b, size_t n);

/* AES-256-GCM. IV is the 8-byte explicit IV; the salt comes from K.
 * In-place operation (in == out) is allowed. */
void p2sgw_gcm_encrypt(IMB_MGR *mgr, const struct p2sgw_crypto_key *k,
		       const uint8_t iv[P2SGW_GCM_IV_LEN],
		       const uint8_t *aad, size_t aad_len,
		       const uint8_t *in, uint8_t *out, size_t len,
		       uint8_t *tag, size_t tag_len);

/* Returns 0 when TAG verifies, -1 otherwise (OUT then holds garbage the
 * caller must not forward). */
int p2sgw_gcm_decrypt(IMB_MGR *mgr, const struct p2sgw_crypto_key *k,
		      const uint8_t iv[P2SGW_GCM_IV_LEN],
		      const uint8_t *aad, size_t aad_len,
		      const uint8_t *in, uint8_t *out, size_t len,
		      const uint8_t *tag, size_t tag_len);

/* One CBC+HMAC operation of a burst.
 * Encrypt: DATA (LEN bytes, a multiple of 16) is encrypted in place with
 *   IV, then HMAC over [AUTH, AUTH+AUTH_LEN) (which covers the ESP header,
 *   IV and ciphertext) is truncated to the suite's ICV length into ICV.
 * Decrypt: the HMAC over [AUTH, AUTH+AUTH_LEN) is compared in constant time
 *   with ICV; only if it matches is DATA decrypted in place.
 * STATUS is 0 on success, -1 on ICV mismatch or engine error. */
struct p2sgw_cbc_op {
	const struct p2sgw_crypto_key *key;
	const uint8_t *iv;
	uint8_t *data;
	uint32_t len;
	const uint8_t *auth;
	uint32_t auth_len;
	uint8_t *icv;
	int status;
};

/* Process N (<= P2SGW_CRYPTO_BURST_MAX) ops; returns how many succeeded. */
unsigned p2sgw_cbc_hmac_encrypt_burst(IMB_MGR *mgr, struct p2sgw_cbc_op *ops,
				      unsigned n);
unsigned p2sgw_cbc_hmac_decrypt_burst(IMB_MGR *mgr, struct p2sgw_cbc_op *ops,
				      unsigned n);

/* CBC IV for sequence number SEQ: the forward cipher of a nonce block under
 * the SA's own key (NIST SP 800-38A, Appendix C), which is unpredictable to
 * anyone without the key and never repeats for a key because SEQ does not. */
void p2sgw_cbc_make_iv(const struct p2sgw_crypto_key *k, uint64_t seq,
		       uint8_t iv[P2SGW_CBC_IV_LEN]);

/* The AES-256 forward cipher of one block under a CBC key's encryption
 * schedule (AES-NI): the primitive under p2sgw_cbc_make_iv, exposed so that
 * it can be checked against FIPS-197. IN and OUT may be the same buffer. */
void p2sgw_aes256_encrypt_block(const struct p2sgw_crypto_key *k,
				const uint8_t in[P2SGW_AES_BLOCK],
				uint8_t out[P2SGW_AES_BLOCK]);

/* Plain HMAC over one buffer, for tests and the control plane's checks:
 * SUITE picks SHA-256 (full 32-byte output) or SHA-1 (20 bytes). The key
 * must already be expanded in K (CBC suites). OUT gets the first OUT_LEN
 * bytes; it is zeroed instead when LEN is 0 or above
 * P2SGW_CRYPTO_HASH_LEN_MAX, or OUT_LEN exceeds the digest. */
void p2sgw_hmac(IMB_MGR *mgr, const struct p2sgw_crypto_key *k,
		const uint8_t *data, size_t len, uint8_t *out, size_t out_len);

/* HMAC (RFC 2104) with a key of any length, hashed first when longer than
 * the 64-byte block: SUITE picks SHA-256 or SHA-1 as for p2sgw_hmac. Writes
 * the first OUT_LEN bytes of the MAC (truncation as in RFC 4231 case 5).
 * Returns 0, or -1 (OUT zeroed) when SUITE is not a CBC suite, LEN is 0 or
 * above P2SGW_CRYPTO_HASH_LEN_MAX, or OUT_LEN exceeds the digest. */
int p2sgw_hmac_raw(IMB_MGR *mgr, enum p2sgw_suite suite,
		   const uint8_t *key, size_t key_len,
		   const uint8_t *data, size_t len,
		   uint8_t *out, size_t out_len);

#endif /* P2SGW_CRYPTO_H */
