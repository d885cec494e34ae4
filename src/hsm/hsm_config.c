/*
 * hsm_config.c - reads the `hsm:` section of the configuration and opens
 * the backend it names, so every program that takes a config file sets up
 * its keys the same way and reports mistakes with file, line and key.
 */
#include "hsm/hsm_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A backend has a handful of settings; more is a mistake, not a need. */
#define HSM_CONFIG_MAX_SETTINGS 64

/* The section of the configured backend, or NULL when the file has none. */
static const te_config_node *hsm_config_backend_section(const te_config_node *hsm,
                                                        const char *backend)
{
	size_t i, n = te_config_node_count(hsm);

	for (i = 0; i < n; i++) {
		const char *key = NULL;
		const te_config_node *child = te_config_node_child(hsm, i, &key);

		if (key != NULL && strcmp(key, backend) == 0)
			return child;
	}
	return NULL;
}

/* Checks the keys directly under `hsm:`: "backend" (a scalar) and
 * backend sections (mappings); anything else is a typo we refuse. */
static te_err hsm_config_check_section(const te_config *cfg, const te_config_node *hsm,
                                       const char **backend, const te_config_node **bnode)
{
	te_err rc = TE_OK;
	size_t i, n = te_config_node_count(hsm);

	for (i = 0; i < n; i++) {
		const char *key = NULL;
		const te_config_node *child = te_config_node_child(hsm, i, &key);
		const char *value;

		if (key == NULL || child == NULL)
			return te_err_set(TE_ERR_INTERNAL, "config: map child without key");
		if (strcmp(key, "backend") != 0) {
			if (te_config_node_kind(child) != TE_CONFIG_MAP)
				return te_config_error(cfg, child, TE_ERR_CONFIG,
				                       "unknown key (expected 'backend' or a "
				                       "mapping of backend settings)");
			continue;
		}
		value = te_config_node_scalar(child);
		if (value == NULL || value[0] == '\0')
			return te_config_error(cfg, child, TE_ERR_CONFIG,
			                       "must be a backend name such as '%s'",
			                       TE_HSM_CONFIG_DEFAULT_BACKEND);
		*backend = value;
		*bnode = child;
	}
	return rc;
}

/* Turns the scalars of a backend section into settings (strings stay owned
 * by cfg).  *out is malloc'd; NULL with *count 0 when there is nothing. */
static te_err hsm_config_settings(const te_config *cfg, const te_config_node *section,
                                  te_hsm_setting **out, size_t *count)
{
	te_err rc = TE_OK;
	te_hsm_setting *settings = NULL;
	size_t i, n;

	*out = NULL;
	*count = 0;
	if (section == NULL)
		goto out;
	if (te_config_node_kind(section) != TE_CONFIG_MAP) {
		rc = te_config_error(cfg, section, TE_ERR_CONFIG,
		                     "must be a mapping of backend settings");
		goto out;
	}
	n = te_config_node_count(section);
	if (n == 0)
		goto out;
	if (n > HSM_CONFIG_MAX_SETTINGS) {
		rc = te_config_error(cfg, section, TE_ERR_CONFIG,
		                     "too many settings (%zu, at most %d)", n,
		                     HSM_CONFIG_MAX_SETTINGS);
		goto out;
	}
	settings = calloc(n, sizeof(*settings));
	TE_GUARD_PTR(settings, TE_ERR_NO_MEMORY, "config: out of memory");
	for (i = 0; i < n; i++) {
		const char *key = NULL;
		const te_config_node *child = te_config_node_child(section, i, &key);
		const char *value = child != NULL ? te_config_node_scalar(child) : NULL;

		if (key == NULL || child == NULL) {
			rc = te_err_set(TE_ERR_INTERNAL, "config: map child without key");
			goto out;
		}
		if (value == NULL) {
			rc = te_config_error(cfg, child, TE_ERR_CONFIG, "must be a scalar");
			goto out;
		}
		if (value[0] == '\0') {
			rc = te_config_error(cfg, child, TE_ERR_CONFIG, "empty value");
			goto out;
		}
		settings[i].key = key;
		settings[i].value = value;
	}
	*out = settings;
	*count = n;
	settings = NULL;
out:
	free(settings);
	return rc;
}

/*
 * Re-states a failure of te_hsm_open() against the node it came from.  The
 * backend's message is copied first: te_config_error() overwrites the
 * thread's detail, which the message would otherwise point into.
 */
static te_err hsm_config_blame(const te_config *cfg, const te_config_node *node, te_err err)
{
	char msg[512];
	const char *detail = te_err_detail();
	te_err as = err;

	snprintf(msg, sizeof(msg), "%s", detail[0] != '\0' ? detail : te_err_str(err));
	switch (err) {
	case TE_ERR_INVALID_ARG:
	case TE_ERR_UNSUPPORTED:
	case TE_ERR_CONFIG:
		as = TE_ERR_CONFIG;
		break;
	default:
		break;
	}
	return te_config_error(cfg, node, as, "%s", msg);
}

te_err te_hsm_open_config(const te_config *cfg, te_hsm **out)
{
	te_err rc = TE_OK;
	const te_config_node *root = te_config_root(cfg);
	const te_config_node *hsm_node, *bnode = NULL, *section = NULL;
	const char *backend = TE_HSM_CONFIG_DEFAULT_BACKEND;
	te_hsm_setting *settings = NULL;
	size_t n_settings = 0;
	te_hsm *hsm = NULL;

	TE_ENSURE(root != NULL, TE_ERR_INTERNAL, "config: no root node");
	hsm_node = te_config_find(root, "hsm");
	if (hsm_node != NULL) {
		if (te_config_node_kind(hsm_node) != TE_CONFIG_MAP) {
			rc = te_config_error(cfg, hsm_node, TE_ERR_CONFIG,
			                     "must be a mapping (backend: and its settings)");
			goto out;
		}
		TE_GUARD(hsm_config_check_section(cfg, hsm_node, &backend, &bnode));
		section = hsm_config_backend_section(hsm_node, backend);
	}
	TE_GUARD(hsm_config_settings(cfg, section, &settings, &n_settings));

	rc = te_hsm_open(backend, settings, n_settings, &hsm);
	if (rc != TE_OK) {
		/* Unknown backend: its name is at fault.  Refused settings:
		 * the backend's section.  No section at all: the hsm key or,
		 * failing that, the top of the file. */
		const te_config_node *blame = section != NULL ? section : hsm_node;

		if (rc == TE_ERR_UNSUPPORTED && bnode != NULL)
			blame = bnode;
		if (blame == NULL)
			blame = root;
		rc = hsm_config_blame(cfg, blame, rc);
		goto out;
	}
	*out = hsm;
	hsm = NULL;
out:
	free(settings);
	if (hsm != NULL)
		te_hsm_close(hsm);
	return rc;
}
