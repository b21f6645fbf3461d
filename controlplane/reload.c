/* SPDX-License-Identifier: BSD-3-Clause
 * Start-up checks of the static tunnels and reloading the configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reload.h"
#include "tunnels.h"

void
cp_cfg_wipe_keys(struct p2sgw_config *cfg)
{
	struct p2sgw_tunnel_cfg *t;
	unsigned i;

	for (i = 0; i < cfg->n_tunnels; i++) {
		t = &cfg->tunnels[i];
		explicit_bzero(t->key_in, sizeof(t->key_in));
		explicit_bzero(t->key_out, sizeof(t->key_out));
		explicit_bzero(t->auth_key_in, sizeof(t->auth_key_in));
		explicit_bzero(t->auth_key_out, sizeof(t->auth_key_out));
	}
}

int
cp_check_config(const struct p2sgw_config *cfg, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < cfg->n_tunnels; i++) {
		if (strlen(cfg->tunnels[i].name) < P2SGW_NAME_LEN)
			continue;
		snprintf(err, errlen, "%s:%d: tunnels[%u].name '%s' is longer "
			 "than the %d characters a channel record holds",
			 cfg->path, cfg->tunnels[i].line, i,
			 cfg->tunnels[i].name, P2SGW_NAME_LEN - 1);
		return -1;
	}
	return 0;
}

int
cp_add_static(struct cp *cp, const struct p2sgw_config *cfg, char *err,
	      size_t errlen)
{
	const struct p2sgw_tunnel_cfg *c;
	struct tun_spec s;
	struct tun_keys k;
	char why[256];
	unsigned i;

	for (i = 0; i < cfg->n_tunnels; i++) {
		c = &cfg->tunnels[i];
		if (tunspec_from_cfg(c, &s, &k) != 0 ||
		    tm_add(cp->tm, &s, &k, TK_STATIC, NULL, why,
			   sizeof(why)) < 0) {
			tun_keys_wipe(&k);
			snprintf(err, errlen, "%s:%d: tunnel '%s': %s", cfg->path,
				 c->line, c->name, why);
			return -1;
		}
	}
	return 0;
}

/* ---- what changed besides the tunnels ------------------------------------- */

struct changes {
	json_object *restart;		/* [{setting, process}] */
	json_object *applied;		/* [setting] */
};

static void
need_restart(struct changes *ch, const char *setting, const char *process)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "setting", json_object_new_string(setting));
	json_object_object_add(o, "process", json_object_new_string(process));
	json_object_array_add(ch->restart, o);
	log_notice("reload: %s changed: takes effect when %s restarts",
		   setting, process);
}

static void
applied(struct changes *ch, const char *setting)
{
	json_object_array_add(ch->applied, json_object_new_string(setting));
	log_info("reload: %s changed: applied", setting);
}

#define DIFF(a, b, f) (memcmp(&(a)->f, &(b)->f, sizeof((a)->f)) != 0)

static bool
ports_differ(const struct p2sgw_config *a, const struct p2sgw_config *b)
{
	const struct p2sgw_port_cfg *p, *q;
	unsigned i;

	if (a->dataplane.n_ports != b->dataplane.n_ports)
		return true;
	for (i = 0; i < a->dataplane.n_ports; i++) {
		p = &a->dataplane.ports[i];
		q = &b->dataplane.ports[i];
		if (strcmp(p->name, q->name) != 0 || p->role != q->role ||
		    strcmp(p->device, q->device) != 0 ||
		    p->address.addr != q->address.addr ||
		    p->address.len != q->address.len ||
		    p->gateway != q->gateway || p->mtu != q->mtu)
			return true;
	}
	return false;
}

static bool
eal_args_differ(const struct p2sgw_config *a, const struct p2sgw_config *b)
{
	unsigned i;

	if (a->dataplane.n_eal_args != b->dataplane.n_eal_args)
		return true;
	for (i = 0; i < a->dataplane.n_eal_args; i++)
		if (strcmp(a->dataplane.eal_args[i], b->dataplane.eal_args[i]))
			return true;
	return false;
}

static void
diff_dataplane(struct changes *ch, const struct p2sgw_config *o,
	       const struct p2sgw_config *n)
{
	static const char dp[] = "p2sgw-dataplane";
	const typeof(o->dataplane) *a = &o->dataplane, *b = &n->dataplane;

	if (a->n_lcores != b->n_lcores || DIFF(a, b, lcores))
		need_restart(ch, "dataplane.lcores", dp);
	if (a->socket_mem != b->socket_mem || a->mbufs != b->mbufs ||
	    a->rx_desc != b->rx_desc || a->tx_desc != b->tx_desc)
		need_restart(ch, "dataplane memory and rings", dp);
	if (strcmp(a->file_prefix, b->file_prefix) != 0 || eal_args_differ(o, n))
		need_restart(ch, "dataplane EAL settings", dp);
	if (strcmp(a->stats_file, b->stats_file) != 0 ||
	    a->stats_interval != b->stats_interval)
		need_restart(ch, "dataplane.stats_file/stats_interval", dp);
	if (a->neigh_ageing != b->neigh_ageing)
		need_restart(ch, "dataplane.neigh_ageing", dp);
	if (ports_differ(o, n))
		need_restart(ch, "dataplane.ports", dp);
	if (a->exception.enabled != b->exception.enabled ||
	    strcmp(a->exception.device, b->exception.device) != 0 ||
	    strcmp(a->exception.iface, b->exception.iface) != 0)
		need_restart(ch, "dataplane.exception", dp);
}

static bool
auth_differs(const struct p2sgw_config *a, const struct p2sgw_config *b)
{
	const typeof(a->auth) *x = &a->auth, *y = &b->auth;

	return x->n_root_ca != y->n_root_ca || DIFF(x, y, root_ca) ||
	       strcmp(x->certificate, y->certificate) != 0 ||
	       strcmp(x->private_key, y->private_key) != 0 ||
	       strcmp(x->identity, y->identity) != 0 ||
	       x->n_revoked != y->n_revoked ||
	       (x->n_revoked && memcmp(x->revoked, y->revoked,
				       x->n_revoked * sizeof(x->revoked[0])));
}

static void
diff_others(struct changes *ch, const struct p2sgw_config *o,
	    const struct p2sgw_config *n)
{
	static const char dp[] = "p2sgw-dataplane", cp[] = "p2sgw-control";

	if (strcmp(o->gateway.name, n->gateway.name) != 0 ||
	    o->gateway.sku != n->gateway.sku ||
	    o->gateway.generation != n->gateway.generation)
		applied(ch, "gateway");
	if (o->esp.ttl != n->esp.ttl || o->esp.df != n->esp.df)
		need_restart(ch, "esp.ttl/df", dp);
	if (o->esp.replay_window != n->esp.replay_window)
		applied(ch, "esp.replay_window");
	if (o->p2s.n_routes != n->p2s.n_routes || DIFF(&o->p2s, &n->p2s, routes))
		need_restart(ch, "p2s.routes", dp);
	if (o->p2s.n_pools != n->p2s.n_pools || DIFF(&o->p2s, &n->p2s, pools))
		applied(ch, "p2s.address_pool");
	if (o->p2s.tunnel_types != n->p2s.tunnel_types ||
	    o->p2s.n_dns != n->p2s.n_dns || DIFF(&o->p2s, &n->p2s, dns))
		applied(ch, "p2s.tunnel_types/dns");
	if (strcmp(o->control.socket, n->control.socket) != 0)
		need_restart(ch, "control.socket", cp);
	if (strcmp(o->control.channel, n->control.channel) != 0 ||
	    o->control.max_tunnels != n->control.max_tunnels ||
	    o->control.max_replay_window != n->control.max_replay_window)
		need_restart(ch, "control.channel/max_tunnels/max_replay_window",
			     "p2sgw-dataplane and p2sgw-control");
	if (auth_differs(o, n) || DIFF(o, n, ike))
		need_restart(ch, "auth/ike (the IKEv2 responder)", cp);
	if (o->ike.enabled &&
	    (o->p2s.n_pools != n->p2s.n_pools || DIFF(&o->p2s, &n->p2s, pools)))
		need_restart(ch, "p2s.address_pool of the IKEv2 responder", cp);
	if (o->control.log_level != n->control.log_level ||
	    o->control.syslog != n->control.syslog)
		applied(ch, "control.log_level/syslog");
}

/* The running config takes N's live settings and tunnels; the others
 * stay as they are until a restart. N's tunnels move over. */
static void
take_live(struct p2sgw_config *o, struct p2sgw_config *n)
{
	o->gateway = n->gateway;
	o->esp.replay_window = n->esp.replay_window;
	memcpy(o->p2s.pools, n->p2s.pools, sizeof(o->p2s.pools));
	o->p2s.n_pools = n->p2s.n_pools;
	o->p2s.tunnel_types = n->p2s.tunnel_types;
	memcpy(o->p2s.dns, n->p2s.dns, sizeof(o->p2s.dns));
	o->p2s.n_dns = n->p2s.n_dns;
	o->control.log_level = n->control.log_level;
	o->control.syslog = n->control.syslog;
	cp_log_setup(o->control.log_level, o->control.syslog);
	if (o->tunnels != NULL) {
		explicit_bzero(o->tunnels, o->n_tunnels * sizeof(o->tunnels[0]));
		free(o->tunnels);
	}
	o->tunnels = n->tunnels;
	o->n_tunnels = n->n_tunnels;
	n->tunnels = NULL;
	n->n_tunnels = 0;
	memcpy(o->warnings, n->warnings, sizeof(o->warnings));
}

/* ---- the static tunnels ------------------------------------------------------ */

static int
idx_name_cmp(const void *a, const void *b, void *arg)
{
	const struct p2sgw_config *c = arg;

	return strcmp(c->tunnels[*(const unsigned *)a].name,
		      c->tunnels[*(const unsigned *)b].name);
}

/* New tunnels' names sorted, for lookups while diffing. */
static unsigned *
sorted_names(const struct p2sgw_config *n)
{
	unsigned *v = malloc((n->n_tunnels + 1) * sizeof(*v));
	unsigned i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < n->n_tunnels; i++)
		v[i] = i;
	qsort_r(v, n->n_tunnels, sizeof(v[0]), idx_name_cmp, (void *)n);
	return v;
}

static long
lookup(const struct p2sgw_config *n, const unsigned *v, const char *name)
{
	size_t lo = 0, hi = n->n_tunnels, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(name, n->tunnels[v[mid]].name);
		if (c == 0)
			return v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* A new static tunnel must not take a runtime tunnel's name, VIP or SPI. */
static int
check_runtime_conflicts(struct cp *cp, const struct p2sgw_config *n,
			char *err, size_t errlen)
{
	const struct p2sgw_tunnel_cfg *c;
	const struct tunnel *u;
	struct tun_spec s;
	struct tun_keys k;
	const char *what;
	unsigned i;

	for (i = 0; i < n->n_tunnels; i++) {
		c = &n->tunnels[i];
		tunspec_from_cfg(c, &s, &k);
		tun_keys_wipe(&k);
		u = tm_find_conflict(cp->tm, &s, TK_STATIC, &what);
		if (u == NULL)
			continue;
		snprintf(err, errlen, "%s:%d: tunnel '%s': its %s is used by "
			 "the %s tunnel '%s' (remove that one first)", n->path,
			 c->line, c->name, what, tunnel_kind_name(u->kind),
			 u->spec.name);
		return -1;
	}
	return 0;
}

static void
sync_static(struct cp *cp, struct p2sgw_config *n, json_object *report)
{
	json_object *added = json_object_new_array();
	json_object *removed = json_object_new_array();
	json_object *replaced = json_object_new_array();
	enum { NEW = 0, KEEP, REPLACE };
	unsigned *v = sorted_names(n), i, same = 0;
	uint8_t *fate = calloc(n->n_tunnels + 1, sizeof(*fate));
	struct tunnel *t, *next;
	struct tun_spec s;
	struct tun_keys k;
	char err[256];
	long j;

	if (v == NULL || fate == NULL)
		abort();
	for (t = cp->tm->head; t != NULL; t = next) {
		next = t->next;
		if (!t->present || t->kind != TK_STATIC)
			continue;
		j = lookup(n, v, t->spec.name);
		if (j >= 0) {
			tunspec_from_cfg(&n->tunnels[j], &s, &k);
			fate[j] = tunspec_hash(&s, &k) == t->cfg_hash ? KEEP :
								     REPLACE;
			tun_keys_wipe(&k);
			if (fate[j] == KEEP) {
				same++;
				continue;
			}
			json_object_array_add(replaced,
				json_object_new_string(t->spec.name));
			log_notice("reload: tunnel %s changed: replacing it",
				   t->spec.name);
		} else {
			json_object_array_add(removed,
				json_object_new_string(t->spec.name));
			log_notice("reload: tunnel %s removed", t->spec.name);
		}
		tm_del(cp->tm, t->spec.name, NULL, err, sizeof(err));
	}
	for (i = 0; i < n->n_tunnels; i++) {
		if (fate[i] == KEEP)
			continue;
		tunspec_from_cfg(&n->tunnels[i], &s, &k);
		if (tm_add(cp->tm, &s, &k, TK_STATIC, NULL, err,
			   sizeof(err)) < 0) {
			log_error("reload: tunnel %s: %s", s.name, err);
			continue;
		}
		if (fate[i] == REPLACE)
			continue;
		log_notice("reload: tunnel %s added", s.name);
		json_object_array_add(added, json_object_new_string(s.name));
	}
	free(v);
	free(fate);
	if (report != NULL) {
		json_object_object_add(report, "added", added);
		json_object_object_add(report, "removed", removed);
		json_object_object_add(report, "replaced", replaced);
		json_object_object_add(report, "unchanged",
				       json_object_new_int64(same));
	} else {
		json_object_put(added);
		json_object_put(removed);
		json_object_put(replaced);
	}
}

int
cp_reload(struct cp *cp, json_object *report, char *err, size_t errlen)
{
	struct p2sgw_config *n = calloc(1, sizeof(*n));
	struct changes ch;
	json_object *warnings;
	char *w, *save = NULL, text[sizeof(n->warnings)];

	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (p2sgw_config_load(cp->cfg.path, n, err, errlen) != 0 ||
	    cp_check_config(n, err, errlen) != 0 ||
	    check_runtime_conflicts(cp, n, err, errlen) != 0) {
		log_error("reload refused: %s", err);
		p2sgw_config_free(n);
		free(n);
		return -1;
	}
	log_notice("reloading %s", cp->cfg.path);
	ch.restart = json_object_new_array();
	ch.applied = json_object_new_array();
	diff_dataplane(&ch, &cp->cfg, n);
	diff_others(&ch, &cp->cfg, n);
	sync_static(cp, n, report);
	warnings = json_object_new_array();
	memcpy(text, n->warnings, sizeof(text));
	for (w = strtok_r(text, "\n", &save); w != NULL;
	     w = strtok_r(NULL, "\n", &save)) {
		log_warning("%s", w);
		json_object_array_add(warnings, json_object_new_string(w));
	}
	cp_cfg_wipe_keys(n);
	take_live(&cp->cfg, n);
	p2sgw_config_free(n);
	free(n);
	if (report != NULL) {
		json_object_object_add(report, "applied", ch.applied);
		json_object_object_add(report, "restart_needed", ch.restart);
		json_object_object_add(report, "warnings", warnings);
	} else {
		json_object_put(ch.applied);
		json_object_put(ch.restart);
		json_object_put(warnings);
	}
	return 0;
}
