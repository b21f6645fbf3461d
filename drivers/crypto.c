/* SPDX-License-Identifier: BSD-3-Clause
 * Crypto engine over Intel IPsec-MB 1.3: key expansion once per SA (control
 * side), then the per-packet AES-256-GCM, AES-256-CBC + HMAC and CBC IV
 * functions (worker side), which never allocate, log or make system calls.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <wmmintrin.h>

#include "crypto.h"

/* Block encrypted under a CBC key to derive its IV seed (any constant
 * works; this one is not the zero block so it is not also a GCM H). */
static const char iv_seed_label[] = "p2sgw cbc ivseed";
_Static_assert(sizeof(iv_seed_label) - 1 == P2SGW_AES_BLOCK,
	       "IV seed label is one AES block");

static atomic_int chosen_arch = IMB_ARCH_NONE;

const char *
p2sgw_crypto_arch_name(void)
{
	static const char *const names[IMB_ARCH_NUM] = {
		[IMB_ARCH_NONE] = "none",
		[IMB_ARCH_NOAESNI] = "NOAESNI",
		[IMB_ARCH_SSE] = "SSE",
		[IMB_ARCH_AVX] = "AVX",
		[IMB_ARCH_AVX2] = "AVX2",
		[IMB_ARCH_AVX512] = "AVX512",
	};
	int arch = atomic_load_explicit(&chosen_arch, memory_order_relaxed);

	return arch >= 0 && arch < IMB_ARCH_NUM ? names[arch] : "none";
}

/* The CBC IV and the single-block cipher use AES-NI directly, so a CPU
 * without it (IPsec-MB's NOAESNI path) is refused here. */
IMB_MGR *
p2sgw_crypto_mgr_create(void)
{
	IMB_ARCH arch = IMB_ARCH_NONE;
	IMB_MGR *mgr = alloc_mb_mgr(0);

	if (mgr == NULL)
		return NULL;
	init_mb_mgr_auto(mgr, &arch);
	if (imb_get_errno(mgr) != 0)
		goto refused;
	if (arch <= IMB_ARCH_NOAESNI || arch >= IMB_ARCH_NUM)
		goto refused;
	if ((mgr->features & IMB_FEATURE_AESNI) == 0)
		goto refused;
	atomic_store_explicit(&chosen_arch, arch, memory_order_relaxed);
	return mgr;

refused:
	free_mb_mgr(mgr);
	return NULL;
}

void
p2sgw_crypto_mgr_free(IMB_MGR *mgr)
{
	if (mgr != NULL)
		free_mb_mgr(mgr);
}

/* ---- constant time, wiping, storage ---------------------------------- */

int
p2sgw_crypto_memneq(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	uint64_t d = 0, u, v;
	size_t i = 0;

	/* eight bytes at a time: ICVs are 12 or 16 bytes, compared per packet */
	for (; i + sizeof(u) <= n; i += sizeof(u)) {
		memcpy(&u, x + i, sizeof(u));
		memcpy(&v, y + i, sizeof(v));
		d |= u ^ v;
		/* keep the compiler from ending the loop early on d != 0 */
		__asm__ volatile("" : "+r"(d));
	}
	for (; i < n; i++) {
		d |= (uint64_t)(x[i] ^ y[i]);
		__asm__ volatile("" : "+r"(d));
	}
	return d != 0;
}

void
p2sgw_crypto_key_wipe(struct p2sgw_crypto_key *k)
{
	if (k != NULL)
		explicit_bzero(k, sizeof(*k));
}

struct p2sgw_crypto_key *
p2sgw_crypto_key_alloc(void)
{
	struct p2sgw_crypto_key *k;

	k = aligned_alloc(_Alignof(struct p2sgw_crypto_key), sizeof(*k));
	if (k != NULL)
		memset(k, 0, sizeof(*k));
	return k;
}

void
p2sgw_crypto_key_free(struct p2sgw_crypto_key *k)
{
	p2sgw_crypto_key_wipe(k);
	free(k);
}

/* ---- AES-NI single block --------------------------------------------- */

/* IPsec-MB's AES-256 encryption schedule is the FIPS-197 one: 15 round
 * keys of 16 bytes in round order (checked against FIPS-197 C.3). */
__attribute__((target("aes")))
static inline __m128i
aes256_encrypt(const uint8_t *rk, __m128i b)
{
	const __m128i *r = (const __m128i *)(const void *)rk;

	b = _mm_xor_si128(b, _mm_load_si128(&r[0]));
	for (int i = 1; i < 14; i++)
		b = _mm_aesenc_si128(b, _mm_load_si128(&r[i]));
	return _mm_aesenclast_si128(b, _mm_load_si128(&r[14]));
}

__attribute__((target("aes")))
void
p2sgw_aes256_encrypt_block(const struct p2sgw_crypto_key *k,
			   const uint8_t in[P2SGW_AES_BLOCK],
			   uint8_t out[P2SGW_AES_BLOCK])
{
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)in);

	b = aes256_encrypt(k->cbc.enc, b);
	_mm_storeu_si128((__m128i *)(void *)out, b);
}

/* IV = AES_K(seed || be64(seq)): one block cipher per packet. SEQ never
 * repeats for a key, so neither does the IV; the seed is secret (derived
 * from K), so nobody without K can choose a plaintext block that meets a
 * future IV's input. */
__attribute__((target("aes")))
void
p2sgw_cbc_make_iv(const struct p2sgw_crypto_key *k, uint64_t seq,
		  uint8_t iv[P2SGW_CBC_IV_LEN])
{
	uint64_t seed;
	__m128i b;

	memcpy(&seed, k->cbc.iv_seed, sizeof(seed));
	/* little-endian lanes: bytes 0..7 = seed, bytes 8..15 = seq BE */
	b = _mm_set_epi64x((long long)__builtin_bswap64(seq), (long long)seed);
	b = aes256_encrypt(k->cbc.enc, b);
	_mm_storeu_si128((__m128i *)(void *)iv, b);
}

/* ---- key expansion (once per SA) ------------------------------------- */

static int
gcm_key_init(IMB_MGR *mgr, struct p2sgw_crypto_key *k,
	     const uint8_t *keymat, size_t keymat_len, size_t auth_len)
{
	if (keymat_len != P2SGW_GCM_KEYMAT_LEN || auth_len != 0)
		return -1;
	IMB_AES256_GCM_PRE(mgr, keymat, &k->gcm);
	memcpy(k->salt, keymat + P2SGW_AES256_KEY_LEN, P2SGW_GCM_SALT_LEN);
	k->icv_len = P2SGW_GCM_ICV_LEN;
	k->iv_len = P2SGW_GCM_IV_LEN;
	k->block_len = P2SGW_GCM_BLOCK;
	return 0;
}

/* RFC 2104 inner and outer states after one block of key^ipad, key^opad,
 * which is what IPsec-MB's HMAC jobs start from. */
static void
hmac_precompute(IMB_MGR *mgr, bool sha1, const uint8_t *key, size_t key_len,
		uint8_t ipad[P2SGW_HMAC_STATE_LEN],
		uint8_t opad[P2SGW_HMAC_STATE_LEN])
{
	uint8_t kb[P2SGW_HMAC_BLOCK_LEN] = { 0 };
	uint8_t blk[P2SGW_HMAC_BLOCK_LEN];

	if (key_len > P2SGW_HMAC_BLOCK_LEN) {
		if (sha1)
			IMB_SHA1(mgr, key, key_len, kb);
		else
			IMB_SHA256(mgr, key, key_len, kb);
	} else if (key_len > 0) {
		memcpy(kb, key, key_len);
	}
	for (size_t i = 0; i < sizeof(blk); i++)
		blk[i] = kb[i] ^ 0x36;
	if (sha1)
		IMB_SHA1_ONE_BLOCK(mgr, blk, ipad);
	else
		IMB_SHA256_ONE_BLOCK(mgr, blk, ipad);
	for (size_t i = 0; i < sizeof(blk); i++)
		blk[i] = kb[i] ^ 0x5c;
	if (sha1)
		IMB_SHA1_ONE_BLOCK(mgr, blk, opad);
	else
		IMB_SHA256_ONE_BLOCK(mgr, blk, opad);
	explicit_bzero(kb, sizeof(kb));
	explicit_bzero(blk, sizeof(blk));
}

static int
cbc_key_init(IMB_MGR *mgr, struct p2sgw_crypto_key *k, enum p2sgw_suite suite,
	     const uint8_t *enc_key, size_t enc_len,
	     const uint8_t *auth_key, size_t auth_len)
{
	bool sha1 = suite == P2SGW_SUITE_AES256CBC_SHA1;
	size_t want = sha1 ? P2SGW_SHA1_KEY_LEN : P2SGW_SHA256_KEY_LEN;
	uint8_t seed[P2SGW_AES_BLOCK];

	if (enc_len != P2SGW_AES256_KEY_LEN || auth_key == NULL ||
	    auth_len != want)
		return -1;
	IMB_AES_KEYEXP_256(mgr, enc_key, k->cbc.enc, k->cbc.dec);
	hmac_precompute(mgr, sha1, auth_key, auth_len, k->cbc.ipad, k->cbc.opad);
	p2sgw_aes256_encrypt_block(k, (const uint8_t *)iv_seed_label, seed);
	memcpy(k->cbc.iv_seed, seed, sizeof(k->cbc.iv_seed));
	explicit_bzero(seed, sizeof(seed));
	k->icv_len = sha1 ? P2SGW_SHA1_96_ICV_LEN : P2SGW_SHA256_128_ICV_LEN;
	k->iv_len = P2SGW_CBC_IV_LEN;
	k->block_len = P2SGW_CBC_BLOCK;
	return 0;
}

int
p2sgw_crypto_key_init(IMB_MGR *mgr, struct p2sgw_crypto_key *k,
		      enum p2sgw_suite suite,
		      const uint8_t *enc_key, size_t enc_len,
		      const uint8_t *auth_key, size_t auth_len)
{
	int rc = -1;

	if (mgr == NULL || k == NULL)
		return -1;
	explicit_bzero(k, sizeof(*k));
	if (enc_key == NULL)
		return -1;
	switch (suite) {
	case P2SGW_SUITE_AES256GCM16:
		rc = gcm_key_init(mgr, k, enc_key, enc_len, auth_len);
		break;
	case P2SGW_SUITE_AES256CBC_SHA256:
	case P2SGW_SUITE_AES256CBC_SHA1:
		rc = cbc_key_init(mgr, k, suite, enc_key, enc_len,
				  auth_key, auth_len);
		break;
	default:
		break;
	}
	if (rc != 0) {
		explicit_bzero(k, sizeof(*k));
		return -1;
	}
	k->suite = (uint8_t)suite;
	return 0;
}

/* ---- AES-256-GCM, single buffer -------------------------------------- */

static inline void
gcm_nonce(const struct p2sgw_crypto_key *k, const uint8_t *iv,
	  uint8_t nonce[P2SGW_GCM_NONCE_LEN])
{
	memcpy(nonce, k->salt, P2SGW_GCM_SALT_LEN);
	memcpy(nonce + P2SGW_GCM_SALT_LEN, iv, P2SGW_GCM_IV_LEN);
}

/* RFC 4106 allows 8, 12 and 16-byte ICVs. */
static inline bool
gcm_tag_len_ok(size_t tag_len)
{
	return tag_len == 8 || tag_len == 12 || tag_len == P2SGW_GCM_ICV_LEN;
}

void
p2sgw_gcm_encrypt(IMB_MGR *mgr, const struct p2sgw_crypto_key *k,
		  const uint8_t iv[P2SGW_GCM_IV_LEN],
		  const uint8_t *aad, size_t aad_len,
		  const uint8_t *in, uint8_t *out, size_t len,
		  uint8_t *tag, size_t tag_len)
{
	struct gcm_context_data ctx;
	uint8_t nonce[P2SGW_GCM_NONCE_LEN];
	uint8_t full[P2SGW_GCM_ICV_LEN];

	gcm_nonce(k, iv, nonce);
	IMB_AES256_GCM_ENC(mgr, &k->gcm, &ctx, out, in, len, nonce,
			   aad, aad_len, full, sizeof(full));
	memcpy(tag, full, tag_len < sizeof(full) ? tag_len : sizeof(full));
}

int
p2sgw_gcm_decrypt(IMB_MGR *mgr, const struct p2sgw_crypto_key *k,
		  const uint8_t iv[P2SGW_GCM_IV_LEN],
		  const uint8_t *aad, size_t aad_len,
		  const uint8_t *in, uint8_t *out, size_t len,
		  const uint8_t *tag, size_t tag_len)
{
	struct gcm_context_data ctx;
	uint8_t nonce[P2SGW_GCM_NONCE_LEN];
	uint8_t calc[P2SGW_GCM_ICV_LEN];

	if (k->suite != P2SGW_SUITE_AES256GCM16 || !gcm_tag_len_ok(tag_len))
		return -1;
	gcm_nonce(k, iv, nonce);
	IMB_AES256_GCM_DEC(mgr, &k->gcm, &ctx, out, in, len, nonce,
			   aad, aad_len, calc, sizeof(calc));
	return p2sgw_crypto_memneq(calc, tag, tag_len) ? -1 : 0;
}

/* ---- CBC + HMAC through IPsec-MB's synchronous bursts ----------------- */

/* IMB_SUBMIT_CIPHER_BURST / IMB_SUBMIT_HASH_BURST take a caller-owned job
 * array and return with every job finished, so nothing is left queued in
 * the manager; they measured faster here than the job queue
 * (IMB_SUBMIT_JOB) and the asynchronous burst API. One hash burst carries
 * a single algorithm, so SHA-256 jobs go first and SHA-1 jobs after. */

static inline bool
cbc_suite(unsigned suite)
{
	return suite == P2SGW_SUITE_AES256CBC_SHA256 ||
	       suite == P2SGW_SUITE_AES256CBC_SHA1;
}

static inline IMB_HASH_ALG
hmac_alg(unsigned suite)
{
	return suite == P2SGW_SUITE_AES256CBC_SHA1 ? IMB_AUTH_HMAC_SHA_1 :
						     IMB_AUTH_HMAC_SHA_256;
}

/* The engine's limits, and the ESP shape: the ciphertext lies inside the
 * authenticated range, so nothing is decrypted that was not authenticated. */
static inline bool
cbc_op_ok(const struct p2sgw_cbc_op *op)
{
	uintptr_t off;

	if (op->key == NULL || !cbc_suite(op->key->suite))
		return false;
	if (op->iv == NULL || op->data == NULL || op->auth == NULL ||
	    op->icv == NULL)
		return false;
	if (op->len == 0 || op->len % P2SGW_CBC_BLOCK != 0 ||
	    op->len > P2SGW_CRYPTO_CIPHER_LEN_MAX ||
	    op->auth_len > P2SGW_CRYPTO_HASH_LEN_MAX)
		return false;
	if ((uintptr_t)op->data < (uintptr_t)op->auth)
		return false;
	off = (uintptr_t)op->data - (uintptr_t)op->auth;
	return off <= op->auth_len && op->len <= op->auth_len - off;
}

static inline void
job_hmac(IMB_JOB *job, unsigned suite, const uint8_t *ipad,
	 const uint8_t *opad, const uint8_t *src, uint64_t len,
	 uint8_t *tag, uint64_t tag_len)
{
	job->hash_alg = hmac_alg(suite);
	job->src = src;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = tag_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = opad;
	job->status = IMB_STATUS_BEING_PROCESSED;
}

/* One job holds both halves of an op: the cipher reads SRC + offset and
 * writes DST = DATA in place; the hash reads [AUTH, AUTH + AUTH_LEN). */
static inline void
job_fill(IMB_JOB *job, struct p2sgw_cbc_op *op, IMB_CIPHER_DIRECTION dir,
	 uint8_t *tag)
{
	const struct p2sgw_crypto_key *k = op->key;

	job_hmac(job, k->suite, k->cbc.ipad, k->cbc.opad, op->auth,
		 op->auth_len, tag, k->icv_len);
	job->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH :
						    IMB_ORDER_HASH_CIPHER;
	job->cipher_mode = IMB_CIPHER_CBC;
	job->cipher_direction = dir;
	job->enc_keys = k->cbc.enc;
	job->dec_keys = k->cbc.dec;
	job->key_len_in_bytes = IMB_KEY_256_BYTES;
	job->dst = op->data;
	job->cipher_start_src_offset_in_bytes =
		(uintptr_t)op->data - (uintptr_t)op->auth;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->iv = op->iv;
	job->iv_len_in_bytes = P2SGW_CBC_IV_LEN;
	job->user_data = op;
}

/* Jobs for the well-formed ops, SHA-256 first: returns their number and
 * the SHA-256 count in *N256. Every op starts with status -1. For decrypt
 * the tags go to the scratch TAGS (by job index), else to the op's ICV. */
static unsigned
jobs_build(IMB_JOB *jobs, struct p2sgw_cbc_op *ops, unsigned n,
	   IMB_CIPHER_DIRECTION dir, uint8_t (*tags)[P2SGW_HMAC_STATE_LEN],
	   unsigned *n256)
{
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++)
		ops[i].status = -1;
	for (int pass = 0; pass < 2; pass++) {
		unsigned suite = pass == 0 ? P2SGW_SUITE_AES256CBC_SHA256 :
					     P2SGW_SUITE_AES256CBC_SHA1;

		for (unsigned i = 0; i < n; i++) {
			struct p2sgw_cbc_op *op = &ops[i];

			if (!cbc_op_ok(op) || op->key->suite != suite)
				continue;
			job_fill(&jobs[m], op, dir,
				 tags != NULL ? tags[m] : op->icv);
			m++;
		}
		if (pass == 0)
			*n256 = m;
	}
	return m;
}

static inline void
hash_bursts(IMB_MGR *mgr, IMB_JOB *jobs, unsigned m, unsigned n256)
{
	if (n256 > 0)
		IMB_SUBMIT_HASH_BURST(mgr, jobs, n256, IMB_AUTH_HMAC_SHA_256);
	if (m > n256)
		IMB_SUBMIT_HASH_BURST(mgr, jobs + n256, m - n256,
				      IMB_AUTH_HMAC_SHA_1);
}

/* A burst whose validation fails runs none of its jobs and returns 0;
 * the per-job status (reset before each burst) is what counts. */
static inline void
jobs_reset(IMB_JOB *jobs, unsigned m)
{
	for (unsigned j = 0; j < m; j++)
		jobs[j].status = IMB_STATUS_BEING_PROCESSED;
}

static inline void
jobs_report(const IMB_JOB *jobs, unsigned m)
{
	for (unsigned j = 0; j < m; j++) {
		struct p2sgw_cbc_op *op = jobs[j].user_data;

		op->status = jobs[j].status == IMB_STATUS_COMPLETED ? 0 : -1;
	}
}

static inline unsigned
count_good(const struct p2sgw_cbc_op *ops, unsigned n)
{
	unsigned good = 0;

	for (unsigned i = 0; i < n; i++)
		good += ops[i].status == 0;
	return good;
}

/* Encrypt-then-MAC: CBC in place for all, then HMAC over the ESP header,
 * IV and ciphertext into each ICV. */
static void
encrypt_chunk(IMB_MGR *mgr, struct p2sgw_cbc_op *ops, unsigned n)
{
	IMB_JOB jobs[P2SGW_CRYPTO_BURST_MAX];
	unsigned m, n256;

	m = jobs_build(jobs, ops, n, IMB_DIR_ENCRYPT, NULL, &n256);
	if (m == 0)
		return;
	if (IMB_SUBMIT_CIPHER_BURST(mgr, jobs, m, IMB_CIPHER_CBC,
				    IMB_DIR_ENCRYPT, IMB_KEY_256_BYTES) != m)
		return;
	jobs_reset(jobs, m);
	hash_bursts(mgr, jobs, m, n256);
	jobs_report(jobs, m);
}

unsigned
p2sgw_cbc_hmac_encrypt_burst(IMB_MGR *mgr, struct p2sgw_cbc_op *ops,
			     unsigned n)
{
	for (unsigned i = 0; i < n; i += P2SGW_CRYPTO_BURST_MAX) {
		unsigned m = n - i;

		encrypt_chunk(mgr, ops + i, m < P2SGW_CRYPTO_BURST_MAX ?
						    m : P2SGW_CRYPTO_BURST_MAX);
	}
	return count_good(ops, n);
}

/* HMAC of every well-formed op into scratch tags, a constant-time
 * comparison with the ICV on the wire, then CBC in place only for the
 * ops that matched: a forged packet is never decrypted. */
static void
decrypt_chunk(IMB_MGR *mgr, struct p2sgw_cbc_op *ops, unsigned n)
{
	IMB_JOB jobs[P2SGW_CRYPTO_BURST_MAX];
	uint8_t tags[P2SGW_CRYPTO_BURST_MAX][P2SGW_HMAC_STATE_LEN];
	unsigned m, n256, good = 0;

	m = jobs_build(jobs, ops, n, IMB_DIR_DECRYPT, tags, &n256);
	hash_bursts(mgr, jobs, m, n256);
	for (unsigned j = 0; j < m; j++) {
		const struct p2sgw_cbc_op *op = jobs[j].user_data;

		if (jobs[j].status != IMB_STATUS_COMPLETED ||
		    p2sgw_crypto_memneq(tags[j], op->icv, op->key->icv_len))
			continue;
		if (good != j)
			jobs[good] = jobs[j];
		jobs[good++].status = IMB_STATUS_BEING_PROCESSED;
	}
	if (good == 0)
		return;
	IMB_SUBMIT_CIPHER_BURST(mgr, jobs, good, IMB_CIPHER_CBC,
				IMB_DIR_DECRYPT, IMB_KEY_256_BYTES);
	jobs_report(jobs, good);
}

unsigned
p2sgw_cbc_hmac_decrypt_burst(IMB_MGR *mgr, struct p2sgw_cbc_op *ops,
			     unsigned n)
{
	for (unsigned i = 0; i < n; i += P2SGW_CRYPTO_BURST_MAX) {
		unsigned m = n - i;

		decrypt_chunk(mgr, ops + i, m < P2SGW_CRYPTO_BURST_MAX ?
						    m : P2SGW_CRYPTO_BURST_MAX);
	}
	return count_good(ops, n);
}

/* ---- plain HMAC (control plane, tests) ------------------------------- */

static int
hmac_once(IMB_MGR *mgr, unsigned suite, const uint8_t *ipad,
	  const uint8_t *opad, const uint8_t *data, size_t len,
	  uint8_t *out, size_t out_len)
{
	size_t digest = suite == P2SGW_SUITE_AES256CBC_SHA1 ?
				P2SGW_SHA1_DIGEST_LEN : P2SGW_SHA256_DIGEST_LEN;
	uint8_t full[P2SGW_SHA256_DIGEST_LEN];
	IMB_JOB job;

	if (data == NULL || len == 0 || len > P2SGW_CRYPTO_HASH_LEN_MAX ||
	    out_len > digest)
		goto refused;
	memset(&job, 0, sizeof(job));
	job.cipher_mode = IMB_CIPHER_NULL;
	job.chain_order = IMB_ORDER_HASH_CIPHER;
	job_hmac(&job, suite, ipad, opad, data, len, full, digest);
	if (IMB_SUBMIT_HASH_BURST(mgr, &job, 1, hmac_alg(suite)) != 1 ||
	    job.status != IMB_STATUS_COMPLETED)
		goto refused;
	memcpy(out, full, out_len);
	explicit_bzero(full, sizeof(full));
	return 0;

refused:
	memset(out, 0, out_len);
	return -1;
}

void
p2sgw_hmac(IMB_MGR *mgr, const struct p2sgw_crypto_key *k,
	   const uint8_t *data, size_t len, uint8_t *out, size_t out_len)
{
	if (!cbc_suite(k->suite)) {
		memset(out, 0, out_len);
		return;
	}
	hmac_once(mgr, k->suite, k->cbc.ipad, k->cbc.opad, data, len,
		  out, out_len);
}

int
p2sgw_hmac_raw(IMB_MGR *mgr, enum p2sgw_suite suite,
	       const uint8_t *key, size_t key_len,
	       const uint8_t *data, size_t len,
	       uint8_t *out, size_t out_len)
{
	uint8_t ipad[P2SGW_HMAC_STATE_LEN] __attribute__((aligned(16)));
	uint8_t opad[P2SGW_HMAC_STATE_LEN] __attribute__((aligned(16)));
	int rc;

	if (!cbc_suite(suite) || (key == NULL && key_len != 0)) {
		memset(out, 0, out_len);
		return -1;
	}
	hmac_precompute(mgr, suite == P2SGW_SUITE_AES256CBC_SHA1, key, key_len,
			ipad, opad);
	rc = hmac_once(mgr, suite, ipad, opad, data, len, out, out_len);
	explicit_bzero(ipad, sizeof(ipad));
	explicit_bzero(opad, sizeof(opad));
	return rc;
}
