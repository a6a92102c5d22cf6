#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/server.h"
#include "util/cleanup.h"

#define API_PREFIX "/api/v1"

const struct mr_api_route mr_api_routes[] = {
  { "GET", "/health" },
  { "GET", "/openapi.yaml" },
  { "GET", "/system/info" },
  { "GET", "/containers" },
  { "GET", "/containers/{name}" },
  { "DELETE", "/containers/{name}" },
  { "POST", "/containers/{name}/start" },
  { "POST", "/containers/{name}/stop" },
  { "POST", "/containers/{name}/restart" },
  { "POST", "/containers/{name}/kill" },
  { NULL, NULL },
};

static const char *
error_type (unsigned status)
{
  switch (status)
    {
    case 400:
      return "bad_request";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    default:
      return "internal_error";
    }
}

/* A body that cannot be built (out of memory) is sent as this.  */
static char *
fallback_body (void)
{
  return strdup ("{\"success\": false, \"error\": {\"message\": \"out of memory\", "
                 "\"code\": 500, \"type\": \"internal_error\"}}");
}

char *
mr_api_error_body (unsigned status, const char *message)
{
  json_t *doc;
  char *body;

  doc = json_pack ("{s:b, s:{s:s, s:i, s:s}}", "success", 0, "error", "message", message, "code",
                   (int)status, "type", error_type (status));
  body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  return body ? body : fallback_body ();
}

static void fail (struct mr_api_response *res, unsigned status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
fail (struct mr_api_response *res, unsigned status, const char *fmt, ...)
{
  char msg[MR_ERROR_MSG_MAX];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  res->status = status;
  res->body = mr_api_error_body (status, msg);
}

/* Takes data (a new reference, or NULL for out of memory).  */
static void
succeed (struct mr_api_response *res, json_t *data)
{
  json_t *doc;

  if (data == NULL)
    return fail (res, 500, "out of memory");
  doc = json_pack ("{s:b, s:o}", "success", 1, "data", data);
  res->body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  json_decref (doc);
  if (res->body == NULL)
    return fail (res, 500, "out of memory");
  res->status = 200;
}

/* A JSON document from the library becomes the data of the response.  */
static void
succeed_json (struct mr_api_response *res, const char *text)
{
  json_error_t jerr;
  json_t *data = json_loads (text, JSON_DECODE_ANY, &jerr);

  if (data == NULL)
    return fail (res, 500, "the library returned invalid JSON: %s", jerr.text);
  succeed (res, data);
}

/* Whether container name exists: a library error about it is then about its
 * state, not its existence.  */
static bool
container_exists (struct mr_api *api, const char *name)
{
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };

  return mr_container_inspect (api->ctx, name, &json, &err) == 0;
}

static void
fail_library (struct mr_api *api, struct mr_api_response *res, const char *name,
              const struct mr_error *err)
{
  unsigned status = 500;

  switch (err->errnum)
    {
    case ENOENT:
      status = name && container_exists (api, name) ? 409 : 404;
      break;
    case EBUSY:
    case EEXIST:
      status = 409;
      break;
    case EINVAL:
      status = 400;
      break;
    case 0:
      /* "it is not running" carries no errno */
      if (name && container_exists (api, name))
        status = 409;
      break;
    default:
      break;
    }
  fail (res, status, "%s", err->msg);
}

static void
get_health (struct mr_api *api, struct mr_api_response *res)
{
  cleanup_free char *info = NULL;
  struct mr_error err = { 0 };
  struct timespec now;
  json_t *doc, *backend;
  json_t *data;

  if (mr_system_info (api->ctx, &info, &err) < 0)
    return fail_library (api, res, NULL, &err);
  doc = json_loads (info, 0, NULL);
  backend = doc ? json_object_get (doc, "cgroup_backend") : NULL;
  clock_gettime (CLOCK_MONOTONIC, &now);
  data = json_pack (
      "{s:s, s:s, s:I, s:O?}", "status", "ok", "version", mr_version (), "uptime",
      (json_int_t)(now.tv_sec - api->started.tv_sec - (now.tv_nsec < api->started.tv_nsec)),
      "cgroup_backend", backend);
  json_decref (doc);
  succeed (res, data);
}

static void
get_system_info (struct mr_api *api, struct mr_api_response *res)
{
  cleanup_free char *info = NULL;
  struct mr_error err = { 0 };

  if (mr_system_info (api->ctx, &info, &err) < 0)
    return fail_library (api, res, NULL, &err);
  succeed_json (res, info);
}

static void
get_containers (struct mr_api *api, struct mr_api_response *res)
{
  struct mr_container_info *list = NULL;
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };
  size_t n = 0;
  int ret;

  if (mr_container_list (api->ctx, &list, &n, &err) < 0)
    return fail_library (api, res, NULL, &err);
  ret = mr_container_info_json (list, n, &json, &err);
  mr_container_info_free (list, n);
  if (ret < 0)
    return fail_library (api, res, NULL, &err);
  succeed_json (res, json);
}

static void
get_container (struct mr_api *api, const char *name, struct mr_api_response *res)
{
  cleanup_free char *json = NULL;
  struct mr_error err = { 0 };

  if (mr_container_inspect (api->ctx, name, &json, &err) < 0)
    return fail_library (api, res, name, &err);
  succeed_json (res, json);
}

/* ?t=N: seconds before KILL; -1 when absent.  */
static int
query_timeout (const struct mr_api_request *req, struct mr_api_response *res, int *timeout)
{
  const char *t = req->query (req->conn, "t");
  char *end;
  long n;

  *timeout = -1;
  if (t == NULL)
    return 0;
  errno = 0;
  n = strtol (t, &end, 10);
  if (*t < '0' || *t > '9' || *end != '\0' || errno != 0 || n > INT_MAX / 1000)
    {
      fail (res, 400, "invalid t '%s': expected seconds", t);
      return -1;
    }
  *timeout = (int)n;
  return 0;
}

static int
query_bool (const struct mr_api_request *req, struct mr_api_response *res, const char *key,
            bool *out)
{
  const char *v = req->query (req->conn, key);

  *out = false;
  if (v == NULL || strcmp (v, "false") == 0 || strcmp (v, "0") == 0)
    return 0;
  if (strcmp (v, "true") == 0 || strcmp (v, "1") == 0 || *v == '\0')
    {
      *out = true;
      return 0;
    }
  fail (res, 400, "invalid %s '%s': expected true or false", key, v);
  return -1;
}

enum action
{
  ACTION_START,
  ACTION_STOP,
  ACTION_RESTART,
  ACTION_KILL,
  ACTION_DELETE,
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
  if ((action == ACTION_STOP || action == ACTION_RESTART) && query_timeout (req, res, &timeout) < 0)
    return;
  if (action == ACTION_DELETE && query_bool (req, res, "force", &delete_opts.force) < 0)
    return;
  if (action == ACTION_KILL && query_bool (req, res, "all", &kill_opts.all) < 0)
    return;
  signame = req->query (req->conn, "signal");
  if (action == ACTION_KILL && signame && mr_signal_parse (signame, &kill_opts.signal) < 0)
    return fail (res, 400, "invalid signal '%s'", signame);

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
    default:
      ret = mr_container_delete (api->ctx, name, &delete_opts, &err);
      break;
    }
  pthread_mutex_unlock (&api->lock);
  if (ret < 0)
    return fail_library (api, res, name, &err);
  if (action == ACTION_KILL)
    {
      signame = mr_signal_name (kill_opts.signal);
      return succeed (res,
                      signame ? json_pack ("{s:s, s:s}", "name", name, "signal", signame)
                              : json_pack ("{s:s, s:i}", "name", name, "signal", kill_opts.signal));
    }
  succeed (res, json_pack ("{s:s}", "name", name));
}

static bool
method_is (const struct mr_api_request *req, const char *method, const char *allow,
           struct mr_api_response *res)
{
  if (strcmp (req->method, method) == 0)
    return true;
  res->allow = allow;
  fail (res, 405, "method %s not allowed on '%s': use %s", req->method, req->path, allow);
  return false;
}

/* /containers/NAME[/ACTION]; rest points after "/containers/".  */
static void
route_container (struct mr_api *api, const struct mr_api_request *req, const char *rest,
                 struct mr_api_response *res)
{
  static const struct
  {
    const char *name;
    enum action action;
  } actions[] = {
    { "start", ACTION_START },
    { "stop", ACTION_STOP },
    { "restart", ACTION_RESTART },
    { "kill", ACTION_KILL },
  };
  const char *slash = strchr (rest, '/');
  cleanup_free char *name = strndup (rest, slash ? (size_t)(slash - rest) : strlen (rest));
  struct mr_error err = { 0 };

  if (name == NULL)
    return fail (res, 500, "out of memory");
  if (mr_id_validate (name, &err) < 0)
    return fail (res, 400, "%s", err.msg);
  if (slash == NULL)
    {
      if (strcmp (req->method, "DELETE") == 0)
        return change_container (api, ACTION_DELETE, name, req, res);
      if (method_is (req, "GET", "GET, DELETE", res))
        get_container (api, name, res);
      return;
    }
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp (slash + 1, actions[i].name) == 0)
      {
        if (method_is (req, "POST", "POST", res))
          change_container (api, actions[i].action, name, req, res);
        return;
      }
  fail (res, 404, "no route for '%s'", req->path);
}

void
mr_api_handle (struct mr_api *api, const struct mr_api_request *req, struct mr_api_response *res)
{
  const char *path = req->path;
  size_t plen = strlen (API_PREFIX);

  if (strncmp (path, API_PREFIX, plen) == 0 && path[plen] == '/')
    path += plen;

  if (strcmp (path, "/health") == 0)
    {
      if (method_is (req, "GET", "GET", res))
        get_health (api, res);
    }
  else if (strcmp (path, "/openapi.yaml") == 0)
    {
      if (method_is (req, "GET", "GET", res))
        {
          res->status = 200;
          res->static_body = mr_asset_openapi_yaml;
          res->static_len = mr_asset_openapi_yaml_len ();
          res->content_type = "application/yaml";
        }
    }
  else if (strcmp (path, "/system/info") == 0)
    {
      if (method_is (req, "GET", "GET", res))
        get_system_info (api, res);
    }
  else if (strcmp (path, "/containers") == 0)
    {
      if (method_is (req, "GET", "GET", res))
        get_containers (api, res);
    }
  else if (strncmp (path, "/containers/", 12) == 0)
    route_container (api, req, path + 12, res);
  else
    fail (res, 404, "no route for '%s'", req->path);
}
