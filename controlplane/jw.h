/* SPDX-License-Identifier: BSD-3-Clause
 * A streaming JSON writer for the long replies of the control socket
 * (every tunnel, every SA): appending text is some fifty times cheaper
 * than building and freeing a json-c tree per item, which keeps a reply
 * for 100,000 tunnels from holding up the event loop. Small replies use
 * json-c. Strings are escaped fully (quote, backslash, control bytes).
 */
#ifndef CP_JW_H
#define CP_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

enum { JW_MAX_DEPTH = 16 };

struct jw {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[JW_MAX_DEPTH];	/* nothing written at this level yet */
	bool failed;			/* out of memory or nesting too deep */
};

/* KEY is NULL inside arrays (and for the outermost value). */
void jw_obj(struct jw *w, const char *key);
void jw_arr(struct jw *w, const char *key);
void jw_end_obj(struct jw *w);
void jw_end_arr(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
void jw_double(struct jw *w, const char *key, double v);
void jw_ip(struct jw *w, const char *key, uint32_t addr);
void jw_spi(struct jw *w, const char *key, uint32_t spi);
/* A json-c value, serialised. */
void jw_json(struct jw *w, const char *key, json_object *v);

/* The text (the caller frees it), or NULL after a failure. */
char *jw_finish(struct jw *w);
void jw_free(struct jw *w);

#endif /* CP_JW_H */
