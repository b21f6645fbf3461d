/* SPDX-License-Identifier: BSD-3-Clause
 * IKEv2 message fragmentation (RFC 7383): protecting an SK payload's inner
 * chain as a numbered series of Encrypted Fragment (SKF) messages, and
 * reassembling one message ID's fragments after each one verifies.
 *
 * An SKF payload's body is Fragment Number (2 bytes), Total Fragments
 * (2 bytes), then what an SK payload's body holds: IV, ciphertext, ICV.
 * Each fragment is protected on its own with AAD = IKE header, any
 * unencrypted payloads, the SKF generic header and the two numbers
 * (RFC 7383 2.5.3). Only fragment 1 carries the inner chain's first
 * payload type in the SKF's next-payload byte; the others carry 0.
 *
 * Nothing here logs or touches sockets; plaintext this module keeps is
 * wiped (OPENSSL_cleanse) when it is released.
 */
#ifndef CP_IKE_FRAG_H
#define CP_IKE_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "ike_crypto.h"
#include "ike_msg.h"
#include "ikev2_wire.h"

enum {
	/* Fragments per message accepted and sent: Windows fragments to
	 * 576 bytes, which needs more than 16 for a certificate chain. */
	IKE_FRAG_MAX = 128,
	/* Plaintext of one reassembled message, all fragments together. */
	IKE_FRAG_MSG_MAX = 64 * 1024,
	/* Fragment Number and Total Fragments, before the IV. */
	IKE_FRAG_NUMS_LEN = 4,
};

/* The reassembly of one message ID of one IKE SA. */
struct ike_frag_rx;

struct ike_frag_rx *ike_frag_rx_new(void);
/* Wipes and frees everything R holds (NULL is fine). */
void ike_frag_rx_free(struct ike_frag_rx *r);
/* Forget the message being reassembled (and a completed one). */
void ike_frag_rx_reset(struct ike_frag_rx *r);

/* Add one received message M (parsed from MSG, LEN; its last payload is
 * SKF) to the reassembly R; D is the peer's direction of protection.
 *
 * Fragment Number and Total Fragments must satisfy 1 <= num <= total <=
 * IKE_FRAG_MAX. The fragment is verified and decrypted in place (the
 * plaintext is copied into R and wiped from MSG). Only a fragment that
 * verifies changes R (RFC 7383 2.6.1): one of another message ID, or
 * with a larger Total Fragments than the fragments held, restarts the
 * reassembly with itself. A fragment with a smaller Total Fragments, a
 * duplicate of a held fragment, or one of the message just completed is
 * dropped without decryption.
 *
 * Returns 1 when the message is complete: *INNER, *ILEN hold the
 * concatenated plaintext (owned by R until its next add, reset or free)
 * and *FIRST the type of its first payload (from fragment 1, whatever
 * the order of arrival). Returns 0 when more fragments are needed or the
 * fragment was dropped (*WHY then says why, else NULL), and -1 when the
 * fragment is malformed or does not verify (*WHY says which). */
int ike_frag_rx_add(struct ike_frag_rx *r, const struct ike_sk_dir *d,
		    uint8_t *msg, size_t len, const struct ike_msg *m,
		    uint8_t **inner, size_t *ilen, uint8_t *first,
		    const char **why);

/* Protect the inner chain INNER, ILEN (first payload type FIRST) as
 * fragments 1..n of a message with header H (exchange, flags, message
 * ID, SPIs; the next-payload type written is SKF), each IKE message at
 * most MAX bytes (the IKE header included; UDP, IP and any non-ESP
 * marker not). Each fragment is sealed with D under IV sequence number
 * ++*IV_SEQ. EMIT(ARG, BUF, LEN) is called with every fragment in order
 * (BUF is valid only during the call; a negative return stops). Returns
 * n, or -1 when the chain needs more than IKE_FRAG_MAX fragments, MAX is
 * too small, or sealing or EMIT fails. */
int ike_frag_tx(const struct ike_sk_dir *d, uint64_t *iv_seq,
		const struct ike_hdr *h, uint8_t first, const uint8_t *inner,
		size_t ilen, size_t max,
		int (*emit)(void *arg, const uint8_t *buf, size_t len),
		void *arg);

/* The most inner-chain bytes one fragment message of at most MAX bytes
 * carries with D (0: none, or D is not usable). */
size_t ike_frag_chunk(const struct ike_sk_dir *d, size_t max);

#endif /* CP_IKE_FRAG_H */
