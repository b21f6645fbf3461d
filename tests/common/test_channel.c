/* SPDX-License-Identifier: BSD-3-Clause
 * The channel's rings and region: wrap-around, a full ring refusing
 * (back-pressure), attach checks (not a channel, ABI and layout mismatch),
 * a producer and a consumer in two threads, and acks from several workers
 * mapped by a second attacher.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"

static int failures;

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "%s:%d: %s: ",	\
	__FILE__, __LINE__, #c); fprintf(stderr, __VA_ARGS__);		\
	fputc('\n', stderr); failures++; } } while (0)

static void
test_wrap_and_full(void)
{
	enum { SLOTS = 8 };
	struct p2sgw_ring *r = aligned_alloc(64, p2sgw_ring_size(SLOTS,
					sizeof(struct p2sgw_msg)));
	struct p2sgw_msg m = { 0 };
	const struct p2sgw_msg *got;
	uint32_t i, next = 0;

	p2sgw_ring_init(r, SLOTS, sizeof(m));
	CHECK(p2sgw_ring_peek(r) == NULL, "empty ring gave a record");
	/* 1000 records through 8 slots, 5 at a time: wraps many times */
	for (i = 0; i < 1000; i++) {
		m.seq = i;
		CHECK(p2sgw_ring_push(r, &m), "push %u", i);
		if (i % 5 == 4) {
			while ((got = p2sgw_ring_peek(r)) != NULL) {
				CHECK(got->seq == next, "got %u want %u", got->seq, next);
				next++;
				p2sgw_ring_pop(r);
			}
		}
	}
	while ((got = p2sgw_ring_peek(r)) != NULL) {
		CHECK(got->seq == next, "tail %u want %u", got->seq, next);
		next++;
		p2sgw_ring_pop(r);
	}
	CHECK(next == 1000, "received %u", next);
	/* full: the 9th push is refused and nothing is overwritten */
	for (i = 0; i < SLOTS; i++) {
		m.seq = 100 + i;
		CHECK(p2sgw_ring_push(r, &m), "fill %u", i);
	}
	m.seq = 999;
	CHECK(!p2sgw_ring_push(r, &m), "push into a full ring succeeded");
	CHECK(p2sgw_ring_free(r) == 0, "free %u", p2sgw_ring_free(r));
	got = p2sgw_ring_peek(r);
	CHECK(got != NULL && got->seq == 100, "oldest overwritten");
	p2sgw_ring_pop(r);
	CHECK(p2sgw_ring_push(r, &m), "push after pop refused");
	free(r);
}

struct spsc {
	struct p2sgw_ring *r;
	uint32_t n;
	uint32_t bad;
};

static void *
consumer(void *arg)
{
	struct spsc *s = arg;
	uint32_t next = 0;

	while (next < s->n) {
		const struct p2sgw_msg *m = p2sgw_ring_peek(s->r);

		if (m == NULL)
			continue;
		if (m->seq != next || m->slot != next * 7 || m->arg != ~next)
			s->bad++;
		next++;
		p2sgw_ring_pop(s->r);
	}
	return NULL;
}

/* One producer and one consumer thread: every record arrives whole and in
 * order (the release/acquire pairing of head and tail). */
static void
test_threads(void)
{
	struct spsc s = { .n = 2000000 };
	pthread_t t;
	uint32_t i;

	s.r = aligned_alloc(64, p2sgw_ring_size(64, sizeof(struct p2sgw_msg)));
	p2sgw_ring_init(s.r, 64, sizeof(struct p2sgw_msg));
	pthread_create(&t, NULL, consumer, &s);
	for (i = 0; i < s.n; i++) {
		struct p2sgw_msg m = { .seq = i, .slot = i * 7, .arg = ~i };

		while (!p2sgw_ring_push(s.r, &m))
			;
	}
	pthread_join(t, NULL);
	CHECK(s.bad == 0, "%u torn or reordered records", s.bad);
	free(s.r);
}

static void
test_attach(const char *path)
{
	struct p2sgw_chan_limits l = { .n_workers = 3, .max_tunnels = 100,
				       .max_sa_in = 120, .max_sa_out = 120 };
	struct p2sgw_chan dp, cp;
	char err[256];
	FILE *f;
	unsigned w;

	CHECK(p2sgw_chan_create(&dp, path, &l, err, sizeof(err)) == 0, "%s", err);
	CHECK(p2sgw_chan_attach(&cp, path, err, sizeof(err)) == 0, "%s", err);
	CHECK(cp.hdr->generation == dp.hdr->generation, "generation");
	CHECK(cp.hdr->max_tunnels == 100 && cp.hdr->n_workers == 3, "limits");

	/* the control plane sends, three workers ack out of order */
	for (w = 0; w < 3; w++) {
		struct p2sgw_msg m = { .type = P2SGW_MSG_TUNNEL_ADD, .seq = 42,
				       .slot = 5 };

		CHECK(p2sgw_ring_push(p2sgw_chan_msg_ring(&cp, w), &m), "send");
	}
	for (w = 3; w-- > 0;) {
		const struct p2sgw_msg *m = p2sgw_ring_peek(p2sgw_chan_msg_ring(&dp, w));
		struct p2sgw_event e = { .type = P2SGW_EV_ACK, .worker = w };

		CHECK(m != NULL && m->seq == 42 && m->slot == 5, "worker %u", w);
		e.seq = m != NULL ? m->seq : 0;
		p2sgw_ring_pop(p2sgw_chan_msg_ring(&dp, w));
		CHECK(p2sgw_ring_push(p2sgw_chan_ev_ring(&dp, w), &e), "ack");
	}
	for (w = 0; w < 3; w++) {
		const struct p2sgw_event *e = p2sgw_ring_peek(p2sgw_chan_ev_ring(&cp, w));

		CHECK(e != NULL && e->type == P2SGW_EV_ACK && e->seq == 42 &&
		      e->worker == w, "ack from worker %u", w);
		p2sgw_ring_pop(p2sgw_chan_ev_ring(&cp, w));
	}
	/* inbound slots sized for the default 4096 window; a smaller
	 * region refuses larger windows before writing anything */
	CHECK(p2sgw_chan_max_window(&cp) == 4096, "max window %u",
	      p2sgw_chan_max_window(&cp));
	/* a record written by one process is what the other reads */
	p2sgw_chan_tunnel(&cp, 99)->vip = 0x0ac80063;
	CHECK(p2sgw_chan_tunnel(&dp, 99)->vip == 0x0ac80063, "tunnel record");
	p2sgw_chan_close(&cp, false);

	/* ABI mismatch and garbage are refused with a reason */
	dp.hdr->abi = P2SGW_CHAN_ABI + 1;
	CHECK(p2sgw_chan_attach(&cp, path, err, sizeof(err)) == -1 &&
	      strstr(err, "ABI") != NULL, "abi: %s", err);
	dp.hdr->abi = P2SGW_CHAN_ABI;
	dp.hdr->sa_in_size += 64;
	CHECK(p2sgw_chan_attach(&cp, path, err, sizeof(err)) == -1 &&
	      strstr(err, "layout") != NULL, "layout: %s", err);
	dp.hdr->sa_in_size -= 64;
	dp.hdr->magic = 0;
	CHECK(p2sgw_chan_attach(&cp, path, err, sizeof(err)) == -1 &&
	      strstr(err, "not a p2sgw channel") != NULL, "magic: %s", err);
	p2sgw_chan_close(&dp, true);
	CHECK(p2sgw_chan_attach(&cp, path, err, sizeof(err)) == -1, "gone");
	f = fopen(path, "w");
	if (f != NULL) {
		fputs("hello", f);
		fclose(f);
	}
	CHECK(p2sgw_chan_attach(&cp, path, err, sizeof(err)) == -1 &&
	      strstr(err, "too small") != NULL, "small file: %s", err);
	unlink(path);

	l.max_replay_window = 1024;
	CHECK(p2sgw_chan_create(&dp, path, &l, err, sizeof(err)) == 0, "%s", err);
	CHECK(p2sgw_chan_max_window(&dp) >= 1024 &&
	      p2sgw_chan_max_window(&dp) < 4096, "max window %u",
	      p2sgw_chan_max_window(&dp));
	{
		static const uint8_t key[36];
		struct p2sgw_sa_params p = {
			.spi = 0x1234, .suite = P2SGW_SUITE_AES256GCM16,
			.key = key, .key_len = 36, .replay_window = 4096,
		};
		IMB_MGR *mb = p2sgw_crypto_mgr_create();
		const char *why = NULL;

		CHECK(p2sgw_chan_sa_fill(&dp, 0, mb, &p, &why) == -1 &&
		      why != NULL && strstr(why, "replay window") != NULL,
		      "4096 window in a 1024 region: %s", why ? why : "accepted");
		p.replay_window = 1024;
		CHECK(p2sgw_chan_sa_fill(&dp, 0, mb, &p, &why) == 0, "%s", why);
		CHECK(p2sgw_chan_sa_fill(&dp, 999, mb, &p, &why) == -1,
		      "slot out of range accepted");
		p2sgw_crypto_mgr_free(mb);
	}
	p2sgw_chan_close(&dp, true);
}

/* SA slots: a filled record is laid out as both processes expect, and a
 * wipe leaves no key byte. */
static void
test_sa_fill(void)
{
	static const uint8_t key[36] = { 0xaa, 0xbb, 0xcc };
	struct p2sgw_sa_params p = {
		.spi = 0x1234, .dir = 0, .suite = P2SGW_SUITE_AES256GCM16,
		.key = key, .key_len = 36, .replay_window = 4096,
		.peer = 0xac100a02, .vip = 0x0ac80002,
	};
	size_t size = p2sgw_sa_in_slot_size(P2SGW_REPLAY_WORDS_MAX), i, nz = 0;
	struct p2sgw_sa *sa = aligned_alloc(64, size);
	IMB_MGR *mb = p2sgw_crypto_mgr_create();
	const char *why = NULL;

	memset(sa, 0, size);
	CHECK(p2sgw_sa_fill(mb, sa, &p, &why) == 0, "fill: %s", why);
	CHECK(sa->spi_be == __builtin_bswap32(0x1234) && sa->icv_len == 16 &&
	      sa->replay.size == 4096 && sa->replay.word_mask + 1 <=
	      P2SGW_REPLAY_WORDS_MAX, "fields");
	CHECK(sa->owner == P2SGW_SA_OWNER_NONE, "owner");
	p.spi = 255;
	CHECK(p2sgw_sa_fill(mb, sa, &p, &why) == -1, "reserved SPI accepted");
	p.spi = 0x1234;
	p.replay_window = 8192;
	CHECK(p2sgw_sa_fill(mb, sa, &p, &why) == -1, "window 8192 accepted");
	p2sgw_sa_wipe(sa, size);
	for (i = 0; i < size; i++)
		nz += ((uint8_t *)sa)[i] != 0;
	CHECK(nz == 0, "%zu bytes survive a wipe", nz);
	CHECK(p2sgw_sa_out_slot_size() + 1024 <= p2sgw_sa_in_slot_size(128),
	      "inbound slot lacks its bitmap");
	p2sgw_crypto_mgr_free(mb);
	free(sa);
}

int
main(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/shm/p2sgw-test-chan-%d", (int)getpid());
	test_wrap_and_full();
	test_threads();
	test_attach(path);
	test_sa_fill();
	printf("test_channel: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
