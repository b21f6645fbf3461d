/* SPDX-License-Identifier: BSD-3-Clause
 * A pre-scan of the raw file for what libconfig 1.5 accepts silently but
 * wrongly: an integer literal without the L suffix is stored in 32 bits,
 * so "4294967296" reads as 0 and "0x100001001" as 0x1001 (an SPI that
 * silently changed). Such literals are refused with a hint to write them
 * with L. @include is refused too: a configuration is one file, validated
 * as a whole, and every line number in a message refers to it.
 *
 * The scan skips strings and the three comment styles, and looks only at
 * number tokens; the grammar itself is left to libconfig.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

struct lex {
	const char *p, *end;
	int line;
};

static bool
ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '*';
}

static bool
ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool
number_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '.';
}

/* Skip a string, a comment or an identifier at l->p; false if none. */
static bool
skip_other(struct lex *l)
{
	const char *p = l->p;

	if (*p == '"') {
		for (p++; p < l->end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < l->end)
				p++;
			l->line += *p == '\n';
		}
		if (p == l->end)
			p--;	/* unterminated: libconfig reports it */
	} else if (*p == '#' || (*p == '/' && p + 1 < l->end && p[1] == '/')) {
		while (p + 1 < l->end && p[1] != '\n')
			p++;
	} else if (*p == '/' && p + 1 < l->end && p[1] == '*') {
		for (p += 2; p + 1 < l->end && !(p[0] == '*' && p[1] == '/');
		     p++)
			l->line += *p == '\n';
		p = p + 1 < l->end ? p + 1 : l->end - 1;
	} else if (ident_start(*p)) {
		while (p + 1 < l->end && ident_char(p[1]))
			p++;
	} else {
		return false;
	}
	l->p = p;
	return true;
}

/* Check the number token TOK (LEN characters, sign included). */
static int
check_number(struct cfg_ctx *x, int line, const char *tok, size_t len)
{
	const char *d = tok + (*tok == '-' || *tok == '+');
	bool hex = d[0] == '0' && (d[1] == 'x' || d[1] == 'X');
	size_t digits = len - (size_t)(d - tok);
	char buf[16];
	long long v;

	if (tok[len - 1] == 'L')
		return 0;	/* 64-bit */
	if (!hex && (memchr(tok, '.', len) || memchr(tok, 'e', len) ||
		     memchr(tok, 'E', len)))
		return 0;	/* a float */
	if (hex) {
		d += 2;
		digits -= 2;
	}
	for (; digits > 1 && *d == '0'; d++)
		digits--;
	if (hex && digits <= 8)
		return 0;
	if (!hex && digits <= 10) {
		snprintf(buf, sizeof(buf), "%c%.*s", *tok == '-' ? '-' : '+',
			 (int)digits, d);
		v = strtoll(buf, NULL, 10);
		if (v >= INT_MIN && v <= INT_MAX)
			return 0;
	}
	if (len > 40)
		return cfg_fail_line(x, line, "integer %.40s... does not fit "
				     "in 32 bits", tok);
	return cfg_fail_line(x, line, "integer %.*s does not fit in 32 bits: "
			     "write %.*sL for a 64-bit value", (int)len, tok,
			     (int)len, tok);
}

/* Consume the number token at l->p (a digit, or a sign or '.' before
 * one) and check it. */
static int
number(struct cfg_ctx *x, struct lex *l)
{
	const char *s = l->p, *p = l->p + 1;

	while (p < l->end && (number_char(*p) ||
	       ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E'))))
		p++;
	l->p = p - 1;
	return check_number(x, l->line, s, (size_t)(p - s));
}

static bool
number_start(const struct lex *l)
{
	const char *p = l->p;
	char next = p + 1 < l->end ? p[1] : '\0';

	if (*p >= '0' && *p <= '9')
		return true;
	return (*p == '-' || *p == '+' || *p == '.') &&
	       ((next >= '0' && next <= '9') || next == '.');
}

int
cfg_lex_check(struct cfg_ctx *x, const char *buf, size_t len)
{
	struct lex l = { .p = buf, .end = buf + len, .line = 1 };

	if (memchr(buf, '\0', len) != NULL)
		return cfg_fail_line(x, 0, "the file contains a NUL byte: it "
				     "is not a text configuration");
	for (; l.p < l.end; l.p++) {
		if (*l.p == '\n') {
			l.line++;
		} else if (skip_other(&l)) {
			continue;
		} else if (*l.p == '@') {
			return cfg_fail_line(x, l.line, "@include and other "
					     "directives are not supported: "
					     "keep the whole configuration in "
					     "one file");
		} else if (number_start(&l) && number(x, &l) < 0) {
			return -1;
		}
	}
	return 0;
}
