/* SPDX-License-Identifier: BSD-3-Clause
 * The IKEv2 responder against an initiator written here, both in this
 * process: the responder on two UDP ports of the host, the initiator on
 * a UDP socket of 127.0.0.1, the control plane's event loop run between
 * sends and receives. The initiator builds its messages with ike_msg,
 * keys and protects them with ike_crypto and signs with x509, using a PKI
 * made at run time; every response is checked byte for byte or payload
 * by payload.
 *
 * Covered: a full IKE_SA_INIT + IKE_AUTH (payload order, NAT detection,
 * CERTREQ, the gateway's AUTH, the virtual address, narrowed traffic
 * selectors, the ESP SA, the CHILD SA's keys in the tunnel manager),
 * retransmissions of both requests, INVALID_KE_PAYLOAD,
 * NO_PROPOSAL_CHOSEN, UNSUPPORTED_CRITICAL_PAYLOAD, malformed and
 * truncated datagrams, IKE_AUTH with a wrong SPI, message ID or ICV,
 * INFORMATIONAL (liveness, DELETE of the IKE SA), a revoked client, no
 * configuration payload, and an exhausted address pool; COOKIE and the
 * half-open limit per address; CREATE_CHILD_SA (CHILD SA rekeys with and
 * without PFS, INVALID_KE_PAYLOAD, CHILD_SA_NOT_FOUND, NO_ADDITIONAL_SAS,
 * DELETE of the replaced SA; IKE SA rekey); RFC 7383 fragments both ways;
 * the gateway's liveness checks of an idle client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cptest.h"
#include "pki_gen.h"

#include "cp.h"
#include "ike.h"
#include "ike_int.h"
#include "jw.h"
#include "log.h"
#include "loop.h"
#include "tunnels.h"
#include "x509.h"

enum {
	MSG_MAX = 8192,
	ESP_SPI_BASE = 0xc1e70000,	/* plus the initiator's UDP port */
	LOCALHOST = 0x7f000001,
	UNKNOWN_PL = 130,		/* a private-use payload type */
};

#define DAY (24 * 3600L)
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define SIGHASHES ((uint16_t)(1u << SIGHASH_SHA256 | 1u << SIGHASH_SHA384 | \
			      1u << SIGHASH_SHA512))

/* ---- the PKI ---------------------------------------------------------------- */

struct client {
	const char *fqdn;		/* its IDi, a SAN dNSName */
	EVP_PKEY *key;
	X509 *cert;
};

static struct {
	EVP_PKEY *k_ca, *k_gw, *k_gw_rsa;
	X509 *ca, *gw, *gw_rsa;
	struct client rsa, ec, ec2, revoked;
	const char *ca_pem, *gw_pem, *gw_key;
	/* An RSA gateway certificate sent with the CA as its chain: an
	 * IKE_AUTH response above 1280 bytes. */
	const char *gw_rsa_pem, *gw_rsa_key;
	char revoked_hex[41];
} pki;

static void
make_client(struct client *c, const char *cn, const char *fqdn,
	    const char *curve)
{
	char san[128];

	snprintf(san, sizeof(san), "DNS:%s", fqdn);
	c->fqdn = fqdn;
	c->key = keygen(curve);
	c->cert = make_cert(&(struct certspec){ cn, c->key, pki.ca, pki.k_ca,
		false, -DAY, 365 * DAY, san });
}

static void
make_pki(void)
{
	uint8_t th[X509_THUMB_LEN];
	unsigned int n = 0;

	pki.k_ca = keygen("P-256");
	pki.k_gw = keygen("P-256");
	pki.ca = make_cert(&(struct certspec){ "Responder Test CA", pki.k_ca,
		NULL, NULL, true, -30 * DAY, 3650 * DAY, NULL });
	pki.gw = make_cert(&(struct certspec){ "vpn.gw.test", pki.k_gw,
		pki.ca, pki.k_ca, false, -DAY, 365 * DAY, "DNS:vpn.gw.test" });
	pki.k_gw_rsa = keygen(NULL);
	pki.gw_rsa = make_cert(&(struct certspec){ "vpn.gw.test (RSA)",
		pki.k_gw_rsa, pki.ca, pki.k_ca, false, -DAY, 365 * DAY,
		"DNS:vpn.gw.test" });
	make_client(&pki.rsa, "rsa client", "rsa.client.test", NULL);
	make_client(&pki.ec, "ec client", "ec.client.test", "P-256");
	make_client(&pki.ec2, "ec2 client", "ec2.client.test", "P-384");
	make_client(&pki.revoked, "revoked client", "revoked.client.test",
		    "P-256");
	X509_digest(pki.revoked.cert, EVP_sha1(), th, &n);
	x509_thumb_hex(th, pki.revoked_hex);
	pki.ca_pem = write_pem("ca.pem", pki.ca, NULL, NULL, NULL);
	pki.gw_pem = write_pem("gw.pem", pki.gw, NULL, NULL, NULL);
	pki.gw_key = write_pem("gw.key", NULL, NULL, pki.k_gw, NULL);
	pki.gw_rsa_pem = write_pem("gw-rsa.pem", pki.gw_rsa, pki.ca, NULL, NULL);
	pki.gw_rsa_key = write_pem("gw-rsa.key", NULL, NULL, pki.k_gw_rsa,
				   NULL);
}

static void
free_pki(void)
{
	struct client *cs[] = { &pki.rsa, &pki.ec, &pki.ec2, &pki.revoked };

	for (unsigned i = 0; i < 4; i++) {
		EVP_PKEY_free(cs[i]->key);
		X509_free(cs[i]->cert);
	}
	EVP_PKEY_free(pki.k_ca);
	EVP_PKEY_free(pki.k_gw);
	EVP_PKEY_free(pki.k_gw_rsa);
	X509_free(pki.ca);
	X509_free(pki.gw);
	X509_free(pki.gw_rsa);
	pki_files_remove();
}

/* A configuration with address pool POOL, the PKI above (the gateway's
 * certificate GW_PEM, key GW_KEY), the revoked client listed, IKE SAs of
 * aes256gcm16-prfsha256-ecp256 only, and IKE settings IKE_EXTRA. */
static const char *
write_config_ike(const char *name, const char *pool, const char *ike_extra,
		 const char *gw_pem, const char *gw_key)
{
	char text[4096];

	snprintf(text, sizeof(text),
		"gateway = { name = \"t\"; sku = \"VpnGw1\"; };\n"
		"dataplane = {\n"
		"  lcores = \"1\"; file_prefix = \"ikeresp\";\n"
		"  ports = (\n"
		"    { name = \"up\"; role = \"uplink\"; device = \"net_null0\";\n"
		"      address = \"172.16.10.1/24\"; gateway = \"172.16.10.254\"; },\n"
		"    { name = \"vn\"; role = \"vnet\"; device = \"net_null1\";\n"
		"      address = \"10.10.0.1/24\"; } );\n"
		"  exception = { enabled = false; };\n"
		"};\n"
		"p2s = { tunnel_types = [ \"ikev2\" ];\n"
		"        address_pool = [ \"%s\" ];\n"
		"        routes = [ \"10.10.0.0/24\", \"192.168.50.0/24\" ];\n"
		"        dns = [ \"10.10.0.53\" ]; };\n"
		"control = { socket = \"%s/ctl.sock\"; };\n"
		"auth = { root_cas = [ \"%s\" ];\n"
		"         revoked = [ \"%s\" ];\n"
		"         certificate = \"%s\"; private_key = \"%s\"; };\n"
		"ike = { proposals = [ \"aes256gcm16-prfsha256-ecp256\" ];\n"
		"        %s };\n",
		pool, tmpdir, pki.ca_pem, pki.revoked_hex, gw_pem, gw_key,
		ike_extra);
	return write_text(name, text);
}

static const char *
write_config(const char *name, const char *pool)
{
	return write_config_ike(name, pool, "", pki.gw_pem, pki.gw_key);
}

/* ---- the responder's side: a control plane with IKE and no region ----------- */

struct fx {
	struct cp cp;
	struct ike *ike;
	uint16_t port, natt_port;
};

/* Two UDP ports that are free now (bound together, then released). */
static int
free_ports(uint16_t *a, uint16_t *b)
{
	int fd[2] = { -1, -1 }, rc = -1;
	uint16_t port[2];

	for (unsigned i = 0; i < 2; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sin);

		fd[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd[i] < 0 || bind(fd[i], (struct sockaddr *)&sin,
				      sizeof(sin)) < 0 ||
		    getsockname(fd[i], (struct sockaddr *)&sin, &sl) < 0) {
			fprintf(stderr, "cannot get a free UDP port: %s\n",
				strerror(errno));
			goto out;
		}
		port[i] = ntohs(sin.sin_port);
	}
	*a = port[0];
	*b = port[1];
	rc = 0;
out:
	for (unsigned i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return rc;
}

static int
fx_open(struct fx *f, const char *cfg_path)
{
	char err[P2SGW_CFG_ERR_LEN + 256];
	struct tm_net net = { 0 };

	memset(f, 0, sizeof(*f));
	if (p2sgw_config_load(cfg_path, &f->cp.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	for (unsigned i = 0; i < f->cp.cfg.dataplane.n_ports; i++) {
		const struct p2sgw_port_cfg *p = &f->cp.cfg.dataplane.ports[i];

		if (p->role == P2SGW_PORT_UPLINK) {
			net.local = p->address.addr;
			net.uplink = p->address;
			net.gateway = p->gateway;
		}
	}
	f->cp.loop = loop_new();
	f->cp.tm = tm_new(&net);
	if (f->cp.loop == NULL || f->cp.tm == NULL) {
		fprintf(stderr, "out of memory\n");
		return -1;
	}
	if (free_ports(&f->port, &f->natt_port) < 0)
		return -1;
	f->ike = ike_new(&f->cp, f->port, f->natt_port, err, sizeof(err));
	if (f->ike == NULL) {
		fprintf(stderr, "cannot start the IKEv2 responder on UDP %u and "
			"%u: %s\n", f->port, f->natt_port, err);
		return -1;
	}
	return 0;
}

static void
fx_close(struct fx *f)
{
	ike_free(f->ike);
	tm_free(f->cp.tm);
	loop_free(f->cp.loop);
	p2sgw_config_free(&f->cp.cfg);
	memset(f, 0, sizeof(*f));
}

/* ---- the initiator ------------------------------------------------------------ */

struct ini {
	struct fx *fx;
	int fd;
	uint16_t port;			/* ours, on 127.0.0.1 */
	uint32_t esp_spi;		/* ours, in IKE_AUTH's SA */
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	struct ike_suite suite;
	uint8_t ni[IKE_NONCE_LEN], nr[IKE_NONCE_MAX];
	size_t nr_len;
	uint16_t peer_hashes;
	struct ike_keys k;
	struct ike_sk_dir out, in;
	uint64_t iv_seq;
	uint8_t init_req[MSG_MAX], init_resp[MSG_MAX];
	size_t init_req_len, init_resp_len;
	bool frag;			/* IKEV2_FRAGMENTATION_SUPPORTED sent */
};

/* What IKE_SA_INIT offers. */
struct init_opt {
	uint16_t keylen;		/* the ENCR transform's KEY_LENGTH */
	uint16_t groups[2];		/* DH transforms (0 ends the list) */
	uint16_t ke;			/* the KE payload's group */
	uint8_t extra;			/* an unknown payload, 0: none */
	bool extra_critical;
	bool frag;			/* N(IKEV2_FRAGMENTATION_SUPPORTED) */
	const uint8_t *cookie;		/* N(COOKIE) first, NULL: none */
	size_t cookie_len;
};

static const struct init_opt INIT_OK = {
	256, { IKE_DH_ECP256 }, IKE_DH_ECP256, 0, false
};

/* What the responder gave in a successful IKE_AUTH. */
struct granted {
	uint32_t vip;
	uint32_t esp_spi;		/* its SPI, in the response's SA */
};

static int
ini_open(struct ini *c, struct fx *fx)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(LOCALHOST) };
	socklen_t sl = sizeof(sin);

	memset(c, 0, sizeof(*c));
	c->fx = fx;
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&sin, &sl) < 0) {
		fprintf(stderr, "initiator socket on 127.0.0.1: %s\n",
			strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->port = ntohs(sin.sin_port);
	c->esp_spi = ESP_SPI_BASE + c->port;
	c->suite = (struct ike_suite){ IKE_ENCR_AES_GCM16, IKE_INTEG_NONE,
		IKE_PRF_HMAC_SHA256, IKE_DH_ECP256 };
	if (RAND_bytes(c->spi_i, sizeof(c->spi_i)) != 1 ||
	    RAND_bytes(c->ni, sizeof(c->ni)) != 1)
		return -1;
	c->spi_i[0] |= 1;		/* never zero */
	return 0;
}

static void
ini_close(struct ini *c)
{
	if (c->fd >= 0)
		close(c->fd);
	OPENSSL_cleanse(c, sizeof(*c));
	c->fd = -1;
}

/* ---- datagrams ---- */

static void
send_msg(const struct ini *c, const uint8_t *b, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(LOCALHOST),
		.sin_port = htons(c->fx->port) };

	CHECK(sendto(c->fd, b, len, 0, (struct sockaddr *)&to, sizeof(to)) ==
	      (ssize_t)len, "sendto: %s", strerror(errno));
}

/* Run the loop until a datagram arrives (its length) or 0.5 s pass (0). */
static size_t
recv_msg(const struct ini *c, uint8_t *b, size_t cap)
{
	for (unsigned i = 0; i < 50; i++) {
		ssize_t n;

		loop_run_once(c->fx->cp.loop, 10);
		n = recv(c->fd, b, cap, MSG_DONTWAIT);
		if (n > 0)
			return (size_t)n;
	}
	return 0;
}

static size_t
xchg(const struct ini *c, const uint8_t *req, size_t len, uint8_t *resp,
     size_t cap)
{
	send_msg(c, req, len);
	return recv_msg(c, resp, cap);
}

/* Send REQ; true when nothing comes back while the loop runs a while. */
static bool
no_answer(const struct ini *c, const uint8_t *req, size_t len)
{
	uint8_t b[MSG_MAX];

	send_msg(c, req, len);
	for (unsigned i = 0; i < 5; i++)
		loop_run_once(c->fx->cp.loop, 10);
	return recv(c->fd, b, sizeof(b), MSG_DONTWAIT) < 0;
}

/* ---- building ---- */

static void
natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], uint32_t addr,
	  uint16_t port, uint8_t out[IKE_NATD_LEN])
{
	uint8_t in[22];
	unsigned int n = 0;

	memcpy(in, spi_i, 8);
	memcpy(in + 8, spi_r, 8);
	ike_put32(in + 16, addr);
	ike_put16(in + 20, port);
	EVP_Digest(in, sizeof(in), out, &n, EVP_sha1(), NULL);
}

static uint8_t *
put_xform(uint8_t *p, bool last, uint8_t type, uint16_t id, uint16_t keylen)
{
	size_t len = IKE_XFORM_HDR_LEN + (keylen ? IKE_ATTR_TV_LEN : 0);

	p[0] = last ? IKE_XFORM_LAST : IKE_XFORM_MORE;
	p[1] = 0;
	ike_put16(p + 2, (uint16_t)len);
	p[4] = type;
	p[5] = 0;
	ike_put16(p + 6, id);
	if (keylen) {
		ike_put16(p + 8, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH);
		ike_put16(p + 10, keylen);
	}
	return p + len;
}

/* One IKE proposal: AES-GCM-16 with KEYLEN, PRF-SHA256, the groups. */
static void
out_ike_sa(struct ike_out *o, const struct init_opt *opt)
{
	unsigned ng = opt->groups[1] ? 2 : 1;
	size_t len = IKE_PROP_HDR_LEN + IKE_XFORM_HDR_LEN + IKE_ATTR_TV_LEN +
		IKE_XFORM_HDR_LEN + ng * IKE_XFORM_HDR_LEN;
	uint8_t *p = ike_out_pl(o, IKE_PL_SA, len);

	if (p == NULL)
		return;
	p[0] = IKE_PROP_LAST;
	p[1] = 0;
	ike_put16(p + 2, (uint16_t)len);
	p[4] = 1;
	p[5] = IKE_PROTO_IKE;
	p[6] = 0;
	p[7] = (uint8_t)(2 + ng);
	p += IKE_PROP_HDR_LEN;
	p = put_xform(p, false, IKE_XF_ENCR, IKE_ENCR_AES_GCM16, opt->keylen);
	p = put_xform(p, false, IKE_XF_PRF, IKE_PRF_HMAC_SHA256, 0);
	for (unsigned i = 0; i < ng; i++)
		p = put_xform(p, i + 1 == ng, IKE_XF_DH, opt->groups[i], 0);
}

/* IKE_SA_INIT request into c->init_req; DH is the key pair of opt->ke. */
static size_t
build_init(struct ini *c, const struct init_opt *opt, const struct ike_dh *dh)
{
	static const uint8_t zero[8];
	struct ike_hdr h = { .exchange = IKE_SA_INIT,
		.flags = IKE_FLAG_INITIATOR };
	size_t klen = ike_dh_len(opt->ke);
	uint8_t natd[IKE_NATD_LEN], hashes[6] = { 0, 2, 0, 3, 0, 4 };
	struct ike_out o;
	uint8_t *p;

	memcpy(h.spi_i, c->spi_i, IKE_SPI_LEN);
	ike_out_init(&o, c->init_req, sizeof(c->init_req), &h);
	if (opt->cookie != NULL)
		ike_out_notify(&o, 0, IKE_N_COOKIE, opt->cookie,
			       opt->cookie_len);
	out_ike_sa(&o, opt);
	p = ike_out_pl(&o, IKE_PL_KE, IKE_KE_FIXED + klen);
	if (p != NULL) {
		ike_put16(p, opt->ke);
		p[2] = p[3] = 0;
		CHECK(ike_dh_public(dh, p + IKE_KE_FIXED, klen) == 0, "KE");
	}
	ike_out_copy(&o, IKE_PL_NONCE, c->ni, sizeof(c->ni));
	if (opt->extra) {
		p = ike_out_pl(&o, opt->extra, 4);
		if (p != NULL) {
			memcpy(p, "\xde\xad\xbe\xef", 4);
			if (opt->extra_critical)
				p[-3] |= IKE_CRITICAL;
		}
	}
	natd_hash(c->spi_i, zero, LOCALHOST, c->port, natd);
	ike_out_notify(&o, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	natd_hash(c->spi_i, zero, LOCALHOST, c->fx->port, natd);
	ike_out_notify(&o, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd,
		       sizeof(natd));
	ike_out_notify(&o, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes,
		       sizeof(hashes));
	if (opt->frag)
		ike_out_notify(&o, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
			       NULL, 0);
	c->frag = opt->frag;
	CHECK(ike_out_finish(&o) == 0, "IKE_SA_INIT does not fit");
	c->init_req_len = o.len;
	return o.len;
}

/* AUTH octets: MSG | NONCE | prf(SK_p, ID payload body). */
static size_t
auth_octets(const struct ini *c, const uint8_t *msg, size_t mlen,
	    const uint8_t *nonce, size_t nlen, const uint8_t *skp,
	    const uint8_t *id, size_t idlen, uint8_t *out)
{
	memcpy(out, msg, mlen);
	memcpy(out + mlen, nonce, nlen);
	if (ike_prf(c->suite.prf, skp, c->k.p_len, id, idlen,
		    out + mlen + nlen) < 0)
		return 0;
	return mlen + nlen + ike_prf_len(c->suite.prf);
}

static const struct ike_ts ANY_TS = { IKE_TS_IPV4_ADDR_RANGE, 0, 0, 65535,
	0, 0xffffffff };

/* The inner payloads of IKE_AUTH for WHO into BUF; their first type in
 * *FIRST. */
static size_t
build_auth(const struct ini *c, const struct client *who, bool with_cp,
	   uint8_t *buf, size_t cap, uint8_t *first)
{
	static uint8_t octets[2 * MSG_MAX];
	uint8_t idi[IKE_ID_FIXED + 64], sig[1024], method = 0;
	size_t idlen = IKE_ID_FIXED + strlen(who->fqdn), olen, slen = 0;
	struct ike_choice esp = { .proto = IKE_PROTO_ESP,
		.spi_len = IKE_ESP_SPI_LEN, .num = 1,
		.encr = IKE_ENCR_AES_GCM16, .encr_keylen = 256,
		.esn = IKE_ESN_NO };
	unsigned char *der = NULL;
	int dlen = i2d_X509(who->cert, &der);
	char err[256];
	struct ike_out o;
	uint8_t *p;

	idi[0] = IKE_ID_FQDN;
	idi[1] = idi[2] = idi[3] = 0;
	memcpy(idi + IKE_ID_FIXED, who->fqdn, strlen(who->fqdn));
	ike_out_chain(&o, buf, cap);
	ike_out_copy(&o, IKE_PL_IDI, idi, idlen);
	p = ike_out_pl(&o, IKE_PL_CERT, IKE_CERT_FIXED + (size_t)dlen);
	if (p != NULL) {
		p[0] = IKE_CERT_X509_SIG;
		memcpy(p + 1, der, (size_t)dlen);
	}
	OPENSSL_free(der);
	olen = auth_octets(c, c->init_req, c->init_req_len, c->nr, c->nr_len,
			   c->k.pi, idi, idlen, octets);
	CHECK(olen > 0 && x509_auth_sign(who->key, c->peer_hashes, octets,
					 olen, &method, sig, sizeof(sig),
					 &slen, err, sizeof(err)) == 0,
	      "signing as %s: %s", who->fqdn, err);
	p = ike_out_pl(&o, IKE_PL_AUTH, IKE_AUTH_FIXED + slen);
	if (p != NULL) {
		p[0] = method;
		p[1] = p[2] = p[3] = 0;
		memcpy(p + IKE_AUTH_FIXED, sig, slen);
	}
	if (with_cp) {
		/* CFG_REQUEST for INTERNAL_IP4_ADDRESS and INTERNAL_IP4_DNS */
		static const uint8_t cp[] = { IKE_CFG_REQUEST, 0, 0, 0,
			0, IKE_CFG_IP4_ADDRESS, 0, 0, 0, IKE_CFG_IP4_DNS, 0, 0 };

		ike_out_copy(&o, IKE_PL_CP, cp, sizeof(cp));
	}
	ike_put32(esp.spi, c->esp_spi);
	ike_out_sa(&o, &esp);
	ike_out_ts(&o, IKE_PL_TSI, &ANY_TS, 1);
	ike_out_ts(&o, IKE_PL_TSR, &ANY_TS, 1);
	CHECK(!o.overflow, "IKE_AUTH does not fit");
	*first = ike_out_first(&o);
	return o.len;
}

/* A message of EXCHANGE with MSGID and FLAGS protecting INNER (FIRST its
 * first payload type) into OUT. */
static size_t
seal_flags(struct ini *c, uint8_t exchange, uint32_t msgid, uint8_t flags,
	   const uint8_t *inner, size_t ilen, uint8_t first, uint8_t *out,
	   size_t cap)
{
	struct ike_hdr h = { .exchange = exchange, .msgid = msgid,
		.flags = flags };
	size_t iv = c->out.encr == IKE_ENCR_AES_GCM16 ? IKE_GCM_IV_LEN :
		IKE_CBC_IV_LEN;
	struct ike_out o;
	uint8_t *p;

	memcpy(h.spi_i, c->spi_i, IKE_SPI_LEN);
	memcpy(h.spi_r, c->spi_r, IKE_SPI_LEN);
	ike_out_init(&o, out, cap, &h);
	p = ike_out_pl(&o, IKE_PL_SK, ike_sk_body_len(&c->out, ilen));
	if (p == NULL || ike_out_finish(&o) < 0) {
		CHECK(0, "request of %zu bytes does not fit", ilen);
		return 0;
	}
	p[-IKE_GEN_HDR_LEN] = first;
	if (ilen > 0)
		memcpy(p + iv, inner, ilen);
	if (ike_sk_seal(&c->out, ++c->iv_seq, out, (size_t)(p - out), ilen,
			o.len) < 0) {
		CHECK(0, "cannot seal");
		return 0;
	}
	return o.len;
}

/* A request of EXCHANGE with MSGID protecting INNER into OUT. */
static size_t
seal(struct ini *c, uint8_t exchange, uint32_t msgid, const uint8_t *inner,
     size_t ilen, uint8_t first, uint8_t *out, size_t cap)
{
	return seal_flags(c, exchange, msgid, IKE_FLAG_INITIATOR, inner, ilen,
			  first, out, cap);
}

/* Check the header of message B (EXCHANGE, MSGID, FLAGS) and open its SK
 * payload into M (which points into B). 0, or -1. */
static int
open_msg(const struct ini *c, uint8_t *b, size_t len, uint8_t exchange,
	 uint32_t msgid, uint8_t flags, struct ike_msg *m)
{
	const char *why = "";
	uint8_t *inner;
	size_t ilen;

	if (len == 0 || ike_parse(b, len, m, &why) < 0) {
		CHECK(0, "no response, or it does not parse: %s", why);
		return -1;
	}
	CHECK(!memcmp(m->hdr.spi_i, c->spi_i, 8) &&
	      !memcmp(m->hdr.spi_r, c->spi_r, 8), "response's SPIs");
	CHECK(m->hdr.flags == flags && m->hdr.version == IKE_VERSION,
	      "flags %#x, want %#x", m->hdr.flags, flags);
	CHECK(m->hdr.exchange == exchange && m->hdr.msgid == msgid,
	      "exchange %u message %u, want %u %u", m->hdr.exchange,
	      m->hdr.msgid, exchange, msgid);
	CHECK(m->n == 1 && m->pl[0].type == IKE_PL_SK, "only an SK payload");
	if (m->sk_off == 0 ||
	    ike_sk_open(&c->in, b, m->sk_off, len, &inner, &ilen) < 0) {
		CHECK(0, "the response's SK payload does not open");
		return -1;
	}
	if (ike_parse_inner(m, m->sk_first, inner, ilen, &why) < 0) {
		CHECK(0, "inner payloads: %s", why);
		return -1;
	}
	return 0;
}

/* The same for a response to our request. */
static int
open_resp(const struct ini *c, uint8_t *b, size_t len, uint8_t exchange,
	  uint32_t msgid, struct ike_msg *m)
{
	return open_msg(c, b, len, exchange, msgid, IKE_FLAG_RESPONSE, m);
}

/* ---- the responder's answers ---- */

/* B is exactly an unprotected IKE_SA_INIT response to C carrying the
 * single notify TYPE with DATA. */
static void
expect_init_notify(const struct ini *c, const uint8_t *b, size_t len,
		   uint16_t type, const void *data, size_t dlen)
{
	struct ike_hdr h = { .exchange = IKE_SA_INIT,
		.flags = IKE_FLAG_RESPONSE };
	uint8_t want[128];
	struct ike_out o;

	memcpy(h.spi_i, c->spi_i, IKE_SPI_LEN);
	ike_out_init(&o, want, sizeof(want), &h);
	ike_out_notify(&o, 0, type, data, dlen);
	ike_out_finish(&o);
	CHECK(len == o.len && memcmp(b, want, len) == 0,
	      "want exactly N(%s) (%zu bytes), got %zu bytes",
	      ike_notify_name(type), o.len, len);
}

/* M (opened) carries exactly one notify TYPE and nothing else. */
static void
expect_sk_notify(const struct ike_msg *m, uint16_t type)
{
	struct ike_notify_pl n = { 0 };
	const char *why;

	CHECK(m->n == 2 && m->pl[1].type == IKE_PL_NOTIFY && m->pl[1].inner,
	      "one inner payload, got %u payloads", m->n);
	if (m->n != 2)
		return;
	CHECK(ike_dec_notify(&m->pl[1], &n, &why) == 0 && n.proto == 0 &&
	      n.spi_len == 0 && n.type == type && n.len == 0,
	      "N(%s), got notify %u with %zu bytes", ike_notify_name(type),
	      n.type, n.len);
}

/* Check the IKE_SA_INIT response B (payload by payload) and derive the
 * IKE SA's keys from it with DH. 0, or -1. */
static int
take_init_resp(struct ini *c, struct ike_dh *dh, uint8_t *b, size_t len)
{
	/* with N(IKEV2_FRAGMENTATION_SUPPORTED) when C offered it */
	static const uint8_t want_types[] = { IKE_PL_SA, IKE_PL_KE,
		IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_NOTIFY, IKE_PL_CERTREQ,
		IKE_PL_NOTIFY, IKE_PL_NOTIFY };
	static const uint16_t want_notify[2][4] = {
		{ IKE_N_NAT_DETECTION_SOURCE_IP,
		  IKE_N_NAT_DETECTION_DESTINATION_IP,
		  IKE_N_SIGNATURE_HASH_ALGORITHMS },
		{ IKE_N_NAT_DETECTION_SOURCE_IP,
		  IKE_N_NAT_DETECTION_DESTINATION_IP,
		  IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
		  IKE_N_SIGNATURE_HASH_ALGORITHMS } };
	const unsigned n_types = c->frag ? 8 : 7, n_notify = c->frag ? 4 : 3;
	static struct ike_sa_pl sa;
	static struct ike_msg m;
	uint8_t gir[IKE_MAX_DH_LEN], natd[2][IKE_NATD_LEN], ca_hash[20];
	uint8_t spki_buf[512], *spki = spki_buf;
	unsigned nn = 0, hl = 0;
	struct ike_ke ke = { 0 };
	const char *why = "";
	size_t glen = 0;
	int spki_len;

	if (len == 0 || ike_parse(b, len, &m, &why) < 0) {
		CHECK(0, "IKE_SA_INIT response missing or malformed: %s", why);
		return -1;
	}
	memcpy(c->spi_r, m.hdr.spi_r, IKE_SPI_LEN);
	CHECK(!memcmp(m.hdr.spi_i, c->spi_i, 8) &&
	      memcmp(c->spi_r, "\0\0\0\0\0\0\0\0", 8) != 0, "SPIs");
	CHECK(m.hdr.flags == IKE_FLAG_RESPONSE && m.hdr.msgid == 0 &&
	      m.hdr.exchange == IKE_SA_INIT, "header");
	CHECK(m.n == n_types && m.sk_off == 0, "%u payloads", m.n);
	for (unsigned i = 0; i < m.n && i < n_types; i++)
		CHECK(m.pl[i].type == want_types[i] && !m.pl[i].critical,
		      "payload %u is %u, want %u", i, m.pl[i].type,
		      want_types[i]);
	if (m.n != n_types)
		return -1;

	/* SA: our proposal 1 with one transform of each type */
	CHECK(ike_dec_sa(&m.pl[0], &sa, &why) == 0 && sa.n == 1, "SA: %s", why);
	CHECK(sa.prop[0].num == 1 && sa.prop[0].proto == IKE_PROTO_IKE &&
	      sa.prop[0].spi_len == 0 && sa.prop[0].n_xf == 3, "proposal");
	CHECK(sa.prop[0].xf[0].type == IKE_XF_ENCR &&
	      sa.prop[0].xf[0].id == IKE_ENCR_AES_GCM16 &&
	      sa.prop[0].xf[0].keylen == 256 &&
	      sa.prop[0].xf[1].type == IKE_XF_PRF &&
	      sa.prop[0].xf[1].id == IKE_PRF_HMAC_SHA256 &&
	      sa.prop[0].xf[2].type == IKE_XF_DH &&
	      sa.prop[0].xf[2].id == IKE_DH_ECP256, "transforms");

	/* KE, Nonce */
	CHECK(ike_dec_ke(&m.pl[1], &ke, &why) == 0 &&
	      ke.group == IKE_DH_ECP256 && ke.len == ike_dh_len(IKE_DH_ECP256) &&
	      m.pl[1].body[2] == 0 && m.pl[1].body[3] == 0, "KE");
	CHECK(m.pl[2].len == IKE_NONCE_LEN, "Nr of %u bytes", m.pl[2].len);
	c->nr_len = m.pl[2].len <= IKE_NONCE_MAX ? m.pl[2].len : 0;
	memcpy(c->nr, m.pl[2].body, c->nr_len);

	/* NAT_DETECTION_*: no NAT between 127.0.0.1 and 127.0.0.1 */
	natd_hash(c->spi_i, c->spi_r, LOCALHOST, c->fx->port, natd[0]);
	natd_hash(c->spi_i, c->spi_r, LOCALHOST, c->port, natd[1]);
	for (unsigned i = 3; i < m.n; i++) {
		struct ike_notify_pl n;

		if (m.pl[i].type != IKE_PL_NOTIFY)
			continue;
		CHECK(ike_dec_notify(&m.pl[i], &n, &why) == 0 && n.proto == 0 &&
		      n.spi_len == 0 && nn < n_notify &&
		      n.type == want_notify[c->frag][nn],
		      "notify %u: %u", nn, n.type);
		if (nn < 2)
			CHECK(n.len == IKE_NATD_LEN &&
			      !memcmp(n.data, natd[nn], IKE_NATD_LEN),
			      "NAT_DETECTION hash %u", nn);
		else if (n.type == IKE_N_IKEV2_FRAGMENTATION_SUPPORTED)
			CHECK(n.len == 0, "IKEV2_FRAGMENTATION_SUPPORTED with "
			      "%zu bytes", n.len);
		else
			CHECK(n.len == 6 && !memcmp(n.data, "\0\2\0\3\0\4", 6),
			      "SIGNATURE_HASH_ALGORITHMS SHA-256/384/512");
		nn++;
	}
	c->peer_hashes = SIGHASHES;

	/* CERTREQ: the SHA-1 of our CA's SubjectPublicKeyInfo */
	spki_len = i2d_PUBKEY(pki.k_ca, &spki);
	EVP_Digest(spki_buf, (size_t)spki_len, ca_hash, &hl, EVP_sha1(), NULL);
	CHECK(m.pl[5].len == 1 + sizeof(ca_hash) &&
	      m.pl[5].body[0] == IKE_CERT_X509_SIG &&
	      !memcmp(m.pl[5].body + 1, ca_hash, sizeof(ca_hash)), "CERTREQ");

	if (ke.len == 0 || c->nr_len == 0 ||
	    ike_dh_shared(dh, ke.data, ke.len, gir, sizeof(gir), &glen) < 0 ||
	    ike_derive_keys(&c->suite, c->ni, sizeof(c->ni), c->nr, c->nr_len,
			    gir, glen, c->spi_i, c->spi_r, NULL, 0, &c->k) < 0) {
		CHECK(0, "cannot derive the IKE SA's keys");
		return -1;
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	c->out = (struct ike_sk_dir){ c->suite.encr, c->suite.integ, c->k.ei,
		NULL };
	c->in = (struct ike_sk_dir){ c->suite.encr, c->suite.integ, c->k.er,
		NULL };
	memcpy(c->init_resp, b, len);
	c->init_resp_len = len;
	return 0;
}

/* IKE_SA_INIT with the default offer; 0 once the keys are derived. */
static int
do_init(struct ini *c)
{
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	uint8_t resp[MSG_MAX];
	size_t len;
	int rc = -1;

	if (dh != NULL) {
		len = build_init(c, &INIT_OK, dh);
		rc = take_init_resp(c, dh, resp,
				    xchg(c, c->init_req, len, resp, sizeof(resp)));
	}
	ike_dh_free(dh);
	return rc;
}

/* The sealed IKE_AUTH request (message 1) for WHO into REQ. */
static size_t
auth_request(struct ini *c, const struct client *who, bool with_cp,
	     uint32_t msgid, uint8_t *req, size_t cap)
{
	uint8_t inner[MSG_MAX], first = 0;
	size_t ilen = build_auth(c, who, with_cp, inner, sizeof(inner), &first);

	return seal(c, IKE_AUTH, msgid, inner, ilen, first, req, cap);
}

static uint32_t
ts_pl_addr(const struct ike_pl *p, unsigned i, unsigned off)
{
	return ike_get32(p->body + IKE_TS_FIXED + i * IKE_TS4_LEN + off);
}

/* Check a successful IKE_AUTH response M (opened) payload by payload,
 * signed with the certificate GW sent with CHAIN (NULL: none) after it;
 * what it grants into G. */
static void
check_auth_gw(const struct ini *c, const struct ike_msg *m, struct granted *g,
	      X509 *gw, X509 *chain)
{
	static const uint8_t want_types[] = { IKE_PL_IDR, IKE_PL_CERT,
		IKE_PL_CERT, IKE_PL_AUTH, IKE_PL_CP, IKE_PL_SA, IKE_PL_TSI,
		IKE_PL_TSR };
	static uint8_t octets[2 * MSG_MAX];
	static struct ike_sa_pl sa;
	const struct ike_pl *p = m->pl + 1;	/* after the SK payload */
	const struct ike_pl *idr = p;
	const unsigned n = chain != NULL ? 8 : 7;
	struct ike_auth_pl a = { 0 };
	struct ike_ts_pl ts;
	unsigned char *der = NULL;
	int dlen = i2d_X509(gw, &der);
	const char *why = "";
	uint8_t cp[20];
	char err[256] = "";
	size_t olen;

	memset(g, 0, sizeof(*g));
	CHECK(m->n == 1 + n, "%u inner payloads", m->n - 1);
	if (m->n != 1 + n) {
		OPENSSL_free(der);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t want = want_types[i + (chain == NULL && i >= 2)];

		CHECK(p[i].type == want && p[i].inner,
		      "inner payload %u is %u, want %u", i, p[i].type, want);
	}

	/* IDr: the gateway certificate's dNSName; its certificate */
	CHECK(p[0].len == IKE_ID_FIXED + 11 && p[0].body[0] == IKE_ID_FQDN &&
	      !memcmp(p[0].body + IKE_ID_FIXED, "vpn.gw.test", 11), "IDr");
	CHECK(p[1].len == 1 + (size_t)dlen && p[1].body[0] == IKE_CERT_X509_SIG &&
	      !memcmp(p[1].body + 1, der, (size_t)dlen), "CERT");
	OPENSSL_free(der);
	if (chain != NULL) {
		/* then the chain's certificate; the rest one payload on */
		der = NULL;
		dlen = i2d_X509(chain, &der);
		CHECK(p[2].len == 1 + (size_t)dlen &&
		      p[2].body[0] == IKE_CERT_X509_SIG &&
		      !memcmp(p[2].body + 1, der, (size_t)dlen), "chain CERT");
		OPENSSL_free(der);
		p++;
	}

	/* AUTH over RealMessage2 | Ni | prf(SK_pr, IDr') */
	olen = auth_octets(c, c->init_resp, c->init_resp_len, c->ni,
			   sizeof(c->ni), c->k.pr, idr->body, idr->len, octets);
	CHECK(ike_dec_auth(&p[2], &a, &why) == 0 &&
	      a.method == AUTH_DIGITAL_SIG, "AUTH method %u", a.method);
	CHECK(olen > 0 && x509_auth_verify(X509_get0_pubkey(gw), a.method,
					   a.data, a.len, octets, olen, err,
					   sizeof(err)) == 0,
	      "the gateway's AUTH does not verify: %s", err);

	/* CP: CFG_REPLY with the address and the DNS server, nothing else */
	g->vip = p[3].len == sizeof(cp) ? ike_get32(p[3].body + 8) : 0;
	memset(cp, 0, sizeof(cp));
	cp[0] = IKE_CFG_REPLY;
	ike_put16(cp + 4, IKE_CFG_IP4_ADDRESS);
	ike_put16(cp + 6, 4);
	ike_put32(cp + 8, g->vip);
	ike_put16(cp + 12, IKE_CFG_IP4_DNS);
	ike_put16(cp + 14, 4);
	ike_put32(cp + 16, IP4(10, 10, 0, 53));
	CHECK(p[3].len == sizeof(cp) && !memcmp(p[3].body, cp, sizeof(cp)),
	      "CP reply of %u bytes", p[3].len);
	CHECK(pool_contains(&c->fx->ike->pool, g->vip), "VIP %s not in the pool",
	      TUN_IP(g->vip));

	/* SA: our ESP proposal 1, the responder's SPI, GCM-256, no ESN */
	CHECK(ike_dec_sa(&p[4], &sa, &why) == 0 && sa.n == 1, "ESP SA: %s", why);
	CHECK(sa.prop[0].num == 1 && sa.prop[0].proto == IKE_PROTO_ESP &&
	      sa.prop[0].spi_len == IKE_ESP_SPI_LEN && sa.prop[0].n_xf == 2 &&
	      sa.prop[0].xf[0].type == IKE_XF_ENCR &&
	      sa.prop[0].xf[0].id == IKE_ENCR_AES_GCM16 &&
	      sa.prop[0].xf[0].keylen == 256 &&
	      sa.prop[0].xf[1].type == IKE_XF_ESN &&
	      sa.prop[0].xf[1].id == IKE_ESN_NO, "ESP proposal");
	g->esp_spi = ike_get32(sa.prop[0].spi);
	CHECK(g->esp_spi >= P2SGW_SPI_MIN, "ESP SPI %#x", g->esp_spi);

	/* TSi: the VIP alone; TSr: the routes */
	CHECK(ike_dec_ts(&p[5], &ts, &why) == 0 && ts.n == 1 &&
	      ts.ts[0].start == g->vip && ts.ts[0].end == g->vip &&
	      ts.ts[0].proto == 0 && ts.ts[0].sport == 0 &&
	      ts.ts[0].eport == 65535, "TSi");
	CHECK(ike_dec_ts(&p[6], &ts, &why) == 0 && ts.n == 2 &&
	      ts_pl_addr(&p[6], 0, 8) == IP4(10, 10, 0, 0) &&
	      ts_pl_addr(&p[6], 0, 12) == IP4(10, 10, 0, 255) &&
	      ts_pl_addr(&p[6], 1, 8) == IP4(192, 168, 50, 0) &&
	      ts_pl_addr(&p[6], 1, 12) == IP4(192, 168, 50, 255) &&
	      ts.ts[0].eport == 65535 && ts.ts[1].eport == 65535, "TSr");
}

static void
check_auth_ok(const struct ini *c, const struct ike_msg *m, struct granted *g)
{
	check_auth_gw(c, m, g, pki.gw, NULL);
}

/* The responder's IKE SA for C, or NULL. */
static struct ike_sa *
resp_sa(const struct ini *c)
{
	return ike_sa_by_spi(c->fx->ike, c->spi_r);
}

/* INIT then AUTH as WHO; the response opened into M (pointing into
 * RESP). 0, or -1. */
static int
connect_as(struct ini *c, const struct client *who, bool with_cp,
	   uint8_t *resp, size_t cap, struct ike_msg *m)
{
	uint8_t req[MSG_MAX];
	size_t len;

	if (do_init(c) < 0)
		return -1;
	len = auth_request(c, who, with_cp, 1, req, sizeof(req));
	return open_resp(c, resp, xchg(c, req, len, resp, cap), IKE_AUTH, 1, m);
}

/* ---- the scenarios ------------------------------------------------------------ */

static struct ike_msg msg;		/* a response, opened */

static uint64_t
stats_json(struct ike *x, const char *key)
{
	struct jw w = { 0 };
	json_object *o, *ike, *v;
	uint64_t r = UINT64_MAX;
	char *s;

	jw_obj(&w, NULL);
	ike_show_stats(x, &w);
	jw_end_obj(&w);
	s = jw_finish(&w);
	o = s != NULL ? json_tokener_parse(s) : NULL;
	if (o != NULL && json_object_object_get_ex(o, "ike", &ike) &&
	    json_object_object_get_ex(ike, key, &v))
		r = (uint64_t)json_object_get_int64(v);
	json_object_put(o);
	free(s);
	return r;
}

/* 3: a KE for a group the configuration does not allow. */
static void
test_invalid_ke(struct fx *f)
{
	static const struct {
		struct init_opt opt;
		const char *what;
	} cases[] = {
		{ { 256, { IKE_DH_ECP256, IKE_DH_MODP2048 }, IKE_DH_MODP2048,
		    0, false }, "ecp256+modp2048 offered, KE modp2048" },
		{ { 256, { IKE_DH_ECP256 }, IKE_DH_ECP384, 0, false },
		  "ecp256 offered, KE ecp384" },
	};
	static const uint8_t ecp256[2] = { 0, IKE_DH_ECP256 };

	for (unsigned i = 0; i < 2; i++) {
		struct ike_stats st = f->ike->st;
		struct ike_dh *dh = ike_dh_new(cases[i].opt.ke);
		uint8_t resp[MSG_MAX];
		struct ini c;
		size_t len;

		if (dh == NULL || ini_open(&c, f) < 0) {
			CHECK(0, "set-up");
			ike_dh_free(dh);
			return;
		}
		len = build_init(&c, &cases[i].opt, dh);
		len = xchg(&c, c.init_req, len, resp, sizeof(resp));
		expect_init_notify(&c, resp, len, IKE_N_INVALID_KE_PAYLOAD,
				   ecp256, 2);
		CHECK(f->ike->st.invalid_ke == st.invalid_ke + 1, "%s: counted",
		      cases[i].what);
		CHECK(f->ike->n_sa == 0 && f->ike->n_half_open == 0 &&
		      stats_json(f->ike, "ike_sas") == 0, "%s: an SA was kept",
		      cases[i].what);
		ike_dh_free(dh);
		ini_close(&c);
	}
}

/* 4: AES-GCM-128 only. */
static void
test_no_proposal(struct fx *f)
{
	struct init_opt opt = INIT_OK;
	struct ike_stats st = f->ike->st;
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	uint8_t resp[MSG_MAX];
	struct ini c;
	size_t len;

	opt.keylen = 128;
	if (dh == NULL || ini_open(&c, f) < 0) {
		CHECK(0, "set-up");
		ike_dh_free(dh);
		return;
	}
	len = build_init(&c, &opt, dh);
	len = xchg(&c, c.init_req, len, resp, sizeof(resp));
	expect_init_notify(&c, resp, len, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	CHECK(f->ike->st.no_proposal == st.no_proposal + 1, "counted");
	CHECK(f->ike->n_sa == 0, "an SA was kept");
	ike_dh_free(dh);
	ini_close(&c);
}

/* 5: an unknown payload, critical then not. */
static void
test_unknown_payload(struct fx *f)
{
	struct init_opt opt = INIT_OK;
	struct ike_stats st = f->ike->st;
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	uint8_t resp[MSG_MAX], type = UNKNOWN_PL;
	size_t n_sa = f->ike->n_sa, len;
	struct ini c;

	if (dh == NULL || ini_open(&c, f) < 0) {
		CHECK(0, "set-up");
		ike_dh_free(dh);
		return;
	}
	opt.extra = UNKNOWN_PL;
	opt.extra_critical = true;
	len = build_init(&c, &opt, dh);
	len = xchg(&c, c.init_req, len, resp, sizeof(resp));
	expect_init_notify(&c, resp, len, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
			   &type, 1);
	CHECK(f->ike->st.unsupported_critical == st.unsupported_critical + 1,
	      "counted");
	CHECK(f->ike->n_sa == n_sa, "an SA was kept");

	/* the same, not critical: ignored, the SA is made */
	opt.extra_critical = false;
	len = build_init(&c, &opt, dh);
	CHECK(take_init_resp(&c, dh, resp, xchg(&c, c.init_req, len, resp,
						sizeof(resp))) == 0,
	      "non-critical unknown payload not ignored");
	CHECK(f->ike->n_sa == n_sa + 1 && f->ike->n_half_open == n_sa + 1 &&
	      resp_sa(&c) != NULL, "half-open SA");
	if (resp_sa(&c) != NULL)
		ike_sa_destroy(f->ike, resp_sa(&c), "test done");
	ike_dh_free(dh);
	ini_close(&c);
}

/* 6: datagrams that do not parse: no answer, counted as bad. */
static void
test_malformed(struct fx *f)
{
	static const char *const what[] = {
		"SA length beyond the message", "SA length below its header",
		"header length above the datagram", "shorter than the header",
		"cut inside a payload",
	};
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	uint8_t bad[MSG_MAX];
	struct ini c;
	size_t len;

	if (dh == NULL || ini_open(&c, f) < 0) {
		CHECK(0, "set-up");
		ike_dh_free(dh);
		return;
	}
	len = build_init(&c, &INIT_OK, dh);
	for (unsigned i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		struct ike_stats st = f->ike->st;
		size_t n = len;

		memcpy(bad, c.init_req, len);
		switch (i) {
		case 0:		/* the SA payload's length lies upwards */
			ike_put16(bad + IKE_HDR_LEN + 2, (uint16_t)(len + 1));
			break;
		case 1:		/* ... and downwards */
			ike_put16(bad + IKE_HDR_LEN + 2, 3);
			break;
		case 2:		/* truncated, the length field as it was */
			n = 40;
			break;
		case 3:
			n = 20;
			break;
		case 4:		/* truncated, the length field adjusted */
			n = 60;
			ike_put32(bad + 24, (uint32_t)n);
			break;
		}
		CHECK(no_answer(&c, bad, n), "%s: answered", what[i]);
		CHECK(f->ike->st.rx == st.rx + 1 &&
		      f->ike->st.rx_bad == st.rx_bad + 1, "%s: not counted",
		      what[i]);
		CHECK(f->ike->n_sa == 0, "%s: SA made", what[i]);
	}
	CHECK(stats_json(f->ike, "rx_bad") == f->ike->st.rx_bad,
	      "rx_bad in the stats");
	ike_dh_free(dh);
	ini_close(&c);
}

/* KEYMAT = prf+(SK_d, [g^ir] | Ni | Nr) as the initiator derives it: the
 * tunnel holds i->r keys as key_in and r->i keys as key_out. */
static void
check_keymat(const struct ini *c, const struct tunnel *t, const uint8_t *gir,
	     size_t glen, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
	     size_t nr_len)
{
	uint8_t km[2 * P2SGW_GCM_KEYMAT_LEN];

	CHECK(ike_child_keymat(c->suite.prf, c->k.d, c->k.d_len, gir, glen, ni,
			       ni_len, nr, nr_len, km, sizeof(km)) == 0,
	      "KEYMAT");
	CHECK(t->keys != NULL, "the tunnel has no raw keys");
	if (t->keys == NULL)
		return;
	CHECK(t->keys->key_len == P2SGW_GCM_KEYMAT_LEN &&
	      t->keys->auth_len == 0, "key lengths %u %u", t->keys->key_len,
	      t->keys->auth_len);
	CHECK(!memcmp(t->keys->key_in, km, P2SGW_GCM_KEYMAT_LEN),
	      "key_in is not KEYMAT's first 36 bytes");
	CHECK(!memcmp(t->keys->key_out, km + P2SGW_GCM_KEYMAT_LEN,
		      P2SGW_GCM_KEYMAT_LEN),
	      "key_out is not KEYMAT's second 36 bytes");
	OPENSSL_cleanse(km, sizeof(km));
}

/* The keys of the CHILD SA made by IKE_AUTH. */
static void
check_child_keys(const struct ini *c, const struct tunnel *t)
{
	check_keymat(c, t, NULL, 0, c->ni, sizeof(c->ni), c->nr, c->nr_len);
}

/* The tunnel of C's IKE SA, checked against what it was granted. */
static struct tunnel *
check_tunnel(const struct ini *c, const struct granted *g)
{
	struct ike_sa *sa = resp_sa(c);
	struct tunnel *t;
	char name[P2SGW_NAME_LEN];

	CHECK(sa != NULL && sa->state == IKE_S_ESTABLISHED, "not established");
	if (sa == NULL)
		return NULL;
	snprintf(name, sizeof(name), "ike-%llu", (unsigned long long)sa->id);
	t = tm_find(c->fx->cp.tm, name);
	CHECK(t != NULL && !strcmp(sa->child.name, name), "no tunnel %s", name);
	if (t == NULL)
		return NULL;
	CHECK(t->kind == TK_IKE, "kind %u", t->kind);
	CHECK(t->spec.vip == g->vip && t->spec.peer == LOCALHOST,
	      "VIP %s peer %s", TUN_IP(t->spec.vip), TUN_IP(t->spec.peer));
	CHECK(t->spec.spi_in == g->esp_spi && t->spec.spi_out == c->esp_spi,
	      "SPIs %#x %#x", t->spec.spi_in, t->spec.spi_out);
	CHECK(t->spec.suite == P2SGW_SUITE_AES256GCM16 && !t->spec.encap &&
	      !t->spec.esn, "suite, encap, ESN");
	CHECK(pool_in_use(&c->fx->ike->pool, g->vip), "VIP not taken");
	check_child_keys(c, t);
	return t;
}

/* 1, 2, 8: the handshake, retransmissions, INFORMATIONAL, DELETE. */
static void
test_handshake(struct fx *f)
{
	struct ike *x = f->ike;
	uint8_t req[MSG_MAX], resp[MSG_MAX], raw[MSG_MAX], again[MSG_MAX];
	size_t len, rlen, n_tun = f->cp.tm->n_tunnels;
	struct ike_stats st = x->st;
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	struct granted g;
	struct ike_sa *sa;
	char name[P2SGW_NAME_LEN] = "";
	struct ini c;

	if (dh == NULL || ini_open(&c, f) < 0) {
		CHECK(0, "set-up");
		ike_dh_free(dh);
		return;
	}

	/* IKE_SA_INIT, then the same request again: the same bytes */
	len = build_init(&c, &INIT_OK, dh);
	rlen = xchg(&c, c.init_req, len, resp, sizeof(resp));
	if (take_init_resp(&c, dh, resp, rlen) < 0)
		goto out;
	CHECK(x->n_half_open == 1 && x->st.init_ok == st.init_ok + 1,
	      "half-open SA");
	CHECK(xchg(&c, c.init_req, len, again, sizeof(again)) == rlen &&
	      !memcmp(resp, again, rlen), "IKE_SA_INIT retransmission");
	CHECK(x->st.rx_retransmit == st.rx_retransmit + 1 && x->n_sa == 1,
	      "retransmission counted, no new SA");

	/* IKE_AUTH as the RSA client */
	len = auth_request(&c, &pki.rsa, true, 1, req, sizeof(req));
	rlen = xchg(&c, req, len, resp, sizeof(resp));
	memcpy(raw, resp, rlen);	/* opening decrypts in place */
	if (open_resp(&c, resp, rlen, IKE_AUTH, 1, &msg) < 0)
		goto out;
	check_auth_ok(&c, &msg, &g);
	if (check_tunnel(&c, &g) == NULL)
		goto out;
	sa = resp_sa(&c);
	snprintf(name, sizeof(name), "%s", sa->child.name);
	CHECK(!strcmp(sa->identity, "rsa.client.test"), "identity %s",
	      sa->identity);
	CHECK(ike_count_established(x) == 1 && x->n_half_open == 0 &&
	      x->st.auth_ok == st.auth_ok + 1, "established");
	CHECK(f->cp.tm->n_tunnels == n_tun + 1, "one tunnel more");

	/* IKE_AUTH again: the same bytes, nothing new */
	CHECK(xchg(&c, req, len, again, sizeof(again)) == rlen &&
	      !memcmp(raw, again, rlen), "IKE_AUTH retransmission");
	CHECK(x->st.rx_retransmit == st.rx_retransmit + 2 &&
	      f->cp.tm->n_tunnels == n_tun + 1 && x->st.auth_ok == st.auth_ok + 1,
	      "retransmission counted, nothing redone");

	/* an empty INFORMATIONAL: an empty response */
	len = seal(&c, IKE_INFORMATIONAL, 2, NULL, 0, IKE_PL_NONE, req,
		   sizeof(req));
	rlen = xchg(&c, req, len, resp, sizeof(resp));
	if (open_resp(&c, resp, rlen, IKE_INFORMATIONAL, 2, &msg) == 0)
		CHECK(msg.n == 1 && msg.sk_first == IKE_PL_NONE,
		      "%u payloads in the liveness answer", msg.n);
	CHECK(resp_sa(&c) != NULL && ike_count_established(x) == 1,
	      "SA gone after liveness check");

	/* DELETE of the IKE SA: an empty response, everything gone */
	{
		static const uint8_t del[IKE_GEN_HDR_LEN + IKE_D_FIXED] = {
			0, 0, 0, IKE_GEN_HDR_LEN + IKE_D_FIXED,
			IKE_PROTO_IKE, 0, 0, 0 };

		len = seal(&c, IKE_INFORMATIONAL, 3, del, sizeof(del),
			   IKE_PL_DELETE, req, sizeof(req));
	}
	rlen = xchg(&c, req, len, resp, sizeof(resp));
	if (open_resp(&c, resp, rlen, IKE_INFORMATIONAL, 3, &msg) == 0)
		CHECK(msg.n == 1 && msg.sk_first == IKE_PL_NONE,
		      "%u payloads in the DELETE answer", msg.n);
	CHECK(resp_sa(&c) == NULL && x->n_sa == 0 &&
	      ike_count_established(x) == 0, "SA left after DELETE");
	CHECK(x->st.deleted_by_peer == st.deleted_by_peer + 1, "counted");
	CHECK(tm_find(f->cp.tm, name) == NULL && f->cp.tm->n_tunnels == n_tun,
	      "tunnel %s left after DELETE", name);
	CHECK(!pool_in_use(&x->pool, g.vip) && x->pool.used == 0,
	      "VIP %s not released", TUN_IP(g.vip));

	/* anything more on the deleted SA: no answer */
	len = seal(&c, IKE_INFORMATIONAL, 4, NULL, 0, IKE_PL_NONE, req,
		   sizeof(req));
	CHECK(no_answer(&c, req, len), "answered on a deleted SA");
out:
	ike_dh_free(dh);
	ini_close(&c);
}

/* 7: IKE_AUTH with a wrong SPI, message ID or ICV; then the right one. */
static void
test_auth_dropped(struct fx *f)
{
	struct ike *x = f->ike;
	uint8_t req[MSG_MAX], bad[MSG_MAX], resp[MSG_MAX];
	struct ike_stats st;
	struct granted g;
	struct ini c;
	size_t len;

	if (ini_open(&c, f) < 0 || do_init(&c) < 0) {
		CHECK(0, "set-up");
		ini_close(&c);
		return;
	}
	st = x->st;

	/* the responder's SPI, one bit off */
	len = auth_request(&c, &pki.ec, true, 1, req, sizeof(req));
	memcpy(bad, req, len);
	bad[8 + 7] ^= 1;
	CHECK(no_answer(&c, bad, len), "answered with a wrong SPIr");
	CHECK(x->st.rx_no_sa == st.rx_no_sa + 1, "wrong SPIr not counted");

	/* message ID 2 where 1 is expected */
	len = auth_request(&c, &pki.ec, true, 2, bad, sizeof(bad));
	CHECK(no_answer(&c, bad, len), "answered message ID 2");
	CHECK(x->st.rx_bad == st.rx_bad + 1, "bad message ID not counted");

	/* one byte of the SK payload's ciphertext flipped */
	len = auth_request(&c, &pki.ec, true, 1, req, sizeof(req));
	memcpy(bad, req, len);
	bad[len - IKE_GCM_ICV_LEN - 5] ^= 0x40;
	CHECK(no_answer(&c, bad, len), "answered a tampered SK payload");
	CHECK(x->st.rx_bad == st.rx_bad + 2, "bad ICV not counted");
	CHECK(resp_sa(&c) != NULL && resp_sa(&c)->state == IKE_S_HALF_OPEN &&
	      resp_sa(&c)->peer_next == 1, "the half-open SA was disturbed");

	/* the genuine request still works */
	len = xchg(&c, req, len, resp, sizeof(resp));
	if (open_resp(&c, resp, len, IKE_AUTH, 1, &msg) == 0) {
		check_auth_ok(&c, &msg, &g);
		check_tunnel(&c, &g);
		CHECK(!strcmp(resp_sa(&c) ? resp_sa(&c)->identity : "",
			      "ec.client.test"), "identity");
	}
	if (resp_sa(&c) != NULL)
		ike_sa_destroy(x, resp_sa(&c), "test done");
	CHECK(x->n_sa == 0 && x->pool.used == 0 &&
	      f->cp.tm->n_tunnels == 0, "cleaned up");
	ini_close(&c);
}

/* An authenticated client refused its CHILD SA (RFC 7296 2.21.3): IDr,
 * CERT, AUTH and N(TYPE), no CP, SA or TS; the SA is being deleted. */
static void
expect_child_refused(const struct ike_msg *m, uint16_t type)
{
	struct ike_notify_pl n = { 0 };

	CHECK(ike_find(m, IKE_PL_IDR, true) != NULL &&
	      ike_find(m, IKE_PL_AUTH, true) != NULL &&
	      ike_find(m, IKE_PL_CERT, true) != NULL,
	      "IDr, CERT and AUTH with N(%s)", ike_notify_name(type));
	CHECK(ike_find(m, IKE_PL_SA, true) == NULL &&
	      ike_find(m, IKE_PL_CP, true) == NULL &&
	      ike_find(m, IKE_PL_TSI, true) == NULL,
	      "no CHILD SA payloads with N(%s)", ike_notify_name(type));
	CHECK(ike_find_notify(m, type, true, &n) && n.len == 0,
	      "N(%s) in the response", ike_notify_name(type));
}

static bool
gone_or_deleting(const struct ike_sa *sa)
{
	return sa == NULL || sa->state == IKE_S_DELETING;
}

/* 9, 10: a refusal inside the encrypted response; nothing installed. */
static void
test_auth_refused(struct fx *f, const struct client *who, bool with_cp,
		  uint16_t notify, const char *what)
{
	struct ike *x = f->ike;
	struct ike_stats st = x->st;
	uint8_t resp[MSG_MAX];
	struct ini c;

	if (ini_open(&c, f) < 0) {
		CHECK(0, "set-up");
		return;
	}
	if (connect_as(&c, who, with_cp, resp, sizeof(resp), &msg) == 0) {
		if (notify == IKE_N_AUTHENTICATION_FAILED)
			expect_sk_notify(&msg, notify);
		else
			expect_child_refused(&msg, notify);
	}
	CHECK(f->cp.tm->n_tunnels == 0 && x->pool.used == 0,
	      "%s: something installed", what);
	CHECK(notify == IKE_N_AUTHENTICATION_FAILED ?
	      resp_sa(&c) == NULL && x->n_sa == 0 :
	      gone_or_deleting(resp_sa(&c)) && x->n_established == 0,
	      "%s: SA kept", what);
	if (resp_sa(&c) != NULL)
		ike_sa_destroy(x, resp_sa(&c), "test: done");
	CHECK(x->st.auth_ok == st.auth_ok, "%s: counted as success", what);
	if (notify == IKE_N_AUTHENTICATION_FAILED)
		CHECK(x->st.revoked == st.revoked + 1 &&
		      x->st.auth_failed == st.auth_failed + 1,
		      "%s: not counted as revoked", what);
	ini_close(&c);
}

/* A pool of two addresses and three clients; the third gets in once
 * one of the others leaves. */
static void
test_pool_exhausted(struct fx *f)
{
	const struct client *who[3] = { &pki.rsa, &pki.ec, &pki.ec2 };
	uint8_t resp[MSG_MAX];
	struct ike *x = f->ike;
	struct granted g[3];
	struct ini c[3];

	for (unsigned i = 0; i < 3; i++)
		if (ini_open(&c[i], f) < 0) {
			CHECK(0, "set-up");
			for (unsigned j = 0; j < i; j++)
				ini_close(&c[j]);
			return;
		}
	for (unsigned i = 0; i < 2; i++)
		if (connect_as(&c[i], who[i], true, resp, sizeof(resp),
			       &msg) == 0) {
			check_auth_ok(&c[i], &msg, &g[i]);
			check_tunnel(&c[i], &g[i]);
		}
	CHECK(x->pool.size == 2 && x->pool.used == 2 &&
	      f->cp.tm->n_tunnels == 2, "two clients in");
	CHECK(g[0].vip != g[1].vip && (g[0].vip == IP4(10, 200, 0, 1) ||
				       g[0].vip == IP4(10, 200, 0, 2)),
	      "VIPs %s", TUN_IP(g[0].vip));

	if (connect_as(&c[2], who[2], true, resp, sizeof(resp), &msg) == 0)
		expect_child_refused(&msg, IKE_N_INTERNAL_ADDRESS_FAILURE);
	CHECK(x->st.pool_exhausted == 1 && gone_or_deleting(resp_sa(&c[2])) &&
	      f->cp.tm->n_tunnels == 2, "third client");
	if (resp_sa(&c[2]) != NULL)
		ike_sa_destroy(x, resp_sa(&c[2]), "test: done");

	/* the first leaves; the third tries again and gets its address */
	if (resp_sa(&c[0]) != NULL)
		ike_sa_destroy(x, resp_sa(&c[0]), "test: client left");
	ini_close(&c[2]);
	if (ini_open(&c[2], f) == 0 &&
	    connect_as(&c[2], who[2], true, resp, sizeof(resp), &msg) == 0) {
		check_auth_ok(&c[2], &msg, &g[2]);
		check_tunnel(&c[2], &g[2]);
		CHECK(g[2].vip == g[0].vip, "released address %s reused, got %s",
		      TUN_IP(g[0].vip), TUN_IP(g[2].vip));
	}
	for (unsigned i = 0; i < 3; i++)
		ini_close(&c[i]);
}

/* ---- COOKIE, CREATE_CHILD_SA, fragments, liveness: helpers ------------------ */

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run the loop until a datagram arrives (its length) or MS pass (0). */
static size_t
recv_wait(const struct ini *c, uint8_t *b, size_t cap, unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	do {
		ssize_t n;

		loop_run_once(c->fx->cp.loop, 10);
		n = recv(c->fd, b, cap, MSG_DONTWAIT);
		if (n > 0)
			return (size_t)n;
	} while (mono_ms() < end);
	return 0;
}

static void
ini_dirs(struct ini *c)
{
	c->out = (struct ike_sk_dir){ c->suite.encr, c->suite.integ, c->k.ei,
		NULL };
	c->in = (struct ike_sk_dir){ c->suite.encr, c->suite.integ, c->k.er,
		NULL };
}

/* INIT and AUTH as WHO, the answer and the tunnel checked. 0, or -1. */
static int
connect_ok(struct ini *c, struct fx *f, const struct client *who,
	   struct granted *g)
{
	uint8_t resp[MSG_MAX];

	if (ini_open(c, f) < 0) {
		CHECK(0, "set-up");
		return -1;
	}
	if (connect_as(c, who, true, resp, sizeof(resp), &msg) < 0)
		return -1;
	check_auth_ok(c, &msg, g);
	return check_tunnel(c, g) != NULL ? 0 : -1;
}

/* Seal INNER as request MSGID of EXCHANGE, send it, open the answer into
 * msg (pointing into RESP). 0, or -1. */
static int
request(struct ini *c, uint8_t exchange, uint32_t msgid, const uint8_t *inner,
	size_t ilen, uint8_t first, uint8_t *resp, size_t cap)
{
	uint8_t req[MSG_MAX];
	size_t len = seal(c, exchange, msgid, inner, ilen, first, req,
			  sizeof(req));

	return open_resp(c, resp, xchg(c, req, len, resp, cap), exchange,
			 msgid, &msg);
}

/* M (opened) carries exactly one notify TYPE with DATA and nothing else;
 * WHAT names the request. */
static void
expect_sk_notify_data(const struct ike_msg *m, uint16_t type,
		      const uint8_t *data, size_t len, const char *what)
{
	struct ike_notify_pl n = { 0 };
	const char *why;

	CHECK(m->n == 2 && m->pl[1].type == IKE_PL_NOTIFY && m->pl[1].inner,
	      "%s: N(%s) alone, got %u payloads", what, ike_notify_name(type),
	      m->n);
	if (m->n != 2 || m->pl[1].type != IKE_PL_NOTIFY)
		return;
	CHECK(ike_dec_notify(&m->pl[1], &n, &why) == 0 && n.type == type &&
	      n.len == len && (len == 0 || !memcmp(n.data, data, len)),
	      "%s: want N(%s) with %zu bytes, got N(%s) (%u) with %zu bytes",
	      what, ike_notify_name(type), len, ike_notify_name(n.type),
	      n.type, n.len);
}

/* A KE payload of GROUP with DH's public value. */
static void
out_ke(struct ike_out *o, uint16_t group, const struct ike_dh *dh)
{
	size_t klen = ike_dh_len(group);
	uint8_t *p = ike_out_pl(o, IKE_PL_KE, IKE_KE_FIXED + klen);

	if (p == NULL)
		return;
	ike_put16(p, group);
	p[2] = p[3] = 0;
	CHECK(ike_dh_public(dh, p + IKE_KE_FIXED, klen) == 0, "KE");
}

/* The shared secret with the responder's KE payload of GROUP in M. */
static size_t
take_ke(const struct ike_msg *m, uint16_t group, struct ike_dh *dh,
	uint8_t *gir, size_t cap)
{
	const struct ike_pl *p = ike_find(m, IKE_PL_KE, true);
	struct ike_ke ke = { 0 };
	const char *why = "";
	size_t glen = 0;

	CHECK(p != NULL && ike_dec_ke(p, &ke, &why) == 0 && ke.group == group &&
	      ke.len == ike_dh_len(group), "KEr of group %u", ke.group);
	if (p == NULL || ke.len == 0 ||
	    ike_dh_shared(dh, ke.data, ke.len, gir, cap, &glen) < 0) {
		CHECK(0, "no shared secret with KEr");
		return 0;
	}
	return glen;
}

/* What a CREATE_CHILD_SA request for an ESP SA carries. */
struct child_opt {
	uint32_t rekey_spi;		/* N(REKEY_SA, ESP) naming it, 0: none */
	uint32_t spi;			/* ours, in the SA */
	uint16_t groups[2];		/* DH transforms, 0 ends; none: no PFS */
	uint16_t ke;			/* the KE payload's group, 0: none */
};

/* [N(REKEY_SA)], SA (AES-GCM-16-256, the groups, no ESN), Ni, [KEi],
 * TSi, TSr into BUF; the first payload's type in *FIRST. */
static size_t
build_child(const struct child_opt *opt, const uint8_t ni[IKE_NONCE_LEN],
	    const struct ike_dh *dh, uint8_t *buf, size_t cap, uint8_t *first)
{
	unsigned ng = opt->groups[0] == 0 ? 0 : opt->groups[1] == 0 ? 1 : 2;
	size_t len = IKE_PROP_HDR_LEN + IKE_ESP_SPI_LEN + IKE_XFORM_HDR_LEN +
		IKE_ATTR_TV_LEN + (ng + 1) * IKE_XFORM_HDR_LEN;
	struct ike_out o;
	uint8_t *p;

	ike_out_chain(&o, buf, cap);
	if (opt->rekey_spi != 0) {
		p = ike_out_pl(&o, IKE_PL_NOTIFY, IKE_N_FIXED + IKE_ESP_SPI_LEN);
		if (p != NULL) {
			p[0] = IKE_PROTO_ESP;
			p[1] = IKE_ESP_SPI_LEN;
			ike_put16(p + 2, IKE_N_REKEY_SA);
			ike_put32(p + 4, opt->rekey_spi);
		}
	}
	p = ike_out_pl(&o, IKE_PL_SA, len);
	if (p != NULL) {
		p[0] = IKE_PROP_LAST;
		p[1] = 0;
		ike_put16(p + 2, (uint16_t)len);
		p[4] = 1;
		p[5] = IKE_PROTO_ESP;
		p[6] = IKE_ESP_SPI_LEN;
		p[7] = (uint8_t)(2 + ng);
		ike_put32(p + IKE_PROP_HDR_LEN, opt->spi);
		p += IKE_PROP_HDR_LEN + IKE_ESP_SPI_LEN;
		p = put_xform(p, false, IKE_XF_ENCR, IKE_ENCR_AES_GCM16, 256);
		for (unsigned i = 0; i < ng; i++)
			p = put_xform(p, false, IKE_XF_DH, opt->groups[i], 0);
		put_xform(p, true, IKE_XF_ESN, IKE_ESN_NO, 0);
	}
	ike_out_copy(&o, IKE_PL_NONCE, ni, IKE_NONCE_LEN);
	if (opt->ke != 0)
		out_ke(&o, opt->ke, dh);
	ike_out_ts(&o, IKE_PL_TSI, &ANY_TS, 1);
	ike_out_ts(&o, IKE_PL_TSR, &ANY_TS, 1);
	CHECK(!o.overflow, "CREATE_CHILD_SA does not fit");
	*first = ike_out_first(&o);
	return o.len;
}

/* A CHILD SA rekey's answer M (opened): SA (ESP, AES-GCM-16-256, GROUP
 * when non-zero, no ESN), Nr, KEr when GROUP, TSi the VIP, TSr the
 * routes, nothing else. The responder's new SPI into *SPI, Nr into NR. */
static void
check_child_resp(const struct ike_msg *m, uint32_t vip, uint16_t group,
		 uint32_t *spi, uint8_t *nr, size_t *nr_len)
{
	static struct ike_sa_pl sa;
	const struct ike_pl *p;
	struct ike_ts_pl ts;
	const char *why = "";
	bool encr = false, esn = false, dh = group == 0;
	unsigned n_dh = 0;

	*spi = 0;
	*nr_len = 0;
	CHECK(m->n == 1 + 4 + (group != 0) && ike_count(m, IKE_PL_NOTIFY,
							 true) == 0,
	      "%u inner payloads, %u notifies", m->n - 1,
	      ike_count(m, IKE_PL_NOTIFY, true));
	p = ike_find(m, IKE_PL_SA, true);
	CHECK(p != NULL && ike_dec_sa(p, &sa, &why) == 0 && sa.n == 1 &&
	      sa.prop[0].proto == IKE_PROTO_ESP && sa.prop[0].num == 1 &&
	      sa.prop[0].spi_len == IKE_ESP_SPI_LEN, "ESP SA: %s", why);
	if (p == NULL || sa.n != 1)
		return;
	for (unsigned i = 0; i < sa.prop[0].n_xf; i++) {
		const struct ike_xform *x = &sa.prop[0].xf[i];

		encr |= x->type == IKE_XF_ENCR && x->id == IKE_ENCR_AES_GCM16 &&
			x->keylen == 256;
		esn |= x->type == IKE_XF_ESN && x->id == IKE_ESN_NO;
		n_dh += x->type == IKE_XF_DH;
		dh |= x->type == IKE_XF_DH && x->id == group;
	}
	CHECK(encr && esn && dh && n_dh == (group != 0) &&
	      sa.prop[0].n_xf == 2 + (group != 0),
	      "transforms (%u, %u DH) for group %u", sa.prop[0].n_xf, n_dh,
	      group);
	*spi = ike_get32(sa.prop[0].spi);
	CHECK(*spi >= P2SGW_SPI_MIN, "ESP SPI %#x", *spi);
	p = ike_find(m, IKE_PL_NONCE, true);
	CHECK(p != NULL && p->len == IKE_NONCE_LEN, "Nr");
	if (p != NULL && p->len <= IKE_NONCE_MAX) {
		memcpy(nr, p->body, p->len);
		*nr_len = p->len;
	}
	CHECK((ike_find(m, IKE_PL_KE, true) != NULL) == (group != 0),
	      "KEr with group %u", group);
	p = ike_find(m, IKE_PL_TSI, true);
	CHECK(p != NULL && ike_dec_ts(p, &ts, &why) == 0 && ts.n == 1 &&
	      ts.ts[0].start == vip && ts.ts[0].end == vip, "TSi");
	p = ike_find(m, IKE_PL_TSR, true);
	CHECK(p != NULL && ike_dec_ts(p, &ts, &why) == 0 && ts.n == 2 &&
	      ts.ts[0].start == IP4(10, 10, 0, 0) &&
	      ts.ts[1].start == IP4(192, 168, 50, 0), "TSr");
}

/* Rekey the CHILD SA of C whose SPIs are *MINE (the client's) and
 * *THEIRS (the gateway's) as request MSGID, with PFS in GROUP (0: none):
 * the answer, the tunnel's SPIs and keys checked; the new SPIs back into
 * *MINE and *THEIRS. */
static void
rekey_child_ok(struct ini *c, uint32_t msgid, uint16_t group,
	       const struct granted *g, uint32_t *mine, uint32_t *theirs)
{
	struct child_opt opt = { .rekey_spi = *mine,
		.spi = *mine + 0x01000000, .groups = { group }, .ke = group };
	struct ike *x = c->fx->ike;
	struct ike_sa *sa = resp_sa(c);
	struct ike_dh *dh = group ? ike_dh_new(group) : NULL;
	uint8_t inner[MSG_MAX], resp[MSG_MAX], ni[IKE_NONCE_LEN];
	uint8_t nr[IKE_NONCE_MAX], gir[IKE_MAX_DH_LEN], first = 0;
	uint64_t rekeys = x->st.child_rekeys;
	size_t ilen, nr_len = 0, glen = 0;
	char name[P2SGW_NAME_LEN];
	struct tunnel *t;
	uint32_t spi = 0;

	if (sa == NULL || (group && dh == NULL) ||
	    RAND_bytes(ni, sizeof(ni)) != 1) {
		CHECK(0, "set-up");
		ike_dh_free(dh);
		return;
	}
	snprintf(name, sizeof(name), "%s", sa->child.name);
	ilen = build_child(&opt, ni, dh, inner, sizeof(inner), &first);
	if (request(c, IKE_CREATE_CHILD_SA, msgid, inner, ilen, first, resp,
		    sizeof(resp)) < 0)
		goto out;
	check_child_resp(&msg, g->vip, group, &spi, nr, &nr_len);
	if (group != 0)
		glen = take_ke(&msg, group, dh, gir, sizeof(gir));
	CHECK(spi != *theirs && spi != 0, "the gateway's SPI is unchanged");
	CHECK(x->st.child_rekeys == rekeys + 1, "rekey not counted");
	sa = resp_sa(c);
	CHECK(sa != NULL && sa->child.spi_in == spi &&
	      sa->child.spi_out == opt.spi && sa->child.old_spi_in == *theirs &&
	      sa->child.old_spi_out == *mine, "the IKE SA's CHILD SA SPIs");
	t = tm_find(c->fx->cp.tm, name);
	CHECK(t != NULL, "tunnel %s gone", name);
	if (t != NULL) {
		CHECK(t->spec.spi_in == spi && t->spec.spi_out == opt.spi &&
		      t->spec.vip == g->vip,
		      "tunnel SPIs %#x %#x, want %#x %#x", t->spec.spi_in,
		      t->spec.spi_out, spi, opt.spi);
		check_keymat(c, t, glen ? gir : NULL, glen, ni, sizeof(ni), nr,
			     nr_len);
	}
	*mine = opt.spi;
	*theirs = spi;
out:
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(dh);
}

/* DELETE of the client's ESP SA SPI as request MSGID: answered with
 * the Delete of WANT (the gateway's half). */
static void
delete_esp(struct ini *c, uint32_t msgid, uint32_t spi, uint32_t want)
{
	uint8_t inner[64], resp[MSG_MAX];
	struct ike_del d = { 0 };
	const char *why = "";
	struct ike_out o;
	uint8_t *p;

	ike_out_chain(&o, inner, sizeof(inner));
	p = ike_out_pl(&o, IKE_PL_DELETE, IKE_D_FIXED + IKE_ESP_SPI_LEN);
	p[0] = IKE_PROTO_ESP;
	p[1] = IKE_ESP_SPI_LEN;
	ike_put16(p + 2, 1);
	ike_put32(p + 4, spi);
	if (request(c, IKE_INFORMATIONAL, msgid, o.buf, o.len, IKE_PL_DELETE,
		    resp, sizeof(resp)) < 0)
		return;
	CHECK(msg.n == 2 && msg.pl[1].type == IKE_PL_DELETE &&
	      ike_dec_delete(&msg.pl[1], &d, &why) == 0 &&
	      d.proto == IKE_PROTO_ESP && d.spi_len == IKE_ESP_SPI_LEN &&
	      d.n_spi == 1 && ike_get32(d.spis) == want,
	      "want Delete(ESP %#x), got %u payloads, Delete(%u, %u SPIs, %#x)",
	      want, msg.n - 1, d.proto, d.n_spi,
	      d.n_spi ? ike_get32(d.spis) : 0);
}

/* ---- the scenarios, continued ---------------------------------------------- */

/* COOKIE (RFC 7296 2.6) with ike.cookie_threshold = 0: every IKE_SA_INIT
 * without the right cookie gets N(COOKIE) alone and costs nothing. */
static void
test_cookie(struct fx *f)
{
	struct ike *x = f->ike;
	struct ike_stats st = x->st;
	struct init_opt opt = INIT_OK;
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	uint8_t resp[MSG_MAX], req[MSG_MAX], cookie[IKE_COOKIE_LEN];
	uint8_t bad[IKE_COOKIE_LEN];
	static struct ike_msg m;
	struct ike_notify_pl n = { 0 };
	const char *why = "";
	struct granted g;
	struct ini c;
	size_t len;

	if (dh == NULL || ini_open(&c, f) < 0) {
		CHECK(0, "set-up");
		ike_dh_free(dh);
		return;
	}
	len = build_init(&c, &INIT_OK, dh);
	len = xchg(&c, c.init_req, len, resp, sizeof(resp));
	CHECK(len > 0 && ike_parse(resp, len, &m, &why) == 0 && m.n == 1 &&
	      m.sk_off == 0 && m.pl[0].type == IKE_PL_NOTIFY &&
	      ike_dec_notify(&m.pl[0], &n, &why) == 0 &&
	      n.type == IKE_N_COOKIE && n.len == IKE_COOKIE_LEN &&
	      n.proto == 0 && n.spi_len == 0,
	      "want N(COOKIE) with %d bytes alone, got %u payloads, notify "
	      "%u of %zu bytes", IKE_COOKIE_LEN, m.n, n.type, n.len);
	if (n.type != IKE_N_COOKIE || n.len != IKE_COOKIE_LEN)
		goto out;
	memcpy(cookie, n.data, sizeof(cookie));
	expect_init_notify(&c, resp, len, IKE_N_COOKIE, cookie, sizeof(cookie));
	CHECK(x->n_sa == 0 && x->n_half_open == 0, "an SA was kept");
	CHECK(x->st.cookies_sent == st.cookies_sent + 1 &&
	      x->st.init_ok == st.init_ok, "cookie not counted");

	/* a wrong cookie: counted, a fresh one (the same inputs: the same) */
	memcpy(bad, cookie, sizeof(bad));
	bad[IKE_COOKIE_LEN - 1] ^= 0x01;
	opt.cookie = bad;
	opt.cookie_len = sizeof(bad);
	len = build_init(&c, &opt, dh);
	len = xchg(&c, c.init_req, len, resp, sizeof(resp));
	expect_init_notify(&c, resp, len, IKE_N_COOKIE, cookie, sizeof(cookie));
	CHECK(x->st.cookies_bad == st.cookies_bad + 1 &&
	      x->st.cookies_sent == st.cookies_sent + 2 && x->n_sa == 0,
	      "wrong cookie: bad %llu sent %llu SAs %zu",
	      (unsigned long long)(x->st.cookies_bad - st.cookies_bad),
	      (unsigned long long)(x->st.cookies_sent - st.cookies_sent),
	      x->n_sa);
	/* ... and one of another length */
	opt.cookie_len = 5;
	len = build_init(&c, &opt, dh);
	len = xchg(&c, c.init_req, len, resp, sizeof(resp));
	expect_init_notify(&c, resp, len, IKE_N_COOKIE, cookie, sizeof(cookie));
	CHECK(x->st.cookies_bad == st.cookies_bad + 2 && x->n_sa == 0,
	      "5-byte cookie not counted as bad");

	/* N(COOKIE) first with the right cookie: the full response */
	opt.cookie = cookie;
	opt.cookie_len = sizeof(cookie);
	len = build_init(&c, &opt, dh);
	if (take_init_resp(&c, dh, resp, xchg(&c, c.init_req, len, resp,
					      sizeof(resp))) < 0)
		goto out;
	CHECK(x->st.cookies_ok == st.cookies_ok + 1 && x->n_sa == 1 &&
	      x->n_half_open == 1 && x->st.init_ok == st.init_ok + 1,
	      "cookie accepted: ok %llu, %zu SAs",
	      (unsigned long long)(x->st.cookies_ok - st.cookies_ok), x->n_sa);
	CHECK(stats_json(x, "cookies_bad") == x->st.cookies_bad &&
	      stats_json(x, "cookies_ok") == x->st.cookies_ok,
	      "cookies in the stats");
	/* AUTH signs the IKE_SA_INIT that carried the cookie */
	len = auth_request(&c, &pki.ec, true, 1, req, sizeof(req));
	if (open_resp(&c, resp, xchg(&c, req, len, resp, sizeof(resp)),
		      IKE_AUTH, 1, &msg) == 0) {
		check_auth_ok(&c, &msg, &g);
		check_tunnel(&c, &g);
	}
out:
	if (resp_sa(&c) != NULL)
		ike_sa_destroy(x, resp_sa(&c), "test done");
	CHECK(x->n_sa == 0 && x->pool.used == 0, "cleaned up");
	ike_dh_free(dh);
	ini_close(&c);
}

/* ike.half_open_per_source = 2 applies under load only (past
 * ike.cookie_threshold, here 1000): in quiet times a third half-open SA
 * from 127.0.0.1 is answered, since clients behind one NAT reconnect
 * together. (Under load: tests/integration ike-strongswan-flood.) */
static void
test_half_open_per_source(struct fx *f)
{
	struct ike *x = f->ike;
	struct ike_stats st = x->st;
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	uint8_t resp[MSG_MAX];
	struct ini c[3];
	size_t len;

	for (unsigned i = 0; i < 3; i++)
		if (ini_open(&c[i], f) < 0 || dh == NULL) {
			CHECK(0, "set-up");
			for (unsigned j = 0; j <= i; j++)
				ini_close(&c[j]);
			ike_dh_free(dh);
			return;
		}
	CHECK(do_init(&c[0]) == 0 && do_init(&c[1]) == 0, "two half-open");
	CHECK(x->n_half_open == 2 && ike_src_count(x, LOCALHOST) == 2,
	      "%zu half-open", x->n_half_open);
	len = build_init(&c[2], &INIT_OK, dh);
	CHECK(take_init_resp(&c[2], dh, resp, xchg(&c[2], c[2].init_req, len,
						   resp, sizeof(resp))) == 0 &&
	      x->n_half_open == 3, "third half-open not answered in quiet times");
	CHECK(x->st.half_open_refused == st.half_open_refused &&
	      stats_json(x, "half_open_refused") == x->st.half_open_refused,
	      "refused in quiet times");
	for (unsigned i = 0; i < 3; i++) {
		if (resp_sa(&c[i]) != NULL)
			ike_sa_destroy(x, resp_sa(&c[i]), "test done");
		ini_close(&c[i]);
	}
	CHECK(x->n_sa == 0 && ike_src_count(x, LOCALHOST) == 0, "cleaned up");
	ike_dh_free(dh);
}

/* CREATE_CHILD_SA from the client: rekeys of its CHILD SA without and
 * with PFS, the refusals, DELETE of the replaced SA. */
static void
test_child_rekey(struct fx *f)
{
	struct ike *x = f->ike;
	uint8_t inner[MSG_MAX], resp[MSG_MAX], ni[IKE_NONCE_LEN], first = 0;
	static const uint8_t want_ecp256[2] = { 0, IKE_DH_ECP256 };
	uint32_t mine, theirs, old_mine, old_theirs, msgid = 2;
	size_t n_tun = f->cp.tm->n_tunnels, ilen;
	struct granted g;
	struct ike_sa *sa;
	struct ini c;

	if (connect_ok(&c, f, &pki.ec, &g) < 0 || RAND_bytes(ni, 32) != 1)
		goto out;
	mine = c.esp_spi;
	theirs = g.esp_spi;

	/* no PFS; then the client deletes the SA it replaced */
	old_mine = mine;
	old_theirs = theirs;
	rekey_child_ok(&c, msgid++, 0, &g, &mine, &theirs);
	delete_esp(&c, msgid++, old_mine, old_theirs);
	CHECK(tm_find(f->cp.tm, resp_sa(&c) ? resp_sa(&c)->child.name : "") !=
	      NULL && f->cp.tm->n_tunnels == n_tun + 1 &&
	      resp_sa(&c) != NULL && resp_sa(&c)->child.present,
	      "the tunnel went with the replaced SA");

	/* PFS with ecp256 */
	old_mine = mine;
	old_theirs = theirs;
	rekey_child_ok(&c, msgid++, IKE_DH_ECP256, &g, &mine, &theirs);

	/* KE for a group the ESP policy refuses (modp1024), ecp256 also
	 * offered: INVALID_KE_PAYLOAD naming ecp256 (RFC 7296 1.3) */
	{
		struct child_opt opt = { .rekey_spi = mine, .spi = mine + 1,
			.groups = { IKE_DH_ECP256, IKE_DH_MODP1024 },
			.ke = IKE_DH_MODP1024 };
		struct ike_dh *dh = ike_dh_new(IKE_DH_MODP1024);

		if (dh != NULL) {
			ilen = build_child(&opt, ni, dh, inner, sizeof(inner),
					   &first);
			if (request(&c, IKE_CREATE_CHILD_SA, msgid++, inner,
				    ilen, first, resp, sizeof(resp)) == 0)
				expect_sk_notify_data(&msg,
						      IKE_N_INVALID_KE_PAYLOAD,
						      want_ecp256, 2,
						      "CHILD SA rekey, SA "
						      "ecp256+modp1024, KE "
						      "modp1024");
		}
		ike_dh_free(dh);
	}
	/* KE for ecp384, the proposal lists ecp256 only: the same */
	{
		struct child_opt opt = { .rekey_spi = mine, .spi = mine + 1,
			.groups = { IKE_DH_ECP256 }, .ke = IKE_DH_ECP384 };
		struct ike_dh *dh = ike_dh_new(IKE_DH_ECP384);

		if (dh != NULL) {
			ilen = build_child(&opt, ni, dh, inner, sizeof(inner),
					   &first);
			if (request(&c, IKE_CREATE_CHILD_SA, msgid++, inner,
				    ilen, first, resp, sizeof(resp)) == 0)
				expect_sk_notify_data(&msg,
						      IKE_N_INVALID_KE_PAYLOAD,
						      want_ecp256, 2,
						      "CHILD SA rekey, SA "
						      "ecp256, KE ecp384");
		}
		ike_dh_free(dh);
	}
	/* REKEY_SA naming an SPI this IKE SA does not have */
	{
		struct child_opt opt = { .rekey_spi = 0x0badc0de,
			.spi = mine + 1 };

		ilen = build_child(&opt, ni, NULL, inner, sizeof(inner), &first);
		if (request(&c, IKE_CREATE_CHILD_SA, msgid++, inner, ilen, first,
			    resp, sizeof(resp)) == 0)
			expect_sk_notify(&msg, IKE_N_CHILD_SA_NOT_FOUND);
	}
	/* a second CHILD SA (no REKEY_SA): one tunnel per client */
	{
		struct child_opt opt = { .spi = mine + 1 };

		ilen = build_child(&opt, ni, NULL, inner, sizeof(inner), &first);
		if (request(&c, IKE_CREATE_CHILD_SA, msgid++, inner, ilen, first,
			    resp, sizeof(resp)) == 0)
			expect_sk_notify(&msg, IKE_N_NO_ADDITIONAL_SAS);
	}
	sa = resp_sa(&c);
	CHECK(sa != NULL && sa->child.spi_in == theirs &&
	      sa->child.spi_out == mine && f->cp.tm->n_tunnels == n_tun + 1,
	      "a refused CREATE_CHILD_SA changed the CHILD SA");
	if (sa != NULL) {
		struct tunnel *t = tm_find(f->cp.tm, sa->child.name);

		CHECK(t != NULL && t->spec.spi_in == theirs &&
		      t->spec.spi_out == mine, "tunnel SPIs after refusals");
	}

	/* the SA the PFS rekey replaced */
	delete_esp(&c, msgid++, old_mine, old_theirs);
	CHECK(resp_sa(&c) != NULL && resp_sa(&c)->state == IKE_S_ESTABLISHED &&
	      resp_sa(&c)->child.present && resp_sa(&c)->child.old_spi_out == 0,
	      "after the DELETE of the replaced SA");
out:
	if (resp_sa(&c) != NULL)
		ike_sa_destroy(x, resp_sa(&c), "test done");
	CHECK(x->n_sa == 0 && x->pool.used == 0 && f->cp.tm->n_tunnels == n_tun,
	      "cleaned up");
	ini_close(&c);
}

/* The IKE SA (one proposal, 8-byte SPI) as CREATE_CHILD_SA's SA. */
static void
out_ike_rekey_sa(struct ike_out *o, const uint8_t spi[IKE_SPI_LEN])
{
	size_t len = IKE_PROP_HDR_LEN + IKE_SPI_LEN + 3 * IKE_XFORM_HDR_LEN +
		IKE_ATTR_TV_LEN;
	uint8_t *p = ike_out_pl(o, IKE_PL_SA, len);

	if (p == NULL)
		return;
	p[0] = IKE_PROP_LAST;
	p[1] = 0;
	ike_put16(p + 2, (uint16_t)len);
	p[4] = 1;
	p[5] = IKE_PROTO_IKE;
	p[6] = IKE_SPI_LEN;
	p[7] = 3;
	memcpy(p + IKE_PROP_HDR_LEN, spi, IKE_SPI_LEN);
	p += IKE_PROP_HDR_LEN + IKE_SPI_LEN;
	p = put_xform(p, false, IKE_XF_ENCR, IKE_ENCR_AES_GCM16, 256);
	p = put_xform(p, false, IKE_XF_PRF, IKE_PRF_HMAC_SHA256, 0);
	put_xform(p, true, IKE_XF_DH, IKE_DH_ECP256, 0);
}

/* The IKE SA in ike_show: ONE entry with IDENTITY and SPIr. */
static void
check_show(struct ike *x, const char *identity, const uint8_t spi_r[8],
	   uint32_t vip)
{
	struct jw w = { 0 };
	json_object *o, *arr, *e, *v;
	char spi[17], ip[16];
	char *s;

	for (int i = 0; i < 8; i++)
		snprintf(spi + 2 * i, 3, "%02x", spi_r[i]);
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", vip >> 24, (vip >> 16) & 0xff,
		 (vip >> 8) & 0xff, vip & 0xff);
	jw_obj(&w, NULL);
	ike_show(x, &w);
	jw_end_obj(&w);
	s = jw_finish(&w);
	o = s != NULL ? json_tokener_parse(s) : NULL;
	CHECK(o != NULL && json_object_object_get_ex(o, "ike_sas", &arr) &&
	      json_object_array_length(arr) == 1, "ike_show: %s", s ? s : "");
	if (o != NULL && json_object_object_get_ex(o, "ike_sas", &arr) &&
	    json_object_array_length(arr) == 1) {
		e = json_object_array_get_idx(arr, 0);
		CHECK(json_object_object_get_ex(e, "identity", &v) &&
		      !strcmp(json_object_get_string(v), identity),
		      "ike_show identity");
		CHECK(json_object_object_get_ex(e, "spi_r", &v) &&
		      !strcmp(json_object_get_string(v), spi),
		      "ike_show spi_r %s, want %s",
		      json_object_get_string(v), spi);
		CHECK(json_object_object_get_ex(e, "vip", &v) &&
		      !strcmp(json_object_get_string(v), ip), "ike_show vip");
		CHECK(json_object_object_get_ex(e, "state", &v) &&
		      !strcmp(json_object_get_string(v), "established"),
		      "ike_show state");
	}
	json_object_put(o);
	free(s);
}

/* CREATE_CHILD_SA rekeying the IKE SA (RFC 7296 1.3.2, 2.18): the new
 * SA answers with the new keys from message ID 0 and holds the client's
 * identity, address and tunnel once the old one is deleted. */
static void
test_ike_rekey(struct fx *f)
{
	struct ike *x = f->ike;
	uint8_t inner[MSG_MAX], resp[MSG_MAX], ni[IKE_NONCE_LEN];
	uint8_t nr[IKE_NONCE_MAX], gir[IKE_MAX_DH_LEN], spi_i[IKE_SPI_LEN];
	uint8_t spi_r[IKE_SPI_LEN];
	size_t n_tun = f->cp.tm->n_tunnels, nr_len = 0, glen;
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	uint64_t rekeys = x->st.ike_rekeys;
	static struct ike_sa_pl sa_pl;
	static struct ini old;
	char name[P2SGW_NAME_LEN] = "";
	const struct ike_pl *p;
	const char *why = "";
	struct ike_sa *sa;
	struct granted g;
	struct ike_out o;
	struct ini c;
	uint32_t mine, theirs;

	memset(&c, 0, sizeof(c));
	c.fx = f;
	c.fd = -1;
	if (dh == NULL || connect_ok(&c, f, &pki.ec, &g) < 0 ||
	    RAND_bytes(ni, sizeof(ni)) != 1 ||
	    RAND_bytes(spi_i, sizeof(spi_i)) != 1)
		goto out;
	snprintf(name, sizeof(name), "%s", resp_sa(&c)->child.name);
	spi_i[0] |= 1;
	ike_out_chain(&o, inner, sizeof(inner));
	out_ike_rekey_sa(&o, spi_i);
	ike_out_copy(&o, IKE_PL_NONCE, ni, sizeof(ni));
	out_ke(&o, IKE_DH_ECP256, dh);
	if (request(&c, IKE_CREATE_CHILD_SA, 2, inner, o.len, ike_out_first(&o),
		    resp, sizeof(resp)) < 0)
		goto out;

	/* SA with the responder's new SPI, Nr, KEr */
	CHECK(msg.n == 4 && ike_count(&msg, IKE_PL_NOTIFY, true) == 0,
	      "%u inner payloads", msg.n - 1);
	p = ike_find(&msg, IKE_PL_SA, true);
	CHECK(p != NULL && ike_dec_sa(p, &sa_pl, &why) == 0 && sa_pl.n == 1 &&
	      sa_pl.prop[0].proto == IKE_PROTO_IKE &&
	      sa_pl.prop[0].spi_len == IKE_SPI_LEN &&
	      sa_pl.prop[0].n_xf == 3, "IKE SA: %s", why);
	if (p == NULL || sa_pl.n != 1)
		goto out;
	memcpy(spi_r, sa_pl.prop[0].spi, IKE_SPI_LEN);
	CHECK(memcmp(spi_r, "\0\0\0\0\0\0\0\0", 8) != 0 &&
	      memcmp(spi_r, c.spi_r, 8) != 0, "the responder's new SPI");
	p = ike_find(&msg, IKE_PL_NONCE, true);
	CHECK(p != NULL && p->len == IKE_NONCE_LEN, "Nr");
	if (p == NULL || p->len > IKE_NONCE_MAX)
		goto out;
	memcpy(nr, p->body, p->len);
	nr_len = p->len;
	glen = take_ke(&msg, IKE_DH_ECP256, dh, gir, sizeof(gir));
	CHECK(x->st.ike_rekeys == rekeys + 1 && x->n_sa == 2 &&
	      x->n_established == 2 && x->n_half_open == 0,
	      "after the rekey: %zu SAs, %zu established, %zu half-open",
	      x->n_sa, x->n_established, x->n_half_open);

	/* the new keys: SKEYSEED = prf(SK_d (old), g^ir | Ni | Nr) */
	old = c;
	ini_dirs(&old);
	memcpy(c.spi_i, spi_i, IKE_SPI_LEN);
	memcpy(c.spi_r, spi_r, IKE_SPI_LEN);
	CHECK(ike_derive_keys(&c.suite, ni, sizeof(ni), nr, nr_len, gir, glen,
			      spi_i, spi_r, old.k.d, old.k.d_len, &c.k) == 0,
	      "new keys");
	OPENSSL_cleanse(gir, sizeof(gir));
	ini_dirs(&c);
	c.iv_seq = 0;

	/* an INFORMATIONAL on the new SA, message ID 0 */
	if (request(&c, IKE_INFORMATIONAL, 0, NULL, 0, IKE_PL_NONE, resp,
		    sizeof(resp)) == 0)
		CHECK(msg.n == 1, "%u payloads in the answer", msg.n);

	/* the client deletes the old IKE SA: the tunnel and address stay */
	{
		static const uint8_t del[IKE_GEN_HDR_LEN + IKE_D_FIXED] = {
			0, 0, 0, IKE_GEN_HDR_LEN + IKE_D_FIXED,
			IKE_PROTO_IKE, 0, 0, 0 };

		if (request(&old, IKE_INFORMATIONAL, 3, del, sizeof(del),
			    IKE_PL_DELETE, resp, sizeof(resp)) == 0)
			CHECK(msg.n == 1, "%u payloads in the DELETE answer",
			      msg.n);
	}
	sa = resp_sa(&c);
	CHECK(ike_sa_by_spi(x, old.spi_r) == NULL && x->n_sa == 1 &&
	      sa != NULL && sa->state == IKE_S_ESTABLISHED,
	      "old SA left or new SA gone");
	CHECK(sa != NULL && x->head == sa && !strcmp(sa->identity,
						     "ec.client.test") &&
	      sa->vip == g.vip && sa->child.present &&
	      !strcmp(sa->child.name, name), "the new SA holds the client");
	CHECK(tm_find(f->cp.tm, name) != NULL &&
	      f->cp.tm->n_tunnels == n_tun + 1 && pool_in_use(&x->pool, g.vip),
	      "tunnel %s or VIP gone with the old SA", name);
	check_show(x, "ec.client.test", spi_r, g.vip);

	/* the CHILD SA rekeyed on the new SA: KEYMAT from its SK_d */
	mine = c.esp_spi;
	theirs = g.esp_spi;
	rekey_child_ok(&c, 1, IKE_DH_ECP256, &g, &mine, &theirs);

	/* DELETE of the new SA: everything goes */
	{
		static const uint8_t del[IKE_GEN_HDR_LEN + IKE_D_FIXED] = {
			0, 0, 0, IKE_GEN_HDR_LEN + IKE_D_FIXED,
			IKE_PROTO_IKE, 0, 0, 0 };

		if (request(&c, IKE_INFORMATIONAL, 2, del, sizeof(del),
			    IKE_PL_DELETE, resp, sizeof(resp)) == 0)
			CHECK(msg.n == 1, "DELETE answer");
	}
out:
	OPENSSL_cleanse(&old, sizeof(old));
	if (resp_sa(&c) != NULL)
		ike_sa_destroy(x, resp_sa(&c), "test done");
	while (x->head != NULL)
		ike_sa_destroy(x, x->head, "test done");
	CHECK(x->pool.used == 0 && f->cp.tm->n_tunnels == n_tun, "cleaned up");
	ike_dh_free(dh);
	ini_close(&c);
}

/* The gateway's CREATE_CHILD_SA for a new IKE SA, received by C: its
 * SPI, nonce and the DH secret with DH. 0, or -1. */
static int
take_gw_ike_rekey(struct ini *c, uint32_t msgid, uint8_t flags,
		  struct ike_dh *dh, uint8_t spi[IKE_SPI_LEN], uint8_t *ni,
		  size_t *ni_len, uint8_t *gir, size_t *glen)
{
	static struct ike_sa_pl pl;
	uint8_t b[MSG_MAX];
	size_t len = recv_wait(c, b, sizeof(b), 1500);
	const struct ike_pl *p;
	const char *why = "";

	if (open_msg(c, b, len, IKE_CREATE_CHILD_SA, msgid, flags, &msg) < 0)
		return -1;
	p = ike_find(&msg, IKE_PL_SA, true);
	CHECK(p != NULL && ike_dec_sa(p, &pl, &why) == 0 && pl.n == 1 &&
	      pl.prop[0].proto == IKE_PROTO_IKE &&
	      pl.prop[0].spi_len == IKE_SPI_LEN && pl.prop[0].n_xf == 3,
	      "the gateway's IKE SA proposal: %s", why);
	if (p == NULL || pl.n != 1)
		return -1;
	memcpy(spi, pl.prop[0].spi, IKE_SPI_LEN);
	p = ike_find(&msg, IKE_PL_NONCE, true);
	CHECK(p != NULL && p->len == IKE_NONCE_LEN, "Ni of the gateway");
	if (p == NULL || p->len > IKE_NONCE_MAX)
		return -1;
	memcpy(ni, p->body, p->len);
	*ni_len = p->len;
	*glen = take_ke(&msg, IKE_DH_ECP256, dh, gir, IKE_MAX_DH_LEN);
	return *glen ? 0 : -1;
}

/* Answer (or start) a CREATE_CHILD_SA for an IKE SA as C: SPI, nonce N
 * (32 bytes), KE of DH. */
static size_t
ike_rekey_msg(struct ini *c, uint32_t msgid, uint8_t flags,
	      const uint8_t spi[IKE_SPI_LEN], const uint8_t n[IKE_NONCE_LEN],
	      const struct ike_dh *dh, uint8_t *out, size_t cap)
{
	uint8_t inner[MSG_MAX];
	struct ike_out o;

	ike_out_chain(&o, inner, sizeof(inner));
	out_ike_rekey_sa(&o, spi);
	ike_out_copy(&o, IKE_PL_NONCE, n, IKE_NONCE_LEN);
	out_ke(&o, IKE_DH_ECP256, dh);
	return seal_flags(c, IKE_CREATE_CHILD_SA, msgid, flags, inner, o.len,
			  ike_out_first(&o), out, cap);
}

/* The gateway rekeys the IKE SA (RFC 7296 2.18): it becomes the new IKE
 * SA's initiator (our SPI is its SPIr, its messages carry the I flag,
 * SK_ei protects them), takes the tunnel and address over and deletes
 * the old SA. Then both sides rekey that SA at once (2.8.2) with the
 * client's exchange holding the lowest nonce: the client's new SA is
 * the redundant one, the gateway's keeps the tunnel and the gateway
 * deletes the old SA. */
static void
test_gw_ike_rekey(struct fx *f)
{
	struct ike *x = f->ike;
	uint8_t b[MSG_MAX], resp[MSG_MAX], gw_spi[IKE_SPI_LEN], my_spi[IKE_SPI_LEN];
	uint8_t gw_ni[IKE_NONCE_MAX], my_n[IKE_NONCE_LEN], gir[IKE_MAX_DH_LEN];
	uint8_t gw2_spi[IKE_SPI_LEN], nc_spi[IKE_SPI_LEN];
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	struct ike_dh *dh2 = ike_dh_new(IKE_DH_ECP256);
	struct ike_stats st = x->st;
	char name[P2SGW_NAME_LEN] = "";
	size_t ni_len = 0, glen = 0, len;
	struct ike_sa *sa, *old, *nc;
	static struct ini c2;
	struct granted g;
	struct ini c;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (dh == NULL || dh2 == NULL || connect_ok(&c, f, &pki.ec, &g) < 0)
		goto out;
	old = resp_sa(&c);
	snprintf(name, sizeof(name), "%s", old->child.name);
	ike_ike_rekey_start(x, old);
	CHECK(old->irk.active && old->req != NULL, "no IKE SA rekey started");
	if (take_gw_ike_rekey(&c, 0, 0, dh, gw_spi, gw_ni, &ni_len, gir,
			      &glen) < 0)
		goto out;
	RAND_bytes(my_spi, sizeof(my_spi));
	RAND_bytes(my_n, sizeof(my_n));
	len = ike_rekey_msg(&c, 0, IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE,
			    my_spi, my_n, dh, b, sizeof(b));
	send_msg(&c, b, len);
	/* the gateway deletes the old IKE SA right away */
	len = recv_wait(&c, b, sizeof(b), 1500);
	if (open_msg(&c, b, len, IKE_INFORMATIONAL, 1, 0, &msg) == 0) {
		struct ike_del d = { 0 };
		const char *why = "";

		CHECK(msg.n == 2 && msg.pl[1].type == IKE_PL_DELETE &&
		      ike_dec_delete(&msg.pl[1], &d, &why) == 0 &&
		      d.proto == IKE_PROTO_IKE, "Delete(IKE) of the old SA");
	}
	sa = ike_sa_by_spi(x, gw_spi);
	CHECK(sa != NULL && sa->initiator && !memcmp(sa->spi_i, gw_spi, 8) &&
	      !memcmp(sa->spi_r, my_spi, 8) && sa->state == IKE_S_ESTABLISHED,
	      "the gateway's new IKE SA");
	CHECK(sa != NULL && sa->child.present && !strcmp(sa->child.name, name) &&
	      sa->vip == g.vip && !strcmp(sa->identity, "ec.client.test") &&
	      x->st.gw_ike_rekeys == st.gw_ike_rekeys + 1,
	      "the new IKE SA does not hold the client");
	len = seal_flags(&c, IKE_INFORMATIONAL, 1,
			 IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE, NULL, 0,
			 IKE_PL_NONE, b, sizeof(b));
	CHECK(no_answer(&c, b, len) && resp_sa(&c) == NULL,
	      "the old IKE SA stays after its DELETE was answered");
	CHECK(tm_find(f->cp.tm, name) != NULL && pool_in_use(&x->pool, g.vip),
	      "tunnel or VIP gone with the old IKE SA");

	/* the new SA's keys, the client now its responder */
	c2 = c;
	memcpy(c2.spi_i, gw_spi, IKE_SPI_LEN);
	memcpy(c2.spi_r, my_spi, IKE_SPI_LEN);
	CHECK(ike_derive_keys(&c.suite, gw_ni, ni_len, my_n, sizeof(my_n), gir,
			      glen, gw_spi, my_spi, c.k.d, c.k.d_len, &c2.k) == 0,
	      "new keys");
	c2.out = (struct ike_sk_dir){ c2.suite.encr, c2.suite.integ, c2.k.er,
		NULL };
	c2.in = (struct ike_sk_dir){ c2.suite.encr, c2.suite.integ, c2.k.ei,
		NULL };
	c2.iv_seq = 0;
	len = seal_flags(&c2, IKE_INFORMATIONAL, 0, 0, NULL, 0, IKE_PL_NONE, b,
			 sizeof(b));
	if (open_msg(&c2, resp, xchg(&c2, b, len, resp, sizeof(resp)),
		     IKE_INFORMATIONAL, 0, IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE,
		     &msg) == 0)
		CHECK(msg.n == 1, "answer on the new IKE SA");

	/* collision: the gateway's rekey, then the client's with an
	 * all-zero nonce (the lowest), then the answer to the gateway's */
	sa = ike_sa_by_spi(x, gw_spi);
	if (sa == NULL)
		goto out;
	ike_ike_rekey_start(x, sa);
	if (take_gw_ike_rekey(&c2, 0, IKE_FLAG_INITIATOR, dh2, gw2_spi, gw_ni,
			      &ni_len, gir, &glen) < 0)
		goto out;
	memset(my_n, 0, sizeof(my_n));
	RAND_bytes(my_spi, sizeof(my_spi));
	len = ike_rekey_msg(&c2, 1, 0, my_spi, my_n, dh, b, sizeof(b));
	if (open_msg(&c2, resp, xchg(&c2, b, len, resp, sizeof(resp)),
		     IKE_CREATE_CHILD_SA, 1, IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE,
		     &msg) < 0)
		goto out;
	{
		static struct ike_sa_pl pl;
		const struct ike_pl *p = ike_find(&msg, IKE_PL_SA, true);
		const char *why = "";

		CHECK(p != NULL && ike_dec_sa(p, &pl, &why) == 0 && pl.n == 1 &&
		      pl.prop[0].spi_len == IKE_SPI_LEN,
		      "answer to the client's rekey: %s", why);
		if (p == NULL || pl.n != 1)
			goto out;
		memcpy(nc_spi, pl.prop[0].spi, IKE_SPI_LEN);
	}
	nc = ike_sa_by_spi(x, nc_spi);
	CHECK(x->st.ike_rekey_collisions == st.ike_rekey_collisions + 1 &&
	      nc != NULL && !nc->initiator && nc->child.present,
	      "the collision was not seen");
	memset(my_n, 0xff, sizeof(my_n));
	RAND_bytes(my_spi, sizeof(my_spi));
	len = ike_rekey_msg(&c2, 0, IKE_FLAG_RESPONSE, my_spi, my_n, dh2, b,
			    sizeof(b));
	send_msg(&c2, b, len);
	/* the gateway's SA stays: it takes the tunnel from the client's
	 * and deletes the SA both rekeyed */
	len = recv_wait(&c2, b, sizeof(b), 1500);
	if (open_msg(&c2, b, len, IKE_INFORMATIONAL, 1, IKE_FLAG_INITIATOR,
		     &msg) == 0)
		CHECK(msg.n == 2 && msg.pl[1].type == IKE_PL_DELETE,
		      "Delete of the SA both rekeyed");
	sa = ike_sa_by_spi(x, gw2_spi);
	nc = ike_sa_by_spi(x, nc_spi);
	CHECK(sa != NULL && sa->initiator && sa->child.present &&
	      !strcmp(sa->child.name, name) && sa->vip == g.vip &&
	      nc != NULL && !nc->child.present && nc->vip == 0 &&
	      x->st.gw_ike_rekeys == st.gw_ike_rekeys + 2,
	      "after the collision the gateway's SA must hold the tunnel");
out:
	while (x->head != NULL)
		ike_sa_destroy(x, x->head, "test done");
	CHECK(x->pool.used == 0, "cleaned up");
	ike_dh_free(dh);
	ike_dh_free(dh2);
	OPENSSL_cleanse(&c2, sizeof(c2));
	ini_close(&c);
}

/* The gateway's CREATE_CHILD_SA rekeying our CHILD SA (request MSGID):
 * its new inbound SPI, nonce, and its KE group (0: no PFS) with the
 * secret against DH (a fresh key of that group into *DH). 0, or -1. */
static int
take_gw_child_rekey(struct ini *c, uint32_t msgid, uint32_t *spi, uint8_t *ni,
		    size_t *ni_len, uint16_t *group, struct ike_dh **dh,
		    uint8_t *gir, size_t *glen)
{
	static struct ike_sa_pl pl;
	uint8_t b[MSG_MAX];
	size_t len = recv_wait(c, b, sizeof(b), 1500);
	const struct ike_pl *p;
	struct ike_ke ke = { 0 };
	const char *why = "";

	if (open_msg(c, b, len, IKE_CREATE_CHILD_SA, msgid, 0, &msg) < 0)
		return -1;
	p = ike_find(&msg, IKE_PL_SA, true);
	CHECK(p != NULL && ike_dec_sa(p, &pl, &why) == 0 && pl.n == 1 &&
	      pl.prop[0].proto == IKE_PROTO_ESP &&
	      pl.prop[0].spi_len == IKE_ESP_SPI_LEN, "ESP proposal: %s", why);
	if (p == NULL || pl.n != 1)
		return -1;
	*spi = ike_get32(pl.prop[0].spi);
	p = ike_find(&msg, IKE_PL_NONCE, true);
	if (p == NULL || p->len > IKE_NONCE_MAX)
		return -1;
	memcpy(ni, p->body, p->len);
	*ni_len = p->len;
	*group = 0;
	*glen = 0;
	p = ike_find(&msg, IKE_PL_KE, true);
	if (p == NULL)
		return 0;
	if (ike_dec_ke(p, &ke, &why) < 0 || (*dh = ike_dh_new(ke.group)) == NULL ||
	    ike_dh_shared(*dh, ke.data, ke.len, gir, IKE_MAX_DH_LEN, glen) < 0)
		return -1;
	*group = ke.group;
	return 0;
}

/* Both sides rekey the CHILD SA at once (RFC 7296 2.8.1); the lowest of
 * the four nonces marks the redundant SA. GW_STAYS: the client's request
 * carries the all-zero nonce, so its SA is redundant (answered as usual,
 * never installed); the gateway installs its own and deletes the old SA.
 * Otherwise the client's answer to the gateway carries it: the gateway's
 * SA is redundant and deleted, the client's installed. */
static void
child_collision(struct fx *f, bool gw_stays)
{
	struct ike *x = f->ike;
	struct ike_stats st = x->st;
	uint8_t b[MSG_MAX], inner[MSG_MAX], resp[MSG_MAX], first = 0;
	uint8_t gw_ni[IKE_NONCE_MAX], my_n[IKE_NONCE_LEN], gir[IKE_MAX_DH_LEN];
	uint32_t gw_spi = 0, mine, theirs;
	struct ike_dh *dh = NULL;
	char name[P2SGW_NAME_LEN] = "";
	size_t ni_len = 0, glen = 0, len;
	struct child_opt opt = { 0 };
	struct ike_sa *sa;
	struct tunnel *t;
	struct granted g;
	uint16_t group = 0;
	struct ini c;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (connect_ok(&c, f, &pki.ec, &g) < 0)
		goto out;
	sa = resp_sa(&c);
	snprintf(name, sizeof(name), "%s", sa->child.name);
	mine = c.esp_spi;
	theirs = g.esp_spi;
	ike_child_rekey_start(x, sa);
	if (take_gw_child_rekey(&c, 0, &gw_spi, gw_ni, &ni_len, &group, &dh,
				gir, &glen) < 0)
		goto out;
	/* our own rekey of the same CHILD SA: no answer while the
	 * gateway's is open */
	opt = (struct child_opt){ .rekey_spi = mine, .spi = 0x0b000001,
		.groups = { group }, .ke = group };
	memset(my_n, gw_stays ? 0x00 : 0xff, sizeof(my_n));
	len = build_child(&opt, my_n, dh, inner, sizeof(inner), &first);
	len = seal(&c, IKE_CREATE_CHILD_SA, 2, inner, len, first, b, sizeof(b));
	CHECK(no_answer(&c, b, len), "the client's rekey answered too early");
	CHECK(x->st.child_rekey_collisions == st.child_rekey_collisions + 1,
	      "the collision was not seen");
	/* the answer to the gateway's; the client's request is answered */
	opt = (struct child_opt){ .spi = 0x0b000002, .groups = { group },
		.ke = group };
	memset(my_n, gw_stays ? 0xff : 0x00, sizeof(my_n));
	len = build_child(&opt, my_n, dh, inner, sizeof(inner), &first);
	len = seal_flags(&c, IKE_CREATE_CHILD_SA, 0,
			 IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE, inner, len,
			 first, b, sizeof(b));
	send_msg(&c, b, len);
	len = recv_wait(&c, resp, sizeof(resp), 1500);
	if (open_msg(&c, resp, len, IKE_CREATE_CHILD_SA, 2,
		     IKE_FLAG_RESPONSE, &msg) == 0)
		CHECK(ike_find(&msg, IKE_PL_SA, true) != NULL &&
		      ike_count(&msg, IKE_PL_NOTIFY, true) == 0,
		      "the client's rekey not answered as usual");
	/* then the gateway's DELETE: of the old SA, or of its own */
	len = recv_wait(&c, b, sizeof(b), 1500);
	if (open_msg(&c, b, len, IKE_INFORMATIONAL, 1, 0, &msg) == 0) {
		struct ike_del d = { 0 };
		const char *why = "";

		CHECK(msg.n == 2 && msg.pl[1].type == IKE_PL_DELETE &&
		      ike_dec_delete(&msg.pl[1], &d, &why) == 0 && d.n_spi == 1 &&
		      ike_get32(d.spis) == (gw_stays ? theirs : gw_spi),
		      "Delete of %#x expected", gw_stays ? theirs : gw_spi);
	}
	sa = resp_sa(&c);
	t = tm_find(f->cp.tm, name);
	CHECK(sa != NULL && t != NULL && x->st.redundant_deleted ==
	      st.redundant_deleted + 1, "tunnel or IKE SA gone");
	if (sa == NULL || t == NULL)
		goto out;
	if (gw_stays)
		CHECK(t->spec.spi_in == gw_spi && t->spec.spi_out == 0x0b000002 &&
		      sa->child.red_spi_out == 0x0b000001 &&
		      sa->child.red_spi_in != 0,
		      "the gateway's SA must be installed: %#x/%#x",
		      t->spec.spi_in, t->spec.spi_out);
	else
		CHECK(t->spec.spi_out == 0x0b000001 && t->spec.spi_in != gw_spi &&
		      t->spec.spi_in != theirs,
		      "the client's SA must be installed: %#x/%#x",
		      t->spec.spi_in, t->spec.spi_out);
	if (gw_stays) {
		/* the client deletes its redundant SA: the tunnel stays */
		uint32_t red = sa->child.red_spi_in;

		delete_esp(&c, 3, 0x0b000001, red);
		CHECK(tm_find(f->cp.tm, name) != NULL && resp_sa(&c) != NULL &&
		      resp_sa(&c)->child.present, "the tunnel went with the "
		      "redundant SA");
	}
out:
	while (x->head != NULL)
		ike_sa_destroy(x, x->head, "test done");
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(dh);
	ini_close(&c);
}

static void
test_child_collision(struct fx *f)
{
	child_collision(f, true);
	child_collision(f, false);
}

/* The client deletes its only CHILD SA, then creates a new one on the
 * same IKE SA (CREATE_CHILD_SA without REKEY_SA): same VIP, a new tunnel,
 * KEYMAT from the new nonces and PFS; a second one is still refused. */
static void
test_new_child(struct fx *f)
{
	struct ike *x = f->ike;
	uint8_t inner[MSG_MAX], resp[MSG_MAX], ni[IKE_NONCE_LEN], first = 0;
	uint8_t nr[IKE_NONCE_MAX], gir[IKE_MAX_DH_LEN];
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	struct child_opt opt = { .spi = 0x0c000001,
		.groups = { IKE_DH_ECP256 }, .ke = IKE_DH_ECP256 };
	char old[P2SGW_NAME_LEN] = "";
	size_t len, nr_len = 0, glen = 0;
	uint64_t n0 = x->st.new_children;
	uint32_t spi = 0;
	struct ike_sa *sa;
	struct tunnel *t;
	struct granted g;
	struct ini c;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (dh == NULL || connect_ok(&c, f, &pki.ec, &g) < 0 ||
	    RAND_bytes(ni, sizeof(ni)) != 1)
		goto out;
	snprintf(old, sizeof(old), "%s", resp_sa(&c)->child.name);
	delete_esp(&c, 2, c.esp_spi, g.esp_spi);
	sa = resp_sa(&c);
	CHECK(sa != NULL && !sa->child.present && sa->vip == g.vip &&
	      pool_in_use(&x->pool, g.vip), "after the CHILD SA's DELETE");
	len = build_child(&opt, ni, dh, inner, sizeof(inner), &first);
	if (request(&c, IKE_CREATE_CHILD_SA, 3, inner, len, first, resp,
		    sizeof(resp)) < 0)
		goto out;
	check_child_resp(&msg, g.vip, IKE_DH_ECP256, &spi, nr, &nr_len);
	glen = take_ke(&msg, IKE_DH_ECP256, dh, gir, sizeof(gir));
	sa = resp_sa(&c);
	CHECK(sa != NULL && sa->child.present && strcmp(sa->child.name, old) &&
	      sa->child.spi_in == spi && sa->child.spi_out == opt.spi &&
	      x->st.new_children == n0 + 1, "the new CHILD SA");
	t = sa != NULL ? tm_find(f->cp.tm, sa->child.name) : NULL;
	CHECK(t != NULL && t->spec.vip == g.vip && t->spec.spi_in == spi &&
	      t->spec.spi_out == opt.spi, "the new tunnel");
	if (t != NULL)
		check_keymat(&c, t, gir, glen, ni, sizeof(ni), nr, nr_len);
	CHECK(tm_find(f->cp.tm, old) == NULL, "the old tunnel %s stays", old);
	/* a second CHILD SA: still one per client */
	opt.spi = 0x0c000002;
	len = build_child(&opt, ni, dh, inner, sizeof(inner), &first);
	if (request(&c, IKE_CREATE_CHILD_SA, 4, inner, len, first, resp,
		    sizeof(resp)) == 0)
		expect_sk_notify_data(&msg, IKE_N_NO_ADDITIONAL_SAS, NULL, 0,
				      "a second CHILD SA");
out:
	OPENSSL_cleanse(gir, sizeof(gir));
	while (x->head != NULL)
		ike_sa_destroy(x, x->head, "test done");
	CHECK(x->pool.used == 0, "cleaned up");
	ike_dh_free(dh);
	ini_close(&c);
}

/* Behind a NAT ourselves (RFC 3948 4): an idle tunnel gets a NAT-T
 * keepalive (one 0xff byte from the NAT-T port) every
 * ike.natt_keepalive seconds, none while we sent something lately. */
static void
test_natt_keepalive(struct fx *f)
{
	struct ike *x = f->ike;
	uint64_t n0 = x->st.natt_keepalives;
	uint8_t b[MSG_MAX];
	struct ike_sa *sa;
	struct granted g;
	struct ini c;
	size_t len;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (connect_ok(&c, f, &pki.ec, &g) < 0)
		goto out;
	sa = resp_sa(&c);
	sa->nat_local = true;
	sa->addr.local_port = x->port[1];
	sa->ka_ns = loop_now(x->loop);
	loop_timer_arm(x->loop, &x->dpd, 0);
	len = recv_wait(&c, b, sizeof(b), 300);
	CHECK(len == 0 && x->st.natt_keepalives == n0,
	      "a keepalive right after one was sent");
	sa->ka_ns = 0;
	sa->established_ns = loop_now(x->loop) - 21ull * 1000000000ull;
	loop_timer_arm(x->loop, &x->dpd, 0);
	len = recv_wait(&c, b, sizeof(b), 1000);
	CHECK(len == 1 && b[0] == 0xff && x->st.natt_keepalives == n0 + 1,
	      "no NAT-T keepalive (%zu bytes)", len);
	sa->nat_local = false;
	sa->ka_ns = 0;
	loop_timer_arm(x->loop, &x->dpd, 0);
	len = recv_wait(&c, b, sizeof(b), 300);
	CHECK(len == 0, "a keepalive without a NAT in front of us");
out:
	while (x->head != NULL)
		ike_sa_destroy(x, x->head, "test done");
	ini_close(&c);
}

/* Deleting while a request of ours is in flight (window of one, RFC 7296
 * 2.3): the DELETE waits for that request's answer, then goes as the
 * next message ID; its answer removes the SA. */
static void
test_delete_queued(struct fx *f)
{
	struct ike *x = f->ike;
	uint8_t b[MSG_MAX];
	struct ike_sa *sa;
	struct granted g;
	struct ini c;
	size_t len;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (connect_ok(&c, f, &pki.ec, &g) < 0)
		goto out;
	sa = resp_sa(&c);
	ike_dpd_start(x, sa);
	len = recv_wait(&c, b, sizeof(b), 1000);
	if (open_msg(&c, b, len, IKE_INFORMATIONAL, 0, 0, &msg) < 0)
		goto out;
	ike_delete_start(x, sa, "test");
	CHECK(sa->state == IKE_S_DELETING && sa->delete_queued &&
	      !sa->child.present, "DELETE not held back");
	len = recv_wait(&c, b, sizeof(b), 300);
	CHECK(len == 0, "a second request in flight (%zu bytes)", len);
	len = seal_flags(&c, IKE_INFORMATIONAL, 0,
			 IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE, NULL, 0,
			 IKE_PL_NONE, b, sizeof(b));
	send_msg(&c, b, len);
	len = recv_wait(&c, b, sizeof(b), 1000);
	if (open_msg(&c, b, len, IKE_INFORMATIONAL, 1, 0, &msg) == 0)
		CHECK(msg.n == 2 && msg.pl[1].type == IKE_PL_DELETE,
		      "the held DELETE as message 1");
	len = seal_flags(&c, IKE_INFORMATIONAL, 1,
			 IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE, NULL, 0,
			 IKE_PL_NONE, b, sizeof(b));
	CHECK(no_answer(&c, b, len) && resp_sa(&c) == NULL &&
	      !pool_in_use(&x->pool, g.vip), "SA left after its DELETE");
out:
	while (x->head != NULL)
		ike_sa_destroy(x, x->head, "test done");
	ini_close(&c);
}

/* Fragments (RFC 7383), each a datagram. */
struct frags {
	uint8_t b[24][1500];
	size_t len[24];
	unsigned n;
};

static int
frag_keep(void *arg, const uint8_t *b, size_t len)
{
	struct frags *s = arg;

	if (s->n == 24 || len > sizeof(s->b[0]))
		return -1;
	memcpy(s->b[s->n], b, len);
	s->len[s->n++] = len;
	return 0;
}

/* Every datagram that comes while the loop runs (until 150 ms pass
 * without one) into S. */
static void
recv_frags(const struct ini *c, struct frags *s)
{
	uint8_t b[MSG_MAX];
	size_t len;

	s->n = 0;
	for (unsigned wait = 500; (len = recv_wait(c, b, sizeof(b), wait)) > 0;
	     wait = 150)
		if (frag_keep(s, b, len) < 0)
			break;
}

/* RFC 7383 both ways, with a response above 1280 bytes (the RSA gateway
 * certificate and its chain). */
static void
test_fragments(struct fx *f)
{
	struct ike *x = f->ike;
	struct ike_stats st = x->st;
	static struct frags req, resp, again;
	static uint8_t work[24][1500];
	struct init_opt opt = INIT_OK;
	struct ike_dh *dh = ike_dh_new(IKE_DH_ECP256);
	struct ike_frag_rx *rx = ike_frag_rx_new();
	struct ike_hdr h = { .exchange = IKE_AUTH, .msgid = 1,
		.flags = IKE_FLAG_INITIATOR };
	uint8_t inner[MSG_MAX], b[MSG_MAX], first = 0, *pt = NULL;
	size_t ilen, plen = 0, total = 0;
	const char *why = "";
	struct granted g;
	struct ini c;
	int n, rc = 0;

	memset(&c, 0, sizeof(c));
	c.fx = f;
	c.fd = -1;
	if (dh == NULL || rx == NULL || ini_open(&c, f) < 0) {
		CHECK(0, "set-up");
		goto out;
	}
	opt.frag = true;
	ilen = build_init(&c, &opt, dh);
	if (take_init_resp(&c, dh, b, xchg(&c, c.init_req, ilen, b,
					   sizeof(b))) < 0)
		goto out;
	CHECK(resp_sa(&c) != NULL && resp_sa(&c)->frag_ok, "frag_ok");

	/* IKE_AUTH as fragments of at most 300 bytes, last one first */
	ilen = build_auth(&c, &pki.rsa, true, inner, sizeof(inner), &first);
	memcpy(h.spi_i, c.spi_i, IKE_SPI_LEN);
	memcpy(h.spi_r, c.spi_r, IKE_SPI_LEN);
	req.n = 0;
	n = ike_frag_tx(&c.out, &c.iv_seq, &h, first, inner, ilen, 300,
			frag_keep, &req);
	CHECK(n >= 4 && (unsigned)n == req.n, "%d fragments of %zu bytes", n,
	      ilen);
	if (n < 4)
		goto out;
	for (unsigned i = 0; i < req.n; i++)
		CHECK(req.len[i] <= 300, "fragment of %zu bytes", req.len[i]);
	CHECK(no_answer(&c, req.b[n - 1], req.len[n - 1]),
	      "answered the last fragment alone");
	CHECK(no_answer(&c, req.b[n - 1], req.len[n - 1]),
	      "answered a duplicate fragment");
	for (int i = 0; i < n - 2; i++)
		CHECK(no_answer(&c, req.b[i], req.len[i]),
		      "answered before fragment %d came", n - 1);
	send_msg(&c, req.b[n - 2], req.len[n - 2]);
	recv_frags(&c, &resp);
	CHECK(x->st.frag_msgs_rx == st.frag_msgs_rx + 1 &&
	      x->st.frags_rx >= st.frags_rx + (unsigned)n,
	      "fragments received: %llu messages, %llu fragments",
	      (unsigned long long)(x->st.frag_msgs_rx - st.frag_msgs_rx),
	      (unsigned long long)(x->st.frags_rx - st.frags_rx));

	/* the answer: several SKF messages of at most 1280 bytes as IP
	 * packets, reassembled */
	CHECK(resp.n >= 2, "the answer came in %u datagrams", resp.n);
	for (unsigned i = 0; i < resp.n; i++) {
		total += resp.len[i];
		memcpy(work[i], resp.b[i], resp.len[i]);
		CHECK(resp.len[i] + IKE_FRAG_OVERHEAD - IKE_NON_ESP_MARKER_LEN <=
		      IKE_FRAG_MTU, "fragment %u of %zu bytes", i, resp.len[i]);
		if (ike_parse(work[i], resp.len[i], &msg, &why) < 0) {
			CHECK(0, "fragment %u does not parse: %s", i, why);
			goto out;
		}
		CHECK(msg.hdr.exchange == IKE_AUTH && msg.hdr.msgid == 1 &&
		      msg.hdr.flags == IKE_FLAG_RESPONSE &&
		      !memcmp(msg.hdr.spi_r, c.spi_r, 8) && msg.n == 1 &&
		      msg.pl[0].type == IKE_PL_SKF, "fragment %u's header", i);
		rc = ike_frag_rx_add(rx, &c.in, work[i], resp.len[i], &msg,
				     &pt, &plen, &first, &why);
		CHECK(rc == (i + 1 == resp.n), "fragment %u: %d (%s)", i, rc,
		      why ? why : "");
	}
	CHECK(total > IKE_FRAG_MTU &&
	      x->st.frag_msgs_tx == st.frag_msgs_tx + 1 &&
	      x->st.frags_tx == st.frags_tx + resp.n,
	      "the answer: %zu bytes, %llu fragments sent", total,
	      (unsigned long long)(x->st.frags_tx - st.frags_tx));
	if (rc != 1)
		goto out;
	if (ike_parse_inner(&msg, first, pt, plen, &why) < 0) {
		CHECK(0, "reassembled: %s", why);
		goto out;
	}
	check_auth_gw(&c, &msg, &g, pki.gw_rsa, pki.ca);
	check_tunnel(&c, &g);

	/* fragment 1 of the request again: every fragment of the answer */
	send_msg(&c, req.b[0], req.len[0]);
	recv_frags(&c, &again);
	CHECK(again.n == resp.n, "%u fragments again, want %u", again.n, resp.n);
	for (unsigned i = 0; i < again.n && i < resp.n; i++)
		CHECK(again.len[i] == resp.len[i] &&
		      !memcmp(again.b[i], resp.b[i], resp.len[i]),
		      "fragment %u resent differently", i);
	CHECK(x->st.rx_retransmit == st.rx_retransmit + 1, "retransmission");
	/* another fragment again: nothing */
	CHECK(no_answer(&c, req.b[1], req.len[1]), "answered fragment 2 again");

	/* a small exchange afterwards is not fragmented */
	if (request(&c, IKE_INFORMATIONAL, 2, NULL, 0, IKE_PL_NONE, b,
		    sizeof(b)) == 0)
		CHECK(msg.n == 1, "INFORMATIONAL answer");
out:
	ike_frag_rx_free(rx);
	if (resp_sa(&c) != NULL)
		ike_sa_destroy(x, resp_sa(&c), "test done");
	CHECK(x->n_sa == 0 && x->pool.used == 0, "cleaned up");
	ike_dh_free(dh);
	ini_close(&c);
}

/* Liveness checks with ike.dpd_delay = 1, ike.dpd_timeout = 5: an idle
 * client gets an empty INFORMATIONAL request; one that answers stays,
 * one that does not is removed. */
static void
test_liveness(struct fx *f)
{
	struct ike *x = f->ike;
	struct ike_stats st = x->st;
	uint8_t b[MSG_MAX], raw[MSG_MAX], again[MSG_MAX];
	char name[P2SGW_NAME_LEN] = "";
	uint64_t t0;
	size_t len, rlen;
	struct ike_sa *sa;
	struct granted g;
	struct ini c;

	if (connect_ok(&c, f, &pki.ec, &g) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s", resp_sa(&c)->child.name);
	/* the idle scan runs every second: start its period now */
	loop_timer_arm(x->loop, &x->dpd, 1100000000ull);
	t0 = mono_ms();
	len = recv_wait(&c, b, sizeof(b), 2500);
	CHECK(len > 0, "no liveness check within 2.5 s");
	CHECK(mono_ms() - t0 >= 900, "liveness check after %llu ms",
	      (unsigned long long)(mono_ms() - t0));
	if (len == 0 || open_msg(&c, b, len, IKE_INFORMATIONAL, 0, 0, &msg) < 0)
		goto out;
	CHECK(msg.n == 1 && msg.sk_first == IKE_PL_NONE,
	      "%u payloads in the liveness check", msg.n);
	CHECK(x->st.dpd_sent == st.dpd_sent + 1, "dpd_sent");

	/* answered: nothing in flight, the SA stays */
	len = seal_flags(&c, IKE_INFORMATIONAL, 0,
			 IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE, NULL, 0,
			 IKE_PL_NONE, b, sizeof(b));
	CHECK(no_answer(&c, b, len), "the answer was answered");
	loop_timer_arm(x->loop, &x->dpd, 1100000000ull);
	sa = resp_sa(&c);
	CHECK(x->st.dpd_answered == st.dpd_answered + 1 && sa != NULL &&
	      sa->req == NULL && sa->dpd_start_ns == 0 &&
	      sa->state == IKE_S_ESTABLISHED, "answer not taken");

	/* the next one is not answered: sent again after a second, the
	 * same bytes */
	len = recv_wait(&c, raw, sizeof(raw), 2500);
	memcpy(b, raw, len);
	if (len == 0 || open_msg(&c, b, len, IKE_INFORMATIONAL, 1, 0, &msg) < 0)
		goto out;
	CHECK(msg.n == 1, "second liveness check");
	t0 = mono_ms();
	rlen = recv_wait(&c, again, sizeof(again), 1500);
	CHECK(rlen == len && !memcmp(again, raw, len) && mono_ms() - t0 >= 800,
	      "retransmission (%zu bytes after %llu ms)", rlen,
	      (unsigned long long)(mono_ms() - t0));
	CHECK(resp_sa(&c) != NULL && x->st.dpd_dead == st.dpd_dead,
	      "removed before ike.dpd_timeout");

	/* ike.dpd_timeout passes without an answer: the SA, its tunnel
	 * and its address go at the next retransmission */
	sa = resp_sa(&c);
	if (sa != NULL) {
		sa->req_start_ns -= 5ull * 1000000000ull;
		loop_timer_arm(x->loop, &sa->timer, 0);
		for (unsigned i = 0; i < 3; i++)
			loop_run_once(x->loop, 10);
	}
	CHECK(resp_sa(&c) == NULL && x->st.dpd_dead == st.dpd_dead + 1,
	      "not removed after ike.dpd_timeout");
	CHECK(tm_find(f->cp.tm, name) == NULL && !pool_in_use(&x->pool, g.vip) &&
	      x->pool.used == 0, "tunnel or VIP left");
	CHECK(stats_json(x, "dpd_dead") == x->st.dpd_dead, "dpd_dead in stats");
out:
	if (resp_sa(&c) != NULL)
		ike_sa_destroy(x, resp_sa(&c), "test done");
	ini_close(&c);
}

int
main(void)
{
	const char *cfg, *cfg_small, *cfg_cookie, *cfg_src, *cfg_frag, *cfg_dpd;
	struct fx f;

	cp_log_setup(getenv("P2SGW_TEST_VERBOSE") ? CP_LOG_DEBUG :
		     CP_LOG_SILENT, false);
	if (pki_tmpdir_make("ikeresp") < 0)
		return 2;
	make_pki();
	cfg = write_config("p2sgw.cfg", "10.200.0.0/24");
	cfg_small = write_config("p2sgw-small.cfg", "10.200.0.0/30");
	cfg_cookie = write_config_ike("p2sgw-cookie.cfg", "10.200.0.0/24",
				      "cookie_threshold = 0;", pki.gw_pem,
				      pki.gw_key);
	cfg_src = write_config_ike("p2sgw-src.cfg", "10.200.0.0/24",
				   "half_open_per_source = 2; "
				   "cookie_threshold = 1000;", pki.gw_pem,
				   pki.gw_key);
	cfg_frag = write_config_ike("p2sgw-frag.cfg", "10.200.0.0/24", "",
				    pki.gw_rsa_pem, pki.gw_rsa_key);
	cfg_dpd = write_config_ike("p2sgw-dpd.cfg", "10.200.0.0/24",
				   "dpd_delay = 1; dpd_timeout = 5;", pki.gw_pem,
				   pki.gw_key);

	if (fx_open(&f, cfg) == 0) {
		test_invalid_ke(&f);
		test_no_proposal(&f);
		test_unknown_payload(&f);
		test_malformed(&f);
		test_handshake(&f);
		test_auth_dropped(&f);
		test_auth_refused(&f, &pki.revoked, true,
				  IKE_N_AUTHENTICATION_FAILED, "revoked client");
		test_auth_refused(&f, &pki.ec, false, IKE_N_FAILED_CP_REQUIRED,
				  "no CP");
		test_child_rekey(&f);
		test_ike_rekey(&f);
		test_gw_ike_rekey(&f);
		test_child_collision(&f);
		test_new_child(&f);
		test_natt_keepalive(&f);
		test_delete_queued(&f);
	} else {
		CHECK(0, "cannot set up the responder");
	}
	fx_close(&f);

	if (fx_open(&f, cfg_small) == 0)
		test_pool_exhausted(&f);
	else
		CHECK(0, "cannot set up the responder with a /30 pool");
	fx_close(&f);

	if (fx_open(&f, cfg_cookie) == 0)
		test_cookie(&f);
	else
		CHECK(0, "cannot set up the responder with cookie_threshold 0");
	fx_close(&f);
	if (fx_open(&f, cfg_src) == 0)
		test_half_open_per_source(&f);
	else
		CHECK(0, "cannot set up the responder with a half-open limit");
	fx_close(&f);
	if (fx_open(&f, cfg_frag) == 0)
		test_fragments(&f);
	else
		CHECK(0, "cannot set up the responder with the RSA certificate");
	fx_close(&f);
	if (fx_open(&f, cfg_dpd) == 0)
		test_liveness(&f);
	else
		CHECK(0, "cannot set up the responder with dpd_delay 1");
	fx_close(&f);

	free_pki();
	return cptest_done("ike_responder");
}
