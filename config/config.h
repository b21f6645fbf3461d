/* SPDX-License-Identifier: BSD-3-Clause
 * p2sgw configuration: one libconfig schema shared by both processes.
 *
 * p2sgw_config_load() parses and validates a whole file into a struct
 * p2sgw_config. It either succeeds completely or fails with one message of
 * the form "FILE:LINE: reason" and leaves nothing allocated, so a caller can
 * load into a scratch struct and swap only on success (the running config
 * is never touched by a bad file). Addresses are host byte order.
 */
#ifndef P2SGW_CONFIG_H
#define P2SGW_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "p2sgw_types.h"

enum {
	P2SGW_CFG_MAX_PORTS = 8,
	P2SGW_CFG_MAX_LCORES = 64,
	P2SGW_CFG_MAX_EAL_ARGS = 32,
	P2SGW_CFG_MAX_POOLS = 16,
	P2SGW_CFG_MAX_DNS = 4,
	P2SGW_CFG_MAX_TUNNELS = 100000,
	P2SGW_CFG_NAME_LEN = 64,
	P2SGW_CFG_DEVICE_LEN = 256,
	P2SGW_CFG_IFNAME_LEN = 16,	/* IFNAMSIZ */
	P2SGW_CFG_ERR_LEN = 512,
	P2SGW_CFG_MAX_ROOT_CAS = 20,
	P2SGW_CFG_MAX_REVOKED = 1024,
	P2SGW_CFG_MAX_IKE_PROPOSALS = 8,
	P2SGW_CFG_ID_LEN = 256,
};

enum p2sgw_port_role {
	P2SGW_PORT_UPLINK = 0,	/* where remote clients are */
	P2SGW_PORT_VNET,	/* the protected network */
};

enum p2sgw_df_mode {
	P2SGW_DF_COPY = 0,	/* outer DF = inner DF (default) */
	P2SGW_DF_SET,
	P2SGW_DF_CLEAR,
};

struct p2sgw_port_cfg {
	char name[P2SGW_CFG_NAME_LEN];
	enum p2sgw_port_role role;
	/* A PCI address ("0000:3b:00.0") or a DPDK vdev string
	 * ("net_af_packet0,iface=veth0", "net_memif0,role=client,...") */
	char device[P2SGW_CFG_DEVICE_LEN];
	bool is_vdev;
	struct p2sgw_prefix4 address;	/* gateway's address on the port and its subnet */
	uint32_t gateway;		/* next hop for off-subnet destinations; 0 = none */
	uint16_t mtu;			/* 576..9000, default 1500 */
	int line;			/* where it was defined */
};

struct p2sgw_tunnel_cfg {
	char name[P2SGW_TUNNEL_NAME_LEN];	/* 1..47 characters */
	uint32_t vip;			/* the client's virtual (inner) address */
	uint32_t peer;			/* the client's outer address */
	enum p2sgw_suite suite;
	uint32_t spi_in;		/* SPI the client uses towards us */
	uint32_t spi_out;		/* SPI we use towards the client */
	/* GCM: 36 bytes key||salt (RFC 4106); CBC suites: 32-byte AES key */
	uint8_t key_in[P2SGW_MAX_KEY_LEN];
	uint8_t key_out[P2SGW_MAX_KEY_LEN];
	uint8_t key_len;
	/* CBC suites only: 32 (SHA-256) or 20 (SHA-1) bytes */
	uint8_t auth_key_in[P2SGW_MAX_AUTH_KEY_LEN];
	uint8_t auth_key_out[P2SGW_MAX_AUTH_KEY_LEN];
	uint8_t auth_key_len;
	bool encap;			/* RFC 3948 UDP encapsulation */
	uint16_t encap_sport;		/* client's UDP port (the peer side) */
	uint16_t encap_dport;		/* our UDP port, 4500 */
	bool esn;
	uint32_t replay_window;
	int line;
};

/* One IKE SA proposal: IANA transform IDs; GROUPS has bit (1u << group)
 * for each allowed DH group (2, 14, 19, 20, 24 all fit in 32 bits). */
struct p2sgw_ike_proposal_cfg {
	uint16_t encr;			/* 12 AES-CBC, 20 AES-GCM-16 (256-bit keys) */
	uint16_t integ;			/* 0 (GCM), 12 SHA2-256-128, 13 SHA2-384-192, 2 SHA1-96 */
	uint16_t prf;			/* 5 HMAC-SHA256, 6 HMAC-SHA384 */
	uint32_t groups;
	int line;			/* 0 for the built-in defaults */
};

/* One CHILD SA (ESP) proposal: the dataplane suite, and the PFS groups
 * allowed in CREATE_CHILD_SA (bit 0 set: "no PFS" allowed). */
struct p2sgw_esp_proposal_cfg {
	enum p2sgw_suite suite;
	uint32_t groups;
	int line;			/* 0 for the built-in defaults */
};

struct p2sgw_config {
	char path[PATH_MAX];

	struct {
		char name[P2SGW_CFG_NAME_LEN];
		enum p2sgw_sku sku;
		int generation;		/* 1 or 2 */
	} gateway;

	struct {
		uint16_t lcores[P2SGW_CFG_MAX_LCORES]; /* worker lcores, first is main */
		unsigned n_lcores;
		unsigned socket_mem;		/* MiB of hugepage memory */
		char file_prefix[P2SGW_CFG_NAME_LEN];
		char *eal_args[P2SGW_CFG_MAX_EAL_ARGS]; /* extra EAL arguments */
		unsigned n_eal_args;
		unsigned mbufs;			/* mbuf pool size */
		unsigned rx_desc, tx_desc;	/* ring sizes, powers of two */
		char stats_file[PATH_MAX];	/* "" = none */
		double stats_interval;		/* seconds */
		unsigned neigh_ageing;		/* seconds */
		struct p2sgw_port_cfg ports[P2SGW_CFG_MAX_PORTS];
		unsigned n_ports;
		struct {
			bool enabled;
			char device[P2SGW_CFG_DEVICE_LEN]; /* default "net_tun_p2sgw0,iface=<iface>" */
			char iface[P2SGW_CFG_IFNAME_LEN];   /* default "p2sgw0" */
		} exception;
	} dataplane;

	struct {
		uint32_t tunnel_types;		/* enum p2sgw_tunnel_type bits */
		struct p2sgw_prefix4 pools[P2SGW_CFG_MAX_POOLS];
		unsigned n_pools;
		struct p2sgw_prefix4 routes[P2SGW_MAX_TRAFFIC_SELECTORS];
		unsigned n_routes;
		uint32_t dns[P2SGW_CFG_MAX_DNS];
		unsigned n_dns;
	} p2s;

	struct {
		uint32_t replay_window;
		uint8_t ttl;
		enum p2sgw_df_mode df;
	} esp;

	struct {
		char socket[PATH_MAX];		/* control socket (p2sgwctl) */
		char channel[PATH_MAX];		/* shared-memory channel file */
		unsigned max_tunnels;		/* channel capacity */
		unsigned max_replay_window;	/* sizes the channel's SA slots */
		int log_level;			/* 0 error .. 4 debug */
		bool syslog;			/* else stderr */
	} control;

	/* Paths are stored resolved: a relative one in the file is relative
	 * to the directory of the configuration file. The loader checks only
	 * that the files can be read; the control plane parses them. */
	struct {
		char root_ca[P2SGW_CFG_MAX_ROOT_CAS][PATH_MAX]; /* PEM files */
		unsigned n_root_ca;
		uint8_t (*revoked)[20];	/* SHA-1 thumbprints (malloc'd) */
		unsigned n_revoked;
		char certificate[PATH_MAX];	/* gateway cert (+chain), PEM; "" none */
		char private_key[PATH_MAX];
		char identity[P2SGW_CFG_ID_LEN]; /* IDr override; "" = from cert */
		int line;			/* of the section, 0 when absent */
	} auth;

	struct {
		struct p2sgw_ike_proposal_cfg ike[P2SGW_CFG_MAX_IKE_PROPOSALS];
		unsigned n_ike;
		struct p2sgw_esp_proposal_cfg esp[P2SGW_CFG_MAX_IKE_PROPOSALS];
		unsigned n_esp;
		unsigned ike_lifetime;		/* s, default 28800 */
		unsigned child_lifetime;	/* s, default 27000 */
		unsigned child_lifetime_kb;	/* KiB each way per CHILD SA, 0: none (default) */
		unsigned half_open_timeout;	/* s, default 30: IKE_SA_INIT without IKE_AUTH */
		unsigned dpd_delay;		/* s idle before a liveness check, 0: none (default 30) */
		unsigned dpd_timeout;		/* s without an answer: the client is gone (default 150) */
		unsigned cookie_threshold;	/* half-open SAs before COOKIE is demanded, 0: always (default 128) */
		unsigned half_open_per_source;	/* half-open SAs one address may hold (default 32) */
		unsigned natt_keepalive;	/* s between NAT-T keepalives when we are behind a NAT, 0: none (default 20) */
		/* The effective cap: a 0 in the file (the default) is
		 * replaced by p2sgw_sku_ike_cap() of the gateway. */
		unsigned max_connections;
		bool enabled;			/* p2s.tunnel_types has ikev2 and auth.certificate is set */
	} ike;

	struct p2sgw_tunnel_cfg *tunnels;	/* static (manually keyed) tunnels */
	unsigned n_tunnels;

	/* Warnings that do not refuse the file ("FILE:LINE: text"), e.g. more
	 * than 25 routes. One per line, NUL-terminated. */
	char warnings[1024];
};

/* Load and validate PATH. On failure return -1 and write one line
 * "PATH:LINE: reason" (LINE may be 0 when the error has no line) to err. */
int p2sgw_config_load(const char *path, struct p2sgw_config *cfg,
		      char *err, size_t errlen);

/* Free what load allocated and wipe key material. Safe on a zeroed struct. */
void p2sgw_config_free(struct p2sgw_config *cfg);

/* Helpers exposed for other parsers (control socket, tools). They return 0
 * on success and -1 on a malformed string. */
int p2sgw_parse_ipv4(const char *s, uint32_t *addr);
int p2sgw_parse_prefix4(const char *s, struct p2sgw_prefix4 *p);
int p2sgw_parse_hex(const char *s, uint8_t *out, size_t out_len);
int p2sgw_parse_lcores(const char *s, uint16_t *lcores, unsigned max,
		       unsigned *n);
int p2sgw_parse_suite(const char *s, enum p2sgw_suite *suite);
const char *p2sgw_sku_name(enum p2sgw_sku sku);

/* The most IKEv2 and OpenVPN connections a SKU of GENERATION (1 or 2)
 * takes; 0 for a SKU the generation does not offer. */
unsigned p2sgw_sku_ike_cap(enum p2sgw_sku sku, int generation);

#endif /* P2SGW_CONFIG_H */
