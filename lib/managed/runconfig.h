/* Docker-style run options (struct mr_run_config) turned into an OCI
 * config.json and the record that inspect shows.  */
#ifndef MR_RUNCONFIG_H
#define MR_RUNCONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "minirun.h"

enum mr_restart_kind
{
  MR_RESTART_NO,
  MR_RESTART_ON_FAILURE,
  MR_RESTART_ALWAYS,
  MR_RESTART_UNLESS_STOPPED
};

/* "no", "on-failure", "on-failure:N" (N >= 0; 0: unlimited), "always",
 * "unless-stopped"; NULL or "" -> no.  */
int mr_restart_parse (const char *s, enum mr_restart_kind *kind, int *max_retries,
                      struct mr_error *err);
const char *mr_restart_name (enum mr_restart_kind kind);

/* A random "adjective_noun" name, a valid container id; buf holds at least
 * 64 bytes.  */
void mr_name_generate (char *buf, size_t len);

/* Checks every option of cfg and builds the OCI config (*spec: ready to be
 * dumped to bundle/config.json) and the record (*record: {"Config": {...},
 * "HostConfig": {...}}, the keys mr_container_inspect documents, plus
 * Config.OpenStdin).  id: the container's name, already validated; rootfs:
 * the absolute directory that becomes root.path; image_config: the image's
 * "Config" object (Env, Cmd, WorkingDir, User, each optional) or NULL;
 * etc_dir: when not NULL, a directory holding hostname, hosts and
 * resolv.conf, bind-mounted onto the container's /etc.  Errors name the
 * option and the bad value: "invalid --cpus '0.001': ...".  */
int mr_run_config_build (const struct mr_run_config *cfg, const char *id, const char *rootfs,
                         const json_t *image_config, const char *etc_dir, json_t **spec,
                         json_t **record, struct mr_error *err);

/* Writes etc_dir/hostname, etc_dir/hosts and etc_dir/resolv.conf (a copy of
 * the host's, or empty when it has none), each atomically; creates etc_dir
 * when missing.  */
int mr_run_config_write_etc (const char *etc_dir, const char *hostname, struct mr_error *err);

/* The resolv.conf of a container with a network of its own, from the host's
 * (len bytes): nameservers on loopback (127.0.0.0/8, ::1, as
 * systemd-resolved's 127.0.0.53) answer on the host, not in the container,
 * so they are left out; with none left, Docker's fallback 8.8.8.8 and
 * 8.8.4.4.  The rest is kept.  *out is NUL-terminated; caller frees.  */
int mr_resolv_conf_off_loopback (const char *host, size_t len, char **out, struct mr_error *err);

/* Rewrites etc_dir/resolv.conf as mr_resolv_conf_off_loopback makes it.  */
int mr_run_config_resolv_off_loopback (const char *etc_dir, struct mr_error *err);

/* The resolv.conf of a container given --dns: the host's (len bytes) with
 * every nameserver line left out and servers (NULL-terminated, already
 * checked) as its nameservers, after the rest, as docker writes it.  *out
 * is NUL-terminated; caller frees.  */
int mr_resolv_conf_nameservers (const char *host, size_t len, const char *const *servers,
                                char **out, struct mr_error *err);

/* Rewrites etc_dir/resolv.conf as mr_resolv_conf_nameservers makes it.  */
int mr_run_config_resolv_dns (const char *etc_dir, const char *const *servers,
                              struct mr_error *err);

/* The default seccomp profile of managed containers (lib/managed/seccomp-default.c)
 * for a container holding the capabilities of the mask caps (bit N:
 * capability N), as an OCI linux.seccomp object; NULL when out of memory.  */
json_t *mr_seccomp_default_profile (uint64_t caps);

/* A user's profile, in Docker's format (archMap, includes/excludes on caps
 * and arches, comments) or already OCI's, turned into linux.seccomp for this
 * machine and a container holding caps.  */
int mr_seccomp_profile_convert (const json_t *profile, uint64_t caps, json_t **out,
                                struct mr_error *err);

#endif
