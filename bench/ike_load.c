/* SPDX-License-Identifier: BSD-3-Clause
 * p2sgw-ike-load: an IKEv2 initiator that establishes N IKE SAs, each
 * with one CHILD SA, against a responder (p2sgw-control or any other),
 * with up to W of them in progress at a time, and measures how long it
 * takes. Each SA has its own SPIs, nonces, Diffie-Hellman exchange and
 * AUTH signature (certificate and key given on the command line), and
 * asks for a virtual IPv4 address (CP) and an AES-256-GCM ESP SA.
 *
 * NAT is faked as strongSwan's encap=yes does it: NAT_DETECTION_SOURCE_IP
 * carries a hash that cannot match, so IKE_AUTH goes to the responder's
 * NAT-T port with the non-ESP marker and the CHILD SA is UDP-encapsulated.
 * Requests are retransmitted after a timeout (doubling); an SA that gets
 * no answer after the last retransmission, or an error notify, is counted
 * as failed by reason. An SA is forgotten once it is established or has
 * failed (no DELETE is sent; the responder keeps its state).
 *
 * Everything goes through one UDP socket (or --sockets K), with the
 * SA's slot index in the low bits of its initiator SPI. Verification of
 * the responder's certificate chain and AUTH signature is optional
 * (--ca FILE, or --no-verify) so that the initiator can stay cheap; the
 * rest of every response is checked (SPIs, message IDs, the SK payload's
 * ICV, the payloads a successful IKE_AUTH must carry).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ike_crypto.h"
#include "ike_int.h"
#include "ike_msg.h"
#include "ikev2_wire.h"
#include "x509.h"

#define PROG "p2sgw-ike-load"

enum {
	MAX_WINDOW = 4096,
	MAX_SOCKETS = 16,
	INIT_BUF = 2048,
	REQ_BUF = 8192,			/* IKE_AUTH request, marker included */
	RX_BUF = 65536,
	COOKIE_MAX = 64,
	COOKIE_TRIES = 3,
	MARKER = IKE_NON_ESP_MARKER_LEN,
	N_REASONS = 32,
	N_STATUS = 16384,		/* notify types from here on are status */
};

/* ---- options ---- */

static struct {
	const char *suite_name;
	struct ike_suite suite;
	unsigned long count;
	unsigned window;
	unsigned sockets;
	const char *cert, *key, *ca;
	bool no_verify, fresh_dh, progress;
	struct in_addr server;
	uint16_t port, natt_port;
	unsigned timeout_ms, retries;
	const char *json;
} opt = {
	.count = 1000, .window = 64, .sockets = 1, .port = IKE_PORT,
	.natt_port = IKE_NATT_PORT, .timeout_ms = 2000, .retries = 4,
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " --server IP --cert PEM --key PEM (--ca PEM | --no-verify)\n"
"                      [options]\n"
"  --ike SUITE       aes256gcm16-prfsha256-ecp256 (default) or\n"
"                    aes256gcm16-prfsha384-ecp384; any aes256gcm16-prfshaN-GROUP\n"
"                    with N 256/384/512 and GROUP ecp256, ecp384, modp2048,\n"
"                    modp2048s256\n"
"  --count N         IKE SAs to establish (default 1000)\n"
"  --window W        SAs in progress at a time (default 64, at most %u)\n"
"  --sockets K       UDP sockets (source ports) to spread them over (default 1)\n"
"  --port P          the responder's IKE port (default 500)\n"
"  --natt-port P     its NAT-T port (default 4500)\n"
"  --timeout MS      first retransmission after MS (default 2000), doubling\n"
"  --retries R       retransmissions before an SA fails (default 4)\n"
"  --ca PEM          verify the responder's certificate chain and AUTH\n"
"  --no-verify       do not verify them (the rest of each response is checked)\n"
"  --fresh-dh        a new DH key pair per SA (default: one for the whole run,\n"
"                    as RFC 7296 2.12 allows; the responder's work is the same)\n"
"  --json FILE       write the result as JSON\n"
"  --progress        a line per second on stderr\n"
"Exit status: 0 every SA established, 1 some failed, 2 bad usage or set-up.\n",
		MAX_WINDOW);
}

static int
parse_suite(const char *s)
{
	char buf[128], *tok, *save = NULL;
	unsigned n = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	opt.suite = (struct ike_suite){ IKE_ENCR_AES_GCM16, IKE_INTEG_NONE, 0, 0 };
	for (tok = strtok_r(buf, "-", &save); tok; tok = strtok_r(NULL, "-", &save), n++) {
		if (n == 0 && (!strcmp(tok, "aes256gcm16") || !strcmp(tok, "aes256gcm128")))
			continue;
		if (n == 1 && !strcmp(tok, "prfsha256"))
			opt.suite.prf = IKE_PRF_HMAC_SHA256;
		else if (n == 1 && !strcmp(tok, "prfsha384"))
			opt.suite.prf = IKE_PRF_HMAC_SHA384;
		else if (n == 1 && !strcmp(tok, "prfsha512"))
			opt.suite.prf = IKE_PRF_HMAC_SHA512;
		else if (n == 2 && !strcmp(tok, "ecp256"))
			opt.suite.dh = IKE_DH_ECP256;
		else if (n == 2 && !strcmp(tok, "ecp384"))
			opt.suite.dh = IKE_DH_ECP384;
		else if (n == 2 && !strcmp(tok, "modp2048"))
			opt.suite.dh = IKE_DH_MODP2048;
		else if (n == 2 && !strcmp(tok, "modp2048s256"))
			opt.suite.dh = IKE_DH_MODP2048_256;
		else
			return -1;
	}
	return n == 3 && opt.suite.prf && ike_dh_supported(opt.suite.dh) ? 0 : -1;
}

static unsigned long
num_arg(const char *name, const char *v, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || end == v || x < lo || x > hi) {
		fprintf(stderr, PROG ": %s must be %lu..%lu\n", name, lo, hi);
		exit(2);
	}
	return x;
}

static void
parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ike", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ "sockets", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'a' },
		{ "no-verify", no_argument, NULL, 'V' },
		{ "fresh-dh", no_argument, NULL, 'F' },
		{ "server", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "natt-port", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "json", required_argument, NULL, 'j' },
		{ "progress", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_server = false;
	int c;

	opt.suite_name = "aes256gcm16-prfsha256-ecp256";
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': opt.suite_name = optarg; break;
		case 'n': opt.count = num_arg("--count", optarg, 1, 10000000); break;
		case 'w': opt.window = (unsigned)num_arg("--window", optarg, 1, MAX_WINDOW); break;
		case 'k': opt.sockets = (unsigned)num_arg("--sockets", optarg, 1, MAX_SOCKETS); break;
		case 'c': opt.cert = optarg; break;
		case 'K': opt.key = optarg; break;
		case 'a': opt.ca = optarg; break;
		case 'V': opt.no_verify = true; break;
		case 'F': opt.fresh_dh = true; break;
		case 's':
			if (inet_pton(AF_INET, optarg, &opt.server) != 1) {
				fprintf(stderr, PROG ": --server needs an IPv4 address\n");
				exit(2);
			}
			have_server = true;
			break;
		case 'p': opt.port = (uint16_t)num_arg("--port", optarg, 1, 65535); break;
		case 'P': opt.natt_port = (uint16_t)num_arg("--natt-port", optarg, 1, 65535); break;
		case 't': opt.timeout_ms = (unsigned)num_arg("--timeout", optarg, 10, 600000); break;
		case 'r': opt.retries = (unsigned)num_arg("--retries", optarg, 0, 10); break;
		case 'j': opt.json = optarg; break;
		case 'g': opt.progress = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || !have_server || !opt.cert || !opt.key ||
	    (!opt.ca && !opt.no_verify) || (opt.ca && opt.no_verify)) {
		usage(stderr);
		exit(2);
	}
	if (parse_suite(opt.suite_name) < 0) {
		fprintf(stderr, PROG ": unknown or unsupported --ike '%s'\n",
			opt.suite_name);
		exit(2);
	}
	if (opt.port == opt.natt_port) {
		fprintf(stderr, PROG ": --port and --natt-port must differ\n");
		exit(2);
	}
}

/* ---- time ---- */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- state ---- */

enum slot_state { S_FREE, S_INIT, S_AUTH };

/* One SA in progress. Nothing of it is kept once it is done. */
struct slot {
	enum slot_state state;
	unsigned idx, sock, tries, cookies;
	uint64_t deadline, t0, t_xchg;	/* SA start, exchange start */
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	uint8_t ni[IKE_NONCE_LEN], nr[IKE_NONCE_MAX];
	size_t nr_len;
	struct ike_dh *dh;		/* own, with --fresh-dh */
	struct ike_keys k;
	struct ike_sk_dir out, in;
	uint64_t iv_seq;
	uint16_t peer_hashes;
	uint32_t esp_spi;
	uint8_t cookie[COOKIE_MAX];
	size_t cookie_len;
	/* RealMessage1 (AUTH octets) and, when verifying, RealMessage2 */
	uint8_t init_req[INIT_BUF], init_resp[INIT_BUF];
	size_t init_req_len, init_resp_len;
	/* the IKE_AUTH request after a 4-byte non-ESP marker */
	uint8_t req[REQ_BUF];
	size_t req_len;
};

struct reason {
	char name[48];
	unsigned long n;
};

static struct {
	int fd[MAX_SOCKETS];
	struct x509_local *me;
	struct x509_trust *trust;
	uint8_t certreq[X509_MAX_ROOTS * IKE_CERTREQ_HASH_LEN];
	size_t certreq_len;
	struct ike_dh *dh;		/* shared, without --fresh-dh */
	struct slot *slots;
	uint32_t esp_base;
	unsigned long started, established, failed;
	unsigned long retransmits, cookies, stale, rx_bad;
	struct reason reasons[N_REASONS];
	unsigned n_reasons;
	float *lat_ms;			/* per established SA (statistics only) */
	double init_rtt_sum, auth_rtt_sum;
	unsigned long init_rtt_n, auth_rtt_n;
	uint64_t t_start, t_end;
	/* one sample a second: elapsed s, established, failed */
	struct { double t; unsigned long est, fail; } *tl;
	size_t n_tl, cap_tl;
} g;


static void
count_reason(const char *name)
{
	unsigned i;

	for (i = 0; i < g.n_reasons; i++)
		if (!strcmp(g.reasons[i].name, name))
			break;
	if (i == g.n_reasons) {
		if (g.n_reasons == N_REASONS)
			i = N_REASONS - 1;	/* "other" bucket: the last */
		else
			snprintf(g.reasons[g.n_reasons++].name,
				 sizeof(g.reasons[0].name), "%s", name);
	}
	g.reasons[i].n++;
}

/* The SA of S is done (established or failed): forget it and start the
 * next one in its slot. */
static void
finish(struct slot *s, const char *fail_reason, uint64_t now)
{
	if (fail_reason != NULL) {
		g.failed++;
		count_reason(fail_reason);
	} else {
		g.lat_ms[g.established++] = (float)((double)(now - s->t0) / 1e6);
	}
	g.t_end = now;
	ike_dh_free(s->dh);
	s->dh = NULL;
	OPENSSL_cleanse(&s->k, sizeof(s->k));
	s->state = S_FREE;		/* the main loop starts the next SA */
}

/* ---- sending ---- */

static int
send_to(const struct slot *s, const uint8_t *b, size_t len, bool natt)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = opt.server,
		.sin_port = htons(natt ? opt.natt_port : opt.port) };

	for (unsigned tries = 0; tries < 100; tries++) {
		if (sendto(g.fd[s->sock], b, len, 0, (struct sockaddr *)&to,
			   sizeof(to)) == (ssize_t)len)
			return 0;
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			break;
		usleep(100);
	}
	return -1;
}

static void
arm(struct slot *s, uint64_t now)
{
	s->deadline = now + ((uint64_t)opt.timeout_ms * 1000000ull << s->tries);
}

static void
natd_hash(const uint8_t spi_i[8], uint32_t addr, uint16_t port,
	  uint8_t out[IKE_NATD_LEN])
{
	uint8_t in[22] = { 0 };
	unsigned int n = IKE_NATD_LEN;

	memcpy(in, spi_i, 8);
	ike_put32(in + 16, addr);
	ike_put16(in + 20, port);
	EVP_Digest(in, sizeof(in), out, &n, EVP_sha1(), NULL);
}

/* IKE_SA_INIT request into s->init_req. */
static int
build_init(struct slot *s)
{
	static const uint8_t hashes[6] = { 0, SIGHASH_SHA256, 0, SIGHASH_SHA384,
		0, SIGHASH_SHA512 };
	struct ike_hdr h = { .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR };
	struct ike_choice c = { .proto = IKE_PROTO_IKE, .num = 1,
		.encr = (uint16_t)opt.suite.encr, .encr_keylen = 256,
		.prf = (uint16_t)opt.suite.prf, .dh = (uint16_t)opt.suite.dh,
		.esn = -1 };
	size_t klen = ike_dh_len(opt.suite.dh);
	uint8_t natd[IKE_NATD_LEN];
	struct ike_out o;
	uint8_t *p;

	memcpy(h.spi_i, s->spi_i, IKE_SPI_LEN);
	ike_out_init(&o, s->init_req, sizeof(s->init_req), &h);
	if (s->cookie_len > 0)
		ike_out_notify(&o, 0, IKE_N_COOKIE, s->cookie, s->cookie_len);
	ike_out_sa(&o, &c);
	p = ike_out_pl(&o, IKE_PL_KE, IKE_KE_FIXED + klen);
	if (p == NULL)
		return -1;
	ike_put16(p, (uint16_t)opt.suite.dh);
	p[2] = p[3] = 0;
	if (ike_dh_public(s->dh ? s->dh : g.dh, p + IKE_KE_FIXED, klen) < 0)
		return -1;
	ike_out_copy(&o, IKE_PL_NONCE, s->ni, sizeof(s->ni));
	/* our side "behind a NAT": a source hash that cannot match */
	if (RAND_bytes(natd, sizeof(natd)) != 1)
		return -1;
	ike_out_notify(&o, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	natd_hash(s->spi_i, ntohl(opt.server.s_addr), opt.port, natd);
	ike_out_notify(&o, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd,
		       sizeof(natd));
	ike_out_notify(&o, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes,
		       sizeof(hashes));
	if (ike_out_finish(&o) < 0)
		return -1;
	s->init_req_len = o.len;
	return 0;
}

static void
start_sa(struct slot *s, uint64_t now)
{
	unsigned long n = g.started++;

	memset(s->spi_r, 0, sizeof(s->spi_r));
	s->tries = 0;
	s->cookies = 0;
	s->cookie_len = 0;
	s->iv_seq = 0;
	s->nr_len = 0;
	s->init_resp_len = 0;
	s->req_len = 0;
	s->sock = s->idx % opt.sockets;
	s->esp_spi = g.esp_base + (uint32_t)n;
	s->t0 = s->t_xchg = now;
	/* the slot index in the SPI's last two bytes finds the slot again */
	if (RAND_bytes(s->spi_i, 6) != 1 || RAND_bytes(s->ni, sizeof(s->ni)) != 1) {
		s->state = S_INIT;
		finish(s, "local: random bytes", now);
		return;
	}
	s->spi_i[0] |= 0x80;		/* never all zero */
	ike_put16(s->spi_i + 6, (uint16_t)s->idx);
	if (opt.fresh_dh && (s->dh = ike_dh_new(opt.suite.dh)) == NULL) {
		s->state = S_INIT;
		finish(s, "local: DH key pair", now);
		return;
	}
	s->state = S_INIT;
	if (build_init(s) < 0) {
		finish(s, "local: IKE_SA_INIT does not build", now);
		return;
	}
	if (send_to(s, s->init_req, s->init_req_len, false) < 0) {
		finish(s, "local: send failed", now);
		return;
	}
	arm(s, now);
}

/* AUTH octets: MSG | NONCE | prf(SK_p, ID payload body). */
static size_t
auth_octets(const struct slot *s, const uint8_t *msg, size_t mlen,
	    const uint8_t *nonce, size_t nlen, const uint8_t *skp,
	    const uint8_t *id, size_t idlen, uint8_t *out, size_t cap)
{
	size_t plen = ike_prf_len(opt.suite.prf);

	if (mlen + nlen + plen > cap)
		return 0;
	memcpy(out, msg, mlen);
	memcpy(out + mlen, nonce, nlen);
	if (ike_prf(opt.suite.prf, skp, s->k.p_len, id, idlen, out + mlen + nlen) < 0)
		return 0;
	return mlen + nlen + plen;
}

static const struct ike_ts ANY_TS = { IKE_TS_IPV4_ADDR_RANGE, 0, 0, 65535,
	0, 0xffffffff };

/* The IKE_AUTH request, sealed, into s->req after the marker. */
static int
build_auth(struct slot *s)
{
	static uint8_t inner[REQ_BUF], octets[INIT_BUF + IKE_NONCE_MAX + IKE_MAX_PRF_LEN];
	static const uint8_t cp[] = { IKE_CFG_REQUEST, 0, 0, 0,
		0, IKE_CFG_IP4_ADDRESS, 0, 0, 0, IKE_CFG_IP4_DNS, 0, 0 };
	const struct x509_local *me = g.me;
	uint8_t idi[IKE_ID_FIXED + sizeof(me->id)], sig[1024], method = 0;
	size_t idlen = IKE_ID_FIXED + me->id_len, olen, slen = 0, iv = IKE_GCM_IV_LEN;
	struct ike_choice esp = { .proto = IKE_PROTO_ESP,
		.spi_len = IKE_ESP_SPI_LEN, .num = 1,
		.encr = IKE_ENCR_AES_GCM16, .encr_keylen = 256, .esn = IKE_ESN_NO };
	struct ike_hdr h = { .exchange = IKE_AUTH, .msgid = 1,
		.flags = IKE_FLAG_INITIATOR };
	struct ike_out o;
	char err[256];
	uint8_t *p, *msg = s->req + MARKER;

	idi[0] = me->id_type;
	idi[1] = idi[2] = idi[3] = 0;
	memcpy(idi + IKE_ID_FIXED, me->id, me->id_len);
	ike_out_chain(&o, inner, sizeof(inner));
	ike_out_copy(&o, IKE_PL_IDI, idi, idlen);
	p = ike_out_pl(&o, IKE_PL_CERT, IKE_CERT_FIXED + me->cert_der_len);
	if (p == NULL)
		return -1;
	p[0] = IKE_CERT_X509_SIG;
	memcpy(p + 1, me->cert_der, me->cert_der_len);
	for (unsigned i = 0; i < me->n_chain; i++) {
		p = ike_out_pl(&o, IKE_PL_CERT, IKE_CERT_FIXED + me->chain_der_len[i]);
		if (p == NULL)
			return -1;
		p[0] = IKE_CERT_X509_SIG;
		memcpy(p + 1, me->chain_der[i], me->chain_der_len[i]);
	}
	if (g.certreq_len > 0) {
		p = ike_out_pl(&o, IKE_PL_CERTREQ, IKE_CERT_FIXED + g.certreq_len);
		if (p == NULL)
			return -1;
		p[0] = IKE_CERT_X509_SIG;
		memcpy(p + 1, g.certreq, g.certreq_len);
	}
	olen = auth_octets(s, s->init_req, s->init_req_len, s->nr, s->nr_len,
			   s->k.pi, idi, idlen, octets, sizeof(octets));
	if (olen == 0 || x509_auth_sign(me->key, s->peer_hashes, octets, olen,
					&method, sig, sizeof(sig), &slen, err,
					sizeof(err)) < 0)
		return -1;
	p = ike_out_pl(&o, IKE_PL_AUTH, IKE_AUTH_FIXED + slen);
	if (p == NULL)
		return -1;
	p[0] = method;
	p[1] = p[2] = p[3] = 0;
	memcpy(p + IKE_AUTH_FIXED, sig, slen);
	ike_out_copy(&o, IKE_PL_CP, cp, sizeof(cp));
	ike_put32(esp.spi, s->esp_spi);
	ike_out_sa(&o, &esp);
	ike_out_ts(&o, IKE_PL_TSI, &ANY_TS, 1);
	ike_out_ts(&o, IKE_PL_TSR, &ANY_TS, 1);
	if (o.overflow)
		return -1;

	/* seal: header, SK payload around the chain */
	{
		struct ike_out m;
		size_t ilen = o.len;

		memcpy(h.spi_i, s->spi_i, IKE_SPI_LEN);
		memcpy(h.spi_r, s->spi_r, IKE_SPI_LEN);
		ike_out_init(&m, msg, sizeof(s->req) - MARKER, &h);
		p = ike_out_pl(&m, IKE_PL_SK, ike_sk_body_len(&s->out, ilen));
		if (p == NULL || ike_out_finish(&m) < 0)
			return -1;
		p[-IKE_GEN_HDR_LEN] = ike_out_first(&o);
		memcpy(p + iv, inner, ilen);
		if (ike_sk_seal(&s->out, ++s->iv_seq, msg, (size_t)(p - msg), ilen,
				m.len) < 0)
			return -1;
		memset(s->req, 0, MARKER);
		s->req_len = MARKER + m.len;
	}
	OPENSSL_cleanse(inner, o.len);
	return 0;
}

/* ---- receiving ---- */

/* The first error notify (type below 16384) among M's payloads of the
 * given kind, or 0. */
static uint16_t
error_notify(const struct ike_msg *m, bool inner)
{
	for (unsigned i = 0; i < m->n; i++) {
		struct ike_notify_pl n;
		const char *why;

		if (m->pl[i].type != IKE_PL_NOTIFY || m->pl[i].inner != inner ||
		    ike_dec_notify(&m->pl[i], &n, &why) < 0)
			continue;
		if (n.type > 0 && n.type < N_STATUS)
			return n.type;
	}
	return 0;
}

static const char *
notify_reason(uint16_t t, char *buf, size_t len)
{
	const char *n = ike_notify_name(t);

	if (strcmp(n, "notify") != 0)	/* a type it names */
		return n;
	snprintf(buf, len, "notify %u", t);
	return buf;
}

static void
on_init_resp(struct slot *s, struct ike_msg *m, uint64_t now)
{
	struct ike_notify_pl n;
	const struct ike_pl *ke_pl, *nonce;
	uint8_t gir[IKE_MAX_DH_LEN];
	struct ike_ke ke;
	const char *why;
	char buf[32];
	uint16_t err;
	size_t glen = 0;

	if (ike_find_notify(m, IKE_N_COOKIE, false, &n)) {
		if (n.len == 0 || n.len > COOKIE_MAX || ++s->cookies > COOKIE_TRIES) {
			finish(s, "COOKIE (refused or repeated)", now);
			return;
		}
		g.cookies++;
		memcpy(s->cookie, n.data, n.len);
		s->cookie_len = n.len;
		s->tries = 0;
		if (build_init(s) < 0 ||
		    send_to(s, s->init_req, s->init_req_len, false) < 0) {
			finish(s, "local: send failed", now);
			return;
		}
		arm(s, now);
		return;
	}
	if ((err = error_notify(m, false)) != 0) {
		finish(s, notify_reason(err, buf, sizeof(buf)), now);
		return;
	}
	ke_pl = ike_find(m, IKE_PL_KE, false);
	nonce = ike_find(m, IKE_PL_NONCE, false);
	if (ike_find(m, IKE_PL_SA, false) == NULL || ke_pl == NULL || nonce == NULL ||
	    ike_dec_ke(ke_pl, &ke, &why) < 0 || ke.group != opt.suite.dh ||
	    nonce->len < IKE_NONCE_MIN || nonce->len > IKE_NONCE_MAX ||
	    !memcmp(m->hdr.spi_r, "\0\0\0\0\0\0\0\0", 8)) {
		finish(s, "bad IKE_SA_INIT response", now);
		return;
	}
	memcpy(s->spi_r, m->hdr.spi_r, IKE_SPI_LEN);
	memcpy(s->nr, nonce->body, nonce->len);
	s->nr_len = nonce->len;
	s->peer_hashes = 0;
	if (ike_find_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS, false, &n))
		for (size_t i = 0; i + 2 <= n.len; i += 2) {
			uint16_t hh = ike_get16(n.data + i);

			if (hh < 16)
				s->peer_hashes |= (uint16_t)(1u << hh);
		}
	if (ike_dh_shared(s->dh ? s->dh : g.dh, ke.data, ke.len, gir, sizeof(gir),
			  &glen) < 0 ||
	    ike_derive_keys(&opt.suite, s->ni, sizeof(s->ni), s->nr, s->nr_len,
			    gir, glen, s->spi_i, s->spi_r, NULL, 0, &s->k) < 0) {
		OPENSSL_cleanse(gir, sizeof(gir));
		finish(s, "bad KE in the IKE_SA_INIT response", now);
		return;
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(s->dh);
	s->dh = NULL;
	s->out = (struct ike_sk_dir){ opt.suite.encr, opt.suite.integ, s->k.ei, NULL };
	s->in = (struct ike_sk_dir){ opt.suite.encr, opt.suite.integ, s->k.er, NULL };
	if (g.trust != NULL) {
		if (m->raw_len > sizeof(s->init_resp)) {
			finish(s, "IKE_SA_INIT response too long to keep", now);
			return;
		}
		memcpy(s->init_resp, m->raw, m->raw_len);
		s->init_resp_len = m->raw_len;
	}
	g.init_rtt_sum += (double)(now - s->t_xchg) / 1e6;
	g.init_rtt_n++;
	if (build_auth(s) < 0) {
		finish(s, "local: IKE_AUTH does not build", now);
		return;
	}
	s->state = S_AUTH;
	s->tries = 0;
	s->t_xchg = now;
	if (send_to(s, s->req, s->req_len, true) < 0) {
		finish(s, "local: send failed", now);
		return;
	}
	arm(s, now);
}

/* The responder's certificate chain and AUTH (with --ca). */
static const char *
verify_responder(const struct slot *s, const struct ike_msg *m)
{
	static uint8_t octets[INIT_BUF + IKE_NONCE_MAX + IKE_MAX_PRF_LEN];
	const uint8_t *cert[9];
	size_t cert_len[9], olen;
	unsigned n_cert = 0;
	const struct ike_pl *idr = ike_find(m, IKE_PL_IDR, true);
	const struct ike_pl *auth = ike_find(m, IKE_PL_AUTH, true);
	struct ike_auth_pl a;
	struct x509_peer peer;
	bool revoked = false;
	const char *why;
	char err[256];
	int rc;

	for (unsigned i = 0; i < m->n && n_cert < 9; i++) {
		struct ike_cert c;

		if (m->pl[i].type != IKE_PL_CERT || !m->pl[i].inner ||
		    ike_dec_cert(&m->pl[i], &c, &why) < 0 ||
		    c.encoding != IKE_CERT_X509_SIG)
			continue;
		cert[n_cert] = c.data;
		cert_len[n_cert++] = c.len;
	}
	if (idr == NULL || auth == NULL || n_cert == 0 ||
	    ike_dec_auth(auth, &a, &why) < 0)
		return "verify: no IDr, AUTH or CERT";
	if (x509_verify_peer(g.trust, cert[0], cert_len[0], cert + 1, cert_len + 1,
			     n_cert - 1, 0, &peer, &revoked, err, sizeof(err)) < 0)
		return "verify: responder certificate";
	olen = auth_octets(s, s->init_resp, s->init_resp_len, s->ni, sizeof(s->ni),
			   s->k.pr, idr->body, idr->len, octets, sizeof(octets));
	rc = olen ? x509_auth_verify(peer.key, a.method, a.data, a.len, octets,
				     olen, err, sizeof(err)) : -1;
	x509_peer_clear(&peer);
	return rc < 0 ? "verify: responder AUTH" : NULL;
}

/* The CP reply's INTERNAL_IP4_ADDRESS, or 0. */
static uint32_t
cp_vip(const struct ike_pl *p)
{
	size_t off = IKE_CP_FIXED;

	if (p == NULL || p->len < IKE_CP_FIXED || p->body[0] != IKE_CFG_REPLY)
		return 0;
	while (off + IKE_CP_ATTR_HDR <= p->len) {
		uint16_t t = ike_get16(p->body + off) & IKE_CFG_ATTR_TYPE_MASK;
		uint16_t alen = ike_get16(p->body + off + 2);

		if (alen > p->len - off - IKE_CP_ATTR_HDR)
			return 0;
		if (t == IKE_CFG_IP4_ADDRESS && alen >= 4)
			return ike_get32(p->body + off + IKE_CP_ATTR_HDR);
		off += IKE_CP_ATTR_HDR + alen;
	}
	return 0;
}

static void
on_auth_resp(struct slot *s, struct ike_msg *m, uint8_t *raw, uint64_t now)
{
	static struct ike_sa_pl sa;
	const struct ike_pl *sa_pl;
	uint8_t *inner;
	size_t ilen;
	const char *why;
	char buf[32];
	uint16_t err;

	if (m->sk_off == 0 ||
	    ike_sk_open(&s->in, raw, m->sk_off, m->raw_len, &inner, &ilen) < 0) {
		g.rx_bad++;		/* not ours after all: keep waiting */
		return;
	}
	if (ike_parse_inner(m, m->sk_first, inner, ilen, &why) < 0) {
		finish(s, "bad IKE_AUTH response", now);
		return;
	}
	if ((err = error_notify(m, true)) != 0) {
		finish(s, notify_reason(err, buf, sizeof(buf)), now);
		return;
	}
	sa_pl = ike_find(m, IKE_PL_SA, true);
	if (ike_find(m, IKE_PL_IDR, true) == NULL ||
	    ike_find(m, IKE_PL_AUTH, true) == NULL ||
	    ike_find(m, IKE_PL_TSI, true) == NULL ||
	    ike_find(m, IKE_PL_TSR, true) == NULL || sa_pl == NULL ||
	    ike_dec_sa(sa_pl, &sa, &why) < 0 || sa.n != 1 ||
	    sa.prop[0].proto != IKE_PROTO_ESP ||
	    sa.prop[0].spi_len != IKE_ESP_SPI_LEN) {
		finish(s, "IKE_AUTH response without IDr, AUTH, ESP SA or TS", now);
		return;
	}
	if (cp_vip(ike_find(m, IKE_PL_CP, true)) == 0) {
		finish(s, "IKE_AUTH response without a virtual IP", now);
		return;
	}
	if (g.trust != NULL && (why = verify_responder(s, m)) != NULL) {
		finish(s, why, now);
		return;
	}
	g.auth_rtt_sum += (double)(now - s->t_xchg) / 1e6;
	g.auth_rtt_n++;
	finish(s, NULL, now);
}

static void
on_datagram(uint8_t *b, size_t len, const struct sockaddr_in *from, uint64_t now)
{
	static struct ike_msg m;
	const char *why;
	struct slot *s;
	unsigned idx;

	if (from->sin_addr.s_addr != opt.server.s_addr) {
		g.rx_bad++;
		return;
	}
	if (ntohs(from->sin_port) == opt.natt_port) {
		if (len < MARKER || b[0] || b[1] || b[2] || b[3]) {
			g.rx_bad++;	/* keepalive or ESP: not for us */
			return;
		}
		b += MARKER;
		len -= MARKER;
	}
	if (ike_parse(b, len, &m, &why) < 0 || !(m.hdr.flags & IKE_FLAG_RESPONSE)) {
		g.rx_bad++;
		return;
	}
	idx = ike_get16(m.hdr.spi_i + 6);
	if (idx >= opt.window) {
		g.rx_bad++;
		return;
	}
	s = &g.slots[idx];
	if (s->state == S_FREE || memcmp(s->spi_i, m.hdr.spi_i, IKE_SPI_LEN)) {
		g.stale++;		/* a late answer for a finished SA */
		return;
	}
	if (s->state == S_INIT && m.hdr.exchange == IKE_SA_INIT && m.hdr.msgid == 0) {
		on_init_resp(s, &m, now);
		return;
	}
	if (s->state == S_AUTH && m.hdr.exchange == IKE_AUTH && m.hdr.msgid == 1 &&
	    !memcmp(s->spi_r, m.hdr.spi_r, IKE_SPI_LEN)) {
		on_auth_resp(s, &m, b, now);
		return;
	}
	g.stale++;			/* e.g. a retransmitted INIT response */
}

static void
on_timeout(struct slot *s, uint64_t now)
{
	bool auth = s->state == S_AUTH;

	if (s->tries >= opt.retries) {
		finish(s, auth ? "timeout in IKE_AUTH" : "timeout in IKE_SA_INIT", now);
		return;
	}
	s->tries++;
	g.retransmits++;
	if ((auth ? send_to(s, s->req, s->req_len, true) :
	     send_to(s, s->init_req, s->init_req_len, false)) < 0) {
		finish(s, "local: send failed", now);
		return;
	}
	arm(s, now);
}

/* ---- set-up ---- */

static int
open_socket(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int sz = 8 << 20;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
setup(void)
{
	char err[512];
	uint32_t r;

	g.me = x509_local_load(opt.cert, opt.key, err, sizeof(err));
	if (g.me == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	if (opt.ca != NULL) {
		const char *files[1] = { opt.ca };

		g.trust = x509_trust_load(files, 1, NULL, 0, err, sizeof(err));
		if (g.trust == NULL) {
			fprintf(stderr, PROG ": %s\n", err);
			return -1;
		}
		g.certreq_len = x509_trust_certreq(g.trust, g.certreq,
						   sizeof(g.certreq));
	}
	if (!opt.fresh_dh && (g.dh = ike_dh_new(opt.suite.dh)) == NULL) {
		fprintf(stderr, PROG ": cannot make a DH key pair\n");
		return -1;
	}
	for (unsigned i = 0; i < opt.sockets; i++) {
		g.fd[i] = open_socket();
		if (g.fd[i] < 0) {
			fprintf(stderr, PROG ": UDP socket: %s\n", strerror(errno));
			return -1;
		}
	}
	g.slots = calloc(opt.window, sizeof(*g.slots));
	g.lat_ms = calloc(opt.count, sizeof(*g.lat_ms));
	if (g.slots == NULL || g.lat_ms == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (unsigned i = 0; i < opt.window; i++)
		g.slots[i].idx = i;
	/* ESP SPIs: consecutive from a random base, unique within the run */
	if (RAND_bytes((uint8_t *)&r, sizeof(r)) != 1)
		return -1;
	g.esp_base = 0x10000000u + r % 0x60000000u;
	return 0;
}

/* ---- results ---- */

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static double
pct(double p)
{
	size_t i;

	if (g.established == 0)
		return 0;
	i = (size_t)ceil(p / 100.0 * (double)g.established);
	if (i > 0)
		i--;
	if (i >= g.established)
		i = g.established - 1;
	return g.lat_ms[i];
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
timeline_add(uint64_t now)
{
	if (g.n_tl == g.cap_tl) {
		size_t cap = g.cap_tl ? 2 * g.cap_tl : 256;
		void *p = realloc(g.tl, cap * sizeof(*g.tl));

		if (p == NULL)
			return;
		g.tl = p;
		g.cap_tl = cap;
	}
	g.tl[g.n_tl].t = (double)(now - g.t_start) / 1e9;
	g.tl[g.n_tl].est = g.established;
	g.tl[g.n_tl].fail = g.failed;
	g.n_tl++;
}

static void
report(double cpu)
{
	double el = (double)(g.t_end - g.t_start) / 1e9, mean = 0;
	char addr[INET_ADDRSTRLEN];
	FILE *f;

	for (unsigned long i = 0; i < g.established; i++)
		mean += g.lat_ms[i];
	mean = g.established ? mean / (double)g.established : 0;
	qsort(g.lat_ms, g.established, sizeof(*g.lat_ms), cmp_float);
	inet_ntop(AF_INET, &opt.server, addr, sizeof(addr));

	printf("%s: %s, %lu SAs, window %u, to %s\n", PROG, opt.suite_name,
	       opt.count, opt.window, addr);
	printf("  established %lu, failed %lu in %.3f s: %.1f SAs/s\n",
	       g.established, g.failed, el, el > 0 ? (double)g.established / el : 0);
	for (unsigned i = 0; i < g.n_reasons; i++)
		printf("  failed: %-40s %lu\n", g.reasons[i].name, g.reasons[i].n);
	printf("  latency ms (IKE_SA_INIT sent -> IKE_AUTH answered): p50 %.1f"
	       " p90 %.1f p99 %.1f max %.1f mean %.1f\n", pct(50), pct(90),
	       pct(99), pct(100), mean);
	printf("  round trips ms (mean): IKE_SA_INIT %.2f, IKE_AUTH %.2f\n",
	       g.init_rtt_n ? g.init_rtt_sum / (double)g.init_rtt_n : 0,
	       g.auth_rtt_n ? g.auth_rtt_sum / (double)g.auth_rtt_n : 0);
	printf("  retransmits %lu, cookies %lu, stale answers %lu, bad datagrams %lu\n",
	       g.retransmits, g.cookies, g.stale, g.rx_bad);
	printf("  initiator CPU %.3f s (%.3f ms per SA)\n", cpu,
	       opt.count ? cpu * 1e3 / (double)opt.count : 0);

	if (opt.json == NULL)
		return;
	f = fopen(opt.json, "w");
	if (f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", opt.json, strerror(errno));
		return;
	}
	fprintf(f, "{\n  \"tool\": \"%s\",\n  \"server\": \"%s\",\n"
		"  \"ike\": \"%s\",\n  \"count\": %lu,\n  \"window\": %u,\n"
		"  \"sockets\": %u,\n  \"timeout_ms\": %u,\n  \"retries\": %u,\n"
		"  \"verify\": %s,\n  \"fresh_dh\": %s,\n",
		PROG, addr, opt.suite_name, opt.count, opt.window, opt.sockets,
		opt.timeout_ms, opt.retries, g.trust ? "true" : "false",
		opt.fresh_dh ? "true" : "false");
	fprintf(f, "  \"established\": %lu,\n  \"failed\": %lu,\n  \"failures\": {",
		g.established, g.failed);
	for (unsigned i = 0; i < g.n_reasons; i++)
		fprintf(f, "%s\"%s\": %lu", i ? ", " : "", g.reasons[i].name,
			g.reasons[i].n);
	fprintf(f, "},\n  \"elapsed_s\": %.6f,\n  \"rate_per_s\": %.3f,\n",
		el, el > 0 ? (double)g.established / el : 0);
	fprintf(f, "  \"latency_ms\": { \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f,"
		" \"max\": %.3f, \"mean\": %.3f },\n", pct(50), pct(90), pct(99),
		pct(100), mean);
	fprintf(f, "  \"init_rtt_ms_mean\": %.3f,\n  \"auth_rtt_ms_mean\": %.3f,\n",
		g.init_rtt_n ? g.init_rtt_sum / (double)g.init_rtt_n : 0,
		g.auth_rtt_n ? g.auth_rtt_sum / (double)g.auth_rtt_n : 0);
	fprintf(f, "  \"retransmits\": %lu,\n  \"cookies\": %lu,\n"
		"  \"stale\": %lu,\n  \"rx_bad\": %lu,\n", g.retransmits,
		g.cookies, g.stale, g.rx_bad);
	fprintf(f, "  \"initiator_cpu_s\": %.3f,\n  \"timeline\": [", cpu);
	for (size_t i = 0; i < g.n_tl; i++)
		fprintf(f, "%s[%.3f, %lu, %lu]", i ? ", " : "", g.tl[i].t,
			g.tl[i].est, g.tl[i].fail);
	fprintf(f, "]\n}\n");
	fclose(f);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[RX_BUF];
	struct pollfd pfd[MAX_SOCKETS];
	uint64_t now, next_tick;
	double cpu0;

	parse_args(argc, argv);
	if (setup() < 0)
		return 2;
	for (unsigned i = 0; i < opt.sockets; i++)
		pfd[i] = (struct pollfd){ .fd = g.fd[i], .events = POLLIN };

	cpu0 = cpu_s();
	now = g.t_start = g.t_end = now_ns();
	next_tick = now + 1000000000ull;
	while (g.established + g.failed < opt.count) {
		uint64_t next = next_tick;
		int wait_ms;

		/* every free slot takes the next SA */
		now = now_ns();
		for (unsigned i = 0; i < opt.window && g.started < opt.count; i++)
			if (g.slots[i].state == S_FREE)
				start_sa(&g.slots[i], now);
		if (g.established + g.failed >= opt.count)
			break;
		for (unsigned i = 0; i < opt.window; i++)
			if (g.slots[i].state != S_FREE && g.slots[i].deadline < next)
				next = g.slots[i].deadline;
		now = now_ns();
		wait_ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
		if (poll(pfd, opt.sockets, wait_ms) < 0 && errno != EINTR) {
			perror(PROG ": poll");
			return 2;
		}
		for (unsigned k = 0; k < opt.sockets; k++) {
			if (!(pfd[k].revents & POLLIN))
				continue;
			for (;;) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t n = recvfrom(g.fd[k], buf, sizeof(buf), 0,
						     (struct sockaddr *)&from, &fl);

				if (n < 0)
					break;
				on_datagram(buf, (size_t)n, &from, now_ns());
			}
		}
		now = now_ns();
		for (unsigned i = 0; i < opt.window; i++) {
			struct slot *s = &g.slots[i];

			if (s->state != S_FREE && s->deadline <= now)
				on_timeout(s, now);
		}
		if (now >= next_tick) {
			timeline_add(now);
			if (opt.progress)
				fprintf(stderr, "%s: %.0f s: %lu established, %lu failed,"
					" %lu retransmits\n", PROG,
					(double)(now - g.t_start) / 1e9,
					g.established, g.failed, g.retransmits);
			next_tick += 1000000000ull;
		}
	}
	timeline_add(now_ns());
	report(cpu_s() - cpu0);
	return g.failed ? 1 : 0;
}
