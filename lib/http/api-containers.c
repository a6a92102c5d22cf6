/* The native API's containers: list, inspect, create, change, wait.  */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/api-internal.h"
#include "util/cleanup.h"
#include "util/json.h"

static const char *const container_states[]
    = { "created", "running", "paused", "restarting", "stopped", "creating", NULL };

static const char *
info_state (const struct mr_container_info *c)
{
  return c->managed && c->state ? c->state : mr_status_name (c->status);
}

/* label=KEY or label=KEY=VALUE against the container's Config.Labels.  */
static bool
has_label (struct mr_api *api, const char *id, const char *label)
{
  cleanup_free char *js = NULL;
  cleanup_json json_t *doc = NULL;
  struct mr_error err = { 0 };
  const char *eq = strchr (label, '=');
  cleanup_free char *key = strndup (label, eq ? (size_t)(eq - label) : strlen (label));
  json_t *v;

  if (key == NULL || mr_container_inspect (api->ctx, id, &js, &err) < 0)
    return false;
  doc = json_loads (js, 0, NULL);
  v = json_object_get (json_object_get (json_object_get (doc, "Config"), "Labels"), key);
  if (!json_is_string (v))
    return false;
  return eq == NULL || strcmp (json_string_value (v), eq + 1) == 0;
}

HANDLER (get_containers)
{
  const char *status = req->query (req->conn, "status");
  const char *label = req->query (req->conn, "label");
  struct mr_container_info *list = NULL, *keep = NULL;
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };
  size_t n = 0, k = 0;
  int ret;

  (void)name;
  if (status)
    {
      size_t i;
      for (i = 0; container_states[i]; i++)
        if (strcmp (container_states[i], status) == 0)
          break;
      if (container_states[i] == NULL)
        return api_fail (res, 400,
                         "invalid status '%s': expected creating, created, running, paused, "
                         "restarting or stopped",
                         status);
    }
  if (label && (*label == '\0' || *label == '='))
    return api_fail (res, 400, "invalid label '%s': expected KEY or KEY=VALUE", label);
  if (status == NULL && label == NULL)
    {
      /* the whole list: the shared copy, as it is */
      if (mr_api_list_respond (api, res, &err) < 0)
        return api_fail_library (api, res, NULL, &err);
      return;
    }
  if (mr_api_list (api, &list, &n, &err) < 0)
    return api_fail_library (api, res, NULL, &err);
  keep = calloc (n + 1, sizeof *keep);
  if (keep == NULL)
    {
      mr_container_info_free (list, n);
      return api_fail (res, 500, "out of memory");
    }
  /* shallow copies: list keeps owning the strings */
  for (size_t i = 0; i < n; i++)
    if ((status == NULL || strcmp (info_state (&list[i]), status) == 0)
        && (label == NULL || has_label (api, list[i].id, label)))
      keep[k++] = list[i];
  ret = mr_container_info_json (keep, k, &json, &err);
  free (keep);
  mr_container_info_free (list, n);
  if (ret < 0)
    return api_fail_library (api, res, NULL, &err);
  api_succeed_json (res, 200, json);
}

/* The record of a container, with "ports" as the list has them:
   {"80/tcp": "0.0.0.0:8080"}, an array where a port has several.  */
static void
respond_container (struct mr_api *api, struct mr_api_response *res, unsigned status,
                   const char *name)
{
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };
  json_t *doc, *ports, *list, *b;
  const char *key;

  if (mr_container_inspect (api->ctx, name, &json, &err) < 0)
    return api_fail_library (api, res, name, &err);
  doc = json_loads (json, 0, NULL);
  ports = json_object ();
  if (doc == NULL || ports == NULL || json_object_set_new (doc, "ports", ports) < 0)
    {
      json_decref (doc);
      return api_fail (res, 500, "out of memory");
    }
  json_object_foreach (json_object_get (json_object_get (doc, "NetworkSettings"), "Ports"), key,
                       list)
  {
    json_t *addrs = json_array ();
    size_t i;

    json_array_foreach (list, i, b) json_array_append_new (
        addrs, json_sprintf ("%s:%s", json_string_value (json_object_get (b, "HostIp")),
                             json_string_value (json_object_get (b, "HostPort"))));
    if (json_array_size (addrs) == 1)
      json_object_set (ports, key, json_array_get (addrs, 0));
    else if (json_array_size (addrs) > 1)
      json_object_set (ports, key, addrs);
    json_decref (addrs);
  }
  api_succeed_status (res, status, doc);
}

HANDLER (get_container)
{
  (void)req;
  respond_container (api, res, 200, name);
}

/* What POST /containers takes, read from its body into cfg.  */
struct create_req
{
  struct mr_run_config cfg;
  struct strv args, env, volumes, labels, cap_add, cap_drop, security_opt, ports, dns;
  char *user;
  bool start;
};

static void
create_req_clear (struct create_req *c)
{
  api_strv_clear (&c->args);
  api_strv_clear (&c->env);
  api_strv_clear (&c->volumes);
  api_strv_clear (&c->labels);
  api_strv_clear (&c->cap_add);
  api_strv_clear (&c->cap_drop);
  api_strv_clear (&c->security_opt);
  api_strv_clear (&c->ports);
  api_strv_clear (&c->dns);
  free (c->user);
}

/* "memory": bytes, or a size like "64m".  */
static int
parse_memory (const json_t *doc, struct mr_run_config *cfg, struct mr_api_response *res)
{
  json_t *v;

  v = json_object_get (doc, "memory");
  if (json_is_integer (v))
    {
      if (json_integer_value (v) < 0)
        return api_bad_type (res, "memory", "a number of bytes or a size like \"64m\"");
      cfg->memory = json_integer_value (v);
    }
  else if (json_is_string (v))
    {
      int64_t bytes;
      if (mr_size_parse (json_string_value (v), &bytes) < 0)
        {
          api_fail (res, 400, "invalid field 'memory': '%s' is not a size like \"64m\" or \"1g\"",
                    json_string_value (v));
          return -1;
        }
      cfg->memory = bytes;
    }
  else if (v && !json_is_null (v))
    return api_bad_type (res, "memory", "a number of bytes or a size like \"64m\"");
  return 0;
}

/* "cpus": a number of CPUs above 0.  */
static int
parse_cpus (const json_t *doc, struct mr_run_config *cfg, struct mr_api_response *res)
{
  json_t *v;

  v = json_object_get (doc, "cpus");
  if (json_is_number (v))
    {
      cfg->cpus = json_number_value (v);
      if (!(cfg->cpus > 0) || !isfinite (cfg->cpus))
        return api_bad_type (res, "cpus", "a number above 0 (0.5 is half a CPU)");
    }
  else if (v && !json_is_null (v))
    return api_bad_type (res, "cpus", "a number above 0 (0.5 is half a CPU)");
  return 0;
}

/* "ports" as -p specs, "network" as --network, "dns" as --dns.  */
static int
parse_network (const json_t *doc, struct create_req *c, struct mr_api_response *res)
{
  char msg[1024];

  if (api_ports_parse (json_object_get (doc, "ports"), &c->ports, msg, sizeof msg) < 0)
    {
      api_fail (res, strcmp (msg, "out of memory") == 0 ? 500 : 400, "%s", msg);
      return -1;
    }
  if (api_field_string (doc, "network", &c->cfg.network, res) < 0
      || api_field_strings (doc, "dns", false, &c->dns, res) < 0)
    return -1;
  c->cfg.publish = c->ports.n ? api_strv_get (&c->ports) : NULL;
  c->cfg.dns = c->dns.n ? api_strv_get (&c->dns) : NULL;
  return 0;
}

static int
parse_create (const json_t *doc, struct create_req *c, struct mr_api_response *res)
{
  static const char *const known[]
      = { "name",         "rootfs",     "image",   "command", "env",        "workdir",
          "user",         "hostname",   "memory",  "cpus",    "pids_limit", "ports",
          "volumes",      "restart",    "labels",  "start",   "cap_add",    "cap_drop",
          "security_opt", "privileged", "network", "dns",     NULL };
  struct mr_run_config *cfg = &c->cfg;
  json_int_t n;
  bool set;

  mr_run_config_init (cfg);
  if (api_check_fields (doc, known, res) < 0 || api_field_string (doc, "name", &cfg->name, res) < 0
      || api_field_string (doc, "rootfs", &cfg->rootfs, res) < 0
      || api_field_string (doc, "image", &cfg->image, res) < 0
      || api_field_strings (doc, "command", true, &c->args, res) < 0
      || api_field_pairs (doc, "env", true, &c->env, res) < 0
      || api_field_string (doc, "workdir", &cfg->workdir, res) < 0
      || api_field_user (doc, &c->user, res) < 0
      || api_field_string (doc, "hostname", &cfg->hostname, res) < 0
      || api_field_int (doc, "pids_limit", -1, MR_PIDS_LIMIT_MAX, &n, &set, res) < 0)
    return -1;
  if (set)
    cfg->pids_limit = n;
  if (cfg->rootfs == NULL && cfg->image == NULL)
    {
      api_fail (res, 400, "give rootfs or image");
      return -1;
    }
  if (cfg->rootfs && cfg->image)
    {
      api_fail (res, 400, "give rootfs or image, not both");
      return -1;
    }
  if (c->args.n == 0 && json_is_array (json_object_get (doc, "command")))
    {
      api_fail (res, 400, "invalid field 'command': the array is empty");
      return -1;
    }

  if (parse_memory (doc, cfg, res) < 0 || parse_cpus (doc, cfg, res) < 0
      || parse_network (doc, c, res) < 0)
    return -1;
  if (api_field_strings (doc, "volumes", false, &c->volumes, res) < 0
      || api_field_string (doc, "restart", &cfg->restart, res) < 0
      || api_field_pairs (doc, "labels", false, &c->labels, res) < 0
      || api_field_bool (doc, "start", &c->start, res) < 0
      || api_field_strings (doc, "cap_add", false, &c->cap_add, res) < 0
      || api_field_strings (doc, "cap_drop", false, &c->cap_drop, res) < 0
      || api_field_strings (doc, "security_opt", false, &c->security_opt, res) < 0
      || api_field_bool (doc, "privileged", &cfg->privileged, res) < 0)
    return -1;
  cfg->cap_add = api_strv_get (&c->cap_add);
  cfg->cap_drop = api_strv_get (&c->cap_drop);
  cfg->security_opt = api_strv_get (&c->security_opt);
  cfg->args = c->args.n ? api_strv_get (&c->args) : NULL;
  cfg->env = api_strv_get (&c->env);
  cfg->volumes = api_strv_get (&c->volumes);
  cfg->labels = api_strv_get (&c->labels);
  cfg->user = c->user;
  return 0;
}

/* mr_container_new's failures: bad options (no errno, or EINVAL), a name in
   use (EEXIST), a host port in use (EADDRINUSE), a rootfs or volume that is not there (ENOENT, ENOTDIR) are
   the client's; the rest the server's.  */
static unsigned
create_status (const struct mr_error *err)
{
  switch (err->errnum)
    {
    case 0:
    case EINVAL:
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
      return 400;
    case EEXIST:
    case EADDRINUSE:
      return 409;
    default:
      return 500;
    }
}

/* Whether the image named is there and the host can run containers at
   all: no place to make one otherwise.  */
static int
create_possible (struct mr_api *api, const struct mr_run_config *cfg, struct mr_api_response *res)
{
  cleanup_free char *img = NULL;
  cleanup_free char *info = NULL;
  struct mr_error err = { 0 };

  if (cfg->image && mr_image_inspect (api->ctx, cfg->image, &img, &err) < 0)
    {
      api_fail (res, err.errnum == ENOENT ? 404 : 400, "%s", err.msg);
      return -1;
    }
  if (mr_system_info (api->ctx, &info, &err) < 0)
    {
      api_fail (res, 503, "%s", err.msg);
      return -1;
    }
  return 0;
}

HANDLER (post_containers)
{
  cleanup_json json_t *doc = NULL;
  cleanup_free char *created = NULL;
  struct create_req c = { 0 };
  struct mr_error err = { 0 };
  int ret;

  (void)name;
  if (api_body_object (req, res, false, &doc) < 0)
    return;
  if (parse_create (doc, &c, res) < 0 || create_possible (api, &c.cfg, res) < 0)
    return create_req_clear (&c);

  pthread_mutex_lock (&api->lock);
  ret = mr_container_new (api->ctx, &c.cfg, &created, &err);
  if (ret == 0 && c.start && mr_container_start (api->ctx, created, &err) < 0)
    ret = 1;
  pthread_mutex_unlock (&api->lock);
  create_req_clear (&c);
  if (ret < 0)
    return api_fail (res, create_status (&err), "%s", err.msg);
  if (ret > 0)
    return api_fail (res, 500, "container '%s' was created but did not start: %s", created,
                     err.msg);
  respond_container (api, res, 201, created);
}

enum action
{
  ACTION_START,
  ACTION_STOP,
  ACTION_RESTART,
  ACTION_KILL,
  ACTION_DELETE,
  ACTION_PAUSE,
  ACTION_RESUME,
};

static void
change_container (struct mr_api *api, enum action action, const char *name,
                  const struct mr_api_request *req, struct mr_api_response *res)
{
  struct mr_kill_opts kill_opts = { .size = sizeof kill_opts, .signal = SIGTERM };
  struct mr_delete_opts delete_opts = { .size = sizeof delete_opts };
  struct mr_error err = { 0 };
  const char *signame;
  int timeout = -1;
  int ret;

  /* every parameter is checked before anything changes */
  if ((action == ACTION_STOP || action == ACTION_RESTART)
      && api_query_timeout (req, res, &timeout) < 0)
    return;
  if (action == ACTION_DELETE && api_query_bool (req, res, "force", &delete_opts.force) < 0)
    return;
  if (action == ACTION_KILL && api_query_bool (req, res, "all", &kill_opts.all) < 0)
    return;
  signame = req->query (req->conn, "signal");
  if (action == ACTION_KILL && signame && mr_signal_parse (signame, &kill_opts.signal) < 0)
    return api_fail (res, 400, "invalid signal '%s'", signame);

  pthread_mutex_lock (&api->lock);
  switch (action)
    {
    case ACTION_START:
      ret = mr_container_start (api->ctx, name, &err);
      break;
    case ACTION_STOP:
      ret = mr_container_stop (api->ctx, name, timeout, &err);
      break;
    case ACTION_RESTART:
      ret = mr_container_restart (api->ctx, name, timeout, &err);
      break;
    case ACTION_KILL:
      ret = mr_container_kill (api->ctx, name, &kill_opts, &err);
      break;
    case ACTION_PAUSE:
      ret = mr_container_pause (api->ctx, name, &err);
      break;
    case ACTION_RESUME:
      ret = mr_container_resume (api->ctx, name, &err);
      break;
    default:
      ret = mr_container_delete (api->ctx, name, &delete_opts, &err);
      break;
    }
  pthread_mutex_unlock (&api->lock);
  if (ret < 0)
    return api_fail_library (api, res, name, &err);
  if (action == ACTION_KILL)
    {
      signame = mr_signal_name (kill_opts.signal);
      return api_succeed (
          res, signame ? json_pack ("{s:s, s:s}", "name", name, "signal", signame)
                       : json_pack ("{s:s, s:i}", "name", name, "signal", kill_opts.signal));
    }
  api_succeed (res, json_pack ("{s:s}", "name", name));
}

#define ACTION_HANDLER(f, a)                                                                       \
  HANDLER (f) { change_container (api, a, name, req, res); }

ACTION_HANDLER (delete_container, ACTION_DELETE)
ACTION_HANDLER (post_start, ACTION_START)
ACTION_HANDLER (post_stop, ACTION_STOP)
ACTION_HANDLER (post_restart, ACTION_RESTART)
ACTION_HANDLER (post_kill, ACTION_KILL)
ACTION_HANDLER (post_pause, ACTION_PAUSE)
ACTION_HANDLER (post_resume, ACTION_RESUME)

static void
run_wait (struct pump *p)
{
  p->ret = mr_container_wait (p->api->ctx, p->name, &p->exit_code, &p->stop, &p->err);
}

/* Waiting takes no lock: the container may take its time.  */
HANDLER (post_wait)
{
  struct pump *p = api_pump_new (api, name);

  if (p == NULL)
    return api_fail (res, 500, "out of memory");
  p->run = run_wait;
  if (api_pump_start (p) < 0)
    {
      api_pump_free (p);
      return api_fail (res, 500, "cannot start a thread to wait");
    }
  api_pump_run_sync (p, req);
  if (p->ret < 0 && p->err.errnum == EINTR)
    api_fail (res, 503, "wait for container '%s': the server is stopping or the client left", name);
  else if (p->ret < 0)
    api_fail_library (api, res, name, &p->err);
  else
    api_succeed (res, json_pack ("{s:s, s:i}", "name", name, "exit_code", p->exit_code));
  api_pump_free (p);
}
