/* SPDX-License-Identifier: BSD-3-Clause
 * Types and limits shared by every part of p2sgw (dataplane, control plane,
 * config, tools). Wire formats live in the *_wire.h headers of their owners.
 */
#ifndef P2SGW_TYPES_H
#define P2SGW_TYPES_H

#include <stdint.h>
#include <stddef.h>

/* ESP transforms of the point-to-site policy table (p2s-facts.md). */
enum p2sgw_suite {
	P2SGW_SUITE_AES256GCM16 = 0,	/* RFC 4106, 16-byte ICV (default) */
	P2SGW_SUITE_AES256CBC_SHA256,	/* RFC 3602 + RFC 4868 HMAC-SHA2-256-128 */
	P2SGW_SUITE_AES256CBC_SHA1,	/* RFC 3602 + RFC 2404 HMAC-SHA1-96 */
	P2SGW_SUITE_COUNT
};

enum {
	P2SGW_AES256_KEY_LEN = 32,
	P2SGW_GCM_SALT_LEN = 4,		/* RFC 4106 keying material = key || salt */
	P2SGW_GCM_KEYMAT_LEN = P2SGW_AES256_KEY_LEN + P2SGW_GCM_SALT_LEN,
	P2SGW_SHA256_KEY_LEN = 32,	/* RFC 4868: key length = output length */
	P2SGW_SHA1_KEY_LEN = 20,	/* RFC 2404 */
	P2SGW_MAX_KEY_LEN = P2SGW_GCM_KEYMAT_LEN,
	P2SGW_MAX_AUTH_KEY_LEN = 32,

	P2SGW_SPI_MIN = 256,		/* 1..255 reserved (RFC 4303 s2.1) */

	P2SGW_REPLAY_WINDOW_DEFAULT = 1024,
	P2SGW_REPLAY_WINDOW_MIN = 64,
	P2SGW_REPLAY_WINDOW_MAX = 4096,

	P2SGW_TUNNEL_NAME_LEN = 48,	/* with the NUL; channel tunnel records */

	P2SGW_MAX_TRAFFIC_SELECTORS = 255, /* Windows 10 2004+ accepts 255 */
	P2SGW_WARN_TRAFFIC_SELECTORS = 25, /* older Windows accepts 25 */
	P2SGW_MAX_ROOT_CAS = 20,
	P2SGW_SSTP_MAX_CONNS = 128,
};

/* Gateway SKUs: connection caps from the p2s-facts table. */
enum p2sgw_sku {
	P2SGW_SKU_BASIC = 0,
	P2SGW_SKU_VPNGW1,
	P2SGW_SKU_VPNGW2,
	P2SGW_SKU_VPNGW3,
	P2SGW_SKU_VPNGW4,
	P2SGW_SKU_VPNGW5,
	P2SGW_SKU_COUNT
};

/* Tunnel types an operator can enable (bitmask). */
enum p2sgw_tunnel_type {
	P2SGW_TT_IKEV2 = 1u << 0,
	P2SGW_TT_OPENVPN = 1u << 1,
	P2SGW_TT_SSTP = 1u << 2,
};

/* An IPv4 prefix; addresses are kept in host byte order outside the
 * packet path so that arithmetic on them is plain. */
struct p2sgw_prefix4 {
	uint32_t addr;
	uint8_t len;
};

static inline uint32_t
p2sgw_prefix4_mask(uint8_t len)
{
	return len == 0 ? 0 : ~UINT32_C(0) << (32 - len);
}

static inline int
p2sgw_prefix4_contains(const struct p2sgw_prefix4 *p, uint32_t addr)
{
	uint32_t m = p2sgw_prefix4_mask(p->len);
	return (addr & m) == (p->addr & m);
}

static inline const char *
p2sgw_suite_name(enum p2sgw_suite s)
{
	switch (s) {
	case P2SGW_SUITE_AES256GCM16:
		return "aes256gcm16";
	case P2SGW_SUITE_AES256CBC_SHA256:
		return "aes256-sha256";
	case P2SGW_SUITE_AES256CBC_SHA1:
		return "aes256-sha1";
	default:
		return "unknown";
	}
}

#endif /* P2SGW_TYPES_H */
