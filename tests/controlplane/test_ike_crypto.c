/* SPDX-License-Identifier: BSD-3-Clause
 * IKEv2 cryptography against published vectors: HMAC from RFC 4231 and
 * RFC 4868, prf+ against its definition, the key schedule against NIST's
 * CAVS 17.3 IKEv2 KDF vectors (SP 800-135), ECDH from RFC 5903 8, group
 * 24 from RFC 5114 A.3, AES-GCM from test case 16 of the GCM
 * specification and AES-CBC from SP 800-38A F.2.5. Then the SK payload's
 * round trips, every tampered byte, malformed lengths and padding, and
 * peer DH values that must be refused.
 */
#include <openssl/bn.h>
#include <openssl/evp.h>

#include "cptest.h"
#include "ike_crypto.h"

#define HEXMAX 1024

/* The bytes of HEX into OUT; how many, or 0 when HEX is not all hex pairs
 * or does not fit. */
static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n, len = strlen(hex);
	unsigned int v;

	if (len % 2 != 0 || len / 2 > cap)
		return 0;
	for (n = 0; n < len / 2; n++) {
		if (sscanf(hex + 2 * n, "%2x", &v) != 1)
			return 0;
		out[n] = (uint8_t)v;
	}
	return n;
}

static bool
eq_hex(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[HEXMAX];

	return unhex(hex, want, sizeof(want)) == len &&
	       memcmp(got, want, len) == 0;
}

/* ---- HMAC: RFC 4231 4.2-4.8 (PRF), RFC 4868 2.7.2 (integrity) ---- */

struct hmac_vec {
	const char *key;	/* hex, or NULL: KLEN bytes of KB */
	uint8_t kb;
	size_t klen;
	const char *data;	/* text, or NULL: DLEN bytes of DB */
	uint8_t db;
	size_t dlen;
	const char *sha256, *sha384;
};

static const struct hmac_vec rfc4231[] = {
	{ NULL, 0x0b, 20, "Hi There", 0, 0,
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	  "faea9ea9076ede7f4af152e8b2fa9cb6" },
	{ "4a656665", 0, 0, "what do ya want for nothing?", 0, 0,
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	  "8e2240ca5e69e2c78b3239ecfab21649" },
	{ NULL, 0xaa, 20, NULL, 0xdd, 50,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	  "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
	  "2a5ab39dc13814b94e3ab6e101a34f27" },
	{ "0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0,
	  NULL, 0xcd, 50,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	  "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
	  "6801dd23c4a7d679ccf8a386c674cffb" },
	{ NULL, 0xaa, 131,
	  "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	  "0c2ef6ab4030fe8296248df163f44952" },
	{ NULL, 0xaa, 131,
	  "This is a test using a larger than block-size key and a larger "
	  "than block-size data. The key needs to be hashed before being "
	  "used by the HMAC algorithm.", 0, 0,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
	  "a678cc31e799176d3860e6110c46523e" },
};

static void
test_hmac(void)
{
	uint8_t key[256], data[256], out[64];
	size_t i, klen, dlen;

	for (i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		const struct hmac_vec *v = &rfc4231[i];

		if (v->key != NULL) {
			klen = unhex(v->key, key, sizeof(key));
		} else {
			klen = v->klen;
			memset(key, v->kb, klen);
		}
		if (v->data != NULL) {
			dlen = strlen(v->data);
			memcpy(data, v->data, dlen);
		} else {
			dlen = v->dlen;
			memset(data, v->db, dlen);
		}
		CHECK(ike_prf(IKE_PRF_HMAC_SHA256, key, klen, data, dlen,
			      out) == 0 && eq_hex(out, 32, v->sha256),
		      "RFC 4231 vector %zu, SHA-256", i);
		CHECK(ike_prf(IKE_PRF_HMAC_SHA384, key, klen, data, dlen,
			      out) == 0 && eq_hex(out, 48, v->sha384),
		      "RFC 4231 vector %zu, SHA-384", i);
	}

	/* RFC 4231 4.6: truncated to 128 bits */
	memset(key, 0x0c, 20);
	CHECK(ike_prf(IKE_PRF_HMAC_SHA256, key, 20,
		      (const uint8_t *)"Test With Truncation", 20, out) == 0 &&
	      eq_hex(out, 16, "a3b6167473100ee06e0c796c2955552b"),
	      "RFC 4231 4.6, SHA-256");

	/* RFC 4868 2.7.2.2: keys as long as the hash's output */
	memset(key, 0x0b, 48);
	CHECK(ike_integ_mac(IKE_INTEG_HMAC_SHA256_128, key,
			    (const uint8_t *)"Hi There", 8, out) == 0 &&
	      eq_hex(out, 32, "198a607eb44bfbc69903a0f1cf2bbdc5"
			      "ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"),
	      "RFC 4868 AUTH256 test case 1");
	CHECK(ike_integ_mac(IKE_INTEG_HMAC_SHA384_192, key,
			    (const uint8_t *)"Hi There", 8, out) == 0 &&
	      eq_hex(out, 48, "b6a8d5636f5c6a7224f9977dcf7ee6c7"
			      "fb6d0c48cbdee9737a959796489bddbc"
			      "4c5df61d5b3297b4fb68dab9f1b582c2"),
	      "RFC 4868 AUTH384 test case 1");

	CHECK(ike_prf(IKE_PRF_HMAC_SHA1, key, 20, data, 1, out) == -1,
	      "PRF HMAC-SHA1 is not offered");
	CHECK(ike_prf(IKE_PRF_HMAC_SHA256, key, 0, data, 1, out) == -1,
	      "empty PRF key accepted");
	CHECK(ike_prf(IKE_PRF_HMAC_SHA256, key, 20, NULL, 1, out) == -1,
	      "NULL data with a length accepted");
}

static void
test_lengths(void)
{
	CHECK(ike_prf_len(IKE_PRF_HMAC_SHA256) == 32 &&
	      ike_prf_len(IKE_PRF_HMAC_SHA384) == 48 &&
	      ike_prf_len(IKE_PRF_HMAC_SHA512) == 64 &&
	      ike_prf_len(IKE_PRF_HMAC_SHA1) == 0 && ike_prf_len(99) == 0,
	      "PRF lengths");
	CHECK(ike_integ_key_len(IKE_INTEG_HMAC_SHA256_128) == 32 &&
	      ike_integ_icv_len(IKE_INTEG_HMAC_SHA256_128) == 16 &&
	      ike_integ_key_len(IKE_INTEG_HMAC_SHA384_192) == 48 &&
	      ike_integ_icv_len(IKE_INTEG_HMAC_SHA384_192) == 24 &&
	      ike_integ_key_len(IKE_INTEG_HMAC_SHA512_256) == 64 &&
	      ike_integ_icv_len(IKE_INTEG_HMAC_SHA512_256) == 32 &&
	      ike_integ_key_len(IKE_INTEG_HMAC_SHA1_96) == 20 &&
	      ike_integ_icv_len(IKE_INTEG_HMAC_SHA1_96) == 12 &&
	      ike_integ_key_len(IKE_INTEG_NONE) == 0, "integrity lengths");
	CHECK(ike_encr_key_len(IKE_ENCR_AES_CBC) == 32 &&
	      ike_encr_key_len(IKE_ENCR_AES_GCM16) == 36 &&
	      ike_encr_key_len(3) == 0, "encryption key lengths");
	CHECK(ike_dh_len(IKE_DH_MODP1024) == 128 &&
	      ike_dh_len(IKE_DH_MODP2048) == 256 &&
	      ike_dh_len(IKE_DH_MODP2048_256) == 256 &&
	      ike_dh_len(IKE_DH_ECP256) == 64 &&
	      ike_dh_len(IKE_DH_ECP384) == 96,
	      "public value lengths");
	CHECK(ike_dh_secret_len(IKE_DH_MODP2048) == 256 &&
	      ike_dh_secret_len(IKE_DH_ECP256) == 32 &&
	      ike_dh_secret_len(IKE_DH_ECP384) == 48, "secret lengths");
	CHECK(!ike_dh_supported(5) && !ike_dh_supported(21) &&
	      ike_dh_len(5) == 0 && ike_dh_new(5) == NULL, "unknown group");
}

/* ---- prf+ against T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) ---- */

static void
check_prf_plus(int prf)
{
	static uint8_t direct[255 * 64], out[255 * 64 + 1];
	uint8_t key[40], seed[45], buf[64 + 45 + 1], t[64];
	size_t plen = ike_prf_len(prf), prev = 0, i, n;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x30 + i);
	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(0xa0 ^ i);
	for (n = 1; n <= 255; n++) {
		memcpy(buf, t, prev);
		memcpy(buf + prev, seed, sizeof(seed));
		buf[prev + sizeof(seed)] = (uint8_t)n;
		CHECK(ike_prf(prf, key, sizeof(key), buf,
			      prev + sizeof(seed) + 1, t) == 0, "T%zu", n);
		memcpy(direct + (n - 1) * plen, t, plen);
		prev = plen;
	}
	/* three whole blocks and part of a fourth */
	CHECK(ike_prf_plus(prf, key, sizeof(key), seed, sizeof(seed), out,
			   3 * plen + 5) == 0 &&
	      memcmp(out, direct, 3 * plen + 5) == 0, "prf+ over 4 blocks");
	CHECK(ike_prf_plus(prf, key, sizeof(key), seed, sizeof(seed), out,
			   255 * plen) == 0 &&
	      memcmp(out, direct, 255 * plen) == 0, "prf+ over 255 blocks");
	CHECK(ike_prf_plus(prf, key, sizeof(key), seed, sizeof(seed), out,
			   255 * plen + 1) == -1, "prf+ past 255 blocks");
	CHECK(ike_prf_plus(prf, key, sizeof(key), seed, sizeof(seed), out,
			   0) == 0, "prf+ of nothing");
}

static void
test_prf_plus(void)
{
	uint8_t k[8] = { 1 }, out[8];

	check_prf_plus(IKE_PRF_HMAC_SHA256);
	check_prf_plus(IKE_PRF_HMAC_SHA384);
	check_prf_plus(IKE_PRF_HMAC_SHA512);
	CHECK(ike_prf_plus(IKE_PRF_HMAC_SHA1, k, 8, k, 8, out, 8) == -1,
	      "prf+ with an unknown PRF");
	CHECK(ike_prf_plus(IKE_PRF_HMAC_SHA256, k, 0, k, 8, out, 8) == -1,
	      "prf+ with an empty key");
}

/* ---- Key schedule: CAVS 17.3 "IKE v2" (NIST SP 800-135 KDF), whose
 * DKM(Child SA) takes SK_d as DKM's first prf-length bytes ---- */

struct kdf_vec {
	int prf;
	const char *ni, *nr, *gir, *gir_new, *spi_i, *spi_r;
	const char *skeyseed, *dkm, *dkm_child, *dkm_child_dh, *skeyseed_rekey;
};

static const struct kdf_vec cavs[] = {
	/* SHA-256, Ni and Nr of 64 bits, COUNT = 0 */
	{ IKE_PRF_HMAC_SHA256,
	  "3f302be1abcb28e1",
	  "8c332ee006064c9b",
	  "0f4d257d7a58fc4545c7d7a88119eee5d5c9690c5b4c989171d3abbfd99d1d29",
	  "25f3b12d6f282739256e39bf54eda53b60ffcf379bb7bcc90c27b4c4c578616c",
	  "40dac39e1e1a8640",
	  "8619a1cf9a6e4c07",
	  "5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe",
	  "0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ec"
	  "e98aca531188d16041b3bb936d2dbb3b4993a6e768a809160de45d0283f273a6"
	  "cdf6854379e31be72b8d3d1fa990cf9c5b015ca9f918a7df6253c958114a09d4"
	  "e1c19bdcd4db14b29d98db1a74ad405c588662c14a04d0d36aa4ab55e90f8986"
	  "d12d4aad",
	  "7d808e2b44635300e7025f1b640c431b13a9b3b891cd45a15261f4f3c4a7e39b"
	  "3a3c8017ccc2b74610faf52ba3faf6d9e83c859b448217b24dadc82c9887460b"
	  "7bd724236b9885914cc93b39d6c749e92f36b30c9eb6a9f59e396bc7c0ac4878"
	  "512639cc612c5660ddb1a1fed360ac8b9b3f548f13482d0431b38eca293ef976"
	  "81e179fc",
	  "67edd256e64542436173e3ca39ef1fdec3c8240b860df26f84caf5258578ff35"
	  "df40ddc31ea210e0523988b7531c9dc3207e0e98e256214999c7712f73ff044a"
	  "9cf6e3a5e421862b9ba140862f460ea5236527cf8346db9ac23feb6636e21fc7"
	  "a18a94a2e9d4ad95356e278f46ac3fa53a75a058c87293cf38dd863e879f84d0"
	  "e0935da3",
	  "2d63f6debc92048b4fef3889c4c99ca67d6496e0fac14a2bca9a2d6566ff2398",
	},
	/* SHA-256, Ni and Nr of 64 bits, COUNT = 1 */
	{ IKE_PRF_HMAC_SHA256,
	  "88b5aa59a0fe5e64",
	  "6a6ece8dcdb0190d",
	  "a782561a3d0a665ea941218f26fb0621447b49e72dbb7690b075eb896d919508",
	  "4d2d66df0d27d04f059ec5b748967d020cc4942cf177b3a673455dc794a01814",
	  "07d1874aabd690f4",
	  "fd427043dbd7c855",
	  "991902f19ac2bfc8a66212627184d76c111b3e254ba32c84a483dadbef876f09",
	  "42eb71fcc3a28edc4aca6642f66327df743fef40c2114c044c0e36c4ccb1b073"
	  "991c3d7c539ed629ccb90df67186010595da63c5f99c90c5ca61898cff9b6ea2"
	  "83bf747c06b03fe77faccf21c1b62f68d05ed4810485abc2c94f8481e0614245"
	  "5636257133458a9ca66e07ab3a6d4234f03f48cf5df477fd1b50efe6a779d10c"
	  "b843d843",
	  "13d97c84c58c1f935d9046873ce5494305147b6df64525b26ce44fff7e7d427d"
	  "4857056584ca4d8d67ff1d0c3acc935de338e7ae2272a4d5d9d1c013f89c526f"
	  "3352ba32a88a5f9e94773561e82adcafc1f0d0da57a2487e2cacefe8a9497e06"
	  "0c05790879edf84a4434ff9f86620568e577a72d7103ec4e72fc469bea82ba36"
	  "f54e5d5c",
	  "965cca58ac9c81ba5467f400a206d5478b6b21f28cc24ce8cdb70335cda7647b"
	  "29a8e7ff7bc0528416b0b17f498a8c55ee7bfae0726bae6aefe3670ef8019a97"
	  "33efd8d2538da7d7689f25670b1216d7ca54468eb923db5c6b0f6f10ebb1b811"
	  "245df389a79c37ced9129cfbad0c5ce1c18c1a250648113d06adc1d1d923a467"
	  "927c1783",
	  "1ac05b58d150587a2a1dae577c3e96b7ab19a6c68445fb7d5afba5e6b0eccb54",
	},
	/* SHA-256, Ni and Nr of 2048 bits, COUNT = 0 */
	{ IKE_PRF_HMAC_SHA256,
	  "52695be4ccad9c05e6599fe796d899bde72e26be01c243d8e2cf9ca685958838"
	  "9eb5781b54dc2ba6a12dbe146e453a53531b4b731f527dcc5e7380f630764b21"
	  "36e45d9b9e371fbd3a996884870099e5e5b4eed40d51c4a148c3c2bc340add5e"
	  "ea80c6f5b670b6b0d62e5499e9d898e07b2acb435911ed8e54b0ea74e0b0e486"
	  "df9706ad1d2fe1cea8cf3d26236c9764c44a2159c0f726cd1aec5999964e91aa"
	  "6a234da90bfbded712ec3b628e0bbbdc0d340a47fd1e33fc9401072f145895d9"
	  "88f69cefca1bdc20275be3ff69e3c71303454cae5e35f5835c139df283fe6cec"
	  "3583449bf0a66ae6f108f4d4a1c7fcaa63ae7cc7592793d34ca11577ac5be944",
	  "fd2f17562e5948ee1aba5d1bcc288a0969b323dd82208b93b59cf6320d0beaef"
	  "04c1d9dd440c9b9325993e542703516a7a37819eefc33a24fa7e38a56e199fcf"
	  "ee36b43747d60802695beaa0d8955d1c78d87884f40614d79f1ec9807c538798"
	  "5e1bacbea4772b6217587bcab6f1ea040012e56ecd8d119d8438380b276ff4f3"
	  "57b1d3f1dccbfe3356c3a3d841b10d872b0fb076c12b68ecd835c5592ec9277f"
	  "c92b6c9cee6594dfad80d4518c113935ec23923bfc244fd03876e43e4cb48583"
	  "10d0d54b5f25f81153620131728136b481d522d52931ecd71983e716fe05daeb"
	  "3378579d1644b43d2d0c7b4971064a992caffd58deec43c1063e55d2937df734",
	  "a94b14531636fe15eaf6702bad948aaa45363de91b8612035732284f90b1f4c3",
	  "4ed8e741924534724004e875af6868cc4cabe11533a72ebd4bafe41e092a3084",
	  "cc764573887db682",
	  "34a8c67dc5b90587",
	  "61fa41aee660c44ed0ab4bf631081277cea673f94a533a01ef02b6d8860cc8fa",
	  "8fe38e354da09b21c7d79ee4209d7694899efb7690365aaf63c0ab8ef8530550"
	  "72111acf542ba0dcd8f761edc4e02edbcdeba6f608b8c028873a996aa081e5dc"
	  "4dc6c4e087829c5fd89591ac07e919ac7bd57614befb68fc302637c63a8acd85"
	  "8437399e6558fd6799460e0406b7c4790659e9eb3aab49362cfca27e13a8c87f"
	  "499db965c3dba93c01eb92b34bb1614ff4280c7001ebc03477dee0d1346eb96d"
	  "42d4195ec9601340afd638e6840fe809975470c57a3587515f3084b1514086e1"
	  "0b3e309683a1ef0d81c044d8dec9c3377b434756bec87ac0ff30228bfd2540ad"
	  "e3505e15b4b2f79e86c20c8648d2addb0089b96bee956ffff5e8df8c0ac17681"
	  "1b4c69d2825ec1fa7db51df6ac2117bd85ca6e5f328616c82d21ae9b2e9adbd5"
	  "757010cd91b07b6c1d83242b02f66e315c727b9ae97647ca05e9628be7fa91d0"
	  "462eb480c4b4aa3ab6d78f884b7523d71c0149d1d9203572d51a30be703d8692"
	  "0cdbb08b0d5358af2c41c7da340313a6dff5438ab8631c89e3069219c981cf3f",
	  "e05582c7d29bc0739bedfb3ef9745c4a5fbecda17c8ced9beb0f55d33603b771"
	  "c0744010e993e5721335a4019b1ab2f4c20fbc51b897ae0396c3767e80e6b7dc"
	  "74d18b7d57bd01690e710138434cc651fe91777eb85a2f3be0d3a1da4a03a4b4"
	  "3b82cef0ad1cadc9fc62f1bf67671c6ca9379118d3f3aedb8baf9102483f1fca"
	  "35e1ce1e8f0aa1910661c6d4cca9bd576a925cc880f7ded97afcf70fc8cea344"
	  "cf82dfc67fe23ccb46c830e59faf994d8290c7191e7052d2bae713f2c70f1dea"
	  "30c5d7113ccb657379ccb8eed772b91ed2e3b4b1b4a7758fcda96279c10d645b"
	  "d293781d640e9147c57ed137f8db673a02c0ce2cc88613948248f79b42367442"
	  "a9533dd9a5883935415fe7f42bdf90360083562d88c489ca2f8f128673726fe6"
	  "d55a44828fcfa349da3fe9e6c44f83c8666de981520fd999f6e46aa214d96d20"
	  "587c3d9f44304b88bb5cefe51855af013d79b3e4852ffd69798a1748b389f941"
	  "0ca653129dac0bbe03098fd997fea57d0ac098650de4821c427251681e3329bc",
	  "dacc5eb83aaa08449c274a11150d649d055bd921d66893b0b2df8f509e4df337"
	  "cc3863a8a34f8e2b033fcaaee7c2f9bf68cf21b65c97355cf11873c93f9bee6c"
	  "4b217c511eae289f11cc6cb1078af909960795433d000a7fe5ae4ec67513c3f2"
	  "4a0c0ffdf445cf2ada0b24140a8011cb3459f364a9c4819b830028a7cd4198e6"
	  "b31a2b3d222f7ab3f462a3ac64966e87a29110a67614a3fe6c1057b23e820f5b"
	  "a10bcf4821df5e1ed54bbbf191570b697fcec8c733a084a1ff76bee6bdf53ff3"
	  "d737aff9e9b983a7ae9e648950ac7fdf69c8ebef6f8b4aee3603cdc132d0c989"
	  "0e58829ebb6c40f5699d8130bf2c86f16280be2a8f38f633576254de9898718e"
	  "42b50f3b7729d6ca33ab1ab4cd7e0f8dd9e1022fd889f639a76ef7bf00fafc27"
	  "d9673dd2c78f56385cdad9841606a180fc7b7f869999165859f32de0b314a1ae"
	  "419e703557df9c98aa156cee5962baa331e711faeb81d1116e4cfd3c6e40fc74"
	  "732266cbe7328d7869bf676c30d21f902a78a3e5ec97c97f8266c359668d2fbb",
	  "851ac5c3a213576fa2b9c50d60793619eba336e3a5cb3632040c466e34db6cab",
	},
	/* SHA-384, Ni and Nr of 64 bits, COUNT = 0 */
	{ IKE_PRF_HMAC_SHA384,
	  "fd1b572a8e735591",
	  "6013b0ef88dacd3d",
	  "d3288cd87565101e88fe3bad918f31939d8dd26ff1071f8b2d7f447524e58d7c",
	  "3358f620539473aee8d07e779764c4c6a9aabddc79a28e136b3bac021dbde44a",
	  "2116ad07ce61f749",
	  "24880e55f11a65b7",
	  "69fe7a1ac94adaeb711295f5fe004b1a8d6a0b65d05692758ce8ad2f7a45f59d"
	  "7d0b596f51f7dfcf3330061888f6a94f",
	  "4f904c2025c90c817ea5ff9b662a6fdb445a73b57cdf09eacd379b95e1f03cac"
	  "b04cd6deeda4f952191dd9bc1f7a9502471a648d74dc06d38112de48a42501f6"
	  "b1a3ad55c2099cd9a648e5f17e5bf3e34bf9b5953decb768a34f875fe2b78dca"
	  "0c2fcca81ec1a412006dfaed38fa06882e61f4c148105fb8e231fdb33c4d484c"
	  "001721d4",
	  "06126cc023ac8aabb3ae1ae2d583005a16d39e889efd09d588f2995883261e55"
	  "f44f959072d25ea2f035a64ee8e2341421e7a2d95344282f6ff1f2a9ef236b5e"
	  "c7eae4bb1074ce1f206461209c19dc05a61bbc10a5ec0391bdcd1d25831f8d11"
	  "99af467359a13cb5f9b11187ad97379469f8a1ff3d612b18f165d32e3b5fc644"
	  "0f447321",
	  "e31b1b94e0b2146ae66dfe223ca64ccf0895fb6c8862990b446b80a4a81fd801"
	  "ed5fdbcee6e9455c4d56ee10cd73ea77d8c01f31d4e2fcc9d65765327e13f497"
	  "f631ba09d99b39aff2ffa9082c59334a9eb082f795cde78989b1be547fde560e"
	  "b49d5b262e86ef2e2094eab785008e3038dd7bb0d4ac7dac6f99d9c7945950f2"
	  "1b9f44de",
	  "e0548c1682e13bce454026b3b1bdf42985b24e4e7408095a7c529de38c3d1fcb"
	  "04c9fe6868042a34c9614c6c99e3fcea",
	},
	/* SHA-512, Ni and Nr of 64 bits, COUNT = 0 */
	{ IKE_PRF_HMAC_SHA512,
	  "97c41a9b0a03e74c",
	  "a659fd06e1746600",
	  "276255c3eaace5c6db32b609aa86c0ef07bba4bf2dc4c262995efd95ca607c3f",
	  "bb4015f7727b35532021336a9e4a6370ac8729b01fbb8f15d52236820fac4709",
	  "ff43c5c689b95481",
	  "e2ba607f30079bb7",
	  "d6e74966b75fd2afab48be319d63d97c8a5d2ffe2e320763a462c664b36c3a94"
	  "4067d867c3a55fd8a7e5cca64b22e24415987e15549f09a81b455adaa5303df8",
	  "22259105314717dc73c210919ee9cb3ded774dc087e866aa3960404c0ed7b8e7"
	  "8e79b993888388e2e5cb238d4bfcb4cdee9da074a26e329d6c2f2f660cc9c711"
	  "c941a2fb3d85a2e5d01e579c8f2c9d00fa6fabe76a137b00c7ff1b2918999065"
	  "88c26f073d819063238c4c844f0f8d221b65b76dbc9ed6f6368e5dba86b3e81b"
	  "60eb44a1",
	  "2f1311a8e143e59d65bd9d8adc4e64c624313495c899697236bd0980c503717d"
	  "0ad5dee13ff918e3f4f6505bc19a0a1352d20e99f704f6ef0c71124be1c97a1a"
	  "d9aacf99a33c1cd00537aa922906d1db33fcd640f147953ac632f8a655f84daa"
	  "1363e0b8322e82620c4bc27309bb1525387493398467b7c9561317e61d1f8be4"
	  "36388aa9",
	  "15a40cef7fc88a166526a4cdb5697dddbccf3c69a72b22c92c1f88e9ca9d9b52"
	  "58c9f52684a7169efd4463f758e34ada6eb3f3805f194f6019b13acd11988e42"
	  "3f7630cb764f10a86eb28e14cba8596ee9255c853f7a903ef09de2ab5f84cc44"
	  "6359c604dc193a8d4c4e4b02174a4c04aa859e84934bbb60128b920b90124187"
	  "c721c000",
	  "ecdaf3ccb990abc898a453b03fd56f9975275f150e1e571b0560b3cb2ee67289"
	  "e82b899cdc2129fd821fe8aebea796f190765c25798f5883f923526551f16a4b",
	},
};

static int
integ_for(int prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA256:
		return IKE_INTEG_HMAC_SHA256_128;
	case IKE_PRF_HMAC_SHA384:
		return IKE_INTEG_HMAC_SHA384_192;
	default:
		return IKE_INTEG_HMAC_SHA512_256;
	}
}

static size_t
put(uint8_t *out, size_t n, const uint8_t *key, size_t len)
{
	memcpy(out + n, key, len);
	return n + len;
}

/* SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr, as prf+ gave them */
static size_t
keys_cat(const struct ike_keys *k, uint8_t *out)
{
	size_t n;

	n = put(out, 0, k->d, k->d_len);
	n = put(out, n, k->ai, k->a_len);
	n = put(out, n, k->ar, k->a_len);
	n = put(out, n, k->ei, k->e_len);
	n = put(out, n, k->er, k->e_len);
	n = put(out, n, k->pi, k->p_len);
	return put(out, n, k->pr, k->p_len);
}

static void
check_kdf(const struct kdf_vec *v, size_t idx)
{
	uint8_t ni[256], nr[256], gir[256], girn[256], spii[8], spir[8];
	uint8_t nonces[512], seed[528], sks[64], dkm[HEXMAX], out[HEXMAX];
	uint8_t cat[7 * 64];
	size_t nil, nrl, gl, gnl, sl, dl, cl, n, plen = ike_prf_len(v->prf);
	struct ike_suite suites[2] = {
		{ IKE_ENCR_AES_CBC, integ_for(v->prf), v->prf,
		  IKE_DH_MODP2048 },
		{ IKE_ENCR_AES_GCM16, IKE_INTEG_NONE, v->prf, IKE_DH_ECP256 },
	};
	struct ike_keys k;
	int s;

	nil = unhex(v->ni, ni, sizeof(ni));
	nrl = unhex(v->nr, nr, sizeof(nr));
	gl = unhex(v->gir, gir, sizeof(gir));
	gnl = unhex(v->gir_new, girn, sizeof(girn));
	CHECK(nil && nrl && gl && gnl && unhex(v->spi_i, spii, 8) == 8 &&
	      unhex(v->spi_r, spir, 8) == 8, "CAVS %zu: inputs", idx);
	memcpy(nonces, ni, nil);
	memcpy(nonces + nil, nr, nrl);
	memcpy(seed, nonces, nil + nrl);
	memcpy(seed + nil + nrl, spii, 8);
	memcpy(seed + nil + nrl + 8, spir, 8);
	sl = nil + nrl + 16;

	CHECK(ike_prf(v->prf, nonces, nil + nrl, gir, gl, sks) == 0 &&
	      eq_hex(sks, plen, v->skeyseed), "CAVS %zu: SKEYSEED", idx);
	dl = strlen(v->dkm) / 2;
	CHECK(ike_prf_plus(v->prf, sks, plen, seed, sl, dkm, dl) == 0 &&
	      eq_hex(dkm, dl, v->dkm), "CAVS %zu: DKM", idx);

	/* The SK_* of ike_derive_keys are DKM's first bytes, in order. */
	for (s = 0; s < 2; s++) {
		CHECK(ike_derive_keys(&suites[s], ni, nil, nr, nrl, gir, gl,
				      spii, spir, NULL, 0, &k) == 0,
		      "CAVS %zu: derive, suite %d", idx, s);
		n = keys_cat(&k, cat);
		CHECK(k.d_len == plen && k.p_len == plen &&
		      k.a_len == ike_integ_key_len(suites[s].integ) &&
		      k.e_len == ike_encr_key_len(suites[s].encr),
		      "CAVS %zu: key lengths, suite %d", idx, s);
		CHECK(memcmp(cat, dkm, n < dl ? n : dl) == 0,
		      "CAVS %zu: keys against DKM, suite %d", idx, s);
	}

	cl = strlen(v->dkm_child) / 2;
	CHECK(ike_child_keymat(v->prf, dkm, plen, NULL, 0, ni, nil, nr, nrl,
			       out, cl) == 0 && eq_hex(out, cl, v->dkm_child),
	      "CAVS %zu: DKM(Child SA)", idx);
	CHECK(ike_child_keymat(v->prf, dkm, plen, girn, gnl, ni, nil, nr, nrl,
			       out, cl) == 0 &&
	      eq_hex(out, cl, v->dkm_child_dh),
	      "CAVS %zu: DKM(Child SA D-H)", idx);

	/* Rekeying: the keys are prf+ of the published SKEYSEED(Rekey). */
	CHECK(unhex(v->skeyseed_rekey, sks, sizeof(sks)) == plen &&
	      ike_prf_plus(v->prf, sks, plen, seed, sl, out,
			   sizeof(cat)) == 0, "CAVS %zu: rekey DKM", idx);
	CHECK(ike_derive_keys(&suites[0], ni, nil, nr, nrl, girn, gnl, spii,
			      spir, dkm, plen, &k) == 0,
	      "CAVS %zu: rekey derive", idx);
	n = keys_cat(&k, cat);
	CHECK(memcmp(cat, out, n) == 0, "CAVS %zu: SKEYSEED(Rekey)", idx);
}

static void
test_kdf(void)
{
	struct ike_suite bad = { IKE_ENCR_AES_GCM16, IKE_INTEG_HMAC_SHA256_128,
				 IKE_PRF_HMAC_SHA256, IKE_DH_ECP256 };
	struct ike_suite ok = { IKE_ENCR_AES_CBC, IKE_INTEG_HMAC_SHA256_128,
				IKE_PRF_HMAC_SHA256, IKE_DH_MODP2048 };
	uint8_t n[300] = { 7 }, gir[257] = { 9 }, spi[8] = { 1 };
	struct ike_keys k;
	size_t i;

	for (i = 0; i < sizeof(cavs) / sizeof(cavs[0]); i++)
		check_kdf(&cavs[i], i);

	memset(&k, 0x5a, sizeof(k));
	CHECK(ike_derive_keys(&bad, n, 16, n, 16, gir, 32, spi, spi, NULL, 0,
			      &k) == -1 && k.d_len == 0 && k.d[0] == 0,
	      "GCM with an integrity algorithm accepted");
	bad = ok;
	bad.integ = IKE_INTEG_NONE;
	CHECK(ike_derive_keys(&bad, n, 16, n, 16, gir, 32, spi, spi, NULL, 0,
			      &k) == -1, "CBC without integrity accepted");
	bad = ok;
	bad.prf = IKE_PRF_HMAC_SHA1;
	CHECK(ike_derive_keys(&bad, n, 16, n, 16, gir, 32, spi, spi, NULL, 0,
			      &k) == -1, "PRF SHA-1 accepted");
	CHECK(ike_derive_keys(&ok, n, 0, n, 16, gir, 32, spi, spi, NULL, 0,
			      &k) == -1, "empty Ni accepted");
	CHECK(ike_derive_keys(&ok, n, 16, n, 257, gir, 32, spi, spi, NULL, 0,
			      &k) == -1, "257-byte Nr accepted");
	CHECK(ike_derive_keys(&ok, n, 256, n, 256, gir, 256, spi, spi, NULL, 0,
			      &k) == 0, "largest nonces and g^ir refused");
	CHECK(ike_derive_keys(&ok, n, 16, n, 16, gir, 257, spi, spi, NULL, 0,
			      &k) == -1, "257-byte g^ir accepted");
	CHECK(ike_derive_keys(&ok, n, 16, n, 16, gir, 32, spi, spi, n, 0,
			      &k) == -1, "empty old SK_d accepted");
	CHECK(ike_derive_keys(&ok, n, 16, n, 16, gir, 32, spi, spi, n, 65,
			      &k) == -1, "65-byte old SK_d accepted");
	CHECK(ike_child_keymat(IKE_PRF_HMAC_SHA256, n, 32, gir, 0, n, 16, n,
			       16, gir, 64) == -1,
	      "g^ir pointer without a length accepted");
	CHECK(ike_child_keymat(IKE_PRF_HMAC_SHA256, n, 32, NULL, 0, n, 16, n,
			       16, gir, 255 * 32 + 1) == -1,
	      "KEYMAT past 255 blocks accepted");
}

/* ---- Diffie-Hellman ---- */

static const int groups[] = {
	IKE_DH_MODP1024, IKE_DH_MODP2048, IKE_DH_MODP2048_256,
	IKE_DH_ECP256, IKE_DH_ECP384,
};

static void
test_dh_agree(int group)
{
	struct ike_dh *a = ike_dh_new(group), *b = ike_dh_new(group);
	uint8_t pa[256], pb[256], sa[256], sb[256];
	size_t len = ike_dh_len(group), la = 0, lb = 0, l;

	CHECK(a != NULL && b != NULL, "group %d: new", group);
	if (a == NULL || b == NULL)
		goto out;
	CHECK(ike_dh_public(a, pa, sizeof(pa)) == 0 &&
	      ike_dh_public(b, pb, len) == 0, "group %d: public", group);
	CHECK(ike_dh_public(a, pa, len - 1) == -1,
	      "group %d: public into a short buffer", group);
	CHECK(memcmp(pa, pb, len) != 0, "group %d: two equal keys", group);
	CHECK(ike_dh_shared(a, pb, len, sa, sizeof(sa), &la) == 0 &&
	      ike_dh_shared(b, pa, len, sb, sizeof(sb), &lb) == 0,
	      "group %d: shared", group);
	CHECK(la == ike_dh_secret_len(group) && lb == la &&
	      memcmp(sa, sb, la) == 0, "group %d: secrets differ", group);
	CHECK(ike_dh_shared(a, pb, len, sa, la - 1, &l) == -1,
	      "group %d: secret into a short buffer", group);
	CHECK(ike_dh_shared(a, pb, len - 1, sa, sizeof(sa), &l) == -1 &&
	      ike_dh_shared(a, pb, len + 1, sa, sizeof(sa), &l) == -1,
	      "group %d: wrong length accepted", group);
	memset(pb, 0, len);
	CHECK(ike_dh_shared(a, pb, len, sa, sizeof(sa), &l) == -1,
	      "group %d: zero accepted", group);
	memset(pb, 0xff, len);
	CHECK(ike_dh_shared(a, pb, len, sa, sizeof(sa), &l) == -1,
	      "group %d: all ones accepted", group);
out:
	ike_dh_free(a);
	ike_dh_free(b);
}

/* Whether the peer value P + DELTA, or SMALL where that is not 0, is
 * taken. */
static bool
modp_try(struct ike_dh *dh, const BIGNUM *p, long delta, unsigned long small)
{
	uint8_t y[256], s[256];
	BIGNUM *v = BN_dup(p);
	size_t len = BN_num_bytes(p), sl;

	if (small != 0)
		BN_set_word(v, small);
	else if (delta < 0)
		BN_sub_word(v, (unsigned long)-delta);
	else
		BN_add_word(v, (unsigned long)delta);
	BN_bn2binpad(v, y, (int)len);
	BN_free(v);
	return ike_dh_shared(dh, y, len, s, sizeof(s), &sl) == 0;
}

/* 1 < y < p-1 always. Group 24 refuses values outside its subgroup of
 * order q (RFC 6989 2.2), such as 2 and p-2; for group 14 OpenSSL knows
 * q = (p-1)/2 and refuses p-2, a non-residue (p = 7 mod 8), but not 2;
 * group 2 takes both. */
static void
test_dh_modp_bounds(int group, BIGNUM *p, bool pm2_ok, bool two_ok)
{
	struct ike_dh *dh = ike_dh_new(group);

	CHECK(dh != NULL && (size_t)BN_num_bytes(p) == ike_dh_len(group),
	      "group %d: new", group);
	if (dh == NULL) {
		BN_free(p);
		return;
	}
	CHECK(!modp_try(dh, p, 0, 1), "group %d: 1 accepted", group);
	CHECK(!modp_try(dh, p, -1, 0), "group %d: p-1 accepted", group);
	CHECK(!modp_try(dh, p, 0, 0), "group %d: p accepted", group);
	CHECK(!modp_try(dh, p, 1, 0), "group %d: p+1 accepted", group);
	CHECK(modp_try(dh, p, -2, 0) == pm2_ok, "group %d: p-2 %s", group,
	      pm2_ok ? "refused" : "accepted");
	CHECK(modp_try(dh, p, 0, 2) == two_ok, "group %d: 2 %s", group,
	      two_ok ? "refused" : "accepted");
	ike_dh_free(dh);
	BN_free(p);
}

static void
test_dh_ecp_bad(int group)
{
	struct ike_dh *a = ike_dh_new(group), *b = ike_dh_new(group);
	size_t len = ike_dh_len(group), half = len / 2, sl;
	uint8_t pb[96], s[48];

	CHECK(a != NULL && b != NULL && ike_dh_public(b, pb, sizeof(pb)) == 0,
	      "group %d: new", group);
	if (a == NULL || b == NULL)
		goto out;
	pb[len - 1] ^= 1;
	CHECK(ike_dh_shared(a, pb, len, s, sizeof(s), &sl) == -1,
	      "group %d: point off the curve accepted", group);
	/* x = p: a coordinate out of range (P-256 and P-384 p as in FIPS
	 * 186-4 D.1.2.3, D.1.2.4) */
	unhex(group == IKE_DH_ECP256 ?
	      "ffffffff000000010000000000000000"
	      "00000000ffffffffffffffffffffffff" :
	      "ffffffffffffffffffffffffffffffff"
	      "fffffffffffffffffffffffffffffffe"
	      "ffffffff0000000000000000ffffffff", pb, half);
	CHECK(ike_dh_shared(a, pb, len, s, sizeof(s), &sl) == -1,
	      "group %d: x = p accepted", group);
out:
	ike_dh_free(a);
	ike_dh_free(b);
}

/* Known answers: X and Y private, GX and GY public, Z shared. */
static void
test_dh_kat(const char *name, int group, const char *x, const char *gx,
	    const char *y, const char *gy, const char *z)
{
	uint8_t priv[48], peer[256], pub[256], s[256];
	size_t len = ike_dh_len(group), sl = 0, pl;
	struct ike_dh *dh;
	int side;

	for (side = 0; side < 2; side++) {
		pl = unhex(side ? y : x, priv, sizeof(priv));
		dh = ike_dh_new_with_private(group, priv, pl);
		CHECK(dh != NULL, "%s: side %d: new", name, side);
		if (dh == NULL)
			continue;
		CHECK(ike_dh_public(dh, pub, sizeof(pub)) == 0 &&
		      eq_hex(pub, len, side ? gy : gx),
		      "%s: side %d: public value", name, side);
		CHECK(unhex(side ? gx : gy, peer, sizeof(peer)) == len &&
		      ike_dh_shared(dh, peer, len, s, sizeof(s), &sl) == 0 &&
		      eq_hex(s, sl, z), "%s: side %d: shared secret", name,
		      side);
		ike_dh_free(dh);
	}
}

/* RFC 5903 8.1 and 8.2: i, g^i = gix | giy, r, g^r = grx | gry, g^ir x */
static const char rfc5903_256_i[] =
	"c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433";
static const char rfc5903_256_gi[] =
	"dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
	"5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3";
static const char rfc5903_256_r[] =
	"c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53";
static const char rfc5903_256_gr[] =
	"d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
	"56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab";
static const char rfc5903_256_girx[] =
	"d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de";

static const char rfc5903_384_i[] =
	"099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655"
	"e35b538041e649ee3faef896783ab194";
static const char rfc5903_384_gi[] =
	"667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6"
	"de3ac808acb4bdb4c88732aee95f41aa"
	"9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38e"
	"eb9fcff3c2c947dae69b4c634573a81c";
static const char rfc5903_384_r[] =
	"41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942"
	"e0308312916b8ed2960e4bd55a7448fc";
static const char rfc5903_384_gr[] =
	"e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d"
	"0d1ac43a0336def96fda41d0774a3571"
	"dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1ff"
	"f83fa40142209dff5eaad96db9e6386c";
static const char rfc5903_384_girx[] =
	"11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4"
	"d603135569b9e9d09cf5d4a270f59746";


/* RFC 5114 2.3: the prime of group 24; A.3: xA, yA = g^xA, xB, yB = g^xB,
 * Z = g^(xA xB) */
static const char rfc5114_p[] =
	"87a8e61db4b6663cffbbd19c651959998ceef608660dd0f25d2ceed4435e3b00"
	"e00df8f1d61957d4faf7df4561b2aa3016c3d91134096faa3bf4296d830e9a7c"
	"209e0c6497517abd5a8a9d306bcf67ed91f9e6725b4758c022e0b1ef4275bf7b"
	"6c5bfc11d45f9088b941f54eb1e59bb8bc39a0bf12307f5c4fdb70c581b23f76"
	"b63acae1caa6b7902d52526735488a0ef13c6d9a51bfa4ab3ad8347796524d8e"
	"f6a167b5a41825d967e144e5140564251ccacb83e6b486f6b3ca3f7971506026"
	"c0b857f689962856ded4010abd0be621c3a3960a54e710c375f26375d7014103"
	"a4b54330c198af126116d2276e11715f693877fad7ef09cadb094ae91e1a1597";

static const char rfc5114_xa[] =
	"0881382cdb87660c6dc13e614938d5b9c8b2f248581cc5e31b35454397fce50e";

static const char rfc5114_ya[] =
	"2e9380c8323af97545bc4941deb0ec3742c62fe0ece824a6abdbe66c59bee024"
	"2911bfb967235ceba35ae13e4ec752be630b92dc4bde2847a9c62cb815274542"
	"1fb7eb60a63c0fe9159fcce726ce7cd8523d7450667ef840e4919121eb5f01c8"
	"c9b0d3d648a93bfb75689e8244ac134af544711ce79a02dcc34226684780dddc"
	"b498594106c37f5bc79856487af5ab022a2e5e42f09897c1a85a11ea0212af04"
	"d9b4cebc937c3c1a3e15a8a0342e337615c84e7fe3b8b9b87fb1e73a15af12a3"
	"0d746e06dfc34f290d797ce51aa13aa785bf6658aff5e4b093003cbeaf665b3c"
	"2e113a3a4e905269341dc0711426685f4ef37e868a8126ff3f2279b57ca67e29";

static const char rfc5114_xb[] =
	"7d62a7e3ef36de617b13d1afb82c780d83a23bd4ee6705645121f371f546a53d";

static const char rfc5114_yb[] =
	"575f0351bd2b1b817448bdf87a6c362c1e289d3903a30b9832c5741fa250363e"
	"7acbc7f77f3dacbc1f131add8e03367eff8fbbb3e1c5784424809b25afe4d226"
	"2a1a6fd2fab64105ca30a674e07f7809852088632fc049233791ad4edd083a97"
	"8b883ee618bc5e0dd047415f2d95e683cf14826b5fbe10d3ce41c6c120c78ab2"
	"0008c698bf7f0bcab9d7f407bed0f43afb2970f57f8d12043963e66ddd320d59"
	"9ad9936c8f44137c08b180ec5e985cebe186f3d549677e80607331ee17af3380"
	"a725b0782317d7dd43f59d7af9568a9bb63a84d365f92244ed120988219302f4"
	"2924c7ca90b89d24f71b0ab697823d7deb1aff5b0e8e4a45d49f7f53757e1913";

static const char rfc5114_z[] =
	"86c70bf8d0bb81bb01078a17219cb7d27203db2a19c877f1d1f19fd7d77ef225"
	"46a68f005ad52dc84553b78fc60330be51ea7c0672cac1515e4b35c047b9a551"
	"b88f39dc26da14a09ef74774d47c762dd177f9ed5bc2f11e52c879bd95098504"
	"cd9eecd8a8f9b3efbd1f008ac5853097d9d1837f2b18f77cd7be01af80a7c7b5"
	"ea3ca54cc02d0c116fee3f95bb87399385875d7e86747e676e728938acbff709"
	"8e05be4dcfb24052b83aeffb14783f029adbde7f53fae92084224090e007cee9"
	"4d4bf2bace9ffd4b57d2af7c724d0caa19bf0501f6f17b4aa10f425e3ea76080"
	"b4b9d6b3cefea115b2ceb8789bb8a3b0ea87febe63b6c8f846ec6db0c26c5d7c";

/* Private values out of range: zero, the order and above, too long. */
static void
test_dh_private(void)
{
	uint8_t x[49];

	memset(x, 0, sizeof(x));
	CHECK(ike_dh_new_with_private(IKE_DH_ECP256, x, 32) == NULL,
	      "P-256 private 0 accepted");
	memset(x, 0xff, sizeof(x));
	CHECK(ike_dh_new_with_private(IKE_DH_ECP256, x, 32) == NULL,
	      "P-256 private above n accepted");
	CHECK(ike_dh_new_with_private(IKE_DH_ECP384, x, 49) == NULL,
	      "49-byte P-384 private accepted");
	CHECK(ike_dh_new_with_private(IKE_DH_MODP2048_256, x, 32) == NULL,
	      "group 24 private above q accepted");
	CHECK(ike_dh_new_with_private(7, x, 32) == NULL, "unknown group");
}

/* ---- The SK payload ---- */

#define AAD_LEN 32	/* IKE header and the SK payload's generic header */

static uint8_t key_e[36], key_a[64];

static size_t
iv_len(const struct ike_sk_dir *d)
{
	return d->encr == IKE_ENCR_AES_GCM16 ? IKE_GCM_IV_LEN : IKE_CBC_IV_LEN;
}

/* Seal PLEN bytes, open them again, then flip each byte in turn (AAD, IV,
 * ciphertext, ICV) and move the boundaries: all must fail. */
static void
check_roundtrip(const struct ike_sk_dir *d, size_t plen)
{
	static uint8_t msg[1024], copy[1024];
	size_t body = ike_sk_body_len(d, plen), len = AAD_LEN + body, i, ilen;
	size_t bad = 0, off = AAD_LEN + iv_len(d);
	uint8_t *inner;

	CHECK(body != 0 && len <= sizeof(msg), "%d/%d: body of %zu", d->encr,
	      d->integ, plen);
	for (i = 0; i < AAD_LEN; i++)
		msg[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < plen; i++)
		msg[off + i] = (uint8_t)(i * 7);
	CHECK(ike_sk_seal(d, 0x0102030405060708ULL, msg, AAD_LEN, plen,
			  len) == 0, "%d/%d: seal %zu", d->encr, d->integ,
	      plen);
	if (d->encr == IKE_ENCR_AES_GCM16)
		CHECK(eq_hex(msg + AAD_LEN, 8, "0102030405060708"),
		      "GCM IV is not the sequence number");
	memcpy(copy, msg, len);
	CHECK(ike_sk_open(d, msg, AAD_LEN, len, &inner, &ilen) == 0 &&
	      inner == msg + off && ilen == plen,
	      "%d/%d: open %zu", d->encr, d->integ, plen);
	for (i = 0; i < plen && ilen == plen; i++)
		if (inner[i] != (uint8_t)(i * 7))
			break;
	CHECK(i == plen, "%d/%d: plaintext %zu differs at %zu", d->encr,
	      d->integ, plen, i);

	for (i = 0; i < len; i++) {
		memcpy(msg, copy, len);
		msg[i] ^= (uint8_t)(1u << (i % 8));
		bad += ike_sk_open(d, msg, AAD_LEN, len, &inner, &ilen) == 0;
	}
	CHECK(bad == 0, "%d/%d: %zu of %zu tampered bytes accepted", d->encr,
	      d->integ, bad, len);
	memcpy(msg, copy, len);
	CHECK(ike_sk_open(d, msg, AAD_LEN, len - 1, &inner, &ilen) == -1,
	      "%d/%d: short message accepted", d->encr, d->integ);
	memcpy(msg, copy, len);
	CHECK(ike_sk_open(d, msg, AAD_LEN, len + 1, &inner, &ilen) == -1,
	      "%d/%d: long message accepted", d->encr, d->integ);
	memcpy(msg, copy, len);
	CHECK(ike_sk_open(d, msg, AAD_LEN - 1, len, &inner, &ilen) == -1 &&
	      ike_sk_open(d, msg, AAD_LEN + 1, len, &inner, &ilen) == -1,
	      "%d/%d: moved AAD boundary accepted", d->encr, d->integ);
	/* (CBC padding may absorb one more byte of payload.) */
	CHECK(ike_sk_seal(d, 1, msg, AAD_LEN, plen, len + 1) == -1 &&
	      ike_sk_seal(d, 1, msg, AAD_LEN, plen, len - 1) == -1 &&
	      (ike_sk_body_len(d, plen + 1) == body ||
	       ike_sk_seal(d, 1, msg, AAD_LEN, plen + 1, len) == -1),
	      "%d/%d: seal with lengths that disagree", d->encr, d->integ);
}

static void
test_sk_roundtrips(void)
{
	static const int integs[] = {
		IKE_INTEG_HMAC_SHA1_96, IKE_INTEG_HMAC_SHA256_128,
		IKE_INTEG_HMAC_SHA384_192, IKE_INTEG_HMAC_SHA512_256,
	};
	static const size_t plens[] = { 0, 1, 14, 15, 16, 17, 31, 200 };
	struct ike_sk_dir d = { IKE_ENCR_AES_GCM16, IKE_INTEG_NONE, key_e,
				NULL };
	size_t i, j;

	for (i = 0; i < sizeof(key_e); i++)
		key_e[i] = (uint8_t)(0x11 * i);
	for (i = 0; i < sizeof(key_a); i++)
		key_a[i] = (uint8_t)(0xc3 ^ i);
	for (j = 0; j < sizeof(plens) / sizeof(plens[0]); j++)
		check_roundtrip(&d, plens[j]);
	d.encr = IKE_ENCR_AES_CBC;
	d.ak = key_a;
	for (i = 0; i < sizeof(integs) / sizeof(integs[0]); i++) {
		d.integ = integs[i];
		for (j = 0; j < sizeof(plens) / sizeof(plens[0]); j++)
			check_roundtrip(&d, plens[j]);
	}
}

static void
test_sk_body_len(void)
{
	struct ike_sk_dir g = { IKE_ENCR_AES_GCM16, IKE_INTEG_NONE, key_e,
				NULL };
	struct ike_sk_dir c = { IKE_ENCR_AES_CBC, IKE_INTEG_HMAC_SHA256_128,
				key_e, key_a };

	CHECK(ike_sk_body_len(&g, 0) == 25 && ike_sk_body_len(&g, 10) == 35,
	      "GCM body lengths");
	CHECK(ike_sk_body_len(&c, 0) == 48 && ike_sk_body_len(&c, 15) == 48 &&
	      ike_sk_body_len(&c, 16) == 64, "CBC body lengths");
	CHECK(ike_sk_body_len(&g, 65531 - 25) == 65531 &&
	      ike_sk_body_len(&g, 65531 - 24) == 0,
	      "body past the payload length field");
	g.integ = IKE_INTEG_HMAC_SHA256_128;
	c.integ = IKE_INTEG_NONE;
	CHECK(ike_sk_body_len(&g, 10) == 0 && ike_sk_body_len(&c, 10) == 0,
	      "GCM with integrity or CBC without it");
	c.integ = IKE_INTEG_HMAC_SHA256_128;
	c.encr = 3;
	CHECK(ike_sk_body_len(&c, 10) == 0 && ike_sk_body_len(NULL, 1) == 0,
	      "unknown encryption");
}

/* GCM specification, test case 16 (AES-256, 60-byte plaintext, 20-byte
 * AAD): its IV cafebabe facedbad decaf888 splits into our salt and the
 * message's IV. */
#define TC16_K "feffe9928665731c6d6a8f9467308308" \
	       "feffe9928665731c6d6a8f9467308308"
#define TC16_SALT "cafebabe"
#define TC16_IV "facedbaddecaf888"
#define TC16_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define TC16_P "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d" \
	       "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657" \
	       "ba637b39"
#define TC16_C "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd" \
	       "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0a" \
	       "bcc9f662"
#define TC16_T "76fc6ece0f4e1768cddf8853bb2d551b"

static void
test_sk_gcm_vector(void)
{
	uint8_t ek[36], msg[104], p[60], c[60], *inner;
	struct ike_sk_dir d = { IKE_ENCR_AES_GCM16, IKE_INTEG_NONE, ek, NULL };
	size_t ilen;

	unhex(TC16_K TC16_SALT, ek, sizeof(ek));
	unhex(TC16_P, p, sizeof(p));
	unhex(TC16_C, c, sizeof(c));
	unhex(TC16_A TC16_IV TC16_C TC16_T, msg, sizeof(msg));
	/* P's last byte, 0x39, reads as a pad length: 2 bytes remain. */
	CHECK(ike_sk_open(&d, msg, 20, sizeof(msg), &inner, &ilen) == 0 &&
	      memcmp(msg + 28, p, 60) == 0, "GCM test case 16: open");
	CHECK(inner == msg + 28 && ilen == 60 - 1 - 0x39,
	      "GCM test case 16: pad length");

	/* Sealing P's first 59 bytes under that key and IV uses the same key
	 * stream: C but for the last byte, where pad length 0 stands for
	 * P's 0x39. */
	memset(msg, 0xee, sizeof(msg));
	unhex(TC16_A, msg, 20);
	memcpy(msg + 28, p, 59);
	CHECK(ike_sk_body_len(&d, 59) == 84 &&
	      ike_sk_seal(&d, 0xfacedbaddecaf888ULL, msg, 20, 59, 104) == 0,
	      "GCM test case 16: seal");
	CHECK(eq_hex(msg + 20, 8, TC16_IV) && memcmp(msg + 28, c, 59) == 0 &&
	      msg[28 + 59] == (c[59] ^ p[59]), "GCM test case 16: ciphertext");
	CHECK(ike_sk_open(&d, msg, 20, 104, &inner, &ilen) == 0 &&
	      ilen == 59 && memcmp(inner, p, 59) == 0,
	      "GCM test case 16: reopen");
}

/* SP 800-38A F.2.5, CBC-AES256.Encrypt, behind an HMAC-SHA-256-128 ICV
 * made with ike_integ_mac (checked against RFC 4868 above). */
static void
test_sk_cbc_vector(void)
{
	uint8_t ek[32], msg[AAD_LEN + 16 + 64 + 16], mac[64], *inner;
	struct ike_sk_dir d = { IKE_ENCR_AES_CBC, IKE_INTEG_HMAC_SHA256_128,
				ek, key_a };
	size_t ilen;

	unhex("603deb1015ca71be2b73aef0857d7781"
	      "1f352c073b6108d72d9810a30914dff4", ek, sizeof(ek));
	memset(msg, 0x2e, AAD_LEN);
	unhex("000102030405060708090a0b0c0d0e0f"
	      "f58c4c04d6e5f1ba779eabfb5f7bfbd6"
	      "9cfc4e967edb808d679f777bc6702c7d"
	      "39f23369a9d9bacfa530e26304231461"
	      "b2eb05e2c39be9fcda6c19078c6a9d1b", msg + AAD_LEN, 80);
	CHECK(ike_integ_mac(d.integ, key_a, msg, AAD_LEN + 80, mac) == 0,
	      "CBC vector: MAC");
	memcpy(msg + AAD_LEN + 80, mac, 16);
	/* P's last byte, 0x10, reads as a pad length: 47 bytes remain. */
	CHECK(ike_sk_open(&d, msg, AAD_LEN, sizeof(msg), &inner, &ilen) == 0 &&
	      eq_hex(msg + AAD_LEN + 16, 64,
		     "6bc1bee22e409f96e93d7e117393172a"
		     "ae2d8a571e03ac9c9eb76fac45af8e51"
		     "30c81c46a35ce411e5fbc1191a0a52ef"
		     "f69f2445df4f9b17ad2b417be66c3710"),
	      "SP 800-38A F.2.5: open");
	CHECK(inner == msg + AAD_LEN + 16 && ilen == 47,
	      "SP 800-38A F.2.5: pad length");
}

/* Messages whose ICV is right but whose body is malformed, built with
 * OpenSSL directly: a pad length past the plaintext, CBC bodies that are
 * not whole blocks, bodies shorter than IV, ICV and one byte or block. */
static int
encrypt_raw(const EVP_CIPHER *c, const uint8_t *k, const uint8_t *nonce,
	    const uint8_t *aad, size_t aad_len, uint8_t *text, size_t len,
	    uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t fin[16];
	int outl, ok;

	ok = ctx != NULL && EVP_EncryptInit_ex2(ctx, c, k, nonce, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     (aad_len == 0 ||
	      EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) == 1) &&
	     EVP_EncryptUpdate(ctx, text, &outl, text, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, fin, &outl) == 1 &&
	     (tag == NULL || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
						 16, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* A GCM message with plaintext of LEN bytes ending in PAD. */
static int
gcm_open_crafted(size_t len, uint8_t pad, size_t *ilen)
{
	struct ike_sk_dir d = { IKE_ENCR_AES_GCM16, IKE_INTEG_NONE, key_e,
				NULL };
	uint8_t msg[AAD_LEN + 8 + 64 + 16], nonce[12], *inner;
	size_t mlen = AAD_LEN + 8 + len + 16;

	memset(msg, 0x33, sizeof(msg));
	memcpy(nonce, key_e + 32, 4);
	memcpy(nonce + 4, msg + AAD_LEN, 8);
	msg[AAD_LEN + 8 + len - 1] = pad;
	if (encrypt_raw(EVP_aes_256_gcm(), key_e, nonce, msg, AAD_LEN,
			msg + AAD_LEN + 8, len, msg + AAD_LEN + 8 + len) != 0)
		return -2;
	return ike_sk_open(&d, msg, AAD_LEN, mlen, &inner, ilen);
}

/* A CBC message with a ciphertext of LEN bytes (any length), the
 * plaintext ending in PAD when LEN is whole blocks, and a right ICV. */
static int
cbc_open_crafted(size_t len, uint8_t pad, size_t *ilen)
{
	struct ike_sk_dir d = { IKE_ENCR_AES_CBC, IKE_INTEG_HMAC_SHA256_128,
				key_e, key_a };
	uint8_t msg[AAD_LEN + 16 + 64 + 64], mac[64], *inner;
	size_t mlen = AAD_LEN + 16 + len + 16;

	memset(msg, 0x44, sizeof(msg));
	if (len % 16 == 0) {
		msg[AAD_LEN + 16 + len - 1] = pad;
		if (encrypt_raw(EVP_aes_256_cbc(), key_e, msg + AAD_LEN, NULL,
				0, msg + AAD_LEN + 16, len, NULL) != 0)
			return -2;
	}
	if (ike_integ_mac(d.integ, key_a, msg, mlen - 16, mac) != 0)
		return -2;
	memcpy(msg + mlen - 16, mac, 16);
	return ike_sk_open(&d, msg, AAD_LEN, mlen, &inner, ilen);
}

static void
test_sk_malformed(void)
{
	struct ike_sk_dir g = { IKE_ENCR_AES_GCM16, IKE_INTEG_NONE, key_e,
				NULL };
	struct ike_sk_dir c = { IKE_ENCR_AES_CBC, IKE_INTEG_HMAC_SHA256_128,
				key_e, key_a };
	uint8_t msg[256] = { 0 }, *inner;
	size_t ilen = 99;

	CHECK(gcm_open_crafted(32, 31, &ilen) == 0 && ilen == 0,
	      "GCM: padding filling the plaintext refused");
	CHECK(gcm_open_crafted(32, 32, &ilen) == -1,
	      "GCM: pad length past the plaintext accepted");
	CHECK(gcm_open_crafted(1, 0, &ilen) == 0 && ilen == 0,
	      "GCM: lone pad length byte refused");
	CHECK(cbc_open_crafted(32, 31, &ilen) == 0 && ilen == 0,
	      "CBC: padding filling the plaintext refused");
	CHECK(cbc_open_crafted(32, 32, &ilen) == -1 &&
	      cbc_open_crafted(32, 255, &ilen) == -1,
	      "CBC: pad length past the plaintext accepted");
	CHECK(cbc_open_crafted(17, 0, &ilen) == -1 &&
	      cbc_open_crafted(31, 0, &ilen) == -1,
	      "CBC: ciphertext of partial blocks accepted");
	CHECK(cbc_open_crafted(0, 0, &ilen) == -1,
	      "CBC: empty ciphertext accepted");

	/* Too short: IV + ICV + 1 for GCM, IV + block + ICV for CBC */
	CHECK(ike_sk_open(&g, msg, AAD_LEN, AAD_LEN + 24, &inner,
			  &ilen) == -1 &&
	      ike_sk_open(&g, msg, AAD_LEN, AAD_LEN, &inner, &ilen) == -1,
	      "GCM: short body accepted");
	CHECK(ike_sk_open(&c, msg, AAD_LEN, AAD_LEN + 47, &inner, &ilen) == -1,
	      "CBC: short body accepted");
	CHECK(ike_sk_open(&g, msg, AAD_LEN + 1, AAD_LEN, &inner, &ilen) == -1,
	      "AAD longer than the message accepted");
	g.ek = NULL;
	c.ak = NULL;
	CHECK(ike_sk_open(&g, msg, 0, 100, &inner, &ilen) == -1 &&
	      ike_sk_open(&c, msg, 0, 100, &inner, &ilen) == -1 &&
	      ike_sk_seal(&g, 0, msg, AAD_LEN, 10, AAD_LEN + 35) == -1,
	      "missing keys accepted");
}

int
main(void)
{
	test_lengths();
	test_hmac();
	test_prf_plus();
	test_kdf();
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		test_dh_agree(groups[i]);
	test_dh_modp_bounds(IKE_DH_MODP1024, BN_get_rfc2409_prime_1024(NULL),
			    true, true);
	test_dh_modp_bounds(IKE_DH_MODP2048, BN_get_rfc3526_prime_2048(NULL),
			    false, true);
	{
		BIGNUM *p = NULL;

		BN_hex2bn(&p, rfc5114_p);
		test_dh_modp_bounds(IKE_DH_MODP2048_256, p, false, false);
	}
	test_dh_ecp_bad(IKE_DH_ECP256);
	test_dh_ecp_bad(IKE_DH_ECP384);
	test_dh_kat("RFC 5903 8.1", IKE_DH_ECP256, rfc5903_256_i,
		    rfc5903_256_gi, rfc5903_256_r, rfc5903_256_gr,
		    rfc5903_256_girx);
	test_dh_kat("RFC 5903 8.2", IKE_DH_ECP384, rfc5903_384_i,
		    rfc5903_384_gi, rfc5903_384_r, rfc5903_384_gr,
		    rfc5903_384_girx);
	test_dh_kat("RFC 5114 A.3", IKE_DH_MODP2048_256, rfc5114_xa,
		    rfc5114_ya, rfc5114_xb, rfc5114_yb, rfc5114_z);
	test_dh_private();
	test_sk_body_len();
	test_sk_roundtrips();
	test_sk_gcm_vector();
	test_sk_cbc_vector();
	test_sk_malformed();
	return cptest_done("ike_crypto");
}
