/* SPDX-License-Identifier: BSD-3-Clause
 * p2sgw-bench: end-to-end ESP traffic over net_memif.
 *
 * "gen" mode is the traffic generator and sink. It is the memif server of
 * the device under test's two ports: on the uplink side it plays the
 * internet (T client peers behind the uplink's next hop), on the vnet side
 * the protected host. It reads the dataplane's own configuration file for
 * addresses, tunnels and keys, so both ends always agree.
 *
 *  - decap (client -> vnet): unique ESP frames (AES-256-GCM, RFC 4106,
 *    tunnel mode, optionally UDP-encapsulated) are encrypted once when a
 *    case starts. Each SA's sequence number keeps rising across the whole
 *    run, so every transmission rewrites the frame's sequence number and
 *    fixes its ICV: GHASH is linear in the AAD, so the ICV for a new
 *    sequence number is the pre-computed ICV XOR a delta looked up in
 *    per-(SA, length) tables (eight nibble lookups, no AES per packet).
 *  - encap (vnet -> client): plain IPv4/UDP frames from the vnet host to
 *    each tunnel's virtual IP.
 *  - Frames are sent from pre-built mbufs whose reference count is raised
 *    before each burst (memif copies them), so no packet is built, copied
 *    or allocated by the generator while it runs.
 *  - What comes out of the other port is counted and checked: decap
 *    output must equal the original inner packet (TTL one lower); a sample
 *    of the encap output is decrypted with the tunnel's outbound key and
 *    compared the same way; outbound sequence numbers must rise by one.
 *  - ARP: it answers requests for the uplink next hop, the peers and the
 *    vnet host, and resolves the dataplane's addresses before any case.
 *    A device under test that does no ARP (DPDK's ipsec-secgw, the third
 *    pair) is
 *    given fixed MACs instead: the generator sends to its ports' MACs.
 *  - A case may use the first N tunnels of the configuration only
 *    (tunnel-count sweeps with one dataplane). With many tunnels the pool
 *    holds one frame per tunnel; tunnels that share a key (the
 *    configuration may repeat keys) share its GHASH tables, so the
 *    generator's memory stays small while the device under test still
 *    holds one SA (and one expanded key) per tunnel.
 *
 * "fwd" mode is a plain forwarder (memif client on two ports, frames
 * passed unchanged between them): the device under test for the memif
 * I/O ceiling without crypto.
 *
 * "c2c" mode measures the cache-line round trip between two CPUs (the
 * host moves vCPUs around; this explains much of the spread of results).
 *
 * Control (gen mode): one command per line on stdin, one JSON line per
 * command on stdout; see usage().
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "config.h"
#include "crypto.h"
#include "esp_wire.h"

#define PROG "p2sgw-bench"

enum {
	BURST = 32,
	MAX_PAIRS = 3,		/* dataplane, forwarder, ipsec-secgw */
	PAIR_DP = 0,
	PAIR_FWD = 1,
	PAIR_SGW = 2,
	SIDE_UP = 0,
	SIDE_VN = 1,
	DIR_DECAP = 0,		/* uplink -> vnet */
	DIR_ENCAP = 1,		/* vnet -> uplink */
	NDIRS = 2,
	MAX_SIZES = 3,
	INNER_MIN = 48,		/* IPv4 + UDP + our 20-byte tag */
	INNER_MAX = 1500,
	ICV_LEN = P2SGW_GCM_ICV_LEN,
	IV_LEN = P2SGW_GCM_IV_LEN,
	RX_POOL = 16383,
	TX_POOL = 8191,		/* at least; one frame per tunnel beyond */
	TX_SPARE = 4096,	/* ARP, frames in flight */
	MBUF_MEM = 2560,	/* hugepage bytes per mbuf, with its header */
	MAGIC = 0x50325342,	/* "P2SB" */
};

/* What the generator writes after the inner UDP header, to recognise a
 * packet when it comes back. */
struct ident {
	rte_be32_t magic;
	rte_be32_t run;		/* case number: stale packets do not count */
	rte_be32_t idx;		/* index in the pool */
	rte_be32_t tun;
	rte_be32_t pad;
} __attribute__((packed));

struct tunnel {
	uint32_t vip, peer, spi_in, spi_out;
	bool encap;
	uint16_t sport, dport;
	unsigned kin_id;	/* index of the inbound key in g.keys */
	struct p2sgw_crypto_key *kin, *kout;	/* shared by equal keys */
	uint32_t next_seq;	/* next inbound sequence number we send */
	uint32_t last_out;	/* last outbound sequence number seen */
	bool out_sync;		/* last_out is known (this case) */
};

/* GHASH delta for one (key, ciphertext length): XOR of t[k][nibble k of
 * the new sequence word] over k gives how the ICV changes. */
struct ghash_delta {
	uint64_t t[8][16][2];
};

struct gpkt {
	struct rte_mbuf *m;
	uint32_t tun;
	uint16_t seq_off, tag_off;	/* ESP frames only */
	uint16_t inner_len;
	uint16_t frame_len;		/* what goes into the port */
	uint16_t esp_frame_len;		/* the frame on the ESP side */
	uint64_t tag[2];		/* ICV for sequence word 0 */
	const struct ghash_delta *gd;
	uint8_t exp_ip[IPV4_HDR_LEN];	/* its IPv4 header as it must come out */
};

/* One distinct key of the configuration, expanded once. */
struct keyent {
	uint8_t raw[P2SGW_MAX_KEY_LEN];
	uint8_t len;
	struct p2sgw_crypto_key *k;
};

struct pool {
	struct gpkt *p;
	unsigned n, cur;
	double avg_inner, avg_esp_frame, avg_frame;
	struct ghash_delta *gd;		/* [inbound key][size class] */
};

struct rxcnt {
	uint64_t pkts, frame_bytes, checked, bad, stale, seq_gap, seq_back;
};

struct dircnt {
	uint64_t tx, tx_calls, tx_short, tx_zero;
	struct rxcnt rx;
};

struct pair {
	uint16_t port[2];		/* DPDK port ids, SIDE_UP / SIDE_VN */
	struct rte_ether_addr mac[2];	/* ours */
	struct rte_ether_addr peer[2];	/* the device under test's */
	bool peer_known[2];
	bool present;
	bool ttl_dec;			/* it lowers the inner TTL by one */
};

static struct {
	/* from the dataplane config */
	uint32_t up_addr, up_mask, up_gw, vn_addr, vn_mask;
	uint32_t host;
	struct tunnel *tun;
	unsigned ntun;
	unsigned nact;			/* tunnels of the current case: 0..nact-1 */
	struct keyent *keys;
	unsigned nkeys;
	int32_t *key_map;		/* key bytes -> g.keys, open addressing */
	uint32_t key_mask;
	int32_t *spi_map;		/* outbound SPI -> tunnel, open addressing */
	uint32_t spi_mask;
	/* ports and memory */
	struct pair pair[MAX_PAIRS];
	unsigned npairs;
	struct rte_mempool *rxpool, *txpool;
	IMB_MGR *mb;
	double hz;
	/* options */
	const char *cfg_path, *sock_dir, *file_prefix;
	unsigned lcore, socket_mem, verify_every, pool_target, tx_pool;
	bool zero_copy;
	double warmup;
	/* the current case */
	uint32_t run;
	unsigned nsizes;
	uint16_t sizes[12];
	struct pool pool[NDIRS];
	struct dircnt cnt[NDIRS];
	uint64_t arp_in, arp_out, unexpected;
	uint8_t scratch[2048];
} g;

static volatile bool stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = true;
}

/* A crash must leave a trace in the log, not just a closed pipe. */
static void
on_fatal(int sig)
{
	fprintf(stderr, PROG ": fatal signal %d (%s)\n", sig, strsignal(sig));
	rte_dump_stack();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " gen --config DP.cfg --sock-dir DIR [options]\n"
"       " PROG " fwd --sock-dir DIR [options]\n"
"       " PROG " c2c [CPU_A CPU_B]   cache-line round trip between two CPUs\n"
"gen: the memif server of DIR/up.sock and DIR/vnet.sock (and with\n"
"  --pairs 2 also DIR/up2.sock, DIR/vnet2.sock for a forwarder, with\n"
"  --pairs 3 also DIR/up3.sock, DIR/vnet3.sock for ipsec-secgw); commands\n"
"  on stdin, one JSON line each on stdout:\n"
"    connect dp|fwd|sgw [TIMEOUT_S [keep-ttl]]\n"
"        wait for the link and resolve addresses (sgw: no ARP, the\n"
"        client's MACs are 02:42:00:00:02:11 and :12; keep-ttl: it does\n"
"        not lower the inner TTL)\n"
"    run dp|fwd|sgw decap|encap|both 64|imix|1400|N SECONDS [TUNNELS]\n"
"        TUNNELS: use the first TUNNELS of the configuration (default all)\n"
"    quit\n"
"fwd: memif client of DIR/up2.sock and DIR/vnet2.sock forwarding frames\n"
"  unchanged between them until SIGTERM.\n"
"options:\n"
"  --config FILE       the dataplane's configuration (gen)\n"
"  --sock-dir DIR      where the memif sockets are\n"
"  --pairs N           1 (default) or 2 port pairs (gen)\n"
"  --host ADDR         vnet host address (default: vnet subnet + 100)\n"
"  --lcore N           CPU to run on (default 0 for gen, 1 for fwd)\n"
"  --file-prefix S     DPDK file prefix (default " PROG "-gen / -fwd)\n"
"  --socket-mem MIB    hugepage memory (default: 128 + what the frames need)\n"
"  --verify-every N    check 1 packet in N in full (default 16)\n"
"  --warmup S          seconds of traffic before the measured window (0.5)\n"
"  --pool N            about N pre-built frames per direction (1024; at\n"
"                      least one per tunnel of the case)\n"
"  --zero-copy         fwd: memif zero-copy client (DPDK's zero-copy=yes)\n");
}

/* ---- set-up ------------------------------------------------------------ */

static int
eal_start(bool server)
{
	static char a[16][340];
	char *argv[17];
	int n = 0, i;
	const char *role = server ? "server" : "client";

#define ARG(...) snprintf(a[n], sizeof(a[n]), __VA_ARGS__), argv[n] = a[n], n++
	ARG(PROG);
	ARG("-l");
	ARG("%u", g.lcore);
	ARG("--file-prefix=%s", g.file_prefix);
	ARG("-m");
	ARG("%u", g.socket_mem);
	ARG("--no-pci");
	ARG("--in-memory");	/* no hugepage files left behind */
	ARG("--log-level=*:warning");
	if (g.zero_copy)
		ARG("--single-file-segments");
	for (i = 0; i < (server ? (int)g.npairs : 1); i++) {
		int pi = server ? i : PAIR_FWD;
		const char *sfx = pi == PAIR_DP ? "" : pi == PAIR_FWD ? "2" : "3";

		/* MACs: 02:42:00:00:<pair>:<1 up, 2 vnet> ours,
		 * :<0x11, 0x12> the device under test's */
		ARG("--vdev=net_memif%d,role=%s,socket=%s/up%s.sock,"
		    "socket-abstract=no,id=0,mac=02:42:00:00:%02x:%02x%s",
		    2 * i, role, g.sock_dir, sfx, pi, server ? 0x01 : 0x11,
		    g.zero_copy ? ",zero-copy=yes" : "");
		ARG("--vdev=net_memif%d,role=%s,socket=%s/vnet%s.sock,"
		    "socket-abstract=no,id=0,mac=02:42:00:00:%02x:%02x%s",
		    2 * i + 1, role, g.sock_dir, sfx, pi, server ? 0x02 : 0x12,
		    g.zero_copy ? ",zero-copy=yes" : "");
	}
#undef ARG
	argv[n] = NULL;
	rte_openlog_stream(stderr);	/* stdout carries the JSON */
	if (rte_eal_init(n, argv) < 0) {
		fprintf(stderr, PROG ": EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	g.hz = (double)rte_get_tsc_hz();
	return 0;
}

static int
port_start(uint16_t port)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, 1024, rte_socket_id(), NULL,
					    g.rxpool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, 1024, rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0)
		fprintf(stderr, PROG ": port %u: %s\n", port, rte_strerror(-rc));
	return rc;
}

static int
ports_start(unsigned npairs)
{
	unsigned p, s;
	char name[32];

	g.rxpool = rte_pktmbuf_pool_create("bench_rx", RX_POOL, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	g.txpool = rte_pktmbuf_pool_create("bench_tx", g.tx_pool, 0, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (g.rxpool == NULL || g.txpool == NULL) {
		fprintf(stderr, PROG ": no memory for mbufs (raise --socket-mem)\n");
		return -1;
	}
	for (p = 0; p < npairs; p++) {
		for (s = 0; s < 2; s++) {
			snprintf(name, sizeof(name), "net_memif%u", 2 * p + s);
			if (rte_eth_dev_get_port_by_name(name, &g.pair[p].port[s]) != 0) {
				fprintf(stderr, PROG ": %s did not probe\n", name);
				return -1;
			}
			if (port_start(g.pair[p].port[s]) != 0)
				return -1;
			rte_eth_macaddr_get(g.pair[p].port[s], &g.pair[p].mac[s]);
		}
		g.pair[p].present = true;
		g.pair[p].ttl_dec = true;
	}
	return 0;
}

static void
ports_stop(unsigned npairs)
{
	unsigned p, s;

	for (p = 0; p < npairs; p++)
		for (s = 0; s < 2; s++) {
			if (!g.pair[p].present)
				continue;
			rte_eth_dev_stop(g.pair[p].port[s]);
			rte_eth_dev_close(g.pair[p].port[s]);
		}
}

static inline uint32_t
spi_hash(uint32_t spi)
{
	return (spi * 2654435761u >> 8) & g.spi_mask;
}

/* The index of RAW in g.keys, expanding it the first time it is seen:
 * tunnels with equal keys share one expanded key and its GHASH tables. */
static int
key_intern(const uint8_t *raw, unsigned len)
{
	uint32_t h = 2166136261u;
	unsigned i;
	struct keyent *e;

	for (i = 0; i < len; i++)
		h = (h ^ raw[i]) * 16777619u;
	for (h &= g.key_mask; g.key_map[h] >= 0; h = (h + 1) & g.key_mask) {
		e = &g.keys[g.key_map[h]];
		if (e->len == len && memcmp(e->raw, raw, len) == 0)
			return g.key_map[h];
	}
	e = &g.keys[g.nkeys];
	memcpy(e->raw, raw, len);
	e->len = (uint8_t)len;
	e->k = p2sgw_crypto_key_alloc();
	if (e->k == NULL || p2sgw_crypto_key_init(g.mb, e->k, P2SGW_SUITE_AES256GCM16,
						  raw, len, NULL, 0) != 0)
		return -1;
	g.key_map[h] = (int32_t)g.nkeys;
	return (int)g.nkeys++;
}

static int
load_config(void)
{
	static struct p2sgw_config cfg;
	char err[P2SGW_CFG_ERR_LEN];
	unsigned i;
	int kin, kout;

	if (p2sgw_config_load(g.cfg_path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	for (i = 0; i < cfg.dataplane.n_ports; i++) {
		const struct p2sgw_port_cfg *pc = &cfg.dataplane.ports[i];

		if (pc->role == P2SGW_PORT_UPLINK) {
			g.up_addr = pc->address.addr;
			g.up_mask = p2sgw_prefix4_mask(pc->address.len);
			g.up_gw = pc->gateway;
		} else {
			g.vn_addr = pc->address.addr;
			g.vn_mask = p2sgw_prefix4_mask(pc->address.len);
		}
	}
	if (g.host == 0)
		g.host = (g.vn_addr & g.vn_mask) + 100;
	if (g.host == g.vn_addr || (g.host & g.vn_mask) != (g.vn_addr & g.vn_mask)) {
		fprintf(stderr, PROG ": vnet host address must be in the vnet subnet "
			"and not the gateway's\n");
		return -1;
	}
	if (cfg.n_tunnels == 0) {
		fprintf(stderr, PROG ": %s has no tunnels\n", g.cfg_path);
		return -1;
	}
	g.tun = calloc(cfg.n_tunnels, sizeof(*g.tun));
	g.keys = calloc(2 * cfg.n_tunnels, sizeof(*g.keys));
	for (g.key_mask = 15; g.key_mask < 4 * cfg.n_tunnels;
	     g.key_mask = 2 * g.key_mask + 1)
		;
	g.key_map = malloc((g.key_mask + 1) * sizeof(*g.key_map));
	if (g.tun == NULL || g.keys == NULL || g.key_map == NULL)
		return -1;
	memset(g.key_map, 0xff, (g.key_mask + 1) * sizeof(*g.key_map));
	for (i = 0; i < cfg.n_tunnels; i++) {
		const struct p2sgw_tunnel_cfg *tc = &cfg.tunnels[i];
		struct tunnel *t = &g.tun[i];

		if (tc->suite != P2SGW_SUITE_AES256GCM16 || tc->esn) {
			fprintf(stderr, PROG ": tunnel '%s': only aes256gcm16 without "
				"ESN is generated\n", tc->name);
			return -1;
		}
		if ((tc->peer & g.up_mask) != (g.up_addr & g.up_mask) && g.up_gw == 0) {
			fprintf(stderr, PROG ": tunnel '%s': peer off the uplink subnet "
				"and no uplink gateway\n", tc->name);
			return -1;
		}
		t->vip = tc->vip;
		t->peer = tc->peer;
		t->spi_in = tc->spi_in;
		t->spi_out = tc->spi_out;
		t->encap = tc->encap;
		t->sport = tc->encap_sport;
		t->dport = tc->encap_dport;
		t->next_seq = 1;
		kin = key_intern(tc->key_in, tc->key_len);
		kout = key_intern(tc->key_out, tc->key_len);
		if (kin < 0 || kout < 0) {
			fprintf(stderr, PROG ": tunnel '%s': bad key\n", tc->name);
			return -1;
		}
		t->kin_id = (unsigned)kin;
		t->kin = g.keys[kin].k;
		t->kout = g.keys[kout].k;
	}
	g.ntun = g.nact = cfg.n_tunnels;
	p2sgw_config_free(&cfg);
	for (g.spi_mask = 15; g.spi_mask < 4 * g.ntun; g.spi_mask = 2 * g.spi_mask + 1)
		;
	g.spi_map = malloc((g.spi_mask + 1) * sizeof(*g.spi_map));
	if (g.spi_map == NULL)
		return -1;
	memset(g.spi_map, 0xff, (g.spi_mask + 1) * sizeof(*g.spi_map));
	for (i = 0; i < g.ntun; i++) {
		uint32_t h = spi_hash(g.tun[i].spi_out);

		while (g.spi_map[h] >= 0)
			h = (h + 1) & g.spi_mask;
		g.spi_map[h] = (int32_t)i;
	}
	return 0;
}

/* ---- ARP --------------------------------------------------------------- */

/* Addresses the generator owns on SIDE: the uplink next hop and the
 * peers on the uplink, the host on the vnet. */
static bool
is_ours(unsigned side, uint32_t ip)
{
	unsigned i;

	if (side == SIDE_VN)
		return ip == g.host;
	if (ip == g.up_gw && ip != 0)
		return true;
	for (i = 0; i < g.ntun; i++)
		if (g.tun[i].peer == ip)
			return true;
	return false;
}

static struct rte_mbuf *
arp_frame(const struct rte_ether_addr *src, const struct rte_ether_addr *dst,
	  uint16_t op, uint32_t sip, const struct rte_ether_addr *tha,
	  uint32_t tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.txpool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) +
							 sizeof(*arp));
	arp = (struct rte_arp_hdr *)(eth + 1);
	eth->dst_addr = *dst;
	eth->src_addr = *src;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = *src;
	arp->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	arp->arp_data.arp_tha = *tha;
	arp->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

static void
send_one(uint16_t port, struct rte_mbuf *m)
{
	if (m == NULL)
		return;
	if (rte_eth_tx_burst(port, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
	else
		g.arp_out++;
}

/* Ask the dataplane for its address on SIDE, from an address of ours
 * (which it learns from the request: RFC 826 merge). */
static void
arp_ask(struct pair *pp, unsigned side, uint32_t from)
{
	static const struct rte_ether_addr bcast = {{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }};
	static const struct rte_ether_addr zero;

	send_one(pp->port[side], arp_frame(&pp->mac[side], &bcast,
		 RTE_ARP_OP_REQUEST, from, &zero,
		 side == SIDE_UP ? g.up_addr : g.vn_addr));
}

static void
arp_input(struct pair *pp, unsigned side, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	uint32_t sip, tip, dp_addr = side == SIDE_UP ? g.up_addr : g.vn_addr;

	g.arp_in++;
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return;
	sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
	if (sip == dp_addr) {
		pp->peer[side] = arp->arp_data.arp_sha;
		pp->peer_known[side] = true;
	}
	if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && is_ours(side, tip))
		send_one(pp->port[side], arp_frame(&pp->mac[side],
			 &arp->arp_data.arp_sha, RTE_ARP_OP_REPLY, tip,
			 &arp->arp_data.arp_sha, sip));
}

/* ---- packet construction ------------------------------------------------ */

static void
ip_fill(struct rte_ipv4_hdr *ip, uint32_t src, uint32_t dst, uint8_t proto,
	uint16_t len, uint16_t id)
{
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* The inner packet of pool entry IDX: IPv4/UDP of LEN bytes, with the
 * identification and a pattern as payload. */
static void
inner_build(uint8_t *buf, unsigned len, uint32_t src, uint32_t dst,
	    unsigned idx, unsigned tun)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct ident *id = (struct ident *)(udp + 1);
	uint8_t *pl = (uint8_t *)(id + 1);
	unsigned i, n = len - sizeof(*ip) - sizeof(*udp) - sizeof(*id);

	ip_fill(ip, src, dst, IPPROTO_UDP, (uint16_t)len, (uint16_t)idx);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(10000 + tun));
	udp->dst_port = RTE_BE16(9);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*ip)));
	udp->dgram_cksum = 0;
	id->magic = RTE_BE32(MAGIC);
	id->run = rte_cpu_to_be_32(g.run);
	id->idx = rte_cpu_to_be_32(idx);
	id->tun = rte_cpu_to_be_32(tun);
	id->pad = 0;
	for (i = 0; i < n; i++)
		pl[i] = (uint8_t)(idx * 7 + i);
}

/* The IPv4 header of INNER as it must come out: a router one hop on
 * lowers the TTL (TTL_DEC), a device that does not leaves it. */
static void
expect_hdr(struct gpkt *p, const uint8_t *inner, bool ttl_dec)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p->exp_ip;

	memcpy(p->exp_ip, inner, IPV4_HDR_LEN);
	if (!ttl_dec)
		return;
	ip->time_to_live--;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* The whole inner packet of pool entry IDX of direction DIR as it must
 * come out, built again into BUF (kept as a header only, so that a pool
 * of one frame per tunnel stays small). */
static void
expect_build(unsigned dir, const struct gpkt *p, unsigned idx, uint8_t *buf)
{
	const struct tunnel *t = &g.tun[p->tun];

	if (dir == DIR_DECAP)
		inner_build(buf, p->inner_len, t->vip, g.host, idx, p->tun);
	else
		inner_build(buf, p->inner_len, g.host, t->vip, idx, p->tun);
	memcpy(buf, p->exp_ip, IPV4_HDR_LEN);
}

static unsigned
esp_payload_len(unsigned inner)
{
	return RTE_ALIGN_CEIL(inner + ESP_TAIL_LEN, P2SGW_GCM_BLOCK);
}

static unsigned
esp_frame_len(const struct tunnel *t, unsigned inner)
{
	return ETH_HDR_LEN + IPV4_HDR_LEN + (t->encap ? UDP_HDR_LEN : 0) +
	       ESP_HDR_LEN + IV_LEN + esp_payload_len(inner) + ICV_LEN;
}

static void
gcm_tag(const struct p2sgw_crypto_key *k, const uint8_t *aad, uint8_t *buf,
	unsigned len, uint8_t tag[ICV_LEN])
{
	static const uint8_t iv[IV_LEN];

	p2sgw_gcm_encrypt(g.mb, k, iv, aad, ESP_AAD_LEN, buf, buf, len, tag,
			  ICV_LEN);
}

/* How the ICV of a CT_LEN-byte ciphertext under K changes with the 32-bit
 * sequence word of the AAD: linear, so measure each bit's effect. */
static void
ghash_delta_build(struct ghash_delta *d, const struct p2sgw_crypto_key *k,
		  unsigned ct_len)
{
	uint8_t aad[ESP_AAD_LEN] = { 0 }, t0[ICV_LEN], tb[ICV_LEN];
	uint64_t bit[32][2];
	unsigned b, n, v, j;

	memset(g.scratch, 0, ct_len);
	gcm_tag(k, aad, g.scratch, ct_len, t0);
	for (b = 0; b < 32; b++) {
		uint32_t w = 1u << b;

		memcpy(aad + 4, &w, 4);
		memset(g.scratch, 0, ct_len);
		gcm_tag(k, aad, g.scratch, ct_len, tb);
		for (j = 0; j < ICV_LEN; j++)
			tb[j] ^= t0[j];
		memcpy(bit[b], tb, ICV_LEN);
	}
	for (n = 0; n < 8; n++)
		for (v = 0; v < 16; v++) {
			d->t[n][v][0] = d->t[n][v][1] = 0;
			for (j = 0; j < 4; j++)
				if (v & (1u << j)) {
					d->t[n][v][0] ^= bit[4 * n + j][0];
					d->t[n][v][1] ^= bit[4 * n + j][1];
				}
		}
}

/* Set the sequence number of a pre-built ESP frame and fix its ICV. */
static inline void
esp_patch(struct gpkt *p, uint32_t seq)
{
	uint8_t *f = rte_pktmbuf_mtod(p->m, uint8_t *);
	uint32_t w = rte_cpu_to_be_32(seq);
	uint64_t lo = p->tag[0], hi = p->tag[1];
	unsigned n;

	memcpy(f + p->seq_off, &w, 4);
	for (n = 0; n < 8; n++) {
		const uint64_t *e = p->gd->t[n][(w >> (4 * n)) & 15];

		lo ^= e[0];
		hi ^= e[1];
	}
	memcpy(f + p->tag_off, &lo, 8);
	memcpy(f + p->tag_off + 8, &hi, 8);
}

/* ESP frame (decap direction) for pool entry IDX of tunnel T. */
static int
esp_build(struct pair *pp, struct gpkt *p, unsigned idx, unsigned ti,
	  unsigned inner, unsigned size_class, struct ghash_delta *gd)
{
	struct tunnel *t = &g.tun[ti];
	unsigned plen = esp_payload_len(inner), flen = esp_frame_len(t, inner);
	unsigned hdr = IPV4_HDR_LEN + (t->encap ? UDP_HDR_LEN : 0), i, pad;
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.txpool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct esp_hdr_wire *esp;
	uint8_t *iv, *ct, aad[ESP_AAD_LEN];
	uint64_t ivv;

	if (m == NULL)
		return -1;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)flen);
	eth->dst_addr = pp->peer[SIDE_UP];
	eth->src_addr = pp->mac[SIDE_UP];
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip_fill(ip, t->peer, g.up_addr, t->encap ? IPPROTO_UDP : IPPROTO_ESP_NUM,
		(uint16_t)(flen - ETH_HDR_LEN), (uint16_t)idx);
	if (t->encap) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

		u->src_port = rte_cpu_to_be_16(t->sport);
		u->dst_port = rte_cpu_to_be_16(t->dport);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(flen - ETH_HDR_LEN -
							   IPV4_HDR_LEN));
		u->dgram_cksum = 0;
	}
	esp = (struct esp_hdr_wire *)((uint8_t *)ip + hdr);
	esp->spi = rte_cpu_to_be_32(t->spi_in);
	esp->seq = 0;
	iv = (uint8_t *)(esp + 1);
	ivv = rte_cpu_to_be_64(((uint64_t)g.run << 32) | idx);	/* unique */
	memcpy(iv, &ivv, IV_LEN);
	ct = iv + IV_LEN;
	inner_build(ct, inner, t->vip, g.host, idx, ti);
	expect_hdr(p, ct, pp->ttl_dec);
	pad = plen - inner - ESP_TAIL_LEN;
	for (i = 0; i < pad; i++)
		ct[inner + i] = (uint8_t)(i + 1);
	ct[inner + pad] = (uint8_t)pad;
	ct[inner + pad + 1] = ESP_NEXT_IPV4;
	memcpy(aad, &esp->spi, 4);
	memset(aad + 4, 0, 4);
	p2sgw_gcm_encrypt(g.mb, t->kin, iv, aad, ESP_AAD_LEN, ct, ct, plen,
			  ct + plen, ICV_LEN);
	memcpy(p->tag, ct + plen, ICV_LEN);
	p->m = m;
	p->tun = ti;
	p->seq_off = (uint16_t)((uint8_t *)&esp->seq - (uint8_t *)eth);
	p->tag_off = (uint16_t)(ct + plen - (uint8_t *)eth);
	p->inner_len = (uint16_t)inner;
	p->frame_len = p->esp_frame_len = (uint16_t)flen;
	p->gd = &gd[t->kin_id * MAX_SIZES + size_class];
	return 0;
}

/* Plain frame (encap direction) from the vnet host to tunnel T's VIP. */
static int
plain_build(struct pair *pp, struct gpkt *p, unsigned idx, unsigned ti,
	    unsigned inner)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.txpool);
	struct rte_ether_hdr *eth;

	if (m == NULL)
		return -1;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(ETH_HDR_LEN + inner));
	eth->dst_addr = pp->peer[SIDE_VN];
	eth->src_addr = pp->mac[SIDE_VN];
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	inner_build((uint8_t *)(eth + 1), inner, g.host, g.tun[ti].vip, idx, ti);
	expect_hdr(p, (uint8_t *)(eth + 1), pp->ttl_dec);
	p->m = m;
	p->tun = ti;
	p->inner_len = (uint16_t)inner;
	p->frame_len = (uint16_t)(ETH_HDR_LEN + inner);
	p->esp_frame_len = (uint16_t)esp_frame_len(&g.tun[ti], inner);
	return 0;
}

static void
pool_free(struct pool *pl)
{
	unsigned i;

	for (i = 0; i < pl->n; i++)
		rte_pktmbuf_free(pl->p[i].m);
	free(pl->p);
	free(pl->gd);
	memset(pl, 0, sizeof(*pl));
}

/* Entry i belongs to tunnel i % T and has size sizes[(i / T) % nsizes]:
 * every tunnel sees the same size mix, and a pool is whole cycles. When
 * that takes more frames than --pool and than half the mbufs (many
 * tunnels and a mix of sizes), entry i has size sizes[i % nsizes]: the
 * mix is exact over the pool, and every tunnel still gets frames. */
static int
pool_build(struct pair *pp, unsigned dir)
{
	struct pool *pl = &g.pool[dir];
	unsigned unit = g.nact * g.nsizes, reps, i, s, k, nclass = 0;
	uint16_t classes[MAX_SIZES];
	uint8_t class_of[12];
	double si = 0, se = 0, sf = 0;
	bool mixed = unit > g.pool_target && unit > (g.tx_pool - TX_SPARE) / 2;

	for (s = 0; s < g.nsizes; s++) {
		for (k = 0; k < nclass && classes[k] != g.sizes[s]; k++)
			;
		if (k == nclass)
			classes[nclass++] = g.sizes[s];
		class_of[s] = (uint8_t)k;
	}
	if (mixed) {
		pl->n = (RTE_MAX(g.nact, g.pool_target) + g.nsizes - 1) /
			g.nsizes * g.nsizes;	/* whole cycles of the mix */
	} else {
		reps = g.pool_target / unit;
		if (reps == 0)
			reps = 1;
		while (unit * reps < 2 * BURST)
			reps++;
		pl->n = unit * reps;
	}
	if (pl->n + TX_SPARE / 2 > rte_mempool_avail_count(g.txpool)) {
		fprintf(stderr, PROG ": %u frames do not fit the pool of %u mbufs "
			"(%u free): fewer tunnels or a smaller --pool\n", pl->n,
			g.tx_pool, rte_mempool_avail_count(g.txpool));
		return -1;
	}
	pl->p = calloc(pl->n, sizeof(*pl->p));
	if (pl->p == NULL)
		return -1;
	if (dir == DIR_DECAP) {
		bool *done = calloc(g.nkeys, sizeof(*done));

		/* per inbound key, only for the keys of this case's tunnels */
		pl->gd = malloc(sizeof(*pl->gd) * g.nkeys * MAX_SIZES);
		if (pl->gd == NULL || done == NULL) {
			free(done);
			return -1;
		}
		for (i = 0; i < g.nact; i++) {
			unsigned kid = g.tun[i].kin_id;

			if (done[kid])
				continue;
			done[kid] = true;
			for (k = 0; k < nclass; k++)
				ghash_delta_build(&pl->gd[kid * MAX_SIZES + k], g.tun[i].kin,
						  esp_payload_len(classes[k]));
		}
		free(done);
	}
	for (i = 0; i < pl->n; i++) {
		unsigned ti = i % g.nact;
		unsigned sz = mixed ? i % g.nsizes : (i / g.nact) % g.nsizes;
		int rc = dir == DIR_DECAP ?
			esp_build(pp, &pl->p[i], i, ti, g.sizes[sz], class_of[sz], pl->gd) :
			plain_build(pp, &pl->p[i], i, ti, g.sizes[sz]);

		if (rc != 0) {
			fprintf(stderr, PROG ": cannot build frame %u\n", i);
			return -1;
		}
		si += pl->p[i].inner_len;
		se += pl->p[i].esp_frame_len;
		sf += pl->p[i].frame_len;
	}
	pl->avg_inner = si / pl->n;
	pl->avg_esp_frame = se / pl->n;
	pl->avg_frame = sf / pl->n;
	pl->cur = 0;
	return 0;
}

/* ---- the traffic loop ---------------------------------------------------- */

static inline void
tx_dir(struct pair *pp, unsigned dir)
{
	struct pool *pl = &g.pool[dir];
	struct dircnt *c = &g.cnt[dir];
	struct rte_mbuf *b[BURST];
	uint32_t tun[BURST] = { 0 };
	unsigned k, cur = pl->cur;
	uint16_t n;

	/* A pool of one frame per tunnel (many tunnels) is far bigger than
	 * the caches: fetch the next bursts' mbufs and frames ahead. */
	if (pl->n > TX_POOL) {
		for (k = 0; k < BURST; k++) {
			const struct gpkt *q = &pl->p[(cur + 2 * BURST + k) % pl->n];
			const struct gpkt *r = &pl->p[(cur + BURST + k) % pl->n];

			rte_prefetch0(q->m);
			rte_prefetch0(rte_pktmbuf_mtod_offset(r->m, uint8_t *,
							      r->seq_off));
			if (dir == DIR_DECAP)
				rte_prefetch0(rte_pktmbuf_mtod_offset(r->m, uint8_t *,
								      r->tag_off));
		}
	}
	for (k = 0; k < BURST; k++) {
		struct gpkt *p = &pl->p[cur];

		if (dir == DIR_DECAP) {
			tun[k] = p->tun;
			esp_patch(p, g.tun[p->tun].next_seq++);
		}
		rte_mbuf_refcnt_update(p->m, 1);
		b[k] = p->m;
		if (++cur == pl->n)
			cur = 0;
	}
	n = rte_eth_tx_burst(pp->port[dir == DIR_DECAP ? SIDE_UP : SIDE_VN], 0,
			     b, BURST);
	c->tx_calls++;
	if (n < BURST) {
		c->tx_short++;
		if (n == 0)
			c->tx_zero++;
		for (k = BURST; k-- > n;) {
			rte_mbuf_refcnt_update(b[k], -1);
			if (dir == DIR_DECAP)
				g.tun[tun[k]].next_seq--;
		}
	}
	c->tx += n;
	pl->cur = (pl->cur + n) % pl->n;
}

/* An IPv4 header as expected: byte for byte, except that a checksum
 * updated incrementally (RFC 1624) may come out as 0xffff where the
 * full computation gives 0x0000: both are the same one's-complement
 * zero and both verify. */
static inline bool
ip_hdr_ok(const uint8_t *got, const uint8_t *exp)
{
	enum { CK = offsetof(struct rte_ipv4_hdr, hdr_checksum) };
	uint16_t a, b;

	if (memcmp(got, exp, IPV4_HDR_LEN) == 0)
		return true;
	if (memcmp(got, exp, CK) != 0 ||
	    memcmp(got + CK + 2, exp + CK + 2, IPV4_HDR_LEN - CK - 2) != 0)
		return false;
	memcpy(&a, got + CK, 2);
	memcpy(&b, exp + CK, 2);
	return (a | b) == 0xffff && (a == 0 || b == 0);
}

static inline const struct ident *
ident_of(const uint8_t *inner, unsigned len)
{
	const struct ident *id;

	if (len < INNER_MIN)
		return NULL;
	id = (const struct ident *)(inner + IPV4_HDR_LEN + UDP_HDR_LEN);
	if (id->magic != RTE_BE32(MAGIC))
		return NULL;
	return id;
}

/* Decap output (vnet side): the inner packet, TTL one lower. */
static inline void
rx_plain(struct rte_mbuf *m, bool verify)
{
	struct rxcnt *c = &g.cnt[DIR_DECAP].rx;
	const uint8_t *in = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_HDR_LEN);
	unsigned len = rte_pktmbuf_data_len(m) - ETH_HDR_LEN;
	const struct ident *id;
	const struct gpkt *p;
	uint32_t idx;

	if (!verify) {
		c->pkts++;
		c->frame_bytes += rte_pktmbuf_pkt_len(m);
		return;
	}
	id = ident_of(in, len);
	if (id != NULL && id->run != rte_cpu_to_be_32(g.run)) {
		c->stale++;	/* from an earlier case: not counted */
		return;
	}
	c->pkts++;
	c->frame_bytes += rte_pktmbuf_pkt_len(m);
	if (id == NULL) {
		c->bad++;
		return;
	}
	idx = rte_be_to_cpu_32(id->idx);
	if (idx >= g.pool[DIR_DECAP].n) {
		c->bad++;
		return;
	}
	p = &g.pool[DIR_DECAP].p[idx];
	if (len != p->inner_len || !ip_hdr_ok(in, p->exp_ip)) {
		c->bad++;
		return;
	}
	if (c->pkts % g.verify_every == 0) {
		c->checked++;
		expect_build(DIR_DECAP, p, idx, g.scratch);
		if (memcmp(in + IPV4_HDR_LEN, g.scratch + IPV4_HDR_LEN,
			   len - IPV4_HDR_LEN) != 0)
			c->bad++;
	}
}

static inline int
tun_by_spi_out(uint32_t spi)
{
	uint32_t h = spi_hash(spi);

	while (g.spi_map[h] >= 0) {
		if (g.tun[g.spi_map[h]].spi_out == spi)
			return g.spi_map[h];
		h = (h + 1) & g.spi_mask;
	}
	return -1;
}

enum { CHECK_OK, CHECK_BAD, CHECK_STALE };

/* Decrypt the ESP packet at ESP (LEN bytes from the ESP header) with T's
 * outbound key and compare its inner packet with what was sent. */
static int
esp_check(struct tunnel *t, uint8_t *esp, unsigned len)
{
	unsigned plen, pad, inner, i;
	uint8_t *iv = esp + ESP_HDR_LEN, *ct = iv + IV_LEN;
	const struct ident *id;
	const struct gpkt *p;
	uint32_t idx;

	if (len < ESP_HDR_LEN + IV_LEN + ESP_TAIL_LEN + ICV_LEN)
		return CHECK_BAD;
	plen = len - ESP_HDR_LEN - IV_LEN - ICV_LEN;
	if (p2sgw_gcm_decrypt(g.mb, t->kout, iv, esp, ESP_AAD_LEN, ct, ct, plen,
			      ct + plen, ICV_LEN) != 0)
		return CHECK_BAD;
	pad = ct[plen - 2];
	if (ct[plen - 1] != ESP_NEXT_IPV4 || pad + ESP_TAIL_LEN > plen)
		return CHECK_BAD;
	inner = plen - ESP_TAIL_LEN - pad;
	for (i = 0; i < pad; i++)
		if (ct[inner + i] != i + 1)
			return CHECK_BAD;
	id = ident_of(ct, inner);
	if (id == NULL)
		return CHECK_BAD;
	if (id->run != rte_cpu_to_be_32(g.run))
		return CHECK_STALE;
	idx = rte_be_to_cpu_32(id->idx);
	if (idx >= g.pool[DIR_ENCAP].n)
		return CHECK_BAD;
	p = &g.pool[DIR_ENCAP].p[idx];
	if (inner != p->inner_len || &g.tun[p->tun] != t)
		return CHECK_BAD;
	expect_build(DIR_ENCAP, p, idx, g.scratch);
	return ip_hdr_ok(ct, g.scratch) &&
	       memcmp(ct + IPV4_HDR_LEN, g.scratch + IPV4_HDR_LEN,
		      inner - IPV4_HDR_LEN) == 0 ? CHECK_OK : CHECK_BAD;
}

/* Encap output (uplink side): ESP or ESP-in-UDP from the dataplane. */
static inline void
rx_esp(struct rte_mbuf *m, bool verify)
{
	struct rxcnt *c = &g.cnt[DIR_ENCAP].rx;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned len = rte_pktmbuf_data_len(m), off = ETH_HDR_LEN + IPV4_HDR_LEN;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + ETH_HDR_LEN);
	const struct esp_hdr_wire *esp;
	struct tunnel *t;
	uint32_t seq;
	int ti;

	c->pkts++;
	c->frame_bytes += rte_pktmbuf_pkt_len(m);
	if (!verify)
		return;
	if (len < off + ESP_HDR_LEN || ip->src_addr != rte_cpu_to_be_32(g.up_addr)) {
		c->bad++;
		return;
	}
	if (ip->next_proto_id == IPPROTO_UDP)
		off += UDP_HDR_LEN;
	else if (ip->next_proto_id != IPPROTO_ESP_NUM) {
		c->bad++;
		return;
	}
	esp = (const struct esp_hdr_wire *)(f + off);
	ti = len >= off + ESP_HDR_LEN ? tun_by_spi_out(rte_be_to_cpu_32(esp->spi)) : -1;
	if (ti < 0) {
		c->bad++;
		return;
	}
	t = &g.tun[ti];
	if (ip->dst_addr != rte_cpu_to_be_32(t->peer) ||
	    (ip->next_proto_id == IPPROTO_UDP) != t->encap) {
		c->bad++;
		return;
	}
	seq = rte_be_to_cpu_32(esp->seq);
	if (!t->out_sync)
		t->out_sync = true;
	else if (seq != t->last_out + 1) {
		if (seq > t->last_out)
			c->seq_gap += seq - t->last_out - 1;
		else
			c->seq_back++;
	}
	t->last_out = seq;
	if (c->pkts % g.verify_every == 0) {
		int r = esp_check(t, f + off, len - off);

		c->checked++;
		if (r == CHECK_BAD)
			c->bad++;
		else if (r == CHECK_STALE)
			c->stale++;
	}
}

static uint16_t
rx_port(struct pair *pp, unsigned side, bool verify)
{
	struct rte_mbuf *b[BURST];
	uint16_t n, i;

	n = rte_eth_rx_burst(pp->port[side], 0, b, BURST);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = b[i];
		const struct rte_ether_hdr *eth;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(b[i + 1], void *));
		if (unlikely(rte_pktmbuf_data_len(m) < ETH_HDR_LEN + IPV4_HDR_LEN)) {
			if (rte_pktmbuf_data_len(m) >= ETH_HDR_LEN &&
			    rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type ==
			    RTE_BE16(RTE_ETHER_TYPE_ARP))
				arp_input(pp, side, m);
			else
				g.unexpected++;
			continue;
		}
		eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (unlikely(eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
			if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
				arp_input(pp, side, m);
			else
				g.unexpected++;
			continue;
		}
		/* Through the forwarder frames arrive unchanged: the decap
		 * direction's ESP on the vnet side and vice versa. */
		if (side == SIDE_VN)
			rx_plain(m, verify);
		else
			rx_esp(m, verify);
	}
	if (n > 0)
		rte_pktmbuf_free_bulk(b, n);
	return n;
}

/* The sink must never be what limits: take up to four bursts per side
 * for each burst sent. */
static inline void
rx_both(struct pair *pp, bool verify)
{
	unsigned s, k;

	for (s = 0; s < 2; s++)
		for (k = 0; k < 4 && rx_port(pp, s ^ 1, verify) == BURST; k++)
			;
}

/* Poll both sides of PP for SECONDS, answering ARP (no traffic sent). */
static void
idle_poll(struct pair *pp, double seconds)
{
	uint64_t end = rte_rdtsc() + (uint64_t)(seconds * g.hz);

	while (rte_rdtsc() < end) {
		rx_port(pp, SIDE_UP, false);
		rx_port(pp, SIDE_VN, false);
	}
}

static bool
link_up(uint16_t port)
{
	struct rte_eth_link l;

	return rte_eth_link_get_nowait(port, &l) == 0 && l.link_status;
}

static const char *const pair_name[MAX_PAIRS] = { "dp", "fwd", "sgw" };

/* A device under test that does no ARP: its ports' MACs are fixed
 * (02:42:00:00:<pair>:<0x11 uplink, 0x12 vnet>) and it is given ours. */
static void
static_peer(struct pair *pp, unsigned pi)
{
	unsigned s;

	for (s = 0; s < 2; s++) {
		struct rte_ether_addr a = {{ 0x02, 0x42, 0, 0, (uint8_t)pi,
					     (uint8_t)(0x11 + s) }};

		pp->peer[s] = a;
		pp->peer_known[s] = true;
	}
}

static void
cmd_connect(unsigned pi, double timeout, bool keep_ttl)
{
	struct pair *pp = &g.pair[pi];
	uint64_t end = rte_rdtsc() + (uint64_t)(timeout * g.hz);
	bool up = false, resolved = pi != PAIR_DP;
	unsigned i;

	if (pi == PAIR_SGW)
		static_peer(pp, pi);
	pp->ttl_dec = !keep_ttl;

	while (rte_rdtsc() < end) {
		up = link_up(pp->port[SIDE_UP]) && link_up(pp->port[SIDE_VN]);
		if (up && pi == PAIR_DP) {
			if (!pp->peer_known[SIDE_UP]) {
				arp_ask(pp, SIDE_UP, g.up_gw ? g.up_gw : g.tun[0].peer);
				for (i = 0; i < g.ntun; i++)
					if ((g.tun[i].peer & g.up_mask) ==
					    (g.up_addr & g.up_mask))
						arp_ask(pp, SIDE_UP, g.tun[i].peer);
			}
			if (!pp->peer_known[SIDE_VN])
				arp_ask(pp, SIDE_VN, g.host);
		}
		idle_poll(pp, 0.1);
		resolved = pi != PAIR_DP ||
			   (pp->peer_known[SIDE_UP] && pp->peer_known[SIDE_VN]);
		if (up && resolved)
			break;
	}
	printf("{\"connect\":\"%s\",\"ok\":%s,\"link\":%s,\"resolved\":%s}\n",
	       pair_name[pi], up && resolved ? "true" : "false",
	       up ? "true" : "false", resolved ? "true" : "false");
}

static int
parse_size(const char *s)
{
	static const uint16_t imix[12] = { 64, 64, 64, 64, 64, 64, 64,
					   576, 576, 576, 576, 1500 };
	char *end;
	long v;

	if (strcmp(s, "imix") == 0) {
		memcpy(g.sizes, imix, sizeof(imix));
		g.nsizes = 12;
		return 0;
	}
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < INNER_MIN || v > INNER_MAX)
		return -1;
	g.sizes[0] = (uint16_t)v;
	g.nsizes = 1;
	return 0;
}

static void
dir_json(unsigned dir, double window_s, uint64_t rx_window, bool last)
{
	const struct dircnt *c = &g.cnt[dir];
	const struct pool *pl = &g.pool[dir];
	double pps = rx_window / window_s;
	int64_t loss = (int64_t)c->tx - (int64_t)c->rx.pkts;

	printf("\"%s\":{\"tx\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"rx_window\":%" PRIu64
	       ",\"mpps\":%.4f,\"gbps_inner\":%.3f,\"gbps_wire\":%.3f,"
	       "\"avg_inner\":%.1f,\"avg_wire_frame\":%.1f,\"loss\":%" PRId64
	       ",\"loss_pct\":%.4f,\"checked\":%" PRIu64 ",\"bad\":%" PRIu64
	       ",\"stale\":%" PRIu64
	       ",\"seq_gap\":%" PRIu64 ",\"seq_back\":%" PRIu64
	       ",\"tx_calls\":%" PRIu64 ",\"tx_short\":%" PRIu64 ",\"tx_zero\":%" PRIu64
	       "}%s",
	       dir == DIR_DECAP ? "decap" : "encap", c->tx, c->rx.pkts, rx_window,
	       pps / 1e6, pps * pl->avg_inner * 8 / 1e9,
	       pps * pl->avg_esp_frame * 8 / 1e9, pl->avg_inner, pl->avg_esp_frame,
	       loss, c->tx ? 100.0 * (double)loss / (double)c->tx : 0.0,
	       c->rx.checked, c->rx.bad, c->rx.stale, c->rx.seq_gap, c->rx.seq_back,
	       c->tx_calls, c->tx_short, c->tx_zero, last ? "" : ",");
}

static void
cmd_run(unsigned pi, const char *dir_s, const char *size_s, double seconds,
	unsigned ntun)
{
	struct pair *pp = &g.pair[pi];
	bool on[NDIRS], verify = pi != PAIR_FWD;
	uint64_t t0, t_win, t_end, t1, t_drain, rx0[NDIRS], rx1[NDIRS];
	uint64_t last_rx, idle_since, stalls = 0, max_gap = 0, flushed;
	uint64_t stall_ticks = (uint64_t)(100e-6 * g.hz);
	unsigned d;
	double win;

	on[DIR_DECAP] = strcmp(dir_s, "decap") == 0 || strcmp(dir_s, "both") == 0;
	on[DIR_ENCAP] = strcmp(dir_s, "encap") == 0 || strcmp(dir_s, "both") == 0;
	if ((!on[0] && !on[1]) || parse_size(size_s) != 0 || seconds <= 0 ||
	    ntun > g.ntun || !pp->present || (pi != PAIR_FWD &&
	    (!pp->peer_known[SIDE_UP] || !pp->peer_known[SIDE_VN]))) {
		printf("{\"error\":\"bad run command or pair not connected\"}\n");
		return;
	}
	g.nact = ntun ? ntun : g.ntun;
	/* Whatever the device under test still held from an earlier case
	 * (it may have been stopped meanwhile) comes out first: take it
	 * until nothing arrived for 50 ms, at most 2 s, and count it apart. */
	g.run++;
	memset(g.cnt, 0, sizeof(g.cnt));
	g.unexpected = 0;
	{
		uint64_t now = rte_rdtsc(), quiet = now, end = now + (uint64_t)(2 * g.hz);

		while ((now = rte_rdtsc()) < end &&
		       now - quiet < (uint64_t)(0.05 * g.hz)) {
			uint64_t r = g.cnt[0].rx.pkts + g.cnt[1].rx.pkts;

			rx_both(pp, false);
			if (g.cnt[0].rx.pkts + g.cnt[1].rx.pkts != r)
				quiet = rte_rdtsc();
		}
		flushed = g.cnt[0].rx.pkts + g.cnt[1].rx.pkts;
		memset(g.cnt, 0, sizeof(g.cnt));
		g.unexpected = 0;
	}
	for (d = 0; d < NDIRS; d++) {
		if (on[d] && pool_build(pp, d) != 0) {
			pool_free(&g.pool[0]);
			pool_free(&g.pool[1]);
			printf("{\"error\":\"cannot build the frames\"}\n");
			return;
		}
		if (d == DIR_ENCAP && on[d]) {
			unsigned i;

			for (i = 0; i < g.ntun; i++)	/* resynchronise */
				g.tun[i].out_sync = false;
		}
	}
	t0 = rte_rdtsc();
	t_win = t0 + (uint64_t)(g.warmup * g.hz);
	t_end = t_win + (uint64_t)(seconds * g.hz);
	/* warm-up, then the measured window */
	for (int phase = 0; phase < 2; phase++) {
		uint64_t until = phase == 0 ? t_win : t_end;

		if (phase == 1) {
			t_win = rte_rdtsc();
			for (d = 0; d < NDIRS; d++)
				rx0[d] = g.cnt[d].rx.pkts;
		}
		uint64_t prev = rte_rdtsc(), now;

		while ((now = rte_rdtsc()) < until) {
			/* A loop normally takes a few microseconds; a longer
			 * gap means this CPU was taken away (the rings then
			 * fill and the device under test may drop). */
			if (phase == 1 && now - prev > stall_ticks) {
				stalls++;
				if (now - prev > max_gap)
					max_gap = now - prev;
			}
			prev = now;
			if (on[DIR_DECAP])
				tx_dir(pp, DIR_DECAP);
			if (on[DIR_ENCAP])
				tx_dir(pp, DIR_ENCAP);
			rx_both(pp, verify);
		}
	}
	t1 = rte_rdtsc();
	for (d = 0; d < NDIRS; d++)
		rx1[d] = g.cnt[d].rx.pkts;
	/* Drain: until everything sent came back, or nothing arrived for
	 * 100 ms (loss), at most 2 s. Packets left in a ring would otherwise
	 * be dropped by the device under test or seen by the next case. */
	last_rx = g.cnt[0].rx.pkts + g.cnt[1].rx.pkts;
	idle_since = t1;
	t_drain = t1 + (uint64_t)(2 * g.hz);
	while (rte_rdtsc() < t_drain &&
	       last_rx < g.cnt[0].tx + g.cnt[1].tx) {
		uint64_t now, r;

		rx_both(pp, verify);
		now = rte_rdtsc();
		r = g.cnt[0].rx.pkts + g.cnt[1].rx.pkts;
		if (r != last_rx) {
			last_rx = r;
			idle_since = now;
		} else if (now - idle_since > (uint64_t)(0.1 * g.hz)) {
			break;
		}
	}
	win = (double)(t1 - t_win) / g.hz;
	printf("{\"run\":%u,\"dut\":\"%s\",\"dir\":\"%s\",\"size\":\"%s\","
	       "\"seconds\":%.3f,\"warmup\":%.3f,\"tunnels\":%u,\"tsc_hz\":%.0f,"
	       "\"pool\":[%u,%u],\"verify\":%s,\"unexpected\":%" PRIu64 ","
	       "\"arp_in\":%" PRIu64 ",\"arp_out\":%" PRIu64 ","
	       "\"gen_stalls_100us\":%" PRIu64 ",\"gen_max_gap_us\":%.1f,"
	       "\"flushed_before\":%" PRIu64 ",",
	       g.run, pair_name[pi], dir_s, size_s, win, g.warmup,
	       g.nact, g.hz, g.pool[0].n, g.pool[1].n, verify ? "true" : "false",
	       g.unexpected, g.arp_in, g.arp_out, stalls, (double)max_gap / g.hz * 1e6,
	       flushed);
	{
		double mpps = 0, gin = 0, gw = 0;
		unsigned nd = 0;

		for (d = 0; d < NDIRS; d++) {
			if (!on[d])
				continue;
			dir_json(d, win, rx1[d] - rx0[d], false);
			mpps += (rx1[d] - rx0[d]) / win / 1e6;
			gin += (rx1[d] - rx0[d]) / win * g.pool[d].avg_inner * 8 / 1e9;
			gw += (rx1[d] - rx0[d]) / win * g.pool[d].avg_esp_frame * 8 / 1e9;
			nd++;
		}
		printf("\"total\":{\"mpps\":%.4f,\"gbps_inner\":%.3f,\"gbps_wire\":%.3f,"
		       "\"dirs\":%u}}\n", mpps, gin, gw, nd);
	}
	for (d = 0; d < NDIRS; d++)
		pool_free(&g.pool[d]);
}

static int
gen_main(void)
{
	char line[256];

	if (g.cfg_path == NULL || g.sock_dir == NULL) {
		usage(stderr);
		return 2;
	}
	g.mb = p2sgw_crypto_mgr_create();
	if (g.mb == NULL) {
		fprintf(stderr, PROG ": no IPsec-MB manager (CPU without AES-NI?)\n");
		return 1;
	}
	if (load_config() != 0)
		return 1;
	/* one frame per tunnel (a case in one direction), or two pools of
	 * --pool frames (both directions), and what is in flight */
	g.tx_pool = RTE_MAX(g.ntun, 2 * g.pool_target) + TX_SPARE;
	if (g.tx_pool < TX_POOL)
		g.tx_pool = TX_POOL;
	if (g.socket_mem == 0)
		g.socket_mem = 128 + (unsigned)((uint64_t)g.tx_pool * MBUF_MEM >> 20);
	if (eal_start(true) != 0 || ports_start(g.npairs) != 0)
		return 1;
	printf("{\"listening\":true,\"pairs\":%u,\"tunnels\":%u,\"keys\":%u,"
	       "\"tx_mbufs\":%u,\"socket_mem\":%u,\"crypto\":\"%s\",\"tsc_hz\":%.0f}\n",
	       g.npairs, g.ntun, g.nkeys, g.tx_pool, g.socket_mem,
	       p2sgw_crypto_arch_name(), g.hz);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char a[6][64];
		int n = sscanf(line, "%63s %63s %63s %63s %63s %63s", a[0], a[1],
			       a[2], a[3], a[4], a[5]);
		unsigned pi = MAX_PAIRS;

		if (n <= 0)
			continue;
		if (n >= 2)
			for (pi = 0; pi < MAX_PAIRS && strcmp(a[1], pair_name[pi]) != 0; pi++)
				;
		if (n >= 2 && pi >= g.npairs)
			n = -1;
		if (strcmp(a[0], "quit") == 0)
			break;
		else if (strcmp(a[0], "connect") == 0 && n >= 2)
			cmd_connect(pi, n >= 3 ? atof(a[2]) : 10.0,
				    n >= 4 && strcmp(a[3], "keep-ttl") == 0);
		else if (strcmp(a[0], "run") == 0 && (n == 5 || n == 6))
			cmd_run(pi, a[2], a[3], atof(a[4]),
				n == 6 ? (unsigned)atoi(a[5]) : 0);
		else
			printf("{\"error\":\"unknown command\"}\n");
		fflush(stdout);
	}
	ports_stop(g.npairs);
	printf("{\"bye\":true}\n");
	fflush(stdout);
	rte_eal_cleanup();
	return 0;
}

/* ---- cache-line round trip between two CPUs ----------------------------------- */

/* The host moves the two vCPUs around: how long a cache line takes to go
 * from one CPU to the other and back explains much of the spread between
 * runs, so bench/run records it with every round. */
static struct {
	volatile uint64_t line __rte_cache_aligned;
	unsigned cpu[2];
	unsigned rounds;
} c2c;

static void *
c2c_echo(void *arg)
{
	cpu_set_t set;
	uint64_t v;
	(void)arg;

	CPU_ZERO(&set);
	CPU_SET(c2c.cpu[1], &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (v = 1; v < 2ull * c2c.rounds; v += 2) {
		while (__atomic_load_n(&c2c.line, __ATOMIC_ACQUIRE) != v)
			;
		__atomic_store_n(&c2c.line, v + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int
c2c_main(unsigned a, unsigned b)
{
	pthread_t th;
	cpu_set_t set;
	uint64_t v, t0, t1, best = UINT64_MAX;
	struct timespec ts0, ts1;
	unsigned rep;
	double ns;

	c2c.cpu[0] = a;
	c2c.cpu[1] = b;
	c2c.rounds = 20000;	/* five runs of this, the best counts */
	CPU_ZERO(&set);
	CPU_SET(a, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
		fprintf(stderr, PROG ": cannot run on CPU %u\n", a);
		return 1;
	}
	for (rep = 0; rep < 5; rep++) {
		c2c.line = 0;
		if (pthread_create(&th, NULL, c2c_echo, NULL) != 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &ts0);
		t0 = ts0.tv_sec * 1000000000ull + ts0.tv_nsec;
		for (v = 0; v < 2ull * c2c.rounds; v += 2) {
			__atomic_store_n(&c2c.line, v + 1, __ATOMIC_RELEASE);
			while (__atomic_load_n(&c2c.line, __ATOMIC_ACQUIRE) != v + 2)
				;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts1);
		t1 = ts1.tv_sec * 1000000000ull + ts1.tv_nsec;
		pthread_join(th, NULL);
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	ns = (double)best / c2c.rounds;
	printf("{\"c2c_round_trip_ns\":%.1f,\"cpus\":[%u,%u]}\n", ns, a, b);
	return 0;
}

/* ---- forwarder ------------------------------------------------------------ */

static int
fwd_main(void)
{
	struct pair *pp = &g.pair[0];
	uint64_t fwd[2] = { 0, 0 }, drop[2] = { 0, 0 };
	struct rte_mbuf *b[BURST];
	unsigned s;

	if (g.sock_dir == NULL) {
		usage(stderr);
		return 2;
	}
	if (eal_start(false) != 0 || ports_start(1) != 0)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, PROG ": forwarding\n");
	while (!stop) {
		for (s = 0; s < 2; s++) {
			uint16_t n = rte_eth_rx_burst(pp->port[s], 0, b, BURST), k;

			if (n == 0)
				continue;
			k = rte_eth_tx_burst(pp->port[s ^ 1], 0, b, n);
			fwd[s] += k;
			if (k < n) {
				drop[s] += n - k;
				rte_pktmbuf_free_bulk(&b[k], n - k);
			}
		}
	}
	ports_stop(1);
	fprintf(stderr, PROG ": forwarded up->vnet %" PRIu64 " (dropped %" PRIu64
		"), vnet->up %" PRIu64 " (dropped %" PRIu64 ")\n",
		fwd[0], drop[0], fwd[1], drop[1]);
	rte_eal_cleanup();
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sock-dir", required_argument, NULL, 'd' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "host", required_argument, NULL, 'H' },
		{ "lcore", required_argument, NULL, 'l' },
		{ "file-prefix", required_argument, NULL, 'f' },
		{ "socket-mem", required_argument, NULL, 'm' },
		{ "verify-every", required_argument, NULL, 'v' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "pool", required_argument, NULL, 'P' },
		{ "zero-copy", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool fwd;
	int c;

	if (argc >= 2 && strcmp(argv[1], "c2c") == 0)
		return c2c_main(argc > 2 ? (unsigned)atoi(argv[2]) : 0,
				argc > 3 ? (unsigned)atoi(argv[3]) : 1);
	if (argc < 2 || (strcmp(argv[1], "gen") != 0 && strcmp(argv[1], "fwd") != 0)) {
		usage(argc > 1 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	fwd = strcmp(argv[1], "fwd") == 0;
	g.lcore = fwd ? 1 : 0;
	g.file_prefix = fwd ? PROG "-fwd" : PROG "-gen";
	g.socket_mem = fwd ? 128 : 0;
	g.tx_pool = TX_POOL;
	g.verify_every = 16;
	g.warmup = 0.5;
	g.pool_target = 1024;
	g.npairs = 1;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': g.cfg_path = optarg; break;
		case 'd': g.sock_dir = optarg; break;
		case 'p': g.npairs = (unsigned)atoi(optarg); break;
		case 'H':
			if (p2sgw_parse_ipv4(optarg, &g.host) != 0) {
				fprintf(stderr, PROG ": bad --host %s\n", optarg);
				return 2;
			}
			break;
		case 'l': g.lcore = (unsigned)atoi(optarg); break;
		case 'f': g.file_prefix = optarg; break;
		case 'm': g.socket_mem = (unsigned)atoi(optarg); break;
		case 'v': g.verify_every = (unsigned)atoi(optarg); break;
		case 'w': g.warmup = atof(optarg); break;
		case 'P': g.pool_target = (unsigned)atoi(optarg); break;
		case 'z': g.zero_copy = !! fwd; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (g.npairs < 1 || g.npairs > MAX_PAIRS || g.verify_every == 0 ||
	    g.warmup < 0 || g.pool_target == 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
	signal(SIGABRT, on_fatal);
	signal(SIGFPE, on_fatal);
	signal(SIGILL, on_fatal);
	signal(SIGPIPE, on_fatal);
	return fwd ? fwd_main() : gen_main();
}
