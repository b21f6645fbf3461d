/* SPDX-License-Identifier: BSD-3-Clause
 * Certificate authentication for IKEv2 (and later TLS): the trusted root
 * CAs and revoked thumbprints, the gateway's own certificate and key,
 * verification of a peer's certificate chain, IDi matching, and the AUTH
 * payload's signatures (RFC 7296 2.15 methods 1 and 9/10/11 (RFC 4754),
 * RFC 7427 method 14), with OpenSSL 3.
 */
#ifndef CP_X509_H
#define CP_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

enum {
	X509_THUMB_LEN = 20,		/* SHA-1 of the certificate's DER */
	X509_MAX_ROOTS = 20,
	X509_SUBJECT_LEN = 256,

	/* AUTH methods */
	AUTH_RSA_SIG = 1,
	AUTH_ECDSA_256 = 9,
	AUTH_ECDSA_384 = 10,
	AUTH_ECDSA_521 = 11,
	AUTH_DIGITAL_SIG = 14,

	/* SIGNATURE_HASH_ALGORITHMS values (RFC 7427 / IANA) */
	SIGHASH_SHA1 = 1,
	SIGHASH_SHA256 = 2,
	SIGHASH_SHA384 = 3,
	SIGHASH_SHA512 = 4,

	/* ID types */
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_KEY_ID = 11,
};

/* Trusted roots and the revoked list. */
struct x509_trust;
/* Load N PEM files of root CA certificates (each one or more
 * certificates, all must be CA certificates) and the REVOKED thumbprints.
 * NULL with "FILE: reason" in ERR. */
struct x509_trust *x509_trust_load(const char *const *files, unsigned n,
				   const uint8_t (*revoked)[X509_THUMB_LEN],
				   unsigned n_revoked, char *err, size_t errlen);
void x509_trust_free(struct x509_trust *t);
/* CERTREQ data for encoding 4: the SHA-1 hashes of every root's
 * SubjectPublicKeyInfo, concatenated (RFC 7296 3.7). Bytes written, or
 * 0 when CAP is too small. */
size_t x509_trust_certreq(const struct x509_trust *t, uint8_t *out, size_t cap);
/* One of our roots has SPKI hash HASH (20 bytes). */
bool x509_trust_has_ca(const struct x509_trust *t, const uint8_t *hash);

/* The gateway's identity: certificate, the chain to send after it, key. */
struct x509_local {
	X509 *cert;
	STACK_OF(X509) *chain;		/* intermediates (may be empty) */
	EVP_PKEY *key;
	uint8_t *cert_der;		/* DER of cert, for the CERT payload */
	size_t cert_der_len;
	uint8_t **chain_der;		/* DER of each chain certificate */
	size_t *chain_der_len;
	unsigned n_chain;
	/* IDr: the first SAN dNSName (IKE_ID_FQDN), else the subject DN
	 * (IKE_ID_DER_ASN1_DN), unless the caller sets its own. */
	uint8_t id_type;
	uint8_t id[512];
	size_t id_len;
};
/* CERT_FILE: PEM, the gateway certificate then any intermediates;
 * KEY_FILE: PEM private key (RSA or EC P-256/P-384/P-521) that must
 * match the certificate. NULL with "FILE: reason" in ERR. */
struct x509_local *x509_local_load(const char *cert_file, const char *key_file,
				   char *err, size_t errlen);
void x509_local_free(struct x509_local *l);

/* A verified peer. */
struct x509_peer {
	X509 *cert;
	EVP_PKEY *key;			/* the certificate's public key */
	uint8_t thumb[X509_THUMB_LEN];
	char subject[X509_SUBJECT_LEN];	/* one line, RFC 2253 */
};

/* Verify the peer's end-entity certificate LEAF (DER) with optional
 * intermediates INTER (DER, N_INTER of them) against T at time NOW (0:
 * the current time): the chain must end at one of T's roots, every
 * certificate be in its validity period, the leaf (and no intermediate)
 * listed as revoked by thumbprint, the leaf not a CA. On success fill
 * *OUT (free with x509_peer_clear) and return 0; else -1 with a reason
 * for the log in ERR that names the subject ("certificate of 'CN=x'
 * is revoked (thumbprint 1a2b...)", "... does not chain to a trusted
 * root: unable to get local issuer certificate", ...). *REVOKED is set
 * when the reason is revocation (a different log/notify path). */
int x509_verify_peer(const struct x509_trust *t, const uint8_t *leaf,
		     size_t leaf_len, const uint8_t *const *inter,
		     const size_t *inter_len, unsigned n_inter, int64_t now,
		     struct x509_peer *out, bool *revoked, char *err,
		     size_t errlen);
void x509_peer_clear(struct x509_peer *p);

/* The ID payload (type ID_TYPE, data ID of LEN bytes) names CERT: DN by
 * DER equality with the subject (X509_NAME_cmp), FQDN / RFC822 by
 * case-insensitive equality with a SAN dNSName / rfc822Name (or, when
 * the certificate has no SAN of that kind, the subject's CN), IPv4/IPv6
 * with a SAN iPAddress. KEY_ID never matches. */
bool x509_id_matches(X509 *cert, uint8_t id_type, const uint8_t *id,
		     size_t len);

/* Sign OCTETS for our AUTH payload with KEY. PEER_HASHES is the set of
 * hash algorithms the peer announced in SIGNATURE_HASH_ALGORITHMS
 * (bit 1 << SIGHASH_x), 0 when it sent none. With a common hash from
 * {SHA256, SHA384, SHA512} use method 14 (RFC 7427: one length byte,
 * the AlgorithmIdentifier DER, then the signature: PKCS#1 v1.5 for RSA
 * (sha256WithRSAEncryption ...), DER Ecdsa-Sig-Value for ECDSA
 * (ecdsa-with-SHA256 for P-256, -SHA384 for P-384, -SHA512 for P-521));
 * otherwise method 1 (RSA, PKCS#1 v1.5 with SHA-1) or 9/10/11 (ECDSA
 * with the curve's hash, r || s fixed width, RFC 4754). *METHOD and
 * OUT[0..*OUTLEN) are the AUTH payload's method and data. 0, or -1. */
int x509_auth_sign(EVP_PKEY *key, uint16_t peer_hashes, const uint8_t *octets,
		   size_t olen, uint8_t *method, uint8_t *out, size_t cap,
		   size_t *outlen, char *err, size_t errlen);

/* Verify the peer's AUTH payload (METHOD, DATA) over OCTETS with KEY:
 * method 1 (RSA PKCS#1 v1.5 SHA-1), 9/10/11 (ECDSA P-256/SHA-256,
 * P-384/SHA-384, P-521/SHA-512, r || s; the key's curve must match),
 * 14 (AlgorithmIdentifier: sha1/sha256/sha384/sha512WithRSAEncryption,
 * RSASSA-PSS with its parameters, ecdsa-with-SHA1/256/384/512 with a
 * DER signature; the algorithm must fit the key's type). 0 when valid;
 * -1 with a reason in ERR. */
int x509_auth_verify(EVP_PKEY *key, uint8_t method, const uint8_t *data,
		     size_t len, const uint8_t *octets, size_t olen,
		     char *err, size_t errlen);

/* The hash algorithms we announce in our own SIGNATURE_HASH_ALGORITHMS
 * notify, as a bit set (1 << SIGHASH_x): SHA-256/384/512. Method 14
 * verification also takes SHA-1, which method 1 rests on anyway. */
uint16_t x509_sighash_supported(void);

/* SHA-1 thumbprint as 40 lowercase hex characters into BUF (41). */
const char *x509_thumb_hex(const uint8_t thumb[X509_THUMB_LEN], char buf[41]);

#endif /* CP_X509_H */
