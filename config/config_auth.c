/* SPDX-License-Identifier: BSD-3-Clause
 * The auth section: the root CAs that issue client certificates, the
 * revoked client certificates (SHA-1 thumbprints), the gateway's own
 * certificate and key, and an optional identity (IDr) override.
 *
 * Files are only checked to exist and be readable here; the control plane
 * parses them. A relative path is relative to the directory of the
 * configuration file, and is stored resolved (absolute).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_priv.h"

static const char *const auth_keys[] = {
	"root_cas", "revoked", "certificate", "private_key", "identity", NULL
};

enum { THUMBPRINT_LEN = 20 };	/* SHA-1 */

/* The directory of the configuration file, made absolute, with no
 * trailing '/' ("" for the root directory). */
static int
config_dir(struct cfg_ctx *x, const config_setting_t *s, char *buf,
	   size_t len)
{
	const char *p = x->cfg->path, *slash;
	char cwd[PATH_MAX] = "";
	size_t dlen;
	int n;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	slash = strrchr(p, '/');
	dlen = slash != NULL ? (size_t)(slash - p) : 0;
	if (p[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return cfg_fail(x, s, "%s: cannot resolve a relative "
					"path: the current directory is "
					"unknown: %s", CFG_WHERE(s),
					strerror(errno));
		if (strcmp(cwd, "/") == 0)
			cwd[0] = '\0';
	}
	n = snprintf(buf, len, "%s%s%.*s", cwd, cwd[0] != '\0' && dlen > 0 ?
		     "/" : "", (int)dlen, p);
	if (n < 0 || (size_t)n >= len)
		return cfg_fail(x, s, "%s: the directory of the configuration "
				"is too long to resolve a relative path",
				CFG_WHERE(s));
	return 0;
}

/* The path in string setting S, resolved into OUT (PATH_MAX bytes). */
static int
resolve_path(struct cfg_ctx *x, const config_setting_t *s, char *out,
	     size_t len)
{
	char dir[PATH_MAX];
	const char *v, *rel;
	int n;

	if (cfg_value_str(x, s, &v) < 0)
		return -1;
	if (v[0] == '\0')
		return cfg_fail(x, s, "%s is empty: give the path of a PEM "
				"file", CFG_WHERE(s));
	if (v[0] == '/') {
		n = snprintf(out, len, "%s", v);
	} else {
		if (config_dir(x, s, dir, sizeof(dir)) < 0)
			return -1;
		rel = v;
		while (rel[0] == '.' && rel[1] == '/')
			rel += 2;
		n = snprintf(out, len, "%s/%s", dir, rel);
	}
	if (n < 0 || (size_t)n >= len)
		return cfg_fail(x, s, "%s '%.64s...' is too long: a path has at "
				"most %zu characters%s", CFG_WHERE(s), v,
				len - 1, v[0] == '/' ? "" : " once resolved "
				"against the directory of the configuration");
	return 0;
}

/* A file that exists, is not a directory and that we may read. */
static int
check_readable(struct cfg_ctx *x, const config_setting_t *s,
	       const char *path)
{
	const char *v = config_setting_get_string(s);
	char shown[PATH_MAX + 80];
	struct stat st;

	if (strcmp(v, path) == 0)
		snprintf(shown, sizeof(shown), "'%s'", path);
	else
		snprintf(shown, sizeof(shown), "'%.64s' (%s)", v, path);
	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		return cfg_fail(x, s, "%s %s cannot be read: %s", CFG_WHERE(s),
				shown, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cfg_fail(x, s, "%s %s is a directory, not a PEM file",
				CFG_WHERE(s), shown);
	return 0;
}

static int
load_file(struct cfg_ctx *x, const config_setting_t *s, char *out,
	  size_t len)
{
	if (resolve_path(x, s, out, len) < 0 ||
	    check_readable(x, s, out) < 0)
		return -1;
	return 0;
}

static int
load_root_cas(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->auth) *a = &x->cfg->auth;
	config_setting_t *list, *e;
	unsigned i, j, n;

	if (cfg_elements(x, g, "root_cas", CONFIG_TYPE_STRING,
			 P2SGW_CFG_MAX_ROOT_CAS, &list, &n) < 0)
		return -1;
	if (list != NULL && n == 0)
		return cfg_fail(x, list, "auth.root_cas is empty: give 1..%d "
				"PEM files of the CAs that issue client "
				"certificates", P2SGW_CFG_MAX_ROOT_CAS);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if (load_file(x, e, a->root_ca[i], sizeof(a->root_ca[i])) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(a->root_ca[i], a->root_ca[j]) == 0)
				return cfg_fail(x, e, "%s '%s' is listed twice",
						CFG_WHERE(e), a->root_ca[i]);
	}
	a->n_root_ca = n;
	return 0;
}

/* 40 hex digits of either case; one ':' or ' ' may separate two bytes
 * ("3a7b...", "3A:7B:...", "3a 7b ..."). */
static int
parse_thumbprint(const char *s, uint8_t out[THUMBPRINT_LEN])
{
	int hi, lo;
	unsigned i;

	for (i = 0; i < THUMBPRINT_LEN; i++) {
		if (i > 0 && (*s == ':' || *s == ' '))
			s++;
		hi = cfg_hex_value(s[0]);
		lo = hi < 0 ? -1 : cfg_hex_value(s[1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s == '\0' ? 0 : -1;
}

static int
load_revoked(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->auth) *a = &x->cfg->auth;
	config_setting_t *list, *e;
	unsigned i, j, n;
	const char *v;

	if (cfg_elements(x, g, "revoked", CONFIG_TYPE_STRING,
			 P2SGW_CFG_MAX_REVOKED, &list, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	/* Owned by the struct from here: a failed load frees it. */
	a->revoked = calloc(n, sizeof(a->revoked[0]));
	if (a->revoked == NULL)
		return cfg_fail(x, list, "out of memory for auth.revoked");
	a->n_revoked = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		if (parse_thumbprint(v, a->revoked[i]) < 0)
			return cfg_fail(x, e, "%s '%.80s' is not a SHA-1 "
					"thumbprint: give 40 hex digits, "
					"optionally with ':' or ' ' between the "
					"bytes", CFG_WHERE(e), v);
		for (j = 0; j < i; j++)
			if (memcmp(a->revoked[i], a->revoked[j],
				   THUMBPRINT_LEN) == 0)
				return cfg_fail(x, e, "%s '%.80s' is listed "
						"twice (as auth.revoked[%u])",
						CFG_WHERE(e), v, j);
	}
	return 0;
}

static int
load_identity(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->auth) *a = &x->cfg->auth;
	config_setting_t *s = cfg_member(g, "identity");
	size_t i;

	if (cfg_str_copy(x, g, "identity", 1, a->identity,
			 sizeof(a->identity)) < 0)
		return -1;
	for (i = 0; a->identity[i] != '\0'; i++)
		if ((unsigned char)a->identity[i] < 0x20 ||
		    (unsigned char)a->identity[i] > 0x7e)
			return cfg_fail(x, s, "%s has a character that is not "
					"printable ASCII at position %zu",
					CFG_WHERE(s), i + 1);
	return 0;
}

/* The certificate and its key: both or neither; a certificate needs the
 * root CAs that authenticate the clients. */
static int
load_identity_files(struct cfg_ctx *x, const config_setting_t *g)
{
	typeof(x->cfg->auth) *a = &x->cfg->auth;
	config_setting_t *cert = cfg_member(g, "certificate");
	config_setting_t *key = cfg_member(g, "private_key");

	if (cert != NULL &&
	    load_file(x, cert, a->certificate, sizeof(a->certificate)) < 0)
		return -1;
	if (key != NULL &&
	    load_file(x, key, a->private_key, sizeof(a->private_key)) < 0)
		return -1;
	if (cert != NULL && key == NULL)
		return cfg_fail(x, cert, "auth.certificate is set but "
				"auth.private_key is not: give both");
	if (key != NULL && cert == NULL)
		return cfg_fail(x, key, "auth.private_key is set but "
				"auth.certificate is not: give both");
	if (cert != NULL && a->n_root_ca == 0)
		return cfg_fail(x, cert, "auth.certificate is set but "
				"auth.root_cas is not: give the CAs that issue "
				"client certificates");
	return 0;
}

int
cfg_load_auth(struct cfg_ctx *x, const config_setting_t *root)
{
	config_setting_t *g;

	if (cfg_subgroup(x, root, "auth", false, &g) < 0)
		return -1;
	if (g == NULL)
		return 0;
	x->cfg->auth.line = config_setting_source_line(g);
	if (cfg_check_keys(x, g, auth_keys) < 0 ||
	    load_root_cas(x, g) < 0 ||
	    load_revoked(x, g) < 0 ||
	    load_identity_files(x, g) < 0 ||
	    load_identity(x, g) < 0)
		return -1;
	return 0;
}
