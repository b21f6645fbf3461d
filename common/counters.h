/* SPDX-License-Identifier: BSD-3-Clause
 * Per-worker counters. Every drop has a named reason; the names below are
 * what `stats` shows and what tests assert on. One X-macro list gives the
 * enum, the names and the descriptions, so they cannot drift apart.
 *
 * Each worker writes only its own struct (cache-aligned, no atomics); a
 * reader sums them. A reader may see a value one increment stale.
 */
#ifndef P2SGW_DP_COUNTERS_H
#define P2SGW_DP_COUNTERS_H

#include <stdint.h>



#define P2SGW_FOREACH_COUNTER(_)					\
	_(rx_packets, "packets received on all ports")			\
	_(tx_packets, "packets sent on all ports")			\
	_(esp_in_packets, "ESP packets decrypted and forwarded")	\
	_(esp_in_bytes, "inner bytes of esp_in_packets")		\
	_(esp_out_packets, "packets encrypted and sent")		\
	_(esp_out_bytes, "inner bytes of esp_out_packets")		\
	_(to_host, "packets passed to the host kernel (exception)")	\
	_(from_host, "packets from the host kernel forwarded")		\
	_(arp_in, "ARP packets received")				\
	_(arp_out, "ARP requests and replies sent")			\
	_(frag_out, "inner fragments made before encryption")		\
	_(icmp_frag_needed, "ICMP fragmentation-needed sent")		\
	_(handoff, "packets handed to the worker owning their SA")	\
	_(natt_keepalive, "NAT-T keepalives received (RFC 3948)")	\
	_(nat_mapping, "NAT mapping changes of ESP-in-UDP clients reported")

#define P2SGW_FOREACH_DROP(_)						\
	_(esp_bad_icv, "ESP integrity check failed")			\
	_(esp_replay, "ESP sequence number replayed or too old")	\
	_(esp_bad_trailer, "ESP padding or next header invalid")	\
	_(esp_too_short, "ESP packet shorter than its suite allows")	\
	_(no_sa, "ESP SPI matches no SA")				\
	_(esp_seq_exhausted, "outbound SA ran out of sequence numbers")	\
	_(inner_bad_src, "inner source is not the tunnel's virtual IP")	\
	_(inner_bad_dst, "inner destination not in the allowed routes")	\
	_(inner_malformed, "decrypted packet is not a valid IPv4 packet")	\
	_(no_route, "no tunnel or route for the destination")		\
	_(ttl, "TTL expired")						\
	_(arp_unresolved, "next hop MAC address not yet resolved")	\
	_(tx_full, "transmit queue full")				\
	_(malformed, "malformed Ethernet/IPv4/UDP header")		\
	_(not_for_us, "uplink packet for another address")		\
	_(exception_full, "host (exception) path full or absent")	\
	_(frag_failed, "inner fragmentation failed")			\
	_(outer_fragment, "fragmented ESP packet (reassembly unsupported)") \
	_(unsupported, "unsupported protocol (e.g. IPv6, VLAN)")	\
	_(handoff_full, "hand-off ring to the owning worker full")	\
	_(no_mbuf, "packet buffer pool exhausted")			\
	_(too_big, "DF packet over the tunnel MTU (ICMP sent back)")	\
	_(esp_dummy, "ESP dummy packet (next header 59) discarded")	\
	_(crypto_failed, "crypto engine reported an error")		\
	_(sa_expired, "SA past its hard lifetime (awaiting rekey/delete)")

enum p2sgw_counter {
#define P2SGW_C_ENUM(n, d) P2SGW_C_##n,
	P2SGW_FOREACH_COUNTER(P2SGW_C_ENUM)
#undef P2SGW_C_ENUM
	P2SGW_C_COUNT
};

enum p2sgw_drop {
#define P2SGW_D_ENUM(n, d) P2SGW_D_##n,
	P2SGW_FOREACH_DROP(P2SGW_D_ENUM)
#undef P2SGW_D_ENUM
	P2SGW_D_COUNT
};

struct p2sgw_counters {
	uint64_t c[P2SGW_C_COUNT];
	uint64_t d[P2SGW_D_COUNT];
} __attribute__((aligned(64)));

extern const char *const p2sgw_counter_names[P2SGW_C_COUNT];
extern const char *const p2sgw_counter_descs[P2SGW_C_COUNT];
extern const char *const p2sgw_drop_names[P2SGW_D_COUNT];
extern const char *const p2sgw_drop_descs[P2SGW_D_COUNT];

/* W has a `cnt` pointer to its own struct p2sgw_counters. */
#define CNT_INC(w, name) ((w)->cnt->c[P2SGW_C_##name]++)
#define CNT_ADD(w, name, v) ((w)->cnt->c[P2SGW_C_##name] += (v))
#define DROP_INC(w, name) ((w)->cnt->d[P2SGW_D_##name]++)

#endif /* P2SGW_DP_COUNTERS_H */
