/* SPDX-License-Identifier: BSD-3-Clause
 * The IKEv2 responder's frame: sockets on 500 and 4500, the IKE SA
 * table, dispatch of each datagram to its exchange, the protected
 * message path (SK seal/open), retransmission of our last response, and
 * the operator's view (ike_show, ike_disconnect).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cp.h"
#include "dpchan.h"
#include "ike_int.h"
#include "jw.h"
#include "log.h"
#include "tunnels.h"

enum { IKE_RX_BATCH = 64, IKE_HASH_MIN = 256 };

/* ---- names, states ---- */

const char *
ike_state_name(enum ike_state s)
{
	switch (s) {
	case IKE_S_HALF_OPEN: return "half-open";
	case IKE_S_INSTALLING: return "installing";
	case IKE_S_ESTABLISHED: return "established";
	case IKE_S_DELETING: return "deleting";
	}
	return "?";
}

const char *
ike_peer_str(const struct ike_addr *a)
{
	static char buf[32];
	struct in_addr in = { htonl(a->peer) };

	snprintf(buf, sizeof(buf), "%s:%u", inet_ntoa(in), a->peer_port);
	return buf;
}

const char *
ike_notify_name(uint16_t type)
{
	switch (type) {
	case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD: return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case IKE_N_INVALID_IKE_SPI: return "INVALID_IKE_SPI";
	case IKE_N_INVALID_MAJOR_VERSION: return "INVALID_MAJOR_VERSION";
	case IKE_N_INVALID_SYNTAX: return "INVALID_SYNTAX";
	case IKE_N_INVALID_MESSAGE_ID: return "INVALID_MESSAGE_ID";
	case IKE_N_INVALID_SPI: return "INVALID_SPI";
	case IKE_N_NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN";
	case IKE_N_INVALID_KE_PAYLOAD: return "INVALID_KE_PAYLOAD";
	case IKE_N_AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
	case IKE_N_SINGLE_PAIR_REQUIRED: return "SINGLE_PAIR_REQUIRED";
	case IKE_N_NO_ADDITIONAL_SAS: return "NO_ADDITIONAL_SAS";
	case IKE_N_INTERNAL_ADDRESS_FAILURE: return "INTERNAL_ADDRESS_FAILURE";
	case IKE_N_FAILED_CP_REQUIRED: return "FAILED_CP_REQUIRED";
	case IKE_N_TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
	case IKE_N_INVALID_SELECTORS: return "INVALID_SELECTORS";
	case IKE_N_TEMPORARY_FAILURE: return "TEMPORARY_FAILURE";
	case IKE_N_CHILD_SA_NOT_FOUND: return "CHILD_SA_NOT_FOUND";
	}
	return "notify";
}

/* ---- half-open SAs per address ---- */

static struct ike_src **
src_slot(const struct ike *x, uint32_t addr)
{
	uint32_t h = addr * 2654435761u;
	struct ike_src **pp = &x->src[(h >> 8) % x->n_src_buckets];

	while (*pp != NULL && (*pp)->addr != addr)
		pp = &(*pp)->next;
	return pp;
}

unsigned
ike_src_count(const struct ike *x, uint32_t addr)
{
	struct ike_src **pp = src_slot(x, addr);

	return *pp != NULL ? (*pp)->n : 0;
}

static void
src_add(struct ike *x, uint32_t addr, int d)
{
	struct ike_src **pp = src_slot(x, addr), *s = *pp;

	if (s == NULL) {
		if (d < 0 || (s = calloc(1, sizeof(*s))) == NULL)
			return;
		s->addr = addr;
		*pp = s;
	}
	if (d < 0 && s->n == 0)
		return;
	s->n = (uint32_t)((int64_t)s->n + d);
	if (s->n == 0) {
		*pp = s->next;
		free(s);
	}
}

void
ike_sa_state(struct ike_sa *sa, enum ike_state to, const char *why)
{
	struct ike *x = sa->ctx;

	if (sa->state == to)
		return;
	SA_LOG(CP_LOG_INFO, sa, "%s -> %s (%s)", ike_state_name(sa->state),
	       ike_state_name(to), why);
	if (sa->state == IKE_S_HALF_OPEN) {
		x->n_half_open--;
		src_add(x, sa->addr.peer, -1);
	}
	if (sa->state == IKE_S_ESTABLISHED)
		x->n_established--;
	if (to == IKE_S_HALF_OPEN) {
		x->n_half_open++;
		src_add(x, sa->addr.peer, 1);
	}
	if (to == IKE_S_ESTABLISHED)
		x->n_established++;
	sa->state = to;
}

/* ---- the table ---- */

static size_t
hash_bytes(const uint8_t *b, size_t len, uint64_t h)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return (size_t)h;
}

static size_t
hr_bucket(const struct ike *x, const uint8_t spi[8])
{
	return hash_bytes(spi, IKE_SPI_LEN, 0xcbf29ce484222325ull) & (x->nb - 1);
}

static size_t
hi_bucket(const struct ike *x, const uint8_t spi_i[8], const struct ike_addr *a)
{
	uint8_t k[14];

	memcpy(k, spi_i, 8);
	ike_put32(k + 8, a->peer);
	ike_put16(k + 12, a->peer_port);
	return hash_bytes(k, sizeof(k), 0x84222325cbf29ce4ull) & (x->nb - 1);
}

static void
table_link(struct ike *x, struct ike_sa *sa)
{
	size_t r = hr_bucket(x, ike_spi_local(sa)),
	       i = hi_bucket(x, sa->spi_i, &sa->addr);

	sa->hr_next = x->hr[r];
	x->hr[r] = sa;
	sa->hi_next = x->hi[i];
	x->hi[i] = sa;
}

static void
table_unlink(struct ike *x, struct ike_sa *sa)
{
	struct ike_sa **pp;

	for (pp = &x->hr[hr_bucket(x, ike_spi_local(sa))]; *pp;
	     pp = &(*pp)->hr_next)
		if (*pp == sa) {
			*pp = sa->hr_next;
			break;
		}
	for (pp = &x->hi[hi_bucket(x, sa->spi_i, &sa->addr)]; *pp;
	     pp = &(*pp)->hi_next)
		if (*pp == sa) {
			*pp = sa->hi_next;
			break;
		}
}

/* Double the buckets when the load passes 1 (rehash every SA). */
static void
table_grow(struct ike *x)
{
	struct ike_sa **hr, **hi, *sa;
	size_t nb = x->nb * 2;

	hr = calloc(nb, sizeof(*hr));
	hi = calloc(nb, sizeof(*hi));
	if (hr == NULL || hi == NULL) {
		free(hr);
		free(hi);
		return;			/* longer chains, still correct */
	}
	free(x->hr);
	free(x->hi);
	x->hr = hr;
	x->hi = hi;
	x->nb = nb;
	for (sa = x->head; sa; sa = sa->next)
		table_link(x, sa);
}

static void on_sa_timer(struct loop *l, struct loop_timer *t);

static struct ike_sa *
sa_alloc(struct ike *x, const struct ike_addr *a)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (sa == NULL)
		return NULL;
	sa->addr = *a;
	sa->id = ++x->next_id;
	sa->ctx = x;
	sa->rk_group = UINT16_MAX;
	sa->created_ns = loop_now(x->loop);
	loop_timer_init(&sa->timer, on_sa_timer, sa);
	return sa;
}

static void
sa_link(struct ike *x, struct ike_sa *sa)
{
	if (x->n_sa + 1 > x->nb)
		table_grow(x);
	table_link(x, sa);
	sa->prev = x->tail;
	if (x->tail)
		x->tail->next = sa;
	else
		x->head = sa;
	x->tail = sa;
	x->n_sa++;
}

bool
ike_spi_free(struct ike *x, const uint8_t spi[8])
{
	return memcmp(spi, "\0\0\0\0\0\0\0\0", 8) != 0 &&
	       ike_sa_by_spi(x, spi) == NULL;
}

struct ike_sa *
ike_sa_new(struct ike *x, const uint8_t spi_i[8], const struct ike_addr *a)
{
	struct ike_sa *sa = sa_alloc(x, a);

	if (sa == NULL)
		return NULL;
	do {
		if (RAND_bytes(sa->spi_r, IKE_SPI_LEN) != 1) {
			free(sa);
			return NULL;
		}
	} while (!ike_spi_free(x, sa->spi_r));
	memcpy(sa->spi_i, spi_i, IKE_SPI_LEN);
	sa->state = IKE_S_HALF_OPEN;
	x->n_half_open++;
	src_add(x, a->peer, 1);
	sa_link(x, sa);
	return sa;
}

struct ike_sa *
ike_sa_new_initiator(struct ike *x, const uint8_t spi_i[8],
		     const uint8_t spi_r[8], const struct ike_addr *a)
{
	struct ike_sa *sa;

	if (!ike_spi_free(x, spi_i) || (sa = sa_alloc(x, a)) == NULL)
		return NULL;
	sa->initiator = true;
	memcpy(sa->spi_i, spi_i, IKE_SPI_LEN);
	memcpy(sa->spi_r, spi_r, IKE_SPI_LEN);
	sa->state = IKE_S_ESTABLISHED;
	x->n_established++;
	sa_link(x, sa);
	return sa;
}

void
ike_sa_set_dirs(struct ike_sa *sa)
{
	const struct ike_suite *s = &sa->suite;
	struct ike_sk_dir i = { s->encr, s->integ, sa->k.ei,
		s->integ ? sa->k.ai : NULL };
	struct ike_sk_dir r = { s->encr, s->integ, sa->k.er,
		s->integ ? sa->k.ar : NULL };

	sa->in = sa->initiator ? r : i;
	sa->out = sa->initiator ? i : r;
}

static void
free_buf(uint8_t **p, size_t *len)
{
	if (*p != NULL) {
		OPENSSL_cleanse(*p, *len);
		free(*p);
	}
	*p = NULL;
	*len = 0;
}

void
ike_sa_free(struct ike *x, struct ike_sa *sa)
{
	loop_timer_stop(x->loop, &sa->timer);
	table_unlink(x, sa);
	if (sa->prev)
		sa->prev->next = sa->next;
	else
		x->head = sa->next;
	if (sa->next)
		sa->next->prev = sa->prev;
	else
		x->tail = sa->prev;
	x->n_sa--;
	if (sa->state == IKE_S_HALF_OPEN) {
		x->n_half_open--;
		src_add(x, sa->addr.peer, -1);
	}
	if (sa->state == IKE_S_ESTABLISHED)
		x->n_established--;
	free_buf(&sa->init_req, &sa->init_req_len);
	free_buf(&sa->init_resp, &sa->init_resp_len);
	free_buf(&sa->last_resp, &sa->last_resp_len);
	free_buf(&sa->req, &sa->req_len);
	free_buf(&sa->pending, &sa->pending_len);
	free_buf(&sa->defer, &sa->defer_len);
	free(sa->resp_frag_len);
	ike_frag_rx_free(sa->frag_rx);
	ike_dh_free(sa->rk.dh);
	ike_dh_free(sa->irk.dh);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

struct ike_sa *
ike_sa_by_spi(struct ike *x, const uint8_t spi[8])
{
	struct ike_sa *sa;

	for (sa = x->hr[hr_bucket(x, spi)]; sa; sa = sa->hr_next)
		if (!memcmp(ike_spi_local(sa), spi, IKE_SPI_LEN))
			return sa;
	return NULL;
}

uint64_t
ike_sa_token(const struct ike_sa *sa)
{
	uint64_t t;

	memcpy(&t, ike_spi_local(sa), sizeof(t));
	return t;
}

struct ike_sa *
ike_sa_by_token(struct ike *x, uint64_t token)
{
	uint8_t spi[IKE_SPI_LEN];

	memcpy(spi, &token, sizeof(spi));
	return ike_sa_by_spi(x, spi);
}

struct ike_sa *
ike_sa_by_init(struct ike *x, const uint8_t spi_i[8], const struct ike_addr *a)
{
	struct ike_sa *sa;

	for (sa = x->hi[hi_bucket(x, spi_i, a)]; sa; sa = sa->hi_next)
		if (!sa->initiator && !memcmp(sa->spi_i, spi_i, IKE_SPI_LEN) &&
		    sa->addr.peer == a->peer && sa->addr.peer_port == a->peer_port)
			return sa;
	return NULL;
}

void
ike_sa_destroy(struct ike *x, struct ike_sa *sa, const char *why)
{
	char err[TM_FAIL_LEN];

	SA_LOG(CP_LOG_NOTICE, sa, "IKE SA of '%s' removed (%s)",
	       sa->identity[0] ? sa->identity : "?", why);
	if (sa->child.present) {
		if (tm_del(x->cp->tm, sa->child.name, NULL, err, sizeof(err)) < 0)
			SA_LOG(CP_LOG_WARNING, sa, "CHILD SA %s: %s",
			       sa->child.name, err);
		sa->child.present = false;
		if (x->cp->dpc != NULL)
			dpchan_kick(x->cp->dpc);
	}
	if (sa->vip != 0) {
		pool_release(&x->pool, sa->vip);
		sa->vip = 0;
	}
	ike_sa_free(x, sa);
}

static void
on_sa_timer(struct loop *l, struct loop_timer *t)
{
	struct ike_sa *sa = t->arg;
	struct ike *x = sa->ctx;
	(void)l;

	switch (sa->state) {
	case IKE_S_HALF_OPEN:
		x->st.half_open_expired++;
		ike_sa_destroy(x, sa, "no IKE_AUTH within ike.half_open_timeout");
		return;
	case IKE_S_ESTABLISHED:
		if (sa->req_start_ns == 0 || sa->req == NULL)
			return;
		if (loop_now(x->loop) - sa->req_start_ns >=
		    (uint64_t)x->cp->cfg.ike.dpd_timeout * 1000000000ull) {
			x->st.dpd_dead++;
			ike_sa_destroy(x, sa, "no answer to liveness checks "
				       "within ike.dpd_timeout");
			return;
		}
		sa->req_tries++;
		ike_send(x, &sa->addr, sa->req, sa->req_len);
		{
			/* back off, but wake up at the timeout itself */
			uint64_t d = (uint64_t)IKE_DELETE_RTO_MS * 1000000ull <<
				     (sa->req_tries < 5 ? sa->req_tries : 5);
			uint64_t end = sa->req_start_ns +
				(uint64_t)x->cp->cfg.ike.dpd_timeout * 1000000000ull;
			uint64_t now = loop_now(x->loop);

			if (now + d > end)
				d = end > now ? end - now : 0;
			loop_timer_arm(x->loop, &sa->timer, d);
		}
		return;
	case IKE_S_DELETING:
		if (sa->req != NULL && sa->req_tries < IKE_DELETE_TRIES) {
			sa->req_tries++;
			ike_send(x, &sa->addr, sa->req, sa->req_len);
			loop_timer_arm(x->loop, &sa->timer,
				       (uint64_t)IKE_DELETE_RTO_MS * 1000000ull <<
				       sa->req_tries);
			return;
		}
		ike_sa_destroy(x, sa, "no answer to our DELETE");
		return;
	default:
		return;
	}
}

/* ---- sending ---- */

/* IOV to A from the socket of A's local port and the address A names. */
static int
send_iov(struct ike *x, const struct ike_addr *a, struct iovec *iov, size_t n)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(a->peer), .sin_port = htons(a->peer_port) };
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = { 0 };
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = iov, .msg_iovlen = n,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct in_pktinfo pi = { .ipi_spec_dst.s_addr = htonl(a->local) };

	/* Answer from the address the client sent to. */
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(x->fd[a->local_port == x->port[1]], &mh, 0) < 0) {
		log_debug("ike: send to %s: %m", ike_peer_str(a));
		return -1;
	}
	return 0;
}

int
ike_send(struct ike *x, const struct ike_addr *a, const uint8_t *b, size_t len)
{
	static const uint8_t marker[IKE_NON_ESP_MARKER_LEN];
	bool natt = a->local_port == x->port[1];
	struct iovec iov[2] = {
		{ (void *)marker, IKE_NON_ESP_MARKER_LEN },
		{ (void *)b, len },
	};

	if (send_iov(x, a, natt ? iov : iov + 1, natt ? 2 : 1) < 0)
		return -1;
	x->st.tx++;
	return 0;
}

/* Our last response again (every fragment of it). */
static void
resend_last(struct ike *x, struct ike_sa *sa)
{
	size_t off = 0;

	if (sa->n_resp_frags == 0) {
		ike_send(x, &sa->addr, sa->last_resp, sa->last_resp_len);
		return;
	}
	for (unsigned i = 0; i < sa->n_resp_frags; i++) {
		ike_send(x, &sa->addr, sa->last_resp + off, sa->resp_frag_len[i]);
		off += sa->resp_frag_len[i];
	}
}

void
ike_respond(struct ike *x, struct ike_sa *sa, const uint8_t *b, size_t len)
{
	free(sa->resp_frag_len);
	sa->resp_frag_len = NULL;
	sa->n_resp_frags = 0;
	uint8_t *copy = malloc(len);

	memcpy(sa->last_req_hash, sa->cur_req_hash, sizeof(sa->last_req_hash));
	free_buf(&sa->last_resp, &sa->last_resp_len);
	if (copy != NULL) {
		memcpy(copy, b, len);
		sa->last_resp = copy;
		sa->last_resp_len = len;
	}
	sa->peer_next++;
	ike_send(x, &sa->addr, b, len);
}

void
ike_reply_notify(struct ike *x, const struct ike_msg *req,
		 const struct ike_addr *a, uint16_t type, const void *data,
		 size_t len)
{
	struct ike_hdr h = req->hdr;
	struct ike_out o;

	h.flags = IKE_FLAG_RESPONSE;
	ike_out_init(&o, x->obuf, sizeof(x->obuf), &h);
	if (ike_out_notify(&o, 0, type, data, len) < 0 || ike_out_finish(&o) < 0)
		return;
	ike_send(x, a, o.buf, o.len);
}

static size_t
iv_len(const struct ike_sk_dir *d)
{
	return d->encr == IKE_ENCR_AES_GCM16 ? IKE_GCM_IV_LEN : IKE_CBC_IV_LEN;
}

/* The fragments of a response, collected for retransmission. */
struct frag_collect {
	uint8_t *buf;
	size_t len, cap;
	uint16_t lens[IKE_FRAG_MAX];
	unsigned n;
};

static int
frag_collect(void *arg, const uint8_t *b, size_t len)
{
	struct frag_collect *c = arg;

	if (c->n == IKE_FRAG_MAX)
		return -1;
	if (c->len + len > c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8192;
		uint8_t *nb;

		while (cap < c->len + len)
			cap *= 2;
		nb = realloc(c->buf, cap);
		if (nb == NULL)
			return -1;
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, b, len);
	c->len += len;
	c->lens[c->n++] = (uint16_t)len;
	return 0;
}

/* A response too large for one datagram, as RFC 7383 fragments. */
static int
respond_fragmented(struct ike *x, struct ike_sa *sa, const struct ike_hdr *h,
		   const struct ike_out *inner)
{
	struct frag_collect c = { 0 };
	int n = ike_frag_tx(&sa->out, &sa->iv_seq, h, ike_out_first(inner),
			    inner->buf, inner->len, IKE_FRAG_MTU - IKE_FRAG_OVERHEAD,
			    frag_collect, &c);

	if (n <= 0 || (sa->resp_frag_len = malloc((size_t)n * 2)) == NULL) {
		free(c.buf);
		SA_LOG(CP_LOG_ERROR, sa, "cannot fragment a %zu-byte response",
		       inner->len);
		return -1;
	}
	free_buf(&sa->last_resp, &sa->last_resp_len);
	sa->last_resp = c.buf;
	sa->last_resp_len = c.len;
	memcpy(sa->resp_frag_len, c.lens, (size_t)n * 2);
	sa->n_resp_frags = (unsigned)n;
	memcpy(sa->last_req_hash, sa->cur_req_hash, sizeof(sa->last_req_hash));
	sa->peer_next++;
	x->st.frags_tx += (unsigned)n;
	x->st.frag_msgs_tx++;
	resend_last(x, sa);
	return 0;
}

int
ike_send_sk(struct ike *x, struct ike_sa *sa, uint8_t exchange,
	    uint32_t msgid, bool response, const struct ike_out *inner)
{
	struct ike_hdr h = { .exchange = exchange, .msgid = msgid,
		.flags = (response ? IKE_FLAG_RESPONSE : 0) |
			 (sa->initiator ? IKE_FLAG_INITIATOR : 0) };
	size_t body = ike_sk_body_len(&sa->out, inner->len), aad;
	struct ike_out o;
	uint8_t *p;

	memcpy(h.spi_i, sa->spi_i, IKE_SPI_LEN);
	memcpy(h.spi_r, sa->spi_r, IKE_SPI_LEN);
	if (response && sa->frag_ok && IKE_HDR_LEN + IKE_GEN_HDR_LEN + body +
	    IKE_FRAG_OVERHEAD > IKE_FRAG_MTU)
		return respond_fragmented(x, sa, &h, inner);
	ike_out_init(&o, x->obuf, sizeof(x->obuf), &h);
	p = ike_out_pl(&o, IKE_PL_SK, body);
	if (p == NULL || ike_out_finish(&o) < 0) {
		SA_LOG(CP_LOG_ERROR, sa, "message of %zu bytes does not fit",
		       inner->len);
		return -1;
	}
	p[-IKE_GEN_HDR_LEN] = ike_out_first(inner);
	aad = (size_t)(p - o.buf);
	if (inner->len > 0)
		memcpy(p + iv_len(&sa->out), inner->buf, inner->len);
	if (ike_sk_seal(&sa->out, ++sa->iv_seq, o.buf, aad, inner->len,
			o.len) < 0) {
		SA_LOG(CP_LOG_ERROR, sa, "cannot seal the SK payload");
		return -1;
	}
	if (response) {
		ike_respond(x, sa, o.buf, o.len);
		return 0;
	}
	free_buf(&sa->req, &sa->req_len);
	sa->req = malloc(o.len);
	if (sa->req != NULL) {
		memcpy(sa->req, o.buf, o.len);
		sa->req_len = o.len;
	}
	sa->req_tries = 0;
	sa->req_start_ns = loop_now(x->loop);
	ike_send(x, &sa->addr, o.buf, o.len);
	loop_timer_arm(x->loop, &sa->timer,
		       (uint64_t)IKE_DELETE_RTO_MS * 1000000ull);
	return 0;
}

int
ike_pending_keep(struct ike_sa *sa, struct ike_out *o)
{
	uint8_t *b = malloc(o->len);

	if (b == NULL)
		return -1;
	free_buf(&sa->pending, &sa->pending_len);
	memcpy(b, o->buf, o->len);
	OPENSSL_cleanse(o->buf, o->len);
	sa->pending = b;
	sa->pending_len = o->len;
	sa->pending_first = o->first;
	return 0;
}

void
ike_pending_send(struct ike *x, struct ike_sa *sa, uint8_t exchange)
{
	struct ike_out in = { .buf = sa->pending, .cap = sa->pending_len,
		.len = sa->pending_len, .first = sa->pending_first };

	ike_send_sk(x, sa, exchange, sa->peer_next, true, &in);
	free_buf(&sa->pending, &sa->pending_len);
}

void
ike_pending_drop(struct ike_sa *sa)
{
	free_buf(&sa->pending, &sa->pending_len);
}

void
ike_respond_error(struct ike *x, struct ike_sa *sa, const struct ike_msg *req,
		  uint16_t type)
{
	struct ike_out in;
	uint8_t data = req->unknown_critical;

	ike_out_chain(&in, x->ibuf, sizeof(x->ibuf));
	if (type == IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD)
		ike_out_notify(&in, 0, type, &data, 1);
	else
		ike_out_notify(&in, 0, type, NULL, 0);
	SA_LOG(CP_LOG_INFO, sa, "answering message %u with %s",
	       req->hdr.msgid, ike_notify_name(type));
	ike_send_sk(x, sa, req->hdr.exchange, req->hdr.msgid, true, &in);
}

/* ---- receiving ---- */

static void
req_hash(const struct ike_msg *m, uint8_t h[20])
{
	unsigned int len = 20;

	if (EVP_Digest(m->raw, m->raw_len, h, &len, EVP_sha1(), NULL) != 1)
		memset(h, 0, 20);
}

/* A request on an existing SA: the message ID, decryption, the inner
 * payloads, then the exchange. */
static void
sa_request(struct ike *x, struct ike_sa *sa, struct ike_msg *m, uint8_t *raw,
	   const struct ike_addr *a)
{
	bool skf = m->sk_off != 0 && m->pl[m->n - 1].type == IKE_PL_SKF &&
		   m->sk_off + IKE_FRAG_NUMS_LEN <= m->raw_len;
	uint8_t first = m->sk_first;
	const char *why;
	uint8_t *inner;
	size_t ilen;

	if (m->hdr.msgid + 1 == sa->peer_next && sa->last_resp != NULL && skf) {
		/* a fragmented request again: answer its first fragment */
		if (ike_get16(raw + m->sk_off) == 1) {
			x->st.rx_retransmit++;
			resend_last(x, sa);
		}
		return;
	}
	if (m->hdr.msgid + 1 == sa->peer_next && sa->last_resp != NULL) {
		uint8_t h[20];

		req_hash(m, h);
		if (memcmp(h, sa->last_req_hash, sizeof(h)) != 0) {
			x->st.rx_bad++;	/* same ID, other content */
			return;
		}
		x->st.rx_retransmit++;
		resend_last(x, sa);
		return;
	}
	if (m->hdr.msgid != sa->peer_next) {
		SA_LOG(CP_LOG_DEBUG, sa, "message ID %u, expected %u: dropped",
		       m->hdr.msgid, sa->peer_next);
		x->st.rx_bad++;
		return;
	}
	if (sa->state == IKE_S_INSTALLING || sa->child_pending) {
		x->st.rx_retransmit++;	/* answered once the SA is in */
		return;
	}
	req_hash(m, sa->cur_req_hash);	/* before decryption in place */
	if (skf) {
		int rc;

		if (!sa->frag_ok || (sa->frag_rx == NULL &&
				     (sa->frag_rx = ike_frag_rx_new()) == NULL)) {
			x->st.rx_bad++;
			return;
		}
		x->st.frags_rx++;
		rc = ike_frag_rx_add(sa->frag_rx, &sa->in, raw, m->raw_len, m,
				     &inner, &ilen, &first, &why);
		if (rc <= 0) {
			if (rc < 0) {
				SA_LOG(CP_LOG_DEBUG, sa, "fragment dropped: %s",
				       why ? why : "?");
				x->st.rx_bad++;
			}
			return;
		}
		x->st.frag_msgs_rx++;
	} else if (m->sk_off == 0 || m->pl[m->n - 1].type != IKE_PL_SK) {
		SA_LOG(CP_LOG_DEBUG, sa, "request without an SK payload");
		x->st.rx_bad++;
		return;
	} else if (ike_sk_open(&sa->in, raw, m->sk_off, m->raw_len, &inner,
			       &ilen) < 0) {
		SA_LOG(CP_LOG_DEBUG, sa, "SK payload does not verify: dropped");
		x->st.rx_bad++;
		return;
	}
	if (ike_parse_inner(m, first, inner, ilen, &why) < 0) {
		SA_LOG(CP_LOG_INFO, sa, "malformed %u request: %s",
		       m->hdr.exchange, why);
		x->st.rx_bad++;
		ike_respond_error(x, sa, m, IKE_N_INVALID_SYNTAX);
		if (sa->state == IKE_S_HALF_OPEN)
			ike_sa_destroy(x, sa, "malformed IKE_AUTH");
		return;
	}
	if (m->unknown_critical) {
		x->st.unsupported_critical++;
		ike_respond_error(x, sa, m, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
		if (sa->state == IKE_S_HALF_OPEN)
			ike_sa_destroy(x, sa, "unsupported critical payload");
		return;
	}
	sa->last_rx_ns = loop_now(x->loop);
	/* The client may move (NAT-T float to 4500, a new NAT mapping):
	 * answer where an authenticated request came from (another address
	 * only behind a NAT, RFC 7296 2.23). */
	if ((sa->addr.peer == a->peer || sa->nat_peer || sa->nat_local) &&
	    (sa->addr.peer != a->peer || sa->addr.peer_port != a->peer_port ||
	     sa->addr.local_port != a->local_port)) {
		SA_LOG(CP_LOG_INFO, sa, "peer moved to %s (our port %u)",
		       ike_peer_str(a), a->local_port);
		table_unlink(x, sa);
		sa->addr = *a;
		table_link(x, sa);
	}
	switch (m->hdr.exchange) {
	case IKE_AUTH:
		if (sa->state != IKE_S_HALF_OPEN) {
			ike_respond_error(x, sa, m, IKE_N_INVALID_SYNTAX);
			return;
		}
		ike_auth_request(x, sa, m);
		return;
	case IKE_INFORMATIONAL:
		if (sa->state == IKE_S_HALF_OPEN) {
			x->st.rx_bad++;
			return;
		}
		ike_info_request(x, sa, m);
		return;
	case IKE_CREATE_CHILD_SA:
		if (sa->state == IKE_S_DELETING) {
			/* RFC 7296 2.25.1/2.25.2: we are closing it */
			ike_respond_error(x, sa, m, IKE_N_TEMPORARY_FAILURE);
			return;
		}
		if (sa->state != IKE_S_ESTABLISHED) {
			x->st.rx_bad++;
			return;
		}
		ike_child_request(x, sa, m);
		return;
	default:
		SA_LOG(CP_LOG_INFO, sa, "unknown exchange type %u",
		       m->hdr.exchange);
		ike_respond_error(x, sa, m, IKE_N_INVALID_SYNTAX);
		return;
	}
}

static void
sa_response(struct ike *x, struct ike_sa *sa, struct ike_msg *m, uint8_t *raw)
{
	const char *why;
	uint8_t *inner;
	size_t ilen;

	if (sa->req == NULL || m->hdr.msgid + 1 != sa->my_next) {
		x->st.rx_bad++;
		return;
	}
	if (m->sk_off == 0 ||
	    ike_sk_open(&sa->in, raw, m->sk_off, m->raw_len, &inner, &ilen) < 0 ||
	    ike_parse_inner(m, m->sk_first, inner, ilen, &why) < 0) {
		x->st.rx_bad++;
		return;
	}
	sa->last_rx_ns = loop_now(x->loop);
	sa->req_start_ns = 0;
	if (sa->delete_queued) {
		/* what it answered no longer matters: the SA goes */
		free_buf(&sa->req, &sa->req_len);
		loop_timer_stop(x->loop, &sa->timer);
		ike_delete_send(x, sa, "deleting");
		return;
	}
	if (m->hdr.exchange == IKE_CREATE_CHILD_SA) {
		free_buf(&sa->req, &sa->req_len);
		loop_timer_stop(x->loop, &sa->timer);
		ike_child_response(x, sa, m);
		return;
	}
	ike_info_response(x, sa, m);
}

/* One IKE message (after any non-ESP marker) from A. */
void ike_input(struct ike *x, uint8_t *b, size_t len, const struct ike_addr *a);

void
ike_input(struct ike *x, uint8_t *b, size_t len, const struct ike_addr *a)
{
	static struct ike_msg m;
	struct ike_sa *sa;
	const char *why;

	x->st.rx++;
	if (ike_parse(b, len, &m, &why) < 0) {
		log_debug("ike %s: malformed message: %s", ike_peer_str(a), why);
		x->st.rx_bad++;
		/* RFC 7296 2.5: INVALID_MAJOR_VERSION for a version 3+ IKE_SA_INIT */
		if (len >= IKE_HDR_LEN && (b[17] >> 4) > 2 && b[18] == IKE_SA_INIT &&
		    !(b[19] & IKE_FLAG_RESPONSE)) {
			m.hdr.exchange = b[18];
			memcpy(m.hdr.spi_i, b, 8);
			memset(m.hdr.spi_r, 0, 8);
			m.hdr.msgid = ike_get32(b + 20);
			ike_reply_notify(x, &m, a, IKE_N_INVALID_MAJOR_VERSION,
					 NULL, 0);
		}
		return;
	}
	/* the I flag: the sender is the IKE SA's original initiator, so
	 * our SPI is the responder's */
	sa = ike_sa_by_spi(x, (m.hdr.flags & IKE_FLAG_INITIATOR) ? m.hdr.spi_r :
			   m.hdr.spi_i);
	if (sa != NULL && (sa->initiator == !!(m.hdr.flags & IKE_FLAG_INITIATOR) ||
			   memcmp(ike_spi_peer(sa), (m.hdr.flags & IKE_FLAG_INITIATOR) ?
				  m.hdr.spi_i : m.hdr.spi_r, IKE_SPI_LEN)))
		sa = NULL;
	if (m.hdr.flags & IKE_FLAG_RESPONSE) {
		if (sa == NULL) {
			x->st.rx_no_sa++;
			return;
		}
		sa_response(x, sa, &m, b);
		return;
	}
	if (m.hdr.exchange == IKE_SA_INIT) {
		if (!(m.hdr.flags & IKE_FLAG_INITIATOR)) {
			x->st.rx_bad++;
			return;
		}
		if (memcmp(m.hdr.spi_r, "\0\0\0\0\0\0\0\0", 8) || m.hdr.msgid != 0) {
			x->st.rx_bad++;
			return;
		}
		ike_init_request(x, &m, a);
		return;
	}
	if (sa == NULL) {
		log_debug("ike %s: no IKE SA for exchange %u", ike_peer_str(a),
			  m.hdr.exchange);
		x->st.rx_no_sa++;
		return;
	}
	sa_request(x, sa, &m, b, a);
}

static void
on_readable(struct loop *l, struct loop_fd *w, uint32_t events)
{
	struct ike *x = w->arg;
	unsigned idx = w == &x->w[1];
	(void)l;
	(void)events;

	for (unsigned n = 0; n < IKE_RX_BATCH; n++) {
		struct sockaddr_in from;
		char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct iovec iov = { x->buf, sizeof(x->buf) };
		struct msghdr mh = { .msg_name = &from,
			.msg_namelen = sizeof(from), .msg_iov = &iov,
			.msg_iovlen = 1, .msg_control = cbuf,
			.msg_controllen = sizeof(cbuf) };
		struct ike_addr a = { .local_port = x->port[idx] };
		struct cmsghdr *c;
		uint8_t *b = x->buf;
		ssize_t len = recvmsg(x->fd[idx], &mh, MSG_DONTWAIT);

		if (len < 0)
			return;
		a.peer = ntohl(from.sin_addr.s_addr);
		a.peer_port = ntohs(from.sin_port);
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct in_pktinfo pi;

			if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO)
				continue;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			a.local = ntohl(pi.ipi_addr.s_addr);
		}
		if (idx == 1) {
			if (len == 1 && b[0] == 0xff)
				continue;	/* NAT-T keepalive */
			if (len < IKE_NON_ESP_MARKER_LEN || b[0] || b[1] ||
			    b[2] || b[3]) {
				x->st.rx_bad++;	/* ESP the dataplane did not take */
				continue;
			}
			b += IKE_NON_ESP_MARKER_LEN;
			len -= IKE_NON_ESP_MARKER_LEN;
		}
		ike_input(x, b, (size_t)len, &a);
	}
}

static int
open_socket(uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0) {
		snprintf(err, errlen, "ike: socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		snprintf(err, errlen, "ike: cannot listen on UDP %u: %s", port,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The dataplane saw the client's ESP come from a new NAT mapping: IKE
 * follows (our next liveness check or DELETE goes there). */
static void
on_client_moved(void *arg, const struct tunnel *t)
{
	struct ike *x = arg;

	for (struct ike_sa *sa = x->head; sa; sa = sa->next) {
		if (!sa->child.present || strcmp(sa->child.name, t->spec.name) ||
		    (sa->addr.peer == t->spec.peer &&
		     sa->addr.peer_port == t->spec.encap_sport))
			continue;
		table_unlink(x, sa);
		sa->addr.peer = t->spec.peer;
		sa->addr.peer_port = t->spec.encap_sport;
		table_link(x, sa);
		SA_LOG(CP_LOG_INFO, sa, "following the client's new NAT mapping");
	}
}

/* The dataplane says the CHILD SA of tunnel T is due for a rekey (soft
 * lifetime: time, volume or sequence numbers) or used up (hard). */
static bool
on_lifetime(void *arg, const struct tunnel *t, bool hard)
{
	struct ike *x = arg;

	for (struct ike_sa *sa = x->head; sa; sa = sa->next) {
		if (!sa->child.present || strcmp(sa->child.name, t->spec.name))
			continue;
		if (sa->state != IKE_S_ESTABLISHED)
			return true;
		if (hard) {
			x->st.lifetime_expired++;
			ike_delete_start(x, sa, "CHILD SA hard lifetime reached "
					 "in the dataplane");
			return true;
		}
		x->st.soft_lifetime++;
		SA_LOG(CP_LOG_INFO, sa, "CHILD SA %s: soft lifetime reached in "
		       "the dataplane", sa->child.name);
		if (sa->req == NULL && !sa->child_pending && !sa->irk.active)
			ike_child_rekey_start(x, sa);
		else if (!sa->rk.active)
			sa->child.rekey_due_ns = loop_now(x->loop);
		return true;
	}
	return false;
}

/* ---- dead peer detection ---- */

/* When the client last showed life: an authenticated IKE message, or an
 * ESP packet its CHILD SA's inbound side counted. */
static uint64_t
last_alive(struct ike *x, const struct ike_sa *sa)
{
	const struct p2sgw_chan *ch = x->cp->tm->ch;
	uint64_t t = sa->last_rx_ns > sa->established_ns ? sa->last_rx_ns :
		     sa->established_ns;
	struct tunnel *tn;

	if (!sa->child.present || ch == NULL ||
	    (tn = tm_find(x->cp->tm, sa->child.name)) == NULL)
		return t;
	for (int i = 0; i < 2; i++) {
		uint32_t slot = i ? tn->sa_in_prev : tn->sa_in;
		uint64_t v;

		if (slot >= ch->hdr->max_sa_in)
			continue;
		v = __atomic_load_n(&p2sgw_chan_sa_in(ch, slot)->st.last_ns,
				    __ATOMIC_RELAXED);
		if (v > t)
			t = v;
	}
	return t;
}

/* The IKE SA or its CHILD SA outlived its lifetime without a rekey:
 * delete the client (it reconnects and authenticates again). */
static bool
lifetimes(struct ike *x, struct ike_sa *sa, uint64_t now)
{
	const struct p2sgw_config *cfg = &x->cp->cfg;
	const char *why = NULL;

	if (now - sa->created_ns >= (uint64_t)cfg->ike.ike_lifetime * 1000000000ull)
		why = "IKE SA lifetime reached without a rekey";
	else if (sa->child.present && sa->child.installed_ns != 0 &&
		 now - sa->child.installed_ns >=
		 (uint64_t)cfg->ike.child_lifetime * 1000000000ull)
		why = "CHILD SA lifetime reached without a rekey";
	if (why == NULL)
		return false;
	x->st.lifetime_expired++;
	ike_delete_start(x, sa, why);
	return true;
}

/* RFC 3948 4: behind a NAT ourselves, keep its mapping for the client
 * alive when the tunnel sends nothing (one 0xff byte to UDP 4500). */
static void
natt_keepalive(struct ike *x, struct ike_sa *sa, uint64_t now)
{
	uint64_t every = (uint64_t)x->cp->cfg.ike.natt_keepalive * 1000000000ull;
	const struct p2sgw_chan *ch = x->cp->tm->ch;
	uint8_t ka = 0xff;
	struct iovec iov = { &ka, 1 };
	uint64_t last = sa->ka_ns;
	struct tunnel *t;

	if (!sa->nat_local || every == 0 || !sa->child.present ||
	    sa->addr.local_port != x->port[1])
		return;
	if (ch != NULL && (t = tm_find(x->cp->tm, sa->child.name)) != NULL &&
	    t->sa_out < ch->hdr->max_sa_out) {
		uint64_t v = __atomic_load_n(&p2sgw_chan_sa_out(ch, t->sa_out)->st.last_ns,
					     __ATOMIC_RELAXED);

		last = v > last ? v : last;
	}
	if (last == 0)
		last = sa->established_ns;
	if (now - last < every)
		return;
	sa->ka_ns = now;
	if (send_iov(x, &sa->addr, &iov, 1) == 0)
		x->st.natt_keepalives++;
}

static void
on_dpd_scan(struct loop *l, struct loop_timer *tm)
{
	struct ike *x = tm->arg;
	uint64_t now = loop_now(l);
	uint64_t delay = (uint64_t)x->cp->cfg.ike.dpd_delay * 1000000000ull;

	loop_timer_arm(l, &x->dpd, 1000000000ull);
	for (struct ike_sa *sa = x->head, *next; sa; sa = next) {
		next = sa->next;
		if (sa->state != IKE_S_ESTABLISHED)
			continue;
		if (lifetimes(x, sa, now))
			continue;
		/* an IKE SA whose CHILD SA moved to its successor waits for
		 * its DELETE (or its lifetime) */
		if (sa->req != NULL || sa->child_pending ||
		    (!sa->child.present && sa->vip == 0))
			continue;
		natt_keepalive(x, sa, now);
		if (sa->child.present && now >= sa->child.rekey_due_ns)
			ike_child_rekey_start(x, sa);
		else if (now >= sa->ike_rekey_due_ns)
			ike_ike_rekey_start(x, sa);
		else if (delay != 0 && now - last_alive(x, sa) >= delay)
			ike_dpd_start(x, sa);
	}
}

/* ---- set-up ---- */

struct ike *
ike_new(struct cp *cp, uint16_t port, uint16_t natt_port, char *err,
	size_t errlen)
{
	const struct p2sgw_config *cfg = &cp->cfg;
	const char *cas[X509_MAX_ROOTS];
	struct ike *x = calloc(1, sizeof(*x));
	uint8_t buf[X509_MAX_ROOTS * IKE_CERTREQ_HASH_LEN];

	if (x == NULL) {
		snprintf(err, errlen, "ike: out of memory");
		return NULL;
	}
	x->cp = cp;
	x->loop = cp->loop;
	x->fd[0] = x->fd[1] = -1;
	x->port[0] = port ? port : IKE_PORT;
	x->port[1] = natt_port ? natt_port : IKE_NATT_PORT;
	for (unsigned i = 0; i < cfg->auth.n_root_ca; i++)
		cas[i] = cfg->auth.root_ca[i];
	x->trust = x509_trust_load(cas, cfg->auth.n_root_ca,
				   (const uint8_t (*)[X509_THUMB_LEN])cfg->auth.revoked,
				   cfg->auth.n_revoked, err, errlen);
	if (x->trust == NULL)
		goto fail;
	x->local = x509_local_load(cfg->auth.certificate, cfg->auth.private_key,
				   err, errlen);
	if (x->local == NULL)
		goto fail;
	if (cfg->auth.identity[0] != '\0') {
		size_t n = strlen(cfg->auth.identity);
		uint32_t ip;

		if (p2sgw_parse_ipv4(cfg->auth.identity, &ip) == 0) {
			x->local->id_type = IKE_ID_IPV4_ADDR;
			ike_put32(x->local->id, ip);
			x->local->id_len = 4;
		} else {
			x->local->id_type = strchr(cfg->auth.identity, '@') ?
				IKE_ID_RFC822_ADDR : IKE_ID_FQDN;
			memcpy(x->local->id, cfg->auth.identity, n);
			x->local->id_len = n;
		}
	}
	x->certreq_len = x509_trust_certreq(x->trust, buf, sizeof(buf));
	x->certreq = malloc(x->certreq_len + 1);
	x->nb = IKE_HASH_MIN;
	x->hr = calloc(x->nb, sizeof(*x->hr));
	x->hi = calloc(x->nb, sizeof(*x->hi));
	x->n_src_buckets = IKE_SRC_BUCKETS;
	x->src = calloc(x->n_src_buckets, sizeof(*x->src));
	if (x->certreq == NULL || x->hr == NULL || x->hi == NULL ||
	    x->src == NULL || RAND_bytes(&x->cookie_secret[0][0],
					 sizeof(x->cookie_secret)) != 1 ||
	    pool_init(&x->pool, cfg->p2s.pools, cfg->p2s.n_pools) < 0) {
		snprintf(err, errlen, "ike: out of memory");
		goto fail;
	}
	memcpy(x->certreq, buf, x->certreq_len);
	cp->tm->moved_fn = on_client_moved;
	cp->tm->moved_arg = x;
	cp->tm->life_fn = on_lifetime;
	cp->tm->life_arg = x;
	loop_timer_init(&x->dpd, on_dpd_scan, x);
	loop_timer_arm(x->loop, &x->dpd, 1000000000ull);
	for (unsigned i = 0; i < 2; i++) {
		x->fd[i] = open_socket(x->port[i], err, errlen);
		if (x->fd[i] < 0 ||
		    loop_fd_add(x->loop, &x->w[i], x->fd[i], EPOLLIN,
				on_readable, x) < 0) {
			if (x->fd[i] >= 0)
				snprintf(err, errlen, "ike: epoll: %s",
					 strerror(errno));
			goto fail;
		}
	}
	return x;
fail:
	ike_free(x);
	return NULL;
}

void
ike_free(struct ike *x)
{
	if (x == NULL)
		return;
	if (x->loop != NULL && x->dpd.fn != NULL)
		loop_timer_stop(x->loop, &x->dpd);
	if (x->cp != NULL && x->cp->tm != NULL && x->cp->tm->moved_arg == x) {
		x->cp->tm->moved_fn = NULL;
		x->cp->tm->moved_arg = NULL;
		x->cp->tm->life_fn = NULL;
		x->cp->tm->life_arg = NULL;
	}
	while (x->head != NULL)
		ike_sa_free(x, x->head);
	for (unsigned i = 0; i < 2; i++) {
		if (x->w[i].added)
			loop_fd_del(x->loop, &x->w[i]);
		if (x->fd[i] >= 0)
			close(x->fd[i]);
	}
	x509_trust_free(x->trust);
	x509_local_free(x->local);
	free(x->certreq);
	free(x->hr);
	free(x->hi);
	for (size_t i = 0; x->src != NULL && i < x->n_src_buckets; i++)
		while (x->src[i] != NULL) {
			struct ike_src *s = x->src[i];

			x->src[i] = s->next;
			free(s);
		}
	free(x->src);
	pool_fini(&x->pool);
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

void
ike_pool_reserve(struct ike *x, uint32_t vip)
{
	pool_take(&x->pool, vip);
}

size_t
ike_count_established(const struct ike *x)
{
	return x->n_established;
}

/* ---- the operator's view ---- */

static const char *
suite_str(const struct ike_suite *s, char *buf, size_t len)
{
	static const char *const dh[32] = { [2] = "modp1024", [14] = "modp2048",
		[19] = "ecp256", [20] = "ecp384", [24] = "modp2048s256" };

	snprintf(buf, len, "%s%s-%s-%s",
		 s->encr == IKE_ENCR_AES_GCM16 ? "aes256gcm16" : "aes256",
		 s->integ == IKE_INTEG_HMAC_SHA256_128 ? "-sha256" :
		 s->integ == IKE_INTEG_HMAC_SHA384_192 ? "-sha384" : "",
		 s->prf == IKE_PRF_HMAC_SHA384 ? "prfsha384" : "prfsha256",
		 s->dh > 0 && s->dh < 32 && dh[s->dh] ? dh[s->dh] : "?");
	return buf;
}

void
ike_show(struct ike *x, struct jw *w)
{
	uint64_t now = loop_now(x->loop);

	jw_arr(w, "ike_sas");
	for (struct ike_sa *sa = x->head; sa; sa = sa->next) {
		const struct p2sgw_chan *ch = x->cp->tm->ch;
		struct tunnel *t = sa->child.present ?
			tm_find(x->cp->tm, sa->child.name) : NULL;
		char buf[64], spi[17];

		jw_obj(w, NULL);
		jw_u64(w, "id", sa->id);
		jw_str(w, "state", ike_state_name(sa->state));
		jw_str(w, "identity", sa->identity);
		if (sa->subject[0])
			jw_str(w, "subject", sa->subject);
		jw_ip(w, "peer", sa->addr.peer);
		jw_u64(w, "peer_port", sa->addr.peer_port);
		jw_u64(w, "local_port", sa->addr.local_port);
		jw_bool(w, "nat", sa->nat_peer || sa->nat_local);
		for (int i = 0; i < 8; i++)
			snprintf(spi + 2 * i, 3, "%02x", sa->spi_i[i]);
		jw_str(w, "spi_i", spi);
		for (int i = 0; i < 8; i++)
			snprintf(spi + 2 * i, 3, "%02x", sa->spi_r[i]);
		jw_str(w, "spi_r", spi);
		jw_str(w, "ike_suite", suite_str(&sa->suite, buf, sizeof(buf)));
		jw_double(w, "age_s", (double)(now - sa->created_ns) / 1e9);
		if (sa->vip)
			jw_ip(w, "vip", sa->vip);
		if (sa->child.present) {
			uint64_t bi = 0, bo = 0, pi = 0, po = 0;

			jw_str(w, "tunnel", sa->child.name);
			jw_str(w, "esp_suite", p2sgw_suite_name(sa->child.suite));
			jw_spi(w, "spi_in", sa->child.spi_in);
			jw_spi(w, "spi_out", sa->child.spi_out);
			jw_bool(w, "encap", sa->child.encap);
			if (t != NULL && ch != NULL && t->state == P2SGW_SLOT_LIVE) {
				const struct p2sgw_sa *in = p2sgw_chan_sa_in(ch, t->sa_in);
				const struct p2sgw_sa *out = p2sgw_chan_sa_out(ch, t->sa_out);

				bi = __atomic_load_n(&in->st.bytes, __ATOMIC_RELAXED);
				pi = __atomic_load_n(&in->st.packets, __ATOMIC_RELAXED);
				bo = __atomic_load_n(&out->st.bytes, __ATOMIC_RELAXED);
				po = __atomic_load_n(&out->st.packets, __ATOMIC_RELAXED);
			}
			jw_u64(w, "bytes_in", bi);
			jw_u64(w, "packets_in", pi);
			jw_u64(w, "bytes_out", bo);
			jw_u64(w, "packets_out", po);
		}
		jw_end_obj(w);
	}
	jw_end_arr(w);
}

void
ike_show_stats(struct ike *x, struct jw *w)
{
	jw_obj(w, "ike");
	jw_u64(w, "ike_sas", x->n_sa);
	jw_u64(w, "established", x->n_established);
	jw_u64(w, "half_open", x->n_half_open);
	jw_u64(w, "pool_size", x->pool.size);
	jw_u64(w, "pool_used", x->pool.used);
#define S(f) jw_u64(w, #f, x->st.f)
	S(rx); S(tx); S(rx_bad); S(rx_no_sa); S(rx_retransmit);
	S(init_ok); S(no_proposal); S(invalid_ke); S(auth_ok); S(auth_failed);
	S(revoked); S(unknown_ca); S(pool_exhausted); S(cap_refused);
	S(deleted_by_peer); S(deleted_by_us); S(half_open_expired);
	S(install_failed); S(unsupported_critical);
	S(child_rekeys); S(ike_rekeys); S(rekey_refused);
	S(frags_rx); S(frags_tx); S(frag_msgs_rx); S(frag_msgs_tx);
	S(dpd_sent); S(dpd_answered); S(dpd_dead);
	S(cookies_sent); S(cookies_ok); S(cookies_bad); S(half_open_refused);
	S(gw_child_rekeys); S(gw_rekey_failed); S(lifetime_expired);
	S(soft_lifetime); S(gw_ike_rekeys); S(gw_ike_rekey_failed);
	S(ike_rekey_collisions); S(redundant_deleted); S(child_rekey_collisions);
	S(new_children); S(natt_keepalives);
#undef S
	jw_end_obj(w);
}

int
ike_disconnect(struct ike *x, const char *who, char *err, size_t errlen)
{
	char *end;
	unsigned long long id = strtoull(who, &end, 10);
	uint32_t ip = 0;
	bool is_ip = p2sgw_parse_ipv4(who, &ip) == 0;

	for (struct ike_sa *sa = x->head; sa; sa = sa->next) {
		if ((*end == '\0' && end != who && sa->id == id) ||
		    (is_ip && sa->vip == ip) ||
		    !strcmp(sa->identity, who) ||
		    (sa->child.present && !strcmp(sa->child.name, who))) {
			x->st.deleted_by_us++;
			ike_delete_start(x, sa, "disconnected by the operator");
			return 0;
		}
	}
	snprintf(err, errlen, "no IKE SA '%s'", who);
	return -1;
}
