/* SPDX-License-Identifier: BSD-3-Clause
 * Streaming JSON writer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jw.h"

static void
put(struct jw *w, const char *s, size_t n)
{
	size_t cap;
	char *nb;

	if (w->failed)
		return;
	if (w->len + n + 1 > w->cap) {
		cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n + 1)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (nb == NULL) {
			w->failed = true;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
put_str(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	put(w, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			put(w, esc, 2);
			esc[1] = 'u';
			continue;
		}
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		put(w, esc, 6);
	}
	put(w, run, (size_t)(s - run));
	put(w, "\"", 1);
}

/* The comma and key before a value. */
static void
key(struct jw *w, const char *k)
{
	if (w->depth > 0) {
		if (!w->first[w->depth - 1])
			put(w, ",", 1);
		w->first[w->depth - 1] = false;
	}
	if (k != NULL) {
		put_str(w, k);
		put(w, ":", 1);
	}
}

static void
open_level(struct jw *w, const char *k, const char *c)
{
	key(w, k);
	put(w, c, 1);
	if (w->depth >= JW_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	w->first[w->depth++] = true;
}

static void
close_level(struct jw *w, const char *c)
{
	if (w->depth > 0)
		w->depth--;
	put(w, c, 1);
}

void jw_obj(struct jw *w, const char *k) { open_level(w, k, "{"); }
void jw_arr(struct jw *w, const char *k) { open_level(w, k, "["); }
void jw_end_obj(struct jw *w) { close_level(w, "}"); }
void jw_end_arr(struct jw *w) { close_level(w, "]"); }

void
jw_str(struct jw *w, const char *k, const char *s)
{
	key(w, k);
	put_str(w, s);
}

static void
put_fmt(struct jw *w, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
put_fmt(struct jw *w, const char *k, const char *fmt, ...)
{
	char b[64];
	va_list ap;
	int n;

	key(w, k);
	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	put(w, b, n > 0 && (size_t)n < sizeof(b) ? (size_t)n : 0);
}

void
jw_u64(struct jw *w, const char *k, uint64_t v)
{
	put_fmt(w, k, "%llu", (unsigned long long)v);
}

void
jw_i64(struct jw *w, const char *k, int64_t v)
{
	put_fmt(w, k, "%lld", (long long)v);
}

void
jw_bool(struct jw *w, const char *k, bool v)
{
	key(w, k);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
jw_null(struct jw *w, const char *k)
{
	key(w, k);
	put(w, "null", 4);
}

void
jw_double(struct jw *w, const char *k, double v)
{
	put_fmt(w, k, "%.3f", v);
}

void
jw_ip(struct jw *w, const char *k, uint32_t a)
{
	put_fmt(w, k, "\"%u.%u.%u.%u\"", a >> 24, (a >> 16) & 0xff,
		(a >> 8) & 0xff, a & 0xff);
}

void
jw_spi(struct jw *w, const char *k, uint32_t spi)
{
	put_fmt(w, k, "\"0x%08x\"", spi);
}

void
jw_json(struct jw *w, const char *k, json_object *v)
{
	const char *s = json_object_to_json_string_ext(v,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	key(w, k);
	put(w, s, strlen(s));
}

char *
jw_finish(struct jw *w)
{
	char *s = w->buf;

	if (w->failed || w->depth != 0 || s == NULL) {
		jw_free(w);
		return NULL;
	}
	w->buf = NULL;
	w->len = w->cap = 0;
	return s;
}

void
jw_free(struct jw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}
