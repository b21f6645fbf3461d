/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: bytes of an IKEv2 datagram through the message
 * parser, then every payload it found through its decoder. The input is
 * also read as a decrypted SK body (first byte: the first payload type,
 * the rest: the chain), and when the message has an SK payload, its body
 * is read as one too. Everything a decoder points at must lie inside the
 * payload it came from; messages that parse are rebuilt with the builder
 * and must parse again to the same payloads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike_msg.h"

static volatile uint8_t sink;

/* Touch every byte of [P, P+LEN) (so that ASan sees a bad range) after
 * checking that it lies inside [LO, HI). */
static void
inside(const uint8_t *p, size_t len, const uint8_t *lo, const uint8_t *hi)
{
	uint8_t x = 0;

	if (p < lo || p > hi || len > (size_t)(hi - p))
		abort();
	for (size_t i = 0; i < len; i++)
		x ^= p[i];
	sink = x;
}

static void
decode(const struct ike_pl *p)
{
	static struct ike_sa_pl sa;
	static struct ike_ts_pl ts;
	const uint8_t *lo = p->body, *hi = p->body + p->len;
	const char *why = NULL;
	int rc = 0;

	switch (p->type) {
	case IKE_PL_SA:
		rc = ike_dec_sa(p, &sa, &why);
		if (rc == 0) {
			if (sa.n == 0 || sa.n > IKE_MAX_PROPOSALS)
				abort();
			for (unsigned i = 0; i < sa.n; i++)
				if (sa.prop[i].n_xf > IKE_MAX_XFORMS ||
				    sa.prop[i].spi_len > IKE_SPI_LEN)
					abort();
		}
		break;
	case IKE_PL_KE: {
		struct ike_ke ke;

		rc = ike_dec_ke(p, &ke, &why);
		if (rc == 0)
			inside(ke.data, ke.len, lo, hi);
		break;
	}
	case IKE_PL_NOTIFY: {
		struct ike_notify_pl n;

		rc = ike_dec_notify(p, &n, &why);
		if (rc == 0) {
			inside(n.spi, n.spi_len, lo, hi);
			inside(n.data, n.len, lo, hi);
		}
		break;
	}
	case IKE_PL_IDI:
	case IKE_PL_IDR: {
		struct ike_id id;

		rc = ike_dec_id(p, &id, &why);
		if (rc == 0)
			inside(id.data, id.len, lo, hi);
		break;
	}
	case IKE_PL_AUTH: {
		struct ike_auth_pl a;

		rc = ike_dec_auth(p, &a, &why);
		if (rc == 0)
			inside(a.data, a.len, lo, hi);
		break;
	}
	case IKE_PL_CERT:
	case IKE_PL_CERTREQ: {
		struct ike_cert c;

		rc = ike_dec_cert(p, &c, &why);
		if (rc == 0)
			inside(c.data, c.len, lo, hi);
		break;
	}
	case IKE_PL_TSI:
	case IKE_PL_TSR:
		rc = ike_dec_ts(p, &ts, &why);
		if (rc == 0) {
			if (ts.n > IKE_MAX_TS || ts.n + ts.n_other == 0)
				abort();
			/* IPv4 selectors survive the builder */
			if (ts.n > 0) {
				static uint8_t buf[IKE_TS_FIXED + IKE_MAX_TS *
						   IKE_TS4_LEN + 64];
				static struct ike_ts_pl again;
				struct ike_out o;
				struct ike_pl q;

				ike_out_chain(&o, buf, sizeof(buf));
				if (ike_out_ts(&o, p->type, ts.ts, ts.n) < 0)
					abort();
				q = (struct ike_pl){ .type = p->type,
						     .body = buf + IKE_GEN_HDR_LEN,
						     .len = (uint16_t)(o.len -
							IKE_GEN_HDR_LEN) };
				if (ike_dec_ts(&q, &again, &why) < 0 ||
				    again.n != ts.n || again.n_other != 0)
					abort();
				for (unsigned i = 0; i < ts.n; i++)
					if (again.ts[i].proto != ts.ts[i].proto ||
					    again.ts[i].sport != ts.ts[i].sport ||
					    again.ts[i].eport != ts.ts[i].eport ||
					    again.ts[i].start != ts.ts[i].start ||
					    again.ts[i].end != ts.ts[i].end)
						abort();
			}
		}
		break;
	case IKE_PL_DELETE: {
		struct ike_del d;

		rc = ike_dec_delete(p, &d, &why);
		if (rc == 0)
			inside(d.spis, (size_t)d.spi_len * d.n_spi, lo, hi);
		break;
	}
	case IKE_PL_CP: {
		struct ike_cp cp;

		rc = ike_dec_cp(p, &cp, &why);
		if (rc == 0 && cp.want_ip4 != ((cp.want & 2) != 0))
			abort();
		break;
	}
	default:
		break;
	}
	if (rc < 0 && why == NULL)
		abort();	/* every failure says why */
}

static void
decode_all(const struct ike_msg *m, const uint8_t *lo, const uint8_t *hi)
{
	struct ike_notify_pl n;

	if (m->n > IKE_MAX_PAYLOADS)
		abort();
	for (unsigned i = 0; i < m->n; i++) {
		inside(m->pl[i].body, m->pl[i].len, lo, hi);
		decode(&m->pl[i]);
	}
	for (uint8_t t = IKE_PL_SA; t <= IKE_PL_EAP; t++) {
		const struct ike_pl *f = ike_find(m, t, false);
		unsigned c = ike_count(m, t, false) + ike_count(m, t, true);

		if ((f != NULL && (f->type != t || f->inner || c == 0)) ||
		    c > m->n)
			abort();
	}
	if (ike_find_notify(m, IKE_N_COOKIE, false, &n))
		inside(n.data, n.len, lo, hi);
	if (ike_find_notify(m, IKE_N_INITIAL_CONTACT, true, &n))
		inside(n.data, n.len, lo, hi);
}

/* Rebuild the outer payloads of M with the builder: the copy parses to
 * the same types and bodies (critical bits and skipped payloads aside). */
static void
rebuild(const struct ike_msg *m)
{
	static uint8_t buf[IKE_MAX_MSG + 64];
	static struct ike_msg again;
	struct ike_out o;
	const char *why;
	unsigned n = 0;

	ike_out_init(&o, buf, sizeof(buf), &m->hdr);
	for (unsigned i = 0; i < m->n; i++) {
		if (m->pl[i].inner)
			continue;
		if (ike_out_copy(&o, m->pl[i].type, m->pl[i].body,
				 m->pl[i].len) < 0)
			abort();
		n++;
	}
	if (ike_out_finish(&o) < 0 || o.len > m->raw_len)
		abort();
	if (ike_parse(buf, o.len, &again, &why) < 0 || again.n != n)
		abort();
	for (unsigned i = 0, k = 0; i < m->n; i++) {
		if (m->pl[i].inner)
			continue;
		if (again.pl[k].type != m->pl[i].type ||
		    again.pl[k].len != m->pl[i].len ||
		    memcmp(again.pl[k].body, m->pl[i].body, m->pl[i].len) != 0)
			abort();
		k++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m;
	const uint8_t *end = data + size;
	const char *why = NULL;

	if (ike_parse(data, size, &m, &why) == 0) {
		if (m.raw != data || m.raw_len != size)
			abort();
		decode_all(&m, data, end);
		rebuild(&m);
		if (m.sk_off != 0) {
			if (m.sk_off > size ||
			    (m.pl[m.n - 1].type != IKE_PL_SK &&
			     m.pl[m.n - 1].type != IKE_PL_SKF))
				abort();
			if (ike_parse_inner(&m, m.sk_first, data + m.sk_off,
					    size - m.sk_off, &why) == 0)
				decode_all(&m, data, end);
		}
	} else if (why == NULL) {
		abort();
	}

	if (size >= 1) {
		memset(&m, 0, sizeof(m));
		why = NULL;
		if (ike_parse_inner(&m, data[0], data + 1, size - 1, &why) == 0) {
			for (unsigned i = 0; i < m.n; i++)
				if (!m.pl[i].inner)
					abort();
			decode_all(&m, data + 1, end);
		} else if (why == NULL) {
			abort();
		}
	}
	return 0;
}
