/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of IKEv2 message fragmentation (controlplane/ike/ike_frag.c,
 * RFC 7383) with AES-GCM and AES-CBC + HMAC-SHA256 directions: fragments
 * read back by the parser, reassembly in order, reversed, shuffled and
 * with duplicates, many small fragments, forged fragments, the Fragment
 * Number / Total Fragments rules, message ID changes, the size bound and
 * the IV sequence.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cptest.h"
#include "ike_crypto.h"
#include "ike_frag.h"
#include "ike_msg.h"

enum { NFRAG = 512, INNER_LEN = 5000, FIRST = IKE_PL_IDI };

struct dir {
	const char *name;
	struct ike_sk_dir d;
	uint8_t ek[IKE_MAX_KEY_LEN], ak[IKE_MAX_KEY_LEN];
};

static void
dir_init(struct dir *x, bool gcm)
{
	memset(x, 0, sizeof(*x));
	x->name = gcm ? "GCM" : "CBC-SHA256";
	x->d.encr = gcm ? IKE_ENCR_AES_GCM16 : IKE_ENCR_AES_CBC;
	x->d.integ = gcm ? IKE_INTEG_NONE : IKE_INTEG_HMAC_SHA256_128;
	if (RAND_bytes(x->ek, sizeof(x->ek)) != 1 ||
	    RAND_bytes(x->ak, sizeof(x->ak)) != 1) {
		fprintf(stderr, "RAND_bytes failed\n");
		exit(2);
	}
	x->d.ek = x->ek;
	x->d.ak = gcm ? NULL : x->ak;
}

/* ---- collecting what ike_frag_tx emits ---- */

struct frags {
	uint8_t *b[NFRAG];
	size_t len[NFRAG];
	unsigned n;
	int fail_at;			/* emit fails at this index (-1: never) */
};

static int
collect(void *arg, const uint8_t *buf, size_t len)
{
	struct frags *f = arg;

	if (f->n == NFRAG || (int)f->n == f->fail_at)
		return -1;
	f->b[f->n] = malloc(len);
	if (f->b[f->n] == NULL)
		return -1;
	memcpy(f->b[f->n], buf, len);
	f->len[f->n++] = len;
	return 0;
}

static void
frags_free(struct frags *f)
{
	for (unsigned i = 0; i < f->n; i++)
		free(f->b[i]);
	memset(f, 0, sizeof(*f));
	f->fail_at = -1;
}

static struct ike_hdr
hdr(uint32_t msgid)
{
	struct ike_hdr h = { .exchange = IKE_AUTH, .flags = IKE_FLAG_INITIATOR,
			     .msgid = msgid };

	memset(h.spi_i, 0x11, IKE_SPI_LEN);
	memset(h.spi_r, 0x22, IKE_SPI_LEN);
	return h;
}

static int
fragment(const struct dir *x, uint64_t *seq, uint32_t msgid,
	 const uint8_t *inner, size_t ilen, size_t max, struct frags *f)
{
	struct ike_hdr h = hdr(msgid);

	frags_free(f);
	return ike_frag_tx(&x->d, seq, &h, FIRST, inner, ilen, max, collect, f);
}

/* ---- feeding a fragment to a reassembly (on a copy: it decrypts in
 * place) ---- */

static uint8_t rxbuf[IKE_MAX_MSG];
static struct ike_msg rxmsg;

struct got {
	uint8_t *inner;
	size_t ilen;
	uint8_t first;
	const char *why;
};

static int
feed(struct ike_frag_rx *r, const struct dir *x, const uint8_t *b,
     size_t len, struct got *g)
{
	const char *why = NULL;

	memcpy(rxbuf, b, len);
	if (ike_parse(rxbuf, len, &rxmsg, &why) < 0) {
		CHECK(false, "fragment does not parse: %s", why);
		return -2;
	}
	memset(g, 0, sizeof(*g));
	return ike_frag_rx_add(r, &x->d, rxbuf, len, &rxmsg, &g->inner,
			       &g->ilen, &g->first, &g->why);
}

/* Feed F's fragments in ORDER (indices, repeats allowed): exactly one
 * call completes the message, nothing fails, and the result is INNER. */
static void
feed_order(const struct dir *x, const struct frags *f, const unsigned *order,
	   unsigned n, const uint8_t *inner, size_t ilen, const char *what)
{
	struct ike_frag_rx *r = ike_frag_rx_new();
	unsigned done = 0, bad = 0;
	struct got g;

	CHECK(r != NULL, "rx_new");
	if (r == NULL)
		return;
	for (unsigned i = 0; i < n; i++) {
		int rc = feed(r, x, f->b[order[i]], f->len[order[i]], &g);

		if (rc == 1) {
			done++;
			CHECK(g.ilen == ilen && memcmp(g.inner, inner, ilen) == 0,
			      "%s %s: reassembled message differs (%zu bytes)",
			      x->name, what, g.ilen);
			CHECK(g.first == FIRST, "%s %s: first type %u", x->name,
			      what, g.first);
		} else if (rc != 0) {
			bad++;
			CHECK(false, "%s %s: fragment %u: %d %s", x->name, what,
			      order[i], rc, g.why ? g.why : "");
		}
	}
	CHECK(done == 1 && bad == 0, "%s %s: completed %u times", x->name,
	      what, done);
	ike_frag_rx_free(r);
}

/* A fragment made by hand with any numbers: header, SKF with NEXT, NUM,
 * TOTAL, then DATA sealed with D. Its length, or 0. */
static size_t
mkfrag(const struct dir *x, uint64_t *seq, uint32_t msgid, uint8_t next,
       unsigned num, unsigned total, const uint8_t *data, size_t dlen,
       uint8_t *out, size_t cap)
{
	struct ike_hdr h = hdr(msgid);
	size_t body = ike_sk_body_len(&x->d, dlen);
	size_t ivl = x->d.encr == IKE_ENCR_AES_GCM16 ? IKE_GCM_IV_LEN :
						       IKE_CBC_IV_LEN;
	struct ike_out o;
	uint8_t *p;

	ike_out_init(&o, out, cap, &h);
	p = ike_out_pl(&o, IKE_PL_SKF, IKE_FRAG_NUMS_LEN + body);
	if (p == NULL || body == 0 || ike_out_finish(&o) < 0)
		return 0;
	p[-IKE_GEN_HDR_LEN] = next;
	ike_put16(p, (uint16_t)num);
	ike_put16(p + 2, (uint16_t)total);
	memcpy(p + IKE_FRAG_NUMS_LEN + ivl, data, dlen);
	if (ike_sk_seal(&x->d, ++*seq, out, (size_t)(p - out) +
			IKE_FRAG_NUMS_LEN, dlen, o.len) < 0)
		return 0;
	return o.len;
}

static void
shuffle(unsigned *a, unsigned n)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)random() % i, t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* ---- the tests ---- */

static uint8_t big[IKE_FRAG_MSG_MAX];

static void
test_roundtrip(const struct dir *x, size_t max)
{
	static unsigned order[2 * NFRAG];
	struct frags f = { .fail_at = -1 };
	uint64_t seq = 1000, seq0 = seq;
	size_t chunk = ike_frag_chunk(&x->d, max);
	int n;

	n = fragment(x, &seq, 5, big, INNER_LEN, max, &f);
	CHECK(n > 1 && (unsigned)n == f.n, "%s max %zu: %d fragments",
	      x->name, max, n);
	CHECK(chunk > 0 && (size_t)n == (INNER_LEN + chunk - 1) / chunk,
	      "%s max %zu: %d fragments of %zu", x->name, max, n, chunk);
	CHECK(seq == seq0 + f.n, "%s: IV sequence %llu after %u fragments",
	      x->name, (unsigned long long)seq, f.n);
	for (unsigned i = 0; i < f.n; i++) {
		const char *why;

		CHECK(f.len[i] <= max, "%s: fragment %u of %zu bytes > %zu",
		      x->name, i + 1, f.len[i], max);
		CHECK(i + 1 == f.n || f.len[i] + 16 > max,
		      "%s: fragment %u of %zu bytes wastes room", x->name, i + 1,
		      f.len[i]);
		CHECK(ike_parse(f.b[i], f.len[i], &rxmsg, &why) == 0,
		      "%s: fragment %u does not parse", x->name, i + 1);
		CHECK(rxmsg.n == 1 && rxmsg.pl[0].type == IKE_PL_SKF &&
		      rxmsg.sk_off == IKE_HDR_LEN + IKE_GEN_HDR_LEN,
		      "%s: fragment %u is not one SKF payload", x->name, i + 1);
		CHECK(rxmsg.hdr.msgid == 5 && rxmsg.hdr.exchange == IKE_AUTH &&
		      rxmsg.hdr.next == IKE_PL_SKF, "%s: header", x->name);
		CHECK(rxmsg.sk_first == (i == 0 ? FIRST : 0),
		      "%s: fragment %u next-payload %u", x->name, i + 1,
		      rxmsg.sk_first);
		CHECK(ike_get16(f.b[i] + 32) == i + 1 &&
		      ike_get16(f.b[i] + 34) == f.n,
		      "%s: fragment %u numbered %u/%u", x->name, i + 1,
		      ike_get16(f.b[i] + 32), ike_get16(f.b[i] + 34));
		if (x->d.encr == IKE_ENCR_AES_GCM16) {
			uint64_t iv = ((uint64_t)ike_get32(f.b[i] + 36) << 32) |
				      ike_get32(f.b[i] + 40);

			CHECK(iv == seq0 + 1 + i, "%s: fragment %u IV %llu",
			      x->name, i + 1, (unsigned long long)iv);
		}
	}
	if (f.n == 0 || f.n > NFRAG) {
		frags_free(&f);
		return;
	}

	for (unsigned i = 0; i < f.n; i++)
		order[i] = i;
	feed_order(x, &f, order, f.n, big, INNER_LEN, "in order");
	for (unsigned i = 0; i < f.n; i++)
		order[i] = f.n - 1 - i;
	feed_order(x, &f, order, f.n, big, INNER_LEN, "reversed");
	for (int k = 0; k < 5; k++) {
		for (unsigned i = 0; i < f.n; i++)
			order[i] = i;
		shuffle(order, f.n);
		feed_order(x, &f, order, f.n, big, INNER_LEN, "shuffled");
	}
	for (unsigned i = 0; i < 2 * f.n; i++)
		order[i] = i % f.n;
	shuffle(order, 2 * f.n);
	feed_order(x, &f, order, 2 * f.n, big, INNER_LEN, "with duplicates");
	frags_free(&f);
}

static void
test_many(const struct dir *x)
{
	static unsigned order[NFRAG];
	struct frags f = { .fail_at = -1 };
	uint64_t seq = 0;
	size_t chunk = ike_frag_chunk(&x->d, 200);
	int n;

	/* 5,000 bytes at 200: beyond 16 fragments. */
	n = fragment(x, &seq, 9, big, INNER_LEN, 200, &f);
	CHECK(n > 16, "%s: %d fragments at 200 bytes", x->name, n);
	for (unsigned i = 0; i < f.n; i++)
		order[i] = f.n - 1 - i;
	feed_order(x, &f, order, f.n, big, INNER_LEN, "at 200 bytes");

	/* Exactly IKE_FRAG_MAX fragments, and one byte more. */
	n = fragment(x, &seq, 9, big, chunk * IKE_FRAG_MAX, 200, &f);
	CHECK(n == IKE_FRAG_MAX, "%s: %d fragments, want %d", x->name, n,
	      IKE_FRAG_MAX);
	for (unsigned i = 0; i < f.n; i++)
		order[i] = i;
	shuffle(order, f.n);
	feed_order(x, &f, order, f.n, big, chunk * IKE_FRAG_MAX,
		   "IKE_FRAG_MAX fragments");
	n = fragment(x, &seq, 9, big, chunk * IKE_FRAG_MAX + 1, 200, &f);
	CHECK(n == -1 && f.n == 0, "%s: %d fragments past the limit",
	      x->name, n);
	frags_free(&f);
}

static void
test_chunk(const struct dir *x)
{
	size_t sizes[] = { 200, 576, 1280, 1500, 9000, IKE_MAX_MSG };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t max = sizes[i], c = ike_frag_chunk(&x->d, max);
		size_t over = IKE_HDR_LEN + IKE_GEN_HDR_LEN + IKE_FRAG_NUMS_LEN;
		size_t body = ike_sk_body_len(&x->d, c);
		size_t more = ike_sk_body_len(&x->d, c + 1);

		CHECK(c > 0 && body != 0 && over + body <= max,
		      "%s: chunk %zu at %zu does not fit", x->name, c, max);
		CHECK(more == 0 || over + more > max,
		      "%s: chunk %zu at %zu is not the largest", x->name, c,
		      max);
	}
	CHECK(ike_frag_chunk(&x->d, 40) == 0, "%s: chunk at 40", x->name);
	CHECK(ike_frag_chunk(NULL, 1280) == 0, "chunk without a direction");
}

static void
test_tx_edges(const struct dir *x)
{
	struct frags f = { .fail_at = -1 };
	struct ike_frag_rx *r = ike_frag_rx_new();
	struct ike_hdr h = hdr(3);
	uint64_t seq = 7;
	struct got g;
	int n;

	/* An empty chain is one fragment. */
	n = fragment(x, &seq, 3, big, 0, 576, &f);
	CHECK(n == 1 && seq == 8, "%s: empty chain: %d", x->name, n);
	CHECK(n == 1 && feed(r, x, f.b[0], f.len[0], &g) == 1 && g.ilen == 0 &&
	      g.first == FIRST, "%s: empty chain reassembled", x->name);

	/* Too small a MAX, a failing EMIT, a spent IV sequence. */
	n = fragment(x, &seq, 3, big, 100, 60, &f);
	CHECK(n == -1, "%s: MAX 60: %d", x->name, n);
	frags_free(&f);
	f.fail_at = 2;
	n = ike_frag_tx(&x->d, &seq, &h, FIRST, big, INNER_LEN, 576, collect,
			&f);
	CHECK(n == -1 && f.n == 2, "%s: emit failure: %d after %u", x->name,
	      n, f.n);
	frags_free(&f);
	seq = UINT64_MAX - 1;
	n = fragment(x, &seq, 3, big, INNER_LEN, 1280, &f);
	CHECK(n == -1 && f.n == 1 && seq == UINT64_MAX,
	      "%s: IV sequence wraps: %d", x->name, n);
	frags_free(&f);
	ike_frag_rx_free(r);
}

static void
test_forged(const struct dir *x)
{
	struct frags f = { .fail_at = -1 };
	struct ike_frag_rx *r = ike_frag_rx_new();
	uint64_t seq = 0;
	unsigned done = 0;
	uint8_t *bad;
	struct got g;
	int rc;

	fragment(x, &seq, 4, big, INNER_LEN, 1280, &f);
	CHECK(f.n >= 3, "%s: %u fragments", x->name, f.n);
	if (f.n < 3)
		goto out;
	bad = malloc(f.len[1]);
	memcpy(bad, f.b[1], f.len[1]);
	bad[f.len[1] - 1] ^= 0x01;		/* the ICV */
	rc = feed(r, x, f.b[0], f.len[0], &g);
	CHECK(rc == 0, "%s: fragment 1: %d", x->name, rc);
	rc = feed(r, x, bad, f.len[1], &g);
	CHECK(rc == -1 && g.why != NULL, "%s: wrong ICV: %d", x->name, rc);
	memcpy(bad, f.b[1], f.len[1]);
	bad[f.len[1] / 2] ^= 0x80;		/* the ciphertext */
	rc = feed(r, x, bad, f.len[1], &g);
	CHECK(rc == -1, "%s: altered ciphertext: %d", x->name, rc);
	memcpy(bad, f.b[1], f.len[1]);
	ike_put16(bad + 32, 2);			/* the numbers are in the AAD */
	ike_put16(bad + 34, (uint16_t)(f.n + 1));
	rc = feed(r, x, bad, f.len[1], &g);
	CHECK(rc == -1, "%s: altered Total Fragments: %d", x->name, rc);
	memcpy(bad, f.b[1], f.len[1]);
	bad[20 + 3] ^= 0x01;			/* message ID, in the AAD */
	rc = feed(r, x, bad, f.len[1], &g);
	CHECK(rc == -1, "%s: altered message ID: %d", x->name, rc);
	free(bad);
	for (unsigned i = 1; i < f.n; i++) {
		rc = feed(r, x, f.b[i], f.len[i], &g);
		CHECK(rc == (i + 1 == f.n), "%s: genuine fragment %u: %d %s",
		      x->name, i + 1, rc, g.why ? g.why : "");
		if (rc == 1) {
			done++;
			CHECK(g.ilen == INNER_LEN &&
			      memcmp(g.inner, big, INNER_LEN) == 0,
			      "%s: reassembled after forgeries", x->name);
		}
	}
	CHECK(done == 1, "%s: forgeries stopped the reassembly", x->name);
	/* Once complete, its fragments are dropped. */
	rc = feed(r, x, f.b[0], f.len[0], &g);
	CHECK(rc == 0 && g.why != NULL, "%s: fragment after completion: %d",
	      x->name, rc);
out:
	frags_free(&f);
	ike_frag_rx_free(r);
}

/* Numbers out of range, even in fragments that verify. */
static void
test_numbers(const struct dir *x)
{
	static const struct { unsigned num, total; } bad[] = {
		{ 0, 3 }, { 3, 0 }, { 0, 0 }, { 4, 3 }, { 65535, 2 },
		{ 1, IKE_FRAG_MAX + 1 }, { 1, 65535 },
		{ IKE_FRAG_MAX + 1, IKE_FRAG_MAX + 1 },
	};
	static uint8_t buf[2048];
	struct ike_frag_rx *r = ike_frag_rx_new();
	uint8_t data[100];
	uint64_t seq = 0;
	struct got g;
	size_t len;
	int rc;

	memset(data, 0x5a, sizeof(data));
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = mkfrag(x, &seq, 1, FIRST, bad[i].num, bad[i].total, data,
			     sizeof(data), buf, sizeof(buf));
		rc = feed(r, x, buf, len, &g);
		CHECK(rc == -1 && g.why != NULL, "%s: fragment %u of %u: %d",
		      x->name, bad[i].num, bad[i].total, rc);
	}
	/* IKE_FRAG_MAX itself is fine. */
	len = mkfrag(x, &seq, 1, FIRST, IKE_FRAG_MAX, IKE_FRAG_MAX, data,
		     sizeof(data), buf, sizeof(buf));
	rc = feed(r, x, buf, len, &g);
	CHECK(rc == 0, "%s: fragment %d of %d: %d %s", x->name, IKE_FRAG_MAX,
	      IKE_FRAG_MAX, rc, g.why ? g.why : "");

	/* An SKF payload too short for its numbers, and no SKF at all. */
	{
		uint8_t m[IKE_HDR_LEN + IKE_GEN_HDR_LEN + 2];
		struct ike_hdr h = hdr(1);
		struct ike_out o;

		ike_out_init(&o, m, sizeof(m), &h);
		CHECK(ike_out_pl(&o, IKE_PL_SKF, 2) != NULL &&
		      ike_out_finish(&o) == 0, "short SKF built");
		rc = feed(r, x, m, o.len, &g);
		CHECK(rc == -1, "%s: SKF of 2 bytes: %d", x->name, rc);
		ike_out_init(&o, m, sizeof(m), &h);
		ike_out_pl(&o, IKE_PL_SK, 2);
		ike_out_finish(&o);
		rc = feed(r, x, m, o.len, &g);
		CHECK(rc == -1, "%s: SK instead of SKF: %d", x->name, rc);
	}
	ike_frag_rx_free(r);
}

/* Total Fragments growing restarts, shrinking is dropped; a new message
 * ID restarts; the first type comes from fragment 1 only. */
static void
test_restarts(const struct dir *x)
{
	static uint8_t buf[2048];
	struct ike_frag_rx *r = ike_frag_rx_new();
	uint8_t a[3][50], b[5][40], want[200];
	uint64_t seq = 0;
	struct got g;
	size_t len;
	int rc;

	for (unsigned i = 0; i < 3; i++)
		memset(a[i], 'a' + (int)i, sizeof(a[i]));
	for (unsigned i = 0; i < 5; i++)
		memset(b[i], 'A' + (int)i, sizeof(b[i]));
	for (unsigned i = 0; i < 5; i++)
		memcpy(want + 40 * i, b[i], 40);

	/* A1, A2 of 3; then B3 of 5 (restart); A3 of 3 dropped; B1, B2,
	 * B4, B5 complete B. B's fragments other than 1 carry a bogus
	 * next-payload byte that must not count. */
	len = mkfrag(x, &seq, 6, IKE_PL_SA, 1, 3, a[0], 50, buf, sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: A1", x->name);
	len = mkfrag(x, &seq, 6, 0, 2, 3, a[1], 50, buf, sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: A2", x->name);
	len = mkfrag(x, &seq, 6, IKE_PL_NOTIFY, 3, 5, b[2], 40, buf,
		     sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0 && g.why == NULL, "%s: B3",
	      x->name);
	len = mkfrag(x, &seq, 6, 0, 3, 3, a[2], 50, buf, sizeof(buf));
	rc = feed(r, x, buf, len, &g);
	CHECK(rc == 0 && g.why != NULL, "%s: A3 after restart: %d", x->name,
	      rc);
	len = mkfrag(x, &seq, 6, IKE_PL_NOTIFY, 5, 5, b[4], 40, buf,
		     sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: B5", x->name);
	len = mkfrag(x, &seq, 6, IKE_PL_NOTIFY, 2, 5, b[1], 40, buf,
		     sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: B2", x->name);
	len = mkfrag(x, &seq, 6, FIRST, 1, 5, b[0], 40, buf, sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: B1", x->name);
	len = mkfrag(x, &seq, 6, IKE_PL_NOTIFY, 4, 5, b[3], 40, buf,
		     sizeof(buf));
	rc = feed(r, x, buf, len, &g);
	CHECK(rc == 1 && g.ilen == 200 && memcmp(g.inner, want, 200) == 0,
	      "%s: B reassembled: %d, %zu bytes", x->name, rc, g.ilen);
	CHECK(rc == 1 && g.first == FIRST, "%s: B's first type %u", x->name,
	      g.first);

	/* Message 7: C1 of 2; message 8's D2, D1 restart and complete;
	 * C2 then starts message 7 afresh. */
	len = mkfrag(x, &seq, 7, IKE_PL_SA, 1, 2, a[0], 50, buf, sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: C1", x->name);
	len = mkfrag(x, &seq, 8, 0, 2, 2, b[1], 40, buf, sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: D2", x->name);
	len = mkfrag(x, &seq, 8, IKE_PL_CP, 1, 2, b[0], 40, buf, sizeof(buf));
	rc = feed(r, x, buf, len, &g);
	CHECK(rc == 1 && g.ilen == 80 && memcmp(g.inner, want, 80) == 0 &&
	      g.first == IKE_PL_CP, "%s: D reassembled: %d", x->name, rc);
	len = mkfrag(x, &seq, 7, 0, 2, 2, a[1], 50, buf, sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: C2 alone", x->name);

	/* A reset forgets everything, a completed message included. */
	ike_frag_rx_reset(r);
	len = mkfrag(x, &seq, 7, IKE_PL_SA, 1, 2, a[0], 50, buf, sizeof(buf));
	CHECK(feed(r, x, buf, len, &g) == 0, "%s: C1 after reset", x->name);
	ike_frag_rx_free(r);
}

/* The plaintext of one message is bounded. */
static void
test_bound(const struct dir *x)
{
	static uint8_t buf[IKE_MAX_MSG];
	struct ike_frag_rx *r = ike_frag_rx_new();
	size_t part = 40000, len;
	uint64_t seq = 0;
	struct got g;
	int rc;

	len = mkfrag(x, &seq, 2, FIRST, 1, 3, big, part, buf, sizeof(buf));
	CHECK(len > part && feed(r, x, buf, len, &g) == 0, "%s: 40000 bytes",
	      x->name);
	len = mkfrag(x, &seq, 2, 0, 2, 3, big, part, buf, sizeof(buf));
	rc = feed(r, x, buf, len, &g);
	CHECK(rc == -1 && g.why != NULL, "%s: 80000 bytes: %d", x->name, rc);
	/* That reassembly is gone: fragment 1 is taken again. */
	len = mkfrag(x, &seq, 2, FIRST, 1, 3, big, part, buf, sizeof(buf));
	rc = feed(r, x, buf, len, &g);
	CHECK(rc == 0 && g.why == NULL, "%s: fragment 1 again: %d", x->name,
	      rc);
	ike_frag_rx_free(r);
}

int
main(void)
{
	struct dir dirs[2];

	srandom(7383);
	if (RAND_bytes(big, sizeof(big)) != 1)
		return 2;
	dir_init(&dirs[0], true);
	dir_init(&dirs[1], false);
	for (unsigned i = 0; i < 2; i++) {
		test_chunk(&dirs[i]);
		test_roundtrip(&dirs[i], 576);
		test_roundtrip(&dirs[i], 1280);
		test_many(&dirs[i]);
		test_tx_edges(&dirs[i]);
		test_forged(&dirs[i]);
		test_numbers(&dirs[i]);
		test_restarts(&dirs[i]);
		test_bound(&dirs[i]);
	}
	ike_frag_rx_free(NULL);
	return cptest_done("ike_frag");
}
