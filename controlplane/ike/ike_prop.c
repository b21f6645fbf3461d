/* SPDX-License-Identifier: BSD-3-Clause
 * Proposal selection: the first of the client's proposals (in its order
 * of preference) that one of the configured policies (ike.proposals,
 * ike.esp_proposals, which the loader keeps inside the policy table)
 * accepts, with one transform of each type.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ike_int.h"

static bool
has_xf(const struct ike_prop *p, uint8_t type, uint16_t id, uint16_t keylen)
{
	for (unsigned i = 0; i < p->n_xf; i++) {
		const struct ike_xform *x = &p->xf[i];

		if (x->type == type && x->id == id && !x->bad_attr &&
		    x->keylen == keylen)
			return true;
	}
	return false;
}

static unsigned
count_xf(const struct ike_prop *p, uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n_xf; i++)
		n += p->xf[i].type == type;
	return n;
}

/* Integrity: none wanted means no INTEG transform or INTEG NONE. */
static bool
integ_ok(const struct ike_prop *p, uint16_t integ)
{
	if (integ != IKE_INTEG_NONE)
		return has_xf(p, IKE_XF_INTEG, integ, 0);
	return count_xf(p, IKE_XF_INTEG) == 0 ||
	       has_xf(p, IKE_XF_INTEG, IKE_INTEG_NONE, 0);
}

/* The first of P's DH groups in GROUPS (bit 1 << group), 0 if none;
 * *HAS_KE when KE_GROUP is one of them. */
static uint16_t
first_group(const struct ike_prop *p, uint32_t groups, uint16_t ke_group,
	    bool *has_ke)
{
	uint16_t first = 0;

	*has_ke = false;
	for (unsigned i = 0; i < p->n_xf; i++) {
		const struct ike_xform *x = &p->xf[i];

		if (x->type != IKE_XF_DH || x->id == 0 || x->id >= 32 ||
		    !(groups & (1u << x->id)))
			continue;
		if (first == 0)
			first = x->id;
		if (x->id == ke_group)
			*has_ke = true;
	}
	return first;
}

enum ike_pick
ike_pick_ike(const struct p2sgw_config *cfg, const struct ike_sa_pl *sa,
	     uint16_t ke_group, struct ike_choice *c, struct ike_suite *s,
	     uint16_t *group)
{
	uint16_t other = 0;

	for (unsigned i = 0; i < sa->n; i++) {
		const struct ike_prop *p = &sa->prop[i];

		/* SPI: none in IKE_SA_INIT, the new one in a rekey */
		if (p->proto != IKE_PROTO_IKE ||
		    (p->spi_len != 0 && p->spi_len != IKE_SPI_LEN))
			continue;
		for (unsigned j = 0; j < cfg->ike.n_ike; j++) {
			const struct p2sgw_ike_proposal_cfg *q = &cfg->ike.ike[j];
			uint16_t g;
			bool has_ke;

			if (!has_xf(p, IKE_XF_ENCR, q->encr, 256) ||
			    !has_xf(p, IKE_XF_PRF, q->prf, 0) ||
			    !integ_ok(p, q->integ))
				continue;
			g = first_group(p, q->groups, ke_group, &has_ke);
			if (g == 0)
				continue;
			if (!has_ke) {
				if (other == 0)
					other = g;
				continue;
			}
			memset(c, 0, sizeof(*c));
			c->proto = IKE_PROTO_IKE;
			c->num = p->num;
			c->encr = q->encr;
			c->encr_keylen = 256;
			c->prf = q->prf;
			c->integ = q->integ;
			c->dh = ke_group;
			c->esn = -1;
			*s = (struct ike_suite){ .encr = q->encr,
				.integ = q->integ, .prf = q->prf,
				.dh = ke_group };
			return IKE_PICK_OK;
		}
	}
	if (other != 0) {
		*group = other;
		return IKE_PICK_KE;
	}
	return IKE_PICK_NONE;
}

void
ike_suite_xforms(enum p2sgw_suite suite, uint16_t *encr, uint16_t *integ)
{
	switch (suite) {
	case P2SGW_SUITE_AES256GCM16:
		*encr = IKE_ENCR_AES_GCM16;
		*integ = IKE_INTEG_NONE;
		break;
	case P2SGW_SUITE_AES256CBC_SHA256:
		*encr = IKE_ENCR_AES_CBC;
		*integ = IKE_INTEG_HMAC_SHA256_128;
		break;
	default:
		*encr = IKE_ENCR_AES_CBC;
		*integ = IKE_INTEG_HMAC_SHA1_96;
		break;
	}
}

/* DH in a CHILD SA proposal: with KE_GROUP (CREATE_CHILD_SA with KE) the
 * proposal must list it; without, NONE or no DH transform means no PFS,
 * and a listed allowed group is remembered for rekeying. */
static bool
child_dh(const struct ike_prop *p, uint32_t groups, uint16_t ke_group,
	 struct ike_choice *c, uint16_t *other)
{
	bool has_ke;
	uint16_t g;

	if (count_xf(p, IKE_XF_DH) == 0)
		return ke_group == 0 && (groups & 1u);
	g = first_group(p, groups, ke_group, &has_ke);
	if (ke_group != 0) {
		/* KE for another group than one we would take: the
		 * caller answers INVALID_KE_PAYLOAD naming G */
		if (!has_ke && g != 0 && *other == 0)
			*other = g;
		c->dh = ke_group;
		return has_ke;
	}
	if (g != 0) {
		c->dh = g;
		return true;
	}
	if (has_xf(p, IKE_XF_DH, 0, 0) && (groups & 1u)) {
		c->dh_none = true;
		return true;
	}
	return false;
}

enum ike_pick
ike_pick_esp(const struct p2sgw_config *cfg, const struct ike_sa_pl *sa,
	     uint16_t ke_group, struct ike_choice *c, enum p2sgw_suite *suite)
{
	uint16_t other = 0;

	for (unsigned i = 0; i < sa->n; i++) {
		const struct ike_prop *p = &sa->prop[i];

		if (p->proto != IKE_PROTO_ESP || p->spi_len != IKE_ESP_SPI_LEN)
			continue;
		for (unsigned j = 0; j < cfg->ike.n_esp; j++) {
			const struct p2sgw_esp_proposal_cfg *q = &cfg->ike.esp[j];
			uint16_t encr, integ;

			ike_suite_xforms(q->suite, &encr, &integ);
			if (!has_xf(p, IKE_XF_ENCR, encr, 256) ||
			    !integ_ok(p, integ))
				continue;
			memset(c, 0, sizeof(*c));
			if (!child_dh(p, q->groups, ke_group, c, &other))
				continue;
			c->proto = IKE_PROTO_ESP;
			c->num = p->num;
			c->spi_len = IKE_ESP_SPI_LEN;
			memcpy(c->spi, p->spi, IKE_ESP_SPI_LEN);
			c->encr = encr;
			c->encr_keylen = 256;
			c->integ = integ;
			if (has_xf(p, IKE_XF_ESN, IKE_ESN_YES, 0))
				c->esn = IKE_ESN_YES;
			else if (has_xf(p, IKE_XF_ESN, IKE_ESN_NO, 0) ||
				 count_xf(p, IKE_XF_ESN) == 0)
				c->esn = count_xf(p, IKE_XF_ESN) ? IKE_ESN_NO : -1;
			else
				continue;
			*suite = q->suite;
			return IKE_PICK_OK;
		}
	}
	if (other != 0) {
		memset(c, 0, sizeof(*c));
		c->dh = other;
		return IKE_PICK_KE;
	}
	return IKE_PICK_NONE;
}

static const char *
xf_name(uint8_t type, uint16_t id, uint16_t keylen, char *buf, size_t len)
{
	switch (type * 1000u + id) {
	case IKE_XF_ENCR * 1000u + IKE_ENCR_AES_CBC:
		snprintf(buf, len, "aes%u", keylen);
		return buf;
	case IKE_XF_ENCR * 1000u + IKE_ENCR_AES_GCM16:
		snprintf(buf, len, "aes%ugcm16", keylen);
		return buf;
	case IKE_XF_ENCR * 1000u + 3: return "3des";
	case IKE_XF_ENCR * 1000u + 18: return "aes-gcm8";
	case IKE_XF_ENCR * 1000u + 19: return "aes-gcm12";
	case IKE_XF_ENCR * 1000u + 28: return "chacha20poly1305";
	case IKE_XF_PRF * 1000u + 2: return "prfsha1";
	case IKE_XF_PRF * 1000u + 4: return "prfaesxcbc";
	case IKE_XF_PRF * 1000u + 5: return "prfsha256";
	case IKE_XF_PRF * 1000u + 6: return "prfsha384";
	case IKE_XF_PRF * 1000u + 7: return "prfsha512";
	case IKE_XF_INTEG * 1000u + 0: return "none";
	case IKE_XF_INTEG * 1000u + 2: return "sha1";
	case IKE_XF_INTEG * 1000u + 12: return "sha256";
	case IKE_XF_INTEG * 1000u + 13: return "sha384";
	case IKE_XF_INTEG * 1000u + 14: return "sha512";
	case IKE_XF_DH * 1000u + 0: return "none";
	case IKE_XF_DH * 1000u + 2: return "modp1024";
	case IKE_XF_DH * 1000u + 14: return "modp2048";
	case IKE_XF_DH * 1000u + 15: return "modp3072";
	case IKE_XF_DH * 1000u + 16: return "modp4096";
	case IKE_XF_DH * 1000u + 19: return "ecp256";
	case IKE_XF_DH * 1000u + 20: return "ecp384";
	case IKE_XF_DH * 1000u + 21: return "ecp521";
	case IKE_XF_DH * 1000u + 24: return "modp2048s256";
	case IKE_XF_DH * 1000u + 31: return "curve25519";
	case IKE_XF_ESN * 1000u + 0: return "noesn";
	case IKE_XF_ESN * 1000u + 1: return "esn";
	}
	snprintf(buf, len, "%u:%u", type, id);
	return buf;
}

const char *
ike_props_str(const struct ike_sa_pl *sa, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < sa->n && off + 1 < len; i++) {
		const struct ike_prop *p = &sa->prop[i];

		off += (size_t)snprintf(buf + off, len - off, "%s%s:",
					i ? ", " : "",
					p->proto == IKE_PROTO_IKE ? "IKE" :
					p->proto == IKE_PROTO_ESP ? "ESP" : "?");
		/* transforms in type order, as strongSwan prints them */
		for (uint8_t t = IKE_XF_ENCR; t < IKE_XF_TYPES && off + 1 < len; t++) {
			static const uint8_t order[] = { 0, IKE_XF_ENCR,
				IKE_XF_INTEG, IKE_XF_PRF, IKE_XF_DH, IKE_XF_ESN };
			uint8_t type = order[t];

			for (unsigned j = 0; j < p->n_xf && off + 1 < len; j++) {
				char tmp[24];

				if (p->xf[j].type != type)
					continue;
				off += (size_t)snprintf(buf + off, len - off,
					"%s%s", buf[off - 1] == ':' ? "" : "/",
					xf_name(type, p->xf[j].id,
						p->xf[j].keylen, tmp,
						sizeof(tmp)));
			}
		}
	}
	if (off >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}
