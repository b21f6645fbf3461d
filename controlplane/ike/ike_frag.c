/* SPDX-License-Identifier: BSD-3-Clause
 * IKEv2 message fragmentation (RFC 7383), see ike_frag.h. Every field of
 * a received fragment is checked against what the message holds before
 * it is read; plaintext is kept per fragment, bounded by
 * IKE_FRAG_MSG_MAX in all, and wiped when released.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike_frag.h"

struct ike_frag_rx {
	bool active;			/* fragments of MSGID are held */
	bool done;			/* MSGID was completed: drop its fragments */
	uint32_t msgid;
	uint16_t total;			/* Total Fragments of those held */
	uint16_t got;			/* how many of them are held */
	uint8_t first;			/* from fragment 1 */
	size_t bytes;			/* plaintext held, all fragments */
	uint8_t *pt[IKE_FRAG_MAX];	/* by Fragment Number - 1 */
	size_t len[IKE_FRAG_MAX];
	bool have[IKE_FRAG_MAX];
	uint8_t *whole;			/* the completed message, until next call */
	size_t whole_len;
};

static void
wipe_free(uint8_t **p, size_t len)
{
	if (*p != NULL) {
		OPENSSL_cleanse(*p, len);
		free(*p);
		*p = NULL;
	}
}

static void
release_whole(struct ike_frag_rx *r)
{
	wipe_free(&r->whole, r->whole_len);
	r->whole_len = 0;
}

static void
release_fragments(struct ike_frag_rx *r)
{
	for (unsigned i = 0; i < IKE_FRAG_MAX; i++) {
		wipe_free(&r->pt[i], r->len[i]);
		r->len[i] = 0;
		r->have[i] = false;
	}
	r->got = 0;
	r->bytes = 0;
	r->first = IKE_PL_NONE;
}

struct ike_frag_rx *
ike_frag_rx_new(void)
{
	return calloc(1, sizeof(struct ike_frag_rx));
}

void
ike_frag_rx_reset(struct ike_frag_rx *r)
{
	if (r == NULL)
		return;
	release_fragments(r);
	release_whole(r);
	r->active = false;
	r->done = false;
	r->msgid = 0;
	r->total = 0;
}

void
ike_frag_rx_free(struct ike_frag_rx *r)
{
	if (r == NULL)
		return;
	ike_frag_rx_reset(r);
	free(r);
}

#define FAIL(msg) do { *why = (msg); return -1; } while (0)
#define DROP(msg) do { *why = (msg); return 0; } while (0)

/* Hand the held fragments over as one buffer, in Fragment Number order. */
static int
complete(struct ike_frag_rx *r, uint8_t **inner, size_t *ilen,
	 uint8_t *first)
{
	size_t off = 0;

	r->whole = malloc(r->bytes > 0 ? r->bytes : 1);
	if (r->whole == NULL)
		return -1;
	for (unsigned i = 0; i < r->total; i++) {
		if (r->len[i] > 0)
			memcpy(r->whole + off, r->pt[i], r->len[i]);
		off += r->len[i];
	}
	r->whole_len = off;
	*inner = r->whole;
	*ilen = r->whole_len;
	*first = r->first;
	release_fragments(r);
	r->active = false;
	r->done = true;			/* msgid and total stay */
	return 1;
}

int
ike_frag_rx_add(struct ike_frag_rx *r, const struct ike_sk_dir *d,
		uint8_t *msg, size_t len, const struct ike_msg *m,
		uint8_t **inner, size_t *ilen, uint8_t *first,
		const char **why)
{
	const struct ike_pl *skf;
	size_t off, aad, plen;
	unsigned num, total;
	uint8_t *pt, *copy;

	*why = NULL;
	if (r == NULL || d == NULL || msg == NULL || m == NULL ||
	    inner == NULL || ilen == NULL || first == NULL)
		FAIL("missing argument");
	release_whole(r);
	if (m->raw != msg || m->raw_len != len || m->n == 0 ||
	    m->n > IKE_MAX_PAYLOADS)
		FAIL("message and its parse differ");
	skf = &m->pl[m->n - 1];
	off = m->sk_off;
	if (skf->type != IKE_PL_SKF || skf->inner || off == 0)
		FAIL("no Encrypted Fragment payload");
	if (off < IKE_HDR_LEN + IKE_GEN_HDR_LEN || off > len ||
	    skf->body != msg + off || skf->len != len - off)
		FAIL("Encrypted Fragment payload is not the last one");
	if (len - off < IKE_FRAG_NUMS_LEN)
		FAIL("Encrypted Fragment payload shorter than its numbers");
	num = ike_get16(msg + off);
	total = ike_get16(msg + off + 2);
	if (num == 0)
		FAIL("Fragment Number 0");
	if (total == 0)
		FAIL("Total Fragments 0");
	if (num > total)
		FAIL("Fragment Number above Total Fragments");
	if (total > IKE_FRAG_MAX)
		FAIL("more fragments than accepted");

	/* Drops that leave R as it is need no decryption. */
	if ((r->active || r->done) && r->msgid == m->hdr.msgid) {
		if (r->done)
			DROP("fragment of a message already reassembled");
		if (total < r->total)
			DROP("fragment of an earlier fragmentation (fewer fragments)");
		if (total == r->total && r->have[num - 1])
			DROP("duplicate fragment");
	}

	aad = off + IKE_FRAG_NUMS_LEN;
	if (ike_sk_open(d, msg, aad, len, &pt, &plen) < 0)
		FAIL("fragment does not verify");

	/* Verified: now it may restart the reassembly (RFC 7383 2.6.1). */
	if (!r->active || r->msgid != m->hdr.msgid || total > r->total) {
		ike_frag_rx_reset(r);
		r->active = true;
		r->msgid = m->hdr.msgid;
		r->total = (uint16_t)total;
	}
	if (plen > IKE_FRAG_MSG_MAX - r->bytes) {
		OPENSSL_cleanse(pt, plen);
		ike_frag_rx_reset(r);
		FAIL("reassembled message too large");
	}
	copy = malloc(plen > 0 ? plen : 1);
	if (copy == NULL) {
		OPENSSL_cleanse(pt, plen);
		FAIL("out of memory");
	}
	if (plen > 0)
		memcpy(copy, pt, plen);
	OPENSSL_cleanse(pt, plen);
	r->pt[num - 1] = copy;
	r->len[num - 1] = plen;
	r->have[num - 1] = true;
	r->got++;
	r->bytes += plen;
	if (num == 1)
		r->first = m->sk_first;	/* the others carry 0 */
	if (r->got < r->total)
		return 0;
	if (complete(r, inner, ilen, first) < 0) {
		ike_frag_rx_reset(r);
		FAIL("out of memory");
	}
	return 1;
}

/* ---- sending ---- */

enum { FRAG_OVERHEAD = IKE_HDR_LEN + IKE_GEN_HDR_LEN + IKE_FRAG_NUMS_LEN };

size_t
ike_frag_chunk(const struct ike_sk_dir *d, size_t max)
{
	size_t empty = ike_sk_body_len(d, 0);

	if (max > IKE_MAX_MSG)
		max = IKE_MAX_MSG;
	if (empty == 0 || max < FRAG_OVERHEAD + empty)
		return 0;
	/* The body grows by at least one byte per byte, less at most a
	 * cipher block of padding: start just above and walk down. */
	for (size_t c = max - FRAG_OVERHEAD - empty + 16; c > 0; c--) {
		size_t body = ike_sk_body_len(d, c);

		if (body != 0 && body <= max - FRAG_OVERHEAD)
			return c;
	}
	return 0;
}

int
ike_frag_tx(const struct ike_sk_dir *d, uint64_t *iv_seq,
	    const struct ike_hdr *h, uint8_t first, const uint8_t *inner,
	    size_t ilen, size_t max,
	    int (*emit)(void *arg, const uint8_t *buf, size_t len), void *arg)
{
	struct ike_hdr hh;
	size_t chunk, n, ivl;
	uint8_t *buf;
	int rc = -1;

	if (d == NULL || iv_seq == NULL || h == NULL || emit == NULL ||
	    (ilen > 0 && inner == NULL))
		return -1;
	if (max > IKE_MAX_MSG)
		max = IKE_MAX_MSG;
	chunk = ike_frag_chunk(d, max);
	if (chunk == 0)
		return -1;
	n = ilen == 0 ? 1 : ilen / chunk + (ilen % chunk != 0);
	if (n > IKE_FRAG_MAX)
		return -1;
	ivl = d->encr == IKE_ENCR_AES_GCM16 ? IKE_GCM_IV_LEN : IKE_CBC_IV_LEN;
	buf = malloc(max);
	if (buf == NULL)
		return -1;
	hh = *h;
	hh.next = IKE_PL_SKF;
	hh.length = 0;
	for (size_t i = 0; i < n; i++) {
		size_t off = i * chunk;
		size_t clen = ilen - off < chunk ? ilen - off : chunk;
		size_t body = ike_sk_body_len(d, clen);
		struct ike_out o;
		uint8_t *p;

		ike_out_init(&o, buf, max, &hh);
		p = body == 0 ? NULL :
		    ike_out_pl(&o, IKE_PL_SKF, IKE_FRAG_NUMS_LEN + body);
		if (p == NULL || ike_out_finish(&o) < 0)
			goto out;
		p[-IKE_GEN_HDR_LEN] = i == 0 ? first : IKE_PL_NONE;
		ike_put16(p, (uint16_t)(i + 1));
		ike_put16(p + 2, (uint16_t)n);
		if (clen > 0)
			memcpy(p + IKE_FRAG_NUMS_LEN + ivl, inner + off, clen);
		if (*iv_seq == UINT64_MAX ||
		    ike_sk_seal(d, ++*iv_seq, buf,
				(size_t)(p - buf) + IKE_FRAG_NUMS_LEN, clen,
				o.len) < 0 ||
		    emit(arg, buf, o.len) < 0)
			goto out;
	}
	rc = (int)n;
out:
	OPENSSL_cleanse(buf, max);
	free(buf);
	return rc;
}
