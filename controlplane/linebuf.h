/* SPDX-License-Identifier: BSD-3-Clause
 * Line framing for the control socket: bytes in, complete lines out, never
 * more than MAX bytes buffered. A line that reaches MAX bytes without its
 * newline is reported as too long (the caller answers and closes), so a
 * client cannot make the control plane buffer without bound.
 */
#ifndef CP_LINEBUF_H
#define CP_LINEBUF_H

#include <stddef.h>

struct linebuf {
	char *buf;
	size_t max;			/* longest line accepted, without '\n' */
	size_t len;			/* bytes buffered */
	size_t start;			/* first byte of the next line */
	size_t scanned;			/* bytes already searched for '\n' */
};

enum linebuf_status {
	LB_NONE = 0,			/* no complete line yet */
	LB_LINE,			/* LINE, LEN: one line, '\n' (and a
					 * trailing '\r') removed, NUL-ended */
	LB_TOO_LONG,			/* MAX bytes without a newline */
};

int linebuf_init(struct linebuf *lb, size_t max);
void linebuf_fini(struct linebuf *lb);

/* Where the next read may write, and how much; 0 while a full line is
 * pending (take it first) or when the buffer is at its limit. */
size_t linebuf_room(struct linebuf *lb, char **dst);
void linebuf_commit(struct linebuf *lb, size_t n);

/* The next complete line. The pointer stays valid until the next call of
 * linebuf_room(). */
enum linebuf_status linebuf_take(struct linebuf *lb, char **line, size_t *len);

/* Bytes held (complete or not). */
static inline size_t
linebuf_pending(const struct linebuf *lb)
{
	return lb->len - lb->start;
}

#endif /* CP_LINEBUF_H */
