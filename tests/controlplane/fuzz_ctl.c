/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: bytes from a control socket client, through the line
 * reader and the request parser/dispatcher, with a configuration loaded
 * and no dataplane (so requests that would wait for one are answered at
 * once). Every reply must be a JSON object with a boolean "ok".
 */
#include <stdint.h>
#include <stdlib.h>

#include "cp.h"
#include "cptest.h"
#include "ctl.h"
#include "linebuf.h"
#include "log.h"
#include "reload.h"
#include "tunnels.h"

enum { FUZZ_MAX_LINE = 4096, FUZZ_MAX_TUNNELS = 64 };

static struct cp cp;
static char cfg_path[128];

static void
remove_config(void)
{
	unlink(cfg_path);
}

static void
setup(void)
{
	struct tm_net net = { .local = 0xac100a01, .uplink = { 0xac100a00, 24 } };
	char err[512];

	cptest_config(cfg_path, sizeof(cfg_path), NULL);
	atexit(remove_config);	/* kept until then: "reload" reads it */
	if (p2sgw_config_load(cfg_path, &cp.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	cp_log_setup(CP_LOG_SILENT, false);
	cp.tm = tm_new(&net);
	if (cp.tm == NULL || cp_add_static(&cp, &cp.cfg, err, sizeof(err)) != 0)
		abort();
	cp_cfg_wipe_keys(&cp.cfg);
}

/* Every reply is one JSON object with a boolean "ok" and no newline. */
static void
check_reply(char *text)
{
	json_object *r, *ok;

	if (text == NULL || strchr(text, '\n') != NULL)
		abort();	/* nothing waits without a dataplane */
	r = json_tokener_parse(text);
	if (r == NULL || !json_object_is_type(r, json_type_object) ||
	    !json_object_object_get_ex(r, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean))
		abort();
	json_object_put(r);
	free(text);
}

/* Keep the tunnel list small: drop what sa-add added. */
static void
trim(void)
{
	struct tunnel *t, *next;
	char err[128];

	if (cp.tm->n_tunnels < FUZZ_MAX_TUNNELS)
		return;
	for (t = cp.tm->head; t != NULL; t = next) {
		next = t->next;
		if (t->present && t->kind == TK_MANUAL)
			tm_del(cp.tm, t->spec.name, NULL, err, sizeof(err));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct linebuf lb;
	enum linebuf_status st;
	size_t room, n, len;
	char *dst, *line;

	if (!ready) {
		setup();
		ready = true;
	}
	if (linebuf_init(&lb, FUZZ_MAX_LINE) != 0)
		return 0;
	while (size > 0) {
		room = linebuf_room(&lb, &dst);
		if (room == 0)
			break;
		n = size < room ? size : room;
		memcpy(dst, data, n);
		linebuf_commit(&lb, n);
		data += n;
		size -= n;
		while ((st = linebuf_take(&lb, &line, &len)) == LB_LINE)
			check_reply(ctl_handle_line(&cp, line, len, 1));
		if (st == LB_TOO_LONG)
			break;
	}
	/* an unterminated last line is a request too, for the parser */
	if (linebuf_pending(&lb) > 0 && linebuf_pending(&lb) <= FUZZ_MAX_LINE)
		check_reply(ctl_handle_line(&cp, lb.buf + lb.start,
					    linebuf_pending(&lb), 1));
	linebuf_fini(&lb);
	trim();
	return 0;
}
