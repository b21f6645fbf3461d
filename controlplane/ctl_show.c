/* SPDX-License-Identifier: BSD-3-Clause
 * Control socket: the read-only requests ("status", "stats", "tunnels",
 * "sas", "config"). Counters are read from the region, where each worker
 * writes its own without atomics: a value may be one increment stale.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "ctl.h"
#include "dpchan.h"
#include "jw.h"
#include "loop.h"
#include "tunnels.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define NS 1000000000.0

static const struct p2sgw_chan *
region(const struct cp *cp)
{
	return cp->tm != NULL ? cp->tm->ch : NULL;
}

static json_object *
tunnel_types(uint32_t bits)
{
	json_object *a = json_object_new_array();

	if (bits & P2SGW_TT_IKEV2)
		json_object_array_add(a, json_object_new_string("ikev2"));
	if (bits & P2SGW_TT_OPENVPN)
		json_object_array_add(a, json_object_new_string("openvpn"));
	if (bits & P2SGW_TT_SSTP)
		json_object_array_add(a, json_object_new_string("sstp"));
	return a;
}

static json_object *
hex64(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%016llx", (unsigned long long)v);
	return json_object_new_string(b);
}

static void
add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

/* ---- status ----------------------------------------------------------------- */

static json_object *
dataplane_status(const struct cp *cp)
{
	const struct p2sgw_chan *ch = region(cp);
	json_object *d = json_object_new_object();
	const struct dpchan *dc = cp->dpc;

	add(d, "attached", json_object_new_boolean(ch != NULL));
	add(d, "channel", json_object_new_string(cp->cfg.control.channel));
	if (ch == NULL)
		return d;
	add(d, "pid", json_object_new_int64(ch->hdr->dataplane_pid));
	add(d, "generation", hex64(ch->hdr->generation));
	add(d, "responding", json_object_new_boolean(dc == NULL || dc->responding));
	add(d, "crypto", json_object_new_string(
		dpchan_arch_name(ch->hdr->crypto_arch)));
	add(d, "tunnel_slots", json_object_new_int64(ch->hdr->max_tunnels));
	add(d, "max_replay_window",
	    json_object_new_int64(p2sgw_chan_max_window(ch)));
	if (dc != NULL) {
		add(d, "attached_for", json_object_new_int64((int64_t)
		    ((p2sgw_now_ns() - dc->attached_ns) / 1000000000u)));
		add(d, "attaches", json_object_new_int64(dc->attaches));
	}
	return d;
}

static json_object *
tunnel_counts(const struct tunmgr *tm)
{
	size_t n[4] = { 0 }, wanted = 0;
	const struct tunnel *t;
	json_object *o = json_object_new_object();

	for (t = tm != NULL ? tm->head : NULL; t != NULL; t = t->next) {
		if (t->state <= P2SGW_SLOT_DYING)
			n[t->state]++;
		wanted += t->present;
	}
	add(o, "configured", json_object_new_int64((int64_t)wanted));
	add(o, "live", json_object_new_int64((int64_t)n[P2SGW_SLOT_LIVE]));
	add(o, "installing", json_object_new_int64((int64_t)n[P2SGW_SLOT_FILLED]));
	add(o, "removing", json_object_new_int64((int64_t)n[P2SGW_SLOT_DYING]));
	add(o, "waiting", json_object_new_int64((int64_t)n[P2SGW_SLOT_FREE]));
	add(o, "messages_queued", json_object_new_int64(tm != NULL ?
	    (int64_t)chanq_pending(&tm->q) : 0));
	return o;
}

int
ctl_cmd_status(struct ctl_req *req)
{
	const struct cp *cp = req->cp;
	const struct p2sgw_chan *ch = region(cp);
	json_object *o = req->out;

	if (ctl_keys(req, NULL) != 0)
		return CTL_ERROR;
	add(o, "version", json_object_new_string(P2SGW_VERSION));
	add(o, "pid", json_object_new_int64(getpid()));
	add(o, "uptime", json_object_new_int64((int64_t)
	    ((p2sgw_now_ns() - cp->start_ns) / 1000000000u)));
	add(o, "gateway", json_object_new_string(cp->cfg.gateway.name));
	add(o, "sku", json_object_new_string(p2sgw_sku_name(cp->cfg.gateway.sku)));
	add(o, "tunnel_types", tunnel_types(cp->cfg.p2s.tunnel_types));
	add(o, "workers", json_object_new_int64(ch != NULL ? ch->hdr->n_workers :
						cp->cfg.dataplane.n_lcores));
	add(o, "dataplane", dataplane_status(cp));
	add(o, "tunnels", tunnel_counts(cp->tm));
	return CTL_REPLY;
}

/* ---- stats ------------------------------------------------------------------ */

static json_object *
counter_set(const uint64_t *c, const uint64_t *d)
{
	json_object *o = json_object_new_object();
	json_object *cs = json_object_new_object(), *ds = json_object_new_object();
	unsigned i;

	for (i = 0; i < P2SGW_C_COUNT; i++)
		add(cs, p2sgw_counter_names[i], json_object_new_uint64(c[i]));
	for (i = 0; i < P2SGW_D_COUNT; i++)
		add(ds, p2sgw_drop_names[i], json_object_new_uint64(d[i]));
	add(o, "counters", cs);
	add(o, "drops", ds);
	return o;
}

int
ctl_cmd_stats(struct ctl_req *req)
{
	const struct p2sgw_chan *ch = region(req->cp);
	uint64_t tc[P2SGW_C_COUNT] = { 0 }, td[P2SGW_D_COUNT] = { 0 };
	uint64_t c[P2SGW_C_COUNT], d[P2SGW_D_COUNT];
	const struct p2sgw_counters *wc;
	json_object *workers, *one;
	unsigned w, i;

	if (ctl_keys(req, NULL) != 0)
		return CTL_ERROR;
	if (ch == NULL)
		return ctl_fail(req, "no dataplane is attached");
	workers = json_object_new_array();
	for (w = 0; w < ch->hdr->n_workers; w++) {
		wc = p2sgw_chan_counters(ch, w);
		for (i = 0; i < P2SGW_C_COUNT; i++)
			tc[i] += c[i] = LOAD(wc->c[i]);
		for (i = 0; i < P2SGW_D_COUNT; i++)
			td[i] += d[i] = LOAD(wc->d[i]);
		one = counter_set(c, d);
		json_object_object_add(one, "worker", json_object_new_int64(w));
		json_object_array_add(workers, one);
	}
	add(req->out, "total", counter_set(tc, td));
	add(req->out, "workers", workers);
	return CTL_REPLY;
}

/* ---- tunnels and SAs (long lists: written with jw.h) ------------------- */

static const struct p2sgw_sa *
sa_at(const struct p2sgw_chan *ch, uint32_t i, bool out)
{
	if (ch == NULL)
		return NULL;
	if (out)
		return i < ch->hdr->max_sa_out ? p2sgw_chan_sa_out(ch, i) : NULL;
	return i < ch->hdr->max_sa_in ? p2sgw_chan_sa_in(ch, i) : NULL;
}

static void
traffic(struct jw *w, const struct p2sgw_chan *ch, const struct tunnel *t)
{
	const struct p2sgw_sa *in = sa_at(ch, t->sa_in, false);
	const struct p2sgw_sa *out = sa_at(ch, t->sa_out, true);
	uint64_t last = 0, v, now;

	jw_u64(w, "packets_in", in ? LOAD(in->st.packets) : 0);
	jw_u64(w, "bytes_in", in ? LOAD(in->st.bytes) : 0);
	jw_u64(w, "packets_out", out ? LOAD(out->st.packets) : 0);
	jw_u64(w, "bytes_out", out ? LOAD(out->st.bytes) : 0);
	if (in != NULL && (v = LOAD(in->st.last_ns)) > last)
		last = v;
	if (out != NULL && (v = LOAD(out->st.last_ns)) > last)
		last = v;
	if (ch == NULL || last == 0) {
		jw_null(w, "idle");
		return;
	}
	now = LOAD(ch->hdr->now_ns);
	jw_double(w, "idle", now > last ? (double)(now - last) / NS : 0.0);
}

/* A CLOCK_MONOTONIC time as UTC, "2026-01-31T12:00:00Z". */
static void
jw_time(struct jw *w, const char *key, uint64_t mono_ns, uint64_t now_mono,
	uint64_t now_real)
{
	time_t t = (time_t)((now_real - (now_mono > mono_ns ? now_mono - mono_ns :
					 0)) / 1000000000u);
	struct tm tm;
	char b[32];

	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jw_str(w, key, b);
}

static void
tunnel_json(struct jw *w, const struct cp *cp, const struct tunnel *t,
	    uint64_t now_mono, uint64_t now_real)
{
	const struct tun_spec *s = &t->spec;

	jw_obj(w, NULL);
	jw_str(w, "name", s->name);
	jw_u64(w, "id", t->id);
	jw_str(w, "kind", tunnel_kind_name(t->kind));
	jw_str(w, "state", tm_state_name(t->state));
	if (!t->present)
		jw_bool(w, "leaving", true);
	jw_ip(w, "vip", s->vip);
	jw_ip(w, "peer", s->peer);
	jw_str(w, "suite", p2sgw_suite_name(s->suite));
	jw_spi(w, "spi_in", s->spi_in);
	jw_spi(w, "spi_out", s->spi_out);
	if (s->encap) {
		jw_obj(w, "encap");
		jw_u64(w, "sport", s->encap_sport);
		jw_u64(w, "dport", s->encap_dport);
		jw_end_obj(w);
	} else {
		jw_bool(w, "encap", false);
	}
	jw_bool(w, "esn", s->esn);
	jw_u64(w, "replay_window", s->replay_window);
	if (t->created_ns != 0) {
		jw_time(w, "created", t->created_ns, now_mono, now_real);
		jw_u64(w, "age", (now_mono - t->created_ns) / 1000000000u);
	}
	traffic(w, region(cp), t);
	jw_end_obj(w);
}

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
ctl_cmd_tunnels(struct ctl_req *req)
{
	static const char *const keys[] = { "name", NULL };
	uint64_t now_mono = p2sgw_now_ns(), now_real = realtime_ns();
	const struct tunnel *t;
	const char *name = NULL;
	struct jw w = { 0 };

	if (ctl_keys(req, keys) != 0 ||
	    ctl_get_str(req, "name", false, &name) != 0)
		return CTL_ERROR;
	if (req->cp->tm == NULL)
		return ctl_fail(req, "no tunnel manager");
	jw_obj(&w, NULL);
	jw_bool(&w, "ok", true);
	jw_arr(&w, "tunnels");
	for (t = req->cp->tm->head; t != NULL; t = t->next)
		if (name == NULL || strcmp(name, t->spec.name) == 0)
			tunnel_json(&w, req->cp, t, now_mono, now_real);
	jw_end_arr(&w);
	jw_end_obj(&w);
	req->text = jw_finish(&w);
	return CTL_REPLY;
}

static void
sa_json(struct jw *w, const struct tunnel *t, const struct p2sgw_sa *sa,
	uint32_t slot)
{
	uint16_t owner = LOAD(sa->owner);

	jw_obj(w, NULL);
	jw_spi(w, "spi", sa->spi);
	jw_str(w, "dir", sa->dir ? "out" : "in");
	jw_str(w, "tunnel", t->spec.name);
	jw_u64(w, "slot", slot);
	jw_str(w, "state", tm_state_name(sa->state));
	jw_str(w, "suite", sa->suite < P2SGW_SUITE_COUNT ?
	       p2sgw_suite_name((enum p2sgw_suite)sa->suite) : "unknown");
	jw_arr(w, "flags");
	if (sa->flags & P2SGW_SA_F_ESN)
		jw_str(w, NULL, "esn");
	if (sa->flags & P2SGW_SA_F_ENCAP)
		jw_str(w, NULL, "encap");
	jw_end_arr(w);
	if (sa->dir) {
		jw_u64(w, "seq", LOAD(sa->st.seq));
	} else {
		jw_u64(w, "replay_top", LOAD(sa->replay.top));
		jw_u64(w, "replay_window", sa->replay.size);
	}
	jw_u64(w, "packets", LOAD(sa->st.packets));
	jw_u64(w, "bytes", LOAD(sa->st.bytes));
	if (owner == P2SGW_SA_OWNER_NONE)
		jw_null(w, "owner");
	else
		jw_u64(w, "owner", owner);
	jw_bool(w, "soft_expired", LOAD(sa->st.soft_fired) != 0);
	jw_bool(w, "expired", LOAD(sa->st.expired) != 0);
	jw_end_obj(w);
}

int
ctl_cmd_sas(struct ctl_req *req)
{
	const struct p2sgw_chan *ch = region(req->cp);
	const struct p2sgw_sa *sa;
	const struct tunnel *t;
	struct jw w = { 0 };

	if (ctl_keys(req, NULL) != 0)
		return CTL_ERROR;
	if (req->cp->tm == NULL)
		return ctl_fail(req, "no tunnel manager");
	jw_obj(&w, NULL);
	jw_bool(&w, "ok", true);
	jw_arr(&w, "sas");
	for (t = req->cp->tm->head; ch != NULL && t != NULL; t = t->next) {
		if (t->state == P2SGW_SLOT_FREE)
			continue;
		if ((sa = sa_at(ch, t->sa_in, false)) != NULL)
			sa_json(&w, t, sa, t->sa_in);
		if ((sa = sa_at(ch, t->sa_in_prev, false)) != NULL)
			sa_json(&w, t, sa, t->sa_in_prev);
		if ((sa = sa_at(ch, t->sa_out, true)) != NULL)
			sa_json(&w, t, sa, t->sa_out);
	}
	jw_end_arr(&w);
	jw_end_obj(&w);
	req->text = jw_finish(&w);
	return CTL_REPLY;
}

/* ---- config ------------------------------------------------------------------- */

static json_object *
prefix(const struct p2sgw_prefix4 *p)
{
	char b[24], ip[16];

	snprintf(b, sizeof(b), "%s/%u", tun_fmt_ip(p->addr, ip), p->len);
	return json_object_new_string(b);
}

static json_object *
prefixes(const struct p2sgw_prefix4 *p, unsigned n)
{
	json_object *a = json_object_new_array();
	unsigned i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, prefix(&p[i]));
	return a;
}

static json_object *
ports_json(const struct p2sgw_config *c)
{
	json_object *a = json_object_new_array(), *p;
	const struct p2sgw_port_cfg *pc;
	unsigned i;

	for (i = 0; i < c->dataplane.n_ports; i++) {
		pc = &c->dataplane.ports[i];
		p = json_object_new_object();
		add(p, "name", json_object_new_string(pc->name));
		add(p, "role", json_object_new_string(
			pc->role == P2SGW_PORT_UPLINK ? "uplink" : "vnet"));
		add(p, "device", json_object_new_string(pc->device));
		add(p, "address", prefix(&pc->address));
		if (pc->gateway != 0)
			add(p, "gateway", ctl_ip(pc->gateway));
		add(p, "mtu", json_object_new_int64(pc->mtu));
		json_object_array_add(a, p);
	}
	return a;
}

static json_object *
dataplane_json(const struct p2sgw_config *c)
{
	json_object *d = json_object_new_object(), *a, *e;
	char lc[8 * P2SGW_CFG_MAX_LCORES] = "";
	unsigned i;

	for (i = 0; i < c->dataplane.n_lcores; i++)
		snprintf(lc + strlen(lc), sizeof(lc) - strlen(lc), "%s%u",
			 i ? "," : "", c->dataplane.lcores[i]);
	add(d, "lcores", json_object_new_string(lc));
	add(d, "socket_mem", json_object_new_int64(c->dataplane.socket_mem));
	add(d, "file_prefix", json_object_new_string(c->dataplane.file_prefix));
	a = json_object_new_array();
	for (i = 0; i < c->dataplane.n_eal_args; i++)
		json_object_array_add(a, json_object_new_string(
				      c->dataplane.eal_args[i]));
	add(d, "eal_args", a);
	add(d, "mbufs", json_object_new_int64(c->dataplane.mbufs));
	add(d, "rx_desc", json_object_new_int64(c->dataplane.rx_desc));
	add(d, "tx_desc", json_object_new_int64(c->dataplane.tx_desc));
	add(d, "stats_file", json_object_new_string(c->dataplane.stats_file));
	add(d, "stats_interval", json_object_new_double(c->dataplane.stats_interval));
	add(d, "neigh_ageing", json_object_new_int64(c->dataplane.neigh_ageing));
	add(d, "ports", ports_json(c));
	e = json_object_new_object();
	add(e, "enabled", json_object_new_boolean(c->dataplane.exception.enabled));
	add(e, "device", json_object_new_string(c->dataplane.exception.device));
	add(e, "iface", json_object_new_string(c->dataplane.exception.iface));
	add(d, "exception", e);
	return d;
}

static void
tunnels_json(struct jw *w, const struct p2sgw_config *c)
{
	const struct p2sgw_tunnel_cfg *t;
	unsigned i;

	jw_arr(w, "tunnels");
	for (i = 0; i < c->n_tunnels; i++) {
		t = &c->tunnels[i];
		jw_obj(w, NULL);
		jw_str(w, "name", t->name);
		jw_ip(w, "vip", t->vip);
		jw_ip(w, "peer", t->peer);
		jw_str(w, "suite", p2sgw_suite_name(t->suite));
		jw_spi(w, "spi_in", t->spi_in);
		jw_spi(w, "spi_out", t->spi_out);
		jw_str(w, "key_in", "(hidden)");
		jw_str(w, "key_out", "(hidden)");
		if (t->auth_key_len != 0) {
			jw_str(w, "auth_key_in", "(hidden)");
			jw_str(w, "auth_key_out", "(hidden)");
		}
		if (t->encap) {
			jw_obj(w, "encap");
			jw_u64(w, "sport", t->encap_sport);
			jw_u64(w, "dport", t->encap_dport);
			jw_end_obj(w);
		}
		jw_bool(w, "esn", t->esn);
		jw_u64(w, "replay_window", t->replay_window);
		jw_end_obj(w);
	}
	jw_end_arr(w);
}

int
ctl_cmd_config(struct ctl_req *req)
{
	static const char *const df[] = { "copy", "set", "clear" };
	static const char *const levels[] = { "error", "warning", "notice",
					      "info", "debug" };
	const struct p2sgw_config *c = &req->cp->cfg;
	json_object *cfg, *g, *dns;
	struct jw w = { 0 };
	unsigned i;

	if (ctl_keys(req, NULL) != 0)
		return CTL_ERROR;
	cfg = json_object_new_object();
	add(cfg, "path", json_object_new_string(c->path));
	g = json_object_new_object();
	add(g, "name", json_object_new_string(c->gateway.name));
	add(g, "sku", json_object_new_string(p2sgw_sku_name(c->gateway.sku)));
	add(g, "generation", json_object_new_int64(c->gateway.generation));
	add(cfg, "gateway", g);
	add(cfg, "dataplane", dataplane_json(c));
	g = json_object_new_object();
	add(g, "tunnel_types", tunnel_types(c->p2s.tunnel_types));
	add(g, "address_pool", prefixes(c->p2s.pools, c->p2s.n_pools));
	add(g, "routes", prefixes(c->p2s.routes, c->p2s.n_routes));
	dns = json_object_new_array();
	for (i = 0; i < c->p2s.n_dns; i++)
		json_object_array_add(dns, ctl_ip(c->p2s.dns[i]));
	add(g, "dns", dns);
	add(cfg, "p2s", g);
	g = json_object_new_object();
	add(g, "replay_window", json_object_new_int64(c->esp.replay_window));
	add(g, "ttl", json_object_new_int64(c->esp.ttl));
	add(g, "df", json_object_new_string(c->esp.df <= P2SGW_DF_CLEAR ?
					    df[c->esp.df] : "?"));
	add(cfg, "esp", g);
	g = json_object_new_object();
	add(g, "socket", json_object_new_string(c->control.socket));
	add(g, "channel", json_object_new_string(c->control.channel));
	add(g, "max_tunnels", json_object_new_int64(c->control.max_tunnels));
	add(g, "max_replay_window",
	    json_object_new_int64(c->control.max_replay_window));
	add(g, "log_level", json_object_new_string(
		c->control.log_level >= 0 && c->control.log_level <= 4 ?
		levels[c->control.log_level] : "?"));
	add(g, "syslog", json_object_new_boolean(c->control.syslog));
	add(cfg, "control", g);
	/* the sections, then the (long) tunnel list, inside "config" */
	jw_obj(&w, NULL);
	jw_bool(&w, "ok", true);
	jw_obj(&w, "config");
	json_object_object_foreach(cfg, key, val)
		jw_json(&w, key, val);
	tunnels_json(&w, c);
	jw_end_obj(&w);
	jw_end_obj(&w);
	json_object_put(cfg);
	req->text = jw_finish(&w);
	return CTL_REPLY;
}
