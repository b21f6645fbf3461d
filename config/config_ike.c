/* SPDX-License-Identifier: BSD-3-Clause
 * The ike section: the IKE SA and CHILD SA (ESP) proposals the responder
 * accepts, lifetimes, the half-open timeout and the connection cap; and
 * whether the IKEv2 responder runs at all.
 *
 * Proposals use strongSwan's syntax, tokens joined by '-', and must lie
 * inside the point-to-site policy table:
 *
 *   IKE SA  AES-GCM-256 / -            / PRF-SHA384, PRF-SHA256 / 24 14 20 19
 *           AES-CBC-256 / SHA2-384-192 / PRF-SHA384             / 24 14 20 19
 *           AES-CBC-256 / SHA2-256-128 / PRF-SHA256             / 24 14 20 19 2
 *   ESP     AES-GCM-256 / -            / PFS: none 24 14 20 19
 *           AES-CBC-256 / SHA2-256-128 / PFS: none 24 14 20 19
 *           AES-CBC-256 / SHA1-96      / PFS: none
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

static const char *const ike_keys[] = {
	"proposals", "esp_proposals", "ike_lifetime", "child_lifetime",
	"child_lifetime_kb", "natt_keepalive",
	"half_open_timeout", "max_connections", "dpd_delay", "dpd_timeout",
	"cookie_threshold", "half_open_per_source", NULL
};

/* IANA IKEv2 transform IDs (RFC 7296 s3.3.2, RFC 4868, RFC 5282). */
enum {
	ENCR_AES_CBC = 12,
	ENCR_AES_GCM_16 = 20,
	INTEG_SHA1_96 = 2,
	INTEG_SHA256_128 = 12,
	INTEG_SHA384_192 = 13,
	PRF_SHA256 = 5,
	PRF_SHA384 = 6,
};

#define GROUP(n) (UINT32_C(1) << (n))
#define NO_PFS GROUP(0)
#define PFS_GROUPS (GROUP(24) | GROUP(14) | GROUP(20) | GROUP(19))

enum { PROPOSAL_LEN = 128 };

enum token_kind { T_ENCR, T_INTEG, T_PRF, T_GROUP, T_NONE };

/* The first name of each kind and ID is the canonical one. */
static const struct token {
	const char *name;
	enum token_kind kind;
	uint16_t id;
} tokens[] = {
	{ "aes256gcm16", T_ENCR, ENCR_AES_GCM_16 },
	{ "aes256gcm128", T_ENCR, ENCR_AES_GCM_16 },
	{ "aes256", T_ENCR, ENCR_AES_CBC },
	{ "sha256", T_INTEG, INTEG_SHA256_128 },
	{ "sha384", T_INTEG, INTEG_SHA384_192 },
	{ "sha1", T_INTEG, INTEG_SHA1_96 },
	{ "prfsha256", T_PRF, PRF_SHA256 },
	{ "prfsha384", T_PRF, PRF_SHA384 },
	{ "modp1024", T_GROUP, 2 },
	{ "modp2048", T_GROUP, 14 },
	{ "ecp256", T_GROUP, 19 },
	{ "ecp384", T_GROUP, 20 },
	{ "modp2048s256", T_GROUP, 24 },
	{ "none", T_NONE, 0 },
};

enum { N_TOKENS = sizeof(tokens) / sizeof(tokens[0]) };

static const char *
token_name(enum token_kind kind, unsigned id)
{
	unsigned i;

	for (i = 0; i < N_TOKENS; i++)
		if (tokens[i].kind == kind && tokens[i].id == id)
			return tokens[i].name;
	return "?";
}

/* The name of the lowest group in GROUPS other than "no PFS". */
static const char *
first_group(uint32_t groups)
{
	unsigned g;

	for (g = 1; g < 32; g++)
		if (groups & GROUP(g))
			return token_name(T_GROUP, g);
	return "?";
}

/* A proposal as written: 0 where a transform is absent. */
struct proposal {
	uint16_t encr, integ, prf;
	uint32_t groups;	/* NO_PFS for an explicit "none" */
};

static int
bad(struct cfg_ctx *x, const config_setting_t *e, const char *fmt, ...)
	CFG_PRINTF(3, 4);

/* "ike.proposals[1] 'aes256-...': " followed by the reason. */
static int
bad(struct cfg_ctx *x, const config_setting_t *e, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return cfg_fail(x, e, "%s '%.96s': %s", CFG_WHERE(e),
			config_setting_get_string(e), why);
}

static const struct token *
find_token(const char *s)
{
	unsigned i;

	for (i = 0; i < N_TOKENS; i++)
		if (strcasecmp(s, tokens[i].name) == 0)
			return &tokens[i];
	return NULL;
}

static int
add_transform(struct cfg_ctx *x, const config_setting_t *e, uint16_t *slot,
	      const struct token *t, const char *what)
{
	if (*slot != 0)
		return bad(x, e, "more than one %s ('%s' and '%s'): write one "
			   "proposal for each", what,
			   token_name(t->kind, *slot), t->name);
	*slot = t->id;
	return 0;
}

static int
add_token(struct cfg_ctx *x, const config_setting_t *e, bool esp,
	  const char *s, struct proposal *p)
{
	const struct token *t = find_token(s);
	uint32_t bit;

	if (t == NULL)
		return bad(x, e, "unknown token '%.32s' (allowed: %s)", s, esp ?
			   "aes256gcm16, aes256, sha256, sha1, none, "
			   "modp2048s256, modp2048, ecp384, ecp256" :
			   "aes256gcm16, aes256, sha384, sha256, prfsha384, "
			   "prfsha256, modp2048s256, modp2048, ecp384, ecp256, "
			   "modp1024");
	switch (t->kind) {
	case T_ENCR:
		return add_transform(x, e, &p->encr, t,
				     "encryption algorithm");
	case T_INTEG:
		return add_transform(x, e, &p->integ, t,
				     "integrity algorithm");
	case T_PRF:
		if (esp)
			return bad(x, e, "%s is not used in ESP proposals: "
				   "remove it", t->name);
		return add_transform(x, e, &p->prf, t, "PRF");
	case T_NONE:
		if (!esp)
			return bad(x, e, "'none' is for ESP proposals only (no "
				   "PFS): an IKE SA always uses a DH group");
		break;
	case T_GROUP:
		break;
	}
	bit = GROUP(t->id);
	if (p->groups & bit)
		return bad(x, e, "'%s' is listed twice", t->name);
	p->groups |= bit;
	return 0;
}

/* Split the string of E on '-' into P. */
static int
read_proposal(struct cfg_ctx *x, const config_setting_t *e, bool esp,
	      struct proposal *p)
{
	const char *v = config_setting_get_string(e);
	char buf[PROPOSAL_LEN], *tok, *dash;
	size_t n = strlen(v);

	memset(p, 0, sizeof(*p));
	if (n == 0)
		return cfg_fail(x, e, "%s is empty: give a proposal such as "
				"\"%s\"", CFG_WHERE(e), esp ? "aes256gcm16" :
				"aes256gcm16-prfsha384-ecp384");
	if (n >= sizeof(buf))
		return bad(x, e, "too long: a proposal has at most %zu "
			   "characters", sizeof(buf) - 1);
	memcpy(buf, v, n + 1);
	for (tok = buf;; tok = dash + 1) {
		dash = strchr(tok, '-');
		if (dash != NULL)
			*dash = '\0';
		if (tok[0] == '\0')
			return bad(x, e, "empty token: tokens are joined by a "
				   "single '-'");
		if (add_token(x, e, esp, tok, p) < 0)
			return -1;
		if (dash == NULL)
			break;
	}
	if (p->encr == 0)
		return bad(x, e, "no encryption algorithm: give aes256gcm16 "
			   "or aes256");
	if (p->encr == ENCR_AES_GCM_16 && p->integ != 0)
		return bad(x, e, "aes256gcm16 takes no integrity algorithm "
			   "(AES-GCM authenticates itself): remove '%s'",
			   token_name(T_INTEG, p->integ));
	if (p->encr == ENCR_AES_CBC && p->integ == 0)
		return bad(x, e, "aes256 needs an integrity algorithm: add %s",
			   esp ? "sha256 or sha1" : "sha384 or sha256");
	return 0;
}

/* The IKE SA rows of the policy table. */
static int
check_ike(struct cfg_ctx *x, const config_setting_t *e, struct proposal *p)
{
	uint16_t want;

	if (p->encr == ENCR_AES_CBC) {
		if (p->integ == INTEG_SHA1_96)
			return bad(x, e, "aes256-sha1 is not an IKE SA policy: "
				   "use aes256-sha384 or aes256-sha256");
		want = p->integ == INTEG_SHA384_192 ? PRF_SHA384 : PRF_SHA256;
		if (p->prf == 0)
			p->prf = want;
		if (p->prf != want)
			return bad(x, e, "aes256-%s is only allowed with %s",
				   token_name(T_INTEG, p->integ),
				   token_name(T_PRF, want));
	} else if (p->prf == 0) {
		return bad(x, e, "aes256gcm16 needs a PRF: add prfsha384 or "
			   "prfsha256");
	}
	if (p->groups == 0)
		return bad(x, e, "no DH group: add one or more of "
			   "modp2048s256, modp2048, ecp384, ecp256");
	if ((p->groups & GROUP(2)) &&
	    !(p->encr == ENCR_AES_CBC && p->integ == INTEG_SHA256_128))
		return bad(x, e, "modp1024 is only allowed with "
			   "aes256-sha256-prfsha256");
	return 0;
}

/* The ESP rows of the policy table; no group means no PFS. */
static int
check_esp(struct cfg_ctx *x, const config_setting_t *e, struct proposal *p,
	  enum p2sgw_suite *suite)
{
	if (p->integ == INTEG_SHA384_192)
		return bad(x, e, "aes256-sha384 is not an ESP policy: use "
			   "aes256gcm16, aes256-sha256 or aes256-sha1");
	if (p->groups & GROUP(2))
		return bad(x, e, "modp1024 is not allowed in ESP proposals: "
			   "PFS groups are modp2048s256, modp2048, ecp384, "
			   "ecp256");
	if (p->integ == INTEG_SHA1_96 && (p->groups & ~NO_PFS))
		return bad(x, e, "aes256-sha1 is only allowed without PFS: "
			   "remove '%s'", first_group(p->groups));
	if (p->groups == 0)
		p->groups = NO_PFS;
	*suite = p->encr == ENCR_AES_GCM_16 ? P2SGW_SUITE_AES256GCM16 :
		p->integ == INTEG_SHA256_128 ? P2SGW_SUITE_AES256CBC_SHA256 :
		P2SGW_SUITE_AES256CBC_SHA1;
	return 0;
}

/* The list NAME: *list is NULL when it is absent (keep the defaults). */
static int
proposal_list(struct cfg_ctx *x, const config_setting_t *g, const char *name,
	      config_setting_t **list, unsigned *n)
{
	*list = NULL;
	*n = 0;
	if (g == NULL)
		return 0;
	if (cfg_elements(x, g, name, CONFIG_TYPE_STRING,
			 P2SGW_CFG_MAX_IKE_PROPOSALS, list, n) < 0)
		return -1;
	if (*list != NULL && *n == 0)
		return cfg_fail(x, *list, "%s is empty: give 1..%d proposals "
				"or leave the setting out for the defaults",
				CFG_WHERE(*list), P2SGW_CFG_MAX_IKE_PROPOSALS);
	return 0;
}

static const struct p2sgw_ike_proposal_cfg default_ike[] = {
	{ ENCR_AES_GCM_16, 0, PRF_SHA384, PFS_GROUPS, 0 },
	{ ENCR_AES_GCM_16, 0, PRF_SHA256, PFS_GROUPS, 0 },
	{ ENCR_AES_CBC, INTEG_SHA384_192, PRF_SHA384, PFS_GROUPS, 0 },
	{ ENCR_AES_CBC, INTEG_SHA256_128, PRF_SHA256, PFS_GROUPS | GROUP(2), 0 },
};

static const struct p2sgw_esp_proposal_cfg default_esp[] = {
	{ P2SGW_SUITE_AES256GCM16, NO_PFS | PFS_GROUPS, 0 },
	{ P2SGW_SUITE_AES256CBC_SHA256, NO_PFS | PFS_GROUPS, 0 },
	{ P2SGW_SUITE_AES256CBC_SHA1, NO_PFS, 0 },
};

static int
load_ike_proposals(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->ike) *ike = &x->cfg->ike;
	struct p2sgw_ike_proposal_cfg *c;
	config_setting_t *list, *e;
	struct proposal p;
	unsigned i, j, n;

	if (proposal_list(x, g, "proposals", &list, &n) < 0)
		return -1;
	if (list == NULL) {
		memcpy(ike->ike, default_ike, sizeof(default_ike));
		ike->n_ike = sizeof(default_ike) / sizeof(default_ike[0]);
		return 0;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if (read_proposal(x, e, false, &p) < 0 ||
		    check_ike(x, e, &p) < 0)
			return -1;
		c = &ike->ike[i];
		*c = (struct p2sgw_ike_proposal_cfg){
			.encr = p.encr, .integ = p.integ, .prf = p.prf,
			.groups = p.groups,
			.line = config_setting_source_line(e),
		};
		for (j = 0; j < i; j++)
			if (ike->ike[j].encr == c->encr &&
			    ike->ike[j].integ == c->integ &&
			    ike->ike[j].prf == c->prf &&
			    ike->ike[j].groups == c->groups)
				return bad(x, e, "listed twice (as "
					   "ike.proposals[%u])", j);
	}
	ike->n_ike = n;
	return 0;
}

static int
load_esp_proposals(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->ike) *ike = &x->cfg->ike;
	struct p2sgw_esp_proposal_cfg *c;
	config_setting_t *list, *e;
	enum p2sgw_suite suite = P2SGW_SUITE_AES256GCM16;
	struct proposal p;
	unsigned i, j, n;

	if (proposal_list(x, g, "esp_proposals", &list, &n) < 0)
		return -1;
	if (list == NULL) {
		memcpy(ike->esp, default_esp, sizeof(default_esp));
		ike->n_esp = sizeof(default_esp) / sizeof(default_esp[0]);
		return 0;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if (read_proposal(x, e, true, &p) < 0 ||
		    check_esp(x, e, &p, &suite) < 0)
			return -1;
		c = &ike->esp[i];
		*c = (struct p2sgw_esp_proposal_cfg){
			.suite = suite, .groups = p.groups,
			.line = config_setting_source_line(e),
		};
		for (j = 0; j < i; j++)
			if (ike->esp[j].suite == c->suite &&
			    ike->esp[j].groups == c->groups)
				return bad(x, e, "listed twice (as "
					   "ike.esp_proposals[%u])", j);
	}
	ike->n_esp = n;
	return 0;
}

unsigned
p2sgw_sku_ike_cap(enum p2sgw_sku sku, int generation)
{
	/* Basic has no published IKEv2 cap: the SSTP one is used. */
	static const unsigned gen1[P2SGW_SKU_COUNT] = {
		[P2SGW_SKU_BASIC] = 128,
		[P2SGW_SKU_VPNGW1] = 250,
		[P2SGW_SKU_VPNGW2] = 500,
		[P2SGW_SKU_VPNGW3] = 1000,
	};
	static const unsigned gen2[P2SGW_SKU_COUNT] = {
		[P2SGW_SKU_VPNGW2] = 500,
		[P2SGW_SKU_VPNGW3] = 1000,
		[P2SGW_SKU_VPNGW4] = 5000,
		[P2SGW_SKU_VPNGW5] = 10000,
	};

	if ((unsigned)sku >= P2SGW_SKU_COUNT)
		return 0;
	if (generation == 1)
		return gen1[sku];
	if (generation == 2)
		return gen2[sku];
	return 0;
}

/* 0 (the default) means the SKU's cap; the field holds the cap then. */
static int
load_max_connections(struct cfg_ctx *x, const config_setting_t *g)
{
	const typeof(x->cfg->gateway) *gw = &x->cfg->gateway;
	unsigned cap = p2sgw_sku_ike_cap(gw->sku, gw->generation);
	config_setting_t *s = g != NULL ? cfg_member(g, "max_connections") :
		NULL;
	long long v = 0;

	x->cfg->ike.max_connections = cap;
	if (s == NULL)
		return 0;
	if (cfg_value_int(x, s, INT64_MIN, INT64_MAX, &v) < 0)
		return -1;
	if (v < 0 || v > cap)
		return cfg_fail(x, s, "%s = %lld is out of range 0..%u: %u is "
				"the IKEv2/OpenVPN connection cap of %s "
				"(generation %d); 0 means the cap",
				CFG_WHERE(s), v, cap, cap,
				p2sgw_sku_name(gw->sku), gw->generation);
	if (v > 0)
		x->cfg->ike.max_connections = (unsigned)v;
	return 0;
}

/* The responder runs when ikev2 is enabled and there is a certificate;
 * without one, a configuration of static tunnels only is still valid. */
static void
set_enabled(struct cfg_ctx *x, const config_setting_t *root)
{
	const struct p2sgw_config *c = x->cfg;
	config_setting_t *p2s = cfg_member(root, "p2s"), *tt;

	if (!(c->p2s.tunnel_types & P2SGW_TT_IKEV2))
		return;
	if (c->auth.certificate[0] != '\0') {
		x->cfg->ike.enabled = true;
		return;
	}
	tt = p2s != NULL ? cfg_member(p2s, "tunnel_types") : NULL;
	cfg_warn(x, tt != NULL ? tt : p2s, "p2s.tunnel_types has ikev2 but "
		 "auth.certificate is not set: the IKEv2 responder stays off "
		 "(static tunnels only)");
}

int
cfg_load_ike(struct cfg_ctx *x, const config_setting_t *root)
{
	typeof(x->cfg->ike) *ike = &x->cfg->ike;
	config_setting_t *g;

	ike->ike_lifetime = 28800;
	ike->child_lifetime = 27000;
	ike->half_open_timeout = 30;
	ike->dpd_delay = 30;
	ike->dpd_timeout = 150;
	ike->cookie_threshold = 128;
	ike->half_open_per_source = 32;
	ike->natt_keepalive = 20;
	if (cfg_subgroup(x, root, "ike", false, &g) < 0 ||
	    (g != NULL && cfg_check_keys(x, g, ike_keys) < 0) ||
	    load_ike_proposals(x, g) < 0 ||
	    load_esp_proposals(x, g) < 0)
		return -1;
	if (g != NULL &&
	    (cfg_uint(x, g, "ike_lifetime", 30, 86400,
		      &ike->ike_lifetime) < 0 ||
	     cfg_uint(x, g, "child_lifetime", 10, 86400,
		      &ike->child_lifetime) < 0 ||
	     cfg_uint(x, g, "child_lifetime_kb", 0, 2000000000u,
		      &ike->child_lifetime_kb) < 0 ||
	     cfg_uint(x, g, "half_open_timeout", 5, 300,
		      &ike->half_open_timeout) < 0 ||
	     cfg_uint(x, g, "dpd_delay", 0, 3600, &ike->dpd_delay) < 0 ||
	     cfg_uint(x, g, "dpd_timeout", 5, 3600, &ike->dpd_timeout) < 0 ||
	     cfg_uint(x, g, "cookie_threshold", 0, 1000000,
		      &ike->cookie_threshold) < 0 ||
	     cfg_uint(x, g, "half_open_per_source", 1, 100000,
		      &ike->half_open_per_source) < 0 ||
	     cfg_uint(x, g, "natt_keepalive", 0, 3600,
		      &ike->natt_keepalive) < 0))
		return -1;
	if (load_max_connections(x, g) < 0)
		return -1;
	set_enabled(x, root);
	return 0;
}
