/* SPDX-License-Identifier: BSD-3-Clause
 * What a tunnel is made of, apart from its place in the channel: the
 * parameters (name, addresses, suite, SPIs, encapsulation, ESN, window),
 * the raw keys until they are expanded, and the identity hash stored in
 * the tunnel record (cfg_hash) that lets a restarted control plane tell
 * whether an installed tunnel is still the configured one.
 *
 * The checks here are those of the config loader for one tunnel, for
 * tunnels that arrive through the control socket.
 */
#ifndef CP_TUNSPEC_H
#define CP_TUNSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "config.h"

/* The control plane's tunnel kinds (struct p2sgw_tunnel_rec.kind). */
enum tunnel_kind {
	TK_STATIC = 1,			/* from the config's tunnels section */
	TK_MANUAL = 2,			/* added with `sa add` at run time */
	TK_IKE = 3,			/* a CHILD SA negotiated by IKEv2 */
};

struct tun_spec {
	char name[P2SGW_NAME_LEN];
	uint32_t vip;			/* host order */
	uint32_t peer;
	enum p2sgw_suite suite;
	uint32_t spi_in;		/* the client's SPI towards us */
	uint32_t spi_out;		/* ours towards the client */
	bool encap;
	uint16_t encap_sport;		/* the client's UDP port */
	uint16_t encap_dport;		/* ours */
	bool esn;
	uint32_t replay_window;
	/* Lifetimes of the SAs installed for it (0: none), counted from
	 * each install or rekey; not part of its identity (cfg_hash). The
	 * dataplane raises P2SGW_EV_SOFT_LIFETIME at the soft limits and
	 * retires the SA at the hard ones. */
	uint32_t soft_s, hard_s;
	uint64_t soft_bytes, hard_bytes;
};

struct tun_keys {
	uint8_t key_in[P2SGW_MAX_KEY_LEN];
	uint8_t key_out[P2SGW_MAX_KEY_LEN];
	uint8_t key_len;
	uint8_t auth_in[P2SGW_MAX_AUTH_KEY_LEN];
	uint8_t auth_out[P2SGW_MAX_AUTH_KEY_LEN];
	uint8_t auth_len;
};

const char *tunnel_kind_name(uint32_t kind);

/* Cipher / integrity key lengths of SUITE (bytes; 0: none). */
size_t tun_key_len(enum p2sgw_suite suite);
size_t tun_auth_key_len(enum p2sgw_suite suite);

/* 1..P2SGW_NAME_LEN-1 characters of [A-Za-z0-9._@:+-]. */
bool tun_name_ok(const char *name);

/* From a loaded config tunnel. -1 when its name does not fit a channel
 * record (the config allows longer names than the channel holds). */
int tunspec_from_cfg(const struct p2sgw_tunnel_cfg *c, struct tun_spec *s,
		     struct tun_keys *k);

/* The checks the loader makes on one tunnel (VIP inside a pool and not its
 * network/broadcast address, peer unicast and outside the pools and the
 * vnet subnet, SPIs not reserved, window in range and within
 * control.max_replay_window) against CFG. 0, or -1
 * with a reason in ERR. */
int tunspec_check(const struct p2sgw_config *cfg, const struct tun_spec *s,
		  char *err, size_t errlen);

/* Identity of S with its keys: 64-bit FNV-1a over a fixed serialisation,
 * the same in every build. */
uint64_t tunspec_hash(const struct tun_spec *s, const struct tun_keys *k);

void tun_keys_wipe(struct tun_keys *k);

/* "a.b.c.d" */
const char *tun_fmt_ip(uint32_t addr, char buf[16]);
#define TUN_IP(a) tun_fmt_ip((a), (char[16]){0})

#endif /* CP_TUNSPEC_H */
