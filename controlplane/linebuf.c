/* SPDX-License-Identifier: BSD-3-Clause
 * A fixed buffer of MAX + 1 bytes (the newline) plus the NUL terminator;
 * consumed lines are moved out of the way when room is asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

int
linebuf_init(struct linebuf *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->buf = malloc(max + 2);
	if (lb->buf == NULL)
		return -1;
	lb->max = max;
	return 0;
}

void
linebuf_fini(struct linebuf *lb)
{
	if (lb->buf != NULL)
		explicit_bzero(lb->buf, lb->max + 2);
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

size_t
linebuf_room(struct linebuf *lb, char **dst)
{
	size_t cap = lb->max + 1;

	if (lb->start > 0) {
		memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
		lb->len -= lb->start;
		lb->scanned -= lb->start;
		lb->start = 0;
	}
	*dst = lb->buf + lb->len;
	return cap - lb->len;
}

void
linebuf_commit(struct linebuf *lb, size_t n)
{
	lb->len += n;
}

enum linebuf_status
linebuf_take(struct linebuf *lb, char **line, size_t *len)
{
	char *nl;
	size_t n;

	if (lb->scanned < lb->start)
		lb->scanned = lb->start;
	nl = memchr(lb->buf + lb->scanned, '\n', lb->len - lb->scanned);
	if (nl == NULL) {
		lb->scanned = lb->len;
		return lb->len - lb->start > lb->max ? LB_TOO_LONG : LB_NONE;
	}
	n = (size_t)(nl - (lb->buf + lb->start));
	if (n > lb->max)
		return LB_TOO_LONG;
	*line = lb->buf + lb->start;
	*nl = '\0';
	if (n > 0 && (*line)[n - 1] == '\r')
		(*line)[--n] = '\0';
	*len = n;
	lb->start = (size_t)(nl - lb->buf) + 1;
	lb->scanned = lb->start;
	return LB_LINE;
}
