/* SPDX-License-Identifier: BSD-3-Clause
 * IKEv2 message parser and builder (see ike_msg.h). Every read is
 * preceded by a check of the bytes left.
 */
#include <stdint.h>
#include <string.h>

#include "ike_msg.h"

#define FAIL(msg) do { *why = (msg); return -1; } while (0)

int
ike_parse_hdr(const uint8_t *b, size_t len, struct ike_hdr *h,
	      const char **why)
{
	if (len < IKE_HDR_LEN)
		FAIL("shorter than the IKE header");
	memcpy(h->spi_i, b, IKE_SPI_LEN);
	memcpy(h->spi_r, b + 8, IKE_SPI_LEN);
	h->next = b[16];
	h->version = b[17];
	h->exchange = b[18];
	h->flags = b[19];
	h->msgid = ike_get32(b + 20);
	h->length = ike_get32(b + 24);
	if ((h->version >> 4) != 2)
		FAIL("major version is not 2");
	if (h->length != len)
		FAIL("length field differs from the datagram");
	return 0;
}

static bool
known_type(uint8_t t)
{
	return (t >= IKE_PL_SA && t <= IKE_PL_EAP) || t == IKE_PL_SKF;
}

static int
parse_chain(struct ike_msg *m, uint8_t next, const uint8_t *b, size_t len,
	    size_t base, bool inner, const char **why)
{
	size_t off = 0;

	while (next != IKE_PL_NONE) {
		uint8_t type = next;
		uint16_t plen;
		bool crit;

		if (len - off < IKE_GEN_HDR_LEN)
			FAIL("payload header truncated");
		next = b[off];
		crit = (b[off + 1] & IKE_CRITICAL) != 0;
		plen = ike_get16(b + off + 2);
		if (plen < IKE_GEN_HDR_LEN)
			FAIL("payload length below its header");
		if (plen > len - off)
			FAIL("payload length beyond the message");
		if (type == IKE_PL_SK || type == IKE_PL_SKF) {
			if (inner)
				FAIL("encrypted payload inside encrypted payload");
			if (off + plen != len)
				FAIL("encrypted payload is not the last one");
			m->sk_off = base + off + IKE_GEN_HDR_LEN;
			m->sk_first = next;
			next = IKE_PL_NONE;
		}
		if (!known_type(type)) {
			if (crit && m->unknown_critical == 0)
				m->unknown_critical = type;
			off += plen;
			continue;
		}
		if (m->n == IKE_MAX_PAYLOADS)
			FAIL("too many payloads");
		m->pl[m->n++] = (struct ike_pl){
			.type = type, .critical = crit, .inner = inner,
			.body = b + off + IKE_GEN_HDR_LEN,
			.len = (uint16_t)(plen - IKE_GEN_HDR_LEN),
		};
		off += plen;
	}
	if (off != len)
		FAIL("bytes after the last payload");
	return 0;
}

int
ike_parse(const uint8_t *b, size_t len, struct ike_msg *m, const char **why)
{
	memset(m, 0, offsetof(struct ike_msg, pl));
	m->n = 0;
	m->sk_off = 0;
	m->sk_first = 0;
	m->unknown_critical = 0;
	if (ike_parse_hdr(b, len, &m->hdr, why) < 0)
		return -1;
	m->raw = b;
	m->raw_len = len;
	return parse_chain(m, m->hdr.next, b + IKE_HDR_LEN, len - IKE_HDR_LEN,
			   IKE_HDR_LEN, false, why);
}

int
ike_parse_inner(struct ike_msg *m, uint8_t first, const uint8_t *b,
		size_t len, const char **why)
{
	return parse_chain(m, first, b, len, 0, true, why);
}

const struct ike_pl *
ike_find(const struct ike_msg *m, uint8_t type, bool inner)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->pl[i].type == type && m->pl[i].inner == inner)
			return &m->pl[i];
	return NULL;
}

unsigned
ike_count(const struct ike_msg *m, uint8_t type, bool inner)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->n; i++)
		n += m->pl[i].type == type && m->pl[i].inner == inner;
	return n;
}

/* ---- decoders ---- */

static int
dec_xform(const uint8_t *b, size_t len, struct ike_xform *x, const char **why)
{
	size_t off = IKE_XFORM_HDR_LEN;

	x->type = b[4];
	x->id = ike_get16(b + 6);
	x->keylen = 0;
	x->bad_attr = false;
	while (off < len) {
		uint16_t at;

		if (len - off < IKE_ATTR_TV_LEN)
			FAIL("transform attribute truncated");
		at = ike_get16(b + off);
		if (at & IKE_ATTR_TV) {
			if ((at & 0x7fff) == IKE_ATTR_KEY_LENGTH)
				x->keylen = ike_get16(b + off + 2);
			else
				x->bad_attr = true;
			off += IKE_ATTR_TV_LEN;
		} else {
			uint16_t alen = ike_get16(b + off + 2);

			if (alen > len - off - IKE_ATTR_TV_LEN)
				FAIL("transform attribute length beyond the transform");
			x->bad_attr = true;
			off += IKE_ATTR_TV_LEN + alen;
		}
	}
	return 0;
}

static int
dec_prop(const uint8_t *b, size_t len, struct ike_prop *p, const char **why)
{
	size_t off;
	unsigned nx;

	p->num = b[4];
	p->proto = b[5];
	p->spi_len = b[6];
	nx = b[7];
	if (p->spi_len > IKE_SPI_LEN)
		FAIL("proposal SPI longer than 8 bytes");
	if ((size_t)IKE_PROP_HDR_LEN + p->spi_len > len)
		FAIL("proposal SPI beyond the proposal");
	memcpy(p->spi, b + IKE_PROP_HDR_LEN, p->spi_len);
	off = IKE_PROP_HDR_LEN + p->spi_len;
	p->n_xf = 0;
	for (unsigned i = 0; i < nx; i++) {
		uint16_t xlen;
		uint8_t last;

		if (len - off < IKE_XFORM_HDR_LEN)
			FAIL("transform truncated");
		last = b[off];
		xlen = ike_get16(b + off + 2);
		if (xlen < IKE_XFORM_HDR_LEN || xlen > len - off)
			FAIL("transform length out of range");
		if ((last == IKE_XFORM_LAST) != (i + 1 == nx))
			FAIL("transform count disagrees with the last-transform marks");
		if (p->n_xf == IKE_MAX_XFORMS)
			FAIL("too many transforms");
		if (dec_xform(b + off, xlen, &p->xf[p->n_xf++], why) < 0)
			return -1;
		off += xlen;
	}
	if (off != len)
		FAIL("proposal length disagrees with its transforms");
	return 0;
}

int
ike_dec_sa(const struct ike_pl *pl, struct ike_sa_pl *sa, const char **why)
{
	const uint8_t *b = pl->body;
	size_t len = pl->len, off = 0;
	bool last = false;

	sa->n = 0;
	while (!last) {
		uint16_t plen;

		if (len - off < IKE_PROP_HDR_LEN)
			FAIL("proposal truncated");
		last = b[off] == IKE_PROP_LAST;
		if (!last && b[off] != IKE_PROP_MORE)
			FAIL("proposal's last-substructure byte is not 0 or 2");
		plen = ike_get16(b + off + 2);
		if (plen < IKE_PROP_HDR_LEN || plen > len - off)
			FAIL("proposal length out of range");
		if (sa->n == IKE_MAX_PROPOSALS)
			FAIL("too many proposals");
		if (dec_prop(b + off, plen, &sa->prop[sa->n], why) < 0)
			return -1;
		sa->n++;
		off += plen;
	}
	if (off != len)
		FAIL("bytes after the last proposal");
	return 0;
}

int
ike_dec_ke(const struct ike_pl *p, struct ike_ke *ke, const char **why)
{
	if (p->len < IKE_KE_FIXED + 1)
		FAIL("KE payload too short");
	ke->group = ike_get16(p->body);
	ke->data = p->body + IKE_KE_FIXED;
	ke->len = p->len - IKE_KE_FIXED;
	return 0;
}

int
ike_dec_notify(const struct ike_pl *p, struct ike_notify_pl *n,
	       const char **why)
{
	if (p->len < IKE_N_FIXED)
		FAIL("Notify payload too short");
	n->proto = p->body[0];
	n->spi_len = p->body[1];
	n->type = ike_get16(p->body + 2);
	if ((size_t)IKE_N_FIXED + n->spi_len > p->len)
		FAIL("Notify SPI beyond the payload");
	n->spi = p->body + IKE_N_FIXED;
	n->data = n->spi + n->spi_len;
	n->len = p->len - IKE_N_FIXED - n->spi_len;
	return 0;
}

bool
ike_find_notify(const struct ike_msg *m, uint16_t type, bool inner,
		struct ike_notify_pl *n)
{
	const char *why;

	for (unsigned i = 0; i < m->n; i++) {
		const struct ike_pl *p = &m->pl[i];

		if (p->type != IKE_PL_NOTIFY || p->inner != inner)
			continue;
		if (ike_dec_notify(p, n, &why) == 0 && n->type == type)
			return true;
	}
	return false;
}

int
ike_dec_id(const struct ike_pl *p, struct ike_id *id, const char **why)
{
	if (p->len < IKE_ID_FIXED + 1)
		FAIL("ID payload too short");
	id->type = p->body[0];
	id->data = p->body + IKE_ID_FIXED;
	id->len = p->len - IKE_ID_FIXED;
	return 0;
}

int
ike_dec_auth(const struct ike_pl *p, struct ike_auth_pl *a, const char **why)
{
	if (p->len < IKE_AUTH_FIXED + 1)
		FAIL("AUTH payload too short");
	a->method = p->body[0];
	a->data = p->body + IKE_AUTH_FIXED;
	a->len = p->len - IKE_AUTH_FIXED;
	return 0;
}

int
ike_dec_cert(const struct ike_pl *p, struct ike_cert *c, const char **why)
{
	if (p->len < IKE_CERT_FIXED + 1)
		FAIL("CERT payload too short");
	c->encoding = p->body[0];
	c->data = p->body + IKE_CERT_FIXED;
	c->len = p->len - IKE_CERT_FIXED;
	return 0;
}

int
ike_dec_ts(const struct ike_pl *p, struct ike_ts_pl *ts, const char **why)
{
	const uint8_t *b = p->body;
	size_t len = p->len, off = IKE_TS_FIXED;
	unsigned n;

	if (len < IKE_TS_FIXED)
		FAIL("TS payload too short");
	n = b[0];
	if (n == 0)
		FAIL("TS payload without selectors");
	ts->n = ts->n_other = 0;
	for (unsigned i = 0; i < n; i++) {
		uint16_t slen;
		uint8_t type;

		if (len - off < 4)
			FAIL("traffic selector truncated");
		type = b[off];
		slen = ike_get16(b + off + 2);
		if (slen < 8 || slen > len - off)
			FAIL("traffic selector length out of range");
		if (type == IKE_TS_IPV4_ADDR_RANGE) {
			struct ike_ts *t;

			if (slen != IKE_TS4_LEN)
				FAIL("IPv4 traffic selector is not 16 bytes");
			if (ts->n == IKE_MAX_TS)
				FAIL("too many traffic selectors");
			t = &ts->ts[ts->n++];
			t->type = type;
			t->proto = b[off + 1];
			t->sport = ike_get16(b + off + 4);
			t->eport = ike_get16(b + off + 6);
			t->start = ike_get32(b + off + 8);
			t->end = ike_get32(b + off + 12);
		} else {
			ts->n_other++;
		}
		off += slen;
	}
	if (off != len)
		FAIL("bytes after the last traffic selector");
	return 0;
}

int
ike_dec_delete(const struct ike_pl *p, struct ike_del *d, const char **why)
{
	if (p->len < IKE_D_FIXED)
		FAIL("Delete payload too short");
	d->proto = p->body[0];
	d->spi_len = p->body[1];
	d->n_spi = ike_get16(p->body + 2);
	d->spis = p->body + IKE_D_FIXED;
	if ((size_t)d->spi_len * d->n_spi != (size_t)p->len - IKE_D_FIXED)
		FAIL("Delete payload length disagrees with its SPI count");
	if (d->proto == IKE_PROTO_IKE && (d->spi_len != 0 || d->n_spi != 0))
		FAIL("Delete of the IKE SA with SPIs");
	if (d->proto == IKE_PROTO_ESP && d->spi_len != IKE_ESP_SPI_LEN)
		FAIL("Delete of ESP SAs with SPIs that are not 4 bytes");
	return 0;
}

int
ike_dec_cp(const struct ike_pl *p, struct ike_cp *cp, const char **why)
{
	size_t off = IKE_CP_FIXED;

	if (p->len < IKE_CP_FIXED)
		FAIL("CP payload too short");
	cp->type = p->body[0];
	cp->want = 0;
	cp->want_ip4 = false;
	while (off < p->len) {
		uint16_t t, alen;

		if (p->len - off < IKE_CP_ATTR_HDR)
			FAIL("CP attribute truncated");
		t = ike_get16(p->body + off) & IKE_CFG_ATTR_TYPE_MASK;
		alen = ike_get16(p->body + off + 2);
		if (alen > p->len - off - IKE_CP_ATTR_HDR)
			FAIL("CP attribute length beyond the payload");
		if (t < 32)
			cp->want |= 1u << t;
		if (t == IKE_CFG_IP4_ADDRESS)
			cp->want_ip4 = true;
		off += IKE_CP_ATTR_HDR + alen;
	}
	return 0;
}

/* ---- builder ---- */

void
ike_hdr_write(uint8_t *p, const struct ike_hdr *h)
{
	memcpy(p, h->spi_i, IKE_SPI_LEN);
	memcpy(p + 8, h->spi_r, IKE_SPI_LEN);
	p[16] = h->next;
	p[17] = IKE_VERSION;
	p[18] = h->exchange;
	p[19] = h->flags;
	ike_put32(p + 20, h->msgid);
	ike_put32(p + 24, h->length);
}

void
ike_out_init(struct ike_out *o, uint8_t *buf, size_t cap,
	     const struct ike_hdr *h)
{
	struct ike_hdr hh = *h;

	o->buf = buf;
	o->cap = cap;
	o->first = IKE_PL_NONE;
	o->has_hdr = cap >= IKE_HDR_LEN;
	o->next_off = SIZE_MAX;
	o->overflow = cap < IKE_HDR_LEN;
	if (o->overflow) {
		o->len = 0;
		return;
	}
	hh.next = IKE_PL_NONE;
	ike_hdr_write(buf, &hh);
	o->len = IKE_HDR_LEN;
	o->next_off = 16;
	o->first = IKE_PL_NONE;
}

void
ike_out_chain(struct ike_out *o, uint8_t *buf, size_t cap)
{
	o->buf = buf;
	o->cap = cap;
	o->len = 0;
	o->next_off = SIZE_MAX;		/* no header: only o->first */
	o->first = IKE_PL_NONE;
	o->has_hdr = false;
	o->overflow = false;
}

uint8_t
ike_out_first(const struct ike_out *o)
{
	return o->first;
}

uint8_t *
ike_out_pl(struct ike_out *o, uint8_t type, size_t body_len)
{
	uint8_t *p;

	if (o->overflow || body_len > 0xffff - IKE_GEN_HDR_LEN ||
	    o->cap - o->len < IKE_GEN_HDR_LEN + body_len) {
		o->overflow = true;
		return NULL;
	}
	if (o->next_off != SIZE_MAX)
		o->buf[o->next_off] = type;
	if (o->first == IKE_PL_NONE)
		o->first = type;
	p = o->buf + o->len;
	p[0] = IKE_PL_NONE;
	p[1] = 0;
	ike_put16(p + 2, (uint16_t)(IKE_GEN_HDR_LEN + body_len));
	o->next_off = o->len;
	o->len += IKE_GEN_HDR_LEN + body_len;
	return p + IKE_GEN_HDR_LEN;
}

int
ike_out_copy(struct ike_out *o, uint8_t type, const void *body, size_t len)
{
	uint8_t *p = ike_out_pl(o, type, len);

	if (p == NULL)
		return -1;
	if (len > 0)
		memcpy(p, body, len);
	return 0;
}

int
ike_out_notify(struct ike_out *o, uint8_t proto, uint16_t type,
	       const void *data, size_t len)
{
	uint8_t *p = ike_out_pl(o, IKE_PL_NOTIFY, IKE_N_FIXED + len);

	if (p == NULL)
		return -1;
	p[0] = proto;
	p[1] = 0;
	ike_put16(p + 2, type);
	if (len > 0)
		memcpy(p + IKE_N_FIXED, data, len);
	return 0;
}

int
ike_out_finish(struct ike_out *o)
{
	if (o->overflow)
		return -1;
	if (o->has_hdr)
		ike_put32(o->buf + 24, (uint32_t)o->len);
	return 0;
}

static size_t
xform_write(uint8_t *p, bool last, uint8_t type, uint16_t id, uint16_t keylen)
{
	size_t len = IKE_XFORM_HDR_LEN + (keylen ? IKE_ATTR_TV_LEN : 0);

	p[0] = last ? IKE_XFORM_LAST : IKE_XFORM_MORE;
	p[1] = 0;
	ike_put16(p + 2, (uint16_t)len);
	p[4] = type;
	p[5] = 0;
	ike_put16(p + 6, id);
	if (keylen) {
		ike_put16(p + 8, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH);
		ike_put16(p + 10, keylen);
	}
	return len;
}

int
ike_out_sa(struct ike_out *o, const struct ike_choice *c)
{
	struct { uint8_t type; uint16_t id, keylen; } xf[5];
	unsigned n = 0;
	size_t len;
	uint8_t *p;

	xf[n++] = (typeof(xf[0])){ IKE_XF_ENCR, c->encr, c->encr_keylen };
	if (c->prf)
		xf[n++] = (typeof(xf[0])){ IKE_XF_PRF, c->prf, 0 };
	if (c->integ)
		xf[n++] = (typeof(xf[0])){ IKE_XF_INTEG, c->integ, 0 };
	if (c->dh || c->dh_none)
		xf[n++] = (typeof(xf[0])){ IKE_XF_DH, c->dh, 0 };
	if (c->esn >= 0)
		xf[n++] = (typeof(xf[0])){ IKE_XF_ESN, (uint16_t)c->esn, 0 };
	if (c->spi_len > IKE_SPI_LEN || c->encr == 0)
		return -1;
	len = IKE_PROP_HDR_LEN + c->spi_len;
	for (unsigned i = 0; i < n; i++)
		len += IKE_XFORM_HDR_LEN + (xf[i].keylen ? IKE_ATTR_TV_LEN : 0);
	p = ike_out_pl(o, IKE_PL_SA, len);
	if (p == NULL)
		return -1;
	p[0] = IKE_PROP_LAST;
	p[1] = 0;
	ike_put16(p + 2, (uint16_t)len);
	p[4] = c->num;
	p[5] = c->proto;
	p[6] = c->spi_len;
	p[7] = (uint8_t)n;
	memcpy(p + IKE_PROP_HDR_LEN, c->spi, c->spi_len);
	p += IKE_PROP_HDR_LEN + c->spi_len;
	for (unsigned i = 0; i < n; i++)
		p += xform_write(p, i + 1 == n, xf[i].type, xf[i].id,
				 xf[i].keylen);
	return 0;
}

int
ike_out_delete(struct ike_out *o, uint8_t proto, uint32_t spi)
{
	bool esp = proto == IKE_PROTO_ESP;
	uint8_t *p = ike_out_pl(o, IKE_PL_DELETE,
				IKE_D_FIXED + (esp ? IKE_ESP_SPI_LEN : 0));

	if (p == NULL)
		return -1;
	p[0] = proto;
	p[1] = esp ? IKE_ESP_SPI_LEN : 0;
	ike_put16(p + 2, esp ? 1 : 0);
	if (esp)
		ike_put32(p + IKE_D_FIXED, spi);
	return 0;
}

int
ike_out_ts(struct ike_out *o, uint8_t type, const struct ike_ts *ts,
	   unsigned n)
{
	uint8_t *p;

	if (n == 0 || n > 255)
		return -1;
	p = ike_out_pl(o, type, IKE_TS_FIXED + (size_t)n * IKE_TS4_LEN);
	if (p == NULL)
		return -1;
	p[0] = (uint8_t)n;
	p[1] = p[2] = p[3] = 0;
	p += IKE_TS_FIXED;
	for (unsigned i = 0; i < n; i++, p += IKE_TS4_LEN) {
		p[0] = IKE_TS_IPV4_ADDR_RANGE;
		p[1] = ts[i].proto;
		ike_put16(p + 2, IKE_TS4_LEN);
		ike_put16(p + 4, ts[i].sport);
		ike_put16(p + 6, ts[i].eport);
		ike_put32(p + 8, ts[i].start);
		ike_put32(p + 12, ts[i].end);
	}
	return 0;
}
