/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of drivers/crypto.c against published test vectors:
 *  - AES-256-GCM: "The Galois/Counter Mode of Operation" (McGrew, Viega)
 *    test cases 13-16, and the AES-256 ESP packets of
 *    draft-mcgrew-gcm-test-01 section 4;
 *  - HMAC-SHA-256: RFC 4231 cases 1-7; HMAC-SHA-1: RFC 2202 cases 1-7;
 *    HMAC-SHA-256-128: RFC 4868 section 2.7.2.1 (AUTH256-1..4);
 *  - AES-256-CBC: NIST SP 800-38A F.2.5 / F.2.6;
 *  - AES-256 single block: FIPS-197 appendix C.3;
 * plus CBC+HMAC bursts, CBC IV generation and key handling.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static unsigned checks, failures;

#define CHECK(cond, name)                                                   \
	do {                                                                \
		checks++;                                                   \
		if (!(cond)) {                                              \
			failures++;                                         \
			fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__,  \
				__LINE__, (name), #cond);                   \
		}                                                           \
	} while (0)

enum { BUF_MAX = 2048 };

static IMB_MGR *mgr;

/* ---- helpers ------------------------------------------------------------ */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode HEX (whitespace allowed) into OUT; returns the byte count. */
static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex != '\0'; hex++) {
		int v = hexval(*hex);

		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == max) {
			fprintf(stderr, "hex vector longer than %zu bytes\n", max);
			exit(2);
		}
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return n;
}

static size_t
fill(uint8_t *out, uint8_t byte, size_t n)
{
	memset(out, byte, n);
	return n;
}

static struct p2sgw_crypto_key *
key_new(enum p2sgw_suite suite, const uint8_t *ek, size_t elen,
	const uint8_t *ak, size_t alen)
{
	struct p2sgw_crypto_key *k = p2sgw_crypto_key_alloc();

	if (k == NULL || p2sgw_crypto_key_init(mgr, k, suite, ek, elen,
					       ak, alen) != 0) {
		fprintf(stderr, "key_init(suite %d) failed\n", suite);
		exit(2);
	}
	return k;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
rng_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static bool
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* ---- AES-256-GCM -------------------------------------------------------- */

/* Each vector as the RFC 4106 engine sees it: 32-byte key, 4-byte salt,
 * 8-byte IV. For the GCM-spec cases salt||IV is the spec's 96-bit IV. */
struct gcm_vec {
	const char *name;
	const char *key, *salt, *iv, *aad, *pt, *ct, *tag;
};

static const struct gcm_vec gcm_vecs[] = {
	{ "GCM spec case 13",
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "00000000", "0000000000000000", "", "", "",
	  "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "GCM spec case 14",
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "00000000", "0000000000000000", "",
	  "00000000000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18",
	  "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "GCM spec case 15",
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "cafebabe", "facedbaddecaf888", "",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ "GCM spec case 16",
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "cafebabe", "facedbaddecaf888",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	/* draft-mcgrew-gcm-test-01 section 4: ESP packets with AES-256 keys;
	 * AAD = SPI || sequence number (64-bit when extended). */
	{ "draft-mcgrew ESP SPI 4a2cbfe3 (32-bit seq)",
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
	  "11223344", "0102030405060708", "4a2cbfe300000002",
	  "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	  "7002400020bf0000020405b40101040201020201",
	  "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	  "748a637985771d347f0545659f14e99def842d8e",
	  "b335f4eecfdbf831824b4c4915956c96" },
	{ "draft-mcgrew ESP SPI 17405e67 (ESN, 40 B)",
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
	  "73616c74", "616e640169766563", "17405e67156f3126dd0db99b",
	  "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb712602"
	  "50101f646d540001",
	  "f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57f"
	  "f4d3a31ce673119e",
	  "451626c2415771e3b7eebca614c89b35" },
	{ "draft-mcgrew ESP SPI 17405e67 (ESN, 72 B)",
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
	  "73616c74", "616e640169766563", "17405e67156f3126dd0db99b",
	  "636973636f0172756c657301746865016e6574776501646566696e6501746865"
	  "746563686e6f6c6f67696573017468617477696c6c01646566696e65746f6d6f"
	  "72726f7701020201",
	  "d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18"
	  "d0a6df10e5487df074113e14c641024e3e6773d91a62ee429b043a10e3efe6b0"
	  "12a49363412364f8",
	  "c0cac587f249e56b11e24f30e44ccc76" },
	{ "draft-mcgrew ESP SPI 796b6963 (ESN all ones)",
	  "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961",
	  "7475726e", "333021696765746d", "796b6963ffffffffffffffff",
	  "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
	  "65666768696a6b6c6d6e6f707172737401020201",
	  "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86"
	  "4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9",
	  "d0937ba2945f669368661a329fb4c053" },
};

struct gcm_bufs {
	uint8_t keymat[P2SGW_GCM_KEYMAT_LEN], iv[8], aad[32], tag[16];
	uint8_t pt[BUF_MAX], ct[BUF_MAX], out[BUF_MAX], calc_tag[16];
	size_t aad_len, len;
};

static void
gcm_load(const struct gcm_vec *v, struct gcm_bufs *b)
{
	size_t klen = unhex(v->key, b->keymat, P2SGW_AES256_KEY_LEN);

	klen += unhex(v->salt, b->keymat + klen, P2SGW_GCM_SALT_LEN);
	CHECK(klen == P2SGW_GCM_KEYMAT_LEN, v->name);
	CHECK(unhex(v->iv, b->iv, sizeof(b->iv)) == 8, v->name);
	b->aad_len = unhex(v->aad, b->aad, sizeof(b->aad));
	b->len = unhex(v->pt, b->pt, BUF_MAX);
	CHECK(unhex(v->ct, b->ct, BUF_MAX) == b->len, v->name);
	CHECK(unhex(v->tag, b->tag, sizeof(b->tag)) == 16, v->name);
}

/* A flipped bit anywhere in ciphertext, tag or AAD must fail. */
static void
gcm_tamper(const struct gcm_vec *v, const struct p2sgw_crypto_key *k,
	   struct gcm_bufs *b)
{
	if (b->len > 0) {
		b->ct[b->len / 2] ^= 0x01;
		CHECK(p2sgw_gcm_decrypt(mgr, k, b->iv, b->aad, b->aad_len, b->ct,
					b->out, b->len, b->tag, 16) == -1, v->name);
		b->ct[b->len / 2] ^= 0x01;
	}
	b->tag[15] ^= 0x80;
	CHECK(p2sgw_gcm_decrypt(mgr, k, b->iv, b->aad, b->aad_len, b->ct,
				b->out, b->len, b->tag, 16) == -1, v->name);
	b->tag[15] ^= 0x80;
	if (b->aad_len > 0) {
		b->aad[0] ^= 0x10;
		CHECK(p2sgw_gcm_decrypt(mgr, k, b->iv, b->aad, b->aad_len, b->ct,
					b->out, b->len, b->tag, 16) == -1, v->name);
		b->aad[0] ^= 0x10;
	}
	b->iv[7] ^= 0x01;
	CHECK(p2sgw_gcm_decrypt(mgr, k, b->iv, b->aad, b->aad_len, b->ct,
				b->out, b->len, b->tag, 16) == -1, v->name);
	b->iv[7] ^= 0x01;
}

static void
gcm_one(const struct gcm_vec *v)
{
	static struct gcm_bufs b;
	struct p2sgw_crypto_key *k;

	memset(&b, 0, sizeof(b));
	gcm_load(v, &b);
	k = key_new(P2SGW_SUITE_AES256GCM16, b.keymat, sizeof(b.keymat), NULL, 0);
	CHECK(k->icv_len == 16 && k->iv_len == 8 &&
	      k->block_len == P2SGW_GCM_BLOCK, v->name);
	CHECK(memcmp(k->salt, b.keymat + 32, 4) == 0, v->name);

	p2sgw_gcm_encrypt(mgr, k, b.iv, b.aad, b.aad_len, b.pt, b.out, b.len,
			  b.calc_tag, 16);
	CHECK(memcmp(b.out, b.ct, b.len) == 0, v->name);
	CHECK(memcmp(b.calc_tag, b.tag, 16) == 0, v->name);
	CHECK(p2sgw_gcm_decrypt(mgr, k, b.iv, b.aad, b.aad_len, b.ct, b.out,
				b.len, b.tag, 16) == 0, v->name);
	CHECK(memcmp(b.out, b.pt, b.len) == 0, v->name);

	/* in place, both directions */
	memcpy(b.out, b.pt, b.len);
	p2sgw_gcm_encrypt(mgr, k, b.iv, b.aad, b.aad_len, b.out, b.out, b.len,
			  b.calc_tag, 16);
	CHECK(memcmp(b.out, b.ct, b.len) == 0, v->name);
	CHECK(memcmp(b.calc_tag, b.tag, 16) == 0, v->name);
	CHECK(p2sgw_gcm_decrypt(mgr, k, b.iv, b.aad, b.aad_len, b.out, b.out,
				b.len, b.tag, 16) == 0, v->name);
	CHECK(memcmp(b.out, b.pt, b.len) == 0, v->name);

	/* truncated ICVs of RFC 4106 are prefixes of the full tag */
	CHECK(p2sgw_gcm_decrypt(mgr, k, b.iv, b.aad, b.aad_len, b.ct, b.out,
				b.len, b.tag, 12) == 0, v->name);
	CHECK(p2sgw_gcm_decrypt(mgr, k, b.iv, b.aad, b.aad_len, b.ct, b.out,
				b.len, b.tag, 4) == -1, v->name);
	gcm_tamper(v, k, &b);
	p2sgw_crypto_key_free(k);
}

static void
test_gcm_wrong_key(void)
{
	uint8_t ek[32] = { 1 }, ak[32] = { 2 }, iv[8] = { 0 }, buf[16] = { 0 };
	uint8_t tag[16] = { 0 };
	struct p2sgw_crypto_key *k;

	k = key_new(P2SGW_SUITE_AES256CBC_SHA256, ek, 32, ak, 32);
	CHECK(p2sgw_gcm_decrypt(mgr, k, iv, NULL, 0, buf, buf, 16, tag, 16) == -1,
	      "GCM decrypt refuses a CBC key");
	p2sgw_crypto_key_free(k);
}

static void
test_gcm(void)
{
	for (size_t i = 0; i < sizeof(gcm_vecs) / sizeof(gcm_vecs[0]); i++)
		gcm_one(&gcm_vecs[i]);
	test_gcm_wrong_key();
	printf("  GCM spec cases 17 and 18 skipped: their IVs are 64 and 480 "
	       "bits; an RFC 4106 nonce is always 96 (salt || 8-byte IV)\n");
}

/* ---- HMAC --------------------------------------------------------------- */

struct hmac_vec {
	const char *name;
	uint8_t key_byte;	/* key is KEY_LEN copies of it ... */
	size_t key_len;
	const char *key_hex;	/* ... or this, when set */
	const char *data;	/* ASCII data ... */
	uint8_t data_byte;	/* ... or DATA_LEN copies of this */
	size_t data_len;
	const char *mac;	/* expected, possibly truncated */
};

static const char rfc4231_d6[] =
	"Test Using Larger Than Block-Size Key - Hash Key First";
static const char rfc4231_d7[] =
	"This is a test using a larger than block-size key and a larger than "
	"block-size data. The key needs to be hashed before being used by the "
	"HMAC algorithm.";

static const struct hmac_vec rfc4231[] = {
	{ "RFC 4231 case 1", 0x0b, 20, NULL, "Hi There", 0, 0,
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "RFC 4231 case 2", 0, 0, "4a656665", "what do ya want for nothing?",
	  0, 0,
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "RFC 4231 case 3", 0xaa, 20, NULL, NULL, 0xdd, 50,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "RFC 4231 case 4", 0, 0,
	  "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL, 0xcd, 50,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "RFC 4231 case 5 (128-bit)", 0x0c, 20, NULL, "Test With Truncation",
	  0, 0, "a3b6167473100ee06e0c796c2955552b" },
	{ "RFC 4231 case 6", 0xaa, 131, NULL, rfc4231_d6, 0, 0,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "RFC 4231 case 7", 0xaa, 131, NULL, rfc4231_d7, 0, 0,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

static const struct hmac_vec rfc2202[] = {
	{ "RFC 2202 case 1", 0x0b, 20, NULL, "Hi There", 0, 0,
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "RFC 2202 case 2", 0, 0, "4a656665", "what do ya want for nothing?",
	  0, 0, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ "RFC 2202 case 3", 0xaa, 20, NULL, NULL, 0xdd, 50,
	  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "RFC 2202 case 4", 0, 0,
	  "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL, 0xcd, 50,
	  "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
	{ "RFC 2202 case 5", 0x0c, 20, NULL, "Test With Truncation", 0, 0,
	  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
	{ "RFC 2202 case 5 (96-bit)", 0x0c, 20, NULL, "Test With Truncation",
	  0, 0, "4c1a03424b55e07fe7f27be1" },
	{ "RFC 2202 case 6", 0xaa, 80, NULL,
	  "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
	  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
	{ "RFC 2202 case 7", 0xaa, 80, NULL,
	  "Test Using Larger Than Block-Size Key and Larger Than One "
	  "Block-Size Data", 0, 0,
	  "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
};

/* RFC 4868 2.7.2.1: 32-byte keys as ESP uses them; "mac" is the full
 * PRF-HMAC-SHA-256 output, whose first 16 bytes are HMAC-SHA-256-128. */
static const struct hmac_vec rfc4868[] = {
	{ "RFC 4868 AUTH256-1", 0x0b, 32, NULL, "Hi There", 0, 0,
	  "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7" },
	{ "RFC 4868 AUTH256-2", 0, 0,
	  "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665",
	  "what do ya want for nothing?", 0, 0,
	  "167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6" },
	{ "RFC 4868 AUTH256-3", 0xaa, 32, NULL, NULL, 0xdd, 50,
	  "cdcb1220d1ecccea91e53aba3092f962e549fe6ce9ed7fdc43191fbde45c30b0" },
	{ "RFC 4868 AUTH256-4", 0, 0,
	  "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
	  NULL, 0xcd, 50,
	  "372efcf9b40b35c2115b1346903d2ef42fced46f0846e7257bb156d3d7b30d3f" },
};

struct hmac_bufs {
	uint8_t key[160], data[256], mac[32], out[32];
	size_t key_len, data_len, mac_len;
};

static void
hmac_load(const struct hmac_vec *v, struct hmac_bufs *b)
{
	if (v->key_hex != NULL)
		b->key_len = unhex(v->key_hex, b->key, sizeof(b->key));
	else
		b->key_len = fill(b->key, v->key_byte, v->key_len);
	if (v->data != NULL) {
		b->data_len = strlen(v->data);
		memcpy(b->data, v->data, b->data_len);
	} else {
		b->data_len = fill(b->data, v->data_byte, v->data_len);
	}
	b->mac_len = unhex(v->mac, b->mac, sizeof(b->mac));
}

static void
hmac_table(enum p2sgw_suite suite, const struct hmac_vec *t, size_t n)
{
	struct hmac_bufs b;

	for (size_t i = 0; i < n; i++) {
		hmac_load(&t[i], &b);
		CHECK(p2sgw_hmac_raw(mgr, suite, b.key, b.key_len, b.data,
				     b.data_len, b.out, b.mac_len) == 0, t[i].name);
		CHECK(memcmp(b.out, b.mac, b.mac_len) == 0, t[i].name);
	}
}

/* The decrypt burst verifies a vector's MAC as an ESP ICV: the whole data
 * is the authenticated range, its last 16 bytes are the "ciphertext". */
static void
hmac_burst_icv(struct p2sgw_crypto_key *k, const char *name,
	       struct hmac_bufs *b, size_t icv_len)
{
	struct p2sgw_cbc_op op;
	uint8_t iv[16] = { 0 }, icv[16], sent[sizeof(b->data)];

	if (b->data_len < P2SGW_CBC_BLOCK)
		return;
	memcpy(icv, b->mac, icv_len);
	memcpy(sent, b->data, b->data_len);
	op = (struct p2sgw_cbc_op){
		.key = k, .iv = iv, .data = b->data + b->data_len - 16, .len = 16,
		.auth = b->data, .auth_len = (uint32_t)b->data_len, .icv = icv,
	};
	CHECK(p2sgw_cbc_hmac_decrypt_burst(mgr, &op, 1) == 1, name);
	CHECK(op.status == 0, name);
	memcpy(b->data, sent, b->data_len);	/* undo the decryption */
	icv[icv_len - 1] ^= 1;
	CHECK(p2sgw_cbc_hmac_decrypt_burst(mgr, &op, 1) == 0, name);
	CHECK(op.status == -1, name);
}

static void
test_rfc4868(void)
{
	uint8_t ek[32] = { 0 };
	struct hmac_bufs b;

	for (size_t i = 0; i < sizeof(rfc4868) / sizeof(rfc4868[0]); i++) {
		const struct hmac_vec *v = &rfc4868[i];
		struct p2sgw_crypto_key *k;

		hmac_load(v, &b);
		k = key_new(P2SGW_SUITE_AES256CBC_SHA256, ek, 32, b.key, b.key_len);
		p2sgw_hmac(mgr, k, b.data, b.data_len, b.out, 32);
		CHECK(memcmp(b.out, b.mac, 32) == 0, v->name);
		p2sgw_hmac(mgr, k, b.data, b.data_len, b.out, 16);
		CHECK(memcmp(b.out, b.mac, 16) == 0, v->name);
		hmac_burst_icv(k, v->name, &b, P2SGW_SHA256_128_ICV_LEN);
		p2sgw_crypto_key_free(k);
	}
}

/* RFC 2202 case 5 has a 20-byte key (the ESP HMAC-SHA1-96 key size) and
 * publishes the 96-bit truncation: check it through the burst path. */
static void
test_sha1_96_burst(void)
{
	uint8_t ek[32] = { 0 };
	struct p2sgw_crypto_key *k;
	struct hmac_bufs b;

	hmac_load(&rfc2202[5], &b);
	k = key_new(P2SGW_SUITE_AES256CBC_SHA1, ek, 32, b.key, b.key_len);
	CHECK(k->icv_len == 12, rfc2202[5].name);
	p2sgw_hmac(mgr, k, b.data, b.data_len, b.out, 20);
	CHECK(memcmp(b.out, "\x4c\x1a\x03\x42\x4b\x55\xe0\x7f\xe7\xf2\x7b\xe1"
			    "\xd5\x8b\xb9\x32\x4a\x9a\x5a\x04", 20) == 0,
	      rfc2202[5].name);
	hmac_burst_icv(k, rfc2202[5].name, &b, P2SGW_SHA1_96_ICV_LEN);
	p2sgw_crypto_key_free(k);
}

static void
test_hmac_limits(void)
{
	uint8_t key[32] = { 1 }, data[8] = { 2 }, out[33];

	CHECK(p2sgw_hmac_raw(mgr, P2SGW_SUITE_AES256CBC_SHA256, key, 32, data,
			     0, out, 32) == -1, "HMAC of empty data refused");
	CHECK(p2sgw_hmac_raw(mgr, P2SGW_SUITE_AES256CBC_SHA256, key, 32, data,
			     8, out, 33) == -1, "HMAC-SHA256 output > 32");
	CHECK(p2sgw_hmac_raw(mgr, P2SGW_SUITE_AES256CBC_SHA1, key, 32, data,
			     8, out, 21) == -1, "HMAC-SHA1 output > 20");
	CHECK(all_zero(out, 21), "refused HMAC output zeroed");
	CHECK(p2sgw_hmac_raw(mgr, P2SGW_SUITE_AES256GCM16, key, 32, data,
			     8, out, 16) == -1, "HMAC with GCM suite");
}

static void
test_hmac(void)
{
	hmac_table(P2SGW_SUITE_AES256CBC_SHA256, rfc4231,
		   sizeof(rfc4231) / sizeof(rfc4231[0]));
	hmac_table(P2SGW_SUITE_AES256CBC_SHA1, rfc2202,
		   sizeof(rfc2202) / sizeof(rfc2202[0]));
	test_rfc4868();
	test_sha1_96_burst();
	test_hmac_limits();
}

/* ---- AES-256-CBC: SP 800-38A F.2.5 / F.2.6 ------------------------------ */

static const char sp800_38a_key[] =
	"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
static const char sp800_38a_iv[] = "000102030405060708090a0b0c0d0e0f";
static const char sp800_38a_pt[] =
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char sp800_38a_ct[] =
	"f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	"39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b";

static void
test_cbc_sp800_38a(void)
{
	uint8_t key[32], iv[16], pt[64], ct[64], buf[64], icv[16], ak[32];
	struct p2sgw_crypto_key *k;
	struct p2sgw_cbc_op op;

	unhex(sp800_38a_key, key, sizeof(key));
	unhex(sp800_38a_iv, iv, sizeof(iv));
	unhex(sp800_38a_pt, pt, sizeof(pt));
	unhex(sp800_38a_ct, ct, sizeof(ct));
	fill(ak, 0x5a, sizeof(ak));
	k = key_new(P2SGW_SUITE_AES256CBC_SHA256, key, 32, ak, 32);
	CHECK(k->icv_len == 16 && k->iv_len == 16 && k->block_len == 16,
	      "CBC key lengths");

	memcpy(buf, pt, sizeof(buf));
	op = (struct p2sgw_cbc_op){ .key = k, .iv = iv, .data = buf, .len = 64,
				    .auth = buf, .auth_len = 64, .icv = icv };
	CHECK(p2sgw_cbc_hmac_encrypt_burst(mgr, &op, 1) == 1, "SP 800-38A F.2.5");
	CHECK(memcmp(buf, ct, 64) == 0, "SP 800-38A F.2.5");

	/* the ICV is HMAC-SHA-256-128 of the ciphertext */
	uint8_t mac[16];

	p2sgw_hmac(mgr, k, ct, 64, mac, 16);
	CHECK(memcmp(icv, mac, 16) == 0, "encrypt ICV = HMAC(ciphertext)");

	CHECK(p2sgw_cbc_hmac_decrypt_burst(mgr, &op, 1) == 1, "SP 800-38A F.2.6");
	CHECK(memcmp(buf, pt, 64) == 0, "SP 800-38A F.2.6");
	p2sgw_crypto_key_free(k);
}

/* ---- CBC + HMAC bursts -------------------------------------------------- */

enum {
	ESP_HDR = 8,		/* SPI + sequence number */
	ESP_SEQ_HI = 4,		/* ESN high half, authenticated only */
	PKT_MAX = ESP_HDR + 16 + 1504 + 16,
	BURST = 40,
};

struct pkt {
	uint8_t buf[PKT_MAX + 16];	/* + guard bytes after the ICV */
	uint8_t orig[1504];
	uint32_t len;
};

static struct pkt pkts[BURST];
static struct p2sgw_cbc_op ops[BURST];

/* Packet I: [SPI|seq][IV][payload LEN][ICV][guard]; KEYS alternate. */
static void
burst_build(struct p2sgw_crypto_key *const keys[2])
{
	for (unsigned i = 0; i < BURST; i++) {
		struct pkt *p = &pkts[i];
		const struct p2sgw_crypto_key *k = keys[i % 2];
		uint8_t *iv = p->buf + ESP_HDR;

		p->len = (uint32_t)(1 + rng() % 94) * 16;	/* 16..1504 */
		memset(p->buf, 0xee, sizeof(p->buf));
		rng_fill(p->buf, ESP_HDR);
		p2sgw_cbc_make_iv(k, i + 1, iv);
		rng_fill(p->orig, p->len);
		memcpy(iv + 16, p->orig, p->len);
		ops[i] = (struct p2sgw_cbc_op){
			.key = k, .iv = iv, .data = iv + 16, .len = p->len,
			.auth = p->buf, .auth_len = ESP_HDR + 16 + p->len,
			.icv = iv + 16 + p->len, .status = 99,
		};
	}
}

static bool
guard_intact(const struct pkt *p, const struct p2sgw_cbc_op *op)
{
	const uint8_t *g = op->icv + op->key->icv_len;
	size_t n = (size_t)(p->buf + sizeof(p->buf) - g);

	for (size_t i = 0; i < n; i++)
		if (g[i] != 0xee)
			return false;
	return true;
}

static void
test_burst_round_trip(struct p2sgw_crypto_key *const keys[2])
{
	unsigned good_ct = 0, good_guard = 0, good_pt = 0;

	burst_build(keys);
	CHECK(p2sgw_cbc_hmac_encrypt_burst(mgr, ops, BURST) == BURST,
	      "burst encrypt");
	for (unsigned i = 0; i < BURST; i++) {
		good_ct += ops[i].status == 0 &&
			   memcmp(ops[i].data, pkts[i].orig, pkts[i].len) != 0;
		good_guard += guard_intact(&pkts[i], &ops[i]);
	}
	CHECK(good_ct == BURST, "burst encrypt changed every payload");
	CHECK(good_guard == BURST, "ICV written with the suite's length only");
	CHECK(p2sgw_cbc_hmac_decrypt_burst(mgr, ops, BURST) == BURST,
	      "burst decrypt");
	for (unsigned i = 0; i < BURST; i++)
		good_pt += ops[i].status == 0 &&
			   memcmp(ops[i].data, pkts[i].orig, pkts[i].len) == 0;
	CHECK(good_pt == BURST, "burst round trip restores every payload");
}

/* Ops 3 (bad ICV) and 17 (bad ciphertext) fail, alone, and stay
 * undecrypted: a forged packet's plaintext is never produced. */
static void
test_burst_forgery(struct p2sgw_crypto_key *const keys[2])
{
	static uint8_t sent3[1504], sent17[1504];
	unsigned flagged = 0;

	burst_build(keys);
	CHECK(p2sgw_cbc_hmac_encrypt_burst(mgr, ops, BURST) == BURST,
	      "forgery burst encrypt");
	ops[3].icv[0] ^= 0x01;
	ops[17].data[pkts[17].len - 1] ^= 0x80;
	memcpy(sent3, ops[3].data, ops[3].len);
	memcpy(sent17, ops[17].data, ops[17].len);
	CHECK(p2sgw_cbc_hmac_decrypt_burst(mgr, ops, BURST) == BURST - 2,
	      "forgery burst returns n-2");
	for (unsigned i = 0; i < BURST; i++) {
		bool bad = i == 3 || i == 17;

		flagged += (ops[i].status != 0) == bad;
		if (!bad)
			CHECK(memcmp(ops[i].data, pkts[i].orig, pkts[i].len) == 0,
			      "good op of a forgery burst decrypted");
	}
	CHECK(flagged == BURST, "exactly ops 3 and 17 flagged");
	CHECK(memcmp(ops[3].data, sent3, ops[3].len) == 0,
	      "op 3 left undecrypted");
	CHECK(memcmp(ops[17].data, sent17, ops[17].len) == 0,
	      "op 17 left undecrypted");
}

static void
test_burst_bad_shape(struct p2sgw_crypto_key *const keys[2])
{
	burst_build(keys);
	ops[0].len = 24;			/* not a block multiple */
	ops[1].auth_len = ESP_HDR;		/* ciphertext not authenticated */
	ops[2].auth = ops[2].data + 16;		/* data before auth */
	ops[3].key = NULL;
	CHECK(p2sgw_cbc_hmac_encrypt_burst(mgr, ops, BURST) == BURST - 4,
	      "malformed ops refused");
	for (unsigned i = 0; i < 4; i++)
		CHECK(ops[i].status == -1, "malformed op status");
	CHECK(p2sgw_cbc_hmac_encrypt_burst(mgr, ops, 0) == 0, "empty burst");
}

/* ESN (RFC 4303 2.2.1): the high half of the sequence number is
 * authenticated after the payload, in the ICV's slot, and the ICV is then
 * written over it; inbound keeps the received ICV aside. */
static void
test_burst_esn(const struct p2sgw_crypto_key *k, const char *name)
{
	static const uint8_t hi[ESP_SEQ_HI] = { 0, 0, 0, 1 };
	uint8_t pkt[ESP_HDR + 16 + 64 + 16], ref[ESP_HDR + 16 + 64 + ESP_SEQ_HI];
	uint8_t orig[64], rx_icv[16], mac[16];
	uint8_t *icv = pkt + ESP_HDR + 16 + 64;
	struct p2sgw_cbc_op op;

	rng_fill(pkt, sizeof(pkt));
	memcpy(orig, pkt + ESP_HDR + 16, sizeof(orig));
	memcpy(icv, hi, sizeof(hi));
	op = (struct p2sgw_cbc_op){
		.key = k, .iv = pkt + ESP_HDR, .data = pkt + ESP_HDR + 16,
		.len = 64, .auth = pkt, .auth_len = sizeof(ref), .icv = icv,
	};
	CHECK(p2sgw_cbc_hmac_encrypt_burst(mgr, &op, 1) == 1, name);
	memcpy(ref, pkt, sizeof(ref) - sizeof(hi));
	memcpy(ref + sizeof(ref) - sizeof(hi), hi, sizeof(hi));
	p2sgw_hmac(mgr, k, ref, sizeof(ref), mac, 16);
	CHECK(memcmp(icv, mac, k->icv_len) == 0, name);

	memcpy(rx_icv, icv, k->icv_len);
	memcpy(icv, hi, sizeof(hi));
	op.icv = rx_icv;
	CHECK(p2sgw_cbc_hmac_decrypt_burst(mgr, &op, 1) == 1, name);
	CHECK(memcmp(pkt + ESP_HDR + 16, orig, sizeof(orig)) == 0, name);
}

static void
test_bursts(void)
{
	static const uint8_t ek0[33] = "0123456789abcdef0123456789abcdef";
	static const uint8_t ek1[33] = "fedcba9876543210fedcba9876543210";
	static const uint8_t ak0[33] = "auth key sha-256 for the tests..";
	static const uint8_t ak1[21] = "auth key sha-1 tests";
	struct p2sgw_crypto_key *keys[2];

	keys[0] = key_new(P2SGW_SUITE_AES256CBC_SHA256, ek0, 32, ak0, 32);
	keys[1] = key_new(P2SGW_SUITE_AES256CBC_SHA1, ek1, 32, ak1, 20);
	CHECK(keys[1]->icv_len == 12, "SHA1-96 ICV length");
	test_burst_round_trip(keys);
	test_burst_forgery(keys);
	test_burst_bad_shape(keys);
	test_burst_esn(keys[0], "ESN seq-hi in the ICV slot, SHA-256-128");
	test_burst_esn(keys[1], "ESN seq-hi in the ICV slot, SHA-1-96");
	p2sgw_crypto_key_free(keys[0]);
	p2sgw_crypto_key_free(keys[1]);
}

/* ---- CBC IV ------------------------------------------------------------- */

static int
cmp_iv(const void *a, const void *b)
{
	return memcmp(a, b, P2SGW_CBC_IV_LEN);
}

/* FIPS-197 C.3, and make_iv = IPsec-MB's CBC with a zero IV (= ECB) of
 * the block seed || be64(seq). */
static void
test_iv_block(void)
{
	uint8_t key[32], in[16], want[16], out[16], ak[32] = { 0 };
	uint8_t zero_iv[16] = { 0 }, icv[16], blk[16], iv[16];
	struct p2sgw_crypto_key *k;
	struct p2sgw_cbc_op op;
	uint64_t seq = 0x0123456789abcdefULL;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	unhex("00112233445566778899aabbccddeeff", in, 16);
	unhex("8ea2b7ca516745bfeafc49904b496089", want, 16);
	k = key_new(P2SGW_SUITE_AES256CBC_SHA256, key, 32, ak, 32);
	p2sgw_aes256_encrypt_block(k, in, out);
	CHECK(memcmp(out, want, 16) == 0, "FIPS-197 C.3 AES-256");

	memcpy(blk, k->cbc.iv_seed, 8);
	for (int i = 0; i < 8; i++)
		blk[8 + i] = (uint8_t)(seq >> (56 - 8 * i));
	op = (struct p2sgw_cbc_op){ .key = k, .iv = zero_iv, .data = blk,
				    .len = 16, .auth = blk, .auth_len = 16,
				    .icv = icv };
	CHECK(p2sgw_cbc_hmac_encrypt_burst(mgr, &op, 1) == 1, "IV block ECB");
	p2sgw_cbc_make_iv(k, seq, iv);
	CHECK(memcmp(iv, blk, 16) == 0, "make_iv = AES(seed || be64 seq)");
	CHECK(!all_zero(k->cbc.iv_seed, 8), "IV seed derived");
	p2sgw_crypto_key_free(k);
}

static void
test_iv_unique(void)
{
	enum { N = 100000 };
	static uint8_t ivs[N][P2SGW_CBC_IV_LEN];
	static const uint8_t ek[2][33] = { "iv test key number one..........",
					   "iv test key number two.........." };
	uint8_t ak[32] = { 0 }, a[16], b[16];
	struct p2sgw_crypto_key *k0, *k1;
	unsigned dups = 0;

	k0 = key_new(P2SGW_SUITE_AES256CBC_SHA256, ek[0], 32, ak, 32);
	k1 = key_new(P2SGW_SUITE_AES256CBC_SHA256, ek[1], 32, ak, 32);
	for (uint64_t s = 0; s < N; s++)
		p2sgw_cbc_make_iv(k0, s, ivs[s]);
	qsort(ivs, N, sizeof(ivs[0]), cmp_iv);
	for (unsigned i = 1; i < N; i++)
		dups += memcmp(ivs[i - 1], ivs[i], 16) == 0;
	CHECK(dups == 0, "100k sequential seqs give distinct IVs");

	p2sgw_cbc_make_iv(k0, 42, a);
	p2sgw_cbc_make_iv(k0, 42, b);
	CHECK(memcmp(a, b, 16) == 0, "IV deterministic per (key, seq)");
	p2sgw_cbc_make_iv(k1, 42, b);
	CHECK(memcmp(a, b, 16) != 0, "different keys give different IVs");
	p2sgw_cbc_make_iv(k0, 0xffffffffULL, a);
	p2sgw_cbc_make_iv(k0, 0x100000000ULL, b);
	CHECK(memcmp(a, b, 16) != 0, "ESN high half changes the IV");
	p2sgw_crypto_key_free(k0);
	p2sgw_crypto_key_free(k1);
}

/* ---- keys --------------------------------------------------------------- */

static void
test_key_refused(void)
{
	static const struct {
		const char *name;
		enum p2sgw_suite suite;
		size_t elen, alen;
		bool null_auth;
	} bad[] = {
		{ "GCM key without salt", P2SGW_SUITE_AES256GCM16, 32, 0, true },
		{ "GCM keymat 35", P2SGW_SUITE_AES256GCM16, 35, 0, true },
		{ "GCM keymat 37", P2SGW_SUITE_AES256GCM16, 37, 0, true },
		{ "GCM with auth key", P2SGW_SUITE_AES256GCM16, 36, 32, false },
		{ "CBC AES-128 key", P2SGW_SUITE_AES256CBC_SHA256, 16, 32, false },
		{ "CBC AES-192 key", P2SGW_SUITE_AES256CBC_SHA256, 24, 32, false },
		{ "CBC key 33", P2SGW_SUITE_AES256CBC_SHA256, 33, 32, false },
		{ "SHA256 auth 20", P2SGW_SUITE_AES256CBC_SHA256, 32, 20, false },
		{ "SHA256 auth 31", P2SGW_SUITE_AES256CBC_SHA256, 32, 31, false },
		{ "SHA256 auth 33", P2SGW_SUITE_AES256CBC_SHA256, 32, 33, false },
		{ "SHA256 auth missing", P2SGW_SUITE_AES256CBC_SHA256, 32, 32, true },
		{ "SHA1 auth 32", P2SGW_SUITE_AES256CBC_SHA1, 32, 32, false },
		{ "SHA1 auth 16", P2SGW_SUITE_AES256CBC_SHA1, 32, 16, false },
		{ "unknown suite", P2SGW_SUITE_COUNT, 36, 0, true },
	};
	uint8_t key[40], auth[40];
	struct p2sgw_crypto_key *k = p2sgw_crypto_key_alloc();

	fill(key, 0x11, sizeof(key));
	fill(auth, 0x22, sizeof(auth));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(k, 0xa5, sizeof(*k));
		CHECK(p2sgw_crypto_key_init(mgr, k, bad[i].suite, key, bad[i].elen,
					    bad[i].null_auth ? NULL : auth,
					    bad[i].alen) == -1, bad[i].name);
		CHECK(all_zero(k, sizeof(*k)), bad[i].name);
	}
	CHECK(p2sgw_crypto_key_init(mgr, k, P2SGW_SUITE_AES256GCM16, NULL, 36,
				    NULL, 0) == -1, "NULL key");
	p2sgw_crypto_key_free(k);
}

static void
test_key_wipe(void)
{
	uint8_t key[36], auth[32];
	struct p2sgw_crypto_key *k = p2sgw_crypto_key_alloc();

	CHECK(k != NULL && ((uintptr_t)k & 63) == 0, "key storage aligned");
	fill(key, 0x33, sizeof(key));
	fill(auth, 0x44, sizeof(auth));
	CHECK(p2sgw_crypto_key_init(mgr, k, P2SGW_SUITE_AES256GCM16, key, 36,
				    NULL, 0) == 0, "GCM key");
	CHECK(!all_zero(k, sizeof(*k)), "GCM key expanded");
	p2sgw_crypto_key_wipe(k);
	CHECK(all_zero(k, sizeof(*k)), "GCM key wiped");
	CHECK(p2sgw_crypto_key_init(mgr, k, P2SGW_SUITE_AES256CBC_SHA256, key,
				    32, auth, 32) == 0, "CBC key");
	CHECK(k->suite == P2SGW_SUITE_AES256CBC_SHA256, "CBC suite recorded");
	p2sgw_crypto_key_wipe(k);
	CHECK(all_zero(k, sizeof(*k)), "CBC key wiped");
	p2sgw_crypto_key_free(k);
	p2sgw_crypto_key_free(NULL);
}

static void
test_memneq(void)
{
	uint8_t a[32], b[32];

	fill(a, 7, sizeof(a));
	fill(b, 7, sizeof(b));
	CHECK(p2sgw_crypto_memneq(a, b, 32) == 0, "memneq equal");
	CHECK(p2sgw_crypto_memneq(a, b, 0) == 0, "memneq empty");
	b[31] = 8;
	CHECK(p2sgw_crypto_memneq(a, b, 32) != 0, "memneq last byte");
	b[31] = 7;
	b[0] = 0;
	CHECK(p2sgw_crypto_memneq(a, b, 32) != 0, "memneq first byte");
}

int
main(void)
{
	mgr = p2sgw_crypto_mgr_create();
	if (mgr == NULL) {
		fprintf(stderr, "p2sgw_crypto_mgr_create failed\n");
		return 1;
	}
	printf("IPsec-MB %s, arch %s\n", imb_get_version_str(),
	       p2sgw_crypto_arch_name());
	test_gcm();
	test_hmac();
	test_cbc_sp800_38a();
	test_bursts();
	test_iv_block();
	test_iv_unique();
	test_key_refused();
	test_key_wipe();
	test_memneq();
	p2sgw_crypto_mgr_free(mgr);
	printf("%u checks, %u failed\n", checks, failures);
	return failures == 0 ? 0 : 1;
}
