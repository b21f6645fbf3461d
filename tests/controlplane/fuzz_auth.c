/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: what a client's IKE_AUTH hands to the certificate
 * code, untrusted: a CERT payload's DER (x509_verify_peer, with an
 * empty trust store so every certificate that parses is refused at the
 * chain) and an AUTH payload (x509_auth_verify with an ECDSA P-256 and an
 * RSA key: methods 1, 9-11 and 14 with its length-prefixed
 * AlgorithmIdentifier). The first input byte picks which; nothing may
 * crash, leak or verify.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "x509.h"

static struct x509_trust *trust;
static EVP_PKEY *ec, *rsa;

static void
setup(void)
{
	char err[256];

	trust = x509_trust_load(NULL, 0, NULL, 0, err, sizeof(err));
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (trust == NULL || ec == NULL || rsa == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t octets[] = "IKE_SA_INIT | nonce | prf(SK_p, ID')";
	struct x509_peer peer;
	char err[256];
	bool revoked = false;

	if (trust == NULL)
		setup();
	if (len < 2)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (x509_verify_peer(trust, data + 1, len - 1, NULL, NULL, 0, 0,
				     &peer, &revoked, err, sizeof(err)) == 0)
			abort();	/* no root: nothing may verify */
		break;
	case 1:
	case 2:
		if (x509_auth_verify(data[0] % 3 == 1 ? ec : rsa, data[1],
				     data + 2, len - 2, octets, sizeof(octets),
				     err, sizeof(err)) == 0)
			abort();	/* a forged signature */
		break;
	}
	return 0;
}
