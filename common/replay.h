/* SPDX-License-Identifier: BSD-3-Clause
 * Anti-replay window for inbound ESP (RFC 4303 s3.4.3 and Appendix A for
 * extended sequence numbers), kept as a ring of 64-bit words in the manner
 * of RFC 6479: sliding the window clears whole words, never shifts bits.
 *
 * The state has one writer (the worker owning the SA). Check before the
 * ICV is verified (cheap rejection of old packets), update only after it
 * verified, so a forged packet cannot move the window.
 */
#ifndef P2SGW_REPLAY_H
#define P2SGW_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct replay_window {
	uint64_t top;		/* highest authenticated sequence number */
	uint32_t size;		/* window W in packets */
	uint32_t word_mask;	/* number of bitmap words - 1 (power of 2) */
	uint64_t bitmap[];	/* (word_mask + 1) words */
};

/* Words needed for a window of W packets: the ring must hold W bits plus a
 * whole word of slack so that clearing a word never clears live bits. */
static inline uint32_t
replay_words(uint32_t w)
{
	uint32_t n = (w + 63) / 64 + 1, p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static inline size_t
replay_size(uint32_t w)
{
	return sizeof(struct replay_window) + replay_words(w) * sizeof(uint64_t);
}

static inline void
replay_init(struct replay_window *r, uint32_t w)
{
	uint32_t words = replay_words(w);

	r->top = 0;
	r->size = w;
	r->word_mask = words - 1;
	memset(r->bitmap, 0, words * sizeof(uint64_t));
}

/* Infer the full 64-bit sequence number from its low 32 bits (RFC 4303
 * Appendix A2.2). Without ESN the high half is zero. Returns false when
 * the number falls before the start of the sequence space (invalid). */
static inline bool
replay_esn_infer(const struct replay_window *r, bool esn, uint32_t seq_lo,
		 uint64_t *seq)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t w = r->size;

	if (!esn) {
		*seq = seq_lo;
		return true;
	}
	if (tl >= w - 1) {		/* case A: window in one subspace */
		if (seq_lo >= tl - w + 1)
			*seq = (uint64_t)th << 32 | seq_lo;
		else
			*seq = (uint64_t)(th + 1) << 32 | seq_lo;
		return !(seq_lo < tl - w + 1 && th == UINT32_MAX);
	}
	/* case B: the window spans the boundary of two subspaces */
	if (seq_lo >= (uint32_t)(tl - w + 1)) {
		if (th == 0)
			return false;
		*seq = (uint64_t)(th - 1) << 32 | seq_lo;
	} else {
		*seq = (uint64_t)th << 32 | seq_lo;
	}
	return true;
}

/* 0 if SEQ may be accepted, -1 if it is a duplicate or left the window. */
static inline int
replay_check(const struct replay_window *r, uint64_t seq)
{
	uint64_t word;

	if (seq == 0)
		return -1;		/* sequence numbers start at 1 */
	if (seq > r->top)
		return 0;
	if (r->top - seq >= r->size)
		return -1;
	word = r->bitmap[(seq >> 6) & r->word_mask];
	return (word >> (seq & 63)) & 1 ? -1 : 0;
}

/* Record SEQ (already checked and authenticated). Returns -1 if it turned
 * out to be a duplicate after all (two packets in one burst). */
static inline int
replay_update(struct replay_window *r, uint64_t seq)
{
	uint64_t idx = seq >> 6, bit = UINT64_C(1) << (seq & 63);
	uint64_t *w;

	if (replay_check(r, seq) != 0)
		return -1;
	if (seq > r->top) {
		uint64_t cur = r->top >> 6, diff = idx - cur;

		if (diff > r->word_mask + 1)
			diff = r->word_mask + 1;
		while (diff-- > 0)
			r->bitmap[(idx - diff) & r->word_mask] = 0;
		r->top = seq;
	}
	w = &r->bitmap[idx & r->word_mask];
	*w |= bit;
	return 0;
}

#endif /* P2SGW_REPLAY_H */
