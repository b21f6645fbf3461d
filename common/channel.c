/* SPDX-License-Identifier: BSD-3-Clause
 * Creating, attaching and laying out the channel region; filling and
 * wiping SA slots. Used by both processes; never on the packet path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"


#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define HUGE_2M (2u << 20)

uint64_t
p2sgw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

size_t
p2sgw_sa_out_slot_size(void)
{
	return ALIGN_UP(sizeof(struct p2sgw_sa), P2SGW_CACHE_LINE);
}

size_t
p2sgw_sa_in_slot_size(uint32_t words)
{
	return ALIGN_UP(sizeof(struct p2sgw_sa) + words * sizeof(uint64_t),
			P2SGW_CACHE_LINE);
}

uint32_t
p2sgw_chan_max_window(const struct p2sgw_chan *ch)
{
	uint32_t w = P2SGW_REPLAY_WINDOW_MAX;

	/* the largest window whose ring fits the slot's words */
	while (w > P2SGW_REPLAY_WINDOW_MIN && replay_words(w) > ch->hdr->replay_words)
		w -= 64;
	return w;
}

int
p2sgw_chan_sa_fill(const struct p2sgw_chan *ch, uint32_t slot, IMB_MGR *mgr,
		   const struct p2sgw_sa_params *p, const char **why)
{
	if (p->dir == 0) {
		if (slot >= ch->hdr->max_sa_in) {
			*why = "inbound SA slot out of range";
			return -1;
		}
		if (p->replay_window > p2sgw_chan_max_window(ch)) {
			*why = "replay window larger than the channel's inbound "
			       "slots hold (control.max_replay_window)";
			return -1;
		}
		return p2sgw_sa_fill(mgr, p2sgw_chan_sa_in(ch, slot), p, why);
	}
	if (slot >= ch->hdr->max_sa_out) {
		*why = "outbound SA slot out of range";
		return -1;
	}
	return p2sgw_sa_fill(mgr, p2sgw_chan_sa_out(ch, slot), p, why);
}

/* Offsets of everything after the header, and the total size. */
static uint64_t
layout(struct p2sgw_chan_hdr *h, const struct p2sgw_chan_limits *l)
{
	uint64_t off = ALIGN_UP(sizeof(*h), P2SGW_CACHE_LINE);
	unsigned w;

	for (w = 0; w < l->n_workers; w++) {
		h->off_msg[w] = off;
		off = ALIGN_UP(off + p2sgw_ring_size(P2SGW_CHAN_MSG_SLOTS,
				sizeof(struct p2sgw_msg)), P2SGW_CACHE_LINE);
		h->off_ev[w] = off;
		off = ALIGN_UP(off + p2sgw_ring_size(P2SGW_CHAN_EV_SLOTS,
				sizeof(struct p2sgw_event)), P2SGW_CACHE_LINE);
	}
	h->replay_words = replay_words(l->max_replay_window ?
				       l->max_replay_window :
				       P2SGW_REPLAY_WINDOW_MAX);
	h->off_counters = off;
	off += (uint64_t)l->n_workers * sizeof(struct p2sgw_counters);
	h->off_sa_in = off = ALIGN_UP(off, 4096);
	off += (uint64_t)l->max_sa_in * p2sgw_sa_in_slot_size(h->replay_words);
	h->off_sa_out = off = ALIGN_UP(off, 4096);
	off += (uint64_t)l->max_sa_out * p2sgw_sa_out_slot_size();
	h->off_tunnels = off = ALIGN_UP(off, 4096);
	off += (uint64_t)l->max_tunnels * sizeof(struct p2sgw_tunnel_rec);
	return ALIGN_UP(off, HUGE_2M);
}

int
p2sgw_chan_create(struct p2sgw_chan *ch, const char *path,
		  const struct p2sgw_chan_limits *l, char *err, size_t errlen)
{
	struct p2sgw_chan_hdr tmp;
	uint64_t size;
	unsigned w;

	memset(ch, 0, sizeof(*ch));
	ch->fd = -1;
	if (l->n_workers == 0 || l->n_workers > P2SGW_CHAN_MAX_WORKERS) {
		snprintf(err, errlen, "channel: %u workers (1..%u)", l->n_workers,
			 P2SGW_CHAN_MAX_WORKERS);
		return -1;
	}
	memset(&tmp, 0, sizeof(tmp));
	size = layout(&tmp, l);
	unlink(path);
	ch->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (ch->fd < 0 || ftruncate(ch->fd, (off_t)size) != 0) {
		snprintf(err, errlen, "channel %s: %s", path, strerror(errno));
		goto fail;
	}
	ch->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ch->fd, 0);
	if (ch->base == MAP_FAILED) {
		ch->base = NULL;
		snprintf(err, errlen, "channel %s: cannot map %lu MiB: %s", path,
			 (unsigned long)(size >> 20), strerror(errno));
		goto fail;
	}
	ch->size = size;
	ch->hdr = (struct p2sgw_chan_hdr *)ch->base;
	snprintf(ch->path, sizeof(ch->path), "%s", path);
	memset(ch->base, 0, sizeof(struct p2sgw_chan_hdr));
	*ch->hdr = tmp;
	ch->hdr->size = size;
	ch->hdr->n_workers = l->n_workers;
	ch->hdr->msg_slots = P2SGW_CHAN_MSG_SLOTS;
	ch->hdr->ev_slots = P2SGW_CHAN_EV_SLOTS;
	ch->hdr->crypto_arch = l->crypto_arch;
	ch->hdr->max_sa_in = l->max_sa_in;
	ch->hdr->max_sa_out = l->max_sa_out;
	ch->hdr->max_tunnels = l->max_tunnels;
	ch->hdr->sa_in_size = (uint32_t)p2sgw_sa_in_slot_size(tmp.replay_words);
	ch->hdr->sa_out_size = (uint32_t)p2sgw_sa_out_slot_size();
	ch->hdr->tunnel_size = sizeof(struct p2sgw_tunnel_rec);
	ch->hdr->dataplane_pid = (uint32_t)getpid();
	ch->hdr->generation = p2sgw_now_ns() ^ ((uint64_t)getpid() << 40);
	ch->hdr->now_ns = p2sgw_now_ns();
	for (w = 0; w < l->n_workers; w++) {
		p2sgw_ring_init(p2sgw_chan_msg_ring(ch, w), P2SGW_CHAN_MSG_SLOTS,
				sizeof(struct p2sgw_msg));
		p2sgw_ring_init(p2sgw_chan_ev_ring(ch, w), P2SGW_CHAN_EV_SLOTS,
				sizeof(struct p2sgw_event));
	}
	/* The magic last: an attacher never sees a half-made header. */
	__atomic_store_n(&ch->hdr->abi, P2SGW_CHAN_ABI, __ATOMIC_RELEASE);
	__atomic_store_n(&ch->hdr->magic, P2SGW_CHAN_MAGIC, __ATOMIC_RELEASE);
	return 0;
fail:
	p2sgw_chan_close(ch, true);
	return -1;
}

static int
check_header(const struct p2sgw_chan_hdr *h, size_t size, char *err,
	     size_t errlen)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != P2SGW_CHAN_MAGIC) {
		snprintf(err, errlen, "not a p2sgw channel (or not initialised yet)");
		return -1;
	}
	if (h->abi != P2SGW_CHAN_ABI) {
		snprintf(err, errlen, "channel ABI %u, this build speaks %u: run "
			 "matching versions of p2sgw-dataplane and p2sgw-control",
			 h->abi, P2SGW_CHAN_ABI);
		return -1;
	}
	if (h->size != size || h->n_workers == 0 ||
	    h->n_workers > P2SGW_CHAN_MAX_WORKERS ||
	    h->replay_words == 0 || h->replay_words > P2SGW_REPLAY_WORDS_MAX ||
	    h->sa_in_size != p2sgw_sa_in_slot_size(h->replay_words) ||
	    h->sa_out_size != p2sgw_sa_out_slot_size() ||
	    h->tunnel_size != sizeof(struct p2sgw_tunnel_rec) ||
	    h->off_tunnels + (uint64_t)h->max_tunnels * h->tunnel_size > size) {
		snprintf(err, errlen, "channel layout does not match this build "
			 "(size %lu, file %lu)", (unsigned long)h->size,
			 (unsigned long)size);
		return -1;
	}
	return 0;
}

int
p2sgw_chan_attach(struct p2sgw_chan *ch, const char *path, char *err,
		  size_t errlen)
{
	struct stat st;

	memset(ch, 0, sizeof(*ch));
	ch->fd = open(path, O_RDWR | O_CLOEXEC);
	if (ch->fd < 0 || fstat(ch->fd, &st) != 0) {
		snprintf(err, errlen, "channel %s: %s", path, strerror(errno));
		goto fail;
	}
	if ((size_t)st.st_size < sizeof(struct p2sgw_chan_hdr)) {
		snprintf(err, errlen, "channel %s: too small to be a channel", path);
		goto fail;
	}
	ch->size = (size_t)st.st_size;
	ch->base = mmap(NULL, ch->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			ch->fd, 0);
	if (ch->base == MAP_FAILED) {
		ch->base = NULL;
		snprintf(err, errlen, "channel %s: %s", path, strerror(errno));
		goto fail;
	}
	ch->hdr = (struct p2sgw_chan_hdr *)ch->base;
	snprintf(ch->path, sizeof(ch->path), "%s", path);
	if (check_header(ch->hdr, ch->size, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	p2sgw_chan_close(ch, false);
	return -1;
}

void
p2sgw_chan_close(struct p2sgw_chan *ch, bool unlink_file)
{
	if (ch->base != NULL)
		munmap(ch->base, ch->size);
	if (ch->fd >= 0)
		close(ch->fd);
	if (unlink_file && ch->path[0] != '\0')
		unlink(ch->path);
	ch->base = NULL;
	ch->hdr = NULL;
	ch->fd = -1;
}

int
p2sgw_sa_fill(IMB_MGR *mgr, struct p2sgw_sa *sa,
	      const struct p2sgw_sa_params *p, const char **why)
{
	if (p->spi < P2SGW_SPI_MIN) {
		*why = "SPI 1..255 is reserved";
		return -1;
	}
	if (p->dir == 0 && (p->replay_window < P2SGW_REPLAY_WINDOW_MIN ||
			    p->replay_window > P2SGW_REPLAY_WINDOW_MAX)) {
		*why = "replay window outside 64..4096";
		return -1;
	}
	if (p2sgw_crypto_key_init(mgr, &sa->key, p->suite, p->key, p->key_len,
				  p->auth_key, p->auth_key_len) != 0) {
		*why = "key length does not fit the suite";
		return -1;
	}
	sa->spi = p->spi;
	sa->spi_be = __builtin_bswap32(p->spi);
	sa->dir = p->dir;
	sa->suite = (uint8_t)p->suite;
	sa->icv_len = sa->key.icv_len;
	sa->iv_len = sa->key.iv_len;
	sa->block_len = sa->key.block_len;
	sa->flags = (uint8_t)((p->esn ? P2SGW_SA_F_ESN : 0) |
			      (p->encap ? P2SGW_SA_F_ENCAP : 0));
	sa->owner = P2SGW_SA_OWNER_NONE;
	sa->peer_be = __builtin_bswap32(p->peer);
	sa->local_be = __builtin_bswap32(p->local);
	sa->encap_peer_port_be = __builtin_bswap16(p->encap_peer_port);
	sa->encap_local_port_be = __builtin_bswap16(p->encap_local_port);
	sa->vip = p->vip;
	sa->nexthop = p->nexthop;
	sa->tunnel = p->tunnel;
	/* Hard stop one before the counter would cycle (RFC 4303 s3.3.3). */
	sa->seq_last = p->esn ? UINT64_MAX - 1 : UINT32_MAX;
	sa->soft_bytes = p->soft_bytes;
	sa->hard_bytes = p->hard_bytes;
	sa->soft_packets = p->soft_packets;
	sa->hard_packets = p->hard_packets;
	sa->soft_ns = p->soft_ns;
	sa->hard_ns = p->hard_ns;
	sa->created_ns = p2sgw_now_ns();
	memset(&sa->st, 0, sizeof(sa->st));
	sa->st.deadline_ns = UINT64_MAX;
	if (p->soft_ns != 0)
		sa->st.deadline_ns = p->soft_ns;
	if (p->hard_ns != 0 && p->hard_ns < sa->st.deadline_ns)
		sa->st.deadline_ns = p->hard_ns;
	if (p->dir == 0)
		replay_init(&sa->replay, p->replay_window);
	return 0;
}

void
p2sgw_sa_wipe(struct p2sgw_sa *sa, size_t slot_size)
{
	explicit_bzero(sa, slot_size);
}
