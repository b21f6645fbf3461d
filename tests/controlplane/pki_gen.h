/* SPDX-License-Identifier: BSD-3-Clause
 * Shared by the control plane's certificate tests: a PKI made at run time
 * with OpenSSL (RSA and EC keys, CA and end-entity certificates with
 * extensions) and written as PEM files into one temporary directory.
 */
#ifndef PKI_GEN_H
#define PKI_GEN_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* The temporary directory and the files written into it. */
static char tmpdir[64];
static char paths[16][PATH_MAX];
static unsigned n_paths;

/* An RSA-2048 key (CURVE NULL) or an EC key on CURVE ("P-256" ...). */
static inline EVP_PKEY *
keygen(const char *curve)
{
	EVP_PKEY *k;

	if (curve == NULL)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	if (k == NULL) {
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	return k;
}

static inline void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509_EXTENSION *e;
	X509V3_CTX v;

	X509V3_set_ctx_nodb(&v);
	X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
	if (e == NULL || !X509_add_ext(x, e, -1)) {
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	X509_EXTENSION_free(e);
}

struct certspec {
	const char *cn;
	EVP_PKEY *key;
	X509 *issuer;			/* NULL: self-signed */
	EVP_PKEY *ikey;
	bool ca;
	long from, to;			/* validity, seconds from now */
	const char *san;		/* openssl.cnf syntax, or NULL */
};

static inline X509 *
make_cert(const struct certspec *s)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				   (const unsigned char *)"p2sgw test", -1, -1,
				   0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)s->cn, -1, -1, 0);
	X509_set_issuer_name(x, s->issuer != NULL ?
			     X509_get_subject_name(s->issuer) : n);
	X509_gmtime_adj(X509_getm_notBefore(x), s->from);
	X509_gmtime_adj(X509_getm_notAfter(x), s->to);
	X509_set_pubkey(x, s->key);
	add_ext(x, s->issuer != NULL ? s->issuer : x, NID_basic_constraints,
		s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, s->issuer != NULL ? s->issuer : x, NID_key_usage, s->ca ?
		"critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (s->san != NULL)
		add_ext(x, s->issuer, NID_subject_alt_name, s->san);
	if (X509_sign(x, s->issuer != NULL ? s->ikey : s->key,
		      EVP_sha256()) <= 0) {
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	return x;
}

static inline const char *
tmpfile_path(const char *name)
{
	char *p;

	if (n_paths == sizeof(paths) / sizeof(paths[0])) {
		fprintf(stderr, "too many temporary files\n");
		exit(2);
	}
	p = paths[n_paths++];
	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

/* Write the certificates A and B (either may be NULL) and KEY (may be
 * NULL; encrypted with PASS when that is not NULL) as PEM to NAME. */
static inline const char *
write_pem(const char *name, X509 *a, X509 *b, EVP_PKEY *key,
	  const char *pass)
{
	const char *path = tmpfile_path(name);
	BIO *f = BIO_new_file(path, "w");

	if (f == NULL || (a != NULL && !PEM_write_bio_X509(f, a)) ||
	    (b != NULL && !PEM_write_bio_X509(f, b)) ||
	    (key != NULL &&
	     !PEM_write_bio_PrivateKey(f, key, pass != NULL ?
				       EVP_aes_128_cbc() : NULL, NULL, 0, NULL,
				       (void *)pass))) {
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	BIO_free(f);
	return path;
}

static inline const char *
write_text(const char *name, const char *text)
{
	const char *path = tmpfile_path(name);
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	return path;
}

/* Make the temporary directory "/tmp/p2sgw-TAG-XXXXXX". -1 on failure. */
static inline int
pki_tmpdir_make(const char *tag)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/p2sgw-%s-XXXXXX", tag);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

/* Remove every file written and the directory. */
static inline void
pki_files_remove(void)
{
	for (unsigned i = 0; i < n_paths; i++)
		unlink(paths[i]);
	n_paths = 0;
	rmdir(tmpdir);
}

#endif /* PKI_GEN_H */
