/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the IKEv2 message parser, payload decoders and builder
 * (controlplane/ike/ike_msg.c): header checks, payload chains with
 * lying lengths, unknown and critical payloads, the SK payload's place,
 * each decoder's bounds, and builder output read back by the parser.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cptest.h"
#include "ike_msg.h"

/* Transform IDs used below (IANA IKEv2 registries). */
enum {
	ENCR_AES_CBC = 12,
	ENCR_AES_GCM_16 = 20,
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_512 = 7,
	AUTH_HMAC_SHA2_256_128 = 12,
	DH_MODP_2048 = 14,
	DH_ECP_256 = 19,
	DH_CURVE25519 = 31,
};

/* ---- a byte writer for hand-made payloads ---- */

struct bw {
	uint8_t b[8192];
	size_t n;
};

static void
w8(struct bw *w, unsigned v)
{
	w->b[w->n++] = (uint8_t)v;
}

static void
w16(struct bw *w, unsigned v)
{
	ike_put16(w->b + w->n, (uint16_t)v);
	w->n += 2;
}

static void
w32(struct bw *w, uint32_t v)
{
	ike_put32(w->b + w->n, v);
	w->n += 4;
}

static void
wfill(struct bw *w, uint8_t v, size_t n)
{
	memset(w->b + w->n, v, n);
	w->n += n;
}

/* A generic payload header with NEXT and flags; the length is patched by
 * pl_end. */
static size_t
pl_begin(struct bw *w, uint8_t next, uint8_t flags)
{
	size_t at = w->n;

	w8(w, next);
	w8(w, flags);
	w16(w, 0);
	return at;
}

static void
pl_end(struct bw *w, size_t at)
{
	ike_put16(w->b + at + 2, (uint16_t)(w->n - at));
}

/* A payload with BODY_LEN bytes of FILL. */
static void
pl_simple(struct bw *w, uint8_t next, uint8_t flags, size_t body_len,
	  uint8_t fill)
{
	size_t at = pl_begin(w, next, flags);

	wfill(w, fill, body_len);
	pl_end(w, at);
}

static const uint8_t SPI_I[IKE_SPI_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t SPI_R[IKE_SPI_LEN] = { 9, 10, 11, 12, 13, 14, 15, 16 };

/* A message in OUT: a header with FIRST as the first payload type and a
 * length field equal to 28 + CHAIN_LEN, then CHAIN. Returns its length. */
static size_t
wrap(uint8_t *out, uint8_t first, const uint8_t *chain, size_t chain_len)
{
	struct ike_hdr h = {
		.next = first, .exchange = IKE_SA_INIT,
		.flags = IKE_FLAG_INITIATOR, .msgid = 0,
		.length = (uint32_t)(IKE_HDR_LEN + chain_len),
	};

	memcpy(h.spi_i, SPI_I, IKE_SPI_LEN);
	memcpy(h.spi_r, SPI_R, IKE_SPI_LEN);
	ike_hdr_write(out, &h);
	if (chain_len > 0)
		memcpy(out + IKE_HDR_LEN, chain, chain_len);
	return IKE_HDR_LEN + chain_len;
}

static bool
why_has(const char *why, const char *want)
{
	return why != NULL && want != NULL && strstr(why, want) != NULL;
}

static struct ike_pl
body_pl(uint8_t type, const uint8_t *b, size_t len)
{
	return (struct ike_pl){ .type = type, .body = b, .len = (uint16_t)len };
}

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ })

/* ---- the header ---- */

static void
test_header(void)
{
	static uint8_t buf[64];
	struct ike_hdr h;
	struct ike_msg m;
	const char *why;
	size_t len = wrap(buf, IKE_PL_NONE, NULL, 0);

	CHECK(len == IKE_HDR_LEN, "%zu", len);
	buf[19] = IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE;
	ike_put32(buf + 20, 0x01020304);
	why = NULL;
	CHECK(ike_parse_hdr(buf, len, &h, &why) == 0, "%s", why);
	CHECK(memcmp(h.spi_i, SPI_I, 8) == 0 && memcmp(h.spi_r, SPI_R, 8) == 0,
	      "SPIs");
	CHECK(h.next == IKE_PL_NONE && h.version == IKE_VERSION &&
	      h.exchange == IKE_SA_INIT &&
	      h.flags == (IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE),
	      "next %u version %#x exchange %u flags %#x", h.next, h.version,
	      h.exchange, h.flags);
	CHECK(h.msgid == 0x01020304 && h.length == IKE_HDR_LEN,
	      "msgid %#x length %u", h.msgid, h.length);
	CHECK(ike_parse(buf, len, &m, &why) == 0 && m.n == 0 &&
	      m.sk_off == 0 && m.unknown_critical == 0 && m.raw == buf &&
	      m.raw_len == len, "empty message: %s", why);

	struct {
		const char *name;
		size_t len;		/* datagram length */
		int version;		/* -1: keep 0x20 */
		long length;		/* -1: the datagram length */
		int rc;
		const char *why;
	} cases[] = {
		{ "empty datagram", 0, -1, -1, -1, "shorter" },
		{ "one byte short", IKE_HDR_LEN - 1, -1, -1, -1, "shorter" },
		{ "major version 1", IKE_HDR_LEN, 0x10, -1, -1, "major version" },
		{ "major version 3", IKE_HDR_LEN, 0x30, -1, -1, "major version" },
		{ "major version 0", IKE_HDR_LEN, 0x00, -1, -1, "major version" },
		{ "minor version 1", IKE_HDR_LEN, 0x21, -1, 0, NULL },
		{ "length one more", IKE_HDR_LEN, -1, IKE_HDR_LEN + 1, -1,
		  "length field" },
		{ "length one less", IKE_HDR_LEN + 4, -1, IKE_HDR_LEN + 3, -1,
		  "length field" },
		{ "length zero", IKE_HDR_LEN, -1, 0, -1, "length field" },
		{ "length 2^32-1", IKE_HDR_LEN, -1, 0xffffffffL, -1,
		  "length field" },
		{ "datagram longer than length", IKE_HDR_LEN + 8, -1,
		  IKE_HDR_LEN, -1, "length field" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[64] = { 0 };
		int rc;

		wrap(b, IKE_PL_NONE, NULL, 0);
		if (cases[i].version >= 0)
			b[17] = (uint8_t)cases[i].version;
		ike_put32(b + 24, cases[i].length >= 0 ?
			  (uint32_t)cases[i].length : (uint32_t)cases[i].len);
		why = NULL;
		rc = ike_parse_hdr(b, cases[i].len, &h, &why);
		CHECK(rc == cases[i].rc, "%s: rc %d (%s)", cases[i].name, rc,
		      why ? why : "-");
		if (cases[i].rc < 0)
			CHECK(why_has(why, cases[i].why), "%s: why '%s'",
			      cases[i].name, why ? why : "(null)");
		why = NULL;
		rc = ike_parse(b, cases[i].len, &m, &why);
		CHECK(rc == cases[i].rc, "%s: ike_parse rc %d (%s)",
		      cases[i].name, rc, why ? why : "-");
	}
}

/* ---- payload chains ---- */

/* Build a message with the builder and read it back. */
static void
test_chain_roundtrip(void)
{
	static uint8_t buf[1024];
	static const uint8_t nonce[32] = { [0] = 0xaa, [31] = 0x55 };
	static const uint8_t vid[5] = { 'p', '2', 's', 'g', 'w' };
	static const uint8_t natd[IKE_NATD_LEN] = { [0] = 7, [19] = 9 };
	struct ike_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR,
			     .msgid = 0 };
	struct ike_choice c = { .proto = IKE_PROTO_IKE, .num = 1,
				.encr = ENCR_AES_GCM_16, .encr_keylen = 256,
				.prf = PRF_HMAC_SHA2_256, .dh = DH_ECP_256,
				.esn = -1 };
	struct ike_out o;
	struct ike_msg m;
	const char *why = NULL;
	uint8_t *ke, *sa_body = NULL;
	size_t sa_len = 0;

	memcpy(h.spi_i, SPI_I, 8);
	ike_out_init(&o, buf, sizeof(buf), &h);
	CHECK(ike_out_first(&o) == IKE_PL_NONE, "first of an empty message");
	CHECK(ike_out_sa(&o, &c) == 0, "ike_out_sa");
	sa_body = buf + IKE_HDR_LEN + IKE_GEN_HDR_LEN;
	sa_len = o.len - IKE_HDR_LEN - IKE_GEN_HDR_LEN;
	ke = ike_out_pl(&o, IKE_PL_KE, IKE_KE_FIXED + 64);
	CHECK(ke != NULL, "KE");
	if (ke == NULL)
		return;
	ike_put16(ke, DH_ECP_256);
	ke[2] = ke[3] = 0;
	for (int i = 0; i < 64; i++)
		ke[IKE_KE_FIXED + i] = (uint8_t)i;
	CHECK(ike_out_copy(&o, IKE_PL_NONCE, nonce, sizeof(nonce)) == 0, "Ni");
	CHECK(ike_out_notify(&o, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd,
			     sizeof(natd)) == 0, "N");
	CHECK(ike_out_notify(&o, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
			     NULL, 0) == 0, "N");
	CHECK(ike_out_copy(&o, IKE_PL_VENDOR, vid, sizeof(vid)) == 0, "V");
	CHECK(ike_out_copy(&o, IKE_PL_CERTREQ, NULL, 0) == 0, "empty body");
	CHECK(ike_out_first(&o) == IKE_PL_SA, "first %u", ike_out_first(&o));
	CHECK(ike_out_finish(&o) == 0 && !o.overflow, "finish");
	CHECK(ike_get32(buf + 24) == o.len, "length field %u, built %zu",
	      ike_get32(buf + 24), o.len);
	CHECK(buf[16] == IKE_PL_SA && buf[17] == IKE_VERSION, "header");

	CHECK(ike_parse(buf, o.len, &m, &why) == 0, "parse: %s", why);
	struct {
		uint8_t type;
		const uint8_t *body;
		size_t len;
	} want[] = {
		{ IKE_PL_SA, sa_body, sa_len },
		{ IKE_PL_KE, ke, IKE_KE_FIXED + 64 },
		{ IKE_PL_NONCE, nonce, sizeof(nonce) },
		{ IKE_PL_NOTIFY, NULL, IKE_N_FIXED + sizeof(natd) },
		{ IKE_PL_NOTIFY, NULL, IKE_N_FIXED },
		{ IKE_PL_VENDOR, vid, sizeof(vid) },
		{ IKE_PL_CERTREQ, NULL, 0 },
	};
	unsigned nw = sizeof(want) / sizeof(want[0]);

	CHECK(m.n == nw, "%u payloads, want %u", m.n, nw);
	for (unsigned i = 0; i < m.n && i < nw; i++) {
		const struct ike_pl *p = &m.pl[i];

		CHECK(p->type == want[i].type && p->len == want[i].len,
		      "payload %u: type %u len %u, want %u %zu", i, p->type,
		      p->len, want[i].type, want[i].len);
		CHECK(!p->critical && !p->inner, "payload %u flags", i);
		CHECK(p->body >= buf + IKE_HDR_LEN &&
		      p->body + p->len <= buf + o.len, "payload %u in bounds", i);
		if (want[i].body != NULL)
			CHECK(memcmp(p->body, want[i].body, want[i].len) == 0,
			      "payload %u body", i);
	}
	CHECK(m.sk_off == 0 && m.unknown_critical == 0, "no SK");
	CHECK(m.hdr.exchange == IKE_SA_INIT && m.hdr.flags == IKE_FLAG_INITIATOR &&
	      memcmp(m.hdr.spi_i, SPI_I, 8) == 0, "header fields");
	CHECK(ike_find(&m, IKE_PL_NONCE, false) == &m.pl[2], "find Nonce");
	CHECK(ike_find(&m, IKE_PL_NONCE, true) == NULL, "no inner Nonce");
	CHECK(ike_find(&m, IKE_PL_DELETE, false) == NULL, "no Delete");
	CHECK(ike_count(&m, IKE_PL_NOTIFY, false) == 2, "two notifies");
	CHECK(ike_count(&m, IKE_PL_NOTIFY, true) == 0, "no inner notify");

	/* The nonce's bounds (16..256) are the IKE_SA_INIT handler's: the
	 * parser hands over any length. */
	struct ike_notify_pl n;

	CHECK(ike_find_notify(&m, IKE_N_NAT_DETECTION_SOURCE_IP, false, &n) &&
	      n.len == sizeof(natd) && memcmp(n.data, natd, sizeof(natd)) == 0 &&
	      n.spi_len == 0 && n.proto == 0, "NAT-D notify");
	CHECK(ike_find_notify(&m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, false,
			      &n) && n.len == 0, "fragmentation notify");
	CHECK(!ike_find_notify(&m, IKE_N_COOKIE, false, &n), "no cookie");
	CHECK(!ike_find_notify(&m, IKE_N_NAT_DETECTION_SOURCE_IP, true, &n),
	      "not inner");
}

/* An SK payload at the end, its contents built with ike_out_chain and
 * parsed with ike_parse_inner. */
static void
test_sk_roundtrip(void)
{
	static uint8_t buf[2048], inner[1024];
	static const uint8_t id[] = { 2, 0, 0, 0,	/* ID_FQDN */
				      'c', 'l', 'i', 'e', 'n', 't' };
	struct ike_hdr h = { .exchange = IKE_AUTH, .flags = IKE_FLAG_INITIATOR,
			     .msgid = 1 };
	struct ike_ts ts = { .type = IKE_TS_IPV4_ADDR_RANGE, .eport = 65535,
			     .start = 0, .end = 0xffffffff };
	struct ike_out o, in;
	struct ike_msg m;
	const char *why = NULL;
	uint8_t *sk;
	size_t sk_at;

	ike_out_chain(&in, inner, sizeof(inner));
	CHECK(ike_out_first(&in) == IKE_PL_NONE, "empty chain");
	CHECK(ike_out_copy(&in, IKE_PL_IDI, id, sizeof(id)) == 0, "IDi");
	CHECK(ike_out_notify(&in, 0, IKE_N_INITIAL_CONTACT, NULL, 0) == 0, "N");
	CHECK(ike_out_ts(&in, IKE_PL_TSI, &ts, 1) == 0, "TSi");
	CHECK(ike_out_ts(&in, IKE_PL_TSR, &ts, 1) == 0, "TSr");
	CHECK(ike_out_first(&in) == IKE_PL_IDI && !in.overflow, "chain first");
	CHECK(inner[0] == IKE_PL_NOTIFY, "IDi's next is N: %u", inner[0]);

	ike_out_init(&o, buf, sizeof(buf), &h);
	CHECK(ike_out_copy(&o, IKE_PL_VENDOR, "x", 1) == 0, "V");
	sk_at = o.len;
	sk = ike_out_pl(&o, IKE_PL_SK, in.len);
	CHECK(sk != NULL, "SK");
	if (sk == NULL)
		return;
	memcpy(sk, inner, in.len);
	buf[sk_at] = ike_out_first(&in);	/* the SK payload's next */
	CHECK(ike_out_finish(&o) == 0, "finish");

	CHECK(ike_parse(buf, o.len, &m, &why) == 0, "parse: %s", why);
	CHECK(m.n == 2 && m.pl[1].type == IKE_PL_SK, "n %u", m.n);
	CHECK(m.sk_off == sk_at + IKE_GEN_HDR_LEN, "sk_off %zu, want %zu",
	      m.sk_off, sk_at + IKE_GEN_HDR_LEN);
	CHECK(m.sk_first == IKE_PL_IDI, "sk_first %u", m.sk_first);
	why = NULL;
	CHECK(ike_parse_inner(&m, m.sk_first, buf + m.sk_off,
			      o.len - m.sk_off, &why) == 0, "inner: %s", why);
	CHECK(m.n == 6, "n %u", m.n);
	for (unsigned i = 2; i < m.n; i++)
		CHECK(m.pl[i].inner, "payload %u inner", i);
	CHECK(!m.pl[0].inner && !m.pl[1].inner, "outer ones");
	CHECK(ike_find(&m, IKE_PL_IDI, true) == &m.pl[2] &&
	      ike_find(&m, IKE_PL_IDI, false) == NULL, "find IDi");
	CHECK(ike_count(&m, IKE_PL_TSI, true) == 1 &&
	      ike_count(&m, IKE_PL_TSR, true) == 1, "TS");

	struct ike_id idd;
	struct ike_notify_pl n;

	CHECK(ike_dec_id(&m.pl[2], &idd, &why) == 0 && idd.type == 2 &&
	      idd.len == 6 && memcmp(idd.data, "client", 6) == 0, "IDi");
	CHECK(ike_find_notify(&m, IKE_N_INITIAL_CONTACT, true, &n), "inner N");
	CHECK(!ike_find_notify(&m, IKE_N_INITIAL_CONTACT, false, &n),
	      "not outer");

	/* SKF is an encrypted payload too (the Vendor ID's next). */
	buf[IKE_HDR_LEN] = IKE_PL_SKF;
	CHECK(ike_parse(buf, o.len, &m, &why) == 0 && m.n == 2 &&
	      m.pl[1].type == IKE_PL_SKF && m.sk_off == sk_at + 4 &&
	      m.sk_first == IKE_PL_IDI, "SKF last: %s", why);
}

/* Hand-made chains, each wrapped in a valid header. */
struct chain_case {
	const char *name;
	uint8_t first;
	const uint8_t *chain;
	size_t len;
	int rc;
	const char *why;		/* a part of the reason when rc < 0 */
	unsigned n;			/* payloads kept when rc == 0 */
	uint8_t unknown_critical;
};

static void
run_chain_cases(const struct chain_case *c, size_t nc, bool inner)
{
	static uint8_t buf[4096];

	for (size_t i = 0; i < nc; i++) {
		struct ike_msg m;
		const char *why = NULL;
		int rc;

		if (inner) {
			memset(&m, 0, sizeof(m));
			rc = ike_parse_inner(&m, c[i].first, c[i].chain,
					     c[i].len, &why);
		} else {
			size_t len = wrap(buf, c[i].first, c[i].chain, c[i].len);

			rc = ike_parse(buf, len, &m, &why);
		}
		CHECK(rc == c[i].rc, "%s%s: rc %d (%s)", inner ? "inner " : "",
		      c[i].name, rc, why ? why : "-");
		if (c[i].rc < 0) {
			CHECK(why_has(why, c[i].why), "%s: why '%s', want '%s'",
			      c[i].name, why ? why : "(null)", c[i].why);
			continue;
		}
		if (rc != 0)
			continue;
		CHECK(m.n == c[i].n, "%s: %u payloads, want %u", c[i].name,
		      m.n, c[i].n);
		CHECK(m.unknown_critical == c[i].unknown_critical,
		      "%s: unknown_critical %u, want %u", c[i].name,
		      m.unknown_critical, c[i].unknown_critical);
		for (unsigned k = 0; k < m.n; k++)
			CHECK(m.pl[k].inner == inner, "%s: payload %u inner",
			      c[i].name, k);
	}
}

static void
test_chain_cases(void)
{
	const struct chain_case outer[] = {
		{ "one empty Nonce", IKE_PL_NONCE,
		  BYTES(0, 0, 0, 4), 0, NULL, 1, 0 },
		{ "Nonce then Vendor", IKE_PL_NONCE,
		  BYTES(43, 0, 0, 6, 1, 2, 0, 0, 0, 5, 9), 0, NULL, 2, 0 },
		{ "payload length 3", IKE_PL_NONCE,
		  BYTES(0, 0, 0, 3), -1, "below its header", 0, 0 },
		{ "payload length 0", IKE_PL_NONCE,
		  BYTES(0, 0, 0, 0, 0, 0, 0, 0), -1, "below its header", 0, 0 },
		{ "payload length beyond the message", IKE_PL_NONCE,
		  BYTES(0, 0, 0, 9, 1, 2, 3, 4), -1, "beyond the message", 0, 0 },
		{ "payload length 0xffff", IKE_PL_NONCE,
		  BYTES(0, 0, 0xff, 0xff, 1, 2, 3, 4), -1, "beyond", 0, 0 },
		{ "second payload beyond the message", IKE_PL_NONCE,
		  BYTES(43, 0, 0, 4, 0, 0, 0, 5), -1, "beyond the message", 0, 0 },
		{ "bytes after the last payload", IKE_PL_NONCE,
		  BYTES(0, 0, 0, 4, 0), -1, "bytes after", 0, 0 },
		{ "no payload but bytes", IKE_PL_NONE,
		  BYTES(0, 0, 0, 4), -1, "bytes after", 0, 0 },
		{ "first header missing", IKE_PL_NONCE,
		  NULL, 0, -1, "header truncated", 0, 0 },
		{ "first header 3 bytes", IKE_PL_NONCE,
		  BYTES(0, 0, 0), -1, "header truncated", 0, 0 },
		{ "second header 2 bytes", IKE_PL_NONCE,
		  BYTES(43, 0, 0, 4, 0, 0), -1, "header truncated", 0, 0 },
		{ "second header missing", IKE_PL_NONCE,
		  BYTES(43, 0, 0, 4), -1, "header truncated", 0, 0 },
		{ "unknown non-critical skipped", IKE_PL_NONCE,
		  BYTES(1, 0, 0, 4,  40, 0x00, 0, 6, 0xee, 0xee,  0, 0, 0, 4),
		  0, NULL, 2, 0 },
		{ "unknown 49 (between known) skipped", 49,
		  BYTES(40, 0, 0, 4,  0, 0, 0, 4), 0, NULL, 1, 0 },
		{ "unknown critical recorded", IKE_PL_NONCE,
		  BYTES(50, 0, 0, 4,  40, 0x80, 0, 5, 0,  0, 0, 0, 4),
		  0, NULL, 2, 50 },
		{ "first unknown critical only", 60,
		  BYTES(61, 0x80, 0, 4,  62, 0x80, 0, 4,  0, 0x80, 0, 4),
		  0, NULL, 0, 60 },
		{ "non-critical then critical unknown", 60,
		  BYTES(61, 0x00, 0, 4,  0, 0x80, 0, 4), 0, NULL, 0, 61 },
		{ "unknown critical with other flag bits", 200,
		  BYTES(0, 0xff, 0, 4), 0, NULL, 0, 200 },
		{ "unknown with bad length still fails", 200,
		  BYTES(0, 0x80, 0, 2), -1, "below its header", 0, 0 },
		{ "SK last", IKE_PL_SK,
		  BYTES(35, 0, 0, 8, 1, 2, 3, 4), 0, NULL, 1, 0 },
		{ "SK not last", IKE_PL_SK,
		  BYTES(40, 0, 0, 4,  0, 0, 0, 4), -1, "not the last", 0, 0 },
		{ "SK before an unknown one", IKE_PL_SK,
		  BYTES(1, 0, 0, 4,  0, 0, 0, 4), -1, "not the last", 0, 0 },
		{ "SKF not last", IKE_PL_SKF,
		  BYTES(0, 0, 0, 4,  0, 0, 0, 4), -1, "not the last", 0, 0 },
		{ "SK after others", IKE_PL_NONCE,
		  BYTES(46, 0, 0, 4,  33, 0, 0, 6, 7, 7), 0, NULL, 2, 0 },
	};
	const struct chain_case inner[] = {
		{ "IDi, AUTH", IKE_PL_IDI,
		  BYTES(39, 0, 0, 9, 2, 0, 0, 0, 'a',  0, 0, 0, 9, 1, 0, 0, 0, 1),
		  0, NULL, 2, 0 },
		{ "SK inside SK", IKE_PL_IDI,
		  BYTES(46, 0, 0, 4,  0, 0, 0, 4), -1, "inside encrypted", 0, 0 },
		{ "SK first inside SK", IKE_PL_SK,
		  BYTES(0, 0, 0, 4), -1, "inside encrypted", 0, 0 },
		{ "SKF inside SK", IKE_PL_SKF,
		  BYTES(0, 0, 0, 4), -1, "inside encrypted", 0, 0 },
		{ "unknown critical inside", IKE_PL_IDI,
		  BYTES(99, 0, 0, 4,  0, 0x80, 0, 4), 0, NULL, 1, 99 },
		{ "lying length inside", IKE_PL_IDI,
		  BYTES(0, 0, 0, 8, 1, 2), -1, "beyond the message", 0, 0 },
		{ "empty inner chain", IKE_PL_NONE, NULL, 0, 0, NULL, 0, 0 },
		{ "empty inner chain, type given", IKE_PL_IDI,
		  NULL, 0, -1, "header truncated", 0, 0 },
		{ "bytes after the inner chain", IKE_PL_NONE,
		  BYTES(1), -1, "bytes after", 0, 0 },
	};

	run_chain_cases(outer, sizeof(outer) / sizeof(outer[0]), false);
	run_chain_cases(inner, sizeof(inner) / sizeof(inner[0]), true);
}

static void
test_critical(void)
{
	static uint8_t buf[256];
	struct bw w = { .n = 0 };
	struct ike_msg m;
	struct ike_out o;
	struct ike_notify_pl n;
	const char *why = NULL;
	size_t len;

	/* a known payload keeps its critical bit; an unknown critical one
	 * is named in unknown_critical (the reply's notify data) */
	pl_simple(&w, 52, 0x80, 16, 0x11);	/* Nonce, critical */
	pl_simple(&w, IKE_PL_NONE, 0x80, 3, 0);	/* 52: unknown, critical */
	len = wrap(buf, IKE_PL_NONCE, w.b, w.n);
	CHECK(ike_parse(buf, len, &m, &why) == 0, "%s", why);
	CHECK(m.n == 1 && m.pl[0].critical && m.pl[0].len == 16,
	      "n %u critical %d", m.n, m.pl[0].critical);
	CHECK(m.unknown_critical == 52, "unknown_critical %u",
	      m.unknown_critical);

	/* The responder's error reply carries that type as one byte of
	 * notify data (RFC 7296 3.10.1). */
	struct ike_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE };
	uint8_t rbuf[128];
	struct ike_msg r;

	ike_out_init(&o, rbuf, sizeof(rbuf), &h);
	CHECK(ike_out_notify(&o, 0, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
			     &m.unknown_critical, 1) == 0 &&
	      ike_out_finish(&o) == 0, "reply");
	CHECK(ike_parse(rbuf, o.len, &r, &why) == 0, "%s", why);
	CHECK(ike_find_notify(&r, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, false,
			      &n) && n.len == 1 && n.data[0] == 52,
	      "UNSUPPORTED_CRITICAL_PAYLOAD names type 52");

	/* outer and inner: the outer one stays the first */
	w.n = 0;
	pl_simple(&w, IKE_PL_SK, 0x80, 0, 0);	/* 51, critical */
	pl_simple(&w, IKE_PL_IDI, 0, 8, 0);	/* SK, IDi inside */
	len = wrap(buf, 51, w.b, w.n);
	CHECK(ike_parse(buf, len, &m, &why) == 0 && m.unknown_critical == 51 &&
	      m.n == 1 && m.sk_first == IKE_PL_IDI, "outer 51: %s",
	      why ? why : "-");
	{
		const uint8_t in[] = { 70, 0, 0, 5, 1,  0, 0x80, 0, 4 };

		CHECK(ike_parse_inner(&m, IKE_PL_IDI, in, sizeof(in), &why) == 0,
		      "%s", why);
		CHECK(m.unknown_critical == 51 && m.n == 2,
		      "inner 70 does not replace 51: %u", m.unknown_critical);
	}
}

static void
test_too_many(void)
{
	static uint8_t buf[8192];
	struct bw w;
	struct ike_msg m;
	const char *why = NULL;
	size_t len;

	for (unsigned count = IKE_MAX_PAYLOADS; count <= IKE_MAX_PAYLOADS + 1;
	     count++) {
		w.n = 0;
		for (unsigned i = 0; i < count; i++)
			pl_simple(&w, i + 1 < count ? IKE_PL_VENDOR : 0, 0, 1,
				  (uint8_t)i);
		len = wrap(buf, IKE_PL_VENDOR, w.b, w.n);
		why = NULL;
		int rc = ike_parse(buf, len, &m, &why);

		if (count == IKE_MAX_PAYLOADS)
			CHECK(rc == 0 && m.n == IKE_MAX_PAYLOADS, "64: %s",
			      why ? why : "-");
		else
			CHECK(rc < 0 && why_has(why, "too many payloads"),
			      "65: rc %d %s", rc, why ? why : "-");
	}

	/* unknown payloads do not count */
	w.n = 0;
	for (unsigned i = 0; i < 200; i++)
		pl_simple(&w, i + 1 < 200 ? 1 : IKE_PL_NONCE, 0, 0, 0);
	pl_simple(&w, IKE_PL_NONE, 0, 16, 0);
	len = wrap(buf, 1, w.b, w.n);
	CHECK(ike_parse(buf, len, &m, &why) == 0 && m.n == 1,
	      "200 unknown + Nonce: %s n %u", why ? why : "-", m.n);

	/* the limit spans outer and inner payloads */
	w.n = 0;
	for (unsigned i = 0; i < 40; i++)
		pl_simple(&w, IKE_PL_VENDOR, 0, 0, 0);
	w.b[w.n - 4] = IKE_PL_NONE;
	len = wrap(buf, IKE_PL_VENDOR, w.b, w.n);
	CHECK(ike_parse(buf, len, &m, &why) == 0 && m.n == 40, "40 outer");
	w.n = 0;
	for (unsigned i = 0; i < 25; i++)
		pl_simple(&w, i + 1 < 25 ? IKE_PL_NOTIFY : 0, 0, 4, 0);
	why = NULL;
	CHECK(ike_parse_inner(&m, IKE_PL_NOTIFY, w.b, w.n, &why) < 0 &&
	      why_has(why, "too many"), "40 + 25: %s", why ? why : "-");
	CHECK(m.n == IKE_MAX_PAYLOADS, "n stays at the limit: %u", m.n);
}

/* ---- the SA payload ---- */

struct xf_spec {
	uint8_t type;
	uint16_t id, keylen;
};

/* A proposal with its transforms (KEY_LENGTH as a TV attribute when
 * keylen != 0). */
static void
put_prop(struct bw *w, bool last, uint8_t num, uint8_t proto,
	 const uint8_t *spi, uint8_t spi_len, const struct xf_spec *xf,
	 unsigned n)
{
	size_t at = w->n;

	w8(w, last ? IKE_PROP_LAST : IKE_PROP_MORE);
	w8(w, 0);
	w16(w, 0);
	w8(w, num);
	w8(w, proto);
	w8(w, spi_len);
	w8(w, n);
	for (unsigned i = 0; i < spi_len; i++)
		w8(w, spi[i]);
	for (unsigned i = 0; i < n; i++) {
		w8(w, i + 1 == n ? IKE_XFORM_LAST : IKE_XFORM_MORE);
		w8(w, 0);
		w16(w, IKE_XFORM_HDR_LEN + (xf[i].keylen ? 4 : 0));
		w8(w, xf[i].type);
		w8(w, 0);
		w16(w, xf[i].id);
		if (xf[i].keylen) {
			w16(w, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH);
			w16(w, xf[i].keylen);
		}
	}
	ike_put16(w->b + at + 2, (uint16_t)(w->n - at));
}

static const struct xf_spec P1[] = {
	{ IKE_XF_ENCR, ENCR_AES_GCM_16, 256 },
	{ IKE_XF_PRF, PRF_HMAC_SHA2_512, 0 },
	{ IKE_XF_DH, DH_ECP_256, 0 },
};
static const struct xf_spec P2[] = {
	{ IKE_XF_ENCR, ENCR_AES_CBC, 128 },
	{ IKE_XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
	{ IKE_XF_ESN, IKE_ESN_NO, 0 },
	{ IKE_XF_ESN, IKE_ESN_YES, 0 },
};
static const uint8_t P2_SPI[4] = { 0xc0, 0xff, 0xee, 0x01 };

/* The SA body used below: proposal 1 (IKE, no SPI, 3 transforms) at 0,
 * 36 bytes, transforms at 8 (12 bytes, KEY_LENGTH at 16), 20 and 28;
 * proposal 2 (ESP, 4-byte SPI at 44, 4 transforms) at 36, 48 bytes. */
static void
valid_sa(struct bw *w)
{
	w->n = 0;
	put_prop(w, false, 1, IKE_PROTO_IKE, NULL, 0, P1, 3);
	put_prop(w, true, 2, IKE_PROTO_ESP, P2_SPI, 4, P2, 4);
}

static bool
xf_eq(const struct ike_xform *x, const struct xf_spec *s)
{
	return x->type == s->type && x->id == s->id && x->keylen == s->keylen &&
	       !x->bad_attr;
}

static void
test_sa_valid(void)
{
	static uint8_t buf[512];
	static struct ike_sa_pl sa;
	static struct bw w, pl;
	struct ike_msg m;
	const char *why = NULL;
	size_t len, at;

	valid_sa(&w);
	CHECK(w.n == 84, "SA body %zu bytes", w.n);
	pl.n = 0;
	at = pl_begin(&pl, IKE_PL_NONE, 0);
	memcpy(pl.b + pl.n, w.b, w.n);
	pl.n += w.n;
	pl_end(&pl, at);
	len = wrap(buf, IKE_PL_SA, pl.b, pl.n);
	CHECK(ike_parse(buf, len, &m, &why) == 0 && m.n == 1, "%s", why);
	CHECK(ike_dec_sa(&m.pl[0], &sa, &why) == 0, "dec: %s", why);
	CHECK(sa.n == 2, "%u proposals", sa.n);
	CHECK(sa.prop[0].num == 1 && sa.prop[0].proto == IKE_PROTO_IKE &&
	      sa.prop[0].spi_len == 0 && sa.prop[0].n_xf == 3,
	      "proposal 1: num %u proto %u spi %u n_xf %u", sa.prop[0].num,
	      sa.prop[0].proto, sa.prop[0].spi_len, sa.prop[0].n_xf);
	for (unsigned i = 0; i < 3 && i < sa.prop[0].n_xf; i++)
		CHECK(xf_eq(&sa.prop[0].xf[i], &P1[i]),
		      "proposal 1 transform %u: %u/%u/%u", i,
		      sa.prop[0].xf[i].type, sa.prop[0].xf[i].id,
		      sa.prop[0].xf[i].keylen);
	CHECK(sa.prop[1].num == 2 && sa.prop[1].proto == IKE_PROTO_ESP &&
	      sa.prop[1].spi_len == 4 && sa.prop[1].n_xf == 4 &&
	      memcmp(sa.prop[1].spi, P2_SPI, 4) == 0, "proposal 2");
	for (unsigned i = 0; i < 4 && i < sa.prop[1].n_xf; i++)
		CHECK(xf_eq(&sa.prop[1].xf[i], &P2[i]),
		      "proposal 2 transform %u", i);
}

static void
test_sa_mutations(void)
{
	static struct ike_sa_pl sa;
	struct {
		const char *name;
		struct { uint16_t off; uint8_t val; } m[2];
		unsigned nm;
		int rc;
		const char *why;
	} cases[] = {
		{ "unchanged", { { 0, 2 } }, 1, 0, NULL },
		{ "last-substructure 1", { { 0, 1 } }, 1, -1, "not 0 or 2" },
		{ "last-substructure 3", { { 0, 3 } }, 1, -1, "not 0 or 2" },
		{ "last-substructure 0 too early", { { 0, 0 } }, 1, -1,
		  "bytes after the last proposal" },
		{ "last proposal says more", { { 36, 2 } }, 1, -1,
		  "proposal truncated" },
		{ "last proposal says 1", { { 36, 1 } }, 1, -1, "not 0 or 2" },
		{ "proposal length 7", { { 2, 0 }, { 3, 7 } }, 2, -1,
		  "proposal length out of range" },
		{ "proposal length 0", { { 2, 0 }, { 3, 0 } }, 2, -1,
		  "proposal length out of range" },
		{ "proposal length beyond the SA", { { 36 + 2, 0 }, { 36 + 3, 49 } },
		  2, -1, "proposal length out of range" },
		{ "proposal length 0xffff", { { 2, 0xff }, { 3, 0xff } }, 2, -1,
		  "proposal length out of range" },
		{ "proposal longer than its transforms", { { 3, 40 } }, 1, -1,
		  "disagrees with its transforms" },
		{ "proposal shorter than its transforms", { { 3, 32 } }, 1, -1,
		  "transform truncated" },
		{ "transform count 4 of 3", { { 7, 4 } }, 1, -1,
		  "last-transform marks" },
		{ "transform count 2 of 3", { { 7, 2 } }, 1, -1,
		  "last-transform marks" },
		{ "transform count 0", { { 7, 0 } }, 1, -1,
		  "disagrees with its transforms" },
		{ "transform count 255", { { 7, 255 } }, 1, -1,
		  "last-transform marks" },
		{ "middle transform marked last", { { 20, 0 } }, 1, -1,
		  "last-transform marks" },
		{ "last transform marked more", { { 28, 3 } }, 1, -1,
		  "last-transform marks" },
		{ "SPI length 9", { { 6, 9 } }, 1, -1, "longer than 8" },
		{ "SPI length 255", { { 36 + 6, 255 } }, 1, -1, "longer than 8" },
		{ "transform length 7", { { 8 + 3, 7 } }, 1, -1,
		  "transform length out of range" },
		{ "transform length beyond the proposal", { { 28 + 3, 9 } }, 1, -1,
		  "transform length out of range" },
		{ "KEY_LENGTH as a lying TLV", { { 16, 0x00 } }, 1, -1,
		  "attribute length beyond" },
		{ "unknown TV attribute", { { 17, 15 } }, 1, 0, NULL },
		{ "transform length 10: attribute truncated", { { 8 + 3, 10 } },
		  1, -1, "attribute truncated" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bw w;
		struct ike_pl p;
		const char *why = NULL;
		int rc;

		valid_sa(&w);
		for (unsigned k = 0; k < cases[i].nm; k++)
			w.b[cases[i].m[k].off] = cases[i].m[k].val;
		p = body_pl(IKE_PL_SA, w.b, w.n);
		rc = ike_dec_sa(&p, &sa, &why);
		CHECK(rc == cases[i].rc, "SA %s: rc %d (%s)", cases[i].name, rc,
		      why ? why : "-");
		if (cases[i].rc < 0)
			CHECK(why_has(why, cases[i].why), "SA %s: why '%s'",
			      cases[i].name, why ? why : "(null)");
	}

	/* the unknown TV attribute marks the transform unusable */
	{
		struct bw w;
		struct ike_pl p;
		const char *why = NULL;

		valid_sa(&w);
		w.b[17] = 15;
		p = body_pl(IKE_PL_SA, w.b, w.n);
		CHECK(ike_dec_sa(&p, &sa, &why) == 0 && sa.prop[0].xf[0].bad_attr &&
		      sa.prop[0].xf[0].keylen == 0 && !sa.prop[0].xf[1].bad_attr,
		      "bad_attr");
	}
}

static void
test_sa_built(void)
{
	static struct ike_sa_pl sa;
	struct bw w;
	struct ike_pl p;
	const char *why = NULL;

	/* empty SA body */
	p = body_pl(IKE_PL_SA, w.b, 0);
	CHECK(ike_dec_sa(&p, &sa, &why) < 0 && why_has(why, "truncated"),
	      "empty SA: %s", why);

	/* a proposal without transforms is taken as it is */
	w.n = 0;
	put_prop(&w, true, 1, IKE_PROTO_IKE, NULL, 0, NULL, 0);
	p = body_pl(IKE_PL_SA, w.b, w.n);
	CHECK(ike_dec_sa(&p, &sa, &why) == 0 && sa.n == 1 &&
	      sa.prop[0].n_xf == 0, "no transforms");

	/* SPI beyond the proposal: 4 bytes announced, none there */
	w.n = 0;
	put_prop(&w, true, 1, IKE_PROTO_ESP, NULL, 0, NULL, 0);
	w.b[6] = 4;
	p = body_pl(IKE_PL_SA, w.b, w.n);
	CHECK(ike_dec_sa(&p, &sa, &why) < 0 && why_has(why, "SPI beyond"),
	      "SPI beyond: %s", why);

	/* an 8-byte SPI is the longest */
	{
		static const uint8_t spi8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

		w.n = 0;
		put_prop(&w, true, 1, IKE_PROTO_IKE, spi8, 8, P1, 3);
		p = body_pl(IKE_PL_SA, w.b, w.n);
		CHECK(ike_dec_sa(&p, &sa, &why) == 0 && sa.prop[0].spi_len == 8 &&
		      memcmp(sa.prop[0].spi, spi8, 8) == 0, "SPI 8: %s", why);
	}

	/* 32 proposals, then 33 */
	for (unsigned np = IKE_MAX_PROPOSALS; np <= IKE_MAX_PROPOSALS + 1; np++) {
		w.n = 0;
		for (unsigned i = 0; i < np; i++)
			put_prop(&w, i + 1 == np, (uint8_t)(i + 1), IKE_PROTO_IKE,
				 NULL, 0, P1, 3);
		p = body_pl(IKE_PL_SA, w.b, w.n);
		why = NULL;
		int rc = ike_dec_sa(&p, &sa, &why);

		if (np == IKE_MAX_PROPOSALS)
			CHECK(rc == 0 && sa.n == np &&
			      sa.prop[np - 1].num == np, "32 proposals: %s",
			      why ? why : "-");
		else
			CHECK(rc < 0 && why_has(why, "too many proposals"),
			      "33 proposals: %s", why ? why : "-");
	}

	/* 64 transforms, then 65 */
	for (unsigned nx = IKE_MAX_XFORMS; nx <= IKE_MAX_XFORMS + 1; nx++) {
		static struct xf_spec many[IKE_MAX_XFORMS + 1];

		for (unsigned i = 0; i < nx; i++)
			many[i] = (struct xf_spec){ IKE_XF_DH, (uint16_t)i, 0 };
		w.n = 0;
		put_prop(&w, true, 1, IKE_PROTO_IKE, NULL, 0, many, nx);
		p = body_pl(IKE_PL_SA, w.b, w.n);
		why = NULL;
		int rc = ike_dec_sa(&p, &sa, &why);

		if (nx == IKE_MAX_XFORMS)
			CHECK(rc == 0 && sa.prop[0].n_xf == nx &&
			      sa.prop[0].xf[nx - 1].id == nx - 1,
			      "64 transforms: %s", why ? why : "-");
		else
			CHECK(rc < 0 && why_has(why, "too many transforms"),
			      "65 transforms: %s", why ? why : "-");
	}

	/* a valid TLV attribute (length 2) is skipped and marks the
	 * transform; a TLV of length 0 too */
	for (unsigned alen = 0; alen <= 2; alen += 2) {
		w.n = 0;
		w8(&w, 0); w8(&w, 0); w16(&w, 8 + 8 + 4 + 4 + alen);
		w8(&w, 1); w8(&w, IKE_PROTO_IKE); w8(&w, 0); w8(&w, 1);
		w8(&w, 0); w8(&w, 0); w16(&w, 8 + 4 + 4 + alen);
		w8(&w, IKE_XF_ENCR); w8(&w, 0); w16(&w, ENCR_AES_CBC);
		w16(&w, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH); w16(&w, 192);
		w16(&w, 17); w16(&w, alen);
		wfill(&w, 0xab, alen);
		p = body_pl(IKE_PL_SA, w.b, w.n);
		why = NULL;
		CHECK(ike_dec_sa(&p, &sa, &why) == 0 && sa.prop[0].n_xf == 1 &&
		      sa.prop[0].xf[0].keylen == 192 && sa.prop[0].xf[0].bad_attr,
		      "TLV length %u: %s", alen, why ? why : "-");
	}
}

/* ---- fixed-format payloads ---- */

static void
test_short_payloads(void)
{
	static const uint8_t body[16] = { 0, 19, 0, 0, 0xaa, 0xbb };
	struct {
		const char *name;
		uint8_t type;
		size_t min;		/* shortest accepted body */
	} cases[] = {
		{ "KE", IKE_PL_KE, IKE_KE_FIXED + 1 },
		{ "IDi", IKE_PL_IDI, IKE_ID_FIXED + 1 },
		{ "IDr", IKE_PL_IDR, IKE_ID_FIXED + 1 },
		{ "AUTH", IKE_PL_AUTH, IKE_AUTH_FIXED + 1 },
		{ "CERT", IKE_PL_CERT, IKE_CERT_FIXED + 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t len = 0; len <= cases[i].min; len++) {
			struct ike_pl p = body_pl(cases[i].type, body, len);
			const char *why = NULL;
			bool want_ok = len >= cases[i].min;
			size_t fixed = cases[i].min - 1;
			int rc;
			size_t dlen = 0;
			const uint8_t *data = NULL;

			switch (cases[i].type) {
			case IKE_PL_KE: {
				struct ike_ke ke;

				rc = ike_dec_ke(&p, &ke, &why);
				if (rc == 0) {
					CHECK(ke.group == 19, "KE group %u",
					      ke.group);
					data = ke.data, dlen = ke.len;
				}
				break;
			}
			case IKE_PL_IDI:
			case IKE_PL_IDR: {
				struct ike_id id;

				rc = ike_dec_id(&p, &id, &why);
				if (rc == 0) {
					CHECK(id.type == 0, "ID type");
					data = id.data, dlen = id.len;
				}
				break;
			}
			case IKE_PL_AUTH: {
				struct ike_auth_pl a;

				rc = ike_dec_auth(&p, &a, &why);
				if (rc == 0) {
					CHECK(a.method == 0, "method");
					data = a.data, dlen = a.len;
				}
				break;
			}
			default: {
				struct ike_cert c;

				rc = ike_dec_cert(&p, &c, &why);
				if (rc == 0) {
					CHECK(c.encoding == 0, "encoding");
					data = c.data, dlen = c.len;
				}
				break;
			}
			}
			CHECK((rc == 0) == want_ok, "%s body %zu: rc %d", cases[i].name,
			      len, rc);
			if (rc < 0)
				CHECK(why_has(why, "too short"), "%s: why %s",
				      cases[i].name, why ? why : "(null)");
			else
				CHECK(data == body + fixed && dlen == len - fixed,
				      "%s data at +%td len %zu", cases[i].name,
				      data - body, dlen);
		}
	}
}

static void
test_notify(void)
{
	struct {
		const char *name;
		const uint8_t *b;
		size_t len;
		int rc;
		uint8_t spi_len;
		size_t dlen;
	} cases[] = {
		{ "empty", (const uint8_t *)"", 0, -1, 0, 0 },
		{ "3 bytes", BYTES(0, 0, 0), -1, 0, 0 },
		{ "fixed part only", BYTES(0, 0, 0x40, 0x06), 0, 0, 0 },
		{ "with data", BYTES(0, 0, 0x40, 0x06, 1, 2, 3), 0, 0, 3 },
		{ "SPI 4 exactly", BYTES(3, 4, 0, 11, 1, 2, 3, 4), 0, 4, 0 },
		{ "SPI 4 and data", BYTES(3, 4, 0, 11, 1, 2, 3, 4, 9), 0, 4, 1 },
		{ "SPI 4 beyond", BYTES(3, 4, 0, 11, 1, 2, 3), -1, 0, 0 },
		{ "SPI 255 beyond", BYTES(3, 255, 0, 11, 1, 2, 3, 4), -1, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ike_pl p = body_pl(IKE_PL_NOTIFY, cases[i].b, cases[i].len);
		struct ike_notify_pl n;
		const char *why = NULL;
		int rc = ike_dec_notify(&p, &n, &why);

		CHECK(rc == cases[i].rc, "N %s: rc %d (%s)", cases[i].name, rc,
		      why ? why : "-");
		if (rc < 0) {
			CHECK(why_has(why, cases[i].len < 4 ? "too short" :
				      "SPI beyond"), "N %s: %s", cases[i].name,
			      why ? why : "(null)");
			continue;
		}
		CHECK(n.spi_len == cases[i].spi_len && n.len == cases[i].dlen &&
		      n.spi == cases[i].b + 4 &&
		      n.data == cases[i].b + 4 + cases[i].spi_len &&
		      n.type == ike_get16(cases[i].b + 2) &&
		      n.proto == cases[i].b[0], "N %s fields", cases[i].name);
	}

	/* ike_find_notify skips malformed ones and the other side */
	static uint8_t buf[256];
	struct bw w = { .n = 0 };
	struct ike_msg m;
	struct ike_notify_pl n;
	const char *why = NULL;
	size_t len, at;

	at = pl_begin(&w, IKE_PL_NOTIFY, 0);	/* COOKIE, malformed */
	w8(&w, 0); w8(&w, 8); w16(&w, IKE_N_COOKIE); wfill(&w, 1, 4);
	pl_end(&w, at);
	at = pl_begin(&w, IKE_PL_NOTIFY, 0);	/* COOKIE, good */
	w8(&w, 0); w8(&w, 0); w16(&w, IKE_N_COOKIE); wfill(&w, 0xc0, 8);
	pl_end(&w, at);
	at = pl_begin(&w, IKE_PL_NONE, 0);	/* REKEY_SA with an ESP SPI */
	w8(&w, IKE_PROTO_ESP); w8(&w, 4); w16(&w, IKE_N_REKEY_SA);
	w32(&w, 0xdeadbeef);
	pl_end(&w, at);
	len = wrap(buf, IKE_PL_NOTIFY, w.b, w.n);
	CHECK(ike_parse(buf, len, &m, &why) == 0 && m.n == 3, "%s", why);
	CHECK(ike_find_notify(&m, IKE_N_COOKIE, false, &n) && n.len == 8 &&
	      n.data[0] == 0xc0 && n.data == m.pl[1].body + 4,
	      "the good COOKIE");
	CHECK(ike_find_notify(&m, IKE_N_REKEY_SA, false, &n) &&
	      n.proto == IKE_PROTO_ESP && n.spi_len == 4 &&
	      ike_get32(n.spi) == 0xdeadbeef && n.len == 0, "REKEY_SA");
	CHECK(!ike_find_notify(&m, IKE_N_COOKIE, true, &n), "no inner");
	CHECK(!ike_find_notify(&m, IKE_N_INITIAL_CONTACT, false, &n), "absent");
	m.n = 1;	/* only the malformed one */
	CHECK(!ike_find_notify(&m, IKE_N_COOKIE, false, &n),
	      "a malformed notify is not found");
}

/* ---- traffic selectors ---- */

static void
put_ts4(struct bw *w, uint8_t proto, uint16_t sp, uint16_t ep, uint32_t s,
	uint32_t e)
{
	w8(w, IKE_TS_IPV4_ADDR_RANGE);
	w8(w, proto);
	w16(w, IKE_TS4_LEN);
	w16(w, sp);
	w16(w, ep);
	w32(w, s);
	w32(w, e);
}

static void
put_ts6(struct bw *w)
{
	w8(w, IKE_TS_IPV6_ADDR_RANGE);
	w8(w, 0);
	w16(w, IKE_TS6_LEN);
	w16(w, 0);
	w16(w, 65535);
	wfill(w, 0, 16);
	wfill(w, 0xff, 16);
}

static void
test_ts(void)
{
	static struct ike_ts_pl ts;
	struct bw w;
	struct ike_pl p;
	const char *why;
	enum { V4, V6, UNK8, BAD4_20, SHORT7, LONG };
	struct {
		const char *name;
		uint8_t count;		/* the count byte */
		int sel[20];		/* selectors, ended by -1 */
		int rc;
		const char *why;
		unsigned n, n_other;
	} cases[] = {
		{ "one IPv4", 1, { V4, -1 }, 0, NULL, 1, 0 },
		{ "no selectors", 0, { -1 }, -1, "without selectors", 0, 0 },
		{ "count 0 with a selector", 0, { V4, -1 }, -1,
		  "without selectors", 0, 0 },
		{ "IPv6 skipped", 2, { V6, V4, -1 }, 0, NULL, 1, 1 },
		{ "only IPv6", 1, { V6, -1 }, 0, NULL, 0, 1 },
		{ "unknown type skipped", 2, { UNK8, V4, -1 }, 0, NULL, 1, 1 },
		{ "IPv4 selector of 20 bytes", 1, { BAD4_20, -1 }, -1,
		  "not 16 bytes", 0, 0 },
		{ "selector length 7", 1, { SHORT7, -1 }, -1,
		  "length out of range", 0, 0 },
		{ "selector length beyond", 1, { LONG, -1 }, -1,
		  "length out of range", 0, 0 },
		{ "count 2, one selector", 2, { V4, -1 }, -1, "truncated", 0, 0 },
		{ "count 1, two selectors", 1, { V4, V4, -1 }, -1,
		  "bytes after", 0, 0 },
		{ "16 IPv4", 16, { V4, V4, V4, V4, V4, V4, V4, V4, V4, V4, V4,
				   V4, V4, V4, V4, V4, -1 }, 0, NULL, 16, 0 },
		{ "16 IPv4 and IPv6", 18, { V6, V4, V4, V4, V4, V4, V4, V4, V4,
					    V4, V4, V4, V4, V4, V4, V4, V4,
					    V6, -1 }, 0, NULL, 16, 2 },
		{ "17 IPv4", 17, { V4, V4, V4, V4, V4, V4, V4, V4, V4, V4, V4,
				   V4, V4, V4, V4, V4, V4, -1 }, -1,
		  "too many", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned k4 = 0;
		int rc;

		w.n = 0;
		w8(&w, cases[i].count);
		wfill(&w, 0, 3);
		for (int k = 0; cases[i].sel[k] >= 0; k++) {
			switch (cases[i].sel[k]) {
			case V4:
				put_ts4(&w, k4 % 2 ? 17 : 0, (uint16_t)k4, 65535,
					0x0a000000 + k4, 0x0a0000ff + k4);
				k4++;
				break;
			case V6:
				put_ts6(&w);
				break;
			case UNK8:
				w8(&w, 9); w8(&w, 0); w16(&w, 8); w32(&w, 0);
				break;
			case BAD4_20:
				put_ts4(&w, 0, 0, 65535, 1, 2);
				w32(&w, 0);
				ike_put16(w.b + w.n - 20 + 2, 20);
				break;
			case SHORT7:
				w8(&w, IKE_TS_IPV4_ADDR_RANGE); w8(&w, 0);
				w16(&w, 7); w32(&w, 0); w32(&w, 0);
				break;
			case LONG:
				put_ts4(&w, 0, 0, 65535, 1, 2);
				ike_put16(w.b + w.n - 16 + 2, 17);
				break;
			}
		}
		p = body_pl(IKE_PL_TSI, w.b, w.n);
		why = NULL;
		rc = ike_dec_ts(&p, &ts, &why);
		CHECK(rc == cases[i].rc, "TS %s: rc %d (%s)", cases[i].name, rc,
		      why ? why : "-");
		if (cases[i].rc < 0) {
			CHECK(why_has(why, cases[i].why), "TS %s: why '%s'",
			      cases[i].name, why ? why : "(null)");
			continue;
		}
		if (rc != 0)
			continue;
		CHECK(ts.n == cases[i].n && ts.n_other == cases[i].n_other,
		      "TS %s: n %u other %u", cases[i].name, ts.n, ts.n_other);
		for (unsigned k = 0; k < ts.n; k++)
			CHECK(ts.ts[k].type == IKE_TS_IPV4_ADDR_RANGE &&
			      ts.ts[k].proto == (k % 2 ? 17 : 0) &&
			      ts.ts[k].sport == k && ts.ts[k].eport == 65535 &&
			      ts.ts[k].start == 0x0a000000 + k &&
			      ts.ts[k].end == 0x0a0000ff + k,
			      "TS %s: selector %u", cases[i].name, k);
	}

	for (size_t len = 0; len < IKE_TS_FIXED; len++) {
		p = body_pl(IKE_PL_TSI, (const uint8_t *)"\1\0\0", len);
		why = NULL;
		CHECK(ike_dec_ts(&p, &ts, &why) < 0 && why_has(why, "too short"),
		      "TS body %zu", len);
	}
}

static bool
ts_eq(const struct ike_ts *a, const struct ike_ts *b)
{
	return a->type == b->type && a->proto == b->proto &&
	       a->sport == b->sport && a->eport == b->eport &&
	       a->start == b->start && a->end == b->end;
}

/* ike_out_ts, then ike_dec_ts */
static void
test_ts_roundtrip(void)
{
	static uint8_t buf[1024];
	static struct ike_ts_pl got;
	struct ike_ts in[3] = {
		{ IKE_TS_IPV4_ADDR_RANGE, 0, 0, 65535, 0x0ac80005, 0x0ac80005 },
		{ IKE_TS_IPV4_ADDR_RANGE, 6, 443, 443, 0x0a0a0000, 0x0a0a00ff },
		{ IKE_TS_IPV4_ADDR_RANGE, 17, 1, 2, 0, 0xffffffff },
	};
	struct ike_out o;
	const struct ike_pl *p;
	struct ike_msg m;
	const char *why = NULL;

	ike_out_chain(&o, buf, sizeof(buf));
	CHECK(ike_out_ts(&o, IKE_PL_TSI, in, 1) == 0, "TSi");
	CHECK(ike_out_ts(&o, IKE_PL_TSR, in, 3) == 0, "TSr");
	CHECK(ike_out_ts(&o, IKE_PL_TSR, in, 0) < 0, "no selectors");
	CHECK(ike_out_ts(&o, IKE_PL_TSR, in, 256) < 0, "256 selectors");
	CHECK(!o.overflow && o.len == 2 * 8 + 4 * 16, "len %zu", o.len);
	memset(&m, 0, sizeof(m));
	CHECK(ike_parse_inner(&m, ike_out_first(&o), buf, o.len, &why) == 0 &&
	      m.n == 2, "%s", why);
	p = ike_find(&m, IKE_PL_TSR, true);
	CHECK(p != NULL && ike_dec_ts(p, &got, &why) == 0 && got.n == 3 &&
	      got.n_other == 0, "TSr: %s", why);
	for (unsigned i = 0; i < 3 && p != NULL; i++)
		CHECK(ts_eq(&got.ts[i], &in[i]), "selector %u", i);
	p = ike_find(&m, IKE_PL_TSI, true);
	CHECK(p != NULL && ike_dec_ts(p, &got, &why) == 0 && got.n == 1 &&
	      ts_eq(&got.ts[0], &in[0]), "TSi");
}

/* ---- Delete ---- */

static void
test_delete(void)
{
	struct {
		const char *name;
		const uint8_t *b;
		size_t len;
		int rc;
		const char *why;
		uint16_t n_spi;
	} cases[] = {
		{ "3 bytes", BYTES(1, 0, 0), -1, "too short", 0 },
		{ "IKE", BYTES(1, 0, 0, 0), 0, NULL, 0 },
		{ "IKE with one 8-byte SPI", BYTES(1, 8, 0, 1, 1, 2, 3, 4, 5, 6,
						   7, 8), -1, "IKE SA with SPIs", 0 },
		{ "IKE, SPI length only", BYTES(1, 8, 0, 0), -1,
		  "IKE SA with SPIs", 0 },
		{ "IKE, count only", BYTES(1, 0, 0, 3), -1, "IKE SA with SPIs", 0 },
		{ "IKE with a trailing byte", BYTES(1, 0, 0, 0, 9), -1,
		  "disagrees", 0 },
		{ "ESP, two SPIs", BYTES(3, 4, 0, 2, 0, 0, 0x10, 1, 0, 0, 0x10, 2),
		  0, NULL, 2 },
		{ "ESP, count 2, one SPI", BYTES(3, 4, 0, 2, 0, 0, 0x10, 1), -1,
		  "disagrees", 0 },
		{ "ESP, count 1, two SPIs", BYTES(3, 4, 0, 1, 0, 0, 0x10, 1, 0, 0,
						  0x10, 2), -1, "disagrees", 0 },
		{ "ESP, count 0xffff", BYTES(3, 4, 0xff, 0xff, 1, 2, 3, 4), -1,
		  "disagrees", 0 },
		{ "ESP, 8-byte SPI", BYTES(3, 8, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8), -1,
		  "not 4 bytes", 0 },
		{ "ESP, 2-byte SPIs", BYTES(3, 2, 0, 2, 1, 2, 3, 4), -1,
		  "not 4 bytes", 0 },
		{ "ESP, no SPI length", BYTES(3, 0, 0, 0), -1, "not 4 bytes", 0 },
		{ "ESP, count 0", BYTES(3, 4, 0, 0), 0, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ike_pl p = body_pl(IKE_PL_DELETE, cases[i].b, cases[i].len);
		struct ike_del d;
		const char *why = NULL;
		int rc = ike_dec_delete(&p, &d, &why);

		CHECK(rc == cases[i].rc, "D %s: rc %d (%s)", cases[i].name, rc,
		      why ? why : "-");
		if (cases[i].rc < 0) {
			CHECK(why_has(why, cases[i].why), "D %s: why '%s'",
			      cases[i].name, why ? why : "(null)");
			continue;
		}
		CHECK(d.proto == cases[i].b[0] && d.spi_len == cases[i].b[1] &&
		      d.n_spi == cases[i].n_spi && d.spis == cases[i].b + 4,
		      "D %s fields", cases[i].name);
	}
	{
		const uint8_t *b = (const uint8_t[]){ 3, 4, 0, 2, 0, 0, 0x10, 1,
						      0, 0, 0x10, 2 };
		struct ike_pl p = body_pl(IKE_PL_DELETE, b, 12);
		struct ike_del d;
		const char *why;

		CHECK(ike_dec_delete(&p, &d, &why) == 0 &&
		      ike_get32(d.spis) == 0x1001 &&
		      ike_get32(d.spis + 4) == 0x1002, "ESP SPIs");
	}
}

/* ---- Configuration ---- */

static void
test_cp(void)
{
	struct {
		const char *name;
		const uint8_t *b;
		size_t len;
		int rc;
		const char *why;
		uint8_t type;
		uint32_t want;
		bool want_ip4;
	} cases[] = {
		{ "3 bytes", BYTES(1, 0, 0), -1, "too short", 0, 0, false },
		{ "no attributes", BYTES(1, 0, 0, 0), 0, NULL, IKE_CFG_REQUEST, 0,
		  false },
		{ "IP4 address, DNS, IP6 address",
		  BYTES(1, 0, 0, 0,  0, 1, 0, 0,  0, 3, 0, 0,  0, 8, 0, 0),
		  0, NULL, IKE_CFG_REQUEST,
		  1u << 1 | 1u << 3 | 1u << 8, true },
		{ "DNS only", BYTES(1, 0, 0, 0,  0, 3, 0, 0), 0, NULL,
		  IKE_CFG_REQUEST, 1u << 3, false },
		{ "IP4 address with a value",
		  BYTES(1, 0, 0, 0,  0, 1, 0, 4, 10, 0, 0, 1,  0, 2, 0, 0),
		  0, NULL, IKE_CFG_REQUEST, 1u << 1 | 1u << 2, true },
		{ "reserved high bit masked", BYTES(1, 0, 0, 0,  0x80, 1, 0, 0),
		  0, NULL, IKE_CFG_REQUEST, 1u << 1, true },
		{ "type 31 and types >= 32",
		  BYTES(1, 0, 0, 0,  0, 31, 0, 0,  0, 32, 0, 0,  0x7f, 0xff, 0, 2,
			0, 0), 0, NULL, IKE_CFG_REQUEST, 1u << 31, false },
		{ "APP_VERSION with text",
		  BYTES(2, 0, 0, 0,  0, 7, 0, 3, 'a', 'b', 'c'), 0, NULL,
		  IKE_CFG_REPLY, 1u << 7, false },
		{ "attribute length beyond",
		  BYTES(1, 0, 0, 0,  0, 1, 0, 5, 1, 2, 3, 4), -1,
		  "beyond the payload", 0, 0, false },
		{ "attribute length 0xffff",
		  BYTES(1, 0, 0, 0,  0, 1, 0xff, 0xff), -1, "beyond", 0, 0, false },
		{ "second attribute lies",
		  BYTES(1, 0, 0, 0,  0, 3, 0, 0,  0, 1, 0, 1), -1, "beyond", 0, 0,
		  false },
		{ "attribute header truncated", BYTES(1, 0, 0, 0,  0, 1, 0),
		  -1, "truncated", 0, 0, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ike_pl p = body_pl(IKE_PL_CP, cases[i].b, cases[i].len);
		struct ike_cp cp;
		const char *why = NULL;
		int rc = ike_dec_cp(&p, &cp, &why);

		CHECK(rc == cases[i].rc, "CP %s: rc %d (%s)", cases[i].name, rc,
		      why ? why : "-");
		if (cases[i].rc < 0) {
			CHECK(why_has(why, cases[i].why), "CP %s: why '%s'",
			      cases[i].name, why ? why : "(null)");
			continue;
		}
		CHECK(cp.type == cases[i].type && cp.want == cases[i].want &&
		      cp.want_ip4 == cases[i].want_ip4,
		      "CP %s: type %u want %#x ip4 %d", cases[i].name, cp.type,
		      cp.want, cp.want_ip4);
	}
}

/* ---- the builder ---- */

static void
test_builder_overflow(void)
{
	static uint8_t buf[256];
	struct ike_hdr h = { .exchange = IKE_INFORMATIONAL };
	struct ike_choice c = { .proto = IKE_PROTO_IKE, .num = 1,
				.encr = ENCR_AES_GCM_16, .encr_keylen = 256,
				.prf = PRF_HMAC_SHA2_256, .dh = DH_ECP_256,
				.esn = -1 };
	struct ike_ts ts = { .type = IKE_TS_IPV4_ADDR_RANGE, .eport = 65535 };
	struct ike_out o;

	/* no room for the header */
	memset(buf, 0x5a, sizeof(buf));
	ike_out_init(&o, buf, IKE_HDR_LEN - 1, &h);
	CHECK(o.overflow, "27-byte buffer");
	CHECK(ike_out_pl(&o, IKE_PL_NOTIFY, 0) == NULL, "no payload");
	CHECK(ike_out_finish(&o) < 0, "finish");
	CHECK(buf[0] == 0x5a, "nothing written");

	/* exactly the header and one 4-byte-body notify */
	ike_out_init(&o, buf, IKE_HDR_LEN + 8, &h);
	CHECK(!o.overflow && o.len == IKE_HDR_LEN, "header fits");
	CHECK(ike_out_notify(&o, 0, IKE_N_COOKIE, NULL, 0) == 0 &&
	      o.len == IKE_HDR_LEN + 8 && !o.overflow, "notify fits exactly");
	CHECK(ike_out_finish(&o) == 0 && ike_get32(buf + 24) == IKE_HDR_LEN + 8,
	      "length %u", ike_get32(buf + 24));
	CHECK(ike_out_copy(&o, IKE_PL_VENDOR, NULL, 0) < 0 && o.overflow &&
	      o.len == IKE_HDR_LEN + 8, "a 4-byte payload does not fit");
	CHECK(ike_out_finish(&o) < 0, "finish after overflow");
	CHECK(buf[IKE_HDR_LEN] == IKE_PL_NONE, "the last next stays NONE");

	/* sticky: once over, nothing fits */
	ike_out_init(&o, buf, 64, &h);
	CHECK(ike_out_pl(&o, IKE_PL_NONCE, 64) == NULL && o.overflow, "64");
	CHECK(ike_out_pl(&o, IKE_PL_NONCE, 0) == NULL, "sticky overflow");
	CHECK(ike_out_finish(&o) < 0, "finish");

	/* each writer reports it */
	struct {
		const char *name;
		size_t cap;
		int which;
	} cases[] = {
		{ "copy", IKE_HDR_LEN + 4 + 31, 0 },
		{ "notify", IKE_HDR_LEN + 4 + 4 + 7, 1 },
		{ "sa", IKE_HDR_LEN + 4 + 8 + 12 + 8 + 8 - 1, 2 },
		{ "ts", IKE_HDR_LEN + 4 + 4 + 16 - 1, 3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int room = 0; room <= 1; room++) {
			int rc = 0;

			ike_out_init(&o, buf, cases[i].cap + (size_t)room, &h);
			switch (cases[i].which) {
			case 0:
				rc = ike_out_copy(&o, IKE_PL_NONCE, buf + 128, 32);
				break;
			case 1:
				rc = ike_out_notify(&o, 0, IKE_N_COOKIE, buf + 128, 8);
				break;
			case 2:
				rc = ike_out_sa(&o, &c);
				break;
			case 3:
				rc = ike_out_ts(&o, IKE_PL_TSI, &ts, 1);
				break;
			}
			CHECK((rc == 0) == (room == 1) && o.overflow == !room &&
			      (ike_out_finish(&o) == 0) == (room == 1),
			      "%s with %s room: rc %d", cases[i].name,
			      room ? "enough" : "one byte too little", rc);
			if (room)
				CHECK(o.len == o.cap, "%s: len %zu cap %zu",
				      cases[i].name, o.len, o.cap);
		}
	}

	/* a body that cannot be described by the 16-bit length */
	ike_out_chain(&o, buf, sizeof(buf));
	CHECK(ike_out_pl(&o, IKE_PL_NONCE, 0xffff - 3) == NULL && o.overflow,
	      "65532-byte body");
	{
		static uint8_t big[70000];

		ike_out_chain(&o, big, sizeof(big));
		CHECK(ike_out_pl(&o, IKE_PL_NONCE, 0xffff - 4) != NULL &&
		      o.len == 0xffff, "65531-byte body");
		CHECK(ike_out_pl(&o, IKE_PL_NONCE, 0xffff - 3) == NULL &&
		      o.overflow, "65532-byte body in a big buffer");
	}
}

static void
test_builder_sa(void)
{
	static struct ike_sa_pl sa;
	static uint8_t buf[512];
	struct {
		const char *name;
		struct ike_choice c;
		struct xf_spec want[5];
		unsigned n;
	} cases[] = {
		{ "IKE GCM-256",
		  { .proto = IKE_PROTO_IKE, .num = 1, .encr = ENCR_AES_GCM_16,
		    .encr_keylen = 256, .prf = PRF_HMAC_SHA2_512,
		    .dh = DH_ECP_256, .esn = -1 },
		  { { IKE_XF_ENCR, ENCR_AES_GCM_16, 256 },
		    { IKE_XF_PRF, PRF_HMAC_SHA2_512, 0 },
		    { IKE_XF_DH, DH_ECP_256, 0 } }, 3 },
		{ "IKE CBC + integ",
		  { .proto = IKE_PROTO_IKE, .num = 2, .encr = ENCR_AES_CBC,
		    .encr_keylen = 128, .prf = PRF_HMAC_SHA2_256,
		    .integ = AUTH_HMAC_SHA2_256_128, .dh = DH_MODP_2048,
		    .esn = -1 },
		  { { IKE_XF_ENCR, ENCR_AES_CBC, 128 },
		    { IKE_XF_PRF, PRF_HMAC_SHA2_256, 0 },
		    { IKE_XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
		    { IKE_XF_DH, DH_MODP_2048, 0 } }, 4 },
		{ "ESP GCM-256, ESN",
		  { .proto = IKE_PROTO_ESP, .num = 3, .spi_len = 4,
		    .spi = { 0xca, 0xfe, 0xf0, 0x0d }, .encr = ENCR_AES_GCM_16,
		    .encr_keylen = 256, .esn = IKE_ESN_YES },
		  { { IKE_XF_ENCR, ENCR_AES_GCM_16, 256 },
		    { IKE_XF_ESN, IKE_ESN_YES, 0 } }, 2 },
		{ "ESP CBC + integ, PFS, no ESN",
		  { .proto = IKE_PROTO_ESP, .num = 1, .spi_len = 4,
		    .spi = { 0, 0, 0x10, 0x01 }, .encr = ENCR_AES_CBC,
		    .encr_keylen = 256, .integ = AUTH_HMAC_SHA2_256_128,
		    .dh = DH_CURVE25519, .esn = IKE_ESN_NO },
		  { { IKE_XF_ENCR, ENCR_AES_CBC, 256 },
		    { IKE_XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
		    { IKE_XF_DH, DH_CURVE25519, 0 },
		    { IKE_XF_ESN, IKE_ESN_NO, 0 } }, 4 },
		{ "ESP, DH NONE written",
		  { .proto = IKE_PROTO_ESP, .num = 1, .spi_len = 4,
		    .spi = { 1, 2, 3, 4 }, .encr = ENCR_AES_GCM_16,
		    .encr_keylen = 128, .dh_none = true, .esn = IKE_ESN_NO },
		  { { IKE_XF_ENCR, ENCR_AES_GCM_16, 128 },
		    { IKE_XF_DH, 0, 0 },
		    { IKE_XF_ESN, IKE_ESN_NO, 0 } }, 3 },
		{ "IKE, 8-byte SPI, no key length",
		  { .proto = IKE_PROTO_IKE, .num = 1, .spi_len = 8,
		    .spi = { 1, 2, 3, 4, 5, 6, 7, 8 }, .encr = 3,
		    .prf = PRF_HMAC_SHA2_256, .integ = AUTH_HMAC_SHA2_256_128,
		    .dh = DH_MODP_2048, .esn = -1 },
		  { { IKE_XF_ENCR, 3, 0 },
		    { IKE_XF_PRF, PRF_HMAC_SHA2_256, 0 },
		    { IKE_XF_INTEG, AUTH_HMAC_SHA2_256_128, 0 },
		    { IKE_XF_DH, DH_MODP_2048, 0 } }, 4 },
	};
	struct ike_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ike_choice *c = &cases[i].c;
		struct ike_out o;
		struct ike_msg m;
		const char *why = NULL;
		const struct ike_prop *p = &sa.prop[0];

		ike_out_init(&o, buf, sizeof(buf), &h);
		CHECK(ike_out_sa(&o, c) == 0 && ike_out_finish(&o) == 0,
		      "%s: build", cases[i].name);
		CHECK(ike_parse(buf, o.len, &m, &why) == 0 && m.n == 1 &&
		      m.pl[0].type == IKE_PL_SA, "%s: parse %s", cases[i].name,
		      why ? why : "-");
		if (m.n != 1)
			continue;
		CHECK(ike_dec_sa(&m.pl[0], &sa, &why) == 0 && sa.n == 1,
		      "%s: decode %s", cases[i].name, why ? why : "-");
		CHECK(p->num == c->num && p->proto == c->proto &&
		      p->spi_len == c->spi_len &&
		      memcmp(p->spi, c->spi, c->spi_len) == 0,
		      "%s: proposal header", cases[i].name);
		CHECK(p->n_xf == cases[i].n, "%s: %u transforms, want %u",
		      cases[i].name, p->n_xf, cases[i].n);
		for (unsigned k = 0; k < p->n_xf && k < cases[i].n; k++)
			CHECK(xf_eq(&p->xf[k], &cases[i].want[k]),
			      "%s: transform %u: %u/%u/%u", cases[i].name, k,
			      p->xf[k].type, p->xf[k].id, p->xf[k].keylen);
	}
}

static void
test_builder_hdr(void)
{
	uint8_t b[IKE_HDR_LEN];
	struct ike_hdr h = { .next = IKE_PL_SK, .version = 0x99,
			     .exchange = IKE_CREATE_CHILD_SA,
			     .flags = IKE_FLAG_RESPONSE, .msgid = 0xfffffffe,
			     .length = IKE_HDR_LEN }, g;
	const char *why = NULL;

	memcpy(h.spi_i, SPI_I, 8);
	memcpy(h.spi_r, SPI_R, 8);
	ike_hdr_write(b, &h);
	CHECK(b[17] == IKE_VERSION, "version written as 2.0: %#x", b[17]);
	CHECK(ike_parse_hdr(b, sizeof(b), &g, &why) == 0, "%s", why);
	CHECK(memcmp(g.spi_i, SPI_I, 8) == 0 && memcmp(g.spi_r, SPI_R, 8) == 0 &&
	      g.next == IKE_PL_SK && g.exchange == IKE_CREATE_CHILD_SA &&
	      g.flags == IKE_FLAG_RESPONSE && g.msgid == 0xfffffffe &&
	      g.length == IKE_HDR_LEN, "header round trip");

	/* ike_out_init ignores H's next and length until payloads come */
	struct ike_out o;
	uint8_t buf[64];

	ike_out_init(&o, buf, sizeof(buf), &h);
	CHECK(buf[16] == IKE_PL_NONE && ike_out_finish(&o) == 0 &&
	      ike_get32(buf + 24) == IKE_HDR_LEN, "empty message");
	CHECK(ike_out_copy(&o, IKE_PL_DELETE, "\1\0\0\0", 4) == 0 &&
	      ike_out_finish(&o) == 0, "Delete");
	CHECK(buf[16] == IKE_PL_DELETE && ike_get32(buf + 24) == 36 &&
	      buf[28] == IKE_PL_NONE && ike_get16(buf + 30) == 8, "layout");
}

int
main(void)
{
	test_header();
	test_chain_roundtrip();
	test_sk_roundtrip();
	test_chain_cases();
	test_critical();
	test_too_many();
	test_sa_valid();
	test_sa_mutations();
	test_sa_built();
	test_short_payloads();
	test_notify();
	test_ts();
	test_ts_roundtrip();
	test_delete();
	test_cp();
	test_builder_overflow();
	test_builder_sa();
	test_builder_hdr();
	return cptest_done("ike_msg");
}
