/* Docker's POST /containers/create: its body turned into a run
 * configuration, or refused naming the field.  */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/docker-internal.h"
#include "managed/runconfig.h"
#include "util/cleanup.h"
#include "util/json.h"

/* Strings and lists made for a run config, freed together.  */
struct holder
{
  json_t *keep; /* strings whose values the config points to */
  const char **lists[24];
  size_t n_lists;
};

static void
holder_free (struct holder *h)
{
  json_decref (h->keep);
  for (size_t i = 0; i < h->n_lists; i++)
    free (h->lists[i]);
}

static const char *
hold (struct holder *h, json_t *s)
{
  if (s == NULL || json_array_append_new (h->keep, s) < 0)
    return NULL;
  return json_string_value (s);
}

/* A NULL-terminated list of n entries, owned by h.  */
static const char **
hold_list (struct holder *h, size_t n)
{
  const char **v;

  if (h->n_lists >= sizeof h->lists / sizeof h->lists[0])
    return NULL;
  v = calloc (n + 1, sizeof *v);
  if (v)
    h->lists[h->n_lists++] = v;
  return v;
}

/* Checks that body's key, when present and not null, has type want;
 * true when it may be used.  */
static bool
typed (struct dreq *d, const json_t *obj, const char *what, const char *key, json_type want,
       json_t **out)
{
  static const char *const names[] = { "an object", "an array",  "a string",  "an integer",
                                       "a number",  "a boolean", "a boolean", "null" };
  json_t *v = json_object_get (obj, key);

  *out = NULL;
  if (v == NULL || json_is_null (v))
    return true;
  if (json_typeof (v) == want || (want == JSON_TRUE && json_is_boolean (v))
      || (want == JSON_REAL && json_is_number (v)))
    {
      *out = v;
      return true;
    }
  docker_fail (d, 400, "invalid %s%s: expected %s", what, key, names[want]);
  return false;
}

/* A list of strings (or, where docker takes one, a lone string).  */
static bool
str_list (struct dreq *d, struct holder *h, const json_t *obj, const char *what, const char *key,
          bool lone_string, const char ***out, size_t *count)
{
  json_t *v = json_object_get (obj, key);
  json_t *e;
  size_t i;

  *out = NULL;
  if (count)
    *count = 0;
  if (v == NULL || json_is_null (v))
    return true;
  if (lone_string && json_is_string (v))
    {
      *out = hold_list (h, 1);
      if (*out == NULL)
        return docker_fail (d, 500, "out of memory"), false;
      (*out)[0] = json_string_value (v);
      if (count)
        *count = 1;
      return true;
    }
  if (!json_is_array (v))
    return docker_fail (d, 400, "invalid %s%s: expected an array of strings", what, key), false;
  *out = hold_list (h, json_array_size (v));
  if (*out == NULL)
    return docker_fail (d, 500, "out of memory"), false;
  json_array_foreach (v, i, e)
  {
    if (!json_is_string (e))
      return docker_fail (d, 400, "invalid %s%s: expected an array of strings", what, key), false;
    (*out)[i] = json_string_value (e);
  }
  if (count)
    *count = json_array_size (v);
  return true;
}

/* Refuses what minirun cannot do rather than ignore it.  */
static bool
refuse_unsupported (struct dreq *d, const json_t *body, const json_t *host)
{
  json_t *v;
  const char *mode;

  if (json_is_true (json_object_get (host, "Init")))
    return docker_fail (d, 400,
                        "an init process (Init) is not supported: minirun has no init binary"),
           false;
  if (json_array_size (json_object_get (host, "Devices")) > 0)
    return docker_fail (d, 400, "adding devices (Devices) is not supported by minirun serve"),
           false;
  if (json_object_size (json_object_get (body, "Volumes")) > 0)
    return docker_fail (d, 400,
                        "anonymous volumes (Volumes) are not supported: use Binds HOST:CTR"),
           false;
  v = json_object_get (body, "Healthcheck");
  if (json_is_object (v) && json_array_size (json_object_get (v, "Test")) > 0
      && strcmp (json_string_value (json_array_get (json_object_get (v, "Test"), 0))
                     ? json_string_value (json_array_get (json_object_get (v, "Test"), 0))
                     : "",
                 "NONE")
             != 0)
    return docker_fail (d, 400, "health checks (Healthcheck) are not supported by minirun serve"),
           false;
  mode = json_string_value (json_object_get (json_object_get (host, "LogConfig"), "Type"));
  if (mode && *mode && strcmp (mode, "json-file") != 0 && strcmp (mode, "local") != 0)
    return docker_fail (d, 400, "log driver '%s' is not supported: minirun keeps its own log file",
                        mode),
           false;
  return true;
}

/* HostConfig.Mounts of type bind become "SRC:DST[:ro]".  */
static bool
host_mounts (struct dreq *d, struct holder *h, const json_t *host, const char **binds,
             size_t nbinds, const char ***out)
{
  json_t *mounts = json_object_get (host, "Mounts");
  json_t *m;
  size_t i;
  const char **v;

  *out = binds;
  if (mounts == NULL || json_is_null (mounts))
    return true;
  if (!json_is_array (mounts))
    return docker_fail (d, 400, "invalid HostConfig.Mounts: expected an array"), false;
  if (json_array_size (mounts) == 0)
    return true;
  v = hold_list (h, nbinds + json_array_size (mounts));
  if (v == NULL)
    return docker_fail (d, 500, "out of memory"), false;
  for (i = 0; i < nbinds; i++)
    v[i] = binds[i];
  json_array_foreach (mounts, i, m)
  {
    const char *type = json_string_value (json_object_get (m, "Type"));
    const char *src = json_string_value (json_object_get (m, "Source"));
    const char *dst = json_string_value (json_object_get (m, "Target"));

    if (type == NULL || strcmp (type, "bind") != 0)
      return docker_fail (d, 400, "mount type '%s' is not supported: only bind mounts are",
                          type ? type : ""),
             false;
    if (src == NULL || dst == NULL)
      return docker_fail (d, 400, "invalid HostConfig.Mounts: a bind needs Source and Target"),
             false;
    v[nbinds + i]
        = hold (h, json_sprintf ("%s:%s%s", src, dst,
                                 json_is_true (json_object_get (m, "ReadOnly")) ? ":ro" : ""));
  }
  *out = v;
  return true;
}

/* An image named by reference, "sha256:ID" or a prefix of an ID of at
 * least 12 digits: its reference (caller frees); NULL when none.  */
char *
docker_image_lookup (struct mr_api *api, const char *name)
{
  struct mr_image_info *list = NULL;
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };
  const char *hex = strncmp (name, "sha256:", 7) == 0 ? name + 7 : name;
  size_t n = 0, len = strlen (hex);
  char *found = NULL;

  if (mr_image_inspect (api->ctx, name, &json, &err) == 0)
    return strdup (name);
  if (len < 12 || strspn (hex, "0123456789abcdef") != len
      || mr_image_list (api->ctx, &list, &n, &err) < 0)
    return NULL;
  for (size_t i = 0; i < n && found == NULL; i++)
    if (strncmp (list[i].id, hex, len) == 0)
      found = strdup (list[i].reference);
  mr_image_info_free (list, n);
  return found;
}

/* A field of obj (named what + key in errors) into field or var, when
   present; a field of the wrong type is a 400 and the caller returns
   false.  They use d and a json_t *v of the caller.  */
#define STRING(obj, what, key, field)                                                              \
  do                                                                                               \
    {                                                                                              \
      if (!typed (d, obj, what, key, JSON_STRING, &v))                                             \
        return false;                                                                              \
      if (v && *json_string_value (v))                                                             \
        field = json_string_value (v);                                                             \
    }                                                                                              \
  while (0)
#define BOOL(obj, what, key, field)                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!typed (d, obj, what, key, JSON_TRUE, &v))                                               \
        return false;                                                                              \
      if (v)                                                                                       \
        field = json_is_true (v);                                                                  \
    }                                                                                              \
  while (0)
#define INTEGER(obj, what, key, var)                                                               \
  do                                                                                               \
    {                                                                                              \
      if (!typed (d, obj, what, key, JSON_INTEGER, &v))                                            \
        return false;                                                                              \
      var = v ? json_integer_value (v) : 0;                                                        \
    }                                                                                              \
  while (0)

/* Image: the image named, or one its id starts with.  */
static bool
fill_image (struct dreq *d, const json_t *body, const json_t *host, struct mr_run_config *cfg,
            char **image)
{
  const char *const C = "";
  json_t *v;

  if (!typed (d, body, C, "Image", JSON_STRING, &v))
    return false;
  if (v == NULL || *json_string_value (v) == '\0')
    return docker_fail (d, 400,
                        "Config cannot be empty in order to create a container: give Image"),
           false;
  *image = docker_image_lookup (d->api, json_string_value (v));
  if (*image == NULL)
    return docker_fail (d, 404, "No such image: %s", json_string_value (v)), false;
  cfg->image = *image;
  if (!refuse_unsupported (d, body, host))
    return false;
  return true;
}

/* Entrypoint, Cmd and Env.  */
static bool
fill_command (struct dreq *d, const json_t *body, struct holder *h, struct mr_run_config *cfg)
{
  const char *const C = "";
  const char **entry = NULL, **cmd = NULL, **list;
  size_t n_entry = 0, n_cmd = 0;
  size_t i;

  if (!str_list (d, h, body, C, "Entrypoint", true, &entry, &n_entry)
      || !str_list (d, h, body, C, "Cmd", true, &cmd, &n_cmd))
    return false;
  /* the command is Entrypoint then Cmd; neither: the image's */
  if (n_entry + n_cmd > 0)
    {
      list = hold_list (h, n_entry + n_cmd);
      if (list == NULL)
        return docker_fail (d, 500, "out of memory"), false;
      for (i = 0; i < n_entry; i++)
        list[i] = entry[i];
      for (i = 0; i < n_cmd; i++)
        list[n_entry + i] = cmd[i];
      cfg->args = list;
    }
  if (!str_list (d, h, body, C, "Env", false, &list, NULL))
    return false;
  /* a bare KEY would take the server's own value */
  for (i = 0; list && list[i]; i++)
    if (strchr (list[i], '=') == NULL || list[i][0] == '=')
      return docker_fail (d, 400, "invalid Env '%s': expected KEY=VALUE", list[i]), false;
  cfg->env = list;
  return true;
}

/* The rest of Config: working directory, user, host name, stop signal
   and timeout, terminal, labels.  */
static bool
fill_config (struct dreq *d, const json_t *body, struct holder *h, struct mr_run_config *cfg)
{
  const char *const C = "";
  json_t *v;
  const char **list;
  const char *key;
  size_t i;

  STRING (body, C, "WorkingDir", cfg->workdir);
  STRING (body, C, "User", cfg->user);
  STRING (body, C, "Hostname", cfg->hostname);
  STRING (body, C, "StopSignal", cfg->stop_signal);
  BOOL (body, C, "Tty", cfg->tty);
  {
    json_int_t t;
    INTEGER (body, C, "StopTimeout", t);
    if (v)
      {
        if (t < -1 || t > INT_MAX)
          return docker_fail (d, 400, "invalid StopTimeout %lld", (long long)t), false;
        cfg->stop_timeout = (int)t;
      }
  }
  if (!typed (d, body, C, "Labels", JSON_OBJECT, &v))
    return false;
  if (v && json_object_size (v) > 0)
    {
      json_t *val;
      list = hold_list (h, json_object_size (v));
      if (list == NULL)
        return docker_fail (d, 500, "out of memory"), false;
      i = 0;
      json_object_foreach (v, key, val)
      {
        if (!json_is_string (val))
          return docker_fail (d, 400, "invalid Labels: the value of '%s' is not a string", key),
                 false;
        list[i++] = hold (h, json_sprintf ("%s=%s", key, json_string_value (val)));
      }
      cfg->labels = list;
    }
  return true;
}

/* HostConfig's memory, CPU and pids limits.  */
static bool
fill_resources (struct dreq *d, const json_t *host, struct mr_run_config *cfg)
{
  const char *const H = "HostConfig.";
  json_t *v;
  json_int_t quota = 0, period = 0;

  {
    json_int_t mem, swap, nano, shares, pids;
    INTEGER (host, H, "Memory", mem);
    INTEGER (host, H, "MemorySwap", swap);
    INTEGER (host, H, "NanoCpus", nano);
    INTEGER (host, H, "CpuQuota", quota);
    INTEGER (host, H, "CpuPeriod", period);
    INTEGER (host, H, "CpuShares", shares);
    INTEGER (host, H, "PidsLimit", pids);
    if (mem < 0 || nano < 0 || shares < 0 || quota < 0 || period < 0)
      return docker_fail (d, 400,
                          "invalid HostConfig: Memory, NanoCpus, CpuShares, CpuQuota and "
                          "CpuPeriod cannot be negative"),
             false;
    cfg->memory = mem > 0 ? mem : -1;
    /* docker: 0 unset, -1 unlimited; minirun: -1 unset, 0 unlimited */
    cfg->memory_swap = swap == -1 ? 0 : swap == 0 ? -1 : swap;
    if (nano > 0 && quota > 0)
      return docker_fail (d, 400,
                          "conflicting options: Nano CPUs and CPU Period cannot both be set"),
             false;
    if (nano > 0)
      cfg->cpus = (double)nano / 1e9;
    else if (quota > 0)
      cfg->cpus = (double)quota / (double)(period > 0 ? period : 100000);
    cfg->cpu_shares = shares > 0 ? shares : -1;
    if (pids < -1 || pids > MR_PIDS_LIMIT_MAX)
      return docker_fail (d, 400,
                          "invalid HostConfig.PidsLimit %lld: want -1 (unlimited), 0 (unset) or a "
                          "limit up to %d",
                          (long long)pids, MR_PIDS_LIMIT_MAX),
             false;
    /* docker: 0 or null unset, -1 unlimited */
    cfg->pids_limit = pids == 0 ? -1 : pids < 0 ? 0 : pids;
  }
  return true;
}

/* HostConfig's cpuset, flags, mounts, capabilities and security
   options.  */
static bool
fill_host (struct dreq *d, const json_t *host, struct holder *h, struct mr_run_config *cfg)
{
  const char *const H = "HostConfig.";
  json_t *v;
  const char **binds = NULL, **list;
  size_t n_binds = 0;

  STRING (host, H, "CpusetCpus", cfg->cpuset_cpus);
  BOOL (host, H, "ReadonlyRootfs", cfg->read_only);
  BOOL (host, H, "AutoRemove", cfg->auto_remove);
  if (!str_list (d, h, host, H, "Binds", false, &binds, &n_binds)
      || !host_mounts (d, h, host, binds, n_binds, &list))
    return false;
  cfg->volumes = list;
  if (!str_list (d, h, host, H, "CapAdd", false, &list, NULL))
    return false;
  cfg->cap_add = list;
  if (!str_list (d, h, host, H, "CapDrop", false, &list, NULL))
    return false;
  cfg->cap_drop = list;
  /* docker's CLI sends a profile file's text inline: "seccomp={...}" */
  if (!str_list (d, h, host, H, "SecurityOpt", false, &list, NULL))
    return false;
  cfg->security_opt = list;
  BOOL (host, H, "Privileged", cfg->privileged);
  return true;
}

/* HostConfig's Tmpfs and Ulimits.  */
static bool
fill_tmpfs_ulimits (struct dreq *d, const json_t *host, struct holder *h, struct mr_run_config *cfg)
{
  const char *const H = "HostConfig.";
  json_t *v;
  const char **list;
  const char *key;
  size_t i;

  if (!typed (d, host, H, "Tmpfs", JSON_OBJECT, &v))
    return false;
  if (v && json_object_size (v) > 0)
    {
      json_t *val;
      list = hold_list (h, json_object_size (v));
      if (list == NULL)
        return docker_fail (d, 500, "out of memory"), false;
      i = 0;
      json_object_foreach (v, key, val)
      {
        const char *o = json_string_value (val);
        list[i++] = hold (h, o && *o ? json_sprintf ("%s:%s", key, o) : json_string (key));
      }
      cfg->tmpfs = list;
    }
  if (!typed (d, host, H, "Ulimits", JSON_ARRAY, &v))
    return false;
  if (v && json_array_size (v) > 0)
    {
      json_t *u;
      list = hold_list (h, json_array_size (v));
      if (list == NULL)
        return docker_fail (d, 500, "out of memory"), false;
      json_array_foreach (v, i, u)
      {
        const char *name = json_string_value (json_object_get (u, "Name"));
        json_t *soft = json_object_get (u, "Soft"), *hard = json_object_get (u, "Hard");
        if (name == NULL || !json_is_integer (soft) || !json_is_integer (hard))
          return docker_fail (d, 400, "invalid HostConfig.Ulimits: each needs Name, Soft and Hard"),
                 false;
        list[i] = hold (h, json_sprintf ("%s=%lld:%lld", name, (long long)json_integer_value (soft),
                                         (long long)json_integer_value (hard)));
      }
      cfg->ulimits = list;
    }
  return true;
}

/* HostConfig's RestartPolicy and LogConfig.  */
static bool
fill_restart_log (struct dreq *d, const json_t *host, struct holder *h, struct mr_run_config *cfg)
{
  const char *const H = "HostConfig.";
  json_t *v;
  const char *key;

  if (!typed (d, host, H, "RestartPolicy", JSON_OBJECT, &v))
    return false;
  if (v)
    {
      const char *name = json_string_value (json_object_get (v, "Name"));
      json_t *maxv = json_object_get (v, "MaximumRetryCount");
      json_int_t max = json_integer_value (maxv);

      if (maxv && !json_is_null (maxv) && (!json_is_integer (maxv) || max < 0 || max > INT_MAX))
        return docker_fail (
                   d, 400,
                   "invalid HostConfig.RestartPolicy.MaximumRetryCount: want a count from 0 "
                   "to %d",
                   INT_MAX),
               false;
      if (name && strcmp (name, "on-failure") == 0 && max > 0)
        cfg->restart = hold (h, json_sprintf ("on-failure:%lld", (long long)max));
      else if (name && *name)
        cfg->restart = name;
    }
  v = json_object_get (json_object_get (host, "LogConfig"), "Config");
  if (json_is_object (v))
    {
      json_t *val;
      json_object_foreach (v, key, val)
      {
        struct mr_error err = { 0 };
        cleanup_free char *opt = NULL;
        if (!json_is_string (val))
          return docker_fail (d, 400, "invalid HostConfig.LogConfig.Config: '%s' is not a string",
                              key),
                 false;
        if (asprintf (&opt, "%s=%s", key, json_string_value (val)) < 0)
          return docker_fail (d, 500, "out of memory"), false;
        if (mr_run_config_log_opt (cfg, opt, &err) < 0)
          return docker_fail (d, 400, "%s", err.msg), false;
      }
    }
  return true;
}

/* HostConfig.NetworkMode, PortBindings and PublishAllPorts (with
   Config.ExposedPorts) as --network and -p: {"80/tcp": [{"HostIp": "",
   "HostPort": "8080"}]} is "8080:80/tcp", an empty HostPort an automatic
   one, and every exposed port not bound one more automatic port.  */
static bool
fill_network (struct dreq *d, const json_t *body, const json_t *host, struct holder *h,
              struct mr_run_config *cfg)
{
  const char *const H = "HostConfig.";
  json_t *v, *bindings, *exposed, *list, *b;
  const char *key, *mode = NULL;
  bool all = false;
  const char **specs;
  size_t n = 0, i;

  STRING (host, H, "NetworkMode", mode);
  /* docker's "default" is its bridge, and so is minirun's */
  if (mode && strcmp (mode, "default") != 0)
    cfg->network = mode;
  /* container:NAME takes an id prefix too, as the rest of this API */
  if (mode && strncmp (mode, "container:", 10) == 0 && mode[10] != '\0')
    {
      cleanup_free char *peer = docker_resolve (d, mode + 10);
      if (peer == NULL)
        return false;
      cfg->network = hold (h, json_sprintf ("container:%s", peer));
      if (cfg->network == NULL)
        return docker_fail (d, 500, "out of memory"), false;
    }
  if (!str_list (d, h, host, H, "Dns", false, &specs, NULL))
    return false;
  cfg->dns = specs;
  BOOL (host, H, "PublishAllPorts", all);
  if (!typed (d, host, H, "PortBindings", JSON_OBJECT, &bindings)
      || !typed (d, body, "", "ExposedPorts", JSON_OBJECT, &exposed))
    return false;
  json_object_foreach (bindings, key, list)
  {
    if (list != NULL && !json_is_null (list) && !json_is_array (list))
      return docker_fail (d, 400, "invalid HostConfig.PortBindings[\"%s\"]: expected an array",
                          key),
             false;
    n += json_array_size (list) ? json_array_size (list) : 1;
  }
  if (all)
    n += json_object_size (exposed);
  if (n == 0)
    return true;
  specs = hold_list (h, n);
  if (specs == NULL)
    return docker_fail (d, 500, "out of memory"), false;
  n = 0;
  json_object_foreach (bindings, key, list)
  {
    if (json_array_size (list) == 0)
      specs[n++] = key;
    json_array_foreach (list, i, b)
    {
      json_t *ip = json_object_get (b, "HostIp"), *port = json_object_get (b, "HostPort");
      if (!json_is_object (b) || (ip && !json_is_string (ip) && !json_is_null (ip))
          || (port && !json_is_string (port) && !json_is_null (port)))
        return docker_fail (d, 400,
                            "invalid HostConfig.PortBindings[\"%s\"]: expected "
                            "[{\"HostIp\": \"\", \"HostPort\": \"8080\"}]",
                            key),
               false;
      specs[n++]
          = hold (h, json_sprintf ("%s%s%s:%s", json_string_value (ip) ?: "",
                                   json_string_value (ip) && *json_string_value (ip) ? ":" : "",
                                   json_string_value (port) ?: "", key));
      /* no address, no port: docker's -p CTRPORT */
      if (specs[n - 1] && strncmp (specs[n - 1], ":", 1) == 0)
        specs[n - 1]++;
    }
  }
  if (all)
    json_object_foreach (exposed, key, v)
    {
      if (json_object_get (bindings, key) == NULL)
        specs[n++] = key;
    }
  for (i = 0; i < n; i++)
    if (specs[i] == NULL)
      return docker_fail (d, 500, "out of memory"), false;
  cfg->publish = specs;
  return true;
}

#undef STRING
#undef BOOL
#undef INTEGER

static bool
create_fill (struct dreq *d, const json_t *body, struct holder *h, struct mr_run_config *cfg,
             char **image)
{
  json_t *host = json_object_get (body, "HostConfig");

  if (host != NULL && !json_is_null (host) && !json_is_object (host))
    return docker_fail (d, 400, "invalid HostConfig: expected an object"), false;
  if (!fill_image (d, body, host, cfg, image) || !fill_command (d, body, h, cfg)
      || !fill_config (d, body, h, cfg))
    return false;
  if (host == NULL || json_is_null (host))
    return true;
  return fill_resources (d, host, cfg) && fill_host (d, host, h, cfg)
         && fill_tmpfs_ulimits (d, host, h, cfg) && fill_restart_log (d, host, h, cfg)
         && fill_network (d, body, host, h, cfg);
}

void
docker_post_create (struct dreq *d)
{
  struct mr_run_config cfg;
  struct holder h = { .keep = json_array () };
  cleanup_json json_t *body = NULL;
  cleanup_free char *image = NULL;
  cleanup_free char *name = NULL;
  const char *want = docker_query (d, "name");
  struct mr_error err = { 0 };
  json_error_t jerr;
  int ret;

  if (want && *want == '/')
    want++;
  if (want && *want && mr_id_validate (want, &err) < 0)
    {
      holder_free (&h);
      return docker_fail (
          d, 400, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", want);
    }
  body = d->req->body ? json_loads (d->req->body, 0, &jerr) : NULL;
  if (!json_is_object (body))
    {
      holder_free (&h);
      return docker_fail (d, 400, "invalid JSON body: %s",
                          d->req->body ? (body ? "expected an object" : jerr.text) : "no body");
    }
  mr_run_config_init (&cfg);
  cfg.name = want && *want ? want : NULL;
  if (h.keep == NULL || !create_fill (d, body, &h, &cfg, &image))
    {
      if (h.keep == NULL)
        docker_fail (d, 500, "out of memory");
      holder_free (&h);
      return;
    }
  pthread_mutex_lock (&d->api->lock);
  ret = mr_container_new (d->api->ctx, &cfg, &name, &err);
  pthread_mutex_unlock (&d->api->lock);
  holder_free (&h);
  if (ret < 0)
    {
      if (err.errnum == EEXIST && cfg.name)
        return docker_fail (
            d, 409,
            "Conflict. The container name \"/%s\" is already in use by container "
            "\"%s\". You have to remove (or rename) that container to be able to reuse "
            "that name.",
            cfg.name, cfg.name);
      return docker_fail (d, err.errnum == 0 || err.errnum == EINVAL ? 400 : 500, "%s", err.msg);
    }
  docker_reply (d, 201, json_pack ("{s:s, s:[]}", "Id", name, "Warnings"));
}
