/* SPDX-License-Identifier: BSD-3-Clause
 * IKEv2 messages: the parser (header, payload chains, and each payload's
 * contents) and the builder. The parser only records where each payload
 * lies after checking every length against what is left; the decoders
 * below then read one payload's body, again checking before reading.
 * Nothing here allocates, logs or keeps state: a failure returns -1 with
 * a short static reason that the caller logs with the peer's address.
 */
#ifndef CP_IKE_MSG_H
#define CP_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2_wire.h"

struct ike_pl {
	uint8_t type;
	bool critical;
	bool inner;			/* inside the SK payload */
	const uint8_t *body;		/* after the generic header */
	uint16_t len;			/* of the body */
};

struct ike_msg {
	struct ike_hdr hdr;
	const uint8_t *raw;		/* the whole message */
	size_t raw_len;
	struct ike_pl pl[IKE_MAX_PAYLOADS];
	unsigned n;
	/* The SK payload (always the last outer one), or sk_off 0. */
	size_t sk_off;			/* offset of its body in raw */
	uint8_t sk_first;		/* type of the first inner payload */
	/* The first payload of a type we do not know with the critical
	 * bit set (0: none): UNSUPPORTED_CRITICAL_PAYLOAD names it. */
	uint8_t unknown_critical;
};

/* Header of a datagram's IKE message (B, LEN: after any non-ESP marker):
 * LEN >= 28, major version 2, the length field equal to LEN. */
int ike_parse_hdr(const uint8_t *b, size_t len, struct ike_hdr *h,
		  const char **why);

/* Header and outer payload chain of B into M (which keeps pointers into
 * B). Unknown non-critical payloads are skipped; an SK payload must be
 * the last. */
int ike_parse(const uint8_t *b, size_t len, struct ike_msg *m,
	      const char **why);

/* Append the chain starting with FIRST in B[0..LEN) (the decrypted body
 * of the SK payload) to M as inner payloads. */
int ike_parse_inner(struct ike_msg *m, uint8_t first, const uint8_t *b,
		    size_t len, const char **why);

/* The first (inner when INNER, else outer) payload of TYPE, or NULL. */
const struct ike_pl *ike_find(const struct ike_msg *m, uint8_t type, bool inner);
/* Number of payloads of TYPE. */
unsigned ike_count(const struct ike_msg *m, uint8_t type, bool inner);

/* ---- payload decoders ---- */

struct ike_xform {
	uint8_t type;
	uint16_t id;
	uint16_t keylen;		/* KEY_LENGTH attribute, 0: absent */
	bool bad_attr;			/* another attribute: unusable */
};

struct ike_prop {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[IKE_SPI_LEN];
	struct ike_xform xf[IKE_MAX_XFORMS];
	unsigned n_xf;
};

struct ike_sa_pl {
	struct ike_prop prop[IKE_MAX_PROPOSALS];
	unsigned n;
};

int ike_dec_sa(const struct ike_pl *p, struct ike_sa_pl *sa, const char **why);

struct ike_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};
int ike_dec_ke(const struct ike_pl *p, struct ike_ke *ke, const char **why);

struct ike_notify_pl {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t len;
};
int ike_dec_notify(const struct ike_pl *p, struct ike_notify_pl *n,
		   const char **why);
/* The first notify of TYPE (inner or outer), decoded; false if none or
 * malformed. */
bool ike_find_notify(const struct ike_msg *m, uint16_t type, bool inner,
		     struct ike_notify_pl *n);

struct ike_id {
	uint8_t type;
	const uint8_t *data;
	size_t len;
};
int ike_dec_id(const struct ike_pl *p, struct ike_id *id, const char **why);

struct ike_auth_pl {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};
int ike_dec_auth(const struct ike_pl *p, struct ike_auth_pl *a, const char **why);

struct ike_cert {
	uint8_t encoding;
	const uint8_t *data;
	size_t len;
};
int ike_dec_cert(const struct ike_pl *p, struct ike_cert *c, const char **why);

struct ike_ts {
	uint8_t type;			/* IKE_TS_IPV4_ADDR_RANGE */
	uint8_t proto;			/* 0: any */
	uint16_t sport, eport;
	uint32_t start, end;		/* host order */
};
struct ike_ts_pl {
	struct ike_ts ts[IKE_MAX_TS];
	unsigned n;			/* IPv4 ones kept */
	unsigned n_other;		/* IPv6 and unknown types skipped */
};
int ike_dec_ts(const struct ike_pl *p, struct ike_ts_pl *ts, const char **why);

struct ike_del {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t n_spi;
	const uint8_t *spis;
};
int ike_dec_delete(const struct ike_pl *p, struct ike_del *d, const char **why);

struct ike_cp {
	uint8_t type;			/* IKE_CFG_REQUEST ... */
	uint32_t want;			/* bit (1 << attr type) asked for, types < 32 */
	bool want_ip4;			/* INTERNAL_IP4_ADDRESS requested */
};
int ike_dec_cp(const struct ike_pl *p, struct ike_cp *cp, const char **why);

/* ---- the builder ---- */

enum { IKE_OUT_MAX = 16384 };

struct ike_out {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t next_off;		/* where the next payload's type goes */
	uint8_t first;			/* type of the first payload */
	bool has_hdr;			/* starts with the IKE header */
	bool overflow;
};

/* Start a message in BUF with header H (length written by _finish).
 * First payload type is filled in by the first ike_out_pl. */
void ike_out_init(struct ike_out *o, uint8_t *buf, size_t cap,
		  const struct ike_hdr *h);
/* Start a bare payload chain (the inside of an SK payload). */
void ike_out_chain(struct ike_out *o, uint8_t *buf, size_t cap);
/* Append a payload of TYPE with a BODY_LEN-byte body; returns the body
 * to fill, or NULL (and o->overflow) when it does not fit. */
uint8_t *ike_out_pl(struct ike_out *o, uint8_t type, size_t body_len);
/* Append a payload with a copy of BODY. */
int ike_out_copy(struct ike_out *o, uint8_t type, const void *body, size_t len);
/* A Notify with no SPI. */
int ike_out_notify(struct ike_out *o, uint8_t proto, uint16_t type,
		   const void *data, size_t len);
/* The first payload type (IKE_PL_NONE when empty). */
uint8_t ike_out_first(const struct ike_out *o);
/* Write the header's length field. -1 if anything overflowed. */
int ike_out_finish(struct ike_out *o);

/* Write H at P (28 bytes). */
void ike_hdr_write(uint8_t *p, const struct ike_hdr *h);

/* One proposal (SA payload body) with a single transform of each kind
 * given (ENCR required; PRF, INTEG 0 omitted; DH written when non-zero
 * or DH_NONE; ESN written when ESN >= 0). */
struct ike_choice {
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[IKE_SPI_LEN];
	uint8_t num;
	uint16_t encr, encr_keylen, prf, integ, dh;
	int esn;			/* -1: no ESN transform */
	bool dh_none;			/* write DH transform NONE (0) */
};
int ike_out_sa(struct ike_out *o, const struct ike_choice *c);

/* A Delete payload: of the IKE SA (PROTO IKE_PROTO_IKE, SPI unused) or
 * of the ESP SA with inbound SPI SPI. */
int ike_out_delete(struct ike_out *o, uint8_t proto, uint32_t spi);

/* A TS payload with N IPv4 ranges. */
int ike_out_ts(struct ike_out *o, uint8_t type, const struct ike_ts *ts,
	       unsigned n);

#endif /* CP_IKE_MSG_H */
