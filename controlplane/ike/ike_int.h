/* SPDX-License-Identifier: BSD-3-Clause
 * Inside the IKEv2 responder: the IKE SA, its states, and the functions
 * the exchange files (ike_init.c, ike_auth.c, ike_info.c) share.
 *
 * States of an IKE SA (ike_sa_state() is the only place one changes,
 * logged "ike#N: A -> B (why)"):
 *
 *   IKE_SA_INIT answered         IKE_AUTH verified,      every worker
 *   --------------------> HALF_OPEN ------------------> INSTALLING -------> ESTABLISHED
 *                            | timeout / failure           | refused          | DELETE (either
 *                            v                             v                  v side), disconnect
 *                          (freed)  <------------------------------------- DELETING
 *
 * HALF_OPEN SAs hold the two IKE_SA_INIT messages (for the AUTH octets)
 * and nothing else of the client's; they are freed after
 * ike.half_open_timeout. While INSTALLING, retransmissions of the
 * IKE_AUTH request are dropped: the response is sent only after the
 * dataplane holds the CHILD SA.
 */
#ifndef CP_IKE_INT_H
#define CP_IKE_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "ike.h"
#include "ike_crypto.h"
#include "ike_frag.h"
#include "ike_msg.h"
#include "loop.h"
#include "pool.h"
#include "tunnels.h"
#include "x509.h"

struct cp;

enum ike_state {
	IKE_S_HALF_OPEN,
	IKE_S_INSTALLING,
	IKE_S_ESTABLISHED,
	IKE_S_DELETING,
};

enum {
	IKE_ID_MAX = 256,
	IKE_DELETE_TRIES = 3,		/* our DELETE, then give up */
	IKE_DELETE_RTO_MS = 1000,
	/* Our messages above this IP packet size go out as RFC 7383
	 * fragments when the client supports them (1280: IPv6's minimum
	 * MTU, what strongSwan and Windows use). */
	IKE_FRAG_MTU = 1280,
	IKE_FRAG_OVERHEAD = 20 + 8 + IKE_NON_ESP_MARKER_LEN,
	IKE_COOKIE_ROTATE_S = 60,
	IKE_COOKIE_LEN = 1 + 16,	/* secret version, truncated SHA-256 */
	IKE_SRC_BUCKETS = 1024,
};

/* The endpoints of an IKE SA as the kernel sees them. */
struct ike_addr {
	uint32_t peer;			/* host order */
	uint16_t peer_port;
	uint32_t local;
	uint16_t local_port;		/* 500 or 4500 */
};

struct ike_child {
	bool present;			/* installed or being installed */
	char name[P2SGW_NAME_LEN];	/* the dataplane tunnel */
	uint32_t spi_in, spi_out;	/* ours, the client's */
	uint32_t old_spi_in, old_spi_out;	/* before the last rekey */
	uint32_t new_spi_in, new_spi_out;	/* a rekey waiting for the dataplane */
	/* the client's half of a rekey collision it lost (RFC 7296 2.8.1):
	 * answered, never installed, its DELETE expected */
	uint32_t red_spi_in, red_spi_out;
	uint32_t rekeys;
	uint64_t installed_ns;		/* installed or last rekeyed */
	uint64_t rekey_due_ns;		/* we rekey it then unless the client did */
	enum p2sgw_suite suite;
	bool esn, encap;
	uint16_t dh;			/* PFS group for rekeying, 0: none */
	uint32_t soft_s;		/* its soft lifetime in the dataplane */
};

struct ike_src {
	uint32_t addr;
	uint32_t n;
	struct ike_src *next;
};

struct ike_sa {
	uint64_t id;			/* shown as ike#ID */
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	/* We are its original initiator: an IKE SA our own rekey created
	 * (RFC 7296 2.18). Our SPI is then spi_i, our messages carry the
	 * I flag and SK_ei/SK_ai protect them. Otherwise (every IKE SA a
	 * client set up or rekeyed) our SPI is spi_r. */
	bool initiator;
	enum ike_state state;
	struct ike_addr addr;
	bool nat_peer, nat_local;	/* NAT detected in front of them / us */

	struct ike_suite suite;
	struct ike_keys k;
	struct ike_sk_dir in, out;	/* point into k */
	uint64_t iv_seq;		/* GCM IVs of our messages */

	/* Until IKE_AUTH is done: the IKE_SA_INIT request and response
	 * (RealMessage1/2) and the nonces. */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_LEN];
	size_t ni_len;
	uint8_t init_hash[20];		/* of init_req: retransmissions */
	uint16_t peer_hashes;		/* SIGNATURE_HASH_ALGORITHMS bits */
	bool peer_certreq;

	/* The peer's requests: the next expected ID, the last response and
	 * the hash of the request it answered (only an identical request is
	 * a retransmission), the hash of the request being answered. */
	uint32_t peer_next;
	uint8_t last_req_hash[20], cur_req_hash[20];
	uint8_t *last_resp;
	size_t last_resp_len;
	uint16_t *resp_frag_len;	/* the last response as fragments */
	unsigned n_resp_frags;
	bool frag_ok;			/* IKEV2_FRAGMENTATION_SUPPORTED both ways */
	struct ike_frag_rx *frag_rx;	/* a fragmented request being collected */
	/* Our requests. */
	uint32_t my_next;
	uint8_t *req;
	size_t req_len;
	unsigned req_tries;

	/* Who, and what it got. */
	char identity[IKE_ID_MAX];	/* IDi as text */
	char subject[X509_SUBJECT_LEN];
	uint8_t thumb[X509_THUMB_LEN];
	uint32_t vip;
	struct ike_child child;
	uint32_t n_children;		/* CHILD SAs it installed (names) */
	/* The IKE_AUTH response's inner payloads, sealed once the
	 * dataplane acked the CHILD SA. */
	uint8_t *pending;
	size_t pending_len;
	uint8_t pending_first;
	bool child_pending;		/* CREATE_CHILD_SA waits for the dataplane */
	/* Our own CHILD SA rekey (we initiate CREATE_CHILD_SA): our nonce,
	 * DH for PFS, the inbound SPI we offered; the DELETE of the old SA
	 * follows once the dataplane has the new one. */
	struct {
		bool active;
		uint8_t ni[IKE_NONCE_LEN];
		struct ike_dh *dh;
		uint16_t group;
		uint32_t spi_in;
		bool delete_old;	/* DELETE of the old SA is due */
		uint32_t old_spi_in;
	} rk;
	/* A client's CHILD SA rekey that came while ours was in flight
	 * (RFC 7296 2.8.1): its decrypted payloads, answered once ours is,
	 * when the four nonces say which of the two stays. */
	uint8_t *defer;
	size_t defer_len;
	uint8_t defer_first;
	struct ike_hdr defer_hdr;
	/* The group our next rekey offers for PFS: 0 none, UINT16_MAX not
	 * chosen yet (the IKE SA's, when the ESP policy allows it). */
	uint16_t rk_group;
	/* Our own IKE SA rekey: the SPI, nonce and DH of the new IKE SA we
	 * offered. When the client rekeyed this IKE SA at the same time
	 * (RFC 7296 2.8.2), the lowest nonce of its exchange and the ID of
	 * the IKE SA that made. */
	struct {
		bool active;
		uint8_t spi[IKE_SPI_LEN];
		uint8_t ni[IKE_NONCE_LEN];
		struct ike_dh *dh;
		uint16_t group;
		bool collided;
		uint8_t lo[IKE_NONCE_MAX];
		size_t lo_len;
		uint64_t other_id;
	} irk;
	uint64_t ike_rekey_due_ns;	/* we rekey the IKE SA then */
	uint16_t irk_group;		/* the DH group the client asked for, or 0 */

	uint64_t created_ns, established_ns;
	uint64_t last_rx_ns;		/* last authenticated message from the peer */
	uint64_t dpd_start_ns;		/* our liveness check in flight, or 0 */
	uint64_t req_start_ns;		/* our request in flight since, or 0 */
	uint64_t ka_ns;			/* our last NAT-T keepalive */
	/* DELETING with a request of ours in flight: our DELETE goes once
	 * it is answered (one request at a time, RFC 7296 2.3) */
	bool delete_queued;
	struct loop_timer timer;	/* half-open timeout, DELETE retries */
	struct ike *ctx;

	struct ike_sa *hr_next;		/* by spi_r */
	struct ike_sa *hi_next;		/* by spi_i + peer */
	struct ike_sa *prev, *next;
};

struct ike_stats {
	uint64_t rx, tx, rx_bad, rx_no_sa, rx_retransmit;
	uint64_t init_ok, no_proposal, invalid_ke, auth_ok, auth_failed;
	uint64_t revoked, unknown_ca, pool_exhausted, cap_refused;
	uint64_t deleted_by_peer, deleted_by_us, half_open_expired;
	uint64_t install_failed, unsupported_critical;
	uint64_t child_rekeys, ike_rekeys, rekey_refused;
	uint64_t frags_rx, frags_tx, frag_msgs_rx, frag_msgs_tx;
	uint64_t dpd_sent, dpd_answered, dpd_dead;
	uint64_t cookies_sent, cookies_ok, cookies_bad, half_open_refused;
	uint64_t gw_child_rekeys, gw_rekey_failed, lifetime_expired;
	uint64_t soft_lifetime, gw_ike_rekeys, gw_ike_rekey_failed;
	uint64_t ike_rekey_collisions, redundant_deleted, child_rekey_collisions;
	uint64_t new_children, natt_keepalives;
};

struct ike {
	struct cp *cp;
	struct loop *loop;
	int fd[2];			/* 500, 4500 */
	uint16_t port[2];
	struct loop_fd w[2];
	struct x509_trust *trust;
	struct x509_local *local;
	uint8_t *certreq;		/* our CERTREQ hashes */
	size_t certreq_len;
	struct pool pool;

	struct ike_sa *head, *tail;
	size_t n_sa, n_half_open, n_established;
	struct loop_timer dpd;		/* scans for idle clients every second */
	/* COOKIE (RFC 7296 2.6): two secrets, the newer one used, the
	 * older still accepted; replaced every IKE_COOKIE_ROTATE_S. */
	uint8_t cookie_secret[2][32];
	uint8_t cookie_ver;
	uint64_t cookie_rotated_ns;
	/* Half-open SAs per client address. */
	struct ike_src **src;
	size_t n_src_buckets;
	struct ike_sa **hr, **hi;	/* hash buckets */
	size_t nb;
	uint64_t next_id;
	struct ike_stats st;
	uint8_t buf[IKE_MAX_UDP + 64];	/* receive buffer */
	uint8_t obuf[IKE_OUT_MAX];	/* message being built */
	uint8_t ibuf[IKE_OUT_MAX];	/* inner payloads being built */
};

/* Our SPI of SA (the key of its table entry) and the client's. */
static inline const uint8_t *
ike_spi_local(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static inline const uint8_t *
ike_spi_peer(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_r : sa->spi_i;
}

#define SA_LOG(lvl, sa, fmt, ...) \
	cp_log((lvl), "ike#%llu %s: " fmt, (unsigned long long)(sa)->id, \
	       ike_peer_str(&(sa)->addr), ##__VA_ARGS__)

const char *ike_state_name(enum ike_state s);
const char *ike_peer_str(const struct ike_addr *a);
const char *ike_notify_name(uint16_t type);
void ike_sa_state(struct ike_sa *sa, enum ike_state to, const char *why);

/* ike.c: half-open SAs per client address */
unsigned ike_src_count(const struct ike *x, uint32_t addr);

/* ike.c: the table, I/O */
struct ike_sa *ike_sa_new(struct ike *x, const uint8_t spi_i[8],
			  const struct ike_addr *a);
/* An IKE SA our rekey created: SPI_I ours, SPI_R the client's; state
 * ESTABLISHED (not counted as half-open). NULL when SPI_I is taken. */
struct ike_sa *ike_sa_new_initiator(struct ike *x, const uint8_t spi_i[8],
				    const uint8_t spi_r[8],
				    const struct ike_addr *a);
/* The SK directions from SA's keys and role. */
void ike_sa_set_dirs(struct ike_sa *sa);
void ike_sa_free(struct ike *x, struct ike_sa *sa);
/* SPI is not zero and no IKE SA of ours has it. */
bool ike_spi_free(struct ike *x, const uint8_t spi[8]);
/* The IKE SA whose SPI (ours) is SPI. */
struct ike_sa *ike_sa_by_spi(struct ike *x, const uint8_t spi[8]);
struct ike_sa *ike_sa_by_init(struct ike *x, const uint8_t spi_i[8],
			      const struct ike_addr *a);
int ike_send(struct ike *x, const struct ike_addr *a, const uint8_t *b,
	     size_t len);
/* Keep a copy of our response to the peer's request (retransmissions)
 * and send it. */
void ike_respond(struct ike *x, struct ike_sa *sa, const uint8_t *b,
		 size_t len);
/* Unprotected reply to a request without an SA (IKE_SA_INIT errors): a
 * single Notify. */
void ike_reply_notify(struct ike *x, const struct ike_msg *req,
		      const struct ike_addr *a, uint16_t type,
		      const void *data, size_t len);
/* Seal and send the inner chain built in O on SA: one message of
 * EXCHANGE with ID MSGID. A response is kept for retransmitted requests
 * (fragmented when the client supports it and it is large); a request
 * of ours is kept and its retransmission timer armed. -1 if it does not
 * fit or sealing failed. */
int ike_send_sk(struct ike *x, struct ike_sa *sa, uint8_t exchange,
		uint32_t msgid, bool response, const struct ike_out *inner);
/* The response to the request being answered, built in O, kept until
 * the dataplane has what it promises (O's buffer wiped); then sent as
 * message peer_next of EXCHANGE, or dropped. -1: out of memory. */
int ike_pending_keep(struct ike_sa *sa, struct ike_out *o);
void ike_pending_send(struct ike *x, struct ike_sa *sa, uint8_t exchange);
void ike_pending_drop(struct ike_sa *sa);
/* A protected response that carries only one error notify. */
void ike_respond_error(struct ike *x, struct ike_sa *sa,
		       const struct ike_msg *req, uint16_t type);
/* Remove SA: its CHILD SA from the dataplane, its VIP to the pool. */
void ike_sa_destroy(struct ike *x, struct ike_sa *sa, const char *why);

/* ike_prop.c: proposal selection against the config's policies */
struct p2sgw_config;
enum ike_pick {
	IKE_PICK_OK,
	IKE_PICK_NONE,			/* NO_PROPOSAL_CHOSEN */
	IKE_PICK_KE,			/* INVALID_KE_PAYLOAD: *group */
};
enum ike_pick ike_pick_ike(const struct p2sgw_config *cfg,
			   const struct ike_sa_pl *sa, uint16_t ke_group,
			   struct ike_choice *c, struct ike_suite *s,
			   uint16_t *group);
enum ike_pick ike_pick_esp(const struct p2sgw_config *cfg,
			   const struct ike_sa_pl *sa, uint16_t ke_group,
			   struct ike_choice *c, enum p2sgw_suite *suite);
/* ENCR and INTEG transform IDs of a dataplane suite (256-bit keys). */
void ike_suite_xforms(enum p2sgw_suite suite, uint16_t *encr, uint16_t *integ);
/* The client's proposals as text ("aes256gcm16-prfsha384-ecp384, ...")
 * for the NO_PROPOSAL_CHOSEN log line. */
const char *ike_props_str(const struct ike_sa_pl *sa, char *buf, size_t len);

/* ike_auth.c, shared with the CHILD SA rekey */
struct tun_keys;
bool ike_narrow_tsi(const struct ike_ts_pl *tsi, uint32_t vip, struct ike_ts *out);
unsigned ike_narrow_tsr(const struct p2sgw_config *cfg,
			const struct ike_ts_pl *tsr, struct ike_ts *out,
			unsigned cap);
/* A random inbound ESP SPI no tunnel uses (0 if none found). */
uint32_t ike_alloc_spi(struct ike *x);
/* KEYMAT (RFC 7296 2.17: initiator's encryption then integrity key,
 * then the responder's) into the tunnel's inbound / outbound keys. */
void ike_split_keymat(const uint8_t *km, enum p2sgw_suite suite,
		      struct tun_keys *k);
/* Install SA's CHILD SA (sa->child's SPIs, encap) with KEYMAT from
 * NI/NR and GIR (PFS; NULL: none), FN told when every worker has it.
 * TM_PENDING, TM_DONE (no dataplane yet), or -1 with ERR. */
int ike_install_child(struct ike *x, struct ike_sa *sa,
		      const struct ike_choice *c, enum p2sgw_suite suite,
		      tm_done_fn fn, const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len, const uint8_t *gir,
		      size_t glen, char *err, size_t errlen);
/* The tunnel manager's waiter token for SA (our SPI). */
uint64_t ike_sa_token(const struct ike_sa *sa);
struct ike_sa *ike_sa_by_token(struct ike *x, uint64_t token);

/* The exchanges */
void ike_init_request(struct ike *x, const struct ike_msg *m,
		      const struct ike_addr *a);
void ike_auth_request(struct ike *x, struct ike_sa *sa, struct ike_msg *m);
void ike_info_request(struct ike *x, struct ike_sa *sa, struct ike_msg *m);
void ike_info_response(struct ike *x, struct ike_sa *sa, struct ike_msg *m);
void ike_child_request(struct ike *x, struct ike_sa *sa, struct ike_msg *m);
/* ike_child.c: the gateway rekeys SA's CHILD SA; the answer. */
void ike_child_rekey_start(struct ike *x, struct ike_sa *sa);
void ike_child_response(struct ike *x, struct ike_sa *sa, struct ike_msg *m);
/* When SA's CHILD SA is due for our rekey if its traffic does not make
 * the dataplane ask first (its soft lifetime). */
void ike_child_schedule(struct ike *x, struct ike_sa *sa);
/* The tunnel's lifetimes from the config, spread over 85-95%. */
struct tun_spec;
void ike_child_lifetimes(struct ike *x, struct tun_spec *s);
/* The gateway rekeys SA (the IKE SA): CREATE_CHILD_SA with a new IKE SA. */
void ike_ike_rekey_start(struct ike *x, struct ike_sa *sa);
void ike_ike_schedule(struct ike *x, struct ike_sa *sa);
/* ike_info.c: an empty INFORMATIONAL request (liveness check). */
void ike_dpd_start(struct ike *x, struct ike_sa *sa);
/* Start deleting SA: DELETE for the IKE SA to the client (retried), the
 * CHILD SA out of the dataplane now. */
void ike_delete_start(struct ike *x, struct ike_sa *sa, const char *why);
/* Our DELETE of SA's IKE SA, as our next request (destroys SA when it
 * cannot be sent). */
void ike_delete_send(struct ike *x, struct ike_sa *sa, const char *why);

#endif /* CP_IKE_INT_H */
