/* SPDX-License-Identifier: BSD-3-Clause
 * The channel between p2sgw-control and p2sgw-dataplane: one shared-memory
 * region, created by the dataplane at start and attached by the control
 * plane. This header is the whole ABI between the two processes.
 *
 *  [header][msg ring w0..wN-1][event ring w0..wN-1][worker counters]
 *  [inbound SA slots][outbound SA slots][tunnel slots]
 *
 * SA and tunnel records live in the region itself. The control plane is
 * their only writer while a slot is not installed: it fills a record
 * (keys already expanded, so key schedules are built once per SA and never
 * copied per worker), then tells each worker "install slot N" through that
 * worker's message ring. Workers keep their own lookup tables (SPI -> SA,
 * VIP -> outbound SA) pointing into the region, claim an SA's mutable state
 * as its single writer, and acknowledge every message on their event ring.
 * A slot is live once every worker acked it, and is reused (after being
 * wiped) only once every worker acked its removal, so no worker ever
 * touches a freed record.
 *
 * Because the region outlives the control plane, a restarted control
 * plane reconciles by reading the installed tunnel records; a restarted
 * dataplane creates a new region (new generation) and the control plane
 * pushes every tunnel again. Offsets, never pointers, are stored, because
 * the two processes map the region at different addresses.
 */
#ifndef P2SGW_CHANNEL_H
#define P2SGW_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "crypto.h"
#include "p2sgw_types.h"
#include "replay.h"
#include "ring.h"

#define P2SGW_CHAN_MAGIC 0x47533250u	/* "P2SG" little-endian */
#define P2SGW_CHAN_ABI 3u		/* bump on any layout change */

enum {
	P2SGW_CHAN_MAX_WORKERS = 64,
	P2SGW_CHAN_MSG_SLOTS = 4096,	/* per worker, control -> worker */
	P2SGW_CHAN_EV_SLOTS = 8192,	/* per worker, worker -> control */
	P2SGW_CHAN_DRAIN = 64,		/* messages a worker applies per poll */
	P2SGW_NAME_LEN = P2SGW_TUNNEL_NAME_LEN,
	/* Replay bitmap words for the largest window (see replay.h). */
	P2SGW_REPLAY_WORDS_MAX = 128,
	P2SGW_SLOT_NONE = UINT32_MAX,
};

/* ---- messages, control -> worker ---------------------------------- */
enum p2sgw_msg_type {
	P2SGW_MSG_SYNC = 0,		/* nothing; its ack orders earlier ones */
	P2SGW_MSG_TUNNEL_ADD,		/* slot: tunnel; installs its two SAs */
	P2SGW_MSG_TUNNEL_DEL,		/* slot: tunnel; removes its lookups */
	P2SGW_MSG_SA_IN_ADD,		/* slot: inbound SA (extra SPI, rekey) */
	P2SGW_MSG_SA_IN_DEL,		/* slot: inbound SA */
	P2SGW_MSG_TUNNEL_SET_OUT,	/* slot: tunnel; its sa_out changed */
	P2SGW_MSG_FLUSH,		/* forget every lookup */
	P2SGW_MSG_TYPE_COUNT
};

struct p2sgw_msg {
	uint32_t type;
	uint32_t seq;			/* echoed in the ack */
	uint32_t slot;
	uint32_t arg;
};

/* ---- events, worker -> control ------------------------------------ */
enum p2sgw_event_type {
	P2SGW_EV_ACK = 1,		/* seq: the message applied */
	P2SGW_EV_NACK,			/* seq: the message failed (arg: errno) */
	P2SGW_EV_SOFT_LIFETIME,		/* slot: SA (arg: dir); time to rekey */
	P2SGW_EV_HARD_LIFETIME,		/* slot: SA (arg: dir); retired */
	P2SGW_EV_NAT_MAPPING,		/* slot: inbound SA (arg: UDP source port,
					 * value: IPv4 source, host order): an
					 * authentic ESP-in-UDP packet came from
					 * another address or port (RFC 3948 s5.2) */
};

struct p2sgw_event {
	uint32_t type;
	uint32_t seq;
	uint32_t slot;
	uint32_t arg;
	uint32_t worker;
	uint32_t pad;
	uint64_t value;
};

/* ---- SA and tunnel records ----------------------------------------- */
enum p2sgw_slot_state {
	P2SGW_SLOT_FREE = 0,		/* wiped, reusable */
	P2SGW_SLOT_FILLED,		/* written, being installed */
	P2SGW_SLOT_LIVE,		/* every worker acked */
	P2SGW_SLOT_DYING,		/* removal sent, waiting for acks */
};

enum {
	P2SGW_SA_F_ESN = 1u << 0,
	P2SGW_SA_F_ENCAP = 1u << 1,	/* ESP in UDP (RFC 3948) */
	P2SGW_SA_OWNER_NONE = UINT16_MAX,
};

struct p2sgw_sa {
	struct p2sgw_crypto_key key;	/* expanded, read-only once filled */

	/* Read-only once filled (control writes before installing). */
	uint32_t spi;
	uint8_t dir;			/* 0 in, 1 out */
	uint8_t suite;			/* enum p2sgw_suite */
	uint8_t icv_len;
	uint8_t iv_len;
	uint8_t block_len;
	uint8_t flags;			/* P2SGW_SA_F_* */
	uint16_t owner;			/* worker claim (CAS), then fixed */
	uint32_t spi_be;		/* network order */
	uint32_t peer_be;
	uint32_t local_be;
	uint16_t encap_peer_port_be;	/* the client's UDP port */
	uint16_t encap_local_port_be;	/* ours, 4500 */
	uint32_t vip;			/* host order; inbound: required source */
	uint32_t nexthop;		/* host order; outbound: uplink next hop */
	uint32_t tunnel;		/* tunnel slot */
	uint64_t seq_last;		/* last sequence number we may send */
	uint64_t soft_bytes, hard_bytes;	/* 0 = no limit */
	uint64_t soft_packets, hard_packets;
	uint64_t soft_ns, hard_ns;	/* CLOCK_MONOTONIC deadlines, 0 = none */
	uint64_t created_ns;

	/* Control-plane bookkeeping. */
	uint32_t state;			/* enum p2sgw_slot_state */
	uint32_t acks;			/* workers that acked the pending change */

	/* Written by the owning worker only. */
	struct {
		uint64_t seq;		/* outbound: last sent */
		uint64_t packets;
		uint64_t bytes;
		uint64_t last_ns;	/* last packet (idle detection, DPD) */
		uint64_t deadline_ns;	/* next time limit to act on */
		uint8_t soft_fired;
		uint8_t expired;	/* hard limit reached: SA unusable */
		uint16_t map_port_be;	/* inbound: the mapping last reported */
		uint32_t map_addr_be;
	} st __attribute__((aligned(P2SGW_CACHE_LINE)));
	struct replay_window replay;	/* inbound only: bitmap follows */
} __attribute__((aligned(P2SGW_CACHE_LINE)));

struct p2sgw_tunnel_rec {
	uint32_t state;			/* enum p2sgw_slot_state */
	uint32_t acks;
	uint32_t id;			/* control plane's tunnel id */
	uint32_t vip;			/* host order */
	uint32_t sa_in;			/* inbound SA slot */
	uint32_t sa_out;		/* outbound SA slot */
	uint32_t sa_in_prev;		/* rekey: old inbound SA kept, or NONE */
	uint32_t kind;			/* static, ikev2, ... (control's enum) */
	uint64_t created_ns;
	uint64_t cfg_hash;		/* identity of what was installed */
	char name[P2SGW_NAME_LEN];
} __attribute__((aligned(P2SGW_CACHE_LINE)));

/* ---- the region header --------------------------------------------- */
struct p2sgw_chan_hdr {
	uint32_t magic;
	uint32_t abi;
	uint64_t size;			/* bytes of the whole region */
	uint64_t generation;		/* new for every dataplane start */
	uint32_t n_workers;
	uint32_t msg_slots;
	uint32_t ev_slots;
	uint32_t crypto_arch;		/* IMB_ARCH the dataplane runs */
	uint32_t max_sa_in, max_sa_out, max_tunnels;
	uint32_t sa_in_size, sa_out_size, tunnel_size;
	uint32_t replay_words;		/* bitmap words in each inbound slot */
	uint32_t dataplane_pid;
	uint32_t ready;			/* workers are polling */
	uint64_t off_msg[P2SGW_CHAN_MAX_WORKERS];
	uint64_t off_ev[P2SGW_CHAN_MAX_WORKERS];
	uint64_t off_counters;		/* n_workers x struct p2sgw_counters */
	uint64_t off_sa_in, off_sa_out, off_tunnels;
	/* CLOCK_MONOTONIC ns, refreshed by the dataplane every few ms: the
	 * workers' clock (they make no system calls) and its heartbeat. */
	uint64_t now_ns __attribute__((aligned(P2SGW_CACHE_LINE)));
} __attribute__((aligned(P2SGW_CACHE_LINE)));

/* A mapped region, in either process. */
struct p2sgw_chan {
	struct p2sgw_chan_hdr *hdr;
	uint8_t *base;
	size_t size;
	int fd;
	char path[256];
};

struct p2sgw_chan_limits {
	unsigned n_workers;
	uint32_t max_tunnels;		/* tunnels */
	uint32_t max_sa_in;		/* >= max_tunnels (rekeys need spares) */
	uint32_t max_sa_out;
	uint32_t max_replay_window;	/* sizes inbound slots; 0 = 4096 */
	uint32_t crypto_arch;
};

/* Dataplane: create PATH (a file on hugetlbfs or tmpfs), size it for
 * LIMITS, lay it out, zero it, with a fresh generation. Replaces any old
 * region at PATH. Returns 0 or -1 with a one-line reason in ERR. */
int p2sgw_chan_create(struct p2sgw_chan *ch, const char *path,
		      const struct p2sgw_chan_limits *limits,
		      char *err, size_t errlen);

/* Control plane: map PATH and check magic, ABI and sizes. -1 with a clear
 * reason ("ABI 2, this build speaks 1", "not a p2sgw channel") in ERR. */
int p2sgw_chan_attach(struct p2sgw_chan *ch, const char *path,
		      char *err, size_t errlen);

/* Unmap. With UNLINK (the dataplane at a clean exit) remove the file. */
void p2sgw_chan_close(struct p2sgw_chan *ch, bool unlink_file);

static inline struct p2sgw_ring *
p2sgw_chan_msg_ring(const struct p2sgw_chan *ch, unsigned w)
{
	return (struct p2sgw_ring *)(ch->base + ch->hdr->off_msg[w]);
}

static inline struct p2sgw_ring *
p2sgw_chan_ev_ring(const struct p2sgw_chan *ch, unsigned w)
{
	return (struct p2sgw_ring *)(ch->base + ch->hdr->off_ev[w]);
}

static inline struct p2sgw_counters *
p2sgw_chan_counters(const struct p2sgw_chan *ch, unsigned w)
{
	return (struct p2sgw_counters *)(ch->base + ch->hdr->off_counters) + w;
}

static inline struct p2sgw_sa *
p2sgw_chan_sa_in(const struct p2sgw_chan *ch, uint32_t i)
{
	return (struct p2sgw_sa *)(ch->base + ch->hdr->off_sa_in +
				   (size_t)i * ch->hdr->sa_in_size);
}

static inline struct p2sgw_sa *
p2sgw_chan_sa_out(const struct p2sgw_chan *ch, uint32_t i)
{
	return (struct p2sgw_sa *)(ch->base + ch->hdr->off_sa_out +
				   (size_t)i * ch->hdr->sa_out_size);
}

static inline struct p2sgw_tunnel_rec *
p2sgw_chan_tunnel(const struct p2sgw_chan *ch, uint32_t i)
{
	return (struct p2sgw_tunnel_rec *)(ch->base + ch->hdr->off_tunnels +
					   (size_t)i * ch->hdr->tunnel_size);
}

/* What an SA is made of, for p2sgw_sa_fill. Addresses in host order. */
struct p2sgw_sa_params {
	uint32_t spi;
	uint8_t dir;			/* 0 in, 1 out */
	enum p2sgw_suite suite;
	const uint8_t *key;		/* GCM: key||salt (36); CBC: 32 */
	size_t key_len;
	const uint8_t *auth_key;	/* CBC suites: 32 or 20 */
	size_t auth_key_len;
	bool esn;
	bool encap;
	uint32_t peer;
	uint32_t local;
	uint16_t encap_peer_port;
	uint16_t encap_local_port;
	uint32_t replay_window;		/* inbound: 64..4096 */
	uint32_t vip;
	uint32_t nexthop;
	uint32_t tunnel;
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	uint64_t soft_ns, hard_ns;	/* absolute CLOCK_MONOTONIC, 0 = none */
};

/* Fill SA (a FREE slot) from P, expanding the keys with MGR (which must
 * run the region's crypto_arch). Returns 0, or -1 with *WHY set.
 * An inbound slot must have room for P's replay window: prefer
 * p2sgw_chan_sa_fill, which checks the slot against the region. */
int p2sgw_sa_fill(IMB_MGR *mgr, struct p2sgw_sa *sa,
		  const struct p2sgw_sa_params *p, const char **why);

/* Fill slot SLOT of direction P->dir in region CH: bounds and the
 * region's largest replay window are checked first. */
int p2sgw_chan_sa_fill(const struct p2sgw_chan *ch, uint32_t slot,
		       IMB_MGR *mgr, const struct p2sgw_sa_params *p,
		       const char **why);

/* The largest replay window inbound slots of CH can hold. */
uint32_t p2sgw_chan_max_window(const struct p2sgw_chan *ch);

/* Wipe a slot (keys included) so that it can be reused. */
void p2sgw_sa_wipe(struct p2sgw_sa *sa, size_t slot_size);

/* Size of one inbound SA slot whose bitmap has WORDS words (use
 * replay_words(max window)), and of one outbound slot. */
size_t p2sgw_sa_in_slot_size(uint32_t words);
size_t p2sgw_sa_out_slot_size(void);

/* CLOCK_MONOTONIC in ns (not for workers: it is a system call path). */
uint64_t p2sgw_now_ns(void);

#endif /* P2SGW_CHANNEL_H */
